//! The console's plumbing over real HTTP and WebSocket, with a test double of the engine so that
//! every path (roles, range checks, pending → applied, recording, persistence, slow viewers)
//! is exercised independently of the twin's physiology. The same paths against the real twin
//! and control core are in `live.rs`.
mod common;
use common::*;
use serde_json::{Value, json};
use std::time::{Duration, Instant};

fn admin(h: &console::Handle) -> String {
    admin_login(h)
}

/// The administrator's session and a WebSocket opened with it.
fn admin_socket(
    h: &console::Handle,
) -> (
    String,
    tungstenite::WebSocket<tungstenite::stream::MaybeTlsStream<std::net::TcpStream>>,
) {
    let a = admin(h);
    let ws = websocket(h.addr, &a);
    (a, ws)
}

fn add_user(h: &console::Handle, admin: &str, name: &str, role: &str) -> String {
    let body = json!({"name": name, "role": role, "password": "heparin-drip-77"}).to_string();
    let r = post(h.addr, "/api/users", admin, &body);
    assert_eq!(r.status, 200, "{}", r.body);
    login(h.addr, name, "heparin-drip-77")
}

/// Read WebSocket messages until `f` returns Some or the time runs out.
fn ws_until<T>(
    ws: &mut tungstenite::WebSocket<tungstenite::stream::MaybeTlsStream<std::net::TcpStream>>,
    secs: f64,
    mut f: impl FnMut(&Value) -> Option<T>,
) -> Option<T> {
    let end = Instant::now() + Duration::from_secs_f64(secs);
    while Instant::now() < end {
        let Ok(m) = ws.read() else { return None };
        if let tungstenite::Message::Text(t) = m {
            let v: Value = serde_json::from_str(t.as_str()).unwrap();
            if let Some(x) = f(&v) {
                return Some(x);
            }
        }
    }
    None
}

/// The waveform samples `ws` brings in `secs` s (waiting at most 4 s longer for messages).
fn waveform_samples(
    ws: &mut tungstenite::WebSocket<tungstenite::stream::MaybeTlsStream<std::net::TcpStream>>,
    secs: f64,
) -> usize {
    let t0 = Instant::now();
    let mut n = 0usize;
    ws_until(ws, secs + 4.0, |v| {
        if v["k"] == "w" {
            n += v["d"].as_array().unwrap().len();
        }
        (t0.elapsed() > Duration::from_secs_f64(secs)).then_some(())
    });
    n
}

/// A console in a fresh directory `tag` with the administrator logged in, once the loop has run
/// for 300 ms.
fn console_running(tag: &str) -> (console::ServeOptions, console::Handle, String) {
    let (o, h) = console_in(tag);
    let a = admin_login(&h);
    std::thread::sleep(Duration::from_millis(300));
    (o, h, a)
}

