//! Recruitment, derecruitment and overdistension of an injured lung on a ventilator.
//!
//! An injured (ARDS) lung holds, besides its aerated "baby lung" and tissue that no pressure
//! opens, a *collapsible* population of units that open when the end-inspiratory (plateau)
//! pressure rises above their opening pressure and close when the end-expiratory pressure falls
//! below their closing pressure. Crotti et al. 2001 (Am J Respir Crit Care Med 164:131), CT at
//! end inspiration and end expiration in ALI/ARDS patients over plateaus 10–45 and PEEP
//! 5–20 cmH2O, found both thresholds normally distributed, opening pressures with their mode
//! at 20 cmH2O and closing pressures with theirs at 5, recruitment occurring along the whole
//! pressure–volume curve. Here the population is [`N_UNITS`] classes of equal weight at the
//! normal quantiles z of both distributions, taken together (a unit that opens late also
//! closes early: the superimposed pressure of the dependent lung sets both, Crotti 2001):
//! opening pressure 20 + 10·z, closing pressure 5 + 5·z cmH2O. The spreads are estimates that
//! place the classes over the range Crotti's plateaus spanned (the last class opens at
//! 36 cmH2O, every class by 45) and keep the closing pressures within the PEEPs of ordinary
//! practice (the first class closes only below 0).
//!
//! The patient's `recruitability` is Gattinoni et al. 2006's (N Engl J Med 354:1775)
//! "percentage of potentially recruitable lung": the share of lung tissue that is
//! non-aerated at an airway pressure of 5 cmH2O and aerated at 45 (13 ± 11 % of lung weight
//! in their 68 patients). In this population that is every class whose closing pressure lies
//! above 5, half of it, so the collapsible population is twice the recruitability (the
//! recruitability is at most 0.5). The patient's `shunt_fraction` and lung compliance are
//! those of the *reference state*: ventilated at PEEP 5 with a plateau of 20, every class that
//! closes above 5 closed and every other open.
//!
//! What the open share does:
//!
//! - **Shunt**: blood through collapsed units is shunted; the shunt changes by the collapsed
//!   tissue's share away from the reference state (perfusion taken as proportional to tissue:
//!   Gattinoni 2006 found the venous admixture falling with the tissue PEEP recruits).
//! - **Compliance**: the lung's compliance is that of its aerated part (the "baby lung",
//!   Gattinoni & Pesenti 2005, Intensive Care Med 31:776), so it changes with the aerated
//!   tissue, taken as 1 − shunt at the reference state.
//! - **Time course**: a class moves toward open or closed exponentially, with [`TAU_OPEN_S`]
//!   and [`TAU_CLOSE_S`]; a class whose thresholds the breath crosses both ways (opened at
//!   end inspiration, closed at end expiration: tidal recruitment) sits half open.
//!
//! Overdistension is in [`Overdistension`]: above an upper inflection pressure the aerated
//! lung stiffens, so the chord compliance of the breath falls, and part of the volume delivered
//! above it ventilates units whose capillaries it compresses (alveolar dead space,
//! [`OVERDISTENDED_DEAD_SPACE_SHARE`]).
//!
//! Nothing here acts unless the patient's `recruitability` is above 0 and a ventilator is
//! connected; without one the lung stays as it is.

/// Classes of the collapsible population.
pub const N_UNITS: usize = 10;

/// Normal quantiles at (i + ½)/[`N_UNITS`].
const Z: [f64; N_UNITS] = [
    -1.644_854, -1.036_433, -0.674_490, -0.385_320, -0.125_661, 0.125_661, 0.385_320, 0.674_490,
    1.036_433, 1.644_854,
];

