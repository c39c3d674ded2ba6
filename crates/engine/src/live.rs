//! The product's engine: the digital twin, its sensor layer and the control core, stepped
//! together by `sil`, seen through the console's [`Engine`] boundary.
//!
//! One console tick (10 ms) is one control period of `control` (`CONTROL_PERIOD_MS`), i.e. one
//! `Sil::step` of five twin steps. An operator command enters the loop's queue
//! (`Sil::submit`), which answers at once what the controller answers (taken, or refused and
//! why) for the screen to show; the controller takes it at the next control step.
//!
//! What the screen shows is what the controller sees (the sensor frame), except the arterial
//! pressure curve, heart rate and MAP, which the circuit's sensors do not measure: they come from
//! the twin as a bedside monitor's arterial line would show them. Pulsatile circuit numbers (flow,
//! speed, pressures) are shown as one-second exponential means, as consoles display them.
use crate::engine::Engine;
use crate::model::{
    ActionInfo, Alarm, AlarmStatus, ArtPressure, Command, InjectionInfo, Numerics, Param,
    PatientView, Priority, PumpState, Settings, Switch, VentView, Wave, bsa_m2, hct_of_hb,
};
use control::{
    AlarmId, AlarmKind, AlarmLimit, AudioState, GasMode, Intervention, Mode, Phase, Setting,
};
use physio::{Event, TwinConfig};
use sil::{ChannelFault, Sil};

/// Seconds of the running means of pulsatile numbers.
const MEAN_TAU_S: f64 = 1.0;
/// Control period in seconds.
const PERIOD_S: f64 = control::CONTROL_PERIOD_MS as f64 / 1000.0;

/// One-second exponential means of the pulsatile numbers a console shows (flow, speed, the
/// four pressures), updated once per control step from the controller's sensor frame; shared
/// by every engine so the screen reads the same whatever drives the circuit.
#[derive(Clone, Copy, Debug, Default)]
pub(crate) struct RunningMeans {
    means: [f64; 6],
    init: bool,
}

impl RunningMeans {
    /// Take one control step's frame; unusable readings leave their mean where it was.
    pub(crate) fn update(&mut self, f: &control::SensorFrame) {
        let x = [
            f.flow,
            f.pump_speed,
            f.p_drainage,
            f.p_pre_oxy,
            f.p_post_oxy,
            f.delta_p,
        ];
        let a = PERIOD_S / MEAN_TAU_S;
        for (m, r) in self.means.iter_mut().zip(x) {
            if r.usable() {
                let v = r.value as f64;
                *m = if self.init { *m + a * (v - *m) } else { v };
            }
        }
        self.init = true;
    }

    /// The mean of channel `i` (order as in [`RunningMeans::update`]) when its reading is
    /// usable now; `None` shows as a dash.
    pub(crate) fn get(&self, i: usize, now: control::Reading) -> Option<f64> {
        now.usable().then_some(self.means[i])
    }
}

/// Adds `dt_s` of wall time to `owed` (counted in control periods) and takes off the whole
/// periods now due, returning how many: the run loop of every engine.
pub(crate) fn periods_due(owed: &mut f64, dt_s: f64) -> usize {
    *owed += dt_s / PERIOD_S;
    let mut n = 0;
    while *owed >= 1.0 - 1e-9 {
        *owed -= 1.0;
        n += 1;
    }
    n
}

/// The waveform sample from the controller's sensor frame (unusable readings as NaN), with the
/// arterial pressure from wherever the engine has one.
pub(crate) fn frame_wave(t: f64, f: &control::SensorFrame, p_art: f64) -> Wave {
    let r = |x: control::Reading| if x.usable() { x.value as f64 } else { f64::NAN };
    Wave {
        t,
        p_art,
        p_drain: r(f.p_drainage),
        p_pre: r(f.p_pre_oxy),
        p_post: r(f.p_post_oxy),
        flow: r(f.flow),
    }
}

