//! Reports of cohorts and sensitivity analyses as `report::Doc`s: HTML pages with inline SVG.
//!
//! A cohort's page shows what was sampled (each parameter's distribution and its sampled
//! range) and the distribution of every outcome in every window: a table of quantiles and a
//! histogram per outcome.
use crate::cohort::CohortSpec;
use crate::dist::Dist;
use crate::sensitivity::{Indices, SensitivitySpec};
use crate::table::{Column, Table};
use report::plot::{Axis, Plot, Series};
use report::table::{Cell, Table as RTable};
use report::{Block, Doc, Figure};

/// The `q` quantile of sorted finite values (linear interpolation).
pub(crate) fn quantile(sorted: &[f64], q: f64) -> f64 {
    if sorted.is_empty() {
        return f64::NAN;
    }
    let h = q * (sorted.len() - 1) as f64;
    let (lo, hi) = (h.floor() as usize, h.ceil() as usize);
    sorted[lo] + (h - lo as f64) * (sorted[hi] - sorted[lo])
}

fn describe(d: &Dist) -> String {
    match d {
        Dist::Uniform { min, max } => format!("uniform {min}..{max}"),
        Dist::Normal { mean, sd } => format!("normal, mean {mean}, SD {sd}"),
        Dist::LogNormal { median, sigma } => format!("log-normal, median {median}, σ(ln) {sigma}"),
    }
}

/// A histogram as a step line: `bins` equal bins between the smallest and largest value.
fn histogram(values: &[f64], bins: usize) -> Vec<(f64, f64)> {
    let (lo, hi) = (values[0], values[values.len() - 1]);
    let w = if hi > lo {
        (hi - lo) / bins as f64
    } else {
        1.0
    };
    let mut counts = vec![0usize; bins];
    for &v in values {
        let i = (((v - lo) / w) as usize).min(bins - 1);
        counts[i] += 1;
    }
    let mut pts = vec![(lo, 0.0)];
    for (i, &c) in counts.iter().enumerate() {
        let x0 = lo + i as f64 * w;
        pts.push((x0, c as f64));
        pts.push((x0 + w, c as f64));
    }
    pts.push((lo + bins as f64 * w, 0.0));
    pts
}

