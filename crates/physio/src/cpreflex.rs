//! The cardiopulmonary (low-pressure) reflex, after Heldt et al. 2002 (J Appl Physiol
//! 92:1239, "Computational modeling of cardiovascular response to orthostatic stress").
//!
//! Stretch receptors in the atria, the great veins and the lungs sense the filling of the
//! central veins; less filling withdraws their vagal inhibition of the vasomotor centre and
//! sympathetic tone rises. In humans this acts on the resistance vessels (forearm and
//! splanchnic vasoconstriction during non-hypotensive lower-body suction, Zoller et al. 1972)
//! and on venous capacity, and hardly on heart rate: Heldt's cardiopulmonary reflex has no
//! heart-rate or contractility gain, and neither has this one.
//!
//! Heldt's set-point model, as the twin uses it:
//!
//! - **Input**: the beat-mean right atrial (central venous) pressure, transmural: less the
//!   change of mean pleural pressure that a ventilator or spontaneous breathing makes (a
//!   ventilator's PEEP raises CVP without stretching the atria as much).
//! - **Static characteristic**: the deviation from the set point, limited by an arctangent,
//!   `s = S·atan((p − pn)/S)` with Heldt's scaling factor S = 5 mmHg: linear for small changes,
//!   saturating at ±S·π/2 ≈ ±7.9 mmHg (the receptors are fully unloaded once the atria are
//!   empty).
//! - **Set point**: the patient's own transmural pressure over the first [`SETTLE_S`] seconds
//!   of a run (the same resetting as the arterial baroreflex, [`crate::reflex`]); Heldt's
//!   nominal 8 mmHg is that of his subjects, not of every preset.
//! - **Effectors**: (1) arteriolar resistance, Heldt's gain of 0.052 PRU per mmHg of `s` added
//!   to each of his four systemic beds (upper body, kidney, splanchnic, legs); the twin takes the
//!   relative change of the four beds in parallel and multiplies its systemic resistance by it;
//!   (2) venous unstressed volume, Heldt's gains 13.5 + 2.7 + 64 + 30 = 110.2 mL per mmHg of
//!   `s` (upper body, kidney, splanchnic, legs), scaled to the patient's weight from his
//!   70.2 kg subject. \[S: the gains, scaling factor, set point and beds are those of Heldt's own
//!   implementation, CVSim, PhysioNet/MIT-LCP `cvsim` 21-compartment `initialization.c` of
//!   2002; later CVSim versions carry larger resistance gains.\]
//! - **Dynamics**: Heldt convolves `s` with triangular α-sympathetic impulse responses (to
//!   the arterioles starting at 2 s, peaking at 5 s, ending at 30 s; to the veins 5, 8 and
//!   40 s, in the 2002 implementation). The twin keeps their start as a pure delay and their
//!   mean latency ((start + peak + end)/3) with a first-order lag after it: τ = 10.3 s for the
//!   resistance, 12.7 s for the veins. A step's response then reaches its end in about the
//!   same time; its shape is exponential, not triangular-integral.
//! - **Output**: scaled by `cardiopulmonary_gain` (1: Heldt's gains; 0: none, every preset),
//!   and blunted as the arterial baroreflex is (sedatives, [`crate::drugs`]). The twin adds
//!   it to the arterial baroreflex: resistance factors multiply, unstressed-volume shifts add
//!   (Heldt's two reflexes add the same way).
//!
//! Pure and deterministic: fixed-size state, no heap.

use crate::reflex::ReflexOutput;

/// Seconds at the start of a run over which the set point is taken; the reflex acts after
/// (the arterial baroreflex's, [`crate::reflex::SETTLE_S`]).
pub const SETTLE_S: f64 = crate::reflex::SETTLE_S;

/// Heldt 2002's scaling factor of the arctangent characteristic, mmHg.
pub const SCALE_MMHG: f64 = 5.0;

/// Arteriolar resistance added to each systemic bed per mmHg of stimulus fall, PRU/mmHg
/// (Heldt 2002: −0.052 per mmHg of `s`).
const R_GAIN_PRU_MMHG: f64 = 0.052;

/// Heldt 2002's systemic microvascular beds, PRU (mmHg·s/mL): upper body, kidney,
/// splanchnic, legs (the nominal values of the 2002 implementation).
const BEDS_PRU: [f64; 4] = [3.9, 4.1, 3.0, 9.0];

