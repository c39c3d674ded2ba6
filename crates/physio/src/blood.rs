//! Blood gas chemistry: O2 and CO2 content, dissociation, acid–base.
//!
//! Units: pressures mmHg, contents mL gas (STPD) per dL blood, saturation as a fraction.
//!
//! The model is the classic trio used by lumped physiology simulators:
//!
//! | piece | law | source |
//! |---|---|---|
//! | O2 saturation | Kelman 1966 rational fit on a virtual PO2 | Kelman, J Appl Physiol 21:1375 (coefficients: docs/references/patient.md) |
//! | Bohr / temperature shift | x = PO2·10^(0.024(37−T) + 0.40(pH−7.40) + 0.06·log10(40/PCO2)) | Kelman 1966 (patient.md) |
//! | O2 content | 1.34·Hb·SO2 + 0.0031·PO2 | patient.md |
//! | acid–base | Van Slyke: BE = (1 − 0.014·Hb)·(HCO3 − 24.4 + (1.43·Hb + 7.7)·(pH − 7.40)) | Siggaard-Andersen 1977, Scand J Clin Lab Invest 37 Suppl 146:15 (Hb converted to g/dL) |
//! | oxylabile base (Haldane, pH part) | BE_actual = BE_ox + 0.3·(1 − SO2)·ctHb, ctHb in mmol/L | Siggaard-Andersen 1977 (the same paper's oxygenation correction) |
//! | bicarbonate | Henderson–Hasselbalch, HCO3 = 0.0307·PCO2·10^(pH − 6.1) | standard (solubility 0.0307 mmol/L/mmHg, pK 6.1) |
//! | CO2 content | plasma CO2 × Douglas factor (Haldane effect, carbamino part) | Douglas, Jones & Hill 1988, J Appl Physiol 65:473 |
//!
//! The Haldane effect has two parts here, and both are needed: deoxygenated haemoglobin binds
//! H⁺, so at the same PCO2 the blood's pH and bicarbonate are higher (the oxylabile base term
//! in the Van Slyke residual), and it binds more CO2 as carbamino and raises the red-cell share
//! of CO2 (Douglas' saturation term). Douglas' term alone gives about 0.09 mL CO2 per mL O2
//! at constant PCO2, a third of the in-vivo Haldane factor; with the oxylabile base the
//! model gives about 0.29 (tested), against 0.28 ± 0.03 measured in vivo from arterial and
//! mixed-venous pairs (Loeppky, Luft & Fletcher 1983, Respir Physiol 51:167). Neither
//! coefficient is fitted to that figure.
//!
//! Invariants: every function is total. Non-physical input (negative pressures, NaN, absurd Hb)
//! is clamped into the ranges in [`LIMITS`] before use, so no result is NaN or infinite.
//!
//! Temperature: gases are solved at the blood's own temperature (Kelman's temperature term
//! shifts the O2 curve, Douglas' pK' moves with temperature), i.e. the values a blood-gas
//! analyser reports *temperature-corrected* to the patient ("pH-stat" reading). The Van Slyke
//! buffer line itself is taken at 37 °C (its small temperature dependence is not modelled).
//! Not modelled: carbamino compounds apart from what the Douglas factor lumps in, and carboxy-
//! or methaemoglobin.

/// The non-respiratory properties of blood that shape its dissociation curves.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Chemistry {
    /// Haemoglobin concentration, g/dL.
    pub hb_g_dl: f64,
    /// Base excess (metabolic acid–base state), mEq/L. Defined for fully oxygenated blood.
    pub base_excess_meq_l: f64,
    /// Blood temperature, °C.
    pub temp_c: f64,
}

impl Chemistry {
    /// Normal adult arterial chemistry: Hb 15 g/dL, BE 0, 37 °C.
    pub const NORMAL: Chemistry = Chemistry {
        hb_g_dl: 15.0,
        base_excess_meq_l: 0.0,
        temp_c: 37.0,
    };

    /// The same chemistry with every field clamped into [`LIMITS`] (NaN goes to the normal value).
    pub fn clamped(&self) -> Chemistry {
        Chemistry {
            hb_g_dl: clamp_or(self.hb_g_dl, LIMITS.hb_g_dl, 15.0),
            base_excess_meq_l: clamp_or(self.base_excess_meq_l, LIMITS.base_excess_meq_l, 0.0),
            temp_c: clamp_or(self.temp_c, LIMITS.temp_c, 37.0),
        }
    }
}

/// The partial pressures and derived values of one blood sample.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct GasState {
    pub po2_mmhg: f64,
    pub pco2_mmhg: f64,
    pub ph: f64,
    /// O2 saturation of haemoglobin, fraction 0..1.
    pub so2: f64,
}

/// The conserved quantities carried with the blood.
#[derive(Clone, Copy, Debug, PartialEq, Default)]
pub struct Contents {
    /// Total O2 (bound + dissolved), mL/dL.
    pub o2_ml_dl: f64,
    /// Total CO2 (all forms), mL/dL.
    pub co2_ml_dl: f64,
}

