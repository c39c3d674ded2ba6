//! Validation of the cardiopulmonary (low-pressure) reflex (`physio::cpreflex`) against the
//! classic human experiment: non-hypotensive lower-body negative pressure (LBNP).
//!
//! The twin has no suction chamber around the legs; what LBNP does to the heart is to take
//! blood from the central veins (it pools in the legs), and mild LBNP of −10 to −20 mmHg
//! takes about as much as a loss of 400–550 mL of blood (Cooke et al. 2004). The twin's
//! equivalent is a loss of 450 mL from the lower-body veins over 3 min (150 mL/min), with both
//! reflexes at their published gains (a healthy adult), observed over minutes 2–5 after.
//!
//! Every case is independent: the reflex's constants are Heldt et al. 2002's (fitted by Heldt
//! to tilt and LBNP population data, not to the figures below), and nothing in the twin was
//! tuned to these papers. The twin's systemic resistance is a whole-body one; Zoller et al.
//! 1972 measured the forearm's, which constricts more than the whole body (Rosenberg et al.
//! 2021's whole-body resistance, derived from their pressure, heart rate and stroke volume,
//! rises only a few per cent at LBNP −15 to −30 mmHg): the whole-body figure is compared with
//! the whole-body measurement, and the forearm's only in shape (how the response grows with
//! the unloading).
use crate::validation::{Case, Check, advance, second_means};
use physio::cpreflex::CardiopulmonaryReflex;
use physio::presets::{default_actuation, preset};
use physio::{Event, Twin, TwinConfig};

const SRC_ZOLLER: &str = "Zoller, Mark, Abboud, Schmid & Heistad 1972 (J Clin Invest \
     51:2967): LBNP -5, -10, -20, -40 mmHg lowered CVP by 42, 59, 74, 93 % and forearm \
     vascular conductance by 24, 29, 34, 40 %; at -5 and -10 without significant change of \
     arterial pressure or heart rate";
const SRC_ROSENBERG: &str = "Rosenberg et al. 2021 (J Appl Physiol 130:380, Table 2, step \
     LBNP): at -15 mmHg MAP 92.8 -> 92.9 mmHg, HR 62.4 -> 65.6/min, SV 98.6 -> 90.7 mL \
     (whole-body resistance MAP/(HR*SV) +3.5 %; at -30 mmHg +5.1 %)";
/// The healthy adult with the arterial baroreflex at `baro` and the cardiopulmonary reflex at
/// `cp`.
fn healthy(baro: f64, cp: f64) -> Option<TwinConfig> {
    let mut c = preset("adult-healthy")?;
    c.patient.baroreflex_gain = baro;
    c.patient.cardiopulmonary_gain = cp;
    Some(c)
}

/// Mean CVP, MAP, heart rate and systemic resistance over `seconds`.
fn means(t: &mut Twin, act: &physio::Actuation, seconds: usize) -> [f64; 4] {
    second_means(t, act, seconds, |o| {
        [o.cvp_mmhg, o.map_mmhg, o.heart_rate_bpm, o.svr_mmhg_s_ml]
    })
}

/// A loss of `loss_ml` at 150 mL/min from a settled patient: (before, after) of (CVP, MAP,
/// HR, SVR), before over the minute ahead of it, after over minutes 2-5 after it ends; and the
/// cardiopulmonary reflex's set point.
fn central_hypovolaemia(baro: f64, cp: f64, loss_ml: f64) -> Option<([f64; 4], [f64; 4], f64)> {
    let c = healthy(baro, cp)?;
    let act = default_actuation(&c);
    let mut t = Twin::new(&c).ok()?;
    advance(&mut t, &act, 240.0);
    let before = means(&mut t, &act, 60);
    let rate = 150.0;
    t.apply(&Event::Bleeding(rate)).ok()?;
    advance(&mut t, &act, loss_ml / rate * 60.0);
    t.apply(&Event::Bleeding(0.0)).ok()?;
    advance(&mut t, &act, 120.0);
    let after = means(&mut t, &act, 180);
    Some((before, after, t.cardiopulmonary_reflex().set_point_mmhg()))
}

fn case(name: &str, source: &'static str, unit: &'static str, check: Check, v: f64) -> Case {
    Case::independent(name, source, unit, check, v)
}

/// The cardiopulmonary reflex cases.
pub fn cardiopulmonary_cases() -> Vec<Case> {
    let loss = 450.0;
    let nan = ([f64::NAN; 4], [f64::NAN; 4], f64::NAN);
    let (b0, b1, set_point) = central_hypovolaemia(1.0, 1.0, loss).unwrap_or(nan);
    // Open loop, Zoller's two non-hypotensive stages: the forearm's conductance fell 24 % when
    // CVP fell 42 %, 29 % when it fell 59 % (1.21 times as much for 1.40 times the unloading:
    // the response saturates). The same relative unloadings of the twin's own set point,
    // through the reflex alone, compared in shape (the ratio), not in size (forearm against
    // whole body).
    let conductance_fall = |frac: f64| {
        let o = CardiopulmonaryReflex::steady(set_point * (1.0 - frac), set_point, 1.0, 70.0);
        1.0 - 1.0 / o.svr_factor
    };
    let shape = conductance_fall(0.59) / conductance_fall(0.42);
    // Not cases (the twin fails them for reasons outside this reflex; docs/experiments.md,
    // "What the twin does and does not model"): after the same 450 mL the twin's CVP falls
    // by about 14 % (0.9 of 6.8 mmHg) where LBNP -10 to -20 lowers it by 59-74 % (Zoller),
    // and its MAP falls by about 4 mmHg and its heart rate rises by about 7/min where humans
    // keep both (Zoller; Rosenberg et al. 2021: +0.1 mmHg, +3.2/min at -15 mmHg): the twin's
    // arterial pressure depends more, and its CVP less, on blood volume than a human's, so
    // the arterial baroreflex takes the larger share of the response.
    vec![
        case(
            "LBNP-equivalent loss of 450 mL, both reflexes: rise of systemic resistance",
            SRC_ROSENBERG,
            "%",
            // From LBNP -15 (+3.5 %) to -30 mmHg (+5.1 %), widened for a figure derived from
            // three measured means.
            Check::Within { lo: 2.0, hi: 10.0 },
            100.0 * (b1[3] / b0[3] - 1.0),
        ),
        case(
            "open loop: conductance fall at CVP -59 % / at CVP -42 % (saturation)",
            SRC_ZOLLER,
            "1",
            Check::Near {
                expected: 29.0 / 24.0,
                tolerance: 0.15,
            },
            shape,
        ),
    ]
}
