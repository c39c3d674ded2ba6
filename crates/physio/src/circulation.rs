//! The closed-loop circulation: compartments, the connections between them, and the fast
//! hemodynamic step.
//!
//! Every compartment holds a blood volume; pressure follows from volume (heart chambers through
//! [`crate::heart`], vessels through a linear compliance with an unstressed volume and a steep
//! collapse below it). Connections carry signed flows: resistive ones follow the pressure
//! difference at once, inertial ones (valves, aortic segments) integrate it, and valves shut
//! against backflow. Volumes change only by the flows, each subtracted from one compartment and
//! added to the other, so blood volume is conserved to rounding.
//!
//! Layout (the systemic side split so that cannula sites and the aortic watershed matter):
//!
//! ```text
//!            RSA (right arm)  RCA (right carotid)  LCA (left carotid)  LSA (left arm)
//!                  ↑     ↑                           ↑                   ↑
//!  LV → AR ───→ ARC1 ───────────────────────→ ARC2 ──────────→ ARC3 ──→ DTA1 → DTA2 → ABA → ILF
//!        └→ COR → RA                                                               ↓       ↓
//!  RSA, RCA, LCA, LSA → UBT → SVC → RA                            LBT (gut, kidneys, legs)
//!  LBT → IVCI → IVCH → IVCJ → RA → RV → PA → PCAP → PV → LA → LV   (and LBT → IVCH directly)
//! ```
//!
//! The aorta is resolved into eight segments along its axis ([`AORTA`]: root and ascending,
//! three arch segments each giving off its branch, two descending thoracic, abdominal,
//! iliac–femoral), joined by inertial connections, so blood from the heart and blood from a
//! return cannula meet where their momenta and the branches' run-off put them, and the meeting
//! point moves with every beat and with the ratio of the two flows. The venous side resolves the IVC into three
//! segments (infrarenal IVCI, hepatic IVCH, suprahepatic IVCJ) along the caval axis
//! ([`CAVAL_AXIS`]), so a cannula tip's position in centimetres decides where it draws and
//! where it returns. The circuit's segments (drainage line, pump
//! head, oxygenator, return line) are rigid compartments at the end of the array; the circuit
//! flow is one inertial flow ([`crate::circuit`]).
//!
//! Parameter sources, per value below: Ursino 1998 (Am J Physiol 275:H1733) compliances and
//! unstressed volumes \[S, via patient.md\]; Smith/Chase 2004 (Med Eng Phys 26:131) valve
//! resistances and inertances \[S\]; regional shares of cardiac output from Guyton & Hall, Textbook
//! of Medical Physiology, ch. 15 and 21 (brain 14 %, coronary 4–5 %, arms and upper trunk the rest
//! of the upper body) \[M\]. Where a value is a split of a published total (arterial and venous
//! compliances into segments), the split is ours and named "split" below.
use crate::heart::{self, Atrium, Beat, VentricleParams, Ventricles};

// Patient compartments.
pub const RA: usize = 0;
pub const RV: usize = 1;
pub const PA: usize = 2;
pub const PCAP: usize = 3;
pub const PV: usize = 4;
pub const LA: usize = 5;
pub const LV: usize = 6;
/// Aortic root and ascending aorta (coronary ostia; central return site).
pub const AR: usize = 7;
/// Proximal arch (brachiocephalic trunk).
pub const ARC1: usize = 8;
/// Mid arch (left common carotid).
pub const ARC2: usize = 9;
/// Distal arch and isthmus (left subclavian).
pub const ARC3: usize = 10;
/// Upper descending thoracic aorta.
pub const DTA1: usize = 11;
/// Lower descending thoracic aorta.
pub const DTA2: usize = 12;
/// Abdominal aorta with the visceral arteries.
pub const ABA: usize = 13;
/// Iliac and femoral arteries with the leg arteries (femoral return site).
pub const ILF: usize = 14;
/// Right subclavian, axillary and arm arteries (right radial line; axillary return site).
pub const RSA: usize = 15;
/// Right carotid and the cerebral arteries it feeds.
pub const RCA: usize = 16;
/// Left carotid and the cerebral arteries it feeds.
pub const LCA: usize = 17;
/// Left subclavian and arm arteries (left radial line).
pub const LSA: usize = 18;
pub const UBT: usize = 19;
pub const SVC: usize = 20;
pub const COR: usize = 21;
pub const LBT: usize = 22;
/// Infrarenal IVC up to the renal veins (the legs', pelvis's and kidneys' venous return).
pub const IVCI: usize = 23;
/// Hepatic IVC (the splanchnic venous return joins here through the hepatic veins).
pub const IVCH: usize = 24;
/// Suprahepatic IVC at the junction with the right atrium.
pub const IVCJ: usize = 25;
/// Number of patient compartments.
pub const NP: usize = 26;
// Circuit compartments.
pub const CDR: usize = 26;
pub const CPU: usize = 27;
pub const COX: usize = 28;
pub const CRT: usize = 29;
/// Number of compartments.
pub const N: usize = 30;

/// Short names, for diagnostics.
pub const NAMES: [&str; N] = [
    "RA",
    "RV",
    "PA",
    "PCAP",
    "PV",
    "LA",
    "LV",
    "aortic root",
    "arch 1",
    "arch 2",
    "arch 3",
    "desc 1",
    "desc 2",
    "abdominal",
    "iliac-femoral",
    "R subclavian",
    "R carotid",
    "L carotid",
    "L subclavian",
    "UBT",
    "SVC",
    "COR",
    "LBT",
    "IVCI",
    "IVCH",
    "IVCJ",
    "drain line",
    "pump",
    "oxygenator",
    "return line",
];

/// The aorta from the valve to the femoral arteries, in order, with the distance of each
/// segment's centre from the aortic valve, cm (adult; scaled by height ∝ weight^⅓ elsewhere
/// if needed). Lengths: ascending 5–6 cm, arch 5–8 cm, descending thoracic 20 cm, abdominal
/// 15 cm, common iliac and external iliac–femoral 15 cm (Gray's Anatomy; Hickson 2010,
/// JACC Cardiovasc Imaging 3:1247, aortic length by segment) \[M\].
pub const AORTA: [(usize, f64); 8] = [
    (AR, 3.0),
    (ARC1, 7.5),
    (ARC2, 10.0),
    (ARC3, 12.5),
    (DTA1, 19.0),
    (DTA2, 29.0),
    (ABA, 42.0),
    (ILF, 55.0),
];

