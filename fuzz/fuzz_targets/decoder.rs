//! Feeds arbitrary bytes to the streaming decoder in fuzzer-chosen chunks and checks its
//! invariants: no panic, one result per delimiter, counters add up, every accepted frame
//! re-encodes to a frame that decodes to itself, and the sequence numbers the tracker accepts
//! strictly increase in serial arithmetic.
#![no_main]

use libfuzzer_sys::fuzz_target;
use protocol::{Decoder, Frame, MAX_WIRE, SeqTracker, decode_raw, encode};

fuzz_target!(|data: &[u8]| {
    let Some((&split, rest)) = data.split_first() else {
        return;
    };
    let chunk = (split as usize % 64) + 1;
    let mut d = Decoder::new();
    let mut t = SeqTracker::new();
    let mut results = 0u32;
    let mut accepted = Vec::new();
    for c in rest.chunks(chunk) {
        d.feed(c, |r| {
            results += 1;
            if let Ok(f) = r {
                let mut buf = [0u8; MAX_WIRE];
                let n = encode(f.seq, &f.msg, &mut buf).expect("MAX_WIRE holds every frame");
                let mut again = Decoder::new();
                let mut back: Option<Frame> = None;
                again.feed(&buf[..n], |r2| back = r2.ok());
                assert_eq!(back, Some(f), "re-encoded frame must decode to itself");
                if t.check(f.seq).is_ok() {
                    accepted.push(f.seq);
                }
            }
        });
    }
    let s = d.stats();
    assert_eq!(s.frames + s.rejected(), results);
    let zeros = rest.iter().filter(|&&b| b == 0).count() as u32;
    assert!(results <= zeros);
    let _ = decode_raw(rest);
    for w in accepted.windows(2) {
        let ahead = w[1].wrapping_sub(w[0]);
        assert!(
            ahead != 0 && ahead < 0x8000,
            "tracker accepted {} after {}",
            w[1],
            w[0]
        );
    }
});
