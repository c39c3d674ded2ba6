//! The baroreflex and fluid validation groups pass, and print their tables.
mod common;
use experiment::validation_reflex::{baroreflex_cases, fluid_cases};

#[test]
fn baroreflex_group_passes() {
    common::group_passes(&baroreflex_cases(), 6);
}

#[test]
fn fluid_group_passes() {
    common::group_passes(&fluid_cases(), 6);
}
