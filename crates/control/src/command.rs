//! Operator commands, the settings they change, their permitted ranges, and why a command is
//! refused (CTL-8, ALM-6).
//!
//! The operator's vocabulary is defined here, once, as const tables: every adjustable number
//! ([`SETTINGS`]: name, label, unit, range, step, how a screen shows it), every switch
//! ([`SWITCHES`]), pump mode ([`MODES`]) and one-shot command ([`ACTIONS`]). Scenario files,
//! training actions, the console's API and page (served the tables as JSON) and the docs read
//! them; nothing else spells a setting's name or range.
//!
//! Every setting has a permitted range in its row; a command outside it, or not finite, is
//! refused with a [`CommandError`] naming the setting, the value and the range, and the
//! controller's state is left unchanged. Pairs that must stay ordered (low/high limits, sweep
//! bounds) are checked against each other.

use crate::alarm::{AckError, AlarmId};
use crate::controller::Settings;
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
    /// VA: arterial pulse pressure low, mmHg (MON-11).
    PulsePressureLow,
}

impl AlarmLimit {
    pub const COUNT: usize = 12;
    pub const ALL: [AlarmLimit; 12] = [
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
        AlarmLimit::PulsePressureLow,
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

/// An adjustable number. Its name, label, unit, range and step are in [`SETTINGS`].
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

/// Where a setting sits on a screen and in a scenario's `[settings]`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Group {
    /// Pump and gas targets.
    Control,
    /// An automatic intervention's limit.
    Intervention,
    /// An alarm limit (`[settings.alarm_limits]` in a scenario).
    Alarm,
}

impl Group {
    pub const fn name(self) -> &'static str {
        match self {
            Group::Control => "control",
            Group::Intervention => "intervention",
            Group::Alarm => "alarm",
        }
    }
}

/// One adjustable number, as the table describes it.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct SettingSpec {
    pub setting: Setting,
    /// Its name in files, on the wire and in the page: `sweep_lpm`.
    pub name: &'static str,
    /// Its name for people and in refusals: `Sweep gas flow`.
    pub label: &'static str,
    /// The unit of the value everywhere in code, files and the API (`fraction` for FdO2).
    pub unit: &'static str,
    /// Permitted range, inclusive. Written as f64 so that an edge crate reads the decimal as
    /// written (0.21, not 0.2099999…); the controller compares in f32 ([`Setting::range`]).
    pub min: f64,
    pub max: f64,
    /// The increment a screen offers, in `unit`.
    pub step: f64,
    /// How a screen shows it: `value × display_scale` in `display_unit` (a fraction as a
    /// percent). A presentation choice of the page only.
    pub display_unit: &'static str,
    pub display_scale: f64,
    pub group: Group,
}

const fn num(
    setting: Setting,
    name: &'static str,
    label: &'static str,
    unit: &'static str,
    (min, max): (f64, f64),
    step: f64,
    group: Group,
) -> SettingSpec {
    SettingSpec {
        setting,
        name,
        label,
        unit,
        min,
        max,
        step,
        display_unit: unit,
        display_scale: 1.0,
        group,
    }
}

impl SettingSpec {
    /// The same row with its value a fraction, shown on a screen as a percent.
    const fn percent(self) -> SettingSpec {
        SettingSpec {
            unit: "fraction",
            display_unit: "%",
            display_scale: 100.0,
            ..self
        }
    }
}

use AlarmLimit as AL;
use Group::{Alarm, Control, Intervention as Int};
use Setting as S;

