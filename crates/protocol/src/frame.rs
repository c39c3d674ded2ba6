//! Framing: header + body + CRC-32C, COBS-encoded, 0x00-delimited (docs/protocol.md §3).

use crate::cobs;
use crate::crc::crc32c;
use crate::msg::{BodyError, Message, ty};

/// Protocol major version this crate speaks (header byte 0).
pub const PROTOCOL_MAJOR: u8 = 1;
/// Protocol minor version this crate speaks.
pub const PROTOCOL_MINOR: u8 = 0;
/// Frame delimiter on the wire.
pub const DELIMITER: u8 = 0x00;
/// Header: version, type, sequence (u16 LE), body length.
pub const HEADER_LEN: usize = 5;
/// Trailing CRC-32C.
pub const CRC_LEN: usize = 4;
/// Largest body a frame may carry (the length field is one byte).
pub const MAX_BODY: usize = 255;
/// Largest decoded (raw) frame.
pub const MAX_RAW: usize = HEADER_LEN + MAX_BODY + CRC_LEN;
/// Largest frame on the wire, COBS overhead and both delimiters included. An encode buffer of
/// this size holds any frame.
pub const MAX_WIRE: usize = cobs::max_encoded_len(MAX_RAW) + 2;

/// A decoded, CRC-checked frame.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Frame {
    pub seq: u16,
    pub msg: Message,
}

/// Encoding failed: the output buffer is smaller than the frame. Nothing else can fail.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct BufferTooSmall {
    pub needed: usize,
}

/// Encodes `msg` with sequence number `seq` into `out` as `0x00, COBS(raw), 0x00`; returns the
/// number of bytes written. A buffer of [`MAX_WIRE`] bytes always suffices.
///
/// The leading delimiter costs one byte and means line noise received while the line was idle
/// ends as a rejected fragment of its own instead of spoiling the frame that follows.
pub fn encode(seq: u16, msg: &Message, out: &mut [u8]) -> Result<usize, BufferTooSmall> {
    let mut raw = [0u8; MAX_RAW];
    let body_len = msg.write_body(&mut raw[HEADER_LEN..HEADER_LEN + MAX_BODY]);
    raw[0] = PROTOCOL_MAJOR;
    raw[1] = msg.type_code();
    raw[2..4].copy_from_slice(&seq.to_le_bytes());
    raw[4] = body_len as u8;
    let crc_at = HEADER_LEN + body_len;
    let crc = crc32c(&raw[..crc_at]);
    raw[crc_at..crc_at + CRC_LEN].copy_from_slice(&crc.to_le_bytes());
    let raw_len = crc_at + CRC_LEN;
    let needed = cobs::max_encoded_len(raw_len) + 2;
    let Some((first, rest)) = out.split_first_mut() else {
        return Err(BufferTooSmall { needed });
    };
    *first = DELIMITER;
    let n = cobs::encode(&raw[..raw_len], rest).ok_or(BufferTooSmall { needed })?;
    match rest.get_mut(n) {
        Some(slot) => *slot = DELIMITER,
        None => return Err(BufferTooSmall { needed }),
    }
    Ok(n + 2)
}

/// Why a frame was rejected. Every variant is counted by [`DecodeStats`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DecodeError {
    /// More than [`MAX_WIRE`] bytes without a delimiter: discarded up to the next delimiter.
    Oversize,
    /// The COBS block is malformed (a code byte points past the delimiter): bytes were lost.
    Cobs,
    /// Shorter than a header and CRC, or shorter than its length field says: bytes were lost.
    Truncated { expected: usize, got: usize },
    /// Longer than its length field says.
    LengthMismatch { expected: usize, got: usize },
    /// The CRC-32C does not match: corrupted in transit.
    Crc { expected: u32, got: u32 },
    /// Header major version is not [`PROTOCOL_MAJOR`] (Hello/HelloAck excepted).
    Version { got: u8 },
    /// CRC-valid frame of a type this version does not define.
    UnknownType { ty: u8, seq: u16 },
    /// CRC-valid frame whose body is shorter than its type needs.
    BadLength { ty: u8, seq: u16, need: u8, got: u8 },
    /// CRC-valid frame with a field outside its enumeration (byte offset in the body).
    BadField { ty: u8, seq: u16, offset: u8 },
}