/// The ranges inputs are clamped into. Chosen so that every formula stays finite and monotone:
/// the Douglas factor stays positive for Hb ≤ 22 g/dL and pH ≤ 7.9.
#[derive(Clone, Copy, Debug)]
pub struct Limits {
    pub po2_mmhg: (f64, f64),
    pub pco2_mmhg: (f64, f64),
    pub ph: (f64, f64),
    pub hb_g_dl: (f64, f64),
    pub base_excess_meq_l: (f64, f64),
    pub temp_c: (f64, f64),
}

/// See [`Limits`].
pub const LIMITS: Limits = Limits {
    po2_mmhg: (0.01, 3000.0),
    pco2_mmhg: (1.0, 400.0),
    ph: (6.5, 7.9),
    hb_g_dl: (0.0, 22.0),
    base_excess_meq_l: (-30.0, 30.0),
    temp_c: (15.0, 43.0),
};

fn clamp_or(v: f64, (lo, hi): (f64, f64), nan: f64) -> f64 {
    if v.is_nan() { nan } else { v.clamp(lo, hi) }
}

const LN10: f64 = core::f64::consts::LN_10;
/// ln 40.
const LN_40: f64 = 3.688_879_454_113_936;

/// 10^x by one `exp`, cheaper than `powf` (the solver's inner loop is all exponentials).
#[inline]
fn pow10(x: f64) -> f64 {
    (x * LN10).exp()
}

// Kelman 1966 coefficients (patient.md).
const KA1: f64 = -8532.2289;
const KA2: f64 = 2121.4010;
const KA3: f64 = -67.073989;
const KA4: f64 = 935960.87;
const KA5: f64 = -31346.258;
const KA6: f64 = 2396.1674;
const KA7: f64 = -67.104406;
/// Kelman's fit is stated for PO2 above about 10 mmHg (below it the rational function turns
/// negative near 4.7 mmHg). Below `KELMAN_X0` a power law S = S0·(x/x0)^n continues it with
/// matched value and slope.
const KELMAN_X0: f64 = 10.0;

const fn kelman_raw(x: f64) -> (f64, f64) {
    let x2 = x * x;
    let x3 = x2 * x;
    let x4 = x3 * x;
    let n = KA1 * x + KA2 * x2 + KA3 * x3 + x4;
    let d = KA4 + KA5 * x + KA6 * x2 + KA7 * x3 + x4;
    let dn = KA1 + 2.0 * KA2 * x + 3.0 * KA3 * x2 + 4.0 * x3;
    let dd = KA5 + 2.0 * KA6 * x + 3.0 * KA7 * x2 + 4.0 * x3;
    (n / d, (dn * d - n * dd) / (d * d))
}

/// Saturation and its derivative with respect to the virtual PO2 `x` (mmHg).
#[inline]
fn kelman_of_virtual(x: f64) -> (f64, f64) {
    if x >= KELMAN_X0 {
        let (s, ds) = kelman_raw(x);
        if s >= 1.0 { (1.0, 0.0) } else { (s, ds) }
    } else if x > 0.0 {
        // Matched power-law continuation; S0 and n from the fit at x0 (computed at compile time).
        const S0_DS0: (f64, f64) = kelman_raw(KELMAN_X0);
        const N: f64 = KELMAN_X0 * S0_DS0.1 / S0_DS0.0;
        let s = S0_DS0.0 * ((x / KELMAN_X0).ln() * N).exp();
        (s, N * s / x)
    } else {
        (0.0, 0.0)
    }
}

/// log10 of the factor that turns measured PO2 into Kelman's virtual PO2.
#[inline]
fn virtual_exponent(pco2: f64, ph: f64, temp_c: f64) -> f64 {
    0.024 * (37.0 - temp_c) + 0.40 * (ph - 7.40) + 0.06 * (40.0 / pco2).log10()
}

/// Kelman saturation (fraction) from PO2 with Bohr (pH, PCO2) and temperature shifts.
pub fn kelman_so2(po2_mmhg: f64, pco2_mmhg: f64, ph: f64, temp_c: f64) -> f64 {
    let po2 = clamp_or(po2_mmhg, LIMITS.po2_mmhg, LIMITS.po2_mmhg.0);
    let pco2 = clamp_or(pco2_mmhg, LIMITS.pco2_mmhg, 40.0);
    let ph = clamp_or(ph, LIMITS.ph, 7.4);
    let t = clamp_or(temp_c, LIMITS.temp_c, 37.0);
    let x = po2 * pow10(virtual_exponent(pco2, ph, t));
    kelman_of_virtual(x).0
}

/// O2 content, mL/dL, from saturation (fraction) and PO2 (patient.md).
#[inline]
pub fn o2_content(hb_g_dl: f64, so2: f64, po2_mmhg: f64) -> f64 {
    1.34 * hb_g_dl * so2 + 0.0031 * po2_mmhg
}

/// Plasma CO2 solubility, mmol/L/mmHg, at 37 °C (Henderson–Hasselbalch and Douglas 1988).
const CO2_SOL: f64 = 0.0307;

