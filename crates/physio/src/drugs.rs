//! Drugs: pharmacokinetics and pharmacodynamics of the vasoactive, sedative, analgesic,
//! paralysing and anticoagulant drugs given on ECMO.
//!
//! # Pharmacokinetics
//!
//! Every drug is a two-compartment model with an effect site (one-compartment when its
//! peripheral volume is 0): a central volume `V1` (mL/kg), an elimination clearance `CL`
//! (mL/kg/min), an intercompartmental clearance `Q2` and peripheral volume `V2`, and an
//! effect-site rate constant `ke0` (/min) for the drugs whose effect lags the plasma (propofol,
//! fentanyl, rocuronium). The catecholamines, vasopressin and milrinone act in the plasma
//! (`ke0` large: their onset is set by their half-lives of minutes). Infusions replace the
//! previous rate; boluses enter the central volume at once. Each step is solved exactly for a
//! constant rate over the step (a linear system: exponentials of the two eigenvalues), so the
//! model is stable at any step.
//!
//! Figures are per kg of body weight (the twin's patient weight), with the sources beside each
//! constant in [`DRUGS`]. `[M]` marks a figure quoted from memory of the paper, to be checked
//! against it.
//!
//! # Pharmacodynamics
//!
//! Each effect is a sigmoid Emax (Hill) function of the effect-site concentration,
//! `E = Emax · Cⁿ / (EC50ⁿ + Cⁿ)`, and effects of several drugs on one knob multiply (factors)
//! or add (volume shift, ACT). The knobs are the twin's: systemic vascular resistance,
//! contractility (end-systolic elastance) of both ventricles, heart rate, venous unstressed
//! volume, the baroreflex gain, O2 consumption, and the ACT. For the catecholamines and
//! vasopressin, published concentration–effect data are sparse and scattered (plasma levels
//! vary several-fold between patients at one dose); their EC50s are therefore placed from
//! published *dose*–response at steady state, `EC50 = rate / CL`: the comments say which dose
//! and response, and these are calibration, not independent, figures.
//!
//! Pure and deterministic; nothing happens (not a bit changes anywhere in the twin) until a
//! drug is given.

/// The drugs, in the order of [`DRUGS`] and of [`Drugs::plasma`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Drug {
    Norepinephrine,
    Epinephrine,
    Vasopressin,
    Dobutamine,
    Milrinone,
    Propofol,
    Fentanyl,
    Rocuronium,
    Bivalirudin,
}

/// Number of drugs.
pub const N_DRUGS: usize = 9;

impl Drug {
    pub const ALL: [Drug; N_DRUGS] = [
        Drug::Norepinephrine,
        Drug::Epinephrine,
        Drug::Vasopressin,
        Drug::Dobutamine,
        Drug::Milrinone,
        Drug::Propofol,
        Drug::Fentanyl,
        Drug::Rocuronium,
        Drug::Bivalirudin,
    ];

    pub fn spec(self) -> &'static DrugSpec {
        &DRUGS[self as usize]
    }
}

/// How an infusion rate is written, and what it means in amount per minute.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum RateUnit {
    /// µg/kg/min (amount in µg).
    UgKgMin,
    /// µg/kg/h (amount in µg).
    UgKgH,
    /// mg/kg/h (amount in mg).
    MgKgH,
    /// U/min, not by weight (amount in U).
    UMin,
}

/// Reported concentrations are in thousandths of the amount unit per mL: ng/mL for the µg-dosed
/// drugs, µg/mL for the mg-dosed ones, mU/mL for vasopressin.
pub const CONC_PER_AMOUNT_PER_ML: f64 = 1000.0;

