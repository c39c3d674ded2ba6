//! Anticoagulation and thrombosis over days: heparin pharmacokinetics (anti-Xa, ACT), circuit
//! coating, thrombus in the oxygenator and the pump head.
//!
//! Slow subsystem: stable (and accurate) for steps from 1 ms to 10 min.
//!
//! # Heparin
//!
//! One compartment of volume Vd = 70 mL/kg (about plasma volume; Hirsh et al. 2001, Chest
//! 119:64S) with the two elimination routes Hirsh describes: a rapid saturable one
//! (Michaelis–Menten, endothelial and reticuloendothelial binding), which is what makes the
//! apparent half-life grow with dose, and a slower first-order renal one, which keeps a steady
//! state for any infusion:
//!
//! ```text
//! dC/dt = I/Vd − (Vmax/Vd)·C/(Km + C) − (CL_r/Vd)·C        C in U/mL = anti-Xa IU/mL
//! ```
//!
//! | parameter | value | basis |
//! |---|---|---|
//! | Vd | 70 mL/kg | Hirsh 2001 |
//! | Km | 0.5 U/mL | shape of the dose dependence: half-life 30 → 60 → 150 min after 25 → 100 → 400 U/kg (Hirsh 2001; de Swart et al. 1982, Blood 60:1251), ratios 1 : 2 : 5; the model gives 1 : 1.9 : 4.5 (63, 118, 285 min) |
//! | CL_r | 0.05 mL/kg/min | assumption: a minor share (1/12) of total clearance at therapeutic levels |
//! | Vmax | 0.55 U/kg/min | total clearance 0.6 mL/kg/min at anti-Xa 0.5, so that the weight-based maintenance infusion of 18 U/kg/h (Raschke et al. 1993, Ann Intern Med 119:874) holds anti-Xa at 0.5, inside 0.3–0.7 |
//!
//! The absolute half-lives come out about twice the healthy-volunteer values (patients clear
//! heparin more slowly than volunteers; an infusion nomogram and volunteer half-lives cannot both
//! be met by one clearance). Anti-Xa equals the UFH concentration in U/mL (the assay is
//! calibrated against UFH).
//!
//! ACT from anti-Xa: ACT = 120 + 124·aXa^0.6 s, fitted through a baseline of 120 s (normal
//! 110–130) and the ELSO target pairs of circuit.md (anti-Xa 0.3 → ACT 180, 0.7 → 220); it gives
//! about 400 s at 4 IU/mL, the bypass range.
//!
//! # Thrombus
//!
//! Thrombus grows autocatalytically (deposited clot and activated platelets recruit more) and
//! saturates as the surface is used up:
//!
//! ```text
//! df/dt = r·(f + ε)·(1 − f),    r = r0 · coating · heparin(aXa) · flow(Q) · site
//! ```
//!
//! Over a step with constant r this Riccati equation has the exact solution
//! (f + ε)/(1 − f) ∝ e^{r(1+ε)t}, used by [`Thrombus::step`], so any step is exact.
//!
//! | factor | law | basis |
//! |---|---|---|
//! | r0 | 4.3 /day | uncoated, no heparin, full flow: oxygenator change-out due ([`CHANGE_OUT_FRACTION`]) in about 1.5 days |
//! | coating | uncoated 1, heparin-bonded 0.5, long-acting 0.2 | assumption ordering the surfaces as circuit.md asks |
//! | heparin | 1/(1 + aXa/0.085) | with heparin-bonded at aXa 0.5: change-out in about 3 weeks ("weeks") |
//! | flow | 1 + 9/(1 + (Q/1 L/min)⁴) | about 1 above 2 L/min, 5.5× at 1 L/min, 10× at stasis: flow below 1–1.5 L/min raises thrombosis risk (circuit.md) |
//! | site | oxygenator 1, pump head 0.3 | pump-head thrombosis is rarer than oxygenator thrombosis \[M\] |
//! | device (oxygenator only) | (V_prime/A) / (215 mL / 1.8 m²) | see below |
//! | ε | 0.001 | seed of adsorbed protein and platelets |
//!
//! # Devices differ
//!
//! The clot fraction f is the share of the membrane lost. Clot forms where blood is slow: in
//! the low-velocity and stagnant regions of the bundle and its manifolds (Gartner et al. 2000,
//! Artif Organs 24:29: thrombotic deposition in a membrane oxygenator followed the regions of low
//! blood velocity), and an adult PMP oxygenator clots first at its blood inlet and in the
//! corners of its housing \[M\]. Per unit of membrane, the blood that can clot on it grows with
//! the blood volume held over each m² of fibre: the priming volume divided by the membrane area
//! (a wider blood path, larger manifolds or dead corners hold more slow blood per m²). The
//! oxygenator's growth rate is therefore scaled by
//!
//! ```text
//! device = (V_prime / A) / (V_ref / A_ref),   V_ref = 215 mL, A_ref = 1.8 m²
//! ```
//!
//! the reference being the adult PMP device of circuit.md (1.8 m², priming about 215 mL), which
//! the base rate r0 describes (device = 1, so the reference device and every earlier result are
//! unchanged). The law is linear and an assumption \[assumption\]; what drives it are the
//! published priming volume and membrane area of each device (catalogue, [`crate::oxygenator`]).
//! With it the Quadrox-i small adult (175 mL over 1.3 m², 135 mL/m²) clots about 13 % faster
//! than the adult device (119 mL/m²), so two devices that differ no longer tie on change-out
//! day. The coating (surface material) is the separate factor above. Typical clinical run
//! times of modern PMP oxygenators are one to a few weeks: the Regensburg registry counted
//! 4,142 ECMO days on 318 VV patients (about 13 days each) on modern miniaturised systems
//! (Lehle et al. 2015, PLoS One, PMC4659553), with the ELSO rule that a membrane is
//! changed for rising ΔP, falling transfer or consumptive coagulopathy rather than on a
//! schedule \[M\]; the heparin-bonded reference device at anti-Xa 0.5 reaches
//! [`CHANGE_OUT_FRACTION`] in 14–35 days (tested).
//!
//! Not modelled: antithrombin, heparin resistance, HIT, platelet count, fibrinolysis, bleeding.

