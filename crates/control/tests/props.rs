//! CTL-6: any sensor input — NaN, infinities, garbage timestamps, invalid flags — and any
//! operator command sequence gives finite, bounded actuator commands and never panics.

use control::*;
use proptest::prelude::*;

fn any_f32() -> impl Strategy<Value = f32> {
    prop_oneof![
        Just(f32::NAN),
        Just(f32::INFINITY),
        Just(f32::NEG_INFINITY),
        Just(0.0f32),
        Just(-0.0f32),
        Just(f32::MAX),
        Just(f32::MIN),
        Just(f32::MIN_POSITIVE),
        -1000.0f32..1000.0,
        -10.0f32..10.0,
        any::<f32>(),
    ]
}

fn reading() -> impl Strategy<Value = (f32, bool, u8)> {
    (any_f32(), any::<bool>(), any::<u8>())
}

fn frame_at(
    t: u64,
    r: &[(f32, bool, u8)],
    flags: (bool, bool, bool, bool),
    hb: Option<u16>,
) -> SensorFrame {
    let mut f = SensorFrame::MISSING;
    for (i, ch) in Channel::ALL.iter().enumerate() {
        let (v, valid, age) = r[i % r.len()];
        // Timestamps mostly recent, sometimes in the future or ancient.
        let ts = match age {
            0..=200 => t.saturating_sub(age as u64),
            201..=230 => t + age as u64,
            _ => 0,
        };
        *f.reading_mut(*ch) = Reading {
            value: v,
            valid,
            t_ms: ts,
        };
    }
    f.bubble = Flag {
        value: flags.0,
        valid: flags.1,
        t_ms: t,
    };
    f.mains_power = Flag {
        value: flags.2,
        valid: flags.3,
        t_ms: t,
    };
    f.ui_heartbeat_ms = hb.map(|h| t.saturating_sub(h as u64 * 10));
    f
}

fn command() -> impl Strategy<Value = Command> {
    let mode = prop_oneof![
        Just(Mode::Standby),
        Just(Mode::Rpm),
        Just(Mode::Flow),
        Just(Mode::ZeroFlow)
    ];
    let interv = prop_oneof![
        Just(Intervention::Suction),
        Just(Intervention::ReturnPressure),
        Just(Intervention::Bubble),
        Just(Intervention::Backflow)
    ];
    let limit = (0..AlarmLimit::COUNT).prop_map(|i| AlarmLimit::ALL[i]);
    let alarm = (0..AlarmId::COUNT).prop_map(|i| AlarmId::ALL[i]);
    prop_oneof![
        mode.prop_map(Command::SetMode),
        any_f32().prop_map(Command::SetRpmTarget),
        (0.0f32..5000.0).prop_map(Command::SetRpmTarget),
        any_f32().prop_map(Command::SetFlowTarget),
        (0.0f32..8.0).prop_map(Command::SetFlowTarget),
        any_f32().prop_map(Command::SetSweep),
        any_f32().prop_map(Command::SetFdO2),
        any::<bool>().prop_map(|b| Command::SetGasMode(if b {
            GasMode::AutoPco2
        } else {
            GasMode::Manual
        })),
        any_f32().prop_map(Command::SetPco2Target),
        (any_f32(), any_f32()).prop_map(|(min, max)| Command::SetSweepBounds { min, max }),
        any_f32().prop_map(Command::SetHeater),
        any::<bool>().prop_map(Command::SetReturnClamp),
        any::<bool>().prop_map(|b| Command::SetCircuit(if b {
            CircuitKind::Va
        } else {
            CircuitKind::Vv
        })),
        (interv.clone(), any::<bool>())
            .prop_map(|(which, enabled)| Command::SetIntervention { which, enabled }),
        (interv, any_f32())
            .prop_map(|(which, value)| Command::SetInterventionLimit { which, value }),
        (limit, any_f32()).prop_map(|(limit, value)| Command::SetAlarmLimit { limit, value }),
        alarm.prop_map(Command::Acknowledge),
        Just(Command::AcknowledgeAll),
        Just(Command::PauseAudio),
        Just(Command::RestartAfterBubble),
    ]
}

fn check_bounded(out: &Output) {
    let a = out.actuators;
    assert!(
        a.pump_rpm.is_finite() && (0.0..=MAX_RPM).contains(&a.pump_rpm),
        "{a:?}"
    );
    assert!(
        a.sweep_lpm.is_finite() && (0.0..=12.0).contains(&a.sweep_lpm),
        "{a:?}"
    );
    assert!(
        a.fdo2.is_finite() && (0.21..=1.0).contains(&a.fdo2),
        "{a:?}"
    );
    assert!(
        a.heater_c.is_finite() && (33.0..=39.0).contains(&a.heater_c),
        "{a:?}"
    );
    let s = out.status;
    for x in [
        s.base_rpm,
        s.suction_reduction_rpm,
        s.return_reduction_rpm,
        s.auto_sweep_lpm,
    ] {
        assert!(x.is_finite(), "{s:?}");
    }
    if s.bubble_stop {
        assert_eq!(a.pump_rpm, 0.0);
        assert!(a.return_clamp_closed);
    }
    if out.mode == Mode::Standby {
        assert_eq!(a.pump_rpm, 0.0);
        assert!(a.return_clamp_closed);
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 256, ..ProptestConfig::default() })]

    /// CTL-6: sequences of arbitrary frames and commands.
    #[test]
    fn ctl6_any_input_bounded_no_panic(
        circuit in any::<bool>(),
        steps in prop::collection::vec(
            (
                prop::collection::vec(reading(), 15),
                (any::<bool>(), any::<bool>(), any::<bool>(), any::<bool>()),
                prop::option::of(any::<u16>()),
                prop::collection::vec(command(), 0..12),
                0u64..60,
                prop::option::of(0u32..5000),
            ),
            1..60,
        )
    ) {
        let kind = if circuit { CircuitKind::Va } else { CircuitKind::Vv };
        let mut c = Controller::new(Config { circuit: kind, pump: PumpCurve::ROTAFLOW }).unwrap();
        let mut t = 1_000u64;
        for (r, flags, hb, cmds, dt, dur) in steps {
            t += dt;
            let f = frame_at(t, &r, flags, hb);
            let out = c.step(t, &f, &cmds);
            check_bounded(&out);
            if let Some(d) = dur {
                c.report_step_duration(d);
            }
            // Bubble seen with the intervention on and the pump not in standby: stopped now.
            if f.bubble.valid && f.bubble.value && c.settings().intervention(Intervention::Bubble).enabled
                && out.mode != Mode::Standby
            {
                prop_assert_eq!(out.actuators.pump_rpm, 0.0);
                prop_assert!(out.actuators.return_clamp_closed);
            }
        }
    }

    /// CTL-6: a running pump fed garbage for long stretches stays bounded.
    #[test]
    fn ctl6_running_pump_with_garbage(
        r in prop::collection::vec(reading(), 15),
        rpm in 0.0f32..5000.0,
        n in 1usize..400,
    ) {
        let mut c = Controller::new(Config::default()).unwrap();
        let mut t = 0u64;
        let good = SensorFrame::MISSING;
        c.step(t, &good, &[Command::SetRpmTarget(rpm), Command::SetMode(Mode::Rpm)]);
        for _ in 0..n {
            t += CONTROL_PERIOD_MS;
            let f = frame_at(t, &r, (false, true, true, true), Some(0));
            let out = c.step(t, &f, &[]);
            check_bounded(&out);
            prop_assert!(out.actuators.pump_rpm <= rpm.max(0.0) + 1.0);
        }
    }
}