impl RateUnit {
    /// Unit of the amount (what a bolus is given in): `ug`, `mg` or `U`.
    pub const fn amount_unit(self) -> &'static str {
        match self {
            RateUnit::UgKgMin | RateUnit::UgKgH => "ug",
            RateUnit::MgKgH => "mg",
            RateUnit::UMin => "U",
        }
    }

    /// Unit of the reported concentration ([`CONC_PER_AMOUNT_PER_ML`]).
    pub const fn conc_unit(self) -> &'static str {
        match self {
            RateUnit::UgKgMin | RateUnit::UgKgH => "ng/mL",
            RateUnit::MgKgH => "ug/mL",
            RateUnit::UMin => "mU/mL",
        }
    }

    /// Amount per minute of a rate `r` in this unit, for a patient of `weight_kg`.
    pub fn per_min(self, r: f64, weight_kg: f64) -> f64 {
        match self {
            RateUnit::UgKgMin => r * weight_kg,
            RateUnit::UgKgH | RateUnit::MgKgH => r * weight_kg / 60.0,
            RateUnit::UMin => r,
        }
    }
}

/// One pharmacodynamic effect: `emax · Cⁿ / (ec50ⁿ + Cⁿ)` on a knob.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Effect {
    pub knob: Knob,
    /// Maximal effect: a relative change for factors (0.5 = +50 %), mL/kg for the venous
    /// unstressed volume, seconds of ACT per unit concentration for [`Knob::Act`] (linear).
    pub emax: f64,
    /// Concentration at half the maximal effect, in the drug's concentration unit.
    pub ec50: f64,
    /// Hill coefficient.
    pub hill: f64,
}

/// What a drug acts on.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Knob {
    /// Systemic vascular resistance (factor).
    Svr,
    /// End-systolic elastance of both ventricles (factor).
    Contractility,
    /// Heart rate (factor).
    HeartRate,
    /// Venous unstressed volume, mL/kg (added; negative: venoconstriction recruits volume).
    Unstressed,
    /// Baroreflex gain (factor; negative emax blunts it).
    Baroreflex,
    /// O2 consumption (factor).
    Vo2,
    /// Neuromuscular block, fraction of twitch height lost (0..1).
    Block,
    /// ACT, seconds added per unit concentration (linear, `ec50` unused).
    Act,
    /// The respiratory centre's output: resting ventilation and chemoreflex together (factor;
    /// acts only on a patient whose breathing is driven, `chemoreflex_gain` above 0).
    RespiratoryDrive,
}

/// A drug's pharmacokinetics and pharmacodynamics.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct DrugSpec {
    pub drug: Drug,
    /// Name in files, signals and the docs.
    pub name: &'static str,
    /// The infusion rate's unit; it sets the amount's and the concentration's
    /// ([`RateUnit::amount_unit`], [`RateUnit::conc_unit`]).
    pub rate_unit: RateUnit,
    /// Central volume, mL/kg.
    pub v1_ml_kg: f64,
    /// Elimination clearance, mL/kg/min.
    pub cl_ml_kg_min: f64,
    /// Intercompartmental clearance, mL/kg/min (0: one compartment).
    pub q2_ml_kg_min: f64,
    /// Peripheral volume, mL/kg.
    pub v2_ml_kg: f64,
    /// Effect-site equilibration rate constant, /min (0: the effect follows the plasma).
    pub ke0_per_min: f64,
    pub effects: &'static [Effect],
}

const fn fx(knob: Knob, emax: f64, ec50: f64, hill: f64) -> Effect {
    Effect {
        knob,
        emax,
        ec50,
        hill,
    }
}

