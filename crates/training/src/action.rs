//! What a trainee (or the instructor) can do: console commands, which go through the control
//! core's validation like any console's, and bedside actions, which change the patient or the
//! circuit the way hands at the bedside would (a fluid bolus, releasing a kink, a new oxygenator).
//!
//! Every action is answered: accepted with what happened, or refused with why. Procedures that
//! open the circuit (de-airing, oxygenator or pump-head change) are refused while the pump turns,
//! as they would be at the bedside: the trainee has to stop the pump first.
use control::{Channel, Command, Mode, Setting, Switch};
use experiment::Error;
use input::num;
use physio::{Event, EventArg, EventKind, EventValue, PatientParam};
use sil::{ChannelFault, Sil};

/// Pump speed below which the circuit may be opened, rpm: the Rotaflow head gives about
/// 44 mmHg at 1500 rpm at zero flow (circuit.md), so a few hundred rpm move no blood.
pub const OPEN_CIRCUIT_MAX_RPM: f64 = 300.0;

/// The contractility a moderate inotrope adds: LV end-systolic elastance × 1.5. Dobutamine at
/// 5–10 µg/kg/min raises Ees by half or more in pressure–volume studies \[assumption: order of
/// magnitude of the inotropic effect, not a fitted dose–response\].
pub const INOTROPE_EMAX_FACTOR: f64 = 1.5;

/// What an action's `value` must be.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum ValueSpec {
    None,
    Number {
        lo: f64,
        hi: f64,
        unit: &'static str,
    },
    Choice(&'static [&'static str]),
    Bool,
}

/// What an action does.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Does {
    /// Set a console setting through the control core (range and unit are its own).
    Set(Setting),
    /// Change the pump mode.
    Mode,
    /// Switch a console switch.
    Switch(Switch),
    /// A one-shot console command.
    Command(control::Action),
    /// Hands at the bedside (see [`Action::apply`]).
    Bedside,
    /// A bedside action that is one event of the twin's table, under the event's own name,
    /// with its value (range, unit, typical value): a drug, a fluid, compressions, a shock, a
    /// ventilator setting. Its value becomes the event's.
    Event(EventKind),
}

/// One kind of action: its name in files, its value, and what it does.
pub struct ActionKind {
    pub name: &'static str,
    pub value: ValueSpec,
    pub does: Does,
    /// `console` or `bedside`.
    pub side: &'static str,
    pub doc: &'static str,
}

/// The pump modes, as control names them.
pub const MODES: [&str; 4] = {
    let m = control::MODES;
    [m[0].name, m[1].name, m[2].name, m[3].name]
};
pub const LABS: &[&str] = &["act", "anti_xa", "pfhb", "blood_gas", "hb"];

/// A console action that sets `setting`: its value is the control core's range and unit.
const fn set(name: &'static str, setting: Setting, doc: &'static str) -> ActionKind {
    let s = setting.spec();
    ActionKind {
        name,
        value: ValueSpec::Number {
            lo: s.min,
            hi: s.max,
            unit: s.unit,
        },
        does: Does::Set(setting),
        side: "console",
        doc,
    }
}

/// A one-shot console command, named as control names it.
const fn command(action: control::Action, doc: &'static str) -> ActionKind {
    ActionKind {
        name: action.name(),
        value: ValueSpec::None,
        does: Does::Command(action),
        side: "console",
        doc,
    }
}

/// A bedside action.
const fn bedside(name: &'static str, value: ValueSpec, doc: &'static str) -> ActionKind {
    ActionKind {
        name,
        value,
        does: Does::Bedside,
        side: "bedside",
        doc,
    }
}

/// A bedside action whose value is an event's, with the event table's range and unit.
const fn bedside_event(name: &'static str, kind: EventKind, doc: &'static str) -> ActionKind {
    let value = match physio::EVENTS[kind as usize].value {
        EventValue::Number(q) => ValueSpec::Number {
            lo: q.min,
            hi: q.max,
            unit: q.unit,
        },
        EventValue::Flag => ValueSpec::Bool,
        EventValue::None | EventValue::Patient => ValueSpec::None,
    };
    bedside(name, value, doc)
}

/// A bedside action that is the twin's event `kind`, named as the event table names it
/// ([`physio::EVENTS`]), with the table's range and unit.
const fn event(kind: EventKind, doc: &'static str) -> ActionKind {
    let spec = &physio::EVENTS[kind as usize];
    let mut a = bedside_event(spec.name, kind, doc);
    a.does = Does::Event(kind);
    a
}

