//! # simunit — the simulated pump unit behind `ecmo device`
//!
//! What it is: the unit side of the hardware boundary (docs/protocol.md) with the digital twin
//! standing in for the patient, the circuit and the hardware. [`SimUnit`] is a
//! [`devlink::SensorSource`]: the unit end ([`devlink::UnitEndpoint`]) calls it at the sensor
//! rate with the setpoints its safety logic drives (DEV-1..DEV-7 live there, not here), and it
//!
//! 1. advances the twin ([`physio::Twin`]) by the wall-clock time since the last call, in the
//!    twin's own 2 ms steps, so the patient runs in real time;
//! 2. drives the twin's actuators through the unit's actuator dynamics: the return clamp
//!    travels at a finite speed ([`ClampDrive`]); the pump motor ramps at the twin's own
//!    acceleration limit (`physio::circuit::ACCEL_RPM_S`, not duplicated here); sweep, FdO2 and
//!    the heater take their setpoints;
//! 3. reads the twin through its sensor models ([`physio::sensors::SensorSuite`]: noise, sample
//!    and hold, range, resolution) and converts them to the protocol's channels
//!    ([`to_values`]), with the bubble detector, the clamp position, mains and battery as state
//!    flags.
//!
//! [`run`] (module `device`) is the `ecmo device` process: it listens on TCP or opens a serial
//! line, prints status lines, raises unit faults (mains lost, battery low) and takes twin
//! events on standard input.
//!
//! Invariants: nothing here changes a setpoint — the pump stops or the clamp closes only
//! because the safety logic in `protocol::safety` commands it (DEV-2, DEV-5); the twin never
//! runs ahead of the wall clock; catching up after a stall is bounded ([`MAX_CATCH_UP_MS`]).
//!
//! What it does not do: no control (the console's control core decides speeds), no protocol
//! handling (devlink), no persistence of setpoints across a restart of the process (`--start`
//! stands in for a unit restoring them, docs/protocol.md §8).

pub mod device;

pub use device::{DeviceOptions, run};

use devlink::{SensorSource, UnitSample};
use physio::sensors::{Channel, Readings, SensorSuite};
use physio::{Actuation, Event, Observation, Twin, TwinConfig};
use protocol::msg::state;
use protocol::{ClampState, SensorValues, Setpoints};
use std::sync::mpsc::{Receiver, Sender, channel};
use std::sync::{Arc, Mutex};

/// Longest stretch of wall-clock time the twin catches up in one call, ms. A unit process that
/// was stopped (debugger, SIGSTOP) for longer resumes from where it was rather than computing
/// minutes of patient in one sample period.
pub const MAX_CATCH_UP_MS: f64 = 2000.0;

/// Full-stroke travel time of the return-line clamp, ms. Design value \[A\]: a solenoid or
/// spring-driven tubing clamp closes in tens to a few hundred milliseconds; 150 ms is a
/// conservative middle. The control core's timing note (control::CONTROL_PERIOD_MS) assumes
/// "tens of ms"; the slower value here makes the twin's clamp a harder test, not an easier one.
pub const CLAMP_TRAVEL_MS: f64 = 150.0;

/// The return-line clamp as an actuator: its position (0 open .. 1 closed) moves towards the
/// commanded end at a constant rate, one full stroke in `travel_ms`.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct ClampDrive {
    pub position: f64,
    pub travel_ms: f64,
}

impl ClampDrive {
    pub fn new(closed: bool, travel_ms: f64) -> ClampDrive {
        ClampDrive {
            position: if closed { 1.0 } else { 0.0 },
            travel_ms: travel_ms.max(0.0),
        }
    }

    /// Moves for `dt_ms` towards `target` (0 open, 1 closed).
    pub fn step(&mut self, target: f64, dt_ms: f64) {
        let step = if self.travel_ms > 0.0 {
            dt_ms / self.travel_ms
        } else {
            1.0
        };
        let d = target - self.position;
        self.position += d.clamp(-step, step);
    }

    pub fn closed(&self) -> bool {
        self.position >= 1.0
    }

    pub fn moving(&self, target: f64) -> bool {
        self.position != target
    }
}

/// The twin's actuation for the setpoints, with the clamp where the clamp drive has it.
pub fn actuation(sp: &Setpoints, clamp_position: f64) -> Actuation {
    Actuation {
        pump_rpm: sp.pump_rpm as f64,
        return_clamp: clamp_position,
        sweep_lpm: sp.sweep_ml_min as f64 / 1000.0,
        fdo2: sp.fdo2_permille as f64 / 1000.0,
        heater_c: sp.heater_centi_c as f64 / 100.0,
    }
}