/// The numbers the screen shows straight from the controller's sensor frame (pulsatile ones as
/// their running means), shared by every engine. What the frame does not carry (sweep and FdO2
/// as driven, heart rate, MAP) is `None`; each engine fills in what it knows.
pub(crate) fn frame_numerics(t: f64, f: &control::SensorFrame, means: &RunningMeans) -> Numerics {
    let r = |x: control::Reading| x.usable().then_some(x.value as f64);
    let m = |i: usize, x: control::Reading| means.get(i, x);
    Numerics {
        t,
        flow_lpm: m(0, f.flow),
        speed_rpm: m(1, f.pump_speed),
        p_drain_mmhg: m(2, f.p_drainage),
        p_pre_mmhg: m(3, f.p_pre_oxy),
        p_post_mmhg: m(4, f.p_post_oxy),
        delta_p_mmhg: m(5, f.delta_p),
        // The console's venous saturation is the pre-oxygenator (drainage) SO2.
        svo2_pct: r(f.so2_pre),
        sao2_upper_pct: r(f.sao2_upper),
        sao2_lower_pct: r(f.sao2_lower),
        sat_post_pct: r(f.so2_post),
        po2_post_mmhg: r(f.po2_post),
        pco2_post_mmhg: r(f.pco2_post),
        hb_g_dl: r(f.hb),
        temp_c: r(f.temperature),
        sweep_lpm: None,
        fdo2_pct: None,
        battery_pct: r(f.battery).map(|b| b * 100.0),
        mains: f.mains_power.valid.then_some(f.mains_power.value),
        hr_bpm: None,
        map_mmhg: None,
        bubble: f.bubble.valid.then_some(f.bubble.value),
        hct_pct: r(f.hb).map(hct_of_hb),
        temp_ven_c: None,
        heater_water_c: None,
        battery_min: r(f.battery).map(battery_minutes),
        art_upper: None,
        art_lower: None,
        cvp_mmhg: None,
        spo2_pct: None,
        flow_index: None,
        av_open_pct: None,
        pulse_pressure_mmhg: None,
        pump: None,
        vent: None,
        rhythm: None,
        cpr_per_min: None,
    }
}

/// The ECG monitor's name for the twin's rhythm ([`Numerics::rhythm`]).
pub(crate) fn rhythm_name(r: physio::cpr::Rhythm) -> &'static str {
    match r {
        physio::cpr::Rhythm::Perfusing => "sinus",
        physio::cpr::Rhythm::VentricularFibrillation => "vf",
        physio::cpr::Rhythm::Asystole => "asystole",
        physio::cpr::Rhythm::Pea => "pea",
    }
}

/// The ventilator's screen from the twin (read only); `None` when none is connected.
pub(crate) fn vent_view(twin: &physio::Twin, o: &physio::Observation) -> Option<VentView> {
    if !o.ventilator_on {
        return None;
    }
    let set = twin.ventilator_settings();
    let mode = match set.mode {
        physio::ventilator::Mode::VolumeControl => "volume_control",
        physio::ventilator::Mode::PressureControl => "pressure_control",
        physio::ventilator::Mode::Spontaneous => "spontaneous",
        physio::ventilator::Mode::Off => return None,
    };
    Some(VentView {
        mode: mode.into(),
        rate_bpm: set.rate_bpm,
        vt_ml: o.vent_vt_ml,
        peep_cmh2o: o.vent_peep_total_cmh2o,
        ppeak_cmh2o: o.vent_ppeak_cmh2o,
        pplat_cmh2o: o.vent_pplat_cmh2o,
        driving_cmh2o: o.vent_driving_cmh2o,
        minute_volume_lpm: o.vent_minute_volume_lpm,
        compliance_ml_cmh2o: o.vent_compliance_ml_cmh2o,
        // The ventilator delivers the patient's FiO2 (one number for one thing, physio).
        fio2_pct: twin.ventilator().map_or(set.fio2, |b| b.fio2) * 100.0,
    })
}

/// Minutes of battery left at the drive's nominal load: the twin's battery lasts
/// `physio::circuit::BATTERY_S` from full (consoles run 1.5–2 h on their internal battery).
pub(crate) fn battery_minutes(fraction: f64) -> f64 {
    fraction.clamp(0.0, 1.0) * physio::circuit::BATTERY_S / 60.0
}

/// The circuit as the control core drove it in its last step: mode in force, the speed and
/// clamp actually commanded, the bubble stop and whether a restart would be taken now (no air
/// at the detector in the latest frame, the control core's own condition for INT-3).
pub(crate) fn pump_state(out: &control::Output, frame: &control::SensorFrame) -> PumpState {
    let air = frame.bubble.valid && frame.bubble.value;
    let a = &out.actuators;
    PumpState {
        mode: mode_name(out.mode).into(),
        rpm_command: a.pump_rpm as f64,
        clamp_closed: a.return_clamp_closed,
        bubble_stop: out.status.bubble_stop,
        restart_possible: out.status.bubble_stop && !air,
        flow_fallback: out.status.flow_fallback,
        reduction_rpm: (out.status.suction_reduction_rpm + out.status.return_reduction_rpm) as f64,
        backflow_guard: out.status.backflow_guard,
        sweep_lpm: a.sweep_lpm as f64,
        fdo2_pct: a.fdo2 as f64 * 100.0,
        gas_supply: if a.sweep_lpm > 0.0 { "flowing" } else { "off" }.into(),
    }
}

/// The patient line of the screen's header, from the twin's configuration.
pub(crate) fn patient_view(id: &str, config: &TwinConfig) -> PatientView {
    let w = config.patient.weight_kg;
    PatientView {
        id: id.to_string(),
        configuration: configuration_label(config.circuit.configuration).into(),
        weight_kg: w,
        bsa_m2: (bsa_m2(w) * 100.0).round() / 100.0,
    }
}

fn configuration_label(c: physio::Configuration) -> &'static str {
    c.label()
}

