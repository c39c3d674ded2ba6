//! HTTP and WebSocket: the screen's only way in.
//!
//! axum routes requests (on hyper and tokio, see net.rs for the connection limits); handlers
//! that touch SQLite or Argon2 run on tokio's bounded blocking pool, so the async workers never
//! wait for the disk. A WebSocket is axum's, with one task per viewer fed by a bounded queue:
//! the hub thread never waits for a viewer (a full queue loses that viewer a message) and a
//! stuck viewer blocks only its own task. Viewers send nothing: a data frame from one closes
//! its socket.
//!
//! Every request that changes something checks the `Origin` against the configured origins
//! (not against the `Host` the client sends, which a rebinding attacker controls), the
//! session's role (ACC-1), records who asked and when (ACC-2), and range-checks the command
//! against the ranges the control core published (CON-1) before it reaches the loop. A session
//! whose password is a one-time one may do nothing but change it. Ending a session (logout,
//! removal, a new role or password, expiry) closes its sockets at once.
use crate::auth::{self, Session};
use crate::net::{ConnState, Limits};
use crate::store;
use axum::Router;
use axum::body::Body;
use axum::extract::ws::{Message, Utf8Bytes, WebSocket, WebSocketUpgrade};
use axum::extract::{ConnectInfo, FromRequestParts, Query, Request, State};
use axum::http::request::Parts;
use axum::http::{HeaderMap, HeaderValue, Method, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use engine::engine::{Applied, LoopIn, LoopOut, LoopStats, Status};
use engine::model::{Command, EventRec, Injection, Role, wall_ms};
use serde::Deserialize;
use serde::de::DeserializeOwned;
use serde_json::{Value, json};
use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::mpsc::{Receiver, RecvTimeoutError, SyncSender};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// Messages queued per viewer (about 1 s of waveform batches at real time).
const CLIENT_QUEUE: usize = 64;
/// The hub sends waveform batches at most this often (adds at most this to sample-to-screen
/// latency; 20 ms keeps the target of 100 ms with room for the network and one frame).
const FLUSH_EVERY: Duration = Duration::from_millis(20);
/// A viewer that has not taken a message for this long is dropped.
const SEND_TIMEOUT: Duration = Duration::from_secs(10);
/// Argon2 verifications at once (each takes 19 MiB and tens of ms of one core); logins beyond
/// wait up to [`ARGON2_WAIT`], then get 503.
const ARGON2_SLOTS: usize = 2;
const ARGON2_WAIT: Duration = Duration::from_secs(5);
/// Failed logins written to the event log per minute; beyond, they are counted into the next
/// one written (the `login_failures` table keeps the newest 1000 in full).
const FAILED_LOGINS_LOGGED_PER_MIN: u32 = 10;
const COOKIE: &str = "ecmo_session";

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

/// How the web side is configured.
#[derive(Clone, Debug)]
pub struct WebConfig {
    pub limits: Limits,
    /// Origins (`scheme://host:port`, lower case) whose pages may send commands and open
    /// sockets.
    pub allowed_origins: Vec<String>,
    /// Served over TLS: cookies get `Secure`.
    pub tls: bool,
}

/// State shared by the server's tasks and threads.
pub struct Shared {
    pub db_path: PathBuf,
    pub run: i64,
    pub source: Source,
    pub sessions: auth::Sessions,
    pub latest: Arc<Mutex<Option<Arc<Status>>>>,
    pub stats: Arc<LoopStats>,
    pub seq: AtomicU64,
    pub clients: Mutex<Vec<Client>>,
    pub stop: Arc<std::sync::atomic::AtomicBool>,
    /// Messages lost by slow viewers, all viewers together.
    pub dropped_clients: AtomicU64,
    /// Replay position (simulated s × 1000) for trend queries during replay.
    pub replay_t_ms: Arc<AtomicU64>,
    pub web: WebConfig,
    pub account_throttle: auth::Throttle,
    pub address_throttle: auth::Throttle,
    pub argon2_slots: tokio::sync::Semaphore,
    /// (minute, failed logins logged in it, failed logins not logged since the last logged).
    failed_log: Mutex<(i64, u32, u32)>,
    pub conns: Arc<crate::net::ConnCount>,
}

impl Shared {
    #[allow(clippy::too_many_arguments)]
    pub fn new(
        db_path: PathBuf,
        run: i64,
        source: Source,
        sessions: auth::Sessions,
        latest: Arc<Mutex<Option<Arc<Status>>>>,
        stats: Arc<LoopStats>,
        stop: Arc<std::sync::atomic::AtomicBool>,
        web: WebConfig,
    ) -> Shared {
        Shared {
            db_path,
            run,
            source,
            sessions,
            latest,
            stats,
            seq: AtomicU64::new(0),
            clients: Mutex::new(Vec::new()),
            stop,
            dropped_clients: AtomicU64::new(0),
            replay_t_ms: Arc::new(AtomicU64::new(0)),
            web,
            account_throttle: auth::Throttle::new(auth::ACCOUNT_THROTTLE),
            address_throttle: auth::Throttle::new(auth::ADDRESS_THROTTLE),
            argon2_slots: tokio::sync::Semaphore::new(ARGON2_SLOTS),
            failed_log: Mutex::new((0, 0, 0)),
            conns: Arc::new(crate::net::ConnCount::default()),
        }
    }
}

pub struct Client {
    tx: tokio::sync::mpsc::Sender<Utf8Bytes>,
    /// The session's role when the socket opened: instructor-only events go to instructors.
    role: Role,
    user: String,
    /// The session (token hash) the socket belongs to.
    session: String,
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
    /// Close the sockets that `f` picks (their queue is dropped: the viewer's task sends a
    /// Close frame and ends at once).
    pub fn close_clients(&self, f: impl Fn(&Client) -> bool) {
        if let Ok(mut c) = self.clients.lock() {
            c.retain(|x| !f(x));
        }
    }
    fn close_user(&self, user: &str) {
        self.close_clients(|c| c.user == user);
    }
    /// Sessions that ended by expiry or elsewhere (another process's `ecmo user`) close their
    /// sockets; sessions with a screen open count as in use. Called about once a second.
    pub fn sweep_sessions(&self) {
        let ids: Vec<String> = self
            .clients
            .lock()
            .map(|c| c.iter().map(|x| x.session.clone()).collect())
            .unwrap_or_default();
        self.sessions.keep_alive(ids.iter().map(String::as_str));
        self.sessions.expire();
        let _ = self.sessions.reload();
        self.close_clients(|c| !self.sessions.is_alive(&c.session));
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
    use tokio::sync::mpsc::error::TrySendError;
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
            Err(TrySendError::Closed(_)) => false,
        }
    });
}

