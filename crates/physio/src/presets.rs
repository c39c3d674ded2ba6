//! Named patients and circuits: the starting points of experiments, scenarios and tests.
//!
//! Patient presets describe an adult of 75 kg. Each value cites where it comes from; the
//! resulting observations (what the presets produce) are checked by the plausibility tests in
//! `tests/presets.rs` against the normal ranges of `docs/references/patient.md`.
//!
//! - `adult-healthy`: normal resting adult, no circuit.
//! - `ards-severe`: severe ARDS, a candidate for VV femoro-jugular support: half of the
//!   pulmonary blood flow shunted past unventilated alveoli, hypoxaemic on FiO2 1.0, hypercapnic
//!   under lung-protective ventilation.
//! - `cardiogenic-shock`: an acutely failing left ventricle of normal size (as after a large
//!   infarct), a candidate for femoral VA support: low output, high filling pressures,
//!   vasoconstricted.
//! - `dilated-cardiomyopathy`: decompensated chronic heart failure: a large, compliant, weak LV
//!   (EF about 10 %), high filling pressures, a candidate for VA support as a bridge.
//! - `hypovolaemia`: an adult on VV support who has lost a litre of blood (19 % of 5.3 L): the vein
//!   collapses around the drainage cannula at normal pump speeds.
//! - `va-central-postcardiotomy`: failing heart after cardiac surgery on central VA support.
//! - `neonate`: a healthy term neonate of 3.5 kg ([`crate::sizes::scaled_patient`]: the age
//!   norms of heart rate, pressure, output, blood volume and Hb) with a neonatal cervical VA
//!   circuit ready (see [`sized_circuit`]).
//! - `child`: a healthy child of 20 kg (about six years) with a paediatric VA circuit ready.
use crate::cannula::{Cannula, CannulaRole, Tubing};
use crate::coagulation::Coating;
use crate::oxygenator::OxygenatorModel;
use crate::pump::PumpModel;
use crate::twin::{Actuation, CircuitConfig, Configuration, PatientParams, TwinConfig};

/// Every name [`preset`] knows.
pub const PRESET_NAMES: &[&str] = &[
    "adult-healthy",
    "ards-severe",
    "cardiogenic-shock",
    "dilated-cardiomyopathy",
    "hypovolaemia",
    "va-central-postcardiotomy",
    "neonate",
    "child",
];

/// Weight of the `neonate` preset, kg: a term newborn (WHO 2006 median birth weight 3.3 kg for
/// boys, 3.2 for girls).
pub const NEONATE_WEIGHT_KG: f64 = 3.5;
/// Weight of the `child` preset, kg: about six years (WHO 2007 median).
pub const CHILD_WEIGHT_KG: f64 = 20.0;
/// Below this weight [`sized_circuit`] builds a paediatric circuit, kg.
pub const PAEDIATRIC_CIRCUIT_BELOW_KG: f64 = 40.0;

/// 1/4 inch tubing, the usual neonatal and small-child ECMO line \[M\], in mm.
pub const TUBING_1_4_IN_MM: f64 = 6.35;

/// 3/8 inch tubing, the usual adult ECMO line (circuit.md \[S\]), in mm.
pub const TUBING_3_8_IN_MM: f64 = 9.525;