/// Thrombogenicity of the blood-contacting surface.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Coating {
    Uncoated,
    HeparinBonded,
    /// Long-acting anticoagulant coating.
    LongActing,
}

impl Coating {
    /// Relative thrombogenicity (module table).
    pub fn factor(self) -> f64 {
        match self {
            Coating::Uncoated => 1.0,
            Coating::HeparinBonded => 0.5,
            Coating::LongActing => 0.2,
        }
    }

    /// Parse "uncoated", "heparin-bonded" or "long-acting".
    pub fn by_name(name: &str) -> Option<Self> {
        match name.trim().to_ascii_lowercase().as_str() {
            "uncoated" => Some(Coating::Uncoated),
            "heparin-bonded" => Some(Coating::HeparinBonded),
            "long-acting" => Some(Coating::LongActing),
            _ => None,
        }
    }
}

/// Volume of distribution of UFH, mL/kg.
pub const HEPARIN_VD_ML_KG: f64 = 70.0;
/// Michaelis constant of the saturable elimination, U/mL.
pub const HEPARIN_KM_U_ML: f64 = 0.5;
/// Maximal rate of the saturable elimination, U/kg/min.
pub const HEPARIN_VMAX_U_KG_MIN: f64 = 0.55;
/// First-order (renal) clearance, mL/kg/min.
pub const HEPARIN_RENAL_CL_ML_KG_MIN: f64 = 0.05;
/// Baseline ACT without heparin, s.
pub const ACT_BASELINE_S: f64 = 120.0;

/// Unfractionated heparin in the patient.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Heparin {
    /// Body weight, kg (clamped to 1–300).
    pub weight_kg: f64,
    /// Plasma concentration, U/mL (= anti-Xa, IU/mL).
    pub conc_u_ml: f64,
    /// Continuous infusion, U/h.
    pub infusion_u_h: f64,
}

impl Heparin {
    pub fn new(weight_kg: f64) -> Self {
        let w = if weight_kg.is_finite() {
            weight_kg.clamp(1.0, 300.0)
        } else {
            70.0
        };
        Heparin {
            weight_kg: w,
            conc_u_ml: 0.0,
            infusion_u_h: 0.0,
        }
    }

    fn vd_ml(&self) -> f64 {
        HEPARIN_VD_ML_KG * self.weight_kg
    }

