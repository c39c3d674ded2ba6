//! # pyecmo — the native module of the `openecmo` Python package
//!
//! A thin layer: every function here parses Python values into the same formats the `ecmo`
//! command reads (a Python dict becomes the TOML text of an experiment, cohort, sensitivity or
//! fit file, so errors carry the same field paths), calls the library crates, and hands
//! columns back as raw little-endian bytes that the pure-Python layer (python/openecmo) turns
//! into numpy arrays, and pandas or pyarrow tables when those are installed.
//!
//! Every simulation runs with the GIL released (`Python::detach`), so other Python threads go
//! on and a thread pool of twins scales across cores. Nothing here draws at random outside the
//! seeds: the same input gives the same numbers.
use experiment::Experiment;
use experiment::event_file::EventFile;
use experiment::params::{PATIENT_FIELDS, SETTING_FIELDS, setting_field};
use experiment::signals;
use pyo3::exceptions::{PyRuntimeError, PyValueError};
use pyo3::prelude::*;
use pyo3::types::{PyBool, PyBytes, PyDict, PyFloat, PyInt, PyList, PyString, PyTuple};
use research::progress::{Bar, Progress, Quiet};
use research::spec::{ResearchFile, Source};
use research::table::{Column, Table};
use std::path::PathBuf;

// ---------------------------------------------------------------------------------------------
// Errors

/// An `input::Error` as `openecmo.InputError` (a `ValueError` with `file`, `line`, `path` and
/// `message`), the same wording as the command line's.
fn input_error(py: Python<'_>, e: &input::Error) -> PyErr {
    let made = py
        .import("openecmo.errors")
        .and_then(|m| m.getattr("InputError"))
        .and_then(|cls| {
            cls.call1((
                e.to_string(),
                e.file.clone(),
                e.line,
                e.path.clone(),
                e.message.clone(),
            ))
        });
    match made {
        Ok(inst) => PyErr::from_value(inst),
        Err(err) => err,
    }
}

/// A refusal of the twin's (a configuration or an event out of range) as `openecmo.InputError`.
fn config_error(py: Python<'_>, e: physio::ConfigError) -> PyErr {
    input_error(py, &input::Error::new(e.field, e.message))
}

fn runtime(m: impl std::fmt::Display) -> PyErr {
    PyRuntimeError::new_err(m.to_string())
}

// ---------------------------------------------------------------------------------------------
// Python values to TOML

/// A Python value (dict, list, str, bool, int, float, path) as a TOML value.
fn to_toml(v: &Bound<'_, PyAny>) -> PyResult<toml::Value> {
    if v.is_instance_of::<PyBool>() {
        return Ok(toml::Value::Boolean(v.extract()?));
    }
    if v.is_instance_of::<PyInt>() {
        return Ok(toml::Value::Integer(v.extract()?));
    }
    if v.is_instance_of::<PyFloat>() {
        return Ok(toml::Value::Float(v.extract()?));
    }
    if v.is_instance_of::<PyString>() {
        return Ok(toml::Value::String(v.extract()?));
    }
    if let Ok(d) = v.cast::<PyDict>() {
        let mut t = toml::Table::new();
        for (k, x) in d.iter() {
            let key: String = k.extract().map_err(|_| {
                PyValueError::new_err(format!("dict keys must be strings, found {k}"))
            })?;
            if x.is_none() {
                continue;
            }
            t.insert(key, to_toml(&x)?);
        }
        return Ok(toml::Value::Table(t));
    }
    if v.is_instance_of::<PyList>() || v.is_instance_of::<PyTuple>() {
        let mut a = Vec::new();
        for x in v.try_iter()? {
            a.push(to_toml(&x?)?);
        }
        return Ok(toml::Value::Array(a));
    }
    if v.hasattr("__fspath__")? {
        let p: PathBuf = v.extract()?;
        return Ok(toml::Value::String(p.display().to_string()));
    }
    // numpy scalars and other numbers.
    if let Ok(x) = v.extract::<f64>() {
        return Ok(toml::Value::Float(x));
    }
    Err(PyValueError::new_err(format!(
        "cannot be written in a file: {} ({})",
        v,
        v.get_type().name()?
    )))
}

/// A dict's TOML text.
fn dict_text(d: &Bound<'_, PyAny>) -> PyResult<String> {
    match to_toml(d)? {
        toml::Value::Table(t) => toml::to_string(&t).map_err(runtime),
        _ => Err(PyValueError::new_err("expected a dict")),
    }
}

/// A research file: a path (str or os.PathLike) or a dict in the file's schema. Errors of a
/// dict name the field but no line (the dict has none).
fn research_source(py: Python<'_>, obj: &Bound<'_, PyAny>) -> PyResult<Source> {
    if obj.cast::<PyDict>().is_ok() {
        let text = dict_text(obj)?;
        let cwd = std::env::current_dir().map_err(runtime)?;
        Ok(Source::text(text, Some("<dict>".into()), cwd))
    } else {
        let p: PathBuf = obj.extract()?;
        Source::file(&p).map_err(|e| input_error(py, &e))
    }
}

/// Errors of text generated from a dict have no meaningful line.
fn from_dict(py: Python<'_>, is_dict: bool, e: input::Error) -> PyErr {
    let mut e = e;
    if is_dict {
        e.line = None;
    }
    input_error(py, &e)
}

