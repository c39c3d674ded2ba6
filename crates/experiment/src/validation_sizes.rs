//! Validation of patients of other sizes (`physio::sizes`): the healthy neonate (3.5 kg), child
//! (20 kg) and adult (75 kg) at rest against the published normal values of each age, and the
//! `neonate` preset's default pump speed on its cervical VA circuit.
//!
//! What is set and what follows. `physio::sizes::scaled_patient` gives each weight its heart
//! rate, blood volume and Hb from the published norms, and its systemic resistance from Ohm's
//! law on the published mean pressure and cardiac output of that weight. Heart rate is therefore
//! an input (calibration: the rows show that it arrives unchanged). Mean pressure and cardiac
//! output are what the twin's heart and vessels make of that resistance, volume and rate: the
//! resistance is their ratio, not either of them, so each can miss (independent). Before the
//! age norms the 3.5-kg neonate had 127 mL/kg/min and a mean pressure of 75 mmHg: both rows
//! fail on the allometric patient.
use crate::validation::{Case, Check, second_means};
use physio::presets::{circuit_for, default_actuation, preset};
use physio::sizes::scaled_patient;
use physio::twin::Configuration;
use physio::{Twin, TwinConfig};

const SRC_ALVERSON_1984: &str = "Alverson et al. 1984 (Am J Perinatol 1:148): cardiac output of \
     14 healthy term infants in the first week (mean 3127 g) 236 +/- 47 mL/kg/min (pulsed \
     Doppler); the range is the mean +/- 1 SD";
const SRC_KENT: &str = "Kent et al. 2007 (Pediatr Nephrol 22:1335): mean arterial pressure \
     of 406 healthy term neonates, medians 48, 51, 44.5 and 54 mmHg on days 1-4 (oscillometric)";
const SRC_FLEMING: &str = "Fleming et al. 2011 (Lancet 377:1011): median heart rate 127/min at \
     birth, 145 at one month; APLS neonatal range 110-160 (its web appendix)";
const SRC_CI: &str = "Alverson et al. 1987 (J Ultrasound Med 6:519): cardiac index through the \
     first year 3.48 +/- 0.74 L/min/m2; Carlsson et al. 2012 (J Cardiovasc Magn Reson 14:51): \
     healthy adults 3.2 +/- 0.5. The range spans both (2.7-4.2); BSA by Mosteller 1987 (N Engl J \
     Med 317:1098) at the WHO 2007 median height of six years, 116 cm";
const SRC_NHBPEP: &str = "NHBPEP Working Group 2004 (Pediatrics 114:555, the Fourth Report): \
     boys at the 50th height and pressure percentiles, 93/50 mmHg (mean 64) at four years, \
     rising by 1-3 mmHg a year (85/37 at one year, 91/46 at three); a six-year-old 64-72";
const SRC_OSTCHEGA: &str = "Ostchega et al. 2011 (Natl Health Stat Report 41, NHANES 1999-2008): \
     mean resting pulse 96/min at five years, 78 in early adolescence";
const SRC_ADULT: &str = "patient.md: normal adult at rest, cardiac output 5-6 L/min, MAP \
     70-100 mmHg, heart rate 60-100/min [M]";
const SRC_ELSO_FLOW: &str = "Wild et al. 2020 (ASAIO J 66:463, ELSO neonatal respiratory \
     guideline): neonatal VA flow 100-150 mL/kg/min at the start [M]";

fn case(name: &str, source: &'static str, unit: &'static str, check: Check, v: f64) -> Case {
    Case::independent(name, source, unit, check, v)
}

/// Mean heart rate, MAP, cardiac output (L/min) and circuit flow (L/min) over a minute after
/// `warm` seconds.
fn rest(config: &TwinConfig, warm: f64) -> Option<[f64; 4]> {
    let act = default_actuation(config);
    let mut t = Twin::new(config).ok()?;
    for _ in 0..(warm / Twin::DT_S).round() as usize {
        t.step(&act);
    }
    Some(second_means(&mut t, &act, 60, |o| {
        [
            o.heart_rate_bpm,
            o.map_mmhg,
            o.cardiac_output_lpm,
            o.circuit_flow_lpm,
        ]
    }))
}