/// Mode of the opening pressures, cmH2O (Crotti 2001).
pub const OPENING_MODE_CMH2O: f64 = 20.0;
/// Spread (SD) of the opening pressures, cmH2O (estimate; see the module note).
pub const OPENING_SD_CMH2O: f64 = 10.0;
/// Mode of the closing pressures, cmH2O (Crotti 2001).
pub const CLOSING_MODE_CMH2O: f64 = 5.0;
/// Spread (SD) of the closing pressures, cmH2O (estimate).
pub const CLOSING_SD_CMH2O: f64 = 5.0;
/// Gattinoni 2006's low airway pressure, cmH2O: the reference state's PEEP.
pub const REFERENCE_PEEP_CMH2O: f64 = 5.0;
/// Time constant of opening, s. Recruitment by a held pressure is largely complete within a
/// minute or two: Borges et al. 2006 (Am J Respir Crit Care Med 174:268) held each 5-cmH2O
/// step of their maximum-recruitment strategy for 2 min \[M\].
pub const TAU_OPEN_S: f64 = 30.0;
/// Time constant of closing, s: derecruitment after PEEP is lowered is faster than
/// recruitment (oxygenation falls within a minute or two of a PEEP reduction or a
/// disconnection, Borges 2006 \[M\]).
pub const TAU_CLOSE_S: f64 = 15.0;

/// Upper inflection pressure of an injured lung, cmH2O: above it the static pressure–volume
/// curve bends (overdistension). Roupie et al. 1995 (Am J Respir Crit Care Med 152:121): an
/// upper inflection point at about 26 cmH2O (mean) in ARDS patients \[M\].
pub const UIP_CMH2O: f64 = 26.0;
/// Compliance above the upper inflection point, as a share of the linear part's: the upper limb
/// of the static curves in ARDS is about a third as steep (Roupie 1995, Matamis et al. 1984,
/// Chest 86:58 \[M\]).
pub const OVERDISTENDED_COMPLIANCE_SHARE: f64 = 1.0 / 3.0;

/// Share of the volume delivered above the upper inflection point that is alveolar dead space:
/// the overdistended units' capillaries are compressed and their perfusion goes elsewhere
/// (Suter 1975: dead space rises above the best PEEP). Half, an estimate: no study we have
/// separates the overdistended volume's ventilation from its perfusion.
pub const OVERDISTENDED_DEAD_SPACE_SHARE: f64 = 0.5;

/// The opening and closing pressure of class `i`, cmH2O.
pub fn thresholds(i: usize) -> (f64, f64) {
    let z = Z[i.min(N_UNITS - 1)];
    (
        OPENING_MODE_CMH2O + OPENING_SD_CMH2O * z,
        CLOSING_MODE_CMH2O + CLOSING_SD_CMH2O * z,
    )
}

/// Whether class `i` is open in the reference state (its closing pressure at or below the
/// reference PEEP).
fn open_at_reference(i: usize) -> f64 {
    if thresholds(i).1 <= REFERENCE_PEEP_CMH2O {
        1.0
    } else {
        0.0
    }
}

/// The collapsible lung's state.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Recruitment {
    /// Open share of each class, 0..1.
    open: [f64; N_UNITS],
}

impl Default for Recruitment {
    fn default() -> Self {
        Self::new()
    }
}

/// What the recruitment state does to the lung, relative to the reference state.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct LungChange {
    /// Added to the patient's shunt fraction (negative: recruited).
    pub shunt_delta: f64,
    /// Multiplies the patient's lung compliance (aerated tissue now over at reference).
    pub compliance_factor: f64,
}

impl LungChange {
    pub const NONE: LungChange = LungChange {
        shunt_delta: 0.0,
        compliance_factor: 1.0,
    };
}

impl Recruitment {
    /// The reference state.
    pub fn new() -> Self {
        Recruitment {
            open: core::array::from_fn(open_at_reference),
        }
    }

    /// The open share each class moves to at end-expiratory pressure `peep` and end-inspiratory
    /// pressure `plateau` (cmH2O), or None where neither threshold is crossed (it stays).
    pub fn target(i: usize, peep: f64, plateau: f64) -> Option<f64> {
        let (po, pc) = thresholds(i);
        let opens = plateau >= po;
        let closes = peep < pc;
        match (opens, closes) {
            (true, false) => Some(1.0),
            (false, true) => Some(0.0),
            (true, true) => Some(0.5),
            (false, false) => None,
        }
    }

