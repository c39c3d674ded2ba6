//! Where the cannulae sit, in centimetres: insertion depths turned into tip positions on the
//! caval axis ([`crate::circulation::CAVAL_AXIS`]), the venous segments a multi-stage drainage
//! cannula draws from, and the mixing the return jet causes around its tip.
//!
//! Why a jet term: in a chain of well-mixed segments, returned blood reaches a drainage cannula
//! below it only when the drainage takes more than the blood arriving from below, so that the
//! net flow between them reverses. Recirculation would then be zero up to that flow and climb
//! steeply after it (a switch). Real recirculation rises smoothly with flow and with the tips'
//! closeness, because the return jet is turbulent: it entrains the blood around it and mixes
//! over about ten cannula diameters (Lemétayer 2021, Front Bioeng Biotechnol 9:630568: a
//! confined co-flowing jet needed 9–12 diameters to mix fully). Here the jet exchanges blood
//! (equal volumes both ways, so no net flow) across each boundary between caval segments, in
//! proportion to the returned flow and falling off exponentially with the boundary's distance
//! from the return tip over ten return-cannula diameters.
use crate::circulation::{CAVAL_AXIS, IVCH, IVCI, IVCJ, N_DRAIN, RA, SVC};
use crate::twin::Configuration;

/// Insertion depths, cm at the skin, as the team records them.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Placement {
    /// Femoral venous drainage cannula (unused in central VA, which drains the atrium).
    pub drainage_depth_cm: f64,
    /// Venous return cannula: jugular (femoro-jugular VV) or femoral (femoro-femoral VV);
    /// unused in VA, whose return is arterial. For the dual-lumen cannula, the cannula's
    /// insertion depth at the neck is `drainage_depth_cm` and this is unused.
    pub return_depth_cm: f64,
    /// Dual-lumen cannula only: angle between its return jet and the direction of the
    /// tricuspid valve, degrees (0: at the valve, as placed under echo; 180: turned toward the
    /// IVC).
    pub return_jet_angle_deg: f64,
}

/// Allowed insertion depths, cm: drainage (femoral) and return (jugular or femoral).
pub const DRAINAGE_DEPTH_CM: (f64, f64) = (20.0, 60.0);
pub const RETURN_DEPTH_CM: (f64, f64) = (5.0, 60.0);
/// Allowed dual-lumen return jet angle, degrees.
pub const RETURN_JET_ANGLE_DEG: (f64, f64) = (0.0, 180.0);
/// Dual-lumen cannula (27 Fr bicaval, Avalon class; Wang 2008 ASAIO J 54:606 design): the
/// distal IVC drainage holes over the last 4 cm, the return port 7 cm from the tip, the SVC
/// drainage holes 20–24 cm from the tip \[M, manufacturer's drawings\]; the IVC holes take 75 %
/// of the drainage, the SVC holes 25 % (the SVC returns the upper body's fifth of cardiac
/// output, the IVC most of the rest) \[assumption\].
pub const DLC_IVC_HOLES_CM: f64 = 4.0;
pub const DLC_RETURN_PORT_CM: f64 = 7.0;
pub const DLC_SVC_HOLES_CM: (f64, f64) = (20.0, 24.0);
pub const DLC_IVC_SHARE: f64 = 0.75;
/// How much of the jet's mixing and of its straight draw reaches the drainage when the jet
/// points at the tricuspid valve, relative to a jet turned toward the IVC: a jet aimed through
/// the valve carries most returned blood into the ventricle before it mixes in the atrium
/// \[assumption; recirculation 2–10 % with the jet at the valve vs 20–40 % malrotated, Abrams
/// 2015 ASAIO J 61:115 review\].
pub const DLC_ALIGNED_FACTOR: f64 = 0.1;

/// Distance from the femoral vein at the groin to the middle of the right atrium, adult, cm:
/// a femoral line of 45–55 cm reaches the atrium (the ELSO cannulation guide's femoral
/// drainage cannulae of 38–55 cm with their tips at the hepatic IVC or the IVC–RA junction)
/// \[M\].
pub const FEMORAL_TO_RA_CM: f64 = 50.0;
/// Distance from the right internal jugular puncture to the middle of the right atrium, adult,
/// cm: central lines from the right IJ reach the cavoatrial junction at 13–15 cm \[M\].
pub const JUGULAR_TO_RA_CM: f64 = 16.0;
/// Length of a multi-stage drainage cannula's side-hole region behind its tip, cm (adult
/// multi-stage femoral cannulae carry holes over their distal 10–20 cm) \[M\].
pub const HOLE_SPAN_CM: f64 = 15.0;
/// Share of a multi-stage drainage cannula's flow that enters at its tip; the rest enters
/// evenly along the side holes (the open tip is the largest single inlet) \[assumption\].
pub const TIP_SHARE: f64 = 0.4;
/// Length over which the tip's share enters, cm (the open end and the first holes).
pub const TIP_LENGTH_CM: f64 = 2.0;
/// The return jet mixes over this many return-cannula diameters (Lemétayer 2021: 9–12).
pub const JET_DIAMETERS: f64 = 10.0;
/// Exchange across a caval boundary at the return tip, per mL returned. Calibrated so that the
/// default femoro-jugular placement at 3 L/min gives the median recirculation of the
/// femoro-jugular cohort in `experiment::validation_recirculation` (5 %); the flow and distance
/// slopes there are the model's own.
pub const JET_EXCHANGE: f64 = 0.9;

