//! Cannulae and tubing: pressure drop versus flow.
//!
//! Units: size French, flow L/min, pressure mmHg, viscosity mPa·s.
//!
//! | element | law | source |
//! |---|---|---|
//! | single-lumen cannula | ΔP = R(D)·Q², R(D) = a·D³ + b·D² + c·D + d | ECLIPSE `parameter_cannula.txt` (circuit.md) |
//! | small cannula, 8 Fr up to the ECLIPSE range | ΔP = R(D)·Q², R log-log interpolated through Wang 2015's 8, 10, 12 Fr and the ECLIPSE fit's smallest size | [`PAEDIATRIC_RETURN_R`] |
//! | dual-lumen 27 Fr bicaval | ΔP = a·Q² + b·Q per lumen | `nickmmark/ecmo-calculations` digitised curves (circuit.md) |
//! | tubing | Poiseuille, ΔP = 8·μ·L·Q/(π·r⁴) | circuit.md |
//! | blood viscosity | Pries 1992 large-tube limit × plasma viscosity × cooling factor | below |
//!
//! Neonatal and paediatric sizes (8 Fr up to the adult fits) come from blood measurements of
//! Bio-Medicus one-piece arterial cannulae (Wang et al. 2015, see [`PAEDIATRIC_RETURN_R`]);
//! between the largest of them (12 Fr) and the smallest size of the adult fit the resistance is
//! interpolated in log-log (the two data sets meet with a slope near Poiseuille's D⁻⁴). Small
//! drainage cannulae (8–19 Fr) have no published blood data: they are taken to resist like the
//! arterial cannula of the same size \[assumption: short single-stage wire-wound paediatric
//! cannulae; the adult drainage fit at 19 Fr (5.0 mmHg/(L/min)²) lies on the D⁻⁴ line from
//! Wang's 12 Fr (slope −4.1)\].
//!
//! Sizes outside a fit's valid range: [`Cannula::new`] refuses them with an error naming the
//! range. A `Cannula` built directly from its public fields is still evaluated: the resistance
//! is extrapolated from the nearest valid size with Poiseuille's D⁻⁴ scaling (the cubic itself
//! turns over outside the range and would make a wider cannula resist more).

/// Which way blood goes through a single-lumen cannula.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum CannulaRole {
    /// Venous, multi-stage drainage cannula.
    Drainage,
    /// Arterial or venous return cannula.
    Return,
}

#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Cannula {
    pub role: CannulaRole,
    pub size_fr: f64,
}

/// A cannula or tubing specification that the fits do not cover.
#[derive(Clone, Debug, PartialEq)]
pub struct SizeError {
    /// What was asked for, e.g. "return cannula size".
    pub what: &'static str,
    pub value: f64,
    pub min: f64,
    pub max: f64,
}

impl core::fmt::Display for SizeError {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        write!(
            f,
            "{} {} is outside the valid range {}–{}",
            self.what, self.value, self.min, self.max
        )
    }
}

/// Cubic coefficients (a, b, c, d) and valid range of the ECLIPSE fits (circuit.md).
const RETURN_FIT: ([f64; 4], (f64, f64)) =
    ([-0.0304563, 1.977453, -43.294345, 322.259074], (15.0, 23.0));
const DRAINAGE_FIT: ([f64; 4], (f64, f64)) =
    ([-3.65623e-4, 0.0656466, -2.910667, 39.143497], (19.0, 29.0));

fn cubic(c: &[f64; 4], d: f64) -> f64 {
    ((c[0] * d + c[1]) * d + c[2]) * d + c[3]
}

/// Quadratic resistance of small Bio-Medicus one-piece arterial cannulae, (size Fr,
/// mmHg/(L/min)²), in blood of haematocrit 30 % at 35 °C (Wang, Rosenthal, Kunselman & Ündar
/// 2015, Artif Organs 39:43). Wang measured the drop over the arterial line (150 cm of 1/4″ or
/// 3/16″ tubing and the cannula): 8 Fr at 0.5 L/min 62.1 / 79.6 mmHg, 10 Fr at 1.0 L/min
/// 74.0 / 111.6 mmHg, 12 Fr at 1.5 L/min 154.0 mmHg (3/16″). The two tubings' difference gives
/// the blood's Poiseuille viscosity (3.45 and 3.70 mPa·s), and the cannula's drop is the line's
/// less the tubing's: 54.0 mmHg at 0.5, 56.6 at 1.0 and 73.8 at 1.5 L/min (12 Fr with the mean
/// 3.6 mPa·s).
pub const PAEDIATRIC_RETURN_R: [(f64, f64); 3] = [(8.0, 216.0), (10.0, 56.6), (12.0, 32.8)];
/// Smallest size any single-lumen cannula is offered in, French (neonatal arterial cannulae,
/// Wang 2015).
pub const SMALLEST_FR: f64 = 8.0;

