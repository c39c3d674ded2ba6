//! # sil — software in the loop
//!
//! What it is: the glue that runs the real control core (`control::Controller`) against the
//! digital twin (`physio::Twin`) as if the twin were the hardware. It owns the twin, a sensor
//! layer that turns the twin's true [`Observation`] into the [`SensorFrame`] the controller
//! sees, and the controller; it maps the controller's [`ActuatorCommands`] back onto the twin's
//! [`Actuation`]. The console, training scenarios and the closed-loop tests all run this.
//!
//! Timing: the twin steps at [`Twin::DT_S`] (2 ms); the controller at
//! [`control::CONTROL_PERIOD_MS`] (10 ms). One [`Sil::step`] is one control period: the
//! sensors sample the twin, the controller steps, and its commands drive the next
//! [`TWIN_STEPS_PER_CONTROL`] twin steps. A bubble seen at a sample is therefore acted on
//! before the twin advances again (INT-3: within one control step).
//!
//! The control cycle itself is [`ControlLoop`] (control_loop.rs): the controller, the queue of
//! operator commands it validates, and `Controller::cycle` against a `control::Plant`. `Sil`
//! runs it with the twin as the plant; the console's device engine runs the same loop with a
//! pump unit behind the device link as the plant.
//!
//! Invariants: deterministic (the twin is, the controller is, the sensor layer is seeded);
//! the controller only ever sees the frame, never the truth; operator commands enter only
//! through the loop's queue, which the controller validates at its step like any console's.
//!
//! What it does not do: no wall clock, no threads, no I/O. Real-time pacing, recording and the
//! network belong to the console.

mod control_loop;
pub mod sensors;
pub mod trace;

use control::hal::{ErrorType, Plant};
use control::{
    ActuatorCommands, AlarmSystem, CONTROL_PERIOD_MS, CircuitKind, Command, Controller, Output,
    PumpCurve, SensorFrame,
};
pub use control_loop::{ControlLoop, MAX_QUEUED};
use physio::{Actuation, ConfigError, Event, Observation, Twin, TwinConfig};
pub use sensors::{ChannelFault, SensorLayer};

/// Twin steps per control step: 10 ms / 2 ms.
pub const TWIN_STEPS_PER_CONTROL: u32 = 5;

// The ratio above must match the two crates' constants exactly.
const _: () = assert!(CONTROL_PERIOD_MS == 10);

/// Why a software-in-the-loop run could not be built.
#[derive(Clone, Debug, PartialEq)]
pub enum SilError {
    /// The twin refused its configuration.
    Twin(ConfigError),
    /// The controller refused its configuration.
    Control(control::ConfigError),
}

impl std::fmt::Display for SilError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            SilError::Twin(e) => write!(f, "twin configuration: {}: {}", e.field, e.message),
            SilError::Control(e) => {
                write!(f, "controller configuration: {}: {}", e.field, e.reason)
            }
        }
    }
}

impl std::error::Error for SilError {}

/// The control core's view of the fitted pump, from the twin's pump model (same fit).
pub fn pump_curve(config: &TwinConfig) -> PumpCurve {
    let p = &config.circuit.pump;
    PumpCurve {
        a: p.a as f32,
        r1: p.r1 as f32,
        r2: p.r2 as f32,
        rrec: p.rrec as f32,
        kinf: p.kinf as f32,
    }
}

/// Controller configuration matching a twin configuration.
pub fn control_config(config: &TwinConfig) -> control::Config {
    control::Config {
        circuit: if config.circuit.configuration.is_va() {
            CircuitKind::Va
        } else {
            CircuitKind::Vv
        },
        pump: pump_curve(config),
    }
}

