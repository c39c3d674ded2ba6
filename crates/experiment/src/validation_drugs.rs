//! Validation of the drugs (`physio::drugs`) against published magnitudes: the pressure
//! response to norepinephrine, the output and heart-rate response to dobutamine, the ACT of
//! bivalirudin at its PCI dose, the onset and duration of rocuronium.
//!
//! Honest labels: the catecholamine EC50s were placed from dose–response data (see the
//! module docs of `physio::drugs`), so the cases at those doses are calibration; the cases at
//! other doses, with the baroreflex on, or from other studies are independent. `[M]` marks a
//! figure quoted from memory of the paper.
use crate::validation::{Basis, Case, Check, advance};
use physio::presets::{circuit_for, default_actuation, dilated_cardiomyopathy_patient, preset};
use physio::{Configuration, Event, Observation, Twin, TwinConfig};

const SRC_NE_SEPSIS: &str = "Hamzaoui et al. 2010 (Crit Care 14:R142): norepinephrine at a \
     median 0.24 ug/kg/min in early septic shock raised MAP from 54 to 76 mmHg (+41 %) [M]; \
     the EC50 was placed from it (patient without baroreflex)";
const SRC_DOB_HF: &str = "Leier et al. 1977 (Circulation 56:468): dobutamine 10 ug/kg/min in \
     low-output heart failure raised cardiac output by about 60 % (2.5 to 10 ug/kg/min: \
     30-90 %), heart rate little (+0-15 %) [M]; EC50 placed from it";
const SRC_DOB_HR: &str = "Ruffolo 1987 (Am J Med Sci 294:244) review: dobutamine 5-10 \
     ug/kg/min raises heart rate by 5-25 % in man [M]";
const SRC_BIVAL: &str = "Angiomax (bivalirudin) prescribing information: 0.75 mg/kg bolus then \
     1.75 mg/kg/h holds ACT near 350 s (300-400) [M]; the ACT slope was placed from it";
const SRC_ROC: &str = "Wierda et al. 1991 (Can J Anaesth 38:430) and the Zemuron label: \
     rocuronium 0.6 mg/kg, onset (maximal block) 1-3 min, clinical duration (to 25 % \
     recovery) 31 (15-85) min [M]";

fn case(
    name: &str,
    source: &'static str,
    unit: &'static str,
    check: Check,
    basis: Basis,
    v: f64,
) -> Case {
    Case {
        basis,
        ..Case::independent(name, source, unit, check, v)
    }
}

/// Mean observation over `seconds` (sampled once a second) of heart rate, MAP, cardiac output.
fn mean(t: &mut Twin, act: &physio::Actuation, seconds: f64) -> [f64; 3] {
    let mut s = [0.0; 3];
    let n = seconds as usize;
    for _ in 0..n {
        advance(t, act, 1.0);
        let o: Observation = t.observe();
        s[0] += o.heart_rate_bpm;
        s[1] += o.map_mmhg;
        s[2] += o.cardiac_output_lpm;
    }
    s.map(|x| x / n as f64)
}

/// (before, after) means of (HR, MAP, CO): `settle_s` settled, then `events`, then 15 min.
fn response(c: TwinConfig, events: &[Event], settle_s: f64) -> Option<([f64; 3], [f64; 3])> {
    let act = default_actuation(&c);
    let mut t = Twin::new(&c).ok()?;
    advance(&mut t, &act, settle_s);
    let before = mean(&mut t, &act, 30.0);
    for e in events {
        t.apply(e).ok()?;
    }
    advance(&mut t, &act, 14.0 * 60.0);
    let after = mean(&mut t, &act, 60.0);
    Some((before, after))
}

/// The healthy adult without baroreflex (as the presets are).
fn healthy() -> Option<TwinConfig> {
    preset("adult-healthy")
}

fn heart_failure() -> TwinConfig {
    TwinConfig {
        patient: dilated_cardiomyopathy_patient(),
        circuit: circuit_for(Configuration::None),
        seed: 1,
    }
}

const NAN3: ([f64; 3], [f64; 3]) = ([f64::NAN; 3], [f64::NAN; 3]);

