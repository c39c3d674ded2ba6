//! docs/experiments.md's reference tables are the generated ones: every parameter, setting,
//! event and signal with its unit, range and default. `UPDATE_DOCS=1` rewrites the block.
use experiment::docs::{BEGIN, END, reference_markdown};
use std::path::PathBuf;

#[test]
fn reference_tables_are_current() {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../docs/experiments.md");
    let text = std::fs::read_to_string(&path).unwrap();
    let b = text.find(BEGIN).expect("begin marker") + BEGIN.len();
    let e = text.find(END).expect("end marker");
    let want = format!("\n\n{}\n", reference_markdown());
    if text[b..e] != want {
        if std::env::var_os("UPDATE_DOCS").is_some() {
            let new = format!("{}{}{}", &text[..b], want, &text[e..]);
            std::fs::write(&path, new).unwrap();
        } else {
            panic!(
                "docs/experiments.md is out of date; run `UPDATE_DOCS=1 cargo test -p experiment --test docs`"
            );
        }
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
