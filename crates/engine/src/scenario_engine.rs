//! A training scenario as the console's engine: `ecmo serve --training FILE`.
//!
//! [`ScenarioEngine`] wraps the product's own engine ([`SilEngine`]: the twin, its sensors and
//! the control core), so the trainee sees and drives exactly the console they will use, and adds
//! a `training::run::Session` told after every control step: the scenario's timeline and
//! conditional triggers, the record of every action and alarm, and the score.
//!
//! The scenario waits, paused, until the instructor starts it: trainee and instructor log in,
//! see the patient settled at the starting settings, and the clock runs from `scenario.start`.
//! The instructor works through the console's injection list (the Instructor tab), which this
//! engine extends with:
//! - `scenario.start`, `scenario.pause` (1 pause, 0 resume), `scenario.speed` (× real time,
//!   1..50), `scenario.end`;
//! - `bedside.*`: what the trainee does at the bedside (a fluid bolus, a new oxygenator, a blood
//!   gas), entered by the instructor on the trainee's behalf and scored as the trainee's;
//! - every fault of the console's own list (kinks, air, pump failure, sensor faults).
//!
//! Remarks are the server's (`POST /api/remark`, recorded as `remark` events). Everything the
//! scenario does is reported as `scenario` events; lab results as `lab` events (so they reach
//! every screen's log); when the scenario ends, the whole run record goes into the recording as
//! one `training_record` event, from which `ecmo debrief --db` and the console's debrief page
//! build the report.
//!
//! Starting settings come from the scenario file: settings saved by earlier runs are refused
//! until the scenario's clock has started.
use crate::engine::Engine;
use crate::live::SilEngine;
use crate::model::{
    AlarmStatus, Command, InjectionInfo, Numerics, PatientView, Settings, TrainingView, Wave,
};
use serde_json::{Value, json};
use std::path::Path;
use training::action::{ACTIONS, Action, LABS, ValueSpec};
use training::run::{Session, build_sil};
use training::{Record, Scenario};

/// The fastest the instructor may run a scenario: 50 × real time keeps one console tick under
/// 50 control steps (a few ms of work on the 2-core target).
pub const MAX_SPEED: f64 = 50.0;

pub struct ScenarioEngine {
    inner: SilEngine,
    session: Session,
    scenario: Scenario,
    path: String,
    speed: f64,
    paused: bool,
    started: bool,
    /// The instructor has started the scenario's clock (`scenario.start`).
    begun: bool,
    owed: f64,
    events: Vec<(String, Value)>,
    reported_happenings: usize,
    record_sent: bool,
}

/// Build the engine for a scenario file: the loop, the starting settings, the warm-up.
pub fn build(path: &Path, seed: Option<u64>) -> Result<ScenarioEngine, String> {
    let mut scenario = Scenario::load(path).map_err(|e| format!("{}: {e}", path.display()))?;
    if let Some(s) = seed {
        scenario.twin.seed = s;
    }
    let mut sil = build_sil(&scenario).map_err(|e| format!("{}: {e}", path.display()))?;
    let session = Session::start(&scenario, "console", &mut sil)
        .map_err(|e| format!("{}: {e}", path.display()))?;
    let inner = SilEngine::from_sil(sil, &scenario.name, scenario.twin.clone());
    Ok(ScenarioEngine {
        inner,
        session,
        scenario,
        path: path.display().to_string(),
        speed: 1.0,
        paused: true,
        started: false,
        begun: false,
        owed: 0.0,
        events: Vec::new(),
        reported_happenings: 0,
        record_sent: false,
    })
}

/// A console command in the scenario's action vocabulary (kind, value), so that the scenario's
/// expected actions score what the trainee did on the screen.
pub fn action_of(cmd: &Command) -> (String, String) {
    let num = |v: f64| {
        if v.fract() == 0.0 {
            format!("{}", v as i64)
        } else {
            format!("{v}")
        }
    };
    match cmd {
        Command::Mode { mode } => ("set_mode".into(), mode.clone()),
        Command::Param { name, value } => match name.as_str() {
            "rpm_target" => ("set_rpm".into(), num(*value)),
            "flow_target" => ("set_flow".into(), num(*value)),
            "sweep" => ("set_sweep".into(), num(*value)),
            // The screen shows FdO2 in percent; the scenario vocabulary uses the fraction.
            "fdo2" => ("set_fdo2".into(), num(*value / 100.0)),
            "heater" => ("set_heater".into(), num(*value)),
            other => (format!("set_{other}"), num(*value)),
        },
        Command::Switch { name, on } if name == "return_clamp" => {
            ("clamp_return".into(), on.to_string())
        }
        Command::Switch { name, on } => (format!("switch_{name}"), on.to_string()),
        Command::Action { name } => (name.clone(), String::new()),
        Command::PauseAudio => ("pause_audio".into(), String::new()),
        Command::Acknowledge { id: None } => ("acknowledge_all".into(), String::new()),
        Command::Acknowledge { id: Some(id) } => ("acknowledge".into(), id.clone()),
    }
}

