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

/// Tracks one peer's sequence numbers. Reset it when a new session starts (Hello/HelloAck).
#[derive(Debug, Clone, Copy, Default)]
pub struct SeqTracker {
    newest: Option<u16>,
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
        self.newest = Some(seq);
        self.seen = 1;
        self.stats.accepted = self.stats.accepted.saturating_add(1);
    }

    pub fn stats(&self) -> SeqStats {
        self.stats
    }

    /// Newest accepted sequence number.
    pub fn newest(&self) -> Option<u16> {
        self.newest
    }

    /// Checks `seq`; on `Ok` the frame may be acted on and returns how many frames were lost
    /// just before it.
    pub fn check(&mut self, seq: u16) -> Result<u16, SeqReject> {
        let Some(newest) = self.newest else {
            self.restart(seq);
            return Ok(0);
        };
        let ahead = seq.wrapping_sub(newest);
        if ahead != 0 && ahead < 0x8000 {
            let lost = ahead - 1;
            self.seen = if ahead >= WINDOW {
                0
            } else {
                self.seen << ahead
            };
            self.seen |= 1;
            self.newest = Some(seq);
            self.stats.accepted = self.stats.accepted.saturating_add(1);
            self.stats.lost = self.stats.lost.saturating_add(lost as u32);
            return Ok(lost);
        }
        let behind = newest.wrapping_sub(seq);
        let verdict = if behind >= WINDOW {
            SeqReject::TooOld
        } else if self.seen & (1u64 << behind) != 0 {
            SeqReject::Replay
        } else {
            SeqReject::OutOfOrder
        };
        let c = match verdict {
            SeqReject::Replay => &mut self.stats.replayed,
            SeqReject::OutOfOrder => &mut self.stats.out_of_order,
            SeqReject::TooOld => &mut self.stats.too_old,
        };
        *c = c.saturating_add(1);
        Err(verdict)
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
}
