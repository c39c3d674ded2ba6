//! The circuit's prime, and the haemodilution when a new circuit starts to carry the patient's
//! blood (issue 15: "no haemodilution from crystalloid prime").
//!
//! A circuit is filled (primed) before it is connected: with a balanced crystalloid in adults,
//! sometimes with albumin added, and with blood (red cells reconstituted to a haematocrit of
//! about 35–40 %) in neonates and small infants, whose blood volume is of the order of the
//! circuit's: a neonatal ECMO circuit of a few hundred mL holds one to two times a newborn's
//! blood volume, an adult's 0.5–0.7 L a tenth of an adult's (ELSO practice \[M\]). When flow
//! starts, the prime mixes with the patient's blood: the
//! haemoglobin falls by the mixing ratio (the "Fick principle" prediction used to choose between
//! a blood and a blood-free prime: measured Hb immediately after the onset of paediatric
//! bypass agreed with it, bias 0.07 g/dL, limits of agreement −1.35 to 1.48 g/dL, in 522
//! children under 15 kg, PMID 28587512 \[M\]), and the crystalloid then leaves the plasma for
//! the interstitium as any crystalloid does ([`crate::fluids`]): Törnudd, Hahn & Zdolsek 2014
//! (Clinics 69:535) measured a distribution half-time of 8 min for the Ringer's acetate prime
//! during bypass, the same as in volunteers.
//!
//! How it is modelled. The twin fills the circuit's compartments with the patient's blood at
//! the start (Hb is uniform over patient and circuit, [`crate::fluids`]); a circuit given a
//! [`Prime`] other than [`Prime::Established`] holds that prime instead, unmixed until blood
//! flows through it. Each slow step the circuit's flow washes the share
//! `1 − exp(−flow volume / circuit volume)` of the unmixed prime out into the patient (a
//! well-mixed washout of the circuit's volume): that volume of the blood is replaced by prime.
//! Its haemoglobin and the O2 the haemoglobin carries fall (or rise, for a blood prime richer
//! than the patient's) by the mixing ratio, and the plasma protein concentration (the oncotic
//! pressure of [`crate::fluids`]) falls for crystalloid, so that the water then moves to the
//! interstitium. A clamped or stopped circuit mixes nothing: in the ECPR scenario the Hb falls
//! when flow starts, not when the cart is wheeled in.
//!
//! The default is [`Prime::Established`]: every preset models a patient on support that is
//! already running, whose prime mixed long before the start and whose `hb_g_dl` is the Hb on
//! support. A run that starts support asks for its prime (experiment and scenario files:
//! `prime` in `[circuit]`); [`Prime::BySize`] chooses as clinical practice does.
//!
//! Pure and deterministic; nothing at all happens without a prime to mix.

/// What the circuit was primed with.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Prime {
    /// Support established before the start: the prime mixed with the patient's blood long
    /// ago (every preset; the twin as it was).
    Established,
    /// Balanced crystalloid (Plasma-Lyte, Ringer's acetate): no cells, no protein.
    Crystalloid,
    /// Albumin 5 % (or a crystalloid prime with albumin added to iso-oncotic): no cells,
    /// protein as the patient's.
    Albumin,
    /// Packed red cells reconstituted with plasma or albumin, to this Hb (g/dL); `None`: to
    /// the patient's own Hb (no dilution at all).
    Blood { hb_g_dl: Option<f64> },
    /// Blood when the circuit's volume is at least [`BLOOD_PRIME_FRACTION`] of the patient's
    /// blood volume (neonates and small infants), crystalloid otherwise (adults and larger
    /// children).
    BySize,
}

/// A circuit volume at least this share of the patient's blood volume is primed with blood by
/// [`Prime::BySize`] \[assumption\]: a crystalloid prime of a quarter of the blood volume would
/// dilute Hb by a fifth (14 to 11.2 g/dL), the range in which centres add red cells to the
/// prime of small patients; the twin's adult circuit of about 0.45 L is 8 % of 5.3 L, its
/// neonatal circuit of about 120 mL two fifths of a neonate's 290 mL.
pub const BLOOD_PRIME_FRACTION: f64 = 0.25;

impl Prime {
    /// The names of primes as files write them, in the order of [`Prime::by_name`].
    pub const NAMES: [&'static str; 5] =
        ["established", "crystalloid", "albumin", "blood", "by-size"];

    /// The prime of a name in [`Prime::NAMES`] (a blood prime at the patient's Hb).
    pub fn by_name(name: &str) -> Option<Prime> {
        Some(match name {
            "established" => Prime::Established,
            "crystalloid" => Prime::Crystalloid,
            "albumin" => Prime::Albumin,
            "blood" => Prime::Blood { hb_g_dl: None },
            "by-size" => Prime::BySize,
            _ => return None,
        })
    }

    /// How files name this prime.
    pub fn name(self) -> &'static str {
        match self {
            Prime::Established => "established",
            Prime::Crystalloid => "crystalloid",
            Prime::Albumin => "albumin",
            Prime::Blood { .. } => "blood",
            Prime::BySize => "by-size",
        }
    }

