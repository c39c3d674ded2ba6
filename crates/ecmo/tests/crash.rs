//! REC-1, REC-2: `kill -9` of `ecmo serve` at any moment leaves a valid database that holds all
//! but (at most) the last second, and the recording stays usable (`runs`, `export`).
mod common;

use common::succeeds;
use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::Duration;

/// One HTTP/1.1 exchange on a fresh connection; the response's head and body.
fn exchange(addr: &str, req: &str) -> (String, String) {
    let mut s = TcpStream::connect(addr).unwrap();
    s.write_all(req.as_bytes()).unwrap();
    let mut raw = String::new();
    s.read_to_string(&mut raw).unwrap();
    let (h, b) = raw.split_once("\r\n\r\n").unwrap();
    (h.to_string(), b.to_string())
}

const WATCHER_PW: &str = "crash-test-watcher-pw";

/// A viewer account for reading the loop's time: `/api/health` tells it only to the logged in.
fn add_watcher(db: &std::path::Path) {
    succeeds(
        Command::new(env!("CARGO_BIN_EXE_ecmo"))
            .args(["user", "add", "watcher", "--role", "viewer", "--db"])
            .arg(db)
            .env("ECMO_PASSWORD", WATCHER_PW),
    );
}

/// A fresh directory `ecmo-{name}-PID` and its database `e.db`, with the watcher.
fn watched_db(name: &str) -> (PathBuf, PathBuf) {
    let dir = std::env::temp_dir().join(format!("ecmo-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    let db = dir.join("e.db");
    add_watcher(&db);
    (dir, db)
}

/// `ecmo serve` on a free loopback port with `db` (its standard error to `stderr`); the child
/// and the address it prints.
fn serve(db: &Path, stderr: Stdio) -> (Child, String) {
    let mut child = Command::new(env!("CARGO_BIN_EXE_ecmo"))
        .args(["serve", "--addr", "127.0.0.1:0", "--db"])
        .arg(db)
        .stdout(Stdio::piped())
        .stderr(stderr)
        .spawn()
        .unwrap();
    let mut line = String::new();
    let mut out = BufReader::new(child.stdout.take().unwrap());
    out.read_line(&mut line).unwrap();
    std::thread::spawn(move || std::io::copy(&mut out, &mut std::io::sink()));
    let addr = line
        .split("http://")
        .nth(1)
        .unwrap()
        .split_whitespace()
        .next()
        .unwrap()
        .to_string();
    (child, addr)
}

/// The one value `sql` selects for run `run` (`?1`).
fn of_run<T: rusqlite::types::FromSql>(c: &rusqlite::Connection, sql: &str, run: i64) -> T {
    c.query_row(sql, [run], |r| r.get(0)).unwrap()
}

fn health(addr: &str) -> serde_json::Value {
    let body = format!(r#"{{"user":"watcher","password":"{WATCHER_PW}"}}"#);
    let (head, _) = exchange(
        addr,
        &format!(
            "POST /api/login HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\n\
             Content-Type: application/json\r\nContent-Length: {}\r\n\r\n{body}",
            body.len()
        ),
    );
    let cookie = head
        .lines()
        .find_map(|l| {
            let (k, v) = l.split_once(':')?;
            k.eq_ignore_ascii_case("set-cookie")
                .then(|| v.trim().split(';').next().unwrap_or("").to_string())
        })
        .unwrap_or_else(|| panic!("login refused: {head}"));
    let (_, b) = exchange(
        addr,
        &format!(
            "GET /api/health HTTP/1.1\r\nHost: {addr}\r\nCookie: {cookie}\r\nConnection: close\r\n\r\n"
        ),
    );
    serde_json::from_str(&b).unwrap()
}

#[test]
fn rec_1_rec_2_kill_9_loses_at_most_the_last_second() {
    let (dir, db) = watched_db("crash");
    // Kill at different moments of the recorder's 250 ms commit cycle.
    for (i, wait_ms) in [2300u64, 3170, 4040].into_iter().enumerate() {
        let (mut child, addr) = serve(&db, Stdio::inherit());
        std::thread::sleep(Duration::from_millis(wait_ms));
        let t_before = health(&addr)["t"].as_f64().unwrap();
        child.kill().unwrap(); // SIGKILL
        child.wait().unwrap();
        assert!(t_before > 1.0, "the loop ran: {t_before}");

        let c = console::store::open_ro(&db).unwrap();
        let ok: String = c
            .query_row("PRAGMA integrity_check", [], |r| r.get(0))
            .unwrap();
        assert_eq!(ok, "ok");
        let run = (i + 1) as i64;
        let last: f64 = of_run(&c, "SELECT MAX(t) FROM wave WHERE run = ?1", run);
        assert!(
            last >= t_before - 1.0,
            "run {run}: recording ends at {last:.2} s, the loop was at {t_before:.2} s when killed"
        );
        // No gap: 100 Hz from start to the last sample.
        let n: f64 = of_run(&c, "SELECT COUNT(*) FROM wave WHERE run = ?1", run);
        assert!(
            n >= last * 100.0 - 2.0,
            "run {run}: {n} samples up to {last} s"
        );
        let nn: i64 = of_run(&c, "SELECT COUNT(*) FROM numerics WHERE run = ?1", run);
        assert!(
            nn as f64 >= last.floor() - 1.0,
            "run {run}: {nn} numerics rows up to {last} s"
        );
    }
    // The crashed recordings are listed and export.
    let out = Command::new(env!("CARGO_BIN_EXE_ecmo"))
        .args(["runs", "--db"])
        .arg(&db)
        .output()
        .unwrap();
    assert!(out.status.success());
    let listing = String::from_utf8_lossy(&out.stdout);
    assert_eq!(listing.lines().count(), 4, "{listing}");
    assert!(listing.contains("(not closed)"));
    let csv = dir.join("csv");
    succeeds(
        Command::new(env!("CARGO_BIN_EXE_ecmo"))
            .args(["export", "2", "--csv", "--db"])
            .arg(&db)
            .arg("--out")
            .arg(&csv),
    );
    assert!(
        std::fs::read_to_string(csv.join("run2-waves.csv"))
            .unwrap()
            .lines()
            .count()
            > 200
    );
    let out = Command::new(env!("CARGO_BIN_EXE_ecmo"))
        .args(["export", "9", "--json", "--db"])
        .arg(&db)
        .output()
        .unwrap();
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("no run 9"));
    let _ = std::fs::remove_dir_all(&dir);
}

/// SIGTERM (and Ctrl-C) stop `ecmo serve` cleanly: it exits 0, and the run is closed with
/// everything up to the stop recorded.
#[test]
fn rec_sigterm_stops_cleanly_and_closes_the_run() {
    let (dir, db) = watched_db("term");
    let (mut child, addr) = serve(&db, Stdio::piped());
    std::thread::sleep(Duration::from_millis(1500));
    let t_before = health(&addr)["t"].as_f64().unwrap();
    let st = Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status()
        .unwrap();
    assert!(st.success());
    let t0 = std::time::Instant::now();
    let status = loop {
        if let Some(s) = child.try_wait().unwrap() {
            break s;
        }
        assert!(
            t0.elapsed() < Duration::from_secs(10),
            "ecmo serve did not stop within 10 s of SIGTERM"
        );
        std::thread::sleep(Duration::from_millis(50));
    };
    let mut err = String::new();
    child
        .stderr
        .take()
        .unwrap()
        .read_to_string(&mut err)
        .unwrap();
    assert!(status.success(), "{status:?}: {err}");
    assert!(err.contains("run 1 closed"), "{err}");
    let c = console::store::open_ro(&db).unwrap();
    let (ended, last): (Option<i64>, f64) = c
        .query_row(
            "SELECT ended_ms, (SELECT MAX(t) FROM wave WHERE run = 1) FROM runs WHERE id = 1",
            [],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )
        .unwrap();
    assert!(ended.is_some(), "run closed");
    assert!(
        last >= t_before,
        "recorded to {last} s, was at {t_before} s"
    );
    let _ = std::fs::remove_dir_all(&dir);
}
