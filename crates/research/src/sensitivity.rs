//! Global sensitivity analysis: Sobol first-order and total indices.
//!
//! Sampling after Saltelli (2002) and Saltelli et al. (2010, Comput. Phys. Commun. 181:259):
//! two independent `N × d` matrices A and B from one scrambled Sobol sequence of dimension 2d
//! (A its first d coordinates, B the next d), and for every parameter i the matrix AB_i, A
//! with column i taken from B: `N (d + 2)` model runs in all. Estimators, with V the variance
//! of all outputs of A and B:
//!
//! - first order `S_i = mean(f(B) (f(AB_i) − f(A))) / V` (Saltelli et al. 2010, table 2 (b));
//! - total `ST_i = mean((f(A) − f(AB_i))²) / (2 V)` (Jansen 1999, ibid. table 2 (f)).
//!
//! Confidence intervals by bootstrap over the N rows (percentile intervals), as in SALib.
//! The analytic indices of Ishigami & Homma's function check the whole chain in the tests
//! before it is used on the twin. Inputs must be independent (no correlations): Sobol indices
//! of correlated inputs mean something else.
use crate::cohort::count;
use crate::dist::Marginal;
use crate::pool;
use crate::progress::Progress;
use crate::sample::{self, Design};
use crate::spec::{self, Common, Ordered, OutputsFile, ParamFile, ResearchFile, Source};
use crate::summary::quantile;
use crate::table::{Column, Table};
use experiment::Error;
use input::de::Finite;
use input::num;
use input::toml::Spanned;
use physio::rng::Rng;
use serde::Deserialize;

/// The points to run, `N (d + 2)` rows of d values: A's N rows, then B's, then AB_0's, …
pub fn saltelli_points(marginals: &[Marginal], n: usize, seed: u64) -> Vec<Vec<f64>> {
    let d = marginals.len();
    let u = sample::unit_points(Design::Sobol, n, 2 * d, seed);
    let x = |i: usize, j: usize| marginals[j % d].at(u[i * 2 * d + j]);
    let mut out = Vec::with_capacity(n * (d + 2));
    for i in 0..n {
        out.push((0..d).map(|j| x(i, j)).collect());
    }
    for i in 0..n {
        out.push((0..d).map(|j| x(i, d + j)).collect());
    }
    for k in 0..d {
        for i in 0..n {
            out.push(
                (0..d)
                    .map(|j| if j == k { x(i, d + j) } else { x(i, j) })
                    .collect(),
            );
        }
    }
    out
}

/// Indices of one output to one parameter, with confidence intervals.
#[derive(Clone, Debug, PartialEq)]
pub struct Indices {
    pub output: String,
    pub parameter: String,
    pub first: f64,
    pub first_ci: (f64, f64),
    pub total: f64,
    pub total_ci: (f64, f64),
    /// Rows of the design used (rows with a failed run are left out).
    pub rows: usize,
}

/// First-order and total index of every parameter from outputs `y` of the
/// [`saltelli_points`] design (one value per point), using only `rows`.
fn estimate(y: &[f64], n: usize, d: usize, rows: &[usize]) -> (Vec<f64>, Vec<f64>) {
    let a = |j: usize| y[j];
    let b = |j: usize| y[n + j];
    let ab = |i: usize, j: usize| y[(2 + i) * n + j];
    let m = rows.len() as f64;
    let mean = rows.iter().map(|&j| a(j) + b(j)).sum::<f64>() / (2.0 * m);
    let var = rows
        .iter()
        .map(|&j| (a(j) - mean).powi(2) + (b(j) - mean).powi(2))
        .sum::<f64>()
        / (2.0 * m - 1.0);
    let mut s1 = vec![f64::NAN; d];
    let mut st = vec![f64::NAN; d];
    if var > 0.0 {
        for i in 0..d {
            s1[i] = rows.iter().map(|&j| b(j) * (ab(i, j) - a(j))).sum::<f64>() / m / var;
            st[i] = rows.iter().map(|&j| (a(j) - ab(i, j)).powi(2)).sum::<f64>() / (2.0 * m) / var;
        }
    }
    (s1, st)
}

