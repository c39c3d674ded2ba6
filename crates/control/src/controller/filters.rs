//! The stateful building blocks of the phases: the stepwise speed reducer of the pressure
//! interventions, the first-order low-pass, the ΔP resistance trend and the arterial pulse
//! pressure.

use super::{PULSE_FILTER_S, PULSE_WINDOW_MS, TREND_BUCKET_MS, TREND_BUCKETS};

/// Stepwise speed reduction with slow return and back-off (INT-1, INT-2).
#[derive(Clone, Copy, Debug, PartialEq)]
pub(super) struct Reducer {
    pub(super) reduction: f32,
    last_step_ms: u64,
    recovered_since_ms: Option<u64>,
    returning: bool,
    /// Reduction held at least until `floor_until_ms` after a recurrence.
    floor: f32,
    floor_until_ms: u64,
    recurrences: u32,
}

pub(super) struct ReducerTuning {
    pub(super) step: f32,
    pub(super) step_ms: u64,
    pub(super) hold_ms: u64,
    pub(super) return_rate: f32,
    pub(super) backoff_ms: u64,
}

impl Reducer {
    pub(super) const NEW: Reducer = Reducer {
        reduction: 0.0,
        last_step_ms: 0,
        recovered_since_ms: None,
        returning: false,
        floor: 0.0,
        floor_until_ms: 0,
        recurrences: 0,
    };

    /// `beyond`: the pressure is past its limit; `recovered`: back inside by the hysteresis.
    /// `max_reduction` keeps the speed above the floor.
    pub(super) fn update(
        &mut self,
        now_ms: u64,
        dt_s: f32,
        beyond: bool,
        recovered: bool,
        max_reduction: f32,
        t: &ReducerTuning,
    ) {
        if beyond {
            self.recovered_since_ms = None;
            if self.reduction <= 0.0 || now_ms.saturating_sub(self.last_step_ms) >= t.step_ms {
                if self.returning {
                    // It came back while we were returning: hold below this speed for a while
                    // (doubling each time) so the loop does not oscillate.
                    self.recurrences = self.recurrences.saturating_add(1);
                    let k = self.recurrences.min(4);
                    self.floor = self.reduction + t.step;
                    self.floor_until_ms = now_ms.saturating_add(t.backoff_ms << (k - 1));
                    self.returning = false;
                }
                self.reduction += t.step;
                self.last_step_ms = now_ms;
            }
        } else if recovered {
            let since = *self.recovered_since_ms.get_or_insert(now_ms);
            if now_ms.saturating_sub(since) >= t.hold_ms && self.reduction > 0.0 {
                let floor = if now_ms < self.floor_until_ms {
                    self.floor
                } else {
                    0.0
                };
                let next = (self.reduction - t.return_rate * dt_s).max(floor).max(0.0);
                if next < self.reduction {
                    self.returning = true;
                }
                self.reduction = next;
                if self.reduction <= 0.0 {
                    self.returning = false;
                }
            }
        }
        self.reduction = self.reduction.clamp(0.0, max_reduction.max(0.0));
    }

    pub(super) fn reset(&mut self) {
        *self = Reducer::NEW;
    }
}

/// First-order low-pass.
#[derive(Clone, Copy, Debug, PartialEq)]
pub(super) struct Lp {
    pub(super) y: Option<f32>,
}

impl Lp {
    pub(super) const NEW: Lp = Lp { y: None };
    pub(super) fn update(&mut self, x: Option<f32>, dt_s: f32, tau_s: f32) -> Option<f32> {
        match x {
            Some(x) => {
                let a = if tau_s > 0.0 {
                    (dt_s / (tau_s + dt_s)).clamp(0.0, 1.0)
                } else {
                    1.0
                };
                let y = match self.y {
                    Some(y) => y + a * (x - y),
                    None => x,
                };
                self.y = Some(y);
                Some(y)
            }
            None => {
                self.y = None;
                None
            }
        }
    }
}

/// ΔP resistance trend (MON-2).
#[derive(Clone, Copy, Debug, PartialEq)]
pub(super) struct Trend {
    bucket_start_ms: u64,
    sum: f32,
    n: u32,
    buckets: [Option<f32>; TREND_BUCKETS],
    filled: usize,
}

impl Trend {
    pub(super) const NEW: Trend = Trend {
        bucket_start_ms: 0,
        sum: 0.0,
        n: 0,
        buckets: [None; TREND_BUCKETS],
        filled: 0,
    };

