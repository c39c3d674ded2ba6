//! The presets produce what they claim: normal adult values for the healthy patient
//! (patient.md), hypoxaemia and hypercapnia in severe ARDS, low output with high filling
//! pressures in cardiogenic shock.
mod common;
use common::*;
use physio::Configuration;

#[test]
fn healthy_adult_has_normal_values() {
    let (mut t, act) = warmed("adult-healthy", Configuration::None, None, 120.0);
    let m = means(&mut t, &act, 30.0);
    let o = t.observe();
    // patient.md, normal adult at rest [M].
    assert!((5.0..=6.0).contains(&m.co), "CO {}", m.co);
    assert!((70.0..=100.0).contains(&m.map), "MAP {}", m.map);
    assert!((2.0..=8.0).contains(&m.cvp), "CVP {}", m.cvp);
    assert!((6.0..=12.0).contains(&m.la), "LA {}", m.la);
    assert!((0.65..=0.75).contains(&m.svo2), "SvO2 {}", m.svo2);
    assert!(
        (35.0..=45.0).contains(&m.paco2_upper),
        "PaCO2 {}",
        m.paco2_upper
    );
    assert!((7.35..=7.45).contains(&m.ph_upper), "pH {}", m.ph_upper);
    assert!(m.sao2_upper > 0.95, "SaO2 {}", m.sao2_upper);
    // Mean pulmonary artery pressure 10–20 mmHg [M].
    assert!((10.0..=20.0).contains(&m.pa), "mPAP {}", m.pa);
    // Stressed volume: 1.5 L in Smith/Chase 2004 (patient.md), about 1.9 L in Ursino 1998
    // (5300 mL less its unstressed volumes); ours includes the pulmonary vessels.
    assert!(
        (1200.0..2500.0).contains(&o.stressed_volume_ml),
        "stressed {}",
        o.stressed_volume_ml
    );
    assert!((o.blood_volume_ml - 5300.0).abs() < 1e-6);
    // VO2 and lung uptake agree at steady state (about 250 mL/min at 75 kg).
    assert!((o.vo2_ml_min - 250.0).abs() < 15.0, "VO2 {}", o.vo2_ml_min);
    assert!(
        (o.lung_o2_ml_min - o.vo2_ml_min).abs() < 0.1 * o.vo2_ml_min,
        "uptake {}",
        o.lung_o2_ml_min
    );
    assert!(
        (o.lung_co2_ml_min - o.vco2_ml_min).abs() < 0.1 * o.vco2_ml_min,
        "CO2 {}",
        o.lung_co2_ml_min
    );
}

#[test]
fn severe_ards_is_hypoxaemic_and_hypercapnic() {
    let (mut t, act) = warmed("ards-severe", Configuration::None, None, 180.0);
    let m = means(&mut t, &act, 20.0);
    // Berlin severe ARDS: PaO2/FiO2 ≤ 100 (FiO2 1.0 here).
    assert!(m.pao2_upper < 100.0, "PaO2 {}", m.pao2_upper);
    assert!(m.sao2_upper < 0.88, "SaO2 {}", m.sao2_upper);
    assert!(m.paco2_upper > 50.0, "PaCO2 {}", m.paco2_upper);
    assert!(m.ph_upper < 7.30, "pH {}", m.ph_upper);
}

#[test]
fn cardiogenic_shock_has_low_output_and_high_filling() {
    let (mut t, act) = warmed("cardiogenic-shock", Configuration::None, None, 120.0);
    let m = means(&mut t, &act, 20.0);
    // Cardiac index < 2.2 L/min/m² (≈ 4.2 L/min at 1.9 m²) with PCWP > 15 mmHg [M, SHOCK
    // trial criteria]; SvO2 low.
    assert!(m.co < 4.2, "CO {}", m.co);
    assert!(m.la > 15.0, "LA {}", m.la);
    assert!(m.svo2 < 0.65, "SvO2 {}", m.svo2);
    assert!(m.map < 85.0, "MAP {}", m.map);
}

#[test]
fn every_preset_runs_in_every_configuration() {
    for name in physio::presets::PRESET_NAMES {
        for cfg in CONFIGS {
            let (t, _) = warmed(name, cfg, None, 20.0);
            let o = t.observe();
            // Flow scales with size: 1.5 L/min in the adult, about 0.07 in the neonate.
            let w = t.patient().weight_kg;
            let min_flow = 1.5 * (w / 75.0).min(1.0);
            assert!(all_finite(&o), "{name} {cfg:?}: {o:?}");
            assert!(
                o.map_mmhg > 20.0 && o.map_mmhg < 200.0,
                "{name} {cfg:?} MAP {}",
                o.map_mmhg
            );
            if cfg != Configuration::None {
                assert!(
                    o.circuit_flow_lpm > min_flow,
                    "{name} {cfg:?} flow {}",
                    o.circuit_flow_lpm
                );
                assert!(o.post_oxy.so2 > o.pre_oxy.so2, "{name} {cfg:?} oxygenator");
            }
        }
    }
}
