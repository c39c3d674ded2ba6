//! Golden runs of the control core: two scripted runs on the twin (VV on `ards-severe`, VA on
//! `cardiogenic-shock`) that pass through every mode, intervention, fallback and most alarms,
//! recorded once and checked on every test run.
//!
//! The recording (tests/golden/*.tape.gz, see `sil::trace`) holds the controller's inputs: the
//! frame of every step and which commands it took. `replay_*` feeds them into a bare
//! `control::Controller`, without the twin, and compares a digest of every second's outputs
//! and settings with the recorded ones: a change of the controller's behaviour fails here
//! whatever the twin does. `closed_loop_*` runs the whole loop again and checks that it still
//! produces the recorded inputs (this one also fails when the twin or the sensor layer changes
//! their numbers; then, after `replay_*` passes, record anew).
//!
//! Record anew (only for a deliberate change of behaviour, said so in the commit):
//! `GOLDEN_RECORD=1 cargo test -p sil --test golden`.

use control::{AlarmId, AlarmLimit, Channel, Command, GasMode, Intervention, Mode};
use physio::presets::preset;
use physio::{Event, PatientParam};
use sil::trace::{Digest, Tape};
use sil::{ChannelFault, Sil};
use std::collections::VecDeque;
use std::io::{Read as _, Write as _};
use std::path::PathBuf;

/// Something the script does at a time.
#[derive(Clone, Copy, Debug)]
enum Do {
    Cmd(Command),
    Ev(Event),
    Fault(Channel, ChannelFault),
    Ui(bool),
}

use Do::*;

fn vv_script() -> Vec<(u64, Do)> {
    let s = |t: u64| t * 1000;
    vec![
        (0, Cmd(Command::SetRpmTarget(3500.0))),
        (0, Cmd(Command::SetSweep(4.0))),
        (0, Cmd(Command::SetFdO2(1.0))),
        (0, Cmd(Command::SetMode(Mode::Rpm))),
        (s(10), Cmd(Command::SetFlowTarget(4.0))),
        (s(10), Cmd(Command::SetMode(Mode::Flow))),
        (s(20), Ev(Event::Volume(-1500.0))),
        (s(30), Ev(Event::Volume(1500.0))),
        (s(40), Ev(Event::ReturnKink(0.8))),
        (s(50), Ev(Event::ReturnKink(0.0))),
        (
            s(55),
            Cmd(Command::SetInterventionLimit {
                which: Intervention::ReturnPressure,
                value: 250.0,
            }),
        ),
        (
            s(55),
            Cmd(Command::SetAlarmLimit {
                limit: AlarmLimit::FlowLow,
                value: 7.5,
            }),
        ),
        (
            s(55),
            Cmd(Command::SetAlarmLimit {
                limit: AlarmLimit::FlowLow,
                value: 2.0,
            }),
        ),
        (s(60), Cmd(Command::AcknowledgeAll)),
        (s(60), Cmd(Command::PauseAudio)),
        (s(65), Ev(Event::AirEntrainment(40.0))),
        (s(68), Cmd(Command::Acknowledge(AlarmId::Bubble))),
        (s(69), Cmd(Command::RestartAfterBubble)),
        (s(70), Ev(Event::AirEntrainment(0.0))),
        (s(72), Ev(Event::DeAir)),
        (s(75), Cmd(Command::RestartAfterBubble)),
        (s(80), Fault(Channel::Flow, ChannelFault::Dropout)),
        (s(85), Fault(Channel::Flow, ChannelFault::None)),
        (s(86), Cmd(Command::SetMode(Mode::Flow))),
        (s(90), Cmd(Command::SetPco2Target(40.0))),
        (s(90), Cmd(Command::SetSweepBounds { min: 1.0, max: 8.0 })),
        (s(90), Cmd(Command::SetGasMode(GasMode::AutoPco2))),
        (s(100), Ui(false)),
        (s(105), Ev(Event::PowerLoss(true))),
        (s(106), Ui(true)),
        (s(110), Ev(Event::DrainageKink(0.7))),
        (s(115), Ev(Event::PowerLoss(false))),
        (s(118), Ev(Event::DrainageKink(0.0))),
        (
            s(120),
            Fault(Channel::DrainagePressure, ChannelFault::Stuck),
        ),
        (s(125), Fault(Channel::DrainagePressure, ChannelFault::None)),
        (s(128), Cmd(Command::SetGasMode(GasMode::Manual))),
        (s(130), Ev(Event::OxygenatorFailure(0.8))),
        (s(132), Cmd(Command::SetHeater(36.0))),
        (s(135), Cmd(Command::SetReturnClamp(true))),
        (s(136), Cmd(Command::SetCircuit(control::CircuitKind::Vv))),
        (s(138), Cmd(Command::SetReturnClamp(false))),
        (s(140), Cmd(Command::SetMode(Mode::Standby))),
        (s(141), Cmd(Command::SetCircuit(control::CircuitKind::Vv))),
        (s(142), Cmd(Command::SetRpmTarget(f32::NAN))),
        (s(145), Cmd(Command::SetMode(Mode::Rpm))),
    ]
}

