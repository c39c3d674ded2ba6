//! The unit-side safety rules (docs/protocol.md §8) as a plain state machine: no clock, no
//! I/O. The unit's firmware (or the simulated unit process) calls it with the time and what
//! its bubble detector sees, and drives the actuators towards [`UnitSafety::outputs`].
//!
//! - DEV-1: when the console's heartbeat is lost the unit keeps the last commanded setpoints
//!   and never stops the pump by itself.
//! - DEV-2: air at the return-line bubble detector stops the pump and closes the return clamp
//!   at once; the stop is latched until the console sends ClearAirStop while no air is seen.
//! - DEV-3: a command outside the hard limits is refused and changes nothing.
//! - DEV-4: while an air stop is latched, commands that would restart flow (speed > 0, clamp
//!   open) are refused; all others are applied.
//! - DEV-5: nothing else stops the pump or moves the clamp: not a lost link, a bad frame, a
//!   version mismatch nor a new session.
//! - DEV-6: commands are applied only inside a session (after an accepted Hello).
//! - DEV-7: a new session leaves the setpoints as they are; the HelloAck reports them so the
//!   console takes over without a bump.

use crate::msg::{AckResult, ClampState, Command, Setpoints, state};

/// Hard limits of the unit, enforced whatever the console says (DEV-3). The defaults are this
/// project's design values: speed covers the 0–5025 rpm of a Cardiohelp-class drive
/// (docs/references/consoles-and-standards.md) rounded down; sweep 0–15 L/min and FdO2
/// 21–100 % are the ranges of a common air/O2 blender; heater 30–39 °C keeps the return blood
/// below hyperthermia while allowing therapeutic cooling.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct HardLimits {
    pub rpm_max: u16,
    pub sweep_ml_min_max: u16,
    pub fdo2_permille_min: u16,
    pub fdo2_permille_max: u16,
    pub heater_centi_c_min: u16,
    pub heater_centi_c_max: u16,
}

impl Default for HardLimits {
    fn default() -> Self {
        HardLimits {
            rpm_max: 5000,
            sweep_ml_min_max: 15_000,
            fdo2_permille_min: 210,
            fdo2_permille_max: 1000,
            heater_centi_c_min: 3000,
            heater_centi_c_max: 3900,
        }
    }
}

impl HardLimits {
    /// DEV-3: whether `cmd` is inside the limits.
    pub fn allows(&self, cmd: &Command) -> bool {
        match *cmd {
            Command::SetPumpSpeed { rpm } => rpm <= self.rpm_max,
            Command::SetClamp(_) | Command::ClearAirStop => true,
            Command::SetGas {
                sweep_ml_min,
                fdo2_permille,
            } => {
                sweep_ml_min <= self.sweep_ml_min_max
                    && (self.fdo2_permille_min..=self.fdo2_permille_max).contains(&fdo2_permille)
            }
            Command::SetHeater { target_centi_c } => {
                target_centi_c == 0
                    || (self.heater_centi_c_min..=self.heater_centi_c_max).contains(&target_centi_c)
            }
        }
    }
}

/// The console link as the safety logic sees it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ConsoleLink {
    /// No session since power-up.
    Never,
    /// In session; last valid frame at `last_ms`.
    Alive { last_ms: u64 },
    /// Heartbeat timed out at `since_ms`; holding the last setpoints (DEV-1).
    Lost { since_ms: u64 },
}

/// Something the unit must report as a Fault frame.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SafetyEvent {
    ConsoleLost,
    ConsoleBack,
    AirStop,
    AirStopCleared,
}

/// Unit-side safety state.
#[derive(Debug, Clone, Copy)]
pub struct UnitSafety {
    limits: HardLimits,
    commanded: Setpoints,
    air_stop: bool,
    air_now: bool,
    link: ConsoleLink,
    timeout_ms: u64,
}

/// Power-up setpoints: pump stopped, clamp closed, gas off (21 % at 0 flow), heater off. The
/// console brings the circuit up with explicit commands.
pub const POWER_UP: Setpoints = Setpoints {
    pump_rpm: 0,
    clamp: ClampState::Closed,
    sweep_ml_min: 0,
    fdo2_permille: 210,
    heater_centi_c: 0,
};

