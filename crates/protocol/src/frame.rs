//! Framing: header + body (+ tag) + CRC-32C, COBS-encoded, 0x00-delimited (docs/protocol.md
//! §3), and the receive-side checks of §3.4 including the tag and the frame number.

use crate::auth::{SessionKey, TAG_LEN};
use crate::cobs;
use crate::crc::crc32c;
use crate::msg::{BodyError, Message, ty};
use crate::seq::{SeqReject, SeqStats, SeqTracker};

/// Protocol major version this crate speaks (header byte 0). 2.0 added the authenticated
/// handshake and the tag on every frame; a 1.0 peer is told so by the frozen Hello/HelloAck.
pub const PROTOCOL_MAJOR: u8 = 2;
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
/// Largest decoded (raw) frame: header, body, tag and CRC.
pub const MAX_RAW: usize = HEADER_LEN + MAX_BODY + TAG_LEN + CRC_LEN;
/// Largest frame on the wire, COBS overhead and both delimiters included. An encode buffer of
/// this size holds any frame.
pub const MAX_WIRE: usize = cobs::max_encoded_len(MAX_RAW) + 2;

/// A decoded, CRC-checked frame; if its type is not Hello or HelloAck, also a frame whose tag
/// verified under the session key and whose number was newer than every one before it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Frame {
    pub seq: u16,
    pub msg: Message,
}

/// Why a frame could not be encoded.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EncodeError {
    /// The output buffer is smaller than the frame ([`MAX_WIRE`] always suffices).
    BufferTooSmall { needed: usize },
    /// Every frame but Hello and HelloAck carries a tag, which needs the session key.
    NoSessionKey,
}

/// Whether a frame of major version `ver` and type `t` carries a tag.
const fn tagged(ver: u8, t: u8) -> bool {
    ver == PROTOCOL_MAJOR && !ty::is_handshake(t)
}

/// Encodes `msg` as the sender's frame number `n` into `out` as `0x00, COBS(raw), 0x00`;
/// returns the number of bytes written. The header carries the low 16 bits of `n`; the tag
/// (every type but Hello and HelloAck) covers all 64 under `key`, the sending direction's
/// session key. Hello and HelloAck are sent as number 0 (docs/protocol.md §4).
///
/// The leading delimiter costs one byte and means line noise received while the line was idle
/// ends as a rejected fragment of its own instead of spoiling the frame that follows.
pub fn encode(
    n: u64,
    msg: &Message,
    key: Option<&SessionKey>,
    out: &mut [u8],
) -> Result<usize, EncodeError> {
    let mut raw = [0u8; MAX_RAW];
    let body_len = msg.write_body(&mut raw[HEADER_LEN..HEADER_LEN + MAX_BODY]);
    let t = msg.type_code();
    raw[0] = PROTOCOL_MAJOR;
    raw[1] = t;
    raw[2..4].copy_from_slice(&(n as u16).to_le_bytes());
    raw[4] = body_len as u8;
    let mut crc_at = HEADER_LEN + body_len;
    if tagged(PROTOCOL_MAJOR, t) {
        let key = key.ok_or(EncodeError::NoSessionKey)?;
        let tag = key.tag(n, &raw[..crc_at]);
        raw[crc_at..crc_at + TAG_LEN].copy_from_slice(&tag);
        crc_at += TAG_LEN;
    }
    let crc = crc32c(&raw[..crc_at]);
    raw[crc_at..crc_at + CRC_LEN].copy_from_slice(&crc.to_le_bytes());
    let raw_len = crc_at + CRC_LEN;
    let needed = cobs::max_encoded_len(raw_len) + 2;
    let too_small = EncodeError::BufferTooSmall { needed };
    let Some((first, rest)) = out.split_first_mut() else {
        return Err(too_small);
    };
    *first = DELIMITER;
    let n = cobs::encode(&raw[..raw_len], rest).ok_or(too_small)?;
    match rest.get_mut(n) {
        Some(slot) => *slot = DELIMITER,
        None => return Err(too_small),
    }
    Ok(n + 2)
}

