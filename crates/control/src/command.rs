//! Operator commands, the settings they change, their permitted ranges, and why a command is
//! refused (CTL-8, ALM-6).
//!
//! Every setting has a permitted range in [`Setting::range`]; a command outside it, or not
//! finite, is refused with a [`CommandError`] naming the setting, the value and the range, and
//! the controller's state is left unchanged. Pairs that must stay ordered (low/high limits,
//! sweep bounds) are checked against each other.

use crate::alarm::{AckError, AlarmId};
use core::fmt;

/// Pump control mode.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Mode {
    /// Pump stopped, return line clamped (CTL-2).
    Standby,
    /// Pump speed follows the RPM target (CTL-3).
    Rpm,
    /// Pump speed closed-loop on measured flow to the flow target (CTL-4).
    Flow,
    /// Net circuit flow held at zero for VA weaning trials (CTL-5).
    ZeroFlow,
}

/// Sweep gas control mode.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum GasMode {
    /// Sweep as set by the operator (CTL-9).
    Manual,
    /// Sweep adjusted slowly to hold the post-oxygenator PCO2 target (CTL-10).
    AutoPco2,
}

/// How the circuit is connected to the patient; decides whether backflow is possible.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum CircuitKind {
    /// Veno-venous: both ends on the venous side, no arterial pressure to drive backflow.
    Vv,
    /// Veno-arterial: arterial pressure drives retrograde flow through a slow pump (INT-4).
    Va,
}

/// Automatic interventions (INT-5: each can be switched on or off and has its own limit).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[repr(u8)]
pub enum Intervention {
    /// Drainage pressure below limit → reduce speed stepwise (INT-1). Limit: mmHg.
    Suction = 0,
    /// Post-oxygenator pressure above limit → reduce speed (INT-2). Limit: mmHg.
    ReturnPressure,
    /// Air at the bubble detector → stop and clamp (INT-3). No limit.
    Bubble,
    /// Retrograde flow in VA → hold a minimum speed (INT-4). Limit: minimum speed, rpm.
    Backflow,
}

impl Intervention {
    pub const COUNT: usize = 4;
    pub const ALL: [Intervention; 4] = [
        Intervention::Suction,
        Intervention::ReturnPressure,
        Intervention::Bubble,
        Intervention::Backflow,
    ];
    pub const fn index(self) -> usize {
        self as usize
    }
}

/// Adjustable alarm limits (ALM-6).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[repr(u8)]
pub enum AlarmLimit {
    /// Low circuit flow, L/min.
    FlowLow = 0,
    /// High circuit flow, L/min.
    FlowHigh,
    /// Oxygenator ΔP high, mmHg.
    DeltaPHigh,
    /// Oxygenator ΔP rise over the trend window, mmHg per hour.
    DeltaPRisePerHour,
    /// Post-oxygenator SO2 low, %.
    PostOxySo2Low,
    /// Post-oxygenator PO2 low, mmHg.
    PostOxyPo2Low,
    /// Temperature low, °C.
    TemperatureLow,
    /// Temperature high, °C.
    TemperatureHigh,
    /// Upper-body SaO2 low, %.
    SaO2UpperLow,
    /// Battery low, fraction.
    BatteryLow,
    /// Flow versus pump-curve disagreement, L/min.
    FlowMismatch,
}

impl AlarmLimit {
    pub const COUNT: usize = 11;
    pub const ALL: [AlarmLimit; 11] = [
        AlarmLimit::FlowLow,
        AlarmLimit::FlowHigh,
        AlarmLimit::DeltaPHigh,
        AlarmLimit::DeltaPRisePerHour,
        AlarmLimit::PostOxySo2Low,
        AlarmLimit::PostOxyPo2Low,
        AlarmLimit::TemperatureLow,
        AlarmLimit::TemperatureHigh,
        AlarmLimit::SaO2UpperLow,
        AlarmLimit::BatteryLow,
        AlarmLimit::FlowMismatch,
    ];
    pub const fn index(self) -> usize {
        self as usize
    }
}

