//! Bad scenario and script files are refused with the field and what is allowed, and no edit
//! of a real scenario makes the parser panic.
use training::Scenario;
use training::scenario::parse_script;

const BASE: &str = include_str!("../../../scenarios/02-drainage-kink.toml");

fn refuse(text: &str, path: &str, words: &[&str]) {
    match Scenario::parse(text) {
        Ok(_) => panic!("accepted, expected an error at `{path}`"),
        Err(e) => {
            assert_eq!(e.path, path, "{e}");
            for w in words {
                assert!(e.message.contains(w), "`{}` lacks `{w}`", e.message);
            }
        }
    }
}

fn edit(from: &str, to: &str) -> String {
    assert!(BASE.contains(from), "{from}");
    BASE.replacen(from, to, 1)
}

/// Edits of the base scenario (replace the first `from` with `to`), each with the field its
/// error must name and words its message must hold.
const EDITS: &[(&str, &str, &str, &[&str])] = &[
    (
        "duration_s = 600",
        "duration_s = 10",
        "duration_s",
        &["60..=86400"],
    ),
    ("name = \"Drainage line kink\"\n", "", "name", &["missing"]),
    (
        "objectives = [",
        "objectives = [3, ",
        "objectives[0]",
        &["string"],
    ),
    (
        "preset = \"ards-severe\"",
        "preset = \"ards\"",
        "preset",
        &["unknown preset", "ards-severe"],
    ),
    ("fio2 = 0.5", "fio2 = 5", "patient.fio2", &["range"]),
    (
        "configuration = \"vv-femoro-jugular\"",
        "configuration = \"none\"",
        "circuit.configuration",
        &["needs a circuit"],
    ),
    (
        "mode = \"rpm\"",
        "mode = \"fast\"",
        "settings.mode",
        &["standby, rpm, flow"],
    ),
    (
        "rpm = 3200\n",
        "",
        "settings.rpm",
        &["rpm mode needs a speed"],
    ),
    (
        "sweep_lpm = 4",
        "sweep_lpm = 4\nalarm_limits = { flow_low = 20 }",
        "settings.alarm_limits.flow_low",
        &["0..=8"],
    ),
    (
        "sweep_lpm = 4",
        "sweep_lpm = 4\nintervention_limits = { suction_limit_mmhg = -400 }",
        "settings.intervention_limits.suction_limit_mmhg",
        &["-300..=-20", "mmHg"],
    ),
    (
        "sweep_lpm = 4",
        "sweep_lpm = 4\nintervention_limits = { bubble_limit = 0 }",
        "settings.intervention_limits.bubble_limit",
        &["backflow_min_rpm"],
    ),
    (
        "sweep_lpm = 4",
        "sweep_lpm = 4\ninterventions = { suck = false }",
        "settings.interventions.suck",
        &["suction"],
    ),
    (
        "at = 60\nlabel",
        "at = 6000\nlabel",
        "timeline[0].at",
        &["0..=600"],
    ),
    (
        "kind = \"drainage_kink\"",
        "kind = \"drain_kink\"",
        "timeline[0].event.kind",
        &["drainage_kink", "pump_clot"],
    ),
    (
        "severity = 0.85",
        "severity = 1.5",
        "timeline[0].event.severity",
        &["0..=1"],
    ),
    (
        "event = { kind = \"drainage_kink\", severity = 0.85 }",
        "event = { kind = \"pump_clot\", fraction = 2 }",
        "timeline[0].event.fraction",
        &["0..=0.98"],
    ),
    (
        "event = { kind = \"drainage_kink\", severity = 0.85 }",
        "sensor = { channel = \"flux\", fault = \"dropout\" }",
        "timeline[0].sensor.channel",
        &["flow"],
    ),
    (
        "event = { kind = \"drainage_kink\", severity = 0.85 }",
        "sensor = { channel = \"flow\", fault = \"melted\" }",
        "timeline[0].sensor.fault",
        &["dropout"],
    ),
    (
        "event = { kind = \"drainage_kink\", severity = 0.85 }\nremark = \"Drainage line kinked under the patient's leg during the turn\"",
        "",
        "timeline[0]",
        &["does nothing"],
    ),
    (
        "action = \"release_drainage_kink\"\nafter",
        "action = \"unkink\"\nafter",
        "expected[0].action",
        &["unknown action", "release_drainage_kink"],
    ),
    (
        "after = \"kink\"\nwithin_s = 90",
        "after = \"knik\"\nwithin_s = 90",
        "expected[0].after",
        &["unknown anchor", "kink"],
    ),
    (
        "within_s = 90",
        "within_s = 0",
        "expected[0].within_s",
        &["1..=600"],
    ),
    (
        "within_s = 90",
        "within_s = 90\nat_most = 3",
        "expected[0]",
        &["no number"],
    ),
    (
        "id = \"acknowledge\"",
        "id = \"release_kink\"",
        "expected",
        &["used twice"],
    ),
    (
        "signal = \"circuit_flow_lpm\"",
        "signal = \"flow\"",
        "outcomes[0].signal",
        &["unknown signal", "circuit_flow_lpm"],
    ),
    (
        "stat = \"final\"\nat_least = 4.5",
        "stat = \"median\"\nat_least = 4.5",
        "outcomes[0].stat",
        &["final, min, max, mean"],
    ),
    (
        "stat = \"final\"\nat_least = 4.5",
        "stat = \"mean\"\nuntil = \"knik\"\nat_least = 4.5",
        "outcomes[0].until",
        &["unknown anchor", "kink"],
    ),
    (
        "stat = \"final\"\nat_least = 4.5",
        "stat = \"final\"",
        "outcomes[0]",
        &["at_least"],
    ),
    (
        "at = 20\naction = \"release_drainage_kink\"",
        "at = 20\naction = \"release_drainage_kink\"\nvalue = 3",
        "model_answer[0].value",
        &["takes no value"],
    ),
    (
        "plots = [[\"p_drainage_mmhg\"]",
        "plots = [[\"p_drain\"]",
        "plots[0][0]",
        &["unknown signal"],
    ),
];