/// The healthy adult (patient.md normal values \[M\]; circulation parameters in
/// `circulation.rs` and `heart.rs`).
pub fn healthy_patient() -> PatientParams {
    PatientParams {
        weight_kg: 75.0,
        // Normal resting heart rate 60–100 [M].
        heart_rate_bpm: 75.0,
        // Ursino 1998 [M].
        lv_emax_mmhg_ml: 2.95,
        rv_emax_mmhg_ml: 1.75,
        // A normal-sized LV of normal stiffness (heart.rs).
        lv_dilation_ml: 0.0,
        lv_stiffness: 1.0,
        // 0.9 mmHg·s/mL = 1200 dyn·s/cm⁵, normal SVR 800–1200 [M].
        svr_mmhg_s_ml: 0.9,
        // 0.09 mmHg·s/mL = 1.5 Wood units, normal PVR < 2 WU [M].
        pvr_mmhg_s_ml: 0.09,
        // About 70 mL/kg [M]; Ursino 1998 5300 mL.
        blood_volume_ml: 5300.0,
        // Hb 12–16 g/dL (patient.md [M]).
        hb_g_dl: 14.0,
        base_excess_meq_l: 0.0,
        temp_c: 37.0,
        // VO2 about 3 mL/kg/min, RQ about 0.8 (patient.md [M]): 250 mL/min at 75 kg.
        vo2_ml_kg_min: 3.33,
        rq: 0.8,
        // Alveolar ventilation about 4–5 L/min at rest, giving PaCO2 40 with VCO2 200 mL/min
        // through the alveolar ventilation equation (PaCO2 = 0.863·VCO2/VA) [M].
        alveolar_ventilation_lpm: 4.3,
        fio2: 0.21,
        // Physiological shunt 2–5 % of cardiac output (bronchial and Thebesian veins) [M].
        shunt_fraction: 0.03,
        // No baroreflex in the presets: their values were set, and their results recorded,
        // with fixed heart rate and resistances. Set 1 for a patient who responds.
        baroreflex_gain: 0.0,
        // Lung and chest wall about 200 mL/cmH2O each (respiratory system 100), airway
        // resistance about 2 cmH2O·s/L [M, West's Respiratory Physiology ch. 7].
        lung_compliance_ml_cmh2o: 200.0,
        chest_wall_compliance_ml_cmh2o: 200.0,
        airway_resistance_cmh2o_s_l: 2.0,
        // A lung that does not recruit, and breathing fixed at `alveolar_ventilation_lpm`
        // (no chemoreflex): as the presets were set and recorded.
        recruitability: 0.0,
        chemoreflex_gain: 0.0,
        cardiopulmonary_gain: 0.0,
    }
}

/// Severe ARDS (Berlin definition: PaO2/FiO2 ≤ 100 mmHg \[M\]).
pub fn ards_patient() -> PatientParams {
    PatientParams {
        // Hyperdynamic, septic circulation: tachycardia, low SVR, raised PVR (ARDS pulmonary
        // hypertension) [M].
        heart_rate_bpm: 110.0,
        svr_mmhg_s_ml: 0.65,
        pvr_mmhg_s_ml: 0.22,
        rv_emax_mmhg_ml: 1.6,
        // Anaemia of critical illness; transfusion thresholds 7–10 g/dL on ECMO [M].
        hb_g_dl: 10.0,
        base_excess_meq_l: 0.0,
        // Fever raises VO2 (~10 % per °C) [M].
        temp_c: 38.5,
        vo2_ml_kg_min: 3.6,
        // Lung-protective ventilation, 6 mL/kg at high dead space: alveolar ventilation about
        // 3 L/min, permissive hypercapnia [M].
        alveolar_ventilation_lpm: 3.2,
        fio2: 1.0,
        // Shunt fractions of 50–70 % and beyond in the most severe ARDS (Dantzker 1979, Am Rev
        // Respir Dis 120:1039) [M].
        shunt_fraction: 0.5,
        // Respiratory mechanics of ventilated patients in acute respiratory failure (Katz et
        // al. 1981, Chest 80:304): respiratory-system elastance 27.9 cmH2O/L, 34 % of it the
        // chest wall's; so lung 1000/(27.9·0.66) = 54 and chest wall 1000/(27.9·0.34) =
        // 105 mL/cmH2O (C_rs 36, in the range of the ARDS trials' patients, Amato 2015,
        // N Engl J Med 372:747 [M]). Airway resistance with the endotracheal tube about
        // 10 cmH2O·s/L [M].
        lung_compliance_ml_cmh2o: 54.0,
        chest_wall_compliance_ml_cmh2o: 105.0,
        airway_resistance_cmh2o_s_l: 10.0,
        // The mean potentially recruitable lung of Gattinoni et al. 2006 (N Engl J Med
        // 354:1775): 13 % of lung weight collapsed at 5 cmH2O reopens at 45. Acts only on a
        // ventilator (crate::recruitment).
        recruitability: 0.13,
        ..healthy_patient()
    }
}

