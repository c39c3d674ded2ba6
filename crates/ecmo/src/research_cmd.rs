//! `ecmo cohort`, `ecmo sensitivity`, `ecmo fit` and `ecmo bench-cohort`: argument parsing and
//! printing around the `research` crate, and the reading of console recordings for fits.
use clap::Args;
use research::cohort::CohortSpec;
use research::fit::{Data, FitSpec};
use research::progress::{Bar, Progress, Quiet};
use research::sensitivity::SensitivitySpec;
use research::spec::ResearchFile;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

#[derive(Args)]
pub struct CohortArgs {
    /// The cohort file (TOML); see docs/research.md.
    pub file: PathBuf,
    /// Folder for the part files, manifest, cohort.parquet and summary.html; a run
    /// interrupted there resumes where it stopped.
    #[arg(long, value_name = "DIR", default_value = "cohort-out")]
    pub out: PathBuf,
    #[command(flatten)]
    pub run: RunArgs,
}

/// How a cohort or a sensitivity analysis runs.
#[derive(Args)]
pub struct RunArgs {
    /// Worker threads (default: every core).
    #[arg(long)]
    pub threads: Option<usize>,
    /// No progress bar.
    #[arg(long)]
    pub quiet: bool,
}

impl RunArgs {
    /// The worker threads and the progress display (`label`, counting `unit`).
    fn start(&self, label: &str, unit: &'static str) -> (usize, Box<dyn Progress>) {
        let threads = self.threads.unwrap_or_else(research::pool::default_threads);
        (threads, bar(self.quiet, label, unit))
    }
}

#[derive(Args)]
pub struct SensitivityArgs {
    /// The sensitivity file (TOML); see docs/research.md.
    pub file: PathBuf,
    /// Folder for indices.csv, runs.parquet and sensitivity.html.
    #[arg(long, value_name = "DIR", default_value = "sensitivity-out")]
    pub out: PathBuf,
    #[command(flatten)]
    pub run: RunArgs,
}

#[derive(Args)]
pub struct FitArgs {
    /// The fit file (TOML); see docs/research.md.
    pub file: PathBuf,
    /// Measurements (CSV) instead of the file's `data` or `recording`.
    #[arg(long, value_name = "CSV", conflicts_with = "recording")]
    pub data: Option<PathBuf>,
    /// A console recording (ecmo serve's database) instead of the file's.
    #[arg(long, value_name = "DB")]
    pub recording: Option<PathBuf>,
    /// The run of the recording (default: the file's, else the latest).
    #[arg(long)]
    pub run: Option<i64>,
    /// Write the model and the data at every measured time to this CSV.
    #[arg(long, value_name = "CSV")]
    pub residuals: Option<PathBuf>,
    #[arg(long)]
    pub threads: Option<usize>,
}

#[derive(Args)]
pub struct BenchCohortArgs {
    /// Virtual patients.
    #[arg(long, default_value_t = 1000)]
    pub patients: usize,
    /// Simulated seconds per patient.
    #[arg(long, default_value_t = 3600.0)]
    pub seconds: f64,
    #[arg(long)]
    pub threads: Option<usize>,
    /// Folder for the run (deleted first).
    #[arg(long, value_name = "DIR", default_value = "bench-cohort-out")]
    pub out: PathBuf,
    /// Print the benchmark's cohort file and run nothing (examples/python/bench_overhead.py
    /// runs the same file through Python).
    #[arg(long)]
    pub print_spec: bool,
}

fn fail(e: impl std::fmt::Display) -> ExitCode {
    eprintln!("error: {e}");
    ExitCode::from(2)
}

fn bar(quiet: bool, label: &str, unit: &'static str) -> Box<dyn Progress> {
    if quiet {
        Box::new(Quiet)
    } else {
        Box::new(Bar::new(label, unit))
    }
}

pub fn cohort(a: &CohortArgs) -> ExitCode {
    let spec = match CohortSpec::load(&a.file) {
        Ok(s) => s,
        Err(e) => return fail(e),
    };
    let (threads, progress) = a.run.start("cohort", "patients");
    let run = match research::cohort::run(&spec, &a.out, threads, progress.as_ref()) {
        Ok(r) => r,
        Err(e) => return fail(e),
    };
    let doc = research::summary::cohort_doc(&spec, &run.table, run.wall_s);
    let html = a.out.join("summary.html");
    if let Err(e) = std::fs::write(&html, doc.to_html()) {
        return fail(format!("{}: {e}", html.display()));
    }
    println!(
        "{} patients ({} blocks computed, {} resumed) in {:.1} s on {threads} threads",
        spec.patients, run.computed_blocks, run.resumed_blocks, run.wall_s
    );
    println!("rows: {} -> {}", run.table.rows(), run.result.display());
    println!("summary: {}", html.display());
    ExitCode::SUCCESS
}

