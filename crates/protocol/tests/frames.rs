//! Frames on the wire: corrupted, truncated, replayed and out-of-order frames are rejected and
//! counted, never handed out; the worked example of docs/protocol.md §9 is byte-exact.

use protocol::msg::{fault, ty};
use protocol::*;

fn wire(seq: u16, msg: &Message) -> Vec<u8> {
    let mut buf = [0u8; MAX_WIRE];
    let n = encode(seq, msg, &mut buf).unwrap();
    buf[..n].to_vec()
}

fn decode_all(bytes: &[u8]) -> (Vec<Result<Frame, DecodeError>>, DecodeStats) {
    let mut d = Decoder::new();
    let mut out = Vec::new();
    d.feed(bytes, |r| out.push(r));
    (out, d.stats())
}

fn speed(rpm: u16) -> Message {
    Message::Command(Command::SetPumpSpeed { rpm })
}

fn hex(bytes: &[u8]) -> String {
    bytes
        .iter()
        .map(|b| format!("{b:02X}"))
        .collect::<Vec<_>>()
        .join(" ")
}

/// docs/protocol.md §9: SetPumpSpeed 3500 rpm, seq 0x0102. If this changes, the document is
/// wrong (or the wire format changed, which needs a new major version).
#[test]
fn worked_example_matches_the_document() {
    let w = wire(0x0102, &speed(3500));
    assert_eq!(hex(&w), "00 0C 01 10 02 01 02 AC 0D 3A A6 C7 19 00");
    let (frames, _) = decode_all(&w);
    assert_eq!(
        frames,
        vec![Ok(Frame {
            seq: 0x0102,
            msg: speed(3500)
        })]
    );
}

/// Hello worked example (docs §9.2).
#[test]
fn hello_example_matches_the_document() {
    let h = Message::Hello(Hello {
        major: 1,
        minor: 0,
        nonce: 0xC0FF_EE01,
        heartbeat_ms: 100,
        timeout_ms: 500,
    });
    assert_eq!(
        hex(&wire(0, &h)),
        "00 03 01 01 01 03 0A 01 06 01 EE FF C0 64 07 F4 01 BB 4A 07 FB 00"
    );
}

#[test]
fn every_single_bit_flip_is_rejected() {
    let w = wire(7, &speed(3500));
    // Keep both delimiters; flip every bit in between.
    for i in 1..w.len() - 1 {
        for bit in 0..8 {
            let mut c = w.clone();
            c[i] ^= 1 << bit;
            let (frames, stats) = decode_all(&c);
            assert!(
                frames.iter().all(|r| r.is_err()),
                "flip of byte {i} bit {bit} was accepted: {frames:?}"
            );
            assert_eq!(stats.frames, 0);
            assert!(stats.rejected() >= 1);
        }
    }
}

#[test]
fn corrupted_payload_is_a_crc_error() {
    // Every field non-zero, so the COBS block is one run and byte 20 is plain payload.
    let msg = Message::Sensor(SensorFrame {
        sample: 0x0101_0101,
        time_ms: 0x0202_0202,
        valid: 0x0303,
        state: 0x0404,
        p_drainage: 0x0505,
        p_pre_oxy: 0x0606,
        p_post_oxy: 0x0707,
        flow_ml_min: 0x0808,
        speed_rpm: 0x0909,
        so2_pre: 0x0A0A,
        so2_post: 0x0B0B,
        po2_post: 0x0C0C,
        pco2_post: 0x0D0D,
        hb: 0x0E0E,
        temp_pre: 0x0F0F,
        temp_post: 0x1010,
        bubble: 0x1111,
        sweep_ml_min: 0x1212,
        fdo2_permille: 0x1313,
        battery_pct: 0x14,
        battery_min: 0x1515,
    });
    let mut w = wire(1, &msg);
    w[20] ^= 0x40;
    assert_ne!(w[20], 0);
    let (frames, stats) = decode_all(&w);
    assert!(
        matches!(frames[..], [Err(DecodeError::Crc { .. })]),
        "{frames:?}"
    );
    assert_eq!(stats.crc, 1);
}

#[test]
fn truncated_frames_are_rejected_with_a_reason() {
    let w = wire(
        3,
        &Message::Sensor(SensorFrame {
            sample: 9,
            ..Default::default()
        }),
    );
    for cut in 2..w.len() - 1 {
        let mut t = w[..cut].to_vec();
        t.push(0);
        let (frames, stats) = decode_all(&t);
        assert_eq!(frames.len(), 1);
        assert!(
            matches!(
                frames[0],
                Err(DecodeError::Truncated { .. }) | Err(DecodeError::Cobs)
            ),
            "cut at {cut}: {:?}",
            frames[0]
        );
        assert_eq!(stats.truncated + stats.cobs, 1);
    }
}

