//! Reading a scenario or script file: serde derive through the `input` crate for the structure,
//! types, unknown fields and ranges (every error names the line and the field), then the checks
//! that need more than one field (times within the duration, anchors, ids, values that depend
//! on the action).
//!
//! Patient and circuit are the experiment format's own types (same keys, same messages);
//! events the experiment format's [`EventFile`], read against the twin's event table; settings
//! the control core's tables.
use crate::action::{self, Action, ValueSpec};
use crate::names::{self, Signal};
use crate::scenario::{
    CHANNELS, Condition, Expected, Happening, MAX_DURATION_S, Outcome, SENSOR_FAULTS, Scenario,
    ScriptStep, Settings, Stat, TimelineEntry, Trigger, default_plots, intervention_names,
};
use control::{Group, Mode, SETTINGS, Switch};
use experiment::Error;
use experiment::event_file::EventFile;
use experiment::format::{CircuitFile, PatientTable, RawSensor};
use input::de::{Choice, Finite, Flags, Key, Number, Numbers, Range, about, at_key};
use input::toml::{Spanned, at, items, within};
use serde::Deserialize;
use serde::de::{Deserializer, MapAccess, Visitor};
use sil::ChannelFault;

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct File {
    name: String,
    summary: String,
    #[serde(default)]
    instructor_notes: String,
    objectives: Spanned<Vec<String>>,
    #[serde(deserialize_with = "duration")]
    duration_s: f64,
    sample_s: Option<Spanned<Finite>>,
    final_s: Option<Spanned<Finite>>,
    #[serde(default, deserialize_with = "pass_percent")]
    pass_percent: Option<f64>,
    seed: Option<u64>,
    preset: Option<String>,
    patient: Option<PatientTable>,
    circuit: Option<Spanned<CircuitFile>>,
    settings: Option<SettingsFile>,
    #[serde(default)]
    timeline: Vec<Spanned<TimelineFile>>,
    #[serde(default)]
    triggers: Vec<Spanned<TriggerFile>>,
    #[serde(default)]
    expected: Vec<Spanned<ExpectedFile>>,
    #[serde(default)]
    outcomes: Vec<Spanned<OutcomeFile>>,
    #[serde(default)]
    model_answer: Vec<Spanned<StepFile>>,
    #[serde(default)]
    plots: Vec<Spanned<Vec<Spanned<String>>>>,
}

fn duration<'de, D: Deserializer<'de>>(d: D) -> Result<f64, D::Error> {
    input::de::number(d, Range::closed(60.0, MAX_DURATION_S, "s"))
}
input::ranged!(pass_percent, Range::closed(1.0, 100.0, "%"));
input::ranged!(points, Range::closed(0.0, 1000.0, ""));
input::ranged!(for_s, Range::closed(0.0, 86_400.0, "s"));

/// `[settings]`: `mode`, the control group's settings and switches by the control core's
/// names, `alarm_limits`, `interventions` and `intervention_limits` tables.
struct SettingsFile(Settings);

impl<'de> Deserialize<'de> for SettingsFile {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        d.deserialize_map(SettingsVisitor)
    }
}

struct SettingsVisitor;

/// The modes a scenario may start in (zero flow is a weaning manoeuvre, not a start).
const START_MODES: [&str; 3] = ["standby", "rpm", "flow"];

impl<'de> Visitor<'de> for SettingsVisitor {
    type Value = SettingsFile;

    fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "a table")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<SettingsFile, A::Error> {
        let keys = crate::scenario::settings_keys();
        let control = |r: &&control::SettingSpec| r.group == Group::Control;
        let ranged = |r: &control::SettingSpec| (r.name, Range::closed(r.min, r.max, r.unit));
        let alarms: Vec<_> = SETTINGS
            .iter()
            .filter(|r| r.group == Group::Alarm)
            .map(ranged)
            .collect();
        let limits: Vec<_> = crate::scenario::intervention_limits().map(ranged).collect();
        let interventions = intervention_names();
        let (mut mode, mut values, mut switches) = (None, Vec::new(), Vec::new());
        while let Some(i) = map.next_key_seed(Key(&keys))? {
            let key = keys[i];
            if key == "mode" {
                let what = Choice {
                    names: &START_MODES,
                    what: "mode",
                };
                mode = Mode::by_name(START_MODES[map.next_value_seed(what)?]);
            } else if key == "alarm_limits" || key == "intervention_limits" {
                let table = if key == "alarm_limits" {
                    &alarms
                } else {
                    &limits
                };
                for (j, x) in map.next_value_seed(Numbers(table))? {
                    if let Some(s) = control::Setting::by_name(table[j].0) {
                        values.push((s, x));
                    }
                }
            } else if key == "interventions" {
                for (j, on) in map.next_value_seed(Flags(&interventions))? {
                    if let Some(s) = Switch::by_name(interventions[j]) {
                        switches.push((s, on));
                    }
                }
            } else if let Some(r) = SETTINGS.iter().filter(control).find(|r| r.name == key) {
                let x = map.next_value_seed(Number(Range::closed(r.min, r.max, r.unit)))?;
                values.push((r.setting, x));
            } else if let Some(s) = Switch::by_name(key) {
                switches.push((s, map.next_value::<bool>()?));
            }
        }
        let modes = START_MODES.join(", ");
        let mode = mode.ok_or_else(|| at_key("mode", format!("missing; one of: {modes}")))?;
        let given = |s: control::Setting| values.iter().any(|(v, _)| *v == s);
        if mode == Mode::Rpm && !given(control::Setting::RpmTarget) {
            let key = control::Setting::RpmTarget.name();
            return Err(at_key(key, "missing; rpm mode needs a speed"));
        }
        if mode == Mode::Flow && !given(control::Setting::FlowTarget) {
            let key = control::Setting::FlowTarget.name();
            return Err(at_key(key, "missing; flow mode needs a flow target"));
        }
        Ok(SettingsFile(Settings {
            mode,
            values,
            switches,
        }))
    }
}

/// `event`, `sensor` and `remark` of a timeline entry or a trigger's `then` item.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct HappeningsFile {
    event: Option<EventFile>,
    sensor: Option<SensorFile>,
    remark: Option<String>,
}

