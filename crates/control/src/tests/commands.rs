//! Operator commands (phase 3, controller/commands.rs, CTL-8): the edges of paired settings,
//! the states a command needs, and the bumpless changes of mode and gas mode.

use super::*;

fn refused(r: Result<(), CommandError>) -> bool {
    matches!(
        r,
        Err(CommandError::NotAllowed { .. } | CommandError::Conflict { .. })
    )
}

/// CTL-8: the sweep bounds and the low/high alarm pairs must be strictly ordered: equal is
/// refused with a conflict naming both, and a refused command changes nothing.
#[test]
fn ctl8_paired_settings_strictly_ordered() {
    let mut c = ctl(CircuitKind::Vv);
    let before = *c.settings();
    let equal = Command::SetSweepBounds { min: 2.0, max: 2.0 };
    assert!(matches!(
        c.apply(0, &equal),
        Err(CommandError::Conflict {
            setting: Setting::SweepMin,
            other: Setting::SweepMax,
            ..
        })
    ));
    assert_eq!(*c.settings(), before);
    let ok_bounds = Command::SetSweepBounds { min: 2.0, max: 2.5 };
    assert_eq!(c.apply(0, &ok_bounds), Ok(()));
    assert_eq!((c.settings().sweep_min, c.settings().sweep_max), (2.0, 2.5));
    // Each low/high pair brought to a value both ranges allow: the other may not equal it.
    let set = |c: &mut Controller, limit: AlarmLimit, value: f32| {
        c.apply(0, &Command::SetAlarmLimit { limit, value })
    };
    let pairs = [
        (AlarmLimit::FlowLow, AlarmLimit::FlowHigh, 3.0, 2.9),
        (
            AlarmLimit::TemperatureLow,
            AlarmLimit::TemperatureHigh,
            37.5,
            37.0,
        ),
    ];
    for (low, high, v, below) in pairs {
        assert_eq!(set(&mut c, high, v), Ok(()), "{high:?}");
        let kept = *c.settings();
        assert!(refused(set(&mut c, low, v)), "{low:?} = {high:?}");
        assert_eq!(*c.settings(), kept);
        assert_eq!(set(&mut c, low, below), Ok(()), "{low:?}");
        assert_eq!(c.settings().alarm_limit(low), below);
        assert!(refused(set(&mut c, high, below)), "{high:?} = {low:?}");
        assert_eq!(c.settings().alarm_limit(high), v);
    }
    // Limits without a pair are only checked against their range.
    let dp = Command::SetAlarmLimit {
        limit: AlarmLimit::DeltaPHigh,
        value: 120.0,
    };
    assert_eq!(c.apply(0, &dp), Ok(()));
    assert_eq!(c.settings().alarm_limit(AlarmLimit::DeltaPHigh), 120.0);
}

/// CTL-8: the circuit configuration changes only in standby.
#[test]
fn ctl8_circuit_only_in_standby() {
    let mut c = ctl(CircuitKind::Vv);
    assert_eq!(c.apply(0, &Command::SetCircuit(CircuitKind::Va)), Ok(()));
    assert_eq!(c.settings().circuit, CircuitKind::Va);
    assert_eq!(c.config().circuit, CircuitKind::Va);
    let (mut c, t) = running_rpm(CircuitKind::Vv, 3000.0);
    let out = c.step(
        t + 10,
        &frame(t + 10),
        &[Command::SetCircuit(CircuitKind::Va)],
    );
    assert!(refused(out.command_results[0].unwrap()));
    assert_eq!(c.settings().circuit, CircuitKind::Vv);
}

/// INT-5: an intervention is switched off and on again by its own command; its limit is
/// set within range (the bubble intervention has none).
#[test]
fn int5_intervention_switch_and_limit() {
    let mut c = ctl(CircuitKind::Vv);
    for which in [
        Intervention::Suction,
        Intervention::ReturnPressure,
        Intervention::Bubble,
        Intervention::Backflow,
    ] {
        for enabled in [false, true] {
            let cmd = Command::SetIntervention { which, enabled };
            assert_eq!(c.apply(0, &cmd), Ok(()));
            assert_eq!(
                c.settings().intervention(which).enabled,
                enabled,
                "{which:?}"
            );
        }
    }
    let set = Command::SetInterventionLimit {
        which: Intervention::Suction,
        value: -120.0,
    };
    assert_eq!(c.apply(0, &set), Ok(()));
    assert_eq!(
        c.settings().intervention(Intervention::Suction).limit,
        -120.0
    );
    assert_eq!(c.apply(0, &Command::SetReturnClamp(true)), Ok(()));
    assert!(c.settings().return_clamp);
}

