//! Side-by-side comparison of designs of one kind, with a verdict per criterion.
//!
//! Each criterion is a figure the standard has the maker report, under the standard's own
//! conditions, and the direction in which it is better:
//!
//! | kind | criterion | standard | better |
//! |---|---|---|---|
//! | oxygenator | rated blood flow (outlet SO2 95 %) | ISO 7199 | higher |
//! | oxygenator | O2 and CO2 transfer rate at a common blood flow | ISO 7199 | higher |
//! | oxygenator | blood-side pressure drop at that flow | ISO 7199 | lower |
//! | oxygenator | priming volume | maker's data sheet | lower |
//! | oxygenator | days to change-out in the default circuit | durability (this bench) | later |
//! | pump | NIH at 5 L/min against 350 mmHg, and at each off-design point | ASTM F1841 | lower |
//! | pump | hydraulic efficiency at the standard point | ISO 18242 hydraulic data | higher |
//! | pump | head at the maximum speed and 5 L/min | ISO 18242 hydraulic data | higher |
//! | pump | plasma free Hb at the end of the default durability run | durability (this bench) | lower |
//! | coating | days to change-out, ΔP and O2 transfer at the end of the run | durability | later / lower / higher |
//! | cannula | pressure drop at 4 and 5 L/min | maker's ΔP–flow curve | lower |
//!
//! The common oxygenator flow is 5 L/min, or the smallest labelled maximum among the designs
//! when that is lower (a device is not tested beyond its label).
//!
//! Verdict: the best design by the criterion, or "no meaningful difference" when every design
//! lies within [`EQUIVALENCE`] (relative) of the best: the models are calibrated to a few
//! per cent at best (see the catalogue's tolerances), so smaller differences are not evidence.
//! A design that cannot reach a test point (a pump beyond its drive's maximum speed) loses that
//! criterion and the verdict says so. For NIH the verdict also gives each design's grade.
use crate::catalogue::{Catalogue, Design};
use crate::durability::{self, Circuit, DurabilityResult, Options};
use crate::oxytest::{self, OxyResult};
use crate::pumptest::{self, PumpResult, nih_grade};
use crate::report::{Cell, Report, Section, Table};

/// Relative difference below which designs count as equivalent.
pub const EQUIVALENCE: f64 = 0.03;

/// Which way a criterion improves.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Better {
    Higher,
    Lower,
}

/// One criterion with every design's value and the verdict.
#[derive(Clone, Debug, PartialEq)]
pub struct Criterion {
    pub what: String,
    /// The standard (or data sheet) and its conditions.
    pub standard: String,
    pub unit: String,
    pub better: Better,
    /// Per design, in the order given; None where the design cannot reach the test point.
    pub values: Vec<Option<f64>>,
    pub verdict: String,
    /// Index of the best design, None when equivalent.
    pub winner: Option<usize>,
}

