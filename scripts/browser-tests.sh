#!/usr/bin/env bash
# Browser tests of the web console and the written reports: Debian's Chromium (headless) driven by playwright-core
# against a real `ecmo serve`. Installs what it needs: chromium (and node/npm if absent) via
# apt-get, the npm packages from tests/browser/package-lock.json (npm ci). `npx playwright
# install` is never used: the browser is Debian's.
#
# Usage: scripts/browser-tests.sh
#   ECMO_BIN=path/to/ecmo   use this binary instead of building target/release/ecmo
#                           (scripts/test.sh passes the one `cargo test` just built)
#   CHROMIUM=path           another Chromium (default /usr/bin/chromium)
# Screenshots and figures (latency.json, flow-follow.json) go to test-artifacts/browser/.
set -euo pipefail
cd "$(dirname "$0")/.."

need=()
[ -x "${CHROMIUM:-/usr/bin/chromium}" ] || need+=(chromium fonts-dejavu-core)
command -v npm >/dev/null || need+=(nodejs npm)
command -v openssl >/dev/null || need+=(openssl)
if [ ${#need[@]} -gt 0 ]; then
  echo "== installing ${need[*]} (apt-get)"
  SUDO=""; [ "$(id -u)" -ne 0 ] && SUDO="sudo"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null
fi

echo "== npm ci (tests/browser)"
(cd tests/browser && npm ci --no-audit --no-fund --loglevel=error)

if [ -z "${ECMO_BIN:-}" ]; then
  echo "== building ecmo (release)"
  cargo build --release --locked -p ecmo
  ECMO_BIN="$PWD/target/release/ecmo"
fi
[ -x "$ECMO_BIN" ] || { echo "error: ECMO_BIN=$ECMO_BIN is not an executable" >&2; exit 2; }
# A copy, so that a build running beside the tests cannot replace the binary under test.
mkdir -p target/browser-tests
cp "$ECMO_BIN" target/browser-tests/ecmo
export ECMO_BIN="$PWD/target/browser-tests/ecmo"

echo "== browser tests ($ECMO_BIN)"
rm -rf test-artifacts/browser
mkdir -p test-artifacts/browser
(cd tests/browser && node --test --test-concurrency=1 console.test.mjs screen.test.mjs training.test.mjs device.test.mjs reports.test.mjs)
echo "screenshots and figures: test-artifacts/browser/"
