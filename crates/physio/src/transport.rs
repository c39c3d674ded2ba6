//! O2 and CO2 carried with the blood: every compartment holds amounts (mL STPD), and every
//! connection moves blood upwind with its signed flow.
//!
//! The fast step records how much volume crossed each connection; the gas step (slower) moves
//! gas by those volumes at the donor compartment's concentration. Each transfer is subtracted
//! from one compartment and added to the other with the same number, so the total is conserved
//! to rounding: the change in total O2 equals lung uptake + oxygenator transfer − consumption,
//! and likewise for CO2, with nothing lost in transport. Where a step would carry more than half
//! a compartment's volume out of it (a Courant number above 0.5), the step is split so that no
//! amount can go negative.
//!
//! The intrapulmonary shunt is a property of transport, not of the vessels: the pulmonary
//! capillary compartment's blood is held in two gas pools, a ventilated one and a shunted one,
//! sharing its volume in the ratio (1 − shunt) : shunt and every inflow and outflow in the same
//! ratio. Only the ventilated pool meets alveolar gas. (A single pool that merely rerouted a
//! share of the inflow would still trade blood with the pulmonary veins as the capillary volume
//! swells and shrinks with each beat, and that tidal exchange would oxygenate "shunted" blood.)
use crate::circulation::{
    COR, CRT, Circulation, E_PA_PCAP, E_PCAP_PV, FIRST_CIRCUIT_EDGE, LBT, N, NE, PCAP, UBT,
};

/// The shunted pool of the pulmonary capillaries (gas slot after the compartments).
pub const PSH: usize = N;
/// Number of gas pools: one per compartment, plus the shunted capillary pool.
pub const NG: usize = N + 1;

/// Gas amounts of every compartment (the pulmonary capillaries in two pools: [`PCAP`] holds the
/// ventilated one, [`PSH`] the shunted one).
#[derive(Clone, Debug)]
pub struct Gases {
    /// O2, mL (STPD).
    pub o2: [f64; NG],
    /// CO2, mL (STPD).
    pub co2: [f64; NG],
    /// Air (circuit compartments only), mL.
    pub air: [f64; NG],
    /// Recirculation tracer: volume of blood that left the return cannula and has not passed a
    /// capillary bed since, mL. Blood in the return line is all tracer; tissue and lung
    /// capillaries wash it out. Its concentration at the drainage cannula is the true share of
    /// drained blood that was returned blood drawn straight back, measured without any of the
    /// saturation algebra of the Abrams formula, so that formula can be checked against it.
    pub returned: [f64; NG],
    /// Volumes at the last gas step, mL: the volumes the amounts belong to.
    pub vprev: [f64; NG],
    /// Shunt fraction the capillary pools are split by.
    shunt: f64,
}

/// `amount` per mL of a pool of `v_ml`, 0 for an empty pool (1e-9 mL or less).
#[inline]
fn per_ml(amount: f64, v_ml: f64) -> f64 {
    if v_ml > 1e-9 { amount / v_ml } else { 0.0 }
}

/// Pool volumes from compartment volumes.
fn pool_volumes(v: &[f64; N], shunt: f64) -> [f64; NG] {
    let mut out = [0.0; NG];
    out[..N].copy_from_slice(v);
    out[PCAP] = (1.0 - shunt) * v[PCAP];
    out[PSH] = shunt * v[PCAP];
    out
}

/// Largest share of a compartment's volume one transport sub-step may carry out of it.
const MAX_COURANT: f64 = 0.5;

impl Gases {
    /// Amounts from contents (mL/dL) per compartment; the shunted capillary pool starts with
    /// the contents of `shunt_contents` (mixed venous blood).
    pub fn new(
        v: &[f64; N],
        o2_ml_dl: &[f64; N],
        co2_ml_dl: &[f64; N],
        shunt: f64,
        shunt_contents: (f64, f64),
    ) -> Self {
        let shunt = shunt.clamp(0.0, 1.0);
        let vp = pool_volumes(v, shunt);
        let mut o2 = [0.0; NG];
        let mut co2 = [0.0; NG];
        for i in 0..N {
            o2[i] = o2_ml_dl[i] * vp[i] / 100.0;
            co2[i] = co2_ml_dl[i] * vp[i] / 100.0;
        }
        o2[PSH] = shunt_contents.0 * vp[PSH] / 100.0;
        co2[PSH] = shunt_contents.1 * vp[PSH] / 100.0;
        Gases {
            o2,
            co2,
            air: [0.0; NG],
            returned: [0.0; NG],
            vprev: vp,
            shunt,
        }
    }

