#!/usr/bin/env bash
# Mutation testing of the control core (issue 13; docs/control-mutants.md): cargo-mutants
# changes the code of crates/control one mutant at a time (a deleted branch, a flipped
# comparison, a constant return) and runs the crate's own tests; every viable mutant must be
# caught, or be listed as equivalent in docs/control-mutants.md with the reason.
#
# Usage: ./scripts/mutants.sh [FILE...]   (default: the whole crate; e.g.
#        ./scripts/mutants.sh crates/control/src/alarm.rs)
# About 1000 mutants, 2-15 s each: 1 to 3 hours on 2 cores, so it is not part of
# scripts/test.sh (which must fit 30 minutes); run it before a release and after changing
# crates/control. Results in mutants.out/ (missed.txt lists the survivors).
set -euo pipefail
cd "$(dirname "$0")/.."
command -v cargo-mutants >/dev/null || cargo install cargo-mutants --locked
args=()
for f in "$@"; do args+=(-f "$f"); done
# Only the crate's own tests (unit and integration, not doc tests): a mutant of the safety core
# must be caught by the safety core's tests.
exec cargo mutants -p control "${args[@]}" -j "${MUTANTS_JOBS:-2}" --timeout 120 -o mutants.out -- --lib --tests
