//! Fitting the twin to a patient: estimate patient parameters (and settings) from measurements
//! over time.
//!
//! The data are rows of time and measured signals (any of the twin's signal names), with the
//! console's settings where they changed (`pump_rpm`, `sweep_lpm`, `fdo2`, …, applied from
//! their row on). A run of the twin with parameters θ steps from 0 to each row's time and
//! compares its true signals with the measurements: the residuals are `(model − measured) /
//! sd`, with the measurement standard deviation the file gives per signal, and the cost is
//! their sum of squares (the negative log-likelihood of Gaussian measurement noise, up to a
//! constant).
//!
//! The search runs in a bounded transform `θ = lo + (hi − lo)(1 + sin z)/2` (as MINUIT bounds
//! its parameters). Every evaluation simulates the whole data span, so what a fit costs is the
//! number of evaluations and how many of them run at once:
//!
//! - **Levenberg–Marquardt** (the default, `method = "lm"`; the `levenberg-marquardt` crate, a
//!   port of MINPACK's lmder): the cost is a sum of squared residuals, so a Gauss–Newton step
//!   from the Jacobian converges in a handful of iterations where a simplex needs hundreds of
//!   evaluations. The Jacobian is forward differences whose columns (one simulation each) run
//!   on every core at once. Multi-start: the `starts` points (the file's `start` values, then a
//!   Latin hypercube over the bounds) are first evaluated in parallel, and the best `refine`
//!   of them are refined.
//! - **Nelder–Mead** (`method = "nelder-mead"`, argmin): derivative-free, for costs that are not
//!   smooth in the parameters; every start runs to its end, the starts on every core, the best
//!   end point wins.
//!
//! Identifiability at the optimum: the Jacobian J of the residuals with respect to the
//! parameters scaled to their bounds (forward differences) gives the Fisher information JᵀJ.
//! Its eigenvalues say how many parameter combinations the data determine (numerical rank);
//! its inverse, scaled by the residual variance, the standard errors. A parameter is reported
//! non-identifiable when it loads on a direction the data do not determine (an eigenvalue
//! below 1e-8 of the largest), or when its 95 % interval covers more than half of its bounds:
//! the data then cannot tell its value from much of the range it may take.
use crate::cohort::count;
use crate::dist::Dist;
use crate::pool;
use crate::sample::{self, Design};
use crate::spec::{self, Ordered, ParamFile, Parameter, ResearchFile, Source};
use argmin::core::{CostFunction, Executor, State};
use argmin::solver::neldermead::NelderMead;
use experiment::params::{setting_field, setting_names};
use experiment::signals::{self, Signal};
use experiment::{Error, Experiment};
use input::de::Finite;
use input::num;
use input::toml::Spanned;
use levenberg_marquardt::{LeastSquaresProblem, LevenbergMarquardt};
use nalgebra::{DMatrix, DVector, Dyn, Owned};
use physio::Twin;
use serde::Deserialize;
use std::path::{Path, PathBuf};
use std::sync::Mutex;
use std::sync::atomic::{AtomicUsize, Ordering};

/// How a console recording's 1 Hz numerics (engine::model::Numerics, stored as JSON) map onto
/// the twin's names: (numerics field, signal or setting, scale). Percentages become fractions.
/// The measured pump speed stands for the commanded one (the motor follows within a second).
pub const RECORDING: &[(&str, &str, f64)] = &[
    ("speed_rpm", "pump_rpm", 1.0),
    ("sweep_lpm", "sweep_lpm", 1.0),
    ("fdo2_pct", "fdo2", 0.01),
    ("flow_lpm", "circuit_flow_lpm", 1.0),
    ("p_drain_mmhg", "p_drainage_mmhg", 1.0),
    ("p_pre_mmhg", "p_pre_oxy_mmhg", 1.0),
    ("p_post_mmhg", "p_post_oxy_mmhg", 1.0),
    ("delta_p_mmhg", "delta_p_oxy_mmhg", 1.0),
    ("svo2_pct", "pre_oxy_so2", 0.01),
    ("sao2_upper_pct", "art_upper_so2", 0.01),
    ("sao2_lower_pct", "art_lower_so2", 0.01),
    ("sat_post_pct", "post_oxy_so2", 0.01),
    ("po2_post_mmhg", "post_oxy_po2_mmhg", 1.0),
    ("pco2_post_mmhg", "post_oxy_pco2_mmhg", 1.0),
    ("hb_g_dl", "hb_g_dl", 1.0),
    ("temp_c", "circuit_temp_c", 1.0),
    ("hr_bpm", "heart_rate_bpm", 1.0),
    ("map_mmhg", "map_mmhg", 1.0),
];

/// Measurements over time.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Data {
    /// Strictly increasing, s from the start of the run.
    pub time_s: Vec<f64>,
    /// Measured signals (NaN where missing).
    pub signals: Vec<(String, Vec<f64>)>,
    /// Settings in force from each row on (NaN: unchanged).
    pub inputs: Vec<(&'static str, Vec<f64>)>,
}

