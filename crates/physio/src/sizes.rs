//! Patients of other sizes: allometric scaling of the adult, corrected to the published normal
//! values of each age.
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
//! ## What allometry across species does not give: growth ([`norms`])
//!
//! Across species pressure is size-invariant; within one species it is not. A term neonate's
//! mean arterial pressure is about 48 mmHg (Kent 2007), a four-year-old's 64 (NHBPEP 2004), an
//! adult's 85–93; the neonate's cardiac output is 236 mL/kg/min (Alverson 1984), far above the
//! M^−¼ prediction (148), its blood volume 82 mL/kg (Linderkamp 1977) and its Hb 17 g/dL. Below
//! the adult weight the function therefore takes, from published normal values of each age
//! placed at the median weight of that age (WHO 2006 Child Growth Standards):
//!
//! - heart rate: the median of Fleming 2011 (birth, one month, two years) and Ostchega 2011
//!   (five years);
//! - blood volume per kg: Linderkamp 1977;
//! - haemoglobin: Hansen 2022 (neonates), Dallman 1977 (children);
//! - systemic vascular resistance: Ohm's law on the published mean pressure (Kent 2007,
//!   NHBPEP 2004) and cardiac output (Alverson 1984, 1987) of that weight, relative to the adult
//!   preset's own resting pressure and output: `SVR(W) = SVR_adult · (MAP(W) − CVP) /
//!   (MAP_adult − CVP) · CO_adult / CO(W)`.
//!
//! The circulation follows with three laws of growth, so that a neonate's output can flow at a
//! neonate's pressure: heart chambers ∝ M^0.85 ([`crate::heart::chamber_scale`], Graham 1968),
//! vessels with the normal blood volume ([`vessel_scale`]) and the systemic arteries'
//! compliance with the chambers, and the valves' resistances with the normal SVR
//! ([`resistance_scale`]).
//!
//! Every norm is a smooth (C¹, monotone between anchors) curve in ln W through its anchors
//! ([`NormCurve`]), so every weight from 2 to 75 kg has its own patient; at and above 75 kg the
//! adult and pure allometry hold unchanged (the 75-kg result is bit-identical to the preset).
//! VO2 per kg keeps the allometric M^−¼ (7.2 mL/kg/min at 3.5 kg; resting term neonates
//! 6–7 after the first day, Hey 1969 [M]), PVR and the respiratory mechanics keep theirs.
//! The twin's results against these norms are `ecmo validate`'s "patient sizes" cases.
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

/// Median weights of boys at the ages the norms are published for, kg (WHO 2006 Child Growth
/// Standards, weight-for-age; beyond five years the WHO 2007 growth reference).
pub mod age_weight {
    pub const BIRTH: f64 = 3.3;
    pub const ONE_MONTH: f64 = 4.5;
    pub const ONE_YEAR: f64 = 9.6;
    pub const TWO_YEARS: f64 = 12.2;
    pub const THREE_YEARS: f64 = 14.3;
    pub const FOUR_YEARS: f64 = 16.3;
    pub const FIVE_YEARS: f64 = 18.3;
    /// 2.5 years (the middle of Linderkamp's 2–3-year group).
    pub const TWO_AND_HALF_YEARS: f64 = 13.3;
    /// 12.5 years (the middle of Linderkamp's 11–14-year group; WHO 2007).
    pub const TWELVE_AND_HALF_YEARS: f64 = 42.0;
    /// 9 years (the middle of Dallman's 6–12-year group; WHO 2007).
    pub const NINE_YEARS: f64 = 28.5;
}

/// A normal value as a smooth function of weight: a monotone piecewise-cubic Hermite curve
/// (Fritsch & Carlson 1980, SIAM J Numer Anal 17:238) in ln(weight) through published anchors
/// `(weight kg, value)`, constant beyond the first and last. C¹; it never overshoots an anchor,
/// so a norm stays between its neighbouring published values.
#[derive(Clone, Copy, Debug)]
pub struct NormCurve {
    pub anchors: &'static [(f64, f64)],
}