/// The caval axis: each venous segment's extent, cm from the middle of the right atrium
/// (negative into the IVC, positive into the SVC), adult (scaled by height ∝ weight^⅓). IVC
/// from the iliac confluence to the renal veins ~18 cm, renal to hepatic veins ~10 cm, the
/// suprahepatic segment ~2.5 cm, the atrium ~4 cm, the SVC ~7 cm (Gray's Anatomy; the IVC's
/// 20–25 cm total, Kandpal 2008 \[M\]).
pub const CAVAL_AXIS: [(usize, f64, f64); 5] = [
    (IVCI, -32.0, -14.0),
    (IVCH, -14.0, -4.0),
    (IVCJ, -4.0, -1.5),
    (RA, -1.5, 2.5),
    (SVC, 2.5, 9.5),
];

// Connections.
pub const E_TV: usize = 0;
pub const E_PVV: usize = 1;
pub const E_MV: usize = 2;
pub const E_AV: usize = 3;
/// Aortic segments, root to femoral (inertial).
pub const E_AR_ARC1: usize = 4;
pub const E_ARC1_ARC2: usize = 5;
pub const E_ARC2_ARC3: usize = 6;
pub const E_ARC3_DTA1: usize = 7;
pub const E_DTA1_DTA2: usize = 8;
pub const E_DTA2_ABA: usize = 9;
pub const E_ABA_ILF: usize = 10;
pub const E_PA_PCAP: usize = 11;
pub const E_PCAP_PV: usize = 12;
pub const E_PV_LA: usize = 13;
/// Arch branches.
pub const E_ARC1_RSA: usize = 14;
pub const E_ARC1_RCA: usize = 15;
pub const E_ARC2_LCA: usize = 16;
pub const E_ARC3_LSA: usize = 17;
/// Upper-body beds (arterioles and capillaries).
pub const E_RSA_UBT: usize = 18;
pub const E_RCA_UBT: usize = 19;
pub const E_LCA_UBT: usize = 20;
pub const E_LSA_UBT: usize = 21;
pub const E_UBT_SVC: usize = 22;
pub const E_SVC_RA: usize = 23;
pub const E_AR_COR: usize = 24;
pub const E_COR_RA: usize = 25;
/// Lower-body beds: visceral (abdominal aorta) and legs (iliac–femoral).
pub const E_ABA_LBT: usize = 26;
pub const E_ILF_LBT: usize = 27;
pub const E_LBT_IVCI: usize = 28;
/// Hepatic veins.
pub const E_LBT_IVCH: usize = 29;
pub const E_IVCI_IVCH: usize = 30;
pub const E_IVCH_IVCJ: usize = 31;
pub const E_IVCJ_RA: usize = 32;
/// Patient veins → drainage line: a multi-stage cannula's holes may span up to four venous
/// segments, and its tip may draw straight from the return jet's segment (a fifth); each of
/// these connections carries its share of the circuit flow.
pub const E_DRAIN: usize = 33;
pub const N_DRAIN: usize = 5;
pub const E_C1: usize = 38;
pub const E_C2: usize = 39;
pub const E_C3: usize = 40;
/// Return line → patient.
pub const E_RET: usize = 41;
pub const NE: usize = 42;
/// The first circuit connection; all from here on carry the circuit flow.
pub const FIRST_CIRCUIT_EDGE: usize = E_DRAIN;
/// Inertial connections are `0..N_INERTIAL` (4 valves, 7 aortic segments).
const N_INERTIAL: usize = 11;
const N_VALVES: usize = 4;

const EDGES: [(usize, usize); NE] = [
    (RA, RV),
    (RV, PA),
    (LA, LV),
    (LV, AR),
    (AR, ARC1),
    (ARC1, ARC2),
    (ARC2, ARC3),
    (ARC3, DTA1),
    (DTA1, DTA2),
    (DTA2, ABA),
    (ABA, ILF),
    (PA, PCAP),
    (PCAP, PV),
    (PV, LA),
    (ARC1, RSA),
    (ARC1, RCA),
    (ARC2, LCA),
    (ARC3, LSA),
    (RSA, UBT),
    (RCA, UBT),
    (LCA, UBT),
    (LSA, UBT),
    (UBT, SVC),
    (SVC, RA),
    (AR, COR),
    (COR, RA),
    (ABA, LBT),
    (ILF, LBT),
    (LBT, IVCI),
    (LBT, IVCH),
    (IVCI, IVCH),
    (IVCH, IVCJ),
    (IVCJ, RA),
    // Circuit: endpoints at the patient are set per configuration.
    (IVCI, CDR),
    (IVCH, CDR),
    (IVCJ, CDR),
    (RA, CDR),
    (SVC, CDR),
    (CDR, CPU),
    (CPU, COX),
    (COX, CRT),
    (CRT, SVC),
];

/// The passive (non-chamber) patient compartments.
const PASSIVE: [usize; NP - 4] = [
    PA, PCAP, PV, AR, ARC1, ARC2, ARC3, DTA1, DTA2, ABA, ILF, RSA, RCA, LCA, LSA, UBT, SVC, COR,
    LBT, IVCI, IVCH, IVCJ,
];

/// Least volume the positivity limiter leaves in a compartment, mL.
const V_FLOOR_ML: f64 = 0.5;

/// Reference body weight for the vessel table, kg; volumes and compliances scale with weight.
/// Ursino 1998 describes a 70 kg adult with 5300 mL of blood; our table is set for 75 kg
/// (the healthy preset), so the factor is weight/75.
pub const REFERENCE_WEIGHT_KG: f64 = 75.0;

/// Passive vessel: compliance (mL/mmHg), unstressed volume (mL), pressure used to build the
/// initial state (mmHg, a normal adult mean).
#[derive(Clone, Copy, Debug)]
struct VesselSpec {
    c: f64,
    v0: f64,
    p_init: f64,
}

