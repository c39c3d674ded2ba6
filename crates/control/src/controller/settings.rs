//! The controller's configuration and the operator's settings, with their power-up defaults.

use crate::command::{AlarmLimit, CircuitKind, GasMode, Intervention, Mode};
use crate::pump_curve::PumpCurve;

/// Static configuration of a controller.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Config {
    pub circuit: CircuitKind,
    /// Curve of the fitted pump, for the flow consistency check (MON-4).
    pub pump: PumpCurve,
}

impl Default for Config {
    fn default() -> Self {
        Config {
            circuit: CircuitKind::Vv,
            pump: PumpCurve::ROTAFLOW,
        }
    }
}

/// Why a configuration was refused.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ConfigError {
    pub field: &'static str,
    pub reason: &'static str,
}

/// One intervention's switch and limit.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct InterventionSetting {
    pub enabled: bool,
    /// In the unit of [`Setting::InterventionLimit`]; unused for the bubble intervention.
    pub limit: f32,
}

/// Everything the operator has set.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Settings {
    pub mode: Mode,
    pub circuit: CircuitKind,
    pub rpm_target: f32,
    pub flow_target: f32,
    pub sweep_lpm: f32,
    pub fdo2: f32,
    pub gas_mode: GasMode,
    pub pco2_target: f32,
    pub sweep_min: f32,
    pub sweep_max: f32,
    pub heater_c: f32,
    pub return_clamp: bool,
    pub interventions: [InterventionSetting; Intervention::COUNT],
    pub alarm_limits: [f32; AlarmLimit::COUNT],
}

impl Settings {
    /// Defaults at power-up: standby, interventions on, limits per docs/hazards.md.
    pub const DEFAULT: Settings = Settings {
        mode: Mode::Standby,
        circuit: CircuitKind::Vv,
        rpm_target: 0.0,
        flow_target: 0.0,
        sweep_lpm: 0.0,
        fdo2: 1.0,
        gas_mode: GasMode::Manual,
        pco2_target: 35.0,
        sweep_min: 0.5,
        sweep_max: 8.0,
        heater_c: 37.0,
        return_clamp: false,
        interventions: [
            // Suction: alarm at −100 mmHg is common practice (patient.md).
            InterventionSetting {
                enabled: true,
                limit: -100.0,
            },
            InterventionSetting {
                enabled: true,
                limit: 350.0,
            },
            InterventionSetting {
                enabled: true,
                limit: 0.0,
            },
            // Rotaflow-class zero-flow head at 2000 rpm ≈ 120 mmHg (pump_curve.rs): above a typical
            // adult VA MAP minus CVP. A paediatric circuit sets its own when configured (INT-6).
            InterventionSetting {
                enabled: true,
                limit: 2000.0,
            },
        ],
        alarm_limits: [
            1.0, // FlowLow
            7.0, // FlowHigh
            // DeltaPHigh: normal PMP 10–50 mmHg at 4–5 L/min; a Quadrox-class 0.67 mmHg·s/mL
            // makes ~65 at 5.7 L/min (circuit.md), so 90 leaves room for normal flows.
            90.0, 10.0,  // DeltaPRisePerHour
            95.0,  // PostOxySo2Low (ISO 7199 rated flow defines 95 % outlet)
            100.0, // PostOxyPo2Low
            35.0,  // TemperatureLow
            38.5,  // TemperatureHigh
            85.0,  // SaO2UpperLow (ELSO VV: SaO2 > 80–85 % is acceptable)
            0.5,   // BatteryLow
            1.0,   // FlowMismatch
            10.0,  // PulsePressureLow (loss of pulsatility: below 10–15 mmHg, MON-11)
        ],
    };

    pub fn intervention(&self, i: Intervention) -> InterventionSetting {
        match self.interventions.get(i.index()) {
            Some(s) => *s,
            None => InterventionSetting {
                enabled: false,
                limit: 0.0,
            },
        }
    }

    pub fn alarm_limit(&self, l: AlarmLimit) -> f32 {
        match self.alarm_limits.get(l.index()) {
            Some(v) => *v,
            None => 0.0,
        }
    }
}
