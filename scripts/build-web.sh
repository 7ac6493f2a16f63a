#!/usr/bin/env bash
# Rebuilds the browser configurator's page from web/ (Angular + PO UI) into
# smartlink-configurator/web-dist/, the bundle the binary embeds (committed,
# so that cargo build never needs Node).
#
#   scripts/build-web.sh           rebuild and replace the committed bundle
#   scripts/build-web.sh --check   rebuild into a temporary folder and fail
#                                  unless it is byte-equal to the committed one
#
# Installs exactly the locked dependencies (npm ci) when web/node_modules is
# missing or older than web/package-lock.json. The production build is
# reproducible: the same sources and lockfile give the same bytes.
set -euo pipefail
cd "$(dirname "$0")/.."
root=$(pwd)
dest="$root/smartlink-configurator/web-dist"
check=0
[ "${1:-}" = "--check" ] && check=1

command -v npm >/dev/null 2>&1 || { echo "build-web: npm is required (apt-get install nodejs npm)" >&2; exit 1; }
export NG_CLI_ANALYTICS=false
cd "$root/web"
if [ ! -d node_modules ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  npm ci --no-audit --no-fund --loglevel=error
fi
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT
rm -rf dist
npx ng build --configuration production >"$out/log" 2>&1 || { cat "$out/log" >&2; exit 1; }
mv dist "$out/dist"
# Not part of the page: Angular's list of prerendered routes (none).
rm -f "$out/dist/prerendered-routes.json"

if [ $check = 1 ]; then
  if diff -r "$out/dist" "$dest" >"$out/diff" 2>&1; then
    echo "build-web: the committed bundle matches a fresh build of web/"
  else
    echo "build-web: smartlink-configurator/web-dist differs from a fresh build of web/ (run scripts/build-web.sh and commit):" >&2
    head -20 "$out/diff" >&2
    exit 1
  fi
else
  rm -rf "$dest"
  mkdir -p "$dest"
  cp -R "$out/dist/." "$dest/"
  echo "build-web: $(find "$dest" -type f | wc -l) files, $(du -sb "$dest" | cut -f1) bytes in smartlink-configurator/web-dist"
fi