/// Decide a criterion (module docs).
pub fn verdict(
    names: &[String],
    values: &[Option<f64>],
    better: Better,
) -> (Option<usize>, String) {
    let dir = |v: f64| if better == Better::Higher { v } else { -v };
    let reached: Vec<(usize, f64)> = values
        .iter()
        .enumerate()
        .filter_map(|(i, v)| v.filter(|x| x.is_finite()).map(|x| (i, x)))
        .collect();
    let missing: Vec<&str> = values
        .iter()
        .enumerate()
        .filter(|(_, v)| v.is_none_or(|x| !x.is_finite()))
        .map(|(i, _)| names[i].as_str())
        .collect();
    let Some(&(best, bv)) = reached.iter().max_by(|a, b| dir(a.1).total_cmp(&dir(b.1))) else {
        return (None, "no design reaches this test point".into());
    };
    let scale = bv.abs().max(1e-12);
    let all_close = missing.is_empty()
        && reached
            .iter()
            .all(|(_, v)| (v - bv).abs() / scale <= EQUIVALENCE);
    if all_close {
        return (
            None,
            format!(
                "no meaningful difference (all within {:.0} %)",
                100.0 * EQUIVALENCE
            ),
        );
    }
    // The runner-up among those reached, for the margin.
    let runner = reached
        .iter()
        .filter(|(i, _)| *i != best)
        .max_by(|a, b| dir(a.1).total_cmp(&dir(b.1)));
    let word = if better == Better::Higher {
        "higher"
    } else {
        "lower"
    };
    let mut s = match runner {
        Some(&(j, rv)) if (rv - bv).abs() / scale <= EQUIVALENCE => {
            // Tied at the top with someone: name both, no single winner.
            return (
                None,
                format!(
                    "{} and {} equivalent at best (within {:.0} %)",
                    names[best],
                    names[j],
                    100.0 * EQUIVALENCE
                ),
            );
        }
        Some(&(j, rv)) => format!(
            "{} better ({word}; {:+.0} % against {})",
            names[best],
            100.0 * (bv - rv) / rv.abs().max(1e-12),
            names[j]
        ),
        None => format!("{} better", names[best]),
    };
    if !missing.is_empty() {
        s.push_str(&format!("; not reached by {}", missing.join(", ")));
    }
    (Some(best), s)
}

fn criterion(
    names: &[String],
    what: &str,
    standard: &str,
    unit: &str,
    better: Better,
    values: Vec<Option<f64>>,
) -> Criterion {
    let (winner, verdict) = verdict(names, &values, better);
    Criterion {
        what: what.into(),
        standard: standard.into(),
        unit: unit.into(),
        better,
        values,
        verdict,
        winner,
    }
}

/// The outcome of a comparison: criteria and the full test reports behind them.
#[derive(Clone, Debug)]
pub struct Comparison {
    pub kind: &'static str,
    pub names: Vec<String>,
    pub criteria: Vec<Criterion>,
    /// The underlying tests' own report (every point), merged below the verdicts.
    pub detail: Report,
}

/// The default circuit of comparisons that need one (durability): the same as
/// `ecmo bench durability` with no options.
pub struct DefaultCircuit {
    pub pump: &'static str,
    pub oxygenator: &'static str,
    pub coating: &'static str,
    pub drainage: &'static str,
    pub ret: &'static str,
}

pub const DEFAULT_CIRCUIT: DefaultCircuit = DefaultCircuit {
    pump: "rotaflow",
    oxygenator: "quadrox-adult",
    coating: "heparin-bonded",
    drainage: "drainage-25fr",
    ret: "return-21fr",
};

fn default_circuit<'a>(
    c: &'a Catalogue,
    pump: Option<&str>,
    oxy: Option<&str>,
    coating: Option<&str>,
) -> Result<Circuit<'a>, String> {
    Ok(Circuit {
        pump: c.pump(pump.unwrap_or(DEFAULT_CIRCUIT.pump))?,
        oxygenator: c.oxygenator(oxy.unwrap_or(DEFAULT_CIRCUIT.oxygenator))?,
        coating: c.coating(coating.unwrap_or(DEFAULT_CIRCUIT.coating))?,
        drainage: c.cannula(DEFAULT_CIRCUIT.drainage)?,
        ret: Some(c.cannula(DEFAULT_CIRCUIT.ret)?),
    })
}

/// Compare designs by name. All must be of one kind; at least two, no repeats.
pub fn run(
    c: &Catalogue,
    names: &[String],
    opts: &Options,
    progress: bool,
) -> Result<Comparison, String> {
    if names.len() < 2 {
        return Err("compare needs at least two designs".into());
    }
    for (i, n) in names.iter().enumerate() {
        if names[..i].contains(n) {
            return Err(format!("`{n}` is named twice"));
        }
    }
    let designs: Vec<&Design> = names.iter().map(|n| c.find(n)).collect::<Result<_, _>>()?;
    let kind = designs[0].kind();
    if let Some(d) = designs.iter().find(|d| d.kind() != kind) {
        return Err(format!(
            "compare needs designs of one kind: `{}` is {}, `{}` {}",
            names[0],
            designs[0].a_kind(),
            d.meta().name,
            d.a_kind()
        ));
    }
    opts.validate()?;
    let ask = Ask {
        c,
        names,
        opts,
        progress,
    };
    match kind {
        "oxygenator" => oxygenators(&ask),
        "pump" => pumps(&ask),
        "coating" => coatings(&ask),
        _ => cannulae(&ask),
    }
}

