//! Durability: a whole circuit (drainage cannula, pump, oxygenator, return cannula, 2 m of 3/8″
//! tubing, one coating) run at a set blood flow for days under a heparin regimen, with large
//! steps on the slow subsystems (heparin, thrombus, plasma free Hb are each exact or
//! unconditionally stable for steps up to 10 min; see physio).
//!
//! Each step: heparin advances; the oxygenator and pump-head thrombus grow with the anti-Xa, the
//! flow and the coating, the oxygenator's also with its design (priming volume per m² of
//! membrane relative to physio's reference adult device, physio::coagulation, so oxygenators
//! that differ get different change-out days); the oxygenator's ΔP and its gas transfer (inlet blood at ISO 7199
//! venous conditions, sweep 1:1, FdO2 1.0) follow from the clot fraction; the pump speed is
//! solved so that the pump makes the circuit's head at the set flow (if the drive's maximum is
//! not enough, the flow falls to what it can deliver); the pump and the oxygenator release free
//! haemoglobin into the patient's plasma, which binds haptoglobin and is cleared; the reported
//! plasma free Hb includes the physiological baseline (physio::hemolysis). Suction at the
//! drainage is not a bench source (the bench holds the drainage site at `venous_mmhg`).
//!
//! Coating: physio's thrombus law is r = r0·coating·…, and its exact step depends on r·Δt only,
//! so a catalogue coating of any thrombogenicity k is applied by stepping an uncoated surface for
//! k·Δt (tested equal to physio's own heparin-bonded and long-acting coatings).
//!
//! Change-out criterion (stated on every report): the oxygenator is due when its pressure drop
//! has reached `dp_factor` (default 2) times its clean value at the set flow, or its O2 transfer
//! has fallen below `o2_fraction` (default 75 %) of its clean value, whichever comes first. After
//! the reported days the slow subsystems are run on (hourly steps, up to `horizon_days`) to
//! predict the day even when it lies beyond the run.
/// Benchmark target for a 14-day durability run, s (issue 7).
pub const DURABILITY_TARGET_S: f64 = 120.0;

use physio::cannula::{Tubing, blood_viscosity_mpa_s, hct_from_hb};
use physio::coagulation::{ClotDrivers, Coating, Heparin, Thrombus};
use physio::hemolysis::{PlasmaFreeHb, oxygenator_release_mg_per_s};
use physio::oxygenator::Sweep;

use crate::catalogue::{CannulaDesign, CoatingDesign, OxygenatorDesign, PumpDesign};
use crate::invivo::{Patient, PatientCheck};
use crate::oxytest::venous_inlet;
use crate::progress::Progress;
use crate::pumptest::speed_for;
use crate::report::{Cell, Column, Plot, Report, Section, Series, Table, headers};

/// Settings of a run (the CLI options).
#[derive(Clone, Debug, PartialEq)]
pub struct Options {
    pub days: f64,
    pub flow_lpm: f64,
    /// Sweep gas, L/min; None: equal to the blood flow (gas:blood 1:1).
    pub sweep_lpm: Option<f64>,
    pub weight_kg: f64,
    pub hb_g_dl: f64,
    pub heparin_bolus_u_kg: f64,
    pub heparin_u_kg_h: f64,
    pub step_min: f64,
    /// Pressure at the drainage site and at the return site, mmHg.
    pub venous_mmhg: f64,
    pub return_mmhg: f64,
    pub dp_factor: f64,
    pub o2_fraction: f64,
    pub horizon_days: f64,
    /// A `physio` preset whose patient carries the circuit for the daily checks on the full
    /// twin ([`crate::invivo`]); None: the circuit alone.
    pub patient: Option<String>,
}

impl Options {
    /// The default settings for a run of `days`.
    pub fn for_days(days: f64) -> Options {
        Options {
            days,
            ..Options::default()
        }
    }
}

