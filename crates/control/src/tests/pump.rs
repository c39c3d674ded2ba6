//! Pump drive (phases 4 to 7, controller/pump.rs): the boundaries and dynamics of the flow
//! loop, the flow-sensor fallback, the interventions and the VA guard that the older tests
//! let through (docs/control-mutants.md, issue 13).

use super::*;

/// A crude centrifugal pump against a fixed head: 0.0025 L/min per rpm above the speed that
/// balances the head (the plant gain CTL-4's tuning assumes, controller/mod.rs), the motor
/// following its command with a 0.2 s time constant.
struct Plant {
    /// Speed at which the pump's head balances the circuit's pressure: no net flow, rpm.
    n0: f32,
    /// Measured speed, rpm.
    n: f32,
    /// The controller's last speed command, rpm.
    cmd: f32,
    /// Drainage and post-oxygenator pressure readings, mmHg, when not the healthy frame's.
    p_drainage: Option<f32>,
    p_post_oxy: Option<f32>,
}

impl Plant {
    fn new(n0: f32) -> Plant {
        Plant {
            n0,
            n: 0.0,
            cmd: 0.0,
            p_drainage: None,
            p_post_oxy: None,
        }
    }

    /// True net flow, L/min.
    fn flow(&self) -> f32 {
        0.0025 * (self.n - self.n0)
    }

    /// Steps `c` for `steps` periods, `cmds` at the first; shows `see` each step's index,
    /// output and the true flow after it.
    fn drive(
        &mut self,
        c: &mut Controller,
        t: &mut u64,
        steps: u32,
        cmds: &[Command],
        see: &mut dyn FnMut(u32, &Output, f32),
    ) {
        for i in 0..steps {
            *t += CONTROL_PERIOD_MS;
            self.n += 0.01 / (0.2 + 0.01) * (self.cmd - self.n);
            let mut f = frame(*t);
            // A little deterministic ripple, as live signals have (the stuck check needs it).
            f.flow = Reading::new(self.flow() + ((*t / 10) % 3) as f32 * 0.001, *t);
            f.pump_speed = Reading::new(self.n, *t);
            let w = ((*t / 10) % 7) as f32 * 0.01;
            if let Some(p) = self.p_drainage {
                f.p_drainage = Reading::new(p + w, *t);
            }
            if let Some(p) = self.p_post_oxy {
                f.p_post_oxy = Reading::new(p + w, *t);
            }
            let out = c.step(*t, &f, if i == 0 { cmds } else { &[] });
            for r in out.command_results.iter().flatten() {
                assert_eq!(*r, Ok(()), "{cmds:?}");
            }
            self.cmd = out.actuators.pump_rpm;
            see(i, &out, self.flow());
        }
    }
}

/// CTL-4: a 3 → 4.5 L/min step of the flow target settles within ±2 % in 10 s and overshoots
/// by at most 5 %, against a pump with the plant gain the loop was tuned for.
#[test]
fn ctl4_flow_step_settles_within_10_s_without_overshoot() {
    let mut c = ctl(CircuitKind::Vv);
    let mut p = Plant::new(1700.0);
    let mut t = 0;
    let start = [Command::SetFlowTarget(3.0), Command::SetMode(Mode::Flow)];
    p.drive(&mut c, &mut t, 3000, &start, &mut |_, _, _| {});
    assert!((p.flow() - 3.0).abs() < 0.03, "{}", p.flow());
    let mut last_rpm = p.cmd;
    let mut peak = 0.0f32;
    let step = [Command::SetFlowTarget(4.5)];
    p.drive(&mut c, &mut t, 3000, &step, &mut |i, out, q| {
        peak = peak.max(q);
        if i >= 1000 {
            assert!(
                (q - 4.5).abs() <= 0.02 * 4.5,
                "{q} L/min {} ms after the step",
                i * 10
            );
        }
        // The speed moves at most 600 rpm/s.
        let dn = out.actuators.pump_rpm - last_rpm;
        assert!(dn.abs() <= 6.0 + 1e-3, "{dn} rpm in one period");
        last_rpm = out.actuators.pump_rpm;
    });
    assert!(peak <= 4.5 * 1.05, "overshoot to {peak}");
    assert!(peak >= 4.5 * 0.98, "never reached the target: {peak}");
}

