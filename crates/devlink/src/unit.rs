//! The unit's end of the link: answers Hello with its challenge and proof (version check),
//! opens a session only for a console that proves the pairing key, applies that console's
//! commands through the safety rules of [`protocol::safety`] and acknowledges them, streams
//! sensor frames at the sensor rate, sends heartbeats and fault frames, and notices a silent
//! console.
//!
//! One console session at a time: the connection whose console proved the key last is the
//! active one; a console that restarts simply connects again and takes over (DEV-7). A peer
//! that does not prove the key takes nothing over and changes nothing; its frames are refused
//! and counted (DEV-8). Losing the console changes no setpoint (DEV-1).
//!
//! What one peer can cost is bounded ([`ConnLimits`]): a few connections awaiting their
//! handshake at a time, each closed if it has not authenticated within two seconds, after a
//! handful of Hellos or unauthentic frames; a few connections in all; idle ones closed. None of
//! this touches a setpoint: the pump keeps turning whatever a stranger sends.

use crate::key::random_bytes;
use crate::transport::Transport;
use crate::wire::{FrameSender, ms_since};
use protocol::auth::{NONCE_LEN, PROOF_LEN};
use protocol::msg::{fault, state};
use protocol::safety::{HardLimits, SafetyEvent, UnitSafety};
use protocol::{
    Ack, AckResult, Command, DecodeError, DecodeStats, Decoder, Fault, Heartbeat, Hello, HelloAck,
    HelloStatus, Message, PROTOCOL_MAJOR, PROTOCOL_MINOR, PairingKey, ProtocolError,
    ProtocolErrorReason, SensorFrame, SensorValues, SeqStats, SessionKey, SessionKeys, SessionOpen,
    Setpoints, Severity, Transcript,
};
use std::io::{self, Read};
use std::net::TcpListener;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, mpsc};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

/// Unit identity and rates.
#[derive(Debug, Clone)]
pub struct UnitConfig {
    pub serial: u32,
    /// Firmware version, major in the high byte.
    pub firmware: u16,
    /// Sensor frames per second (protocol minimum 100).
    pub sensor_rate_hz: u16,
    pub limits: HardLimits,
    /// Setpoints driven from power-up: [`protocol::safety::POWER_UP`] for a fresh unit, or what
    /// a unit restored after a restart (docs/protocol.md §8). Must be inside `limits`.
    pub initial: Setpoints,
    /// The pairing key a console must prove. `None`: the well-known unpaired key, which
    /// authenticates nobody; [`UnitEndpoint::listen`] then refuses any but a loopback address.
    pub key: Option<PairingKey>,
    /// What one peer may cost on a TCP listener.
    pub conn: ConnLimits,
}

impl Default for UnitConfig {
    fn default() -> Self {
        UnitConfig {
            serial: 1,
            firmware: 0x0200,
            sensor_rate_hz: 100,
            limits: HardLimits::default(),
            initial: protocol::safety::POWER_UP,
            key: None,
            conn: ConnLimits::default(),
        }
    }
}

/// Bounds on what connections to a unit's TCP listener may cost (docs/protocol.md §13).
/// Design values: a console handshakes in about a millisecond on a LAN and reconnects every
/// 250 ms, so two seconds and two waiting slots delay a real console by at most a few seconds
/// while a stranger's flood costs the unit a bounded number of threads and HMACs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ConnLimits {
    /// Connections that have not yet proved the key, at once; more are closed at accept.
    pub max_pending: usize,
    /// Connections in all, at once; more are closed at accept.
    pub max_connections: usize,
    /// A connection that has not proved the key this long after it opened is closed.
    pub handshake_timeout: Duration,
    /// A connection on which no authentic frame arrived for this long is closed. Longer than
    /// any console timeout (at most 5 s, §6), so a console is declared lost (DEV-1) first.
    pub idle_timeout: Duration,
    /// Hellos a connection may send without completing a handshake before it is closed.
    pub max_hellos: u32,
    /// Unauthentic frames (no session, bad tag) a connection that has not proved the key may
    /// send before it is closed.
    pub max_unauthentic: u32,
}

