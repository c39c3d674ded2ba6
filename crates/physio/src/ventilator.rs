//! Mechanical ventilator: the settings, and what they do to a one-compartment respiratory system.
//!
//! The respiratory system is one elastic compartment (compliance `C`, mL/cmH2O) behind one
//! airway resistance (`R`, cmH2O per L/s), the lung and chest wall in series (the equation of
//! motion, P = V/C + R·V' + PEEP \[M, West's Respiratory Physiology ch. 7\]). Everything here is
//! closed form over one steady breath, so it costs nothing per step and holds no state:
//!
//! - **Volume control**, constant inspiratory flow VT/Ti: plateau = PEEPtot + VT/C, peak =
//!   plateau + R·VT/Ti, driving pressure = VT/C.
//! - **Pressure control**, a square pressure of `pinsp` above PEEP: the volume rises as
//!   VT = C·pinsp·(1 − e^(−Ti/τ)), τ = R·C; peak = PEEP + pinsp; plateau (end-inspiratory
//!   alveolar pressure) = PEEPtot + VT/C.
//! - **Expiration** is passive, V = VT·e^(−t/τ). What is left at the end of expiration is
//!   trapped: at steady state the trapped volume is VT·e^(−Te/τ)/(1 − e^(−Te/τ)), so intrinsic
//!   PEEP = trapped/C. It adds to PEEP in every pressure above.
//! - **Mean alveolar pressure** is the time average of PEEP + V(t)/C over the breath (the
//!   integrals of the ramp or exponential above), and the **mean pleural (intrathoracic)
//!   pressure** rises above its end-expiratory value at zero PEEP by the fraction C_rs/C_cw of
//!   it: lung and chest wall in series share one volume change, ΔPpl = ΔV/C_cw and
//!   ΔPalv = ΔV/C_rs \[M, West ch. 7\]. Stiff (ARDS) lungs pass on less of the airway pressure.
//! - **Spontaneous** breathing (and `Off`, apnoea with an open airway) has no positive pressure:
//!   inspiration lowers pleural pressure by VT/C_L for the inspiratory part of the breath.
//! - **Alveolar ventilation** = rate·(VT − anatomical dead space), dead space 2.2 mL/kg
//!   (150 mL in a 70 kg adult \[M, West ch. 2\]).
//!
//! End-expiratory pleural pressure at FRC is −5 cmH2O \[M, West ch. 7\].
//!
//! The twin holds the [`Settings`] (changed by the `ventilator_*` events, kept while it is
//! disconnected), takes the [`Mechanics`] from the patient's `lung_compliance_ml_cmh2o`,
//! `chest_wall_compliance_ml_cmh2o` and `airway_resistance_cmh2o_s_l` and the FiO2 from its
//! `fio2`, and recomputes the [`Breath`] whenever one of them changes; the share of airway
//! pressure reaching the pleura, C_rs/C_cw = E_cw/E_rs, is Gattinoni et al. 2004's (Crit Care
//! 8:350).
//!
//! An injured lung ([`breath_injured`]) adds what [`crate::recruitment`] describes: its lung
//! compliance is scaled by the tissue recruited (the twin keeps that state, with its time
//! course, and the shunt that goes with it), and above the upper inflection pressure the
//! static curve bends ([`crate::recruitment::Overdistension`]): the plateau rises faster than
//! the volume, the chord compliance (VT over plateau less PEEP, the figure a ventilator shows)
//! falls, and part of the volume delivered above the bend is alveolar dead space (units whose
//! capillaries it compresses), so VD/VT rises at high PEEP (Suter et al. 1975, N Engl J Med
//! 292:284: compliance greatest and dead space least at the same, best, PEEP).
//!
//! Not here: PEEP's effect on pulmonary vascular resistance, the breath-by-breath swing,
//! patient triggering. The chemoreflex ([`crate::chemoreflex`]) changes the tidal volume of
//! spontaneous breaths through the twin.
use crate::twin::{ConfigError, check};

