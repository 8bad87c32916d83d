#!/usr/bin/env bash
# cargo bench with criterion's HTML reports kept beside svclab's reports, and the IPVS kernel
# benches run in the lab VM when this kernel has no IPVS.
#   scripts/bench.sh [OUT]        (default: reports/benches)
# OUT/host: criterion's reports of `cargo bench` here (userspace hot paths; kernel benches of the
# backends this kernel has; as non-root only the userspace ones, with the reason printed);
# OUT/vm/criterion: the kernel benches of ipvs and ipvsadm on the lab VM's kernel;
# OUT/*.txt: the console output of each. scripts/publish.sh links OUT from the site's index.
set -euo pipefail
cd "$(dirname "$0")/.."

out=${1:-reports/benches}
scripts/setup.sh
rm -rf "$out"
mkdir -p "$out"
out=$(cd "$out" && pwd)

# criterion writes its reports under $CRITERION_HOME.
CRITERION_HOME="$out/host" cargo bench --bench userspace --bench backends 2>&1 | tee "$out/host.txt"

if [ -e /proc/net/ip_vs ]; then
  echo "bench: this kernel has IPVS; its benches ran above"
elif [ "$(id -u)" -ne 0 ]; then
  echo "bench: IPVS kernel benches skipped: this kernel has no IPVS and the lab VM needs root" >&2
else
  bin=$(cargo bench --bench backends --no-run --message-format=json 2>/dev/null |
    grep -o '"executable":"[^"]*"' | cut -d'"' -f4 | tail -n 1)
  if [ -z "$bin" ]; then
    echo "bench: could not find the built benches/backends.rs binary" >&2
    exit 1
  fi
  cargo build --release --quiet
  # The filter is a substring: kernel/ipvs matches kernel/ipvsadm too.
  ./target/release/svclab vm --timeout 2h --exec "$bin" --out "$out/vm" -- --bench kernel/ipvs 2>&1 |
    tee "$out/vm.txt"
fi
for page in "$out/host/report/index.html" "$out/vm/criterion/report/index.html"; do
  [ -f "$page" ] && echo "criterion report: $page"
done
exit 0