/// The drug table. Concentrations in thousandths of the amount unit per mL
/// ([`CONC_PER_AMOUNT_PER_ML`]): ng/mL for the µg-dosed drugs, µg/mL for the mg-dosed ones,
/// mU/mL for vasopressin.
pub const DRUGS: [DrugSpec; N_DRUGS] = [
    // Norepinephrine. PK: plasma clearance about 2 L/min in adults (Esler 1979, Clin Sci
    // 56:93 [M]; septic shock: Beloeil 2005, Br J Anaesth 95:782, one compartment, t½ ≈ 2.4 min
    // [M]): CL 30 mL/kg/min, V = CL·t½/ln 2 = 104 mL/kg. PD (calibration): α1 resistance up to
    // +100 % (Hill 1.5, EC50 7 ng/mL, the steady state of 0.21 µg/kg/min), placed so that
    // 0.24 µg/kg/min raises MAP by about 40 % in a patient without reflexes (Hamzaoui 2010,
    // Crit Care 14:R142: MAP 54 → 76 mmHg at a median 0.24 µg/kg/min in septic shock [M]);
    // β1 contractility +30 %, heart rate +10 % (EC50 10 ng/mL, 0.3 µg/kg/min; usually masked by the baroreflex); venous
    // unstressed volume −6 mL/kg (Persichini 2012, Crit Care Med 40:3146: lowering
    // norepinephrine lowered mean systemic filling pressure and venous return [M]).
    DrugSpec {
        drug: Drug::Norepinephrine,
        name: "norepinephrine",
        rate_unit: RateUnit::UgKgMin,
        v1_ml_kg: 104.0,
        cl_ml_kg_min: 30.0,
        q2_ml_kg_min: 0.0,
        v2_ml_kg: 0.0,
        ke0_per_min: 0.0,
        effects: &[
            fx(Knob::Svr, 1.0, 7.0, 1.5),
            fx(Knob::Contractility, 0.3, 10.0, 1.0),
            fx(Knob::HeartRate, 0.1, 10.0, 1.0),
            fx(Knob::Unstressed, -6.0, 10.0, 1.0),
        ],
    },
    // Epinephrine. PK: metabolic clearance 52 mL/kg/min at low rates (Clutter 1980, J Clin
    // Invest 66:94 [M]), t½ about 2.5 min: V 188 mL/kg. PD (calibration): β effects at low
    // doses, α at higher: contractility +80 % and heart rate +40 % with EC50 5 ng/mL (the
    // steady state of 0.26 µg/kg/min), resistance +80 % with EC50 10 ng/mL and Hill 2 (little
    // vasoconstriction below 0.1 µg/kg/min: at 0.1 µg/kg/min cardiac output rises about 50 %
    // and MAP modestly in volunteers and septic patients, Clutter 1980; Levy 1997 Intensive
    // Care Med 23:282 [M]); unstressed volume −5 mL/kg; VO2 +20 % (calorigenic effect,
    // Ensinger 1993 Crit Care Med 21:1502: VO2 +20–25 % at 0.1 µg/kg/min [M]).
    DrugSpec {
        drug: Drug::Epinephrine,
        name: "epinephrine",
        rate_unit: RateUnit::UgKgMin,
        v1_ml_kg: 188.0,
        cl_ml_kg_min: 52.0,
        q2_ml_kg_min: 0.0,
        v2_ml_kg: 0.0,
        ke0_per_min: 0.0,
        effects: &[
            fx(Knob::Contractility, 0.8, 5.0, 1.0),
            fx(Knob::HeartRate, 0.4, 5.0, 1.0),
            fx(Knob::Svr, 0.8, 10.0, 2.0),
            fx(Knob::Unstressed, -5.0, 5.0, 1.0),
            fx(Knob::Vo2, 0.25, 2.0, 1.0),
        ],
    },
    // Vasopressin. PK: metabolic clearance 5–10 mL/kg/min, t½ 10–20 min (Czaczkes 1964 and
    // the review of Holmes 2001, Chest 120:989 [M]): CL 9 mL/kg/min, t½ 15 min, V 195 mL/kg.
    // Dosed in U/min, not by weight; concentration in mU/mL. PD (calibration): V1 receptor
    // vasoconstriction only, resistance up to +80 %, EC50 at the steady state of 0.04 U/min in
    // 70 kg (0.063 mU/mL), Hill 1.5: 0.03–0.04 U/min raises MAP in vasodilatory shock (Landry
    // 1997, Circulation 95:1122; VASST, Russell 2008 NEJM 358:877 [M]); heart rate −5 %.
    DrugSpec {
        drug: Drug::Vasopressin,
        name: "vasopressin",
        rate_unit: RateUnit::UMin,
        v1_ml_kg: 195.0,
        cl_ml_kg_min: 9.0,
        q2_ml_kg_min: 0.0,
        v2_ml_kg: 0.0,
        ke0_per_min: 0.0,
        effects: &[
            fx(Knob::Svr, 0.8, 0.063, 1.5),
            fx(Knob::HeartRate, -0.05, 0.063, 1.0),
        ],
    },
    // Dobutamine. PK: t½ 2.4 min, clearance 2.35 L/min/m² (Kates & Leier 1978, Clin Pharmacol
    // Ther 24:537 [M]): CL 59 mL/kg/min, V 204 mL/kg. PD (calibration): EC50 85 ng/mL, the
    // steady state of 5 µg/kg/min; contractility +150 %, heart rate +35 %, resistance
    // −35 % (β2): in heart failure 2.5–10 µg/kg/min raises cardiac
    // output by 30–60 % with little change of heart rate and MAP (Leier 1977, Circulation 56:468
    // [M]); in healthy volunteers heart rate rises 10–25 % at 10 µg/kg/min (Ruffolo 1987,
    // Am J Med Sci 294:244 [M]).
    DrugSpec {
        drug: Drug::Dobutamine,
        name: "dobutamine",
        rate_unit: RateUnit::UgKgMin,
        v1_ml_kg: 204.0,
        cl_ml_kg_min: 59.0,
        q2_ml_kg_min: 0.0,
        v2_ml_kg: 0.0,
        ke0_per_min: 0.0,
        effects: &[
            fx(Knob::Contractility, 1.5, 85.0, 1.0),
            fx(Knob::HeartRate, 0.35, 85.0, 1.0),
            fx(Knob::Svr, -0.35, 85.0, 1.0),
        ],
    },
    // Milrinone. PK: in heart failure CL 0.13 L/kg/h, Vss 0.38 L/kg, t½ 2.3 h (Primacor
    // prescribing information; Edelson 1986, Circulation 73:III145 [M]): CL 2.2 mL/kg/min,
    // V 380 mL/kg. PD: PDE3 inhibition, inotropy and vasodilation; haemodynamic effects grow
    // over 100–300 ng/mL (0.375–0.75 µg/kg/min, Anderson 1991 J Am Coll Cardiol 17:1195 [M]):
    // contractility +60 %, resistance −40 %, EC50 200 ng/mL; heart rate +10 %.
    DrugSpec {
        drug: Drug::Milrinone,
        name: "milrinone",
        rate_unit: RateUnit::UgKgMin,
        v1_ml_kg: 380.0,
        cl_ml_kg_min: 2.2,
        q2_ml_kg_min: 0.0,
        v2_ml_kg: 0.0,
        ke0_per_min: 0.0,
        effects: &[
            fx(Knob::Contractility, 0.6, 200.0, 1.0),
            fx(Knob::Svr, -0.4, 200.0, 1.0),
            fx(Knob::HeartRate, 0.1, 200.0, 1.0),
        ],
    },
    // Propofol (mg/kg/h; 1 % emulsion is 10 mg/mL). PK: Marsh 1991 (Br J Anaesth 67:41) V1
    // 0.228 L/kg, k10 0.119, k12 0.112, k21 0.055 /min (its slow third compartment left out),
    // ke0 0.26 /min; so CL 27 mL/kg/min, Q2 25.5 mL/kg/min, V2 464 mL/kg. PD: loss of
    // consciousness at 2–3 µg/mL effect site; resistance −35 % and venodilation (+4 mL/kg
    // unstressed) with EC50 3 µg/mL (de Wit 2016, Br J Anaesth 116:784: propofol lowers mean systemic filling pressure through venodilation
    // [M]); contractility −15 %; baroreflex gain −70 % (Sellgren 1994, Anesthesiology 80:534:
    // propofol resets and blunts the baroreflex [M]); VO2 −15 % (sedation of ventilated
    // patients lowers VO2 by 10–20 %, Terao 2003 J Anesth 17:161 [M]).
    DrugSpec {
        drug: Drug::Propofol,
        name: "propofol",
        rate_unit: RateUnit::MgKgH,
        v1_ml_kg: 228.0,
        cl_ml_kg_min: 27.0,
        q2_ml_kg_min: 25.5,
        v2_ml_kg: 464.0,
        ke0_per_min: 0.26,
        effects: &[
            fx(Knob::Svr, -0.35, 3.0, 1.5),
            fx(Knob::Unstressed, 4.0, 3.0, 1.5),
            fx(Knob::Contractility, -0.15, 3.0, 1.5),
            fx(Knob::Baroreflex, -0.7, 2.5, 1.5),
            fx(Knob::Vo2, -0.15, 2.5, 1.5),
            // Respiratory depression: the CO2 response falls by half at about 1.3 µg/mL and
            // anaesthetic concentrations stop breathing (Nieuwenhuijs et al. 2003,
            // Anesthesiology 98:312 [M]).
            fx(Knob::RespiratoryDrive, -1.0, 1.3, 1.5),
        ],
    },
    // Fentanyl (µg/kg/h). PK: Shafer 1990 (Anesthesiology 73:1091) V1 6.1 L, CL 0.63 L/min,
    // V2 28 L, Q2 4.8 L/min in ~70 kg (its slow third compartment left out), ke0 0.147 /min
    // (Scott 1985, Anesthesiology 62:234). PD: vagal bradycardia, heart rate −20 %; baroreflex
    // −30 %; VO2 −10 % (analgesia and sedation), EC50 3 ng/mL (analgesic plasma 1–3 ng/mL,
    // surgical 3–10, Peng & Sandler 1999 Anesthesiology 90:576 [M]).
    DrugSpec {
        drug: Drug::Fentanyl,
        name: "fentanyl",
        rate_unit: RateUnit::UgKgH,
        v1_ml_kg: 87.0,
        cl_ml_kg_min: 9.0,
        q2_ml_kg_min: 68.6,
        v2_ml_kg: 400.0,
        ke0_per_min: 0.147,
        effects: &[
            fx(Knob::HeartRate, -0.2, 3.0, 1.0),
            fx(Knob::Baroreflex, -0.3, 3.0, 1.0),
            fx(Knob::Vo2, -0.1, 3.0, 1.0),
            // Respiratory depression: ventilation at a fixed PCO2 halves at about 2 ng/mL, and
            // high concentrations cause apnoea (Dahan et al. 2010, Anesthesiology 112:226 [M]).
            fx(Knob::RespiratoryDrive, -1.0, 2.0, 1.5),
        ],
    },
    // Rocuronium (mg/kg/h; bolus mg). PK: Wierda 1991 (Can J Anaesth 38:430) CL 3.7 mL/kg/min,
    // V1 45 mL/kg, Vss about 200 mL/kg (V2 155), Q2 (from its distribution half-life)
    // 5 mL/kg/min, ke0 0.17 /min, EC50 0.8 µg/mL and Hill 4.8 for twitch depression [M]: 0.6
    // mg/kg gives a full block within about 2 min that lasts 30–40 min. PD: the block itself
    // (signal `neuromuscular_block`), no haemodynamic effect; VO2 −8.5 % at full block in
    // ventilated patients (Marik & Kaufman 1996, Chest 109:1038 [M]).
    DrugSpec {
        drug: Drug::Rocuronium,
        name: "rocuronium",
        rate_unit: RateUnit::MgKgH,
        v1_ml_kg: 45.0,
        cl_ml_kg_min: 3.7,
        q2_ml_kg_min: 5.0,
        v2_ml_kg: 155.0,
        ke0_per_min: 0.17,
        effects: &[
            fx(Knob::Block, 1.0, 0.8, 4.8),
            fx(Knob::Vo2, -0.085, 0.8, 4.8),
        ],
    },
    // Bivalirudin (mg/kg/h; bolus mg). PK: Robson 2002 (Clin Pharmacol Ther 71:433) CL
    // 3.4 mL/kg/min with normal renal function, V 0.2 L/kg, t½ about 25 min. PD
    // (calibration): ACT rises linearly with concentration: 0.75 mg/kg and 1.75 mg/kg/h (the
    // PCI dose) hold an ACT near 350 s (Angiomax prescribing information [M]), a steady state
    // of 8.6 µg/mL, so +27 s per µg/mL above the 120 s baseline. On ECMO 0.03–0.2 mg/kg/h is
    // usual (ELSO anticoagulation guideline 2021 [M]).
    DrugSpec {
        drug: Drug::Bivalirudin,
        name: "bivalirudin",
        rate_unit: RateUnit::MgKgH,
        v1_ml_kg: 200.0,
        cl_ml_kg_min: 3.4,
        q2_ml_kg_min: 0.0,
        v2_ml_kg: 0.0,
        ke0_per_min: 0.0,
        effects: &[fx(Knob::Act, 27.0, 1.0, 1.0)],
    },
];

