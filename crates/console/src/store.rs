//! The recording: one SQLite database (WAL) holding runs, waveforms, numerics, events, users and
//! the persisted settings.
//!
//! Durability: WAL with `synchronous=NORMAL`. A committed transaction is in the WAL file before
//! `COMMIT` returns, so a killed process (not a lost machine) loses nothing committed; the
//! recorder commits at least every [`COMMIT_EVERY`], so `kill -9` loses at most that much
//! (REC-1). SQLite's journal keeps the file valid whatever the moment of the kill (REC-2).
use engine::engine::LoopOut;
use engine::model::{Command, EventRec, Numerics, Role, Wave, wall_ms};
use rusqlite::{Connection, OptionalExtension, params};
use serde::Serialize;
use std::path::{Path, PathBuf};
use std::sync::mpsc::{Receiver, RecvTimeoutError};
use std::time::{Duration, Instant};

/// How often the recorder commits: well inside the one second a crash may lose (REC-1).
pub const COMMIT_EVERY: Duration = Duration::from_millis(250);

/// Schema version 1: the tables as released before the schema was versioned (a database of that
/// release has `user_version` 0 and exactly these tables, so applying this to it changes
/// nothing: `IF NOT EXISTS` everywhere).
const SCHEMA_V1: &str = "
CREATE TABLE IF NOT EXISTS runs(
    id INTEGER PRIMARY KEY,
    started_ms INTEGER NOT NULL,
    ended_ms INTEGER,
    kind TEXT NOT NULL,
    config TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS wave(
    run INTEGER NOT NULL, t REAL NOT NULL, wall_ms INTEGER NOT NULL,
    p_art REAL, p_drain REAL, p_pre REAL, p_post REAL, flow REAL);
CREATE INDEX IF NOT EXISTS wave_run_t ON wave(run, t);
CREATE TABLE IF NOT EXISTS numerics(run INTEGER NOT NULL, t REAL NOT NULL, data TEXT NOT NULL);
CREATE INDEX IF NOT EXISTS numerics_run_t ON numerics(run, t);
CREATE TABLE IF NOT EXISTS events(
    id INTEGER PRIMARY KEY, run INTEGER NOT NULL, t REAL NOT NULL, wall_ms INTEGER NOT NULL,
    kind TEXT NOT NULL, user TEXT NOT NULL, detail TEXT NOT NULL);
CREATE INDEX IF NOT EXISTS events_run ON events(run, id);
CREATE TABLE IF NOT EXISTS users(
    name TEXT PRIMARY KEY, role TEXT NOT NULL, phc TEXT NOT NULL, created_ms INTEGER NOT NULL);
CREATE TABLE IF NOT EXISTS settings(
    key TEXT PRIMARY KEY, value TEXT NOT NULL, wall_ms INTEGER NOT NULL, user TEXT NOT NULL);
";

/// Schema version 2: sessions survive a restart (stored by the SHA-256 of their token, never
/// the token), a password that must be changed at the next login (the first administrator's),
/// and a bounded log of failed logins (the event log gets a bounded share of them).
const SCHEMA_V2: &str = "
ALTER TABLE users ADD COLUMN must_change INTEGER NOT NULL DEFAULT 0;
CREATE TABLE sessions(
    id TEXT PRIMARY KEY, user TEXT NOT NULL, role TEXT NOT NULL,
    created_ms INTEGER NOT NULL, last_ms INTEGER NOT NULL);
CREATE INDEX sessions_user ON sessions(user);
CREATE TABLE login_failures(
    id INTEGER PRIMARY KEY, wall_ms INTEGER NOT NULL, name TEXT NOT NULL, addr TEXT NOT NULL);
";

/// The schema's history, oldest first. Never edit a released step: add one. The database's
/// `user_version` says how many have been applied.
fn migrations() -> rusqlite_migration::Migrations<'static> {
    use rusqlite_migration::{M, Migrations};
    Migrations::new(vec![M::up(SCHEMA_V1), M::up(SCHEMA_V2)])
}

