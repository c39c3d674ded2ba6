//! The controller: one `step` per control period turns a sensor frame and operator commands
//! into actuator commands and alarm state.
//!
//! Order within a step (fixed, bounded: no loop depends on input beyond the command slice,
//! which is capped at [`MAX_COMMANDS_PER_STEP`]):
//! 1. timing check (SYS-2);
//! 2. plausibility of every channel (SEN-1..SEN-6);
//! 3. operator commands, each validated (CTL-8);
//! 4. mode control: standby, RPM, flow, zero-flow (CTL-2..CTL-5), with the flow-sensor
//!    fallback (SEN-5);
//! 5. interventions: bubble, suction, return pressure, backflow (INT-1..INT-4);
//! 6. gas: manual or automatic PCO2 (CTL-9, CTL-10), heater (CTL-11);
//! 7. monitoring conditions (MON-1..MON-10, SYS-1, SYS-3) into the alarm system (ALM-*);
//! 8. output, every number clamped to its actuator range and finite (CTL-6).

use crate::alarm::{AlarmId, AlarmLog, AlarmSet, AlarmSummary, AlarmSystem};
use crate::command::{
    AlarmLimit, CircuitKind, Command, CommandError, GasMode, Intervention, Mode, Setting,
};
use crate::frame::{Channel, SensorFrame};
use crate::hal::{Actuators, ErrorKind, SensorSource};
use crate::plausibility::{ChannelSet, Plausibility};
use crate::pump_curve::PumpCurve;
use crate::{
    ActuatorCommands, CONTROL_PERIOD_MS, MAX_COMMANDS_PER_STEP, MAX_RPM, STEP_DEADLINE_US,
    UI_HEARTBEAT_TIMEOUT_MS,
};

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

// ---- public types ---------------------------------------------------------------------------

/// Static configuration of a controller.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Config {
    pub circuit: CircuitKind,
    /// Curve of the fitted pump, for the flow consistency check (MON-4).
    pub pump: PumpCurve,
}

impl Default for Config {
    fn default() -> Self {
        Config {
            circuit: CircuitKind::Vv,
            pump: PumpCurve::ROTAFLOW,
        }
    }
}

/// Why a configuration was refused.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ConfigError {
    pub field: &'static str,
    pub reason: &'static str,
}

/// One intervention's switch and limit.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct InterventionSetting {
    pub enabled: bool,
    /// In the unit of [`Setting::InterventionLimit`]; unused for the bubble intervention.
    pub limit: f32,
}

/// Everything the operator has set.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Settings {
    pub mode: Mode,
    pub circuit: CircuitKind,
    pub rpm_target: f32,
    pub flow_target: f32,
    pub sweep_lpm: f32,
    pub fdo2: f32,
    pub gas_mode: GasMode,
    pub pco2_target: f32,
    pub sweep_min: f32,
    pub sweep_max: f32,
    pub heater_c: f32,
    pub return_clamp: bool,
    pub interventions: [InterventionSetting; Intervention::COUNT],
    pub alarm_limits: [f32; AlarmLimit::COUNT],
}

impl Settings {
    /// Defaults at power-up: standby, interventions on, limits per docs/hazards.md.
    pub const DEFAULT: Settings = Settings {
        mode: Mode::Standby,
        circuit: CircuitKind::Vv,
        rpm_target: 0.0,
        flow_target: 0.0,
        sweep_lpm: 0.0,
        fdo2: 1.0,
        gas_mode: GasMode::Manual,
        pco2_target: 35.0,
        sweep_min: 0.5,
        sweep_max: 8.0,
        heater_c: 37.0,
        return_clamp: false,
        interventions: [
            // Suction: alarm at −100 mmHg is common practice (patient.md).
            InterventionSetting {
                enabled: true,
                limit: -100.0,
            },
            InterventionSetting {
                enabled: true,
                limit: 350.0,
            },
            InterventionSetting {
                enabled: true,
                limit: 0.0,
            },
            // Rotaflow shut-off head at 2000 rpm ≈ 78 mmHg: above a typical VA MAP minus CVP.
            InterventionSetting {
                enabled: true,
                limit: 2000.0,
            },
        ],
        alarm_limits: [
            1.0, // FlowLow
            7.0, // FlowHigh
            // DeltaPHigh: normal PMP 10–50 mmHg at 4–5 L/min; a Quadrox-class 0.67 mmHg·s/mL
            // makes ~65 at 5.7 L/min (circuit.md), so 90 leaves room for normal flows.
            90.0, 10.0,  // DeltaPRisePerHour
            95.0,  // PostOxySo2Low (ISO 7199 rated flow defines 95 % outlet)
            100.0, // PostOxyPo2Low
            35.0,  // TemperatureLow
            38.5,  // TemperatureHigh
            85.0,  // SaO2UpperLow (ELSO VV: SaO2 > 80–85 % is acceptable)
            0.5,   // BatteryLow
            1.0,   // FlowMismatch
        ],
    };

