//! Validation of the arterial baroreflex (`physio::reflex`) and of the fluid kinetics
//! (`physio::fluids`) against published magnitudes.
//!
//! Baroreflex: the response of a healthy adult (`adult-healthy` with `baroreflex_gain` 1) to
//! the loss of a fifth of the blood volume, against the ATLS class II picture and against the
//! same patient without the reflex; the open-loop heart-period gain against human
//! baroreflex sensitivity; how fast heart rate and resistance follow a step of carotid pressure.
//! None of these figures was used to build the reflex (its constants are Ursino 1998's, fitted
//! to animal data), so all are independent.
//!
//! Fluids: the plasma volume expansion of a 25 mL/kg crystalloid infusion over 30 min, measured
//! as the volunteer studies measured it (from the haemoglobin dilution), against Hahn 2020's
//! summary (calibration: the renal clearance is fitted to it); the peak urine flow of Rodhe
//! 2010's volunteers, the persistence of albumin and the Hb rise per unit of red cells
//! (independent).
use crate::validation::{Case, Check};
use physio::presets::{default_actuation, preset};
use physio::reflex::{self, Baroreflex};
use physio::{Event, Observation, Twin, TwinConfig};

const SRC_ATLS: &str = "ATLS 10th ed. (American College of Surgeons 2018), class II \
     haemorrhage (15-30 % of blood volume): heart rate 100-120/min, systolic pressure normal, \
     pulse pressure decreased";
const SRC_LOOP_GAIN: &str = "Sagawa 1983 (Handbook of Physiology sect. 2 vol. III, baroreflex \
     control of arterial pressure): open-loop gain of the arterial baroreflex about 1-3, so it \
     prevents 50-75 % of a pressure disturbance [M]";
const SRC_BRS: &str = "Smyth, Sleight & Pickering 1969 (Circ Res 24:109) and La Rovere 1998 \
     ATRAMI (Lancet 351:478): baroreflex sensitivity of healthy adults 5-25 ms/mmHg \
     (below 3 is depressed) [M]";
const SRC_SPEED: &str = "Borst & Karemaker 1983 (J Auton Nerv Syst 9:399), Sagawa 1983: the \
     heart-rate response to a carotid pressure step is complete within seconds (vagal latency \
     under 1 s), the resistance response develops over 10-30 s [M]";
const SRC_HAHN: &str = "Hahn 2020 (Acta Anaesthesiol Scand 64:570): crystalloid expands \
     the plasma by 50-60 % of the infused volume while the infusion lasts, 15-20 % 30 min after \
     it ends";
const SRC_RODHE: &str = "Rodhe et al. 2010 (Comput Math Methods Med 11:341): 25 mL/kg \
     Ringer's acetate over 30 min in women of 62.5 kg, maximum urine flow 19 (13-31) mL/min";
const SRC_COLLOID: &str = "Hahn 2020 (Acta Anaesthesiol Scand 64:570): colloids have no \
     distribution phase and an intravascular persistence half-life of 2-3 h";
const SRC_WIESEN: &str = "Wiesen et al. 1994 (Ann Intern Med 121:278): Hb rises about 1 g/dL \
     per red cell unit in adults not bleeding, equilibrated within 15 min [M]";

fn case(name: &str, source: &'static str, unit: &'static str, check: Check, v: f64) -> Case {
    Case::independent(name, source, unit, check, v)
}

/// Step the twin `seconds` at its default actuation, returning the mean observation-derived
/// values `f` sampled once per simulated second.
fn mean_over(
    t: &mut Twin,
    act: &physio::Actuation,
    seconds: f64,
    f: &dyn Fn(&Observation) -> f64,
) -> f64 {
    let per_s = (1.0 / Twin::DT_S).round() as usize;
    let (mut sum, mut n) = (0.0, 0.0);
    for _ in 0..seconds as usize {
        for _ in 0..per_s {
            t.step(act);
        }
        sum += f(&t.observe());
        n += 1.0;
    }
    sum / n
}