/// The drug cases.
pub fn drug_cases() -> Vec<Case> {
    let (ne, dob) = std::thread::scope(|s| {
        let a = s.spawn(|| response(healthy()?, &[Event::NorepinephrineInfusion(0.24)], 60.0));
        let c = s.spawn(|| response(heart_failure(), &[Event::DobutamineInfusion(10.0)], 60.0));
        (
            a.join().ok().flatten().unwrap_or(NAN3),
            c.join().ok().flatten().unwrap_or(NAN3),
        )
    });
    let rel = |(b, a): ([f64; 3], [f64; 3]), i: usize| 100.0 * (a[i] / b[i] - 1.0);
    let mut v = vec![
        case(
            "norepinephrine 0.24 ug/kg/min, no reflex: MAP rise",
            SRC_NE_SEPSIS,
            "%",
            Check::Near {
                expected: 41.0,
                tolerance: 20.0,
            },
            Basis::Calibration,
            rel(ne, 1),
        ),
        case(
            "dobutamine 10 ug/kg/min, heart failure: cardiac output rise",
            SRC_DOB_HF,
            "%",
            Check::Within { lo: 30.0, hi: 90.0 },
            Basis::Calibration,
            rel(dob, 2),
        ),
        case(
            "dobutamine 10 ug/kg/min, heart failure: heart rate rise",
            SRC_DOB_HR,
            "%",
            Check::Within { lo: 5.0, hi: 30.0 },
            Basis::Independent,
            rel(dob, 0),
        ),
    ];
    // Pharmacokinetic cases (the drug model alone).
    let mut d = physio::drugs::Drugs::new(80.0);
    d.bolus(physio::drugs::Drug::Bivalirudin, 0.75 * 80.0);
    d.set_rate(physio::drugs::Drug::Bivalirudin, 1.75);
    for _ in 0..3600 {
        d.step(1.0);
    }
    v.push(case(
        "bivalirudin 0.75 mg/kg + 1.75 mg/kg/h: ACT at 1 h",
        SRC_BIVAL,
        "s",
        Check::Within {
            lo: 300.0,
            hi: 400.0,
        },
        Basis::Calibration,
        physio::coagulation::ACT_BASELINE_S + d.effects().act_added_s,
    ));
    // Rocuronium: the block's course, once a second for 2 h; onset is the time to maximal
    // block (within 0.01 of the peak), duration the time to 25 % recovery (block below 0.75).
    let mut d = physio::drugs::Drugs::new(70.0);
    d.bolus(physio::drugs::Drug::Rocuronium, 0.6 * 70.0);
    let course: Vec<f64> = (0..120 * 60)
        .map(|_| {
            d.step(1.0);
            d.effects().block
        })
        .collect();
    let peak = course.iter().cloned().fold(0.0, f64::max);
    let minute = |i: Option<usize>| i.map_or(f64::NAN, |i| (i + 1) as f64 / 60.0);
    let onset = minute(course.iter().position(|&b| b >= peak - 0.01));
    let duration = minute(
        course
            .iter()
            .position(|&b| b >= 0.9)
            .and_then(|i0| course[i0..].iter().position(|&b| b < 0.75).map(|j| i0 + j)),
    );
    v.push(case(
        "rocuronium 0.6 mg/kg: time to maximal block",
        SRC_ROC,
        "min",
        Check::Within { lo: 1.0, hi: 4.0 },
        Basis::Independent,
        onset,
    ));
    v.push(case(
        "rocuronium 0.6 mg/kg: clinical duration (to 25 % recovery)",
        SRC_ROC,
        "min",
        Check::Within { lo: 15.0, hi: 85.0 },
        Basis::Independent,
        duration,
    ));
    v
}

const SRC_TTM: &str = "Polderman 2009 (Crit Care Med 37:S186): metabolic rate falls 5-8 % per \
     degC of hypothermia, so at 33 degC VO2 is 68-80 % of its value at 37 degC [M]; the twin's \
     Q10 of 2 (7.2 %/degC) implements it";

/// Metabolism against temperature: the healthy adult's VO2 10 min after its temperature is set
/// to 33 °C (targeted temperature management), relative to 37 °C.
pub fn metabolism_cases() -> Vec<Case> {
    let ratio = (|| {
        let c = healthy()?;
        let act = default_actuation(&c);
        let mut t = Twin::new(&c).ok()?;
        advance(&mut t, &act, 60.0);
        let v0 = t.observe().vo2_ml_min;
        t.apply(&Event::SetPatient(physio::PatientParam::Temperature, 33.0))
            .ok()?;
        advance(&mut t, &act, 600.0);
        Some(t.observe().vo2_ml_min / v0)
    })()
    .unwrap_or(f64::NAN);
    vec![case(
        "VO2 at 33 degC relative to 37 degC",
        SRC_TTM,
        "1",
        Check::Within { lo: 0.68, hi: 0.80 },
        Basis::Calibration,
        ratio,
    )]
}
