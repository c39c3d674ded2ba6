//! Closed-loop tests: the real control core driving the digital twin, one test per
//! intervention and alarm, each with the timing its requirement demands. Flow and pressures
//! are pulsatile on the twin; where a requirement speaks of flow, it is judged on the one-second
//! mean of the true circuit flow (what the patient receives), not on the sensor.

use control::{AlarmId, Channel, Command, GasMode, Intervention, LogEvent, Mode};
use physio::presets::preset;
use physio::{Event, PatientParam};
use sil::{ChannelFault, SensorLayer, Sil};

/// A run on a preset with the pump started in RPM mode at `rpm` and run for `settle_s`.
fn start(name: &str, rpm: f32, sweep: f32, settle_s: f64) -> Sil {
    let cfg = preset(name).unwrap_or_else(|| panic!("preset {name}"));
    let mut s = Sil::new(&cfg).expect("sil builds");
    s.command(Command::SetRpmTarget(rpm));
    s.command(Command::SetSweep(sweep));
    s.command(Command::SetMode(Mode::Rpm));
    s.step();
    s.run_for(settle_s);
    assert_eq!(s.output().mode, Mode::Rpm);
    s
}

/// Queues RPM mode at `rpm` with a sweep of 4 L/min.
fn rpm_mode(s: &mut Sil, rpm: f32) {
    s.command(Command::SetRpmTarget(rpm));
    s.command(Command::SetSweep(4.0));
    s.command(Command::SetMode(Mode::Rpm));
}

/// Queues flow mode at `lpm`.
fn flow_mode(s: &mut Sil, lpm: f32) {
    s.command(Command::SetFlowTarget(lpm));
    s.command(Command::SetMode(Mode::Flow));
}

/// Mean of the true circuit flow over the next `seconds`, sampled every control step.
fn mean_flow(s: &mut Sil, seconds: f64) -> f64 {
    let n = (seconds * 100.0) as usize;
    let mut sum = 0.0;
    for _ in 0..n {
        s.step();
        sum += s.observation().circuit_flow_lpm;
    }
    sum / n as f64
}

fn signalled(s: &Sil, id: AlarmId) -> bool {
    s.output().alarms.signalled.contains(id)
}

/// Runs until alarm `id` is signalled, at most `max_s`; when it was, s after the start.
fn alarm_within(s: &mut Sil, max_s: f64, id: AlarmId) -> Option<f64> {
    until(s, max_s, |s| signalled(s, id))
}

/// How many suction alarms were raised since log sequence `seq0`.
fn suction_raised_since(s: &Sil, seq0: u64) -> usize {
    s.controller()
        .alarm_log()
        .since(seq0)
        .filter(|e| e.alarm == AlarmId::Suction && e.event == LogEvent::Raised)
        .count()
}

/// Lowest and highest of `xs`.
fn span(xs: &[f32]) -> (f32, f32) {
    xs.iter()
        .fold((f32::MAX, f32::MIN), |(l, h), &x| (l.min(x), h.max(x)))
}

/// Run until `pred` holds or `max_s` passes; returns the seconds it took.
fn until(s: &mut Sil, max_s: f64, mut pred: impl FnMut(&Sil) -> bool) -> Option<f64> {
    let t0 = s.now_ms();
    while s.now_ms() - t0 <= (max_s * 1000.0) as u64 {
        s.step();
        if pred(s) {
            return Some((s.now_ms() - t0) as f64 / 1000.0);
        }
    }
    None
}

/// CTL-1: 100 control steps per simulated second, five twin steps each.
#[test]
fn ctl1_control_and_twin_rates() {
    let mut s = start("ards-severe", 3000.0, 3.0, 0.0);
    let t_twin = s.twin().time_s();
    let t_ms = s.now_ms();
    s.run_for(1.0);
    assert_eq!(s.now_ms() - t_ms, 1000);
    assert!((s.twin().time_s() - t_twin - 1.0).abs() < 1e-9);
}

/// CTL-4: flow mode, 3 → 4.5 L/min step settles within 10 s to ±2 % with ≤ 5 % overshoot.
#[test]
fn ctl4_flow_step_3_to_4_5_settles_in_10s() {
    flow_step(false);
}

