//! The one control cycle: a controller, the queue of operator commands it validates, and its
//! cycle against any [`Plant`] (the twin in [`crate::Sil`], a pump unit behind the device link
//! in the console's device engine).
//!
//! Operator commands enter only here, through the queue: [`ControlLoop::submit`] answers at
//! once what the controller would answer (a preview on a copy, `Controller::preview`) and
//! queues an accepted command; [`ControlLoop::cycle`] hands the controller at most
//! [`MAX_COMMANDS_PER_STEP`] of them per step, and the step validates each again against the
//! state it meets (CTL-8). Nothing else changes the controller's settings.

use control::hal::Plant;
use control::{
    ActuatorCommands, AlarmSystem, Command, CommandError, Controller, MAX_COMMANDS_PER_STEP,
    Output, SensorFrame, Settings,
};

/// Most commands waiting in the queue: a console sends a few per second and the loop takes
/// [`MAX_COMMANDS_PER_STEP`] per 10-ms step, so a full queue means the loop is not stepping (a
/// pump unit not yet linked); more are refused rather than kept without bound.
pub const MAX_QUEUED: usize = 64;

/// A controller, its command queue and what it last saw and answered.
#[derive(Clone, Debug)]
pub struct ControlLoop {
    controller: Controller,
    frame: SensorFrame,
    output: Output,
    pending: Vec<Command>,
    last_commands: Vec<Command>,
    now_ms: u64,
    ui_alive: bool,
}

impl ControlLoop {
    pub fn new(config: control::Config) -> Result<ControlLoop, control::ConfigError> {
        Ok(ControlLoop::with_controller(Controller::new(config)?))
    }

    /// A loop around a controller already built (e.g. [`crate::controller`], with the
    /// circuit's minimum VA speed).
    pub fn with_controller(controller: Controller) -> ControlLoop {
        ControlLoop {
            controller,
            frame: SensorFrame::MISSING,
            output: Output {
                actuators: ActuatorCommands::SAFE,
                mode: control::Mode::Standby,
                gas_mode: control::GasMode::Manual,
                status: control::Status::default(),
                alarms: AlarmSystem::new().summary(),
                command_results: [None; MAX_COMMANDS_PER_STEP],
            },
            pending: Vec::new(),
            last_commands: Vec::new(),
            now_ms: 0,
            ui_alive: true,
        }
    }

    /// Queue a command unchecked; the step's answer is in [`ControlLoop::last_commands`]. For
    /// scripted runs that queue their commands ahead (tests, the golden runs).
    pub fn command(&mut self, cmd: Command) {
        self.pending.push(cmd);
    }

    /// Queue a command if the controller would take it after those already queued, answering
    /// at once; a refused one is not queued and changes nothing (CTL-8). The step validates the
    /// command again: should the state change before it (a sensor failing), the step's answer
    /// in [`ControlLoop::last_commands`] says so.
    pub fn submit(&mut self, cmd: Command) -> Result<(), CommandError> {
        if self.pending.len() >= MAX_QUEUED {
            return Err(CommandError::TooManyCommands);
        }
        self.pending.push(cmd);
        match self.controller.preview(self.now_ms, &self.pending).1 {
            Some(Err(e)) => {
                self.pending.pop();
                Err(e)
            }
            _ => Ok(()),
        }
    }

    /// The settings as they will be once the queued commands are taken.
    pub fn settings_ahead(&self) -> Settings {
        self.controller.preview(self.now_ms, &self.pending).0
    }

    /// Takes over a pump unit that is already running (CTL-12), before the first cycle: the
    /// commands queued so far (settings restored from an earlier run) are taken first, then the
    /// unit's actuation is adopted over them.
    pub fn adopt(&mut self, running: &ActuatorCommands) -> Result<(), CommandError> {
        let queued = std::mem::take(&mut self.pending);
        for chunk in queued.chunks(MAX_COMMANDS_PER_STEP) {
            self.controller.restore(chunk)?;
        }
        self.controller.adopt(running)
    }

    /// Whether the operator interface proves it is alive (SYS-1): the frame carries the
    /// heartbeat at every cycle while it does.
    pub fn set_ui_alive(&mut self, alive: bool) {
        self.ui_alive = alive;
    }

    /// One control period at `now_ms` against `plant`: up to [`MAX_COMMANDS_PER_STEP`]
    /// queued commands, the plant's sensors, the step, the plant's actuators.
    pub fn cycle<P: Plant>(&mut self, now_ms: u64, plant: &mut P) -> &Output {
        self.now_ms = now_ms;
        let take = self.pending.len().min(MAX_COMMANDS_PER_STEP);
        self.last_commands.clear();
        self.last_commands.extend(self.pending.drain(..take));
        let mut plant = Heartbeat {
            plant,
            ui_alive: self.ui_alive,
        };
        self.output =
            self.controller
                .cycle(now_ms, &mut plant, &mut self.frame, &self.last_commands);
        &self.output
    }