// ---------------------------------------------------------------- responses

pub(crate) fn json_response(code: u16, v: &Value) -> Response {
    let mut r = (
        StatusCode::from_u16(code).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR),
        v.to_string(),
    )
        .into_response();
    let h = r.headers_mut();
    h.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/json"),
    );
    h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    r
}

/// A JSON error: what went wrong and which field or part of the request.
pub(crate) fn error(code: u16, field: &str, message: &str) -> Response {
    json_response(code, &json!({"error": message, "field": field}))
}

fn with_header(mut r: Response, name: header::HeaderName, value: &str) -> Response {
    if let Ok(v) = HeaderValue::from_str(value) {
        r.headers_mut().append(name, v);
    }
    r
}

fn too_many(wait: Duration) -> Response {
    let secs = wait.as_secs_f64().ceil().max(1.0) as u64;
    with_header(
        error(
            429,
            "password",
            &format!("too many failed logins; try again in {secs} s"),
        ),
        header::RETRY_AFTER,
        &secs.to_string(),
    )
}

/// Run blocking work (SQLite, Argon2, PDF) on tokio's bounded blocking pool.
async fn blocking(f: impl FnOnce() -> Response + Send + 'static) -> Response {
    tokio::task::spawn_blocking(f)
        .await
        .unwrap_or_else(|_| error(500, "server", "the request failed inside the server"))
}

fn cookie_token(headers: &HeaderMap) -> Option<String> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(cookie::Cookie::split_parse)
        .filter_map(Result::ok)
        .find(|c| c.name() == COOKIE)
        .map(|c| c.value().to_string())
}

fn session_cookie(shared: &Shared, token: &str, max_age: Option<i64>) -> String {
    let mut c = cookie::Cookie::build((COOKIE, token.to_string()))
        .http_only(true)
        .same_site(cookie::SameSite::Strict)
        .path("/")
        .secure(shared.web.tls);
    if let Some(s) = max_age {
        c = c.max_age(cookie::time::Duration::seconds(s));
    }
    c.build().to_string()
}

/// Whether a request may act: a browser always sends `Origin` on POSTs and WebSocket opens; it
/// must be one of the configured origins. Clients that send none (command-line tools) are not
/// browsers and cannot be driven by a page.
pub fn origin_allowed(web: &WebConfig, headers: &HeaderMap) -> bool {
    match headers.get(header::ORIGIN).map(|o| o.to_str()) {
        None => true,
        Some(Ok(o)) => {
            let o = o.trim_end_matches('/').to_ascii_lowercase();
            web.allowed_origins.contains(&o)
        }
        Some(Err(_)) => false,
    }
}

