//! Behaviour of the controller on synthetic frames (no twin): commands, modes, interventions,
//! faults and timing. Closed-loop behaviour against the twin is tested in `crates/sil`.

use crate::*;

mod basics;
mod commands;
mod pump;
mod vocabulary;

/// A healthy VV frame at `t`: 3500 rpm, 4.5 L/min, normal pressures and gases. Pressures and
/// flow carry a small deterministic ripple, as live signals do (the stuck check needs it).
fn frame(t: u64) -> SensorFrame {
    let w = ((t / 10) % 7) as f32 * 0.01;
    SensorFrame {
        p_drainage: Reading::new(-40.0 + w, t),
        p_pre_oxy: Reading::new(280.0 + w, t),
        p_post_oxy: Reading::new(230.0 + w, t),
        delta_p: Reading::new(50.0 + w, t),
        flow: Reading::new(4.5 + w * 0.1, t),
        pump_speed: Reading::new(3500.0, t),
        so2_pre: Reading::new(70.0, t),
        so2_post: Reading::new(100.0, t),
        po2_post: Reading::new(450.0, t),
        pco2_post: Reading::new(30.0, t),
        sao2_upper: Reading::new(94.0, t),
        sao2_lower: Reading::new(94.0, t),
        hb: Reading::new(12.0, t),
        temperature: Reading::new(36.8, t),
        battery: Reading::new(1.0, t),
        // No patient-monitor input unless a test connects one (MON-11 tests).
        p_art: Reading::MISSING,
        bubble: Flag::new(false, t),
        mains_power: Flag::new(true, t),
        ui_heartbeat_ms: Some(t),
    }
}

fn ctl(kind: CircuitKind) -> Controller {
    Controller::new(Config {
        circuit: kind,
        pump: PumpCurve::ROTAFLOW,
    })
    .unwrap()
}

/// Run `steps` steps with `f` shaping each frame; returns the last output and the time.
fn run(
    c: &mut Controller,
    t: &mut u64,
    steps: u32,
    f: &mut dyn FnMut(u64, &mut SensorFrame),
) -> Output {
    let mut out = None;
    for _ in 0..steps {
        *t += CONTROL_PERIOD_MS;
        let mut fr = frame(*t);
        f(*t, &mut fr);
        out = Some(c.step(*t, &fr, &[]));
    }
    out.unwrap()
}

/// One step, a period after `t`, with `shape` applied to the healthy frame and `cmds` given.
fn step_shaped(
    c: &mut Controller,
    t: &mut u64,
    shape: &mut dyn FnMut(u64, &mut SensorFrame),
    cmds: &[Command],
) -> Output {
    *t += CONTROL_PERIOD_MS;
    let mut f = frame(*t);
    shape(*t, &mut f);
    c.step(*t, &f, cmds)
}

fn ok(c: &mut Controller, t: u64, cmds: &[Command]) -> Output {
    let out = c.step(t, &frame(t), cmds);
    for (i, r) in out.command_results.iter().take(cmds.len()).enumerate() {
        assert_eq!(*r, Some(Ok(())), "command {i} {:?}", cmds[i]);
    }
    out
}

/// The command that switches an intervention off (INT-5).
fn switch_off(which: Intervention) -> Command {
    Command::SetIntervention {
        which,
        enabled: false,
    }
}

fn running_rpm(kind: CircuitKind, rpm: f32) -> (Controller, u64) {
    let mut c = ctl(kind);
    let mut t = 0;
    ok(
        &mut c,
        t,
        &[Command::SetRpmTarget(rpm), Command::SetMode(Mode::Rpm)],
    );
    let out = run(&mut c, &mut t, 600, &mut |_, _| {});
    assert!(
        (out.actuators.pump_rpm - rpm).abs() < 1.0,
        "{}",
        out.actuators.pump_rpm
    );
    (c, t)
}

/// CTL-2: standby stops the pump and clamps the return line.
#[test]
fn ctl2_standby_is_stopped_and_clamped() {
    let mut c = ctl(CircuitKind::Vv);
    let out = c.step(0, &frame(0), &[]);
    assert_eq!(out.mode, Mode::Standby);
    assert_eq!(out.actuators.pump_rpm, 0.0);
    assert!(out.actuators.return_clamp_closed);
    let (mut c, t) = running_rpm(CircuitKind::Vv, 3000.0);
    let out = ok(&mut c, t + 10, &[Command::SetMode(Mode::Standby)]);
    assert_eq!(out.actuators.pump_rpm, 0.0);
    assert!(out.actuators.return_clamp_closed);
}

/// CTL-3: RPM mode reaches its target, increases slewed, decreases immediate.
#[test]
fn ctl3_rpm_mode_slews_up() {
    let mut c = ctl(CircuitKind::Vv);
    let mut t = 0;
    ok(
        &mut c,
        t,
        &[Command::SetRpmTarget(3000.0), Command::SetMode(Mode::Rpm)],
    );
    let out = run(&mut c, &mut t, 100, &mut |_, _| {});
    // 1 s at 1000 rpm/s.
    assert!(out.actuators.pump_rpm > 900.0 && out.actuators.pump_rpm < 1100.0);
    assert!(
        !out.actuators.return_clamp_closed,
        "VV: clamp opens with the pump"
    );
    let out = run(&mut c, &mut t, 300, &mut |_, _| {});
    assert_eq!(out.actuators.pump_rpm, 3000.0);
    t += 10;
    let out = ok(&mut c, t, &[Command::SetRpmTarget(2500.0)]);
    assert_eq!(out.actuators.pump_rpm, 2500.0);
}

