//! `ecmo serve --device ADDR`: the control core driving a pump unit over the device protocol
//! (docs/protocol.md) instead of the in-process twin.
//!
//! [`DeviceEngine`] is an [`Engine`] whose plant is a [`devlink::DeviceHal`]: the same control
//! cycle as the twin's (`sil::ControlLoop`: the controller and its validated command queue)
//! steps every 10 ms on the console, reads the newest Sensor frame and hands its actuator
//! commands to the HAL, whose supervisor thread sends them to the unit,
//! keeps the link up and reconnects. The patient, the circuit and the hardware are in the unit
//! process (`ecmo device`); instructor events go to that process, not through the console.
//!
//! Takeover (DEV-7, CTL-12): the controller is not stepped until the link is up. At the first
//! session it adopts what the unit drives (from its SessionOpen) with `ControlLoop::adopt`, after
//! the saved settings queued so far are taken, so a console that was killed and restarted resumes the
//! running pump exactly — no command goes out that the unit was not already obeying. Had it
//! stepped first, a controller in standby would have asked for 0 rpm.
//!
//! The link state is shown on the screen (`Status::link`), raised as a high-priority technical
//! alarm while the unit is not in session (docs/protocol.md §6), and every change is recorded
//! as an event, as is the gap since the previous recording when the console starts.
use crate::engine::Engine;
use crate::live::{
    RunningMeans, alarm_status, frame_numerics, frame_wave, patient_view, periods_due, pump_state,
    settings_view, translate,
};
use crate::model::{
    Alarm, AlarmStatus, Command, InjectionInfo, Numerics, PatientView, Priority, Settings, Wave,
    bsa_m2,
};
use control::{ActuatorCommands, Setting};
use devlink::{ConsoleConfig, DeviceAddr, DeviceHal, LinkState};
use physio::TwinConfig;
use protocol::{ClampState, Setpoints, Severity};
use sil::ControlLoop;
use std::time::Duration;

/// Time allowed to open a TCP connection or a serial line per attempt.
const OPEN_TIMEOUT: Duration = Duration::from_millis(500);

/// The control core and a pump unit behind the device protocol.
pub struct DeviceEngine {
    hal: DeviceHal,
    addr: DeviceAddr,
    control: ControlLoop,
    scenario: String,
    config: TwinConfig,
    now_ms: u64,
    owed: f64,
    adopted: Option<Setpoints>,
    link: LinkState,
    connects: u64,
    means: RunningMeans,
    events: Vec<(String, serde_json::Value)>,
    /// The control core's last answer (`None` before the first step, i.e. before takeover).
    last: Option<control::Output>,
}

/// The unit's setpoints as the controller's actuator commands, each brought into the control
/// core's operator range (a unit may allow more sweep than the controller; the heater's 0 =
/// off has no controller equivalent and is left to [`Controller::adopt`]).
pub fn actuators_of(sp: &Setpoints) -> ActuatorCommands {
    let clamp = |s: Setting, v: f32| {
        let (lo, hi) = s.range();
        v.clamp(lo, hi)
    };
    ActuatorCommands {
        pump_rpm: clamp(Setting::RpmTarget, sp.pump_rpm as f32),
        return_clamp_closed: sp.clamp == ClampState::Closed,
        sweep_lpm: clamp(Setting::Sweep, sp.sweep_ml_min as f32 / 1000.0),
        fdo2: clamp(Setting::FdO2, sp.fdo2_permille as f32 / 1000.0),
        heater_c: sp.heater_centi_c as f32 / 100.0,
    }
}

fn link_json(l: LinkState, addr: &DeviceAddr, connects: u64) -> serde_json::Value {
    let (state, up, label) = match l {
        LinkState::Connecting => ("connecting", false, "CONNECTING".to_string()),
        LinkState::Up { serial } => ("up", true, format!("#{serial} LINKED")),
        LinkState::UnitSilent => ("silent", false, "SILENT".to_string()),
        LinkState::Incompatible {
            unit_major,
            unit_minor,
        } => (
            "incompatible",
            false,
            format!("INCOMPATIBLE {unit_major}.{unit_minor}"),
        ),
    };
    let mut v = serde_json::json!({
        "state": state, "up": up, "label": label, "device": addr.to_string(), "sessions": connects,
    });
    if let LinkState::Up { serial } = l {
        v["serial"] = serial.into();
    }
    v
}

fn sp_json(sp: &Setpoints) -> serde_json::Value {
    serde_json::json!({
        "pump_rpm": sp.pump_rpm,
        "clamp": if sp.clamp == ClampState::Closed { "closed" } else { "open" },
        "sweep_ml_min": sp.sweep_ml_min,
        "fdo2_permille": sp.fdo2_permille,
        "heater_centi_c": sp.heater_centi_c,
    })
}

