//! The vocabulary of events: every kind of thing that can happen to the patient or the circuit,
//! defined once, here, with its name (in files, on the wire and on the page), its label for
//! people, the value it takes (unit, range, step, how a screen shows it) and what it means.
//!
//! Every reader of events reads this table: experiment files, training scenarios and actions,
//! the simulated unit's standard input, the console's API and page (served as JSON), and the
//! reference tables of the docs (a test compares them). [`crate::Twin::apply`] checks every
//! event against the same ranges, so a value a file may hold is a value the twin takes.
//!
//! # Adding an event
//!
//! 1. Add one entry to the `events!` list below: the variant with its payload, its shape
//!    (`none`, `flag`, `number(Quantity)` or `patient`), and `[name, label, value field,
//!    meaning]`. The `Event` enum, [`EventKind`], [`EVENTS`], [`Event::value`] and
//!    [`Event::new`] are all generated from that entry.
//! 2. Give it its effect in [`crate::Twin::apply`] (the compiler points there).
//! 3. `UPDATE_DOCS=1 cargo test -p experiment --test docs` rewrites docs/experiments.md's table.
//!
//! Nothing else needs to change: every parser, the API and the page pick it up from here.

use crate::patient::PatientParam;
use crate::twin::ConfigError;

/// A number an event (or a patient parameter) takes, with everything a reader or a screen
/// needs to know about it.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Quantity {
    /// Unit of the value everywhere in code, files and the API (`1`: a plain fraction).
    pub unit: &'static str,
    pub min: f64,
    pub max: f64,
    /// The increment a screen offers, in `unit`.
    pub step: f64,
    /// A typical value: what an instructor's form offers first.
    pub typical: f64,
    /// How a screen shows the value: `value × display_scale`, in `display_unit` (a fraction
    /// as a percent). A presentation choice only: nothing below the page uses it.
    pub display_unit: &'static str,
    pub display_scale: f64,
}

impl Quantity {
    /// A number in `unit`, shown as it is.
    pub const fn new(unit: &'static str, min: f64, max: f64, step: f64, typical: f64) -> Self {
        Quantity {
            unit,
            min,
            max,
            step,
            typical,
            display_unit: unit,
            display_scale: 1.0,
        }
    }

    /// A fraction 0..1 (unit `1`), shown as a percent.
    pub const fn fraction(min: f64, max: f64, step: f64, typical: f64) -> Self {
        Quantity {
            unit: "1",
            min,
            max,
            step,
            typical,
            display_unit: "%",
            display_scale: 100.0,
        }
    }

    /// Whether `x` is finite and within `min..=max`.
    pub fn contains(&self, x: f64) -> bool {
        x.is_finite() && x >= self.min && x <= self.max
    }
}

/// What value an event takes.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum EventValue {
    /// None: the event is the whole news (`de_air`).
    None,
    /// On or off (`true`: it happens; `false`: it is undone).
    Flag,
    /// A number.
    Number(Quantity),
    /// A patient parameter (one whose [`crate::patient::PatientField::event`] is set) and a
    /// value in that parameter's range.
    Patient,
}

/// One kind of event, as the table describes it.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct EventSpec {
    pub kind: EventKind,
    /// Its name in files, on the wire and in the page: `drainage_kink`.
    pub name: &'static str,
    /// Its name for people: `Drainage line kink`.
    pub label: &'static str,
    /// The key of its value in a file's event table (`severity` in
    /// `{ kind = "drainage_kink", severity = 0.8 }`); empty when it takes none, `value` (with
    /// `param`) for `set_patient`.
    pub field: &'static str,
    pub value: EventValue,
    /// What it means, for the docs and tooltips.
    pub doc: &'static str,
    /// The field named in the twin's refusals: `event.drainage_kink`.
    pub path: &'static str,
}

/// An event's value, apart from its kind.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum EventArg {
    None,
    Flag(bool),
    Number(f64),
    Patient(PatientParam, f64),
}