/// The schema version this build writes and understands.
pub const SCHEMA_VERSION: i64 = 2;

/// Refuse a database written by a newer `ecmo` (its tables may mean something this build does
/// not know): say which versions, rather than read or change it.
fn check_version(c: &Connection, path: &Path) -> Result<i64> {
    let v: i64 = c
        .pragma_query_value(None, "user_version", |r| r.get(0))
        .map_err(|e| {
            StoreError(format!(
                "reading the schema version of {}: {e}",
                path.display()
            ))
        })?;
    if v > SCHEMA_VERSION {
        return Err(StoreError(format!(
            "{} has schema version {v}, newer than this ecmo understands ({SCHEMA_VERSION}): it was \
             written by a newer release; use that release (or newer) to open it",
            path.display()
        )));
    }
    Ok(v)
}

message_error! {
    /// An error with what failed and where.
    pub struct StoreError;
}

type Result<T> = std::result::Result<T, StoreError>;

fn err(ctx: &str) -> impl FnOnce(rusqlite::Error) -> StoreError + '_ {
    move |e| StoreError(format!("{ctx}: {e}"))
}

/// Runs one statement that answers no rows; `what` names it in the error.
fn exec(c: &Connection, what: &str, sql: &str, p: impl rusqlite::Params) -> Result<()> {
    c.execute(sql, p).map_err(err(what))?;
    Ok(())
}

/// The rows of `sql` (which takes no parameters) as pairs of text columns; `what` names the
/// query in errors.
fn text_pairs(c: &Connection, sql: &str, what: &str) -> Result<Vec<(String, String)>> {
    let mut st = c.prepare(sql).map_err(err(what))?;
    let rows = st
        .query_map([], |r| Ok((r.get::<_, String>(0)?, r.get::<_, String>(1)?)))
        .map_err(err(what))?;
    rows.collect::<std::result::Result<_, _>>()
        .map_err(err(what))
}

/// Open (creating if needed) the database at `path` with the console's schema and pragmas.
pub fn open(path: &Path) -> Result<Connection> {
    if let Some(dir) = path.parent()
        && !dir.as_os_str().is_empty()
    {
        std::fs::create_dir_all(dir)
            .map_err(|e| StoreError(format!("creating {}: {e}", dir.display())))?;
    }
    let mut c = Connection::open(path)
        .map_err(|e| StoreError(format!("opening {}: {e}", path.display())))?;
    c.busy_timeout(Duration::from_secs(5))
        .map_err(err("setting busy timeout"))?;
    c.pragma_update(None, "journal_mode", "WAL")
        .map_err(err("enabling WAL"))?;
    c.pragma_update(None, "synchronous", "NORMAL")
        .map_err(err("setting synchronous"))?;
    check_version(&c, path)?;
    migrations()
        .to_latest(&mut c)
        .map_err(|e| StoreError(format!("upgrading the schema of {}: {e}", path.display())))?;
    Ok(c)
}

/// Open an existing database read-only (export, replay, queries from the server threads).
pub fn open_ro(path: &Path) -> Result<Connection> {
    if !path.exists() {
        return Err(StoreError(format!("no database at {}", path.display())));
    }
    let c = Connection::open_with_flags(
        path,
        rusqlite::OpenFlags::SQLITE_OPEN_READ_ONLY | rusqlite::OpenFlags::SQLITE_OPEN_NO_MUTEX,
    )
    .map_err(|e| StoreError(format!("opening {}: {e}", path.display())))?;
    c.busy_timeout(Duration::from_secs(5))
        .map_err(err("setting busy timeout"))?;
    // An older schema reads fine (every query here reads columns of version 1); a newer one is
    // refused.
    check_version(&c, path)?;
    Ok(c)
}

pub fn create_run(c: &Connection, kind: &str, config: &serde_json::Value) -> Result<i64> {
    c.execute(
        "INSERT INTO runs(started_ms, kind, config) VALUES (?1, ?2, ?3)",
        params![wall_ms(), kind, config.to_string()],
    )
    .map_err(err("creating run"))?;
    Ok(c.last_insert_rowid())
}