    pub fn intervention(&self, i: Intervention) -> InterventionSetting {
        match self.interventions.get(i.index()) {
            Some(s) => *s,
            None => InterventionSetting {
                enabled: false,
                limit: 0.0,
            },
        }
    }

    pub fn alarm_limit(&self, l: AlarmLimit) -> f32 {
        match self.alarm_limits.get(l.index()) {
            Some(v) => *v,
            None => 0.0,
        }
    }
}

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

/// Stepwise speed reduction with slow return and back-off (INT-1, INT-2).
#[derive(Clone, Copy, Debug, PartialEq)]
struct Reducer {
    reduction: f32,
    last_step_ms: u64,
    recovered_since_ms: Option<u64>,
    returning: bool,
    /// Reduction held at least until `floor_until_ms` after a recurrence.
    floor: f32,
    floor_until_ms: u64,
    recurrences: u32,
}

struct ReducerTuning {
    step: f32,
    step_ms: u64,
    hold_ms: u64,
    return_rate: f32,
    backoff_ms: u64,
}

impl Reducer {
    const NEW: Reducer = Reducer {
        reduction: 0.0,
        last_step_ms: 0,
        recovered_since_ms: None,
        returning: false,
        floor: 0.0,
        floor_until_ms: 0,
        recurrences: 0,
    };

    /// `beyond`: the pressure is past its limit; `recovered`: back inside by the hysteresis.
    /// `max_reduction` keeps the speed above the floor.
    fn update(
        &mut self,
        now_ms: u64,
        dt_s: f32,
        beyond: bool,
        recovered: bool,
        max_reduction: f32,
        t: &ReducerTuning,
    ) {
        if beyond {
            self.recovered_since_ms = None;
            if self.reduction <= 0.0 || now_ms.saturating_sub(self.last_step_ms) >= t.step_ms {
                if self.returning {
                    // It came back while we were returning: hold below this speed for a while
                    // (doubling each time) so the loop does not oscillate.
                    self.recurrences = self.recurrences.saturating_add(1);
                    let k = self.recurrences.min(4);
                    self.floor = self.reduction + t.step;
                    self.floor_until_ms = now_ms.saturating_add(t.backoff_ms << (k - 1));
                    self.returning = false;
                }
                self.reduction += t.step;
                self.last_step_ms = now_ms;
            }
        } else if recovered {
            let since = *self.recovered_since_ms.get_or_insert(now_ms);
            if now_ms.saturating_sub(since) >= t.hold_ms && self.reduction > 0.0 {
                let floor = if now_ms < self.floor_until_ms {
                    self.floor
                } else {
                    0.0
                };
                let next = (self.reduction - t.return_rate * dt_s).max(floor).max(0.0);
                if next < self.reduction {
                    self.returning = true;
                }
                self.reduction = next;
                if self.reduction <= 0.0 {
                    self.returning = false;
                }
            }
        }
        self.reduction = self.reduction.clamp(0.0, max_reduction.max(0.0));
    }

    fn reset(&mut self) {
        *self = Reducer::NEW;
    }
}

/// First-order low-pass.
#[derive(Clone, Copy, Debug, PartialEq)]
struct Lp {
    y: Option<f32>,
}

impl Lp {
    const NEW: Lp = Lp { y: None };
    fn update(&mut self, x: Option<f32>, dt_s: f32, tau_s: f32) -> Option<f32> {
        match x {
            Some(x) => {
                let a = if tau_s > 0.0 {
                    (dt_s / (tau_s + dt_s)).clamp(0.0, 1.0)
                } else {
                    1.0
                };
                let y = match self.y {
                    Some(y) => y + a * (x - y),
                    None => x,
                };
                self.y = Some(y);
                Some(y)
            }
            None => {
                self.y = None;
                None
            }
        }
    }
}

/// ΔP resistance trend (MON-2).
#[derive(Clone, Copy, Debug, PartialEq)]
struct Trend {
    bucket_start_ms: u64,
    sum: f32,
    n: u32,
    buckets: [Option<f32>; TREND_BUCKETS],
    filled: usize,
}

impl Trend {
    const NEW: Trend = Trend {
        bucket_start_ms: 0,
        sum: 0.0,
        n: 0,
        buckets: [None; TREND_BUCKETS],
        filled: 0,
    };

    fn update(&mut self, now_ms: u64, resistance: Option<f32>) {
        if self.filled == 0 && self.n == 0 && self.bucket_start_ms == 0 {
            self.bucket_start_ms = now_ms;
        }
        if let Some(r) = resistance {
            self.sum += r;
            self.n += 1;
        }
        if now_ms.saturating_sub(self.bucket_start_ms) >= TREND_BUCKET_MS {
            let avg = if self.n > 0 {
                Some(self.sum / self.n as f32)
            } else {
                None
            };
            self.buckets.copy_within(1.., 0);
            if let Some(last) = self.buckets.last_mut() {
                *last = avg;
            }
            self.filled = (self.filled + 1).min(TREND_BUCKETS);
            self.sum = 0.0;
            self.n = 0;
            self.bucket_start_ms = now_ms;
        }
    }