/// A bedside action that changes a patient parameter, with the patient table's range and unit.
const fn bedside_patient(name: &'static str, param: PatientParam, doc: &'static str) -> ActionKind {
    let f = param.field();
    bedside(
        name,
        ValueSpec::Number {
            lo: f.min,
            hi: f.max,
            unit: f.unit,
        },
        doc,
    )
}

/// Every action. Console actions take the control core's ranges and names ([`control::SETTINGS`],
/// [`control::SWITCHES`], [`control::ACTIONS`]); bedside ranges are the twin's event table's.
pub const ACTIONS: &[ActionKind] = &[
    ActionKind {
        name: "set_mode",
        value: ValueSpec::Choice(&MODES),
        does: Does::Mode,
        side: "console",
        doc: "Pump mode: standby (stopped, return clamped), rpm, flow, zero_flow (VA weaning).",
    },
    set("set_rpm", Setting::RpmTarget, "RPM-mode speed target."),
    set("set_flow", Setting::FlowTarget, "Flow-mode target."),
    set("set_sweep", Setting::Sweep, "Sweep gas flow."),
    set("set_fdo2", Setting::FdO2, "O2 fraction of the sweep gas."),
    set("set_heater", Setting::Heater, "Heater water set point."),
    ActionKind {
        name: "clamp_return",
        value: ValueSpec::Bool,
        does: Does::Switch(Switch::ReturnClamp),
        side: "console",
        doc: "Clamp (true) or unclamp (false) the return line.",
    },
    command(
        control::Action::AcknowledgeAll,
        "Acknowledge every signalled alarm.",
    ),
    command(control::Action::PauseAudio, "Pause alarm audio for 120 s."),
    command(
        control::Action::RestartAfterBubble,
        "Deliberate restart after a bubble stop; refused while air is at the detector.",
    ),
    bedside(
        "give_volume",
        ValueSpec::Number {
            lo: 50.0,
            hi: 2000.0,
            unit: "mL",
        },
        "Fluid or blood bolus.",
    ),
    bedside(
        "stop_bleeding",
        ValueSpec::None,
        "Surgical haemostasis of the bleeding site (the bleeding stops).",
    ),
    event(EventKind::HeparinBolus, "Heparin bolus."),
    event(
        EventKind::HeparinInfusion,
        "Set the heparin infusion rate (0 stops it).",
    ),
    ActionKind {
        name: "release_drainage_kink",
        value: ValueSpec::None,
        does: Does::Bedside,
        side: "bedside",
        doc: "Find and straighten a kinked or clamped drainage line.",
    },
    ActionKind {
        name: "release_return_kink",
        value: ValueSpec::None,
        does: Does::Bedside,
        side: "bedside",
        doc: "Find and straighten a kinked or clamped return line.",
    },
    ActionKind {
        name: "secure_connection",
        value: ValueSpec::None,
        does: Does::Bedside,
        side: "bedside",
        doc: "Find and close the point where air enters the drainage line.",
    },
    ActionKind {
        name: "de_air",
        value: ValueSpec::None,
        does: Does::Bedside,
        side: "bedside",
        doc: "Remove trapped air from the circuit. Pump must be stopped.",
    },
    ActionKind {
        name: "change_oxygenator",
        value: ValueSpec::None,
        does: Does::Bedside,
        side: "bedside",
        doc: "Replace the oxygenator with a new one. Pump must be stopped.",
    },
    ActionKind {
        name: "change_pump_head",
        value: ValueSpec::None,
        does: Does::Bedside,
        side: "bedside",
        doc: "Replace the pump head with a new one. Pump must be stopped.",
    },
    ActionKind {
        name: "restore_mains",
        value: ValueSpec::None,
        does: Does::Bedside,
        side: "bedside",
        doc: "Plug the console into a working mains outlet.",
    },
    bedside_event(
        "hand_crank",
        EventKind::ManualDrive,
        "Move the pump head to the hand-cranked emergency drive and turn it at this speed; 0 puts it back on the motor.",
    ),
    ActionKind {
        name: "replace_flow_sensor",
        value: ValueSpec::None,
        does: Does::Bedside,
        side: "bedside",
        doc: "Re-seat or replace the clamp-on flow sensor (clears its fault).",
    },
    ActionKind {
        name: "reposition_cannula",
        value: ValueSpec::None,
        does: Does::Bedside,
        side: "bedside",
        doc: "Pull a migrated drainage cannula back to where it was placed (imaging-guided).",
    },
    bedside_patient(
        "ventilator_fio2",
        PatientParam::Fio2,
        "Set the ventilator's inspired O2 fraction.",
    ),
    ActionKind {
        name: "start_inotrope",
        value: ValueSpec::None,
        does: Does::Bedside,
        side: "bedside",
        doc: "Start a moderate inotrope (LV contractility × 1.5).",
    },
    event(
        EventKind::NorepinephrineInfusion,
        "Set the norepinephrine infusion rate (0 stops it).",
    ),
    event(
        EventKind::VasopressinInfusion,
        "Set the vasopressin infusion rate (0 stops it).",
    ),
    event(
        EventKind::EpinephrineInfusion,
        "Set the epinephrine infusion rate (0 stops it).",
    ),
    event(
        EventKind::EpinephrineBolus,
        "Epinephrine bolus (1000 µg in cardiac arrest).",
    ),
    event(
        EventKind::DobutamineInfusion,
        "Set the dobutamine infusion rate (0 stops it).",
    ),
    event(
        EventKind::CrystalloidInfusion,
        "Set the crystalloid (Ringer's) infusion rate (0 stops it).",
    ),
    event(
        EventKind::AlbuminInfusion,
        "Set the albumin 5 % infusion rate (0 stops it).",
    ),
    event(
        EventKind::RedCellInfusion,
        "Transfuse packed red cells at this rate (0 stops it); a unit is about 300 mL.",
    ),
    event(
        EventKind::PlasmaInfusion,
        "Transfuse plasma at this rate (0 stops it).",
    ),
    event(
        EventKind::ChestCompressions,
        "Chest compressions at this rate (0: hands off).",
    ),
    event(
        EventKind::Defibrillation,
        "A defibrillation shock; in VF it may restore a rhythm, the better the coronary perfusion.",
    ),
    event(
        EventKind::VentilatorVc,
        "Ventilator to volume control (set tidal volume).",
    ),
    event(
        EventKind::VentilatorPc,
        "Ventilator to pressure control (set inspiratory pressure above PEEP).",
    ),
    event(
        EventKind::VentilatorSpontaneous,
        "Ventilator to spontaneous breathing on CPAP (at the set rate and tidal volume).",
    ),
    event(EventKind::VentilatorPeep, "Set the ventilator's PEEP."),
    event(
        EventKind::VentilatorVt,
        "Set the ventilator's tidal volume.",
    ),
    event(
        EventKind::VentilatorPinsp,
        "Set the ventilator's inspiratory pressure above PEEP (pressure control).",
    ),
    event(
        EventKind::VentilatorRate,
        "Set the ventilator's breath rate.",
    ),
    ActionKind {
        name: "lab",
        value: ValueSpec::Choice(LABS),
        does: Does::Bedside,
        side: "bedside",
        doc: "Send a sample: act, anti_xa, pfhb, blood_gas (upper-body arterial, with lactate) or hb. The sample is drawn now; the result, with the analyser's error, comes back after the test's turnaround (blood gas and Hb 3 min, ACT its clotting time + 1 min, anti-Xa and plasma free Hb 1 h).",
    },
];

