//! The twin: patient and circuit stepped together at a fixed step.
//!
//! The public types here are the contract with the experiment runner, the sensor models, the
//! control loop and the console: add fields freely, rename none without telling the lead.
//!
//! One [`Twin::step`] is 2 ms of hemodynamics ([`crate::circulation`], [`crate::circuit`]);
//! every 20th step also moves gas and exchanges it in lungs, tissues and oxygenator
//! ([`crate::transport`], [`crate::lungs`]); every 500th runs the slow processes (hemolysis,
//! heparin, thrombus, battery, temperature). Observed blood gases are solved every 0.2 s and
//! held; [`Twin::observe`] is cheap and can be called every step.
//!
//! Where cannulae sit (per [`Configuration`]):
//!
//! | configuration | drainage | return |
//! |---|---|---|
//! | VV femoro-jugular | infrahepatic IVC | SVC |
//! | VV femoro-femoral | infrahepatic IVC | IVC–RA junction |
//! | VA femoral | IVC–RA junction | abdominal aorta / iliac (retrograde) |
//! | VA central | right atrium | ascending aorta |
use crate::blood::{self, Chemistry, Contents, GasState};
use crate::cannula::{Cannula, Tubing};
use crate::circulation as cv;
use crate::coagulation::{ClotDrivers, Coating, Heparin, Thrombus};
use crate::drugs::Drug;
use crate::fluids::Fluid;
use crate::hemolysis::{HemolysisModel, PlasmaFreeHb};
use crate::oxygenator::{OxygenatorModel, Sweep};
use crate::placement::{Placement, Sites};
use crate::pump::PumpModel;
use crate::{circuit, lungs, transport};

/// Patient parameters. Every field has a documented unit, range and default (presets).
#[derive(Clone, Debug, PartialEq)]
pub struct PatientParams {
    pub weight_kg: f64,
    pub heart_rate_bpm: f64,
    /// LV end-systolic elastance, mmHg/mL.
    pub lv_emax_mmhg_ml: f64,
    /// RV end-systolic elastance, mmHg/mL.
    pub rv_emax_mmhg_ml: f64,
    /// Chronic LV dilation (remodelling), mL: 0 for a normal-sized LV (see `heart`).
    pub lv_dilation_ml: f64,
    /// LV diastolic stiffness relative to normal (1).
    pub lv_stiffness: f64,
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
    /// Strength of the arterial baroreflex ([`crate::reflex`]): 1 Ursino 1998's gains, 0 none
    /// (the twin as it was without reflexes), between: blunted (sedation, sepsis).
    pub baroreflex_gain: f64,
    /// Static lung compliance, mL/cmH2O ([`crate::ventilator`]).
    pub lung_compliance_ml_cmh2o: f64,
    /// Chest-wall compliance, mL/cmH2O ([`crate::ventilator`]).
    pub chest_wall_compliance_ml_cmh2o: f64,
    /// Airway resistance (with the endotracheal tube), cmH2O·s/L ([`crate::ventilator`]).
    pub airway_resistance_cmh2o_s_l: f64,
    /// Share of lung tissue collapsed at 5 cmH2O that 45 cmH2O reopens
    /// ([`crate::recruitment`]); 0: a lung that does not recruit.
    pub recruitability: f64,
    /// Strength of the chemoreflex ([`crate::chemoreflex`]): 1 the published responses, 0 none
    /// (ventilation fixed at `alveolar_ventilation_lpm`).
    pub chemoreflex_gain: f64,
    /// Strength of the cardiopulmonary (low-pressure) reflex ([`crate::cpreflex`]): 1 Heldt
    /// 2002's gains, 0 none (the twin without it).
    pub cardiopulmonary_gain: f64,
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
    /// Drain RA/IVC via femoral vein, return into the right axillary (subclavian) artery: circuit
    /// blood reaches the arch through the brachiocephalic trunk, the usual answer to
    /// differential hypoxia.
    VaAxillary,
    /// One bicaval dual-lumen cannula through the right internal jugular vein (Avalon/Crescent
    /// class): drains the SVC and the IVC, returns into the right atrium toward the tricuspid
    /// valve.
    VvDualLumen,
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
    /// Insertion depths of the cannulae (see [`crate::placement`]).
    pub placement: crate::placement::Placement,
    /// What the circuit holds before flow starts ([`crate::prime`]): `Established` (every
    /// preset) for support already running.
    pub prime: crate::prime::Prime,
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
    /// Heater water temperature set point, °C; 0 switches the heater off (the blood then
    /// leaves the oxygenator cooler than it entered, by what the circuit loses to the room and
    /// the sweep gas: [`crate::heat`]).
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
    /// Left radial arterial blood (left subclavian territory).
    pub art_left_radial: GasState,
    /// Cerebral arterial blood: the two carotid territories mixed by their flows.
    pub art_cerebral: GasState,
    /// Where native and circuit blood meet in the aorta: distance from the aortic valve, cm,
    /// at which half the blood came from the circuit (interpolated between segment centres,
    /// root to femoral). 0 when circuit blood fills the root; the aorta's length (the iliac
    /// segment's centre, 55 cm in an adult) when no circuit blood reaches it (VV, no circuit).
    pub watershed_cm: f64,
    /// True O2 saturation in the superior vena cava and in the infrahepatic inferior vena cava,
    /// fractions: the two venous streams that differ in femoral VA with poor lungs (upper body
    /// fed by the heart, lower body by the circuit).
    pub svc_so2: f64,
    pub ivc_so2: f64,
    /// Distance between the drainage and the return cannula tips along the venae cavae, cm (VV
    /// only; 0 in VA and without a circuit).
    pub cannula_tip_distance_cm: f64,
    /// Share of the blood at the coronary ostia (aortic root) that came from the circuit, 0..1.
    pub coronary_circuit_fraction: f64,
    /// Share of the blood in the carotids that came from the circuit, 0..1.
    pub cerebral_circuit_fraction: f64,
    /// True mixed venous saturation (pulmonary artery), fraction.
    pub svo2: f64,
    pub hb_g_dl: f64,
    pub patient_temp_c: f64,
    pub vo2_ml_min: f64,
    pub vco2_ml_min: f64,
    /// Fraction of circuit flow that is returned blood drawn straight back, 0..1, by the Abrams
    /// formula (SpreO2 − SvO2)/(SpostO2 − SvO2) from true values, SvO2 being
    /// `venous_return_so2`. VV only; 0 in VA and without a circuit.
    pub recirculation_fraction: f64,
    /// True share of the drained blood that is returned blood drawn straight back, 0..1: the
    /// concentration at the drainage cannula of a tracer that marks blood leaving the return
    /// cannula and is washed out in every capillary bed (see `transport::Gases::returned`).
    /// Independent of saturations, so it checks the Abrams formula rather than restating it.
    /// Zero without a circuit; in VA it comes out near zero by itself.
    pub recirculation_traced: f64,
    pub blood_volume_ml: f64,
    /// True saturation of the venous blood returning from the body (upper, lower body and
    /// coronary sinus, flow-weighted) before it meets any circuit return: the SvO2 of the Abrams
    /// recirculation formula.
    pub venous_return_so2: f64,
    /// O2 taken up and CO2 given off by the native lungs, mL/min.
    pub lung_o2_ml_min: f64,
    pub lung_co2_ml_min: f64,
    /// Left-ventricular stroke volume of the last beat (what passed the aortic valve), mL.
    pub stroke_volume_ml: f64,
    /// Left and right ventricular end-diastolic and end-systolic volumes of the last beat, mL.
    pub lv_edv_ml: f64,
    pub lv_esv_ml: f64,
    pub rv_edv_ml: f64,
    pub rv_esv_ml: f64,
    /// Ejection fractions (EDV − ESV)/EDV of the last beat, 0..1.
    pub lv_ef: f64,
    pub rv_ef: f64,
    /// LV end-diastolic pressure of the last beat, mmHg.
    pub lvedp_mmhg: f64,
    /// Pulmonary capillary wedge pressure: mean pulmonary venous pressure of the last beat,
    /// mmHg (what a wedged catheter reads).
    pub pcwp_mmhg: f64,
    /// Peak LV pressure of the last beat, mmHg.
    pub lv_peak_mmhg: f64,
    /// LV stroke work (area of the pressure–volume loop) of the last beat, mmHg·mL.
    pub lv_stroke_work_mmhg_ml: f64,
    /// Systolic and diastolic pressure at the right radial arterial line, last beat, mmHg.
    pub p_art_sys_mmhg: f64,
    pub p_art_dia_mmhg: f64,
    /// Share of the last 10 beats in which the aortic valve opened (a closed valve on VA
    /// support is a bedside finding: the LV no longer ejects against the circuit's pressure).
    pub aortic_valve_open_fraction: f64,
    /// Pericardial pressure, mmHg (instantaneous).
    pub p_pericardium_mmhg: f64,
    /// Alveolar partial pressures, mmHg.
    pub p_alv_o2_mmhg: f64,
    pub p_alv_co2_mmhg: f64,
    /// Air that has passed the return cannula into the patient since the start, mL.
    pub air_to_patient_ml: f64,
    /// Heater water set point in use, °C (0 = off).
    pub heater_c: f64,
    /// Vein wall sucked onto the drainage cannula's holes (suction event in progress).
    pub drainage_occluded: bool,
    /// Stressed volume of the patient's vessels (volume above their unstressed volumes), mL.
    pub stressed_volume_ml: f64,
    /// Net flow from the aortic arch into the descending aorta over the last beat, L/min. In
    /// femoral VA it turns negative when circuit blood climbs past the arch's branches: the
    /// watershed has moved above the descending aorta.
    pub arch_to_descending_lpm: f64,
    /// Carotid sinus pressure: mean pressure in the two carotids over the last beat, mmHg
    /// (what the baroreflex senses).
    pub p_carotid_mmhg: f64,
    /// Systemic vascular resistance in effect (the patient's, changed by the baroreflex),
    /// mmHg·s/mL.
    pub svr_mmhg_s_ml: f64,
    /// Interstitial fluid volume, mL ([`crate::fluids`]).
    pub interstitial_fluid_ml: f64,
    /// Infused fluid excreted by the kidneys since the start, mL.
    pub fluid_excreted_ml: f64,
    /// Plasma concentration of each drug ([`crate::drugs::Drug::ALL`] order), in its
    /// concentration unit ([`crate::drugs::DRUGS`]).
    pub drug_plasma: [f64; crate::drugs::N_DRUGS],
    /// Neuromuscular block, fraction of twitch height lost (rocuronium).
    pub neuromuscular_block: f64,
    /// Arterial lactate, mmol/L.
    pub lactate_mmol_l: f64,
    /// Base excess in effect, mEq/L (the patient's, less lactate above normal).
    pub base_excess_meq_l: f64,
    /// The heart's rhythm ([`crate::cpr::Rhythm::code`]): 0 perfusing, 1 VF, 2 asystole, 3 PEA.
    pub rhythm: f64,
    /// Coronary perfusion pressure in arrest (aortic root minus right atrium: in the release
    /// phase during compressions, throughout without them; smoothed over about three
    /// compression cycles), mmHg; 0 with a perfusing rhythm.
    pub cpp_mmhg: f64,
    /// A mechanical ventilator is connected ([`crate::ventilator`]); the `vent_` readings
    /// below are 0 without one.
    pub ventilator_on: bool,
    /// Peak airway pressure, cmH2O.
    pub vent_ppeak_cmh2o: f64,
    /// Plateau pressure (end-inspiratory alveolar), cmH2O.
    pub vent_pplat_cmh2o: f64,
    /// Driving pressure, plateau less total PEEP (VT / C_rs), cmH2O.
    pub vent_driving_cmh2o: f64,
    /// Total PEEP, set PEEP plus intrinsic (auto-) PEEP, cmH2O.
    pub vent_peep_total_cmh2o: f64,
    /// Tidal volume delivered, mL.
    pub vent_vt_ml: f64,
    /// Minute ventilation, rate × tidal volume, L/min.
    pub vent_minute_volume_lpm: f64,
    /// Respiratory-system (static) compliance, mL/cmH2O.
    pub vent_compliance_ml_cmh2o: f64,
    /// Mean pleural (intrathoracic) pressure over the breath, cmH2O: −5 at rest without a
    /// ventilator (FRC), higher with positive pressure and PEEP.
    pub pleural_mean_cmh2o: f64,
    /// Intrapulmonary shunt fraction in effect: the patient's, changed by recruitment
    /// ([`crate::recruitment`]).
    pub shunt_effective: f64,
    /// Share of the recruitable lung open now, 0..1 (0 at the reference state, PEEP 5).
    pub recruited_fraction: f64,
    /// Dead space (anatomical and alveolar) over tidal volume of the ventilator's breath.
    pub vent_dead_space_fraction: f64,
    /// Change of minute ventilation the chemoreflex asks for, L/min ([`crate::chemoreflex`]).
    pub chemoreflex_drive_lpm: f64,
    /// Alveolar ventilation of the native lungs in effect (the ventilator's, the driven
    /// spontaneous one, or the patient's parameter), L/min.
    pub alveolar_ventilation_effective_lpm: f64,
}

