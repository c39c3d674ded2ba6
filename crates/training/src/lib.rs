//! # training — scenarios, a headless runner, scoring and the debrief
//!
//! What it is: the teaching side of OpenECMO. A scenario file (TOML, docs/scenarios.md) names a
//! patient and circuit, the console's starting settings, a timeline and conditional triggers
//! that inject faults, the learning objectives, and the actions an experienced ECMO specialist
//! would take, each with a time window and points. [`run::Runner`] plays a scenario on
//! `sil::Sil` (twin + sensors + the real control core), with a scripted trainee headless
//! ([`run::run_script`], hundreds of times faster than real time) or a live one driven by a
//! console. [`score::score`] scores a run; [`debrief`] turns a run into a self-contained HTML
//! report and a PDF with vector trend plots.
//!
//! Invariants:
//! - Parsing never panics: every malformed scenario or script is an [`Error`] naming the field
//!   by its dotted path and what is allowed there.
//! - A run is as deterministic as the loop it runs on: the same scenario and script give the
//!   same record.
//! - The trainee acts only through the console's commands (validated by the control core) or
//!   through bedside actions; the scenario's faults reach the controller only through the twin
//!   and the sensor layer, never as a shortcut.
//! - Scoring is a pure function of scenario and record: a recording re-scores the same way.
//!
//! What it does not do: no physics (the twin's), no control (the core's), no clock or network
//! (pacing a live run belongs to the console); the plots, HTML and PDF are drawn by the
//! `report` crate.

pub mod action;
pub mod cli;
pub mod debrief;
pub mod docs;
pub mod lab;
pub mod names;
pub mod record;
pub mod run;
pub mod scenario;
mod scenario_file;
pub mod score;

pub use experiment::Error;
pub use record::Record;
pub use run::{Runner, run_script};
pub use scenario::Scenario;
pub use score::{Score, score};
