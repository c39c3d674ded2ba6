//! Receive-side sequence checking (docs/protocol.md §4).
//!
//! Each sender numbers its frames 0, 1, 2, … mod 2^16, independently per direction. The
//! receiver accepts a frame only if its number is *newer* than the newest accepted one in serial
//! number arithmetic (RFC 1982): `seq − newest (mod 2^16)` in 1..=32767. Anything else is not
//! acted on: the exact number again, or one seen in the last 64, is a replay; an older one not
//! seen is out of order (it arrived after a newer one); older than the 64-frame window it is
//! too old to tell. Gaps (newer by more than one) are accepted and the missing frames counted
//! as lost.

/// Why a frame's sequence number was refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SeqReject {
    /// Already accepted (duplicate or replay).
    Replay,
    /// Older than the newest accepted frame and not seen before: arrived out of order.
    OutOfOrder,
    /// Older than the 64-frame window: cannot tell replay from reordering.
    TooOld,
}

impl core::fmt::Display for SeqReject {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.write_str(match self {
            SeqReject::Replay => "replayed sequence number",
            SeqReject::OutOfOrder => "out-of-order sequence number",
            SeqReject::TooOld => "sequence number older than the replay window",
        })
    }
}

/// Counters of a [`SeqTracker`].
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct SeqStats {
    pub accepted: u32,
    /// Frames never received (gaps between accepted numbers).
    pub lost: u32,
    pub replayed: u32,
    pub out_of_order: u32,
    pub too_old: u32,
}

impl SeqStats {
    pub fn rejected(&self) -> u32 {
        self.replayed
            .saturating_add(self.out_of_order)
            .saturating_add(self.too_old)
    }
}

/// Width of the replay window (bits of `seen`).
pub const WINDOW: u16 = 64;

/// Tracks one peer's frame numbers: the header's 16 bits, extended to the sender's 64-bit
/// count (docs/protocol.md §4) so that a tag can cover a number that never repeats in a
/// session. Restart it when a new session starts (the handshake frames carry 0).
#[derive(Debug, Clone, Copy, Default)]
pub struct SeqTracker {
    newest: Option<u64>,
    /// Bit i set = `newest − i` was accepted.
    seen: u64,
    stats: SeqStats,
}

impl SeqTracker {
    pub const fn new() -> Self {
        SeqTracker {
            newest: None,
            seen: 0,
            stats: SeqStats {
                accepted: 0,
                lost: 0,
                replayed: 0,
                out_of_order: 0,
                too_old: 0,
            },
        }
    }

    /// Starts a new session whose first frame is `seq` (accepted). Counters are kept.
    pub fn restart(&mut self, seq: u16) {
        self.newest = Some(seq as u64);
        self.seen = 1;
        self.stats.accepted = self.stats.accepted.saturating_add(1);
    }

    pub fn stats(&self) -> SeqStats {
        self.stats
    }

    /// Newest accepted frame number, 64-bit.
    pub fn newest(&self) -> Option<u64> {
        self.newest
    }

    /// The 64-bit number a frame with header number `seq` stands for, if it is newer than the
    /// newest accepted one (1..=32767 ahead in serial-number arithmetic); otherwise why not.
    /// Changes nothing: the caller checks the frame's tag over that number, then
    /// [`SeqTracker::commit`]s it, or [`SeqTracker::count`]s the refusal.
    pub fn peek(&self, seq: u16) -> Result<u64, SeqReject> {
        let Some(newest) = self.newest else {
            return Ok(seq as u64);
        };
        let ahead = seq.wrapping_sub(newest as u16);
        if ahead != 0 && ahead < 0x8000 {
            return Ok(newest.wrapping_add(ahead as u64));
        }
        let behind = (newest as u16).wrapping_sub(seq) as u64;
        Err(if behind >= WINDOW as u64 || behind > newest {
            SeqReject::TooOld
        } else if self.seen & (1u64 << behind) != 0 {
            SeqReject::Replay
        } else {
            SeqReject::OutOfOrder
        })
    }

    /// Accepts frame number `n` (from [`SeqTracker::peek`]); returns how many were lost before it.
    pub fn commit(&mut self, n: u64) -> u64 {
        let lost = match self.newest {
            Some(newest) if n > newest => {
                let ahead = n - newest;
                self.seen = if ahead >= WINDOW as u64 {
                    0
                } else {
                    self.seen << ahead
                };
                ahead - 1
            }
            Some(_) => return 0,
            None => {
                self.seen = 0;
                0
            }
        };
        self.seen |= 1;
        self.newest = Some(n);
        self.stats.accepted = self.stats.accepted.saturating_add(1);
        self.stats.lost = self
            .stats
            .lost
            .saturating_add(lost.min(u32::MAX as u64) as u32);
        lost
    }

