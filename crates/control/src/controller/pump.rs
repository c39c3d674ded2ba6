//! Phases 4 to 7: what drives the pump and the return clamp. Bubble stop (INT-3), the
//! flow-sensor fallback (SEN-5), mode control (CTL-2..CTL-5), then the pressure interventions,
//! the VA floor and backflow boost (INT-1, INT-2, INT-4), the slewed speed command and the
//! clamp.

use super::filters::ReducerTuning;
use super::sense::Measured;
use super::{
    BACKFLOW_BOOST_DECAY_RPM_S, BACKFLOW_BOOST_MAX, BACKFLOW_BOOST_MS, BACKFLOW_BOOST_STEP,
    BACKFLOW_LPM, Controller, FLOW_FALLBACK_MS, FLOW_KI, FLOW_KP, FLOW_SLEW, KINK_BACKOFF_MS,
    KINK_HOLD_MS, KINK_HYST_MMHG, KINK_RETURN_RPM_S, KINK_STEP_MS, KINK_STEP_RPM, MIN_RUNNING_RPM,
    PUMP_FAIL_CLAMP_MS, RPM_SLEW_UP, SUCTION_BACKOFF_MS, SUCTION_HOLD_MS, SUCTION_HYST_MMHG,
    SUCTION_RETURN_RPM_S, SUCTION_STEP_MS, SUCTION_STEP_RPM, VA_FLOOR_MARGIN_MMHG,
    VA_FLOOR_MAX_RPM, ZERO_FLOW_TARGET, pump_lagging, sanitize,
};
use crate::MAX_RPM;
use crate::command::{CircuitKind, Intervention, Mode};

/// What phase 7 decided, for the monitoring phase.
#[derive(Clone, Copy, Debug)]
pub(super) struct Drive {
    /// A mode other than standby, and no bubble stop.
    pub(super) pumping: bool,
    /// The circuit is veno-arterial.
    pub(super) va: bool,
    /// The VA minimum speed or the backflow boost holds the speed up.
    pub(super) backflow_guard: bool,
    /// The minimum speed in force (see [`Controller::speed_floor`]), rpm.
    pub(super) floor: f32,
}

impl Controller {
    /// Phase 4 (INT-3): air at the detector stops the pump within this very step.
    pub(super) fn bubble_stop(&mut self, m: &Measured) {
        let bubble = self.settings.intervention(Intervention::Bubble);
        if bubble.enabled && m.bubble_now && self.settings.mode != Mode::Standby {
            self.bubble_stop = true;
        }
    }

    /// Phase 5 (SEN-5): flow and zero-flow modes need flow; a fault that persists
    /// [`FLOW_FALLBACK_MS`] falls back to RPM mode at the present speed.
    pub(super) fn flow_fallback(&mut self, now_ms: u64, flow: Option<f32>) {
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
    }

