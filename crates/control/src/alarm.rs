//! The IEC 60601-1-8 alarm system: the static alarm table, the per-alarm state machine, audio
//! pause, and the bounded alarm log.
//!
//! Each alarm condition is evaluated by the controller once per step and handed to
//! [`AlarmSystem::update`] as a boolean. Everything else — condition delay, latching,
//! acknowledgement, audio pause and its break-through, the highest active priority, the log —
//! lives here, so the state machine can be tested exhaustively on its own (ALM-1..ALM-9).
//!
//! ## State machine of one alarm (ALM-2, ALM-3, ALM-4)
//!
//! ```text
//!            condition                    delay elapsed
//! Inactive ───────────► Pending ───────────────────────► Active ──┐
//!    ▲   ◄──────────────  │   condition gone                │       │ acknowledge: audio off
//!    │   (no signal ever) │                                 │       │ for this alarm, visual stays
//!    │                    ▼                                 ▼       │
//!    │        condition gone, non-latching ◄──────────── condition gone
//!    │                                                      │ latching
//!    │   acknowledge (operator has seen it)                 ▼
//!    └───────────────────────────────────────────────── Latched (signals continue)
//! ```
//! A latched alarm whose condition returns becomes Active again (same event).
//!
//! ## Audio (ALM-5)
//! The auditory signal sounds while any Active or Latched alarm is unacknowledged, unless audio
//! is paused. A pause lasts [`AUDIO_PAUSE_MS`] (IEC 60601-1-8 practice: 120 s) and ends early
//! when any alarm condition newly becomes Active. Alarms marked `pausable: false` (operator
//! interface lost, SYS-1) sound through both pause and acknowledgement.
//!
//! ## Log overwrite policy (ALM-8)
//! The log holds [`LOG_CAPACITY`] entries, each with a sequence number that increases by one per
//! entry for the controller's lifetime. When the log is full, the oldest entry that is *not* a
//! high-priority alarm's is removed to make room; only when every entry is high priority is the
//! oldest high-priority entry removed, and [`AlarmLog::high_dropped`] counts those losses. The
//! host (the console) is expected to drain the log by sequence number ([`AlarmLog::since`]) into
//! persistent storage every step, so the ring only has to bridge the time between two drains;
//! at most 64 alarm transitions can happen per step (one per alarm), so a host that drains at
//! least every step never loses anything. The log lives in RAM: a power loss of the controller
//! loses what the host has not yet drained (stated for the manual, as IEC 60601-1-8 requires).

/// Alarm priority (IEC 60601-1-8 §6.1.2). Ordered: `Low < Medium < High`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Priority {
    /// Operator awareness is required.
    Low,
    /// Prompt operator response is required.
    Medium,
    /// Immediate operator response is required.
    High,
}

/// IEC 60601-1-8 distinguishes alarms from a monitored patient variable and from the equipment
/// (ALM-7).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum AlarmKind {
    Physiological,
    Technical,
}

