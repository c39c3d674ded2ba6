//! Sensor models between the twin's truth and the console: noise, sampling, faults.
//!
//! OWNER: components helper (after the components). Deterministic given the seed.
