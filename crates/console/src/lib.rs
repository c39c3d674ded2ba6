//! # console — `ecmo serve`: the operators' web console and the recording of everything
//!
//! The console runs the loop (the twin and its sensors under the control core, through the
//! [`Engine`] boundary) in real time or faster, shows it in a browser, takes the operators'
//! commands, and records everything into one SQLite database.
//!
//! ## Threads and channels
//!
//! ```text
//!  loop thread ──try_send──► screen channel ──► hub thread ──try_send──► one queue per viewer
//!  (engine, 10 ms tick)  └─try_send──► record channel ──► recorder thread (SQLite, WAL)
//!        ▲ try_recv
//!  HTTP worker threads ──try_send── commands (range-checked, role-checked, recorded)
//! ```
//!
//! * The loop never blocks on I/O: every channel it touches is bounded and used with
//!   `try_send`/`try_recv`. A full channel loses its consumer a sample (counted in
//!   [`engine::LoopStats`]), never the loop a deadline (CON-2). The one lock it takes is the
//!   slot of the latest status, which readers hold only to clone an `Arc`. Late ticks and missed
//!   steps are counted and reported in the event log at most once a second.
//! * The screen never shows a stalled stream as live: the page covers the traces with NO DATA
//!   and dims the numbers after 1.5 s without samples (CON-3).
//! * The loop thread asks for real-time scheduling (`SCHED_FIFO`, else nice -10) where the
//!   process may have it, so that a busy machine does not delay its wake-ups; it works about
//!   0.3 ms in every 10 ms. `/api/health` says whether it got it (`raised_priority`).
//! * Commands are range-checked on the server against the ranges the control core publishes, and
//!   shown as pending on the screen until the loop reports that the control core took them
//!   (CON-1).
//! * Every command checks the session's role on the server (ACC-1) and is recorded with the user
//!   and the time, whether taken, refused or denied (ACC-2).
//! * The recorder commits at least every 250 ms in WAL mode: `kill -9` loses under one second and
//!   leaves a valid database (REC-1, REC-2). Settings and alarm limits the control core took are
//!   persisted and restored at the next start (REC-3).
//!
//! ## Why tokio on the I/O side only
//!
//! The web server is axum on hyper and tokio (net.rs, server.rs): a maintained HTTP stack with
//! the limits a listener on a clinical network needs (header size and count, URI, body,
//! connections in total and per address, read and idle time; net.rs has the table), TLS from
//! rustls, and WebSockets that cost a task, not a thread, per viewer. tokio is the workspace's
//! one async runtime and runs only the I/O: a few worker threads and a bounded blocking pool
//! for SQLite, Argon2 and PDFs. The control loop stays a real-time thread of its own, the hub and
//! the recorder stay plain threads, and they meet the runtime only through bounded channels
//! (`try_send` both ways), so nothing on the network can make the loop wait. The web page is
//! plain HTML, CSS and JavaScript embedded with `include_str!`; waveforms and trends are drawn
//! on canvases by hand, so there is no front-end build and no chart library.
//!
//! ## What it does not do
//!
//! It does not simulate or control anything itself: the twin is `physio`, the safety logic and
//! the alarm system are `control`; the console shows what they report and passes commands on.
//! Without TLS it listens on loopback by default and refuses a non-loopback address unless
//! `--insecure-remote` is given (for a TLS-terminating reverse proxy on the same machine, keep
//! it on loopback). docs/security.md has the threat model.

/// An error that is its message: the type, with `Display` (the message) and `Error`.
macro_rules! message_error {
    ($(#[$meta:meta])* pub struct $name:ident;) => {
        $(#[$meta])*
        #[derive(Debug)]
        pub struct $name(pub String);

        impl std::fmt::Display for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str(&self.0)
            }
        }

        impl std::error::Error for $name {}
    };
}

pub mod auth;
pub mod bench;
pub mod net;
pub mod records;
pub mod replay;
pub mod server;
pub mod soak;
pub mod store;

pub use engine::{Engine, LoopConfig, loop_thread_priority};

use engine::model;
use engine::{LoopIn, LoopOut, LoopStats, Outlets, Status};
use server::{Shared, Source};
use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc::sync_channel;
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;

/// Queue from the server to the loop: commands are rare; 64 is far more than any operator.
const LOOP_INBOX: usize = 64;
/// Loop → hub: 4 s of samples at real time.
const SCREEN_QUEUE: usize = 400;
/// Loop → recorder: 40 s of samples at real time, so a slow disk moment loses nothing.
const RECORD_QUEUE: usize = 4096;