macro_rules! alarm_ids {
    ($($(#[$m:meta])* $name:ident,)*) => {
        /// Every alarm the controller can raise. The index is the bit in an [`AlarmSet`].
        #[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
        #[repr(u8)]
        pub enum AlarmId { $($(#[$m])* $name,)* }

        impl AlarmId {
            /// Every alarm, in index order.
            pub const ALL: &'static [AlarmId] = &[$(AlarmId::$name,)*];
            /// Number of alarms.
            pub const COUNT: usize = AlarmId::ALL.len();
        }
    };
}

alarm_ids! {
    /// Air at the return-line bubble detector.
    Bubble,
    /// Drainage pressure below the suction limit.
    Suction,
    /// Post-oxygenator pressure above its limit (return line kink or occlusion).
    ReturnPressureHigh,
    /// Retrograde flow through the circuit in VA.
    Backflow,
    /// Circuit flow below the low-flow limit.
    FlowLow,
    /// Circuit flow above the high-flow limit.
    FlowHigh,
    /// Oxygenator pressure drop above its limit.
    DeltaPHigh,
    /// Oxygenator pressure drop rising faster than its limit over hours (clot).
    DeltaPRising,
    /// Post-oxygenator SO2 or PO2 below its limit.
    OxygenatorFailure,
    /// Post-oxygenator PO2 falling relative to its recent level.
    OxygenatorPerformanceFalling,
    /// Flow does not agree with pump speed and pressures by the pump curve.
    FlowSpeedMismatch,
    /// Pump turning far slower than commanded.
    PumpStopped,
    /// Circuit blood temperature below its limit.
    TemperatureLow,
    /// Circuit blood temperature above its limit.
    TemperatureHigh,
    /// Upper-body arterial saturation below its limit.
    SaO2UpperLow,
    /// Mains power lost: running on battery.
    MainsPowerLost,
    /// Battery below its limit.
    BatteryLow,
    /// Battery nearly empty.
    BatteryCritical,
    /// Automatic sweep control held at one of its bounds.
    AutoSweepAtLimit,
    /// Zero-flow mode cannot hold net flow near zero.
    ZeroFlowDeviation,
    /// Flow sensor implausible or missing; flow mode fell back to RPM mode.
    FlowSensorFault,
    /// A pressure sensor is implausible or missing.
    PressureSensorFault,
    /// The pump speed sensor is implausible or missing.
    SpeedSensorFault,
    /// The bubble detector is not reporting.
    BubbleSensorFault,
    /// A blood gas, saturation or Hb sensor is implausible or missing.
    GasSensorFault,
    /// The temperature sensor is implausible or missing.
    TemperatureSensorFault,
    /// The battery gauge is implausible or missing.
    BatterySensorFault,
    /// The operator interface stopped sending its heartbeat.
    UiHeartbeatLost,
    /// A control step missed its deadline.
    DeadlineMissed,
    /// Reading the sensors failed as a whole.
    AcquisitionFault,
    /// Driving an actuator failed.
    ActuatorFault,
    /// VA: the arterial pulse pressure stayed below its limit: the left ventricle may not be
    /// ejecting (aortic valve closed), or the arterial line is damped. Appended last so that
    /// the indices of older alarms, kept in recordings, do not move.
    PulsatilityLost,
}

impl AlarmId {
    /// Index (bit position in [`AlarmSet`], row in [`ALARM_TABLE`]).
    pub const fn index(self) -> usize {
        self as usize
    }

    /// The alarm's row in the static table.
    pub fn spec(self) -> &'static AlarmSpec {
        // The table is built in index order and checked by a unit test; `get` keeps this free
        // of a panic path regardless.
        match ALARM_TABLE.get(self.index()) {
            Some(s) => s,
            None => &ALARM_TABLE[0],
        }
    }

    /// Alarm by index, `None` out of range.
    pub fn from_index(i: usize) -> Option<AlarmId> {
        AlarmId::ALL.get(i).copied()
    }
}

/// One row of the static alarm table (ALM-9).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct AlarmSpec {
    pub id: AlarmId,
    /// The safety requirement the alarm meets, e.g. `"INT-3"`.
    pub requirement: &'static str,
    pub priority: Priority,
    pub kind: AlarmKind,
    /// Signals continue after the condition ends until the operator acknowledges (ALM-3).
    pub latching: bool,
    /// Alarm condition delay: the condition must hold this long before the alarm is raised
    /// (ALM-2). Part of the system delay stated in the manual.
    pub delay_ms: u32,
    /// Whether audio pause and acknowledgement silence it (false only for SYS-1).
    pub pausable: bool,
    /// Text shown to the operator.
    pub text: &'static str,
    /// What the operator is expected to do.
    pub action: &'static str,
}

#[allow(clippy::too_many_arguments)] // one table row, one argument per column
const fn row(
    id: AlarmId,
    requirement: &'static str,
    priority: Priority,
    kind: AlarmKind,
    latching: bool,
    delay_ms: u32,
    text: &'static str,
    action: &'static str,
) -> AlarmSpec {
    AlarmSpec {
        id,
        requirement,
        priority,
        kind,
        latching,
        delay_ms,
        pausable: true,
        text,
        action,
    }
}

use AlarmKind::{Physiological as Phys, Technical as Tech};
use Priority::{High, Low, Medium};

/// The alarm table, in [`AlarmId`] index order. Priorities follow the hazard analysis in
/// docs/hazards.md (ISO 14971: immediate harm → high). Delays: zero for air and backflow (harm
/// within seconds, sensors are binary or signed); ~1 s for pressures (filters transients such as
/// a cough or line movement); 5–30 s for slow variables whose transients are harmless.
pub static ALARM_TABLE: [AlarmSpec; AlarmId::COUNT] = [
    row(
        AlarmId::Bubble,
        "INT-3",
        High,
        Tech,
        true,
        0,
        "Air detected in return line: pump stopped, return clamped",
        "Remove air from the circuit, confirm, then restart the pump deliberately",
    ),
    row(
        AlarmId::Suction,
        "INT-1",
        Medium,
        Phys,
        false,
        1_000,
        "Drainage pressure below limit: suction, speed reduced",
        "Check volume status and drainage cannula position; consider fluid",
    ),
    row(
        AlarmId::ReturnPressureHigh,
        "INT-2",
        High,
        Tech,
        false,
        1_000,
        "Post-oxygenator pressure high: return line kink or occlusion, speed reduced",
        "Inspect the return line and cannula for kinks or clamps",
    ),
    row(
        AlarmId::Backflow,
        "INT-4",
        High,
        Tech,
        true,
        200,
        "Retrograde flow through the circuit",
        "Raise pump speed or clamp the return line; check speed setting",
    ),
    row(
        AlarmId::FlowLow,
        "MON-5",
        High,
        Phys,
        false,
        5_000,
        "Circuit flow below limit",
        "Check lines for kinks, drainage pressure and pump speed",
    ),
    row(
        AlarmId::FlowHigh,
        "MON-6",
        Medium,
        Phys,
        false,
        5_000,
        "Circuit flow above limit",
        "Check speed or flow setting and circuit integrity",
    ),
    row(
        AlarmId::DeltaPHigh,
        "MON-1",
        Medium,
        Tech,
        false,
        10_000,
        "Oxygenator pressure drop above limit",
        "Inspect oxygenator for clot; check anticoagulation; prepare exchange",
    ),
    row(
        AlarmId::DeltaPRising,
        "MON-2",
        Low,
        Tech,
        true,
        0,
        "Oxygenator pressure drop rising over hours",
        "Inspect oxygenator for clot; check anticoagulation",
    ),
    row(
        AlarmId::OxygenatorFailure,
        "MON-3",
        High,
        Tech,
        true,
        10_000,
        "Post-oxygenator saturation or PO2 below limit: oxygenator failure",
        "Check gas supply, sweep and FdO2; take a post-oxygenator gas; prepare exchange",
    ),
    row(
        AlarmId::OxygenatorPerformanceFalling,
        "MON-3",
        Medium,
        Tech,
        false,
        30_000,
        "Post-oxygenator PO2 falling",
        "Check gas supply and FdO2; take a post-oxygenator gas",
    ),
    row(
        AlarmId::FlowSpeedMismatch,
        "MON-4",
        Medium,
        Tech,
        true,
        10_000,
        "Flow does not match pump speed and pressures",
        "Check the pump head for thrombus and the flow sensor fit",
    ),
    row(
        AlarmId::PumpStopped,
        "MON-9",
        High,
        Tech,
        true,
        1_000,
        "Pump not turning at commanded speed",
        "Check the drive; switch to the emergency drive or hand crank",
    ),
    row(
        AlarmId::TemperatureLow,
        "MON-7",
        Medium,
        Phys,
        false,
        30_000,
        "Blood temperature below limit",
        "Check heater connection and set point",
    ),
    row(
        AlarmId::TemperatureHigh,
        "MON-7",
        Medium,
        Phys,
        false,
        30_000,
        "Blood temperature above limit",
        "Check heater set point",
    ),
    row(
        AlarmId::SaO2UpperLow,
        "MON-10",
        Medium,
        Phys,
        false,
        10_000,
        "Upper-body arterial saturation below limit",
        "VA: check for differential hypoxia; VV: check recirculation and circuit flow; review ventilation",
    ),
    row(
        AlarmId::MainsPowerLost,
        "MON-8",
        Medium,
        Tech,
        false,
        0,
        "Mains power lost: running on battery",
        "Restore mains power; check battery time",
    ),
    row(
        AlarmId::BatteryLow,
        "MON-8",
        Medium,
        Tech,
        false,
        5_000,
        "Battery below limit",
        "Connect mains power",
    ),
    row(
        AlarmId::BatteryCritical,
        "MON-8",
        High,
        Tech,
        false,
        1_000,
        "Battery nearly empty",
        "Connect mains power now; prepare the hand crank",
    ),
    row(
        AlarmId::AutoSweepAtLimit,
        "CTL-10",
        Low,
        Tech,
        false,
        60_000,
        "Automatic sweep held at its bound: PCO2 target not reached",
        "Review the PCO2 target and sweep bounds; take a blood gas",
    ),
    row(
        AlarmId::ZeroFlowDeviation,
        "CTL-5",
        Low,
        Tech,
        false,
        10_000,
        "Zero-flow mode cannot hold net flow near zero",
        "Clamp the return line or leave zero-flow mode",
    ),
    row(
        AlarmId::FlowSensorFault,
        "SEN-5",
        High,
        Tech,
        true,
        500,
        "Flow sensor fault: flow mode switched to RPM mode holding speed",
        "Check the flow sensor; control flow by speed",
    ),
    row(
        AlarmId::PressureSensorFault,
        "SEN-1",
        Medium,
        Tech,
        true,
        500,
        "Pressure sensor fault: pressure interventions limited",
        "Check pressure transducers and cables",
    ),
    row(
        AlarmId::SpeedSensorFault,
        "SEN-1",
        Medium,
        Tech,
        true,
        500,
        "Pump speed sensor fault",
        "Check the drive cable",
    ),
    row(
        AlarmId::BubbleSensorFault,
        "SEN-6",
        High,
        Tech,
        true,
        200,
        "Bubble detector not reporting: no air protection",
        "Check the bubble sensor seating; watch the return line",
    ),
    row(
        AlarmId::GasSensorFault,
        "SEN-1",
        Low,
        Tech,
        true,
        2_000,
        "Blood gas or saturation sensor fault: automatic sweep suspended",
        "Check the sensor; use blood gases",
    ),
    row(
        AlarmId::TemperatureSensorFault,
        "SEN-1",
        Low,
        Tech,
        true,
        2_000,
        "Temperature sensor fault",
        "Check the temperature probe",
    ),
    row(
        AlarmId::BatterySensorFault,
        "SEN-1",
        Medium,
        Tech,
        true,
        2_000,
        "Battery gauge fault: remaining battery time unknown",
        "Keep mains connected; service the power supply",
    ),
    AlarmSpec {
        id: AlarmId::UiHeartbeatLost,
        requirement: "SYS-1",
        priority: High,
        kind: Tech,
        latching: false,
        delay_ms: 0,
        pausable: false,
        text: "Operator interface lost: pump continues at its last speed",
        action: "Use the backup display; restart the operator interface",
    },
    row(
        AlarmId::DeadlineMissed,
        "SYS-2",
        Medium,
        Tech,
        true,
        0,
        "Control step missed its deadline",
        "Service the console; watch pump and alarms closely",
    ),
    row(
        AlarmId::AcquisitionFault,
        "SYS-3",
        High,
        Tech,
        true,
        100,
        "Sensor acquisition failed",
        "Service the console; watch the circuit by eye",
    ),
    row(
        AlarmId::ActuatorFault,
        "SYS-3",
        High,
        Tech,
        true,
        0,
        "Actuator did not accept its command",
        "Check the drive and clamp; prepare the emergency drive",
    ),
    // 30 s: a few ectopic or non-ejecting beats are not the condition; stasis in a
    // non-ejecting LV and aortic root is a matter of minutes to hours.
    row(
        AlarmId::PulsatilityLost,
        "MON-11",
        Medium,
        Phys,
        false,
        30_000,
        "Arterial pulsatility lost: the left ventricle may not be ejecting",
        "Check the arterial line for damping; echo for aortic valve opening and LV distension; consider less flow, an inotrope or LV venting",
    ),
];

// AlarmSet is a u64: at most 64 alarms.
const _: () = assert!(AlarmId::COUNT <= 64);

/// A set of alarms as a bit mask (one bit per [`AlarmId`]). `Copy`, no heap.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default, Hash)]
pub struct AlarmSet(pub u64);

impl AlarmSet {
    pub const EMPTY: AlarmSet = AlarmSet(0);

    pub fn contains(self, id: AlarmId) -> bool {
        self.0 & (1u64 << id.index()) != 0
    }
    pub fn insert(&mut self, id: AlarmId) {
        self.0 |= 1u64 << id.index();
    }
    pub fn remove(&mut self, id: AlarmId) {
        self.0 &= !(1u64 << id.index());
    }
    pub fn is_empty(self) -> bool {
        self.0 == 0
    }
    pub fn len(self) -> usize {
        self.0.count_ones() as usize
    }
    /// Members in index order.
    pub fn iter(self) -> impl Iterator<Item = AlarmId> {
        AlarmId::ALL
            .iter()
            .copied()
            .filter(move |a| self.contains(*a))
    }
}

/// A set of the alarms an iterator yields (the console's and the tests' way of naming a few).
impl FromIterator<AlarmId> for AlarmSet {
    fn from_iter<I: IntoIterator<Item = AlarmId>>(ids: I) -> AlarmSet {
        let mut s = AlarmSet::EMPTY;
        for id in ids {
            s.insert(id);
        }
        s
    }
}

/// Where one alarm stands.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Phase {
    /// No condition.
    Inactive,
    /// Condition present since `since_ms`, condition delay not yet elapsed; no signal.
    Pending { since_ms: u64 },
    /// Condition present, signals on.
    Active { since_ms: u64 },
    /// Condition gone but latched: signals continue until acknowledged.
    Latched { since_ms: u64 },
}

/// One alarm's state.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct AlarmState {
    pub phase: Phase,
    /// The operator acknowledged this alarm event: its audio is off (if pausable).
    pub acknowledged: bool,
}

impl AlarmState {
    const INACTIVE: AlarmState = AlarmState {
        phase: Phase::Inactive,
        acknowledged: false,
    };

    /// Signalled (visual on): Active or Latched.
    pub fn signalled(&self) -> bool {
        matches!(self.phase, Phase::Active { .. } | Phase::Latched { .. })
    }
}

/// The auditory alarm signal.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum AudioState {
    /// Nothing to sound.
    Silent,
    /// Sounding the pattern of this priority.
    Sounding(Priority),
    /// Audio paused by the operator until `until_ms`; a non-pausable alarm still sounds
    /// (`Sounding` is reported instead while one is active).
    Paused { until_ms: u64 },
}

