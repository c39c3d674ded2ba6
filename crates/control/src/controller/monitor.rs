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
}