macro_rules! events {
    ($(
        $(#[$attr:meta])*
        $variant:ident $(($($payload:ty),+))? => $shape:ident $(($q:expr))?
            [$name:literal, $label:literal, $field:literal, $doc:literal];
    )*) => {
        /// Something that happens to the patient or circuit. Durations are handled by the
        /// timeline. The variants, their names, ranges and meanings are in [`EVENTS`].
        #[derive(Clone, Copy, Debug, PartialEq)]
        pub enum Event {
            $( $(#[$attr])* $variant $(($($payload),+))?, )*
        }

        /// The kind of an [`Event`], without its value: what the API and the page name.
        #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
        pub enum EventKind {
            $( $variant, )*
        }

        impl EventKind {
            /// Every kind, in the order of [`EVENTS`].
            pub const ALL: &'static [EventKind] = &[$( EventKind::$variant, )*];
        }

        /// The event table: one entry per kind, in the order of [`EventKind::ALL`].
        pub const EVENTS: &[EventSpec] = &[$(
            EventSpec {
                kind: EventKind::$variant,
                name: $name,
                label: $label,
                field: $field,
                value: events!(@value $shape $(($q))?),
                doc: $doc,
                path: concat!("event.", $name),
            },
        )*];

        impl Event {
            /// Its kind.
            pub const fn kind(&self) -> EventKind {
                match self {
                    $( Event::$variant { .. } => EventKind::$variant, )*
                }
            }

            /// Its value, apart from its kind.
            pub fn value(&self) -> EventArg {
                match *self {
                    $( events!(@pattern $variant $shape (b, x, p)) => events!(@arg $shape (b, x, p)), )*
                }
            }

            /// The event of `kind` with `arg`, when `arg` has the kind's shape (not yet
            /// range-checked).
            fn build(kind: EventKind, arg: EventArg) -> Option<Event> {
                match (kind, arg) {
                    $( (EventKind::$variant, events!(@arg $shape (b, x, p)))
                        => Some(events!(@pattern $variant $shape (b, x, p))), )*
                    _ => None,
                }
            }
        }
    };
    (@value none) => { EventValue::None };
    (@value flag) => { EventValue::Flag };
    (@value patient) => { EventValue::Patient };
    (@value number ($q:expr)) => { EventValue::Number($q) };
    (@pattern $v:ident none ($b:ident, $x:ident, $p:ident)) => { Event::$v };
    (@pattern $v:ident flag ($b:ident, $x:ident, $p:ident)) => { Event::$v($b) };
    (@pattern $v:ident number ($b:ident, $x:ident, $p:ident)) => { Event::$v($x) };
    (@pattern $v:ident patient ($b:ident, $x:ident, $p:ident)) => { Event::$v($p, $x) };
    (@arg none ($b:ident, $x:ident, $p:ident)) => { EventArg::None };
    (@arg flag ($b:ident, $x:ident, $p:ident)) => { EventArg::Flag($b) };
    (@arg number ($b:ident, $x:ident, $p:ident)) => { EventArg::Number($x) };
    (@arg patient ($b:ident, $x:ident, $p:ident)) => { EventArg::Patient($p, $x) };
}

events! {
    /// Kink or clamp of the drainage line; severity 0 (none) .. 1 (occluded).
    DrainageKink(f64) => number(Quantity::fraction(0.0, 1.0, 0.05, 0.7))
        ["drainage_kink", "Drainage line kink", "severity", "Kink or clamp of the drainage line: 0 none, 1 occluded. Set 0 to release it."];
    /// Kink or clamp of the return line; severity 0..1.
    ReturnKink(f64) => number(Quantity::fraction(0.0, 1.0, 0.05, 0.8))
        ["return_kink", "Return line kink", "severity", "Kink or clamp of the return line: 0 none, 1 occluded. Set 0 to release it."];
    /// Air entering the drainage line, mL/min (0 stops it).
    AirEntrainment(f64) => number(Quantity::new("mL/min", 0.0, 500.0, 1.0, 5.0))
        ["air_entrainment", "Air entrainment (drainage line)", "ml_min", "Air entering the drainage line; 0 stops it."];
    /// Pump motor failure (true) or repaired (false).
    PumpFailure(bool) => flag
        ["pump_failure", "Pump motor failure", "failed", "Pump motor fails (true) or is repaired (false)."];
    /// Mains power lost (true) or restored (false).
    PowerLoss(bool) => flag
        ["power_loss", "Mains power lost", "lost", "Mains power lost (true) or restored (false); the console runs on battery."];
    /// Sudden loss of oxygenator membrane function, fraction 0..1.
    OxygenatorFailure(f64) => number(Quantity::fraction(0.0, 1.0, 0.05, 0.6))
        ["oxygenator_failure", "Oxygenator failure", "fraction", "Sudden loss of this share of the membrane's gas transfer."];
    /// Set the oxygenator's thrombus burden (share of membrane lost, 0..0.98), e.g. to start a
    /// scenario with a membrane days into its life; it keeps growing from there.
    OxygenatorClot(f64) => number(Quantity::fraction(0.0, crate::oxygenator::MAX_CLOT, 0.01, 0.5))
        ["oxygenator_clot", "Oxygenator clot burden", "fraction", "Set the oxygenator's thrombus burden (share of membrane lost), e.g. to start with a membrane days into its life; it keeps growing from there."];
    /// Instant volume change, mL: positive bolus, negative haemorrhage.
    Volume(f64) => number(Quantity::new("mL", -3000.0, 3000.0, 50.0, -500.0))
        ["volume", "Volume: + bolus / − haemorrhage", "ml", "Instant change of whole blood (at the patient's own Hb): positive a transfusion of whole blood, negative a haemorrhage. For crystalloid, albumin, red cells or plasma use the infusion events."];
    /// Continuous bleeding, mL/min (0 stops it).
    Bleeding(f64) => number(Quantity::new("mL/min", 0.0, 2000.0, 10.0, 50.0))
        ["bleeding", "Continuous bleeding", "ml_min", "Continuous bleeding; 0 stops it."];
    /// Crystalloid infusion, mL/h (0 stops it); see [`crate::fluids`].
    CrystalloidInfusion(f64) => number(Quantity::new("mL/h", 0.0, 30_000.0, 50.0, 1000.0))
        ["crystalloid_infusion", "Crystalloid infusion", "ml_h", "Balanced crystalloid (Ringer's) infusion rate; replaces the previous rate, 0 stops it. Dilutes Hb; about four fifths leave the plasma (for the interstitium and the urine) within an hour of the infusion."];
    /// Albumin 5 % infusion, mL/h (0 stops it).
    AlbuminInfusion(f64) => number(Quantity::new("mL/h", 0.0, 30_000.0, 50.0, 500.0))
        ["albumin_infusion", "Albumin 5 % infusion", "ml_h", "Albumin 5 % (iso-oncotic) infusion rate; replaces the previous rate, 0 stops it. Dilutes Hb and stays in the plasma."];
    /// Packed red cell transfusion, mL/h (0 stops it).
    RedCellInfusion(f64) => number(Quantity::new("mL/h", 0.0, 30_000.0, 50.0, 300.0))
        ["red_cell_infusion", "Red cell transfusion", "ml_h", "Packed red cells (haematocrit 0.60, Hb 19.8 g/dL) transfusion rate; replaces the previous rate, 0 stops it. Raises Hb."];
    /// Plasma infusion, mL/h (0 stops it).
    PlasmaInfusion(f64) => number(Quantity::new("mL/h", 0.0, 30_000.0, 50.0, 500.0))
        ["plasma_infusion", "Plasma infusion", "ml_h", "Plasma (fresh frozen plasma) infusion rate; replaces the previous rate, 0 stops it. Dilutes Hb and stays in the plasma."];
    /// Unfractionated heparin bolus, U.
    HeparinBolus(f64) => number(Quantity::new("U", 0.0, 20_000.0, 500.0, 5000.0))
        ["heparin_bolus", "Heparin bolus", "units", "Unfractionated heparin bolus (50-100 U/kg is usual, circuit.md)."];
    /// Heparin infusion, U/h.
    HeparinInfusion(f64) => number(Quantity::new("U/h", 0.0, 5000.0, 100.0, 1000.0))
        ["heparin_infusion", "Heparin infusion", "units_per_h", "Unfractionated heparin infusion rate; replaces the previous rate."];
    /// Norepinephrine infusion, µg/kg/min ([`crate::drugs`]).
    NorepinephrineInfusion(f64) => number(Quantity::new("µg/kg/min", 0.0, 5.0, 0.01, 0.1))
        ["norepinephrine_infusion", "Norepinephrine infusion", "ug_kg_min", "Norepinephrine infusion rate (replaces the previous rate, 0 stops it): α1 vasoconstriction, some β1 inotropy, venoconstriction; t½ 2.4 min (see the drugs section)."];
    /// Epinephrine infusion, µg/kg/min ([`crate::drugs`]).
    EpinephrineInfusion(f64) => number(Quantity::new("µg/kg/min", 0.0, 2.0, 0.01, 0.05))
        ["epinephrine_infusion", "Epinephrine infusion", "ug_kg_min", "Epinephrine infusion rate (replaces the previous rate, 0 stops it): β1 inotropy and tachycardia, α vasoconstriction at higher doses, raised VO2."];
    /// Epinephrine bolus, µg ([`crate::drugs`]).
    EpinephrineBolus(f64) => number(Quantity::new("µg", 0.0, 5000.0, 10.0, 100.0))
        ["epinephrine_bolus", "Epinephrine bolus", "ug", "Epinephrine bolus (push-dose 10-100 µg; 1000 µg in cardiac arrest)."];
    /// Vasopressin infusion, U/min ([`crate::drugs`]).
    VasopressinInfusion(f64) => number(Quantity::new("U/min", 0.0, 0.2, 0.01, 0.03))
        ["vasopressin_infusion", "Vasopressin infusion", "u_min", "Vasopressin infusion rate, not by weight (replaces the previous rate, 0 stops it): V1 vasoconstriction; t½ 15 min."];
    /// Dobutamine infusion, µg/kg/min ([`crate::drugs`]).
    DobutamineInfusion(f64) => number(Quantity::new("µg/kg/min", 0.0, 40.0, 0.5, 5.0))
        ["dobutamine_infusion", "Dobutamine infusion", "ug_kg_min", "Dobutamine infusion rate (replaces the previous rate, 0 stops it): β1 inotropy, some tachycardia and β2 vasodilation."];
    /// Milrinone infusion, µg/kg/min ([`crate::drugs`]).
    MilrinoneInfusion(f64) => number(Quantity::new("µg/kg/min", 0.0, 1.5, 0.025, 0.375))
        ["milrinone_infusion", "Milrinone infusion", "ug_kg_min", "Milrinone infusion rate (replaces the previous rate, 0 stops it): inotropy and vasodilation; t½ about 2 h, so it takes hours to reach its effect without a load."];
    /// Propofol infusion, mg/kg/h ([`crate::drugs`]).
    PropofolInfusion(f64) => number(Quantity::new("mg/kg/h", 0.0, 12.0, 0.5, 2.0))
        ["propofol_infusion", "Propofol infusion", "mg_kg_h", "Propofol infusion rate (replaces the previous rate, 0 stops it): sedation, vasodilation, venodilation, blunted baroreflex, lower VO2."];
    /// Propofol bolus, mg ([`crate::drugs`]).
    PropofolBolus(f64) => number(Quantity::new("mg", 0.0, 500.0, 10.0, 50.0))
        ["propofol_bolus", "Propofol bolus", "mg", "Propofol bolus."];
    /// Fentanyl infusion, µg/kg/h ([`crate::drugs`]).
    FentanylInfusion(f64) => number(Quantity::new("µg/kg/h", 0.0, 20.0, 0.25, 1.5))
        ["fentanyl_infusion", "Fentanyl infusion", "ug_kg_h", "Fentanyl infusion rate (replaces the previous rate, 0 stops it): bradycardia, somewhat blunted baroreflex, lower VO2."];
    /// Fentanyl bolus, µg ([`crate::drugs`]).
    FentanylBolus(f64) => number(Quantity::new("µg", 0.0, 2000.0, 25.0, 100.0))
        ["fentanyl_bolus", "Fentanyl bolus", "ug", "Fentanyl bolus."];
    /// Rocuronium infusion, mg/kg/h ([`crate::drugs`]).
    RocuroniumInfusion(f64) => number(Quantity::new("mg/kg/h", 0.0, 2.0, 0.05, 0.3))
        ["rocuronium_infusion", "Rocuronium infusion", "mg_kg_h", "Rocuronium infusion rate (replaces the previous rate, 0 stops it): neuromuscular block, VO2 a little lower."];
    /// Rocuronium bolus, mg ([`crate::drugs`]).
    RocuroniumBolus(f64) => number(Quantity::new("mg", 0.0, 300.0, 5.0, 50.0))
        ["rocuronium_bolus", "Rocuronium bolus", "mg", "Rocuronium bolus (0.6-1.2 mg/kg for intubation)."];
    /// Bivalirudin infusion, mg/kg/h ([`crate::drugs`]).
    BivalirudinInfusion(f64) => number(Quantity::new("mg/kg/h", 0.0, 2.5, 0.01, 0.05))
        ["bivalirudin_infusion", "Bivalirudin infusion", "mg_kg_h", "Bivalirudin infusion rate (replaces the previous rate, 0 stops it): direct thrombin inhibitor, prolongs the ACT (not anti-Xa); 0.03-0.2 mg/kg/h is usual on ECMO."];
    /// Bivalirudin bolus, mg ([`crate::drugs`]).
    BivalirudinBolus(f64) => number(Quantity::new("mg", 0.0, 200.0, 5.0, 50.0))
        ["bivalirudin_bolus", "Bivalirudin bolus", "mg", "Bivalirudin bolus (0.5-0.75 mg/kg where a load is given)."];
    /// Change one patient parameter.
    SetPatient(PatientParam, f64) => patient
        ["set_patient", "Change a patient parameter", "value", "Change one patient parameter: `param` names it (a patient field marked yes above), `value` is in that field's range and unit."];
    /// Set the pump head's thrombus burden (share of its clearance lost, 0..0.98); hemolysis
    /// rises with it ([`crate::hemolysis::PUMP_THROMBUS_GAIN`]). 0 is a new pump head.
    PumpClot(f64) => number(Quantity::fraction(0.0, crate::oxygenator::MAX_CLOT, 0.01, 0.3))
        ["pump_clot", "Pump head thrombus", "fraction", "Set the pump head's thrombus burden (share of its clearance lost); hemolysis rises with it. 0 is a new pump head."];
    /// The perfusionist removes the air trapped in the circuit (vents it at the oxygenator or a
    /// port); air already in the patient stays there. Entrainment, if still running, goes on.
    DeAir => none
        ["de_air", "De-air the circuit", "", "Remove the air trapped in the circuit; air already in the patient stays, entrainment goes on if not stopped."];
    /// Set the battery's charge, 0..1 (e.g. a worn battery that will not last).
    Battery(f64) => number(Quantity::fraction(0.0, 1.0, 0.01, 0.2))
        ["battery", "Battery charge", "fraction", "Set the battery's charge (e.g. a worn battery that will not last)."];
    /// The pump head is moved onto the hand-cranked emergency drive, turned at this speed (rpm);
    /// the console's motor, its power and its commands no longer matter. 0 puts the head back
    /// on the motor. Consoles carry such a drive (e.g. the Bio-Console 560's hand crank,
    /// consoles-and-standards.md \[F\]).
    ManualDrive(f64) => number(Quantity::new("rpm", 0.0, 5000.0, 50.0, 2500.0))
        ["manual_drive", "Hand-cranked emergency drive", "rpm", "The pump head on the hand-cranked emergency drive at this speed; 0 puts it back on the motor."];
    /// The drainage cannula's tip slips one segment further toward the heart (true: from the
    /// infrahepatic IVC to the IVC–RA junction, from there into the right atrium), or is pulled
    /// back to where it was placed (false). Recirculation follows from the new site: it grows
    /// as the drainage and return ends come closer (patient.md, VV mixing and recirculation).
    CannulaMigration(bool) => flag
        ["cannula_migration", "Drainage cannula migration", "migrated", "The drainage cannula's tip slips 7.5 cm further toward the heart (true; twice takes the typical femoro-jugular tip from below the renal veins into the atrium) or is pulled back to where it was placed (false)."];
    /// Ventricular fibrillation starts (true) or ends in an organised rhythm (false); see
    /// [`crate::cpr`].
    VentricularFibrillation(bool) => flag
        ["ventricular_fibrillation", "Ventricular fibrillation", "on", "The ventricles fibrillate: no organised contraction, no output (true); false restores the patient's rhythm. A defibrillation may also end it."];
    /// Asystole starts (true) or ends (false).
    Asystole(bool) => flag
        ["asystole", "Asystole", "on", "No electrical activity: the heart neither contracts nor ejects (true); false restores the patient's rhythm. Not shockable."];
    /// Pulseless electrical activity starts (true) or ends (false).
    Pea(bool) => flag
        ["pea", "Pulseless electrical activity", "on", "Complexes on the ECG but contraction too weak for a pulse (8 % of normal activation) (true); false restores the patient's rhythm. Not shockable."];
    /// Chest compressions at this rate, /min (0 stops them: hands off).
    ChestCompressions(f64) => number(Quantity::new("/min", 0.0, 140.0, 5.0, 110.0))
        ["chest_compressions", "Chest compressions", "rate_per_min", "Chest compressions (manual or mechanical) at this rate; 0 stops them (hands off). 100-120/min is guideline CPR."];
    /// Chest compression depth, cm.
    CompressionDepth(f64) => number(Quantity::new("cm", 1.0, 7.0, 0.5, 5.0))
        ["compression_depth", "Compression depth", "cm", "Depth of chest compressions (5-6 cm is guideline CPR); the rise of intrathoracic pressure each compression causes (and its smaller direct pressure on the ventricles) grows with it."];
    /// A defibrillation shock, J.
    Defibrillation(f64) => number(Quantity::new("J", 50.0, 360.0, 10.0, 200.0))
        ["defibrillation", "Defibrillation", "joules", "A shock: in VF it restores an organised rhythm with a chance that rises with coronary perfusion pressure and falls with no-flow time (drawn from the twin's seed); nothing in asystole or PEA."];
    /// Connect the mechanical ventilator in volume control (or switch it to it), with the
    /// settings last set ([`crate::ventilator`]).
    VentilatorVc => none
        ["ventilator_vc", "Ventilator: volume control", "", "Connect the mechanical ventilator in volume control (or switch to it): set tidal volume at constant inspiratory flow, with the PEEP, rate and I:E last set (before any: 6 mL/kg, PEEP 5, 14/min in an adult, I:E 1:2). FiO2 is the patient's `fio2`. Its alveolar ventilation replaces the patient's own; its mean pleural pressure acts on the chest."];
    /// Connect the ventilator in pressure control (or switch it to it).
    VentilatorPc => none
        ["ventilator_pc", "Ventilator: pressure control", "", "Connect the mechanical ventilator in pressure control (or switch to it): the set inspiratory pressure above PEEP; the tidal volume follows from the patient's compliance and resistance."];
    /// Connect the ventilator with the patient breathing on their own through it (CPAP).
    VentilatorSpontaneous => none
        ["ventilator_spontaneous", "Ventilator: spontaneous (CPAP)", "", "The patient breathes on their own through the ventilator at the set rate and tidal volume, with PEEP as CPAP: no positive-pressure breaths, inspiration lowers the pleural pressure."];
    /// Take the ventilator off: the patient's own ventilation and FiO2 parameters again.
    VentilatorOff => none
        ["ventilator_off", "Ventilator: disconnect", "", "Take the ventilator off (extubation): the patient's own `alveolar_ventilation_lpm` and `fio2` act again and the chest returns to its pressure at rest. The settings are kept for the next connection."];
    /// Set PEEP, cmH2O.
    VentilatorPeep(f64) => number(Quantity::new("cmH2O", crate::ventilator::PEEP_RANGE.0, crate::ventilator::PEEP_RANGE.1, 1.0, 10.0))
        ["ventilator_peep", "Ventilator PEEP", "cmh2o", "Set the positive end-expiratory pressure. While the ventilator is off it is kept for the next connection."];
    /// Set the tidal volume (volume control and spontaneous), mL.
    VentilatorVt(f64) => number(Quantity::new("mL", crate::ventilator::VT_RANGE.0, crate::ventilator::VT_RANGE.1, 10.0, 420.0))
        ["ventilator_vt", "Ventilator tidal volume", "ml", "Set the tidal volume of volume control (and of spontaneous breaths); 6 mL/kg is lung-protective (ARDSNet)."];
    /// Set the inspiratory pressure above PEEP (pressure control), cmH2O.
    VentilatorPinsp(f64) => number(Quantity::new("cmH2O", crate::ventilator::PINSP_RANGE.0, crate::ventilator::PINSP_RANGE.1, 1.0, 10.0))
        ["ventilator_pinsp", "Ventilator inspiratory pressure", "cmh2o", "Set the inspiratory pressure above PEEP of pressure control (lung rest on VV ECMO: 10 above PEEP 10, ELSO)."];
    /// Set the breath rate, 1/min.
    VentilatorRate(f64) => number(Quantity::new("1/min", crate::ventilator::RATE_RANGE.0, crate::ventilator::RATE_RANGE.1, 1.0, 10.0))
        ["ventilator_rate", "Ventilator rate", "per_min", "Set the breath rate; 0 holds PEEP without breaths (apnoeic oxygenation on CPAP)."];
    /// Set the I:E ratio's expiratory part (2 for 1:2).
    VentilatorIe(f64) => number(Quantity::new("1", crate::ventilator::IE_RANGE.0, crate::ventilator::IE_RANGE.1, 0.25, 2.0))
        ["ventilator_ie", "Ventilator I:E (1:x)", "ratio", "Set the I:E ratio as its expiratory part: 2 is 1:2, 0.5 is inverse ratio 2:1. Short expirations trap gas (auto-PEEP)."];
}

impl EventKind {
    /// Its entry in [`EVENTS`].
    pub fn spec(self) -> &'static EventSpec {
        // EVENTS lists the kinds in declaration order (generated together), so the
        // discriminant is the index; a unit test checks it.
        &EVENTS[self as usize]
    }

    pub fn name(self) -> &'static str {
        self.spec().name
    }

    pub fn by_name(name: &str) -> Option<EventKind> {
        EVENTS.iter().find(|s| s.name == name).map(|s| s.kind)
    }

    /// Every name, in table order (for "allowed: …" messages).
    pub fn names() -> impl Iterator<Item = &'static str> {
        EVENTS.iter().map(|s| s.name)
    }
}

