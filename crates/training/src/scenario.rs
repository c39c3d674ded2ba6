//! The scenario file (TOML, docs/scenarios.md): patient and circuit, starting console settings,
//! a timeline, conditional triggers, learning objectives, expected actions and outcomes with
//! points, and a model answer (the scripted good trainee).
//!
//! Patient and circuit are read by the experiment crate's own types (same keys, same errors),
//! so a scenario's patient is written exactly like an experiment's; events by the experiment
//! crate's reader of the twin's event table; settings by the control core's tables. Unknown
//! keys, types, ranges, and names (anchors, signals, alarms, actions) are refused with the line
//! and the dotted path of the field and what is allowed (scenario_file.rs reads the file).
use crate::action::Action;
use control::{AlarmId, Channel, Group, Mode, SETTINGS, SWITCHES, Setting, Switch};
use experiment::Error;
use physio::{Event, TwinConfig};
use sil::ChannelFault;

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

/// A kink of the `line` (drainage or return) in words: its severity, or that it is straight.
fn kink(line: &str, x: f64) -> String {
    if x == 0.0 {
        format!("{line} line straightened")
    } else {
        format!("{line} line kinked (severity {x:.2})")
    }
}

/// A fluid infusion in words: its rate, or that it stopped.
fn fluid(name: &str, x: f64) -> String {
    if x == 0.0 {
        format!("{name} stopped")
    } else {
        format!("{name} at {x:.0} mL/h")
    }
}

/// A drug infusion in words: its rate, or that it stopped.
fn rate(drug: &str, x: f64, unit: &str) -> String {
    if x == 0.0 {
        format!("{drug} stopped")
    } else {
        format!("{drug} {x} {unit}")
    }
}

