//! Frames on the wire: corrupted, truncated, unauthenticated, forged, replayed and
//! out-of-order frames are rejected and counted, never handed out; the worked examples of
//! docs/protocol.md §9 are byte-exact.

use protocol::auth::{NONCE_LEN, PROOF_LEN};
use protocol::msg::{fault, ty};
use protocol::*;

/// The pairing key of the worked examples (docs §9): bytes 0x00..0x1F.
fn doc_key() -> PairingKey {
    let mut k = [0u8; 32];
    for (i, b) in k.iter_mut().enumerate() {
        *b = i as u8;
    }
    PairingKey::from_bytes(k)
}

fn doc_hello() -> Hello {
    let mut cn = [0u8; NONCE_LEN];
    for (i, b) in cn.iter_mut().enumerate() {
        *b = 0x40 + i as u8;
    }
    Hello {
        major: 2,
        minor: 0,
        nonce: 0xC0FF_EE01,
        heartbeat_ms: 100,
        timeout_ms: 500,
        console_nonce: cn,
    }
}

fn doc_unit_nonce() -> [u8; NONCE_LEN] {
    let mut un = [0u8; NONCE_LEN];
    for (i, b) in un.iter_mut().enumerate() {
        *b = 0x60 + i as u8;
    }
    un
}

fn doc_transcript() -> Transcript {
    Transcript::of(&doc_hello(), doc_unit_nonce())
}

/// The session keys of the worked examples.
fn keys() -> SessionKeys {
    doc_transcript().session_keys(&doc_key())
}

/// A console -> unit frame numbered `n` in the examples' session.
fn wire(n: u64, msg: &Message) -> Vec<u8> {
    sealed(n, msg, &keys().console_to_unit)
}

fn sealed(n: u64, msg: &Message, key: &SessionKey) -> Vec<u8> {
    let mut buf = [0u8; MAX_WIRE];
    let k = encode(n, msg, Some(key), &mut buf).unwrap();
    buf[..k].to_vec()
}

