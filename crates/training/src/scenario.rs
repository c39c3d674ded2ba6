//! The scenario file (TOML, docs/scenarios.md): patient and circuit, starting console settings,
//! a timeline, conditional triggers, learning objectives, expected actions and outcomes with
//! points, and a model answer (the scripted good trainee).
//!
//! Patient and circuit are read by the experiment crate's own parser (same keys, same errors),
//! so a scenario's patient is written exactly like an experiment's. Everything else is checked
//! here, field by field: unknown keys, types, ranges, and names (anchors, signals, alarms,
//! actions) are refused with the dotted path of the field and what is allowed.
use crate::action::Action;
use crate::names::{self, Signal};
use control::{AlarmId, Channel, Group, Mode, SETTINGS, SWITCHES, Setting, SettingSpec, Switch};
use experiment::Error;
use experiment::reader::{Table, kind};
use physio::{Event, TwinConfig};
use sil::ChannelFault;
use toml::Value;

/// The longest scenario: 24 h of simulated time (long clinical courses are compressed by
/// starting them part-way, e.g. with a membrane already half clotted).
pub const MAX_DURATION_S: f64 = 86_400.0;

/// Something that happens to the patient, the circuit or a sensor, or a note to the instructor.
#[derive(Clone, Debug, PartialEq)]
pub enum Happening {
    Event(Event),
    Sensor(Channel, ChannelFault),
    /// Shown to the instructor (and in the debrief), changes nothing.
    Remark(String),
}

impl Happening {
    pub fn describe(&self) -> String {
        match self {
            Happening::Event(e) => describe_event(e),
            Happening::Sensor(c, f) => {
                let name = CHANNELS
                    .iter()
                    .find(|(_, ch)| ch == c)
                    .map_or("a", |(n, _)| n);
                let what = match f {
                    ChannelFault::None => "repaired (fault cleared)".to_string(),
                    ChannelFault::Dropout => "dropout (no reading)".to_string(),
                    ChannelFault::Stuck => "stuck at its last value".to_string(),
                    ChannelFault::Offset(x) => format!("offset by {x}"),
                    ChannelFault::Drift(x) => format!("drifting by {x} per hour"),
                    ChannelFault::Gain(x) => format!("gain error ×{x}"),
                };
                format!("{name} sensor {what}")
            }
            Happening::Remark(r) => r.clone(),
        }
    }
}

/// An event in words, for the instructor's log and the debrief.
pub fn describe_event(e: &Event) -> String {
    use physio::PatientParam as P;
    match *e {
        Event::DrainageKink(0.0) => "drainage line straightened".into(),
        Event::DrainageKink(x) => format!("drainage line kinked (severity {x:.2})"),
        Event::ReturnKink(0.0) => "return line straightened".into(),
        Event::ReturnKink(x) => format!("return line kinked (severity {x:.2})"),
        Event::AirEntrainment(0.0) => "air entry closed".into(),
        Event::AirEntrainment(x) => format!("air entering the drainage line, {x:.0} mL/min"),
        Event::PumpFailure(true) => "pump motor failed".into(),
        Event::PumpFailure(false) => "pump motor repaired".into(),
        Event::PowerLoss(true) => "mains power lost".into(),
        Event::PowerLoss(false) => "mains power restored".into(),
        Event::OxygenatorFailure(x) => {
            format!("oxygenator membrane function lost: {:.0} %", x * 100.0)
        }
        Event::Volume(x) if x >= 0.0 => format!("{x:.0} mL given"),
        Event::Volume(x) => format!("{:.0} mL lost", -x),
        Event::Bleeding(0.0) => "bleeding stopped".into(),
        Event::Bleeding(x) => format!("bleeding {x:.0} mL/min"),
        Event::HeparinBolus(u) => format!("heparin bolus {u:.0} U"),
        Event::HeparinInfusion(u) => format!("heparin infusion {u:.0} U/h"),
        Event::SetPatient(p, x) => format!(
            "{} set to {x}",
            match p {
                P::HeartRate => "heart rate",
                P::LvEmax => "LV contractility (Emax)",
                P::RvEmax => "RV contractility (Emax)",
                P::Svr => "systemic vascular resistance",
                P::Pvr => "pulmonary vascular resistance",
                P::Vo2 => "O2 consumption",
                P::AlveolarVentilation => "alveolar ventilation",
                P::Fio2 => "ventilator FiO2",
                P::ShuntFraction => "pulmonary shunt fraction",
                P::Temperature => "temperature",
            }
        ),
        Event::OxygenatorClot(0.0) => "new oxygenator".into(),
        Event::OxygenatorClot(x) => format!("oxygenator clot burden {:.0} %", x * 100.0),
        Event::PumpClot(0.0) => "new pump head".into(),
        Event::PumpClot(x) => format!("pump head thrombus {:.0} %", x * 100.0),
        Event::DeAir => "circuit de-aired".into(),
        Event::Battery(x) => format!("battery charge set to {:.0} %", x * 100.0),
        Event::ManualDrive(0.0) => "pump head back on the motor".into(),
        Event::ManualDrive(x) => format!("pump head on the hand crank at {x:.0} rpm"),
        Event::CannulaMigration(true) => "drainage cannula migrated toward the heart".into(),
        Event::CannulaMigration(false) => "drainage cannula back in place".into(),
    }
}

