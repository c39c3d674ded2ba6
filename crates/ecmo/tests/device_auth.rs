//! Issue 10, finding 1, with real processes: anyone who reached the unit's port could stop the
//! pump. Now `ecmo device --key` and `ecmo serve --device-key` share a pairing key; while the
//! paired console is in session, strangers send what the attacker sent (a Hello, speed
//! 0 and clamp closed, every 0.1 s) in protocol 1.0 and 2.0, with no key and with a wrong one,
//! and a second console without the key keeps trying to connect. The unit refuses and counts
//! all of it; the commanded speed never changes and the flow stays where it was. Also: key
//! files are made private and never overwritten, bad key files are refused with the file's name,
//! and a unit without a key refuses a non-loopback address.

mod common;
#[path = "../../devlink/tests/common/v1.rs"]
mod v1;

use common::*;
use devlink::{ConsoleConfig, ConsoleLink, PairingKey, Transport};
use std::io::Write;
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

fn ecmo() -> Command {
    Command::new(env!("CARGO_BIN_EXE_ecmo"))
}

fn tmp(name: &str) -> PathBuf {
    fresh_dir(&format!("auth-{name}"))
}

/// Runs `ecmo ARGS` to the end; (success, stdout, stderr).
fn run(args: &[&str], stdin: Option<&Path>) -> (bool, String, String) {
    let mut c = ecmo();
    c.args(args);
    if let Some(p) = stdin {
        c.stdin(std::fs::File::open(p).unwrap());
    }
    let out = c.output().expect("run ecmo");
    (
        out.status.success(),
        String::from_utf8_lossy(&out.stdout).into(),
        String::from_utf8_lossy(&out.stderr).into(),
    )
}

#[test]
fn key_files_are_private_never_overwritten_and_checked() {
    let d = tmp("keys");
    let key = d.join("unit.key");
    let k = key.to_str().unwrap();
    let (ok, out, err) = run(&["device", "--generate-key", k], None);
    assert!(ok, "{err}");
    assert!(
        out.contains("--device-key"),
        "says what to do with it: {out}"
    );
    let meta = std::fs::metadata(&key).unwrap();
    assert_eq!(meta.permissions().mode() & 0o777, 0o600);
    let first = std::fs::read(&key).unwrap();
    assert_eq!(first.len(), 65, "64 hex digits and a newline");
    let (ok, _, err) = run(&["device", "--generate-key", k], None);
    assert!(
        !ok && err.contains("already exists") && err.contains("unit.key"),
        "{err}"
    );
    assert_eq!(std::fs::read(&key).unwrap(), first, "not overwritten");

    // A key others may read: refused by the unit and by the console, naming the file.
    let open = d.join("open.key");
    std::fs::write(&open, &first).unwrap();
    std::fs::set_permissions(&open, std::fs::Permissions::from_mode(0o644)).unwrap();
    let o = open.to_str().unwrap();
    let (ok, _, err) = run(
        &["device", "--key", o, "--listen", "tcp://127.0.0.1:0"],
        None,
    );
    assert!(
        !ok && err.contains("open.key") && err.contains("chmod 600"),
        "{err}"
    );
    let db = d.join("c.db");
    let (ok, _, err) = run(
        &[
            "serve",
            "--addr",
            "127.0.0.1:0",
            "--device",
            "tcp://127.0.0.1:9",
            "--device-key",
            o,
            "--db",
            db.to_str().unwrap(),
        ],
        None,
    );
    assert!(
        !ok && err.contains("--device-key") && err.contains("open.key"),
        "{err}"
    );
    // Too large (bounded read), and a device that never ends.
    let big = d.join("big.key");
    std::fs::write(&big, vec![b'a'; 5000]).unwrap();
    std::fs::set_permissions(&big, std::fs::Permissions::from_mode(0o600)).unwrap();
    let (ok, _, err) = run(&["device", "--key", big.to_str().unwrap()], None);
    assert!(
        !ok && err.contains("big.key") && err.contains("1 KiB"),
        "{err}"
    );
    let (ok, _, err) = run(&["device", "--key", "/dev/zero"], None);
    assert!(!ok && err.contains("/dev/zero"), "{err}");
}