impl Default for ConnLimits {
    fn default() -> Self {
        ConnLimits {
            max_pending: 2,
            max_connections: 4,
            handshake_timeout: Duration::from_secs(2),
            idle_timeout: Duration::from_secs(10),
            max_hellos: 8,
            max_unauthentic: 16,
        }
    }
}

/// One reading of the unit's sensors.
#[derive(Debug, Clone, Copy, Default)]
pub struct UnitSample {
    pub values: SensorValues,
    /// The return-line bubble detector sees air (DEV-2 acts on it).
    pub air: bool,
    /// State flags the hardware knows (clamp position, mains, battery); the endpoint adds the
    /// safety and fault flags.
    pub state: u16,
}

/// Where sensor readings come from: the hardware drivers, or the twin in a simulated unit.
/// Called at the sensor rate with the setpoints the actuators are being driven to.
pub trait SensorSource: Send {
    fn sample(&mut self, outputs: &Setpoints, now_ms: u64) -> UnitSample;
}

impl<F: FnMut(&Setpoints, u64) -> UnitSample + Send> SensorSource for F {
    fn sample(&mut self, outputs: &Setpoints, now_ms: u64) -> UnitSample {
        self(outputs, now_ms)
    }
}

/// Counters of the unit end.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct UnitStats {
    /// Decode counts, all connections together.
    pub decode: DecodeStats,
    /// Sequence counts of the sessions so far.
    pub seq: SeqStats,
    pub sessions: u64,
    pub version_mismatches: u64,
    pub commands_applied: u64,
    pub commands_refused: u64,
    pub sensor_frames: u64,
    /// Challenges sent (HelloAck with the unit's proof).
    pub challenges: u64,
    /// Handshakes that failed: a wrong console proof, or a Hello never followed by a valid
    /// Auth before its connection closed.
    pub auth_failures: u64,
    /// Connections closed at accept because of [`ConnLimits`].
    pub connections_refused: u64,
    /// Connections closed by the unit: handshake or idle timeout, too many Hellos or
    /// unauthentic frames.
    pub connections_closed: u64,
}

impl UnitStats {
    /// Frames refused because their sender had not proved the key.
    pub fn unauthentic(&self) -> u64 {
        self.decode.unauthentic() as u64
    }
}

struct Active {
    conn: u64,
    tx: Tx,
    heartbeat_ms: u64,
}

struct Core {
    safety: UnitSafety,
    active: Option<Active>,
    faults: Vec<Fault>,
    stats: UnitStats,
    /// Seq stats of finished connections, added to the live ones' for reporting.
    seq_done: SeqStats,
    /// Live connections' counts.
    by_conn: Vec<(u64, DecodeStats, SeqStats)>,
    next_conn: u64,
    /// Open connections and those among them that have not proved the key (listener only).
    open: usize,
    pending: usize,
}

/// What a connection's writer thread takes: frames, and the key to tag them with.
enum Out {
    Frame(Message),
    Key(Option<SessionKey>),
}

/// The sending side of one connection: a bounded queue drained by that connection's writer
/// thread. Nothing that holds the core lock, and nothing in the service loop, ever writes to
/// a transport, so a peer that stops reading cannot stall the safety logic (DEV-2); it only
/// fills its queue, which ends its session.
#[derive(Clone)]
struct Tx {
    queue: mpsc::SyncSender<Out>,
    broken: Arc<AtomicBool>,
}

/// Frames queued per connection before the peer counts as not reading (2.5 s of sensor frames).
const TX_QUEUE: usize = 256;

impl Tx {
    /// Queues `msg`; false if the connection is broken or its queue is full.
    fn push(&self, msg: Message) -> bool {
        !self.broken.load(Ordering::Relaxed) && self.queue.try_send(Out::Frame(msg)).is_ok()
    }

    fn set_key(&self, key: Option<SessionKey>) {
        if self.queue.try_send(Out::Key(key)).is_err() {
            self.broken.store(true, Ordering::Relaxed);
        }
    }
}

struct Shared {
    config: UnitConfig,
    key: PairingKey,
    start: Instant,
    stop: AtomicBool,
    core: Mutex<Core>,
}

impl Shared {
    fn core(&self) -> MutexGuard<'_, Core> {
        // A poisoned lock means a thread panicked mid-update; the safety state is plain data
        // and still the best knowledge of what the pump should do, so keep using it.
        self.core.lock().unwrap_or_else(|p| p.into_inner())
    }
}

