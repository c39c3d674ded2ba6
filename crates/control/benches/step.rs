//! Benchmark of one control step (target: median < 5 µs, worst < 50 µs on a 2-core CI
//! machine). Plain `std::time` over many steps with realistic, varying frames: a VV patient
//! in flow mode with pulsatile pressures and flow, automatic sweep, and periodic suction,
//! kink, air and sensor-dropout episodes so that every branch is timed, not just the quiet one.
//!
//! Run: `cargo bench -p control --bench step`. Prints median, 99th, 99.9th percentile and
//! worst case in µs.

use control::*;
use std::time::Instant;

fn frame(t: u64, i: u64) -> SensorFrame {
    // 80 bpm pulsatility (period 750 ms) and a deterministic noise term.
    let phase = (t % 750) as f32 / 750.0 * std::f32::consts::TAU;
    let noise = (((i.wrapping_mul(2654435761)) >> 7) % 1000) as f32 * 1e-3 - 0.5;
    let q = 4.5 + 0.3 * phase.sin() + 0.02 * noise;
    let mut f = SensorFrame {
        p_drainage: Reading::new(-45.0 + 8.0 * phase.sin() + noise, t),
        p_pre_oxy: Reading::new(285.0 + 5.0 * phase.cos() + noise, t),
        p_post_oxy: Reading::new(232.0 + 10.0 * phase.sin() + noise, t),
        delta_p: Reading::new(53.0 + noise, t),
        flow: Reading::new(q, t),
        pump_speed: Reading::new(3500.0 + noise * 4.0, t),
        so2_pre: Reading::new(68.0 + noise, t),
        so2_post: Reading::new(99.8, t),
        po2_post: Reading::new(420.0 + noise * 10.0, t),
        pco2_post: Reading::new(31.0 + noise, t),
        sao2_upper: Reading::new(93.0 + noise, t),
        sao2_lower: Reading::new(93.0 + noise, t),
        hb: Reading::new(11.5, t),
        temperature: Reading::new(36.7 + noise * 0.01, t),
        battery: Reading::new(1.0, t),
        // A pulsatile arterial line (sawtooth 75..95 mmHg, 0.8 s) so MON-11 runs.
        p_art: Reading::new(75.0 + 20.0 * ((t / 10) % 80) as f32 / 80.0, t),
        bubble: Flag::new(false, t),
        mains_power: Flag::new(true, t),
        ui_heartbeat_ms: Some(t - t % 500),
    };
    match (i / 20_000) % 8 {
        1 => f.p_drainage.value -= 120.0,
        3 => f.p_post_oxy.value += 200.0,
        5 => f.flow.valid = !i.is_multiple_of(3),
        7 => f.bubble = Flag::new(i.is_multiple_of(5000), t),
        _ => {}
    }
    f
}

/// The commands that start a run: flow target 4.5 L/min, 3500 rpm in RPM mode, then `gas`.
fn setup(gas: &[Command]) -> Vec<Command> {
    let mut v = vec![
        Command::SetFlowTarget(4.5),
        Command::SetRpmTarget(3500.0),
        Command::SetMode(Mode::Rpm),
    ];
    v.extend_from_slice(gas);
    v
}

fn main() {
    const N: usize = 1_000_000;
    let mut c = Controller::new(Config::default()).expect("default config is valid");
    let mut t = 0u64;
    let setup = setup(&[
        Command::SetSweep(4.0),
        Command::SetPco2Target(32.0),
        Command::SetGasMode(GasMode::AutoPco2),
    ]);
    // Warm up (fills the caches, settles filters), then flow mode.
    for i in 0..2_000u64 {
        t += CONTROL_PERIOD_MS;
        let cmds: &[Command] = if i == 10 { &setup[..] } else { &[] };
        std::hint::black_box(c.step(t, &frame(t, i), cmds));
    }
    std::hint::black_box(c.step(t + 10, &frame(t + 10, 0), &[Command::SetMode(Mode::Flow)]));
    t += 10;
    let mut ns = Vec::with_capacity(N);
    let frames: Vec<SensorFrame> = (0..N as u64).map(|i| frame(t + 10 * (i + 1), i)).collect();
    for (i, f) in frames.iter().enumerate() {
        t += CONTROL_PERIOD_MS;
        let cmds: &[Command] = match i % 100_000 {
            50_000 => &[Command::AcknowledgeAll],
            70_000 => &[Command::RestartAfterBubble, Command::SetMode(Mode::Flow)],
            _ => &[],
        };
        let start = Instant::now();
        let out = c.step(t, f, cmds);
        let el = start.elapsed();
        std::hint::black_box(out);
        ns.push(el.as_nanos() as u64);
    }
    report_steps(&mut ns, N);
    println!("  alarm log entries written: {}", c.alarm_log().next_seq());
    compute_only_worst(&frames);
    heaviest_alarm_update();
}