/// CTL-10: automatic sweep needs a working PCO2 sensor and starts from the manual sweep
/// (within the bounds); asking again changes nothing; manual continues from where automatic
/// left the sweep.
#[test]
fn ctl10_gas_mode_changes_are_bumpless() {
    let mut c = ctl(CircuitKind::Vv);
    // No frame seen yet: no PCO2 reading.
    let r = c.apply(0, &Command::SetGasMode(GasMode::AutoPco2));
    assert!(refused(r), "{r:?}");
    let (mut c, mut t) = running_rpm(CircuitKind::Vv, 3000.0);
    t += 10;
    let cmds = [
        Command::SetSweep(9.0),
        Command::SetSweepBounds { min: 1.0, max: 6.0 },
        Command::SetPco2Target(30.0),
        Command::SetGasMode(GasMode::AutoPco2),
    ];
    let out = ok(&mut c, t, &cmds);
    // Starts at the manual sweep brought within the bounds.
    assert!(
        (out.actuators.sweep_lpm - 6.0).abs() < 0.01,
        "{:?}",
        out.actuators
    );
    // PCO2 high: the automatic sweep would rise but sits at its bound; lower the sweep by
    // asking for a PCO2 far below: it falls from there.
    let out = run(&mut c, &mut t, 6000, &mut |t, f| {
        f.pco2_post = Reading::new(20.0 + ((t / 1000) % 2) as f32 * 0.1, t)
    });
    let auto = out.actuators.sweep_lpm;
    assert!((auto - 5.5).abs() < 0.05, "{auto}");
    // Manual straight from automatic: continues from the automatic sweep.
    let mut m = c.clone();
    let out = ok(&mut m, t + 10, &[Command::SetGasMode(GasMode::Manual)]);
    assert!(
        (out.actuators.sweep_lpm - auto).abs() < 0.01,
        "{:?}",
        out.actuators
    );
    // Manual again: the manual sweep stays as set.
    let out = ok(&mut m, t + 20, &[Command::SetSweep(3.0)]);
    assert_eq!(out.actuators.sweep_lpm, 3.0);
    let out = ok(&mut m, t + 30, &[Command::SetGasMode(GasMode::Manual)]);
    assert_eq!(out.actuators.sweep_lpm, 3.0);
    // Asking for automatic again keeps the sweep where it is.
    t += 10;
    let out = ok(&mut c, t, &[Command::SetGasMode(GasMode::AutoPco2)]);
    assert!((out.actuators.sweep_lpm - auto).abs() < 0.01);
    // Manual: continues from the automatic sweep.
    t += 10;
    let out = ok(&mut c, t, &[Command::SetGasMode(GasMode::Manual)]);
    assert!((out.actuators.sweep_lpm - auto).abs() < 0.01);
    assert_eq!(c.settings().sweep_lpm, out.actuators.sweep_lpm);
}

/// INT-3: a restart is refused without a bubble stop; after one it starts the pump from
/// standstill with the interventions' reductions cleared.
#[test]
fn int3_restart_only_after_a_bubble_stop() {
    let (mut c, mut t) = running_rpm(CircuitKind::Vv, 3000.0);
    t += 10;
    let out = c.step(t, &frame(t), &[Command::RestartAfterBubble]);
    assert!(refused(out.command_results[0].unwrap()));
    assert_eq!(out.actuators.pump_rpm, 3000.0);
    // Suction reduces, then air stops the pump.
    let out = run(&mut c, &mut t, 120, &mut |t, f| {
        f.p_drainage = Reading::new(-150.0 + ((t / 10) % 7) as f32 * 0.01, t)
    });
    assert!(out.status.suction_reduction_rpm > 0.0);
    let out = run(&mut c, &mut t, 1, &mut |t, f| f.bubble = Flag::new(true, t));
    assert_eq!(out.actuators.pump_rpm, 0.0);
    let out = run(&mut c, &mut t, 10, &mut |_, _| {});
    t += 10;
    let out2 = ok(&mut c, t, &[Command::RestartAfterBubble]);
    assert!(out.status.bubble_stop && !out2.status.bubble_stop);
    assert_eq!(out2.status.suction_reduction_rpm, 0.0);
    assert!(
        out2.actuators.pump_rpm <= 10.0 + 1e-3,
        "{:?}",
        out2.actuators
    );
}