/// The vessel table for the reference patient. Chambers (RA, RV, LA, LV) have `c = 0` here.
const VESSELS: [VesselSpec; NP] = [
    // RA, RV: chambers (heart.rs); p_init is the mean used for the initial volume.
    VesselSpec {
        c: 0.0,
        v0: 0.0,
        p_init: 5.0,
    },
    VesselSpec {
        c: 0.0,
        v0: 0.0,
        p_init: 5.0,
    },
    // PA: Ursino 1998 Cpa 0.76; unstressed volume of main and lobar arteries, split, 50 mL.
    VesselSpec {
        c: 0.76,
        v0: 50.0,
        p_init: 15.0,
    },
    // PCAP: Ursino 1998 pulmonary peripheral Cpp 5.80, Vu 123.
    VesselSpec {
        c: 5.80,
        v0: 123.0,
        p_init: 11.0,
    },
    // PV: Ursino 1998 Cpv 25.37, Vu 120.
    VesselSpec {
        c: 25.37,
        v0: 120.0,
        p_init: 8.0,
    },
    // LA, LV: chambers.
    VesselSpec {
        c: 0.0,
        v0: 0.0,
        p_init: 8.0,
    },
    VesselSpec {
        c: 0.0,
        v0: 0.0,
        p_init: 8.0,
    },
    // Systemic arteries: total compliance 1.56 mL/mmHg, between Smith 2004's aorta (1/0.6913 =
    // 1.45) and Ursino 1998's large arteries, split by segment length and calibre (split);
    // unstressed volumes a split of Ursino's arterial 610 mL (sp 274 + ep 336) less the
    // peripheral beds. The arch segments are short (2–3 cm each), so they hold little.
    VesselSpec {
        c: 0.22,
        v0: 30.0,
        p_init: 95.0,
    }, // AR: root and ascending, ~6 cm
    VesselSpec {
        c: 0.07,
        v0: 12.0,
        p_init: 95.0,
    }, // ARC1: proximal arch
    VesselSpec {
        c: 0.05,
        v0: 8.0,
        p_init: 95.0,
    }, // ARC2: mid arch
    VesselSpec {
        c: 0.06,
        v0: 10.0,
        p_init: 94.0,
    }, // ARC3: distal arch and isthmus
    VesselSpec {
        c: 0.18,
        v0: 30.0,
        p_init: 94.0,
    }, // DTA1
    VesselSpec {
        c: 0.15,
        v0: 28.0,
        p_init: 93.0,
    }, // DTA2
    VesselSpec {
        c: 0.35,
        v0: 150.0,
        p_init: 93.0,
    }, // ABA with visceral arteries
    VesselSpec {
        c: 0.22,
        v0: 70.0,
        p_init: 92.0,
    }, // ILF with leg arteries
    VesselSpec {
        c: 0.07,
        v0: 30.0,
        p_init: 92.0,
    }, // RSA: right arm arteries
    VesselSpec {
        c: 0.06,
        v0: 25.0,
        p_init: 93.0,
    }, // RCA: right carotid and its cerebral arteries
    VesselSpec {
        c: 0.06,
        v0: 25.0,
        p_init: 93.0,
    }, // LCA
    VesselSpec {
        c: 0.07,
        v0: 30.0,
        p_init: 92.0,
    }, // LSA: left arm arteries
    // Systemic veins: total compliance 130 mL/mmHg, between Ursino 1998 (sv 61.11 + ev 50) and
    // Smith 2004 (vena cava 1/0.0059 = 170); unstressed total 2110 mL against Ursino's 2496 plus
    // thoracic veins. Split by region (upper body about a quarter).
    VesselSpec {
        c: 20.0,
        v0: 500.0,
        p_init: 14.0,
    }, // UBT
    VesselSpec {
        c: 5.0,
        v0: 60.0,
        p_init: 6.0,
    }, // SVC
    VesselSpec {
        c: 2.0,
        v0: 30.0,
        p_init: 12.0,
    }, // COR (myocardial blood volume)
    VesselSpec {
        c: 90.0,
        v0: 1400.0,
        p_init: 10.0,
    }, // LBT
    VesselSpec {
        c: 4.5,
        v0: 45.0,
        p_init: 7.5,
    }, // IVCI (the old single infrahepatic IVC's 8 mL/mmHg and 80 mL, split by length)
    VesselSpec {
        c: 3.5,
        v0: 35.0,
        p_init: 7.0,
    }, // IVCH
    VesselSpec {
        c: 5.0,
        v0: 40.0,
        p_init: 6.0,
    }, // IVCJ
];

/// Initial chamber volumes at the p_init above, mL (approximate diastolic means; the state
/// settles within seconds).
const CHAMBER_INIT_ML: [(usize, f64); 4] = [(RA, 45.0), (RV, 110.0), (LA, 45.0), (LV, 100.0)];

/// Shares of systemic flow: the arch's branches 21 % (brain 14 % with the face and neck,
/// arms and chest wall 6 %), coronary 4.5 %, the rest to the lower body (Guyton & Hall ch. 15
/// and 21 \[M\]).
pub const SHARE_UPPER: f64 = 2.0 * SHARE_CAROTID + 2.0 * SHARE_SUBCLAVIAN;
pub const SHARE_CORONARY: f64 = 0.045;
pub const SHARE_LOWER: f64 = 1.0 - SHARE_UPPER - SHARE_CORONARY;
/// The upper body's share split by arch branch. Each carotid (with its vertebral territory and
/// the face): half of a cerebral flow of ~700 mL/min (Zarrinkoob 2015, J Cereb Blood Flow
/// Metab 35:648: internal carotids 2 × ~250 mL/min, basilar ~150 mL/min) plus ~50 mL/min of
/// external carotid, 7.5 % of 5.3 L/min. Each subclavian beyond the vertebral: the resting
/// arm, 50–100 mL/min at the brachial artery (Thijssen 2011, Am J Physiol Heart 300:H2,
/// resting values in flow-mediated dilation studies), and the chest wall, 3 %.
///
/// An earlier version gave the arms and upper trunk 11 % of cardiac output (25 % upper body in
/// all); with it the native output needed to keep circuit blood out of the arch in femoral VA
/// was 30 % of total flow, more than the 25 % at which Nezami 2021's CFD found the arch fed by
/// the heart alone. The resting arm flows above are the better figure and we changed to them;
/// the validation case that revealed it is in `experiment::validation_aorta`.
pub const SHARE_CAROTID: f64 = 0.075;
pub const SHARE_SUBCLAVIAN: f64 = 0.03;
/// The lower body's share split between the visceral arteries of the abdominal aorta
/// (splanchnic 25 %, renal 20 %) and the legs and pelvis (Guyton & Hall ch. 15) \[M\].
pub const SHARE_VISCERAL: f64 = 0.45;
pub const SHARE_LEGS: f64 = SHARE_LOWER - SHARE_VISCERAL;
/// Of the visceral share, the kidneys' (Guyton & Hall ch. 26: ~20 % of cardiac output) \[M\].
pub const SHARE_RENAL: f64 = 0.20;

