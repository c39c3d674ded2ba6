//! The settable quantities of an experiment, each with its unit, allowed range and meaning.
//!
//! These tables are the single source for parsing, range checks and the parameter lists in
//! docs/experiments.md (a test keeps the document and the tables in step). The patient table is
//! physio's own ([`physio::patient`]), and so is the settings table, the twin's actuation
//! ([`physio::actuation`]). `PatientParams::validate` and `Actuation::validate` check against
//! the same tables, so a file that parses is a twin that starts; a test checks it at each
//! range's edges. Cannula ranges are the validity ranges of the pressure-drop fits.

/// The patient parameters are the twin's own vocabulary (`physio::patient`), read here.
pub use physio::patient::{PATIENT_FIELDS, PatientField, patient_field};

/// The settings are the twin's own vocabulary too (`physio::actuation`), read here.
pub use physio::actuation::{SETTING_FIELDS, SettingField, setting_field};

/// The settings' names, comma-separated, for "allowed: …" messages.
pub fn setting_names() -> String {
    SETTING_FIELDS
        .iter()
        .map(|f| f.name)
        .collect::<Vec<_>>()
        .join(", ")
}

/// Cannula and tubing ranges, with the reason for each.
pub mod circuit {
    use physio::cannula::{Cannula, CannulaRole};
    /// Drainage cannula size: the validity range of the venous ΔP fit (circuit.md, ECLIPSE) and,
    /// from 8 Fr, of the paediatric data (physio cannula.rs).
    pub fn drainage_fr() -> (f64, f64) {
        Cannula::valid_range(CannulaRole::Drainage)
    }
    /// Return cannula size: the validity range of the arterial ΔP fit (circuit.md, ECLIPSE) and,
    /// from 8 Fr, of the paediatric data (Wang 2015, physio cannula.rs).
    pub fn return_fr() -> (f64, f64) {
        Cannula::valid_range(CannulaRole::Return)
    }
    /// Insertion depths, cm (physio::placement).
    pub const DRAINAGE_DEPTH_CM: (f64, f64) = physio::placement::DRAINAGE_DEPTH_CM;
    pub const RETURN_DEPTH_CM: (f64, f64) = physio::placement::RETURN_DEPTH_CM;
    pub const RETURN_JET_ANGLE_DEG: (f64, f64) = physio::placement::RETURN_JET_ANGLE_DEG;
    /// Total tubing length; a typical adult circuit has about 2 m (circuit.md).
    pub const TUBING_LENGTH_M: (f64, f64) = (0.5, 6.0);
    /// Tubing inner diameter: 3/16" (4.8 mm) to 1/2" (12.7 mm); adult circuits use 3/8" (9.525 mm).
    pub const TUBING_DIAMETER_MM: (f64, f64) = (4.0, 13.0);
    /// Hb of a blood prime: the twin's range of Hb (`patient.hb_g_dl`).
    pub const PRIME_HB_G_DL: (f64, f64) = (3.0, 22.0);
}
