//! Centrifugal blood pump hydraulics: head–flow–speed curves, reverse flow, power.
//!
//! Units: speed rpm, flow L/min, pressure mmHg, power W.
//!
//! Head law (Boes et al. 2019, as implemented in the RWTH Aachen ECLIPSE model,
//! `Parameters/parameter_pump.txt`; docs/references/circuit.md):
//!
//! ```text
//! H = a·n² − R1·n·Q − R2·Q²  +  Rrec·(Q − kinf·n)²   (last term only while Q < kinf·n)
//! ```
//!
//! The same expression is used for negative flow (blood running backwards through a slow or
//! stopped pump): the recirculation term then dominates the R2 term, so a stopped pump
//! (n = 0) resists backflow with H = (Rrec − R2)·Q² and forward flow with H = −R2·Q². The
//! result is continuous and strictly decreasing in Q for every n ≥ 0 whenever the fit meets the
//! conditions checked by [`PumpModel::custom`] (both built-in fits do).
//!
//! Power: hydraulic power P_h = H·Q. Shaft power P_s = c_d·n³ + P_h/η_h: a disk-friction and
//! recirculation loss that grows with the cube of speed (affinity laws) plus the hydraulic work
//! at an internal efficiency η_h. c_d is set per pump so that the overall efficiency at the
//! design point is [`DESIGN_EFFICIENCY`]; with η_h = 0.7 this makes efficiency fall to 5–10 %
//! below about 1 L/min, as Gross-Hardt et al. 2019 (Crit Care 23:348) computed for ECMO pumps.
//!
//! Not modelled: motor dynamics and inertia (the twin ramps speed), cavitation, heating.

/// Overall (shaft to fluid) efficiency at the design point, fraction. An assumption within the
/// 20–30 % range usual for small centrifugal blood pumps \[M\]; it only sets the scale of power.
pub const DESIGN_EFFICIENCY: f64 = 0.25;
/// Internal hydraulic efficiency of the impeller work, fraction \[M\].
pub const HYDRAULIC_EFFICIENCY: f64 = 0.7;

/// W per (mmHg·L/min).
const W_PER_MMHG_LPM: f64 = 133.322 / 60_000.0;

/// Parameters of one pump design.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct PumpModel {
    /// Short name used by [`PumpModel::by_name`].
    pub name: &'static str,
    /// Head coefficients of the Boes/ECLIPSE fit (module docs).
    pub a: f64,
    pub r1: f64,
    pub r2: f64,
    pub rrec: f64,
    pub kinf: f64,
    /// Blood volume of the pump head, mL.
    pub priming_ml: f64,
    /// Highest speed the drive allows, rpm.
    pub max_rpm: f64,
    /// Typical adult ECMO operating point: speed, rpm, and flow, L/min.
    pub design_rpm: f64,
    pub design_flow_lpm: f64,
    /// Disk-friction/recirculation loss coefficient, W/rpm³ (derived from the design point).
    pub loss_w_per_rpm3: f64,
}

/// Why a custom pump fit was refused.
#[derive(Clone, Debug, PartialEq)]
pub struct PumpFitError(pub String);

impl core::fmt::Display for PumpFitError {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.write_str(&self.0)
    }
}

impl PumpModel {
    /// A pump from head-fit coefficients and its design point. Refuses fits whose head would not
    /// decrease with flow everywhere (the twin's flow solver relies on monotonicity): requires
    /// a > 0, R2 > 0, kinf ≥ 0, Rrec > R2, −R1 < 2·R2·kinf and −R1 < 2·Rrec·kinf.
    #[allow(clippy::too_many_arguments)]
    pub fn custom(
        name: &'static str,
        a: f64,
        r1: f64,
        r2: f64,
        rrec: f64,
        kinf: f64,
        priming_ml: f64,
        max_rpm: f64,
        design_rpm: f64,
        design_flow_lpm: f64,
    ) -> Result<Self, PumpFitError> {
        let head = [a, r1, r2, rrec, kinf];
        let sizes = [priming_ml, max_rpm, design_rpm, design_flow_lpm];
        if head.iter().chain(&sizes).any(|v| !v.is_finite()) {
            return Err(PumpFitError(format!(
                "pump {name}: every coefficient must be finite"
            )));
        }
        if a <= 0.0 || r2 <= 0.0 || kinf < 0.0 || rrec <= r2 {
            return Err(PumpFitError(format!(
                "pump {name}: need a > 0, R2 > 0, kinf >= 0 and Rrec > R2 (got a={a}, R2={r2}, kinf={kinf}, Rrec={rrec})"
            )));
        }
        if -r1 >= 2.0 * r2 * kinf || -r1 >= 2.0 * rrec * kinf {
            return Err(PumpFitError(format!(
                "pump {name}: head would rise with flow (need -R1 < 2·R2·kinf and -R1 < 2·Rrec·kinf)"
            )));
        }
        if priming_ml <= 0.0 || max_rpm <= 0.0 || design_rpm <= 0.0 || design_flow_lpm <= 0.0 {
            return Err(PumpFitError(format!(
                "pump {name}: priming volume, max speed and design point must be positive"
            )));
        }
        Ok(Self::build(
            name,
            head,
            priming_ml,
            max_rpm,
            design_rpm,
            design_flow_lpm,
        ))
    }