/// What the drugs given do to the twin's knobs (all neutral when none is given).
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct DrugEffects {
    pub svr_factor: f64,
    pub lv_emax_factor: f64,
    pub rv_emax_factor: f64,
    pub hr_factor: f64,
    /// Venous unstressed volume added, mL.
    pub unstressed_ml: f64,
    pub baroreflex_factor: f64,
    pub vo2_factor: f64,
    /// Neuromuscular block, 0..1.
    pub block: f64,
    /// ACT added (direct thrombin inhibition), s.
    pub act_added_s: f64,
    /// Multiplies the respiratory centre's output ([`Knob::RespiratoryDrive`]).
    pub respiratory_drive_factor: f64,
}

impl DrugEffects {
    pub const NONE: DrugEffects = DrugEffects {
        svr_factor: 1.0,
        lv_emax_factor: 1.0,
        rv_emax_factor: 1.0,
        hr_factor: 1.0,
        unstressed_ml: 0.0,
        baroreflex_factor: 1.0,
        vo2_factor: 1.0,
        block: 0.0,
        act_added_s: 0.0,
        respiratory_drive_factor: 1.0,
    };
}

/// `Cⁿ / (EC50ⁿ + Cⁿ)`, 0 for `C ≤ 0`.
pub fn hill(c: f64, ec50: f64, n: f64) -> f64 {
    if c <= 0.0 || !c.is_finite() {
        return 0.0;
    }
    let x = (c / ec50).powf(n);
    x / (1.0 + x)
}