/// Oxylabile base, mEq/L per unit of desaturation per g/dL Hb: 0.3 mmol/mmol of haem
/// (Siggaard-Andersen 1977) × 0.6206 mmol/L haem per g/dL (Hb monomer 16.114 g/mol).
pub const OXYLABILE_BASE_PER_G_DL: f64 = 0.3 * 0.6206;

/// Base excess of blood at saturation `so2` whose fully oxygenated base excess is `be_ox`:
/// deoxygenated haemoglobin has taken up H⁺ (the pH part of the Haldane effect).
#[inline]
pub fn actual_base_excess(be_ox: f64, so2: f64, hb_g_dl: f64) -> f64 {
    be_ox + OXYLABILE_BASE_PER_G_DL * hb_g_dl * (1.0 - so2.clamp(0.0, 1.0))
}

/// Van Slyke residual pieces: returns (f, df/dpH) where f = BE_model(pH, PCO2) − BE.
#[inline]
fn van_slyke(pco2: f64, ph: f64, chem: &Chemistry) -> (f64, f64) {
    let hb = chem.hb_g_dl;
    let z = 1.0 - 0.014 * hb;
    let beta = 1.43 * hb + 7.7;
    let hco3 = CO2_SOL * pco2 * pow10(ph - 6.1);
    let f = z * (hco3 - 24.4 + beta * (ph - 7.40)) - chem.base_excess_meq_l;
    let df = z * (hco3 * LN10 + beta);
    (f, df)
}

/// pH of blood with this PCO2 and PO2: the Van Slyke line with the oxylabile base of its
/// saturation, which itself depends on pH (Bohr). Newton from the fully oxygenated root; the
/// coupling is weak (about 0.04 pH per full desaturation) so two or three steps converge.
pub fn ph_from_pco2_po2(pco2_mmhg: f64, po2_mmhg: f64, chem: &Chemistry) -> f64 {
    let chem = chem.clamped();
    let pco2 = clamp_or(pco2_mmhg, LIMITS.pco2_mmhg, 40.0);
    let po2 = clamp_or(po2_mmhg, LIMITS.po2_mmhg, LIMITS.po2_mmhg.0);
    let k = OXYLABILE_BASE_PER_G_DL * chem.hb_g_dl;
    let mut ph = ph_from_pco2(pco2, &chem);
    let a_fixed = 0.024 * (37.0 - chem.temp_c) + 0.06 * (40.0 / pco2).log10();
    for _ in 0..8 {
        let f = pow10(a_fixed + 0.40 * (ph - 7.40));
        let (s, ds_dx) = kelman_of_virtual(po2 * f);
        let ds_dh = ds_dx * po2 * f * 0.40 * LN10;
        let (r, dr) = van_slyke(pco2, ph, &chem);
        let r = r - k * (1.0 - s);
        let dr = dr + k * ds_dh;
        let step = r / dr;
        ph = (ph - step).clamp(LIMITS.ph.0, LIMITS.ph.1);
        if step.abs() < 1e-12 {
            break;
        }
    }
    ph
}

/// pH of fully oxygenated blood with this PCO2 and chemistry (Van Slyke + Henderson–
/// Hasselbalch), by Newton's method; the residual is increasing and convex in pH so Newton
/// from the right converges. For blood at a given PO2 use [`ph_from_pco2_po2`].
pub fn ph_from_pco2(pco2_mmhg: f64, chem: &Chemistry) -> f64 {
    let chem = chem.clamped();
    let pco2 = clamp_or(pco2_mmhg, LIMITS.pco2_mmhg, 40.0);
    // Start from the upper limit: for an increasing convex function Newton iterates from the
    // right decrease monotonically to the root.
    let mut ph = LIMITS.ph.1;
    for _ in 0..40 {
        let (f, df) = van_slyke(pco2, ph, &chem);
        let step = f / df;
        ph -= step;
        if ph <= LIMITS.ph.0 {
            return LIMITS.ph.0;
        }
        if step.abs() < 1e-12 {
            break;
        }
    }
    ph.clamp(LIMITS.ph.0, LIMITS.ph.1)
}

/// Plasma bicarbonate, mmol/L (Henderson–Hasselbalch, pK 6.1).
pub fn bicarbonate_mmol_l(pco2_mmhg: f64, ph: f64) -> f64 {
    let pco2 = clamp_or(pco2_mmhg, LIMITS.pco2_mmhg, 40.0);
    let ph = clamp_or(ph, LIMITS.ph, 7.4);
    CO2_SOL * pco2 * pow10(ph - 6.1)
}