    /// [`Prime::BySize`] resolved for a circuit of `circuit_ml` and a patient of `blood_ml`;
    /// any other prime unchanged.
    pub fn resolve(self, circuit_ml: f64, blood_ml: f64) -> Prime {
        match self {
            Prime::BySize if circuit_ml >= BLOOD_PRIME_FRACTION * blood_ml => {
                Prime::Blood { hb_g_dl: None }
            }
            Prime::BySize => Prime::Crystalloid,
            p => p,
        }
    }
}

/// Hb a crystalloid prime of `prime_ml` leaves in `blood_ml` of blood at `hb_g_dl` once mixed,
/// before any of it leaves the plasma: the mixing ratio ("Fick principle").
pub fn mixed_hb(hb_g_dl: f64, blood_ml: f64, prime_ml: f64) -> f64 {
    hb_g_dl * blood_ml / (blood_ml + prime_ml).max(1e-9)
}

/// The prime still in the circuit, unmixed, and what it holds.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Wash {
    /// Hb of the prime, g/dL (0 for crystalloid and albumin).
    pub hb_g_dl: f64,
    /// Plasma protein of the prime relative to the patient's (0 crystalloid, 1 albumin and
    /// blood).
    pub protein: f64,
    /// Prime not yet washed out of the circuit, mL.
    pub left_ml: f64,
    /// The circuit's volume, mL.
    pub volume_ml: f64,
}

impl Wash {
    /// The unmixed prime of a circuit of `circuit_ml` for a patient of `blood_ml` at
    /// `patient_hb`; `None` when it would change nothing (established support, or blood at the
    /// patient's Hb).
    pub fn new(prime: Prime, circuit_ml: f64, blood_ml: f64, patient_hb: f64) -> Option<Wash> {
        let (hb_g_dl, protein) = match prime.resolve(circuit_ml, blood_ml) {
            Prime::Established | Prime::BySize => return None,
            Prime::Crystalloid => (0.0, 0.0),
            Prime::Albumin => (0.0, 1.0),
            Prime::Blood { hb_g_dl: None } => return None,
            Prime::Blood { hb_g_dl: Some(h) } if h == patient_hb => return None,
            Prime::Blood { hb_g_dl: Some(h) } => (h, 1.0),
        };
        (circuit_ml > 0.0).then_some(Wash {
            hb_g_dl,
            protein,
            left_ml: circuit_ml,
            volume_ml: circuit_ml,
        })
    }

    /// Wash the circuit with `flow_ml` of blood; returns the prime that left it, mL.
    pub fn step(&mut self, flow_ml: f64) -> f64 {
        if flow_ml.is_nan() || flow_ml <= 0.0 {
            return 0.0;
        }
        let mut washed = self.left_ml * (1.0 - (-flow_ml / self.volume_ml).exp());
        // The last 1 % goes with the rest (the washout would never end otherwise).
        if self.left_ml - washed < 0.01 * self.volume_ml {
            washed = self.left_ml;
        }
        self.left_ml -= washed;
        washed
    }

    /// Whether all of the prime has left the circuit.
    pub fn done(&self) -> bool {
        self.left_ml <= 0.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn by_size_primes_neonates_with_blood_and_adults_with_crystalloid() {
        assert_eq!(
            Prime::BySize.resolve(600.0, 5300.0),
            Prime::Crystalloid,
            "adult"
        );
        assert_eq!(
            Prime::BySize.resolve(170.0, 300.0),
            Prime::Blood { hb_g_dl: None },
            "neonate"
        );
        for n in Prime::NAMES {
            assert_eq!(Prime::by_name(n).map(Prime::name), Some(n));
        }
        assert_eq!(Prime::by_name("saline"), None);
    }

    #[test]
    fn nothing_to_mix_without_a_new_prime() {
        assert_eq!(Wash::new(Prime::Established, 600.0, 5300.0, 14.0), None);
        assert_eq!(Wash::new(Prime::BySize, 170.0, 300.0, 16.0), None);
        let b = Prime::Blood {
            hb_g_dl: Some(12.0),
        };
        assert!(Wash::new(b, 170.0, 300.0, 16.0).is_some());
    }

    #[test]
    fn flow_washes_the_prime_out_and_no_flow_does_not() {
        let mut w = Wash::new(Prime::Crystalloid, 600.0, 5300.0, 14.0).unwrap();
        assert_eq!(w.step(0.0), 0.0);
        let mut out = 0.0;
        for _ in 0..60 {
            // 4 L/min for a minute, a second at a time.
            out += w.step(4000.0 / 60.0);
        }
        assert!((out + w.left_ml - 600.0).abs() < 1e-9);
        assert!(w.done(), "left {}", w.left_ml);
        assert!((mixed_hb(14.0, 5300.0, 600.0) - 12.576).abs() < 1e-3);
    }
}
