//! The named signals an experiment records: every numeric field of [`Observation`], with
//! blood-gas sub-fields flattened (`art_upper.so2` becomes `art_upper_so2`) and flags as 0/1.
//!
//! These are the twin's true values, before any sensor model. The table lives here, beside
//! `Observation`, so that experiments, research, the Python package and the twin's own tests
//! read one vocabulary (`experiment::signals` re-exports it).
use crate::twin::Observation;

/// One recordable signal.
pub struct Signal {
    pub name: &'static str,
    pub unit: &'static str,
    pub doc: &'static str,
    pub get: fn(&Observation) -> f64,
}

/// A signal's value from an `Observation` field: numbers as they are, flags as 0/1.
trait AsSignal {
    fn as_signal(&self) -> f64;
}

impl AsSignal for f64 {
    fn as_signal(&self) -> f64 {
        *self
    }
}

impl AsSignal for bool {
    fn as_signal(&self) -> f64 {
        if *self { 1.0 } else { 0.0 }
    }
}

/// Each line is `name, unit, doc;` for the `Observation` field of that name, or
/// `name, unit, doc, |o| expr;` where the value is not such a field.
macro_rules! signals {
    ($( $name:ident, $unit:expr, $doc:expr $(, |$o:ident| $e:expr)?; )*) => {
        /// Every signal, in the order of `Observation`'s fields.
        pub const SIGNALS: &[Signal] = &[
            $( Signal {
                name: stringify!($name),
                unit: $unit,
                doc: $doc,
                get: signals!(@get $name $(, |$o| $e)?),
            }, )*
        ];
    };
    (@get $name:ident) => { |o| o.$name.as_signal() };
    (@get $name:ident, |$o:ident| $e:expr) => { |$o| $e };
}

macro_rules! gas {
    ($prefix:literal, $field:ident, $where:literal) => {
        [
            gas!(@one $prefix, $field, $where, po2_mmhg, "mmHg", "PO2"),
            gas!(@one $prefix, $field, $where, pco2_mmhg, "mmHg", "PCO2"),
            gas!(@one $prefix, $field, $where, ph, "pH", "pH"),
            gas!(@one $prefix, $field, $where, so2, "1", "O2 saturation (fraction)"),
        ]
    };
    // One `GasState` field: `<prefix>_<sub>`, documented "<what>, <where>".
    (@one $prefix:literal, $field:ident, $where:literal, $sub:ident, $unit:literal, $what:literal) => {
        Signal {
            name: concat!($prefix, "_", stringify!($sub)),
            unit: $unit,
            doc: concat!($what, ", ", $where),
            get: |o| o.$field.$sub,
        }
    };
}

/// Blood-gas signals; kept apart because `GasState` has four fields each.
pub const GAS_SIGNALS: &[[Signal; 4]] = &[
    gas!("pre_oxy", pre_oxy, "blood entering the oxygenator"),
    gas!("post_oxy", post_oxy, "blood leaving the oxygenator"),
    gas!("art_upper", art_upper, "right radial artery (upper body)"),
    gas!("art_lower", art_lower, "femoral artery (lower body)"),
    gas!("art_left_radial", art_left_radial, "left radial artery"),
    gas!("art_cerebral", art_cerebral, "carotid arteries (brain)"),
];

