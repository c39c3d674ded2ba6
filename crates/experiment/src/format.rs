//! The experiment file (TOML): what it may contain and how it is checked.
//!
//! Parsing is two-staged. [`Experiment::parse`] checks syntax, types, ranges and unknown fields
//! without touching the twin (serde derive through the `input` crate: every error names the
//! line and the field); [`Experiment::twin_config`] resolves names (preset, pump,
//! oxygenator) against the twin's catalogue and builds the configuration. [`Experiment::load`]
//! does both, so a file that loads will start.
use crate::error::Error;
use crate::event_file::EventFile;
use crate::params;
use crate::params::circuit;
use crate::signals;
use input::de::{Finite, Number, Numbers, Range, lookup};
use input::num;
use input::toml::{Spanned, at, within};
use physio::coagulation::Coating;
use physio::prime::Prime;
use physio::sensors::{Channel, Fault};
use physio::{Configuration, Event, Twin};
use serde::Deserialize;
use serde::de::{self, DeserializeSeed, Deserializer};

/// The longest run a file may ask for: 30 days.
pub const MAX_DURATION_S: f64 = 30.0 * 86_400.0;

/// Names of the circuit configurations as written in files.
pub const CONFIGURATIONS: &[(&str, Configuration)] = &[
    ("none", Configuration::None),
    ("vv-femoro-jugular", Configuration::VvFemoroJugular),
    ("vv-femoro-femoral", Configuration::VvFemoroFemoral),
    ("va-femoral", Configuration::VaFemoral),
    ("va-central", Configuration::VaCentral),
    ("va-axillary", Configuration::VaAxillary),
    ("vv-dual-lumen", Configuration::VvDualLumen),
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
    pub drainage_depth_cm: Option<f64>,
    pub return_depth_cm: Option<f64>,
    pub return_jet_angle_deg: Option<f64>,
    pub pump: Option<String>,
    pub oxygenator: Option<String>,
    pub coating: Option<Coating>,
    /// What a new circuit holds before flow starts (`physio::prime`).
    pub prime: Option<Prime>,
    /// Hb of a blood prime, g/dL (only with `prime = "blood"`).
    pub prime_hb_g_dl: Option<f64>,
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

impl Experiment {
    /// Read and fully check a file: syntax, ranges, and names against the twin's catalogue.
    /// The file is read through the bounded reader ([`input::read::EXPERIMENT`]); every error
    /// names the file, the line and the field.
    pub fn load(path: &std::path::Path) -> Result<Experiment, Error> {
        let text = input::read::read_to_string(path, input::read::EXPERIMENT)?;
        Experiment::from_toml(&text).map_err(|e| e.in_file(path.display()))
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
        let file: File = input::toml::from_str(text)?;
        file.check(text)
    }
}

/// The file as serde reads it: structure, types, unknown fields and every range that does not
/// depend on another field. [`File::check`] does the rest (times within the duration, sensor
/// faults only with sensors on, patient complete without a preset).
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct File {
    name: Option<String>,
    description: Option<String>,
    preset: Option<String>,
    seed: Option<u64>,
    duration_s: Option<Spanned<Finite>>,
    patient: Option<PatientTable>,
    #[serde(default)]
    circuit: CircuitFile,
    settings: Option<Settings>,
    #[serde(default)]
    sensors: SensorsFile,
    #[serde(default)]
    timeline: Vec<Spanned<TimelineFile>>,
    #[serde(default)]
    windows: Windows,
    #[serde(default)]
    output: OutputFile,
}

/// `[patient]`: keys and ranges from the twin's patient table. Scenarios read their patient
/// with it too.
pub struct PatientTable(pub Vec<(&'static str, f64)>);

impl<'de> Deserialize<'de> for PatientTable {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let key = |f: &params::PatientField| (f.name, Range::closed(f.min, f.max, f.unit));
        field_values(d, params::PATIENT_FIELDS, key).map(PatientTable)
    }
}

/// Named numbers of a field table, each within its field's range, as `(name, value)` pairs.
fn field_values<'de, D: Deserializer<'de>, F>(
    d: D,
    fields: &[F],
    key: impl Fn(&F) -> (&'static str, Range),
) -> Result<Vec<(&'static str, f64)>, D::Error> {
    let keys: Vec<_> = fields.iter().map(key).collect();
    let values = Numbers(&keys).deserialize(d)?;
    Ok(values.into_iter().map(|(i, x)| (keys[i].0, x)).collect())
}

/// `[settings]` and a timeline's `set`: keys and ranges from the twin's actuation table.
struct Settings(Vec<(&'static str, f64)>);

impl<'de> Deserialize<'de> for Settings {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let key = |f: &params::SettingField| (f.name, Range::closed(f.min, f.max, f.unit));
        field_values(d, params::SETTING_FIELDS, key).map(Settings)
    }
}

/// A closed range from a `(min, max)` pair.
const fn range_of((lo, hi): (f64, f64), unit: &'static str) -> Range {
    Range::closed(lo, hi, unit)
}

input::ranged!(drainage_fr, range_of(circuit::drainage_fr(), "Fr"));
input::ranged!(return_fr, range_of(circuit::return_fr(), "Fr"));
input::ranged!(drainage_depth, range_of(circuit::DRAINAGE_DEPTH_CM, "cm"));
input::ranged!(return_depth, range_of(circuit::RETURN_DEPTH_CM, "cm"));
input::ranged!(jet_angle, range_of(circuit::RETURN_JET_ANGLE_DEG, "°"));
input::ranged!(tubing_length, range_of(circuit::TUBING_LENGTH_M, "m"));
input::ranged!(tubing_diameter, range_of(circuit::TUBING_DIAMETER_MM, "mm"));
input::ranged!(prime_hb, range_of(circuit::PRIME_HB_G_DL, "g/dL"));

fn prime<'de, D: Deserializer<'de>>(d: D) -> Result<Option<Prime>, D::Error> {
    let name = String::deserialize(d)?;
    let names = Prime::NAMES.iter().map(|&n| (n, n));
    lookup(names, "value", &name)
        .map(Prime::by_name)
        .map_err(de::Error::custom)
}

fn configuration<'de, D: Deserializer<'de>>(d: D) -> Result<Option<Configuration>, D::Error> {
    let name = String::deserialize(d)?;
    lookup(CONFIGURATIONS.iter().copied(), "value", &name)
        .map(Some)
        .map_err(de::Error::custom)
}

fn coating<'de, D: Deserializer<'de>>(d: D) -> Result<Option<Coating>, D::Error> {
    let name = String::deserialize(d)?;
    lookup(COATINGS.iter().copied(), "value", &name)
        .map(Some)
        .map_err(de::Error::custom)
}

/// `[circuit]`, as experiment and scenario files write it.
#[derive(Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CircuitFile {
    #[serde(default, deserialize_with = "configuration")]
    configuration: Option<Configuration>,
    #[serde(default, deserialize_with = "drainage_fr")]
    drainage_fr: Option<f64>,
    #[serde(default, deserialize_with = "return_fr")]
    return_fr: Option<f64>,
    #[serde(default, deserialize_with = "tubing_length")]
    tubing_length_m: Option<f64>,
    #[serde(default, deserialize_with = "tubing_diameter")]
    tubing_diameter_mm: Option<f64>,
    #[serde(default, deserialize_with = "drainage_depth")]
    drainage_depth_cm: Option<f64>,
    #[serde(default, deserialize_with = "return_depth")]
    return_depth_cm: Option<f64>,
    #[serde(default, deserialize_with = "jet_angle")]
    return_jet_angle_deg: Option<f64>,
    pump: Option<String>,
    oxygenator: Option<String>,
    #[serde(default, deserialize_with = "coating")]
    coating: Option<Coating>,
    #[serde(default, deserialize_with = "prime")]
    prime: Option<Prime>,
    #[serde(default, deserialize_with = "prime_hb")]
    prime_hb_g_dl: Option<f64>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields, default)]
struct SensorsFile {
    enabled: bool,
    noise: bool,
}

impl Default for SensorsFile {
    fn default() -> Self {
        let d = SensorSpec::default();
        SensorsFile {
            enabled: d.enabled,
            noise: d.noise,
        }
    }
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct TimelineFile {
    at: Option<Spanned<Finite>>,
    set: Option<Spanned<Settings>>,
    event: Option<EventFile>,
    sensor: Option<Spanned<SensorFile>>,
}

/// `sensor = { channel = ..., fault = ..., value = ... }`, checked as a whole (whether `value`
/// is needed depends on the fault).
#[derive(Deserialize)]
#[serde(try_from = "RawSensor")]
struct SensorFile(SensorAction);

/// A sensor fault as files write it, `{ channel = ..., fault = ..., value = ... }`, before it is
/// checked against a vocabulary of channels and faults (the twin's sensors here, the control
/// core's channels in training scenarios).
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawSensor {
    channel: Option<String>,
    fault: Option<String>,
    value: Option<toml::Value>,
}

impl RawSensor {
    /// The channel (one of `channels`), the fault (one of `faults`) and its value: `range`
    /// gives the value's range for a fault that takes one, `None` for one that takes none.
    /// Errors name the key they are about ([`input::de::about`]).
    pub fn resolve<C: Copy>(
        self,
        channels: &[(&'static str, C)],
        faults: &[&'static str],
        range: impl Fn(&str, C) -> Option<Range>,
    ) -> Result<(C, &'static str, f64), String> {
        let sub = |key: &str, m: String| input::de::about(key, m);
        let names = |l: &mut dyn Iterator<Item = &str>| l.collect::<Vec<_>>().join(", ");
        let cname = self.channel.ok_or_else(|| {
            let all = names(&mut channels.iter().map(|(n, _)| *n));
            sub("channel", format!("missing; one of: {all}"))
        })?;
        let ch =
            lookup(channels.iter().copied(), "channel", &cname).map_err(|m| sub("channel", m))?;
        let fname = self
            .fault
            .ok_or_else(|| sub("fault", format!("missing; one of: {}", faults.join(", "))))?;
        let fault = lookup(faults.iter().map(|f| (*f, *f)), "fault", &fname)
            .map_err(|m| sub("fault", m))?;
        let value = match (range(fault, ch), self.value) {
            (None, None) => 0.0,
            (None, Some(_)) => return Err(sub("value", format!("`{fault}` takes no value"))),
            (Some(r), None) => return Err(sub("value", format!("missing; required, {r}"))),
            (Some(r), Some(v)) => Number(r)
                .deserialize(v)
                .map_err(|e: toml::de::Error| sub("value", e.message().to_string()))?,
        };
        Ok((ch, fault, value))
    }
}

impl TryFrom<RawSensor> for SensorFile {
    type Error = String;
    fn try_from(r: RawSensor) -> Result<Self, String> {
        let channels: Vec<_> = Channel::ALL.iter().map(|c| (c.spec().name, *c)).collect();
        let faults: Vec<&str> = SENSOR_FAULTS.iter().map(|(n, _)| *n).collect();
        // Any finite magnitude: the channel's measuring range bounds what it can show anyway.
        let (ch, fault, value) = r.resolve(&channels, &faults, |f, ch| {
            matches!(f, "offset" | "drift").then(|| Range::closed(-1e6, 1e6, ch.spec().unit))
        })?;
        Ok(SensorFile(match fault {
            "stuck" => SensorAction::Fault(ch, Fault::Stuck),
            "dropout" => SensorAction::Fault(ch, Fault::Dropout),
            "offset" => SensorAction::Fault(ch, Fault::Offset(value)),
            "drift" => SensorAction::Fault(ch, Fault::Drift(value)),
            _ => SensorAction::Clear(ch),
        }))
    }
}

/// `[windows]`: `name = [start_s, end_s]`, in file order.
#[derive(Default)]
struct Windows(Vec<(String, Spanned<Vec<Finite>>)>);

impl<'de> Deserialize<'de> for Windows {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> de::Visitor<'de> for V {
            type Value = Windows;
            fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                write!(f, "a table of name = [start_s, end_s]")
            }
            fn visit_map<A: de::MapAccess<'de>>(self, mut map: A) -> Result<Windows, A::Error> {
                let mut out = Vec::new();
                while let Some(name) = map.next_key::<String>()? {
                    let pair: Spanned<Vec<Finite>> = map.next_value()?;
                    out.push((name, pair));
                }
                Ok(Windows(out))
            }
        }
        d.deserialize_map(V)
    }
}

#[derive(Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct OutputFile {
    sample_interval_s: Option<Spanned<Finite>>,
    signals: Option<Spanned<Vec<Spanned<String>>>>,
    final_window_s: Option<Spanned<Finite>>,
}

impl File {
    /// The checks that need more than one field, each error at the line of its field.
    fn check(self, text: &str) -> Result<Experiment, Error> {
        let duration_s = match &self.duration_s {
            None => {
                return Err(Error::new(
                    "duration_s",
                    format!(
                        "missing; required, a run length in seconds, allowed >0..={}",
                        num(MAX_DURATION_S)
                    ),
                ));
            }
            Some(d) => {
                let range = Range::above(0.0, MAX_DURATION_S, "s (30 days)");
                within(text, d, "duration_s", range)?
            }
        };
        // A run shorter than one step would record nothing.
        if duration_s < Twin::DT_S {
            return Err(Error::new(
                "duration_s",
                format!("must be at least one twin step ({} s)", Twin::DT_S),
            ));
        }
        let run = Range::closed(0.0, duration_s, "s (the run's duration)");

        let base = Experiment::base(
            self.preset,
            self.seed,
            self.patient,
            self.circuit,
            duration_s,
        )?;
        let sensors = SensorSpec {
            enabled: self.sensors.enabled,
            noise: self.sensors.noise,
        };

        let mut timeline = Vec::new();
        for (i, item) in self.timeline.into_iter().enumerate() {
            let path = format!("timeline[{i}]");
            let span = item.span();
            let t = item.into_inner();
            let at_s = match &t.at {
                None => {
                    return Err(at(
                        text,
                        span,
                        format!("{path}.at"),
                        format!(
                            "missing; the time of this entry in seconds, 0..={}",
                            num(duration_s)
                        ),
                    ));
                }
                Some(x) if x.get_ref().0 < 0.0 => {
                    return Err(at(
                        text,
                        x.span(),
                        format!("{path}.at"),
                        format!(
                            "{} is negative: times count from the start of the run, allowed 0..={} s",
                            num(x.get_ref().0),
                            num(duration_s)
                        ),
                    ));
                }
                Some(x) => within(text, x, format!("{path}.at"), run)?,
            };
            let set = match t.set {
                None => Vec::new(),
                Some(s) if s.get_ref().0.is_empty() => {
                    return Err(at(
                        text,
                        s.span(),
                        format!("{path}.set"),
                        format!("is empty; give one or more of: {}", params::setting_names()),
                    ));
                }
                Some(s) => s.into_inner().0,
            };
            let sensor = match t.sensor {
                Some(s) if !sensors.enabled => {
                    return Err(at(
                        text,
                        s.span(),
                        format!("{path}.sensor"),
                        "sensor faults need `[sensors] enabled = true`",
                    ));
                }
                s => s.map(|s| s.into_inner().0),
            };
            let event = t.event.map(|e| e.0);
            if set.is_empty() && event.is_none() && sensor.is_none() {
                return Err(at(
                    text,
                    span,
                    path,
                    "does nothing: give `set = { ... }`, `event = { kind = ..., ... }` and/or `sensor = { channel = ..., fault = ... }`",
                ));
            }
            timeline.push(TimelineEntry {
                index: i,
                at_s,
                set,
                event,
                sensor,
            });
        }
        // Stable: entries at the same time keep their file order.
        timeline.sort_by(|a, b| a.at_s.total_cmp(&b.at_s));

        let mut windows = Vec::new();
        for (name, pair) in self.windows.0 {
            let path = format!("windows.{name}");
            let span = pair.span();
            if name == "final" {
                return Err(at(
                    text,
                    span,
                    path,
                    "the name `final` is reserved for the final window; set its length with output.final_window_s",
                ));
            }
            let [start, end] = pair.get_ref()[..] else {
                return Err(at(
                    text,
                    span,
                    path,
                    format!(
                        "expected [start_s, end_s] (two numbers), found an array of {}",
                        pair.get_ref().len()
                    ),
                ));
            };
            let check = |x: Finite, i: usize| {
                run.check(x.0)
                    .map_err(|m| at(text, span.clone(), format!("{path}[{i}]"), m))
            };
            let (start, end) = (check(start, 0)?, check(end, 1)?);
            if end <= start {
                return Err(at(
                    text,
                    span,
                    path,
                    format!("end ({}) must be after start ({})", num(end), num(start)),
                ));
            }
            if end - start < crate::run::STATS_INTERVAL_S {
                return Err(at(
                    text,
                    span,
                    path,
                    format!(
                        "is shorter than the {} s statistics interval; make it longer",
                        crate::run::STATS_INTERVAL_S
                    ),
                ));
            }
            windows.push(Window {
                name,
                start_s: start,
                end_s: end,
            });
        }

        let o = self.output;
        let mut output = Output::default();
        if let Some(x) = &o.sample_interval_s {
            let range = Range::closed(Twin::DT_S, duration_s, "s");
            output.sample_interval_s = within(text, x, "output.sample_interval_s", range)?;
        }
        if let Some(x) = &o.final_window_s {
            let range = Range::closed(crate::run::STATS_INTERVAL_S, duration_s, "s");
            output.final_window_s = Some(within(text, x, "output.final_window_s", range)?);
        }
        if let Some(list) = o.signals {
            let span = list.span();
            let list = list.into_inner();
            if list.is_empty() {
                return Err(at(
                    text,
                    span,
                    "output.signals",
                    "is empty; leave it out to record every signal",
                ));
            }
            let mut names = Vec::new();
            for (i, s) in list.into_iter().enumerate() {
                let known = signals::find(s.get_ref()).is_some()
                    || (sensors.enabled
                        && signals::sensor_signals()
                            .iter()
                            .any(|x| x.name == *s.get_ref()));
                if !known {
                    let hint = if s.get_ref().starts_with("sensor_") && !sensors.enabled {
                        "sensor signals need `[sensors] enabled = true`".to_string()
                    } else {
                        format!(
                            "see docs/experiments.md; allowed: {}",
                            signals::names().join(", ")
                        )
                    };
                    return Err(at(
                        text,
                        s.span(),
                        format!("output.signals[{i}]"),
                        format!("unknown signal `{}`; {hint}", s.get_ref()),
                    ));
                }
                names.push(s.into_inner());
            }
            output.signals = Some(names);
        }

        Ok(Experiment {
            name: self.name,
            description: self.description,
            settings: self.settings.map(|s| s.0).unwrap_or_default(),
            sensors,
            timeline,
            windows,
            output,
            ..base
        })
    }
}

impl Experiment {
    /// An experiment of `duration_s` with only a patient and a circuit (nothing happens): what
    /// a training scenario starts from. Without a preset the patient must be complete.
    pub fn base(
        preset: Option<String>,
        seed: Option<u64>,
        patient: Option<PatientTable>,
        circuit: CircuitFile,
        duration_s: f64,
    ) -> Result<Experiment, Error> {
        let patient = patient.map(|p| p.0).unwrap_or_default();
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
        let c = circuit;
        Ok(Experiment {
            name: None,
            description: None,
            preset,
            patient,
            circuit: CircuitSpec {
                configuration: c.configuration,
                drainage_fr: c.drainage_fr,
                return_fr: c.return_fr,
                tubing_length_m: c.tubing_length_m,
                tubing_diameter_mm: c.tubing_diameter_mm,
                drainage_depth_cm: c.drainage_depth_cm,
                return_depth_cm: c.return_depth_cm,
                return_jet_angle_deg: c.return_jet_angle_deg,
                pump: c.pump,
                oxygenator: c.oxygenator,
                coating: c.coating,
                prime: c.prime,
                prime_hb_g_dl: c.prime_hb_g_dl,
            },
            settings: Vec::new(),
            sensors: SensorSpec::default(),
            seed: seed.unwrap_or(0),
            duration_s,
            timeline: Vec::new(),
            windows: Vec::new(),
            output: Output::default(),
        })
    }
}

impl Experiment {
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
