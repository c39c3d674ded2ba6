//! The circuit's prime in the whole twin: a crystalloid prime dilutes the patient when flow
//! starts (not before), by the mixing ratio, its water then leaves the plasma; a blood prime at
//! the patient's Hb changes nothing; the O2, CO2 and volume balances still close.
mod common;
use common::*;
use physio::presets::default_actuation;
use physio::prime::{Prime, mixed_hb};
use physio::{Configuration, Twin};

fn primed(name: &str, cfg: Configuration, prime: Prime) -> (Twin, physio::Actuation) {
    let mut c = config(name, cfg);
    c.circuit.prime = prime;
    let act = default_actuation(&c);
    (Twin::new(&c).expect("valid"), act)
}

#[test]
fn crystalloid_prime_dilutes_when_flow_starts_and_balances_close() {
    for cfg in CONFIGS.into_iter().filter(|&c| c != Configuration::None) {
        let (mut t, act) = primed("cardiogenic-shock", cfg, Prime::Crystalloid);
        let hb0 = t.observe().hb_g_dl;
        let t0 = t.totals();
        let (v, _) = t.compartments();
        let circuit_ml: f64 = v[physio::circulation::CDR..physio::circulation::N]
            .iter()
            .sum();
        let patient_ml = t0.volume_ml - circuit_ml;
        // Stopped pump, closed clamp: nothing mixes.
        let stopped = physio::Actuation {
            pump_rpm: 0.0,
            return_clamp: 1.0,
            ..act
        };
        run(&mut t, &stopped, 10.0);
        // (The pump spinning down and the clamp's leak move a few mL.)
        let hb_stopped = t.observe().hb_g_dl;
        assert!(
            (hb_stopped - hb0).abs() < 0.01,
            "{cfg:?}: no flow, no mixing: {hb0} -> {hb_stopped}"
        );
        run(&mut t, &act, 120.0);
        let hb1 = t.observe().hb_g_dl;
        let predicted = mixed_hb(hb0, patient_ml, circuit_ml);
        // Two minutes on: mixed, a little of the water already gone.
        assert!(
            hb1 >= predicted - 1e-9 && hb1 < predicted + 0.25,
            "{cfg:?}: Hb {hb0} -> {hb1}, mixing predicts {predicted}"
        );
        run(&mut t, &act, 1800.0);
        let hb2 = t.observe().hb_g_dl;
        assert!(hb2 > hb1 + 0.2, "{cfg:?}: the water leaves: {hb1} -> {hb2}");
        assert_balances_close(&t, t0, &format!("{cfg:?}"));
        assert!(all_finite(&t.observe()), "{cfg:?}");
    }
}

#[test]
fn blood_prime_at_the_patients_hb_and_established_support_change_nothing() {
    let (mut a, act) = primed(
        "cardiogenic-shock",
        Configuration::VaFemoral,
        Prime::Blood { hb_g_dl: None },
    );
    let (mut b, _) = primed(
        "cardiogenic-shock",
        Configuration::VaFemoral,
        Prime::Established,
    );
    run(&mut a, &act, 60.0);
    run(&mut b, &act, 60.0);
    assert_eq!(a.observe(), b.observe());
    // A richer blood prime raises the Hb.
    let (mut c, _) = primed(
        "cardiogenic-shock",
        Configuration::VaFemoral,
        Prime::Blood {
            hb_g_dl: Some(16.0),
        },
    );
    run(&mut c, &act, 60.0);
    assert!(c.observe().hb_g_dl > b.observe().hb_g_dl + 0.1);
}

#[test]
fn by_size_dilutes_the_adult_and_not_the_neonate() {
    let (mut adult, act) = primed("cardiogenic-shock", Configuration::VaFemoral, Prime::BySize);
    let hb0 = adult.observe().hb_g_dl;
    run(&mut adult, &act, 60.0);
    assert!(adult.observe().hb_g_dl < hb0 - 0.5);
    let mut c = physio::presets::preset("neonate").expect("neonatal preset");
    c.circuit.prime = Prime::BySize;
    let act = default_actuation(&c);
    let mut n = Twin::new(&c).unwrap();
    let hb0 = n.observe().hb_g_dl;
    run(&mut n, &act, 60.0);
    assert_eq!(n.observe().hb_g_dl, hb0);
}

#[test]
fn prime_hb_is_range_checked() {
    let mut c = config("cardiogenic-shock", Configuration::VaFemoral);
    c.circuit.prime = Prime::Blood {
        hb_g_dl: Some(30.0),
    };
    let e = Twin::new(&c).unwrap_err();
    assert_eq!(e.field, "circuit.prime_hb_g_dl");
}
