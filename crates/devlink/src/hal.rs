//! The unit as the control core's hardware: [`DeviceHal`] implements `control::hal`'s
//! [`SensorSource`] and [`Actuators`] over a [`ConsoleLink`] that it keeps connected.
//!
//! The control core steps every 10 ms and must never block on the network, so the link runs
//! on a supervisor thread: [`SensorSource::read`] copies the newest Sensor frame, and
//! [`Actuators::apply`] only records the setpoints wanted; the supervisor sends whatever
//! differs from what the unit acknowledged, and reconnects (every 250 ms) when the link drops.
//!
//! Takeover (DEV-7): after a (re)connection the unit's current setpoints, from its SessionOpen,
//! are taken as confirmed, and until the controller's first `apply` they are also the wanted
//! ones — a restarted console changes nothing at the unit until its controller says so.
//!
//! Air stop (DEV-2): when the unit reports a latched air stop, its setpoints are known to be
//! 0 rpm, clamp closed. The latch is lifted (ClearAirStop) only when the controller has asked
//! for a full stop since the air stop latched *and* then asks for flow again — that is, after
//! its own bubble handling and de-airing procedure (INT-3), never as a side effect of a
//! controller that has not yet seen the air.
//!
//! Order of clamp and speed: when closing the clamp, the clamp goes first and then the speed;
//! when opening, the speed goes first — so the pump never runs slow against an open return line
//! any longer than the controller asked (backflow below about 1000 rpm, CentriMag IFU in
//! docs/references/consoles-and-standards.md).

use crate::console::{ConsoleConfig, ConsoleEvent, ConsoleLink, LinkError};
use crate::transport::Transport;
use control::hal::{Actuators, ErrorType, SensorSource};
use control::{ActuatorCommands, ErrorKind, Flag, Reading, SensorFrame};
use protocol::msg::{state, valid};
use protocol::{AckResult, ClampState, Command, Fault, Setpoints};
use std::io;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

/// Where the link stands, for the console's display and recording.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LinkState {
    /// No session: connecting, or reconnecting after a loss.
    Connecting,
    /// In session with the unit of this serial number.
    Up { serial: u32 },
    /// In session but the unit has been silent longer than the timeout.
    UnitSilent,
    /// The unit speaks another protocol major version; no commands are sent.
    Incompatible { unit_major: u8, unit_minor: u8 },
}

/// A frame older than this is not handed to the controller (three sensor periods at 100 Hz).
pub const MAX_SENSOR_AGE: Duration = Duration::from_millis(30);
/// Pause between connection attempts.
pub const RECONNECT_EVERY: Duration = Duration::from_millis(250);
/// Every setpoint is re-sent this often even when nothing changed (commands are idempotent);
/// this repairs any divergence, e.g. a unit that restarted without a new session.
pub const REFRESH_EVERY: Duration = Duration::from_secs(1);

#[derive(Default)]
struct State {
    link: Option<LinkState>,
    latest: Option<(protocol::SensorFrame, Instant)>,
    wanted: Option<Setpoints>,
    confirmed: Option<Setpoints>,
    /// Wanted setpoints the unit refused, not to be resent until the wanted value changes.
    refused: Option<(Setpoints, AckResult)>,
    last_error: Option<ErrorKind>,
    faults: Vec<Fault>,
    connects: u64,
    /// The controller has asked for a full stop (0 rpm, clamp closed) since the unit's air
    /// stop latched; only then may a later request for flow clear the latch.
    air_stop_acknowledged: bool,
}

struct Shared {
    state: Mutex<State>,
    stop: AtomicBool,
}

impl Shared {
    fn st(&self) -> MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(|p| p.into_inner())
    }
}

/// The unit behind the control core's HAL traits.
pub struct DeviceHal {
    shared: Arc<Shared>,
    thread: Option<JoinHandle<()>>,
}

impl DeviceHal {
    /// Starts the supervisor. `connect` opens a fresh transport (a TCP connection or the serial
    /// line) each time one is needed.
    pub fn start(
        connect: impl FnMut() -> io::Result<Transport> + Send + 'static,
        config: ConsoleConfig,
    ) -> io::Result<DeviceHal> {
        let shared = Arc::new(Shared {
            state: Mutex::new(State::default()),
            stop: AtomicBool::new(false),
        });
        let s = Arc::clone(&shared);
        let thread = std::thread::Builder::new()
            .name("devlink-hal".into())
            .spawn(move || supervise(&s, connect, config))?;
        Ok(DeviceHal {
            shared,
            thread: Some(thread),
        })
    }