/// A running unit end. Drop it (or [`UnitEndpoint::stop`]) to stop all its threads.
pub struct UnitEndpoint {
    shared: Arc<Shared>,
    threads: Mutex<Vec<JoinHandle<()>>>,
}

impl UnitEndpoint {
    /// Starts the unit's service thread: samples `source` at the sensor rate, runs the safety
    /// rules, and streams to the active console if there is one.
    pub fn start(
        config: UnitConfig,
        source: impl SensorSource + 'static,
    ) -> io::Result<UnitEndpoint> {
        if config.sensor_rate_hz < 100 {
            return Err(io::Error::new(
                io::ErrorKind::InvalidInput,
                format!(
                    "unit config: sensor_rate_hz {} is below the protocol's minimum of 100 Hz (docs/protocol.md §5.6)",
                    config.sensor_rate_hz
                ),
            ));
        }
        let safety = UnitSafety::restored(config.limits, config.initial).ok_or_else(|| {
            io::Error::new(
                io::ErrorKind::InvalidInput,
                format!(
                    "unit config: initial setpoints {:?} are outside the hard limits {:?} (DEV-3)",
                    config.initial, config.limits
                ),
            )
        })?;
        let shared = Arc::new(Shared {
            core: Mutex::new(Core {
                safety,
                active: None,
                faults: Vec::new(),
                stats: UnitStats::default(),
                seq_done: SeqStats::default(),
                by_conn: Vec::new(),
                next_conn: 1,
                open: 0,
                pending: 0,
            }),
            key: config.key.clone().unwrap_or(PairingKey::UNPAIRED),
            config,
            start: Instant::now(),
            stop: AtomicBool::new(false),
        });
        let s = Arc::clone(&shared);
        let mut source = source;
        let t = std::thread::Builder::new()
            .name("devlink-unit-tick".into())
            .spawn(move || service_loop(&s, &mut source))?;
        Ok(UnitEndpoint {
            shared,
            threads: Mutex::new(vec![t]),
        })
    }

    /// Serves one console connection on its own thread until it closes (a serial line, or a
    /// connection the caller accepted itself: no [`ConnLimits`]).
    pub fn attach(&self, transport: Transport) -> io::Result<()> {
        let s = Arc::clone(&self.shared);
        let t = std::thread::Builder::new()
            .name("devlink-unit-rx".into())
            .spawn(move || connection_loop(&s, transport, None))?;
        self.push_thread(t);
        Ok(())
    }

    /// Like [`UnitEndpoint::attach`]; the returned receiver gets a message when the
    /// connection ends, so that the caller can open the line again (a serial port's other end
    /// may close and come back, e.g. a pseudo-terminal).
    pub fn attach_watched(&self, transport: Transport) -> io::Result<mpsc::Receiver<()>> {
        let (tx, rx) = mpsc::channel();
        let s = Arc::clone(&self.shared);
        let t = std::thread::Builder::new()
            .name("devlink-unit-rx".into())
            .spawn(move || {
                connection_loop(&s, transport, None);
                let _ = tx.send(());
            })?;
        self.push_thread(t);
        Ok(rx)
    }