/// One operator command.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Command {
    SetMode(Mode),
    /// RPM-mode target, rpm.
    SetRpmTarget(f32),
    /// Flow-mode target, L/min.
    SetFlowTarget(f32),
    /// Manual sweep gas flow, L/min.
    SetSweep(f32),
    /// Fraction of O2 in the sweep gas, 0.21..1.
    SetFdO2(f32),
    SetGasMode(GasMode),
    /// Automatic sweep: post-oxygenator PCO2 target, mmHg.
    SetPco2Target(f32),
    /// Automatic sweep: bounds within which it may move, L/min.
    SetSweepBounds {
        min: f32,
        max: f32,
    },
    /// Heater water set point, °C.
    SetHeater(f32),
    /// Operator clamp of the return line (true = clamped). Overrides the pump's flow.
    SetReturnClamp(bool),
    /// VV or VA; only in standby.
    SetCircuit(CircuitKind),
    SetIntervention {
        which: Intervention,
        enabled: bool,
    },
    SetInterventionLimit {
        which: Intervention,
        value: f32,
    },
    SetAlarmLimit {
        limit: AlarmLimit,
        value: f32,
    },
    Acknowledge(AlarmId),
    AcknowledgeAll,
    /// Pause audio for 120 s (ALM-5).
    PauseAudio,
    /// Deliberate restart after a bubble stop (INT-3): refused while air is still detected.
    RestartAfterBubble,
}

/// An adjustable number, for errors and the console's range display.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Setting {
    RpmTarget,
    FlowTarget,
    Sweep,
    FdO2,
    Pco2Target,
    SweepMin,
    SweepMax,
    Heater,
    InterventionLimit(Intervention),
    AlarmLimit(AlarmLimit),
}

impl Setting {
    /// Permitted range `(min, max)`, inclusive. Sources in comments.
    pub const fn range(self) -> (f32, f32) {
        match self {
            // Cardiohelp-class console: speed 0–5025 rpm (consoles-and-standards.md).
            Setting::RpmTarget => (0.0, 5000.0),
            // Cardiohelp requested flow 0–9.99 L/min; adult circuits run ≤ 8 (circuit.md).
            Setting::FlowTarget => (0.0, 8.0),
            // Adult blenders 0–10 L/min; ELSO starts sweep ~1:1 with blood flow (patient.md).
            Setting::Sweep | Setting::SweepMin | Setting::SweepMax => (0.0, 12.0),
            // Air to pure O2.
            Setting::FdO2 => (0.21, 1.0),
            // Post-oxygenator PCO2 ~25 at baseline (Park 2013); below 20 risks hypocapnia,
            // above 60 defeats the purpose.
            Setting::Pco2Target => (20.0, 60.0),
            // Heater water 33–39 °C: never hotter than blood may be warmed (≤ 40 °C).
            Setting::Heater => (33.0, 39.0),
            // Drainage suction limit: −300 is the floor of safe practice, −20 is barely negative
            // (patient.md: alarm at −100, do not go beyond −300).
            Setting::InterventionLimit(Intervention::Suction) => (-300.0, -20.0),
            // Post-oxygenator pressure limit: normal 150–300 mmHg at 4–5 L/min.
            Setting::InterventionLimit(Intervention::ReturnPressure) => (100.0, 500.0),
            Setting::InterventionLimit(Intervention::Bubble) => (0.0, 0.0),
            // Minimum VA speed: Rotaflow head at zero flow is 44 mmHg at 1500 rpm and
            // 269 mmHg at 3000 rpm (circuit.md), spanning every plausible MAP.
            Setting::InterventionLimit(Intervention::Backflow) => (1000.0, 3500.0),
            Setting::AlarmLimit(l) => match l {
                AlarmLimit::FlowLow => (0.0, 8.0),
                AlarmLimit::FlowHigh => (0.5, 10.0),
                // Normal PMP ΔP 10–50 mmHg at 4–5 L/min (circuit.md).
                AlarmLimit::DeltaPHigh => (20.0, 150.0),
                AlarmLimit::DeltaPRisePerHour => (1.0, 50.0),
                AlarmLimit::PostOxySo2Low => (70.0, 100.0),
                AlarmLimit::PostOxyPo2Low => (50.0, 500.0),
                // Cardiohelp temperature range 10–45 °C; therapeutic hypothermia down to 32.
                AlarmLimit::TemperatureLow => (30.0, 37.5),
                AlarmLimit::TemperatureHigh => (36.0, 40.0),
                AlarmLimit::SaO2UpperLow => (70.0, 100.0),
                AlarmLimit::BatteryLow => (0.15, 0.9),
                AlarmLimit::FlowMismatch => (0.3, 3.0),
            },
        }
    }

