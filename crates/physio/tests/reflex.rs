//! The arterial baroreflex in the whole twin: off (gain 0) it changes nothing; on, a bleeding
//! patient speeds up and constricts; the gain can change during a run; runs stay deterministic
//! and volume is conserved while the reflex moves the veins' unstressed volume.
mod common;
use common::*;
use physio::{Configuration, Event, PatientParam};

fn healthy(gain: f64) -> physio::TwinConfig {
    let mut c = config("adult-healthy", Configuration::None);
    c.patient.baroreflex_gain = gain;
    c
}

/// (before, after) a loss of 800 mL, after = the second minute after it: means of (heart
/// rate, MAP, effective SVR).
fn bled(gain: f64) -> ([f64; 3], [f64; 3]) {
    let (mut t, act) = started(&healthy(gain), None, 90.0);
    around_loss(&mut t, &act, 800.0, 60.0, 30, |o| {
        [o.heart_rate_bpm, o.map_mmhg, o.svr_mmhg_s_ml]
    })
}

#[test]
fn without_gain_nothing_responds() {
    let (b, a) = bled(0.0);
    assert_eq!(b[0], 75.0);
    assert_eq!(a[0], 75.0, "heart rate moved without a reflex");
    assert!((a[2] - 0.9).abs() < 1e-12, "SVR moved without a reflex");
    assert!(a[1] < b[1] - 10.0, "MAP {b:?} -> {a:?}");
}

#[test]
fn a_bleeding_patient_speeds_up_constricts_and_keeps_more_pressure() {
    let (b0, a0) = bled(0.0);
    let (b1, a1) = bled(1.0);
    // At rest the reflex asks for nothing: the patient's own values.
    assert!((b1[0] - 75.0).abs() < 0.5, "resting HR {b1:?}");
    assert!((b1[1] - b0[1]).abs() < 1.0, "resting MAP {b1:?} vs {b0:?}");
    assert!(a1[0] > b1[0] + 10.0, "HR {b1:?} -> {a1:?}");
    assert!(a1[2] > b1[2] * 1.05, "SVR {b1:?} -> {a1:?}");
    assert!(
        a1[1] > a0[1] + 5.0,
        "MAP with reflex {a1:?}, without {a0:?}"
    );
}

#[test]
fn gain_changes_during_a_run_and_zero_restores_the_patient() {
    let (mut t, act) = started(&healthy(0.0), None, 60.0);
    let o = after(&mut t, &act, Event::Volume(-800.0), 30.0);
    assert_eq!(o.heart_rate_bpm, 75.0);
    t.apply(&Event::SetPatient(PatientParam::BaroreflexGain, 1.0))
        .unwrap();
    run(&mut t, &act, 60.0);
    assert!(
        t.observe().heart_rate_bpm > 85.0,
        "{}",
        t.observe().heart_rate_bpm
    );
    t.apply(&Event::SetPatient(PatientParam::BaroreflexGain, 0.0))
        .unwrap();
    let o = t.observe();
    assert_eq!(o.heart_rate_bpm, 75.0);
    assert_eq!(o.svr_mmhg_s_ml, 0.9);
    assert!(
        t.apply(&Event::SetPatient(PatientParam::BaroreflexGain, 1.5))
            .is_err()
    );
}

#[test]
fn deterministic_and_volume_conserved_with_the_reflex_on() {
    for cfg in [Configuration::None, Configuration::VaFemoral] {
        let (_, oa) = bleeding_forks_agree(cfg, 1.0, 0.0);
        for x in [
            oa.map_mmhg,
            oa.heart_rate_bpm,
            oa.svr_mmhg_s_ml,
            oa.p_carotid_mmhg,
        ] {
            assert!(x.is_finite() && x > 0.0, "{cfg:?}: {oa:?}");
        }
    }
}