    /// The commands the last cycle took from the queue, each with the controller's answer.
    pub fn last_commands(&self) -> impl Iterator<Item = (&Command, Result<(), CommandError>)> {
        self.last_commands
            .iter()
            .zip(self.output.command_results.iter())
            .filter_map(|(c, r)| r.map(|r| (c, r)))
    }

    /// Time of the last cycle, ms (the controller's clock).
    pub fn now_ms(&self) -> u64 {
        self.now_ms
    }
    /// What the controller saw at the last cycle.
    pub fn frame(&self) -> &SensorFrame {
        &self.frame
    }
    /// The controller's last output.
    pub fn output(&self) -> &Output {
        &self.output
    }
    pub fn controller(&self) -> &Controller {
        &self.controller
    }
}

/// The plant with the operator interface's heartbeat added to its frame: the heartbeat is the
/// console's, not the plant's (SYS-1).
struct Heartbeat<'a, P> {
    plant: &'a mut P,
    ui_alive: bool,
}

impl<P: Plant> control::hal::ErrorType for Heartbeat<'_, P> {
    type Error = P::Error;
}

impl<P: Plant> Plant for Heartbeat<'_, P> {
    fn sense(&mut self, now_ms: u64, frame: &mut SensorFrame) -> Result<(), Self::Error> {
        let r = self.plant.sense(now_ms, frame);
        if self.ui_alive {
            frame.ui_heartbeat_ms = Some(now_ms);
        }
        r
    }
    fn actuate(&mut self, now_ms: u64, commands: &ActuatorCommands) -> Result<(), Self::Error> {
        self.plant.actuate(now_ms, commands)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use control::{Mode, hal::ErrorType};

    /// A plant that reads nothing and takes everything.
    struct Still;
    impl ErrorType for Still {
        type Error = control::ErrorKind;
    }
    impl Plant for Still {
        fn sense(&mut self, _: u64, _: &mut SensorFrame) -> Result<(), Self::Error> {
            Ok(())
        }
        fn actuate(&mut self, _: u64, _: &ActuatorCommands) -> Result<(), Self::Error> {
            Ok(())
        }
    }

    /// CTL-8: an operator command is answered at once, takes effect only at the next step,
    /// and a refused one is never queued.
    #[test]
    fn commands_enter_only_through_the_queue() {
        let mut l = ControlLoop::new(control::Config::default()).unwrap();
        assert!(l.submit(Command::SetRpmTarget(9000.0)).is_err());
        assert_eq!(l.submit(Command::SetRpmTarget(3000.0)), Ok(()));
        assert_eq!(
            l.controller().settings().rpm_target,
            0.0,
            "not before the step"
        );
        assert_eq!(l.settings_ahead().rpm_target, 3000.0);
        // Checked against what is queued before it: 3.0 then a maximum below it.
        assert_eq!(l.submit(Command::SetSweep(3.0)), Ok(()));
        l.cycle(10, &mut Still);
        assert_eq!(l.controller().settings().rpm_target, 3000.0);
        assert_eq!(l.last_commands().count(), 2);
        assert!(l.last_commands().all(|(_, r)| r.is_ok()));
        for _ in 0..MAX_QUEUED {
            l.submit(Command::PauseAudio).unwrap();
        }
        assert_eq!(
            l.submit(Command::PauseAudio),
            Err(CommandError::TooManyCommands)
        );
        l.cycle(20, &mut Still);
        assert_eq!(l.last_commands().count(), MAX_COMMANDS_PER_STEP);
    }

    /// CTL-12: settings queued before a takeover are taken first; the unit's running state
    /// is adopted over them, and a restore after the first step is refused.
    #[test]
    fn a_takeover_takes_the_queued_settings_first() {
        let mut l = ControlLoop::new(control::Config::default()).unwrap();
        l.submit(Command::SetFdO2(0.6)).unwrap();
        l.submit(Command::SetMode(Mode::Rpm)).unwrap();
        let running = ActuatorCommands {
            pump_rpm: 3100.0,
            return_clamp_closed: false,
            sweep_lpm: 2.0,
            fdo2: 0.8,
            heater_c: 37.0,
        };
        l.adopt(&running).unwrap();
        let s = l.controller().settings();
        assert_eq!((s.mode, s.rpm_target, s.fdo2), (Mode::Rpm, 3100.0, 0.8));
        l.cycle(10, &mut Still);
        assert_eq!(l.last_commands().count(), 0, "nothing left in the queue");
        assert!(l.adopt(&running).is_err());
        let mut c = Controller::new(control::Config::default()).unwrap();
        c.step(0, &SensorFrame::MISSING, &[]);
        assert!(c.restore(&[Command::SetFdO2(0.5)]).is_err());
    }
}
