//! The heart: two atria, two ventricles that share a septum and a pericardium, and the timing of
//! the beat.
//!
//! ## Ventricles
//!
//! Each wall (LV free wall, RV free wall, septum) is a time-varying elastance in which the
//! activation `e(t)` (0..1) *adds* active pressure to the passive (diastolic) wall pressure:
//!
//! ```text
//! P_wall(V, t) = EDPVR(V) + e(t)·Ees·(V − Vd)⁺,   EDPVR(V) = P0·(exp(k·(V − V0)) − 1)
//! ```
//!
//! so contraction never lowers a chamber's pressure, whatever the contractility (the blended
//! form `e·ESPVR + (1 − e)·EDPVR` that this replaces did, once Ees·(V − Vd) fell below the
//! diastolic pressure: a weak LV then "ejected" more the weaker it got). The end-systolic
//! pressure–volume relation is Ees·(V − Vd) + EDPVR(V): linear at small volumes, curving up at
//! large ones where the stretched wall adds passive tension, as measured ESPVRs do.
//!
//! Ventricular interaction follows Smith, Chase et al. 2004 (Med Eng Phys 26:131; parameters in
//! `docs/references/patient.md` \[S\]): the septum moves by the volume `Vspt` that balances its
//! own pressure–volume relation against the transseptal pressure,
//!
//! ```text
//! P_spt(Vspt, t) = P_lvf(V_lv − Vspt, t) − P_rvf(V_rv + Vspt, t)
//! ```
//!
//! and both ventricles sit in the pericardium, whose pressure rises exponentially with their
//! summed volume: `P_lv = P_lvf + P_pcd`, `P_rv = P_rvf + P_pcd`. A dilating right ventricle
//! therefore pushes the septum left and, through the pericardium, raises the LV's diastolic
//! pressure (and the reverse), as in the clinic.
//!
//! Free-wall constants are set for real chamber volumes (Smith 2004's are for stressed volumes):
//! LV Ees 2.95 mmHg/mL, Vd 16.77 mL, EDPVR P0 1.5 mmHg and k 0.014 /mL; RV Ees 1.75, Vd 40.8,
//! k 0.011 (Ursino 1998, Am J Physiol 275:H1733 \[M\]). Septum: Ees 48.75 mmHg/mL, P0 1.11 mmHg,
//! k 0.435 /mL, Vd = V0 = 2 mL (Smith 2004 \[S\]). Pericardium: P0 0.5 mmHg, k 0.030 /mL
//! (Smith 2004 \[S\]); its rest volume is set so that a normal heart at end-diastole sees about
//! 2 mmHg (normal pericardial pressure within a few mmHg of pleural pressure \[M\]), and it
//! grows with chronic LV dilation (the pericardium enlarges during chronic cardiac dilation:
//! Freeman & LeWinter 1984, Circ Res 54:294 \[P\]; the amount, equal to the end-diastolic
//! enlargement, is ours \[A\]).
//!
//! Volumes scale with body weight (per [`crate::circulation::REFERENCE_WEIGHT_KG`]) and
//! elastances inversely, as the vessels do; below the adult weight the chambers grow more slowly
//! than the body, so a child's heart is larger per kg ([`chamber_scale`]).
//!
//! ## Atria
//!
//! Linear walls, blended: `P = (Eed + ea·(Ees − Eed))·(V − Vd)`, which rises with activation
//! since Ees > Eed. Heldt et al. 2002 (J Appl Physiol 92:1239): RA Ees 0.74 / Eed 0.30 mmHg/mL,
//! V0 14 mL; LA Ees 0.61 / Eed 0.50, V0 24 mL \[M, not re-checked\].
//!
//! ## Timing
//!
//! Ventricular activation is the double-Hill function of Stergiopulos, Meister & Westerhof 1996
//! (Am J Physiol 270:H2050) with the constants for the human ventricle used by Mynard et al. 2012
//! (Int J Numer Meth Biomed Eng 28:626): τ1 = 0.269·T, τ2 = 0.452·T, m1 = 1.32, m2 = 27.4
//! \[S\], normalised to a peak of 1. T, the time base, scales with the square root of the cycle
//! length (Bazett) from 0.8 s at 75/min, so systole shortens less than diastole as the rate
//! rises, as in Heldt 2002. The atrial activation is a raised-cosine pulse of 0.2·√T s and the
//! ventricles start 0.12·√T s after the atria (Heldt 2002 \[M\]).

