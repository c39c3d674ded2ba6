//! Virtual cohorts: one experiment applied to every patient of a sampled population.
//!
//! The population is drawn once, up front, from the file's distributions (Latin hypercube,
//! Sobol or plain random points on the unit cube, mapped through each parameter's quantile
//! function, then re-paired for correlations by Iman–Conover), so every patient's parameters
//! depend only on the file and never on threads, blocks or machines. Patients run in blocks
//! (`block` patients each); each finished block is written as its own Parquet part file and
//! recorded in `manifest.json`, so an interrupted run resumes without recomputing finished
//! blocks. At the end the parts are gathered into `cohort.parquet`: one row per patient and
//! window, with the sampled parameters and the chosen outcomes.
use crate::pool;
use crate::progress::Progress;
use crate::sample::{self, Design};
use crate::spec::{self, Common, Ordered, OutputsFile, ParamFile, Parameter, ResearchFile, Source};
use crate::table::{Column, Table};
use experiment::Error;
use input::de::Finite;
use input::num;
use input::toml::Spanned;
use serde::Deserialize;
use std::path::{Path, PathBuf};
use std::sync::Mutex;

/// The most patients one cohort file may ask for.
pub const MAX_PATIENTS: u64 = 1_000_000;
/// Patients per block (part file) when the file gives none.
pub const DEFAULT_BLOCK: u64 = 25;
/// Outcomes when the file names none.
pub const DEFAULT_SIGNALS: &[&str] = &[
    "art_upper_so2",
    "circuit_flow_lpm",
    "map_mmhg",
    "recirculation_fraction",
];