impl ActionKind {
    /// The value an instructor's form offers first: the event table's typical value for an
    /// event action, otherwise `None`.
    pub fn typical(&self) -> Option<f64> {
        match self.does {
            Does::Event(k) => match k.spec().value {
                EventValue::Number(q) => Some(q.typical),
                _ => None,
            },
            _ => None,
        }
    }
}

pub fn kind(name: &str) -> Option<&'static ActionKind> {
    ACTIONS.iter().find(|a| a.name == name)
}

pub fn names() -> Vec<&'static str> {
    ACTIONS.iter().map(|a| a.name).collect()
}

/// An action's value, checked against its [`ValueSpec`].
#[derive(Clone, Debug, PartialEq)]
pub enum Value {
    None,
    Number(f64),
    Text(String),
    Bool(bool),
}

impl Value {
    pub fn number(&self) -> Option<f64> {
        match self {
            Value::Number(x) => Some(*x),
            _ => None,
        }
    }

    /// For logs and the debrief.
    pub fn show(&self) -> String {
        match self {
            Value::None => String::new(),
            Value::Number(x) => {
                if x.fract() == 0.0 && x.abs() < 1e9 {
                    format!("{}", *x as i64)
                } else {
                    format!("{x}")
                }
            }
            Value::Text(s) => s.clone(),
            Value::Bool(b) => b.to_string(),
        }
    }
}

