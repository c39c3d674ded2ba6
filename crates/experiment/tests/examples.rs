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

/// Every example runs on the twin (events accepted, nothing non-finite). Runs longer than an
/// hour are cut to their first hour here; `ecmo sim` runs them whole.
#[test]
fn every_example_runs() {
    for f in examples() {
        let mut exp = Experiment::load(&f).unwrap_or_else(|e| panic!("{}: {e}", f.display()));
        if exp.duration_s > 3600.0 {
            exp.duration_s = 3600.0;
            exp.timeline.retain(|t| t.at_s <= 3600.0);
            exp.windows.retain(|w| w.end_s <= 3600.0);
        }
        let s = exp
            .run(None)
            .unwrap_or_else(|e| panic!("{}: {e}", f.display()));
        assert!(s.window("final").unwrap().samples > 0);
    }
}
