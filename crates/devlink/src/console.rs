//! The console's end of the link: opens an authenticated session (Hello, HelloAck with the
//! unit's challenge and proof, Auth with the console's proof, SessionOpen), sends heartbeats,
//! sends commands and waits for their acknowledgement with retries, and hands sensor frames,
//! faults and link-state changes to the console as [`ConsoleEvent`]s.
//!
//! The console checks the unit's proof before it answers: a unit that does not hold the
//! pairing key (an impostor, or a unit paired with another console) is refused, and the
//! console never takes its readings for the patient's (docs/protocol.md §7).

use crate::key::random_bytes;
use crate::transport::Transport;
use crate::wire::{FrameSender, ms_since};
use protocol::auth::NONCE_LEN;
use protocol::{
    AckResult, Auth, Command, DecodeStats, Decoder, Fault, Heartbeat, Hello, HelloAck, HelloStatus,
    Message, PROTOCOL_MAJOR, PROTOCOL_MINOR, PairingKey, ProtocolError, ProtocolErrorReason,
    SensorFrame, SeqStats, SessionKeys, SessionOpen, Transcript,
};
use std::collections::HashMap;
use std::io::{self, Read};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::mpsc::{self, Receiver, RecvTimeoutError, SyncSender, TrySendError};
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

/// Console-side settings. Defaults follow docs/protocol.md §6.
#[derive(Debug, Clone)]
pub struct ConsoleConfig {
    /// Heartbeat period asked of both sides.
    pub heartbeat: Duration,
    /// Silence after which each side declares the other lost.
    pub timeout: Duration,
    /// How long to wait for an Ack before resending a command.
    pub ack_timeout: Duration,
    /// Sends of one command before giving up (first send included).
    pub attempts: u32,
    /// How long to wait for a HelloAck before resending the Hello.
    pub hello_timeout: Duration,
    /// Hello sends before giving up.
    pub hello_attempts: u32,
    /// Capacity of the event queue; events beyond it are dropped and counted.
    pub event_capacity: usize,
    /// The unit's pairing key; `None`: the well-known unpaired key ([`PairingKey::UNPAIRED`]),
    /// which a unit accepts only when it has no key either (loopback and bench use).
    pub key: Option<PairingKey>,
}

impl Default for ConsoleConfig {
    fn default() -> Self {
        ConsoleConfig {
            heartbeat: Duration::from_millis(100),
            timeout: Duration::from_millis(500),
            ack_timeout: Duration::from_millis(100),
            attempts: 3,
            hello_timeout: Duration::from_millis(250),
            hello_attempts: 4,
            event_capacity: 4096,
            key: None,
        }
    }
}

/// Why the link failed.
#[derive(Debug)]
pub enum LinkError {
    Io {
        peer: String,
        err: io::Error,
    },
    /// No valid HelloAck after all Hello attempts.
    HandshakeTimeout {
        peer: String,
        attempts: u32,
    },
    /// The handshake failed to authenticate: the unit's proof did not check out (it holds
    /// another pairing key, or none), or it never confirmed the session.
    Unauthenticated {
        peer: String,
        reason: &'static str,
    },
    /// The unit speaks another major version; no session, no commands.
    VersionMismatch {
        peer: String,
        unit_major: u8,
        unit_minor: u8,
    },
    /// No Ack after all attempts. The command may or may not be in force (commands are
    /// absolute setpoints: resending it later is safe).
    NoAck {
        peer: String,
        command: Command,
        attempts: u32,
    },
    /// The unit refused the frame as malformed.
    Protocol {
        peer: String,
        reason: ProtocolErrorReason,
    },
    /// The link was closed.
    Closed {
        peer: String,
    },
}

impl std::fmt::Display for LinkError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            LinkError::Io { peer, err } => write!(f, "{peer}: {err}"),
            LinkError::HandshakeTimeout { peer, attempts } => {
                write!(f, "{peer}: no HelloAck after {attempts} Hello frames")
            }
            LinkError::Unauthenticated { peer, reason } => write!(f, "{peer}: {reason}"),
            LinkError::VersionMismatch {
                peer,
                unit_major,
                unit_minor,
            } => write!(
                f,
                "{peer}: unit speaks protocol {unit_major}.{unit_minor}, console speaks {PROTOCOL_MAJOR}.{PROTOCOL_MINOR}"
            ),
            LinkError::NoAck {
                peer,
                command,
                attempts,
            } => {
                write!(
                    f,
                    "{peer}: no acknowledgement of {command:?} after {attempts} sends"
                )
            }
            LinkError::Protocol { peer, reason } => {
                write!(f, "{peer}: unit refused the frame: {reason:?}")
            }
            LinkError::Closed { peer } => write!(f, "{peer}: link closed"),
        }
    }
}