/// The settings table: every adjustable number, in the order of [`Setting::index`]. Experiment
/// and scenario files, training actions, the console's API and page and the docs read it; the
/// controller checks every command against it ([`Setting::check`]). Sources of the ranges in
/// the comments.
///
/// Adding a setting: a [`Setting`] variant, its arm in [`Setting::index`], one row here (at
/// that index), and what it does in the controller; [`Setting::current`] and
/// [`Setting::command`] say how it is read and set (the compiler points there).
pub const SETTINGS: [SettingSpec; Setting::COUNT] = [
    // Cardiohelp-class console: speed 0–5025 rpm (consoles-and-standards.md).
    num(
        S::RpmTarget,
        "rpm",
        "RPM target",
        "rpm",
        (0.0, 5000.0),
        50.0,
        Control,
    ),
    // Cardiohelp requested flow 0–9.99 L/min; adult circuits run ≤ 8 (circuit.md).
    num(
        S::FlowTarget,
        "flow_lpm",
        "Flow target",
        "L/min",
        (0.0, 8.0),
        0.1,
        Control,
    ),
    // Adult blenders 0–10 L/min; ELSO starts sweep ~1:1 with blood flow (patient.md).
    num(
        S::Sweep,
        "sweep_lpm",
        "Sweep gas flow",
        "L/min",
        (0.0, 12.0),
        0.1,
        Control,
    ),
    // Air to pure O2.
    num(S::FdO2, "fdo2", "FdO2", "", (0.21, 1.0), 0.01, Control).percent(),
    // Post-oxygenator PCO2 ~25 at baseline (Park 2013); below 20 risks hypocapnia, above 60
    // defeats the purpose.
    num(
        S::Pco2Target,
        "pco2_target_mmhg",
        "PCO2 target",
        "mmHg",
        (20.0, 60.0),
        1.0,
        Control,
    ),
    num(
        S::SweepMin,
        "sweep_min_lpm",
        "Minimum sweep",
        "L/min",
        (0.0, 12.0),
        0.1,
        Control,
    ),
    num(
        S::SweepMax,
        "sweep_max_lpm",
        "Maximum sweep",
        "L/min",
        (0.0, 12.0),
        0.1,
        Control,
    ),
    // Heater water 33–39 °C: never hotter than blood may be warmed (≤ 40 °C).
    num(
        S::Heater,
        "heater_c",
        "Heater set point",
        "°C",
        (33.0, 39.0),
        0.1,
        Control,
    ),
    // Drainage suction limit: −300 is the floor of safe practice, −20 is barely negative
    // (patient.md: alarm at −100, do not go beyond −300).
    num(
        S::InterventionLimit(Intervention::Suction),
        "suction_limit_mmhg",
        "Suction limit",
        "mmHg",
        (-300.0, -20.0),
        5.0,
        Int,
    ),
    // Post-oxygenator pressure limit: normal 150–300 mmHg at 4–5 L/min.
    num(
        S::InterventionLimit(Intervention::ReturnPressure),
        "return_pressure_limit_mmhg",
        "Return pressure limit",
        "mmHg",
        (100.0, 500.0),
        5.0,
        Int,
    ),
    // The bubble intervention has no limit: an empty range refuses every value.
    num(
        S::InterventionLimit(Intervention::Bubble),
        "bubble_limit",
        "Bubble intervention (no limit)",
        "-",
        (0.0, 0.0),
        0.0,
        Int,
    ),
    // Minimum VA speed: the Rotaflow-class zero-flow head (with the low-flow recirculation term)
    // is 30 mmHg at 1000 rpm, 120 at 2000 and 366 at 3500 (circuit.md), spanning every
    // plausible MAP from a neonate's to a hypertensive adult's. The power-up default is the
    // adult's 2000 rpm; a paediatric circuit sets its own when configured, and the measured
    // arterial pressure raises the floor above it (INT-6).
    num(
        S::InterventionLimit(Intervention::Backflow),
        "backflow_min_rpm",
        "Minimum VA speed",
        "rpm",
        (1000.0, 3500.0),
        50.0,
        Int,
    ),
    num(
        S::AlarmLimit(AL::FlowLow),
        "flow_low",
        "Low flow limit",
        "L/min",
        (0.0, 8.0),
        0.1,
        Alarm,
    ),
    num(
        S::AlarmLimit(AL::FlowHigh),
        "flow_high",
        "High flow limit",
        "L/min",
        (0.5, 10.0),
        0.1,
        Alarm,
    ),
    // Normal PMP ΔP 10–50 mmHg at 4–5 L/min (circuit.md).
    num(
        S::AlarmLimit(AL::DeltaPHigh),
        "delta_p_high",
        "Oxygenator ΔP limit",
        "mmHg",
        (20.0, 150.0),
        1.0,
        Alarm,
    ),
    num(
        S::AlarmLimit(AL::DeltaPRisePerHour),
        "delta_p_rise_per_hour",
        "Oxygenator ΔP rise limit",
        "mmHg/h",
        (1.0, 50.0),
        1.0,
        Alarm,
    ),
    num(
        S::AlarmLimit(AL::PostOxySo2Low),
        "post_oxy_so2_low",
        "Post-oxygenator SO2 limit",
        "%",
        (70.0, 100.0),
        1.0,
        Alarm,
    ),
    num(
        S::AlarmLimit(AL::PostOxyPo2Low),
        "post_oxy_po2_low",
        "Post-oxygenator PO2 limit",
        "mmHg",
        (50.0, 500.0),
        1.0,
        Alarm,
    ),
    // Cardiohelp temperature range 10–45 °C; therapeutic hypothermia down to 32.
    num(
        S::AlarmLimit(AL::TemperatureLow),
        "temperature_low",
        "Low temperature limit",
        "°C",
        (30.0, 37.5),
        0.1,
        Alarm,
    ),
    num(
        S::AlarmLimit(AL::TemperatureHigh),
        "temperature_high",
        "High temperature limit",
        "°C",
        (36.0, 40.0),
        0.1,
        Alarm,
    ),
    num(
        S::AlarmLimit(AL::SaO2UpperLow),
        "sao2_upper_low",
        "Upper-body SaO2 limit",
        "%",
        (70.0, 100.0),
        1.0,
        Alarm,
    ),
    num(
        S::AlarmLimit(AL::BatteryLow),
        "battery_low",
        "Battery limit",
        "",
        (0.15, 0.9),
        0.01,
        Alarm,
    )
    .percent(),
    num(
        S::AlarmLimit(AL::FlowMismatch),
        "flow_mismatch",
        "Flow mismatch tolerance",
        "L/min",
        (0.3, 3.0),
        0.1,
        Alarm,
    ),
    // Loss of arterial pulsatility on VA is a pulse pressure below 10–15 mmHg (Morimoto and
    // Paul, "Everything ECMO 041: loss of arterial pulsatility", intensiveblog.com; listed in
    // docs/sources.md); 3 mmHg is about the noise of a flat line, 30 already alarms on a weak
    // but ejecting heart.
    num(
        S::AlarmLimit(AL::PulsePressureLow),
        "pulse_pressure_low",
        "VA arterial pulse pressure limit",
        "mmHg",
        (3.0, 30.0),
        1.0,
        Alarm,
    ),
];