/// CTL-8: every setting refuses NaN, infinities and out-of-range values with an error naming
/// the setting and range, and leaves the settings unchanged.
#[test]
fn ctl8_commands_validated() {
    let mut c = ctl(CircuitKind::Vv);
    let before = *c.settings();
    let bad = [
        Command::SetRpmTarget(f32::NAN),
        Command::SetRpmTarget(6000.0),
        Command::SetRpmTarget(-1.0),
        Command::SetFlowTarget(f32::INFINITY),
        Command::SetFlowTarget(9.0),
        Command::SetSweep(-0.1),
        Command::SetFdO2(0.2),
        Command::SetFdO2(1.01),
        Command::SetPco2Target(15.0),
        Command::SetSweepBounds { min: 3.0, max: 2.0 },
        Command::SetHeater(41.0),
        Command::SetInterventionLimit {
            which: Intervention::Suction,
            value: -400.0,
        },
        Command::SetInterventionLimit {
            which: Intervention::Suction,
            value: 10.0,
        },
        Command::SetInterventionLimit {
            which: Intervention::Bubble,
            value: 1.0,
        },
        Command::SetAlarmLimit {
            limit: AlarmLimit::FlowLow,
            value: 7.5,
        },
        Command::SetAlarmLimit {
            limit: AlarmLimit::TemperatureHigh,
            value: 34.0,
        },
        Command::SetAlarmLimit {
            limit: AlarmLimit::DeltaPHigh,
            value: f32::NEG_INFINITY,
        },
        Command::SetMode(Mode::ZeroFlow),
        Command::Acknowledge(AlarmId::Bubble),
        Command::RestartAfterBubble,
    ];
    for cmd in bad {
        let r = c.apply(0, &cmd);
        assert!(r.is_err(), "{cmd:?} accepted");
        assert_eq!(*c.settings(), before, "{cmd:?} changed settings");
    }
    let e = c.apply(0, &Command::SetRpmTarget(6000.0)).unwrap_err();
    assert_eq!(
        e,
        CommandError::OutOfRange {
            setting: Setting::RpmTarget,
            value: 6000.0,
            min: 0.0,
            max: 5000.0
        }
    );
    // Good values are taken.
    assert_eq!(c.apply(0, &Command::SetFdO2(0.6)), Ok(()));
    assert_eq!(c.settings().fdo2, 0.6);
    // Too many commands in one step: the surplus is refused, the first eight applied.
    let cmds = [Command::SetSweep(1.0); MAX_COMMANDS_PER_STEP + 2];
    let out = c.step(0, &frame(0), &cmds);
    assert_eq!(
        out.command_results.last().copied().flatten(),
        Some(Err(CommandError::TooManyCommands))
    );
}

mod heapless_string {
    /// Tiny fixed buffer to format errors without `alloc` (shows messages need no heap).
    pub struct Buf {
        pub b: [u8; 200],
        pub n: usize,
    }
    impl core::fmt::Write for Buf {
        fn write_str(&mut self, s: &str) -> core::fmt::Result {
            let end = self.n + s.len();
            if end > self.b.len() {
                return Err(core::fmt::Error);
            }
            self.b[self.n..end].copy_from_slice(s.as_bytes());
            self.n = end;
            Ok(())
        }
    }
}

/// CTL-8: error messages say what and where.
#[test]
fn ctl8_error_messages_name_the_setting() {
    use core::fmt::Write;
    let mut b = heapless_string::Buf { b: [0; 200], n: 0 };
    let e = CommandError::OutOfRange {
        setting: Setting::FdO2,
        value: 1.5,
        min: 0.21,
        max: 1.0,
    };
    write!(b, "{e}").unwrap();
    let s = core::str::from_utf8(&b.b[..b.n]).unwrap();
    assert!(
        s.contains("FdO2") && s.contains("1.5") && s.contains("0.21"),
        "{s}"
    );
}