/// Unit fault codes as words (docs/protocol.md §5.7); unknown codes as "unit fault 0x…".
fn fault_name(code: u16) -> String {
    use protocol::msg::fault as f;
    match code {
        f::AIR_DETECTED => "Air detected: unit stopped the pump and clamped".into(),
        f::CONSOLE_LOST => "Unit lost the console".into(),
        f::MOTOR_OVERCURRENT => "Pump motor overcurrent".into(),
        f::MOTOR_SPEED_DEVIATION => "Pump speed deviates from set".into(),
        f::SENSOR_FAILURE => "Unit sensor failure".into(),
        f::MAINS_LOST => "Unit on battery: mains lost".into(),
        f::BATTERY_LOW => "Unit battery low".into(),
        f::HEATER_FAULT => "Heater fault".into(),
        f::CLAMP_FAULT => "Return clamp fault".into(),
        f::GAS_SUPPLY => "Gas supply fault".into(),
        f::INTERNAL => "Unit internal fault".into(),
        c => format!("unit fault 0x{c:04X}"),
    }
}

impl DeviceEngine {
    /// Starts the link to `device` (the supervisor connects in the background and keeps
    /// reconnecting), authenticated with the unit's pairing `key` (`None`: the unpaired key,
    /// which only a unit without a key accepts). `scenario` is the physio preset whose circuit
    /// the unit runs: the controller needs its pump curve and whether it is VV or VA.
    /// `previous_gap`, when set, is recorded as the first event (see [`recording_gap`]).
    pub fn connect(
        device: &str,
        key: Option<devlink::PairingKey>,
        scenario: &str,
        previous_gap: Option<serde_json::Value>,
    ) -> Result<DeviceEngine, String> {
        let addr = DeviceAddr::parse(device).map_err(|e| format!("--device '{device}': {e}"))?;
        let config = physio::presets::preset(scenario).ok_or_else(|| {
            format!(
                "--scenario '{scenario}': unknown; expected one of {}",
                physio::presets::PRESET_NAMES.join(", ")
            )
        })?;
        let control = sil::controller(&config)
            .map(ControlLoop::with_controller)
            .map_err(|e| {
                format!(
                    "--scenario '{scenario}': controller: {}: {}",
                    e.field, e.reason
                )
            })?;
        let a = addr.clone();
        let link_config = ConsoleConfig {
            key,
            ..ConsoleConfig::default()
        };
        let hal = DeviceHal::start(move || a.open(OPEN_TIMEOUT), link_config)
            .map_err(|e| format!("--device '{device}': starting the link: {e}"))?;
        let mut events = Vec::new();
        if let Some(g) = previous_gap {
            events.push(("gap".to_string(), g));
        }
        Ok(DeviceEngine {
            hal,
            addr,
            control,
            scenario: scenario.to_string(),
            config,
            now_ms: 0,
            owed: 0.0,
            adopted: None,
            link: LinkState::Connecting,
            connects: 0,
            means: RunningMeans::default(),
            events,
            last: None,
        })
    }

    /// The link as the screen shows it.
    pub fn link_state(&self) -> LinkState {
        self.link
    }

    fn watch_link(&mut self) {
        let l = self.hal.link_state();
        let connects = self.hal.connects();
        if l != self.link || connects != self.connects {
            let mut d = link_json(l, &self.addr, connects);
            if let (LinkState::Up { .. }, Some(sp)) = (l, self.hal.confirmed()) {
                d["unit_setpoints"] = sp_json(&sp);
            }
            self.events.push(("link".into(), d));
            self.link = l;
            self.connects = connects;
        }
    }

    fn step_once(&mut self) {
        self.now_ms += control::CONTROL_PERIOD_MS;
        self.watch_link();
        if self.adopted.is_none() {
            // DEV-7 / CTL-12: nothing is stepped, so nothing is commanded, before the unit has
            // said what it drives.
            let (LinkState::Up { .. }, Some(sp)) = (self.link, self.hal.confirmed()) else {
                return;
            };
            let r = self.control.adopt(&actuators_of(&sp));
            self.events.push((
                "takeover".into(),
                serde_json::json!({
                    "unit_setpoints": sp_json(&sp),
                    "mode": format!("{:?}", self.control.controller().settings().mode),
                    "error": r.as_ref().err().map(|e| e.to_string()),
                }),
            ));
            self.adopted = Some(sp);
        }
        let out = *self.control.cycle(self.now_ms, &mut self.hal);
        self.last = Some(out);
        self.means.update(self.control.frame());
    }
}

impl Engine for DeviceEngine {
    fn advance(&mut self, dt_s: f64) {
        for _ in 0..periods_due(&mut self.owed, dt_s) {
            self.step_once();
        }
    }

    fn time_s(&self) -> f64 {
        self.now_ms as f64 / 1000.0
    }

    fn wave(&self) -> Wave {
        // The unit has no arterial line; the bedside monitor is not on this link.
        frame_wave(self.time_s(), self.control.frame(), f64::NAN)
    }

    fn numerics(&self) -> Numerics {
        // Sweep and FdO2 as the unit acknowledged driving them; the unit measures no arterial
        // pressure or heart rate, so those stay empty.
        let sp = self.hal.confirmed();
        let base = frame_numerics(self.time_s(), self.control.frame(), &self.means);
        let bsa = bsa_m2(self.config.patient.weight_kg);
        Numerics {
            sweep_lpm: sp.map(|s| s.sweep_ml_min as f64 / 1000.0),
            fdo2_pct: sp.map(|s| s.fdo2_permille as f64 / 10.0),
            heater_water_c: sp
                .filter(|s| s.heater_centi_c > 0)
                .map(|s| s.heater_centi_c as f64 / 100.0),
            flow_index: base.flow_lpm.map(|f| f / bsa),
            pump: self
                .last
                .as_ref()
                .map(|o| pump_state(o, self.control.frame())),
            ..base
        }
    }

