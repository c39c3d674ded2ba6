//! The sensor frame: everything the controller knows about the world at one step.
//!
//! Each reading carries its value, a validity flag set by the acquisition layer (sensor present,
//! conversion succeeded, self-test passed) and the time it was sampled. The controller trusts
//! none of the three blindly: a reading flagged valid may still be rejected by the plausibility
//! checks in [`crate::plausibility`] (SEN-1..SEN-5).

/// One analogue reading.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Reading {
    /// Value in the unit stated on the [`SensorFrame`] field.
    pub value: f32,
    /// Set by the acquisition layer: the sensor answered and its own checks passed.
    pub valid: bool,
    /// When the value was sampled, ms on the controller's monotonic clock.
    pub t_ms: u64,
}

impl Reading {
    /// A reading that was never taken (invalid, time 0).
    pub const MISSING: Reading = Reading {
        value: 0.0,
        valid: false,
        t_ms: 0,
    };

    /// A valid reading sampled at `t_ms`.
    pub const fn new(value: f32, t_ms: u64) -> Self {
        Reading {
            value,
            valid: true,
            t_ms,
        }
    }

    /// Usable as a number: flagged valid and finite. Plausibility is checked separately.
    pub fn usable(&self) -> bool {
        self.valid && self.value.is_finite()
    }
}

impl Default for Reading {
    fn default() -> Self {
        Reading::MISSING
    }
}

/// One on/off reading (bubble detector, mains power).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub struct Flag {
    pub value: bool,
    pub valid: bool,
    pub t_ms: u64,
}

impl Flag {
    pub const MISSING: Flag = Flag {
        value: false,
        valid: false,
        t_ms: 0,
    };

    pub const fn new(value: bool, t_ms: u64) -> Self {
        Flag {
            value,
            valid: true,
            t_ms,
        }
    }
}

/// The analogue channels, in the order of [`SensorFrame::reading`]. Used to name a sensor in
/// alarms, plausibility results and the console.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
#[repr(u8)]
pub enum Channel {
    /// Drainage (pre-pump) pressure, mmHg; negative under suction.
    DrainagePressure = 0,
    /// Pre-oxygenator (pump outlet) pressure, mmHg.
    PreOxyPressure,
    /// Post-oxygenator (return line) pressure, mmHg.
    PostOxyPressure,
    /// Oxygenator pressure drop, mmHg (a dedicated differential sensor, or derived by the
    /// acquisition layer from the two pressures).
    DeltaP,
    /// Circuit blood flow, L/min, signed: negative is backflow from return to drainage.
    Flow,
    /// Measured pump speed, rpm.
    PumpSpeed,
    /// Pre-oxygenator (venous) O2 saturation, %.
    PreOxySo2,
    /// Post-oxygenator O2 saturation, %.
    PostOxySo2,
    /// Post-oxygenator PO2, mmHg.
    PostOxyPo2,
    /// Post-oxygenator PCO2, mmHg.
    PostOxyPco2,
    /// Right radial (upper body) arterial SaO2, %.
    SaO2Upper,
    /// Femoral (lower body) arterial SaO2, %.
    SaO2Lower,
    /// Haemoglobin, g/dL.
    Hb,
    /// Blood temperature in the circuit, °C.
    Temperature,
    /// Battery state of charge, fraction 0..1.
    Battery,
    /// Patient's arterial line (right radial), instantaneous pressure, mmHg: an input from the
    /// patient monitor, not from the pump unit. The controller derives the pulse pressure from
    /// it (MON-11).
    ArterialPressure,
}

impl Channel {
    /// Number of analogue channels.
    pub const COUNT: usize = 16;

    /// All channels in index order.
    pub const ALL: [Channel; Channel::COUNT] = [
        Channel::DrainagePressure,
        Channel::PreOxyPressure,
        Channel::PostOxyPressure,
        Channel::DeltaP,
        Channel::Flow,
        Channel::PumpSpeed,
        Channel::PreOxySo2,
        Channel::PostOxySo2,
        Channel::PostOxyPo2,
        Channel::PostOxyPco2,
        Channel::SaO2Upper,
        Channel::SaO2Lower,
        Channel::Hb,
        Channel::Temperature,
        Channel::Battery,
        Channel::ArterialPressure,
    ];

    pub const fn index(self) -> usize {
        self as usize
    }

    /// Short name for logs and the console, e.g. `"flow"`.
    pub const fn name(self) -> &'static str {
        match self {
            Channel::DrainagePressure => "drainage pressure",
            Channel::PreOxyPressure => "pre-oxygenator pressure",
            Channel::PostOxyPressure => "post-oxygenator pressure",
            Channel::DeltaP => "oxygenator pressure drop",
            Channel::Flow => "flow",
            Channel::PumpSpeed => "pump speed",
            Channel::PreOxySo2 => "pre-oxygenator SO2",
            Channel::PostOxySo2 => "post-oxygenator SO2",
            Channel::PostOxyPo2 => "post-oxygenator PO2",
            Channel::PostOxyPco2 => "post-oxygenator PCO2",
            Channel::SaO2Upper => "SaO2 upper body",
            Channel::SaO2Lower => "SaO2 lower body",
            Channel::Hb => "haemoglobin",
            Channel::Temperature => "temperature",
            Channel::Battery => "battery",
            Channel::ArterialPressure => "arterial pressure",
        }
    }

    /// Unit of the channel's value.
    pub const fn unit(self) -> &'static str {
        match self {
            Channel::DrainagePressure
            | Channel::PreOxyPressure
            | Channel::PostOxyPressure
            | Channel::DeltaP
            | Channel::PostOxyPo2
            | Channel::PostOxyPco2
            | Channel::ArterialPressure => "mmHg",
            Channel::Flow => "L/min",
            Channel::PumpSpeed => "rpm",
            Channel::PreOxySo2 | Channel::PostOxySo2 | Channel::SaO2Upper | Channel::SaO2Lower => {
                "%"
            }
            Channel::Hb => "g/dL",
            Channel::Temperature => "°C",
            Channel::Battery => "fraction",
        }
    }
}

