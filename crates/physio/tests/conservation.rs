//! Conservation of blood volume, O2 and CO2 over minutes, in every configuration: the change
//! in what the blood holds equals what lungs, oxygenator, tissues and events put in or took out.
mod common;
use common::*;
use physio::{Configuration, Event, Twin};

fn check_balance(t: &Twin, t0: physio::twin::Totals, what: &str) {
    assert_balances_close(t, t0, what);
    let b = t.balance();
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