#[derive(Clone, Debug, Serialize)]
pub struct RunInfo {
    pub id: i64,
    pub started_ms: i64,
    pub ended_ms: Option<i64>,
    pub kind: String,
    /// Simulated seconds recorded (last waveform sample).
    pub duration_s: f64,
    pub events: i64,
}

pub fn list_runs(c: &Connection) -> Result<Vec<RunInfo>> {
    let mut st = c
        .prepare(
            "SELECT id, started_ms, ended_ms, kind,
                COALESCE((SELECT MAX(t) FROM wave WHERE run = runs.id), 0),
                (SELECT COUNT(*) FROM events WHERE run = runs.id)
             FROM runs ORDER BY id",
        )
        .map_err(err("listing runs"))?;
    let rows = st
        .query_map([], |r| {
            Ok(RunInfo {
                id: r.get(0)?,
                started_ms: r.get(1)?,
                ended_ms: r.get(2)?,
                kind: r.get(3)?,
                duration_s: r.get(4)?,
                events: r.get(5)?,
            })
        })
        .map_err(err("listing runs"))?;
    rows.collect::<std::result::Result<_, _>>()
        .map_err(err("listing runs"))
}

pub fn run_config(c: &Connection, run: i64) -> Result<serde_json::Value> {
    let s: Option<String> = c
        .query_row("SELECT config FROM runs WHERE id = ?1", [run], |r| r.get(0))
        .optional()
        .map_err(err("reading run"))?;
    let s =
        s.ok_or_else(|| StoreError(format!("no run {run} in this database (see `ecmo runs`)")))?;
    serde_json::from_str(&s)
        .map_err(|e| StoreError(format!("run {run}: configuration is not JSON: {e}")))
}

pub fn last_run(c: &Connection) -> Result<Option<i64>> {
    c.query_row("SELECT MAX(id) FROM runs", [], |r| r.get(0))
        .map_err(err("reading runs"))
}

pub fn waves(c: &Connection, run: i64, from: f64, to: f64) -> Result<Vec<Wave>> {
    let mut st = c
        .prepare_cached(
            "SELECT t, p_art, p_drain, p_pre, p_post, flow FROM wave
             WHERE run = ?1 AND t > ?2 AND t <= ?3 ORDER BY t",
        )
        .map_err(err("reading waveforms"))?;
    let rows = st
        .query_map(params![run, from, to], |r| {
            Ok(Wave {
                t: r.get(0)?,
                p_art: r.get::<_, Option<f64>>(1)?.unwrap_or(f64::NAN),
                p_drain: r.get::<_, Option<f64>>(2)?.unwrap_or(f64::NAN),
                p_pre: r.get::<_, Option<f64>>(3)?.unwrap_or(f64::NAN),
                p_post: r.get::<_, Option<f64>>(4)?.unwrap_or(f64::NAN),
                flow: r.get::<_, Option<f64>>(5)?.unwrap_or(f64::NAN),
            })
        })
        .map_err(err("reading waveforms"))?;
    rows.collect::<std::result::Result<_, _>>()
        .map_err(err("reading waveforms"))
}

/// Numerics between `from` and `to`, thinned to at most `max_points` (every k-th row).
pub fn numerics(
    c: &Connection,
    run: i64,
    from: f64,
    to: f64,
    max_points: usize,
) -> Result<Vec<Numerics>> {
    let n: i64 = c
        .query_row(
            "SELECT COUNT(*) FROM numerics WHERE run = ?1 AND t > ?2 AND t <= ?3",
            params![run, from, to],
            |r| r.get(0),
        )
        .map_err(err("counting numerics"))?;
    let k = ((n as usize).div_ceil(max_points.max(1))).max(1) as i64;
    let mut st = c
        .prepare_cached(
            "SELECT data FROM (SELECT data, ROW_NUMBER() OVER (ORDER BY t) AS i FROM numerics
              WHERE run = ?1 AND t > ?2 AND t <= ?3) WHERE (i - 1) % ?4 = 0",
        )
        .map_err(err("reading numerics"))?;
    let rows = st
        .query_map(params![run, from, to, k], |r| r.get::<_, String>(0))
        .map_err(err("reading numerics"))?;
    let mut out = Vec::new();
    for s in rows {
        let s = s.map_err(err("reading numerics"))?;
        if let Ok(v) = serde_json::from_str(&s) {
            out.push(v);
        }
    }
    Ok(out)
}

