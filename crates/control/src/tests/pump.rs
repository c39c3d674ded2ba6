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
}

impl Plant {
    fn new(n0: f32) -> Plant {
        Plant {
            n0,
            n: 0.0,
            cmd: 0.0,
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
