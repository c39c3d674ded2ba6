//! The sending half shared by both ends: numbers frames and writes them whole, in order.

use protocol::{MAX_WIRE, Message, encode};
use std::io::{self, Write};
use std::sync::Mutex;

pub(crate) struct FrameSender {
    inner: Mutex<Inner>,
}

struct Inner {
    w: Box<dyn Write + Send>,
    next_seq: u16,
    broken: bool,
}

impl FrameSender {
    pub(crate) fn new(w: Box<dyn Write + Send>) -> Self {
        FrameSender {
            inner: Mutex::new(Inner {
                w,
                next_seq: 0,
                broken: false,
            }),
        }
    }

    /// Sends `msg` under the next sequence number; returns that number. Number allocation and
    /// the write happen under one lock, so frames leave in sequence order — the receiver would
    /// refuse them otherwise.
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
        let seq = g.next_seq;
        let mut buf = [0u8; MAX_WIRE];
        let n = encode(seq, msg, &mut buf)
            .map_err(|e| io::Error::other(format!("encode: buffer {e:?}")))?;
        g.next_seq = seq.wrapping_add(1);
        let r = g.w.write_all(&buf[..n]).and_then(|_| g.w.flush());
        if r.is_err() {
            g.broken = true;
        }
        r.map(|_| seq)
    }
}

/// Milliseconds since `start`, as the protocol's u64 clock.
pub(crate) fn ms_since(start: std::time::Instant) -> u64 {
    start.elapsed().as_millis() as u64
}
