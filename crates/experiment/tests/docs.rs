//! docs/experiments.md's reference tables are the generated ones: every parameter, setting,
//! event and signal with its unit, range and default. `UPDATE_DOCS=1` rewrites the block.
use experiment::docs::{BEGIN, check_generated_block, reference_markdown};
use std::path::PathBuf;

#[test]
fn reference_tables_are_current() {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../docs/experiments.md");
    if let Err(e) = check_generated_block(&path, BEGIN, &reference_markdown()) {
        panic!("{e}");
    }
}

/// Every TOML example in docs/experiments.md loads.
#[test]
fn toml_examples_in_the_docs_load() {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../docs/experiments.md");
    let text = std::fs::read_to_string(&path).unwrap();
    let mut found = 0;
    for block in text.split("```toml\n").skip(1) {
        let body = block.split("```").next().unwrap();
        if let Err(e) = experiment::Experiment::from_toml(body) {
            panic!("docs example does not load: {e}\n{body}");
        }
        found += 1;
    }
    assert!(found >= 1);
}
