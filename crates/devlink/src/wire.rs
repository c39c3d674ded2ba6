//! The sending half shared by both ends: numbers frames, tags them, and writes them whole, in
//! order.

use protocol::msg::ty;
use protocol::{MAX_WIRE, Message, SessionKey, encode};
use std::io::{self, Write};
use std::sync::Mutex;

pub(crate) struct FrameSender {
    inner: Mutex<Inner>,
}

struct Inner {
    w: Box<dyn Write + Send>,
    /// The sender's 64-bit frame number of the next tagged frame (docs/protocol.md §4).
    next: u64,
    /// This direction's session key; tagged frames cannot be sent without one.
    key: Option<SessionKey>,
    broken: bool,
}

impl FrameSender {
    pub(crate) fn new(w: Box<dyn Write + Send>) -> Self {
        FrameSender {
            inner: Mutex::new(Inner {
                w,
                next: 1,
                key: None,
                broken: false,
            }),
        }
    }

    /// Tags the frames from now on with `key` (None: only Hello and HelloAck can be sent).
    pub(crate) fn set_key(&self, key: Option<SessionKey>) {
        if let Ok(mut g) = self.inner.lock() {
            g.key = key;
        }
    }

    /// Sends `msg`; returns the sequence number in its header. Hello and HelloAck are number 0
    /// and restart the count: the next tagged frame is number 1 (docs/protocol.md §4). Number
    /// allocation and the write happen under one lock, so frames leave in sequence order — the
    /// receiver would refuse them otherwise.
    pub(crate) fn send(&self, msg: &Message) -> io::Result<u16> {
        let mut g = self
            .inner
            .lock()
            .map_err(|_| io::Error::other("sender lock poisoned"))?;
        if g.broken {
            return Err(io::Error::new(
                io::ErrorKind::BrokenPipe,
                "link closed after a write error",
            ));
        }
        let handshake = ty::is_handshake(msg.type_code());
        let n = if handshake { 0 } else { g.next };
        let mut buf = [0u8; MAX_WIRE];
        let len = encode(n, msg, g.key.as_ref(), &mut buf)
            .map_err(|e| io::Error::other(format!("encode: {e:?}")))?;
        g.next = n + 1;
        let r = g.w.write_all(&buf[..len]).and_then(|_| g.w.flush());
        if r.is_err() {
            g.broken = true;
        }
        r.map(|_| n as u16)
    }
}

/// Milliseconds since `start`, as the protocol's u64 clock.
pub(crate) fn ms_since(start: std::time::Instant) -> u64 {
    start.elapsed().as_millis() as u64
}
