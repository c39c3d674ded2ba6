//! The circuit-prime validation group passes, and prints its table.
mod common;
use experiment::validation_prime::prime_cases;

#[test]
fn prime_group_passes() {
    common::group_passes(&prime_cases(), 2);
}
