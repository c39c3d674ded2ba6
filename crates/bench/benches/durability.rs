//! Benchmark: a 14-day durability run of the default circuit (issue 7 target: under 2 minutes).
//! `cargo bench -p bench`. Prints the wall time of each run and the median of five; exits
//! non-zero if the median misses the target, so CI can run it as a gate.
use std::time::Instant;

use bench::catalogue::Catalogue;
use bench::compare::DEFAULT_CIRCUIT;
use bench::durability::DURABILITY_TARGET_S;
use bench::durability::{Circuit, Options, run};

fn main() {
    let c = Catalogue::builtin().expect("built-in catalogue");
    let o = Options::default();
    for coating in ["uncoated", "heparin-bonded", "long-acting"] {
        let circuit = Circuit {
            pump: c.pump(DEFAULT_CIRCUIT.pump).unwrap(),
            oxygenator: c.oxygenator(DEFAULT_CIRCUIT.oxygenator).unwrap(),
            coating: c.coating(coating).unwrap(),
            drainage: c.cannula(DEFAULT_CIRCUIT.drainage).unwrap(),
            ret: Some(c.cannula(DEFAULT_CIRCUIT.ret).unwrap()),
        };
        let mut times = Vec::new();
        let mut last = None;
        for _ in 0..5 {
            let t = Instant::now();
            let r = run(&circuit, &o, false).expect("run");
            times.push(t.elapsed().as_secs_f64());
            last = Some(r);
        }
        times.sort_by(f64::total_cmp);
        let median = times[2];
        let r = last.unwrap();
        println!(
            "durability {} days, {}: median {:.3} s (min {:.3}, max {:.3}) over 5 runs, {} steps; change-out day {}; target < {DURABILITY_TARGET_S:.0} s: {}",
            o.days,
            r.label,
            median,
            times[0],
            times[4],
            r.steps,
            r.change_out_day()
                .map_or(format!("> {}", o.horizon_days), |d| format!("{d:.1}")),
            if median < DURABILITY_TARGET_S {
                "met"
            } else {
                "NOT met"
            }
        );
        if median >= DURABILITY_TARGET_S {
            std::process::exit(1);
        }
    }
}