    fn alarms(&self) -> AlarmStatus {
        let mut st = alarm_status(self.control.controller().alarms(), self.now_ms);
        if !matches!(self.link, LinkState::Up { .. }) {
            let what = match self.link {
                LinkState::Incompatible {
                    unit_major,
                    unit_minor,
                } => format!(
                    "Incompatible pump unit: protocol {unit_major}.{unit_minor}, console speaks {}.{}",
                    protocol::PROTOCOL_MAJOR,
                    protocol::PROTOCOL_MINOR
                ),
                LinkState::UnitSilent => "Pump unit silent: no frames within the timeout".into(),
                _ => format!("No link to the pump unit ({})", self.addr),
            };
            st.alarms.insert(
                0,
                Alarm {
                    id: "unit_link".into(),
                    req: "DEV-1".into(),
                    priority: Priority::High,
                    technical: true,
                    text: what,
                    action: "The unit keeps the pump at its last setpoints. Check the cable or \
                             network to the unit; the console reconnects by itself."
                        .into(),
                    active: true,
                    latched: false,
                    acknowledged: false,
                },
            );
        }
        for f in self.hal.faults() {
            st.alarms.push(Alarm {
                id: format!("unit_fault_{:04x}", f.code),
                req: "DEV-5".into(),
                priority: match f.severity {
                    Severity::Critical => Priority::High,
                    Severity::Warning => Priority::Medium,
                    _ => Priority::Low,
                },
                technical: true,
                text: fault_name(f.code),
                action: format!("Reported by the pump unit (detail {}).", f.detail),
                active: f.active,
                latched: false,
                acknowledged: false,
            });
        }
        st
    }

    fn settings(&self) -> Settings {
        let va = self.config.circuit.configuration.is_va();
        settings_view(self.control.controller().settings(), va)
    }

    fn command(&mut self, cmd: &Command) -> Result<(), String> {
        let c = translate(&self.control.settings_ahead(), cmd)?;
        self.control.submit(c).map_err(|e| e.to_string())
    }

    fn injections(&self) -> Vec<InjectionInfo> {
        Vec::new()
    }

    fn inject(&mut self, name: &str, _value: f64) -> Result<(), String> {
        Err(format!(
            "'{name}': the patient and circuit run in the pump unit; give events to `ecmo device` \
             on its standard input (docs/protocol.md §12)"
        ))
    }

    fn describe(&self) -> serde_json::Value {
        serde_json::json!({
            "engine": "device (pump unit over the device protocol + control core)",
            "device": self.addr.to_string(),
            "scenario": self.scenario,
            "configuration": format!("{:?}", self.config.circuit.configuration),
            "protocol": format!("{}.{}", protocol::PROTOCOL_MAJOR, protocol::PROTOCOL_MINOR),
            "control_period_ms": control::CONTROL_PERIOD_MS,
        })
    }

    fn heartbeat(&mut self, alive: bool) {
        self.control.set_ui_alive(alive);
    }

    fn patient(&self) -> Option<PatientView> {
        Some(patient_view(&self.scenario, &self.config))
    }

    fn link(&self) -> Option<serde_json::Value> {
        Some(link_json(self.link, &self.addr, self.connects))
    }

    fn take_events(&mut self) -> Vec<(String, serde_json::Value)> {
        std::mem::take(&mut self.events)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unit_setpoints_become_controller_commands_within_its_ranges() {
        let sp = Setpoints {
            pump_rpm: 3400,
            clamp: ClampState::Open,
            sweep_ml_min: 15_000,
            fdo2_permille: 800,
            heater_centi_c: 0,
        };
        let a = actuators_of(&sp);
        assert_eq!(a.pump_rpm, 3400.0);
        assert!(!a.return_clamp_closed);
        assert_eq!(
            a.sweep_lpm,
            Setting::Sweep.range().1,
            "unit allows more sweep"
        );
        assert!((a.fdo2 - 0.8).abs() < 1e-6);
        assert_eq!(a.heater_c, 0.0);
    }

    #[test]
    fn link_shown_with_its_state_and_alarm_when_down() {
        let e = DeviceEngine::connect("tcp://127.0.0.1:9", None, "ards-severe", None).unwrap();
        let j = e.link().unwrap();
        assert_eq!(j["state"], "connecting");
        assert_eq!(j["up"], false);
        let a = e.alarms();
        assert_eq!(a.alarms[0].id, "unit_link");
        assert_eq!(a.alarms[0].priority, Priority::High);
        assert!(DeviceEngine::connect("tcp://127.0.0.1", None, "ards-severe", None).is_err());
        assert!(DeviceEngine::connect("tcp://127.0.0.1:9", None, "nope", None).is_err());
    }
}
