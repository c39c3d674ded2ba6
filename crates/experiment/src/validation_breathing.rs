//! Validation of recruitment and overdistension (`physio::recruitment`, through the
//! ventilator) and of the chemoreflex (`physio::chemoreflex`) against published magnitudes.
//!
//! Recruitment: the `ards-severe` patient without a circuit (recruitability 0.13, Gattinoni
//! 2006's mean) on volume control. The shunt a 45-cmH2O manoeuvre removes is the preset's
//! recruitability by construction (calibration: it checks the chain from the ventilator's
//! pressures through the recruitment state to the shunt the blood sees); Borges 2006's
//! maximum-recruitment manoeuvre (plateau 60, PEEP 25) reopening nearly all of the collapsed
//! lung, and Suter 1975's best PEEP (greatest compliance, least dead space, within 0-15 cmH2O)
//! were not used to build the model (its opening and closing pressures are Crotti 2001's).
//!
//! Chemoreflex: the CO2 response slope the twin shows in closed loop is the slope it was given
//! (calibration); Kolobow 1977's lambs, whose spontaneous ventilation fell in proportion to the
//! CO2 their membrane lung removed while PaCO2 stayed where it was, are independent: the result
//! follows from the reflex's gain and the twin's CO2 mass balance.
use crate::validation::{Case, Check, second_means, started};
use crate::validation_ventilator::on_volume_control;
use physio::presets::{ards_patient, healthy_patient};
use physio::{Actuation, Configuration, Event, PatientParam, Twin};

const SRC_GATTINONI: &str = "Gattinoni et al. 2006 (N Engl J Med 354:1775): potentially \
     recruitable lung, collapsed at 5 and aerated at 45 cmH2O, 13 +/- 11 % of lung weight in 68 \
     ALI/ARDS patients; the ards-severe preset's recruitability is that mean, and the shunt \
     falls by the tissue reopened (perfusion taken as proportional to tissue)";
const SRC_BORGES: &str = "Borges et al. 2006 (Am J Respir Crit Care Med 174:268): a stepwise \
     maximum-recruitment strategy up to plateau 60 cmH2O (PEEP 25) reversed collapse to under \
     5 % of lung units in 24 of 26 early-ARDS patients";
const SRC_SUTER: &str = "Suter, Fairley & Isenberg 1975 (N Engl J Med 292:284): in acute \
     pulmonary failure the PEEP of greatest static compliance (best PEEP) lay between 0 and 15 \
     cmH2O and gave the lowest dead-space fraction; above it compliance fell and dead space rose";
const SRC_READ: &str = "Read 1967 (Australas Ann Med 16:20), rebreathing: ventilatory response \
     to CO2 of healthy adults 2-3 L/min per mmHg; the twin's slope is set to 2.5 \
     (physio chemoreflex.rs), so the closed-loop slope is calibration";
const SRC_KOLOBOW: &str = "Kolobow et al. 1977 (Anesthesiology 46:138): in spontaneously \
     breathing lambs on an extracorporeal membrane lung, alveolar ventilation fell in \
     proportion to the CO2 the membrane removed, with PaCO2 unchanged, to apnoea when it \
     removed all CO2 production [M]; tolerance +/- 0.15 of the ratio, +/- 3 mmHg";

/// Twin steps per simulated second.
fn per_s() -> usize {
    (1.0 / Twin::DT_S).round() as usize
}

fn advance(t: &mut Twin, act: &Actuation, seconds: usize) {
    for _ in 0..seconds * per_s() {
        t.step(act);
    }
}

/// The ards-severe patient without a circuit on volume control at 6 mL/kg, 20/min, I:E 1:2,
/// PEEP 5, settled 3 min.
fn ventilated_ards() -> Option<(Twin, Actuation)> {
    let (mut t, act) = on_volume_control(ards_patient(), 5.0, 6.0, 20.0)?;
    advance(&mut t, &act, 180);
    Some((t, act))
}

