//! The chemoreflex: peripheral (carotid body: PaO2 and PaCO2) and central (medullary: PaCO2)
//! chemoreceptors driving the spontaneous ventilation of a patient who is not paralysed.
//!
//! Input is the blood in the carotid arteries (the twin's `art_cerebral` gases: on VA support
//! the mix of native and circuit blood that the carotid bodies and the brain actually get).
//! Each receptor sees it through a first-order filter: the carotid bodies fast
//! ([`TAU_PERIPHERAL_S`]), the central receptors slowly ([`TAU_CENTRAL_S`]), as they sense the
//! brain's extracellular fluid whose PCO2 follows the blood's over a minute or two (Bellville et
//! al. 1979, J Appl Physiol 46:843 \[M\]: peripheral time constant about 10 s, central about
//! 2 min).
//!
//! The change of minute ventilation from rest, L/min:
//!
//! ΔVE = gain · k · [ S·(1 − f_p)·(PCO2_central − PCO2_set) + S·f_p·(PCO2_peripheral − PCO2_set)
//!        + A·(1/(PO2_peripheral − 32) − 1/(PO2_set − 32)) ]
//!
//! - S, the ventilatory response to CO2, [`CO2_SLOPE_L_MIN_MMHG`]: 2–3 L/min per mmHg in healthy
//!   adults (Read 1967, Australas Ann Med 16:20, rebreathing \[M\]).
//! - f_p, the carotid bodies' share of it, [`PERIPHERAL_CO2_SHARE`]: about a quarter to a third
//!   (Bellville 1979 \[M\]).
//! - The hypoxic response is Weil et al. 1970's hyperbola (J Clin Invest 49:1061):
//!   VE = VE0 + A/(PaO2 − 32) at constant PaCO2, A [`HYPOXIC_A`] \[M\]; negligible above a PaO2
//!   of about 100, steep below 50.
//! - k scales a 75 kg adult's response by (weight/75 kg)^¾, like ventilation (sizes.rs).
//! - The set points are the patient's own gases: the filtered values at [`SETTLE_S`] s of a run
//!   (like the baroreflex, the patient's resting ventilation is what holds their resting gases);
//!   before then the reflex does not act.
//!
//! How the twin uses it: with `chemoreflex_gain` above 0 (0 in every preset), the patient's
//! own breathing is driven: without a ventilator the alveolar ventilation is the patient's
//! `alveolar_ventilation_lpm` plus ΔVE (VE rises by deeper breaths at the same rate, so the
//! dead space is unchanged and VA changes by ΔVE); in the ventilator's spontaneous mode the
//! tidal volume changes by ΔVE/rate. Sedatives and opioids scale the whole drive (resting
//! ventilation and reflex) by their `respiratory_drive` effect, a neuromuscular block by
//! (1 − block): paralysed, the patient stops breathing. In volume and pressure control the
//! ventilator sets the ventilation (patient triggering is not modelled). Apnoea is the floor:
//! removing the body's CO2 production through a membrane lung stops breathing (Kolobow et al.
//! 1977, Anesthesiology 46:138).
//!
//! Pure and deterministic: fixed-size state, no heap.

/// Seconds at the start of a run over which the set points are taken; the reflex acts after.
pub const SETTLE_S: f64 = 60.0;
/// Time constant of the peripheral (carotid body) chemoreceptors, s (Bellville 1979 \[M\]).
pub const TAU_PERIPHERAL_S: f64 = 10.0;
/// Time constant of the central chemoreceptors, s (Bellville 1979 \[M\]).
pub const TAU_CENTRAL_S: f64 = 120.0;
/// Ventilatory response to CO2 of a 75 kg adult, L/min per mmHg (Read 1967 \[M\]: 2–3).
pub const CO2_SLOPE_L_MIN_MMHG: f64 = 2.5;
/// Share of the CO2 response through the carotid bodies (Bellville 1979 \[M\]).
pub const PERIPHERAL_CO2_SHARE: f64 = 0.25;
/// Weil 1970's hypoxic shape parameter A of a 75 kg adult, L/min·mmHg \[M\].
pub const HYPOXIC_A: f64 = 186.0;
/// Weil 1970's asymptote, mmHg: the PaO2 at which the hyperbola would rise without bound.
pub const HYPOXIC_ASYMPTOTE_MMHG: f64 = 32.0;
/// PO2 below which the hyperbola is held (its value here, about 23 L/min above rest in an
/// adult, is the most hypoxia adds).
pub const HYPOXIC_FLOOR_MMHG: f64 = 40.0;
/// Most the reflex adds to a 75 kg adult's minute ventilation, L/min (chemically driven
/// ventilation rarely exceeds 60-70 % of the maximal voluntary ventilation of about 150 \[M\]).
pub const MAX_DRIVE_L_MIN: f64 = 80.0;

/// The chemoreflex's state.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Chemoreflex {
    pco2_set: f64,
    po2_set: f64,
    pco2_peripheral: f64,
    po2_peripheral: f64,
    pco2_central: f64,
    elapsed_s: f64,
    started: bool,
}

impl Default for Chemoreflex {
    fn default() -> Self {
        Self::new()
    }
}

impl Chemoreflex {
    pub fn new() -> Self {
        Chemoreflex {
            pco2_set: 40.0,
            po2_set: 95.0,
            pco2_peripheral: 40.0,
            po2_peripheral: 95.0,
            pco2_central: 40.0,
            elapsed_s: 0.0,
            started: false,
        }
    }

    /// Whether the set points are taken and the reflex acts.
    pub fn settled(&self) -> bool {
        self.elapsed_s >= SETTLE_S
    }