/// The cohort's summary page.
pub fn cohort_doc(spec: &CohortSpec, table: &Table, wall_s: f64) -> Doc {
    let mut doc = Doc::new(spec.common.name.as_deref().unwrap_or("Virtual cohort"));
    let errors = match table.column("error") {
        Some(Column::Text(e)) => e.clone(),
        _ => Vec::new(),
    };
    let patients = table.column("patient");
    let failed: std::collections::BTreeSet<u32> = match patients {
        Some(Column::U32(p)) => p
            .iter()
            .zip(&errors)
            .filter(|(_, e)| e.is_some())
            .map(|(p, _)| *p)
            .collect(),
        _ => Default::default(),
    };
    let design = spec.design.name();
    doc.push(Block::Text(format!(
        "{} virtual patients ({} design, seed {}), {} refused by the twin; {:.0} s of simulated time each; computed in {:.0} s.",
        spec.patients,
        design,
        spec.seed,
        failed.len(),
        spec.common.experiment.experiment.duration_s,
        wall_s
    )));
    let mut params = RTable::new(
        "parameters",
        "Sampled parameters",
        &[
            "parameter",
            "unit",
            "distribution",
            "truncated to",
            "sampled min",
            "sampled median",
            "sampled max",
        ],
    );
    for p in spec.parameters() {
        let mut v: Vec<f64> = table.f64(p.name).unwrap_or(&[]).to_vec();
        v.retain(|x| x.is_finite());
        v.sort_by(f64::total_cmp);
        params.push(vec![
            Cell::text(p.name),
            Cell::text(p.unit),
            Cell::text(describe(&p.marginal.dist)),
            Cell::text(format!(
                "{}..{}",
                input::num(p.marginal.lo),
                input::num(p.marginal.hi)
            )),
            Cell::Num(v.first().copied().unwrap_or(f64::NAN), 3),
            Cell::Num(quantile(&v, 0.5), 3),
            Cell::Num(v.last().copied().unwrap_or(f64::NAN), 3),
        ]);
    }
    doc.push(Block::Table(params));
    let windows = spec
        .common
        .outputs
        .window_names(&spec.common.experiment.experiment);
    let win = match table.column("window") {
        Some(Column::Text(w)) => w.clone(),
        _ => Vec::new(),
    };
    for w in &windows {
        doc.push(Block::Heading(format!("Outcomes, window `{w}`")));
        let mut t = RTable::new(
            &format!("outcomes-{w}"),
            "",
            &[
                "outcome", "n", "mean", "SD", "5 %", "25 %", "median", "75 %", "95 %",
            ],
        );
        let mut figures = Vec::new();
        for name in spec.common.outputs.columns() {
            let col = table.f64(&name).unwrap_or(&[]);
            let mut v: Vec<f64> = col
                .iter()
                .zip(&win)
                .filter(|(x, ww)| x.is_finite() && ww.as_deref() == Some(w.as_str()))
                .map(|(x, _)| *x)
                .collect();
            v.sort_by(f64::total_cmp);
            let n = v.len();
            let mean = v.iter().sum::<f64>() / n.max(1) as f64;
            let sd =
                (v.iter().map(|x| (x - mean).powi(2)).sum::<f64>() / (n.max(2) - 1) as f64).sqrt();
            let mut row = vec![
                Cell::text(&name),
                Cell::Num(n as f64, 0),
                Cell::Num(mean, 4),
                Cell::Num(sd, 4),
            ];
            for q in [0.05, 0.25, 0.5, 0.75, 0.95] {
                row.push(Cell::Num(quantile(&v, q), 4));
            }
            t.push(row);
            if n > 1 {
                let plot = Plot::with_axes(&name, Axis::new(&name, ""), Axis::new("patients", ""))
                    .with(Series::new(name.clone(), histogram(&v, 20)));
                figures.push(Figure::plot(plot, 360.0, 220.0));
            }
        }
        doc.push(Block::Table(t));
        for f in figures {
            doc.push(f.into());
        }
    }
    doc
}

/// The sensitivity analysis's page: the indices with their intervals.
pub fn sensitivity_doc(
    spec: &SensitivitySpec,
    indices: &[Indices],
    failed: usize,
    wall_s: f64,
) -> Doc {
    let mut doc = Doc::new(
        spec.common
            .name
            .as_deref()
            .unwrap_or("Global sensitivity analysis"),
    );
    let d = spec.common.parameters.len();
    doc.push(Block::Text(format!(
        "Sobol indices from {} runs (N = {}, {} parameters, Saltelli design); {} runs refused by the twin; {} bootstrap resamples, {:.0} % intervals; computed in {:.0} s.",
        spec.samples * (d + 2),
        spec.samples,
        d,
        failed,
        spec.bootstrap,
        spec.confidence * 100.0,
        wall_s
    )));
    doc.push(Block::Note(
        "First-order index: the share of the output's variance due to the parameter alone. Total index: including all its interactions. A total index near 0 means the parameter can be fixed anywhere in its range.".into(),
    ));
    let mut t = RTable::new(
        "indices",
        "Sobol indices",
        &[
            "output",
            "parameter",
            "first order",
            "interval",
            "total",
            "interval",
        ],
    );
    for i in indices {
        t.push(vec![
            Cell::text(&i.output),
            Cell::text(&i.parameter),
            Cell::Num(i.first, 3),
            Cell::text(format!("{:.3}..{:.3}", i.first_ci.0, i.first_ci.1)),
            Cell::Num(i.total, 3),
            Cell::text(format!("{:.3}..{:.3}", i.total_ci.0, i.total_ci.1)),
        ]);
    }
    doc.push(Block::Table(t));
    doc
}
