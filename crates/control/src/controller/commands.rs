//! Phase 3: operator commands (CTL-8). Each is validated against its permitted range and the
//! state it needs; a refused command changes nothing and says what and why.

use super::{CommandResults, Controller, MAX_COMMANDS_PER_STEP, sanitize};
use crate::MAX_RPM;
use crate::clamp_between;
use crate::command::{
    AlarmLimit, CircuitKind, Command, CommandError, GasMode, Intervention, Mode, Setting,
};
use crate::frame::Channel;

impl Controller {
    /// Phase 3: the step's commands in order, each answered; beyond
    /// [`MAX_COMMANDS_PER_STEP`] the rest are refused wholesale.
    pub(super) fn take_commands(&mut self, now_ms: u64, commands: &[Command]) -> CommandResults {
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
        results
    }

    /// Apply one operator command now. On error nothing changes (CTL-8). Only a step (phase 3),
    /// a preview or a restore before the first step call it: commands reach a running
    /// controller through the step's command slice alone.
    pub(crate) fn apply(&mut self, now_ms: u64, cmd: &Command) -> Result<(), CommandError> {
        match *cmd {
            Command::SetMode(m) => self.set_mode(m),
            Command::SetGasMode(g) => self.set_gas_mode(g),
            Command::SetCircuit(k) => {
                if self.settings.mode != Mode::Standby {
                    return Err(CommandError::NotAllowed {
                        reason: "the circuit configuration can only be changed in standby",
                    });
                }
                self.settings.circuit = k;
                self.config.circuit = k;
                Ok(())
            }
            Command::SetAlarmLimit { limit, value } => self.set_alarm_limit(limit, value),
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
            Command::RestartAfterBubble => self.restart_after_bubble(),
            _ => self.set_value(cmd),
        }
    }

    /// The commands that only set a value of the settings, each checked against its range.
    fn set_value(&mut self, cmd: &Command) -> Result<(), CommandError> {
        let s = &mut self.settings;
        match *cmd {
            Command::SetRpmTarget(v) => s.rpm_target = Setting::RpmTarget.check(v)?,
            Command::SetFlowTarget(v) => s.flow_target = Setting::FlowTarget.check(v)?,
            Command::SetSweep(v) => s.sweep_lpm = Setting::Sweep.check(v)?,
            Command::SetFdO2(v) => s.fdo2 = Setting::FdO2.check(v)?,
            Command::SetPco2Target(v) => s.pco2_target = Setting::Pco2Target.check(v)?,
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
            }
            Command::SetHeater(v) => s.heater_c = Setting::Heater.check(v)?,
            Command::SetReturnClamp(c) => s.return_clamp = c,
            Command::SetIntervention { which, enabled } => {
                if let Some(i) = s.interventions.get_mut(which.index()) {
                    i.enabled = enabled;
                }
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
            }
            // The others are answered by `apply`; none reaches here.
            _ => {}
        }
        Ok(())
    }

    /// Manual or automatic sweep (CTL-10): automatic needs a working PCO2 sensor and starts
    /// from the manual sweep; manual continues from where automatic left it (bumpless).
    fn set_gas_mode(&mut self, g: GasMode) -> Result<(), CommandError> {
        let s = &mut self.settings;
        if g == GasMode::AutoPco2 && s.gas_mode != GasMode::AutoPco2 {
            if self.plaus.value(Channel::PostOxyPco2).is_none() {
                return Err(CommandError::NotAllowed {
                    reason: "automatic sweep needs a working post-oxygenator PCO2 sensor",
                });
            }
            self.auto_sweep = clamp_between(s.sweep_lpm, s.sweep_min, s.sweep_max);
        }
        if g == GasMode::Manual && s.gas_mode == GasMode::AutoPco2 {
            // Bumpless: manual continues from where automatic left the sweep.
            s.sweep_lpm = self.auto_sweep;
        }
        s.gas_mode = g;
        Ok(())
    }

    /// An alarm limit, in range and, for a low/high pair, on the right side of the other.
    fn set_alarm_limit(&mut self, limit: AlarmLimit, value: f32) -> Result<(), CommandError> {
        let s = &mut self.settings;
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

    /// The deliberate restart after a bubble stop (INT-3): refused while air is at the
    /// detector; the pump starts again from standstill.
    fn restart_after_bubble(&mut self) -> Result<(), CommandError> {
        if !self.bubble_stop {
            return Err(CommandError::NotAllowed {
                reason: "the pump is not in a bubble stop",
            });
        }
        if self.bubble_seen {
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

    /// A mode change (CTL-2..CTL-5): flow modes need a working flow sensor, zero-flow a VA
    /// circuit; each change is bumpless.
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
            // Entering a closed-loop mode: the loop starts from the speed the pump runs at
            // (not from a lower target the VA minimum speed holds it above), expressed as the
            // base speed phase 7 turns into that very command: the reductions of INT-1/INT-2
            // in force are added back, since phase 7 takes them off again; in flow mode the
            // backflow boost (INT-4) is taken out, since phase 7 puts it on again, while
            // zero-flow mode drops the boost, so there the loop takes it over. Otherwise a
            // reduction or a boost would count twice.
            (_, Mode::Flow | Mode::ZeroFlow) => {
                let reductions = self.suction.reduction + self.kink.reduction;
                let boost = if m == Mode::Flow {
                    self.backflow_boost
                } else {
                    0.0
                };
                self.base_rpm = sanitize(self.out_rpm - boost + reductions, 0.0, MAX_RPM);
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
}
