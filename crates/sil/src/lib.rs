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
//! Invariants: deterministic (the twin is, the controller is, the sensor layer is seeded);
//! the controller only ever sees the frame, never the truth; operator commands go through the
//! controller's validation like any console's.
//!
//! What it does not do: no wall clock, no threads, no I/O. Real-time pacing, recording and the
//! network belong to the console.

pub mod sensors;

use control::hal::{Actuators, ErrorType, SensorSource};
use control::{
    ActuatorCommands, AlarmSystem, CONTROL_PERIOD_MS, CircuitKind, Command, Controller, Output,
    PumpCurve, SensorFrame,
};
use physio::{Actuation, ConfigError, Event, Observation, Twin, TwinConfig};
pub use sensors::{ChannelFault, SensorError, SensorLayer};

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

/// The sensor side as the controller's HAL sees it: samples one observation.
struct Sampler<'a> {
    obs: &'a Observation,
    layer: &'a mut SensorLayer,
    ui_alive: bool,
}

impl ErrorType for Sampler<'_> {
    type Error = control::ErrorKind;
}

impl SensorSource for Sampler<'_> {
    fn read(&mut self, now_ms: u64, frame: &mut SensorFrame) -> Result<(), Self::Error> {
        self.layer.sample(now_ms, self.obs, frame);
        if self.ui_alive {
            frame.ui_heartbeat_ms = Some(now_ms);
        }
        Ok(())
    }
}

/// The actuator side: stores the command for the twin.
struct Latch<'a> {
    act: &'a mut Actuation,
}

impl ErrorType for Latch<'_> {
    type Error = control::ErrorKind;
}

impl Actuators for Latch<'_> {
    fn apply(&mut self, _now_ms: u64, commands: &ActuatorCommands) -> Result<(), Self::Error> {
        *self.act = actuation(commands);
        Ok(())
    }
}

/// Twin, sensors and controller stepped together.
pub struct Sil {
    twin: Twin,
    controller: Controller,
    sensors: SensorLayer,
    frame: SensorFrame,
    observation: Observation,
    output: Output,
    actuation: Actuation,
    pending: Vec<Command>,
    last_commands: Vec<Command>,
    now_ms: u64,
    ui_alive: bool,
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
        let controller = Controller::new(control_config(config)).map_err(SilError::Control)?;
        let observation = twin.observe();
        let mut sil = Sil {
            twin,
            controller,
            sensors,
            frame: SensorFrame::MISSING,
            observation,
            output: Output {
                actuators: ActuatorCommands::SAFE,
                mode: control::Mode::Standby,
                gas_mode: control::GasMode::Manual,
                status: control::Status::default(),
                alarms: AlarmSystem::new().summary(),
                command_results: [None; control::MAX_COMMANDS_PER_STEP],
            },
            actuation: actuation(&ActuatorCommands::SAFE),
            pending: Vec::new(),
            last_commands: Vec::new(),
            now_ms: 0,
            ui_alive: true,
        };
        // First control step at t = 0 so that outputs are defined before the twin moves.
        sil.control_step();
        Ok(sil)
    }

    /// Queue an operator command for the next control step (at most
    /// [`control::MAX_COMMANDS_PER_STEP`] are taken per step; the rest wait their turn).
    pub fn command(&mut self, cmd: Command) {
        self.pending.push(cmd);
    }

    /// Apply an operator command at once, answering whether the controller took it (CTL-8):
    /// for a console that must tell the operator immediately. It takes effect at the next step.
    pub fn command_now(&mut self, cmd: &Command) -> Result<(), control::CommandError> {
        self.controller.apply(self.now_ms, cmd)
    }

    /// The commands the last step took from the queue, each with the controller's answer.
    pub fn last_commands(
        &self,
    ) -> impl Iterator<Item = (&Command, Result<(), control::CommandError>)> {
        self.last_commands
            .iter()
            .zip(self.output.command_results.iter())
            .filter_map(|(c, r)| r.map(|r| (c, r)))
    }

    /// Something happens to the patient or circuit.
    pub fn event(&mut self, event: &Event) -> Result<(), ConfigError> {
        self.twin.apply(event)
    }

    /// Whether the operator interface sends its heartbeat (false simulates a frozen screen).
    pub fn set_ui_alive(&mut self, alive: bool) {
        self.ui_alive = alive;
    }

    /// Advance one control period: twin steps with the latest actuation, then sample and step
    /// the controller. Returns the controller's output.
    pub fn step(&mut self) -> &Output {
        for _ in 0..TWIN_STEPS_PER_CONTROL {
            self.twin.step(&self.actuation);
        }
        self.now_ms += CONTROL_PERIOD_MS;
        self.control_step();
        &self.output
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

    fn control_step(&mut self) {
        self.observation = self.twin.observe();
        let take = self.pending.len().min(control::MAX_COMMANDS_PER_STEP);
        self.last_commands.clear();
        self.last_commands.extend(self.pending.drain(..take));
        let mut sampler = Sampler {
            obs: &self.observation,
            layer: &mut self.sensors,
            ui_alive: self.ui_alive,
        };
        let mut latch = Latch {
            act: &mut self.actuation,
        };
        self.output = self.controller.cycle(
            self.now_ms,
            &mut sampler,
            &mut latch,
            &mut self.frame,
            &self.last_commands,
        );
    }

    /// Simulated time, ms (the controller's clock).
    pub fn now_ms(&self) -> u64 {
        self.now_ms
    }
    /// The twin's truth at the last sample.
    pub fn observation(&self) -> &Observation {
        &self.observation
    }
    /// What the controller saw at the last step.
    pub fn frame(&self) -> &SensorFrame {
        &self.frame
    }
    /// The controller's last output.
    pub fn output(&self) -> &Output {
        &self.output
    }
    /// The twin's actuation in force.
    pub fn actuation(&self) -> &Actuation {
        &self.actuation
    }
    pub fn alarms(&self) -> &AlarmSystem {
        self.controller.alarms()
    }
    pub fn controller(&self) -> &Controller {
        &self.controller
    }
    pub fn twin(&self) -> &Twin {
        &self.twin
    }
    pub fn sensors_mut(&mut self) -> &mut SensorLayer {
        &mut self.sensors
    }
}
