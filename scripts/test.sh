#!/usr/bin/env bash
# Runs every test of the project. Installs what the tests need when missing.
#
# Then builds the library for 64- and 32-bit Windows and exercises it under
# Wine (scripts/test-windows.sh). A developer may skip that part with
# SMARTLINK_SKIP_WINDOWS=1; CI (CI=true) may not.
set -euo pipefail
cd "$(dirname "$0")/.."
./scripts/install-test-deps.sh
cargo test --workspace --locked
if [ "${SMARTLINK_SKIP_WINDOWS:-}" = 1 ]; then
  if [ "${CI:-}" = true ]; then
    echo "test.sh: SMARTLINK_SKIP_WINDOWS=1 is not allowed in CI" >&2
    exit 1
  fi
  echo "test.sh: Windows build and Wine runs skipped (SMARTLINK_SKIP_WINDOWS=1)" >&2
else
  ./scripts/test-windows.sh
fi