/// CTL-4 through the twin's sensor suite (noise, sample-and-hold, resolution on every
/// channel): the same settling and overshoot.
#[test]
fn ctl4_flow_step_with_sensor_noise() {
    flow_step(true);
}

fn flow_step(noise: bool) {
    let cfg = preset("ards-severe").unwrap();
    let sensors = if noise {
        SensorLayer::new(7)
    } else {
        SensorLayer::ideal()
    };
    let mut s = Sil::with_sensors(&cfg, sensors).unwrap();
    rpm_mode(&mut s, 2500.0);
    s.run_for(5.0);
    flow_mode(&mut s, 3.0);
    s.run_for(60.0);
    let before = mean_flow(&mut s, 2.0);
    assert!(
        (before - 3.0).abs() < 0.06,
        "flow mode holds 3 L/min: {before}"
    );
    s.command(Command::SetFlowTarget(4.5));
    // One-second means over 40 s.
    let means: Vec<f64> = (0..40).map(|_| mean_flow(&mut s, 1.0)).collect();
    let peak = means.iter().cloned().fold(f64::MIN, f64::max);
    let settle = means
        .iter()
        .rposition(|m| (m - 4.5).abs() > 0.09)
        .map_or(0, |i| i + 1);
    eprintln!(
        "flow step (noise {noise}): peak of 1 s means {peak:.3} L/min ({:+.1} %), within ±2 % from {settle} s",
        (peak / 4.5 - 1.0) * 100.0
    );
    assert!(peak <= 4.5 * 1.05, "overshoot: peak {peak:.3} ({means:?})");
    for (i, m) in means.iter().enumerate().skip(10) {
        assert!(
            (m - 4.5).abs() <= 0.09,
            "not settled at {}..{} s: {m:.3} ({means:?})",
            i,
            i + 1
        );
    }
    assert_eq!(s.output().mode, Mode::Flow);
}

/// CTL-5: zero-flow mode on femoral VA holds net flow at 0 ± 0.2 L/min, no backflow.
#[test]
fn ctl5_zero_flow_va_holds_net_flow_near_zero() {
    let mut s = start("cardiogenic-shock", 3600.0, 3.0, 20.0);
    s.command(Command::SetMode(Mode::ZeroFlow));
    assert!(until(&mut s, 30.0, |s| s.output().mode == Mode::ZeroFlow).is_some());
    s.run_for(30.0);
    for _ in 0..60 {
        let m = mean_flow(&mut s, 1.0);
        assert!(m.abs() <= 0.2, "net flow {m:.3}");
        // No sustained backflow: no 1-s mean below half the controller's own backflow
        // threshold (-0.1 L/min, INT-4); measured, the least is +0.07 L/min.
        assert!(m > -0.05, "backflow {m:.3}");
    }
    assert!(!signalled(&s, AlarmId::Backflow));
}

/// CTL-10: automatic sweep brings post-oxygenator PCO2 to a new target slowly and holds it
/// when the patient's CO2 production rises.
#[test]
fn ctl10_auto_sweep_holds_post_oxy_pco2() {
    let mut s = start("ards-severe", 3200.0, 4.0, 60.0);
    let p0 = s.observation().post_oxy.pco2_mmhg as f32;
    let target = (p0 + 5.0).clamp(25.0, 55.0);
    s.command(Command::SetSweepBounds {
        min: 0.5,
        max: 10.0,
    });
    s.command(Command::SetPco2Target(target));
    s.command(Command::SetGasMode(GasMode::AutoPco2));
    s.step();
    assert_eq!(s.output().gas_mode, GasMode::AutoPco2);
    let mut last_sweep = s.output().actuators.sweep_lpm;
    let mut worst_rate = 0.0f32;
    for _ in 0..(20 * 60) {
        s.run_for(1.0);
        let sw = s.output().actuators.sweep_lpm;
        worst_rate = worst_rate.max((sw - last_sweep).abs() * 60.0);
        last_sweep = sw;
    }
    assert!(
        worst_rate <= 0.5 + 1e-3,
        "sweep moved {worst_rate} L/min per min"
    );
    let p = s.observation().post_oxy.pco2_mmhg as f32;
    assert!((p - target).abs() < 2.0, "PCO2 {p} vs target {target}");
    // More CO2 production (VO2 up 30 %): the loop follows.
    let vo2 = s.twin().patient().vo2_ml_kg_min * 1.3;
    s.event(&Event::SetPatient(PatientParam::Vo2, vo2)).unwrap();
    s.run_for(20.0 * 60.0);
    let p = s.observation().post_oxy.pco2_mmhg as f32;
    assert!(
        (p - target).abs() < 2.5,
        "PCO2 {p} vs target {target} after VO2 rise"
    );
}

