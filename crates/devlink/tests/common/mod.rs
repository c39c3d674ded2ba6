//! Test helpers: a unit whose sensors follow its setpoints, with a switchable air detector.
#![allow(dead_code)]

pub mod v1;

use devlink::{ConsoleEvent, ConsoleLink, UnitConfig, UnitEndpoint, UnitSample};
use protocol::msg::state;
use protocol::{ClampState, SensorValues, Setpoints};
use std::net::{SocketAddr, TcpListener};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

/// A unit with ideal actuators: measured speed = commanded speed, flow 1 L/min per 1000 rpm
/// with the clamp open. `air` switches the bubble detector.
pub fn sim_unit(air: Arc<AtomicBool>) -> UnitEndpoint {
    sim_unit_with(UnitConfig::default(), air)
}

/// [`sim_unit`] with a configuration of its own (a key, connection limits).
pub fn sim_unit_with(config: UnitConfig, air: Arc<AtomicBool>) -> UnitEndpoint {
    UnitEndpoint::start(config, move |sp: &Setpoints, _now: u64| {
        let open = sp.clamp == ClampState::Open;
        UnitSample {
            values: SensorValues {
                speed_rpm: Some(sp.pump_rpm as f32),
                flow_lpm: Some(if open {
                    sp.pump_rpm as f32 / 1000.0
                } else {
                    0.0
                }),
                p_drainage_mmhg: Some(-40.0),
                sweep_lpm: Some(sp.sweep_ml_min as f32 / 1000.0),
                fdo2: Some(sp.fdo2_permille as f32 / 1000.0),
                battery: Some(1.0),
                battery_min: Some(120.0),
                bubble_ul: Some(if air.load(Ordering::Relaxed) {
                    50.0
                } else {
                    0.0
                }),
                ..Default::default()
            },
            air: air.load(Ordering::Relaxed),
            state: state::MAINS | if open { 0 } else { state::CLAMP_CLOSED },
        }
    })
    .expect("start unit")
}

/// A simulated unit listening on a free loopback port.
pub fn tcp_unit(air: Arc<AtomicBool>) -> (UnitEndpoint, SocketAddr) {
    tcp_unit_with(UnitConfig::default(), air)
}

/// [`tcp_unit`] with a configuration of its own.
pub fn tcp_unit_with(config: UnitConfig, air: Arc<AtomicBool>) -> (UnitEndpoint, SocketAddr) {
    let unit = sim_unit_with(config, air);
    let listener = TcpListener::bind("127.0.0.1:0").expect("bind");
    let addr = listener.local_addr().expect("addr");
    unit.listen(listener).expect("listen");
    (unit, addr)
}

/// Polls `cond` until it holds or `limit` passes.
pub fn wait_until(limit: Duration, mut cond: impl FnMut() -> bool) -> bool {
    let t0 = Instant::now();
    while t0.elapsed() < limit {
        if cond() {
            return true;
        }
        std::thread::sleep(Duration::from_millis(5));
    }
    cond()
}

/// Drains events for `d`, returning them.
/// The sensor frames among `events`, in order.
pub fn sensor_frames(events: &[ConsoleEvent]) -> Vec<protocol::SensorFrame> {
    events
        .iter()
        .filter_map(|e| match e {
            ConsoleEvent::Sensor(s) => Some(*s),
            _ => None,
        })
        .collect()
}

/// Send `c` and check that the unit applied it.
#[track_caller]
pub fn applied(link: &ConsoleLink, c: protocol::Command) {
    assert_eq!(link.command(c).unwrap(), protocol::AckResult::Applied);
}

pub fn collect_events(link: &ConsoleLink, d: Duration) -> Vec<ConsoleEvent> {
    let t0 = Instant::now();
    let mut out = Vec::new();
    while t0.elapsed() < d {
        if let Ok(e) = link.events().recv_timeout(Duration::from_millis(10)) {
            out.push(e);
        }
    }
    out
}

/// A console written by hand on a raw byte stream, for tests that send what a real console
/// never would (replays, damage, strangers' frames).
pub struct RawConsole<S: std::io::Read + std::io::Write> {
    pub s: S,
    pub dec: protocol::Decoder,
    pub keys: Option<protocol::SessionKeys>,
    /// The last handshake's transcript.
    pub transcript: Option<protocol::Transcript>,
    /// Number of the next tagged frame.
    pub next: u64,
}