impl Default for Options {
    /// Adult VV ECMO: 4.5 L/min, 80 kg, Hb 12 g/dL, heparin 80 U/kg bolus and 18 U/kg/h
    /// (Raschke 1993 nomogram, as in physio's coagulation tests), CVP 8 mmHg at both sites.
    fn default() -> Self {
        Options {
            days: 14.0,
            flow_lpm: 4.5,
            sweep_lpm: None,
            weight_kg: 80.0,
            hb_g_dl: 12.0,
            heparin_bolus_u_kg: 80.0,
            heparin_u_kg_h: 18.0,
            step_min: 10.0,
            venous_mmhg: 8.0,
            return_mmhg: 8.0,
            dp_factor: 2.0,
            o2_fraction: 0.75,
            horizon_days: 120.0,
            patient: Some("ards-severe".into()),
        }
    }
}

impl Options {
    /// Check every setting; the error names the option and its allowed range.
    pub fn validate(&self) -> Result<(), String> {
        let checks: [(&str, f64, f64, f64); 11] = [
            ("--days", self.days, 0.01, 365.0),
            ("--flow", self.flow_lpm, 0.1, 10.0),
            ("--weight", self.weight_kg, 1.0, 300.0),
            ("--hb", self.hb_g_dl, 3.0, 20.0),
            ("--heparin-bolus", self.heparin_bolus_u_kg, 0.0, 500.0),
            ("--heparin-rate", self.heparin_u_kg_h, 0.0, 100.0),
            ("--venous-pressure", self.venous_mmhg, -50.0, 50.0),
            ("--return-pressure", self.return_mmhg, -20.0, 150.0),
            ("--dp-factor", self.dp_factor, 1.05, 20.0),
            ("--o2-fraction", self.o2_fraction, 0.05, 0.99),
            ("--horizon", self.horizon_days, 1.0, 3650.0),
        ];
        for (name, v, lo, hi) in checks {
            if !(v.is_finite() && v >= lo && v <= hi) {
                return Err(format!("{name} {v} is outside the allowed range {lo}–{hi}"));
            }
        }
        if let Some(s) = self.sweep_lpm
            && !(s.is_finite() && (0.0..=20.0).contains(&s))
        {
            return Err(format!(
                "--sweep {s} is outside the allowed range 0–20 L/min"
            ));
        }
        if !(60.0 % self.step_min == 0.0 && self.step_min >= 1.0) {
            return Err(format!(
                "--step-min {} must divide 60 (1, 2, 3, 4, 5, 6, 10, 12, 15, 20, 30 or 60)",
                self.step_min
            ));
        }
        Ok(())
    }
}

/// The circuit under test.
#[derive(Clone, Copy, Debug)]
pub struct Circuit<'a> {
    pub pump: &'a PumpDesign,
    pub oxygenator: &'a OxygenatorDesign,
    pub coating: &'a CoatingDesign,
    pub drainage: &'a CannulaDesign,
    /// None when the drainage cannula is dual-lumen (it returns too).
    pub ret: Option<&'a CannulaDesign>,
}

/// One hourly record.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Row {
    pub day: f64,
    pub anti_xa: f64,
    pub act_s: f64,
    pub clot_oxygenator: f64,
    pub clot_pump: f64,
    pub flow_lpm: f64,
    pub rpm: f64,
    pub head_mmhg: f64,
    pub dp_oxy_mmhg: f64,
    pub o2_ml_min: f64,
    pub co2_ml_min: f64,
    pub outlet_po2_mmhg: f64,
    pub fhb_mg_dl: f64,
}

#[derive(Clone, Debug, PartialEq)]
pub struct DurabilityResult {
    pub label: String,
    pub pump: String,
    pub oxygenator: String,
    pub coating: String,
    pub options: Options,
    /// The oxygenator's labelled maximum blood flow, L/min.
    pub oxygenator_max_flow_lpm: f64,
    pub rows: Vec<Row>,
    /// (day, rated flow L/min) at each whole day.
    pub rated_flow: Vec<(f64, f64)>,
    pub dp_clean_mmhg: f64,
    pub o2_clean_ml_min: f64,
    /// First day the ΔP and the O2 criteria were met (None: not within the horizon).
    pub dp_day: Option<f64>,
    pub o2_day: Option<f64>,
    /// Whether the pump ever ran at its maximum speed without reaching the set flow.
    pub flow_limited: bool,
    pub steps: u64,
    pub elapsed_s: f64,
    /// Daily checks on the patient (empty without one).
    pub patient_checks: Vec<PatientCheck>,
}