    /// Rise of resistance over the last hour, mmHg·min/L per hour, when an hour of data exists.
    fn rise_per_hour(&self) -> Option<f32> {
        if self.filled < TREND_BUCKETS {
            return None;
        }
        let newest = self.buckets.last().copied().flatten()?;
        let oldest = self.buckets.first().copied().flatten()?;
        Some(newest - oldest)
    }
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
        })
    }

    pub fn config(&self) -> &Config {
        &self.config
    }

    pub fn settings(&self) -> &Settings {
        &self.settings
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

    /// One full cycle against hardware traits: read sensors, step, drive actuators. A failed
    /// read steps on a missing frame (every reading invalid), which the plausibility layer turns
    /// into technical alarms and safe fallbacks.
    pub fn cycle<S: SensorSource, A: Actuators>(
        &mut self,
        now_ms: u64,
        sensors: &mut S,
        actuators: &mut A,
        frame: &mut SensorFrame,
        commands: &[Command],
    ) -> Output {
        use crate::hal::Error as _;
        if let Err(e) = sensors.read(now_ms, frame) {
            self.report_acquisition_error(e.kind());
            *frame = SensorFrame::MISSING;
        } else {
            self.acquisition_failed = false;
        }
        let out = self.step(now_ms, frame, commands);
        match actuators.apply(now_ms, &out.actuators) {
            Ok(()) => self.actuator_failed = None,
            Err(e) => self.report_actuator_error(e.kind()),
        }
        out
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

    /// Apply one operator command now. On error nothing changes (CTL-8).
    pub fn apply(&mut self, now_ms: u64, cmd: &Command) -> Result<(), CommandError> {
        let s = &mut self.settings;
        match *cmd {
            Command::SetMode(m) => self.set_mode(m),
            Command::SetRpmTarget(v) => {
                s.rpm_target = Setting::RpmTarget.check(v)?;
                Ok(())
            }
            Command::SetFlowTarget(v) => {
                s.flow_target = Setting::FlowTarget.check(v)?;
                Ok(())
            }
            Command::SetSweep(v) => {
                s.sweep_lpm = Setting::Sweep.check(v)?;
                Ok(())
            }
            Command::SetFdO2(v) => {
                s.fdo2 = Setting::FdO2.check(v)?;
                Ok(())
            }
            Command::SetGasMode(g) => {
                if g == GasMode::AutoPco2 && s.gas_mode != GasMode::AutoPco2 {
                    if self.plaus.value(Channel::PostOxyPco2).is_none() {
                        return Err(CommandError::NotAllowed {
                            reason: "automatic sweep needs a working post-oxygenator PCO2 sensor",
                        });
                    }
                    self.auto_sweep = s.sweep_lpm.clamp(s.sweep_min, s.sweep_max);
                }
                if g == GasMode::Manual && s.gas_mode == GasMode::AutoPco2 {
                    // Bumpless: manual continues from where automatic left the sweep.
                    s.sweep_lpm = self.auto_sweep;
                }
                s.gas_mode = g;
                Ok(())
            }
            Command::SetPco2Target(v) => {
                s.pco2_target = Setting::Pco2Target.check(v)?;
                Ok(())
            }
            Command::SetSweepBounds { min, max } => {
                let min = Setting::SweepMin.check(min)?;
                let max = Setting::SweepMax.check(max)?;
                if min >= max {
                    return Err(CommandError::Conflict {
                        setting: Setting::SweepMin,
                        other: Setting::SweepMax,
                        value: min,
                        other_value: max,
                    });
                }
                s.sweep_min = min;
                s.sweep_max = max;
                Ok(())
            }
            Command::SetHeater(v) => {
                s.heater_c = Setting::Heater.check(v)?;
                Ok(())
            }
            Command::SetReturnClamp(c) => {
                s.return_clamp = c;
                Ok(())
            }
            Command::SetCircuit(k) => {
                if s.mode != Mode::Standby {
                    return Err(CommandError::NotAllowed {
                        reason: "the circuit configuration can only be changed in standby",
                    });
                }
                s.circuit = k;
                self.config.circuit = k;
                Ok(())
            }
            Command::SetIntervention { which, enabled } => {
                if let Some(i) = s.interventions.get_mut(which.index()) {
                    i.enabled = enabled;
                }
                Ok(())
            }
            Command::SetInterventionLimit { which, value } => {
                if which == Intervention::Bubble {
                    return Err(CommandError::NotAllowed {
                        reason: "the bubble intervention has no adjustable limit",
                    });
                }
                let v = Setting::InterventionLimit(which).check(value)?;
                if let Some(i) = s.interventions.get_mut(which.index()) {
                    i.limit = v;
                }
                Ok(())
            }
            Command::SetAlarmLimit { limit, value } => {
                let v = Setting::AlarmLimit(limit).check(value)?;
                let pair = match limit {
                    AlarmLimit::FlowLow => Some((AlarmLimit::FlowHigh, true)),
                    AlarmLimit::FlowHigh => Some((AlarmLimit::FlowLow, false)),
                    AlarmLimit::TemperatureLow => Some((AlarmLimit::TemperatureHigh, true)),
                    AlarmLimit::TemperatureHigh => Some((AlarmLimit::TemperatureLow, false)),
                    _ => None,
                };
                if let Some((other, this_is_low)) = pair {
                    let ov = s.alarm_limit(other);
                    let ordered = if this_is_low { v < ov } else { v > ov };
                    if !ordered {
                        return Err(CommandError::Conflict {
                            setting: Setting::AlarmLimit(limit),
                            other: Setting::AlarmLimit(other),
                            value: v,
                            other_value: ov,
                        });
                    }
                }
                if let Some(slot) = s.alarm_limits.get_mut(limit.index()) {
                    *slot = v;
                }
                Ok(())
            }
            Command::Acknowledge(id) => self
                .alarms
                .acknowledge(now_ms, id)
                .map_err(CommandError::Ack),
            Command::AcknowledgeAll => {
                self.alarms.acknowledge_all(now_ms);
                Ok(())
            }
            Command::PauseAudio => {
                self.alarms.pause_audio(now_ms);
                Ok(())
            }
            Command::RestartAfterBubble => {
                if !self.bubble_stop {
                    return Err(CommandError::NotAllowed {
                        reason: "the pump is not in a bubble stop",
                    });
                }
                if self.last_bubble_present() {
                    return Err(CommandError::NotAllowed {
                        reason: "air is still detected at the bubble sensor",
                    });
                }
                self.bubble_stop = false;
                self.base_rpm = 0.0;
                self.out_rpm = 0.0;
                self.suction.reset();
                self.kink.reset();
                Ok(())
            }
        }
    }

    fn last_bubble_present(&self) -> bool {
        self.bubble_seen
    }

    fn set_mode(&mut self, m: Mode) -> Result<(), CommandError> {
        let cur = self.settings.mode;
        if m == cur {
            return Ok(());
        }
        let flow_ok = self.plaus.value(Channel::Flow).is_some();
        match m {
            Mode::Flow if !flow_ok => {
                return Err(CommandError::NotAllowed {
                    reason: "flow mode needs a working flow sensor",
                });
            }
            Mode::ZeroFlow if !flow_ok => {
                return Err(CommandError::NotAllowed {
                    reason: "zero-flow mode needs a working flow sensor",
                });
            }
            Mode::ZeroFlow if self.settings.circuit != CircuitKind::Va => {
                return Err(CommandError::NotAllowed {
                    reason: "zero-flow mode is for VA weaning; the circuit is VV",
                });
            }
            _ => {}
        }
        match (cur, m) {
            // Leaving a closed-loop mode for RPM: hold the present speed (bumpless).
            (Mode::Flow | Mode::ZeroFlow, Mode::Rpm) => {
                self.settings.rpm_target = self.base_rpm.clamp(0.0, MAX_RPM);
            }
            (_, Mode::Flow | Mode::ZeroFlow) => {
                self.base_rpm = self.out_rpm;
                self.flow_e_prev = 0.0;
            }
            (_, Mode::Standby) => {
                self.base_rpm = 0.0;
                self.suction.reset();
                self.kink.reset();
                self.backflow_boost = 0.0;
            }
            _ => {}
        }
        self.flow_fallback = false;
        self.settings.mode = m;
        Ok(())
    }

    /// One control step at `now_ms` (monotonic ms) with this period's frame and commands.
    /// Never panics; every output is finite and within its actuator range (CTL-6); allocates
    /// nothing (CTL-7).
    pub fn step(&mut self, now_ms: u64, frame: &SensorFrame, commands: &[Command]) -> Output {
        // 1. timing (SYS-2)
        let start = *self.start_ms.get_or_insert(now_ms);
        let period = CONTROL_PERIOD_MS;
        let (dt_ms, late) = match self.last_now_ms {
            None => (period, false),
            Some(prev) if now_ms < prev => (0, true),
            Some(prev) => {
                let gap = now_ms - prev;
                (gap.min(100), gap > 2 * period)
            }
        };
        let deadline_missed = late || self.reported_overrun;
        self.reported_overrun = false;
        self.last_now_ms = Some(now_ms.max(self.last_now_ms.unwrap_or(0)));
        let dt = dt_ms as f32 * 1e-3;

        // 2. plausibility (SEN-1..SEN-4)
        let running = self.out_rpm > 500.0;
        let acquisition_failed = self.acquisition_failed;
        let frame_ref = if acquisition_failed {
            &SensorFrame::MISSING
        } else {
            frame
        };
        self.plaus.check(now_ms, frame_ref, running);
        for ch in Channel::ALL {
            if self.plaus.value(ch).is_some() {
                self.fitted.insert(ch);
            }
        }
        let v = |c: Channel| self.plaus.value(c);
        let flow = v(Channel::Flow);
        let p_drain = v(Channel::DrainagePressure);
        let p_post = v(Channel::PostOxyPressure);
        let p_pre = v(Channel::PreOxyPressure);
        let dp = v(Channel::DeltaP);
        let speed = v(Channel::PumpSpeed);
        let po2 = v(Channel::PostOxyPo2);
        let so2_post = v(Channel::PostOxySo2);
        let pco2 = v(Channel::PostOxyPco2);
        let sao2_up = v(Channel::SaO2Upper);
        let temp = v(Channel::Temperature);
        let battery = v(Channel::Battery);
        let bubble_fault = !frame_ref.bubble.valid
            || now_ms.saturating_sub(frame_ref.bubble.t_ms) > 200
            || frame_ref.bubble.t_ms > now_ms;
        let bubble_now = frame_ref.bubble.valid && frame_ref.bubble.value;
        self.bubble_seen = bubble_now;

        let flow_f = self.flow_f.update(flow, dt, FLOW_FILTER_S);
        let p_drain_f = self.p_drain_f.update(p_drain, dt, PRESSURE_FILTER_S);
        let p_post_f = self.p_post_f.update(p_post, dt, PRESSURE_FILTER_S);
        let p_pre_m = self.p_pre_m.update(p_pre, dt, MONITOR_FILTER_S);
        let p_drain_m = self.p_drain_m.update(p_drain, dt, MONITOR_FILTER_S);
        let dp_m = self.dp_m.update(dp, dt, MONITOR_FILTER_S);
        let flow_m = self.flow_m.update(flow, dt, MONITOR_FILTER_S);
        let speed_m = self.speed_m.update(speed, dt, MONITOR_FILTER_S);
        // Slow, noisy monitors (saturations ±1–1.5 %, PO2 ±3 %, temperature ±0.05 °C, sampled
        // about once a second) are averaged before they are compared with limits, so that the
        // noise does not reset an alarm's condition delay near the limit.
        let po2 = self.po2_f.update(po2, dt, GAS_FILTER_S);
        let so2_post = self.so2_post_f.update(so2_post, dt, GAS_FILTER_S);
        let sao2_up = self.sao2_up_f.update(sao2_up, dt, GAS_FILTER_S);
        let temp = self.temp_f.update(temp, dt, GAS_FILTER_S);

        // 3. commands (CTL-8)
        let mut results: CommandResults = [None; MAX_COMMANDS_PER_STEP];
        for (i, cmd) in commands.iter().enumerate() {
            if let Some(slot) = results.get_mut(i) {
                *slot = Some(self.apply(now_ms, cmd));
            } else {
                // Refused wholesale; the caller learns from the last slot.
                if let Some(last) = results.last_mut() {
                    *last = Some(Err(CommandError::TooManyCommands));
                }
                break;
            }
        }

        // 4. bubble (INT-3) acts first: within this very step.
        let bubble = self.settings.intervention(Intervention::Bubble);
        if bubble.enabled && bubble_now && self.settings.mode != Mode::Standby {
            self.bubble_stop = true;
        }

        // 5. flow-sensor fallback (SEN-5): flow and zero-flow modes need flow.
        let flow_bad_for = match (flow, self.flow_bad_since_ms) {
            (Some(_), _) => {
                self.flow_bad_since_ms = None;
                0
            }
            (None, None) => {
                self.flow_bad_since_ms = Some(now_ms);
                0
            }
            (None, Some(since)) => now_ms.saturating_sub(since),
        };
        if matches!(self.settings.mode, Mode::Flow | Mode::ZeroFlow)
            && flow.is_none()
            && flow_bad_for >= FLOW_FALLBACK_MS
        {
            self.settings.rpm_target = self.base_rpm.clamp(0.0, MAX_RPM);
            self.settings.mode = Mode::Rpm;
            self.flow_fallback = true;
        }

        // 6. mode control
        let va = self.settings.circuit == CircuitKind::Va;
        match self.settings.mode {
            Mode::Standby => self.base_rpm = 0.0,
            Mode::Rpm => {
                let t = self.settings.rpm_target;
                self.base_rpm = if t > self.base_rpm {
                    (self.base_rpm + RPM_SLEW_UP * dt).min(t)
                } else {
                    t
                };
            }
            Mode::Flow | Mode::ZeroFlow => {
                let zero = self.settings.mode == Mode::ZeroFlow;
                let target = if zero {
                    ZERO_FLOW_TARGET
                } else {
                    self.settings.flow_target
                };
                if let Some(q) = flow_f {
                    let e = target - q;
                    let ki = if zero && q < 0.0 {
                        3.0 * FLOW_KI
                    } else {
                        FLOW_KI
                    };
                    let mut d = FLOW_KP * (e - self.flow_e_prev) + ki * e * dt;
                    self.flow_e_prev = e;
                    let lim = FLOW_SLEW * dt;
                    d = d.clamp(-lim, lim);
                    // Anti-windup beyond the velocity form: do not push up against an active
                    // intervention that is holding the speed down.
                    let held = self.suction.reduction > 0.0 || self.kink.reduction > 0.0;
                    if held && d > 0.0 {
                        d = 0.0;
                    }
                    if self.bubble_stop {
                        d = 0.0;
                    }
                    self.base_rpm = (self.base_rpm + d).clamp(0.0, MAX_RPM);
                }
            }
        }
        if self.bubble_stop {
            self.base_rpm = 0.0;
        }

        // 7. pressure interventions (INT-1, INT-2) and backflow floor (INT-4)
        let pumping = self.settings.mode != Mode::Standby && !self.bubble_stop;
        let va_floor = self.settings.intervention(Intervention::Backflow);
        let clamped_by_operator = self.settings.return_clamp;
        let floor = if va
            && va_floor.enabled
            && pumping
            && !clamped_by_operator
            && self.settings.mode != Mode::ZeroFlow
        {
            va_floor.limit
        } else if pumping && self.base_rpm >= MIN_RUNNING_RPM {
            MIN_RUNNING_RPM
        } else {
            0.0
        };
        let max_red = (self.base_rpm - floor).max(0.0);
        let suction = self.settings.intervention(Intervention::Suction);
        if suction.enabled && pumping {
            if let Some(p) = p_drain_f {
                self.suction.update(
                    now_ms,
                    dt,
                    p < suction.limit,
                    p > suction.limit + SUCTION_HYST_MMHG,
                    max_red,
                    &ReducerTuning {
                        step: SUCTION_STEP_RPM,
                        step_ms: SUCTION_STEP_MS,
                        hold_ms: SUCTION_HOLD_MS,
                        return_rate: SUCTION_RETURN_RPM_S,
                        backoff_ms: SUCTION_BACKOFF_MS,
                    },
                );
            }
        } else {
            self.suction.reset();
        }
        let kink = self.settings.intervention(Intervention::ReturnPressure);
        if kink.enabled && pumping {
            if let Some(p) = p_post_f {
                self.kink.update(
                    now_ms,
                    dt,
                    p > kink.limit,
                    p < kink.limit - KINK_HYST_MMHG,
                    (max_red - self.suction.reduction).max(0.0),
                    &ReducerTuning {
                        step: KINK_STEP_RPM,
                        step_ms: KINK_STEP_MS,
                        hold_ms: KINK_HOLD_MS,
                        return_rate: KINK_RETURN_RPM_S,
                        backoff_ms: KINK_BACKOFF_MS,
                    },
                );
            }
        } else {
            self.kink.reset();
        }

        // Backflow boost (INT-4): measured retrograde flow raises the speed stepwise.
        let mut backflow_guard = false;
        if va && va_floor.enabled && pumping && !clamped_by_operator {
            if self.settings.mode != Mode::ZeroFlow {
                if let Some(q) = flow_f {
                    if q < BACKFLOW_LPM {
                        if now_ms.saturating_sub(self.backflow_last_ms) >= BACKFLOW_BOOST_MS {
                            self.backflow_boost =
                                (self.backflow_boost + BACKFLOW_BOOST_STEP).min(BACKFLOW_BOOST_MAX);
                            self.backflow_last_ms = now_ms;
                        }
                    } else if q > 0.2 {
                        self.backflow_boost =
                            (self.backflow_boost - BACKFLOW_BOOST_DECAY_RPM_S * dt).max(0.0);
                    }
                }
            } else {
                self.backflow_boost = 0.0;
            }
        } else {
            self.backflow_boost = 0.0;
        }

        let mut target = self.base_rpm - self.suction.reduction - self.kink.reduction;
        if pumping {
            if target < floor {
                backflow_guard = va && floor > 0.0;
                target = floor;
            }
            if self.backflow_boost > 0.0 {
                backflow_guard = true;
                target += self.backflow_boost;
            }
        } else {
            target = 0.0;
        }
        target = sanitize(target, 0.0, MAX_RPM);
        // Increases are slewed (gentle spin-up); decreases act at once (interventions, stop).
        self.out_rpm = if target > self.out_rpm {
            (self.out_rpm + RPM_SLEW_UP.max(FLOW_SLEW) * dt).min(target)
        } else {
            target
        };
        self.out_rpm = sanitize(self.out_rpm, 0.0, MAX_RPM);

        // Clamp: closed in standby, on bubble stop, on operator request; in VA also while the
        // measured speed is below the floor during spin-up, so that arterial pressure cannot
        // drive blood backwards through a slow pump (INT-4).
        let guard_va = va && va_floor.enabled && pumping && !clamped_by_operator;
        let spin_up_va = guard_va
            && self.settings.mode != Mode::ZeroFlow
            && speed.unwrap_or(self.out_rpm).min(self.out_rpm) < 0.9 * floor
            && self.clamp_closed;
        // A pump that stops turning in VA (motor or drive failure) would let arterial pressure
        // run the circuit backwards: once the measured speed has lagged the command (see
        // `pump_lagging`) for PUMP_FAIL_CLAMP_MS, the clamp closes, and it opens again when the
        // speed has caught up (INT-4).
        let failing = guard_va
            && floor > 0.0
            && self.out_rpm >= floor
            && speed.is_some_and(|n| pump_lagging(n, self.out_rpm, floor));
        let failed_for = match (failing, self.pump_slow_since_ms) {
            (false, _) => {
                self.pump_slow_since_ms = None;
                0
            }
            (true, None) => {
                self.pump_slow_since_ms = Some(now_ms);
                0
            }
            (true, Some(t0)) => now_ms.saturating_sub(t0),
        };
        let stall_va = guard_va && failed_for >= PUMP_FAIL_CLAMP_MS;
        self.clamp_closed = !pumping || clamped_by_operator || spin_up_va || stall_va;

        // 8. gas (CTL-9, CTL-10) and heater (CTL-11)
        let s = &self.settings;
        let mut auto_at_limit = false;
        let sweep = match s.gas_mode {
            GasMode::Manual => s.sweep_lpm,
            GasMode::AutoPco2 => {
                if let Some(p) = pco2 {
                    let e = p - s.pco2_target;
                    let rate = (SWEEP_K * e).clamp(-SWEEP_MAX_RATE, SWEEP_MAX_RATE);
                    let next = self.auto_sweep + rate * dt;
                    let bounded = next.clamp(s.sweep_min, s.sweep_max);
                    auto_at_limit =
                        (bounded >= s.sweep_max && e > 2.0) || (bounded <= s.sweep_min && e < -2.0);
                    self.auto_sweep = bounded;
                }
                self.auto_sweep
            }
        };
        self.auto_sweep_at_limit = auto_at_limit;
        let actuators = ActuatorCommands {
            pump_rpm: self.out_rpm,
            return_clamp_closed: self.clamp_closed,
            sweep_lpm: sanitize(sweep, 0.0, 12.0),
            fdo2: sanitize(s.fdo2, 0.21, 1.0),
            heater_c: sanitize(s.heater_c, 33.0, 39.0),
        };

        // 9. monitoring → alarm conditions
        let mut c = AlarmSet::EMPTY;
        let lim = |l: AlarmLimit| s.alarm_limit(l);
        let circulating = pumping && self.out_rpm >= MIN_RUNNING_RPM;
        if bubble_now {
            c.insert(AlarmId::Bubble);
        }
        if self.bubble_stop {
            // Stays present until the deliberate restart.
            c.insert(AlarmId::Bubble);
        }
        // Suction and return pressure: present while the pressure is beyond the limit or the
        // intervention still holds the speed down, so the operator learns of an episode the
        // intervention corrected within the condition delay.
        let suction_beyond = p_drain_f.is_some_and(|p| p < suction.limit);
        if pumping && (suction_beyond || self.suction.reduction > 0.0) {
            c.insert(AlarmId::Suction);
        }
        let kink_beyond = p_post_f.is_some_and(|p| p > kink.limit);
        if pumping && (kink_beyond || self.kink.reduction > 0.0) {
            c.insert(AlarmId::ReturnPressureHigh);
        }
        if let Some(q) = flow_f {
            if va && !self.clamp_closed && q < BACKFLOW_ALARM_LPM {
                c.insert(AlarmId::Backflow);
            }
            if circulating && s.mode != Mode::ZeroFlow && q < lim(AlarmLimit::FlowLow) {
                c.insert(AlarmId::FlowLow);
            }
            if q > lim(AlarmLimit::FlowHigh) {
                c.insert(AlarmId::FlowHigh);
            }
            if s.mode == Mode::ZeroFlow && (q - 0.0).abs() > ZERO_FLOW_BAND {
                c.insert(AlarmId::ZeroFlowDeviation);
            }
        }
        if let Some(d) = dp_m
            && d > lim(AlarmLimit::DeltaPHigh)
        {
            c.insert(AlarmId::DeltaPHigh);
        }
        // ΔP trend on resistance (MON-2)
        let resistance = match (dp_m, flow_m) {
            (Some(d), Some(q)) if q > 0.5 && circulating => Some(d / q),
            _ => None,
        };
        self.trend.update(now_ms, resistance);
        if let (Some(rise), Some(q)) = (self.trend.rise_per_hour(), flow_m)
            && rise * q.max(0.0) > lim(AlarmLimit::DeltaPRisePerHour)
        {
            c.insert(AlarmId::DeltaPRising);
        }
        // Oxygenator (MON-3), armed after the start-up period.
        if circulating {
            self.circulating_since_ms.get_or_insert(now_ms);
        } else {
            self.circulating_since_ms = None;
        }
        let gas_armed = self
            .circulating_since_ms
            .is_some_and(|s0| now_ms.saturating_sub(s0) >= GAS_ALARM_ARMING_MS);
        if gas_armed {
            let so2_low = so2_post.is_some_and(|x| x < lim(AlarmLimit::PostOxySo2Low));
            let po2_low = po2.is_some_and(|x| x < lim(AlarmLimit::PostOxyPo2Low));
            if so2_low || po2_low {
                c.insert(AlarmId::OxygenatorFailure);
            }
        }
        let ratio = po2.map(|p| p / s.fdo2.max(0.21));
        let reference = self.po2_ref.y;
        if let (Some(r), Some(rf)) = (ratio, reference)
            && circulating
            && rf > 100.0
            && r < PO2_FALL_FRACTION * rf
        {
            c.insert(AlarmId::OxygenatorPerformanceFalling);
        }
        if gas_armed {
            self.po2_ref.update(ratio, dt, PO2_REF_TAU_S);
        } else {
            self.po2_ref = Lp::NEW;
        }
        // Pump curve (MON-4)
        if let (Some(n), Some(pi), Some(pd), Some(q)) = (speed_m, p_pre_m, p_drain_m, flow_m)
            && circulating
            && n > 1500.0
            && q > 1.0
            && let Some(qp) = self.config.pump.flow_at(n, pi - pd)
            && (qp - q).abs() > lim(AlarmLimit::FlowMismatch)
        {
            c.insert(AlarmId::FlowSpeedMismatch);
        }
        // Pump stopped (MON-9)
        if let Some(n) = speed
            && pumping
            && self.out_rpm > MIN_RUNNING_RPM
            && pump_lagging(n, self.out_rpm, 0.0)
        {
            c.insert(AlarmId::PumpStopped);
        }
        if let Some(t) = temp {
            if t < lim(AlarmLimit::TemperatureLow) {
                c.insert(AlarmId::TemperatureLow);
            }
            if t > lim(AlarmLimit::TemperatureHigh) {
                c.insert(AlarmId::TemperatureHigh);
            }
        }
        if let Some(x) = sao2_up
            && x < lim(AlarmLimit::SaO2UpperLow)
        {
            c.insert(AlarmId::SaO2UpperLow);
        }
        // Power (MON-8)
        let on_battery = frame_ref.mains_power.valid && !frame_ref.mains_power.value;
        if on_battery {
            c.insert(AlarmId::MainsPowerLost);
        }
        if let Some(b) = battery {
            if on_battery && b < lim(AlarmLimit::BatteryLow) {
                c.insert(AlarmId::BatteryLow);
            }
            if on_battery && b < BATTERY_CRITICAL {
                c.insert(AlarmId::BatteryCritical);
            }
        }
        if self.auto_sweep_at_limit {
            c.insert(AlarmId::AutoSweepAtLimit);
        }
        // Sensor faults (SEN-1..SEN-6): essential channels always, others once seen working.
        let faulty = self.plaus.faulty();
        let essential = |ch: Channel| {
            matches!(
                ch,
                Channel::Flow
                    | Channel::PumpSpeed
                    | Channel::DrainagePressure
                    | Channel::PostOxyPressure
            )
        };
        let grace = now_ms.saturating_sub(start) < 1_000;
        for ch in faulty.iter() {
            if grace && !self.fitted.contains(ch) {
                continue;
            }
            if !essential(ch) && !self.fitted.contains(ch) {
                continue;
            }
            let id = match ch {
                Channel::Flow => AlarmId::FlowSensorFault,
                Channel::DrainagePressure
                | Channel::PreOxyPressure
                | Channel::PostOxyPressure
                | Channel::DeltaP => AlarmId::PressureSensorFault,
                Channel::PumpSpeed => AlarmId::SpeedSensorFault,
                Channel::Temperature => AlarmId::TemperatureSensorFault,
                Channel::Battery => AlarmId::BatterySensorFault,
                _ => AlarmId::GasSensorFault,
            };
            c.insert(id);
        }
        if self.flow_fallback {
            c.insert(AlarmId::FlowSensorFault);
        }
        if bubble_fault && !grace {
            c.insert(AlarmId::BubbleSensorFault);
        }
        // Operator interface (SYS-1): the pump is untouched; only the alarm.
        // The newest heartbeat ever reported counts: a frame without one does not reset it.
        if let Some(h) = frame.ui_heartbeat_ms.filter(|&h| h <= now_ms) {
            self.last_heartbeat_ms = Some(self.last_heartbeat_ms.map_or(h, |l| l.max(h)));
        }
        let hb = self.last_heartbeat_ms.unwrap_or(start);
        let ui_lost = now_ms.saturating_sub(hb) > UI_HEARTBEAT_TIMEOUT_MS;
        if ui_lost {
            c.insert(AlarmId::UiHeartbeatLost);
        }
        if deadline_missed {
            c.insert(AlarmId::DeadlineMissed);
        }
        if acquisition_failed {
            c.insert(AlarmId::AcquisitionFault);
        }
        if self.actuator_failed.is_some() {
            c.insert(AlarmId::ActuatorFault);
        }
        self.alarms.update(now_ms, c);

        Output {
            actuators,
            mode: self.settings.mode,
            gas_mode: self.settings.gas_mode,
            status: Status {
                base_rpm: self.base_rpm,
                suction_reduction_rpm: self.suction.reduction,
                return_reduction_rpm: self.kink.reduction,
                backflow_guard,
                bubble_stop: self.bubble_stop,
                flow_fallback: self.flow_fallback,
                ui_lost,
                deadline_missed,
                faulty_channels: faulty,
                auto_sweep_lpm: self.auto_sweep,
            },
            alarms: self.alarms.summary(),
            command_results: results,
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
