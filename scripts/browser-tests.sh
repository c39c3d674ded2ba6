#!/usr/bin/env bash
# Browser tests of the web console: Debian's Chromium (headless) driven by playwright-core
# against a real `ecmo serve`. Installs what it needs: chromium via apt-get if missing, the
# npm packages from tests/browser/package-lock.json (npm ci). `npx playwright install` is never
# used: the browser is Debian's.
# Usage: scripts/browser-tests.sh          (screenshots and figures in test-artifacts/browser/)
set -euo pipefail
cd "$(dirname "$0")/.."

if [ ! -x /usr/bin/chromium ]; then
  echo "== installing chromium (apt-get)"
  SUDO=""; [ "$(id -u)" -ne 0 ] && SUDO="sudo"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq chromium fonts-dejavu-core >/dev/null
fi

echo "== npm ci (tests/browser)"
(cd tests/browser && npm ci --no-audit --no-fund --loglevel=error)

echo "== building ecmo (release: the tests measure latency at real time)"
cargo build --release --locked -p ecmo
export ECMO_BIN="$PWD/target/release/ecmo"

echo "== browser tests"
mkdir -p test-artifacts/browser
(cd tests/browser && node --test --test-concurrency=1 console.test.mjs)
echo "screenshots and figures: test-artifacts/browser/"