/// INT-1: on a hypovolaemic patient the suction intervention brings the drainage pressure back
/// above the limit within seconds and does not oscillate; with it off the suction persists.
#[test]
fn int1_suction_on_hypovolaemic_patient_recovers_without_oscillation() {
    // Without the intervention: suction persists (shows the test can fail).
    let cfg = preset("hypovolaemia").unwrap();
    let mut off = Sil::new(&cfg).unwrap();
    off.command(Command::SetIntervention {
        which: Intervention::Suction,
        enabled: false,
    });
    off.command(Command::SetRpmTarget(4500.0));
    off.command(Command::SetSweep(4.0));
    off.command(Command::SetMode(Mode::Rpm));
    off.run_for(60.0);
    assert!(
        signalled(&off, AlarmId::Suction),
        "hypovolaemia at 4500 rpm sucks"
    );
    assert!(off.observation().p_drainage_mmhg < -150.0);

    let mut s = Sil::new(&cfg).unwrap();
    rpm_mode(&mut s, 4500.0);
    let first = until(&mut s, 60.0, |s| {
        s.output().status.suction_reduction_rpm > 0.0
    })
    .expect("suction intervention engages");
    // Recovers: drainage pressure above the limit within 10 s of the first reduction.
    let rec = until(&mut s, 10.0, |s| s.observation().p_drainage_mmhg > -100.0);
    assert!(
        rec.is_some(),
        "drainage pressure recovers (first reduction at {first} s)"
    );
    // Ten minutes: few suction episodes, speed settles (no sustained oscillation).
    let seq0 = s.controller().alarm_log().next_seq();
    let mut speeds = Vec::new();
    for _ in 0..600 {
        s.run_for(1.0);
        speeds.push(s.output().actuators.pump_rpm);
    }
    let raised = suction_raised_since(&s, seq0);
    assert!(raised <= 3, "{raised} suction episodes in 10 min");
    let (lo, hi) = span(&speeds[300..]);
    assert!(
        hi - lo <= 300.0,
        "speed swings {lo}..{hi} in the last 5 min"
    );
    let sucking = (0..100).filter(|_| {
        s.step();
        s.observation().p_drainage_mmhg < -100.0
    });
    assert!(sucking.count() < 20, "still sucking most of the time");
}

/// INT-2: a return-line kink raises post-oxygenator pressure; the intervention reduces speed
/// within a second and brings the pressure back near the limit within 10 s; the speed returns
/// after the kink is released.
#[test]
fn int2_return_kink_reduces_speed() {
    let mut s = start("ards-severe", 3600.0, 4.0, 30.0);
    let p_before = s.observation().p_post_oxy_mmhg;
    assert!(p_before < 330.0, "baseline post-oxy pressure {p_before}");
    s.event(&Event::ReturnKink(0.8)).unwrap();
    let high = until(&mut s, 5.0, |s| s.observation().p_post_oxy_mmhg > 350.0);
    assert!(high.is_some(), "kink raises the pressure beyond 350 mmHg");
    let cut = until(&mut s, 1.0, |s| s.output().actuators.pump_rpm < 3600.0);
    assert!(
        cut.is_some(),
        "speed reduced within 1 s of the pressure crossing"
    );
    let back = until(&mut s, 10.0, |s| s.observation().p_post_oxy_mmhg < 375.0);
    assert!(
        back.is_some(),
        "pressure within 25 mmHg of the limit in 10 s"
    );
    // Alarm after its 1 s condition delay, while the intervention holds the speed down.
    let alarm = alarm_within(&mut s, 3.0, AlarmId::ReturnPressureHigh);
    assert!(alarm.is_some(), "return pressure alarm");
    s.run_for(30.0);
    assert!(
        s.output().actuators.pump_rpm < 3600.0,
        "held down while the kink lasts"
    );
    assert!(s.observation().p_post_oxy_mmhg < 375.0);
    s.event(&Event::ReturnKink(0.0)).unwrap();
    let ret = until(&mut s, 180.0, |s| s.output().actuators.pump_rpm >= 3600.0);
    assert!(ret.is_some(), "speed returns after release");
}