impl Default for Observation {
    /// All zeros (saturations 0, pH 7.4, mains on, battery full): a blank to fill in tests and
    /// tools with `..Observation::default()`, so that new fields do not break them.
    fn default() -> Self {
        let gas = GasState {
            po2_mmhg: 0.0,
            pco2_mmhg: 0.0,
            ph: 7.4,
            so2: 0.0,
        };
        Observation {
            time_s: 0.0,
            pump_speed_rpm: 0.0,
            circuit_flow_lpm: 0.0,
            p_drainage_mmhg: 0.0,
            p_pre_oxy_mmhg: 0.0,
            p_post_oxy_mmhg: 0.0,
            delta_p_oxy_mmhg: 0.0,
            pre_oxy: gas,
            post_oxy: gas,
            circuit_temp_c: 0.0,
            bubble: false,
            sweep_lpm: 0.0,
            fdo2: 0.21,
            oxy_o2_transfer_ml_min: 0.0,
            oxy_co2_transfer_ml_min: 0.0,
            plasma_fhb_mg_dl: 0.0,
            anti_xa_iu_ml: 0.0,
            act_s: 0.0,
            oxy_clot_fraction: 0.0,
            pump_clot_fraction: 0.0,
            mains_power: true,
            battery_fraction: 1.0,
            heart_rate_bpm: 0.0,
            p_art_mmhg: 0.0,
            art_left_radial: gas,
            art_cerebral: gas,
            watershed_cm: 0.0,
            svc_so2: 0.0,
            ivc_so2: 0.0,
            cannula_tip_distance_cm: 0.0,
            coronary_circuit_fraction: 0.0,
            cerebral_circuit_fraction: 0.0,
            map_mmhg: 0.0,
            cvp_mmhg: 0.0,
            p_la_mmhg: 0.0,
            p_pa_mean_mmhg: 0.0,
            cardiac_output_lpm: 0.0,
            art_upper: gas,
            art_lower: gas,
            svo2: 0.0,
            hb_g_dl: 0.0,
            patient_temp_c: 0.0,
            vo2_ml_min: 0.0,
            vco2_ml_min: 0.0,
            recirculation_fraction: 0.0,
            recirculation_traced: 0.0,
            blood_volume_ml: 0.0,
            venous_return_so2: 0.0,
            lung_o2_ml_min: 0.0,
            lung_co2_ml_min: 0.0,
            stroke_volume_ml: 0.0,
            lv_edv_ml: 0.0,
            lv_esv_ml: 0.0,
            rv_edv_ml: 0.0,
            rv_esv_ml: 0.0,
            lv_ef: 0.0,
            rv_ef: 0.0,
            lvedp_mmhg: 0.0,
            pcwp_mmhg: 0.0,
            lv_peak_mmhg: 0.0,
            lv_stroke_work_mmhg_ml: 0.0,
            p_art_sys_mmhg: 0.0,
            p_art_dia_mmhg: 0.0,
            aortic_valve_open_fraction: 1.0,
            p_pericardium_mmhg: 0.0,
            p_alv_o2_mmhg: 0.0,
            p_alv_co2_mmhg: 0.0,
            air_to_patient_ml: 0.0,
            heater_c: 0.0,
            drainage_occluded: false,
            stressed_volume_ml: 0.0,
            arch_to_descending_lpm: 0.0,
            p_carotid_mmhg: 0.0,
            svr_mmhg_s_ml: 0.0,
            interstitial_fluid_ml: 0.0,
            fluid_excreted_ml: 0.0,
            drug_plasma: [0.0; crate::drugs::N_DRUGS],
            neuromuscular_block: 0.0,
            lactate_mmol_l: 0.0,
            base_excess_meq_l: 0.0,
            rhythm: 0.0,
            cpp_mmhg: 0.0,
            ventilator_on: false,
            vent_ppeak_cmh2o: 0.0,
            vent_pplat_cmh2o: 0.0,
            vent_driving_cmh2o: 0.0,
            vent_peep_total_cmh2o: 0.0,
            vent_vt_ml: 0.0,
            vent_minute_volume_lpm: 0.0,
            vent_compliance_ml_cmh2o: 0.0,
            pleural_mean_cmh2o: 0.0,
            shunt_effective: 0.0,
            recruited_fraction: 0.0,
            vent_dead_space_fraction: 0.0,
            chemoreflex_drive_lpm: 0.0,
            alveolar_ventilation_effective_lpm: 0.0,
        }
    }
}

pub use crate::event::Event;
pub use crate::patient::PatientParam;

/// Why a configuration, an event or a sensor fault was refused: the twin's one refusal type.
#[derive(Clone, Debug, PartialEq)]
pub struct ConfigError {
    /// The field, e.g. `patient.heart_rate_bpm`, or the sensor channel a fault was meant for.
    pub field: &'static str,
    pub message: String,
}

impl core::fmt::Display for ConfigError {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        write!(f, "{}: {}", self.field, self.message)
    }
}

impl std::error::Error for ConfigError {}

impl ConfigError {
    /// `value` of `field` lies outside `lo..=hi` (in `unit`).
    pub fn out_of_range(field: &'static str, value: f64, lo: f64, hi: f64, unit: &str) -> Self {
        ConfigError {
            field,
            message: format!("{value} is outside the allowed range {lo}..={hi} {unit}"),
        }
    }
}

/// A range check that names the field and the allowed range.
pub(crate) fn check(
    field: &'static str,
    value: f64,
    lo: f64,
    hi: f64,
    unit: &str,
) -> Result<(), ConfigError> {
    if value.is_finite() && value >= lo && value <= hi {
        Ok(())
    } else {
        Err(ConfigError::out_of_range(field, value, lo, hi, unit))
    }
}

impl PatientParams {
    /// What shapes this patient's ventricles.
    pub fn ventricles(&self) -> crate::heart::VentricleParams {
        crate::heart::VentricleParams {
            weight_kg: self.weight_kg,
            lv_emax: self.lv_emax_mmhg_ml,
            rv_emax: self.rv_emax_mmhg_ml,
            lv_dilation_ml: self.lv_dilation_ml,
            lv_stiffness: self.lv_stiffness,
        }
    }

    /// Check every field against its allowed range ([`crate::PATIENT_FIELDS`]); the blood
    /// volume against 35–120 mL per kg of weight instead, which keeps it within its range too.
    pub fn validate(&self) -> Result<(), ConfigError> {
        for f in crate::patient::PATIENT_FIELDS {
            if f.name == "blood_volume_ml" {
                let bv_per_kg = self.blood_volume_ml / self.weight_kg;
                check(f.path, bv_per_kg, 35.0, 120.0, "mL per kg of weight")?;
            } else {
                let unit = if f.unit == "1" { "" } else { f.unit };
                check(f.path, (f.get)(self), f.min, f.max, unit)?;
            }
        }
        Ok(())
    }
}

impl CircuitConfig {
    /// Check roles and sizes against the ranges the component models are fitted for
    /// (circuit.md: drainage up to 29 Fr, return up to 23 Fr; both from 8 Fr with the
    /// paediatric data of `cannula.rs`) and the tubing against a sane range.
    pub fn validate(&self) -> Result<(), ConfigError> {
        use crate::cannula::CannulaRole;
        for (field, role_field, c, role) in [
            (
                "circuit.drainage.size_fr",
                "circuit.drainage.role",
                &self.drainage,
                CannulaRole::Drainage,
            ),
            (
                "circuit.return_cannula.size_fr",
                "circuit.return_cannula.role",
                &self.return_cannula,
                CannulaRole::Return,
            ),
        ] {
            if c.role != role {
                return Err(ConfigError {
                    field: role_field,
                    message: format!("must be {role:?}, is {:?}", c.role),
                });
            }
            // The ranges the pressure–flow fits hold for (circuit.md, cannula.rs).
            let (lo, hi) = Cannula::valid_range(role);
            check(field, c.size_fr, lo, hi, "Fr")?;
        }
        let (lo, hi) = crate::placement::DRAINAGE_DEPTH_CM;
        check(
            "circuit.placement.drainage_depth_cm",
            self.placement.drainage_depth_cm,
            lo,
            hi,
            "cm",
        )?;
        let (lo, hi) = crate::placement::RETURN_JET_ANGLE_DEG;
        check(
            "circuit.placement.return_jet_angle_deg",
            self.placement.return_jet_angle_deg,
            lo,
            hi,
            "°",
        )?;
        let (lo, hi) = crate::placement::RETURN_DEPTH_CM;
        check(
            "circuit.placement.return_depth_cm",
            self.placement.return_depth_cm,
            lo,
            hi,
            "cm",
        )?;
        check(
            "circuit.tubing.length_m",
            self.tubing.length_m,
            0.5,
            6.0,
            "m",
        )?;
        check(
            "circuit.tubing.inner_diameter_mm",
            self.tubing.inner_diameter_mm,
            4.0,
            13.0,
            "mm",
        )?;
        if let crate::prime::Prime::Blood { hb_g_dl: Some(h) } = self.prime {
            check("circuit.prime_hb_g_dl", h, 3.0, 22.0, "g/dL")?;
        }
        Ok(())
    }
}

impl Configuration {
    /// How a screen names the configuration.
    pub fn label(self) -> &'static str {
        match self {
            Configuration::None => "no circuit",
            Configuration::VvFemoroJugular => "VV femoro-jugular",
            Configuration::VvFemoroFemoral => "VV femoro-femoral",
            Configuration::VvDualLumen => "VV dual-lumen",
            Configuration::VaFemoral => "VA femoral",
            Configuration::VaCentral => "VA central",
            Configuration::VaAxillary => "VA axillary",
        }
    }

    /// True for veno-arterial support.
    pub fn is_va(self) -> bool {
        matches!(
            self,
            Configuration::VaFemoral | Configuration::VaCentral | Configuration::VaAxillary
        )
    }
}

/// How far a migrating drainage cannula slips in, cm.
const MIGRATION_CM: f64 = 7.5;