/// Douglas 1988 whole-blood CO2 content with derivatives: (C, ∂C/∂PCO2, ∂C/∂pH, ∂C/∂SO2).
#[inline]
fn co2_content_parts(pco2: f64, ph: f64, so2: f64, chem: &Chemistry) -> (f64, f64, f64, f64) {
    let t = chem.temp_c;
    let hb = chem.hb_g_dl;
    // Apparent pK' of plasma (Douglas 1988, eq. 2): 6.086 + 0.042(7.4 − pH) + (38 − T)(0.00472 + 0.00139(7.4 − pH)).
    let pk = 6.086 + 0.042 * (7.4 - ph) + (38.0 - t) * (0.00472 + 0.00139 * (7.4 - ph));
    let dpk_dph = -0.042 - 0.00139 * (38.0 - t);
    let e = pow10(ph - pk);
    // Plasma CO2, mL/dL: 2.226 mL/dL per mmol/L (22.26 mL/mmol).
    let k = 2.226 * CO2_SOL;
    let cp = k * pco2 * (1.0 + e);
    let dcp_dpco2 = k * (1.0 + e);
    let dcp_dph = k * pco2 * e * LN10 * (1.0 - dpk_dph);
    // Whole blood / plasma ratio (Douglas 1988, eq. 4), SO2 as a fraction.
    let a = 3.352 - 0.456 * so2;
    let b = 8.142 - ph;
    let g = 0.0289 * hb / (a * b);
    let f = 1.0 - g;
    let df_dso2 = -g * 0.456 / a;
    let df_dph = -g / b;
    (
        cp * f,
        dcp_dpco2 * f,
        dcp_dph * f + cp * df_dph,
        cp * df_dso2,
    )
}

/// Whole-blood CO2 content, mL/dL, at this PCO2, pH and saturation (Douglas, Jones & Hill 1988).
/// Lower saturation carries more CO2 at the same PCO2 (Haldane effect).
pub fn co2_content(pco2_mmhg: f64, ph: f64, so2: f64, chem: &Chemistry) -> f64 {
    let chem = chem.clamped();
    let pco2 = clamp_or(pco2_mmhg, LIMITS.pco2_mmhg, 40.0);
    let ph = clamp_or(ph, LIMITS.ph, 7.4);
    let so2 = clamp_or(so2, (0.0, 1.0), 0.0);
    co2_content_parts(pco2, ph, so2, &chem).0
}

/// O2 content (mL/dL) and its slope ∂CtO2/∂PO2 (mL/dL/mmHg) at fixed PCO2 and pH: one power
/// and one rational function, the cheap path for callers that hold PCO2 and pH.
#[inline]
pub fn o2_content_at(po2_mmhg: f64, pco2_mmhg: f64, ph: f64, chem: &Chemistry) -> (f64, f64) {
    let po2 = clamp_or(po2_mmhg, LIMITS.po2_mmhg, LIMITS.po2_mmhg.0);
    let pco2 = clamp_or(pco2_mmhg, LIMITS.pco2_mmhg, 40.0);
    let ph = clamp_or(ph, LIMITS.ph, 7.4);
    let hb = clamp_or(chem.hb_g_dl, LIMITS.hb_g_dl, 15.0);
    let t = clamp_or(chem.temp_c, LIMITS.temp_c, 37.0);
    let f = pow10(virtual_exponent(pco2, ph, t));
    let (s, ds_dx) = kelman_of_virtual(po2 * f);
    (o2_content(hb, s, po2), 1.34 * hb * ds_dx * f + 0.0031)
}

/// PO2 (mmHg) at which blood of this PCO2, pH and chemistry holds `o2_ml_dl` (inverse of
/// [`o2_content_at`]): safeguarded Newton on the increasing content curve, at most 40 steps.
pub fn po2_from_o2_content(o2_ml_dl: f64, pco2_mmhg: f64, ph: f64, chem: &Chemistry) -> f64 {
    let (mut lo, mut hi) = LIMITS.po2_mmhg;
    let target = if o2_ml_dl.is_nan() { 0.0 } else { o2_ml_dl };
    if o2_content_at(lo, pco2_mmhg, ph, chem).0 >= target {
        return lo;
    }
    if o2_content_at(hi, pco2_mmhg, ph, chem).0 <= target {
        return hi;
    }
    let mut p = 40.0;
    for _ in 0..40 {
        let (c, dc) = o2_content_at(p, pco2_mmhg, ph, chem);
        let f = c - target;
        if f > 0.0 {
            hi = p
        } else {
            lo = p
        }
        let mut next = p - f / dc;
        if !(next > lo && next < hi) {
            next = 0.5 * (lo + hi);
        }
        if (next - p).abs() < 1e-9 * p.max(1.0) {
            return next;
        }
        p = next;
    }
    p
}

/// Local slopes of the dissociation curves at a solved state: (∂CtO2/∂PO2 at fixed PCO2,
/// dCtCO2/dPCO2 at fixed saturation including the pH change along the buffer line), in
/// mL/dL per mmHg. Cheap (two powers); the oxygenator uses them to linearise each segment.
pub fn slopes(state: &GasState, chem: &Chemistry) -> (f64, f64) {
    let chem = chem.clamped();
    let p = clamp_or(state.po2_mmhg, LIMITS.po2_mmhg, 40.0);
    let c = clamp_or(state.pco2_mmhg, LIMITS.pco2_mmhg, 40.0);
    let h = clamp_or(state.ph, LIMITS.ph, 7.4);
    let s = clamp_or(state.so2, (0.0, 1.0), 0.0);
    let x = p * pow10(virtual_exponent(c, h, chem.temp_c));
    let (_, ds_dx) = kelman_of_virtual(x);
    let do2 = 1.34 * chem.hb_g_dl * ds_dx * x / p + 0.0031;
    let (_, dc_dc, dc_dh, _) = co2_content_parts(c, h, s, &chem);
    let hco3 = CO2_SOL * c * pow10(h - 6.1);
    let beta = 1.43 * chem.hb_g_dl + 7.7;
    let dh_dc = -(hco3 / c) / (hco3 * LN10 + beta);
    (do2, (dc_dc + dc_dh * dh_dc).max(1e-6))
}