impl DurabilityResult {
    /// A table of this run: `durability-PUMP-OXYGENATOR-COATING-{suffix}`, titled
    /// `LABEL: {title}`.
    fn table(&self, suffix: &str, title: &str, columns: &[&str]) -> Table {
        Table::new(
            &format!(
                "durability-{}-{}-{}-{suffix}",
                self.pump, self.oxygenator, self.coating
            ),
            &format!("{}: {title}", self.label),
            columns,
        )
    }

    /// Predicted change-out day: the earlier criterion.
    pub fn change_out_day(&self) -> Option<f64> {
        match (self.dp_day, self.o2_day) {
            (Some(a), Some(b)) => Some(a.min(b)),
            (a, b) => a.or(b),
        }
    }

    /// A warning when the set flow exceeds the oxygenator's labelled maximum.
    pub fn beyond_label(&self) -> Option<String> {
        (self.options.flow_lpm > self.oxygenator_max_flow_lpm + 1e-9).then(|| {
            format!(
                "the set flow {} L/min is beyond the oxygenator's labelled maximum of {} L/min",
                self.options.flow_lpm, self.oxygenator_max_flow_lpm
            )
        })
    }

    pub fn criterion(&self) -> String {
        format!(
            "oxygenator change-out when its ΔP reaches {}× the clean {:.1} mmHg or its O2 transfer falls below {:.0} % of the clean {:.0} mL/min, whichever first",
            self.options.dp_factor,
            self.dp_clean_mmhg,
            100.0 * self.options.o2_fraction,
            self.o2_clean_ml_min
        )
    }
}

/// Step a thrombus with a coating of any thrombogenicity `factor` (module docs) in a circuit
/// whose oxygenator clots `device` times as fast as physio's reference device
/// ([`physio::oxygenator::OxygenatorModel::clot_device_factor`]).
pub fn step_thrombus(
    t: &mut Thrombus,
    dt_s: f64,
    anti_xa: f64,
    flow: f64,
    factor: f64,
    device: f64,
) {
    t.step(
        dt_s * factor,
        &ClotDrivers {
            anti_xa_iu_ml: anti_xa,
            circuit_flow_lpm: flow,
            coating: Coating::Uncoated,
            oxygenator_device: device,
        },
    );
}

struct State {
    heparin: Heparin,
    thrombus: Thrombus,
    fhb: PlasmaFreeHb,
}