/// An experiment from a path or a dict.
fn load_experiment(py: Python<'_>, obj: &Bound<'_, PyAny>) -> PyResult<Experiment> {
    if obj.cast::<PyDict>().is_ok() {
        let text = dict_text(obj)?;
        Experiment::from_toml(&text).map_err(|e| from_dict(py, true, e.in_file("<dict>")))
    } else {
        let p: PathBuf = obj.extract()?;
        Experiment::load(&p).map_err(|e| input_error(py, &e))
    }
}

/// The twin configuration and initial settings of an experiment (path or dict).
fn twin_config(
    py: Python<'_>,
    experiment: &Bound<'_, PyAny>,
) -> PyResult<(physio::TwinConfig, physio::Actuation)> {
    load_experiment(py, experiment)?
        .twin_config()
        .map_err(|e| from_dict(py, experiment.cast::<PyDict>().is_ok(), e))
}

// ---------------------------------------------------------------------------------------------
// Columns to Python

fn f64_bytes<'py>(py: Python<'py>, v: &[f64]) -> Bound<'py, PyBytes> {
    let mut b = Vec::with_capacity(v.len() * 8);
    for x in v {
        b.extend_from_slice(&x.to_le_bytes());
    }
    PyBytes::new(py, &b)
}

/// A table as `{name: ("f8" | "u4", bytes) | ("str", list)}`, in column order.
fn table_dict<'py>(py: Python<'py>, t: &Table) -> PyResult<Bound<'py, PyDict>> {
    let d = PyDict::new(py);
    for (n, c) in t.names.iter().zip(&t.columns) {
        let v = match c {
            Column::F64(v) => ("f8", f64_bytes(py, v).into_any()).into_pyobject(py)?,
            Column::U32(v) => {
                let mut b = Vec::with_capacity(v.len() * 4);
                for x in v {
                    b.extend_from_slice(&x.to_le_bytes());
                }
                ("u4", PyBytes::new(py, &b).into_any()).into_pyobject(py)?
            }
            Column::Text(v) => ("str", PyList::new(py, v)?.into_any()).into_pyobject(py)?,
        };
        d.set_item(n, v)?;
    }
    Ok(d)
}

/// A dict of numbers by name.
fn named_dict<'py>(
    py: Python<'py>,
    items: impl IntoIterator<Item = (&'static str, f64)>,
) -> PyResult<Bound<'py, PyDict>> {
    let d = PyDict::new(py);
    for (name, x) in items {
        d.set_item(name, x)?;
    }
    Ok(d)
}

/// The settings in `act`, by name.
fn settings_dict<'py>(py: Python<'py>, act: &physio::Actuation) -> PyResult<Bound<'py, PyDict>> {
    named_dict(py, SETTING_FIELDS.iter().map(|f| (f.name, (f.get)(act))))
}

/// The patient parameters `p`, by name.
fn patient_dict<'py>(py: Python<'py>, p: &physio::PatientParams) -> PyResult<Bound<'py, PyDict>> {
    named_dict(py, PATIENT_FIELDS.iter().map(|f| (f.name, (f.get)(p))))
}

fn observation_dict<'py>(py: Python<'py>, o: &physio::Observation) -> PyResult<Bound<'py, PyDict>> {
    named_dict(py, signals::all().map(|s| (s.name, (s.get)(o))))
}

/// Samples of a run: time and the chosen signals every `interval` steps.
struct Recorder {
    every: u64,
    names: Vec<&'static signals::Signal>,
    time: Vec<f64>,
    cols: Vec<Vec<f64>>,
}

impl Recorder {
    fn new(interval_s: f64, which: Option<Vec<String>>) -> PyResult<Recorder> {
        if !(interval_s.is_finite() && interval_s >= physio::Twin::DT_S) {
            return Err(PyValueError::new_err(format!(
                "sample_interval_s must be at least the twin's step, {} s",
                physio::Twin::DT_S
            )));
        }
        let names: Vec<&'static signals::Signal> = match which {
            None => signals::all().collect(),
            Some(list) => list
                .iter()
                .map(|n| {
                    signals::find(n).ok_or_else(|| {
                        PyValueError::new_err(format!(
                            "unknown signal `{n}`; see openecmo.signals()"
                        ))
                    })
                })
                .collect::<PyResult<_>>()?,
        };
        Ok(Recorder {
            every: (interval_s / physio::Twin::DT_S).round().max(1.0) as u64,
            cols: vec![Vec::new(); names.len()],
            names,
            time: Vec::new(),
        })
    }

    fn take(&mut self, t: f64, o: &physio::Observation) {
        self.time.push((t * 1e6).round() / 1e6);
        for (c, s) in self.cols.iter_mut().zip(&self.names) {
            c.push((s.get)(o));
        }
    }

    fn into_dict(self, py: Python<'_>) -> PyResult<Bound<'_, PyDict>> {
        let mut t = Table::default();
        t.push("time_s", Column::F64(self.time));
        for (s, c) in self.names.iter().zip(self.cols) {
            t.push(s.name, Column::F64(c));
        }
        table_dict(py, &t)
    }
}

