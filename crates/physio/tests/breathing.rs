//! Recruitment on the ventilator and the chemoreflex, through the twin (issue 15): both
//! default off, and what they do when on.
mod common;
use common::*;
use physio::presets::{circuit_for, default_actuation, healthy_patient};
use physio::{Configuration, Event, PatientParam, Twin, TwinConfig};

/// The ards-severe preset without a ventilator is the same run, to the bit, whatever its
/// recruitability; and a patient with the chemoreflex at 0 breathes their parameter.
#[test]
fn both_are_off_without_a_ventilator_or_a_gain() {
    let c = config("ards-severe", Configuration::VvFemoroJugular);
    let act = default_actuation(&c);
    let mut a = Twin::new(&c).unwrap();
    let mut c0 = c.clone();
    c0.patient.recruitability = 0.0;
    let mut b = Twin::new(&c0).unwrap();
    run(&mut a, &act, 30.0);
    run(&mut b, &act, 30.0);
    let (oa, ob) = (a.observe(), b.observe());
    assert_eq!(oa.art_upper.po2_mmhg, ob.art_upper.po2_mmhg);
    assert_eq!(oa.map_mmhg, ob.map_mmhg);
    assert_eq!(oa.shunt_effective, c.patient.shunt_fraction);
    assert_eq!(oa.chemoreflex_drive_lpm, 0.0);
    assert_eq!(
        oa.alveolar_ventilation_effective_lpm,
        c.patient.alveolar_ventilation_lpm
    );
    assert_eq!(oa.recruited_fraction, 0.0);
}

/// PEEP 5 → manoeuvre at 45 cmH2O → PEEP 5 again: the shunt falls by the recruitability, the
/// compliance rises, and both go back with PEEP 5.
#[test]
fn a_recruitment_manoeuvre_and_its_loss() {
    let (mut t, act) = warmed("ards-severe", Configuration::None, None, 5.0);
    let shunt0 = t.patient().shunt_fraction;
    for e in [
        Event::VentilatorPeep(5.0),
        Event::VentilatorVt(450.0),
        Event::VentilatorRate(20.0),
        Event::VentilatorVc,
    ] {
        t.apply(&e).unwrap();
    }
    run(&mut t, &act, 60.0);
    let o = t.observe();
    assert!(
        (o.shunt_effective - shunt0).abs() < 0.02,
        "{}",
        o.shunt_effective
    );
    let c0 = o.vent_compliance_ml_cmh2o;
    for e in [
        Event::VentilatorPeep(25.0),
        Event::VentilatorPinsp(20.0),
        Event::VentilatorPc,
    ] {
        t.apply(&e).unwrap();
    }
    run(&mut t, &act, 120.0);
    let o = t.observe();
    assert!(o.recruited_fraction > 0.98, "{}", o.recruited_fraction);
    assert!(
        (o.shunt_effective - (shunt0 - 0.13)).abs() < 0.01,
        "{}",
        o.shunt_effective
    );
    assert!(all_finite(&o));
    // Back to volume control at PEEP 15: the lung stays open and is more compliant.
    t.apply(&Event::VentilatorPeep(15.0)).unwrap();
    let o = after(&mut t, &act, Event::VentilatorVc, 60.0);
    assert!(o.recruited_fraction > 0.95, "{}", o.recruited_fraction);
    assert!(
        o.vent_compliance_ml_cmh2o > c0,
        "{} {c0}",
        o.vent_compliance_ml_cmh2o
    );
    // PEEP 5: it collapses again within a minute or two.
    t.apply(&Event::VentilatorPeep(5.0)).unwrap();
    run(&mut t, &act, 15.0);
    let mid = t.observe().shunt_effective;
    run(&mut t, &act, 120.0);
    let o = t.observe();
    assert!(mid > shunt0 - 0.11 && mid < shunt0 - 0.02, "{mid}");
    assert!(o.recruited_fraction < 0.02, "{}", o.recruited_fraction);
    // PEEP 30 overdistends: dead space up, compliance down.
    let o = after(&mut t, &act, Event::VentilatorPeep(30.0), 5.0);
    assert!(
        o.vent_dead_space_fraction > 0.4,
        "{}",
        o.vent_dead_space_fraction
    );
    assert!(all_finite(&o));
}

fn driven(cfg: Configuration) -> (Twin, physio::Actuation) {
    let mut p = healthy_patient();
    p.chemoreflex_gain = 1.0;
    let c = TwinConfig {
        patient: p,
        circuit: circuit_for(cfg),
        seed: 3,
    };
    let act = default_actuation(&c);
    let mut t = Twin::new(&c).unwrap();
    run(&mut t, &act, 240.0);
    (t, act)
}

/// Hypoventilation is answered: halve the resting drive and the reflex restores most of it.
#[test]
fn the_chemoreflex_defends_paco2() {
    let (mut t, act) = driven(Configuration::None);
    let p0 = t.observe().art_upper.pco2_mmhg;
    t.apply(&Event::SetPatient(PatientParam::AlveolarVentilation, 2.15))
        .unwrap();
    run(&mut t, &act, 900.0);
    let o = t.observe();
    assert!(o.chemoreflex_drive_lpm > 1.5, "{}", o.chemoreflex_drive_lpm);
    assert!(
        o.art_upper.pco2_mmhg - p0 < 2.0,
        "{} {p0}",
        o.art_upper.pco2_mmhg
    );
    assert!(o.alveolar_ventilation_effective_lpm > 3.6);
    // Without the reflex PaCO2 would double.
    t.apply(&Event::SetPatient(PatientParam::ChemoreflexGain, 0.0))
        .unwrap();
    run(&mut t, &act, 900.0);
    assert!(t.observe().art_upper.pco2_mmhg > p0 + 20.0);
}

