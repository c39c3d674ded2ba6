//! Replays the recorded wire sessions in tests/fixtures (made by a real console <-> unit
//! exchange over TCP: `cargo run -p devlink --example record_session -- crates/protocol/tests/fixtures`)
//! through the decoder and checks the decoded conversation, then damages and replays it.

use protocol::msg::{fault, state};
use protocol::safety::POWER_UP;
use protocol::*;

const CONSOLE: &[u8] = include_bytes!("fixtures/console_to_unit.bin");
const UNIT: &[u8] = include_bytes!("fixtures/unit_to_console.bin");

fn decode(bytes: &[u8]) -> (Vec<Frame>, DecodeStats) {
    let mut d = Decoder::new();
    let mut out = Vec::new();
    // Feed in odd-sized chunks, as reads from a socket come.
    for c in bytes.chunks(37) {
        d.feed(c, |r| out.push(r.expect("recorded frames are intact")));
    }
    (out, d.stats())
}

/// The script of the recording: each command and the unit's answer.
const SCRIPT: [(Command, AckResult); 9] = [
    (Command::SetClamp(ClampState::Open), AckResult::Applied),
    (Command::SetPumpSpeed { rpm: 3000 }, AckResult::Applied),
    (
        Command::SetGas {
            sweep_ml_min: 3000,
            fdo2_permille: 800,
        },
        AckResult::Applied,
    ),
    (
        Command::SetHeater {
            target_centi_c: 3700,
        },
        AckResult::Applied,
    ),
    (Command::SetPumpSpeed { rpm: 6000 }, AckResult::OutOfLimits),
    (
        Command::SetPumpSpeed { rpm: 2000 },
        AckResult::AirStopActive,
    ),
    (Command::ClearAirStop, AckResult::Applied),
    (Command::SetClamp(ClampState::Open), AckResult::Applied),
    (Command::SetPumpSpeed { rpm: 3000 }, AckResult::Applied),
];

fn consecutive(frames: &[Frame]) -> bool {
    frames
        .windows(2)
        .all(|w| w[1].seq == w[0].seq.wrapping_add(1))
}