    /// Assemble a model and derive its loss coefficient from the design point (no checks).
    fn build(
        name: &'static str,
        [a, r1, r2, rrec, kinf]: [f64; 5],
        priming_ml: f64,
        max_rpm: f64,
        design_rpm: f64,
        design_flow_lpm: f64,
    ) -> Self {
        let mut p = PumpModel {
            name,
            a,
            r1,
            r2,
            rrec,
            kinf,
            priming_ml,
            max_rpm,
            design_rpm,
            design_flow_lpm,
            loss_w_per_rpm3: 0.0,
        };
        let ph = p.hydraulic_power_w(design_rpm, design_flow_lpm).max(0.0);
        let loss = ph / DESIGN_EFFICIENCY - ph / HYDRAULIC_EFFICIENCY;
        p.loss_w_per_rpm3 = loss.max(0.0) / design_rpm.max(1.0).powi(3);
        p
    }

    /// Rotaflow-class fit (Boes 2019 / ECLIPSE). Priming 32 mL and 5000 rpm maximum are the
    /// Maquet Rotaflow specifications \[M\]; design point 3000 rpm, 5 L/min (circuit.md: clinical
    /// region 3000–4000 rpm).
    pub fn rotaflow() -> Self {
        // Passes `custom`'s checks (tested in `builtins_pass_validation`).
        Self::build(
            "rotaflow",
            [1.9583e-5, -7.545e-3, 2.8864, 4.0256, 1.6e-3],
            32.0,
            5000.0,
            3000.0,
            5.0,
        )
    }

    /// DP3-class fit (Boes 2019 / ECLIPSE). Priming 16 mL and 10 000 rpm maximum are the
    /// Medos/Xenios DP3 specifications \[M\]; design point 6000 rpm, 5 L/min (about 190 mmHg).
    pub fn dp3() -> Self {
        Self::build(
            "dp3",
            [6.5298e-6, -1.9593e-3, 4.0802, 5.0355, 4e-4],
            16.0,
            10_000.0,
            6000.0,
            5.0,
        )
    }

