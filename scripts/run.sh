#!/usr/bin/env bash
# The main job: install what is missing, build, and run the default lab scenario (the source
# document's table: 1 / 5,000 / 20,000 Services on every data plane the scenario selects, each on
# this kernel where it can run here and the rest in the lab VM, in one run and one report).
# Arguments are passed to `svclab run` (e.g. --scenario scale, --backends iptables-nft).
set -euo pipefail
cd "$(dirname "$0")/.."

if [ "$(id -u)" -ne 0 ]; then
  echo "run: svclab creates network namespaces and programs netfilter in them; run as root (sudo $0)" >&2
  exit 1
fi

started=$(date +%s)
echo "run: checking system packages (scripts/setup.sh)" >&2
scripts/setup.sh
# A first release build takes minutes (aya, netlink, plotters, the BPF program through clang):
# say so, and let cargo print each crate it compiles instead of sitting silent.
echo "run: building svclab (cargo build --release; minutes the first time, seconds after)" >&2
cargo build --release
echo "run: build done after $(($(date +%s) - started)) s; starting the lab run" >&2
run_id=$(date -u +%Y%m%d-%H%M%S)
out="reports/$run_id"
status=0
./target/release/svclab run --out "$out" "$@" || status=$?
echo
echo "report folder: $out (index.html, summary.md, results.csv, results.jsonl)"
echo "run: wall time $(($(date +%s) - started)) s (setup, build and run)"
exit $status