/// Run the circuit. `progress` draws a bar when the run takes over a second.
pub fn run(c: &Circuit, o: &Options, progress: bool) -> Result<DurabilityResult, String> {
    o.validate()?;
    let start = std::time::Instant::now();
    // ISO 7199 venous blood (SO2 65 %, PCO2 45 mmHg) at the patient's Hb.
    let (inlet, chem) = venous_inlet(o.hb_g_dl, 0.65, 45.0);
    let hct = hct_from_hb(o.hb_g_dl);
    let visc = blood_viscosity_mpa_s(hct, 37.0);
    let plasma_ml = o.weight_kg * 70.0 * (1.0 - hct);
    let tubing = Tubing::ADULT_3_8_IN;
    let ox = &c.oxygenator.model;
    let factor = c.coating.thrombogenicity;
    let device = ox.clot_device_factor();
    let sweep = |q: f64| Sweep::new(o.sweep_lpm.unwrap_or(q), 1.0);
    let ret = c.ret.unwrap_or(c.drainage);
    // Head the circuit asks of the pump at flow q with oxygenator clot f.
    let required = |q: f64, f: f64| {
        o.return_mmhg - o.venous_mmhg
            + c.drainage.model.drainage_drop_mmhg(q)
            + ox.pressure_drop_mmhg(q, f)
            + ret.model.return_drop_mmhg(q)
            + tubing.pressure_drop_mmhg(q, visc)
    };
    // Speed and delivered flow: the set flow if the drive can, else what its maximum gives.
    let operate = |f: f64| -> (f64, f64, bool) {
        let q = o.flow_lpm;
        match speed_for(c.pump, q, required(q, f)) {
            Some(n) => (n, q, false),
            None => {
                let n = c.pump.model.max_rpm;
                let (mut lo, mut hi) = (0.0, q);
                for _ in 0..60 {
                    let mid = 0.5 * (lo + hi);
                    if c.pump.model.head_mmhg(n, mid) >= required(mid, f) {
                        lo = mid
                    } else {
                        hi = mid
                    }
                }
                (n, lo, true)
            }
        }
    };
    let dp_clean = ox.pressure_drop_mmhg(o.flow_lpm, 0.0);
    let o2_clean = ox
        .transfer(o.flow_lpm, inlet, &chem, sweep(o.flow_lpm), 0.0)
        .o2_ml_min;

    let mut s = State {
        heparin: Heparin::new(o.weight_kg),
        thrombus: Thrombus::default(),
        fhb: PlasmaFreeHb::new(),
    };
    s.heparin.bolus(o.heparin_bolus_u_kg * o.weight_kg);
    s.heparin.set_infusion(o.heparin_u_kg_h * o.weight_kg);

    let dt = o.step_min * 60.0;
    let n_steps = (o.days * 86_400.0 / dt).round() as u64;
    let per_hour = (3600.0 / dt).round() as u64;
    // A patient window costs about as much as this many slow steps (for the bar only).
    const WINDOW_UNITS: u64 = 200;
    let n_windows = if o.patient.is_some() {
        o.days.floor() as u64 + 1
    } else {
        0
    };
    let mut bar = Progress::new(
        &format!("durability {} days", o.days),
        n_steps + WINDOW_UNITS * n_windows,
        progress,
    );
    let mut patient = match &o.patient {
        Some(name) => Some(Patient::new(name, c, o, operate(0.0).0)?),
        None => None,
    };
    let mut checks = Vec::new();
    if let Some(p) = patient.as_mut() {
        checks.push(p.check(0.0, 0.0)?);
        bar.inc(WINDOW_UNITS);
    }
    let mut rows = Vec::new();
    let mut rated = vec![(0.0, ox.rated_flow_lpm(0.0))];
    let (mut dp_day, mut o2_day, mut limited) = (None, None, false);
    let mut steps = 0u64;

    let record = |s: &State, t_s: f64, f: f64| -> (Row, bool) {
        let (rpm, q, lim) = operate(f);
        let tr = ox.transfer(q, inlet, &chem, sweep(q), f);
        (
            Row {
                day: t_s / 86_400.0,
                anti_xa: s.heparin.anti_xa_iu_ml(),
                act_s: s.heparin.act_s(),
                clot_oxygenator: f,
                clot_pump: s.thrombus.pump_fraction,
                flow_lpm: q,
                rpm,
                head_mmhg: c.pump.model.head_mmhg(rpm, q),
                dp_oxy_mmhg: ox.pressure_drop_mmhg(q, f),
                o2_ml_min: tr.o2_ml_min,
                co2_ml_min: tr.co2_ml_min,
                outlet_po2_mmhg: tr.outlet_gas.po2_mmhg,
                fhb_mg_dl: s.fhb.measured_mg_dl(),
            },
            lim,
        )
    };
    rows.push(record(&s, 0.0, 0.0).0);

    // The reported run, then the prediction run with hourly steps.
    let mut t = 0.0;
    let horizon_s = o.horizon_days.max(o.days) * 86_400.0;
    while t < horizon_s - 1e-6 && (dp_day.is_none() || o2_day.is_none() || steps < n_steps) {
        let in_run = steps < n_steps;
        let h = if in_run { dt } else { 3600.0 };
        let f_before = s.thrombus.oxygenator_fraction;
        let (rpm, q, lim) = operate(f_before);
        s.heparin.step(h);
        let axa = s.heparin.anti_xa_iu_ml();
        step_thrombus(&mut s.thrombus, h, axa, q, factor, device);
        let release = c.pump.hemolysis.release_mg_per_s(rpm, q, o.hb_g_dl)
            + oxygenator_release_mg_per_s(q, o.hb_g_dl, f_before);
        s.fhb.step(h, release, plasma_ml);
        t += h;
        steps += 1;
        let f = s.thrombus.oxygenator_fraction;
        if dp_day.is_none() && ox.pressure_drop_mmhg(o.flow_lpm, f) >= o.dp_factor * dp_clean {
            dp_day = Some(t / 86_400.0);
        }
        if in_run {
            limited |= lim;
            if steps.is_multiple_of(per_hour) {
                let (row, _) = record(&s, t, f);
                if o2_day.is_none() && row.o2_ml_min < o.o2_fraction * o2_clean {
                    o2_day = Some(t / 86_400.0);
                }
                rows.push(row);
            }
            if steps.is_multiple_of(24 * per_hour) {
                rated.push((t / 86_400.0, ox.rated_flow_lpm(f)));
                if let Some(p) = patient.as_mut() {
                    checks.push(p.check((t / 86_400.0).round(), f)?);
                    bar.inc(WINDOW_UNITS);
                }
            }
            bar.inc(1);
        } else if o2_day.is_none() {
            let (_, q2, _) = operate(f);
            let o2 = ox.transfer(q2, inlet, &chem, sweep(q2), f).o2_ml_min;
            if o2 < o.o2_fraction * o2_clean {
                o2_day = Some(t / 86_400.0);
            }
        }
    }
    bar.finish();
    Ok(DurabilityResult {
        label: format!(
            "{} + {} + {}",
            c.pump.meta.name, c.oxygenator.meta.name, c.coating.meta.name
        ),
        pump: c.pump.meta.name.clone(),
        oxygenator: c.oxygenator.meta.name.clone(),
        coating: c.coating.meta.name.clone(),
        options: o.clone(),
        oxygenator_max_flow_lpm: ox.max_flow_lpm,
        rows,
        rated_flow: rated,
        dp_clean_mmhg: dp_clean,
        o2_clean_ml_min: o2_clean,
        dp_day,
        o2_day,
        flow_limited: limited,
        steps,
        elapsed_s: start.elapsed().as_secs_f64(),
        patient_checks: checks,
    })
}