/// `n` steps of `sim`, sampled before the first and after every `every`-th (the first sample
/// is now).
fn sampled<S>(
    sim: &mut S,
    n: u64,
    every: u64,
    mut sample: impl FnMut(&S),
    mut step: impl FnMut(&mut S),
) {
    for k in 0..=n {
        if k % every == 0 {
            sample(sim);
        }
        if k < n {
            step(sim);
        }
    }
}

fn steps(seconds: f64) -> PyResult<u64> {
    if !(seconds.is_finite() && seconds >= 0.0) {
        return Err(PyValueError::new_err(
            "seconds must be a finite number >= 0",
        ));
    }
    Ok((seconds / physio::Twin::DT_S).round() as u64)
}

// ---------------------------------------------------------------------------------------------
// Vocabulary

/// Names of the patient presets.
#[pyfunction]
fn presets() -> Vec<&'static str> {
    physio::presets::PRESET_NAMES.to_vec()
}

/// Names of the circuit configurations.
#[pyfunction]
fn configurations() -> Vec<&'static str> {
    experiment::format::CONFIGURATIONS
        .iter()
        .map(|(n, _)| *n)
        .collect()
}

/// A preset's patient parameters, circuit and default settings.
#[pyfunction]
fn preset<'py>(py: Python<'py>, name: &str) -> PyResult<Bound<'py, PyDict>> {
    let cfg = physio::presets::preset(name).ok_or_else(|| {
        PyValueError::new_err(format!(
            "unknown preset `{name}`; allowed: {}",
            physio::presets::PRESET_NAMES.join(", ")
        ))
    })?;
    let patient = patient_dict(py, &cfg.patient)?;
    let c = &cfg.circuit;
    let circuit = PyDict::new(py);
    let conf = experiment::format::CONFIGURATIONS
        .iter()
        .find(|(_, x)| *x == c.configuration)
        .map_or("none", |(n, _)| *n);
    circuit.set_item("configuration", conf)?;
    circuit.set_item("drainage_fr", c.drainage.size_fr)?;
    circuit.set_item("return_fr", c.return_cannula.size_fr)?;
    circuit.set_item("tubing_length_m", c.tubing.length_m)?;
    circuit.set_item("tubing_diameter_mm", c.tubing.inner_diameter_mm)?;
    let act = physio::presets::default_actuation(&cfg);
    let settings = settings_dict(py, &act)?;
    let d = PyDict::new(py);
    d.set_item("patient", patient)?;
    d.set_item("circuit", circuit)?;
    d.set_item("settings", settings)?;
    Ok(d)
}

