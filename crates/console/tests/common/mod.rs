//! Test helpers: a test double of the engine (first-order dynamics, enough for the console's
//! plumbing: commands, pending, alarms, audio pause), a minimal HTTP client and a WebSocket
//! reader. The product never uses the double; `ecmo serve` runs the twin under the control core.
#![allow(dead_code)]
use engine::Engine;
use engine::model::*;
use std::io::{Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::time::Duration;

pub struct DoubleEngine {
    t: f64,
    mode: String,
    rpm: f64,
    flow_target: f64,
    flow: f64,
    post_limit: f64,
    kink: f64,
    paused_until: f64,
    acked: bool,
}

impl Default for DoubleEngine {
    fn default() -> Self {
        DoubleEngine {
            t: 0.0,
            mode: "rpm".into(),
            rpm: 3000.0,
            flow_target: 4.0,
            flow: 0.0,
            post_limit: 300.0,
            kink: 0.0,
            paused_until: -1.0,
            acked: false,
        }
    }
}

impl DoubleEngine {
    fn p_post(&self) -> f64 {
        120.0 + 350.0 * self.kink
    }
    fn goal_flow(&self) -> f64 {
        let base = match self.mode.as_str() {
            "flow" => self.flow_target,
            "rpm" => (self.rpm - 1000.0).max(0.0) / 600.0,
            _ => 0.0,
        };
        base * (1.0 - 0.8 * self.kink)
    }
}

impl Engine for DoubleEngine {
    fn advance(&mut self, dt_s: f64) {
        self.t += dt_s;
        let g = self.goal_flow();
        self.flow += (g - self.flow) * (dt_s / 1.5).min(1.0);
    }
    fn time_s(&self) -> f64 {
        self.t
    }
    fn wave(&self) -> Wave {
        let ph = (self.t * 1.3).fract();
        Wave {
            t: self.t,
            p_art: 70.0 + 40.0 * (-(ph - 0.15).powi(2) / 0.01).exp(),
            p_drain: -40.0 - 5.0 * self.flow,
            p_pre: self.p_post() + 30.0,
            p_post: self.p_post(),
            flow: self.flow,
        }
    }
    fn numerics(&self) -> Numerics {
        Numerics {
            t: self.t,
            speed_rpm: Some(self.rpm),
            flow_lpm: Some(self.flow),
            p_post_mmhg: Some(self.p_post()),
            delta_p_mmhg: Some(30.0),
            svo2_pct: Some(70.0),
            ..Numerics::default()
        }
    }
    fn alarms(&self) -> AlarmStatus {
        let mut alarms = Vec::new();
        if self.p_post() > self.post_limit {
            alarms.push(Alarm {
                id: "post_high".into(),
                req: "TEST-1".into(),
                priority: Priority::High,
                technical: false,
                text: "Post-oxygenator pressure high".into(),
                action: "Check the return line for a kink".into(),
                active: true,
                latched: false,
                acknowledged: self.acked,
            });
        }
        let paused = self.paused_until > self.t;
        AlarmStatus {
            alarms,
            audio_paused_s: paused.then_some(self.paused_until - self.t),
            pausable: true,
        }
    }
    fn settings(&self) -> Settings {
        let p = |name: &str, group: &str, value, min, max, step| Param {
            name: name.into(),
            label: name.into(),
            unit: "u".into(),
            group: group.into(),
            value,
            min,
            max,
            step,
        };
        Settings {
            mode: self.mode.clone(),
            modes: vec!["standby".into(), "rpm".into(), "flow".into()],
            params: vec![
                p("rpm_target", "control", self.rpm, 0.0, 5000.0, 50.0),
                p("flow_target", "control", self.flow_target, 0.0, 8.0, 0.1),
                p("p_post_high", "alarm", self.post_limit, 100.0, 500.0, 10.0),
            ],
            switches: vec![],
            actions: vec![],
        }
    }
    fn command(&mut self, cmd: &Command) -> Result<(), String> {
        match cmd {
            Command::Mode { mode } => self.mode = mode.clone(),
            Command::Param { name, value } => match name.as_str() {
                "rpm_target" => self.rpm = *value,
                "flow_target" => self.flow_target = *value,
                "p_post_high" => self.post_limit = *value,
                _ => return Err(format!("no {name}")),
            },
            Command::PauseAudio => self.paused_until = self.t + 120.0,
            Command::Acknowledge { .. } => self.acked = true,
            _ => return Err("unsupported".into()),
        }
        Ok(())
    }
    fn injections(&self) -> Vec<InjectionInfo> {
        vec![InjectionInfo {
            name: "return_kink".into(),
            label: "Return line kink".into(),
            group: "Events".into(),
            unit: "".into(),
            min: 0.0,
            max: 1.0,
            default: 0.8,
        }]
    }
    fn inject(&mut self, name: &str, value: f64) -> Result<(), String> {
        match name {
            "return_kink" => {
                self.kink = value;
                Ok(())
            }
            _ => Err(format!("no {name}")),
        }
    }
    fn describe(&self) -> serde_json::Value {
        serde_json::json!({"engine": "test double"})
    }
}

/// The tests' options: a free loopback port, `ecmo.db` in `dir`, quiet.
pub fn opts(dir: &std::path::Path) -> console::ServeOptions {
    console::ServeOptions {
        addr: "127.0.0.1:0".into(),
        db: dir.join("ecmo.db"),
        quiet: true,
        ..console::ServeOptions::default()
    }
}

/// A console serving the test double with options `o`.
pub fn start_double(o: &console::ServeOptions) -> console::Handle {
    console::start(o, Box::new(DoubleEngine::default())).unwrap()
}

/// A console on the test double with the tests' options in a fresh directory `tag`.
pub fn console_in(tag: &str) -> (console::ServeOptions, console::Handle) {
    let o = opts(&tempdir(tag));
    let h = start_double(&o);
    (o, h)
}

/// Call `f` every 20 ms until it is true (true) or `limit` has passed (false).
pub fn wait_for(limit: Duration, mut f: impl FnMut() -> bool) -> bool {
    let t0 = std::time::Instant::now();
    while t0.elapsed() < limit {
        if f() {
            return true;
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    false
}

/// A fresh temporary directory for a database.
pub fn tempdir(tag: &str) -> std::path::PathBuf {
    let d = std::env::temp_dir().join(format!(
        "ecmo-console-{tag}-{}-{}",
        std::process::id(),
        engine::model::wall_ms()
    ));
    std::fs::create_dir_all(&d).unwrap();
    d
}

/// Minimal HTTP/1.1 client: one request per connection.
pub struct Resp {
    pub status: u16,
    pub headers: Vec<(String, String)>,
    pub body: String,
}

impl Resp {
    pub fn json(&self) -> serde_json::Value {
        serde_json::from_str(&self.body).unwrap_or(serde_json::Value::Null)
    }
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }
}

pub fn http(
    addr: SocketAddr,
    method: &str,
    path: &str,
    cookie: Option<&str>,
    body: Option<&str>,
) -> Resp {
    let cookie: Vec<_> = cookie.map(|c| ("Cookie", c)).into_iter().collect();
    http_h(addr, method, path, body, &cookie)
}

/// POST the JSON `body` to `path` with the session `cookie`.
pub fn post(addr: SocketAddr, path: &str, cookie: &str, body: &str) -> Resp {
    http(addr, "POST", path, Some(cookie), Some(body))
}

/// POST the JSON `body` to `/api/command` with the session `cookie`.
pub fn command(addr: SocketAddr, cookie: &str, body: &str) -> Resp {
    post(addr, "/api/command", cookie, body)
}

/// POST the JSON `body` to `/api/inject` with the session `cookie`.
pub fn inject_json(addr: SocketAddr, cookie: &str, body: &str) -> Resp {
    post(addr, "/api/inject", cookie, body)
}

/// A request with these `headers` (the session's is `("Cookie", cookie)`).
pub fn http_h(
    addr: SocketAddr,
    method: &str,
    path: &str,
    body: Option<&str>,
    headers: &[(&str, &str)],
) -> Resp {
    let mut s = TcpStream::connect(addr).unwrap();
    s.set_read_timeout(Some(Duration::from_secs(20))).unwrap();
    let mut req = format!("{method} {path} HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\n");
    for (k, v) in headers {
        req += &format!("{k}: {v}\r\n");
    }
    let b = body.unwrap_or("");
    if body.is_some() {
        req += "Content-Type: application/json\r\n";
    }
    req += &format!("Content-Length: {}\r\n\r\n{b}", b.len());
    s.write_all(req.as_bytes()).unwrap();
    let mut raw = Vec::new();
    s.read_to_end(&mut raw).unwrap();
    let text = String::from_utf8_lossy(&raw).to_string();
    let (head, rest) = text.split_once("\r\n\r\n").unwrap_or((&text, ""));
    let mut lines = head.lines();
    let status: u16 = lines
        .next()
        .and_then(|l| l.split_whitespace().nth(1))
        .and_then(|c| c.parse().ok())
        .unwrap_or(0);
    let headers: Vec<(String, String)> = lines
        .filter_map(|l| l.split_once(':'))
        .map(|(k, v)| (k.trim().to_string(), v.trim().to_string()))
        .collect();
    let chunked = headers
        .iter()
        .any(|(k, v)| k.eq_ignore_ascii_case("transfer-encoding") && v.contains("chunked"));
    let body = if chunked {
        dechunk(rest)
    } else {
        rest.to_string()
    };
    Resp {
        status,
        headers,
        body,
    }
}

fn dechunk(s: &str) -> String {
    let mut out = String::new();
    let mut rest = s;
    while let Some((len, after)) = rest.split_once("\r\n") {
        let n = usize::from_str_radix(len.trim(), 16).unwrap_or(0);
        if n == 0 || after.len() < n {
            break;
        }
        out.push_str(&after[..n]);
        rest = &after[n..];
        rest = rest.strip_prefix("\r\n").unwrap_or(rest);
    }
    out
}

/// Log in and return the cookie (`ecmo_session=...`).
pub fn login(addr: SocketAddr, user: &str, pw: &str) -> String {
    let body = serde_json::json!({"user": user, "password": pw}).to_string();
    let r = http(addr, "POST", "/api/login", None, Some(&body));
    assert_eq!(r.status, 200, "login {user}: {}", r.body);
    r.header("Set-Cookie")
        .unwrap()
        .split(';')
        .next()
        .unwrap()
        .to_string()
}

/// What the tests set the first administrator's password to.
pub const ADMIN_PW: &str = "heparin-circuit-admin";

/// Log in as the first administrator with the one-time password and change it to
/// [`ADMIN_PW`] (nothing else is allowed before); returns the session cookie.
pub fn admin_login(h: &console::Handle) -> String {
    let (u, p) = h
        .created_admin
        .clone()
        .expect("first start creates the administrator");
    let c = login(h.addr, &u, &p);
    let body = serde_json::json!({"old": p, "new": ADMIN_PW}).to_string();
    let r = http(h.addr, "POST", "/api/password", Some(&c), Some(&body));
    assert_eq!(r.status, 200, "changing the one-time password: {}", r.body);
    c
}

/// Open the console's WebSocket with a session cookie.
pub fn websocket(
    addr: SocketAddr,
    cookie: &str,
) -> tungstenite::WebSocket<tungstenite::stream::MaybeTlsStream<TcpStream>> {
    use tungstenite::client::IntoClientRequest;
    let mut req = format!("ws://{addr}/ws").into_client_request().unwrap();
    req.headers_mut().insert("Cookie", cookie.parse().unwrap());
    let stream = TcpStream::connect(addr).unwrap();
    stream
        .set_read_timeout(Some(Duration::from_secs(10)))
        .unwrap();
    let (ws, _) =
        tungstenite::client::client(req, tungstenite::stream::MaybeTlsStream::Plain(stream))
            .unwrap();
    ws
}