/// One comparison's question: the catalogue, the designs named (checked: two or more of one
/// kind, no repeats) and the test options. Every kind's comparison reads it.
struct Ask<'a> {
    c: &'a Catalogue,
    names: &'a [String],
    opts: &'a Options,
    progress: bool,
}

impl Ask<'_> {
    /// Each named design through `f`, in order; the first refusal ends it.
    fn each<T>(&self, f: impl Fn(&str) -> Result<T, String>) -> Result<Vec<T>, String> {
        self.names.iter().map(|n| f(n)).collect()
    }

    /// Durability runs in the default circuit, `pick` naming which part each design replaces
    /// (pump, oxygenator, coating).
    fn durability_runs(
        &self,
        opts: &Options,
        pick: impl Fn(&str) -> (Option<&str>, Option<&str>, Option<&str>),
    ) -> Result<Vec<DurabilityResult>, String> {
        self.each(|n| {
            let (p, o, k) = pick(n);
            durability::run(&default_circuit(self.c, p, o, k)?, opts, self.progress)
        })
    }

    fn comparison(
        &self,
        kind: &'static str,
        criteria: Vec<Criterion>,
        detail: Report,
    ) -> Comparison {
        Comparison {
            kind,
            names: self.names.to_vec(),
            criteria,
            detail,
        }
    }
}

fn oxygenators(ask: &Ask) -> Result<Comparison, String> {
    let (c, names, opts) = (ask.c, ask.names, ask.opts);
    let res: Vec<OxyResult> =
        ask.each(|n| c.oxygenator(n).map(|d| oxytest::run(d, ask.progress)))?;
    // Common flow: 5 L/min or the smallest label, on the test grid.
    let label = res.iter().map(|r| r.max_flow_lpm).fold(5.0, f64::min);
    let q = oxytest::flows()
        .into_iter()
        .filter(|f| *f <= label + 1e-9)
        .fold(0.5, f64::max);
    let at = |f: fn(&oxytest::OxyPoint) -> f64| -> Vec<Option<f64>> {
        res.iter().map(|r| r.at(q).map(f)).collect()
    };
    let iso = format!(
        "ISO 7199: blood {q} L/min, inlet Hb 12 g/dL, SO2 65 %, PCO2 45 mmHg, 37 °C; gas:blood 1:1, FdO2 1.0"
    );
    // Durability at the set flow, or the smallest label when that is lower.
    let dopts = Options {
        flow_lpm: opts.flow_lpm.min(label),
        ..opts.clone()
    };
    let dur = ask.durability_runs(&dopts, |n| (None, Some(n), None))?;
    let criteria = vec![
        criterion(
            names,
            "rated blood flow (outlet SO2 95 %)",
            "ISO 7199: standard venous inlet, gas:blood 1:1, FdO2 1.0",
            "L/min",
            Better::Higher,
            res.iter().map(|r| Some(r.rated_flow_lpm)).collect(),
        ),
        criterion(
            names,
            "oxygen transfer rate",
            &iso,
            "mL/min",
            Better::Higher,
            at(|p| p.o2_ml_min),
        ),
        criterion(
            names,
            "carbon dioxide transfer rate",
            &iso,
            "mL/min",
            Better::Higher,
            at(|p| p.co2_ml_min),
        ),
        criterion(
            names,
            "blood-side pressure drop",
            &iso,
            "mmHg",
            Better::Lower,
            at(|p| p.dp_mmhg),
        ),
        criterion(
            names,
            "priming volume",
            "maker's data sheet (catalogue)",
            "mL",
            Better::Lower,
            res.iter().map(|r| Some(r.priming_ml)).collect(),
        ),
        change_out_criterion(names, &dur),
    ];
    let mut detail = oxytest::report(&res);
    detail.sections.extend(durability::report(&dur).sections);
    detail.summary.extend(durability::report(&dur).summary);
    Ok(ask.comparison("oxygenator", criteria, detail))
}