    /// Phase 6 (CTL-2..CTL-5): the mode's speed before interventions (`base_rpm`).
    pub(super) fn mode_control(&mut self, dt: f32, flow_f: Option<f32>) {
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
                if let Some(q) = flow_f {
                    self.flow_loop(dt, q);
                }
            }
        }
        if self.bubble_stop {
            self.base_rpm = 0.0;
        }
    }

    /// The flow loop (CTL-4, CTL-5): velocity-form PI on filtered flow `q`, rate-limited.
    fn flow_loop(&mut self, dt: f32, q: f32) {
        let zero = self.settings.mode == Mode::ZeroFlow;
        let target = if zero {
            ZERO_FLOW_TARGET
        } else {
            self.settings.flow_target
        };
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

    /// Phase 7 (INT-1, INT-2, INT-4): interventions on the base speed, the speed command and
    /// the return clamp.
    pub(super) fn drive_pump(&mut self, now_ms: u64, dt: f32, m: &Measured) -> Drive {
        let va = self.settings.circuit == CircuitKind::Va;
        let pumping = self.settings.mode != Mode::Standby && !self.bubble_stop;
        let floor = self.speed_floor(va, pumping, m.map);
        self.pressure_interventions(now_ms, dt, m, pumping, floor);
        self.backflow_boost(now_ms, dt, m.flow_f, va, pumping);
        let backflow_guard = self.speed_command(dt, va, pumping, floor);
        self.return_clamp(now_ms, m.speed, va, pumping, floor);
        Drive {
            pumping,
            va,
            backflow_guard,
            floor,
        }
    }

    /// The lowest speed while pumping: in VA the backflow guard's minimum (INT-4): the
    /// operator's minimum VA speed, raised to the speed that holds off the measured mean
    /// arterial pressure `map` (INT-6); otherwise the lowest running speed once the pump runs;
    /// 0 when not pumping.
    fn speed_floor(&self, va: bool, pumping: bool, map: Option<f32>) -> f32 {
        let va_floor = self.settings.intervention(Intervention::Backflow);
        let clamped_by_operator = self.settings.return_clamp;
        if va
            && va_floor.enabled
            && pumping
            && !clamped_by_operator
            && self.settings.mode != Mode::ZeroFlow
        {
            va_floor.limit.max(self.pressure_floor(map))
        } else if pumping && self.base_rpm >= MIN_RUNNING_RPM {
            MIN_RUNNING_RPM
        } else {
            0.0
        }
    }

    /// The speed that holds off the measured mean arterial pressure `map` with
    /// [`VA_FLOOR_MARGIN_MMHG`] to spare, on the configured pump's zero-flow head (INT-6), at
    /// most [`VA_FLOOR_MAX_RPM`]; 0 without a plausible arterial line (the operator's minimum
    /// then holds alone).
    pub(super) fn pressure_floor(&self, map: Option<f32>) -> f32 {
        map.and_then(|p| {
            self.config
                .pump
                .speed_for_shutoff_head(p + VA_FLOOR_MARGIN_MMHG)
        })
        .map_or(0.0, |n| sanitize(n, 0.0, VA_FLOOR_MAX_RPM))
    }

    /// Suction (INT-1) and return pressure (INT-2): stepwise reductions that keep the speed
    /// above `floor`.
    fn pressure_interventions(
        &mut self,
        now_ms: u64,
        dt: f32,
        m: &Measured,
        pumping: bool,
        floor: f32,
    ) {
        let max_red = (self.base_rpm - floor).max(0.0);
        let suction = self.settings.intervention(Intervention::Suction);
        if suction.enabled && pumping {
            if let Some(p) = m.p_drain_f {
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
            if let Some(p) = m.p_post_f {
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
    }

    /// Backflow boost (INT-4): measured retrograde flow raises the speed stepwise; it decays
    /// once the flow is forward again.
    fn backflow_boost(
        &mut self,
        now_ms: u64,
        dt: f32,
        flow_f: Option<f32>,
        va: bool,
        pumping: bool,
    ) {
        let va_floor = self.settings.intervention(Intervention::Backflow);
        let clamped_by_operator = self.settings.return_clamp;
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
    }

    /// The speed command (`out_rpm`): base less reductions, at least the floor, plus any
    /// backflow boost; increases slewed, decreases at once. Answers whether the backflow guard
    /// holds the speed up.
    fn speed_command(&mut self, dt: f32, va: bool, pumping: bool, floor: f32) -> bool {
        let mut backflow_guard = false;
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
        backflow_guard
    }

    /// The return clamp: closed in standby, on bubble stop, on operator request; in VA also
    /// while the measured speed is below the floor during spin-up, so that arterial pressure
    /// cannot drive blood backwards through a slow pump, and when the pump fails (INT-4).
    fn return_clamp(
        &mut self,
        now_ms: u64,
        speed: Option<f32>,
        va: bool,
        pumping: bool,
        floor: f32,
    ) {
        let va_floor = self.settings.intervention(Intervention::Backflow);
        let clamped_by_operator = self.settings.return_clamp;
        let guard_va = va && va_floor.enabled && pumping && !clamped_by_operator;
        let spin_up_va = guard_va
            && self.settings.mode != Mode::ZeroFlow
            && speed.unwrap_or(self.out_rpm).min(self.out_rpm) < 0.9 * floor
            && self.clamp_closed;
        // A pump that stops turning in VA (motor or drive failure) would let arterial pressure
        // run the circuit backwards: once the measured speed has lagged the command (see
        // `pump_lagging`) for PUMP_FAIL_CLAMP_MS, the clamp closes, and it opens again when the
        // speed has caught up (INT-4). In every pumping mode and at every speed: in zero-flow
        // mode below the lowest running speed the floor is 0 and the lag is judged on the
        // command alone, since a stopped pump there lets the arterial pressure drive blood
        // backwards as anywhere else.
        let failing = guard_va
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
    }
}

#[cfg(test)]
mod tests {
    use super::super::{Config, Controller, VA_FLOOR_MARGIN_MMHG, VA_FLOOR_MAX_RPM};
    use crate::command::{CircuitKind, Intervention, Mode, Setting};
    use crate::pump_curve::PumpCurve;

    fn va(min_rpm: f32) -> Controller {
        let config = Config {
            circuit: CircuitKind::Va,
            pump: PumpCurve::ROTAFLOW,
        };
        match Controller::with_va_min_rpm(config, min_rpm) {
            Ok(mut c) => {
                c.settings.mode = Mode::Rpm;
                c
            }
            Err(e) => panic!("{e:?}"),
        }
    }

    /// INT-6: the pressure floor is the speed whose zero-flow head exceeds the measured mean
    /// arterial pressure by the margin; none without a reading; capped at the setting's top.
    #[test]
    fn int6_pressure_floor_holds_off_the_measured_pressure() {
        let c = va(1000.0);
        assert_eq!(c.pressure_floor(None), 0.0);
        assert_eq!(c.pressure_floor(Some(f32::NAN)), 0.0);
        for map in [20.0f32, 48.0, 70.0, 110.0] {
            let n = c.pressure_floor(Some(map));
            let head = PumpCurve::ROTAFLOW.shutoff_head(n);
            assert!(
                (head - (map + VA_FLOOR_MARGIN_MMHG)).abs() < 0.5,
                "{map}: {n} rpm holds {head}"
            );
        }
        // A neonate's 48 mmHg needs about 1390 rpm, an adult's 70 about 1640; both below the
        // adult default of 2000, which a hypertensive 120 mmHg exceeds.
        assert!((1370.0..1410.0).contains(&c.pressure_floor(Some(48.0))));
        assert!((1620.0..1660.0).contains(&c.pressure_floor(Some(70.0))));
        assert!(c.pressure_floor(Some(120.0)) > 2000.0);
        assert_eq!(c.pressure_floor(Some(1000.0)), VA_FLOOR_MAX_RPM);
        assert_eq!(
            VA_FLOOR_MAX_RPM,
            Setting::InterventionLimit(Intervention::Backflow).range().1,
            "the cap is the top of the minimum VA speed's range"
        );
    }

    /// INT-4 with INT-6: the VA floor is the larger of the operator's minimum and the pressure
    /// floor; only in VA, only while pumping with the line open and not in zero-flow mode.
    #[test]
    fn int6_floor_is_the_larger_of_setting_and_pressure() {
        let adult = va(2000.0);
        assert_eq!(adult.speed_floor(true, true, None), 2000.0);
        assert_eq!(adult.speed_floor(true, true, Some(70.0)), 2000.0);
        let high = adult.speed_floor(true, true, Some(120.0));
        assert_eq!(high, adult.pressure_floor(Some(120.0)));
        assert!(high > 2000.0);
        let neo = va(1000.0);
        assert_eq!(neo.speed_floor(true, true, None), 1000.0);
        let at_48 = neo.speed_floor(true, true, Some(48.0));
        assert_eq!(at_48, neo.pressure_floor(Some(48.0)));
        assert_eq!(neo.speed_floor(true, false, Some(48.0)), 0.0, "not pumping");
        // VV: no arterial pressure across the pump; the lowest running speed once running.
        assert!(neo.speed_floor(false, true, Some(48.0)) <= 1000.0);
        let mut zero = va(1000.0);
        zero.settings.mode = Mode::ZeroFlow;
        assert!(zero.speed_floor(true, true, Some(48.0)) <= 1000.0);
        let mut clamped = va(1000.0);
        clamped.settings.return_clamp = true;
        assert!(clamped.speed_floor(true, true, Some(48.0)) <= 1000.0);
        let mut off = va(1000.0);
        if let Some(i) = off
            .settings
            .interventions
            .get_mut(Intervention::Backflow.index())
        {
            i.enabled = false;
        }
        assert!(off.speed_floor(true, true, Some(48.0)) <= 1000.0);
    }

    /// INT-6: the per-circuit minimum is validated against the setting's range, naming it.
    #[test]
    fn int6_per_circuit_minimum_is_validated() {
        let config = Config {
            circuit: CircuitKind::Va,
            pump: PumpCurve::ROTAFLOW,
        };
        let c = va(1550.0);
        assert_eq!(
            c.settings.intervention(Intervention::Backflow).limit,
            1550.0
        );
        for bad in [999.0f32, 3501.0, f32::NAN, f32::INFINITY, -1.0] {
            match Controller::with_va_min_rpm(config, bad) {
                Err(e) => assert_eq!(e.field, "backflow_min_rpm"),
                Ok(_) => panic!("{bad} accepted"),
            }
        }
        let bad_pump = Config {
            pump: PumpCurve {
                a: f32::NAN,
                ..PumpCurve::ROTAFLOW
            },
            ..config
        };
        assert!(Controller::with_va_min_rpm(bad_pump, 1500.0).is_err());
    }
}
