//! Property tests: every message survives encode -> decode in any chunking, and no byte string
//! makes the decoder or the sequence tracker panic.

mod common;

use common::session;
use proptest::prelude::*;
use protocol::auth::{NONCE_LEN, PROOF_LEN};
use protocol::*;

fn keyed_decoder() -> Decoder {
    let mut d = Decoder::new();
    d.open_session(session().console_to_unit);
    d
}

fn put(n: u64, m: &Message, buf: &mut [u8]) -> usize {
    encode(n, m, Some(&session().console_to_unit), buf).unwrap()
}

fn clamp() -> impl Strategy<Value = ClampState> {
    prop_oneof![Just(ClampState::Open), Just(ClampState::Closed)]
}

fn setpoints() -> impl Strategy<Value = Setpoints> {
    (
        any::<u16>(),
        clamp(),
        any::<u16>(),
        any::<u16>(),
        any::<u16>(),
    )
        .prop_map(|(r, c, s, f, h)| Setpoints {
            pump_rpm: r,
            clamp: c,
            sweep_ml_min: s,
            fdo2_permille: f,
            heater_centi_c: h,
        })
}

fn sensor() -> impl Strategy<Value = SensorFrame> {
    (
        (
            any::<u32>(),
            any::<u32>(),
            any::<u16>(),
            any::<u16>(),
            any::<i16>(),
            any::<i16>(),
            any::<i16>(),
            any::<i16>(),
        ),
        (
            any::<u16>(),
            any::<u16>(),
            any::<u16>(),
            any::<u16>(),
            any::<u16>(),
            any::<u16>(),
            any::<i16>(),
            any::<i16>(),
        ),
        (
            any::<u16>(),
            any::<u16>(),
            any::<u16>(),
            any::<u8>(),
            any::<u16>(),
        ),
    )
        .prop_map(|(a, b, c)| SensorFrame {
            sample: a.0,
            time_ms: a.1,
            valid: a.2,
            state: a.3,
            p_drainage: a.4,
            p_pre_oxy: a.5,
            p_post_oxy: a.6,
            flow_ml_min: a.7,
            speed_rpm: b.0,
            so2_pre: b.1,
            so2_post: b.2,
            po2_post: b.3,
            pco2_post: b.4,
            hb: b.5,
            temp_pre: b.6,
            temp_post: b.7,
            bubble: c.0,
            sweep_ml_min: c.1,
            fdo2_permille: c.2,
            battery_pct: c.3,
            battery_min: c.4,
        })
}

