//! The names a scenario file may use for signals and alarms, in one table each, so that the
//! parser, the runner, the debrief and docs/scenarios.md agree.
use control::{AlarmId, SensorFrame};
use physio::Observation;

/// A signal the runner records (as a mean over each sample interval) and a trigger or an
/// outcome may test. Saturations and fractions are in percent, as a bedside display shows them.
pub struct Signal {
    pub name: &'static str,
    /// Label for plots and the debrief.
    pub label: &'static str,
    pub unit: &'static str,
    pub get: fn(&Observation, &SensorFrame) -> f64,
}

fn pct(x: f64) -> f64 {
    x * 100.0
}

/// Every recorded signal. True values of the twin, except `flow_sensor_lpm` (what the console's
/// flow sensor shows, which may fail while the true flow goes on).
pub const SIGNALS: &[Signal] = &[
    Signal {
        name: "circuit_flow_lpm",
        label: "Circuit flow",
        unit: "L/min",
        get: |o, _| o.circuit_flow_lpm,
    },
    Signal {
        name: "flow_sensor_lpm",
        label: "Flow sensor reading",
        unit: "L/min",
        get: |_, f| {
            if f.flow.valid {
                f.flow.value as f64
            } else {
                f64::NAN
            }
        },
    },
    Signal {
        name: "pump_speed_rpm",
        label: "Pump speed",
        unit: "rpm",
        get: |o, _| o.pump_speed_rpm,
    },
    Signal {
        name: "p_drainage_mmhg",
        label: "Drainage pressure",
        unit: "mmHg",
        get: |o, _| o.p_drainage_mmhg,
    },
    Signal {
        name: "p_post_oxy_mmhg",
        label: "Return (post-oxygenator) pressure",
        unit: "mmHg",
        get: |o, _| o.p_post_oxy_mmhg,
    },
    Signal {
        name: "delta_p_oxy_mmhg",
        label: "Oxygenator pressure drop",
        unit: "mmHg",
        get: |o, _| o.delta_p_oxy_mmhg,
    },
    Signal {
        name: "post_oxy_po2_mmhg",
        label: "Post-oxygenator PO2",
        unit: "mmHg",
        get: |o, _| o.post_oxy.po2_mmhg,
    },
    Signal {
        name: "post_oxy_pco2_mmhg",
        label: "Post-oxygenator PCO2",
        unit: "mmHg",
        get: |o, _| o.post_oxy.pco2_mmhg,
    },
    Signal {
        name: "pre_oxy_so2_pct",
        label: "Pre-oxygenator SO2",
        unit: "%",
        get: |o, _| pct(o.pre_oxy.so2),
    },
    Signal {
        name: "sao2_upper_pct",
        label: "SaO2 upper body (right radial)",
        unit: "%",
        get: |o, _| pct(o.art_upper.so2),
    },
    Signal {
        name: "sao2_lower_pct",
        label: "SaO2 lower body (femoral)",
        unit: "%",
        get: |o, _| pct(o.art_lower.so2),
    },
    Signal {
        name: "paco2_upper_mmhg",
        label: "PaCO2 upper body",
        unit: "mmHg",
        get: |o, _| o.art_upper.pco2_mmhg,
    },
    Signal {
        name: "ph_upper",
        label: "Arterial pH upper body",
        unit: "",
        get: |o, _| o.art_upper.ph,
    },
    Signal {
        name: "lactate_mmol_l",
        label: "Arterial lactate",
        unit: "mmol/L",
        get: |o, _| o.lactate_mmol_l,
    },
    Signal {
        name: "base_excess_meq_l",
        label: "Base excess",
        unit: "mEq/L",
        get: |o, _| o.base_excess_meq_l,
    },
    Signal {
        name: "hb_g_dl",
        label: "Haemoglobin",
        unit: "g/dL",
        get: |o, _| o.hb_g_dl,
    },
    Signal {
        name: "svo2_pct",
        label: "Mixed venous SO2",
        unit: "%",
        get: |o, _| pct(o.svo2),
    },
    Signal {
        name: "heart_rate_bpm",
        label: "Heart rate",
        unit: "/min",
        get: |o, _| o.heart_rate_bpm,
    },
    Signal {
        name: "rhythm",
        label: "Rhythm (0 perfusing, 1 VF, 2 asystole, 3 PEA)",
        unit: "code",
        get: |o, _| o.rhythm,
    },
    Signal {
        name: "cpp_mmhg",
        label: "Coronary perfusion pressure (in arrest)",
        unit: "mmHg",
        get: |o, _| o.cpp_mmhg,
    },
    Signal {
        name: "map_mmhg",
        label: "Mean arterial pressure",
        unit: "mmHg",
        get: |o, _| o.map_mmhg,
    },
    Signal {
        name: "cvp_mmhg",
        label: "Central venous pressure",
        unit: "mmHg",
        get: |o, _| o.cvp_mmhg,
    },
    Signal {
        name: "p_la_mmhg",
        label: "Left atrial pressure",
        unit: "mmHg",
        get: |o, _| o.p_la_mmhg,
    },
    Signal {
        name: "cardiac_output_lpm",
        label: "Native cardiac output",
        unit: "L/min",
        get: |o, _| o.cardiac_output_lpm,
    },
    Signal {
        name: "stroke_volume_ml",
        label: "LV stroke volume",
        unit: "mL",
        get: |o, _| o.stroke_volume_ml,
    },
    Signal {
        name: "recirculation_pct",
        label: "Recirculation (Abrams estimate)",
        unit: "%",
        get: |o, _| pct(o.recirculation_fraction),
    },
    Signal {
        name: "recirculation_true_pct",
        label: "Recirculation (true, traced)",
        unit: "%",
        get: |o, _| pct(o.recirculation_traced),
    },
    Signal {
        name: "plasma_fhb_mg_dl",
        label: "Plasma free Hb",
        unit: "mg/dL",
        get: |o, _| o.plasma_fhb_mg_dl,
    },
    Signal {
        name: "act_s",
        label: "ACT",
        unit: "s",
        get: |o, _| o.act_s,
    },
    Signal {
        name: "anti_xa_iu_ml",
        label: "Anti-Xa",
        unit: "IU/mL",
        get: |o, _| o.anti_xa_iu_ml,
    },
    Signal {
        name: "oxy_clot_pct",
        label: "Oxygenator membrane lost to clot",
        unit: "%",
        get: |o, _| pct(o.oxy_clot_fraction),
    },
    Signal {
        name: "pump_clot_pct",
        label: "Pump head clearance lost to clot",
        unit: "%",
        get: |o, _| pct(o.pump_clot_fraction),
    },
    Signal {
        name: "battery_pct",
        label: "Battery",
        unit: "%",
        get: |o, _| pct(o.battery_fraction),
    },
    Signal {
        name: "blood_volume_ml",
        label: "Blood volume",
        unit: "mL",
        get: |o, _| o.blood_volume_ml,
    },
    Signal {
        name: "bubble",
        label: "Air at the bubble detector",
        unit: "0/1",
        get: |o, _| if o.bubble { 1.0 } else { 0.0 },
    },
    Signal {
        name: "air_to_patient_ml",
        label: "Air passed to the patient",
        unit: "mL",
        get: |o, _| o.air_to_patient_ml,
    },
    Signal {
        name: "temperature_c",
        label: "Patient temperature",
        unit: "°C",
        get: |o, _| o.patient_temp_c,
    },
    Signal {
        name: "vent_pplat_cmh2o",
        label: "Ventilator plateau pressure",
        unit: "cmH2O",
        get: |o, _| o.vent_pplat_cmh2o,
    },
    Signal {
        name: "vent_driving_cmh2o",
        label: "Ventilator driving pressure",
        unit: "cmH2O",
        get: |o, _| o.vent_driving_cmh2o,
    },
    Signal {
        name: "vent_vt_ml",
        label: "Ventilator tidal volume",
        unit: "mL",
        get: |o, _| o.vent_vt_ml,
    },
    Signal {
        name: "vent_minute_volume_lpm",
        label: "Ventilator minute volume",
        unit: "L/min",
        get: |o, _| o.vent_minute_volume_lpm,
    },
    Signal {
        name: "sweep_lpm",
        label: "Sweep gas",
        unit: "L/min",
        get: |o, _| o.sweep_lpm,
    },
];

