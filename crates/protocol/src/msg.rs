//! Message types and their body layouts (docs/protocol.md §5). All multi-byte fields are
//! little-endian. Every message is `Copy` and fixed-size: nothing here allocates.

use crate::auth::{NONCE_LEN, PROOF_LEN};
use crate::frame::PROTOCOL_MAJOR;

/// Message type codes (header byte 1).
pub mod ty {
    pub const HELLO: u8 = 0x01;
    pub const HELLO_ACK: u8 = 0x02;
    pub const HEARTBEAT: u8 = 0x03;
    pub const AUTH: u8 = 0x04;
    pub const SESSION_OPEN: u8 = 0x05;
    pub const SET_PUMP_SPEED: u8 = 0x10;
    pub const SET_CLAMP: u8 = 0x11;
    pub const SET_GAS: u8 = 0x12;
    pub const SET_HEATER: u8 = 0x13;
    pub const CLEAR_AIR_STOP: u8 = 0x14;
    pub const ACK: u8 = 0x1F;
    pub const SENSOR: u8 = 0x20;
    pub const FAULT: u8 = 0x30;
    pub const PROTOCOL_ERROR: u8 = 0x31;

    /// Hello and HelloAck open a session: they travel without a tag (there is no session key
    /// yet) and keep their header and body prefix in every major version.
    pub const fn is_handshake(t: u8) -> bool {
        t == HELLO || t == HELLO_ACK
    }
}

/// Unit state flags (heartbeat and sensor frames), docs/protocol.md §5.3.
pub mod state {
    /// A console session is established (hello accepted).
    pub const SESSION: u16 = 1 << 0;
    /// The console's heartbeat timed out; the unit holds the last commanded setpoints.
    pub const CONSOLE_LOST: u16 = 1 << 1;
    /// Air stop latched: pump stopped and return clamp closed until ClearAirStop.
    pub const AIR_STOP: u16 = 1 << 2;
    /// The bubble detector sees air now.
    pub const AIR_DETECTED: u16 = 1 << 3;
    /// The return clamp is closed (measured position).
    pub const CLAMP_CLOSED: u16 = 1 << 4;
    /// The return clamp is travelling.
    pub const CLAMP_MOVING: u16 = 1 << 5;
    /// Mains power present.
    pub const MAINS: u16 = 1 << 6;
    /// Running from the internal battery.
    pub const ON_BATTERY: u16 = 1 << 7;
    /// Heater enabled.
    pub const HEATER_ON: u16 = 1 << 8;
    /// At least one fault is active (each is repeated in a Fault frame every second).
    pub const FAULT: u16 = 1 << 9;
}

/// Validity bits of a sensor frame: bit set = the channel's value is a real, checked sample.
pub mod valid {
    pub const P_DRAINAGE: u16 = 1 << 0;
    pub const P_PRE_OXY: u16 = 1 << 1;
    pub const P_POST_OXY: u16 = 1 << 2;
    pub const FLOW: u16 = 1 << 3;
    pub const SPEED: u16 = 1 << 4;
    pub const SO2_PRE: u16 = 1 << 5;
    pub const SO2_POST: u16 = 1 << 6;
    pub const PO2_POST: u16 = 1 << 7;
    pub const PCO2_POST: u16 = 1 << 8;
    pub const HB: u16 = 1 << 9;
    pub const TEMP_PRE: u16 = 1 << 10;
    pub const TEMP_POST: u16 = 1 << 11;
    pub const BUBBLE: u16 = 1 << 12;
    pub const SWEEP: u16 = 1 << 13;
    pub const FDO2: u16 = 1 << 14;
    pub const BATTERY: u16 = 1 << 15;
}

/// Hello/HelloAck handshake outcome.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum HelloStatus {
    /// Session established at the versions and timings in the HelloAck.
    Accepted = 0,
    /// The unit does not speak the console's major version; no session, commands refused.
    VersionMismatch = 1,
}

/// Console -> unit: opens (or re-opens) a session. Its first 10 bytes are frozen across all
/// major versions.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Hello {
    pub major: u8,
    pub minor: u8,
    /// Random per session; echoed in HelloAck so a stale HelloAck is recognised.
    pub nonce: u32,
    /// Heartbeat period the console asks both sides to use, ms.
    pub heartbeat_ms: u16,
    /// Silence after which each side declares the other lost, ms.
    pub timeout_ms: u16,
    /// The console's challenge (2.0): 16 random bytes, new for every session.
    pub console_nonce: [u8; NONCE_LEN],
}