/// End-expiratory pleural pressure at FRC, zero PEEP, cmH2O \[M, West ch. 7\].
pub const PLEURAL_FRC_CMH2O: f64 = -5.0;
/// Anatomical dead space per kg, mL/kg (150 mL at 70 kg \[M, West ch. 2\]).
pub const DEAD_SPACE_ML_PER_KG: f64 = 150.0 / 70.0;
/// 1 cmH2O in mmHg.
pub const MMHG_PER_CMH2O: f64 = 1.0 / 1.3595;

/// The settings a ventilator offers (min, max), shared by [`Settings::check`] and the event
/// table ([`crate::event`]): PEEP, cmH2O.
pub const PEEP_RANGE: (f64, f64) = (0.0, 30.0);
/// Tidal volume, mL.
pub const VT_RANGE: (f64, f64) = (0.0, 2000.0);
/// Inspiratory pressure above PEEP, cmH2O.
pub const PINSP_RANGE: (f64, f64) = (0.0, 50.0);
/// Breaths per minute.
pub const RATE_RANGE: (f64, f64) = (0.0, 60.0);
/// Expiratory over inspiratory time (the E of I:E 1:E).
pub const IE_RANGE: (f64, f64) = (0.25, 5.0);

/// Lung-protective tidal volume, mL per kg (ARDSNet 2000, N Engl J Med 342:1301 \[M\]).
pub const VT_ML_PER_KG: f64 = 6.0;
/// An adult's set rate, breaths/min, at the 75-kg reference (12-16 usual \[M\]); smaller
/// patients breathe faster, rate ∝ M^−¼ like every biological frequency (Lindstedt &
/// Schaeffer 2002, Lab Anim 36:1).
pub const ADULT_RATE_BPM: f64 = 14.0;

/// How the ventilator delivers a breath.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Mode {
    /// No ventilator; apnoea with an open airway.
    Off,
    /// Unassisted breathing at the set rate and tidal volume, FiO2 from the circuit, PEEP (CPAP).
    Spontaneous,
    /// Volume control: set tidal volume, constant inspiratory flow.
    VolumeControl,
    /// Pressure control: set inspiratory pressure above PEEP.
    PressureControl,
}

impl Mode {
    pub fn name(self) -> &'static str {
        match self {
            Mode::Off => "off",
            Mode::Spontaneous => "spontaneous",
            Mode::VolumeControl => "vc",
            Mode::PressureControl => "pc",
        }
    }

    pub fn parse(s: &str) -> Option<Mode> {
        [
            Mode::Off,
            Mode::Spontaneous,
            Mode::VolumeControl,
            Mode::PressureControl,
        ]
        .into_iter()
        .find(|m| m.name() == s)
    }
}

/// Ventilator settings.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Settings {
    pub mode: Mode,
    /// Set PEEP, cmH2O.
    pub peep_cmh2o: f64,
    /// Tidal volume, mL (volume control and spontaneous).
    pub vt_ml: f64,
    /// Inspiratory pressure above PEEP, cmH2O (pressure control).
    pub pinsp_cmh2o: f64,
    /// Breaths per minute.
    pub rate_bpm: f64,
    /// Expiratory time over inspiratory time (I:E 1:2 is 2.0).
    pub ie_e: f64,
    /// Inspired O2 fraction.
    pub fio2: f64,
}

impl Settings {
    /// VV-ECMO lung rest: PC 10 above PEEP 10, rate 10, I:E 1:2, FiO2 0.3 (ELSO guidance).
    pub fn lung_rest() -> Self {
        Settings {
            mode: Mode::PressureControl,
            peep_cmh2o: 10.0,
            vt_ml: 0.0,
            pinsp_cmh2o: 10.0,
            rate_bpm: 10.0,
            ie_e: 2.0,
            fio2: 0.3,
        }
    }

