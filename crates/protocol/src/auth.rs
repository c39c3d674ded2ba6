//! Authentication of the link (docs/protocol.md §4 and §7): the pairing key, the mutual
//! challenge–response in the handshake, the session keys, and the tag on every frame.
//!
//! Why: the unit drives a pump that keeps a patient alive, and whoever can send it a frame can
//! stop it. A CRC catches line faults, not an adversary. Each unit is therefore paired with its
//! console by a 32-byte secret (the *pairing key*), and a console must prove it holds that key
//! before the unit accepts any command from it; the unit proves the same to the console, so a
//! console never takes an impostor's readings for the patient's.
//!
//! How (all HMAC-SHA-256, RFC 2104, from the maintained no_std RustCrypto crates):
//! - transcript `T` = Hello `nonce` (u32 LE) ‖ `heartbeat_ms` (u16 LE) ‖ `timeout_ms` (u16 LE)
//!   ‖ console nonce (16 bytes) ‖ unit nonce (16 bytes): 40 bytes, fresh on both sides.
//! - unit proof = HMAC(K, "OpenECMO-2 unit proof" ‖ T), first 16 bytes, in the HelloAck;
//!   console proof = HMAC(K, "OpenECMO-2 console proof" ‖ T), first 16 bytes, in Auth. The
//!   role is in the label, so one side's proof can never be replayed as the other's.
//! - session keys: `K_cu` = HMAC(K, "OpenECMO-2 console to unit" ‖ T) and
//!   `K_uc` = HMAC(K, "OpenECMO-2 unit to console" ‖ T), 32 bytes each, one per direction.
//! - frame tag = HMAC(K_dir, n (u64 LE) ‖ header ‖ body), first 16 bytes, where `n` is the
//!   sender's 64-bit frame number since its handshake frame; the header carries its low 16
//!   bits, the receiver rebuilds the rest (RFC 1982 serial arithmetic on the low bits, like
//!   IPsec's extended sequence numbers), so a frame from a previous lap of the 16-bit counter
//!   or from another session never verifies.
//!
//! A 16-byte tag is HMAC-SHA-256 truncated as RFC 2104 §5 allows (at least half the output);
//! forging one by guessing takes 2^128 tries, and the unit closes a connection long before.
//!
//! Comparisons of proofs and tags are constant-time (`Mac::verify_truncated_left`).

use hmac::{Hmac, KeyInit, Mac};
use sha2::Sha256;

type HmacSha256 = Hmac<Sha256>;

/// Bytes of a pairing key.
pub const KEY_LEN: usize = 32;
/// Bytes of each side's handshake nonce.
pub const NONCE_LEN: usize = 16;
/// Bytes of a handshake proof (truncated HMAC-SHA-256).
pub const PROOF_LEN: usize = 16;
/// Bytes of the tag at the end of every frame but Hello and HelloAck (truncated HMAC-SHA-256).
pub const TAG_LEN: usize = 16;
/// Bytes of the handshake transcript the proofs and session keys are computed over.
pub const TRANSCRIPT_LEN: usize = 4 + 2 + 2 + 2 * NONCE_LEN;

const UNIT_PROOF: &[u8] = b"OpenECMO-2 unit proof";
const CONSOLE_PROOF: &[u8] = b"OpenECMO-2 console proof";
const CONSOLE_TO_UNIT: &[u8] = b"OpenECMO-2 console to unit";
const UNIT_TO_CONSOLE: &[u8] = b"OpenECMO-2 unit to console";

/// The secret a unit and its console share. `Debug` never prints it.
#[derive(Clone, PartialEq, Eq)]
pub struct PairingKey([u8; KEY_LEN]);

impl PairingKey {
    /// The all-zero key both ends use when none was configured. It authenticates nothing
    /// (everyone knows it); the tools allow it only on loopback and on a serial line, and say
    /// so. Frames are still tagged and numbered, so the code path is the same.
    pub const UNPAIRED: PairingKey = PairingKey([0; KEY_LEN]);

    pub const fn from_bytes(bytes: [u8; KEY_LEN]) -> PairingKey {
        PairingKey(bytes)
    }

    pub fn as_bytes(&self) -> &[u8; KEY_LEN] {
        &self.0
    }