/// Samples of the femoral arterial pressure kept for its systolic, diastolic and mean: 3 s at
/// the control period, at least two beats down to 40 bpm, as a monitor's windowed sys/dia.
const ART_WINDOW: usize = 300;

/// The femoral line's pressure over the last [`ART_WINDOW`] control steps. The twin reports
/// the radial line per beat; the femoral site (the abdominal aorta's compartment, which the
/// femoral artery follows) is tracked here from its instantaneous pressure.
#[derive(Clone, Debug)]
pub(crate) struct ArtWindow {
    buf: Vec<f64>,
    next: usize,
}

impl Default for ArtWindow {
    fn default() -> Self {
        ArtWindow {
            buf: Vec::with_capacity(ART_WINDOW),
            next: 0,
        }
    }
}

impl ArtWindow {
    pub(crate) fn push(&mut self, p: f64) {
        if !p.is_finite() {
            return;
        }
        if self.buf.len() < ART_WINDOW {
            self.buf.push(p);
        } else {
            self.buf[self.next] = p;
        }
        self.next = (self.next + 1) % ART_WINDOW;
    }
    pub(crate) fn get(&self) -> Option<ArtPressure> {
        if self.buf.len() < ART_WINDOW / 2 {
            return None;
        }
        let (mut lo, mut hi, mut sum) = (f64::INFINITY, f64::NEG_INFINITY, 0.0);
        for &p in &self.buf {
            lo = lo.min(p);
            hi = hi.max(p);
            sum += p;
        }
        Some(ArtPressure {
            sys: hi,
            dia: lo,
            mean: sum / self.buf.len() as f64,
        })
    }
}

pub struct SilEngine {
    sil: Sil,
    scenario: String,
    config: TwinConfig,
    /// Control steps the loop has asked for but not yet taken (fractional remainder).
    owed: f64,
    means: RunningMeans,
    femoral: ArtWindow,
}

/// Every scenario `ecmo serve --scenario` accepts.
pub fn scenarios() -> &'static [&'static str] {
    physio::presets::PRESET_NAMES
}

/// Build the engine for a scenario (a `physio` preset) and start the pump as a clinician would
/// at cannulation: RPM mode at the preset's starting speed, sweep and FdO2. Saved settings, if
/// any, are applied over this by the console at start.
pub fn build(scenario: &str, seed: u64) -> Result<SilEngine, String> {
    let mut config = physio::presets::preset(scenario).ok_or_else(|| {
        format!(
            "--scenario '{scenario}': unknown; expected one of {}",
            scenarios().join(", ")
        )
    })?;
    config.seed = seed;
    let sil = Sil::new(&config).map_err(|e| format!("--scenario '{scenario}': {e}"))?;
    let start = physio::presets::default_actuation(&config);
    let mut e = SilEngine::from_sil(sil, scenario, config);
    if start.pump_rpm > 0.0 {
        for c in [
            control::Command::SetRpmTarget(start.pump_rpm as f32),
            control::Command::SetSweep(start.sweep_lpm as f32),
            control::Command::SetFdO2(start.fdo2 as f32),
            control::Command::SetHeater(start.heater_c as f32),
            control::Command::SetMode(Mode::Rpm),
        ] {
            e.apply(c).map_err(|m| format!("starting the pump: {m}"))?;
        }
    }
    Ok(e)
}

impl SilEngine {
    /// Wrap a loop built and started elsewhere (a training scenario, which applies its own
    /// starting settings and warm-up): nothing is commanded here.
    pub fn from_sil(sil: Sil, scenario: &str, config: TwinConfig) -> SilEngine {
        SilEngine {
            sil,
            scenario: scenario.to_string(),
            config,
            owed: 0.0,
            means: RunningMeans::default(),
            femoral: ArtWindow::default(),
        }
    }

    /// One control period, then `after` on the loop (a training scenario's session: its
    /// timeline, script and triggers act between steps, through the loop's queue, events and
    /// sensor faults like any console).
    pub(crate) fn step_then(&mut self, after: impl FnOnce(&mut Sil)) {
        self.step_once();
        after(&mut self.sil);
    }

    /// The loop, to act on between steps (a trainee's bedside action in a training scenario).
    pub(crate) fn act_on<R>(&mut self, f: impl FnOnce(&mut Sil) -> R) -> R {
        f(&mut self.sil)
    }
}

fn mode_name(m: Mode) -> &'static str {
    match m {
        Mode::Standby => "standby",
        Mode::Rpm => "rpm",
        Mode::Flow => "flow",
        Mode::ZeroFlow => "zero_flow",
    }
}

const INTERVENTIONS: [(Intervention, &str, &str); 4] = [
    (Intervention::Suction, "suction", "Suction: reduce speed"),
    (
        Intervention::ReturnPressure,
        "return_pressure",
        "Return pressure: reduce speed",
    ),
    (Intervention::Bubble, "bubble", "Bubble: stop and clamp"),
    (Intervention::Backflow, "backflow", "Backflow guard (VA)"),
];