use crate::circulation::REFERENCE_WEIGHT_KG;

/// Exponent of the heart chambers' volumes on body weight below the adult weight: 0.85.
/// Graham et al. 1968 (Circulation 38:826, biplane angiocardiography) found left-ventricular
/// end-diastolic volumes of 44.8 ± 8.5 mL/m² in normal infants below two years and 71.4 ± 8.0
/// in older children; at a term neonate's body surface area (0.22 m², 3.5 kg) that is 2.8 mL/kg,
/// against about 1.8 mL/kg in the adult (71 mL/m² at 1.9 m², 75 kg): 1.6 times as much per kg,
/// which (W/75)^(0.85 − 1) gives at 3.5 kg (1.2 times at 20 kg).
pub const CHAMBER_EXPONENT: f64 = 0.85;

/// The heart chambers' size relative to the reference adult's: weight/75 to the
/// [`CHAMBER_EXPONENT`] below 75 kg, weight/75 from there up (1 at 75 kg exactly). Chamber
/// volumes scale with it, chamber elastances inversely.
pub fn chamber_scale(weight_kg: f64) -> f64 {
    let s = weight_kg / REFERENCE_WEIGHT_KG;
    if s < 1.0 {
        s.max(1e-6).powf(CHAMBER_EXPONENT)
    } else {
        s
    }
}

/// One atrium (linear walls, blended activation).
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Atrium {
    /// End-systolic elastance, mmHg/mL.
    pub ees: f64,
    /// End-diastolic elastance, mmHg/mL.
    pub eed: f64,
    /// Unstressed volume, mL.
    pub vd: f64,
}

/// RA constants (Heldt 2002), for a patient of `weight_kg`.
pub fn right_atrium(weight_kg: f64) -> Atrium {
    let s = chamber_scale(weight_kg);
    Atrium {
        ees: 0.74 / s,
        eed: 0.30 / s,
        vd: 14.0 * s,
    }
}

/// LA constants (Heldt 2002), for a patient of `weight_kg`.
pub fn left_atrium(weight_kg: f64) -> Atrium {
    let s = chamber_scale(weight_kg);
    Atrium {
        ees: 0.61 / s,
        eed: 0.50 / s,
        vd: 24.0 * s,
    }
}

/// Below this volume (mL, at the reference weight) a chamber's walls meet and its pressure
/// falls steeply; this is what a drainage cannula sucking an empty atrium sees. The same
/// collapse law as the veins ([`crate::circulation::collapse_pressure`]).
pub const CHAMBER_COLLAPSE_ML: f64 = 10.0;

impl Atrium {
    /// Pressure at volume `v` (mL) and activation `e` (0..1); `v_collapse` is
    /// [`CHAMBER_COLLAPSE_ML`] scaled to the patient.
    #[inline]
    pub fn pressure(&self, v: f64, e: f64, v_collapse: f64) -> f64 {
        let mut p = (self.eed + e * (self.ees - self.eed)) * (v - self.vd);
        if v < v_collapse {
            p += crate::circulation::collapse_pressure(v, v_collapse, 0.05);
        }
        p
    }
}

/// One ventricular wall (or the septum): an exponential passive relation plus active pressure.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Wall {
    /// End-systolic (active) elastance, mmHg/mL.
    pub ees: f64,
    /// Volume at which the active pressure is zero, mL.
    pub vd: f64,
    /// Passive relation `p0·(exp(k·(V − v0)) − 1)`: mmHg, 1/mL, mL.
    pub p0: f64,
    pub k: f64,
    pub v0: f64,
    /// Whether active pressure is kept non-negative (free walls: muscle cannot push a wall
    /// outward below its unstressed volume). The septum's relation is signed.
    pub one_sided: bool,
}