/// The drugs in a patient.
#[derive(Clone, Debug, PartialEq)]
pub struct Drugs {
    weight_kg: f64,
    /// Infusion rates, in each drug's [`RateUnit`].
    rate: [f64; N_DRUGS],
    /// Amounts in the central and peripheral compartments (µg, mg or U).
    central: [f64; N_DRUGS],
    peripheral: [f64; N_DRUGS],
    /// Effect-site concentration, in the drug's concentration unit.
    effect_site: [f64; N_DRUGS],
    active: bool,
}

impl Drugs {
    pub fn new(weight_kg: f64) -> Self {
        Drugs {
            weight_kg: if weight_kg.is_finite() {
                weight_kg.clamp(0.5, 300.0)
            } else {
                70.0
            },
            rate: [0.0; N_DRUGS],
            central: [0.0; N_DRUGS],
            peripheral: [0.0; N_DRUGS],
            effect_site: [0.0; N_DRUGS],
            active: false,
        }
    }

    /// Whether any drug has been given (before that [`Drugs::step`] does nothing).
    pub fn active(&self) -> bool {
        self.active
    }

    /// Set the infusion rate of `drug`, in its [`RateUnit`] (replaces the previous rate).
    pub fn set_rate(&mut self, drug: Drug, rate: f64) {
        let r = if rate.is_finite() { rate.max(0.0) } else { 0.0 };
        self.rate[drug as usize] = r;
        self.active |= r > 0.0;
    }