impl std::error::Error for LinkError {}

/// What the unit told the console, in arrival order.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum ConsoleEvent {
    Sensor(SensorFrame),
    Fault(Fault),
    /// The unit's heartbeat state flags (docs/protocol.md §5.3).
    UnitState(u16),
    /// Nothing valid from the unit for longer than the timeout.
    UnitLost,
    /// Frames from the unit again after [`ConsoleEvent::UnitLost`].
    UnitBack,
    /// The unit refused one of our frames.
    Refused(ProtocolError),
    /// The transport ended (peer closed, or a read error).
    Disconnected,
}

/// Counters of a console link.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct ConsoleStats {
    pub decode: DecodeStats,
    pub seq: SeqStats,
    pub commands: u64,
    pub resends: u64,
    pub no_ack: u64,
    pub events_dropped: u64,
    /// Frames intact but not for this session (stale HelloAck, frames in the wrong direction).
    pub ignored: u64,
}

/// What the reader thread tells `connect` during the handshake.
enum Handshake {
    /// A HelloAck for our Hello that opens no session (another major version).
    Mismatch(HelloAck),
    /// The unit proved the key: our proof and the session's keys.
    Challenge {
        keys: SessionKeys,
        auth: Auth,
        version: (u8, u8),
    },
    /// The HelloAck's proof did not check out.
    BadProof,
    /// The unit opened the session.
    Open(SessionOpen),
}

struct Shared {
    peer: String,
    start: Instant,
    stop: AtomicBool,
    sender: FrameSender,
    /// Waiters for an Ack, by the sequence number of the command frame.
    pending: Mutex<HashMap<u16, mpsc::Sender<Reply>>>,
    last_rx_ms: AtomicU64,
    stats: Mutex<ConsoleStats>,
    events: SyncSender<ConsoleEvent>,
    unit_lost: AtomicBool,
}

enum Reply {
    Ack(AckResult),
    Refused(ProtocolErrorReason),
}

impl Shared {
    /// Hands `reply` to the command waiting on sequence number `seq`, if one is.
    fn reply(&self, seq: u16, reply: Reply) {
        if let Some(tx) = self.pending.lock().ok().and_then(|mut p| p.remove(&seq)) {
            let _ = tx.send(reply);
        }
    }

    fn bump(&self, f: impl FnOnce(&mut ConsoleStats)) {
        if let Ok(mut s) = self.stats.lock() {
            f(&mut s);
        }
    }

    fn event(&self, e: ConsoleEvent) {
        match self.events.try_send(e) {
            Ok(()) => {}
            Err(TrySendError::Full(_)) | Err(TrySendError::Disconnected(_)) => {
                if let Ok(mut s) = self.stats.lock() {
                    s.events_dropped += 1;
                }
            }
        }
    }
}

/// An open session with a unit.
pub struct ConsoleLink {
    shared: Arc<Shared>,
    config: ConsoleConfig,
    unit: SessionOpen,
    version: (u8, u8),
    events: Receiver<ConsoleEvent>,
    threads: Vec<JoinHandle<()>>,
}