    pub fn link_state(&self) -> LinkState {
        self.shared.st().link.unwrap_or(LinkState::Connecting)
    }

    /// Setpoints the unit has acknowledged (or reported at connection).
    pub fn confirmed(&self) -> Option<Setpoints> {
        self.shared.st().confirmed
    }

    /// Faults the unit reports as active.
    pub fn faults(&self) -> Vec<Fault> {
        self.shared.st().faults.clone()
    }

    /// Sessions opened so far (1 after the first connection; each reconnection adds one).
    pub fn connects(&self) -> u64 {
        self.shared.st().connects
    }
}

impl Drop for DeviceHal {
    fn drop(&mut self) {
        self.shared.stop.store(true, Ordering::Relaxed);
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

impl ErrorType for DeviceHal {
    type Error = ErrorKind;
}

impl SensorSource for DeviceHal {
    /// Fills the unit's channels from the newest Sensor frame. Channels the unit does not
    /// measure (arterial SaO2 upper/lower, from the patient monitor) and the UI heartbeat are
    /// left as they are. `Err(Disconnected)` without a session, `Err(Timeout)` when the newest
    /// frame is older than [`MAX_SENSOR_AGE`].
    fn read(&mut self, now_ms: u64, frame: &mut SensorFrame) -> Result<(), ErrorKind> {
        let st = self.shared.st();
        if !matches!(st.link, Some(LinkState::Up { .. })) {
            return Err(ErrorKind::Disconnected);
        }
        let Some((f, at)) = st.latest else {
            return Err(ErrorKind::Timeout);
        };
        let age = at.elapsed();
        if age > MAX_SENSOR_AGE {
            return Err(ErrorKind::Timeout);
        }
        fill_frame(&f, now_ms.saturating_sub(age.as_millis() as u64), frame);
        Ok(())
    }
}

/// Maps a protocol Sensor frame onto the control core's frame, sampled at `t_ms`.
pub fn fill_frame(f: &protocol::SensorFrame, t_ms: u64, frame: &mut SensorFrame) {
    let v = f.values();
    let r = |x: Option<f32>| match x {
        Some(value) => Reading {
            value,
            valid: true,
            t_ms,
        },
        None => Reading {
            value: 0.0,
            valid: false,
            t_ms,
        },
    };
    frame.p_drainage = r(v.p_drainage_mmhg);
    frame.p_pre_oxy = r(v.p_pre_oxy_mmhg);
    frame.p_post_oxy = r(v.p_post_oxy_mmhg);
    frame.delta_p = r(match (v.p_pre_oxy_mmhg, v.p_post_oxy_mmhg) {
        (Some(a), Some(b)) => Some(a - b),
        _ => None,
    });
    frame.flow = r(v.flow_lpm);
    frame.pump_speed = r(v.speed_rpm);
    frame.so2_pre = r(v.so2_pre_pct);
    frame.so2_post = r(v.so2_post_pct);
    frame.po2_post = r(v.po2_post_mmhg);
    frame.pco2_post = r(v.pco2_post_mmhg);
    frame.hb = r(v.hb_g_dl);
    // The control core has one circuit temperature: the return blood, else the drainage side.
    frame.temperature = r(v.temp_post_c.or(v.temp_pre_c));
    frame.battery = r(v.battery);
    let air = f.state & state::AIR_DETECTED != 0 || v.bubble_ul.is_some_and(|b| b > 0.0);
    frame.bubble = Flag {
        value: air,
        valid: f.valid & valid::BUBBLE != 0,
        t_ms,
    };
    frame.mains_power = Flag {
        value: f.state & state::MAINS != 0,
        valid: true,
        t_ms,
    };
}

/// The controller's actuator commands as protocol setpoints (rounded to the wire resolution).
pub fn setpoints(c: &ActuatorCommands) -> Setpoints {
    let r = |x: f32, k: f32| (x * k + 0.5) as u16; // saturating; NaN gives 0
    Setpoints {
        pump_rpm: r(c.pump_rpm, 1.0),
        clamp: if c.return_clamp_closed {
            ClampState::Closed
        } else {
            ClampState::Open
        },
        sweep_ml_min: r(c.sweep_lpm, 1000.0),
        fdo2_permille: r(c.fdo2, 1000.0),
        heater_centi_c: r(c.heater_c, 100.0),
    }
}

impl Actuators for DeviceHal {
    /// Records the setpoints wanted; the supervisor sends them. `Err(Disconnected)` without a
    /// session, `Err(Rejected)` while the unit refuses the wanted setpoints (hard limits, air
    /// stop), `Err(Timeout)` when the last command went unacknowledged.
    fn apply(&mut self, _now_ms: u64, commands: &ActuatorCommands) -> Result<(), ErrorKind> {
        let mut st = self.shared.st();
        let want = setpoints(commands);
        if st.wanted != Some(want) {
            st.wanted = Some(want);
            st.last_error = None;
        }
        match st.link {
            Some(LinkState::Up { .. }) => {}
            _ => return Err(ErrorKind::Disconnected),
        }
        if st.refused.is_some_and(|(w, _)| w == want) {
            return Err(ErrorKind::Rejected);
        }
        match st.last_error {
            Some(e) => Err(e),
            None => Ok(()),
        }
    }
}

fn supervise(
    s: &Shared,
    mut connect: impl FnMut() -> io::Result<Transport>,
    config: ConsoleConfig,
) {
    while !s.stop.load(Ordering::Relaxed) {
        let link = match connect()
            .map_err(|err| LinkError::Io {
                peer: "unit".into(),
                err,
            })
            .and_then(|t| ConsoleLink::connect(t, config.clone()))
        {
            Ok(l) => l,
            Err(LinkError::VersionMismatch {
                unit_major,
                unit_minor,
                ..
            }) => {
                s.st().link = Some(LinkState::Incompatible {
                    unit_major,
                    unit_minor,
                });
                sleep_unless_stopped(s, RECONNECT_EVERY * 4);
                continue;
            }
            Err(_) => {
                s.st().link = Some(LinkState::Connecting);
                sleep_unless_stopped(s, RECONNECT_EVERY);
                continue;
            }
        };
        {
            let mut st = s.st();
            let unit = *link.unit();
            st.link = Some(LinkState::Up {
                serial: unit.unit_serial,
            });
            st.confirmed = Some(unit.setpoints);
            st.wanted.get_or_insert(unit.setpoints);
            st.refused = None;
            st.latest = None;
            st.connects += 1;
        }
        run_session(s, &link);
        s.st().link = Some(LinkState::Connecting);
        link.close();
    }
}

fn sleep_unless_stopped(s: &Shared, d: Duration) {
    let t0 = Instant::now();
    while t0.elapsed() < d && !s.stop.load(Ordering::Relaxed) {
        std::thread::sleep(Duration::from_millis(10));
    }
}

/// Runs one session until the link drops or the HAL stops.
fn run_session(s: &Shared, link: &ConsoleLink) {
    let mut last_refresh = Instant::now();
    while !s.stop.load(Ordering::Relaxed) {
        // Events first, for up to 5 ms.
        let deadline = Instant::now() + Duration::from_millis(5);
        loop {
            let left = deadline.saturating_duration_since(Instant::now());
            match link.events().recv_timeout(left) {
                Ok(ConsoleEvent::Sensor(f)) => {
                    let mut st = s.st();
                    let was = st
                        .latest
                        .is_some_and(|(p, _)| p.state & state::AIR_STOP != 0);
                    if f.state & state::AIR_STOP != 0 && !was {
                        st.air_stop_acknowledged = false;
                    }
                    st.latest = Some((f, Instant::now()));
                    if f.state & state::AIR_STOP != 0 {
                        // DEV-2: the unit stopped and clamped on its own.
                        if let Some(c) = st.confirmed.as_mut() {
                            c.pump_rpm = 0;
                            c.clamp = ClampState::Closed;
                        }
                    }
                }
                Ok(ConsoleEvent::Fault(f)) => {
                    let mut st = s.st();
                    st.faults.retain(|x| x.code != f.code);
                    if f.active {
                        st.faults.push(f);
                    }
                }
                Ok(ConsoleEvent::UnitLost) => {
                    s.st().link = Some(LinkState::UnitSilent);
                }
                Ok(ConsoleEvent::UnitBack) => {
                    s.st().link = Some(LinkState::Up {
                        serial: link.unit().unit_serial,
                    });
                }
                Ok(ConsoleEvent::Disconnected) => return,
                Ok(ConsoleEvent::UnitState(_)) | Ok(ConsoleEvent::Refused(_)) => {}
                Err(_) => break,
            }
        }
        if link.unit_lost() {
            // Silent for longer than the timeout: start over with a fresh connection.
            return;
        }
        let refresh = last_refresh.elapsed() >= REFRESH_EVERY;
        if refresh {
            last_refresh = Instant::now();
        }
        if let Err(LinkError::Closed { .. } | LinkError::Io { .. }) = send_changes(s, link, refresh)
        {
            return;
        }
    }
}

/// Sends the commands that bring the unit from its confirmed to the wanted setpoints.
fn send_changes(s: &Shared, link: &ConsoleLink, refresh: bool) -> Result<(), LinkError> {
    let (want, have, air_stop, acknowledged) = {
        let mut st = s.st();
        let Some(want) = st.wanted else { return Ok(()) };
        if st.refused.is_some_and(|(w, _)| w == want) {
            return Ok(());
        }
        let air_stop = st
            .latest
            .is_some_and(|(f, _)| f.state & state::AIR_STOP != 0);
        if air_stop && want.pump_rpm == 0 && want.clamp == ClampState::Closed {
            st.air_stop_acknowledged = true;
        }
        (want, st.confirmed, air_stop, st.air_stop_acknowledged)
    };
    let differs = |f: fn(&Setpoints) -> u16| refresh || have.map(|h| f(&h)) != Some(f(&want));
    let clamp_code = |p: &Setpoints| p.clamp as u16;
    let mut cmds: Vec<Command> = Vec::new();
    let wants_flow = want.pump_rpm > 0 || want.clamp == ClampState::Open;
    if air_stop && wants_flow {
        if !acknowledged {
            // The controller never asked for the stop the unit made: it has not seen the air
            // event yet. Do not lift the latch on its behalf; wait for it to catch up.
            return Ok(());
        }
        cmds.push(Command::ClearAirStop);
    }
    let speed = Command::SetPumpSpeed { rpm: want.pump_rpm };
    let clamp = Command::SetClamp(want.clamp);
    match (differs(clamp_code), differs(|p| p.pump_rpm)) {
        (true, true) if want.clamp == ClampState::Closed => cmds.extend([clamp, speed]),
        (true, true) => cmds.extend([speed, clamp]),
        (true, false) => cmds.push(clamp),
        (false, true) => cmds.push(speed),
        (false, false) => {}
    }
    if differs(|p| p.sweep_ml_min) || differs(|p| p.fdo2_permille) {
        cmds.push(Command::SetGas {
            sweep_ml_min: want.sweep_ml_min,
            fdo2_permille: want.fdo2_permille,
        });
    }
    if differs(|p| p.heater_centi_c) {
        cmds.push(Command::SetHeater {
            target_centi_c: want.heater_centi_c,
        });
    }
    for cmd in cmds {
        match link.command(cmd) {
            Ok(AckResult::Applied) => {
                let mut st = s.st();
                let c = st.confirmed.get_or_insert(want);
                match cmd {
                    Command::SetPumpSpeed { rpm } => c.pump_rpm = rpm,
                    Command::SetClamp(k) => c.clamp = k,
                    Command::SetGas {
                        sweep_ml_min,
                        fdo2_permille,
                    } => {
                        c.sweep_ml_min = sweep_ml_min;
                        c.fdo2_permille = fdo2_permille;
                    }
                    Command::SetHeater { target_centi_c } => c.heater_centi_c = target_centi_c,
                    Command::ClearAirStop => {}
                }
            }
            Ok(refusal) => {
                let mut st = s.st();
                st.refused = Some((want, refusal));
                st.last_error = Some(ErrorKind::Rejected);
                return Ok(());
            }
            Err(LinkError::NoAck { .. }) => {
                s.st().last_error = Some(ErrorKind::Timeout);
                return Ok(());
            }
            Err(LinkError::Protocol { .. }) => {
                let mut st = s.st();
                st.refused = Some((want, AckResult::OutOfLimits));
                st.last_error = Some(ErrorKind::Rejected);
                return Ok(());
            }
            Err(e) => return Err(e),
        }
    }
    Ok(())
}