/// TLS certificate and key (PEM files).
#[derive(Clone, Debug)]
pub struct TlsFiles {
    pub cert: PathBuf,
    pub key: PathBuf,
}

#[derive(Clone, Debug)]
pub struct ServeOptions {
    pub addr: String,
    pub db: PathBuf,
    pub loop_cfg: LoopConfig,
    pub tls: Option<TlsFiles>,
    /// Permit a non-loopback address without TLS.
    pub insecure_remote: bool,
    /// Worker threads of the I/O runtime.
    pub http_workers: usize,
    /// Print the first administrator's password (on creation) here.
    pub quiet: bool,
    /// Origins whose pages may act (`https://console.ward3:8443`); empty: the listening
    /// address's own (and `localhost` with its port when it is loopback).
    pub allowed_origins: Vec<String>,
    pub limits: net::Limits,
    pub sessions: auth::SessionPolicy,
}

impl Default for ServeOptions {
    fn default() -> Self {
        ServeOptions {
            addr: "127.0.0.1:8080".into(),
            db: PathBuf::from("ecmo-data/ecmo.db"),
            loop_cfg: LoopConfig::default(),
            tls: None,
            insecure_remote: false,
            http_workers: 2,
            quiet: false,
            allowed_origins: Vec::new(),
            limits: net::Limits::default(),
            sessions: auth::SessionPolicy::default(),
        }
    }
}

/// A running console.
pub struct Handle {
    pub addr: SocketAddr,
    pub run: i64,
    pub shared: Arc<Shared>,
    /// Set when the first administrator was created now: (name, one-time password).
    pub created_admin: Option<(String, String)>,
    tls: bool,
    threads: Vec<JoinHandle<()>>,
    runtime: Option<tokio::runtime::Runtime>,
    shutdown: tokio::sync::watch::Sender<bool>,
}

impl Handle {
    pub fn url(&self) -> String {
        let scheme = if self.tls { "https" } else { "http" };
        format!("{scheme}://{}", self.addr)
    }
    /// Stop every thread and wait for the recorder to commit.
    pub fn stop(mut self) {
        self.shared.stop.store(true, Ordering::Relaxed);
        let _ = self.shutdown.send(true);
        if let Some(rt) = self.runtime.take() {
            rt.shutdown_timeout(std::time::Duration::from_secs(2));
        }
        for t in self.threads.drain(..) {
            let _ = t.join();
        }
    }
    /// Block until the server stops (never, unless `stop` is set elsewhere).
    pub fn wait(mut self) {
        for t in self.threads.drain(..) {
            let _ = t.join();
        }
    }
}

message_error! {
    /// Why the console could not start.
    pub struct StartError;
}

/// The I/O side: a tokio runtime, the listener (with TLS if configured), the origins.
struct Io {
    runtime: tokio::runtime::Runtime,
    listener: tokio::net::TcpListener,
    addr: SocketAddr,
    tls: Option<tokio_rustls::TlsAcceptor>,
    web: server::WebConfig,
}

fn bind(opts: &ServeOptions) -> Result<Io, StartError> {
    let addr: SocketAddr = opts.addr.parse().map_err(|e| {
        StartError(format!(
            "--addr '{}': not an address like 127.0.0.1:8080 ({e})",
            opts.addr
        ))
    })?;
    if !addr.ip().is_loopback() && opts.tls.is_none() && !opts.insecure_remote {
        return Err(StartError(format!(
            "--addr {addr} is not a loopback address: give --tls-cert/--tls-key (or --self-signed DIR), \
             or --insecure-remote to serve passwords in clear text on a trusted network"
        )));
    }
    let tls = match &opts.tls {
        None => None,
        Some(t) => Some(tokio_rustls::TlsAcceptor::from(
            net::tls_config(&t.cert, &t.key).map_err(StartError)?,
        )),
    };
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(opts.http_workers.max(1))
        // SQLite, Argon2 and PDFs: bounded, so a flood of requests queues instead of spawning
        // threads without end.
        .max_blocking_threads(16)
        .thread_name("console-io")
        .enable_all()
        .build()
        .map_err(|e| StartError(format!("starting the I/O runtime: {e}")))?;
    let listener = runtime
        .block_on(tokio::net::TcpListener::bind(addr))
        .map_err(|e| StartError(format!("listening on {addr}: {e}")))?;
    let addr = listener
        .local_addr()
        .map_err(|e| StartError(format!("listening on {addr}: {e}")))?;
    let scheme = if tls.is_some() { "https" } else { "http" };
    let mut allowed_origins: Vec<String> = opts
        .allowed_origins
        .iter()
        .map(|o| o.trim_end_matches('/').to_ascii_lowercase())
        .collect();
    if allowed_origins.is_empty() {
        allowed_origins.push(format!("{scheme}://{addr}"));
        if addr.ip().is_loopback() {
            allowed_origins.push(format!("{scheme}://localhost:{}", addr.port()));
        }
    }
    for o in &allowed_origins {
        if !(o.starts_with("http://") || o.starts_with("https://")) {
            return Err(StartError(format!(
                "--allowed-origin '{o}': expected scheme://host[:port], e.g. https://console.ward3:8443"
            )));
        }
    }
    Ok(Io {
        runtime,
        listener,
        addr,
        tls,
        web: server::WebConfig {
            limits: opts.limits,
            allowed_origins,
            tls: opts.tls.is_some(),
        },
    })
}

