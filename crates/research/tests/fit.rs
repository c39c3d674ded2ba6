//! Fitting recovers known parameters from synthetic noisy measurements, and says which
//! parameters the data cannot determine.
#[macro_use]
mod common;

use physio::rng::Rng;
use research::fit::{self, Data, FitSpec, Problem};
use research::spec::{ResearchFile, Source};
use std::path::PathBuf;

/// Severe ARDS on VV support; the parameters to recover: shunt fraction and O2 consumption.
const FIT: &str = concat!(
    r#"
starts = 2
max_iterations = 80
seed = 5

"#,
    vv_ards_experiment!(1),
    r#"
[parameters.shunt_fraction]
min = 0.2
max = 0.9
[parameters.vo2_ml_kg_min]
min = 2.0
max = 6.0

[signals]
art_upper_so2 = 0.01
pre_oxy_so2 = 0.01
"#
);

fn spec(text: &str) -> FitSpec {
    FitSpec::from_source(&Source::text(
        text,
        Some("fit.toml".into()),
        PathBuf::from("."),
    ))
    .unwrap()
}

/// Measurements of a patient with `truth` every 10 s for `seconds`, with Gaussian noise of
/// the file's SDs; the pump speed changes at 300 s (the settings go into the data).
fn synthetic(spec: &FitSpec, truth: &[f64], seconds: f64, seed: u64) -> Data {
    let times: Vec<f64> = (1..=(seconds / 10.0) as usize)
        .map(|k| k as f64 * 10.0)
        .collect();
    let rpm: Vec<f64> = times
        .iter()
        .map(|&t| if t < 300.0 { f64::NAN } else { 3000.0 })
        .collect();
    let clean = Data {
        time_s: times.clone(),
        signals: spec
            .signals
            .iter()
            .map(|(n, _)| (n.clone(), vec![0.0; times.len()]))
            .collect(),
        inputs: vec![("pump_rpm", rpm.clone())],
    };
    let model = Problem::new(spec, &clean).unwrap().simulate(truth);
    let mut rng = Rng::new(seed);
    Data {
        time_s: times,
        signals: spec
            .signals
            .iter()
            .zip(model)
            .map(|((n, sd), m)| (n.clone(), m.iter().map(|x| x + sd * rng.normal()).collect()))
            .collect(),
        inputs: vec![("pump_rpm", rpm)],
    }
}

#[test]
fn recovers_known_parameters_from_noisy_data() {
    let s = spec(FIT);
    let truth = [0.6, 4.0];
    let data = synthetic(&s, &truth, 600.0, 1);
    let r = fit::fit(&s, &data, 2).unwrap();
    eprintln!("{}", r.report());
    // Stated tolerances: shunt fraction within 0.05, VO2 within 0.4 mL/kg/min (10 %).
    assert!(
        (r.estimates[0].value - truth[0]).abs() < 0.05,
        "{:?}",
        r.estimates[0]
    );
    assert!(
        (r.estimates[1].value - truth[1]).abs() < 0.4,
        "{:?}",
        r.estimates[1]
    );
    assert!(
        r.estimates.iter().all(|e| e.identifiable),
        "{:?}",
        r.estimates
    );
    assert_eq!(r.rank, 2);
    // The noise is what is left: RMS residuals near the measurement SD (0.01).
    for f in &r.signals {
        assert!(f.rms_residual < 0.02, "{f:?}");
    }
    // The 95 % intervals hold the truth.
    for (e, t) in r.estimates.iter().zip(truth) {
        assert!((e.value - t).abs() < 3.0 * e.se, "{e:?} vs {t}");
    }
}