impl Data {
    /// Check the shape and times; `label` names the source in errors.
    pub fn check(&self) -> Result<(), String> {
        let n = self.time_s.len();
        if n == 0 {
            return Err("holds no rows".into());
        }
        for (name, col) in self
            .signals
            .iter()
            .map(|(n, c)| (n.as_str(), c))
            .chain(self.inputs.iter().map(|(n, c)| (*n, c)))
        {
            if col.len() != n {
                return Err(format!(
                    "column `{name}` has {} values for {n} times",
                    col.len()
                ));
            }
        }
        let mut last = -1.0;
        for (i, &t) in self.time_s.iter().enumerate() {
            if !t.is_finite() || t < 0.0 || t <= last {
                return Err(format!(
                    "row {}: time {} is not after the previous row's (times must increase from 0)",
                    i + 1,
                    num(t)
                ));
            }
            last = t;
        }
        if last > experiment::format::MAX_DURATION_S {
            return Err(format!(
                "the data run past {} s",
                num(experiment::format::MAX_DURATION_S)
            ));
        }
        Ok(())
    }

    /// Build from named columns (`time_s` plus signals and settings), as the Python package and
    /// the recording reader hand them over.
    pub fn from_columns(columns: Vec<(String, Vec<f64>)>) -> Result<Data, String> {
        let mut d = Data::default();
        for (name, col) in columns {
            if name == "time_s" {
                d.time_s = col;
            } else if let Some(f) = setting_field(&name) {
                d.inputs.push((f.name, col));
            } else if signals::find(&name).is_some() {
                d.signals.push((name, col));
            } else {
                return Err(format!(
                    "unknown column `{name}`: expected time_s, a signal name (docs/experiments.md) or a setting ({})",
                    setting_names()
                ));
            }
        }
        if d.time_s.is_empty() {
            return Err("no `time_s` column".into());
        }
        d.check()?;
        Ok(d)
    }

    /// Read a CSV file: a header of column names, then numbers (an empty cell is missing).
    pub fn read_csv(path: &Path) -> Result<Data, Error> {
        let text = input::read::read_to_string(path, input::read::MEASUREMENTS)?;
        Data::parse_csv(&text).map_err(|e| e.in_file(path.display()))
    }

    pub fn parse_csv(text: &str) -> Result<Data, Error> {
        let mut lines = text
            .lines()
            .enumerate()
            .filter(|(_, l)| !l.trim().is_empty());
        let (_, header) = lines.next().ok_or_else(|| {
            Error::new(
                "",
                "is empty; expected a header line such as time_s,art_upper_so2",
            )
        })?;
        let names: Vec<String> = header.split(',').map(|s| s.trim().to_string()).collect();
        let mut cols: Vec<Vec<f64>> = vec![Vec::new(); names.len()];
        for (i, line) in lines {
            let cells: Vec<&str> = line.split(',').collect();
            if cells.len() != names.len() {
                return Err(Error::new(
                    "",
                    format!("{} cells where the header has {}", cells.len(), names.len()),
                )
                .at_line(Some(i + 1)));
            }
            for ((c, cell), name) in cols.iter_mut().zip(cells).zip(&names) {
                let cell = cell.trim();
                let v = if cell.is_empty() {
                    f64::NAN
                } else {
                    cell.parse::<f64>()
                        .ok()
                        .filter(|x| x.is_finite())
                        .ok_or_else(|| {
                            Error::new(name.clone(), format!("`{cell}` is not a number"))
                                .at_line(Some(i + 1))
                        })?
                };
                c.push(v);
            }
        }
        Data::from_columns(names.into_iter().zip(cols).collect()).map_err(|m| Error::new("", m))
    }
}

/// A checked fit file.
#[derive(Clone, Debug)]
pub struct FitSpec {
    pub name: Option<String>,
    pub experiment: Experiment,
    pub parameters: Vec<Parameter>,
    /// The file's start values (None: from the design only).
    pub start: Vec<Option<f64>>,
    /// Measured signals used and their measurement standard deviations.
    pub signals: Vec<(String, f64)>,
    /// `data = "file.csv"`, resolved against the file's folder.
    pub data: Option<PathBuf>,
    /// `recording = "ecmo.db"` and `run`: read by the `ecmo` binary (the console's store).
    pub recording: Option<(PathBuf, i64)>,
    pub starts: usize,
    pub max_iterations: u64,
    pub seed: u64,
    pub method: Method,
    /// Levenberg–Marquardt: how many of the best starting points are refined.
    pub refine: usize,
}

/// The search method of a fit.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Method {
    /// Levenberg–Marquardt with a parallel forward-difference Jacobian (the default).
    LevenbergMarquardt,
    /// Nelder–Mead simplex, derivative-free.
    NelderMead,
}

