//! What cohort, sensitivity and fit files share: the experiment every virtual patient runs, the
//! parameters that vary (with their distributions or bounds), correlations between them, and
//! the outcomes to report. Read through the `input` crate, so every error names the file, the
//! line and the field (`parameters.shunt_fraction.sd`), as `ecmo sim` does for experiments.
use crate::dist::{Dist, Marginal};
use experiment::params::{PATIENT_FIELDS, SETTING_FIELDS};
use experiment::run::Summary;
use experiment::{Error, Experiment};
use input::de::Finite;
use input::num;
use input::toml::Spanned;
use serde::Deserialize;
use serde::de::{Deserializer, MapAccess, Visitor};
use std::fmt;
use std::path::{Path, PathBuf};

/// Where a varied parameter goes: a patient parameter or an initial setting.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Target {
    Patient,
    Setting,
}

/// A parameter that varies between virtual patients.
#[derive(Clone, Debug, PartialEq)]
pub struct Parameter {
    pub name: &'static str,
    pub unit: &'static str,
    pub target: Target,
    /// Its distribution, truncated to the range the twin accepts (and to `min`/`max`).
    pub marginal: Marginal,
}

/// A window statistic of a signal.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Stat {
    Mean,
    Min,
    Max,
}

names!(Stat: Mean = "mean", Min = "min", Max = "max");

/// The outcomes reported per patient and window: `<signal>_<stat>`.
#[derive(Clone, Debug, PartialEq)]
pub struct Outputs {
    pub signals: Vec<String>,
    pub stats: Vec<Stat>,
    /// Window names (the experiment's, plus `final`); all when empty.
    pub windows: Vec<String>,
}

impl Outputs {
    /// Column names of the outcomes, signal-major.
    pub fn columns(&self) -> Vec<String> {
        let mut out = Vec::new();
        for s in &self.signals {
            for st in &self.stats {
                out.push(format!("{s}_{}", st.name()));
            }
        }
        out
    }

    /// The windows reported for `exp`, in the run's order (final first).
    pub fn window_names(&self, exp: &Experiment) -> Vec<String> {
        let all: Vec<String> = exp.all_windows().into_iter().map(|w| w.name).collect();
        if self.windows.is_empty() {
            all
        } else {
            all.into_iter()
                .filter(|w| self.windows.contains(w))
                .collect()
        }
    }

    /// The outcome values of one window of a run, in [`Outputs::columns`] order.
    pub fn values(&self, summary: &Summary, window: &str) -> Vec<f64> {
        let w = summary.window(window);
        let mut out = Vec::new();
        for s in &self.signals {
            let i = summary.names.iter().position(|n| n == s);
            for st in &self.stats {
                let v = match (w, i) {
                    (Some(w), Some(i)) => match st {
                        Stat::Mean => w.mean[i],
                        Stat::Min => w.min[i],
                        Stat::Max => w.max[i],
                    },
                    _ => f64::NAN,
                };
                out.push(v);
            }
        }
        out
    }
}

/// The experiment of a research file: its parsed form and the text it came from (for the
/// fingerprint that guards resuming).
#[derive(Clone, Debug)]
pub struct ExperimentRef {
    pub experiment: Experiment,
    pub text: String,
}

/// A research file (cohort, sensitivity, fit), read from a path or from text the same way.
pub trait ResearchFile: Sized {
    /// Read and check one; an error names the file, the line and the field.
    fn from_source(src: &Source) -> Result<Self, Error>;

    /// Read and check the file at `path`.
    fn load(path: &Path) -> Result<Self, Error> {
        Self::from_source(&Source::file(path)?)
    }
}

/// The parts every research file shares, after reading.
#[derive(Clone, Debug)]
pub struct Common {
    pub name: Option<String>,
    pub experiment: ExperimentRef,
    pub parameters: Vec<Parameter>,
    pub outputs: Outputs,
}

// ---------------------------------------------------------------------------------------------
// The file as serde reads it.

