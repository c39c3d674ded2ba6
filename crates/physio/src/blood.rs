//! Blood gas chemistry: O2 and CO2 content, dissociation, acid–base.
//!
//! OWNER: components helper. Signatures are the contract with the rest of the twin; bodies to be
//! written. Units: pressures mmHg, contents mL gas (STPD) per dL blood, saturation as a fraction.

/// The non-respiratory properties of blood that shape its dissociation curves.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Chemistry {
    /// Haemoglobin concentration, g/dL.
    pub hb_g_dl: f64,
    /// Base excess (metabolic acid–base state), mEq/L.
    pub base_excess_meq_l: f64,
    /// Blood temperature, °C.
    pub temp_c: f64,
}

/// The partial pressures and derived values of one blood sample.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct GasState {
    pub po2_mmhg: f64,
    pub pco2_mmhg: f64,
    pub ph: f64,
    /// O2 saturation of haemoglobin, fraction 0..1.
    pub so2: f64,
}

/// The conserved quantities carried with the blood.
#[derive(Clone, Copy, Debug, PartialEq, Default)]
pub struct Contents {
    /// Total O2 (bound + dissolved), mL/dL.
    pub o2_ml_dl: f64,
    /// Total CO2 (all forms), mL/dL.
    pub co2_ml_dl: f64,
}

/// Kelman saturation (fraction) from PO2 with Bohr (pH, PCO2) and temperature shifts.
pub fn kelman_so2(po2_mmhg: f64, pco2_mmhg: f64, ph: f64, temp_c: f64) -> f64 {
    let _ = (po2_mmhg, pco2_mmhg, ph, temp_c);
    todo!()
}

/// Forward: contents and full state of blood at the given partial pressures.
pub fn from_partial_pressures(po2_mmhg: f64, pco2_mmhg: f64, chem: &Chemistry) -> (Contents, GasState) {
    let _ = (po2_mmhg, pco2_mmhg, chem);
    todo!()
}

/// Inverse: the partial pressures of blood holding `contents`. `guess` (the last answer for the
/// same compartment) speeds convergence. Never panics; non-physical input is clamped.
pub fn solve(contents: Contents, chem: &Chemistry, guess: Option<GasState>) -> GasState {
    let _ = (contents, chem, guess);
    todo!()
}
