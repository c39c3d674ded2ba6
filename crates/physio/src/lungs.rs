//! Native lungs: one alveolar gas compartment, ventilated, in equilibrium with the pulmonary
//! capillary blood that is not shunted.
//!
//! The alveolar compartment holds O2 and CO2 amounts (mL STPD) in a fixed gas volume (the
//! functional residual capacity). Alveolar ventilation exchanges its gas with inspired gas; the
//! non-shunted capillary blood leaves at alveolar PO2 and PCO2 (complete equilibration: the
//! capillary transit time, about 0.75 s at rest, is three times what equilibration takes,
//! West's Respiratory Physiology ch. 3 \[M\]). What the blood takes up is taken from the alveolar
//! gas, so O2 uptake and CO2 elimination follow ventilation, FiO2 and shunt without any steady
//! state being assumed; at steady state the compartment reproduces the alveolar gas equation
//! (PACO2 = 0.863·VCO2/VA).
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
    /// Alveolar O2 and CO2, mL STPD.
    pub o2_ml: f64,
    pub co2_ml: f64,
}

impl Lungs {
    /// Alveolar gas at the given partial pressures.
    pub fn new(weight_kg: f64, pao2: f64, paco2: f64) -> Self {
        let volume_ml = FRC_REFERENCE_ML * weight_kg / crate::circulation::REFERENCE_WEIGHT_KG;
        Lungs {
            volume_ml,
            o2_ml: pao2 * volume_ml * K_STPD,
            co2_ml: paco2 * volume_ml * K_STPD,
        }
    }

    pub fn pao2(&self) -> f64 {
        self.o2_ml / (self.volume_ml * K_STPD)
    }

    pub fn paco2(&self) -> f64 {
        self.co2_ml / (self.volume_ml * K_STPD)
    }

    /// Alveolar ventilation for `dt_s`: inspired gas (humidified, FiO2, no CO2) replaces an
    /// equal volume of alveolar gas.
    pub fn ventilate(&mut self, dt_s: f64, va_lpm: f64, fio2: f64) {
        // Exchanged share of the compartment; bounded so a huge ventilation cannot overshoot.
        let f = (va_lpm * 1000.0 / 60.0 * dt_s / self.volume_ml).min(1.0);
        let pio2 = fio2 * (P_BAR_MMHG - P_H2O_MMHG);
        let n_in = pio2 * self.volume_ml * K_STPD;
        self.o2_ml += f * (n_in - self.o2_ml);
        self.co2_ml -= f * self.co2_ml;
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
    /// PACO2 = 0.863·VCO2/VA (West), and PAO2 = PIO2 − 0.863·VO2/VA for equal inspired and
    /// expired volumes.
    #[test]
    fn steady_state_matches_the_alveolar_equations() {
        let mut l = Lungs::new(75.0, 100.0, 40.0);
        let (vo2, vco2, va) = (250.0, 200.0, 4.3);
        let dt = 0.04;
        for _ in 0..(600.0 / dt) as usize {
            l.ventilate(dt, va, 0.21);
            l.o2_ml -= vo2 / 60.0 * dt;
            l.co2_ml += vco2 / 60.0 * dt;
        }
        let paco2 = 0.863 * vco2 / va;
        let pao2 = 0.21 * (P_BAR_MMHG - P_H2O_MMHG) - 0.863 * vo2 / va;
        assert!((l.paco2() - paco2).abs() < 0.5, "{} vs {paco2}", l.paco2());
        assert!((l.pao2() - pao2).abs() < 0.5, "{} vs {pao2}", l.pao2());
    }
}
