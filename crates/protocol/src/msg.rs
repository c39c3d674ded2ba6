//! Message types and their body layouts (docs/protocol.md §5). All multi-byte fields are
//! little-endian. Every message is `Copy` and fixed-size: nothing here allocates.

use crate::auth::{NONCE_LEN, PROOF_LEN};
use crate::frame::PROTOCOL_MAJOR;

/// The message types, each once: its type code (header byte 1, in [`ty`]) and its body length
/// in version 2.0 (the tag not included, in [`body_len`]).
macro_rules! message_types {
    (
        $(#[$ty_meta:meta])* pub mod ty { $($ty_item:item)* }
        $(#[$len_meta:meta])* pub mod body_len { $($len_item:item)* }
        $($name:ident = $code:literal, $len:literal;)+
    ) => {
        $(#[$ty_meta])*
        pub mod ty {
            $(pub const $name: u8 = $code;)+
            $($ty_item)*
        }

        $(#[$len_meta])*
        pub mod body_len {
            $(pub const $name: usize = $len;)+
            $($len_item)*
        }

        /// The body length of type `t` in version 2.0; `None` for a type no message has.
        const fn body_len_of(t: u8) -> Option<usize> {
            match t {
                $($code => Some($len),)+
                _ => None,
            }
        }
    };
}

message_types! {
    /// Message type codes (header byte 1).
    pub mod ty {
        /// Hello and HelloAck open a session: they travel without a tag (there is no session key
        /// yet) and keep their header and body prefix in every major version.
        pub const fn is_handshake(t: u8) -> bool {
            t == HELLO || t == HELLO_ACK
        }
    }
    /// Body lengths of version 2.0 (the tag not included). A longer body is accepted and its tail
    /// ignored (minor-version extensions append fields); a shorter one is rejected.
    pub mod body_len {
        /// The part of a Hello frozen across major versions: all a unit reads of another major's.
        pub const HELLO_FROZEN: usize = 10;
        /// The part of a HelloAck frozen across major versions.
        pub const HELLO_ACK_FROZEN: usize = 7;
    }
    HELLO = 0x01, 26;
    HELLO_ACK = 0x02, 39;
    HEARTBEAT = 0x03, 8;
    AUTH = 0x04, 16;
    SESSION_OPEN = 0x05, 23;
    SET_PUMP_SPEED = 0x10, 2;
    SET_CLAMP = 0x11, 1;
    SET_GAS = 0x12, 4;
    SET_HEATER = 0x13, 2;
    CLEAR_AIR_STOP = 0x14, 0;
    ACK = 0x1F, 4;
    SENSOR = 0x20, 45;
    FAULT = 0x30, 12;
    PROTOCOL_ERROR = 0x31, 4;
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

/// A one-byte enum of the wire (a plain `Copy` value, like every message type): the variants
/// with their codes, written once, and `from_wire`, which reads a code back (`None` for a code
/// the enum does not list).
macro_rules! wire_enum {
    (
        $(#[$meta:meta])*
        pub enum $name:ident { $($(#[$vmeta:meta])* $variant:ident = $code:literal,)+ }
    ) => {
        $(#[$meta])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq)]
        pub enum $name { $($(#[$vmeta])* $variant = $code,)+ }

        impl $name {
            /// The variant whose code is `b`, if any.
            pub(crate) const fn from_wire(b: u8) -> Option<Self> {
                match b {
                    $($code => Some(Self::$variant),)+
                    _ => None,
                }
            }
        }

        impl Wire for $name {
            fn put(&self, w: &mut Writer<'_>) {
                w.u8(*self as u8);
            }
            fn get(r: &mut Reader<'_>) -> Result<Self, BodyError> {
                let at = r.at;
                Self::from_wire(r.u8()).ok_or(BodyError::BadField { offset: at as u8 })
            }
        }
    };
}

/// A struct of the wire (a plain `Copy` value) whose body is its fields in order: the fields
/// are listed once, and their layout (`Wire`) follows from their types.
macro_rules! wire_struct {
    (
        $(#[$meta:meta])*
        pub struct $name:ident { $($(#[$fmeta:meta])* pub $field:ident: $ty:ty,)+ }
    ) => {
        $(#[$meta])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq)]
        pub struct $name { $($(#[$fmeta])* pub $field: $ty,)+ }

        impl Wire for $name {
            fn put(&self, w: &mut Writer<'_>) {
                $(self.$field.put(w);)+
            }
            fn get(r: &mut Reader<'_>) -> Result<Self, BodyError> {
                Ok($name { $($field: Wire::get(r)?,)+ })
            }
        }
    };
}

/// A value with a fixed layout in a body (little-endian): written, and read back.
trait Wire: Sized {
    fn put(&self, w: &mut Writer<'_>);
    /// `BadField` at the byte where the reader stood when that byte is no value of the type.
    fn get(r: &mut Reader<'_>) -> Result<Self, BodyError>;
}

/// The integers, through the writer's and reader's methods of the same name.
macro_rules! wire_int {
    ($($t:ident),+) => {
        $(impl Wire for $t {
            fn put(&self, w: &mut Writer<'_>) {
                w.$t(*self);
            }
            fn get(r: &mut Reader<'_>) -> Result<Self, BodyError> {
                Ok(r.$t())
            }
        })+
    };
}

wire_int!(u8, u16, i16, u32);

impl<const N: usize> Wire for [u8; N] {
    fn put(&self, w: &mut Writer<'_>) {
        w.bytes(self);
    }
    fn get(r: &mut Reader<'_>) -> Result<Self, BodyError> {
        Ok(r.take())
    }
}

/// One byte, 0 or 1.
impl Wire for bool {
    fn put(&self, w: &mut Writer<'_>) {
        w.u8(u8::from(*self));
    }
    fn get(r: &mut Reader<'_>) -> Result<Self, BodyError> {
        let at = r.at;
        match r.u8() {
            0 => Ok(false),
            1 => Ok(true),
            _ => Err(BodyError::BadField { offset: at as u8 }),
        }
    }
}

wire_enum! {
    /// Hello/HelloAck handshake outcome.
    pub enum HelloStatus {
        /// Session established at the versions and timings in the HelloAck.
        Accepted = 0,
        /// The unit does not speak the console's major version; no session, commands refused.
        VersionMismatch = 1,
    }
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

wire_struct! {
    /// The unit's commanded state: what it drives its actuators towards.
    pub struct Setpoints {
        pub pump_rpm: u16,
        pub clamp: ClampState,
        pub sweep_ml_min: u16,
        pub fdo2_permille: u16,
        /// Heater target, 0.01 °C; 0 = heater off.
        pub heater_centi_c: u16,
    }
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

wire_struct! {
    /// Console -> unit, the first tagged frame of a session: the console's proof that it holds the
    /// pairing key. Only after it does the unit make this connection the session (DEV-6, DEV-8).
    pub struct Auth {
        pub proof: [u8; PROOF_LEN],
    }
}

wire_struct! {
    /// Unit -> console, the unit's first tagged frame of a session: the session is open; the
    /// timing in force, who the unit is, and what it is doing now, so that a (re)connecting console
    /// takes over without a bump (DEV-7).
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
}

wire_struct! {
    /// Both directions, every heartbeat period.
    pub struct Heartbeat {
        /// Sender's monotonic uptime, ms (wraps after 49.7 days).
        pub uptime_ms: u32,
        /// Unit: [`state`] flags. Console: 0.
        pub state: u16,
        /// Frames the sender rejected in this session (CRC, framing, sequence), wrapping.
        pub rx_rejected: u16,
    }
}

wire_enum! {
    /// Return-line clamp position.
    pub enum ClampState {
        Open = 0,
        Closed = 1,
    }
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

wire_enum! {
    /// Result of a command, in its Ack.
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
}

wire_struct! {
    /// Unit -> console: answers one command frame.
    pub struct Ack {
        /// Sequence number of the command frame answered.
        pub acked_seq: u16,
        /// Its type code.
        pub acked_type: u8,
        pub result: AckResult,
    }
}

wire_struct! {
    /// Unit -> console at the sensor rate (100 Hz or more). Raw scaled integers as on the wire;
    /// use the accessor methods for physical values. A channel whose validity bit is clear must
    /// not be used, whatever its value.
    #[derive(Default)]
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

wire_enum! {
    /// Fault severity.
    pub enum Severity {
        Info = 1,
        Warning = 2,
        Critical = 3,
    }
}

wire_struct! {
    /// Unit -> console: a fault raised or cleared; active faults are repeated every second.
    pub struct Fault {
        pub code: u16,
        pub active: bool,
        pub severity: Severity,
        /// Code-specific detail (e.g. the validity bit index of a failed sensor).
        pub detail: u32,
        /// Unit uptime when the fault was raised or cleared, ms.
        pub time_ms: u32,
    }
}

wire_enum! {
    /// Why a CRC-valid frame was not acted on (sent back to its sender).
    pub enum ProtocolErrorReason {
        UnknownType = 1,
        BadLength = 2,
        BadField = 3,
        UnsupportedVersion = 4,
        /// A message type the receiver does not accept from this direction.
        WrongDirection = 5,
    }
}

wire_struct! {
    /// Either direction: a well-formed frame was refused.
    pub struct ProtocolError {
        pub reason: ProtocolErrorReason,
        pub offending_seq: u16,
        pub offending_type: u8,
    }
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
                a.status.put(&mut w);
                w.bytes(&a.unit_nonce);
                w.bytes(&a.proof);
            }
            Message::Heartbeat(h) => h.put(&mut w),
            Message::Auth(a) => a.put(&mut w),
            Message::SessionOpen(o) => o.put(&mut w),
            Message::Command(c) => match *c {
                Command::SetPumpSpeed { rpm } => w.u16(rpm),
                Command::SetClamp(s) => s.put(&mut w),
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
            Message::Ack(a) => a.put(&mut w),
            Message::Sensor(s) => s.put(&mut w),
            Message::Fault(f) => f.put(&mut w),
            Message::ProtocolError(e) => e.put(&mut w),
        }
        w.at
    }

    /// Parses a body of type `ty`. The caller has already checked framing and CRC.
    pub(crate) fn read_body(ty: u8, body: &[u8]) -> Result<Message, BodyError> {
        // Of another major's Hello or HelloAck only the frozen prefix is read (§7): enough to
        // answer or report a version mismatch.
        let ours = body.first() == Some(&PROTOCOL_MAJOR);
        let need = match ty {
            ty::HELLO if !ours => body_len::HELLO_FROZEN,
            ty::HELLO_ACK if !ours => body_len::HELLO_ACK_FROZEN,
            t => body_len_of(t).ok_or(BodyError::UnknownType)?,
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
                status: Wire::get(&mut r)?,
                unit_nonce: if ours { r.take() } else { [0; NONCE_LEN] },
                proof: if ours { r.take() } else { [0; PROOF_LEN] },
            }),
            ty::HEARTBEAT => Message::Heartbeat(Wire::get(&mut r)?),
            ty::AUTH => Message::Auth(Wire::get(&mut r)?),
            ty::SESSION_OPEN => Message::SessionOpen(Wire::get(&mut r)?),
            ty::SET_PUMP_SPEED => Message::Command(Command::SetPumpSpeed { rpm: r.u16() }),
            ty::SET_CLAMP => Message::Command(Command::SetClamp(Wire::get(&mut r)?)),
            ty::SET_GAS => Message::Command(Command::SetGas {
                sweep_ml_min: r.u16(),
                fdo2_permille: r.u16(),
            }),
            ty::SET_HEATER => Message::Command(Command::SetHeater {
                target_centi_c: r.u16(),
            }),
            ty::CLEAR_AIR_STOP => Message::Command(Command::ClearAirStop),
            ty::ACK => Message::Ack(Wire::get(&mut r)?),
            ty::SENSOR => Message::Sensor(Wire::get(&mut r)?),
            ty::FAULT => Message::Fault(Wire::get(&mut r)?),
            ty::PROTOCOL_ERROR => Message::ProtocolError(Wire::get(&mut r)?),
            _ => return Err(BodyError::UnknownType),
        };
        Ok(msg)
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
