//! # experiment — experiment files for the OpenECMO twin
//!
//! An experiment is a TOML file that names a patient (a preset, parameters, or both), a circuit,
//! initial settings, a timeline of setting changes and injected events, and a duration. This
//! crate parses such files with errors that name the offending field by its dotted path and give
//! the allowed range, runs them on `physio::Twin` (optionally through `physio::sensors`, with
//! sensor faults on the timeline), and summarises the named signals over windows.
//! It also holds the validation suite behind `ecmo validate` and the twin's speed benchmark.
//!
//! Invariants:
//! - Parsing never panics: every malformed input becomes an [`Error`] with a path and a message.
//! - The run is as deterministic as the twin: the same file gives the same numbers.
//! - Every range, unit and default lives in one table ([`params`], [`signals`]); the docs are
//!   checked against those tables.
//!
//! What it does not do: it does not model anything itself (all physics is in `physio`), it does
//! not control the circuit (the settings are open-loop; the console's control loop lives in
//! `control`), and it prints nothing (the `ecmo` binary formats results).

pub mod bench;
mod build;
pub mod docs;
pub mod error;
pub mod event_file;
pub mod format;
pub mod params;
pub mod run;
/// The twin's signal vocabulary lives in physio, beside `Observation`; re-exported here.
pub use physio::signals;
pub mod validation;
pub mod validation_aorta;
pub mod validation_breathing;
pub mod validation_cpr;
pub mod validation_cpreflex;
pub mod validation_drugs;
pub mod validation_prime;
pub mod validation_reflex;
pub mod validation_sizes;
pub mod validation_venous;
pub mod validation_ventilator;

pub use error::Error;
pub use format::Experiment;