    /// Accepts console connections on `listener` (one thread), each within the unit's
    /// [`ConnLimits`]. Refused without a pairing key unless the listener is on a loopback
    /// address: with the unpaired key anyone who reaches the port could stop the pump.
    pub fn listen(&self, listener: TcpListener) -> io::Result<()> {
        let local = listener.local_addr()?;
        if self.shared.config.key.is_none() && !local.ip().is_loopback() {
            return Err(io::Error::new(
                io::ErrorKind::PermissionDenied,
                format!(
                    "refusing to listen on {local} without a pairing key: anyone who reaches \
                     that address could command the pump; listen on a loopback address or \
                     configure a key"
                ),
            ));
        }
        listener.set_nonblocking(true)?;
        let s = Arc::clone(&self.shared);
        let t = std::thread::Builder::new()
            .name("devlink-unit-accept".into())
            .spawn(move || {
                let limits = s.config.conn;
                let mut conns: Vec<JoinHandle<()>> = Vec::new();
                while !s.stop.load(Ordering::Relaxed) {
                    conns.retain(|h| !h.is_finished());
                    match listener.accept() {
                        Ok((stream, _)) => {
                            {
                                let mut c = s.core();
                                if c.open >= limits.max_connections
                                    || c.pending >= limits.max_pending
                                {
                                    c.stats.connections_refused += 1;
                                    continue; // dropping the stream closes it
                                }
                                c.open += 1;
                                c.pending += 1;
                            }
                            let _ = stream.set_nonblocking(false);
                            let s2 = Arc::clone(&s);
                            let spawned = std::thread::Builder::new()
                                .name("devlink-unit-rx".into())
                                .spawn(move || match Transport::tcp(stream) {
                                    Ok(tr) => connection_loop(&s2, tr, Some(limits)),
                                    Err(_) => release(&s2, true),
                                });
                            match spawned {
                                Ok(h) => conns.push(h),
                                Err(_) => release(&s, true),
                            }
                        }
                        Err(e) if e.kind() == io::ErrorKind::WouldBlock => {
                            std::thread::sleep(Duration::from_millis(5));
                        }
                        Err(_) => std::thread::sleep(Duration::from_millis(50)),
                    }
                }
                for h in conns {
                    let _ = h.join();
                }
            })?;
        self.push_thread(t);
        Ok(())
    }

    fn push_thread(&self, t: JoinHandle<()>) {
        self.threads
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .push(t);
    }

    /// The setpoints the actuators are driven to now.
    pub fn outputs(&self) -> Setpoints {
        self.shared.core().safety.outputs()
    }

    /// The safety logic's view of the console link.
    pub fn console_link(&self) -> protocol::safety::ConsoleLink {
        self.shared.core().safety.link()
    }

    /// Safety and fault state flags.
    pub fn state_flags(&self) -> u16 {
        let c = self.shared.core();
        flags(&c)
    }

    pub fn stats(&self) -> UnitStats {
        let c = self.shared.core();
        let mut s = c.stats;
        let mut seq = c.seq_done;
        for (_, d, q) in &c.by_conn {
            s.decode = s.decode.add(d);
            seq = add_seq(seq, *q);
        }
        s.seq = seq;
        s
    }

    /// Connections open now (listener only), and those among them awaiting their handshake.
    pub fn connections(&self) -> (usize, usize) {
        let c = self.shared.core();
        (c.open, c.pending)
    }

    /// Raises a hardware fault (motor, sensor, power…), reported to the console at once and
    /// every second while active.
    pub fn raise_fault(&self, code: u16, severity: Severity, detail: u32) {
        let now = ms_since(self.shared.start);
        let mut c = self.shared.core();
        raise(
            &mut c,
            Fault {
                code,
                active: true,
                severity,
                detail,
                time_ms: now as u32,
            },
        );
    }

    /// Clears a fault raised with [`UnitEndpoint::raise_fault`].
    pub fn clear_fault(&self, code: u16) {
        let now = ms_since(self.shared.start);
        let mut c = self.shared.core();
        clear(&mut c, code, now);
    }

    /// Stops all threads; the last setpoints stay as they were (a real unit keeps driving them).
    pub fn stop(&self) {
        self.shared.stop.store(true, Ordering::Relaxed);
        let threads: Vec<_> = self
            .threads
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .drain(..)
            .collect();
        for t in threads {
            let _ = t.join();
        }
    }
}

impl Drop for UnitEndpoint {
    fn drop(&mut self) {
        self.stop();
    }
}

/// Gives back a listener connection's slot (and its waiting slot if it never authenticated).
fn release(s: &Shared, pending: bool) {
    let mut c = s.core();
    c.open = c.open.saturating_sub(1);
    if pending {
        c.pending = c.pending.saturating_sub(1);
    }
}

/// Counter sums saturate: a unit runs for weeks, and a wrapped counter would lie.
fn add_seq(a: SeqStats, b: SeqStats) -> SeqStats {
    SeqStats {
        accepted: a.accepted.saturating_add(b.accepted),
        lost: a.lost.saturating_add(b.lost),
        replayed: a.replayed.saturating_add(b.replayed),
        out_of_order: a.out_of_order.saturating_add(b.out_of_order),
        too_old: a.too_old.saturating_add(b.too_old),
    }
}

