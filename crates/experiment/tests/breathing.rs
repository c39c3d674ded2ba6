//! The recruitment and chemoreflex validation groups pass, and print their tables.
use experiment::validation::{all_pass, table};
use experiment::validation_breathing::{chemoreflex_cases, recruitment_cases};

#[test]
fn recruitment_group_passes() {
    let cases = recruitment_cases();
    let t = table(&cases);
    println!("{t}");
    assert_eq!(cases.len(), 5, "{t}");
    assert!(all_pass(&cases), "{t}");
}

#[test]
fn chemoreflex_group_passes() {
    let cases = chemoreflex_cases();
    let t = table(&cases);
    println!("{t}");
    assert_eq!(cases.len(), 3, "{t}");
    assert!(all_pass(&cases), "{t}");
}