/// `[parameters.NAME]`.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct ParamFile {
    dist: Option<String>,
    mean: Option<Finite>,
    sd: Option<Finite>,
    median: Option<Finite>,
    sigma: Option<Finite>,
    min: Option<Finite>,
    max: Option<Finite>,
    /// Fits only: where the search starts.
    pub(crate) start: Option<Finite>,
}

/// A table whose entries keep the file's order.
///
/// Entries are not `Spanned`: toml gives no span for a table defined by its own header
/// (`[parameters.x]`) inside a map read this way, so errors find their line with
/// [`Source::line_of`].
pub(crate) struct Ordered<T>(pub Vec<(String, T)>);

impl<T> Default for Ordered<T> {
    fn default() -> Self {
        Ordered(Vec::new())
    }
}

impl<'de, T: Deserialize<'de>> Deserialize<'de> for Ordered<T> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V<T>(std::marker::PhantomData<T>);
        impl<'de, T: Deserialize<'de>> Visitor<'de> for V<T> {
            type Value = Ordered<T>;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                write!(f, "a table")
            }
            fn visit_map<A: MapAccess<'de>>(self, mut m: A) -> Result<Ordered<T>, A::Error> {
                let mut out = Vec::new();
                while let Some((k, v)) = m.next_entry::<String, T>()? {
                    out.push((k, v));
                }
                Ok(Ordered(out))
            }
        }
        d.deserialize_map(V(std::marker::PhantomData))
    }
}

/// `[outputs]`.
#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
pub(crate) struct OutputsFile {
    signals: Option<Spanned<Vec<String>>>,
    stats: Option<Spanned<Vec<String>>>,
    windows: Option<Spanned<Vec<String>>>,
}

/// A file's text, the file it came from (for messages) and the folder relative experiment
/// paths start from.
#[derive(Clone, Debug)]
pub struct Source {
    pub text: String,
    pub label: Option<String>,
    pub dir: PathBuf,
}

impl Source {
    /// Read `path` (bounded: [`input::read::RESEARCH`]).
    pub fn file(path: &Path) -> Result<Source, Error> {
        let text = input::read::read_to_string(path, input::read::RESEARCH)?;
        Ok(Source {
            text,
            label: Some(path.display().to_string()),
            dir: path
                .parent()
                .map(Path::to_path_buf)
                .unwrap_or_else(|| PathBuf::from(".")),
        })
    }

    /// Text from elsewhere (a Python dict written as TOML), relative paths from `dir`.
    pub fn text(text: impl Into<String>, label: Option<String>, dir: PathBuf) -> Source {
        Source {
            text: text.into(),
            label,
            dir,
        }
    }

    /// The same error, said of this source.
    pub fn locate(&self, e: Error) -> Error {
        match &self.label {
            Some(l) => e.in_file(l),
            None => e,
        }
    }

    /// An error at the line of `span` in this text.
    pub fn at(
        &self,
        span: std::ops::Range<usize>,
        path: impl Into<String>,
        m: impl Into<String>,
    ) -> Error {
        self.locate(input::toml::at(&self.text, span, path, m))
    }

    pub fn error(&self, path: impl Into<String>, m: impl Into<String>) -> Error {
        self.locate(Error::new(path, m))
    }

    /// An error about the field at dotted `path`, at the line that defines it.
    pub fn at_path(&self, path: &str, m: impl Into<String>) -> Error {
        self.locate(Error::new(path, m).at_line(self.line_of(path)))
    }

    /// The 1-based line that defines the dotted `path`: its own `[path]` header, or its key
    /// (`key = …`) under its parent's header (before any header for a top-level key).
    pub fn line_of(&self, path: &str) -> Option<usize> {
        // `windows.early[1]` is on the line of `windows.early`.
        let path = path.split('[').next().unwrap_or(path);
        let lines: Vec<&str> = self.text.lines().collect();
        let header = |h: &str| {
            let want = format!("[{h}]");
            lines.iter().position(|l| l.trim_start().starts_with(&want))
        };
        if let Some(i) = header(path) {
            return Some(i + 1);
        }
        let (parent, key) = match path.rsplit_once('.') {
            Some((p, k)) => (Some(p), k),
            None => (None, path),
        };
        let start = match parent {
            Some(p) => header(p)? + 1,
            None => 0,
        };
        for (i, l) in lines.iter().enumerate().skip(start) {
            let t = l.trim_start();
            if t.starts_with('[') {
                break;
            }
            if let Some(rest) = t.strip_prefix(key)
                && rest.trim_start().starts_with('=')
            {
                return Some(i + 1);
            }
        }
        None
    }