/// SEN-5: the flow loop pauses on a rejected flow reading and falls back to RPM mode only
/// once the flow sensor has been rejected for 300 ms.
#[test]
fn sen5_fallback_after_300_ms_of_rejected_flow_not_before() {
    let mut c = ctl(CircuitKind::Vv);
    let mut p = Plant::new(1700.0);
    let mut t = 0;
    let start = [Command::SetFlowTarget(4.0), Command::SetMode(Mode::Flow)];
    p.drive(&mut c, &mut t, 2000, &start, &mut |_, _, _| {});
    let held = p.cmd;
    let bad = |t: u64| {
        let mut f = frame(t);
        f.flow = Reading {
            value: 4.0,
            valid: false,
            t_ms: t,
        };
        f
    };
    // Rejected from t0 on: up to t0 + 290 ms the loop pauses in flow mode.
    for _ in 0..30 {
        t += CONTROL_PERIOD_MS;
        let out = c.step(t, &bad(t), &[]);
        assert_eq!(out.mode, Mode::Flow);
        assert!(!out.status.flow_fallback);
        assert_eq!(out.actuators.pump_rpm, held, "the loop pauses");
    }
    t += CONTROL_PERIOD_MS;
    let out = c.step(t, &bad(t), &[]);
    assert_eq!(
        out.mode,
        Mode::Rpm,
        "300 ms after the first rejected reading"
    );
    assert!(out.status.flow_fallback);
    assert_eq!(out.actuators.pump_rpm, held);
}

/// INT-1, INT-2 in flow mode: the flow loop does not push the speed back up against a
/// pressure intervention that holds it down (the lost flow is the intervention's purpose), so
/// the pump turns slower by the whole reduction.
#[test]
fn int1_int2_flow_loop_does_not_undo_a_reduction() {
    for suction in [true, false] {
        let mut c = ctl(CircuitKind::Vv);
        let mut p = Plant::new(1700.0);
        let mut t = 0;
        let start = [Command::SetFlowTarget(4.0), Command::SetMode(Mode::Flow)];
        p.drive(&mut c, &mut t, 2000, &start, &mut |_, _, _| {});
        let before = p.cmd;
        // The pressure moves past its limit within a few periods (the plausibility layer
        // rejects larger jumps), then stays there for 3 s.
        for k in 1..=4 {
            let x = k as f32 / 4.0;
            if suction {
                p.p_drainage = Some(-40.0 - 110.0 * x);
            } else {
                p.p_post_oxy = Some(230.0 + 190.0 * x);
            }
            p.drive(&mut c, &mut t, 1, &[], &mut |_, _, _| {});
        }
        let mut last = None;
        p.drive(&mut c, &mut t, 300, &[], &mut |_, out, _| {
            let s = out.status;
            let red = s.suction_reduction_rpm + s.return_reduction_rpm;
            assert!(s.base_rpm <= before + 1.0, "{s:?}");
            assert!(out.actuators.pump_rpm <= before - red + 1.0, "{s:?}");
            last = Some(*out);
        });
        let s = last.unwrap().status;
        let red = if suction {
            s.suction_reduction_rpm
        } else {
            s.return_reduction_rpm
        };
        assert!(red >= 200.0, "suction {suction}: {s:?}");
        assert!(p.flow() < 4.0 - 0.0025 * 150.0, "{}", p.flow());
    }
}

/// INT-1 during spin-up: suction from the first moment the pump turns lowers the speed the
/// pump ramps through at once, step by step; it does not wait for the ramp to end.
#[test]
fn int1_suction_during_spin_up_lowers_the_ramp() {
    let cmds = [Command::SetRpmTarget(3500.0), Command::SetMode(Mode::Rpm)];
    let mut plain = ctl(CircuitKind::Vv);
    let mut sucking = ctl(CircuitKind::Vv);
    let mut most = 0.0f32;
    for i in 0..95u64 {
        let t = i * CONTROL_PERIOD_MS;
        let mut f = frame(t);
        let free = plain.step(t, &f, if i == 0 { &cmds } else { &[] });
        f.p_drainage = Reading::new(-150.0 + ((t / 10) % 7) as f32 * 0.01, t);
        let out = sucking.step(t, &f, if i == 0 { &cmds } else { &[] });
        assert!(out.actuators.pump_rpm <= free.actuators.pump_rpm);
        assert!(out.status.base_rpm <= free.status.base_rpm);
        most = most.max(free.actuators.pump_rpm - out.actuators.pump_rpm);
    }
    // Two steps of 100 rpm by 0.5 s, each no more than the speed reached.
    assert!(most >= 100.0, "{most}");
}