fn report_steps(ns: &mut [u64], n: usize) {
    ns.sort_unstable();
    let pct = |p: f64| ns[((ns.len() as f64 - 1.0) * p) as usize] as f64 / 1000.0;
    println!(
        "control step, single shot, {n} steps (simulated {:.1} h at 100 Hz)",
        n as f64 / 360_000.0
    );
    println!("  median   {:8.3} µs   (target < 5)", pct(0.5));
    println!("  p99      {:8.3} µs", pct(0.99));
    println!("  p99.9    {:8.3} µs", pct(0.999));
    println!("  p99.99   {:8.3} µs", pct(0.9999));
    println!("  worst    {:8.3} µs   (target < 50)", pct(1.0));
    let over = ns.iter().filter(|&&x| x > 50_000).count();
    println!("  steps over 50 µs: {over} of {n} (on a shared machine these are preemptions)");
}

/// Wall-clock single-shot figures include every preemption of a shared machine. To separate
/// the step's own cost from the operating system's, each state is also stepped three times
/// from identical clones and the fastest of the three kept: a preemption can spoil one try but
/// hardly all three, so the worst of these minima is the worst compute time over all visited
/// states.
fn compute_only_worst(frames: &[SensorFrame]) {
    let mut c = Controller::new(Config::default()).expect("default config is valid");
    let mut t = 0u64;
    let setup = setup(&[Command::SetGasMode(GasMode::AutoPco2)]);
    let n = frames.len().min(300_000);
    let mut ns = Vec::with_capacity(n);
    for (i, f) in frames.iter().take(n).enumerate() {
        t += CONTROL_PERIOD_MS;
        let cmds: &[Command] = match i {
            10 => &setup[..],
            2_000 => &[Command::SetMode(Mode::Flow)],
            _ => &[],
        };
        let mut best = u64::MAX;
        for _ in 0..3 {
            let mut k = c.clone();
            let start = Instant::now();
            let out = k.step(t, f, cmds);
            let el = start.elapsed().as_nanos() as u64;
            std::hint::black_box(out);
            best = best.min(el);
        }
        std::hint::black_box(c.step(t, f, cmds));
        ns.push(best);
    }
    ns.sort_unstable();
    let pct = |p: f64| ns[((ns.len() as f64 - 1.0) * p) as usize] as f64 / 1000.0;
    println!(
        "compute only (fastest of 3 identical tries per state, {n} states): median {:.3} µs, p99.99 {:.3} µs, worst {:.3} µs",
        pct(0.5),
        pct(0.9999),
        pct(1.0)
    );
}

/// The heaviest work a step can contain, isolated: every alarm changes state in the same step
/// while the log is full (each entry evicts one with a 128-entry shift). A real step cannot do
/// more alarm work than this, so step worst case ≤ normal step + this.
fn heaviest_alarm_update() {
    let mut a = AlarmSystem::new();
    let mut all = AlarmSet::EMPTY;
    for &id in AlarmId::ALL {
        all.insert(id);
    }
    let mut t = 0u64;
    // Fill the log.
    for _ in 0..20 {
        t += 100_000;
        a.update(t, all);
        a.acknowledge_all(t);
        t += 100_000;
        a.update(t, AlarmSet::EMPTY);
    }
    let mut ns = Vec::with_capacity(20_000);
    for i in 0..20_000u64 {
        // Each alarm's delay has passed: raise them all, then clear them all.
        t += 100_000;
        let set = if i % 2 == 0 { all } else { AlarmSet::EMPTY };
        // Pending first so the update under measurement raises every alarm at once.
        if i % 2 == 0 {
            a.update(t - 99_000, set);
        }
        let start = Instant::now();
        a.update(t, set);
        let el = start.elapsed();
        if i % 2 == 1 {
            a.acknowledge_all(t);
        }
        std::hint::black_box(&a);
        ns.push(el.as_nanos() as u64);
    }
    ns.sort_unstable();
    let pct = |p: f64| ns[((ns.len() as f64 - 1.0) * p) as usize] as f64 / 1000.0;
    println!(
        "alarm update with all {} alarms changing and a full log: median {:.3} µs, p99 {:.3} µs, worst {:.3} µs",
        AlarmId::COUNT,
        pct(0.5),
        pct(0.99),
        pct(1.0)
    );
}
