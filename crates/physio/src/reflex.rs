//! The arterial baroreflex, after Ursino 1998 (Am J Physiol 275:H1733, "Interaction between
//! carotid baroregulation and the pulsating heart: a mathematical model").
//!
//! Carotid sinus pressure → afferent firing (a lead-lag filter, then a sigmoid) → efferent
//! sympathetic firing (falling exponentially with afferent firing) and vagal firing (rising
//! sigmoidally) → eight first-order effectors with pure delays: heart period (a sympathetic and
//! a vagal part), LV and RV end-systolic elastance, splanchnic and extrasplanchnic peripheral
//! resistance, splanchnic and extrasplanchnic venous unstressed volume. The equations and every
//! constant below are Ursino's (Tables 1–2 of the paper \[S: the values match an independent
//! implementation, viswajithsv-collab/CP-Model `Teaching/BaroreflexConstants.m`\]).
//!
//! How the twin uses it (see `Twin`):
//!
//! - **Input**: the beat-mean pressure in the carotid arteries (the `RCA` and `LCA` segments),
//!   not the pulsatile one. Ursino fed the pulsatile pressure through the lead-lag filter,
//!   whose high-frequency gain (τz/τp ≈ 3) then swings the afferent sigmoid over most of its
//!   range within each beat; the twin's beat shapes are not Ursino's, and that intra-beat swing
//!   would make the reflex's mean gain depend on the pulse pressure. On VA support this also
//!   keeps a non-pulsatile circuit pressure from looking like a different stimulus. The rate
//!   sensitivity (the lead-lag's derivative term) still acts on beat-to-beat changes.
//! - **Set point**: the sigmoid's centre (Ursino's Pn = 92 mmHg) is the patient's own carotid
//!   pressure, taken over the first [`SETTLE_S`] seconds of a run (baroreceptor resetting: a
//!   preset's heart rate, contractility and resistances are what the patient has *with* the
//!   reflex at its resting point). During those seconds the reflex does not act.
//! - **Output**: deviations from the resting point, scaled by `baroreflex_gain` (1: Ursino's
//!   gains; 0: no reflex, the twin as before; between: blunted by sedation, sepsis or a
//!   denervated heart). The range ends at 1: above it the twin's closed loop oscillates (at
//!   1.25 the healthy adult's MAP swings between about 78 and 93 mmHg, at 2 between 67 and
//!   102), a limit cycle of the delays and the sigmoid, not a physiological state. Heart period, contractility and systemic resistance change by
//!   Ursino's *relative* change (heart period relative to his resting period, about 0.87 s), so
//!   that a tachycardic patient or a failing ventricle changes in proportion to what it has;
//!   unstressed volume by his absolute amount, scaled to the patient's weight.
//!
//! Pure and deterministic: fixed-size state, no heap.

/// Seconds at the start of a run over which the set point is taken; the reflex acts after.
pub const SETTLE_S: f64 = 30.0;

// Afferent pathway (Ursino 1998 Table 1).
/// Slope of the afferent sigmoid, mmHg.
const KA_MMHG: f64 = 11.758;
/// Afferent firing at the sigmoid's extremes, spikes/s.
const F_MIN: f64 = 2.52;
const F_MAX: f64 = 47.78;
/// Lead-lag (rate-sensitive) filter: zero and pole time constants, s.
const TAU_Z_S: f64 = 6.37;
const TAU_P_S: f64 = 2.076;

// Efferent sympathetic pathway.
const F_ES_INF: f64 = 2.10;
const F_ES_0: f64 = 16.11;
const K_ES_S: f64 = 0.0675;
/// Sympathetic firing below which effectors are not stimulated, spikes/s.
const F_ES_MIN: f64 = 2.66;

// Efferent vagal pathway.
const F_EV_0: f64 = 3.2;
const F_EV_INF: f64 = 6.3;
const K_EV: f64 = 7.06;
const F_CS_0: f64 = 25.0;