impl NormCurve {
    /// The value at `weight_kg`.
    pub fn at(&self, weight_kg: f64) -> f64 {
        let a = self.anchors;
        let n = a.len();
        if n == 0 {
            return f64::NAN;
        }
        let w = if weight_kg.is_nan() {
            a[0].0
        } else {
            weight_kg
        };
        if n == 1 || w <= a[0].0 {
            return a[0].1;
        }
        if w >= a[n - 1].0 {
            return a[n - 1].1;
        }
        let x = |i: usize| a[i].0.ln();
        let secant = |i: usize| (a[i + 1].1 - a[i].1) / (x(i + 1) - x(i));
        // Fritsch–Butland weighted harmonic mean at interior anchors, 0 at extrema; one-sided
        // secants at the ends.
        let slope = |i: usize| -> f64 {
            if i == 0 {
                return secant(0);
            }
            if i == n - 1 {
                return secant(n - 2);
            }
            let (d0, d1) = (secant(i - 1), secant(i));
            if d0 * d1 <= 0.0 {
                return 0.0;
            }
            let (h0, h1) = (x(i) - x(i - 1), x(i + 1) - x(i));
            3.0 * (h0 + h1) / ((2.0 * h1 + h0) / d0 + (h1 + 2.0 * h0) / d1)
        };
        let lw = w.ln();
        let mut k = 0;
        while k + 2 < n && lw > x(k + 1) {
            k += 1;
        }
        let h = x(k + 1) - x(k);
        let t = (lw - x(k)) / h;
        let (t2, t3) = (t * t, t * t * t);
        let (y0, y1) = (a[k].1, a[k + 1].1);
        (2.0 * t3 - 3.0 * t2 + 1.0) * y0
            + (t3 - 2.0 * t2 + t) * h * slope(k)
            + (-2.0 * t3 + 3.0 * t2) * y1
            + (t3 - t2) * h * slope(k + 1)
    }
}

use age_weight as aw;

/// The healthy adult preset's own resting values, against which the norms of smaller patients
/// are scaled (measured in the twin, `tests/presets.rs`; within the adult normal ranges of
/// patient.md): mean arterial pressure, mmHg, and cardiac output, mL/kg/min (5.2 L/min at
/// 75 kg).
pub const ADULT_MAP_MMHG: f64 = 85.0;
pub const ADULT_CO_ML_KG_MIN: f64 = 69.3;
/// Central venous pressure taken in Ohm's law for SVR at every size, mmHg (normal 2–8 at every
/// age, patient.md [M]).
pub const CVP_NORM_MMHG: f64 = 4.0;

/// Median resting heart rate, 1/min: 127 at birth and 145 at one month (Fleming et al. 2011,
/// Lancet 377:1011, centile charts from 143 346 children), 113 at two years (Fleming 2011), 96 at
/// five years (Ostchega et al. 2011, Natl Health Stat Report 41, NHANES 1999–2008 mean), and the
/// adult preset's 75 (adult mean 72, Ostchega 2011).
pub const HEART_RATE: NormCurve = NormCurve {
    anchors: &[
        (aw::BIRTH, 127.0),
        (aw::ONE_MONTH, 145.0),
        (aw::TWO_YEARS, 113.0),
        (aw::FIVE_YEARS, 96.0),
        (ADULT_WEIGHT_KG, 75.0),
    ],
};

/// Mean arterial pressure, mmHg: 48 on the first day of life in 406 healthy term neonates
/// (median; Kent et al. 2007, Pediatr Nephrol 22:1335); for boys at the 50th height and blood
/// pressure percentiles, DBP + (SBP − DBP)/3 of 85/37 at one year, 88/42 at two, 91/46 at three
/// and 93/50 at four (NHBPEP Working Group 2004, Pediatrics 114:555, the Fourth Report); the adult
/// preset's 85 (normal 70–100, patient.md).
pub const MEAN_ARTERIAL_PRESSURE: NormCurve = NormCurve {
    anchors: &[
        (aw::BIRTH, 48.0),
        (aw::ONE_YEAR, 53.0),
        (aw::TWO_YEARS, 57.3),
        (aw::THREE_YEARS, 61.0),
        (aw::FOUR_YEARS, 64.3),
        (ADULT_WEIGHT_KG, ADULT_MAP_MMHG),
    ],
};

/// Cardiac output per kg, mL/kg/min: 236 ± 47 in 14 healthy term infants in the first week
/// (mean weight 3127 g; Alverson et al. 1984, Am J Perinatol 1:148, pulsed Doppler), 204 ± 45 as
/// the mean of serial measurements through the first year (Alverson et al. 1987, J Ultrasound
/// Med 6:519), placed at the first year's mean weight, about 7 kg (WHO 2006); the adult preset's
/// 69.3 (5.2 L/min; cardiac index 2.8 L/min/m² against 3.2 ± 0.5 in healthy adults, Carlsson et
/// al. 2012, J Cardiovasc Magn Reson 14:51).
pub const CARDIAC_OUTPUT: NormCurve = NormCurve {
    anchors: &[
        (3.127, 236.0),
        (7.0, 204.0),
        (ADULT_WEIGHT_KG, ADULT_CO_ML_KG_MIN),
    ],
};

