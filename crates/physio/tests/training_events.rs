//! The events training scenarios need besides the original set: de-airing, pump-head thrombus,
//! a worn battery, the hand-cranked emergency drive and drainage cannula migration. Each takes
//! effect in the direction the bedside knows, and bad values are refused with field and range.
mod common;
use common::*;
use physio::{Actuation, Configuration, Event, PatientParam};

#[test]
fn bad_values_name_the_field_and_range() {
    let (mut t, _) = warmed("ards-severe", Configuration::VvFemoroJugular, None, 0.0);
    for (ev, field) in [
        (Event::PumpClot(1.5), "event.pump_clot"),
        (Event::PumpClot(f64::NAN), "event.pump_clot"),
        (Event::Battery(-0.1), "event.battery"),
        (Event::ManualDrive(1e6), "event.manual_drive"),
    ] {
        let e = t.apply(&ev).expect_err("must be refused");
        assert_eq!(e.field, field, "{ev:?}");
        assert!(e.message.contains("range"), "{}", e.message);
    }
    // The central VA drainage tip already sits in the atrium: nowhere further to slip.
    let (mut c, _) = warmed(
        "va-central-postcardiotomy",
        Configuration::VaCentral,
        None,
        0.0,
    );
    let e = c.apply(&Event::CannulaMigration(true)).unwrap_err();
    assert_eq!(e.field, "event.cannula_migration");
    let (mut n, _) = warmed("adult-healthy", Configuration::None, None, 0.0);
    assert!(n.apply(&Event::CannulaMigration(true)).is_err());
}

#[test]
fn de_airing_clears_the_detector_of_trapped_air() {
    let (mut t, act) = warmed("ards-severe", Configuration::VvFemoroJugular, None, 10.0);
    t.apply(&Event::AirEntrainment(30.0)).unwrap();
    run(&mut t, &act, 5.0);
    assert!(t.observe().bubble, "air reached the detector");
    t.apply(&Event::AirEntrainment(0.0)).unwrap();
    // The pump stopped and the line clamped, as after a bubble stop: the air stays put.
    let stopped = Actuation {
        pump_rpm: 0.0,
        return_clamp: 1.0,
        ..act
    };
    run(&mut t, &stopped, 10.0);
    assert!(t.observe().bubble, "trapped air stays at the detector");
    let to_patient = t.observe().air_to_patient_ml;
    t.apply(&Event::DeAir).unwrap();
    run(&mut t, &stopped, 0.5);
    assert!(!t.observe().bubble, "de-aired");
    assert_eq!(t.observe().air_to_patient_ml, to_patient);
}

#[test]
fn pump_head_thrombus_raises_plasma_free_hb() {
    let (mut clean, act) = warmed("ards-severe", Configuration::VvFemoroJugular, None, 10.0);
    let mut clotted = clean.clone();
    clotted.apply(&Event::PumpClot(0.3)).unwrap();
    run(&mut clean, &act, 3.0 * 3600.0);
    run(&mut clotted, &act, 3.0 * 3600.0);
    let (a, b) = (clean.observe(), clotted.observe());
    eprintln!(
        "plasma free Hb after 3 h: clean head {:.1}, 30 % thrombus {:.1} mg/dL",
        a.plasma_fhb_mg_dl, b.plasma_fhb_mg_dl
    );
    assert!(
        a.plasma_fhb_mg_dl < 20.0,
        "clean head: {}",
        a.plasma_fhb_mg_dl
    );
    assert!(
        b.plasma_fhb_mg_dl > 50.0,
        "thrombosed head past the critical level: {}",
        b.plasma_fhb_mg_dl
    );
    assert!((b.pump_clot_fraction - 0.3).abs() < 0.05);
    // A new head: the release returns to the clean rate and the level falls.
    clotted.apply(&Event::PumpClot(0.0)).unwrap();
    let peak = b.plasma_fhb_mg_dl;
    run(&mut clotted, &act, 3.0 * 3600.0);
    assert!(clotted.observe().plasma_fhb_mg_dl < 0.7 * peak);
}

