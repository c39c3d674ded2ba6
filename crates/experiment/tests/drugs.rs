//! The drug validation group passes, and prints its table.
use experiment::validation::{all_pass, table};
use experiment::validation_drugs::{drug_cases, metabolism_cases};

#[test]
fn drug_group_passes() {
    let cases = drug_cases();
    let t = table(&cases);
    println!("{t}");
    assert!(cases.len() >= 6, "{t}");
    assert!(all_pass(&cases), "{t}");
}

#[test]
fn metabolism_group_passes() {
    let cases = metabolism_cases();
    let t = table(&cases);
    println!("{t}");
    assert!(all_pass(&cases), "{t}");
}
