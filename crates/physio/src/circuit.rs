//! The extracorporeal circuit's hydraulics: one inertial flow through the sum of the pressure
//! drops, a pump motor that follows its command within an acceleration limit, power, kinks,
//! clamps, and the collapsible vein at the drainage cannula.
//!
//! The circuit is rigid, so one flow `q` passes every segment. Its balance, with `L` the
//! inertance of the blood column:
//!
//! ```text
//! L·dq/dt = P(drain site) + H(rpm, q) − ΔP(drainage cannula) − ΔP(tubing) − ΔP(oxygenator)
//!           − ΔP(return cannula) − P(return site) − (R_entry + R_kinks + R_clamp)·q
//! ```
//!
//! Component drops come from [`crate::cannula`], [`crate::pump`] and [`crate::oxygenator`]; every
//! drop enters the update implicitly through its secant resistance ΔP(q)/q, so the resistances
//! that can become huge (a closing clamp, a collapsing vein, a clotted membrane) damp instead of
//! ringing. Only the pump head is explicit (it falls with flow, which is stabilising). Drainage is limited by the vein: the drained compartment's pressure falls steeply as
//! it empties ([`crate::circulation::collapse_pressure`]), its entry resistance rises as
//! (V0/V)² (Poiseuille, area ∝ volume for a segment of fixed length), and once the wall is
//! sucked onto the cannula's holes they stay occluded until the vein refills: the drainage
//! pressure swings and the flow chatters, as with a hypovolaemic patient on a fast pump.
use crate::cannula::{Cannula, Tubing};
use crate::oxygenator::OxygenatorModel;
use crate::pump::PumpModel;

/// Blood density, kg/m³ \[M\].
const RHO_BLOOD: f64 = 1060.0;
/// Pa → mmHg.
const PA_PER_MMHG: f64 = 133.322;
/// Inner diameter of a cannula as a share of its outer diameter (thin-wall wire-reinforced
/// cannulae, e.g. 25 Fr = 8.33 mm OD, about 6.7 mm ID) \[M, manufacturer tables\].
const CANNULA_ID_SHARE: f64 = 0.8;
/// Cannula lengths, m: femoral multi-stage drainage cannulae 38–55 cm, arterial/return
/// cannulae 15–23 cm \[M, manufacturer catalogues\].
const DRAINAGE_LENGTH_M: f64 = 0.55;
const RETURN_LENGTH_M: f64 = 0.23;
/// Highest speed any built-in pump takes, rpm; each model's own limit is
/// [`PumpModel::max_rpm`].
pub const MAX_RPM: f64 = 10_000.0;
/// Motor acceleration limit, rpm/s. Consoles ramp speed rather than step it; about 1000 rpm/s
/// reaches a working point within 3 s \[assumption, console behaviour\].
pub const ACCEL_RPM_S: f64 = 1000.0;
/// Unpowered impeller coast-down time constant, s (impeller and blood inertia against fluid
/// drag; a few seconds \[assumption\]).
pub const COAST_TAU_S: f64 = 2.0;
/// Battery endurance at nominal load, s (consoles run 1.5–2 h on their internal battery \[M\]).
pub const BATTERY_S: f64 = 2.0 * 3600.0;
/// Battery recharge time from empty, s \[assumption\].
pub const RECHARGE_S: f64 = 6.0 * 3600.0;
/// Entry resistance of an open drainage cannula's holes at full vein volume, mmHg·s/mL; it
/// rises as (V0/V)² when the vein empties [model; sized so that it is negligible in a full vein
/// next to the cannula's own drop, ~0.5 mmHg·s/mL at 4 L/min].
const ENTRY_R0: f64 = 0.05;
/// Occlusion of the holes by the vein wall: on below this share of the collapse volume, off
/// above the second (hysteresis gives the chatter) \[model\].
const OCCLUDE_ON: f64 = 0.3;
const OCCLUDE_OFF: f64 = 0.6;
const OCCLUDED_FACTOR: f64 = 20.0;
/// Resistance scale of a kink or clamp at half occlusion, mmHg·s/mL; the added resistance is
/// R·s²/(1−s)² for severity s, unbounded as the lumen closes \[model\].
const KINK_R: f64 = 1.0;
/// A fully closed clamp or kink: effectively no flow.
const CLOSED_R: f64 = 1.0e7;