fn day_cell(d: Option<f64>, horizon: f64) -> Cell {
    match d {
        Some(d) => Cell::Num(d, 1),
        None => Cell::text(format!("> {horizon:.0}")),
    }
}

pub fn summary_table(results: &[DurabilityResult]) -> Table {
    let mut t = Table::new(
        "durability-summary",
        "Durability: start → end of the run, and predicted oxygenator change-out",
        &[
            "circuit",
            "days",
            "flow (L/min)",
            "ΔP oxy (mmHg)",
            "O2 (mL/min)",
            "CO2 (mL/min)",
            "pump (rpm)",
            "fHb end (mg/dL)",
            "fHb max (mg/dL)",
            "ΔP ×2 day",
            "O2 loss day",
            "change-out day",
            "patient SaO2 (%)",
        ],
    );
    for r in results {
        // A run always records its start, so both exist.
        let (Some(a), Some(b)) = (r.rows.first(), r.rows.last()) else {
            continue;
        };
        let fmax = r.rows.iter().map(|x| x.fhb_mg_dl).fold(0.0, f64::max);
        let hz = r.options.horizon_days;
        t.push(vec![
            Cell::text(&r.label),
            Cell::Num(r.options.days, 1),
            Cell::text(format!("{:.2} → {:.2}", a.flow_lpm, b.flow_lpm)),
            Cell::text(format!("{:.1} → {:.1}", a.dp_oxy_mmhg, b.dp_oxy_mmhg)),
            Cell::text(format!("{:.0} → {:.0}", a.o2_ml_min, b.o2_ml_min)),
            Cell::text(format!("{:.0} → {:.0}", a.co2_ml_min, b.co2_ml_min)),
            Cell::text(format!("{:.0} → {:.0}", a.rpm, b.rpm)),
            Cell::Num(b.fhb_mg_dl, 2),
            Cell::Num(fmax, 2),
            day_cell(r.dp_day, hz),
            day_cell(r.o2_day, hz),
            day_cell(r.change_out_day(), hz),
            match (r.patient_checks.first(), r.patient_checks.last()) {
                (Some(p0), Some(p1)) => {
                    Cell::text(format!("{:.1} → {:.1}", 100.0 * p0.sao2, 100.0 * p1.sao2))
                }
                _ => Cell::text("no patient"),
            },
        ]);
    }
    t
}

