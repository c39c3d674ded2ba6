//! Fluids by infusion in the whole twin: crystalloid dilutes Hb and moves into the
//! interstitium, red cells raise Hb, nothing changes until something is given, and the blood's
//! volume, O2 and CO2 balances still close.
mod common;
use common::*;
use physio::{Configuration, Event, Twin};

#[test]
fn nothing_given_nothing_changes() {
    let (mut t, act) = warmed("ards-severe", Configuration::VvFemoroJugular, None, 0.0);
    let o0 = t.observe();
    run(&mut t, &act, 120.0);
    let o = t.observe();
    assert_eq!(o.hb_g_dl, o0.hb_g_dl);
    assert_eq!(o.interstitial_fluid_ml, o0.interstitial_fluid_ml);
    assert_eq!(o.fluid_excreted_ml, 0.0);
    assert!(!t.fluids().active());
    // Bleeding removes whole blood: Hb unchanged.
    t.apply(&Event::Bleeding(200.0)).unwrap();
    run(&mut t, &act, 60.0);
    assert_eq!(t.observe().hb_g_dl, o0.hb_g_dl);
}

#[test]
fn crystalloid_dilutes_and_leaves_red_cells_raise_hb() {
    let (mut t, act) = warmed("adult-healthy", Configuration::None, None, 30.0);
    let o0 = t.observe();
    t.apply(&Event::CrystalloidInfusion(2000.0)).unwrap();
    run(&mut t, &act, 1800.0);
    t.apply(&Event::CrystalloidInfusion(0.0)).unwrap();
    let o1 = t.observe();
    assert!(
        o1.hb_g_dl < o0.hb_g_dl - 0.5,
        "Hb {} -> {}",
        o0.hb_g_dl,
        o1.hb_g_dl
    );
    assert!(o1.blood_volume_ml > o0.blood_volume_ml + 300.0);
    assert!(o1.interstitial_fluid_ml > o0.interstitial_fluid_ml + 200.0);
    assert!((t.fluids().given_ml(physio::fluids::Fluid::Crystalloid) - 1000.0).abs() < 1.0);
    run(&mut t, &act, 1800.0);
    let o2 = t.observe();
    // Half an hour later most of the litre has left the blood, and Hb has risen again.
    assert!(
        o2.blood_volume_ml < o0.blood_volume_ml + 300.0,
        "{}",
        o2.blood_volume_ml
    );
    assert!(o2.hb_g_dl > o1.hb_g_dl);
    assert!(o2.fluid_excreted_ml > 50.0);
    t.apply(&Event::RedCellInfusion(600.0)).unwrap();
    run(&mut t, &act, 1800.0);
    assert!(t.observe().hb_g_dl > o2.hb_g_dl + 0.5);
}

#[test]
fn balances_close_with_fluids_in_every_configuration() {
    for cfg in CONFIGS {
        let (mut t, act) = warmed("ards-severe", cfg, None, 0.0);
        let t0 = t.totals();
        run(&mut t, &act, 20.0);
        t.apply(&Event::CrystalloidInfusion(3000.0)).unwrap();
        t.apply(&Event::RedCellInfusion(1000.0)).unwrap();
        t.apply(&Event::AlbuminInfusion(1000.0)).unwrap();
        t.apply(&Event::PlasmaInfusion(1000.0)).unwrap();
        run(&mut t, &act, 120.0);
        assert_balances_close(&t, t0, &format!("{cfg:?}"));
        let b = t.balance();
        assert!(b.external_volume_ml > 150.0, "{cfg:?}: {b:?}");
        let o = t.observe();
        assert!(
            o.hb_g_dl.is_finite() && o.art_upper.so2.is_finite(),
            "{cfg:?}"
        );
    }
}

#[test]
fn rates_are_range_checked() {
    let c = config("adult-healthy", Configuration::None);
    let mut t = Twin::new(&c).unwrap();
    assert!(t.apply(&Event::CrystalloidInfusion(-1.0)).is_err());
    assert!(t.apply(&Event::RedCellInfusion(40_000.0)).is_err());
    assert!(t.apply(&Event::PlasmaInfusion(f64::NAN)).is_err());
}
