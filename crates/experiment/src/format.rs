//! The experiment file (TOML): what it may contain and how it is checked.
//!
//! Parsing is two-staged. [`Experiment::parse`] checks syntax, types, ranges and unknown fields
//! without touching the twin; [`Experiment::twin_config`] resolves names (preset, pump,
//! oxygenator) against the twin's catalogue and builds the configuration. [`Experiment::load`]
//! does both, so a file that loads will start.
use crate::error::Error;
use crate::params;
use crate::reader::{Table, as_f64, in_range, join, kind, num};
use crate::signals;
use physio::coagulation::Coating;
use physio::sensors::{Channel, Fault};
use physio::{Configuration, Event, EventArg, EventKind, EventValue, Twin};
use toml::Value;

/// The longest run a file may ask for: 30 days.
pub const MAX_DURATION_S: f64 = 30.0 * 86_400.0;

/// Names of the circuit configurations as written in files.
pub const CONFIGURATIONS: &[(&str, Configuration)] = &[
    ("none", Configuration::None),
    ("vv-femoro-jugular", Configuration::VvFemoroJugular),
    ("vv-femoro-femoral", Configuration::VvFemoroFemoral),
    ("va-femoral", Configuration::VaFemoral),
    ("va-central", Configuration::VaCentral),
];

/// Names of the circuit coatings as written in files.
pub const COATINGS: &[(&str, Coating)] = &[
    ("uncoated", Coating::Uncoated),
    ("heparin-bonded", Coating::HeparinBonded),
    ("long-acting", Coating::LongActing),
];

/// The circuit as the file gives it; `None` fields come from the preset.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct CircuitSpec {
    pub configuration: Option<Configuration>,
    pub drainage_fr: Option<f64>,
    pub return_fr: Option<f64>,
    pub tubing_length_m: Option<f64>,
    pub tubing_diameter_mm: Option<f64>,
    pub pump: Option<String>,
    pub oxygenator: Option<String>,
    pub coating: Option<Coating>,
}

/// One line of the timeline: at `at_s`, change settings and/or inject an event.
#[derive(Clone, Debug, PartialEq)]
pub struct TimelineEntry {
    /// Position in the file's `timeline` array, for error messages.
    pub index: usize,
    pub at_s: f64,
    pub set: Vec<(&'static str, f64)>,
    pub event: Option<Event>,
    pub sensor: Option<SensorAction>,
}

/// Sensor models between the twin's truth and what a console would read (`physio::sensors`).
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct SensorSpec {
    /// Record the measured signals (`sensor_*`) alongside the true ones.
    pub enabled: bool,
    /// Gaussian measurement noise on every channel (sampling, range and resolution stay).
    pub noise: bool,
}

impl Default for SensorSpec {
    fn default() -> Self {
        SensorSpec {
            enabled: false,
            noise: true,
        }
    }
}

/// A sensor fault switched on (or all faults cleared) on one channel.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum SensorAction {
    Fault(Channel, Fault),
    Clear(Channel),
}

/// The sensor faults a timeline may switch: name, whether it takes a value, the value's meaning.
pub const SENSOR_FAULTS: &[(&str, &str)] = &[
    (
        "stuck",
        "the output freezes at its current value and stays flagged valid (the dangerous kind)",
    ),
    (
        "dropout",
        "no data: flagged invalid, the value holds the last output",
    ),
    ("offset", "constant error; `value` in the channel's unit"),
    (
        "drift",
        "error growing from now on; `value` in the channel's unit per hour",
    ),
    ("clear", "switch every fault on the channel off"),
];

/// A named interval over which signal means are reported.
#[derive(Clone, Debug, PartialEq)]
pub struct Window {
    pub name: String,
    pub start_s: f64,
    pub end_s: f64,
}

/// What is written out.
#[derive(Clone, Debug, PartialEq)]
pub struct Output {
    /// CSV sample interval, s.
    pub sample_interval_s: f64,
    /// Signals in the CSV and the human table; all when `None`.
    pub signals: Option<Vec<String>>,
    /// Length of the final window; default max(10 % of the duration, 60 s), capped at the run.
    pub final_window_s: Option<f64>,
}

