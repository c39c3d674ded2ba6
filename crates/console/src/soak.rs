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
use crate::bench::{
    add_loop_figures, counted, counters, fresh_db, http, join_all, login, min_rate, serve_child,
    served_addr, stop_child, viewer_socket,
};
use serde_json::{Value, json};
use std::collections::BTreeMap;
use std::io::{Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// How long the soak's HTTP requests wait for an answer.
const TIMEOUT: Duration = Duration::from_secs(20);

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

pub fn bench_soak(o: &SoakOptions) -> Result<Value, String> {
    if !(o.minutes.is_finite() && o.minutes > 0.0 && o.minutes <= 24.0 * 60.0) {
        return Err(format!("--minutes {}: must be in (0, 1440]", o.minutes));
    }
    if o.viewers == 0 || o.viewers > 400 {
        return Err("--viewers: must be 1..400".into());
    }
    let pw = "soak-viewer-passphrase";
    let (dir, db) = fresh_db("soak", "soak", pw)?;
    let exe = std::env::current_exe().map_err(|e| format!("finding ecmo: {e}"))?;
    let per_addr = (o.viewers + 16).max(64).to_string();
    let total = (o.viewers * 2 + 256).to_string();
    let limits = [
        "--max-connections",
        &total,
        "--max-connections-per-addr",
        &per_addr,
    ];
    let mut child = serve_child(exe, &o.scenario, &limits, &db)?;
    let pid = child.id();
    let result = (|| -> Result<Value, String> {
        let addr = served_addr(&mut child)?;
        let cookie = login(addr, "soak", pw, TIMEOUT)?;
        let stop = Arc::new(AtomicBool::new(false));
        let hist = Arc::new(Histogram::new());
        let counts = counters(o.viewers);
        let alive = Arc::new(AtomicU64::new(0));
        let mut threads = Vec::new();
        for c in &counts {
            let mut ws = viewer_socket(addr, &cookie)?;
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
            let attacker_cookie = login(addr, "soak", pw, TIMEOUT)?;
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
            let (_, b) = http(addr, "GET", "/api/health", c, "", TIMEOUT)?;
            serde_json::from_str(&b).map_err(|e| format!("health: {e}: {b}"))
        };
        std::thread::sleep(Duration::from_secs(5));
        let h0 = health(&cookie)?;
        let n0 = counted(&counts);
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
        let n1 = counted(&counts);
        let viewers_alive = alive.load(Ordering::Relaxed);
        let rss1 = rss_kib(pid);
        stop.store(true, Ordering::Relaxed);
        let min_rate = min_rate(&n0, &n1, el);
        let mut res = json!({
            "minutes": el / 60.0,
            "viewers": o.viewers,
            "viewers_connected_at_end": viewers_alive,
            "attacker": o.attacker,
            "latency_median_ms": hist.quantile(0.5),
            "latency_p99_ms": hist.quantile(0.99),
            "min_viewer_samples_per_s": (min_rate * 10.0).round() / 10.0,
            "viewer_messages_dropped": h1["dropped_clients"],
            "rss_mib_start": rss0 as f64 / 1024.0,
            "rss_mib_peak": rss_max as f64 / 1024.0,
            "rss_mib_end": rss1 as f64 / 1024.0,
            "attacker_answers": tallies.lock().map(|m| json!(*m)).unwrap_or(Value::Null),
        });
        add_loop_figures(&mut res, &h0, &h1, el);
        join_all(threads);
        Ok(res)
    })();
    stop_child(child, &dir);
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