impl Event {
    /// The event of `kind` with `arg`, checked against the table: the value must have the
    /// kind's shape and lie in its range (a patient value in that parameter's range).
    pub fn new(kind: EventKind, arg: EventArg) -> Result<Event, ConfigError> {
        let spec = kind.spec();
        let event = Event::build(kind, arg).ok_or_else(|| ConfigError {
            field: spec.path,
            message: format!("expected {}, got {arg:?}", shape_words(spec.value)),
        })?;
        event.check()?;
        Ok(event)
    }

    /// Its entry in [`EVENTS`].
    pub fn spec(&self) -> &'static EventSpec {
        self.kind().spec()
    }

    /// Check the value against the table's range.
    pub fn check(&self) -> Result<(), ConfigError> {
        let spec = self.spec();
        match (spec.value, self.value()) {
            (EventValue::Number(q), EventArg::Number(x)) if !q.contains(x) => Err(
                ConfigError::out_of_range(spec.path, x, q.min, q.max, q.unit),
            ),
            (EventValue::Patient, EventArg::Patient(p, x)) => {
                let f = p.field();
                if f.quantity().contains(x) {
                    Ok(())
                } else {
                    Err(ConfigError::out_of_range(f.path, x, f.min, f.max, f.unit))
                }
            }
            _ => Ok(()),
        }
    }
}