impl Setting {
    pub const COUNT: usize = 8 + Intervention::COUNT + AlarmLimit::COUNT;

    /// Its row in [`SETTINGS`].
    pub const fn index(self) -> usize {
        match self {
            Setting::RpmTarget => 0,
            Setting::FlowTarget => 1,
            Setting::Sweep => 2,
            Setting::FdO2 => 3,
            Setting::Pco2Target => 4,
            Setting::SweepMin => 5,
            Setting::SweepMax => 6,
            Setting::Heater => 7,
            Setting::InterventionLimit(i) => 8 + i.index(),
            Setting::AlarmLimit(l) => 8 + Intervention::COUNT + l.index(),
        }
    }

    /// Its row of the table.
    pub const fn spec(self) -> &'static SettingSpec {
        // `index` is below COUNT for every variant (a unit test checks each row's setting), so
        // the fallback is never taken; it keeps this free of a panic path.
        let i = self.index();
        if i < Setting::COUNT {
            &SETTINGS[i]
        } else {
            &SETTINGS[0]
        }
    }

    /// Permitted range `(min, max)`, inclusive, as the controller compares.
    pub const fn range(self) -> (f32, f32) {
        let s = self.spec();
        (s.min as f32, s.max as f32)
    }

    /// Name in files, on the wire and in the page.
    pub const fn name(self) -> &'static str {
        self.spec().name
    }

    /// Name for people and in refusals.
    pub const fn label(self) -> &'static str {
        self.spec().label
    }

    /// Unit of the value.
    pub const fn unit(self) -> &'static str {
        self.spec().unit
    }

    pub fn by_name(name: &str) -> Option<Setting> {
        SETTINGS.iter().find(|s| s.name == name).map(|s| s.setting)
    }

    /// The value in force in `s`.
    pub fn current(self, s: &Settings) -> f32 {
        match self {
            Setting::RpmTarget => s.rpm_target,
            Setting::FlowTarget => s.flow_target,
            Setting::Sweep => s.sweep_lpm,
            Setting::FdO2 => s.fdo2,
            Setting::Pco2Target => s.pco2_target,
            Setting::SweepMin => s.sweep_min,
            Setting::SweepMax => s.sweep_max,
            Setting::Heater => s.heater_c,
            Setting::InterventionLimit(i) => s.intervention(i).limit,
            Setting::AlarmLimit(l) => s.alarm_limit(l),
        }
    }

    /// The command that sets it to `value`, given the settings in force (the sweep bounds are
    /// set as a pair, the other bound kept).
    pub fn command(self, value: f32, s: &Settings) -> Command {
        match self {
            Setting::RpmTarget => Command::SetRpmTarget(value),
            Setting::FlowTarget => Command::SetFlowTarget(value),
            Setting::Sweep => Command::SetSweep(value),
            Setting::FdO2 => Command::SetFdO2(value),
            Setting::Pco2Target => Command::SetPco2Target(value),
            Setting::Heater => Command::SetHeater(value),
            Setting::SweepMin => Command::SetSweepBounds {
                min: value,
                max: s.sweep_max,
            },
            Setting::SweepMax => Command::SetSweepBounds {
                min: s.sweep_min,
                max: value,
            },
            Setting::InterventionLimit(which) => Command::SetInterventionLimit { which, value },
            Setting::AlarmLimit(limit) => Command::SetAlarmLimit { limit, value },
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

/// An on/off setting the operator switches.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Switch {
    /// Operator clamp of the return line (on = clamped).
    ReturnClamp,
    /// Automatic sweep on the PCO2 target (on) or manual sweep (off).
    AutoSweep,
    /// An automatic intervention enabled (on) or not.
    Intervention(Intervention),
}

/// One switch, as the table describes it.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct SwitchSpec {
    pub switch: Switch,
    /// Name in files, on the wire and in the page (`[settings.interventions]` in a scenario
    /// for the interventions).
    pub name: &'static str,
    pub label: &'static str,
    pub group: Group,
}