/// What happened, for the log.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum LogEvent {
    /// Alarm raised (Pending → Active).
    Raised,
    /// Condition ended and the alarm left the signalled state.
    Cleared,
    /// Condition ended, signals latched.
    Latched,
    /// Operator acknowledged.
    Acknowledged,
    /// Operator paused audio (alarm is the highest active at that moment, if any).
    AudioPaused,
}

/// One log entry.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct LogEntry {
    /// Increases by one per entry for the controller's lifetime.
    pub seq: u64,
    pub t_ms: u64,
    pub alarm: AlarmId,
    pub priority: Priority,
    pub event: LogEvent,
}

/// Capacity of the alarm log ring.
pub const LOG_CAPACITY: usize = 128;

/// Default audio pause, ms (IEC 60601-1-8 practice for life-supporting equipment: 120 s).
pub const AUDIO_PAUSE_MS: u64 = 120_000;

/// The bounded alarm log (ALM-8). Entries are kept oldest first.
#[derive(Clone, Debug)]
pub struct AlarmLog {
    entries: [LogEntry; LOG_CAPACITY],
    len: usize,
    next_seq: u64,
    high_dropped: u64,
    other_dropped: u64,
}

impl AlarmLog {
    const EMPTY_ENTRY: LogEntry = LogEntry {
        seq: 0,
        t_ms: 0,
        alarm: AlarmId::Bubble,
        priority: Priority::Low,
        event: LogEvent::Cleared,
    };