/// An event in words, for the instructor's log and the debrief.
pub fn describe_event(e: &Event) -> String {
    use physio::PatientParam as P;
    match *e {
        Event::DrainageKink(x) => kink("drainage", x),
        Event::ReturnKink(x) => kink("return", x),
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
        Event::CrystalloidInfusion(x) => fluid("crystalloid", x),
        Event::AlbuminInfusion(0.0) => "albumin stopped".into(),
        Event::AlbuminInfusion(x) => format!("albumin 5 % at {x:.0} mL/h"),
        Event::RedCellInfusion(x) => fluid("red cells", x),
        Event::PlasmaInfusion(x) => fluid("plasma", x),
        Event::HeparinBolus(u) => format!("heparin bolus {u:.0} U"),
        Event::HeparinInfusion(u) => format!("heparin infusion {u:.0} U/h"),
        Event::NorepinephrineInfusion(x) => rate("norepinephrine", x, "µg/kg/min"),
        Event::EpinephrineInfusion(x) => rate("epinephrine", x, "µg/kg/min"),
        Event::EpinephrineBolus(x) => format!("epinephrine bolus {x} µg"),
        Event::VasopressinInfusion(x) => rate("vasopressin", x, "U/min"),
        Event::DobutamineInfusion(x) => rate("dobutamine", x, "µg/kg/min"),
        Event::MilrinoneInfusion(x) => rate("milrinone", x, "µg/kg/min"),
        Event::PropofolInfusion(x) => rate("propofol", x, "mg/kg/h"),
        Event::PropofolBolus(x) => format!("propofol bolus {x} mg"),
        Event::FentanylInfusion(x) => rate("fentanyl", x, "µg/kg/h"),
        Event::FentanylBolus(x) => format!("fentanyl bolus {x} µg"),
        Event::RocuroniumInfusion(x) => rate("rocuronium", x, "mg/kg/h"),
        Event::RocuroniumBolus(x) => format!("rocuronium bolus {x} mg"),
        Event::BivalirudinInfusion(x) => rate("bivalirudin", x, "mg/kg/h"),
        Event::BivalirudinBolus(x) => format!("bivalirudin bolus {x} mg"),
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
                P::BaroreflexGain => "baroreflex gain",
                P::LungCompliance => "lung compliance",
                P::Recruitability => "recruitable lung",
                P::ChemoreflexGain => "chemoreflex gain",
                P::CardiopulmonaryGain => "cardiopulmonary reflex gain",
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
        Event::VentricularFibrillation(true) => "ventricular fibrillation".into(),
        Event::VentricularFibrillation(false) => "ventricular fibrillation ended".into(),
        Event::Asystole(true) => "asystole".into(),
        Event::Asystole(false) => "asystole ended".into(),
        Event::Pea(true) => "pulseless electrical activity".into(),
        Event::Pea(false) => "pulseless electrical activity ended".into(),
        Event::ChestCompressions(0.0) => "chest compressions stopped (hands off)".into(),
        Event::ChestCompressions(x) => format!("chest compressions at {x:.0}/min"),
        Event::CompressionDepth(x) => format!("compression depth {x} cm"),
        Event::Defibrillation(x) => format!("defibrillation {x:.0} J"),
        Event::VentilatorVc => "ventilator on volume control".into(),
        Event::VentilatorPc => "ventilator on pressure control".into(),
        Event::VentilatorSpontaneous => "ventilator on spontaneous breathing (CPAP)".into(),
        Event::VentilatorOff => "ventilator disconnected".into(),
        Event::VentilatorPeep(x) => format!("ventilator PEEP {x} cmH2O"),
        Event::VentilatorVt(x) => format!("ventilator tidal volume {x:.0} mL"),
        Event::VentilatorPinsp(x) => {
            format!("ventilator inspiratory pressure {x} cmH2O above PEEP")
        }
        Event::VentilatorRate(x) => format!("ventilator rate {x}/min"),
        Event::VentilatorIe(x) => format!("ventilator I:E 1:{x}"),
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
    /// Mean of the recorded means from the anchor to the `until` anchor (or the end): what a
    /// team kept up over a phase (the coronary perfusion pressure their compressions made).
    Mean,
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
    /// Where the window of `min`, `max` and `mean` ends: an anchor (its firing time), or the
    /// end of the run when `None` or when it never fired.
    pub until: Option<String>,
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

/// Names of the alarm limits in `[settings.alarm_limits]`: the control core's.
pub fn alarm_limit_names() -> Vec<&'static str> {
    SETTINGS
        .iter()
        .filter(|s| s.group == Group::Alarm)
        .map(|s| s.name)
        .collect()
}

/// The intervention limits `[settings.intervention_limits]` takes: the control core's (the
/// suction and return-pressure limits, the minimum VA speed; the bubble stop has none).
pub(crate) fn intervention_limits() -> impl Iterator<Item = &'static control::SettingSpec> {
    SETTINGS
        .iter()
        .filter(|s| s.group == Group::Intervention && s.min < s.max)
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
/// switches, and the three sub-tables.
pub(crate) fn settings_keys() -> Vec<&'static str> {
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
    v.extend(["alarm_limits", "interventions", "intervention_limits"]);
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

/// A script file: `[[action]]` entries and an optional `name`.
pub fn parse_script(text: &str) -> Result<(Option<String>, Vec<ScriptStep>), Error> {
    crate::scenario_file::parse_script(text)
}

/// Read a script file (bounded, [`input::read::SCENARIO`]); errors name the file and line.
pub fn load_script(path: &std::path::Path) -> Result<(Option<String>, Vec<ScriptStep>), Error> {
    let text = input::read::read_to_string(path, input::read::SCENARIO)?;
    parse_script(&text).map_err(|e| e.in_file(path.display()))
}

impl Scenario {
    /// Read a scenario file (bounded, [`input::read::SCENARIO`]); errors name the file and
    /// line.
    pub fn load(path: &std::path::Path) -> Result<Scenario, Error> {
        let text = input::read::read_to_string(path, input::read::SCENARIO)?;
        Scenario::parse(&text).map_err(|e| e.in_file(path.display()))
    }

    /// Parse and fully check a scenario; a scenario that parses will start.
    pub fn parse(text: &str) -> Result<Scenario, Error> {
        crate::scenario_file::parse(text)
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
