#!/usr/bin/env bash
# Link-time proof that no panic path is linked into the control core's entry points
# (Controller::new, step, cycle through a Plant, preview) on the host target, in a release
# build with panic = "abort" and LTO (issue 13; the `control` invariant "never panics").
#
# Method: crates/control/nopanic is a no_std shared library that exports those entry points,
# with inputs the optimiser must treat as unknown (core::hint::black_box). Every panic in Rust
# (panic!, unwrap, expect, a failed bounds check, an assertion, f32::clamp's min <= max check)
# ends in a call to a function of core::panicking; the optimiser removes those it proves
# unreachable and --gc-sections drops what nothing calls. The check disassembles the linked
# library and fails if any call or jump into core::panicking, or to the panic handler, remains.
# A second build adds a function that can panic (feature demo-panic) and must fail, so that a
# check that can no longer fail is noticed.
#
# Limits: it covers this optimised build on this target, not a debug build (overflow checks and
# debug assertions add panics there) nor the Cortex-M target; a panic the optimiser cannot
# remove but that can never happen still fails it (then restructure the code so that the
# compiler can see it, as clamp_between in controller/mod.rs does); it covers what the exported
# functions reach and nothing else of the crate.
set -euo pipefail
cd "$(dirname "$0")/../crates/control/nopanic"
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$PWD/../../../target}/nopanic"
# memcpy and friends come from the C library, which a no_std library does not link by itself.
export RUSTFLAGS="-C link-arg=-lc"
unset RUSTC_WRAPPER
lib="$CARGO_TARGET_DIR/release/libcontrol_nopanic.so"

# Calls and jumps into core::panicking or the panic handler, one per line.
panics() {
  objdump -d --no-show-raw-insn -C "$lib" | awk '
    /^[0-9a-f]+ <.*>:$/ { fn = $0 }
    /(call|jmp).*<(core::panicking::|__rustc::rust_begin_unwind|rust_begin_unwind)/ {
      if (fn !~ /<core::panicking::/ && fn !~ /@plt>:$/) print fn " -> " $NF
    }'
}

echo "== no-panic: control step, cycle and preview (release, panic=abort, LTO)"
cargo build --release --quiet --locked
for sym in nopanic_step nopanic_cycle nopanic_preview nopanic_new; do
  nm -D --defined-only "$lib" | grep -q " $sym$" || { echo "FAIL: $sym not exported"; exit 1; }
done
found=$(panics)
if [ -n "$found" ]; then
  echo "FAIL: a panic path is linked into the control step:"; echo "$found"; exit 1
fi
echo "ok: no panic reachable from the control step"

echo "== no-panic: the check itself fails on a function that can panic"
cargo build --release --quiet --locked --features demo-panic
found=$(panics)
if [ -z "$found" ]; then
  echo "FAIL: the demo panic was not found; the check cannot fail"; exit 1
fi
echo "ok: a reachable panic is found ($found)"
cargo build --release --quiet --locked
