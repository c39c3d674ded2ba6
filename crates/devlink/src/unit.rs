//! The unit's end of the link: answers Hello (version check), applies commands through the
//! safety rules of [`protocol::safety`] and acknowledges them, streams sensor frames at the
//! sensor rate, sends heartbeats and fault frames, and notices a silent console.
//!
//! One console session at a time: the connection whose Hello was accepted last is the active
//! one; a console that restarts simply connects again and takes over (DEV-7). Losing the
//! console changes no setpoint (DEV-1).

use crate::transport::Transport;
use crate::wire::{FrameSender, ms_since};
use protocol::msg::{fault, state};
use protocol::safety::{HardLimits, SafetyEvent, UnitSafety};
use protocol::{
    Ack, AckResult, Command, DecodeError, DecodeStats, Decoder, Fault, Heartbeat, HelloAck,
    HelloStatus, Message, PROTOCOL_MAJOR, PROTOCOL_MINOR, ProtocolError, ProtocolErrorReason,
    SensorFrame, SensorValues, SeqStats, SeqTracker, Setpoints, Severity,
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
}

impl Default for UnitConfig {
    fn default() -> Self {
        UnitConfig {
            serial: 1,
            firmware: 0x0100,
            sensor_rate_hz: 100,
            limits: HardLimits::default(),
            initial: protocol::safety::POWER_UP,
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
}

struct Active {
    conn: u64,
    tx: Tx,
    seq: SeqTracker,
    heartbeat_ms: u64,
}

struct Core {
    safety: UnitSafety,
    active: Option<Active>,
    faults: Vec<Fault>,
    stats: UnitStats,
    /// Seq stats of finished sessions, added to the live tracker's for reporting.
    seq_done: SeqStats,
    decode_by_conn: Vec<(u64, DecodeStats)>,
    next_conn: u64,
}

/// The sending side of one connection: a bounded queue drained by that connection's writer
/// thread. Nothing that holds the core lock, and nothing in the service loop, ever writes to
/// a transport, so a peer that stops reading cannot stall the safety logic (DEV-2); it only
/// fills its queue, which ends its session.
#[derive(Clone)]
struct Tx {
    queue: mpsc::SyncSender<Message>,
    broken: Arc<AtomicBool>,
}

/// Frames queued per connection before the peer counts as not reading (2.5 s of sensor frames).
const TX_QUEUE: usize = 256;

impl Tx {
    /// Queues `msg`; false if the connection is broken or its queue is full.
    fn push(&self, msg: Message) -> bool {
        !self.broken.load(Ordering::Relaxed) && self.queue.try_send(msg).is_ok()
    }
}

struct Shared {
    config: UnitConfig,
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
                decode_by_conn: Vec::new(),
                next_conn: 1,
            }),
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

