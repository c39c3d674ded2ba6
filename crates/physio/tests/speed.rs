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

/// Hours of support: print the state every hour (run with `--release --ignored --nocapture`).
#[test]
#[ignore]
fn print_long_run() {
    let hours: usize = std::env::var("HOURS")
        .map(|s| s.parse().unwrap())
        .unwrap_or(6);
    let name = std::env::var("PRESET").unwrap_or("ards-severe".into());
    let c = preset(&name).unwrap();
    let act = default_actuation(&c);
    let mut t = Twin::new(&c).unwrap();
    let start = std::time::Instant::now();
    for h in 0..hours {
        for _ in 0..(3600.0 / Twin::DT_S) as usize {
            t.step(&act);
        }
        let o = t.observe();
        eprintln!(
            "{:3} h: Q {:.2} SaO2 {:.3} PaCO2 {:.1} MAP {:.0} dP {:.0} clot {:.4} fHb {:.1} T {:.2} BV {:.3}",
            h + 1,
            o.circuit_flow_lpm,
            o.art_upper.so2,
            o.art_upper.pco2_mmhg,
            o.map_mmhg,
            o.delta_p_oxy_mmhg,
            o.oxy_clot_fraction,
            o.plasma_fhb_mg_dl,
            o.patient_temp_c,
            o.blood_volume_ml
        );
    }
    eprintln!("{:.1} s wall", start.elapsed().as_secs_f64());
}
