//! The console's subcommands of `ecmo`: `serve`, `runs`, `export`, `replay`, `user`,
//! `bench-serve`: their command lines (clap lives only in this crate) and the glue to the
//! `console` and `engine` libraries.
use clap::{Args, Subcommand};
use console::{Engine, LoopConfig, ServeOptions, TlsFiles, store};
use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, Ordering};

/// Where the database lives unless `--db` says otherwise.
pub const DEFAULT_DB: &str = "ecmo-data/ecmo.db";

#[derive(Args, Debug, Clone)]
pub struct ServeArgs {
    /// Address to listen on (loopback unless TLS is configured).
    #[arg(long, default_value = "127.0.0.1:8080")]
    pub addr: String,
    /// The recording database (created if missing).
    #[arg(long, default_value = DEFAULT_DB)]
    pub db: PathBuf,
    /// Patient and circuit preset (physio presets: ards-severe is an adult on VV ECMO).
    #[arg(long, default_value = "ards-severe")]
    pub scenario: String,
    /// Simulated seconds per wall-clock second (1 = real time).
    #[arg(long, default_value_t = 1.0)]
    pub speed: f64,
    /// Run a training scenario (TOML, docs/scenarios.md) instead of a preset: the instructor
    /// pauses, speeds up and ends it and injects faults from the Instructor tab.
    #[arg(long, value_name = "FILE", conflicts_with = "scenario")]
    pub training: Option<PathBuf>,
    /// Seed of the twin's random processes.
    #[arg(long, default_value_t = 1)]
    pub seed: u64,
    /// TLS certificate chain (PEM; served with rustls, see docs/security.md).
    #[arg(long, requires = "tls_key", conflicts_with = "self_signed")]
    pub tls_cert: Option<PathBuf>,
    /// TLS private key (PEM: PKCS#8, PKCS#1 or SEC1).
    #[arg(long, requires = "tls_cert")]
    pub tls_key: Option<PathBuf>,
    /// Serve TLS with a self-signed certificate kept in DIR (cert.pem, key.pem; made on first
    /// use for localhost and 127.0.0.1). For a bench setup: browsers warn until it is trusted.
    #[arg(long, value_name = "DIR")]
    pub self_signed: Option<PathBuf>,
    /// Allow a non-loopback address without TLS (passwords in clear text).
    #[arg(long)]
    pub insecure_remote: bool,
    /// An origin whose pages may act on this console (repeat for several), such as
    /// https://console.ward3:8443 when a reverse proxy or a DNS name fronts it. Default: the
    /// listening address itself (and localhost with its port on loopback).
    #[arg(long, value_name = "URL")]
    pub allowed_origin: Vec<String>,
    /// Open connections at most, all clients together (WebSockets included).
    #[arg(long, default_value_t = 512)]
    pub max_connections: usize,
    /// Open connections at most from one IP address.
    #[arg(long, default_value_t = 64)]
    pub max_connections_per_addr: usize,
    /// Drive a pump unit over the device protocol instead of the in-process twin:
    /// tcp://HOST:PORT, a serial device path or serial:///dev/ttyUSB0?baud=115200 (see
    /// `ecmo device` and docs/protocol.md). `--scenario` then names the unit's circuit.
    #[arg(long)]
    pub device: Option<String>,
    /// The unit's pairing key file (made by `ecmo device --generate-key`): the console proves
    /// it to the unit and accepts only a unit that proves it back. Without it the console
    /// speaks only to a unit that has no key either (bench use on one machine).
    #[arg(long, value_name = "FILE", requires = "device")]
    pub device_key: Option<PathBuf>,
}

impl ServeArgs {
    pub fn options(&self) -> Result<ServeOptions, String> {
        if !(self.speed.is_finite() && self.speed > 0.0 && self.speed <= 100.0) {
            return Err(format!("--speed {}: must be in (0, 100]", self.speed));
        }
        Ok(ServeOptions {
            addr: self.addr.clone(),
            db: self.db.clone(),
            loop_cfg: LoopConfig {
                speed: self.speed,
                ..LoopConfig::default()
            },
            tls: match (&self.tls_cert, &self.tls_key, &self.self_signed) {
                (Some(c), Some(k), _) => Some(TlsFiles {
                    cert: c.clone(),
                    key: k.clone(),
                }),
                (_, _, Some(dir)) => {
                    let (cert, key, made) = console::net::self_signed(dir, &[])?;
                    if made {
                        eprintln!(
                            "ecmo serve: made a self-signed certificate {} (key {}, owner-only)",
                            cert.display(),
                            key.display()
                        );
                    }
                    Some(TlsFiles { cert, key })
                }
                _ => None,
            },
            insecure_remote: self.insecure_remote,
            allowed_origins: self.allowed_origin.clone(),
            limits: console::net::Limits {
                max_conns: self.max_connections.max(1),
                max_conns_per_addr: self.max_connections_per_addr.max(1),
                ..console::net::Limits::default()
            },
            ..ServeOptions::default()
        })
    }
}

