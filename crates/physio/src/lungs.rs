//! Native lungs: one alveolar gas compartment, ventilated, in equilibrium with the pulmonary
//! capillary blood that is not shunted.
//!
//! The alveolar compartment holds O2, CO2 and inert gas (N2) amounts (mL STPD) in a fixed gas
//! volume (the functional residual capacity) at barometric pressure. Alveolar ventilation
//! exchanges its gas with inspired gas; the non-shunted capillary blood leaves at alveolar PO2
//! and PCO2 (complete equilibration: the capillary transit time, about 0.75 s at rest, is three
//! times what equilibration takes, West's Respiratory Physiology ch. 3 \[M\]). What the blood
//! takes up is taken from the alveolar gas, so O2 uptake and CO2 elimination follow
//! ventilation, FiO2 and shunt without any steady state being assumed.
//!
//! Inspired and expired volumes differ. The blood takes more O2 than it gives CO2 (RQ < 1), so
//! the alveolar gas would shrink; at constant volume and pressure the difference is drawn in
//! from the airway as inspired gas (mass flow), and an excess (RQ > 1, washout) is pushed out
//! at alveolar composition. The ventilation parameter is the *expired* alveolar ventilation.
//! At steady state this reproduces the full alveolar gas equation,
//! PAO2 = PIO2 − PACO2·(FIO2 + (1 − FIO2)/R), and PACO2 = 0.863·VCO2/VA (West; tested): at
//! FiO2 1.0 and PACO2 40 that is PAO2 673 mmHg, not the 663 of the simplified form.
//!
//! Apnoeic oxygenation follows from the same mass flow: with zero ventilation and an open
//! airway the lungs keep taking up O2 (about VO2 − VCO2 of inspired gas flows in), so with
//! FiO2 1.0 after denitrogenation PAO2 falls only as fast as CO2 accumulates, while with air the
//! drawn-in nitrogen piles up and PAO2 falls within minutes (Frumin, Epstein & Cohen 1959,
//! Anesthesiology 20:789: SpO2 kept up to 55 min of apnoea on O2). The airway is assumed open
//! and connected to gas at FiO2.
//!
//! Figures: barometric pressure 760 mmHg, alveolar water vapour 47 mmHg at 37 °C; STPD↔BTPS at
//! 273.15 K / 310.15 K \[M\]; FRC about 2.5–3 L in an adult \[M, West\], scaled with weight.
use crate::blood::{self, Chemistry};

/// Barometric pressure, mmHg.
pub const P_BAR_MMHG: f64 = 760.0;
/// Alveolar water vapour pressure at 37 °C, mmHg.
pub const P_H2O_MMHG: f64 = 47.0;
/// mL STPD of a gas per mL BTPS per mmHg of its partial pressure.
const K_STPD: f64 = 273.15 / (310.15 * P_BAR_MMHG);
/// Functional residual capacity of a 75 kg adult, mL BTPS (West \[M\]: 2.5–3 L).
pub const FRC_REFERENCE_ML: f64 = 2700.0;

#[derive(Clone, Debug)]
pub struct Lungs {
    /// Alveolar gas volume, mL BTPS.
    pub volume_ml: f64,
    /// Alveolar O2, CO2 and inert gas (N2 and argon), mL STPD.
    pub o2_ml: f64,
    pub co2_ml: f64,
    pub n2_ml: f64,
}

impl Lungs {
    /// Alveolar gas at the given partial pressures.
    pub fn new(weight_kg: f64, pao2: f64, paco2: f64) -> Self {
        let volume_ml = FRC_REFERENCE_ML * weight_kg / crate::circulation::REFERENCE_WEIGHT_KG;
        let dry = P_BAR_MMHG - P_H2O_MMHG;
        let pao2 = pao2.clamp(0.0, dry);
        let paco2 = paco2.clamp(0.0, dry - pao2);
        Lungs {
            volume_ml,
            o2_ml: pao2 * volume_ml * K_STPD,
            co2_ml: paco2 * volume_ml * K_STPD,
            n2_ml: (dry - pao2 - paco2) * volume_ml * K_STPD,
        }
    }

