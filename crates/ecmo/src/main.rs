//! `ecmo`: one binary, one subcommand per job.
use clap::{Parser, Subcommand};

#[derive(Parser)]
#[command(name = "ecmo", version, about = "OpenECMO: console, digital twin, validation, benches")]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {}

fn main() {
    let cli = Cli::parse();
    match cli.command {}
}