/// INT-3: air at the detector stops the pump and clamps the return line in the same control
/// step; nothing restarts it but the operator, after the air is gone.
#[test]
fn int3_bubble_stops_pump_and_clamps_within_one_step() {
    let mut s = start("ards-severe", 3200.0, 4.0, 20.0);
    s.event(&Event::AirEntrainment(60.0)).unwrap();
    let seen = until(&mut s, 60.0, |s| s.frame().bubble.value);
    assert!(seen.is_some(), "air reaches the detector");
    // Same step: the output that answered the frame with air.
    assert_eq!(s.output().actuators.pump_rpm, 0.0);
    assert!(s.output().actuators.return_clamp_closed);
    assert_eq!(s.actuation().return_clamp, 1.0);
    assert!(signalled(&s, AlarmId::Bubble));
    let air_at_stop = s.observation().air_to_patient_ml;
    s.event(&Event::AirEntrainment(0.0)).unwrap();
    s.run_for(30.0);
    assert_eq!(s.output().actuators.pump_rpm, 0.0, "no automatic restart");
    assert!(
        s.observation().air_to_patient_ml - air_at_stop < 0.5,
        "no air after the stop"
    );
    assert!(s.observation().circuit_flow_lpm.abs() < 0.2);
    // The air sits at the detector (the twin has no de-airing event yet): restart refused.
    assert!(s.frame().bubble.value);
    s.command(Command::RestartAfterBubble);
    s.step();
    assert!(matches!(s.output().command_results[0], Some(Err(_))));
    s.run_for(5.0);
    assert_eq!(s.output().actuators.pump_rpm, 0.0);
    assert!(s.output().actuators.return_clamp_closed);
}

/// INT-4: femoral VA with the operator asking for 1000 rpm: the minimum speed keeps the flow
/// forward; with the guard off, blood runs backwards and the alarm sounds.
#[test]
fn int4_va_backflow_prevented_at_low_speed() {
    let mut s = start("cardiogenic-shock", 3600.0, 3.0, 20.0);
    s.command(Command::SetRpmTarget(1000.0));
    s.run_for(10.0);
    let m = mean_flow(&mut s, 10.0);
    assert!(m > -0.05, "guarded: flow {m:.3}");
    assert!(s.output().status.backflow_guard);
    assert!(!signalled(&s, AlarmId::Backflow));

    let mut u = start("cardiogenic-shock", 3600.0, 3.0, 20.0);
    u.command(Command::SetIntervention {
        which: Intervention::Backflow,
        enabled: false,
    });
    u.command(Command::SetRpmTarget(1000.0));
    u.run_for(10.0);
    let m = mean_flow(&mut u, 10.0);
    assert!(m < -0.2, "unguarded 1000 rpm runs backwards: {m:.3}");
    assert!(signalled(&u, AlarmId::Backflow));
}

/// MON-3: a failing membrane drops post-oxygenator saturation; the high-priority alarm comes
/// within its 10 s delay plus 20 s.
#[test]
fn mon3_oxygenator_failure_alarm() {
    let mut s = start("ards-severe", 3200.0, 4.0, 150.0);
    assert!(!signalled(&s, AlarmId::OxygenatorFailure));
    s.event(&Event::OxygenatorFailure(0.9)).unwrap();
    let t = alarm_within(&mut s, 30.0, AlarmId::OxygenatorFailure);
    assert!(
        t.is_some(),
        "post-oxy SO2 {:.3}",
        s.observation().post_oxy.so2
    );
}

/// MON-4: a flow sensor reading 40 % low disagrees with speed and pressures by the pump curve.
#[test]
fn mon4_pump_curve_flags_flow_sensor_gain_error() {
    let mut s = start("ards-severe", 3200.0, 4.0, 60.0);
    s.run_for(30.0);
    assert!(
        !s.output()
            .alarms
            .present
            .contains(AlarmId::FlowSpeedMismatch),
        "healthy circuit agrees with the curve"
    );
    s.set_sensor_fault(Channel::Flow, ChannelFault::Gain(0.6))
        .unwrap();
    let t = alarm_within(&mut s, 30.0, AlarmId::FlowSpeedMismatch);
    assert!(t.is_some());
}