#[test]
fn no_key_no_listening_beyond_loopback() {
    let (ok, _, err) = run(&["device", "--listen", "tcp://0.0.0.0:0"], None);
    assert!(!ok, "{err}");
    assert!(
        err.contains("without a pairing key") && err.contains("--generate-key"),
        "{err}"
    );
    let d = tmp("listen");
    let key = d.join("k");
    assert!(run(&["device", "--generate-key", key.to_str().unwrap()], None).0);
    // With a key the address is accepted (the unit then runs; stop it once it listens).
    let mut unit = Kill(
        ecmo()
            .args(["device", "--listen", "tcp://0.0.0.0:0", "--key"])
            .arg(&key)
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .unwrap(),
    );
    let rx = lines(&mut unit);
    assert!(wait_line(&rx, "listening: tcp://0.0.0.0:", 10).is_some());
}

/// A password on standard input is one bounded line: a stream that never ends is refused.
#[test]
fn user_add_refuses_an_endless_password() {
    let d = tmp("user");
    let db = d.join("u.db");
    let t0 = Instant::now();
    let out = ecmo()
        .args(["user", "add", "nurse", "--role", "operator", "--db"])
        .arg(&db)
        .env_remove("ECMO_PASSWORD")
        .stdin(std::fs::File::open("/dev/zero").unwrap())
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        !out.status.success() && err.contains("longer than 4096 bytes"),
        "{err}"
    );
    assert!(t0.elapsed() < Duration::from_secs(20));
}

/// The attack, by bytes: protocol 1.0 Hello, SetPumpSpeed 0, SetClamp closed.
fn v1_attack() -> Vec<u8> {
    let frame = v1::frame;
    let mut b = frame(0x01, 0, &[1, 0, 0xEF, 0xBE, 0xAD, 0xDE, 100, 0, 0xF4, 1]);
    b.extend(frame(0x10, 1, &[0, 0]));
    b.extend(frame(0x11, 2, &[1]));
    b
}

/// A 2.0 Hello, then stop and clamp tagged under keys the stranger made up.
fn v2_forgery() -> Vec<u8> {
    use protocol::*;
    let hello = Hello {
        major: PROTOCOL_MAJOR,
        minor: PROTOCOL_MINOR,
        nonce: 7,
        heartbeat_ms: 100,
        timeout_ms: 500,
        console_nonce: [7; 16],
    };
    let keys = Transcript::of(&hello, [0; 16]).session_keys(&PairingKey::UNPAIRED);
    let mut out = Vec::new();
    let mut buf = [0u8; MAX_WIRE];
    let n = encode(0, &Message::Hello(hello), None, &mut buf).unwrap();
    out.extend_from_slice(&buf[..n]);
    for (i, m) in [
        Message::Command(Command::SetPumpSpeed { rpm: 0 }),
        Message::Command(Command::SetClamp(ClampState::Closed)),
    ]
    .iter()
    .enumerate()
    {
        let n = encode(i as u64 + 1, m, Some(&keys.console_to_unit), &mut buf).unwrap();
        out.extend_from_slice(&buf[..n]);
    }
    out
}

