//! HTTP and WebSocket: the screen's only way in.
//!
//! `tiny_http` parses requests on its own connection threads; a few worker threads answer them.
//! A WebSocket is an upgraded `tiny_http` connection handed to `tungstenite`, with one writer
//! thread per viewer fed by a bounded queue: the hub never waits for a viewer (a full queue loses
//! that viewer a message) and a stuck viewer blocks only its own thread.
//!
//! Every request that changes something checks the session's role first (ACC-1), checks the
//! `Origin` against the `Host` (no cross-site commands or sockets), records who asked and when
//! (ACC-2), and range-checks the command against the ranges the control core published (CON-1)
//! before it reaches the loop.
use crate::auth::Sessions;
use crate::store;
use engine::engine::{Applied, LoopIn, LoopOut, LoopStats, Status};
use engine::model::{Command, EventRec, Injection, Role, wall_ms};
use serde_json::{Value, json};
use std::io::Read;
use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::mpsc::{Receiver, RecvTimeoutError, SyncSender, TrySendError, sync_channel};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};
use tiny_http::{Header, Method, Request, Response, StatusCode};
use tungstenite::Utf8Bytes;

/// Largest request body accepted (commands are tiny; user management is small).
const MAX_BODY: usize = 64 * 1024;
/// Messages queued per viewer (about 1 s of waveform batches at real time).
const CLIENT_QUEUE: usize = 64;
/// The hub sends waveform batches at most this often (adds at most this to sample-to-screen
/// latency; 20 ms keeps the target of 100 ms with room for the network and one frame).
const FLUSH_EVERY: Duration = Duration::from_millis(20);

static INDEX_HTML: &str = include_str!("../assets/index.html");
static APP_JS: &str = include_str!("../assets/app.js");
static APP_CSS: &str = include_str!("../assets/app.css");
/// The API's description (docs/openapi.json), checked against the routes here by
/// tests/openapi.rs.
pub static OPENAPI_JSON: &str = include_str!("../../../docs/openapi.json");

/// Whether this server drives a live loop or plays a recording back.
#[derive(Clone, Debug)]
pub enum Source {
    Live {
        loop_tx: SyncSender<LoopIn>,
        record_tx: SyncSender<LoopOut>,
        /// The hub's inbox, so that the server's own events (logins, refusals) reach the
        /// screens' event logs as they happen.
        screen_tx: SyncSender<LoopOut>,
    },
    Replay {
        /// Play, pause, seek and speed (`POST /api/replay`).
        control: Arc<engine::replay::ReplayControl>,
    },
}

/// State shared by the server threads.
pub struct Shared {
    pub db_path: PathBuf,
    pub run: i64,
    pub source: Source,
    pub sessions: Sessions,
    pub latest: Arc<Mutex<Option<Arc<Status>>>>,
    pub stats: Arc<LoopStats>,
    pub seq: AtomicU64,
    pub clients: Mutex<Vec<Client>>,
    pub stop: Arc<AtomicBool>,
    /// Messages lost by slow viewers, all viewers together.
    pub dropped_clients: AtomicU64,
    /// Replay position (simulated s × 1000) for trend queries during replay.
    pub replay_t_ms: Arc<AtomicU64>,
}

pub struct Client {
    tx: SyncSender<Utf8Bytes>,
    /// The session's role when the socket opened: instructor-only events go to instructors.
    role: Role,
}

/// Event kinds only instructors may see: a training scenario's own timeline and triggers, the
/// instructor's remarks and the run's scoring record. A trainee who saw them would see the
/// answer; they are held back on the server (socket and `/api/events`), not only in the page.
pub const INSTRUCTOR_ONLY_EVENTS: [&str; 3] = ["scenario", "remark", "training_record"];

fn instructor_only(kind: &str) -> bool {
    INSTRUCTOR_ONLY_EVENTS.contains(&kind)
}

