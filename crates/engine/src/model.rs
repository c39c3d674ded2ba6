//! The console's own view of the loop: what it shows, what it may ask. These types are the wire
//! format (JSON over HTTP and WebSocket) and the recording format, so they derive serde here and
//! nowhere below (the twin and the control core stay free of it).
//!
//! Settings, limits and interventions are described by the engine as lists of [`Param`]s and
//! [`Switch`]es with their permitted ranges, so the screen builds its controls from what the
//! control core actually offers and the server range-checks against the same numbers.
use serde::{Deserialize, Serialize};

/// One waveform sample, taken every loop tick (100 Hz at real time).
#[derive(Clone, Copy, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct Wave {
    /// Simulated time, s.
    pub t: f64,
    /// Radial arterial pressure, mmHg.
    pub p_art: f64,
    /// Drainage (pre-pump) pressure, mmHg.
    pub p_drain: f64,
    /// Pre-oxygenator pressure, mmHg.
    pub p_pre: f64,
    /// Post-oxygenator pressure, mmHg.
    pub p_post: f64,
    /// Circuit flow, L/min.
    pub flow: f64,
}

/// The numbers on the screen. `None` is a reading the sensors could not give (shown `---`).
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct Numerics {
    /// Simulated time, s.
    pub t: f64,
    pub speed_rpm: Option<f64>,
    pub flow_lpm: Option<f64>,
    pub p_drain_mmhg: Option<f64>,
    pub p_pre_mmhg: Option<f64>,
    pub p_post_mmhg: Option<f64>,
    pub delta_p_mmhg: Option<f64>,
    /// Mixed venous (drainage) saturation, %.
    pub svo2_pct: Option<f64>,
    /// Right radial (upper body) arterial saturation, %.
    pub sao2_upper_pct: Option<f64>,
    /// Femoral (lower body) arterial saturation, %.
    pub sao2_lower_pct: Option<f64>,
    /// Post-oxygenator saturation, %.
    pub sat_post_pct: Option<f64>,
    pub po2_post_mmhg: Option<f64>,
    pub pco2_post_mmhg: Option<f64>,
    pub hb_g_dl: Option<f64>,
    pub temp_c: Option<f64>,
    pub sweep_lpm: Option<f64>,
    pub fdo2_pct: Option<f64>,
    pub battery_pct: Option<f64>,
    pub mains: Option<bool>,
    pub hr_bpm: Option<f64>,
    pub map_mmhg: Option<f64>,
    pub bubble: Option<bool>,
    /// Haematocrit, %, derived from the in-line Hb the way blood parameter monitors report it
    /// (see [`hct_of_hb`]).
    #[serde(default)]
    pub hct_pct: Option<f64>,
    /// Venous (drainage) blood temperature, °C. `temp_c` is the arterial (return) blood, after
    /// the heat exchanger.
    #[serde(default)]
    pub temp_ven_c: Option<f64>,
    /// Heater-cooler water temperature, °C (`None`: heater off or not reported).
    #[serde(default)]
    pub heater_water_c: Option<f64>,
    /// Battery runtime left at the drive's nominal load, minutes.
    #[serde(default)]
    pub battery_min: Option<f64>,
    /// Right radial arterial line: systolic, diastolic and mean of the last beats.
    #[serde(default)]
    pub art_upper: Option<ArtPressure>,
    /// Femoral arterial line: systolic, diastolic and mean of the last beats.
    #[serde(default)]
    pub art_lower: Option<ArtPressure>,
    /// Central venous pressure, mmHg (bedside monitor).
    #[serde(default)]
    pub cvp_mmhg: Option<f64>,
    /// Pulse oximeter on the right hand, %.
    #[serde(default)]
    pub spo2_pct: Option<f64>,
    /// Circuit flow per body surface area, L/min/m².
    #[serde(default)]
    pub flow_index: Option<f64>,
    /// VA support: share of the last 10 beats in which the aortic valve opened, % (what echo
    /// and the arterial line's pulsatility tell the bedside; 0 is a closed aortic valve, a
    /// non-ejecting LV that the circuit's afterload distends). `None` without VA support.
    #[serde(default)]
    pub av_open_pct: Option<f64>,
    /// Arterial pulse pressure of the last beat (right radial line), mmHg.
    #[serde(default)]
    pub pulse_pressure_mmhg: Option<f64>,
    /// What the control core actually drives now (after interventions and fallbacks), as
    /// opposed to what the operator set (`Settings`).
    #[serde(default)]
    pub pump: Option<PumpState>,
    /// The patient's mechanical ventilator, read only (it is not the ECMO console's); `None`
    /// when none is connected or the source has no ventilator data (a pump unit).
    #[serde(default)]
    pub vent: Option<VentView>,
    /// The ECG monitor's rhythm: `sinus` (an organised rhythm with output), `vf`
    /// (ventricular fibrillation), `asystole` or `pea` (pulseless electrical activity);
    /// `None` when the source has no patient monitor (a pump unit).
    #[serde(default)]
    pub rhythm: Option<String>,
    /// Chest compressions going on, at this rate per minute; `None` without (hands off) or
    /// without a patient monitor.
    #[serde(default)]
    pub cpr_per_min: Option<f64>,
}

