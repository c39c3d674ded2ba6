//! Anticoagulation and thrombosis over days: heparin pharmacokinetics (anti-Xa, ACT), circuit
//! coating, thrombus in the oxygenator and the pump head.
//!
//! OWNER: components helper. Slow subsystem: stable for steps from 1 ms to 10 min.

/// Thrombogenicity of the blood-contacting surface.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Coating {
    Uncoated,
    HeparinBonded,
    /// Long-acting anticoagulant coating.
    LongActing,
}

/// Unfractionated heparin in the patient.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Heparin {
    _private: (),
}

impl Heparin {
    pub fn new(weight_kg: f64) -> Self {
        let _ = weight_kg;
        todo!()
    }
    pub fn bolus(&mut self, units: f64) {
        let _ = units;
        todo!()
    }
    pub fn set_infusion(&mut self, units_per_h: f64) {
        let _ = units_per_h;
        todo!()
    }
    pub fn step(&mut self, dt_s: f64) {
        let _ = dt_s;
        todo!()
    }
    pub fn anti_xa_iu_ml(&self) -> f64 {
        todo!()
    }
    pub fn act_s(&self) -> f64 {
        todo!()
    }
}

/// Conditions the thrombus grows under during one step.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct ClotDrivers {
    pub anti_xa_iu_ml: f64,
    pub circuit_flow_lpm: f64,
    pub coating: Coating,
}

/// Thrombus burden of the circuit.
#[derive(Clone, Copy, Debug, PartialEq, Default)]
pub struct Thrombus {
    /// Share of the oxygenator's membrane lost, 0..1.
    pub oxygenator_fraction: f64,
    /// Share of the pump head's clearance lost, 0..1.
    pub pump_fraction: f64,
}

impl Thrombus {
    pub fn step(&mut self, dt_s: f64, drivers: &ClotDrivers) {
        let _ = (dt_s, drivers);
        todo!()
    }
}
