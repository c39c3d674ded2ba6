//! The controller: one [`Controller::step`] per control period turns a sensor frame and
//! operator commands into actuator commands and alarm state.
//!
//! A step is a fixed sequence of phases, one method each, in this order; each reads what the
//! earlier ones left, so the order is part of the behaviour (and bounded: no loop depends on
//! input beyond the command slice, which is capped at [`MAX_COMMANDS_PER_STEP`]):
//!
//! | # | phase | what | requirements | file |
//! |---|-------|------|--------------|------|
//! | 1 | `timing` | period since the last step, missed deadline | SYS-2 | sense.rs |
//! | 2 | `sense` | plausibility of every channel, the filters | SEN-1..SEN-6 | sense.rs |
//! | 3 | `take_commands` | operator commands, each validated | CTL-8 | commands.rs |
//! | 4 | `bubble_stop` | air stops the pump within this step | INT-3 | pump.rs |
//! | 5 | `flow_fallback` | flow modes fall back to RPM on a flow-sensor fault | SEN-5 | pump.rs |
//! | 6 | `mode_control` | standby, RPM, flow, zero-flow: the base speed | CTL-2..CTL-5 | pump.rs |
//! | 7 | `drive_pump` | pressure interventions, VA floor and backflow boost, speed command, return clamp | INT-1, INT-2, INT-4 | pump.rs |
//! | 8 | `gas` | manual or automatic sweep, FdO2, heater; every actuator number finite and in range | CTL-6, CTL-9..CTL-11 | gas.rs |
//! | 9 | `monitor` | monitoring conditions into the alarm system | MON-1..MON-11, SEN, SYS-1..SYS-3, ALM | monitor.rs |
//!
//! The phases pass on what they found in small values (`Timing`, `Measured`, `Drive`);
//! everything that lasts from one step to the next is a field of [`Controller`]. settings.rs
//! holds the configuration and the operator's settings, filters.rs the reducer, low-pass and
//! trend the phases use.

mod commands;
mod filters;
mod gas;
mod monitor;
mod pump;
mod sense;
mod settings;

pub use settings::{Config, ConfigError, InterventionSetting, Settings};

use crate::alarm::{AlarmLog, AlarmSummary, AlarmSystem};
use crate::command::{Command, CommandError, GasMode, Intervention, Mode, Setting};
use crate::frame::SensorFrame;
use crate::hal::{ErrorKind, Plant};
use crate::plausibility::{ChannelSet, Plausibility};
use crate::{ActuatorCommands, MAX_COMMANDS_PER_STEP, STEP_DEADLINE_US};
use filters::{Lp, Pulse, Reducer, Trend};

// ---- tuning, with reasons -------------------------------------------------------------------

/// Operator speed changes are slewed at this rate (rpm/s): 0→3500 rpm in 3.5 s, gentle on the
/// circuit and fast enough for the operator (CTL-3).
const RPM_SLEW_UP: f32 = 1000.0;
/// Flow loop (CTL-4), velocity-form PI on filtered flow. Plant gain of a Rotaflow-class pump in
/// an adult circuit ≈ 0.0025 L/min per rpm near 3500 rpm (circuit.md head curve against cannula
/// resistance); KI·gain ≈ 0.75 /s gives a closed-loop time constant ≈ 1.3 s, settling (2 %) in
/// ≈ 5 s, well inside the 10 s requirement; KP adds damping. Velocity form cannot wind up.
const FLOW_KP: f32 = 120.0;
const FLOW_KI: f32 = 300.0;
/// Largest change of the flow loop's speed per second (rate limit), rpm/s.
const FLOW_SLEW: f32 = 600.0;
/// Low-pass on measured flow for control and alarms, s (rejects pulsatility, keeps the loop
/// fast).
const FLOW_FILTER_S: f32 = 0.2;
/// Pressures for interventions are filtered lightly (a cough must not trigger a step).
const PRESSURE_FILTER_S: f32 = 0.15;
/// Slow filter for monitoring (ΔP, pump-curve check).
const MONITOR_FILTER_S: f32 = 2.0;
/// Filter for gas, saturation and temperature monitors before their limits, s.
const GAS_FILTER_S: f32 = 5.0;
/// Zero-flow mode aims slightly forward so that noise and pulsatility stay on the forward side
/// (CTL-5 demands 0 ± 0.2 L/min and no backflow).
const ZERO_FLOW_TARGET: f32 = 0.08;
const ZERO_FLOW_BAND: f32 = 0.2;
/// A flow-sensor fault must persist this long before flow mode gives up (SEN-5): a single
/// rejected sample (a spike, or the real flow stopping faster than the rate check allows when
/// the clamp closes) only pauses the loop.
const FLOW_FALLBACK_MS: u64 = 300;
/// VA: a pump lagging its command this long is failing; the clamp closes (INT-4). Long enough
/// to ignore a speed-sensor glitch, short against the second or so an unpowered impeller takes
/// to coast below the speed that holds off arterial pressure (coast-down τ ≈ 2 s).
const PUMP_FAIL_CLAMP_MS: u64 = 200;
/// Lowest speed of a running pump outside the VA floor: below ~1000 rpm a centrifugal pump
/// recirculates and heats blood (Gross-Hardt 2019, circuit.md).
const MIN_RUNNING_RPM: f32 = 1000.0;