/// A ventilator's settings and measured breath, as its own screen shows them.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct VentView {
    /// `volume_control`, `pressure_control` or `spontaneous`.
    pub mode: String,
    /// Set breaths per minute.
    pub rate_bpm: f64,
    /// Delivered tidal volume, mL.
    pub vt_ml: f64,
    /// Total PEEP (set plus intrinsic), peak and plateau pressure, driving pressure, cmH2O.
    pub peep_cmh2o: f64,
    pub ppeak_cmh2o: f64,
    pub pplat_cmh2o: f64,
    pub driving_cmh2o: f64,
    /// Expired minute volume, L/min.
    pub minute_volume_lpm: f64,
    /// Respiratory-system compliance, mL/cmH2O.
    pub compliance_ml_cmh2o: f64,
    /// Inspired O2, %.
    pub fio2_pct: f64,
}

/// Systolic, diastolic and mean pressure of one arterial site, mmHg.
#[derive(Clone, Copy, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct ArtPressure {
    pub sys: f64,
    pub dia: f64,
    pub mean: f64,
}

/// The circuit as the control core drives it this moment. After a bubble stop the operator's
/// settings still say RPM mode at 3600 rpm with the clamp open; this says the pump is stopped
/// and the line clamped, which is what the screen must show.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct PumpState {
    /// Mode in force after any fallback: `standby`, `rpm`, `flow`, `zero_flow`.
    pub mode: String,
    /// Speed commanded to the drive now, rpm.
    pub rpm_command: f64,
    /// Return-line clamp commanded closed (by the operator or by an intervention).
    pub clamp_closed: bool,
    /// Stopped and clamped after air at the bubble detector, waiting for the operator (INT-3).
    pub bubble_stop: bool,
    /// A restart after the bubble stop would be taken now (no air at the detector).
    pub restart_possible: bool,
    /// Flow mode fell back to RPM on a flow-sensor fault (SEN-5).
    pub flow_fallback: bool,
    /// Speed taken off by the suction and return-pressure interventions, rpm.
    pub reduction_rpm: f64,
    /// The VA backflow guard holds the speed up.
    pub backflow_guard: bool,
    /// Sweep gas commanded to the blender, L/min, and its O2 fraction, %.
    pub sweep_lpm: f64,
    pub fdo2_pct: f64,
    /// Gas supply to the blender: `flowing`, `off` (no sweep commanded) or `unknown`.
    pub gas_supply: String,
}

/// Who is on the circuit, for the screen's header.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct PatientView {
    /// Identifier shown on every screen (a simulation names its scenario).
    pub id: String,
    /// `VV`, `VA femoral`, `VA central`, ...
    pub configuration: String,
    pub weight_kg: f64,
    /// Body surface area from weight alone (see [`bsa_m2`]), m².
    pub bsa_m2: f64,
}

/// Body surface area from weight alone, m²: Costeff's formula (4W + 7)/(W + 90), W in kg
/// (Costeff H, Arch Dis Child 1966;41:681-683), within about 10 % of height-based formulas from
/// 1.5 to 100 kg. The twin's patients have a weight and no height.
pub fn bsa_m2(weight_kg: f64) -> f64 {
    (4.0 * weight_kg + 7.0) / (weight_kg + 90.0)
}

/// Haematocrit (%) from haemoglobin (g/dL): Hct ≈ 2.94 × Hb, the inverse of the Hb = 0.34 ×
/// Hct that in-line blood parameter monitors (CDI 500 class) use to report one from the other
/// (mean corpuscular haemoglobin concentration 34 g/dL).
pub fn hct_of_hb(hb_g_dl: f64) -> f64 {
    hb_g_dl / 0.34
}

/// A training scenario's clock, for the screen: a scenario that has not started must say so
/// rather than show a patient at 0 flow as if live.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct TrainingView {
    pub scenario: String,
    /// The instructor has started the scenario's clock.
    pub started: bool,
    pub paused: bool,
    pub ended: bool,
    /// × real time.
    pub speed: f64,
}

/// Where a replay stands, for its transport controls.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct ReplayView {
    pub start_t: f64,
    pub end_t: f64,
    pub t: f64,
    pub playing: bool,
    /// × real time.
    pub speed: f64,
    /// The position has reached the end of the recording.
    pub ended: bool,
}

