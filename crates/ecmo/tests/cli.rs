//! End-to-end tests of the `ecmo` binary: the built executable, run as a user would.
mod common;

use common::{says, text};
use std::path::PathBuf;
use std::process::{Command, Output};

fn ecmo(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_ecmo"))
        .args(args)
        .current_dir(root())
        .output()
        .expect("run ecmo")
}

/// `ecmo sim FILE --json`, which must succeed: its summary.
fn sim_json(file: &str) -> serde_json::Value {
    let out = ecmo(&["sim", file, "--json"]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    serde_json::from_slice(&out.stdout).expect("valid JSON")
}

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../..")
}

fn temp(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("ecmo-cli-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    dir.join(name)
}

/// The validation suite passes and prints its table.
#[test]
fn validate_passes() {
    let out = ecmo(&["validate"]);
    let stdout = text(&out.stdout);
    assert!(
        stdout.contains("case") && stdout.contains("source") && stdout.contains("tolerance"),
        "{stdout}"
    );
    assert!(
        out.status.success(),
        "ecmo validate failed:\n{stdout}\n{}",
        text(&out.stderr)
    );
    assert!(!stdout.contains("FAIL"), "{stdout}");
}

/// One group runs alone; an unknown group is refused with the list of names.
#[test]
fn validate_one_group() {
    let out = ecmo(&["validate", "--group", "baroreflex"]);
    let stdout = text(&out.stdout);
    assert!(out.status.success(), "{stdout}\n{}", text(&out.stderr));
    assert!(stdout.contains("haemorrhage 20 %"), "{stdout}");
    assert!(!stdout.contains("Kelman"), "{stdout}");
    let out = ecmo(&["validate", "--group", "no-such"]);
    assert_eq!(out.status.code(), Some(2));
    says(&out.stderr, "baroreflex");
}

/// The haemorrhage-and-transfusion example runs: the reflex speeds the heart while bleeding,
/// crystalloid dilutes Hb and red cells raise it again.
#[test]
fn sim_haemorrhage_reflex_transfusion() {
    let v = sim_json("examples/experiments/haemorrhage-reflex-transfusion.toml");
    let mean = |w: &str, s: &str| v["windows"][w]["mean"][s].as_f64().unwrap();
    assert!(mean("bled", "heart_rate_bpm") > mean("before", "heart_rate_bpm") + 5.0);
    assert!(mean("after_crystalloid", "hb_g_dl") < mean("before", "hb_g_dl") - 0.5);
    assert!(mean("final", "hb_g_dl") > mean("settled", "hb_g_dl") + 0.5);
}

/// The ECPR example runs: compressions give about a quarter of the pre-arrest output, lactate
/// rises through the low-flow minutes, and the VA circuit takes over at full flow and perfuses
/// the coronaries.
#[test]
fn sim_ecpr_arrest_va() {
    let v = sim_json("examples/experiments/ecpr-arrest-va.toml");
    let mean = |w: &str, s: &str| v["windows"][w]["mean"][s].as_f64().unwrap();
    let co0 = mean("before", "cardiac_output_lpm");
    assert!(mean("no_flow", "cardiac_output_lpm") < 0.01 * co0);
    let share = mean("low_flow", "cardiac_output_lpm") / co0;
    assert!((0.15..=0.35).contains(&share), "{share}");
    assert!(mean("low_flow", "lactate_mmol_l") > mean("before", "lactate_mmol_l") + 1.5);
    let cpp = mean("low_flow", "cpp_mmhg");
    assert!((15.0..=35.0).contains(&cpp), "{cpp}");
    assert!(mean("ecmo_vf", "circuit_flow_lpm") > 3.5);
    assert!(mean("ecmo_vf", "cpp_mmhg") > 40.0);
    assert!(mean("ecmo_vf", "map_mmhg") > mean("low_flow", "map_mmhg") + 15.0);
}

#[test]
fn sim_json_summary() {
    let v = sim_json("examples/experiments/healthy.toml");
    let fin = &v["windows"]["final"];
    assert_eq!(fin["start_s"], 540.0);
    assert_eq!(fin["end_s"], 600.0);
    let map = fin["mean"]["map_mmhg"].as_f64().expect("MAP mean");
    assert!((40.0..150.0).contains(&map), "MAP {map}");
    assert_eq!(v["units"]["circuit_flow_lpm"], "L/min");
}

#[test]
fn sim_table_and_csv() {
    let csv = temp("kink.csv");
    let out = ecmo(&[
        "sim",
        "examples/experiments/vv-return-kink.toml",
        "--csv",
        csv.to_str().unwrap(),
    ]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    let stdout = text(&out.stdout);
    for w in ["final [540-600 s]", "kinked [310-330 s]", "p_post_oxy_mmhg"] {
        assert!(stdout.contains(w), "table lacks {w}:\n{stdout}");
    }
    let data = std::fs::read_to_string(&csv).unwrap();
    let mut lines = data.lines();
    assert_eq!(
        lines.next().unwrap(),
        "time_s,circuit_flow_lpm,pump_speed_rpm,p_drainage_mmhg,p_pre_oxy_mmhg,p_post_oxy_mmhg,delta_p_oxy_mmhg,art_upper_so2,plasma_fhb_mg_dl"
    );
    // 600 s at 0.1 s from t = 0: 6001 rows.
    assert_eq!(lines.count(), 6001);
}

#[test]
fn sim_bad_file_names_the_field() {
    let bad = temp("bad.toml");
    std::fs::write(
        &bad,
        "preset = \"ards-severe\"\nduration_s = 60\n[[timeline]]\nat = 5\nevent = { kind = \"return_kink\", severity = 2 }\n",
    )
    .unwrap();
    let out = ecmo(&["sim", bad.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(2));
    let err = text(&out.stderr);
    assert!(
        err.contains(&format!(
            "{}:5: `timeline[0].event.severity`",
            bad.display()
        )) && err.contains("0..=1"),
        "{err}"
    );

    std::fs::write(&bad, "preset = \"nobody\"\nduration_s = 60\n").unwrap();
    let out = ecmo(&["sim", bad.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(2));
    let err = text(&out.stderr);
    assert!(
        err.contains("`preset`")
            && err.contains("unknown preset `nobody`")
            && err.contains("ards-severe"),
        "{err}"
    );

    let out = ecmo(&["sim", "no/such/file.toml"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(text(&out.stderr).contains("cannot read"));
}

#[test]
fn presets_are_listed() {
    let out = ecmo(&["presets"]);
    assert!(out.status.success());
    let s = text(&out.stdout);
    for p in ["adult-healthy", "ards-severe", "cardiogenic-shock"] {
        assert!(s.contains(p), "{s}");
    }
}

/// The bench runs end to end on a short run; its figures are for `--release`.
#[test]
fn bench_sim_runs() {
    let out = ecmo(&["bench-sim", "--seconds", "2"]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    let s = text(&out.stdout);
    assert!(
        s.contains("size_of::<Twin>()") && s.contains("x real time"),
        "{s}"
    );
    // Issue 15: timed with the ventilator, a drug and the reflexes on, and the neonate against
    // the adult.
    assert!(
        s.contains("ventilator, norepinephrine, reflexes")
            && s.contains("healthy neonate 3.5 kg")
            && s.contains("neonate / adult"),
        "{s}"
    );
}

/// A file that never ends (issue 10, finding 8): `ecmo sim /dev/zero` is refused at once with
/// the file and the limit, instead of reading until memory runs out. The child's address space
/// is capped so that a binary without the limit fails this test instead of the machine.
#[cfg(target_os = "linux")]
#[test]
fn sim_refuses_a_file_that_never_ends() {
    let t = std::time::Instant::now();
    let out = Command::new("sh")
        .arg("-c")
        .arg(format!(
            "ulimit -v 4000000; exec timeout 60 {} sim /dev/zero",
            env!("CARGO_BIN_EXE_ecmo")
        ))
        .output()
        .expect("run ecmo");
    let err = text(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{err}");
    assert!(
        err.contains("/dev/zero") && err.contains("1 MiB") && err.contains("experiment file"),
        "{err}"
    );
    assert!(t.elapsed().as_secs() < 10, "took {:?}", t.elapsed());
}