/// Events of a run with `id > after`, oldest first, at most `limit`.
pub fn events(c: &Connection, run: i64, after: i64, limit: usize) -> Result<Vec<(i64, EventRec)>> {
    let mut st = c
        .prepare_cached(
            "SELECT id, t, wall_ms, kind, user, detail FROM events
             WHERE run = ?1 AND id > ?2 ORDER BY id LIMIT ?3",
        )
        .map_err(err("reading events"))?;
    let rows = st
        .query_map(params![run, after, limit as i64], |r| {
            let detail: String = r.get(5)?;
            Ok((
                r.get::<_, i64>(0)?,
                EventRec {
                    t: r.get(1)?,
                    wall_ms: r.get(2)?,
                    kind: r.get(3)?,
                    user: r.get(4)?,
                    detail: serde_json::from_str(&detail).unwrap_or(serde_json::Value::Null),
                },
            ))
        })
        .map_err(err("reading events"))?;
    rows.collect::<std::result::Result<_, _>>()
        .map_err(err("reading events"))
}

/// The latest events of a run (newest last), for the event log.
pub fn recent_events(c: &Connection, run: i64, limit: usize) -> Result<Vec<(i64, EventRec)>> {
    let max: Option<i64> = c
        .query_row("SELECT MAX(id) FROM events WHERE run = ?1", [run], |r| {
            r.get(0)
        })
        .map_err(err("reading events"))?;
    let Some(max) = max else {
        return Ok(Vec::new());
    };
    let floor: i64 = c
        .query_row(
            "SELECT COALESCE(MIN(id), 0) FROM (SELECT id FROM events WHERE run = ?1 ORDER BY id DESC LIMIT ?2)",
            params![run, limit as i64],
            |r| r.get(0),
        )
        .map_err(err("reading events"))?;
    let _ = max;
    events(c, run, floor - 1, limit)
}

// ---- users ----

pub fn user_count(c: &Connection) -> Result<i64> {
    c.query_row("SELECT COUNT(*) FROM users", [], |r| r.get(0))
        .map_err(err("counting users"))
}

/// Add or replace a user; the password is hashed with Argon2id here.
pub fn put_user(c: &Connection, name: &str, role: Role, password: &str) -> Result<()> {
    crate::auth::check_user_name(name).map_err(StoreError)?;
    crate::auth::check_password(name, password).map_err(StoreError)?;
    let phc = crate::auth::hash_password(password).map_err(StoreError)?;
    c.execute(
        "INSERT INTO users(name, role, phc, created_ms) VALUES (?1, ?2, ?3, ?4)
         ON CONFLICT(name) DO UPDATE SET role = excluded.role, phc = excluded.phc,
         must_change = 0",
        params![name, role.as_str(), phc, wall_ms()],
    )
    .map_err(err("storing user"))?;
    // A new role or password ends the sessions that had the old one.
    delete_user_sessions(c, name)?;
    Ok(())
}

pub fn delete_user(c: &Connection, name: &str) -> Result<bool> {
    let n = c
        .execute("DELETE FROM users WHERE name = ?1", [name])
        .map_err(err("deleting user"))?;
    delete_user_sessions(c, name)?;
    Ok(n > 0)
}

/// A user's role, password hash and whether the password must be changed before anything else.
pub fn get_user(c: &Connection, name: &str) -> Result<Option<(Role, String, bool)>> {
    let row: Option<(String, String, bool)> = c
        .query_row(
            "SELECT role, phc, must_change FROM users WHERE name = ?1",
            [name],
            |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)),
        )
        .optional()
        .map_err(err("reading user"))?;
    Ok(row.and_then(|(r, phc, m)| Role::parse(&r).map(|role| (role, phc, m))))
}

