//! `ecmo bench-serve`: what `ecmo serve` costs and whether its loop keeps time with viewers.
//!
//! Starts `ecmo serve` as a child process on a fresh database and a free loopback port, logs in,
//! connects N WebSocket viewers that read everything, and after a warm-up measures over a window:
//! the child's CPU time (utime + stime from `/proc/PID/stat`) as a share of one core, the loop's
//! ticks, late ticks and missed steps (from `/api/health`), and the samples each viewer
//! received.
//! It also measures sample-to-viewer latency: the wall-clock time from the loop taking a sample
//! (each waveform sample carries it) to a viewer reading it, at the last sample of every batch
//! (viewers run on the same machine, so the clocks agree). The time to paint it is the browser
//! suite's (tests/browser, `latency` test).
//!
//! `ECMO_BENCH_SERVER=path/to/ecmo` serves with another `ecmo` binary (to compare releases
//! with the same client).
use serde_json::Value;
use std::io::{BufRead, BufReader, Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::{Duration, Instant};

/// What `ecmo bench-serve` measures (the `ecmo` binary parses these from its command line).
#[derive(Debug, Clone)]
pub struct BenchOptions {
    /// WebSocket viewers to connect; one measurement per number given (each on a fresh
    /// `ecmo serve`). Default: 1 (the CPU target) and 20 (the deadline target).
    pub viewers: Vec<usize>,
    /// Measurement window, s (after a 5 s warm-up).
    pub seconds: f64,
    /// Scenario for the served run.
    pub scenario: String,
    /// Also write the figures as JSON here.
    pub json: Option<PathBuf>,
}

fn ticks_per_s() -> f64 {
    // USER_HZ is 100 on every Linux this runs on (getconf CLK_TCK); /proc reports in it.
    100.0
}

fn cpu_ticks(pid: u32) -> Result<u64, String> {
    let s = std::fs::read_to_string(format!("/proc/{pid}/stat"))
        .map_err(|e| format!("reading /proc/{pid}/stat: {e}"))?;
    // Fields after the command name (which is in parentheses and may hold spaces).
    let rest = s.rsplit_once(')').map(|x| x.1).unwrap_or("");
    let f: Vec<&str> = rest.split_whitespace().collect();
    // utime and stime are fields 14 and 15 (1-based) of the whole line: 12 and 13 after ')'.
    let ut: u64 = f
        .get(11)
        .and_then(|v| v.parse().ok())
        .ok_or("bad /proc stat")?;
    let st: u64 = f
        .get(12)
        .and_then(|v| v.parse().ok())
        .ok_or("bad /proc stat")?;
    Ok(ut + st)
}

/// One HTTP request on a connection of its own (reads time out after `timeout`); returns the
/// head and the body of the answer.
pub(crate) fn http(
    addr: SocketAddr,
    method: &str,
    path: &str,
    cookie: &str,
    body: &str,
    timeout: Duration,
) -> Result<(String, String), String> {
    let mut s = TcpStream::connect(addr).map_err(|e| format!("connecting {addr}: {e}"))?;
    s.set_read_timeout(Some(timeout)).ok();
    let req = format!(
        "{method} {path} HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\nCookie: {cookie}\r\n\
         Content-Type: application/json\r\nContent-Length: {}\r\n\r\n{body}",
        body.len()
    );
    s.write_all(req.as_bytes()).map_err(|e| e.to_string())?;
    let mut raw = String::new();
    s.read_to_string(&mut raw).map_err(|e| e.to_string())?;
    let (head, body) = raw.split_once("\r\n\r\n").unwrap_or((&raw, ""));
    Ok((head.to_string(), body.to_string()))
}

/// Log in as `user`; returns the session cookie (`name=value`).
pub(crate) fn login(
    addr: SocketAddr,
    user: &str,
    pw: &str,
    timeout: Duration,
) -> Result<String, String> {
    let (head, body) = http(
        addr,
        "POST",
        "/api/login",
        "",
        &serde_json::json!({"user": user, "password": pw}).to_string(),
        timeout,
    )?;
    head.lines()
        .find_map(|l| {
            l.strip_prefix("set-cookie: ")
                .or_else(|| l.strip_prefix("Set-Cookie: "))
        })
        .and_then(|c| c.split(';').next())
        .map(str::to_string)
        .ok_or_else(|| format!("login {user} failed: {head} {body}"))
}

/// A fresh database in the temporary directory `ecmo-{tag}-PID`, holding one viewer `user`;
/// returns the directory and the database.
pub(crate) fn fresh_db(tag: &str, user: &str, pw: &str) -> Result<(PathBuf, PathBuf), String> {
    let dir = std::env::temp_dir().join(format!("ecmo-{tag}-{}", std::process::id()));
    std::fs::create_dir_all(&dir).map_err(|e| format!("creating {}: {e}", dir.display()))?;
    let db = dir.join(format!("{tag}.db"));
    let _ = std::fs::remove_file(&db);
    let c = crate::store::open(&db).map_err(|e| e.0)?;
    crate::store::put_user(&c, user, engine::model::Role::Viewer, pw).map_err(|e| e.0)?;
    Ok((dir, db))
}

/// Start `exe serve` on a free loopback port with `scenario`, the `extra` arguments and the
/// database `db`; its standard output is piped (see [`served_addr`]).
pub(crate) fn serve_child(
    exe: PathBuf,
    scenario: &str,
    extra: &[&str],
    db: &Path,
) -> Result<Child, String> {
    Command::new(exe)
        .args(["serve", "--addr", "127.0.0.1:0", "--scenario", scenario])
        .args(extra)
        .arg("--db")
        .arg(db)
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()
        .map_err(|e| format!("starting ecmo serve: {e}"))
}

/// Stop the child `ecmo serve` and remove its temporary directory `dir`.
pub(crate) fn stop_child(mut child: Child, dir: &Path) {
    let _ = child.kill();
    let _ = child.wait();
    let _ = std::fs::remove_dir_all(dir);
}

/// Wait for every thread to end.
pub(crate) fn join_all<T>(threads: Vec<std::thread::JoinHandle<T>>) {
    for t in threads {
        let _ = t.join();
    }
}

/// `n` sample counters, one a viewer.
pub(crate) fn counters(n: usize) -> Vec<Arc<AtomicU64>> {
    (0..n).map(|_| Arc::new(AtomicU64::new(0))).collect()
}

/// The address a child `ecmo serve` prints on its first line; the rest of its output is read
/// and dropped.
pub(crate) fn served_addr(child: &mut Child) -> Result<SocketAddr, String> {
    let out = child.stdout.take().ok_or("no stdout")?;
    let mut out = BufReader::new(out);
    let mut line = String::new();
    out.read_line(&mut line)
        .map_err(|e| format!("reading ecmo serve's address: {e}"))?;
    std::thread::spawn(move || std::io::copy(&mut out, &mut std::io::sink()));
    let url = line
        .split_whitespace()
        .find(|w| w.starts_with("http://"))
        .ok_or_else(|| format!("ecmo serve did not print its address: {line}"))?;
    url.trim_start_matches("http://")
        .parse()
        .map_err(|e| format!("address {url}: {e}"))
}

/// A viewer's WebSocket with the session `cookie` (reads time out after 2 s).
pub(crate) fn viewer_socket(
    addr: SocketAddr,
    cookie: &str,
) -> Result<tungstenite::WebSocket<TcpStream>, String> {
    use tungstenite::client::IntoClientRequest;
    let mut req = format!("ws://{addr}/ws")
        .into_client_request()
        .map_err(|e| e.to_string())?;
    req.headers_mut()
        .insert("Cookie", cookie.parse().map_err(|_| "cookie")?);
    let stream = TcpStream::connect(addr).map_err(|e| e.to_string())?;
    stream.set_read_timeout(Some(Duration::from_secs(2))).ok();
    let (ws, _) =
        tungstenite::client::client(req, stream).map_err(|e| format!("WebSocket: {e}"))?;
    Ok(ws)
}

/// The samples each viewer has counted so far.
pub(crate) fn counted(counts: &[Arc<AtomicU64>]) -> Vec<u64> {
    counts.iter().map(|c| c.load(Ordering::Relaxed)).collect()
}

/// The slowest viewer's samples per second over `el` s between the counts `n0` and `n1`.
pub(crate) fn min_rate(n0: &[u64], n1: &[u64], el: f64) -> f64 {
    n0.iter()
        .zip(n1)
        .map(|(a, b)| (b - a) as f64 / el)
        .fold(f64::INFINITY, f64::min)
}

/// The control loop's figures over a window of `el` s between the health reports `h0` and
/// `h1` (`/api/health`), added to `res`.
pub(crate) fn add_loop_figures(res: &mut Value, h0: &Value, h1: &Value, el: f64) {
    let g = |h: &Value, k: &str| h["loop"][k].as_f64().unwrap_or(0.0);
    let figures = serde_json::json!({
        "loop_ticks_per_s": (g(h1, "ticks") - g(h0, "ticks")) / el,
        // A step's slot lost: the tick ended more than a whole period after its deadline.
        "missed_steps": g(h1, "missed") - g(h0, "missed"),
        "missed_steps_total": g(h1, "missed"),
        // Ticks that ended after their deadline but within their period (jitter).
        "late_ticks": (g(h1, "late") - g(h0, "late")) - (g(h1, "missed") - g(h0, "missed")),
        "worst_tick_work_us": g(h1, "worst_work_us"),
        "loop_priority_raised": h1["loop"]["raised_priority"],
    });
    if let (Some(r), Value::Object(f)) = (res.as_object_mut(), figures) {
        r.extend(f);
    }
}

/// CPU target with one viewer, % of one core (issue 4).
pub const CPU_TARGET_PERCENT: f64 = 10.0;

/// How long the bench's HTTP requests wait for an answer.
const TIMEOUT: Duration = Duration::from_secs(10);

/// Every configuration asked for; returns the figures of each (JSON array) and prints a line
/// per configuration with the targets met or not.
pub fn bench_serve(a: &BenchOptions) -> Result<Value, String> {
    if !(a.seconds.is_finite() && a.seconds >= 1.0) {
        return Err(format!("--seconds {}: must be at least 1", a.seconds));
    }
    if a.viewers.is_empty() || a.viewers.iter().any(|&v| v == 0 || v > 200) {
        return Err("--viewers: each must be 1..200".into());
    }
    let mut all = Vec::new();
    for &v in &a.viewers {
        let r = bench_one(a, v)?;
        let cpu = r["cpu_percent_of_one_core"].as_f64().unwrap_or(f64::NAN);
        let missed = r["missed_steps"].as_f64().unwrap_or(f64::NAN);
        let late = r["late_ticks"].as_f64().unwrap_or(f64::NAN);
        let verdict = |ok: bool| if ok { "met" } else { "NOT met" };
        eprintln!(
            "{v} viewer(s): CPU {cpu:.1} % of one core{}; loop {:.1} ticks/s, {missed} missed steps (target 0: {}), \
             {late} ticks ended late within their period, worst tick {} µs; slowest viewer got {:.1} samples/s; \
             sample-to-viewer latency median {} ms, p99 {} ms",
            if v == 1 {
                format!(
                    " (target < {CPU_TARGET_PERCENT} %: {})",
                    verdict(cpu < CPU_TARGET_PERCENT)
                )
            } else {
                String::new()
            },
            r["loop_ticks_per_s"].as_f64().unwrap_or(0.0),
            verdict(missed == 0.0),
            r["worst_tick_work_us"],
            r["min_viewer_samples_per_s"].as_f64().unwrap_or(0.0),
            r["latency_median_ms"],
            r["latency_p99_ms"],
        );
        all.push(r);
    }
    let res = Value::Array(all);
    if let Some(p) = &a.json {
        std::fs::write(p, serde_json::to_string_pretty(&res).unwrap_or_default())
            .map_err(|e| format!("writing {}: {e}", p.display()))?;
    }
    Ok(res)
}

/// The `q` quantile (0..1) of `v`, ms rounded to 0.1; null when empty.
pub fn percentile(v: &mut [f64], q: f64) -> Value {
    if v.is_empty() {
        return Value::Null;
    }
    v.sort_by(f64::total_cmp);
    let i = ((v.len() - 1) as f64 * q).round() as usize;
    serde_json::json!((v[i] * 10.0).round() / 10.0)
}

fn bench_one(a: &BenchOptions, viewers: usize) -> Result<Value, String> {
    let (dir, db) = fresh_db("bench", "bench", "bench-password")?;
    let exe = match std::env::var_os("ECMO_BENCH_SERVER") {
        Some(p) => PathBuf::from(p),
        None => std::env::current_exe().map_err(|e| format!("finding ecmo: {e}"))?,
    };
    let mut child = serve_child(exe, &a.scenario, &[], &db)?;
    let pid = child.id();
    let result = (|| -> Result<Value, String> {
        let addr = served_addr(&mut child)?;
        let cookie = login(addr, "bench", "bench-password", TIMEOUT)?;
        let stop = Arc::new(AtomicBool::new(false));
        let measuring = Arc::new(AtomicBool::new(false));
        let latencies: Arc<std::sync::Mutex<Vec<f64>>> = Arc::default();
        let counts = counters(viewers);
        let mut threads = Vec::new();
        for c in &counts {
            let (c, stop, cookie) = (c.clone(), stop.clone(), cookie.clone());
            let (measuring, latencies) = (measuring.clone(), latencies.clone());
            let mut ws = viewer_socket(addr, &cookie)?;
            threads.push(std::thread::spawn(move || {
                // The viewers stand for browsers on other machines: they yield to the server.
                while !stop.load(Ordering::Relaxed) {
                    match ws.read() {
                        Ok(tungstenite::Message::Text(t)) => {
                            if let Ok(v) = serde_json::from_str::<Value>(t.as_str())
                                && v["k"] == "w"
                            {
                                let d = v["d"].as_array();
                                c.fetch_add(
                                    d.map(|x| x.len()).unwrap_or(0) as u64,
                                    Ordering::Relaxed,
                                );
                                if measuring.load(Ordering::Relaxed)
                                    && let Some(wall) =
                                        d.and_then(|x| x.last()).and_then(|s| s[1].as_f64())
                                    && let Ok(mut l) = latencies.lock()
                                {
                                    l.push(engine::model::wall_ms() as f64 - wall);
                                }
                            }
                        }
                        Ok(_) => {}
                        Err(_) => break,
                    }
                }
            }));
        }
        std::thread::sleep(Duration::from_secs(5));
        let health = |addr| -> Result<Value, String> {
            let (_, b) = http(addr, "GET", "/api/health", &cookie, "", TIMEOUT)?;
            serde_json::from_str(&b).map_err(|e| e.to_string())
        };
        let h0 = health(addr)?;
        let c0 = cpu_ticks(pid)?;
        let n0 = counted(&counts);
        let t0 = Instant::now();
        measuring.store(true, Ordering::Relaxed);
        std::thread::sleep(Duration::from_secs_f64(a.seconds));
        measuring.store(false, Ordering::Relaxed);
        let el = t0.elapsed().as_secs_f64();
        let (lat_median, lat_p99) = {
            let mut l = latencies.lock().map(|l| l.clone()).unwrap_or_default();
            (percentile(&mut l, 0.5), percentile(&mut l, 0.99))
        };
        let c1 = cpu_ticks(pid)?;
        let h1 = health(addr)?;
        let n1 = counted(&counts);
        stop.store(true, Ordering::Relaxed);
        let cpu = (c1 - c0) as f64 / ticks_per_s() / el * 100.0;
        let g = |h: &Value, k: &str| h["loop"][k].as_f64().unwrap_or(0.0);
        let min_rate = min_rate(&n0, &n1, el);
        let mut res = serde_json::json!({
            "viewers": viewers,
            "window_s": el,
            "cpu_percent_of_one_core": (cpu * 10.0).round() / 10.0,
            "dropped_screen": g(&h1, "dropped_screen") - g(&h0, "dropped_screen"),
            "dropped_record": g(&h1, "dropped_record") - g(&h0, "dropped_record"),
            "viewer_messages_dropped": h1["dropped_clients"],
            "min_viewer_samples_per_s": (min_rate * 10.0).round() / 10.0,
            "latency_median_ms": lat_median,
            "latency_p99_ms": lat_p99,
        });
        add_loop_figures(&mut res, &h0, &h1, el);
        join_all(threads);
        Ok(res)
    })();
    stop_child(child, &dir);
    result
}
