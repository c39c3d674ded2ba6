//! Drugs in the whole twin: nothing changes until one is given; a vasopressor raises pressure
//! through resistance, an inotrope raises output, a paralysing drug lowers VO2, bivalirudin
//! prolongs the ACT; the blood's balances still close.
mod common;
use common::*;
use physio::presets::default_actuation;
use physio::{Configuration, Event, Twin};

fn settle(ev: &[Event], minutes: f64) -> (physio::Observation, physio::Observation) {
    let (mut t, act) = warmed("adult-healthy", Configuration::None, None, 60.0);
    let o0 = t.observe();
    for e in ev {
        t.apply(e).unwrap();
    }
    run(&mut t, &act, minutes * 60.0);
    (o0, t.observe())
}

#[test]
fn nothing_given_is_inert() {
    let c = config("adult-healthy", Configuration::None);
    let act = default_actuation(&c);
    let mut a = Twin::new(&c).unwrap();
    let mut b = Twin::new(&c).unwrap();
    // Stopping a drug never started is no drug.
    b.apply(&Event::NorepinephrineInfusion(0.0)).unwrap();
    run(&mut a, &act, 30.0);
    run(&mut b, &act, 30.0);
    assert!(!b.drugs().active());
    assert_eq!(format!("{:?}", a.observe()), format!("{:?}", b.observe()));
}

#[test]
fn norepinephrine_raises_pressure_and_resistance() {
    let (o0, o) = settle(&[Event::NorepinephrineInfusion(0.24)], 15.0);
    eprintln!(
        "NE 0.24: MAP {:.1}->{:.1} CO {:.2}->{:.2} HR {:.0}->{:.0} SVR {:.2}->{:.2} C {:.1}",
        o0.map_mmhg,
        o.map_mmhg,
        o0.cardiac_output_lpm,
        o.cardiac_output_lpm,
        o0.heart_rate_bpm,
        o.heart_rate_bpm,
        o0.svr_mmhg_s_ml,
        o.svr_mmhg_s_ml,
        o.drug_plasma[0]
    );
    assert!(
        o.map_mmhg > o0.map_mmhg * 1.25,
        "{} -> {}",
        o0.map_mmhg,
        o.map_mmhg
    );
    assert!(o.svr_mmhg_s_ml > o0.svr_mmhg_s_ml * 1.3);
    assert!((o.drug_plasma[0] - 8.0).abs() < 0.5, "{}", o.drug_plasma[0]);
}

#[test]
fn dobutamine_raises_output() {
    let (o0, o) = settle(&[Event::DobutamineInfusion(10.0)], 15.0);
    eprintln!(
        "DOB 10: MAP {:.1}->{:.1} CO {:.2}->{:.2} HR {:.0}->{:.0}",
        o0.map_mmhg,
        o.map_mmhg,
        o0.cardiac_output_lpm,
        o.cardiac_output_lpm,
        o0.heart_rate_bpm,
        o.heart_rate_bpm
    );
    assert!(o.cardiac_output_lpm > o0.cardiac_output_lpm * 1.15);
    assert!(o.heart_rate_bpm > o0.heart_rate_bpm * 1.1);
}

#[test]
fn rocuronium_blocks_and_lowers_vo2_bivalirudin_prolongs_act() {
    let (o0, o) = settle(
        &[
            Event::RocuroniumBolus(42.0),
            Event::BivalirudinBolus(35.0),
            Event::BivalirudinInfusion(0.2),
        ],
        10.0,
    );
    eprintln!(
        "roc: block {:.2} VO2 {:.0}->{:.0} ACT {:.0}->{:.0}",
        o.neuromuscular_block, o0.vo2_ml_min, o.vo2_ml_min, o0.act_s, o.act_s
    );
    assert!(o.neuromuscular_block > 0.9);
    assert!(o.vo2_ml_min < o0.vo2_ml_min * 0.95);
    assert!(o.act_s > o0.act_s + 20.0);
    assert_eq!(o.anti_xa_iu_ml, o0.anti_xa_iu_ml);
}