signals! {
    pump_speed_rpm, "rpm", "Actual pump speed (the motor lags the command).";
    circuit_flow_lpm, "L/min", "Circuit blood flow; negative is backflow.";
    p_drainage_mmhg, "mmHg", "Drainage (pre-pump) line pressure.";
    p_pre_oxy_mmhg, "mmHg", "Pressure between pump and oxygenator.";
    p_post_oxy_mmhg, "mmHg", "Pressure after the oxygenator (return line).";
    delta_p_oxy_mmhg, "mmHg", "Pressure drop across the oxygenator.";
    circuit_temp_c, "degC", "Blood temperature in the circuit.";
    bubble, "0/1", "Air at the return-line bubble detector (mean = share of time).";
    sweep_lpm, "L/min", "Sweep gas flow.";
    fdo2, "1", "Sweep gas O2 fraction.";
    oxy_o2_transfer_ml_min, "mL/min", "O2 taken up by blood in the oxygenator.";
    oxy_co2_transfer_ml_min, "mL/min", "CO2 removed from blood in the oxygenator.";
    plasma_fhb_mg_dl, "mg/dL", "Plasma free haemoglobin.";
    anti_xa_iu_ml, "IU/mL", "Heparin anti-Xa activity.";
    act_s, "s", "Activated clotting time.";
    oxy_clot_fraction, "1", "Share of the oxygenator membrane lost to thrombus.";
    pump_clot_fraction, "1", "Share of the pump head clearance lost to thrombus.";
    mains_power, "0/1", "Mains power present (mean = share of time).";
    battery_fraction, "1", "Battery charge.";
    heart_rate_bpm, "1/min", "Heart rate.";
    p_art_mmhg, "mmHg", "Instantaneous right radial arterial pressure.";
    map_mmhg, "mmHg", "Mean arterial pressure.";
    cvp_mmhg, "mmHg", "Central venous pressure.";
    p_la_mmhg, "mmHg", "Left atrial pressure (stands for PCWP).";
    p_pa_mean_mmhg, "mmHg", "Mean pulmonary artery pressure.";
    cardiac_output_lpm, "L/min", "Native left-ventricular output.";
    svo2, "1", "True mixed venous (pulmonary artery) O2 saturation.";
    hb_g_dl, "g/dL", "Haemoglobin concentration.";
    patient_temp_c, "degC", "Patient temperature.";
    vo2_ml_min, "mL/min", "Whole-body O2 consumption.";
    vco2_ml_min, "mL/min", "Whole-body CO2 production.";
    recirculation_fraction, "1", "Share of circuit flow that is returned blood drawn straight back (VV), by the Abrams formula on true saturations.";
    recirculation_traced, "1", "Share of drained blood that is returned blood drawn straight back, traced with the blood (no saturation algebra).";
    blood_volume_ml, "mL", "Total blood volume in patient and circuit.";
    venous_return_so2, "1", "O2 saturation of the venous blood returning from the body before it meets circuit return (the SvO2 of Abrams' recirculation formula).";
    lung_o2_ml_min, "mL/min", "O2 taken up by the native lungs.";
    lung_co2_ml_min, "mL/min", "CO2 given off by the native lungs.";
    stroke_volume_ml, "mL", "Left-ventricular stroke volume of the last beat (through the aortic valve).";
    lv_edv_ml, "mL", "Left-ventricular end-diastolic volume of the last beat.";
    lv_esv_ml, "mL", "Left-ventricular end-systolic volume of the last beat.";
    lv_ef, "1", "Left-ventricular ejection fraction (EDV - ESV)/EDV of the last beat.";
    lvedp_mmhg, "mmHg", "Left-ventricular end-diastolic pressure of the last beat.";
    lv_peak_mmhg, "mmHg", "Peak left-ventricular pressure of the last beat.";
    lv_stroke_work_mmhg_ml, "mmHg*mL", "Left-ventricular stroke work (pressure-volume loop area) of the last beat.";
    rv_edv_ml, "mL", "Right-ventricular end-diastolic volume of the last beat.";
    rv_esv_ml, "mL", "Right-ventricular end-systolic volume of the last beat.";
    rv_ef, "1", "Right-ventricular ejection fraction of the last beat.";
    pcwp_mmhg, "mmHg", "Pulmonary capillary wedge pressure (mean pulmonary venous pressure of the last beat).";
    p_art_sys_mmhg, "mmHg", "Systolic pressure at the right radial arterial line, last beat.";
    p_art_dia_mmhg, "mmHg", "Diastolic pressure at the right radial arterial line, last beat.";
    aortic_valve_open_fraction, "1", "Share of the last 10 beats in which the aortic valve opened (0: a closed aortic valve, a non-ejecting LV on VA support).";
    p_pericardium_mmhg, "mmHg", "Pericardial pressure.";
    p_alv_o2_mmhg, "mmHg", "Alveolar PO2.";
    p_alv_co2_mmhg, "mmHg", "Alveolar PCO2.";
    air_to_patient_ml, "mL", "Air passed through the return cannula into the patient since the start.";
    heater_c, "degC", "Heater water set point in use (0 = off).";
    stressed_volume_ml, "mL", "Stressed volume of the patient's vessels (above their unstressed volumes).";
    arch_to_descending_lpm, "L/min", "Net flow from the aortic arch into the descending aorta over the last beat; negative in femoral VA when circuit blood climbs past the arch's branches (watershed above the descending aorta).";
    watershed_cm, "cm", "Where circuit and native blood meet in the aorta: distance from the aortic valve at which half the blood came from the circuit (0: circuit blood fills the root; 55 in an adult: none reaches the aorta).";
    svc_so2, "1", "True O2 saturation in the superior vena cava.";
    ivc_so2, "1", "True O2 saturation in the infrahepatic inferior vena cava.";
    cannula_tip_distance_cm, "cm", "Distance between the drainage and return cannula tips along the venae cavae (VV; 0 in VA).";
    coronary_circuit_fraction, "1", "Share of the blood at the coronary ostia (aortic root) that came from the circuit.";
    cerebral_circuit_fraction, "1", "Share of the blood in the carotids that came from the circuit.";
    drainage_occluded, "0/1", "Vein wall sucked onto the drainage cannula (suction; mean = share of time).";
    p_carotid_mmhg, "mmHg", "Carotid sinus pressure: mean carotid pressure over the last beat (what the baroreflex senses).";
    svr_mmhg_s_ml, "mmHg*s/mL", "Systemic vascular resistance in effect (the patient's, changed by the baroreflex when its gain is above 0).";
    interstitial_fluid_ml, "mL", "Interstitial fluid volume (rises as infused crystalloid leaves the plasma).";
    fluid_excreted_ml, "mL", "Infused fluid excreted by the kidneys since the start.";
    norepinephrine_ng_ml, "ng/mL", "Plasma norepinephrine given (above the patient's own) (drugs section).", |o| o.drug_plasma[0];
    epinephrine_ng_ml, "ng/mL", "Plasma epinephrine given (above the patient's own) (drugs section).", |o| o.drug_plasma[1];
    vasopressin_mu_ml, "mU/mL", "Plasma vasopressin given (above the patient's own) (drugs section).", |o| o.drug_plasma[2];
    dobutamine_ng_ml, "ng/mL", "Plasma dobutamine (drugs section).", |o| o.drug_plasma[3];
    milrinone_ng_ml, "ng/mL", "Plasma milrinone (drugs section).", |o| o.drug_plasma[4];
    propofol_ug_ml, "ug/mL", "Plasma propofol (drugs section).", |o| o.drug_plasma[5];
    fentanyl_ng_ml, "ng/mL", "Plasma fentanyl (drugs section).", |o| o.drug_plasma[6];
    rocuronium_ug_ml, "ug/mL", "Plasma rocuronium (drugs section).", |o| o.drug_plasma[7];
    bivalirudin_ug_ml, "ug/mL", "Plasma bivalirudin (drugs section).", |o| o.drug_plasma[8];
    neuromuscular_block, "1", "Neuromuscular block: share of twitch height lost (rocuronium).";
    lactate_mmol_l, "mmol/L", "Arterial lactate: basal production and clearance, plus anaerobic production when tissues get less O2 than they need (twin.rs).";
    base_excess_meq_l, "mEq/L", "Base excess in effect: the patient's, less lactate above 1 mmol/L.";
    rhythm, "code", "The heart's rhythm: 0 perfusing, 1 ventricular fibrillation, 2 asystole, 3 pulseless electrical activity (cardiac arrest and CPR section).";
    cpp_mmhg, "mmHg", "Coronary perfusion pressure in cardiac arrest: aortic root minus right atrium (in the release phase during compressions, throughout without them), smoothed over about three compression cycles; 0 with a perfusing rhythm.";
    ventilator_on, "0/1", "A mechanical ventilator is connected (the `ventilator_*` events); the `vent_*` signals are 0 without one.";
    vent_ppeak_cmh2o, "cmH2O", "Ventilator peak airway pressure: plateau plus the resistive drop in volume control, PEEP + set pressure in pressure control.";
    vent_pplat_cmh2o, "cmH2O", "Plateau pressure (end-inspiratory alveolar): total PEEP + VT / respiratory-system compliance.";
    vent_driving_cmh2o, "cmH2O", "Driving pressure: plateau less total PEEP, VT / C_rs.";
    vent_peep_total_cmh2o, "cmH2O", "Total PEEP: set PEEP plus intrinsic PEEP (gas trapped by a short expiration).";
    vent_vt_ml, "mL", "Tidal volume delivered (set in volume control; from compliance, resistance and the set pressure in pressure control).";
    vent_minute_volume_lpm, "L/min", "Minute ventilation, rate × tidal volume (dead space included).";
    vent_compliance_ml_cmh2o, "mL/cmH2O", "Respiratory-system static compliance, lung and chest wall in series.";
    pleural_mean_cmh2o, "cmH2O", "Mean pleural (intrathoracic) pressure over the breath: −5 at rest without a ventilator; PEEP and positive-pressure breaths raise it by C_rs/C_chest_wall of the mean alveolar pressure. The chest's veins and heart sit in it.";
    shunt_effective, "1", "Intrapulmonary shunt fraction in effect: the patient's `shunt_fraction`, lowered as a ventilator recruits a recruitable lung and raised as it derecruits (ventilator section).";
    recruited_fraction, "1", "Share of the recruitable lung (patient `recruitability`) open now: 0 at the reference state (PEEP 5), 1 all of it (ventilator section).";
    vent_dead_space_fraction, "1", "Dead space over tidal volume of the ventilator's breath: anatomical (2.2 mL/kg) plus the alveolar dead space of an overdistended injured lung.";
    chemoreflex_drive_lpm, "L/min", "Change of minute ventilation the chemoreflex asks for (patient `chemoreflex_gain`; chemoreflex section); 0 with the gain at 0.";
    alveolar_ventilation_effective_lpm, "L/min", "Alveolar ventilation of the native lungs in effect: the ventilator's, the patient's own breathing driven by the chemoreflex, or the patient's `alveolar_ventilation_lpm`.";
}

