//! Every citation in the model, the validation cases, the bench and the catalogue has an entry
//! in docs/sources.md, and every reference note a validation case names is in docs/references/.
//! A citation is a capitalised name followed by a year, 1900–2099 ("Kelman 1966",
//! "Rodhe et al. 2010" gives `Rodhe 2010`, "Loeppky, Luft & Fletcher 1983" gives
//! `Fletcher 1983`); its entry is a `### ` heading of docs/sources.md holding both.
use std::path::{Path, PathBuf};

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../..")
}

/// The "Name Year" citations of `text`, in order of appearance.
fn citations(text: &str) -> Vec<(String, String)> {
    let mut out = Vec::new();
    for line in text.lines() {
        let toks: Vec<&str> = line.split_whitespace().collect();
        for (i, t) in toks.iter().enumerate() {
            let year = t
                .trim_start_matches('(')
                .trim_end_matches([')', ',', ';', ':', '.']);
            let is_year = year.len() == 4
                && year.bytes().all(|b| b.is_ascii_digit())
                && (year.starts_with("19") || year.starts_with("20"));
            if !is_year || i == 0 {
                continue;
            }
            let mut j = i - 1;
            if toks[j] == "al." && j >= 2 && toks[j - 1] == "et" {
                j -= 2;
            }
            let name = toks[j]
                .trim_end_matches(',')
                .trim_start_matches(['(', '"', '\'']);
            let first = name.chars().next();
            let last = name.chars().last();
            if first.is_some_and(|c| c.is_alphabetic() && c.is_uppercase())
                && last.is_some_and(|c| !c.is_ascii_digit())
            {
                out.push((name.to_string(), year.to_string()));
            }
        }
    }
    out
}

/// The citations of `text` that no heading of `sources` holds.
fn unknown(text: &str, sources: &str) -> Vec<String> {
    let heads: Vec<&str> = sources.lines().filter(|l| l.starts_with("### ")).collect();
    citations(text)
        .into_iter()
        .filter(|(n, y)| {
            !heads
                .iter()
                .any(|h| h.contains(n.as_str()) && h.contains(y.as_str()))
        })
        .map(|(n, y)| format!("{n} {y}"))
        .collect()
}

fn files(dir: &Path, ext: &str, out: &mut Vec<PathBuf>) {
    let mut entries: Vec<_> = std::fs::read_dir(dir)
        .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
        .map(|e| e.unwrap().path())
        .collect();
    entries.sort();
    for p in entries {
        if p.is_dir() {
            files(&p, ext, out);
        } else if p.extension().is_some_and(|x| x == ext) {
            out.push(p);
        }
    }
}

fn sources_md() -> String {
    std::fs::read_to_string(root().join("docs/sources.md")).unwrap()
}

#[test]
fn the_scanner_finds_citations_and_reports_unknown_ones() {
    let text = "Loeppky, Luft & Fletcher 1983 Respir Physiol 51:167; Rodhe et al. 2010 (x);\n\
                rate(Fluid::Albumin, 2000.0); ISO 7199; in 2019 we; (Nobody 1901)";
    let got = citations(text);
    let want = [("Fletcher", "1983"), ("Rodhe", "2010"), ("Nobody", "1901")];
    assert_eq!(got.len(), want.len(), "{got:?}");
    for ((n, y), (wn, wy)) in got.iter().zip(want) {
        assert_eq!((n.as_str(), y.as_str()), (wn, wy));
    }
    let sources = "### Loeppky, Luft & Fletcher 1983\n### Rodhe et al. 2010\nNobody 1901 in text\n";
    assert_eq!(unknown(text, sources), vec!["Nobody 1901".to_string()]);
}

#[test]
fn every_citation_has_an_entry_in_docs_sources() {
    let root = root();
    let sources = sources_md();
    let mut paths = Vec::new();
    for dir in [
        "crates/physio/src",
        "crates/experiment/src",
        "crates/bench/src",
        "crates/control/src",
    ] {
        files(&root.join(dir), "rs", &mut paths);
    }
    files(&root.join("catalogue"), "toml", &mut paths);
    let validation = paths
        .iter()
        .filter(|p| {
            p.file_name()
                .is_some_and(|n| n.to_string_lossy().starts_with("validation"))
        })
        .count();
    assert!(validation >= 4, "validation sources not found");
    let mut missing = Vec::new();
    for p in &paths {
        let text = std::fs::read_to_string(p).unwrap();
        for key in unknown(&text, &sources) {
            missing.push(format!(
                "{}: {key}",
                p.strip_prefix(&root).unwrap().display()
            ));
        }
    }
    assert!(
        missing.is_empty(),
        "citations without an entry in docs/sources.md:\n{}",
        missing.join("\n")
    );
}

/// A validation source string may name a reference note (`circuit.md: ...`); it must be one of
/// the notes in docs/references/, and sources.md must point there.
#[test]
fn reference_notes_named_by_validation_cases_are_in_the_repository() {
    let root = root();
    let mut paths = Vec::new();
    files(&root.join("crates/experiment/src"), "rs", &mut paths);
    let mut named = 0;
    for p in paths.iter().filter(|p| {
        p.file_name()
            .is_some_and(|n| n.to_string_lossy().starts_with("validation"))
    }) {
        let text = std::fs::read_to_string(p).unwrap();
        for tok in text.split(|c: char| c.is_whitespace() || c == '"' || c == '(' || c == ',') {
            let tok = tok.trim_end_matches([':', ')', ';', '.']);
            if let Some(stem) = tok.strip_suffix(".md").filter(|s| !s.contains('/')) {
                let note = root.join("docs/references").join(format!("{stem}.md"));
                assert!(
                    note.is_file(),
                    "{} cites {tok}, not in docs/references/",
                    p.display()
                );
                named += 1;
            }
        }
    }
    assert!(named > 10, "validation cases name {named} reference notes");
    for note in ["circuit.md", "patient.md", "consoles-and-standards.md"] {
        assert!(sources_md().contains(&format!("`{note}`")), "{note}");
    }
}