    pub(super) fn update(&mut self, now_ms: u64, resistance: Option<f32>) {
        if self.filled == 0 && self.n == 0 && self.bucket_start_ms == 0 {
            self.bucket_start_ms = now_ms;
        }
        if let Some(r) = resistance {
            self.sum += r;
            self.n += 1;
        }
        if now_ms.saturating_sub(self.bucket_start_ms) >= TREND_BUCKET_MS {
            let avg = if self.n > 0 {
                Some(self.sum / self.n as f32)
            } else {
                None
            };
            self.buckets.copy_within(1.., 0);
            if let Some(last) = self.buckets.last_mut() {
                *last = avg;
            }
            self.filled = (self.filled + 1).min(TREND_BUCKETS);
            self.sum = 0.0;
            self.n = 0;
            self.bucket_start_ms = now_ms;
        }
    }

    /// Rise of resistance over the last hour, mmHg·min/L per hour, when an hour of data exists.
    pub(super) fn rise_per_hour(&self) -> Option<f32> {
        if self.filled < TREND_BUCKETS {
            return None;
        }
        let newest = self.buckets.last().copied().flatten()?;
        let oldest = self.buckets.first().copied().flatten()?;
        Some(newest - oldest)
    }
}

/// Arterial pulse pressure (MON-11): the span (maximum − minimum) of the lightly smoothed
/// arterial-line pressure over consecutive windows of [`PULSE_WINDOW_MS`]. A window holds at
/// least one beat down to 15 beats/min, so its span is the pulse pressure (plus the breathing
/// swing); the smoothing ([`PULSE_FILTER_S`]) takes the line's sample noise out of the span
/// without flattening a beat's upstroke (about 0.1 s). A window in which any sample was
/// missing or implausible gives no value: a pulse pressure is only reported from a whole
/// window of good samples, so a dropout can neither raise nor clear the alarm.
#[derive(Clone, Copy, Debug, PartialEq)]
pub(super) struct Pulse {
    smooth: Lp,
    start_ms: Option<u64>,
    min: f32,
    max: f32,
    complete: bool,
    last: Option<f32>,
}

impl Pulse {
    pub(super) const NEW: Pulse = Pulse {
        smooth: Lp::NEW,
        start_ms: None,
        min: f32::INFINITY,
        max: f32::NEG_INFINITY,
        complete: true,
        last: None,
    };

