//! # physio — the digital twin of an adult ECMO patient and circuit
//!
//! Pure and deterministic: no I/O, no clocks, no threads, no global state. State in, state out,
//! fixed step; the same configuration, seed and inputs give bit-identical numbers.
//!
//! ## How the twin is put together
//!
//! [`Twin`] steps three subsystems at three rates:
//!
//! - **Hemodynamics**, every [`Twin::DT_S`] (2 ms): the four-chamber heart with septal and
//!   pericardial interaction ([`heart`]), the
//!   closed-loop circulation split into upper and lower body with segmented aorta and IVC
//!   ([`circulation`]), and the circuit's one inertial flow with pump, cannulae, oxygenator
//!   drop, kinks, clamp and the collapsing vein at the drainage site ([`circuit`]).
//! - **Gas transport and exchange**, every 40 ms: upwind transport of O2, CO2 and air along
//!   every connection ([`transport`]), the native lungs ([`lungs`]), tissue metabolism, and the
//!   oxygenator's transfer. Observed blood gases are solved every 0.2 s.
//! - **Slow processes**, every second: plasma free haemoglobin, heparin, thrombus, battery,
//!   temperature, and fluids given by infusion with their exchange with the interstitium
//!   ([`fluids`]).
//!
//! The arterial baroreflex ([`reflex`], Ursino 1998) runs with the gas step: it senses the
//! last beat's carotid pressure and changes heart rate, contractility, systemic resistance and
//! venous unstressed volume, scaled by the patient's `baroreflex_gain` (0 in every preset).
//!
//! The cardiopulmonary (low-pressure) reflex ([`cpreflex`], Heldt et al. 2002) runs with it:
//! it senses the last beat's transmural right atrial pressure and changes systemic resistance
//! and venous unstressed volume (not heart rate), scaled by `cardiopulmonary_gain` (0 in every
//! preset); the two reflexes add.
//!
//! The chemoreflex ([`chemoreflex`]: peripheral and central, PaCO2 and PaO2 of the carotid blood)
//! runs with the slow step and drives the patient's own breathing, scaled by
//! `chemoreflex_gain` (0 in every preset). On a ventilator an injured lung recruits and
//! derecruits with PEEP and plateau and overdistends at high pressures ([`recruitment`]),
//! changing shunt, compliance and dead space, when its `recruitability` is above 0.
//!
//! ## Invariants
//!
//! - Blood volume changes only by transfusion, infusion and bleeding events and the fluid
//!   kinetics that follow an infusion or a new circuit's crystalloid prime ([`prime`]);
//!   every flow is subtracted from one compartment and added to another (tested to 1e-6 mL
//!   over minutes).
//! - The change in total O2 equals lung uptake + oxygenator transfer − consumption (+ events),
//!   and likewise for CO2 (with what the tissue CO2 stores take up or give back), to rounding ([`twin::Balance`], tested in every configuration).
//! - Recirculation, the femoral VA watershed and suction are not parameters: they follow from
//!   where the cannulae sit and the signed flows between segments.
//! - No heap in the state (a [`Twin`] is a few kilobytes); a clone is an exact fork.
//! - Out-of-range configuration or events are refused with a [`ConfigError`] naming the field
//!   and range; out-of-range actuation is clamped, never a panic.
//!
//! ## What it does not do
//!
//! No spatial (1-D or 3-D) flow: the watershed moves between lumped aortic segments, not
//! continuously. The autonomic reflexes (arterial baroreflex, cardiopulmonary reflex,
//! chemoreflex) act only when their gains are above 0. No
//! transcapillary refill after bleeding. No diffusion limitation in the lungs. Sensor error lives in [`sensors`], not
//! here: [`Observation`] holds true values.

pub mod actuation;
pub mod blood;
pub mod cannula;
pub mod chemoreflex;
pub mod circuit;
pub mod circulation;
pub mod coagulation;
pub mod cpr;
pub mod cpreflex;
pub mod drugs;
pub mod event;
pub mod fluids;
pub mod heart;
pub mod heat;
pub mod hemolysis;
pub mod lungs;
pub mod oxygenator;
pub mod patient;
pub mod placement;
pub mod presets;
pub mod prime;
pub mod pump;
pub mod recruitment;
pub mod reflex;
pub mod rng;
pub mod sensors;
pub mod signals;
pub mod sizes;
pub mod tissue;
pub mod transport;
pub mod twin;
pub mod ventilator;

pub use actuation::{SETTING_FIELDS, SettingField};
pub use event::{EVENTS, EventArg, EventKind, EventSpec, EventValue, Quantity};
pub use patient::{PATIENT_FIELDS, PatientField};
pub use twin::{
    Actuation, CircuitConfig, ConfigError, Configuration, Event, Observation, PatientParam,
    PatientParams, Twin, TwinConfig,
};