/// Sobol indices of one output. `y` holds the output at each [`saltelli_points`] point (NaN
/// where the run failed); `bootstrap` resamples give `confidence` percentile intervals.
pub fn analyse(
    output: &str,
    names: &[&str],
    y: &[f64],
    n: usize,
    bootstrap: usize,
    confidence: f64,
    seed: u64,
) -> Vec<Indices> {
    let d = names.len();
    let rows: Vec<usize> = (0..n)
        .filter(|&j| (0..d + 2).all(|k| y[k * n + j].is_finite()))
        .collect();
    let (s1, st) = estimate(y, n, d, &rows);
    let mut boot_s1 = vec![Vec::with_capacity(bootstrap); d];
    let mut boot_st = vec![Vec::with_capacity(bootstrap); d];
    let mut rng = Rng::new(seed ^ 0xb007);
    if !rows.is_empty() {
        for _ in 0..bootstrap {
            let pick: Vec<usize> = (0..rows.len())
                .map(|_| rows[(rng.next_u64() % rows.len() as u64) as usize])
                .collect();
            let (a, b) = estimate(y, n, d, &pick);
            for i in 0..d {
                boot_s1[i].push(a[i]);
                boot_st[i].push(b[i]);
            }
        }
    }
    let alpha = (1.0 - confidence) / 2.0;
    let ci = |mut v: Vec<f64>| {
        v.retain(|x| x.is_finite());
        v.sort_by(f64::total_cmp);
        (quantile(&v, alpha), quantile(&v, 1.0 - alpha))
    };
    (0..d)
        .map(|i| Indices {
            output: output.to_string(),
            parameter: names[i].to_string(),
            first: s1[i],
            first_ci: ci(std::mem::take(&mut boot_s1[i])),
            total: st[i],
            total_ci: ci(std::mem::take(&mut boot_st[i])),
            rows: rows.len(),
        })
        .collect()
}

/// Ishigami & Homma's function (1990), the usual test of sensitivity methods:
/// `sin x1 + a sin² x2 + b x3⁴ sin x1` with x uniform on [−π, π].
pub fn ishigami(x: &[f64], a: f64, b: f64) -> f64 {
    x[0].sin() + a * x[1].sin().powi(2) + b * x[2].powi(4) * x[0].sin()
}

/// The analytic first-order and total indices of [`ishigami`] (Sobol' & Levitan 1999).
pub fn ishigami_indices(a: f64, b: f64) -> ([f64; 3], [f64; 3]) {
    let pi4 = std::f64::consts::PI.powi(4);
    let pi8 = pi4 * pi4;
    let v1 = 0.5 * (1.0 + b * pi4 / 5.0).powi(2);
    let v2 = a * a / 8.0;
    let v13 = b * b * pi8 * (1.0 / 18.0 - 1.0 / 50.0);
    let v = v1 + v2 + v13;
    ([v1 / v, v2 / v, 0.0], [(v1 + v13) / v, v2 / v, v13 / v])
}