    pub const fn new() -> Self {
        AlarmLog {
            entries: [AlarmLog::EMPTY_ENTRY; LOG_CAPACITY],
            len: 0,
            next_seq: 0,
            high_dropped: 0,
            other_dropped: 0,
        }
    }

    /// Entries held, oldest first.
    pub fn entries(&self) -> &[LogEntry] {
        &self.entries[..self.len.min(LOG_CAPACITY)]
    }

    /// Entries with `seq >= from`, oldest first (for a host draining the log).
    pub fn since(&self, from: u64) -> impl Iterator<Item = &LogEntry> {
        self.entries().iter().filter(move |e| e.seq >= from)
    }

    /// Sequence number the next entry will get.
    pub fn next_seq(&self) -> u64 {
        self.next_seq
    }

    /// High-priority entries removed because the log was full of them.
    pub fn high_dropped(&self) -> u64 {
        self.high_dropped
    }

    /// Lower-priority entries removed to make room.
    pub fn other_dropped(&self) -> u64 {
        self.other_dropped
    }

    pub fn len(&self) -> usize {
        self.len
    }

    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// Append, applying the overwrite policy in the module documentation.
    pub fn push(&mut self, t_ms: u64, alarm: AlarmId, event: LogEvent) {
        let priority = alarm.spec().priority;
        if self.len >= LOG_CAPACITY {
            let victim = self
                .entries
                .iter()
                .position(|e| e.priority != Priority::High);
            let victim = match victim {
                Some(i) => {
                    self.other_dropped = self.other_dropped.saturating_add(1);
                    i
                }
                None => {
                    self.high_dropped = self.high_dropped.saturating_add(1);
                    0
                }
            };
            self.entries.copy_within(victim + 1.., victim);
            self.len = LOG_CAPACITY - 1;
        }
        if let Some(slot) = self.entries.get_mut(self.len) {
            *slot = LogEntry {
                seq: self.next_seq,
                t_ms,
                alarm,
                priority,
                event,
            };
            self.len += 1;
            self.next_seq = self.next_seq.wrapping_add(1);
        }
    }
}

impl Default for AlarmLog {
    fn default() -> Self {
        AlarmLog::new()
    }
}

/// Why an acknowledge or pause was refused.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum AckError {
    /// The alarm is not signalled: nothing to acknowledge.
    NotSignalled(AlarmId),
    /// The alarm is not pausable (SYS-1): it cannot be silenced.
    NotSilenceable(AlarmId),
}