/// Read a JSON body within the limits: 413 when too large, 408 when too slow.
async fn read_json(shared: &Shared, req: Request) -> Result<Value, Response> {
    let l = shared.web.limits;
    let declared = req
        .headers()
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<u64>().ok());
    if declared.is_some_and(|n| n > l.max_body as u64) {
        return Err(body_too_large(l.max_body));
    }
    let body = req.into_body();
    let bytes =
        match tokio::time::timeout(l.read_timeout, axum::body::to_bytes(body, l.max_body)).await {
            Err(_) => return Err(error(408, "body", "request body not received in time")),
            Ok(Err(_)) => return Err(body_too_large(l.max_body)),
            Ok(Ok(b)) => b,
        };
    serde_json::from_slice(&bytes)
        .map_err(|e| error(400, "body", &format!("body is not valid JSON: {e}")))
}

/// `f` on a blocking thread with the request's JSON body; a body that cannot be read is
/// answered as [`read_json`] answers it.
async fn json_blocking(
    shared: Arc<Shared>,
    req: Request,
    f: impl FnOnce(Arc<Shared>, Value) -> Response + Send + 'static,
) -> Response {
    match read_json(&shared, req).await {
        Ok(body) => blocking(move || f(shared, body)).await,
        Err(r) => r,
    }
}

/// The two string fields `keys` of a JSON body, or the 400 that names them.
async fn read_strings(
    shared: &Shared,
    req: Request,
    keys: [&str; 2],
) -> Result<(String, String), Response> {
    let b = read_json(shared, req).await?;
    match keys.map(|k| b.get(k).and_then(Value::as_str)) {
        [Some(x), Some(y)] => Ok((x.to_string(), y.to_string())),
        _ => Err(error(
            400,
            "body",
            &format!("expected {{\"{}\": ..., \"{}\": ...}}", keys[0], keys[1]),
        )),
    }
}

fn body_too_large(max: usize) -> Response {
    error(
        413,
        "body",
        &format!("request body too large (at most {max} bytes)"),
    )
}

// ---------------------------------------------------------------- sessions as an extractor

/// The caller's live session. Refuses with 401 without one, and with 403 while the password is
/// a one-time one (except for what it takes to change it).
pub struct Authed(pub Session);

impl FromRequestParts<Arc<Shared>> for Authed {
    type Rejection = Response;
    async fn from_request_parts(
        parts: &mut Parts,
        shared: &Arc<Shared>,
    ) -> Result<Self, Self::Rejection> {
        let token =
            cookie_token(&parts.headers).ok_or_else(|| error(401, "session", "log in first"))?;
        let (s, persist) = shared
            .sessions
            .get(&token)
            .ok_or_else(|| error(401, "session", "log in first (the session has ended)"))?;
        if persist {
            let (sh, id, last) = (shared.clone(), s.id.clone(), s.last_ms);
            tokio::task::spawn_blocking(move || sh.sessions.persist_touch(&id, last));
        }
        if s.must_change
            && !matches!(
                parts.uri.path(),
                "/api/session" | "/api/password" | "/api/logout"
            )
        {
            return Err(error(
                403,
                "password_change",
                "this password is a one-time one: change it first (POST /api/password)",
            ));
        }
        Ok(Authed(s))
    }
}