/// Why a frame was rejected. Every variant but `Sequence` is counted by [`DecodeStats`];
/// `Sequence` by the decoder's [`SeqStats`].
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
    /// A frame that needs a tag arrived with no session key to check it against: nobody
    /// has proved the pairing key on this link (a stranger, or a frame before the handshake).
    Unauthenticated { ty: u8, seq: u16 },
    /// The tag does not verify: forged, altered, from another session or another lap of the
    /// 16-bit counter.
    BadTag { ty: u8, seq: u16 },
    /// The frame number is not newer than the newest accepted one (replayed, reordered).
    Sequence { seq: u16, reject: SeqReject },
    /// Authentic frame of a type this version does not define.
    UnknownType { ty: u8, seq: u16 },
    /// Authentic frame whose body is shorter than its type needs.
    BadLength { ty: u8, seq: u16, need: u8, got: u8 },
    /// Authentic frame with a field outside its enumeration (byte offset in the body).
    BadField { ty: u8, seq: u16, offset: u8 },
}

impl DecodeError {
    /// The sequence number and type of an authentic frame that was refused, for a
    /// ProtocolError reply; `None` for frames that may not have been meant as they arrived or
    /// whose sender is not known.
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
            DecodeError::Unauthenticated { ty, seq } => {
                write!(
                    f,
                    "message type {ty:#04x} (seq {seq}) outside an authenticated session"
                )
            }
            DecodeError::BadTag { ty, seq } => {
                write!(f, "message type {ty:#04x} (seq {seq}): tag does not verify")
            }
            DecodeError::Sequence { seq, reject } => write!(f, "seq {seq}: {reject}"),
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

/// Decodes one raw (COBS-decoded, delimiter-free) frame outside any session: Hello and HelloAck
/// are handed out, every other frame is [`DecodeError::Unauthenticated`] (once its framing and
/// CRC checked out). A [`Decoder`] with a session key checks tags and numbers.
pub fn decode_raw(raw: &[u8]) -> Result<Frame, DecodeError> {
    decode_with(raw, None)
}

/// The checks of docs/protocol.md §3.4 in order: framing, CRC, version, then (for every type
/// but Hello and HelloAck) the frame number and the tag, and only then the body.
fn decode_with(
    raw: &[u8],
    session: Option<(&SessionKey, &mut SeqTracker)>,
) -> Result<Frame, DecodeError> {
    if raw.len() < HEADER_LEN + CRC_LEN {
        return Err(DecodeError::Truncated {
            expected: HEADER_LEN + CRC_LEN,
            got: raw.len(),
        });
    }
    let (ver, t) = (raw[0], raw[1]);
    let has_tag = tagged(ver, t);
    let body_end = HEADER_LEN + raw[4] as usize;
    let crc_at = body_end + if has_tag { TAG_LEN } else { 0 };
    let expected = crc_at + CRC_LEN;
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
    let seq = u16::from_le_bytes([raw[2], raw[3]]);
    // Hello and HelloAck keep their header and body prefix in every major version, so that two
    // sides of different majors can still tell each other so (§7).
    if ver != PROTOCOL_MAJOR && !ty::is_handshake(t) {
        return Err(DecodeError::Version { got: ver });
    }
    if has_tag {
        // Authenticate before anything of the body is looked at.
        let Some((key, tracker)) = session else {
            return Err(DecodeError::Unauthenticated { ty: t, seq });
        };
        let n = match tracker.peek(seq) {
            Ok(n) => n,
            Err(reject) => {
                tracker.count(reject);
                return Err(DecodeError::Sequence { seq, reject });
            }
        };
        if !key.verify(n, &raw[..body_end], &raw[body_end..crc_at]) {
            return Err(DecodeError::BadTag { ty: t, seq });
        }
        tracker.commit(n);
    }
    let body = &raw[HEADER_LEN..body_end];
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

/// Counts of everything a [`Decoder`] saw, by outcome (frame-number refusals are in its
/// [`SeqStats`]).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct DecodeStats {
    pub frames: u32,
    pub oversize: u32,
    pub cobs: u32,
    pub truncated: u32,
    pub length: u32,
    pub crc: u32,
    pub version: u32,
    /// Frames that needed a tag outside an authenticated session.
    pub unauthenticated: u32,
    /// Frames whose tag did not verify.
    pub bad_tag: u32,
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
            .saturating_add(self.unauthenticated)
            .saturating_add(self.bad_tag)
            .saturating_add(self.unknown_type)
            .saturating_add(self.bad_length)
            .saturating_add(self.bad_field)
    }