impl Wall {
    /// Pressure and its slope dP/dV at volume `v` and activation `e`.
    #[inline]
    fn eval(&self, v: f64, e: f64) -> (f64, f64) {
        // exp of a bounded argument: a runaway volume cannot overflow; the pressure there is
        // already thousands of mmHg.
        let x = (self.k * (v - self.v0)).min(12.0);
        let ex = x.exp();
        let mut p = self.p0 * (ex - 1.0);
        let mut dp = self.p0 * self.k * ex;
        let a = e * self.ees * (v - self.vd);
        if !self.one_sided || a > 0.0 {
            p += a;
            dp += e * self.ees;
        }
        (p, dp)
    }
}

/// The pericardium around both ventricles.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Pericardium {
    pub p0: f64,
    pub k: f64,
    /// Summed ventricular volume at which its pressure is zero, mL.
    pub v0: f64,
}

impl Pericardium {
    #[inline]
    pub fn pressure(&self, v_total: f64) -> f64 {
        // A slack pericardium pulls on nothing: its pressure is never below zero.
        (self.p0 * ((self.k * (v_total - self.v0)).min(12.0).exp() - 1.0)).max(0.0)
    }
}

/// Reference-patient constants (75 kg): see the module note for sources.
const LV_VD_ML: f64 = 16.77;
const LV_P0: f64 = 1.5;
const LV_K: f64 = 0.014;
const RV_VD_ML: f64 = 40.8;
const RV_P0: f64 = 1.5;
const RV_K: f64 = 0.011;
const SPT_EES: f64 = 48.75;
const SPT_P0: f64 = 1.11;
const SPT_K: f64 = 0.435;
const SPT_VD_ML: f64 = 2.0;
const PCD_P0: f64 = 0.5;
const PCD_K: f64 = 0.030;
/// Pericardial rest volume of the reference heart, mL: about 2 mmHg at a normal end-diastolic
/// summed volume of about 275 mL (see the module note).
const PCD_V0_ML: f64 = 215.0;

/// Share of the LV dilation that moves the end-systolic relation's intercept Vd (the rest of
/// the enlargement is in the diastolic curve): dilated hearts keep a larger Vd than normal ones,
/// but their end-systolic volume grows mostly through a lower Ees \[A\].
const DILATION_VD_SHARE: f64 = 0.5;

/// What shapes the ventricles of one patient (beyond weight).
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct VentricleParams {
    pub weight_kg: f64,
    pub lv_emax: f64,
    pub rv_emax: f64,
    /// Chronic LV dilation (remodelling), mL: how far right of a normal LV of this size both
    /// of its pressure–volume relations sit. 0 for a normal-sized (or acutely stunned) LV.
    pub lv_dilation_ml: f64,
    /// LV diastolic stiffness relative to normal (multiplies the EDPVR exponent): below 1 a
    /// compliant, dilated LV; above 1 a stiff (hypertrophied, ischaemic) one.
    pub lv_stiffness: f64,
}

impl VentricleParams {
    /// A normal-sized LV of normal stiffness with the given contractilities.
    pub fn normal(weight_kg: f64, lv_emax: f64, rv_emax: f64) -> Self {
        VentricleParams {
            weight_kg,
            lv_emax,
            rv_emax,
            lv_dilation_ml: 0.0,
            lv_stiffness: 1.0,
        }
    }
}

/// Both ventricles with their septum and pericardium.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Ventricles {
    pub lv: Wall,
    pub rv: Wall,
    pub septum: Wall,
    pub pericardium: Pericardium,
    /// Septal displacement volume, mL, positive toward the right ventricle (state: the solver
    /// starts from the last step's value).
    pub vspt: f64,
    /// Pericardial pressure at the last evaluation, mmHg.
    pub p_pericardium: f64,
}

