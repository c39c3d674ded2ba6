//! Conservation of blood volume, O2 and CO2 over minutes, in every configuration: the change
//! in what the blood holds equals what lungs, oxygenator, tissues and events put in or took out.
mod common;
use common::*;
use physio::{Configuration, Event, Twin};

fn check_balance(t: &Twin, t0: physio::twin::Totals, what: &str) {
    let t1 = t.totals();
    let b = t.balance();
    let d_o2 = t1.o2_ml - t0.o2_ml;
    let expect_o2 = b.lung_o2 + b.oxy_o2 - b.consumed_o2 + b.external_o2;
    let d_co2 = t1.co2_ml - t0.co2_ml;
    let expect_co2 = b.produced_co2 - b.tissue_stored_co2 - b.lung_co2 - b.oxy_co2 + b.external_co2;
    assert!(
        (d_o2 - expect_o2).abs() < 1e-8 * t0.o2_ml,
        "{what}: O2 changed {d_o2} but sources say {expect_o2}"
    );
    assert!(
        (d_co2 - expect_co2).abs() < 1e-8 * t0.co2_ml,
        "{what}: CO2 changed {d_co2} but sources say {expect_co2}"
    );
    assert!(
        (t1.volume_ml - t0.volume_ml - b.external_volume_ml).abs() < 1e-6,
        "{what}: volume {} -> {} with {} external",
        t0.volume_ml,
        t1.volume_ml,
        b.external_volume_ml
    );
    // The balance is not trivially zero: gas actually moved.
    assert!(
        b.consumed_o2 > 100.0 && b.produced_co2 > 80.0,
        "{what}: {b:?}"
    );
}

#[test]
fn mass_balance_closes_in_every_configuration() {
    for cfg in CONFIGS {
        let (mut t, act) = warmed("ards-severe", cfg, None, 0.0);
        let t0 = t.totals();
        run(&mut t, &act, 180.0);
        check_balance(&t, t0, &format!("{cfg:?}"));
        if cfg != Configuration::None {
            assert!(t.balance().oxy_o2 > 100.0, "{cfg:?}: oxygenator idle");
        }
    }
}

#[test]
fn mass_balance_closes_through_events() {
    let (mut t, act) = warmed("cardiogenic-shock", Configuration::VaFemoral, None, 0.0);
    let t0 = t.totals();
    run(&mut t, &act, 20.0);
    t.apply(&Event::Bleeding(300.0)).unwrap();
    run(&mut t, &act, 60.0);
    t.apply(&Event::Bleeding(0.0)).unwrap();
    t.apply(&Event::Volume(500.0)).unwrap();
    t.apply(&Event::AirEntrainment(5.0)).unwrap();
    run(&mut t, &act, 30.0);
    t.apply(&Event::PumpFailure(true)).unwrap();
    run(&mut t, &act, 20.0);
    t.apply(&Event::PumpFailure(false)).unwrap();
    t.apply(&Event::SetPatient(physio::PatientParam::ShuntFraction, 0.5))
        .unwrap();
    run(&mut t, &act, 30.0);
    check_balance(&t, t0, "events");
    // 300 mL lost over a minute, 500 mL given.
    assert!(
        (t.balance().external_volume_ml - 200.0).abs() < 1.0,
        "{:?}",
        t.balance()
    );
}