/// The healthy patient of `weight_kg` without a circuit.
fn healthy(weight_kg: f64) -> Option<TwinConfig> {
    Some(TwinConfig {
        patient: scaled_patient(weight_kg).ok()?,
        circuit: circuit_for(Configuration::None),
        seed: 1,
    })
}

/// Body surface area, m² (Mosteller 1987).
fn bsa_m2(height_cm: f64, weight_kg: f64) -> f64 {
    (height_cm * weight_kg / 3600.0).sqrt()
}

/// The "patient sizes" cases.
pub fn size_cases() -> Vec<Case> {
    let run = |c: Option<TwinConfig>| c.and_then(|c| rest(&c, 180.0));
    let (n, c, a, va) = std::thread::scope(|s| {
        let n = s.spawn(|| run(healthy(3.5)));
        let c = s.spawn(|| run(healthy(20.0)));
        let a = s.spawn(|| run(healthy(75.0)));
        let va = s.spawn(|| run(preset("neonate")));
        (
            n.join().ok().flatten(),
            c.join().ok().flatten(),
            a.join().ok().flatten(),
            va.join().ok().flatten(),
        )
    });
    let nan = [f64::NAN; 4];
    let (n, c, a, va) = (
        n.unwrap_or(nan),
        c.unwrap_or(nan),
        a.unwrap_or(nan),
        va.unwrap_or(nan),
    );
    vec![
        case(
            "neonate 3.5 kg: cardiac output per kg",
            SRC_ALVERSON_1984,
            "mL/kg/min",
            Check::Within {
                lo: 189.0,
                hi: 283.0,
            },
            n[2] * 1000.0 / 3.5,
        ),
        case(
            "neonate 3.5 kg: mean arterial pressure",
            SRC_KENT,
            "mmHg",
            Check::Within { lo: 42.0, hi: 56.0 },
            n[1],
        ),
        case(
            "neonate 3.5 kg: heart rate (set from the norm)",
            SRC_FLEMING,
            "1/min",
            Check::Within {
                lo: 110.0,
                hi: 160.0,
            },
            n[0],
        )
        .calibration(),
        case(
            "child 20 kg: cardiac index",
            SRC_CI,
            "L/min/m2",
            Check::Within { lo: 2.7, hi: 4.2 },
            c[2] / bsa_m2(116.0, 20.0),
        ),
        case(
            "child 20 kg: mean arterial pressure",
            SRC_NHBPEP,
            "mmHg",
            Check::Within { lo: 64.0, hi: 72.0 },
            c[1],
        ),
        case(
            "child 20 kg: heart rate (set from the norm)",
            SRC_OSTCHEGA,
            "1/min",
            Check::Within { lo: 78.0, hi: 96.0 },
            c[0],
        )
        .calibration(),
        case(
            "adult 75 kg: cardiac output",
            SRC_ADULT,
            "L/min",
            Check::Within { lo: 5.0, hi: 6.0 },
            a[2],
        ),
        case(
            "adult 75 kg: mean arterial pressure",
            SRC_ADULT,
            "mmHg",
            Check::Within {
                lo: 70.0,
                hi: 100.0,
            },
            a[1],
        ),
        case(
            "adult 75 kg: heart rate (the preset's)",
            SRC_ADULT,
            "1/min",
            Check::Within {
                lo: 60.0,
                hi: 100.0,
            },
            a[0],
        )
        .calibration(),
        case(
            "neonate on cervical VA at the default speed: flow per kg",
            SRC_ELSO_FLOW,
            "mL/kg/min",
            Check::Within {
                lo: 100.0,
                hi: 150.0,
            },
            va[3] * 1000.0 / 3.5,
        )
        .calibration(),
    ]
}