/// CTL-3: the speed the mode asks for (`Status::base_rpm`) rises at 1000 rpm/s like the
/// command and drops to a lower target at once.
#[test]
fn ctl3_base_speed_is_slewed_up_and_immediate_down() {
    let mut c = ctl(CircuitKind::Vv);
    let cmds = [Command::SetRpmTarget(3000.0), Command::SetMode(Mode::Rpm)];
    let out = c.step(0, &frame(0), &cmds);
    assert!(
        (out.status.base_rpm - 10.0).abs() < 1e-3,
        "{:?}",
        out.status
    );
    let mut t = 0;
    let out = run(&mut c, &mut t, 99, &mut |_, _| {});
    assert!(
        (out.status.base_rpm - 1000.0).abs() < 0.5,
        "{:?}",
        out.status
    );
    assert!(
        (out.status.base_rpm - out.actuators.pump_rpm).abs() < 0.5,
        "{out:?}"
    );
    let out = run(&mut c, &mut t, 300, &mut |_, _| {});
    assert_eq!(out.status.base_rpm, 3000.0);
    t += CONTROL_PERIOD_MS;
    let out = ok(&mut c, t, &[Command::SetRpmTarget(2000.0)]);
    assert_eq!(out.status.base_rpm, 2000.0);
}

/// CTL-5: in zero-flow mode retrograde flow is corrected three times as fast as forward flow
/// of the same size (backflow must not last; forward flow is approached gently so that the
/// loop does not overshoot into backflow), and no net flow at all is not retrograde.
#[test]
fn ctl5_zero_flow_corrects_backflow_three_times_as_fast() {
    // Speed change in the first second with the flow reading held at `q` (plus `ripple`).
    let rate = |q: f32, ripple: f32| {
        let (mut c, mut t) = running_rpm(CircuitKind::Va, 3000.0);
        // Walk the reading to `q` within the plausibility layer's rate limit, in RPM mode
        // with the backflow guard off (its boost would move the speed).
        t += CONTROL_PERIOD_MS;
        let off = switch_off(Intervention::Backflow);
        ok(&mut c, t, &[off]);
        let q0 = 4.5;
        let reading = |t: u64| Reading::new(q + ((t / 10) % 2) as f32 * ripple, t);
        for k in 1..=10 {
            t += CONTROL_PERIOD_MS;
            let mut f = frame(t);
            f.flow = Reading::new(q0 + (q - q0) * k as f32 / 10.0, t);
            c.step(t, &f, &[]);
        }
        // One rejected reading restarts the flow filter, which then holds `q` itself (within
        // the ripple).
        run(&mut c, &mut t, 1, &mut |_, f| f.flow = Reading::MISSING);
        run(&mut c, &mut t, 10, &mut |t, f| f.flow = reading(t));
        t += CONTROL_PERIOD_MS;
        let mut f = frame(t);
        f.flow = reading(t);
        let out = c.step(t, &f, &[Command::SetMode(Mode::ZeroFlow)]);
        assert_eq!(out.command_results[0], Some(Ok(())));
        let n0 = out.status.base_rpm;
        let out = run(&mut c, &mut t, 100, &mut |t, f| f.flow = reading(t));
        assert_eq!(out.mode, Mode::ZeroFlow);
        out.status.base_rpm - n0
    };
    let target = 0.08;
    let back = rate(target - 0.4, 1e-4);
    let fwd = rate(target + 0.4, 1e-4);
    assert!(back > 0.0 && fwd < 0.0, "{back} {fwd}");
    assert!((back / -fwd - 3.0).abs() < 0.1, "{back} {fwd}");
    // Exactly no net flow: the forward gain (error 0.08).
    let zero = rate(0.0, 0.0);
    assert!((zero / -fwd - 0.08 / 0.4).abs() < 0.02, "{zero} {fwd}");
}