/// All signals, scalar ones first and then the blood gases.
pub fn all() -> impl Iterator<Item = &'static Signal> {
    SIGNALS.iter().chain(GAS_SIGNALS.iter().flatten())
}

/// Look a signal up by name.
pub fn find(name: &str) -> Option<&'static Signal> {
    all().find(|s| s.name == name)
}

/// Every signal name, for error messages.
pub fn names() -> Vec<&'static str> {
    all().map(|s| s.name).collect()
}

/// Measured (sensor) signals, present when `[sensors] enabled = true`: for each console channel
/// `sensor_<channel>` (the reading) and `sensor_<channel>_valid` (1 when valid, 0 during a
/// dropout or before the first sample).
pub struct SensorSignal {
    pub name: String,
    pub unit: &'static str,
    pub channel: crate::sensors::Channel,
    /// The validity flag rather than the value.
    pub valid: bool,
}

/// Every sensor signal, value then validity, channel by channel.
pub fn sensor_signals() -> Vec<SensorSignal> {
    let mut out = Vec::new();
    for ch in crate::sensors::Channel::ALL {
        let spec = ch.spec();
        for valid in [false, true] {
            out.push(SensorSignal {
                name: if valid {
                    format!("sensor_{}_valid", spec.name)
                } else {
                    format!("sensor_{}", spec.name)
                },
                unit: if valid { "0/1" } else { spec.unit },
                channel: ch,
                valid,
            });
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::drugs::DRUGS;
    use crate::presets::preset;
    use crate::twin::Twin;

    /// The top-level field names of a `{:?}`-printed struct (`Name { a: 1, b: Inner { .. } }`).
    fn fields(debug: &str) -> Vec<String> {
        let body = &debug[debug.find('{').expect("a struct") + 1..];
        let (mut depth, mut start, mut out) = (0i32, 0, Vec::new());
        for (i, c) in body.char_indices() {
            match c {
                '{' | '[' | '(' => depth += 1,
                '}' | ']' | ')' if depth > 0 => depth -= 1,
                ',' | '}' if depth == 0 => {
                    let item = body[start..i].trim();
                    if let Some((name, _)) = item.split_once(':') {
                        out.push(name.trim().to_string());
                    }
                    start = i + 1;
                }
                _ => {}
            }
        }
        out
    }

    #[test]
    fn every_observation_field_is_a_signal_once() {
        let o = Twin::new(&preset("ards-severe").expect("preset"))
            .expect("valid preset")
            .observe();
        let fields = fields(&format!("{o:?}"));
        assert!(fields.len() > 50, "parsed {fields:?}");
        // The drugs' plasma levels are one array field, a signal per drug in DRUGS order.
        let drug = |s: &Signal| {
            DRUGS
                .iter()
                .position(|d| s.name.starts_with(&format!("{}_", d.name)))
        };
        let mut marked = o;
        for (i, c) in marked.drug_plasma.iter_mut().enumerate() {
            *c = 1.0 + i as f64;
        }
        for (i, d) in DRUGS.iter().enumerate() {
            let s: Vec<_> = SIGNALS.iter().filter(|s| drug(s) == Some(i)).collect();
            assert_eq!(s.len(), 1, "{}: one signal", d.name);
            assert_eq!(
                (s[0].get)(&marked),
                1.0 + i as f64,
                "{} reads its own level",
                s[0].name
            );
        }
        for f in &fields {
            let scalar = SIGNALS.iter().any(|s| s.name == f) || f == "drug_plasma";
            let gas = GAS_SIGNALS
                .iter()
                .any(|g| g[0].name.strip_suffix("_po2_mmhg") == Some(f.as_str()));
            assert!(
                scalar || gas || f == "time_s",
                "Observation::{f} has no signal"
            );
        }
        let names = names();
        for (i, n) in names.iter().enumerate() {
            assert!(!names[..i].contains(n), "{n} twice");
        }
        // Every signal is a field (or a gas state's part): the table names nothing else.
        for s in SIGNALS.iter().filter(|s| drug(s).is_none()) {
            assert!(fields.iter().any(|f| f == s.name), "{} is no field", s.name);
        }
    }
}