    /// The infusion rate of `drug`, in its [`RateUnit`].
    pub fn rate(&self, drug: Drug) -> f64 {
        self.rate[drug as usize]
    }

    /// A bolus of `amount` (µg, mg or U: [`RateUnit::amount_unit`]) into the central volume.
    pub fn bolus(&mut self, drug: Drug, amount: f64) {
        if amount.is_finite() && amount > 0.0 {
            self.central[drug as usize] += amount;
            self.active = true;
        }
    }

    /// Plasma (central) concentration of `drug`, in its concentration unit.
    pub fn plasma(&self, drug: Drug) -> f64 {
        let s = drug.spec();
        self.central[drug as usize] / (s.v1_ml_kg * self.weight_kg) * CONC_PER_AMOUNT_PER_ML
    }

    /// Effect-site concentration of `drug` (the plasma's for drugs without an effect site).
    pub fn effect_site(&self, drug: Drug) -> f64 {
        if drug.spec().ke0_per_min > 0.0 {
            self.effect_site[drug as usize]
        } else {
            self.plasma(drug)
        }
    }

    /// Advance by `dt_s` seconds. Returns whether anything is active.
    pub fn step(&mut self, dt_s: f64) -> bool {
        if !self.active || dt_s.is_nan() || dt_s <= 0.0 {
            return self.active;
        }
        let t = dt_s / 60.0;
        let w = self.weight_kg;
        for d in Drug::ALL {
            let i = d as usize;
            let s = d.spec();
            let input = s.rate_unit.per_min(self.rate[i], w);
            let v1 = s.v1_ml_kg * w;
            let k10 = s.cl_ml_kg_min / s.v1_ml_kg;
            let (a1, a2) = if s.q2_ml_kg_min > 0.0 {
                let k12 = s.q2_ml_kg_min / s.v1_ml_kg;
                let k21 = s.q2_ml_kg_min / s.v2_ml_kg;
                two_compartment(self.central[i], self.peripheral[i], input, k10, k12, k21, t)
            } else {
                let e = (-k10 * t).exp();
                let ss = input / k10;
                (ss + (self.central[i] - ss) * e, 0.0)
            };
            self.central[i] = a1.max(0.0);
            self.peripheral[i] = a2.max(0.0);
            if s.ke0_per_min > 0.0 {
                let c = self.central[i] / v1 * CONC_PER_AMOUNT_PER_ML;
                let e = (-s.ke0_per_min * t).exp();
                self.effect_site[i] = c + (self.effect_site[i] - c) * e;
            }
        }
        true
    }

