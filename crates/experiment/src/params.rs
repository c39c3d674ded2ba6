//! The settable quantities of an experiment, each with its unit, allowed range and meaning.
//!
//! These tables are the single source for parsing, range checks, `set_patient` events and the
//! parameter lists in docs/experiments.md (a test keeps the document and the tables in step).
//! Patient and setting ranges are those `physio` itself accepts (`PatientParams::validate`,
//! `Actuation::validate`), so a file that parses is a twin that starts; a test checks that the
//! two agree. Cannula ranges are the validity ranges of the pressure-drop fits.
use physio::{Actuation, PatientParam, PatientParams};

/// One numeric patient parameter.
pub struct PatientField {
    /// The field name in `[patient]`, equal to the `PatientParams` field.
    pub name: &'static str,
    pub unit: &'static str,
    pub min: f64,
    pub max: f64,
    pub doc: &'static str,
    /// The event parameter that changes it during a run, if the twin allows that.
    pub event: Option<PatientParam>,
    pub get: fn(&PatientParams) -> f64,
    pub set: fn(&mut PatientParams, f64),
}

macro_rules! patient_fields {
    ($( $name:ident, $unit:expr, $min:expr, $max:expr, $event:expr, $doc:expr; )*) => {
        /// Every numeric field of `PatientParams`.
        pub const PATIENT_FIELDS: &[PatientField] = &[
            $( PatientField {
                name: stringify!($name),
                unit: $unit,
                min: $min,
                max: $max,
                doc: $doc,
                event: $event,
                get: |p| p.$name,
                set: |p, v| p.$name = v,
            }, )*
        ];
    };
}

patient_fields! {
    weight_kg, "kg", 30.0, 200.0, None,
        "Body weight; scales metabolism (VO2 is per kg) and heparin distribution.";
    heart_rate_bpm, "1/min", 20.0, 220.0, Some(PatientParam::HeartRate),
        "Heart rate.";
    lv_emax_mmhg_ml, "mmHg/mL", 0.1, 6.0, Some(PatientParam::LvEmax),
        "Left-ventricular end-systolic elastance (contractility); healthy about 2.8-2.95, failure about 0.6 (patient.md).";
    rv_emax_mmhg_ml, "mmHg/mL", 0.1, 5.0, Some(PatientParam::RvEmax),
        "Right-ventricular end-systolic elastance; healthy 0.585-1.75 (patient.md).";
    svr_mmhg_s_ml, "mmHg*s/mL", 0.2, 4.0, Some(PatientParam::Svr),
        "Systemic vascular resistance; normal about 1.09 (Smith 2004).";
    pvr_mmhg_s_ml, "mmHg*s/mL", 0.02, 1.5, Some(PatientParam::Pvr),
        "Pulmonary vascular resistance; normal about 0.12-0.16 (Smith 2004, Ursino 1998).";
    blood_volume_ml, "mL", 1050.0, 24000.0, None,
        "Total blood volume; normal about 70 mL/kg, 5300 mL (Ursino 1998). Must also lie within 35-120 mL per kg of weight (checked when the run starts). Change it during a run with `volume` and `bleeding` events.";
    hb_g_dl, "g/dL", 3.0, 22.0, None,
        "Haemoglobin concentration; normal 12-16.";
    base_excess_meq_l, "mEq/L", -30.0, 30.0, None,
        "Base excess (metabolic acid-base state).";
    temp_c, "degC", 25.0, 43.0, Some(PatientParam::Temperature),
        "Body temperature.";
    vo2_ml_kg_min, "mL/kg/min", 0.5, 10.0, Some(PatientParam::Vo2),
        "Whole-body O2 consumption; about 3 at rest.";
    rq, "1", 0.6, 1.2, None,
        "Respiratory quotient VCO2/VO2; about 0.8 at rest.";
    alveolar_ventilation_lpm, "L/min", 0.0, 30.0, Some(PatientParam::AlveolarVentilation),
        "Alveolar ventilation of the native lungs; 0 is apnoea.";
    fio2, "1", 0.21, 1.0, Some(PatientParam::Fio2),
        "Inspired O2 fraction.";
    shunt_fraction, "1", 0.0, 1.0, Some(PatientParam::ShuntFraction),
        "Intrapulmonary shunt fraction (ARDS severity); near 1 means no native gas exchange.";
}

/// Look a patient field up by name.
pub fn patient_field(name: &str) -> Option<&'static PatientField> {
    PATIENT_FIELDS.iter().find(|f| f.name == name)
}

/// One field of `Actuation`, settable in `[settings]` and by timeline `set`.
pub struct SettingField {
    pub name: &'static str,
    pub unit: &'static str,
    pub min: f64,
    pub max: f64,
    pub doc: &'static str,
    pub get: fn(&Actuation) -> f64,
    pub set: fn(&mut Actuation, f64),
}

macro_rules! setting_fields {
    ($( $name:ident, $unit:expr, $min:expr, $max:expr, $doc:expr; )*) => {
        /// Every field of `Actuation`.
        pub const SETTING_FIELDS: &[SettingField] = &[
            $( SettingField {
                name: stringify!($name),
                unit: $unit,
                min: $min,
                max: $max,
                doc: $doc,
                get: |a| a.$name,
                set: |a, v| a.$name = v,
            }, )*
        ];
    };
}

setting_fields! {
    pump_rpm, "rpm", 0.0, physio::circuit::MAX_RPM,
        "Commanded pump speed; the motor follows with its own acceleration limit.";
    return_clamp, "1", 0.0, 1.0,
        "Return-line clamp: 0 open, 1 fully closed.";
    sweep_lpm, "L/min", 0.0, 15.0,
        "Sweep gas flow through the oxygenator.";
    fdo2, "1", 0.21, 1.0,
        "O2 fraction of the sweep gas.";
    heater_c, "degC", 0.0, 42.0,
        "Heater water temperature set point; 0 turns the heater off.";
}

pub fn setting_field(name: &str) -> Option<&'static SettingField> {
    SETTING_FIELDS.iter().find(|f| f.name == name)
}

/// Cannula and tubing ranges, with the reason for each.
pub mod circuit {
    use physio::cannula::{Cannula, CannulaRole};
    /// Drainage cannula size: the validity range of the venous ΔP fit (circuit.md, ECLIPSE).
    pub fn drainage_fr() -> (f64, f64) {
        Cannula::valid_range(CannulaRole::Drainage)
    }
    /// Return cannula size: the validity range of the arterial ΔP fit (circuit.md, ECLIPSE).
    pub fn return_fr() -> (f64, f64) {
        Cannula::valid_range(CannulaRole::Return)
    }
    /// Total tubing length; a typical adult circuit has about 2 m (circuit.md).
    pub const TUBING_LENGTH_M: (f64, f64) = (0.5, 6.0);
    /// Tubing inner diameter: 3/16" (4.8 mm) to 1/2" (12.7 mm); adult circuits use 3/8" (9.525 mm).
    pub const TUBING_DIAMETER_MM: (f64, f64) = (4.0, 13.0);
}