    /// What a ventilator is set to before anyone changes it, for a patient of `weight_kg`:
    /// volume control at [`VT_ML_PER_KG`], PEEP 5, the rate of [`ADULT_RATE_BPM`] scaled by
    /// (W/75 kg)^−¼, I:E 1:2, 15 cmH2O above PEEP should pressure control be chosen.
    pub fn initial(weight_kg: f64, fio2: f64) -> Self {
        let r = (weight_kg / crate::sizes::ADULT_WEIGHT_KG).max(1e-3);
        Settings {
            mode: Mode::VolumeControl,
            peep_cmh2o: 5.0,
            vt_ml: (VT_ML_PER_KG * weight_kg).clamp(VT_RANGE.0, VT_RANGE.1),
            pinsp_cmh2o: 15.0,
            rate_bpm: (ADULT_RATE_BPM * r.powf(crate::sizes::EXP_HEART_RATE))
                .round()
                .clamp(RATE_RANGE.0, RATE_RANGE.1),
            ie_e: 2.0,
            fio2: fio2.clamp(0.21, 1.0),
        }
    }

    /// Refuses settings outside what a ventilator delivers, naming the field.
    pub fn check(&self) -> Result<(), ConfigError> {
        let (lo, hi) = PEEP_RANGE;
        check("ventilator.peep_cmh2o", self.peep_cmh2o, lo, hi, "cmH2O")?;
        let (lo, hi) = VT_RANGE;
        check("ventilator.vt_ml", self.vt_ml, lo, hi, "mL")?;
        let (lo, hi) = PINSP_RANGE;
        check("ventilator.pinsp_cmh2o", self.pinsp_cmh2o, lo, hi, "cmH2O")?;
        let (lo, hi) = RATE_RANGE;
        check("ventilator.rate_bpm", self.rate_bpm, lo, hi, "/min")?;
        let (lo, hi) = IE_RANGE;
        check("ventilator.ie_e", self.ie_e, lo, hi, "")?;
        check("ventilator.fio2", self.fio2, 0.21, 1.0, "")
    }
}

/// The patient's respiratory mechanics.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Mechanics {
    /// Lung compliance, mL/cmH2O.
    pub c_lung: f64,
    /// Chest-wall compliance, mL/cmH2O.
    pub c_chest_wall: f64,
    /// Airway resistance, cmH2O per L/s.
    pub r_aw: f64,
    /// Body weight, kg (dead space).
    pub weight_kg: f64,
}

impl Mechanics {
    /// Respiratory-system compliance, lung and chest wall in series, mL/cmH2O.
    pub fn c_rs(&self) -> f64 {
        1.0 / (1.0 / self.c_lung + 1.0 / self.c_chest_wall)
    }
}

/// One steady breath: what the ventilator's screen shows and what the body sees.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Breath {
    pub mode: Mode,
    pub vt_ml: f64,
    pub rate_bpm: f64,
    pub fio2: f64,
    pub peep_cmh2o: f64,
    pub auto_peep_cmh2o: f64,
    pub ppeak_cmh2o: f64,
    pub pplat_cmh2o: f64,
    pub driving_cmh2o: f64,
    /// Respiratory-system compliance, mL/cmH2O.
    pub compliance_ml_cmh2o: f64,
    pub mean_alveolar_cmh2o: f64,
    /// Mean pleural (intrathoracic) pressure, cmH2O.
    pub mean_pleural_cmh2o: f64,
    /// Alveolar ventilation, L/min BTPS.
    pub alveolar_ventilation_l_min: f64,
    /// Alveolar dead space of the breath (its share of the volume delivered above the upper
    /// inflection point of an injured lung), mL; 0 in [`breath`].
    pub alveolar_dead_space_ml: f64,
}

impl Breath {
    /// Mean pleural pressure in mmHg, what the thoracic veins and right atrium sit in.
    pub fn mean_pleural_mmhg(&self) -> f64 {
        self.mean_pleural_cmh2o * MMHG_PER_CMH2O
    }