/// The setpoints a clinician would start the preset's circuit with
/// (`physio::presets::default_actuation`), in wire units; used by `ecmo device --start`.
pub fn cannulation_setpoints(config: &TwinConfig) -> Setpoints {
    let a = physio::presets::default_actuation(config);
    let r = |x: f64| (x + 0.5).max(0.0) as u16;
    Setpoints {
        pump_rpm: r(a.pump_rpm),
        clamp: if a.pump_rpm > 0.0 && a.return_clamp < 0.5 {
            ClampState::Open
        } else {
            ClampState::Closed
        },
        sweep_ml_min: r(a.sweep_lpm * 1000.0),
        fdo2_permille: r(a.fdo2 * 1000.0).max(210),
        heater_centi_c: r(a.heater_c * 100.0),
    }
}

/// Minutes of battery left at the nominal load of the twin's drive (`physio::circuit::BATTERY_S`
/// for a full charge).
pub fn battery_minutes(fraction: f64) -> f64 {
    fraction.clamp(0.0, 1.0) * physio::circuit::BATTERY_S / 60.0
}

/// Sensor readings as the protocol's channels (docs/protocol.md §5.6). The unit has one
/// blood temperature probe (return side, after the heater): `temp_pre_c` is not measured.
/// FdO2 is the blender's output (the twin's truth: a blender has no separate sensor here).
/// `bubble_ul` is the air that passed the return line during the sample period while the
/// detector sees air (`air_ul` counts only then: below the detector's sensitivity the unit
/// knows of no air, and the console must not learn of air the unit's DEV-2 logic did not see).
pub fn to_values(r: &Readings, obs: &Observation, air_ul: f64) -> SensorValues {
    let get = |ch: Channel, k: f64| {
        let x = r.get(ch);
        (x.valid && x.value.is_finite()).then_some((x.value * k) as f32)
    };
    let battery = get(Channel::Battery, 1.0);
    SensorValues {
        p_drainage_mmhg: get(Channel::DrainagePressure, 1.0),
        p_pre_oxy_mmhg: get(Channel::PreOxyPressure, 1.0),
        p_post_oxy_mmhg: get(Channel::PostOxyPressure, 1.0),
        flow_lpm: get(Channel::Flow, 1.0),
        speed_rpm: get(Channel::Speed, 1.0),
        so2_pre_pct: get(Channel::PreOxySo2, 100.0),
        so2_post_pct: get(Channel::PostOxySo2, 100.0),
        po2_post_mmhg: get(Channel::PostOxyPo2, 1.0),
        pco2_post_mmhg: get(Channel::PostOxyPco2, 1.0),
        hb_g_dl: get(Channel::Hb, 1.0),
        temp_pre_c: None,
        temp_post_c: get(Channel::Temperature, 1.0),
        bubble_ul: r
            .get(Channel::Bubble)
            .valid
            .then_some(air_ul.max(0.0) as f32),
        sweep_lpm: get(Channel::SweepFlow, 1.0),
        fdo2: obs.fdo2.is_finite().then_some(obs.fdo2 as f32),
        battery,
        battery_min: battery.map(|b| battery_minutes(b as f64) as f32),
    }
}

/// What the unit process shows and watches (status lines, faults), updated every sample.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct UnitView {
    /// Twin time, s.
    pub time_s: f64,
    /// True values (not the noisy readings): for the status line and the tests' checks.
    pub flow_lpm: f64,
    pub speed_rpm: f64,
    pub clamp_position: f64,
    pub mains: bool,
    pub battery: f64,
    pub air: bool,
    /// Twin steps taken so far.
    pub steps: u64,
    /// Samples taken so far.
    pub samples: u64,
}

/// The simulated unit's hardware: twin, sensors and actuator dynamics.
pub struct SimUnit {
    twin: Twin,
    suite: SensorSuite,
    clamp: ClampDrive,
    last_ms: Option<u64>,
    owed_ms: f64,
    air_ml: f64,
    events: Receiver<Event>,
    results: Sender<Result<Event, String>>,
    view: Arc<Mutex<UnitView>>,
}

/// The process's handles on a running [`SimUnit`]: send twin events, read the view.
pub struct SimHandle {
    pub events: Sender<Event>,
    /// The twin's answer to each event, in order.
    pub results: Receiver<Result<Event, String>>,
    pub view: Arc<Mutex<UnitView>>,
}

impl SimHandle {
    pub fn view(&self) -> UnitView {
        *self.view.lock().unwrap_or_else(|p| p.into_inner())
    }
}