/// The effectors, in the order of [`EFFECTORS`].
pub const E_LV: usize = 0;
pub const E_RV: usize = 1;
pub const R_SP: usize = 2;
pub const R_EP: usize = 3;
pub const VU_SV: usize = 4;
pub const VU_EV: usize = 5;
pub const T_S: usize = 6;
pub const T_V: usize = 7;

/// One effector: gain (per unit of ln(fes − fes,min + 1), or per spike/s for the vagal heart
/// period), time constant (s), delay (s), and Ursino's basal value.
#[derive(Clone, Copy, Debug)]
pub struct Effector {
    pub gain: f64,
    pub tau_s: f64,
    pub delay_s: f64,
    pub basal: f64,
}

/// Ursino 1998 Table 2: Emax,lv (mmHg/mL), Emax,rv, Rsp and Rep (mmHg·s/mL), Vu,sv and Vu,ev
/// (mL), Ts and Tv (s; basal heart period T0 = 0.58 s is carried by neither).
pub const EFFECTORS: [Effector; 8] = [
    Effector {
        gain: 0.475,
        tau_s: 8.0,
        delay_s: 2.0,
        basal: 2.392,
    },
    Effector {
        gain: 0.282,
        tau_s: 8.0,
        delay_s: 2.0,
        basal: 1.412,
    },
    Effector {
        gain: 0.695,
        tau_s: 6.0,
        delay_s: 2.0,
        basal: 2.49,
    },
    Effector {
        gain: 0.53,
        tau_s: 6.0,
        delay_s: 2.0,
        basal: 0.78,
    },
    Effector {
        gain: -265.4,
        tau_s: 20.0,
        delay_s: 5.0,
        basal: 1435.4,
    },
    Effector {
        gain: -132.5,
        tau_s: 20.0,
        delay_s: 5.0,
        basal: 640.73,
    },
    Effector {
        gain: -0.13,
        tau_s: 2.0,
        delay_s: 2.0,
        basal: 0.0,
    },
    Effector {
        gain: 0.09,
        tau_s: 1.5,
        delay_s: 0.2,
        basal: 0.0,
    },
];

/// Ursino's basal heart period, s (carried by neither heart-period effector).
pub const T0_S: f64 = 0.58;

/// Ursino's subject weighs 70 kg; unstressed volumes scale with weight.
const URSINO_WEIGHT_KG: f64 = 70.0;

/// Length of the delay lines: 5 s at the twin's 40 ms reflex step, with room.
const HIST: usize = 128;

/// Afferent firing (spikes/s) at filtered carotid pressure `p` and set point `pn`.
pub fn afferent(p: f64, pn: f64) -> f64 {
    let x = ((p - pn) / KA_MMHG).clamp(-50.0, 50.0);
    let e = x.exp();
    (F_MIN + F_MAX * e) / (1.0 + e)
}

/// Sympathetic efferent firing (spikes/s) at afferent firing `fcs`.
pub fn sympathetic(fcs: f64) -> f64 {
    F_ES_INF + (F_ES_0 - F_ES_INF) * (-K_ES_S * fcs).exp()
}

/// Vagal efferent firing (spikes/s) at afferent firing `fcs`.
pub fn vagal(fcs: f64) -> f64 {
    let e = ((fcs - F_CS_0) / K_EV).clamp(-50.0, 50.0).exp();
    (F_EV_0 + F_EV_INF * e) / (1.0 + e)
}

/// The static stimulus of every effector at efferent firings `fes`, `fev`.
fn sigma(fes: f64, fev: f64) -> [f64; 8] {
    let s = if fes >= F_ES_MIN {
        (fes - F_ES_MIN + 1.0).ln()
    } else {
        0.0
    };
    core::array::from_fn(|k| {
        if k == T_V {
            EFFECTORS[k].gain * fev
        } else {
            EFFECTORS[k].gain * s
        }
    })
}

/// The static (steady-state) effector values at a constant carotid pressure `p` with set point
/// `pn`: what the effector states settle to when the pressure is held (open loop).
pub fn steady(p: f64, pn: f64) -> [f64; 8] {
    let fcs = afferent(p, pn);
    sigma(sympathetic(fcs), vagal(fcs))
}