/// Cardiogenic shock: LV Emax about 0.6 mmHg/mL in failure (ECLIPSE model, patient.md \[S\]).
pub fn cardiogenic_shock_patient() -> PatientParams {
    PatientParams {
        heart_rate_bpm: 105.0,
        // The weak end of the failing range (0.6 in ECLIPSE).
        lv_emax_mmhg_ml: 0.5,
        // Vasoconstriction: SVR raised (1.05 ≈ 1400 dyn·s/cm⁵) [M].
        svr_mmhg_s_ml: 1.05,
        // The right ventricle is often involved too (biventricular failure) [M].
        rv_emax_mmhg_ml: 1.0,
        // Post-capillary pulmonary hypertension [M].
        pvr_mmhg_s_ml: 0.12,
        // Fluid retention of heart failure: volume raised by ~15 % [M].
        blood_volume_ml: 6100.0,
        hb_g_dl: 12.0,
        // Lactic acidosis [M].
        base_excess_meq_l: -6.0,
        // Pulmonary oedema: some shunt, oxygen by mask or ventilator.
        shunt_fraction: 0.15,
        fio2: 0.5,
        alveolar_ventilation_lpm: 4.5,
        ..healthy_patient()
    }
}

/// Decompensated dilated cardiomyopathy: LVEDV about 250–350 mL and LVEF 10–20 % in end-stage
/// DCM, with PCWP above 20 mmHg when decompensated \[M\]. The LV's curves sit 120 mL right of
/// normal at slightly lower stiffness; with Emax 0.4 this gives EDV about 350 mL, EF 11 %,
/// LVEDP 25 mmHg, cardiac index about 2 L/min/m² (a design target of the preset, not a
/// validation).
pub fn dilated_cardiomyopathy_patient() -> PatientParams {
    PatientParams {
        heart_rate_bpm: 100.0,
        lv_emax_mmhg_ml: 0.4,
        lv_dilation_ml: 120.0,
        lv_stiffness: 0.9,
        // Neurohumoral vasoconstriction and fluid retention of chronic failure [M].
        svr_mmhg_s_ml: 1.3,
        blood_volume_ml: 6300.0,
        ..cardiogenic_shock_patient()
    }
}

fn cannula(role: CannulaRole, size_fr: f64) -> Cannula {
    Cannula { role, size_fr }
}

fn circuit(configuration: Configuration, drainage_fr: f64, return_fr: f64) -> CircuitConfig {
    CircuitConfig {
        configuration,
        drainage: cannula(CannulaRole::Drainage, drainage_fr),
        return_cannula: cannula(CannulaRole::Return, return_fr),
        tubing: Tubing {
            length_m: 2.0,
            inner_diameter_mm: TUBING_3_8_IN_MM,
        },
        pump: PumpModel::rotaflow(),
        oxygenator: OxygenatorModel::quadrox_adult(),
        coating: Coating::HeparinBonded,
        placement: crate::placement::Placement::typical(configuration),
        prime: crate::prime::Prime::Established,
    }
}

/// The adult circuit of a configuration (`None` gets the VV femoro-jugular sizes, unused).
pub fn circuit_for(configuration: Configuration) -> CircuitConfig {
    let (drainage_fr, return_fr) = match configuration {
        // VV femoro-jugular: 25 Fr femoral drainage, 21 Fr jugular return (ELSO adult
        // cannulation, Tonna 2021 [M]).
        Configuration::None | Configuration::VvFemoroJugular => (25.0, 21.0),
        // VV femoro-femoral: 25 Fr drainage, 21 Fr return in the other femoral vein.
        Configuration::VvFemoroFemoral => (25.0, 21.0),
        // Femoral VA: 25 Fr femoral venous drainage, 17 Fr femoral arterial return [M].
        Configuration::VaFemoral => (25.0, 17.0),
        // Central VA: right-atrial drainage, 21 Fr ascending-aortic return [M].
        Configuration::VaCentral => (25.0, 21.0),
        // Axillary VA: femoral venous drainage, 17 Fr return into the right axillary artery
        // (in practice often through an 8 mm side graft; the cannula sizing is the same class)
        // [M].
        Configuration::VaAxillary => (25.0, 17.0),
        // VV through one 27 Fr bicaval dual-lumen cannula in the right internal jugular vein
        // (Avalon-class; the lumens' fits in `cannula::DualLumenCannula`). The single-lumen
        // sizes stand for the lumens' calibres in the blood column's inertance only.
        Configuration::VvDualLumen => (23.0, 17.0),
    };
    circuit(configuration, drainage_fr, return_fr)
}