#[test]
fn propofol_lowers_pressure() {
    let (o0, o) = settle(
        &[Event::PropofolBolus(140.0), Event::PropofolInfusion(4.0)],
        5.0,
    );
    eprintln!(
        "propofol: MAP {:.1}->{:.1} CO {:.2}->{:.2} C {:.2}",
        o0.map_mmhg, o.map_mmhg, o0.cardiac_output_lpm, o.cardiac_output_lpm, o.drug_plasma[5]
    );
    assert!(o.map_mmhg < o0.map_mmhg * 0.9);
}

/// Issue 15 ("also wrong today"): a patient whose temperature is set to 33 °C consumes less O2,
/// by the twin's Q10 of 2 (7 %/°C), and stays at 33 °C.
#[test]
fn vo2_follows_a_set_temperature() {
    let (mut t, act) = warmed("adult-healthy", Configuration::None, None, 60.0);
    let o0 = t.observe();
    t.apply(&Event::SetPatient(physio::PatientParam::Temperature, 33.0))
        .unwrap();
    run(&mut t, &act, 600.0);
    let o = t.observe();
    let r = o.vo2_ml_min / o0.vo2_ml_min;
    eprintln!(
        "VO2 {} -> {} ({r}), T {}",
        o0.vo2_ml_min, o.vo2_ml_min, o.patient_temp_c
    );
    assert!((r - 2f64.powf(-0.4)).abs() < 0.02, "{r}");
    assert!(
        (o.patient_temp_c - 33.0).abs() < 0.1,
        "{}",
        o.patient_temp_c
    );
}

/// Lactate: normal and steady in a healthy adult; rises, and base excess falls by as much,
/// when O2 delivery falls below demand (a severe haemorrhage).
#[test]
fn lactate_rises_when_delivery_falls_short() {
    let c = config("adult-healthy", Configuration::None);
    let act = default_actuation(&c);
    let mut t = Twin::new(&c).unwrap();
    run(&mut t, &act, 120.0);
    let o0 = t.observe();
    assert_eq!(o0.lactate_mmol_l, 1.0);
    assert_eq!(o0.base_excess_meq_l, c.patient.base_excess_meq_l);
    t.apply(&Event::Bleeding(100.0)).unwrap();
    run(&mut t, &act, 900.0);
    let o = after(&mut t, &act, Event::Bleeding(0.0), 600.0);
    eprintln!(
        "bled: lactate {:.2} BE {:.2} pH {:.3} CO {:.2} MAP {:.0} SvO2 {:.2} VO2 {:.0}",
        o.lactate_mmol_l,
        o.base_excess_meq_l,
        o.art_upper.ph,
        o.cardiac_output_lpm,
        o.map_mmhg,
        o.svo2,
        o.vo2_ml_min
    );
    assert!(o.lactate_mmol_l > 2.0);
    let d = (o.lactate_mmol_l - 1.0) + (o.base_excess_meq_l - c.patient.base_excess_meq_l);
    assert!(d.abs() < 1e-9);
    // The reported base excess is defined that way; what must follow is that the acid reaches
    // the blood: the arterial pH is lower than the same blood gases without the lactate give
    // (ventilation may have lowered the PaCO2 and so the pH change itself), by about 0.015
    // per mEq/L at fixed PCO2 (the Van Slyke relation behind base excess, Siggaard-Andersen
    // 1977 \[M\]).
    let chem = physio::blood::Chemistry {
        hb_g_dl: o.hb_g_dl,
        base_excess_meq_l: c.patient.base_excess_meq_l,
        temp_c: o.patient_temp_c,
    };
    let a = o.art_upper;
    let no_acid = physio::blood::from_partial_pressures(a.po2_mmhg, a.pco2_mmhg, &chem).1;
    let per_meq = (no_acid.ph - a.ph) / (o.lactate_mmol_l - 1.0);
    assert!(
        (0.008..0.02).contains(&per_meq),
        "pH {:.3} against {:.3} without the lactate: {per_meq:.4} per mmol/L",
        a.ph,
        no_acid.ph
    );
}