    /// Frames refused because their sender did not prove the key (no session, bad tag).
    pub fn unauthentic(&self) -> u32 {
        self.unauthenticated.saturating_add(self.bad_tag)
    }

    /// Sums two sets of counts, saturating (a unit runs for weeks; a wrapped counter would lie).
    pub fn add(&self, o: &DecodeStats) -> DecodeStats {
        DecodeStats {
            frames: self.frames.saturating_add(o.frames),
            oversize: self.oversize.saturating_add(o.oversize),
            cobs: self.cobs.saturating_add(o.cobs),
            truncated: self.truncated.saturating_add(o.truncated),
            length: self.length.saturating_add(o.length),
            crc: self.crc.saturating_add(o.crc),
            version: self.version.saturating_add(o.version),
            unauthenticated: self.unauthenticated.saturating_add(o.unauthenticated),
            bad_tag: self.bad_tag.saturating_add(o.bad_tag),
            unknown_type: self.unknown_type.saturating_add(o.unknown_type),
            bad_length: self.bad_length.saturating_add(o.bad_length),
            bad_field: self.bad_field.saturating_add(o.bad_field),
        }
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
            Err(DecodeError::Unauthenticated { .. }) => &mut self.unauthenticated,
            Err(DecodeError::BadTag { .. }) => &mut self.bad_tag,
            // Counted by the sequence tracker.
            Err(DecodeError::Sequence { .. }) => return,
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
///
/// Without a session key only Hello and HelloAck come out; every other frame is refused as
/// [`DecodeError::Unauthenticated`]. After [`Decoder::open_session`] with the peer's direction
/// key, frames come out only if their tag verifies and their number is newer than every one
/// accepted before (docs/protocol.md §4).
#[derive(Clone)]
pub struct Decoder {
    buf: [u8; MAX_WIRE],
    len: usize,
    /// Set after the buffer filled up; everything up to the next delimiter is dropped.
    overflow: bool,
    stats: DecodeStats,
    key: Option<SessionKey>,
    seq: SeqTracker,
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
            key: None,
            seq: SeqTracker::new(),
        }
    }

    /// Counts so far.
    pub fn stats(&self) -> DecodeStats {
        self.stats
    }

    /// Frame-number counts of the sessions so far.
    pub fn seq_stats(&self) -> SeqStats {
        self.seq.stats()
    }

    /// Whether a session key is set.
    pub fn in_session(&self) -> bool {
        self.key.is_some()
    }

    /// Starts checking tagged frames against `key` (the peer's direction), numbered from the
    /// handshake frame's 0: the first tagged frame must be number 1 or later.
    pub fn open_session(&mut self, key: SessionKey) {
        self.key = Some(key);
        self.seq.restart(0);
    }

    /// Forgets the session key: tagged frames are refused again.
    pub fn close_session(&mut self) {
        self.key = None;
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
                Ok(n) => {
                    let session = self.key.as_ref().map(|k| (k, &mut self.seq));
                    decode_with(&raw[..n], session)
                }
                Err(cobs::CobsError::TooLong) => Err(DecodeError::Oversize),
                Err(_) => Err(DecodeError::Cobs),
            }
        };
        self.len = 0;
        self.overflow = false;
        self.stats.count(&result);
        Some(result)
    }

    /// Feeds a chunk, calling `on_frame` for every result in order. A handler that must open
    /// a session between two frames of one chunk uses [`Decoder::push`] instead.
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
        unauthenticated: 0,
        bad_tag: 0,
        unknown_type: 0,
        bad_length: 0,
        bad_field: 0,
    }
}
