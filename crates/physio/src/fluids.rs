//! Fluids and blood products given by infusion, and where the water goes: crystalloid,
//! albumin 5 %, packed red cells and plasma, each as a rate in mL/h; haemoglobin as a state
//! (diluted by acellular fluid, raised by red cells); the interstitium as a second fluid space.
//!
//! The model is a two-volume fluid kinetic model in the manner of Hahn's volume kinetics
//! (Hahn 2020, Acta Anaesthesiol Scand 64:570, "Understanding volume kinetics"), driven by the
//! oncotic pressure of the plasma:
//!
//! - Water moves from plasma to interstitium at `CLd · ((1 − c) − (Vi − Vi0)/Vi0)` mL/min: `c`
//!   is the plasma protein concentration relative to the patient's at the start (crystalloid
//!   dilutes it, albumin and plasma do not, the water leaving concentrates it) and the second
//!   term the interstitium's overfill, which pushes back (interstitial pressure, lymph).
//!   Crystalloid therefore leaves the plasma with a half-life set by `CLd`; iso-oncotic albumin
//!   and plasma stay. `CLd` follows from the distribution half-life of crystalloid in conscious
//!   volunteers, about 8 min (Hahn & Lyons 2016, Eur J Anaesthesiol 33:475 \[M\]), and the two
//!   volumes.
//! - The kidneys excrete plasma water at `CLr · (Vp − Vp0)/Vp0` mL/min when the plasma volume
//!   `Vp` exceeds the patient's starting one (none when below: a hypovolaemic patient keeps
//!   what is given, as Drobin & Hahn 1999, Anesthesiology 90:81, found: the elimination
//!   constant fell from 133 to 34 mL/min after 900 mL of blood was withdrawn). `CLr` is
//!   0.85 mL/min/kg, half the conscious volunteers' 1.7 (133 mL/min in men of ~80 kg, Drobin &
//!   Hahn 1999; 95 mL/min in women of ~60 kg, Hahn 1997 BJA 78:144), fitted to Hahn 2020's
//!   summary of plasma expansion (see [`RENAL_CLEARANCE_ML_MIN_KG`]); under anaesthesia it is
//!   10–20 % of the volunteers' (Hahn 2010, Anesthesiology 113:470), which the twin does not
//!   distinguish.
//! - The space crystalloid expands is the kinetic one, 10.7 L in 80 kg men (Drobin & Hahn
//!   1999), smaller than the anatomical interstitium (11 L in 70 kg, Guyton & Hall): the
//!   interstitial volume reported is the anatomical one plus what the fluid added.
//! - Infused albumin leaves the plasma at the transcapillary escape rate of albumin, 5 %/h in
//!   healthy subjects (Fleck 1985, Lancet 1:781 \[M\]), applied to the protein given above the
//!   patient's own.
//! - Packed red cells (in additive solution) have a haematocrit of 0.60 (0.50–0.70, EDQM Guide
//!   to the preparation, use and quality assurance of blood components \[M\]): Hb 19.8 g/dL at
//!   the twin's MCHC of 33 g/dL; their additive solution is protein-free.
//!
//! Haemoglobin is uniform over patient and circuit (mixing within a circulation time is not
//! resolved). Haemorrhage removes whole blood: it changes neither Hb nor `c`, so it moves no
//! water: transcapillary refill after bleeding (driven by the fall of capillary pressure, over
//! hours) is not modelled. The existing `volume` event still gives or takes whole blood.
//!
//! Pure and deterministic; nothing happens (not a bit changes) until a fluid is given.

/// The fluids, in the order of [`Fluids::rate_ml_h`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Fluid {
    /// Balanced crystalloid (Ringer's lactate or acetate, saline): water and electrolytes.
    Crystalloid,
    /// Albumin 5 %: iso-oncotic, stays in the plasma.
    Albumin,
    /// Packed red cells in additive solution.
    RedCells,
    /// Plasma (fresh frozen plasma): iso-oncotic, no cells.
    Plasma,
}

impl Fluid {
    pub const ALL: [Fluid; 4] = [
        Fluid::Crystalloid,
        Fluid::Albumin,
        Fluid::RedCells,
        Fluid::Plasma,
    ];
}

