//! Blood damage: plasma free haemoglobin made by the pump and cleared by the body.
//!
//! OWNER: components helper. Slow subsystem: must be exact (or stable) for any step from 1 ms to
//! 10 min so that multi-day runs can take large steps.
use crate::pump::PumpModel;

#[derive(Clone, Copy, Debug, PartialEq)]
pub struct HemolysisModel {
    _private: (),
}

impl HemolysisModel {
    /// The calibrated damage law for a pump design.
    pub fn for_pump(pump: &PumpModel) -> Self {
        let _ = pump;
        todo!()
    }
    /// Free haemoglobin released into the plasma, mg/s, at this operating point.
    pub fn release_mg_per_s(&self, rpm: f64, q_lpm: f64, hb_g_dl: f64) -> f64 {
        let _ = (rpm, q_lpm, hb_g_dl);
        todo!()
    }
}

/// Plasma free haemoglobin pool of the patient.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct PlasmaFreeHb {
    pub mg_dl: f64,
}

impl PlasmaFreeHb {
    /// Advance by `dt_s` with `release_mg_s` entering a plasma volume of `plasma_ml`.
    pub fn step(&mut self, dt_s: f64, release_mg_s: f64, plasma_ml: f64) {
        let _ = (dt_s, release_mg_s, plasma_ml);
        todo!()
    }
}
