//! # control — the console's control and safety core
//!
//! What it is: the code between the sensors and the actuators of an ECMO console. Once per
//! control period [`Controller::step`] takes a [`SensorFrame`] (every reading with a validity
//! flag and a time stamp) and the operator's [`Command`]s, and answers with
//! [`ActuatorCommands`] (pump speed, return clamp, sweep gas, FdO2, heater) and the state of
//! the IEC 60601-1-8 alarm system ([`alarm`]). The same code runs against the digital twin
//! (crate `sil`) and would run on the pump controller's microcontroller.
//!
//! Invariants (each a safety requirement with an ID, see docs/hazards.md):
//! - `#![no_std]`, no heap, no dependencies: a step allocates nothing (CTL-7); all state is
//!   fixed-size and `Clone`.
//! - No panics: no indexing that can fail, no `unwrap`, no division without a guarded divisor;
//!   any input, NaN and infinities included, gives finite outputs within the actuator ranges
//!   (CTL-6). Checked by property tests.
//! - Bounded time per step: loops run over fixed tables (channels, alarms, the log) or over the
//!   command slice, which is capped at [`MAX_COMMANDS_PER_STEP`].
//! - Operator commands are validated against permitted ranges; a refused command changes
//!   nothing and says what and why ([`CommandError`], CTL-8).
//! - A failed screen never stops the pump: heartbeat loss only raises an alarm (SYS-1).
//!
//! What it does not do: no I/O, no clock (the caller passes `now_ms`), no persistence (the host
//! drains the alarm log by sequence number), no display (it reports alarm priority and audio
//! state; drawing and sound belong to the console). Numbers are `f32`: the target
//! microcontrollers (Cortex-M4F/M7 class) have a single-precision FPU, and every quantity here
//! needs at most 4 significant digits.

#![no_std]
#![forbid(unsafe_code)]

pub mod alarm;
pub mod command;
pub mod controller;
pub mod frame;
pub mod hal;
pub mod plausibility;
pub mod pump_curve;

pub use alarm::{
    ALARM_TABLE, AlarmId, AlarmKind, AlarmLog, AlarmSet, AlarmSpec, AlarmState, AlarmSummary,
    AlarmSystem, AudioState, LogEntry, LogEvent, Phase, Priority,
};
pub use command::{
    ACTIONS, Action, AlarmLimit, CircuitKind, Command, CommandError, GasMode, Group, Intervention,
    MODES, Mode, Named, SETTINGS, SWITCHES, Setting, SettingSpec, Switch, SwitchSpec,
};
pub use controller::{
    CommandResults, Config, ConfigError, Controller, InterventionSetting, Output, Settings, Status,
};
pub use frame::{Channel, Flag, Reading, SensorFrame};
pub use hal::{ActuatorCommands, Actuators, Error, ErrorKind, ErrorType, Plant, SensorSource};
pub use plausibility::{ChannelSet, Fault};
pub use pump_curve::PumpCurve;

#[cfg(test)]
mod tests;

/// `x` clamped into `[lo, hi]` exactly as `f32::clamp` does, without its panic when `lo > hi`
/// or either is NaN (then `hi` wins). For bounds that validation or the model keep ordered but
/// the compiler cannot know to be (the operator's sweep bounds, the pump curve's knee): the
/// link-time no-panic check (scripts/no-panic.sh) found `f32::clamp`'s assertion there as the
/// control step's only panic paths.
pub(crate) fn clamp_between(x: f32, lo: f32, hi: f32) -> f32 {
    let mut y = x;
    if y < lo {
        y = lo;
    }
    if y > hi {
        y = hi;
    }
    y
}

/// Control period, ms (CTL-1): 100 Hz.
///
/// Why 100 Hz: the fastest hazard is air reaching the patient. A bubble detector sits ~0.5–1 m
/// upstream of the return cannula; at 5 L/min in 3/8″ tubing (71 mm²) blood moves ~1.2 m/s, so
/// the pump must stop and the clamp close within a few hundred ms. A 10 ms period adds at most
/// 10 ms to the clamp's own closing time (tens of ms). Pump speed and pressure dynamics
/// (motor time constant ~0.1–0.5 s, flow loop bandwidth ~0.1 Hz) are sampled more than 10×
/// faster than they move. The twin's fast step is 2 ms, so one control period is exactly five
/// twin steps. A faster rate would buy nothing and cost CPU on the target.
pub const CONTROL_PERIOD_MS: u64 = 10;
/// Control rate, Hz.
pub const CONTROL_RATE_HZ: u32 = 100;
/// Compute budget of one step, µs: a step reported slower than this missed its deadline
/// (SYS-2). One fifth of the period leaves the rest for acquisition, actuation and I/O.
pub const STEP_DEADLINE_US: u32 = 2_000;
/// The operator interface must prove it is alive at least this often, ms (SYS-1). Three
/// seconds: longer than any UI hiccup (garbage collection, re-render), short enough that a
/// frozen screen is noticed before anything else goes unseen.
pub const UI_HEARTBEAT_TIMEOUT_MS: u64 = 3_000;
/// Most commands accepted in one step; more are refused with
/// [`CommandError::TooManyCommands`].
pub const MAX_COMMANDS_PER_STEP: usize = 8;
/// Highest pump speed the controller ever commands, rpm (Cardiohelp-class drive: 0–5025 rpm).
pub const MAX_RPM: f32 = 5000.0;