/// MON-5: a drainage kink drops flow below the low-flow limit: high-priority alarm within its
/// 5 s delay plus 5 s.
#[test]
fn mon5_drainage_kink_low_flow_alarm() {
    let mut s = start("ards-severe", 3200.0, 4.0, 20.0);
    s.command(Command::SetIntervention {
        which: Intervention::Suction,
        enabled: false,
    });
    s.event(&Event::DrainageKink(0.95)).unwrap();
    let t = alarm_within(&mut s, 10.0, AlarmId::FlowLow);
    assert!(t.is_some(), "flow {:.2}", s.observation().circuit_flow_lpm);
}

/// MON-8: mains lost → alarm at once, pump keeps running on battery.
#[test]
fn mon8_power_loss_alarm() {
    let mut s = start("ards-severe", 3200.0, 4.0, 10.0);
    s.event(&Event::PowerLoss(true)).unwrap();
    assert!(alarm_within(&mut s, 1.0, AlarmId::MainsPowerLost).is_some());
    s.run_for(10.0);
    assert!(s.observation().circuit_flow_lpm > 2.0);
    s.event(&Event::PowerLoss(false)).unwrap();
    s.run_for(1.0);
    assert!(!signalled(&s, AlarmId::MainsPowerLost));
}

/// MON-9: a motor failure is seen within 2 s (1 s condition delay).
#[test]
fn mon9_pump_failure_alarm() {
    let mut s = start("ards-severe", 3200.0, 4.0, 10.0);
    s.event(&Event::PumpFailure(true)).unwrap();
    assert!(alarm_within(&mut s, 3.0, AlarmId::PumpStopped).is_some());
}

/// SEN-5: the flow sensor fails in flow mode: RPM mode holding the speed, the flow the patient
/// gets barely changes, high-priority alarm.
#[test]
fn sen5_flow_sensor_failure_falls_back_to_rpm() {
    let mut s = start("ards-severe", 3000.0, 4.0, 5.0);
    flow_mode(&mut s, 4.0);
    s.run_for(60.0);
    let before = mean_flow(&mut s, 2.0);
    let rpm = s.output().actuators.pump_rpm;
    s.set_sensor_fault(Channel::Flow, ChannelFault::Dropout)
        .unwrap();
    s.run_for(1.0);
    assert_eq!(s.output().mode, Mode::Rpm);
    assert!(s.output().status.flow_fallback);
    assert!(signalled(&s, AlarmId::FlowSensorFault));
    assert!((s.output().actuators.pump_rpm - rpm).abs() < 50.0);
    s.run_for(60.0);
    let after = mean_flow(&mut s, 2.0);
    assert!((after - before).abs() < 0.2, "{before:.2} → {after:.2}");
    // Flow mode cannot be chosen again while the sensor is out.
    s.command(Command::SetMode(Mode::Flow));
    s.step();
    assert!(matches!(s.output().command_results[0], Some(Err(_))));
}

/// SYS-1: a frozen operator interface: alarm within 3 s (+1 step), pump and flow unchanged.
#[test]
fn sys1_heartbeat_loss_keeps_pump_running() {
    let mut s = start("ards-severe", 3200.0, 4.0, 20.0);
    let before = mean_flow(&mut s, 2.0);
    s.set_ui_alive(false);
    let t = alarm_within(&mut s, 4.0, AlarmId::UiHeartbeatLost).expect("alarm");
    assert!(t > 2.9 && t <= 3.1, "raised after {t} s");
    s.command(Command::PauseAudio);
    s.run_for(60.0);
    assert_eq!(s.output().actuators.pump_rpm, 3200.0);
    assert_eq!(
        s.output().alarms.audio,
        control::AudioState::Sounding(control::Priority::High)
    );
    let after = mean_flow(&mut s, 2.0);
    assert!((after - before).abs() < 0.1);
}