/// INT-3: air stops the pump and closes the clamp in the same step; restart only by the
/// operator, and not while air is still seen.
#[test]
fn int3_bubble_stop_within_one_step() {
    let (mut c, mut t) = running_rpm(CircuitKind::Vv, 3500.0);
    t += 10;
    let mut fr = frame(t);
    fr.bubble = Flag::new(true, t);
    let out = c.step(t, &fr, &[]);
    assert_eq!(out.actuators.pump_rpm, 0.0);
    assert!(out.actuators.return_clamp_closed);
    assert!(out.status.bubble_stop);
    assert!(out.alarms.signalled.contains(AlarmId::Bubble));
    assert_eq!(out.alarms.highest, Some(Priority::High));
    // Air still there: restart refused.
    t += 10;
    let out = c.step(t, &fr, &[Command::RestartAfterBubble]);
    assert!(matches!(
        out.command_results[0],
        Some(Err(CommandError::NotAllowed { .. }))
    ));
    assert_eq!(out.actuators.pump_rpm, 0.0);
    // Air gone: the pump stays stopped for a long time without the operator.
    let out = run(&mut c, &mut t, 3000, &mut |_, _| {});
    assert_eq!(out.actuators.pump_rpm, 0.0);
    assert!(out.actuators.return_clamp_closed);
    assert!(out.alarms.signalled.contains(AlarmId::Bubble));
    // Deliberate restart: ramps up again and the alarm can be cleared.
    t += 10;
    let out = ok(&mut c, t, &[Command::RestartAfterBubble]);
    assert!(!out.status.bubble_stop);
    let out = run(&mut c, &mut t, 500, &mut |_, _| {});
    assert_eq!(out.actuators.pump_rpm, 3500.0);
    assert!(!out.actuators.return_clamp_closed);
    t += 10;
    let out = ok(&mut c, t, &[Command::Acknowledge(AlarmId::Bubble)]);
    assert!(!out.alarms.signalled.contains(AlarmId::Bubble));
}

/// INT-5: with the bubble intervention off, air raises the alarm but does not stop the pump.
#[test]
fn int5_bubble_intervention_switchable() {
    let (mut c, mut t) = running_rpm(CircuitKind::Vv, 3500.0);
    t += 10;
    ok(&mut c, t, &[switch_off(Intervention::Bubble)]);
    let out = run(&mut c, &mut t, 2, &mut |t, f| f.bubble = Flag::new(true, t));
    assert_eq!(out.actuators.pump_rpm, 3500.0);
    assert!(out.alarms.signalled.contains(AlarmId::Bubble));
}

/// INT-1: suction reduces speed in steps while the drainage pressure is beyond the limit and
/// returns slowly after it recovers.
#[test]
fn int1_suction_stepwise_then_slow_return() {
    let (mut c, mut t) = running_rpm(CircuitKind::Vv, 3500.0);
    // Pressure below −100 for 1.2 s: three steps (at 0, 0.5, 1.0 s) after the filter.
    let out = run(&mut c, &mut t, 120, &mut |t, f| {
        f.p_drainage = Reading::new(-150.0, t)
    });
    let r = out.status.suction_reduction_rpm;
    assert!((200.0..=300.0).contains(&r), "{r}");
    assert_eq!(out.actuators.pump_rpm, 3500.0 - r);
    // Recovered: held for 5 s, then returns at 10 rpm/s.
    let out = run(&mut c, &mut t, 400, &mut |_, _| {});
    assert_eq!(
        out.status.suction_reduction_rpm, r,
        "held during the hold time"
    );
    let out = run(&mut c, &mut t, 200, &mut |_, _| {});
    let r2 = out.status.suction_reduction_rpm;
    assert!(r2 < r && r2 > r - 30.0, "{r} → {r2}");
    let out = run(&mut c, &mut t, 3500, &mut |_, _| {});
    assert_eq!(out.status.suction_reduction_rpm, 0.0);
    assert_eq!(out.actuators.pump_rpm, 3500.0);
}

/// INT-2: return pressure above its limit reduces speed.
#[test]
fn int2_return_pressure_reduces_speed() {
    let (mut c, mut t) = running_rpm(CircuitKind::Vv, 3500.0);
    let out = run(&mut c, &mut t, 60, &mut |t, f| {
        f.p_post_oxy = Reading::new(420.0, t)
    });
    assert!(
        out.actuators.pump_rpm <= 3300.0,
        "{}",
        out.actuators.pump_rpm
    );
    // Disabled: no reduction.
    let (mut c, mut t) = running_rpm(CircuitKind::Vv, 3500.0);
    t += 10;
    ok(&mut c, t, &[switch_off(Intervention::ReturnPressure)]);
    let out = run(&mut c, &mut t, 200, &mut |t, f| {
        f.p_post_oxy = Reading::new(420.0, t)
    });
    assert_eq!(out.actuators.pump_rpm, 3500.0);
    assert!(out.alarms.signalled.contains(AlarmId::ReturnPressureHigh));
}

/// INT-4: in VA the speed never goes below the minimum speed while the line is open, the
/// clamp stays closed during spin-up, and measured backflow raises speed and alarms.
#[test]
fn int4_va_backflow_guard() {
    let mut c = ctl(CircuitKind::Va);
    let mut t = 0;
    ok(
        &mut c,
        t,
        &[Command::SetRpmTarget(1200.0), Command::SetMode(Mode::Rpm)],
    );
    // Spin-up: measured speed lags, clamp closed until it reaches 90 % of the 2000 rpm floor.
    let out = run(&mut c, &mut t, 50, &mut |t, f| {
        f.pump_speed = Reading::new(900.0, t)
    });
    assert!(out.actuators.return_clamp_closed);
    let out = run(&mut c, &mut t, 300, &mut |t, f| {
        f.pump_speed = Reading::new(2000.0, t)
    });
    assert!(!out.actuators.return_clamp_closed);
    assert_eq!(
        out.actuators.pump_rpm, 2000.0,
        "floor above the 1200 rpm target"
    );
    assert!(out.status.backflow_guard);
    // Retrograde flow: speed boosted, alarm raised.
    let out = run(&mut c, &mut t, 100, &mut |t, f| {
        f.pump_speed = Reading::new(2000.0, t);
        f.flow = Reading::new(-0.5, t);
    });
    assert!(out.actuators.pump_rpm > 2000.0);
    assert!(out.alarms.signalled.contains(AlarmId::Backflow));
}

