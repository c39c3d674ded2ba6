//! Phases 1 and 2: timing (SYS-2), then plausibility of every channel (SEN-1..SEN-6) and the
//! filters the later phases read.

use super::{
    Controller, FLOW_FILTER_S, GAS_FILTER_S, MAP_FILTER_S, MONITOR_FILTER_S, PRESSURE_FILTER_S,
};
use crate::CONTROL_PERIOD_MS;
use crate::frame::{Channel, SensorFrame};

/// What phase 1 found.
#[derive(Clone, Copy, Debug)]
pub(super) struct Timing {
    /// Time of the controller's first step, ms.
    pub(super) start: u64,
    /// Time since the previous step, s (one period at the first step, at most 100 ms).
    pub(super) dt: f32,
    /// The clock jumped, a period was skipped, or the caller reported an overrun (SYS-2).
    pub(super) deadline_missed: bool,
}

/// What phase 2 found: the readings that passed plausibility (`None` otherwise), raw and
/// filtered, and the bubble detector.
#[derive(Clone, Copy, Debug)]
#[cfg_attr(test, derive(Default))]
pub(super) struct Measured {
    pub(super) flow: Option<f32>,
    pub(super) speed: Option<f32>,
    pub(super) pco2: Option<f32>,
    pub(super) battery: Option<f32>,
    /// Filtered for control (flow loop, interventions).
    pub(super) flow_f: Option<f32>,
    pub(super) p_drain_f: Option<f32>,
    pub(super) p_post_f: Option<f32>,
    /// Filtered slowly for monitoring (ΔP, pump curve).
    pub(super) p_pre_m: Option<f32>,
    pub(super) p_drain_m: Option<f32>,
    pub(super) dp_m: Option<f32>,
    pub(super) flow_m: Option<f32>,
    pub(super) speed_m: Option<f32>,
    /// Gas, saturation and temperature monitors, averaged before their limits.
    pub(super) po2: Option<f32>,
    pub(super) so2_post: Option<f32>,
    pub(super) sao2_up: Option<f32>,
    pub(super) temp: Option<f32>,
    /// Arterial pulse pressure of the last complete window, mmHg (MON-11).
    pub(super) pulse_pressure: Option<f32>,
    /// Mean arterial pressure, the arterial line filtered over [`MAP_FILTER_S`], mmHg (INT-6).
    pub(super) map: Option<f32>,
    /// Air at the detector now.
    pub(super) bubble_now: bool,
    /// The bubble detector is not reporting (invalid, stale or from the future).
    pub(super) bubble_fault: bool,
    /// Mains power reported lost.
    pub(super) on_battery: bool,
}

impl Controller {
    /// Phase 1 (SYS-2): the time since the last step; a clock that runs backwards or skips more
    /// than a period is a missed deadline, as is an overrun the caller reported.
    pub(super) fn timing(&mut self, now_ms: u64) -> Timing {
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
        Timing {
            start,
            dt: dt_ms as f32 * 1e-3,
            deadline_missed,
        }
    }