    /// Steady-state alveolar PO2 (mmHg) by the full alveolar gas equation, for an inspired O2
    /// fraction, alveolar PCO2 and respiratory exchange ratio (what this compartment settles to).
    pub fn alveolar_po2(fio2: f64, paco2: f64, rq: f64) -> f64 {
        let fio2 = fio2.clamp(0.0, 1.0);
        let r = rq.max(0.1);
        fio2 * (P_BAR_MMHG - P_H2O_MMHG) - paco2 * (fio2 + (1.0 - fio2) / r)
    }

    pub fn pao2(&self) -> f64 {
        self.o2_ml / (self.volume_ml * K_STPD)
    }

    pub fn paco2(&self) -> f64 {
        self.co2_ml / (self.volume_ml * K_STPD)
    }

    /// Alveolar ventilation for `dt_s`: first the gas the blood took net since the last call is
    /// replaced by inspired gas drawn in (or an excess pushed out at alveolar composition), so
    /// the compartment stays at barometric pressure; then `va_lpm` (expired alveolar
    /// ventilation, L/min BTPS) of alveolar gas is exchanged for inspired gas (humidified,
    /// FiO2, the rest nitrogen, no CO2).
    pub fn ventilate(&mut self, dt_s: f64, va_lpm: f64, fio2: f64) {
        let fio2 = if fio2.is_finite() {
            fio2.clamp(0.0, 1.0)
        } else {
            0.21
        };
        let full = (P_BAR_MMHG - P_H2O_MMHG) * self.volume_ml * K_STPD;
        self.o2_ml = self.o2_ml.max(0.0);
        self.co2_ml = self.co2_ml.max(0.0);
        self.n2_ml = self.n2_ml.max(0.0);
        let held = self.o2_ml + self.co2_ml + self.n2_ml;
        if held < full {
            let d = full - held;
            self.o2_ml += d * fio2;
            self.n2_ml += d * (1.0 - fio2);
        } else if held > 0.0 {
            let k = full / held;
            self.o2_ml *= k;
            self.co2_ml *= k;
            self.n2_ml *= k;
        }
        // Exchanged share of the compartment; bounded so a huge ventilation cannot overshoot.
        let va = if va_lpm.is_finite() {
            va_lpm.max(0.0)
        } else {
            0.0
        };
        let f = (va * 1000.0 / 60.0 * dt_s / self.volume_ml).min(1.0);
        self.o2_ml += f * (full * fio2 - self.o2_ml);
        self.co2_ml -= f * self.co2_ml;
        self.n2_ml += f * (full * (1.0 - fio2) - self.n2_ml);
    }