/// The minimum VA speed set when the circuit is configured (INT-6), rpm: the power-up default
/// (2000 rpm) for an adult circuit; for a paediatric circuit (physio's `sized_circuit`, below
/// [`physio::presets::PAEDIATRIC_CIRCUIT_BELOW_KG`]) the speed whose zero-flow head on the
/// circuit's pump holds off the age-normal mean arterial pressure (physio `sizes::norms`: 48
/// mmHg at 3.5 kg) with [`PAEDIATRIC_VA_MARGIN_MMHG`] to spare, rounded up to the setting's
/// 50-rpm step and kept within its range. The controller raises the floor above it whenever the
/// measured arterial pressure needs more.
pub fn va_min_rpm(config: &TwinConfig) -> f32 {
    let adult = control::Settings::DEFAULT
        .intervention(control::Intervention::Backflow)
        .limit;
    let w = config.patient.weight_kg;
    if w.is_nan() || w >= physio::presets::PAEDIATRIC_CIRCUIT_BELOW_KG {
        return adult;
    }
    let head = physio::sizes::norms(w).map_mmhg as f32 + PAEDIATRIC_VA_MARGIN_MMHG;
    let (lo, hi) = control::Setting::InterventionLimit(control::Intervention::Backflow).range();
    match pump_curve(config).speed_for_shutoff_head(head) {
        Some(n) => ((n / 50.0).ceil() * 50.0).clamp(lo, hi),
        None => adult,
    }
}

/// Margin of a paediatric circuit's configured minimum VA speed over the age-normal mean
/// arterial pressure, mmHg: without an arterial line the floor must also hold off a patient
/// above the norm (a median), so the margin is twice the controller's over a measured pressure.
pub const PAEDIATRIC_VA_MARGIN_MMHG: f32 = 20.0;

/// The controller for a twin configuration: [`control_config`] with the minimum VA speed of
/// [`va_min_rpm`].
pub fn controller(config: &TwinConfig) -> Result<Controller, control::ConfigError> {
    Controller::with_va_min_rpm(control_config(config), va_min_rpm(config))
}

/// Controller commands onto the twin's actuators.
pub fn actuation(cmd: &ActuatorCommands) -> Actuation {
    Actuation {
        pump_rpm: cmd.pump_rpm as f64,
        return_clamp: if cmd.return_clamp_closed { 1.0 } else { 0.0 },
        sweep_lpm: cmd.sweep_lpm as f64,
        fdo2: cmd.fdo2 as f64,
        heater_c: cmd.heater_c as f64,
    }
}

/// The twin as the control cycle's plant: its sensor layer samples the latest observation;
/// the actuator commands become the actuation of the next twin steps.
struct TwinPlant {
    twin: Twin,
    sensors: SensorLayer,
    observation: Observation,
    actuation: Actuation,
}

impl ErrorType for TwinPlant {
    type Error = control::ErrorKind;
}

impl Plant for TwinPlant {
    fn sense(&mut self, now_ms: u64, frame: &mut SensorFrame) -> Result<(), Self::Error> {
        self.sensors.sample(now_ms, &self.observation, frame);
        Ok(())
    }
    fn actuate(&mut self, _now_ms: u64, commands: &ActuatorCommands) -> Result<(), Self::Error> {
        self.actuation = actuation(commands);
        Ok(())
    }
}

/// Twin, sensors and controller stepped together: the twin as the plant of a [`ControlLoop`].
pub struct Sil {
    plant: TwinPlant,
    control: ControlLoop,
}

impl Sil {
    /// Build from a twin configuration, with the twin's sensor suite (seeded from the
    /// configuration's seed) between the twin and the controller.
    pub fn new(config: &TwinConfig) -> Result<Sil, SilError> {
        Sil::with_sensors(config, SensorLayer::new(config.seed))
    }