/// CTL-2..CTL-5: a mode change is bumpless: the same mode again changes nothing; leaving
/// flow mode for RPM mode holds the present speed; entering flow mode starts from the
/// present speed; standby drops the reductions; a new mode clears the flow fallback.
#[test]
fn ctl2_to_ctl5_mode_changes_are_bumpless() {
    let (mut c, mut t) = running_rpm(CircuitKind::Vv, 3000.0);
    t += 10;
    let out = ok(&mut c, t, &[Command::SetMode(Mode::Rpm)]);
    assert_eq!(out.actuators.pump_rpm, 3000.0);
    // Into flow mode with the flow on target: the speed stays.
    t += 10;
    let cmds = [Command::SetFlowTarget(4.5), Command::SetMode(Mode::Flow)];
    let out = ok(&mut c, t, &cmds);
    assert!(
        (out.actuators.pump_rpm - 3000.0).abs() < 10.0,
        "{:?}",
        out.actuators
    );
    let out = run(&mut c, &mut t, 100, &mut |t, f| {
        f.flow = Reading::new(4.0 + ((t / 10) % 3) as f32 * 0.001, t)
    });
    let n = out.actuators.pump_rpm;
    assert!(n > 3010.0, "the loop raised the speed: {n}");
    // Back to RPM mode: the present speed is the new target.
    t += 10;
    let out = ok(&mut c, t, &[Command::SetMode(Mode::Rpm)]);
    assert_eq!(out.mode, Mode::Rpm);
    assert!(
        (c.settings().rpm_target - n).abs() < 10.0,
        "{}",
        c.settings().rpm_target
    );
    assert!((out.actuators.pump_rpm - n).abs() < 10.0);
    // Standby drops an intervention's reduction.
    let out = run(&mut c, &mut t, 120, &mut |t, f| {
        f.p_drainage = Reading::new(-150.0 + ((t / 10) % 7) as f32 * 0.01, t)
    });
    assert!(out.status.suction_reduction_rpm > 0.0);
    t += 10;
    let out = ok(&mut c, t, &[Command::SetMode(Mode::Standby)]);
    assert_eq!(out.status.suction_reduction_rpm, 0.0);
    assert_eq!(out.status.base_rpm, 0.0);
}

/// ALM: the operator's acknowledge-all and audio pause reach the alarm system through the
/// step: a latched alarm whose condition has ended clears on acknowledge-all, and a sounding
/// pausable alarm goes quiet on pause.
#[test]
fn alm_acknowledge_all_and_pause_through_the_step() {
    let (mut c, mut t) = running_rpm(CircuitKind::Vv, 3500.0);
    // A late step: the latching deadline alarm (SYS-2).
    t += 35;
    let out = c.step(t, &frame(t), &[]);
    assert!(out.alarms.signalled.contains(AlarmId::DeadlineMissed));
    let out = run(&mut c, &mut t, 5, &mut |_, _| {});
    assert!(
        out.alarms.signalled.contains(AlarmId::DeadlineMissed),
        "latched"
    );
    assert!(
        matches!(out.alarms.audio, AudioState::Sounding(_)),
        "{:?}",
        out.alarms
    );
    t += 10;
    let out = ok(&mut c, t, &[Command::PauseAudio]);
    assert!(
        matches!(out.alarms.audio, AudioState::Paused { .. }),
        "{:?}",
        out.alarms
    );
    t += 10;
    let out = ok(&mut c, t, &[Command::AcknowledgeAll]);
    assert!(
        !out.alarms.signalled.contains(AlarmId::DeadlineMissed),
        "{:?}",
        out.alarms
    );
}

