#!/usr/bin/env bash
# cargo bench with criterion's HTML reports kept beside svclab's reports, and the IPVS kernel
# benches run in the lab VM when this kernel has no IPVS.
#   scripts/bench.sh [OUT]        (default: reports/benches)
# OUT/host: criterion's reports of `cargo bench` here (userspace hot paths; kernel benches of the
# backends this kernel has; as non-root only the userspace ones, with the reason printed);
# OUT/vm/criterion: the kernel benches of ipvs and ipvsadm on the lab VM's kernel, and
# OUT/vm-userspace/criterion the IPVS userspace benches on the same guest kernel;
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
  bench_binary() {
    cargo bench --bench "$1" --no-run --message-format=json 2>/dev/null |
      grep -o '"executable":"[^"]*"' | cut -d'"' -f4 | tail -n 1
  }
  kernel=$(bench_binary backends)
  userspace=$(bench_binary userspace)
  if [ -z "$kernel" ] || [ -z "$userspace" ]; then
    echo "bench: could not find the built bench binaries" >&2
    exit 1
  fi
  cargo build --release --quiet
  # The filter is a substring: kernel/ipvs matches kernel/ipvsadm too. The IPVS userspace benches
  # run on the same guest kernel too, so their share of the kernel work is read under one emulation.
  ./target/release/svclab vm --timeout 2h --exec "$kernel" --out "$out/vm" -- --bench kernel/ipvs 2>&1 |
    tee "$out/vm.txt"
  ./target/release/svclab vm --timeout 1h --exec "$userspace" --out "$out/vm-userspace" -- --bench userspace/ipvs 2>&1 |
    tee "$out/vm-userspace.txt"
fi
for page in "$out"/host/report/index.html "$out"/vm*/criterion/report/index.html; do
  [ -f "$page" ] && echo "criterion report: $page"
done
exit 0
