//! The named signals an experiment records: every numeric field of `physio::Observation`, with
//! blood-gas sub-fields flattened (`art_upper.so2` becomes `art_upper_so2`) and flags as 0/1.
//!
//! These are the twin's true values, before any sensor model.
use physio::Observation;

/// One recordable signal.
pub struct Signal {
    pub name: &'static str,
    pub unit: &'static str,
    pub doc: &'static str,
    pub get: fn(&Observation) -> f64,
}

macro_rules! signals {
    ($( $name:ident, $unit:expr, $doc:expr, |$o:ident| $e:expr; )*) => {
        /// Every signal, in the order of `Observation`'s fields.
        pub const SIGNALS: &[Signal] = &[
            $( Signal { name: stringify!($name), unit: $unit, doc: $doc, get: |$o| $e }, )*
        ];
    };
}

macro_rules! gas {
    ($prefix:literal, $field:ident, $where:literal) => {
        [
            Signal {
                name: concat!($prefix, "_po2_mmhg"),
                unit: "mmHg",
                doc: concat!("PO2, ", $where),
                get: |o| o.$field.po2_mmhg,
            },
            Signal {
                name: concat!($prefix, "_pco2_mmhg"),
                unit: "mmHg",
                doc: concat!("PCO2, ", $where),
                get: |o| o.$field.pco2_mmhg,
            },
            Signal {
                name: concat!($prefix, "_ph"),
                unit: "pH",
                doc: concat!("pH, ", $where),
                get: |o| o.$field.ph,
            },
            Signal {
                name: concat!($prefix, "_so2"),
                unit: "1",
                doc: concat!("O2 saturation (fraction), ", $where),
                get: |o| o.$field.so2,
            },
        ]
    };
}

/// Blood-gas signals; kept apart because `GasState` has four fields each.
pub const GAS_SIGNALS: &[[Signal; 4]] = &[
    gas!("pre_oxy", pre_oxy, "blood entering the oxygenator"),
    gas!("post_oxy", post_oxy, "blood leaving the oxygenator"),
    gas!("art_upper", art_upper, "right radial artery (upper body)"),
    gas!("art_lower", art_lower, "femoral artery (lower body)"),
    gas!("art_left_radial", art_left_radial, "left radial artery"),
    gas!("art_cerebral", art_cerebral, "carotid arteries (brain)"),
];

fn flag(b: bool) -> f64 {
    if b { 1.0 } else { 0.0 }
}