/// One action to take.
#[derive(Clone, Debug, PartialEq)]
pub struct Action {
    pub kind: &'static str,
    pub value: Value,
}

impl Action {
    /// Build and check an action from its name and value (a TOML value or nothing).
    pub fn new(path: &str, name: &str, value: Option<&toml::Value>) -> Result<Action, Error> {
        let k = kind(name).ok_or_else(|| {
            Error::new(
                format!("{path}.action"),
                format!("unknown action `{name}`; allowed: {}", names().join(", ")),
            )
        })?;
        let vp = format!("{path}.value");
        let err = |m: String| Err(Error::new(vp.clone(), m));
        let value = match (k.value, value) {
            (ValueSpec::None, None) => Value::None,
            (ValueSpec::None, Some(_)) => return err(format!("`{name}` takes no value")),
            (_, None) => return err(format!("missing; `{name}` needs one")),
            (ValueSpec::Number { lo, hi, unit }, Some(v)) => {
                let x = match v {
                    toml::Value::Integer(i) => *i as f64,
                    toml::Value::Float(f) => *f,
                    _ => return err(format!("expected a number ({unit})")),
                };
                if !(x.is_finite() && x >= lo && x <= hi) {
                    return err(format!(
                        "{} is out of range: allowed {}..={} {unit}",
                        num(x),
                        num(lo),
                        num(hi)
                    ));
                }
                Value::Number(x)
            }
            (ValueSpec::Choice(list), Some(v)) => match v {
                toml::Value::String(s) if list.contains(&s.as_str()) => Value::Text(s.clone()),
                _ => return err(format!("expected one of: {}", list.join(", "))),
            },
            (ValueSpec::Bool, Some(v)) => match v {
                toml::Value::Boolean(b) => Value::Bool(*b),
                _ => return err("expected true or false".to_string()),
            },
        };
        Ok(Action {
            kind: k.name,
            value,
        })
    }

    /// Label for logs and the debrief: `set_rpm 2600`.
    pub fn label(&self) -> String {
        let v = self.value.show();
        if v.is_empty() {
            self.kind.to_string()
        } else {
            format!("{} {v}", self.kind)
        }
    }

