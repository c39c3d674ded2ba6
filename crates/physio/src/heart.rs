//! The four heart chambers: time-varying elastance and the timing of the beat.
//!
//! Each chamber's pressure is a blend, weighted by its activation `e(t)` in 0..1, of an
//! end-systolic pressure–volume relation (ESPVR, linear) and an end-diastolic one (EDPVR,
//! exponential for the ventricles, linear for the atria):
//!
//! ```text
//! P(V, t) = e(t)·Ees·(V − Vd) + (1 − e(t))·EDPVR(V)
//! ```
//!
//! Sources (also in `shared/references/patient.md`):
//! - Ventricles: Ursino 1998 (Am J Physiol 275:H1733): LV Emax 2.95 mmHg/mL, RV 1.75 \[M\];
//!   EDPVR P0·(exp(kE·V) − 1) with P0 1.5 mmHg, kE 0.014 /mL (LV) and 0.011 /mL (RV), unstressed
//!   volumes 16.77 mL (LV) and 40.8 mL (RV) \[M, Ursino 1998 Table 1, not re-checked\].
//! - Atria: Heldt et al. 2002 (J Appl Physiol 92:1239) four-chamber model: RA Ees 0.74 / Eed 0.30
//!   mmHg/mL, V0 14 mL; LA Ees 0.61 / Eed 0.50, V0 24 mL \[M, not re-checked\].
//! - Timing scales with the square root of the cycle length (Bazett), as in Heldt 2002: atrial
//!   systole 0.2·√T, atrioventricular delay 0.12·√T, ventricular systole 0.3·√T (T in s) \[M\].
//!   The ventricular activation rises over that time and relaxes over half of it (raised-cosine
//!   shape, as in Heldt 2002); the atrial one is a raised-cosine pulse.

/// Which chamber a set of constants describes.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Chamber {
    /// End-systolic elastance, mmHg/mL.
    pub ees: f64,
    /// ESPVR volume intercept, mL.
    pub vd: f64,
    /// EDPVR: ventricles `p0·(exp(k·V) − 1)`; atria linear `k·(V − vd)` with `p0` unused.
    pub p0: f64,
    pub k: f64,
    /// True for the ventricles (exponential EDPVR).
    pub exponential: bool,
}

/// LV constants (Ursino 1998) with contractility `ees`.
pub fn left_ventricle(ees: f64) -> Chamber {
    Chamber {
        ees,
        vd: 16.77,
        p0: 1.5,
        k: 0.014,
        exponential: true,
    }
}

/// RV constants (Ursino 1998) with contractility `ees`.
pub fn right_ventricle(ees: f64) -> Chamber {
    Chamber {
        ees,
        vd: 40.8,
        p0: 1.5,
        k: 0.011,
        exponential: true,
    }
}

/// RA constants (Heldt 2002).
pub fn right_atrium() -> Chamber {
    Chamber {
        ees: 0.74,
        vd: 14.0,
        p0: 0.0,
        k: 0.30,
        exponential: false,
    }
}

/// LA constants (Heldt 2002).
pub fn left_atrium() -> Chamber {
    Chamber {
        ees: 0.61,
        vd: 24.0,
        p0: 0.0,
        k: 0.50,
        exponential: false,
    }
}

/// Below this volume (mL) a chamber's walls meet and its pressure falls steeply; this is what a
/// drainage cannula sucking an empty atrium sees. The same collapse law as the veins
/// ([`crate::circulation::collapse_pressure`]).
pub const CHAMBER_COLLAPSE_ML: f64 = 10.0;

impl Chamber {
    /// Pressure at volume `v` (mL) and activation `e` (0..1).
    #[inline]
    pub fn pressure(&self, v: f64, e: f64) -> f64 {
        let es = self.ees * (v - self.vd);
        let ed = if self.exponential {
            // exp of a bounded argument: volumes beyond ~1 L are clamped so a runaway cannot
            // overflow; the pressure there is already thousands of mmHg.
            self.p0 * ((self.k * v.min(1000.0)).exp() - 1.0)
        } else {
            self.k * (v - self.vd)
        };
        let mut p = e * es + (1.0 - e) * ed;
        if v < CHAMBER_COLLAPSE_ML {
            p += crate::circulation::collapse_pressure(v, CHAMBER_COLLAPSE_ML, 0.05);
        }
        p
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
        // At very high rates the √T scaling would carry ventricular relaxation into the next
        // beat; the phases are then compressed to fit in 95 % of the cycle.
        let span = (0.12 + 1.5 * 0.3) * sq;
        let k = if span > 0.95 * self.period_s {
            0.95 * self.period_s / span
        } else {
            1.0
        };
        let t_as = 0.2 * sq * k;
        let t_av = 0.12 * sq * k;
        let t_vs = 0.3 * sq * k;
        let t = self.t_s;
        let ea = if t < t_as {
            0.5 * (1.0 - (core::f64::consts::TAU * t / t_as).cos())
        } else {
            0.0
        };
        let tv = t - t_av;
        let ev = if tv < 0.0 {
            0.0
        } else if tv < t_vs {
            0.5 * (1.0 - (core::f64::consts::PI * tv / t_vs).cos())
        } else if tv < 1.5 * t_vs {
            0.5 * (1.0 + (core::f64::consts::TAU * (tv - t_vs) / t_vs).cos())
        } else {
            0.0
        };
        (ea, ev)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn activation_peaks_once_per_beat() {
        let mut b = Beat::new(72.0);
        let mut max_v: f64 = 0.0;
        let mut max_a: f64 = 0.0;
        let mut beats = 0;
        for _ in 0..5000 {
            if b.advance(0.001, 72.0) {
                beats += 1;
            }
            let (a, v) = b.activation();
            assert!((0.0..=1.0).contains(&a) && (0.0..=1.0).contains(&v));
            max_a = max_a.max(a);
            max_v = max_v.max(v);
        }
        assert_eq!(beats, 6); // 5 s at 72 bpm
        assert!(max_a > 0.99 && max_v > 0.99);
    }

    #[test]
    fn fast_rates_relax_within_the_beat() {
        let mut b = Beat::new(220.0);
        let mut last_v = 0.0;
        for _ in 0..2000 {
            let wrapped = b.advance(0.0005, 220.0);
            let (_, v) = b.activation();
            if wrapped {
                assert!(last_v < 1e-9, "activation carried over: {last_v}");
            }
            last_v = v;
        }
    }

    #[test]
    fn ventricle_is_stiffer_in_systole() {
        let lv = left_ventricle(2.95);
        assert!(lv.pressure(100.0, 1.0) > 200.0);
        let pd = lv.pressure(120.0, 0.0);
        assert!(pd > 4.0 && pd < 12.0, "LVEDP at 120 mL {pd}");
    }
}