/// A checked cohort file.
#[derive(Clone, Debug)]
pub struct CohortSpec {
    pub common: Common,
    pub patients: usize,
    pub design: Design,
    pub seed: u64,
    pub block: usize,
    /// The target correlation matrix of the parameters (`d × d`), identity when none given.
    pub correlation: Vec<f64>,
    pub has_correlations: bool,
    /// Fingerprint of the cohort and experiment texts; a resumed run must match it.
    pub fingerprint: String,
    /// The cohort file's text.
    pub source_text: String,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct CohortFile {
    name: Option<String>,
    experiment: Option<toml::Value>,
    patients: Option<Spanned<Finite>>,
    sampling: Option<Spanned<String>>,
    seed: Option<u64>,
    block: Option<Spanned<Finite>>,
    parameters: Option<Ordered<ParamFile>>,
    #[serde(default)]
    correlations: Vec<Spanned<CorrelationFile>>,
    outputs: Option<OutputsFile>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct CorrelationFile {
    between: Vec<String>,
    r: Finite,
}

/// A whole number within `lo..=hi`, with the error at its line.
pub(crate) fn count(
    src: &Source,
    v: Option<Spanned<Finite>>,
    path: &str,
    lo: u64,
    hi: u64,
    default: Option<u64>,
    what: &str,
) -> Result<u64, Error> {
    match v {
        None => {
            default.ok_or_else(|| src.error(path, format!("missing; {what}, allowed {lo}..={hi}")))
        }
        Some(x) => {
            let span = x.span();
            let n = x.into_inner().0;
            if n.fract() != 0.0 || n < lo as f64 || n > hi as f64 {
                Err(src.at(
                    span,
                    path,
                    format!(
                        "{} is not allowed: {what}, a whole number {lo}..={hi}",
                        num(n)
                    ),
                ))
            } else {
                Ok(n as u64)
            }
        }
    }
}

impl ResearchFile for CohortSpec {
    fn from_source(src: &Source) -> Result<Self, Error> {
        let f: CohortFile = src.parse()?;
        let experiment = spec::experiment(src, f.experiment)?;
        let (parameters, _) = spec::parameters(src, f.parameters, false)?;
        let outputs = spec::outputs(src, f.outputs, &experiment.experiment, DEFAULT_SIGNALS)?;
        let patients = count(
            src,
            f.patients,
            "patients",
            1,
            MAX_PATIENTS,
            None,
            "the number of virtual patients",
        )? as usize;
        let block = count(
            src,
            f.block,
            "block",
            1,
            10_000,
            Some(DEFAULT_BLOCK),
            "patients per part file",
        )? as usize;
        let design = match f.sampling {
            None => Design::LatinHypercube,
            Some(s) => {
                let span = s.span();
                input::de::lookup(Design::NAMES.iter().copied(), "sampling", s.get_ref())
                    .map_err(|m| src.at(span, "sampling", m))?
            }
        };
        if design == Design::Sobol && parameters.len() > sample::SOBOL_MAX_DIMENSIONS {
            return Err(src.error(
                "sampling",
                format!(
                    "a Sobol design has at most {} parameters",
                    sample::SOBOL_MAX_DIMENSIONS
                ),
            ));
        }
        let d = parameters.len();
        let mut correlation = vec![0.0; d * d];
        for i in 0..d {
            correlation[i * d + i] = 1.0;
        }
        let has_correlations = !f.correlations.is_empty();
        for (k, c) in f.correlations.into_iter().enumerate() {
            let span = c.span();
            let c = c.into_inner();
            let path = format!("correlations[{k}]");
            let [a, b] = &c.between[..] else {
                return Err(src.at(
                    span,
                    format!("{path}.between"),
                    "expected two parameter names, [\"a\", \"b\"]",
                ));
            };
            let find = |n: &str| {
                parameters.iter().position(|p| p.name == n).ok_or_else(|| {
                    src.at(
                        span.clone(),
                        format!("{path}.between"),
                        format!("`{n}` is not one of the file's [parameters]"),
                    )
                })
            };
            let (i, j) = (find(a)?, find(b)?);
            if i == j {
                return Err(src.at(span, format!("{path}.between"), "names one parameter twice"));
            }
            let r = c.r.0;
            if !(-1.0 < r && r < 1.0) {
                return Err(src.at(
                    span,
                    format!("{path}.r"),
                    format!("{} is out of range: allowed >-1..<1", num(r)),
                ));
            }
            correlation[i * d + j] = r;
            correlation[j * d + i] = r;
        }
        if has_correlations && sample::cholesky(&correlation, d).is_none() {
            return Err(src.error(
                "correlations",
                "do not form a positive-definite matrix: some of them contradict each other",
            ));
        }
        let seed = f.seed.unwrap_or(0);
        let fingerprint = spec::fingerprint(&[&src.text, &experiment.text]);
        Ok(CohortSpec {
            common: Common {
                name: f.name,
                experiment,
                parameters,
                outputs,
            },
            patients,
            design,
            seed,
            block,
            correlation,
            has_correlations,
            fingerprint,
            source_text: src.text.clone(),
        })
    }
}

impl CohortSpec {
    /// The cohort as one self-contained TOML text, its experiment inlined as an
    /// `[experiment]` table: what a worker on another machine needs (Ray).
    pub fn portable(&self) -> Result<String, Error> {
        let bad = |e: &dyn std::fmt::Display| {
            Error::new("", format!("cannot inline the experiment: {e}"))
        };
        let mut t: toml::Table = self.source_text.parse().map_err(|e| bad(&e))?;
        let exp: toml::Table = self.common.experiment.text.parse().map_err(|e| bad(&e))?;
        t.insert("experiment".into(), toml::Value::Table(exp));
        toml::to_string(&t).map_err(|e| bad(&e))
    }

    pub fn parameters(&self) -> &[Parameter] {
        &self.common.parameters
    }

    /// Every patient's parameters, `patients × parameters`, row-major, in the twin's units.
    pub fn samples(&self) -> Result<Vec<f64>, String> {
        let (n, d) = (self.patients, self.parameters().len());
        let u = sample::unit_points(self.design, n, d, self.seed);
        let mut x: Vec<f64> = u
            .iter()
            .enumerate()
            .map(|(k, &u)| self.parameters()[k % d].marginal.at(u))
            .collect();
        if self.has_correlations {
            sample::iman_conover(&mut x, n, d, &self.correlation, self.seed)?;
        }
        Ok(x)
    }

    /// Number of blocks (part files).
    pub fn blocks(&self) -> usize {
        self.patients.div_ceil(self.block)
    }

    /// The seed of patient `i`'s run (sensor noise and anything else the twin draws): the
    /// experiment's seed plus the patient's number.
    pub fn patient_seed(&self, i: usize) -> u64 {
        self.common
            .experiment
            .experiment
            .seed
            .wrapping_add(i as u64)
    }

    /// Column names of the result table.
    pub fn columns(&self) -> Vec<String> {
        let mut c = vec!["patient".to_string(), "window".into(), "error".into()];
        c.extend(self.parameters().iter().map(|p| p.name.to_string()));
        c.extend(self.common.outputs.columns());
        c
    }

    /// Run block `b` with the samples of [`CohortSpec::samples`]; `done` is told after each
    /// patient. One row per patient and window; a patient the twin refuses (a blood volume
    /// outside 35-120 mL/kg, say) gets rows with its error and NaN outcomes.
    pub fn run_block(&self, samples: &[f64], b: usize, done: &dyn Fn()) -> Table {
        let d = self.parameters().len();
        let exp = &self.common.experiment.experiment;
        let outs = &self.common.outputs;
        let windows = outs.window_names(exp);
        let n_out = outs.columns().len();
        let (mut patient, mut window, mut error) = (Vec::new(), Vec::new(), Vec::new());
        let mut params: Vec<Vec<f64>> = vec![Vec::new(); d];
        let mut values: Vec<Vec<f64>> = vec![Vec::new(); n_out];
        let lo = b * self.block;
        let hi = (lo + self.block).min(self.patients);
        for i in lo..hi {
            let x = &samples[i * d..(i + 1) * d];
            let mut e = spec::with_values(exp, self.parameters(), x);
            e.seed = self.patient_seed(i);
            let run = e.run_only(&outs.signals);
            for w in &windows {
                patient.push(i as u32);
                window.push(Some(w.clone()));
                for (col, &v) in params.iter_mut().zip(x) {
                    col.push(v);
                }
                match &run {
                    Ok(s) => {
                        error.push(None);
                        for (col, v) in values.iter_mut().zip(outs.values(s, w)) {
                            col.push(v);
                        }
                    }
                    Err(err) => {
                        error.push(Some(err.to_string()));
                        for col in &mut values {
                            col.push(f64::NAN);
                        }
                    }
                }
            }
            done();
        }
        let mut t = Table::default();
        t.push("patient", Column::U32(patient));
        t.push("window", Column::Text(window));
        t.push("error", Column::Text(error));
        for (p, col) in self.parameters().iter().zip(params) {
            t.push(p.name, Column::F64(col));
        }
        for (name, col) in outs.columns().into_iter().zip(values) {
            t.push(name, Column::F64(col));
        }
        t
    }

    /// Run every patient in this process on `threads` threads and return the table, with no
    /// files (the Python package's in-memory run).
    pub fn run_in_memory(&self, threads: usize, progress: &dyn Progress) -> Result<Table, Error> {
        let samples = self.samples().map_err(|m| Error::new("correlations", m))?;
        progress.start(self.patients as u64, 0);
        let blocks: Vec<usize> = (0..self.blocks()).collect();
        let parts = pool::map(&blocks, threads, |b| {
            self.run_block(&samples, b, &|| progress.inc(1))
        });
        progress.finish();
        let mut t = Table::default();
        for p in &parts {
            t.append(p).map_err(|m| Error::new("", m))?;
        }
        Ok(t)
    }
}

/// What [`run`] did.
#[derive(Clone, Debug)]
pub struct CohortRun {
    pub table: Table,
    /// Blocks found finished from an earlier run and not recomputed.
    pub resumed_blocks: usize,
    pub computed_blocks: usize,
    pub result: PathBuf,
    pub wall_s: f64,
}

/// `manifest.json`: which blocks are finished, and of which cohort.
#[derive(serde::Serialize, serde::Deserialize, Debug, PartialEq)]
struct Manifest {
    format: u32,
    fingerprint: String,
    patients: usize,
    block: usize,
    done: Vec<usize>,
}

fn part_path(dir: &Path, b: usize) -> PathBuf {
    dir.join(format!("part-{b:05}.parquet"))
}

fn write_manifest(dir: &Path, m: &Manifest) -> Result<(), Error> {
    let io = |e: std::io::Error| Error::new("", format!("{}: {e}", dir.display()));
    let tmp = dir.join("manifest.json.tmp");
    let text = serde_json::to_string_pretty(m).map_err(|e| Error::new("", e.to_string()))?;
    std::fs::write(&tmp, text).map_err(io)?;
    std::fs::rename(&tmp, dir.join("manifest.json")).map_err(io)
}

/// Run a cohort into `dir` (created if needed), resuming from the blocks a previous run of
/// the same file finished there. Writes `part-NNNNN.parquet`, `manifest.json` and, once all
/// blocks are done, `cohort.parquet`.
pub fn run(
    spec: &CohortSpec,
    dir: &Path,
    threads: usize,
    progress: &dyn Progress,
) -> Result<CohortRun, Error> {
    let t0 = std::time::Instant::now();
    let io = |e: &dyn std::fmt::Display| Error::new("", format!("{}: {e}", dir.display()));
    std::fs::create_dir_all(dir).map_err(|e| io(&e))?;
    let mpath = dir.join("manifest.json");
    let mut manifest = Manifest {
        format: 1,
        fingerprint: spec.fingerprint.clone(),
        patients: spec.patients,
        block: spec.block,
        done: Vec::new(),
    };
    if mpath.exists() {
        let text = input::read::read_to_string(&mpath, input::read::RESEARCH)?;
        let old: Manifest = serde_json::from_str(&text).map_err(|e| {
            Error::new(
                "",
                format!("{}: not a cohort manifest: {e}", mpath.display()),
            )
        })?;
        if old.fingerprint != manifest.fingerprint {
            return Err(Error::new(
                "",
                format!(
                    "{} holds the results of a different cohort (the cohort or experiment file changed since); choose another output folder or delete this one",
                    dir.display()
                ),
            ));
        }
        manifest.done = old
            .done
            .into_iter()
            .filter(|&b| b < spec.blocks() && part_path(dir, b).exists())
            .collect();
    }
    let samples = spec.samples().map_err(|m| Error::new("correlations", m))?;
    let todo: Vec<usize> = (0..spec.blocks())
        .filter(|b| !manifest.done.contains(b))
        .collect();
    let resumed = spec.blocks() - todo.len();
    let done_patients: usize = manifest
        .done
        .iter()
        .map(|&b| (spec.patients - b * spec.block).min(spec.block))
        .sum();
    progress.start(spec.patients as u64, done_patients as u64);
    let manifest = Mutex::new(manifest);
    let results = pool::map(&todo, threads, |b| -> Result<(), Error> {
        let t = spec.run_block(&samples, b, &|| progress.inc(1));
        t.write_parquet(&part_path(dir, b))
            .map_err(|m| Error::new("", m))?;
        let mut m = manifest
            .lock()
            .map_err(|_| Error::new("", "a worker failed"))?;
        m.done.push(b);
        m.done.sort_unstable();
        write_manifest(dir, &m)
    });
    progress.finish();
    for r in results {
        r?;
    }
    let mut table = Table::default();
    for b in 0..spec.blocks() {
        let part = Table::read_parquet(&part_path(dir, b)).map_err(|m| Error::new("", m))?;
        table.append(&part).map_err(|m| Error::new("", m))?;
    }
    let result = dir.join("cohort.parquet");
    table
        .write_parquet(&result)
        .map_err(|m| Error::new("", m))?;
    Ok(CohortRun {
        table,
        resumed_blocks: resumed,
        computed_blocks: todo.len(),
        result,
        wall_s: t0.elapsed().as_secs_f64(),
    })
}