/// Start serving on the runtime: the accept loop and the once-a-second session sweep. Returns
/// the handle of the console (run `run`, with its `threads`).
fn serve(
    io: Io,
    shared: Arc<Shared>,
    run: i64,
    created_admin: Option<(String, String)>,
    threads: Vec<JoinHandle<()>>,
) -> Handle {
    let addr = io.addr;
    let tls = io.tls.is_some();
    let (tx, rx) = tokio::sync::watch::channel(false);
    let app = server::router(shared.clone());
    let limits = shared.web.limits;
    io.runtime.spawn(net::serve(
        io.listener,
        io.tls,
        app,
        limits,
        shared.conns.clone(),
        rx.clone(),
    ));
    let mut rx2 = rx;
    let sweep = shared.clone();
    io.runtime.spawn(async move {
        let mut tick = tokio::time::interval(std::time::Duration::from_secs(1));
        loop {
            tokio::select! {
                _ = tick.tick() => {}
                _ = rx2.changed() => return,
            }
            let sh = sweep.clone();
            let _ = tokio::task::spawn_blocking(move || sh.sweep_sessions()).await;
        }
    });
    Handle {
        addr,
        run,
        shared,
        created_admin,
        tls,
        threads,
        runtime: Some(io.runtime),
        shutdown: tx,
    }
}

/// Create the first administrator if there are no users. Returns (name, password) if created.
/// The password is a one-time one: the console allows nothing but changing it.
pub fn ensure_admin(db: &std::path::Path) -> Result<Option<(String, String)>, StartError> {
    let c = store::open(db).map_err(|e| StartError(e.0))?;
    if store::user_count(&c).map_err(|e| StartError(e.0))? > 0 {
        return Ok(None);
    }
    let pw = auth::generate_password();
    store::put_user(&c, "admin", model::Role::Instructor, &pw).map_err(|e| StartError(e.0))?;
    store::set_must_change(&c, "admin", true).map_err(|e| StartError(e.0))?;
    Ok(Some(("admin".into(), pw)))
}

