#[test]
#[ignore]
fn print_validation() {
    let cases = experiment::validation::all_cases();
    print!("{}", experiment::validation::table(&cases));
}