/// Tables appended to the base scenario, with the field and the words.
const APPENDED: &[(&str, &str, &[&str])] = &[
    (
        "[[triggers]]\nname = \"x\"\nwhen = { alarm = \"flow_lo\" }\n",
        "triggers[0].when.alarm",
        &["unknown alarm", "flow_low"],
    ),
    (
        "[[triggers]]\nname = \"x\"\nwhen = { signal = \"sao2_upper_pct\", for_s = 3 }\n",
        "triggers[0].when",
        &["below"],
    ),
    (
        "[[triggers]]\nname = \"kink\"\nwhen = { alarm = \"flow_low\" }\n",
        "triggers.name",
        &["used twice"],
    ),
];

#[test]
fn each_mistake_names_its_field() {
    refuse("name = ", "", &["not valid TOML"]);
    refuse(
        &format!("colour = 1\n{BASE}"),
        "colour",
        &["unknown field", "allowed here"],
    );
    for (from, to, path, words) in EDITS {
        refuse(&edit(from, to), path, words);
    }
    for (table, path, words) in APPENDED {
        refuse(&format!("{BASE}\n{table}"), path, words);
    }
}

#[test]
fn bad_scripts_name_their_field() {
    let e = parse_script("[[action]]\nat = 5\naction = \"set_rpm\"\nvalue = 9000\n").unwrap_err();
    assert_eq!(e.path, "action[0].value");
    assert!(e.message.contains("0..=5000"), "{e}");
    let e =
        parse_script("[[action]]\nat = 5\naction = \"set_mode\"\nvalue = \"turbo\"\n").unwrap_err();
    assert!(e.message.contains("standby"), "{e}");
    let e = parse_script("[[action]]\nat = -1\naction = \"pause_audio\"\n").unwrap_err();
    assert_eq!(e.path, "action[0].at");
    let e = parse_script("[[step]]\nat = 1\n").unwrap_err();
    assert_eq!(e.path, "step");
    let sc = Scenario::parse(BASE).unwrap();
    let (_, steps) =
        parse_script("[[action]]\nafter = \"nope\"\nat = 1\naction = \"pause_audio\"\n").unwrap();
    let e = sc.check_script(&steps).unwrap_err();
    assert!(e.message.contains("kink"), "{e}");
}

/// Every line of every library scenario deleted, and every number in it replaced by extreme
/// values: the parser answers Ok or Err, never panics.
#[test]
fn no_edit_of_a_scenario_panics() {
    let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/../../scenarios");
    let mut tried = 0;
    for e in std::fs::read_dir(dir).unwrap() {
        let text = std::fs::read_to_string(e.unwrap().path()).unwrap();
        let lines: Vec<&str> = text.lines().collect();
        for i in 0..lines.len() {
            let mut v = lines.clone();
            v.remove(i);
            let _ = Scenario::parse(&v.join("\n"));
            tried += 1;
            if let Some((k, val)) = lines[i].split_once(" = ")
                && val.trim().parse::<f64>().is_ok()
            {
                for bad in [
                    "-1", "0", "1e308", "nan", "inf", "\"x\"", "true", "[]", "{}",
                ] {
                    let mut v = lines.clone();
                    let line = format!("{k} = {bad}");
                    v[i] = &line;
                    let _ = Scenario::parse(&v.join("\n"));
                    tried += 1;
                }
            }
        }
    }
    assert!(tried > 1000, "{tried}");
}

/// Errors name the line of the field, and a loaded file's errors name the file.
#[test]
fn errors_name_the_line_and_the_file() {
    let text = edit("severity = 0.85", "severity = 1.5");
    let line = text.lines().position(|l| l.contains("1.5")).map(|i| i + 1);
    let e = Scenario::parse(&text).unwrap_err();
    assert_eq!(
        (e.path.as_str(), e.line),
        ("timeline[0].event.severity", line)
    );
    let text = edit("within_s = 90", "within_s = 0");
    let line = text
        .lines()
        .position(|l| l == "within_s = 0")
        .map(|i| i + 1);
    let e = Scenario::parse(&text).unwrap_err();
    assert_eq!((e.path.as_str(), e.line), ("expected[0].within_s", line));

    let dir = std::env::temp_dir().join(format!("train-bad-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let f = dir.join("kink.toml");
    std::fs::write(&f, edit("mode = \"rpm\"", "mode = \"fast\"")).unwrap();
    let shown = Scenario::load(&f).unwrap_err().to_string();
    assert!(
        shown.starts_with(&format!("{}:", f.display())) && shown.contains("`settings.mode`"),
        "{shown}"
    );
    std::fs::remove_dir_all(&dir).unwrap();
}