/// INT-4 with INT-6 through the step: a VA controller configured for a small circuit (minimum
/// 1000 rpm) holds a 1100 rpm target without an arterial line, and with a neonate's 50 mmHg on
/// the line raises the floor to the speed that holds it off with the margin; the floor is in
/// the status. Without the line again the operator's minimum holds alone.
#[test]
fn int6_va_floor_follows_the_arterial_line() {
    let mut c = Controller::with_va_min_rpm(
        Config {
            circuit: CircuitKind::Va,
            pump: PumpCurve::ROTAFLOW,
        },
        1000.0,
    )
    .unwrap();
    let mut t = 0;
    ok(
        &mut c,
        t,
        &[Command::SetRpmTarget(1100.0), Command::SetMode(Mode::Rpm)],
    );
    let mut turning = |t: u64, f: &mut SensorFrame| {
        f.pump_speed = Reading::new(1100.0, t);
        f.flow = Reading::new(0.1 + ((t / 10) % 3) as f32 * 0.001, t);
    };
    let out = run(&mut c, &mut t, 300, &mut turning);
    assert_eq!(out.actuators.pump_rpm, 1100.0);
    assert_eq!(c.min_rpm(), 1000.0);
    assert!(!out.status.backflow_guard);
    assert!(!out.actuators.return_clamp_closed);
    let need = PumpCurve::ROTAFLOW.speed_for_shutoff_head(60.0).unwrap();
    let out = run(&mut c, &mut t, 1000, &mut |t, f| {
        f.pump_speed = Reading::new(1400.0, t);
        f.flow = Reading::new(0.1 + ((t / 10) % 3) as f32 * 0.001, t);
        f.p_art = Reading::new(50.0 + ((t / 10) % 5) as f32 * 0.01, t);
    });
    assert!(
        (out.actuators.pump_rpm - need).abs() < 5.0,
        "{} vs {need}",
        out.actuators.pump_rpm
    );
    assert!((c.min_rpm() - need).abs() < 5.0);
    assert!(out.status.backflow_guard);
    let out = run(&mut c, &mut t, 300, &mut turning);
    assert_eq!(
        out.actuators.pump_rpm, 1100.0,
        "line gone: the setting alone"
    );
}

/// SEN-5: flow mode falls back to RPM mode holding the current speed when the flow sensor
/// drops out, with a high-priority alarm; flow mode is refused without a flow sensor.
#[test]
fn sen5_flow_fault_falls_back_to_rpm() {
    let mut c = ctl(CircuitKind::Vv);
    let mut t = 0;
    // A crude plant: flow = speed / 780.
    let mut rpm = 0.0f32;
    for i in 0..2000 {
        t += 10;
        let mut f = frame(t);
        f.flow = Reading::new(rpm / 780.0 + ((t / 10) % 3) as f32 * 0.001, t);
        let cmds: &[Command] = if i == 5 {
            &[Command::SetFlowTarget(4.5), Command::SetMode(Mode::Flow)]
        } else {
            &[]
        };
        let out = c.step(t, &f, cmds);
        assert!(out.command_results.iter().flatten().all(|r| r.is_ok()));
        rpm = out.actuators.pump_rpm;
    }
    assert!((rpm / 780.0 - 4.5).abs() < 0.05, "{rpm}");
    let held = rpm;
    let out = run(&mut c, &mut t, 100, &mut |t, f| {
        f.flow = Reading {
            value: 4.5,
            valid: false,
            t_ms: t,
        }
    });
    assert_eq!(out.mode, Mode::Rpm);
    assert!(out.status.flow_fallback);
    assert!((out.actuators.pump_rpm - held).abs() < 5.0);
    assert!(out.alarms.signalled.contains(AlarmId::FlowSensorFault));
    assert_eq!(out.alarms.highest, Some(Priority::High));
    let out = c.step(t + 10, &frame(t + 10), &[Command::SetMode(Mode::Flow)]);
    // The sensor is back in this frame, so flow mode may be chosen again deliberately.
    assert_eq!(out.command_results[0], Some(Ok(())));
}