signals! {
    pump_speed_rpm, "rpm", "Actual pump speed (the motor lags the command).", |o| o.pump_speed_rpm;
    circuit_flow_lpm, "L/min", "Circuit blood flow; negative is backflow.", |o| o.circuit_flow_lpm;
    p_drainage_mmhg, "mmHg", "Drainage (pre-pump) line pressure.", |o| o.p_drainage_mmhg;
    p_pre_oxy_mmhg, "mmHg", "Pressure between pump and oxygenator.", |o| o.p_pre_oxy_mmhg;
    p_post_oxy_mmhg, "mmHg", "Pressure after the oxygenator (return line).", |o| o.p_post_oxy_mmhg;
    delta_p_oxy_mmhg, "mmHg", "Pressure drop across the oxygenator.", |o| o.delta_p_oxy_mmhg;
    circuit_temp_c, "degC", "Blood temperature in the circuit.", |o| o.circuit_temp_c;
    bubble, "0/1", "Air at the return-line bubble detector (mean = share of time).", |o| flag(o.bubble);
    sweep_lpm, "L/min", "Sweep gas flow.", |o| o.sweep_lpm;
    fdo2, "1", "Sweep gas O2 fraction.", |o| o.fdo2;
    oxy_o2_transfer_ml_min, "mL/min", "O2 taken up by blood in the oxygenator.", |o| o.oxy_o2_transfer_ml_min;
    oxy_co2_transfer_ml_min, "mL/min", "CO2 removed from blood in the oxygenator.", |o| o.oxy_co2_transfer_ml_min;
    plasma_fhb_mg_dl, "mg/dL", "Plasma free haemoglobin.", |o| o.plasma_fhb_mg_dl;
    anti_xa_iu_ml, "IU/mL", "Heparin anti-Xa activity.", |o| o.anti_xa_iu_ml;
    act_s, "s", "Activated clotting time.", |o| o.act_s;
    oxy_clot_fraction, "1", "Share of the oxygenator membrane lost to thrombus.", |o| o.oxy_clot_fraction;
    pump_clot_fraction, "1", "Share of the pump head clearance lost to thrombus.", |o| o.pump_clot_fraction;
    mains_power, "0/1", "Mains power present (mean = share of time).", |o| flag(o.mains_power);
    battery_fraction, "1", "Battery charge.", |o| o.battery_fraction;
    heart_rate_bpm, "1/min", "Heart rate.", |o| o.heart_rate_bpm;
    p_art_mmhg, "mmHg", "Instantaneous right radial arterial pressure.", |o| o.p_art_mmhg;
    map_mmhg, "mmHg", "Mean arterial pressure.", |o| o.map_mmhg;
    cvp_mmhg, "mmHg", "Central venous pressure.", |o| o.cvp_mmhg;
    p_la_mmhg, "mmHg", "Left atrial pressure (stands for PCWP).", |o| o.p_la_mmhg;
    p_pa_mean_mmhg, "mmHg", "Mean pulmonary artery pressure.", |o| o.p_pa_mean_mmhg;
    cardiac_output_lpm, "L/min", "Native left-ventricular output.", |o| o.cardiac_output_lpm;
    svo2, "1", "True mixed venous (pulmonary artery) O2 saturation.", |o| o.svo2;
    hb_g_dl, "g/dL", "Haemoglobin concentration.", |o| o.hb_g_dl;
    patient_temp_c, "degC", "Patient temperature.", |o| o.patient_temp_c;
    vo2_ml_min, "mL/min", "Whole-body O2 consumption.", |o| o.vo2_ml_min;
    vco2_ml_min, "mL/min", "Whole-body CO2 production.", |o| o.vco2_ml_min;
    recirculation_fraction, "1", "Share of circuit flow that is returned blood drawn straight back (VV), by the Abrams formula on true saturations.", |o| o.recirculation_fraction;
    recirculation_traced, "1", "Share of drained blood that is returned blood drawn straight back, traced with the blood (no saturation algebra).", |o| o.recirculation_traced;
    blood_volume_ml, "mL", "Total blood volume in patient and circuit.", |o| o.blood_volume_ml;
    venous_return_so2, "1", "O2 saturation of the venous blood returning from the body before it meets circuit return (the SvO2 of Abrams' recirculation formula).", |o| o.venous_return_so2;
    lung_o2_ml_min, "mL/min", "O2 taken up by the native lungs.", |o| o.lung_o2_ml_min;
    lung_co2_ml_min, "mL/min", "CO2 given off by the native lungs.", |o| o.lung_co2_ml_min;
    stroke_volume_ml, "mL", "Left-ventricular stroke volume of the last beat (through the aortic valve).", |o| o.stroke_volume_ml;
    lv_edv_ml, "mL", "Left-ventricular end-diastolic volume of the last beat.", |o| o.lv_edv_ml;
    lv_esv_ml, "mL", "Left-ventricular end-systolic volume of the last beat.", |o| o.lv_esv_ml;
    lv_ef, "1", "Left-ventricular ejection fraction (EDV - ESV)/EDV of the last beat.", |o| o.lv_ef;
    lvedp_mmhg, "mmHg", "Left-ventricular end-diastolic pressure of the last beat.", |o| o.lvedp_mmhg;
    lv_peak_mmhg, "mmHg", "Peak left-ventricular pressure of the last beat.", |o| o.lv_peak_mmhg;
    lv_stroke_work_mmhg_ml, "mmHg*mL", "Left-ventricular stroke work (pressure-volume loop area) of the last beat.", |o| o.lv_stroke_work_mmhg_ml;
    rv_edv_ml, "mL", "Right-ventricular end-diastolic volume of the last beat.", |o| o.rv_edv_ml;
    rv_esv_ml, "mL", "Right-ventricular end-systolic volume of the last beat.", |o| o.rv_esv_ml;
    rv_ef, "1", "Right-ventricular ejection fraction of the last beat.", |o| o.rv_ef;
    pcwp_mmhg, "mmHg", "Pulmonary capillary wedge pressure (mean pulmonary venous pressure of the last beat).", |o| o.pcwp_mmhg;
    p_art_sys_mmhg, "mmHg", "Systolic pressure at the right radial arterial line, last beat.", |o| o.p_art_sys_mmhg;
    p_art_dia_mmhg, "mmHg", "Diastolic pressure at the right radial arterial line, last beat.", |o| o.p_art_dia_mmhg;
    aortic_valve_open_fraction, "1", "Share of the last 10 beats in which the aortic valve opened (0: a closed aortic valve, a non-ejecting LV on VA support).", |o| o.aortic_valve_open_fraction;
    p_pericardium_mmhg, "mmHg", "Pericardial pressure.", |o| o.p_pericardium_mmhg;
    p_alv_o2_mmhg, "mmHg", "Alveolar PO2.", |o| o.p_alv_o2_mmhg;
    p_alv_co2_mmhg, "mmHg", "Alveolar PCO2.", |o| o.p_alv_co2_mmhg;
    air_to_patient_ml, "mL", "Air passed through the return cannula into the patient since the start.", |o| o.air_to_patient_ml;
    heater_c, "degC", "Heater water set point in use (0 = off).", |o| o.heater_c;
    stressed_volume_ml, "mL", "Stressed volume of the patient's vessels (above their unstressed volumes).", |o| o.stressed_volume_ml;
    arch_to_descending_lpm, "L/min", "Net flow from the aortic arch into the descending aorta over the last beat; negative in femoral VA when circuit blood climbs past the arch's branches (watershed above the descending aorta).", |o| o.arch_to_descending_lpm;
    watershed_cm, "cm", "Where circuit and native blood meet in the aorta: distance from the aortic valve at which half the blood came from the circuit (0: circuit blood fills the root; 55 in an adult: none reaches the aorta).", |o| o.watershed_cm;
    svc_so2, "1", "True O2 saturation in the superior vena cava.", |o| o.svc_so2;
    ivc_so2, "1", "True O2 saturation in the infrahepatic inferior vena cava.", |o| o.ivc_so2;
    cannula_tip_distance_cm, "cm", "Distance between the drainage and return cannula tips along the venae cavae (VV; 0 in VA).", |o| o.cannula_tip_distance_cm;
    coronary_circuit_fraction, "1", "Share of the blood at the coronary ostia (aortic root) that came from the circuit.", |o| o.coronary_circuit_fraction;
    cerebral_circuit_fraction, "1", "Share of the blood in the carotids that came from the circuit.", |o| o.cerebral_circuit_fraction;
    drainage_occluded, "0/1", "Vein wall sucked onto the drainage cannula (suction; mean = share of time).", |o| flag(o.drainage_occluded);
    p_carotid_mmhg, "mmHg", "Carotid sinus pressure: mean carotid pressure over the last beat (what the baroreflex senses).", |o| o.p_carotid_mmhg;
    svr_mmhg_s_ml, "mmHg*s/mL", "Systemic vascular resistance in effect (the patient's, changed by the baroreflex when its gain is above 0).", |o| o.svr_mmhg_s_ml;
    interstitial_fluid_ml, "mL", "Interstitial fluid volume (rises as infused crystalloid leaves the plasma).", |o| o.interstitial_fluid_ml;
    fluid_excreted_ml, "mL", "Infused fluid excreted by the kidneys since the start.", |o| o.fluid_excreted_ml;
    norepinephrine_ng_ml, "ng/mL", "Plasma norepinephrine given (above the patient's own) (drugs section).", |o| o.drug_plasma[0];
    epinephrine_ng_ml, "ng/mL", "Plasma epinephrine given (above the patient's own) (drugs section).", |o| o.drug_plasma[1];
    vasopressin_mu_ml, "mU/mL", "Plasma vasopressin given (above the patient's own) (drugs section).", |o| o.drug_plasma[2];
    dobutamine_ng_ml, "ng/mL", "Plasma dobutamine (drugs section).", |o| o.drug_plasma[3];
    milrinone_ng_ml, "ng/mL", "Plasma milrinone (drugs section).", |o| o.drug_plasma[4];
    propofol_ug_ml, "ug/mL", "Plasma propofol (drugs section).", |o| o.drug_plasma[5];
    fentanyl_ng_ml, "ng/mL", "Plasma fentanyl (drugs section).", |o| o.drug_plasma[6];
    rocuronium_ug_ml, "ug/mL", "Plasma rocuronium (drugs section).", |o| o.drug_plasma[7];
    bivalirudin_ug_ml, "ug/mL", "Plasma bivalirudin (drugs section).", |o| o.drug_plasma[8];
    neuromuscular_block, "1", "Neuromuscular block: share of twitch height lost (rocuronium).", |o| o.neuromuscular_block;
    lactate_mmol_l, "mmol/L", "Arterial lactate: basal production and clearance, plus anaerobic production when tissues get less O2 than they need (twin.rs).", |o| o.lactate_mmol_l;
    base_excess_meq_l, "mEq/L", "Base excess in effect: the patient's, less lactate above 1 mmol/L.", |o| o.base_excess_meq_l;
    rhythm, "code", "The heart's rhythm: 0 perfusing, 1 ventricular fibrillation, 2 asystole, 3 pulseless electrical activity (cardiac arrest and CPR section).", |o| o.rhythm;
    cpp_mmhg, "mmHg", "Coronary perfusion pressure in cardiac arrest: aortic root minus right atrium (in the release phase during compressions, throughout without them), smoothed over about three compression cycles; 0 with a perfusing rhythm.", |o| o.cpp_mmhg;
    ventilator_on, "0/1", "A mechanical ventilator is connected (the `ventilator_*` events); the `vent_*` signals are 0 without one.", |o| flag(o.ventilator_on);
    vent_ppeak_cmh2o, "cmH2O", "Ventilator peak airway pressure: plateau plus the resistive drop in volume control, PEEP + set pressure in pressure control.", |o| o.vent_ppeak_cmh2o;
    vent_pplat_cmh2o, "cmH2O", "Plateau pressure (end-inspiratory alveolar): total PEEP + VT / respiratory-system compliance.", |o| o.vent_pplat_cmh2o;
    vent_driving_cmh2o, "cmH2O", "Driving pressure: plateau less total PEEP, VT / C_rs.", |o| o.vent_driving_cmh2o;
    vent_peep_total_cmh2o, "cmH2O", "Total PEEP: set PEEP plus intrinsic PEEP (gas trapped by a short expiration).", |o| o.vent_peep_total_cmh2o;
    vent_vt_ml, "mL", "Tidal volume delivered (set in volume control; from compliance, resistance and the set pressure in pressure control).", |o| o.vent_vt_ml;
    vent_minute_volume_lpm, "L/min", "Minute ventilation, rate × tidal volume (dead space included).", |o| o.vent_minute_volume_lpm;
    vent_compliance_ml_cmh2o, "mL/cmH2O", "Respiratory-system static compliance, lung and chest wall in series.", |o| o.vent_compliance_ml_cmh2o;
    pleural_mean_cmh2o, "cmH2O", "Mean pleural (intrathoracic) pressure over the breath: −5 at rest without a ventilator; PEEP and positive-pressure breaths raise it by C_rs/C_chest_wall of the mean alveolar pressure. The chest's veins and heart sit in it.", |o| o.pleural_mean_cmh2o;
    shunt_effective, "1", "Intrapulmonary shunt fraction in effect: the patient's `shunt_fraction`, lowered as a ventilator recruits a recruitable lung and raised as it derecruits (ventilator section).", |o| o.shunt_effective;
    recruited_fraction, "1", "Share of the recruitable lung (patient `recruitability`) open now: 0 at the reference state (PEEP 5), 1 all of it (ventilator section).", |o| o.recruited_fraction;
    vent_dead_space_fraction, "1", "Dead space over tidal volume of the ventilator's breath: anatomical (2.2 mL/kg) plus the alveolar dead space of an overdistended injured lung.", |o| o.vent_dead_space_fraction;
    chemoreflex_drive_lpm, "L/min", "Change of minute ventilation the chemoreflex asks for (patient `chemoreflex_gain`; chemoreflex section); 0 with the gain at 0.", |o| o.chemoreflex_drive_lpm;
    alveolar_ventilation_effective_lpm, "L/min", "Alveolar ventilation of the native lungs in effect: the ventilator's, the patient's own breathing driven by the chemoreflex, or the patient's `alveolar_ventilation_lpm`.", |o| o.alveolar_ventilation_effective_lpm;
}