pub fn sensitivity(a: &SensitivityArgs) -> ExitCode {
    let spec = match SensitivitySpec::load(&a.file) {
        Ok(s) => s,
        Err(e) => return fail(e),
    };
    let (threads, progress) = a.run.start("sensitivity", "runs");
    let run = match spec.run(threads, progress.as_ref()) {
        Ok(r) => r,
        Err(e) => return fail(e),
    };
    if let Err(e) = std::fs::create_dir_all(&a.out) {
        return fail(format!("{}: {e}", a.out.display()));
    }
    let doc = research::summary::sensitivity_doc(&spec, &run.indices, run.failed, run.wall_s);
    let mut csv =
        String::from("output,parameter,first,first_lo,first_hi,total,total_lo,total_hi\n");
    println!(
        "{:<32} {:<26} {:>8} {:>17} {:>8} {:>17}",
        "output", "parameter", "S1", "interval", "ST", "interval"
    );
    for i in &run.indices {
        println!(
            "{:<32} {:<26} {:>8.3} {:>17} {:>8.3} {:>17}",
            i.output,
            i.parameter,
            i.first,
            format!("{:.3}..{:.3}", i.first_ci.0, i.first_ci.1),
            i.total,
            format!("{:.3}..{:.3}", i.total_ci.0, i.total_ci.1)
        );
        csv.push_str(&format!(
            "{},{},{},{},{},{},{},{}\n",
            i.output,
            i.parameter,
            i.first,
            i.first_ci.0,
            i.first_ci.1,
            i.total,
            i.total_ci.0,
            i.total_ci.1
        ));
    }
    let writes = [
        (a.out.join("indices.csv"), csv.into_bytes()),
        (a.out.join("sensitivity.html"), doc.to_html().into_bytes()),
    ];
    for (p, b) in writes {
        if let Err(e) = std::fs::write(&p, b) {
            return fail(format!("{}: {e}", p.display()));
        }
    }
    if let Err(e) = run.runs.write_parquet(&a.out.join("runs.parquet")) {
        return fail(e);
    }
    println!(
        "{} runs ({} refused by the twin) in {:.1} s on {threads} threads -> {}",
        run.runs.rows(),
        run.failed,
        run.wall_s,
        a.out.display()
    );
    ExitCode::SUCCESS
}

/// The numerics of run `run` (the latest when None) of a console recording, as fitting data
/// (research::fit::RECORDING names the columns).
pub fn read_recording(db: &Path, run: Option<i64>) -> Result<Data, String> {
    use rusqlite::{Connection, OpenFlags};
    let ctx = |e: rusqlite::Error| format!("{}: {e}", db.display());
    let c = Connection::open_with_flags(db, OpenFlags::SQLITE_OPEN_READ_ONLY).map_err(ctx)?;
    let run = match run {
        Some(r) => r,
        None => c
            .query_row("SELECT MAX(id) FROM runs", [], |r| {
                r.get::<_, Option<i64>>(0)
            })
            .map_err(ctx)?
            .ok_or_else(|| format!("{}: holds no runs", db.display()))?,
    };
    let mut stmt = c
        .prepare("SELECT t, data FROM numerics WHERE run = ?1 ORDER BY t")
        .map_err(ctx)?;
    let rows = stmt
        .query_map([run], |r| Ok((r.get::<_, f64>(0)?, r.get::<_, String>(1)?)))
        .map_err(ctx)?;
    let map = research::fit::RECORDING;
    let mut time = Vec::new();
    let mut cols: Vec<Vec<f64>> = vec![Vec::new(); map.len()];
    for row in rows {
        let (t, data) = row.map_err(ctx)?;
        let v: serde_json::Value = serde_json::from_str(&data)
            .map_err(|e| format!("{}: run {run} at t = {t}: {e}", db.display()))?;
        time.push(t);
        for ((field, _, scale), col) in map.iter().zip(&mut cols) {
            col.push(
                v.get(field)
                    .and_then(|x| x.as_f64())
                    .map_or(f64::NAN, |x| x * scale),
            );
        }
    }
    if time.is_empty() {
        return Err(format!("{}: run {run} holds no numerics", db.display()));
    }
    let mut columns = vec![("time_s".to_string(), time)];
    columns.extend(map.iter().map(|(_, n, _)| n.to_string()).zip(cols));
    Data::from_columns(columns).map_err(|m| format!("{}: run {run}: {m}", db.display()))
}