names!(Method: LevenbergMarquardt = "lm", NelderMead = "nelder-mead");

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct FitFile {
    name: Option<String>,
    experiment: Option<toml::Value>,
    data: Option<String>,
    recording: Option<String>,
    run: Option<i64>,
    starts: Option<Spanned<Finite>>,
    max_iterations: Option<Spanned<Finite>>,
    seed: Option<u64>,
    method: Option<Spanned<String>>,
    refine: Option<Spanned<Finite>>,
    parameters: Option<Ordered<ParamFile>>,
    signals: Option<Ordered<Finite>>,
}

impl ResearchFile for FitSpec {
    fn from_source(src: &Source) -> Result<Self, Error> {
        let f: FitFile = src.parse()?;
        let experiment = spec::experiment(src, f.experiment)?.experiment;
        let (parameters, start) = spec::parameters(src, f.parameters, true)?;
        let Some(sig) = f.signals else {
            return Err(src.error(
                "signals",
                "missing; the measured signals to fit and their measurement SDs, e.g. `[signals] art_upper_so2 = 0.02`",
            ));
        };
        let mut signals = Vec::new();
        for (name, sd) in sig.0 {
            let path = format!("signals.{name}");
            if signals::find(&name).is_none() {
                return Err(src.at_path(&path, "unknown signal; see docs/experiments.md"));
            }
            if sd.0 <= 0.0 {
                return Err(src.at_path(
                    &path,
                    format!("{} is not a measurement SD: must be above 0", num(sd.0)),
                ));
            }
            signals.push((name, sd.0));
        }
        if signals.is_empty() {
            return Err(src.at_path("signals", "is empty; name at least one measured signal"));
        }
        let data = f.data.map(|d| src.dir.join(d));
        let recording = match (f.recording, f.run) {
            (Some(r), run) => Some((src.dir.join(r), run.unwrap_or(1))),
            (None, Some(_)) => {
                return Err(src.error("run", "a run number needs `recording = \"file.db\"`"));
            }
            (None, None) => None,
        };
        if data.is_some() && recording.is_some() {
            return Err(src.error("recording", "give either `data` or `recording`, not both"));
        }
        let starts = count(
            src,
            f.starts,
            "starts",
            1,
            64,
            Some(4),
            "the number of starting points",
        )? as usize;
        let max_iterations = count(
            src,
            f.max_iterations,
            "max_iterations",
            1,
            100_000,
            Some(200),
            "the most iterations per refined start",
        )?;
        let method = match f.method {
            None => Method::LevenbergMarquardt,
            Some(m) => {
                let span = m.span();
                let m = m.into_inner();
                Method::NAMES
                    .iter()
                    .find(|(n, _)| *n == m)
                    .map(|(_, m)| *m)
                    .ok_or_else(|| {
                        let names: Vec<String> = Method::NAMES
                            .iter()
                            .map(|(n, _)| format!("`{n}`"))
                            .collect();
                        src.at(
                            span,
                            "method",
                            format!("unknown method `{m}`; expected one of {}", names.join(", ")),
                        )
                    })?
            }
        };
        let refine = count(
            src,
            f.refine,
            "refine",
            1,
            64,
            Some(1),
            "the number of best starting points refined by Levenberg-Marquardt",
        )? as usize;
        if refine > starts {
            return Err(src.error(
                "refine",
                format!("{refine} is more than the {starts} starting points (`starts`)"),
            ));
        }
        Ok(FitSpec {
            name: f.name,
            experiment,
            parameters,
            start,
            signals,
            data,
            recording,
            starts,
            max_iterations,
            seed: f.seed.unwrap_or(0),
            method,
            refine,
        })
    }
}

/// The model side of a fit: the experiment, the parameters, the data.
pub struct Problem<'a> {
    pub spec: &'a FitSpec,
    pub data: &'a Data,
    /// (signal, its measurement SD, its column in the data).
    used: Vec<(&'static Signal, f64, usize)>,
    pub evaluations: AtomicUsize,
}

/// A penalty residual for a parameter set the twin refuses (so the search turns away).
const REFUSED: f64 = 1e3;