    /// Parse the text as `T` with file, line and field in errors.
    pub fn parse<T: serde::de::DeserializeOwned>(&self) -> Result<T, Error> {
        input::toml::from_str(&self.text).map_err(|e| self.locate(e))
    }
}

/// Read `experiment = "file.toml"` (relative to the research file) or an inline
/// `[experiment]` table.
pub(crate) fn experiment(src: &Source, value: Option<toml::Value>) -> Result<ExperimentRef, Error> {
    let Some(v) = value else {
        return Err(src.error(
            "experiment",
            "missing; the experiment every run follows: a file name (`experiment = \"vv.toml\"`) or an `[experiment]` table in the experiment file format",
        ));
    };
    match v {
        toml::Value::String(p) => {
            let path = src.dir.join(&p);
            let experiment = Experiment::load(&path)?;
            let text = input::read::read_to_string(&path, input::read::EXPERIMENT)?;
            Ok(ExperimentRef { experiment, text })
        }
        toml::Value::Table(t) => {
            let text = toml::to_string(&t)
                .map_err(|e| src.at_path("experiment", format!("cannot be read: {e}")))?;
            let experiment = Experiment::from_toml(&text).map_err(|e| {
                // The inline table's own lines are not the file's: the field's full path
                // finds its line in the file.
                let path = if e.path.is_empty() {
                    "experiment".to_string()
                } else {
                    format!("experiment.{}", e.path)
                };
                src.at_path(&path, e.message)
            })?;
            Ok(ExperimentRef { experiment, text })
        }
        _ => Err(src.at_path(
            "experiment",
            "expected a file name or a table in the experiment file format",
        )),
    }
}

/// Where a parameter name points, with the range the twin accepts and its unit.
pub fn lookup_parameter(name: &str) -> Option<(Target, f64, f64, &'static str, &'static str)> {
    if let Some(f) = PATIENT_FIELDS.iter().find(|f| f.name == name) {
        return Some((Target::Patient, f.min, f.max, f.unit, f.name));
    }
    SETTING_FIELDS
        .iter()
        .find(|f| f.name == name)
        .map(|f| (Target::Setting, f.min, f.max, f.unit, f.name))
}

fn parameter_names() -> String {
    PATIENT_FIELDS
        .iter()
        .map(|f| f.name)
        .chain(SETTING_FIELDS.iter().map(|f| f.name))
        .collect::<Vec<_>>()
        .join(", ")
}

/// Which distributions a file may name.
pub const DISTRIBUTIONS: &[&str] = &["normal", "lognormal", "uniform"];

