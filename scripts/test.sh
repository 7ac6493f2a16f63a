#!/usr/bin/env bash
# Runs every test of the project. Installs what the tests need when missing.
# After the workspace's tests, scripts/test-web.sh checks the browser
# configurator's committed page against a fresh build and runs its browser
# tests in Chromium.
#
# Then builds the library for 64- and 32-bit Windows and exercises it under
# Wine (scripts/test-windows.sh). A developer may skip that part with
# SMARTLINK_SKIP_WINDOWS=1; CI (CI=true) may not.
set -euo pipefail
cd "$(dirname "$0")/.."
./scripts/install-test-deps.sh

# A CI run builds everything once from a clean checkout, often on a machine
# with little disk to spare, so it is frugal: no incremental caches and no
# debug information in debug builds (a failed assertion still names its file
# and line; only a debugger would miss them), which halves the target
# directory. Once the native and browser tests have passed, the native
# target directory is removed (the Windows part needs only the sandbox's
# binary, kept aside), and scripts/test-windows.sh removes each of its
# builds and Wine prefixes once nothing else needs them. Each phase says how
# much space is left, so a run that ran out of disk says so.
if [ "${CI:-}" = true ]; then
  export CARGO_INCREMENTAL=0 CARGO_PROFILE_DEV_DEBUG=0 CARGO_PROFILE_DEV_STRIP=debuginfo
fi
space() { echo "test.sh: $1; space left: $(df -Ph . | awk 'NR == 2 { print $4 }')" >&2; }
space "starting"

# The core's features must not change with what is built beside it (the
# 64-bit DLL is built together with the configurator, the 32-bit one alone),
# and a build of the library and the configurator turns on exactly `default`
# and `postgres` (the C ABI's PostgreSQL store), nothing test-only.
core_features() { # EDGES PACKAGES...
  local edges=$1
  shift
  cargo tree --locked -e "$edges" "$@" --target x86_64-unknown-linux-gnu |
    grep -o 'smartlink-core feature "[^"]*"' | sort -u | tr '\n' ' '
}
for edges in features features,normal; do
  alone=$(core_features "$edges" -p smartlink-ffi)
  beside=$(core_features "$edges" -p smartlink-ffi -p smartlink-configurator)
  if [ "$alone" != "$beside" ]; then
    echo "test.sh: smartlink-core's features ($edges) differ: smartlink-ffi alone: $alone;" \
      "with smartlink-configurator: $beside" >&2
    exit 1
  fi
done
if [ "$beside" != 'smartlink-core feature "default" smartlink-core feature "postgres" ' ]; then
  echo "test.sh: building smartlink-ffi and smartlink-configurator turns on core features: $beside" \
    "(expected: default, postgres)" >&2
  exit 1
fi

cargo test --workspace --locked
space "workspace tests passed"
./scripts/test-web.sh
space "browser tests passed"
if [ "${SMARTLINK_SKIP_WINDOWS:-}" = 1 ]; then
  if [ "${CI:-}" = true ]; then
    echo "test.sh: SMARTLINK_SKIP_WINDOWS=1 is not allowed in CI" >&2
    exit 1
  fi
  echo "test.sh: Windows build and Wine runs skipped (SMARTLINK_SKIP_WINDOWS=1)" >&2
else
  if [ "${CI:-}" = true ]; then
    # The workspace's tests built the sandbox; keep its binary, drop the rest.
    cargo build -q --locked -p smartlink-sandbox
    mkdir -p target/windows
    cp target/debug/smartlink-sandbox target/windows/smartlink-sandbox
    export SMARTLINK_SANDBOX_BIN=$PWD/target/windows/smartlink-sandbox
    rm -rf target/debug
    space "native target directory removed"
  fi
  ./scripts/test-windows.sh
fi