pub fn fit(a: &FitArgs) -> ExitCode {
    let spec = match FitSpec::load(&a.file) {
        Ok(s) => s,
        Err(e) => return fail(e),
    };
    let data = if let Some(p) = &a.data {
        Data::read_csv(p).map_err(|e| e.to_string())
    } else if let Some(db) = &a.recording {
        read_recording(db, a.run.or(spec.recording.as_ref().map(|r| r.1)))
    } else if let Some(p) = &spec.data {
        Data::read_csv(p).map_err(|e| e.to_string())
    } else if let Some((db, run)) = &spec.recording {
        read_recording(db, Some(*run))
    } else {
        Err(format!(
            "{}: no data: give `data = \"file.csv\"` or `recording = \"ecmo.db\"` in the file, or --data/--recording",
            a.file.display()
        ))
    };
    let data = match data {
        Ok(d) => d,
        Err(e) => return fail(e),
    };
    let threads = a.threads.unwrap_or_else(research::pool::default_threads);
    let r = match research::fit::fit(&spec, &data, threads) {
        Ok(r) => r,
        Err(e) => return fail(e),
    };
    print!("{}", r.report());
    println!(
        "data: {} rows over {:.0} s",
        data.time_s.len(),
        data.time_s.last().copied().unwrap_or(0.0)
    );
    if let Some(p) = &a.residuals {
        let mut s = String::from("time_s");
        for (n, _) in &r.model {
            s.push_str(&format!(",{n}_model,{n}_measured"));
        }
        s.push('\n');
        for (k, t) in data.time_s.iter().enumerate() {
            s.push_str(&format!("{t}"));
            for (n, m) in &r.model {
                let y = data
                    .signals
                    .iter()
                    .find(|(d, _)| d == n)
                    .map_or(f64::NAN, |(_, c)| c[k]);
                let show = |x: f64| {
                    if x.is_finite() {
                        format!("{x}")
                    } else {
                        String::new()
                    }
                };
                s.push_str(&format!(",{},{}", show(m[k]), show(y)));
            }
            s.push('\n');
        }
        if let Err(e) = std::fs::write(p, s) {
            return fail(format!("{}: {e}", p.display()));
        }
    }
    ExitCode::SUCCESS
}

/// A cohort of `patients` adults with severe ARDS on VV support for `seconds` each, the
/// benchmark of docs/research.md: shunt, VO2, Hb and pump speed vary. Blocks of 4 patients:
/// at the end one thread may wait for the other's last block, so small blocks keep both cores
/// busy to the end (with 10 a block, about 16 s of a 10-minute run went unshared).
pub fn bench_cohort_text(patients: usize, seconds: f64) -> String {
    format!(
        r#"name = "bench: VV cohort, severe ARDS"
patients = {patients}
sampling = "lhs"
seed = 1
block = 4

[experiment]
preset = "ards-severe"
duration_s = {seconds}
[experiment.circuit]
configuration = "vv-femoro-jugular"
[experiment.settings]
pump_rpm = 3500
sweep_lpm = 5
fdo2 = 1.0

[parameters.shunt_fraction]
dist = "uniform"
min = 0.3
max = 0.8
[parameters.vo2_ml_kg_min]
dist = "lognormal"
median = 3.6
sigma = 0.15
[parameters.hb_g_dl]
dist = "normal"
mean = 10
sd = 1.5
min = 7
max = 14
[parameters.pump_rpm]
dist = "uniform"
min = 2800
max = 4200

[outputs]
signals = ["art_upper_so2", "circuit_flow_lpm", "recirculation_fraction", "map_mmhg"]
stats = ["mean", "min"]
"#
    )
}

pub fn bench_cohort(a: &BenchCohortArgs) -> ExitCode {
    let text = bench_cohort_text(a.patients, a.seconds);
    if a.print_spec {
        print!("{text}");
        return ExitCode::SUCCESS;
    }
    let src = research::spec::Source::text(text, Some("bench-cohort".into()), PathBuf::from("."));
    let spec = match CohortSpec::from_source(&src) {
        Ok(s) => s,
        Err(e) => return fail(e),
    };
    let threads = a.threads.unwrap_or_else(research::pool::default_threads);
    if a.out.join("manifest.json").exists() {
        let _ = std::fs::remove_dir_all(&a.out);
    }
    let progress = Bar::new("bench-cohort", "patients");
    let run = match research::cohort::run(&spec, &a.out, threads, &progress) {
        Ok(r) => r,
        Err(e) => return fail(e),
    };
    let simulated = a.patients as f64 * a.seconds;
    println!(
        "cohort: {} patients x {:.0} s (VV, severe ARDS) on {threads} threads in {:.1} s wall ({:.1} min)",
        a.patients,
        a.seconds,
        run.wall_s,
        run.wall_s / 60.0
    );
    println!(
        "throughput: {:.0}x real time in total, {:.0}x per thread; {:.3} s per patient-hour per thread",
        simulated / run.wall_s,
        simulated / run.wall_s / threads as f64,
        run.wall_s * threads as f64 / (simulated / 3600.0)
    );
    println!("result: {}", run.result.display());
    ExitCode::SUCCESS
}