impl Ventricles {
    pub fn new(p: &VentricleParams) -> Self {
        let s = chamber_scale(p.weight_kg);
        let dilation = p.lv_dilation_ml;
        Ventricles {
            lv: Wall {
                ees: p.lv_emax / s,
                // The end-systolic relation's intercept moves right about half as far as the
                // diastolic curve in a dilated ventricle [A].
                vd: LV_VD_ML * s + DILATION_VD_SHARE * dilation,
                p0: LV_P0,
                k: LV_K / s * p.lv_stiffness,
                v0: dilation,
                one_sided: true,
            },
            rv: Wall {
                ees: p.rv_emax / s,
                vd: RV_VD_ML * s,
                p0: RV_P0,
                k: RV_K / s,
                v0: 0.0,
                one_sided: true,
            },
            septum: Wall {
                ees: SPT_EES / s,
                vd: SPT_VD_ML * s,
                p0: SPT_P0,
                k: SPT_K / s,
                v0: SPT_VD_ML * s,
                one_sided: false,
            },
            pericardium: Pericardium {
                p0: PCD_P0,
                k: PCD_K / s,
                // Chronic dilation enlarges the pericardium by about the end-diastolic
                // enlargement, taken as 1.5 × the shift of the curves [A].
                v0: PCD_V0_ML * s + 1.5 * dilation.max(0.0),
            },
            vspt: 0.0,
            p_pericardium: 0.0,
        }
    }

    /// Change contractility (events), keeping size and stiffness.
    pub fn set_emax(&mut self, weight_kg: f64, lv_emax: f64, rv_emax: f64) {
        let s = chamber_scale(weight_kg);
        self.lv.ees = lv_emax / s;
        self.rv.ees = rv_emax / s;
    }

    /// LV and RV pressures (mmHg) at volumes `v_lv`, `v_rv` (mL) and ventricular activation
    /// `e`; solves the septum's balance (Newton, from the last step's displacement, a few
    /// iterations: the residual is monotone in `vspt`, so the iteration converges from any
    /// start, and the previous step's value is within a fraction of a millilitre).
    #[inline]
    pub fn pressures(&mut self, v_lv: f64, v_rv: f64, e: f64) -> (f64, f64) {
        let mut x = self.vspt;
        let mut plvf = 0.0;
        let mut prvf = 0.0;
        for _ in 0..4 {
            let (ps, dps) = self.septum.eval(x, e);
            let (pl, dpl) = self.lv.eval(v_lv - x, e);
            let (pr, dpr) = self.rv.eval(v_rv + x, e);
            plvf = pl;
            prvf = pr;
            let f = ps - (pl - pr);
            let df = dps + dpl + dpr;
            let dx = f / df;
            // A step never moves the septum by more than 20 mL: from a far start (the first
            // step, an event) the iteration creeps instead of overshooting.
            x -= dx.clamp(-20.0, 20.0);
            if dx.abs() < 1e-6 {
                break;
            }
        }
        if !x.is_finite() {
            x = 0.0;
        }
        self.vspt = x;
        let ppcd = self.pericardium.pressure(v_lv + v_rv);
        self.p_pericardium = ppcd;
        (plvf + ppcd, prvf + ppcd)
    }
}

/// Phase of the beat and the activations derived from it.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Beat {
    /// Time since the start of atrial systole, s.
    pub t_s: f64,
    /// Length of the current cycle, s (fixed at the start of each beat).
    pub period_s: f64,
}

/// Double-Hill constants (Mynard 2012 \[S\]): time constants as shares of the time base, the
/// exponents, and the factor that makes the peak 1 (computed once offline from these four and
/// checked by a test).
const HILL_TAU1: f64 = 0.269;
const HILL_TAU2: f64 = 0.452;
const HILL_M1: f64 = 1.32;
const HILL_M2: f64 = 27.4;
const HILL_NORM: f64 = 1.640_700_4;
/// The double-Hill activation has fallen below 1 % at 1.19·τ2: it must end within the cycle.
const HILL_END_PER_TAU2: f64 = 1.19;
/// Time base at 75/min, s.
const T_REF_S: f64 = 0.8;

impl Beat {
    pub fn new(heart_rate_bpm: f64) -> Self {
        Beat {
            t_s: 0.0,
            period_s: 60.0 / heart_rate_bpm,
        }
    }

