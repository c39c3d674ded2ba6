//! Running an experiment on the twin: timeline, window statistics, CSV.
use crate::error::Error;
use crate::format::{Experiment, SensorAction, Window};
use crate::params;
use crate::signals::{self, Signal};
use physio::sensors::{Channel, SensorSuite};
use physio::{Actuation, Twin, TwinConfig};
use std::io::Write;

/// Window statistics are sampled every 20 ms (every 10th step at the twin's 2 ms): about 40
/// samples per heart beat at 80/min, so beat-to-beat pressures average out without paying for
/// an observation at every step.
pub const STATS_INTERVAL_S: f64 = 0.02;

/// Mean, minimum and maximum of every signal over one window.
#[derive(Clone, Debug, PartialEq)]
pub struct WindowStats {
    pub window: Window,
    pub samples: u64,
    /// Indexed like [`Summary::names`].
    pub mean: Vec<f64>,
    pub min: Vec<f64>,
    pub max: Vec<f64>,
}

/// What a run reports.
#[derive(Clone, Debug, PartialEq)]
pub struct Summary {
    pub name: Option<String>,
    pub preset: Option<String>,
    pub duration_s: f64,
    pub seed: u64,
    /// Every recorded signal: the true ones, then the sensor ones when enabled.
    pub names: Vec<String>,
    pub units: Vec<String>,
    /// The final window first, then the file's windows in order.
    pub windows: Vec<WindowStats>,
}

impl Summary {
    pub fn window(&self, name: &str) -> Option<&WindowStats> {
        self.windows.iter().find(|w| w.window.name == name)
    }

    /// Mean of `signal` over window `window`; `None` if either is unknown.
    pub fn mean(&self, window: &str, signal: &str) -> Option<f64> {
        let i = self.names.iter().position(|n| n == signal)?;
        self.window(window).map(|w| w.mean[i])
    }

    /// Mean of `signal` over the final window. Panics on an unknown signal name: callers pass
    /// names from the signal table, so a typo is a programming error.
    pub fn final_mean(&self, signal: &str) -> f64 {
        self.mean("final", signal)
            .unwrap_or_else(|| panic!("unknown signal `{signal}`"))
    }

    /// The JSON summary: units, and per window its bounds, sample count and the mean, min and
    /// max of every signal.
    pub fn to_json(&self) -> serde_json::Value {
        use serde_json::{Map, Value, json};
        let num = |x: f64| {
            serde_json::Number::from_f64(x)
                .map(Value::Number)
                .unwrap_or(Value::Null)
        };
        let mut units = Map::new();
        for (n, u) in self.names.iter().zip(&self.units) {
            units.insert(n.clone(), Value::String(u.clone()));
        }
        let mut windows = Map::new();
        for w in &self.windows {
            let stat = |v: &Vec<f64>| {
                let mut m = Map::new();
                for (n, x) in self.names.iter().zip(v) {
                    m.insert(n.clone(), num(*x));
                }
                Value::Object(m)
            };
            windows.insert(
                w.window.name.clone(),
                json!({
                    "start_s": w.window.start_s,
                    "end_s": w.window.end_s,
                    "samples": w.samples,
                    "mean": stat(&w.mean),
                    "min": stat(&w.min),
                    "max": stat(&w.max),
                }),
            );
        }
        json!({
            "name": self.name,
            "preset": self.preset,
            "duration_s": self.duration_s,
            "seed": self.seed,
            "units": Value::Object(units),
            "windows": Value::Object(windows),
        })
    }

