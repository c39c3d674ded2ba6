//! The twin: patient and circuit stepped together at a fixed step.
//!
//! OWNER: twin helper. The public types here are the contract with the experiment runner, the
//! sensor models, the control loop and the console: add fields freely, rename none without
//! telling the lead.
use crate::blood::GasState;
use crate::cannula::{Cannula, Tubing};
use crate::coagulation::Coating;
use crate::oxygenator::OxygenatorModel;
use crate::pump::PumpModel;

/// Patient parameters. Every field has a documented unit, range and default (presets).
#[derive(Clone, Debug, PartialEq)]
pub struct PatientParams {
    pub weight_kg: f64,
    pub heart_rate_bpm: f64,
    /// LV end-systolic elastance, mmHg/mL.
    pub lv_emax_mmhg_ml: f64,
    /// RV end-systolic elastance, mmHg/mL.
    pub rv_emax_mmhg_ml: f64,
    /// Systemic vascular resistance, mmHg·s/mL.
    pub svr_mmhg_s_ml: f64,
    /// Pulmonary vascular resistance, mmHg·s/mL.
    pub pvr_mmhg_s_ml: f64,
    /// Total blood volume, mL.
    pub blood_volume_ml: f64,
    pub hb_g_dl: f64,
    pub base_excess_meq_l: f64,
    pub temp_c: f64,
    /// Whole-body O2 consumption, mL/kg/min.
    pub vo2_ml_kg_min: f64,
    /// Respiratory quotient VCO2/VO2.
    pub rq: f64,
    /// Alveolar ventilation, L/min.
    pub alveolar_ventilation_lpm: f64,
    /// Inspired O2 fraction 0.21..1.
    pub fio2: f64,
    /// Intrapulmonary shunt fraction 0..1.
    pub shunt_fraction: f64,
}

/// Where the cannulae sit.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Configuration {
    /// No circuit connected.
    None,
    /// Drain IVC via femoral vein, return SVC/RA via internal jugular.
    VvFemoroJugular,
    /// Drain IVC via one femoral vein, return near the RA via the other.
    VvFemoroFemoral,
    /// Drain RA/IVC via femoral vein, return retrograde into the descending aorta via femoral artery.
    VaFemoral,
    /// Drain RA, return into the ascending aorta.
    VaCentral,
}

#[derive(Clone, Debug, PartialEq)]
pub struct CircuitConfig {
    pub configuration: Configuration,
    pub drainage: Cannula,
    pub return_cannula: Cannula,
    pub tubing: Tubing,
    pub pump: PumpModel,
    pub oxygenator: OxygenatorModel,
    pub coating: Coating,
}

#[derive(Clone, Debug, PartialEq)]
pub struct TwinConfig {
    pub patient: PatientParams,
    pub circuit: CircuitConfig,
    /// Seed for everything random in the twin.
    pub seed: u64,
}

/// What the console's actuators ask of the circuit at this step.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Actuation {
    /// Commanded pump speed; the motor follows with its own acceleration limit.
    pub pump_rpm: f64,
    /// Return-line clamp: 0 open, 1 fully closed.
    pub return_clamp: f64,
    pub sweep_lpm: f64,
    pub fdo2: f64,
    /// Heater water temperature set point, °C.
    pub heater_c: f64,
}

/// True values of everything a console or a researcher may look at (no sensor error).
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Observation {
    pub time_s: f64,
    // circuit
    pub pump_speed_rpm: f64,
    pub circuit_flow_lpm: f64,
    /// Pre-pump (drainage line) pressure.
    pub p_drainage_mmhg: f64,
    pub p_pre_oxy_mmhg: f64,
    pub p_post_oxy_mmhg: f64,
    pub delta_p_oxy_mmhg: f64,
    pub pre_oxy: GasState,
    pub post_oxy: GasState,
    pub circuit_temp_c: f64,
    /// Air at the bubble detector (return line).
    pub bubble: bool,
    pub sweep_lpm: f64,
    pub fdo2: f64,
    pub oxy_o2_transfer_ml_min: f64,
    pub oxy_co2_transfer_ml_min: f64,
    pub plasma_fhb_mg_dl: f64,
    pub anti_xa_iu_ml: f64,
    pub act_s: f64,
    pub oxy_clot_fraction: f64,
    pub pump_clot_fraction: f64,
    pub mains_power: bool,
    pub battery_fraction: f64,
    // patient
    pub heart_rate_bpm: f64,
    /// Instantaneous right radial arterial pressure.
    pub p_art_mmhg: f64,
    pub map_mmhg: f64,
    pub cvp_mmhg: f64,
    pub p_la_mmhg: f64,
    pub p_pa_mean_mmhg: f64,
    /// Native left-ventricular output, L/min.
    pub cardiac_output_lpm: f64,
    /// Right radial (upper body) arterial blood.
    pub art_upper: GasState,
    /// Femoral (lower body) arterial blood.
    pub art_lower: GasState,
    /// True mixed venous saturation (pulmonary artery), fraction.
    pub svo2: f64,
    pub hb_g_dl: f64,
    pub patient_temp_c: f64,
    pub vo2_ml_min: f64,
    pub vco2_ml_min: f64,
    /// Fraction of circuit flow that is returned blood drawn straight back (VV), 0..1.
    pub recirculation_fraction: f64,
    pub blood_volume_ml: f64,
}

/// Something that happens to the patient or circuit. Durations are handled by the timeline.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Event {
    /// Kink or clamp of the drainage line; severity 0 (none) .. 1 (occluded).
    DrainageKink(f64),
    /// Kink or clamp of the return line; severity 0..1.
    ReturnKink(f64),
    /// Air entering the drainage line, mL/min (0 stops it).
    AirEntrainment(f64),
    /// Pump motor failure (true) or repaired (false).
    PumpFailure(bool),
    /// Mains power lost (true) or restored (false).
    PowerLoss(bool),
    /// Sudden loss of oxygenator membrane function, fraction 0..1.
    OxygenatorFailure(f64),
    /// Instant volume change, mL: positive bolus, negative haemorrhage.
    Volume(f64),
    /// Continuous bleeding, mL/min (0 stops it).
    Bleeding(f64),
    HeparinBolus(f64),
    /// Heparin infusion, U/h.
    HeparinInfusion(f64),
    /// Change one patient parameter.
    SetPatient(PatientParam, f64),
}

/// The patient parameters an event may change.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum PatientParam {
    HeartRate,
    LvEmax,
    RvEmax,
    Svr,
    Pvr,
    Vo2,
    AlveolarVentilation,
    Fio2,
    ShuntFraction,
    Temperature,
}

/// Why a configuration or event was refused.
#[derive(Clone, Debug, PartialEq)]
pub struct ConfigError {
    /// The field, e.g. `patient.heart_rate_bpm`.
    pub field: &'static str,
    pub message: String,
}

pub struct Twin {
    _private: (),
}

impl Twin {
    /// Fixed step of the fast (hemodynamic) subsystem, s.
    pub const DT_S: f64 = 0.002;

    pub fn new(config: &TwinConfig) -> Result<Self, ConfigError> {
        let _ = config;
        todo!()
    }
    /// Advance one fixed step.
    pub fn step(&mut self, act: &Actuation) {
        let _ = act;
        todo!()
    }
    pub fn apply(&mut self, event: &Event) -> Result<(), ConfigError> {
        let _ = event;
        todo!()
    }
    pub fn observe(&self) -> Observation {
        todo!()
    }
    pub fn time_s(&self) -> f64 {
        todo!()
    }
}