/// Relative change of total systemic resistance when the splanchnic and extrasplanchnic
/// effectors move from `reference` to `now` (Ursino's two beds in parallel).
fn resistance_factor(now: &[f64; 8], reference: &[f64; 8]) -> f64 {
    let par = |x: &[f64; 8]| {
        let a = EFFECTORS[R_SP].basal + x[R_SP];
        let b = EFFECTORS[R_EP].basal + x[R_EP];
        a * b / (a + b)
    };
    par(now) / par(reference)
}

/// What the reflex asks of the heart and vessels, relative to the patient's resting values.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct ReflexOutput {
    /// Multiplies the heart period.
    pub heart_period_factor: f64,
    /// Multiply LV and RV end-systolic elastance.
    pub lv_emax_factor: f64,
    pub rv_emax_factor: f64,
    /// Multiplies systemic vascular resistance.
    pub svr_factor: f64,
    /// Added to the systemic venous unstressed volume, mL (negative: venoconstriction).
    pub unstressed_ml: f64,
}

impl ReflexOutput {
    /// No change.
    pub const NONE: ReflexOutput = ReflexOutput {
        heart_period_factor: 1.0,
        lv_emax_factor: 1.0,
        rv_emax_factor: 1.0,
        svr_factor: 1.0,
        unstressed_ml: 0.0,
    };
}

/// The reflex's state: filter, delay lines and effectors.
#[derive(Clone, Debug)]
pub struct Baroreflex {
    /// Time since the start, s.
    t_s: f64,
    /// Set point: the carotid pressure at the centre of the afferent sigmoid, mmHg.
    set_point: f64,
    /// Low-pass part of the lead-lag filter, mmHg.
    lag: f64,
    /// The filtered pressure (Ursino's P̃), mmHg.
    filtered: f64,
    /// Sympathetic and vagal firing, newest at `head`.
    fes: [f64; HIST],
    fev: [f64; HIST],
    head: usize,
    /// Effector states (Ursino's Δθ) and their values at the set point.
    x: [f64; 8],
    x_ref: [f64; 8],
}

impl Baroreflex {
    /// A reflex that starts at carotid pressure `p0`, mmHg.
    pub fn new(p0: f64) -> Self {
        let mut r = Baroreflex {
            t_s: 0.0,
            set_point: p0,
            lag: p0,
            filtered: p0,
            fes: [0.0; HIST],
            fev: [0.0; HIST],
            head: 0,
            x: [0.0; 8],
            x_ref: [0.0; 8],
        };
        r.rest_at(p0);
        r
    }

    /// Put everything at rest at set point `pn`.
    fn rest_at(&mut self, pn: f64) {
        self.set_point = pn;
        let fcs = afferent(pn, pn);
        let (fes, fev) = (sympathetic(fcs), vagal(fcs));
        self.fes = [fes; HIST];
        self.fev = [fev; HIST];
        self.x_ref = sigma(fes, fev);
        self.x = self.x_ref;
    }

    /// Whether the set point has been taken and the reflex acts.
    pub fn settled(&self) -> bool {
        self.t_s >= SETTLE_S
    }

    /// The set point, mmHg.
    pub fn set_point_mmhg(&self) -> f64 {
        self.set_point
    }

    /// The rate-filtered carotid pressure the afferent fibres see, mmHg.
    pub fn filtered_mmhg(&self) -> f64 {
        self.filtered
    }