    /// Counts a refusal.
    pub fn count(&mut self, r: SeqReject) {
        let c = match r {
            SeqReject::Replay => &mut self.stats.replayed,
            SeqReject::OutOfOrder => &mut self.stats.out_of_order,
            SeqReject::TooOld => &mut self.stats.too_old,
        };
        *c = c.saturating_add(1);
    }

    /// [`SeqTracker::peek`], then commit or count: on `Ok` the frame may be acted on and the
    /// value is how many frames were lost just before it.
    pub fn check(&mut self, seq: u16) -> Result<u16, SeqReject> {
        match self.peek(seq) {
            Ok(n) => Ok(self.commit(n) as u16),
            Err(r) => {
                self.count(r);
                Err(r)
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn in_order_frames_are_accepted_and_gaps_counted() {
        let mut t = SeqTracker::new();
        assert_eq!(t.check(10), Ok(0));
        assert_eq!(t.check(11), Ok(0));
        assert_eq!(t.check(15), Ok(3));
        assert_eq!(t.stats().accepted, 3);
        assert_eq!(t.stats().lost, 3);
    }

    #[test]
    fn replays_are_rejected_and_counted() {
        let mut t = SeqTracker::new();
        for s in 0..10 {
            t.check(s).unwrap();
        }
        assert_eq!(t.check(9), Err(SeqReject::Replay));
        assert_eq!(t.check(3), Err(SeqReject::Replay));
        assert_eq!(t.stats().replayed, 2);
        assert_eq!(t.check(10), Ok(0));
    }

    #[test]
    fn late_frames_are_out_of_order() {
        let mut t = SeqTracker::new();
        t.check(1).unwrap();
        t.check(3).unwrap(); // 2 lost... for now
        assert_eq!(t.check(2), Err(SeqReject::OutOfOrder));
        assert_eq!(t.stats().out_of_order, 1);
        // Acted on never: a second copy of 2 is still not accepted.
        assert_eq!(t.check(2), Err(SeqReject::OutOfOrder));
    }

    #[test]
    fn wrap_around_continues_and_old_frames_stay_old() {
        let mut t = SeqTracker::new();
        t.check(65534).unwrap();
        assert_eq!(t.check(65535), Ok(0));
        assert_eq!(t.check(0), Ok(0));
        assert_eq!(t.check(1), Ok(0));
        assert_eq!(t.check(65535), Err(SeqReject::Replay));
        assert_eq!(t.check(1000u16.wrapping_sub(2000)), Err(SeqReject::TooOld));
        // Half the number space ahead is the boundary: 32767 ahead is new, 32768 is old.
        assert_eq!(t.check(1u16.wrapping_add(32768)), Err(SeqReject::TooOld));
        assert_eq!(t.check(1u16.wrapping_add(32767)), Ok(32766));
    }

    #[test]
    fn window_slides_with_big_jumps() {
        let mut t = SeqTracker::new();
        t.check(0).unwrap();
        t.check(100).unwrap();
        assert_eq!(t.check(0), Err(SeqReject::TooOld));
        assert_eq!(t.check(99), Err(SeqReject::OutOfOrder));
        assert_eq!(t.check(100), Err(SeqReject::Replay));
        assert_eq!(t.check(164), Ok(63));
        assert_eq!(t.check(100), Err(SeqReject::TooOld));
    }

    #[test]
    fn header_numbers_extend_to_64_bits_across_laps() {
        let mut t = SeqTracker::new();
        t.restart(0);
        let mut n = 0u64;
        // Three laps of the 16-bit counter, every frame in order.
        for k in 1..=3 * 65536u64 {
            let seq = k as u16;
            let got = t.peek(seq).unwrap();
            assert_eq!(got, k);
            t.commit(got);
            n = got;
        }
        assert_eq!(t.newest(), Some(n));
        // The same header number a lap later is a new frame; a lap earlier, never.
        assert_eq!(t.peek(5), Ok(3 * 65536 + 5));
        assert_eq!(t.peek((3 * 65536u64) as u16), Err(SeqReject::Replay));
    }

    #[test]
    fn right_after_a_restart_nothing_before_zero_exists() {
        let mut t = SeqTracker::new();
        t.restart(0);
        // 65535 is "one behind 0" in 16 bits, but there was no frame before the handshake.
        assert_eq!(t.peek(65535), Err(SeqReject::TooOld));
        assert_eq!(t.peek(0), Err(SeqReject::Replay));
        assert_eq!(t.check(1), Ok(0));
    }
}