fn message() -> impl Strategy<Value = Message> {
    prop_oneof![
        (
            any::<u8>(),
            any::<u32>(),
            any::<u16>(),
            any::<u16>(),
            any::<[u8; NONCE_LEN]>()
        )
            .prop_map(|(b, n, h, t, c)| {
                Message::Hello(Hello {
                    major: PROTOCOL_MAJOR,
                    minor: b,
                    nonce: n,
                    heartbeat_ms: h,
                    timeout_ms: t,
                    console_nonce: c,
                })
            }),
        (
            any::<(u8, u32, bool)>(),
            any::<[u8; NONCE_LEN]>(),
            any::<[u8; PROOF_LEN]>()
        )
            .prop_map(|(v, un, p)| {
                Message::HelloAck(HelloAck {
                    major: PROTOCOL_MAJOR,
                    minor: v.0,
                    nonce: v.1,
                    status: if v.2 {
                        HelloStatus::Accepted
                    } else {
                        HelloStatus::VersionMismatch
                    },
                    unit_nonce: un,
                    proof: p,
                })
            }),
        any::<[u8; PROOF_LEN]>().prop_map(|p| Message::Auth(Auth { proof: p })),
        (any::<(u16, u16, u16, u32, u16, u16)>(), setpoints()).prop_map(|(v, sp)| {
            Message::SessionOpen(SessionOpen {
                heartbeat_ms: v.0,
                timeout_ms: v.1,
                sensor_rate_hz: v.2,
                unit_serial: v.3,
                firmware: v.4,
                state: v.5,
                setpoints: sp,
            })
        }),
        any::<(u32, u16, u16)>().prop_map(|(u, s, r)| Message::Heartbeat(Heartbeat {
            uptime_ms: u,
            state: s,
            rx_rejected: r
        })),
        any::<u16>().prop_map(|rpm| Message::Command(Command::SetPumpSpeed { rpm })),
        clamp().prop_map(|c| Message::Command(Command::SetClamp(c))),
        any::<(u16, u16)>().prop_map(|(s, f)| Message::Command(Command::SetGas {
            sweep_ml_min: s,
            fdo2_permille: f
        })),
        any::<u16>().prop_map(|t| Message::Command(Command::SetHeater { target_centi_c: t })),
        Just(Message::Command(Command::ClearAirStop)),
        (any::<u16>(), any::<u8>(), 0u8..5).prop_map(|(s, t, r)| Message::Ack(Ack {
            acked_seq: s,
            acked_type: t,
            result: [
                AckResult::Applied,
                AckResult::OutOfLimits,
                AckResult::AirStopActive,
                AckResult::NoSession,
                AckResult::AirPresent
            ][r as usize],
        })),
        sensor().prop_map(Message::Sensor),
        (
            any::<u16>(),
            any::<bool>(),
            0usize..3,
            any::<u32>(),
            any::<u32>()
        )
            .prop_map(|(c, a, s, d, t)| Message::Fault(Fault {
                code: c,
                active: a,
                severity: [Severity::Info, Severity::Warning, Severity::Critical][s],
                detail: d,
                time_ms: t,
            })),
        (0usize..5, any::<u16>(), any::<u8>()).prop_map(|(r, s, t)| Message::ProtocolError(
            ProtocolError {
                reason: [
                    ProtocolErrorReason::UnknownType,
                    ProtocolErrorReason::BadLength,
                    ProtocolErrorReason::BadField,
                    ProtocolErrorReason::UnsupportedVersion,
                    ProtocolErrorReason::WrongDirection,
                ][r],
                offending_seq: s,
                offending_type: t,
            }
        )),
    ]
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 2000, ..ProptestConfig::default() })]

    #[test]
    fn encode_decode_round_trip(
        msgs in prop::collection::vec((1u64..32768, message()), 1..20),
        chunk in 1usize..100,
    ) {
        // Frame numbers strictly increase by gaps the receiver can follow (laps of the 16-bit
        // header number included).
        let mut number = 0u64;
        let mut stream = Vec::new();
        let mut buf = [0u8; MAX_WIRE];
        let mut want = Vec::new();
        for (gap, m) in &msgs {
            // Hello and HelloAck are always number 0 and not counted (docs §4).
            let n = if protocol::msg::ty::is_handshake(m.type_code()) {
                0
            } else {
                number += gap;
                number
            };
            let len = put(n, m, &mut buf);
            want.push(Ok(Frame { seq: n as u16, msg: *m }));
            let n = len;
            prop_assert!(n <= MAX_WIRE);
            prop_assert_eq!(buf[0], 0);
            prop_assert_eq!(buf[n - 1], 0);
            prop_assert!(!buf[1..n - 1].contains(&0));
            stream.extend_from_slice(&buf[..n]);
        }
        let mut d = keyed_decoder();
        let mut got = Vec::new();
        for c in stream.chunks(chunk) {
            d.feed(c, |r| got.push(r));
        }
        prop_assert_eq!(got, want);
        prop_assert_eq!(d.stats().rejected(), 0);
    }

    #[test]
    fn arbitrary_bytes_never_panic(bytes in prop::collection::vec(any::<u8>(), 0..2000)) {
        for keyed in [false, true] {
            let mut d = if keyed { keyed_decoder() } else { Decoder::new() };
            let mut results = 0u32;
            d.feed(&bytes, |_| results += 1);
            let s = d.stats();
            prop_assert_eq!(s.frames + s.rejected() + d.seq_stats().rejected(), results);
        }
        let _ = decode_raw(&bytes);
    }

    /// Damage to a valid stream (flips, cuts, inserted garbage) never yields a frame that was not
    /// sent, and frames after the damage still come through.
    #[test]
    fn damaged_streams_only_yield_sent_frames(
        msgs in prop::collection::vec(message(), 2..10),
        edits in prop::collection::vec((any::<prop::sample::Index>(), any::<u8>(), 0u8..3), 1..6),
    ) {
        let mut stream = Vec::new();
        let mut buf = [0u8; MAX_WIRE];
        for (i, m) in msgs.iter().enumerate() {
            let n = put(i as u64 + 1, m, &mut buf);
            stream.extend_from_slice(&buf[..n]);
        }
        for (at, byte, kind) in edits {
            let i = at.index(stream.len());
            match kind {
                0 => stream[i] ^= byte | 1,
                1 => { stream.remove(i); }
                _ => stream.insert(i, byte),
            }
        }
        // A trailing delimiter and a clean frame: the decoder must be back in step.
        stream.push(0);
        let last = Message::Command(Command::SetPumpSpeed { rpm: 4242 });
        let n = put(999, &last, &mut buf);
        stream.extend_from_slice(&buf[..n]);
        let mut d = keyed_decoder();
        let mut got = Vec::new();
        d.feed(&stream, |r| if let Ok(f) = r { got.push(f) });
        prop_assert_eq!(got.last().copied(), Some(Frame { seq: 999, msg: last }));
        for f in &got[..got.len() - 1] {
            prop_assert!(
                f.seq >= 1 && msgs.get(f.seq as usize - 1) == Some(&f.msg),
                "forged frame {:?}",
                f
            );
        }
    }

    #[test]
    fn tracker_accepts_each_number_once(seqs in prop::collection::vec(any::<u16>(), 0..500)) {
        let mut t = SeqTracker::new();
        let mut accepted = Vec::new();
        for s in &seqs {
            if t.check(*s).is_ok() {
                accepted.push(*s);
            }
        }
        // Accepted numbers strictly increase in serial arithmetic.
        for w in accepted.windows(2) {
            let ahead = w[1].wrapping_sub(w[0]);
            prop_assert!(ahead != 0 && ahead < 0x8000);
        }
        let st = t.stats();
        prop_assert_eq!(st.accepted as usize, accepted.len());
        prop_assert_eq!(st.accepted + st.rejected(), seqs.len() as u32);
        // A fresh tracker takes the first number it sees, whatever it is.
        prop_assert_eq!(accepted.first(), seqs.first());
    }

    /// "Once" is not "never": every number ahead of the last accepted one (gaps are lost
    /// frames, not a reason to refuse) is accepted, across the wrap of u16.
    #[test]
    fn tracker_accepts_every_number_ahead(
        start in any::<u16>(),
        steps in prop::collection::vec(1u16..2000, 0..300),
    ) {
        let mut t = SeqTracker::new();
        prop_assert!(t.check(start).is_ok());
        let mut s = start;
        let mut lost = 0u32;
        for d in &steps {
            s = s.wrapping_add(*d);
            prop_assert_eq!(t.check(s), Ok(d - 1), "seq {} after a step of {}", s, d);
            lost += u32::from(d - 1);
        }
        prop_assert_eq!(t.stats().accepted as usize, steps.len() + 1);
        prop_assert_eq!(lost, t.stats().lost);
    }
}