/// Distribution half-life of crystalloid between plasma and interstitium, min (Hahn & Lyons
/// 2016 \[M\]).
pub const DISTRIBUTION_HALF_LIFE_MIN: f64 = 8.0;
/// Renal clearance of excess plasma volume, mL/min per kg: half the conscious volunteers'
/// 1.7 (Drobin & Hahn 1999; Hahn 1997), set so that a 25 mL/kg infusion over 30 min leaves the
/// plasma expansion Hahn 2020 summarises (50–60 % of the infused volume at the end, 15–20 % half
/// an hour later): calibration. Under anaesthesia it is 10–20 % of the volunteers' (Hahn 2010).
pub const RENAL_CLEARANCE_ML_MIN_KG: f64 = 0.85;
/// Interstitial fluid, mL per kg: 11 L in a 70 kg adult (Guyton & Hall ch. 25 \[M\]).
pub const INTERSTITIAL_ML_KG: f64 = 11_000.0 / 70.0;
/// The body fluid space crystalloid expands (plasma and the interstitial space it reaches),
/// mL per kg: 10.7 L (SEM 0.9) in male volunteers of about 80 kg (Drobin & Hahn 1999).
pub const EXPANDABLE_ML_KG: f64 = 10_700.0 / 80.0;
/// Transcapillary escape rate of albumin, per hour (Fleck 1985 \[M\]).
pub const ALBUMIN_ESCAPE_PER_H: f64 = 0.05;
/// Haematocrit and Hb of packed red cells (EDQM guide \[M\]; MCHC 33 g/dL as in
/// `cannula::hct_from_hb`).
pub const RED_CELL_HCT: f64 = 0.60;
pub const RED_CELL_HB_G_DL: f64 = RED_CELL_HCT * 33.0;

/// What one step of the fluid model does to the blood.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct FluidStep {
    /// Acellular fluid given (crystalloid, albumin, plasma), mL.
    pub acellular_in_ml: f64,
    /// Packed red cells given (product volume, Hb [`RED_CELL_HB_G_DL`]), mL.
    pub red_cells_in_ml: f64,
    /// Plasma water that left the blood (to the interstitium and the urine), mL; negative when
    /// the interstitium gave water to the plasma.
    pub water_out_ml: f64,
    /// Haemoglobin after the step, g/dL.
    pub hb_g_dl: f64,
}

/// The fluid state of a patient.
#[derive(Clone, Debug, PartialEq)]
pub struct Fluids {
    /// Infusion rates, mL/h, in the order of [`Fluid::ALL`].
    pub rate_ml_h: [f64; 4],
    /// Plasma protein concentration relative to the start (oncotic pressure), 1 = the patient's.
    protein: f64,
    interstitial_ml: f64,
    interstitial0_ml: f64,
    /// Anatomical interstitial volume at rest, mL.
    anatomical_ml: f64,
    plasma0_ml: f64,
    cl_d_ml_min: f64,
    cl_r_ml_min: f64,
    excreted_ml: f64,
    /// Given so far, mL, by fluid.
    given_ml: [f64; 4],
    /// Whether anything has been given (before that the step does nothing at all).
    active: bool,
}

/// Plasma volume of `blood_ml` of blood at `hb_g_dl`.
pub fn plasma_ml(blood_ml: f64, hb_g_dl: f64) -> f64 {
    blood_ml * (1.0 - crate::cannula::hct_from_hb(hb_g_dl))
}

impl Fluids {
    /// A patient of `weight_kg` with `blood_ml` of blood at `hb_g_dl`, at rest.
    pub fn new(weight_kg: f64, blood_ml: f64, hb_g_dl: f64) -> Self {
        let vp = plasma_ml(blood_ml, hb_g_dl).max(1.0);
        let vi = (EXPANDABLE_ML_KG * weight_kg - vp).max(0.5 * vp);
        let k = core::f64::consts::LN_2 / DISTRIBUTION_HALF_LIFE_MIN;
        Fluids {
            rate_ml_h: [0.0; 4],
            protein: 1.0,
            interstitial_ml: vi,
            interstitial0_ml: vi,
            anatomical_ml: INTERSTITIAL_ML_KG * weight_kg,
            plasma0_ml: vp,
            cl_d_ml_min: k / (1.0 / vp + 1.0 / vi),
            cl_r_ml_min: RENAL_CLEARANCE_ML_MIN_KG * weight_kg,
            excreted_ml: 0.0,
            given_ml: [0.0; 4],
            active: false,
        }
    }

    /// Set one fluid's rate, mL/h.
    pub fn set_rate(&mut self, fluid: Fluid, ml_h: f64) {
        self.rate_ml_h[fluid as usize] = ml_h.max(0.0);
        if ml_h > 0.0 {
            self.active = true;
        }
    }

