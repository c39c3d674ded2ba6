//! `ecmo train` and `ecmo debrief` as a user runs them.
mod common;

use common::{says, text};
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

fn ecmo(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_ecmo"))
        .args(args)
        .current_dir(PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../.."))
        .output()
        .expect("run ecmo")
}

/// `ecmo train` of the drainage-kink scenario with `script`, writing to `out`.
fn train_kink(script: &Path, out: &Path) -> Output {
    ecmo(&[
        "train",
        "scenarios/02-drainage-kink.toml",
        "--script",
        script.to_str().unwrap(),
        "--out",
        out.to_str().unwrap(),
    ])
}

#[test]
fn train_then_debrief() {
    let dir = std::env::temp_dir().join(format!("ecmo-train-{}", std::process::id()));
    let d = dir.to_str().unwrap();
    let script = dir.join("script.toml");
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(
        &script,
        "name = \"slow\"\n[[action]]\nafter = \"kink\"\nat = 150\naction = \"release_drainage_kink\"\n",
    )
    .unwrap();
    let out = train_kink(&script, &dir);
    let stdout = text(&out.stdout);
    assert!(out.status.success(), "{stdout}{}", text(&out.stderr));
    assert!(stdout.contains("NOT PASSED"), "{stdout}");
    assert!(dir.join("run.json").is_file());
    let out = ecmo(&["debrief", d]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    let html = std::fs::read_to_string(dir.join("debrief.html")).unwrap();
    assert!(html.contains("late"), "the slow release is late");
    assert!(
        std::fs::read(dir.join("debrief.pdf"))
            .unwrap()
            .starts_with(b"%PDF-1.4")
    );
}

#[test]
fn bad_inputs_name_the_problem() {
    let dir = std::env::temp_dir().join(format!("ecmo-train-bad-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let bad = dir.join("bad.toml");
    std::fs::write(
        &bad,
        "[[action]]\nat = 5\naction = \"set_rpm\"\nvalue = 99999\n",
    )
    .unwrap();
    let out = train_kink(&bad, &dir);
    assert_eq!(out.status.code(), Some(2));
    let err = text(&out.stderr);
    assert!(
        err.contains("action[0].value") && err.contains("0..=5000"),
        "{err}"
    );
    let out = ecmo(&["debrief", dir.join("nothing-here.json").to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(2));
    says(&out.stderr, "cannot read");
}

/// `ecmo serve --training` runs a scenario to its end (at 100 × real time); the recording then
/// holds the run, and `ecmo debrief --db` writes its report.
#[test]
fn served_scenario_is_debriefed_from_the_recording() {
    let dir = std::env::temp_dir().join(format!("ecmo-train-serve-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    let db = dir.join("ecmo.db");
    let mut serve = Command::new(env!("CARGO_BIN_EXE_ecmo"))
        .args([
            "serve",
            "--addr",
            "127.0.0.1:0",
            "--speed",
            "100",
            "--training",
        ])
        .arg("scenarios/02-drainage-kink.toml")
        .arg("--db")
        .arg(&db)
        .current_dir(PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../.."))
        .stdout(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    // The console prints its address and the first administrator's password; the instructor
    // starts the scenario (it waits, paused, until then).
    let mut lines = std::io::BufRead::lines(std::io::BufReader::new(serve.stdout.take().unwrap()));
    let (mut addr, mut pw) = (None, None);
    while addr.is_none() || pw.is_none() {
        let l = lines.next().expect("serve output").unwrap();
        if let Some(rest) = l.split("console at http://").nth(1) {
            addr = rest.split_whitespace().next().map(str::to_string);
        }
        if let Some(rest) = l.split("one-time password: ").nth(1) {
            pw = Some(rest.trim().to_string());
        }
    }
    let (addr, pw) = (addr.unwrap(), pw.unwrap());
    let login = post(
        &addr,
        "/api/login",
        None,
        &format!(r#"{{"user":"admin","password":"{pw}"}}"#),
    );
    let cookie = login
        .lines()
        .find_map(|l| {
            l.strip_prefix("set-cookie: ")
                .or_else(|| l.strip_prefix("Set-Cookie: "))
        })
        .and_then(|c| c.split(';').next())
        .expect("session cookie")
        .to_string();
    // The first administrator's password works once: change it first.
    let r = post(
        &addr,
        "/api/password",
        Some(&cookie),
        &format!(r#"{{"old":"{pw}","new":"heparin-circuit-admin"}}"#),
    );
    assert!(r.starts_with("HTTP/1.1 200"), "{r}");
    let r = post(
        &addr,
        "/api/inject",
        Some(&cookie),
        r#"{"name":"scenario.start","value":1}"#,
    );
    assert!(r.starts_with("HTTP/1.1 202"), "{r}");
    let out_dir = dir.join("report");
    let start = std::time::Instant::now();
    let mut last = String::new();
    let ok = loop {
        std::thread::sleep(std::time::Duration::from_millis(500));
        let out = ecmo(&[
            "debrief",
            "--db",
            db.to_str().unwrap(),
            "--out",
            out_dir.to_str().unwrap(),
        ]);
        if out.status.success() {
            break true;
        }
        last = text(&out.stderr);
        if start.elapsed().as_secs() > 60 {
            break false;
        }
    };
    let _ = serve.kill();
    let _ = serve.wait();
    assert!(ok, "no debrief within 60 s: {last}");
    assert!(
        last.is_empty() || last.contains("no training record"),
        "{last}"
    );
    let html = std::fs::read_to_string(out_dir.join("debrief.html")).unwrap();
    assert!(html.contains("Debrief: Drainage line kink"));
    assert!(html.contains("NOT PASSED"), "nobody acted");
}

/// One HTTP/1.1 POST; the whole response as text.
fn post(addr: &str, path: &str, cookie: Option<&str>, body: &str) -> String {
    use std::io::{Read, Write};
    let mut s = std::net::TcpStream::connect(addr).unwrap();
    let mut req = format!(
        "POST {path} HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\nContent-Type: application/json\r\nContent-Length: {}\r\n",
        body.len()
    );
    if let Some(c) = cookie {
        req += &format!("Cookie: {c}\r\n");
    }
    req += "\r\n";
    req += body;
    s.write_all(req.as_bytes()).unwrap();
    let mut out = String::new();
    s.read_to_string(&mut out).unwrap();
    out
}
