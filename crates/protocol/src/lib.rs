//! # protocol — the wire between the console and the pump/sensor unit
//!
//! This crate is the codec of the OpenECMO device protocol, version 2.0, specified in
//! `docs/protocol.md`; the document is normative and this crate follows it section by section.
//! It is `#![no_std]` and allocates nothing, so the same code can run in the unit's
//! microcontroller firmware and in the console. Its only dependencies are the maintained no_std
//! RustCrypto crates `hmac` and `sha2` (default features off), for HMAC-SHA-256.
//!
//! What it holds:
//! - [`msg`]: every message of the protocol as a `Copy` type, with its byte layout.
//! - [`frame`]: [`encode`] into a caller's buffer, and a streaming [`Decoder`] that takes bytes
//!   in any chunking, resynchronises at the next delimiter after garbage or loss, and rejects
//!   corrupted, truncated, malformed, unauthenticated, forged and replayed frames with a
//!   reason ([`DecodeError`]).
//! - [`auth`]: the pairing key, the mutual challenge–response of the handshake, the session
//!   keys and the HMAC-SHA-256 tag every frame but Hello and HelloAck carries.
//! - [`seq`]: the receive-side [`SeqTracker`] that extends the header's 16-bit numbers to the
//!   sender's 64-bit count, refuses replayed and out-of-order frames and counts each refusal.
//! - [`sensor`]: physical units <-> the scaled integers of a Sensor frame, in one place.
//! - [`crc`], [`cobs`]: CRC-32C and byte stuffing, with the published test vectors.
//! - [`safety`]: the unit-side safety rules (DEV-1..DEV-7) as a state machine without clock or
//!   I/O, for the unit's firmware or a simulated unit.
//!
//! Invariants: no function panics on any input (property-tested and fuzzed); encoding then
//! decoding gives back the same frame; a frame is only handed out after its CRC-32C and length
//! checked out and, unless it is a Hello or HelloAck, after its tag verified under the session
//! key; the 64-bit numbers a [`Decoder`] accepts in a session strictly increase, so no frame is
//! ever acted on twice, and a frame recorded in one session never verifies in another.
//!
//! What it does not do: no I/O, threads, clocks, timeouts or random numbers (the `devlink`
//! crate does those and draws the nonces); no confidentiality: frames are authenticated, not
//! encrypted (docs/protocol.md §13, threat model).
#![no_std]
#![forbid(unsafe_code)]

pub mod auth;
pub mod cobs;
pub mod crc;
pub mod frame;
pub mod msg;
pub mod safety;
pub mod sensor;
pub mod seq;

pub use auth::{PairingKey, SessionKey, SessionKeys, Transcript};
pub use frame::{
    DecodeError, DecodeStats, Decoder, EncodeError, Frame, MAX_WIRE, PROTOCOL_MAJOR,
    PROTOCOL_MINOR, decode_raw, encode,
};
pub use msg::{
    Ack, AckResult, Auth, ClampState, Command, Fault, Heartbeat, Hello, HelloAck, HelloStatus,
    Message, ProtocolError, ProtocolErrorReason, SensorFrame, SessionOpen, Setpoints, Severity,
};
pub use safety::{HardLimits, SafetyEvent, UnitSafety};
pub use sensor::SensorValues;
pub use seq::{SeqReject, SeqStats, SeqTracker};
