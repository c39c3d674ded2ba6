//! Phase 9: monitoring. Every condition of the alarm table is evaluated on this step's
//! readings and decisions (MON-1..MON-11, sensor faults SEN-1..SEN-6, SYS-1..SYS-3) and handed
//! to the alarm system (ALM-*), which applies delays, latching and acknowledgement.

use super::filters::Lp;
use super::pump::Drive;
use super::sense::{Measured, Timing};
use super::{
    BACKFLOW_ALARM_LPM, BATTERY_CRITICAL, Controller, GAS_ALARM_ARMING_MS, MIN_RUNNING_RPM,
    PO2_FALL_FRACTION, PO2_REF_TAU_S, ZERO_FLOW_BAND, pump_lagging,
};
use crate::UI_HEARTBEAT_TIMEOUT_MS;
use crate::alarm::{AlarmId, AlarmSet};
use crate::command::{AlarmLimit, Intervention, Mode};
use crate::frame::Channel;
use crate::plausibility::ChannelSet;

/// What phase 9 found besides the alarm conditions, for the step's status.
#[derive(Clone, Copy, Debug)]
pub(super) struct Monitored {
    /// The operator interface's heartbeat is lost (SYS-1).
    pub(super) ui_lost: bool,
    /// Channels failing plausibility.
    pub(super) faulty: ChannelSet,
}

impl Controller {
    /// Phase 9: every alarm condition into the alarm system. `heartbeat` is the frame's
    /// operator-interface heartbeat.
    pub(super) fn monitor(
        &mut self,
        now_ms: u64,
        timing: &Timing,
        m: &Measured,
        drive: &Drive,
        heartbeat: Option<u64>,
    ) -> Monitored {
        let mut c = AlarmSet::EMPTY;
        let circulating = drive.pumping && self.out_rpm >= MIN_RUNNING_RPM;
        self.circuit_conditions(m, drive, circulating, &mut c);
        self.resistance_trend(now_ms, m, circulating, &mut c);
        self.oxygenator_conditions(now_ms, timing.dt, m, circulating, &mut c);
        self.pump_conditions(m, drive, circulating, &mut c);
        self.patient_and_power_conditions(m, &mut c);
        self.pulsatility_condition(m, drive, circulating, &mut c);
        let faulty = self.sensor_conditions(now_ms, timing.start, m, &mut c);
        let ui_lost = self.system_conditions(now_ms, timing, heartbeat, &mut c);
        self.alarms.update(now_ms, c);
        Monitored { ui_lost, faulty }
    }