/// One entry of the timeline.
#[derive(Clone, Debug, PartialEq)]
pub struct TimelineEntry {
    pub at_s: f64,
    /// Name other entries refer to (`after = "..."`).
    pub label: Option<String>,
    pub what: Vec<Happening>,
}

/// When a trigger fires.
#[derive(Clone, Debug, PartialEq)]
pub enum Condition {
    /// A recorded signal (1-s mean) stays below and/or above a threshold for `for_s`.
    Signal {
        signal: &'static str,
        below: Option<f64>,
        above: Option<f64>,
        for_s: f64,
    },
    /// An alarm stays signalled for `for_s`.
    Alarm { alarm: AlarmId, for_s: f64 },
}

/// A conditional trigger: fires once, when its condition has held long enough (and, with
/// `after`, only once that anchor has fired).
#[derive(Clone, Debug, PartialEq)]
pub struct Trigger {
    pub name: String,
    pub when: Condition,
    pub after: Option<String>,
    pub then: Vec<Happening>,
}

/// An expected action, scored when done within `within_s` of its anchor.
#[derive(Clone, Debug, PartialEq)]
pub struct Expected {
    pub id: String,
    pub text: String,
    pub action: &'static str,
    /// Value conditions: a number at least / at most, or an exact value (text or boolean).
    pub at_least: Option<f64>,
    pub at_most: Option<f64>,
    pub equals: Option<crate::action::Value>,
    /// Anchor (timeline label or trigger name); `None` is the start of the run.
    pub after: Option<String>,
    pub within_s: f64,
    pub points: f64,
    pub critical: bool,
    /// What to learn, shown in the debrief when missed or late.
    pub teach: String,
}

/// How an outcome reduces a signal to one number.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Stat {
    /// Mean over the last `final_s` of the run.
    Final,
    /// Lowest 1-s mean from the anchor to the end.
    Min,
    /// Highest 1-s mean from the anchor to the end.
    Max,
}

/// A state of the patient or circuit the trainee should reach or keep.
#[derive(Clone, Debug, PartialEq)]
pub struct Outcome {
    pub id: String,
    pub text: String,
    pub signal: &'static str,
    pub stat: Stat,
    pub at_least: Option<f64>,
    pub at_most: Option<f64>,
    pub after: Option<String>,
    pub points: f64,
    pub critical: bool,
    pub teach: String,
}

/// One step of a script: do `action` at `at_s` after the anchor (or the start).
#[derive(Clone, Debug, PartialEq)]
pub struct ScriptStep {
    pub at_s: f64,
    pub after: Option<String>,
    pub action: Action,
}

/// Starting console settings, applied through the controller before the run starts. Names,
/// ranges and units are the control core's ([`control::SETTINGS`], [`control::SWITCHES`]).
#[derive(Clone, Debug, PartialEq)]
pub struct Settings {
    pub mode: Mode,
    /// Numbers (pump and gas targets, alarm limits), in file order.
    pub values: Vec<(Setting, f64)>,
    /// Switches (return clamp, automatic sweep, interventions), in file order.
    pub switches: Vec<(Switch, bool)>,
}

impl Settings {
    /// The value the file gives for `setting`, if any.
    pub fn value(&self, setting: Setting) -> Option<f64> {
        self.values
            .iter()
            .find(|(s, _)| *s == setting)
            .map(|(_, v)| *v)
    }
}

