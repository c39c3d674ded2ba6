//! `ecmo`: one binary, one subcommand per job.
mod bench_cmd;
mod console_cmd;
mod device_args;
mod research_cmd;

use clap::{Parser, Subcommand};
use std::path::PathBuf;
use std::process::ExitCode;

#[derive(Parser)]
#[command(
    name = "ecmo",
    version,
    about = "OpenECMO: console, digital twin, validation, benches"
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
// Parsed once per process; boxing the bench options would buy nothing.
#[allow(clippy::large_enum_variant)]
enum Command {
    /// Run the twin under the control core in real time and serve the web console.
    Serve(console_cmd::ServeArgs),
    /// List the recordings in a database.
    Runs(console_cmd::RunsArgs),
    /// Write a recording out as CSV files or JSON.
    Export(console_cmd::ExportArgs),
    /// Play a recording back into the web console.
    Replay(console_cmd::ReplayArgs),
    /// Manage console users.
    #[command(subcommand)]
    User(console_cmd::UserCmd),
    /// Measure `ecmo serve`: CPU at real time, loop deadlines with N viewers.
    BenchServe(console_cmd::BenchArgs),
    /// Soak `ecmo serve`: the simulated patient with N WebSocket viewers and an attacker loop
    /// (bad logins, header floods, big bodies, slow heads, junk frames) for minutes; reports
    /// missed control steps (target 0), sample-to-viewer latency and the console's memory
    BenchSoak(console_cmd::SoakArgs),
    /// Run a simulated pump unit (twin, sensors, actuators, unit safety logic) as its own
    /// process, speaking the device protocol (docs/protocol.md) to `ecmo serve --device`.
    Device(device_args::DeviceArgs),
    /// Run an experiment file on the twin and print the window means of every signal.
    Sim {
        /// The experiment (TOML); see docs/experiments.md.
        experiment: PathBuf,
        /// Print the summary as JSON instead of a table.
        #[arg(long)]
        json: bool,
        /// Also write time series (time and the selected signals) to this CSV file.
        #[arg(long, value_name = "FILE")]
        csv: Option<PathBuf>,
    },
    /// Run the built-in validation suite; exits non-zero if any case fails.
    Validate {
        /// Run only this group (repeatable), e.g. `--group baroreflex --group fluids`.
        #[arg(long)]
        group: Vec<String>,
    },
    /// Measure the twin's speed (simulated seconds per wall-clock second) and size.
    BenchSim {
        /// Simulated seconds per timed run.
        #[arg(long, default_value_t = 3600.0)]
        seconds: f64,
    },
    /// List the built-in patient presets.
    Presets,
    /// Run a virtual cohort: one experiment on every sampled patient (docs/research.md).
    Cohort(research_cmd::CohortArgs),
    /// Global sensitivity analysis: Sobol indices with bootstrap intervals (docs/research.md).
    Sensitivity(research_cmd::SensitivityArgs),
    /// Fit patient parameters to bedside measurements or a console recording (docs/research.md).
    Fit(research_cmd::FitArgs),
    /// Time a cohort of virtual VV patients (default 1000 x 1 h) on every core.
    BenchCohort(research_cmd::BenchCohortArgs),
    /// Run a training scenario headless and keep the run for `ecmo debrief`.
    Train {
        /// The scenario (TOML); see docs/scenarios.md and scenarios/.
        scenario: PathBuf,
        /// The trainee's actions (TOML `[[action]]` list); default: the scenario's model answer.
        #[arg(long, value_name = "FILE", conflicts_with = "nobody")]
        script: Option<PathBuf>,
        /// Play a trainee who does nothing.
        #[arg(long)]
        nobody: bool,
        /// Directory for the run (run.json).
        #[arg(long, value_name = "DIR", default_value = "runs/latest")]
        out: PathBuf,
    },
    /// Write the debriefing report of a run (debrief.html and debrief.pdf): a headless run
    /// (RUN), or a console recording (--db, --run).
    Debrief {
        /// The run: its run.json or the directory holding it.
        #[arg(required_unless_present = "db")]
        run: Option<PathBuf>,
        /// A console recording database (`ecmo serve --training`).
        #[arg(long, value_name = "FILE", conflicts_with = "run")]
        db: Option<PathBuf>,
        /// The recording's run number (default: the last).
        #[arg(long = "run-id", value_name = "N", requires = "db")]
        run_id: Option<i64>,
        /// Directory for the report; default: next to the run (or the database).
        #[arg(long, value_name = "DIR")]
        out: Option<PathBuf>,
    },
    /// Virtual bench: ISO 7199 oxygenator, ISO 18242/ASTM F1841 pump, durability and
    /// comparison tests on the device catalogue; see docs/bench.md.
    Bench {
        #[command(subcommand)]
        command: bench_cmd::BenchCommand,
    },
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    match cli.command {
        Command::Sim {
            experiment,
            json,
            csv,
        } => sim(&experiment, json, csv.as_deref()),
        Command::Validate { group } => validate(&group),
        Command::BenchSim { seconds } => bench(seconds),
        Command::Train {
            scenario,
            script,
            nobody,
            out,
        } => {
            use training::cli::Trainee;
            let trainee = match (&script, nobody) {
                (Some(p), _) => Trainee::Script(p),
                (None, true) => Trainee::Nobody,
                (None, false) => Trainee::ModelAnswer,
            };
            match training::cli::train(&scenario, trainee, &out) {
                Ok(s) => {
                    println!("{s}");
                    ExitCode::SUCCESS
                }
                Err(e) => {
                    eprintln!("error: {e}");
                    ExitCode::from(2)
                }
            }
        }
        Command::Debrief {
            run,
            db,
            run_id,
            out,
        } => match debrief(run.as_deref(), db.as_deref(), run_id, out.as_deref()) {
            Ok((html, pdf)) => {
                println!("{}\n{}", html.display(), pdf.display());
                ExitCode::SUCCESS
            }
            Err(e) => {
                eprintln!("error: {e}");
                ExitCode::from(2)
            }
        },
        Command::Serve(a) => console_result(console_cmd::serve(&a)),
        Command::Runs(a) => console_result(console_cmd::runs(&a)),
        Command::Export(a) => console_result(console_cmd::export(&a)),
        Command::Replay(a) => console_result(console_cmd::replay(&a)),
        Command::User(c) => console_result(console_cmd::user(&c)),
        Command::BenchServe(a) => console_result(console_cmd::bench_serve(&a)),
        Command::BenchSoak(a) => console_result(console_cmd::bench_soak(&a)),
        Command::Device(a) => device(&a),
        Command::Bench { command } => bench_cmd::run(command),
        Command::Cohort(a) => research_cmd::cohort(&a),
        Command::Sensitivity(a) => research_cmd::sensitivity(&a),
        Command::Fit(a) => research_cmd::fit(&a),
        Command::BenchCohort(a) => research_cmd::bench_cohort(&a),
        Command::Presets => {
            for name in physio::presets::PRESET_NAMES {
                println!("{name}");
            }
            ExitCode::SUCCESS
        }
    }
}