/// Decodes as the unit of the examples' session would.
fn decode_all(bytes: &[u8]) -> (Vec<Result<Frame, DecodeError>>, DecodeStats) {
    let mut d = Decoder::new();
    d.open_session(keys().console_to_unit);
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

fn unhex(s: &str) -> Vec<u8> {
    s.split_whitespace()
        .map(|b| u8::from_str_radix(b, 16).unwrap())
        .collect()
}

/// docs/protocol.md §9.1–9.2: the handshake of the worked examples, byte for byte. The
/// expected values were computed with an independent implementation (Python's hmac and
/// hashlib, CRC-32C and COBS written from §3), not with this crate. If this changes, the
/// document is wrong (or the wire format changed, which needs a new major version).
#[test]
fn handshake_example_matches_the_document() {
    let t = doc_transcript();
    assert_eq!(
        hex(&t.bytes()),
        "01 EE FF C0 64 00 F4 01 40 41 42 43 44 45 46 47 48 49 4A 4B 4C 4D 4E 4F \
         60 61 62 63 64 65 66 67 68 69 6A 6B 6C 6D 6E 6F"
    );
    let k = doc_key();
    let up = t.unit_proof(&k);
    let cp = t.console_proof(&k);
    assert_eq!(hex(&up), "62 1A 55 22 28 85 67 D1 B9 99 56 15 7C 32 82 AB");
    assert_eq!(hex(&cp), "D2 E7 6F 16 17 70 86 3B EE 61 5D 11 B8 3C BC 87");
    let keys = t.session_keys(&k);
    assert_eq!(
        hex(keys.console_to_unit.as_bytes()),
        "50 11 6F E5 83 B4 EC 8F 4E D7 9E 22 47 DF 9E 43 13 5C 34 D0 FC D5 63 81 D3 29 AE 7E D4 4B 8A 09"
    );
    assert_eq!(
        hex(keys.unit_to_console.as_bytes()),
        "77 8F 43 3E A3 89 1E 47 5E 45 0C DA 73 EB 89 43 B4 08 84 E1 45 1A CF 70 8C 3A AF F0 09 EC 1B 67"
    );

    let hello = Message::Hello(doc_hello());
    let mut buf = [0u8; MAX_WIRE];
    let n = encode(0, &hello, None, &mut buf).unwrap();
    assert_eq!(
        hex(&buf[..n]),
        "00 03 02 01 01 03 1A 02 06 01 EE FF C0 64 17 F4 01 40 41 42 43 44 45 46 47 48 49 4A 4B \
         4C 4D 4E 4F F0 13 53 38 00"
    );
    let ack = Message::HelloAck(HelloAck {
        major: 2,
        minor: 0,
        nonce: 0xC0FF_EE01,
        status: HelloStatus::Accepted,
        unit_nonce: doc_unit_nonce(),
        proof: up,
    });
    let n = encode(0, &ack, None, &mut buf).unwrap();
    assert_eq!(
        hex(&buf[..n]),
        "00 03 02 02 01 03 27 02 05 01 EE FF C0 25 60 61 62 63 64 65 66 67 68 69 6A 6B 6C 6D 6E \
         6F 62 1A 55 22 28 85 67 D1 B9 99 56 15 7C 32 82 AB 47 35 31 C5 00"
    );
    let auth = Message::Auth(Auth { proof: cp });
    assert_eq!(
        hex(&sealed(1, &auth, &keys.console_to_unit)),
        "00 04 02 04 01 26 10 D2 E7 6F 16 17 70 86 3B EE 61 5D 11 B8 3C BC 87 90 A1 0F 22 CC 1A 05 \
         39 19 4C 9D A9 AA 63 B0 7D 20 F8 42 C4 00"
    );
    let open = Message::SessionOpen(SessionOpen {
        heartbeat_ms: 100,
        timeout_ms: 500,
        sensor_rate_hz: 100,
        unit_serial: 0x0EC0_0001,
        firmware: 0x0200,
        state: 0x0041,
        setpoints: protocol::safety::POWER_UP,
    });
    assert_eq!(
        hex(&sealed(1, &open, &keys.unit_to_console)),
        "00 04 02 05 01 03 17 64 04 F4 01 64 02 01 03 C0 0E 03 02 41 01 01 02 01 01 02 D2 01 01 15 \
         61 28 26 3F 51 C6 61 58 10 F2 04 A1 AC 80 02 08 EC 76 0E 85 00"
    );
    // Both sides' checks accept what the other computed, and decode the frames back.
    assert!(t.check_unit_proof(&k, &up) && t.check_console_proof(&k, &cp));
    let mut unit = Decoder::new();
    unit.open_session(keys.console_to_unit.clone());
    let mut got = Vec::new();
    unit.feed(&sealed(1, &auth, &keys.console_to_unit), |r| got.push(r));
    assert_eq!(got, vec![Ok(Frame { seq: 1, msg: auth })]);
}

/// docs §9.3–9.6: frames in session, each under its direction's key.
#[test]
fn session_examples_match_the_document() {
    let k = keys();
    assert_eq!(
        hex(&sealed(0x0102, &speed(3500), &k.console_to_unit)),
        "00 1C 02 10 02 01 02 AC 0D A1 A5 BE 1A C1 85 26 54 1B 3D 1E 99 F2 28 02 C7 20 B3 4A 49 00"
    );
    // The same command one lap of the 16-bit counter later: same header, another tag.
    assert_eq!(
        hex(&sealed(0x1_0102, &speed(3500), &k.console_to_unit)),
        "00 1C 02 10 02 01 02 AC 0D 48 BB 7D 4C 04 39 D2 B8 5F AF D3 F2 B3 26 92 33 38 A0 56 BE 00"
    );
    let ack = Message::Ack(Ack {
        acked_seq: 0x0102,
        acked_type: ty::SET_PUMP_SPEED,
        result: AckResult::Applied,
    });
    assert_eq!(
        hex(&sealed(0x0042, &ack, &k.unit_to_console)),
        "00 04 02 1F 42 05 04 02 01 10 15 87 2C 86 5C 91 5B 81 32 B8 5F 83 D0 D9 1E 43 47 DF AF A7 BC 00"
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
    let w = sealed(0x0200, &Message::Sensor(s), &k.unit_to_console);
    assert_eq!(
        hex(&w),
        "00 03 02 20 05 02 2D D2 04 01 03 34 30 01 04 FF FF 41 19 91 FD C5 0B F6 09 E1 10 AC 0D 96 19 \
         03 27 1B 10 38 01 9C 04 4E 0E 6F 0E 01 07 AC 0D 20 03 5D 7D 15 CD 84 5D 93 3C 96 BE BB 76 \
         0F D1 42 CA 4F 96 48 E0 6D 48 AA 00"
    );
    assert_eq!(w.len(), 73, "sensor frame size on the wire (docs §10)");
    let hb = Message::Heartbeat(Heartbeat {
        uptime_ms: 100_000,
        state: 0x0041,
        rx_rejected: 0,
    });
    assert_eq!(
        hex(&sealed(5, &hb, &k.unit_to_console)),
        "00 04 02 03 05 05 08 A0 86 01 02 41 01 01 15 23 45 82 21 F5 10 21 E2 02 42 C3 12 FE CD F6 \
         CA 53 D9 6B B4 00"
    );
    // The console decodes the unit's frames in order.
    let mut console = Decoder::new();
    console.open_session(k.unit_to_console.clone());
    let mut stream = sealed(5, &hb, &k.unit_to_console);
    stream.extend(sealed(0x0042, &ack, &k.unit_to_console));
    stream.extend(w);
    let mut got = Vec::new();
    console.feed(&stream, |r| got.push(r.map(|f| f.msg)));
    assert_eq!(got, vec![Ok(hb), Ok(ack), Ok(Message::Sensor(s))]);
}

/// Without a session key nothing but Hello and HelloAck comes out: a stranger's commands are
/// refused and counted before their body is even read.
#[test]
fn frames_outside_a_session_are_unauthenticated() {
    let mut d = Decoder::new();
    let mut got = Vec::new();
    d.feed(&wire(1, &speed(0)), |r| got.push(r));
    let mut buf = [0u8; MAX_WIRE];
    let n = encode(0, &Message::Hello(doc_hello()), None, &mut buf).unwrap();
    d.feed(&buf[..n], |r| got.push(r));
    assert_eq!(
        got[0],
        Err(DecodeError::Unauthenticated {
            ty: ty::SET_PUMP_SPEED,
            seq: 1
        })
    );
    assert!(matches!(
        got[1],
        Ok(Frame {
            msg: Message::Hello(_),
            ..
        })
    ));
    assert_eq!(d.stats().unauthenticated, 1);
    // A tagged frame cannot be made without a key.
    assert_eq!(
        encode(1, &speed(0), None, &mut buf),
        Err(EncodeError::NoSessionKey)
    );
}

/// Wrong key, another session's key, an altered byte with the CRC made good again, a frame
/// replayed from the previous lap of the 16-bit counter: all refused as unauthentic.
#[test]
fn forged_altered_and_foreign_frames_are_refused() {
    let k = keys();
    let stranger = Transcript::of(&doc_hello(), [0xEE; NONCE_LEN])
        .session_keys(&PairingKey::from_bytes([0x55; 32]));
    let other_session = Transcript::of(&doc_hello(), [0x11; NONCE_LEN]).session_keys(&doc_key());
    let cases = [
        sealed(1, &speed(0), &stranger.console_to_unit),
        sealed(1, &speed(0), &other_session.console_to_unit),
        // The unit's own direction key: a reflected frame.
        sealed(1, &speed(0), &k.unit_to_console),
        // Altered body, CRC recomputed (an adversary, not noise).
        {
            let mut raw = unhex("02 10 01 00 02 AC 0D");
            let w = wire(1, &speed(3500));
            let mut dec = vec![0u8; 64];
            let n = protocol::cobs::decode(&w[1..w.len() - 1], &mut dec).unwrap();
            raw.extend_from_slice(&dec[7..7 + 16]);
            raw[5] = 0x00; // 3500 -> 3328 rpm, tag kept
            let crc = protocol::crc::crc32c(&raw);
            raw.extend_from_slice(&crc.to_le_bytes());
            assert_eq!(n, raw.len());
            let mut out = vec![0u8; raw.len() + 4];
            let m = protocol::cobs::encode(&raw, &mut out).unwrap();
            let mut f = vec![0];
            f.extend_from_slice(&out[..m]);
            f.push(0);
            f
        },
    ];
    for (i, c) in cases.iter().enumerate() {
        let (frames, stats) = decode_all(c);
        assert_eq!(
            frames,
            vec![Err(DecodeError::BadTag {
                ty: ty::SET_PUMP_SPEED,
                seq: 1
            })],
            "case {i}"
        );
        assert_eq!(stats.bad_tag, 1);
    }
    // A frame recorded in the first lap, replayed when the counter has come round: its header
    // number looks new, but the tag was made for n = 5, not 65536 + 5.
    let mut d = Decoder::new();
    d.open_session(k.console_to_unit.clone());
    let old = wire(5, &speed(0));
    let mut stream = Vec::new();
    for n in (1..=65536u64).step_by(30000).chain([65536 + 4]) {
        stream.extend(wire(n, &speed(3000)));
    }
    stream.extend(&old);
    let mut got = Vec::new();
    d.feed(&stream, |r| got.push(r));
    assert_eq!(
        got.last(),
        Some(&Err(DecodeError::BadTag {
            ty: ty::SET_PUMP_SPEED,
            seq: 5
        }))
    );
    assert!(got[..got.len() - 1].iter().all(|r| r.is_ok()), "{got:?}");
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
    // Build raw frames by hand: header, body, tag (2.0, not Hello or HelloAck), CRC, COBS.
    fn raw_frame(ver: u8, t: u8, seq: u16, body: &[u8]) -> Vec<u8> {
        let mut raw = vec![ver, t, seq as u8, (seq >> 8) as u8, body.len() as u8];
        raw.extend_from_slice(body);
        if ver == 2 && !ty::is_handshake(t) {
            let tag = keys().console_to_unit.tag(seq as u64, &raw);
            raw.extend_from_slice(&tag);
        }
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
            raw_frame(2, 0x7E, 4, &[]),
            DecodeError::UnknownType { ty: 0x7E, seq: 4 },
        ),
        (
            raw_frame(2, ty::SET_CLAMP, 5, &[2]),
            DecodeError::BadField {
                ty: ty::SET_CLAMP,
                seq: 5,
                offset: 0,
            },
        ),
        (
            raw_frame(2, ty::SET_GAS, 6, &[1, 2, 3]),
            DecodeError::BadLength {
                ty: ty::SET_GAS,
                seq: 6,
                need: 4,
                got: 3,
            },
        ),
        (
            // A 1.0 peer's frame: untagged, refused for its version.
            raw_frame(1, ty::HEARTBEAT, 7, &[0; 8]),
            DecodeError::Version { got: 1 },
        ),
    ];
    for (bytes, want) in cases {
        let (frames, _) = decode_all(&bytes);
        assert_eq!(frames, vec![Err(want)]);
    }
    // A longer body (a later minor version's extra fields) is accepted, tail ignored.
    let (frames, _) = decode_all(&raw_frame(2, ty::SET_PUMP_SPEED, 8, &[0xAC, 0x0D, 9, 9]));
    assert_eq!(
        frames,
        vec![Ok(Frame {
            seq: 8,
            msg: speed(3500)
        })]
    );
    // A 1.0 Hello (10 bytes) still decodes, so the unit can answer "mismatch"; a 1.0
    // HelloAck (30 bytes) too, so the console can say which version the unit speaks.
    let body = [1u8, 0, 1, 2, 3, 4, 100, 0, 0xF4, 1];
    let (frames, _) = decode_all(&raw_frame(1, ty::HELLO, 0, &body));
    assert!(matches!(
        frames[..],
        [Ok(Frame {
            msg: Message::Hello(Hello { major: 1, .. }),
            ..
        })]
    ));
    let mut v1_ack = vec![1u8, 0, 1, 2, 3, 4, 1];
    v1_ack.resize(30, 0);
    let (frames, _) = decode_all(&raw_frame(1, ty::HELLO_ACK, 0, &v1_ack));
    assert!(matches!(
        frames[..],
        [Ok(Frame {
            msg: Message::HelloAck(HelloAck {
                major: 1,
                status: HelloStatus::VersionMismatch,
                ..
            }),
            ..
        })]
    ));
    // A 2.0 Hello must carry its console nonce.
    let (frames, _) = decode_all(&raw_frame(
        2,
        ty::HELLO,
        0,
        &[2u8, 0, 1, 2, 3, 4, 100, 0, 0xF4, 1],
    ));
    assert!(matches!(
        frames[..],
        [Err(DecodeError::BadLength { need: 26, .. })]
    ));
}

/// Replayed and out-of-order frames are intact and carry good tags, but their numbers are not
/// newer than the newest accepted: refused, and each kind counted; only newer ones come out.
#[test]
fn replayed_and_out_of_order_frames_are_not_acted_on() {
    let f = |s: u16| wire(s as u64, &speed(1000 + s));
    let mut stream = Vec::new();
    for s in [1u16, 2, 3, 2, 5, 4, 6, 1, 7] {
        stream.extend(f(s));
    }
    let mut d = Decoder::new();
    d.open_session(keys().console_to_unit);
    let mut acted = Vec::new();
    let mut refused = Vec::new();
    d.feed(&stream, |r| match r {
        Ok(fr) => acted.push(fr.seq),
        Err(DecodeError::Sequence { seq, reject }) => refused.push((seq, reject)),
        Err(e) => panic!("{e}"),
    });
    assert_eq!(acted, vec![1, 2, 3, 5, 6, 7]);
    assert_eq!(
        refused,
        vec![
            (2, SeqReject::Replay),
            (4, SeqReject::OutOfOrder),
            (1, SeqReject::Replay)
        ]
    );
    let s = d.seq_stats();
    assert_eq!((s.replayed, s.out_of_order, s.lost), (2, 1, 1));
    assert_eq!(d.stats().rejected(), 0, "counted as sequence refusals only");
    // The handshake frame is number 0: a tagged frame numbered 0 is a replay of it.
    let (frames, _) = decode_all(&wire(0, &speed(0)));
    assert!(matches!(frames[..], [Err(DecodeError::Sequence { .. })]));
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
        Message::Hello(doc_hello()),
        Message::HelloAck(HelloAck {
            major: 2,
            minor: 0,
            nonce: 1,
            status: HelloStatus::Accepted,
            unit_nonce: [7; NONCE_LEN],
            proof: [9; PROOF_LEN],
        }),
        Message::Auth(Auth {
            proof: [3; PROOF_LEN],
        }),
        Message::SessionOpen(SessionOpen {
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
        stream.extend(wire(i as u64 + 1, m));
    }
    let (frames, stats) = decode_all(&stream);
    assert_eq!(stats.rejected(), 0, "{frames:?}");
    let got: Vec<Message> = frames.into_iter().map(|r| r.unwrap().msg).collect();
    assert_eq!(got, msgs);
}

#[test]
fn small_buffer_is_an_error_not_a_panic() {
    let msg = Message::Sensor(SensorFrame::default());
    let full = wire(1, &msg).len();
    let key = keys().console_to_unit;
    for n in 0..full {
        let mut buf = vec![0u8; n];
        assert!(
            matches!(
                encode(1, &msg, Some(&key), &mut buf),
                Err(EncodeError::BufferTooSmall { .. })
            ),
            "buffer {n} of {full}"
        );
    }
}