/// Everything sampled for one control step.
#[derive(Clone, Copy, Debug, PartialEq, Default)]
pub struct SensorFrame {
    /// Drainage (pre-pump) pressure, mmHg.
    pub p_drainage: Reading,
    /// Pre-oxygenator pressure, mmHg.
    pub p_pre_oxy: Reading,
    /// Post-oxygenator pressure, mmHg.
    pub p_post_oxy: Reading,
    /// Oxygenator pressure drop, mmHg.
    pub delta_p: Reading,
    /// Circuit flow, L/min, signed (negative = backflow).
    pub flow: Reading,
    /// Measured pump speed, rpm.
    pub pump_speed: Reading,
    /// Pre-oxygenator SO2, %.
    pub so2_pre: Reading,
    /// Post-oxygenator SO2, %.
    pub so2_post: Reading,
    /// Post-oxygenator PO2, mmHg.
    pub po2_post: Reading,
    /// Post-oxygenator PCO2, mmHg.
    pub pco2_post: Reading,
    /// Right radial (upper body) SaO2, %.
    pub sao2_upper: Reading,
    /// Femoral (lower body) SaO2, %.
    pub sao2_lower: Reading,
    /// Haemoglobin, g/dL.
    pub hb: Reading,
    /// Circuit blood temperature, °C.
    pub temperature: Reading,
    /// Battery state of charge, fraction 0..1.
    pub battery: Reading,
    /// Patient's arterial line (right radial), instantaneous, mmHg; sampled at the control
    /// rate so that the controller sees the pulse. Missing where no monitor is connected.
    pub p_art: Reading,
    /// Air at the bubble detector on the return line.
    pub bubble: Flag,
    /// Mains power present.
    pub mains_power: Flag,
    /// When the operator interface last proved it was alive (ms, controller clock); `None`
    /// if it never has. The controller raises ALM-UI when this is older than
    /// [`crate::UI_HEARTBEAT_TIMEOUT_MS`].
    pub ui_heartbeat_ms: Option<u64>,
}

impl SensorFrame {
    /// A frame with every reading missing (what a failed acquisition yields).
    pub const MISSING: SensorFrame = SensorFrame {
        p_drainage: Reading::MISSING,
        p_pre_oxy: Reading::MISSING,
        p_post_oxy: Reading::MISSING,
        delta_p: Reading::MISSING,
        flow: Reading::MISSING,
        pump_speed: Reading::MISSING,
        so2_pre: Reading::MISSING,
        so2_post: Reading::MISSING,
        po2_post: Reading::MISSING,
        pco2_post: Reading::MISSING,
        sao2_upper: Reading::MISSING,
        sao2_lower: Reading::MISSING,
        hb: Reading::MISSING,
        temperature: Reading::MISSING,
        battery: Reading::MISSING,
        p_art: Reading::MISSING,
        bubble: Flag::MISSING,
        mains_power: Flag::MISSING,
        ui_heartbeat_ms: None,
    };

    /// The reading of one analogue channel.
    pub fn reading(&self, ch: Channel) -> Reading {
        match ch {
            Channel::DrainagePressure => self.p_drainage,
            Channel::PreOxyPressure => self.p_pre_oxy,
            Channel::PostOxyPressure => self.p_post_oxy,
            Channel::DeltaP => self.delta_p,
            Channel::Flow => self.flow,
            Channel::PumpSpeed => self.pump_speed,
            Channel::PreOxySo2 => self.so2_pre,
            Channel::PostOxySo2 => self.so2_post,
            Channel::PostOxyPo2 => self.po2_post,
            Channel::PostOxyPco2 => self.pco2_post,
            Channel::SaO2Upper => self.sao2_upper,
            Channel::SaO2Lower => self.sao2_lower,
            Channel::Hb => self.hb,
            Channel::Temperature => self.temperature,
            Channel::Battery => self.battery,
            Channel::ArterialPressure => self.p_art,
        }
    }

    /// Mutable access to one analogue channel (for acquisition layers and tests).
    pub fn reading_mut(&mut self, ch: Channel) -> &mut Reading {
        match ch {
            Channel::DrainagePressure => &mut self.p_drainage,
            Channel::PreOxyPressure => &mut self.p_pre_oxy,
            Channel::PostOxyPressure => &mut self.p_post_oxy,
            Channel::DeltaP => &mut self.delta_p,
            Channel::Flow => &mut self.flow,
            Channel::PumpSpeed => &mut self.pump_speed,
            Channel::PreOxySo2 => &mut self.so2_pre,
            Channel::PostOxySo2 => &mut self.so2_post,
            Channel::PostOxyPo2 => &mut self.po2_post,
            Channel::PostOxyPco2 => &mut self.pco2_post,
            Channel::SaO2Upper => &mut self.sao2_upper,
            Channel::SaO2Lower => &mut self.sao2_lower,
            Channel::Hb => &mut self.hb,
            Channel::Temperature => &mut self.temperature,
            Channel::Battery => &mut self.battery,
            Channel::ArterialPressure => &mut self.p_art,
        }
    }
}