/// `(name, unit, min, max, doc)` rows of a vocabulary.
type Row = (&'static str, &'static str, f64, f64, &'static str);

/// The patient parameters: name, unit, allowed range and meaning.
#[pyfunction]
fn patient_fields() -> Vec<Row> {
    PATIENT_FIELDS
        .iter()
        .map(|f| (f.name, f.unit, f.min, f.max, f.doc))
        .collect()
}

/// The settings (actuation): name, unit, allowed range and meaning.
#[pyfunction]
fn setting_fields() -> Vec<Row> {
    SETTING_FIELDS
        .iter()
        .map(|f| (f.name, f.unit, f.min, f.max, f.doc))
        .collect()
}

/// The recordable signals: name, unit and meaning.
#[pyfunction]
fn signal_list() -> Vec<(&'static str, &'static str, &'static str)> {
    signals::all().map(|s| (s.name, s.unit, s.doc)).collect()
}

/// The events: name, value field, meaning.
#[pyfunction]
fn event_list() -> Vec<(&'static str, &'static str, &'static str)> {
    physio::EVENTS
        .iter()
        .map(|e| (e.name, e.field, e.doc))
        .collect()
}

// ---------------------------------------------------------------------------------------------
// Twin

#[derive(serde::Deserialize)]
struct EventOnly {
    event: EventFile,
}

/// Parse an event dict (`{"kind": "return_kink", "severity": 0.8}`) with paths `event.…`.
fn parse_event(py: Python<'_>, ev: &Bound<'_, PyAny>) -> PyResult<physio::Event> {
    let d = PyDict::new(py);
    d.set_item("event", ev)?;
    let text = dict_text(d.as_any())?;
    let e: EventOnly =
        input::toml::from_str(&text).map_err(|e| from_dict(py, true, e.in_file("<dict>")))?;
    Ok(e.event.0)
}

fn set_settings(
    py: Python<'_>,
    act: &mut physio::Actuation,
    settings: &Bound<'_, PyDict>,
) -> PyResult<()> {
    // Check all first, so a refused dict changes nothing.
    let mut vals = Vec::new();
    for (k, v) in settings.iter() {
        let name: String = k.extract()?;
        let f = setting_field(&name).ok_or_else(|| {
            input_error(
                py,
                &input::Error::new(
                    format!("settings.{name}"),
                    format!(
                        "unknown setting; allowed: {}",
                        SETTING_FIELDS
                            .iter()
                            .map(|f| f.name)
                            .collect::<Vec<_>>()
                            .join(", ")
                    ),
                ),
            )
        })?;
        let x: f64 = v.extract()?;
        input::de::Range::closed(f.min, f.max, f.unit)
            .check(x)
            .map_err(|m| input_error(py, &input::Error::new(format!("settings.{name}"), m)))?;
        vals.push((f, x));
    }
    for (f, x) in vals {
        (f.set)(act, x);
    }
    Ok(())
}

/// The twin, stepped from Python (open loop: the settings are the actuation).
#[pyclass(module = "openecmo._native")]
#[derive(Clone)]
struct Twin {
    twin: physio::Twin,
    act: physio::Actuation,
}

#[pymethods]
impl Twin {
    /// Build from an experiment (a dict in the experiment file's schema, or a file path): its
    /// preset, patient, circuit, settings and seed. Its timeline is not applied.
    #[new]
    fn new(py: Python<'_>, experiment: &Bound<'_, PyAny>) -> PyResult<Twin> {
        let (cfg, act) = twin_config(py, experiment)?;
        let twin = physio::Twin::new(&cfg).map_err(|e| config_error(py, e))?;
        Ok(Twin { twin, act })
    }

    /// Simulated time, s.
    #[getter]
    fn time_s(&self) -> f64 {
        self.twin.time_s()
    }

    /// Advance by `seconds` (whole 2 ms steps), without the GIL.
    fn step(&mut self, py: Python<'_>, seconds: f64) -> PyResult<()> {
        let n = steps(seconds)?;
        let (twin, act) = (&mut self.twin, &self.act);
        py.detach(|| {
            for _ in 0..n {
                twin.step(act);
            }
        });
        Ok(())
    }

    /// Advance by `seconds`, sampling `signals` (all when None) every `sample_interval_s`;
    /// the first sample is now. Returns raw columns (see openecmo.Twin.run).
    #[pyo3(signature = (seconds, sample_interval_s = 1.0, signals = None))]
    fn run<'py>(
        &mut self,
        py: Python<'py>,
        seconds: f64,
        sample_interval_s: f64,
        signals: Option<Vec<String>>,
    ) -> PyResult<Bound<'py, PyDict>> {
        let n = steps(seconds)?;
        let mut rec = Recorder::new(sample_interval_s, signals)?;
        let (twin, act, every) = (&mut self.twin, &self.act, rec.every);
        py.detach(|| {
            sampled(
                twin,
                n,
                every,
                |t| rec.take(t.time_s(), &t.observe()),
                |t| t.step(act),
            )
        });
        rec.into_dict(py)
    }

    /// Every signal now, by name.
    fn observe<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyDict>> {
        observation_dict(py, &self.twin.observe())
    }

    /// The settings in force.
    fn actuation<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyDict>> {
        settings_dict(py, &self.act)
    }

    /// Change settings: `{"pump_rpm": 3500, "sweep_lpm": 4}`, checked against their ranges.
    fn set(&mut self, py: Python<'_>, settings: &Bound<'_, PyDict>) -> PyResult<()> {
        set_settings(py, &mut self.act, settings)
    }

    /// Something happens: `{"kind": "return_kink", "severity": 0.8}` (see openecmo.events()).
    fn event(&mut self, py: Python<'_>, event: &Bound<'_, PyAny>) -> PyResult<()> {
        let ev = parse_event(py, event)?;
        self.twin.apply(&ev).map_err(|e| config_error(py, e))
    }

    /// The patient's parameters now.
    fn patient<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyDict>> {
        patient_dict(py, self.twin.patient())
    }

    /// An exact, independent copy (the twin holds no heap data).
    fn fork(&self) -> Twin {
        self.clone()
    }
}

// ---------------------------------------------------------------------------------------------
// Software in the loop

/// The control core in the loop with the twin (sil::Sil): commands go through the
/// controller's validation like a console's.
#[pyclass(module = "openecmo._native")]
struct Sil {
    sil: sil::Sil,
}

#[pymethods]
impl Sil {
    #[new]
    fn new(py: Python<'_>, experiment: &Bound<'_, PyAny>) -> PyResult<Sil> {
        let (cfg, _) = twin_config(py, experiment)?;
        let sil = sil::Sil::new(&cfg).map_err(runtime)?;
        Ok(Sil { sil })
    }

    /// Simulated time, s (the controller's clock).
    #[getter]
    fn time_s(&self) -> f64 {
        self.sil.now_ms() as f64 / 1000.0
    }

    /// An operator or bedside action by name (`set_mode`, `set_rpm`, `set_sweep`,
    /// `set_fdo2`, `clamp_return`, …: the training actions). Returns what happened; a refusal raises
    /// `openecmo.CommandRefused` with the controller's reason.
    #[pyo3(signature = (name, value = None))]
    fn command(
        &mut self,
        py: Python<'_>,
        name: &str,
        value: Option<&Bound<'_, PyAny>>,
    ) -> PyResult<String> {
        let v = value.map(to_toml).transpose()?;
        let action = training::action::Action::new("command", name, v.as_ref())
            .map_err(|e| input_error(py, &e))?;
        action.apply(&mut self.sil).map_err(|m| {
            match py
                .import("openecmo.errors")
                .and_then(|m| m.getattr("CommandRefused"))
                .and_then(|c| c.call1((m.clone(),)))
            {
                Ok(inst) => PyErr::from_value(inst),
                Err(e) => e,
            }
        })
    }