    /// Advance by `dt`; returns true when a new beat began (the caller latches beat averages).
    /// The new heart rate takes effect at the start of the next beat.
    #[inline]
    pub fn advance(&mut self, dt: f64, heart_rate_bpm: f64) -> bool {
        self.t_s += dt;
        if self.t_s >= self.period_s {
            self.t_s -= self.period_s;
            self.period_s = 60.0 / heart_rate_bpm;
            true
        } else {
            false
        }
    }

    /// (atrial, ventricular) activation, each 0..1.
    #[inline]
    pub fn activation(&self) -> (f64, f64) {
        let sq = self.period_s.sqrt();
        let base = (T_REF_S * self.period_s).sqrt();
        // At very high rates the √T scaling would carry ventricular relaxation into the next
        // beat; the phases are then compressed to fit in 95 % of the cycle.
        let span = 0.12 * sq + HILL_END_PER_TAU2 * HILL_TAU2 * base;
        let c = if span > 0.95 * self.period_s {
            0.95 * self.period_s / span
        } else {
            1.0
        };
        let t_as = 0.2 * sq * c;
        let t_av = 0.12 * sq * c;
        let t = self.t_s;
        let ea = if t < t_as {
            0.5 * (1.0 - (core::f64::consts::TAU * t / t_as).cos())
        } else {
            0.0
        };
        let tv = t - t_av;
        let ev = if tv <= 0.0 {
            0.0
        } else {
            let g1 = (tv / (HILL_TAU1 * base * c)).powf(HILL_M1);
            let g2 = (tv / (HILL_TAU2 * base * c)).powf(HILL_M2);
            (HILL_NORM * g1 / (1.0 + g1) / (1.0 + g2)).min(1.0)
        };
        (ea, ev)
    }
}

/// What one beat showed: the pressure–volume loop's corners, the work, the arterial extremes
/// and whether the aortic valve opened.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct BeatSummary {
    pub lv_edv_ml: f64,
    pub lv_esv_ml: f64,
    /// LV pressure at end-diastole (at the beat's largest LV volume), mmHg.
    pub lvedp_mmhg: f64,
    pub rv_edv_ml: f64,
    pub rv_esv_ml: f64,
    /// Peak LV pressure of the beat, mmHg.
    pub lv_peak_mmhg: f64,
    /// LV stroke work, the area of the pressure–volume loop, mmHg·mL.
    pub lv_stroke_work_mmhg_ml: f64,
    /// Systolic and diastolic pressure at the arterial line, mmHg.
    pub p_art_sys_mmhg: f64,
    pub p_art_dia_mmhg: f64,
    /// Share of the last [`AV_HISTORY_BEATS`] beats in which the aortic valve opened, 0..1.
    pub aortic_valve_open_fraction: f64,
}

/// How many beats the aortic-valve opening share looks back.
pub const AV_HISTORY_BEATS: u32 = 10;
/// A beat counts as one in which the aortic valve opened when at least this much blood went
/// through it, mL at the reference weight: a valve that cracks open for a few milliseconds
/// ejects a millilitre or so, which echo calls closed or barely opening \[A\].
pub const AV_OPEN_MIN_ML: f64 = 2.0;

/// Gathers a [`BeatSummary`] step by step.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct BeatLog {
    lv_max: f64,
    lv_min: f64,
    p_at_lv_max: f64,
    p_lv_max: f64,
    rv_max: f64,
    rv_min: f64,
    work: f64,
    v_lv_prev: f64,
    art_max: f64,
    art_min: f64,
    av_ml: f64,
    /// One bit per beat, newest lowest: 1 where the valve opened.
    av_bits: u32,
    beats: u32,
    started: bool,
}

impl BeatLog {
    /// One step's sample: LV and RV volume and LV pressure, the arterial-line pressure, and the
    /// volume through the aortic valve during the step.
    #[inline]
    pub fn sample(&mut self, v_lv: f64, p_lv: f64, v_rv: f64, p_art: f64, av_ml: f64) {
        if !self.started {
            self.started = true;
            self.reset(v_lv, v_rv, p_lv, p_art);
        }
        if v_lv > self.lv_max {
            self.lv_max = v_lv;
            self.p_at_lv_max = p_lv;
        }
        self.lv_min = self.lv_min.min(v_lv);
        self.p_lv_max = self.p_lv_max.max(p_lv);
        self.rv_max = self.rv_max.max(v_rv);
        self.rv_min = self.rv_min.min(v_rv);
        // Loop area, counter-clockwise positive: pressure times volume ejected.
        self.work += p_lv * (self.v_lv_prev - v_lv);
        self.v_lv_prev = v_lv;
        self.art_max = self.art_max.max(p_art);
        self.art_min = self.art_min.min(p_art);
        self.av_ml += av_ml;
    }

