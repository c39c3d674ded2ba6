//! Phase 8: gas and heater (CTL-9..CTL-11), and the step's actuator commands, every number
//! finite and within its actuator's range (CTL-6).

use super::{Controller, SWEEP_K, SWEEP_MAX_RATE, sanitize};
use crate::ActuatorCommands;
use crate::clamp_between;
use crate::command::GasMode;

impl Controller {
    /// Phase 8: the sweep (manual, or automatic on the PCO2 error `pco2`, CTL-10), FdO2 and
    /// heater, with the speed and clamp phase 7 decided.
    pub(super) fn gas(&mut self, dt: f32, pco2: Option<f32>) -> ActuatorCommands {
        let s = &self.settings;
        let mut auto_at_limit = false;
        let sweep = match s.gas_mode {
            GasMode::Manual => s.sweep_lpm,
            GasMode::AutoPco2 => {
                if let Some(p) = pco2 {
                    let e = p - s.pco2_target;
                    let rate = (SWEEP_K * e).clamp(-SWEEP_MAX_RATE, SWEEP_MAX_RATE);
                    let next = self.auto_sweep + rate * dt;
                    let bounded = clamp_between(next, s.sweep_min, s.sweep_max);
                    auto_at_limit =
                        (bounded >= s.sweep_max && e > 2.0) || (bounded <= s.sweep_min && e < -2.0);
                    self.auto_sweep = bounded;
                }
                self.auto_sweep
            }
        };
        self.auto_sweep_at_limit = auto_at_limit;
        ActuatorCommands {
            pump_rpm: self.out_rpm,
            return_clamp_closed: self.clamp_closed,
            sweep_lpm: sanitize(sweep, 0.0, 12.0),
            fdo2: sanitize(s.fdo2, 0.21, 1.0),
            heater_c: sanitize(s.heater_c, 33.0, 39.0),
        }
    }
}