impl Placement {
    /// Typical depths per configuration: femoro-jugular VV with the drainage tip in the IVC
    /// below the renal veins and the return tip at the SVC–atrial junction (18 cm apart,
    /// the ">10 cm" ELSO asks for with margin); femoro-femoral with the
    /// drainage in the infrarenal IVC and the return at the IVC–atrial junction (12 cm); VA with
    /// the drainage tip in the atrium.
    pub fn typical(configuration: Configuration) -> Self {
        match configuration {
            Configuration::VvFemoroJugular => Placement {
                drainage_depth_cm: 35.0,
                return_depth_cm: 13.0,
                return_jet_angle_deg: 0.0,
            },
            Configuration::VvFemoroFemoral => Placement {
                drainage_depth_cm: 36.0,
                return_depth_cm: 48.0,
                return_jet_angle_deg: 0.0,
            },
            // Dual lumen: tip 8 cm below mid-atrium (hepatic IVC), return port in the atrium.
            Configuration::VvDualLumen => Placement {
                drainage_depth_cm: 24.0,
                return_depth_cm: 15.0,
                return_jet_angle_deg: 0.0,
            },
            _ => Placement {
                drainage_depth_cm: 50.0,
                return_depth_cm: 15.0,
                return_jet_angle_deg: 0.0,
            },
        }
    }
}

/// The patient ends of a circuit, resolved.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Sites {
    /// Drainage compartments and the share of the flow each gives.
    pub drain: [(usize, f64); N_DRAIN],
    /// Return compartment.
    pub ret: usize,
    /// Drainage tip on the caval axis, cm (None in central VA).
    pub drain_tip_cm: Option<f64>,
    /// Return tip on the caval axis, cm (None for an arterial return).
    pub return_tip_cm: Option<f64>,
    /// Mixing length of the return jet, cm (ten return-cannula diameters).
    pub jet_length_cm: f64,
    /// Share of the jet's mixing that reaches the drainage (1 for a jet along the venae cavae;
    /// less for a dual-lumen jet aimed at the tricuspid valve).
    pub jet_reach: f64,
}

/// See [`Sites::jet_reach`]: 1 for single-lumen returns; for the dual-lumen cannula, from
/// [`DLC_ALIGNED_FACTOR`] with the jet at the valve to 1 with the jet turned to the IVC.
fn jet_reach(configuration: Configuration, placement: &Placement) -> f64 {
    if configuration != Configuration::VvDualLumen {
        return 1.0;
    }
    let angle = placement
        .return_jet_angle_deg
        .clamp(0.0, 180.0)
        .to_radians();
    DLC_ALIGNED_FACTOR + (1.0 - DLC_ALIGNED_FACTOR) * 0.5 * (1.0 - angle.cos())
}

impl Sites {
    /// Distance between the drainage and the return tips, cm (None unless both are venous and
    /// on the caval axis).
    pub fn tip_distance_cm(&self) -> Option<f64> {
        Some((self.return_tip_cm? - self.drain_tip_cm?).abs())
    }

    /// The compartment that holds the drainage's largest share: its collapse limits the flow.
    pub fn main_drain(&self) -> usize {
        let mut best = self.drain[0];
        for d in self.drain {
            if d.1 > best.1 {
                best = d;
            }
        }
        best.0
    }
}

/// The caval segment at position `y` (cm from mid-atrium, already scaled), clamped to the axis.
fn segment_at(y: f64, scale: f64) -> usize {
    for &(i, lo, hi) in CAVAL_AXIS.iter() {
        if y >= lo * scale && y < hi * scale {
            return i;
        }
    }
    if y < CAVAL_AXIS[0].1 * scale {
        IVCI
    } else {
        SVC
    }
}