fn change_out_criterion(names: &[String], dur: &[DurabilityResult]) -> Criterion {
    let o = &dur[0].options;
    // Beyond the horizon counts as the horizon (a floor), so the order stays right.
    criterion(
        names,
        "days to oxygenator change-out",
        &format!(
            "durability: {} L/min, heparin {} U/kg/h, ΔP ×{} or O2 transfer below {:.0} % (horizon {} days)",
            o.flow_lpm,
            o.heparin_u_kg_h,
            o.dp_factor,
            100.0 * o.o2_fraction,
            o.horizon_days
        ),
        "day",
        Better::Higher,
        dur.iter()
            .map(|r| Some(r.change_out_day().unwrap_or(o.horizon_days)))
            .collect(),
    )
}

fn pumps(ask: &Ask) -> Result<Comparison, String> {
    let (c, names, opts) = (ask.c, ask.names, ask.opts);
    let res: Vec<PumpResult> = ask.each(|n| c.pump(n).map(|d| pumptest::run(d, ask.progress)))?;
    let mut criteria = Vec::new();
    for (i, (label, q, h)) in pumptest::HEMOLYSIS_POINTS.iter().enumerate() {
        let values: Vec<Option<f64>> = res.iter().map(|r| r.hemolysis[i].nih).collect();
        let mut cr = criterion(
            names,
            &format!("NIH, {label}"),
            &format!(
                "ASTM F1841: {} L loop, Hct {} %, 6 h; {q} L/min against {h} mmHg",
                pumptest::LOOP_VOLUME_L,
                pumptest::LOOP_HCT_PCT
            ),
            "g/100 L",
            Better::Lower,
            values.clone(),
        );
        let grades: Vec<String> = names
            .iter()
            .zip(&values)
            .map(|(n, v)| match v {
                Some(x) => format!("{n}: {}", nih_grade(*x)),
                None => format!("{n}: not reachable"),
            })
            .collect();
        cr.verdict = format!("{} [{}]", cr.verdict, grades.join("; "));
        criteria.push(cr);
    }
    criteria.push(criterion(
        names,
        "hydraulic efficiency at the standard point",
        "ISO 18242 hydraulic data: 5 L/min against 350 mmHg",
        "%",
        Better::Higher,
        res.iter()
            .map(|r| r.standard().efficiency.map(|e| 100.0 * e))
            .collect(),
    ));
    criteria.push(criterion(
        names,
        "head at the maximum speed, 5 L/min",
        "ISO 18242 hydraulic data: head–flow curve at the drive's maximum speed",
        "mmHg",
        Better::Higher,
        names
            .iter()
            .map(|n| {
                c.pump(n)
                    .ok()
                    .map(|d| d.model.head_mmhg(d.model.max_rpm, 5.0))
            })
            .collect(),
    ));
    criteria.push(criterion(
        names,
        "priming volume",
        "maker's data sheet (catalogue)",
        "mL",
        Better::Lower,
        names
            .iter()
            .map(|n| c.pump(n).ok().map(|d| d.model.priming_ml))
            .collect(),
    ));
    let dur = ask.durability_runs(opts, |n| (Some(n), None, None))?;
    criteria.push(criterion(
        names,
        "plasma free Hb at the end of the run",
        &format!(
            "durability: {} days at {} L/min in the default circuit, patient {} kg",
            opts.days, opts.flow_lpm, opts.weight_kg
        ),
        "mg/dL",
        Better::Lower,
        dur.iter()
            .map(|r| r.rows.last().map(|x| x.fhb_mg_dl))
            .collect(),
    ));
    let mut detail = pumptest::report(&res);
    let d = durability::report(&dur);
    detail.sections.extend(d.sections);
    detail.summary.extend(d.summary);
    Ok(Comparison {
        kind: "pump",
        names: names.to_vec(),
        criteria,
        detail,
    })
}