    /// Advance by `dt` seconds with carotid sinus pressure `p` (mmHg). Non-finite pressures
    /// are ignored (the state holds).
    pub fn step(&mut self, dt: f64, p: f64) {
        if !(p.is_finite() && dt > 0.0) {
            return;
        }
        self.t_s += dt;
        // Lead-lag (1 + τz·s)/(1 + τp·s) as r·p + (1 − r)·(first-order lag of p), r = τz/τp.
        let a = 1.0 - (-dt / TAU_P_S).exp();
        self.lag += a * (p - self.lag);
        let r = TAU_Z_S / TAU_P_S;
        self.filtered = r * p + (1.0 - r) * self.lag;
        if !self.settled() {
            // Baroreceptor resetting to the patient's own pressure; the reflex waits.
            self.rest_at(self.lag);
            return;
        }
        let fcs = afferent(self.filtered, self.set_point);
        self.head = (self.head + 1) % HIST;
        self.fes[self.head] = sympathetic(fcs);
        self.fev[self.head] = vagal(fcs);
        for (k, eff) in EFFECTORS.iter().enumerate() {
            let lag_steps = ((eff.delay_s / dt).round() as usize).min(HIST - 1);
            let i = (self.head + HIST - lag_steps) % HIST;
            let s = sigma(self.fes[i], self.fev[i])[k];
            self.x[k] += (s - self.x[k]) * (1.0 - (-dt / eff.tau_s).exp());
        }
    }

    /// What the reflex asks for at `gain` (1: Ursino's), for a patient of `weight_kg`.
    pub fn output(&self, gain: f64, weight_kg: f64) -> ReflexOutput {
        let d = |k: usize| gain * (self.x[k] - self.x_ref[k]);
        let mut scaled = self.x_ref;
        for (k, s) in scaled.iter_mut().enumerate() {
            *s += d(k);
        }
        ReflexOutput {
            heart_period_factor: (1.0
                + (d(T_S) + d(T_V)) / (T0_S + self.x_ref[T_S] + self.x_ref[T_V]))
                .max(0.2),
            lv_emax_factor: (1.0 + d(E_LV) / (EFFECTORS[E_LV].basal + self.x_ref[E_LV])).max(0.1),
            rv_emax_factor: (1.0 + d(E_RV) / (EFFECTORS[E_RV].basal + self.x_ref[E_RV])).max(0.1),
            svr_factor: resistance_factor(&scaled, &self.x_ref).max(0.1),
            unstressed_ml: (d(VU_SV) + d(VU_EV)) * weight_kg / URSINO_WEIGHT_KG,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn at_rest_it_asks_for_nothing() {
        let mut r = Baroreflex::new(90.0);
        for _ in 0..2000 {
            r.step(0.04, 90.0);
        }
        let o = r.output(1.0, 75.0);
        assert!((o.heart_period_factor - 1.0).abs() < 1e-9, "{o:?}");
        assert!((o.svr_factor - 1.0).abs() < 1e-9, "{o:?}");
        assert!(o.unstressed_ml.abs() < 1e-6, "{o:?}");
    }

    #[test]
    fn low_pressure_speeds_the_heart_and_constricts() {
        let mut r = Baroreflex::new(90.0);
        for _ in 0..1000 {
            r.step(0.04, 90.0);
        }
        for _ in 0..2500 {
            r.step(0.04, 70.0);
        }
        let o = r.output(1.0, 75.0);
        assert!(o.heart_period_factor < 0.95, "{o:?}");
        assert!(o.svr_factor > 1.05, "{o:?}");
        assert!(o.lv_emax_factor > 1.02, "{o:?}");
        assert!(o.unstressed_ml < -50.0, "{o:?}");
        // Half the gain, half the heart-period change (deviations scale linearly).
        let h = r.output(0.5, 75.0);
        assert!((h.heart_period_factor - 1.0 - 0.5 * (o.heart_period_factor - 1.0)).abs() < 1e-12);
        assert_eq!(r.output(0.0, 75.0), ReflexOutput::NONE);
    }

    #[test]
    fn sigmoid_is_centred_at_the_set_point() {
        let c = afferent(92.0, 92.0);
        assert!((c - 0.5 * (F_MIN + F_MAX)).abs() < 1e-12);
        assert!(afferent(300.0, 92.0) < F_MAX + 1e-9);
        assert!(afferent(-300.0, 92.0) > F_MIN - 1e-9);
        assert!(sympathetic(F_MAX) < sympathetic(F_MIN));
        assert!(vagal(F_MAX) > vagal(F_MIN));
    }
}