/// Pressure of a collapsing vessel below its collapse volume `v_c`: zero at `v_c`, with slope
/// `e` there (so the pressure–volume curve stays smooth), falling as (v_c/v)² toward the
/// suction a pump can pull (saturating at −500 mmHg). Models the tube law of a collapsible vein
/// (Shapiro 1977, J Biomech Eng 99:126: transmural pressure rising steeply negative as the
/// cross-section falls) in its simplest monotone form.
#[inline]
pub fn collapse_pressure(v: f64, v_c: f64, e: f64) -> f64 {
    let v = v.max(0.02 * v_c);
    let r = v_c / v;
    let raw = -0.5 * e * v_c * (r * r - 1.0);
    raw / (1.0 - raw / 500.0)
}

/// Resistances of the patient, mmHg·s/mL, from SVR and PVR.
fn resistances(svr: f64, pvr: f64) -> [f64; NE] {
    let mut r = [0.0; NE];
    // Valves: Smith/Chase 2004 [S].
    r[E_TV] = 0.0237;
    r[E_PVV] = 0.0055;
    r[E_MV] = 0.0158;
    r[E_AV] = 0.018;
    // Aortic segments: a mean pressure drop of ~2–3 mmHg from the arch to the femoral arteries
    // at rest [M], shared by segment length; enough with the wall damping below to keep the
    // short arch segments from ringing.
    r[E_AR_ARC1] = 0.006;
    r[E_ARC1_ARC2] = 0.006;
    r[E_ARC2_ARC3] = 0.006;
    r[E_ARC3_DTA1] = 0.008;
    r[E_DTA1_DTA2] = 0.012;
    r[E_DTA2_ABA] = 0.016;
    r[E_ABA_ILF] = 0.03;
    // Pulmonary: Ursino 1998 shares of PVR (pa 0.023, pp 0.0894, pv 0.0056 of 0.118).
    r[E_PA_PCAP] = 0.19 * pvr;
    r[E_PCAP_PV] = 0.76 * pvr;
    r[E_PV_LA] = 0.05 * pvr;
    // Upper body: each branch artery a mean drop of 2–4 mmHg from the arch to the radial or
    // the circle of Willis [M], arterioles and capillaries the rest of 88 % of the territory's
    // resistance, veins 11 %, SVC 1 %.
    let r_up = svr / SHARE_UPPER;
    let bed = |share: f64, artery: f64| 0.88 * svr / share - artery;
    r[E_ARC1_RSA] = 0.6;
    r[E_ARC1_RCA] = 0.4;
    r[E_ARC2_LCA] = 0.4;
    r[E_ARC3_LSA] = 0.6;
    r[E_RSA_UBT] = bed(SHARE_SUBCLAVIAN, 0.6);
    r[E_RCA_UBT] = bed(SHARE_CAROTID, 0.4);
    r[E_LCA_UBT] = bed(SHARE_CAROTID, 0.4);
    r[E_LSA_UBT] = bed(SHARE_SUBCLAVIAN, 0.6);
    r[E_UBT_SVC] = 0.11 * r_up;
    r[E_SVC_RA] = 0.01 * r_up;
    // Coronary: arterial 90 %, coronary sinus 10 %.
    let r_cor = svr / SHARE_CORONARY;
    r[E_AR_COR] = 0.9 * r_cor;
    r[E_COR_RA] = 0.1 * r_cor;
    // Lower body: arterioles 90 % (visceral and leg beds in parallel), veins 7 %, IVC 1.5 % +
    // 1.5 % (the aortic segments' own drop is small and ignored in the split).
    let r_lo = svr / SHARE_LOWER;
    r[E_ABA_LBT] = 0.90 * svr / SHARE_VISCERAL;
    r[E_ILF_LBT] = 0.90 * svr / SHARE_LEGS;
    // The lower body's venous return splits between the IVC up to and including the renal
    // veins (legs, pelvis and kidneys: 66 %) and the hepatic veins (the gut's 25 % of cardiac
    // output through the liver: 34 %); both paths from the tissues to the hepatic IVC drop the
    // same pressure, so the split holds.
    let legs = (SHARE_LEGS + SHARE_RENAL) / SHARE_LOWER;
    r[E_LBT_IVCI] = 0.07 * r_lo / legs;
    r[E_IVCI_IVCH] = 0.015 * r_lo / legs;
    r[E_LBT_IVCH] = 0.085 * r_lo / (1.0 - legs);
    r[E_IVCH_IVCJ] = 0.0075 * r_lo;
    r[E_IVCJ_RA] = 0.0075 * r_lo;
    r
}

/// Inertances, mmHg·s²/mL: ρ·l/A per segment (ρ = 1.06 g/cm³, 1 mmHg = 1333 dyn/cm²), from
/// the segment lengths of [`AORTA`] and radii narrowing from 1.5 cm at the root to 0.6 cm in
/// each iliac (Hickson 2010 \[M\]).
fn inertances() -> [f64; NE] {
    let mut l = [0.0; NE];
    // Smith/Chase 2004 [S].
    l[E_TV] = 8.0e-5;
    l[E_PVV] = 1.49e-4;
    l[E_MV] = 7.7e-5;
    l[E_AV] = 1.22e-4;
    // Between segment centres: 4.5 cm at r 1.4; 2.5 cm at r 1.25; 2.5 cm at r 1.15; 6.5 cm at
    // r 1.1; 10 cm at r 1.05; 13 cm at r 0.95; 13 cm in two iliacs of r 0.6.
    l[E_AR_ARC1] = 5.8e-4;
    l[E_ARC1_ARC2] = 4.0e-4;
    l[E_ARC2_ARC3] = 4.8e-4;
    l[E_ARC3_DTA1] = 1.35e-3;
    l[E_DTA1_DTA2] = 2.3e-3;
    l[E_DTA2_ABA] = 3.6e-3;
    l[E_ABA_ILF] = 4.6e-3;
    l
}

