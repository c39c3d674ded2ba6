//! Running experiments on the twin: the timeline acts at its times, windows average what they
//! should, CSV has the promised rows, and runs are deterministic.
use experiment::Experiment;

const VV: &str = r#"
preset = "ards-severe"
duration_s = 120
seed = 7
[circuit]
configuration = "vv-femoro-jugular"
[settings]
pump_rpm = 3500
sweep_lpm = 3
fdo2 = 1.0
[[timeline]]
at = 60
set = { sweep_lpm = 6 }
[[timeline]]
at = 90
event = { kind = "power_loss", lost = true }
[windows]
first = [10, 59]
second = [61, 89]
on_battery = [91, 120]
"#;

fn run(text: &str) -> experiment::run::Summary {
    Experiment::from_toml(text)
        .unwrap_or_else(|e| panic!("{e}"))
        .run(None)
        .unwrap_or_else(|e| panic!("{e}"))
}

#[test]
fn timeline_settings_and_events_take_effect_at_their_time() {
    let s = run(VV);
    assert_eq!(s.mean("first", "sweep_lpm"), Some(3.0));
    assert_eq!(s.mean("second", "sweep_lpm"), Some(6.0));
    assert_eq!(s.mean("second", "mains_power"), Some(1.0));
    assert_eq!(s.mean("on_battery", "mains_power"), Some(0.0));
}

#[test]
fn window_statistics_are_consistent() {
    let s = run(VV);
    let fin = s.window("final").unwrap();
    assert_eq!(fin.window.start_s, 60.0);
    assert_eq!(fin.window.end_s, 120.0);
    // 60 s at 20 ms, both ends included.
    assert_eq!(fin.samples, 3001);
    for w in &s.windows {
        for i in 0..w.mean.len() {
            assert!(
                w.min[i] <= w.mean[i] + 1e-9 && w.mean[i] <= w.max[i] + 1e-9,
                "{}: min {} mean {} max {}",
                w.window.name,
                w.min[i],
                w.mean[i],
                w.max[i]
            );
        }
    }
}

#[test]
fn runs_are_deterministic() {
    assert_eq!(run(VV), run(VV));
}

#[test]
fn csv_rows_and_columns() {
    let text = format!(
        "{VV}[output]\nsample_interval_s = 0.5\nsignals = [\"circuit_flow_lpm\", \"sweep_lpm\"]\n"
    );
    let exp = Experiment::from_toml(&text).unwrap();
    let mut buf = Vec::new();
    exp.run(Some(&mut buf)).unwrap();
    let csv = String::from_utf8(buf).unwrap();
    let lines: Vec<&str> = csv.lines().collect();
    assert_eq!(lines[0], "time_s,circuit_flow_lpm,sweep_lpm");
    assert_eq!(lines.len(), 1 + 241);
    assert!(lines[1].starts_with("0,"));
    assert!(lines[240].starts_with("119.5,"), "{}", lines[240]);
    // Sweep is 3 before 60 s and 6 after.
    assert!(lines[119].ends_with(",3"), "{}", lines[119]);
    assert!(lines[123].ends_with(",6"), "{}", lines[123]);
}

#[test]
fn names_are_checked_against_the_twin() {
    let e = Experiment::from_toml("preset = \"nobody\"\nduration_s = 10").unwrap_err();
    assert_eq!(e.path, "preset");
    assert!(e.message.contains("unknown preset `nobody`"), "{e}");
    assert!(e.message.contains("ards-severe"), "{e}");
    let e = Experiment::from_toml(
        "preset = \"ards-severe\"\nduration_s = 10\n[circuit]\npump = \"windmill\"",
    )
    .unwrap_err();
    assert_eq!(e.path, "circuit.pump");
    assert!(e.message.contains("unknown pump `windmill`"), "{e}");
    let e = Experiment::from_toml(
        "preset = \"ards-severe\"\nduration_s = 10\n[circuit]\noxygenator = \"sponge\"",
    )
    .unwrap_err();
    assert_eq!(e.path, "circuit.oxygenator");
}