fn va_script() -> Vec<(u64, Do)> {
    let s = |t: u64| t * 1000;
    vec![
        (0, Cmd(Command::SetRpmTarget(3600.0))),
        (0, Cmd(Command::SetSweep(3.0))),
        (0, Cmd(Command::SetMode(Mode::Rpm))),
        (s(20), Cmd(Command::SetRpmTarget(1000.0))),
        (
            s(30),
            Cmd(Command::SetIntervention {
                which: Intervention::Backflow,
                enabled: false,
            }),
        ),
        (
            s(35),
            Cmd(Command::SetIntervention {
                which: Intervention::Backflow,
                enabled: true,
            }),
        ),
        (s(40), Cmd(Command::SetRpmTarget(3600.0))),
        (s(50), Cmd(Command::SetMode(Mode::ZeroFlow))),
        (s(70), Cmd(Command::SetMode(Mode::Rpm))),
        (s(75), Ev(Event::PumpFailure(true))),
        (s(80), Ev(Event::PumpFailure(false))),
        (s(90), Cmd(Command::SetFlowTarget(3.5))),
        (s(90), Cmd(Command::SetMode(Mode::Flow))),
        (s(100), Ev(Event::ReturnKink(0.9))),
        (s(108), Ev(Event::ReturnKink(0.0))),
        (s(110), Fault(Channel::PumpSpeed, ChannelFault::Dropout)),
        (s(115), Fault(Channel::PumpSpeed, ChannelFault::None)),
        (
            s(118),
            Ev(Event::SetPatient(PatientParam::HeartRate, 150.0)),
        ),
        (s(120), Ev(Event::Battery(0.05))),
        (s(120), Ev(Event::PowerLoss(true))),
        (s(130), Ev(Event::PowerLoss(false))),
        (s(135), Cmd(Command::SetReturnClamp(true))),
        (s(138), Cmd(Command::SetReturnClamp(false))),
        (s(140), Cmd(Command::SetMode(Mode::Standby))),
    ]
}

/// What each golden run must pass through, so that the recording covers the controller's
/// branches (checked whenever the closed loop runs).
const VV_REACHES: &[&str] = &[
    "Bubble",
    "FlowLow",
    "FlowSensorFault",
    "MainsPowerLost",
    "ReturnPressureHigh",
    "Suction",
    "UiHeartbeatLost",
    "accepted",
    "auto_sweep",
    "bubble_stop",
    "clamped",
    "faulty_channels",
    "flow_fallback",
    "flow_mode",
    "refused",
    "return_reduction",
    "suction_reduction",
    "ui_lost",
];
const VA_REACHES: &[&str] = &[
    "Backflow",
    "MainsPowerLost",
    "PumpStopped",
    "ReturnPressureHigh",
    "SpeedSensorFault",
    "backflow_guard",
    "clamped",
    "faulty_channels",
    "flow_mode",
    "return_reduction",
    "zero_flow",
];