const fn switch(
    switch: Switch,
    name: &'static str,
    label: &'static str,
    group: Group,
) -> SwitchSpec {
    SwitchSpec {
        switch,
        name,
        label,
        group,
    }
}

/// The switches table, in the order of [`Switch::index`].
pub const SWITCHES: [SwitchSpec; Switch::COUNT] = [
    switch(
        Switch::ReturnClamp,
        "return_clamp",
        "Return line clamp",
        Control,
    ),
    switch(
        Switch::AutoSweep,
        "auto_sweep",
        "Automatic sweep (PCO2 target)",
        Control,
    ),
    switch(
        Switch::Intervention(Intervention::Suction),
        "suction",
        "Suction: reduce speed",
        Int,
    ),
    switch(
        Switch::Intervention(Intervention::ReturnPressure),
        "return_pressure",
        "Return pressure: reduce speed",
        Int,
    ),
    switch(
        Switch::Intervention(Intervention::Bubble),
        "bubble",
        "Bubble: stop and clamp",
        Int,
    ),
    switch(
        Switch::Intervention(Intervention::Backflow),
        "backflow",
        "Backflow guard (VA)",
        Int,
    ),
];

impl Switch {
    pub const COUNT: usize = 2 + Intervention::COUNT;

    pub const fn index(self) -> usize {
        match self {
            Switch::ReturnClamp => 0,
            Switch::AutoSweep => 1,
            Switch::Intervention(i) => 2 + i.index(),
        }
    }

    pub const fn spec(self) -> &'static SwitchSpec {
        let i = self.index();
        if i < Switch::COUNT {
            &SWITCHES[i]
        } else {
            &SWITCHES[0]
        }
    }

    pub const fn name(self) -> &'static str {
        self.spec().name
    }

    pub fn by_name(name: &str) -> Option<Switch> {
        SWITCHES.iter().find(|s| s.name == name).map(|s| s.switch)
    }

    /// Whether it is on in `s`.
    pub fn current(self, s: &Settings) -> bool {
        match self {
            Switch::ReturnClamp => s.return_clamp,
            Switch::AutoSweep => s.gas_mode == GasMode::AutoPco2,
            Switch::Intervention(i) => s.intervention(i).enabled,
        }
    }

    /// The command that switches it.
    pub const fn command(self, on: bool) -> Command {
        match self {
            Switch::ReturnClamp => Command::SetReturnClamp(on),
            Switch::AutoSweep => Command::SetGasMode(if on {
                GasMode::AutoPco2
            } else {
                GasMode::Manual
            }),
            Switch::Intervention(which) => Command::SetIntervention { which, enabled: on },
        }
    }
}

/// A row of a small vocabulary: one item (a pump mode, a one-shot command), its name in files,
/// on the wire and in the page, and its label for people.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Named<T> {
    pub item: T,
    pub name: &'static str,
    pub label: &'static str,
}

const fn named<T>(item: T, name: &'static str, label: &'static str) -> Named<T> {
    Named { item, name, label }
}