/// Added resistance of a partial occlusion of severity `s` (0..1).
pub fn occlusion_resistance(s: f64) -> f64 {
    if s <= 0.0 {
        0.0
    } else if s >= 1.0 {
        CLOSED_R
    } else {
        (KINK_R * s * s / ((1.0 - s) * (1.0 - s))).min(CLOSED_R)
    }
}

fn lumen_area_m2(size_fr: f64) -> f64 {
    let id_m = size_fr / 3.0 * 1e-3 * CANNULA_ID_SHARE;
    core::f64::consts::PI * 0.25 * id_m * id_m
}

/// Segment volumes of the circuit, mL: \[drainage line, pump head, oxygenator, return line\].
/// The tubing is split evenly between the drainage and return lines.
pub fn segment_volumes(
    drainage: &Cannula,
    ret: &Cannula,
    tubing: &Tubing,
    pump: &PumpModel,
    oxygenator: &OxygenatorModel,
) -> [f64; 4] {
    let tube_ml = tubing.volume_ml();
    let dc_ml = lumen_area_m2(drainage.size_fr) * DRAINAGE_LENGTH_M * 1e6;
    let rc_ml = lumen_area_m2(ret.size_fr) * RETURN_LENGTH_M * 1e6;
    [
        dc_ml + 0.5 * tube_ml,
        pump.priming_ml.max(1.0),
        oxygenator.priming_ml.max(1.0),
        0.5 * tube_ml + rc_ml,
    ]
}

/// Inertance of the blood column, mmHg·s²/mL: ρ·Σ l/A over tubing and cannulae.
pub fn inertance(drainage: &Cannula, ret: &Cannula, tubing: &Tubing) -> f64 {
    let a_t = core::f64::consts::PI * 0.25 * (tubing.inner_diameter_mm * 1e-3).powi(2);
    let sum = tubing.length_m / a_t
        + DRAINAGE_LENGTH_M / lumen_area_m2(drainage.size_fr)
        + RETURN_LENGTH_M / lumen_area_m2(ret.size_fr);
    // Pa·s²/m³ → mmHg·s²/mL.
    RHO_BLOOD * sum / PA_PER_MMHG * 1e-6
}

/// The state of the circuit's hydraulics.
#[derive(Clone, Debug)]
pub struct Hydraulics {
    pub drainage: Cannula,
    pub return_cannula: Cannula,
    pub tubing: Tubing,
    pub pump: PumpModel,
    pub oxygenator: OxygenatorModel,
    /// A dual-lumen single-site cannula in place of the two single-lumen ones (its lumens' own
    /// pressure–flow fits are used; `drainage` and `return_cannula` then only set the blood
    /// column's inertance).
    pub dual_lumen: Option<crate::cannula::DualLumenCannula>,
    /// Flow, mL/s (positive: vein → pump → oxygenator → patient).
    pub q: f64,
    /// Motor speed, rpm.
    pub rpm: f64,
    pub inertance: f64,
    pub drain_kink: f64,
    pub return_kink: f64,
    pub pump_failed: bool,
    pub mains: bool,
    /// Battery charge, 0..1.
    pub battery: f64,
    /// Speed of the hand-cranked emergency drive, rpm; 0 while the motor drives the head.
    pub manual_rpm: f64,
    /// Vein wall sucked onto the drainage holes.
    pub occluded: bool,
    // Last computed measurement points, mmHg.
    pub p_drainage: f64,
    pub p_pre_oxy: f64,
    pub p_post_oxy: f64,
    pub dp_oxy: f64,
}

/// What the circuit needs to know of the patient at its two ends.
#[derive(Clone, Copy, Debug)]
pub struct Ends {
    pub p_drain: f64,
    /// How full the drained veins are relative to their collapse volume (1 = at the point of
    /// collapse; share-weighted over the drainage's segments).
    pub drain_fill: f64,
    /// The most the drainage may take in one step before a drained segment empties, mL.
    pub drain_avail_ml: f64,
    pub p_return: f64,
    pub v_return: f64,
}