fn device(a: &device_args::DeviceArgs) -> ExitCode {
    if let Some(path) = &a.generate_key {
        return match devlink::generate_key_file(path) {
            Ok(_) => {
                println!(
                    "wrote a new pairing key to {} (readable by its owner only); give it to the \
                     unit (ecmo device --key {0}) and to its console (ecmo serve --device-key {0})",
                    path.display()
                );
                ExitCode::SUCCESS
            }
            Err(e) => {
                eprintln!("error: ecmo device --generate-key: {e}");
                ExitCode::from(2)
            }
        };
    }
    match simunit::run(&a.options()) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: ecmo device: {e}");
            ExitCode::from(2)
        }
    }
}

fn sim(path: &std::path::Path, json: bool, csv: Option<&std::path::Path>) -> ExitCode {
    let exp = match experiment::Experiment::load(path) {
        Ok(e) => e,
        // The error names the file, the line and the field.
        Err(e) => {
            eprintln!("error: {e}");
            return ExitCode::from(2);
        }
    };
    let mut file = match csv.map(std::fs::File::create).transpose() {
        Ok(f) => f.map(std::io::BufWriter::new),
        Err(e) => {
            eprintln!(
                "error: cannot create {}: {e}",
                csv.unwrap_or(path).display()
            );
            return ExitCode::from(2);
        }
    };
    let summary = match exp.run(file.as_mut().map(|f| f as &mut dyn std::io::Write)) {
        Ok(s) => s,
        Err(e) => {
            eprintln!("error: {}: {e}", path.display());
            return ExitCode::FAILURE;
        }
    };
    if json {
        match serde_json::to_string_pretty(&summary.to_json()) {
            Ok(s) => println!("{s}"),
            Err(e) => {
                eprintln!("error: {e}");
                return ExitCode::FAILURE;
            }
        }
    } else {
        println!(
            "{} (preset {}, {} s, seed {})\nmeans over each window:\n",
            summary
                .name
                .clone()
                .unwrap_or_else(|| path.display().to_string()),
            summary.preset.as_deref().unwrap_or("none"),
            summary.duration_s,
            summary.seed
        );
        print!("{}", summary.table(exp.output.signals.as_deref()));
    }
    ExitCode::SUCCESS
}