/// The unit's commanded state: what it drives its actuators towards.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Setpoints {
    pub pump_rpm: u16,
    pub clamp: ClampState,
    pub sweep_ml_min: u16,
    pub fdo2_permille: u16,
    /// Heater target, 0.01 °C; 0 = heater off.
    pub heater_centi_c: u16,
}

/// Unit -> console: answer to Hello, the unit's challenge and its proof that it holds the
/// pairing key. Its first 7 bytes are frozen across all major versions. Nothing in it tells a
/// peer that has not proved the key anything about the unit or the patient.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct HelloAck {
    pub major: u8,
    pub minor: u8,
    pub nonce: u32,
    pub status: HelloStatus,
    /// The unit's challenge: 16 random bytes, new for every Hello of a new session.
    pub unit_nonce: [u8; NONCE_LEN],
    /// The unit's proof over both nonces (crate::auth); zero with VersionMismatch.
    pub proof: [u8; PROOF_LEN],
}

/// Console -> unit, the first tagged frame of a session: the console's proof that it holds the
/// pairing key. Only after it does the unit make this connection the session (DEV-6, DEV-8).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Auth {
    pub proof: [u8; PROOF_LEN],
}

/// Unit -> console, the unit's first tagged frame of a session: the session is open; the
/// timing in force, who the unit is, and what it is doing now, so that a (re)connecting console
/// takes over without a bump (DEV-7).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SessionOpen {
    /// Heartbeat period in force (the Hello's, clamped to 20–1000), ms.
    pub heartbeat_ms: u16,
    /// Timeout in force (the Hello's, clamped to 3 × period … 5000), ms.
    pub timeout_ms: u16,
    pub sensor_rate_hz: u16,
    pub unit_serial: u32,
    /// Firmware version, major in the high byte.
    pub firmware: u16,
    pub state: u16,
    /// What the unit is doing now.
    pub setpoints: Setpoints,
}

/// Both directions, every heartbeat period.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Heartbeat {
    /// Sender's monotonic uptime, ms (wraps after 49.7 days).
    pub uptime_ms: u32,
    /// Unit: [`state`] flags. Console: 0.
    pub state: u16,
    /// Frames the sender rejected in this session (CRC, framing, sequence), wrapping.
    pub rx_rejected: u16,
}

/// Return-line clamp position.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ClampState {
    Open = 0,
    Closed = 1,
}

/// Console -> unit commands. Each is an absolute setpoint, so repeating one is harmless: this
/// is what lets the console retry a command whose acknowledgement was lost.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Command {
    SetPumpSpeed {
        rpm: u16,
    },
    SetClamp(ClampState),
    SetGas {
        sweep_ml_min: u16,
        fdo2_permille: u16,
    },
    /// 0.01 °C; 0 switches the heater off.
    SetHeater {
        target_centi_c: u16,
    },
    /// The operator confirms the air is gone; lifts a latched air stop (pump stays at 0 rpm
    /// and clamp closed until commanded otherwise).
    ClearAirStop,
}

impl Command {
    /// The message type code this command travels under.
    pub const fn type_code(&self) -> u8 {
        match self {
            Command::SetPumpSpeed { .. } => ty::SET_PUMP_SPEED,
            Command::SetClamp(_) => ty::SET_CLAMP,
            Command::SetGas { .. } => ty::SET_GAS,
            Command::SetHeater { .. } => ty::SET_HEATER,
            Command::ClearAirStop => ty::CLEAR_AIR_STOP,
        }
    }
}

/// Result of a command, in its Ack.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AckResult {
    /// Applied: the new setpoint is in force when the Ack is sent.
    Applied = 0,
    /// Outside the unit's hard limits; nothing changed.
    OutOfLimits = 1,
    /// Would restart flow while an air stop is latched; nothing changed.
    AirStopActive = 2,
    /// No session (no accepted Hello yet); nothing changed.
    NoSession = 3,
    /// ClearAirStop while the detector still sees air; nothing changed.
    AirPresent = 4,
}

/// Unit -> console: answers one command frame.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Ack {
    /// Sequence number of the command frame answered.
    pub acked_seq: u16,
    /// Its type code.
    pub acked_type: u8,
    pub result: AckResult,
}