    /// Intravenous bolus, U (negative or non-finite ignored).
    pub fn bolus(&mut self, units: f64) {
        if units.is_finite() && units > 0.0 {
            self.conc_u_ml = (self.conc_u_ml + units / self.vd_ml()).min(100.0);
        }
    }

    /// Continuous infusion rate, U/h (clamped to 0–100 000).
    pub fn set_infusion(&mut self, units_per_h: f64) {
        self.infusion_u_h = if units_per_h.is_finite() {
            units_per_h.clamp(0.0, 100_000.0)
        } else {
            0.0
        };
    }

    /// Advance by `dt_s`: backward Euler on substeps of at most 60 s (each an exactly solved
    /// quadratic, so unconditionally stable and never negative).
    pub fn step(&mut self, dt_s: f64) {
        let dt_total = if dt_s.is_finite() {
            dt_s.clamp(0.0, 30.0 * 86_400.0)
        } else {
            0.0
        };
        if dt_total <= 0.0 {
            return;
        }
        let n = (dt_total / 60.0).ceil().clamp(1.0, 1e6) as usize;
        let h = dt_total / n as f64 / 60.0; // min
        let vd = self.vd_ml();
        let input = self.infusion_u_h / 60.0 / vd; // U/mL/min
        let vmax = HEPARIN_VMAX_U_KG_MIN * self.weight_kg / vd; // U/mL/min
        let kr = HEPARIN_RENAL_CL_ML_KG_MIN * self.weight_kg / vd; // 1/min
        let km = HEPARIN_KM_U_ML;
        let mut c = if self.conc_u_ml.is_finite() {
            self.conc_u_ml.max(0.0)
        } else {
            0.0
        };
        for _ in 0..n {
            // c'(Km + c')(1 + h·kr) = (c + h·I)(Km + c') − h·Vmax·c': a quadratic with one
            // non-negative root.
            let a = c + h * input;
            let q2 = 1.0 + h * kr;
            let q1 = km * q2 - a + h * vmax;
            c = (-q1 + (q1 * q1 + 4.0 * q2 * a * km).sqrt()) / (2.0 * q2);
        }
        self.conc_u_ml = c.max(0.0);
    }

    pub fn anti_xa_iu_ml(&self) -> f64 {
        self.conc_u_ml
    }

    pub fn act_s(&self) -> f64 {
        act_from_anti_xa(self.conc_u_ml)
    }
}

/// Activated clotting time, s, from anti-Xa activity, IU/mL (module docs).
pub fn act_from_anti_xa(anti_xa_iu_ml: f64) -> f64 {
    let x = if anti_xa_iu_ml.is_finite() {
        anti_xa_iu_ml.clamp(0.0, 20.0)
    } else {
        0.0
    };
    ACT_BASELINE_S + 124.0 * x.powf(0.6)
}

/// The anti-Xa activity, IU/mL, that gives `act_s` by [`act_from_anti_xa`] (its inverse; 0 at
/// or below the baseline).
pub fn anti_xa_from_act(act_s: f64) -> f64 {
    if !act_s.is_finite() || act_s <= ACT_BASELINE_S {
        return 0.0;
    }
    (((act_s - ACT_BASELINE_S) / 124.0).powf(1.0 / 0.6)).min(20.0)
}

/// Conditions the thrombus grows under during one step.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct ClotDrivers {
    pub anti_xa_iu_ml: f64,
    pub circuit_flow_lpm: f64,
    pub coating: Coating,
    /// Thrombogenicity of the oxygenator's design relative to the reference device
    /// ([`oxygenator_device_factor`]); 1 for the reference. Applies to the oxygenator only.
    pub oxygenator_device: f64,
}

/// Priming volume of the reference oxygenator the base rate describes, mL (adult PMP device,
/// circuit.md: about 1.8 m², priming about 215 mL \[M\]).
pub const REFERENCE_PRIMING_ML: f64 = 215.0;
/// Membrane area of the reference oxygenator, m² (circuit.md).
pub const REFERENCE_AREA_M2: f64 = 1.8;