#[test]
fn acc_1_login_roles_and_refusals() {
    let (_, h) = console_in("roles");
    // Unauthenticated: no API, no socket.
    assert_eq!(http(h.addr, "GET", "/api/state", None, None).status, 401);
    assert_eq!(http(h.addr, "GET", "/", None, None).status, 200);
    let bad = http(
        h.addr,
        "POST",
        "/api/login",
        None,
        Some(r#"{"user":"admin","password":"wrong-password"}"#),
    );
    assert_eq!(bad.status, 401);
    let a = admin(&h);
    let viewer = add_user(&h, &a, "vera", "viewer");
    let op = add_user(&h, &a, "otto", "operator");
    std::thread::sleep(Duration::from_millis(400));
    let cmd = r#"{"type":"param","name":"flow_target","value":4.5}"#;
    // ACC-1: a viewer's command is refused by the server.
    let r = command(h.addr, &viewer, cmd);
    assert_eq!(r.status, 403, "{}", r.body);
    assert!(r.json()["error"].as_str().unwrap().contains("operator"));
    // An operator cannot inject events or manage users.
    let r = inject_json(h.addr, &op, r#"{"name":"return_kink","value":0.5}"#);
    assert_eq!(r.status, 403);
    let r = post(
        h.addr,
        "/api/users",
        &op,
        r#"{"name":"x","role":"instructor","password":"password-1"}"#,
    );
    assert_eq!(r.status, 403);
    // A cross-origin page cannot command even with the cookie.
    let r = http_h(
        h.addr,
        "POST",
        "/api/command",
        Some(cmd),
        &[("Cookie", &op), ("Origin", "http://evil.example")],
    );
    assert_eq!(r.status, 403);
    // CON-1: range checked on the server with the field named.
    let r = command(
        h.addr,
        &op,
        r#"{"type":"param","name":"flow_target","value":12}"#,
    );
    assert_eq!(r.status, 422);
    assert_eq!(r.json()["field"], "value");
    let r = command(
        h.addr,
        &op,
        r#"{"type":"param","name":"flow_target","value":"4"}"#,
    );
    assert_eq!(r.status, 400);
    let r = command(h.addr, &op, "not json");
    assert_eq!(r.status, 400);
    // The operator's valid command is accepted as pending.
    let r = command(h.addr, &op, cmd);
    assert_eq!(r.status, 202, "{}", r.body);
    assert_eq!(r.json()["pending"], true);
    // Logout ends the session.
    assert_eq!(post(h.addr, "/api/logout", &op, "{}").status, 200);
    assert_eq!(
        http(h.addr, "GET", "/api/state", Some(&op), None).status,
        401
    );
    std::thread::sleep(Duration::from_millis(600));
    // ACC-2: every action recorded with who.
    let ev = http(h.addr, "GET", "/api/events?limit=500", Some(&a), None).json();
    let evs = ev["events"].as_array().unwrap();
    let has = |kind: &str, user: &str| {
        evs.iter()
            .any(|e| e["e"]["kind"] == kind && e["e"]["user"] == user)
    };
    assert!(has("denied", "vera"), "{evs:?}");
    assert!(has("action", "otto"));
    assert!(has("applied", "otto"));
    assert!(has("rejected", "otto"));
    assert!(has("login_failed", "admin"));
    // Removing users: instructors only, never oneself; the removed user's sessions end.
    let rm = |who: &str, name: &str| {
        http(
            h.addr,
            "POST",
            "/api/users/remove",
            Some(who),
            Some(&json!({ "name": name }).to_string()),
        )
    };
    assert_eq!(rm(&viewer, "otto").status, 403);
    assert_eq!(rm(&a, "admin").status, 409);
    assert_eq!(rm(&a, "nobody").status, 404);
    assert_eq!(
        http(h.addr, "GET", "/api/session", Some(&viewer), None).status,
        200
    );
    assert_eq!(rm(&a, "vera").status, 200);
    assert_eq!(
        http(h.addr, "GET", "/api/session", Some(&viewer), None).status,
        401
    );
    let bad = http(
        h.addr,
        "POST",
        "/api/login",
        None,
        Some(r#"{"user":"vera","password":"heparin-drip-77"}"#),
    );
    assert_eq!(bad.status, 401);
    h.stop();
}

#[test]
fn con_1_pending_until_applied_and_flow_follows_over_websocket() {
    let (_, h) = console_in("pending");
    let a = admin(&h);
    // Once the loop has a status, a new socket's first message is that status; waveforms
    // follow at ≥ 50 Hz.
    let has_status = || {
        let st = http(h.addr, "GET", "/api/state", Some(&a), None).json();
        !st["status"].is_null()
    };
    assert!(wait_for(Duration::from_secs(5), has_status));
    let mut ws = websocket(h.addr, &a);
    let first = ws_until(&mut ws, 5.0, |v| Some(v["k"].as_str().unwrap().to_string())).unwrap();
    assert_eq!(first, "s");
    let samples = waveform_samples(&mut ws, 1.0);
    assert!(samples >= 50, "{samples} waveform samples in 1 s");
    let r = command(h.addr, &a, r#"{"type":"mode","mode":"flow"}"#);
    assert_eq!(r.status, 202);
    let r = command(
        h.addr,
        &a,
        r#"{"type":"param","name":"flow_target","value":5.5}"#,
    );
    let seq = r.json()["seq"].as_u64().unwrap();
    let applied = ws_until(&mut ws, 5.0, |v| {
        (v["k"] == "a" && v["d"]["seq"] == seq).then(|| v["d"].clone())
    })
    .unwrap();
    assert_eq!(applied["ok"], true);
    // The status then shows the new target, and the flow follows it.
    let flow = ws_until(&mut ws, 15.0, |v| {
        let f = v["d"]["numerics"]["flow_lpm"].as_f64()?;
        (v["k"] == "s" && (f - 5.5).abs() < 0.2).then_some(f)
    });
    assert!(flow.is_some(), "flow did not follow the target");
    h.stop();
}

#[test]
fn instructor_injects_kink_and_alarm_appears_then_audio_pause_counts_down() {
    let (_, h) = console_in("inject");
    let (a, mut ws) = admin_socket(&h);
    let r = inject_json(h.addr, &a, r#"{"name":"return_kink","value":0.9}"#);
    assert_eq!(r.status, 202, "{}", r.body);
    let r = inject_json(h.addr, &a, r#"{"name":"return_kink","value":7}"#);
    assert_eq!(r.status, 422);
    let prio = ws_until(&mut ws, 5.0, |v| {
        (v["k"] == "s")
            .then(|| {
                v["d"]["alarms"]["alarms"][0]["priority"]
                    .as_str()
                    .map(String::from)
            })
            .flatten()
    });
    assert_eq!(prio.as_deref(), Some("high"));
    let r = command(h.addr, &a, r#"{"type":"pause_audio"}"#);
    assert_eq!(r.status, 202);
    let left = ws_until(&mut ws, 5.0, |v| {
        (v["k"] == "s")
            .then(|| v["d"]["alarms"]["audio_paused_s"].as_f64())
            .flatten()
    })
    .unwrap();
    assert!(left > 100.0 && left <= 120.0, "{left}");
    h.stop();
}

#[test]
fn rec_3_settings_persist_across_restart_and_runs_are_recorded() {
    let (o, h, a) = console_running("persist");
    for c in [
        r#"{"type":"param","name":"p_post_high","value":350}"#,
        r#"{"type":"param","name":"rpm_target","value":3500}"#,
        r#"{"type":"mode","mode":"flow"}"#,
    ] {
        assert_eq!(command(h.addr, &a, c).status, 202);
    }
    std::thread::sleep(Duration::from_millis(1500));
    let run1 = h.run;
    h.stop();
    let h = start_double(&o);
    assert!(
        h.created_admin.is_none(),
        "the administrator is created once"
    );
    assert_ne!(h.run, run1);
    let a = login(h.addr, "admin", ADMIN_PW);
    std::thread::sleep(Duration::from_millis(400));
    let st = http(h.addr, "GET", "/api/state", Some(&a), None).json();
    let s = &st["status"]["settings"];
    assert_eq!(s["mode"], "flow");
    let val = |n: &str| {
        s["params"]
            .as_array()
            .unwrap()
            .iter()
            .find(|p| p["name"] == n)
            .unwrap()["value"]
            .as_f64()
            .unwrap()
    };
    assert_eq!(val("p_post_high"), 350.0);
    assert_eq!(val("rpm_target"), 3500.0);
    h.stop();
    // The recording holds both runs with waveforms at 100 Hz and numerics at 1 Hz.
    let c = console::store::open_ro(&o.db).unwrap();
    let runs = console::store::list_runs(&c).unwrap();
    assert_eq!(runs.len(), 2);
    let w = console::store::waves(&c, run1, -1.0, 1e9).unwrap();
    let span = w.last().unwrap().t - w.first().unwrap().t;
    let rate = (w.len() - 1) as f64 / span;
    assert!(rate > 95.0 && rate < 105.0, "{rate} Hz");
    let n = console::store::numerics(&c, run1, -1.0, 1e9, 10_000).unwrap();
    assert!(
        n.len() as f64 >= span.floor() - 1.0 && n.len() as f64 <= span.ceil() + 1.0,
        "{} numerics over {span} s: not 1 Hz",
        n.len()
    );
    // Export both ways.
    let out = o.db.with_file_name("csv");
    let files = console::store::export_csv(&c, run1, &out).unwrap();
    assert_eq!(files.len(), 3);
    let waves_csv = std::fs::read_to_string(&files[0]).unwrap();
    assert_eq!(waves_csv.lines().count(), w.len() + 1);
    let mut buf = Vec::new();
    console::store::export_json(&c, run1, &mut buf).unwrap();
    let j: Value = serde_json::from_slice(&buf).unwrap();
    assert_eq!(j["waves"]["t_s"].as_array().unwrap().len(), w.len());
    assert!(
        console::store::export_csv(&c, 999, &out)
            .unwrap_err()
            .0
            .contains("no run 999")
    );
}

#[test]
fn con_2_slow_viewers_lose_samples_not_the_loop_its_timing() {
    let (_, h) = console_in("slow");
    let a = admin(&h);
    let t0 = Instant::now();
    let ticks0 = http(h.addr, "GET", "/api/health", Some(&a), None).json()["loop"]["ticks"]
        .as_f64()
        .unwrap();
    // 20 viewers that never read, and one that does.
    let stuck: Vec<_> = (0..20).map(|_| websocket(h.addr, &a)).collect();
    let mut ws = websocket(h.addr, &a);
    let n = waveform_samples(&mut ws, 4.0);
    let health = http(h.addr, "GET", "/api/health", Some(&a), None).json();
    assert_eq!(health["clients"].as_u64().unwrap(), 21);
    assert!(n > 350, "the reading viewer got {n} samples in 4 s");
    // The loop kept its pace: 100 ticks a second over the whole time the viewers hung.
    let ticks = health["loop"]["ticks"].as_f64().unwrap() - ticks0;
    let elapsed = t0.elapsed().as_secs_f64();
    assert!(
        ticks >= 0.9 * 100.0 * elapsed && ticks <= 1.1 * 100.0 * elapsed + 10.0,
        "{ticks} ticks in {elapsed:.2} s"
    );
    drop(stuck);
    h.stop();
}

#[test]
fn replay_plays_a_recording_back_and_refuses_commands() {
    let (o, h, a) = console_running("replay");
    inject_json(h.addr, &a, r#"{"name":"return_kink","value":0.9}"#);
    std::thread::sleep(Duration::from_millis(2000));
    let run = h.run;
    h.stop();
    let h = console::start_replay(&o, run, 4.0).unwrap();
    let a = login(h.addr, "admin", ADMIN_PW);
    let mut ws = websocket(h.addr, &a);
    let mut n = 0;
    let alarm = ws_until(&mut ws, 5.0, |v| {
        if v["k"] == "w" {
            n += v["d"].as_array().unwrap().len();
        }
        (v["k"] == "s" && v["d"]["alarms"]["alarms"][0]["priority"] == "high").then_some(())
    });
    assert!(alarm.is_some(), "the recorded alarm is replayed");
    assert!(n > 0);
    let r = command(h.addr, &a, r#"{"type":"pause_audio"}"#);
    assert_eq!(r.status, 409);
    let st = http(h.addr, "GET", "/api/state", Some(&a), None).json();
    assert_eq!(st["mode"], "replay");
    assert!(console::start_replay(&o, 42, 1.0).is_err());
    h.stop();
}