impl<'a> Problem<'a> {
    pub fn new(spec: &'a FitSpec, data: &'a Data) -> Result<Problem<'a>, Error> {
        let mut used = Vec::new();
        for (name, sd) in &spec.signals {
            let sig = signals::find(name)
                .ok_or_else(|| Error::new("signals", format!("unknown signal `{name}`")))?;
            let col = data
                .signals
                .iter()
                .position(|(n, _)| n == name)
                .ok_or_else(|| {
                    Error::new(format!("signals.{name}"), "is not among the data's columns")
                })?;
            used.push((sig, *sd, col));
        }
        Ok(Problem {
            spec,
            data,
            used,
            evaluations: AtomicUsize::new(0),
        })
    }

    /// Number of residuals (measured values present).
    pub fn residual_count(&self) -> usize {
        self.used
            .iter()
            .map(|(_, _, c)| {
                self.data.signals[*c]
                    .1
                    .iter()
                    .filter(|v| v.is_finite())
                    .count()
            })
            .sum()
    }

    /// The model's values of the used signals at every data time (NaN where the twin refused
    /// the parameters), signal-major.
    pub fn simulate(&self, theta: &[f64]) -> Vec<Vec<f64>> {
        self.evaluations.fetch_add(1, Ordering::Relaxed);
        let n = self.data.time_s.len();
        let mut out = vec![vec![f64::NAN; n]; self.used.len()];
        let exp = spec::with_values(&self.spec.experiment, &self.spec.parameters, theta);
        let Ok((cfg, mut act)) = exp.twin_config() else {
            return out;
        };
        let Ok(mut twin) = Twin::new(&cfg) else {
            return out;
        };
        let mut step: u64 = 0;
        for (k, &t) in self.data.time_s.iter().enumerate() {
            let target = (t / Twin::DT_S).round() as u64;
            while step < target {
                twin.step(&act);
                step += 1;
            }
            let o = twin.observe();
            for (row, (sig, _, _)) in out.iter_mut().zip(&self.used) {
                row[k] = (sig.get)(&o);
            }
            for (name, col) in &self.data.inputs {
                if col[k].is_finite()
                    && let Some(f) = setting_field(name)
                {
                    (f.set)(&mut act, col[k].clamp(f.min, f.max));
                }
            }
        }
        out
    }

    /// Scaled residuals `(model − measured) / sd` of every measured value present.
    pub fn residuals(&self, theta: &[f64]) -> Vec<f64> {
        self.residuals_of(&self.simulate(theta))
    }

    /// The scaled residuals of a simulated `model` ([`Problem::simulate`]).
    pub fn residuals_of(&self, model: &[Vec<f64>]) -> Vec<f64> {
        let mut r = Vec::new();
        for (m, (_, sd, c)) in model.iter().zip(&self.used) {
            for (x, y) in m.iter().zip(&self.data.signals[*c].1) {
                if y.is_finite() {
                    r.push(if x.is_finite() { (x - y) / sd } else { REFUSED });
                }
            }
        }
        r
    }

    pub fn cost(&self, theta: &[f64]) -> f64 {
        self.residuals(theta).iter().map(|r| r * r).sum()
    }

    fn bounds(&self) -> Vec<(f64, f64)> {
        self.spec
            .parameters
            .iter()
            .map(|p| (p.marginal.lo, p.marginal.hi))
            .collect()
    }

    fn params_of_z(&self, z: &[f64]) -> Vec<f64> {
        self.bounds()
            .iter()
            .zip(z)
            .map(|((lo, hi), z)| lo + (hi - lo) * (1.0 + z.sin()) / 2.0)
            .collect()
    }

    fn to_z(&self, theta: &[f64]) -> Vec<f64> {
        self.bounds()
            .iter()
            .zip(theta)
            .map(|((lo, hi), t)| (2.0 * (t - lo) / (hi - lo) - 1.0).clamp(-1.0, 1.0).asin())
            .collect()
    }
}

struct ZCost<'p, 'a>(&'p Problem<'a>);

impl CostFunction for ZCost<'_, '_> {
    type Param = Vec<f64>;
    type Output = f64;
    fn cost(&self, z: &Vec<f64>) -> Result<f64, argmin::core::Error> {
        Ok(self.0.cost(&self.0.params_of_z(z)))
    }
}

/// One parameter's estimate.
#[derive(Clone, Debug, PartialEq)]
pub struct Estimate {
    pub name: String,
    pub unit: String,
    pub value: f64,
    /// Standard error from the Fisher information (NaN where it is singular).
    pub se: f64,
    pub lo: f64,
    pub hi: f64,
    pub identifiable: bool,
}

/// Per-signal residual summary, in the signal's unit.
#[derive(Clone, Debug, PartialEq)]
pub struct SignalFit {
    pub name: String,
    pub sd: f64,
    pub count: usize,
    pub mean_residual: f64,
    pub rms_residual: f64,
}

/// What a fit gives.
#[derive(Clone, Debug)]
pub struct FitResult {
    pub estimates: Vec<Estimate>,
    pub cost: f64,
    pub residuals: usize,
    /// Numerical rank of the Fisher information, and its eigenvalues (largest first).
    pub rank: usize,
    pub eigenvalues: Vec<f64>,
    pub signals: Vec<SignalFit>,
    /// The search method.
    pub method: Method,
    /// Each refined start's end cost (Nelder–Mead: every start).
    pub start_costs: Vec<f64>,
    pub evaluations: usize,
    pub wall_s: f64,
    /// Model and measured values at the data times, per used signal.
    pub model: Vec<(String, Vec<f64>)>,
}

/// `v`'s values, each written by `f`, separated by commas.
fn listed(v: &[f64], f: impl Fn(f64) -> String) -> String {
    v.iter().map(|&x| f(x)).collect::<Vec<_>>().join(", ")
}