// An axum `Response` is the rejection every handler returns early with; boxing it to please
// `result_large_err` would allocate on each refusal for no gain.
#[allow(clippy::result_large_err)]
fn require(s: &Session, role: Role, what: &str) -> Result<(), Response> {
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

/// [`require`]; a refusal is also recorded in the event log, with the `request` refused.
#[allow(clippy::result_large_err)] // see `require`
fn require_or_record(
    shared: &Shared,
    s: &Session,
    role: Role,
    what: &str,
    request: impl FnOnce() -> Value,
) -> Result<(), Response> {
    require(s, role, what)
        .inspect_err(|_| record(shared, "denied", &s.user, json!({"request": request()})))
}

// ---------------------------------------------------------------- routes

/// The console's routes.
pub fn router(shared: Arc<Shared>) -> Router {
    Router::new()
        .route("/", get(index))
        .route("/index.html", get(index))
        .route("/app.js", get(app_js))
        .route("/app.css", get(app_css))
        .route("/api/openapi.json", get(openapi))
        .route("/api/health", get(health))
        .route("/api/login", post(login))
        .route("/api/logout", post(logout))
        .route("/api/password", post(change_password))
        .route("/api/session", get(session))
        .route("/api/state", get(state))
        .route("/api/command", post(command))
        .route("/api/inject", post(inject))
        .route("/api/trends", get(trends))
        .route("/api/events", get(events))
        .route("/api/users", get(list_users).post(put_user))
        .route("/api/users/remove", post(remove_user))
        .route("/api/remark", post(remark))
        .route("/api/debrief", get(debrief::<false>))
        .route("/api/debrief.pdf", get(debrief::<true>))
        .route("/api/replay", post(replay))
        .route("/ws", get(websocket))
        .fallback(not_found)
        .layer(axum::middleware::from_fn_with_state(
            shared.clone(),
            check_origin,
        ))
        .with_state(shared)
}

/// Cross-origin requests that act, and cross-origin sockets, are refused before any handler.
async fn check_origin(
    State(shared): State<Arc<Shared>>,
    req: Request,
    next: axum::middleware::Next,
) -> Response {
    let acts = !matches!(*req.method(), Method::GET | Method::HEAD) || req.uri().path() == "/ws";
    if acts && !origin_allowed(&shared.web, req.headers()) {
        return error(
            403,
            "origin",
            "cross-origin request refused (the page's origin is not one this console serves; see --allowed-origin)",
        );
    }
    next.run(req).await
}

async fn not_found(method: Method, uri: axum::http::Uri) -> Response {
    let path = uri.path();
    if path.starts_with("/api/") {
        error(404, "path", &format!("no such endpoint: {method} {path}"))
    } else {
        error(404, "path", &format!("no such page: {path}"))
    }
}

/// Static assets need no session: the page itself asks the user to log in.
fn asset(body: &'static str, ctype: &'static str) -> Response {
    let mut r = body.into_response();
    let h = r.headers_mut();
    h.insert(header::CONTENT_TYPE, HeaderValue::from_static(ctype));
    h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-cache"));
    h.insert(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static(
            "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'",
        ),
    );
    h.insert(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
    h.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    r
}

async fn index() -> Response {
    asset(INDEX_HTML, "text/html; charset=utf-8")
}
async fn app_js() -> Response {
    asset(APP_JS, "text/javascript; charset=utf-8")
}
async fn app_css() -> Response {
    asset(APP_CSS, "text/css; charset=utf-8")
}
async fn openapi() -> Response {
    asset(OPENAPI_JSON, "application/json")
}

fn mode(shared: &Shared) -> &'static str {
    match shared.source {
        Source::Live { .. } => "live",
        Source::Replay { .. } => "replay",
    }
}

/// Without a session: only that the console is alive. With one: the run, the loop's
/// statistics and the viewers.
async fn health(State(shared): State<Arc<Shared>>, headers: HeaderMap) -> Response {
    let logged_in = cookie_token(&headers).is_some_and(|t| shared.sessions.get(&t).is_some());
    if !logged_in {
        return json_response(200, &json!({"ok": true}));
    }
    json_response(
        200,
        &json!({
            "ok": true,
            "mode": mode(&shared),
            "run": shared.run,
            "t": shared.now_t(),
            "loop": shared.stats.snapshot(),
            "clients": shared.client_count(),
            "connections": shared.conns.total(),
            "dropped_clients": shared.dropped_clients.load(Ordering::Relaxed),
        }),
    )
}

async fn login(
    State(shared): State<Arc<Shared>>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    req: Request,
) -> Response {
    let (user, pw) = match read_strings(&shared, req, ["user", "password"]).await {
        Ok(p) => p,
        Err(r) => return r,
    };
    let name = auth::sanitise_name(&user);
    let addr = peer.ip().to_string();
    // Refused before anything is checked: no Argon2 work, no database.
    if let Err(wait) = shared.address_throttle.check(&addr) {
        return too_many(wait);
    }
    if let Err(wait) = shared.account_throttle.check(&name) {
        return too_many(wait);
    }
    if pw.len() > auth::MAX_PASSWORD_BYTES {
        return error(400, "password", "password too long");
    }
    let Ok(Ok(permit)) = tokio::time::timeout(ARGON2_WAIT, shared.argon2_slots.acquire()).await
    else {
        return error(503, "server", "too many logins at once; try again");
    };
    let sh = shared.clone();
    let r = blocking(move || login_blocking(&sh, &user, &name, &pw, &addr)).await;
    drop(permit);
    r
}

fn login_blocking(shared: &Shared, user: &str, name: &str, pw: &str, addr: &str) -> Response {
    // A name that cannot exist is not looked up, but costs the same verification.
    let found = if auth::check_user_name(user).is_ok() {
        match store::open_ro(&shared.db_path).and_then(|c| store::get_user(&c, user)) {
            Ok(f) => f,
            Err(e) => return error(500, "database", &e.0),
        }
    } else {
        None
    };
    // Exactly one verification whether or not the user exists (timing tells no names).
    let (phc, known) = match &found {
        Some((_, phc, _)) => (phc.as_str(), true),
        None => (auth::dummy_phc(), false),
    };
    let ok = auth::verify_password(pw, phc) && known;
    match (ok, found) {
        (true, Some((role, _, must_change))) => {
            shared.account_throttle.clear(name);
            let token = match shared.sessions.create(user, role, must_change) {
                Ok(t) => t,
                Err(e) => return error(500, "database", &e),
            };
            record(shared, "login", user, json!({"role": role, "addr": addr}));
            with_header(
                json_response(
                    200,
                    &json!({"user": user, "role": role, "must_change": must_change}),
                ),
                header::SET_COOKIE,
                &session_cookie(shared, &token, None),
            )
        }
        _ => {
            shared.account_throttle.fail(name);
            shared.address_throttle.fail(addr);
            log_failed_login(shared, name, addr);
            error(401, "password", "wrong user name or password")
        }
    }
}

/// Keep every failed login in the bounded `login_failures` table, and a bounded share in the
/// event log (the rest counted into the next one logged).
fn log_failed_login(shared: &Shared, name: &str, addr: &str) {
    if let Ok(c) = store::open(&shared.db_path) {
        let _ = store::record_login_failure(&c, name, addr);
    }
    let minute = wall_ms() / 60_000;
    let suppressed = {
        let mut f = shared.failed_log.lock().unwrap_or_else(|e| e.into_inner());
        if f.0 != minute {
            f.0 = minute;
            f.1 = 0;
        }
        if f.1 >= FAILED_LOGINS_LOGGED_PER_MIN {
            f.2 += 1;
            return;
        }
        f.1 += 1;
        std::mem::take(&mut f.2)
    };
    let mut detail = json!({"addr": addr});
    if suppressed > 0 {
        detail["not_logged_before"] = json!(suppressed);
    }
    record(shared, "login_failed", name, detail);
}

async fn logout(State(shared): State<Arc<Shared>>, Authed(s): Authed) -> Response {
    let sh = shared.clone();
    blocking(move || {
        sh.sessions.remove(&s.id);
        sh.close_clients(|c| c.session == s.id);
        record(&sh, "logout", &s.user, json!({}));
        with_header(
            json_response(200, &json!({"ok": true})),
            header::SET_COOKIE,
            &session_cookie(&sh, "", Some(0)),
        )
    })
    .await
}

/// Change one's own password: the old one is checked (throttled like a login), the new one
/// against the policy. Other sessions of the user end; this one goes on.
async fn change_password(
    State(shared): State<Arc<Shared>>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    Authed(s): Authed,
    req: Request,
) -> Response {
    let (old, new) = match read_strings(&shared, req, ["old", "new"]).await {
        Ok(p) => p,
        Err(r) => return r,
    };
    if let Err(wait) = shared.account_throttle.check(&s.user) {
        return too_many(wait);
    }
    if old.len() > auth::MAX_PASSWORD_BYTES {
        return error(400, "old", "password too long");
    }
    if let Err(e) = auth::check_password(&s.user, &new) {
        return error(400, "new", &e);
    }
    if old == new {
        return error(400, "new", "the new password must differ from the old one");
    }
    let Ok(Ok(permit)) = tokio::time::timeout(ARGON2_WAIT, shared.argon2_slots.acquire()).await
    else {
        return error(503, "server", "too many logins at once; try again");
    };
    let addr = peer.ip().to_string();
    let sh = shared.clone();
    let r = blocking(move || {
        let c = match store::open(&sh.db_path) {
            Ok(c) => c,
            Err(e) => return error(500, "database", &e.0),
        };
        let phc = match store::get_user(&c, &s.user) {
            Ok(Some((_, phc, _))) => phc,
            Ok(None) => return error(401, "session", "this user no longer exists"),
            Err(e) => return error(500, "database", &e.0),
        };
        if !auth::verify_password(&old, &phc) {
            sh.account_throttle.fail(&s.user);
            sh.address_throttle.fail(&addr);
            return error(403, "old", "the current password is wrong");
        }
        if let Err(e) = store::set_password(&c, &s.user, &new) {
            return error(400, "new", &e.0);
        }
        // Every other session of this user ends (and its sockets close); this one goes on.
        if let Err(e) = store::delete_user_sessions(&c, &s.user).and_then(|_| {
            store::insert_session(
                &c,
                &store::SessionRow {
                    id: s.id.clone(),
                    user: s.user.clone(),
                    role: s.role,
                    created_ms: s.created_ms,
                    last_ms: wall_ms(),
                },
            )
        }) {
            return error(500, "database", &e.0);
        }
        let _ = sh.sessions.reload();
        sh.sessions.clear_must_change(&s.id);
        sh.close_clients(|c| c.user == s.user && c.session != s.id);
        record(&sh, "password_changed", &s.user, json!({}));
        json_response(
            200,
            &json!({"user": s.user, "role": s.role, "must_change": false}),
        )
    })
    .await;
    drop(permit);
    r
}

async fn session(Authed(s): Authed) -> Response {
    json_response(
        200,
        &json!({"user": s.user, "role": s.role, "must_change": s.must_change}),
    )
}

async fn state(State(shared): State<Arc<Shared>>, Authed(s): Authed) -> Response {
    json_response(
        200,
        &json!({
            "user": s.user, "role": s.role, "run": shared.run,
            "mode": mode(&shared),
            "replay_speed": match &shared.source { Source::Replay { control } => Some(control.state().1), _ => None },
            "status": shared.latest().as_deref(),
        }),
    )
}

/// Record an operator action with who and when (ACC-2), and show it in the screens' event
/// logs. Live runs only.
///
/// This runs on the blocking pool, never on the loop: the recording channel is waited on (an
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

async fn command(State(shared): State<Arc<Shared>>, Authed(s): Authed, req: Request) -> Response {
    json_blocking(shared, req, move |shared, body| {
        let what = body
            .get("type")
            .and_then(Value::as_str)
            .unwrap_or("command")
            .to_string();
        // Role first: a viewer learns nothing about the command's validity (ACC-1).
        let why = format!("command '{what}'");
        if let Err(r) = require_or_record(&shared, &s, Role::Operator, &why, || body.clone()) {
            return r;
        }
        let cmd: Command = match serde_json::from_value(body.clone()) {
            Ok(c) => c,
            Err(e) => return error(400, "body", &format!("not a command: {e}")),
        };
        submit(&shared, &s, LoopInReq::Command(cmd))
    })
    .await
}

async fn inject(State(shared): State<Arc<Shared>>, Authed(s): Authed, req: Request) -> Response {
    json_blocking(shared, req, move |shared, body| {
        let what = "injecting an event";
        if let Err(r) = require_or_record(&shared, &s, Role::Instructor, what, || body.clone()) {
            return r;
        }
        let inj: Injection = match serde_json::from_value(body) {
            Ok(c) => c,
            Err(e) => return error(400, "body", &format!("not an injection: {e}")),
        };
        submit(&shared, &s, LoopInReq::Inject(inj))
    })
    .await
}

type QueryResult<T> = Result<Query<T>, axum::extract::rejection::QueryRejection>;

/// A query string, parsed (percent-decoded) by serde_urlencoded; refused with 400 naming the
/// query.
struct Q<T>(T);

impl<T: DeserializeOwned, S: Send + Sync> FromRequestParts<S> for Q<T> {
    type Rejection = Response;
    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, Self::Rejection> {
        Query::try_from_uri(&parts.uri)
            .map(|Query(t)| Q(t))
            .map_err(|e| error(400, "query", &format!("bad query: {}", e.body_text())))
    }
}

#[derive(Deserialize)]
struct TrendsQuery {
    span: Option<f64>,
    points: Option<usize>,
    /// The window's end in run time, s, for scrolling back (default: now).
    end: Option<f64>,
}

async fn trends(
    State(shared): State<Arc<Shared>>,
    Authed(_s): Authed,
    Q(q): Q<TrendsQuery>,
) -> Response {
    let span = q
        .span
        .filter(|s| s.is_finite() && *s > 0.0)
        .unwrap_or(600.0);
    let points = q.points.unwrap_or(600);
    if q.end.is_some_and(|e| !e.is_finite()) {
        return error(400, "end", "end is not a time in seconds");
    }
    blocking(move || {
        let now = shared.now_t();
        // The latest time that may be shown: now live, the replay's position in a replay.
        let latest = match shared.source {
            Source::Live { .. } => now,
            Source::Replay { .. } => shared.replay_t_ms.load(Ordering::Relaxed) as f64 / 1000.0,
        };
        let to = q.end.map_or(latest, |e| e.min(latest));
        let from = to - span;
        match store::open_ro(&shared.db_path)
            .and_then(|c| store::numerics(&c, shared.run, from, to, points.clamp(2, 5000)))
        {
            Ok(rows) => json_response(
                200,
                &json!({"t": now, "span": span, "end": to.min(now), "rows": rows}),
            ),
            Err(e) => error(500, "database", &e.0),
        }
    })
    .await
}

#[derive(Deserialize)]
struct EventsQuery {
    limit: Option<usize>,
}

async fn events(
    State(shared): State<Arc<Shared>>,
    Authed(s): Authed,
    Q(q): Q<EventsQuery>,
) -> Response {
    let limit = q.limit.unwrap_or(200).min(5000);
    blocking(move || {
        let mut rows = match store::open_ro(&shared.db_path)
            .and_then(|c| store::recent_events(&c, shared.run, limit))
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
    })
    .await
}

async fn list_users(State(shared): State<Arc<Shared>>, Authed(s): Authed) -> Response {
    if let Err(r) = require(&s, Role::Instructor, "listing users") {
        return r;
    }
    blocking(move || {
        match store::open_ro(&shared.db_path).and_then(|c| store::list_users(&c)) {
            Ok(u) => json_response(
                200,
                &json!({"users": u.iter().map(|(n, r)| json!({"name": n, "role": r})).collect::<Vec<_>>()}),
            ),
            Err(e) => error(500, "database", &e.0),
        }
    })
    .await
}

async fn put_user(State(shared): State<Arc<Shared>>, Authed(s): Authed, req: Request) -> Response {
    json_blocking(shared, req, move |shared, body| {
        if let Err(r) = require_or_record(&shared, &s, Role::Instructor, "managing users", || {
            json!("users")
        }) {
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
                // A new role or password: the old sessions end and their screens close now.
                shared.sessions.remove_user(name);
                shared.close_user(name);
                record(
                    &shared,
                    "user",
                    &s.user,
                    json!({"name": name, "role": role}),
                );
                json_response(200, &json!({"name": name, "role": role}))
            }
            Err(e) => error(400, "user", &e.0),
        }
    })
    .await
}

