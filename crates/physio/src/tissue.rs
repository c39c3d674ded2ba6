//! Tissue CO2 stores: the CO2 held in the body's tissues outside the blood, which buffers
//! PaCO2 when elimination stops or starts.
//!
//! Without it the blood alone (about 20 mL CO2 per mmHg in an adult, the slope of the whole-
//! blood CO2 curve times 5 L) would take all the CO2 an apnoeic patient makes, and PaCO2 would
//! climb two to three times faster than measured; sweep failure, apnoea tests and sweep weaning
//! would all move too fast.
//!
//! Model: one store with capacitance `C` (mL CO2 per mmHg of tissue PCO2), exchanging with the
//! venous blood of the tissue beds (upper body, lower body, heart, by the shares of O2
//! consumption) through a conductance `C/τ`:
//!
//! ```text
//! J_i = share_i · (C/τ) · (P_t − P_v,i)          dP_t/dt = −ΣJ_i / C
//! ```
//!
//! P_v,i, the PCO2 of bed i's venous blood, is linearised around the venous-return blood gas the
//! twin solves every 0.2 s anyway (`P_v,i = P_ref + (C_i − C_ref)/β`, β the local slope of the
//! CO2 curve), so the store costs no extra blood solve.
//!
//! | quantity | value | source |
//! |---|---|---|
//! | C | 0.3 mL/kg/mmHg | fitted: PaCO2 rise of about 3 mmHg/min after the first minute of apnoea in anaesthetised adults (Eger & Severinghaus 1961, Anesthesiology 22:419; 3.4–4.4 in Kobayashi & Yokoyama 1994, Masui 43:1130), at an anaesthetised VO2 of 2.5 mL/kg/min; model 3.1–3.5 over minutes 2–10 |
//! | τ | 60 s | assumption: the fast, perfusion-limited store (well-perfused organs); any τ well below the minutes of an apnoea gives nearly the same rise |
//!
//! The fitted capacitance is the *fast* store: Farhi & Rahn 1955 ("Gas stores of the body and
//! the unsteady state", J Appl Physiol 7:472) measured 1.02 mL/kg/mmHg outside the blood in
//! dogs, over washouts with a half-time of 4 minutes that include slower compartments; taking
//! that figure whole would make apnoeic PaCO2 rise at under 2 mmHg/min, below every human
//! measurement.
//!
//! Not reproduced: the faster rise of awake subjects (6 mmHg/min after the first 20 s in
//! breath-holds at FRC, Stock et al. 1988, J Clin Anesth 1:96): at an awake VO2 of 3 mL/kg/min
//! the model rises at 4.0–4.5 mmHg/min; only the higher CO2 production is modelled, not
//! whatever else differs in a conscious breath-hold.
//!
//! Not modelled: the slow muscle, bone and fat stores (tens of minutes to days), separate
//! stores per organ.

/// Tissue CO2 capacitance per kg of body weight, mL/mmHg (Farhi & Rahn 1955).
pub const CAPACITANCE_ML_KG_MMHG: f64 = 0.3;
/// Exchange time constant of the store with the venous blood, s (fitted, module note).
pub const TAU_S: f64 = 60.0;

/// The state of the store and the linearisation of the venous blood it exchanges with.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct TissueCo2 {
    /// Capacitance, mL/mmHg.
    pub capacitance_ml_mmhg: f64,
    /// Tissue PCO2, mmHg.
    pub pco2_mmhg: f64,
    /// Venous blood the beds' PCO2 is linearised around: (PCO2 mmHg, CO2 content mL/dL,
    /// slope mL/dL/mmHg).
    reference: (f64, f64, f64),
}

impl TissueCo2 {
    /// A store at equilibrium with venous blood of this PCO2, content and CO2-curve slope.
    pub fn new(weight_kg: f64, venous_pco2: f64, venous_co2_ml_dl: f64, slope: f64) -> Self {
        let mut t = TissueCo2 {
            capacitance_ml_mmhg: CAPACITANCE_ML_KG_MMHG * weight_kg.max(0.0),
            pco2_mmhg: venous_pco2,
            reference: (0.0, 0.0, 1.0),
        };
        t.set_reference(venous_pco2, venous_co2_ml_dl, slope);
        t
    }

    /// Update the venous blood the beds are linearised around.
    pub fn set_reference(&mut self, pco2: f64, co2_ml_dl: f64, slope: f64) {
        if pco2.is_finite() && co2_ml_dl.is_finite() && slope.is_finite() && slope > 1e-3 {
            self.reference = (pco2, co2_ml_dl, slope);
        }
    }

    /// PCO2 (mmHg) of venous blood holding `co2_ml_dl`, by the linearisation.
    pub fn venous_pco2(&self, co2_ml_dl: f64) -> f64 {
        let (p, c, b) = self.reference;
        p + (co2_ml_dl - c) / b
    }

    /// CO2 (mL) the store gives to a bed with venous content `co2_ml_dl` and share `share` of
    /// the exchange over `dt_s` (negative: the store takes it up). Updates the store.
    pub fn exchange(&mut self, dt_s: f64, share: f64, co2_ml_dl: f64) -> f64 {
        if self.capacitance_ml_mmhg <= 0.0 || !co2_ml_dl.is_finite() {
            return 0.0;
        }
        let g = self.capacitance_ml_mmhg / TAU_S;
        let j = share * g * (self.pco2_mmhg - self.venous_pco2(co2_ml_dl)) * dt_s;
        self.pco2_mmhg -= j / self.capacitance_ml_mmhg;
        j
    }

    /// CO2 held above zero PCO2, mL (for balances: its change is what the store took up).
    pub fn content_ml(&self) -> f64 {
        self.capacitance_ml_mmhg * self.pco2_mmhg
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The store and a blood pool settle at a common PCO2 with CO2 conserved.
    #[test]
    fn settles_and_conserves() {
        let mut t = TissueCo2::new(75.0, 46.0, 50.0, 0.45);
        // Blood pool of 2 L whose content says PCO2 56.
        let mut c = 50.0 + 10.0 * 0.45;
        let total0 = t.content_ml() + c * 20.0;
        for _ in 0..(3600.0 / 0.04) as usize {
            let j = t.exchange(0.04, 1.0, c);
            c += j / 20.0;
        }
        let total1 = t.content_ml() + c * 20.0;
        assert!((total1 - total0).abs() < 1e-6, "{total0} {total1}");
        assert!((t.pco2_mmhg - t.venous_pco2(c)).abs() < 0.01);
        // The excess is shared by capacitance: store C, pool 20 dL × 0.45 = 9 mL/mmHg.
        let expect = 46.0 + 10.0 * 9.0 / (9.0 + t.capacitance_ml_mmhg);
        assert!(
            (t.pco2_mmhg - expect).abs() < 0.01,
            "{} {expect}",
            t.pco2_mmhg
        );
    }
}