/// Eigenvalues and eigenvectors (columns) of a symmetric matrix, by cyclic Jacobi rotations.
pub fn symmetric_eigen(a: &[f64], n: usize) -> (Vec<f64>, Vec<f64>) {
    let mut a = a.to_vec();
    let mut v = vec![0.0; n * n];
    for i in 0..n {
        v[i * n + i] = 1.0;
    }
    for _ in 0..100 {
        let off: f64 = (0..n)
            .flat_map(|i| (0..n).filter(move |&j| j != i).map(move |j| (i, j)))
            .map(|(i, j)| a[i * n + j].powi(2))
            .sum();
        if off < 1e-30 {
            break;
        }
        for p in 0..n {
            for q in p + 1..n {
                let apq = a[p * n + q];
                if apq.abs() < 1e-300 {
                    continue;
                }
                let theta = (a[q * n + q] - a[p * n + p]) / (2.0 * apq);
                let sign = if theta >= 0.0 { 1.0 } else { -1.0 };
                let t = sign / (theta.abs() + (theta * theta + 1.0).sqrt());
                let c = 1.0 / (t * t + 1.0).sqrt();
                let s = t * c;
                for k in 0..n {
                    let (akp, akq) = (a[k * n + p], a[k * n + q]);
                    a[k * n + p] = c * akp - s * akq;
                    a[k * n + q] = s * akp + c * akq;
                }
                for k in 0..n {
                    let (apk, aqk) = (a[p * n + k], a[q * n + k]);
                    a[p * n + k] = c * apk - s * aqk;
                    a[q * n + k] = s * apk + c * aqk;
                }
                for k in 0..n {
                    let (vkp, vkq) = (v[k * n + p], v[k * n + q]);
                    v[k * n + p] = c * vkp - s * vkq;
                    v[k * n + q] = s * vkp + c * vkq;
                }
            }
        }
    }
    ((0..n).map(|i| a[i * n + i]).collect(), v)
}

/// What [`identifiability`] gives: estimates, the Fisher information's rank and eigenvalues
/// (largest first), and the model's values at `theta` ([`Problem::simulate`]).
pub type Identified = (Vec<Estimate>, usize, Vec<f64>, Vec<Vec<f64>>);

/// Identifiability at `theta`: estimates with standard errors and flags, rank, eigenvalues;
/// the p + 1 simulations (the point and one step along each parameter) on `threads` threads.
pub fn identifiability(problem: &Problem, theta: &[f64], cost: f64, threads: usize) -> Identified {
    let p = theta.len();
    let bounds = problem.bounds();
    // Task p simulates the point itself; task j < p steps parameter j by a thousandth of its
    // bounds (inward from a bound).
    let step = |j: usize| {
        let (lo, hi) = bounds[j];
        let h = 1e-3 * (hi - lo);
        if theta[j] + h > hi { -h } else { h }
    };
    let tasks: Vec<usize> = (0..=p).collect();
    let mut runs = pool::map(&tasks, threads, |j| {
        let mut t = theta.to_vec();
        if j < p {
            t[j] += step(j);
        }
        problem.simulate(&t)
    });
    let model = runs.pop().unwrap_or_default();
    let r0 = problem.residuals_of(&model);
    let m = r0.len();
    // Columns of J with respect to parameters scaled to their bounds (u = θ / (hi − lo)).
    let cols: Vec<Vec<f64>> = runs
        .iter()
        .enumerate()
        .map(|(j, run)| {
            let (lo, hi) = bounds[j];
            let h = step(j) / (hi - lo);
            problem
                .residuals_of(run)
                .iter()
                .zip(&r0)
                .map(|(a, b)| (a - b) / h)
                .collect()
        })
        .collect();
    let mut fim = vec![0.0; p * p];
    for a in 0..p {
        for b in 0..p {
            fim[a * p + b] = (0..m).map(|k| cols[a][k] * cols[b][k]).sum();
        }
    }
    let (vals, vecs) = symmetric_eigen(&fim, p);
    let mut order: Vec<usize> = (0..p).collect();
    order.sort_by(|&a, &b| vals[b].total_cmp(&vals[a]));
    let max = vals.iter().cloned().fold(0.0, f64::max);
    let tiny = |l: f64| l <= max * 1e-8 || l <= 0.0;
    let rank = vals.iter().filter(|&&l| !tiny(l)).count();
    // Residual variance: 1 if the SDs are right; estimated from the fit otherwise.
    let s2 = if m > p {
        (cost / (m - p) as f64).max(1e-12)
    } else {
        1.0
    };
    let estimates = problem
        .spec
        .parameters
        .iter()
        .enumerate()
        .map(|(j, par)| {
            let (lo, hi) = bounds[j];
            // Var(u_j) = s² Σ_k v_jk² / λ_k over the determined directions.
            let mut var_u = 0.0;
            let mut unresolved = false;
            for k in 0..p {
                let load = vecs[j * p + k];
                if tiny(vals[k]) {
                    if load.abs() > 0.1 {
                        unresolved = true;
                    }
                } else {
                    var_u += load * load / vals[k];
                }
            }
            let se = if unresolved {
                f64::NAN
            } else {
                (s2 * var_u).sqrt() * (hi - lo)
            };
            let identifiable = !unresolved && 2.0 * 1.96 * se <= 0.5 * (hi - lo);
            Estimate {
                name: par.name.to_string(),
                unit: par.unit.to_string(),
                value: theta[j],
                se,
                lo,
                hi,
                identifiable,
            }
        })
        .collect();
    (
        estimates,
        rank,
        order.iter().map(|&i| vals[i]).collect(),
        model,
    )
}