/// [`resistances`] for a body `s` times the reference weight. The fixed resistances (valves,
/// aortic segments, branch arteries) scale as the normal SVR of that weight does
/// ([`crate::sizes::resistance_scale`]: M^−¾ from the adult up, pressure size-invariant and
/// flow ∝ M^¾, West 1997; below, the age norms' pressure over flow), so they keep their share
/// of the pressure drop, every RC time constant keeps its proportion to the heartbeat, and a
/// small patient's stiff compartments stay stable under the explicit step. Exactly
/// [`resistances`] at the reference weight.
fn scaled_resistances(svr: f64, pvr: f64, s: f64) -> [f64; NE] {
    let k = s.powf(0.75);
    let mut r = resistances(svr * k, pvr * k).map(|x| x / k);
    // The valves pass the whole output: they scale as the normal SVR of the weight does.
    let kv = crate::sizes::resistance_scale(s * REFERENCE_WEIGHT_KG);
    for e in [E_TV, E_PVV, E_MV, E_AV] {
        r[e] *= k / kv;
    }
    r
}

/// Patient-side parameters the fast step needs.
#[derive(Clone, Debug)]
pub struct Circulation {
    /// Volumes, mL.
    pub v: [f64; N],
    /// Pressures, mmHg (valid after [`Circulation::pressures`]).
    pub p: [f64; N],
    /// Flows, mL/s, positive from `from` to `to`.
    pub q: [f64; NE],
    /// Volume moved along each connection since the last gas step, mL.
    pub acc: [f64; NE],
    pub from: [u8; NE],
    pub to: [u8; NE],
    r: [f64; NE],
    l: [f64; NE],
    /// Elastance (1/compliance) and unstressed volume of the passive vessels.
    e: [f64; NP],
    v0: [f64; NP],
    /// Unstressed volumes of the systemic venous reservoirs (upper, lower body) as built,
    /// before any reflex shift, mL.
    venous_v0: [f64; 2],
    /// Collapsible veins: pressure outside the vessel below which a downstream fall in pressure
    /// no longer draws more flow (vascular waterfall). `-inf` for non-collapsible compartments.
    ext: [f64; N],
    pub ra: Atrium,
    pub la: Atrium,
    /// Both ventricles, their septum and the pericardium.
    pub ventricles: Ventricles,
    /// Volume below which a chamber collapses, mL (scaled to the patient).
    chamber_collapse_ml: f64,
    pub beat: Beat,
    /// Share of the circuit flow each drainage connection carries now, and as placed (the
    /// holes' shares before collapsing segments close theirs).
    drain_share: [f64; N_DRAIN],
    drain_placed: [f64; N_DRAIN],
    /// Activation (atrial, ventricular) at the current step.
    pub act: (f64, f64),
    /// Rise of the mean pleural (intrathoracic) pressure above its value at FRC with
    /// spontaneous breathing, mmHg ([`crate::ventilator::Breath::mean_pleural_mmhg`] less
    /// [`crate::ventilator::PLEURAL_FRC_CMH2O`]). It adds to the pressure of every
    /// compartment in the chest ([`THORACIC`]): the thoracic veins and the right atrium rise
    /// against the extrathoracic veins, so venous return falls with PEEP. 0 unless ventilated.
    pub pleural_mmhg: f64,
    /// Body weight / [`REFERENCE_WEIGHT_KG`].
    size: f64,
    /// Rise of the intrathoracic pressure a chest compression causes now, mmHg: acts on every
    /// compartment in the chest ([`THORACIC`]) as the pleural rise does (the thoracic pump,
    /// [`crate::cpr`]). 0 without compressions.
    pub p_chest_mmhg: f64,
    /// Pressure a chest compression puts on the two ventricles now above the intrathoracic
    /// rise, mmHg (the heart squeezed between sternum and spine: the cardiac pump,
    /// [`crate::cpr`]). 0 without compressions.
    pub p_heart_mmhg: f64,
}

/// Compartments inside the chest, which sit in pleural pressure: the heart and coronary bed,
/// the pulmonary circulation, the thoracic aorta, the SVC and the IVC at its junction.
pub const THORACIC: [usize; 16] = [
    RA, RV, PA, PCAP, PV, LA, LV, AR, ARC1, ARC2, ARC3, DTA1, DTA2, SVC, COR, IVCJ,
];