impl Shared {
    fn latest(&self) -> Option<Arc<Status>> {
        self.latest.lock().ok().and_then(|l| l.clone())
    }
    fn now_t(&self) -> f64 {
        self.latest().map(|s| s.t).unwrap_or(0.0)
    }
    pub fn client_count(&self) -> usize {
        self.clients.lock().map(|c| c.len()).unwrap_or(0)
    }
}

// ---------------------------------------------------------------- hub

/// Fan the loop's output out to the viewers. Runs on its own thread until `rx` closes.
pub fn run_hub(shared: Arc<Shared>, rx: Receiver<LoopOut>) {
    let mut waves: Vec<Value> = Vec::with_capacity(64);
    let mut last_flush = Instant::now();
    loop {
        let msg = rx.recv_timeout(FLUSH_EVERY);
        shared
            .stats
            .hub_beat_ms
            .store(wall_ms().max(0) as u64, Ordering::Relaxed);
        let mut out: Vec<String> = Vec::new();
        let closed = match msg {
            Ok(LoopOut::Wave(w, wall)) => {
                waves.push(json!([
                    w.t, wall, w.p_art, w.p_drain, w.p_pre, w.p_post, w.flow
                ]));
                false
            }
            Ok(LoopOut::Status(s)) => {
                out.push(json!({"k": "s", "d": s}).to_string());
                false
            }
            Ok(LoopOut::Applied(a)) => {
                out.push(applied_msg(&a));
                false
            }
            Ok(LoopOut::Event(e)) => {
                if instructor_only(&e.kind) {
                    // Sent at once and to instructors only (the batch below goes to all).
                    broadcast_to(
                        &shared,
                        Role::Instructor,
                        Utf8Bytes::from(json!({"k": "e", "d": e}).to_string()),
                    );
                } else {
                    out.push(json!({"k": "e", "d": e}).to_string());
                }
                false
            }
            Ok(LoopOut::Numerics(_)) => false,
            // The server keeps a sender of its own (its events), so a stopped console is told
            // by the flag, not by the channel closing.
            Err(RecvTimeoutError::Timeout) => shared.stop.load(Ordering::Relaxed),
            Err(RecvTimeoutError::Disconnected) => true,
        };
        if !waves.is_empty() && (last_flush.elapsed() >= FLUSH_EVERY || closed || !out.is_empty()) {
            let batch = json!({"k": "w", "d": waves}).to_string();
            waves.clear();
            out.insert(0, batch);
            last_flush = Instant::now();
        }
        for m in out {
            broadcast(&shared, Utf8Bytes::from(m));
        }
        if closed {
            if let Ok(mut c) = shared.clients.lock() {
                c.clear();
            }
            return;
        }
    }
}

fn applied_msg(a: &Applied) -> String {
    json!({"k": "a", "d": a}).to_string()
}

fn broadcast(shared: &Shared, msg: Utf8Bytes) {
    broadcast_to(shared, Role::Viewer, msg)
}

/// Send to every client whose role is at least `min`.
fn broadcast_to(shared: &Shared, min: Role, msg: Utf8Bytes) {
    let Ok(mut clients) = shared.clients.lock() else {
        return;
    };
    clients.retain(|c| {
        if c.role < min {
            return true;
        }
        match c.tx.try_send(msg.clone()) {
            Ok(()) => true,
            Err(TrySendError::Full(_)) => {
                shared.dropped_clients.fetch_add(1, Ordering::Relaxed);
                true
            }
            Err(TrySendError::Disconnected(_)) => false,
        }
    });
}

// ---------------------------------------------------------------- HTTP

/// Serve until `shared.stop` is set. Blocks; answers requests on `workers` threads.
pub fn run_http(server: Arc<tiny_http::Server>, shared: Arc<Shared>, workers: usize) {
    let mut handles = Vec::new();
    for _ in 0..workers.max(1) {
        let server = server.clone();
        let shared = shared.clone();
        handles.push(std::thread::spawn(move || {
            while !shared.stop.load(Ordering::Relaxed) {
                match server.recv_timeout(Duration::from_millis(200)) {
                    Ok(Some(rq)) => handle(rq, &shared),
                    Ok(None) => {}
                    Err(_) => {}
                }
            }
        }));
    }
    for h in handles {
        let _ = h.join();
    }
}

