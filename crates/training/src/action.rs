//! What a trainee (or the instructor) can do: console commands, which go through the control
//! core's validation like any console's, and bedside actions, which change the patient or the
//! circuit the way hands at the bedside would (a fluid bolus, releasing a kink, a new oxygenator).
//!
//! Every action is answered: accepted with what happened, or refused with why. Procedures that
//! open the circuit (de-airing, oxygenator or pump-head change) are refused while the pump turns,
//! as they would be at the bedside: the trainee has to stop the pump first.
use control::{Channel, Command, Mode};
use experiment::Error;
use experiment::reader::{join, num};
use physio::{Event, PatientParam};
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

/// One kind of action: its name in files, its value, and what it does.
pub struct ActionKind {
    pub name: &'static str,
    pub value: ValueSpec,
    /// `console` or `bedside`.
    pub side: &'static str,
    pub doc: &'static str,
}

pub const MODES: &[&str] = &["standby", "rpm", "flow", "zero_flow"];
pub const LABS: &[&str] = &["act", "anti_xa", "pfhb", "blood_gas", "hb"];

/// Every action. Ranges of console commands are the controller's own (the controller refuses
/// beyond them too); bedside ranges are the twin's.
pub const ACTIONS: &[ActionKind] = &[
    ActionKind {
        name: "set_mode",
        value: ValueSpec::Choice(MODES),
        side: "console",
        doc: "Pump mode: standby (stopped, return clamped), rpm, flow, zero_flow (VA weaning).",
    },
    ActionKind {
        name: "set_rpm",
        value: ValueSpec::Number {
            lo: 0.0,
            hi: 5000.0,
            unit: "rpm",
        },
        side: "console",
        doc: "RPM-mode speed target.",
    },
    ActionKind {
        name: "set_flow",
        value: ValueSpec::Number {
            lo: 0.0,
            hi: 8.0,
            unit: "L/min",
        },
        side: "console",
        doc: "Flow-mode target.",
    },
    ActionKind {
        name: "set_sweep",
        value: ValueSpec::Number {
            lo: 0.0,
            hi: 12.0,
            unit: "L/min",
        },
        side: "console",
        doc: "Sweep gas flow.",
    },
    ActionKind {
        name: "set_fdo2",
        value: ValueSpec::Number {
            lo: 0.21,
            hi: 1.0,
            unit: "fraction",
        },
        side: "console",
        doc: "O2 fraction of the sweep gas.",
    },
    ActionKind {
        name: "set_heater",
        value: ValueSpec::Number {
            lo: 33.0,
            hi: 39.0,
            unit: "°C",
        },
        side: "console",
        doc: "Heater water set point.",
    },
    ActionKind {
        name: "clamp_return",
        value: ValueSpec::Bool,
        side: "console",
        doc: "Clamp (true) or unclamp (false) the return line.",
    },
    ActionKind {
        name: "acknowledge_all",
        value: ValueSpec::None,
        side: "console",
        doc: "Acknowledge every signalled alarm.",
    },
    ActionKind {
        name: "pause_audio",
        value: ValueSpec::None,
        side: "console",
        doc: "Pause alarm audio for 120 s.",
    },
    ActionKind {
        name: "restart_after_bubble",
        value: ValueSpec::None,
        side: "console",
        doc: "Deliberate restart after a bubble stop; refused while air is at the detector.",
    },
    ActionKind {
        name: "give_volume",
        value: ValueSpec::Number {
            lo: 50.0,
            hi: 2000.0,
            unit: "mL",
        },
        side: "bedside",
        doc: "Fluid or blood bolus.",
    },
    ActionKind {
        name: "stop_bleeding",
        value: ValueSpec::None,
        side: "bedside",
        doc: "Surgical haemostasis of the bleeding site (the bleeding stops).",
    },
    ActionKind {
        name: "heparin_bolus",
        value: ValueSpec::Number {
            lo: 0.0,
            hi: 20_000.0,
            unit: "U",
        },
        side: "bedside",
        doc: "Heparin bolus.",
    },
    ActionKind {
        name: "heparin_infusion",
        value: ValueSpec::Number {
            lo: 0.0,
            hi: 5_000.0,
            unit: "U/h",
        },
        side: "bedside",
        doc: "Set the heparin infusion rate (0 stops it).",
    },
    ActionKind {
        name: "release_drainage_kink",
        value: ValueSpec::None,
        side: "bedside",
        doc: "Find and straighten a kinked or clamped drainage line.",
    },
    ActionKind {
        name: "release_return_kink",
        value: ValueSpec::None,
        side: "bedside",
        doc: "Find and straighten a kinked or clamped return line.",
    },
    ActionKind {
        name: "secure_connection",
        value: ValueSpec::None,
        side: "bedside",
        doc: "Find and close the point where air enters the drainage line.",
    },
    ActionKind {
        name: "de_air",
        value: ValueSpec::None,
        side: "bedside",
        doc: "Remove trapped air from the circuit. Pump must be stopped.",
    },
    ActionKind {
        name: "change_oxygenator",
        value: ValueSpec::None,
        side: "bedside",
        doc: "Replace the oxygenator with a new one. Pump must be stopped.",
    },
    ActionKind {
        name: "change_pump_head",
        value: ValueSpec::None,
        side: "bedside",
        doc: "Replace the pump head with a new one. Pump must be stopped.",
    },
    ActionKind {
        name: "restore_mains",
        value: ValueSpec::None,
        side: "bedside",
        doc: "Plug the console into a working mains outlet.",
    },
    ActionKind {
        name: "hand_crank",
        value: ValueSpec::Number {
            lo: 0.0,
            hi: 5000.0,
            unit: "rpm",
        },
        side: "bedside",
        doc: "Move the pump head to the hand-cranked emergency drive and turn it at this speed; 0 puts it back on the motor.",
    },
    ActionKind {
        name: "replace_flow_sensor",
        value: ValueSpec::None,
        side: "bedside",
        doc: "Re-seat or replace the clamp-on flow sensor (clears its fault).",
    },
    ActionKind {
        name: "reposition_cannula",
        value: ValueSpec::None,
        side: "bedside",
        doc: "Pull a migrated drainage cannula back to where it was placed (imaging-guided).",
    },
    ActionKind {
        name: "ventilator_fio2",
        value: ValueSpec::Number {
            lo: 0.21,
            hi: 1.0,
            unit: "fraction",
        },
        side: "bedside",
        doc: "Set the ventilator's inspired O2 fraction.",
    },
    ActionKind {
        name: "start_inotrope",
        value: ValueSpec::None,
        side: "bedside",
        doc: "Start a moderate inotrope (LV contractility × 1.5).",
    },
    ActionKind {
        name: "lab",
        value: ValueSpec::Choice(LABS),
        side: "bedside",
        doc: "Send a sample: act, anti_xa, pfhb, blood_gas (upper-body arterial) or hb; the result is recorded.",
    },
];

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
                join(path, "action"),
                format!("unknown action `{name}`; allowed: {}", names().join(", ")),
            )
        })?;
        let vp = join(path, "value");
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
            sil.command_now(&c)
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
        match self.kind {
            "set_mode" => {
                let m = match &self.value {
                    Value::Text(s) if s == "standby" => Mode::Standby,
                    Value::Text(s) if s == "rpm" => Mode::Rpm,
                    Value::Text(s) if s == "flow" => Mode::Flow,
                    _ => Mode::ZeroFlow,
                };
                cmd(Command::SetMode(m), sil)
            }
            "set_rpm" => cmd(Command::SetRpmTarget(num as f32), sil),
            "set_flow" => cmd(Command::SetFlowTarget(num as f32), sil),
            "set_sweep" => cmd(Command::SetSweep(num as f32), sil),
            "set_fdo2" => cmd(Command::SetFdO2(num as f32), sil),
            "set_heater" => cmd(Command::SetHeater(num as f32), sil),
            "clamp_return" => cmd(
                Command::SetReturnClamp(self.value == Value::Bool(true)),
                sil,
            ),
            "acknowledge_all" => cmd(Command::AcknowledgeAll, sil),
            "pause_audio" => cmd(Command::PauseAudio, sil),
            "restart_after_bubble" => cmd(Command::RestartAfterBubble, sil),
            "give_volume" => ev(Event::Volume(num), sil),
            "stop_bleeding" => ev(Event::Bleeding(0.0), sil),
            "heparin_bolus" => ev(Event::HeparinBolus(num), sil),
            "heparin_infusion" => ev(Event::HeparinInfusion(num), sil),
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
                .sensors_mut()
                .set_fault(Channel::Flow, ChannelFault::None)
                .map(|_| "done".to_string())
                .map_err(|e| e.to_string()),
            "reposition_cannula" => ev(Event::CannulaMigration(false), sil),
            "ventilator_fio2" => ev(Event::SetPatient(PatientParam::Fio2, num), sil),
            "start_inotrope" => {
                let emax = sil.twin().patient().lv_emax_mmhg_ml * INOTROPE_EMAX_FACTOR;
                ev(Event::SetPatient(PatientParam::LvEmax, emax.min(6.0)), sil)
            }
            "lab" => {
                let o = sil.observation();
                Ok(match &self.value {
                    Value::Text(s) if s == "act" => format!("ACT {:.0} s", o.act_s),
                    Value::Text(s) if s == "anti_xa" => {
                        format!("anti-Xa {:.2} IU/mL", o.anti_xa_iu_ml)
                    }
                    Value::Text(s) if s == "pfhb" => {
                        format!("plasma free Hb {:.0} mg/dL", o.plasma_fhb_mg_dl)
                    }
                    Value::Text(s) if s == "hb" => format!("Hb {:.1} g/dL", o.hb_g_dl),
                    _ => format!(
                        "arterial (right radial): pH {:.2}, PaO2 {:.0}, PaCO2 {:.0} mmHg, SaO2 {:.0} %",
                        o.art_upper.ph,
                        o.art_upper.po2_mmhg,
                        o.art_upper.pco2_mmhg,
                        o.art_upper.so2 * 100.0
                    ),
                })
            }
            other => Err(format!("unknown action `{other}`")),
        }
    }
}
