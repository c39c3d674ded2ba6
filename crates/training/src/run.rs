//! Running a scenario on the software-in-the-loop: the twin, the sensor layer and the real
//! control core, stepped at the control period, with the timeline, the triggers and the
//! trainee's actions in between.
//!
//! [`Session`] holds everything but the loop and is told after each control step; [`Runner`]
//! owns a loop and a session for headless scripted runs ([`run_script`], as fast as the CPU
//! allows), while a console engine owns its loop and paces it (instructor actions, remarks and
//! faults arrive between steps).
use crate::action::Action;
use crate::lab::{self, Pending};
use crate::names::{self, SIGNALS};
use crate::record::{ActionEntry, AlarmEntry, FORMAT, HappeningEntry, Record, Remark};
use crate::scenario::{Condition, Happening, Scenario, ScriptStep};
use control::{AlarmSet, Command, Mode, Priority};
use experiment::Error;
use physio::rng::Rng;
use sil::Sil;
use std::collections::BTreeMap;

/// Control steps per second (10 ms period).
const STEPS_PER_S: u64 = 1000 / control::CONTROL_PERIOD_MS;

/// A scenario in progress on a loop it does not own: everything but the `Sil`. A console
/// engine owns the loop and hands it to the session after each control step; [`Runner`] owns
/// both for headless runs.
pub struct Session {
    scenario: Scenario,
    /// Controller time at the last step the session saw, ms.
    now_ms: u64,
    next_timeline: usize,
    /// Per trigger: since when its condition holds, and whether it has fired.
    trig_since: Vec<Option<f64>>,
    trig_fired: Vec<bool>,
    script: Vec<(ScriptStep, bool)>,
    prev_alarms: AlarmSet,
    // Means over the current second.
    sec_sum: Vec<f64>,
    sec_n: Vec<u32>,
    last_second: Vec<f64>,
    // Means over the current sample interval (of 1-s means).
    sample_sum: Vec<f64>,
    sample_n: Vec<u32>,
    record: Record,
    ended: bool,
    /// Controller time at which the scenario's clock starts (after the warm-up), ms.
    t0_ms: u64,
    /// Lab samples on their way, and the analysers' error generator.
    labs: Vec<Pending>,
    lab_rng: Rng,
}

/// Simulated seconds the loop runs at the starting settings before the scenario's clock
/// starts, so that the trainee takes over a settled patient rather than the pump's spin-up
/// (the twin's blood gases settle within about two minutes of a change).
pub const WARMUP_S: f64 = 180.0;

impl Session {
    /// Start a scenario on a fresh loop built from its twin ([`build_sil`]): apply the
    /// starting settings, the t = 0 timeline, the warm-up, and start the scenario's clock.
    pub fn start(scenario: &Scenario, trainee: &str, sil: &mut Sil) -> Result<Session, Error> {
        let s = &scenario.settings;
        let mut commands = Vec::new();
        for &(setting, value) in &s.values {
            // Sweep bounds are set as a pair; the other bound is the one in force.
            commands.push(setting.command(value as f32, sil.controller().settings()));
        }
        for &(switch, on) in &s.switches {
            commands.push(switch.command(on));
        }
        if s.mode == Mode::Flow {
            // Flow mode starts from RPM mode at a speed near the target, as an operator would.
            commands.push(Command::SetMode(Mode::Rpm));
        }
        commands.push(Command::SetMode(s.mode));
        for c in &commands {
            sil.submit(*c).map_err(|e| {
                Error::new("settings", format!("the controller refused {c:?}: {e}"))
            })?;
        }
        let n = SIGNALS.len();
        let record = Record {
            format: FORMAT,
            scenario_name: scenario.name.clone(),
            scenario_text: scenario.source.clone(),
            trainee: trainee.to_string(),
            sample_s: scenario.sample_s,
            signals: SIGNALS
                .iter()
                .map(|s| (s.name.to_string(), Vec::new()))
                .collect(),
            ..Record::default()
        };
        let mut r = Session {
            scenario: scenario.clone(),
            now_ms: sil.now_ms(),
            next_timeline: 0,
            trig_since: vec![None; scenario.triggers.len()],
            trig_fired: vec![false; scenario.triggers.len()],
            script: Vec::new(),
            prev_alarms: AlarmSet::EMPTY,
            sec_sum: vec![0.0; n],
            sec_n: vec![0; n],
            last_second: vec![f64::NAN; n],
            sample_sum: vec![0.0; n],
            sample_n: vec![0; n],
            record,
            ended: false,
            t0_ms: 0,
            labs: Vec::new(),
            lab_rng: Rng::new(lab::seed_for(&scenario.name)),
        };
        // Entries at t = 0 describe the starting state (a membrane already clotted, a worn
        // battery): they act before the warm-up, so that the sensors and alarms settle on them.
        r.t0_ms = sil.now_ms();
        r.fire_timeline(sil);
        sil.run_for(WARMUP_S);
        // Whatever the spin-up raised is history: acknowledged, so that only what the scenario
        // causes is signalled from its start.
        let _ = sil.submit(Command::AcknowledgeAll);
        sil.step();
        r.t0_ms = sil.now_ms();
        r.now_ms = r.t0_ms;
        r.fire_timeline(sil);
        Ok(r)
    }