impl ConsoleLink {
    /// Opens a session over `transport`: Hello, wait for the HelloAck (resending the Hello),
    /// check the unit's proof, answer with Auth, wait for SessionOpen, then start the
    /// heartbeat. The unit's current setpoints are in [`ConsoleLink::unit`], so a console that
    /// restarts can take over what the pump is doing without changing it.
    pub fn connect(transport: Transport, config: ConsoleConfig) -> Result<ConsoleLink, LinkError> {
        let Transport {
            mut reader,
            writer,
            name: peer,
        } = transport;
        let io_err = |err| LinkError::Io {
            peer: peer.clone(),
            err,
        };
        let (etx, erx) = mpsc::sync_channel(config.event_capacity.max(1));
        let shared = Arc::new(Shared {
            peer: peer.clone(),
            start: Instant::now(),
            stop: AtomicBool::new(false),
            sender: FrameSender::new(writer),
            pending: Mutex::new(HashMap::new()),
            last_rx_ms: AtomicU64::new(0),
            stats: Mutex::new(ConsoleStats::default()),
            events: etx,
            unit_lost: AtomicBool::new(false),
        });
        let hello = Hello {
            major: PROTOCOL_MAJOR,
            minor: PROTOCOL_MINOR,
            nonce: u32::from_le_bytes(random_bytes().map_err(io_err)?),
            heartbeat_ms: config.heartbeat.as_millis().min(u16::MAX as u128) as u16,
            timeout_ms: config.timeout.as_millis().min(u16::MAX as u128) as u16,
            console_nonce: random_bytes::<NONCE_LEN>().map_err(io_err)?,
        };
        let key = config.key.clone().unwrap_or(PairingKey::UNPAIRED);
        let (hs_tx, hs_rx) = mpsc::channel::<Handshake>();
        let reader_shared = Arc::clone(&shared);
        let reader_thread = std::thread::Builder::new()
            .name("devlink-console-rx".into())
            .spawn(move || reader_loop(&reader_shared, &mut *reader, hello, key, hs_tx))
            .map_err(io_err)?;
        let mut link = ConsoleLink {
            shared,
            config: config.clone(),
            unit: placeholder_open(),
            version: (0, 0),
            events: erx,
            threads: vec![reader_thread],
        };
        let mut answer = None;
        for _ in 0..config.hello_attempts.max(1) {
            link.shared
                .sender
                .send(&Message::Hello(hello))
                .map_err(io_err)?;
            match hs_rx.recv_timeout(config.hello_timeout) {
                Ok(a) => {
                    answer = Some(a);
                    break;
                }
                Err(RecvTimeoutError::Timeout) => continue,
                Err(RecvTimeoutError::Disconnected) => return Err(LinkError::Closed { peer }),
            }
        }
        let (keys, auth, version) = match answer {
            None => {
                return Err(LinkError::HandshakeTimeout {
                    peer,
                    attempts: config.hello_attempts.max(1),
                });
            }
            Some(Handshake::Mismatch(ack)) => {
                return Err(LinkError::VersionMismatch {
                    peer,
                    unit_major: ack.major,
                    unit_minor: ack.minor,
                });
            }
            Some(Handshake::BadProof) => {
                return Err(LinkError::Unauthenticated {
                    peer,
                    reason: "the unit did not prove the pairing key (it holds another key or                              none; check --device-key against the unit's --key)",
                });
            }
            Some(Handshake::Challenge {
                keys,
                auth,
                version,
            }) => (keys, auth, version),
            Some(Handshake::Open(_)) => {
                return Err(LinkError::Unauthenticated {
                    peer,
                    reason: "the unit opened a session before the console proved the key",
                });
            }
        };
        link.shared.sender.set_key(Some(keys.console_to_unit));
        link.shared
            .sender
            .send(&Message::Auth(auth))
            .map_err(io_err)?;
        let wait = config.hello_timeout * config.hello_attempts.max(1);
        let open = match hs_rx.recv_timeout(wait) {
            Ok(Handshake::Open(o)) => o,
            Err(RecvTimeoutError::Disconnected) => return Err(LinkError::Closed { peer }),
            _ => {
                return Err(LinkError::Unauthenticated {
                    peer,
                    reason: "the unit did not open the session after the console's proof                              (refused, busy with other connections, or another key)",
                });
            }
        };
        link.unit = open;
        link.version = version;
        link.config.heartbeat = Duration::from_millis(open.heartbeat_ms.max(1) as u64);
        link.config.timeout = Duration::from_millis(open.timeout_ms.max(1) as u64);
        let hb_shared = Arc::clone(&link.shared);
        let (period, timeout) = (link.config.heartbeat, link.config.timeout);
        let hb = std::thread::Builder::new()
            .name("devlink-console-hb".into())
            .spawn(move || heartbeat_loop(&hb_shared, period, timeout))
            .map_err(|err| LinkError::Io {
                peer: peer.clone(),
                err,
            })?;
        link.threads.push(hb);
        Ok(link)
    }

    /// The unit's SessionOpen: its identity, rates and the setpoints in force at connection.
    pub fn unit(&self) -> &SessionOpen {
        &self.unit
    }