/// A parsed, checked scenario.
#[derive(Clone, Debug)]
pub struct Scenario {
    pub name: String,
    pub summary: String,
    pub instructor_notes: String,
    pub objectives: Vec<String>,
    pub duration_s: f64,
    /// Record interval of the trends, s.
    pub sample_s: f64,
    /// Length of the final window of `stat = "final"` outcomes, s.
    pub final_s: f64,
    pub pass_percent: f64,
    pub twin: TwinConfig,
    pub settings: Settings,
    /// Sorted by time; same-time entries keep file order.
    pub timeline: Vec<TimelineEntry>,
    pub triggers: Vec<Trigger>,
    pub expected: Vec<Expected>,
    pub outcomes: Vec<Outcome>,
    pub model_answer: Vec<ScriptStep>,
    /// Plot panels of the debrief, each a list of signals.
    pub plots: Vec<Vec<&'static str>>,
    /// The file's text, kept with every run so that a debrief can re-score it.
    pub source: String,
}

const TOP: &[&str] = &[
    "name",
    "summary",
    "instructor_notes",
    "objectives",
    "duration_s",
    "sample_s",
    "final_s",
    "pass_percent",
    "seed",
    "preset",
    "patient",
    "circuit",
    "settings",
    "timeline",
    "triggers",
    "expected",
    "outcomes",
    "model_answer",
    "plots",
];

/// Names of the alarm limits in `[settings.alarm_limits]`: the control core's.
pub fn alarm_limit_names() -> Vec<&'static str> {
    SETTINGS
        .iter()
        .filter(|s| s.group == Group::Alarm)
        .map(|s| s.name)
        .collect()
}

/// Names of the automatic interventions in `[settings.interventions]`: the control core's.
pub fn intervention_names() -> Vec<&'static str> {
    SWITCHES
        .iter()
        .filter(|s| matches!(s.switch, Switch::Intervention(_)))
        .map(|s| s.name)
        .collect()
}

/// Names allowed at the top of `[settings]`: `mode`, the control group's settings and
/// switches, and the two sub-tables.
fn settings_keys() -> Vec<&'static str> {
    let mut v = vec!["mode"];
    v.extend(
        SETTINGS
            .iter()
            .filter(|s| s.group == Group::Control)
            .map(|s| s.name),
    );
    v.extend(
        SWITCHES
            .iter()
            .filter(|s| s.group == Group::Control)
            .map(|s| s.name),
    );
    v.extend(["alarm_limits", "interventions"]);
    v
}

/// Sensor channels a timeline may fail.
pub const CHANNELS: &[(&str, Channel)] = &[
    ("flow", Channel::Flow),
    ("drainage_pressure", Channel::DrainagePressure),
    ("pre_oxy_pressure", Channel::PreOxyPressure),
    ("post_oxy_pressure", Channel::PostOxyPressure),
    ("pump_speed", Channel::PumpSpeed),
    ("post_oxy_so2", Channel::PostOxySo2),
    ("post_oxy_po2", Channel::PostOxyPo2),
    ("sao2_upper", Channel::SaO2Upper),
    ("sao2_lower", Channel::SaO2Lower),
    ("temperature", Channel::Temperature),
    ("battery", Channel::Battery),
];

/// Sensor faults: dropout, stuck, offset (value), drift (value per hour), gain (value), clear.
pub const SENSOR_FAULTS: &[&str] = &["dropout", "stuck", "offset", "drift", "gain", "clear"];

