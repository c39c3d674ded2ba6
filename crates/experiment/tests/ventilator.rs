//! The ventilator validation group passes, and prints its table.
use experiment::validation::{all_pass, table};
use experiment::validation_ventilator::ventilator_cases;

#[test]
fn ventilator_group_passes() {
    let cases = ventilator_cases();
    let t = table(&cases);
    println!("{t}");
    assert_eq!(cases.len(), 2, "{t}");
    assert!(all_pass(&cases), "{t}");
}