/// Shares of a region `[lo, hi]` (cm, scaled) over the caval segments (in [`CAVAL_AXIS`]
/// order), by overlap. A region entirely off the axis lies wholly in the segment at its nearer
/// end.
fn overlaps(lo: f64, hi: f64, scale: f64) -> [f64; 5] {
    let mut out = [0.0f64; 5];
    let mut total = 0.0;
    for (k, &(_, a, b)) in CAVAL_AXIS.iter().enumerate() {
        out[k] = (hi.min(b * scale) - lo.max(a * scale)).max(0.0);
        total += out[k];
    }
    if total <= 1e-9 {
        let end = segment_at(hi, scale);
        for (k, &(i, _, _)) in CAVAL_AXIS.iter().enumerate() {
            out[k] = if i == end { 1.0 } else { 0.0 };
        }
        return out;
    }
    out.map(|x| x / total)
}

/// The [`N_DRAIN`] largest of the per-segment weights `w`, renormalised (a 15 cm region
/// touches at most four segments below the SVC, so nothing is lost in practice); `fallback`
/// fills unused slots with share 0.
fn largest(w: &[f64; 5], fallback: usize) -> [(usize, f64); N_DRAIN] {
    let mut idx = [0usize, 1, 2, 3, 4];
    idx.sort_by(|&a, &b| w[b].total_cmp(&w[a]));
    let total: f64 = w.iter().sum();
    let mut out = [(fallback, 0.0); N_DRAIN];
    if total <= 1e-12 {
        out[0].1 = 1.0;
        return out;
    }
    for (slot, &k) in out.iter_mut().zip(idx.iter()) {
        if w[k] > 0.0 {
            *slot = (CAVAL_AXIS[k].0, w[k] / total);
        }
    }
    out
}

/// Resolve a configuration and its placement for a patient of `weight_kg` with a return
/// cannula of `return_fr`. None without a circuit.
pub fn resolve(
    configuration: Configuration,
    placement: &Placement,
    weight_kg: f64,
    return_fr: f64,
) -> Option<Sites> {
    use crate::circulation::{AR, ILF, RSA};
    let scale = (weight_kg / crate::circulation::REFERENCE_WEIGHT_KG).cbrt();
    let jet_length_cm = JET_DIAMETERS * return_fr / 30.0;
    let femoral_drain = || {
        let tip = placement.drainage_depth_cm - FEMORAL_TO_RA_CM * scale;
        let holes = overlaps(tip - HOLE_SPAN_CM * scale, tip, scale);
        let end = overlaps(tip - TIP_LENGTH_CM * scale, tip, scale);
        let mut w = [0.0; 5];
        for k in 0..5 {
            w[k] = (1.0 - TIP_SHARE) * holes[k] + TIP_SHARE * end[k];
        }
        (largest(&w, segment_at(tip, scale)), tip)
    };
    let (drain, drain_tip, ret, ret_tip) = match configuration {
        Configuration::None => return None,
        Configuration::VvFemoroJugular => {
            let (d, tip) = femoral_drain();
            let r = JUGULAR_TO_RA_CM * scale - placement.return_depth_cm;
            (d, Some(tip), segment_at(r, scale), Some(r))
        }
        Configuration::VvFemoroFemoral => {
            let (d, tip) = femoral_drain();
            let r = placement.return_depth_cm - FEMORAL_TO_RA_CM * scale;
            (d, Some(tip), segment_at(r, scale), Some(r))
        }
        Configuration::VaFemoral => {
            let (d, tip) = femoral_drain();
            (d, Some(tip), ILF, None)
        }
        Configuration::VaAxillary => {
            let (d, tip) = femoral_drain();
            (d, Some(tip), RSA, None)
        }
        Configuration::VvDualLumen => {
            let tip = JUGULAR_TO_RA_CM * scale - placement.drainage_depth_cm;
            let ivc = overlaps(tip, tip + DLC_IVC_HOLES_CM * scale, scale);
            let svc = overlaps(
                tip + DLC_SVC_HOLES_CM.0 * scale,
                tip + DLC_SVC_HOLES_CM.1 * scale,
                scale,
            );
            let mut w = [0.0; 5];
            for k in 0..5 {
                w[k] = DLC_IVC_SHARE * ivc[k] + (1.0 - DLC_IVC_SHARE) * svc[k];
            }
            let port = tip + DLC_RETURN_PORT_CM * scale;
            (
                largest(&w, segment_at(tip, scale)),
                Some(tip),
                segment_at(port, scale),
                Some(port),
            )
        }
        Configuration::VaCentral => (
            [(RA, 1.0), (IVCJ, 0.0), (IVCH, 0.0), (IVCI, 0.0), (SVC, 0.0)],
            None,
            AR,
            None,
        ),
    };
    // A venous return jet close to the drainage tip is drawn into the tip before it mixes: the
    // tip's share of the flow comes straight from the return's segment in proportion to how
    // little of the jet's mixing length lies between them.
    let mut drain = drain;
    if let (Some(y), Some(tip)) = (ret_tip, drain_tip) {
        let straight = TIP_SHARE
            * jet_reach(configuration, placement)
            * (-(y - tip).abs() / jet_length_cm.max(0.1)).exp();
        for d in drain.iter_mut() {
            d.1 *= 1.0 - straight;
        }
        match drain.iter_mut().find(|d| d.0 == ret) {
            Some(d) => d.1 += straight,
            None => {
                if let Some(d) = drain.iter_mut().find(|d| d.1 == 0.0) {
                    *d = (ret, straight);
                }
            }
        }
    }
    Some(Sites {
        drain,
        ret,
        jet_reach: jet_reach(configuration, placement),
        drain_tip_cm: drain_tip,
        return_tip_cm: ret_tip,
        jet_length_cm,
    })
}

