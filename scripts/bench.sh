#!/usr/bin/env bash
# Prints every performance figure of the project as one table (release
# builds). Run it on a quiet machine: the figures are medians, but a busy
# machine still moves them. SMARTLINK_BENCH_QUICK=1 for fewer iterations;
# SMARTLINK_BENCH_ONLY=reads (the gate and cached tokens) or =shared (the
# shared stores) for one part.
set -euo pipefail
cd "$(dirname "$0")/.."
cargo build --release --locked -p smartlink-ffi >&2
cargo build --release --locked -p smartlink-tests --bin smartlink-bench >&2
strip -o target/release/libsmartlink.stripped.so target/release/libsmartlink.so
SMARTLINK_BENCH_SO=target/release/libsmartlink.stripped.so ./target/release/smartlink-bench