/// Mark a user's password as one to be changed at the next login (the first administrator's).
pub fn set_must_change(c: &Connection, name: &str, must: bool) -> Result<()> {
    let sql = "UPDATE users SET must_change = ?2 WHERE name = ?1";
    exec(c, "updating user", sql, params![name, must])
}

/// The users whose password must be changed before anything else.
pub fn list_must_change(c: &Connection) -> Result<Vec<String>> {
    let mut st = c
        .prepare("SELECT name FROM users WHERE must_change != 0")
        .map_err(err("listing users"))?;
    let rows = st
        .query_map([], |r| r.get::<_, String>(0))
        .map_err(err("listing users"))?;
    rows.collect::<std::result::Result<_, _>>()
        .map_err(err("listing users"))
}

/// Change a user's own password (policy-checked); clears the must-change mark.
pub fn set_password(c: &Connection, name: &str, password: &str) -> Result<()> {
    crate::auth::check_password(name, password).map_err(StoreError)?;
    let phc = crate::auth::hash_password(password).map_err(StoreError)?;
    let n = c
        .execute(
            "UPDATE users SET phc = ?2, must_change = 0 WHERE name = ?1",
            params![name, phc],
        )
        .map_err(err("storing password"))?;
    if n == 0 {
        return Err(StoreError(format!("no user '{name}'")));
    }
    Ok(())
}

// ---- sessions ----

/// A stored session: the SHA-256 of its token (hex), never the token itself.
#[derive(Clone, Debug)]
pub struct SessionRow {
    pub id: String,
    pub user: String,
    pub role: Role,
    pub created_ms: i64,
    pub last_ms: i64,
}

pub fn insert_session(c: &Connection, s: &SessionRow) -> Result<()> {
    let sql = "INSERT OR REPLACE INTO sessions(id, user, role, created_ms, last_ms) VALUES (?1, ?2, ?3, ?4, ?5)";
    let p = params![s.id, s.user, s.role.as_str(), s.created_ms, s.last_ms];
    exec(c, "storing session", sql, p)
}

pub fn touch_session(c: &Connection, id: &str, last_ms: i64) -> Result<()> {
    let sql = "UPDATE sessions SET last_ms = ?2 WHERE id = ?1";
    exec(c, "updating session", sql, params![id, last_ms])
}

pub fn delete_session(c: &Connection, id: &str) -> Result<()> {
    exec(
        c,
        "deleting session",
        "DELETE FROM sessions WHERE id = ?1",
        [id],
    )
}

pub fn delete_user_sessions(c: &Connection, user: &str) -> Result<()> {
    exec(
        c,
        "deleting sessions",
        "DELETE FROM sessions WHERE user = ?1",
        [user],
    )
}

/// Every stored session, after deleting those past `idle_before` or `created_before`.
pub fn load_sessions(
    c: &Connection,
    idle_before: i64,
    created_before: i64,
) -> Result<Vec<SessionRow>> {
    c.execute(
        "DELETE FROM sessions WHERE last_ms < ?1 OR created_ms < ?2",
        params![idle_before, created_before],
    )
    .map_err(err("expiring sessions"))?;
    let mut st = c
        .prepare("SELECT id, user, role, created_ms, last_ms FROM sessions")
        .map_err(err("reading sessions"))?;
    let rows = st
        .query_map([], |r| {
            Ok((
                r.get::<_, String>(0)?,
                r.get::<_, String>(1)?,
                r.get::<_, String>(2)?,
                r.get::<_, i64>(3)?,
                r.get::<_, i64>(4)?,
            ))
        })
        .map_err(err("reading sessions"))?;
    let mut out = Vec::new();
    for r in rows {
        let (id, user, role, created_ms, last_ms) = r.map_err(err("reading sessions"))?;
        if let Some(role) = Role::parse(&role) {
            out.push(SessionRow {
                id,
                user,
                role,
                created_ms,
                last_ms,
            });
        }
    }
    Ok(out)
}