    /// Do it on a running loop. `Ok` carries what happened (for a lab, the result); `Err` why it
    /// was refused.
    pub fn apply(&self, sil: &mut Sil) -> Result<String, String> {
        let num = self.value.number().unwrap_or(0.0);
        let cmd = |c: Command, sil: &mut Sil| -> Result<String, String> {
            sil.submit(c)
                .map(|_| "accepted".to_string())
                .map_err(|e| e.to_string())
        };
        let ev = |e: Event, sil: &mut Sil| -> Result<String, String> {
            sil.event(&e)
                .map(|_| "done".to_string())
                .map_err(|e| e.to_string())
        };
        let stopped = |sil: &Sil| -> Result<(), String> {
            let rpm = sil.observation().pump_speed_rpm;
            if rpm > OPEN_CIRCUIT_MAX_RPM {
                Err(format!(
                    "the pump still turns at {rpm:.0} rpm: stop it (standby) before opening the circuit"
                ))
            } else {
                Ok(())
            }
        };
        let Some(kind) = kind(self.kind) else {
            return Err(format!("unknown action `{}`", self.kind));
        };
        match kind.does {
            Does::Set(setting) => {
                let c = setting.command(num as f32, &sil.settings_ahead());
                return cmd(c, sil);
            }
            Does::Mode => {
                let mode = match &self.value {
                    Value::Text(s) => Mode::by_name(s),
                    _ => None,
                };
                return match mode {
                    Some(m) => cmd(Command::SetMode(m), sil),
                    None => Err(format!("unknown mode `{}`", self.value.show())),
                };
            }
            Does::Switch(sw) => return cmd(sw.command(self.value == Value::Bool(true)), sil),
            Does::Command(a) => return cmd(a.command(), sil),
            Does::Event(k) => {
                let arg = match self.value {
                    Value::Number(x) => EventArg::Number(x),
                    Value::Bool(b) => EventArg::Flag(b),
                    Value::None | Value::Text(_) => EventArg::None,
                };
                let e = Event::new(k, arg).map_err(|e| e.to_string())?;
                return ev(e, sil);
            }
            Does::Bedside => {}
        }
        match self.kind {
            "give_volume" => ev(Event::Volume(num), sil),
            "stop_bleeding" => ev(Event::Bleeding(0.0), sil),
            "release_drainage_kink" => ev(Event::DrainageKink(0.0), sil),
            "release_return_kink" => ev(Event::ReturnKink(0.0), sil),
            "secure_connection" => ev(Event::AirEntrainment(0.0), sil),
            "de_air" => {
                stopped(sil)?;
                ev(Event::DeAir, sil)
            }
            "change_oxygenator" => {
                stopped(sil)?;
                ev(Event::OxygenatorClot(0.0), sil)?;
                ev(Event::OxygenatorFailure(0.0), sil)
            }
            "change_pump_head" => {
                stopped(sil)?;
                ev(Event::PumpClot(0.0), sil)
            }
            "restore_mains" => ev(Event::PowerLoss(false), sil),
            "hand_crank" => ev(Event::ManualDrive(num), sil),
            "replace_flow_sensor" => sil
                .set_sensor_fault(Channel::Flow, ChannelFault::None)
                .map(|_| "done".to_string())
                .map_err(|e| e.to_string()),
            "reposition_cannula" => ev(Event::CannulaMigration(false), sil),
            "ventilator_fio2" => ev(Event::SetPatient(PatientParam::Fio2, num), sil),
            "start_inotrope" => {
                let emax = sil.twin().patient().lv_emax_mmhg_ml * INOTROPE_EMAX_FACTOR;
                ev(Event::SetPatient(PatientParam::LvEmax, emax.min(6.0)), sil)
            }
            // The sample is drawn by the session, which reports the result after the test's
            // turnaround (crate::lab); here only the test is checked.
            "lab" => match &self.value {
                Value::Text(s) => crate::lab::Test::by_name(s)
                    .map(|t| format!("{} sample drawn", t.name()))
                    .ok_or_else(|| format!("unknown test `{s}`")),
                other => Err(format!("unknown test `{}`", other.show())),
            },
            other => Err(format!("unknown action `{other}`")),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use physio::drugs::Drug;

    #[test]
    fn event_actions_are_the_event_table_s() {
        let mut n = 0;
        for a in ACTIONS {
            let Does::Event(k) = a.does else { continue };
            n += 1;
            let spec = k.spec();
            assert_eq!(a.name, spec.name, "one name for one thing");
            assert_eq!(a.side, "bedside");
            match (a.value, spec.value) {
                (ValueSpec::Number { lo, hi, unit }, EventValue::Number(q)) => {
                    assert_eq!((lo, hi, unit), (q.min, q.max, q.unit), "{}", a.name);
                    assert_eq!(a.typical(), Some(q.typical));
                }
                (ValueSpec::None, EventValue::None) => assert_eq!(a.typical(), None),
                (v, e) => panic!("{}: {v:?} against {e:?}", a.name),
            }
        }
        assert!(n >= 18, "{n} event actions");
        assert_eq!(kind("give_volume").unwrap().typical(), None);
    }

    #[test]
    fn an_event_action_gives_its_event_and_is_range_checked() {
        let mut sil = Sil::new(&physio::presets::preset("ards-severe").unwrap()).unwrap();
        let v = toml::Value::Float(0.1);
        let a = Action::new("action", "norepinephrine_infusion", Some(&v)).unwrap();
        assert_eq!(a.apply(&mut sil), Ok("done".to_string()));
        assert_eq!(sil.twin().drugs().rate(Drug::Norepinephrine), 0.1);
        let none = Action::new("action", "ventilator_vc", None).unwrap();
        assert_eq!(none.apply(&mut sil), Ok("done".to_string()));
        assert!(sil.twin().observe().ventilator_on);
        let too_much = toml::Value::Float(6.0);
        let e = Action::new("action", "norepinephrine_infusion", Some(&too_much)).unwrap_err();
        assert!(e.message.contains("0..=5 µg/kg/min"), "{}", e.message);
    }
}