/// SEN-1..SEN-4: out of range, impossible rate, stuck and stale readings are rejected and
/// raise technical alarms.
#[test]
fn sen1_to_4_plausibility() {
    use crate::plausibility::Fault;
    // Out of range.
    let (mut c, mut t) = running_rpm(CircuitKind::Vv, 3500.0);
    let out = run(&mut c, &mut t, 60, &mut |t, f| {
        f.p_drainage = Reading::new(-900.0, t)
    });
    assert_eq!(
        c.plausibility().fault(Channel::DrainagePressure),
        Some(Fault::OutOfRange)
    );
    assert!(out.alarms.signalled.contains(AlarmId::PressureSensorFault));
    assert_eq!(
        out.status.suction_reduction_rpm, 0.0,
        "an implausible reading does not act"
    );
    // Rate of change: a single spike is rejected, then accepted values continue.
    let (mut c, mut t) = running_rpm(CircuitKind::Vv, 3500.0);
    t += 10;
    let mut f = frame(t);
    f.flow = Reading::new(9.0, t);
    c.step(t, &f, &[]);
    assert_eq!(
        c.plausibility().fault(Channel::Flow),
        Some(Fault::RateOfChange)
    );
    run(&mut c, &mut t, 1, &mut |_, _| {});
    assert_eq!(c.plausibility().fault(Channel::Flow), None);
    // Stuck: bit-identical for > 5 s while the pump runs.
    let (mut c, mut t) = running_rpm(CircuitKind::Vv, 3500.0);
    let out = run(&mut c, &mut t, 700, &mut |t, f| {
        f.p_post_oxy = Reading::new(230.0, t)
    });
    assert_eq!(
        c.plausibility().fault(Channel::PostOxyPressure),
        Some(Fault::Stuck)
    );
    assert!(out.alarms.signalled.contains(AlarmId::PressureSensorFault));
    // Stale: timestamp not advancing.
    let (mut c, mut t) = running_rpm(CircuitKind::Vv, 3500.0);
    let t0 = t;
    let out = run(&mut c, &mut t, 800, &mut |_, f| {
        f.temperature = Reading::new(36.8, t0)
    });
    assert_eq!(
        c.plausibility().fault(Channel::Temperature),
        Some(Fault::Dropout)
    );
    assert!(
        out.alarms
            .signalled
            .contains(AlarmId::TemperatureSensorFault)
    );
}

/// SEN-6: a silent bubble detector raises a high-priority alarm.
#[test]
fn sen6_bubble_sensor_fault() {
    let (mut c, mut t) = running_rpm(CircuitKind::Vv, 3500.0);
    let out = run(&mut c, &mut t, 50, &mut |_, f| f.bubble = Flag::MISSING);
    assert!(out.alarms.signalled.contains(AlarmId::BubbleSensorFault));
    assert_eq!(out.actuators.pump_rpm, 3500.0);
}

/// SYS-1: heartbeat lost → speed unchanged, high alarm that neither pause nor acknowledge
/// silences.
#[test]
fn sys1_ui_loss_keeps_pump_and_cannot_be_silenced() {
    let (mut c, mut t) = running_rpm(CircuitKind::Vv, 3500.0);
    let last = t;
    let out = run(&mut c, &mut t, 301, &mut |_, f| {
        f.ui_heartbeat_ms = Some(last)
    });
    assert_eq!(out.actuators.pump_rpm, 3500.0);
    assert!(out.status.ui_lost);
    assert!(out.alarms.signalled.contains(AlarmId::UiHeartbeatLost));
    t += 10;
    let mut f = frame(t);
    f.ui_heartbeat_ms = Some(last);
    let out = c.step(
        t,
        &f,
        &[
            Command::PauseAudio,
            Command::Acknowledge(AlarmId::UiHeartbeatLost),
        ],
    );
    assert!(matches!(
        out.command_results[1],
        Some(Err(CommandError::Ack(_)))
    ));
    assert_eq!(out.alarms.audio, AudioState::Sounding(Priority::High));
    assert_eq!(out.actuators.pump_rpm, 3500.0);
    // Back: alarm clears (non-latching).
    let out = run(&mut c, &mut t, 2, &mut |_, _| {});
    assert!(!out.alarms.signalled.contains(AlarmId::UiHeartbeatLost));
}

/// SYS-2: a late step or a reported overrun is detected and alarmed.
#[test]
fn sys2_deadline_miss_detected() {
    let (mut c, mut t) = running_rpm(CircuitKind::Vv, 3500.0);
    t += 35;
    let out = c.step(t, &frame(t), &[]);
    assert!(out.status.deadline_missed);
    assert!(out.alarms.signalled.contains(AlarmId::DeadlineMissed));
    let (mut c, mut t) = running_rpm(CircuitKind::Vv, 3500.0);
    c.report_step_duration(STEP_DEADLINE_US + 1);
    t += 10;
    let out = c.step(t, &frame(t), &[]);
    assert!(out.status.deadline_missed);
    let out = run(&mut c, &mut t, 1, &mut |_, _| {});
    assert!(!out.status.deadline_missed);
    assert!(
        out.alarms.signalled.contains(AlarmId::DeadlineMissed),
        "latching"
    );
    // A clock going backwards is a timing fault too and does not break anything.
    let out = c.step(t - 500, &frame(t - 500), &[]);
    assert!(out.status.deadline_missed);
}

/// SYS-3: sensor and actuator driver errors raise technical alarms; the pump keeps running.
#[test]
fn sys3_driver_errors() {
    struct Bad;
    impl ErrorType for Bad {
        type Error = ErrorKind;
    }
    impl SensorSource for Bad {
        fn read(&mut self, _: u64, _: &mut SensorFrame) -> Result<(), ErrorKind> {
            Err(ErrorKind::Timeout)
        }
    }
    impl Actuators for Bad {
        fn apply(&mut self, _: u64, _: &ActuatorCommands) -> Result<(), ErrorKind> {
            Err(ErrorKind::Bus)
        }
    }
    let (mut c, mut t) = running_rpm(CircuitKind::Vv, 3500.0);
    let mut f = SensorFrame::MISSING;
    let mut out = None;
    for _ in 0..30 {
        t += 10;
        out = Some(c.cycle(t, &mut Bad, &mut f, &[]));
    }
    let out = out.unwrap();
    assert!(out.alarms.signalled.contains(AlarmId::AcquisitionFault));
    assert!(out.alarms.signalled.contains(AlarmId::ActuatorFault));
    assert_eq!(out.actuators.pump_rpm, 3500.0);
}

