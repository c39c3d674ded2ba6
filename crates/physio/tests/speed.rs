//! Throughput printout (run with `--release --ignored --nocapture`); the benchmark proper is
//! `ecmo bench-sim`. Not a timed assertion.
use physio::Twin;
use physio::presets::{default_actuation, preset};

#[test]
#[ignore]
fn print_speed() {
    eprintln!("size_of::<Twin>() = {} bytes", std::mem::size_of::<Twin>());
    for name in ["adult-healthy", "ards-severe", "cardiogenic-shock"] {
        let c = preset(name).unwrap();
        let act = default_actuation(&c);
        let mut t = Twin::new(&c).unwrap();
        let sim_s = 600.0;
        let n = (sim_s / Twin::DT_S) as usize;
        let start = std::time::Instant::now();
        for _ in 0..n {
            t.step(&act);
        }
        let wall = start.elapsed().as_secs_f64();
        let o = t.observe();
        eprintln!(
            "{name:20} {:?}: {:.0}x real time ({:.3} ms CPU per simulated s), MAP {:.0}",
            c.circuit.configuration,
            sim_s / wall,
            wall / sim_s * 1e3,
            o.map_mmhg
        );
    }
}