/// The whole alarm system.
#[derive(Clone, Debug)]
pub struct AlarmSystem {
    states: [AlarmState; AlarmId::COUNT],
    paused_until_ms: Option<u64>,
    log: AlarmLog,
}

impl Default for AlarmSystem {
    fn default() -> Self {
        AlarmSystem::new()
    }
}

impl AlarmSystem {
    pub const fn new() -> Self {
        AlarmSystem {
            states: [AlarmState::INACTIVE; AlarmId::COUNT],
            paused_until_ms: None,
            log: AlarmLog::new(),
        }
    }

    /// State of one alarm.
    pub fn state(&self, id: AlarmId) -> AlarmState {
        match self.states.get(id.index()) {
            Some(s) => *s,
            None => AlarmState::INACTIVE,
        }
    }

    pub fn log(&self) -> &AlarmLog {
        &self.log
    }

    /// Feed one step's alarm conditions (`conditions` has a bit set for each present condition).
    /// Runs every alarm's state machine, the audio-pause expiry and break-through, and logs
    /// transitions. Time is bounded: one pass over the table.
    pub fn update(&mut self, now_ms: u64, conditions: AlarmSet) {
        let mut newly_raised = false;
        for (i, st) in self.states.iter_mut().enumerate() {
            let Some(id) = AlarmId::from_index(i) else {
                continue;
            };
            let spec = id.spec();
            let present = conditions.contains(id);
            let prev = st.phase;
            st.phase = match (prev, present) {
                (Phase::Inactive, true) => {
                    if spec.delay_ms == 0 {
                        Phase::Active { since_ms: now_ms }
                    } else {
                        Phase::Pending { since_ms: now_ms }
                    }
                }
                (Phase::Inactive, false) => Phase::Inactive,
                (Phase::Pending { since_ms }, true) => {
                    if now_ms.saturating_sub(since_ms) >= spec.delay_ms as u64 {
                        Phase::Active { since_ms: now_ms }
                    } else {
                        Phase::Pending { since_ms }
                    }
                }
                (Phase::Pending { .. }, false) => Phase::Inactive,
                (Phase::Active { since_ms }, true) => Phase::Active { since_ms },
                (Phase::Active { since_ms }, false) => {
                    if spec.latching && !st.acknowledged {
                        Phase::Latched { since_ms }
                    } else {
                        Phase::Inactive
                    }
                }
                (Phase::Latched { since_ms }, true) => Phase::Active { since_ms },
                (Phase::Latched { since_ms }, false) => Phase::Latched { since_ms },
            };
            match (prev, st.phase) {
                (Phase::Inactive | Phase::Pending { .. }, Phase::Active { .. }) => {
                    st.acknowledged = false;
                    newly_raised = true;
                    self.log.push(now_ms, id, LogEvent::Raised);
                }
                (Phase::Active { .. }, Phase::Latched { .. }) => {
                    self.log.push(now_ms, id, LogEvent::Latched)
                }
                (Phase::Active { .. } | Phase::Latched { .. }, Phase::Inactive) => {
                    st.acknowledged = false;
                    self.log.push(now_ms, id, LogEvent::Cleared)
                }
                _ => {}
            }
        }
        if let Some(until) = self.paused_until_ms
            && (newly_raised || now_ms >= until)
        {
            self.paused_until_ms = None;
        }
    }

    /// Operator acknowledges one alarm (ALM-4). An Active alarm stays visible with its audio
    /// off; a Latched one is reset.
    pub fn acknowledge(&mut self, now_ms: u64, id: AlarmId) -> Result<(), AckError> {
        let spec = id.spec();
        let Some(st) = self.states.get_mut(id.index()) else {
            return Err(AckError::NotSignalled(id));
        };
        match st.phase {
            Phase::Active { .. } => {
                if !spec.pausable {
                    return Err(AckError::NotSilenceable(id));
                }
                if !st.acknowledged {
                    st.acknowledged = true;
                    self.log.push(now_ms, id, LogEvent::Acknowledged);
                }
                Ok(())
            }
            Phase::Latched { .. } => {
                st.phase = Phase::Inactive;
                st.acknowledged = false;
                self.log.push(now_ms, id, LogEvent::Acknowledged);
                self.log.push(now_ms, id, LogEvent::Cleared);
                Ok(())
            }
            Phase::Inactive | Phase::Pending { .. } => Err(AckError::NotSignalled(id)),
        }
    }

    /// Acknowledge every signalled, silenceable alarm. Returns how many were acknowledged.
    pub fn acknowledge_all(&mut self, now_ms: u64) -> usize {
        let mut n = 0;
        for &id in AlarmId::ALL {
            if self.acknowledge(now_ms, id).is_ok() {
                n += 1;
            }
        }
        n
    }

    /// Pause audio for [`AUDIO_PAUSE_MS`] (ALM-5).
    pub fn pause_audio(&mut self, now_ms: u64) {
        self.paused_until_ms = Some(now_ms.saturating_add(AUDIO_PAUSE_MS));
        let top = self.highest_signalled_alarm().unwrap_or(AlarmId::Bubble);
        self.log.push(now_ms, top, LogEvent::AudioPaused);
    }

    /// Audio pause end time, if paused.
    pub fn paused_until_ms(&self) -> Option<u64> {
        self.paused_until_ms
    }

    /// Signalled alarms (Active or Latched): what the display shows.
    pub fn signalled(&self) -> AlarmSet {
        let mut s = AlarmSet::EMPTY;
        for (i, st) in self.states.iter().enumerate() {
            if st.signalled()
                && let Some(id) = AlarmId::from_index(i)
            {
                s.insert(id);
            }
        }
        s
    }