fn flags(c: &Core) -> u16 {
    let mut f = c.safety.state_flags();
    if !c.faults.is_empty() {
        f |= state::FAULT;
    }
    f
}

/// Queues `msg` for the active connection; a connection that cannot take it (broken, or not
/// reading) loses its session. Setpoints are untouched (DEV-5).
fn send_active(c: &mut Core, msg: &Message) {
    let ok = match &c.active {
        Some(a) => a.tx.push(*msg),
        None => true,
    };
    if !ok {
        end_session(c);
    }
}

/// Ends the active session (no setpoint changes, DEV-5); its connection stays open.
fn end_session(c: &mut Core) {
    c.active = None;
}

/// Queues `msg` for a connection, in session or not.
fn send_to(tx: &Tx, msg: Message) {
    let _ = tx.push(msg);
}

fn raise(c: &mut Core, f: Fault) {
    c.faults.retain(|x| x.code != f.code);
    c.faults.push(f);
    send_active(c, &Message::Fault(f));
}

fn clear(c: &mut Core, code: u16, now_ms: u64) {
    if let Some(i) = c.faults.iter().position(|x| x.code == code) {
        let mut f = c.faults.remove(i);
        f.active = false;
        f.time_ms = now_ms as u32;
        send_active(c, &Message::Fault(f));
    }
}

fn on_event(c: &mut Core, e: SafetyEvent, now_ms: u64) {
    let t = now_ms as u32;
    match e {
        SafetyEvent::ConsoleLost => raise(
            c,
            Fault {
                code: fault::CONSOLE_LOST,
                active: true,
                severity: Severity::Warning,
                detail: 0,
                time_ms: t,
            },
        ),
        SafetyEvent::ConsoleBack => clear(c, fault::CONSOLE_LOST, now_ms),
        SafetyEvent::AirStop => raise(
            c,
            Fault {
                code: fault::AIR_DETECTED,
                active: true,
                severity: Severity::Critical,
                detail: 0,
                time_ms: t,
            },
        ),
        SafetyEvent::AirStopCleared => clear(c, fault::AIR_DETECTED, now_ms),
    }
}

fn service_loop(s: &Shared, source: &mut dyn SensorSource) {
    let period = Duration::from_micros(1_000_000 / s.config.sensor_rate_hz.max(1) as u64);
    let mut next_sample = Instant::now();
    let mut sample_no: u32 = 0;
    let mut last_hb = 0u64;
    let mut last_fault_repeat = 0u64;
    while !s.stop.load(Ordering::Relaxed) {
        let now_i = Instant::now();
        if now_i < next_sample {
            std::thread::sleep((next_sample - now_i).min(Duration::from_millis(5)));
            continue;
        }
        next_sample += period;
        if next_sample < now_i {
            next_sample = now_i + period; // fell behind: skip, do not burst
        }
        let now = ms_since(s.start);
        let outputs = s.core().safety.outputs();
        // Sample outside the lock: a twin step may take a while.
        let sample = source.sample(&outputs, now);
        service_step(
            s,
            sample,
            now,
            &mut sample_no,
            &mut last_hb,
            &mut last_fault_repeat,
        );
    }
}

/// One sample period under the core lock: safety tick, then queue the sensor frame, the
/// heartbeat and fault repeats when due.
fn service_step(
    s: &Shared,
    sample: UnitSample,
    now: u64,
    sample_no: &mut u32,
    last_hb: &mut u64,
    last_fault_repeat: &mut u64,
) {
    let mut c = s.core();
    if let Some(e) = c.safety.tick(now, sample.air) {
        on_event(&mut c, e, now);
    }
    if c.active.is_none() {
        return;
    }
    let st = flags(&c) | sample.state;
    let frame = SensorFrame::from_values(&sample.values, *sample_no, now as u32, st);
    *sample_no = sample_no.wrapping_add(1);
    send_active(&mut c, &Message::Sensor(frame));
    c.stats.sensor_frames += 1;
    let hb_ms = c.active.as_ref().map(|a| a.heartbeat_ms).unwrap_or(100);
    if now.saturating_sub(*last_hb) >= hb_ms {
        *last_hb = now;
        let active = c.active.as_ref().map(|a| a.conn);
        let rejected = c
            .by_conn
            .iter()
            .find(|(id, _, _)| Some(*id) == active)
            .map(|(_, d, q)| d.rejected().saturating_add(q.rejected()))
            .unwrap_or(0);
        let hb = Heartbeat {
            uptime_ms: now as u32,
            state: st,
            rx_rejected: rejected as u16,
        };
        send_active(&mut c, &Message::Heartbeat(hb));
    }
    if now.saturating_sub(*last_fault_repeat) >= 1000 {
        *last_fault_repeat = now;
        let faults = c.faults.clone();
        for f in faults {
            send_active(&mut c, &Message::Fault(f));
        }
    }
}