/// IEC 60601-1-8 alarm priority.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Priority {
    Low,
    Medium,
    High,
}

/// One alarm as the control core reports it.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Alarm {
    /// Stable identifier, e.g. `suction`.
    pub id: String,
    /// The requirement that defines it, e.g. `ALM-3`.
    pub req: String,
    pub priority: Priority,
    /// Technical (equipment) rather than physiological.
    pub technical: bool,
    /// What happened, for the operator.
    pub text: String,
    /// What the operator is expected to do.
    pub action: String,
    /// The condition is still present (false: latched only).
    pub active: bool,
    pub latched: bool,
    pub acknowledged: bool,
}

/// The alarm system's state for display.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct AlarmStatus {
    pub alarms: Vec<Alarm>,
    /// Seconds of audio pause left, if paused.
    pub audio_paused_s: Option<f64>,
    /// Whether the current alarms may be audio-paused (some cannot, e.g. a lost heartbeat).
    pub pausable: bool,
}

impl AlarmStatus {
    pub fn highest(&self) -> Option<Priority> {
        self.alarms.iter().map(|a| a.priority).max()
    }
}

/// A numeric setting with its permitted range (control target, alarm limit or intervention
/// limit).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Param {
    pub name: String,
    pub label: String,
    pub unit: String,
    /// `control`, `alarm` or `intervention`.
    pub group: String,
    pub value: f64,
    pub min: f64,
    pub max: f64,
    /// Increment the screen offers.
    pub step: f64,
}

/// An on/off setting (return clamp, an intervention's enable).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Switch {
    pub name: String,
    pub label: String,
    pub group: String,
    pub on: bool,
}

/// A one-shot operator action the engine offers (e.g. restart the pump after a bubble stop).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ActionInfo {
    pub name: String,
    pub label: String,
}

/// Everything the operator can set, as the control core holds it now.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct Settings {
    pub mode: String,
    pub modes: Vec<String>,
    pub params: Vec<Param>,
    pub switches: Vec<Switch>,
    pub actions: Vec<ActionInfo>,
}

impl Settings {
    pub fn param(&self, name: &str) -> Option<&Param> {
        self.params.iter().find(|p| p.name == name)
    }
    pub fn switch(&self, name: &str) -> Option<&Switch> {
        self.switches.iter().find(|s| s.name == name)
    }
}

/// An event the instructor may inject into the twin.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct InjectionInfo {
    pub name: String,
    pub label: String,
    /// The heading it stands under on the instructor's tab: `Events`, `Patient parameters`,
    /// `Sensor faults`, `Scenario`, `Trainee`.
    pub group: String,
    pub unit: String,
    pub min: f64,
    pub max: f64,
    pub default: f64,
}

/// An operator command, as sent by the browser and as recorded.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case", deny_unknown_fields)]
pub enum Command {
    Mode {
        mode: String,
    },
    Param {
        name: String,
        value: f64,
    },
    Switch {
        name: String,
        on: bool,
    },
    Action {
        name: String,
    },
    PauseAudio,
    /// Acknowledge one alarm (`id`) or, without one, every signalled alarm.
    Acknowledge {
        #[serde(default, skip_serializing_if = "Option::is_none")]
        id: Option<String>,
    },
}

/// An instructor's injection.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Injection {
    pub name: String,
    pub value: f64,
}

/// Why a command was refused before it reached the loop.
#[derive(Clone, Debug, PartialEq)]
pub struct Refusal {
    /// The field at fault, e.g. `value`.
    pub field: String,
    pub message: String,
}

impl Command {
    /// Range-check a command against the settings the control core published last
    /// (the server's check; the control core checks again when it takes it).
    pub fn validate(&self, s: &Settings) -> Result<(), Refusal> {
        let refuse = |field: &str, message: String| {
            Err(Refusal {
                field: field.to_string(),
                message,
            })
        };
        match self {
            Command::Mode { mode } => {
                if s.modes.iter().any(|m| m == mode) {
                    Ok(())
                } else {
                    refuse(
                        "mode",
                        format!(
                            "unknown mode '{mode}', expected one of {}",
                            s.modes.join(", ")
                        ),
                    )
                }
            }
            Command::Param { name, value } => {
                let Some(p) = s.param(name) else {
                    return refuse("name", format!("unknown setting '{name}'"));
                };
                if !value.is_finite() {
                    return refuse("value", format!("{} must be a finite number", p.label));
                }
                if *value < p.min || *value > p.max {
                    return refuse(
                        "value",
                        format!(
                            "{} = {value} {} is outside its permitted range {}..{} {}",
                            p.label, p.unit, p.min, p.max, p.unit
                        ),
                    );
                }
                Ok(())
            }
            Command::Switch { name, .. } => match s.switch(name) {
                Some(_) => Ok(()),
                None => refuse("name", format!("unknown switch '{name}'")),
            },
            Command::Action { name } => {
                if s.actions.iter().any(|a| &a.name == name) {
                    Ok(())
                } else {
                    refuse("name", format!("unknown action '{name}'"))
                }
            }
            Command::PauseAudio | Command::Acknowledge { .. } => Ok(()),
        }
    }