/// The circuit of `configuration` for a patient of `weight_kg`: the adult circuit
/// ([`circuit_for`]) from [`PAEDIATRIC_CIRCUIT_BELOW_KG`] up; below, cannulae sized to the
/// weight, 1/4″ tubing (3/8″ from 10 kg) and the Quadrox-iD Pediatric class oxygenator (0.8 m²,
/// 81 mL, up to 2.8 L/min).
///
/// Cannula sizes follow the usual neonatal and paediatric ranges (ELSO neonatal respiratory
/// guideline, Wild 2020 \[M\]: a term neonate takes an 8–10 Fr arterial and a 10–14 Fr venous
/// cannula): return ≈ 10 Fr at 3.5 kg, drainage ≈ 12 Fr, both growing with the vessels'
/// diameter ∝ weight^⅜ (West 1997) and rounded to whole French; within the cannulae's valid
/// ranges. Tubing 1.5 m in total below 10 kg \[assumption: a short neonatal circuit, priming
/// about 48 mL\], 2 m above.
pub fn sized_circuit(configuration: Configuration, weight_kg: f64) -> CircuitConfig {
    let mut c = circuit_for(configuration);
    if weight_kg >= PAEDIATRIC_CIRCUIT_BELOW_KG || weight_kg.is_nan() {
        return c;
    }
    let grow = (weight_kg.max(1.0) / NEONATE_WEIGHT_KG).powf(0.375);
    let size = |base: f64, role: CannulaRole| {
        let (lo, hi) = crate::cannula::Cannula::valid_range(role);
        (base * grow).round().clamp(lo, hi)
    };
    c.drainage = cannula(CannulaRole::Drainage, size(12.0, CannulaRole::Drainage));
    c.return_cannula = cannula(CannulaRole::Return, size(10.0, CannulaRole::Return));
    c.tubing = if weight_kg < 10.0 {
        Tubing {
            length_m: 1.5,
            inner_diameter_mm: TUBING_1_4_IN_MM,
        }
    } else {
        Tubing {
            length_m: 2.0,
            inner_diameter_mm: TUBING_3_8_IN_MM,
        }
    };
    c.oxygenator = OxygenatorModel::quadrox_paediatric();
    c
}

/// A named preset, or `None` for an unknown name.
pub fn preset(name: &str) -> Option<TwinConfig> {
    let (patient, circuit) = match name {
        "adult-healthy" => (healthy_patient(), circuit_for(Configuration::None)),
        "ards-severe" => (ards_patient(), circuit_for(Configuration::VvFemoroJugular)),
        "cardiogenic-shock" => (
            cardiogenic_shock_patient(),
            circuit_for(Configuration::VaFemoral),
        ),
        "dilated-cardiomyopathy" => (
            dilated_cardiomyopathy_patient(),
            circuit_for(Configuration::VaFemoral),
        ),
        "hypovolaemia" => (
            PatientParams {
                // 1000 mL lost from 5300 (class II haemorrhage, 15–30 % [M, ATLS]).
                blood_volume_ml: 4300.0,
                heart_rate_bpm: 120.0,
                svr_mmhg_s_ml: 1.3,
                ..ards_patient()
            },
            circuit_for(Configuration::VvFemoroJugular),
        ),
        "va-central-postcardiotomy" => (
            PatientParams {
                lv_emax_mmhg_ml: 0.45,
                rv_emax_mmhg_ml: 0.8,
                ..cardiogenic_shock_patient()
            },
            circuit_for(Configuration::VaCentral),
        ),
        "neonate" => (
            crate::sizes::scaled_patient(NEONATE_WEIGHT_KG).ok()?,
            sized_circuit(Configuration::VaCentral, NEONATE_WEIGHT_KG),
        ),
        "child" => (
            crate::sizes::scaled_patient(CHILD_WEIGHT_KG).ok()?,
            sized_circuit(Configuration::VaCentral, CHILD_WEIGHT_KG),
        ),
        _ => return None,
    };
    Some(TwinConfig {
        patient,
        circuit,
        seed: 1,
    })
}

