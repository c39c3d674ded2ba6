//! The settable quantities of an experiment, each with its unit, allowed range and meaning.
//!
//! These tables are the single source for parsing, range checks, `set_patient` events and the
//! parameter lists in docs/experiments.md (a test keeps the document and the tables in step).
//! Ranges are the span over which an adult twin is meant to be run, not hard physical limits;
//! each range's reasoning is in its doc string.
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
    weight_kg, "kg", 40.0, 150.0, None,
        "Body weight; scales metabolism and heparin dosing. Adult range.";
    heart_rate_bpm, "1/min", 30.0, 200.0, Some(PatientParam::HeartRate),
        "Heart rate.";
    lv_emax_mmhg_ml, "mmHg/mL", 0.2, 5.0, Some(PatientParam::LvEmax),
        "Left-ventricular end-systolic elastance (contractility); healthy about 2.8-2.95, failure about 0.6 (patient.md).";
    rv_emax_mmhg_ml, "mmHg/mL", 0.1, 4.0, Some(PatientParam::RvEmax),
        "Right-ventricular end-systolic elastance; healthy 0.585-1.75 (patient.md).";
    svr_mmhg_s_ml, "mmHg*s/mL", 0.3, 3.0, Some(PatientParam::Svr),
        "Systemic vascular resistance; normal about 1.09 (Smith 2004).";
    pvr_mmhg_s_ml, "mmHg*s/mL", 0.02, 1.0, Some(PatientParam::Pvr),
        "Pulmonary vascular resistance; normal about 0.12-0.16 (Smith 2004, Ursino 1998).";
    blood_volume_ml, "mL", 3000.0, 8000.0, None,
        "Total blood volume; normal about 5300 (Ursino 1998). Change it during a run with `volume` and `bleeding` events.";
    hb_g_dl, "g/dL", 5.0, 20.0, None,
        "Haemoglobin concentration; normal 12-16.";
    base_excess_meq_l, "mEq/L", -25.0, 25.0, None,
        "Base excess (metabolic acid-base state).";
    temp_c, "degC", 30.0, 42.0, Some(PatientParam::Temperature),
        "Body temperature.";
    vo2_ml_kg_min, "mL/kg/min", 1.0, 8.0, Some(PatientParam::Vo2),
        "Whole-body O2 consumption; about 3 at rest.";
    rq, "1", 0.7, 1.0, None,
        "Respiratory quotient VCO2/VO2; about 0.8 at rest.";
    alveolar_ventilation_lpm, "L/min", 0.0, 20.0, Some(PatientParam::AlveolarVentilation),
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
    pump_rpm, "rpm", 0.0, 5025.0,
        "Commanded pump speed; the motor follows with its own acceleration limit. Upper bound: the speed range of a Cardiohelp-class console (consoles-and-standards.md).";
    return_clamp, "1", 0.0, 1.0,
        "Return-line clamp: 0 open, 1 fully closed.";
    sweep_lpm, "L/min", 0.0, 15.0,
        "Sweep gas flow through the oxygenator.";
    fdo2, "1", 0.21, 1.0,
        "O2 fraction of the sweep gas.";
    heater_c, "degC", 20.0, 40.0,
        "Heater water temperature set point.";
}

pub fn setting_field(name: &str) -> Option<&'static SettingField> {
    SETTING_FIELDS.iter().find(|f| f.name == name)
}

/// Cannula and tubing ranges, with the reason for each.
pub mod circuit {
    /// Drainage cannula size: the validity range of the venous ΔP fit (circuit.md, ECLIPSE).
    pub const DRAINAGE_FR: (f64, f64) = (19.0, 29.0);
    /// Return cannula size: the validity range of the arterial ΔP fit (circuit.md, ECLIPSE).
    pub const RETURN_FR: (f64, f64) = (15.0, 23.0);
    /// Total tubing length; a typical adult circuit has about 2 m (circuit.md).
    pub const TUBING_LENGTH_M: (f64, f64) = (0.5, 6.0);
    /// Tubing inner diameter: 3/16" (4.8 mm) to 1/2" (12.7 mm); adult circuits use 3/8" (9.525 mm).
    pub const TUBING_DIAMETER_MM: (f64, f64) = (4.5, 13.0);
}
