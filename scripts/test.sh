#!/usr/bin/env bash
# The whole test suite, from a fresh machine: installs what the tests need, then runs them.
# Usage: ./scripts/test.sh
set -euo pipefail
cd "$(dirname "$0")/.."

echo "== format and lints"
cargo fmt --all -- --check
cargo clippy --workspace --all-targets --locked -- -D warnings

echo "== supply chain: cargo deny (advisories, licences, bans, sources; deny.toml)"
# A pinned cargo-deny, built from crates.io with its own lock file when missing.
DENY_VERSION=0.20.2
if ! cargo deny --version 2>/dev/null | grep -qx "cargo-deny $DENY_VERSION"; then
  echo "== installing cargo-deny $DENY_VERSION (cargo install --locked)"
  cargo install cargo-deny --version "$DENY_VERSION" --locked
fi
# The RustSec advisory database is a git repository on github.com. Where the network allows
# it, it is fetched fresh; where it does not (this project's sandboxed machines reach only the
# package registries), the last copy in $CARGO_HOME/advisory-dbs is used and its date shown;
# with no copy at all, advisories cannot be checked and the script says so loudly (the other
# checks still run and must pass).
DB_DIR="${CARGO_HOME:-$HOME/.cargo}/advisory-dbs"
if cargo deny fetch db >/dev/null 2>&1; then
  cargo deny --offline check
elif compgen -G "$DB_DIR/advisory-db-*/crates" >/dev/null; then
  for d in "$DB_DIR"/advisory-db-*/; do
    echo "warning: cannot fetch the advisory database; checking against the local copy of $(git -C "$d" log -1 --format=%cd 2>/dev/null || echo 'unknown date')"
  done
  cargo deny --offline check
else
  echo "WARNING: cannot fetch the RustSec advisory database and no local copy exists:"
  echo "WARNING: ADVISORIES ARE NOT CHECKED on this machine (licences, bans and sources are)."
  cargo deny --offline check bans licenses sources
fi

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

echo "== no panic linked into the control step (release build, about 20 s)"
./scripts/no-panic.sh

echo "== the Python package (openecmo) and its tests"
# A virtual environment of its own (.venv-test, git-ignored) with maturin, pytest, numpy,
# pyarrow and ray. The extension is built with the dev profile: its dependencies are compiled
# with the same settings as those `cargo test` above has just built (opt-level 2, line tables),
# so only the workspace crates are compiled again. (Not `--profile test`: cargo then builds the
# library as a test harness, an executable that Python cannot load.)
VENV="$PWD/.venv-test"
[ -x "$VENV/bin/python" ] || python3 -m venv "$VENV"
"$VENV/bin/python" -m pip install -q --disable-pip-version-check maturin pytest numpy pyarrow
# Ray is large; its test is skipped only where no wheel exists for this Python.
"$VENV/bin/python" -m pip install -q --disable-pip-version-check ray \
  || echo "note: ray could not be installed for $("$VENV/bin/python" --version); the Ray test is skipped"
VIRTUAL_ENV="$VENV" PATH="$VENV/bin:$PATH" maturin develop --locked -q
"$VENV/bin/python" -m pytest -q tests/python

echo "== browser tests of the web console (headless Chromium)"
# The ecmo binary `cargo test` just built (test profile: optimised) serves the console.
ECMO_BIN="$PWD/target/debug/ecmo" ./scripts/browser-tests.sh