#[test]
fn strangers_hello_stop_and_clamp_are_refused_and_the_pump_keeps_its_speed() {
    let d = tmp("e2e");
    let key = d.join("unit.key");
    assert!(run(&["device", "--generate-key", key.to_str().unwrap()], None).0);
    let (_unit, urx, addr) = start_unit(&["--key", key.to_str().unwrap()]);
    let hostport = addr.trim_start_matches("tcp://").to_string();
    let mut up = false;
    let t0 = Instant::now();
    while !up && t0.elapsed() < Duration::from_secs(20) {
        if let Some((_, l)) = wait_line(&urx, "status ", 1) {
            up = num(&l, "flow_lpm") > 3.0;
        }
    }
    assert!(up, "the unit reached full flow after --start");

    // The paired console takes over.
    let mut console = Kill(
        ecmo()
            .args([
                "serve",
                "--addr",
                "127.0.0.1:0",
                "--device",
                &addr,
                "--device-key",
            ])
            .arg(&key)
            .arg("--db")
            .arg(d.join("c.db"))
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .expect("spawn ecmo serve --device"),
    );
    let _crx = lines(&mut console);
    let mut w = Watch::default();
    w.wait(&urx, "event: session 1", 10)
        .expect("the paired console is in session");
    let mut before = Vec::new();
    let t0 = Instant::now();
    while t0.elapsed() < Duration::from_secs(2) {
        if let Some((_, l)) = w.wait(&urx, "status ", 1) {
            w.see(&l);
            before.push(num(&l, "flow_lpm"));
        }
    }
    let mean = |v: &[f64]| v.iter().sum::<f64>() / v.len().max(1) as f64;
    let flow_before = mean(&before);
    assert!(flow_before > 3.0, "{flow_before}");

    // A console process without the key, trying all along.
    let mut stranger_console = Kill(
        ecmo()
            .args(["serve", "--addr", "127.0.0.1:0", "--device", &addr, "--db"])
            .arg(d.join("s.db"))
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap(),
    );
    // The attack: every 0.1 s for 6 s, by turns a 1.0 stranger, a 2.0 console without the key
    // and one with a wrong key (each would send stop and clamp once in session).
    let attack = std::thread::spawn(move || {
        let t0 = Instant::now();
        let mut tries = 0u32;
        let mut opened = 0u32;
        while t0.elapsed() < Duration::from_secs(6) {
            match tries % 3 {
                0 => {
                    if let Ok(mut s) = std::net::TcpStream::connect(&hostport) {
                        let _ = s.write_all(&v1_attack());
                        let _ = s.write_all(&v2_forgery());
                    }
                }
                k => {
                    let key = (k == 2).then(|| PairingKey::from_bytes([0x5A; 32]));
                    if let Ok(t) = Transport::connect_tcp(&hostport, Duration::from_millis(500)) {
                        let cfg = ConsoleConfig {
                            key,
                            hello_timeout: Duration::from_millis(50),
                            ..ConsoleConfig::default()
                        };
                        if let Ok(link) = ConsoleLink::connect(t, cfg) {
                            opened += 1;
                            let _ = link.command(protocol::Command::SetPumpSpeed { rpm: 0 });
                            let _ = link
                                .command(protocol::Command::SetClamp(protocol::ClampState::Closed));
                        }
                    }
                }
            }
            tries += 1;
            std::thread::sleep(Duration::from_millis(100));
        }
        (tries, opened)
    });
    let mut during = Vec::new();
    let mut last = String::new();
    let t0 = Instant::now();
    while t0.elapsed() < Duration::from_secs(7) {
        if let Some((_, l)) = wait_for(&urx, "status ", Duration::from_secs(1), &mut |l| {
            assert!(
                !l.starts_with("event: session 2"),
                "a stranger took the session: {l}"
            );
            w.see(l)
        }) {
            during.push(num(&l, "flow_lpm"));
            last = l;
        }
    }
    let (tries, opened) = attack.join().unwrap();
    let _ = stranger_console.0.kill();
    assert!(tries >= 30, "{tries} attack rounds");
    assert_eq!(opened, 0, "no stranger opened a session");
    assert!(w.setpoint_changes.is_empty(), "{:?}", w.setpoint_changes);
    let flow_during = mean(&during);
    eprintln!(
        "flow before the attack {flow_before:.2} L/min, during {flow_during:.2} L/min \
         (min {:.2}); {tries} attack rounds; unit: {last}",
        w.min_flow.unwrap_or(0.0)
    );
    assert!(
        flow_during > 0.95 * flow_before,
        "mean flow {flow_during} vs {flow_before} before"
    );
    assert_eq!(num(&last, "sessions"), 1.0, "{last}");
    assert_eq!(
        field(&last, "link"),
        Some("alive"),
        "the paired console is still in: {last}"
    );
    assert!(num(&last, "auth_failures") >= 20.0, "{last}");
    assert!(
        num(&last, "unauthentic") >= 20.0,
        "forged tags refused: {last}"
    );
    assert!(num(&last, "rejected") >= 20.0, "1.0 frames refused: {last}");
    let _ = console.0.kill();
}