#[test]
fn nelder_mead_and_levenberg_marquardt_agree() {
    // The derivative-free search reaches the optimum Levenberg-Marquardt finds (within a tenth
    // of a standard error) at many times the evaluations: the two methods check each other.
    let lm_spec = spec(FIT);
    let nm_spec = spec(&FIT.replace("seed = 5", "seed = 5\nmethod = \"nelder-mead\""));
    assert_eq!(nm_spec.method, fit::Method::NelderMead);
    assert_eq!(lm_spec.method, fit::Method::LevenbergMarquardt);
    let data = synthetic(&lm_spec, &[0.45, 3.2], 300.0, 3);
    let lm = fit::fit(&lm_spec, &data, 2).unwrap();
    let nm = fit::fit(&nm_spec, &data, 2).unwrap();
    eprintln!("{}\n{}", lm.report(), nm.report());
    for (a, b) in lm.estimates.iter().zip(&nm.estimates) {
        assert!((a.value - b.value).abs() < 0.1 * a.se, "{a:?} vs {b:?}");
    }
    assert!(lm.cost <= nm.cost + 0.01, "{} vs {}", lm.cost, nm.cost);
    assert!(
        3 * lm.evaluations < nm.evaluations,
        "{} vs {}",
        lm.evaluations,
        nm.evaluations
    );
}

#[test]
fn a_fit_is_the_same_on_any_number_of_threads() {
    // Three parameters on two threads: each trial point's Jacobian is computed alongside its
    // residuals (the fourth simulation rides free); on one thread it is not. The search must
    // visit the same points and end with the same numbers, to the bit.
    let text = FIT
        .replace(
            "[signals]",
            "[parameters.hb_g_dl]\nmin = 7.0\nmax = 14.0\n\n[signals]",
        )
        .replace("max_iterations = 80", "max_iterations = 24");
    let s = spec(&text);
    let data = synthetic(&s, &[0.55, 3.6, 10.0], 200.0, 4);
    let one = fit::fit(&s, &data, 1).unwrap();
    let two = fit::fit(&s, &data, 2).unwrap();
    eprintln!("{}\n{}", one.report(), two.report());
    assert_eq!(one.cost.to_bits(), two.cost.to_bits());
    for (a, b) in one.estimates.iter().zip(&two.estimates) {
        assert_eq!(a.value.to_bits(), b.value.to_bits(), "{a:?} vs {b:?}");
    }
    // The speculative Jacobians cost simulations, not time: more evaluations on two threads.
    assert!(
        two.evaluations >= one.evaluations,
        "{} vs {}",
        two.evaluations,
        one.evaluations
    );
}

#[test]
fn method_and_refine_are_checked() {
    let refused = |extra: &str| {
        let text = FIT.replace("seed = 5", &format!("seed = 5\n{extra}"));
        let src = Source::text(&text, Some("fit.toml".into()), PathBuf::from("."));
        FitSpec::from_source(&src).unwrap_err().to_string()
    };
    let e = refused("method = \"bfgs\"");
    assert!(
        e.contains("fit.toml:5: `method`: unknown method `bfgs`"),
        "{e}"
    );
    let e = refused("refine = 3");
    assert!(
        e.contains("`refine`: 3 is more than the 2 starting points"),
        "{e}"
    );
}

#[test]
fn flags_a_parameter_the_data_cannot_determine() {
    // Circuit flow alone says nothing about the respiratory quotient (it acts on CO2, and
    // flow is set by the pump and the vessels): rq must be reported non-identifiable, while
    // blood volume, which sets the drainage pressure and so the flow, is determined.
    let text = FIT
        .replace("[parameters.shunt_fraction]\nmin = 0.2\nmax = 0.9\n[parameters.vo2_ml_kg_min]\nmin = 2.0\nmax = 6.0",
                 "[parameters.rq]\nmin = 0.7\nmax = 1.0\n[parameters.blood_volume_ml]\nmin = 3500\nmax = 7000")
        .replace("art_upper_so2 = 0.01\npre_oxy_so2 = 0.01", "circuit_flow_lpm = 0.05\np_drainage_mmhg = 2.0");
    let s = spec(&text);
    let truth = [0.8, 5300.0];
    let data = synthetic(&s, &truth, 300.0, 2);
    let p = Problem::new(&s, &data).unwrap();
    let cost = p.cost(&truth);
    let (est, rank, eig, _) = fit::identifiability(&p, &truth, cost, 2);
    eprintln!("{est:?} rank {rank} eigenvalues {eig:?}");
    assert!(!est[0].identifiable, "rq from circuit flow: {:?}", est[0]);
    assert!(
        est[1].identifiable,
        "blood volume from flow and drainage pressure: {:?}",
        est[1]
    );
}
