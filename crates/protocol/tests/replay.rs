//! Replays the recorded wire sessions in tests/fixtures (made by a real console <-> unit
//! exchange over TCP, both paired with the key of docs/protocol.md §9:
//! `cargo run -p devlink --example record_session -- crates/protocol/tests/fixtures`)
//! through the decoder and checks the decoded conversation and every tag, then damages and
//! replays it.

use protocol::msg::{fault, state};
use protocol::safety::POWER_UP;
use protocol::*;

const CONSOLE: &[u8] = include_bytes!("fixtures/console_to_unit.bin");
const UNIT: &[u8] = include_bytes!("fixtures/unit_to_console.bin");

/// The bodies of the messages of one kind (`Message::Ack`, ...) among `frames`, in order.
macro_rules! of_kind {
    ($frames:expr, $kind:path) => {
        $frames
            .iter()
            .filter_map(|f| match f.msg {
                $kind(x) => Some(x),
                _ => None,
            })
            .collect()
    };
}

fn doc_key() -> PairingKey {
    let mut k = [0u8; 32];
    for (i, b) in k.iter_mut().enumerate() {
        *b = i as u8;
    }
    PairingKey::from_bytes(k)
}

/// The first frame of a stream (Hello or HelloAck: untagged, decodable without a key).
fn first(bytes: &[u8]) -> Frame {
    let mut d = Decoder::new();
    let mut out = None;
    for &b in bytes {
        if let Some(r) = d.push(b) {
            out = Some(r.expect("the handshake frame is intact"));
            break;
        }
    }
    out.expect("a frame")
}

/// The recording's session keys, from its Hello and HelloAck and the pairing key.
fn session() -> (Transcript, SessionKeys) {
    let Message::Hello(hello) = first(CONSOLE).msg else {
        panic!("the console's first frame is its Hello")
    };
    let Message::HelloAck(ack) = first(UNIT).msg else {
        panic!("the unit's first frame is its HelloAck")
    };
    let t = Transcript::of(&hello, ack.unit_nonce);
    assert!(t.check_unit_proof(&doc_key(), &ack.proof));
    (t, t.session_keys(&doc_key()))
}

/// Decodes one direction as its receiver would: the handshake frame, then every tagged frame
/// checked under `key`.
fn decode_with(bytes: &[u8], key: &SessionKey) -> (Vec<Result<Frame, DecodeError>>, Decoder) {
    let mut d = Decoder::new();
    let mut out = Vec::new();
    // Byte by byte (the session key is set after the handshake frame), as a receiver does.
    for &b in bytes {
        if let Some(r) = d.push(b) {
            if !d.in_session() && r.is_ok() {
                d.open_session(key.clone());
            }
            out.push(r);
        }
    }
    (out, d)
}

fn decode(bytes: &[u8]) -> (Vec<Frame>, DecodeStats) {
    let (_, keys) = session();
    let key = if std::ptr::eq(bytes, CONSOLE) {
        keys.console_to_unit
    } else {
        keys.unit_to_console
    };
    let (out, d) = decode_with(bytes, &key);
    let frames = out
        .into_iter()
        .map(|r| r.expect("recorded frames are intact and authentic"))
        .collect();
    (frames, d.stats())
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
        "each side numbers its frames 0 (the handshake frame), 1, 2, …"
    );
    assert_eq!((c[0].seq, u[0].seq), (0, 0));

    // Console: Hello first, its proof next, then the script's commands in order, heartbeats
    // in between.
    let Message::Hello(hello) = c[0].msg else {
        panic!("first console frame {:?}", c[0])
    };
    assert_eq!(
        (hello.major, hello.heartbeat_ms, hello.timeout_ms),
        (2, 100, 500)
    );
    let (t, _) = session();
    let Message::Auth(auth) = c[1].msg else {
        panic!("second console frame {:?}", c[1])
    };
    assert!(t.check_console_proof(&doc_key(), &auth.proof));
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
        Message::Hello(_) | Message::Auth(_) | Message::Command(_) | Message::Heartbeat(_)
    )));
    assert!(
        c.iter()
            .filter(|f| matches!(f.msg, Message::Heartbeat(_)))
            .count()
            >= 5
    );

    // Unit: HelloAck for that Hello, then SessionOpen reporting the power-up state.
    let Message::HelloAck(ack) = u[0].msg else {
        panic!("first unit frame {:?}", u[0])
    };
    assert_eq!(
        (ack.nonce, ack.status),
        (hello.nonce, HelloStatus::Accepted)
    );
    let Message::SessionOpen(open) = u[1].msg else {
        panic!("second unit frame {:?}", u[1])
    };
    assert_eq!((open.setpoints, open.unit_serial), (POWER_UP, 0x0EC0_0001));

    // Every command answered once, in order, with the script's result and matching type.
    let acks: Vec<Ack> = of_kind!(u, Message::Ack);
    assert_eq!(acks.len(), SCRIPT.len());
    for ((a, (seq, cmd)), (_, want)) in acks.iter().zip(&cmds).zip(SCRIPT) {
        assert_eq!(
            (a.acked_seq, a.acked_type, a.result),
            (*seq, cmd.type_code(), want)
        );
    }

    // Sensor stream: consecutive samples, 10 ms apart on average, and it shows what happened.
    let sensors: Vec<SensorFrame> = of_kind!(u, Message::Sensor);
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
    let faults: Vec<Fault> = of_kind!(u, Message::Fault);
    let air: Vec<bool> = faults
        .iter()
        .filter(|f| f.code == fault::AIR_DETECTED)
        .map(|f| f.active)
        .collect();
    assert_eq!(air.first(), Some(&true));
    assert_eq!(air.last(), Some(&false));
}

/// Replaying the recorded console into the same session is refused frame by frame (numbers
/// not newer); replaying it into a new session (a new unit nonce, so new keys) is refused
/// for every tag, the Auth included: nothing of it is ever acted on again.
#[test]
fn replaying_the_recording_is_refused() {
    let (_, keys) = session();
    let (first_pass, mut d) = decode_with(CONSOLE, &keys.console_to_unit);
    let tagged = first_pass.len() - 1;
    let mut again = Vec::new();
    d.feed(CONSOLE, |r| again.push(r));
    // The Hello decodes (it is untagged), and nothing else.
    assert_eq!(again.iter().filter(|r| r.is_ok()).count(), 1);
    assert_eq!(d.seq_stats().rejected() as usize, tagged);

    let Message::Hello(hello) = first(CONSOLE).msg else {
        panic!()
    };
    let fresh = Transcript::of(&hello, [0xA5; 16]).session_keys(&doc_key());
    let (replayed, d) = decode_with(CONSOLE, &fresh.console_to_unit);
    assert_eq!(replayed.iter().filter(|r| r.is_ok()).count(), 1);
    assert_eq!(d.stats().bad_tag as usize, tagged);
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
    let (_, keys) = session();
    let (out, d) = decode_with(&bytes, &keys.unit_to_console);
    let good: Vec<Frame> = out.into_iter().filter_map(|r| r.ok()).collect();
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