impl UnitSafety {
    pub fn new(limits: HardLimits) -> Self {
        UnitSafety {
            limits,
            commanded: POWER_UP,
            air_stop: false,
            air_now: false,
            link: ConsoleLink::Never,
            timeout_ms: 500,
        }
    }

    /// A unit that restored `setpoints` at power-up from memory that survived a restart
    /// (docs/protocol.md §8: a unit restarting during therapy should resume what it drove).
    /// `None` when a setpoint is outside `limits` (DEV-3 holds for restored values too).
    pub fn restored(limits: HardLimits, setpoints: Setpoints) -> Option<Self> {
        let cmds = [
            Command::SetPumpSpeed {
                rpm: setpoints.pump_rpm,
            },
            Command::SetGas {
                sweep_ml_min: setpoints.sweep_ml_min,
                fdo2_permille: setpoints.fdo2_permille,
            },
            Command::SetHeater {
                target_centi_c: setpoints.heater_centi_c,
            },
        ];
        if !cmds.iter().all(|c| limits.allows(c)) {
            return None;
        }
        let mut s = UnitSafety::new(limits);
        s.commanded = setpoints;
        Some(s)
    }

    pub fn limits(&self) -> HardLimits {
        self.limits
    }

    pub fn link(&self) -> ConsoleLink {
        self.link
    }

    pub fn air_stop(&self) -> bool {
        self.air_stop
    }

    /// What the actuators must be driven to. Under a latched air stop this is pump 0 rpm and
    /// clamp closed whatever was commanded (DEV-2).
    pub fn outputs(&self) -> Setpoints {
        self.commanded
    }

    /// [`state`] flags owned by the safety logic (the caller adds clamp position, power, faults).
    pub fn state_flags(&self) -> u16 {
        let mut s = 0;
        match self.link {
            ConsoleLink::Never => {}
            ConsoleLink::Alive { .. } => s |= state::SESSION,
            ConsoleLink::Lost { .. } => s |= state::SESSION | state::CONSOLE_LOST,
        }
        if self.air_stop {
            s |= state::AIR_STOP;
        }
        if self.air_now {
            s |= state::AIR_DETECTED;
        }
        if self.commanded.heater_centi_c != 0 {
            s |= state::HEATER_ON;
        }
        s
    }

    /// A Hello was accepted at `now_ms` with heartbeat timeout `timeout_ms` (DEV-7: setpoints
    /// untouched).
    pub fn session_started(&mut self, now_ms: u64, timeout_ms: u16) -> Option<SafetyEvent> {
        self.timeout_ms = timeout_ms as u64;
        let was_lost = matches!(self.link, ConsoleLink::Lost { .. });
        self.link = ConsoleLink::Alive { last_ms: now_ms };
        was_lost.then_some(SafetyEvent::ConsoleBack)
    }

    /// Any frame accepted from the console in session (after CRC and sequence checks).
    pub fn console_frame(&mut self, now_ms: u64) -> Option<SafetyEvent> {
        match self.link {
            ConsoleLink::Never => None,
            ConsoleLink::Alive { .. } => {
                self.link = ConsoleLink::Alive { last_ms: now_ms };
                None
            }
            ConsoleLink::Lost { .. } => {
                self.link = ConsoleLink::Alive { last_ms: now_ms };
                Some(SafetyEvent::ConsoleBack)
            }
        }
    }

    /// Applies a console command (DEV-3, DEV-4, DEV-6). `Applied` means the new setpoint is
    /// in force on return.
    pub fn command(&mut self, cmd: Command) -> AckResult {
        if matches!(self.link, ConsoleLink::Never) {
            return AckResult::NoSession;
        }
        if !self.limits.allows(&cmd) {
            return AckResult::OutOfLimits;
        }
        match cmd {
            Command::SetPumpSpeed { rpm } => {
                if self.air_stop && rpm > 0 {
                    return AckResult::AirStopActive;
                }
                self.commanded.pump_rpm = rpm;
            }
            Command::SetClamp(c) => {
                if self.air_stop && c == ClampState::Open {
                    return AckResult::AirStopActive;
                }
                self.commanded.clamp = c;
            }
            Command::SetGas {
                sweep_ml_min,
                fdo2_permille,
            } => {
                self.commanded.sweep_ml_min = sweep_ml_min;
                self.commanded.fdo2_permille = fdo2_permille;
            }
            Command::SetHeater { target_centi_c } => self.commanded.heater_centi_c = target_centi_c,
            Command::ClearAirStop => {
                if self.air_now {
                    return AckResult::AirPresent;
                }
                self.air_stop = false;
            }
        }
        AckResult::Applied
    }