impl Circulation {
    /// A circulation for the given patient, volumes filled to `blood_volume_ml` by adding the
    /// difference from the reference state to the compartments in proportion to their
    /// compliance (a uniform pressure shift).
    pub fn new(
        heart: &VentricleParams,
        blood_volume_ml: f64,
        svr: f64,
        pvr: f64,
        heart_rate_bpm: f64,
    ) -> Self {
        let weight_kg = heart.weight_kg;
        let s = weight_kg / REFERENCE_WEIGHT_KG;
        // Vessel volumes and compliances scale with the normal blood volume of the weight
        // (crate::sizes::vessel_scale): a neonate's 82 mL/kg fill its vessels to the adult's
        // pressures. Exactly `s` from the adult weight up.
        let sv = crate::sizes::vessel_scale(weight_kg);
        // The systemic arteries' compliance scales as the stroke volume they take does (the
        // heart chambers', heart::chamber_scale), so that the pulse pressure, like the mean, is
        // size-invariant (West 1997) [assumption]; this also keeps the small arch segments'
        // oscillation within what the 2 ms step resolves at 2 kg. Exactly `sv` from 75 kg up.
        let sa = if s < 1.0 {
            sv * heart::chamber_scale(weight_kg) / s.max(1e-9)
        } else {
            sv
        };
        let mut e = [0.0; NP];
        let mut v0 = [0.0; NP];
        let mut v = [0.0; N];
        let mut total = 0.0;
        let mut c_total = 0.0;
        for i in 0..NP {
            let spec = VESSELS[i];
            if spec.c > 0.0 {
                let sc = if (AR..=LSA).contains(&i) { sa } else { sv };
                e[i] = 1.0 / (spec.c * sc);
                v0[i] = spec.v0 * sv;
                v[i] = v0[i] + spec.c * sc * spec.p_init;
                c_total += spec.c * sc;
            }
        }
        let s_heart = heart::chamber_scale(weight_kg);
        for &(i, vol) in CHAMBER_INIT_ML.iter() {
            v[i] = vol * s_heart;
        }
        // A dilated LV holds more at the same pressure.
        v[LV] += heart.lv_dilation_ml.max(0.0);
        for x in v.iter().take(NP) {
            total += x;
        }
        // Distribute the difference as a uniform pressure shift over the passive vessels, not
        // letting any fall below its unstressed volume's half (extreme hypovolaemia collapses
        // veins; the dynamics then sort it out).
        let dp = (blood_volume_ml - total) / c_total;
        let mut placed = 0.0;
        for i in 0..NP {
            if VESSELS[i].c > 0.0 {
                let sc = if (AR..=LSA).contains(&i) { sa } else { sv };
                let nv = (v[i] + VESSELS[i].c * sc * dp).max(0.5 * v0[i].max(1.0));
                placed += nv - v[i];
                v[i] = nv;
            }
        }
        // Whatever the floor kept back is taken from all compartments in proportion, so the
        // total is exact and every volume stays positive however small the blood volume.
        let placed_total = total + placed;
        for x in v.iter_mut().take(NP) {
            *x *= blood_volume_ml / placed_total;
        }
        let mut ext = [f64::NEG_INFINITY; N];
        for i in [RA, SVC, IVCI, IVCH, IVCJ] {
            ext[i] = 0.0;
        }
        let mut from = [0u8; NE];
        let mut to = [0u8; NE];
        for (k, &(a, b)) in EDGES.iter().enumerate() {
            from[k] = a as u8;
            to[k] = b as u8;
        }
        let beat = Beat::new(heart_rate_bpm);
        Circulation {
            v,
            p: [0.0; N],
            q: [0.0; NE],
            acc: [0.0; NE],
            from,
            to,
            r: scaled_resistances(svr, pvr, s),
            // Inertance ρ·l/A of a vessel with length ∝ M^¼ and radius ∝ M^⅜ (West 1997):
            // ∝ M^−½. Exactly the table at the reference weight.
            l: inertances().map(|x| x * s.powf(-0.5)),
            size: s,
            e,
            venous_v0: [v0[UBT], v0[LBT]],
            v0,
            ext,
            ra: heart::right_atrium(weight_kg),
            la: heart::left_atrium(weight_kg),
            ventricles: Ventricles::new(heart),
            chamber_collapse_ml: heart::CHAMBER_COLLAPSE_ML * s_heart,
            act: beat.activation(),
            pleural_mmhg: 0.0,
            beat,
            p_chest_mmhg: 0.0,
            p_heart_mmhg: 0.0,
            drain_share: [1.0, 0.0, 0.0, 0.0, 0.0],
            drain_placed: [1.0, 0.0, 0.0, 0.0, 0.0],
        }
    }

    /// Change resistances after an SVR or PVR change, keeping the regional split.
    pub fn set_resistances(&mut self, svr: f64, pvr: f64) {
        let r = scaled_resistances(svr, pvr, self.size);
        self.r[..FIRST_CIRCUIT_EDGE].copy_from_slice(&r[..FIRST_CIRCUIT_EDGE]);
    }

    /// Shift the unstressed volume of the systemic venous reservoirs (upper and lower body) by
    /// `dv_ml` from its value as built, shared by their sizes (the baroreflex's venoconstriction:
    /// negative moves blood from unstressed to stressed volume). Volumes do not change; the
    /// pressures follow at the next step. Each keeps at least a tenth of its built value.
    pub fn shift_venous_unstressed(&mut self, dv_ml: f64) {
        let total = self.venous_v0[0] + self.venous_v0[1];
        for (k, i) in [UBT, LBT].into_iter().enumerate() {
            let base = self.venous_v0[k];
            self.v0[i] = (base + dv_ml * base / total).max(0.1 * base);
        }
    }

    /// Elastance of a passive vessel at its normal operating point (chambers: end-diastolic).
    pub fn elastance(&self, i: usize) -> f64 {
        if i < NP { self.e[i] } else { 0.0 }
    }

    /// Unstressed volume of a passive vessel, mL.
    pub fn unstressed(&self, i: usize) -> f64 {
        if i < NP { self.v0[i] } else { 0.0 }
    }

    /// Put the circuit's patient ends: the drainage draws from up to [`N_DRAIN`] compartments
    /// with the given shares (summing to 1; unused slots have share 0), the return enters `ret`.
    pub fn set_cannula_sites(&mut self, drain: &[(usize, f64); N_DRAIN], ret: usize) {
        for (k, &(site, share)) in drain.iter().enumerate() {
            self.from[E_DRAIN + k] = site as u8;
            self.drain_share[k] = share;
            self.drain_placed[k] = share;
        }
        self.to[E_RET] = ret as u8;
    }

    /// Set the circuit flow `q` (mL/s) on every circuit connection, the drainage connections
    /// each with its share.
    #[inline]
    pub fn set_circuit_flow(&mut self, q: f64) {
        for k in 0..N_DRAIN {
            self.q[E_DRAIN + k] = q * self.drain_share[k];
        }
        for k in E_DRAIN + N_DRAIN..NE {
            self.q[k] = q;
        }
    }