    /// The set points (PaCO2, PaO2), mmHg.
    pub fn set_points(&self) -> (f64, f64) {
        (self.pco2_set, self.po2_set)
    }

    /// Sense the carotid blood's `pco2` and `po2` (mmHg) for `dt_s`.
    pub fn step(&mut self, dt_s: f64, pco2: f64, po2: f64) {
        if dt_s.is_nan() || dt_s <= 0.0 || !pco2.is_finite() || !po2.is_finite() {
            return;
        }
        if !self.started {
            self.started = true;
            self.pco2_peripheral = pco2;
            self.po2_peripheral = po2;
            self.pco2_central = pco2;
        }
        let a_p = 1.0 - (-dt_s / TAU_PERIPHERAL_S).exp();
        let a_c = 1.0 - (-dt_s / TAU_CENTRAL_S).exp();
        self.pco2_peripheral += a_p * (pco2 - self.pco2_peripheral);
        self.po2_peripheral += a_p * (po2 - self.po2_peripheral);
        self.pco2_central += a_c * (pco2 - self.pco2_central);
        let was = self.settled();
        self.elapsed_s += dt_s;
        if !was {
            // Until settled the set points follow what is sensed (resetting).
            self.pco2_set = self.pco2_central;
            self.po2_set = self.po2_peripheral;
        }
    }

    /// The change of minute ventilation (L/min) the reflex asks for at `gain` (0..1) in a
    /// patient of `weight_kg`; 0 before it has settled.
    pub fn drive_lpm(&self, gain: f64, weight_kg: f64) -> f64 {
        if gain.is_nan() || gain <= 0.0 || !self.settled() {
            return 0.0;
        }
        let k = (weight_kg / crate::sizes::ADULT_WEIGHT_KG)
            .max(1e-3)
            .powf(crate::sizes::EXP_METABOLISM);
        let s = CO2_SLOPE_L_MIN_MMHG;
        let co2 = s * (1.0 - PERIPHERAL_CO2_SHARE) * (self.pco2_central - self.pco2_set)
            + s * PERIPHERAL_CO2_SHARE * (self.pco2_peripheral - self.pco2_set);
        let hyperbola =
            |po2: f64| HYPOXIC_A / (po2.max(HYPOXIC_FLOOR_MMHG) - HYPOXIC_ASYMPTOTE_MMHG);
        let o2 = hyperbola(self.po2_peripheral) - hyperbola(self.po2_set);
        (gain.min(1.0) * k * (co2 + o2)).min(MAX_DRIVE_L_MIN * k)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn settled_at(pco2: f64, po2: f64) -> Chemoreflex {
        let mut c = Chemoreflex::new();
        for _ in 0..(SETTLE_S as usize + 1) {
            c.step(1.0, pco2, po2);
        }
        c
    }

    #[test]
    fn nothing_before_settling_or_at_rest() {
        let mut c = Chemoreflex::new();
        c.step(1.0, 50.0, 60.0);
        assert_eq!(c.drive_lpm(1.0, 75.0), 0.0);
        let c = settled_at(40.0, 95.0);
        assert_eq!(c.set_points(), (40.0, 95.0));
        assert!(c.drive_lpm(1.0, 75.0).abs() < 1e-9);
        assert_eq!(c.drive_lpm(0.0, 75.0), 0.0);
    }

    #[test]
    fn steady_co2_response_is_the_slope() {
        let mut c = settled_at(40.0, 300.0);
        for _ in 0..2000 {
            c.step(1.0, 44.0, 300.0);
        }
        let d = c.drive_lpm(1.0, 75.0);
        assert!((d - 4.0 * CO2_SLOPE_L_MIN_MMHG).abs() < 1e-6, "{d}");
        // The carotid bodies answer within seconds, the central receptors over minutes.
        let mut c = settled_at(40.0, 300.0);
        for _ in 0..20 {
            c.step(1.0, 44.0, 300.0);
        }
        let early = c.drive_lpm(1.0, 75.0);
        assert!(early > 0.2 * 10.0 && early < 0.5 * 10.0, "{early}");
        // A neonate's response is smaller by weight^3/4; a blunted reflex by its gain.
        let n = settled_at(40.0, 300.0);
        let mut n2 = n;
        for _ in 0..2000 {
            n2.step(1.0, 44.0, 300.0);
        }
        let r = n2.drive_lpm(1.0, 3.5) / n2.drive_lpm(1.0, 75.0);
        assert!((r - (3.5f64 / 75.0).powf(0.75)).abs() < 1e-9);
        assert!((n2.drive_lpm(0.5, 75.0) - 5.0).abs() < 1e-6);
    }

    #[test]
    fn hypoxia_drives_by_weils_hyperbola() {
        let mut c = settled_at(40.0, 100.0);
        for _ in 0..200 {
            c.step(1.0, 40.0, 50.0);
        }
        let d = c.drive_lpm(1.0, 75.0);
        let expect = HYPOXIC_A / 18.0 - HYPOXIC_A / 68.0;
        assert!((d - expect).abs() < 1e-6, "{d} {expect}");
        // Held below the floor; bounded above.
        let mut c = settled_at(40.0, 100.0);
        for _ in 0..200 {
            c.step(1.0, 40.0, 10.0);
        }
        assert!((c.drive_lpm(1.0, 75.0) - (HYPOXIC_A / 8.0 - HYPOXIC_A / 68.0)).abs() < 1e-6);
        assert!(c.drive_lpm(1.0, 75.0) <= MAX_DRIVE_L_MIN);
        c.step(1.0, f64::NAN, 50.0);
        assert!(c.drive_lpm(1.0, 75.0).is_finite());
    }
}
