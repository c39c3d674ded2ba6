//! The baroreflex and fluid validation groups pass, and print their tables.
use experiment::validation::{all_pass, table};
use experiment::validation_reflex::{baroreflex_cases, fluid_cases};

#[test]
fn baroreflex_group_passes() {
    let cases = baroreflex_cases();
    let t = table(&cases);
    println!("{t}");
    assert!(cases.len() >= 6, "{t}");
    assert!(all_pass(&cases), "{t}");
}

#[test]
fn fluid_group_passes() {
    let cases = fluid_cases();
    let t = table(&cases);
    println!("{t}");
    assert!(cases.len() >= 6, "{t}");
    assert!(all_pass(&cases), "{t}");
}
