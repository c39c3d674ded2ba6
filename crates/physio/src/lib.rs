//! # physio — the digital twin of an adult ECMO patient and circuit
//!
//! Pure and deterministic: no I/O, no clocks, no threads, no global state. State in, state out,
//! fixed step; the same configuration, seed and inputs give bit-identical numbers.

pub mod blood;
pub mod cannula;
pub mod circuit;
pub mod circulation;
pub mod coagulation;
pub mod heart;
pub mod hemolysis;
pub mod lungs;
pub mod oxygenator;
pub mod presets;
pub mod pump;
pub mod rng;
pub mod sensors;
pub mod transport;
pub mod twin;

pub use twin::{
    Actuation, CircuitConfig, ConfigError, Configuration, Event, Observation, PatientParam,
    PatientParams, Twin, TwinConfig,
};