async fn remove_user(
    State(shared): State<Arc<Shared>>,
    Authed(s): Authed,
    req: Request,
) -> Response {
    json_blocking(shared, req, move |shared, body| {
        if let Err(r) = require_or_record(&shared, &s, Role::Instructor, "managing users", || {
            json!("remove user")
        }) {
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
                shared.close_user(name);
                record(&shared, "user_removed", &s.user, json!({"name": name}));
                json_response(200, &json!({"removed": name}))
            }
            Ok(false) => error(404, "name", &format!("no user '{name}'")),
            Err(e) => error(500, "database", &e.0),
        }
    })
    .await
}

async fn remark(State(shared): State<Arc<Shared>>, Authed(s): Authed, req: Request) -> Response {
    let body = match read_json(&shared, req).await {
        Ok(b) => b,
        Err(r) => return r,
    };
    if let Err(r) = require(&s, Role::Instructor, "adding a remark") {
        let sh = shared.clone();
        return blocking(move || {
            record(&sh, "denied", &s.user, json!({"request": "remark"}));
            r
        })
        .await;
    }
    if !matches!(shared.source, Source::Live { .. }) {
        return error(409, "mode", "remarks belong to a live run, not a replay");
    }
    let text = body
        .get("text")
        .and_then(Value::as_str)
        .unwrap_or("")
        .trim()
        .to_string();
    if text.is_empty() || text.chars().count() > 2000 {
        return error(400, "text", "a remark is 1 to 2000 characters of text");
    }
    blocking(move || {
        record(&shared, "remark", &s.user, json!({"text": text}));
        json_response(200, &json!({"ok": true}))
    })
    .await
}

