//! Virtual cohorts end to end: sampling within bounds, determinism across threads, resuming
//! without recomputing finished blocks, and errors that name file, line and field.
#[macro_use]
mod common;

use research::cohort::{self, CohortSpec};
use research::progress::Quiet;
use research::spec::{ResearchFile, Source};
use research::table::Column;
use std::path::PathBuf;

const COHORT: &str = concat!(
    r#"
name = "test cohort"
patients = 6
block = 2
sampling = "lhs"
seed = 3

"#,
    vv_ards_experiment!(30),
    r#"[experiment.windows]
early = [0, 10]

[parameters.shunt_fraction]
dist = "normal"
mean = 0.6
sd = 0.1
min = 0.4
max = 0.8
[parameters.pump_rpm]
dist = "uniform"
min = 3000
max = 4000
[parameters.weight_kg]
dist = "lognormal"
median = 75
sigma = 0.1

[[correlations]]
between = ["shunt_fraction", "pump_rpm"]
r = 0.5

[outputs]
signals = ["art_upper_so2", "circuit_flow_lpm"]
stats = ["mean", "max"]
"#
);

fn spec(text: &str) -> Result<CohortSpec, research::Error> {
    CohortSpec::from_source(&Source::text(
        text,
        Some("c.toml".into()),
        PathBuf::from("."),
    ))
}