    /// Give the runner a script to play (the scripted trainee).
    pub fn set_script(&mut self, steps: &[ScriptStep]) {
        self.script = steps.iter().map(|s| (s.clone(), false)).collect();
    }

    pub fn scenario(&self) -> &Scenario {
        &self.scenario
    }
    /// Scenario time, s (0 when the trainee takes over, after the warm-up).
    pub fn t_s(&self) -> f64 {
        self.now_ms.saturating_sub(self.t0_ms) as f64 / 1000.0
    }
    pub fn finished(&self) -> bool {
        self.ended || self.t_s() >= self.scenario.duration_s - 1e-9
    }
    /// Whether it has been ended (by the instructor or its duration).
    pub fn ended(&self) -> bool {
        self.ended
    }
    pub fn record(&self) -> &Record {
        &self.record
    }

    /// An action by the trainee or the instructor, now. Recorded either way.
    /// A `lab` action draws a sample now; its result is recorded as a happening (source
    /// `lab`) when the test's turnaround has passed ([`crate::lab`]).
    pub fn act(&mut self, sil: &mut Sil, who: &str, action: &Action) -> Result<String, String> {
        let mut r = action.apply(sil);
        if action.kind == "lab"
            && r.is_ok()
            && let Some(test) = lab::Test::by_name(&action.value.show())
        {
            let p = Pending::draw(test, self.t_s(), sil.observation());
            r = Ok(p.sent());
            self.labs.push(p);
        }
        self.note_action(who, action.kind, &action.value.show(), &r);
        r
    }

    /// Report the lab results whose turnaround has passed, in the order they come back.
    fn deliver_labs(&mut self) {
        let t = self.t_s();
        while let Some(i) = (0..self.labs.len())
            .filter(|&i| self.labs[i].due_s <= t + 1e-9)
            .min_by(|&a, &b| self.labs[a].due_s.total_cmp(&self.labs[b].due_s))
        {
            let p = self.labs.remove(i);
            let text = p.result(&mut self.lab_rng);
            self.record.happenings.push(HappeningEntry {
                t_s: t,
                source: "lab".to_string(),
                label: p.test.name().to_string(),
                text,
            });
        }
    }

    /// Record an action taken elsewhere (a console command the engine already handed to the
    /// controller), with its answer.
    pub fn note_action(&mut self, who: &str, kind: &str, value: &str, r: &Result<String, String>) {
        self.record.actions.push(ActionEntry {
            t_s: self.t_s(),
            who: who.to_string(),
            action: kind.to_string(),
            value: value.to_string(),
            accepted: r.is_ok(),
            answer: match r {
                Ok(m) | Err(m) => m.clone(),
            },
        });
    }

    /// The instructor injects something live (a fault, an event, a note).
    pub fn inject(&mut self, sil: &mut Sil, what: &Happening) -> Result<(), String> {
        self.happen(sil, "instructor", "", what)
    }

    /// Record something that happened elsewhere (an instructor's fault injected through a
    /// console's own event list) without applying it again.
    pub fn note(&mut self, source: &str, label: &str, text: &str) {
        self.record.happenings.push(HappeningEntry {
            t_s: self.t_s(),
            source: source.to_string(),
            label: label.to_string(),
            text: text.to_string(),
        });
    }

    /// A remark for the debrief.
    pub fn remark(&mut self, who: &str, text: &str) {
        self.record.remarks.push(Remark {
            t_s: self.t_s(),
            who: who.to_string(),
            text: text.to_string(),
        });
    }

    /// End the run now (the instructor's "end scenario").
    pub fn end(&mut self) {
        self.ended = true;
    }

    fn happen(
        &mut self,
        sil: &mut Sil,
        source: &str,
        label: &str,
        what: &Happening,
    ) -> Result<(), String> {
        let r = match what {
            Happening::Event(e) => sil.event(e).map_err(|e| e.to_string()),
            Happening::Sensor(c, f) => sil.set_sensor_fault(*c, *f).map_err(|e| e.to_string()),
            Happening::Remark(_) => Ok(()),
        };
        self.record.happenings.push(HappeningEntry {
            t_s: self.t_s(),
            source: source.to_string(),
            label: label.to_string(),
            text: match &r {
                Ok(()) => what.describe(),
                Err(e) => format!("{} (refused: {e})", what.describe()),
            },
        });
        r
    }