/// Check one `[parameters.NAME]` table. With `bounds_only` (fits), only `min`, `max` and
/// `start` are allowed and the result is uniform on the bounds.
pub(crate) fn parameter(
    src: &Source,
    name: &str,
    p: ParamFile,
    bounds_only: bool,
) -> Result<Parameter, Error> {
    let path = format!("parameters.{name}");
    let (target, lo, hi, unit, name) = lookup_parameter(name).ok_or_else(|| {
        src.at_path(
            &path,
            format!("unknown parameter; allowed: {}", parameter_names()),
        )
    })?;
    let err = |field: &str, m: String| src.at_path(&format!("{path}.{field}"), m);
    let allowed = input::de::Range::closed(lo, hi, unit);
    let bound = |field: &str, v: Option<Finite>, default: f64| -> Result<f64, Error> {
        match v {
            None => Ok(default),
            Some(Finite(x)) => allowed.check(x).map_err(|m| err(field, m)),
        }
    };
    let min = bound("min", p.min, lo)?;
    let max = bound("max", p.max, hi)?;
    if min >= max {
        return Err(err(
            "max",
            format!("{} is not above min ({})", num(max), num(min)),
        ));
    }
    let need = |field: &str, v: Option<Finite>, what: &str| -> Result<f64, Error> {
        v.map(|x| x.0).ok_or_else(|| {
            err(
                field,
                format!("missing; required for this distribution, {what}"),
            )
        })
    };
    let dist = if bounds_only {
        for (field, v) in [
            ("mean", p.mean),
            ("sd", p.sd),
            ("median", p.median),
            ("sigma", p.sigma),
        ] {
            if v.is_some() {
                return Err(err(
                    field,
                    "a fit takes bounds only: min, max and start".into(),
                ));
            }
        }
        if p.dist.is_some() {
            return Err(err(
                "dist",
                "a fit takes bounds only: min, max and start".into(),
            ));
        }
        if let Some(Finite(s)) = p.start
            && !(min..=max).contains(&s)
        {
            return Err(err("start", format!("{} lies outside min..=max", num(s))));
        }
        Dist::Uniform { min, max }
    } else {
        if p.start.is_some() {
            return Err(err("start", "only fits take a start value".into()));
        }
        let Some(d) = p.dist.as_deref() else {
            return Err(err(
                "dist",
                format!("missing; one of: {}", DISTRIBUTIONS.join(", ")),
            ));
        };
        let positive = |field: &str, x: f64| -> Result<(), Error> {
            if x <= 0.0 {
                return Err(err(field, format!("{} must be above 0", num(x))));
            }
            Ok(())
        };
        let unused = |fields: &[(&str, Option<Finite>)]| -> Result<(), Error> {
            for (f, v) in fields {
                if v.is_some() {
                    return Err(err(f, format!("not a parameter of the `{d}` distribution")));
                }
            }
            Ok(())
        };
        match d {
            "normal" => {
                unused(&[("median", p.median), ("sigma", p.sigma)])?;
                let mean = need("mean", p.mean, "the mean")?;
                let sd = need("sd", p.sd, "the standard deviation (> 0)")?;
                positive("sd", sd)?;
                Dist::Normal { mean, sd }
            }
            "lognormal" => {
                unused(&[("mean", p.mean), ("sd", p.sd)])?;
                let median = need("median", p.median, "the median (> 0)")?;
                let sigma = need("sigma", p.sigma, "the standard deviation of ln(x) (> 0)")?;
                positive("median", median)?;
                positive("sigma", sigma)?;
                Dist::LogNormal { median, sigma }
            }
            "uniform" => {
                unused(&[
                    ("mean", p.mean),
                    ("sd", p.sd),
                    ("median", p.median),
                    ("sigma", p.sigma),
                ])?;
                if p.min.is_none() || p.max.is_none() {
                    return Err(err(
                        if p.min.is_none() { "min" } else { "max" },
                        format!(
                            "missing; a uniform distribution needs min and max, allowed {allowed}"
                        ),
                    ));
                }
                Dist::Uniform { min, max }
            }
            other => {
                return Err(err(
                    "dist",
                    format!(
                        "unknown distribution `{other}`; allowed: {}",
                        DISTRIBUTIONS.join(", ")
                    ),
                ));
            }
        }
    };
    let marginal = Marginal::new(dist, min, max).ok_or_else(|| {
        err(
            "dist",
            format!(
                "holds no probability within {}..={} (the allowed range and min/max)",
                num(min),
                num(max)
            ),
        )
    })?;
    Ok(Parameter {
        name,
        unit,
        target,
        marginal,
    })
}

