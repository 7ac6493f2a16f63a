#!/usr/bin/env bash
# The browser configurator's checks (called by scripts/test.sh):
#  1. the committed page (smartlink-configurator/web-dist) is byte-equal to a
#     fresh build of web/ (npm ci + ng build, scripts/build-web.sh --check);
#  2. the browser tests (tests/browser): Debian's Chromium driven by
#     playwright-core against `smartlink-configurator web` and the sandbox.
# Needs node (>= 20.19), npm and chromium: scripts/install-test-deps.sh.
set -euo pipefail
cd "$(dirname "$0")/.."
start=$(date +%s)
./scripts/build-web.sh --check
cargo build --locked -q -p smartlink-configurator -p smartlink-sandbox
cd tests/browser
if [ ! -d node_modules ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD=1 npm ci --no-audit --no-fund --loglevel=error
fi
node run.js "$@"
echo "test-web: $(( $(date +%s) - start )) s"