#[test]
fn garbage_then_frames_resynchronises() {
    let mut s = vec![0x13, 0x37, 0xFF, 0x00, 0x42, 0x42, 0x42];
    s.extend(wire(1, &speed(1000)));
    s.extend(wire(2, &speed(2000)));
    let (frames, stats) = decode_all(&s);
    let good: Vec<_> = frames.iter().filter_map(|r| r.ok()).collect();
    assert_eq!(
        good,
        vec![
            Frame {
                seq: 1,
                msg: speed(1000)
            },
            Frame {
                seq: 2,
                msg: speed(2000)
            }
        ]
    );
    assert_eq!(stats.rejected(), 2, "{stats:?}");
}

#[test]
fn oversize_run_is_dropped_and_decoder_recovers() {
    let mut s = vec![0x55u8; MAX_WIRE * 3];
    s.push(0);
    s.extend(wire(5, &speed(1234)));
    let (frames, stats) = decode_all(&s);
    assert_eq!(frames.len(), 2);
    assert_eq!(frames[0], Err(DecodeError::Oversize));
    assert_eq!(
        frames[1],
        Ok(Frame {
            seq: 5,
            msg: speed(1234)
        })
    );
    assert_eq!(stats.oversize, 1);
}

#[test]
fn unknown_type_and_bad_fields_pass_crc_but_are_refused() {
    // Build raw frames by hand: header, body, CRC, then COBS.
    fn raw_frame(ver: u8, t: u8, seq: u16, body: &[u8]) -> Vec<u8> {
        let mut raw = vec![ver, t, seq as u8, (seq >> 8) as u8, body.len() as u8];
        raw.extend_from_slice(body);
        let crc = protocol::crc::crc32c(&raw);
        raw.extend_from_slice(&crc.to_le_bytes());
        let mut out = vec![0u8; raw.len() + 4];
        let n = protocol::cobs::encode(&raw, &mut out).unwrap();
        out.truncate(n);
        out.push(0);
        out
    }
    let cases: Vec<(Vec<u8>, DecodeError)> = vec![
        (
            raw_frame(1, 0x7E, 4, &[]),
            DecodeError::UnknownType { ty: 0x7E, seq: 4 },
        ),
        (
            raw_frame(1, ty::SET_CLAMP, 5, &[2]),
            DecodeError::BadField {
                ty: ty::SET_CLAMP,
                seq: 5,
                offset: 0,
            },
        ),
        (
            raw_frame(1, ty::SET_GAS, 6, &[1, 2, 3]),
            DecodeError::BadLength {
                ty: ty::SET_GAS,
                seq: 6,
                need: 4,
                got: 3,
            },
        ),
        (
            raw_frame(2, ty::HEARTBEAT, 7, &[0; 8]),
            DecodeError::Version { got: 2 },
        ),
    ];
    for (bytes, want) in cases {
        let (frames, _) = decode_all(&bytes);
        assert_eq!(frames, vec![Err(want)]);
    }
    // A longer body (a later minor version's extra fields) is accepted, tail ignored.
    let (frames, _) = decode_all(&raw_frame(1, ty::SET_PUMP_SPEED, 8, &[0xAC, 0x0D, 9, 9]));
    assert_eq!(
        frames,
        vec![Ok(Frame {
            seq: 8,
            msg: speed(3500)
        })]
    );
    // Hello from another major version still decodes, so the unit can answer "mismatch".
    let body = [2u8, 0, 1, 2, 3, 4, 100, 0, 0xF4, 1];
    let (frames, _) = decode_all(&raw_frame(2, ty::HELLO, 0, &body));
    assert!(matches!(
        frames[..],
        [Ok(Frame {
            msg: Message::Hello(Hello { major: 2, .. }),
            ..
        })]
    ));
}

/// Replayed and out-of-order frames decode (they are intact) but the tracker refuses them, and
/// counts each kind; only accepted frames would be acted on.
#[test]
fn replayed_and_out_of_order_frames_are_not_acted_on() {
    let f = |s: u16| wire(s, &speed(1000 + s));
    let mut stream = Vec::new();
    for s in [0u16, 1, 2, 3, 2, 5, 4, 6, 1, 7] {
        stream.extend(f(s));
    }
    let (frames, stats) = decode_all(&stream);
    assert_eq!(stats.frames, 10);
    let mut t = SeqTracker::new();
    let mut acted = Vec::new();
    for fr in frames.into_iter().map(|r| r.unwrap()) {
        if t.check(fr.seq).is_ok() {
            acted.push(fr.seq);
        }
    }
    assert_eq!(acted, vec![0, 1, 2, 3, 5, 6, 7]);
    let s = t.stats();
    assert_eq!((s.replayed, s.out_of_order, s.lost), (2, 1, 1));
}