fn announce(h: &console::Handle, what: &str) {
    // Written with errors ignored: a console whose standard output was closed must keep
    // running (println! would panic on a broken pipe).
    use std::io::Write;
    let mut out = std::io::stdout();
    let _ = writeln!(out, "ecmo {what}: console at {} (run {})", h.url(), h.run);
    if let Some((u, p)) = &h.created_admin {
        let _ = writeln!(
            out,
            "ecmo {what}: first start: created administrator '{u}' with one-time password: {p}\n\
             ecmo {what}: it works once: log in and choose your own password, then add users (Users tab) \
             or run `ecmo user add NAME --role operator`"
        );
    }
    let _ = out.flush();
}

/// `ecmo serve`: the twin and the control core (through `sil`) for the chosen scenario, served
/// until killed.
pub fn serve(args: &ServeArgs) -> Result<(), String> {
    let opts = args.options()?;
    let engine: Box<dyn Engine> = match (&args.device, &args.training) {
        (Some(_), Some(_)) => {
            return Err(
                "--training runs its scenario on the in-process twin; it cannot be combined with --device"
                    .into(),
            );
        }
        (Some(d), None) => {
            if args.speed != 1.0 {
                return Err(format!(
                    "--speed {}: a pump unit runs in real time; --device needs --speed 1",
                    args.speed
                ));
            }
            let key = match &args.device_key {
                Some(p) => {
                    Some(devlink::load_key_file(p).map_err(|e| format!("--device-key: {e}"))?)
                }
                None => None,
            };
            let gap = console::records::recording_gap(&opts.db, engine::model::wall_ms());
            Box::new(engine::device::DeviceEngine::connect(
                d,
                key,
                &args.scenario,
                gap,
            )?)
        }
        (None, Some(file)) => Box::new(engine::scenario_engine::build(file, None)?),
        (None, None) => Box::new(engine::live::build(&args.scenario, args.seed)?),
    };
    catch_stop_signals();
    let h = console::start(&opts, engine).map_err(|e| e.0)?;
    announce(&h, "serve");
    run_until_signal(h, "serve");
    Ok(())
}

/// Set by SIGINT or SIGTERM: the console then stops cleanly (the recorder writes what is queued
/// and closes the run). A `kill -9` cannot be caught; the recording survives it anyway (REC-1).
static STOP_SIGNAL: AtomicBool = AtomicBool::new(false);

#[cfg(target_os = "linux")]
extern "C" fn on_stop_signal(_: libc::c_int) {
    // An atomic store is async-signal-safe; everything else happens on the main thread.
    STOP_SIGNAL.store(true, Ordering::SeqCst);
}

fn catch_stop_signals() {
    #[cfg(target_os = "linux")]
    // SAFETY: the handler only stores to an atomic, which is async-signal-safe.
    unsafe {
        let h = on_stop_signal as extern "C" fn(libc::c_int) as libc::sighandler_t;
        libc::signal(libc::SIGINT, h);
        libc::signal(libc::SIGTERM, h);
    }
}

fn run_until_signal(h: console::Handle, what: &str) {
    while !STOP_SIGNAL.load(Ordering::SeqCst) {
        std::thread::sleep(std::time::Duration::from_millis(100));
    }
    let run = h.run;
    h.stop();
    use std::io::Write;
    let _ = writeln!(std::io::stderr(), "ecmo {what}: stopped; run {run} closed");
}

#[derive(Args, Debug, Clone)]
pub struct RunsArgs {
    /// The recording database.
    #[arg(long, default_value = DEFAULT_DB)]
    pub db: PathBuf,
}

pub fn runs(a: &RunsArgs) -> Result<(), String> {
    let c = store::open_ro(&a.db).map_err(|e| e.0)?;
    let runs = store::list_runs(&c).map_err(|e| e.0)?;
    println!(
        "{:>5}  {:<8} {:<20} {:>10} {:>7}  ended",
        "run", "kind", "started (UTC)", "sim time", "events"
    );
    for r in runs {
        println!(
            "{:>5}  {:<8} {:<20} {:>10} {:>7}  {}",
            r.id,
            r.kind,
            utc(r.started_ms),
            hms(r.duration_s),
            r.events,
            r.ended_ms.map(utc).unwrap_or_else(|| "(not closed)".into())
        );
    }
    Ok(())
}

