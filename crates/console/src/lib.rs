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
//! ## Why std threads, `tiny_http` and `tungstenite`
//!
//! The console serves a handful of browsers on a 2-core machine. An async runtime would add a
//! large dependency tree and a second scheduling model beside the real-time loop, for no gain at
//! this scale: 20 viewers are 20 small writer threads. `tiny_http` (HTTP/1.1, optional rustls
//! behind the `tls` feature) and `tungstenite` (WebSocket framing only) are both synchronous and
//! small. The web page is plain HTML, CSS and JavaScript embedded with `include_str!`; waveforms
//! and trends are drawn on canvases by hand, so there is no front-end build and no chart
//! library.
//!
//! ## What it does not do
//!
//! It does not simulate or control anything itself: the twin is `physio`, the safety logic and
//! the alarm system are `control`; the console shows what they report and passes commands on.
//! Sessions live in memory (a restart logs everyone out). TLS is not compiled in unless the
//! `tls` feature is on; without it the console listens on loopback by default and refuses a
//! non-loopback address unless `--insecure-remote` is given.
pub mod auth;
pub mod bench;
pub mod records;
pub mod replay;
pub mod server;
pub mod store;

pub use engine::{Engine, LoopConfig, loop_thread_priority};

use engine::model;
use engine::{LoopIn, LoopOut, LoopStats, Outlets, Status};
use server::{Shared, Source};
use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
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
    pub http_workers: usize,
    /// Print the first administrator's password (on creation) here.
    pub quiet: bool,
}

