//! `ecmo bench …`: the command-line face of the bench (clap lives only in this crate); the
//! work is the `bench` library's.
//!
//! Exit status: 0 success; 1 a check failed (`catalogue` with a published figure missed) or a
//! report could not be written; 2 bad input (catalogue file, design name, option), with a
//! message naming the file and field or the option and its range.
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::Instant;

use clap::{Args, Subcommand};

use bench::catalogue::{CannulaModel, Catalogue, check_published};
use bench::durability::{self, Circuit, Options};
use bench::report::{Cell, Report, Table};
use bench::{compare, oxytest, pumptest};

/// Print to stdout, ignoring a closed pipe (`ecmo bench … | head` must not panic; the reports
/// are written regardless).
macro_rules! out {
    ($($t:tt)*) => {{
        use std::io::Write as _;
        let _ = write!(std::io::stdout().lock(), $($t)*);
    }};
}
macro_rules! outln {
    ($($t:tt)*) => {{
        use std::io::Write as _;
        let _ = writeln!(std::io::stdout().lock(), $($t)*);
    }};
}

use bench::durability::DURABILITY_TARGET_S;

#[derive(Subcommand, Debug)]
pub enum BenchCommand {
    /// ISO 7199 oxygenator test: O2/CO2 transfer and ΔP versus blood flow 0.5–7 L/min, rated flow.
    Oxygenator {
        /// Oxygenator designs from the catalogue.
        #[arg(required = true)]
        names: Vec<String>,
        #[command(flatten)]
        common: Common,
    },
    /// Pump test: head–flow curves at nine speeds, efficiency, ASTM F1841-style 6 h hemolysis.
    Pump {
        /// Pump designs from the catalogue.
        #[arg(required = true)]
        names: Vec<String>,
        #[command(flatten)]
        common: Common,
    },
    /// Whole circuit for days under a heparin regimen and a coating: ΔP rise, transfer loss,
    /// plasma free Hb, predicted oxygenator change-out. Prints its wall time (benchmark).
    Durability {
        #[command(flatten)]
        circuit: CircuitArgs,
        #[command(flatten)]
        options: OptionArgs,
        #[command(flatten)]
        common: Common,
    },
    /// The same tests on two or more designs of one kind, with a verdict per criterion.
    Compare {
        /// Designs of one kind (pumps, oxygenators, coatings or cannulae).
        #[arg(num_args = 2.., required = true)]
        names: Vec<String>,
        #[command(flatten)]
        options: OptionArgs,
        #[command(flatten)]
        common: Common,
    },
    /// List the catalogue and check every design against the published figures it quotes
    /// (exit 1 if one is missed); with NAME, print that design's numbers and their sources.
    Catalogue {
        name: Option<String>,
        /// Extra catalogue directories (every *.toml below them).
        #[arg(long = "catalogue", value_name = "DIR")]
        dirs: Vec<PathBuf>,
    },
}

/// Options every test takes.
#[derive(Args, Debug, Clone)]
pub struct Common {
    /// Extra catalogue directories (every *.toml below them); may be repeated.
    #[arg(long = "catalogue", value_name = "DIR")]
    pub dirs: Vec<PathBuf>,
    /// Where reports go (one directory per report).
    #[arg(long, value_name = "DIR", default_value = "bench-reports")]
    pub out: PathBuf,
    /// No progress bars.
    #[arg(long)]
    pub quiet: bool,
}

/// The circuit of a durability run.
#[derive(Args, Debug, Clone)]
pub struct CircuitArgs {
    /// Pump design.
    #[arg(long, value_name = "NAME", default_value = compare::DEFAULT_CIRCUIT.pump)]
    pub pump: String,
    /// Oxygenator design.
    #[arg(long, value_name = "NAME", default_value = compare::DEFAULT_CIRCUIT.oxygenator)]
    pub oxygenator: String,
    /// Circuit coating; repeat to run several side by side.
    #[arg(long = "coating", value_name = "NAME", default_value = compare::DEFAULT_CIRCUIT.coating)]
    pub coatings: Vec<String>,
    /// Drainage cannula (a dual-lumen cannula returns too: then leave out --return).
    #[arg(long, value_name = "NAME", default_value = compare::DEFAULT_CIRCUIT.drainage)]
    pub drainage: String,
    /// Return cannula (default return-21fr unless the drainage cannula is dual-lumen).
    #[arg(long = "return", value_name = "NAME")]
    pub ret: Option<String>,
}

