//! Patients of other sizes, built from the adult by allometric scaling.
//!
//! [`scaled_patient`] takes the healthy adult of [`crate::presets::healthy_patient`] (75 kg) and
//! scales every size-dependent parameter by a power of the weight ratio `r = W / 75 kg`, with the
//! exponents of the allometric literature (West, Brown & Enquist 1997, Science 276:122;
//! Lindstedt & Schaeffer 2002, Lab Anim 36:1):
//!
//! | quantity                              | exponent | why                                      |
//! |---------------------------------------|----------|------------------------------------------|
//! | blood volume, heart and vessel volumes | 1        | volumes ∝ M¹ (Lindstedt & Schaeffer 2002) |
//! | whole-body VO2, VCO2, alveolar ventilation | 0.75 | metabolism ∝ M^¾ (West 1997)           |
//! | heart rate                            | −0.25    | biological times ∝ M^¼ (Lindstedt & Schaeffer 2002) |
//! | cardiac output                        | 0.75     | follows from stroke volume ∝ M¹ × rate ∝ M^−¼ |
//! | systemic and pulmonary resistance     | −0.75    | pressure ∝ M⁰ (West 1997), R = ΔP / Q      |
//! | lung and chest-wall compliance        | 1        | volume ∝ M¹ at pressure ∝ M⁰              |
//! | airway resistance                     | −0.75    | pressure ∝ M⁰, ventilatory flow ∝ M^¾     |
//!
//! Compliances (∝ V/P ∝ M¹) and chamber elastances (∝ M^−1) are not scaled here: the circulation
//! and the heart already scale them from `weight_kg` (`circulation.rs`, `heart.rs`); the
//! parameters here are the adult's (per-75-kg) elastances accordingly.
//!
//! VO2 is a per-kilogram field, so whole-body VO2 ∝ M^¾ gives VO2 per kg ∝ r^−¼: 3.33 mL/kg/min
//! in the adult, about 7.2 at 3.5 kg and 4.6 at 20 kg.
//!
//! What allometry alone does not give: arterial pressure rises with age (a term neonate's mean
//! pressure is near 40–45 mmHg, an adult's near 90), blood volume per kg is higher in the neonate
//! (80–85 mL/kg) and haemoglobin is higher at birth. The function keeps the size-invariant adult
//! pressure, 70 mL/kg and the adult Hb; an age-dependent correction, validated against published
//! norms, is the next step (issue 15).
use crate::presets::healthy_patient;
use crate::twin::{ConfigError, PatientParams};

/// Weight of the adult the presets describe, kg: the circulation's reference size, so the
/// patient's parameters and the circulation's geometry scale from the same adult.
pub const ADULT_WEIGHT_KG: f64 = crate::circulation::REFERENCE_WEIGHT_KG;

/// Allometric exponent of volumes (blood volume): 1 (Lindstedt & Schaeffer 2002).
pub const EXP_VOLUME: f64 = 1.0;
/// Allometric exponent of whole-body metabolism (VO2, VCO2, ventilation): 0.75 (West 1997).
pub const EXP_METABOLISM: f64 = 0.75;
/// Allometric exponent of heart rate (a frequency): −0.25 (Lindstedt & Schaeffer 2002).
pub const EXP_HEART_RATE: f64 = -0.25;
/// Allometric exponent of vascular resistance: pressure ∝ M⁰ and flow ∝ M^¾ give −0.75
/// (West 1997).
pub const EXP_RESISTANCE: f64 = -0.75;

/// Smallest and largest weight the scaling is offered for, kg: from a small term neonate to a
/// large adult.
pub const WEIGHT_RANGE_KG: (f64, f64) = (2.0, 200.0);