const ROW_COLUMNS: &[Column<Row>] = &[
    Column::num("day", 3, |x| x.day),
    Column::num("anti-Xa (IU/mL)", 3, |x| x.anti_xa),
    Column::num("ACT (s)", 0, |x| x.act_s),
    Column::pct("oxygenator clot (%)", 2, |x| x.clot_oxygenator),
    Column::pct("pump-head clot (%)", 2, |x| x.clot_pump),
    Column::num("flow (L/min)", 2, |x| x.flow_lpm),
    Column::num("pump speed (rpm)", 0, |x| x.rpm),
    Column::num("pump head (mmHg)", 1, |x| x.head_mmhg),
    Column::num("ΔP oxygenator (mmHg)", 1, |x| x.dp_oxy_mmhg),
    Column::num("O2 transfer (mL/min)", 1, |x| x.o2_ml_min),
    Column::num("CO2 transfer (mL/min)", 1, |x| x.co2_ml_min),
    Column::num("outlet PO2 (mmHg)", 1, |x| x.outlet_po2_mmhg),
    Column::num("plasma free Hb (mg/dL)", 3, |x| x.fhb_mg_dl),
];

const PATIENT_COLUMNS: &[Column<PatientCheck>] = &[
    Column::num("day", 0, |x| x.day),
    Column::pct("oxygenator clot (%)", 2, |x| x.clot_oxygenator),
    Column::num("flow (L/min)", 2, |x| x.flow_lpm),
    Column::num("pump speed (rpm)", 0, |x| x.rpm),
    Column::num("ΔP oxygenator (mmHg)", 1, |x| x.dp_oxy_mmhg),
    Column::num("post-oxygenator PO2 (mmHg)", 1, |x| x.post_oxy_po2_mmhg),
    Column::num("oxygenator O2 (mL/min)", 1, |x| x.oxy_o2_ml_min),
    Column::num("oxygenator CO2 (mL/min)", 1, |x| x.oxy_co2_ml_min),
    Column::pct("SaO2 (%)", 1, |x| x.sao2),
    Column::num("PaO2 (mmHg)", 1, |x| x.pao2_mmhg),
    Column::num("PaCO2 (mmHg)", 1, |x| x.paco2_mmhg),
];

fn rows_table(r: &DurabilityResult) -> Table {
    let mut t = r.table("hourly", "hourly record", &headers(ROW_COLUMNS));
    t.push_rows(&r.rows, ROW_COLUMNS, &[]);
    t
}

fn rated_table(r: &DurabilityResult) -> Table {
    let mut t = r.table(
        "rated-flow",
        "ISO 7199 rated flow of the clotting oxygenator, daily",
        &["day", "rated flow (L/min)"],
    );
    for (d, q) in &r.rated_flow {
        t.push(vec![Cell::Num(*d, 0), Cell::Num(*q, 2)]);
    }
    t
}

pub fn plots(results: &[DurabilityResult]) -> Vec<Plot> {
    let mk = |title: &str, y: &str, f: fn(&Row) -> f64| {
        let mut p = Plot::new(title, "day", y);
        for r in results {
            p = p.with(Series::new(
                &r.label,
                r.rows.iter().map(|x| (x.day, f(x))).collect(),
            ));
        }
        p
    };
    let mut dp = mk("Oxygenator ΔP", "ΔP (mmHg)", |x| x.dp_oxy_mmhg);
    if let Some(r) = results.first() {
        dp = dp.hline(r.options.dp_factor * r.dp_clean_mmhg, "change-out ΔP");
    }
    let mut o2 = mk("O2 transfer", "O2 (mL/min)", |x| x.o2_ml_min);
    if let Some(r) = results.first() {
        o2 = o2.hline(r.options.o2_fraction * r.o2_clean_ml_min, "change-out O2");
    }
    vec![
        dp,
        o2,
        mk("CO2 transfer", "CO2 (mL/min)", |x| x.co2_ml_min),
        mk("Plasma free Hb", "fHb (mg/dL)", |x| x.fhb_mg_dl),
        mk("Pump speed", "rpm", |x| x.rpm),
        mk("Anti-Xa", "anti-Xa (IU/mL)", |x| x.anti_xa),
    ]
}