/// One step with the measured speed `n` (and the healthy frame otherwise).
fn at_speed(c: &mut Controller, t: &mut u64, n: f32) -> Output {
    run(c, t, 1, &mut |t, f| f.pump_speed = Reading::new(n, t))
}

/// INT-4's 200 ms: steps `lagging` (one step each call) from the next period on, checking
/// that the return line stays open for the first 190 ms; answers the step 200 ms after the
/// first.
fn lagging_for_200_ms(
    c: &mut Controller,
    t: &mut u64,
    lagging: &mut dyn FnMut(&mut Controller, &mut u64) -> Output,
) -> Output {
    let t1 = *t + CONTROL_PERIOD_MS;
    while *t + CONTROL_PERIOD_MS < t1 + 200 {
        let out = lagging(c, t);
        assert!(!out.actuators.return_clamp_closed, "{} ms", *t - t1);
    }
    let out = lagging(c, t);
    assert_eq!(*t - t1, 200);
    out
}

/// INT-4: a VA pump whose measured speed lags its command (below 70 % of it less 100 rpm)
/// for 200 ms has the return line clamped, and the clamp opens again as soon as the pump
/// turns; on VV a lagging pump only alarms (MON-9), the line stays open.
#[test]
fn int4_va_failing_pump_clamped_after_200_ms_until_it_turns_again() {
    for kind in [CircuitKind::Va, CircuitKind::Vv] {
        let (mut c, mut t) = running_rpm(kind, 3000.0);
        for _ in 0..10 {
            at_speed(&mut c, &mut t, 3000.0);
        }
        // 2000 rpm (70 % of 3000 less 100) is not yet lagging.
        let out = at_speed(&mut c, &mut t, 2000.0);
        assert!(!out.actuators.return_clamp_closed);
        for _ in 0..30 {
            let out = at_speed(&mut c, &mut t, 2000.0);
            assert!(!out.actuators.return_clamp_closed, "{kind:?}");
        }
        // Lagging from here on.
        let out = lagging_for_200_ms(&mut c, &mut t, &mut |c, t| at_speed(c, t, 1900.0));
        assert_eq!(out.actuators.return_clamp_closed, kind == CircuitKind::Va);
        assert_eq!(out.actuators.pump_rpm, 3000.0, "the command stays");
        let out = at_speed(&mut c, &mut t, 1500.0);
        assert_eq!(out.actuators.return_clamp_closed, kind == CircuitKind::Va);
        // Turning again.
        let out = at_speed(&mut c, &mut t, 2000.0);
        assert!(!out.actuators.return_clamp_closed, "{kind:?}");
    }
}

/// INT-4 in zero-flow mode below the lowest running speed (1000 rpm), where no minimum speed
/// holds the pump up: a VA pump that lags its command for 200 ms still has the return line
/// clamped, and the clamp opens when it turns again. Against a head that a pump at 700 rpm balances, the
/// zero-flow loop settles at about 730 rpm.
#[test]
fn int4_va_failing_pump_clamped_in_zero_flow_below_the_running_speed() {
    let mut c = ctl(CircuitKind::Va);
    let mut p = Plant::new(700.0);
    let mut t = 0;
    let start = [Command::SetMode(Mode::ZeroFlow)];
    p.drive(&mut c, &mut t, 2000, &start, &mut |_, out, _| {
        assert!(!out.actuators.return_clamp_closed, "{:?}", out.status);
    });
    let running = p.cmd;
    assert!(running > 700.0 && running < 800.0, "{running}");
    // The pump slows to 400 rpm, below 70 % of its command less 100 rpm (about 410 rpm): it
    // is failing. The flow reading stays where it was.
    let q = p.flow();
    let stopped = |c: &mut Controller, t: &mut u64, n: f32| {
        run(c, t, 1, &mut |t, f| {
            f.flow = Reading::new(q + ((t / 10) % 3) as f32 * 0.001, t);
            f.pump_speed = Reading::new(n, t);
        })
    };
    let out = lagging_for_200_ms(&mut c, &mut t, &mut |c, t| stopped(c, t, 400.0));
    assert!(out.actuators.return_clamp_closed, "{:?}", out.status);
    assert_eq!(out.mode, Mode::ZeroFlow);
    assert!(!out.status.faulty_channels.contains(Channel::PumpSpeed));
    // Turning again at its command: the line opens.
    let out = stopped(&mut c, &mut t, out.actuators.pump_rpm);
    assert!(!out.actuators.return_clamp_closed, "{:?}", out.status);
}