/// Shunt at PEEP 5, then during 2 min of pressure control at `peep` + `pinsp`: (shunt before,
/// shunt after, recruited share after).
fn manoeuvre(peep: f64, pinsp: f64) -> Option<(f64, f64, f64)> {
    let (mut t, act) = ventilated_ards()?;
    let before = second_means(&mut t, &act, 20, |o| [o.shunt_effective])[0];
    for e in [
        Event::VentilatorPeep(peep),
        Event::VentilatorPinsp(pinsp),
        Event::VentilatorPc,
    ] {
        t.apply(&e).ok()?;
    }
    advance(&mut t, &act, 100);
    let [after, open] = second_means(&mut t, &act, 20, |o| {
        [o.shunt_effective, o.recruited_fraction]
    });
    Some((before, after, open))
}

/// Suter's incremental PEEP trial at 8 mL/kg: PEEP 0, 3, ... 18 cmH2O, 3 min each; (PEEP of
/// greatest compliance, dead-space fraction there less its least over the trial, dead-space
/// fraction at 18 less at the best PEEP).
fn best_peep() -> Option<[f64; 3]> {
    let (mut t, act) = ventilated_ards()?;
    let w = t.patient().weight_kg;
    t.apply(&Event::VentilatorVt(8.0 * w)).ok()?;
    t.apply(&Event::VentilatorRate(14.0)).ok()?;
    let mut rows = Vec::new();
    for k in 0..=6 {
        let peep = 3.0 * k as f64;
        t.apply(&Event::VentilatorPeep(peep)).ok()?;
        advance(&mut t, &act, 160);
        let [c, vd] = second_means(&mut t, &act, 20, |o| {
            [o.vent_compliance_ml_cmh2o, o.vent_dead_space_fraction]
        });
        rows.push((peep, c, vd));
    }
    let best = rows.iter().copied().max_by(|a, b| a.1.total_cmp(&b.1))?;
    let least_vd = rows.iter().map(|r| r.2).fold(f64::INFINITY, f64::min);
    let last = rows.last()?.2;
    Some([best.0, best.2 - least_vd, last - best.2])
}

/// The recruitment cases.
pub fn recruitment_cases() -> Vec<Case> {
    let (g, b, s) = std::thread::scope(|sc| {
        let g = sc.spawn(|| manoeuvre(25.0, 20.0));
        let b = sc.spawn(|| manoeuvre(25.0, 35.0));
        let s = sc.spawn(best_peep);
        (
            g.join().ok().flatten(),
            b.join().ok().flatten(),
            s.join().ok().flatten(),
        )
    });
    let nan3 = (f64::NAN, f64::NAN, f64::NAN);
    let (g0, g1, _) = g.unwrap_or(nan3);
    let (_, _, b_open) = b.unwrap_or(nan3);
    let s = s.unwrap_or([f64::NAN; 3]);
    vec![
        Case::independent(
            "ARDS on VC, PEEP 5 -> 45 cmH2O plateau (PEEP 25): shunt removed, points",
            SRC_GATTINONI,
            "%",
            Check::Near {
                expected: 13.0,
                tolerance: 1.0,
            },
            100.0 * (g0 - g1),
        )
        .calibration(),
        Case::independent(
            "ARDS, maximum recruitment (plateau 60, PEEP 25): share of the collapsed lung reopened",
            SRC_BORGES,
            "1",
            Check::AtLeast { bound: 0.95 },
            b_open,
        ),
        Case::independent(
            "ARDS, PEEP 0-18 in steps of 3 at 8 mL/kg: PEEP of greatest compliance",
            SRC_SUTER,
            "cmH2O",
            Check::Within { lo: 0.0, hi: 15.0 },
            s[0],
        ),
        Case::independent(
            "ARDS, PEEP trial: dead-space fraction at best PEEP above the trial's least",
            SRC_SUTER,
            "1",
            Check::AtMost { bound: 0.01 },
            s[1],
        ),
        Case::independent(
            "ARDS, PEEP trial: dead-space fraction at PEEP 18 above best PEEP's",
            SRC_SUTER,
            "1",
            Check::AtLeast { bound: 0.02 },
            s[2],
        ),
    ]
}

