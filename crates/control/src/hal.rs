//! The hardware side, in the manner of `embedded-hal`: small traits the controller drives, with
//! errors that say what kind of failure happened so the controller can react without knowing
//! the driver (SYS-3).
//!
//! The twin implements these in `crates/sil`; a microcontroller port implements them over its
//! ADCs, motor driver and clamp solenoid.

use crate::frame::SensorFrame;

/// What the actuators are told to do this step. Every field is finite and within its range.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct ActuatorCommands {
    /// Pump speed, rpm, 0..=[`crate::MAX_RPM`].
    pub pump_rpm: f32,
    /// Return-line clamp closed.
    pub return_clamp_closed: bool,
    /// Sweep gas flow, L/min, 0..=12.
    pub sweep_lpm: f32,
    /// Fraction of O2 in the sweep gas, 0.21..=1.
    pub fdo2: f32,
    /// Heater water set point, °C, 33..=39.
    pub heater_c: f32,
}

impl ActuatorCommands {
    /// Safe state: pump stopped, clamp closed, gas and heater at defaults.
    pub const SAFE: ActuatorCommands = ActuatorCommands {
        pump_rpm: 0.0,
        return_clamp_closed: true,
        sweep_lpm: 0.0,
        fdo2: 1.0,
        heater_c: 37.0,
    };
}

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

/// The controlled system as one control cycle sees it: it fills this period's sensor frame,
/// then takes the period's actuator commands. [`crate::Controller::cycle`] is the one control
/// cycle, run against the digital twin behind its sensor layer (crate `sil`) and against a pump
/// unit behind the device link (`devlink::DeviceHal`) alike. Anything that is both a
/// [`SensorSource`] and [`Actuators`] (with one error type) is a plant.
pub trait Plant: ErrorType {
    /// Fill `frame`; a channel that could not be read is left invalid, an `Err` means the whole
    /// acquisition failed (SYS-3).
    fn sense(&mut self, now_ms: u64, frame: &mut SensorFrame) -> Result<(), Self::Error>;
    /// Drive the pump, clamp, gas blender and heater (SYS-3 on `Err`).
    fn actuate(&mut self, now_ms: u64, commands: &ActuatorCommands) -> Result<(), Self::Error>;
}

impl<T: SensorSource + Actuators + ?Sized> Plant for T {
    fn sense(&mut self, now_ms: u64, frame: &mut SensorFrame) -> Result<(), Self::Error> {
        self.read(now_ms, frame)
    }
    fn actuate(&mut self, now_ms: u64, commands: &ActuatorCommands) -> Result<(), Self::Error> {
        self.apply(now_ms, commands)
    }
}