/// Suction (INT-1): step size, interval between steps, hysteresis for "recovered", time the
/// pressure must stay recovered before returning, return rate, and the back-off after a
/// recurrence (doubling, capped) that prevents oscillation.
const SUCTION_STEP_RPM: f32 = 100.0;
const SUCTION_STEP_MS: u64 = 500;
const SUCTION_HYST_MMHG: f32 = 15.0;
const SUCTION_HOLD_MS: u64 = 5_000;
const SUCTION_RETURN_RPM_S: f32 = 10.0;
const SUCTION_BACKOFF_MS: u64 = 60_000;
/// Return pressure (INT-2).
const KINK_STEP_RPM: f32 = 200.0;
const KINK_STEP_MS: u64 = 500;
const KINK_HYST_MMHG: f32 = 25.0;
const KINK_HOLD_MS: u64 = 5_000;
const KINK_RETURN_RPM_S: f32 = 20.0;
const KINK_BACKOFF_MS: u64 = 60_000;
/// Backflow (INT-4): flow below this is retrograde; the boost added per 200 ms while it lasts.
const BACKFLOW_LPM: f32 = -0.1;
const BACKFLOW_ALARM_LPM: f32 = -0.2;
const BACKFLOW_BOOST_STEP: f32 = 100.0;
const BACKFLOW_BOOST_MS: u64 = 200;
const BACKFLOW_BOOST_MAX: f32 = 1500.0;
const BACKFLOW_BOOST_DECAY_RPM_S: f32 = 10.0;
/// VA floor from the patient's pressure (INT-4, INT-6): the floor is at least the speed whose
/// zero-flow head on the configured pump curve exceeds the measured mean arterial pressure by
/// this margin, mmHg. The venous side is taken as 0 mmHg, so a positive venous pressure (3-10
/// mmHg) only adds to the margin; the margin itself covers a zeroed transducer's error
/// (about ±4 mmHg) and the spread of the pump-curve fit (±1.5 mmHg, pump_curve.rs tests).
const VA_FLOOR_MARGIN_MMHG: f32 = 10.0;
/// The mean arterial pressure for the VA floor is the arterial line filtered over this long, s:
/// several beats at any heart rate, so that the floor follows the mean, not each beat.
const MAP_FILTER_S: f32 = 2.0;
/// The highest floor the arterial pressure may ask for, rpm: the top of the minimum VA speed's
/// setting range (command.rs), the highest minimum an operator can set.
const VA_FLOOR_MAX_RPM: f32 = 3500.0;

/// Auto sweep (CTL-10): proportional rate on the PCO2 error, capped at 0.5 L/min per minute
/// (slow enough that the patient's CO2 stores follow without overshoot; ELSO advises against
/// rapid PaCO2 correction).
const SWEEP_K: f32 = 0.004;
const SWEEP_MAX_RATE: f32 = 0.5 / 60.0;

