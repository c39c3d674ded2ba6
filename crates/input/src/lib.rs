//! # input — what the binary reads, read one way
//!
//! Every file `ecmo` reads (experiments, scenarios, scripts, catalogue files, recordings to
//! replay, keys) goes through [`read`]: a size limit per kind of file, checked before the bytes
//! are held (so `ecmo sim /dev/zero` is refused at once instead of filling memory), and an
//! error that names the file and the limit. Lines from a stream (the simulated unit's standard
//! input) go through [`read::BoundedLines`], with a length limit per line.
//!
//! Every TOML file is read by serde derive ([`toml::from_str`]): the structure is the derived
//! types of the crate that owns the format, the vocabularies (events, settings, patient
//! parameters) are read against their tables through the seeds in [`de`], and every error names
//! the file, the line and the dotted path of the field (`timeline[2].event.severity`), with
//! serde's wording rewritten into the project's ("expected a number, found a string",
//! "unknown field; allowed here: …", "1.7 is out of range: allowed 0..=1").
//!
//! Invariants: reading never panics on any input; nothing unbounded is held; an error always
//! says what and where.

pub mod de;
mod error;
pub mod read;
pub mod toml;

pub use error::{Error, num};
