//! # bench — the virtual bench: standard tests of ECMO devices on the `physio` models
//!
//! Developers of pumps, oxygenators and coatings lack an agreed way to show whose design is
//! better; the standards define the tests (ISO 7199 for oxygenators, ISO 18242 for centrifugal
//! pumps, ASTM F1841 for hemolysis). This crate runs those tests on the twin's component models
//! in seconds and writes reports a reviewer can check point by point.
//!
//! - [`catalogue`]: devices as TOML files, one per design, every number with its source. The
//!   built-in files in `catalogue/` are compiled in; `--catalogue DIR` adds a user's.
//! - [`oxytest`]: ISO 7199 inlet blood, transfer and pressure drop versus flow, rated flow.
//! - [`pumptest`]: head–flow–speed curves, efficiency, ASTM F1841-style 6 h mock loop.
//! - [`durability`]: a whole circuit for days (14 by default) under a heparin regimen and a
//!   coating: ΔP rise, transfer loss, plasma free Hb, predicted change-out; [`invivo`] carries
//!   the circuit on a patient of the full twin in daily windows.
//! - [`compare`]: the same tests side by side, with a verdict per criterion.
//! - [`report`] (the workspace's `report` crate, re-exported): terminal tables, CSV of every
//!   point, self-contained HTML with inline SVG plots.
//!
//! ## Invariants
//!
//! - No physics here. Every number a test reports comes from a `physio` model (pump head,
//!   oxygenator transfer, hemolysis release, heparin, thrombus, free-Hb clearance) built from
//!   catalogue parameters; this crate only sets the standards' conditions, integrates the
//!   slow subsystems with their own exact steps, and balances circuit pressures.
//! - The built-in catalogue files build exactly the models of `physio`'s named constructors
//!   (tested), and reproduce the published figures they quote within their stated tolerance.
//! - A bad catalogue file or option is refused with a message naming the file, the field and
//!   the allowed range; nothing panics on user input.
//! - Deterministic: the same catalogue and options give the same report, byte for byte (the
//!   wall time is printed, never written into the report files).
//!
//! ## What it does not do
//!
//! It does not run the full 2 ms twin through all of a durability run: fourteen days of
//! hemodynamics would take minutes. The slow subsystems step alone with the circuit's pressures
//! balanced on each step (hemodynamic transients last seconds, the clot grows over days), and
//! the full twin runs a few minutes per simulated day to show the patient. It does not model
//! what the standards test on real hardware but `physio` lacks: heat exchange, plasma leakage,
//! gas-side condensation, bearing wear, cavitation. Verdicts compare numbers under the standard
//! conditions; they are not regulatory conformity claims.
#![forbid(unsafe_code)]

pub mod catalogue;
pub mod cli;
pub mod compare;
pub mod durability;
pub mod invivo;
pub mod oxytest;
pub mod progress;
pub mod pumptest;
/// The report model the bench writes with (shared with the training debriefs).
pub use ::report;