/// Hemodynamic steps per gas-transport step: 20 × 2 ms = 40 ms. The largest Courant number of
/// a normal beat stays below 0.5 at this step (the transport splits steps when it does not).
pub const GAS_EVERY: u64 = 20;
/// Gas steps per update of the observed blood gases (0.2 s): each needs an inverse solve.
pub const OBS_EVERY_GAS: u64 = 5;
/// Gas steps per evaluation of the oxygenator's membrane model (0.2 s).
pub const OXY_EVERY_GAS: u64 = 5;
/// Time constant of the smoothing of reported rates (VO2, lung and oxygenator transfer), s.
pub const RATE_TAU_S: f64 = 3.0;
/// Hemodynamic steps per slow step (1 s): hemolysis, heparin, thrombus, battery, temperature.
pub const SLOW_EVERY: u64 = 500;

/// Regional shares of whole-body O2 consumption: brain ~20 % and arms/upper trunk ~8 % (upper
/// body), heart ~10 %, the rest splanchnic, renal and lower limbs (Guyton & Hall ch. 74; Wade
/// & Bishop) \[M\].
const VO2_SHARES: [(usize, f64); 3] = [(cv::UBT, 0.28), (cv::COR, 0.10), (cv::LBT, 0.62)];
/// Tissue O2 consumption falls linearly to zero as the tissue's venous O2 content falls from
/// 2.5 to 0.5 mL/dL (supply-dependent VO2 below a critical delivery; the figures put the knee near
/// a venous saturation of 10–15 % at Hb 14) \[model\].
const C_O2_CRITICAL: f64 = 2.5;
const C_O2_FLOOR: f64 = 0.5;
/// Q10 of metabolism: about 2, i.e. ~7 % per °C: metabolic rate falls 5–8 % per °C of
/// hypothermia (Polderman 2009, Crit Care Med 37:S186 \[M\]).
const Q10: f64 = 2.0;
/// Lactate (issue 15: oxygen debt has consequences). Normal arterial lactate about 1 mmol/L
/// (0.5–1.5; Kraut & Madias 2014, N Engl J Med 371:2309 \[M\]).
const LACTATE_NORMAL_MMOL_L: f64 = 1.0;
/// Lactate clearance, mL/kg/min: 10.9 in haemodynamically stable septic patients with normal
/// lactate, by exogenous lactate infusion (Levraut 1998, Am J Respir Crit Care Med 157:1021
/// \[M\]). Basal production is set to balance it at the normal level (0.65 mmol/kg/h, of the
/// order of the 0.8 mmol/kg/h of resting adults \[M\]).
const LACTATE_CLEARANCE_ML_KG_MIN: f64 = 10.9;
/// Lactate's volume of distribution, mL/kg: about half the body weight (total body water less
/// part of the intracellular space \[M\]).
const LACTATE_VD_ML_KG: f64 = 500.0;
/// Lactate made per mL of O2 the tissues wanted and could not get, mmol: the ATP not made
/// aerobically (P/O 2.5, about 5 ATP per O2, 22.4 mL per mmol O2) made by anaerobic glycolysis
/// instead (one ATP per lactate) \[M, textbook stoichiometry\]; an upper bound, since
/// hypoxic tissue also lowers its ATP demand.
const LACTATE_PER_ML_O2_DEFICIT: f64 = 5.0 / 22.4;
/// Heat: 20.1 J per mL O2 consumed at RQ 0.8 \[M\]; body 3470 J/kg/K \[M\]; blood 3.6 J/mL/K \[M\];
/// ambient 24 °C \[assumption\]; the oxygenator heat exchanger's performance factor falls with
/// blood flow from 0.5 at 5 L/min (`crate::heat::exchanger_factor`).
const J_PER_ML_O2: f64 = 20.1;
const C_BODY_J_KG_K: f64 = 3470.0;
const C_BLOOD_J_ML_K: f64 = 3.6;
const T_AMBIENT_C: f64 = 24.0;
fn hct(hb_g_dl: f64) -> f64 {
    crate::cannula::hct_from_hb(hb_g_dl)
}

/// Running sums that close the O2 and CO2 balances (all in mL STPD since construction).
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct Balance {
    /// O2 taken up by the blood in the native lungs.
    pub lung_o2: f64,
    /// CO2 given off by the blood in the native lungs.
    pub lung_co2: f64,
    /// O2 added to the blood by the oxygenator.
    pub oxy_o2: f64,
    /// CO2 removed from the blood by the oxygenator.
    pub oxy_co2: f64,
    /// O2 consumed by the tissues.
    pub consumed_o2: f64,
    /// CO2 produced by the tissues.
    pub produced_co2: f64,
    /// CO2 the tissue stores took up from the blood, net (negative: they gave it back)
    /// ([`crate::tissue`]).
    pub tissue_stored_co2: f64,
    /// O2 and CO2 added by transfusion (positive) or lost with bleeding (negative).
    pub external_o2: f64,
    pub external_co2: f64,
    /// Blood added (positive) or lost (negative), mL.
    pub external_volume_ml: f64,
}

/// What the blood holds in total (patient and circuit).
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Totals {
    pub o2_ml: f64,
    pub co2_ml: f64,
    pub volume_ml: f64,
}

/// (EDV − ESV)/EDV, 0 for an empty ventricle.
fn ejection_fraction(edv: f64, esv: f64) -> f64 {
    if edv > 1.0 {
        ((edv - esv) / edv).clamp(0.0, 1.0)
    } else {
        0.0
    }
}

/// Patient and circuit stepped together. A few kilobytes, no heap: cheap to clone, and
/// `Clone` gives an exact fork of a running twin.
#[derive(Clone, Debug)]
pub struct Twin {
    steps: u64,
    params: PatientParams,
    configuration: Configuration,
    coating: Coating,
    with_circuit: bool,
    /// Where the circuit meets the patient (None without a circuit).
    sites: Option<Sites>,
    /// The placement the twin was built with and the one in use (a migration moves it).
    placement: Placement,
    placed_depth_cm: f64,
    drain_site: usize,
    return_site: usize,
    circ: cv::Circulation,
    /// The mechanical ventilator's steady breath, when one is connected
    /// ([`Twin::set_ventilator`]); None: the patient's own ventilation and FiO2 parameters.
    ventilator: Option<crate::ventilator::Breath>,
    /// The ventilator's settings: those in use while connected, kept for the next connection
    /// while not (the ventilator events change them).
    vent_settings: crate::ventilator::Settings,
    hyd: circuit::Hydraulics,
    gases: transport::Gases,
    lungs: lungs::Lungs,
    tissue_co2: crate::tissue::TissueCo2,
    temp_c: f64,
    circuit_temp_c: f64,
    /// Blood viscosity in the circuit, mPa·s (updated with temperature each slow step).
    viscosity: f64,
    sweep_lpm: f64,
    fdo2: f64,
    heater_c: f64,
    air_rate_ml_min: f64,
    air_to_patient_ml: f64,
    /// Oxygenator: O2 added and CO2 removed per dL of blood passing, mL/dL (last evaluation).
    oxy_delta: (f64, f64),
    oxy_failure: f64,
    bleeding_ml_min: f64,
    hemolysis: HemolysisModel,
    pfhb: PlasmaFreeHb,
    heparin: Heparin,
    thrombus: Thrombus,
    balance: Balance,
    /// The arterial baroreflex, and what is in effect: heart rate, systemic resistance and the
    /// shift of the venous unstressed volume it asks for (the patient's own values when
    /// `baroreflex_gain` is 0).
    reflex: crate::reflex::Baroreflex,
    /// The cardiopulmonary reflex; it adds to the baroreflex in `apply_effectors`.
    cpreflex: crate::cpreflex::CardiopulmonaryReflex,
    hr_bpm: f64,
    svr_eff: f64,
    unstressed_shift_ml: f64,
    fluids: crate::fluids::Fluids,
    /// Drugs given ([`crate::drugs`]) and what they do now.
    drugs: crate::drugs::Drugs,
    drug_fx: crate::drugs::DrugEffects,
    /// The temperature the patient's `vo2_ml_kg_min` is at, °C: their starting one, or their
    /// set point when VO2 was last set. A patient whose temperature is then set lower (targeted
    /// temperature management) consumes less, by [`Q10`].
    vo2_ref_temp_c: f64,
    /// Arterial (whole-body) lactate, mmol/L, and the O2 deficit (demand not met) since the
    /// last slow step, mL.
    lactate_mmol_l: f64,
    o2_deficit_ml: f64,
    /// Cardiac arrest, compressions and defibrillation ([`crate::cpr`]).
    cpr: crate::cpr::Cpr,
    /// The circuit's prime not yet mixed with the patient's blood ([`crate::prime`]).
    prime: Option<crate::prime::Wash>,
    obs: Observation,
    guesses: [Option<GasState>; 10],
    // Beat averages and the pressure–volume loop.
    beat_sum: [f64; 8],
    beat_log: crate::heart::BeatLog,
    beat_n: u32,
    // Gas-interval and observation-interval sums.
    venous_vol: [f64; 3],
    flow_sum_ml: f64,
    slow_flow_ml: f64,
    /// Σ suction weight·|q|·dt since the last slow step, mL (hemolysis::suction_weight).
    suction_sum_ml: f64,
    /// Spontaneous breathing and the injured lung on a ventilator (twin/breathing.rs).
    breathing: breathing::Breathing,
}

/// The watershed from the recirculation tracer, which marks circuit blood until it passes a
/// capillary bed: in VA it is exactly the share of circuit blood in each aortic segment.
/// Returns (watershed position cm, circuit share at the aortic root, circuit share in the
/// carotids). Positions scale with body length, taken as ∝ weight^⅓ from the 75 kg reference.
fn watershed(g: &transport::Gases, weight_kg: f64) -> (f64, f64, f64) {
    let scale = (weight_kg / cv::REFERENCE_WEIGHT_KG).cbrt();
    let f = |i: usize| g.returned_fraction(i);
    let mut ws = cv::AORTA[cv::AORTA.len() - 1].1;
    let (first, x0) = cv::AORTA[0];
    if f(first) >= 0.5 {
        ws = x0;
    } else {
        for w in cv::AORTA.windows(2) {
            let ((a, xa), (b, xb)) = (w[0], w[1]);
            let (fa, fb) = (f(a), f(b));
            if fb >= 0.5 {
                ws = xa + (xb - xa) * (0.5 - fa) / (fb - fa).max(1e-9);
                break;
            }
        }
    }
    let cerebral = 0.5 * (f(cv::RCA) + f(cv::LCA));
    (ws * scale, f(cv::AR), cerebral)
}

mod breathing;

/// Observed-gas slots in `Twin::guesses`.
const G_UPPER: usize = 0;
const G_LOWER: usize = 1;
const G_PA: usize = 2;
const G_PRE: usize = 3;
const G_POST: usize = 4;
const G_VEN: usize = 5;
const G_LEFT: usize = 6;
const G_CEREBRAL: usize = 7;
const G_SVC: usize = 8;
const G_IVC: usize = 9;

impl Twin {
    /// Fixed step of the fast (hemodynamic) subsystem, s.
    pub const DT_S: f64 = 0.002;