fn header(name: &str, value: &str) -> Header {
    // Names and values here are ASCII made by this module; from_bytes fails only on non-ASCII.
    Header::from_bytes(name.as_bytes(), value.as_bytes()).expect("ASCII header")
}

fn json_response(code: u16, v: &Value) -> Response<std::io::Cursor<Vec<u8>>> {
    Response::from_data(v.to_string().into_bytes())
        .with_status_code(StatusCode(code))
        .with_header(header("Content-Type", "application/json"))
        .with_header(header("Cache-Control", "no-store"))
}

fn error(code: u16, field: &str, message: &str) -> Response<std::io::Cursor<Vec<u8>>> {
    json_response(code, &json!({"error": message, "field": field}))
}

fn header_value<'a>(rq: &'a Request, name: &str) -> Option<&'a str> {
    rq.headers()
        .iter()
        .find(|h| h.field.as_str().as_str().eq_ignore_ascii_case(name))
        .map(|h| h.value.as_str())
}

fn cookie_token(rq: &Request) -> Option<String> {
    let c = header_value(rq, "Cookie")?;
    c.split(';')
        .filter_map(|kv| kv.trim().split_once('='))
        .find(|(k, _)| *k == "ecmo_session")
        .map(|(_, v)| v.to_string())
}

/// A request from a page of another origin carries an `Origin` that differs from `Host`.
fn same_origin(rq: &Request) -> bool {
    match (header_value(rq, "Origin"), header_value(rq, "Host")) {
        (None, _) => true,
        (Some(o), Some(h)) => {
            let o = o
                .strip_prefix("http://")
                .or_else(|| o.strip_prefix("https://"))
                .unwrap_or(o);
            o.eq_ignore_ascii_case(h)
        }
        (Some(_), None) => false,
    }
}

fn read_body(rq: &mut Request) -> Result<Value, Response<std::io::Cursor<Vec<u8>>>> {
    if rq.body_length().unwrap_or(0) > MAX_BODY {
        return Err(error(413, "body", "request body too large"));
    }
    let mut buf = Vec::new();
    if rq
        .as_reader()
        .take(MAX_BODY as u64 + 1)
        .read_to_end(&mut buf)
        .is_err()
    {
        return Err(error(400, "body", "could not read request body"));
    }
    if buf.len() > MAX_BODY {
        return Err(error(413, "body", "request body too large"));
    }
    serde_json::from_slice(&buf)
        .map_err(|e| error(400, "body", &format!("body is not valid JSON: {e}")))
}

fn query_param<'a>(url: &'a str, key: &str) -> Option<&'a str> {
    let q = url.split_once('?')?.1;
    q.split('&')
        .filter_map(|kv| kv.split_once('='))
        .find(|(k, _)| *k == key)
        .map(|(_, v)| v)
}

