//! Protocol 1.0 frames, as its §9 encoded them: what a stranger from before pairing sends. The
//! device tests of the `ecmo` binary include this file too (crates/ecmo/tests/device_auth.rs).

/// A 1.0 frame of type `t`, numbered `seq`, with `body`: CRC-32C, COBS, delimited.
pub fn frame(t: u8, seq: u16, body: &[u8]) -> Vec<u8> {
    let mut raw = vec![1u8, t, seq as u8, (seq >> 8) as u8, body.len() as u8];
    raw.extend_from_slice(body);
    raw.extend_from_slice(&protocol::crc::crc32c(&raw).to_le_bytes());
    let mut out = vec![0u8; raw.len() + 4];
    let n = protocol::cobs::encode(&raw, &mut out).unwrap();
    let mut f = vec![0];
    f.extend_from_slice(&out[..n]);
    f.push(0);
    f
}