/// ΔP trend (MON-2): resistance ΔP/Q is averaged in 10-minute buckets; the rise over the last
/// hour (6 buckets) scaled by current flow is compared with the limit.
const TREND_BUCKET_MS: u64 = 600_000;
const TREND_BUCKETS: usize = 7;
/// Oxygenator performance (MON-3): PO2/FdO2 tracked with a 10-minute reference; falling below
/// this fraction of it alarms.
const PO2_REF_TAU_S: f32 = 600.0;
const PO2_FALL_FRACTION: f32 = 0.6;
/// Gas alarms (MON-3) arm only after the circuit has circulated this long: at start the circuit
/// holds prime and unoxygenated blood, and post-oxygenator values take a minute or two to
/// reach their working level.
const GAS_ALARM_ARMING_MS: u64 = 120_000;
/// Battery below this is critical (MON-8), fraction.
const BATTERY_CRITICAL: f32 = 0.10;
/// Arterial pulse pressure (MON-11) is the span of the arterial line over windows this long:
/// at least one beat down to 15 beats/min, and a new value every 4 s.
const PULSE_WINDOW_MS: u64 = 4_000;
/// Smoothing of the arterial line before its span is taken, s: an arterial line's sample noise
/// (about ±1 mmHg) would otherwise add some 6 mmHg of span to a flat line, while a beat's
/// upstroke (about 0.1 s) passes almost whole.
const PULSE_FILTER_S: f32 = 0.03;

/// What the interventions and fallbacks are doing this step.
#[derive(Clone, Copy, Debug, PartialEq, Default)]
pub struct Status {
    /// Speed the mode asks for before interventions, rpm.
    pub base_rpm: f32,
    /// Speed taken off by the suction intervention, rpm.
    pub suction_reduction_rpm: f32,
    /// Speed taken off by the return-pressure intervention, rpm.
    pub return_reduction_rpm: f32,
    /// VA minimum speed or backflow boost is holding the speed up.
    pub backflow_guard: bool,
    /// Pump stopped and clamped after air detection, waiting for the operator (INT-3).
    pub bubble_stop: bool,
    /// Flow or zero-flow mode fell back to RPM mode on a flow-sensor fault (SEN-5).
    pub flow_fallback: bool,
    /// Operator interface heartbeat lost (SYS-1).
    pub ui_lost: bool,
    /// This step (or the previous one's reported duration) missed its deadline (SYS-2).
    pub deadline_missed: bool,
    /// Channels failing plausibility.
    pub faulty_channels: ChannelSet,
    /// Sweep set by the automatic PCO2 mode, L/min (equals the output sweep when active).
    pub auto_sweep_lpm: f32,
}

/// Result of each command of a step, in order; `None` beyond the commands given.
pub type CommandResults = [Option<Result<(), CommandError>>; MAX_COMMANDS_PER_STEP];

/// What one step answers.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Output {
    pub actuators: ActuatorCommands,
    /// Mode in force after this step (after any fallback).
    pub mode: Mode,
    pub gas_mode: GasMode,
    pub status: Status,
    pub alarms: AlarmSummary,
    pub command_results: CommandResults,
}

/// The control and safety core.
#[derive(Clone, Debug)]
pub struct Controller {
    config: Config,
    settings: Settings,
    alarms: AlarmSystem,
    plaus: Plausibility,
    fitted: ChannelSet,
    start_ms: Option<u64>,
    last_now_ms: Option<u64>,
    reported_overrun: bool,
    acquisition_failed: bool,
    actuator_failed: Option<ErrorKind>,
    // control state
    base_rpm: f32,
    out_rpm: f32,
    flow_e_prev: f32,
    suction: Reducer,
    kink: Reducer,
    backflow_boost: f32,
    backflow_last_ms: u64,
    bubble_stop: bool,
    /// Air at the detector in the latest frame.
    bubble_seen: bool,
    flow_fallback: bool,
    /// Since when the flow reading has been rejected.
    flow_bad_since_ms: Option<u64>,
    last_heartbeat_ms: Option<u64>,
    /// VA: since when the measured speed has been below half the minimum speed.
    pump_slow_since_ms: Option<u64>,
    /// Since when the pump has been circulating without interruption.
    circulating_since_ms: Option<u64>,
    auto_sweep: f32,
    auto_sweep_at_limit: bool,
    clamp_closed: bool,
    // filters
    flow_f: Lp,
    p_drain_f: Lp,
    p_post_f: Lp,
    p_pre_m: Lp,
    p_drain_m: Lp,
    dp_m: Lp,
    flow_m: Lp,
    speed_m: Lp,
    po2_ref: Lp,
    po2_f: Lp,
    so2_post_f: Lp,
    sao2_up_f: Lp,
    temp_f: Lp,
    trend: Trend,
    pulse: Pulse,
    /// Mean arterial pressure for the VA floor (INT-6).
    map_f: Lp,
    /// The minimum speed in force at the last step (see [`Controller::min_rpm`]).
    floor_rpm: f32,
}