/// INT-4: the VA minimum speed holds while the return line is open and the guard is on; it
/// does not hold with the guard switched off (INT-5), with the line clamped by the operator
/// (no backflow through a clamped line), or in zero-flow mode (which must run slower).
#[test]
fn int4_va_minimum_speed_only_where_backflow_can_happen() {
    let start = [Command::SetRpmTarget(1200.0), Command::SetMode(Mode::Rpm)];
    let speed_after = |extra: &[Command]| {
        let mut c = ctl(CircuitKind::Va);
        let mut t = 0;
        ok(&mut c, t, &start);
        if !extra.is_empty() {
            t += CONTROL_PERIOD_MS;
            ok(&mut c, t, extra);
        }
        let out = run(&mut c, &mut t, 400, &mut |t, f| {
            f.pump_speed = Reading::new(2000.0, t)
        });
        (out, c.settings().intervention(Intervention::Backflow).limit)
    };
    let (out, floor) = speed_after(&[]);
    assert_eq!(out.actuators.pump_rpm, floor);
    assert!(out.status.backflow_guard);
    assert!(!out.actuators.return_clamp_closed);
    // A target at the minimum speed is not held up by the guard.
    let (out, _) = speed_after(&[Command::SetRpmTarget(floor)]);
    assert_eq!(out.actuators.pump_rpm, floor);
    assert!(!out.status.backflow_guard);
    let off = switch_off(Intervention::Backflow);
    let (out, _) = speed_after(&[off]);
    assert_eq!(out.actuators.pump_rpm, 1200.0, "guard off");
    assert!(!out.status.backflow_guard);
    let (out, _) = speed_after(&[Command::SetReturnClamp(true)]);
    assert_eq!(out.actuators.pump_rpm, 1200.0, "clamped by the operator");
    assert!(out.actuators.return_clamp_closed);
    assert!(!out.status.backflow_guard);
    // VV: only the lowest running speed, and only for interventions.
    let mut c = ctl(CircuitKind::Vv);
    let mut t = 0;
    ok(&mut c, t, &start);
    let out = run(&mut c, &mut t, 400, &mut |_, _| {});
    assert_eq!(out.actuators.pump_rpm, 1200.0);
    assert!(!out.status.backflow_guard);
}

/// INT-1 with the lowest running speed: suction reduces a running pump no further than
/// 1000 rpm (below it a centrifugal pump recirculates and heats the blood).
#[test]
fn int1_suction_stops_at_the_lowest_running_speed() {
    let (mut c, mut t) = running_rpm(CircuitKind::Vv, 1500.0);
    // 10 s of suction: 20 steps of 100 rpm would be 2000 rpm.
    let out = run(&mut c, &mut t, 1000, &mut |t, f| {
        f.p_drainage = Reading::new(-150.0 + ((t / 10) % 7) as f32 * 0.01, t)
    });
    assert_eq!(out.status.suction_reduction_rpm, 500.0);
    assert_eq!(out.actuators.pump_rpm, 1000.0);
    assert!(!out.status.backflow_guard, "VV has no backflow guard");
    // Return pressure too: both together never below it.
    let out = run(&mut c, &mut t, 1000, &mut |t, f| {
        let w = ((t / 10) % 7) as f32 * 0.01;
        f.p_drainage = Reading::new(-150.0 + w, t);
        f.p_post_oxy = Reading::new(420.0 + w, t);
    });
    let s = out.status;
    assert_eq!(s.suction_reduction_rpm + s.return_reduction_rpm, 500.0);
    assert_eq!(out.actuators.pump_rpm, 1000.0);
    // The drainage and return pressures lost while the reductions last, and the operator
    // lowers the target to 1100 rpm: the reductions cannot follow without their pressures,
    // the lowest running speed still holds, and VV reports no backflow guard.
    t += CONTROL_PERIOD_MS;
    ok(&mut c, t, &[Command::SetRpmTarget(1100.0)]);
    let out = run(&mut c, &mut t, 10, &mut |_, f| {
        f.p_drainage = Reading::MISSING;
        f.p_post_oxy = Reading::MISSING;
    });
    let s = out.status;
    assert!(
        s.suction_reduction_rpm + s.return_reduction_rpm > 100.0,
        "{s:?}"
    );
    assert_eq!(out.actuators.pump_rpm, 1000.0);
    assert!(!s.backflow_guard);
}