pub fn report(results: &[DurabilityResult]) -> Report {
    let mut sec = Section::new("Slow subsystems over the run");
    if let Some(r) = results.first() {
        let o = &r.options;
        sec.paragraphs.push(format!(
            "Set flow {} L/min, sweep {}, FdO2 1.0; oxygenator inlet blood at ISO 7199 venous conditions \
             (SO2 65 %, PCO2 45 mmHg) at Hb {} g/dL; patient {} kg; heparin {} U/kg bolus then {} U/kg/h; \
             drainage-site {} mmHg, return-site {} mmHg, 2 m of 3/8″ tubing; step {} min, hourly records.",
            o.flow_lpm,
            o.sweep_lpm.map_or("1:1 with blood".to_string(), |s| format!("{s} L/min")),
            o.hb_g_dl,
            o.weight_kg,
            o.heparin_bolus_u_kg,
            o.heparin_u_kg_h,
            o.venous_mmhg,
            o.return_mmhg,
            o.step_min
        ));
    }
    for r in results {
        sec.paragraphs
            .push(format!("{}: {}.", r.label, r.criterion()));
        if let Some(w) = r.beyond_label() {
            sec.paragraphs.push(format!("{}: {w}.", r.label));
        }
        if r.flow_limited {
            sec.paragraphs.push(format!(
                "{}: the pump reached its maximum speed and could not hold the set flow.",
                r.label
            ));
        }
    }
    sec.plots = plots(results);
    for r in results {
        sec.tables.push(rated_table(r));
        sec.tables.push(rows_table(r));
    }
    let mut sections = vec![sec];
    if results.iter().any(|r| !r.patient_checks.is_empty()) {
        sections.push(patient_section(results));
    }
    let slug = results
        .iter()
        .map(|r| format!("{}-{}-{}", r.pump, r.oxygenator, r.coating))
        .collect::<Vec<_>>()
        .join("_");
    Report {
        slug: format!("durability_{slug}"),
        title: format!(
            "Durability bench: {}",
            results.iter().map(|r| r.label.as_str()).collect::<Vec<_>>().join("; ")
        ),
        intro: vec![
            "Models: physio::coagulation (heparin PK, autocatalytic thrombus by coating, heparin and flow), \
             physio::oxygenator (ΔP and transfer with clot), physio::pump and physio::hemolysis (speed to hold \
             the flow; free Hb with haptoglobin kinetics)."
                .into(),
        ],
        sections,
        summary: vec![summary_table(results)],
    }
}