    /// Build with a given sensor layer (e.g. [`SensorLayer::ideal`]).
    pub fn with_sensors(config: &TwinConfig, sensors: SensorLayer) -> Result<Sil, SilError> {
        let twin = Twin::new(config).map_err(SilError::Twin)?;
        let control = ControlLoop::with_controller(controller(config).map_err(SilError::Control)?);
        let observation = twin.observe();
        let mut sil = Sil {
            plant: TwinPlant {
                twin,
                sensors,
                observation,
                actuation: actuation(&ActuatorCommands::SAFE),
            },
            control,
        };
        // First control step at t = 0 so that outputs are defined before the twin moves.
        sil.control_step(0);
        Ok(sil)
    }

    /// Queue an operator command for the next control step, unchecked: the step's answer is
    /// in [`Sil::last_commands`] (at most [`control::MAX_COMMANDS_PER_STEP`] are taken per
    /// step; the rest wait their turn).
    pub fn command(&mut self, cmd: Command) {
        self.control.command(cmd);
    }

    /// Queue an operator command, answering at once what the controller will answer (CTL-8):
    /// for a console that must tell the operator immediately. See [`ControlLoop::submit`].
    pub fn submit(&mut self, cmd: Command) -> Result<(), control::CommandError> {
        self.control.submit(cmd)
    }

    /// The settings as they will be once the queued commands are taken.
    pub fn settings_ahead(&self) -> control::Settings {
        self.control.settings_ahead()
    }

    /// The commands the last step took from the queue, each with the controller's answer.
    pub fn last_commands(
        &self,
    ) -> impl Iterator<Item = (&Command, Result<(), control::CommandError>)> {
        self.control.last_commands()
    }

    /// Something happens to the patient or circuit.
    pub fn event(&mut self, event: &Event) -> Result<(), ConfigError> {
        self.plant.twin.apply(event)
    }

    /// A sensor fails, or is repaired ([`ChannelFault::None`]): something that happens to the
    /// plant's sensors, like [`Sil::event`] to the patient.
    pub fn set_sensor_fault(
        &mut self,
        ch: control::Channel,
        fault: ChannelFault,
    ) -> Result<(), ConfigError> {
        self.plant.sensors.set_fault(ch, fault)
    }

    /// Whether the operator interface sends its heartbeat (false simulates a frozen screen).
    pub fn set_ui_alive(&mut self, alive: bool) {
        self.control.set_ui_alive(alive);
    }

    /// Advance one control period: twin steps with the latest actuation, then sample and step
    /// the controller. Returns the controller's output.
    pub fn step(&mut self) -> &Output {
        for _ in 0..TWIN_STEPS_PER_CONTROL {
            self.plant.twin.step(&self.plant.actuation);
        }
        self.control_step(self.control.now_ms() + CONTROL_PERIOD_MS);
        self.control.output()
    }

    /// Advance by `seconds` of simulated time (whole control periods).
    pub fn run_for(&mut self, seconds: f64) {
        let n = (seconds * 1000.0 / CONTROL_PERIOD_MS as f64)
            .round()
            .max(0.0) as u64;
        for _ in 0..n {
            self.step();
        }
    }

    fn control_step(&mut self, now_ms: u64) {
        self.plant.observation = self.plant.twin.observe();
        self.control.cycle(now_ms, &mut self.plant);
    }

    /// Simulated time, ms (the controller's clock).
    pub fn now_ms(&self) -> u64 {
        self.control.now_ms()
    }
    /// The twin's truth at the last sample.
    pub fn observation(&self) -> &Observation {
        &self.plant.observation
    }
    /// What the controller saw at the last step.
    pub fn frame(&self) -> &SensorFrame {
        self.control.frame()
    }
    /// The controller's last output.
    pub fn output(&self) -> &Output {
        self.control.output()
    }
    /// The twin's actuation in force.
    pub fn actuation(&self) -> &Actuation {
        &self.plant.actuation
    }
    pub fn alarms(&self) -> &AlarmSystem {
        self.control.controller().alarms()
    }
    pub fn controller(&self) -> &Controller {
        self.control.controller()
    }
    pub fn twin(&self) -> &Twin {
        &self.plant.twin
    }
}
