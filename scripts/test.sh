#!/usr/bin/env bash
# The test command: install what is missing, then every test of the workspace. Integration tests
# drive the real kernel inside network namespaces they create, so this runs as root.
set -euo pipefail
cd "$(dirname "$0")/.."

if [ "$(id -u)" -ne 0 ]; then
  echo "test: the integration tests program netfilter in network namespaces; run as root (sudo $0)" >&2
  exit 1
fi

scripts/setup.sh
# The CI workflow is code too: actionlint (installed by setup.sh) checks its syntax, expressions,
# shell steps and that no action runs on a runtime GitHub has removed.
"${SVCLAB_TOOLS_DIR:-target/tools}/actionlint-venv/bin/actionlint" .github/workflows/*.yml
cargo fmt --all -- --check
cargo clippy --workspace --all-targets --quiet -- -D warnings
cargo test --workspace "$@"
# This kernel lacks IPVS: run the backend suite and the IPVS kernel tests in the lab VM too.
if [ ! -e /proc/net/ip_vs ]; then
  scripts/vm-kernel-tests.sh
fi