    /// One step's plausible arterial pressure (`None`: missing or rejected). Answers the pulse
    /// pressure of the last complete window, mmHg.
    pub(super) fn update(&mut self, now_ms: u64, p: Option<f32>, dt_s: f32) -> Option<f32> {
        let y = self.smooth.update(p, dt_s, PULSE_FILTER_S);
        let start = *self.start_ms.get_or_insert(now_ms);
        match y {
            Some(y) => {
                self.min = self.min.min(y);
                self.max = self.max.max(y);
            }
            None => {
                self.complete = false;
                self.last = None;
            }
        }
        if now_ms.saturating_sub(start) >= PULSE_WINDOW_MS {
            if self.complete && self.max >= self.min {
                self.last = Some(self.max - self.min);
            }
            self.start_ms = Some(now_ms);
            self.min = f32::INFINITY;
            self.max = f32::NEG_INFINITY;
            self.complete = y.is_some();
        }
        self.last
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const TUNE: ReducerTuning = ReducerTuning {
        step: 100.0,
        step_ms: 1_000,
        hold_ms: 2_000,
        return_rate: 50.0,
        backoff_ms: 10_000,
    };

    /// Runs the reducer every 10 ms over `[from, to)`: beyond the limit, or recovered, or
    /// neither; answers the reduction at the end.
    fn drive(r: &mut Reducer, from: u64, to: u64, beyond: bool, recovered: bool) -> f32 {
        let mut t = from;
        while t < to {
            r.update(t, 0.01, beyond, recovered, 1_000.0, &TUNE);
            t += 10;
        }
        r.reduction
    }

    /// INT-1/INT-2: one step at once, another each step interval while beyond; held for the
    /// hold time once recovered, then returned at the return rate to zero (and no further);
    /// neither beyond nor recovered (inside the hysteresis) holds.
    #[test]
    fn reducer_steps_holds_and_returns() {
        let mut r = Reducer::NEW;
        assert_eq!(drive(&mut r, 0, 10, true, false), 100.0);
        assert_eq!(drive(&mut r, 10, 1_000, true, false), 100.0);
        assert_eq!(drive(&mut r, 1_000, 1_010, true, false), 200.0);
        assert_eq!(drive(&mut r, 1_010, 5_000, false, false), 200.0);
        assert_eq!(drive(&mut r, 5_000, 6_990, false, true), 200.0, "held");
        // 2 s after recovery the return starts: 50 rpm/s.
        let after = drive(&mut r, 6_990, 8_990, false, true);
        assert!((after - 100.0).abs() < 1.0, "{after}");
        assert_eq!(drive(&mut r, 8_990, 20_000, false, true), 0.0);
        assert!(
            !r.returning,
            "a finished return is not a return in progress"
        );
    }

    /// INT-1/INT-2 back-off: a pressure that comes back while the speed is being returned
    /// takes another step, and the reduction is then held at least at that level for the
    /// back-off time, doubled at each recurrence up to eight times.
    #[test]
    fn reducer_backs_off_longer_at_each_recurrence() {
        let mut r = Reducer::NEW;
        drive(&mut r, 0, 10, true, false);
        let mut t = 10;
        for k in 0..5u32 {
            // Recovered: held 2 s, then returning (a little under 100 rpm by 0.5 s later).
            let returning = drive(&mut r, t, t + 2_500, false, true);
            assert!(returning < 100.0 && returning > 50.0, "{k}: {returning}");
            assert!(r.returning);
            t += 2_500;
            // Back beyond: a step on top, and the floor = that level.
            let stepped = drive(&mut r, t, t + 10, true, false);
            assert_eq!(stepped, returning + 100.0, "{k}");
            t += 10;
            let backoff = 10_000u64 << k.min(3);
            let until = t - 10 + backoff;
            // Recovered again: never below the floor until the back-off ends...
            let held = drive(&mut r, t, until, false, true);
            assert_eq!(held, stepped, "{k}: held for {backoff} ms");
            // ...and from that very step returned to zero.
            assert!(
                drive(&mut r, until, until + 10, false, true) < stepped,
                "{k}"
            );
            let back = drive(&mut r, until + 10, t + backoff + 20_000, false, true);
            assert_eq!(back, 0.0, "{k}");
            t += backoff + 20_000;
            drive(&mut r, t, t + 10, true, false);
            t += 10;
        }
    }

    /// A reduction the speed's floor took away (the allowed reduction 0) does not come back
    /// by itself when the pressure has recovered, back-off or not: only a pressure beyond its
    /// limit lowers the speed.
    #[test]
    fn reducer_never_lowers_the_speed_while_recovered() {
        let mut r = Reducer::NEW;
        drive(&mut r, 0, 10, true, false);
        drive(&mut r, 10, 2_510, false, true);
        assert!(r.returning);
        drive(&mut r, 2_510, 2_520, true, false);
        // The back-off floor is set; the speed floor then allows no reduction at all.
        r.update(2_520, 0.01, false, false, 0.0, &TUNE);
        assert_eq!(r.reduction, 0.0);
        assert_eq!(drive(&mut r, 2_530, 8_000, false, true), 0.0);
    }

    /// A pressure that comes back while the back-off floor holds the speed (not while it is
    /// being returned) takes a step but no longer back-off: holding at the floor is not a
    /// return.
    #[test]
    fn reducer_backoff_counts_returns_not_holds() {
        let mut r = Reducer::NEW;
        drive(&mut r, 0, 10, true, false);
        drive(&mut r, 10, 2_510, false, true);
        let level = drive(&mut r, 2_510, 2_520, true, false);
        // Held at the floor (back-off 10 s, until 12.51 s), then beyond again at 7.52 s.
        assert_eq!(drive(&mut r, 2_520, 7_520, false, true), level);
        assert!(!r.returning, "held, not returning");
        assert_eq!(drive(&mut r, 7_520, 7_530, true, false), level + 100.0);
        // The first back-off still ends at 12.51 s: by 20 s the speed is back.
        assert_eq!(drive(&mut r, 7_530, 20_000, false, true), 0.0);
    }

    /// The low-pass: the first sample passes, then each moves it by dt/(τ + dt) of the
    /// difference; τ = 0 follows at once (even in a step of dt 0); a missing sample restarts
    /// it.
    #[test]
    fn low_pass_steps_by_dt_over_tau_plus_dt() {
        let mut f = Lp::NEW;
        assert_eq!(f.update(Some(0.0), 0.01, 1.0), Some(0.0));
        let y = f.update(Some(1.0), 0.01, 1.0).unwrap_or(f32::NAN);
        assert!((y - 0.01 / 1.01).abs() < 1e-7, "{y}");
        assert_eq!(f.update(Some(5.0), 0.01, 0.0), Some(5.0));
        // A repeated step time (dt 0) with τ 0 still follows, not 0/0.
        assert_eq!(f.update(Some(7.0), 0.0, 0.0), Some(7.0));
        assert_eq!(f.update(None, 0.01, 1.0), None);
        assert_eq!(f.update(Some(3.0), 0.01, 1.0), Some(3.0));
    }

    /// MON-2's trend: ten-minute bucket means; a rise once seven buckets (an hour) are full,
    /// the newest less the oldest; the first bucket starts with the first update, wherever
    /// the clock stands.
    #[test]
    fn trend_buckets_ten_minutes_from_the_first_update() {
        let mut tr = Trend::NEW;
        let start = 5_000_000u64;
        let mut t = start;
        // Resistance 10, then 11, 12, ... per bucket; sampled every second.
        let mut bucket = 0u64;
        while bucket < 8 {
            tr.update(t, Some(10.0 + bucket as f32));
            t += 1_000;
            if t - start >= (bucket + 1) * TREND_BUCKET_MS {
                bucket += 1;
            }
            if bucket < 7 {
                assert_eq!(tr.rise_per_hour(), None, "before an hour, at {}", t - start);
            }
        }
        // Buckets 0..=6 closed at 10..16: the rise is 6 (one per bucket).
        let rise = tr.rise_per_hour();
        assert!(rise.is_some_and(|r| (r - 6.0).abs() < 0.01), "{rise:?}");
        // The first bucket closes ten minutes after the first update even when its first
        // samples carry no resistance (flow too low)...
        let t0 = 1_000u64;
        let feed = |tr: &mut Trend, from: u64, to: u64, first_with: u64| {
            for s in from..to {
                tr.update(t0 + s * 1_000, (s >= first_with).then_some(10.0));
            }
        };
        let mut late = Trend::NEW;
        feed(&mut late, 0, 600, 300);
        assert_eq!(late.filled, 0);
        feed(&mut late, 600, 601, 300);
        assert_eq!(late.filled, 1, "closed 10 min after the first update");
        // ...and a bucket with no samples has no mean, so no rise is reported while it is
        // the oldest.
        let mut gap = Trend::NEW;
        feed(&mut gap, 0, 4_201, 601);
        assert_eq!(gap.filled, TREND_BUCKETS);
        assert_eq!(gap.rise_per_hour(), None, "the oldest bucket is empty");
        feed(&mut gap, 4_201, 4_801, 601);
        assert_eq!(gap.rise_per_hour(), Some(0.0));
    }

    /// Feeds `n` steps of 10 ms from `t`, `p(t)` each; answers the last pulse pressure.
    fn feed(pulse: &mut Pulse, t: &mut u64, n: u32, p: &dyn Fn(u64) -> Option<f32>) -> Option<f32> {
        let mut out = None;
        for _ in 0..n {
            *t += 10;
            out = pulse.update(*t, p(*t), 0.01);
        }
        out
    }

    /// MON-11's pulse pressure: the span of a window of good samples, none before the first
    /// window is complete, and none from a window in which a sample was missing.
    #[test]
    fn pulse_pressure_only_from_whole_windows_of_good_samples() {
        // A square wave 70/90 mmHg, half a second each: the span is close to 20.
        let square = |t: u64| {
            Some(if (t / 500).is_multiple_of(2) {
                70.0
            } else {
                90.0
            })
        };
        let mut p = Pulse::NEW;
        let mut t = 0;
        assert_eq!(
            feed(&mut p, &mut t, 390, &square),
            None,
            "no whole window yet"
        );
        let pp = feed(&mut p, &mut t, 20, &square).unwrap_or(0.0);
        assert!((19.0..=20.0).contains(&pp), "{pp}");
        // One sample missing: nothing from now until a later window is whole again.
        let mut gap = Pulse::NEW;
        let mut t = 0;
        feed(&mut gap, &mut t, 410, &square);
        assert!(feed(&mut gap, &mut t, 1, &|_| None).is_none());
        let mut first = usize::MAX;
        for i in 0..800 {
            if feed(&mut gap, &mut t, 1, &square).is_some() && first == usize::MAX {
                first = i;
            }
        }
        // The window holding the gap ends about 390 steps later and gives nothing; the next,
        // whole, window ends 400 steps after that.
        assert!(
            (780..=800).contains(&first),
            "pulse pressure back after {first} steps"
        );
    }
}