/// A handshake under way on one connection: the Hello, the unit's answer, and what the
/// console's Auth must match.
struct Challenge {
    hello: Hello,
    ack: HelloAck,
    transcript: Transcript,
    keys: SessionKeys,
}

/// One connection's own state; the shared state is in [`Core`].
struct Conn {
    id: u64,
    tx: Tx,
    challenge: Option<Challenge>,
    /// The console proved the key on this connection's latest handshake (its session may
    /// since have been taken over by another connection).
    authed: bool,
    /// Holds one of the listener's waiting slots (not yet authenticated).
    pending: bool,
    hellos: u32,
    unauthentic: u32,
    last_authentic: Instant,
}

/// What became of a frame.
enum Verdict {
    Continue,
    /// Close the connection: it has cost enough without proving the key.
    Close,
}

fn connection_loop(s: &Shared, transport: Transport, limits: Option<ConnLimits>) {
    let opened = Instant::now();
    let Transport {
        mut reader, writer, ..
    } = transport;
    let sender = FrameSender::new(writer);
    let (queue, rx) = mpsc::sync_channel::<Out>(TX_QUEUE);
    let tx = Tx {
        queue,
        broken: Arc::new(AtomicBool::new(false)),
    };
    let broken = Arc::clone(&tx.broken);
    // The writer thread ends when every Tx clone is gone (connection over, session ended).
    let writer_thread = std::thread::Builder::new()
        .name("devlink-unit-tx".into())
        .spawn(move || {
            for out in rx {
                match out {
                    Out::Key(k) => sender.set_key(k),
                    Out::Frame(msg) => {
                        if sender.send(&msg).is_err() {
                            broken.store(true, Ordering::Relaxed);
                            break;
                        }
                    }
                }
            }
        });
    let Ok(writer_thread) = writer_thread else {
        if limits.is_some() {
            release(s, true);
        }
        return;
    };
    let mut conn = {
        let mut c = s.core();
        let id = c.next_conn;
        c.next_conn += 1;
        c.by_conn
            .push((id, DecodeStats::default(), SeqStats::default()));
        Conn {
            id,
            tx: tx.clone(),
            challenge: None,
            authed: false,
            pending: limits.is_some(),
            hellos: 0,
            unauthentic: 0,
            last_authentic: opened,
        }
    };
    let mut dec = Decoder::new();
    let mut buf = [0u8; 1024];
    let mut closed_by_us = false;
    'conn: while !s.stop.load(Ordering::Relaxed) {
        if let Some(l) = &limits {
            let waited_too_long = conn.pending && opened.elapsed() > l.handshake_timeout;
            if waited_too_long || conn.last_authentic.elapsed() > l.idle_timeout {
                closed_by_us = true;
                break;
            }
        }
        let n = match reader.read(&mut buf) {
            Ok(0) => break,
            Ok(n) => n,
            Err(e) if crate::transport::read_again(&e) => continue,
            Err(_) => break,
        };
        let now = ms_since(s.start);
        let mut c = s.core();
        // Frame by frame: a Hello sets the session key the next frame is checked against.
        for &b in &buf[..n] {
            let Some(r) = dec.push(b) else { continue };
            let verdict = handle_frame(s, &mut c, &mut conn, &mut dec, r, now, limits.as_ref());
            if let Some(slot) = c.by_conn.iter_mut().find(|(id, _, _)| *id == conn.id) {
                slot.1 = dec.stats();
                slot.2 = dec.seq_stats();
            }
            if matches!(verdict, Verdict::Close) {
                closed_by_us = true;
                break 'conn;
            }
        }
    }
    {
        let mut c = s.core();
        if c.active.as_ref().is_some_and(|a| a.conn == conn.id) {
            end_session(&mut c);
        }
        if closed_by_us {
            c.stats.connections_closed += 1;
        }
        if conn.challenge.is_some() && !conn.authed {
            c.stats.auth_failures += 1;
        }
        // Fold this connection's counts into the totals so the list does not grow.
        if let Some(i) = c.by_conn.iter().position(|(id, _, _)| *id == conn.id) {
            let (_, d, q) = c.by_conn.swap_remove(i);
            c.stats.decode = c.stats.decode.add(&d);
            c.seq_done = add_seq(c.seq_done, q);
        }
    }
    if limits.is_some() {
        release(s, conn.pending);
    }
    drop(conn);
    drop(tx);
    drop(reader);
    let _ = writer_thread.join();
}