// ---- failed logins ----

/// Rows kept in `login_failures`: the newest this many; older ones are deleted as new ones come.
pub const LOGIN_FAILURES_KEPT: i64 = 1000;

/// Record a failed login. `name` must already be sanitised (auth::sanitise_name): at most 64
/// characters of a known alphabet.
pub fn record_login_failure(c: &Connection, name: &str, addr: &str) -> Result<()> {
    c.execute(
        "INSERT INTO login_failures(wall_ms, name, addr) VALUES (?1, ?2, ?3)",
        params![wall_ms(), name, addr],
    )
    .map_err(err("recording failed login"))?;
    c.execute(
        "DELETE FROM login_failures WHERE id <= (SELECT MAX(id) FROM login_failures) - ?1",
        [LOGIN_FAILURES_KEPT],
    )
    .map_err(err("trimming failed logins"))?;
    Ok(())
}

pub fn login_failure_count(c: &Connection) -> Result<i64> {
    c.query_row("SELECT COUNT(*) FROM login_failures", [], |r| r.get(0))
        .map_err(err("counting failed logins"))
}

pub fn list_users(c: &Connection) -> Result<Vec<(String, Role)>> {
    let rows = text_pairs(
        c,
        "SELECT name, role FROM users ORDER BY name",
        "listing users",
    )?;
    let parsed = rows
        .into_iter()
        .filter_map(|(n, role)| Some((n, Role::parse(&role)?)));
    Ok(parsed.collect())
}

// ---- persisted settings ----

/// The settings commands to restore at start, in the order they were last taken (mode last, so
/// that the targets are in place before the mode that uses them).
pub fn saved_settings(c: &Connection) -> Result<Vec<Command>> {
    let sql = "SELECT key, value FROM settings ORDER BY wall_ms";
    let mut cmds = Vec::new();
    let mut mode = None;
    for (key, v) in text_pairs(c, sql, "reading settings")? {
        match serde_json::from_str::<Command>(&v) {
            Ok(c @ Command::Mode { .. }) => mode = Some(c),
            Ok(c) => cmds.push(c),
            Err(e) => eprintln!("ecmo serve: ignoring saved setting {key}: {e}"),
        }
    }
    cmds.extend(mode);
    Ok(cmds)
}

// ---- the recorder ----

/// Where the recorder writes and what it has done.
pub struct Recorder {
    pub path: PathBuf,
    pub run: i64,
    /// Set when the console stops: the recorder writes what is queued and closes the run.
    pub stop: std::sync::Arc<std::sync::atomic::AtomicBool>,
}

impl Recorder {
    /// Run on the recorder thread until every sender is gone. Batches rows and commits at least
    /// every [`COMMIT_EVERY`].
    pub fn run(self, rx: Receiver<LoopOut>) -> Result<()> {
        let mut c = open(&self.path)?;
        let mut batch: Vec<LoopOut> = Vec::with_capacity(256);
        let mut last = Instant::now();
        loop {
            let msg = rx.recv_timeout(Duration::from_millis(50));
            let done = match msg {
                Ok(m) => {
                    batch.push(m);
                    false
                }
                Err(RecvTimeoutError::Timeout) => {
                    self.stop.load(std::sync::atomic::Ordering::Relaxed)
                }
                Err(RecvTimeoutError::Disconnected) => true,
            };
            if done || last.elapsed() >= COMMIT_EVERY {
                if !batch.is_empty() {
                    self.write(&mut c, &batch)?;
                    batch.clear();
                }
                last = Instant::now();
            }
            if done {
                c.execute(
                    "UPDATE runs SET ended_ms = ?1 WHERE id = ?2",
                    params![wall_ms(), self.run],
                )
                .map_err(err("closing run"))?;
                return Ok(());
            }
        }
    }