fn advance(t: &mut Twin, act: &physio::Actuation, seconds: f64) {
    for _ in 0..(seconds / Twin::DT_S).round() as usize {
        t.step(act);
    }
}

/// The healthy adult with the reflex at `gain`.
fn healthy(gain: f64) -> Option<TwinConfig> {
    let mut c = preset("adult-healthy")?;
    c.patient.baroreflex_gain = gain;
    Some(c)
}

/// What a haemorrhage of a fifth of the blood volume (100 mL/min for 10.6 min) does, mean over
/// minutes 2-5 after it ends: (before, after) of (HR, MAP, systolic, pulse pressure).
fn haemorrhage(gain: f64) -> Option<([f64; 4], [f64; 4])> {
    let c = healthy(gain)?;
    let act = default_actuation(&c);
    let mut t = Twin::new(&c).ok()?;
    advance(&mut t, &act, 240.0);
    let base = mean3(&mut t, &act, 60.0);
    let before = [base[0], base[1], base[2], pulse(&mut t, &act, 10.0)];
    let loss = 0.2 * c.patient.blood_volume_ml;
    t.apply(&Event::Bleeding(100.0)).ok()?;
    advance(&mut t, &act, loss / 100.0 * 60.0);
    t.apply(&Event::Bleeding(0.0)).ok()?;
    advance(&mut t, &act, 120.0);
    let after3 = mean3(&mut t, &act, 180.0);
    let mut after = [0.0; 4];
    after[..3].copy_from_slice(&after3);
    after[3] = pulse(&mut t, &act, 10.0);
    Some((before, after))
}

/// Mean heart rate, MAP and systolic pressure over `seconds`.
fn mean3(t: &mut Twin, act: &physio::Actuation, seconds: f64) -> [f64; 3] {
    crate::validation::second_means(t, act, seconds as usize, |o| {
        [o.heart_rate_bpm, o.map_mmhg, o.p_art_sys_mmhg]
    })
}

/// Mean pulse pressure over `seconds`.
fn pulse(t: &mut Twin, act: &physio::Actuation, seconds: f64) -> f64 {
    mean_over(t, act, seconds, &|o| o.p_art_sys_mmhg - o.p_art_dia_mmhg)
}

/// The baroreflex cases.
pub fn baroreflex_cases() -> Vec<Case> {
    let (on, off) = std::thread::scope(|s| {
        let a = s.spawn(|| haemorrhage(1.0));
        let b = s.spawn(|| haemorrhage(0.0));
        (a.join().ok().flatten(), b.join().ok().flatten())
    });
    let nan = ([f64::NAN; 4], [f64::NAN; 4]);
    let (on_b, on_a) = on.unwrap_or(nan);
    let (off_b, off_a) = off.unwrap_or(nan);
    let fall_on = on_b[1] - on_a[1];
    let fall_off = off_b[1] - off_a[1];
    let mut out = vec![
        case(
            "haemorrhage 20 %, reflex on: heart rate",
            SRC_ATLS,
            "1/min",
            Check::Within {
                lo: 100.0,
                hi: 120.0,
            },
            on_a[0],
        ),
        // ATLS class II keeps systolic pressure normal; the twin's falls to about 75 mmHg
        // (docs/experiments.md, "What the twin does and does not model"): a direction only.
        case(
            "haemorrhage 20 %: systolic pressure, reflex off -> on",
            SRC_ATLS,
            "mmHg",
            Check::Rises {
                before: off_a[2],
                by: 0.0,
            },
            on_a[2],
        ),
        case(
            "haemorrhage 20 %, reflex on: pulse pressure falls",
            SRC_ATLS,
            "mmHg",
            Check::Falls {
                before: on_b[3],
                by: 0.0,
            },
            on_a[3],
        ),
        case(
            "haemorrhage 20 %: share of the MAP fall the reflex prevents",
            SRC_LOOP_GAIN,
            "1",
            Check::Within { lo: 0.5, hi: 0.75 },
            1.0 - fall_on / fall_off,
        ),
    ];
    out.extend(open_loop_cases());
    out
}

