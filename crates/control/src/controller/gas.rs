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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::controller::Config;

    fn auto(pco2_target: f32, sweep: f32) -> Controller {
        let mut c = match Controller::new(Config::default()) {
            Ok(c) => c,
            Err(e) => panic!("{e:?}"),
        };
        c.settings.gas_mode = GasMode::AutoPco2;
        c.settings.pco2_target = pco2_target;
        c.settings.sweep_min = 1.0;
        c.settings.sweep_max = 6.0;
        c.auto_sweep = sweep;
        c
    }

    /// CTL-10: the automatic sweep moves by 0.004 L/min per second and mmHg of PCO2 error
    /// (more PCO2, more sweep), at most 0.5 L/min per minute either way.
    #[test]
    fn ctl10_auto_sweep_rate_on_the_pco2_error() {
        let dt = 0.01;
        for (e, rate) in [
            (0.5, 0.002),
            (-0.5, -0.002),
            (10.0, 0.5 / 60.0),
            (-10.0, -0.5 / 60.0),
        ] {
            let mut c = auto(35.0, 3.0);
            let a = c.gas(dt, Some(35.0 + e));
            let expected = 3.0 + rate * dt;
            assert!(
                (a.sweep_lpm - expected).abs() < 1e-6,
                "{e}: {}",
                a.sweep_lpm
            );
            assert_eq!(c.auto_sweep, a.sweep_lpm);
            // The sensor gone: the sweep holds.
            let b = c.gas(dt, None);
            assert_eq!(b.sweep_lpm, a.sweep_lpm);
        }
    }

    /// CTL-10: "held at a bound" means at the bound with the PCO2 more than 2 mmHg on the
    /// far side of the target; exactly 2 mmHg, or short of the bound, is not.
    #[test]
    fn ctl10_at_limit_beyond_two_mmhg_at_the_bound() {
        let at = |sweep: f32, e: f32| {
            let mut c = auto(35.0, sweep);
            c.gas(0.01, Some(35.0 + e));
            c.auto_sweep_at_limit
        };
        assert!(at(6.0, 2.5));
        assert!(!at(6.0, 2.0));
        assert!(!at(5.0, 10.0), "short of the upper bound");
        assert!(!at(6.0, -10.0), "at the upper bound, PCO2 low: moving away");
        assert!(at(1.0, -2.5));
        assert!(!at(1.0, -2.0));
        assert!(!at(2.0, -10.0), "short of the lower bound");
        assert!(!at(1.0, 10.0), "at the lower bound, PCO2 high: moving away");
    }

    /// CTL-9, CTL-11: manual sweep, FdO2 and heater reach the actuators as set, with the
    /// speed and the clamp phase 7 decided.
    #[test]
    fn ctl9_ctl11_actuators_as_set() {
        let mut c = auto(35.0, 3.0);
        c.settings.gas_mode = GasMode::Manual;
        c.settings.sweep_lpm = 2.5;
        c.settings.fdo2 = 0.6;
        c.settings.heater_c = 36.5;
        c.out_rpm = 3210.0;
        c.clamp_closed = false;
        let a = c.gas(0.01, Some(80.0));
        let expected = ActuatorCommands {
            pump_rpm: 3210.0,
            return_clamp_closed: false,
            sweep_lpm: 2.5,
            fdo2: 0.6,
            heater_c: 36.5,
        };
        assert_eq!(a, expected);
        assert!(!c.auto_sweep_at_limit);
    }
}