    /// Advance `dt_s` at end-expiratory pressure `peep` and plateau `plateau`, cmH2O. Returns
    /// whether anything moved by more than 1e-6.
    pub fn step(&mut self, dt_s: f64, peep: f64, plateau: f64) -> bool {
        if dt_s.is_nan() || dt_s <= 0.0 || !peep.is_finite() || !plateau.is_finite() {
            return false;
        }
        let mut moved = false;
        for (i, o) in self.open.iter_mut().enumerate() {
            let Some(t) = Self::target(i, peep, plateau) else {
                continue;
            };
            let tau = if t > *o { TAU_OPEN_S } else { TAU_CLOSE_S };
            let d = (t - *o) * (1.0 - (-dt_s / tau).exp());
            if d.abs() > 1e-6 {
                moved = true;
            }
            *o = (*o + d).clamp(0.0, 1.0);
        }
        moved
    }

    /// Share of the collapsible population open now, 0..1.
    pub fn open_share(&self) -> f64 {
        self.open.iter().sum::<f64>() / N_UNITS as f64
    }

    /// Share of the collapsible population open in the reference state.
    pub fn reference_share() -> f64 {
        (0..N_UNITS).map(open_at_reference).sum::<f64>() / N_UNITS as f64
    }

    /// Share of the *recruitable* lung (Gattinoni's: closed at the reference state, opened by
    /// 45 cmH2O) open now, 0..1.
    pub fn recruited_share(&self) -> f64 {
        let closed_at_ref = N_UNITS as f64 * (1.0 - Self::reference_share());
        if closed_at_ref <= 0.0 {
            return 0.0;
        }
        let mut s = 0.0;
        for (i, o) in self.open.iter().enumerate() {
            if open_at_reference(i) == 0.0 {
                s += o;
            }
        }
        s / closed_at_ref
    }

    /// What the state does to a lung of `recruitability` (Gattinoni's share of lung tissue)
    /// whose shunt at the reference state is `shunt_ref`.
    pub fn change(&self, recruitability: f64, shunt_ref: f64) -> LungChange {
        if recruitability <= 0.0 {
            return LungChange::NONE;
        }
        let population = (recruitability / (1.0 - Self::reference_share())).min(1.0);
        let opened = population * (self.open_share() - Self::reference_share());
        let aerated_ref = (1.0 - shunt_ref).clamp(0.1, 1.0);
        LungChange {
            shunt_delta: -opened,
            compliance_factor: ((aerated_ref + opened) / aerated_ref).max(0.05),
        }
    }
}

/// Overdistension of the aerated lung above [`UIP_CMH2O`].
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Overdistension {
    /// Upper inflection pressure, cmH2O.
    pub uip_cmh2o: f64,
    /// Compliance above it as a share of the compliance below.
    pub share: f64,
}

impl Overdistension {
    pub const INJURED: Overdistension = Overdistension {
        uip_cmh2o: UIP_CMH2O,
        share: OVERDISTENDED_COMPLIANCE_SHARE,
    };

    /// Static volume (mL) above the end-expiratory volume at end-expiratory pressure `peep`
    /// and end-inspiratory pressure `p`, for compliance `c` below the inflection point; and the
    /// part of it above the inflection point.
    pub fn volume(&self, c: f64, peep: f64, p: f64) -> (f64, f64) {
        let below = c * (p.min(self.uip_cmh2o) - peep).max(0.0);
        let above = c * self.share * (p - peep.max(self.uip_cmh2o)).max(0.0);
        (below + above, above)
    }