impl Controller {
    /// A controller in standby with default settings.
    pub fn new(config: Config) -> Result<Controller, ConfigError> {
        if !config.pump.is_valid() {
            return Err(ConfigError {
                field: "pump",
                reason: "pump curve coefficients must be finite with a > 0 and r2 > 0",
            });
        }
        let mut settings = Settings::DEFAULT;
        settings.circuit = config.circuit;
        Ok(Controller {
            config,
            settings,
            alarms: AlarmSystem::new(),
            plaus: Plausibility::new(),
            fitted: ChannelSet::EMPTY,
            start_ms: None,
            last_now_ms: None,
            reported_overrun: false,
            acquisition_failed: false,
            actuator_failed: None,
            base_rpm: 0.0,
            out_rpm: 0.0,
            flow_e_prev: 0.0,
            suction: Reducer::NEW,
            kink: Reducer::NEW,
            backflow_boost: 0.0,
            backflow_last_ms: 0,
            bubble_stop: false,
            bubble_seen: false,
            flow_fallback: false,
            flow_bad_since_ms: None,
            last_heartbeat_ms: None,
            pump_slow_since_ms: None,
            circulating_since_ms: None,
            auto_sweep: 0.0,
            auto_sweep_at_limit: false,
            clamp_closed: true,
            flow_f: Lp::NEW,
            p_drain_f: Lp::NEW,
            p_post_f: Lp::NEW,
            p_pre_m: Lp::NEW,
            p_drain_m: Lp::NEW,
            dp_m: Lp::NEW,
            flow_m: Lp::NEW,
            speed_m: Lp::NEW,
            po2_ref: Lp::NEW,
            po2_f: Lp::NEW,
            so2_post_f: Lp::NEW,
            sao2_up_f: Lp::NEW,
            temp_f: Lp::NEW,
            trend: Trend::NEW,
            pulse: Pulse::NEW,
            map_f: Lp::NEW,
            floor_rpm: 0.0,
        })
    }

    /// A controller whose minimum VA speed (INT-4) starts at `va_min_rpm` instead of the
    /// power-up default: the per-circuit default of INT-6, set when the circuit is configured
    /// (a neonatal circuit's pump holds off a neonate's pressure at a lower speed than an
    /// adult's). Refused, naming `backflow_min_rpm`, outside that setting's range.
    pub fn with_va_min_rpm(config: Config, va_min_rpm: f32) -> Result<Self, ConfigError> {
        let setting = Setting::InterventionLimit(Intervention::Backflow);
        let (lo, hi) = setting.range();
        if !(va_min_rpm.is_finite() && va_min_rpm >= lo && va_min_rpm <= hi) {
            return Err(ConfigError {
                field: "backflow_min_rpm",
                reason: "outside the minimum VA speed's range 1000..=3500 rpm",
            });
        }
        let mut c = Controller::new(config)?;
        if let Some(i) = c
            .settings
            .interventions
            .get_mut(Intervention::Backflow.index())
        {
            i.limit = va_min_rpm;
        }
        Ok(c)
    }

    pub fn config(&self) -> &Config {
        &self.config
    }

    pub fn settings(&self) -> &Settings {
        &self.settings
    }

    /// The minimum speed in force at the last step, rpm (INT-4, INT-6): on VA the larger of the
    /// operator's minimum VA speed and the speed that holds off the measured mean arterial
    /// pressure; otherwise the lowest running speed once the pump runs; 0 when not pumping.
    pub fn min_rpm(&self) -> f32 {
        self.floor_rpm
    }