/// Open loop: the reflex alone, driven by a carotid pressure the test sets.
fn open_loop_cases() -> Vec<Case> {
    // Static heart-period gain at the set point, ms/mmHg, for the healthy adult's resting
    // period (75/min).
    let pn = 90.0;
    let period = |p: f64| {
        let s = reflex::steady(p, pn);
        s[reflex::T_S] + s[reflex::T_V]
    };
    let rest = reflex::T0_S + period(pn);
    let brs_ms = 1000.0 * 0.8 * (period(pn + 2.0) - period(pn - 2.0)) / 4.0 / rest;
    // Step response to a 20 mmHg fall: time to 63 % of the final heart-period and resistance
    // changes.
    let dt = 0.04;
    let mut r = Baroreflex::new(pn);
    let mut t = 0.0;
    while !r.settled() {
        r.step(dt, pn);
        t += dt;
    }
    let mut trace = Vec::new();
    let t0 = t;
    while t < t0 + 150.0 {
        r.step(dt, pn - 20.0);
        t += dt;
        let o = r.output(1.0, 75.0);
        trace.push((t - t0, o.heart_period_factor - 1.0, o.svr_factor - 1.0));
    }
    let t63 = |k: usize| {
        let last = trace
            .last()
            .map_or(f64::NAN, |x| if k == 1 { x.1 } else { x.2 });
        trace
            .iter()
            .find(|x| {
                let v = if k == 1 { x.1 } else { x.2 };
                (v / last) >= 0.632
            })
            .map_or(f64::NAN, |x| x.0)
    };
    vec![
        case(
            "open loop: heart-period gain at the set point (baroreflex sensitivity)",
            SRC_BRS,
            "ms/mmHg",
            Check::Within { lo: 5.0, hi: 25.0 },
            brs_ms,
        ),
        case(
            "open loop: carotid pressure -20 mmHg, time to 63 % of the heart-rate change",
            SRC_SPEED,
            "s",
            Check::Within { lo: 0.5, hi: 10.0 },
            t63(1),
        ),
        case(
            "open loop: carotid pressure -20 mmHg, time to 63 % of the resistance change",
            SRC_SPEED,
            "s",
            Check::Within { lo: 5.0, hi: 30.0 },
            t63(2),
        ),
    ]
}

/// Plasma volume expansion, mL, from the Hb dilution as volume kinetic studies measure it:
/// plasma dilution (Hb0/Hb − 1)/(1 − Hct0) times the plasma volume at the start.
fn plasma_expansion(hb0: f64, hb: f64, blood0_ml: f64) -> f64 {
    let hct0 = physio::cannula::hct_from_hb(hb0);
    (hb0 / hb - 1.0) / (1.0 - hct0) * blood0_ml * (1.0 - hct0)
}

/// Run an infusion of `event(rate)` for `minutes` and observe on for `after` minutes; returns
/// per-minute (Hb, blood volume, excreted) and the twin's starting Hb and blood volume.
fn infusion(
    c: &TwinConfig,
    event: fn(f64) -> Event,
    rate_ml_h: f64,
    minutes: usize,
    after: usize,
) -> Option<(Vec<[f64; 3]>, f64, f64)> {
    let act = default_actuation(c);
    let mut t = Twin::new(c).ok()?;
    advance(&mut t, &act, 60.0);
    let o = t.observe();
    let (hb0, bv0) = (o.hb_g_dl, o.blood_volume_ml);
    t.apply(&event(rate_ml_h)).ok()?;
    let mut rows = Vec::new();
    for m in 0..minutes + after {
        if m == minutes {
            t.apply(&event(0.0)).ok()?;
        }
        advance(&mut t, &act, 60.0);
        let o = t.observe();
        rows.push([o.hb_g_dl, o.blood_volume_ml, o.fluid_excreted_ml]);
    }
    Some((rows, hb0, bv0))
}

