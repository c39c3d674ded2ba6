//! Cardiac arrest, chest compressions and defibrillation.
//!
//! **Rhythm.** In ventricular fibrillation and asystole the ventricles have no organised
//! contraction: their activation is 0 and they are passive chambers. In pulseless electrical
//! activity (PEA) the ECG shows complexes but contraction is too weak to open the aortic valve
//! meaningfully: the activation is kept at [`PEA_ACTIVATION`] of its normal beat.
//!
//! **Compressions: thoracic pump and cardiac pump.** A sternal compression raises the pressure
//! in the whole chest: in arrested dogs the pressures of the left ventricle, aorta, right atrium
//! and pulmonary artery rise together and equal the intrathoracic (oesophageal) pressure
//! (Rudikoff et al. 1980, Circulation 61:345; Chandra et al. 1981, Crit Care Med 9:789), so
//! the heart is mostly a conduit and the pressure difference that moves blood lies between the
//! chest and the rest of the body (the thoracic pump). Each compression adds a half-sine
//! pressure over the compression phase (half the cycle, the 50 % duty cycle of the AHA
//! guidelines, Panchal et al. 2020, Circulation) to every compartment inside the chest
//! ([`crate::circulation::THORACIC`]: heart, lungs' vessels, thoracic aorta, SVC, IVC at the
//! atrium), [`CHEST_MMHG_PER_CM`] per cm of depth at its peak, the same path the ventilator's
//! pleural pressure takes. Blood leaves the chest forward, into the arch's branches and the
//! abdominal aorta; backward it is held by the valves of the jugular and subclavian veins at
//! the thoracic inlet (the jugular bulb stays 19 mmHg below the right atrium during
//! compressions in human CPR, Paradis et al. 1989, Circulation 80:361; the circulation's
//! upper-body venous connection is one-way during compressions), while the valveless IVC refluxes (Niemann et al.
//! 1984, Am J Cardiol 53, no. 2). In the release phase the chest pressure falls back, the aortic
//! valve closes on the extrathoracic arteries' pressure, which drives the coronary flow, and
//! the veins refill the chest through the waterfall of the great veins and the right heart's
//! passive filling, in the half cycle the rate leaves. The heart squeezed between sternum and
//! spine (the cardiac pump of Kouwenhoven et al. 1960, JAMA) adds a smaller pressure on the two
//! ventricles alone, [`HEART_MMHG_PER_CM`]: in adults the compression-phase aortic-to-right
//! atrial gradient is small, 7 ± 14 mmHg (Paradis 1989; 4 of 22 patients larger, "suggestive of
//! cardiac compression"), and the thoracic pump alone gives about 9 here, so the direct share
//! is kept small.
//!
//! The two constants are calibrated, not measured: [`CHEST_MMHG_PER_CM`] so that standard
//! compressions (5 cm, 110/min) give a radial systolic pressure in the 60-80 mmHg of human
//! CPR (Ornato et al. 1989, Ann Emerg Med 18:732: radial systolic 60 ± 7 mmHg at the highest
//! force; the aorta 9 mmHg above the radial, Rivers et al. 1993, Crit Care Med 21:878), and
//! [`HEART_MMHG_PER_CM`] to Paradis 1989's compression gradient. What follows from them
//! without further fitting (the validation cases in `experiment::validation_cpr`): with the
//! baroreflex on (the arrested patient's sympathetic drive is maximal), cardiac output about a
//! quarter of normal (Voorhees, Babbs & Tacker 1980, Crit Care Med 8:134: 47 against 175
//! mL/kg/min in dogs, 27 %) and a release-phase coronary perfusion pressure of about 25 mmHg
//! (Paradis et al. 1990, JAMA 263:1106: 25.6 ± 7.7 in those with ROSC). Without the reflex
//! (the presets' `baroreflex_gain` 0) resistance stays at its pre-arrest value and output is
//! about 30 % of normal.
//!
//! **Defibrillation.** A shock ends VF with a chance that rises with coronary perfusion
//! pressure and falls with the time spent without flow. Paradis et al. 1990 (JAMA): no patient
//! with a maximal CPP below 15 mmHg had ROSC, and those who did had a mean CPP of 25.8 mmHg;
//! the chance of ROSC here is a logistic curve with its midpoint at [`CPP_MID_MMHG`] and 90 %
//! of its maximum at 25 mmHg. Survival after untreated VF falls by about 10 % per minute
//! (Larsen et al. 1993, Ann Emerg Med): the chance is multiplied by `0.9^(no-flow minutes)`.
//! The draw comes from the twin's seeded generator, so runs stay deterministic.