    /// Update the drainage's shares for this step and return (pressure at the holes, fill of
    /// the drained veins, the most the drainage may take before a segment empties, mL).
    ///
    /// A segment whose volume falls toward collapse closes its holes: its share falls as the
    /// square of its fill (the lumen's area goes as the volume, the inflow to the holes as the
    /// area squared at fixed pressure, Poiseuille), and the others take the rest.
    pub fn drainage_ends(&mut self) -> (f64, f64, f64) {
        let mut w = [0.0f64; N_DRAIN];
        let mut fills = [0.0f64; N_DRAIN];
        let mut total = 0.0;
        for k in 0..N_DRAIN {
            let s = self.drain_placed[k];
            if s <= 0.0 {
                continue;
            }
            let i = self.from[E_DRAIN + k] as usize;
            let vc = self.collapse_volume(i);
            let fill = self.v[i] / vc;
            let open = fill.clamp(0.02, 1.0);
            w[k] = s * open * open;
            fills[k] = fill;
            total += w[k];
        }
        if total <= 0.0 {
            w = self.drain_placed;
            total = w.iter().sum::<f64>().max(1e-12);
        }
        let (mut p, mut fill, mut avail) = (0.0, 0.0, f64::INFINITY);
        for k in 0..N_DRAIN {
            w[k] /= total;
            if w[k] <= 0.0 {
                continue;
            }
            let i = self.from[E_DRAIN + k] as usize;
            p += w[k] * self.p[i];
            // The cannula's holes as placed: a segment collapsing on its holes narrows the
            // cannula's inlet however the others share the flow.
            fill += self.drain_placed[k] * fills[k];
            let vc = self.collapse_volume(i);
            avail = avail.min((self.v[i] - 0.02 * vc).max(0.0) / w[k]);
        }
        self.drain_share = w;
        (p, fill, avail)
    }

    /// Volume below which compartment `i` collapses, mL: a vein's unstressed volume, a
    /// chamber's collapse volume.
    fn collapse_volume(&self, i: usize) -> f64 {
        if i < NP && self.v0[i] > 0.0 {
            self.v0[i]
        } else {
            2.0 * self.chamber_collapse_ml
        }
    }

    /// The drainage's sites and shares.
    pub fn drainage(&self) -> [(usize, f64); N_DRAIN] {
        core::array::from_fn(|k| (self.from[E_DRAIN + k] as usize, self.drain_share[k]))
    }

    /// Pressures of the patient compartments from their volumes and the heart's activation.
    #[inline]
    pub fn pressures(&mut self) {
        let (ea, ev) = self.act;
        let vc = self.chamber_collapse_ml;
        self.p[RA] = self.ra.pressure(self.v[RA], ea, vc);
        self.p[LA] = self.la.pressure(self.v[LA], ea, vc);
        let (plv, prv) = self.ventricles.pressures(self.v[LV], self.v[RV], ev);
        self.p[LV] = plv + self.p_heart_mmhg;
        self.p[RV] = prv + self.p_heart_mmhg;
        for i in [LV, RV] {
            if self.v[i] < vc {
                self.p[i] += collapse_pressure(self.v[i], vc, 0.05);
            }
        }
        for i in PASSIVE {
            let dv = self.v[i] - self.v0[i];
            self.p[i] = if dv >= 0.0 {
                self.e[i] * dv
            } else {
                collapse_pressure(self.v[i], self.v0[i], self.e[i])
            };
        }
        let p_chest = self.pleural_mmhg + self.p_chest_mmhg;
        if p_chest != 0.0 {
            for i in THORACIC {
                self.p[i] += p_chest;
            }
        }
    }

    /// Flows of the patient's connections for a step of `dt` (the circuit's are set by the
    /// circuit model).
    #[inline]
    pub fn flows(&mut self, dt: f64) {
        for k in 0..N_INERTIAL {
            let a = self.from[k] as usize;
            let b = self.to[k] as usize;
            let dp = self.p[a] - self.p[b];
            let l = self.l[k];
            // Semi-implicit in the resistance: unconditionally damped.
            let mut qn = (self.q[k] + dt / l * dp) / (1.0 + dt * self.r[k] / l);
            if k < N_VALVES && qn < 0.0 {
                qn = 0.0;
            }
            self.q[k] = qn;
        }
        for k in N_INERTIAL..FIRST_CIRCUIT_EDGE {
            let a = self.from[k] as usize;
            let b = self.to[k] as usize;
            let pa = self.p[a].max(self.ext[a]);
            let pb = self.p[b].max(self.ext[b]);
            self.q[k] = (pa - pb) / self.r[k];
        }
        // The valves of the internal jugular and subclavian veins at the thoracic inlet: a
        // chest compression's rise of intrathoracic pressure does not drive blood back up
        // into the head and arms; the jugular bulb stays 19 mmHg below the right atrium during
        // compressions in human CPR (Paradis et al. 1989, Circulation 80:361). The IVC has no
        // such valve and refluxes (Niemann et al. 1984, Am J Cardiol 53, no. 2). Modelled only
        // while a compression presses on the chest: a jugular return cannula crosses the
        // valve, and outside CPR the connection keeps its calibrated two-way behaviour (a VV
        // return jet into the SVC does reverse it).
        if self.p_chest_mmhg > 0.0 && self.q[E_UBT_SVC] < 0.0 {
            self.q[E_UBT_SVC] = 0.0;
        }
        // A collapsing great vein narrows along its length: blood passing through it toward or
        // from the right atrium meets a lumen whose resistance rises as (V0/V)² (Poiseuille at
        // fixed length, area ∝ volume). Tissue veins keep draining into it: their blood reaches a
        // cannula's side holes without passing the narrowed length.
        for (k, a, b) in [
            (E_IVCI_IVCH, IVCI, IVCH),
            (E_IVCH_IVCJ, IVCH, IVCJ),
            (E_IVCJ_RA, IVCJ, IVCJ),
            (E_SVC_RA, SVC, SVC),
        ] {
            let f = self.narrowing(a).max(self.narrowing(b));
            if f > 1.0 {
                self.q[k] /= f;
            }
        }
    }

    /// Resistance factor of a collapsing great vein, 1 when full.
    #[inline]
    fn narrowing(&self, i: usize) -> f64 {
        let v = self.v[i];
        if v < self.v0[i] {
            let r = self.v0[i] / v.max(0.01 * self.v0[i]);
            r * r
        } else {
            1.0
        }
    }

