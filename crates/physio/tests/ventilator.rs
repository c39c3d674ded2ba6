//! The mechanical ventilator connected to the twin (issue 15): PEEP lowers cardiac output
//! through the pleural pressure on the chest compartments, and the ventilator's alveolar
//! ventilation sets the native lungs' CO2 elimination.
mod common;
use common::*;
use physio::Configuration;
use physio::ventilator::{Mechanics, Mode, Settings};

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
    assert!(b.alveolar_ventilation_l_min > 3.0, "{b:?}");
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
        "ventilator.c_lung"
    );
    t.set_ventilator(None).unwrap();
    assert!(t.ventilator().is_none());
}