impl Hydraulics {
    pub fn new(
        drainage: Cannula,
        return_cannula: Cannula,
        tubing: Tubing,
        pump: PumpModel,
        oxygenator: OxygenatorModel,
    ) -> Self {
        Hydraulics {
            inertance: inertance(&drainage, &return_cannula, &tubing),
            drainage,
            return_cannula,
            tubing,
            pump,
            oxygenator,
            dual_lumen: None,
            q: 0.0,
            rpm: 0.0,
            drain_kink: 0.0,
            return_kink: 0.0,
            pump_failed: false,
            mains: true,
            battery: 1.0,
            manual_rpm: 0.0,
            occluded: false,
            p_drainage: 0.0,
            p_pre_oxy: 0.0,
            p_post_oxy: 0.0,
            dp_oxy: 0.0,
        }
    }

    /// Whether the motor has power (mains or battery) and works.
    pub fn driven(&self) -> bool {
        !self.pump_failed && (self.mains || self.battery > 0.0)
    }

    /// Motor speed toward `cmd_rpm` for `dt`, or coasting down when not driven.
    #[inline]
    pub fn motor(&mut self, dt: f64, cmd_rpm: f64) {
        if self.manual_rpm > 0.0 {
            // A hand turns the head: no power needed, the command is not heard. The same
            // acceleration limit stands for the hand spinning it up.
            let step = ACCEL_RPM_S * dt;
            self.rpm += (self.manual_rpm.min(MAX_RPM) - self.rpm).clamp(-step, step);
        } else if self.driven() {
            let cmd = if cmd_rpm.is_finite() {
                cmd_rpm.clamp(0.0, MAX_RPM)
            } else {
                0.0
            };
            let step = ACCEL_RPM_S * dt;
            self.rpm += (cmd - self.rpm).clamp(-step, step);
        } else {
            self.rpm -= self.rpm * (dt / COAST_TAU_S);
        }
    }

    /// Battery over a slow step: drains when on battery with the pump running, recharges on
    /// mains.
    pub fn power_step(&mut self, dt: f64) {
        if self.mains {
            self.battery = (self.battery + dt / RECHARGE_S).min(1.0);
        } else if !self.pump_failed && self.manual_rpm <= 0.0 {
            self.battery = (self.battery - dt / BATTERY_S).max(0.0);
        }
    }