/// The starting points of a fit: the file's start values first (where given, the rest
/// mid-range), then a Latin hypercube over the bounds.
fn starting_points(spec: &FitSpec) -> Vec<Vec<f64>> {
    let d = spec.parameters.len();
    let u = sample::unit_points(Design::LatinHypercube, spec.starts, d, spec.seed);
    let mut starts: Vec<Vec<f64>> = (0..spec.starts)
        .map(|i| {
            (0..d)
                .map(|j| spec.parameters[j].marginal.at(u[i * d + j]))
                .collect()
        })
        .collect();
    if spec.start.iter().any(Option::is_some) {
        starts[0] = spec
            .parameters
            .iter()
            .zip(&spec.start)
            .map(|(p, s)| {
                s.unwrap_or_else(|| match p.marginal.dist {
                    Dist::Uniform { min, max } => (min + max) / 2.0,
                    _ => p.marginal.at(0.5),
                })
            })
            .collect();
    }
    starts
}

/// Nelder–Mead from every start, the starts on `threads` threads: each start's end point and
/// cost.
fn nelder_mead(
    problem: &Problem,
    starts: &[Vec<f64>],
    threads: usize,
) -> Result<Vec<(Vec<f64>, f64)>, String> {
    let d = problem.spec.parameters.len();
    let tasks: Vec<usize> = (0..starts.len()).collect();
    pool::map(&tasks, threads, |i| -> Result<(Vec<f64>, f64), String> {
        let z0 = problem.to_z(&starts[i]);
        // The initial simplex: the start and one step of 0.4 rad (about a fifth of each
        // range around mid-range) along each axis.
        let mut simplex = vec![z0.clone()];
        for j in 0..d {
            let mut z = z0.clone();
            z[j] += if z[j] > 1.0 { -0.4 } else { 0.4 };
            simplex.push(z);
        }
        // Stop when the simplex's costs agree within 0.001: the cost is a chi-square, and a
        // change of 1 is what separates values at one standard error.
        let solver = NelderMead::new(simplex)
            .with_sd_tolerance(1e-3)
            .map_err(|e| e.to_string())?;
        let res = Executor::new(ZCost(problem), solver)
            .configure(|s| s.max_iters(problem.spec.max_iterations))
            .run()
            .map_err(|e| e.to_string())?;
        let z = res
            .state()
            .get_best_param()
            .cloned()
            .ok_or("no point evaluated")?;
        Ok((problem.params_of_z(&z), res.state().get_best_cost()))
    })
    .into_iter()
    .collect()
}

/// Forward-difference step of the Levenberg–Marquardt Jacobian in the transformed coordinate
/// z, rad: a change of θ of at most 5e-4 of its bounds, well above the twin's rounding and
/// small against the curvature of the cost over one standard error.
const LM_STEP_Z: f64 = 1e-3;

/// Levenberg–Marquardt: the starts' costs evaluated in parallel, then the best `refine` of
/// them refined one after another (each Jacobian's columns in parallel). Returns the refined
/// points and their costs, best start first.
fn levenberg_marquardt(
    problem: &Problem,
    starts: &[Vec<f64>],
    threads: usize,
) -> Result<Vec<(Vec<f64>, f64)>, String> {
    let tasks: Vec<usize> = (0..starts.len()).collect();
    let costs = pool::map(&tasks, threads, |i| problem.cost(&starts[i]));
    let mut order = tasks;
    order.sort_by(|&a, &b| costs[a].total_cmp(&costs[b]));
    let p = problem.spec.parameters.len();
    // MINPACK counts residual evaluations (not Jacobians): at most patience × (p + 1).
    let patience = (problem.spec.max_iterations as usize)
        .div_ceil(p + 1)
        .max(1);
    let solver = LevenbergMarquardt::new()
        .with_ftol(1e-4)
        .with_xtol(1e-4)
        .with_gtol(1e-6)
        .with_patience(patience);
    let mut ends = Vec::new();
    for &i in order.iter().take(problem.spec.refine) {
        let z0 = problem.to_z(&starts[i]);
        let lsq = Lsq {
            problem,
            z: DVector::from_vec(z0),
            threads,
            last: Mutex::new(None),
        };
        let (lsq, report) = solver.minimize(lsq);
        if !report.termination.was_successful() && !report.objective_function.is_finite() {
            return Err(format!("{:?}", report.termination));
        }
        let z: Vec<f64> = lsq.z.iter().copied().collect();
        let cost = lsq.evaluate(&z, false).0.iter().map(|r| r * r).sum();
        ends.push((problem.params_of_z(&z), cost));
    }
    Ok(ends)
}