pub fn signal(name: &str) -> Option<&'static Signal> {
    SIGNALS.iter().find(|s| s.name == name)
}

pub fn signal_names() -> Vec<&'static str> {
    SIGNALS.iter().map(|s| s.name).collect()
}

/// `SaO2UpperLow` → `sa_o2_upper_low`, `DeltaPHigh` → `delta_p_high`: the alarm's name in
/// files, the same as the console's alarm ids (an underscore before every capital).
pub fn alarm_name(id: AlarmId) -> String {
    let debug = format!("{id:?}");
    let mut out = String::new();
    for (i, c) in debug.chars().enumerate() {
        if c.is_ascii_uppercase() {
            if i > 0 {
                out.push('_');
            }
            out.push(c.to_ascii_lowercase());
        } else {
            out.push(c);
        }
    }
    out
}

pub fn alarm_by_name(name: &str) -> Option<AlarmId> {
    AlarmId::ALL
        .iter()
        .copied()
        .find(|&a| alarm_name(a) == name)
}

pub fn alarm_names() -> Vec<String> {
    AlarmId::ALL.iter().map(|&a| alarm_name(a)).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn alarm_names_are_snake_case_and_round_trip() {
        assert_eq!(alarm_name(AlarmId::SaO2UpperLow), "sa_o2_upper_low");
        assert_eq!(alarm_name(AlarmId::FlowLow), "flow_low");
        assert_eq!(alarm_name(AlarmId::Bubble), "bubble");
        assert_eq!(alarm_name(AlarmId::DeltaPHigh), "delta_p_high");
        for &a in AlarmId::ALL {
            assert_eq!(alarm_by_name(&alarm_name(a)), Some(a));
        }
    }

    #[test]
    fn signal_names_are_unique() {
        let mut n = signal_names();
        n.sort();
        n.dedup();
        assert_eq!(n.len(), SIGNALS.len());
    }
}