    /// Air (INT-3), suction and return pressure (INT-1, INT-2), backflow, flow limits and
    /// zero-flow deviation, high ΔP (MON-1, MON-2, MON-5).
    fn circuit_conditions(&self, m: &Measured, drive: &Drive, circulating: bool, c: &mut AlarmSet) {
        let s = &self.settings;
        let lim = |l: AlarmLimit| s.alarm_limit(l);
        if m.bubble_now {
            c.insert(AlarmId::Bubble);
        }
        if self.bubble_stop {
            // Stays present until the deliberate restart.
            c.insert(AlarmId::Bubble);
        }
        // Suction and return pressure: present while the pressure is beyond the limit or the
        // intervention still holds the speed down, so the operator learns of an episode the
        // intervention corrected within the condition delay.
        let suction = s.intervention(Intervention::Suction);
        let suction_beyond = m.p_drain_f.is_some_and(|p| p < suction.limit);
        if drive.pumping && (suction_beyond || self.suction.reduction > 0.0) {
            c.insert(AlarmId::Suction);
        }
        let kink = s.intervention(Intervention::ReturnPressure);
        let kink_beyond = m.p_post_f.is_some_and(|p| p > kink.limit);
        if drive.pumping && (kink_beyond || self.kink.reduction > 0.0) {
            c.insert(AlarmId::ReturnPressureHigh);
        }
        if let Some(q) = m.flow_f {
            if drive.va && !self.clamp_closed && q < BACKFLOW_ALARM_LPM {
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
        if let Some(d) = m.dp_m
            && d > lim(AlarmLimit::DeltaPHigh)
        {
            c.insert(AlarmId::DeltaPHigh);
        }
    }

    /// ΔP trend on resistance (MON-2).
    fn resistance_trend(&mut self, now_ms: u64, m: &Measured, circulating: bool, c: &mut AlarmSet) {
        let resistance = match (m.dp_m, m.flow_m) {
            (Some(d), Some(q)) if q > 0.5 && circulating => Some(d / q),
            _ => None,
        };
        self.trend.update(now_ms, resistance);
        if let (Some(rise), Some(q)) = (self.trend.rise_per_hour(), m.flow_m)
            && rise * q.max(0.0) > self.settings.alarm_limit(AlarmLimit::DeltaPRisePerHour)
        {
            c.insert(AlarmId::DeltaPRising);
        }
    }

    /// Oxygenator (MON-3): outlet saturation and PO2 limits, armed after the start-up period,
    /// and PO2/FdO2 falling against its slow reference.
    fn oxygenator_conditions(
        &mut self,
        now_ms: u64,
        dt: f32,
        m: &Measured,
        circulating: bool,
        c: &mut AlarmSet,
    ) {
        if circulating {
            self.circulating_since_ms.get_or_insert(now_ms);
        } else {
            self.circulating_since_ms = None;
        }
        let s = &self.settings;
        let gas_armed = self
            .circulating_since_ms
            .is_some_and(|s0| now_ms.saturating_sub(s0) >= GAS_ALARM_ARMING_MS);
        if gas_armed {
            let so2_low = m
                .so2_post
                .is_some_and(|x| x < s.alarm_limit(AlarmLimit::PostOxySo2Low));
            let po2_low = m
                .po2
                .is_some_and(|x| x < s.alarm_limit(AlarmLimit::PostOxyPo2Low));
            if so2_low || po2_low {
                c.insert(AlarmId::OxygenatorFailure);
            }
        }
        let ratio = m.po2.map(|p| p / s.fdo2.max(0.21));
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
    }

    /// The pump: measured flow against the pump curve (MON-4), a pump that stopped (MON-9).
    fn pump_conditions(&self, m: &Measured, drive: &Drive, circulating: bool, c: &mut AlarmSet) {
        if let (Some(n), Some(pi), Some(pd), Some(q)) =
            (m.speed_m, m.p_pre_m, m.p_drain_m, m.flow_m)
            && circulating
            && n > 1500.0
            && q > 1.0
            && let Some(qp) = self.config.pump.flow_at(n, pi - pd)
            && (qp - q).abs() > self.settings.alarm_limit(AlarmLimit::FlowMismatch)
        {
            c.insert(AlarmId::FlowSpeedMismatch);
        }
        if let Some(n) = m.speed
            && drive.pumping
            && self.out_rpm > MIN_RUNNING_RPM
            && pump_lagging(n, self.out_rpm, 0.0)
        {
            c.insert(AlarmId::PumpStopped);
        }
    }

    /// Temperature (MON-6), upper-body saturation (MON-7), power and battery (MON-8), the
    /// automatic sweep at its bound (CTL-10).
    fn patient_and_power_conditions(&self, m: &Measured, c: &mut AlarmSet) {
        let lim = |l: AlarmLimit| self.settings.alarm_limit(l);
        if let Some(t) = m.temp {
            if t < lim(AlarmLimit::TemperatureLow) {
                c.insert(AlarmId::TemperatureLow);
            }
            if t > lim(AlarmLimit::TemperatureHigh) {
                c.insert(AlarmId::TemperatureHigh);
            }
        }
        if let Some(x) = m.sao2_up
            && x < lim(AlarmLimit::SaO2UpperLow)
        {
            c.insert(AlarmId::SaO2UpperLow);
        }
        if m.on_battery {
            c.insert(AlarmId::MainsPowerLost);
        }
        if let Some(b) = m.battery {
            if m.on_battery && b < lim(AlarmLimit::BatteryLow) {
                c.insert(AlarmId::BatteryLow);
            }
            if m.on_battery && b < BATTERY_CRITICAL {
                c.insert(AlarmId::BatteryCritical);
            }
        }
        if self.auto_sweep_at_limit {
            c.insert(AlarmId::AutoSweepAtLimit);
        }
    }

    /// VA: arterial pulse pressure below its limit while the circuit flows (MON-11). A heart
    /// that does not open its aortic valve against the circuit's afterload leaves a flat
    /// arterial line; the blood in the LV and aortic root stagnates and the LV distends. On VV
    /// a flat line is cardiac arrest, which the patient monitor alarms, not this console; with
    /// no arterial line connected (a dropout, or a console without a patient-monitor input) the
    /// condition is not evaluated, and the channel raises no sensor fault until it has once
    /// worked.
    fn pulsatility_condition(
        &self,
        m: &Measured,
        drive: &Drive,
        circulating: bool,
        c: &mut AlarmSet,
    ) {
        if let Some(pp) = m.pulse_pressure
            && drive.va
            && circulating
            && pp < self.settings.alarm_limit(AlarmLimit::PulsePressureLow)
        {
            c.insert(AlarmId::PulsatilityLost);
        }
    }

    /// Sensor faults (SEN-1..SEN-6): essential channels always, others once seen working; none
    /// in the first second for channels not yet seen. Answers the faulty channels.
    fn sensor_conditions(
        &self,
        now_ms: u64,
        start: u64,
        m: &Measured,
        c: &mut AlarmSet,
    ) -> ChannelSet {
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
            // The arterial line belongs to the patient monitor, which alarms its own faults
            // (and it is interrupted on purpose for every blood sample and flush); here a bad
            // sample only suspends MON-11.
            if ch == Channel::ArterialPressure {
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
        if m.bubble_fault && !grace {
            c.insert(AlarmId::BubbleSensorFault);
        }
        faulty
    }

    /// The system itself: operator-interface heartbeat (SYS-1; the pump is untouched, only the
    /// alarm), missed deadline (SYS-2), acquisition and actuator failures (SYS-3). Answers
    /// whether the heartbeat is lost.
    fn system_conditions(
        &mut self,
        now_ms: u64,
        timing: &Timing,
        heartbeat: Option<u64>,
        c: &mut AlarmSet,
    ) -> bool {
        // The newest heartbeat ever reported counts: a frame without one does not reset it.
        if let Some(h) = heartbeat.filter(|&h| h <= now_ms) {
            self.last_heartbeat_ms = Some(self.last_heartbeat_ms.map_or(h, |l| l.max(h)));
        }
        let hb = self.last_heartbeat_ms.unwrap_or(timing.start);
        let ui_lost = now_ms.saturating_sub(hb) > UI_HEARTBEAT_TIMEOUT_MS;
        if ui_lost {
            c.insert(AlarmId::UiHeartbeatLost);
        }
        if timing.deadline_missed {
            c.insert(AlarmId::DeadlineMissed);
        }
        if self.acquisition_failed {
            c.insert(AlarmId::AcquisitionFault);
        }
        if self.actuator_failed.is_some() {
            c.insert(AlarmId::ActuatorFault);
        }
        ui_lost
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{CircuitKind, Config, PumpCurve};

    fn va_controller() -> Controller {
        match Controller::new(Config {
            circuit: CircuitKind::Va,
            pump: PumpCurve::ROTAFLOW,
        }) {
            Ok(c) => c,
            Err(e) => panic!("{e:?}"),
        }
    }

    /// MON-11 at its edges: a pulse pressure *below* the limit is the condition, one equal to
    /// it is not; only on VA, only while the circuit flows, and never without a reading.
    #[test]
    fn mon11_condition_below_the_limit_only_on_flowing_va() {
        let c = va_controller();
        let limit = c.settings.alarm_limit(AlarmLimit::PulsePressureLow);
        let drive = |va| Drive {
            pumping: true,
            va,
            backflow_guard: false,
            floor: 0.0,
        };
        let raised = |pp: Option<f32>, va: bool, circulating: bool| {
            let m = Measured {
                pulse_pressure: pp,
                ..Measured::default()
            };
            let mut set = AlarmSet::EMPTY;
            c.pulsatility_condition(&m, &drive(va), circulating, &mut set);
            set.contains(AlarmId::PulsatilityLost)
        };
        assert!(raised(Some(limit - 0.01), true, true));
        assert!(
            !raised(Some(limit), true, true),
            "at the limit is not below it"
        );
        assert!(!raised(Some(limit + 0.01), true, true));
        assert!(!raised(Some(0.0), false, true), "VV");
        assert!(!raised(Some(0.0), true, false), "not circulating");
        assert!(!raised(None, true, true), "no reading");
    }

    // ---- the limits of every condition at their edges (docs/control-mutants.md) ----------

    fn vv_controller() -> Controller {
        match Controller::new(Config::default()) {
            Ok(c) => c,
            Err(e) => panic!("{e:?}"),
        }
    }

    const PUMPING_VV: Drive = Drive {
        pumping: true,
        va: false,
        backflow_guard: false,
        // Not read by the monitoring conditions.
        floor: 0.0,
    };

    /// MON-2 over nine ten-minute buckets whose (ΔP, flow) `bucket(k)` gives: whether the
    /// last one raises "ΔP rising".
    fn trend_rises(bucket: impl Fn(u64) -> (f32, f32)) -> bool {
        let mut c = vv_controller();
        let mut set = AlarmSet::EMPTY;
        for k in 0..=8u64 {
            let (dp, q) = bucket(k);
            let m = Measured {
                dp_m: Some(dp),
                flow_m: Some(q),
                ..Measured::default()
            };
            set = AlarmSet::EMPTY;
            c.resistance_trend(1_000 + k * 600_000, &m, true, &mut set);
        }
        set.contains(AlarmId::DeltaPRising)
    }

    /// The alarm conditions `circuit_conditions` raises for `m`.
    fn circuit(c: &Controller, m: &Measured, drive: &Drive, circulating: bool) -> AlarmSet {
        let mut set = AlarmSet::EMPTY;
        c.circuit_conditions(m, drive, circulating, &mut set);
        set
    }

    /// INT-1, INT-2: suction and return-pressure alarms while the pressure is beyond its
    /// limit (not at it) or the intervention still holds the speed down; only while pumping.
    #[test]
    fn int1_int2_pressure_alarms_beyond_the_limit_or_while_reduced() {
        let mut c = vv_controller();
        let suction = c.settings.intervention(Intervention::Suction).limit;
        let kink = c.settings.intervention(Intervention::ReturnPressure).limit;
        let drain = |p: f32| Measured {
            p_drain_f: Some(p),
            ..Measured::default()
        };
        let post = |p: f32| Measured {
            p_post_f: Some(p),
            ..Measured::default()
        };
        let has = |c: &Controller, m: Measured, id: AlarmId, pumping: bool| {
            let d = Drive {
                pumping,
                ..PUMPING_VV
            };
            circuit(c, &m, &d, true).contains(id)
        };
        assert!(has(&c, drain(suction - 0.01), AlarmId::Suction, true));
        assert!(!has(&c, drain(suction), AlarmId::Suction, true));
        assert!(!has(&c, drain(suction + 0.01), AlarmId::Suction, true));
        assert!(!has(&c, drain(suction - 50.0), AlarmId::Suction, false));
        assert!(has(
            &c,
            post(kink + 0.01),
            AlarmId::ReturnPressureHigh,
            true
        ));
        assert!(!has(&c, post(kink), AlarmId::ReturnPressureHigh, true));
        assert!(!has(
            &c,
            post(kink - 0.01),
            AlarmId::ReturnPressureHigh,
            true
        ));
        assert!(!has(
            &c,
            post(kink + 50.0),
            AlarmId::ReturnPressureHigh,
            false
        ));
        // Pressure back inside, the intervention still holding the speed down.
        c.suction.reduction = 100.0;
        c.kink.reduction = 200.0;
        assert!(has(&c, drain(-40.0), AlarmId::Suction, true));
        assert!(has(&c, post(230.0), AlarmId::ReturnPressureHigh, true));
        assert!(!has(&c, drain(-40.0), AlarmId::Suction, false));
        assert!(!has(&c, post(230.0), AlarmId::ReturnPressureHigh, false));
    }

    /// INT-4, MON-5, MON-6, CTL-5, MON-1: backflow below −0.2 L/min on VA with the line open;
    /// low flow below its limit while circulating outside zero-flow mode; high flow above its
    /// limit; zero-flow deviation beyond ±0.2 L/min in zero-flow mode; ΔP above its limit.
    #[test]
    fn flow_and_pressure_limits_at_their_edges() {
        let mut c = vv_controller();
        let flow = |q: f32| Measured {
            flow_f: Some(q),
            ..Measured::default()
        };
        let va_open = Drive {
            va: true,
            ..PUMPING_VV
        };
        c.clamp_closed = false;
        assert!(circuit(&c, &flow(-0.21), &va_open, true).contains(AlarmId::Backflow));
        assert!(!circuit(&c, &flow(-0.2), &va_open, true).contains(AlarmId::Backflow));
        assert!(!circuit(&c, &flow(-0.21), &PUMPING_VV, true).contains(AlarmId::Backflow));
        c.clamp_closed = true;
        assert!(!circuit(&c, &flow(-0.21), &va_open, true).contains(AlarmId::Backflow));

        let low = c.settings.alarm_limit(AlarmLimit::FlowLow);
        let high = c.settings.alarm_limit(AlarmLimit::FlowHigh);
        let d = PUMPING_VV;
        assert!(circuit(&c, &flow(low - 0.01), &d, true).contains(AlarmId::FlowLow));
        assert!(!circuit(&c, &flow(low), &d, true).contains(AlarmId::FlowLow));
        assert!(!circuit(&c, &flow(low + 0.01), &d, true).contains(AlarmId::FlowLow));
        assert!(!circuit(&c, &flow(low - 0.01), &d, false).contains(AlarmId::FlowLow));
        assert!(circuit(&c, &flow(high + 0.01), &d, true).contains(AlarmId::FlowHigh));
        assert!(!circuit(&c, &flow(high), &d, true).contains(AlarmId::FlowHigh));
        assert!(!circuit(&c, &flow(high - 0.01), &d, true).contains(AlarmId::FlowHigh));
        for q in [-0.3, -0.2, 0.0, 0.1, 0.2, 0.3] {
            assert!(!circuit(&c, &flow(q), &d, true).contains(AlarmId::ZeroFlowDeviation));
        }
        c.settings.mode = Mode::ZeroFlow;
        assert!(!circuit(&c, &flow(low - 0.01), &d, true).contains(AlarmId::FlowLow));
        for (q, off) in [(-0.21, true), (-0.2, false), (0.0, false), (0.1, false)] {
            let set = circuit(&c, &flow(q), &d, true);
            assert_eq!(set.contains(AlarmId::ZeroFlowDeviation), off, "{q}");
        }
        for (q, off) in [(0.2, false), (0.21, true)] {
            let set = circuit(&c, &flow(q), &d, true);
            assert_eq!(set.contains(AlarmId::ZeroFlowDeviation), off, "{q}");
        }

        let dp_limit = c.settings.alarm_limit(AlarmLimit::DeltaPHigh);
        let dp = |d: f32| Measured {
            dp_m: Some(d),
            ..Measured::default()
        };
        assert!(circuit(&c, &dp(dp_limit + 0.01), &d, true).contains(AlarmId::DeltaPHigh));
        assert!(!circuit(&c, &dp(dp_limit), &d, true).contains(AlarmId::DeltaPHigh));
        assert!(!circuit(&c, &dp(dp_limit - 0.01), &d, true).contains(AlarmId::DeltaPHigh));
    }

    /// MON-3: the outlet SO2 and PO2 limits arm after 2 min of uninterrupted circulation;
    /// below either limit (not at it) alarms.
    #[test]
    fn mon3_gas_limits_arm_after_two_minutes_of_circulation() {
        let mut c = vv_controller();
        let so2 = c.settings.alarm_limit(AlarmLimit::PostOxySo2Low);
        let po2 = c.settings.alarm_limit(AlarmLimit::PostOxyPo2Low);
        let gas = |s: f32, p: f32| Measured {
            so2_post: Some(s),
            po2: Some(p),
            ..Measured::default()
        };
        let failing = |c: &mut Controller, now: u64, m: Measured, circulating: bool| {
            let mut set = AlarmSet::EMPTY;
            c.oxygenator_conditions(now, 0.01, &m, circulating, &mut set);
            set.contains(AlarmId::OxygenatorFailure)
        };
        let t0 = 5_000;
        assert!(!failing(&mut c, t0, gas(50.0, 50.0), true));
        assert!(!failing(&mut c, t0 + 119_999, gas(50.0, 50.0), true));
        let armed = t0 + 120_000;
        let check = |s: f32, p: f32| failing(&mut c.clone(), armed, gas(s, p), true);
        assert!(check(so2 - 0.01, 400.0));
        assert!(!check(so2, 400.0));
        assert!(check(99.0, po2 - 0.01));
        assert!(!check(99.0, po2));
        assert!(!check(99.0, 400.0));
        // Circulation interrupted: armed again only 2 min after it resumes.
        assert!(!failing(&mut c, armed + 10, gas(50.0, 50.0), false));
        assert!(!failing(&mut c, armed + 20, gas(50.0, 50.0), true));
        assert!(!failing(
            &mut c,
            armed + 20 + 119_999,
            gas(50.0, 50.0),
            true
        ));
        assert!(failing(&mut c, armed + 20 + 120_000, gas(50.0, 50.0), true));
    }

    /// MON-3: PO2/FdO2 below 60 % of its reference while circulating alarms; at 60 % it does
    /// not, nor with a reference of 100 or less (no working oxygenator to compare with), nor
    /// when the operator lowers FdO2 and PO2 follows it.
    #[test]
    fn mon3_po2_per_fdo2_falling_against_its_reference() {
        let mut c = vv_controller();
        let po2 = |p: f32| Measured {
            po2: Some(p),
            ..Measured::default()
        };
        let falling = |c: &mut Controller, now: u64, p: f32, circulating: bool| {
            let mut set = AlarmSet::EMPTY;
            c.oxygenator_conditions(now, 0.01, &po2(p), circulating, &mut set);
            set.contains(AlarmId::OxygenatorPerformanceFalling)
        };
        // Arm and set the reference (FdO2 1.0, PO2 450 → 450).
        c.settings.fdo2 = 1.0;
        assert!(!falling(&mut c, 0, 450.0, true));
        assert!(!falling(&mut c, 120_000, 450.0, true));
        let rf = c.po2_ref.y.unwrap_or(0.0);
        assert!((rf - 450.0).abs() < 1e-3, "{rf}");
        let at = |p: f32, circulating: bool| falling(&mut c.clone(), 120_010, p, circulating);
        assert!(at(0.6 * rf - 0.01, true));
        assert!(!at(0.6 * rf, true));
        assert!(!at(0.6 * rf - 0.01, false), "not circulating");
        // FdO2 halved, PO2 halved with it: the ratio holds.
        let mut half = c.clone();
        half.settings.fdo2 = 0.5;
        assert!(!falling(&mut half, 120_010, 225.0, true));
        assert!(falling(&mut half, 120_020, 0.6 * 225.0 - 1.0, true));
        // A reference of 100 or below does not arm the comparison.
        let mut low = c.clone();
        low.po2_ref.y = Some(100.0);
        assert!(!falling(&mut low, 120_010, 10.0, true));
        low.po2_ref.y = Some(100.01);
        assert!(falling(&mut low, 120_010, 10.0, true));
    }

    /// MON-4: measured flow that the pump curve at the measured speed and head cannot explain
    /// by more than the tolerance alarms; only while circulating above 1500 rpm and 1 L/min.
    #[test]
    fn mon4_flow_against_the_pump_curve_at_its_edges() {
        let mut c = vv_controller();
        // Head 40 mmHg: on the curve from 1500 rpm up (pre-oxygenator 0, drainage −40).
        let (pi, pd) = (0.0, -40.0);
        let curve = c.config.pump;
        let frame = |n: f32, q: f32| Measured {
            speed_m: Some(n),
            p_pre_m: Some(pi),
            p_drain_m: Some(pd),
            flow_m: Some(q),
            ..Measured::default()
        };
        let qp = |n: f32| curve.flow_at(n, pi - pd).unwrap_or(f32::NAN);
        let mismatch = |c: &Controller, n: f32, q: f32, circulating: bool| {
            let mut set = AlarmSet::EMPTY;
            c.pump_conditions(&frame(n, q), &PUMPING_VV, circulating, &mut set);
            set.contains(AlarmId::FlowSpeedMismatch)
        };
        assert!(qp(1500.0) > 0.0, "{}", qp(1500.0));
        let tol = c.settings.alarm_limit(AlarmLimit::FlowMismatch);
        let n = 3500.0;
        assert!(qp(n) > 3.0, "{}", qp(n));
        assert!(!mismatch(&c, n, qp(n), true));
        assert!(!mismatch(&c, n, qp(n) - 0.9 * tol, true));
        assert!(mismatch(&c, n, qp(n) - 1.1 * tol, true));
        assert!(mismatch(&c, n, qp(n) + 1.1 * tol, true));
        assert!(!mismatch(&c, n, qp(n) - 1.1 * tol, false));
        // Exactly the tolerance is not beyond it.
        let q = qp(n) - 1.5;
        c.settings.alarm_limits[AlarmLimit::FlowMismatch.index()] = (qp(n) - q).abs();
        assert!(!mismatch(&c, n, q, true));
        c.settings.alarm_limits[AlarmLimit::FlowMismatch.index()] = tol;
        // Speed and flow guards: at 1500 rpm or at 1 L/min the check is off.
        let n = 1500.0;
        let q = qp(n) + 2.0;
        assert!(!mismatch(&c, n, q, true));
        assert!(mismatch(&c, n + 1.0, qp(n + 1.0) + 2.0, true));
        let n = 3500.0;
        assert!(!mismatch(&c, n, 1.0, true));
        assert!(mismatch(&c, n, 1.01, true));
    }

    /// MON-9: a measured speed below 70 % of the command less 100 rpm alarms while pumping
    /// above the lowest running speed (not at it).
    #[test]
    fn mon9_pump_stopped_above_the_running_speed() {
        let mut c = vv_controller();
        let speed = |n: f32| Measured {
            speed: Some(n),
            ..Measured::default()
        };
        let stopped = |c: &Controller, n: f32, pumping: bool| {
            let mut set = AlarmSet::EMPTY;
            let d = Drive {
                pumping,
                ..PUMPING_VV
            };
            c.pump_conditions(&speed(n), &d, true, &mut set);
            set.contains(AlarmId::PumpStopped)
        };
        c.out_rpm = 3000.0;
        let edge = 0.7 * 3000.0 - 100.0;
        assert!(stopped(&c, edge - 1.0, true));
        assert!(!stopped(&c, edge, true));
        assert!(!stopped(&c, 0.0, false));
        c.out_rpm = MIN_RUNNING_RPM;
        assert!(!stopped(&c, 0.0, true));
        c.out_rpm = MIN_RUNNING_RPM + 1.0;
        assert!(stopped(&c, 0.0, true));
    }

    /// MON-6, MON-7, MON-8, MON-10: temperature outside its limits, upper-body SaO2 below its
    /// limit, battery below its limit or below 10 % on battery power, each at its edge.
    #[test]
    fn patient_and_power_limits_at_their_edges() {
        let c = vv_controller();
        let raised = |m: Measured| {
            let mut set = AlarmSet::EMPTY;
            c.patient_and_power_conditions(&m, &mut set);
            set
        };
        let lim = |l: AlarmLimit| c.settings.alarm_limit(l);
        let temp = |t: f32| {
            raised(Measured {
                temp: Some(t),
                ..Measured::default()
            })
        };
        let lo = lim(AlarmLimit::TemperatureLow);
        let hi = lim(AlarmLimit::TemperatureHigh);
        assert!(temp(lo - 0.01).contains(AlarmId::TemperatureLow));
        assert!(!temp(lo).contains(AlarmId::TemperatureLow));
        assert!(temp(hi + 0.01).contains(AlarmId::TemperatureHigh));
        assert!(!temp(hi).contains(AlarmId::TemperatureHigh));
        assert!(temp(37.0).is_empty());
        let sao2 = |x: f32| {
            raised(Measured {
                sao2_up: Some(x),
                ..Measured::default()
            })
            .contains(AlarmId::SaO2UpperLow)
        };
        let s = lim(AlarmLimit::SaO2UpperLow);
        assert!(sao2(s - 0.01));
        assert!(!sao2(s));
        assert!(!sao2(s + 0.01));
        let battery = |b: f32, on_battery: bool| {
            raised(Measured {
                battery: Some(b),
                on_battery,
                ..Measured::default()
            })
        };
        let b = lim(AlarmLimit::BatteryLow);
        assert!(battery(b - 0.01, true).contains(AlarmId::BatteryLow));
        assert!(!battery(b, true).contains(AlarmId::BatteryLow));
        assert!(!battery(b - 0.01, false).contains(AlarmId::BatteryLow));
        assert!(battery(0.099, true).contains(AlarmId::BatteryCritical));
        assert!(!battery(0.1, true).contains(AlarmId::BatteryCritical));
        assert!(!battery(0.05, false).contains(AlarmId::BatteryCritical));
        assert!(battery(0.05, false).is_empty(), "mains present");
        assert!(battery(0.9, true).contains(AlarmId::MainsPowerLost));
    }

    /// SEN-1..SEN-6: faulty essential channels alarm from the start of the second second,
    /// other channels only once they have worked; each channel under its own alarm; the
    /// arterial line never; a silent bubble detector after the first second.
    #[test]
    fn sensor_faults_by_channel_after_the_first_second() {
        let mut c = vv_controller();
        // Every channel dropped out.
        c.plaus
            .check(1_000, &crate::frame::SensorFrame::MISSING, false);
        assert!(c.plaus.faulty().contains(Channel::Flow));
        let raised = |c: &Controller, now: u64, m: &Measured| {
            let mut set = AlarmSet::EMPTY;
            let faulty = c.sensor_conditions(now, 0, m, &mut set);
            (set, faulty)
        };
        let m = Measured::default();
        let (set, faulty) = raised(&c, 999, &m);
        assert!(set.is_empty(), "{set:?}");
        assert_eq!(faulty, c.plaus.faulty());
        let (set, _) = raised(&c, 1_000, &m);
        assert!(set.contains(AlarmId::FlowSensorFault));
        assert!(set.contains(AlarmId::SpeedSensorFault));
        assert!(set.contains(AlarmId::PressureSensorFault));
        for id in [
            AlarmId::TemperatureSensorFault,
            AlarmId::BatterySensorFault,
            AlarmId::GasSensorFault,
        ] {
            assert!(!set.contains(id), "{id:?} never worked");
        }
        // Channels that once worked alarm, in the first second too; the arterial line never.
        for ch in [
            Channel::Temperature,
            Channel::Battery,
            Channel::PostOxyPo2,
            Channel::ArterialPressure,
            Channel::PreOxyPressure,
        ] {
            c.fitted.insert(ch);
        }
        for now in [500, 1_000] {
            let (set, _) = raised(&c, now, &m);
            for id in [
                AlarmId::TemperatureSensorFault,
                AlarmId::BatterySensorFault,
                AlarmId::GasSensorFault,
                AlarmId::PressureSensorFault,
            ] {
                assert!(set.contains(id), "{id:?} at {now}");
            }
        }
        let mut only_art = vv_controller();
        only_art.fitted.insert(Channel::ArterialPressure);
        let mut frame = crate::frame::SensorFrame::MISSING;
        frame.flow = crate::frame::Reading::new(4.0, 2_000);
        frame.pump_speed = crate::frame::Reading::new(3000.0, 2_000);
        frame.p_drainage = crate::frame::Reading::new(-40.0, 2_000);
        frame.p_post_oxy = crate::frame::Reading::new(230.0, 2_000);
        only_art.plaus.check(2_000, &frame, false);
        let (set, _) = raised(&only_art, 2_000, &m);
        assert!(set.is_empty(), "{set:?}");
        // A silent bubble detector after the grace second.
        let bubble = Measured {
            bubble_fault: true,
            ..Measured::default()
        };
        assert!(
            !raised(&only_art, 999, &bubble)
                .0
                .contains(AlarmId::BubbleSensorFault)
        );
        assert!(
            raised(&only_art, 1_000, &bubble)
                .0
                .contains(AlarmId::BubbleSensorFault)
        );
    }

    /// SYS-1: the heartbeat is lost more than 3 s after the newest one (not at 3 s); a
    /// heartbeat stamped in the future does not count.
    #[test]
    fn sys1_heartbeat_lost_after_three_seconds() {
        let mut c = vv_controller();
        let timing = Timing {
            start: 0,
            dt: 0.01,
            deadline_missed: false,
        };
        let lost = |c: &mut Controller, now: u64, hb: Option<u64>| {
            let mut set = AlarmSet::EMPTY;
            let l = c.system_conditions(now, &timing, hb, &mut set);
            assert_eq!(l, set.contains(AlarmId::UiHeartbeatLost));
            l
        };
        assert!(!lost(&mut c, 1_000, Some(1_000)));
        assert!(!lost(&mut c, 4_000, None));
        assert!(lost(&mut c, 4_001, None));
        // From the future: ignored, still lost.
        assert!(lost(&mut c, 4_002, Some(9_000)));
        assert!(!lost(&mut c, 4_003, Some(4_003)));
    }

    /// Circulating (MON-3's arming, MON-5, MON-11): pumping at the lowest running speed or
    /// above. The gas alarms' two minutes of arming start then.
    #[test]
    fn circulating_from_the_lowest_running_speed() {
        let timing = Timing {
            start: 0,
            dt: 0.01,
            deadline_missed: false,
        };
        let arming = |rpm: f32, pumping: bool| {
            let mut c = vv_controller();
            c.out_rpm = rpm;
            let d = Drive {
                pumping,
                ..PUMPING_VV
            };
            let m = Measured::default();
            c.monitor(5_000, &timing, &m, &d, Some(5_000));
            c.circulating_since_ms == Some(5_000)
        };
        assert!(arming(MIN_RUNNING_RPM, true));
        assert!(!arming(MIN_RUNNING_RPM - 1.0, true));
        assert!(!arming(MIN_RUNNING_RPM, false));
    }

    /// MON-2: the resistance trend is built only from samples taken while the circuit
    /// circulates at more than 0.5 L/min (ΔP/Q of a stopped or barely turning pump says
    /// nothing about the oxygenator); a flat resistance otherwise raises no trend alarm.
    #[test]
    fn mon2_trend_only_from_circulating_flow_above_half_a_litre() {
        let sample = |dp: f32, q: f32| Measured {
            dp_m: Some(dp),
            flow_m: Some(q),
            ..Measured::default()
        };
        let rising = |extra: &[(Measured, bool)]| {
            let mut c = vv_controller();
            let mut set = AlarmSet::EMPTY;
            // Eight 10-minute buckets of a flat 10 mmHg·min/L, five samples each; the
            // newest bucket also gets `extra`.
            for k in 0..8u64 {
                for i in 0..5u64 {
                    let now = 1_000 + k * 600_000 + i * 1_000;
                    c.resistance_trend(now, &sample(40.0, 4.0), true, &mut set);
                }
                if k == 7 {
                    for (m, circulating) in extra {
                        c.resistance_trend(1_000 + k * 600_000 + 9_000, m, *circulating, &mut set);
                    }
                }
            }
            let mut set = AlarmSet::EMPTY;
            c.resistance_trend(1_000 + 8 * 600_000, &sample(40.0, 4.0), true, &mut set);
            set.contains(AlarmId::DeltaPRising)
        };
        assert!(!rising(&[]));
        assert!(!rising(&[
            (sample(100.0, 0.5), true),
            (sample(100.0, 4.0), false)
        ]));
        assert!(
            rising(&[(sample(100.0, 0.51), true)]),
            "the extra sample counts"
        );
    }

    /// MON-2 follows the resistance ΔP/Q: a flow raised step by step over the hour with ΔP
    /// rising in proportion (the same oxygenator) is no trend; ΔP rising at constant flow is.
    #[test]
    fn mon2_trend_on_resistance_not_on_pressure() {
        let rising = |dp_rise_per_bucket: f32, q_rise_per_bucket: f32| {
            trend_rises(|k| {
                let q = 3.0 + q_rise_per_bucket * k as f32;
                (10.0 * q + dp_rise_per_bucket * k as f32, q)
            })
        };
        assert!(!rising(0.0, 0.0));
        assert!(!rising(0.0, 0.25), "flow and ΔP up together");
        assert!(rising(3.0, 0.0), "ΔP up 18 mmHg in an hour at 3 L/min");
    }

    /// MON-2 at its limit: a rise of resistance over the hour times the present flow equal
    /// to the limit (mmHg/h at the current flow) is not above it.
    #[test]
    fn mon2_trend_limit_at_its_edge() {
        let limit = vv_controller()
            .settings
            .alarm_limit(AlarmLimit::DeltaPRisePerHour);
        let q = 2.0;
        let rising =
            |newest_dp: f32| trend_rises(|k| (if k == 8 { newest_dp } else { 10.0 * q }, q));
        // Resistance 10 → 10 + limit/q: a rise of limit/q per hour, times q.
        let at = (10.0 + limit / q) * q;
        assert!(!rising(at));
        assert!(rising(at + 0.01));
    }
}