/// Conditions of a durability run (also used by `compare`).
#[derive(Args, Debug, Clone)]
pub struct OptionArgs {
    /// Days simulated and reported.
    #[arg(long, default_value_t = 14.0)]
    pub days: f64,
    /// Set blood flow, L/min.
    #[arg(long, default_value_t = 4.5)]
    pub flow: f64,
    /// Sweep gas, L/min (default: equal to the blood flow).
    #[arg(long)]
    pub sweep: Option<f64>,
    /// Patient weight, kg.
    #[arg(long, default_value_t = 80.0)]
    pub weight: f64,
    /// Patient haemoglobin, g/dL.
    #[arg(long, default_value_t = 12.0)]
    pub hb: f64,
    /// Heparin loading bolus, U/kg.
    #[arg(long, default_value_t = 80.0)]
    pub heparin_bolus: f64,
    /// Heparin infusion, U/kg/h.
    #[arg(long, default_value_t = 18.0)]
    pub heparin_rate: f64,
    /// Step of the slow subsystems, minutes (divides 60).
    #[arg(long, default_value_t = 10.0)]
    pub step_min: f64,
    /// Pressure at the drainage site, mmHg.
    #[arg(long, default_value_t = 8.0, allow_hyphen_values = true)]
    pub venous_pressure: f64,
    /// Pressure at the return site, mmHg.
    #[arg(long, default_value_t = 8.0, allow_hyphen_values = true)]
    pub return_pressure: f64,
    /// Change-out when oxygenator ΔP reaches this multiple of its clean value.
    #[arg(long, default_value_t = 2.0)]
    pub dp_factor: f64,
    /// Change-out when O2 transfer falls below this fraction of its clean value.
    #[arg(long, default_value_t = 0.75)]
    pub o2_fraction: f64,
    /// How far (days) to run on to predict a change-out beyond the reported days.
    #[arg(long, default_value_t = 120.0)]
    pub horizon: f64,
    /// Patient preset carrying the circuit for the daily checks on the full twin, or `none`.
    #[arg(long, value_name = "PRESET", default_value = "ards-severe")]
    pub patient: String,
}

impl From<&OptionArgs> for Options {
    fn from(a: &OptionArgs) -> Self {
        Options {
            days: a.days,
            flow_lpm: a.flow,
            sweep_lpm: a.sweep,
            weight_kg: a.weight,
            hb_g_dl: a.hb,
            heparin_bolus_u_kg: a.heparin_bolus,
            heparin_u_kg_h: a.heparin_rate,
            step_min: a.step_min,
            venous_mmhg: a.venous_pressure,
            return_mmhg: a.return_pressure,
            dp_factor: a.dp_factor,
            o2_fraction: a.o2_fraction,
            horizon_days: a.horizon,
            patient: (a.patient != "none").then(|| a.patient.clone()),
        }
    }
}

/// Bad input: exit 2 with the message.
fn bad(msg: impl std::fmt::Display) -> ExitCode {
    eprintln!("error: {msg}");
    ExitCode::from(2)
}

fn load(dirs: &[PathBuf]) -> Result<Catalogue, ExitCode> {
    Catalogue::with_dirs(dirs).map_err(bad)
}

/// Print the report's tables and write its files.
fn emit(report: &Report, out: &Path) -> ExitCode {
    out!("{}", report.to_text());
    match report.write(out) {
        Ok(dir) => {
            outln!(
                "report: {} ({} CSV files)",
                dir.join("index.html").display(),
                report.tables().count()
            );
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!(
                "error: cannot write the report under {}: {e}",
                out.display()
            );
            ExitCode::FAILURE
        }
    }
}

/// `ecmo bench oxygenator` and `ecmo bench pump`: each named design of the kind `find` looks
/// up goes through `test`, and `report` writes them all.
fn test_designs<D, R>(
    names: &[String],
    common: &Common,
    find: for<'c> fn(&'c Catalogue, &str) -> Result<&'c D, String>,
    test: fn(&D, bool) -> R,
    report: fn(&[R]) -> Report,
) -> ExitCode {
    let c = match load(&common.dirs) {
        Ok(c) => c,
        Err(e) => return e,
    };
    let mut res = Vec::new();
    for n in names {
        match find(&c, n) {
            Ok(d) => res.push(test(d, !common.quiet)),
            Err(e) => return bad(e),
        }
    }
    emit(&report(&res), &common.out)
}

/// Run one `ecmo bench` command.
pub fn run(cmd: BenchCommand) -> ExitCode {
    match cmd {
        BenchCommand::Oxygenator { names, common } => test_designs(
            &names,
            &common,
            Catalogue::oxygenator,
            oxytest::run,
            oxytest::report,
        ),
        BenchCommand::Pump { names, common } => test_designs(
            &names,
            &common,
            Catalogue::pump,
            pumptest::run,
            pumptest::report,
        ),
        BenchCommand::Durability {
            circuit,
            options,
            common,
        } => durability_cmd(&circuit, &(&options).into(), &common),
        BenchCommand::Compare {
            names,
            options,
            common,
        } => {
            let c = match load(&common.dirs) {
                Ok(c) => c,
                Err(e) => return e,
            };
            match compare::run(&c, &names, &(&options).into(), !common.quiet) {
                Ok(cmp) => emit(&cmp.report(), &common.out),
                Err(e) => bad(e),
            }
        }
        BenchCommand::Catalogue { name, dirs } => catalogue_cmd(name.as_deref(), &dirs),
    }
}