fn patient_section(results: &[DurabilityResult]) -> Section {
    let mut sec = Section::new("The circuit on a patient (full digital twin, daily windows)");
    let preset = results
        .iter()
        .find_map(|r| r.options.patient.clone())
        .unwrap_or_default();
    sec.paragraphs.push(format!(
        "physio preset `{preset}` with the circuit's pump, oxygenator and cannulae, weight and Hb of the run.          The twin settles for {:.0} s, then at each whole day takes that day's oxygenator clot burden and runs          {:.0} s more (state carried over), a flow-mode loop on the pump speed holding the set flow; values are          means over the last {:.0} s. Oxygenator transfer here is on the patient's own venous blood, not ISO blood.",
        crate::invivo::SETTLE_S,
        crate::invivo::WINDOW_S,
        crate::invivo::MEAN_S
    ));
    let mk = |title: &str, y: &str, f: fn(&PatientCheck) -> f64| {
        let mut p = Plot::new(title, "day", y);
        for r in results {
            p = p.with(Series::new(
                &r.label,
                r.patient_checks.iter().map(|x| (x.day, f(x))).collect(),
            ));
        }
        p
    };
    sec.plots = vec![
        mk("Patient arterial SaO2", "SaO2 (%)", |x| 100.0 * x.sao2),
        mk("Post-oxygenator PO2", "PO2 (mmHg)", |x| x.post_oxy_po2_mmhg),
        mk("Pump speed to hold the flow (twin)", "rpm", |x| x.rpm),
    ];
    for r in results.iter().filter(|r| !r.patient_checks.is_empty()) {
        let mut columns = headers(PATIENT_COLUMNS);
        columns.push("drainage suction");
        let mut t = r.table("patient", "daily checks on the patient", &columns);
        let suction = |x: &PatientCheck| if x.suction { "yes" } else { "no" };
        t.push_rows(&r.patient_checks, PATIENT_COLUMNS, &[&suction]);
        sec.tables.push(t);
    }
    sec
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::catalogue::Catalogue;

    fn circuit<'a>(c: &'a Catalogue, coating: &str) -> Circuit<'a> {
        Circuit {
            pump: c.pump("rotaflow").unwrap(),
            oxygenator: c.oxygenator("quadrox-adult").unwrap(),
            coating: c.coating(coating).unwrap(),
            drainage: c.cannula("drainage-25fr").unwrap(),
            ret: Some(c.cannula("return-21fr").unwrap()),
        }
    }

    #[test]
    fn coating_by_time_scaling_equals_physio_coatings() {
        for coat in [Coating::HeparinBonded, Coating::LongActing] {
            let mut a = Thrombus::default();
            let mut b = Thrombus::default();
            for _ in 0..100 {
                step_thrombus(&mut a, 3600.0, 0.3, 4.0, coat.factor(), 1.0);
                b.step(
                    3600.0,
                    &ClotDrivers {
                        anti_xa_iu_ml: 0.3,
                        circuit_flow_lpm: 4.0,
                        coating: coat,
                        oxygenator_device: 1.0,
                    },
                );
            }
            assert!((a.oxygenator_fraction - b.oxygenator_fraction).abs() < 1e-12);
            assert!((a.pump_fraction - b.pump_fraction).abs() < 1e-12);
        }
    }

    /// Physical sense of a run: ΔP and speed never fall, O2 transfer never rises, clot within
    /// 0..1, free Hb non-negative; a better coating lasts longer.
    #[test]
    fn durability_trends_and_coating_order() {
        let c = Catalogue::builtin().unwrap();
        let o = Options::for_days(7.0);
        let mut days = Vec::new();
        for coat in ["uncoated", "heparin-bonded", "long-acting"] {
            let r = run(&circuit(&c, coat), &o, false).unwrap();
            assert_eq!(r.rows.len(), 7 * 24 + 1);
            for w in r.rows.windows(2) {
                assert!(w[1].dp_oxy_mmhg >= w[0].dp_oxy_mmhg - 1e-9);
                assert!(w[1].rpm >= w[0].rpm - 1e-6 || r.flow_limited);
                assert!(w[1].o2_ml_min <= w[0].o2_ml_min + 1e-6);
                assert!((0.0..=1.0).contains(&w[1].clot_oxygenator));
                assert!(w[1].fhb_mg_dl >= 0.0);
            }
            assert!((r.rows[0].dp_oxy_mmhg - r.dp_clean_mmhg).abs() < 1e-9);
            days.push(r.change_out_day().unwrap_or(f64::INFINITY));
        }
        assert!(days[0] < days[1] && days[1] < days[2], "{days:?}");
        // Uncoated, heparinised: change-out within days, not hours (physio: ~weeks only with
        // heparin-bonded surfaces).
        assert!(days[0] > 1.0, "{days:?}");
    }

    /// Same catalogue and options, same report, byte for byte (the wall time stays out of it).
    #[test]
    fn reports_are_deterministic() {
        let c = Catalogue::builtin().unwrap();
        let o = Options::for_days(1.0);
        let a = run(&circuit(&c, "uncoated"), &o, false).unwrap();
        let b = run(&circuit(&c, "uncoated"), &o, false).unwrap();
        let (ra, rb) = (report(&[a]), report(&[b]));
        assert_eq!(ra.to_html(), rb.to_html());
        for (x, y) in ra.tables().zip(rb.tables()) {
            assert_eq!(x.to_csv(), y.to_csv());
        }
    }

    #[test]
    fn options_are_checked() {
        let o = Options {
            flow_lpm: 30.0,
            ..Options::default()
        };
        assert!(o.validate().unwrap_err().contains("--flow"));
        let o = Options {
            step_min: 7.0,
            ..Options::default()
        };
        assert!(o.validate().unwrap_err().contains("--step-min"));
    }
}