    /// Move volumes along every connection (circuit included) for `dt`.
    ///
    /// A positivity limiter first scales down the patient-side outflows of any compartment
    /// that would give away more than it holds in one step (an empty chamber behind an
    /// inertial valve, extreme hypovolaemia). It never acts in a circulation within physiology;
    /// it keeps the extremes finite. The circuit's flow is limited by the circuit model itself.
    #[inline]
    pub fn integrate(&mut self, dt: f64, with_circuit: bool) {
        let ne = if with_circuit { NE } else { FIRST_CIRCUIT_EDGE };
        let mut out = [0.0f64; N];
        for k in 0..ne {
            let q = self.q[k];
            if q > 0.0 {
                out[self.from[k] as usize] += q * dt;
            } else {
                out[self.to[k] as usize] -= q * dt;
            }
        }
        if out
            .iter()
            .zip(self.v.iter())
            .take(NP)
            .any(|(o, v)| *o > v - V_FLOOR_ML)
        {
            self.limit_outflows(dt, ne);
        }
        for k in 0..ne {
            let dv = self.q[k] * dt;
            self.v[self.from[k] as usize] -= dv;
            self.v[self.to[k] as usize] += dv;
            self.acc[k] += dv;
        }
    }

    /// Volume of the passive vessels above their unstressed volumes, mL (the heart chambers,
    /// whose "unstressed" volume changes through the beat, are left out).
    pub fn stressed_volume(&self) -> f64 {
        let mut s = 0.0;
        for i in 0..NP {
            if self.e[i] > 0.0 {
                s += (self.v[i] - self.v0[i]).max(0.0);
            }
        }
        s
    }

    /// See [`Circulation::integrate`].
    #[cold]
    fn limit_outflows(&mut self, dt: f64, ne: usize) {
        let mut patient_out = [0.0f64; N];
        let mut circuit_out = [0.0f64; N];
        for k in 0..ne {
            let q = self.q[k];
            let d = if q > 0.0 { self.from[k] } else { self.to[k] } as usize;
            if k < FIRST_CIRCUIT_EDGE {
                patient_out[d] += q.abs() * dt;
            } else {
                circuit_out[d] += q.abs() * dt;
            }
        }
        let mut scale = [1.0f64; N];
        for i in 0..NP {
            if patient_out[i] > 0.0 {
                let avail = (self.v[i] - V_FLOOR_ML - circuit_out[i]).max(0.0);
                scale[i] = (avail / patient_out[i]).min(1.0);
            }
        }
        for k in 0..FIRST_CIRCUIT_EDGE {
            let q = self.q[k];
            let d = if q > 0.0 { self.from[k] } else { self.to[k] } as usize;
            self.q[k] = q * scale[d];
        }
    }

    /// Total volume of the patient's compartments, mL.
    pub fn patient_volume(&self) -> f64 {
        self.v[..NP].iter().sum()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn healthy() -> Circulation {
        let heart = VentricleParams::normal(75.0, 2.95, 1.75);
        Circulation::new(&heart, 5300.0, 0.9, 0.09, 75.0)
    }

    fn run(c: &mut Circulation, seconds: f64) -> (f64, f64, f64, f64) {
        let dt = 0.002;
        let n = (seconds / dt) as usize;
        let (mut map, mut cvp, mut lap, mut co) = (0.0, 0.0, 0.0, 0.0);
        let tail = n / 4;
        for i in 0..n {
            c.pressures();
            c.flows(dt);
            c.integrate(dt, false);
            c.beat.advance(dt, 75.0);
            c.act = c.beat.activation();
            if i >= n - tail {
                map += c.p[RSA];
                cvp += c.p[RA];
                lap += c.p[LA];
                co += c.q[E_AV];
            }
        }
        let t = tail as f64;
        (map / t, cvp / t, lap / t, co / t * 0.06)
    }

    #[test]
    fn pleural_pressure_lowers_venous_return() {
        let mut c0 = healthy();
        let (_, cvp0, _, co0) = run(&mut c0, 20.0);
        let mut c1 = healthy();
        // About PEEP 14 cmH2O with lung and chest wall equally compliant (half passed on).
        c1.pleural_mmhg = 5.0;
        let v = c1.patient_volume();
        let (_, cvp1, _, co1) = run(&mut c1, 20.0);
        eprintln!("CO {co0:.2} -> {co1:.2} L/min, CVP {cvp0:.1} -> {cvp1:.1} mmHg");
        assert!(co1 < co0, "CO {co0} -> {co1}");
        assert!(cvp1 > cvp0, "CVP {cvp0} -> {cvp1}");
        assert!((c1.patient_volume() - v).abs() < 1e-8);
        // At equal volumes the pleural pressure shifts every compartment in the chest by
        // itself and none outside it.
        let (mut a, mut b) = (healthy(), healthy());
        b.pleural_mmhg = 5.0;
        a.pressures();
        b.pressures();
        for i in 0..N {
            let shift = b.p[i] - a.p[i];
            let want = if THORACIC.contains(&i) { 5.0 } else { 0.0 };
            assert!((shift - want).abs() < 1e-9, "compartment {i}: {shift}");
        }
    }

    #[test]
    fn volume_is_conserved() {
        let mut c = healthy();
        let v0 = c.patient_volume();
        assert!((v0 - 5300.0).abs() < 1e-9);
        run(&mut c, 20.0);
        assert!((c.patient_volume() - v0).abs() < 1e-8);
    }

    #[test]
    fn collapse_is_smooth_and_steep() {
        let p1 = collapse_pressure(99.999, 100.0, 0.1);
        assert!(p1 <= 0.0 && p1 > -0.01);
        assert!(collapse_pressure(25.0, 100.0, 0.1) < -50.0);
        assert!(collapse_pressure(0.0, 100.0, 0.1) > -500.0);
    }

    #[test]
    fn healthy_hemodynamics_are_normal() {
        let mut c = healthy();
        let (map, cvp, lap, co) = run(&mut c, 30.0);
        assert!((70.0..=100.0).contains(&map), "MAP {map}");
        assert!((2.0..=8.0).contains(&cvp), "CVP {cvp}");
        assert!((6.0..=12.0).contains(&lap), "LAP {lap}");
        assert!((5.0..=6.0).contains(&co), "CO {co}");
    }
}