    pub fn new(config: &TwinConfig) -> Result<Self, ConfigError> {
        let p = &config.patient;
        p.validate()?;
        let cc = &config.circuit;
        let sites = crate::placement::resolve(
            cc.configuration,
            &cc.placement,
            p.weight_kg,
            cc.return_cannula.size_fr,
        );
        if sites.is_some() {
            cc.validate()?;
        }
        let mut circ = cv::Circulation::new(
            &p.ventricles(),
            p.blood_volume_ml,
            p.svr_mmhg_s_ml,
            p.pvr_mmhg_s_ml,
            p.heart_rate_bpm,
        );
        let (drain_site, return_site) =
            sites.map_or((cv::IVCI, cv::SVC), |s| (s.main_drain(), s.ret));
        let with_circuit = sites.is_some();
        let mut hyd = circuit::Hydraulics::new(
            cc.drainage,
            cc.return_cannula,
            cc.tubing,
            cc.pump,
            cc.oxygenator,
        );
        if cc.configuration == Configuration::VvDualLumen {
            hyd.dual_lumen = Some(crate::cannula::DualLumenCannula::bicaval_27fr());
        }
        if with_circuit {
            if let Some(s) = &sites {
                circ.set_cannula_sites(&s.drain, s.ret);
            }
            let seg = circuit::segment_volumes(
                &cc.drainage,
                &cc.return_cannula,
                &cc.tubing,
                &cc.pump,
                &cc.oxygenator,
            );
            circ.v[cv::CDR..cv::N].copy_from_slice(&seg);
        }
        let prime = if with_circuit {
            let circuit_ml = circ.v[cv::CDR..cv::N].iter().sum();
            crate::prime::Wash::new(cc.prime, circuit_ml, p.blood_volume_ml, p.hb_g_dl)
        } else {
            None
        };
        // Initial gases: an estimate of the steady state (alveolar gas equation, Fick), which
        // the dynamics then refine within minutes.
        let chem = Chemistry {
            hb_g_dl: p.hb_g_dl,
            base_excess_meq_l: p.base_excess_meq_l,
            temp_c: p.temp_c,
        };
        let vo2 = p.vo2_ml_kg_min * p.weight_kg;
        let vco2 = vo2 * p.rq;
        let co_lpm = 5.3 * p.weight_kg / cv::REFERENCE_WEIGHT_KG;
        // Below a twelfth of normal ventilation (0.5 L/min in the adult, scaled with size so
        // that a neonate's normal 0.4 L/min is not taken for apnoea) the start is apnoeic.
        let paco2 = if p.alveolar_ventilation_lpm > 0.5 * p.weight_kg / cv::REFERENCE_WEIGHT_KG {
            (0.863 * vco2 / p.alveolar_ventilation_lpm).min(150.0)
        } else {
            150.0
        };
        let pao2 = lungs::Lungs::alveolar_po2(p.fio2, paco2, p.rq).max(20.0);
        let (cap, _) = blood::from_partial_pressures(pao2, paco2, &chem);
        let s = p.shunt_fraction.min(0.9);
        let d_o2 = vo2 / (co_lpm * 10.0);
        let d_co2 = vco2 / (co_lpm * 10.0);
        let ca_o2 = (cap.o2_ml_dl - s * d_o2 / (1.0 - s)).max(d_o2 + 2.0);
        let cv_o2 = ca_o2 - d_o2;
        let ca_co2 = cap.co2_ml_dl + s * d_co2 / (1.0 - s);
        let cv_co2 = ca_co2 + d_co2;
        let mut o2 = [cv_o2; cv::N];
        let mut co2 = [cv_co2; cv::N];
        for i in [
            cv::PV,
            cv::LA,
            cv::LV,
            cv::AR,
            cv::ARC1,
            cv::ARC2,
            cv::ARC3,
            cv::DTA1,
            cv::DTA2,
            cv::ABA,
            cv::ILF,
            cv::RSA,
            cv::RCA,
            cv::LCA,
            cv::LSA,
        ] {
            o2[i] = ca_o2;
            co2[i] = ca_co2;
        }
        o2[cv::PCAP] = cap.o2_ml_dl;
        co2[cv::PCAP] = cap.co2_ml_dl;
        let gases = transport::Gases::new(&circ.v, &o2, &co2, p.shunt_fraction, (cv_o2, cv_co2));
        let lungs = lungs::Lungs::new(p.weight_kg, pao2, paco2);
        let heparin = Heparin::new(p.weight_kg);
        let n_blood = if with_circuit { cv::N } else { cv::NP };
        let blood_ml: f64 = circ.v[..n_blood].iter().sum();
        let fluids = crate::fluids::Fluids::new(p.weight_kg, blood_ml, p.hb_g_dl);
        let obs = Observation {
            circuit_temp_c: p.temp_c,
            heart_rate_bpm: p.heart_rate_bpm,
            hb_g_dl: p.hb_g_dl,
            patient_temp_c: p.temp_c,
            vo2_ml_min: vo2,
            vco2_ml_min: vco2,
            blood_volume_ml: p.blood_volume_ml,
            lung_o2_ml_min: vo2,
            lung_co2_ml_min: vco2,
            p_alv_o2_mmhg: pao2,
            p_alv_co2_mmhg: paco2,
            svr_mmhg_s_ml: p.svr_mmhg_s_ml,
            interstitial_fluid_ml: fluids.interstitial_ml(),
            ..Observation::default()
        };
        let mut twin = Twin {
            steps: 0,
            params: p.clone(),
            configuration: cc.configuration,
            coating: cc.coating,
            with_circuit,
            sites,
            placement: cc.placement,
            ventilator: None,
            vent_settings: crate::ventilator::Settings::initial(p.weight_kg, p.fio2),
            placed_depth_cm: cc.placement.drainage_depth_cm,
            drain_site,
            return_site,
            circ,
            hemolysis: HemolysisModel::for_pump(&cc.pump),
            hyd,
            gases,
            lungs,
            tissue_co2: crate::tissue::TissueCo2::new(p.weight_kg, 46.0, cv_co2, 0.45),
            temp_c: p.temp_c,
            circuit_temp_c: p.temp_c,
            viscosity: crate::cannula::blood_viscosity_mpa_s(hct(p.hb_g_dl), p.temp_c),
            sweep_lpm: 0.0,
            fdo2: 0.21,
            heater_c: 0.0,
            air_rate_ml_min: 0.0,
            air_to_patient_ml: 0.0,
            oxy_delta: (0.0, 0.0),
            oxy_failure: 0.0,
            bleeding_ml_min: 0.0,
            // Starts without free haemoglobin and with full haptoglobin (hemolysis.rs).
            pfhb: PlasmaFreeHb::new(),
            heparin,
            thrombus: Thrombus::default(),
            balance: Balance::default(),
            reflex: crate::reflex::Baroreflex::new(0.0),
            cpreflex: crate::cpreflex::CardiopulmonaryReflex::new(0.0),
            hr_bpm: p.heart_rate_bpm,
            svr_eff: p.svr_mmhg_s_ml,
            unstressed_shift_ml: 0.0,
            fluids,
            drugs: crate::drugs::Drugs::new(p.weight_kg),
            vo2_ref_temp_c: p.temp_c,
            lactate_mmol_l: LACTATE_NORMAL_MMOL_L,
            o2_deficit_ml: 0.0,
            drug_fx: crate::drugs::DrugEffects::NONE,
            cpr: crate::cpr::Cpr::new(config.seed),
            prime,
            obs,
            guesses: [None; 10],
            beat_sum: [0.0; 8],
            beat_log: crate::heart::BeatLog::default(),
            beat_n: 0,
            venous_vol: [0.0; 3],
            flow_sum_ml: 0.0,
            slow_flow_ml: 0.0,
            suction_sum_ml: 0.0,
            breathing: breathing::Breathing::default(),
        };
        twin.circ.pressures();
        let p_carotid = 0.5 * (twin.circ.p[cv::RCA] + twin.circ.p[cv::LCA]);
        twin.reflex = crate::reflex::Baroreflex::new(p_carotid);
        twin.cpreflex = crate::cpreflex::CardiopulmonaryReflex::new(twin.circ.p[cv::RA]);
        twin.obs.p_carotid_mmhg = p_carotid;
        twin.observe_gases();
        // The tissue stores start at equilibrium with the venous blood just solved.
        if let Some(ven) = twin.guesses[G_VEN] {
            twin.tissue_co2.pco2_mmhg = ven.pco2_mmhg;
        }
        Ok(twin)
    }

    fn chem(&self) -> Chemistry {
        Chemistry {
            hb_g_dl: self.params.hb_g_dl,
            base_excess_meq_l: self.base_excess(),
            temp_c: self.temp_c,
        }
    }

    /// Advance one fixed step.
    pub fn step(&mut self, act: &Actuation) {
        let dt = Self::DT_S;
        self.sweep_lpm = if act.sweep_lpm.is_finite() {
            act.sweep_lpm.clamp(0.0, 15.0)
        } else {
            0.0
        };
        self.fdo2 = if act.fdo2.is_finite() {
            act.fdo2.clamp(0.21, 1.0)
        } else {
            0.21
        };
        self.heater_c = if act.heater_c.is_finite() {
            act.heater_c.clamp(0.0, 42.0)
        } else {
            0.0
        };
        let clamp = if act.return_clamp.is_finite() {
            act.return_clamp.clamp(0.0, 1.0)
        } else {
            1.0
        };
        let circ = &mut self.circ;
        circ.pressures();
        circ.flows(dt);
        if self.with_circuit {
            self.hyd.motor(dt, act.pump_rpm);
            let (p_drain, drain_fill, drain_avail_ml) = circ.drainage_ends();
            let ends = circuit::Ends {
                p_drain,
                drain_fill,
                drain_avail_ml,
                p_return: circ.p[self.return_site],
                v_return: circ.v[self.return_site],
            };
            let q = self.hyd.flow(
                dt,
                &ends,
                self.thrombus.oxygenator_fraction,
                self.viscosity,
                clamp,
            );
            circ.set_circuit_flow(q);
            self.flow_sum_ml += q * dt;
            if self.hyd.p_drainage < crate::hemolysis::SUCTION_THRESHOLD_MMHG {
                self.suction_sum_ml +=
                    crate::hemolysis::suction_weight(self.hyd.p_drainage) * q.abs() * dt;
            }
        }
        circ.integrate(dt, self.with_circuit);
        self.beat_sum[0] += circ.p[cv::RSA];
        self.beat_sum[1] += circ.p[cv::RA];
        self.beat_sum[2] += circ.p[cv::LA];
        self.beat_sum[3] += circ.p[cv::PA];
        self.beat_sum[4] += circ.q[cv::E_AV] * dt;
        self.beat_sum[5] += circ.q[cv::E_ARC3_DTA1] * dt;
        self.beat_sum[6] += circ.p[cv::PV];
        self.beat_sum[7] += circ.p[cv::RCA] + circ.p[cv::LCA];
        self.beat_n += 1;
        self.beat_log.sample(
            circ.v[cv::LV],
            circ.p[cv::LV],
            circ.v[cv::RV],
            circ.p[cv::RSA],
            circ.q[cv::E_AV] * dt,
        );
        let period = circ.beat.period_s;
        if circ.beat.advance(dt, self.hr_bpm) {
            let n = self.beat_n as f64;
            self.obs.map_mmhg = self.beat_sum[0] / n;
            self.obs.cvp_mmhg = self.beat_sum[1] / n;
            self.obs.p_la_mmhg = self.beat_sum[2] / n;
            self.obs.p_pa_mean_mmhg = self.beat_sum[3] / n;
            self.obs.stroke_volume_ml = self.beat_sum[4];
            self.obs.cardiac_output_lpm = self.beat_sum[4] * 0.06 / period;
            self.obs.arch_to_descending_lpm = self.beat_sum[5] * 0.06 / period;
            self.obs.pcwp_mmhg = self.beat_sum[6] / n;
            self.obs.p_carotid_mmhg = 0.5 * self.beat_sum[7] / n;
            let s = crate::heart::chamber_scale(self.params.weight_kg);
            let b = self.beat_log.finish(crate::heart::AV_OPEN_MIN_ML * s);
            let o = &mut self.obs;
            o.lv_edv_ml = b.lv_edv_ml;
            o.lv_esv_ml = b.lv_esv_ml;
            o.rv_edv_ml = b.rv_edv_ml;
            o.rv_esv_ml = b.rv_esv_ml;
            o.lv_ef = ejection_fraction(b.lv_edv_ml, b.lv_esv_ml);
            o.rv_ef = ejection_fraction(b.rv_edv_ml, b.rv_esv_ml);
            o.lvedp_mmhg = b.lvedp_mmhg;
            o.lv_peak_mmhg = b.lv_peak_mmhg;
            o.lv_stroke_work_mmhg_ml = b.lv_stroke_work_mmhg_ml;
            o.p_art_sys_mmhg = b.p_art_sys_mmhg;
            o.p_art_dia_mmhg = b.p_art_dia_mmhg;
            o.aortic_valve_open_fraction = b.aortic_valve_open_fraction;
            self.beat_sum = [0.0; 8];
            self.beat_n = 0;
        }
        let (ea, ev) = circ.beat.activation();
        circ.act = (
            self.cpr.atrial_activation(ea),
            self.cpr.ventricular_activation(ev),
        );
        (circ.p_chest_mmhg, circ.p_heart_mmhg) =
            self.cpr
                .step(dt, circ.p[cv::AR], circ.p[cv::RA], circ.q[cv::E_RET] * 0.06);
        self.steps += 1;
        if self.steps.is_multiple_of(GAS_EVERY) {
            self.gas_step();
        }
        if self.steps.is_multiple_of(SLOW_EVERY) {
            self.slow_step();
        }
    }