fn lookup<T: Copy>(rows: &[Named<T>], name: &str) -> Option<T> {
    rows.iter().find(|r| r.name == name).map(|r| r.item)
}

/// The pump modes.
pub const MODES: [Named<Mode>; 4] = [
    named(
        Mode::Standby,
        "standby",
        "Standby (pump stopped, return clamped)",
    ),
    named(Mode::Rpm, "rpm", "RPM"),
    named(Mode::Flow, "flow", "Flow"),
    named(Mode::ZeroFlow, "zero_flow", "Zero flow (VA weaning)"),
];

impl Mode {
    /// Its name; the table lists the modes in declaration order (a unit test checks).
    pub const fn name(self) -> &'static str {
        MODES[self as usize].name
    }

    pub fn by_name(name: &str) -> Option<Mode> {
        lookup(&MODES, name)
    }
}

/// A one-shot operator command that takes no value.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Action {
    AcknowledgeAll,
    PauseAudio,
    RestartAfterBubble,
}

/// The one-shot commands.
pub const ACTIONS: [Named<Action>; 3] = [
    named(
        Action::AcknowledgeAll,
        "acknowledge_all",
        "Acknowledge every signalled alarm",
    ),
    named(
        Action::PauseAudio,
        "pause_audio",
        "Pause alarm audio for 120 s",
    ),
    named(
        Action::RestartAfterBubble,
        "restart_after_bubble",
        "Restart pump after bubble stop",
    ),
];

impl Action {
    /// Its name; the table lists the actions in declaration order (a unit test checks).
    pub const fn name(self) -> &'static str {
        ACTIONS[self as usize].name
    }

    pub fn by_name(name: &str) -> Option<Action> {
        lookup(&ACTIONS, name)
    }

    pub const fn command(self) -> Command {
        match self {
            Action::AcknowledgeAll => Command::AcknowledgeAll,
            Action::PauseAudio => Command::PauseAudio,
            Action::RestartAfterBubble => Command::RestartAfterBubble,
        }
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
                write!(f, "{}: value is not a finite number", setting.label())
            }
            CommandError::OutOfRange {
                setting,
                value,
                min,
                max,
            } => write!(
                f,
                "{}: {} {} is outside the permitted range {} to {} {}",
                setting.label(),
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
                setting.label(),
                value,
                setting.unit(),
                other.label(),
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

#[cfg(test)]
mod vocabulary_tests {
    use super::*;

    fn snake(n: &str) -> bool {
        !n.is_empty()
            && n.chars()
                .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_')
    }

    #[test]
    fn every_row_sits_at_its_index() {
        for (i, row) in SETTINGS.iter().enumerate() {
            assert_eq!(row.setting.index(), i, "{}", row.name);
            assert_eq!(Setting::by_name(row.name), Some(row.setting));
            assert!(snake(row.name), "{}", row.name);
            assert!(row.min <= row.max && row.step >= 0.0, "{}", row.name);
        }
        for (i, row) in SWITCHES.iter().enumerate() {
            assert_eq!(row.switch.index(), i, "{}", row.name);
            assert_eq!(Switch::by_name(row.name), Some(row.switch));
        }
        for (i, m) in MODES.iter().enumerate() {
            assert_eq!(m.item as usize, i);
            assert_eq!(Mode::by_name(m.name), Some(m.item));
        }
        for (i, a) in ACTIONS.iter().enumerate() {
            assert_eq!(a.item as usize, i);
            assert_eq!(Action::by_name(a.name), Some(a.item));
        }
    }

    #[test]
    fn names_are_unique() {
        let names: [&str; Setting::COUNT] = core::array::from_fn(|i| SETTINGS[i].name);
        for (i, a) in names.iter().enumerate() {
            assert!(!names[i + 1..].contains(a), "{a}");
        }
    }

    #[test]
    fn commands_carry_the_value_to_the_right_setting() {
        let s = Settings::DEFAULT;
        assert_eq!(
            Setting::SweepMax.command(6.0, &s),
            Command::SetSweepBounds {
                min: s.sweep_min,
                max: 6.0
            }
        );
        assert_eq!(Setting::FdO2.command(0.5, &s), Command::SetFdO2(0.5));
        assert_eq!(
            Switch::AutoSweep.command(true),
            Command::SetGasMode(GasMode::AutoPco2)
        );
        for row in SETTINGS {
            assert!(row.setting.current(&s).is_finite(), "{}", row.name);
        }
    }
}