/// The fit as a least-squares problem in z for the `levenberg-marquardt` crate.
struct Lsq<'p, 'a> {
    problem: &'p Problem<'a>,
    z: DVector<f64>,
    threads: usize,
    /// The last point evaluated, its residuals and (when computed alongside) the Jacobian's
    /// columns there: the solver asks for the residuals of a point and then, if it keeps the
    /// point, for the Jacobian there, which reuses them.
    last: Mutex<Option<Evaluated>>,
}

/// A point z, its residuals, and the Jacobian's columns there if they were computed.
type Evaluated = (Vec<f64>, Vec<f64>, Option<Columns>);
/// The Jacobian's columns, one per parameter.
type Columns = Vec<Vec<f64>>;

impl Lsq<'_, '_> {
    /// Whether a trial point's Jacobian is computed alongside its residuals: when the p + 1
    /// simulations take no more rounds on the threads than the p of the Jacobian alone, the
    /// residuals ride free and an accepted step (the common case) needs no second round.
    fn speculate(&self) -> bool {
        let p = self.z.len();
        self.threads > 1 && (p + 1).div_ceil(self.threads) == p.div_ceil(self.threads)
    }

    fn cached(&self, z: &[f64]) -> Option<(Vec<f64>, Option<Columns>)> {
        let last = self.last.lock().ok()?;
        let (lz, r, cols) = last.as_ref()?;
        (lz.as_slice() == z).then(|| (r.clone(), cols.clone()))
    }

    /// Residuals at z, and the Jacobian's columns if `with_jacobian` (or already known).
    fn evaluate(&self, z: &[f64], with_jacobian: bool) -> (Vec<f64>, Option<Columns>) {
        let known = match self.cached(z) {
            Some((r, cols)) if cols.is_some() || !with_jacobian => return (r, cols),
            Some((r, None)) => Some(r),
            _ => None,
        };
        let p = z.len();
        // Task p is the point itself (unless known), task j < p the step along z_j: towards
        // z = 0, away from the crest of sin z where θ turns back.
        let step = |j: usize| if z[j] > 0.0 { -LM_STEP_Z } else { LM_STEP_Z };
        let tasks: Vec<usize> = match (with_jacobian, known.is_some()) {
            (false, _) => vec![p],
            (true, true) => (0..p).collect(),
            (true, false) => (0..=p).collect(),
        };
        let mut runs = pool::map(&tasks, self.threads, |j| {
            let mut zz = z.to_vec();
            if j < p {
                zz[j] += step(j);
            }
            self.problem.residuals(&self.problem.params_of_z(&zz))
        });
        let r0 = match known {
            Some(r) => r,
            None => runs.pop().unwrap_or_default(),
        };
        let cols = with_jacobian.then(|| {
            runs.iter()
                .enumerate()
                .map(|(j, r)| r.iter().zip(&r0).map(|(a, b)| (a - b) / step(j)).collect())
                .collect::<Vec<Vec<f64>>>()
        });
        if let Ok(mut last) = self.last.lock() {
            *last = Some((z.to_vec(), r0.clone(), cols.clone()));
        }
        (r0, cols)
    }

    fn residuals_at(&self, z: &[f64]) -> Vec<f64> {
        self.evaluate(z, self.speculate()).0
    }
}

impl LeastSquaresProblem<f64, Dyn, Dyn> for Lsq<'_, '_> {
    type ResidualStorage = Owned<f64, Dyn>;
    type JacobianStorage = Owned<f64, Dyn, Dyn>;
    type ParameterStorage = Owned<f64, Dyn>;

    fn set_params(&mut self, z: &DVector<f64>) {
        self.z.copy_from(z);
    }

    fn params(&self) -> DVector<f64> {
        self.z.clone()
    }

    fn residuals(&self) -> Option<DVector<f64>> {
        Some(DVector::from_vec(self.residuals_at(self.z.as_slice())))
    }

    fn jacobian(&self) -> Option<DMatrix<f64>> {
        let z: Vec<f64> = self.z.iter().copied().collect();
        let (r0, cols) = self.evaluate(&z, true);
        let cols = cols?;
        let (m, p) = (r0.len(), z.len());
        Some(DMatrix::from_fn(m, p, |k, j| cols[j][k]))
    }
}

