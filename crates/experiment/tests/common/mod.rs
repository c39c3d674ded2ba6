//! What the validation group tests share.
use experiment::validation::{Case, all_pass, table};

/// Prints the group's table, then checks that it holds at least `min_cases` cases and that
/// every case passes.
pub fn group_passes(cases: &[Case], min_cases: usize) {
    let t = table(cases);
    println!("{t}");
    assert!(cases.len() >= min_cases, "{t}");
    assert!(all_pass(cases), "{t}");
}
