//! Feeds arbitrary bytes to the streaming decoder in fuzzer-chosen chunks and checks its
//! invariants: no panic, one result per delimiter, counters add up, every accepted frame
//! re-encodes to a frame that decodes to itself, and the frame numbers accepted in a session
//! strictly increase. A second mode seals the fuzzer's bytes as a frame with a valid tag and
//! CRC, so that the body parsers behind the tag check are fuzzed too.
#![no_main]

use libfuzzer_sys::fuzz_target;
use protocol::{Decoder, Frame, MAX_WIRE, SessionKey, cobs, crc, decode_raw, encode};

#[path = "../../crates/protocol/tests/common/mod.rs"]
mod common;

fn key() -> SessionKey {
    common::session().console_to_unit
}

fuzz_target!(|data: &[u8]| {
    let Some((&split, rest)) = data.split_first() else {
        return;
    };
    let k = key();
    let mut d = Decoder::new();
    d.open_session(k.clone());
    let mut stream = Vec::new();
    if split & 0x80 != 0 {
        // Sealed mode: rest = header + body as the sender wrote them (length byte forced).
        if rest.len() < 5 || rest.len() > 5 + 255 {
            return;
        }
        let mut raw = rest.to_vec();
        raw[0] = protocol::PROTOCOL_MAJOR;
        raw[4] = (raw.len() - 5) as u8;
        let n = u16::from_le_bytes([raw[2], raw[3]]) as u64;
        if !protocol::msg::ty::is_handshake(raw[1]) {
            raw.extend_from_slice(&k.tag(n, &raw));
        }
        let c = crc::crc32c(&raw);
        raw.extend_from_slice(&c.to_le_bytes());
        let mut out = vec![0u8; raw.len() + raw.len() / 254 + 3];
        let m = cobs::encode(&raw, &mut out[1..]).expect("sized for COBS");
        stream.extend_from_slice(&out[..m + 1]);
        stream.push(0);
    } else {
        stream.extend_from_slice(rest);
    }
    let chunk = (split as usize % 64) + 1;
    let mut results = 0u32;
    let mut accepted = Vec::new();
    for c in stream.chunks(chunk) {
        d.feed(c, |r| {
            results += 1;
            if let Ok(f) = r {
                let handshake = protocol::msg::ty::is_handshake(f.msg.type_code());
                let mut buf = [0u8; MAX_WIRE];
                let n = encode(f.seq as u64, &f.msg, Some(&k), &mut buf)
                    .expect("MAX_WIRE holds every frame");
                let mut again = Decoder::new();
                again.open_session(k.clone());
                let mut back: Option<Frame> = None;
                again.feed(&buf[..n], |r2| back = r2.ok());
                if handshake || f.seq != 0 {
                    assert_eq!(back, Some(f), "re-encoded frame must decode to itself");
                }
                if !handshake {
                    accepted.push(f.seq);
                }
            }
        });
    }
    let s = d.stats();
    assert_eq!(s.frames + s.rejected() + d.seq_stats().rejected(), results);
    let zeros = stream.iter().filter(|&&b| b == 0).count() as u32;
    assert!(results <= zeros);
    let _ = decode_raw(rest);
    for w in accepted.windows(2) {
        let ahead = w[1].wrapping_sub(w[0]);
        assert!(
            ahead != 0 && ahead < 0x8000,
            "accepted {} after {}",
            w[1],
            w[0]
        );
    }
});
