//! The pump's head–flow–speed curve, used to check that measured flow agrees with speed and
//! pressures (MON-4).

/// Head curve of Boes et al. 2019 (ECLIPSE model), docs/references/circuit.md:
/// `H = a·n² − r1·n·Q − r2·Q²`, plus `rrec·(Q − kinf·n)²` when `Q < kinf·n` (recirculation
/// inside the pump head at low flow). H mmHg, n rpm, Q L/min.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct PumpCurve {
    pub a: f32,
    pub r1: f32,
    pub r2: f32,
    pub rrec: f32,
    pub kinf: f32,
}

impl PumpCurve {
    /// Rotaflow-class fit (circuit.md): a 1.9583e-5, R1 −7.545e-3, R2 2.8864, Rrec 4.0256,
    /// kinf 1.6e-3.
    pub const ROTAFLOW: PumpCurve = PumpCurve {
        a: 1.9583e-5,
        r1: -7.545e-3,
        r2: 2.8864,
        rrec: 4.0256,
        kinf: 1.6e-3,
    };
    /// DP3-class fit (circuit.md): a 6.5298e-6, R1 −1.9593e-3, R2 4.0802, Rrec 5.0355,
    /// kinf 4e-4.
    pub const DP3: PumpCurve = PumpCurve {
        a: 6.5298e-6,
        r1: -1.9593e-3,
        r2: 4.0802,
        rrec: 5.0355,
        kinf: 4e-4,
    };

    /// Head at speed and forward flow, mmHg.
    pub fn head(&self, rpm: f32, q_lpm: f32) -> f32 {
        let base = self.a * rpm * rpm - self.r1 * rpm * q_lpm - self.r2 * q_lpm * q_lpm;
        let qk = self.kinf * rpm;
        if q_lpm < qk {
            let d = q_lpm - qk;
            base + self.rrec * d * d
        } else {
            base
        }
    }

    /// Forward flow (≥ 0) at which the pump makes `head_mmhg` at `rpm`; `None` when the head is
    /// beyond the shut-off head, the input is not finite, or the curve is degenerate.
    pub fn flow_at(&self, rpm: f32, head_mmhg: f32) -> Option<f32> {
        if !self.is_valid() || !rpm.is_finite() || !head_mmhg.is_finite() || rpm <= 0.0 {
            return None;
        }
        let qk = self.kinf * rpm;
        // Low-flow branch (0 ≤ Q < kinf·n): (rrec − r2)·Q² + (−r1·n − 2·rrec·kinf·n)·Q
        // + (a·n² + rrec·(kinf·n)² − H) = 0; the head falls with Q here, so the root on the
        // falling side is the one below the vertex.
        let a2 = self.rrec - self.r2;
        let b2 = -self.r1 * rpm - 2.0 * self.rrec * qk;
        let c2 = self.a * rpm * rpm + self.rrec * qk * qk - head_mmhg;
        if head_mmhg > self.head(rpm, 0.0) {
            return None;
        }
        if head_mmhg >= self.head(rpm, qk) {
            let q = if a2.abs() < 1e-9 {
                if b2 == 0.0 { return None } else { -c2 / b2 }
            } else {
                let disc = b2 * b2 - 4.0 * a2 * c2;
                if disc < 0.0 {
                    return None;
                }
                (-b2 - sqrt(disc) * a2.signum()) / (2.0 * a2)
            };
            return if q.is_finite() {
                Some(crate::clamp_between(q, 0.0, qk))
            } else {
                None
            };
        }
        // High-flow branch: r2·Q² + r1·n·Q + (H − a·n²) = 0, larger root.
        let b = self.r1 * rpm;
        let c = head_mmhg - self.a * rpm * rpm;
        let disc = b * b - 4.0 * self.r2 * c;
        if disc < 0.0 {
            return None;
        }
        let q = (-b + sqrt(disc)) / (2.0 * self.r2);
        if q.is_finite() { Some(q.max(qk)) } else { None }
    }

