#!/usr/bin/env bash
# Build the static site CI publishes, locally: every run folder under reports/ with its report
# rebuilt from results.jsonl, and an index page listing the runs newest first.
#   scripts/publish.sh [REPORTS_DIR] [SITE_DIR]      (defaults: reports site)
# No root needed: reports are rebuilt from results alone.
set -euo pipefail
cd "$(dirname "$0")/.."

reports=${1:-reports}
site=${2:-site}
if [ ! -d "$reports" ]; then
  echo "publish: no $reports folder; run scripts/run.sh first" >&2
  exit 1
fi
cargo build --release --quiet
# A fresh site every time, so a deleted run does not linger.
rm -rf "$site"
./target/release/svclab publish "$reports" --out "$site"
echo "open $site/index.html"