    /// Change the shunt fraction: the two capillary pools are pooled and re-split, conserving
    /// their gas.
    pub fn set_shunt(&mut self, shunt: f64) {
        let shunt = shunt.clamp(0.0, 1.0);
        let v = self.vprev[PCAP] + self.vprev[PSH];
        let o2 = self.o2[PCAP] + self.o2[PSH];
        let co2 = self.co2[PCAP] + self.co2[PSH];
        self.o2[PSH] = o2 * shunt;
        self.o2[PCAP] = o2 - self.o2[PSH];
        self.co2[PSH] = co2 * shunt;
        self.co2[PCAP] = co2 - self.co2[PSH];
        self.vprev[PSH] = v * shunt;
        self.vprev[PCAP] = v - self.vprev[PSH];
        self.shunt = shunt;
    }

    /// Bring `vprev[i]` in line after an outside change of compartment `i`'s volume (events).
    pub fn set_volume(&mut self, i: usize, v: f64) {
        debug_assert!(
            i != PCAP,
            "capillary volume is split; not changed by events"
        );
        self.vprev[i] = v;
    }

    /// O2 content of compartment `i`, mL/dL.
    #[inline]
    pub fn o2_content(&self, i: usize) -> f64 {
        per_ml(100.0 * self.o2[i], self.vprev[i])
    }

    /// CO2 content of compartment `i`, mL/dL.
    #[inline]
    pub fn co2_content(&self, i: usize) -> f64 {
        per_ml(100.0 * self.co2[i], self.vprev[i])
    }

    /// Move gas along every connection by the volumes the circulation recorded since the last
    /// call, then clear those records. Returns the air that left the circuit into the patient,
    /// mL.
    pub fn advect(&mut self, circ: &mut Circulation, with_circuit: bool) -> f64 {
        // Transfer list: (from, to, volume), the capillary connections split between the
        // ventilated and shunted pools.
        let shunt = self.shunt;
        let ne = if with_circuit { NE } else { FIRST_CIRCUIT_EDGE };
        let mut from = [0usize; NE + 2];
        let mut to = [0usize; NE + 2];
        let mut x = [0.0f64; NE + 2];
        let mut m = 0;
        for k in 0..ne {
            let mut vol = circ.acc[k];
            let (a, b) = (circ.from[k] as usize, circ.to[k] as usize);
            if k == E_PA_PCAP || k == E_PCAP_PV {
                let (sa, sb) = if k == E_PA_PCAP { (a, PSH) } else { (PSH, b) };
                from[m] = sa;
                to[m] = sb;
                x[m] = shunt * vol;
                m += 1;
                vol *= 1.0 - shunt;
            }
            from[m] = a;
            to[m] = b;
            x[m] = vol;
            m += 1;
        }
        for a in circ.acc.iter_mut() {
            *a = 0.0;
        }
        let vnow = pool_volumes(&circ.v, shunt);
        // Courant number: the most any pool gives away, relative to its volume.
        let mut out = [0.0f64; NG];
        for j in 0..m {
            let d = if x[j] >= 0.0 { from[j] } else { to[j] };
            out[d] += x[j].abs();
        }
        let mut courant: f64 = 0.0;
        for ((&o, &vp), &vn) in out.iter().zip(self.vprev.iter()).zip(vnow.iter()) {
            if o > 0.0 {
                courant = courant.max(o / vp.min(vn).max(1e-6));
            }
        }
        let sub = if courant > MAX_COURANT {
            ((courant / MAX_COURANT).ceil() as usize).min(64)
        } else {
            1
        };
        let inv = 1.0 / sub as f64;
        let mut air_out = 0.0;
        for s in 0..sub {
            // Volumes at the start of this sub-step (linear in between).
            let f = s as f64 * inv;
            let mut c_o2 = [0.0f64; NG];
            let mut c_co2 = [0.0f64; NG];
            let mut c_air = [0.0f64; NG];
            let mut c_ret = [0.0f64; NG];
            for i in 0..NG {
                let vol = self.vprev[i] + f * (vnow[i] - self.vprev[i]);
                if vol > 1e-9 {
                    let r = 1.0 / vol;
                    c_o2[i] = self.o2[i] * r;
                    c_co2[i] = self.co2[i] * r;
                    c_air[i] = self.air[i] * r;
                    c_ret[i] = self.returned[i] * r;
                }
            }
            for j in 0..m {
                let xv = x[j] * inv;
                let (a, b) = (from[j], to[j]);
                let d = if xv >= 0.0 { a } else { b };
                let t_o2 = c_o2[d] * xv;
                let t_co2 = c_co2[d] * xv;
                self.o2[a] -= t_o2;
                self.o2[b] += t_o2;
                self.co2[a] -= t_co2;
                self.co2[b] += t_co2;
                if c_air[d] != 0.0 {
                    let t_air = c_air[d] * xv;
                    self.air[a] -= t_air;
                    self.air[b] += t_air;
                }
                if c_ret[d] != 0.0 {
                    let t_ret = c_ret[d] * xv;
                    self.returned[a] -= t_ret;
                    self.returned[b] += t_ret;
                }
            }
        }
        // Air is tracked in the circuit only: what reached a patient compartment is counted and
        // removed (it is not blood and carries no O2 in this model).
        for i in (0..crate::circulation::NP).chain([PSH]) {
            air_out += self.air[i];
            self.air[i] = 0.0;
        }
        // The tracer: the return line is returned blood; a capillary bed ends the "straight
        // back" path (what passed tissues or lungs is venous or arterial blood again).
        if with_circuit {
            self.returned[CRT] = vnow[CRT];
        }
        for i in [PCAP, PSH, UBT, COR, LBT] {
            self.returned[i] = 0.0;
        }
        self.vprev = vnow;
        air_out
    }