impl SimUnit {
    /// A unit around a new twin for `config`, with the clamp at the `initial` setpoint's end and
    /// the suite's noise seeded from `config.seed`.
    pub fn new(
        config: &TwinConfig,
        initial: &Setpoints,
        clamp_travel_ms: f64,
    ) -> Result<(SimUnit, SimHandle), String> {
        let twin = Twin::new(config).map_err(|e| format!("{}: {}", e.field, e.message))?;
        let (etx, erx) = channel();
        let (rtx, rrx) = channel();
        let view = Arc::new(Mutex::new(UnitView::default()));
        let air_ml = twin.observe().air_to_patient_ml;
        Ok((
            SimUnit {
                twin,
                suite: SensorSuite::new(config.seed),
                clamp: ClampDrive::new(initial.clamp == ClampState::Closed, clamp_travel_ms),
                last_ms: None,
                owed_ms: 0.0,
                air_ml,
                events: erx,
                results: rtx,
                view: Arc::clone(&view),
            },
            SimHandle {
                events: etx,
                results: rrx,
                view,
            },
        ))
    }

    pub fn twin(&self) -> &Twin {
        &self.twin
    }

    /// Advances to `now_ms` (wall clock, ms) driving `sp`, then samples the sensors.
    pub fn advance_and_sample(&mut self, sp: &Setpoints, now_ms: u64) -> UnitSample {
        while let Ok(ev) = self.events.try_recv() {
            let r = self
                .twin
                .apply(&ev)
                .map(|()| ev)
                .map_err(|e| format!("{}: {}", e.field, e.message));
            let _ = self.results.send(r);
        }
        let elapsed = match self.last_ms {
            Some(prev) => now_ms.saturating_sub(prev) as f64,
            None => 0.0,
        };
        self.last_ms = Some(now_ms);
        self.owed_ms = (self.owed_ms + elapsed).min(MAX_CATCH_UP_MS);
        let dt_ms = Twin::DT_S * 1000.0;
        let target = if sp.clamp == ClampState::Closed {
            1.0
        } else {
            0.0
        };
        let mut steps = 0u64;
        while self.owed_ms >= dt_ms {
            self.owed_ms -= dt_ms;
            self.clamp.step(target, dt_ms);
            self.twin.step(&actuation(sp, self.clamp.position));
            steps += 1;
        }
        let obs = self.twin.observe();
        let readings = self.suite.sample(&obs);
        let bubble = readings.get(Channel::Bubble);
        let air = bubble.valid && bubble.value >= 0.5;
        let air_ul = if air {
            (obs.air_to_patient_ml - self.air_ml) * 1000.0
        } else {
            0.0
        };
        self.air_ml = obs.air_to_patient_ml;
        let mains = {
            let m = readings.get(Channel::MainsPower);
            if m.valid {
                m.value >= 0.5
            } else {
                obs.mains_power
            }
        };
        let mut st = 0;
        if self.clamp.closed() {
            st |= state::CLAMP_CLOSED;
        }
        if self.clamp.moving(target) {
            st |= state::CLAMP_MOVING;
        }
        st |= if mains {
            state::MAINS
        } else {
            state::ON_BATTERY
        };
        {
            let mut v = self.view.lock().unwrap_or_else(|p| p.into_inner());
            v.time_s = obs.time_s;
            v.flow_lpm = obs.circuit_flow_lpm;
            v.speed_rpm = obs.pump_speed_rpm;
            v.clamp_position = self.clamp.position;
            v.mains = mains;
            v.battery = obs.battery_fraction;
            v.air = air;
            v.steps += steps;
            v.samples += 1;
        }
        UnitSample {
            values: to_values(&readings, &obs, air_ul),
            air,
            state: st,
        }
    }
}