/// Venous unstressed volume per mmHg of stimulus, mL/mmHg: Heldt 2002's four venous beds
/// (13.5 upper body, 2.7 kidney, 64 splanchnic, 30 legs).
const VU_GAIN_ML_MMHG: f64 = 13.5 + 2.7 + 64.0 + 30.0;

/// Heldt's subject weighs 70.2 kg; unstressed volumes scale with weight.
const HELDT_WEIGHT_KG: f64 = 70.2;

/// Pure delays (s) and lags (s) of the resistance and venous effectors: the start and the
/// mean latency less the start of Heldt's triangular impulse responses (2, 5, 30 s and 5, 8,
/// 40 s).
const R_DELAY_S: f64 = 2.0;
const R_TAU_S: f64 = (2.0 + 5.0 + 30.0) / 3.0 - 2.0;
const V_DELAY_S: f64 = 5.0;
const V_TAU_S: f64 = (5.0 + 8.0 + 40.0) / 3.0 - 5.0;

/// Length of the delay line: 5 s at the twin's 40 ms reflex step, with room.
const HIST: usize = 128;

/// The static stimulus (Heldt's `s`, mmHg) at transmural right atrial pressure `p` and set
/// point `pn`: the deviation, saturating at ±[`SCALE_MMHG`]·π/2.
pub fn stimulus(p: f64, pn: f64) -> f64 {
    SCALE_MMHG * ((p - pn) / SCALE_MMHG).atan()
}

/// Relative change of the total systemic resistance of Heldt's four beds in parallel when
/// each gains `dr` PRU.
fn resistance_factor(dr: f64) -> f64 {
    let par = |d: f64| {
        1.0 / BEDS_PRU
            .iter()
            .map(|r| 1.0 / (r + d).max(0.1 * r))
            .sum::<f64>()
    };
    par(dr) / par(0.0)
}

/// The reflex's state: the delay line of the stimulus and the two effectors.
#[derive(Clone, Debug)]
pub struct CardiopulmonaryReflex {
    /// Time since the start, s.
    t_s: f64,
    /// Set point: transmural right atrial pressure at the characteristic's centre, mmHg.
    set_point: f64,
    /// Slow mean of the sensed pressure while the set point is taken, mmHg.
    mean: f64,
    /// The stimulus, newest at `head`, mmHg.
    s: [f64; HIST],
    head: usize,
    /// Effector states: the stimulus each effector has reached, mmHg.
    x_r: f64,
    x_v: f64,
}

impl CardiopulmonaryReflex {
    /// A reflex that starts at transmural right atrial pressure `p0`, mmHg.
    pub fn new(p0: f64) -> Self {
        CardiopulmonaryReflex {
            t_s: 0.0,
            set_point: p0,
            mean: p0,
            s: [0.0; HIST],
            head: 0,
            x_r: 0.0,
            x_v: 0.0,
        }
    }

    /// Whether the set point has been taken and the reflex acts.
    pub fn settled(&self) -> bool {
        self.t_s >= SETTLE_S
    }

    /// The set point, mmHg.
    pub fn set_point_mmhg(&self) -> f64 {
        self.set_point
    }

    /// The stimulus the resistance and the veins have reached, mmHg (negative: unloaded).
    pub fn effector_stimuli(&self) -> (f64, f64) {
        (self.x_r, self.x_v)
    }

    /// Advance by `dt` seconds with transmural right atrial pressure `p` (mmHg). Non-finite
    /// pressures are ignored (the state holds).
    pub fn step(&mut self, dt: f64, p: f64) {
        if !(p.is_finite() && dt > 0.0) {
            return;
        }
        self.t_s += dt;
        if !self.settled() {
            // Resetting to the patient's own filling: a 2 s mean, so that breathing and the
            // beat do not move the set point.
            self.mean += (p - self.mean) * (1.0 - (-dt / 2.0).exp());
            self.set_point = self.mean;
            return;
        }
        self.head = (self.head + 1) % HIST;
        self.s[self.head] = stimulus(p, self.set_point);
        let delayed = |d: f64| {
            let lag = ((d / dt).round() as usize).min(HIST - 1);
            self.s[(self.head + HIST - lag) % HIST]
        };
        let (sr, sv) = (delayed(R_DELAY_S), delayed(V_DELAY_S));
        self.x_r += (sr - self.x_r) * (1.0 - (-dt / R_TAU_S).exp());
        self.x_v += (sv - self.x_v) * (1.0 - (-dt / V_TAU_S).exp());
    }

