//! The validation groups of the twin's models pass, and print their tables: one test a group.
mod common;
use common::{group_of_passes, group_passes};
use experiment::{
    validation_breathing, validation_drugs, validation_reflex, validation_sizes,
    validation_ventilator,
};

/// Each row: the test, the check (`group_passes`: at least `n` cases; `group_of_passes`:
/// exactly `n`), the group's cases, `n`.
macro_rules! group_tests {
    ($($test:ident: $check:ident($cases:path, $n:literal);)+) => {
        $(
            #[test]
            fn $test() {
                $check(&$cases(), $n);
            }
        )+
    };
}

group_tests! {
    baroreflex_group_passes: group_passes(validation_reflex::baroreflex_cases, 6);
    fluid_group_passes: group_passes(validation_reflex::fluid_cases, 6);
    drug_group_passes: group_passes(validation_drugs::drug_cases, 6);
    // Any number of cases; all must pass.
    metabolism_group_passes: group_passes(validation_drugs::metabolism_cases, 0);
    ventilator_group_passes: group_of_passes(validation_ventilator::ventilator_cases, 2);
    recruitment_group_passes: group_of_passes(validation_breathing::recruitment_cases, 5);
    chemoreflex_group_passes: group_of_passes(validation_breathing::chemoreflex_cases, 3);
    // Neonate, child and adult at rest against the published norms of each age.
    size_group_passes: group_passes(validation_sizes::size_cases, 10);
}
