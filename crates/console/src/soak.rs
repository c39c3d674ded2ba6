//! `ecmo bench-soak`: the console under load and under attack for minutes, and whether the
//! loop kept every step.
//!
//! Starts `ecmo serve` (the simulated patient) as a child on a fresh database, connects N
//! WebSocket viewers from 127.0.0.1, and (with `--attacker`) runs an attacker from 127.0.0.2
//! (another address of the loopback range, so that the per-address limits meet the attacker
//! and not the viewers): wrong passwords for real and made-up names, header floods, oversized
//! bodies, slow heads, connection floods, and a logged-in socket that sends junk frames. It
//! reports the loop's missed steps (must be 0), the sample-to-viewer latency (median, p99),
//! the console's resident memory (start, peak, end) and what the attacker was answered.
use serde_json::{Value, json};
use std::collections::BTreeMap;
use std::io::{BufRead, BufReader, Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::path::PathBuf;
use std::process::{Command, Stdio};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

#[derive(Debug, Clone)]
pub struct SoakOptions {
    pub minutes: f64,
    pub viewers: usize,
    pub attacker: bool,
    pub scenario: String,
    pub json: Option<PathBuf>,
}

/// Latency histogram: 0.1 ms buckets up to 2 s (the last bucket holds everything above).
struct Histogram(Vec<AtomicU64>);

impl Histogram {
    fn new() -> Self {
        Histogram((0..20_001).map(|_| AtomicU64::new(0)).collect())
    }
    fn add(&self, ms: f64) {
        let i = ((ms.max(0.0) * 10.0) as usize).min(self.0.len() - 1);
        self.0[i].fetch_add(1, Ordering::Relaxed);
    }
    fn quantile(&self, q: f64) -> Option<f64> {
        let n: u64 = self.0.iter().map(|b| b.load(Ordering::Relaxed)).sum();
        if n == 0 {
            return None;
        }
        let target = ((n as f64) * q).ceil().max(1.0) as u64;
        let mut acc = 0;
        for (i, b) in self.0.iter().enumerate() {
            acc += b.load(Ordering::Relaxed);
            if acc >= target {
                return Some(i as f64 / 10.0);
            }
        }
        None
    }
}

fn rss_kib(pid: u32) -> u64 {
    std::fs::read_to_string(format!("/proc/{pid}/status"))
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("VmRSS:"))
                .and_then(|l| l.split_whitespace().nth(1))
                .and_then(|v| v.parse().ok())
        })
        .unwrap_or(0)
}

/// Connect from a chosen source address (127.0.0.2 for the attacker).
fn connect_from(src: &str, dst: SocketAddr) -> std::io::Result<TcpStream> {
    static RT: std::sync::OnceLock<tokio::runtime::Runtime> = std::sync::OnceLock::new();
    let rt = RT.get_or_init(|| {
        tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .expect("a current-thread runtime")
    });
    let src: SocketAddr = src.parse().map_err(std::io::Error::other)?;
    let s = rt.block_on(async {
        let sock = tokio::net::TcpSocket::new_v4()?;
        sock.bind(src)?;
        tokio::time::timeout(Duration::from_secs(5), sock.connect(dst))
            .await
            .map_err(|_| std::io::Error::from(std::io::ErrorKind::TimedOut))?
    })?;
    let s = s.into_std()?;
    s.set_nonblocking(false)?;
    s.set_read_timeout(Some(Duration::from_secs(15)))?;
    s.set_write_timeout(Some(Duration::from_secs(5)))?;
    Ok(s)
}

/// The status code of the answer on `s` (0 when none came).
fn status_of(s: &mut TcpStream) -> u16 {
    let mut buf = [0u8; 512];
    let mut got = Vec::new();
    while got.len() < 64 {
        match s.read(&mut buf) {
            Ok(0) | Err(_) => break,
            Ok(n) => got.extend_from_slice(&buf[..n]),
        }
        if got.windows(2).any(|w| w == b"\r\n") {
            break;
        }
    }
    String::from_utf8_lossy(&got)
        .split_whitespace()
        .nth(1)
        .and_then(|c| c.parse().ok())
        .unwrap_or(0)
}

type Tally = Arc<Mutex<BTreeMap<String, u64>>>;

fn tally(t: &Tally, what: &str, code: u16) {
    if let Ok(mut m) = t.lock() {
        *m.entry(format!("{what} {code}")).or_insert(0) += 1;
    }
}

const ATTACK_SRC: &str = "127.0.0.2:0";