#[test]
fn recorded_session_decodes_to_the_script() {
    let (c, cs) = decode(CONSOLE);
    let (u, us) = decode(UNIT);
    assert_eq!(cs.rejected() + us.rejected(), 0);
    assert!(
        consecutive(&c) && consecutive(&u),
        "each side numbers its frames 0, 1, 2, …"
    );
    assert_eq!(c[0].seq, 0);

    // Console: Hello first, then the script's commands in order, heartbeats in between.
    let Message::Hello(hello) = c[0].msg else {
        panic!("first console frame {:?}", c[0])
    };
    assert_eq!(
        (hello.major, hello.heartbeat_ms, hello.timeout_ms),
        (1, 100, 500)
    );
    let cmds: Vec<(u16, Command)> = c
        .iter()
        .filter_map(|f| {
            if let Message::Command(k) = f.msg {
                Some((f.seq, k))
            } else {
                None
            }
        })
        .collect();
    assert_eq!(
        cmds.iter().map(|x| x.1).collect::<Vec<_>>(),
        SCRIPT.map(|s| s.0).to_vec()
    );
    assert!(c.iter().all(|f| matches!(
        f.msg,
        Message::Hello(_) | Message::Command(_) | Message::Heartbeat(_)
    )));
    assert!(
        c.iter()
            .filter(|f| matches!(f.msg, Message::Heartbeat(_)))
            .count()
            >= 5
    );

    // Unit: HelloAck for that Hello, reporting the power-up state.
    let Message::HelloAck(ack) = u[0].msg else {
        panic!("first unit frame {:?}", u[0])
    };
    assert_eq!(
        (ack.nonce, ack.status, ack.setpoints),
        (hello.nonce, HelloStatus::Accepted, POWER_UP)
    );
    assert_eq!(ack.unit_serial, 0x0EC0_0001);

    // Every command answered once, in order, with the script's result and matching type.
    let acks: Vec<Ack> = u
        .iter()
        .filter_map(|f| {
            if let Message::Ack(a) = f.msg {
                Some(a)
            } else {
                None
            }
        })
        .collect();
    assert_eq!(acks.len(), SCRIPT.len());
    for ((a, (seq, cmd)), (_, want)) in acks.iter().zip(&cmds).zip(SCRIPT) {
        assert_eq!(
            (a.acked_seq, a.acked_type, a.result),
            (*seq, cmd.type_code(), want)
        );
    }

    // Sensor stream: consecutive samples, 10 ms apart on average, and it shows what happened.
    let sensors: Vec<SensorFrame> = u
        .iter()
        .filter_map(|f| {
            if let Message::Sensor(s) = f.msg {
                Some(s)
            } else {
                None
            }
        })
        .collect();
    assert!(sensors.len() >= 60, "{} sensor frames", sensors.len());
    assert!(sensors.windows(2).all(|w| w[1].sample == w[0].sample + 1));
    let span = sensors.last().unwrap().time_ms - sensors[0].time_ms;
    let period = span as f64 / (sensors.len() - 1) as f64;
    assert!((9.0..=12.0).contains(&period), "sensor period {period} ms");
    let air_stopped: Vec<&SensorFrame> = sensors
        .iter()
        .filter(|s| s.state & state::AIR_STOP != 0)
        .collect();
    assert!(!air_stopped.is_empty());
    // The frame that saw the air was measured before the stop; every later one shows it.
    assert!(air_stopped[0].state & state::AIR_DETECTED != 0);
    assert!(
        air_stopped
            .iter()
            .skip(1)
            .all(|s| s.speed_rpm == 0 && s.state & state::CLAMP_CLOSED != 0)
    );
    assert!(
        sensors
            .iter()
            .any(|s| s.speed_rpm == 3000 && s.values().flow_lpm.unwrap() > 3.9)
    );
    let last = sensors.last().unwrap();
    assert_eq!((last.speed_rpm, last.state & state::AIR_STOP), (3000, 0));

    // The air fault raised, then cleared.
    let faults: Vec<Fault> = u
        .iter()
        .filter_map(|f| {
            if let Message::Fault(x) = f.msg {
                Some(x)
            } else {
                None
            }
        })
        .collect();
    let air: Vec<bool> = faults
        .iter()
        .filter(|f| f.code == fault::AIR_DETECTED)
        .map(|f| f.active)
        .collect();
    assert_eq!(air.first(), Some(&true));
    assert_eq!(air.last(), Some(&false));
}

/// Replaying a whole recorded session after it ended is refused frame by frame.
#[test]
fn replaying_the_recording_is_refused() {
    let (c, _) = decode(CONSOLE);
    let mut t = SeqTracker::new();
    for f in &c {
        t.check(f.seq).unwrap();
    }
    for f in &c {
        assert!(t.check(f.seq).is_err(), "replayed seq {} accepted", f.seq);
    }
    let s = t.stats();
    assert_eq!(s.rejected() as usize, c.len());
    assert!(s.replayed >= 64.min(c.len() as u32));
}

/// Line damage to the recording: every damaged frame is rejected with a reason, every other
/// frame still decodes, nothing is invented.
#[test]
fn damaged_recording_loses_only_damaged_frames() {
    let (orig, _) = decode(UNIT);
    let mut bytes = UNIT.to_vec();
    let mut hits = 0;
    for i in (50..bytes.len()).step_by(401) {
        if bytes[i] != 0 {
            bytes[i] ^= 0x10;
            hits += 1;
        }
    }
    let mut d = Decoder::new();
    let mut good = Vec::new();
    d.feed(&bytes, |r| {
        if let Ok(f) = r {
            good.push(f)
        }
    });
    let st = d.stats();
    assert!(
        st.rejected() >= 1 && st.rejected() <= hits,
        "{st:?}, {hits} hits"
    );
    assert_eq!(good.len() + st.rejected() as usize, orig.len());
    for f in &good {
        assert!(orig.contains(f), "invented frame {f:?}");
    }
}