    /// Something happens to the patient or circuit.
    fn event(&mut self, py: Python<'_>, event: &Bound<'_, PyAny>) -> PyResult<()> {
        let ev = parse_event(py, event)?;
        self.sil.event(&ev).map_err(|e| config_error(py, e))
    }

    /// Advance by `seconds` (whole 10 ms control periods), without the GIL.
    fn step(&mut self, py: Python<'_>, seconds: f64) -> PyResult<()> {
        steps(seconds)?;
        let sil = &mut self.sil;
        py.detach(|| sil.run_for(seconds));
        Ok(())
    }

    /// Advance by `seconds`, sampling the twin's truth and the controller's output every
    /// `sample_interval_s`.
    #[pyo3(signature = (seconds, sample_interval_s = 1.0, signals = None))]
    fn run<'py>(
        &mut self,
        py: Python<'py>,
        seconds: f64,
        sample_interval_s: f64,
        signals: Option<Vec<String>>,
    ) -> PyResult<Bound<'py, PyDict>> {
        let n = (steps(seconds)? / u64::from(sil::TWIN_STEPS_PER_CONTROL)).max(1);
        let mut rec = Recorder::new(sample_interval_s, signals)?;
        let every = (rec.every / u64::from(sil::TWIN_STEPS_PER_CONTROL)).max(1);
        let (mut cmd_rpm, mut cmd_sweep, mut alarms) = (Vec::new(), Vec::new(), Vec::new());
        let sil = &mut self.sil;
        let sample = |sil: &sil::Sil| {
            rec.take(sil.now_ms() as f64 / 1000.0, sil.observation());
            let out = sil.output();
            cmd_rpm.push(f64::from(out.actuators.pump_rpm));
            cmd_sweep.push(f64::from(out.actuators.sweep_lpm));
            alarms.push(sil.alarms().present().len() as f64);
        };
        py.detach(|| {
            sampled(sil, n, every, sample, |s| {
                s.step();
            })
        });
        let d = rec.into_dict(py)?;
        for (name, col) in [
            ("command_pump_rpm", cmd_rpm),
            ("command_sweep_lpm", cmd_sweep),
            ("alarms_present", alarms),
        ] {
            d.set_item(name, ("f8", f64_bytes(py, &col)))?;
        }
        Ok(d)
    }

    /// The twin's truth at the last control step.
    fn observe<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyDict>> {
        observation_dict(py, self.sil.observation())
    }

    /// The pump mode in force.
    fn mode(&self) -> &'static str {
        self.sil.output().mode.name()
    }

    /// The alarms present (condition active or latched), by id.
    fn alarms(&self) -> Vec<String> {
        self.sil
            .alarms()
            .present()
            .iter()
            .map(training::names::alarm_name)
            .collect()
    }

    /// The actuation the controller commands.
    fn actuation<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyDict>> {
        settings_dict(py, self.sil.actuation())
    }
}

// ---------------------------------------------------------------------------------------------
// Experiments

/// Run an experiment (path or dict); returns `(summary JSON text, columns)`, the columns
/// sampled every `output.sample_interval_s` when `series` is true.
#[pyfunction]
#[pyo3(signature = (experiment, series = true))]
fn run_experiment<'py>(
    py: Python<'py>,
    experiment: &Bound<'py, PyAny>,
    series: bool,
) -> PyResult<(String, Bound<'py, PyDict>)> {
    let is_dict = experiment.cast::<PyDict>().is_ok();
    let exp = load_experiment(py, experiment)?;
    let names = experiment::run::signal_names(&exp);
    let result = py.detach(|| -> Result<_, input::Error> {
        let (cfg, act) = exp.twin_config()?;
        let mut time = Vec::new();
        let mut cols: Vec<Vec<f64>> = vec![Vec::new(); names.len()];
        let mut sink = |t: f64, v: &[f64]| -> Result<(), input::Error> {
            time.push(t);
            for (c, x) in cols.iter_mut().zip(v) {
                c.push(*x);
            }
            Ok(())
        };
        let sink: Option<experiment::run::SampleSink<'_>> =
            if series { Some(&mut sink) } else { None };
        let summary = experiment::run::run_sampled(&exp, &cfg, act, sink)?;
        Ok((summary, time, cols))
    });
    let (summary, time, cols) = result.map_err(|e| from_dict(py, is_dict, e))?;
    let mut t = Table::default();
    t.push("time_s", Column::F64(time));
    if series {
        for (n, c) in names.iter().zip(cols) {
            t.push(n.clone(), Column::F64(c));
        }
    }
    Ok((summary.to_json().to_string(), table_dict(py, &t)?))
}

// ---------------------------------------------------------------------------------------------
// Bench

/// One row of [`bench_sim`]: case, threads, runs, simulated s, wall s.
type BenchRow = (String, usize, usize, f64, f64);

/// The twin's speed (`ecmo bench-sim`): per case `(name, threads, instances, simulated_s,
/// wall_s)`, VV and VA on one core, then the batch on `threads` threads.
#[pyfunction]
#[pyo3(signature = (seconds = 60.0, threads = None))]
fn bench_sim(py: Python<'_>, seconds: f64, threads: Option<usize>) -> PyResult<Vec<BenchRow>> {
    let threads = threads.unwrap_or_else(research::pool::default_threads);
    let out = py.detach(|| -> Result<_, input::Error> {
        let mut v = Vec::new();
        for case in [experiment::bench::VV_CASE, experiment::bench::VA_CASE] {
            v.push(experiment::bench::single(case, seconds)?);
        }
        v.push(experiment::bench::batch(threads, 2, seconds)?);
        Ok(v)
    });
    let out = out.map_err(|e| input_error(py, &e))?;
    Ok(out
        .into_iter()
        .map(|s| (s.name, s.threads, s.instances, s.simulated_s, s.wall_s))
        .collect())
}

