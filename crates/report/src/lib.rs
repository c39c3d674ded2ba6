//! # report — one report model, drawn to HTML/SVG and to PDF
//!
//! Bench reports and training debriefs are built from the same pieces:
//! - [`plot::Plot`]: line series on axes with units, markers (events, actions), reference
//!   lines and shaded intervals, a legend; [`lanes::Lanes`]: rows of bars and marks on one axis.
//! - [`table::Table`]: cells that are numbers (shown rounded, kept whole in CSV), text, or text
//!   with a tone (done, late, missed).
//! - [`doc::Doc`]: a title and a flow of blocks; [`doc::Report`]: the bench's sectioned form.
//!
//! Everything is drawn into a [`draw::Drawing`] (shapes and text in page coordinates), which
//! is written as SVG (the HTML page's inline figures) or as PDF pages through krilla (see
//! [`pdf`]), so the page and the paper cannot disagree. Text is measured with the fonts the PDF
//! embeds (Noto Sans and a GB 2312 subset of Noto Sans CJK SC, in `fonts/`, compiled in): Δ, ²,
//! µ, ± and Chinese names print as themselves.
pub mod doc;
pub mod draw;
pub mod lanes;
pub mod pdf;
pub mod plot;
pub mod table;
pub mod testing;
pub mod text;

pub use doc::{Block, Chart, Doc, Figure, Report, Section};
pub use draw::{Drawing, esc};
pub use lanes::{Bar, Lane, Lanes};
pub use plot::{Axis, Legend, Mark, Plot, Series};
pub use table::{Cell, Column, Table, Tone, headers, slugify};