/// The return jet's exchanges for `returned_ml` of returned blood: (segment, next segment up
/// the axis, volume exchanged both ways), one per boundary of the caval axis. Zero for an
/// arterial return.
pub fn jet_exchanges(sites: &Sites, returned_ml: f64, weight_kg: f64) -> [(usize, usize, f64); 4] {
    let scale = (weight_kg / crate::circulation::REFERENCE_WEIGHT_KG).cbrt();
    let mut out = [(IVCI, IVCH, 0.0); 4];
    for (k, w) in CAVAL_AXIS.windows(2).enumerate() {
        let (a, _, boundary) = w[0];
        let b = w[1].0;
        let x = match sites.return_tip_cm {
            Some(y) if returned_ml > 0.0 => {
                let d = (boundary * scale - y).abs();
                JET_EXCHANGE
                    * sites.jet_reach
                    * returned_ml
                    * (-d / sites.jet_length_cm.max(0.1)).exp()
            }
            _ => 0.0,
        };
        out[k] = (a, b, x);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The sites of `configuration`'s typical placement in a 75 kg adult, 21 Fr return.
    fn typical(configuration: Configuration) -> Sites {
        resolve(
            configuration,
            &Placement::typical(configuration),
            75.0,
            21.0,
        )
        .unwrap()
    }

    #[test]
    fn typical_placements_resolve_to_the_old_sites() {
        let s = typical(Configuration::VvFemoroJugular);
        assert_eq!(s.ret, SVC);
        // Tip and holes in the infrarenal IVC.
        assert_eq!(s.main_drain(), IVCI);
        assert!((s.tip_distance_cm().unwrap() - 18.0).abs() < 1e-9);
        let total: f64 = s.drain.iter().map(|d| d.1).sum();
        assert!((total - 1.0).abs() < 1e-12);
        let f = typical(Configuration::VvFemoroFemoral);
        assert_eq!(f.ret, IVCJ);
        assert_eq!(f.main_drain(), IVCI);
    }

    #[test]
    fn shares_move_continuously_with_depth() {
        let mut last: Option<[(usize, f64); N_DRAIN]> = None;
        for mm in 300..=600 {
            let p = Placement {
                drainage_depth_cm: mm as f64 / 10.0,
                return_depth_cm: 13.0,
                return_jet_angle_deg: 0.0,
            };
            let s = resolve(Configuration::VvFemoroJugular, &p, 75.0, 21.0).unwrap();
            // Share drawn from each segment, summed over slots, changes by at most 1 mm/span.
            let per = |d: &[(usize, f64); N_DRAIN], i: usize| -> f64 {
                d.iter().filter(|x| x.0 == i).map(|x| x.1).sum()
            };
            if let Some(prev) = last {
                for i in [IVCI, IVCH, IVCJ, RA, SVC] {
                    let jump = (per(&s.drain, i) - per(&prev, i)).abs();
                    assert!(jump < 0.05, "depth {mm} mm: segment {i} jumps {jump}");
                }
            }
            last = Some(s.drain);
        }
    }

    #[test]
    fn the_jet_reaches_less_far_than_it_is_wide() {
        let p = Placement::typical(Configuration::VvFemoroJugular);
        let s = typical(Configuration::VvFemoroJugular);
        let x = jet_exchanges(&s, 100.0, 75.0);
        // The RA–SVC boundary is 0.5 cm from the tip, the IVCI–IVCH one 17 cm.
        assert!(x[3].2 > 10.0 * x[0].2);
        let arterial = resolve(Configuration::VaFemoral, &p, 75.0, 17.0).unwrap();
        assert!(
            jet_exchanges(&arterial, 100.0, 75.0)
                .iter()
                .all(|e| e.2 == 0.0)
        );
    }
}