fn names_of<T>(list: &[(&'static str, T)]) -> Vec<&'static str> {
    list.iter().map(|(n, _)| *n).collect()
}

fn lookup<T: Copy>(path: &str, list: &[(&'static str, T)], name: &str) -> Result<T, Error> {
    list.iter()
        .find(|(n, _)| *n == name)
        .map(|(_, v)| *v)
        .ok_or_else(|| {
            Error::new(
                path,
                format!(
                    "unknown name `{name}`; allowed: {}",
                    names_of(list).join(", ")
                ),
            )
        })
}

fn array<'a>(top: &Table<'a>, key: &str) -> Result<Vec<&'a Value>, Error> {
    match top.get(key) {
        None => Ok(Vec::new()),
        Some(Value::Array(a)) => Ok(a.iter().collect()),
        Some(other) => Err(Error::new(
            top.at(key),
            format!("expected an array, found {}", kind(other)),
        )),
    }
}

fn string_req(t: &Table, key: &str) -> Result<String, Error> {
    t.str_opt(key)?
        .map(str::to_string)
        .ok_or_else(|| Error::new(t.at(key), "missing; required (a string)"))
}

fn parse_sensor(path: &str, v: &Value) -> Result<Happening, Error> {
    let t = Table::from_value(path.to_string(), v, &["channel", "fault", "value"])?;
    let ch_name = t
        .str_opt("channel")?
        .ok_or_else(|| Error::new(t.at("channel"), "missing; required"))?;
    let ch = lookup(&t.at("channel"), CHANNELS, ch_name)?;
    let fault = t.choice_opt("fault", SENSOR_FAULTS)?.ok_or_else(|| {
        Error::new(
            t.at("fault"),
            format!("missing; one of: {}", SENSOR_FAULTS.join(", ")),
        )
    })?;
    let value = |lo: f64, hi: f64| t.f64_req("value", lo, hi, "the channel's unit");
    let f = match fault {
        "dropout" => ChannelFault::Dropout,
        "stuck" => ChannelFault::Stuck,
        "offset" => ChannelFault::Offset(value(-1000.0, 1000.0)? as f32),
        "drift" => ChannelFault::Drift(value(-1000.0, 1000.0)? as f32),
        "gain" => ChannelFault::Gain(value(0.0, 5.0)? as f32),
        _ => ChannelFault::None,
    };
    if matches!(fault, "dropout" | "stuck" | "clear") && t.get("value").is_some() {
        return Err(Error::new(
            t.at("value"),
            format!("fault `{fault}` takes no value"),
        ));
    }
    Ok(Happening::Sensor(ch, f))
}

/// `event`, `sensor` and `remark` of a timeline entry or a trigger's `then` item.
fn parse_happenings(t: &Table) -> Result<Vec<Happening>, Error> {
    let mut out = Vec::new();
    if let Some(v) = t.get("event") {
        out.push(Happening::Event(experiment::format::parse_event(
            &t.at("event"),
            v,
        )?));
    }
    if let Some(v) = t.get("sensor") {
        out.push(parse_sensor(&t.at("sensor"), v)?);
    }
    if let Some(r) = t.str_opt("remark")? {
        out.push(Happening::Remark(r.to_string()));
    }
    Ok(out)
}

fn parse_condition(path: &str, v: &Value) -> Result<Condition, Error> {
    let t = Table::from_value(
        path.to_string(),
        v,
        &["signal", "below", "above", "alarm", "for_s"],
    )?;
    let for_s = t.f64_opt("for_s", 0.0, 86_400.0, "s")?.unwrap_or(0.0);
    match (t.str_opt("signal")?, t.str_opt("alarm")?) {
        (Some(_), Some(_)) | (None, None) => Err(Error::new(
            path,
            "give either `signal` (with `below` and/or `above`) or `alarm`",
        )),
        (Some(s), None) => {
            let sig: &Signal = names::signal(s).ok_or_else(|| {
                Error::new(
                    t.at("signal"),
                    format!(
                        "unknown signal `{s}`; allowed: {}",
                        names::signal_names().join(", ")
                    ),
                )
            })?;
            let below = t.f64_opt("below", -1e9, 1e9, sig.unit)?;
            let above = t.f64_opt("above", -1e9, 1e9, sig.unit)?;
            if below.is_none() && above.is_none() {
                return Err(Error::new(path, "give `below` and/or `above`"));
            }
            Ok(Condition::Signal {
                signal: sig.name,
                below,
                above,
                for_s,
            })
        }
        (None, Some(a)) => {
            if t.get("below").is_some() || t.get("above").is_some() {
                return Err(Error::new(
                    path,
                    "`below`/`above` go with `signal`, not `alarm`",
                ));
            }
            let alarm = names::alarm_by_name(a).ok_or_else(|| {
                Error::new(
                    t.at("alarm"),
                    format!(
                        "unknown alarm `{a}`; allowed: {}",
                        names::alarm_names().join(", ")
                    ),
                )
            })?;
            Ok(Condition::Alarm { alarm, for_s })
        }
    }
}

/// Parse script steps (`[[model_answer]]` in a scenario, `[[action]]` in a script file).
pub fn parse_steps(path: &str, items: &[&Value], max_s: f64) -> Result<Vec<ScriptStep>, Error> {
    let mut steps = Vec::new();
    for (i, v) in items.iter().enumerate() {
        let p = format!("{path}[{i}]");
        let t = Table::from_value(p.clone(), v, &["at", "after", "action", "value"])?;
        let at_s = t.f64_req("at", 0.0, max_s, "s")?;
        let name = t
            .str_opt("action")?
            .ok_or_else(|| Error::new(t.at("action"), "missing; required"))?;
        let action = Action::new(&p, name, t.get("value"))?;
        steps.push(ScriptStep {
            at_s,
            after: t.str_opt("after")?.map(str::to_string),
            action,
        });
    }
    Ok(steps)
}

/// A script file: `[[action]]` entries and an optional `name`.
pub fn parse_script(text: &str) -> Result<(Option<String>, Vec<ScriptStep>), Error> {
    let doc: toml::Table = text
        .parse()
        .map_err(|e: toml::de::Error| Error::new("", format!("not valid TOML: {e}")))?;
    let top = Table::new(String::new(), &doc, &["name", "action"])?;
    let name = top.str_opt("name")?.map(str::to_string);
    let items = array(&top, "action")?;
    Ok((name, parse_steps("action", &items, MAX_DURATION_S)?))
}

impl Scenario {
    pub fn load(path: &std::path::Path) -> Result<Scenario, Error> {
        let text = std::fs::read_to_string(path)
            .map_err(|e| Error::new("", format!("cannot read the file: {e}")))?;
        Scenario::parse(&text)
    }

    /// Parse and fully check a scenario; a scenario that parses will start.
    pub fn parse(text: &str) -> Result<Scenario, Error> {
        let doc: toml::Table = text
            .parse()
            .map_err(|e: toml::de::Error| Error::new("", format!("not valid TOML: {e}")))?;
        let top = Table::new(String::new(), &doc, TOP)?;
        let name = string_req(&top, "name")?;
        let summary = string_req(&top, "summary")?;
        let instructor_notes = top.str_opt("instructor_notes")?.unwrap_or("").to_string();
        let duration_s = top.f64_req("duration_s", 60.0, MAX_DURATION_S, "s")?;
        let sample_s = top.f64_opt("sample_s", 1.0, 60.0, "s")?.unwrap_or(1.0);
        if sample_s.fract() != 0.0 {
            return Err(Error::new("sample_s", "must be a whole number of seconds"));
        }
        let final_s = top
            .f64_opt("final_s", 1.0, duration_s, "s (the scenario's duration)")?
            .unwrap_or(60.0_f64.min(duration_s));
        let pass_percent = top
            .f64_opt("pass_percent", 1.0, 100.0, "%")?
            .unwrap_or(70.0);
        let mut objectives = Vec::new();
        for (i, v) in array(&top, "objectives")?.into_iter().enumerate() {
            match v {
                Value::String(s) => objectives.push(s.clone()),
                other => {
                    return Err(Error::new(
                        format!("objectives[{i}]"),
                        format!("expected a string, found {}", kind(other)),
                    ));
                }
            }
        }
        if objectives.is_empty() {
            return Err(Error::new(
                "objectives",
                "missing; give at least one learning objective",
            ));
        }

        // Patient and circuit, through the experiment format (same keys, same messages).
        let mut exp = toml::Table::new();
        for key in ["preset", "seed", "patient", "circuit"] {
            if let Some(v) = doc.get(key) {
                exp.insert(key.to_string(), v.clone());
            }
        }
        exp.insert("duration_s".into(), Value::Float(duration_s));
        let exp_text = toml::to_string(&exp)
            .map_err(|e| Error::new("", format!("cannot re-read patient and circuit: {e}")))?;
        let (twin, _) = experiment::Experiment::parse(&exp_text)?.twin_config()?;
        if twin.circuit.configuration == physio::Configuration::None {
            return Err(Error::new(
                "circuit.configuration",
                "a training scenario needs a circuit: vv-femoro-jugular, vv-femoro-femoral, va-femoral or va-central",
            ));
        }

        let settings = parse_settings(&top)?;

        // Timeline.
        let mut timeline = Vec::new();
        for (i, v) in array(&top, "timeline")?.into_iter().enumerate() {
            let p = format!("timeline[{i}]");
            let t = Table::from_value(p.clone(), v, &["at", "label", "event", "sensor", "remark"])?;
            let at_s = t.f64_req("at", 0.0, duration_s, "s (the scenario's duration)")?;
            let what = parse_happenings(&t)?;
            if what.is_empty() {
                return Err(Error::new(
                    p,
                    "does nothing: give `event = {...}`, `sensor = {...}` and/or `remark = \"...\"`",
                ));
            }
            timeline.push(TimelineEntry {
                at_s,
                label: t.str_opt("label")?.map(str::to_string),
                what,
            });
        }
        timeline.sort_by(|a, b| a.at_s.total_cmp(&b.at_s));

        // Triggers.
        let mut triggers = Vec::new();
        for (i, v) in array(&top, "triggers")?.into_iter().enumerate() {
            let p = format!("triggers[{i}]");
            let t = Table::from_value(p.clone(), v, &["name", "when", "after", "then", "remark"])?;
            let name = string_req(&t, "name")?;
            let when = match t.get("when") {
                Some(w) => parse_condition(&t.at("when"), w)?,
                None => return Err(Error::new(t.at("when"), "missing; required")),
            };
            let mut then = Vec::new();
            for (j, item) in array(&t, "then")?.into_iter().enumerate() {
                let tp = format!("{p}.then[{j}]");
                let it = Table::from_value(tp.clone(), item, &["event", "sensor", "remark"])?;
                let h = parse_happenings(&it)?;
                if h.is_empty() {
                    return Err(Error::new(tp, "is empty"));
                }
                then.extend(h);
            }
            if let Some(r) = t.str_opt("remark")? {
                then.push(Happening::Remark(r.to_string()));
            }
            triggers.push(Trigger {
                name,
                when,
                after: t.str_opt("after")?.map(str::to_string),
                then,
            });
        }

        // Anchors: labels and trigger names, unique.
        let mut anchors: Vec<String> = Vec::new();
        for (path, a) in timeline
            .iter()
            .filter_map(|e| e.label.as_ref().map(|l| ("timeline.label", l)))
            .chain(triggers.iter().map(|t| ("triggers.name", &t.name)))
        {
            if anchors.contains(a) {
                return Err(Error::new(
                    path,
                    format!("`{a}` is used twice; labels and trigger names must be unique"),
                ));
            }
            anchors.push(a.clone());
        }
        let check_anchor = |path: String, a: &Option<String>| -> Result<(), Error> {
            match a {
                Some(a) if !anchors.contains(a) => Err(Error::new(
                    path,
                    format!(
                        "unknown anchor `{a}`; allowed: {}",
                        if anchors.is_empty() {
                            "none (give the timeline entry a label or name a trigger)".to_string()
                        } else {
                            anchors.join(", ")
                        }
                    ),
                )),
                _ => Ok(()),
            }
        };
        for (i, t) in triggers.iter().enumerate() {
            check_anchor(format!("triggers[{i}].after"), &t.after)?;
            if t.after.as_deref() == Some(t.name.as_str()) {
                return Err(Error::new(
                    format!("triggers[{i}].after"),
                    "a trigger cannot wait for itself",
                ));
            }
        }

        // Expected actions.
        let mut expected = Vec::new();
        for (i, v) in array(&top, "expected")?.into_iter().enumerate() {
            let p = format!("expected[{i}]");
            let t = Table::from_value(
                p.clone(),
                v,
                &[
                    "id", "text", "action", "at_least", "at_most", "equals", "after", "within_s",
                    "points", "critical", "teach",
                ],
            )?;
            let action_name = t
                .str_opt("action")?
                .ok_or_else(|| Error::new(t.at("action"), "missing; required"))?;
            let kind = crate::action::kind(action_name).ok_or_else(|| {
                Error::new(
                    t.at("action"),
                    format!(
                        "unknown action `{action_name}`; allowed: {}",
                        crate::action::names().join(", ")
                    ),
                )
            })?;
            let equals = match t.get("equals") {
                None => None,
                Some(v) => Some(
                    Action::new(&p, action_name, Some(v))
                        .map_err(|e| Error::new(t.at("equals"), e.message))?
                        .value,
                ),
            };
            let at_least = t.f64_opt("at_least", -1e9, 1e9, "")?;
            let at_most = t.f64_opt("at_most", -1e9, 1e9, "")?;
            if (at_least.is_some() || at_most.is_some())
                && !matches!(kind.value, crate::action::ValueSpec::Number { .. })
            {
                return Err(Error::new(
                    p.clone(),
                    format!("`{action_name}` has no number to compare with at_least/at_most"),
                ));
            }
            let after = t.str_opt("after")?.map(str::to_string);
            check_anchor(t.at("after"), &after)?;
            expected.push(Expected {
                id: string_req(&t, "id")?,
                text: string_req(&t, "text")?,
                action: kind.name,
                at_least,
                at_most,
                equals,
                after,
                within_s: t.f64_req("within_s", 1.0, duration_s, "s")?,
                points: t.f64_req("points", 0.0, 1000.0, "")?,
                critical: t.bool_opt("critical")?.unwrap_or(false),
                teach: string_req(&t, "teach")?,
            });
        }
        if expected.is_empty() {
            return Err(Error::new(
                "expected",
                "missing; a scenario expects at least one action",
            ));
        }

        // Outcomes.
        let mut outcomes = Vec::new();
        for (i, v) in array(&top, "outcomes")?.into_iter().enumerate() {
            let p = format!("outcomes[{i}]");
            let t = Table::from_value(
                p.clone(),
                v,
                &[
                    "id", "text", "signal", "stat", "at_least", "at_most", "after", "points",
                    "critical", "teach",
                ],
            )?;
            let s = t
                .str_opt("signal")?
                .ok_or_else(|| Error::new(t.at("signal"), "missing; required"))?;
            let sig = names::signal(s).ok_or_else(|| {
                Error::new(
                    t.at("signal"),
                    format!(
                        "unknown signal `{s}`; allowed: {}",
                        names::signal_names().join(", ")
                    ),
                )
            })?;
            let stat = match t.choice_opt("stat", &["final", "min", "max"])? {
                None | Some("final") => Stat::Final,
                Some("min") => Stat::Min,
                _ => Stat::Max,
            };
            let at_least = t.f64_opt("at_least", -1e9, 1e9, sig.unit)?;
            let at_most = t.f64_opt("at_most", -1e9, 1e9, sig.unit)?;
            if at_least.is_none() && at_most.is_none() {
                return Err(Error::new(p, "give `at_least` and/or `at_most`"));
            }
            let after = t.str_opt("after")?.map(str::to_string);
            check_anchor(t.at("after"), &after)?;
            outcomes.push(Outcome {
                id: string_req(&t, "id")?,
                text: string_req(&t, "text")?,
                signal: sig.name,
                stat,
                at_least,
                at_most,
                after,
                points: t.f64_req("points", 0.0, 1000.0, "")?,
                critical: t.bool_opt("critical")?.unwrap_or(false),
                teach: string_req(&t, "teach")?,
            });
        }
        let mut ids: Vec<&str> = expected
            .iter()
            .map(|e| e.id.as_str())
            .chain(outcomes.iter().map(|o| o.id.as_str()))
            .collect();
        ids.sort();
        if let Some(w) = ids.windows(2).find(|w| w[0] == w[1]) {
            return Err(Error::new(
                "expected",
                format!(
                    "id `{}` is used twice (ids of expected actions and outcomes must be unique)",
                    w[0]
                ),
            ));
        }
        let total: f64 = expected
            .iter()
            .map(|e| e.points)
            .chain(outcomes.iter().map(|o| o.points))
            .sum();
        if total <= 0.0 {
            return Err(Error::new(
                "expected",
                "no points to score: give some expected action or outcome points > 0",
            ));
        }

        let model_answer = parse_steps("model_answer", &array(&top, "model_answer")?, duration_s)?;
        for (i, s) in model_answer.iter().enumerate() {
            check_anchor(format!("model_answer[{i}].after"), &s.after)?;
        }

        let mut plots = Vec::new();
        for (i, v) in array(&top, "plots")?.into_iter().enumerate() {
            let Value::Array(a) = v else {
                return Err(Error::new(
                    format!("plots[{i}]"),
                    format!("expected an array of signal names, found {}", kind(v)),
                ));
            };
            let mut panel = Vec::new();
            for (j, s) in a.iter().enumerate() {
                let p = format!("plots[{i}][{j}]");
                let name = s
                    .as_str()
                    .ok_or_else(|| Error::new(p.clone(), "expected a signal name"))?;
                let sig = names::signal(name).ok_or_else(|| {
                    Error::new(
                        p.clone(),
                        format!(
                            "unknown signal `{name}`; allowed: {}",
                            names::signal_names().join(", ")
                        ),
                    )
                })?;
                panel.push(sig.name);
            }
            if panel.is_empty() {
                return Err(Error::new(format!("plots[{i}]"), "is empty"));
            }
            plots.push(panel);
        }
        if plots.is_empty() {
            plots = default_plots(twin.circuit.configuration.is_va());
        }

        Ok(Scenario {
            name,
            summary,
            instructor_notes,
            objectives,
            duration_s,
            sample_s,
            final_s,
            pass_percent,
            twin,
            settings,
            timeline,
            triggers,
            expected,
            outcomes,
            model_answer,
            plots,
            source: text.to_string(),
        })
    }

    /// Every anchor name (timeline labels, then trigger names).
    pub fn anchors(&self) -> Vec<&str> {
        self.timeline
            .iter()
            .filter_map(|e| e.label.as_deref())
            .chain(self.triggers.iter().map(|t| t.name.as_str()))
            .collect()
    }

    /// Check that a script's anchors exist in this scenario.
    pub fn check_script(&self, steps: &[ScriptStep]) -> Result<(), Error> {
        let anchors = self.anchors();
        for (i, s) in steps.iter().enumerate() {
            if let Some(a) = &s.after
                && !anchors.contains(&a.as_str())
            {
                return Err(Error::new(
                    format!("action[{i}].after"),
                    format!(
                        "unknown anchor `{a}`; this scenario has: {}",
                        anchors.join(", ")
                    ),
                ));
            }
        }
        Ok(())
    }
}

/// The panels a debrief shows when the scenario names none.
pub fn default_plots(va: bool) -> Vec<Vec<&'static str>> {
    let mut p = vec![
        vec!["circuit_flow_lpm"],
        vec!["p_drainage_mmhg", "p_post_oxy_mmhg"],
        vec!["sao2_upper_pct", "sao2_lower_pct"],
    ];
    if va {
        p.push(vec!["map_mmhg", "p_la_mmhg"]);
    }
    p
}

fn parse_settings(top: &Table) -> Result<Settings, Error> {
    let Some(v) = top.get("settings") else {
        return Err(Error::new(
            "settings",
            "missing; give at least `mode` and the pump's target",
        ));
    };
    let t = Table::from_value("settings".into(), v, &settings_keys())?;
    let modes = ["standby", "rpm", "flow"];
    let mode = match t.choice_opt("mode", &modes)? {
        Some(m) => Mode::by_name(m).unwrap_or(Mode::Standby),
        None => {
            return Err(Error::new(
                "settings.mode",
                format!("missing; one of: {}", modes.join(", ")),
            ));
        }
    };
    let mut values = Vec::new();
    let mut switches = Vec::new();
    let number =
        |t: &Table, spec: &SettingSpec| t.f64_opt(spec.name, spec.min, spec.max, spec.unit);
    for spec in SETTINGS.iter().filter(|s| s.group == Group::Control) {
        if let Some(x) = number(&t, spec)? {
            values.push((spec.setting, x));
        }
    }
    for spec in SWITCHES.iter().filter(|s| s.group == Group::Control) {
        if let Some(on) = t.bool_opt(spec.name)? {
            switches.push((spec.switch, on));
        }
    }
    let rpm = Setting::RpmTarget.name();
    if mode == Mode::Rpm && t.get(rpm).is_none() {
        return Err(Error::new(t.at(rpm), "missing; rpm mode needs a speed"));
    }
    let flow = Setting::FlowTarget.name();
    if mode == Mode::Flow && t.get(flow).is_none() {
        return Err(Error::new(
            t.at(flow),
            "missing; flow mode needs a flow target",
        ));
    }
    if let Some(v) = t.get("alarm_limits") {
        let lt = Table::from_value(t.at("alarm_limits"), v, &alarm_limit_names())?;
        for spec in SETTINGS.iter().filter(|s| s.group == Group::Alarm) {
            if let Some(x) = number(&lt, spec)? {
                values.push((spec.setting, x));
            }
        }
    }
    if let Some(v) = t.get("interventions") {
        let it = Table::from_value(t.at("interventions"), v, &intervention_names())?;
        for spec in SWITCHES
            .iter()
            .filter(|s| matches!(s.switch, Switch::Intervention(_)))
        {
            if let Some(on) = it.bool_opt(spec.name)? {
                switches.push((spec.switch, on));
            }
        }
    }
    Ok(Settings {
        mode,
        values,
        switches,
    })
}