    fn write(&self, c: &mut Connection, batch: &[LoopOut]) -> Result<()> {
        let tx = c.transaction().map_err(err("starting transaction"))?;
        {
            let mut w = tx
                .prepare_cached(
                    "INSERT INTO wave(run, t, wall_ms, p_art, p_drain, p_pre, p_post, flow)
                     VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
                )
                .map_err(err("preparing waveform insert"))?;
            let mut n = tx
                .prepare_cached("INSERT INTO numerics(run, t, data) VALUES (?1, ?2, ?3)")
                .map_err(err("preparing numerics insert"))?;
            let mut e = tx
                .prepare_cached(
                    "INSERT INTO events(run, t, wall_ms, kind, user, detail) VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
                )
                .map_err(err("preparing event insert"))?;
            let mut s = tx
                .prepare_cached(
                    "INSERT INTO settings(key, value, wall_ms, user) VALUES (?1, ?2, ?3, ?4)
                     ON CONFLICT(key) DO UPDATE SET value = excluded.value,
                     wall_ms = excluded.wall_ms, user = excluded.user",
                )
                .map_err(err("preparing settings upsert"))?;
            let f = |x: f64| if x.is_finite() { Some(x) } else { None };
            for m in batch {
                match m {
                    LoopOut::Wave(v, wall) => {
                        w.execute(params![
                            self.run,
                            v.t,
                            wall,
                            f(v.p_art),
                            f(v.p_drain),
                            f(v.p_pre),
                            f(v.p_post),
                            f(v.flow)
                        ])
                        .map_err(err("writing waveform"))?;
                    }
                    LoopOut::Numerics(x) => {
                        let data = serde_json::to_string(x).unwrap_or_default();
                        n.execute(params![self.run, x.t, data])
                            .map_err(err("writing numerics"))?;
                    }
                    LoopOut::Event(ev) => {
                        e.execute(params![
                            self.run,
                            ev.t,
                            ev.wall_ms,
                            ev.kind,
                            ev.user,
                            ev.detail.to_string()
                        ])
                        .map_err(err("writing event"))?;
                        // Settings the control core took persist across restarts.
                        if ev.kind == "applied"
                            && let Some(req) = ev.detail.get("request")
                            && let Ok(cmd) = serde_json::from_value::<Command>(req.clone())
                            && let Some(key) = cmd.setting_key()
                        {
                            s.execute(params![key, req.to_string(), ev.wall_ms, ev.user])
                                .map_err(err("saving setting"))?;
                        }
                    }
                    LoopOut::Status(_) | LoopOut::Applied(_) => {}
                }
            }
        }
        tx.commit().map_err(err("committing"))
    }
}

// ---- export ----