    /// Name for messages.
    pub const fn name(self) -> &'static str {
        match self {
            Setting::RpmTarget => "RPM target",
            Setting::FlowTarget => "flow target",
            Setting::Sweep => "sweep gas flow",
            Setting::FdO2 => "FdO2",
            Setting::Pco2Target => "PCO2 target",
            Setting::SweepMin => "minimum sweep",
            Setting::SweepMax => "maximum sweep",
            Setting::Heater => "heater set point",
            Setting::InterventionLimit(Intervention::Suction) => "suction limit",
            Setting::InterventionLimit(Intervention::ReturnPressure) => "return pressure limit",
            Setting::InterventionLimit(Intervention::Bubble) => "bubble intervention",
            Setting::InterventionLimit(Intervention::Backflow) => "minimum VA speed",
            Setting::AlarmLimit(l) => match l {
                AlarmLimit::FlowLow => "low flow limit",
                AlarmLimit::FlowHigh => "high flow limit",
                AlarmLimit::DeltaPHigh => "oxygenator ΔP limit",
                AlarmLimit::DeltaPRisePerHour => "oxygenator ΔP rise limit",
                AlarmLimit::PostOxySo2Low => "post-oxygenator SO2 limit",
                AlarmLimit::PostOxyPo2Low => "post-oxygenator PO2 limit",
                AlarmLimit::TemperatureLow => "low temperature limit",
                AlarmLimit::TemperatureHigh => "high temperature limit",
                AlarmLimit::SaO2UpperLow => "upper-body SaO2 limit",
                AlarmLimit::BatteryLow => "battery limit",
                AlarmLimit::FlowMismatch => "flow mismatch tolerance",
            },
        }
    }

    /// Unit for messages.
    pub const fn unit(self) -> &'static str {
        match self {
            Setting::RpmTarget | Setting::InterventionLimit(Intervention::Backflow) => "rpm",
            Setting::FlowTarget | Setting::Sweep | Setting::SweepMin | Setting::SweepMax => "L/min",
            Setting::FdO2 => "fraction",
            Setting::Pco2Target => "mmHg",
            Setting::Heater => "°C",
            Setting::InterventionLimit(_) => "mmHg",
            Setting::AlarmLimit(l) => match l {
                AlarmLimit::FlowLow | AlarmLimit::FlowHigh | AlarmLimit::FlowMismatch => "L/min",
                AlarmLimit::DeltaPHigh | AlarmLimit::PostOxyPo2Low => "mmHg",
                AlarmLimit::DeltaPRisePerHour => "mmHg/h",
                AlarmLimit::PostOxySo2Low | AlarmLimit::SaO2UpperLow => "%",
                AlarmLimit::TemperatureLow | AlarmLimit::TemperatureHigh => "°C",
                AlarmLimit::BatteryLow => "fraction",
            },
        }
    }

    /// Check `value` against the permitted range.
    pub fn check(self, value: f32) -> Result<f32, CommandError> {
        if !value.is_finite() {
            return Err(CommandError::NotFinite { setting: self });
        }
        let (min, max) = self.range();
        if value < min || value > max {
            return Err(CommandError::OutOfRange {
                setting: self,
                value,
                min,
                max,
            });
        }
        Ok(value)
    }
}

/// Why a command was refused. The controller's state is unchanged when a command is refused.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum CommandError {
    /// NaN or infinite.
    NotFinite { setting: Setting },
    /// Outside the permitted range.
    OutOfRange {
        setting: Setting,
        value: f32,
        min: f32,
        max: f32,
    },
    /// Would put two settings in the wrong order (e.g. low flow limit above high flow limit).
    Conflict {
        setting: Setting,
        other: Setting,
        value: f32,
        other_value: f32,
    },
    /// Not allowed in the current state; the reason says why.
    NotAllowed { reason: &'static str },
    /// Acknowledge refused.
    Ack(AckError),
    /// More commands in one step than [`crate::MAX_COMMANDS_PER_STEP`].
    TooManyCommands,
}

impl fmt::Display for CommandError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match *self {
            CommandError::NotFinite { setting } => {
                write!(f, "{}: value is not a finite number", setting.name())
            }
            CommandError::OutOfRange {
                setting,
                value,
                min,
                max,
            } => write!(
                f,
                "{}: {} {} is outside the permitted range {} to {} {}",
                setting.name(),
                value,
                setting.unit(),
                min,
                max,
                setting.unit()
            ),
            CommandError::Conflict {
                setting,
                other,
                value,
                other_value,
            } => write!(
                f,
                "{} {} {} conflicts with {} {} {}",
                setting.name(),
                value,
                setting.unit(),
                other.name(),
                other_value,
                other.unit()
            ),
            CommandError::NotAllowed { reason } => write!(f, "not allowed: {reason}"),
            CommandError::Ack(AckError::NotSignalled(id)) => {
                write!(f, "alarm {id:?} is not signalled: nothing to acknowledge")
            }
            CommandError::Ack(AckError::NotSilenceable(id)) => {
                write!(f, "alarm {id:?} cannot be silenced")
            }
            CommandError::TooManyCommands => write!(
                f,
                "more than {} commands in one control step",
                crate::MAX_COMMANDS_PER_STEP
            ),
        }
    }
}
