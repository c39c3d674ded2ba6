//! Bad experiment files: each must be refused with a message that names the field (by its
//! dotted path) and, where there is one, the allowed range or set of values.
use experiment::{Error, Experiment};

const BASE: &str = r#"
preset = "ards-severe"
duration_s = 600
"#;

fn err(text: &str) -> Error {
    match Experiment::parse(text) {
        Ok(_) => panic!("accepted a bad file:\n{text}"),
        Err(e) => e,
    }
}

fn assert_err(text: &str, path: &str, words: &[&str]) {
    let e = err(text);
    assert_eq!(e.path, path, "wrong path in {e}");
    let shown = e.to_string();
    assert!(
        shown.contains(path),
        "message does not name the field: {shown}"
    );
    for w in words {
        assert!(shown.contains(w), "message `{shown}` lacks `{w}`");
    }
}

#[test]
fn good_minimal_file_parses() {
    let e = Experiment::parse(BASE).unwrap();
    assert_eq!(e.duration_s, 600.0);
    assert_eq!(e.preset.as_deref(), Some("ards-severe"));
}

#[test]
fn wrong_type() {
    assert_err(
        "preset = \"ards-severe\"\nduration_s = \"ten minutes\"",
        "duration_s",
        &["expected a number", "found a string"],
    );
    assert_err(
        &format!("{BASE}[settings]\npump_rpm = true\n"),
        "settings.pump_rpm",
        &["expected a number", "rpm", "found a boolean"],
    );
    assert_err(
        &format!("{BASE}circuit = 3\n"),
        "circuit",
        &["expected a table", "found an integer"],
    );
}

#[test]
fn out_of_range() {
    assert_err(
        &format!("{BASE}[patient]\nheart_rate_bpm = 400\n"),
        "patient.heart_rate_bpm",
        &["400 is out of range", "20..=220"],
    );
    assert_err(
        &format!("{BASE}[circuit]\ndrainage_fr = 6\n"),
        "circuit.drainage_fr",
        &["out of range", "8..=29 Fr"],
    );
    assert_err(
        &format!("{BASE}[settings]\nfdo2 = 1.5\n"),
        "settings.fdo2",
        &["out of range", "0.21..=1"],
    );
    assert_err(
        "preset = \"ards-severe\"\nduration_s = 1e9",
        "duration_s",
        &["out of range", "2592000"],
    );
}