/// The control core's settings the console shows as numbers: (name, setting, group, scale to
/// display units, step in display units). FdO2 and battery are fractions in `control` and
/// percent on the screen.
fn param_table() -> Vec<(String, Setting, &'static str, f64, f64)> {
    let mut v: Vec<(String, Setting, &'static str, f64, f64)> = vec![
        (
            "rpm_target".into(),
            Setting::RpmTarget,
            "control",
            1.0,
            50.0,
        ),
        (
            "flow_target".into(),
            Setting::FlowTarget,
            "control",
            1.0,
            0.1,
        ),
        ("sweep".into(), Setting::Sweep, "control", 1.0, 0.1),
        ("fdo2".into(), Setting::FdO2, "control", 100.0, 1.0),
        (
            "pco2_target".into(),
            Setting::Pco2Target,
            "control",
            1.0,
            1.0,
        ),
        ("heater".into(), Setting::Heater, "control", 1.0, 0.1),
        (
            "limit.suction".into(),
            Setting::InterventionLimit(Intervention::Suction),
            "intervention",
            1.0,
            5.0,
        ),
        (
            "limit.return_pressure".into(),
            Setting::InterventionLimit(Intervention::ReturnPressure),
            "intervention",
            1.0,
            5.0,
        ),
        (
            "limit.backflow".into(),
            Setting::InterventionLimit(Intervention::Backflow),
            "intervention",
            1.0,
            50.0,
        ),
    ];
    // The alarm limits under control's own names, scales and steps (its settings table).
    for l in AlarmLimit::ALL {
        let s = Setting::AlarmLimit(l).spec();
        v.push((
            format!("alarm.{}", s.name),
            s.setting,
            "alarm",
            s.display_scale,
            s.step * s.display_scale,
        ));
    }
    v
}

fn display_unit(s: Setting, scale: f64) -> String {
    if scale == 100.0 {
        "%".into()
    } else {
        s.unit().into()
    }
}

impl SilEngine {
    /// Queue one command for the controller; its answer (taken, or refused and why) is the
    /// result. The controller takes it at the next control step.
    fn apply(&mut self, c: control::Command) -> Result<(), String> {
        self.sil.submit(c).map_err(|e| e.to_string())
    }

    fn step_once(&mut self) {
        self.sil.step();
        self.means.update(self.sil.frame());
        let (_, p) = self.sil.twin().compartments();
        self.femoral.push(p[physio::circulation::ABA]);
    }

    /// The patient line of the header.
    pub fn patient(&self) -> PatientView {
        patient_view(&self.scenario, &self.config)
    }

    fn translate(&self, cmd: &Command) -> Result<control::Command, String> {
        translate(&self.sil.settings_ahead(), cmd)
    }
}

/// An operator command from the screen as the control core's command, given the settings in
/// force. Shared by every engine that runs the control core (`device` too).
pub(crate) fn translate(s: &control::Settings, cmd: &Command) -> Result<control::Command, String> {
    use control::Command as C;
    Ok(match cmd {
        Command::Mode { mode } => C::SetMode(match mode.as_str() {
            "standby" => Mode::Standby,
            "rpm" => Mode::Rpm,
            "flow" => Mode::Flow,
            "zero_flow" => Mode::ZeroFlow,
            m => return Err(format!("unknown mode '{m}'")),
        }),
        Command::Param { name, value } => {
            let table = param_table();
            let Some((_, setting, _, scale, _)) = table.iter().find(|p| &p.0 == name) else {
                return Err(format!("unknown setting '{name}'"));
            };
            setting.command((*value / scale) as f32, s)
        }
        Command::Switch { name, on } => match name.as_str() {
            "return_clamp" => C::SetReturnClamp(*on),
            "auto_sweep" => C::SetGasMode(if *on {
                GasMode::AutoPco2
            } else {
                GasMode::Manual
            }),
            n => {
                let Some((which, _, _)) = INTERVENTIONS
                    .iter()
                    .find(|i| Some(i.1) == n.strip_prefix("intervention."))
                else {
                    return Err(format!("unknown switch '{n}'"));
                };
                C::SetIntervention {
                    which: *which,
                    enabled: *on,
                }
            }
        },
        Command::Action { name } => match name.as_str() {
            "restart_after_bubble" => C::RestartAfterBubble,
            n => return Err(format!("unknown action '{n}'")),
        },
        Command::PauseAudio => C::PauseAudio,
        Command::Acknowledge { id: None } => C::AcknowledgeAll,
        Command::Acknowledge { id: Some(id) } => match training::names::alarm_by_name(id) {
            Some(a) => C::Acknowledge(a),
            None => return Err(format!("unknown alarm '{id}'")),
        },
    })
}

impl Engine for SilEngine {
    fn advance(&mut self, dt_s: f64) {
        for _ in 0..periods_due(&mut self.owed, dt_s) {
            self.step_once();
        }
    }

    fn time_s(&self) -> f64 {
        self.sil.now_ms() as f64 / 1000.0
    }

