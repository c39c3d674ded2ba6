//! # protocol — the wire between the console and the pump/sensor unit
//!
//! This crate is the codec of the OpenECMO device protocol, version 1.0, specified in
//! `docs/protocol.md`; the document is normative and this crate follows it section by section.
//! It is `#![no_std]`, allocates nothing and has no dependencies, so the same code can run in
//! the unit's microcontroller firmware and in the console.
//!
//! What it holds:
//! - [`msg`]: every message of the protocol as a `Copy` type, with its byte layout.
//! - [`frame`]: [`encode`] into a caller's buffer, and a streaming [`Decoder`] that takes bytes
//!   in any chunking, resynchronises at the next delimiter after garbage or loss, and rejects
//!   corrupted, truncated and malformed frames with a reason ([`DecodeError`]).
//! - [`seq`]: the receive-side [`SeqTracker`] that refuses replayed and out-of-order frames and
//!   counts each kind of refusal.
//! - [`sensor`]: physical units <-> the scaled integers of a Sensor frame, in one place.
//! - [`crc`], [`cobs`]: CRC-32C and byte stuffing, with the published test vectors.
//! - [`safety`]: the unit-side safety rules (DEV-1..DEV-7) as a state machine without clock or
//!   I/O, for the unit's firmware or a simulated unit.
//!
//! Invariants: no function panics on any input (property-tested and fuzzed); encoding then
//! decoding gives back the same frame; a frame is only handed out after its CRC-32C and length
//! checked out; the numbers [`SeqTracker`] accepts strictly increase in serial-number arithmetic
//! (RFC 1982), so no frame among the last 64 is ever acted on twice.
//!
//! What it does not do: no I/O, threads, clocks or timeouts (the `devlink` crate does those);
//! no authentication: the CRC catches line faults, not an adversary — the link is a dedicated
//! cable between two boxes of the same system.
#![no_std]
#![forbid(unsafe_code)]

pub mod cobs;
pub mod crc;
pub mod frame;
pub mod msg;
pub mod safety;
pub mod sensor;
pub mod seq;

pub use frame::{
    BufferTooSmall, DecodeError, DecodeStats, Decoder, Frame, MAX_WIRE, PROTOCOL_MAJOR,
    PROTOCOL_MINOR, decode_raw, encode,
};
pub use msg::{
    Ack, AckResult, ClampState, Command, Fault, Heartbeat, Hello, HelloAck, HelloStatus, Message,
    ProtocolError, ProtocolErrorReason, SensorFrame, Setpoints, Severity,
};
pub use safety::{HardLimits, SafetyEvent, UnitSafety};
pub use sensor::SensorValues;
pub use seq::{SeqReject, SeqStats, SeqTracker};