    fn fire_timeline(&mut self, sil: &mut Sil) {
        let t = self.t_s();
        while let Some(e) = self.scenario.timeline.get(self.next_timeline) {
            if e.at_s > t + 1e-9 {
                break;
            }
            let e = e.clone();
            self.next_timeline += 1;
            let label = e.label.clone().unwrap_or_default();
            for h in &e.what {
                // Scenario events were range-checked at parse time; a refusal here (e.g. a
                // volume the patient no longer has) is recorded, not fatal.
                let _ = self.happen(sil, "timeline", &label, h);
            }
            if let Some(l) = e.label {
                self.record.anchors.entry(l).or_insert(t);
            }
        }
    }

    fn anchor_time(&self, after: &Option<String>) -> Option<f64> {
        match after {
            None => Some(0.0),
            Some(a) => self.record.anchors.get(a).copied(),
        }
    }

    fn play_script(&mut self, sil: &mut Sil) {
        let t = self.t_s();
        for i in 0..self.script.len() {
            if self.script[i].1 {
                continue;
            }
            let Some(t0) = self.anchor_time(&self.script[i].0.after) else {
                continue;
            };
            if t + 1e-9 >= t0 + self.script[i].0.at_s {
                self.script[i].1 = true;
                let action = self.script[i].0.action.clone();
                let _ = self.act(sil, "trainee", &action);
            }
        }
    }

    fn log_alarms(&mut self, sil: &Sil) {
        let now = sil.output().alarms.signalled;
        if now == self.prev_alarms {
            return;
        }
        let t = self.t_s();
        for &id in control::AlarmId::ALL {
            let (was, is) = (self.prev_alarms.contains(id), now.contains(id));
            if was != is {
                let spec = id.spec();
                self.record.alarms.push(AlarmEntry {
                    t_s: t,
                    alarm: names::alarm_name(id),
                    priority: match spec.priority {
                        Priority::High => "high",
                        Priority::Medium => "medium",
                        Priority::Low => "low",
                    }
                    .to_string(),
                    text: spec.text.to_string(),
                    raised: is,
                });
            }
        }
        self.prev_alarms = now;
    }

    /// After each control step of the loop: timeline, script, alarms, trends and triggers.
    pub fn after_step(&mut self, sil: &mut Sil) {
        self.now_ms = sil.now_ms();
        if self.ended {
            return;
        }
        self.fire_timeline(sil);
        self.play_script(sil);
        self.deliver_labs();
        self.log_alarms(sil);
        let (o, f) = (sil.observation(), sil.frame());
        for (i, s) in SIGNALS.iter().enumerate() {
            let x = (s.get)(o, f);
            if x.is_finite() {
                self.sec_sum[i] += x;
                self.sec_n[i] += 1;
            }
        }
        if (self.now_ms - self.t0_ms).is_multiple_of(STEPS_PER_S * control::CONTROL_PERIOD_MS) {
            self.second(sil);
        }
        if self.t_s() >= self.scenario.duration_s - 1e-9 {
            self.ended = true;
        }
    }

    /// End of a second: 1-s means, triggers, and (every `sample_s`) a recorded sample.
    fn second(&mut self, sil: &mut Sil) {
        for i in 0..SIGNALS.len() {
            self.last_second[i] = if self.sec_n[i] > 0 {
                self.sec_sum[i] / self.sec_n[i] as f64
            } else {
                f64::NAN
            };
            self.sec_sum[i] = 0.0;
            self.sec_n[i] = 0;
            if self.last_second[i].is_finite() {
                self.sample_sum[i] += self.last_second[i];
                self.sample_n[i] += 1;
            }
        }
        self.check_triggers(sil);
        let t = self.t_s();
        let whole = t.round() as u64;
        if whole.is_multiple_of(self.scenario.sample_s as u64) {
            self.record.t_s.push(t);
            for (i, s) in SIGNALS.iter().enumerate() {
                let v =
                    (self.sample_n[i] > 0).then(|| self.sample_sum[i] / self.sample_n[i] as f64);
                if let Some(col) = self.record.signals.get_mut(s.name) {
                    col.push(v);
                }
                self.sample_sum[i] = 0.0;
                self.sample_n[i] = 0;
            }
        }
    }