fn handle(mut rq: Request, shared: &Arc<Shared>) {
    let url = rq.url().to_string();
    let path = url.split('?').next().unwrap_or("").to_string();
    let method = rq.method().clone();
    let session = cookie_token(&rq).and_then(|t| shared.sessions.get(&t));

    // Static assets need no session: the page itself asks the user to log in.
    let asset = |body: &'static str, ctype: &str| {
        Response::from_data(body.as_bytes().to_vec())
            .with_header(header("Content-Type", ctype))
            .with_header(header("Cache-Control", "no-cache"))
            .with_header(header(
                "Content-Security-Policy",
                "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'",
            ))
            .with_header(header("X-Frame-Options", "DENY"))
            .with_header(header("X-Content-Type-Options", "nosniff"))
    };
    let resp = match (&method, path.as_str()) {
        (Method::Get, "/") | (Method::Get, "/index.html") => {
            let _ = rq.respond(asset(INDEX_HTML, "text/html; charset=utf-8"));
            return;
        }
        (Method::Get, "/app.js") => {
            let _ = rq.respond(asset(APP_JS, "text/javascript; charset=utf-8"));
            return;
        }
        (Method::Get, "/app.css") => {
            let _ = rq.respond(asset(APP_CSS, "text/css; charset=utf-8"));
            return;
        }
        (Method::Get, "/api/openapi.json") => {
            let _ = rq.respond(asset(OPENAPI_JSON, "application/json"));
            return;
        }
        (Method::Get, "/api/health") => json_response(
            200,
            &json!({
                "mode": match shared.source { Source::Live { .. } => "live", Source::Replay { .. } => "replay" },
                "run": shared.run,
                "t": shared.now_t(),
                "loop": shared.stats.snapshot(),
                "clients": shared.client_count(),
                "dropped_clients": shared.dropped_clients.load(Ordering::Relaxed),
            }),
        ),
        (Method::Post, "/api/login") => {
            if !same_origin(&rq) {
                error(403, "origin", "cross-origin request refused")
            } else {
                match read_body(&mut rq) {
                    Err(r) => r,
                    Ok(b) => login(shared, &b),
                }
            }
        }
        (Method::Get, "/ws") => match &session {
            None => error(401, "session", "log in first"),
            Some(_) if !same_origin(&rq) => error(403, "origin", "cross-origin socket refused"),
            Some(s) => {
                websocket(rq, shared, s.role);
                return;
            }
        },
        _ if path.starts_with("/api/") => {
            let Some(s) = session else {
                let _ = rq.respond(error(401, "session", "log in first"));
                return;
            };
            if method != Method::Get && !same_origin(&rq) {
                let _ = rq.respond(error(403, "origin", "cross-origin request refused"));
                return;
            }
            api(&mut rq, shared, &s, &method, &path, &url)
        }
        _ => error(404, "path", &format!("no such page: {path}")),
    };
    let _ = rq.respond(resp);
}

fn login(shared: &Shared, b: &Value) -> Response<std::io::Cursor<Vec<u8>>> {
    let (Some(user), Some(pw)) = (
        b.get("user").and_then(Value::as_str),
        b.get("password").and_then(Value::as_str),
    ) else {
        return error(400, "body", "expected {\"user\": ..., \"password\": ...}");
    };
    let found = store::open_ro(&shared.db_path).and_then(|c| store::get_user(&c, user));
    let ok = match &found {
        Ok(Some((role, phc))) if crate::auth::verify_password(pw, phc) => Some(*role),
        Ok(_) => {
            // Same work whether or not the user exists, so timing does not tell names.
            let _ = crate::auth::verify_password(pw, dummy_phc());
            None
        }
        Err(_) => None,
    };
    if let Err(e) = found {
        return error(500, "database", &e.0);
    }
    match ok {
        Some(role) => {
            let token = shared.sessions.create(user, role);
            record(shared, "login", user, json!({"role": role}));
            json_response(200, &json!({"user": user, "role": role})).with_header(header(
                "Set-Cookie",
                &format!("ecmo_session={token}; HttpOnly; SameSite=Strict; Path=/"),
            ))
        }
        None => {
            record(shared, "login_failed", user, json!({}));
            error(401, "password", "wrong user name or password")
        }
    }
}

/// An Argon2id hash of a random password, verified against when the user does not exist.
fn dummy_phc() -> &'static str {
    static PHC: std::sync::OnceLock<String> = std::sync::OnceLock::new();
    PHC.get_or_init(|| {
        crate::auth::hash_password(&crate::auth::generate_password()).unwrap_or_default()
    })
}

/// Record an operator action with who and when (ACC-2), and show it in the screens' event
/// logs. Live runs only.
///
/// This runs on an HTTP worker, never on the loop: the recording channel is waited on (an
/// operator action must not be lost to a momentarily full queue); the screen's is not.
fn record(shared: &Shared, kind: &str, user: &str, detail: Value) {
    if let Source::Live {
        record_tx,
        screen_tx,
        ..
    } = &shared.source
    {
        let ev = LoopOut::Event(EventRec {
            t: shared.now_t(),
            wall_ms: wall_ms(),
            kind: kind.into(),
            user: user.into(),
            detail,
        });
        let _ = screen_tx.try_send(ev.clone());
        let _ = record_tx.send(ev);
    }
}