#[test]
fn patient_overrides_reach_the_twin() {
    let text = "preset = \"adult-healthy\"\nduration_s = 5\n[patient]\nhb_g_dl = 9\nheart_rate_bpm = 100\n";
    let s = run(text);
    assert!((s.final_mean("hb_g_dl") - 9.0).abs() < 0.2);
    assert!((s.final_mean("heart_rate_bpm") - 100.0).abs() < 1e-9);
}

#[test]
fn the_twins_own_checks_run_on_load() {
    let e = Experiment::from_toml(
        "preset = \"ards-severe\"\nduration_s = 10\n[patient]\nweight_kg = 180\n",
    )
    .unwrap_err();
    assert_eq!(e.path, "patient.blood_volume_ml");
    assert!(
        e.message.contains("per kg") && e.message.contains("weight_kg"),
        "{e}"
    );
}

#[test]
fn sensors_read_the_truth_and_their_faults_act() {
    let text = r#"
preset = "ards-severe"
duration_s = 90
[circuit]
configuration = "vv-femoro-jugular"
[sensors]
enabled = true
noise = false
[[timeline]]
at = 30
sensor = { channel = "flow", fault = "stuck" }
[[timeline]]
at = 30
set = { pump_rpm = 2500 }
[[timeline]]
at = 60
sensor = { channel = "p_drainage", fault = "dropout" }
[windows]
healthy = [20, 30]
stuck = [50, 60]
dropped = [61, 90]
"#;
    let s = run(text);
    // Noise off: a healthy sensor reads the truth to its resolution (0.01 L/min).
    let truth = s.mean("healthy", "circuit_flow_lpm").unwrap();
    let read = s.mean("healthy", "sensor_flow").unwrap();
    assert!((truth - read).abs() < 0.01, "truth {truth} read {read}");
    // Stuck: the reading stays at its old value while the flow falls, still flagged valid.
    let stuck = s.window("stuck").unwrap();
    let i = s.names.iter().position(|n| n == "sensor_flow").unwrap();
    assert_eq!(stuck.min[i], stuck.max[i]);
    assert!((stuck.mean[i] - read).abs() < 0.02);
    assert!(s.mean("stuck", "circuit_flow_lpm").unwrap() < truth - 0.5);
    assert_eq!(s.mean("stuck", "sensor_flow_valid"), Some(1.0));
    // Dropout: flagged invalid.
    assert_eq!(s.mean("dropped", "sensor_p_drainage_valid"), Some(0.0));
    assert_eq!(s.mean("healthy", "sensor_p_drainage_valid"), Some(1.0));
}

#[test]
fn a_run_keeping_some_signals_gives_their_statistics_to_the_bit() {
    let exp = Experiment::from_toml(VV).unwrap();
    let full = exp.run(None).unwrap();
    // A sensor signal too: the sensors must be sampled exactly as in the full run.
    let with_sensors = VV.replace("seed = 7", "seed = 7\n[sensors]\nenabled = true");
    let exp_s = Experiment::from_toml(&with_sensors).unwrap();
    let full_s = exp_s.run(None).unwrap();
    for (exp, full, only) in [
        (
            &exp,
            &full,
            vec!["map_mmhg", "circuit_flow_lpm", "art_upper_so2"],
        ),
        (
            &exp_s,
            &full_s,
            vec!["art_upper_so2", "sensor_flow", "sensor_flow_valid"],
        ),
    ] {
        let only: Vec<String> = only.into_iter().map(String::from).collect();
        let some = exp.run_only(&only).unwrap();
        assert_eq!(some.names, only);
        assert_eq!(some.windows.len(), full.windows.len());
        for (w_some, w_full) in some.windows.iter().zip(&full.windows) {
            assert_eq!(w_some.window, w_full.window);
            assert_eq!(w_some.samples, w_full.samples);
            for (k, name) in only.iter().enumerate() {
                let i = full.names.iter().position(|n| n == name).unwrap();
                assert_eq!(w_some.mean[k].to_bits(), w_full.mean[i].to_bits(), "{name}");
                assert_eq!(w_some.min[k].to_bits(), w_full.min[i].to_bits(), "{name}");
                assert_eq!(w_some.max[k].to_bits(), w_full.max[i].to_bits(), "{name}");
            }
        }
    }
    let e = exp.run_only(&["no_such_signal".into()]).unwrap_err();
    assert!(
        e.to_string().contains("unknown signal `no_such_signal`"),
        "{e}"
    );
}
