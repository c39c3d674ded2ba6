//! Conservation of blood volume, O2 and CO2 over minutes, in every configuration.
use physio::presets::{circuit_for, default_actuation, preset};
use physio::{Configuration, Twin};

const CONFIGS: [Configuration; 5] = [
    Configuration::None,
    Configuration::VvFemoroJugular,
    Configuration::VvFemoroFemoral,
    Configuration::VaFemoral,
    Configuration::VaCentral,
];

fn check_balance(cfg: Configuration, minutes: f64) {
    let mut c = preset("ards-severe").unwrap();
    c.circuit = circuit_for(cfg);
    let act = default_actuation(&c);
    let mut t = Twin::new(&c).unwrap();
    let t0 = t.totals();
    let n = (minutes * 60.0 / Twin::DT_S) as usize;
    for _ in 0..n {
        t.step(&act);
    }
    let t1 = t.totals();
    let b = t.balance();
    let d_o2 = t1.o2_ml - t0.o2_ml;
    let expect_o2 = b.lung_o2 + b.oxy_o2 - b.consumed_o2 + b.external_o2;
    let d_co2 = t1.co2_ml - t0.co2_ml;
    let expect_co2 = b.produced_co2 - b.lung_co2 - b.oxy_co2 + b.external_co2;
    eprintln!(
        "{cfg:?}: dO2 {d_o2:.6} expected {expect_o2:.6}; dCO2 {d_co2:.6} expected {expect_co2:.6}; consumed {:.1} lung {:.1} oxy {:.1}",
        b.consumed_o2, b.lung_o2, b.oxy_o2
    );
    assert!((d_o2 - expect_o2).abs() < 1e-6 * t0.o2_ml, "{cfg:?} O2");
    assert!((d_co2 - expect_co2).abs() < 1e-6 * t0.co2_ml, "{cfg:?} CO2");
    assert!((t1.volume_ml - t0.volume_ml).abs() < 1e-6, "{cfg:?} volume");
}

#[test]
fn mass_balance_closes_in_every_configuration() {
    for cfg in CONFIGS {
        check_balance(cfg, 2.0);
    }
}