    /// What the reflex asks for at `gain` (1: Heldt's), for a patient of `weight_kg`: a
    /// systemic resistance factor and an unstressed-volume shift (heart rate and
    /// contractility unchanged).
    pub fn output(&self, gain: f64, weight_kg: f64) -> ReflexOutput {
        ReflexOutput {
            svr_factor: resistance_factor(-gain * R_GAIN_PRU_MMHG * self.x_r),
            unstressed_ml: gain * VU_GAIN_ML_MMHG * self.x_v * weight_kg / HELDT_WEIGHT_KG,
            ..ReflexOutput::NONE
        }
    }

    /// The static (steady-state) output at a constant transmural pressure `p` with set point
    /// `pn`: what the effectors settle to when the pressure is held (open loop).
    pub fn steady(p: f64, pn: f64, gain: f64, weight_kg: f64) -> ReflexOutput {
        let s = stimulus(p, pn);
        let r = CardiopulmonaryReflex {
            x_r: s,
            x_v: s,
            ..CardiopulmonaryReflex::new(pn)
        };
        r.output(gain, weight_kg)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn settled_at(p: f64) -> CardiopulmonaryReflex {
        let mut r = CardiopulmonaryReflex::new(p);
        while !r.settled() {
            r.step(0.04, p);
        }
        r
    }

    #[test]
    fn at_rest_it_asks_for_nothing() {
        let mut r = settled_at(6.0);
        for _ in 0..2000 {
            r.step(0.04, 6.0);
        }
        assert_eq!(r.output(1.0, 75.0), ReflexOutput::NONE);
    }

    #[test]
    fn unloading_constricts_arterioles_and_veins_but_leaves_the_heart() {
        let mut r = settled_at(6.0);
        for _ in 0..5000 {
            r.step(0.04, 3.0);
        }
        let o = r.output(1.0, 70.2);
        let s = stimulus(3.0, 6.0);
        assert!((s - 5.0 * (-0.6f64).atan()).abs() < 1e-12);
        // Settled to the static values: 110.2 mL per mmHg of stimulus.
        assert!((o.unstressed_ml - 110.2 * s).abs() < 1e-3, "{o:?}");
        assert!(o.svr_factor > 1.01 && o.svr_factor < 1.1, "{o:?}");
        assert_eq!(o.heart_period_factor, 1.0);
        assert_eq!(o.lv_emax_factor, 1.0);
        assert_eq!(o.rv_emax_factor, 1.0);
        // Open loop equals the settled closed loop at a held pressure.
        let st = CardiopulmonaryReflex::steady(3.0, 6.0, 1.0, 70.2);
        assert!((st.svr_factor - o.svr_factor).abs() < 1e-9);
        // Gain 0: nothing; half the gain, half the volume.
        assert_eq!(r.output(0.0, 70.2), ReflexOutput::NONE);
        let h = r.output(0.5, 70.2);
        assert!((h.unstressed_ml - 0.5 * o.unstressed_ml).abs() < 1e-9);
    }

    #[test]
    fn the_characteristic_saturates() {
        let lim = SCALE_MMHG * core::f64::consts::FRAC_PI_2;
        assert!(stimulus(-100.0, 6.0) > -lim);
        assert!(stimulus(-100.0, 6.0) < -0.95 * lim);
        assert!(stimulus(100.0, 6.0) < lim);
        // Small changes pass nearly unchanged.
        assert!((stimulus(5.5, 6.0) + 0.5).abs() < 0.01);
        // The second 3 mmHg of unloading does less than the first.
        let a = stimulus(6.0, 6.0) - stimulus(3.0, 6.0);
        let b = stimulus(3.0, 6.0) - stimulus(0.0, 6.0);
        assert!(b < 0.8 * a, "{a} {b}");
    }

    #[test]
    fn the_delays_hold_the_response_back() {
        let mut r = settled_at(6.0);
        // 1.5 s after a step: neither effector has moved (2 and 5 s delays).
        for _ in 0..37 {
            r.step(0.04, 2.0);
        }
        assert_eq!(r.effector_stimuli(), (0.0, 0.0));
        // 4 s after: the resistance has, the veins not yet.
        for _ in 0..63 {
            r.step(0.04, 2.0);
        }
        let (xr, xv) = r.effector_stimuli();
        assert!(xr < 0.0 && xv == 0.0, "{xr} {xv}");
    }

    #[test]
    fn non_finite_input_holds_the_state() {
        let mut r = settled_at(6.0);
        r.step(0.04, 1.0);
        let before = r.clone();
        r.step(0.04, f64::NAN);
        r.step(0.0, 3.0);
        assert_eq!(r.effector_stimuli(), before.effector_stimuli());
    }
}