    /// Dead space (anatomical and alveolar) over tidal volume; 0 without a breath.
    pub fn dead_space_fraction(&self, weight_kg: f64) -> f64 {
        if self.vt_ml > 0.0 {
            ((DEAD_SPACE_ML_PER_KG * weight_kg + self.alveolar_dead_space_ml) / self.vt_ml)
                .clamp(0.0, 1.0)
        } else {
            0.0
        }
    }
}

/// The steady breath that `s` gives in a patient with mechanics `m`.
pub fn breath(s: &Settings, m: &Mechanics) -> Breath {
    breath_at(s, m, m.c_rs().max(1.0))
}

/// The steady breath in an injured lung: the lung compliance of `m` multiplied by
/// `compliance_factor` (recruitment, [`crate::recruitment::LungChange`]), and the static curve
/// bent above `od`'s inflection pressure. The breath is solved at the chord compliance of the
/// bent curve over the breath; part of the volume above the bend is alveolar dead space
/// ([`crate::recruitment::OVERDISTENDED_DEAD_SPACE_SHARE`]).
pub fn breath_injured(
    s: &Settings,
    m: &Mechanics,
    compliance_factor: f64,
    od: &crate::recruitment::Overdistension,
) -> Breath {
    let m = Mechanics {
        c_lung: (m.c_lung * compliance_factor.max(0.0)).max(1.0),
        ..*m
    };
    let c0 = m.c_rs().max(1.0);
    let peep = s.peep_cmh2o;
    let chord = |vt: f64| {
        let (p, over) = od.plateau(c0, peep, vt);
        if vt > 0.0 && over > 0.0 && p > peep {
            (vt / (p - peep), over / vt)
        } else {
            (c0, 0.0)
        }
    };
    let (c, over_share) = match s.mode {
        Mode::Off => (c0, 0.0),
        Mode::VolumeControl | Mode::Spontaneous => chord(s.vt_ml),
        Mode::PressureControl => {
            let (v, above) = od.volume(c0, peep, peep + s.pinsp_cmh2o);
            if v > 0.0 && above > 0.0 && s.pinsp_cmh2o > 0.0 {
                (v / s.pinsp_cmh2o, above / v)
            } else {
                (c0, 0.0)
            }
        }
    };
    let mut b = breath_at(s, &m, c.max(1.0));
    let vd_alv = over_share * b.vt_ml * crate::recruitment::OVERDISTENDED_DEAD_SPACE_SHARE;
    if vd_alv > 0.0 {
        let dead = DEAD_SPACE_ML_PER_KG * m.weight_kg;
        b.alveolar_dead_space_ml = vd_alv;
        b.alveolar_ventilation_l_min = b.rate_bpm * (b.vt_ml - dead - vd_alv).max(0.0) / 1000.0;
    }
    b
}