fn require(
    s: &crate::auth::Session,
    role: Role,
    what: &str,
) -> Result<(), Response<std::io::Cursor<Vec<u8>>>> {
    if s.role >= role {
        Ok(())
    } else {
        Err(error(
            403,
            "role",
            &format!(
                "{what} needs the {} role; {} is logged in as {}",
                role.as_str(),
                s.user,
                s.role.as_str()
            ),
        ))
    }
}

fn api(
    rq: &mut Request,
    shared: &Arc<Shared>,
    s: &crate::auth::Session,
    method: &Method,
    path: &str,
    url: &str,
) -> Response<std::io::Cursor<Vec<u8>>> {
    match (method, path) {
        (Method::Get, "/api/session") => {
            json_response(200, &json!({"user": s.user, "role": s.role}))
        }
        (Method::Post, "/api/logout") => {
            if let Some(t) = cookie_token(rq) {
                shared.sessions.remove(&t);
            }
            json_response(200, &json!({"ok": true})).with_header(header(
                "Set-Cookie",
                "ecmo_session=; HttpOnly; SameSite=Strict; Path=/; Max-Age=0",
            ))
        }
        (Method::Get, "/api/state") => json_response(
            200,
            &json!({
                "user": s.user, "role": s.role, "run": shared.run,
                "mode": match shared.source { Source::Live { .. } => "live", Source::Replay { .. } => "replay" },
                "replay_speed": match &shared.source { Source::Replay { control, .. } => Some(control.state().1), _ => None },
                "status": shared.latest().as_deref(),
            }),
        ),
        (Method::Post, "/api/command") => {
            let body = match read_body(rq) {
                Ok(b) => b,
                Err(r) => return r,
            };
            let what = body
                .get("type")
                .and_then(Value::as_str)
                .unwrap_or("command")
                .to_string();
            // Role first: a viewer learns nothing about the command's validity (ACC-1).
            if let Err(r) = require(s, Role::Operator, &format!("command '{what}'")) {
                record(shared, "denied", &s.user, json!({"request": body}));
                return r;
            }
            let cmd: Command = match serde_json::from_value(body.clone()) {
                Ok(c) => c,
                Err(e) => return error(400, "body", &format!("not a command: {e}")),
            };
            submit(shared, s, LoopInReq::Command(cmd))
        }
        (Method::Post, "/api/inject") => {
            let body = match read_body(rq) {
                Ok(b) => b,
                Err(r) => return r,
            };
            if let Err(r) = require(s, Role::Instructor, "injecting an event") {
                record(shared, "denied", &s.user, json!({"request": body}));
                return r;
            }
            let inj: Injection = match serde_json::from_value(body) {
                Ok(c) => c,
                Err(e) => return error(400, "body", &format!("not an injection: {e}")),
            };
            submit(shared, s, LoopInReq::Inject(inj))
        }
        (Method::Get, "/api/trends") => {
            let span: f64 = query_param(url, "span")
                .and_then(|v| v.parse().ok())
                .unwrap_or(600.0);
            let points: usize = query_param(url, "points")
                .and_then(|v| v.parse().ok())
                .unwrap_or(600);
            let to = match shared.source {
                Source::Live { .. } => f64::MAX,
                Source::Replay { .. } => shared.replay_t_ms.load(Ordering::Relaxed) as f64 / 1000.0,
            };
            let now = shared.now_t();
            // `end`: the window's end in run time, for scrolling back (default: now).
            let (from, to) = match trend_end(url, now, to) {
                Ok(end) => (end - span, end),
                Err(r) => return r,
            };
            match store::open_ro(&shared.db_path)
                .and_then(|c| store::numerics(&c, shared.run, from, to, points.clamp(2, 5000)))
            {
                Ok(rows) => json_response(
                    200,
                    &json!({"t": now, "span": span, "end": to.min(now), "rows": rows}),
                ),
                Err(e) => error(500, "database", &e.0),
            }
        }
        (Method::Get, "/api/events") => {
            let limit: usize = query_param(url, "limit")
                .and_then(|v| v.parse().ok())
                .unwrap_or(200);
            let mut rows = match store::open_ro(&shared.db_path)
                .and_then(|c| store::recent_events(&c, shared.run, limit.min(5000)))
            {
                Ok(r) => r,
                Err(e) => return error(500, "database", &e.0),
            };
            if let Source::Replay { .. } = shared.source {
                let t = shared.replay_t_ms.load(Ordering::Relaxed) as f64 / 1000.0;
                rows.retain(|(_, e)| e.t <= t);
            }
            if s.role < Role::Instructor {
                rows.retain(|(_, e)| !instructor_only(&e.kind));
            }
            let rows: Vec<Value> = rows
                .into_iter()
                .map(|(id, e)| json!({"id": id, "e": e}))
                .collect();
            json_response(200, &json!({"events": rows}))
        }
        (Method::Get, "/api/users") => {
            if let Err(r) = require(s, Role::Instructor, "listing users") {
                return r;
            }
            match store::open_ro(&shared.db_path).and_then(|c| store::list_users(&c)) {
                Ok(u) => json_response(
                    200,
                    &json!({"users": u.iter().map(|(n, r)| json!({"name": n, "role": r})).collect::<Vec<_>>()}),
                ),
                Err(e) => error(500, "database", &e.0),
            }
        }
        (Method::Post, "/api/users") => {
            let body = match read_body(rq) {
                Ok(b) => b,
                Err(r) => return r,
            };
            if let Err(r) = require(s, Role::Instructor, "managing users") {
                record(shared, "denied", &s.user, json!({"request": "users"}));
                return r;
            }
            let name = body.get("name").and_then(Value::as_str).unwrap_or("");
            let Some(role) = body
                .get("role")
                .and_then(Value::as_str)
                .and_then(Role::parse)
            else {
                return error(400, "role", "role must be viewer, operator or instructor");
            };
            let pw = body.get("password").and_then(Value::as_str).unwrap_or("");
            match store::open(&shared.db_path).and_then(|c| store::put_user(&c, name, role, pw)) {
                Ok(()) => {
                    shared.sessions.remove_user(name);
                    record(shared, "user", &s.user, json!({"name": name, "role": role}));
                    json_response(200, &json!({"name": name, "role": role}))
                }
                Err(e) => error(400, "user", &e.0),
            }
        }
        (Method::Post, "/api/users/remove") => {
            let body = match read_body(rq) {
                Ok(b) => b,
                Err(r) => return r,
            };
            if let Err(r) = require(s, Role::Instructor, "managing users") {
                record(shared, "denied", &s.user, json!({"request": "remove user"}));
                return r;
            }
            let Some(name) = body.get("name").and_then(Value::as_str) else {
                return error(400, "name", "expected {\"name\": ...}");
            };
            // The last way in must not lock itself out.
            if name == s.user {
                return error(
                    409,
                    "name",
                    "you cannot remove yourself; another instructor can",
                );
            }
            match store::open(&shared.db_path).and_then(|c| store::delete_user(&c, name)) {
                Ok(true) => {
                    shared.sessions.remove_user(name);
                    record(shared, "user_removed", &s.user, json!({"name": name}));
                    json_response(200, &json!({"removed": name}))
                }
                Ok(false) => error(404, "name", &format!("no user '{name}'")),
                Err(e) => error(500, "database", &e.0),
            }
        }
        (Method::Post, "/api/remark") => {
            let body = match read_body(rq) {
                Ok(b) => b,
                Err(r) => return r,
            };
            if let Err(r) = require(s, Role::Instructor, "adding a remark") {
                record(shared, "denied", &s.user, json!({"request": "remark"}));
                return r;
            }
            if !matches!(shared.source, Source::Live { .. }) {
                return error(409, "mode", "remarks belong to a live run, not a replay");
            }
            let text = body
                .get("text")
                .and_then(Value::as_str)
                .unwrap_or("")
                .trim();
            if text.is_empty() || text.chars().count() > 2000 {
                return error(400, "text", "a remark is 1 to 2000 characters of text");
            }
            record(shared, "remark", &s.user, json!({"text": text}));
            json_response(200, &json!({"ok": true}))
        }
        (Method::Get, "/api/debrief") | (Method::Get, "/api/debrief.pdf") => {
            let run = match query_param(url, "run") {
                None => shared.run,
                Some(v) => match v.parse() {
                    Ok(r) => r,
                    Err(_) => return error(400, "run", &format!("run '{v}' is not a number")),
                },
            };
            let debrief = crate::records::record_from_db(&shared.db_path, Some(run))
                .and_then(training::debrief::Debrief::new);
            match debrief {
                Err(e) => error(404, "run", &e),
                Ok(d) if path.ends_with(".pdf") => match d.pdf() {
                    Ok(pdf) => Response::from_data(pdf)
                        .with_header(header("Content-Type", "application/pdf"))
                        .with_header(header("Cache-Control", "no-store")),
                    Err(e) => error(500, "pdf", &e),
                },
                // The report is self-contained: its one inline style sheet, no scripts.
                Ok(d) => Response::from_data(d.html().into_bytes())
                    .with_header(header("Content-Type", "text/html; charset=utf-8"))
                    .with_header(header("Cache-Control", "no-store"))
                    .with_header(header(
                        "Content-Security-Policy",
                        "default-src 'none'; style-src 'unsafe-inline'",
                    )),
            }
        }
        (Method::Post, "/api/replay") => {
            let body = match read_body(rq) {
                Ok(b) => b,
                Err(r) => return r,
            };
            replay_transport(shared, s, &body)
        }
        _ => error(404, "path", &format!("no such endpoint: {} {path}", method)),
    }
}