#[test]
fn every_message_type_round_trips() {
    let sp = Setpoints {
        pump_rpm: 3500,
        clamp: ClampState::Open,
        sweep_ml_min: 4000,
        fdo2_permille: 800,
        heater_centi_c: 3700,
    };
    let msgs = [
        Message::Hello(Hello {
            major: 1,
            minor: 0,
            nonce: 1,
            heartbeat_ms: 100,
            timeout_ms: 500,
        }),
        Message::HelloAck(HelloAck {
            major: 1,
            minor: 0,
            nonce: 1,
            status: HelloStatus::Accepted,
            heartbeat_ms: 100,
            timeout_ms: 500,
            sensor_rate_hz: 100,
            unit_serial: 42,
            firmware: 0x0102,
            state: 3,
            setpoints: sp,
        }),
        Message::Heartbeat(Heartbeat {
            uptime_ms: 123,
            state: 1,
            rx_rejected: 2,
        }),
        speed(3500),
        Message::Command(Command::SetClamp(ClampState::Closed)),
        Message::Command(Command::SetGas {
            sweep_ml_min: 2500,
            fdo2_permille: 600,
        }),
        Message::Command(Command::SetHeater {
            target_centi_c: 3650,
        }),
        Message::Command(Command::ClearAirStop),
        Message::Ack(Ack {
            acked_seq: 9,
            acked_type: ty::SET_GAS,
            result: AckResult::OutOfLimits,
        }),
        Message::Sensor(SensorFrame {
            sample: 1,
            flow_ml_min: -300,
            temp_pre: -5,
            ..Default::default()
        }),
        Message::Fault(Fault {
            code: fault::AIR_DETECTED,
            active: true,
            severity: Severity::Critical,
            detail: 7,
            time_ms: 99,
        }),
        Message::ProtocolError(ProtocolError {
            reason: ProtocolErrorReason::UnknownType,
            offending_seq: 3,
            offending_type: 0x7E,
        }),
    ];
    let mut stream = Vec::new();
    for (i, m) in msgs.iter().enumerate() {
        stream.extend(wire(i as u16, m));
    }
    let (frames, stats) = decode_all(&stream);
    assert_eq!(stats.rejected(), 0);
    let got: Vec<Message> = frames.into_iter().map(|r| r.unwrap().msg).collect();
    assert_eq!(got, msgs);
}

#[test]
fn small_buffer_is_an_error_not_a_panic() {
    let msg = Message::Sensor(SensorFrame::default());
    let full = wire(0, &msg).len();
    for n in 0..full {
        let mut buf = vec![0u8; n];
        assert!(encode(0, &msg, &mut buf).is_err(), "buffer {n} of {full}");
    }
}

/// Ack and sensor worked examples (docs §9.3, §9.4); the expected bytes were computed with an
/// independent implementation of CRC-32C and COBS, not with this crate.
#[test]
fn ack_and_sensor_examples_match_the_document() {
    let ack = Message::Ack(Ack {
        acked_seq: 0x0102,
        acked_type: ty::SET_PUMP_SPEED,
        result: AckResult::Applied,
    });
    assert_eq!(
        hex(&wire(0x0042, &ack)),
        "00 04 01 1F 42 05 04 02 01 10 05 A5 16 D8 1C 00"
    );
    let s = SensorFrame {
        sample: 1234,
        time_ms: 12340,
        valid: 0xFFFF,
        state: 0x0041,
        p_drainage: -623,
        p_pre_oxy: 3013,
        p_post_oxy: 2550,
        flow_ml_min: 4321,
        speed_rpm: 3500,
        so2_pre: 6550,
        so2_post: 9987,
        po2_post: 4123,
        pco2_post: 312,
        hb: 1180,
        temp_pre: 3662,
        temp_post: 3695,
        bubble: 0,
        sweep_ml_min: 3500,
        fdo2_permille: 800,
        battery_pct: 93,
        battery_min: 125,
    };
    let w = wire(0x0200, &Message::Sensor(s));
    assert_eq!(
        hex(&w),
        "00 03 01 20 05 02 2D D2 04 01 03 34 30 01 04 FF FF 41 19 91 FD C5 0B F6 09 E1 10 AC 0D 96 19 \
         03 27 1B 10 38 01 9C 04 4E 0E 6F 0E 01 07 AC 0D 20 03 5D 7D 05 50 4E 12 72 00"
    );
    assert_eq!(w.len(), 57, "sensor frame size on the wire (docs §10)");
    let hb = Message::Heartbeat(Heartbeat {
        uptime_ms: 100_000,
        state: 0x0041,
        rx_rejected: 0,
    });
    assert_eq!(
        hex(&wire(5, &hb)),
        "00 04 01 03 05 05 08 A0 86 01 02 41 01 01 05 6F 29 5C 86 00"
    );
}
