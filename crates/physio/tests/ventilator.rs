//! The mechanical ventilator connected to the twin (issue 15): PEEP lowers cardiac output
//! through the pleural pressure on the chest compartments, and the ventilator's alveolar
//! ventilation sets the native lungs' CO2 elimination.
mod common;
use common::*;
use physio::ventilator::{Mechanics, Mode, Settings};
use physio::{Configuration, Event, PatientParam};

/// ARDS mechanics: lung 35, chest wall 200 mL/cmH2O, airway 10 cmH2O·s/L.
fn ards() -> Mechanics {
    Mechanics {
        c_lung: 35.0,
        c_chest_wall: 200.0,
        r_aw: 10.0,
        weight_kg: 0.0,
    }
}

fn vc(peep: f64, vt: f64, rate: f64) -> Settings {
    Settings {
        mode: Mode::VolumeControl,
        peep_cmh2o: peep,
        vt_ml: vt,
        pinsp_cmh2o: 0.0,
        rate_bpm: rate,
        ie_e: 2.0,
        fio2: 0.6,
    }
}

#[test]
fn peep_lowers_cardiac_output_and_raises_cvp() {
    let mut co = Vec::new();
    let mut cvp = Vec::new();
    for peep in [0.0, 10.0, 20.0] {
        let (mut t, act) = warmed("ards-severe", Configuration::VvFemoroJugular, None, 5.0);
        t.set_ventilator(Some((vc(peep, 400.0, 20.0), ards())))
            .expect("valid settings");
        run(&mut t, &act, 60.0);
        let m = means(&mut t, &act, 10.0);
        co.push(m.co);
        cvp.push(m.cvp);
    }
    eprintln!("PEEP 0/10/20: CO {co:?} L/min, CVP {cvp:?} mmHg");
    assert!(co[0] > co[1] && co[1] > co[2], "CO {co:?}");
    assert!(cvp[0] < cvp[1] && cvp[1] < cvp[2], "CVP {cvp:?}");
}

#[test]
fn ventilator_sets_alveolar_ventilation_and_refuses_bad_settings() {
    let (mut t, act) = warmed("ards-severe", Configuration::VvFemoroJugular, None, 5.0);
    t.set_ventilator(Some((vc(10.0, 400.0, 20.0), ards())))
        .unwrap();
    let b = t.ventilator().unwrap();
    assert!(b.pplat_cmh2o > 10.0 && b.driving_cmh2o > 0.0);
    // 20 · (400 − dead space at the preset's weight), dead space 150 mL per 70 kg.
    let w = physio::presets::preset("ards-severe")
        .unwrap()
        .patient
        .weight_kg;
    let va = 20.0 * (400.0 - 150.0 * w / 70.0) / 1000.0;
    assert!(
        (b.alveolar_ventilation_l_min - va).abs() < 1e-9,
        "{va} L/min: {b:?}"
    );
    // Lung rest (rate 8, small VT) ventilates less: PaCO2 ends higher than in a fork of the
    // same twin kept on the larger ventilation.
    let mut fork = t.clone();
    let mut rest = vc(10.0, 250.0, 8.0);
    rest.fio2 = 0.3;
    t.set_ventilator(Some((rest, ards()))).unwrap();
    run(&mut t, &act, 150.0);
    run(&mut fork, &act, 150.0);
    let m_low = means(&mut t, &act, 30.0);
    let m_high = means(&mut fork, &act, 30.0);
    eprintln!(
        "PaCO2 {} (VA high) vs {} (lung rest)",
        m_high.paco2_upper, m_low.paco2_upper
    );
    assert!(all_finite(&t.observe()));
    assert!(
        m_low.paco2_upper > m_high.paco2_upper + 1.0,
        "PaCO2 {} -> {}",
        m_high.paco2_upper,
        m_low.paco2_upper
    );
    let mut bad = rest;
    bad.fio2 = 1.5;
    let e = t.set_ventilator(Some((bad, ards()))).unwrap_err();
    assert_eq!(e.field, "ventilator.fio2");
    let mut m = ards();
    m.c_lung = 0.0;
    assert_eq!(
        t.set_ventilator(Some((rest, m))).unwrap_err().field,
        "patient.lung_compliance_ml_cmh2o"
    );
    t.set_ventilator(None).unwrap();
    assert!(t.ventilator().is_none());
}