    /// Names accepted by [`PumpModel::by_name`].
    pub const NAMES: [&'static str; 2] = ["rotaflow", "dp3"];

    /// Look a built-in model up by name ("rotaflow", "dp3", …).
    pub fn by_name(name: &str) -> Option<Self> {
        match name.trim().to_ascii_lowercase().as_str() {
            "rotaflow" => Some(Self::rotaflow()),
            "dp3" => Some(Self::dp3()),
            _ => None,
        }
    }

    /// Speed and flow as the head fit reads them: NaN as 0, speed within 0..2·max_rpm, flow
    /// within ±100 L/min.
    fn clamped(&self, rpm: f64, q_lpm: f64) -> (f64, f64) {
        let n = if rpm.is_nan() {
            0.0
        } else {
            rpm.clamp(0.0, 2.0 * self.max_rpm)
        };
        let q = if q_lpm.is_nan() {
            0.0
        } else {
            q_lpm.clamp(-100.0, 100.0)
        };
        (n, q)
    }

    /// Pressure rise (outlet minus inlet) at speed and flow. Defined for every flow, negative
    /// (backflow through a slow pump) included, continuous and decreasing in flow.
    pub fn head_mmhg(&self, rpm: f64, q_lpm: f64) -> f64 {
        let (n, q) = self.clamped(rpm, q_lpm);
        let mut h = self.a * n * n - self.r1 * n * q - self.r2 * q * q;
        let qr = self.kinf * n;
        if q < qr {
            h += self.rrec * (q - qr) * (q - qr);
        }
        h
    }

    /// ∂H/∂Q, mmHg per L/min (negative everywhere for a valid fit). For Newton solvers.
    pub fn head_slope(&self, rpm: f64, q_lpm: f64) -> f64 {
        let (n, q) = self.clamped(rpm, q_lpm);
        let mut d = -self.r1 * n - 2.0 * self.r2 * q;
        let qr = self.kinf * n;
        if q < qr {
            d += 2.0 * self.rrec * (q - qr);
        }
        d
    }

    /// The flow at which the pump makes `head_mmhg` at this speed (inverse of [`head_mmhg`],
    /// by safeguarded Newton on the monotone head curve).
    ///
    /// [`head_mmhg`]: PumpModel::head_mmhg
    pub fn flow_at_head(&self, rpm: f64, head_mmhg: f64) -> f64 {
        let target = if head_mmhg.is_nan() { 0.0 } else { head_mmhg };
        let (mut lo, mut hi) = (-100.0, 100.0);
        if self.head_mmhg(rpm, lo) <= target {
            return lo;
        }
        if self.head_mmhg(rpm, hi) >= target {
            return hi;
        }
        let mut q = 0.0;
        for _ in 0..100 {
            let f = self.head_mmhg(rpm, q) - target;
            if f > 0.0 {
                lo = q
            } else {
                hi = q
            }
            let d = self.head_slope(rpm, q);
            let mut next = if d < 0.0 { q - f / d } else { 0.5 * (lo + hi) };
            if !(next > lo && next < hi) {
                next = 0.5 * (lo + hi);
            }
            if (next - q).abs() < 1e-12 {
                return next;
            }
            q = next;
        }
        q
    }

    /// Hydraulic power H·Q, W (negative when the pump is driven backwards by the circuit).
    pub fn hydraulic_power_w(&self, rpm: f64, q_lpm: f64) -> f64 {
        let q = if q_lpm.is_nan() {
            0.0
        } else {
            q_lpm.clamp(-100.0, 100.0)
        };
        self.head_mmhg(rpm, q) * q * W_PER_MMHG_LPM
    }

    /// Shaft power drawn from the motor, W (module docs). Never negative.
    pub fn shaft_power_w(&self, rpm: f64, q_lpm: f64) -> f64 {
        let n = if rpm.is_nan() {
            0.0
        } else {
            rpm.clamp(0.0, 2.0 * self.max_rpm)
        };
        let ph = self.hydraulic_power_w(n, q_lpm).max(0.0);
        self.loss_w_per_rpm3 * n * n * n + ph / HYDRAULIC_EFFICIENCY
    }

    /// Overall efficiency, hydraulic over shaft power, fraction 0..η_h.
    pub fn efficiency(&self, rpm: f64, q_lpm: f64) -> f64 {
        let ps = self.shaft_power_w(rpm, q_lpm);
        if ps <= 0.0 {
            0.0
        } else {
            (self.hydraulic_power_w(rpm, q_lpm).max(0.0) / ps).clamp(0.0, 1.0)
        }
    }

    /// Flow below which blood recirculates inside the pump head (kinf·n), L/min.
    pub fn recirculation_flow_lpm(&self, rpm: f64) -> f64 {
        self.kinf * rpm.max(0.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    /// circuit.md head table for the Rotaflow-class fit.
    #[test]
    fn rotaflow_head_table() {
        let p = PumpModel::rotaflow();
        let table = [
            (2000.0, [120.0, 103.0, 93.0, 82.0, 65.0]),
            (3000.0, [269.0, 242.0, 223.0, 217.0, 208.0]),
            (3500.0, [366.0, 333.0, 310.0, 301.0, 294.0]),
            (4000.0, [478.0, 440.0, 411.0, 400.0, 391.0]),
        ];
        for (rpm, heads) in table {
            for (q, h) in [0.0, 2.0, 4.0, 5.0, 6.0].iter().zip(heads) {
                let got = p.head_mmhg(rpm, *q);
                assert!((got - h).abs() <= 1.0, "{rpm} rpm {q} L/min: {got} vs {h}");
            }
        }
    }

    #[test]
    fn by_name_finds_builtins() {
        assert_eq!(PumpModel::by_name("rotaflow"), Some(PumpModel::rotaflow()));
        assert_eq!(PumpModel::by_name("DP3"), Some(PumpModel::dp3()));
        assert_eq!(PumpModel::by_name("centrimag"), None);
        for n in PumpModel::NAMES {
            assert_eq!(PumpModel::by_name(n).map(|p| p.name), Some(n));
        }
    }

    #[test]
    fn builtins_pass_validation() {
        for p in [PumpModel::rotaflow(), PumpModel::dp3()] {
            let c = PumpModel::custom(
                p.name,
                p.a,
                p.r1,
                p.r2,
                p.rrec,
                p.kinf,
                p.priming_ml,
                p.max_rpm,
                p.design_rpm,
                p.design_flow_lpm,
            );
            assert_eq!(c, Ok(p));
        }
    }

    #[test]
    fn custom_refuses_rising_head() {
        assert!(
            PumpModel::custom(
                "x", 2e-5, -0.02, 2.9, 4.0, 1.6e-3, 30.0, 5000.0, 3000.0, 5.0
            )
            .is_err()
        );
        assert!(
            PumpModel::custom(
                "x", 2e-5, -7e-3, 2.9, 2.0, 1.6e-3, 30.0, 5000.0, 3000.0, 5.0
            )
            .is_err()
        );
        assert!(
            PumpModel::custom(
                "x",
                f64::NAN,
                0.0,
                2.9,
                4.0,
                1.6e-3,
                30.0,
                5000.0,
                3000.0,
                5.0
            )
            .is_err()
        );
    }

    #[test]
    fn stopped_pump_resists_backflow() {
        for p in [PumpModel::rotaflow(), PumpModel::dp3()] {
            // Against 80 mmHg arterial pressure a stopped pump lets blood run backwards.
            let q = p.flow_at_head(0.0, -80.0);
            assert!(q > 0.0);
            let back = p.flow_at_head(0.0, 80.0);
            assert!(back < -1.0 && back > -10.0, "{}: backflow {back}", p.name);
            assert!((p.head_mmhg(0.0, back) - 80.0).abs() < 1e-6);
            // A slow pump too: 1000 rpm Rotaflow makes ~20 mmHg at zero flow.
            assert!(p.head_mmhg(0.0, 0.0).abs() < 1e-12);
        }
        let p = PumpModel::rotaflow();
        assert!(p.flow_at_head(1000.0, 80.0) < 0.0);
    }

    #[test]
    fn efficiency_falls_at_low_flow() {
        // Gross-Hardt 2019: 5–10 % below about 1 L/min.
        for p in [PumpModel::rotaflow(), PumpModel::dp3()] {
            let n = p.design_rpm;
            let e_design = p.efficiency(n, p.design_flow_lpm);
            assert!((e_design - DESIGN_EFFICIENCY).abs() < 1e-9);
            let e1 = p.efficiency(n, 1.0);
            let e05 = p.efficiency(n, 0.5);
            assert!((0.05..=0.11).contains(&e1), "{} at 1 L/min: {e1}", p.name);
            assert!(e05 < e1 && e05 > 0.02, "{} at 0.5 L/min: {e05}", p.name);
            assert_eq!(p.efficiency(n, 0.0), 0.0);
            assert!(p.shaft_power_w(n, 0.0) > 0.0);
        }
    }

    proptest! {
        #[test]
        fn head_continuous_and_decreasing(rpm in 0.0f64..10_000.0, q in -20.0f64..20.0, dq in 1e-4f64..1.0) {
            for p in [PumpModel::rotaflow(), PumpModel::dp3()] {
                let h0 = p.head_mmhg(rpm, q);
                let h1 = p.head_mmhg(rpm, q + dq);
                prop_assert!(h1 < h0, "{} rpm {} q {}", p.name, rpm, q);
                prop_assert!(p.head_slope(rpm, q) < 0.0 || rpm == 0.0 && q == 0.0);
                // Continuity: a tiny step moves the head a tiny amount.
                prop_assert!((p.head_mmhg(rpm, q + 1e-9) - h0).abs() < 1e-5);
                let back = p.flow_at_head(rpm, h0);
                prop_assert!((back - q).abs() < 1e-6, "inverse {back} vs {q}");
            }
        }

        #[test]
        fn never_nan(rpm in -1e6f64..1e6, q in -1e6f64..1e6) {
            let p = PumpModel::rotaflow();
            for v in [p.head_mmhg(rpm, q), p.shaft_power_w(rpm, q), p.efficiency(rpm, q), p.flow_at_head(rpm, q), p.hydraulic_power_w(rpm, q)] {
                prop_assert!(v.is_finite());
            }
            prop_assert!(p.head_mmhg(f64::NAN, f64::NAN).is_finite());
        }
    }
}