impl HappeningsFile {
    fn into_vec(self) -> Vec<Happening> {
        let mut out = Vec::new();
        out.extend(self.event.map(|e| Happening::Event(e.0)));
        out.extend(self.sensor.map(|s| s.0));
        out.extend(self.remark.map(Happening::Remark));
        out
    }
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct TimelineFile {
    at: Spanned<Finite>,
    label: Option<String>,
    event: Option<EventFile>,
    sensor: Option<SensorFile>,
    remark: Option<String>,
}

/// `sensor = { channel = ..., fault = ..., value = ... }`, checked as a whole (whether and
/// which `value` is needed depends on the fault).
#[derive(Deserialize)]
#[serde(try_from = "RawSensor")]
struct SensorFile(Happening);

impl TryFrom<RawSensor> for SensorFile {
    type Error = String;
    fn try_from(r: RawSensor) -> Result<Self, String> {
        let (ch, fault, value) = r.resolve(CHANNELS, SENSOR_FAULTS, |f, _| match f {
            "offset" | "drift" => Some(Range::closed(-1000.0, 1000.0, "the channel's unit")),
            "gain" => Some(Range::closed(0.0, 5.0, "")),
            _ => None,
        })?;
        let value = value as f32;
        let f = match fault {
            "dropout" => ChannelFault::Dropout,
            "stuck" => ChannelFault::Stuck,
            "offset" => ChannelFault::Offset(value),
            "drift" => ChannelFault::Drift(value),
            "gain" => ChannelFault::Gain(value),
            _ => ChannelFault::None,
        };
        Ok(SensorFile(Happening::Sensor(ch, f)))
    }
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct TriggerFile {
    name: String,
    when: ConditionFile,
    after: Option<String>,
    #[serde(default)]
    then: Vec<Spanned<HappeningsFile>>,
    remark: Option<String>,
}

/// `when = { signal = ..., below = ..., above = ..., for_s = ... }` or `{ alarm = ..., for_s }`.
#[derive(Deserialize)]
#[serde(try_from = "RawCondition")]
struct ConditionFile(Condition);

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawCondition {
    signal: Option<String>,
    below: Option<Finite>,
    above: Option<Finite>,
    alarm: Option<String>,
    #[serde(default, deserialize_with = "for_s")]
    for_s: Option<f64>,
}

impl TryFrom<RawCondition> for ConditionFile {
    type Error = String;
    fn try_from(r: RawCondition) -> Result<Self, String> {
        let for_s = r.for_s.unwrap_or(0.0);
        let (below, above) = (r.below.map(|x| x.0), r.above.map(|x| x.0));
        Ok(ConditionFile(match (r.signal, r.alarm) {
            (Some(_), Some(_)) | (None, None) => {
                return Err("give either `signal` (with `below` and/or `above`) or `alarm`".into());
            }
            (Some(s), None) => {
                let sig: &Signal = signal(&s).map_err(|m| about("signal", m))?;
                if below.is_none() && above.is_none() {
                    return Err("give `below` and/or `above`".into());
                }
                Condition::Signal {
                    signal: sig.name,
                    below,
                    above,
                    for_s,
                }
            }
            (None, Some(a)) => {
                if below.is_some() || above.is_some() {
                    return Err("`below`/`above` go with `signal`, not `alarm`".into());
                }
                let alarm = names::alarm_by_name(&a).ok_or_else(|| {
                    about(
                        "alarm",
                        format!(
                            "unknown alarm `{a}`; allowed: {}",
                            names::alarm_names().join(", ")
                        ),
                    )
                })?;
                Condition::Alarm { alarm, for_s }
            }
        }))
    }
}

fn signal(name: &str) -> Result<&'static Signal, String> {
    names::signal(name).ok_or_else(|| {
        format!(
            "unknown signal `{name}`; allowed: {}",
            names::signal_names().join(", ")
        )
    })
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct ExpectedFile {
    id: String,
    text: String,
    action: Spanned<String>,
    at_least: Option<Finite>,
    at_most: Option<Finite>,
    equals: Option<Spanned<toml::Value>>,
    after: Option<Spanned<String>>,
    within_s: Spanned<Finite>,
    #[serde(deserialize_with = "points_req")]
    points: f64,
    #[serde(default)]
    critical: bool,
    teach: String,
}

fn points_req<'de, D: Deserializer<'de>>(d: D) -> Result<f64, D::Error> {
    points(d).map(|p| p.unwrap_or(0.0))
}

#[derive(Deserialize)]
#[serde(rename_all = "lowercase")]
enum StatFile {
    Final,
    Min,
    Max,
    Mean,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct OutcomeFile {
    id: String,
    text: String,
    signal: Spanned<String>,
    stat: Option<StatFile>,
    at_least: Option<Finite>,
    at_most: Option<Finite>,
    after: Option<Spanned<String>>,
    until: Option<Spanned<String>>,
    #[serde(deserialize_with = "points_req")]
    points: f64,
    #[serde(default)]
    critical: bool,
    teach: String,
}

/// One step of a model answer or script.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct StepFile {
    at: Spanned<Finite>,
    after: Option<String>,
    action: String,
    value: Option<toml::Value>,
}

/// A script file: `[[action]]` entries and an optional `name`.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct ScriptFile {
    name: Option<String>,
    #[serde(default)]
    action: Vec<Spanned<StepFile>>,
}

/// Script steps, each checked against the action table; times within `0..=max_s`.
fn steps(
    text: &str,
    path: &str,
    items: Vec<Spanned<StepFile>>,
    max_s: f64,
) -> Result<Vec<ScriptStep>, Error> {
    let range = Range::closed(0.0, max_s, "s");
    let mut out = Vec::new();
    for (p, span, s) in input::toml::items(path, items) {
        let at_s = within(text, &s.at, format!("{p}.at"), range)?;
        let action = Action::new(&p, &s.action, s.value.as_ref())
            .map_err(|e| e.at_offset(text, span.start))?;
        out.push(ScriptStep {
            at_s,
            after: s.after,
            action,
        });
    }
    Ok(out)
}

/// A script file: its name and steps.
pub fn parse_script(text: &str) -> Result<(Option<String>, Vec<ScriptStep>), Error> {
    let f: ScriptFile = input::toml::from_str(text)?;
    Ok((f.name, steps(text, "action", f.action, MAX_DURATION_S)?))
}

/// A scenario file, fully checked.
pub fn parse(text: &str) -> Result<Scenario, Error> {
    let f: File = input::toml::from_str(text)?;
    let duration_s = f.duration_s;
    let sample_s = match &f.sample_s {
        None => 1.0,
        Some(x) => {
            let s = within(text, x, "sample_s", Range::closed(1.0, 60.0, "s"))?;
            if s.fract() != 0.0 {
                return Err(at(
                    text,
                    x.span(),
                    "sample_s",
                    "must be a whole number of seconds",
                ));
            }
            s
        }
    };
    let final_s = match &f.final_s {
        None => 60.0_f64.min(duration_s),
        Some(x) => {
            let range = Range::closed(1.0, duration_s, "s (the scenario's duration)");
            within(text, x, "final_s", range)?
        }
    };
    if f.objectives.get_ref().is_empty() {
        return Err(at(
            text,
            f.objectives.span(),
            "objectives",
            "missing; give at least one learning objective",
        ));
    }

    // Patient and circuit, as an experiment's (same keys, same messages).
    let circuit_span = f.circuit.as_ref().map_or(0..0, |c| c.span());
    let circuit = f.circuit.map(Spanned::into_inner).unwrap_or_default();
    let base = experiment::Experiment::base(f.preset, f.seed, f.patient, circuit, duration_s)?;
    let (twin, _) = base.twin_config()?;
    if twin.circuit.configuration == physio::Configuration::None {
        return Err(at(
            text,
            circuit_span,
            "circuit.configuration",
            "a training scenario needs a circuit: vv-femoro-jugular, vv-femoro-femoral, vv-dual-lumen, va-femoral, va-central or va-axillary",
        ));
    }

    let settings = f
        .settings
        .ok_or_else(|| {
            Error::new(
                "settings",
                "missing; give at least `mode` and the pump's target",
            )
        })?
        .0;

    let run = Range::closed(0.0, duration_s, "s (the scenario's duration)");
    let mut timeline = Vec::new();
    for (p, span, t) in items("timeline", f.timeline) {
        let at_s = within(text, &t.at, format!("{p}.at"), run)?;
        let what = HappeningsFile {
            event: t.event,
            sensor: t.sensor,
            remark: t.remark,
        }
        .into_vec();
        if what.is_empty() {
            return Err(at(
                text,
                span,
                p,
                "does nothing: give `event = {...}`, `sensor = {...}` and/or `remark = \"...\"`",
            ));
        }
        timeline.push(TimelineEntry {
            at_s,
            label: t.label,
            what,
        });
    }
    timeline.sort_by(|a, b| a.at_s.total_cmp(&b.at_s));

    let mut triggers = Vec::new();
    let mut trigger_spans = Vec::new();
    for (i, item) in f.triggers.into_iter().enumerate() {
        let span = item.span();
        let t = item.into_inner();
        let mut then = Vec::new();
        for (j, h) in t.then.into_iter().enumerate() {
            let hspan = h.span();
            let h = h.into_inner().into_vec();
            if h.is_empty() {
                return Err(at(
                    text,
                    hspan,
                    format!("triggers[{i}].then[{j}]"),
                    "is empty",
                ));
            }
            then.extend(h);
        }
        then.extend(t.remark.map(Happening::Remark));
        triggers.push(Trigger {
            name: t.name,
            when: t.when.0,
            after: t.after,
            then,
        });
        trigger_spans.push(span);
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
    let unknown_anchor = |a: &str| {
        format!(
            "unknown anchor `{a}`; allowed: {}",
            if anchors.is_empty() {
                "none (give the timeline entry a label or name a trigger)".to_string()
            } else {
                anchors.join(", ")
            }
        )
    };
    let check_anchor =
        |path: String, a: Option<&Spanned<String>>| -> Result<Option<String>, Error> {
            match a {
                Some(s) if !anchors.contains(s.get_ref()) => {
                    Err(at(text, s.span(), path, unknown_anchor(s.get_ref())))
                }
                a => Ok(a.map(|s| s.get_ref().clone())),
            }
        };
    for (i, (t, span)) in triggers.iter().zip(&trigger_spans).enumerate() {
        let path = format!("triggers[{i}].after");
        if let Some(a) = &t.after
            && !anchors.contains(a)
        {
            return Err(at(text, span.clone(), path, unknown_anchor(a)));
        }
        if t.after.as_deref() == Some(t.name.as_str()) {
            return Err(at(
                text,
                span.clone(),
                path,
                "a trigger cannot wait for itself",
            ));
        }
    }

    let mut expected = Vec::new();
    for (p, span, e) in items("expected", f.expected) {
        let name = e.action.get_ref();
        let kind = action::kind(name).ok_or_else(|| {
            at(
                text,
                e.action.span(),
                format!("{p}.action"),
                format!(
                    "unknown action `{name}`; allowed: {}",
                    action::names().join(", ")
                ),
            )
        })?;
        let equals = match &e.equals {
            None => None,
            Some(v) => Some(
                Action::new(&p, name, Some(v.get_ref()))
                    .map_err(|err| at(text, v.span(), format!("{p}.equals"), err.message))?
                    .value,
            ),
        };
        let (at_least, at_most) = (e.at_least.map(|x| x.0), e.at_most.map(|x| x.0));
        if (at_least.is_some() || at_most.is_some())
            && !matches!(kind.value, ValueSpec::Number { .. })
        {
            return Err(at(
                text,
                span,
                p,
                format!("`{name}` has no number to compare with at_least/at_most"),
            ));
        }
        let within_range = Range::closed(1.0, duration_s, "s");
        expected.push(Expected {
            id: e.id,
            text: e.text,
            action: kind.name,
            at_least,
            at_most,
            equals,
            after: check_anchor(format!("{p}.after"), e.after.as_ref())?,
            within_s: within(text, &e.within_s, format!("{p}.within_s"), within_range)?,
            points: e.points,
            critical: e.critical,
            teach: e.teach,
        });
    }
    if expected.is_empty() {
        return Err(Error::new(
            "expected",
            "missing; a scenario expects at least one action",
        ));
    }

    let mut outcomes = Vec::new();
    for (p, span, o) in items("outcomes", f.outcomes) {
        let sig = signal(o.signal.get_ref())
            .map_err(|m| at(text, o.signal.span(), format!("{p}.signal"), m))?;
        let (at_least, at_most) = (o.at_least.map(|x| x.0), o.at_most.map(|x| x.0));
        if at_least.is_none() && at_most.is_none() {
            return Err(at(text, span, p, "give `at_least` and/or `at_most`"));
        }
        outcomes.push(Outcome {
            id: o.id,
            text: o.text,
            signal: sig.name,
            stat: match o.stat {
                None | Some(StatFile::Final) => Stat::Final,
                Some(StatFile::Min) => Stat::Min,
                Some(StatFile::Max) => Stat::Max,
                Some(StatFile::Mean) => Stat::Mean,
            },
            at_least,
            at_most,
            after: check_anchor(format!("{p}.after"), o.after.as_ref())?,
            until: check_anchor(format!("{p}.until"), o.until.as_ref())?,
            points: o.points,
            critical: o.critical,
            teach: o.teach,
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

    let spans: Vec<_> = f.model_answer.iter().map(|s| s.span()).collect();
    let model_answer = steps(text, "model_answer", f.model_answer, duration_s)?;
    for (i, s) in model_answer.iter().enumerate() {
        if let Some(a) = &s.after
            && !anchors.contains(a)
        {
            return Err(at(
                text,
                spans[i].clone(),
                format!("model_answer[{i}].after"),
                unknown_anchor(a),
            ));
        }
    }

    let mut plots = Vec::new();
    for (i, panel) in f.plots.into_iter().enumerate() {
        let span = panel.span();
        let mut names = Vec::new();
        for (j, s) in panel.into_inner().into_iter().enumerate() {
            let sig = signal(s.get_ref())
                .map_err(|m| at(text, s.span(), format!("plots[{i}][{j}]"), m))?;
            names.push(sig.name);
        }
        if names.is_empty() {
            return Err(at(text, span, format!("plots[{i}]"), "is empty"));
        }
        plots.push(names);
    }
    if plots.is_empty() {
        plots = default_plots(twin.circuit.configuration.is_va());
    }

    Ok(Scenario {
        name: f.name,
        summary: f.summary,
        instructor_notes: f.instructor_notes,
        objectives: f.objectives.into_inner(),
        duration_s,
        sample_s,
        final_s,
        pass_percent: f.pass_percent.unwrap_or(70.0),
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

/// The key list is the control core's: a unit test of the parse keeps a switch name and a
/// setting name from colliding.
#[cfg(test)]
mod tests {
    #[test]
    fn settings_keys_are_unique() {
        let k = crate::scenario::settings_keys();
        for (i, a) in k.iter().enumerate() {
            assert!(!k[i + 1..].contains(a), "{a}");
        }
    }
}