/// Forward: contents and full state of blood at the given partial pressures.
pub fn from_partial_pressures(
    po2_mmhg: f64,
    pco2_mmhg: f64,
    chem: &Chemistry,
) -> (Contents, GasState) {
    let chem = chem.clamped();
    let po2 = clamp_or(po2_mmhg, LIMITS.po2_mmhg, LIMITS.po2_mmhg.0);
    let pco2 = clamp_or(pco2_mmhg, LIMITS.pco2_mmhg, 40.0);
    let ph = ph_from_pco2_po2(pco2, po2, &chem);
    let so2 = kelman_so2(po2, pco2, ph, chem.temp_c);
    let contents = Contents {
        o2_ml_dl: o2_content(chem.hb_g_dl, so2, po2),
        co2_ml_dl: co2_content_parts(pco2, ph, so2, &chem).0,
    };
    (
        contents,
        GasState {
            po2_mmhg: po2,
            pco2_mmhg: pco2,
            ph,
            so2,
        },
    )
}

/// PO2 (mmHg) at which blood of this PCO2 and chemistry is saturated to `so2` (fraction),
/// with its own pH (oxylabile base and Bohr shift included): bisection on the monotone curve,
/// for building test and reference samples (ISO 7199 inlet, venous blood of a given SO2).
pub fn po2_for_so2(so2: f64, pco2_mmhg: f64, chem: &Chemistry) -> f64 {
    let target = clamp_or(so2, (0.0, 0.999), 0.65);
    let (mut lo, mut hi) = (0.5, 700.0);
    for _ in 0..60 {
        let mid = 0.5 * (lo + hi);
        if from_partial_pressures(mid, pco2_mmhg, chem).1.so2 < target {
            lo = mid
        } else {
            hi = mid
        }
    }
    0.5 * (lo + hi)
}