/// All signals, scalar ones first and then the blood gases.
pub fn all() -> impl Iterator<Item = &'static Signal> {
    SIGNALS.iter().chain(GAS_SIGNALS.iter().flatten())
}

/// Look a signal up by name.
pub fn find(name: &str) -> Option<&'static Signal> {
    all().find(|s| s.name == name)
}

/// Every signal name, for error messages.
pub fn names() -> Vec<&'static str> {
    all().map(|s| s.name).collect()
}

/// Measured (sensor) signals, present when `[sensors] enabled = true`: for each console channel
/// `sensor_<channel>` (the reading) and `sensor_<channel>_valid` (1 when valid, 0 during a
/// dropout or before the first sample).
pub struct SensorSignal {
    pub name: String,
    pub unit: &'static str,
    pub channel: physio::sensors::Channel,
    /// The validity flag rather than the value.
    pub valid: bool,
}

/// Every sensor signal, value then validity, channel by channel.
pub fn sensor_signals() -> Vec<SensorSignal> {
    let mut out = Vec::new();
    for ch in physio::sensors::Channel::ALL {
        let spec = ch.spec();
        out.push(SensorSignal {
            name: format!("sensor_{}", spec.name),
            unit: spec.unit,
            channel: ch,
            valid: false,
        });
        out.push(SensorSignal {
            name: format!("sensor_{}_valid", spec.name),
            unit: "0/1",
            channel: ch,
            valid: true,
        });
    }
    out
}