/// One round of every attack; each bounded in bytes and time.
fn attack_round(addr: SocketAddr, i: u64, cookie: &str, t: &Tally) {
    // Wrong passwords: the administrator's name and made-up long ones.
    for k in 0..5 {
        let name = if k == 0 {
            "admin".to_string()
        } else {
            format!("x{i}-{k}-{}", "\u{202e}<script>".repeat(200))
        };
        let body = json!({"user": name, "password": format!("guess-{i}-{k}-xxxxxxxx")}).to_string();
        if let Ok(mut s) = connect_from(ATTACK_SRC, addr) {
            let req = format!(
                "POST /api/login HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\nContent-Type: application/json\r\nContent-Length: {}\r\n\r\n{body}",
                body.len()
            );
            let _ = s.write_all(req.as_bytes());
            tally(t, "bad_login", status_of(&mut s));
        }
    }
    // A header flood: one header line of up to 4 MiB.
    if let Ok(mut s) = connect_from(ATTACK_SRC, addr) {
        let _ = s.write_all(b"GET / HTTP/1.1\r\nHost: x\r\nX-Flood: ");
        let chunk = vec![b'a'; 64 * 1024];
        for _ in 0..64 {
            if s.write_all(&chunk).is_err() {
                break;
            }
        }
        tally(t, "header_flood", status_of(&mut s));
    }
    // Many headers.
    if let Ok(mut s) = connect_from(ATTACK_SRC, addr) {
        let mut req = String::from("GET / HTTP/1.1\r\nHost: x\r\n");
        for k in 0..500 {
            req += &format!("X-H{k}: y\r\n");
        }
        req += "\r\n";
        let _ = s.write_all(req.as_bytes());
        tally(t, "header_count", status_of(&mut s));
    }
    // A big body: 16 MiB announced, 1 MiB sent.
    if let Ok(mut s) = connect_from(ATTACK_SRC, addr) {
        let _ = s.write_all(
            format!("POST /api/login HTTP/1.1\r\nHost: {addr}\r\nContent-Type: application/json\r\nContent-Length: {}\r\n\r\n", 16 << 20)
                .as_bytes(),
        );
        let _ = s.write_all(&vec![b'{'; 1 << 20]);
        tally(t, "big_body", status_of(&mut s));
    }
    // A long URI.
    if let Ok(mut s) = connect_from(ATTACK_SRC, addr) {
        let req = format!(
            "GET /api/events?x={} HTTP/1.1\r\nHost: x\r\n\r\n",
            "a".repeat(6000)
        );
        let _ = s.write_all(req.as_bytes());
        tally(t, "long_uri", status_of(&mut s));
    }
    // Junk frames on a logged-in socket (an insider's browser gone bad).
    if let Ok(mut s) = connect_from(ATTACK_SRC, addr) {
        let req = format!(
            "GET /ws HTTP/1.1\r\nHost: {addr}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Version: 13\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nCookie: {cookie}\r\n\r\n"
        );
        let _ = s.write_all(req.as_bytes());
        let code = status_of(&mut s);
        tally(t, "ws_open", code);
        if code == 101 {
            // A masked 64 KiB binary frame (over the 4 KiB limit), then garbage.
            let mut f = vec![0x82u8, 0xFF];
            f.extend_from_slice(&(65536u64).to_be_bytes());
            f.extend_from_slice(&[1, 2, 3, 4]);
            f.extend(std::iter::repeat_n(0x55u8, 65536));
            let _ = s.write_all(&f);
            let _ = s.write_all(&[0xFFu8; 4096]);
            // The server closes: reading ends.
            let mut sink = [0u8; 65536];
            let t0 = Instant::now();
            let closed = loop {
                match s.read(&mut sink) {
                    Ok(0) | Err(_) => break true,
                    Ok(_) if t0.elapsed() > Duration::from_secs(10) => break false,
                    Ok(_) => {}
                }
            };
            tally(t, "ws_junk_closed", u16::from(closed));
        }
    }
}

/// Slow heads and a connection flood: connections held open without a whole request.
fn flood_round(addr: SocketAddr, t: &Tally) {
    let mut held = Vec::new();
    for _ in 0..100 {
        match connect_from(ATTACK_SRC, addr) {
            Ok(mut s) => {
                let _ = s.write_all(b"GET / HTTP/1.1\r\nHost: x\r\n");
                held.push(s);
            }
            Err(_) => tally(t, "flood_connect_failed", 0),
        }
    }
    // Beyond the per-address limit the console answers 503 at once; the rest time out (408).
    let mut codes = BTreeMap::new();
    for mut s in held {
        *codes.entry(status_of(&mut s)).or_insert(0u64) += 1;
    }
    for (c, n) in codes {
        if let Ok(mut m) = t.lock() {
            *m.entry(format!("slow_head {c}")).or_insert(0) += n;
        }
    }
}