    /// Whether this is [`PairingKey::UNPAIRED`].
    pub fn is_unpaired(&self) -> bool {
        self.0 == [0; KEY_LEN]
    }

    fn mac(&self, label: &[u8], t: &[u8; TRANSCRIPT_LEN]) -> [u8; 32] {
        mac32(&self.0, &[label, t])
    }
}

impl core::fmt::Debug for PairingKey {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        if self.is_unpaired() {
            f.write_str("PairingKey(unpaired)")
        } else {
            f.write_str("PairingKey(…)")
        }
    }
}

/// One direction's session key. `Debug` never prints it.
#[derive(Clone, PartialEq, Eq)]
pub struct SessionKey([u8; 32]);

impl core::fmt::Debug for SessionKey {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.write_str("SessionKey(…)")
    }
}

impl SessionKey {
    /// The raw key, for test vectors.
    pub fn as_bytes(&self) -> &[u8; 32] {
        &self.0
    }

    /// The tag of a frame: `n` is the sender's 64-bit frame number, `signed` the raw frame's
    /// header and body (everything before the tag).
    pub fn tag(&self, n: u64, signed: &[u8]) -> [u8; TAG_LEN] {
        let full = mac32(&self.0, &[&n.to_le_bytes(), signed]);
        let mut out = [0u8; TAG_LEN];
        out.copy_from_slice(&full[..TAG_LEN]);
        out
    }

    /// Constant-time check of a received tag.
    pub fn verify(&self, n: u64, signed: &[u8], tag: &[u8]) -> bool {
        let Ok(mut m) = HmacSha256::new_from_slice(&self.0) else {
            return false;
        };
        m.update(&n.to_le_bytes());
        m.update(signed);
        tag.len() == TAG_LEN && m.verify_truncated_left(tag).is_ok()
    }
}

/// Both directions' keys of one session.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SessionKeys {
    /// Tags the console's frames.
    pub console_to_unit: SessionKey,
    /// Tags the unit's frames.
    pub unit_to_console: SessionKey,
}

/// What both sides compute the proofs and keys over (module docs).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Transcript {
    pub nonce: u32,
    pub heartbeat_ms: u16,
    pub timeout_ms: u16,
    pub console_nonce: [u8; NONCE_LEN],
    pub unit_nonce: [u8; NONCE_LEN],
}

impl Transcript {
    /// The transcript of `hello` answered with `unit_nonce`.
    pub fn of(hello: &crate::Hello, unit_nonce: [u8; NONCE_LEN]) -> Transcript {
        Transcript {
            nonce: hello.nonce,
            heartbeat_ms: hello.heartbeat_ms,
            timeout_ms: hello.timeout_ms,
            console_nonce: hello.console_nonce,
            unit_nonce,
        }
    }

    pub fn bytes(&self) -> [u8; TRANSCRIPT_LEN] {
        let mut t = [0u8; TRANSCRIPT_LEN];
        t[0..4].copy_from_slice(&self.nonce.to_le_bytes());
        t[4..6].copy_from_slice(&self.heartbeat_ms.to_le_bytes());
        t[6..8].copy_from_slice(&self.timeout_ms.to_le_bytes());
        t[8..24].copy_from_slice(&self.console_nonce);
        t[24..40].copy_from_slice(&self.unit_nonce);
        t
    }

    /// The unit's proof that it holds `key` (in the HelloAck).
    pub fn unit_proof(&self, key: &PairingKey) -> [u8; PROOF_LEN] {
        truncate(key.mac(UNIT_PROOF, &self.bytes()))
    }

    /// The console's proof that it holds `key` (in Auth).
    pub fn console_proof(&self, key: &PairingKey) -> [u8; PROOF_LEN] {
        truncate(key.mac(CONSOLE_PROOF, &self.bytes()))
    }

    /// Constant-time check of the unit's proof.
    pub fn check_unit_proof(&self, key: &PairingKey, proof: &[u8; PROOF_LEN]) -> bool {
        check(key, UNIT_PROOF, &self.bytes(), proof)
    }

    /// Constant-time check of the console's proof.
    pub fn check_console_proof(&self, key: &PairingKey, proof: &[u8; PROOF_LEN]) -> bool {
        check(key, CONSOLE_PROOF, &self.bytes(), proof)
    }