    /// Transport, lungs, metabolism and oxygenator over the last `GAS_EVERY` steps.
    fn gas_step(&mut self) {
        let dtg = GAS_EVERY as f64 * Self::DT_S;
        let own_va = self.spontaneous_va_lpm();
        let chem = self.chem();
        let circ_flow_ml = self.circ.acc[cv::E_C2];
        self.venous_vol[0] += self.circ.acc[cv::E_UBT_SVC];
        self.venous_vol[1] += self.circ.acc[cv::E_LBT_IVCI];
        self.venous_vol[2] += self.circ.acc[cv::E_COR_RA];
        // Air enters the drainage line before transport carries it on.
        if self.with_circuit && self.air_rate_ml_min > 0.0 {
            self.gases.air[cv::CDR] += self.air_rate_ml_min / 60.0 * dtg;
        }
        // The baroreflex senses the last beat's carotid pressure.
        self.reflex.step(dtg, self.obs.p_carotid_mmhg);
        // The cardiopulmonary reflex senses the last beat's transmural right atrial pressure.
        self.cpreflex
            .step(dtg, self.obs.cvp_mmhg - self.circ.pleural_mmhg);
        if (self.params.baroreflex_gain > 0.0 && self.reflex.settled())
            || (self.params.cardiopulmonary_gain > 0.0 && self.cpreflex.settled())
        {
            self.apply_effectors();
        }
        let returned_ml = self.circ.acc[cv::E_RET];
        self.air_to_patient_ml += self.gases.advect(&mut self.circ, self.with_circuit);
        // The return jet mixes the caval segments around its tip (placement.rs).
        if let Some(sites) = &self.sites {
            for (a, b, x) in
                crate::placement::jet_exchanges(sites, returned_ml, self.params.weight_kg)
            {
                if x > 0.0 {
                    self.gases.exchange(a, b, x);
                }
            }
        }
        let g = &mut self.gases;
        // Continuous bleeding from the lower body's veins (the largest reservoir).
        if self.bleeding_ml_min > 0.0 {
            let want = self.bleeding_ml_min / 60.0 * dtg;
            let avail = (self.circ.v[cv::LBT] - 0.5 * self.circ.unstressed(cv::LBT)).max(0.0);
            let dv = want.min(avail);
            let f = dv / self.circ.v[cv::LBT];
            let (do2, dco2) = (g.o2[cv::LBT] * f, g.co2[cv::LBT] * f);
            g.o2[cv::LBT] -= do2;
            g.co2[cv::LBT] -= dco2;
            self.circ.v[cv::LBT] -= dv;
            g.vprev[cv::LBT] = self.circ.v[cv::LBT];
            self.balance.external_o2 -= do2;
            self.balance.external_co2 -= dco2;
            self.balance.external_volume_ml -= dv;
        }
        // Native lungs.
        let (va, fio2) = match self.ventilator {
            Some(b) => (b.alveolar_ventilation_l_min, b.fio2),
            None => (own_va, self.params.fio2),
        };
        self.lungs.ventilate(dtg, va, fio2);
        let (mut o2c, mut co2c) = (g.o2[cv::PCAP], g.co2[cv::PCAP]);
        let (up, out) = self
            .lungs
            .equilibrate(&mut o2c, &mut co2c, g.vprev[cv::PCAP], &chem);
        g.o2[cv::PCAP] = o2c;
        g.co2[cv::PCAP] = co2c;
        self.balance.lung_o2 += up;
        self.balance.lung_co2 += out;
        // Tissue metabolism.
        // VO2 is the patient's at their starting temperature; it follows the core temperature
        // when the circuit warms or cools them or their temperature is set (by Q10).
        let q10 = Q10.powf((self.temp_c - self.vo2_ref_temp_c) / 10.0);
        let vo2 = self.params.vo2_ml_kg_min * self.params.weight_kg * q10 * self.drug_fx.vo2_factor;
        let mut used_total = 0.0;
        let mut demand_total = 0.0;
        for (i, share) in VO2_SHARES {
            let demand = vo2 * share / 60.0 * dtg;
            demand_total += demand;
            let c = g.o2_content(i);
            let f = ((c - C_O2_FLOOR) / (C_O2_CRITICAL - C_O2_FLOOR)).clamp(0.0, 1.0);
            let used = (demand * f).min(0.9 * g.o2[i].max(0.0));
            g.o2[i] -= used;
            g.co2[i] += used * self.params.rq;
            used_total += used;
        }
        self.balance.consumed_o2 += used_total;
        self.o2_deficit_ml += (demand_total - used_total).max(0.0);
        self.balance.produced_co2 += used_total * self.params.rq;
        // Tissue CO2 stores exchange with the beds' venous blood.
        for (i, share) in VO2_SHARES {
            let j = self
                .tissue_co2
                .exchange(dtg, share, g.co2_content(i))
                .max(-0.5 * g.co2[i]);
            g.co2[i] += j;
            self.balance.tissue_stored_co2 -= j;
        }
        // Oxygenator. The membrane model is the costliest call in the twin (it integrates along
        // the fibre bundle), so it runs every `OXY_EVERY_GAS` gas steps and yields the change in
        // content it makes to each millilitre passing; every gas step then applies that change to
        // the blood that actually passed. A stopped pump therefore transfers nothing at once,
        // and mass stays exactly accounted.
        let (mut o2_add, mut co2_rm) = (0.0, 0.0);
        if self.with_circuit {
            let passed_ml = circ_flow_ml.abs();
            let inlet_i = if circ_flow_ml >= 0.0 {
                cv::CPU
            } else {
                cv::CRT
            };
            // (Offset by one so that the first gas step already has a membrane evaluation.)
            if (self.steps / GAS_EVERY - 1).is_multiple_of(OXY_EVERY_GAS) {
                let q_lpm = passed_ml / dtg * 0.06;
                let inlet = Contents {
                    o2_ml_dl: g.o2_content(inlet_i),
                    co2_ml_dl: g.co2_content(inlet_i),
                };
                let clot = 1.0
                    - (1.0 - self.thrombus.oxygenator_fraction.clamp(0.0, 1.0))
                        * (1.0 - self.oxy_failure);
                let ochem = Chemistry {
                    temp_c: self.circuit_temp_c,
                    ..chem
                };
                let sweep = Sweep {
                    flow_lpm: self.sweep_lpm,
                    fdo2: self.fdo2,
                };
                let tr = self
                    .hyd
                    .oxygenator
                    .transfer(q_lpm, inlet, &ochem, sweep, clot);
                let d_o2 = tr.outlet.o2_ml_dl - inlet.o2_ml_dl;
                let d_co2 = inlet.co2_ml_dl - tr.outlet.co2_ml_dl;
                if d_o2.is_finite() && d_co2.is_finite() {
                    self.oxy_delta = (d_o2, d_co2);
                }
            }
            o2_add = (self.oxy_delta.0 * passed_ml / 100.0).max(-0.9 * g.o2[cv::COX]);
            co2_rm = (self.oxy_delta.1 * passed_ml / 100.0).min(0.9 * g.co2[cv::COX]);
            g.o2[cv::COX] += o2_add;
            g.co2[cv::COX] -= co2_rm;
            self.balance.oxy_o2 += o2_add;
            self.balance.oxy_co2 += co2_rm;
        }
        // Rates are smoothed over a few beats (the pulmonary flow is pulsatile, so 40 ms
        // samples of uptake swing from zero to several times the mean).
        let a = (dtg / RATE_TAU_S).min(1.0);
        let ema = |old: f64, amount: f64| old + a * (amount / dtg * 60.0 - old);
        self.obs.vo2_ml_min = ema(self.obs.vo2_ml_min, used_total);
        self.obs.vco2_ml_min = self.obs.vo2_ml_min * self.params.rq;
        self.obs.lung_o2_ml_min = ema(self.obs.lung_o2_ml_min, up);
        self.obs.lung_co2_ml_min = ema(self.obs.lung_co2_ml_min, out);
        self.obs.oxy_o2_transfer_ml_min = ema(self.obs.oxy_o2_transfer_ml_min, o2_add);
        self.obs.oxy_co2_transfer_ml_min = ema(self.obs.oxy_co2_transfer_ml_min, co2_rm);
        self.obs.bubble =
            self.with_circuit && self.gases.air[cv::CRT] > 1e-4 * self.circ.v[cv::CRT].max(1.0);
        if (self.steps / GAS_EVERY).is_multiple_of(OBS_EVERY_GAS) {
            self.observe_gases();
        }
    }