    /// Alarms whose condition is present now (Pending or Active).
    pub fn present(&self) -> AlarmSet {
        let mut s = AlarmSet::EMPTY;
        for (i, st) in self.states.iter().enumerate() {
            if matches!(st.phase, Phase::Active { .. } | Phase::Pending { .. })
                && let Some(id) = AlarmId::from_index(i)
            {
                s.insert(id);
            }
        }
        s
    }

    /// Highest priority among signalled alarms, for the display (ALM-1).
    pub fn highest(&self) -> Option<Priority> {
        self.highest_signalled_alarm().map(|a| a.spec().priority)
    }

    fn highest_signalled_alarm(&self) -> Option<AlarmId> {
        let mut best: Option<AlarmId> = None;
        for (i, st) in self.states.iter().enumerate() {
            if !st.signalled() {
                continue;
            }
            let Some(id) = AlarmId::from_index(i) else {
                continue;
            };
            match best {
                Some(b) if b.spec().priority >= id.spec().priority => {}
                _ => best = Some(id),
            }
        }
        best
    }

    /// The auditory signal now (ALM-5).
    pub fn audio(&self) -> AudioState {
        let mut loud: Option<Priority> = None;
        let mut unpausable: Option<Priority> = None;
        for (i, st) in self.states.iter().enumerate() {
            let Some(id) = AlarmId::from_index(i) else {
                continue;
            };
            let spec = id.spec();
            let sounds = st.signalled() && (!st.acknowledged || !spec.pausable);
            if !sounds {
                continue;
            }
            if loud.is_none_or(|p| spec.priority > p) {
                loud = Some(spec.priority);
            }
            if !spec.pausable && unpausable.is_none_or(|p| spec.priority > p) {
                unpausable = Some(spec.priority);
            }
        }
        match (self.paused_until_ms, loud) {
            (Some(until), _) => match unpausable {
                Some(p) => AudioState::Sounding(p),
                None => AudioState::Paused { until_ms: until },
            },
            (None, Some(p)) => AudioState::Sounding(p),
            (None, None) => AudioState::Silent,
        }
    }

    /// Snapshot for the output.
    pub fn summary(&self) -> AlarmSummary {
        AlarmSummary {
            signalled: self.signalled(),
            present: self.present(),
            highest: self.highest(),
            audio: self.audio(),
            log_next_seq: self.log.next_seq(),
        }
    }
}

/// A copyable summary of the alarm system for each step's output.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct AlarmSummary {
    /// Alarms shown (Active or Latched).
    pub signalled: AlarmSet,
    /// Alarm conditions present now (Pending or Active).
    pub present: AlarmSet,
    /// Highest signalled priority.
    pub highest: Option<Priority>,
    pub audio: AudioState,
    /// Sequence number the next log entry will get: the host drains `log.since(last)`.
    pub log_next_seq: u64,
}

#[cfg(test)]
mod tests {
    //! ALM-1..ALM-9: the alarm state machine, tested for every alarm in the table and
    //! exhaustively over short input sequences.
    use super::*;

    fn set(ids: &[AlarmId]) -> AlarmSet {
        ids.iter().copied().collect()
    }

    /// ALM-9: the table is in index order, every row has a requirement, a text and an action.
    #[test]
    fn alm9_table_complete_and_ordered() {
        assert_eq!(ALARM_TABLE.len(), AlarmId::COUNT);
        for (i, row) in ALARM_TABLE.iter().enumerate() {
            assert_eq!(row.id.index(), i, "{:?} out of order", row.id);
            assert!(!row.requirement.is_empty() && row.requirement.contains('-'));
            assert!(row.text.len() > 10, "{:?}", row.id);
            assert!(row.action.len() > 10, "{:?}", row.id);
            assert!(row.delay_ms <= 60_000);
        }
        // Only the operator-interface alarm is unsilenceable (SYS-1).
        for row in ALARM_TABLE.iter() {
            assert_eq!(row.pausable, row.id != AlarmId::UiHeartbeatLost);
        }
        // Air and UI loss are high priority (hazards.md).
        assert_eq!(AlarmId::Bubble.spec().priority, Priority::High);
        assert_eq!(AlarmId::UiHeartbeatLost.spec().priority, Priority::High);
    }

    /// ALM-2: for every alarm, the condition must hold for its delay before the alarm is
    /// raised; a shorter blip raises nothing and logs nothing.
    #[test]
    fn alm2_condition_delay_every_alarm() {
        for &id in AlarmId::ALL {
            let d = id.spec().delay_ms as u64;
            let mut a = AlarmSystem::new();
            a.update(1000, set(&[id]));
            if d == 0 {
                assert!(a.state(id).signalled(), "{id:?}");
                continue;
            }
            assert_eq!(a.state(id).phase, Phase::Pending { since_ms: 1000 });
            assert!(!a.state(id).signalled());
            assert_eq!(a.audio(), AudioState::Silent);
            a.update(1000 + d - 1, set(&[id]));
            assert!(!a.state(id).signalled(), "{id:?} raised early");
            // A blip that ends before the delay leaves no trace.
            let mut b = a.clone();
            b.update(1000 + d - 1, AlarmSet::EMPTY);
            assert_eq!(b.state(id).phase, Phase::Inactive);
            assert!(b.log().is_empty());
            a.update(1000 + d, set(&[id]));
            assert!(a.state(id).signalled(), "{id:?} not raised at its delay");
            assert_eq!(a.log().entries()[0].event, LogEvent::Raised);
            assert_eq!(a.log().entries()[0].alarm, id);
        }
    }

    fn raise(a: &mut AlarmSystem, t: &mut u64, id: AlarmId) {
        a.update(*t, set(&[id]));
        *t += id.spec().delay_ms as u64;
        a.update(*t, set(&[id]));
        assert!(a.state(id).signalled());
    }