    pub fn alarms(&self) -> &AlarmSystem {
        &self.alarms
    }

    pub fn alarm_log(&self) -> &AlarmLog {
        self.alarms.log()
    }

    pub fn plausibility(&self) -> &Plausibility {
        &self.plaus
    }

    /// The caller measured how long the last step took (µs); over [`STEP_DEADLINE_US`] is a
    /// missed deadline, reported at the next step (SYS-2).
    pub fn report_step_duration(&mut self, duration_us: u32) {
        if duration_us > STEP_DEADLINE_US {
            self.reported_overrun = true;
        }
    }

    /// Sensor acquisition failed as a whole this period (SYS-3): the frame passed to the next
    /// step is treated as missing.
    pub fn report_acquisition_error(&mut self, _kind: ErrorKind) {
        self.acquisition_failed = true;
    }

    /// An actuator refused its command (SYS-3): raises ALM ActuatorFault at the next step.
    pub fn report_actuator_error(&mut self, kind: ErrorKind) {
        self.actuator_failed = Some(kind);
    }

    /// The one control cycle against a plant: read its sensors, step, drive its actuators. A
    /// failed read steps on a missing frame (every reading invalid), which the plausibility
    /// layer turns into technical alarms and safe fallbacks; a failed actuation raises an alarm
    /// at the next step (SYS-3). `commands` are the operator's, taken from the queue this
    /// period (at most [`MAX_COMMANDS_PER_STEP`]; the step validates each, CTL-8).
    pub fn cycle<P: Plant + ?Sized>(
        &mut self,
        now_ms: u64,
        plant: &mut P,
        frame: &mut SensorFrame,
        commands: &[Command],
    ) -> Output {
        use crate::hal::Error as _;
        if let Err(e) = plant.sense(now_ms, frame) {
            self.report_acquisition_error(e.kind());
            *frame = SensorFrame::MISSING;
        } else {
            self.acquisition_failed = false;
        }
        let out = self.step(now_ms, frame, commands);
        match plant.actuate(now_ms, &out.actuators) {
            Ok(()) => self.actuator_failed = None,
            Err(e) => self.report_actuator_error(e.kind()),
        }
        out
    }

    /// What the next step would answer to the last of `commands` (taken in order, as the step
    /// takes its commands) and the settings they would leave, without changing anything: a
    /// console answers the operator at once while the command itself waits in the queue for
    /// the step, which validates it again against the state then (CTL-8). `None` for no
    /// commands.
    pub fn preview(
        &self,
        now_ms: u64,
        commands: &[Command],
    ) -> (Settings, Option<Result<(), CommandError>>) {
        let mut c = self.clone();
        let mut last = None;
        for cmd in commands {
            last = Some(c.apply(now_ms, cmd));
        }
        (c.settings, last)
    }

    /// Restores settings before the first step (a console that restarts re-applies what it had
    /// saved, then takes over a running unit with [`Controller::adopt`]): each command is
    /// validated as a step would. Refused once the controller has stepped: a running controller
    /// takes commands only through its steps.
    pub fn restore(&mut self, commands: &[Command]) -> Result<CommandResults, CommandError> {
        if self.start_ms.is_some() {
            return Err(CommandError::NotAllowed {
                reason: "settings are restored only before the first control step",
            });
        }
        Ok(self.take_commands(0, commands))
    }

