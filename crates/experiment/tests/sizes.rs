//! The patient-sizes validation group passes (neonate, child and adult at rest against the
//! published norms of each age), and prints its table.
use experiment::validation::{all_pass, table};
use experiment::validation_sizes::size_cases;

#[test]
fn size_group_passes() {
    let cases = size_cases();
    let t = table(&cases);
    println!("{t}");
    assert!(cases.len() >= 10, "{t}");
    assert!(all_pass(&cases), "{t}");
}