/// The steady breath at respiratory-system compliance `c` (mL/cmH2O).
fn breath_at(s: &Settings, m: &Mechanics, c: f64) -> Breath {
    let tau = m.r_aw.max(0.0) * c / 1000.0; // s
    let dead = DEAD_SPACE_ML_PER_KG * m.weight_kg;
    let cycle = if s.rate_bpm > 0.0 {
        60.0 / s.rate_bpm
    } else {
        0.0
    };
    let ti = cycle / (1.0 + s.ie_e);
    let te = cycle - ti;
    let mut b = Breath {
        mode: s.mode,
        vt_ml: 0.0,
        rate_bpm: s.rate_bpm,
        fio2: s.fio2,
        peep_cmh2o: 0.0,
        auto_peep_cmh2o: 0.0,
        ppeak_cmh2o: 0.0,
        pplat_cmh2o: 0.0,
        driving_cmh2o: 0.0,
        compliance_ml_cmh2o: c,
        mean_alveolar_cmh2o: 0.0,
        mean_pleural_cmh2o: PLEURAL_FRC_CMH2O,
        alveolar_ventilation_l_min: 0.0,
        alveolar_dead_space_ml: 0.0,
    };
    match s.mode {
        Mode::Off => return b,
        Mode::Spontaneous => {
            // CPAP raises the end-expiratory pressures; inspiration pulls the pleura down by
            // VT/C_L, on average half of it for the inspiratory part of the cycle.
            let vt = s.vt_ml;
            b.vt_ml = vt;
            b.peep_cmh2o = s.peep_cmh2o;
            let passed = c / m.c_chest_wall;
            let swing = vt / m.c_lung.max(1.0);
            let ti_frac = if cycle > 0.0 { ti / cycle } else { 0.0 };
            b.mean_alveolar_cmh2o = s.peep_cmh2o;
            b.mean_pleural_cmh2o =
                PLEURAL_FRC_CMH2O + passed * s.peep_cmh2o - 0.5 * swing * ti_frac;
            b.alveolar_ventilation_l_min = s.rate_bpm * (vt - dead).max(0.0) / 1000.0;
            return b;
        }
        Mode::VolumeControl | Mode::PressureControl => {}
    }
    if cycle <= 0.0 {
        // Rate 0: the ventilator holds PEEP (CPAP without breaths).
        b.peep_cmh2o = s.peep_cmh2o;
        b.pplat_cmh2o = s.peep_cmh2o;
        b.ppeak_cmh2o = s.peep_cmh2o;
        b.mean_alveolar_cmh2o = s.peep_cmh2o;
        b.mean_pleural_cmh2o = PLEURAL_FRC_CMH2O + c / m.c_chest_wall * s.peep_cmh2o;
        return b;
    }
    // Fraction of the tidal volume still in the lungs at the end of expiration.
    let left = if tau > 0.0 { (-te / tau).exp() } else { 0.0 };
    // Mean over expiration of V(t)/VT = e^(−t/τ).
    let exp_mean = if tau > 0.0 && te > 0.0 {
        tau / te * (1.0 - left)
    } else {
        0.0
    };
    let (vt, ins_mean_frac, ppeak_above_peep) = match s.mode {
        Mode::VolumeControl => {
            let vt = s.vt_ml;
            let flow_l_s = if ti > 0.0 { vt / 1000.0 / ti } else { 0.0 };
            // The ramp's mean is half the tidal volume; peak adds the resistive drop.
            (vt, 0.5, vt / c + m.r_aw * flow_l_s)
        }
        _ => {
            let fill = if tau > 0.0 {
                1.0 - (-ti / tau).exp()
            } else {
                1.0
            };
            let vt = c * s.pinsp_cmh2o * fill;
            // Mean of C·pinsp·(1 − e^(−t/τ)) over Ti, as a fraction of VT.
            let mean = if tau > 0.0 && ti > 0.0 && fill > 0.0 {
                (1.0 - tau / ti * fill) / fill
            } else {
                1.0
            };
            (vt, mean, s.pinsp_cmh2o)
        }
    };
    let trapped = if left < 1.0 {
        vt * left / (1.0 - left)
    } else {
        0.0
    };
    let auto_peep = trapped / c;
    let peep_tot = s.peep_cmh2o + auto_peep;
    b.vt_ml = vt;
    b.peep_cmh2o = s.peep_cmh2o;
    b.auto_peep_cmh2o = auto_peep;
    b.driving_cmh2o = vt / c;
    b.pplat_cmh2o = peep_tot + vt / c;
    b.ppeak_cmh2o = match s.mode {
        Mode::VolumeControl => peep_tot + ppeak_above_peep,
        _ => s.peep_cmh2o + ppeak_above_peep,
    };
    let mean_vol = (ti * ins_mean_frac + te * exp_mean) / cycle * vt;
    b.mean_alveolar_cmh2o = peep_tot + mean_vol / c;
    b.mean_pleural_cmh2o = PLEURAL_FRC_CMH2O + c / m.c_chest_wall * b.mean_alveolar_cmh2o;
    b.alveolar_ventilation_l_min = s.rate_bpm * (vt - dead).max(0.0) / 1000.0;
    b
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Normal adult: C_L 200, C_cw 200 mL/cmH2O (C_rs 100), R 2 cmH2O·s/L \[M, West ch. 7\].
    fn normal() -> Mechanics {
        Mechanics {
            c_lung: 200.0,
            c_chest_wall: 200.0,
            r_aw: 2.0,
            weight_kg: 70.0,
        }
    }

    /// ARDS: C_rs about 30 mL/cmH2O (stiff lungs), R 10.
    fn ards() -> Mechanics {
        Mechanics {
            c_lung: 35.0,
            c_chest_wall: 200.0,
            r_aw: 10.0,
            weight_kg: 70.0,
        }
    }

    fn vc(vt: f64, peep: f64) -> Settings {
        Settings {
            mode: Mode::VolumeControl,
            peep_cmh2o: peep,
            vt_ml: vt,
            pinsp_cmh2o: 0.0,
            rate_bpm: 12.0,
            ie_e: 2.0,
            fio2: 0.5,
        }
    }

    #[test]
    fn volume_control_pressures_follow_the_equation_of_motion() {
        let m = ards();
        let b = breath(&vc(420.0, 10.0), &m);
        let c = m.c_rs();
        // Ti = 5 s / 3; flow 0.252 L/s; tau 0.3 s, Te 3.33 s, auto-PEEP negligible.
        assert!(b.auto_peep_cmh2o < 0.01, "{b:?}");
        assert!((b.driving_cmh2o - 420.0 / c).abs() < 1e-9);
        assert!((b.pplat_cmh2o - (10.0 + 420.0 / c + b.auto_peep_cmh2o)).abs() < 1e-9);
        let resistive = 10.0 * 0.420 / (5.0 / 3.0);
        assert!(
            (b.ppeak_cmh2o - b.pplat_cmh2o - resistive).abs() < 1e-9,
            "{b:?}"
        );
        assert!((b.compliance_ml_cmh2o - c).abs() < 1e-12);
    }

    #[test]
    fn lung_rest_keeps_plateau_at_or_below_25() {
        let b = breath(&Settings::lung_rest(), &ards());
        assert!((b.pplat_cmh2o - 20.0).abs() < 0.5, "{b:?}");
        assert!(b.pplat_cmh2o <= 25.0);
        assert!((b.ppeak_cmh2o - 20.0).abs() < 1e-9);
        // Nearly full filling: VT close to C·10.
        let c = ards().c_rs();
        assert!(b.vt_ml > 0.95 * c * 10.0 && b.vt_ml <= c * 10.0, "{b:?}");
        assert_eq!(b.fio2, 0.3);
    }

    #[test]
    fn short_expiration_traps_gas() {
        let m = Mechanics {
            r_aw: 25.0,
            c_lung: 100.0,
            c_chest_wall: 200.0,
            weight_kg: 70.0,
        };
        let mut s = vc(500.0, 5.0);
        s.rate_bpm = 30.0;
        s.ie_e = 1.0;
        let b = breath(&s, &m);
        // tau = 25 · 66.7 / 1000 = 1.67 s; Te = 1 s: e^(−0.6) = 0.549 of VT left.
        let left = (-1.0 / (25.0 * m.c_rs() / 1000.0)).exp();
        let expect = 500.0 * left / (1.0 - left) / m.c_rs();
        assert!((b.auto_peep_cmh2o - expect).abs() < 1e-9, "{b:?}");
        assert!(b.auto_peep_cmh2o > 5.0);
    }

    #[test]
    fn peep_raises_pleural_pressure_by_the_compliance_ratio() {
        let m = normal();
        let b0 = breath(&vc(500.0, 0.0), &m);
        let b10 = breath(&vc(500.0, 10.0), &m);
        // C_rs/C_cw = 0.5 with equal lung and chest-wall compliance.
        let d = b10.mean_pleural_cmh2o - b0.mean_pleural_cmh2o;
        assert!((d - 5.0).abs() < 1e-9, "{d}");
        // Stiff lungs pass on less of the same PEEP.
        let a0 = breath(&vc(500.0, 0.0), &ards());
        let a10 = breath(&vc(500.0, 10.0), &ards());
        let da = a10.mean_pleural_cmh2o - a0.mean_pleural_cmh2o;
        assert!(da < 2.0 && da > 1.0, "{da}");
        assert!(b10.mean_pleural_mmhg() > 0.0);
    }

    #[test]
    fn spontaneous_breathing_lowers_mean_pleural_pressure() {
        let mut s = vc(500.0, 0.0);
        s.mode = Mode::Spontaneous;
        let b = breath(&s, &normal());
        assert!(b.mean_pleural_cmh2o < PLEURAL_FRC_CMH2O, "{b:?}");
        assert!(b.ppeak_cmh2o == 0.0);
        let off = breath(
            &Settings {
                mode: Mode::Off,
                ..s
            },
            &normal(),
        );
        assert_eq!(off.alveolar_ventilation_l_min, 0.0);
        assert_eq!(off.mean_pleural_cmh2o, PLEURAL_FRC_CMH2O);
    }

    #[test]
    fn alveolar_ventilation_subtracts_dead_space() {
        let b = breath(&vc(500.0, 5.0), &normal());
        // 12 · (500 − 150) mL = 4.2 L/min.
        assert!((b.alveolar_ventilation_l_min - 4.2).abs() < 1e-9, "{b:?}");
    }

    #[test]
    fn an_injured_lung_stiffens_above_the_inflection_point() {
        use crate::recruitment::Overdistension;
        let m = ards();
        let od = Overdistension::INJURED;
        // Low plateau: the same breath as the plain model.
        let low = vc(300.0, 5.0);
        let (a, b) = (breath(&low, &m), breath_injured(&low, &m, 1.0, &od));
        assert_eq!(a.pplat_cmh2o, b.pplat_cmh2o);
        assert_eq!(b.alveolar_dead_space_ml, 0.0);
        // PEEP 15 with 500 mL crosses 26 cmH2O: higher plateau, lower chord compliance, and
        // alveolar dead space that lowers the alveolar ventilation.
        let high = vc(500.0, 15.0);
        let (a, b) = (breath(&high, &m), breath_injured(&high, &m, 1.0, &od));
        assert!(b.pplat_cmh2o > a.pplat_cmh2o + 3.0, "{a:?} {b:?}");
        assert!(b.compliance_ml_cmh2o < a.compliance_ml_cmh2o);
        assert!(b.alveolar_dead_space_ml > 25.0, "{b:?}");
        assert!(b.alveolar_ventilation_l_min < a.alveolar_ventilation_l_min);
        assert!(b.dead_space_fraction(70.0) > a.dead_space_fraction(70.0));
        // Recruitment raises the compliance.
        let r = breath_injured(&low, &m, 1.3, &od);
        assert!(r.compliance_ml_cmh2o > a.compliance_ml_cmh2o * 1.1);
        // Pressure control: the bend lowers the volume a set pressure gives.
        let mut pc = vc(0.0, 15.0);
        pc.mode = Mode::PressureControl;
        pc.pinsp_cmh2o = 20.0;
        let (a, b) = (breath(&pc, &m), breath_injured(&pc, &m, 1.0, &od));
        assert!(
            b.vt_ml < a.vt_ml && b.alveolar_dead_space_ml > 0.0,
            "{a:?} {b:?}"
        );
    }

    #[test]
    fn out_of_range_settings_are_refused_by_name() {
        let mut s = Settings::lung_rest();
        assert!(s.check().is_ok());
        s.fio2 = 0.1;
        assert_eq!(s.check().unwrap_err().field, "ventilator.fio2");
        s = Settings::lung_rest();
        s.peep_cmh2o = f64::NAN;
        assert_eq!(s.check().unwrap_err().field, "ventilator.peep_cmh2o");
        for m in ["off", "spontaneous", "vc", "pc"] {
            assert_eq!(Mode::parse(m).map(Mode::name), Some(m));
        }
        assert_eq!(Mode::parse("simv"), None);
    }
}
