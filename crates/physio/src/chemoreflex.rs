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
//! - The set points are eucapnia and normoxia, [`PCO2_SET_MMHG`] and [`PO2_SET_MMHG`]: the
//!   patient's `alveolar_ventilation_lpm` is their ventilation at those gases. A healthy adult
//!   (PaCO2 about 40) is at rest; a patient whose lungs leave them hypercapnic or hypoxaemic at
//!   that ventilation is driven to breathe more, as patients with acute respiratory failure are
//!   (chronic hypercapnia, which resets the central set point, is not modelled).
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

/// Arterial PCO2 at which the reflex adds nothing, mmHg (eucapnia).
pub const PCO2_SET_MMHG: f64 = 40.0;
/// Arterial PO2 at which the hypoxic term is taken as zero, mmHg (normoxia).
pub const PO2_SET_MMHG: f64 = 100.0;
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
/// Most the reflex adds to (or, as a bound on the signal, takes from) a 75 kg adult's minute
/// ventilation, L/min (chemically driven ventilation rarely exceeds 60-70 % of the maximal
/// voluntary ventilation of about 150 \[M\]).
pub const MAX_DRIVE_L_MIN: f64 = 80.0;

/// The chemoreflex's state.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Chemoreflex {
    pco2_peripheral: f64,
    po2_peripheral: f64,
    pco2_central: f64,
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
            pco2_peripheral: PCO2_SET_MMHG,
            po2_peripheral: PO2_SET_MMHG,
            pco2_central: PCO2_SET_MMHG,
            started: false,
        }
    }

    /// What the receptors sense now (peripheral PCO2, peripheral PO2, central PCO2), mmHg.
    pub fn sensed(&self) -> (f64, f64, f64) {
        (self.pco2_peripheral, self.po2_peripheral, self.pco2_central)
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
    }

    /// The change of minute ventilation (L/min) the reflex asks for at `gain` (0..1) in a
    /// patient of `weight_kg`; 0 before it has sensed anything.
    pub fn drive_lpm(&self, gain: f64, weight_kg: f64) -> f64 {
        if gain.is_nan() || gain <= 0.0 || !self.started {
            return 0.0;
        }
        let k = (weight_kg / crate::sizes::ADULT_WEIGHT_KG)
            .max(1e-3)
            .powf(crate::sizes::EXP_METABOLISM);
        let s = CO2_SLOPE_L_MIN_MMHG;
        let co2 = s * (1.0 - PERIPHERAL_CO2_SHARE) * (self.pco2_central - PCO2_SET_MMHG)
            + s * PERIPHERAL_CO2_SHARE * (self.pco2_peripheral - PCO2_SET_MMHG);
        let hyperbola =
            |po2: f64| HYPOXIC_A / (po2.max(HYPOXIC_FLOOR_MMHG) - HYPOXIC_ASYMPTOTE_MMHG);
        let o2 = hyperbola(self.po2_peripheral) - hyperbola(PO2_SET_MMHG);
        (gain.min(1.0) * k * (co2 + o2)).clamp(-MAX_DRIVE_L_MIN * k, MAX_DRIVE_L_MIN * k)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn held(pco2: f64, po2: f64, seconds: usize) -> Chemoreflex {
        let mut c = Chemoreflex::new();
        for _ in 0..seconds {
            c.step(1.0, pco2, po2);
        }
        c
    }

    #[test]
    fn nothing_before_sensing_or_at_the_set_points() {
        assert_eq!(Chemoreflex::new().drive_lpm(1.0, 75.0), 0.0);
        let c = held(PCO2_SET_MMHG, PO2_SET_MMHG, 10);
        assert!(c.drive_lpm(1.0, 75.0).abs() < 1e-9);
        assert_eq!(held(50.0, 50.0, 10).drive_lpm(0.0, 75.0), 0.0);
    }

    #[test]
    fn steady_co2_response_is_the_slope() {
        let c = held(44.0, PO2_SET_MMHG, 2_000);
        let d = c.drive_lpm(1.0, 75.0);
        assert!((d - 4.0 * CO2_SLOPE_L_MIN_MMHG).abs() < 1e-6, "{d}");
        // The carotid bodies answer within seconds, the central receptors over minutes.
        let mut c = held(40.0, PO2_SET_MMHG, 100);
        for _ in 0..20 {
            c.step(1.0, 44.0, PO2_SET_MMHG);
        }
        let early = c.drive_lpm(1.0, 75.0);
        assert!(early > 0.2 * 10.0 && early < 0.5 * 10.0, "{early}");
        // A neonate's response is smaller by weight^3/4; a blunted reflex by its gain.
        let n = held(44.0, PO2_SET_MMHG, 2_000);
        let r = n.drive_lpm(1.0, 3.5) / n.drive_lpm(1.0, 75.0);
        assert!((r - (3.5f64 / 75.0).powf(0.75)).abs() < 1e-9);
        assert!((n.drive_lpm(0.5, 75.0) - 5.0).abs() < 1e-6);
        // Below the set point: less ventilation, bounded.
        assert!(held(30.0, PO2_SET_MMHG, 2_000).drive_lpm(1.0, 75.0) < -20.0);
        assert!(held(0.0, PO2_SET_MMHG, 2_000).drive_lpm(1.0, 75.0) >= -MAX_DRIVE_L_MIN);
    }

    #[test]
    fn hypoxia_drives_by_weils_hyperbola() {
        let c = held(PCO2_SET_MMHG, 50.0, 200);
        let d = c.drive_lpm(1.0, 75.0);
        let expect = HYPOXIC_A / 18.0 - HYPOXIC_A / 68.0;
        assert!((d - expect).abs() < 1e-6, "{d} {expect}");
        // Held below the floor; bounded above.
        let mut c = held(PCO2_SET_MMHG, 10.0, 200);
        assert!((c.drive_lpm(1.0, 75.0) - (HYPOXIC_A / 8.0 - HYPOXIC_A / 68.0)).abs() < 1e-6);
        assert!(c.drive_lpm(1.0, 75.0) <= MAX_DRIVE_L_MIN);
        c.step(1.0, f64::NAN, 50.0);
        assert!(c.drive_lpm(1.0, 75.0).is_finite());
    }
}