    /// Interstitial fluid volume, mL: the anatomical volume plus what infusions added.
    pub fn interstitial_ml(&self) -> f64 {
        self.anatomical_ml + self.interstitial_ml - self.interstitial0_ml
    }

    /// Plasma protein concentration relative to the start.
    pub fn protein(&self) -> f64 {
        self.protein
    }

    /// Infused fluid excreted by the kidneys so far, mL.
    pub fn excreted_ml(&self) -> f64 {
        self.excreted_ml
    }

    /// Given so far of `fluid`, mL.
    pub fn given_ml(&self, fluid: Fluid) -> f64 {
        self.given_ml[fluid as usize]
    }

    /// The patient's plasma volume at the start, mL.
    pub fn plasma0_ml(&self) -> f64 {
        self.plasma0_ml
    }

    /// Whether a fluid has ever been given.
    pub fn active(&self) -> bool {
        self.active
    }

    /// Replace `washed_ml` of the blood (patient and circuit: `blood_ml` at `hb_g_dl`) by a
    /// circuit's prime ([`crate::prime`]) of Hb `prime_hb_g_dl` and relative plasma protein
    /// `prime_protein` (0 crystalloid, 1 albumin or reconstituted blood). The blood volume does
    /// not change; the plasma protein concentration does, so the water the prime brings moves
    /// to the interstitium over the following steps. Returns the Hb after mixing.
    pub fn mix_prime(
        &mut self,
        washed_ml: f64,
        prime_hb_g_dl: f64,
        prime_protein: f64,
        blood_ml: f64,
        hb_g_dl: f64,
    ) -> f64 {
        if !(washed_ml > 0.0 && blood_ml > 1.0) {
            return hb_g_dl;
        }
        let w = washed_ml.min(blood_ml);
        let (h, hp) = (
            crate::cannula::hct_from_hb(hb_g_dl),
            crate::cannula::hct_from_hb(prime_hb_g_dl),
        );
        let vp = plasma_ml(blood_ml, hb_g_dl);
        let protein_amount = self.protein * (vp - w * (1.0 - h)) + prime_protein * w * (1.0 - hp);
        let vp_new = vp + w * (h - hp);
        self.protein = protein_amount / vp_new.max(1.0);
        self.active = true;
        hb_g_dl + w * (prime_hb_g_dl - hb_g_dl) / blood_ml
    }