// ---------------------------------------------------------------- screen additions
// Small handlers kept apart from the routing above so they move with the page, whatever
// serves it.

/// The end of a trend window: `end` from the query (run time, s), else now. `cap`: the
/// latest time that may be shown (a replay's position; `f64::MAX` live).
fn trend_end(url: &str, now: f64, cap: f64) -> Result<f64, Response<std::io::Cursor<Vec<u8>>>> {
    let latest = if cap == f64::MAX { now } else { cap };
    match query_param(url, "end") {
        None => Ok(latest),
        Some(v) => match v.parse::<f64>() {
            Ok(e) if e.is_finite() => Ok(e.min(latest)),
            _ => Err(error(
                400,
                "end",
                &format!("end '{v}' is not a time in seconds"),
            )),
        },
    }
}

/// `POST /api/replay`: the replay's transport. `{"action": "play" | "pause"}`,
/// `{"action": "seek", "t": s}`, `{"action": "speed", "speed": x}`. Operators and instructors
/// only (one replay is shared by every screen watching it).
fn replay_transport(
    shared: &Shared,
    s: &crate::auth::Session,
    body: &Value,
) -> Response<std::io::Cursor<Vec<u8>>> {
    let Source::Replay { control, .. } = &shared.source else {
        return error(409, "mode", "this is a live run, not a replay");
    };
    if let Err(r) = require(s, Role::Operator, "controlling the replay") {
        return r;
    }
    let num = |k: &str| body.get(k).and_then(Value::as_f64);
    let r = match body.get("action").and_then(Value::as_str) {
        Some("play") => {
            control.play(true);
            Ok(())
        }
        Some("pause") => {
            control.play(false);
            Ok(())
        }
        Some("seek") => match num("t") {
            Some(t) => control.seek(t),
            None => return error(400, "t", "seek needs {\"t\": seconds}"),
        },
        Some("speed") => match num("speed") {
            Some(x) => control.set_speed(x),
            None => return error(400, "speed", "speed needs {\"speed\": factor}"),
        },
        _ => {
            return error(
                400,
                "action",
                "expected {\"action\": \"play\" | \"pause\" | \"seek\" | \"speed\"}",
            );
        }
    };
    match r {
        Ok(()) => {
            let (playing, speed) = control.state();
            json_response(200, &json!({"playing": playing, "speed": speed}))
        }
        Err(e) => error(422, "value", &e),
    }
}