/// Resistance below the adult fit's range: log-log interpolation through
/// [`PAEDIATRIC_RETURN_R`] and the adult fit's smallest size (`fit_min`, `r_min`); D⁻⁴
/// (Poiseuille) below 8 Fr.
fn small_resistance(d: f64, fit_min: f64, r_min: f64) -> f64 {
    let t = &PAEDIATRIC_RETURN_R;
    if d <= t[0].0 {
        return t[0].1 * (t[0].0 / d).powi(4);
    }
    let mut lo = t[0];
    for &hi in t[1..].iter().chain(core::iter::once(&(fit_min, r_min))) {
        if d <= hi.0 {
            let f = (d / lo.0).ln() / (hi.0 / lo.0).ln();
            return (lo.1.ln() + f * (hi.1 / lo.1).ln()).exp();
        }
        lo = hi;
    }
    r_min
}

impl Cannula {
    /// Valid size range for this role, French: from [`SMALLEST_FR`] (the paediatric data) to
    /// the top of the adult fit.
    pub fn valid_range(role: CannulaRole) -> (f64, f64) {
        let top = match role {
            CannulaRole::Drainage => DRAINAGE_FIT.1.1,
            CannulaRole::Return => RETURN_FIT.1.1,
        };
        (SMALLEST_FR, top)
    }

    /// A cannula whose size lies inside the valid range (drainage 8–29 Fr, return 8–23 Fr);
    /// anything else is refused with the range named.
    pub fn new(role: CannulaRole, size_fr: f64) -> Result<Self, SizeError> {
        let (min, max) = Self::valid_range(role);
        if !(size_fr >= min && size_fr <= max) {
            return Err(SizeError {
                what: match role {
                    CannulaRole::Drainage => "drainage cannula size (Fr)",
                    CannulaRole::Return => "return cannula size (Fr)",
                },
                value: size_fr,
                min,
                max,
            });
        }
        Ok(Cannula { role, size_fr })
    }

    /// Quadratic resistance R in ΔP = R·Q², mmHg/(L/min)².
    pub fn resistance(&self) -> f64 {
        let (coef, (min, max)) = match self.role {
            CannulaRole::Drainage => DRAINAGE_FIT,
            CannulaRole::Return => RETURN_FIT,
        };
        let d = if self.size_fr.is_nan() {
            min
        } else {
            self.size_fr.clamp(1.0, 100.0)
        };
        if d < min {
            small_resistance(d, min, cubic(&coef, min))
        } else if d > max {
            cubic(&coef, max) * (max / d).powi(4)
        } else {
            cubic(&coef, d)
        }
    }

    /// Pressure drop along the cannula, signed with the flow.
    pub fn pressure_drop_mmhg(&self, q_lpm: f64) -> f64 {
        let q = finite_flow(q_lpm);
        self.resistance() * q * q.abs()
    }
}

fn finite_flow(q: f64) -> f64 {
    if q.is_nan() {
        0.0
    } else {
        q.clamp(-100.0, 100.0)
    }
}

/// A dual-lumen single-site VV cannula (bicaval, drains both venae cavae, returns towards the
/// tricuspid valve).
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct DualLumenCannula {
    pub size_fr: f64,
    /// Infusion lumen: ΔP = a·Q² + b·Q, mmHg.
    pub infusion: (f64, f64),
    /// Drainage lumen: pressure fall magnitude a·Q² + b·Q, mmHg.
    pub drainage: (f64, f64),
}

