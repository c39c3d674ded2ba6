//! The cardiopulmonary reflex in the whole twin: off (gain 0) it changes nothing; on, a small
//! loss of blood constricts the arterioles without touching heart rate; it adds to the
//! baroreflex; a sedative blunts it; the gain can change during a run; runs stay deterministic
//! and volume is conserved while it moves the veins' unstressed volume.
mod common;
use common::*;
use physio::{Configuration, Event, PatientParam};

fn healthy(baro: f64, cp: f64) -> physio::TwinConfig {
    let mut c = config("adult-healthy", Configuration::None);
    c.patient.baroreflex_gain = baro;
    c.patient.cardiopulmonary_gain = cp;
    c
}

/// (before, after) a loss of 500 mL, after = minutes 1.5-2.5 after it: means of (heart rate,
/// MAP, effective SVR, CVP).
fn bled(baro: f64, cp: f64, sedated: bool) -> ([f64; 4], [f64; 4]) {
    let (mut t, act) = started(&healthy(baro, cp), None, 0.0);
    if sedated {
        t.apply(&Event::PropofolInfusion(4.0)).unwrap();
    }
    run(&mut t, &act, 90.0);
    around_loss(&mut t, &act, 500.0, 90.0, 60, |o| {
        [o.heart_rate_bpm, o.map_mmhg, o.svr_mmhg_s_ml, o.cvp_mmhg]
    })
}

#[test]
fn without_gain_nothing_responds() {
    let (b, a) = bled(0.0, 0.0, false);
    assert_eq!(a[0], 75.0);
    assert!((a[2] - b[2]).abs() < 1e-12, "SVR moved without a reflex");
}

#[test]
fn a_small_loss_constricts_without_touching_heart_rate() {
    let (b0, a0) = bled(0.0, 0.0, false);
    let (b, a) = bled(0.0, 1.0, false);
    assert!((b[1] - b0[1]).abs() < 0.5, "resting MAP {b:?} vs {b0:?}");
    assert!((b[2] - b0[2]).abs() < 1e-3, "resting SVR {b:?} vs {b0:?}");
    assert!(a[3] < b[3], "CVP {b:?} -> {a:?}");
    assert_eq!(a[0], 75.0, "heart rate moved: {a:?}");
    assert!(a[2] > b[2] * 1.005, "SVR {b:?} -> {a:?}");
    // Venoconstriction and arteriolar constriction keep more pressure than no reflex.
    assert!(a[1] > a0[1] + 1.0, "MAP with {a:?}, without {a0:?}");
    // The two reflexes add: together they keep more pressure than the baroreflex alone, which
    // is then unloaded less (less tachycardia).
    let (_, ab) = bled(1.0, 0.0, false);
    let (_, ac) = bled(1.0, 1.0, false);
    assert!(ac[1] > ab[1] + 1.0, "MAP both {ac:?}, baro {ab:?}");
    assert!(ac[0] < ab[0], "HR both {ac:?}, baro {ab:?}");
}

#[test]
fn a_sedative_blunts_it() {
    let (b, a) = bled(0.0, 1.0, false);
    let (bs, as_) = bled(0.0, 1.0, true);
    let rise = a[2] / b[2] - 1.0;
    let sedated = as_[2] / bs[2] - 1.0;
    assert!(sedated < 0.8 * rise, "awake {rise}, sedated {sedated}");
}

#[test]
fn gain_changes_during_a_run_and_zero_restores_the_patient() {
    let (mut t, act) = started(&healthy(0.0, 0.0), None, 60.0);
    let o = after(&mut t, &act, Event::Volume(-500.0), 30.0);
    assert_eq!(o.svr_mmhg_s_ml, 0.9);
    t.apply(&Event::SetPatient(PatientParam::CardiopulmonaryGain, 1.0))
        .unwrap();
    run(&mut t, &act, 60.0);
    assert!(t.observe().svr_mmhg_s_ml > 0.905, "{:?}", t.observe());
    t.apply(&Event::SetPatient(PatientParam::CardiopulmonaryGain, 0.0))
        .unwrap();
    assert_eq!(t.observe().svr_mmhg_s_ml, 0.9);
    let e = t
        .apply(&Event::SetPatient(PatientParam::CardiopulmonaryGain, 1.5))
        .unwrap_err();
    assert!(e.to_string().contains("cardiopulmonary_gain"), "{e}");
}

#[test]
fn deterministic_and_volume_conserved_with_both_reflexes_on() {
    for cfg in [Configuration::None, Configuration::VaFemoral] {
        let (a, oa) = bleeding_forks_agree(cfg, 1.0, 1.0);
        for x in [
            oa.map_mmhg,
            oa.heart_rate_bpm,
            oa.svr_mmhg_s_ml,
            oa.cvp_mmhg,
        ] {
            assert!(x.is_finite(), "{cfg:?}: {oa:?}");
        }
        assert!(a.cardiopulmonary_reflex().settled());
    }
}
