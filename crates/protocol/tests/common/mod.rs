//! The fixed session the property tests, the codec benchmark (benches/codec.rs) and the fuzz
//! target (fuzz/fuzz_targets/decoder.rs) seal their frames under; they include this file.
use protocol::auth::NONCE_LEN;
use protocol::{PairingKey, SessionKeys, Transcript};

/// The session keys of a fixed transcript (nonce 1, heartbeat 100 ms, timeout 500 ms) under a
/// fixed pairing key.
pub fn session() -> SessionKeys {
    Transcript {
        nonce: 1,
        heartbeat_ms: 100,
        timeout_ms: 500,
        console_nonce: [1; NONCE_LEN],
        unit_nonce: [2; NONCE_LEN],
    }
    .session_keys(&PairingKey::from_bytes([7; 32]))
}