impl DualLumenCannula {
    /// 27 Fr bicaval (Avalon-class) fit from circuit.md: infusion a = 10.984, b = 5.3044;
    /// drainage a = 3.4861, b = 2.3871 (the source lists the drainage fit with negative sign as
    /// the pressure change along the flow).
    pub fn bicaval_27fr() -> Self {
        DualLumenCannula {
            size_fr: 27.0,
            infusion: (10.984, 5.3044),
            drainage: (3.4861, 2.3871),
        }
    }

    /// Built-in sizes: only 27 Fr has a published fit here.
    pub fn new(size_fr: f64) -> Result<Self, SizeError> {
        if size_fr == 27.0 {
            Ok(Self::bicaval_27fr())
        } else {
            Err(SizeError {
                what: "dual-lumen cannula size (Fr)",
                value: size_fr,
                min: 27.0,
                max: 27.0,
            })
        }
    }

    /// Pressure drop through the infusion (return) lumen, signed with the flow.
    pub fn infusion_drop_mmhg(&self, q_lpm: f64) -> f64 {
        let q = finite_flow(q_lpm);
        q.signum() * (self.infusion.0 * q * q + self.infusion.1 * q.abs())
    }

    /// Pressure drop through the drainage lumen, signed with the flow.
    pub fn drainage_drop_mmhg(&self, q_lpm: f64) -> f64 {
        let q = finite_flow(q_lpm);
        q.signum() * (self.drainage.0 * q * q + self.drainage.1 * q.abs())
    }
}

#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Tubing {
    pub length_m: f64,
    pub inner_diameter_mm: f64,
}

impl Tubing {
    /// 3/8″ (9.525 mm) tubing, 2 m in total: a typical adult circuit (circuit.md).
    pub const ADULT_3_8_IN: Tubing = Tubing {
        length_m: 2.0,
        inner_diameter_mm: 9.525,
    };

    /// Tubing with positive, finite length (≤ 20 m) and diameter (1–25 mm).
    pub fn new(length_m: f64, inner_diameter_mm: f64) -> Result<Self, SizeError> {
        if !(length_m > 0.0 && length_m <= 20.0) {
            return Err(SizeError {
                what: "tubing length (m)",
                value: length_m,
                min: 0.0,
                max: 20.0,
            });
        }
        if !(1.0..=25.0).contains(&inner_diameter_mm) {
            return Err(SizeError {
                what: "tubing inner diameter (mm)",
                value: inner_diameter_mm,
                min: 1.0,
                max: 25.0,
            });
        }
        Ok(Tubing {
            length_m,
            inner_diameter_mm,
        })
    }

    /// Linear resistance, mmHg per L/min, for this viscosity.
    pub fn resistance(&self, viscosity_mpa_s: f64) -> f64 {
        let mu = if viscosity_mpa_s.is_nan() {
            3.5
        } else {
            viscosity_mpa_s.clamp(0.1, 100.0)
        } * 1e-3;
        let len = if self.length_m.is_nan() {
            0.0
        } else {
            self.length_m.clamp(0.0, 100.0)
        };
        let d_mm = if self.inner_diameter_mm.is_nan() {
            9.525
        } else {
            self.inner_diameter_mm.clamp(0.5, 100.0)
        };
        let r = 0.5e-3 * d_mm;
        // Pa per m³/s → mmHg per L/min.
        8.0 * mu * len / (core::f64::consts::PI * r.powi(4)) / 60_000.0 / 133.322
    }

    /// Poiseuille pressure drop, signed with the flow, for blood of the given viscosity.
    pub fn pressure_drop_mmhg(&self, q_lpm: f64, viscosity_mpa_s: f64) -> f64 {
        self.resistance(viscosity_mpa_s) * finite_flow(q_lpm)
    }

    /// Blood volume held, mL.
    pub fn volume_ml(&self) -> f64 {
        let r_cm = 0.05 * self.inner_diameter_mm.clamp(0.0, 100.0);
        core::f64::consts::PI * r_cm * r_cm * self.length_m.clamp(0.0, 100.0) * 100.0
    }
}

/// Plasma viscosity at 37 °C, mPa·s (normal range 1.10–1.30 \[M\]).
pub const PLASMA_VISCOSITY_MPA_S: f64 = 1.2;