use crate::rng::Rng;

/// The heart's rhythm.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Rhythm {
    /// An organised rhythm with output (whatever the rate).
    Perfusing,
    VentricularFibrillation,
    Asystole,
    /// Pulseless electrical activity.
    Pea,
}

impl Rhythm {
    /// The code shown as the observation's `rhythm` signal: 0 perfusing, 1 VF, 2 asystole,
    /// 3 PEA.
    pub fn code(self) -> f64 {
        match self {
            Rhythm::Perfusing => 0.0,
            Rhythm::VentricularFibrillation => 1.0,
            Rhythm::Asystole => 2.0,
            Rhythm::Pea => 3.0,
        }
    }
}

/// Share of the normal ventricular activation left in PEA (calibrated so the aortic valve
/// barely opens: no palpable pulse; "pseudo-PEA" with some output is not modelled).
pub const PEA_ACTIVATION: f64 = 0.08;
/// Compression depth of standard CPR, cm (5–6 cm, Panchal et al. 2020, Circulation).
pub const STANDARD_DEPTH_CM: f64 = 5.0;
/// Peak rise of intrathoracic pressure per cm of compression depth, mmHg/cm (the thoracic
/// pump; calibrated to the radial systolic pressure of human CPR, see the module text).
pub const CHEST_MMHG_PER_CM: f64 = 13.0;
/// Peak pressure on the ventricles above the intrathoracic rise per cm of depth, mmHg/cm (the
/// cardiac pump; calibrated to Paradis 1989's compression-phase gradient, see the module text).
pub const HEART_MMHG_PER_CM: f64 = 0.5;
/// Coronary perfusion pressure at which a shock's chance of ROSC is half its maximum, mmHg
/// (Paradis et al. 1990, JAMA: no ROSC below 15 mmHg).
pub const CPP_MID_MMHG: f64 = 18.0;
/// Logistic width of the CPP dependence, mmHg (90 % of the maximum at 25 mmHg).
pub const CPP_WIDTH_MMHG: f64 = 3.2;
/// Extracorporeal flow below which an arrest without compressions counts as no-flow, L/min
/// (a definition: about a tenth of an adult's output, less than compressions give).
pub const ECMO_FLOW_MIN_LPM: f64 = 0.5;
/// Time constant of the coronary perfusion pressure's smoothing without compressions, s
/// (about three cycles at 110/min, as with them).
pub const CPP_HANDS_OFF_TAU_S: f64 = 1.6;
/// Chance that a shock ends VF and gives ROSC at ample perfusion and no no-flow time.
pub const ROSC_MAX: f64 = 0.7;
/// Fraction of the chance kept per minute of no-flow (Larsen et al. 1993, Ann Emerg Med).
pub const PER_MIN_NO_FLOW: f64 = 0.9;

/// Arrest, compressions and the state a shock's outcome depends on. Heap-free.
#[derive(Clone, Debug, PartialEq)]
pub struct Cpr {
    pub rhythm: Rhythm,
    /// Compression rate, /min (0: no compressions).
    pub rate_per_min: f64,
    /// Compression depth, cm.
    pub depth_cm: f64,
    /// Phase in the compression cycle, s.
    t_s: f64,
    /// Time in arrest without compressions, s.
    pub no_flow_s: f64,
    /// Coronary perfusion pressure (aortic root minus right atrium in the release phase),
    /// averaged over the last cycle and smoothed, mmHg.
    pub cpp_mmhg: f64,
    cpp_sum: f64,
    cpp_n: u32,
    rng: Rng,
}

impl Cpr {
    pub fn new(seed: u64) -> Self {
        Cpr {
            rhythm: Rhythm::Perfusing,
            rate_per_min: 0.0,
            depth_cm: STANDARD_DEPTH_CM,
            t_s: 0.0,
            no_flow_s: 0.0,
            cpp_mmhg: 0.0,
            cpp_sum: 0.0,
            cpp_n: 0,
            rng: Rng::new(seed ^ 0xC0FF_EE00_0000_0015),
        }
    }