/// MON-8: mains loss and battery levels.
#[test]
fn mon8_power() {
    let (mut c, mut t) = running_rpm(CircuitKind::Vv, 3500.0);
    let t0 = t;
    // Discharging at 0.1 per second (fast, but within the gauge's plausible rate).
    let out = run(&mut c, &mut t, 1500, &mut |t, f| {
        f.mains_power = Flag::new(false, t);
        f.battery = Reading::new((1.0 - (t - t0) as f32 * 1e-4).max(0.08), t);
    });
    for id in [
        AlarmId::MainsPowerLost,
        AlarmId::BatteryLow,
        AlarmId::BatteryCritical,
    ] {
        assert!(out.alarms.signalled.contains(id), "{id:?}");
    }
    assert_eq!(out.actuators.pump_rpm, 3500.0);
}

/// MON-4: flow that the pump curve cannot explain alarms; a consistent frame does not.
#[test]
fn mon4_pump_curve_consistency() {
    let (mut c, mut t) = running_rpm(CircuitKind::Vv, 3500.0);
    let curve = PumpCurve::ROTAFLOW;
    // Consistent: head for 3500 rpm at 4.5 L/min.
    let h = curve.head(3500.0, 4.5);
    let out = run(&mut c, &mut t, 2000, &mut |t, f| {
        f.p_pre_oxy = Reading::new(-40.0 + h + ((t / 10) % 5) as f32 * 0.01, t);
    });
    assert!(!out.alarms.present.contains(AlarmId::FlowSpeedMismatch));
    // Flow sensor reads 2 L/min low.
    let out = run(&mut c, &mut t, 2000, &mut |t, f| {
        f.p_pre_oxy = Reading::new(-40.0 + h + ((t / 10) % 5) as f32 * 0.01, t);
        f.flow = Reading::new(2.5 + ((t / 10) % 3) as f32 * 0.001, t);
    });
    assert!(out.alarms.signalled.contains(AlarmId::FlowSpeedMismatch));
}

/// CTL-10: automatic sweep moves towards the PCO2 target slowly and within its bounds.
#[test]
fn ctl10_auto_sweep_bounded_and_slow() {
    let (mut c, mut t) = running_rpm(CircuitKind::Vv, 3500.0);
    t += 10;
    ok(
        &mut c,
        t,
        &[
            Command::SetSweep(4.0),
            Command::SetSweepBounds { min: 1.0, max: 6.0 },
            Command::SetPco2Target(30.0),
            Command::SetGasMode(GasMode::AutoPco2),
        ],
    );
    // PCO2 far too high: sweep rises at most 0.5 L/min per minute, stops at 6.
    let out = run(&mut c, &mut t, 6000, &mut |t, f| {
        f.pco2_post = Reading::new(50.0, t)
    });
    assert!(
        (out.actuators.sweep_lpm - 4.5).abs() < 0.02,
        "{}",
        out.actuators.sweep_lpm
    );
    let out = run(&mut c, &mut t, 6000 * 10, &mut |t, f| {
        f.pco2_post = Reading::new(50.0, t)
    });
    assert_eq!(out.actuators.sweep_lpm, 6.0);
    assert!(out.alarms.signalled.contains(AlarmId::AutoSweepAtLimit));
    // Sensor gone: the sweep holds.
    let out = run(&mut c, &mut t, 1000, &mut |_, f| {
        f.pco2_post = Reading::MISSING
    });
    assert_eq!(out.actuators.sweep_lpm, 6.0);
}

/// CTL-1: the control period and the rate agree, and the twin's 2 ms step divides it.
#[test]
fn ctl1_rate_constants() {
    assert_eq!(CONTROL_PERIOD_MS * CONTROL_RATE_HZ as u64, 1000);
    assert_eq!(CONTROL_PERIOD_MS % 2, 0);
    assert!(STEP_DEADLINE_US as u64 <= CONTROL_PERIOD_MS * 1000);
}

/// CTL-9, CTL-11: manual sweep, FdO2 and heater reach the actuators as set.
#[test]
fn ctl9_ctl11_gas_and_heater_as_set() {
    let (mut c, t) = running_rpm(CircuitKind::Vv, 3000.0);
    let out = ok(
        &mut c,
        t + 10,
        &[
            Command::SetSweep(3.5),
            Command::SetFdO2(0.8),
            Command::SetHeater(36.0),
        ],
    );
    assert_eq!(out.actuators.sweep_lpm, 3.5);
    assert_eq!(out.actuators.fdo2, 0.8);
    assert_eq!(out.actuators.heater_c, 36.0);
}

