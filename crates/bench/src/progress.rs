//! A progress bar on stderr, shown only once a task has run for a second (short tasks stay
//! quiet) and redrawn at most ten times a second. Hand-rolled: one line, no dependency.
use std::io::Write;
use std::time::{Duration, Instant};

pub struct Progress {
    label: String,
    total: u64,
    done: u64,
    start: Instant,
    last: Option<Instant>,
    enabled: bool,
}

impl Progress {
    /// A bar for `total` units of work. `enabled` false draws nothing (e.g. `--quiet`).
    pub fn new(label: &str, total: u64, enabled: bool) -> Self {
        Progress {
            label: label.into(),
            total: total.max(1),
            done: 0,
            start: Instant::now(),
            last: None,
            enabled,
        }
    }

    pub fn inc(&mut self, n: u64) {
        self.done = (self.done + n).min(self.total);
        if !self.enabled {
            return;
        }
        let now = Instant::now();
        if now - self.start < Duration::from_secs(1) {
            return;
        }
        if self
            .last
            .is_some_and(|t| now - t < Duration::from_millis(100))
        {
            return;
        }
        self.last = Some(now);
        self.draw(now);
    }

    fn draw(&self, now: Instant) {
        const W: u64 = 30;
        let filled = (W * self.done / self.total) as usize;
        let elapsed = (now - self.start).as_secs_f64();
        let eta = if self.done > 0 {
            elapsed * (self.total - self.done) as f64 / self.done as f64
        } else {
            0.0
        };
        let mut e = std::io::stderr().lock();
        let _ = write!(
            e,
            "\r{} [{}{}] {:3}%  {:.0} s elapsed, {:.0} s left ",
            self.label,
            "#".repeat(filled),
            " ".repeat(W as usize - filled),
            100 * self.done / self.total,
            elapsed,
            eta
        );
        let _ = e.flush();
    }

    /// Complete the bar (and end its line, if one was drawn). Returns the time taken.
    pub fn finish(mut self) -> Duration {
        self.done = self.total;
        let now = Instant::now();
        if self.enabled && self.last.is_some() {
            self.draw(now);
            let _ = writeln!(std::io::stderr());
        }
        now - self.start
    }
}
