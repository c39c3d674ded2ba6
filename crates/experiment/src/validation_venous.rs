//! Validation of recirculation in VV support against an ultrasound-dilution cohort: how much of
//! the drained blood is returned blood, how that rises with circuit flow and falls as the
//! cannula tips move apart.
//!
//! One figure is calibration: the return jet's exchange constant
//! (`physio::placement::JET_EXCHANGE`) was set so that the typical femoro-jugular placement at
//! 3 L/min gives the cohort's median. The two slopes are the model's own.
use crate::validation::{Basis, Case, Check};
use physio::presets::{circuit_for, default_actuation, preset};
use physio::{Configuration, Twin, TwinConfig};

const SRC_COHORT: &str = "VV recirculation cohort, femoro-jugular vs jugulo-femoral (Regensburg \
     and ECMO Centre Karolinska; 37 + 18 patients, 826 ultrasound-dilution measurements): \
     femoro-jugular Rf median 5 % (IQR 0-11) at 3.0 L/min; Rf +4.2 (2.5-5.9) points per L/min, \
     -0.4 (-0.7 to -0.1) points per cm of tip distance";

/// Mean traced recirculation (%) and circuit flow (L/min) over the last two minutes of four.
fn recirculation(config: &TwinConfig, rpm: f64) -> (f64, f64) {
    let Ok(mut twin) = Twin::new(config) else {
        return (f64::NAN, f64::NAN);
    };
    let mut act = default_actuation(config);
    act.pump_rpm = rpm;
    let n = (240.0 / Twin::DT_S) as usize;
    let (mut r, mut q, mut k) = (0.0, 0.0, 0.0f64);
    for i in 0..n {
        twin.step(&act);
        if i > n / 2 && i % 50 == 0 {
            let o = twin.observe();
            r += o.recirculation_traced;
            q += o.circuit_flow_lpm;
            k += 1.0;
        }
    }
    (100.0 * r / k, q / k)
}

/// The pump speed for `flow` L/min (bisection on 60 s runs).
fn rpm_for(config: &TwinConfig, flow: f64) -> f64 {
    let (mut lo, mut hi) = (800.0, 5000.0);
    for _ in 0..11 {
        let mid = 0.5 * (lo + hi);
        let Ok(mut twin) = Twin::new(config) else {
            return f64::NAN;
        };
        let mut act = default_actuation(config);
        act.pump_rpm = mid;
        for _ in 0..(60.0 / Twin::DT_S) as usize {
            twin.step(&act);
        }
        if twin.observe().circuit_flow_lpm < flow {
            lo = mid;
        } else {
            hi = mid;
        }
    }
    0.5 * (lo + hi)
}

/// An adult with severe ARDS on femoro-jugular VV, the jugular return `return_depth_cm` deep.
fn femoro_jugular(return_depth_cm: f64) -> Option<TwinConfig> {
    let mut c = preset("ards-severe")?;
    c.circuit = circuit_for(Configuration::VvFemoroJugular);
    c.circuit.placement.return_depth_cm = return_depth_cm;
    Some(c)
}

const SRC_DLC: &str = "Abrams 2015 ASAIO J 61:115 (review): bicaval dual-lumen cannula with the \
     return jet at the tricuspid valve recirculates little (a few %); malrotated, much more";

/// A dual-lumen cannula at `angle` degrees from the tricuspid valve, `ards-severe`, 4 L/min.
fn dual_lumen(angle: f64) -> (f64, f64) {
    let Some(mut c) = preset("ards-severe") else {
        return (f64::NAN, f64::NAN);
    };
    c.circuit = circuit_for(Configuration::VvDualLumen);
    c.circuit.placement.return_jet_angle_deg = angle;
    recirculation(&c, rpm_for(&c, 4.0))
}

/// The dual-lumen cannula: low recirculation with the jet aimed at the valve, much more when
/// the cannula is turned so the jet points down the IVC.
pub fn dual_lumen_cases() -> Vec<Case> {
    let (aligned, turned) = std::thread::scope(|s| {
        let a = s.spawn(|| dual_lumen(0.0));
        let b = s.spawn(|| dual_lumen(180.0));
        (
            a.join().unwrap_or((f64::NAN, f64::NAN)),
            b.join().unwrap_or((f64::NAN, f64::NAN)),
        )
    });
    vec![
        Case::independent(
            format!(
                "dual-lumen VV {:.1} L/min, jet at the tricuspid valve: traced recirculation",
                aligned.1
            ),
            SRC_DLC,
            "%",
            Check::AtMost { bound: 10.0 },
            aligned.0,
        ),
        Case::independent(
            "dual-lumen VV 4 L/min, jet turned from the valve to the IVC: recirculation",
            SRC_DLC,
            "%",
            Check::Rises {
                before: aligned.0,
                by: 10.0,
            },
            turned.0,
        ),
    ]
}

pub fn recirculation_cases() -> Vec<Case> {
    let Some(typical) = femoro_jugular(13.0) else {
        return Vec::new();
    };
    // Tips 18 cm apart (typical) and 26 cm apart (the return pulled back 8 cm).
    let Some(apart) = femoro_jugular(5.0) else {
        return Vec::new();
    };
    let (at25, at30, at35, far) = std::thread::scope(|s| {
        fn run(c: &TwinConfig, q: f64) -> (f64, f64) {
            recirculation(c, rpm_for(c, q))
        }
        let a = s.spawn(|| run(&typical, 2.5));
        let b = s.spawn(|| run(&typical, 3.0));
        let c = s.spawn(|| run(&typical, 3.5));
        let d = s.spawn(|| run(&apart, 3.0));
        let j = |h: std::thread::ScopedJoinHandle<'_, (f64, f64)>| {
            h.join().unwrap_or((f64::NAN, f64::NAN))
        };
        (j(a), j(b), j(c), j(d))
    });
    let flow_slope = (at35.0 - at25.0) / (at35.1 - at25.1);
    let distance_slope = (far.0 - at30.0) / 8.0;
    vec![
        Case {
            basis: Basis::Calibration,
            name: format!(
                "femoro-jugular VV {:.1} L/min, tips 18 cm apart: traced recirculation",
                at30.1
            ),
            source: SRC_COHORT,
            unit: "%",
            check: Check::Near {
                expected: 5.0,
                tolerance: 3.0,
            },
            simulated: at30.0,
        },
        Case::independent(
            format!(
                "femoro-jugular VV {:.1} -> {:.1} L/min: recirculation per L/min",
                at25.1, at35.1
            ),
            SRC_COHORT,
            "%/(L/min)",
            Check::Within { lo: 2.5, hi: 5.9 },
            flow_slope,
        ),
        Case::independent(
            "femoro-jugular VV 3 L/min, tips 18 -> 26 cm apart: recirculation per cm",
            SRC_COHORT,
            "%/cm",
            Check::Within { lo: -0.7, hi: -0.1 },
            distance_slope,
        ),
    ]
}