/// The built-in device catalogue: `(name, kind, title)`.
#[pyfunction]
fn catalogue() -> PyResult<Vec<(String, &'static str, String)>> {
    let c = bench::catalogue::Catalogue::builtin().map_err(runtime)?;
    Ok(c.designs()
        .map(|d| (d.meta().name.clone(), d.kind(), d.meta().title.clone()))
        .collect())
}

/// A test's points as a table: one column per field named, under the field's name.
macro_rules! points_table {
    ($points:expr; $($field:ident),+ $(,)?) => {{
        let mut t = Table::default();
        $(t.push(stringify!($field), Column::F64($points.iter().map(|p| p.$field).collect()));)+
        t
    }};
}

/// The ISO 7199 oxygenator test of a catalogue oxygenator: columns per test point.
#[pyfunction]
fn bench_oxygenator<'py>(py: Python<'py>, name: &str) -> PyResult<Bound<'py, PyDict>> {
    let c = bench::catalogue::Catalogue::builtin().map_err(runtime)?;
    let d = match c.get(name) {
        Some(bench::catalogue::Design::Oxygenator(d)) => d.clone(),
        _ => {
            return Err(PyValueError::new_err(format!(
                "`{name}` is not an oxygenator of the catalogue; see openecmo.catalogue()"
            )));
        }
    };
    let r = py.detach(|| bench::oxytest::run(&d, false));
    let t = points_table!(r.points;
        q_lpm, sweep_lpm, o2_ml_min, co2_ml_min, outlet_so2, outlet_po2_mmhg, outlet_pco2_mmhg,
        dp_mmhg,
    );
    table_dict(py, &t)
}

/// The ISO 18242 head-flow curves of a catalogue pump: columns per curve point.
#[pyfunction]
fn bench_pump<'py>(py: Python<'py>, name: &str) -> PyResult<Bound<'py, PyDict>> {
    let c = bench::catalogue::Catalogue::builtin().map_err(runtime)?;
    let d = c.pump(name).map_err(PyValueError::new_err)?.clone();
    let r = py.detach(|| bench::pumptest::run(&d, false));
    let t = points_table!(r.curve; rpm, q_lpm, head_mmhg, hydraulic_w, efficiency);
    table_dict(py, &t)
}

// ---------------------------------------------------------------------------------------------
// Cohorts, sensitivity, fitting

fn progress_for(show: bool, label: &str, unit: &'static str) -> Box<dyn Progress> {
    if show {
        Box::new(Bar::new(label, unit))
    } else {
        Box::new(Quiet)
    }
}

/// A checked cohort file, ready to run in-process, into a folder, or block by block (Ray).
#[pyclass(module = "openecmo._native", frozen)]
struct Cohort {
    spec: research::cohort::CohortSpec,
    is_dict: bool,
}

#[pymethods]
impl Cohort {
    #[new]
    fn new(py: Python<'_>, source: &Bound<'_, PyAny>) -> PyResult<Cohort> {
        let is_dict = source.cast::<PyDict>().is_ok();
        let src = research_source(py, source)?;
        let spec = research::cohort::CohortSpec::from_source(&src)
            .map_err(|e| from_dict(py, is_dict, e))?;
        Ok(Cohort { spec, is_dict })
    }

    /// A cohort from self-contained TOML text ([`Cohort::portable`]): a Ray worker's copy.
    #[staticmethod]
    fn from_toml(py: Python<'_>, text: String) -> PyResult<Cohort> {
        let cwd = std::env::current_dir().map_err(runtime)?;
        let src = Source::text(text, Some("<portable cohort>".into()), cwd);
        let spec =
            research::cohort::CohortSpec::from_source(&src).map_err(|e| input_error(py, &e))?;
        Ok(Cohort {
            spec,
            is_dict: false,
        })
    }

    /// The cohort as self-contained TOML text (its experiment inlined).
    fn portable(&self, py: Python<'_>) -> PyResult<String> {
        self.spec.portable().map_err(|e| input_error(py, &e))
    }