    /// Head at zero flow (the shut-off head), mmHg: `a·n² + rrec·(kinf·n)²`. A pump turning
    /// at `rpm` holds off a pressure difference up to this across it without flow; above it,
    /// blood runs backward through the pump (INT-4).
    pub fn shutoff_head(&self, rpm: f32) -> f32 {
        self.head(rpm, 0.0)
    }

    /// The lowest speed whose shut-off head reaches `head_mmhg` (the inverse of
    /// [`PumpCurve::shutoff_head`]): 0 for a head at or below 0; `None` when the curve is not
    /// usable or the head is not finite.
    pub fn speed_for_shutoff_head(&self, head_mmhg: f32) -> Option<f32> {
        if !self.is_valid() || !head_mmhg.is_finite() {
            return None;
        }
        if head_mmhg <= 0.0 {
            return Some(0.0);
        }
        let k = self.a + self.rrec * self.kinf * self.kinf;
        let n = sqrt(head_mmhg / k);
        if n.is_finite() { Some(n) } else { None }
    }

    /// Whether the coefficients are usable (finite, `a`, `r2` positive, `rrec`, `kinf` ≥ 0).
    pub fn is_valid(&self) -> bool {
        self.a.is_finite()
            && self.r1.is_finite()
            && self.r2.is_finite()
            && self.rrec.is_finite()
            && self.kinf.is_finite()
            && self.a > 0.0
            && self.r2 > 0.0
            && self.rrec >= 0.0
            && self.kinf >= 0.0
    }
}

