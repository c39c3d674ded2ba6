#!/usr/bin/env bash
# The whole test suite, from a fresh machine: installs what the tests need, then runs them.
# Usage: ./scripts/test.sh
set -euo pipefail
cd "$(dirname "$0")/.."

echo "== format and lints"
cargo fmt --all -- --check
cargo clippy --workspace --all-targets --locked -- -D warnings

echo "== unit, property and end-to-end tests"
cargo test --workspace --locked

echo "== browser tests of the web console (headless Chromium)"
# The ecmo binary `cargo test` just built (test profile: optimised) serves the console.
ECMO_BIN="$PWD/target/debug/ecmo" ./scripts/browser-tests.sh