    /// ALM-3: non-latching alarms stop when the condition ends; latching ones stay until
    /// acknowledged, and return to Active if the condition returns.
    #[test]
    fn alm3_latching_and_non_latching_every_alarm() {
        for &id in AlarmId::ALL {
            let mut a = AlarmSystem::new();
            let mut t = 10;
            raise(&mut a, &mut t, id);
            t += 10;
            a.update(t, AlarmSet::EMPTY);
            if id.spec().latching {
                assert!(matches!(a.state(id).phase, Phase::Latched { .. }), "{id:?}");
                assert!(a.signalled().contains(id));
                assert_eq!(a.audio(), AudioState::Sounding(id.spec().priority));
                assert!(!a.present().contains(id));
                // Condition back: Active again, no second Raised entry needed.
                t += 10;
                a.update(t, set(&[id]));
                assert!(matches!(a.state(id).phase, Phase::Active { .. }));
                a.update(t + 10, AlarmSet::EMPTY);
                // Acknowledge resets a latched alarm.
                assert_eq!(a.acknowledge(t + 20, id), Ok(()));
                assert_eq!(a.state(id).phase, Phase::Inactive);
                assert_eq!(a.audio(), AudioState::Silent);
            } else {
                assert_eq!(a.state(id).phase, Phase::Inactive, "{id:?}");
                assert_eq!(a.audio(), AudioState::Silent);
                assert_eq!(a.log().entries().last().unwrap().event, LogEvent::Cleared);
            }
        }
    }

    /// ALM-4: acknowledging an active alarm silences it (visual stays); an acknowledged latching
    /// alarm does not latch; a new occurrence is a new event that sounds again.
    #[test]
    fn alm4_acknowledge_every_alarm() {
        for &id in AlarmId::ALL {
            let mut a = AlarmSystem::new();
            let mut t = 10;
            assert_eq!(a.acknowledge(t, id), Err(AckError::NotSignalled(id)));
            raise(&mut a, &mut t, id);
            let r = a.acknowledge(t, id);
            if !id.spec().pausable {
                assert_eq!(r, Err(AckError::NotSilenceable(id)));
                assert_eq!(a.audio(), AudioState::Sounding(Priority::High));
                continue;
            }
            assert_eq!(r, Ok(()));
            assert!(a.state(id).acknowledged);
            assert!(
                a.signalled().contains(id),
                "visual stays while the condition lasts"
            );
            assert_eq!(a.audio(), AudioState::Silent);
            assert_eq!(a.highest(), Some(id.spec().priority));
            t += 10;
            a.update(t, AlarmSet::EMPTY);
            assert_eq!(
                a.state(id).phase,
                Phase::Inactive,
                "acknowledged alarm does not latch"
            );
            raise(&mut a, &mut t, id);
            assert!(!a.state(id).acknowledged);
            assert_eq!(a.audio(), AudioState::Sounding(id.spec().priority));
        }
    }

    /// ALM-5: audio pause lasts 120 s, is broken by any new alarm condition, and never silences
    /// the operator-interface alarm.
    #[test]
    fn alm5_audio_pause() {
        let mut a = AlarmSystem::new();
        let mut t = 0;
        raise(&mut a, &mut t, AlarmId::FlowLow);
        a.pause_audio(t);
        assert_eq!(
            a.audio(),
            AudioState::Paused {
                until_ms: t + AUDIO_PAUSE_MS
            }
        );
        a.update(t + AUDIO_PAUSE_MS - 1, set(&[AlarmId::FlowLow]));
        assert!(matches!(a.audio(), AudioState::Paused { .. }));
        a.update(t + AUDIO_PAUSE_MS, set(&[AlarmId::FlowLow]));
        assert_eq!(a.audio(), AudioState::Sounding(Priority::High));

        // Broken through by a new condition (here a low-priority one).
        let mut a = AlarmSystem::new();
        let mut t = 0;
        raise(&mut a, &mut t, AlarmId::FlowLow);
        a.pause_audio(t);
        a.update(t + 10, set(&[AlarmId::FlowLow, AlarmId::DeltaPRising]));
        assert_eq!(a.paused_until_ms(), None);
        assert_eq!(a.audio(), AudioState::Sounding(Priority::High));

        // A pending (not yet raised) condition does not break the pause.
        let mut a = AlarmSystem::new();
        let mut t = 0;
        raise(&mut a, &mut t, AlarmId::FlowLow);
        a.pause_audio(t);
        a.update(t + 10, set(&[AlarmId::FlowLow, AlarmId::TemperatureLow]));
        assert!(matches!(a.audio(), AudioState::Paused { .. }));

        // UI loss sounds through a pause.
        let mut a = AlarmSystem::new();
        a.pause_audio(0);
        a.update(5, set(&[AlarmId::UiHeartbeatLost]));
        assert_eq!(a.audio(), AudioState::Sounding(Priority::High));
        // Pausing while it is active does not silence it either.
        a.pause_audio(10);
        a.update(20, set(&[AlarmId::UiHeartbeatLost]));
        assert_eq!(a.audio(), AudioState::Sounding(Priority::High));
    }

    /// ALM-1: the highest signalled priority, for every pair of alarms.
    #[test]
    fn alm1_highest_priority_every_pair() {
        for &x in AlarmId::ALL {
            for &y in AlarmId::ALL {
                let mut a = AlarmSystem::new();
                let s = set(&[x, y]);
                a.update(0, s);
                a.update(100_000, s);
                let want = x.spec().priority.max(y.spec().priority);
                assert_eq!(a.highest(), Some(want), "{x:?} {y:?}");
                assert_eq!(a.audio(), AudioState::Sounding(want));
            }
        }
        assert_eq!(AlarmSystem::new().highest(), None);
    }

