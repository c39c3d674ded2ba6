//! Progress of long runs: a bar with the time remaining on stderr (indicatif), or nothing.
use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};

/// Told how far a run has got; shared by the worker threads.
pub trait Progress: Sync {
    /// `total` units of work, `done` of them already finished (a resumed run).
    fn start(&self, total: u64, done: u64);
    fn inc(&self, n: u64);
    fn finish(&self);
}

/// No progress shown.
pub struct Quiet;

impl Progress for Quiet {
    fn start(&self, _: u64, _: u64) {}
    fn inc(&self, _: u64) {}
    fn finish(&self) {}
}

/// A bar on stderr: done/total, rate, elapsed and the estimated time remaining.
pub struct Bar {
    bar: ProgressBar,
    unit: &'static str,
}

impl Bar {
    /// `unit` names what is counted (`patients`, `runs`).
    pub fn new(label: &str, unit: &'static str) -> Bar {
        let bar = ProgressBar::with_draw_target(Some(0), ProgressDrawTarget::stderr());
        bar.set_message(label.to_string());
        Bar { bar, unit }
    }
}

impl Progress for Bar {
    fn start(&self, total: u64, done: u64) {
        let template = format!(
            "{{msg}} [{{bar:30}}] {{pos}}/{{len}} {} ({{per_sec}}, {{elapsed}} elapsed, {{eta}} left)",
            self.unit
        );
        if let Ok(style) = ProgressStyle::with_template(&template) {
            self.bar.set_style(style.progress_chars("=> "));
        }
        self.bar.set_length(total);
        self.bar.set_position(done);
        // The rate and time remaining count only this session's work.
        self.bar.reset_eta();
    }
    fn inc(&self, n: u64) {
        self.bar.inc(n);
    }
    fn finish(&self) {
        self.bar.finish();
    }
}
