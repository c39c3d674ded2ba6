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
    let mut act = default_actuation(&c);
    if let Ok(s) = std::env::var("SWEEP") {
        act.sweep_lpm = s.parse().unwrap();
    }
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

#[test]
#[ignore]
fn print_component_costs() {
    use physio::blood::{self, Chemistry, Contents};
    use physio::oxygenator::{OxygenatorModel, Sweep};
    let chem = Chemistry {
        hb_g_dl: 10.0,
        base_excess_meq_l: 0.0,
        temp_c: 37.0,
    };
    let ox = OxygenatorModel::quadrox_adult();
    let n = 20_000;
    let start = std::time::Instant::now();
    let mut acc = 0.0;
    for i in 0..n {
        let inlet = Contents {
            o2_ml_dl: 10.0 + (i % 7) as f64 * 0.1,
            co2_ml_dl: 50.0,
        };
        let t = ox.transfer(5.0, inlet, &chem, Sweep::new(4.0, 1.0), 0.0);
        acc += t.o2_ml_min;
    }
    let tr = start.elapsed().as_secs_f64() / n as f64;
    let start = std::time::Instant::now();
    let mut g = None;
    for i in 0..n {
        let s = blood::solve(
            Contents {
                o2_ml_dl: 10.0 + (i % 7) as f64 * 0.1,
                co2_ml_dl: 50.0,
            },
            &chem,
            g,
        );
        g = Some(s);
        acc += s.so2;
    }
    let so = start.elapsed().as_secs_f64() / n as f64;
    let start = std::time::Instant::now();
    for i in 0..n {
        let (c, _) = blood::from_partial_pressures(40.0 + (i % 7) as f64, 40.0, &chem);
        acc += c.o2_ml_dl;
    }
    let fp = start.elapsed().as_secs_f64() / n as f64;
    eprintln!(
        "transfer {:.2} us, solve (warm guess) {:.2} us, from_pp {:.3} us ({acc:.0})",
        tr * 1e6,
        so * 1e6,
        fp * 1e6
    );
}