    /// Serves one console connection on its own thread until it closes.
    pub fn attach(&self, transport: Transport) -> io::Result<()> {
        let s = Arc::clone(&self.shared);
        let t = std::thread::Builder::new()
            .name("devlink-unit-rx".into())
            .spawn(move || connection_loop(&s, transport))?;
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
                connection_loop(&s, transport);
                let _ = tx.send(());
            })?;
        self.push_thread(t);
        Ok(rx)
    }

    /// Accepts console connections on `listener` (one thread), attaching each.
    pub fn listen(&self, listener: TcpListener) -> io::Result<()> {
        listener.set_nonblocking(true)?;
        let s = Arc::clone(&self.shared);
        let t = std::thread::Builder::new()
            .name("devlink-unit-accept".into())
            .spawn(move || {
                let mut conns = Vec::new();
                while !s.stop.load(Ordering::Relaxed) {
                    match listener.accept() {
                        Ok((stream, _)) => {
                            let _ = stream.set_nonblocking(false);
                            if let Ok(tr) = Transport::tcp(stream) {
                                let s2 = Arc::clone(&s);
                                if let Ok(h) = std::thread::Builder::new()
                                    .name("devlink-unit-rx".into())
                                    .spawn(move || connection_loop(&s2, tr))
                                {
                                    conns.push(h);
                                }
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
        for (_, d) in &c.decode_by_conn {
            s.decode = add_decode(s.decode, *d);
        }
        let live = c.active.as_ref().map(|a| a.seq.stats()).unwrap_or_default();
        s.seq = add_seq(c.seq_done, live);
        s
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

/// Counter sums saturate: a unit runs for weeks, and a wrapped counter would lie.
fn add_decode(a: DecodeStats, b: DecodeStats) -> DecodeStats {
    DecodeStats {
        frames: a.frames.saturating_add(b.frames),
        oversize: a.oversize.saturating_add(b.oversize),
        cobs: a.cobs.saturating_add(b.cobs),
        truncated: a.truncated.saturating_add(b.truncated),
        length: a.length.saturating_add(b.length),
        crc: a.crc.saturating_add(b.crc),
        version: a.version.saturating_add(b.version),
        unknown_type: a.unknown_type.saturating_add(b.unknown_type),
        bad_length: a.bad_length.saturating_add(b.bad_length),
        bad_field: a.bad_field.saturating_add(b.bad_field),
    }
}

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

fn end_session(c: &mut Core) {
    if let Some(a) = c.active.take() {
        c.seq_done = add_seq(c.seq_done, a.seq.stats());
    }
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
        let rejected = c
            .active
            .as_ref()
            .map(|a| a.seq.stats().rejected())
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

fn connection_loop(s: &Shared, transport: Transport) {
    let Transport {
        mut reader, writer, ..
    } = transport;
    let sender = FrameSender::new(writer);
    let (queue, rx) = mpsc::sync_channel::<Message>(TX_QUEUE);
    let tx = Tx {
        queue,
        broken: Arc::new(AtomicBool::new(false)),
    };
    let broken = Arc::clone(&tx.broken);
    // The writer thread ends when every Tx clone is gone (connection over, session ended).
    let writer_thread = std::thread::Builder::new()
        .name("devlink-unit-tx".into())
        .spawn(move || {
            for msg in rx {
                if sender.send(&msg).is_err() {
                    broken.store(true, Ordering::Relaxed);
                    break;
                }
            }
        });
    let Ok(writer_thread) = writer_thread else {
        return;
    };
    let conn = {
        let mut c = s.core();
        let id = c.next_conn;
        c.next_conn += 1;
        c.decode_by_conn.push((id, DecodeStats::default()));
        id
    };
    let mut dec = Decoder::new();
    let mut buf = [0u8; 1024];
    while !s.stop.load(Ordering::Relaxed) {
        let n = match reader.read(&mut buf) {
            Ok(0) => break,
            Ok(n) => n,
            Err(e)
                if matches!(
                    e.kind(),
                    io::ErrorKind::WouldBlock
                        | io::ErrorKind::TimedOut
                        | io::ErrorKind::Interrupted
                ) =>
            {
                continue;
            }
            Err(_) => break,
        };
        let mut frames = Vec::new();
        dec.feed(&buf[..n], |r| frames.push(r));
        let now = ms_since(s.start);
        let mut c = s.core();
        for r in frames {
            handle_frame(s, &mut c, conn, &tx, r, now);
        }
        if let Some(slot) = c.decode_by_conn.iter_mut().find(|(id, _)| *id == conn) {
            slot.1 = dec.stats();
        }
    }
    {
        let mut c = s.core();
        if c.active.as_ref().is_some_and(|a| a.conn == conn) {
            end_session(&mut c);
        }
        // Fold this connection's counts into the total so the list does not grow.
        if let Some(i) = c.decode_by_conn.iter().position(|(id, _)| *id == conn) {
            let (_, d) = c.decode_by_conn.swap_remove(i);
            c.stats.decode = add_decode(c.stats.decode, d);
        }
    }
    drop(tx);
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

fn handle_frame(
    s: &Shared,
    c: &mut Core,
    conn: u64,
    tx: &Tx,
    r: Result<protocol::Frame, DecodeError>,
    now: u64,
) {
    let frame = match r {
        Ok(f) => f,
        Err(e) => {
            // Intact but unusable frames are answered so the console knows at once; damaged ones
            // are only counted (their sequence number and type cannot be trusted).
            if let Some((seq, ty)) = e.offending() {
                let reason = match e {
                    DecodeError::UnknownType { .. } => ProtocolErrorReason::UnknownType,
                    DecodeError::BadLength { .. } => ProtocolErrorReason::BadLength,
                    _ => ProtocolErrorReason::BadField,
                };
                refuse(tx, reason, seq, ty);
            }
            return;
        }
    };
    let is_active = c.active.as_ref().is_some_and(|a| a.conn == conn);
    match frame.msg {
        Message::Hello(h) => {
            let setpoints = c.safety.outputs();
            let mut ack = HelloAck {
                major: PROTOCOL_MAJOR,
                minor: PROTOCOL_MINOR,
                nonce: h.nonce,
                status: HelloStatus::Accepted,
                heartbeat_ms: h.heartbeat_ms.clamp(20, 1000),
                timeout_ms: 0,
                sensor_rate_hz: s.config.sensor_rate_hz,
                unit_serial: s.config.serial,
                firmware: s.config.firmware,
                state: flags(c),
                setpoints,
            };
            // Timeout: at least three heartbeats, at most 5 s (docs/protocol.md §6).
            ack.timeout_ms = h.timeout_ms.clamp(3 * ack.heartbeat_ms, 5000);
            if h.major != PROTOCOL_MAJOR {
                ack.status = HelloStatus::VersionMismatch;
                c.stats.version_mismatches += 1;
                send_to(tx, Message::HelloAck(ack));
                return; // no session: setpoints untouched (DEV-5)
            }
            end_session(c);
            let mut seq = SeqTracker::new();
            seq.restart(frame.seq);
            c.active = Some(Active {
                conn,
                tx: tx.clone(),
                seq,
                heartbeat_ms: ack.heartbeat_ms as u64,
            });
            c.stats.sessions += 1;
            let event = c.safety.session_started(now, ack.timeout_ms);
            ack.state = flags(c);
            // HelloAck first: the console ignores everything before it.
            send_active(c, &Message::HelloAck(ack));
            if let Some(e) = event {
                on_event(c, e, now);
            }
        }
        _ if !is_active => {
            if let Message::Command(cmd) = frame.msg {
                let ack = Ack {
                    acked_seq: frame.seq,
                    acked_type: cmd.type_code(),
                    result: AckResult::NoSession,
                };
                send_to(tx, Message::Ack(ack));
            }
        }
        msg => {
            let Some(active) = c.active.as_mut() else {
                return;
            };
            if active.seq.check(frame.seq).is_err() {
                return; // replayed or out of order: counted, never acted on
            }
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
                        tx,
                        ProtocolErrorReason::WrongDirection,
                        frame.seq,
                        other.type_code(),
                    );
                }
            }
        }
    }
}
