//! Every example experiment parses and loads (names resolved against the twin's catalogue).
use experiment::Experiment;
use std::path::PathBuf;

fn examples() -> Vec<PathBuf> {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../examples/experiments");
    let mut files: Vec<PathBuf> = std::fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|x| x == "toml"))
        .collect();
    files.sort();
    files
}

#[test]
fn every_example_parses() {
    let files = examples();
    for required in [
        "vv-ards-severe.toml",
        "va-cardiogenic-shock.toml",
        "healthy.toml",
        "vv-return-kink.toml",
        "va-differential-hypoxia.toml",
        "hypovolaemia-suction.toml",
        "clotting-days.toml",
    ] {
        assert!(
            files.iter().any(|f| f.ends_with(required)),
            "missing example {required}"
        );
    }
    for f in files {
        if let Err(e) = Experiment::parse(&std::fs::read_to_string(&f).unwrap()) {
            panic!("{}: {e}", f.display());
        }
    }
}