fn refuse(tx: &Tx, reason: ProtocolErrorReason, seq: u16, ty: u8) {
    send_to(
        tx,
        Message::ProtocolError(ProtocolError {
            reason,
            offending_seq: seq,
            offending_type: ty,
        }),
    );
}

#[allow(clippy::too_many_arguments)]
fn handle_frame(
    s: &Shared,
    c: &mut Core,
    conn: &mut Conn,
    dec: &mut Decoder,
    r: Result<protocol::Frame, DecodeError>,
    now: u64,
    limits: Option<&ConnLimits>,
) -> Verdict {
    let frame = match r {
        Ok(f) => f,
        Err(e) => {
            match e {
                // A stranger's frame, or one forged or altered: refused without an answer
                // (DEV-8). A connection that keeps sending them before proving the key is
                // closed; the unit's counters show it.
                DecodeError::Unauthenticated { .. } | DecodeError::BadTag { .. } => {
                    conn.unauthentic += 1;
                    if let Some(l) = limits
                        && !conn.authed
                        && conn.unauthentic > l.max_unauthentic
                    {
                        return Verdict::Close;
                    }
                }
                // Authentic but unusable frames are answered so the console knows at once;
                // damaged ones are only counted (their header cannot be trusted).
                _ => {
                    if let (Some((seq, ty)), true) = (e.offending(), conn.authed) {
                        let reason = match e {
                            DecodeError::UnknownType { .. } => ProtocolErrorReason::UnknownType,
                            DecodeError::BadLength { .. } => ProtocolErrorReason::BadLength,
                            _ => ProtocolErrorReason::BadField,
                        };
                        refuse(&conn.tx, reason, seq, ty);
                    }
                }
            }
            return Verdict::Continue;
        }
    };
    if !matches!(frame.msg, Message::Hello(_)) {
        // Anything else that came out of the decoder carried a valid tag.
        conn.last_authentic = Instant::now();
    }
    let is_active = c.active.as_ref().is_some_and(|a| a.conn == conn.id);
    match frame.msg {
        Message::Hello(h) => {
            if h.major != PROTOCOL_MAJOR {
                c.stats.version_mismatches += 1;
                let ack = HelloAck {
                    major: PROTOCOL_MAJOR,
                    minor: PROTOCOL_MINOR,
                    nonce: h.nonce,
                    status: HelloStatus::VersionMismatch,
                    unit_nonce: [0; NONCE_LEN],
                    proof: [0; PROOF_LEN],
                };
                send_to(&conn.tx, Message::HelloAck(ack));
                return Verdict::Continue; // no session: setpoints untouched (DEV-5)
            }
            conn.hellos += 1;
            if let Some(l) = limits
                && conn.hellos > l.max_hellos
            {
                return Verdict::Close;
            }
            // The same Hello again (its HelloAck was lost): the same challenge again.
            if let Some(ch) = conn.challenge.as_ref().filter(|ch| ch.hello == h) {
                send_to(&conn.tx, Message::HelloAck(ch.ack));
                return Verdict::Continue;
            }
            // A new handshake: this connection's old session, if any, ends here (its console
            // restarted or re-handshakes); the setpoints stay (DEV-5).
            if is_active {
                end_session(c);
            }
            conn.authed = false;
            conn.tx.set_key(None);
            let Ok(unit_nonce) = random_bytes::<NONCE_LEN>() else {
                return Verdict::Close; // no random source: no challenge can be fresh
            };
            let transcript = Transcript::of(&h, unit_nonce);
            let ack = HelloAck {
                major: PROTOCOL_MAJOR,
                minor: PROTOCOL_MINOR,
                nonce: h.nonce,
                status: HelloStatus::Accepted,
                unit_nonce,
                proof: transcript.unit_proof(&s.key),
            };
            let keys = transcript.session_keys(&s.key);
            dec.open_session(keys.console_to_unit.clone());
            conn.challenge = Some(Challenge {
                hello: h,
                ack,
                transcript,
                keys,
            });
            c.stats.challenges += 1;
            send_to(&conn.tx, Message::HelloAck(ack));
        }
        Message::Auth(a) => {
            let Some(ch) = conn.challenge.as_ref() else {
                return Verdict::Continue;
            };
            if conn.authed {
                return Verdict::Continue; // a repeated Auth changes nothing
            }
            if !ch.transcript.check_console_proof(&s.key, &a.proof) {
                c.stats.auth_failures += 1;
                return Verdict::Close;
            }
            // DEV-8: only now may this console take the session over (DEV-7: no setpoint
            // changes; SessionOpen reports them).
            conn.authed = true;
            conn.hellos = 0;
            if conn.pending {
                conn.pending = false;
                c.pending = c.pending.saturating_sub(1);
            }
            let heartbeat_ms = ch.hello.heartbeat_ms.clamp(20, 1000);
            // Timeout: at least three heartbeats, at most 5 s (docs/protocol.md §6).
            let timeout_ms = ch.hello.timeout_ms.clamp(3 * heartbeat_ms, 5000);
            conn.tx.set_key(Some(ch.keys.unit_to_console.clone()));
            end_session(c);
            c.active = Some(Active {
                conn: conn.id,
                tx: conn.tx.clone(),
                heartbeat_ms: heartbeat_ms as u64,
            });
            c.stats.sessions += 1;
            let event = c.safety.session_started(now, timeout_ms);
            let open = SessionOpen {
                heartbeat_ms,
                timeout_ms,
                sensor_rate_hz: s.config.sensor_rate_hz,
                unit_serial: s.config.serial,
                firmware: s.config.firmware,
                state: flags(c),
                setpoints: c.safety.outputs(),
            };
            // SessionOpen first: the console ignores everything before it.
            send_active(c, &Message::SessionOpen(open));
            if let Some(e) = event {
                on_event(c, e, now);
            }
        }
        _ if !is_active => {
            // Authentic (the sender holds the key) but not the session: a console whose
            // session another one took over, or one that has not sent Auth yet (DEV-6).
            if let (Message::Command(cmd), true) = (frame.msg, conn.authed) {
                let ack = Ack {
                    acked_seq: frame.seq,
                    acked_type: cmd.type_code(),
                    result: AckResult::NoSession,
                };
                send_to(&conn.tx, Message::Ack(ack));
            }
        }
        msg => {
            if let Some(e) = c.safety.console_frame(now) {
                on_event(c, e, now);
            }
            match msg {
                Message::Command(cmd) => {
                    let was_air_stop = c.safety.air_stop();
                    let result = c.safety.command(cmd);
                    if result == AckResult::Applied {
                        c.stats.commands_applied += 1;
                    } else {
                        c.stats.commands_refused += 1;
                    }
                    let ack = Ack {
                        acked_seq: frame.seq,
                        acked_type: cmd.type_code(),
                        result,
                    };
                    send_active(c, &Message::Ack(ack));
                    let cleared = c.safety.cleared_event(was_air_stop);
                    if let (Command::ClearAirStop, Some(e)) = (cmd, cleared) {
                        on_event(c, e, now);
                    }
                }
                Message::Heartbeat(_) => {}
                other => {
                    refuse(
                        &conn.tx,
                        ProtocolErrorReason::WrongDirection,
                        frame.seq,
                        other.type_code(),
                    );
                }
            }
        }
    }
    Verdict::Continue
}
