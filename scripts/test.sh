#!/usr/bin/env bash
# The whole test suite, from a fresh machine: installs what the tests need, then runs them.
# Usage: ./scripts/test.sh
set -euo pipefail
cd "$(dirname "$0")/.."

echo "== format and lints"
cargo fmt --all -- --check
cargo clippy --workspace --all-targets --locked -- -D warnings

echo "== unit, property and end-to-end tests"
# The report tests read their PDFs back with poppler (pdftotext, pdftoppm): install it, and make
# its absence a failure rather than a skipped check.
if ! command -v pdftoppm >/dev/null || ! command -v pdftotext >/dev/null; then
  echo "== installing poppler-utils (apt-get)"
  SUDO=""; [ "$(id -u)" -ne 0 ] && SUDO="sudo"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends poppler-utils >/dev/null
fi
ECMO_REQUIRE_POPPLER=1 cargo test --workspace --locked

echo "== browser tests of the web console (headless Chromium)"
# The ecmo binary `cargo test` just built (test profile: optimised) serves the console.
ECMO_BIN="$PWD/target/debug/ecmo" ./scripts/browser-tests.sh