    #[getter]
    fn patients(&self) -> usize {
        self.spec.patients
    }
    #[getter]
    fn blocks(&self) -> usize {
        self.spec.blocks()
    }
    #[getter]
    fn block_size(&self) -> usize {
        self.spec.block
    }
    #[getter]
    fn fingerprint(&self) -> &str {
        &self.spec.fingerprint
    }
    #[getter]
    fn parameters(&self) -> Vec<&'static str> {
        self.spec.parameters().iter().map(|p| p.name).collect()
    }
    #[getter]
    fn columns(&self) -> Vec<String> {
        self.spec.columns()
    }

    /// Every patient's sampled parameters, columns by parameter name.
    fn samples<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyDict>> {
        let x = self
            .spec
            .samples()
            .map_err(|m| from_dict(py, self.is_dict, input::Error::new("correlations", m)))?;
        let d = self.spec.parameters().len();
        let mut t = Table::default();
        for (j, p) in self.spec.parameters().iter().enumerate() {
            t.push(
                p.name,
                Column::F64(x.iter().skip(j).step_by(d).copied().collect()),
            );
        }
        table_dict(py, &t)
    }

    /// Run block `b` (patients `b·block ..`) in this thread, without the GIL: the unit of work
    /// of a Ray task.
    fn run_block<'py>(&self, py: Python<'py>, b: usize) -> PyResult<Bound<'py, PyDict>> {
        if b >= self.spec.blocks() {
            return Err(PyValueError::new_err(format!(
                "block {b} out of range 0..{}",
                self.spec.blocks()
            )));
        }
        let spec = &self.spec;
        let t = py.detach(|| spec.samples().map(|x| spec.run_block(&x, b, &|| {})));
        let t = t.map_err(|m| from_dict(py, self.is_dict, input::Error::new("correlations", m)))?;
        table_dict(py, &t)
    }

    /// Run every patient on `threads` threads (all cores when None). With `out`, into that
    /// folder (part files, manifest, cohort.parquet, summary.html; resumable); returns the
    /// columns and the folder's result file or None.
    #[pyo3(signature = (out = None, threads = None, progress = false))]
    fn run<'py>(
        &self,
        py: Python<'py>,
        out: Option<PathBuf>,
        threads: Option<usize>,
        progress: bool,
    ) -> PyResult<(Bound<'py, PyDict>, Option<PathBuf>)> {
        let threads = threads.unwrap_or_else(research::pool::default_threads);
        let spec = &self.spec;
        let bar = progress_for(progress, "cohort", "patients");
        let r = py.detach(|| -> Result<(Table, Option<PathBuf>), input::Error> {
            match &out {
                None => Ok((spec.run_in_memory(threads, bar.as_ref())?, None)),
                Some(dir) => {
                    let run = research::cohort::run(spec, dir, threads, bar.as_ref())?;
                    let doc = research::summary::cohort_doc(spec, &run.table, run.wall_s);
                    std::fs::write(dir.join("summary.html"), doc.to_html())
                        .map_err(|e| input::Error::new("", format!("{}: {e}", dir.display())))?;
                    Ok((run.table, Some(run.result)))
                }
            }
        });
        let (t, path) = r.map_err(|e| from_dict(py, self.is_dict, e))?;
        Ok((table_dict(py, &t)?, path))
    }
}

/// Run a sensitivity analysis (path or dict): `(indices columns, runs columns)`.
#[pyfunction]
#[pyo3(signature = (source, threads = None, progress = false))]
fn sensitivity<'py>(
    py: Python<'py>,
    source: &Bound<'py, PyAny>,
    threads: Option<usize>,
    progress: bool,
) -> PyResult<(Bound<'py, PyDict>, Bound<'py, PyDict>)> {
    let is_dict = source.cast::<PyDict>().is_ok();
    let src = research_source(py, source)?;
    let spec = research::sensitivity::SensitivitySpec::from_source(&src)
        .map_err(|e| from_dict(py, is_dict, e))?;
    let threads = threads.unwrap_or_else(research::pool::default_threads);
    let bar = progress_for(progress, "sensitivity", "runs");
    let r = py
        .detach(|| spec.run(threads, bar.as_ref()))
        .map_err(|e| from_dict(py, is_dict, e))?;
    Ok((
        table_dict(py, &research::sensitivity::indices_table(&r.indices))?,
        table_dict(py, &r.runs)?,
    ))
}

