//! The proof at process level, console side: a console process (`devlink-monitor`)
//! sets the pump running and is killed with SIGKILL; the unit keeps the pump turning (DEV-1);
//! a new console process is in session within 2 s and takes over without touching the pump.

mod common;

use common::*;
use protocol::ClampState;
use protocol::safety::ConsoleLink as SafetyLink;
use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::sync::atomic::AtomicBool;
use std::sync::mpsc;
use std::time::{Duration, Instant};

fn spawn_monitor(args: &[&str]) -> (Child, mpsc::Receiver<String>) {
    let mut child = Command::new(env!("CARGO_BIN_EXE_devlink-monitor"))
        .args(args)
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()
        .expect("spawn devlink-monitor");
    let out = child.stdout.take().unwrap();
    let (tx, rx) = mpsc::channel();
    std::thread::spawn(move || {
        for line in BufReader::new(out).lines().map_while(Result::ok) {
            if tx.send(line).is_err() {
                break;
            }
        }
    });
    (child, rx)
}

fn wait_line(rx: &mpsc::Receiver<String>, prefix: &str, limit: Duration) -> Option<String> {
    let t0 = Instant::now();
    while t0.elapsed() < limit {
        match rx.recv_timeout(Duration::from_millis(20)) {
            Ok(l) if l.starts_with(prefix) => return Some(l),
            _ => {}
        }
    }
    None
}

#[test]
fn kill_9_console_pump_keeps_turning_and_next_console_takes_over() {
    let (unit, addr) = tcp_unit(Arc::new(AtomicBool::new(false)));
    let a = format!("tcp://{addr}");
    let (mut first, rx) = spawn_monitor(&[&a, "--clamp", "open", "--rpm", "3300"]);
    assert!(wait_line(&rx, "applied: SetPumpSpeed", Duration::from_secs(5)).is_some());
    assert_eq!(unit.outputs().pump_rpm, 3300);
    let before = unit.outputs();

    first.kill().expect("SIGKILL the console");
    let _ = first.wait();
    assert!(wait_until(Duration::from_secs(2), || matches!(
        unit.console_link(),
        SafetyLink::Lost { .. }
    )));
    let t_lost = Instant::now();
    while t_lost.elapsed() < Duration::from_millis(500) {
        assert_eq!(
            unit.outputs(),
            before,
            "DEV-1: the pump is never touched while the console is dead"
        );
        std::thread::sleep(Duration::from_millis(10));
    }

    let t0 = Instant::now();
    let (mut second, rx) = spawn_monitor(&[&a, "--seconds", "3"]);
    let line = wait_line(&rx, "session:", Duration::from_secs(2))
        .expect("restarted console in session within 2 s");
    assert!(
        t0.elapsed() < Duration::from_secs(2),
        "took {:?}",
        t0.elapsed()
    );
    assert!(line.contains("running at 3300 rpm, clamp Open"), "{line}");
    assert!(wait_until(Duration::from_secs(1), || matches!(
        unit.console_link(),
        SafetyLink::Alive { .. }
    )));
    assert_eq!(unit.outputs(), before);
    assert_eq!(unit.outputs().clamp, ClampState::Open);
    let _ = second.kill();
    let _ = second.wait();
}

#[test]
fn monitor_reports_bad_arguments_with_exit_code_2() {
    let out = Command::new(env!("CARGO_BIN_EXE_devlink-monitor"))
        .args(["udp://x:1"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("unknown scheme") && err.contains("udp://x:1"),
        "{err}"
    );
    let out = Command::new(env!("CARGO_BIN_EXE_devlink-monitor"))
        .args(["tcp://127.0.0.1:9", "--rpm", "fast"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("--rpm \"fast\""));
}