impl Default for ServeOptions {
    fn default() -> Self {
        ServeOptions {
            addr: "127.0.0.1:8080".into(),
            db: PathBuf::from("ecmo-data/ecmo.db"),
            loop_cfg: LoopConfig::default(),
            tls: None,
            insecure_remote: false,
            http_workers: 4,
            quiet: false,
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
    server: Arc<tiny_http::Server>,
}

impl Handle {
    pub fn url(&self) -> String {
        let scheme = if self.tls { "https" } else { "http" };
        format!("{scheme}://{}", self.addr)
    }
    /// Stop every thread and wait for the recorder to commit.
    pub fn stop(mut self) {
        self.shared.stop.store(true, Ordering::Relaxed);
        self.server.unblock();
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

/// Why the console could not start.
#[derive(Debug)]
pub struct StartError(pub String);
impl std::fmt::Display for StartError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}
impl std::error::Error for StartError {}

fn bind(opts: &ServeOptions) -> Result<tiny_http::Server, StartError> {
    let addr: SocketAddr = opts.addr.parse().map_err(|e| {
        StartError(format!(
            "--addr '{}': not an address like 127.0.0.1:8080 ({e})",
            opts.addr
        ))
    })?;
    if !addr.ip().is_loopback() && opts.tls.is_none() && !opts.insecure_remote {
        return Err(StartError(format!(
            "--addr {addr} is not a loopback address: give --tls-cert/--tls-key, or --insecure-remote to \
             serve passwords in clear text on a trusted network"
        )));
    }
    match &opts.tls {
        None => tiny_http::Server::http(addr)
            .map_err(|e| StartError(format!("listening on {addr}: {e}"))),
        Some(t) => tls_server(addr, t),
    }
}

#[cfg(feature = "tls")]
fn tls_server(addr: SocketAddr, t: &TlsFiles) -> Result<tiny_http::Server, StartError> {
    let read = |p: &PathBuf| {
        std::fs::read(p).map_err(|e| StartError(format!("reading {}: {e}", p.display())))
    };
    let cfg = tiny_http::SslConfig {
        certificate: read(&t.cert)?,
        private_key: read(&t.key)?,
    };
    tiny_http::Server::https(addr, cfg).map_err(|e| StartError(format!("TLS on {addr}: {e}")))
}

#[cfg(not(feature = "tls"))]
fn tls_server(_addr: SocketAddr, _t: &TlsFiles) -> Result<tiny_http::Server, StartError> {
    Err(StartError(
        "this ecmo was built without TLS: rebuild with `cargo build --release --features console/tls`".into(),
    ))
}

/// Create the first administrator if there are no users. Returns (name, password) if created.
pub fn ensure_admin(db: &std::path::Path) -> Result<Option<(String, String)>, StartError> {
    let c = store::open(db).map_err(|e| StartError(e.0))?;
    if store::user_count(&c).map_err(|e| StartError(e.0))? > 0 {
        return Ok(None);
    }
    let pw = auth::generate_password();
    store::put_user(&c, "admin", model::Role::Instructor, &pw).map_err(|e| StartError(e.0))?;
    Ok(Some(("admin".into(), pw)))
}

/// Start a live console: restore saved settings into the engine, open a run, start the loop,
/// the recorder, the hub and the HTTP server. Returns once it is listening.
pub fn start(opts: &ServeOptions, mut engine: Box<dyn Engine>) -> Result<Handle, StartError> {
    let created_admin = ensure_admin(&opts.db)?;
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

    let server = Arc::new(bind(opts)?);
    let addr = server
        .server_addr()
        .to_ip()
        .ok_or_else(|| StartError("listening address is not IP".into()))?;

    let (loop_tx, loop_rx) = sync_channel::<LoopIn>(LOOP_INBOX);
    let (screen_tx, screen_rx) = sync_channel::<LoopOut>(SCREEN_QUEUE);
    let (record_tx, record_rx) = sync_channel::<LoopOut>(RECORD_QUEUE);
    let stop = Arc::new(AtomicBool::new(false));
    let stats = Arc::new(LoopStats::default());
    stats
        .hub_beat_ms
        .store(model::wall_ms().max(0) as u64, Ordering::Relaxed);
    let latest: Arc<Mutex<Option<Arc<Status>>>> = Arc::new(Mutex::new(None));
    let shared = Arc::new(Shared {
        db_path: opts.db.clone(),
        run,
        source: Source::Live {
            loop_tx,
            record_tx: record_tx.clone(),
            screen_tx: screen_tx.clone(),
        },
        sessions: auth::Sessions::default(),
        latest: latest.clone(),
        stats: stats.clone(),
        seq: AtomicU64::new(0),
        clients: Mutex::new(Vec::new()),
        stop: stop.clone(),
        dropped_clients: AtomicU64::new(0),
        replay_t_ms: Arc::new(AtomicU64::new(0)),
    });
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
    let (srv, sh, workers) = (server.clone(), shared.clone(), opts.http_workers);
    threads.push(
        std::thread::Builder::new()
            .name("http".into())
            .spawn(move || server::run_http(srv, sh, workers))
            .map_err(|e| StartError(format!("starting HTTP: {e}")))?,
    );
    Ok(Handle {
        addr,
        run,
        shared,
        created_admin,
        tls: opts.tls.is_some(),
        threads,
        server,
    })
}

/// Start a console that plays run `run` of `db` back at `speed` × real time.
pub fn start_replay(opts: &ServeOptions, run: i64, speed: f64) -> Result<Handle, StartError> {
    if !(speed.is_finite() && speed > 0.0 && speed <= 1000.0) {
        return Err(StartError(format!("--speed {speed}: must be in (0, 1000]")));
    }
    let input = replay::prepare(&opts.db, run).map_err(|e| StartError(e.0))?;
    let created_admin = ensure_admin(&opts.db)?;
    let server = Arc::new(bind(opts)?);
    let addr = server
        .server_addr()
        .to_ip()
        .ok_or_else(|| StartError("listening address is not IP".into()))?;
    let (screen_tx, screen_rx) = sync_channel::<LoopOut>(SCREEN_QUEUE);
    let stop = Arc::new(AtomicBool::new(false));
    let stats = Arc::new(LoopStats::default());
    let latest: Arc<Mutex<Option<Arc<Status>>>> = Arc::new(Mutex::new(None));
    let control = Arc::new(engine::replay::ReplayControl::new(speed));
    let shared = Arc::new(Shared {
        db_path: opts.db.clone(),
        run,
        source: Source::Replay {
            control: control.clone(),
        },
        sessions: auth::Sessions::default(),
        latest: latest.clone(),
        stats: stats.clone(),
        seq: AtomicU64::new(0),
        clients: Mutex::new(Vec::new()),
        stop: stop.clone(),
        dropped_clients: AtomicU64::new(0),
        replay_t_ms: Arc::new(AtomicU64::new(0)),
    });
    let mut threads = Vec::new();
    let sh = shared.clone();
    threads.push(std::thread::spawn(move || server::run_hub(sh, screen_rx)));
    let (db, st, pos) = (opts.db.clone(), stop.clone(), shared.replay_t_ms.clone());
    threads.push(std::thread::spawn(move || {
        if let Err(e) =
            replay::run_replay(&db, run, input, control, screen_tx, latest, stats, pos, st)
        {
            eprintln!("ecmo replay: {e}");
        }
    }));
    let (srv, sh, workers) = (server.clone(), shared.clone(), opts.http_workers);
    threads.push(std::thread::spawn(move || {
        server::run_http(srv, sh, workers)
    }));
    Ok(Handle {
        addr,
        run,
        shared,
        created_admin,
        tls: opts.tls.is_some(),
        threads,
        server,
    })
}