    /// The effects of the drugs now in the patient on the twin's knobs.
    pub fn effects(&self) -> DrugEffects {
        let mut e = DrugEffects::NONE;
        if !self.active {
            return e;
        }
        for d in Drug::ALL {
            let c = self.effect_site(d);
            if c <= 0.0 {
                continue;
            }
            for f in d.spec().effects {
                let h = hill(c, f.ec50, f.hill);
                match f.knob {
                    Knob::Svr => e.svr_factor *= 1.0 + f.emax * h,
                    Knob::Contractility => {
                        e.lv_emax_factor *= 1.0 + f.emax * h;
                        e.rv_emax_factor *= 1.0 + f.emax * h;
                    }
                    Knob::HeartRate => e.hr_factor *= 1.0 + f.emax * h,
                    Knob::Unstressed => e.unstressed_ml += f.emax * h * self.weight_kg,
                    Knob::Baroreflex => e.baroreflex_factor *= 1.0 + f.emax * h,
                    Knob::Vo2 => e.vo2_factor *= 1.0 + f.emax * h,
                    Knob::Block => e.block = 1.0 - (1.0 - e.block) * (1.0 - f.emax * h),
                    Knob::Act => e.act_added_s += f.emax * c,
                    Knob::RespiratoryDrive => {
                        e.respiratory_drive_factor *= (1.0 + f.emax * h).max(0.0)
                    }
                }
            }
        }
        e
    }
}

