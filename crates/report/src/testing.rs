//! For tests: a PDF read back by poppler's tools (`pdftotext`, `pdftoppm`), as a person's
//! reader would, rather than by this crate's own idea of what it wrote.
//!
//! `scripts/test.sh` installs poppler-utils and sets `ECMO_REQUIRE_POPPLER=1`, so in CI a
//! missing tool fails the test; a developer without poppler sees the check skipped, said on
//! stderr.
use std::path::{Path, PathBuf};
use std::process::Command;

fn run(tool: &str, args: &[&std::ffi::OsStr]) -> Option<std::process::Output> {
    match Command::new(tool).args(args).output() {
        Ok(out) => {
            assert!(
                out.status.success(),
                "{tool} failed: {}",
                String::from_utf8_lossy(&out.stderr)
            );
            Some(out)
        }
        Err(e) => {
            assert!(
                std::env::var_os("ECMO_REQUIRE_POPPLER").is_none(),
                "{tool} is needed (apt-get install poppler-utils; scripts/test.sh does): {e}"
            );
            eprintln!("skipped: {tool} not found ({e}); install poppler-utils to check PDFs");
            None
        }
    }
}

/// The PDF's text in reading order (`pdftotext -layout`); `None` when poppler is absent.
pub fn pdf_text(pdf: &Path) -> Option<String> {
    let out = run(
        "pdftotext",
        &["-layout".as_ref(), pdf.as_os_str(), "-".as_ref()],
    )?;
    Some(String::from_utf8_lossy(&out.stdout).into_owned())
}

/// The PDF's pages as PNG files `<prefix>-<n>.png` at `dpi`; `None` when poppler is absent.
/// Fails when poppler reports a syntax error in the file.
pub fn pdf_pages_png(pdf: &Path, prefix: &Path, dpi: u32) -> Option<Vec<PathBuf>> {
    let dpi = dpi.to_string();
    let out = run(
        "pdftoppm",
        &[
            "-png".as_ref(),
            "-r".as_ref(),
            dpi.as_ref(),
            pdf.as_os_str(),
            prefix.as_os_str(),
        ],
    )?;
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(!err.contains("Error"), "pdftoppm: {err}");
    let dir = prefix.parent().unwrap_or(Path::new("."));
    let stem = prefix.file_name()?.to_string_lossy().into_owned();
    let mut pages: Vec<PathBuf> = std::fs::read_dir(dir)
        .ok()?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| {
            p.file_name().is_some_and(|n| {
                let n = n.to_string_lossy();
                n.starts_with(&format!("{stem}-")) && n.ends_with(".png")
            })
        })
        .collect();
    pages.sort();
    Some(pages)
}

/// The fraction of a page's pixels that are not near-white (`pdftoppm -gray`, a PGM read here):
/// a page with its text and figures on it has ink; a page of missing glyphs or nothing has
/// little. `None` when poppler is absent.
pub fn pdf_ink(pdf: &Path, page: u32, dpi: u32) -> Option<f64> {
    let (p, dpi) = (page.to_string(), dpi.to_string());
    let out = run(
        "pdftoppm",
        &[
            "-gray".as_ref(),
            "-r".as_ref(),
            dpi.as_ref(),
            "-f".as_ref(),
            p.as_ref(),
            "-l".as_ref(),
            p.as_ref(),
            pdf.as_os_str(),
        ],
    )?;
    let pgm = out.stdout;
    // "P5\n<w> <h>\n255\n" then one byte a pixel.
    let mut fields = Vec::new();
    let mut at = 0;
    while fields.len() < 4 && at < pgm.len() {
        while at < pgm.len() && pgm[at].is_ascii_whitespace() {
            at += 1;
        }
        let start = at;
        while at < pgm.len() && !pgm[at].is_ascii_whitespace() {
            at += 1;
        }
        fields.push(String::from_utf8_lossy(&pgm[start..at]).into_owned());
    }
    assert_eq!(
        fields.first().map(String::as_str),
        Some("P5"),
        "pdftoppm -gray writes PGM"
    );
    let pixels = &pgm[(at + 1).min(pgm.len())..];
    let dark = pixels.iter().filter(|&&v| v < 200).count();
    Some(dark as f64 / pixels.len().max(1) as f64)
}