fn shape_words(v: EventValue) -> &'static str {
    match v {
        EventValue::None => "no value",
        EventValue::Flag => "true or false",
        EventValue::Number(_) => "a number",
        EventValue::Patient => "a patient parameter and a number",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn table_order_is_the_kind_order() {
        assert_eq!(EVENTS.len(), EventKind::ALL.len());
        for (i, k) in EventKind::ALL.iter().enumerate() {
            assert_eq!(EVENTS[i].kind, *k);
            assert_eq!(k.spec().kind, *k);
            assert_eq!(EventKind::by_name(k.name()), Some(*k));
        }
    }

    #[test]
    fn names_are_unique_snake_case() {
        for (i, a) in EVENTS.iter().enumerate() {
            assert!(
                a.name
                    .chars()
                    .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_'),
                "{}",
                a.name
            );
            for b in &EVENTS[i + 1..] {
                assert_ne!(a.name, b.name);
            }
            if let EventValue::Number(q) = a.value {
                assert!(
                    q.min < q.max && q.step > 0.0 && q.contains(q.typical),
                    "{}",
                    a.name
                );
            }
        }
    }

    #[test]
    fn value_and_new_round_trip() {
        for s in EVENTS {
            let arg = match s.value {
                EventValue::None => EventArg::None,
                EventValue::Flag => EventArg::Flag(true),
                EventValue::Number(q) => EventArg::Number(q.typical),
                EventValue::Patient => EventArg::Patient(PatientParam::HeartRate, 90.0),
            };
            let e = Event::new(s.kind, arg).unwrap();
            assert_eq!(e.kind(), s.kind);
            assert_eq!(e.value(), arg);
        }
    }

    #[test]
    fn out_of_range_and_wrong_shape_are_refused_by_name() {
        let e = Event::new(EventKind::AirEntrainment, EventArg::Number(600.0)).unwrap_err();
        assert_eq!(e.field, "event.air_entrainment");
        assert!(e.message.contains("0..=500 mL/min"), "{e}");
        let e = Event::new(EventKind::PowerLoss, EventArg::Number(1.0)).unwrap_err();
        assert!(e.message.contains("true or false"), "{e}");
        let e = Event::new(
            EventKind::SetPatient,
            EventArg::Patient(PatientParam::HeartRate, 400.0),
        )
        .unwrap_err();
        assert_eq!(e.field, "patient.heart_rate_bpm");
        assert!(Event::new(EventKind::Volume, EventArg::Number(f64::NAN)).is_err());
    }
}