    /// Phase 2 (SEN-1..SEN-6): every channel through plausibility, the channels ever seen
    /// working, and the filters.
    pub(super) fn sense(&mut self, now_ms: u64, dt: f32, frame: &SensorFrame) -> Measured {
        let running = self.out_rpm > 500.0;
        self.plaus.check(now_ms, frame, running);
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
        let p_art = v(Channel::ArterialPressure);
        let bubble_fault = !frame.bubble.valid
            || now_ms.saturating_sub(frame.bubble.t_ms) > 200
            || frame.bubble.t_ms > now_ms;
        let bubble_now = frame.bubble.valid && frame.bubble.value;
        self.bubble_seen = bubble_now;
        Measured {
            flow,
            speed,
            pco2,
            battery,
            flow_f: self.flow_f.update(flow, dt, FLOW_FILTER_S),
            p_drain_f: self.p_drain_f.update(p_drain, dt, PRESSURE_FILTER_S),
            p_post_f: self.p_post_f.update(p_post, dt, PRESSURE_FILTER_S),
            p_pre_m: self.p_pre_m.update(p_pre, dt, MONITOR_FILTER_S),
            p_drain_m: self.p_drain_m.update(p_drain, dt, MONITOR_FILTER_S),
            dp_m: self.dp_m.update(dp, dt, MONITOR_FILTER_S),
            flow_m: self.flow_m.update(flow, dt, MONITOR_FILTER_S),
            speed_m: self.speed_m.update(speed, dt, MONITOR_FILTER_S),
            // Slow, noisy monitors (saturations ±1–1.5 %, PO2 ±3 %, temperature ±0.05 °C,
            // sampled about once a second) are averaged before they are compared with limits,
            // so that the noise does not reset an alarm's condition delay near the limit.
            po2: self.po2_f.update(po2, dt, GAS_FILTER_S),
            so2_post: self.so2_post_f.update(so2_post, dt, GAS_FILTER_S),
            sao2_up: self.sao2_up_f.update(sao2_up, dt, GAS_FILTER_S),
            temp: self.temp_f.update(temp, dt, GAS_FILTER_S),
            pulse_pressure: self.pulse.update(now_ms, p_art, dt),
            map: self.map_f.update(p_art, dt, MAP_FILTER_S),
            bubble_now,
            bubble_fault,
            on_battery: frame.mains_power.valid && !frame.mains_power.value,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::controller::Config;
    use crate::frame::{Flag, Reading};

    fn controller() -> Controller {
        match Controller::new(Config::default()) {
            Ok(c) => c,
            Err(e) => panic!("{e:?}"),
        }
    }

    /// SYS-2: a step up to two periods after the last is on time (one period may be late
    /// by its whole length), a later one missed its deadline; a clock going backwards is a
    /// missed deadline, the same time again is not. The period used is the real gap, at most
    /// 100 ms, and none when the clock went back.
    #[test]
    fn sys2_timing_at_its_edges() {
        let mut c = controller();
        let t = c.timing(1_000);
        assert!(!t.deadline_missed);
        assert_eq!(t.start, 1_000);
        assert!((t.dt - 0.01).abs() < 1e-6, "{}", t.dt);
        let t = c.timing(1_015);
        assert!(!t.deadline_missed);
        assert!((t.dt - 0.015).abs() < 1e-6);
        let t = c.timing(1_035);
        assert!(!t.deadline_missed, "exactly two periods");
        let t = c.timing(1_056);
        assert!(t.deadline_missed, "more than two periods");
        let t = c.timing(1_056);
        assert!(!t.deadline_missed, "the same time again");
        assert_eq!(t.dt, 0.0);
        let t = c.timing(1_050);
        assert!(t.deadline_missed, "backwards");
        assert_eq!(t.dt, 0.0);
        let t = c.timing(3_000);
        assert!(t.deadline_missed);
        assert!((t.dt - 0.1).abs() < 1e-6, "{}", t.dt);
        assert_eq!(t.start, 1_000);
        // An overrun the caller reported counts once, at the next step.
        c.report_step_duration(crate::STEP_DEADLINE_US + 1);
        assert!(c.timing(3_010).deadline_missed);
        assert!(!c.timing(3_020).deadline_missed);
    }

    /// SEN-6: the bubble detector is silent when its flag is invalid, older than 200 ms or
    /// stamped in the future; air is seen only on a valid flag. Mains power is lost only on
    /// a valid flag saying so.
    #[test]
    fn sen6_bubble_detector_and_mains_flags() {
        let now = 10_000;
        let sensed = |bubble: Flag, mains: Flag| {
            let mut c = controller();
            let mut f = SensorFrame::MISSING;
            f.bubble = bubble;
            f.mains_power = mains;
            c.sense(now, 0.01, &f)
        };
        let ok = Flag::new(true, now);
        let m = sensed(Flag::new(false, now - 200), ok);
        assert!(!m.bubble_fault && !m.bubble_now && !m.on_battery);
        assert!(sensed(Flag::new(false, now - 201), ok).bubble_fault);
        assert!(
            !sensed(Flag::new(false, now), ok).bubble_fault,
            "stamped now"
        );
        assert!(sensed(Flag::new(false, now + 1), ok).bubble_fault);
        let invalid = Flag {
            value: true,
            valid: false,
            t_ms: now,
        };
        let m = sensed(invalid, ok);
        assert!(m.bubble_fault && !m.bubble_now);
        assert!(sensed(Flag::new(true, now), ok).bubble_now);
        assert!(sensed(ok, Flag::new(false, now)).on_battery);
        let unknown = Flag {
            value: false,
            valid: false,
            t_ms: now,
        };
        assert!(!sensed(ok, unknown).on_battery);
    }

    /// SEN-3: a channel is checked for being stuck only while the pump runs above 500 rpm.
    #[test]
    fn sen3_stuck_only_while_the_pump_runs() {
        let stuck_after = |rpm: f32| {
            let mut c = controller();
            c.out_rpm = rpm;
            let mut f = SensorFrame::MISSING;
            for k in 0..700u64 {
                let t = 1_000 + k * 10;
                f.p_post_oxy = Reading::new(230.0, t);
                c.sense(t, 0.01, &f);
            }
            c.plaus.fault(crate::frame::Channel::PostOxyPressure)
        };
        assert_eq!(stuck_after(500.0), None);
        assert_eq!(stuck_after(501.0), Some(crate::plausibility::Fault::Stuck));
    }
}
