//! Cost of the circuit and blood components the twin calls in its inner loops. A printout
//! (run with `cargo test -p physio --release --test components_speed -- --ignored --nocapture`),
//! not a timed assertion. Targets from the component brief: `blood::solve` a few hundred ns with
//! the previous answer as guess, `OxygenatorModel::transfer` under about 10 µs.
use physio::blood::{self, Chemistry, Contents, GasState};
use physio::hemolysis::{HemolysisModel, PlasmaFreeHb};
use physio::oxygenator::{OxygenatorModel, Sweep, iso7199_inlet};
use physio::pump::PumpModel;
use std::hint::black_box;
use std::time::Instant;

/// CPU time this thread has run, ns, from Linux's schedstat: unlike wall time it does not
/// grow while the thread waits for a core on a busy machine. `None` elsewhere.
fn thread_cpu_ns() -> Option<u64> {
    let s = std::fs::read_to_string("/proc/thread-self/schedstat").ok()?;
    s.split_whitespace().next()?.parse().ok()
}

/// Best of five rounds, timed by thread CPU time where available (else wall time).
fn per_call_ns(n: usize, mut f: impl FnMut(usize) -> f64) -> f64 {
    let mut best = f64::INFINITY;
    for _ in 0..5 {
        let (cpu0, wall0) = (thread_cpu_ns(), Instant::now());
        let mut acc = 0.0;
        for i in 0..n / 5 {
            acc += f(i);
        }
        black_box(acc);
        let ns = match (cpu0, thread_cpu_ns()) {
            (Some(a), Some(b)) => (b - a) as f64,
            _ => wall0.elapsed().as_nanos() as f64,
        };
        best = best.min(ns / (n / 5) as f64);
    }
    best
}

#[test]
#[ignore]
fn print_component_costs() {
    let chem = Chemistry::NORMAL;
    // An arterial sample, away from the solver's default start (venous).
    let (venous, truth) = blood::from_partial_pressures(95.0, 40.0, &chem);
    // The twin's pattern: contents move a little between calls, the last answer is the guess.
    let near = |i: usize| Contents {
        o2_ml_dl: venous.o2_ml_dl + (i % 7) as f64 * 0.01,
        ..venous
    };
    let t = per_call_ns(1_000_000, |i| {
        blood::solve(near(i), &chem, Some(truth)).po2_mmhg
    });
    eprintln!("blood::solve, previous answer as guess: {t:.0} ns");
    let far = GasState {
        po2_mmhg: 190.0,
        pco2_mmhg: 30.0,
        ..truth
    };
    let t = per_call_ns(1_000_000, |i| {
        blood::solve(near(i), &chem, Some(far)).po2_mmhg
    });
    eprintln!("blood::solve, guess 2x off in PO2: {t:.0} ns");
    let t = per_call_ns(200_000, |i| blood::solve(near(i), &chem, None).po2_mmhg);
    eprintln!("blood::solve, no guess: {t:.0} ns");
    let t = per_call_ns(1_000_000, |i| {
        blood::kelman_so2(40.0 + (i % 7) as f64, 46.0, 7.37, 37.0)
    });
    eprintln!("blood::kelman_so2: {t:.0} ns");

    let ox = OxygenatorModel::quadrox_adult();
    let (inlet, ichem) = iso7199_inlet();
    let sweep = Sweep::new(4.0, 1.0);
    let t = per_call_ns(100_000, |i| {
        ox.transfer(4.0 + (i % 5) as f64 * 0.01, inlet, &ichem, sweep, 0.0)
            .o2_ml_min
    });
    eprintln!("OxygenatorModel::transfer (8 segments): {t:.0} ns");

    let h = HemolysisModel::for_pump(&PumpModel::rotaflow());
    let t = per_call_ns(1_000_000, |i| {
        h.release_mg_per_s(3000.0 + (i % 5) as f64, 4.0, 12.0)
    });
    eprintln!("HemolysisModel::release_mg_per_s: {t:.0} ns");
    let mut p = PlasmaFreeHb::new();
    let t = per_call_ns(1_000_000, |_| {
        p.step(0.05, 0.02, 3000.0);
        p.mg_dl
    });
    eprintln!("PlasmaFreeHb::step: {t:.0} ns");
}
