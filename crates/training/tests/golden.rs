//! Golden runs of every training scenario: the model answer and "doing nothing", each on the
//! whole loop (twin, sensor layer, control core), fingerprinted step by step with
//! `sil::trace::Digest` (the frame the controller saw, the commands it took, its output and its
//! settings). tests/golden/scenarios.txt holds, per run, every five simulated minutes and at
//! its end, the digest so far and a sample of what the console drove.
//!
//! It proves that a change meant to keep behaviour (a refactoring of the control core or of
//! the loop around it) keeps every bit of it over the whole scenario library. Unlike
//! crates/sil/tests/golden.rs, which replays recorded inputs into a bare controller, this one
//! depends on the twin: a deliberate change of the twin, the sensor models or the command path
//! changes it too. Then, once the twin-free replay in crates/sil passes, record anew and say so
//! in the commit: `GOLDEN_RECORD=1 cargo test -p training --test golden`.

use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use training::{Runner, Scenario};

fn library() -> Vec<PathBuf> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../scenarios");
    let mut files: Vec<PathBuf> = std::fs::read_dir(&dir)
        .unwrap()
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|x| x == "toml"))
        .collect();
    files.sort();
    files
}

/// One run: a line per five simulated minutes and one at the end.
fn run(file: &Path, model_answer: bool) -> String {
    let sc = Scenario::load(file).unwrap();
    let script = if model_answer {
        &sc.model_answer[..]
    } else {
        &[]
    };
    let mut r = Runner::new(&sc, "golden").unwrap();
    r.set_script(script);
    let mut d = sil::trace::Digest::new();
    let name = file.file_name().unwrap().to_string_lossy().into_owned();
    let who = if model_answer { "model" } else { "nothing" };
    let mut out = String::new();
    let mut steps = 0u64;
    loop {
        let s = r.sil();
        d.loop_step(s);
        steps += 1;
        let done = r.finished();
        if steps.is_multiple_of(30_000) || done {
            let a = &s.output().actuators;
            let _ = writeln!(
                out,
                "{name} {who} t={:.0} {:016x} rpm={:.0} clamp={} sweep={:.2} mode={:?} alarms={}",
                r.t_s(),
                d.value(),
                a.pump_rpm,
                a.return_clamp_closed as u8,
                a.sweep_lpm,
                s.output().mode,
                s.output().alarms.signalled.len(),
            );
        }
        if done {
            return out;
        }
        r.step();
    }
}

#[test]
fn every_scenario_run_is_bit_identical_to_the_recording() {
    // One thread per scenario (both its runs): a few dozen simulated hours in all, on
    // however many cores there are.
    let got: String = std::thread::scope(|s| {
        let handles: Vec<_> = library()
            .into_iter()
            .map(|f| s.spawn(move || run(&f, true) + &run(&f, false)))
            .collect();
        handles.into_iter().map(|h| h.join().unwrap()).collect()
    });
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/golden/scenarios.txt");
    if std::env::var_os("GOLDEN_RECORD").is_some() {
        std::fs::write(&path, &got).unwrap();
        return;
    }
    let want = std::fs::read_to_string(&path).unwrap();
    if let Some((g, w)) = got.lines().zip(want.lines()).find(|(g, w)| g != w) {
        panic!(
            "a scenario run differs from the recording (first difference below); if the twin \
             changed on purpose and crates/sil's replay passes, record anew \
             (GOLDEN_RECORD=1 cargo test -p training --test golden)\n got: {g}\nwant: {w}"
        );
    }
    assert_eq!(got.lines().count(), want.lines().count(), "number of lines");
}