/// Fit `spec` to `data` on `threads` threads.
pub fn fit(spec: &FitSpec, data: &Data, threads: usize) -> Result<FitResult, Error> {
    let t0 = std::time::Instant::now();
    data.check().map_err(|m| Error::new("data", m))?;
    let problem = Problem::new(spec, data)?;
    let starts = starting_points(spec);
    let ends = match spec.method {
        Method::NelderMead => nelder_mead(&problem, &starts, threads),
        Method::LevenbergMarquardt => levenberg_marquardt(&problem, &starts, threads),
    }
    .map_err(|m| Error::new("", format!("the optimiser failed: {m}")))?;
    let mut best: Option<(Vec<f64>, f64)> = None;
    let mut start_costs = Vec::new();
    for (theta, cost) in ends {
        start_costs.push(cost);
        if best.as_ref().is_none_or(|(_, c)| cost < *c) {
            best = Some((theta, cost));
        }
    }
    let (theta, cost) = best.ok_or_else(|| Error::new("starts", "no start ran"))?;
    let (estimates, rank, eigenvalues, model) = identifiability(&problem, &theta, cost, threads);
    let signals = problem
        .used
        .iter()
        .zip(&model)
        .map(|((sig, sd, c), m)| {
            let res: Vec<f64> = m
                .iter()
                .zip(&data.signals[*c].1)
                .filter(|(_, y)| y.is_finite())
                .map(|(x, y)| x - y)
                .collect();
            let n = res.len().max(1) as f64;
            SignalFit {
                name: sig.name.to_string(),
                sd: *sd,
                count: res.len(),
                mean_residual: res.iter().sum::<f64>() / n,
                rms_residual: (res.iter().map(|r| r * r).sum::<f64>() / n).sqrt(),
            }
        })
        .collect();
    Ok(FitResult {
        estimates,
        cost,
        residuals: problem.residual_count(),
        rank,
        eigenvalues,
        signals,
        method: spec.method,
        start_costs,
        evaluations: problem.evaluations.load(Ordering::Relaxed),
        wall_s: t0.elapsed().as_secs_f64(),
        model: problem
            .used
            .iter()
            .map(|(s, _, _)| s.name.to_string())
            .zip(model)
            .collect(),
    })
}

impl FitResult {
    /// A plain-text report: estimates with 95 % intervals and flags, residuals, rank.
    pub fn report(&self) -> String {
        let mut s = String::new();
        s.push_str(&format!(
            "fit: cost {:.4} over {} residuals ({}, {} evaluations, {:.1} s; starts ended at {})\n",
            self.cost,
            self.residuals,
            self.method.name(),
            self.evaluations,
            self.wall_s,
            listed(&self.start_costs, |c| format!("{c:.3}"))
        ));
        s.push_str(&format!(
            "Fisher information: rank {} of {}; eigenvalues {}\n\n",
            self.rank,
            self.estimates.len(),
            listed(&self.eigenvalues, |l| format!("{l:.3e}"))
        ));
        s.push_str(&format!(
            "{:<28} {:>12} {:>12} {:>24}  {}\n",
            "parameter", "estimate", "SE", "95% interval", "identifiable"
        ));
        for e in &self.estimates {
            let ci = if e.se.is_finite() {
                format!("{:.4}..{:.4}", e.value - 1.96 * e.se, e.value + 1.96 * e.se)
            } else {
                "-".into()
            };
            s.push_str(&format!(
                "{:<28} {:>12.4} {:>12.4} {:>24}  {}\n",
                format!("{} ({})", e.name, e.unit),
                e.value,
                e.se,
                ci,
                if e.identifiable {
                    "yes"
                } else {
                    "NO: the data do not determine it"
                }
            ));
        }
        s.push_str(&format!(
            "\n{:<28} {:>8} {:>10} {:>14} {:>14}\n",
            "signal", "n", "SD", "mean residual", "RMS residual"
        ));
        for f in &self.signals {
            s.push_str(&format!(
                "{:<28} {:>8} {:>10.4} {:>14.4} {:>14.4}\n",
                f.name, f.count, f.sd, f.mean_residual, f.rms_residual
            ));
        }
        s
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn jacobi_finds_eigenvalues() {
        let a = [4.0, 1.0, 0.0, 1.0, 3.0, 0.0, 0.0, 0.0, 1e-12];
        let (mut l, _) = symmetric_eigen(&a, 3);
        l.sort_by(f64::total_cmp);
        let s5 = 5f64.sqrt();
        assert!((l[2] - (3.5 + s5 / 2.0)).abs() < 1e-10);
        assert!((l[1] - (3.5 - s5 / 2.0)).abs() < 1e-10);
        assert!(l[0].abs() < 1e-11);
    }

    #[test]
    fn csv_errors_name_line_and_column() {
        let e = Data::parse_csv("time_s,art_upper_so2\n0,0.9\n1,x\n").unwrap_err();
        assert_eq!(e.line, Some(3));
        assert_eq!(e.path, "art_upper_so2");
        let e = Data::parse_csv("time_s,nonsense\n0,1\n").unwrap_err();
        assert!(e.message.contains("unknown column `nonsense`"), "{e}");
        let e = Data::parse_csv("time_s,map_mmhg\n1,70\n1,71\n").unwrap_err();
        assert!(e.message.contains("row 2"), "{e}");
        let d = Data::parse_csv("time_s,map_mmhg,pump_rpm\n0,70,3000\n10,,3200\n").unwrap();
        assert!(d.signals[0].1[1].is_nan());
        assert_eq!(d.inputs[0].0, "pump_rpm");
    }
}
