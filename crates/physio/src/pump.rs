//! Centrifugal blood pump hydraulics: head–flow–speed curves, reverse flow, power.
//!
//! OWNER: components helper. Units: speed rpm, flow L/min, pressure mmHg.

/// Parameters of one pump design.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct PumpModel {
    // fields chosen by the implementer; see shared/references/circuit.md
    _private: (),
}

impl PumpModel {
    /// Rotaflow-class fit (Boes 2019 / ECLIPSE).
    pub fn rotaflow() -> Self {
        todo!()
    }
    /// Look a built-in model up by name ("rotaflow", "dp3", …).
    pub fn by_name(name: &str) -> Option<Self> {
        let _ = name;
        todo!()
    }
    /// Pressure rise (outlet minus inlet) at speed and flow. Defined for every flow, negative
    /// (backflow through a slow pump) included, continuous and decreasing in flow.
    pub fn head_mmhg(&self, rpm: f64, q_lpm: f64) -> f64 {
        let _ = (rpm, q_lpm);
        todo!()
    }
}