    /// Periodic update with the bubble detector's reading. Returns at most one event per call
    /// (air stop takes precedence; a console loss is reported on the next tick).
    pub fn tick(&mut self, now_ms: u64, air_detected: bool) -> Option<SafetyEvent> {
        self.air_now = air_detected;
        if air_detected && !self.air_stop {
            // DEV-2: the one condition on which the unit stops flow on its own. The commanded
            // state itself becomes "stopped", so clearing the latch never restarts the pump.
            self.air_stop = true;
            self.commanded.pump_rpm = 0;
            self.commanded.clamp = ClampState::Closed;
            return Some(SafetyEvent::AirStop);
        }
        match self.link {
            ConsoleLink::Alive { last_ms } if now_ms.saturating_sub(last_ms) > self.timeout_ms => {
                // DEV-1: note it, report it, change nothing else.
                self.link = ConsoleLink::Lost { since_ms: now_ms };
                Some(SafetyEvent::ConsoleLost)
            }
            _ => None,
        }
    }

    /// Acknowledges that the air stop was cleared (for callers that report ClearAirStop as a
    /// fault clearance); the latch itself is lifted by [`UnitSafety::command`].
    pub fn cleared_event(&self, before: bool) -> Option<SafetyEvent> {
        (before && !self.air_stop).then_some(SafetyEvent::AirStopCleared)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dev_3_restored_setpoints_inside_limits_only() {
        let sp = Setpoints {
            pump_rpm: 3200,
            clamp: ClampState::Open,
            sweep_ml_min: 4000,
            fdo2_permille: 1000,
            heater_centi_c: 3700,
        };
        let s = UnitSafety::restored(HardLimits::default(), sp).expect("inside limits");
        assert_eq!(s.outputs(), sp);
        assert_eq!(s.link(), ConsoleLink::Never);
        for bad in [
            Setpoints {
                pump_rpm: 5001,
                ..sp
            },
            Setpoints {
                fdo2_permille: 200,
                ..sp
            },
            Setpoints {
                heater_centi_c: 4000,
                ..sp
            },
        ] {
            assert!(UnitSafety::restored(HardLimits::default(), bad).is_none());
        }
    }

    /// Send `c` and check the answer.
    #[track_caller]
    fn answers(s: &mut UnitSafety, c: Command, want: AckResult) {
        assert_eq!(s.command(c), want);
    }

    /// Send `c` and check that it was applied.
    #[track_caller]
    fn applied(s: &mut UnitSafety, c: Command) {
        answers(s, c, AckResult::Applied);
    }

    fn running() -> UnitSafety {
        let mut s = UnitSafety::new(HardLimits::default());
        s.session_started(0, 500);
        applied(&mut s, Command::SetClamp(ClampState::Open));
        applied(&mut s, Command::SetPumpSpeed { rpm: 3500 });
        applied(
            &mut s,
            Command::SetGas {
                sweep_ml_min: 4000,
                fdo2_permille: 1000,
            },
        );
        s
    }

    /// DEV-1, DEV-5: a lost console changes nothing, for as long as it stays lost.
    #[test]
    fn dev1_lost_console_keeps_last_setpoints_forever() {
        let mut s = running();
        let before = s.outputs();
        assert_eq!(s.tick(400, false), None);
        assert_eq!(s.tick(501, false), Some(SafetyEvent::ConsoleLost));
        assert!(s.state_flags() & state::CONSOLE_LOST != 0);
        for t in (600..48 * 3600 * 1000u64).step_by(3_600_000) {
            assert_eq!(s.tick(t, false), None);
            assert_eq!(s.outputs(), before);
        }
        assert_eq!(s.outputs().pump_rpm, 3500);
        // The console comes back: reported, still nothing changed.
        assert_eq!(
            s.session_started(10_000_000, 500),
            Some(SafetyEvent::ConsoleBack)
        );
        assert_eq!(s.outputs(), before);
    }

    /// DEV-2: air stops and clamps at once, latched; clearing does not restart the pump.
    #[test]
    fn dev2_air_stops_and_clamps_latched() {
        let mut s = running();
        assert_eq!(s.tick(10, true), Some(SafetyEvent::AirStop));
        assert_eq!(s.outputs().pump_rpm, 0);
        assert_eq!(s.outputs().clamp, ClampState::Closed);
        // Air gone, latch stays.
        assert_eq!(s.tick(20, false), None);
        assert!(s.air_stop());
        // Also while the console is lost: air still stops (DEV-2 outranks DEV-1).
        let mut lost = running();
        lost.tick(1000, false);
        assert_eq!(lost.tick(1010, true), Some(SafetyEvent::AirStop));
        assert_eq!(lost.outputs().pump_rpm, 0);
    }

    /// DEV-4: no restart under the latch; ClearAirStop only without air.
    #[test]
    fn dev4_no_restart_while_air_stop_latched() {
        let mut s = running();
        s.tick(10, true);
        answers(
            &mut s,
            Command::SetPumpSpeed { rpm: 2000 },
            AckResult::AirStopActive,
        );
        answers(
            &mut s,
            Command::SetClamp(ClampState::Open),
            AckResult::AirStopActive,
        );
        applied(&mut s, Command::SetPumpSpeed { rpm: 0 });
        applied(
            &mut s,
            Command::SetGas {
                sweep_ml_min: 2000,
                fdo2_permille: 600,
            },
        );
        answers(&mut s, Command::ClearAirStop, AckResult::AirPresent);
        s.tick(20, false);
        let was = s.air_stop();
        applied(&mut s, Command::ClearAirStop);
        assert_eq!(s.cleared_event(was), Some(SafetyEvent::AirStopCleared));
        assert_eq!(s.outputs().pump_rpm, 0);
        applied(&mut s, Command::SetClamp(ClampState::Open));
        applied(&mut s, Command::SetPumpSpeed { rpm: 2000 });
    }

    /// DEV-3: out-of-limit commands are refused and change nothing.
    #[test]
    fn dev3_hard_limits_refuse_and_keep_state() {
        let mut s = running();
        let before = s.outputs();
        for cmd in [
            Command::SetPumpSpeed { rpm: 5001 },
            Command::SetPumpSpeed { rpm: u16::MAX },
            Command::SetGas {
                sweep_ml_min: 15_001,
                fdo2_permille: 500,
            },
            Command::SetGas {
                sweep_ml_min: 1000,
                fdo2_permille: 209,
            },
            Command::SetGas {
                sweep_ml_min: 1000,
                fdo2_permille: 1001,
            },
            Command::SetHeater {
                target_centi_c: 3901,
            },
            Command::SetHeater {
                target_centi_c: 2999,
            },
        ] {
            assert_eq!(s.command(cmd), AckResult::OutOfLimits, "{cmd:?}");
            assert_eq!(s.outputs(), before);
        }
        applied(&mut s, Command::SetPumpSpeed { rpm: 5000 });
        applied(&mut s, Command::SetHeater { target_centi_c: 0 });
    }

    /// DEV-6: no session, no commands.
    #[test]
    fn dev6_commands_need_a_session() {
        let mut s = UnitSafety::new(HardLimits::default());
        answers(
            &mut s,
            Command::SetPumpSpeed { rpm: 1000 },
            AckResult::NoSession,
        );
        assert_eq!(s.outputs(), POWER_UP);
        // Without a session there is no heartbeat to lose.
        assert_eq!(s.tick(1_000_000, false), None);
    }

    /// DEV-7: a new session (console restart) keeps the running setpoints.
    #[test]
    fn dev7_new_session_is_bumpless() {
        let mut s = running();
        let before = s.outputs();
        assert_eq!(s.session_started(100, 500), None);
        assert_eq!(s.outputs(), before);
    }
}