impl<S: std::io::Read + std::io::Write> RawConsole<S> {
    pub fn new(s: S) -> Self {
        RawConsole {
            s,
            dec: protocol::Decoder::new(),
            keys: None,
            transcript: None,
            next: 1,
        }
    }

    /// The bytes of `msg` as frame number `n` under this session's key (if any).
    pub fn frame_at(&self, n: u64, msg: &protocol::Message) -> Vec<u8> {
        let mut b = [0u8; protocol::MAX_WIRE];
        let key = self.keys.as_ref().map(|k| &k.console_to_unit);
        let len = protocol::encode(n, msg, key, &mut b).expect("encode");
        b[..len].to_vec()
    }

    /// The bytes of `msg` as the next frame.
    pub fn frame(&mut self, msg: &protocol::Message) -> Vec<u8> {
        let f = self.frame_at(self.next, msg);
        self.next += 1;
        f
    }

    pub fn send(&mut self, msg: &protocol::Message) {
        let f = self.frame(msg);
        self.s.write_all(&f).expect("write");
    }

    /// Close `raw` (header and body, tag included) with its CRC and write it as one delimited
    /// frame.
    pub fn write_with_crc(&mut self, mut raw: Vec<u8>) {
        raw.extend_from_slice(&protocol::crc::crc32c(&raw).to_le_bytes());
        let mut enc = [0u8; 64];
        let n = protocol::cobs::encode(&raw, &mut enc).unwrap();
        self.write(&[0]);
        self.write(&enc[..n]);
        self.write(&[0]);
    }
    pub fn write(&mut self, bytes: &[u8]) {
        self.s.write_all(bytes).expect("write");
    }

    /// Reads frames until `want` arrived or `limit` passed (the stream must time out reads).
    pub fn read(&mut self, want: usize, limit: Duration) -> Vec<protocol::Frame> {
        let mut out = Vec::new();
        let t0 = Instant::now();
        let mut buf = [0u8; 512];
        while out.len() < want && t0.elapsed() < limit {
            if let Ok(n) = self.s.read(&mut buf) {
                if n == 0 {
                    break;
                }
                for &b in &buf[..n] {
                    if let Some(Ok(f)) = self.dec.push(b) {
                        out.push(f);
                    }
                }
            }
        }
        out
    }

    /// The 2.0 handshake with `key`: Hello, the unit's HelloAck (its proof checked), Auth,
    /// SessionOpen. `Err` says where it stopped.
    pub fn handshake(
        &mut self,
        key: &protocol::PairingKey,
        timeout_ms: u16,
    ) -> Result<protocol::SessionOpen, String> {
        use protocol::*;
        let hello = Hello {
            major: PROTOCOL_MAJOR,
            minor: PROTOCOL_MINOR,
            nonce: 0x5EED,
            heartbeat_ms: 100,
            timeout_ms,
            console_nonce: [0x3C; protocol::auth::NONCE_LEN],
        };
        let f = self.frame_at(0, &Message::Hello(hello));
        self.write(&f);
        self.next = 1;
        let ack = self
            .read(1, Duration::from_secs(1))
            .into_iter()
            .find_map(|f| match f.msg {
                Message::HelloAck(a) => Some(a),
                _ => None,
            })
            .ok_or("no HelloAck")?;
        if ack.status != HelloStatus::Accepted {
            return Err(format!("HelloAck {:?}", ack.status));
        }
        let t = Transcript::of(&hello, ack.unit_nonce);
        let unit_proved = t.check_unit_proof(key, &ack.proof);
        let keys = t.session_keys(key);
        self.dec.open_session(keys.unit_to_console.clone());
        self.keys = Some(keys);
        self.transcript = Some(t);
        let auth = Message::Auth(Auth {
            proof: t.console_proof(key),
        });
        self.send(&auth);
        if !unit_proved {
            return Err("the unit's proof does not check with this key".into());
        }
        self.read(1, Duration::from_secs(1))
            .into_iter()
            .find_map(|f| match f.msg {
                Message::SessionOpen(o) => Some(o),
                _ => None,
            })
            .ok_or_else(|| "no SessionOpen".to_string())
    }
}

/// A pairing key for tests (never a real unit's).
pub fn test_key(fill: u8) -> protocol::PairingKey {
    protocol::PairingKey::from_bytes([fill; 32])
}