    fn wave(&self) -> Wave {
        let p_art = self.sil.observation().p_art_mmhg;
        frame_wave(self.time_s(), self.sil.frame(), p_art)
    }

    fn numerics(&self) -> Numerics {
        let o = self.sil.observation();
        let act = self.sil.actuation();
        let base = frame_numerics(self.time_s(), self.sil.frame(), &self.means);
        let bsa = bsa_m2(self.config.patient.weight_kg);
        // The bedside monitor's readings (arterial lines, CVP, pulse oximeter, the venous
        // blood temperature at the drainage probe) come from the twin as the monitor would
        // read them; the circuit's own readings are the sensor frame's.
        let beat = o.p_art_sys_mmhg > 0.0;
        Numerics {
            sweep_lpm: Some(act.sweep_lpm),
            fdo2_pct: Some(act.fdo2 * 100.0),
            hr_bpm: Some(o.heart_rate_bpm),
            map_mmhg: Some(o.map_mmhg),
            temp_ven_c: Some(o.patient_temp_c),
            heater_water_c: (o.heater_c > 0.0).then_some(o.heater_c),
            art_upper: beat.then_some(ArtPressure {
                sys: o.p_art_sys_mmhg,
                dia: o.p_art_dia_mmhg,
                mean: o.map_mmhg,
            }),
            art_lower: self.femoral.get(),
            cvp_mmhg: Some(o.cvp_mmhg),
            // The right hand's pulse oximeter is the console's SaO2-up channel: averaged,
            // delayed, and silent without a pulse (physio::sensors).
            spo2_pct: base.sao2_upper_pct,
            av_open_pct: self
                .config
                .circuit
                .configuration
                .is_va()
                .then_some(o.aortic_valve_open_fraction * 100.0),
            pulse_pressure_mmhg: beat.then_some(o.p_art_sys_mmhg - o.p_art_dia_mmhg),
            flow_index: base.flow_lpm.map(|f| f / bsa),
            pump: Some(pump_state(self.sil.output(), self.sil.frame())),
            vent: vent_view(self.sil.twin(), o),
            rhythm: Some(rhythm_name(self.sil.twin().cpr().rhythm).into()),
            cpr_per_min: {
                let rate = self.sil.twin().cpr().rate_per_min;
                (rate > 0.0).then_some(rate)
            },
            ..base
        }
    }

    fn alarms(&self) -> AlarmStatus {
        alarm_status(self.sil.alarms(), self.sil.now_ms())
    }

    fn settings(&self) -> Settings {
        let va = self.config.circuit.configuration.is_va();
        settings_view(self.sil.controller().settings(), va)
    }

    fn command(&mut self, cmd: &Command) -> Result<(), String> {
        let c = self.translate(cmd)?;
        self.apply(c)
    }

    /// Every event of the twin's vocabulary ([`physio::EVENTS`]) and every patient parameter
    /// an event may change ([`physio::PATIENT_FIELDS`]), with their own labels, units and
    /// ranges, then the console's sensor faults: one vocabulary, so a new event (a drug, a
    /// fluid) reaches the instructor without a line here.
    fn injections(&self) -> Vec<InjectionInfo> {
        injection_list(self.sil.twin().patient())
    }

    fn inject(&mut self, name: &str, value: f64) -> Result<(), String> {
        let on = value >= 0.5;
        if let Some((ch, fault)) = sensor_fault(name) {
            return self
                .sil
                .set_sensor_fault(ch, if on { fault } else { ChannelFault::None })
                .map_err(|e| e.to_string());
        }
        let ev = injected_event(name, value)?;
        self.sil
            .event(&ev)
            .map_err(|e| format!("{}: {}", e.field, e.message))
    }

    fn describe(&self) -> serde_json::Value {
        let p = &self.config.patient;
        serde_json::json!({
            "engine": "sil (physio twin + sensor layer + control core)",
            "scenario": self.scenario,
            "seed": self.config.seed,
            "configuration": format!("{:?}", self.config.circuit.configuration),
            "patient": {
                "weight_kg": p.weight_kg, "heart_rate_bpm": p.heart_rate_bpm, "hb_g_dl": p.hb_g_dl,
                "blood_volume_ml": p.blood_volume_ml, "shunt_fraction": p.shunt_fraction,
                "vo2_ml_kg_min": p.vo2_ml_kg_min, "temp_c": p.temp_c,
            },
            "control_period_ms": control::CONTROL_PERIOD_MS,
            "twin_dt_s": physio::Twin::DT_S,
        })
    }

    fn heartbeat(&mut self, alive: bool) {
        self.sil.set_ui_alive(alive);
    }

    fn patient(&self) -> Option<PatientView> {
        Some(SilEngine::patient(self))
    }
}

fn round(v: f64, step: f64) -> f64 {
    let d = if step >= 1.0 {
        1.0
    } else {
        (1.0 / step).round()
    };
    (v * d).round() / d
}