impl SensorSource for SimUnit {
    fn sample(&mut self, outputs: &Setpoints, now_ms: u64) -> UnitSample {
        self.advance_and_sample(outputs, now_ms)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ards() -> TwinConfig {
        physio::presets::preset("ards-severe").unwrap()
    }

    #[test]
    fn clamp_travels_at_its_rate_and_stops_at_the_ends() {
        let mut c = ClampDrive::new(false, 150.0);
        c.step(1.0, 75.0);
        assert!((c.position - 0.5).abs() < 1e-12);
        assert!(c.moving(1.0) && !c.closed());
        c.step(1.0, 100.0);
        assert!(c.closed() && !c.moving(1.0));
        c.step(0.0, 30.0);
        assert!((c.position - 0.8).abs() < 1e-12);
    }

    #[test]
    fn twin_follows_the_wall_clock_in_2_ms_steps() {
        let cfg = ards();
        let sp = cannulation_setpoints(&cfg);
        let (mut u, h) = SimUnit::new(&cfg, &sp, CLAMP_TRAVEL_MS).unwrap();
        u.advance_and_sample(&sp, 1000);
        for k in 1..=100u64 {
            u.advance_and_sample(&sp, 1000 + 10 * k);
        }
        let v = h.view();
        assert_eq!(v.steps, 500, "1 s of wall time is 500 twin steps");
        assert!((v.time_s - 1.0).abs() < 1e-9, "{}", v.time_s);
        // A stall longer than the catch-up bound is not replayed in full.
        u.advance_and_sample(&sp, 1000 + 1000 + 60_000);
        assert_eq!(h.view().steps, 500 + (MAX_CATCH_UP_MS / 2.0) as u64);
    }

    #[test]
    fn motor_ramps_and_flow_follows_through_the_sensor_models() {
        let cfg = ards();
        let sp = cannulation_setpoints(&cfg);
        assert!(sp.pump_rpm > 2000, "{sp:?}");
        let stopped = Setpoints {
            pump_rpm: 0,
            clamp: ClampState::Closed,
            ..sp
        };
        let (mut u, h) = SimUnit::new(&cfg, &stopped, CLAMP_TRAVEL_MS).unwrap();
        let mut t = 0;
        for _ in 0..100 {
            t += 10;
            u.advance_and_sample(&stopped, t);
        }
        assert!(h.view().flow_lpm.abs() < 0.3, "{:?}", h.view());
        // Start: the motor ramps at the twin's limit, so 0.5 s in it is well below target.
        for _ in 0..50 {
            t += 10;
            u.advance_and_sample(&sp, t);
        }
        let half = h.view();
        let limit = physio::circuit::ACCEL_RPM_S * 0.5;
        assert!(
            half.speed_rpm <= limit + 1.0 && half.speed_rpm > 0.5 * limit,
            "{half:?}"
        );
        assert_eq!(half.clamp_position, 0.0, "open within 150 ms");
        let mut last = UnitSample::default();
        for _ in 0..1000 {
            t += 10;
            last = u.advance_and_sample(&sp, t);
        }
        let v = h.view();
        assert!((v.speed_rpm - sp.pump_rpm as f64).abs() < 5.0, "{v:?}");
        assert!(v.flow_lpm > 3.0, "{v:?}");
        let measured = last.values.flow_lpm.expect("flow sensor valid");
        assert!(
            (measured as f64 - v.flow_lpm).abs() < 0.3,
            "{measured} vs {}",
            v.flow_lpm
        );
        assert!(last.values.speed_rpm.is_some() && last.values.p_drainage_mmhg.is_some());
        assert!(last.state & state::MAINS != 0 && last.state & state::CLAMP_CLOSED == 0);
        assert!(!last.air && last.values.bubble_ul == Some(0.0));
    }

    #[test]
    fn power_loss_runs_on_battery_and_events_are_answered() {
        let cfg = ards();
        let sp = cannulation_setpoints(&cfg);
        let (mut u, h) = SimUnit::new(&cfg, &sp, CLAMP_TRAVEL_MS).unwrap();
        h.events.send(Event::PowerLoss(true)).unwrap();
        h.events.send(Event::AirEntrainment(-1.0)).unwrap();
        let mut t = 0;
        let mut s = UnitSample::default();
        for _ in 0..300 {
            t += 10;
            s = u.advance_and_sample(&sp, t);
        }
        assert!(matches!(
            h.results.try_recv(),
            Ok(Ok(Event::PowerLoss(true)))
        ));
        let refused = h.results.try_recv().unwrap().unwrap_err();
        assert!(refused.contains("air"), "{refused}");
        assert!(
            s.state & state::ON_BATTERY != 0 && s.state & state::MAINS == 0,
            "{:#x}",
            s.state
        );
        assert!(!h.view().mains);
        let m = s.values.battery_min.expect("battery valid");
        assert!(m > 100.0 && m <= 120.0, "{m}");
    }

    #[test]
    fn air_in_the_drainage_line_reaches_the_detector() {
        let cfg = ards();
        let sp = cannulation_setpoints(&cfg);
        let (mut u, h) = SimUnit::new(&cfg, &sp, CLAMP_TRAVEL_MS).unwrap();
        let mut t = 0;
        for _ in 0..500 {
            t += 10;
            u.advance_and_sample(&sp, t);
        }
        h.events.send(Event::AirEntrainment(50.0)).unwrap();
        let mut seen = None;
        for _ in 0..3000 {
            t += 10;
            let s = u.advance_and_sample(&sp, t);
            if s.air {
                seen = Some(s);
                break;
            }
        }
        let s = seen.expect("the bubble detector sees the entrained air within 30 s");
        assert!(s.values.bubble_ul.is_some());
    }
}