/// The ventilator events: a mode connects it with the settings held, settings changed while it
/// is off wait for the next connection, the observation shows its readings, the patient's FiO2
/// and lung compliance are the ventilator's, and `ventilator_off` hands ventilation back.
#[test]
fn ventilator_events_connect_set_and_disconnect() {
    let (mut t, act) = warmed("ards-severe", Configuration::VvFemoroJugular, None, 5.0);
    // The equation of motion of a lung that neither recruits nor overdistends (recruitment:
    // tests/breathing.rs).
    t.apply(&Event::SetPatient(PatientParam::Recruitability, 0.0))
        .unwrap();
    let o = t.observe();
    assert!(!o.ventilator_on && o.vent_pplat_cmh2o == 0.0);
    assert_eq!(o.pleural_mean_cmh2o, -5.0);
    // Settings first, while disconnected: held, nothing connected.
    t.apply(&Event::VentilatorPeep(12.0)).unwrap();
    t.apply(&Event::VentilatorVt(360.0)).unwrap();
    t.apply(&Event::VentilatorRate(20.0)).unwrap();
    assert!(t.ventilator().is_none());
    assert_eq!(t.ventilator_settings().peep_cmh2o, 12.0);
    t.apply(&Event::VentilatorVc).unwrap();
    let b = t.ventilator().expect("connected");
    // ARDS preset (lung 54, chest wall 105): C_rs = 1/(1/54 + 1/105) = 35.7 mL/cmH2O;
    // plateau = 12 + 360/35.7.
    let c = 1.0 / (1.0 / 54.0 + 1.0 / 105.0);
    assert!((b.compliance_ml_cmh2o - c).abs() < 1e-9, "{b:?}");
    assert!((b.pplat_cmh2o - b.auto_peep_cmh2o - (12.0 + 360.0 / c)).abs() < 1e-9);
    run(&mut t, &act, 1.0);
    let o = t.observe();
    assert!(o.ventilator_on);
    assert_eq!(o.vent_pplat_cmh2o, b.pplat_cmh2o);
    assert_eq!(o.vent_vt_ml, 360.0);
    assert!((o.vent_minute_volume_lpm - 7.2).abs() < 1e-9);
    assert!(o.vent_peep_total_cmh2o >= 12.0 && o.vent_driving_cmh2o > 0.0);
    assert!(o.pleural_mean_cmh2o > -5.0, "{}", o.pleural_mean_cmh2o);
    // The patient's FiO2 is the ventilator's.
    t.apply(&Event::SetPatient(PatientParam::Fio2, 0.4))
        .unwrap();
    assert_eq!(t.ventilator().unwrap().fio2, 0.4);
    // Stiffer lungs: higher plateau for the same volume.
    t.apply(&Event::SetPatient(PatientParam::LungCompliance, 20.0))
        .unwrap();
    assert!(t.ventilator().unwrap().pplat_cmh2o > b.pplat_cmh2o + 5.0);
    // Pressure control: VT from compliance and the set pressure.
    t.apply(&Event::VentilatorPinsp(10.0)).unwrap();
    t.apply(&Event::VentilatorPc).unwrap();
    let pc = t.ventilator().unwrap();
    assert!((pc.ppeak_cmh2o - 22.0).abs() < 1e-9, "{pc:?}");
    assert!(pc.vt_ml > 0.0 && pc.vt_ml < 10.0 / (1.0 / 20.0 + 1.0 / 105.0) + 1e-9);
    // Short expiration traps gas.
    t.apply(&Event::VentilatorRate(40.0)).unwrap();
    t.apply(&Event::VentilatorIe(0.5)).unwrap();
    assert!(
        t.ventilator().unwrap().auto_peep_cmh2o > 0.5,
        "{:?}",
        t.ventilator()
    );
    // Out of range: refused by name, nothing changes.
    let e = t.apply(&Event::VentilatorPeep(40.0)).unwrap_err();
    assert_eq!(e.field, "event.ventilator_peep");
    assert_eq!(t.ventilator_settings().peep_cmh2o, 12.0);
    t.apply(&Event::VentilatorOff).unwrap();
    assert!(t.ventilator().is_none());
    run(&mut t, &act, 1.0);
    let o = t.observe();
    assert!(!o.ventilator_on && o.vent_vt_ml == 0.0);
    assert!(all_finite(&o));
}

/// The initial settings scale with the patient: 6 mL/kg and a rate ∝ M^−¼.
#[test]
fn initial_settings_scale_with_weight() {
    use physio::ventilator::Settings;
    let a = Settings::initial(75.0, 0.21);
    assert_eq!((a.vt_ml, a.rate_bpm, a.peep_cmh2o), (450.0, 14.0, 5.0));
    let n = Settings::initial(3.5, 0.21);
    assert!((n.vt_ml - 21.0).abs() < 1e-9);
    // 14 × (3.5/75)^−0.25 = 30.1.
    assert_eq!(n.rate_bpm, 30.0);
    assert!(a.check().is_ok() && n.check().is_ok());
}