impl DecodeError {
    /// The sequence number and type of a frame that passed its CRC but was refused, for a
    /// ProtocolError reply; `None` for frames that may not have been meant as they arrived.
    pub fn offending(&self) -> Option<(u16, u8)> {
        match *self {
            DecodeError::UnknownType { ty, seq }
            | DecodeError::BadLength { ty, seq, .. }
            | DecodeError::BadField { ty, seq, .. } => Some((seq, ty)),
            _ => None,
        }
    }
}

impl core::fmt::Display for DecodeError {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        match *self {
            DecodeError::Oversize => {
                write!(f, "frame longer than {MAX_WIRE} bytes without delimiter")
            }
            DecodeError::Cobs => write!(f, "malformed COBS block (bytes lost)"),
            DecodeError::Truncated { expected, got } => {
                write!(f, "truncated frame: {got} bytes, expected {expected}")
            }
            DecodeError::LengthMismatch { expected, got } => {
                write!(
                    f,
                    "frame length {got} disagrees with length field ({expected})"
                )
            }
            DecodeError::Crc { expected, got } => {
                write!(
                    f,
                    "CRC mismatch: frame says {expected:#010x}, computed {got:#010x}"
                )
            }
            DecodeError::Version { got } => {
                write!(
                    f,
                    "protocol major version {got}, this side speaks {PROTOCOL_MAJOR}"
                )
            }
            DecodeError::UnknownType { ty, seq } => {
                write!(f, "unknown message type {ty:#04x} (seq {seq})")
            }
            DecodeError::BadLength { ty, seq, need, got } => {
                write!(
                    f,
                    "message type {ty:#04x} (seq {seq}): body {got} bytes, needs {need}"
                )
            }
            DecodeError::BadField { ty, seq, offset } => {
                write!(
                    f,
                    "message type {ty:#04x} (seq {seq}): invalid value at body byte {offset}"
                )
            }
        }
    }
}

/// Decodes one raw (COBS-decoded, delimiter-free) frame.
pub fn decode_raw(raw: &[u8]) -> Result<Frame, DecodeError> {
    if raw.len() < HEADER_LEN + CRC_LEN {
        return Err(DecodeError::Truncated {
            expected: HEADER_LEN + CRC_LEN,
            got: raw.len(),
        });
    }
    let expected = HEADER_LEN + raw[4] as usize + CRC_LEN;
    if raw.len() < expected {
        return Err(DecodeError::Truncated {
            expected,
            got: raw.len(),
        });
    }
    if raw.len() > expected {
        return Err(DecodeError::LengthMismatch {
            expected,
            got: raw.len(),
        });
    }
    let crc_at = expected - CRC_LEN;
    let computed = crc32c(&raw[..crc_at]);
    let stated = u32::from_le_bytes([
        raw[crc_at],
        raw[crc_at + 1],
        raw[crc_at + 2],
        raw[crc_at + 3],
    ]);
    if computed != stated {
        return Err(DecodeError::Crc {
            expected: stated,
            got: computed,
        });
    }
    let (ver, t) = (raw[0], raw[1]);
    let seq = u16::from_le_bytes([raw[2], raw[3]]);
    // Hello and HelloAck keep their header and body prefix in every major version, so that two
    // sides of different majors can still tell each other so (§7).
    if ver != PROTOCOL_MAJOR && t != ty::HELLO && t != ty::HELLO_ACK {
        return Err(DecodeError::Version { got: ver });
    }
    let body = &raw[HEADER_LEN..crc_at];
    match Message::read_body(t, body) {
        Ok(msg) => Ok(Frame { seq, msg }),
        Err(BodyError::UnknownType) => Err(DecodeError::UnknownType { ty: t, seq }),
        Err(BodyError::TooShort { need }) => Err(DecodeError::BadLength {
            ty: t,
            seq,
            need,
            got: body.len() as u8,
        }),
        Err(BodyError::BadField { offset }) => Err(DecodeError::BadField { ty: t, seq, offset }),
    }
}

/// Counts of everything a [`Decoder`] saw, by outcome.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct DecodeStats {
    pub frames: u32,
    pub oversize: u32,
    pub cobs: u32,
    pub truncated: u32,
    pub length: u32,
    pub crc: u32,
    pub version: u32,
    pub unknown_type: u32,
    pub bad_length: u32,
    pub bad_field: u32,
}