/// Blood volume per kg, mL/kg (Linderkamp et al. 1977, Eur J Pediatr 125:227, 160 infants and
/// children, early cord clamping): 81.9 ± 8.6 on the first day, 84.4 ± 7.5 at 2–30 days, boys
/// 80.5 ± 8.7 at 2–3 years, 76.7 ± 6.3 at 4–6 years, 74.4 ± 5.2 at 11–14 years; the adult
/// preset's 5300 mL / 75 kg (about 70, patient.md). Linderkamp's infant groups (1–24 months:
/// 79.4, 76.6, 82.4, 86.1) scatter around 81 within their SDs and are not anchors.
pub const BLOOD_VOLUME: NormCurve = NormCurve {
    anchors: &[
        (aw::BIRTH, 81.9),
        (4.0, 84.4),
        (aw::TWO_AND_HALF_YEARS, 80.5),
        (aw::FIVE_YEARS, 76.7),
        (aw::TWELVE_AND_HALF_YEARS, 74.4),
        (ADULT_WEIGHT_KG, 5300.0 / ADULT_WEIGHT_KG),
    ],
};

/// Haemoglobin, g/dL: 16.8 in the peripheral blood of newborns (Hansen et al. 2022, Cureus
/// 14:e28009); medians 12.0 at 0.5–2 years, 12.5 at 2–6 years, 13.5 at 6–12 years (Dallman 1977,
/// in Rudolph's Pediatrics, 16th ed.; Dallman & Siimes 1979, J Pediatr 94:26); the adult
/// preset's 14.
pub const HAEMOGLOBIN: NormCurve = NormCurve {
    anchors: &[
        (aw::BIRTH, 16.8),
        (aw::ONE_YEAR, 12.0),
        (aw::FOUR_YEARS, 12.5),
        (aw::NINE_YEARS, 13.5),
        (ADULT_WEIGHT_KG, 14.0),
    ],
};

/// The normal values of a healthy patient of `weight_kg` (below 75 kg the age norms above; at
/// and above, the adult preset's).
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Norms {
    pub heart_rate_bpm: f64,
    pub map_mmhg: f64,
    pub cardiac_output_ml_kg_min: f64,
    pub blood_volume_ml_kg: f64,
    pub hb_g_dl: f64,
}

/// Size of the vessels (their volumes and compliances) relative to the reference adult's:
/// weight/75 times the normal blood volume per kg of that weight over the adult's
/// ([`BLOOD_VOLUME`]), so that the normal blood volume of every age fills its vessels to the
/// same pressures (a neonate's extra 11 mL/kg is held at the adult's venous pressure rather than
/// raising it to 14 mmHg) \[assumption: vessel capacity grows with the blood it holds\]. Exactly
/// weight/75 from 75 kg up. The actual blood volume of a patient (bleeding, transfusion, an
/// overloaded preset) still changes the pressures.
pub fn vessel_scale(weight_kg: f64) -> f64 {
    let s = weight_kg / ADULT_WEIGHT_KG;
    if s < 1.0 {
        s * BLOOD_VOLUME.at(weight_kg) / (5300.0 / ADULT_WEIGHT_KG)
    } else {
        s
    }
}

/// The normal systemic vascular resistance of `weight_kg`, mmHg·s/mL: the adult preset's
/// scaled by M^−¾ from 75 kg up, and below it by Ohm's law on the age norms relative to the
/// adult preset's own pressure and output (see [`scaled_patient`]).
pub fn normal_svr(weight_kg: f64) -> f64 {
    let adult = crate::presets::healthy_patient().svr_mmhg_s_ml;
    if weight_kg < ADULT_WEIGHT_KG {
        let n = norms(weight_kg);
        let pressure = (n.map_mmhg - CVP_NORM_MMHG) / (ADULT_MAP_MMHG - CVP_NORM_MMHG);
        let flow =
            (n.cardiac_output_ml_kg_min * weight_kg) / (ADULT_CO_ML_KG_MIN * ADULT_WEIGHT_KG);
        adult * pressure / flow
    } else {
        adult * (weight_kg / ADULT_WEIGHT_KG).powf(EXP_RESISTANCE)
    }
}