fn coatings(ask: &Ask) -> Result<Comparison, String> {
    let (names, opts) = (ask.names, ask.opts);
    let dur = ask.durability_runs(opts, |n| (None, None, Some(n)))?;
    let cond = format!(
        "durability: {} days at {} L/min in the default circuit, heparin {} U/kg/h",
        opts.days, opts.flow_lpm, opts.heparin_u_kg_h
    );
    let last = |f: fn(&durability::Row) -> f64| -> Vec<Option<f64>> {
        dur.iter().map(|r| r.rows.last().map(f)).collect()
    };
    let criteria = vec![
        change_out_criterion(names, &dur),
        criterion(
            names,
            "oxygenator ΔP at the end of the run",
            &cond,
            "mmHg",
            Better::Lower,
            last(|x| x.dp_oxy_mmhg),
        ),
        criterion(
            names,
            "O2 transfer at the end of the run",
            &cond,
            "mL/min",
            Better::Higher,
            last(|x| x.o2_ml_min),
        ),
        criterion(
            names,
            "oxygenator clot at the end of the run",
            &cond,
            "%",
            Better::Lower,
            last(|x| 100.0 * x.clot_oxygenator),
        ),
    ];
    Ok(ask.comparison("coating", criteria, durability::report(&dur)))
}

fn cannulae(ask: &Ask) -> Result<Comparison, String> {
    let names = ask.names;
    let ds = ask.each(|n| ask.c.cannula(n))?;
    if let Some(d) = ds
        .iter()
        .find(|d| d.model.role_name() != ds[0].model.role_name())
    {
        return Err(format!(
            "compare needs cannulae of one role: `{}` is {}, `{}` {}",
            ds[0].meta.name,
            ds[0].model.role_name(),
            d.meta.name,
            d.model.role_name()
        ));
    }
    let mut criteria = Vec::new();
    let mut pts = Table::new(
        "cannula-dp",
        "Cannula pressure drop versus flow (return path; drainage lumen for dual-lumen)",
        &[
            "design",
            "flow (L/min)",
            "ΔP (mmHg)",
            "drainage-lumen ΔP (mmHg)",
        ],
    );
    for d in &ds {
        for i in 1..=28 {
            let q = 0.25 * i as f64;
            let dual = matches!(d.model, crate::catalogue::CannulaModel::DualLumen(_));
            pts.push(vec![
                Cell::text(&d.meta.name),
                Cell::Num(q, 2),
                Cell::Num(d.model.drop_mmhg(q), 1),
                Cell::Num(
                    if dual {
                        d.model.drainage_drop_mmhg(q)
                    } else {
                        f64::NAN
                    },
                    1,
                ),
            ]);
        }
    }
    for q in [4.0, 5.0] {
        criteria.push(criterion(
            names,
            &format!("pressure drop at {q} L/min"),
            "maker's ΔP–flow curve (catalogue fit), blood at 37 °C",
            "mmHg",
            Better::Lower,
            ds.iter().map(|d| Some(d.model.drop_mmhg(q))).collect(),
        ));
    }
    let mut sec = Section::new("Pressure drop versus flow");
    let mut plot = crate::report::Plot::new("Cannula ΔP", "flow (L/min)", "ΔP (mmHg)");
    for d in &ds {
        plot = plot.with(crate::report::Series::new(
            &d.meta.name,
            (1..=28)
                .map(|i| 0.25 * i as f64)
                .map(|q| (q, d.model.drop_mmhg(q)))
                .collect(),
        ));
    }
    sec.plots.push(plot);
    sec.tables.push(pts);
    Ok(ask.comparison(
        "cannula",
        criteria,
        Report {
            slug: String::new(),
            title: String::new(),
            intro: Vec::new(),
            sections: vec![sec],
            summary: Vec::new(),
        },
    ))
}