/// Unit -> console at the sensor rate (100 Hz or more). Raw scaled integers as on the wire;
/// use the accessor methods for physical values. A channel whose validity bit is clear must
/// not be used, whatever its value.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct SensorFrame {
    /// Sample counter, +1 per sample; a gap means samples were lost.
    pub sample: u32,
    /// Unit uptime at the sample, ms.
    pub time_ms: u32,
    /// [`valid`] bits.
    pub valid: u16,
    /// [`state`] flags.
    pub state: u16,
    /// Drainage (pre-pump) pressure, 0.1 mmHg.
    pub p_drainage: i16,
    /// Pre-oxygenator pressure, 0.1 mmHg.
    pub p_pre_oxy: i16,
    /// Post-oxygenator pressure, 0.1 mmHg.
    pub p_post_oxy: i16,
    /// Circuit flow, mL/min, negative = backflow.
    pub flow_ml_min: i16,
    /// Measured pump speed, rpm.
    pub speed_rpm: u16,
    /// Pre-oxygenator SO2, 0.01 %.
    pub so2_pre: u16,
    /// Post-oxygenator SO2, 0.01 %.
    pub so2_post: u16,
    /// Post-oxygenator PO2, 0.1 mmHg.
    pub po2_post: u16,
    /// Post-oxygenator PCO2, 0.1 mmHg.
    pub pco2_post: u16,
    /// Haemoglobin, 0.01 g/dL.
    pub hb: u16,
    /// Blood temperature before the oxygenator, 0.01 °C.
    pub temp_pre: i16,
    /// Blood temperature after the oxygenator (return), 0.01 °C.
    pub temp_post: i16,
    /// Air seen by the return-line bubble detector during this sample period, 0.1 µL.
    pub bubble: u16,
    /// Measured sweep gas flow, mL/min.
    pub sweep_ml_min: u16,
    /// Measured FdO2, 0.1 %.
    pub fdo2_permille: u16,
    /// Battery state of charge, % (0..=100).
    pub battery_pct: u8,
    /// Estimated battery runtime at the present load, min.
    pub battery_min: u16,
}

/// Unit fault codes (docs/protocol.md §5.7). Unknown codes from newer units are kept as-is.
pub mod fault {
    pub const AIR_DETECTED: u16 = 0x0001;
    pub const CONSOLE_LOST: u16 = 0x0002;
    pub const MOTOR_OVERCURRENT: u16 = 0x0003;
    pub const MOTOR_SPEED_DEVIATION: u16 = 0x0004;
    pub const SENSOR_FAILURE: u16 = 0x0005;
    pub const MAINS_LOST: u16 = 0x0006;
    pub const BATTERY_LOW: u16 = 0x0007;
    pub const HEATER_FAULT: u16 = 0x0008;
    pub const CLAMP_FAULT: u16 = 0x0009;
    pub const GAS_SUPPLY: u16 = 0x000A;
    pub const INTERNAL: u16 = 0x000B;
}

/// Fault severity.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Severity {
    Info = 1,
    Warning = 2,
    Critical = 3,
}

/// Unit -> console: a fault raised or cleared; active faults are repeated every second.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Fault {
    pub code: u16,
    pub active: bool,
    pub severity: Severity,
    /// Code-specific detail (e.g. the validity bit index of a failed sensor).
    pub detail: u32,
    /// Unit uptime when the fault was raised or cleared, ms.
    pub time_ms: u32,
}

/// Why a CRC-valid frame was not acted on (sent back to its sender).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ProtocolErrorReason {
    UnknownType = 1,
    BadLength = 2,
    BadField = 3,
    UnsupportedVersion = 4,
    /// A message type the receiver does not accept from this direction.
    WrongDirection = 5,
}

/// Either direction: a well-formed frame was refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ProtocolError {
    pub reason: ProtocolErrorReason,
    pub offending_seq: u16,
    pub offending_type: u8,
}

/// Every message of protocol version 1.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Message {
    Hello(Hello),
    HelloAck(HelloAck),
    Heartbeat(Heartbeat),
    Auth(Auth),
    SessionOpen(SessionOpen),
    Command(Command),
    Ack(Ack),
    Sensor(SensorFrame),
    Fault(Fault),
    ProtocolError(ProtocolError),
}