/// A checked sensitivity file.
#[derive(Clone, Debug)]
pub struct SensitivitySpec {
    pub common: Common,
    /// N, the base sample size: N (d + 2) runs.
    pub samples: usize,
    pub seed: u64,
    pub bootstrap: usize,
    pub confidence: f64,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct SensitivityFile {
    name: Option<String>,
    experiment: Option<toml::Value>,
    samples: Option<Spanned<Finite>>,
    seed: Option<u64>,
    bootstrap: Option<Spanned<Finite>>,
    confidence: Option<Spanned<Finite>>,
    parameters: Option<Ordered<ParamFile>>,
    outputs: Option<OutputsFile>,
}

/// What a sensitivity run gives.
#[derive(Clone, Debug)]
pub struct SensitivityRun {
    /// Every run: its parameters and outputs (`point` numbers the design's rows).
    pub runs: Table,
    pub indices: Vec<Indices>,
    pub wall_s: f64,
    pub failed: usize,
}

impl ResearchFile for SensitivitySpec {
    fn from_source(src: &Source) -> Result<Self, Error> {
        let f: SensitivityFile = src.parse()?;
        let experiment = spec::experiment(src, f.experiment)?;
        let (parameters, _) = spec::parameters(src, f.parameters, false)?;
        if 2 * parameters.len() > sample::SOBOL_MAX_DIMENSIONS {
            return Err(src.error(
                "parameters",
                format!("at most {} parameters", sample::SOBOL_MAX_DIMENSIONS / 2),
            ));
        }
        let mut outputs = spec::outputs(
            src,
            f.outputs,
            &experiment.experiment,
            crate::cohort::DEFAULT_SIGNALS,
        )?;
        if outputs.windows.is_empty() {
            outputs.windows = vec!["final".into()];
        }
        let samples = count(
            src,
            f.samples,
            "samples",
            2,
            1 << 20,
            None,
            "N, the base sample size (N × (parameters + 2) runs; a power of two suits the Sobol design)",
        )? as usize;
        let bootstrap = count(
            src,
            f.bootstrap,
            "bootstrap",
            0,
            100_000,
            Some(500),
            "bootstrap resamples for the confidence intervals",
        )? as usize;
        let confidence = match f.confidence {
            None => 0.95,
            Some(c) => {
                let span = c.span();
                let x = c.into_inner().0;
                if !(0.5..1.0).contains(&x) {
                    return Err(src.at(
                        span,
                        "confidence",
                        format!("{} is out of range: allowed 0.5..<1", num(x)),
                    ));
                }
                x
            }
        };
        Ok(SensitivitySpec {
            common: Common {
                name: f.name,
                experiment,
                parameters,
                outputs,
            },
            samples,
            seed: f.seed.unwrap_or(0),
            bootstrap,
            confidence,
        })
    }
}

impl SensitivitySpec {
    /// Output names: `<signal>_<stat>`, prefixed with `<window>.` when several windows.
    pub fn output_names(&self) -> Vec<String> {
        let o = &self.common.outputs;
        let windows = o.window_names(&self.common.experiment.experiment);
        let mut out = Vec::new();
        for w in &windows {
            for c in o.columns() {
                out.push(if windows.len() == 1 {
                    c
                } else {
                    format!("{w}.{c}")
                });
            }
        }
        out
    }