    /// Exchange `x` mL of blood both ways between compartments `a` and `b` (turbulent mixing:
    /// no net volume moves, each side's gases and tracer move at its own concentration).
    /// Limited to a quarter of the smaller volume, so nothing can go negative.
    pub fn exchange(&mut self, a: usize, b: usize, x: f64) {
        let (va, vb) = (self.vprev[a], self.vprev[b]);
        let x = x.min(0.25 * va.min(vb));
        if x <= 0.0 || va <= 1e-9 || vb <= 1e-9 {
            return;
        }
        let (fa, fb) = (x / va, x / vb);
        for pool in [
            &mut self.o2,
            &mut self.co2,
            &mut self.air,
            &mut self.returned,
        ] {
            let d = pool[a] * fa - pool[b] * fb;
            pool[a] -= d;
            pool[b] += d;
        }
    }

    /// Share of compartment `i`'s blood that is returned blood not yet through a capillary bed
    /// (see [`Gases::returned`]), 0..1.
    pub fn returned_fraction(&self, i: usize) -> f64 {
        per_ml(self.returned[i], self.vprev[i]).clamp(0.0, 1.0)
    }

    /// Total O2 and CO2 in the first `n` compartments (patient: `NP`, with circuit: `N`) and
    /// the shunted capillary pool, mL.
    pub fn totals(&self, n: usize) -> (f64, f64) {
        let mut o = self.o2[PSH];
        let mut c = self.co2[PSH];
        for i in 0..n {
            o += self.o2[i];
            c += self.co2[i];
        }
        (o, c)
    }

    /// O2 and CO2 contents of the whole capillary compartment (both pools), mL/dL.
    pub fn capillary_contents(&self) -> (f64, f64) {
        let v = self.vprev[PCAP] + self.vprev[PSH];
        (
            per_ml(100.0 * (self.o2[PCAP] + self.o2[PSH]), v),
            per_ml(100.0 * (self.co2[PCAP] + self.co2[PSH]), v),
        )
    }
}

#[cfg(test)]
#[allow(clippy::needless_range_loop)]
mod tests {
    use super::*;
    use crate::circulation::*;

    #[test]
    fn advection_conserves_and_stays_positive() {
        let mut c = Circulation::new(
            &crate::heart::VentricleParams::normal(75.0, 2.95, 1.75),
            5300.0,
            0.9,
            0.09,
            75.0,
        );
        let mut o2 = [15.0; N];
        let co2 = [50.0; N];
        for (i, x) in o2.iter_mut().enumerate() {
            *x = 5.0 + i as f64;
        }
        let mut g = Gases::new(&c.v, &o2, &co2, 0.3, (15.0, 50.0));
        let (o0, c0) = g.totals(NP);
        let dt = 0.002;
        for step in 0..100_000 {
            c.pressures();
            c.flows(dt);
            c.integrate(dt, false);
            c.beat.advance(dt, 75.0);
            c.act = c.beat.activation();
            if step % 20 == 19 {
                g.advect(&mut c, false);
                for i in 0..NG {
                    assert!(g.o2[i] >= 0.0 && g.co2[i] >= 0.0, "pool {i} negative");
                }
            }
        }
        let (o1, c1) = g.totals(NP);
        assert!((o1 - o0).abs() < 1e-9 * o0, "O2 {o0} -> {o1}");
        assert!((c1 - c0).abs() < 1e-9 * c0, "CO2 {c0} -> {c1}");
        // Well mixed after 200 s of circulation: contents close to the volume-weighted mean.
        let mean = o1 / c.patient_volume() * 100.0;
        for i in (0..NP).chain([PSH]) {
            let ci = g.o2_content(i);
            assert!((ci - mean).abs() < 1.0, "pool {i}: {ci} vs {mean}");
        }
    }
}