/// The factor by which the circulation's fixed resistances (valves, aortic segments, branch
/// arteries) are divided at `weight_kg`: the adult's SVR over [`normal_svr`], so that they keep
/// the adult's share of the pressure drop at every size (M^¾ from 75 kg up; a neonate's, whose
/// output per kg is three times the adult's at 0.55 of its pressure, a little larger).
pub fn resistance_scale(weight_kg: f64) -> f64 {
    let s = weight_kg / ADULT_WEIGHT_KG;
    if s < 1.0 {
        crate::presets::healthy_patient().svr_mmhg_s_ml / normal_svr(weight_kg)
    } else {
        s.powf(-EXP_RESISTANCE)
    }
}

/// The published normal values at `weight_kg` (the curves above).
pub fn norms(weight_kg: f64) -> Norms {
    Norms {
        heart_rate_bpm: HEART_RATE.at(weight_kg),
        map_mmhg: MEAN_ARTERIAL_PRESSURE.at(weight_kg),
        cardiac_output_ml_kg_min: CARDIAC_OUTPUT.at(weight_kg),
        blood_volume_ml_kg: BLOOD_VOLUME.at(weight_kg),
        hb_g_dl: HAEMOGLOBIN.at(weight_kg),
    }
}

/// The healthy patient of `weight_kg`: scaled allometrically from the 75-kg adult and, below
/// it, given the heart rate, blood volume, Hb and systemic resistance of the age norms.
///
/// Refuses a weight outside [`WEIGHT_RANGE_KG`] (or not finite) with a [`ConfigError`] naming
/// `patient.weight_kg`.
pub fn scaled_patient(weight_kg: f64) -> Result<PatientParams, ConfigError> {
    let (lo, hi) = WEIGHT_RANGE_KG;
    crate::twin::check("patient.weight_kg", weight_kg, lo, hi, "kg")?;
    let adult = healthy_patient();
    let r = weight_kg / ADULT_WEIGHT_KG;
    let mut p = PatientParams {
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
    };
    // Above about 150 kg the allometric lung and chest-wall compliances pass the fields' upper
    // bound (400 mL/cmH2O, patient.rs): held there.
    let c_max = crate::patient::patient_field("lung_compliance_ml_cmh2o").map_or(400.0, |f| f.max);
    p.lung_compliance_ml_cmh2o = p.lung_compliance_ml_cmh2o.min(c_max);
    p.chest_wall_compliance_ml_cmh2o = p.chest_wall_compliance_ml_cmh2o.min(c_max);
    if weight_kg < ADULT_WEIGHT_KG {
        let n = norms(weight_kg);
        p.heart_rate_bpm = n.heart_rate_bpm;
        p.blood_volume_ml = n.blood_volume_ml_kg * weight_kg;
        p.hb_g_dl = n.hb_g_dl;
        // Ohm's law on the norms, relative to the adult preset's own pressure and output.
        p.svr_mmhg_s_ml = normal_svr(weight_kg);
    }
    Ok(p)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn adult_weight_gives_the_adult() {
        assert_eq!(scaled_patient(ADULT_WEIGHT_KG).unwrap(), healthy_patient());
    }

    #[test]
    fn above_the_adult_pure_allometry_holds() {
        let a = healthy_patient();
        let b = scaled_patient(150.0).unwrap();
        // Heart rate ∝ M^−¼: 75 × 2^−0.25 ≈ 63.1.
        assert!(
            (b.heart_rate_bpm - 63.07).abs() < 0.05,
            "{}",
            b.heart_rate_bpm
        );
        assert!((b.blood_volume_ml - 2.0 * a.blood_volume_ml).abs() < 1e-9);
        assert_eq!(b.hb_g_dl, a.hb_g_dl);
        let p = |x: &PatientParams| x.svr_mmhg_s_ml * x.weight_kg.powf(0.75);
        assert!((p(&b) / p(&a) - 1.0).abs() < 1e-9);
    }

    #[test]
    fn neonate_and_child_take_the_age_norms() {
        let n = scaled_patient(3.5).unwrap();
        let c = scaled_patient(20.0).unwrap();
        // Heart rate between Fleming's 127 (birth) and 145 (one month); the child's between
        // Ostchega's 96 at five years and the adult's 75.
        assert!(
            (127.0..145.0).contains(&n.heart_rate_bpm),
            "{}",
            n.heart_rate_bpm
        );
        assert!(
            (85.0..96.0).contains(&c.heart_rate_bpm),
            "{}",
            c.heart_rate_bpm
        );
        // Blood volume per kg: Linderkamp's newborns 82-84; children about 76.
        let bv = |p: &PatientParams| p.blood_volume_ml / p.weight_kg;
        assert!((81.9..84.4).contains(&bv(&n)), "{}", bv(&n));
        assert!((74.4..76.7).contains(&bv(&c)), "{}", bv(&c));
        // Hb: newborn near 16.8, child 12.5-13.5.
        assert!((16.0..16.8).contains(&n.hb_g_dl), "{}", n.hb_g_dl);
        assert!((12.5..13.5).contains(&c.hb_g_dl), "{}", c.hb_g_dl);
        // VO2 per kg keeps the allometric M^−¼: 3.33 × (3.5/75)^−0.25 ≈ 7.2; at 20 kg ≈ 4.6.
        assert!((n.vo2_ml_kg_min - 7.16).abs() < 0.05, "{}", n.vo2_ml_kg_min);
        assert!((c.vo2_ml_kg_min - 4.64).abs() < 0.05, "{}", c.vo2_ml_kg_min);
        // SVR by Ohm's law on the norms: the neonate's below the allometric 0.9 × (3.5/75)^−¾.
        let allo = 0.9 * (3.5f64 / 75.0).powf(-0.75);
        assert!(
            n.svr_mmhg_s_ml < 0.5 * allo,
            "{} vs {allo}",
            n.svr_mmhg_s_ml
        );
        // Alveolar ventilation scales with VCO2, keeping VCO2 / VA (hence PaCO2) constant.
        let a = healthy_patient();
        let whole = |p: &PatientParams| p.vo2_ml_kg_min * p.weight_kg;
        let ratio = |x: &PatientParams| whole(x) / x.alveolar_ventilation_lpm;
        assert!((ratio(&n) / ratio(&a) - 1.0).abs() < 1e-9);
    }

    #[test]
    fn norm_curves_pass_their_anchors_and_stay_between_them() {
        for curve in [
            HEART_RATE,
            MEAN_ARTERIAL_PRESSURE,
            CARDIAC_OUTPUT,
            BLOOD_VOLUME,
            HAEMOGLOBIN,
        ] {
            let a = curve.anchors;
            for &(w, v) in a {
                assert!(
                    (curve.at(w) - v).abs() < 1e-9,
                    "{w}: {} vs {v}",
                    curve.at(w)
                );
            }
            for pair in a.windows(2) {
                let (lo, hi) = (pair[0].1.min(pair[1].1), pair[0].1.max(pair[1].1));
                for k in 1..20 {
                    let w = pair[0].0 + (pair[1].0 - pair[0].0) * k as f64 / 20.0;
                    let v = curve.at(w);
                    assert!(
                        v >= lo - 1e-9 && v <= hi + 1e-9,
                        "{w}: {v} outside {lo}..{hi}"
                    );
                }
            }
            // Constant beyond the ends, finite everywhere.
            assert_eq!(curve.at(1.0), a[0].1);
            assert_eq!(curve.at(500.0), a[a.len() - 1].1);
            assert!(curve.at(f64::NAN).is_finite());
        }
    }

    #[test]
    fn every_weight_gives_a_valid_patient_continuous_in_weight() {
        let mut last: Option<PatientParams> = None;
        let mut w = 2.0;
        while w <= 200.0 {
            let p = scaled_patient(w).unwrap();
            p.validate().unwrap();
            if let Some(q) = last {
                // 0.5 % steps in weight move no parameter by more than 3 %.
                for (x, y) in [
                    (p.heart_rate_bpm, q.heart_rate_bpm),
                    (p.svr_mmhg_s_ml, q.svr_mmhg_s_ml),
                    (
                        p.blood_volume_ml / p.weight_kg,
                        q.blood_volume_ml / q.weight_kg,
                    ),
                    (p.hb_g_dl, q.hb_g_dl),
                ] {
                    assert!((x / y - 1.0).abs() < 0.03, "{w} kg: {x} vs {y}");
                }
            }
            last = Some(p);
            w *= 1.005;
        }
    }

    #[test]
    fn out_of_range_weight_is_refused() {
        for w in [1.0, 250.0, f64::NAN, f64::INFINITY, -3.0] {
            let e = scaled_patient(w).unwrap_err();
            assert_eq!(e.field, "patient.weight_kg");
        }
    }
}