/// The control core's alarm system for the screen, at control time `now_ms`.
pub(crate) fn alarm_status(sys: &control::AlarmSystem, now_ms: u64) -> AlarmStatus {
    let mut alarms = Vec::new();
    let mut pausable = true;
    for &id in AlarmId::ALL {
        let st = sys.state(id);
        if !st.signalled() {
            continue;
        }
        let spec = id.spec();
        if !spec.pausable {
            pausable = false;
        }
        alarms.push(Alarm {
            id: training::names::alarm_name(id),
            req: spec.requirement.to_string(),
            priority: match spec.priority {
                control::Priority::Low => Priority::Low,
                control::Priority::Medium => Priority::Medium,
                control::Priority::High => Priority::High,
            },
            technical: spec.kind == AlarmKind::Technical,
            text: spec.text.to_string(),
            action: spec.action.to_string(),
            active: matches!(st.phase, Phase::Active { .. }),
            latched: matches!(st.phase, Phase::Latched { .. }),
            acknowledged: st.acknowledged,
        });
    }
    let audio_paused_s = match sys.summary().audio {
        AudioState::Paused { until_ms } => Some(until_ms.saturating_sub(now_ms) as f64 / 1000.0),
        _ => sys
            .paused_until_ms()
            .map(|u| u.saturating_sub(now_ms) as f64 / 1000.0),
    };
    AlarmStatus {
        alarms,
        audio_paused_s: audio_paused_s.filter(|s| *s > 0.0),
        pausable,
    }
}

/// The control core's settings as the screen's parameters, switches and actions.
/// `va`: the circuit is veno-arterial (zero-flow weaning mode offered).
pub(crate) fn settings_view(s: &control::Settings, va: bool) -> Settings {
    let params = param_table()
        .into_iter()
        .map(|(name, set, group, scale, step)| {
            let (lo, hi) = set.range();
            Param {
                name,
                label: set.label().into(),
                unit: display_unit(set, scale),
                group: group.into(),
                value: round(set.current(s) as f64 * scale, step),
                min: round(lo as f64 * scale, step),
                max: round(hi as f64 * scale, step),
                step,
            }
        })
        .collect();
    let mut switches = vec![
        Switch {
            name: "return_clamp".into(),
            label: "Return line clamp".into(),
            group: "control".into(),
            on: s.return_clamp,
        },
        Switch {
            name: "auto_sweep".into(),
            label: "Automatic sweep (PCO2 target)".into(),
            group: "control".into(),
            on: s.gas_mode == GasMode::AutoPco2,
        },
    ];
    for (i, n, label) in INTERVENTIONS {
        switches.push(Switch {
            name: format!("intervention.{n}"),
            label: label.into(),
            group: "intervention".into(),
            on: s.intervention(i).enabled,
        });
    }
    Settings {
        // The mode the operator set, as the control core holds it (its output follows from
        // the next step on).
        mode: mode_name(s.mode).into(),
        // Zero-flow (VA weaning) is offered only where the control core allows it.
        modes: if va {
            ["standby", "rpm", "flow", "zero_flow"]
                .map(String::from)
                .to_vec()
        } else {
            ["standby", "rpm", "flow"].map(String::from).to_vec()
        },
        params,
        switches,
        actions: vec![ActionInfo {
            name: "restart_after_bubble".into(),
            label: "Restart pump after bubble stop".into(),
        }],
    }
}

/// The console's own injections: sensor faults of the acquisition layer (not twin events).
const SENSOR_FAULTS: [(&str, &str, control::Channel, ChannelFault); 2] = [
    (
        "flow_sensor_dropout",
        "Flow sensor dropout (1 fail, 0 repair)",
        control::Channel::Flow,
        ChannelFault::Dropout,
    ),
    (
        "drain_sensor_stuck",
        "Drainage pressure sensor stuck (1/0)",
        control::Channel::DrainagePressure,
        ChannelFault::Stuck,
    ),
];

fn sensor_fault(name: &str) -> Option<(control::Channel, ChannelFault)> {
    SENSOR_FAULTS
        .iter()
        .find(|f| f.0 == name)
        .map(|f| (f.2, f.3))
}

/// Prefix of the injections that change a patient parameter: `patient.svr_mmhg_s_ml`.
const PATIENT_PREFIX: &str = "patient.";