    /// Solve the partial pressures of the sampled sites (the costly part of observation).
    fn observe_gases(&mut self) {
        let chem = self.chem();
        let g = &self.gases;
        let contents = |i: usize| Contents {
            o2_ml_dl: g.o2_content(i),
            co2_ml_dl: g.co2_content(i),
        };
        let upper = blood::solve(contents(cv::RSA), &chem, self.guesses[G_UPPER]);
        let lower = blood::solve(contents(cv::ILF), &chem, self.guesses[G_LOWER]);
        let pa = blood::solve(contents(cv::PA), &chem, self.guesses[G_PA]);
        let left = blood::solve(contents(cv::LSA), &chem, self.guesses[G_LEFT]);
        // The carotids have equal resistances, so their blood mixes half and half.
        let carotids = Contents {
            o2_ml_dl: 0.5 * (g.o2_content(cv::RCA) + g.o2_content(cv::LCA)),
            co2_ml_dl: 0.5 * (g.co2_content(cv::RCA) + g.co2_content(cv::LCA)),
        };
        let cerebral = blood::solve(carotids, &chem, self.guesses[G_CEREBRAL]);
        self.guesses[G_UPPER] = Some(upper);
        self.guesses[G_LOWER] = Some(lower);
        self.guesses[G_PA] = Some(pa);
        self.guesses[G_LEFT] = Some(left);
        self.guesses[G_CEREBRAL] = Some(cerebral);
        self.obs.art_left_radial = left;
        let svc = blood::solve(contents(cv::SVC), &chem, self.guesses[G_SVC]);
        let ivc = blood::solve(contents(cv::IVCI), &chem, self.guesses[G_IVC]);
        self.guesses[G_SVC] = Some(svc);
        self.guesses[G_IVC] = Some(ivc);
        self.obs.svc_so2 = svc.so2;
        self.obs.ivc_so2 = ivc.so2;
        self.obs.art_cerebral = cerebral;
        let (ws, coronary, cerebral_f) = watershed(g, self.params.weight_kg);
        self.obs.watershed_cm = ws;
        self.obs.coronary_circuit_fraction = coronary;
        self.obs.cerebral_circuit_fraction = cerebral_f;
        // Venous return from the body, flow-weighted.
        let vsum: f64 = self.venous_vol.iter().sum();
        let ven = if vsum > 1e-9 {
            let idx = [cv::UBT, cv::LBT, cv::COR];
            let mut o = 0.0;
            let mut c = 0.0;
            for (&i, &vol) in idx.iter().zip(self.venous_vol.iter()) {
                let w = vol / vsum;
                o += w * g.o2_content(i);
                c += w * g.co2_content(i);
            }
            Contents {
                o2_ml_dl: o,
                co2_ml_dl: c,
            }
        } else {
            contents(cv::RA)
        };
        self.venous_vol = [0.0; 3];
        let ven_contents = ven;
        let ven = blood::solve(ven, &chem, self.guesses[G_VEN]);
        self.guesses[G_VEN] = Some(ven);
        self.tissue_co2.set_reference(
            ven.pco2_mmhg,
            ven_contents.co2_ml_dl,
            blood::slopes(&ven, &chem).1,
        );
        self.obs.art_upper = upper;
        self.obs.art_lower = lower;
        self.obs.svo2 = pa.so2;
        self.obs.venous_return_so2 = ven.so2;
        self.obs.p_alv_o2_mmhg = self.lungs.pao2();
        self.obs.p_alv_co2_mmhg = self.lungs.paco2();
        if self.with_circuit {
            let cchem = Chemistry {
                temp_c: self.circuit_temp_c,
                ..chem
            };
            let pre = blood::solve(contents(cv::CPU), &cchem, self.guesses[G_PRE]);
            let post = blood::solve(contents(cv::COX), &cchem, self.guesses[G_POST]);
            self.guesses[G_PRE] = Some(pre);
            self.guesses[G_POST] = Some(post);
            self.obs.pre_oxy = pre;
            self.obs.post_oxy = post;
            // Abrams 2015: R = (SpreO2 − SvO2) / (SpostO2 − SvO2), from true values.
            let den = post.so2 - ven.so2;
            // In VA the formula's premise (returned blood re-entering the drainage) does not
            // hold: arterial return cannot reach a venous cannula except through the tissues.
            self.obs.recirculation_fraction = if den > 0.01 && !self.configuration.is_va() {
                ((pre.so2 - ven.so2) / den).clamp(0.0, 1.0)
            } else {
                0.0
            };
            self.obs.recirculation_traced = self.gases.returned_fraction(cv::CDR);
        }
    }

    /// Hemolysis, anticoagulation, thrombus, battery and temperature, once a second.
    fn slow_step(&mut self) {
        let dt = SLOW_EVERY as f64 * Self::DT_S;
        self.breathing_step(dt);
        self.fluid_step(dt);
        self.lactate_step(dt);
        if self.drugs.step(dt) {
            self.drug_fx = self.drugs.effects();
            self.apply_effectors();
        }
        let q_lpm = self.slow_flow_lpm(dt);
        if self.prime.is_some() {
            self.prime_step(q_lpm.abs() * 1000.0 / 60.0 * dt);
        }
        let plasma_ml = self.circ.patient_volume() * (1.0 - hct(self.params.hb_g_dl));
        let hb = self.params.hb_g_dl;
        let release = if self.with_circuit {
            self.hemolysis
                .release_mg_per_s(self.hyd.rpm, q_lpm.abs(), hb)
                * crate::hemolysis::pump_thrombus_factor(self.thrombus.pump_fraction)
                + crate::hemolysis::suction_release_from_integral(self.suction_sum_ml, dt, hb)
                + crate::hemolysis::oxygenator_release_mg_per_s(
                    q_lpm.abs(),
                    hb,
                    self.thrombus.oxygenator_fraction,
                )
        } else {
            0.0
        };
        self.suction_sum_ml = 0.0;
        self.pfhb.step(dt, release, plasma_ml);
        self.heparin.step(dt);
        if self.with_circuit {
            self.hyd.power_step(dt);
            let drivers = ClotDrivers {
                anti_xa_iu_ml: self.anticoagulation_anti_xa(),
                circuit_flow_lpm: q_lpm.abs(),
                coating: self.coating,
                oxygenator_device: self.hyd.oxygenator.clot_device_factor(),
            };
            self.thrombus.step(dt, &drivers);
        }
        // Temperature: metabolic heat, losses to the room (set so that the patient's own
        // temperature is where thermoregulation holds it without a circuit), and the circuit's
        // heat exchanger.
        let mass = self.params.weight_kg;
        // (Metabolic heat at the thermoregulatory set point, which Q10 lowers when the patient's
        // temperature is set below the starting one.)
        let h_nominal = self.params.vo2_ml_kg_min
            * mass
            * J_PER_ML_O2
            * Q10.powf((self.params.temp_c - self.vo2_ref_temp_c) / 10.0)
            / 60.0;
        let h_met = self.obs.vo2_ml_min * J_PER_ML_O2 / 60.0;
        let k_loss = h_nominal / (self.params.temp_c - T_AMBIENT_C).max(1.0);
        let mut heat = h_met - k_loss * (self.temp_c - T_AMBIENT_C);
        if self.with_circuit {
            // The circuit loses heat to the room and to the sweep gas before the blood reaches
            // the oxygenator's heat exchanger (crate::heat).
            // The blood held in the circuit relaxes toward that outlet temperature with the
            // circuit volume's time constant (heat::circuit_blood_step_c); with no flow it
            // drifts toward the heater's water, or the room with the heater off.
            let t_in = self.temp_c;
            let q_abs = q_lpm.abs();
            let target = if q_abs > 1e-6 {
                let loss = crate::heat::circuit_loss_w(t_in, T_AMBIENT_C, self.sweep_lpm);
                let t_cooled =
                    crate::heat::blood_after_loss_c(t_in, T_AMBIENT_C, loss, q_abs, C_BLOOD_J_ML_K);
                if self.heater_c > 0.0 {
                    t_cooled + crate::heat::exchanger_factor(q_abs) * (self.heater_c - t_cooled)
                } else {
                    t_cooled
                }
            } else if self.heater_c > 0.0 {
                self.heater_c
            } else {
                T_AMBIENT_C
            };
            let volume = self.hyd.tubing.volume_ml()
                + self.hyd.pump.priming_ml
                + self.hyd.oxygenator.priming_ml;
            self.circuit_temp_c = crate::heat::circuit_blood_step_c(
                self.circuit_temp_c,
                target,
                volume,
                q_abs,
                C_BLOOD_J_ML_K,
                dt,
            );
            heat += q_abs * 1000.0 / 60.0 * C_BLOOD_J_ML_K * (self.circuit_temp_c - t_in);
        } else {
            self.circuit_temp_c = self.temp_c;
        }
        self.temp_c += heat * dt / (mass * C_BODY_J_KG_K);
        self.temp_c = self.temp_c.clamp(20.0, 45.0);
        self.viscosity =
            crate::cannula::blood_viscosity_mpa_s(hct(self.params.hb_g_dl), self.circuit_temp_c);
    }

    /// Mean circuit flow over the last slow step, L/min.
    fn slow_flow_lpm(&mut self, dt: f64) -> f64 {
        let q = (self.flow_sum_ml - self.slow_flow_ml) / dt * 0.06;
        self.slow_flow_ml = self.flow_sum_ml;
        q
    }

    /// Connect a mechanical ventilator with these settings to a patient with these respiratory
    /// mechanics (they become the patient's `lung_compliance_ml_cmh2o`,
    /// `chest_wall_compliance_ml_cmh2o` and `airway_resistance_cmh2o_s_l`, the settings' FiO2
    /// the patient's `fio2`; the weight is the patient's), or disconnect it (None). While
    /// connected, its alveolar ventilation and FiO2 replace the patient's parameters in the
    /// native lungs, and the rise of its mean pleural pressure acts on the chest compartments
    /// ([`crate::ventilator`]). Out of range, refused by name and nothing changes.
    pub fn set_ventilator(
        &mut self,
        vent: Option<(crate::ventilator::Settings, crate::ventilator::Mechanics)>,
    ) -> Result<(), ConfigError> {
        let Some((s, m)) = vent else {
            self.ventilator = None;
            self.circ.pleural_mmhg = 0.0;
            return Ok(());
        };
        s.check()?;
        let mut p = self.params.clone();
        p.lung_compliance_ml_cmh2o = m.c_lung;
        p.chest_wall_compliance_ml_cmh2o = m.c_chest_wall;
        p.airway_resistance_cmh2o_s_l = m.r_aw;
        p.fio2 = s.fio2;
        p.validate()?;
        self.params = p;
        self.vent_settings = s;
        self.connect_ventilator(s.mode);
        Ok(())
    }

    /// The patient's respiratory mechanics, from their parameters.
    fn mechanics(&self) -> crate::ventilator::Mechanics {
        let p = &self.params;
        crate::ventilator::Mechanics {
            c_lung: p.lung_compliance_ml_cmh2o,
            c_chest_wall: p.chest_wall_compliance_ml_cmh2o,
            r_aw: p.airway_resistance_cmh2o_s_l,
            weight_kg: p.weight_kg,
        }
    }

    /// Connect the ventilator (or change its mode) with the settings held.
    fn connect_ventilator(&mut self, mode: crate::ventilator::Mode) {
        self.vent_settings.mode = mode;
        self.ventilator = Some(crate::ventilator::breath(
            &self.vent_settings,
            &self.mechanics(),
        ));
        self.refresh_ventilator();
    }

    /// Recompute the connected ventilator's breath from its settings, the patient's FiO2 and
    /// mechanics, and put its pleural pressure on the chest. Nothing without a ventilator.
    fn refresh_ventilator(&mut self) {
        use crate::ventilator as vt;
        if self.ventilator.is_none() {
            return;
        }
        self.vent_settings.fio2 = self.params.fio2;
        let b = self.breath_now();
        self.circ.pleural_mmhg =
            (b.mean_pleural_cmh2o - vt::PLEURAL_FRC_CMH2O) * vt::MMHG_PER_CMH2O;
        self.ventilator = Some(b);
    }

    /// The ventilator's settings: those in use, or those the next connection will use.
    pub fn ventilator_settings(&self) -> crate::ventilator::Settings {
        self.vent_settings
    }

    /// The connected ventilator's steady breath (None without one).
    pub fn ventilator(&self) -> Option<crate::ventilator::Breath> {
        self.ventilator
    }