    /// Whether the heart is in arrest.
    #[inline]
    pub fn arrested(&self) -> bool {
        self.rhythm != Rhythm::Perfusing
    }

    /// The ventricular activation the heart has in this rhythm, from its normal one.
    #[inline]
    pub fn ventricular_activation(&self, ev: f64) -> f64 {
        match self.rhythm {
            Rhythm::Perfusing => ev,
            Rhythm::Pea => PEA_ACTIVATION * ev,
            Rhythm::VentricularFibrillation | Rhythm::Asystole => 0.0,
        }
    }

    /// The atrial activation: fibrillating and asystolic atria do not contract either.
    #[inline]
    pub fn atrial_activation(&self, ea: f64) -> f64 {
        match self.rhythm {
            Rhythm::Perfusing | Rhythm::Pea => ea,
            _ => 0.0,
        }
    }

    /// Advance by `dt` with the aortic root and right atrial pressures of this step and the
    /// extracorporeal flow, L/min; returns what compressions do now: (rise of intrathoracic
    /// pressure, pressure on the ventricles above it), mmHg. No-flow time is arrest with
    /// neither compressions nor a circuit flow of at least [`ECMO_FLOW_MIN_LPM`].
    #[inline]
    pub fn step(&mut self, dt: f64, p_aortic_root: f64, p_ra: f64, ecmo_lpm: f64) -> (f64, f64) {
        if self.arrested() && self.rate_per_min <= 0.0 && ecmo_lpm < ECMO_FLOW_MIN_LPM {
            self.no_flow_s += dt;
        }
        if self.rate_per_min <= 0.0 {
            if self.arrested() {
                // Hands off there is no release phase: the aorta-to-atrium difference as it is
                // (no-flow lets it fall to 0, VA ECMO keeps it up), smoothed as over about
                // three compression cycles.
                let k = (dt / CPP_HANDS_OFF_TAU_S).min(1.0);
                self.cpp_mmhg += (p_aortic_root - p_ra - self.cpp_mmhg) * k;
            }
            return (0.0, 0.0);
        }
        let period = 60.0 / self.rate_per_min;
        self.t_s += dt;
        if self.t_s >= period {
            self.t_s -= period;
            if self.cpp_n > 0 {
                let cpp = self.cpp_sum / self.cpp_n as f64;
                // Smoothed over about three cycles, as a monitor's CPP trend.
                self.cpp_mmhg += (cpp - self.cpp_mmhg) / 3.0;
            }
            self.cpp_sum = 0.0;
            self.cpp_n = 0;
        }
        let half = 0.5 * period;
        if self.t_s < half {
            let x = core::f64::consts::PI * self.t_s / half;
            let shape = self.depth_cm * x.sin();
            (CHEST_MMHG_PER_CM * shape, HEART_MMHG_PER_CM * shape)
        } else {
            // The last third of the release phase: aortic "diastolic" minus RA pressure.
            if self.t_s > period - period / 6.0 {
                self.cpp_sum += p_aortic_root - p_ra;
                self.cpp_n += 1;
            }
            (0.0, 0.0)
        }
    }

    /// The chance a shock now gives ROSC (0 unless in VF).
    pub fn rosc_probability(&self) -> f64 {
        if self.rhythm != Rhythm::VentricularFibrillation {
            return 0.0;
        }
        let perf = 1.0 / (1.0 + (-(self.cpp_mmhg - CPP_MID_MMHG) / CPP_WIDTH_MMHG).exp());
        ROSC_MAX * perf * PER_MIN_NO_FLOW.powf(self.no_flow_s / 60.0)
    }

    /// A shock: draws from the seeded generator; on success the rhythm becomes perfusing.
    /// Returns whether it did.
    pub fn defibrillate(&mut self) -> bool {
        let p = self.rosc_probability();
        let u = self.rng.uniform();
        if u < p {
            self.rhythm = Rhythm::Perfusing;
            true
        } else {
            false
        }
    }

