//! The hardware side, in the manner of `embedded-hal`: small traits the controller drives, with
//! errors that say what kind of failure happened so the controller can react without knowing
//! the driver (SYS-3).
//!
//! The twin implements these in `crates/sil`; a microcontroller port implements them over its
//! ADCs, motor driver and clamp solenoid.

use crate::ActuatorCommands;
use crate::frame::SensorFrame;

/// What went wrong, independent of the driver.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum ErrorKind {
    /// The device did not answer in time.
    Timeout,
    /// The device is not connected.
    Disconnected,
    /// A bus or link error (CRC, framing).
    Bus,
    /// The device refused the value.
    Rejected,
    /// Anything else.
    Other,
}

/// A driver error that can say its kind.
pub trait Error: core::fmt::Debug {
    fn kind(&self) -> ErrorKind;
}

impl Error for ErrorKind {
    fn kind(&self) -> ErrorKind {
        *self
    }
}

/// Declares a driver's error type.
pub trait ErrorType {
    type Error: Error;
}

/// Something that fills a sensor frame. A channel the source could not read is left with
/// `valid == false`; an `Err` means the whole acquisition failed.
pub trait SensorSource: ErrorType {
    fn read(&mut self, now_ms: u64, frame: &mut SensorFrame) -> Result<(), Self::Error>;
}

/// Something that drives the pump, clamp, gas blender and heater.
pub trait Actuators: ErrorType {
    fn apply(&mut self, now_ms: u64, commands: &ActuatorCommands) -> Result<(), Self::Error>;
}

impl<T: ErrorType + ?Sized> ErrorType for &mut T {
    type Error = T::Error;
}

impl<T: SensorSource + ?Sized> SensorSource for &mut T {
    fn read(&mut self, now_ms: u64, frame: &mut SensorFrame) -> Result<(), Self::Error> {
        T::read(self, now_ms, frame)
    }
}

impl<T: Actuators + ?Sized> Actuators for &mut T {
    fn apply(&mut self, now_ms: u64, commands: &ActuatorCommands) -> Result<(), Self::Error> {
        T::apply(self, now_ms, commands)
    }
}
