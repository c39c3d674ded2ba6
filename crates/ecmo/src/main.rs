//! `ecmo`: one binary, one subcommand per job.
use clap::{Parser, Subcommand};

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
enum Command {
    /// Run the twin under the control core in real time and serve the web console.
    Serve(console::cli::ServeArgs),
    /// List the recordings in a database.
    Runs(console::cli::RunsArgs),
    /// Write a recording out as CSV files or JSON.
    Export(console::cli::ExportArgs),
    /// Play a recording back into the web console.
    Replay(console::cli::ReplayArgs),
    /// Manage console users.
    #[command(subcommand)]
    User(console::cli::UserCmd),
    /// Measure `ecmo serve`: CPU at real time, loop deadlines with N viewers.
    BenchServe(console::bench::BenchArgs),
}

fn main() {
    let cli = Cli::parse();
    let r = match cli.command {
        Command::Serve(a) => console::cli::serve(&a),
        Command::Runs(a) => console::cli::runs(&a),
        Command::Export(a) => console::cli::export(&a),
        Command::Replay(a) => console::cli::replay(&a),
        Command::User(c) => console::cli::user(&c),
        Command::BenchServe(a) => console::cli::bench_serve(&a),
    };
    if let Err(e) = r {
        eprintln!("ecmo: {e}");
        std::process::exit(2);
    }
}