fn durability_cmd(a: &CircuitArgs, o: &Options, common: &Common) -> ExitCode {
    if let Err(e) = o.validate() {
        return bad(e);
    }
    let c = match load(&common.dirs) {
        Ok(c) => c,
        Err(e) => return e,
    };
    let lookup = || -> Result<_, String> {
        let pump = c.pump(&a.pump)?;
        let oxygenator = c.oxygenator(&a.oxygenator)?;
        let drainage = c.cannula(&a.drainage)?;
        let ret = match (&drainage.model, a.ret.as_deref()) {
            (CannulaModel::DualLumen(_), None) => None,
            (CannulaModel::DualLumen(_), Some(r)) => {
                return Err(format!(
                    "--return {r}: the drainage cannula `{}` is dual-lumen and returns the blood itself",
                    a.drainage
                ));
            }
            (_, r) => {
                if drainage.model.role_name() != "drainage" {
                    return Err(format!(
                        "--drainage {}: is a {} cannula",
                        a.drainage,
                        drainage.model.role_name()
                    ));
                }
                let r = r.unwrap_or(compare::DEFAULT_CIRCUIT.ret);
                let rd = c.cannula(r)?;
                if rd.model.role_name() != "return" {
                    return Err(format!(
                        "--return {r}: is a {} cannula",
                        rd.model.role_name()
                    ));
                }
                Some(rd)
            }
        };
        let coatings = a
            .coatings
            .iter()
            .map(|k| c.coating(k))
            .collect::<Result<Vec<_>, _>>()?;
        Ok((pump, oxygenator, drainage, ret, coatings))
    };
    let (pump, oxygenator, drainage, ret, coatings) = match lookup() {
        Ok(x) => x,
        Err(e) => return bad(e),
    };
    let mut results = Vec::new();
    let start = Instant::now();
    for coating in coatings {
        let circuit = Circuit {
            pump,
            oxygenator,
            coating,
            drainage,
            ret,
        };
        match durability::run(&circuit, o, !common.quiet) {
            Ok(r) => {
                if let Some(w) = r.beyond_label() {
                    eprintln!("warning: {}: {w}", r.label);
                }
                results.push(r)
            }
            Err(e) => return bad(e),
        }
    }
    let code = emit(&durability::report(&results), &common.out);
    // Wall time goes to the terminal only: report files stay deterministic.
    for r in &results {
        let scaled = r.elapsed_s * 14.0 / r.options.days;
        outln!(
            "wall time: {}: {} days simulated in {:.2} s ({} steps; 14 days at this rate {:.2} s, target < {DURABILITY_TARGET_S:.0} s: {})",
            r.label,
            r.options.days,
            r.elapsed_s,
            r.steps,
            scaled,
            if scaled < DURABILITY_TARGET_S {
                "met"
            } else {
                "NOT met"
            }
        );
    }
    if results.len() > 1 {
        outln!(
            "wall time, all runs: {:.2} s",
            start.elapsed().as_secs_f64()
        );
    }
    code
}

fn catalogue_cmd(name: Option<&str>, dirs: &[PathBuf]) -> ExitCode {
    let c = match load(dirs) {
        Ok(c) => c,
        Err(e) => return e,
    };
    if let Some(n) = name {
        let d = match c.find(n) {
            Ok(d) => d,
            Err(e) => return bad(e),
        };
        let m = d.meta();
        outln!("{} ({}): {}\nfile: {}\n", m.name, d.kind(), m.title, m.file);
        let mut t = Table::new(
            "sources",
            "Every number and its source",
            &["field", "source"],
        );
        for (f, s) in &m.sources {
            t.push(vec![Cell::text(f), Cell::text(s)]);
        }
        out!("{}", t.to_text());
        return ExitCode::SUCCESS;
    }
    let mut list = Table::new("catalogue", "Catalogue", &["kind", "name", "title", "file"]);
    let mut checks = Table::new(
        "published",
        "Published figures against the models",
        &[
            "design",
            "figure",
            "published",
            "model",
            "tolerance",
            "result",
        ],
    );
    let mut ok = true;
    let mut designs: Vec<_> = c.designs().collect();
    designs.sort_by_key(|d| (d.kind(), d.meta().name.clone()));
    for d in designs {
        let m = d.meta();
        list.push(vec![
            Cell::text(d.kind()),
            Cell::text(&m.name),
            Cell::text(&m.title),
            Cell::text(&m.file),
        ]);
        for f in check_published(d) {
            ok &= f.ok();
            checks.push(vec![
                Cell::text(&f.design),
                Cell::text(&f.what),
                Cell::Num(f.published, 2),
                Cell::Num(f.model, 2),
                Cell::text(if f.at_least {
                    "at least".to_string()
                } else {
                    format!("±{}", f.tolerance)
                }),
                Cell::text(if f.ok() { "ok" } else { "MISSED" }),
            ]);
        }
    }
    out!("{}\n{}", list.to_text(), checks.to_text());
    if ok {
        ExitCode::SUCCESS
    } else {
        eprintln!("error: a design misses a published figure it quotes");
        ExitCode::FAILURE
    }
}