    /// The session's two keys.
    pub fn session_keys(&self, key: &PairingKey) -> SessionKeys {
        let t = self.bytes();
        SessionKeys {
            console_to_unit: SessionKey(key.mac(CONSOLE_TO_UNIT, &t)),
            unit_to_console: SessionKey(key.mac(UNIT_TO_CONSOLE, &t)),
        }
    }
}

fn mac32(key: &[u8], parts: &[&[u8]]) -> [u8; 32] {
    let mut out = [0u8; 32];
    // HMAC takes a key of any length; this cannot fail.
    if let Ok(mut m) = HmacSha256::new_from_slice(key) {
        for p in parts {
            m.update(p);
        }
        out.copy_from_slice(&m.finalize().into_bytes());
    }
    out
}

fn truncate(full: [u8; 32]) -> [u8; PROOF_LEN] {
    let mut out = [0u8; PROOF_LEN];
    out.copy_from_slice(&full[..PROOF_LEN]);
    out
}

fn check(key: &PairingKey, label: &[u8], t: &[u8], proof: &[u8; PROOF_LEN]) -> bool {
    let Ok(mut m) = HmacSha256::new_from_slice(&key.0) else {
        return false;
    };
    m.update(label);
    m.update(t);
    m.verify_truncated_left(proof).is_ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// RFC 4231 test case 2 ("Jefe"), through the same code path as the proofs.
    #[test]
    fn hmac_sha256_matches_rfc_4231() {
        let out = mac32(b"Jefe", &[b"what do ya want ", b"for nothing?"]);
        let want = [
            0x5b, 0xdc, 0xc1, 0x46, 0xbf, 0x60, 0x75, 0x4e, 0x6a, 0x04, 0x24, 0x26, 0x08, 0x95,
            0x75, 0xc7, 0x5a, 0x00, 0x3f, 0x08, 0x9d, 0x27, 0x39, 0x83, 0x9d, 0xec, 0x58, 0xb9,
            0x64, 0xec, 0x38, 0x43,
        ];
        assert_eq!(out, want);
    }

    fn transcript() -> Transcript {
        Transcript {
            nonce: 7,
            heartbeat_ms: 100,
            timeout_ms: 500,
            console_nonce: [1; NONCE_LEN],
            unit_nonce: [2; NONCE_LEN],
        }
    }

    #[test]
    fn proofs_check_only_with_the_right_key_role_and_nonces() {
        let k = PairingKey::from_bytes([9; KEY_LEN]);
        let other = PairingKey::from_bytes([8; KEY_LEN]);
        let t = transcript();
        let up = t.unit_proof(&k);
        let cp = t.console_proof(&k);
        assert!(t.check_unit_proof(&k, &up) && t.check_console_proof(&k, &cp));
        assert_ne!(up, cp, "the role is part of the proof");
        assert!(
            !t.check_console_proof(&k, &up),
            "a unit proof is no console proof"
        );
        assert!(!t.check_unit_proof(&other, &up));
        let fresh = Transcript {
            unit_nonce: [3; NONCE_LEN],
            ..t
        };
        assert!(
            !fresh.check_console_proof(&k, &cp),
            "a proof for other nonces"
        );
        let keys = t.session_keys(&k);
        assert_ne!(keys.console_to_unit, keys.unit_to_console);
        assert_ne!(keys, t.session_keys(&other));
        assert_ne!(keys, fresh.session_keys(&k));
    }

    #[test]
    fn tags_bind_the_frame_number_and_every_byte() {
        let keys = transcript().session_keys(&PairingKey::from_bytes([9; KEY_LEN]));
        let k = &keys.console_to_unit;
        let frame = [2u8, 0x10, 5, 0, 2, 0xAC, 0x0D];
        let tag = k.tag(5, &frame);
        assert!(k.verify(5, &frame, &tag));
        assert!(
            !k.verify(5 + 65536, &frame, &tag),
            "another lap of the 16-bit counter"
        );
        assert!(
            !keys.unit_to_console.verify(5, &frame, &tag),
            "other direction"
        );
        for i in 0..frame.len() {
            let mut f = frame;
            f[i] ^= 1;
            assert!(!k.verify(5, &f, &tag), "byte {i}");
        }
        assert!(!k.verify(5, &frame, &tag[..8]), "a short tag is no tag");
    }
}