/// The instructor's injections, from the event and patient vocabularies; a parameter's
/// offered value is the patient's current one.
pub fn injection_list(patient: &physio::PatientParams) -> Vec<InjectionInfo> {
    use physio::EventValue;
    let mut v = Vec::new();
    for e in physio::EVENTS {
        let (unit, min, max, default, label) = match e.value {
            EventValue::Number(q) => (q.unit, q.min, q.max, q.typical, e.label.to_string()),
            EventValue::Flag => ("", 0.0, 1.0, 1.0, format!("{} (1 on, 0 off)", e.label)),
            EventValue::None => ("", 1.0, 1.0, 1.0, e.label.to_string()),
            // One entry per parameter, below.
            EventValue::Patient => continue,
        };
        v.push(InjectionInfo {
            name: e.name.into(),
            label,
            group: "Events".into(),
            unit: plain_unit(unit).into(),
            min,
            max,
            default,
        });
    }
    for f in physio::PATIENT_FIELDS.iter().filter(|f| f.event.is_some()) {
        v.push(InjectionInfo {
            name: format!("{PATIENT_PREFIX}{}", f.name),
            label: format!("Patient: {}", f.label),
            group: "Patient parameters".into(),
            unit: plain_unit(f.unit).into(),
            min: f.min,
            max: f.max,
            default: (f.get)(patient),
        });
    }
    for (name, label, _, _) in SENSOR_FAULTS {
        v.push(InjectionInfo {
            name: name.into(),
            label: label.into(),
            group: "Sensor faults".into(),
            unit: String::new(),
            min: 0.0,
            max: 1.0,
            default: 1.0,
        });
    }
    v
}

/// A fraction's unit (`1`) as an instructor reads it: the range it takes.
fn plain_unit(unit: &str) -> &str {
    if unit == "1" { "0–1" } else { unit }
}