/// Body lengths of version 2.0 (the tag not included). A longer body is accepted and its tail
/// ignored (minor-version extensions append fields); a shorter one is rejected.
pub mod body_len {
    pub const HELLO: usize = 26;
    pub const HELLO_ACK: usize = 39;
    /// The part of a Hello frozen across major versions: all a unit reads of another major's.
    pub const HELLO_FROZEN: usize = 10;
    /// The part of a HelloAck frozen across major versions.
    pub const HELLO_ACK_FROZEN: usize = 7;
    pub const HEARTBEAT: usize = 8;
    pub const AUTH: usize = 16;
    pub const SESSION_OPEN: usize = 23;
    pub const SET_PUMP_SPEED: usize = 2;
    pub const SET_CLAMP: usize = 1;
    pub const SET_GAS: usize = 4;
    pub const SET_HEATER: usize = 2;
    pub const CLEAR_AIR_STOP: usize = 0;
    pub const ACK: usize = 4;
    pub const SENSOR: usize = 45;
    pub const FAULT: usize = 12;
    pub const PROTOCOL_ERROR: usize = 4;
}

impl Message {
    /// Type code (header byte 1).
    pub const fn type_code(&self) -> u8 {
        match self {
            Message::Hello(_) => ty::HELLO,
            Message::HelloAck(_) => ty::HELLO_ACK,
            Message::Heartbeat(_) => ty::HEARTBEAT,
            Message::Auth(_) => ty::AUTH,
            Message::SessionOpen(_) => ty::SESSION_OPEN,
            Message::Command(c) => c.type_code(),
            Message::Ack(_) => ty::ACK,
            Message::Sensor(_) => ty::SENSOR,
            Message::Fault(_) => ty::FAULT,
            Message::ProtocolError(_) => ty::PROTOCOL_ERROR,
        }
    }

    /// Writes the body into `out` (which must hold at least [`crate::MAX_BODY`] bytes);
    /// returns its length.
    pub(crate) fn write_body(&self, out: &mut [u8]) -> usize {
        let mut w = Writer { buf: out, at: 0 };
        match self {
            Message::Hello(h) => {
                w.u8(h.major);
                w.u8(h.minor);
                w.u32(h.nonce);
                w.u16(h.heartbeat_ms);
                w.u16(h.timeout_ms);
                w.bytes(&h.console_nonce);
            }
            Message::HelloAck(a) => {
                w.u8(a.major);
                w.u8(a.minor);
                w.u32(a.nonce);
                w.u8(a.status as u8);
                w.bytes(&a.unit_nonce);
                w.bytes(&a.proof);
            }
            Message::Heartbeat(h) => {
                w.u32(h.uptime_ms);
                w.u16(h.state);
                w.u16(h.rx_rejected);
            }
            Message::Auth(a) => w.bytes(&a.proof),
            Message::SessionOpen(o) => {
                w.u16(o.heartbeat_ms);
                w.u16(o.timeout_ms);
                w.u16(o.sensor_rate_hz);
                w.u32(o.unit_serial);
                w.u16(o.firmware);
                w.u16(o.state);
                w.u16(o.setpoints.pump_rpm);
                w.u8(o.setpoints.clamp as u8);
                w.u16(o.setpoints.sweep_ml_min);
                w.u16(o.setpoints.fdo2_permille);
                w.u16(o.setpoints.heater_centi_c);
            }
            Message::Command(c) => match *c {
                Command::SetPumpSpeed { rpm } => w.u16(rpm),
                Command::SetClamp(s) => w.u8(s as u8),
                Command::SetGas {
                    sweep_ml_min,
                    fdo2_permille,
                } => {
                    w.u16(sweep_ml_min);
                    w.u16(fdo2_permille);
                }
                Command::SetHeater { target_centi_c } => w.u16(target_centi_c),
                Command::ClearAirStop => {}
            },
            Message::Ack(a) => {
                w.u16(a.acked_seq);
                w.u8(a.acked_type);
                w.u8(a.result as u8);
            }
            Message::Sensor(s) => {
                w.u32(s.sample);
                w.u32(s.time_ms);
                w.u16(s.valid);
                w.u16(s.state);
                w.i16(s.p_drainage);
                w.i16(s.p_pre_oxy);
                w.i16(s.p_post_oxy);
                w.i16(s.flow_ml_min);
                w.u16(s.speed_rpm);
                w.u16(s.so2_pre);
                w.u16(s.so2_post);
                w.u16(s.po2_post);
                w.u16(s.pco2_post);
                w.u16(s.hb);
                w.i16(s.temp_pre);
                w.i16(s.temp_post);
                w.u16(s.bubble);
                w.u16(s.sweep_ml_min);
                w.u16(s.fdo2_permille);
                w.u8(s.battery_pct);
                w.u16(s.battery_min);
            }
            Message::Fault(f) => {
                w.u16(f.code);
                w.u8(f.active as u8);
                w.u8(f.severity as u8);
                w.u32(f.detail);
                w.u32(f.time_ms);
            }
            Message::ProtocolError(e) => {
                w.u8(e.reason as u8);
                w.u16(e.offending_seq);
                w.u8(e.offending_type);
            }
        }
        w.at
    }