/// MON-1, MON-2: an uncoated circuit without heparin at 1 L/min (stasis speeds thrombosis,
/// circuit.md) clots its oxygenator within hours; the ΔP trend alarm (MON-2) warns before ΔP
/// reaches its absolute limit (MON-1), and both come.
#[test]
fn mon1_mon2_oxygenator_clot_over_hours() {
    let mut cfg = preset("ards-severe").unwrap();
    cfg.circuit.coating = physio::coagulation::Coating::Uncoated;
    let mut s = Sil::new(&cfg).unwrap();
    s.command(Command::SetRpmTarget(2000.0));
    s.command(Command::SetSweep(2.0));
    s.command(Command::SetMode(Mode::Rpm));
    s.command(Command::SetAlarmLimit {
        limit: control::AlarmLimit::FlowLow,
        value: 0.5,
    });
    s.command(Command::SetAlarmLimit {
        limit: control::AlarmLimit::DeltaPHigh,
        value: 40.0,
    });
    s.run_for(5.0);
    flow_mode(&mut s, 1.0);
    s.run_for(60.0);
    let dp0 = s.observation().delta_p_oxy_mmhg;
    assert!(dp0 < 20.0, "clean oxygenator at 1 L/min: {dp0:.1} mmHg");
    let (mut trend_at, mut high_at) = (None, None);
    for minute in 1..=(10 * 60) {
        s.run_for(60.0);
        if trend_at.is_none() && signalled(&s, AlarmId::DeltaPRising) {
            trend_at = Some(minute);
        }
        if high_at.is_none() && signalled(&s, AlarmId::DeltaPHigh) {
            high_at = Some(minute);
        }
        if trend_at.is_some() && high_at.is_some() {
            break;
        }
    }
    let o = s.observation();
    eprintln!(
        "clot: trend alarm at {trend_at:?} min, ΔP limit alarm at {high_at:?} min, ΔP {dp0:.1} → {:.1} mmHg, clot {:.2}",
        o.delta_p_oxy_mmhg, o.oxy_clot_fraction
    );
    let trend_at = trend_at.expect("ΔP trend alarm within 10 h");
    let high_at = high_at.expect("ΔP limit alarm within 10 h");
    assert!(trend_at > 60, "needs an hour of data first");
    assert!(trend_at < high_at, "the trend warns before the limit");
    assert_eq!(s.output().mode, Mode::Flow, "flow mode held throughout");
}

/// CTL-8 through the loop: a refused command is answered with its reason, immediately or per
/// step, and changes nothing.
#[test]
fn ctl8_commands_answered_through_the_loop() {
    let mut s = start("ards-severe", 3200.0, 4.0, 5.0);
    let e = s.submit(Command::SetRpmTarget(9000.0)).unwrap_err();
    assert!(e.to_string().contains("RPM target"), "{e}");
    s.command(Command::SetFdO2(f32::NAN));
    s.command(Command::SetFdO2(0.8));
    s.step();
    let answers: Vec<bool> = s.last_commands().map(|(_, r)| r.is_ok()).collect();
    assert_eq!(answers, vec![false, true]);
    let first = s.last_commands().next().unwrap();
    assert!(matches!(
        first.1,
        Err(control::CommandError::NotFinite { .. })
    ));
    assert_eq!(s.output().actuators.pump_rpm, 3200.0);
    assert_eq!(s.output().actuators.fdo2, 0.8);
}

/// SEN-1..SEN-4 without nuisance: thirty minutes of a stable VV run through the twin's sensor
/// suite (noise, sample-and-hold, quantisation) raise no technical alarm at all, and after the
/// 2-minute arming no alarm of any kind (the settled ARDS patient on 3200 rpm explains none).
#[test]
fn sen_no_false_technical_alarms_on_a_stable_run() {
    let mut s = start("ards-severe", 3200.0, 4.0, 0.0);
    s.run_for(30.0 * 60.0);
    let technical: Vec<_> = s
        .controller()
        .alarm_log()
        .entries()
        .iter()
        .filter(|e| {
            e.event == LogEvent::Raised && e.alarm.spec().kind == control::AlarmKind::Technical
        })
        .map(|e| (e.t_ms, e.alarm))
        .collect();
    assert!(
        technical.is_empty(),
        "technical alarms on a healthy run: {technical:?}"
    );
    assert!(s.output().status.faulty_channels.is_empty());
    let clinical: Vec<_> = s
        .controller()
        .alarm_log()
        .entries()
        .iter()
        .filter(|e| e.event == LogEvent::Raised && e.t_ms > 120_000)
        .map(|e| (e.t_ms, e.alarm))
        .collect();
    assert!(
        clinical.is_empty(),
        "alarms after the arming on a stable run: {clinical:?}"
    );
}

