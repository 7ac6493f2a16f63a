#!/usr/bin/env bash
# Prints every performance figure of the project as one table (release
# builds). Run it on a quiet machine: the figures are medians, but a busy
# machine still moves them. SMARTLINK_BENCH_QUICK=1 for fewer iterations.
set -euo pipefail
cd "$(dirname "$0")/.."
cargo build --release --locked -p smartlink-ffi -p smartlink-tests --bin smartlink-bench >&2
./target/release/smartlink-bench
echo
echo "C ABI, one JSON step with no network (median):"
cargo bench --locked -p smartlink-ffi --bench json_step 2>/dev/null | grep -v '^$'
so=target/release/libsmartlink.so
strip -o target/release/libsmartlink.stripped.so "$so"
echo
printf 'release libsmartlink.so, stripped: %s bytes (target ≤ 3,500,000)\n' "$(stat -c %s target/release/libsmartlink.stripped.so)"