    /// Set the rhythm (an arrest event on, or off).
    pub fn set_rhythm(&mut self, r: Rhythm) {
        if r != Rhythm::Perfusing && !self.arrested() {
            self.no_flow_s = 0.0;
            self.cpp_mmhg = 0.0;
        }
        self.rhythm = r;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn vf_and_asystole_stop_the_ventricles_pea_weakens_them() {
        let mut c = Cpr::new(1);
        assert_eq!(c.ventricular_activation(0.9), 0.9);
        c.set_rhythm(Rhythm::VentricularFibrillation);
        assert_eq!(c.ventricular_activation(0.9), 0.0);
        c.set_rhythm(Rhythm::Pea);
        assert!((c.ventricular_activation(1.0) - PEA_ACTIVATION).abs() < 1e-12);
    }

    #[test]
    fn compressions_give_a_half_sine_at_the_set_rate() {
        let mut c = Cpr::new(1);
        c.set_rhythm(Rhythm::VentricularFibrillation);
        c.rate_per_min = 100.0;
        let dt = 0.002;
        let mut peak: f64 = 0.0;
        let mut zero = 0;
        for _ in 0..300 {
            let (p, h) = c.step(dt, 20.0, 5.0, 0.0);
            assert!((h * CHEST_MMHG_PER_CM - p * HEART_MMHG_PER_CM).abs() < 1e-9);
            peak = peak.max(p);
            if p == 0.0 {
                zero += 1;
            }
        }
        assert!((peak - CHEST_MMHG_PER_CM * STANDARD_DEPTH_CM).abs() < 0.5);
        assert!((zero as f64 / 300.0 - 0.5).abs() < 0.02, "{zero}");
        assert!((c.cpp_mmhg - 15.0 / 3.0).abs() < 1e-9, "{}", c.cpp_mmhg);
        assert_eq!(c.no_flow_s, 0.0);
    }

    #[test]
    fn hands_off_cpp_follows_the_aorta_to_atrium_difference() {
        let mut c = Cpr::new(1);
        c.set_rhythm(Rhythm::VentricularFibrillation);
        for _ in 0..10_000 {
            c.step(0.002, 70.0, 10.0, 0.0);
        }
        assert!((c.cpp_mmhg - 60.0).abs() < 0.1, "{}", c.cpp_mmhg);
        c.set_rhythm(Rhythm::Perfusing);
        c.step(0.002, 90.0, 5.0, 0.0);
        assert!((c.cpp_mmhg - 60.0).abs() < 0.1, "only in arrest");
        // No-flow counts in arrest without compressions or circuit flow only.
        c.set_rhythm(Rhythm::Asystole);
        c.step(1.0, 10.0, 10.0, 0.0);
        c.step(1.0, 60.0, 10.0, 4.0);
        assert_eq!(c.no_flow_s, 1.0);
    }

    #[test]
    fn rosc_needs_perfusion_and_falls_with_no_flow() {
        let mut c = Cpr::new(7);
        c.set_rhythm(Rhythm::VentricularFibrillation);
        c.cpp_mmhg = 8.4; // Paradis 1990: mean CPP of those without ROSC
        assert!(c.rosc_probability() < 0.05);
        c.cpp_mmhg = 25.8; // and of those with ROSC
        let p0 = c.rosc_probability();
        assert!(p0 > 0.6 && p0 <= ROSC_MAX);
        c.no_flow_s = 600.0;
        assert!((c.rosc_probability() / p0 - 0.9f64.powi(10)).abs() < 1e-9);
        c.set_rhythm(Rhythm::Asystole);
        assert_eq!(c.rosc_probability(), 0.0);
        assert!(!c.defibrillate());
    }

    #[test]
    fn shocks_are_deterministic_for_a_seed() {
        let run = |seed| {
            let mut c = Cpr::new(seed);
            let mut n = 0;
            for _ in 0..200 {
                c.set_rhythm(Rhythm::VentricularFibrillation);
                c.cpp_mmhg = 20.0;
                if c.defibrillate() {
                    n += 1;
                }
            }
            n
        };
        assert_eq!(run(3), run(3));
        let n = run(3) as f64 / 200.0;
        let p = {
            let mut c = Cpr::new(0);
            c.set_rhythm(Rhythm::VentricularFibrillation);
            c.cpp_mmhg = 20.0;
            c.rosc_probability()
        };
        assert!((n - p).abs() < 0.12, "{n} vs {p}");
    }
}
