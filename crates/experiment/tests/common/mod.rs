//! What the validation group tests share.
use experiment::validation::{Case, all_pass, table};

/// Prints the group's table, then checks that it holds at least `min_cases` cases and that
/// every case passes.
pub fn group_passes(cases: &[Case], min_cases: usize) {
    check_group(cases, |n| n >= min_cases);
}

/// As [`group_passes`], for a group of exactly `count` cases.
#[allow(dead_code)] // each test file that includes this module uses one of the two
pub fn group_of_passes(cases: &[Case], count: usize) {
    check_group(cases, |n| n == count);
}

fn check_group(cases: &[Case], count_ok: impl Fn(usize) -> bool) {
    let t = table(cases);
    println!("{t}");
    assert!(count_ok(cases.len()), "{} cases\n{t}", cases.len());
    assert!(all_pass(cases), "{t}");
}