/// SEN-5, CTL-5: flow and zero-flow modes are refused without a working flow sensor, and
/// zero-flow mode on a VV circuit; nothing changes on a refusal.
#[test]
fn sen5_ctl5_flow_modes_need_their_sensor_and_zero_flow_va() {
    for kind in [CircuitKind::Vv, CircuitKind::Va] {
        let (mut c, mut t) = running_rpm(kind, 3500.0);
        let no_flow = |t: u64| {
            let mut f = frame(t);
            f.flow = Reading::MISSING;
            f
        };
        for mode in [Mode::Flow, Mode::ZeroFlow] {
            t += 10;
            let out = c.step(t, &no_flow(t), &[Command::SetMode(mode)]);
            assert!(
                refused(out.command_results[0].unwrap()),
                "{kind:?} {mode:?}"
            );
            assert_eq!(out.mode, Mode::Rpm);
        }
    }
    // With the flow sensor working: zero-flow only on VA.
    let (mut c, t) = running_rpm(CircuitKind::Vv, 3500.0);
    let out = c.step(t + 10, &frame(t + 10), &[Command::SetMode(Mode::ZeroFlow)]);
    assert!(refused(out.command_results[0].unwrap()));
    assert_eq!(out.mode, Mode::Rpm);
    let out = c.step(t + 20, &frame(t + 20), &[Command::SetMode(Mode::Flow)]);
    assert_eq!(out.command_results[0], Some(Ok(())));
    let (mut c, t) = running_rpm(CircuitKind::Va, 3500.0);
    let out = c.step(t + 10, &frame(t + 10), &[Command::SetMode(Mode::ZeroFlow)]);
    assert_eq!(out.command_results[0], Some(Ok(())));
}

/// CTL-4, INT-4: entering flow mode starts the loop from the speed the pump runs at, not
/// from a lower target the VA minimum speed was holding it above: flow below its target
/// raises the pump's speed at once.
#[test]
fn ctl4_flow_mode_starts_from_the_running_speed() {
    let mut c = ctl(CircuitKind::Va);
    let mut t = 0;
    let floor = c.settings().intervention(Intervention::Backflow).limit;
    let start = [
        Command::SetRpmTarget(floor - 800.0),
        Command::SetMode(Mode::Rpm),
    ];
    ok(&mut c, t, &start);
    let low_flow = |t: u64, f: &mut SensorFrame| {
        f.pump_speed = Reading::new(floor, t);
        f.flow = Reading::new(3.0 + ((t / 10) % 3) as f32 * 0.001, t);
    };
    let out = run(&mut c, &mut t, 400, &mut |t, f| low_flow(t, f));
    assert_eq!(out.actuators.pump_rpm, floor);
    let cmds = [Command::SetFlowTarget(4.0), Command::SetMode(Mode::Flow)];
    let out = step_shaped(&mut c, &mut t, &mut |t, f| low_flow(t, f), &cmds);
    assert_eq!(out.command_results[1], Some(Ok(())));
    let out = run(&mut c, &mut t, 50, &mut |t, f| low_flow(t, f));
    assert!(
        out.actuators.pump_rpm > floor + 100.0,
        "{:?}",
        out.actuators
    );
}

