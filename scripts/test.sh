#!/usr/bin/env bash
# Runs every test of the project. Installs what the tests need when missing.
set -euo pipefail
cd "$(dirname "$0")/.."
./scripts/install-test-deps.sh
cargo test --workspace --locked