/// MON-2: a ΔP rising by 15 mmHg per hour at constant flow raises the trend alarm after an
/// hour of data; a flat ΔP over the same time does not. MON-1 fires when ΔP crosses its limit.
#[test]
fn mon1_mon2_delta_p_limit_and_trend() {
    for rising in [false, true] {
        let (mut c, mut t) = running_rpm(CircuitKind::Vv, 3500.0);
        let t0 = t;
        let mut first_trend_ms = None;
        let mut first_high_ms = None;
        // Two hours at 100 Hz.
        for _ in 0..720_000 {
            t += CONTROL_PERIOD_MS;
            let mut f = frame(t);
            let hours = (t - t0) as f32 / 3.6e6;
            if rising {
                f.delta_p = Reading::new(30.0 + 15.0 * hours + ((t / 10) % 3) as f32 * 0.01, t);
            } else {
                f.delta_p = Reading::new(30.0 + ((t / 10) % 3) as f32 * 0.01, t);
            }
            let out = c.step(t, &f, &[]);
            if first_trend_ms.is_none() && out.alarms.signalled.contains(AlarmId::DeltaPRising) {
                first_trend_ms = Some(t - t0);
            }
            if first_high_ms.is_none() && out.alarms.signalled.contains(AlarmId::DeltaPHigh) {
                first_high_ms = Some(t - t0);
            }
        }
        if rising {
            let tr = first_trend_ms.expect("trend alarm");
            assert!(
                (3_600_000..=4_300_000).contains(&tr),
                "trend alarm at {tr} ms"
            );
            // 30 + 15 h = 60 at 2 h: the limit is crossed at the very end, 10 s delay.
            assert!(first_high_ms.is_none() || first_high_ms.unwrap() > 7_000_000);
        } else {
            assert_eq!(first_trend_ms, None);
            assert_eq!(first_high_ms, None);
        }
    }
}

/// MON-6, MON-7, MON-10: high flow, temperature and upper-body saturation limits.
#[test]
fn mon6_mon7_mon10_limits() {
    let (mut c, mut t) = running_rpm(CircuitKind::Vv, 3500.0);
    // Move slowly to the abnormal values (the plausibility layer rejects jumps).
    let t0 = t;
    let out = run(&mut c, &mut t, 6000, &mut |t, f| {
        let k = ((t - t0) as f32 / 20_000.0).min(1.0);
        f.flow = Reading::new(4.5 + 3.0 * k + ((t / 10) % 3) as f32 * 0.001, t);
        f.temperature = Reading::new(36.8 - 3.0 * k, t);
        f.sao2_upper = Reading::new(94.0 - 14.0 * k, t); // to 80 %
    });
    for id in [
        AlarmId::FlowHigh,
        AlarmId::TemperatureLow,
        AlarmId::SaO2UpperLow,
    ] {
        assert!(out.alarms.signalled.contains(id), "{id:?}");
    }
    assert!(!out.alarms.signalled.contains(AlarmId::TemperatureHigh));
    // The limits are the operator's: raising them clears the non-latching alarms.
    t += 10;
    ok(
        &mut c,
        t,
        &[
            Command::SetAlarmLimit {
                limit: AlarmLimit::FlowHigh,
                value: 8.0,
            },
            Command::SetAlarmLimit {
                limit: AlarmLimit::TemperatureLow,
                value: 33.0,
            },
            Command::SetAlarmLimit {
                limit: AlarmLimit::SaO2UpperLow,
                value: 75.0,
            },
        ],
    );
    let out = run(&mut c, &mut t, 10, &mut |t, f| {
        f.flow = Reading::new(7.5 + ((t / 10) % 3) as f32 * 0.001, t);
        f.temperature = Reading::new(33.8, t);
        f.sao2_upper = Reading::new(80.0, t);
    });
    for id in [
        AlarmId::FlowHigh,
        AlarmId::TemperatureLow,
        AlarmId::SaO2UpperLow,
    ] {
        assert!(!out.alarms.signalled.contains(id), "{id:?}");
    }
}

#[test]
fn ctl12_adopt_running_pump_without_a_bump() {
    let mut c = ctl(CircuitKind::Vv);
    let running = ActuatorCommands {
        pump_rpm: 3300.0,
        return_clamp_closed: false,
        sweep_lpm: 4.0,
        fdo2: 0.8,
        heater_c: 36.5,
    };
    c.adopt(&running).unwrap();
    assert_eq!(c.settings().mode, Mode::Rpm);
    let mut t = 0;
    for _ in 0..300 {
        t += CONTROL_PERIOD_MS;
        let mut f = frame(t);
        f.pump_speed = Reading::new(3300.0, t);
        let out = c.step(t, &f, &[]);
        assert_eq!(
            out.actuators, running,
            "t = {t} ms: the takeover changed the actuators"
        );
    }
    // Only before the first step.
    assert!(matches!(
        c.adopt(&ActuatorCommands::SAFE),
        Err(CommandError::NotAllowed { .. })
    ));
}