    /// Apply an event. Its value is checked against the event table ([`crate::event::EVENTS`])
    /// first: out of range, it is refused by name and nothing changes.
    pub fn apply(&mut self, event: &Event) -> Result<(), ConfigError> {
        event.check()?;
        match *event {
            Event::DrainageKink(s) => self.hyd.drain_kink = s,
            Event::ReturnKink(s) => self.hyd.return_kink = s,
            Event::AirEntrainment(r) => self.air_rate_ml_min = r,
            Event::PumpFailure(f) => self.hyd.pump_failed = f,
            Event::PowerLoss(lost) => self.hyd.mains = !lost,
            Event::OxygenatorFailure(f) => self.oxy_failure = f,
            Event::Volume(dv) => {
                // Given into or lost from the systemic venous reservoirs (upper and lower body),
                // shared by their volumes so that neither collapses alone.
                let res = [cv::UBT, cv::LBT];
                let total: f64 = res.iter().map(|&i| self.circ.v[i]).sum();
                let avail: f64 = res
                    .iter()
                    .map(|&i| self.circ.v[i] - 0.5 * self.circ.unstressed(i))
                    .sum();
                if -dv > avail {
                    return Err(ConfigError {
                        field: "event.volume",
                        message: format!(
                            "cannot remove {} mL: only {avail:.0} mL can be lost from the venous reservoirs",
                            -dv
                        ),
                    });
                }
                for i in res {
                    // Transfused or lost blood has the receiving compartment's gas contents.
                    let share = dv * self.circ.v[i] / total;
                    let g = &self.gases;
                    let f = share / g.vprev[i];
                    let (do2, dco2) = (g.o2[i] * f, g.co2[i] * f);
                    self.add_external(i, share, do2, dco2);
                }
            }
            Event::Bleeding(r) => self.bleeding_ml_min = r,
            Event::CrystalloidInfusion(r) => self.fluids.set_rate(Fluid::Crystalloid, r),
            Event::AlbuminInfusion(r) => self.fluids.set_rate(Fluid::Albumin, r),
            Event::RedCellInfusion(r) => self.fluids.set_rate(Fluid::RedCells, r),
            Event::PlasmaInfusion(r) => self.fluids.set_rate(Fluid::Plasma, r),
            Event::HeparinBolus(u) => self.heparin.bolus(u),
            Event::HeparinInfusion(u) => self.heparin.set_infusion(u),
            Event::NorepinephrineInfusion(r) => self.give(|d| d.set_rate(Drug::Norepinephrine, r)),
            Event::EpinephrineInfusion(r) => self.give(|d| d.set_rate(Drug::Epinephrine, r)),
            Event::EpinephrineBolus(x) => self.give(|d| d.bolus(Drug::Epinephrine, x)),
            Event::VasopressinInfusion(r) => self.give(|d| d.set_rate(Drug::Vasopressin, r)),
            Event::DobutamineInfusion(r) => self.give(|d| d.set_rate(Drug::Dobutamine, r)),
            Event::MilrinoneInfusion(r) => self.give(|d| d.set_rate(Drug::Milrinone, r)),
            Event::PropofolInfusion(r) => self.give(|d| d.set_rate(Drug::Propofol, r)),
            Event::PropofolBolus(x) => self.give(|d| d.bolus(Drug::Propofol, x)),
            Event::FentanylInfusion(r) => self.give(|d| d.set_rate(Drug::Fentanyl, r)),
            Event::FentanylBolus(x) => self.give(|d| d.bolus(Drug::Fentanyl, x)),
            Event::RocuroniumInfusion(r) => self.give(|d| d.set_rate(Drug::Rocuronium, r)),
            Event::RocuroniumBolus(x) => self.give(|d| d.bolus(Drug::Rocuronium, x)),
            Event::BivalirudinInfusion(r) => self.give(|d| d.set_rate(Drug::Bivalirudin, r)),
            Event::BivalirudinBolus(x) => self.give(|d| d.bolus(Drug::Bivalirudin, x)),
            Event::SetPatient(param, x) => self.set_patient(param, x)?,
            Event::OxygenatorClot(f) => self.thrombus.oxygenator_fraction = f,
            Event::PumpClot(f) => self.thrombus.pump_fraction = f,
            Event::DeAir => {
                for a in &mut self.gases.air[cv::CDR..cv::N] {
                    *a = 0.0;
                }
            }
            Event::Battery(f) => self.hyd.battery = f,
            Event::ManualDrive(rpm) => self.hyd.manual_rpm = rpm,
            Event::VentricularFibrillation(on) => {
                self.arrest(crate::cpr::Rhythm::VentricularFibrillation, on)
            }
            Event::Asystole(on) => self.arrest(crate::cpr::Rhythm::Asystole, on),
            Event::Pea(on) => self.arrest(crate::cpr::Rhythm::Pea, on),
            Event::ChestCompressions(rate) => self.cpr.rate_per_min = rate,
            Event::CompressionDepth(cm) => self.cpr.depth_cm = cm,
            Event::Defibrillation(_joules) => {
                self.cpr.defibrillate();
            }
            Event::CannulaMigration(migrated) => {
                let Some(sites) = self.sites else {
                    return Err(ConfigError {
                        field: "event.cannula_migration",
                        message: "no circuit is connected".into(),
                    });
                };
                let mut placement = self.placement;
                if migrated {
                    // The drainage cannula slips 7.5 cm further in, toward the heart.
                    if sites.drain_tip_cm.is_none_or(|y| y >= -1.5) {
                        return Err(ConfigError {
                            field: "event.cannula_migration",
                            message: "the drainage tip already sits in the right atrium".into(),
                        });
                    }
                    placement.drainage_depth_cm += MIGRATION_CM;
                } else {
                    placement.drainage_depth_cm = self.placed_depth_cm;
                }
                self.move_cannulae(placement);
            }
            Event::VentilatorVc => self.connect_ventilator(crate::ventilator::Mode::VolumeControl),
            Event::VentilatorPc => {
                self.connect_ventilator(crate::ventilator::Mode::PressureControl)
            }
            Event::VentilatorSpontaneous => {
                self.connect_ventilator(crate::ventilator::Mode::Spontaneous)
            }
            Event::VentilatorOff => self.set_ventilator(None)?,
            Event::VentilatorPeep(x) => self.vent_settings.peep_cmh2o = x,
            Event::VentilatorVt(x) => self.vent_settings.vt_ml = x,
            Event::VentilatorPinsp(x) => self.vent_settings.pinsp_cmh2o = x,
            Event::VentilatorRate(x) => self.vent_settings.rate_bpm = x,
            Event::VentilatorIe(x) => self.vent_settings.ie_e = x,
        }
        // A changed setting takes effect now if the ventilator is connected.
        self.refresh_ventilator();
        Ok(())
    }

    /// Put the cannulae at `placement` (same configuration and sizes).
    fn move_cannulae(&mut self, placement: Placement) {
        let Some(sites) = crate::placement::resolve(
            self.configuration,
            &placement,
            self.params.weight_kg,
            self.hyd.return_cannula.size_fr,
        ) else {
            return;
        };
        self.placement = placement;
        self.sites = Some(sites);
        self.drain_site = sites.main_drain();
        self.return_site = sites.ret;
        self.circ.set_cannula_sites(&sites.drain, sites.ret);
    }

    /// Start (`on`) or end an arrest rhythm; ending one restores the perfusing rhythm.
    fn arrest(&mut self, r: crate::cpr::Rhythm, on: bool) {
        if on {
            self.cpr.set_rhythm(r);
        } else if self.cpr.rhythm == r {
            self.cpr.set_rhythm(crate::cpr::Rhythm::Perfusing);
        }
    }

    /// The heart's rhythm and what compressions do now ([`crate::cpr`]).
    pub fn cpr(&self) -> &crate::cpr::Cpr {
        &self.cpr
    }

    /// The circulation's state now (volumes, pressures, flows), read-only.
    pub fn circulation(&self) -> &cv::Circulation {
        &self.circ
    }

    fn set_patient(&mut self, param: PatientParam, x: f64) -> Result<(), ConfigError> {
        let mut p = self.params.clone();
        match param {
            PatientParam::HeartRate => p.heart_rate_bpm = x,
            PatientParam::LvEmax => p.lv_emax_mmhg_ml = x,
            PatientParam::RvEmax => p.rv_emax_mmhg_ml = x,
            PatientParam::Svr => p.svr_mmhg_s_ml = x,
            PatientParam::Pvr => p.pvr_mmhg_s_ml = x,
            PatientParam::Vo2 => p.vo2_ml_kg_min = x,
            PatientParam::AlveolarVentilation => p.alveolar_ventilation_lpm = x,
            PatientParam::Fio2 => p.fio2 = x,
            PatientParam::ShuntFraction => p.shunt_fraction = x,
            PatientParam::Temperature => p.temp_c = x,
            PatientParam::BaroreflexGain => p.baroreflex_gain = x,
            PatientParam::LungCompliance => p.lung_compliance_ml_cmh2o = x,
            PatientParam::Recruitability => p.recruitability = x,
            PatientParam::ChemoreflexGain => p.chemoreflex_gain = x,
            PatientParam::CardiopulmonaryGain => p.cardiopulmonary_gain = x,
        }
        p.validate()?;
        let lung = self.lung_change_for(&p);
        self.gases
            .set_shunt((p.shunt_fraction + lung.shunt_delta).clamp(0.0, 1.0));
        if param == PatientParam::Vo2 {
            // A VO2 set now is the patient's at their present set point.
            self.vo2_ref_temp_c = p.temp_c;
        }
        if param == PatientParam::Temperature {
            // A new thermoregulatory set point and the core temperature with it (an instant
            // change, as a scenario author means it).
            self.temp_c = x;
        }
        self.params = p;
        self.apply_effectors();
        // FiO2 and lung compliance are the ventilator's too.
        self.refresh_ventilator();
        Ok(())
    }

    /// Put the patient's heart rate, contractility and resistances, changed by what the
    /// baroreflex and the cardiopulmonary reflex ask for, into the heart and vessels. With both
    /// gains 0 (or before the reflexes have taken their set points) they are the patient's own
    /// values, unchanged.
    fn apply_effectors(&mut self) {
        let p = &self.params;
        let fx = self.drug_fx;
        let gain = if self.drugs.active() {
            p.baroreflex_gain * fx.baroreflex_factor.max(0.0)
        } else {
            p.baroreflex_gain
        };
        // The cardiopulmonary reflex adds to the baroreflex: resistance factors multiply,
        // unstressed-volume shifts add ([`crate::cpreflex`]); the same drugs blunt both.
        let cp_gain = if self.drugs.active() {
            p.cardiopulmonary_gain * fx.baroreflex_factor.max(0.0)
        } else {
            p.cardiopulmonary_gain
        };
        let cp = if cp_gain > 0.0 && self.cpreflex.settled() {
            self.cpreflex.output(cp_gain, p.weight_kg)
        } else {
            crate::reflex::ReflexOutput::NONE
        };
        let (hr, lv, rv, svr, shift) = if gain > 0.0 && self.reflex.settled() {
            let o = self.reflex.output(gain, p.weight_kg);
            let period = (60.0 / p.heart_rate_bpm * o.heart_period_factor).clamp(60.0 / 220.0, 3.0);
            (
                60.0 / period,
                (p.lv_emax_mmhg_ml * o.lv_emax_factor).clamp(0.1, 6.0),
                (p.rv_emax_mmhg_ml * o.rv_emax_factor).clamp(0.1, 5.0),
                (p.svr_mmhg_s_ml * o.svr_factor * cp.svr_factor).clamp(0.2, 4.0),
                o.unstressed_ml + cp.unstressed_ml,
            )
        } else {
            (
                p.heart_rate_bpm,
                p.lv_emax_mmhg_ml,
                p.rv_emax_mmhg_ml,
                p.svr_mmhg_s_ml * cp.svr_factor,
                cp.unstressed_ml,
            )
        };
        // Drugs act on what the patient and the reflex set ([`crate::drugs`]); untouched when
        // none has been given.
        let (hr, lv, rv, svr, shift) = if self.drugs.active() {
            (
                (hr * fx.hr_factor).clamp(20.0, 220.0),
                (lv * fx.lv_emax_factor).clamp(0.05, 8.0),
                (rv * fx.rv_emax_factor).clamp(0.05, 6.0),
                (svr * fx.svr_factor).clamp(0.1, 6.0),
                shift + fx.unstressed_ml,
            )
        } else {
            (hr, lv, rv, svr, shift)
        };
        self.circ.ventricles.set_emax(p.weight_kg, lv, rv);
        self.circ.set_resistances(svr, p.pvr_mmhg_s_ml);
        if shift != self.unstressed_shift_ml {
            self.circ.shift_venous_unstressed(shift);
            self.unstressed_shift_ml = shift;
        }
        self.hr_bpm = hr;
        self.svr_eff = svr;
        self.obs.heart_rate_bpm = hr;
    }