    /// Parses a body of type `ty`. The caller has already checked framing and CRC.
    pub(crate) fn read_body(ty: u8, body: &[u8]) -> Result<Message, BodyError> {
        // Of another major's Hello or HelloAck only the frozen prefix is read (§7): enough to
        // answer or report a version mismatch.
        let ours = body.first() == Some(&PROTOCOL_MAJOR);
        let need = match ty {
            ty::HELLO if ours => body_len::HELLO,
            ty::HELLO => body_len::HELLO_FROZEN,
            ty::HELLO_ACK if ours => body_len::HELLO_ACK,
            ty::HELLO_ACK => body_len::HELLO_ACK_FROZEN,
            ty::HEARTBEAT => body_len::HEARTBEAT,
            ty::AUTH => body_len::AUTH,
            ty::SESSION_OPEN => body_len::SESSION_OPEN,
            ty::SET_PUMP_SPEED => body_len::SET_PUMP_SPEED,
            ty::SET_CLAMP => body_len::SET_CLAMP,
            ty::SET_GAS => body_len::SET_GAS,
            ty::SET_HEATER => body_len::SET_HEATER,
            ty::CLEAR_AIR_STOP => body_len::CLEAR_AIR_STOP,
            ty::ACK => body_len::ACK,
            ty::SENSOR => body_len::SENSOR,
            ty::FAULT => body_len::FAULT,
            ty::PROTOCOL_ERROR => body_len::PROTOCOL_ERROR,
            _ => return Err(BodyError::UnknownType),
        };
        if body.len() < need {
            return Err(BodyError::TooShort { need: need as u8 });
        }
        let mut r = Reader { buf: body, at: 0 };
        let msg = match ty {
            ty::HELLO => Message::Hello(Hello {
                major: r.u8(),
                minor: r.u8(),
                nonce: r.u32(),
                heartbeat_ms: r.u16(),
                timeout_ms: r.u16(),
                // Zeros past the end of another major's Hello; never used (version mismatch).
                console_nonce: if ours { r.take() } else { [0; NONCE_LEN] },
            }),
            ty::HELLO_ACK => Message::HelloAck(HelloAck {
                major: r.u8(),
                minor: r.u8(),
                nonce: r.u32(),
                status: match r.u8() {
                    0 => HelloStatus::Accepted,
                    1 => HelloStatus::VersionMismatch,
                    _ => return Err(BodyError::BadField { offset: 6 }),
                },
                unit_nonce: if ours { r.take() } else { [0; NONCE_LEN] },
                proof: if ours { r.take() } else { [0; PROOF_LEN] },
            }),
            ty::HEARTBEAT => Message::Heartbeat(Heartbeat {
                uptime_ms: r.u32(),
                state: r.u16(),
                rx_rejected: r.u16(),
            }),
            ty::AUTH => Message::Auth(Auth { proof: r.take() }),
            ty::SESSION_OPEN => Message::SessionOpen(SessionOpen {
                heartbeat_ms: r.u16(),
                timeout_ms: r.u16(),
                sensor_rate_hz: r.u16(),
                unit_serial: r.u32(),
                firmware: r.u16(),
                state: r.u16(),
                setpoints: Setpoints {
                    pump_rpm: r.u16(),
                    clamp: clamp_from(r.u8()).ok_or(BodyError::BadField { offset: 16 })?,
                    sweep_ml_min: r.u16(),
                    fdo2_permille: r.u16(),
                    heater_centi_c: r.u16(),
                },
            }),
            ty::SET_PUMP_SPEED => Message::Command(Command::SetPumpSpeed { rpm: r.u16() }),
            ty::SET_CLAMP => Message::Command(Command::SetClamp(
                clamp_from(r.u8()).ok_or(BodyError::BadField { offset: 0 })?,
            )),
            ty::SET_GAS => Message::Command(Command::SetGas {
                sweep_ml_min: r.u16(),
                fdo2_permille: r.u16(),
            }),
            ty::SET_HEATER => Message::Command(Command::SetHeater {
                target_centi_c: r.u16(),
            }),
            ty::CLEAR_AIR_STOP => Message::Command(Command::ClearAirStop),
            ty::ACK => Message::Ack(Ack {
                acked_seq: r.u16(),
                acked_type: r.u8(),
                result: match r.u8() {
                    0 => AckResult::Applied,
                    1 => AckResult::OutOfLimits,
                    2 => AckResult::AirStopActive,
                    3 => AckResult::NoSession,
                    4 => AckResult::AirPresent,
                    _ => return Err(BodyError::BadField { offset: 3 }),
                },
            }),
            ty::SENSOR => Message::Sensor(SensorFrame {
                sample: r.u32(),
                time_ms: r.u32(),
                valid: r.u16(),
                state: r.u16(),
                p_drainage: r.i16(),
                p_pre_oxy: r.i16(),
                p_post_oxy: r.i16(),
                flow_ml_min: r.i16(),
                speed_rpm: r.u16(),
                so2_pre: r.u16(),
                so2_post: r.u16(),
                po2_post: r.u16(),
                pco2_post: r.u16(),
                hb: r.u16(),
                temp_pre: r.i16(),
                temp_post: r.i16(),
                bubble: r.u16(),
                sweep_ml_min: r.u16(),
                fdo2_permille: r.u16(),
                battery_pct: r.u8(),
                battery_min: r.u16(),
            }),
            ty::FAULT => Message::Fault(Fault {
                code: r.u16(),
                active: match r.u8() {
                    0 => false,
                    1 => true,
                    _ => return Err(BodyError::BadField { offset: 2 }),
                },
                severity: match r.u8() {
                    1 => Severity::Info,
                    2 => Severity::Warning,
                    3 => Severity::Critical,
                    _ => return Err(BodyError::BadField { offset: 3 }),
                },
                detail: r.u32(),
                time_ms: r.u32(),
            }),
            ty::PROTOCOL_ERROR => Message::ProtocolError(ProtocolError {
                reason: match r.u8() {
                    1 => ProtocolErrorReason::UnknownType,
                    2 => ProtocolErrorReason::BadLength,
                    3 => ProtocolErrorReason::BadField,
                    4 => ProtocolErrorReason::UnsupportedVersion,
                    5 => ProtocolErrorReason::WrongDirection,
                    _ => return Err(BodyError::BadField { offset: 0 }),
                },
                offending_seq: r.u16(),
                offending_type: r.u8(),
            }),
            _ => return Err(BodyError::UnknownType),
        };
        Ok(msg)
    }
}