/// A VA controller set to 1200 rpm in speed mode, below its minimum VA speed; the minimum.
fn va_set_below_its_minimum() -> (Controller, u64, f32) {
    let mut c = ctl(CircuitKind::Va);
    ok(
        &mut c,
        0,
        &[Command::SetRpmTarget(1200.0), Command::SetMode(Mode::Rpm)],
    );
    let floor = c.settings().intervention(Intervention::Backflow).limit;
    (c, 0, floor)
}

/// INT-4: retrograde flow on VA raises the speed by 100 rpm every 0.2 s, at most 1500 rpm
/// above the minimum speed; the boost holds while the flow is about zero and decays at
/// 10 rpm/s once it is forward (above 0.2 L/min) again.
#[test]
fn int4_backflow_boost_steps_caps_holds_and_decays() {
    let (mut c, mut t, floor) = va_set_below_its_minimum();
    let at = |q: f32| {
        move |t: u64, f: &mut SensorFrame| {
            f.pump_speed = Reading::new(2000.0, t);
            f.flow = Reading::new(q + ((t / 10) % 3) as f32 * 0.001, t);
        }
    };
    let out = run(&mut c, &mut t, 400, &mut at(1.0));
    assert_eq!(out.actuators.pump_rpm, floor);
    // Flow turns retrograde within the plausibility layer's rate limit.
    run(&mut c, &mut t, 1, &mut at(0.0));
    run(&mut c, &mut t, 1, &mut at(-0.5));
    // 1 s: five steps at most (the filter takes a few periods to see it).
    let out = run(&mut c, &mut t, 100, &mut at(-0.5));
    let boost = out.actuators.pump_rpm - floor;
    assert!((400.0..=500.0).contains(&boost), "{boost}");
    assert!(out.status.backflow_guard);
    let out = run(&mut c, &mut t, 100, &mut at(-0.5));
    let boost2 = out.actuators.pump_rpm - floor;
    assert!((boost2 - boost - 500.0).abs() < 1.0, "{boost} → {boost2}");
    let out = run(&mut c, &mut t, 400, &mut at(-0.5));
    assert_eq!(out.actuators.pump_rpm, floor + 1500.0, "capped");
    // About zero (between −0.1 and 0.2 L/min): held.
    run(&mut c, &mut t, 1, &mut at(0.0));
    let out = run(&mut c, &mut t, 300, &mut at(0.15));
    assert_eq!(out.actuators.pump_rpm, floor + 1500.0, "held");
    let out = run(&mut c, &mut t, 300, &mut at(-0.05));
    assert_eq!(out.actuators.pump_rpm, floor + 1500.0, "held");
    // Forward: 10 rpm/s down.
    run(&mut c, &mut t, 1, &mut at(0.5));
    let out = run(&mut c, &mut t, 1000, &mut at(1.0));
    let left = out.actuators.pump_rpm - floor;
    assert!((1395.0..=1405.0).contains(&left), "{left}");
    assert!(out.status.backflow_guard);
    // Zero-flow mode and a clamped line drop the boost at once.
    let mut z = c.clone();
    t += CONTROL_PERIOD_MS;
    let mut f = frame(t);
    at(1.0)(t, &mut f);
    let out = z.step(t, &f, &[Command::SetMode(Mode::ZeroFlow)]);
    assert_eq!(out.command_results[0], Some(Ok(())));
    assert!(
        out.actuators.pump_rpm < floor + 1400.0,
        "{}",
        out.actuators.pump_rpm
    );
    let out = c.step(t, &f, &[Command::SetReturnClamp(true)]);
    assert_eq!(out.command_results[0], Some(Ok(())));
    assert_eq!(out.actuators.pump_rpm, 1200.0);
}

