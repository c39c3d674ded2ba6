//! Exports the control core's entry points from a `no_std` shared library built in release
//! with LTO: the optimiser removes every panic it can prove unreachable, and
//! scripts/no-panic.sh fails if any call into `core::panicking` is left in the library. See
//! there for the method and its limits.
#![no_std]
#![allow(improper_ctypes_definitions)]

use control::hal::{ErrorType, Plant};
use control::{ActuatorCommands, Command, Config, Controller, ErrorKind, Output, SensorFrame};
use core::hint::black_box;

/// The panic handler a no_std library must have. scripts/no-panic.sh checks that nothing
/// exported reaches it: no call into `core::panicking` survives in the library.
#[panic_handler]
fn panic(_: &core::panic::PanicInfo) -> ! {
    loop {}
}

/// A new controller (the configuration is opaque to the optimiser).
#[unsafe(no_mangle)]
pub extern "C" fn nopanic_new(config: &Config, out: &mut Option<Controller>) {
    *out = Controller::new(black_box(*config)).ok();
}

/// A new controller with a per-circuit minimum VA speed (INT-6), both opaque to the optimiser.
#[unsafe(no_mangle)]
pub extern "C" fn nopanic_with_va_min_rpm(
    config: &Config,
    va_min_rpm: f32,
    out: &mut Option<Controller>,
) {
    *out = Controller::with_va_min_rpm(black_box(*config), black_box(va_min_rpm)).ok();
}

/// One step on any frame and up to `n` commands.
#[unsafe(no_mangle)]
pub extern "C" fn nopanic_step(
    c: &mut Controller,
    now_ms: u64,
    frame: &SensorFrame,
    commands: &[Command; 12],
    n: usize,
    out: &mut Output,
) {
    let n = black_box(n).min(commands.len());
    *out = c.step(now_ms, frame, &commands[..n]);
}

/// A plant whose readings and failures the optimiser cannot know.
struct Opaque;

impl ErrorType for Opaque {
    type Error = ErrorKind;
}

impl Plant for Opaque {
    fn sense(&mut self, now_ms: u64, frame: &mut SensorFrame) -> Result<(), ErrorKind> {
        *frame = black_box(*frame);
        frame.ui_heartbeat_ms = black_box(Some(now_ms));
        if black_box(false) {
            Err(ErrorKind::Timeout)
        } else {
            Ok(())
        }
    }
    fn actuate(&mut self, _: u64, commands: &ActuatorCommands) -> Result<(), ErrorKind> {
        black_box(commands);
        if black_box(false) {
            Err(ErrorKind::Bus)
        } else {
            Ok(())
        }
    }
}

/// One full control cycle through the plant interface.
#[unsafe(no_mangle)]
pub extern "C" fn nopanic_cycle(
    c: &mut Controller,
    now_ms: u64,
    frame: &mut SensorFrame,
    commands: &[Command; 8],
    out: &mut Output,
) {
    *out = c.cycle(now_ms, &mut Opaque, frame, commands);
}

/// What a console's queue asks before queueing a command.
#[unsafe(no_mangle)]
pub extern "C" fn nopanic_preview(c: &Controller, commands: &[Command; 8], ok: &mut bool) {
    *ok = matches!(c.preview(black_box(0), commands).1, Some(Ok(())));
}

/// The check's own proof that it fails when it should: indexing by a number the optimiser
/// cannot know keeps a bounds-check panic.
#[cfg(feature = "demo-panic")]
#[unsafe(no_mangle)]
pub extern "C" fn nopanic_demo(commands: &[Command; 8], i: usize) -> bool {
    matches!(commands[black_box(i)], Command::PauseAudio)
}
