//! # research — virtual cohorts, global sensitivity analysis and fitting for the twin
//!
//! The twin runs thousands of times faster than real time; this crate turns that into studies:
//!
//! - [`cohort`]: one experiment applied to every patient of a sampled virtual population
//!   (distributions in [`dist`], designs and correlations in [`sample`]), on every core,
//!   resumable, written as Parquet ([`table`]) with an HTML/SVG summary ([`summary`]).
//! - [`sensitivity`]: Sobol first-order and total indices (Saltelli sampling, Saltelli 2010 and
//!   Jansen 1999 estimators) with bootstrap confidence intervals, checked on Ishigami's function.
//! - [`fit`]: patient parameters estimated from bedside measurements (CSV, or a console
//!   recording read by the `ecmo` binary) with Levenberg–Marquardt (parallel Jacobian, best of
//!   several starts) or Nelder–Mead (argmin), with residuals and the parameters the data cannot identify.
//!
//! Files are read through `input` (errors name file, line and field) in the format of
//! docs/research.md; the experiment every run follows is an ordinary experiment file
//! (docs/experiments.md). The crate draws nothing at random outside its seeds: the same file
//! gives the same numbers on any number of threads, blocks or machines.
//!
//! What it does not do: no physics (all in `physio`), no argument parsing (clap is in `ecmo`),
//! no Python (crates/pyecmo wraps it).

/// The names a research file gives the variants of an enum, in one table: `NAMES` (for reading)
/// and `name()` (for writing).
macro_rules! names {
    ($t:ident: $($v:ident = $n:literal),+) => {
        impl $t {
            /// Every variant with the name a file gives it.
            pub const NAMES: &[(&str, $t)] = &[$(($n, $t::$v)),+];

            /// The name a file gives this variant.
            pub fn name(self) -> &'static str {
                match self {
                    $($t::$v => $n,)+
                }
            }
        }
    };
}

pub mod cohort;
pub mod dist;
pub mod fit;
pub mod pool;
pub mod progress;
pub mod sample;
pub mod sensitivity;
pub mod spec;
pub mod summary;
pub mod table;

pub use experiment::Error;