    fn check_triggers(&mut self, sil: &mut Sil) {
        let t = self.t_s();
        for k in 0..self.scenario.triggers.len() {
            if self.trig_fired[k] {
                continue;
            }
            let trig = &self.scenario.triggers[k];
            if self.anchor_time(&trig.after).is_none() {
                continue;
            }
            let (holds, for_s) = match &trig.when {
                Condition::Signal {
                    signal,
                    below,
                    above,
                    for_s,
                } => {
                    let i = SIGNALS.iter().position(|s| s.name == *signal).unwrap_or(0);
                    let x = self.last_second[i];
                    let ok =
                        x.is_finite() && below.is_none_or(|b| x < b) && above.is_none_or(|a| x > a);
                    (ok, *for_s)
                }
                Condition::Alarm { alarm, for_s } => {
                    (sil.output().alarms.signalled.contains(*alarm), *for_s)
                }
            };
            if !holds {
                self.trig_since[k] = None;
                continue;
            }
            // The condition held over the last second: count from its start.
            let since = *self.trig_since[k].get_or_insert(t - 1.0);
            if t - since + 1e-9 >= for_s.max(1.0) {
                self.trig_fired[k] = true;
                let trig = self.scenario.triggers[k].clone();
                self.record.anchors.insert(trig.name.clone(), t);
                self.record.happenings.push(HappeningEntry {
                    t_s: t,
                    source: "trigger".into(),
                    label: trig.name.clone(),
                    text: format!("trigger `{}` fired", trig.name),
                });
                for h in &trig.then {
                    let _ = self.happen(sil, "trigger", &trig.name, h);
                }
            }
        }
    }

    /// Close the record.
    pub fn finish(mut self) -> Record {
        self.record.ended_s = self.t_s();
        self.record
    }

    /// The record so far, closed at the current time (for a live debrief).
    pub fn snapshot(&self) -> Record {
        let mut r = self.record.clone();
        r.ended_s = self.t_s();
        r
    }
}

/// The loop a scenario runs on: its twin with the twin's sensor suite under the control core.
pub fn build_sil(scenario: &Scenario) -> Result<Sil, Error> {
    Sil::new(&scenario.twin).map_err(|e| Error::new("", e.to_string()))
}

/// A scenario with its own loop: for headless runs.
pub struct Runner {
    session: Session,
    sil: Sil,
}

impl Runner {
    /// Build the loop, apply the starting settings and the t = 0 timeline, warm up.
    pub fn new(scenario: &Scenario, trainee: &str) -> Result<Runner, Error> {
        let mut sil = build_sil(scenario)?;
        let session = Session::start(scenario, trainee, &mut sil)?;
        Ok(Runner { session, sil })
    }
    pub fn set_script(&mut self, steps: &[ScriptStep]) {
        self.session.set_script(steps);
    }
    pub fn session(&self) -> &Session {
        &self.session
    }
    pub fn sil(&self) -> &Sil {
        &self.sil
    }
    pub fn t_s(&self) -> f64 {
        self.session.t_s()
    }
    pub fn finished(&self) -> bool {
        self.session.finished()
    }
    /// An action now.
    pub fn act(&mut self, who: &str, action: &Action) -> Result<String, String> {
        self.session.act(&mut self.sil, who, action)
    }
    /// Something injected now.
    pub fn inject(&mut self, what: &Happening) -> Result<(), String> {
        self.session.inject(&mut self.sil, what)
    }
    pub fn remark(&mut self, who: &str, text: &str) {
        self.session.remark(who, text);
    }
    pub fn end(&mut self) {
        self.session.end();
    }
    /// One control step (10 ms) and everything between steps.
    pub fn step(&mut self) {
        if self.session.finished() {
            return;
        }
        self.sil.step();
        self.session.after_step(&mut self.sil);
    }
    /// One simulated second.
    pub fn step_second(&mut self) {
        for _ in 0..STEPS_PER_S {
            self.step();
        }
    }
    pub fn finish(self) -> Record {
        self.session.finish()
    }
}

/// Run a scenario headless with a script, as fast as the CPU allows.
pub fn run_script(
    scenario: &Scenario,
    trainee: &str,
    script: &[ScriptStep],
) -> Result<Record, Error> {
    scenario.check_script(script)?;
    let start = std::time::Instant::now();
    let mut r = Runner::new(scenario, trainee)?;
    r.set_script(script);
    while !r.finished() {
        r.step_second();
    }
    let mut rec = r.finish();
    rec.wall_s = start.elapsed().as_secs_f64();
    Ok(rec)
}

/// Alarms raised during the run, by name, with how often.
pub fn alarm_counts(rec: &Record) -> BTreeMap<String, usize> {
    let mut m = BTreeMap::new();
    for a in rec.alarms.iter().filter(|a| a.raised) {
        *m.entry(a.alarm.clone()).or_insert(0) += 1;
    }
    m
}