/// `steps` periods with the drainage (`suction`) or post-oxygenator pressure reading exactly
/// `p`, after one missing sample that restarts its filter, so that the filtered pressure is
/// exactly `p` as well.
fn pressure_exactly(c: &mut Controller, t: &mut u64, suction: bool, p: f32, steps: u32) -> Output {
    let set = |f: &mut SensorFrame, r: Reading| {
        if suction {
            f.p_drainage = r
        } else {
            f.p_post_oxy = r
        }
    };
    run(c, t, 1, &mut |_, f| set(f, Reading::MISSING));
    run(c, t, steps, &mut |t, f| set(f, Reading::new(p, t)))
}

/// INT-1, INT-2 at their edges: a pressure at the limit is not beyond it (no reduction), one
/// just beyond is; recovered means past the limit by the whole hysteresis (15 mmHg for
/// suction, 25 mmHg for return pressure), not just at it.
#[test]
fn int1_int2_limits_and_hysteresis_at_their_edges() {
    for suction in [true, false] {
        let (mut c, mut t) = running_rpm(CircuitKind::Vv, 3500.0);
        let which = if suction {
            Intervention::Suction
        } else {
            Intervention::ReturnPressure
        };
        let limit = c.settings().intervention(which).limit;
        // Beyond is below the suction limit and above the return-pressure limit.
        let (beyond, hyst) = if suction {
            (-0.01, 15.0)
        } else {
            (0.01, -25.0)
        };
        let reduction = |o: &Output| {
            if suction {
                o.status.suction_reduction_rpm
            } else {
                o.status.return_reduction_rpm
            }
        };
        // Walk there within the plausibility layer's rate limit.
        let from = if suction { -40.0 } else { 230.0 };
        for k in 1..=4 {
            let p = from + (limit - from) * k as f32 / 4.0;
            pressure_exactly(&mut c, &mut t, suction, p, 1);
        }
        let out = pressure_exactly(&mut c, &mut t, suction, limit, 200);
        assert_eq!(reduction(&out), 0.0, "{which:?} at the limit");
        let out = pressure_exactly(&mut c, &mut t, suction, limit + beyond, 120);
        let r = reduction(&out);
        assert!(r >= 200.0, "{which:?} beyond the limit: {r}");
        // At the limit plus the hysteresis: not recovered, the reduction holds.
        let out = pressure_exactly(&mut c, &mut t, suction, limit + hyst, 700);
        assert_eq!(reduction(&out), r, "{which:?} at the hysteresis");
        // Past it: held 5 s, then returning.
        let out = pressure_exactly(&mut c, &mut t, suction, limit + hyst - beyond, 700);
        assert!(reduction(&out) < r, "{which:?} recovered");
    }
}

/// INT-4 at its edges: a flow of exactly −0.1 L/min is not yet retrograde (no boost), and
/// exactly 0.2 L/min is not yet forward (the boost holds).
#[test]
fn int4_backflow_boost_edges() {
    let (mut c, mut t, floor) = va_set_below_its_minimum();
    // A missing sample restarts the flow filter, which then holds the reading exactly.
    let exactly = |c: &mut Controller, t: &mut u64, q: f32, steps: u32| {
        run(c, t, 1, &mut |t, f| {
            f.pump_speed = Reading::new(2000.0, t);
            f.flow = Reading::MISSING;
        });
        run(c, t, steps, &mut |t, f| {
            f.pump_speed = Reading::new(2000.0, t);
            f.flow = Reading::new(q, t);
        })
    };
    exactly(&mut c, &mut t, 1.0, 400);
    let out = exactly(&mut c, &mut t, -0.1, 100);
    assert_eq!(
        out.actuators.pump_rpm, floor,
        "−0.1 L/min is not retrograde"
    );
    let out = exactly(&mut c, &mut t, -0.11, 100);
    let boosted = out.actuators.pump_rpm;
    assert!(boosted >= floor + 400.0, "{boosted}");
    let out = exactly(&mut c, &mut t, 0.2, 200);
    assert_eq!(out.actuators.pump_rpm, boosted, "0.2 L/min is not forward");
    let out = exactly(&mut c, &mut t, 0.21, 200);
    assert!(out.actuators.pump_rpm < boosted);
}

