#!/usr/bin/env bash
# Installs the tools the tests need and fails loudly if it cannot: a C
# compiler, Valgrind (the C example runs under it), Mono (the C# example is
# compiled with mcs and run with mono), Python 3 (the ctypes example),
# Chromium and Node.js with npm (the browser configurator's build check and
# browser tests, scripts/test-web.sh) and Authlib from PyPI (the third-party
# OAuth2 server of the token tests, tests/oauth/authlib_server.py),
# PostgreSQL (the shared store's tests run throwaway servers) and
# libfaketime (a machine with a skewed clock) and openssl (the certificates
# of the PostgreSQL TLS tests).
# Idempotent: does nothing when everything is present.
set -euo pipefail

missing=()
command -v cc >/dev/null 2>&1 || missing+=(gcc libc6-dev)
command -v valgrind >/dev/null 2>&1 || missing+=(valgrind)
command -v mcs >/dev/null 2>&1 || missing+=(mono-mcs)
command -v mono >/dev/null 2>&1 || missing+=(mono-runtime)
command -v python3 >/dev/null 2>&1 || missing+=(python3)
command -v chromium >/dev/null 2>&1 || missing+=(chromium)
command -v node >/dev/null 2>&1 || missing+=(nodejs)
command -v npm >/dev/null 2>&1 || missing+=(npm)
pg_found=0
for bin in /usr/lib/postgresql/*/bin/initdb; do
  [ -x "$bin" ] && [ -x "$(dirname "$bin")/postgres" ] && [ -x "$(dirname "$bin")/pg_isready" ] && pg_found=1
done
[ "$pg_found" = 1 ] || missing+=(postgresql)
# libfaketime: one "machine" of the shared-state tests runs with its clock
# skewed by minutes.
ls /usr/lib/*/faketime/libfaketime.so.1 >/dev/null 2>&1 || missing+=(libfaketime)
# openssl: the PostgreSQL TLS tests make a certificate authority and a
# server certificate.
command -v openssl >/dev/null 2>&1 || missing+=(openssl)

if [ ${#missing[@]} -gt 0 ]; then
  echo "install-test-deps: installing ${missing[*]}"
  SUDO=""
  [ "$(id -u)" -eq 0 ] || SUDO="sudo"
  # Wait for another apt run (up to 10 minutes) instead of failing at once.
  lock=(-o DPkg::Lock::Timeout=600)
  $SUDO apt-get "${lock[@]}" update
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get "${lock[@]}" install -y --no-install-recommends "${missing[@]}"
  # CI machines have little disk to spare: drop the downloaded packages.
  if [ "${CI:-}" = true ]; then $SUDO apt-get "${lock[@]}" clean; fi
fi

# Angular 21 needs Node.js 20.19 or later (Debian 12's own nodejs is 18).
node_ok=$(node -e 'const [a,b]=process.versions.node.split(".").map(Number); console.log(a>20||(a===20&&b>=19)?1:0)' 2>/dev/null || echo 0)
if [ "$node_ok" != 1 ]; then
  echo "install-test-deps: Node.js >= 20.19 is needed for the browser configurator (found $(node --version 2>/dev/null || echo none))" >&2
  exit 1
fi

# Authlib: a widely used OAuth2 server implementation, for the token tests.
if ! python3 -c 'import authlib' >/dev/null 2>&1; then
  echo "install-test-deps: installing authlib (PyPI)"
  command -v pip3 >/dev/null 2>&1 || python3 -m ensurepip --upgrade >/dev/null 2>&1 || true
  # Debian's system Python refuses plain pip installs (PEP 668): say so.
  python3 -m pip install --quiet 'authlib>=1.3,<2' \
    || python3 -m pip install --quiet --break-system-packages 'authlib>=1.3,<2'
  python3 -c 'import authlib' || { echo "install-test-deps: authlib is still missing" >&2; exit 1; }
fi