impl DecodeStats {
    /// All rejected frames.
    pub fn rejected(&self) -> u32 {
        self.oversize
            .saturating_add(self.cobs)
            .saturating_add(self.truncated)
            .saturating_add(self.length)
            .saturating_add(self.crc)
            .saturating_add(self.version)
            .saturating_add(self.unknown_type)
            .saturating_add(self.bad_length)
            .saturating_add(self.bad_field)
    }

    fn count(&mut self, r: &Result<Frame, DecodeError>) {
        let c = match r {
            Ok(_) => &mut self.frames,
            Err(DecodeError::Oversize) => &mut self.oversize,
            Err(DecodeError::Cobs) => &mut self.cobs,
            Err(DecodeError::Truncated { .. }) => &mut self.truncated,
            Err(DecodeError::LengthMismatch { .. }) => &mut self.length,
            Err(DecodeError::Crc { .. }) => &mut self.crc,
            Err(DecodeError::Version { .. }) => &mut self.version,
            Err(DecodeError::UnknownType { .. }) => &mut self.unknown_type,
            Err(DecodeError::BadLength { .. }) => &mut self.bad_length,
            Err(DecodeError::BadField { .. }) => &mut self.bad_field,
        };
        *c = c.saturating_add(1);
    }
}

/// Streaming decoder: feed it bytes as they arrive, in any chunking; it yields one result per
/// delimiter. Garbage, partial frames and over-long runs are rejected with a reason and the
/// decoder is back in step at the next 0x00. Fixed memory ([`MAX_WIRE`] bytes), no panics.
#[derive(Clone)]
pub struct Decoder {
    buf: [u8; MAX_WIRE],
    len: usize,
    /// Set after the buffer filled up; everything up to the next delimiter is dropped.
    overflow: bool,
    stats: DecodeStats,
}

impl Default for Decoder {
    fn default() -> Self {
        Self::new()
    }
}

impl Decoder {
    pub const fn new() -> Self {
        Decoder {
            buf: [0; MAX_WIRE],
            len: 0,
            overflow: false,
            stats: zero_stats(),
        }
    }

    /// Counts so far.
    pub fn stats(&self) -> DecodeStats {
        self.stats
    }

    /// Forgets any partial frame (e.g. after reconnecting a transport).
    pub fn reset(&mut self) {
        self.len = 0;
        self.overflow = false;
    }

    /// Takes one byte; returns a result when the byte ends a frame. Empty frames (two
    /// delimiters in a row, idle fill) yield nothing.
    pub fn push(&mut self, byte: u8) -> Option<Result<Frame, DecodeError>> {
        if byte != DELIMITER {
            if self.overflow {
                return None;
            }
            if self.len == self.buf.len() {
                self.overflow = true;
                self.len = 0;
                return None;
            }
            self.buf[self.len] = byte;
            self.len += 1;
            return None;
        }
        let result = if self.overflow {
            Err(DecodeError::Oversize)
        } else if self.len == 0 {
            return None;
        } else {
            let mut raw = [0u8; MAX_RAW];
            match cobs::decode(&self.buf[..self.len], &mut raw) {
                Ok(n) => decode_raw(&raw[..n]),
                Err(cobs::CobsError::TooLong) => Err(DecodeError::Oversize),
                Err(_) => Err(DecodeError::Cobs),
            }
        };
        self.len = 0;
        self.overflow = false;
        self.stats.count(&result);
        Some(result)
    }

    /// Feeds a chunk, calling `on_frame` for every result in order.
    pub fn feed(&mut self, bytes: &[u8], mut on_frame: impl FnMut(Result<Frame, DecodeError>)) {
        for &b in bytes {
            if let Some(r) = self.push(b) {
                on_frame(r);
            }
        }
    }
}

const fn zero_stats() -> DecodeStats {
    DecodeStats {
        frames: 0,
        oversize: 0,
        cobs: 0,
        truncated: 0,
        length: 0,
        crc: 0,
        version: 0,
        unknown_type: 0,
        bad_length: 0,
        bad_field: 0,
    }
}