fn hms(s: f64) -> String {
    let s = s.max(0.0) as u64;
    format!("{}:{:02}:{:02}", s / 3600, s / 60 % 60, s % 60)
}

/// Format ms since the epoch as `YYYY-MM-DD HH:MM:SS` (UTC), without a date library.
pub fn utc(ms: i64) -> String {
    let secs = ms.div_euclid(1000);
    let days = secs.div_euclid(86400);
    let rem = secs.rem_euclid(86400);
    // Civil-from-days (Howard Hinnant's algorithm).
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36524 - doe / 146_096) / 365;
    let y = yoe + era * 400;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    let y = if m <= 2 { y + 1 } else { y };
    format!(
        "{y:04}-{m:02}-{d:02} {:02}:{:02}:{:02}",
        rem / 3600,
        rem / 60 % 60,
        rem % 60
    )
}

#[derive(Args, Debug, Clone)]
pub struct ExportArgs {
    /// Run number (see `ecmo runs`).
    pub run: i64,
    /// The recording database.
    #[arg(long, default_value = DEFAULT_DB)]
    pub db: PathBuf,
    /// Write CSV files (waves, numerics, events) into a directory.
    #[arg(long, conflicts_with = "json", required_unless_present = "json")]
    pub csv: bool,
    /// Write one JSON document.
    #[arg(long)]
    pub json: bool,
    /// Output directory (CSV, default `run-N/`) or file (JSON, default standard output).
    #[arg(long, short)]
    pub out: Option<PathBuf>,
}

pub fn export(a: &ExportArgs) -> Result<(), String> {
    let c = store::open_ro(&a.db).map_err(|e| e.0)?;
    if a.csv {
        let dir = a
            .out
            .clone()
            .unwrap_or_else(|| PathBuf::from(format!("run-{}", a.run)));
        for f in store::export_csv(&c, a.run, &dir).map_err(|e| e.0)? {
            println!("{}", f.display());
        }
    } else {
        match &a.out {
            Some(p) => {
                let f = std::fs::File::create(p)
                    .map_err(|e| format!("creating {}: {e}", p.display()))?;
                let mut w = std::io::BufWriter::new(f);
                store::export_json(&c, a.run, &mut w).map_err(|e| e.0)?;
                use std::io::Write;
                w.flush()
                    .map_err(|e| format!("writing {}: {e}", p.display()))?;
                eprintln!("{}", p.display());
            }
            None => {
                let out = std::io::stdout();
                let mut l = out.lock();
                store::export_json(&c, a.run, &mut l).map_err(|e| e.0)?;
            }
        }
    }
    Ok(())
}

#[derive(Args, Debug, Clone)]
pub struct ReplayArgs {
    /// Run number (see `ecmo runs`).
    pub run: i64,
    /// The recording database.
    #[arg(long, default_value = DEFAULT_DB)]
    pub db: PathBuf,
    /// Playback speed (1 = as recorded, up to 1000).
    #[arg(long, default_value_t = 1.0)]
    pub speed: f64,
    /// Address to serve the console on (loopback).
    #[arg(long, default_value = "127.0.0.1:8080")]
    pub addr: String,
}

/// `ecmo bench-serve`: print the figures as JSON.
pub fn bench_serve(a: &BenchArgs) -> Result<(), String> {
    let v = console::bench::bench_serve(&a.options())?;
    println!("{}", serde_json::to_string_pretty(&v).unwrap_or_default());
    Ok(())
}

pub fn replay(a: &ReplayArgs) -> Result<(), String> {
    let opts = ServeOptions {
        addr: a.addr.clone(),
        db: a.db.clone(),
        ..ServeOptions::default()
    };
    catch_stop_signals();
    let h = console::start_replay(&opts, a.run, a.speed).map_err(|e| e.0)?;
    announce(&h, "replay");
    run_until_signal(h, "replay");
    Ok(())
}

#[derive(Subcommand, Debug, Clone)]
pub enum UserCmd {
    /// Add a user or change one's role and password. The password is read from the
    /// ECMO_PASSWORD environment variable or, if unset, the first line of standard input.
    Add {
        name: String,
        /// viewer, operator or instructor.
        #[arg(long, default_value = "operator")]
        role: String,
        #[arg(long, default_value = DEFAULT_DB)]
        db: PathBuf,
    },
    /// Remove a user.
    Remove {
        name: String,
        #[arg(long, default_value = DEFAULT_DB)]
        db: PathBuf,
    },
    /// List users and their roles.
    List {
        #[arg(long, default_value = DEFAULT_DB)]
        db: PathBuf,
    },
}