    /// Run the design on `threads` threads and estimate the indices.
    pub fn run(&self, threads: usize, progress: &dyn Progress) -> Result<SensitivityRun, Error> {
        let t0 = std::time::Instant::now();
        let params = &self.common.parameters;
        let marginals: Vec<Marginal> = params.iter().map(|p| p.marginal).collect();
        let points = saltelli_points(&marginals, self.samples, self.seed);
        let exp = &self.common.experiment.experiment;
        let o = &self.common.outputs;
        let windows = o.window_names(exp);
        let names = self.output_names();
        progress.start(points.len() as u64, 0);
        let tasks: Vec<usize> = (0..points.len()).collect();
        let results: Vec<Result<Vec<f64>, String>> = pool::map(&tasks, threads, |k| {
            let e = spec::with_values(exp, params, &points[k]);
            let r = e.run_only(&o.signals).map(|s| {
                windows
                    .iter()
                    .flat_map(|w| o.values(&s, w))
                    .collect::<Vec<f64>>()
            });
            progress.inc(1);
            r.map_err(|e| e.to_string())
        });
        progress.finish();
        let failed = results.iter().filter(|r| r.is_err()).count();
        let mut runs = Table::default();
        runs.push("point", Column::U32((0..points.len() as u32).collect()));
        runs.push(
            "error",
            Column::Text(results.iter().map(|r| r.as_ref().err().cloned()).collect()),
        );
        for (j, p) in params.iter().enumerate() {
            runs.push(p.name, Column::F64(points.iter().map(|x| x[j]).collect()));
        }
        let pnames: Vec<&str> = params.iter().map(|p| p.name).collect();
        let mut indices = Vec::new();
        for (k, name) in names.iter().enumerate() {
            let y: Vec<f64> = results
                .iter()
                .map(|r| r.as_ref().map_or(f64::NAN, |v| v[k]))
                .collect();
            indices.extend(analyse(
                name,
                &pnames,
                &y,
                self.samples,
                self.bootstrap,
                self.confidence,
                self.seed,
            ));
            runs.push(name.clone(), Column::F64(y));
        }
        Ok(SensitivityRun {
            runs,
            indices,
            wall_s: t0.elapsed().as_secs_f64(),
            failed,
        })
    }
}

/// The indices as a table (one row per output and parameter).
pub fn indices_table(indices: &[Indices]) -> Table {
    let mut t = Table::default();
    let text =
        |f: &dyn Fn(&Indices) -> String| Column::Text(indices.iter().map(|i| Some(f(i))).collect());
    let num = |f: &dyn Fn(&Indices) -> f64| Column::F64(indices.iter().map(f).collect());
    t.push("output", text(&|i| i.output.clone()));
    t.push("parameter", text(&|i| i.parameter.clone()));
    t.push("first", num(&|i| i.first));
    t.push("first_lo", num(&|i| i.first_ci.0));
    t.push("first_hi", num(&|i| i.first_ci.1));
    t.push("total", num(&|i| i.total));
    t.push("total_lo", num(&|i| i.total_ci.0));
    t.push("total_hi", num(&|i| i.total_ci.1));
    t
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::dist::Dist;

    #[test]
    fn ishigami_indices_are_recovered() {
        let (a, b) = (7.0, 0.1);
        let pi = std::f64::consts::PI;
        let m = Marginal::new(Dist::Uniform { min: -pi, max: pi }, -pi, pi).unwrap();
        let n = 4096;
        let pts = saltelli_points(&[m, m, m], n, 11);
        let y: Vec<f64> = pts.iter().map(|x| ishigami(x, a, b)).collect();
        let idx = analyse("y", &["x1", "x2", "x3"], &y, n, 200, 0.95, 1);
        let (s1, st) = ishigami_indices(a, b);
        // Analytic values: S = (0.3139, 0.4424, 0), ST = (0.5576, 0.4424, 0.2437).
        assert!((s1[0] - 0.3139).abs() < 1e-3 && (st[2] - 0.2437).abs() < 1e-3);
        for i in 0..3 {
            let r = &idx[i];
            for (index, got, truth) in [("S", r.first, s1[i]), ("ST", r.total, st[i])] {
                let k = i + 1;
                assert!((got - truth).abs() < 0.03, "{index}{k} = {got} vs {truth}");
            }
            // The intervals are honest: they hold the truth and are not absurdly wide.
            assert!(
                r.first_ci.0 - 0.01 <= s1[i] && s1[i] <= r.first_ci.1 + 0.01,
                "{r:?}"
            );
            assert!(
                r.total_ci.0 - 0.01 <= st[i] && st[i] <= r.total_ci.1 + 0.01,
                "{r:?}"
            );
            assert!(r.first_ci.1 - r.first_ci.0 < 0.2);
        }
    }

    #[test]
    fn an_additive_model_has_equal_first_and_total() {
        let m = Marginal::new(Dist::Uniform { min: 0.0, max: 1.0 }, 0.0, 1.0).unwrap();
        let n = 1024;
        let pts = saltelli_points(&[m, m], n, 3);
        // y = x1 + 2 x2: variances 1/12 and 4/12, so S = (0.2, 0.8), no interactions.
        let y: Vec<f64> = pts.iter().map(|x| x[0] + 2.0 * x[1]).collect();
        let idx = analyse("y", &["a", "b"], &y, n, 0, 0.95, 1);
        assert!((idx[0].first - 0.2).abs() < 0.02 && (idx[1].first - 0.8).abs() < 0.02);
        assert!((idx[0].total - 0.2).abs() < 0.02 && (idx[1].total - 0.8).abs() < 0.02);
    }
}