/// The twin event an injection `name` with `value` stands for, checked against the event's
/// (or parameter's) range by [`Event::new`].
pub fn injected_event(name: &str, value: f64) -> Result<Event, String> {
    use physio::{EventArg, EventKind, EventValue};
    let refused = |e: physio::ConfigError| format!("{}: {}", e.field, e.message);
    if let Some(field) = name.strip_prefix(PATIENT_PREFIX) {
        let param = physio::PATIENT_FIELDS
            .iter()
            .find(|f| f.name == field)
            .and_then(|f| f.event)
            .ok_or_else(|| format!("unknown patient parameter '{field}'"))?;
        return Event::new(EventKind::SetPatient, EventArg::Patient(param, value)).map_err(refused);
    }
    let kind = EventKind::by_name(name).ok_or_else(|| format!("unknown event '{name}'"))?;
    let arg = match kind.spec().value {
        EventValue::None => EventArg::None,
        EventValue::Flag => EventArg::Flag(value >= 0.5),
        EventValue::Number(_) => EventArg::Number(value),
        EventValue::Patient => {
            return Err(format!(
                "'{name}' takes a parameter: inject '{PATIENT_PREFIX}<field>' instead"
            ));
        }
    };
    Event::new(kind, arg).map_err(refused)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn run(e: &mut SilEngine, s: f64) {
        for _ in 0..(s / PERIOD_S).round() as usize {
            e.advance(PERIOD_S);
        }
    }

    /// Runs in 10 ms steps, up to 30 s, until `done` holds for the pump state; whether it did.
    fn run_until(e: &mut SilEngine, done: impl Fn(&PumpState) -> bool) -> bool {
        for _ in 0..3000 {
            run(e, 0.01);
            if done(&e.numerics().pump.unwrap()) {
                return true;
            }
        }
        false
    }

    /// One vocabulary: every twin event (drugs and fluids included) and every patient
    /// parameter an event may change is offered to the instructor with the table's own range,
    /// and each offered value is one the twin takes.
    #[test]
    fn injections_come_from_the_event_and_patient_tables() {
        let e = build("ards-severe", 7).unwrap();
        let list = e.injections();
        for spec in physio::EVENTS {
            if spec.value != physio::EventValue::Patient {
                assert!(
                    list.iter().any(|i| i.name == spec.name),
                    "{} missing",
                    spec.name
                );
            }
        }
        for f in physio::PATIENT_FIELDS.iter().filter(|f| f.event.is_some()) {
            let i = list
                .iter()
                .find(|i| i.name == format!("patient.{}", f.name))
                .unwrap_or_else(|| panic!("{} missing", f.name));
            assert_eq!((i.min, i.max), (f.min, f.max));
            // The offered value is the patient's own.
            assert_eq!(i.default, (f.get)(e.sil.twin().patient()));
        }
        for i in &list {
            if sensor_fault(&i.name).is_none() {
                for v in [i.min, i.default, i.max] {
                    injected_event(&i.name, v)
                        .unwrap_or_else(|m| panic!("{} = {v} refused: {m}", i.name));
                }
            }
        }
        let drug = list
            .iter()
            .find(|i| i.name == "norepinephrine_infusion")
            .unwrap();
        assert_eq!(drug.unit, "µg/kg/min");
        assert_eq!(
            injected_event("patient.svr_mmhg_s_ml", 1.4),
            Ok(Event::SetPatient(physio::PatientParam::Svr, 1.4))
        );
    }

    /// An injection out of range, of an unknown name or of the wrong shape is refused with a
    /// message that names it; the running twin is untouched.
    #[test]
    fn injections_out_of_range_or_unknown_are_refused_by_name() {
        let mut e = build("ards-severe", 7).unwrap();
        let m = e.inject("return_kink", 1.5).unwrap_err();
        assert!(m.contains("return_kink"), "{m}");
        let m = e.inject("patient.svr_mmhg_s_ml", 99.0).unwrap_err();
        assert!(m.contains("svr"), "{m}");
        assert!(
            e.inject("no_such_event", 1.0)
                .unwrap_err()
                .contains("no_such_event")
        );
        assert!(
            e.inject("patient.weight_kg", 80.0).is_err(),
            "weight is no event"
        );
        assert!(
            e.inject("set_patient", 1.0)
                .unwrap_err()
                .contains("patient.")
        );
        e.inject("norepinephrine_infusion", 0.1).unwrap();
        e.inject("crystalloid_infusion", 500.0).unwrap();
    }

    /// The screen's readings: the bedside monitor's from the twin, derived ones from their
    /// inputs, each where a person expects it.
    #[test]
    fn readings_a_bedside_user_expects() {
        let mut e = build("ards-severe", 7).unwrap();
        run(&mut e, 5.0);
        let n = e.numerics();
        let o = *e.sil.observation();
        let hb = n.hb_g_dl.unwrap();
        assert!((n.hct_pct.unwrap() - hb / 0.34).abs() < 1e-9);
        let up = n.art_upper.unwrap();
        assert!(up.sys > up.mean && up.mean > up.dia, "{up:?}");
        let low = n.art_lower.unwrap();
        assert!(
            low.sys > low.dia && low.mean > low.dia && low.mean < low.sys,
            "{low:?}"
        );
        assert_eq!(n.cvp_mmhg, Some(o.cvp_mmhg));
        assert_eq!(n.temp_ven_c, Some(o.patient_temp_c));
        assert_eq!(n.heater_water_c, Some(o.heater_c));
        // The fuel gauge reads in 1 % steps with 0.5 % jitter (physio::sensors): a full battery
        // shows 99–100 %, 118.8–120 min.
        assert!(
            (n.battery_min.unwrap() - 120.0).abs() < 2.5,
            "full battery: 2 h, got {:?}",
            n.battery_min
        );
        let bsa = bsa_m2(e.config.patient.weight_kg);
        assert!((n.flow_index.unwrap() - n.flow_lpm.unwrap() / bsa).abs() < 1e-9);
        let p = e.patient();
        assert_eq!(p.id, "ards-severe");
        assert!(p.bsa_m2 > 1.5 && p.bsa_m2 < 2.2, "{p:?}");
        let pump = n.pump.unwrap();
        assert_eq!(pump.mode, "rpm");
        assert!(!pump.bubble_stop && !pump.clamp_closed && pump.rpm_command > 1000.0);
        assert_eq!(pump.gas_supply, "flowing");
    }

    /// After a bubble stop the settings still say RPM at its target with the clamp open; the
    /// pump state says stopped and clamped, and a restart is possible only once the air is gone.
    #[test]
    fn bubble_stop_shows_the_pumps_truth() {
        let mut e = build("ards-severe", 7).unwrap();
        run(&mut e, 3.0);
        e.inject("air_entrainment", 20.0).unwrap();
        assert!(
            run_until(&mut e, |p| p.bubble_stop),
            "air raised a bubble stop"
        );
        run(&mut e, 0.5);
        let p = e.numerics().pump.unwrap();
        assert_eq!(p.rpm_command, 0.0);
        assert!(p.clamp_closed);
        let s = e.settings();
        assert_eq!(s.mode, "rpm");
        assert!(
            !s.switch("return_clamp").unwrap().on,
            "the operator's clamp is still open"
        );
        // Air trapped at the stopped, clamped detector stays there: no restart yet.
        assert!(
            e.sil.frame().bubble.value,
            "the detector still sees the air"
        );
        assert!(!p.restart_possible);
        assert!(
            e.command(&Command::Action {
                name: "restart_after_bubble".into()
            })
            .is_err()
        );
        e.inject("air_entrainment", 0.0).unwrap();
        // Air stays in a stopped circuit until the perfusionist removes it.
        e.inject("de_air", 1.0).unwrap();
        assert!(
            run_until(&mut e, |p| p.restart_possible),
            "restart possible once no air is detected"
        );
        e.command(&Command::Action {
            name: "restart_after_bubble".into(),
        })
        .unwrap();
        run(&mut e, 1.0);
        let p = e.numerics().pump.unwrap();
        assert!(
            !p.bubble_stop && !p.clamp_closed && p.rpm_command > 0.0,
            "{p:?}"
        );
    }

    #[test]
    fn one_alarm_is_acknowledged_by_its_id() {
        let s = control::Settings::DEFAULT;
        let c = translate(
            &s,
            &Command::Acknowledge {
                id: Some("flow_low".into()),
            },
        )
        .unwrap();
        assert_eq!(c, control::Command::Acknowledge(AlarmId::FlowLow));
        assert_eq!(
            translate(&s, &Command::Acknowledge { id: None }).unwrap(),
            control::Command::AcknowledgeAll
        );
        assert!(
            translate(
                &s,
                &Command::Acknowledge {
                    id: Some("nope".into())
                }
            )
            .is_err()
        );
    }
}