/// Square root without `std`: bit-level first guess, then a fixed number of Newton steps
/// (bounded time). Returns 0 for non-positive or non-finite input.
pub fn sqrt(x: f32) -> f32 {
    if x.is_nan() || x <= 0.0 || !x.is_finite() {
        return 0.0;
    }
    let mut y = f32::from_bits((x.to_bits() >> 1) + 0x1fbd_1df5);
    let mut i = 0;
    while i < 4 {
        y = 0.5 * (y + x / y);
        i += 1;
    }
    y
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn head_matches_reference_table() {
        // circuit.md, Rotaflow-class table.
        let c = PumpCurve::ROTAFLOW;
        let table = [
            (2000.0f32, [120.0f32, 103.0, 93.0, 82.0, 65.0]),
            (3000.0, [269.0, 242.0, 223.0, 217.0, 208.0]),
            (3500.0, [366.0, 333.0, 310.0, 301.0, 294.0]),
            (4000.0, [478.0, 440.0, 411.0, 400.0, 391.0]),
        ];
        for (rpm, heads) in table {
            for (q, h) in [0.0f32, 2.0, 4.0, 5.0, 6.0].into_iter().zip(heads) {
                assert!(
                    (c.head(rpm, q) - h).abs() < 1.5,
                    "{rpm} {q}: {} vs {h}",
                    c.head(rpm, q)
                );
            }
        }
    }

    /// The shut-off head inverts to the speed (INT-4's floor): at the Rotaflow class's 2000
    /// rpm it is 120 mmHg (circuit.md table), and the speed found for a head makes exactly that
    /// head; degenerate input answers `None` or 0, never a panic.
    #[test]
    fn speed_for_shutoff_head_inverts_the_zero_flow_head() {
        let c = PumpCurve::ROTAFLOW;
        assert!((c.shutoff_head(2000.0) - 120.0).abs() < 1.5);
        for h in [5.0f32, 30.0, 58.0, 80.0, 120.0, 300.0] {
            let n = c.speed_for_shutoff_head(h).unwrap();
            assert!((c.shutoff_head(n) - h).abs() < 0.01 * h, "{h}: {n}");
            assert!(c.shutoff_head(n * 0.98) < h);
        }
        assert_eq!(c.speed_for_shutoff_head(0.0), Some(0.0));
        assert_eq!(c.speed_for_shutoff_head(-40.0), Some(0.0));
        assert_eq!(c.speed_for_shutoff_head(f32::NAN), None);
        assert_eq!(c.speed_for_shutoff_head(f32::INFINITY), None);
        let bad = PumpCurve { a: 0.0, ..c };
        assert_eq!(bad.speed_for_shutoff_head(50.0), None);
        // A neonate's 48 mmHg is held off near 1270 rpm; an adult's 93 near 1760.
        let neo = c.speed_for_shutoff_head(48.0).unwrap();
        assert!((1240.0..1300.0).contains(&neo), "{neo}");
    }

    #[test]
    fn flow_at_inverts_head() {
        let c = PumpCurve::ROTAFLOW;
        for rpm in [2000.0f32, 3000.0, 3500.0, 4000.0] {
            for q in [0.5f32, 1.0, 2.0, 4.0, 5.5, 6.0, 7.0] {
                let h = c.head(rpm, q);
                let back = c.flow_at(rpm, h).unwrap();
                assert!((back - q).abs() < 0.01, "{rpm} {q} {back}");
            }
        }
        assert_eq!(c.flow_at(1000.0, 1000.0), None);
    }

    /// No flow is answered for a curve that is not usable or an input that is not a number,
    /// each on its own; at exactly the shut-off head the flow is zero (not "beyond").
    #[test]
    fn flow_at_refuses_each_bad_input_and_starts_at_the_shutoff_head() {
        let c = PumpCurve::ROTAFLOW;
        assert!(c.flow_at(3000.0, 200.0).is_some());
        // A strong recirculation term puts 400 mmHg on the low-flow branch, which needs no
        // r2: only the check of the coefficients refuses the curve without one.
        let steep = PumpCurve { rrec: 20.0, ..c };
        assert!(steep.flow_at(3000.0, 400.0).is_some());
        let broken = PumpCurve { r2: 0.0, ..steep };
        assert_eq!(broken.flow_at(3000.0, 400.0), None);
        assert_eq!(c.flow_at(f32::NAN, 200.0), None);
        assert_eq!(c.flow_at(3000.0, f32::NAN), None);
        assert_eq!(c.flow_at(0.0, -10.0), None);
        assert_eq!(c.flow_at(-3000.0, -10.0), None);
        let q = c.flow_at(3000.0, c.shutoff_head(3000.0));
        assert!(q.is_some_and(|q| q < 0.01), "{q:?}");
    }

    /// A curve whose recirculation term cancels the quadratic loss (`rrec == r2`) has a
    /// straight low-flow branch; the inverse still finds the flow there.
    #[test]
    fn flow_at_inverts_a_straight_low_flow_branch() {
        let c = PumpCurve {
            rrec: PumpCurve::ROTAFLOW.r2,
            ..PumpCurve::ROTAFLOW
        };
        for q in [0.5f32, 1.5, 3.0, 4.5] {
            let h = c.head(3000.0, q);
            let back = c.flow_at(3000.0, h);
            assert!(back.is_some_and(|b| (b - q).abs() < 0.01), "{q} {back:?}");
        }
    }

    /// The DP3-class coefficients are circuit.md's row (its R1 negative, as the Rotaflow's):
    /// no published head table to check them against, so the row itself.
    #[test]
    fn dp3_is_circuit_md_row() {
        let c = PumpCurve::DP3;
        assert_eq!(
            (c.a, c.r1, c.r2, c.rrec, c.kinf),
            (6.5298e-6, -1.9593e-3, 4.0802, 5.0355, 4e-4)
        );
    }

    #[test]
    fn sqrt_is_accurate() {
        for x in [1e-6f32, 0.25, 2.0, 9.0, 1234.5, 1e12] {
            let s = sqrt(x);
            assert!(((s * s - x) / x).abs() < 1e-5, "{x} {s}");
        }
        assert_eq!(sqrt(-1.0), 0.0);
        assert_eq!(sqrt(f32::NAN), 0.0);
        assert_eq!(sqrt(f32::INFINITY), 0.0);
    }
}