    /// Advance the circuit flow by `dt`; `clot` is the oxygenator's thrombus fraction, `visc`
    /// the blood viscosity (mPa·s), `clamp` the return clamp (0..1). Returns the new flow, mL/s.
    #[inline]
    pub fn flow(&mut self, dt: f64, ends: &Ends, clot: f64, visc: f64, clamp: f64) -> f64 {
        // Each drop as a secant resistance ΔP(q)/q at the present flow (near zero flow, at a
        // small one), so that the drops enter the update implicitly: a membrane clotted to
        // thousands of times its clean resistance then slows the flow instead of making it ring
        // (explicitly, L/R falls below the step).
        let qs = if self.q.abs() < 1e-3 {
            1e-3_f64.copysign(self.q)
        } else {
            self.q
        };
        let qs_lpm = qs * 0.06;
        let clot = clot.clamp(0.0, crate::oxygenator::MAX_CLOT);
        let (dc, rc) = match &self.dual_lumen {
            Some(d) => (d.drainage_drop_mmhg(qs_lpm), d.infusion_drop_mmhg(qs_lpm)),
            None => (
                self.drainage.pressure_drop_mmhg(qs_lpm),
                self.return_cannula.pressure_drop_mmhg(qs_lpm),
            ),
        };
        let r_dc = (dc / qs).max(0.0);
        let r_tube = (self.tubing.pressure_drop_mmhg(qs_lpm, visc) / qs).max(0.0);
        let r_oxy = (self
            .oxygenator
            .pressure_drop_at_viscosity_mmhg(qs_lpm, clot, visc)
            / qs)
            .max(0.0);
        let r_rc = (rc / qs).max(0.0);
        let head = self.pump.head_mmhg(self.rpm, self.q * 0.06);
        // The drained vein: entry resistance and the wall-occlusion latch.
        let frac = ends.drain_fill;
        if frac < OCCLUDE_ON {
            self.occluded = true;
        } else if frac > OCCLUDE_OFF {
            self.occluded = false;
        }
        let mut r_entry = if frac < 1.0 {
            let r = 1.0 / frac.max(0.02);
            ENTRY_R0 * r * r
        } else {
            ENTRY_R0
        };
        if self.occluded {
            r_entry *= OCCLUDED_FACTOR;
        }
        let r_dk = occlusion_resistance(self.drain_kink);
        let r_rk = occlusion_resistance(self.return_kink) + occlusion_resistance(clamp);
        let drive = ends.p_drain - ends.p_return + head;
        let k = dt / self.inertance;
        let r_total = r_entry + r_dk + r_rk + r_dc + r_tube + r_oxy + r_rc;
        let mut q = (self.q + k * drive) / (1.0 + k * r_total);
        // Never draw more than the compartment holds above a sliver.
        if q > 0.0 {
            q = q.min(ends.drain_avail_ml.max(0.0) / dt);
        } else {
            q = q.max(-(ends.v_return - 1.0).max(0.0) / dt);
        }
        if !q.is_finite() {
            q = 0.0;
        }
        self.q = q;
        self.p_drainage = ends.p_drain - (r_entry + r_dk + r_dc + 0.5 * r_tube) * q;
        self.p_pre_oxy = self.p_drainage + head;
        self.dp_oxy = r_oxy * q;
        self.p_post_oxy = self.p_pre_oxy - self.dp_oxy;
        q
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::cannula::CannulaRole;

    /// A 25 Fr drainage and a 21 Fr return cannula.
    fn adult_cannulae() -> (Cannula, Cannula) {
        let d = Cannula {
            role: CannulaRole::Drainage,
            size_fr: 25.0,
        };
        let r = Cannula {
            role: CannulaRole::Return,
            size_fr: 21.0,
        };
        (d, r)
    }

    #[test]
    fn geometry_is_adult_sized() {
        let (d, r) = adult_cannulae();
        let t = Tubing {
            length_m: 2.0,
            inner_diameter_mm: 9.525,
        };
        let v = segment_volumes(
            &d,
            &r,
            &t,
            &PumpModel::rotaflow(),
            &OxygenatorModel::quadrox_adult(),
        );
        let total: f64 = v.iter().sum();
        // 2 m of 3/8" tubing is 143 mL; with pump, oxygenator and cannulae 400–550 mL.
        assert!((400.0..550.0).contains(&total), "prime {total}");
        let l = inertance(&d, &r, &t);
        assert!((0.2..0.8).contains(&l), "inertance {l}");
    }

    #[test]
    fn battery_lasts_two_hours_then_the_pump_coasts() {
        let (d, r) = adult_cannulae();
        let mut h = Hydraulics::new(
            d,
            r,
            Tubing::ADULT_3_8_IN,
            PumpModel::rotaflow(),
            OxygenatorModel::quadrox_adult(),
        );
        h.rpm = 3500.0;
        h.mains = false;
        for _ in 0..7190 {
            h.power_step(1.0);
        }
        assert!(h.driven(), "still on battery just before two hours");
        for _ in 0..20 {
            h.power_step(1.0);
        }
        assert!(!h.driven(), "battery exhausted after two hours");
        for _ in 0..1000 {
            h.motor(0.002, 3500.0);
        }
        assert!(h.rpm < 3500.0 * 0.5, "coasting down: {}", h.rpm);
        h.mains = true;
        for _ in 0..5000 {
            h.motor(0.002, 3500.0);
        }
        assert!((h.rpm - 3500.0).abs() < 1e-9, "back under power");
    }

    #[test]
    fn occlusion_grows_without_bound() {
        assert_eq!(occlusion_resistance(0.0), 0.0);
        assert!(occlusion_resistance(0.5) < occlusion_resistance(0.9));
        assert!(occlusion_resistance(1.0) >= 1e6);
    }
}