/// INT-4, MON-9: the pump fails on femoral VA and coasts down (τ 2 s): the return line is
/// clamped within 1.2 s, before the impeller slows below the speed that holds off arterial
/// pressure, so that the arterial pressure cannot run the circuit backwards; the
/// clamp opens again once the pump turns.
#[test]
fn int4_mon9_va_pump_failure_clamps_against_backflow() {
    let mut s = start("cardiogenic-shock", 3600.0, 3.0, 20.0);
    s.event(&Event::PumpFailure(true)).unwrap();
    let clamp = until(&mut s, 1.2, |s| s.output().actuators.return_clamp_closed);
    assert!(clamp.is_some(), "clamped within 1.2 s");
    let alarm = alarm_within(&mut s, 2.0, AlarmId::PumpStopped);
    assert!(alarm.is_some(), "pump-stopped alarm");
    let m = mean_flow(&mut s, 10.0);
    assert!(m > -0.1, "no backflow through the failed pump: {m:.3}");
    s.event(&Event::PumpFailure(false)).unwrap();
    let open = until(&mut s, 10.0, |s| !s.output().actuators.return_clamp_closed);
    assert!(open.is_some(), "clamp opens when the pump turns again");
    s.run_for(10.0);
    assert!(s.observation().circuit_flow_lpm > 2.0);
}

/// MON-8 over the battery's life: on battery (2 h endurance in the twin) the low-battery alarm
/// comes at half charge, the critical one near empty, both before the pump stops, which then
/// raises the pump-stopped alarm.
#[test]
fn mon8_battery_depletion_alarms_before_the_pump_stops() {
    let mut s = start("ards-severe", 3200.0, 4.0, 10.0);
    s.event(&Event::PowerLoss(true)).unwrap();
    let (mut low, mut critical, mut stopped) = (None, None, None);
    for minute in 1..=150 {
        s.run_for(60.0);
        let o = &s.output().alarms.signalled;
        if low.is_none() && o.contains(AlarmId::BatteryLow) {
            low = Some(minute);
        }
        if critical.is_none() && o.contains(AlarmId::BatteryCritical) {
            critical = Some(minute);
        }
        if stopped.is_none() && s.observation().pump_speed_rpm < 500.0 {
            stopped = Some(minute);
        }
        if stopped.is_some() && s.output().alarms.signalled.contains(AlarmId::PumpStopped) {
            break;
        }
    }
    eprintln!(
        "battery: low at {low:?} min, critical at {critical:?} min, pump stopped at {stopped:?} min"
    );
    let (low, critical, stopped) = (low.unwrap(), critical.unwrap(), stopped.unwrap());
    assert!(low < critical && critical < stopped);
    assert!(stopped - critical >= 5, "at least 5 minutes' warning");
    assert!(signalled(&s, AlarmId::PumpStopped));
    assert!(signalled(&s, AlarmId::MainsPowerLost));
}

/// MON-10: femoral VA with the native lungs failing (shunt 90 %): the heart ejects
/// deoxygenated blood to the upper body while the femoral saturation stays high
/// (differential hypoxia); the upper-body alarm comes, and the lower-body reading alone would
/// have missed it.
#[test]
fn mon10_differential_hypoxia_in_va() {
    let mut s = start("cardiogenic-shock", 3600.0, 3.5, 150.0);
    assert!(!signalled(&s, AlarmId::SaO2UpperLow));
    s.event(&Event::SetPatient(PatientParam::ShuntFraction, 0.9))
        .unwrap();
    let t = alarm_within(&mut s, 300.0, AlarmId::SaO2UpperLow);
    let o = s.observation();
    eprintln!(
        "differential hypoxia: alarm after {t:?} s, SaO2 upper {:.1} %, lower {:.1} %",
        o.art_upper.so2 * 100.0,
        o.art_lower.so2 * 100.0
    );
    assert!(t.is_some());
    assert!(
        o.art_lower.so2 > o.art_upper.so2 + 0.05,
        "lower body better oxygenated"
    );
}