const DURATION_MS: u64 = 150_000;
const STEPS_PER_DIGEST: usize = 100;

struct Run {
    /// What the run went through: every alarm ever signalled and status flag ever set.
    seen: std::collections::BTreeSet<String>,
    tape: Tape,
    /// Digest of every second's steps (outputs and settings with their inputs).
    digests: Vec<u64>,
}

fn commands(script: &[(u64, Do)]) -> Vec<Command> {
    script
        .iter()
        .filter_map(|(_, d)| match d {
            Cmd(c) => Some(*c),
            _ => None,
        })
        .collect()
}

/// Run the script on the whole loop, recording every step.
fn record(preset_name: &str, script: &[(u64, Do)]) -> Run {
    let cfg = preset(preset_name).unwrap();
    let mut s = Sil::new(&cfg).unwrap();
    let mut run = Run {
        seen: Default::default(),
        tape: Tape::new(),
        digests: Vec::new(),
    };
    let mut d = Digest::new();
    let mut steps = 0;
    let mut pending: VecDeque<usize> = VecDeque::new();
    let mut next_cmd = 0;
    let mut next = 0;
    let mut note = |s: &Sil, taken: &[usize], run: &mut Run| {
        run.tape.push(s.now_ms(), s.frame(), taken);
        d.loop_step(s);
        steps += 1;
        if steps % STEPS_PER_DIGEST == 0 {
            run.digests.push(d.value());
        }
        let o = s.output();
        for id in o.alarms.signalled.iter() {
            run.seen.insert(format!("{id:?}"));
        }
        let st = &o.status;
        for (flag, name) in [
            (st.suction_reduction_rpm > 0.0, "suction_reduction"),
            (st.return_reduction_rpm > 0.0, "return_reduction"),
            (st.backflow_guard, "backflow_guard"),
            (st.bubble_stop, "bubble_stop"),
            (st.flow_fallback, "flow_fallback"),
            (st.ui_lost, "ui_lost"),
            (!st.faulty_channels.is_empty(), "faulty_channels"),
            (o.gas_mode == GasMode::AutoPco2, "auto_sweep"),
            (o.mode == Mode::ZeroFlow, "zero_flow"),
            (o.mode == Mode::Flow, "flow_mode"),
            (
                o.actuators.return_clamp_closed && o.mode != Mode::Standby,
                "clamped",
            ),
        ] {
            if flag {
                run.seen.insert(name.to_string());
            }
        }
        for r in o.command_results.iter().flatten() {
            run.seen
                .insert(if r.is_ok() { "accepted" } else { "refused" }.to_string());
        }
    };
    // The loop's first step happened when it was built.
    note(&s, &[], &mut run);
    while s.now_ms() < DURATION_MS {
        while let Some((t, what)) = script.get(next)
            && *t <= s.now_ms()
        {
            match what {
                Cmd(c) => {
                    s.command(*c);
                    pending.push_back(next_cmd);
                    next_cmd += 1;
                }
                Ev(e) => s.event(e).unwrap(),
                Fault(ch, f) => s.set_sensor_fault(*ch, *f).unwrap(),
                Ui(alive) => s.set_ui_alive(*alive),
            }
            next += 1;
        }
        s.step();
        let n = s.last_commands().count();
        let taken: Vec<usize> = pending.drain(..n).collect();
        note(&s, &taken, &mut run);
    }
    run.digests.push(d.value());
    run
}