    /// A human table of window means for `only` (all signals when `None`).
    pub fn table(&self, only: Option<&[String]>) -> String {
        // In the order the file lists them, or the table's order for all.
        let sigs: Vec<usize> = match only {
            Some(names) => names
                .iter()
                .filter_map(|n| self.names.iter().position(|m| m == n))
                .collect(),
            None => (0..self.names.len()).collect(),
        };
        let mut header = vec!["signal".to_string(), "unit".to_string()];
        for w in &self.windows {
            header.push(format!(
                "{} [{}-{} s]",
                w.window.name,
                input::num(w.window.start_s),
                input::num(w.window.end_s)
            ));
        }
        let mut rows = vec![header];
        for i in sigs {
            let mut r = vec![self.names[i].clone(), self.units[i].clone()];
            for w in &self.windows {
                r.push(fmt_sig(w.mean[i]));
            }
            rows.push(r);
        }
        let cols = rows[0].len();
        let width: Vec<usize> = (0..cols)
            .map(|c| rows.iter().map(|r| r[c].chars().count()).max().unwrap_or(0))
            .collect();
        let mut out = String::new();
        for (k, r) in rows.iter().enumerate() {
            for (c, cell) in r.iter().enumerate() {
                let pad = width[c] - cell.chars().count();
                if c >= 2 {
                    out.push_str("  ");
                    out.push_str(&" ".repeat(pad));
                    out.push_str(cell);
                } else {
                    if c > 0 {
                        out.push_str("  ");
                    }
                    out.push_str(cell);
                    out.push_str(&" ".repeat(pad));
                }
            }
            out.push('\n');
            if k == 0 {
                let total: usize = width.iter().sum::<usize>() + 2 * (cols - 1);
                out.push_str(&"-".repeat(total));
                out.push('\n');
            }
        }
        out
    }
}

/// Four significant digits, without exponent for the usual magnitudes.
fn fmt_sig(x: f64) -> String {
    if !x.is_finite() {
        return "-".into();
    }
    let a = x.abs();
    if a == 0.0 {
        "0".into()
    } else if a >= 1000.0 {
        format!("{x:.0}")
    } else if a >= 100.0 {
        format!("{x:.1}")
    } else if a >= 10.0 {
        format!("{x:.2}")
    } else if a >= 1.0 {
        format!("{x:.3}")
    } else if a >= 0.001 {
        format!("{x:.4}")
    } else {
        format!("{x:.3e}")
    }
}

