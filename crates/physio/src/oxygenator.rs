//! Membrane oxygenator: O2 and CO2 transfer, pressure drop, degradation by thrombus.
//!
//! OWNER: components helper.
use crate::blood::{Chemistry, Contents, GasState};

#[derive(Clone, Copy, Debug, PartialEq)]
pub struct OxygenatorModel {
    _private: (),
}

/// Sweep gas settings.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Sweep {
    pub flow_lpm: f64,
    /// Delivered O2 fraction 0.21..1.
    pub fdo2: f64,
}

/// What leaves the oxygenator.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Transfer {
    pub outlet: Contents,
    pub outlet_gas: GasState,
    pub o2_ml_min: f64,
    pub co2_ml_min: f64,
}

impl OxygenatorModel {
    /// Quadrox-i adult class, 1.8 m².
    pub fn quadrox_adult() -> Self {
        todo!()
    }
    pub fn by_name(name: &str) -> Option<Self> {
        let _ = name;
        todo!()
    }
    /// Gas transfer for blood flow `q_lpm` entering with `inlet`. `clot_fraction` (0..1) is the
    /// share of the membrane lost to thrombus.
    pub fn transfer(
        &self,
        q_lpm: f64,
        inlet: Contents,
        chem: &Chemistry,
        sweep: Sweep,
        clot_fraction: f64,
    ) -> Transfer {
        let _ = (q_lpm, inlet, chem, sweep, clot_fraction);
        todo!()
    }
    /// Blood-side pressure drop, signed with flow, raised by thrombus.
    pub fn pressure_drop_mmhg(&self, q_lpm: f64, clot_fraction: f64) -> f64 {
        let _ = (q_lpm, clot_fraction);
        todo!()
    }
}