/// INT-1 in flow mode: a hypovolaemic patient asked for more flow than the veins give. The
/// flow loop must not fight the suction intervention (anti-windup): suction is relieved, the
/// speed settles, and the episodes stay few.
#[test]
fn int1_suction_in_flow_mode_does_not_wind_up() {
    let cfg = preset("hypovolaemia").unwrap();
    let mut s = Sil::new(&cfg).unwrap();
    rpm_mode(&mut s, 3000.0);
    s.run_for(10.0);
    flow_mode(&mut s, 7.5);
    let engaged = until(&mut s, 60.0, |s| {
        s.output().status.suction_reduction_rpm > 0.0
    });
    assert!(
        engaged.is_some(),
        "7.5 L/min is beyond this patient's venous return"
    );
    let seq0 = s.controller().alarm_log().next_seq();
    let mut speeds = Vec::new();
    let mut sucking = 0;
    for _ in 0..(10 * 60 * 10) {
        s.run_for(0.1);
        speeds.push(s.output().actuators.pump_rpm);
        if s.observation().p_drainage_mmhg < -150.0 {
            sucking += 1;
        }
    }
    let raised = suction_raised_since(&s, seq0);
    let (lo, hi) = span(&speeds[speeds.len() / 2..]);
    eprintln!(
        "flow-mode suction: {raised} episodes, speed {lo}..{hi} in the last 5 min, deep suction {sucking} of 6000 samples"
    );
    assert!(raised <= 3, "{raised} suction episodes");
    assert!(hi - lo <= 300.0, "speed swings {lo}..{hi}");
    assert!(sucking < 300, "deep suction {sucking} of 6000 samples");
    assert_eq!(s.output().mode, Mode::Flow);
}

/// MON-11 on the twin: femoral VA on a failing heart. With the heart ejecting (pulse pressure
/// about 16 mmHg at 2500 rpm) nothing is raised; when contractility falls to a third, the LV
/// stops opening its aortic valve against 4 L/min of circuit flow, the arterial line goes flat
/// and the console raises the pulsatility alarm within its 30 s delay and two 4 s windows,
/// measured on the noisy arterial line of the sensor suite; when contractility returns and
/// the flow is lowered, the alarm ends by itself (non-latching).
#[test]
fn mon11_va_non_ejecting_heart_raises_loss_of_pulsatility() {
    let mut s = start("cardiogenic-shock", 2500.0, 4.0, 5.0);
    assert!(alarm_within(&mut s, 120.0, AlarmId::PulsatilityLost).is_none());
    let o = s.observation();
    assert!(o.aortic_valve_open_fraction > 0.9);
    assert!(o.p_art_sys_mmhg - o.p_art_dia_mmhg > 12.0);
    s.event(&Event::SetPatient(PatientParam::LvEmax, 0.2))
        .unwrap();
    rpm_mode(&mut s, 3500.0);
    let t = alarm_within(&mut s, 90.0, AlarmId::PulsatilityLost);
    let o = s.observation();
    eprintln!(
        "non-ejecting LV: MON-11 after {t:?} s; aortic valve open in {:.0} % of beats, \
         pulse pressure {:.1} mmHg, flow {:.2} L/min",
        o.aortic_valve_open_fraction * 100.0,
        o.p_art_sys_mmhg - o.p_art_dia_mmhg,
        o.circuit_flow_lpm
    );
    let t = t.expect("MON-11 raised on a non-ejecting LV");
    assert!((30.0..=45.0).contains(&t), "{t} s");
    assert!(
        o.aortic_valve_open_fraction < 0.5,
        "the alarm means a closed valve here"
    );
    s.event(&Event::SetPatient(PatientParam::LvEmax, 0.6))
        .unwrap();
    rpm_mode(&mut s, 2500.0);
    let cleared = until(&mut s, 60.0, |s| !signalled(s, AlarmId::PulsatilityLost));
    assert!(cleared.is_some(), "the alarm ends with the pulse");
}