/// Apply the file's setting overrides to an actuation.
pub fn apply_settings(act: &mut Actuation, set: &[(&'static str, f64)]) {
    for (name, v) in set {
        if let Some(f) = params::setting_field(name) {
            (f.set)(act, *v);
        }
    }
}

fn to_steps(t_s: f64) -> u64 {
    (t_s / Twin::DT_S).round() as u64
}

/// Run `exp` from a ready configuration. CSV rows (time and the selected signals) go to `csv`
/// every `output.sample_interval_s`, rounded to whole twin steps.
pub fn run_config(
    exp: &Experiment,
    config: &TwinConfig,
    initial: Actuation,
    csv: Option<&mut dyn Write>,
) -> Result<Summary, Error> {
    let Some(w) = csv else {
        return run_sampled(exp, config, initial, None);
    };
    let io = |e: std::io::Error| Error::new("", format!("writing CSV: {e}"));
    let names = signal_names(exp);
    let csv_cols: Vec<usize> = match &exp.output.signals {
        Some(list) => list
            .iter()
            .filter_map(|n| names.iter().position(|m| m == n))
            .collect(),
        None => (0..names.len()).collect(),
    };
    let mut header = String::from("time_s");
    for &c in &csv_cols {
        header.push(',');
        header.push_str(&names[c]);
    }
    writeln!(w, "{header}").map_err(io)?;
    let mut row = |t: f64, values: &[f64]| -> Result<(), Error> {
        let mut line = format!("{t}");
        for &c in &csv_cols {
            line.push(',');
            line.push_str(&format!("{}", values[c]));
        }
        writeln!(w, "{line}").map_err(io)
    };
    let summary = run_sampled(exp, config, initial, Some(&mut row))?;
    w.flush().map_err(io)?;
    Ok(summary)
}

/// The names of every signal a run of `exp` records, in the order of [`Summary::names`]: the
/// true signals, then the sensor ones when `[sensors]` is enabled.
pub fn signal_names(exp: &Experiment) -> Vec<String> {
    let mut names: Vec<String> = signals::all().map(|s| s.name.to_string()).collect();
    if exp.sensors.enabled {
        names.extend(signals::sensor_signals().into_iter().map(|s| s.name));
    }
    names
}

/// A sink for the samples of a run: called with the time (s) and every signal's value
/// (indexed like [`signal_names`]) every `output.sample_interval_s`.
pub type SampleSink<'a> = &'a mut dyn FnMut(f64, &[f64]) -> Result<(), Error>;

/// Run `exp` from a ready configuration, handing every sample to `sink` (CSV writing, or the
/// Python package's columns). Window statistics come back as the [`Summary`].
pub fn run_sampled(
    exp: &Experiment,
    config: &TwinConfig,
    initial: Actuation,
    sink: Option<SampleSink<'_>>,
) -> Result<Summary, Error> {
    run_inner(exp, config, initial, sink, None)
}

/// Every how many statistics samples a run that keeps only some signals
/// ([`run_only`]) still reads all of them, to refuse a non-finite value anywhere: every 1 s.
const FULL_CHECK_EVERY: u64 = 50;

/// Run `exp` keeping the window statistics of the signals named in `only` (names of
/// [`signal_names`]; unknown names are refused) and no samples: what a cohort or a
/// sensitivity run needs of each patient. The statistics of those signals are those of
/// [`run_sampled`] to the bit; the others are not read at every statistics sample (only every
/// second, and at the end, to refuse a non-finite value anywhere), which saves about a twentieth
/// of a run. The summary's names are `only`'s, in its order.
pub fn run_only(
    exp: &Experiment,
    config: &TwinConfig,
    initial: Actuation,
    only: &[String],
) -> Result<Summary, Error> {
    let names = signal_names(exp);
    let sel = only
        .iter()
        .map(|n| {
            names
                .iter()
                .position(|m| m == n)
                .ok_or_else(|| Error::new("outputs.signals", format!("unknown signal `{n}`")))
        })
        .collect::<Result<Vec<usize>, Error>>()?;
    run_inner(exp, config, initial, None, Some(&sel))
}

fn run_inner(
    exp: &Experiment,
    config: &TwinConfig,
    initial: Actuation,
    mut sink: Option<SampleSink<'_>>,
    only: Option<&[usize]>,
) -> Result<Summary, Error> {
    let mut twin = Twin::new(config).map_err(|e| Error::new(e.field, e.message))?;
    let mut act = initial;
    let truth: Vec<&Signal> = signals::all().collect();
    let sensor_sigs = if exp.sensors.enabled {
        signals::sensor_signals()
    } else {
        Vec::new()
    };
    let mut suite = SensorSuite::new(exp.seed);
    if !exp.sensors.noise {
        for ch in Channel::ALL {
            suite.set_noise(ch, false);
        }
    }
    let names = signal_names(exp);
    let mut units: Vec<String> = truth.iter().map(|s| s.unit.to_string()).collect();
    for s in &sensor_sigs {
        units.push(s.unit.to_string());
    }

    let windows = exp.all_windows();
    let n = names.len();
    let mut stats: Vec<WindowStats> = windows
        .iter()
        .map(|w| WindowStats {
            window: w.clone(),
            samples: 0,
            mean: vec![0.0; n],
            min: vec![f64::INFINITY; n],
            max: vec![f64::NEG_INFINITY; n],
        })
        .collect();
    let win_steps: Vec<(u64, u64)> = windows
        .iter()
        .map(|w| (to_steps(w.start_s), to_steps(w.end_s)))
        .collect();

    let n_steps = to_steps(exp.duration_s).max(1);
    let stat_every = to_steps(STATS_INTERVAL_S).max(1);
    let csv_every = to_steps(exp.output.sample_interval_s).max(1);
    let timeline: Vec<(u64, &crate::format::TimelineEntry)> =
        exp.timeline.iter().map(|e| (to_steps(e.at_s), e)).collect();
    let mut next = 0;
    let mut values = vec![0.0; n];
    // The signal indices read at every statistics sample, and whether the sensors are sampled.
    let every: Vec<usize> = only.map_or_else(|| (0..n).collect(), <[usize]>::to_vec);
    let sensors_wanted =
        !sensor_sigs.is_empty() && (only.is_none() || every.iter().any(|&i| i >= truth.len()));
    let mut stat_samples = 0u64;

    for k in 0..=n_steps {
        while next < timeline.len() && timeline[next].0 <= k {
            let entry = timeline[next].1;
            apply_settings(&mut act, &entry.set);
            if let Some(ev) = &entry.event {
                twin.apply(ev).map_err(|e| {
                    Error::new(
                        format!("timeline[{}].event", entry.index),
                        format!("refused by the twin ({}): {}", e.field, e.message),
                    )
                })?;
            }
            match entry.sensor {
                Some(SensorAction::Fault(ch, f)) => suite.set_fault(ch, f).map_err(|e| {
                    Error::new(format!("timeline[{}].sensor", entry.index), e.to_string())
                })?,
                Some(SensorAction::Clear(ch)) => suite.clear_faults(ch),
                None => {}
            }
            next += 1;
        }
        let want_stats = k % stat_every == 0 || k == n_steps;
        let want_csv = sink.is_some() && k % csv_every == 0;
        if want_stats || want_csv {
            let o = twin.observe();
            // Rounded to the microsecond so that CSV times read 0.5, not 0.5000000000000001.
            let t = (k as f64 * Twin::DT_S * 1e6).round() / 1e6;
            let full =
                only.is_none() || k == n_steps || stat_samples.is_multiple_of(FULL_CHECK_EVERY);
            stat_samples += 1;
            if full {
                for (v, s) in values.iter_mut().zip(&truth) {
                    *v = (s.get)(&o);
                }
            } else {
                for &i in every.iter().filter(|&&i| i < truth.len()) {
                    values[i] = (truth[i].get)(&o);
                }
            }
            if sensors_wanted {
                let readings = suite.sample(&o);
                for (v, s) in values[truth.len()..].iter_mut().zip(&sensor_sigs) {
                    let r = readings.get(s.channel);
                    *v = if s.valid {
                        f64::from(u8::from(r.valid))
                    } else {
                        r.value
                    };
                }
            }
            let bad = if full {
                values.iter().position(|v| !v.is_finite())
            } else {
                every.iter().copied().find(|&i| !values[i].is_finite())
            };
            if let Some(i) = bad {
                return Err(Error::new(
                    "",
                    format!(
                        "the twin produced a non-finite `{}` at t = {t} s; please report this file",
                        names[i]
                    ),
                ));
            }
            if want_csv && let Some(f) = sink.as_deref_mut() {
                f(t, &values)?;
            }
            if want_stats {
                for (st, (a, b)) in stats.iter_mut().zip(&win_steps) {
                    // Half-open [start, end), so an event at a window's end does not leak into
                    // it; a window ending with the run keeps the last sample.
                    let inside = k >= *a && (k < *b || (k == *b && k == n_steps));
                    if !inside {
                        continue;
                    }
                    st.samples += 1;
                    for &i in &every {
                        let v = values[i];
                        st.mean[i] += v;
                        st.min[i] = st.min[i].min(v);
                        st.max[i] = st.max[i].max(v);
                    }
                }
            }
        }
        if k < n_steps {
            twin.step(&act);
        }
    }
    for st in &mut stats {
        let c = st.samples.max(1) as f64;
        for m in &mut st.mean {
            *m /= c;
        }
        if st.samples == 0 {
            st.mean.fill(f64::NAN);
            st.min.fill(f64::NAN);
            st.max.fill(f64::NAN);
        }
    }
    let (names, units, stats) = match only {
        None => (names, units, stats),
        Some(sel) => {
            let pick = |v: &[f64]| sel.iter().map(|&i| v[i]).collect::<Vec<f64>>();
            (
                sel.iter().map(|&i| names[i].clone()).collect(),
                sel.iter().map(|&i| units[i].clone()).collect(),
                stats
                    .into_iter()
                    .map(|st| WindowStats {
                        mean: pick(&st.mean),
                        min: pick(&st.min),
                        max: pick(&st.max),
                        ..st
                    })
                    .collect(),
            )
        }
    };
    Ok(Summary {
        name: exp.name.clone(),
        preset: exp.preset.clone(),
        duration_s: exp.duration_s,
        seed: exp.seed,
        names,
        units,
        windows: stats,
    })
}