    /// Infusions, the water's exchange with the interstitium and the kidneys, once a second
    /// ([`crate::fluids`]); nothing until a fluid is given.
    fn fluid_step(&mut self, dt: f64) {
        let n = if self.with_circuit { cv::N } else { cv::NP };
        let blood_ml: f64 = self.circ.v[..n].iter().sum();
        let hb = self.params.hb_g_dl;
        let Some(s) = self.fluids.step(dt, blood_ml, hb) else {
            return;
        };
        // Given into, and lost from, the systemic venous reservoirs, shared by their volumes.
        // Acellular fluid carries no O2; red cells carry it at the saturation of the blood they
        // join; every fluid carries (and the water leaving takes) the blood's CO2 content, as
        // buffered plasma water would (no dilutional change of PCO2).
        let res = [cv::UBT, cv::LBT];
        let total: f64 = res.iter().map(|&i| self.circ.v[i]).sum();
        for i in res {
            let w = self.circ.v[i] / total;
            let g = &self.gases;
            let (o2_ml, co2_ml) = (g.o2[i] / g.vprev[i], g.co2[i] / g.vprev[i]);
            let out = (s.water_out_ml * w).min(0.5 * self.circ.v[i]);
            let dv = (s.acellular_in_ml + s.red_cells_in_ml) * w - out;
            let do2 = o2_ml * s.red_cells_in_ml * w * crate::fluids::RED_CELL_HB_G_DL / hb;
            let dco2 = co2_ml * dv;
            self.add_external(i, dv, do2, dco2);
        }
        self.params.hb_g_dl = s.hb_g_dl.clamp(3.0, 22.0);
    }

    /// `dv_ml` of blood or fluid carrying `do2` and `dco2` mL of gas given into compartment `i`
    /// from outside the body (negative: lost from it), booked in the balance.
    fn add_external(&mut self, i: usize, dv_ml: f64, do2: f64, dco2: f64) {
        let g = &mut self.gases;
        g.o2[i] += do2;
        g.co2[i] += dco2;
        g.vprev[i] += dv_ml;
        self.circ.v[i] += dv_ml;
        self.balance.external_o2 += do2;
        self.balance.external_co2 += dco2;
        self.balance.external_volume_ml += dv_ml;
    }

    /// The circuit's prime washed out into the patient by `flow_ml` of circuit flow
    /// ([`crate::prime`]): Hb and the plasma protein change by the mixing ratio, and the O2
    /// the haemoglobin carries with the Hb (every compartment's O2 scaled by the Hb ratio, the
    /// prime's dissolved O2 neglected; counted as external O2).
    fn prime_step(&mut self, flow_ml: f64) {
        let Some(w) = self.prime.as_mut() else {
            return;
        };
        let washed = w.step(flow_ml);
        let (prime_hb, prime_protein) = (w.hb_g_dl, w.protein);
        if w.done() {
            self.prime = None;
        }
        if washed <= 0.0 {
            return;
        }
        let n = if self.with_circuit { cv::N } else { cv::NP };
        let blood_ml: f64 = self.circ.v[..n].iter().sum();
        let hb = self.params.hb_g_dl;
        let mixed = self
            .fluids
            .mix_prime(washed, prime_hb, prime_protein, blood_ml, hb)
            .clamp(3.0, 22.0);
        let r = mixed / hb;
        let g = &mut self.gases;
        for i in (0..n).chain([crate::transport::PSH]) {
            let d = g.o2[i] * (r - 1.0);
            g.o2[i] += d;
            self.balance.external_o2 += d;
        }
        self.params.hb_g_dl = mixed;
    }

    /// The anti-Xa activity the thrombus model sees: heparin's, plus, when bivalirudin is
    /// given, the heparin anti-Xa that would prolong the ACT as much as the bivalirudin does
    /// (the thrombus model is driven by the anticoagulation the ACT measures).
    fn anticoagulation_anti_xa(&self) -> f64 {
        let x = self.heparin.anti_xa_iu_ml();
        if self.drugs.active() && self.drug_fx.act_added_s > 0.0 {
            let act = crate::coagulation::act_from_anti_xa(x) + self.drug_fx.act_added_s;
            crate::coagulation::anti_xa_from_act(act)
        } else {
            x
        }
    }

    /// Change what is given, and put its effect (at once: a bolus acts from this step) into
    /// the heart and vessels.
    fn give(&mut self, f: impl FnOnce(&mut crate::drugs::Drugs)) {
        f(&mut self.drugs);
        if self.drugs.active() {
            self.drug_fx = self.drugs.effects();
            self.apply_effectors();
        }
    }

    /// Base excess in effect, mEq/L: the patient's, less the lactate above normal (each mmol
    /// of lactic acid titrates a mEq of bicarbonate).
    fn base_excess(&self) -> f64 {
        self.params.base_excess_meq_l - (self.lactate_mmol_l - LACTATE_NORMAL_MMOL_L)
    }

    /// Lactate: basal production balanced by hepatic and renal clearance at the normal level,
    /// plus anaerobic production from the O2 deficit of the last `dt` s (exact for the step).
    fn lactate_step(&mut self, dt: f64) {
        let w = self.params.weight_kg;
        let vd_l = LACTATE_VD_ML_KG * w / 1000.0;
        let cl_l_min = LACTATE_CLEARANCE_ML_KG_MIN * w / 1000.0;
        let made = LACTATE_PER_ML_O2_DEFICIT * self.o2_deficit_ml; // mmol in the step
        self.o2_deficit_ml = 0.0;
        let k = cl_l_min / vd_l / 60.0; // 1/s
        // The level the basal production and this step's rate would hold, and the exact
        // relaxation toward it over the step.
        let target = LACTATE_NORMAL_MMOL_L + made / dt * 60.0 / cl_l_min;
        let l = self.lactate_mmol_l;
        if made > 0.0 || l != LACTATE_NORMAL_MMOL_L {
            self.lactate_mmol_l = (target + (l - target) * (-k * dt).exp()).clamp(0.1, 30.0);
        }
    }

    /// The drugs given ([`crate::drugs`]): rates and concentrations.
    pub fn drugs(&self) -> &crate::drugs::Drugs {
        &self.drugs
    }

    /// The fluid state ([`crate::fluids`]): rates, interstitium, what was given.
    pub fn fluids(&self) -> &crate::fluids::Fluids {
        &self.fluids
    }

    /// The baroreflex's state.
    pub fn baroreflex(&self) -> &crate::reflex::Baroreflex {
        &self.reflex
    }

    /// The cardiopulmonary reflex's state.
    pub fn cardiopulmonary_reflex(&self) -> &crate::cpreflex::CardiopulmonaryReflex {
        &self.cpreflex
    }

    pub fn observe(&self) -> Observation {
        let mut o = self.obs;
        o.time_s = self.time_s();
        o.p_art_mmhg = self.circ.p[cv::RSA];
        o.p_pericardium_mmhg = self.circ.ventricles.p_pericardium;
        o.heart_rate_bpm = self.hr_bpm;
        o.svr_mmhg_s_ml = self.svr_eff;
        o.interstitial_fluid_ml = self.fluids.interstitial_ml();
        o.fluid_excreted_ml = self.fluids.excreted_ml();
        o.hb_g_dl = self.params.hb_g_dl;
        o.lactate_mmol_l = self.lactate_mmol_l;
        o.base_excess_meq_l = self.base_excess();
        o.rhythm = self.cpr.rhythm.code();
        o.cpp_mmhg = if self.cpr.arrested() {
            self.cpr.cpp_mmhg
        } else {
            0.0
        };
        o.pleural_mean_cmh2o = crate::ventilator::PLEURAL_FRC_CMH2O;
        if let Some(b) = self.ventilator {
            o.ventilator_on = true;
            o.vent_ppeak_cmh2o = b.ppeak_cmh2o;
            o.vent_pplat_cmh2o = b.pplat_cmh2o;
            o.vent_driving_cmh2o = b.driving_cmh2o;
            o.vent_peep_total_cmh2o = b.peep_cmh2o + b.auto_peep_cmh2o;
            o.vent_vt_ml = b.vt_ml;
            o.vent_minute_volume_lpm = b.rate_bpm * b.vt_ml / 1000.0;
            o.vent_compliance_ml_cmh2o = b.compliance_ml_cmh2o;
            o.pleural_mean_cmh2o = b.mean_pleural_cmh2o;
        }
        self.observe_breathing(&mut o);
        o.patient_temp_c = self.temp_c;
        o.blood_volume_ml = self.circ.patient_volume();
        o.stressed_volume_ml = self.circ.stressed_volume();
        o.plasma_fhb_mg_dl = self.pfhb.measured_mg_dl();
        o.anti_xa_iu_ml = self.heparin.anti_xa_iu_ml();
        o.act_s = self.heparin.act_s();
        if self.drugs.active() {
            o.act_s += self.drug_fx.act_added_s;
            for d in crate::drugs::Drug::ALL {
                o.drug_plasma[d as usize] = self.drugs.plasma(d);
            }
            o.neuromuscular_block = self.drug_fx.block;
        }
        o.air_to_patient_ml = self.air_to_patient_ml;
        o.cannula_tip_distance_cm = self.sites.and_then(|s| s.tip_distance_cm()).unwrap_or(0.0);
        if self.with_circuit {
            o.pump_speed_rpm = self.hyd.rpm;
            o.circuit_flow_lpm = self.hyd.q * 0.06;
            o.p_drainage_mmhg = self.hyd.p_drainage;
            o.p_pre_oxy_mmhg = self.hyd.p_pre_oxy;
            o.p_post_oxy_mmhg = self.hyd.p_post_oxy;
            o.delta_p_oxy_mmhg = self.hyd.dp_oxy;
            o.circuit_temp_c = self.circuit_temp_c;
            o.sweep_lpm = self.sweep_lpm;
            o.fdo2 = self.fdo2;
            o.oxy_clot_fraction = self.thrombus.oxygenator_fraction;
            o.pump_clot_fraction = self.thrombus.pump_fraction;
            o.mains_power = self.hyd.mains;
            o.heater_c = self.heater_c;
            o.drainage_occluded = self.hyd.occluded;
            o.battery_fraction = self.hyd.battery;
        } else {
            o.circuit_temp_c = self.temp_c;
        }
        o
    }

    pub fn time_s(&self) -> f64 {
        self.steps as f64 * Self::DT_S
    }

    /// The configuration the twin was built with.
    pub fn configuration(&self) -> Configuration {
        self.configuration
    }

    /// The current patient parameters (after any `SetPatient` events).
    pub fn patient(&self) -> &PatientParams {
        &self.params
    }

    /// Running sums of the O2 and CO2 balances.
    pub fn balance(&self) -> Balance {
        self.balance
    }

    /// Total O2, CO2 and blood volume in patient and circuit.
    pub fn totals(&self) -> Totals {
        let n = if self.with_circuit { cv::N } else { cv::NP };
        let (o2_ml, co2_ml) = self.gases.totals(n);
        Totals {
            o2_ml,
            co2_ml,
            volume_ml: self.circ.v[..n].iter().sum(),
        }
    }

    /// Volume (mL) and pressure (mmHg) of every compartment, named by
    /// [`crate::circulation::NAMES`]: for diagnostics and tests of where blood goes.
    pub fn compartments(&self) -> ([f64; cv::N], [f64; cv::N]) {
        (self.circ.v, self.circ.p)
    }

    /// Instantaneous flow (mL/s) of every connection (indices `crate::circulation::E_*`).
    pub fn flows(&self) -> [f64; cv::NE] {
        self.circ.q
    }

    /// O2 saturation-relevant contents (mL/dL) of compartment `i`: (O2, CO2).
    pub fn contents(&self, i: usize) -> (f64, f64) {
        if i == cv::PCAP {
            self.gases.capillary_contents()
        } else {
            (self.gases.o2_content(i), self.gases.co2_content(i))
        }
    }
}