/// Read every parameter of a file (at least one).
pub(crate) fn parameters(
    src: &Source,
    table: Option<Ordered<ParamFile>>,
    bounds_only: bool,
) -> Result<(Vec<Parameter>, Vec<Option<f64>>), Error> {
    let Some(t) = table else {
        return Err(src.error(
            "parameters",
            format!(
                "missing; at least one `[parameters.NAME]` table; names: {}",
                parameter_names()
            ),
        ));
    };
    let mut out = Vec::new();
    let mut starts = Vec::new();
    for (name, p) in t.0 {
        let start = p.start.map(|s| s.0);
        let par = parameter(src, &name, p, bounds_only)?;
        starts.push(start);
        out.push(par);
    }
    if out.is_empty() {
        return Err(src.at_path("parameters", "is empty; give at least one parameter"));
    }
    Ok((out, starts))
}

/// Read `[outputs]`; `default_signals` when it names none.
pub(crate) fn outputs(
    src: &Source,
    o: Option<OutputsFile>,
    exp: &Experiment,
    default_signals: &[&str],
) -> Result<Outputs, Error> {
    let o = o.unwrap_or_default();
    let names = experiment::run::signal_names(exp);
    let signals = match o.signals {
        None => default_signals.iter().map(|s| s.to_string()).collect(),
        Some(s) => {
            let span = s.span();
            let list = s.into_inner();
            if list.is_empty() {
                return Err(src.at(
                    span,
                    "outputs.signals",
                    "is empty; name at least one signal",
                ));
            }
            if let Some((i, n)) = first_unknown(&list, &names) {
                return Err(src.at(
                    span,
                    format!("outputs.signals[{i}]"),
                    format!(
                        "unknown signal `{n}`; see docs/experiments.md for the list (e.g. art_upper_so2, circuit_flow_lpm)"
                    ),
                ));
            }
            list
        }
    };
    let stats = match o.stats {
        None => vec![Stat::Mean],
        Some(s) => {
            let span = s.span();
            let mut out = Vec::new();
            for (i, n) in s.into_inner().iter().enumerate() {
                let st = input::de::lookup(Stat::NAMES.iter().copied(), "statistic", n)
                    .map_err(|m| src.at(span.clone(), format!("outputs.stats[{i}]"), m))?;
                out.push(st);
            }
            if out.is_empty() {
                return Err(src.at(span, "outputs.stats", "is empty; give mean, min and/or max"));
            }
            out
        }
    };
    let windows = match o.windows {
        None => Vec::new(),
        Some(w) => {
            let span = w.span();
            let all: Vec<String> = exp.all_windows().into_iter().map(|w| w.name).collect();
            let list = w.into_inner();
            if let Some((i, n)) = first_unknown(&list, &all) {
                return Err(src.at(
                    span,
                    format!("outputs.windows[{i}]"),
                    format!(
                        "unknown window `{n}`; the experiment has: {}",
                        all.join(", ")
                    ),
                ));
            }
            list
        }
    };
    Ok(Outputs {
        signals,
        stats,
        windows,
    })
}

/// The first name of `list` (with its index) that `known` does not hold.
fn first_unknown<'a>(list: &'a [String], known: &[String]) -> Option<(usize, &'a String)> {
    list.iter().enumerate().find(|(_, n)| !known.contains(n))
}

/// The experiment with parameter values `x` (in [`Parameter`] order) put in.
pub fn with_values(exp: &Experiment, params: &[Parameter], x: &[f64]) -> Experiment {
    let mut e = exp.clone();
    for (p, &v) in params.iter().zip(x) {
        let list = match p.target {
            Target::Patient => &mut e.patient,
            Target::Setting => &mut e.settings,
        };
        match list.iter_mut().find(|(n, _)| *n == p.name) {
            Some(slot) => slot.1 = v,
            None => list.push((p.name, v)),
        }
    }
    e
}

/// A 64-bit FNV-1a fingerprint of some texts, for telling whether a resumed run is the same.
pub fn fingerprint(parts: &[&str]) -> String {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for p in parts {
        for b in p.bytes().chain(std::iter::once(0)) {
            h ^= u64::from(b);
            h = h.wrapping_mul(0x0100_0000_01b3);
        }
    }
    format!("{h:016x}")
}