/// Start a live console: restore saved settings into the engine, open a run, start the loop,
/// the recorder, the hub and the HTTP server. Returns once it is listening.
pub fn start(opts: &ServeOptions, mut engine: Box<dyn Engine>) -> Result<Handle, StartError> {
    let created_admin = ensure_admin(&opts.db)?;
    let io = bind(opts)?;
    let addr = io.addr;
    let conn = store::open(&opts.db).map_err(|e| StartError(e.0))?;
    // Restore persisted settings (REC-3); what the control core refuses now is reported.
    let mut restored = Vec::new();
    for cmd in store::saved_settings(&conn).map_err(|e| StartError(e.0))? {
        let r = engine.command(&cmd);
        if let Err(e) = &r {
            eprintln!("ecmo serve: saved setting {cmd:?} not taken: {e}");
        }
        restored.push(serde_json::json!({"request": cmd, "error": r.err()}));
    }
    let config = serde_json::json!({
        "engine": engine.describe(),
        "patient": engine.patient(),
        "settings": engine.settings(),
        "injections": engine.injections(),
        "tick_s": opts.loop_cfg.tick_s,
        "speed": opts.loop_cfg.speed,
        "restored": restored,
        "version": env!("CARGO_PKG_VERSION"),
    });
    let run = store::create_run(&conn, "live", &config).map_err(|e| StartError(e.0))?;
    drop(conn);

    let (loop_tx, loop_rx) = sync_channel::<LoopIn>(LOOP_INBOX);
    let (screen_tx, screen_rx) = sync_channel::<LoopOut>(SCREEN_QUEUE);
    let (record_tx, record_rx) = sync_channel::<LoopOut>(RECORD_QUEUE);
    let stop = Arc::new(AtomicBool::new(false));
    let stats = Arc::new(LoopStats::default());
    stats
        .hub_beat_ms
        .store(model::wall_ms().max(0) as u64, Ordering::Relaxed);
    let latest: Arc<Mutex<Option<Arc<Status>>>> = Arc::new(Mutex::new(None));
    let sessions = auth::Sessions::load(opts.db.clone(), opts.sessions).map_err(StartError)?;
    let shared = Arc::new(Shared::new(
        opts.db.clone(),
        run,
        Source::Live {
            loop_tx,
            record_tx: record_tx.clone(),
            screen_tx: screen_tx.clone(),
        },
        sessions,
        latest.clone(),
        stats.clone(),
        stop.clone(),
        io.web.clone(),
    ));
    let _ = record_tx.send(LoopOut::Event(model::EventRec {
        t: engine.time_s(),
        wall_ms: model::wall_ms(),
        kind: "run".into(),
        user: "system".into(),
        detail: serde_json::json!({"started": run, "addr": addr.to_string()}),
    }));

    let mut threads = Vec::new();
    let rec = store::Recorder {
        path: opts.db.clone(),
        run,
        stop: stop.clone(),
    };
    threads.push(
        std::thread::Builder::new()
            .name("recorder".into())
            .spawn(move || {
                if let Err(e) = rec.run(record_rx) {
                    eprintln!("ecmo serve: recorder stopped: {e}");
                }
            })
            .map_err(|e| StartError(format!("starting recorder: {e}")))?,
    );
    let sh = shared.clone();
    threads.push(
        std::thread::Builder::new()
            .name("hub".into())
            .spawn(move || server::run_hub(sh, screen_rx))
            .map_err(|e| StartError(format!("starting hub: {e}")))?,
    );
    let cfg = opts.loop_cfg;
    let (st, sstats, slatest) = (stop.clone(), stats.clone(), latest.clone());
    threads.push(
        std::thread::Builder::new()
            .name("loop".into())
            .spawn(move || {
                // Real time only: faster than real time the loop may work most of each period,
                // and a real-time thread that never sleeps would starve its core.
                let got = if cfg.speed <= 1.0 {
                    loop_thread_priority()
                } else {
                    "normal"
                };
                sstats
                    .raised_priority
                    .store(got != "normal", Ordering::Relaxed);
                let out = Outlets {
                    screen: screen_tx,
                    record: Some(record_tx),
                };
                engine::run_loop(engine.as_mut(), cfg, loop_rx, out, st, sstats, slatest);
            })
            .map_err(|e| StartError(format!("starting loop: {e}")))?,
    );
    Ok(serve(io, shared, run, created_admin, threads))
}

/// Start a console that plays run `run` of `db` back at `speed` × real time.
pub fn start_replay(opts: &ServeOptions, run: i64, speed: f64) -> Result<Handle, StartError> {
    if !(speed.is_finite() && speed > 0.0 && speed <= 1000.0) {
        return Err(StartError(format!("--speed {speed}: must be in (0, 1000]")));
    }
    let input = replay::prepare(&opts.db, run).map_err(|e| StartError(e.0))?;
    let created_admin = ensure_admin(&opts.db)?;
    let io = bind(opts)?;
    let (screen_tx, screen_rx) = sync_channel::<LoopOut>(SCREEN_QUEUE);
    let stop = Arc::new(AtomicBool::new(false));
    let stats = Arc::new(LoopStats::default());
    let latest: Arc<Mutex<Option<Arc<Status>>>> = Arc::new(Mutex::new(None));
    let sessions = auth::Sessions::load(opts.db.clone(), opts.sessions).map_err(StartError)?;
    let control = Arc::new(engine::replay::ReplayControl::new(speed));
    let shared = Arc::new(Shared::new(
        opts.db.clone(),
        run,
        Source::Replay {
            control: control.clone(),
        },
        sessions,
        latest.clone(),
        stats.clone(),
        stop.clone(),
        io.web.clone(),
    ));
    let mut threads = Vec::new();
    let sh = shared.clone();
    threads.push(std::thread::spawn(move || server::run_hub(sh, screen_rx)));
    let (db, st, pos) = (opts.db.clone(), stop.clone(), shared.replay_t_ms.clone());
    threads.push(std::thread::spawn(move || {
        let played = replay::open_recording(&db, run)
            .map_err(|e| e.0)
            .and_then(|mut rec| {
                engine::replay::run_replay(
                    &mut rec, input, control, screen_tx, latest, stats, pos, st,
                )
            });
        if let Err(e) = played {
            eprintln!("ecmo replay: {e}");
        }
    }));
    Ok(serve(io, shared, run, created_admin, threads))
}
