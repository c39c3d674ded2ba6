//! # devlink — the device protocol on real transports
//!
//! The std edge of the console <-> pump/sensor unit boundary (docs/protocol.md). It runs the
//! [`protocol`] codec over a byte [`Transport`] — TCP, a serial line in raw mode, or a
//! pseudo-terminal in tests — and implements both ends of a session:
//!
//! - [`ConsoleLink`]: Hello/HelloAck with version check, heartbeats, unit-loss detection, and
//!   [`ConsoleLink::command`], which waits for the Ack and resends on timeout.
//! - [`UnitEndpoint`]: the unit's side: answers Hello, applies commands through the unit
//!   safety rules ([`protocol::safety`], DEV-1..DEV-7), acknowledges them, streams sensor
//!   frames from a [`SensorSource`] at the sensor rate, heartbeats and fault frames.
//!
//! - [`DeviceHal`]: the unit as the control core's hardware (`control::hal` traits), with a
//!   supervisor thread that keeps the link up, reconnects, and takes over bumplessly.
//!
//! Invariants: a frame is acted on only after CRC, length and sequence checks; frames leave a
//! sender in sequence order; nothing on the unit side ever stops the pump except the air rule;
//! losing or closing a link changes no setpoint.
//!
//! What it does not do: it has no simulated hardware of its own (the `ecmo device` process
//! puts the twin behind [`SensorSource`]) and no serde.

pub mod addr;
pub mod console;
pub mod hal;
pub mod transport;
pub mod unit;
mod wire;

pub use addr::{AddrError, DeviceAddr};
pub use console::{ConsoleConfig, ConsoleEvent, ConsoleLink, ConsoleStats, LinkError};
pub use hal::{DeviceHal, LinkState};
pub use transport::{Transport, openpty};
pub use unit::{SensorSource, UnitConfig, UnitEndpoint, UnitSample, UnitStats};