/// The fluid cases.
pub fn fluid_cases() -> Vec<Case> {
    let Some(adult) = preset("adult-healthy") else {
        return vec![];
    };
    let mut woman = adult.clone();
    woman.patient.weight_kg = 62.5;
    woman.patient.blood_volume_ml = 62.5 * 65.0;
    woman.patient.hb_g_dl = 13.0;
    let mut anaemic = adult.clone();
    anaemic.patient.hb_g_dl = 8.0;
    let (cryst, urine, alb, rbc) = std::thread::scope(|s| {
        let a = s.spawn(|| {
            let w = adult.patient.weight_kg;
            infusion(&adult, Event::CrystalloidInfusion, 25.0 * w * 2.0, 30, 30)
        });
        let b = s.spawn(|| {
            let w = woman.patient.weight_kg;
            infusion(&woman, Event::CrystalloidInfusion, 25.0 * w * 2.0, 30, 60)
        });
        let c = s.spawn(|| infusion(&adult, Event::AlbuminInfusion, 2000.0, 30, 150));
        let d = s.spawn(|| infusion(&anaemic, Event::RedCellInfusion, 600.0, 30, 15));
        (
            a.join().ok().flatten(),
            b.join().ok().flatten(),
            c.join().ok().flatten(),
            d.join().ok().flatten(),
        )
    });
    let nan = f64::NAN;
    let (end, later) = cryst.map_or((nan, nan), |(rows, hb0, bv0)| {
        let given = 25.0 * adult.patient.weight_kg;
        (
            plasma_expansion(hb0, rows[29][0], bv0) / given,
            plasma_expansion(hb0, rows[59][0], bv0) / given,
        )
    });
    let peak_urine = urine.map_or(nan, |(rows, _, _)| {
        rows.windows(2)
            .map(|w| w[1][2] - w[0][2])
            .fold(f64::NAN, f64::max)
    });
    let (alb_end, alb_later) = alb.map_or((nan, nan), |(rows, hb0, bv0)| {
        let e = plasma_expansion(hb0, rows[29][0], bv0);
        let l = plasma_expansion(hb0, rows[59][0], bv0);
        (e / 1000.0, l / 1000.0)
    });
    let hb_rise = rbc.map_or(nan, |(rows, hb0, _)| rows[44][0] - hb0);
    vec![
        case(
            "crystalloid 25 mL/kg over 30 min: plasma expansion / infused, at the end",
            SRC_HAHN,
            "1",
            Check::Near {
                expected: 0.55,
                tolerance: 0.07,
            },
            end,
        )
        .calibration(),
        case(
            "crystalloid 25 mL/kg over 30 min: plasma expansion / infused, 30 min later",
            SRC_HAHN,
            "1",
            Check::Near {
                expected: 0.175,
                tolerance: 0.05,
            },
            later,
        )
        .calibration(),
        case(
            "crystalloid 25 mL/kg over 30 min, 62.5 kg: peak urine flow",
            SRC_RODHE,
            "mL/min",
            Check::Within { lo: 13.0, hi: 31.0 },
            peak_urine,
        ),
        // Albumin's magnitudes fall short of Hahn's (0.81 of the infused volume at the end of
        // the infusion, a persistence half-life of about 1.6 h rather than 2-3 h: the kidneys
        // clear the expanded plasma as fast as after crystalloid; docs/experiments.md): the
        // rows compare it with crystalloid, directions only.
        case(
            "end of a 30 min infusion: plasma expansion / infused, crystalloid -> albumin 5 %",
            SRC_COLLOID,
            "1",
            Check::Rises {
                before: end,
                by: 0.0,
            },
            alb_end,
        ),
        case(
            "30 min after a 30 min infusion: plasma expansion / infused, crystalloid -> albumin 5 %",
            SRC_COLLOID,
            "1",
            Check::Rises {
                before: later,
                by: 0.0,
            },
            alb_later,
        ),
        case(
            "red cells 300 mL (one unit) at Hb 8: Hb rise 15 min after",
            SRC_WIESEN,
            "g/dL",
            Check::Within { lo: 0.7, hi: 1.3 },
            hb_rise,
        ),
    ]
}
