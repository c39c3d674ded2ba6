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

/// Each line: name, label, unit, value.
macro_rules! signals {
    ($( $name:literal, $label:literal, $unit:literal, |$o:tt, $f:tt| $e:expr; )*) => {
        /// Every recorded signal. True values of the twin, except `flow_sensor_lpm` (what the
        /// console's flow sensor shows, which may fail while the true flow goes on).
        pub const SIGNALS: &[Signal] = &[
            $( Signal { name: $name, label: $label, unit: $unit, get: |$o, $f| $e }, )*
        ];
    };
}

signals! {
    "circuit_flow_lpm", "Circuit flow", "L/min", |o, _| o.circuit_flow_lpm;
    "flow_sensor_lpm", "Flow sensor reading", "L/min", |_, f| { if f.flow.valid { f.flow.value as f64 } else { f64::NAN } };
    "pump_speed_rpm", "Pump speed", "rpm", |o, _| o.pump_speed_rpm;
    "p_drainage_mmhg", "Drainage pressure", "mmHg", |o, _| o.p_drainage_mmhg;
    "p_post_oxy_mmhg", "Return (post-oxygenator) pressure", "mmHg", |o, _| o.p_post_oxy_mmhg;
    "delta_p_oxy_mmhg", "Oxygenator pressure drop", "mmHg", |o, _| o.delta_p_oxy_mmhg;
    "post_oxy_po2_mmhg", "Post-oxygenator PO2", "mmHg", |o, _| o.post_oxy.po2_mmhg;
    "post_oxy_pco2_mmhg", "Post-oxygenator PCO2", "mmHg", |o, _| o.post_oxy.pco2_mmhg;
    "pre_oxy_so2_pct", "Pre-oxygenator SO2", "%", |o, _| pct(o.pre_oxy.so2);
    "sao2_upper_pct", "SaO2 upper body (right radial)", "%", |o, _| pct(o.art_upper.so2);
    "sao2_lower_pct", "SaO2 lower body (femoral)", "%", |o, _| pct(o.art_lower.so2);
    "paco2_upper_mmhg", "PaCO2 upper body", "mmHg", |o, _| o.art_upper.pco2_mmhg;
    "ph_upper", "Arterial pH upper body", "", |o, _| o.art_upper.ph;
    "lactate_mmol_l", "Arterial lactate", "mmol/L", |o, _| o.lactate_mmol_l;
    "base_excess_meq_l", "Base excess", "mEq/L", |o, _| o.base_excess_meq_l;
    "hb_g_dl", "Haemoglobin", "g/dL", |o, _| o.hb_g_dl;
    "svo2_pct", "Mixed venous SO2", "%", |o, _| pct(o.svo2);
    "heart_rate_bpm", "Heart rate", "/min", |o, _| o.heart_rate_bpm;
    "rhythm", "Rhythm (0 perfusing, 1 VF, 2 asystole, 3 PEA)", "code", |o, _| o.rhythm;
    "cpp_mmhg", "Coronary perfusion pressure (in arrest)", "mmHg", |o, _| o.cpp_mmhg;
    "map_mmhg", "Mean arterial pressure", "mmHg", |o, _| o.map_mmhg;
    "cvp_mmhg", "Central venous pressure", "mmHg", |o, _| o.cvp_mmhg;
    "p_la_mmhg", "Left atrial pressure", "mmHg", |o, _| o.p_la_mmhg;
    "cardiac_output_lpm", "Native cardiac output", "L/min", |o, _| o.cardiac_output_lpm;
    "stroke_volume_ml", "LV stroke volume", "mL", |o, _| o.stroke_volume_ml;
    "recirculation_pct", "Recirculation (Abrams estimate)", "%", |o, _| pct(o.recirculation_fraction);
    "recirculation_true_pct", "Recirculation (true, traced)", "%", |o, _| pct(o.recirculation_traced);
    "plasma_fhb_mg_dl", "Plasma free Hb", "mg/dL", |o, _| o.plasma_fhb_mg_dl;
    "act_s", "ACT", "s", |o, _| o.act_s;
    "anti_xa_iu_ml", "Anti-Xa", "IU/mL", |o, _| o.anti_xa_iu_ml;
    "oxy_clot_pct", "Oxygenator membrane lost to clot", "%", |o, _| pct(o.oxy_clot_fraction);
    "pump_clot_pct", "Pump head clearance lost to clot", "%", |o, _| pct(o.pump_clot_fraction);
    "battery_pct", "Battery", "%", |o, _| pct(o.battery_fraction);
    "blood_volume_ml", "Blood volume", "mL", |o, _| o.blood_volume_ml;
    "bubble", "Air at the bubble detector", "0/1", |o, _| if o.bubble { 1.0 } else { 0.0 };
    "air_to_patient_ml", "Air passed to the patient", "mL", |o, _| o.air_to_patient_ml;
    "temperature_c", "Patient temperature", "°C", |o, _| o.patient_temp_c;
    "vent_pplat_cmh2o", "Ventilator plateau pressure", "cmH2O", |o, _| o.vent_pplat_cmh2o;
    "vent_driving_cmh2o", "Ventilator driving pressure", "cmH2O", |o, _| o.vent_driving_cmh2o;
    "vent_vt_ml", "Ventilator tidal volume", "mL", |o, _| o.vent_vt_ml;
    "vent_minute_volume_lpm", "Ventilator minute volume", "L/min", |o, _| o.vent_minute_volume_lpm;
    "sweep_lpm", "Sweep gas", "L/min", |o, _| o.sweep_lpm;
}

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