    /// Takes over actuators that are already running (CTL-12). A console that restarts while
    /// the pump unit keeps turning (the unit holds its setpoints, DEV-1 and DEV-7 in
    /// docs/protocol.md) starts its controller from what the unit drives, so that its first
    /// outputs repeat that instead of ramping the pump up from 0 rpm as a fresh start would.
    ///
    /// Only before the first step (a running controller already owns the actuators). A turning
    /// pump gives RPM mode at that speed (the operator switches to flow mode as usual); a
    /// stopped one gives standby, even over a mode restored from an earlier run. A heater set point outside the controller's range (a unit
    /// with its heater off) leaves the controller's own. A value outside the operator ranges
    /// is refused and nothing changes (CTL-8).
    pub fn adopt(&mut self, running: &ActuatorCommands) -> Result<(), CommandError> {
        if self.start_ms.is_some() {
            return Err(CommandError::NotAllowed {
                reason: "a takeover is only possible before the first control step",
            });
        }
        let rpm = Setting::RpmTarget.check(running.pump_rpm)?;
        let sweep = Setting::Sweep.check(running.sweep_lpm)?;
        let fdo2 = Setting::FdO2.check(running.fdo2)?;
        let heater = Setting::Heater.check(running.heater_c).ok();
        let s = &mut self.settings;
        s.sweep_lpm = sweep;
        s.fdo2 = fdo2;
        s.gas_mode = GasMode::Manual;
        if let Some(h) = heater {
            s.heater_c = h;
        }
        if rpm > 0.0 {
            s.mode = Mode::Rpm;
            s.rpm_target = rpm;
            // Clamped while turning: the operator had clamped the line; keep it so.
            s.return_clamp = running.return_clamp_closed;
            self.base_rpm = rpm;
            self.out_rpm = rpm;
            self.clamp_closed = running.return_clamp_closed;
        } else {
            // The unit's pump stands: so does the controller's, whatever mode was restored
            // before the takeover. Starting it is the operator's decision.
            s.mode = Mode::Standby;
            self.base_rpm = 0.0;
            self.out_rpm = 0.0;
            self.clamp_closed = true;
        }
        Ok(())
    }

    /// One control step at `now_ms` (monotonic ms) with this period's frame and commands.
    /// Never panics; every output is finite and within its actuator range (CTL-6); allocates
    /// nothing (CTL-7). The phases, in order, are listed in the module documentation.
    pub fn step(&mut self, now_ms: u64, frame: &SensorFrame, commands: &[Command]) -> Output {
        let timing = self.timing(now_ms);
        // A failed acquisition (SYS-3) is a frame with every reading missing.
        let seen = if self.acquisition_failed {
            &SensorFrame::MISSING
        } else {
            frame
        };
        let m = self.sense(now_ms, timing.dt, seen);
        let command_results = self.take_commands(now_ms, commands);
        self.bubble_stop(&m);
        self.flow_fallback(now_ms, m.flow);
        self.mode_control(timing.dt, m.flow_f);
        let drive = self.drive_pump(now_ms, timing.dt, &m);
        self.floor_rpm = drive.floor;
        let actuators = self.gas(timing.dt, m.pco2);
        // The heartbeat is the console's, not the sensors': it counts even when acquisition
        // failed.
        let watched = self.monitor(now_ms, &timing, &m, &drive, frame.ui_heartbeat_ms);
        Output {
            actuators,
            mode: self.settings.mode,
            gas_mode: self.settings.gas_mode,
            status: Status {
                base_rpm: self.base_rpm,
                suction_reduction_rpm: self.suction.reduction,
                return_reduction_rpm: self.kink.reduction,
                backflow_guard: drive.backflow_guard,
                bubble_stop: self.bubble_stop,
                flow_fallback: self.flow_fallback,
                ui_lost: watched.ui_lost,
                deadline_missed: timing.deadline_missed,
                faulty_channels: watched.faulty,
                auto_sweep_lpm: self.auto_sweep,
            },
            alarms: self.alarms.summary(),
            command_results,
        }
    }
}

/// The measured speed `n` lags the command `cmd` by more than a driven motor can (it follows
/// the slewed command within ~100 rpm): below 70 % of the command less 100 rpm, or, in VA,
/// below 90 % of the minimum speed `floor` (where backflow begins) while the command is above
/// it. Used for MON-9 and the VA failure clamp (INT-4).
fn pump_lagging(n: f32, cmd: f32, floor: f32) -> bool {
    n < (0.7 * cmd - 100.0).max(0.9 * floor)
}

/// Clamp into `[lo, hi]`, mapping NaN to `lo` (the safe end for every actuator here).
fn sanitize(x: f32, lo: f32, hi: f32) -> f32 {
    if x.is_nan() { lo } else { x.clamp(lo, hi) }
}