impl Default for Output {
    fn default() -> Self {
        Output {
            sample_interval_s: 1.0,
            signals: None,
            final_window_s: None,
        }
    }
}

/// A parsed experiment file.
#[derive(Clone, Debug, PartialEq)]
pub struct Experiment {
    pub name: Option<String>,
    pub description: Option<String>,
    pub preset: Option<String>,
    /// Patient parameters overriding the preset (all of them when there is no preset).
    pub patient: Vec<(&'static str, f64)>,
    pub circuit: CircuitSpec,
    /// Initial settings overriding the preset's.
    pub settings: Vec<(&'static str, f64)>,
    pub sensors: SensorSpec,
    pub seed: u64,
    pub duration_s: f64,
    /// Sorted by time; entries at the same time keep file order.
    pub timeline: Vec<TimelineEntry>,
    pub windows: Vec<Window>,
    pub output: Output,
}

const TOP_KEYS: &[&str] = &[
    "name",
    "description",
    "preset",
    "seed",
    "duration_s",
    "patient",
    "circuit",
    "settings",
    "sensors",
    "timeline",
    "windows",
    "output",
];

const CIRCUIT_KEYS: &[&str] = &[
    "configuration",
    "drainage_fr",
    "return_fr",
    "tubing_length_m",
    "tubing_diameter_mm",
    "pump",
    "oxygenator",
    "coating",
];

fn names<T>(list: &[(&'static str, T)]) -> Vec<&'static str> {
    list.iter().map(|(n, _)| *n).collect()
}

fn event_kind_names() -> Vec<&'static str> {
    EventKind::names().collect()
}

/// An event table, `{ kind = "return_kink", severity = 0.8 }`, read against physio's event
/// table ([`physio::EVENTS`]): the kind's value field, its type and its range.
pub fn parse_event(path: &str, v: &Value) -> Result<Event, Error> {
    let Value::Table(t) = v else {
        return Err(Error::new(
            path,
            format!(
                "expected a table such as {{ kind = \"return_kink\", severity = 0.8 }}, found {}",
                kind(v)
            ),
        ));
    };
    let kind_path = join(path, "kind");
    let kind_name = match t.get("kind") {
        None => {
            return Err(Error::new(
                kind_path,
                format!("missing; one of: {}", event_kind_names().join(", ")),
            ));
        }
        Some(Value::String(s)) => s.as_str(),
        Some(other) => {
            return Err(Error::new(
                kind_path,
                format!("expected a string, found {}", kind(other)),
            ));
        }
    };
    let Some(ek) = EventKind::by_name(kind_name) else {
        return Err(Error::new(
            kind_path,
            format!(
                "unknown event `{kind_name}`; allowed: {}",
                event_kind_names().join(", ")
            ),
        ));
    };
    let spec = ek.spec();
    let arg = match spec.value {
        EventValue::None => {
            Table::new(path.to_string(), t, &["kind"])?;
            EventArg::None
        }
        EventValue::Flag => {
            let tab = Table::new(path.to_string(), t, &["kind", spec.field])?;
            EventArg::Flag(tab.bool_opt(spec.field)?.ok_or_else(|| {
                Error::new(
                    tab.at(spec.field),
                    format!("missing; required for `{kind_name}`, true or false"),
                )
            })?)
        }
        EventValue::Number(q) => {
            let tab = Table::new(path.to_string(), t, &["kind", spec.field])?;
            EventArg::Number(tab.f64_req(spec.field, q.min, q.max, q.unit)?)
        }
        EventValue::Patient => {
            let tab = Table::new(path.to_string(), t, &["kind", "param", spec.field])?;
            let settable: Vec<&str> = params::PATIENT_FIELDS
                .iter()
                .filter(|f| f.event.is_some())
                .map(|f| f.name)
                .collect();
            let pname = tab.str_opt("param")?.ok_or_else(|| {
                Error::new(
                    tab.at("param"),
                    format!("missing; one of: {}", settable.join(", ")),
                )
            })?;
            let Some((field, param)) =
                params::patient_field(pname).and_then(|f| f.event.map(|p| (f, p)))
            else {
                return Err(Error::new(
                    tab.at("param"),
                    format!(
                        "`{pname}` cannot be changed during a run; allowed: {}",
                        settable.join(", ")
                    ),
                ));
            };
            let value = tab.f64_req(spec.field, field.min, field.max, field.unit)?;
            EventArg::Patient(param, value)
        }
    };
    // The ranges were checked above with the same table, so this only builds the event.
    Event::new(ek, arg).map_err(|e| Error::new(path, e.to_string()))
}

fn parse_sensor_action(path: &str, v: &Value) -> Result<SensorAction, Error> {
    let tab = Table::from_value(path.to_string(), v, &["channel", "fault", "value"])?;
    let channels: Vec<&str> = Channel::ALL.iter().map(|c| c.spec().name).collect();
    let cname = tab.str_opt("channel")?.ok_or_else(|| {
        Error::new(
            tab.at("channel"),
            format!("missing; one of: {}", channels.join(", ")),
        )
    })?;
    let ch = Channel::by_name(cname).ok_or_else(|| {
        Error::new(
            tab.at("channel"),
            format!(
                "unknown channel `{cname}`; allowed: {}",
                channels.join(", ")
            ),
        )
    })?;
    let faults: Vec<&str> = SENSOR_FAULTS.iter().map(|(n, _)| *n).collect();
    let fname = tab.choice_opt("fault", &faults)?.ok_or_else(|| {
        Error::new(
            tab.at("fault"),
            format!("missing; one of: {}", faults.join(", ")),
        )
    })?;
    let unit = ch.spec().unit;
    let needs_value = matches!(fname, "offset" | "drift");
    if !needs_value && tab.get("value").is_some() {
        return Err(Error::new(
            tab.at("value"),
            format!("`{fname}` takes no value"),
        ));
    }
    // Any finite magnitude: the channel's measuring range bounds what it can show anyway.
    let value = if needs_value {
        tab.f64_req("value", -1e6, 1e6, unit)?
    } else {
        0.0
    };
    Ok(match fname {
        "stuck" => SensorAction::Fault(ch, Fault::Stuck),
        "dropout" => SensorAction::Fault(ch, Fault::Dropout),
        "offset" => SensorAction::Fault(ch, Fault::Offset(value)),
        "drift" => SensorAction::Fault(ch, Fault::Drift(value)),
        _ => SensorAction::Clear(ch),
    })
}

/// Read a table of settings (`[settings]` or a timeline `set`).
fn parse_settings(tab: &Table) -> Result<Vec<(&'static str, f64)>, Error> {
    let mut out = Vec::new();
    for f in params::SETTING_FIELDS {
        if let Some(x) = tab.f64_opt(f.name, f.min, f.max, f.unit)? {
            out.push((f.name, x));
        }
    }
    Ok(out)
}

fn setting_names() -> Vec<&'static str> {
    params::SETTING_FIELDS.iter().map(|f| f.name).collect()
}

fn patient_names() -> Vec<&'static str> {
    params::PATIENT_FIELDS.iter().map(|f| f.name).collect()
}

impl Experiment {
    /// Read and fully check a file: syntax, ranges, and names against the twin's catalogue.
    pub fn load(path: &std::path::Path) -> Result<Experiment, Error> {
        let text = std::fs::read_to_string(path)
            .map_err(|e| Error::new("", format!("cannot read the file: {e}")))?;
        Experiment::from_toml(&text)
    }

    /// [`Experiment::parse`] followed by [`Experiment::twin_config`].
    pub fn from_toml(text: &str) -> Result<Experiment, Error> {
        let exp = Experiment::parse(text)?;
        exp.twin_config()?;
        Ok(exp)
    }

    /// Check syntax, types, ranges and unknown fields. Names of presets, pumps and oxygenators
    /// are checked by [`Experiment::twin_config`].
    pub fn parse(text: &str) -> Result<Experiment, Error> {
        let doc: toml::Table = text
            .parse()
            .map_err(|e: toml::de::Error| Error::new("", format!("not valid TOML: {e}")))?;
        let top = Table::new(String::new(), &doc, TOP_KEYS)?;

        let name = top.str_opt("name")?.map(str::to_string);
        let description = top.str_opt("description")?.map(str::to_string);
        let preset = top.str_opt("preset")?.map(str::to_string);
        let seed = top.u64_opt("seed")?.unwrap_or(0);
        let duration_s = top.f64_opt("duration_s", f64::MIN, f64::MAX, "s")?;
        let duration_s = match duration_s {
            None => {
                return Err(Error::new(
                    "duration_s",
                    format!(
                        "missing; required, a run length in seconds, allowed >0..={}",
                        num(MAX_DURATION_S)
                    ),
                ));
            }
            Some(d) if d <= 0.0 || d > MAX_DURATION_S => {
                return Err(Error::new(
                    "duration_s",
                    format!(
                        "{} is out of range: allowed >0..={} s (30 days)",
                        num(d),
                        num(MAX_DURATION_S)
                    ),
                ));
            }
            Some(d) => d,
        };
        // A run shorter than one step would record nothing.
        if duration_s < Twin::DT_S {
            return Err(Error::new(
                "duration_s",
                format!("must be at least one twin step ({} s)", Twin::DT_S),
            ));
        }

        // [patient]
        let mut patient = Vec::new();
        if let Some(v) = top.get("patient") {
            let allowed = patient_names();
            let tab = Table::from_value("patient".into(), v, &allowed)?;
            for f in params::PATIENT_FIELDS {
                if let Some(x) = tab.f64_opt(f.name, f.min, f.max, f.unit)? {
                    patient.push((f.name, x));
                }
            }
        }
        if preset.is_none()
            && let Some(f) = params::PATIENT_FIELDS
                .iter()
                .find(|f| !patient.iter().any(|(n, _)| *n == f.name))
        {
            return Err(Error::new(
                format!("patient.{}", f.name),
                format!(
                    "missing; without a `preset` every patient parameter is required ({}..={} {})",
                    num(f.min),
                    num(f.max),
                    f.unit
                ),
            ));
        }

        // [circuit]
        let mut circuit = CircuitSpec::default();
        if let Some(v) = top.get("circuit") {
            let tab = Table::from_value("circuit".into(), v, CIRCUIT_KEYS)?;
            if let Some(c) = tab.choice_opt("configuration", &names(CONFIGURATIONS))? {
                circuit.configuration = CONFIGURATIONS
                    .iter()
                    .find(|(n, _)| *n == c)
                    .map(|(_, c)| *c);
            }
            let (lo, hi) = params::circuit::drainage_fr();
            circuit.drainage_fr = tab.f64_opt("drainage_fr", lo, hi, "Fr")?;
            let (lo, hi) = params::circuit::return_fr();
            circuit.return_fr = tab.f64_opt("return_fr", lo, hi, "Fr")?;
            let (lo, hi) = params::circuit::TUBING_LENGTH_M;
            circuit.tubing_length_m = tab.f64_opt("tubing_length_m", lo, hi, "m")?;
            let (lo, hi) = params::circuit::TUBING_DIAMETER_MM;
            circuit.tubing_diameter_mm = tab.f64_opt("tubing_diameter_mm", lo, hi, "mm")?;
            circuit.pump = tab.str_opt("pump")?.map(str::to_string);
            circuit.oxygenator = tab.str_opt("oxygenator")?.map(str::to_string);
            if let Some(c) = tab.choice_opt("coating", &names(COATINGS))? {
                circuit.coating = COATINGS.iter().find(|(n, _)| *n == c).map(|(_, c)| *c);
            }
        }

        // [settings]
        let mut settings = Vec::new();
        if let Some(v) = top.get("settings") {
            let allowed = setting_names();
            let tab = Table::from_value("settings".into(), v, &allowed)?;
            settings = parse_settings(&tab)?;
        }

        // [sensors]
        let mut sensors = SensorSpec::default();
        if let Some(v) = top.get("sensors") {
            let tab = Table::from_value("sensors".into(), v, &["enabled", "noise"])?;
            if let Some(b) = tab.bool_opt("enabled")? {
                sensors.enabled = b;
            }
            if let Some(b) = tab.bool_opt("noise")? {
                sensors.noise = b;
            }
        }

        // [[timeline]]
        let mut timeline = Vec::new();
        if let Some(v) = top.get("timeline") {
            let Value::Array(items) = v else {
                return Err(Error::new(
                    "timeline",
                    format!(
                        "expected an array of tables ([[timeline]] entries), found {}",
                        kind(v)
                    ),
                ));
            };
            for (i, item) in items.iter().enumerate() {
                let path = format!("timeline[{i}]");
                let tab = Table::from_value(path, item, &["at", "set", "event", "sensor"])?;
                let at_path = tab.at("at");
                let at = match tab.get("at") {
                    None => {
                        return Err(Error::new(
                            at_path,
                            format!(
                                "missing; the time of this entry in seconds, 0..={}",
                                num(duration_s)
                            ),
                        ));
                    }
                    Some(v) => as_f64(&at_path, v, "s")?,
                };
                if at < 0.0 {
                    return Err(Error::new(
                        at_path,
                        format!(
                            "{} is negative: times count from the start of the run, allowed 0..={} s",
                            num(at),
                            num(duration_s)
                        ),
                    ));
                }
                let at = in_range(&at_path, at, 0.0, duration_s, "s (the run's duration)")?;
                let set = match tab.get("set") {
                    None => Vec::new(),
                    Some(v) => {
                        let allowed = setting_names();
                        let st = Table::from_value(tab.at("set"), v, &allowed)?;
                        if st.is_empty() {
                            return Err(Error::new(
                                tab.at("set"),
                                format!("is empty; give one or more of: {}", allowed.join(", ")),
                            ));
                        }
                        parse_settings(&st)?
                    }
                };
                let event = match tab.get("event") {
                    None => None,
                    Some(v) => Some(parse_event(&tab.at("event"), v)?),
                };
                let sensor = match tab.get("sensor") {
                    None => None,
                    Some(v) => {
                        if !sensors.enabled {
                            return Err(Error::new(
                                tab.at("sensor"),
                                "sensor faults need `[sensors] enabled = true`",
                            ));
                        }
                        Some(parse_sensor_action(&tab.at("sensor"), v)?)
                    }
                };
                if set.is_empty() && event.is_none() && sensor.is_none() {
                    return Err(Error::new(
                        tab.path.clone(),
                        "does nothing: give `set = { ... }`, `event = { kind = ..., ... }` and/or `sensor = { channel = ..., fault = ... }`",
                    ));
                }
                timeline.push(TimelineEntry {
                    index: i,
                    at_s: at,
                    set,
                    event,
                    sensor,
                });
            }
        }
        // Stable: entries at the same time keep their file order.
        timeline.sort_by(|a, b| a.at_s.total_cmp(&b.at_s));

        // [windows]
        let mut windows = Vec::new();
        if let Some(v) = top.get("windows") {
            let Value::Table(t) = v else {
                return Err(Error::new(
                    "windows",
                    format!(
                        "expected a table of name = [start_s, end_s], found {}",
                        kind(v)
                    ),
                ));
            };
            for (wname, wv) in t {
                let path = format!("windows.{wname}");
                if wname == "final" {
                    return Err(Error::new(
                        path,
                        "the name `final` is reserved for the final window; set its length with output.final_window_s",
                    ));
                }
                let pair = match wv {
                    Value::Array(a) if a.len() == 2 => a,
                    other => {
                        return Err(Error::new(
                            path,
                            format!(
                                "expected [start_s, end_s] (two numbers), found {}",
                                match other {
                                    Value::Array(a) => format!("an array of {}", a.len()),
                                    o => kind(o).to_string(),
                                }
                            ),
                        ));
                    }
                };
                let sp = format!("{path}[0]");
                let ep = format!("{path}[1]");
                let start = as_f64(&sp, &pair[0], "s")?;
                let end = as_f64(&ep, &pair[1], "s")?;
                let start = in_range(&sp, start, 0.0, duration_s, "s (the run's duration)")?;
                let end = in_range(&ep, end, 0.0, duration_s, "s (the run's duration)")?;
                if end <= start {
                    return Err(Error::new(
                        path,
                        format!("end ({}) must be after start ({})", num(end), num(start)),
                    ));
                }
                if end - start < crate::run::STATS_INTERVAL_S {
                    return Err(Error::new(
                        path,
                        format!(
                            "is shorter than the {} s statistics interval; make it longer",
                            crate::run::STATS_INTERVAL_S
                        ),
                    ));
                }
                windows.push(Window {
                    name: wname.clone(),
                    start_s: start,
                    end_s: end,
                });
            }
        }

        // [output]
        let mut output = Output::default();
        if let Some(v) = top.get("output") {
            let tab = Table::from_value(
                "output".into(),
                v,
                &["sample_interval_s", "signals", "final_window_s"],
            )?;
            if let Some(x) = tab.f64_opt("sample_interval_s", Twin::DT_S, duration_s, "s")? {
                output.sample_interval_s = x;
            }
            output.final_window_s = tab.f64_opt(
                "final_window_s",
                crate::run::STATS_INTERVAL_S,
                duration_s,
                "s",
            )?;
            if let Some(v) = tab.get("signals") {
                let p = tab.at("signals");
                let Value::Array(a) = v else {
                    return Err(Error::new(
                        p,
                        format!("expected an array of signal names, found {}", kind(v)),
                    ));
                };
                let mut list = Vec::new();
                for (i, s) in a.iter().enumerate() {
                    let ip = format!("{p}[{i}]");
                    let Value::String(s) = s else {
                        return Err(Error::new(
                            ip,
                            format!("expected a signal name, found {}", kind(s)),
                        ));
                    };
                    let known = signals::find(s).is_some()
                        || (sensors.enabled
                            && signals::sensor_signals().iter().any(|x| x.name == *s));
                    if !known {
                        let hint = if s.starts_with("sensor_") && !sensors.enabled {
                            "sensor signals need `[sensors] enabled = true`".to_string()
                        } else {
                            format!(
                                "see docs/experiments.md; allowed: {}",
                                signals::names().join(", ")
                            )
                        };
                        return Err(Error::new(ip, format!("unknown signal `{s}`; {hint}")));
                    }
                    list.push(s.clone());
                }
                if list.is_empty() {
                    return Err(Error::new(
                        p,
                        "is empty; leave it out to record every signal",
                    ));
                }
                output.signals = Some(list);
            }
        }

        Ok(Experiment {
            name,
            description,
            preset,
            patient,
            circuit,
            settings,
            sensors,
            seed,
            duration_s,
            timeline,
            windows,
            output,
        })
    }

    /// Length of the final window, s: `output.final_window_s` if given, else the longer of
    /// 10 % of the run and 60 s, never longer than the run.
    pub fn final_window_s(&self) -> f64 {
        self.output
            .final_window_s
            .unwrap_or((0.1 * self.duration_s).max(60.0))
            .min(self.duration_s)
    }

    /// The final window followed by the named windows.
    pub fn all_windows(&self) -> Vec<Window> {
        let mut w = vec![Window {
            name: "final".into(),
            start_s: self.duration_s - self.final_window_s(),
            end_s: self.duration_s,
        }];
        w.extend(self.windows.iter().cloned());
        w
    }
}
