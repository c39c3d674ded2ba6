//! Cannulae and tubing: pressure drop versus flow.
//!
//! OWNER: components helper. Units: size French, flow L/min, pressure mmHg.

/// Which way blood goes through a single-lumen cannula.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum CannulaRole {
    /// Venous, multi-stage drainage cannula.
    Drainage,
    /// Arterial or venous return cannula.
    Return,
}

#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Cannula {
    pub role: CannulaRole,
    pub size_fr: f64,
}

impl Cannula {
    /// Pressure drop along the cannula, signed with the flow.
    pub fn pressure_drop_mmhg(&self, q_lpm: f64) -> f64 {
        let _ = q_lpm;
        todo!()
    }
}

#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Tubing {
    pub length_m: f64,
    pub inner_diameter_mm: f64,
}

impl Tubing {
    /// Poiseuille pressure drop, signed with the flow, for blood of the given viscosity.
    pub fn pressure_drop_mmhg(&self, q_lpm: f64, viscosity_mpa_s: f64) -> f64 {
        let _ = (q_lpm, viscosity_mpa_s);
        todo!()
    }
}