#[derive(Deserialize)]
struct DebriefQuery {
    run: Option<i64>,
}

/// `GET /api/debrief` (HTML) and `/api/debrief.pdf` (`PDF`).
async fn debrief<const PDF: bool>(
    State(shared): State<Arc<Shared>>,
    Authed(_s): Authed,
    q: QueryResult<DebriefQuery>,
) -> Response {
    let run = match q {
        Ok(Query(q)) => q.run.unwrap_or(shared.run),
        Err(_) => return error(400, "run", "run must be a number"),
    };
    blocking(move || {
        let debrief = crate::records::record_from_db(&shared.db_path, Some(run))
            .and_then(training::debrief::Debrief::new);
        match debrief {
            Err(e) => error(404, "run", &e),
            Ok(d) if PDF => match d.pdf() {
                Ok(pdf) => {
                    let mut r = Body::from(pdf).into_response();
                    r.headers_mut().insert(
                        header::CONTENT_TYPE,
                        HeaderValue::from_static("application/pdf"),
                    );
                    r.headers_mut()
                        .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
                    r
                }
                Err(e) => error(500, "pdf", &e),
            },
            // The report is self-contained: its one inline style sheet, no scripts.
            Ok(d) => {
                let mut r = Body::from(d.html()).into_response();
                let h = r.headers_mut();
                h.insert(
                    header::CONTENT_TYPE,
                    HeaderValue::from_static("text/html; charset=utf-8"),
                );
                h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
                h.insert(
                    header::CONTENT_SECURITY_POLICY,
                    HeaderValue::from_static("default-src 'none'; style-src 'unsafe-inline'"),
                );
                r
            }
        }
    })
    .await
}