    /// ALM-7: every alarm is classed technical or physiological, and the patient-variable ones
    /// are physiological.
    #[test]
    fn alm7_kinds() {
        for id in [
            AlarmId::SaO2UpperLow,
            AlarmId::TemperatureLow,
            AlarmId::FlowLow,
            AlarmId::PulsatilityLost,
        ] {
            assert_eq!(id.spec().kind, AlarmKind::Physiological);
        }
        for id in [
            AlarmId::FlowSensorFault,
            AlarmId::UiHeartbeatLost,
            AlarmId::DeadlineMissed,
        ] {
            assert_eq!(id.spec().kind, AlarmKind::Technical);
        }
    }

    /// ALM-8: the log is bounded, evicts lower-priority entries first, keeps high-priority ones,
    /// counts what it had to drop, and numbers entries without gaps.
    #[test]
    fn alm8_log_overwrite_policy() {
        let mut log = AlarmLog::new();
        for i in 0..LOG_CAPACITY as u64 {
            let id = if i % 2 == 0 {
                AlarmId::Bubble
            } else {
                AlarmId::DeltaPRising
            };
            log.push(i, id, LogEvent::Raised);
        }
        assert_eq!(log.len(), LOG_CAPACITY);
        // 64 more high-priority entries push out all 64 low ones, none of the high ones.
        for i in 0..(LOG_CAPACITY / 2) as u64 {
            log.push(1000 + i, AlarmId::Backflow, LogEvent::Raised);
        }
        assert_eq!(log.len(), LOG_CAPACITY);
        assert!(log.entries().iter().all(|e| e.priority == Priority::High));
        assert_eq!(log.other_dropped(), (LOG_CAPACITY / 2) as u64);
        assert_eq!(log.high_dropped(), 0);
        // Sequence numbers strictly increase.
        assert!(log.entries().windows(2).all(|w| w[0].seq < w[1].seq));
        // Now full of high: the oldest high one goes and is counted.
        let first = log.entries()[0].seq;
        log.push(5000, AlarmId::Suction, LogEvent::Raised);
        assert_eq!(log.high_dropped(), 1);
        assert!(log.entries().iter().all(|e| e.seq != first));
        assert_eq!(log.entries().last().unwrap().alarm, AlarmId::Suction);
        // Draining by sequence number.
        let next = log.next_seq();
        assert_eq!(log.since(next).count(), 0);
        assert_eq!(log.since(next - 3).count(), 3);
    }

    /// Exhaustive check over every input sequence of length 6 for one alarm of each kind
    /// (latching/non-latching, with/without delay, pausable or not): at every step the
    /// invariants of IEC 60601-1-8 as stated in the module documentation hold.
    #[test]
    fn exhaustive_sequences_keep_invariants() {
        // Inputs per step: condition off/on × operator none/acknowledge/pause → 6 symbols.
        let alarms = [
            AlarmId::Bubble,            // latching, no delay
            AlarmId::Suction,           // non-latching, 1 s
            AlarmId::FlowSpeedMismatch, // latching, 10 s
            AlarmId::UiHeartbeatLost,   // not pausable
            AlarmId::DeltaPRising,      // low, latching, no delay
        ];
        const LEN: u32 = 6;
        let mut checked = 0u64;
        for &id in &alarms {
            let spec = id.spec();
            // Each step lasts half the delay (at least 1 ms), so delays are crossed.
            let dt = (spec.delay_ms as u64 / 2).max(1);
            for code in 0..6u32.pow(LEN) {
                let mut a = AlarmSystem::new();
                let mut c = code;
                let mut t = 0u64;
                let mut present_since: Option<u64> = None;
                let mut met_delay_since_clear = false;
                for _ in 0..LEN {
                    let sym = c % 6;
                    c /= 6;
                    let cond = sym % 2 == 1;
                    match sym / 2 {
                        1 => {
                            let _ = a.acknowledge(t, id);
                        }
                        2 => a.pause_audio(t),
                        _ => {}
                    }
                    a.update(t, if cond { set(&[id]) } else { AlarmSet::EMPTY });
                    if cond {
                        let s = *present_since.get_or_insert(t);
                        if t - s >= spec.delay_ms as u64 {
                            met_delay_since_clear = true;
                        }
                    } else {
                        present_since = None;
                    }
                    let st = a.state(id);
                    // Raised only after the delay was met.
                    if st.signalled() {
                        assert!(met_delay_since_clear, "{id:?} {code}");
                    }
                    // A condition held for its delay is signalled.
                    if cond && present_since.is_some_and(|s| t - s >= spec.delay_ms as u64) {
                        assert!(matches!(st.phase, Phase::Active { .. }), "{id:?} {code}");
                    }
                    // Non-latching: no signal without the condition.
                    if !spec.latching && !cond {
                        assert!(!st.signalled(), "{id:?} {code}");
                    }
                    // Latched only when latching, unacknowledged, condition absent.
                    if let Phase::Latched { .. } = st.phase {
                        assert!(spec.latching && !st.acknowledged && !cond);
                    }
                    // Audio: sounds iff a signalled alarm is unacknowledged and not paused, or
                    // it is unpausable.
                    let should_sound = st.signalled()
                        && (!spec.pausable || (!st.acknowledged && a.paused_until_ms().is_none()));
                    assert_eq!(
                        matches!(a.audio(), AudioState::Sounding(_)),
                        should_sound,
                        "{id:?} {code}"
                    );
                    if !st.signalled() {
                        met_delay_since_clear = met_delay_since_clear && cond;
                    }
                    t += dt;
                    checked += 1;
                }
            }
        }
        assert!(checked > 200_000);
    }
}