/// A neuromuscular block stops a driven patient's breathing; the spontaneous mode's tidal volume
/// follows the drive.
#[test]
fn paralysis_stops_breathing_and_spontaneous_vt_follows_the_drive() {
    let (mut t, act) = driven(Configuration::None);
    let p0 = t.observe().art_upper.pco2_mmhg;
    let o = after(&mut t, &act, Event::RocuroniumBolus(45.0), 240.0);
    assert!(o.neuromuscular_block > 0.9);
    // However hard the drive pushes, a blocked patient moves little air and retains CO2.
    assert!(
        o.alveolar_ventilation_effective_lpm < 1.5,
        "{}",
        o.alveolar_ventilation_effective_lpm
    );
    assert!(
        o.art_upper.pco2_mmhg > p0 + 8.0,
        "{} {p0}",
        o.art_upper.pco2_mmhg
    );
    assert!(all_finite(&o));
    let (mut t, act) = driven(Configuration::None);
    t.apply(&Event::VentilatorRate(14.0)).unwrap();
    t.apply(&Event::VentilatorVt(500.0)).unwrap();
    t.apply(&Event::VentilatorSpontaneous).unwrap();
    run(&mut t, &act, 300.0);
    let vt0 = t.observe().vent_vt_ml;
    // Fewer breaths at the set tidal volume: the drive deepens them.
    let o = after(&mut t, &act, Event::VentilatorRate(8.0), 600.0);
    assert!(o.vent_vt_ml > vt0 + 100.0, "{} {vt0}", o.vent_vt_ml);
    assert!(o.chemoreflex_drive_lpm > 0.5);
}

/// Propofol depresses a driven patient's breathing: PaCO2 rises.
#[test]
fn propofol_depresses_breathing() {
    let (mut t, act) = driven(Configuration::None);
    let p0 = t.observe().art_upper.pco2_mmhg;
    let o = after(&mut t, &act, Event::PropofolInfusion(6.0), 900.0);
    // The depressed centre still answers CO2, so PaCO2 rises only a few mmHg while the reflex
    // pushes against the depression.
    assert!(
        o.art_upper.pco2_mmhg > p0 + 1.5,
        "{} {p0}",
        o.art_upper.pco2_mmhg
    );
    assert!(o.chemoreflex_drive_lpm > 1.0, "{}", o.chemoreflex_drive_lpm);
    assert!(all_finite(&o));
}

proptest::proptest! {
    #![proptest_config(proptest::prelude::ProptestConfig { cases: 16, ..Default::default() })]

    /// Any recruitable lung on any ventilator setting, any drive and drug: finite, bounded,
    /// volume conserved, through the chemoreflex's settling and after.
    #[test]
    fn breathing_stays_finite(
        recruit in 0.0..0.5f64,
        gain in 0.0..1.0f64,
        peep in 0.0..30.0f64,
        pinsp in 0.0..50.0f64,
        mode in 0usize..4,
        drug in 0.0..1.0f64,
        shunt in 0.0..1.0f64,
        va in 0.0..30.0f64,
    ) {
        let mut p = healthy_patient();
        p.recruitability = recruit;
        p.chemoreflex_gain = gain;
        p.shunt_fraction = shunt;
        p.alveolar_ventilation_lpm = va;
        let c = TwinConfig {
            patient: p,
            circuit: circuit_for(Configuration::VvFemoroJugular),
            seed: 5,
        };
        let act = default_actuation(&c);
        let mut t = Twin::new(&c).unwrap();
        t.apply(&Event::VentilatorPeep(peep)).unwrap();
        t.apply(&Event::VentilatorPinsp(pinsp)).unwrap();
        match mode {
            0 => t.apply(&Event::VentilatorVc).unwrap(),
            1 => t.apply(&Event::VentilatorPc).unwrap(),
            2 => t.apply(&Event::VentilatorSpontaneous).unwrap(),
            _ => {}
        }
        t.apply(&Event::PropofolInfusion(12.0 * drug)).unwrap();
        t.apply(&Event::FentanylInfusion(20.0 * drug * drug)).unwrap();
        let v0 = t.totals().volume_ml;
        for _ in 0..15 {
            run(&mut t, &act, 10.0);
            let o = t.observe();
            proptest::prop_assert!(all_finite(&o), "{:?}", o);
            proptest::prop_assert!((0.0..=1.0).contains(&o.shunt_effective));
            proptest::prop_assert!((0.0..=1.0).contains(&o.recruited_fraction));
            proptest::prop_assert!(o.alveolar_ventilation_effective_lpm >= 0.0);
            proptest::prop_assert!(o.alveolar_ventilation_effective_lpm < 120.0);
        }
        proptest::prop_assert!((t.totals().volume_ml - v0 - t.balance().external_volume_ml).abs() < 1e-6);
    }
}
