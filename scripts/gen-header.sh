#!/usr/bin/env bash
# Regenerates include/smartlink.h with the pinned cbindgen (a dev-dependency
# of smartlink-ffi), the same way the `header_is_up_to_date` test checks it.
set -euo pipefail
cd "$(dirname "$0")/.."
SMARTLINK_UPDATE_HEADER=1 cargo test -p smartlink-ffi --locked --test header header_is_up_to_date
echo "include/smartlink.h regenerated"