impl Comparison {
    /// The verdict table.
    pub fn table(&self) -> Table {
        let mut cols: Vec<String> = vec!["criterion".into(), "unit".into()];
        cols.extend(self.names.iter().cloned());
        cols.push("verdict".into());
        cols.push("standard and conditions".into());
        let colref: Vec<&str> = cols.iter().map(String::as_str).collect();
        let mut t = Table::new(
            "compare-verdicts",
            &format!("Comparison of {}s: verdict per criterion", self.kind),
            &colref,
        );
        for c in &self.criteria {
            let mut row = vec![Cell::text(&c.what), Cell::text(&c.unit)];
            let dec = if c.unit == "g/100 L" {
                4
            } else if c.unit == "L/min" || c.unit == "mg/dL" {
                2
            } else {
                1
            };
            row.extend(
                c.values
                    .iter()
                    .map(|v| Cell::Num(v.unwrap_or(f64::NAN), dec)),
            );
            row.push(Cell::text(&c.verdict));
            row.push(Cell::text(&c.standard));
            t.push(row);
        }
        t
    }

    /// The report: verdicts first, then every test behind them.
    pub fn report(&self) -> Report {
        let mut summary = vec![self.table()];
        summary.extend(self.detail.summary.iter().cloned());
        Report {
            slug: format!("compare_{}", self.names.join("_")),
            title: format!("Comparison ({}s): {}", self.kind, self.names.join(" vs ")),
            intro: vec![format!(
                "Each criterion is a figure the standard has reported, under its conditions; the verdict names \
                 the better design, or no meaningful difference when all lie within {:.0} % of the best \
                 (the models' calibration is not finer). Verdicts compare model predictions, they are not \
                 conformity claims.",
                100.0 * EQUIVALENCE
            )],
            sections: self.detail.sections.clone(),
            summary,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn names(v: &[&str]) -> Vec<String> {
        v.iter().map(|s| s.to_string()).collect()
    }

    #[test]
    fn verdict_rules() {
        let n = names(&["a", "b", "c"]);
        let (w, s) = verdict(&n, &[Some(10.0), Some(5.0), Some(7.0)], Better::Higher);
        assert_eq!(w, Some(0));
        assert!(s.starts_with("a better (higher; +43 % against c)"), "{s}");
        let (w, s) = verdict(&n, &[Some(10.0), Some(5.0), Some(7.0)], Better::Lower);
        assert_eq!(w, Some(1));
        assert!(s.starts_with("b better (lower"), "{s}");
        let (w, s) = verdict(&n, &[Some(10.0), Some(10.2), Some(9.9)], Better::Higher);
        assert_eq!(w, None);
        assert!(s.starts_with("no meaningful difference"), "{s}");
        let (w, s) = verdict(&n, &[Some(10.0), Some(10.1), Some(5.0)], Better::Higher);
        assert_eq!(w, None);
        assert!(s.contains("b and a equivalent at best"), "{s}");
        let (w, s) = verdict(&n, &[None, Some(1.0), Some(2.0)], Better::Lower);
        assert_eq!(w, Some(1));
        assert!(s.contains("not reached by a"), "{s}");
        // Equal values but one missing: the one reached wins.
        let (w, _) = verdict(&names(&["a", "b"]), &[Some(1.0), None], Better::Lower);
        assert_eq!(w, Some(0));
        let (w, s) = verdict(&names(&["a", "b"]), &[None, None], Better::Lower);
        assert_eq!(w, None);
        assert!(s.contains("no design"));
    }

    #[test]
    fn refuses_mixed_kinds_repeats_and_single() {
        let c = Catalogue::builtin().unwrap();
        let o = Options::default();
        let e = run(&c, &names(&["rotaflow", "quadrox-adult"]), &o, false).unwrap_err();
        assert!(e.contains("one kind") && e.contains("pump"), "{e}");
        assert!(run(&c, &names(&["rotaflow"]), &o, false).is_err());
        assert!(
            run(&c, &names(&["rotaflow", "rotaflow"]), &o, false)
                .unwrap_err()
                .contains("twice")
        );
        assert!(
            run(&c, &names(&["rotaflow", "centrimag"]), &o, false)
                .unwrap_err()
                .contains("no design named `centrimag`")
        );
    }

    /// Verdicts follow the physics: the bigger membrane transfers more and has the higher rated
    /// flow; the smaller has less priming. The coating that slows clot growth lasts longer.
    #[test]
    fn oxygenator_and_coating_verdicts() {
        let c = Catalogue::builtin().unwrap();
        let o = Options::for_days(3.0);
        let n = names(&["quadrox-adult", "quadrox-small-adult"]);
        let r = run(&c, &n, &o, false).unwrap();
        let by = |w: &str| r.criteria.iter().find(|c| c.what.starts_with(w)).unwrap();
        assert_eq!(by("rated blood flow").winner, Some(0));
        assert_eq!(by("oxygen transfer").winner, Some(0));
        assert_eq!(by("priming volume").winner, Some(1));
        // Common flow is the small device's 5 L/min label.
        assert!(by("oxygen transfer").standard.contains("blood 5 L/min"));
        // The small device's lower resistance gives it the lower ΔP.
        assert_eq!(by("blood-side pressure drop").winner, Some(1));
        // More blood per m² of membrane clots faster (physio::coagulation): the adult device
        // lasts longer, no longer a tie by construction.
        let days = by("days to");
        assert_eq!(days.winner, Some(0), "{days:?}");
        let t = r.table();
        assert_eq!(t.rows.len(), r.criteria.len());
        assert!(r.report().to_html().contains("id=\"compare-verdicts\""));

        // A small device's label sets the common flow for transfer and for durability.
        let r = run(&c, &names(&["quadrox-adult", "ecco2r-0.4"]), &o, false).unwrap();
        let by = |w: &str| r.criteria.iter().find(|c| c.what.starts_with(w)).unwrap();
        assert!(by("oxygen transfer").standard.contains("blood 2 L/min"));
        assert!(by("days to").standard.starts_with("durability: 2 L/min"));

        let n = names(&["uncoated", "long-acting"]);
        let r = run(&c, &n, &Options::default(), false).unwrap();
        for cr in &r.criteria {
            assert_eq!(cr.winner, Some(1), "{cr:?}");
        }
    }

    #[test]
    fn pump_and_cannula_verdicts() {
        let c = Catalogue::builtin().unwrap();
        let o = Options::for_days(1.0);
        let r = run(&c, &names(&["rotaflow", "dp3"]), &o, false).unwrap();
        assert_eq!(r.criteria.len(), pumptest::HEMOLYSIS_POINTS.len() + 4);
        assert!(
            r.criteria[0].verdict.contains("rotaflow: "),
            "{:?}",
            r.criteria[0]
        );
        let prime = r
            .criteria
            .iter()
            .find(|c| c.what == "priming volume")
            .unwrap();
        assert_eq!(prime.winner, Some(1)); // DP3 16 mL against 32
        let r = run(&c, &names(&["return-17fr", "return-21fr"]), &o, false).unwrap();
        assert!(r.criteria.iter().all(|c| c.winner == Some(1)));
        let e = run(&c, &names(&["return-17fr", "drainage-21fr"]), &o, false).unwrap_err();
        assert!(e.contains("one role"), "{e}");
    }
}