    /// The settings key this command changes, for persistence (`None`: not a setting).
    pub fn setting_key(&self) -> Option<String> {
        match self {
            Command::Mode { .. } => Some("mode".into()),
            Command::Param { name, .. } => Some(format!("param.{name}")),
            Command::Switch { name, .. } => Some(format!("switch.{name}")),
            _ => None,
        }
    }
}

impl Injection {
    pub fn validate(&self, list: &[InjectionInfo]) -> Result<(), Refusal> {
        let Some(info) = list.iter().find(|i| i.name == self.name) else {
            return Err(Refusal {
                field: "name".into(),
                message: format!("unknown event '{}'", self.name),
            });
        };
        if !self.value.is_finite() || self.value < info.min || self.value > info.max {
            return Err(Refusal {
                field: "value".into(),
                message: format!(
                    "{} = {} {} is outside {}..{} {}",
                    info.label, self.value, info.unit, info.min, info.max, info.unit
                ),
            });
        }
        Ok(())
    }
}

/// Operator roles, in increasing power.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Role {
    /// Sees everything, changes nothing.
    Viewer,
    /// Controls the pump, gas, limits and alarms.
    Operator,
    /// Also injects events, manages users and scenarios (the administrator).
    Instructor,
}

impl Role {
    pub fn parse(s: &str) -> Option<Role> {
        match s {
            "viewer" => Some(Role::Viewer),
            "operator" => Some(Role::Operator),
            "instructor" | "admin" => Some(Role::Instructor),
            _ => None,
        }
    }
    pub fn as_str(self) -> &'static str {
        match self {
            Role::Viewer => "viewer",
            Role::Operator => "operator",
            Role::Instructor => "instructor",
        }
    }
}

/// A recorded event: a setting taken, an alarm raised or cleared, an operator action, an
/// injection, a missed deadline.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct EventRec {
    /// Simulated time, s.
    pub t: f64,
    /// Wall clock, ms since the Unix epoch.
    pub wall_ms: i64,
    /// `action`, `applied`, `refused`, `alarm_on`, `alarm_off`, `inject`, `deadline`, `run`.
    pub kind: String,
    /// Who (user name), or `system`.
    pub user: String,
    pub detail: serde_json::Value,
}

/// Wall clock in ms since the Unix epoch.
pub fn wall_ms() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_millis() as i64)
        .unwrap_or(0)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn settings() -> Settings {
        Settings {
            mode: "rpm".into(),
            modes: vec!["standby".into(), "rpm".into(), "flow".into()],
            params: vec![Param {
                name: "flow_target".into(),
                label: "Flow target".into(),
                unit: "L/min".into(),
                group: "control".into(),
                value: 4.0,
                min: 0.0,
                max: 9.99,
                step: 0.1,
            }],
            switches: vec![],
            actions: vec![],
        }
    }

    #[test]
    fn range_check_refuses_out_of_range_and_nan() {
        let s = settings();
        let ok = Command::Param {
            name: "flow_target".into(),
            value: 4.5,
        };
        assert!(ok.validate(&s).is_ok());
        for v in [-0.1, 10.0, f64::NAN, f64::INFINITY] {
            let c = Command::Param {
                name: "flow_target".into(),
                value: v,
            };
            let e = c.validate(&s).unwrap_err();
            assert_eq!(e.field, "value");
        }
        let c = Command::Param {
            name: "nope".into(),
            value: 1.0,
        };
        assert!(
            c.validate(&s)
                .unwrap_err()
                .message
                .contains("unknown setting")
        );
        let c = Command::Mode {
            mode: "warp".into(),
        };
        assert!(c.validate(&s).is_err());
    }

    #[test]
    fn commands_parse_from_json_and_refuse_unknown_fields() {
        let c: Command = serde_json::from_str(r#"{"type":"param","name":"x","value":1}"#).unwrap();
        assert_eq!(
            c,
            Command::Param {
                name: "x".into(),
                value: 1.0
            }
        );
        assert!(
            serde_json::from_str::<Command>(r#"{"type":"param","name":"x","value":1,"evil":1}"#)
                .is_err()
        );
        assert!(serde_json::from_str::<Command>(r#"{"type":"launch"}"#).is_err());
    }
}