    /// The protocol version the unit announced (major, minor).
    pub fn unit_version(&self) -> (u8, u8) {
        self.version
    }

    /// The heartbeat period and timeout in force (as the unit granted them).
    pub fn timing(&self) -> (Duration, Duration) {
        (self.config.heartbeat, self.config.timeout)
    }

    /// Events from the unit. Sensor frames arrive at the unit's sensor rate.
    pub fn events(&self) -> &Receiver<ConsoleEvent> {
        &self.events
    }

    /// Whether the unit has been silent for longer than the timeout.
    pub fn unit_lost(&self) -> bool {
        self.shared.unit_lost.load(Ordering::Relaxed)
    }

    pub fn stats(&self) -> ConsoleStats {
        self.shared.stats.lock().map(|s| *s).unwrap_or_default()
    }

    /// Sends `cmd` and waits for its Ack, resending after `ack_timeout` up to `attempts` sends.
    /// Each send carries a fresh sequence number (a resend with the old number would be refused
    /// as a replay); commands are absolute setpoints, so applying one twice is harmless.
    /// `Ok(AckResult::Applied)` means the setpoint is in force at the unit.
    pub fn command(&self, cmd: Command) -> Result<AckResult, LinkError> {
        let peer = || self.shared.peer.clone();
        if let Ok(mut s) = self.shared.stats.lock() {
            s.commands += 1;
        }
        let attempts = self.config.attempts.max(1);
        for attempt in 0..attempts {
            if self.shared.stop.load(Ordering::Relaxed) {
                return Err(LinkError::Closed { peer: peer() });
            }
            let (tx, rx) = mpsc::channel();
            // Register before sending so a fast Ack cannot be missed: hold the pending lock
            // across the send.
            let seq = {
                let mut p = self
                    .shared
                    .pending
                    .lock()
                    .map_err(|_| LinkError::Closed { peer: peer() })?;
                let seq = self
                    .shared
                    .sender
                    .send(&Message::Command(cmd))
                    .map_err(|err| LinkError::Io { peer: peer(), err })?;
                p.insert(seq, tx);
                seq
            };
            if attempt > 0 {
                self.shared.bump(|s| s.resends += 1);
            }
            let r = rx.recv_timeout(self.config.ack_timeout);
            if let Ok(mut p) = self.shared.pending.lock() {
                p.remove(&seq);
            }
            match r {
                Ok(Reply::Ack(res)) => return Ok(res),
                Ok(Reply::Refused(reason)) => {
                    return Err(LinkError::Protocol {
                        peer: peer(),
                        reason,
                    });
                }
                Err(RecvTimeoutError::Timeout) => continue,
                Err(RecvTimeoutError::Disconnected) => {
                    return Err(LinkError::Closed { peer: peer() });
                }
            }
        }
        if let Ok(mut s) = self.shared.stats.lock() {
            s.no_ack += 1;
        }
        Err(LinkError::NoAck {
            peer: peer(),
            command: cmd,
            attempts,
        })
    }

    /// Stops sending (heartbeats included) and closes the link. The unit keeps its setpoints
    /// (DEV-1). Dropping the link does the same.
    pub fn close(mut self) {
        self.shutdown();
    }

    fn shutdown(&mut self) {
        self.shared.stop.store(true, Ordering::Relaxed);
        for t in self.threads.drain(..) {
            let _ = t.join();
        }
    }
}

impl Drop for ConsoleLink {
    fn drop(&mut self) {
        self.shutdown();
    }
}

fn placeholder_open() -> SessionOpen {
    SessionOpen {
        heartbeat_ms: 0,
        timeout_ms: 0,
        sensor_rate_hz: 0,
        unit_serial: 0,
        firmware: 0,
        state: 0,
        setpoints: protocol::safety::POWER_UP,
    }
}