fn tmp(name: &str) -> PathBuf {
    let d = std::env::temp_dir().join(format!("research-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&d);
    d
}

#[test]
fn cohort_runs_resumes_and_is_deterministic() {
    let s = spec(COHORT).unwrap();
    assert_eq!(s.blocks(), 3);
    let mem1 = s.run_in_memory(1, &Quiet).unwrap();
    let mem2 = s.run_in_memory(2, &Quiet).unwrap();
    assert_eq!(mem1, mem2, "threads change nothing");
    // One row per patient and window (final and early), parameters within their bounds.
    assert_eq!(mem1.rows(), 12);
    for (name, lo, hi) in [("shunt_fraction", 0.4, 0.8), ("pump_rpm", 3000.0, 4000.0)] {
        assert!(
            mem1.f64(name)
                .unwrap()
                .iter()
                .all(|x| (lo..=hi).contains(x)),
            "{name}"
        );
    }
    let flow = mem1.f64("circuit_flow_lpm_mean").unwrap();
    assert!(flow.iter().all(|f| (2.0..8.0).contains(f)), "{flow:?}");
    // Faster pumps give more flow: the sampled speeds reach the twin.
    let rpm = mem1.f64("pump_rpm").unwrap();
    let imax = (0..12)
        .step_by(2)
        .max_by(|&a, &b| rpm[a].total_cmp(&rpm[b]))
        .unwrap();
    let imin = (0..12)
        .step_by(2)
        .min_by(|&a, &b| rpm[a].total_cmp(&rpm[b]))
        .unwrap();
    assert!(flow[imax] > flow[imin]);

    let dir = tmp("cohort");
    let run = cohort::run(&s, &dir, 2, &Quiet).unwrap();
    assert_eq!((run.computed_blocks, run.resumed_blocks), (3, 0));
    assert_eq!(run.table, mem1, "the file run equals the in-memory run");
    let back = research::table::Table::read_parquet(&dir.join("cohort.parquet")).unwrap();
    assert_eq!(back.names, mem1.names);
    assert_eq!(back.column("patient"), mem1.column("patient"));

    // An interruption: one part lost. The rerun computes that block only.
    std::fs::remove_file(dir.join("part-00001.parquet")).unwrap();
    let again = cohort::run(&s, &dir, 2, &Quiet).unwrap();
    assert_eq!((again.computed_blocks, again.resumed_blocks), (1, 2));
    assert_eq!(again.table, mem1);

    // A different cohort in the same folder is refused.
    let other = spec(&COHORT.replace("seed = 3", "seed = 4")).unwrap();
    let e = cohort::run(&other, &dir, 2, &Quiet).unwrap_err();
    assert!(e.message.contains("different cohort"), "{e}");
    std::fs::remove_dir_all(&dir).unwrap();

    // The portable text gives the same cohort (what Ray workers run).
    let p = spec(&s.portable().unwrap()).unwrap();
    assert_eq!(
        p.run_block(&p.samples().unwrap(), 1, &|| {}),
        s.run_block(&s.samples().unwrap(), 1, &|| {})
    );
}

#[test]
fn refused_patients_keep_their_rows_with_the_error() {
    // Blood volume per kg outside 35-120 mL/kg for light patients with a large volume.
    let text = COHORT
        .replace("[[correlations]]\nbetween = [\"shunt_fraction\", \"pump_rpm\"]\nr = 0.5\n", "")
        .replace(
            "[parameters.weight_kg]\ndist = \"lognormal\"\nmedian = 75\nsigma = 0.1",
            "[parameters.weight_kg]\ndist = \"uniform\"\nmin = 30\nmax = 200\n[parameters.blood_volume_ml]\ndist = \"uniform\"\nmin = 2000\nmax = 9000",
        )
        .replace("patients = 6", "patients = 20")
        .replace("duration_s = 30", "duration_s = 10");
    let s = spec(&text).unwrap();
    let t = s.run_in_memory(2, &Quiet).unwrap();
    let Some(Column::Text(err)) = t.column("error") else {
        panic!()
    };
    let flow = t.f64("circuit_flow_lpm_mean").unwrap();
    let refused = err.iter().filter(|e| e.is_some()).count();
    assert!(
        refused > 0,
        "some sampled patients break the volume-per-weight rule"
    );
    for (e, f) in err.iter().zip(flow) {
        match e {
            Some(m) => {
                assert!(m.contains("blood_volume"), "{m}");
                assert!(f.is_nan());
            }
            None => assert!(f.is_finite()),
        }
    }
}

#[test]
fn errors_name_line_and_field() {
    let cases: &[(&str, &str, &str, Option<usize>)] = &[
        (
            "[parameters.shunt_fraction]\ndist = \"normal\"\nmean = 0.6\nsd = 0.1",
            "[parameters.shunt_fractio]\ndist = \"normal\"\nmean = 0.6\nsd = 0.1",
            "parameters.shunt_fractio",
            Some(20),
        ),
        (
            "sd = 0.1\nmin = 0.4",
            "sd = -0.1\nmin = 0.4",
            "parameters.shunt_fraction.sd",
            Some(23),
        ),
        (
            "max = 0.8\n[parameters.pump_rpm]",
            "max = 1.8\n[parameters.pump_rpm]",
            "parameters.shunt_fraction.max",
            Some(25),
        ),
        (
            "dist = \"uniform\"\nmin = 3000",
            "dist = \"gamma\"\nmin = 3000",
            "parameters.pump_rpm.dist",
            Some(27),
        ),
        ("patients = 6", "patients = 2.5", "patients", Some(3)),
        (
            "sampling = \"lhs\"",
            "sampling = \"grid\"",
            "sampling",
            Some(5),
        ),
        ("r = 0.5", "r = 1.5", "correlations[0].r", Some(35)),
        (
            "\"art_upper_so2\", \"circuit",
            "\"art_upper_so3\", \"circuit",
            "outputs.signals[0]",
            Some(40),
        ),
        (
            "duration_s = 30",
            "duration_s = -30",
            "experiment.duration_s",
            Some(10),
        ),
    ];
    for (from, to, path, line) in cases {
        assert!(COHORT.contains(from), "{from}");
        let e = spec(&COHORT.replacen(from, to, 1)).unwrap_err();
        assert_eq!(e.path, *path, "{e}");
        assert_eq!(e.line, *line, "{e}");
        assert_eq!(e.file.as_deref(), Some("c.toml"));
    }
    let e = spec(&COHORT.replace("r = 0.5", "r = 0.5\n[[correlations]]\nbetween = [\"pump_rpm\", \"weight_kg\"]\nr = 0.99\n[[correlations]]\nbetween = [\"shunt_fraction\", \"weight_kg\"]\nr = -0.99")).unwrap_err();
    assert!(e.message.contains("positive-definite"), "{e}");
}

#[test]
fn example_files_load() {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../examples/research");
    let c = CohortSpec::load(&dir.join("vv-cohort.toml")).unwrap();
    assert_eq!(c.patients, 500);
    let x = c.samples().unwrap();
    assert_eq!(x.len(), 500 * c.parameters().len());
    research::sensitivity::SensitivitySpec::load(&dir.join("vv-sensitivity.toml")).unwrap();
    research::fit::FitSpec::load(&dir.join("vv-fit.toml")).unwrap();
}
