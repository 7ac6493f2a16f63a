#!/usr/bin/env bash
# Installs the tools the tests need and fails loudly if it cannot: a C
# compiler, Valgrind (the C example runs under it), Mono (the C# example is
# compiled with mcs and run with mono) and Python 3 (the ctypes example).
# Idempotent: does nothing when everything is present.
set -euo pipefail

missing=()
command -v cc >/dev/null 2>&1 || missing+=(gcc libc6-dev)
command -v valgrind >/dev/null 2>&1 || missing+=(valgrind)
command -v mcs >/dev/null 2>&1 || missing+=(mono-mcs)
command -v mono >/dev/null 2>&1 || missing+=(mono-runtime)
command -v python3 >/dev/null 2>&1 || missing+=(python3)

if [ ${#missing[@]} -gt 0 ]; then
  echo "install-test-deps: installing ${missing[*]}"
  SUDO=""
  [ "$(id -u)" -eq 0 ] || SUDO="sudo"
  # Wait for another apt run (up to 10 minutes) instead of failing at once.
  lock=(-o DPkg::Lock::Timeout=600)
  $SUDO apt-get "${lock[@]}" update
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get "${lock[@]}" install -y --no-install-recommends "${missing[@]}"
fi
