//! End-to-end tests of `ecmo bench` on the built binary: bad catalogue files and options are
//! refused with the file and field named, a user's one-file design runs, and the written
//! reports (the CSV a reviewer would open) obey physical bounds.
mod common;

use common::{says, text};
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

fn ecmo(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_ecmo"))
        .args(args)
        .output()
        .expect("run ecmo")
}

/// `ecmo bench ARGS --out OUT --quiet`, which must succeed; its standard output.
fn bench_quiet(args: &[&str], out: &Path) -> String {
    let mut all = vec!["bench"];
    all.extend_from_slice(args);
    all.extend_from_slice(&["--out", out.to_str().unwrap(), "--quiet"]);
    let out = ecmo(&all);
    let stdout = text(&out.stdout);
    assert!(out.status.success(), "{stdout}{}", text(&out.stderr));
    stdout
}

/// A fresh directory for one test.
fn dir(name: &str) -> PathBuf {
    let d = std::env::temp_dir().join(format!("ecmo-bench-cli-{}-{name}", std::process::id()));
    let _ = std::fs::remove_dir_all(&d);
    std::fs::create_dir_all(&d).unwrap();
    d
}

/// Read a CSV written by a report: header and rows of cells.
fn csv(path: &Path) -> (Vec<String>, Vec<Vec<String>>) {
    let t = std::fs::read_to_string(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    let mut lines = t.lines();
    let split = |l: &str| -> Vec<String> {
        // The numeric CSVs tested here have no quoted commas in the columns used.
        l.split(',')
            .map(|s| s.trim_matches('"').to_string())
            .collect()
    };
    let head = split(lines.next().unwrap());
    (head, lines.map(split).collect())
}

fn col(head: &[String], name: &str) -> usize {
    head.iter()
        .position(|h| h == name)
        .unwrap_or_else(|| panic!("no column {name} in {head:?}"))
}

const USER_OXY: &str = r#"
kind = "oxygenator"
name = "my-oxy"
title = "A user's 2.2 m² design"

[membrane]
source = "my lab, bench drawing 2026-11"
area_m2 = 2.2
priming_ml = 250.0
max_flow_lpm = 8.0

[pressure_drop]
resistance_mmhg_s_ml = { value = 0.55, source = "my lab, water test corrected to blood" }

[transfer]
source = "physio shared PMP calibration"
k_o2 = 0.12
k_co2 = 8.0
flow_exponent = 0.5
"#;

/// Each broken file gives exit 2 and a message naming the file, the line and the field.
#[test]
fn bad_catalogue_files_name_file_and_field() {
    // (case, what the file says, what it says instead, the message wanted)
    #[rustfmt::skip]
    let cases: [(&str, &str, &str, &str); 6] = [
        ("range", "area_m2 = 2.2", "area_m2 = 9.0", "`membrane.area_m2`: 9 is out of range: allowed >0..=5"),
        ("nosource", "resistance_mmhg_s_ml = { value = 0.55, source = \"my lab, water test corrected to blood\" }", "resistance_mmhg_s_ml = 0.55", "`pressure_drop.resistance_mmhg_s_ml`: has no source"),
        ("typo", "k_co2 = 8.0", "k_c02 = 8.0", "`transfer.k_c02`: unknown field"),
        ("missing", "flow_exponent = 0.5", "", "`transfer.flow_exponent`: missing"),
        ("kind", "kind = \"oxygenator\"", "kind = \"heat-exchanger\"", "`kind`: `heat-exchanger` is not one of"),
        ("toml", "area_m2 = 2.2", "area_m2 = = 2.2", "not valid TOML"),
    ];
    for (name, from, to, want) in cases {
        let d = dir(&format!("bad-{name}"));
        let file = d.join("my-oxy.toml");
        std::fs::write(&file, USER_OXY.replace(from, to)).unwrap();
        let out = ecmo(&[
            "bench",
            "oxygenator",
            "my-oxy",
            "--catalogue",
            d.to_str().unwrap(),
            "--out",
            d.join("out").to_str().unwrap(),
        ]);
        let err = text(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{name}: {err}");
        // `FILE:LINE: `field`: message`.
        let at = format!("{}:", file.display());
        let line = err.split(&at).nth(1).and_then(|r| r.split(':').next());
        assert!(
            line.is_some_and(|l| l.parse::<usize>().is_ok()),
            "{name}: no FILE:LINE in {err}"
        );
        assert!(err.contains(want), "{name}: want {want:?} in {err}");
        assert!(!d.join("out").exists(), "{name}: no report on bad input");
    }
}

#[test]
fn bad_names_and_options_are_refused() {
    let d = dir("names");
    let o = d.to_str().unwrap();
    for (args, want) in [
        (
            vec!["bench", "pump", "centrimag", "--out", o],
            "no design named `centrimag`",
        ),
        (
            vec!["bench", "pump", "quadrox-adult", "--out", o],
            "`quadrox-adult` is an oxygenator, not a pump",
        ),
        (
            vec!["bench", "compare", "rotaflow", "quadrox-adult", "--out", o],
            "compare needs designs of one kind",
        ),
        (
            vec!["bench", "durability", "--flow", "30", "--out", o],
            "--flow 30 is outside the allowed range",
        ),
        (
            vec![
                "bench",
                "durability",
                "--drainage",
                "return-17fr",
                "--out",
                o,
            ],
            "--drainage return-17fr: is a return cannula",
        ),
        (
            vec![
                "bench",
                "durability",
                "--drainage",
                "dual-lumen-27fr",
                "--return",
                "return-17fr",
                "--out",
                o,
            ],
            "is dual-lumen",
        ),
    ] {
        let out = ecmo(&args);
        let err = text(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{args:?}: {err}");
        assert!(err.contains(want), "{args:?}: want {want:?} in {err}");
    }
}

/// A user adds a design by writing one file; the oxygenator test runs on it and on a built-in,
/// and the written report keeps every design under the O2 content bound.
#[test]
fn user_design_and_oxygenator_report_bounds() {
    let d = dir("oxy");
    std::fs::write(d.join("my-oxy.toml"), USER_OXY).unwrap();
    let out_dir = d.join("out");
    let stdout = bench_quiet(
        &[
            "oxygenator",
            "my-oxy",
            "quadrox-adult",
            "--catalogue",
            d.to_str().unwrap(),
        ],
        &out_dir,
    );
    assert!(
        stdout.contains("my-oxy") && stdout.contains("rated flow"),
        "{stdout}"
    );
    let rep = out_dir.join("oxygenator_my-oxy_quadrox-adult");
    let html = std::fs::read_to_string(rep.join("index.html")).unwrap();
    assert!(
        html.contains("<svg") && !html.contains("<script"),
        "self-contained"
    );
    for name in ["my-oxy", "quadrox-adult"] {
        let (h, rows) = csv(&rep.join(format!("oxygenator-{name}-points.csv")));
        let (q, o2, bound, so2) = (
            col(&h, "blood flow (L/min)"),
            col(&h, "O2 transfer (mL/min)"),
            col(&h, "O2 bound (mL/min)"),
            col(&h, "outlet SO2 (%)"),
        );
        assert_eq!(rows.len(), 27, "0.5 to 7 L/min in 0.25 steps");
        for r in &rows {
            let f = |i: usize| r[i].parse::<f64>().unwrap();
            assert!(f(o2) > 0.0 && f(o2) <= f(bound), "{name}: {r:?}");
            assert!(f(so2) <= 100.0);
            // circuit.md's looser PO2-450 bound: 346 mL/min at 5, 484 at 7 L/min.
            if f(q) == 5.0 {
                assert!(f(o2) <= 346.0, "{name}: {r:?}");
            }
            if f(q) == 7.0 {
                assert!(f(o2) <= 484.0, "{name}: {r:?}");
            }
        }
    }
}

/// The pump report's curves: head rises with speed at every flow, falls with flow at every
/// speed; efficiency within 0–100 %; NIH positive at every reachable point.
#[test]
fn pump_report_bounds() {
    let d = dir("pump");
    bench_quiet(&["pump", "rotaflow", "dp3"], &d);
    let rep = d.join("pump_rotaflow_dp3");
    for name in ["rotaflow", "dp3"] {
        let (h, rows) = csv(&rep.join(format!("pump-{name}-curves.csv")));
        let (n, q, head, eff) = (
            col(&h, "speed (rpm)"),
            col(&h, "flow (L/min)"),
            col(&h, "head (mmHg)"),
            col(&h, "efficiency (%)"),
        );
        let pts: Vec<[f64; 4]> = rows
            .iter()
            .map(|r| [n, q, head, eff].map(|i| r[i].parse::<f64>().unwrap()))
            .collect();
        assert!(pts.len() > 50, "{name}");
        for a in &pts {
            assert!((0.0..=100.0).contains(&a[3]), "{name}: {a:?}");
            for b in &pts {
                if a[1] == b[1] && b[0] > a[0] {
                    assert!(
                        b[2] > a[2],
                        "{name}: head not monotone in speed {a:?} {b:?}"
                    );
                }
                if a[0] == b[0] && b[1] > a[1] {
                    assert!(
                        b[2] < a[2],
                        "{name}: head not falling with flow {a:?} {b:?}"
                    );
                }
            }
        }
    }
    let (h, rows) = csv(&rep.join("pump-summary.csv"));
    let nih = col(&h, "NIH (g/100 L)");
    assert_eq!(rows.len(), 10);
    for r in &rows {
        assert!(r[nih].parse::<f64>().unwrap() > 0.0, "{r:?}");
    }
}

/// Durability: the report covers every hour of 14 days, ΔP never falls, free Hb stays
/// non-negative, and the wall time is printed (the benchmark's figure).
#[test]
fn durability_report_and_wall_time() {
    let d = dir("dur");
    let stdout = bench_quiet(
        &[
            "durability",
            "--coating",
            "uncoated",
            "--coating",
            "long-acting",
        ],
        &d,
    );
    assert!(
        stdout.contains("wall time:") && stdout.contains("target < 120 s: met"),
        "{stdout}"
    );
    let rep =
        d.join("durability_rotaflow-quadrox-adult-uncoated_rotaflow-quadrox-adult-long-acting");
    for coat in ["uncoated", "long-acting"] {
        let (h, rows) = csv(&rep.join(format!(
            "durability-rotaflow-quadrox-adult-{coat}-hourly.csv"
        )));
        assert_eq!(rows.len(), 14 * 24 + 1, "{coat}");
        let dp = col(&h, "ΔP oxygenator (mmHg)");
        let fhb = col(&h, "plasma free Hb (mg/dL)");
        let v = |r: &Vec<String>, i: usize| r[i].parse::<f64>().unwrap();
        for w in rows.windows(2) {
            assert!(v(&w[1], dp) >= v(&w[0], dp) - 1e-9, "{coat}");
            assert!(v(&w[1], fhb) >= 0.0);
        }
    }
    // The summary names a change-out day for each.
    let (h, rows) = csv(&rep.join("durability-summary.csv"));
    let day = col(&h, "change-out day");
    let days: Vec<f64> = rows.iter().map(|r| r[day].parse().unwrap()).collect();
    assert!(days[0] < days[1], "uncoated before long-acting: {days:?}");
}

#[test]
fn compare_prints_verdicts_and_catalogue_checks_pass() {
    let d = dir("cmp");
    let stdout = bench_quiet(&["compare", "quadrox-adult", "nautilus", "--days", "3"], &d);
    assert!(
        stdout.contains("verdict") && stdout.contains("quadrox-adult better"),
        "{stdout}"
    );
    assert!(
        d.join("compare_quadrox-adult_nautilus/compare-verdicts.csv")
            .exists()
    );

    let out = ecmo(&["bench", "catalogue"]);
    let stdout = text(&out.stdout);
    assert!(out.status.success(), "{stdout}{}", text(&out.stderr));
    assert!(!stdout.contains("MISSED"), "{stdout}");
    assert!(
        stdout.contains("ecco2r-0.4") && stdout.contains("ok"),
        "{stdout}"
    );
    let out = ecmo(&["bench", "catalogue", "rotaflow"]);
    says(&out.stdout, "Sobieski");
}

/// `ecmo bench … | head`: a reader that goes away early is no reason to panic.
#[test]
fn closed_stdout_is_not_a_panic() {
    use std::process::Stdio;
    let d = dir("pipe");
    let mut child = Command::new(env!("CARGO_BIN_EXE_ecmo"))
        .args(["bench", "catalogue"])
        .arg("--catalogue")
        .arg(&d)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    drop(child.stdout.take());
    let out = child.wait_with_output().unwrap();
    let err = text(&out.stderr);
    assert!(!err.contains("panicked"), "{err}");
    assert!(out.status.success(), "{err}");
}