/// A headless run's report, or a console recording's (its training record).
fn debrief(
    run: Option<&std::path::Path>,
    db: Option<&std::path::Path>,
    run_id: Option<i64>,
    out: Option<&std::path::Path>,
) -> Result<(PathBuf, PathBuf), String> {
    match (run, db) {
        (Some(r), _) => training::cli::debrief(r, out),
        (None, Some(db)) => {
            let rec = console::records::record_from_db(db, run_id)?;
            let dir = out.map(std::path::Path::to_path_buf).unwrap_or_else(|| {
                db.parent()
                    .unwrap_or(std::path::Path::new("."))
                    .join(format!(
                        "debrief-run-{}",
                        run_id.map_or("last".into(), |r| r.to_string())
                    ))
            });
            training::debrief::Debrief::new(rec)?.write(&dir)
        }
        (None, None) => Err("give a run (run.json or its directory) or --db".into()),
    }
}

fn validate(groups: &[String]) -> ExitCode {
    use experiment::validation;
    let cases = if groups.is_empty() {
        validation::all_cases()
    } else {
        let names: Vec<&str> = groups.iter().map(String::as_str).collect();
        match validation::group_cases(&names) {
            Some(c) => c,
            None => {
                let known: Vec<&str> = validation::GROUPS.iter().map(|g| g.0).collect();
                eprintln!("error: unknown group; the groups are: {}", known.join(", "));
                return ExitCode::from(2);
            }
        }
    };
    print!("{}", validation::table(&cases));
    if validation::all_pass(&cases) {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    }
}

fn bench(seconds: f64) -> ExitCode {
    use experiment::bench;
    if !(seconds.is_finite() && seconds >= 1.0) {
        eprintln!("error: --seconds must be at least 1");
        return ExitCode::from(2);
    }
    let size = bench::twin_size();
    println!(
        "patient instance: size_of::<Twin>() = {size} bytes ({:.1} KiB; target < 64 KiB: {})",
        size as f64 / 1024.0,
        if size < 64 * 1024 { "met" } else { "NOT met" }
    );
    let mut ok = true;
    let mut ratios = Vec::new();
    let cases = [
        bench::VV_CASE,
        bench::VA_CASE,
        bench::VV_ACTIVE_CASE,
        bench::ADULT_NO_CIRCUIT_CASE,
    ];
    let timings = cases
        .iter()
        .map(|text| bench::single(text, seconds))
        .chain(std::iter::once(bench::single_neonate(seconds)));
    for timing in timings {
        match timing {
            Ok(s) => {
                let r = s.ratio();
                println!(
                    "{}: {:.0} s simulated in {:.2} s on one core = {:.0}x real time (target >= 2000x: {}); 24 h in {:.1} s",
                    s.name,
                    s.simulated_s,
                    s.wall_s,
                    r,
                    if r >= 2000.0 { "met" } else { "NOT met" },
                    86_400.0 / r
                );
                ratios.push(r);
            }
            Err(e) => {
                eprintln!("error: {e}");
                ok = false;
            }
        }
    }
    if let [.., adult, neonate] = ratios[..] {
        // The same compartments and step at every size, so the work per step is the same and
        // the ratio is 1 up to timing noise (a few per cent between two runs).
        println!(
            "neonate / adult (both without a circuit): {:.2} (target: as fast, 1 within 5 % timing noise: {})",
            neonate / adult,
            if neonate >= 0.95 * adult {
                "met"
            } else {
                "NOT met"
            }
        );
    }
    let threads = std::thread::available_parallelism().map_or(1, |n| n.get());
    match bench::batch(threads, 2, seconds) {
        Ok(s) => println!(
            "{}: {} patients x {:.0} s on {} threads in {:.2} s = {:.0}x real time in total ({:.0}x per thread)",
            s.name,
            s.instances,
            seconds.ceil(),
            s.threads,
            s.wall_s,
            s.ratio(),
            s.ratio() / s.threads as f64
        ),
        Err(e) => {
            eprintln!("error: {e}");
            ok = false;
        }
    }
    if ok {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    }
}

/// The console's subcommands return `Result`; print the error and exit 2 (bad input or
/// an I/O failure the operator must fix), matching the other subcommands' convention.
fn console_result<E: std::fmt::Display>(r: Result<(), E>) -> ExitCode {
    match r {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e}");
            ExitCode::from(2)
        }
    }
}
