//! # devlink — the device protocol on real transports
//!
//! The std edge of the console <-> pump/sensor unit boundary (docs/protocol.md). It runs the
//! [`protocol`] codec over a byte [`Transport`] — TCP, a serial line in raw mode, or a
//! pseudo-terminal in tests — and implements both ends of a session:
//!
//! - [`ConsoleLink`]: the authenticated handshake (Hello, the unit's proof checked, Auth,
//!   SessionOpen) with version check, heartbeats, unit-loss detection, and
//!   [`ConsoleLink::command`], which waits for the Ack and resends on timeout.
//! - [`UnitEndpoint`]: the unit's side: challenges every Hello, opens a session only for a
//!   console that proves the pairing key (DEV-8), applies its commands through the unit
//!   safety rules ([`protocol::safety`], DEV-1..DEV-7), acknowledges them, streams sensor
//!   frames from a [`SensorSource`] at the sensor rate, heartbeats and fault frames; bounds
//!   what connections cost ([`ConnLimits`]).
//! - [`key`]: pairing key files (random, owner-only, never overwritten, bounded reads).
//!
//! - [`DeviceHal`]: the unit as the control core's hardware (`control::hal` traits), with a
//!   supervisor thread that keeps the link up, reconnects, and takes over bumplessly.
//!
//! Invariants: a frame is acted on only after CRC, length, tag and sequence checks; frames
//! leave a sender in sequence order; nothing a peer without the key sends changes a setpoint;
//! nothing on the unit side ever stops the pump except the air rule; losing or closing a link
//! changes no setpoint.
//!
//! What it does not do: it has no simulated hardware of its own (the `ecmo device` process
//! puts the twin behind [`SensorSource`]) and no serde.

pub mod addr;
pub mod console;
pub mod hal;
pub mod key;
pub mod transport;
pub mod unit;
mod wire;

pub use addr::{AddrError, DeviceAddr};
pub use console::{ConsoleConfig, ConsoleEvent, ConsoleLink, ConsoleStats, LinkError};
pub use hal::{DeviceHal, LinkState};
pub use key::{generate_key_file, load_key_file};
pub use protocol::PairingKey;
pub use transport::{Transport, openpty};
pub use unit::{ConnLimits, SensorSource, UnitConfig, UnitEndpoint, UnitSample, UnitStats};
