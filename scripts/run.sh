#!/usr/bin/env bash
# The main job: install what is missing, build, and run the default lab scenario (the source
# document's table: 1 / 5,000 / 20,000 Services on every iptables variant and eBPF). Arguments are passed
# to `svclab run` (e.g. --scenario scale, --backends iptables-nft).
set -euo pipefail
cd "$(dirname "$0")/.."

if [ "$(id -u)" -ne 0 ]; then
  echo "run: svclab creates network namespaces and programs netfilter in them; run as root (sudo $0)" >&2
  exit 1
fi

scripts/setup.sh
cargo build --release --quiet
run_id=$(date -u +%Y%m%d-%H%M%S)
out="reports/$run_id"
status=0
./target/release/svclab run --out "$out" "$@" || status=$?
echo
echo "report folder: $out (index.html, summary.md, results.csv, results.jsonl)"
exit $status