/// Fit (path or dict) to `data` (`{column: values}` with `time_s`; the file's `data` CSV
/// when None). Returns the result as a dict.
#[pyfunction]
#[pyo3(signature = (source, data = None, threads = None))]
fn fit<'py>(
    py: Python<'py>,
    source: &Bound<'py, PyAny>,
    data: Option<&Bound<'py, PyDict>>,
    threads: Option<usize>,
) -> PyResult<Bound<'py, PyDict>> {
    let is_dict = source.cast::<PyDict>().is_ok();
    let src = research_source(py, source)?;
    let spec = research::fit::FitSpec::from_source(&src).map_err(|e| from_dict(py, is_dict, e))?;
    let data = match (data, &spec.data) {
        (Some(d), _) => {
            let mut cols = Vec::new();
            for (k, v) in d.iter() {
                cols.push((k.extract::<String>()?, v.extract::<Vec<f64>>()?));
            }
            research::fit::Data::from_columns(cols)
                .map_err(|m| input_error(py, &input::Error::new("data", m)))?
        }
        (None, Some(p)) => research::fit::Data::read_csv(p).map_err(|e| input_error(py, &e))?,
        (None, None) => {
            return Err(input_error(
                py,
                &input::Error::new(
                    "data",
                    "no data: pass data= or give `data = \"file.csv\"` in the fit file (recordings: openecmo.read_recording)",
                ),
            ));
        }
    };
    let threads = threads.unwrap_or_else(research::pool::default_threads);
    let r = py
        .detach(|| research::fit::fit(&spec, &data, threads))
        .map_err(|e| from_dict(py, is_dict, e))?;
    let out = PyDict::new(py);
    let est = PyList::empty(py);
    for e in &r.estimates {
        let d = PyDict::new(py);
        d.set_item("name", &e.name)?;
        d.set_item("unit", &e.unit)?;
        d.set_item("value", e.value)?;
        d.set_item("se", e.se)?;
        d.set_item("lo", e.lo)?;
        d.set_item("hi", e.hi)?;
        d.set_item("identifiable", e.identifiable)?;
        est.append(d)?;
    }
    out.set_item("estimates", est)?;
    out.set_item("cost", r.cost)?;
    out.set_item("residuals", r.residuals)?;
    out.set_item("rank", r.rank)?;
    out.set_item("eigenvalues", r.eigenvalues.clone())?;
    out.set_item("method", r.method.name())?;
    out.set_item("start_costs", r.start_costs.clone())?;
    out.set_item("evaluations", r.evaluations)?;
    out.set_item("wall_s", r.wall_s)?;
    let sig = PyList::empty(py);
    for s in &r.signals {
        let d = PyDict::new(py);
        d.set_item("name", &s.name)?;
        d.set_item("sd", s.sd)?;
        d.set_item("count", s.count)?;
        d.set_item("mean_residual", s.mean_residual)?;
        d.set_item("rms_residual", s.rms_residual)?;
        sig.append(d)?;
    }
    out.set_item("signals", sig)?;
    let mut t = Table::default();
    t.push("time_s", Column::F64(data.time_s.clone()));
    for (n, m) in &r.model {
        t.push(n.clone(), Column::F64(m.clone()));
    }
    out.set_item("model", table_dict(py, &t)?)?;
    out.set_item("report", r.report())?;
    Ok(out)
}

/// Read a Parquet file written by the package (a cohort) into columns.
#[pyfunction]
fn read_parquet<'py>(py: Python<'py>, path: PathBuf) -> PyResult<Bound<'py, PyDict>> {
    let t = py.detach(|| Table::read_parquet(&path)).map_err(runtime)?;
    table_dict(py, &t)
}

/// Little-endian values of `N` bytes each (a trailing partial value is dropped).
fn from_le<T, const N: usize>(b: &[u8], value: fn([u8; N]) -> T) -> Vec<T> {
    b.chunks_exact(N)
        .map(|c| value(c.try_into().unwrap_or([0; N])))
        .collect()
}

/// Write columns (`{name: ("f8"|"u4", bytes) | ("str", list)}`) as Parquet, as the package's
/// own runs do (used to gather Ray blocks when pyarrow is missing).
#[pyfunction]
fn write_parquet(path: PathBuf, columns: &Bound<'_, PyDict>) -> PyResult<()> {
    let mut t = Table::default();
    for (k, v) in columns.iter() {
        let name: String = k.extract()?;
        let (kind, payload): (String, Bound<'_, PyAny>) = v.extract()?;
        let col = match kind.as_str() {
            "f8" => Column::F64(from_le(&payload.extract::<Vec<u8>>()?, f64::from_le_bytes)),
            "u4" => Column::U32(from_le(&payload.extract::<Vec<u8>>()?, u32::from_le_bytes)),
            "str" => Column::Text(payload.extract()?),
            other => {
                return Err(PyValueError::new_err(format!(
                    "unknown column kind `{other}`"
                )));
            }
        };
        t.push(name, col);
    }
    t.write_parquet(&path).map_err(runtime)
}

/// How a console recording's numerics map onto the twin's names: (field, name, scale).
#[pyfunction]
fn recording_map() -> Vec<(&'static str, &'static str, f64)> {
    research::fit::RECORDING.to_vec()
}

#[pymodule]
fn _native(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add("__version__", env!("CARGO_PKG_VERSION"))?;
    m.add("DT_S", physio::Twin::DT_S)?;
    m.add_function(wrap_pyfunction!(presets, m)?)?;
    m.add_function(wrap_pyfunction!(preset, m)?)?;
    m.add_function(wrap_pyfunction!(configurations, m)?)?;
    m.add_function(wrap_pyfunction!(patient_fields, m)?)?;
    m.add_function(wrap_pyfunction!(setting_fields, m)?)?;
    m.add_function(wrap_pyfunction!(signal_list, m)?)?;
    m.add_function(wrap_pyfunction!(event_list, m)?)?;
    m.add_function(wrap_pyfunction!(run_experiment, m)?)?;
    m.add_function(wrap_pyfunction!(bench_sim, m)?)?;
    m.add_function(wrap_pyfunction!(catalogue, m)?)?;
    m.add_function(wrap_pyfunction!(bench_oxygenator, m)?)?;
    m.add_function(wrap_pyfunction!(bench_pump, m)?)?;
    m.add_function(wrap_pyfunction!(sensitivity, m)?)?;
    m.add_function(wrap_pyfunction!(fit, m)?)?;
    m.add_function(wrap_pyfunction!(read_parquet, m)?)?;
    m.add_function(wrap_pyfunction!(write_parquet, m)?)?;
    m.add_function(wrap_pyfunction!(recording_map, m)?)?;
    m.add_class::<Twin>()?;
    m.add_class::<Sil>()?;
    m.add_class::<Cohort>()?;
    Ok(())
}