fn info(
    name: String,
    label: String,
    unit: &str,
    min: f64,
    max: f64,
    default: f64,
) -> InjectionInfo {
    // The scenario's own controls and the trainee's bedside actions; the twin's events, patient
    // parameters and sensor faults keep the groups live.rs gives them.
    let group = if name.starts_with("scenario.") {
        "Scenario"
    } else {
        "Trainee"
    };
    InjectionInfo {
        name,
        label,
        group: group.into(),
        unit: unit.into(),
        min,
        max,
        default,
    }
}

/// The instructor's scenario controls and the trainee's bedside actions.
pub fn training_injections() -> Vec<InjectionInfo> {
    let mut v = vec![
        info(
            "scenario.start".into(),
            "Scenario: start".into(),
            "",
            1.0,
            1.0,
            1.0,
        ),
        info(
            "scenario.pause".into(),
            "Scenario: pause (1) / resume (0)".into(),
            "",
            0.0,
            1.0,
            1.0,
        ),
        info(
            "scenario.speed".into(),
            "Scenario: speed".into(),
            "× real time",
            1.0,
            MAX_SPEED,
            10.0,
        ),
        info(
            "scenario.end".into(),
            "Scenario: end now".into(),
            "",
            1.0,
            1.0,
            1.0,
        ),
    ];
    for a in ACTIONS.iter().filter(|a| a.side == "bedside") {
        match a.value {
            ValueSpec::Number { lo, hi, unit } => {
                // An event's typical value (the twin's event table), else the usual one.
                let default = a.typical().unwrap_or(match a.name {
                    "give_volume" => 500.0,
                    "hand_crank" => 3000.0,
                    "ventilator_fio2" => 1.0,
                    _ => lo,
                });
                v.push(info(
                    format!("bedside.{}", a.name),
                    format!("Trainee: {}", a.doc.trim_end_matches('.')),
                    unit,
                    lo,
                    hi,
                    default,
                ));
            }
            ValueSpec::Choice(_) => {
                for l in LABS {
                    v.push(info(
                        format!("bedside.lab.{l}"),
                        format!("Trainee: lab {l}"),
                        "",
                        1.0,
                        1.0,
                        1.0,
                    ));
                }
            }
            ValueSpec::None | ValueSpec::Bool => v.push(info(
                format!("bedside.{}", a.name),
                format!("Trainee: {}", a.doc.trim_end_matches('.')),
                "",
                1.0,
                1.0,
                1.0,
            )),
        }
    }
    v
}

impl ScenarioEngine {
    pub fn scenario(&self) -> &Scenario {
        &self.scenario
    }

    /// The run so far (closed at the current time).
    pub fn record(&self) -> Record {
        self.session.snapshot()
    }

    fn report(&mut self) {
        let rec = self.session.record();
        for h in &rec.happenings[self.reported_happenings..] {
            self.events.push((
                "scenario".into(),
                json!({"source": h.source, "label": h.label, "text": h.text, "t_scenario": h.t_s}),
            ));
            // A lab result coming back after its turnaround (training::lab).
            if h.source == "lab" {
                self.events
                    .push(("lab".into(), json!({"result": h.text, "test": h.label})));
            }
        }
        self.reported_happenings = rec.happenings.len();
        if self.session.ended() && !self.record_sent {
            self.record_sent = true;
            let rec = self.session.snapshot();
            let score = training::score(&self.scenario, &rec);
            self.events.push((
                "scenario".into(),
                json!({"source": "scenario", "text": format!(
                    "scenario ended at {:.0} s: {} {:.0} %", rec.ended_s,
                    if score.passed { "passed" } else { "not passed" }, score.percent)}),
            ));
            match serde_json::to_value(&rec) {
                Ok(v) => self
                    .events
                    .push(("training_record".into(), json!({"record": v}))),
                Err(e) => self.events.push((
                    "scenario".into(),
                    json!({"text": format!("record lost: {e}")}),
                )),
            }
        }
    }
}

impl Engine for ScenarioEngine {
    fn advance(&mut self, dt_s: f64) {
        self.started = true;
        if self.paused || self.session.ended() {
            self.report();
            return;
        }
        let period = control::CONTROL_PERIOD_MS as f64 / 1000.0;
        self.owed += dt_s * self.speed / period;
        while self.owed >= 1.0 - 1e-9 && !self.session.ended() {
            let session = &mut self.session;
            self.inner.step_then(|sil| session.after_step(sil));
            self.owed -= 1.0;
        }
        self.report();
    }