fn clamp_from(b: u8) -> Option<ClampState> {
    match b {
        0 => Some(ClampState::Open),
        1 => Some(ClampState::Closed),
        _ => None,
    }
}

/// Why a body did not parse.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum BodyError {
    UnknownType,
    TooShort { need: u8 },
    BadField { offset: u8 },
}

/// Little-endian writer. Callers size the buffer to [`crate::MAX_BODY`], which every body fits,
/// so the index checks below never fail; they are kept (instead of unchecked writes) so a
/// mistake shows up as a short body and a failed test, not as memory corruption or a panic.
struct Writer<'a> {
    buf: &'a mut [u8],
    at: usize,
}

impl Writer<'_> {
    fn bytes(&mut self, b: &[u8]) {
        for &x in b {
            if let Some(slot) = self.buf.get_mut(self.at) {
                *slot = x;
                self.at += 1;
            }
        }
    }
    fn u8(&mut self, v: u8) {
        self.bytes(&[v]);
    }
    fn u16(&mut self, v: u16) {
        self.bytes(&v.to_le_bytes());
    }
    fn i16(&mut self, v: i16) {
        self.bytes(&v.to_le_bytes());
    }
    fn u32(&mut self, v: u32) {
        self.bytes(&v.to_le_bytes());
    }
}

/// Little-endian reader over a body already checked to be long enough; reading past the end
/// yields zeros rather than panicking.
struct Reader<'a> {
    buf: &'a [u8],
    at: usize,
}

impl Reader<'_> {
    fn take<const N: usize>(&mut self) -> [u8; N] {
        let mut out = [0u8; N];
        for slot in out.iter_mut() {
            *slot = self.buf.get(self.at).copied().unwrap_or(0);
            self.at += 1;
        }
        out
    }
    fn u8(&mut self) -> u8 {
        self.take::<1>()[0]
    }
    fn u16(&mut self) -> u16 {
        u16::from_le_bytes(self.take())
    }
    fn i16(&mut self) -> i16 {
        i16::from_le_bytes(self.take())
    }
    fn u32(&mut self) -> u32 {
        u32::from_le_bytes(self.take())
    }
}