/// CTL-2..CTL-5 with INT-1/INT-2 and INT-4 in force: entering flow or zero-flow mode while a
/// pressure intervention holds the speed down, or the backflow boost holds it up, keeps the
/// speed the pump runs at: the reduction is not taken off twice, nor the boost put on twice
/// (nor lost, in zero-flow mode, which drops the boost).
#[test]
fn ctl4_ctl5_closed_loop_modes_bumpless_during_an_intervention() {
    // VV at 3500 rpm, the drainage pressure past the suction limit (INT-1) or the return
    // pressure past its limit (INT-2) until a reduction holds.
    for suction in [true, false] {
        let (mut c, mut t) = running_rpm(CircuitKind::Vv, 3500.0);
        let pressure = |t: u64, f: &mut SensorFrame| {
            let w = ((t / 10) % 7) as f32 * 0.01;
            if suction {
                f.p_drainage = Reading::new(-150.0 + w, t);
            } else {
                f.p_post_oxy = Reading::new(420.0 + w, t);
            }
        };
        let reduction = |s: &Status| s.suction_reduction_rpm + s.return_reduction_rpm;
        let out = run(&mut c, &mut t, 120, &mut |t, f| pressure(t, f));
        let held = reduction(&out.status);
        let which = if suction {
            out.status.suction_reduction_rpm
        } else {
            out.status.return_reduction_rpm
        };
        assert!(which >= 100.0 && which == held, "{:?}", out.status);
        let before = out.actuators.pump_rpm;
        assert_eq!(before, 3500.0 - held);
        let cmds = [Command::SetFlowTarget(4.5), Command::SetMode(Mode::Flow)];
        let out = step_shaped(&mut c, &mut t, &mut |t, f| pressure(t, f), &cmds);
        assert_eq!(out.command_results[1], Some(Ok(())));
        assert_eq!(reduction(&out.status), held);
        assert!(
            (out.actuators.pump_rpm - before).abs() < 1.0,
            "suction {suction}: {before} rpm before, {:?} after",
            out.actuators
        );
        assert!(
            (out.status.base_rpm - 3500.0).abs() < 1.0,
            "{:?}",
            out.status
        );
    }

    // VA with measured backflow: the boost holds the speed above the minimum. Flow mode keeps
    // the boost (phase 7 puts it on the loop's speed), zero-flow mode drops it (the loop's
    // speed takes it over): either way the pump keeps its speed.
    for mode in [Mode::Flow, Mode::ZeroFlow] {
        let (mut c, mut t) = running_rpm(CircuitKind::Va, 2500.0);
        let backflow = |t: u64, f: &mut SensorFrame| {
            f.flow = Reading::new(-0.5 + ((t / 10) % 3) as f32 * 0.001, t);
        };
        // Walk the flow reading down within the plausibility layer's rate limit.
        for k in 1..=10 {
            run(&mut c, &mut t, 1, &mut |t, f| {
                f.flow = Reading::new(4.5 - 5.0 * k as f32 / 10.0, t)
            });
        }
        let out = run(&mut c, &mut t, 60, &mut |t, f| backflow(t, f));
        let before = out.actuators.pump_rpm;
        assert!(out.status.backflow_guard && before >= 2600.0, "{out:?}");
        assert_eq!(out.status.base_rpm, 2500.0);
        let cmds = [Command::SetFlowTarget(4.5), Command::SetMode(mode)];
        let out = step_shaped(&mut c, &mut t, &mut |t, f| backflow(t, f), &cmds);
        assert_eq!(out.command_results[1], Some(Ok(())));
        // The loop may raise its speed by one period's 6 rpm (the flow is below target in
        // both modes); the boost may take one more step of 100 rpm in flow mode.
        let base = if mode == Mode::Flow { 2500.0 } else { before };
        assert!(
            out.status.base_rpm >= base && out.status.base_rpm <= base + 6.0 + 1e-3,
            "{mode:?}: {before} rpm before, {:?} after",
            out.status
        );
        let n = out.actuators.pump_rpm;
        assert!(
            n >= before && n <= before + 100.0 + 6.0 + 1e-3,
            "{mode:?}: {n}"
        );
    }
}

/// A console that restarts restores its saved settings before the first step, each command
/// validated as a step would; once the controller has stepped, restoring is refused.
#[test]
fn settings_restored_only_before_the_first_step() {
    let mut c = ctl(CircuitKind::Vv);
    let saved = [
        Command::SetRpmTarget(3000.0),
        Command::SetSweep(20.0),
        Command::SetMode(Mode::Rpm),
    ];
    let r = c.restore(&saved).unwrap();
    assert_eq!(r[0], Some(Ok(())));
    assert!(matches!(r[1], Some(Err(CommandError::OutOfRange { .. }))));
    assert_eq!(r[2], Some(Ok(())));
    assert_eq!(r[3], None);
    assert_eq!(c.settings().rpm_target, 3000.0);
    assert_eq!(c.settings().mode, Mode::Rpm);
    c.step(0, &frame(0), &[]);
    assert!(matches!(
        c.restore(&saved),
        Err(CommandError::NotAllowed { .. })
    ));
}

/// SYS-2: a step reported to have taken exactly the compute budget met its deadline; one
/// microsecond more missed it.
#[test]
fn sys2_reported_duration_at_the_budget() {
    let (mut c, mut t) = running_rpm(CircuitKind::Vv, 3500.0);
    c.report_step_duration(STEP_DEADLINE_US);
    let out = run(&mut c, &mut t, 1, &mut |_, _| {});
    assert!(!out.status.deadline_missed);
    c.report_step_duration(STEP_DEADLINE_US + 1);
    let out = run(&mut c, &mut t, 1, &mut |_, _| {});
    assert!(out.status.deadline_missed);
}