/// Apparent viscosity of blood in circuit-sized tubes, mPa·s, from haematocrit (fraction) and
/// temperature.
///
/// Relative viscosity: Pries et al. 1992 (Am J Physiol 263:H1770) in-vitro law in its
/// large-diameter limit (η₀.₄₅ = 3.2, shape exponent C = −0.8):
/// η_rel = 1 + 2.2·((1 − H)^−0.8 − 1)/((0.55)^−0.8 − 1). Times plasma viscosity 1.2 mPa·s this
/// gives 3.4 mPa·s at H = 0.40 and 2.6 at 0.30 (circuit.md: about 3–4). Cooling raises
/// viscosity about 2 % per °C (Eckmann et al. 2000, Anesth Analg 91:539), applied as
/// exp(0.02·(37 − T)).
pub fn blood_viscosity_mpa_s(hct: f64, temp_c: f64) -> f64 {
    let h = if hct.is_nan() {
        0.4
    } else {
        hct.clamp(0.0, 0.8)
    };
    let t = if temp_c.is_nan() {
        37.0
    } else {
        temp_c.clamp(10.0, 45.0)
    };
    let denom = 0.55f64.powf(-0.8) - 1.0;
    let rel = 1.0 + 2.2 * ((1.0 - h).powf(-0.8) - 1.0) / denom;
    PLASMA_VISCOSITY_MPA_S * rel * (0.02 * (37.0 - t)).exp()
}

/// Haematocrit (fraction) from haemoglobin, g/dL, at a mean corpuscular Hb concentration of
/// 33 g/dL (normal 32–36 \[M\]).
pub fn hct_from_hb(hb_g_dl: f64) -> f64 {
    if hb_g_dl.is_nan() {
        0.0
    } else {
        (hb_g_dl / 33.0).clamp(0.0, 0.8)
    }
}