/// A sensible starting command for a configuration: pump speed for about 60–75 mL/kg/min of
/// flow (Tonna 2021 \[M\]: VV 60–80, VA 50–75 mL/kg/min); sweep started below the 1:1 ratio
/// ELSO suggests, because ELSO then titrates it to PaCO2 and the presets' patients become
/// hypocapnic at 1:1 (after an hour the `ards-severe` patient is near PaCO2 32 mmHg at 2 L/min
/// on VV; on VA 1.5 L/min sits between the `cardiogenic-shock` patient, who still ventilates
/// through perfused lungs, and the central `va-central-postcardiotomy` patient, whose lungs get
/// almost no flow); FdO2 1.0 for VV; for VA 0.8, which gives the post-oxygenator PO2 near 150 mmHg ELSO aims at
/// (patient.md \[P\]); heater at 37 °C.
///
/// Below [`PAEDIATRIC_CIRCUIT_BELOW_KG`]: the speed that gives the ELSO flow target of the age
/// (neonatal VA and VV 100–150 mL/kg/min at the start, ELSO neonatal respiratory guideline,
/// Wild 2020 \[M\]; 120 here) against the patient's normal mean pressure (VA) or venous pressure
/// (VV) and the circuit's own drops at that flow; sweep scaled from the adult's with CO2
/// production, ∝ weight^¾ (West 1997).
pub fn default_actuation(config: &TwinConfig) -> Actuation {
    let mut a = adult_actuation(config);
    let w = config.patient.weight_kg;
    if config.circuit.configuration != Configuration::None && w < PAEDIATRIC_CIRCUIT_BELOW_KG {
        let q = PAEDIATRIC_FLOW_ML_KG_MIN * w / 1000.0;
        let c = &config.circuit;
        let visc = crate::cannula::blood_viscosity_mpa_s(
            crate::cannula::hct_from_hb(config.patient.hb_g_dl),
            37.0,
        );
        let drops = c.drainage.pressure_drop_mmhg(q)
            + c.return_cannula.pressure_drop_mmhg(q)
            + c.tubing.pressure_drop_mmhg(q, visc)
            + c.oxygenator.resistance_mmhg_s_ml * q * 1000.0 / 60.0;
        // On VA the circuit's flow joins the native output through the systemic resistance:
        // the arterial pressure it pumps against is the normal mean pressure plus what that
        // flow adds through the normal SVR (an upper bound: the native output falls as the
        // circuit takes venous return, so the flow lands above the target rather than below).
        let arterial = match c.configuration {
            Configuration::VaFemoral | Configuration::VaCentral | Configuration::VaAxillary => {
                crate::sizes::norms(w).map_mmhg + crate::sizes::normal_svr(w) * q * 1000.0 / 60.0
            }
            _ => crate::sizes::CVP_NORM_MMHG,
        };
        let head = arterial - crate::sizes::CVP_NORM_MMHG + drops;
        a.pump_rpm = rpm_for_head(&c.pump, head, q);
        a.sweep_lpm *= (w / crate::sizes::ADULT_WEIGHT_KG).powf(0.75);
    }
    a
}

/// Circuit flow the paediatric default actuation aims at, mL/kg/min (ELSO, see
/// [`default_actuation`]).
pub const PAEDIATRIC_FLOW_ML_KG_MIN: f64 = 120.0;

/// The speed at which `pump` makes `head_mmhg` at `q_lpm` (bisection; its head rises with
/// speed), within 0 and the pump's own limit.
fn rpm_for_head(pump: &PumpModel, head_mmhg: f64, q_lpm: f64) -> f64 {
    let (mut lo, mut hi) = (0.0, pump.max_rpm);
    for _ in 0..60 {
        let mid = 0.5 * (lo + hi);
        if pump.head_mmhg(mid, q_lpm) < head_mmhg {
            lo = mid;
        } else {
            hi = mid;
        }
    }
    (0.5 * (lo + hi)).round()
}

fn adult_actuation(config: &TwinConfig) -> Actuation {
    match config.circuit.configuration {
        Configuration::None => Actuation {
            pump_rpm: 0.0,
            return_clamp: 0.0,
            sweep_lpm: 0.0,
            fdo2: 0.21,
            heater_c: 0.0,
        },
        Configuration::VvFemoroJugular
        | Configuration::VvFemoroFemoral
        | Configuration::VvDualLumen => Actuation {
            pump_rpm: 3200.0,
            return_clamp: 0.0,
            sweep_lpm: 2.0,
            fdo2: 1.0,
            heater_c: 37.0,
        },
        Configuration::VaFemoral | Configuration::VaCentral | Configuration::VaAxillary => {
            Actuation {
                pump_rpm: 3600.0,
                return_clamp: 0.0,
                sweep_lpm: 1.5,
                fdo2: 0.8,
                heater_c: 37.0,
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_name_resolves_and_validates() {
        for name in PRESET_NAMES {
            let c = preset(name).unwrap_or_else(|| panic!("{name} missing"));
            c.patient.validate().unwrap();
            c.circuit.validate().unwrap();
        }
        assert!(preset("no-such-patient").is_none());
    }
}