/// Three timeline entries, the third with a kink severity out of range (line 15).
fn three_entries() -> String {
    format!(
        "{BASE}
[[timeline]]
at = 10
set = {{ sweep_lpm = 5 }}

[[timeline]]
at = 20
event = {{ kind = \"heparin_bolus\", units = 5000 }}

[[timeline]]
at = 30
event = {{ kind = \"return_kink\", severity = 1.7 }}
"
    )
}

#[test]
fn event_value_out_of_range_names_the_nested_field() {
    assert_err(
        &three_entries(),
        "timeline[2].event.severity",
        &["1.7 is out of range", "0..=1"],
    );
}

#[test]
fn unknown_field() {
    assert_err(
        &format!("{BASE}duraton = 5\n"),
        "duraton",
        &["unknown field", "duration_s"],
    );
    assert_err(
        &format!("{BASE}[circuit]\ncannula = 21\n"),
        "circuit.cannula",
        &["unknown field", "drainage_fr"],
    );
    assert_err(
        &format!(
            "{BASE}[[timeline]]\nat = 5\nevent = {{ kind = \"return_kink\", severty = 0.5 }}\n"
        ),
        "timeline[0].event.severty",
        &["unknown field", "severity"],
    );
}

#[test]
fn unknown_names() {
    assert_err(
        &format!("{BASE}[circuit]\nconfiguration = \"vv-single\"\n"),
        "circuit.configuration",
        &["unknown value `vv-single`", "vv-femoro-jugular"],
    );
    assert_err(
        &format!("{BASE}[[timeline]]\nat = 5\nevent = {{ kind = \"explode\" }}\n"),
        "timeline[0].event.kind",
        &["unknown event `explode`", "return_kink"],
    );
    assert_err(
        &format!("{BASE}[output]\nsignals = [\"sao2\"]\n"),
        "output.signals[0]",
        &["unknown signal `sao2`", "art_upper_so2"],
    );
    assert_err(
        &format!(
            "{BASE}[[timeline]]\nat = 5\nevent = {{ kind = \"set_patient\", param = \"weight_kg\", value = 70 }}\n"
        ),
        "timeline[0].event.param",
        &["cannot be changed during a run", "shunt_fraction"],
    );
}

#[test]
fn missing_duration() {
    assert_err(
        "preset = \"ards-severe\"\n",
        "duration_s",
        &["missing", "seconds"],
    );
}

#[test]
fn missing_patient_without_preset() {
    assert_err(
        "duration_s = 60\n[patient]\nweight_kg = 70\n",
        "patient.heart_rate_bpm",
        &["missing", "without a `preset`"],
    );
}

#[test]
fn negative_times() {
    assert_err(
        &format!("{BASE}[[timeline]]\nat = -5\nset = {{ sweep_lpm = 2 }}\n"),
        "timeline[0].at",
        &["negative", "0..=600"],
    );
    assert_err(
        &format!("{BASE}[windows]\nearly = [-10, 100]\n"),
        "windows.early[0]",
        &["out of range", "0..=600"],
    );
    assert_err(
        "preset = \"ards-severe\"\nduration_s = -60\n",
        "duration_s",
        &["out of range", ">0"],
    );
}

#[test]
fn timeline_beyond_the_run_and_empty_entries() {
    assert_err(
        &format!("{BASE}[[timeline]]\nat = 900\nset = {{ sweep_lpm = 2 }}\n"),
        "timeline[0].at",
        &["out of range", "0..=600"],
    );
    assert_err(
        &format!("{BASE}[[timeline]]\nat = 100\n"),
        "timeline[0]",
        &["does nothing"],
    );
    assert_err(
        &format!("{BASE}[windows]\nlate = [500, 400]\n"),
        "windows.late",
        &["must be after start"],
    );
}

#[test]
fn syntax_error_is_reported_not_panicked() {
    let e = err("preset = \nduration_s = 600");
    assert!(e.to_string().contains("not valid TOML"), "{e}");
}

#[test]
fn timeline_is_sorted_stably() {
    let text = format!(
        "{BASE}
[[timeline]]
at = 300
set = {{ sweep_lpm = 5 }}
[[timeline]]
at = 100
set = {{ sweep_lpm = 3 }}
[[timeline]]
at = 300
event = {{ kind = \"power_loss\", lost = true }}
"
    );
    let e = Experiment::parse(&text).unwrap();
    let order: Vec<usize> = e.timeline.iter().map(|t| t.index).collect();
    assert_eq!(order, vec![1, 0, 2]);
}

#[test]
fn final_window_default() {
    let e = Experiment::parse(BASE).unwrap();
    assert_eq!(e.final_window_s(), 60.0);
    let e = Experiment::parse("preset = \"x\"\nduration_s = 3600").unwrap();
    assert_eq!(e.final_window_s(), 360.0);
    let e = Experiment::parse("preset = \"x\"\nduration_s = 30").unwrap();
    assert_eq!(e.final_window_s(), 30.0);
}

/// Arbitrary text must never panic the parser.
#[test]
fn garbage_never_panics() {
    let samples = [
        "",
        "[[[",
        "duration_s = 1\ntimeline = 5",
        "duration_s = 1\ntimeline = [1, 2]",
        "duration_s = 1\n[windows]\na = [1]",
        "duration_s = 1\n[windows]\na = [\"x\", 1]",
        "duration_s = 1\nseed = -4",
        "duration_s = nan",
        "duration_s = inf",
        "duration_s = 1\n[output]\nsignals = []",
        "duration_s = 1\n[[timeline]]\nat = 0\nevent = 5",
        "duration_s = 1\n[[timeline]]\nat = 0\nevent = { kind = 5 }",
        "duration_s = 1\n[[timeline]]\nat = 0\nset = {}",
    ];
    for s in samples {
        assert!(Experiment::parse(s).is_err(), "accepted: {s}");
    }
}

#[test]
fn sensor_faults_are_checked() {
    assert_err(
        &format!(
            "{BASE}[[timeline]]\nat = 5\nsensor = {{ channel = \"flow\", fault = \"stuck\" }}\n"
        ),
        "timeline[0].sensor",
        &["[sensors] enabled = true"],
    );
    let on = format!("{BASE}[sensors]\nenabled = true\n");
    assert_err(
        &format!(
            "{on}[[timeline]]\nat = 5\nsensor = {{ channel = \"flux\", fault = \"stuck\" }}\n"
        ),
        "timeline[0].sensor.channel",
        &["unknown channel `flux`", "p_drainage"],
    );
    assert_err(
        &format!(
            "{on}[[timeline]]\nat = 5\nsensor = {{ channel = \"flow\", fault = \"drift\" }}\n"
        ),
        "timeline[0].sensor.value",
        &["missing", "L/min"],
    );
    assert_err(
        &format!(
            "{on}[[timeline]]\nat = 5\nsensor = {{ channel = \"flow\", fault = \"stuck\", value = 2 }}\n"
        ),
        "timeline[0].sensor.value",
        &["takes no value"],
    );
    assert_err(
        &format!("{BASE}[output]\nsignals = [\"sensor_flow\"]\n"),
        "output.signals[0]",
        &["[sensors] enabled = true"],
    );
    assert!(
        Experiment::parse(&format!(
            "{on}[output]\nsignals = [\"sensor_flow\", \"sensor_flow_valid\"]\n"
        ))
        .is_ok()
    );
}

/// Names are resolved against the twin's catalogue when a file is loaded.
#[test]
fn unknown_preset_pump_oxygenator() {
    let load = |t: &str| Experiment::from_toml(t).expect_err("accepted a bad file");
    let e = load("preset = \"ards-mild\"\nduration_s = 60\n");
    assert_eq!(e.path, "preset");
    assert!(
        e.to_string().contains("unknown preset `ards-mild`")
            && e.to_string().contains("adult-healthy"),
        "{e}"
    );
    let e = load(&format!("{BASE}[circuit]\npump = \"roller\"\n"));
    assert_eq!(e.path, "circuit.pump");
    assert!(e.to_string().contains("rotaflow"), "{e}");
    let e = load(&format!("{BASE}[circuit]\noxygenator = \"bubble\"\n"));
    assert_eq!(e.path, "circuit.oxygenator");
    assert!(e.to_string().contains("quadrox-adult"), "{e}");
}

/// Errors name the line of the field too, and a loaded file's errors name the file:
/// `x.toml:12: `timeline[2].event.severity`: 1.7 is out of range: allowed 0..=1`.
#[test]
fn errors_name_the_line_and_the_file() {
    let text = three_entries();
    let e = err(&text);
    let line = text.lines().position(|l| l.contains("1.7")).map(|i| i + 1);
    assert_eq!(e.line, line, "{e}");
    // The kind given after its value: the same field, the same line.
    let e = err(&format!(
        "{BASE}[[timeline]]\nat = 5\nevent = {{ severity = 1.7, kind = \"return_kink\" }}\n"
    ));
    assert_eq!(e.path, "timeline[0].event.severity");
    assert_eq!(e.line, Some(6), "{e}");
    // Checks that need another field (the duration) name the line too.
    let e = err(&format!(
        "{BASE}\n\n[[timeline]]\nat = 900\nset = {{ sweep_lpm = 2 }}\n"
    ));
    assert_eq!((e.path.as_str(), e.line), ("timeline[0].at", Some(7)));

    let dir = std::env::temp_dir().join(format!("exp-bad-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let f = dir.join("kink.toml");
    std::fs::write(&f, &text).unwrap();
    let shown = Experiment::load(&f).unwrap_err().to_string();
    let want = format!(
        "{}:{}: `timeline[2].event.severity`: 1.7 is out of range: allowed 0..=1",
        f.display(),
        line.unwrap()
    );
    assert_eq!(shown, want);
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn circuit_prime_is_one_of_its_names_and_its_hb_needs_a_blood_prime() {
    assert_err(
        &format!("{BASE}[circuit]\nprime = \"saline\"\n"),
        "circuit.prime",
        &["saline", "established", "crystalloid", "by-size"],
    );
    assert_err(
        &format!("{BASE}[circuit]\nprime = \"blood\"\nprime_hb_g_dl = 30\n"),
        "circuit.prime_hb_g_dl",
        &["3", "22", "g/dL"],
    );
    let only_blood = format!("{BASE}[circuit]\nprime = \"crystalloid\"\nprime_hb_g_dl = 10\n");
    let e = match Experiment::parse(&only_blood) {
        Ok(x) => x.twin_config().map(|_| ()).unwrap_err(),
        Err(e) => e,
    };
    assert_eq!(e.path, "circuit.prime_hb_g_dl", "{e}");
    let good = Experiment::parse(&format!(
        "{BASE}[circuit]\nprime = \"blood\"\nprime_hb_g_dl = 10\n"
    ))
    .unwrap();
    let (cfg, _) = good.twin_config().unwrap();
    assert_eq!(
        cfg.circuit.prime,
        physio::prime::Prime::Blood {
            hb_g_dl: Some(10.0)
        }
    );
}