/// `POST /api/replay`: the replay's transport. `{"action": "play" | "pause"}`,
/// `{"action": "seek", "t": s}`, `{"action": "speed", "speed": x}`. Operators and instructors
/// only (one replay is shared by every screen watching it).
async fn replay(State(shared): State<Arc<Shared>>, Authed(s): Authed, req: Request) -> Response {
    let body = match read_json(&shared, req).await {
        Ok(b) => b,
        Err(r) => return r,
    };
    let Source::Replay { control } = &shared.source else {
        return error(409, "mode", "this is a live run, not a replay");
    };
    if let Err(r) = require(&s, Role::Operator, "controlling the replay") {
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
fn submit(shared: &Shared, s: &Session, req: LoopInReq) -> Response {
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
    let user = s.user.clone();
    let (kind, request, msg) = match req {
        LoopInReq::Command(cmd) => ("action", json!(cmd), LoopIn::Command { seq, user, cmd }),
        LoopInReq::Inject(i) => (
            "inject",
            json!(i),
            LoopIn::Inject {
                seq,
                user,
                name: i.name,
                value: i.value,
            },
        ),
    };
    record(
        shared,
        kind,
        &s.user,
        json!({"seq": seq, "request": request}),
    );
    match loop_tx.try_send(msg) {
        Ok(()) => json_response(202, &json!({"seq": seq, "pending": true})),
        Err(_) => error(503, "loop", "the control loop is busy; try again"),
    }
}

// ---------------------------------------------------------------- WebSocket

async fn websocket(
    State(shared): State<Arc<Shared>>,
    Authed(s): Authed,
    conn: Option<axum::Extension<Arc<ConnState>>>,
    ws: Result<WebSocketUpgrade, axum::extract::ws::rejection::WebSocketUpgradeRejection>,
) -> Response {
    let ws = match ws {
        Ok(ws) => ws,
        Err(_) => return error(400, "upgrade", "expected a WebSocket upgrade"),
    };
    // From here the connection is a socket: the HTTP head and idle deadlines no longer apply.
    if let Some(axum::Extension(c)) = conn {
        c.upgraded.store(true, Ordering::Relaxed);
    }
    let (tx, rx) = tokio::sync::mpsc::channel::<Utf8Bytes>(CLIENT_QUEUE);
    // The first message: where things stand now.
    if let Some(st) = shared.latest() {
        let _ = tx.try_send(Utf8Bytes::from(json!({"k": "s", "d": &*st}).to_string()));
    }
    if let Ok(mut c) = shared.clients.lock() {
        c.push(Client {
            tx,
            role: s.role,
            user: s.user.clone(),
            session: s.id.clone(),
        });
    }
    let max = shared.web.limits.ws_max_message;
    ws.max_message_size(max)
        .max_frame_size(max)
        .on_upgrade(move |socket| viewer(socket, rx))
}

async fn close(socket: &mut WebSocket, code: u16, reason: &'static str) {
    let frame = axum::extract::ws::CloseFrame {
        code,
        reason: Utf8Bytes::from_static(reason),
    };
    let _ = tokio::time::timeout(
        Duration::from_secs(1),
        socket.send(Message::Close(Some(frame))),
    )
    .await;
}

/// One viewer's socket: messages from the hub out; from the viewer only control frames are
/// taken. Ends when the hub drops the queue (session ended: a Close frame says so), the viewer
/// closes, sends data, or stops taking messages for [`SEND_TIMEOUT`].
async fn viewer(mut socket: WebSocket, mut rx: tokio::sync::mpsc::Receiver<Utf8Bytes>) {
    use axum::extract::ws::close_code;
    loop {
        tokio::select! {
            m = rx.recv() => match m {
                Some(m) => {
                    match tokio::time::timeout(SEND_TIMEOUT, socket.send(Message::Text(m))).await {
                        Ok(Ok(())) => {}
                        _ => return,
                    }
                }
                None => {
                    close(&mut socket, close_code::POLICY, "session ended").await;
                    return;
                }
            },
            m = socket.recv() => match m {
                Some(Ok(Message::Ping(_) | Message::Pong(_))) => {}
                Some(Ok(Message::Text(_) | Message::Binary(_))) => {
                    close(&mut socket, close_code::UNSUPPORTED, "this socket takes no messages").await;
                    return;
                }
                _ => return,
            },
        }
    }
}