pub fn user(cmd: &UserCmd) -> Result<(), String> {
    match cmd {
        UserCmd::Add { name, role, db } => {
            let role = engine::model::Role::parse(role).ok_or_else(|| {
                format!("--role '{role}': expected viewer, operator or instructor")
            })?;
            let pw = match std::env::var("ECMO_PASSWORD") {
                Ok(p) => p,
                Err(_) => {
                    // One bounded line: a password is short, and a stream without a newline
                    // (`ecmo user add … < /dev/zero`) must be refused, not held in memory.
                    use std::io::{BufRead, Read};
                    const MAX: u64 = 4096;
                    let mut line = Vec::new();
                    std::io::stdin()
                        .lock()
                        .take(MAX + 1)
                        .read_until(b'\n', &mut line)
                        .map_err(|e| format!("reading password from standard input: {e}"))?;
                    if line.len() as u64 > MAX {
                        return Err(format!(
                            "reading password from standard input: line longer than {MAX} bytes; refused"
                        ));
                    }
                    String::from_utf8(line)
                        .map_err(|_| "the password on standard input is not UTF-8 text")?
                        .trim_end_matches(['\r', '\n'])
                        .to_string()
                }
            };
            let c = store::open(db).map_err(|e| e.0)?;
            store::put_user(&c, name, role, &pw).map_err(|e| e.0)?;
            println!("user '{name}' is {}", role.as_str());
            Ok(())
        }
        UserCmd::Remove { name, db } => {
            let c = store::open(db).map_err(|e| e.0)?;
            if store::delete_user(&c, name).map_err(|e| e.0)? {
                println!("user '{name}' removed");
                Ok(())
            } else {
                Err(format!("no user '{name}'"))
            }
        }
        UserCmd::List { db } => {
            let c = store::open_ro(db).map_err(|e| e.0)?;
            for (n, r) in store::list_users(&c).map_err(|e| e.0)? {
                println!("{n}\t{}", r.as_str());
            }
            Ok(())
        }
    }
}

/// `ecmo bench-serve`'s command line.
#[derive(Args, Debug, Clone)]
pub struct BenchArgs {
    /// WebSocket viewers to connect; one measurement per number given (each on a fresh
    /// `ecmo serve`). Default: 1 (the CPU target) and 20 (the deadline target).
    #[arg(long, value_delimiter = ',', default_values_t = [1usize, 20])]
    pub viewers: Vec<usize>,
    /// Measurement window, s (after a 5 s warm-up).
    #[arg(long, default_value_t = 30.0)]
    pub seconds: f64,
    /// Scenario for the served run.
    #[arg(long, default_value = "ards-severe")]
    pub scenario: String,
    /// Also write the figures as JSON here.
    #[arg(long)]
    pub json: Option<PathBuf>,
}

impl BenchArgs {
    fn options(&self) -> console::bench::BenchOptions {
        console::bench::BenchOptions {
            viewers: self.viewers.clone(),
            seconds: self.seconds,
            scenario: self.scenario.clone(),
            json: self.json.clone(),
        }
    }
}

/// `ecmo bench-soak`'s command line.
#[derive(Args, Debug, Clone)]
pub struct SoakArgs {
    /// How long to soak, minutes (after a 5 s warm-up).
    #[arg(long, default_value_t = 10.0)]
    pub minutes: f64,
    /// WebSocket viewers.
    #[arg(long, default_value_t = 200)]
    pub viewers: usize,
    /// Run the attacker loop from 127.0.0.2.
    #[arg(long)]
    pub attacker: bool,
    /// Scenario for the served run.
    #[arg(long, default_value = "ards-severe")]
    pub scenario: String,
    /// Also write the figures as JSON here.
    #[arg(long)]
    pub json: Option<PathBuf>,
}

/// `ecmo bench-soak`: print the figures as JSON; fails if the loop missed a step.
pub fn bench_soak(a: &SoakArgs) -> Result<(), String> {
    let v = console::soak::bench_soak(&console::soak::SoakOptions {
        minutes: a.minutes,
        viewers: a.viewers,
        attacker: a.attacker,
        scenario: a.scenario.clone(),
        json: a.json.clone(),
    })?;
    println!("{}", serde_json::to_string_pretty(&v).unwrap_or_default());
    match v["missed_steps"].as_f64() {
        Some(0.0) => Ok(()),
        _ => Err(format!(
            "the loop missed {} control steps",
            v["missed_steps"]
        )),
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn utc_formats_known_instants() {
        assert_eq!(super::utc(0), "1970-01-01 00:00:00");
        assert_eq!(super::utc(1_795_000_000_000), "2026-11-18 11:06:40");
        assert_eq!(super::hms(3725.0), "1:02:05");
    }
}