/// Inverse: the partial pressures of blood holding `contents`. `guess` (the last answer for the
/// same compartment) speeds convergence. Never panics; non-physical input is clamped.
///
/// Method: damped Newton in three unknowns (ln PO2, ln PCO2, pH) on three residuals (O2 content,
/// CO2 content, Van Slyke), with the analytic Jacobian. Solving pH alongside avoids an inner
/// loop, so one iteration costs two powers and a 3×3 Cramer solve. Steps are limited (a factor
/// e^0.7 in either pressure, 0.15 in pH) so a poor guess cannot throw the iterate out of range;
/// from a guess of the previous step it converges in two or three iterations.
pub fn solve(contents: Contents, chem: &Chemistry, guess: Option<GasState>) -> GasState {
    let chem = chem.clamped();
    let hb = chem.hb_g_dl;
    // Targets: clamp to what the clamped pressure ranges can represent.
    let o2_t = if contents.o2_ml_dl.is_nan() {
        0.0
    } else {
        contents
            .o2_ml_dl
            .clamp(0.0, o2_content(hb, 1.0, LIMITS.po2_mmhg.1))
    };
    let co2_t = if contents.co2_ml_dl.is_nan() {
        0.0
    } else {
        contents.co2_ml_dl.max(0.0)
    };

    let (mut u, mut v, mut h) = match guess {
        Some(g) if g.po2_mmhg.is_finite() && g.pco2_mmhg.is_finite() && g.ph.is_finite() => (
            clamp_or(g.po2_mmhg, LIMITS.po2_mmhg, 40.0).ln(),
            clamp_or(g.pco2_mmhg, LIMITS.pco2_mmhg, 40.0).ln(),
            clamp_or(g.ph, LIMITS.ph, 7.4),
        ),
        _ => (40f64.ln(), 45f64.ln(), 7.38),
    };
    let (lu, hu) = (LIMITS.po2_mmhg.0.ln(), LIMITS.po2_mmhg.1.ln());
    let (lv, hv) = (LIMITS.pco2_mmhg.0.ln(), LIMITS.pco2_mmhg.1.ln());
    let a_temp = 0.024 * (37.0 - chem.temp_c);
    let z = 1.0 - 0.014 * hb;
    let beta = 1.43 * hb + 7.7;
    let k_ox = OXYLABILE_BASE_PER_G_DL * hb;

    for _ in 0..60 {
        let p = u.exp();
        let c = v.exp();
        // Virtual PO2 and saturation.
        // 0.06·log10(40/c) with ln c = v already at hand.
        let vexp = a_temp + 0.40 * (h - 7.40) + 0.06 * (LN_40 - v) / LN10;
        let x = p * pow10(vexp);
        let (s, ds_dx) = kelman_of_virtual(x);
        // ∂x/∂u = x, ∂x/∂v = −0.06·x, ∂x/∂h = 0.4·ln10·x.
        let ds_du = ds_dx * x;
        let ds_dv = -0.06 * ds_dx * x;
        let ds_dh = 0.4 * LN10 * ds_dx * x;
        // Residual 1: O2 content.
        let r1 = 1.34 * hb * s + 0.0031 * p - o2_t;
        let j11 = 1.34 * hb * ds_du + 0.0031 * p;
        let j12 = 1.34 * hb * ds_dv;
        let j13 = 1.34 * hb * ds_dh;
        // Residual 2: CO2 content.
        let (cc, dc_dc, dc_dh, dc_ds) = co2_content_parts(c, h, s, &chem);
        let r2 = cc - co2_t;
        let j21 = dc_ds * ds_du;
        let j22 = dc_dc * c + dc_ds * ds_dv;
        let j23 = dc_dh + dc_ds * ds_dh;
        // Residual 3: Van Slyke with the oxylabile base of the present saturation.
        let hco3 = CO2_SOL * c * pow10(h - 6.1);
        let r3 = z * (hco3 - 24.4 + beta * (h - 7.40)) - chem.base_excess_meq_l - k_ox * (1.0 - s);
        let j31 = k_ox * ds_du;
        let j32 = z * hco3 + k_ox * ds_dv;
        let j33 = z * (hco3 * LN10 + beta) + k_ox * ds_dh;
        // Cramer's rule on J·d = −r.
        let det = j11 * (j22 * j33 - j23 * j32) - j12 * (j21 * j33 - j23 * j31)
            + j13 * (j21 * j32 - j22 * j31);
        if !det.is_finite() || det.abs() < 1e-300 {
            break;
        }
        let (b1, b2, b3) = (-r1, -r2, -r3);
        let du = (b1 * (j22 * j33 - j23 * j32) - j12 * (b2 * j33 - j23 * b3)
            + j13 * (b2 * j32 - j22 * b3))
            / det;
        let dv = (j11 * (b2 * j33 - j23 * b3) - b1 * (j21 * j33 - j23 * j31)
            + j13 * (j21 * b3 - b2 * j31))
            / det;
        let dh = (j11 * (j22 * b3 - b2 * j32) - j12 * (j21 * b3 - b2 * j31)
            + b1 * (j21 * j32 - j22 * j31))
            / det;
        // Where the Van Slyke root lies outside the pH limits the forward model pins pH at the
        // limit; do the same here by dropping the third equation and solving the 2×2 system.
        let pinned = (h >= LIMITS.ph.1 && dh > 0.0) || (h <= LIMITS.ph.0 && dh < 0.0);
        let (du, dv, dh) = if pinned {
            let det2 = j11 * j22 - j12 * j21;
            (
                (b1 * j22 - j12 * b2) / det2,
                (j11 * b2 - b1 * j21) / det2,
                0.0,
            )
        } else {
            (du, dv, dh)
        };
        if !(du.is_finite() && dv.is_finite() && dh.is_finite()) {
            break;
        }
        let du = du.clamp(-0.7, 0.7);
        let dv = dv.clamp(-0.7, 0.7);
        let dh = dh.clamp(-0.15, 0.15);
        u = (u + du).clamp(lu, hu);
        v = (v + dv).clamp(lv, hv);
        h = (h + dh).clamp(LIMITS.ph.0, LIMITS.ph.1);
        // Quadratic convergence: after a step this small the error is below 1e-14.
        if du.abs() < 1e-7 && dv.abs() < 1e-7 && dh.abs() < 1e-8 {
            break;
        }
    }
    let p = u.exp();
    let c = v.exp();
    GasState {
        po2_mmhg: p,
        pco2_mmhg: c,
        ph: h,
        so2: kelman_so2(p, c, h, chem.temp_c),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn chem(hb: f64) -> Chemistry {
        Chemistry {
            hb_g_dl: hb,
            base_excess_meq_l: 0.0,
            temp_c: 37.0,
        }
    }

    /// Kelman reference saturations, pH 7.4, 37 °C, PCO2 40 (patient.md).
    #[test]
    fn kelman_reference_table() {
        for (po2, pct) in [(26.8, 49.9), (40.0, 74.1), (60.0, 91.1), (100.0, 97.5)] {
            let s = 100.0 * kelman_so2(po2, 40.0, 7.40, 37.0);
            assert!((s - pct).abs() < 0.15, "PO2 {po2}: {s} vs {pct}");
        }
    }

    #[test]
    fn low_po2_continuation_is_continuous_and_monotone() {
        let mut last = -1.0;
        let mut p = 0.01;
        while p < 700.0 {
            let s = kelman_so2(p, 40.0, 7.4, 37.0);
            assert!((0.0..=1.0).contains(&s));
            assert!(s >= last, "not monotone at {p}");
            last = s;
            p *= 1.01;
        }
        let below = kelman_so2(9.999, 40.0, 7.4, 37.0);
        let above = kelman_so2(10.001, 40.0, 7.4, 37.0);
        // Virtual PO2 at 7.4/40/37 equals PO2, so the seam is at 10 mmHg.
        assert!((below - above).abs() < 1e-4);
    }

    #[test]
    fn normal_arterial_blood() {
        let (c, g) = from_partial_pressures(95.0, 40.0, &chem(15.0));
        assert!((g.ph - 7.40).abs() < 0.01, "pH {}", g.ph);
        assert!((c.o2_ml_dl - 20.0).abs() < 0.5, "CaO2 {}", c.o2_ml_dl);
        assert!((c.co2_ml_dl - 48.0).abs() < 2.0, "CtCO2 {}", c.co2_ml_dl);
        let hco3 = bicarbonate_mmol_l(40.0, g.ph);
        assert!((hco3 - 24.4).abs() < 0.5, "HCO3 {hco3}");
    }

    #[test]
    fn normal_venous_blood() {
        let (c, g) = from_partial_pressures(40.0, 46.0, &chem(15.0));
        let (a, _) = from_partial_pressures(95.0, 40.0, &chem(15.0));
        // Textbook about 52 mL/dL; Douglas 1988 with this acid–base gives about 50.
        assert!((c.co2_ml_dl - 52.0).abs() < 2.5, "CvCO2 {}", c.co2_ml_dl);
        let av = c.co2_ml_dl - a.co2_ml_dl;
        assert!((2.5..5.5).contains(&av), "venous-arterial CO2 {av}");
        assert!((g.so2 - 0.73).abs() < 0.04, "SvO2 {}", g.so2);
        assert!(g.ph < 7.40 && g.ph > 7.33, "pH {}", g.ph);
        assert!((c.o2_ml_dl - 15.0).abs() < 1.0, "CvO2 {}", c.o2_ml_dl);
    }

    #[test]
    fn bohr_effect_direction() {
        // More CO2 and more acid: less saturation at the same PO2 (curve shifts right).
        let s_norm = kelman_so2(40.0, 40.0, 7.40, 37.0);
        assert!(kelman_so2(40.0, 60.0, 7.40, 37.0) < s_norm);
        assert!(kelman_so2(40.0, 40.0, 7.20, 37.0) < s_norm);
        assert!(kelman_so2(40.0, 40.0, 7.40, 39.0) < s_norm);
        assert!(kelman_so2(40.0, 40.0, 7.40, 33.0) > s_norm);
        // Through the full forward model too: higher PCO2 lowers O2 content at fixed PO2.
        let lo = from_partial_pressures(40.0, 35.0, &chem(15.0)).0.o2_ml_dl;
        let hi = from_partial_pressures(40.0, 60.0, &chem(15.0)).0.o2_ml_dl;
        assert!(hi < lo);
    }

    #[test]
    fn haldane_effect_direction() {
        // Deoxygenated blood carries more CO2 at the same PCO2 and pH.
        let ox = co2_content(45.0, 7.38, 0.98, &chem(15.0));
        let deox = co2_content(45.0, 7.38, 0.60, &chem(15.0));
        // Douglas 1988 gives about 1.7 mL/dL per full desaturation at Hb 15.
        assert!(deox > ox + 0.4, "{deox} vs {ox}");
        let (c_lo, _) = from_partial_pressures(30.0, 45.0, &chem(15.0));
        let (c_hi, _) = from_partial_pressures(300.0, 45.0, &chem(15.0));
        assert!(c_lo.co2_ml_dl > c_hi.co2_ml_dl);
    }

    /// In-vivo Haldane factor: CO2 content gained per O2 content lost at constant PCO2,
    /// 0.28 ± 0.03 (SE, n = 20) vol%/vol% (Loeppky, Luft & Fletcher 1983), here within 0.05
    /// over Hb 8–18 g/dL (the study found no Hb dependence). Neither coefficient of the
    /// model is fitted to it (module note), so this is a check, not a restatement.
    #[test]
    fn haldane_factor_in_vivo() {
        for hb in [8.0, 10.0, 12.0, 15.0, 18.0] {
            let c = chem(hb);
            let (ven, gv) = from_partial_pressures(36.0, 45.0, &c);
            let (art, ga) = from_partial_pressures(600.0, 45.0, &c);
            // Per volume of O2 bound to haemoglobin (the factor's definition).
            let f = (ven.co2_ml_dl - art.co2_ml_dl) / (1.34 * hb * (ga.so2 - gv.so2));
            assert!((f - 0.28).abs() <= 0.05, "Hb {hb}: Haldane factor {f}");
        }
    }

    #[test]
    fn deoxygenated_blood_is_less_acid() {
        // Oxylabile base: at the same PCO2, venous blood has a higher pH than arterial.
        let c = chem(15.0);
        let (_, v) = from_partial_pressures(30.0, 45.0, &c);
        let (_, a) = from_partial_pressures(300.0, 45.0, &c);
        let per_desaturation = (v.ph - a.ph) / (a.so2 - v.so2);
        assert!(
            (0.025..0.06).contains(&per_desaturation),
            "{} {} {per_desaturation}",
            v.ph,
            a.ph
        );
    }

    #[test]
    fn base_excess_shifts_ph() {
        let acid = ph_from_pco2(
            40.0,
            &Chemistry {
                base_excess_meq_l: -10.0,
                ..chem(15.0)
            },
        );
        let alk = ph_from_pco2(
            40.0,
            &Chemistry {
                base_excess_meq_l: 10.0,
                ..chem(15.0)
            },
        );
        assert!(acid < 7.30 && alk > 7.50, "{acid} {alk}");
    }

    #[test]
    fn solve_round_trip_normal_points() {
        for (po2, pco2) in [(95.0, 40.0), (40.0, 46.0), (450.0, 30.0), (25.0, 70.0)] {
            let c = chem(12.0);
            let (contents, truth) = from_partial_pressures(po2, pco2, &c);
            for guess in [None, Some(truth)] {
                let g = solve(contents, &c, guess);
                assert!((g.po2_mmhg - po2).abs() / po2 < 1e-6, "{po2}: {g:?}");
                assert!((g.pco2_mmhg - pco2).abs() / pco2 < 1e-6, "{pco2}: {g:?}");
                assert!((g.ph - truth.ph).abs() < 1e-6);
            }
        }
    }

    #[test]
    fn o2_inverse_at_fixed_pco2() {
        let c = chem(12.0);
        for po2 in [0.5, 5.0, 27.0, 60.0, 150.0, 600.0] {
            let (ct, slope) = o2_content_at(po2, 45.0, 7.36, &c);
            assert!(slope > 0.0);
            let back = po2_from_o2_content(ct, 45.0, 7.36, &c);
            assert!((back - po2).abs() < 1e-6 * po2.max(1.0), "{po2} {back}");
        }
        assert_eq!(po2_from_o2_content(-1.0, 45.0, 7.36, &c), LIMITS.po2_mmhg.0);
        assert_eq!(po2_from_o2_content(1e6, 45.0, 7.36, &c), LIMITS.po2_mmhg.1);
    }

    #[test]
    fn solve_handles_garbage() {
        let c = chem(15.0);
        for contents in [
            Contents {
                o2_ml_dl: f64::NAN,
                co2_ml_dl: f64::NAN,
            },
            Contents {
                o2_ml_dl: -5.0,
                co2_ml_dl: -1.0,
            },
            Contents {
                o2_ml_dl: 0.0,
                co2_ml_dl: 0.0,
            },
            Contents {
                o2_ml_dl: 1e9,
                co2_ml_dl: 1e9,
            },
            Contents {
                o2_ml_dl: f64::INFINITY,
                co2_ml_dl: f64::NEG_INFINITY,
            },
        ] {
            let g = solve(contents, &c, None);
            assert!(g.po2_mmhg.is_finite() && g.pco2_mmhg.is_finite());
            assert!(g.ph.is_finite() && g.so2.is_finite());
        }
        let bad = Chemistry {
            hb_g_dl: f64::NAN,
            base_excess_meq_l: 1e6,
            temp_c: -100.0,
        };
        let g = solve(
            Contents {
                o2_ml_dl: 15.0,
                co2_ml_dl: 50.0,
            },
            &bad,
            None,
        );
        assert!(g.po2_mmhg.is_finite() && g.ph.is_finite());
    }

    proptest! {
        #[test]
        fn round_trip_wide_grid(
            po2 in 5.0f64..700.0,
            pco2 in 10.0f64..120.0,
            hb in 5.0f64..20.0,
            be in -15.0f64..15.0,
            t in 30.0f64..40.0,
            perturb in 0.5f64..2.0,
        ) {
            let c = Chemistry { hb_g_dl: hb, base_excess_meq_l: be, temp_c: t };
            let (contents, truth) = from_partial_pressures(po2, pco2, &c);
            // A guess off by a factor, as after a large transfer step, and none at all.
            let guess = GasState { po2_mmhg: po2 * perturb, pco2_mmhg: pco2 / perturb, ..truth };
            for g in [solve(contents, &c, Some(guess)), solve(contents, &c, None)] {
                let (back, _) = from_partial_pressures(g.po2_mmhg, g.pco2_mmhg, &c);
                prop_assert!((back.o2_ml_dl - contents.o2_ml_dl).abs() < 1e-6, "{g:?} {truth:?}");
                prop_assert!((back.co2_ml_dl - contents.co2_ml_dl).abs() < 1e-6, "{g:?} {truth:?}");
                prop_assert!((g.pco2_mmhg - pco2).abs() / pco2 < 1e-5);
                prop_assert!((g.ph - truth.ph).abs() < 1e-6);
            }
        }

        #[test]
        fn never_nan(
            o2 in -100.0f64..1000.0,
            co2 in -100.0f64..1000.0,
            hb in -10.0f64..40.0,
            be in -100.0f64..100.0,
            t in -50.0f64..100.0,
        ) {
            let c = Chemistry { hb_g_dl: hb, base_excess_meq_l: be, temp_c: t };
            let g = solve(Contents { o2_ml_dl: o2, co2_ml_dl: co2 }, &c, None);
            prop_assert!(g.po2_mmhg.is_finite() && g.pco2_mmhg.is_finite());
            prop_assert!(g.ph.is_finite() && g.so2.is_finite());
            let (cc, gg) = from_partial_pressures(o2, co2, &c);
            prop_assert!(cc.o2_ml_dl.is_finite() && cc.co2_ml_dl.is_finite() && gg.ph.is_finite());
        }
    }
}