    /// Bring capillary blood (`o2`, `co2` in mL, volume `v_ml`) and alveolar gas to a common
    /// partial pressure.
    /// Returns (O2 taken up by the blood, CO2 given off by it), mL; the alveolar amounts change
    /// by the opposite.
    pub fn equilibrate(
        &mut self,
        o2: &mut f64,
        co2: &mut f64,
        v_ml: f64,
        chem: &Chemistry,
    ) -> (f64, f64) {
        if v_ml <= 1e-6 {
            return (0.0, 0.0);
        }
        let (pao2, paco2) = (self.pao2().max(0.0), self.paco2().max(0.0));
        let (c, _) = blood::from_partial_pressures(pao2, paco2, chem);
        // Blood and alveolar gas settle together: the exchange that brings the blood to the
        // *present* alveolar pressures would move those pressures, and where the blood's store
        // per mmHg rivals the gas's (CO2 at low PCO2, O2 on the steep part of the dissociation
        // curve) doing it explicitly overshoots and oscillates. Scaling the exchange by
        // C_gas/(C_gas + C_blood) lands on the joint (linearised) equilibrium instead.
        let (c1, _) = blood::from_partial_pressures(pao2 + 1.0, paco2 + 1.0, chem);
        let c_gas = self.volume_ml * K_STPD;
        let cb_o2 = ((c1.o2_ml_dl - c.o2_ml_dl) * v_ml / 100.0).max(0.0);
        let cb_co2 = ((c1.co2_ml_dl - c.co2_ml_dl) * v_ml / 100.0).max(0.0);
        let mut up_o2 = (c.o2_ml_dl * v_ml / 100.0 - *o2) * c_gas / (c_gas + cb_o2);
        let mut out_co2 = (*co2 - c.co2_ml_dl * v_ml / 100.0) * c_gas / (c_gas + cb_co2);
        // The alveolar gas cannot give more than it holds (apnoea, hypoxic gas), nor the blood.
        up_o2 = up_o2.clamp(-0.5 * *o2, 0.5 * self.o2_ml);
        out_co2 = out_co2.clamp(-0.5 * self.co2_ml, 0.5 * *co2);
        *o2 += up_o2;
        self.o2_ml -= up_o2;
        *co2 -= out_co2;
        self.co2_ml += out_co2;
        (up_o2, out_co2)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// At steady state the compartment reproduces the alveolar ventilation equation,
    /// PACO2 = 0.863·VCO2/VA (West), and the full alveolar gas equation for PAO2 (inspired and
    /// expired volumes unequal), at air and at FiO2 1.
    #[test]
    fn steady_state_matches_the_alveolar_equations() {
        for fio2 in [0.21, 0.5, 1.0] {
            let mut l = Lungs::new(75.0, 100.0, 40.0);
            let (vo2, vco2, va) = (250.0, 200.0, 4.3);
            let dt = 0.04;
            for _ in 0..(600.0 / dt) as usize {
                l.ventilate(dt, va, fio2);
                l.o2_ml -= vo2 / 60.0 * dt;
                l.co2_ml += vco2 / 60.0 * dt;
            }
            let paco2 = 0.863 * vco2 / va;
            let pao2 = Lungs::alveolar_po2(fio2, paco2, vco2 / vo2);
            // Sampled just before the next ventilation: one step's uptake (≈0.1 mmHg) off.
            assert!((l.paco2() - paco2).abs() < 0.5, "{} vs {paco2}", l.paco2());
            assert!(
                (l.pao2() - pao2).abs() < 0.7,
                "FiO2 {fio2}: {} vs {pao2}",
                l.pao2()
            );
        }
        // The textbook case of the issue: FiO2 1, PACO2 40: 673, not 663.
        assert!((Lungs::alveolar_po2(1.0, 40.0, 0.8) - 673.0).abs() < 1e-9);
    }

    /// Apnoea with an open airway: O2 keeps flowing in by mass flow. On O2 PAO2 falls only by
    /// what CO2 gains; on air nitrogen accumulates and PAO2 falls much faster.
    #[test]
    fn apnoeic_oxygenation_by_mass_flow() {
        let run = |fio2: f64| {
            let paco2 = 40.0;
            let mut l = Lungs::new(75.0, Lungs::alveolar_po2(fio2, paco2, 0.8), paco2);
            let dt = 0.04;
            let mut taken = 0.0;
            for _ in 0..(300.0 / dt) as usize {
                l.ventilate(dt, 0.0, fio2);
                // Blood takes 250 mL/min O2 and gives 20 mL/min CO2 (the rest stays in the body).
                let up = (250.0 / 60.0 * dt).min(l.o2_ml);
                l.o2_ml -= up;
                taken += up;
                l.co2_ml += 20.0 / 60.0 * dt;
            }
            (l.pao2(), l.paco2(), taken)
        };
        let (po2_o2, pco2_o2, taken) = run(1.0);
        assert!((taken - 1250.0).abs() < 1.0, "uptake continues: {taken}");
        assert!(po2_o2 > 600.0 && pco2_o2 > 65.0, "{po2_o2} {pco2_o2}");
        let (po2_air, _, _) = run(0.21);
        assert!(po2_air < 40.0, "air: {po2_air}");
    }
}