/// Clot growth of an oxygenator design relative to the reference device: its blood volume per
/// m² of membrane over the reference's (module docs, "Devices differ"). Non-finite or
/// non-positive inputs give 1 (the reference); the result is clamped to 0.2–5.
pub fn oxygenator_device_factor(priming_ml: f64, area_m2: f64) -> f64 {
    if !(priming_ml.is_finite() && area_m2.is_finite() && priming_ml > 0.0 && area_m2 > 0.0) {
        return 1.0;
    }
    ((priming_ml / area_m2) / (REFERENCE_PRIMING_ML / REFERENCE_AREA_M2)).clamp(0.2, 5.0)
}

/// Clot fraction at which an oxygenator change-out is due: ΔP 2.8× clean (ΔP ∝ 1/(1 − f)²,
/// see [`crate::oxygenator`]) and 40 % of the membrane lost.
pub const CHANGE_OUT_FRACTION: f64 = 0.4;
/// Base growth rate, per second (4.3 per day).
pub const R0_PER_S: f64 = 4.3 / 86_400.0;
/// Seed ε of the autocatalytic law.
pub const SEED: f64 = 0.001;
/// Anti-Xa at which heparin halves growth, IU/mL.
pub const ANTI_XA_HALF: f64 = 0.085;
/// Pump-head growth relative to the oxygenator.
pub const PUMP_SITE_FACTOR: f64 = 0.3;

impl ClotDrivers {
    /// Growth rate r for the oxygenator, per second (module table), its device factor included.
    pub fn rate_per_s(&self) -> f64 {
        let device = if self.oxygenator_device.is_finite() {
            self.oxygenator_device.clamp(0.0, 5.0)
        } else {
            1.0
        };
        self.circuit_rate_per_s() * device
    }

    /// Growth rate without the oxygenator's device factor (what the pump head sees before its
    /// site factor), per second.
    pub fn circuit_rate_per_s(&self) -> f64 {
        let axa = if self.anti_xa_iu_ml.is_finite() {
            self.anti_xa_iu_ml.max(0.0)
        } else {
            0.0
        };
        let q = if self.circuit_flow_lpm.is_finite() {
            self.circuit_flow_lpm.abs()
        } else {
            0.0
        };
        let heparin = 1.0 / (1.0 + axa / ANTI_XA_HALF);
        let flow = 1.0 + 9.0 / (1.0 + q.min(100.0).powi(4));
        R0_PER_S * self.coating.factor() * heparin * flow
    }
}

/// Thrombus burden of the circuit.
#[derive(Clone, Copy, Debug, PartialEq, Default)]
pub struct Thrombus {
    /// Share of the oxygenator's membrane lost, 0..1.
    pub oxygenator_fraction: f64,
    /// Share of the pump head's clearance lost, 0..1.
    pub pump_fraction: f64,
}

/// Exact step of df/dt = r (f + ε)(1 − f).
fn grow(f: f64, r: f64, dt: f64) -> f64 {
    let f = if f.is_finite() {
        f.clamp(0.0, 1.0)
    } else {
        0.0
    };
    if f >= 1.0 {
        return 1.0;
    }
    let ratio = (f + SEED) / (1.0 - f);
    let x = (r * (1.0 + SEED) * dt).min(700.0);
    let ratio = ratio * x.exp();
    ((ratio - SEED) / (1.0 + ratio)).clamp(f, 1.0)
}

impl Thrombus {
    pub fn step(&mut self, dt_s: f64, drivers: &ClotDrivers) {
        let dt = if dt_s.is_finite() { dt_s.max(0.0) } else { 0.0 };
        self.oxygenator_fraction = grow(self.oxygenator_fraction, drivers.rate_per_s(), dt);
        self.pump_fraction = grow(
            self.pump_fraction,
            drivers.circuit_rate_per_s() * PUMP_SITE_FACTOR,
            dt,
        );
    }