/// The healthy patient of `weight_kg`, scaled allometrically from the 75-kg adult.
///
/// Refuses a weight outside [`WEIGHT_RANGE_KG`] (or not finite) with a [`ConfigError`] naming
/// `patient.weight_kg`.
pub fn scaled_patient(weight_kg: f64) -> Result<PatientParams, ConfigError> {
    let (lo, hi) = WEIGHT_RANGE_KG;
    if !(weight_kg.is_finite() && (lo..=hi).contains(&weight_kg)) {
        return Err(ConfigError {
            field: "patient.weight_kg",
            message: format!("{weight_kg} is outside the allowed range {lo}..={hi} kg"),
        });
    }
    let adult = healthy_patient();
    let r = weight_kg / ADULT_WEIGHT_KG;
    Ok(PatientParams {
        weight_kg,
        heart_rate_bpm: adult.heart_rate_bpm * r.powf(EXP_HEART_RATE),
        svr_mmhg_s_ml: adult.svr_mmhg_s_ml * r.powf(EXP_RESISTANCE),
        pvr_mmhg_s_ml: adult.pvr_mmhg_s_ml * r.powf(EXP_RESISTANCE),
        blood_volume_ml: adult.blood_volume_ml * r.powf(EXP_VOLUME),
        // Per-kg VO2: whole-body ∝ M^¾, so per kg ∝ M^−¼.
        vo2_ml_kg_min: adult.vo2_ml_kg_min * r.powf(EXP_METABOLISM - 1.0),
        // VCO2 ∝ M^¾; the same alveolar PCO2 needs alveolar ventilation ∝ M^¾.
        alveolar_ventilation_lpm: adult.alveolar_ventilation_lpm * r.powf(EXP_METABOLISM),
        // Respiratory mechanics (the ventilator's): lung volumes ∝ M¹ at size-invariant
        // pressures give compliance ∝ M¹; flow ∝ M^¾ at those pressures, resistance ∝ M^−¾.
        lung_compliance_ml_cmh2o: adult.lung_compliance_ml_cmh2o * r.powf(EXP_VOLUME),
        chest_wall_compliance_ml_cmh2o: adult.chest_wall_compliance_ml_cmh2o * r.powf(EXP_VOLUME),
        airway_resistance_cmh2o_s_l: adult.airway_resistance_cmh2o_s_l * r.powf(EXP_RESISTANCE),
        ..adult
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn adult_weight_gives_the_adult() {
        assert_eq!(scaled_patient(ADULT_WEIGHT_KG).unwrap(), healthy_patient());
    }

    #[test]
    fn neonate_and_child_follow_the_exponents() {
        let a = healthy_patient();
        let n = scaled_patient(3.5).unwrap();
        let c = scaled_patient(20.0).unwrap();
        // Heart rate ∝ M^−¼: 75 × (3.5/75)^−0.25 ≈ 161; 75 × (20/75)^−0.25 ≈ 104.
        assert!(
            (n.heart_rate_bpm - 161.3).abs() < 0.5,
            "{}",
            n.heart_rate_bpm
        );
        assert!(
            (c.heart_rate_bpm - 104.4).abs() < 0.5,
            "{}",
            c.heart_rate_bpm
        );
        // VO2 per kg: 3.33 × (3.5/75)^−0.25 ≈ 7.2; at 20 kg ≈ 4.6.
        assert!((n.vo2_ml_kg_min - 7.16).abs() < 0.05, "{}", n.vo2_ml_kg_min);
        assert!((c.vo2_ml_kg_min - 4.64).abs() < 0.05, "{}", c.vo2_ml_kg_min);
        // Whole-body VO2 ratio neonate/adult = (3.5/75)^0.75.
        let whole = |p: &PatientParams| p.vo2_ml_kg_min * p.weight_kg;
        let want = (3.5f64 / 75.0).powf(0.75);
        assert!((whole(&n) / whole(&a) - want).abs() < 1e-9);
        // Blood volume per kg is the adult's.
        assert!((n.blood_volume_ml / 3.5 - a.blood_volume_ml / 75.0).abs() < 1e-9);
        // Resistance × (whole-body flow ∝ M^¾) is size-invariant (pressure ∝ M⁰).
        let p = |x: &PatientParams| x.svr_mmhg_s_ml * x.weight_kg.powf(0.75);
        assert!((p(&n) / p(&a) - 1.0).abs() < 1e-9);
        // Alveolar ventilation scales with VCO2, keeping VCO2 / VA (hence PaCO2) constant.
        let ratio = |x: &PatientParams| whole(x) / x.alveolar_ventilation_lpm;
        assert!((ratio(&n) / ratio(&a) - 1.0).abs() < 1e-9);
    }

    #[test]
    fn out_of_range_weight_is_refused() {
        for w in [1.0, 250.0, f64::NAN, f64::INFINITY, -3.0] {
            let e = scaled_patient(w).unwrap_err();
            assert_eq!(e.field, "patient.weight_kg");
        }
    }
}