enum LoopInReq {
    Command(Command),
    Inject(Injection),
}

/// Range-check, record and pass a request to the loop. Answers 202 with the sequence number the
/// screen shows as pending until the loop reports it applied.
fn submit(
    shared: &Shared,
    s: &crate::auth::Session,
    req: LoopInReq,
) -> Response<std::io::Cursor<Vec<u8>>> {
    let Source::Live { loop_tx, .. } = &shared.source else {
        return error(
            409,
            "mode",
            "this is a replay of a recording: nothing can be changed",
        );
    };
    let Some(st) = shared.latest() else {
        return error(503, "loop", "the control loop has not started yet");
    };
    let check = match &req {
        LoopInReq::Command(c) => c.validate(&st.settings),
        LoopInReq::Inject(i) => i.validate(&st.injections),
    };
    if let Err(r) = check {
        record(
            shared,
            "rejected",
            &s.user,
            json!({"field": r.field, "error": r.message}),
        );
        return error(422, &r.field, &r.message);
    }
    let seq = shared.seq.fetch_add(1, Ordering::Relaxed) + 1;
    let (kind, detail, msg) = match req {
        LoopInReq::Command(cmd) => (
            "action",
            json!({"seq": seq, "request": cmd}),
            LoopIn::Command {
                seq,
                user: s.user.clone(),
                cmd,
            },
        ),
        LoopInReq::Inject(i) => (
            "inject",
            json!({"seq": seq, "request": i}),
            LoopIn::Inject {
                seq,
                user: s.user.clone(),
                name: i.name,
                value: i.value,
            },
        ),
    };
    record(shared, kind, &s.user, detail);
    match loop_tx.try_send(msg) {
        Ok(()) => json_response(202, &json!({"seq": seq, "pending": true})),
        Err(_) => error(503, "loop", "the control loop is busy; try again"),
    }
}