    /// Whether the oxygenator is due for change-out ([`CHANGE_OUT_FRACTION`]).
    pub fn oxygenator_change_due(&self) -> bool {
        self.oxygenator_fraction >= CHANGE_OUT_FRACTION
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn apparent_half_life_min(dose_u_kg: f64) -> f64 {
        let mut h = Heparin::new(80.0);
        h.bolus(dose_u_kg * 80.0);
        let c0 = h.anti_xa_iu_ml();
        let mut t = 0.0;
        while h.anti_xa_iu_ml() > c0 / 2.0 {
            h.step(10.0);
            t += 10.0;
        }
        t / 60.0
    }

    #[test]
    fn half_life_grows_with_dose() {
        let (a, b, c) = (
            apparent_half_life_min(25.0),
            apparent_half_life_min(100.0),
            apparent_half_life_min(400.0),
        );
        // Hirsh 2001 ratios 1 : 2 : 5.
        assert!((b / a - 2.0).abs() < 0.4, "{a} {b} {c}");
        assert!((c / a - 5.0).abs() < 1.5, "{a} {b} {c}");
    }

    #[test]
    fn nomogram_reaches_target() {
        // Raschke 1993: 80 U/kg bolus, 18 U/kg/h.
        let mut h = Heparin::new(80.0);
        h.bolus(80.0 * 80.0);
        assert!((h.anti_xa_iu_ml() - 80.0 / 70.0).abs() < 1e-9);
        h.set_infusion(18.0 * 80.0);
        for _ in 0..(24 * 6) {
            h.step(600.0);
        }
        let axa = h.anti_xa_iu_ml();
        assert!((0.3..=0.7).contains(&axa), "{axa}");
        assert!((180.0..=220.0).contains(&h.act_s()), "{}", h.act_s());
        // Stop: falls back towards baseline.
        h.set_infusion(0.0);
        h.step(12.0 * 3600.0);
        assert!(h.anti_xa_iu_ml() < 0.05 && h.act_s() < 150.0);
    }

    #[test]
    fn any_infusion_has_a_steady_state() {
        // 60 U/kg/h exceeds the saturable route's capacity; the renal route still bounds it.
        let mut h = Heparin::new(80.0);
        h.set_infusion(60.0 * 80.0);
        h.step(20.0 * 86_400.0);
        let a = h.anti_xa_iu_ml();
        h.step(86_400.0);
        assert!((h.anti_xa_iu_ml() - a).abs() < 0.01 * a, "{a}");
        assert!(a.is_finite() && a < 100.0);
    }

    #[test]
    fn act_mapping() {
        assert_eq!(act_from_anti_xa(0.0), ACT_BASELINE_S);
        assert!((act_from_anti_xa(0.3) - 180.0).abs() < 2.0);
        assert!((act_from_anti_xa(0.7) - 220.0).abs() < 2.0);
        assert!(act_from_anti_xa(4.0) > 380.0);
    }

    #[test]
    fn heparin_step_size_independence() {
        let mut a = Heparin::new(70.0);
        let mut b = Heparin::new(70.0);
        for h in [&mut a, &mut b] {
            h.bolus(5000.0);
            h.set_infusion(1000.0);
        }
        for _ in 0..(6 * 3600 * 10) {
            a.step(0.1);
        }
        for _ in 0..36 {
            b.step(600.0);
        }
        assert!(
            (a.anti_xa_iu_ml() - b.anti_xa_iu_ml()).abs() < 0.01,
            "{a:?} {b:?}"
        );
    }

    fn days_to_change_out(coating: Coating, anti_xa: f64, flow: f64) -> f64 {
        days_to_change_out_with(coating, anti_xa, flow, 1.0)
    }

    fn days_to_change_out_with(coating: Coating, anti_xa: f64, flow: f64, device: f64) -> f64 {
        let d = ClotDrivers {
            anti_xa_iu_ml: anti_xa,
            circuit_flow_lpm: flow,
            coating,
            oxygenator_device: device,
        };
        let mut t = Thrombus::default();
        let mut days = 0.0;
        while !t.oxygenator_change_due() && days < 365.0 {
            t.step(600.0, &d);
            days += 600.0 / 86_400.0;
        }
        days
    }

    #[test]
    fn clotting_time_scales() {
        let bare = days_to_change_out(Coating::Uncoated, 0.0, 4.0);
        assert!(
            (1.0..=2.0).contains(&bare),
            "uncoated, no heparin: {bare} d"
        );
        let usual = days_to_change_out(Coating::HeparinBonded, 0.5, 4.0);
        assert!(
            (14.0..=35.0).contains(&usual),
            "heparin-bonded, aXa 0.5: {usual} d"
        );
        let low = days_to_change_out(Coating::HeparinBonded, 0.3, 4.0);
        let high = days_to_change_out(Coating::HeparinBonded, 0.7, 4.0);
        assert!(low >= 7.0 && high > low, "{low} {high}");
        // Orderings: coating, flow.
        let la = days_to_change_out(Coating::LongActing, 0.5, 4.0);
        assert!(la > usual);
        assert!(days_to_change_out(Coating::HeparinBonded, 0.5, 0.8) < 0.5 * usual);
    }

    #[test]
    fn oxygenators_that_differ_get_different_change_out_days() {
        use crate::oxygenator::OxygenatorModel;
        let days = |m: &OxygenatorModel| {
            days_to_change_out_with(
                Coating::HeparinBonded,
                0.5,
                4.0,
                oxygenator_device_factor(m.priming_ml, m.area_m2),
            )
        };
        let adult = OxygenatorModel::quadrox_adult();
        let small = OxygenatorModel::quadrox_small_adult();
        // The reference device is the base rate: factor exactly 1.
        assert_eq!(
            oxygenator_device_factor(adult.priming_ml, adult.area_m2),
            1.0
        );
        let (d_adult, d_small) = (days(&adult), days(&small));
        // More blood per m² of membrane (135 vs 119 mL/m²): earlier, by more than the bench's
        // 3 % equivalence margin; the same device twice: the same day.
        assert!(d_small < 0.95 * d_adult, "{d_small} vs {d_adult}");
        assert_eq!(days(&adult), d_adult);
        // The small ECCO2R membrane (60 mL over 0.4 m²) clots faster still per m².
        assert!(days(&OxygenatorModel::ecco2r_04()) < d_small);
        // The reference device still lasts weeks with heparin-bonded surfaces at anti-Xa 0.5.
        assert!((14.0..=35.0).contains(&d_adult), "{d_adult}");
        // The pump head does not see the oxygenator's design.
        let drivers = |dev: f64| ClotDrivers {
            anti_xa_iu_ml: 0.3,
            circuit_flow_lpm: 4.0,
            coating: Coating::HeparinBonded,
            oxygenator_device: dev,
        };
        let (mut a, mut b) = (Thrombus::default(), Thrombus::default());
        a.step(86_400.0 * 5.0, &drivers(1.0));
        b.step(86_400.0 * 5.0, &drivers(2.0));
        assert_eq!(a.pump_fraction, b.pump_fraction);
        assert!(b.oxygenator_fraction > a.oxygenator_fraction);
        // Nonsense designs fall back to the reference.
        assert_eq!(oxygenator_device_factor(f64::NAN, 1.8), 1.0);
        assert_eq!(oxygenator_device_factor(215.0, 0.0), 1.0);
    }

    #[test]
    fn thrombus_exact_in_step_size() {
        let d = ClotDrivers {
            anti_xa_iu_ml: 0.2,
            circuit_flow_lpm: 1.2,
            coating: Coating::HeparinBonded,
            oxygenator_device: 1.0,
        };
        let (mut a, mut b) = (Thrombus::default(), Thrombus::default());
        for _ in 0..86_400 {
            a.step(1.0, &d);
        }
        for _ in 0..144 {
            b.step(600.0, &d);
        }
        assert!((a.oxygenator_fraction - b.oxygenator_fraction).abs() < 1e-9);
        assert!(a.pump_fraction < a.oxygenator_fraction);
    }

    proptest! {
        #[test]
        fn never_nan(w in -10.0f64..500.0, bolus in -1e6f64..1e6, inf in -1e5f64..1e6, dt in -1.0f64..1e6,
                     axa in -1.0f64..100.0, q in -20.0f64..20.0, f in -1.0f64..2.0,
                     dev in -1.0f64..10.0) {
            let mut h = Heparin::new(w);
            h.bolus(bolus);
            h.set_infusion(inf);
            h.step(dt);
            prop_assert!(h.anti_xa_iu_ml().is_finite() && h.anti_xa_iu_ml() >= 0.0);
            prop_assert!(h.act_s().is_finite());
            let mut t = Thrombus { oxygenator_fraction: f, pump_fraction: f };
            t.step(dt, &ClotDrivers { anti_xa_iu_ml: axa, circuit_flow_lpm: q, coating: Coating::Uncoated, oxygenator_device: dev });
            prop_assert!((0.0..=1.0).contains(&t.oxygenator_fraction));
            prop_assert!((0.0..=1.0).contains(&t.pump_fraction));
        }
    }
}