fn reader_loop(
    shared: &Shared,
    reader: &mut dyn Read,
    hello: Hello,
    key: PairingKey,
    handshake: mpsc::Sender<Handshake>,
) {
    let mut dec = Decoder::new();
    let mut answered = false;
    let mut in_session = false;
    let mut buf = [0u8; 1024];
    while !shared.stop.load(Ordering::Relaxed) {
        let n = match reader.read(&mut buf) {
            Ok(0) => {
                shared.event(ConsoleEvent::Disconnected);
                shared.stop.store(true, Ordering::Relaxed);
                break;
            }
            Ok(n) => n,
            Err(e) if crate::transport::read_again(&e) => continue,
            Err(_) => {
                shared.event(ConsoleEvent::Disconnected);
                shared.stop.store(true, Ordering::Relaxed);
                break;
            }
        };
        // Frame by frame: the session key is set between the HelloAck and the next frame.
        for &b in &buf[..n] {
            let Some(Ok(frame)) = dec.push(b) else {
                continue; // rejected: counted by the decoder, never acted on
            };
            match frame.msg {
                Message::HelloAck(ack) if ack.nonce == hello.nonce && !answered => {
                    answered = true;
                    let reply =
                        if ack.status != HelloStatus::Accepted || ack.major != PROTOCOL_MAJOR {
                            Handshake::Mismatch(ack)
                        } else {
                            let t = Transcript::of(&hello, ack.unit_nonce);
                            if t.check_unit_proof(&key, &ack.proof) {
                                let keys = t.session_keys(&key);
                                dec.open_session(keys.unit_to_console.clone());
                                Handshake::Challenge {
                                    keys,
                                    auth: Auth {
                                        proof: t.console_proof(&key),
                                    },
                                    version: (ack.major, ack.minor),
                                }
                            } else {
                                Handshake::BadProof
                            }
                        };
                    let _ = handshake.send(reply);
                    continue;
                }
                // Only a unit that holds the key can make a SessionOpen that got this far.
                Message::SessionOpen(open) if !in_session => {
                    in_session = true;
                    shared
                        .last_rx_ms
                        .store(ms_since(shared.start), Ordering::Relaxed);
                    let _ = handshake.send(Handshake::Open(open));
                    continue;
                }
                _ if !in_session => {
                    shared.bump(|s| s.ignored += 1);
                    continue;
                }
                _ => {}
            }
            shared
                .last_rx_ms
                .store(ms_since(shared.start), Ordering::Relaxed);
            if shared.unit_lost.swap(false, Ordering::Relaxed) {
                shared.event(ConsoleEvent::UnitBack);
            }
            match frame.msg {
                Message::Ack(a) => shared.reply(a.acked_seq, Reply::Ack(a.result)),
                Message::ProtocolError(e) => {
                    shared.reply(e.offending_seq, Reply::Refused(e.reason));
                    shared.event(ConsoleEvent::Refused(e));
                }
                Message::Sensor(s) => shared.event(ConsoleEvent::Sensor(s)),
                Message::Fault(f) => shared.event(ConsoleEvent::Fault(f)),
                Message::Heartbeat(h) => shared.event(ConsoleEvent::UnitState(h.state)),
                // Console-bound direction only; a unit sending these is confused, not dangerous.
                Message::Hello(_)
                | Message::Command(_)
                | Message::HelloAck(_)
                | Message::Auth(_)
                | Message::SessionOpen(_) => shared.bump(|s| s.ignored += 1),
            }
        }
        if let Ok(mut s) = shared.stats.lock() {
            s.decode = dec.stats();
            s.seq = dec.seq_stats();
        }
    }
}

fn heartbeat_loop(shared: &Shared, period: Duration, timeout: Duration) {
    let mut next = Instant::now();
    while !shared.stop.load(Ordering::Relaxed) {
        let now = Instant::now();
        if now >= next {
            let rejected = shared
                .stats
                .lock()
                .map(|s| (s.decode.rejected() + s.seq.rejected()) as u16)
                .unwrap_or(0);
            let hb = Heartbeat {
                uptime_ms: ms_since(shared.start) as u32,
                state: 0,
                rx_rejected: rejected,
            };
            if shared.sender.send(&Message::Heartbeat(hb)).is_err() {
                shared.event(ConsoleEvent::Disconnected);
                shared.stop.store(true, Ordering::Relaxed);
                break;
            }
            next += period;
            if next < now {
                next = now + period;
            }
            let silent =
                ms_since(shared.start).saturating_sub(shared.last_rx_ms.load(Ordering::Relaxed));
            if silent > timeout.as_millis() as u64
                && !shared.unit_lost.swap(true, Ordering::Relaxed)
            {
                shared.event(ConsoleEvent::UnitLost);
            }
        }
        std::thread::sleep(Duration::from_millis(5).min(period));
    }
}
