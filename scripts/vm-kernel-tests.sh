#!/usr/bin/env bash
# Kernel tests on the lab VM's kernel: this host's kernel lacks IPVS, so the shared backend suite
# (tests/backend_suite.rs, which covers ipvs and ipvsadm where /proc/net/ip_vs exists) and the
# IPVS crate's kernel tests are built here and run inside the lab VM (`svclab vm --exec`).
# Extra arguments go to each test binary (e.g. a test name filter).
set -euo pipefail
cd "$(dirname "$0")/.."

if [ "$(id -u)" -ne 0 ]; then
  echo "vm-kernel-tests: the tests create namespaces in the guest and QEMU runs here; run as root" >&2
  exit 1
fi

cargo build --quiet
# cargo prints one JSON object per artifact; the test binaries are those with an "executable".
# Only test harnesses ("test":true in the profile), not the svclab binary built alongside.
test_binaries() {
  cargo test --quiet --no-run --message-format=json "$@" 2>/dev/null |
    grep -E '"profile":\{[^}]*"test":true' | grep -o '"executable":"[^"]*"' | cut -d'"' -f4
}
mapfile -t binaries < <(
  test_binaries -p svclab --test backend_suite
  test_binaries -p svclab-ipvs --tests
)
if [ ${#binaries[@]} -eq 0 ]; then
  echo "vm-kernel-tests: no test binaries built" >&2
  exit 1
fi

status=0
for bin in "${binaries[@]}"; do
  echo "== $(basename "$bin") in the lab VM"
  # One test thread: the guest has two emulated CPUs and the suite's namespaces are many.
  ./target/debug/svclab vm --timeout 20m --exec "$bin" -- --test-threads=1 "$@" || status=$?
done
exit $status