    /// Advance `dt` seconds for a patient with `blood_ml` of blood (patient and circuit) at
    /// `hb_g_dl`. Returns `None` while nothing has been given.
    pub fn step(&mut self, dt: f64, blood_ml: f64, hb_g_dl: f64) -> Option<FluidStep> {
        if !(self.active && dt > 0.0 && blood_ml > 1.0) {
            return None;
        }
        let dtm = dt / 60.0;
        let given: [f64; 4] = core::array::from_fn(|k| self.rate_ml_h[k] / 3600.0 * dt);
        for (g, d) in self.given_ml.iter_mut().zip(given) {
            *g += d;
        }
        let [cryst, alb, rbc, plasma] = given;
        let mut vp = plasma_ml(blood_ml, hb_g_dl);
        // Infusion: the red cells' additive solution is protein-free plasma water.
        let acellular = cryst + alb + plasma;
        let protein_amount = self.protein * vp + alb + plasma;
        vp += acellular + (1.0 - RED_CELL_HCT) * rbc;
        self.protein = protein_amount / vp;
        // Transcapillary escape of the albumin given above the patient's own.
        let excess = (self.protein * vp - self.plasma0_ml).max(0.0);
        self.protein -= excess * ALBUMIN_ESCAPE_PER_H / 60.0 * dtm / vp;
        // Exchange with the interstitium (positive: plasma to interstitium), limited to a tenth
        // of either space per step.
        let overfill = (self.interstitial_ml - self.interstitial0_ml) / self.interstitial0_ml;
        let j = (self.cl_d_ml_min * ((1.0 - self.protein) - overfill) * dtm)
            .clamp(-0.1 * self.interstitial_ml, 0.1 * vp);
        // Kidneys: the excess over the starting plasma volume.
        let u = (self.cl_r_ml_min * ((vp - j) - self.plasma0_ml).max(0.0) / self.plasma0_ml * dtm)
            .min(0.1 * vp);
        let out = j + u;
        self.protein *= vp / (vp - out);
        self.interstitial_ml += j;
        self.excreted_ml += u;
        // Haemoglobin: the mass in the blood over the new volume.
        let v_new = blood_ml + acellular + rbc - out;
        let hb = (hb_g_dl * blood_ml + RED_CELL_HB_G_DL * rbc) / v_new;
        Some(FluidStep {
            acellular_in_ml: acellular,
            red_cells_in_ml: rbc,
            water_out_ml: out,
            hb_g_dl: hb,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Run `minutes` at 1 s steps on a blood volume kept by this loop.
    fn run(f: &mut Fluids, blood: &mut f64, hb: &mut f64, minutes: f64) {
        for _ in 0..(minutes * 60.0) as usize {
            if let Some(s) = f.step(1.0, *blood, *hb) {
                *blood += s.acellular_in_ml + s.red_cells_in_ml - s.water_out_ml;
                *hb = s.hb_g_dl;
            }
        }
    }

    /// A 75 kg patient with `blood` mL at Hb `hb` given `fluid` at `rate` mL/h for `minutes`,
    /// then the infusion stopped: its fluids, blood volume and Hb.
    fn infused(fluid: Fluid, rate: f64, blood: f64, hb: f64, minutes: f64) -> (Fluids, f64, f64) {
        let (mut b, mut h) = (blood, hb);
        let mut f = Fluids::new(75.0, b, h);
        f.set_rate(fluid, rate);
        run(&mut f, &mut b, &mut h, minutes);
        f.set_rate(fluid, 0.0);
        (f, b, h)
    }

    #[test]
    fn nothing_given_nothing_changes() {
        let mut f = Fluids::new(75.0, 5300.0, 14.0);
        assert_eq!(f.step(1.0, 5300.0, 14.0), None);
        let (mut b, mut h) = (5300.0, 14.0);
        run(&mut f, &mut b, &mut h, 10.0);
        assert_eq!((b, h), (5300.0, 14.0));
    }

    #[test]
    fn crystalloid_dilutes_and_leaves_albumin_stays() {
        let (mut f, mut b, mut h) = infused(Fluid::Crystalloid, 2000.0, 5300.0, 14.0, 30.0);
        assert!(h < 13.5, "Hb {h}");
        run(&mut f, &mut b, &mut h, 60.0);
        // Most of the litre has left the blood.
        assert!(b - 5300.0 < 400.0, "blood {b}");
        assert!(f.interstitial_ml() > INTERSTITIAL_ML_KG * 75.0 + 200.0);

        let (mut g, mut b2, mut h2) = infused(Fluid::Albumin, 2000.0, 5300.0, 14.0, 30.0);
        run(&mut g, &mut b2, &mut h2, 60.0);
        assert!(
            b2 - 5300.0 > b - 5300.0 + 200.0,
            "albumin {b2} vs crystalloid {b}"
        );
    }

    #[test]
    fn red_cells_raise_hb() {
        let (_, _, h) = infused(Fluid::RedCells, 600.0, 4300.0, 8.0, 30.0);
        // 300 mL of product at Hb 19.8 into 4300 mL at 8: about 8.8 g/dL.
        assert!((8.5..9.1).contains(&h), "Hb {h}");
    }

    #[test]
    fn a_crystalloid_prime_dilutes_at_once_and_its_water_then_leaves() {
        // 600 mL of prime washed into 5900 mL (patient 5300 and circuit 600) at Hb 14.
        let (mut b, mut h) = (5900.0, 14.0);
        let mut f = Fluids::new(75.0, b, h);
        h = f.mix_prime(600.0, 0.0, 0.0, b, h);
        assert!((h - 14.0 * 5300.0 / 5900.0).abs() < 1e-9, "Hb {h}");
        assert!(f.protein() < 0.85, "protein {}", f.protein());
        let h0 = h;
        run(&mut f, &mut b, &mut h, 30.0);
        assert!(h > h0 + 0.3, "Hb {h0} then {h}");
        assert!(b < 5900.0 - 200.0, "blood {b}");
        // An albumin prime dilutes the cells as much, and its water stays.
        let (mut b2, mut h2) = (5900.0, 14.0);
        let mut g = Fluids::new(75.0, b2, h2);
        h2 = g.mix_prime(600.0, 0.0, 1.0, b2, h2);
        assert!((g.protein() - 1.0).abs() < 1e-12);
        run(&mut g, &mut b2, &mut h2, 30.0);
        assert!(b2 > b + 150.0, "albumin {b2} vs crystalloid {b}");
    }
}
