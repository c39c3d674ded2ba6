//! Helpers for the tests that run `ecmo device` and `ecmo serve` as real processes.
#![allow(dead_code)]

use std::io::{BufRead, BufReader};
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::sync::mpsc::{Receiver, channel};
use std::time::{Duration, Instant};

/// Kills the child when dropped, so that a failing test leaves no process behind.
pub struct Kill(pub Child);

impl Drop for Kill {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

impl std::ops::Deref for Kill {
    type Target = Child;
    fn deref(&self) -> &Child {
        &self.0
    }
}

impl std::ops::DerefMut for Kill {
    fn deref_mut(&mut self) -> &mut Child {
        &mut self.0
    }
}

/// Run `cmd` to its end and check that it succeeded; its output.
pub fn succeeds(cmd: &mut Command) -> std::process::Output {
    let out = cmd.output().unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    out
}

/// A child's output as text.
pub fn text(b: &[u8]) -> String {
    String::from_utf8_lossy(b).into_owned()
}

/// Check that `output` (a child's standard output or error) says `want`.
#[track_caller]
pub fn says(output: &[u8], want: &str) {
    let t = text(output);
    assert!(t.contains(want), "{t}");
}

/// A fresh, empty directory `ecmo-{name}-PID` under the temporary directory.
pub fn fresh_dir(name: &str) -> PathBuf {
    let d = std::env::temp_dir().join(format!("ecmo-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&d);
    std::fs::create_dir_all(&d).unwrap();
    d
}

/// Start `ecmo device` on a free loopback port, pumping (`--start`), a status line every
/// 100 ms, with the `extra` arguments; waits until it listens. Returns the unit, its lines
/// and its address (`tcp://...`).
pub fn start_unit(extra: &[&str]) -> (Kill, Receiver<(Instant, String)>, String) {
    let mut unit = Kill(
        Command::new(env!("CARGO_BIN_EXE_ecmo"))
            .args([
                "device",
                "--listen",
                "tcp://127.0.0.1:0",
                "--start",
                "--status-ms",
                "100",
            ])
            .args(extra)
            .stdout(Stdio::piped())
            .stdin(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .expect("spawn ecmo device"),
    );
    let urx = lines(&mut unit);
    let (_, l) = wait_line(&urx, "listening: tcp://", 10).expect("ecmo device prints its address");
    let addr = l.trim_start_matches("listening: ").to_string();
    (unit, urx, addr)
}

/// Lines of a child's standard output, as they come.
pub fn lines(child: &mut Child) -> Receiver<(Instant, String)> {
    let out = child.stdout.take().unwrap();
    let (tx, rx) = channel();
    std::thread::spawn(move || {
        for l in BufReader::new(out).lines().map_while(Result::ok) {
            if tx.send((Instant::now(), l)).is_err() {
                break;
            }
        }
    });
    rx
}

/// Waits for a line starting with `prefix`; every line seen goes through `seen`.
pub fn wait_for(
    rx: &Receiver<(Instant, String)>,
    prefix: &str,
    limit: Duration,
    seen: &mut dyn FnMut(&str),
) -> Option<(Instant, String)> {
    let t0 = Instant::now();
    while t0.elapsed() < limit {
        if let Ok((at, l)) = rx.recv_timeout(Duration::from_millis(20)) {
            seen(&l);
            if l.starts_with(prefix) {
                return Some((at, l));
            }
        }
    }
    None
}

/// Waits up to `secs` for a line starting with `prefix`.
pub fn wait_line(
    rx: &Receiver<(Instant, String)>,
    prefix: &str,
    secs: u64,
) -> Option<(Instant, String)> {
    wait_for(rx, prefix, Duration::from_secs(secs), &mut |_| {})
}

pub fn field<'a>(line: &'a str, key: &str) -> Option<&'a str> {
    line.split_whitespace()
        .find_map(|kv| kv.strip_prefix(key)?.strip_prefix('='))
}

pub fn num(line: &str, key: &str) -> f64 {
    field(line, key)
        .and_then(|v| v.parse().ok())
        .unwrap_or_else(|| panic!("no {key} in {line}"))
}

/// What the unit's lines show over the test.
#[derive(Default, Debug)]
pub struct Watch {
    pub min_flow: Option<f64>,
    pub rpm_set: Option<f64>,
    pub setpoint_changes: Vec<String>,
    pub statuses: u64,
    /// (unit wall clock s, sensor frames sent) of every status line.
    pub frames: Vec<(f64, f64)>,
}

impl Watch {
    /// Waits up to `secs` for a line starting with `prefix`, seeing every line on the way.
    pub fn wait(
        &mut self,
        rx: &Receiver<(Instant, String)>,
        prefix: &str,
        secs: u64,
    ) -> Option<(Instant, String)> {
        wait_for(rx, prefix, Duration::from_secs(secs), &mut |l| self.see(l))
    }

    pub fn see(&mut self, l: &str) {
        if l.starts_with("event: setpoints") {
            self.setpoint_changes.push(l.to_string());
        }
        if l.starts_with("status ") {
            self.statuses += 1;
            self.frames.push((num(l, "wall"), num(l, "sensor_frames")));
            let f = num(l, "flow_lpm");
            self.min_flow = Some(self.min_flow.map_or(f, |m: f64| m.min(f)));
            let r = num(l, "rpm_set");
            if let Some(prev) = self.rpm_set {
                assert_eq!(prev, r, "the commanded speed changed: {l}");
            }
            self.rpm_set = Some(r);
        }
    }
}