/// Exact solution of the two-compartment model with a constant input over `t` minutes:
/// `a1' = I − (k10 + k12) a1 + k21 a2`, `a2' = k12 a1 − k21 a2`.
fn two_compartment(
    a1: f64,
    a2: f64,
    input: f64,
    k10: f64,
    k12: f64,
    k21: f64,
    t: f64,
) -> (f64, f64) {
    // Steady state.
    let s1 = input / k10;
    let s2 = s1 * k12 / k21;
    let (x1, x2) = (a1 - s1, a2 - s2);
    // Eigenvalues of [[-(k10+k12), k21], [k12, -k21]].
    let tr = -(k10 + k12 + k21);
    let det = k10 * k21;
    let disc = (tr * tr - 4.0 * det).max(0.0).sqrt();
    let l1 = 0.5 * (tr + disc);
    let l2 = 0.5 * (tr - disc);
    // Eigenvectors (1, m) with m = (λ + k10 + k12)/k21.
    let m1 = (l1 + k10 + k12) / k21;
    let m2 = (l2 + k10 + k12) / k21;
    // x = c1 (1, m1) + c2 (1, m2).
    let den = m2 - m1;
    let c2 = (x2 - m1 * x1) / den;
    let c1 = x1 - c2;
    let (e1, e2) = ((l1 * t).exp(), (l2 * t).exp());
    (s1 + c1 * e1 + c2 * e2, s2 + c1 * m1 * e1 + c2 * m2 * e2)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nothing_given_is_neutral() {
        let mut d = Drugs::new(70.0);
        assert!(!d.step(1.0));
        assert_eq!(d.effects(), DrugEffects::NONE);
    }

    #[test]
    fn steady_state_is_rate_over_clearance() {
        for drug in Drug::ALL {
            let mut d = Drugs::new(70.0);
            d.set_rate(drug, 1.0);
            for _ in 0..(3600 * 30) {
                d.step(1.0);
            }
            let s = drug.spec();
            let css =
                s.rate_unit.per_min(1.0, 70.0) / (s.cl_ml_kg_min * 70.0) * CONC_PER_AMOUNT_PER_ML;
            let c = d.plasma(drug);
            assert!((c - css).abs() < 1e-3 * css, "{drug:?}: {c} vs {css}");
            assert!((d.effect_site(drug) - css).abs() < 1e-3 * css);
        }
    }

    #[test]
    fn two_compartment_conserves_amount_without_elimination() {
        let (a1, a2) = two_compartment(100.0, 0.0, 0.0, 1e-12, 0.3, 0.1, 5.0);
        assert!((a1 + a2 - 100.0).abs() < 1e-6, "{a1} {a2}");
        // Long after: distribution equilibrium a2/a1 = k12/k21.
        let (a1, a2) = two_compartment(100.0, 0.0, 0.0, 1e-12, 0.3, 0.1, 500.0);
        assert!((a2 / a1 - 3.0).abs() < 1e-6, "{a1} {a2}");
    }

    #[test]
    fn norepinephrine_half_life_and_rocuronium_block() {
        let mut d = Drugs::new(70.0);
        d.bolus(Drug::Norepinephrine, 100.0);
        let c0 = d.plasma(Drug::Norepinephrine);
        for _ in 0..144 {
            d.step(1.0);
        }
        // t½ = ln2·V/CL = 2.40 min.
        let r = d.plasma(Drug::Norepinephrine) / c0;
        assert!((r - 0.5).abs() < 0.01, "{r}");
        // Rocuronium 0.6 mg/kg: full block within 3 min, recovery within 1.5 h.
        let mut d = Drugs::new(70.0);
        d.bolus(Drug::Rocuronium, 42.0);
        for _ in 0..180 {
            d.step(1.0);
        }
        assert!(d.effects().block > 0.9, "{:?}", d.effects());
        for _ in 0..(85 * 60) {
            d.step(1.0);
        }
        assert!(d.effects().block < 0.25, "{:?}", d.effects());
    }

    #[test]
    fn bivalirudin_pci_dose_gives_act_near_350() {
        let mut d = Drugs::new(80.0);
        d.bolus(Drug::Bivalirudin, 0.75 * 80.0);
        d.set_rate(Drug::Bivalirudin, 1.75);
        for _ in 0..(3 * 3600) {
            d.step(1.0);
        }
        let act = 120.0 + d.effects().act_added_s;
        assert!((act - 350.0).abs() < 20.0, "{act}");
    }
}