    fn reset(&mut self, v_lv: f64, v_rv: f64, p_lv: f64, p_art: f64) {
        self.lv_max = v_lv;
        self.lv_min = v_lv;
        self.p_at_lv_max = p_lv;
        self.p_lv_max = p_lv;
        self.rv_max = v_rv;
        self.rv_min = v_rv;
        self.work = 0.0;
        self.v_lv_prev = v_lv;
        self.art_max = p_art;
        self.art_min = p_art;
        self.av_ml = 0.0;
    }

    /// Close the beat (at the start of the next); `av_min_ml` is [`AV_OPEN_MIN_ML`] scaled to
    /// the patient.
    pub fn finish(&mut self, av_min_ml: f64) -> BeatSummary {
        let opened = self.av_ml >= av_min_ml;
        self.av_bits = (self.av_bits << 1) | opened as u32;
        self.beats = (self.beats + 1).min(AV_HISTORY_BEATS);
        let mask = (1u32 << AV_HISTORY_BEATS) - 1;
        let open = (self.av_bits & mask).count_ones().min(self.beats);
        let out = BeatSummary {
            lv_edv_ml: self.lv_max,
            lv_esv_ml: self.lv_min,
            lvedp_mmhg: self.p_at_lv_max,
            rv_edv_ml: self.rv_max,
            rv_esv_ml: self.rv_min,
            lv_peak_mmhg: self.p_lv_max,
            lv_stroke_work_mmhg_ml: self.work,
            p_art_sys_mmhg: self.art_max,
            p_art_dia_mmhg: self.art_min,
            aortic_valve_open_fraction: open as f64 / self.beats as f64,
        };
        self.started = false;
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn adult() -> Ventricles {
        Ventricles::new(&VentricleParams::normal(75.0, 2.95, 1.75))
    }

    #[test]
    fn activation_peaks_once_per_beat_at_one() {
        let mut b = Beat::new(75.0);
        let mut max_v: f64 = 0.0;
        let mut max_a: f64 = 0.0;
        let mut beats = 0;
        for _ in 0..(5.0 / 0.0005) as usize {
            if b.advance(0.0005, 75.0) {
                beats += 1;
            }
            let (a, v) = b.activation();
            assert!((0.0..=1.0).contains(&a) && (0.0..=1.0).contains(&v));
            max_a = max_a.max(a);
            max_v = max_v.max(v);
        }
        assert_eq!(beats, 6);
        assert!(max_a > 0.99, "{max_a}");
        // The normalisation constant gives a peak of 1 within the sampling.
        assert!((max_v - 1.0).abs() < 2e-3, "{max_v}");
    }

    #[test]
    fn fast_rates_relax_within_the_beat() {
        for hr in [150.0, 220.0] {
            let mut b = Beat::new(hr);
            let mut last_v = 0.0;
            for _ in 0..4000 {
                let wrapped = b.advance(0.0005, hr);
                let (_, v) = b.activation();
                if wrapped {
                    assert!(last_v < 0.02, "{hr}/min: activation carried over: {last_v}");
                }
                last_v = v;
            }
        }
    }

    #[test]
    fn contraction_never_lowers_pressure() {
        // The defect this model replaces: at low Emax, activation lowered LV pressure.
        for emax in [0.1, 0.3, 0.6, 2.95] {
            let mut h = Ventricles::new(&VentricleParams::normal(75.0, emax, 1.75));
            // Each free wall alone, at every volume.
            for v in [5.0, 20.0, 60.0, 120.0, 200.0, 300.0] {
                assert!(h.lv.eval(v, 1.0).0 >= h.lv.eval(v, 0.0).0);
            }
            // The coupled ventricles at volumes a beating heart passes through (septal shift
            // could lower an LV pressure only where the LV is nearly empty).
            for v in [40.0, 60.0, 120.0, 200.0, 300.0] {
                let (pd, _) = h.pressures(v, 120.0, 0.0);
                let (ps, _) = h.pressures(v, 120.0, 1.0);
                assert!(ps >= pd - 1e-9, "Emax {emax}, V {v}: {ps} < {pd}");
            }
        }
    }

    #[test]
    fn normal_pressures_at_normal_volumes() {
        let mut h = adult();
        // End-diastole: LVEDV 120, RVEDV 140 mL gives LVEDP in the normal 5–12 mmHg.
        let (pl, pr) = h.pressures(120.0, 140.0, 0.0);
        assert!((5.0..=12.0).contains(&pl), "LVEDP {pl}");
        assert!((3.0..=10.0).contains(&pr), "RVEDP {pr}");
        assert!(
            h.p_pericardium > 0.5 && h.p_pericardium < 4.0,
            "{}",
            h.p_pericardium
        );
        // End-systole: about 120 mmHg at 50 mL.
        let (ps, _) = h.pressures(50.0, 70.0, 1.0);
        assert!((90.0..=140.0).contains(&ps), "LVESP {ps}");
    }

    #[test]
    fn a_dilated_right_ventricle_raises_left_diastolic_pressure() {
        let mut h = adult();
        let (normal, _) = h.pressures(120.0, 140.0, 0.0);
        let s0 = h.vspt;
        let (squeezed, _) = h.pressures(120.0, 260.0, 0.0);
        assert!(squeezed > normal + 3.0, "{normal} -> {squeezed}");
        assert!(h.vspt < s0, "septum moves left: {s0} -> {}", h.vspt);
    }

    #[test]
    fn beat_log_reads_a_loop() {
        let mut log = BeatLog::default();
        // A square loop: fill 50→120 at 5 mmHg, eject 120→50 at 100 mmHg.
        for i in 0..=70 {
            log.sample(50.0 + i as f64, 5.0, 100.0, 80.0, 0.0);
        }
        for i in 0..=70 {
            log.sample(120.0 - i as f64, 100.0, 100.0, 120.0, 1.0);
        }
        let b = log.finish(1.0);
        assert_eq!((b.lv_edv_ml, b.lv_esv_ml), (120.0, 50.0));
        assert_eq!(b.lvedp_mmhg, 5.0);
        // (100 − 5)·70 mmHg·mL, less the first ejection step taken at the filling pressure.
        assert!((b.lv_stroke_work_mmhg_ml - 95.0 * 70.0).abs() < 100.0);
        assert_eq!((b.p_art_sys_mmhg, b.p_art_dia_mmhg), (120.0, 80.0));
        assert_eq!(b.aortic_valve_open_fraction, 1.0);
        // Nine closed beats after it: one in ten opened; a tenth pushes it out of the window.
        let mut last = b;
        for _ in 0..9 {
            log.sample(100.0, 10.0, 100.0, 80.0, 0.0);
            last = log.finish(1.0);
        }
        assert!((last.aortic_valve_open_fraction - 0.1).abs() < 1e-12);
        log.sample(100.0, 10.0, 100.0, 80.0, 0.5);
        let b = log.finish(1.0);
        assert_eq!(b.aortic_valve_open_fraction, 0.0);
    }

    #[test]
    fn septum_balance_is_solved() {
        let mut h = adult();
        for &(vl, vr, e) in &[(120.0, 140.0, 0.0), (60.0, 80.0, 1.0), (150.0, 90.0, 0.4)] {
            h.pressures(vl, vr, e);
            let x = h.vspt;
            let (ps, _) = h.septum.eval(x, e);
            let (pl, _) = h.lv.eval(vl - x, e);
            let (pr, _) = h.rv.eval(vr + x, e);
            assert!((ps - (pl - pr)).abs() < 1e-3, "residual at {vl}/{vr}/{e}");
        }
    }
}