    /// The plateau (cmH2O) at which a tidal volume `vt` (mL) from `peep` sits, and the volume
    /// above the inflection point.
    pub fn plateau(&self, c: f64, peep: f64, vt: f64) -> (f64, f64) {
        let c = c.max(1e-6);
        let room = c * (self.uip_cmh2o - peep).max(0.0);
        if vt <= room {
            (peep + vt / c, 0.0)
        } else {
            let over = vt - room;
            (
                peep.max(self.uip_cmh2o) + over / (c * self.share.max(1e-3)),
                over,
            )
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn thresholds_follow_crotti_and_recruitable_is_half() {
        // Modes at the centre, every class opened by 45 cmH2O.
        let (po, pc) = thresholds(4);
        assert!((po - 18.7).abs() < 0.1 && (pc - 4.4).abs() < 0.1);
        assert!((0..N_UNITS).all(|i| thresholds(i).0 < 45.0));
        assert_eq!(Recruitment::reference_share(), 0.5);
        let r = Recruitment::new();
        assert_eq!(r.recruited_share(), 0.0);
        assert_eq!(r.change(0.13, 0.5), LungChange::NONE);
        assert_eq!(r.change(0.0, 0.5), LungChange::NONE);
    }

    fn settle(r: &mut Recruitment, peep: f64, plateau: f64) {
        for _ in 0..600 {
            r.step(1.0, peep, plateau);
        }
    }

    #[test]
    fn a_manoeuvre_opens_the_recruitable_lung_and_peep_keeps_it_open() {
        let mut r = Recruitment::new();
        settle(&mut r, 25.0, 45.0);
        assert!(r.recruited_share() > 0.999, "{r:?}");
        let c = r.change(0.13, 0.5);
        assert!((c.shunt_delta + 0.13).abs() < 1e-3, "{c:?}");
        assert!((c.compliance_factor - 0.63 / 0.5).abs() < 1e-2, "{c:?}");
        // PEEP 15 after the manoeuvre holds most of it (hysteresis) ...
        settle(&mut r, 15.0, 27.0);
        let held = r.recruited_share();
        assert!(held > 0.99, "{held}");
        // ... PEEP 5 loses it again, with its time course.
        let mut s = r;
        s.step(15.0, 5.0, 17.0);
        let after_15 = s.recruited_share();
        assert!(after_15 > 0.25 && after_15 < 0.75, "{after_15}");
        settle(&mut s, 5.0, 17.0);
        assert!(s.recruited_share() < 0.01, "{s:?}");
        // Zero PEEP closes more than the reference state.
        settle(&mut s, 0.0, 12.0);
        assert!(s.open_share() < Recruitment::reference_share());
        assert!(s.change(0.13, 0.5).shunt_delta > 0.0);
    }

    #[test]
    fn a_plateau_between_thresholds_changes_nothing() {
        let mut r = Recruitment::new();
        // PEEP 5, plateau 17: no class crosses a threshold it has not already crossed.
        let before = r;
        r.step(1.0, 5.0, 17.0);
        assert_eq!(r, before);
        assert!(!r.step(1.0, f64::NAN, 17.0));
    }

    #[test]
    fn overdistension_bends_the_curve() {
        let od = Overdistension::INJURED;
        // Below the inflection point: linear.
        assert_eq!(od.plateau(40.0, 10.0, 400.0), (20.0, 0.0));
        // 16 cmH2O of room from PEEP 10 at 40 mL/cmH2O: 640 mL; 160 more at 40/3.
        let (p, over) = od.plateau(40.0, 10.0, 800.0);
        assert!(
            (over - 160.0).abs() < 1e-9 && (p - 38.0).abs() < 1e-9,
            "{p} {over}"
        );
        let (v, above) = od.volume(40.0, 10.0, 38.0);
        assert!((v - 800.0).abs() < 1e-9 && (above - 160.0).abs() < 1e-9);
        // PEEP above the inflection point: the whole breath is overdistending.
        let (p, over) = od.plateau(40.0, 30.0, 200.0);
        assert!((p - 45.0).abs() < 1e-9 && over == 200.0);
    }
}