    fn time_s(&self) -> f64 {
        self.session.t_s()
    }

    fn wave(&self) -> Wave {
        Wave {
            t: self.time_s(),
            ..self.inner.wave()
        }
    }

    fn numerics(&self) -> Numerics {
        Numerics {
            t: self.time_s(),
            ..self.inner.numerics()
        }
    }

    fn alarms(&self) -> AlarmStatus {
        self.inner.alarms()
    }

    fn settings(&self) -> Settings {
        self.inner.settings()
    }

    fn command(&mut self, cmd: &Command) -> Result<(), String> {
        if !self.started {
            return Err(
                "a training scenario starts from its own settings; saved settings are not restored"
                    .into(),
            );
        }
        if self.session.ended() {
            return Err("the scenario has ended".into());
        }
        let r = self.inner.command(cmd);
        let (kind, value) = action_of(cmd);
        let answer = match &r {
            Ok(()) => Ok("accepted".to_string()),
            Err(e) => Err(e.clone()),
        };
        self.session.note_action("trainee", &kind, &value, &answer);
        r
    }

    fn injections(&self) -> Vec<InjectionInfo> {
        let mut v = training_injections();
        v.extend(self.inner.injections());
        v
    }

    fn inject(&mut self, name: &str, value: f64) -> Result<(), String> {
        if let Some(what) = name.strip_prefix("scenario.") {
            let text = match what {
                "start" => {
                    self.paused = false;
                    self.begun = true;
                    "started".to_string()
                }
                "pause" => {
                    self.paused = value >= 0.5;
                    if self.paused { "paused" } else { "resumed" }.to_string()
                }
                "speed" => {
                    if !(value.is_finite() && (1.0..=MAX_SPEED).contains(&value)) {
                        return Err(format!(
                            "speed {value}: allowed 1..={MAX_SPEED} × real time"
                        ));
                    }
                    self.speed = value;
                    format!("speed {value} × real time")
                }
                "end" => {
                    self.session.end();
                    "ended by the instructor".to_string()
                }
                other => return Err(format!("unknown scenario control '{other}'")),
            };
            self.session
                .note("instructor", "", &format!("scenario {text}"));
            self.report();
            return Ok(());
        }
        if self.session.ended() {
            return Err("the scenario has ended".into());
        }
        if let Some(what) = name.strip_prefix("bedside.") {
            let (kind, tv) = match what.strip_prefix("lab.") {
                Some(l) => ("lab", Some(toml::Value::String(l.to_string()))),
                None => {
                    let k = training::action::kind(what)
                        .ok_or_else(|| format!("unknown bedside action '{what}'"))?;
                    let tv = match k.value {
                        ValueSpec::Number { .. } => Some(toml::Value::Float(value)),
                        ValueSpec::Bool => Some(toml::Value::Boolean(value >= 0.5)),
                        _ => None,
                    };
                    (k.name, tv)
                }
            };
            let action = Action::new("inject", kind, tv.as_ref()).map_err(|e| e.message)?;
            let session = &mut self.session;
            let r = self
                .inner
                .act_on(|sil| session.act(sil, "trainee", &action));
            if let Ok(result) = &r
                && kind == "lab"
            {
                self.events.push(("lab".into(), json!({"result": result})));
            }
            return r.map(|_| ());
        }
        let r = self.inner.inject(name, value);
        let text = match &r {
            Ok(()) => format!("{name} = {value}"),
            Err(e) => format!("{name} = {value} (refused: {e})"),
        };
        self.session.note("instructor", "", &text);
        r
    }

    fn describe(&self) -> Value {
        json!({
            "engine": self.inner.describe(),
            "training": {
                "scenario": self.scenario.name,
                "file": self.path,
                "duration_s": self.scenario.duration_s,
                "text": self.scenario.source,
            },
        })
    }

    fn heartbeat(&mut self, alive: bool) {
        self.inner.heartbeat(alive);
    }

    fn take_events(&mut self) -> Vec<(String, Value)> {
        std::mem::take(&mut self.events)
    }

    fn patient(&self) -> Option<PatientView> {
        Some(self.inner.patient())
    }

    fn training(&self) -> Option<TrainingView> {
        Some(TrainingView {
            scenario: self.scenario.name.clone(),
            started: self.begun,
            paused: self.paused,
            ended: self.session.ended(),
            speed: self.speed,
        })
    }

    fn event_author(&self) -> &'static str {
        "scenario"
    }
}