fn http(
    addr: SocketAddr,
    method: &str,
    path: &str,
    cookie: &str,
    body: &str,
) -> Result<(String, String), String> {
    let mut s = TcpStream::connect(addr).map_err(|e| format!("connecting {addr}: {e}"))?;
    s.set_read_timeout(Some(Duration::from_secs(20))).ok();
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

fn login(addr: SocketAddr, user: &str, pw: &str) -> Result<String, String> {
    let (head, body) = http(
        addr,
        "POST",
        "/api/login",
        "",
        &json!({"user": user, "password": pw}).to_string(),
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

pub fn bench_soak(o: &SoakOptions) -> Result<Value, String> {
    if !(o.minutes.is_finite() && o.minutes > 0.0 && o.minutes <= 24.0 * 60.0) {
        return Err(format!("--minutes {}: must be in (0, 1440]", o.minutes));
    }
    if o.viewers == 0 || o.viewers > 400 {
        return Err("--viewers: must be 1..400".into());
    }
    let dir = std::env::temp_dir().join(format!("ecmo-soak-{}", std::process::id()));
    std::fs::create_dir_all(&dir).map_err(|e| format!("creating {}: {e}", dir.display()))?;
    let db = dir.join("soak.db");
    let _ = std::fs::remove_file(&db);
    let pw = "soak-viewer-passphrase";
    {
        let c = crate::store::open(&db).map_err(|e| e.0)?;
        crate::store::put_user(&c, "soak", engine::model::Role::Viewer, pw).map_err(|e| e.0)?;
    }
    let exe = std::env::current_exe().map_err(|e| format!("finding ecmo: {e}"))?;
    let per_addr = (o.viewers + 16).max(64).to_string();
    let total = (o.viewers * 2 + 256).to_string();
    let mut child = Command::new(exe)
        .args(["serve", "--addr", "127.0.0.1:0", "--scenario", &o.scenario])
        .args([
            "--max-connections",
            &total,
            "--max-connections-per-addr",
            &per_addr,
        ])
        .arg("--db")
        .arg(&db)
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()
        .map_err(|e| format!("starting ecmo serve: {e}"))?;
    let pid = child.id();
    let result = (|| -> Result<Value, String> {
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
        let addr: SocketAddr = url
            .trim_start_matches("http://")
            .parse()
            .map_err(|e| format!("address {url}: {e}"))?;
        let cookie = login(addr, "soak", pw)?;
        let stop = Arc::new(AtomicBool::new(false));
        let hist = Arc::new(Histogram::new());
        let counts: Vec<Arc<AtomicU64>> = (0..o.viewers)
            .map(|_| Arc::new(AtomicU64::new(0)))
            .collect();
        let alive = Arc::new(AtomicU64::new(0));
        let mut threads = Vec::new();
        for c in &counts {
            use tungstenite::client::IntoClientRequest;
            let mut req = format!("ws://{addr}/ws")
                .into_client_request()
                .map_err(|e| e.to_string())?;
            req.headers_mut()
                .insert("Cookie", cookie.parse().map_err(|_| "cookie")?);
            let stream = TcpStream::connect(addr).map_err(|e| e.to_string())?;
            stream.set_read_timeout(Some(Duration::from_secs(2))).ok();
            let (mut ws, _) =
                tungstenite::client::client(req, stream).map_err(|e| format!("WebSocket: {e}"))?;
            let (c, stop, hist, alive) = (c.clone(), stop.clone(), hist.clone(), alive.clone());
            alive.fetch_add(1, Ordering::Relaxed);
            threads.push(
                std::thread::Builder::new()
                    .stack_size(256 * 1024)
                    .spawn(move || {
                        while !stop.load(Ordering::Relaxed) {
                            match ws.read() {
                                Ok(tungstenite::Message::Text(t)) => {
                                    if let Ok(v) = serde_json::from_str::<Value>(t.as_str())
                                        && v["k"] == "w"
                                        && let Some(d) = v["d"].as_array()
                                    {
                                        c.fetch_add(d.len() as u64, Ordering::Relaxed);
                                        if let Some(wall) = d.last().and_then(|s| s[1].as_f64()) {
                                            hist.add(engine::model::wall_ms() as f64 - wall);
                                        }
                                    }
                                }
                                Ok(_) => {}
                                Err(tungstenite::Error::Io(e))
                                    if e.kind() == std::io::ErrorKind::WouldBlock
                                        || e.kind() == std::io::ErrorKind::TimedOut => {}
                                Err(_) => break,
                            }
                        }
                        alive.fetch_sub(1, Ordering::Relaxed);
                    })
                    .map_err(|e| format!("starting a viewer: {e}"))?,
            );
        }
        let tallies: Tally = Arc::default();
        if o.attacker {
            // The junk-frame socket needs a session of its own (an insider's).
            let attacker_cookie = login(addr, "soak", pw)?;
            let (stop1, t1, c1) = (stop.clone(), tallies.clone(), attacker_cookie);
            threads.push(std::thread::spawn(move || {
                let mut i = 0u64;
                while !stop1.load(Ordering::Relaxed) {
                    attack_round(addr, i, &c1, &t1);
                    i += 1;
                }
            }));
            let (stop2, t2) = (stop.clone(), tallies.clone());
            threads.push(std::thread::spawn(move || {
                while !stop2.load(Ordering::Relaxed) {
                    flood_round(addr, &t2);
                }
            }));
        }
        let health = |c: &str| -> Result<Value, String> {
            let (_, b) = http(addr, "GET", "/api/health", c, "")?;
            serde_json::from_str(&b).map_err(|e| format!("health: {e}: {b}"))
        };
        std::thread::sleep(Duration::from_secs(5));
        let h0 = health(&cookie)?;
        let n0: Vec<u64> = counts.iter().map(|c| c.load(Ordering::Relaxed)).collect();
        let rss0 = rss_kib(pid);
        let mut rss_max = rss0;
        let t0 = Instant::now();
        let window = Duration::from_secs_f64(o.minutes * 60.0);
        while t0.elapsed() < window {
            std::thread::sleep(Duration::from_secs(2).min(window.saturating_sub(t0.elapsed())));
            rss_max = rss_max.max(rss_kib(pid));
        }
        let el = t0.elapsed().as_secs_f64();
        let h1 = health(&cookie)?;
        let n1: Vec<u64> = counts.iter().map(|c| c.load(Ordering::Relaxed)).collect();
        let viewers_alive = alive.load(Ordering::Relaxed);
        let rss1 = rss_kib(pid);
        stop.store(true, Ordering::Relaxed);
        let g = |h: &Value, k: &str| h["loop"][k].as_f64().unwrap_or(0.0);
        let min_rate = n0
            .iter()
            .zip(&n1)
            .map(|(a, b)| (b - a) as f64 / el)
            .fold(f64::INFINITY, f64::min);
        let res = json!({
            "minutes": el / 60.0,
            "viewers": o.viewers,
            "viewers_connected_at_end": viewers_alive,
            "attacker": o.attacker,
            "loop_ticks_per_s": (g(&h1, "ticks") - g(&h0, "ticks")) / el,
            "missed_steps": g(&h1, "missed") - g(&h0, "missed"),
            "missed_steps_total": g(&h1, "missed"),
            "late_ticks": (g(&h1, "late") - g(&h0, "late")) - (g(&h1, "missed") - g(&h0, "missed")),
            "worst_tick_work_us": g(&h1, "worst_work_us"),
            "loop_priority_raised": h1["loop"]["raised_priority"],
            "latency_median_ms": hist.quantile(0.5),
            "latency_p99_ms": hist.quantile(0.99),
            "min_viewer_samples_per_s": (min_rate * 10.0).round() / 10.0,
            "viewer_messages_dropped": h1["dropped_clients"],
            "rss_mib_start": rss0 as f64 / 1024.0,
            "rss_mib_peak": rss_max as f64 / 1024.0,
            "rss_mib_end": rss1 as f64 / 1024.0,
            "attacker_answers": tallies.lock().map(|m| json!(*m)).unwrap_or(Value::Null),
        });
        for t in threads {
            let _ = t.join();
        }
        Ok(res)
    })();
    let _ = child.kill();
    let _ = child.wait();
    let _ = std::fs::remove_dir_all(&dir);
    let res = result?;
    eprintln!(
        "soak {:.1} min, {} viewers{}: {} missed control steps (target 0: {}); latency median {} ms, p99 {} ms; \
         RSS {:.0} MiB at start, {:.0} MiB peak, {:.0} MiB at end",
        res["minutes"].as_f64().unwrap_or(0.0),
        o.viewers,
        if o.attacker { " and an attacker" } else { "" },
        res["missed_steps"],
        if res["missed_steps"].as_f64() == Some(0.0) {
            "met"
        } else {
            "NOT met"
        },
        res["latency_median_ms"],
        res["latency_p99_ms"],
        res["rss_mib_start"].as_f64().unwrap_or(0.0),
        res["rss_mib_peak"].as_f64().unwrap_or(0.0),
        res["rss_mib_end"].as_f64().unwrap_or(0.0),
    );
    if let Some(p) = &o.json {
        std::fs::write(p, serde_json::to_string_pretty(&res).unwrap_or_default())
            .map_err(|e| format!("writing {}: {e}", p.display()))?;
    }
    Ok(res)
}
