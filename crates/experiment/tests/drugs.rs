//! The drug validation group passes, and prints its table.
mod common;
use experiment::validation_drugs::{drug_cases, metabolism_cases};

#[test]
fn drug_group_passes() {
    common::group_passes(&drug_cases(), 6);
}

#[test]
fn metabolism_group_passes() {
    // Any number of cases; all must pass.
    common::group_passes(&metabolism_cases(), 0);
}