/// The published single-lumen pressure drops the fits reproduce (circuit.md, ECLIPSE cannula
/// fits, ΔP table): (role, French size, ΔP at 4 L/min, ΔP at 5 L/min), mmHg. Used by the unit
/// tests here and by `ecmo validate`, so the figures live in one place.
pub const PUBLISHED_DP_MMHG: [(CannulaRole, f64, f64, f64); 8] = [
    (CannulaRole::Return, 15.0, 240.0, 375.0),
    (CannulaRole::Return, 17.0, 130.0, 203.0),
    (CannulaRole::Return, 19.0, 74.0, 116.0),
    (CannulaRole::Return, 21.0, 49.0, 77.0),
    (CannulaRole::Drainage, 21.0, 57.0, 90.0),
    (CannulaRole::Drainage, 23.0, 40.0, 62.0),
    (CannulaRole::Drainage, 25.0, 27.0, 42.0),
    (CannulaRole::Drainage, 27.0, 19.0, 30.0),
];

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    /// circuit.md: ΔP at 4 / 5 L/min.
    #[test]
    fn single_lumen_table() {
        for (role, fr, at4, at5) in PUBLISHED_DP_MMHG {
            let c = Cannula::new(role, fr).unwrap();
            let d4 = c.pressure_drop_mmhg(4.0);
            let d5 = c.pressure_drop_mmhg(5.0);
            assert!((d4 - at4).abs() <= 1.0, "{role:?} {fr}: {d4} vs {at4}");
            assert!((d5 - at5).abs() <= 1.0, "{role:?} {fr}: {d5} vs {at5}");
            assert_eq!(c.pressure_drop_mmhg(-4.0), -d4);
        }
    }

    #[test]
    fn sizes_outside_range_refused_or_extrapolated_monotonically() {
        let e = Cannula::new(CannulaRole::Return, 25.0).unwrap_err();
        assert_eq!((e.min, e.max), (8.0, 23.0));
        assert!(e.to_string().contains("8–23"), "{e}");
        assert!(Cannula::new(CannulaRole::Drainage, 7.0).is_err());
        assert!(Cannula::new(CannulaRole::Drainage, 30.0).is_err());
        assert!(Cannula::new(CannulaRole::Drainage, f64::NAN).is_err());
        // Direct construction extrapolates: bigger always resists less.
        for role in [CannulaRole::Drainage, CannulaRole::Return] {
            let mut last = f64::INFINITY;
            let mut fr = 4.0;
            while fr <= 40.0 {
                let r = Cannula { role, size_fr: fr }.resistance();
                assert!(r > 0.0 && r < last, "{role:?} {fr}: {r}");
                last = r;
                fr += 0.25;
            }
        }
    }

    /// Wang 2015: the small arterial cannulae's drops in blood, and continuity with the adult
    /// fits where the two meet.
    #[test]
    fn paediatric_sizes() {
        for (fr, q, dp) in [(8.0, 0.5, 54.0), (10.0, 1.0, 56.6), (12.0, 1.5, 73.8)] {
            for role in [CannulaRole::Return, CannulaRole::Drainage] {
                let c = Cannula::new(role, fr).unwrap();
                let d = c.pressure_drop_mmhg(q);
                assert!((d - dp).abs() < 0.5, "{role:?} {fr} Fr: {d} vs {dp}");
            }
        }
        for role in [CannulaRole::Return, CannulaRole::Drainage] {
            let (min, _) = match role {
                CannulaRole::Return => RETURN_FIT.1,
                CannulaRole::Drainage => DRAINAGE_FIT.1,
            };
            let below = Cannula {
                role,
                size_fr: min - 1e-9,
            }
            .resistance();
            let at = Cannula { role, size_fr: min }.resistance();
            assert!((below / at - 1.0).abs() < 1e-6, "{role:?}: {below} vs {at}");
        }
        // 14 Fr return: between Wang's 12 Fr and the adult fit's 15 Fr, about 19.
        let r14 = Cannula::new(CannulaRole::Return, 14.0)
            .unwrap()
            .resistance();
        assert!((17.0..22.0).contains(&r14), "{r14}");
    }

    #[test]
    fn dual_lumen_27fr() {
        let c = DualLumenCannula::new(27.0).unwrap();
        assert!((c.infusion_drop_mmhg(4.0) - 197.0).abs() < 1.0);
        assert!((c.drainage_drop_mmhg(4.0) - 65.0).abs() < 1.0);
        assert!(c.infusion_drop_mmhg(-1.0) < 0.0);
        assert!(DualLumenCannula::new(31.0).is_err());
    }

    #[test]
    fn viscosity_and_tubing() {
        let mu40 = blood_viscosity_mpa_s(0.40, 37.0);
        let mu30 = blood_viscosity_mpa_s(0.30, 37.0);
        assert!((3.0..4.0).contains(&mu40), "{mu40}");
        assert!((2.4..3.2).contains(&mu30), "{mu30}");
        assert!(blood_viscosity_mpa_s(0.40, 30.0) > mu40 * 1.1);
        assert!((blood_viscosity_mpa_s(0.0, 37.0) - PLASMA_VISCOSITY_MPA_S).abs() < 1e-12);
        // 2 m of 3/8″ tubing at 5 L/min, μ 3.5 mPa·s: 8μLQ/(πr⁴) = 2.89 kPa = 21.7 mmHg.
        let t = Tubing::ADULT_3_8_IN;
        let dp = t.pressure_drop_mmhg(5.0, 3.5);
        assert!((dp - 21.7).abs() < 0.2, "{dp}");
        assert!((t.volume_ml() - 142.5).abs() < 1.0);
        assert!(Tubing::new(2.0, 0.0).is_err());
        assert!(Tubing::new(-1.0, 9.5).is_err());
    }

    proptest! {
        #[test]
        fn never_nan(fr in -100.0f64..200.0, q in -1e6f64..1e6, mu in -10.0f64..100.0, h in -1.0f64..2.0, t in -50.0f64..100.0) {
            for role in [CannulaRole::Drainage, CannulaRole::Return] {
                let c = Cannula { role, size_fr: fr };
                prop_assert!(c.pressure_drop_mmhg(q).is_finite());
            }
            let tube = Tubing { length_m: fr, inner_diameter_mm: fr };
            prop_assert!(tube.pressure_drop_mmhg(q, mu).is_finite());
            prop_assert!(blood_viscosity_mpa_s(h, t).is_finite());
            let dl = DualLumenCannula::bicaval_27fr();
            prop_assert!(dl.infusion_drop_mmhg(q).is_finite() && dl.drainage_drop_mmhg(q).is_finite());
        }
    }
}