#[test]
fn ctl12_adopt_refuses_out_of_range_and_keeps_standby_for_a_stopped_pump() {
    let mut c = ctl(CircuitKind::Vv);
    let bad = ActuatorCommands {
        sweep_lpm: 14.0,
        ..ActuatorCommands::SAFE
    };
    assert!(c.adopt(&bad).is_err());
    assert_eq!(c.settings().sweep_lpm, Settings::DEFAULT.sweep_lpm);
    // A unit with its heater off (0) and the pump stopped: standby, heater set point kept.
    let off = ActuatorCommands {
        heater_c: 0.0,
        fdo2: 0.21,
        ..ActuatorCommands::SAFE
    };
    // A mode restored from an earlier run does not start a pump the unit holds stopped.
    c.apply(0, &Command::SetRpmTarget(3000.0)).unwrap();
    c.apply(0, &Command::SetMode(Mode::Rpm)).unwrap();
    c.adopt(&off).unwrap();
    assert_eq!(c.settings().mode, Mode::Standby);
    assert_eq!(c.settings().heater_c, Settings::DEFAULT.heater_c);
    let out = c.step(10, &frame(10), &[]);
    assert_eq!(out.actuators.pump_rpm, 0.0);
    assert!(out.actuators.return_clamp_closed);
}

/// An arterial line at `t`: mean 75 mmHg, pulse pressure `pp` (a 72/min sine), plus a
/// deterministic ±0.6 mmHg sample noise as a real line has.
fn art(t: u64, pp: f32) -> Reading {
    let phase = (t as f32 * 1e-3) * 1.2 * core::f32::consts::TAU;
    let noise = ((t / 10).wrapping_mul(2_654_435_761) % 13) as f32 * 0.1 - 0.6;
    Reading::new(75.0 + 0.5 * pp * phase.sin() + noise, t)
}

/// MON-11: on VA, a flat arterial line (pulse pressure about 0) raises the pulsatility alarm
/// after its 30 s condition delay and not before; a pulsatile line (40 mmHg) never does; the
/// operator's limit decides; a line that is not connected, or drops out, raises neither this
/// alarm nor a sensor fault.
#[test]
fn mon11_va_loss_of_pulsatility() {
    let (mut c, mut t) = running_rpm(CircuitKind::Va, 3500.0);
    let out = run(&mut c, &mut t, 6000, &mut |t, f| f.p_art = art(t, 40.0));
    assert!(!out.alarms.present.contains(AlarmId::PulsatilityLost));
    // Flat line: the first windows after the change still hold the pulse, then the condition
    // holds 30 s before the alarm.
    let t_flat = t;
    let mut raised = None;
    for _ in 0..6000 {
        let out = run(&mut c, &mut t, 1, &mut |t, f| f.p_art = art(t, 0.0));
        if out.alarms.signalled.contains(AlarmId::PulsatilityLost) {
            raised = Some(t - t_flat);
            break;
        }
    }
    let raised = raised.expect("flat arterial line on VA raised MON-11 within 60 s");
    assert!(
        (30_000..=38_000).contains(&raised),
        "raised {raised} ms after the line went flat (delay 30 s + at most two 4-s windows)"
    );
    assert_eq!(AlarmId::PulsatilityLost.spec().priority, Priority::Medium);
    // A weak pulse of 8 mmHg is below the default 10 mmHg ...
    let out = run(&mut c, &mut t, 1000, &mut |t, f| f.p_art = art(t, 8.0));
    assert!(out.alarms.present.contains(AlarmId::PulsatilityLost));
    // ... and above an operator's 5 mmHg.
    t += CONTROL_PERIOD_MS;
    ok(
        &mut c,
        t,
        &[Command::SetAlarmLimit {
            limit: AlarmLimit::PulsePressureLow,
            value: 5.0,
        }],
    );
    let out = run(&mut c, &mut t, 1000, &mut |t, f| f.p_art = art(t, 8.0));
    assert!(!out.alarms.present.contains(AlarmId::PulsatilityLost));
    // Out of its range, the limit is refused with the setting's name.
    t += CONTROL_PERIOD_MS;
    let out = c.step(
        t,
        &frame(t),
        &[Command::SetAlarmLimit {
            limit: AlarmLimit::PulsePressureLow,
            value: 0.0,
        }],
    );
    assert!(matches!(out.command_results[0], Some(Err(_))));

    // The line disconnected (dropout): no MON-11, no sensor fault, even after it once worked.
    let out = run(&mut c, &mut t, 6000, &mut |_, f| f.p_art = Reading::MISSING);
    for id in [
        AlarmId::PulsatilityLost,
        AlarmId::PressureSensorFault,
        AlarmId::GasSensorFault,
    ] {
        assert!(!out.alarms.present.contains(id), "{id:?}");
    }

    // VV: a flat line is not this console's alarm (the patient monitor alarms an arrest).
    let (mut c, mut t) = running_rpm(CircuitKind::Vv, 3500.0);
    let out = run(&mut c, &mut t, 6000, &mut |t, f| f.p_art = art(t, 0.0));
    assert!(!out.alarms.present.contains(AlarmId::PulsatilityLost));
    // VA with the pump stopped: no flow, no afterload from the circuit; not the condition.
    let mut c = ctl(CircuitKind::Va);
    let mut t = 0;
    let out = run(&mut c, &mut t, 6000, &mut |t, f| {
        f.p_art = art(t, 0.0);
        f.flow = Reading::new(((t / 10) % 3) as f32 * 0.001, t);
        f.pump_speed = Reading::new(0.0, t);
    });
    assert!(!out.alarms.present.contains(AlarmId::PulsatilityLost));
}