/// Write a run as CSV files (waves, numerics, events) into `dir`. Returns the files written.
pub fn export_csv(c: &Connection, run: i64, dir: &Path) -> Result<Vec<PathBuf>> {
    use std::io::Write;
    run_config(c, run)?;
    std::fs::create_dir_all(dir)
        .map_err(|e| StoreError(format!("creating {}: {e}", dir.display())))?;
    let io = |p: &Path| {
        let p = p.to_path_buf();
        move |e: std::io::Error| StoreError(format!("writing {}: {e}", p.display()))
    };
    let mut files = Vec::new();
    // waveforms
    let p = dir.join(format!("run{run}-waves.csv"));
    let mut f = std::io::BufWriter::new(std::fs::File::create(&p).map_err(io(&p))?);
    writeln!(
        f,
        "t_s,p_art_mmhg,p_drain_mmhg,p_pre_mmhg,p_post_mmhg,flow_lpm"
    )
    .map_err(io(&p))?;
    let mut from = -1.0;
    loop {
        let chunk = waves(c, run, from, from + 600.0)?;
        let more: bool = c
            .query_row(
                "SELECT EXISTS(SELECT 1 FROM wave WHERE run = ?1 AND t > ?2)",
                params![run, from + 600.0],
                |r| r.get(0),
            )
            .map_err(err("reading waveforms"))?;
        for v in &chunk {
            let g = |x: f64| {
                if x.is_finite() {
                    format!("{x:.3}")
                } else {
                    String::new()
                }
            };
            writeln!(
                f,
                "{:.3},{},{},{},{},{}",
                v.t,
                g(v.p_art),
                g(v.p_drain),
                g(v.p_pre),
                g(v.p_post),
                g(v.flow)
            )
            .map_err(io(&p))?;
        }
        from += 600.0;
        if !more {
            break;
        }
    }
    f.flush().map_err(io(&p))?;
    files.push(p);
    // numerics: one column per field of Numerics that the run recorded (a value in at least
    // one row). A signal added by a later release is absent from an older recording, so the
    // older recording exports exactly as the release that made it exported it.
    let p = dir.join(format!("run{run}-numerics.csv"));
    let mut f = std::io::BufWriter::new(std::fs::File::create(&p).map_err(io(&p))?);
    let rows: Vec<serde_json::Value> = numerics(c, run, -1.0, f64::MAX, usize::MAX)?
        .iter()
        .map(|r| serde_json::to_value(r).unwrap_or_default())
        .collect();
    let cols: Vec<String> = match serde_json::to_value(Numerics::default()) {
        Ok(serde_json::Value::Object(m)) => m
            .keys()
            .filter(|k| {
                rows.is_empty()
                    || rows
                        .iter()
                        .any(|v| !matches!(v.get(k.as_str()), None | Some(serde_json::Value::Null)))
            })
            .cloned()
            .collect(),
        _ => Vec::new(),
    };
    writeln!(f, "{}", cols.join(",")).map_err(io(&p))?;
    for v in rows {
        let line: Vec<String> = cols
            .iter()
            .map(|k| match v.get(k) {
                Some(serde_json::Value::Null) | None => String::new(),
                Some(x) => x.to_string(),
            })
            .collect();
        writeln!(f, "{}", line.join(",")).map_err(io(&p))?;
    }
    f.flush().map_err(io(&p))?;
    files.push(p);
    // events
    let p = dir.join(format!("run{run}-events.csv"));
    let mut f = std::io::BufWriter::new(std::fs::File::create(&p).map_err(io(&p))?);
    writeln!(f, "t_s,wall_ms,kind,user,detail").map_err(io(&p))?;
    for (_, e) in events(c, run, 0, usize::MAX >> 1)? {
        let d = e.detail.to_string().replace('"', "\"\"");
        writeln!(
            f,
            "{:.3},{},{},{},\"{}\"",
            e.t, e.wall_ms, e.kind, e.user, d
        )
        .map_err(io(&p))?;
    }
    f.flush().map_err(io(&p))?;
    files.push(p);
    Ok(files)
}

/// Write a run as one JSON document.
pub fn export_json(c: &Connection, run: i64, out: &mut dyn std::io::Write) -> Result<()> {
    let config = run_config(c, run)?;
    let info = list_runs(c)?.into_iter().find(|r| r.id == run);
    let w = waves(c, run, -1.0, f64::MAX)?;
    let cols = |f: fn(&Wave) -> f64| -> Vec<Option<f64>> {
        w.iter()
            .map(|v| {
                let x = f(v);
                x.is_finite().then_some((x * 1000.0).round() / 1000.0)
            })
            .collect()
    };
    let doc = serde_json::json!({
        "run": info,
        "config": config,
        "waves": {
            "t_s": cols(|v| v.t),
            "p_art_mmhg": cols(|v| v.p_art),
            "p_drain_mmhg": cols(|v| v.p_drain),
            "p_pre_mmhg": cols(|v| v.p_pre),
            "p_post_mmhg": cols(|v| v.p_post),
            "flow_lpm": cols(|v| v.flow),
        },
        "numerics": numerics(c, run, -1.0, f64::MAX, usize::MAX)?,
        "events": events(c, run, 0, usize::MAX >> 1)?.into_iter().map(|(_, e)| e).collect::<Vec<_>>(),
    });
    serde_json::to_writer(&mut *out, &doc).map_err(|e| StoreError(format!("writing JSON: {e}")))?;
    writeln!(out).map_err(|e| StoreError(format!("writing JSON: {e}")))
}