/// A healthy adult whose breathing the chemoreflex drives, on `configuration`.
fn driven(configuration: Configuration) -> Option<(Twin, Actuation)> {
    let patient = physio::PatientParams {
        chemoreflex_gain: 1.0,
        ..healthy_patient()
    };
    started(patient, configuration)
}

/// Means of (carotid PaCO2, alveolar ventilation, chemoreflex drive, lung CO2 output) over
/// 60 s.
fn gases(t: &mut Twin, act: &Actuation) -> [f64; 4] {
    second_means(t, act, 60, |o| {
        [
            o.art_cerebral.pco2_mmhg,
            o.alveolar_ventilation_effective_lpm,
            o.chemoreflex_drive_lpm,
            o.lung_co2_ml_min,
        ]
    })
}

/// The closed-loop CO2 response: a healthy adult on FiO2 0.5 (no hypoxic drive) whose resting
/// drive is halved; (ΔPaCO2, Δ chemoreflex drive) after 20 min.
fn co2_response() -> Option<(f64, f64)> {
    let (mut t, act) = driven(Configuration::None)?;
    t.apply(&Event::SetPatient(PatientParam::Fio2, 0.5)).ok()?;
    advance(&mut t, &act, 300);
    let a = gases(&mut t, &act);
    let half = 0.5 * t.patient().alveolar_ventilation_lpm;
    t.apply(&Event::SetPatient(PatientParam::AlveolarVentilation, half))
        .ok()?;
    advance(&mut t, &act, 1200);
    let b = gases(&mut t, &act);
    Some((b[0] - a[0], b[2] - a[2]))
}

/// Kolobow's experiment on VV: sweep 0, then a sweep that removes about half the CO2;
/// (relative fall of alveolar ventilation / relative fall of the lungs' CO2 output, ΔPaCO2).
fn ecco2r() -> Option<(f64, f64)> {
    let (mut t, mut act) = driven(Configuration::VvFemoroJugular)?;
    // Air as the sweep gas: the membrane removes CO2 and adds little O2, so the lungs' gas
    // exchange ratio stays below 1 and their expired ventilation is the ventilation the reflex
    // sets (with O2 the membrane takes over O2 uptake too, and the alveolar gas the blood's
    // excess CO2 inflates leaves as extra expired volume).
    act.fdo2 = 0.21;
    act.sweep_lpm = 0.0;
    advance(&mut t, &act, 400);
    let a = gases(&mut t, &act);
    act.sweep_lpm = 2.0;
    advance(&mut t, &act, 1200);
    let b = gases(&mut t, &act);
    let va_fall = 1.0 - b[1] / a[1];
    let lung_fall = 1.0 - b[3] / a[3];
    Some((va_fall / lung_fall, b[0] - a[0]))
}

/// The chemoreflex cases.
pub fn chemoreflex_cases() -> Vec<Case> {
    let (r, k) = std::thread::scope(|sc| {
        let r = sc.spawn(co2_response);
        let k = sc.spawn(ecco2r);
        (r.join().ok().flatten(), k.join().ok().flatten())
    });
    let (dp, dv) = r.unwrap_or((f64::NAN, f64::NAN));
    let (ratio, dpaco2) = k.unwrap_or((f64::NAN, f64::NAN));
    vec![
        Case::independent(
            "healthy adult, resting drive halved: CO2 response slope in closed loop",
            SRC_READ,
            "L/min/mmHg",
            Check::Within { lo: 2.0, hi: 3.0 },
            dv / dp,
        )
        .calibration(),
        Case::independent(
            "healthy adult on VV, air sweep 0 -> 2 L/min: fall of alveolar ventilation per fall of lung CO2 output",
            SRC_KOLOBOW,
            "1",
            Check::Near {
                expected: 1.0,
                tolerance: 0.15,
            },
            ratio,
        ),
        Case::independent(
            "healthy adult on VV, air sweep 0 -> 2 L/min: change of PaCO2",
            SRC_KOLOBOW,
            "mmHg",
            Check::Near {
                expected: 0.0,
                tolerance: 3.0,
            },
            dpaco2,
        ),
    ]
}