/// INT-4: `Status::backflow_guard` reports only the VA minimum speed or the boost holding the
/// speed up: not a reduction that outlasts a lowered target on VA with the guard off.
#[test]
fn int4_no_backflow_guard_without_a_minimum_speed() {
    let mut c = ctl(CircuitKind::Va);
    let mut t = 0;
    let off = switch_off(Intervention::Backflow);
    let start = [
        off,
        Command::SetRpmTarget(1500.0),
        Command::SetMode(Mode::Rpm),
    ];
    ok(&mut c, t, &start);
    let out = run(&mut c, &mut t, 300, &mut |_, _| {});
    assert_eq!(out.actuators.pump_rpm, 1500.0);
    let out = run(&mut c, &mut t, 120, &mut |t, f| {
        f.p_drainage = Reading::new(-150.0 + ((t / 10) % 7) as f32 * 0.01, t)
    });
    assert!(
        out.status.suction_reduction_rpm >= 200.0,
        "{:?}",
        out.status
    );
    t += CONTROL_PERIOD_MS;
    ok(&mut c, t, &[Command::SetRpmTarget(100.0)]);
    let out = run(&mut c, &mut t, 10, &mut |_, f| {
        f.p_drainage = Reading::MISSING
    });
    assert!(out.status.suction_reduction_rpm > out.status.base_rpm);
    assert_eq!(out.actuators.pump_rpm, 0.0);
    assert!(!out.status.backflow_guard);
}

/// INT-4, CTL-3: a VA spin-up rises to the minimum speed at 1000 rpm/s (gentle on the
/// circuit) with the clamp closed until the measured speed reaches 90 % of the minimum speed;
/// just below it the clamp stays closed.
#[test]
fn int4_va_spin_up_slewed_and_clamped_below_90_percent() {
    let mut c = ctl(CircuitKind::Va);
    let mut t = 0;
    let floor = c.settings().intervention(Intervention::Backflow).limit;
    let open_at = 0.9 * floor;
    let start = [Command::SetRpmTarget(1200.0), Command::SetMode(Mode::Rpm)];
    let out = c.step(t, &frame(t), &start);
    assert!((out.actuators.pump_rpm - 10.0).abs() < 1e-3, "{out:?}");
    let below = open_at - 1.0;
    let out = run(&mut c, &mut t, 99, &mut |t, f| {
        f.pump_speed = Reading::new(below.min(t as f32), t)
    });
    assert!((out.actuators.pump_rpm - 1000.0).abs() < 0.5, "{out:?}");
    let out = run(&mut c, &mut t, 300, &mut |t, f| {
        f.pump_speed = Reading::new(below, t)
    });
    assert_eq!(out.actuators.pump_rpm, floor);
    assert!(out.actuators.return_clamp_closed, "below 90 %");
    let out = run(&mut c, &mut t, 1, &mut |t, f| {
        f.pump_speed = Reading::new(open_at, t)
    });
    assert!(!out.actuators.return_clamp_closed, "at 90 %");
}

/// INT-5: with the suction intervention switched off, suction alarms but leaves the speed
/// alone.
#[test]
fn int5_suction_intervention_switchable() {
    let (mut c, mut t) = running_rpm(CircuitKind::Vv, 3500.0);
    t += CONTROL_PERIOD_MS;
    let off = switch_off(Intervention::Suction);
    ok(&mut c, t, &[off]);
    let out = run(&mut c, &mut t, 300, &mut |t, f| {
        f.p_drainage = Reading::new(-150.0 + ((t / 10) % 7) as f32 * 0.01, t)
    });
    assert_eq!(out.status.suction_reduction_rpm, 0.0);
    assert_eq!(out.actuators.pump_rpm, 3500.0);
    assert!(out.alarms.signalled.contains(AlarmId::Suction));
}