// ---------------------------------------------------------------- WebSocket

fn websocket(rq: Request, shared: &Arc<Shared>, role: Role) {
    let key = header_value(&rq, "Sec-WebSocket-Key").map(|k| k.to_string());
    let is_ws = header_value(&rq, "Upgrade").is_some_and(|u| u.eq_ignore_ascii_case("websocket"));
    let Some(key) = key.filter(|_| is_ws) else {
        let _ = rq.respond(error(400, "upgrade", "expected a WebSocket upgrade"));
        return;
    };
    let accept = tungstenite::handshake::derive_accept_key(key.as_bytes());
    let resp =
        Response::empty(StatusCode(101)).with_header(header("Sec-WebSocket-Accept", &accept));
    let stream = rq.upgrade("websocket", resp);
    let (tx, rx) = sync_channel::<Utf8Bytes>(CLIENT_QUEUE);
    // The first message: where things stand now.
    if let Some(st) = shared.latest() {
        let _ = tx.try_send(Utf8Bytes::from(json!({"k": "s", "d": &*st}).to_string()));
    }
    if let Ok(mut c) = shared.clients.lock() {
        c.push(Client { tx, role });
    }
    std::thread::spawn(move || {
        let mut ws = tungstenite::WebSocket::from_raw_socket(
            stream,
            tungstenite::protocol::Role::Server,
            None,
        );
        while let Ok(m) = rx.recv() {
            if ws.send(tungstenite::Message::Text(m)).is_err() {
                break;
            }
        }
        let _ = ws.close(None);
    });
}