#[test]
fn hand_crank_drives_the_pump_without_power() {
    let (mut t, act) = warmed("ards-severe", Configuration::VvFemoroJugular, None, 20.0);
    let q0 = t.observe().circuit_flow_lpm;
    t.apply(&Event::PowerLoss(true)).unwrap();
    t.apply(&Event::Battery(0.0)).unwrap();
    run(&mut t, &act, 10.0);
    assert!(t.observe().pump_speed_rpm < 100.0, "no power: coasted");
    let o = after(&mut t, &act, Event::ManualDrive(act.pump_rpm), 20.0);
    assert!((o.pump_speed_rpm - act.pump_rpm).abs() < 50.0);
    assert!(
        (o.circuit_flow_lpm - q0).abs() < 0.5,
        "{q0} {}",
        o.circuit_flow_lpm
    );
    assert_eq!(o.battery_fraction, 0.0);
    // The console's command no longer reaches the head.
    let faster = Actuation {
        pump_rpm: 4000.0,
        ..act
    };
    run(&mut t, &faster, 5.0);
    assert!((t.observe().pump_speed_rpm - act.pump_rpm).abs() < 50.0);
    // Back on the motor with mains power: the command rules again, the battery charges.
    t.apply(&Event::PowerLoss(false)).unwrap();
    t.apply(&Event::ManualDrive(0.0)).unwrap();
    run(&mut t, &faster, 5.0);
    assert!(t.observe().pump_speed_rpm > 3900.0);
    assert!(t.observe().battery_fraction > 0.0);
}

#[test]
fn worn_battery_runs_out_early() {
    let (mut t, act) = warmed("ards-severe", Configuration::VvFemoroJugular, None, 5.0);
    t.apply(&Event::Battery(0.01)).unwrap();
    t.apply(&Event::PowerLoss(true)).unwrap();
    // 1 % of a two-hour battery: 72 s.
    run(&mut t, &act, 60.0);
    assert!(t.observe().pump_speed_rpm > 3000.0);
    run(&mut t, &act, 30.0);
    assert!(t.observe().pump_speed_rpm < 1500.0, "battery empty");
}

#[test]
fn drainage_migration_toward_the_return_jet_raises_recirculation() {
    let (mut t, act) = warmed("ards-severe", Configuration::VvFemoroJugular, None, 0.0);
    // Lung rest: the ventilator at FiO2 0.5, so that the patient depends on the circuit.
    t.apply(&Event::SetPatient(PatientParam::Fio2, 0.5))
        .unwrap();
    run(&mut t, &act, 120.0);
    let before = means(&mut t, &act, 20.0);
    t.apply(&Event::CannulaMigration(true)).unwrap();
    run(&mut t, &act, 120.0);
    let junction = means(&mut t, &act, 20.0);
    t.apply(&Event::CannulaMigration(true)).unwrap();
    run(&mut t, &act, 120.0);
    let migrated = means(&mut t, &act, 20.0);
    eprintln!(
        "at the IVC-RA junction: recirculation {:.2}, SaO2 {:.3}",
        junction.recirculation, junction.sao2_upper
    );
    t.apply(&Event::CannulaMigration(false)).unwrap();
    run(&mut t, &act, 120.0);
    let back = means(&mut t, &act, 20.0);
    eprintln!(
        "recirculation: placed {:.2}, migrated {:.2}, repositioned {:.2}; SaO2 {:.3} {:.3} {:.3}",
        before.recirculation,
        migrated.recirculation,
        back.recirculation,
        before.sao2_upper,
        migrated.sao2_upper,
        back.sao2_upper
    );
    eprintln!(
        "traced: placed {:.2}, migrated {:.2}, repositioned {:.2}",
        before.recirculation_traced, migrated.recirculation_traced, back.recirculation_traced
    );
    assert!(migrated.recirculation > before.recirculation + 0.1);
    assert!(migrated.recirculation_traced > before.recirculation_traced + 0.1);
    // Effective flow, Q·(1 − R), falls by at least a fifth; with this patient's own lungs
    // (FiO2 0.5, shunt 0.65) the saturation falls by about a point (the drainage's side holes
    // stay in the IVC and keep drawing venous blood, so recirculation rises to about a half,
    // not to two thirds as it did when the cannula was a single hole).
    let eff = |m: &Means| m.flow * (1.0 - m.recirculation_traced);
    assert!(eff(&migrated) < 0.8 * eff(&before));
    assert!(migrated.sao2_upper < before.sao2_upper - 0.005);
    assert!((back.recirculation - before.recirculation).abs() < 0.05);
}