/// Replay a tape into a bare controller: the digests it gives.
fn replay(preset_name: &str, script: &[(u64, Do)], tape: &[u8]) -> Vec<u64> {
    let cfg = preset(preset_name).unwrap();
    let cmds = commands(script);
    let mut c = sil::controller(&cfg).unwrap();
    let mut d = Digest::new();
    let mut digests = Vec::new();
    let steps = Tape::read(tape).unwrap();
    for (i, st) in steps.iter().enumerate() {
        let taken: Vec<Command> = st.commands.iter().map(|&k| cmds[k]).collect();
        let out = c.step(st.now_ms, &st.frame, &taken);
        d.step(st.now_ms, &st.frame, &taken, &out, c.settings());
        if (i + 1) % STEPS_PER_DIGEST == 0 {
            digests.push(d.value());
        }
    }
    digests.push(d.value());
    digests
}

fn fixture(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests/golden")
        .join(name)
}

fn read_tape(name: &str) -> Vec<u8> {
    let gz = std::fs::read(fixture(&format!("{name}.tape.gz"))).unwrap();
    let mut tape = Vec::new();
    flate2::read::GzDecoder::new(&gz[..])
        .read_to_end(&mut tape)
        .unwrap();
    tape
}

fn read_digests(name: &str) -> Vec<u64> {
    let text = std::fs::read_to_string(fixture(&format!("{name}.digests"))).unwrap();
    text.lines()
        .filter(|l| !l.starts_with('#'))
        .map(|l| u64::from_str_radix(l.trim(), 16).unwrap())
        .collect()
}

fn recording() -> bool {
    std::env::var_os("GOLDEN_RECORD").is_some()
}

/// The first second whose digest differs, if any.
fn first_difference(got: &[u64], want: &[u64]) -> Option<usize> {
    if got.len() != want.len() {
        return Some(got.len().min(want.len()));
    }
    got.iter().zip(want).position(|(a, b)| a != b)
}

fn closed_loop(name: &str, preset_name: &str, script: &[(u64, Do)], must_see: &[&str]) {
    let run = record(preset_name, script);
    eprintln!("{name} went through: {:?}", run.seen);
    let missing: Vec<&&str> = must_see
        .iter()
        .filter(|m| !run.seen.contains(**m))
        .collect();
    assert!(
        missing.is_empty(),
        "{name}: the script no longer reaches {missing:?}"
    );
    if recording() {
        let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::best());
        gz.write_all(run.tape.bytes()).unwrap();
        std::fs::write(fixture(&format!("{name}.tape.gz")), gz.finish().unwrap()).unwrap();
        let mut text =
            format!("# FNV-1a digests of each second of the golden {name} run (tests/golden.rs)\n");
        for d in &run.digests {
            text.push_str(&format!("{d:016x}\n"));
        }
        std::fs::write(fixture(&format!("{name}.digests")), text).unwrap();
        return;
    }
    let tape = read_tape(name);
    let want = read_digests(name);
    if let Some(k) = first_difference(&run.digests, &want) {
        panic!(
            "{name}: the closed loop differs from the recording from second {k} on \
             (inputs equal: {})",
            run.tape.bytes() == tape.as_slice()
        );
    }
    assert!(run.tape.bytes() == tape.as_slice(), "{name}: inputs differ");
}

fn replayed(name: &str, preset_name: &str, script: &[(u64, Do)]) {
    if recording() {
        return;
    }
    let tape = read_tape(name);
    let got = replay(preset_name, script, &tape);
    let want = read_digests(name);
    assert!(want.len() > 100, "{name}: {} digests", want.len());
    if let Some(k) = first_difference(&got, &want) {
        panic!("{name}: the controller's outputs differ from the recording from second {k} on");
    }
}

#[test]
fn replay_vv_outputs_are_bit_identical_to_the_recording() {
    replayed("vv", "ards-severe", &vv_script());
}

#[test]
fn replay_va_outputs_are_bit_identical_to_the_recording() {
    replayed("va", "cardiogenic-shock", &va_script());
}

#[test]
fn closed_loop_vv_reproduces_the_recording() {
    closed_loop("vv", "ards-severe", &vv_script(), VV_REACHES);
}

#[test]
fn closed_loop_va_reproduces_the_recording() {
    closed_loop("va", "cardiogenic-shock", &va_script(), VA_REACHES);
}
