//! The hazard analysis's traceability, enforced rather than only written (docs/hazards.md):
//! every test the hazard table names as proof exists where the document's legend says it is,
//! and every safety requirement ID is named both by the control code that meets it and by a
//! test. A renamed or deleted test, or a requirement nothing cites any more, fails here
//! instead of leaving the analysis pointing at nothing.

use std::collections::BTreeSet;
use std::fs;
use std::path::{Path, PathBuf};

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

fn read(rel: &str) -> String {
    fs::read_to_string(root().join(rel)).unwrap_or_else(|e| panic!("{rel}: {e}"))
}

/// Every `.rs` file below `dir` (relative to the root), recursively.
fn rust_files(dir: &str) -> Vec<PathBuf> {
    let mut out = Vec::new();
    let mut todo = vec![root().join(dir)];
    while let Some(d) = todo.pop() {
        for e in fs::read_dir(&d).unwrap_or_else(|e| panic!("{}: {e}", d.display())) {
            let p = e.unwrap().path();
            if p.is_dir() {
                todo.push(p);
            } else if p.extension().is_some_and(|x| x == "rs") {
                out.push(p);
            }
        }
    }
    out.sort();
    out
}

/// The rows of the markdown table whose first cell matches `first`, as cells.
fn rows(doc: &str, first: impl Fn(&str) -> bool) -> Vec<Vec<String>> {
    doc.lines()
        .filter(|l| l.starts_with('|'))
        .map(|l| {
            l.split('|')
                .map(|c| c.trim().to_string())
                .collect::<Vec<_>>()
        })
        .filter(|cells| cells.len() > 2 && first(&cells[1]))
        .collect()
}

/// The spans between backticks in `cell`.
fn quoted(cell: &str) -> Vec<&str> {
    cell.split('`').skip(1).step_by(2).collect()
}

/// The files a test path of the hazard table lives in, by the legend at the top of
/// docs/hazards.md, and the test's own name (a trailing `*` is a prefix).
fn locate(path: &str) -> (Vec<PathBuf>, &str) {
    let (module, name) = path.rsplit_once("::").unwrap_or(("", path));
    let control = |rel: &str| root().join("crates/control").join(rel);
    let files = match module {
        "tests" => vec![control("src/tests.rs")],
        "alarm::tests" => vec![control("src/alarm.rs")],
        "controller::pump::tests" => vec![control("src/controller/pump.rs")],
        "props" | "no_alloc" => vec![control(&format!("tests/{module}.rs"))],
        "closed_loop" | "va_min_speed" => {
            vec![root().join(format!("crates/sil/tests/{module}.rs"))]
        }
        m if m.starts_with("tests::") => {
            vec![control(&format!("src/tests/{}.rs", &m["tests::".len()..]))]
        }
        m => panic!("docs/hazards.md names `{path}`: no file for module `{m}` in its legend"),
    };
    (files, name)
}

fn defines_test(src: &str, name: &str) -> bool {
    match name.strip_suffix('*') {
        Some(prefix) => src.contains(&format!("fn {prefix}")),
        None => src.contains(&format!("fn {name}(")),
    }
}

/// Every test the hazard table gives as proof exists, in the file the legend names.
#[test]
fn every_test_named_as_proof_exists() {
    let doc = read("docs/hazards.md");
    let hazards = rows(&doc, |c| {
        c.starts_with('H') && c[1..].chars().all(|d| d.is_ascii_digit()) && c.len() > 1
    });
    assert!(hazards.len() >= 20, "{} hazard rows", hazards.len());
    let mut named = 0;
    let mut missing = Vec::new();
    for row in &hazards {
        // The last cell, "Proven by" (the line's closing `|` leaves an empty one after it).
        let proof = &row[row.len() - 2];
        for path in quoted(proof).into_iter().filter(|p| p.contains("::")) {
            named += 1;
            let (files, name) = locate(path);
            let found = files
                .iter()
                .any(|f| fs::read_to_string(f).is_ok_and(|src| defines_test(&src, name)));
            if !found {
                missing.push(format!("{} names `{path}`", row[1]));
            }
        }
    }
    assert!(named >= 60, "only {named} tests named as proof");
    assert!(missing.is_empty(), "not found:\n{}", missing.join("\n"));
}

/// Every requirement ID of the table is named in the control code that meets it (crates/control
/// or the software-in-the-loop wiring, outside tests) and by at least one test (a test file's
/// text, or a test function named after it, e.g. `int4_…`).
#[test]
fn every_requirement_is_met_by_code_and_named_by_a_test() {
    let doc = read("docs/hazards.md");
    let ids: BTreeSet<String> = rows(&doc, |c| {
        c.split_once('-').is_some_and(|(a, n)| {
            a.len() == 3
                && a.chars().all(|ch| ch.is_ascii_uppercase())
                && !n.is_empty()
                && n.chars().all(|d| d.is_ascii_digit())
        })
    })
    .into_iter()
    .map(|r| r[1].clone())
    .collect();
    assert!(ids.len() >= 40, "{} requirement IDs", ids.len());
    let is_test = |p: &Path| {
        let s = p.to_string_lossy();
        s.contains("/tests/") || s.ends_with("/tests.rs") || s.contains("/benches/")
    };
    let mut code = String::new();
    let mut tests = String::new();
    for dir in ["crates/control", "crates/sil"] {
        for f in rust_files(dir) {
            let src = fs::read_to_string(&f).unwrap();
            // A module's own inline `mod tests { … }` counts as test text, the rest as code.
            let (body, unit) = match src.find("#[cfg(test)]\nmod tests {") {
                Some(i) => src.split_at(i),
                None => (src.as_str(), ""),
            };
            if is_test(&f) {
                tests.push_str(&src);
            } else {
                code.push_str(body);
                tests.push_str(unit);
            }
        }
    }
    let tests_lower = tests.to_lowercase();
    let mut gaps = Vec::new();
    for id in &ids {
        // "INT-4" as itself, or inside a range such as "CTL-2..CTL-5".
        let (group, n) = id.split_once('-').unwrap();
        let n: u32 = n.parse().unwrap();
        let cited = |text: &str| {
            // The ID not followed by another digit ("INT-1" is not "INT-10").
            text.match_indices(id.as_str()).any(|(i, _)| {
                !text[i + id.len()..]
                    .chars()
                    .next()
                    .is_some_and(|c| c.is_ascii_digit())
            }) || in_a_range(text, group, n)
        };
        if !cited(&code) {
            gaps.push(format!("{id}: named by no control code"));
        }
        let fn_name = format!("fn {}{}", group.to_lowercase(), n);
        if !cited(&tests) && !tests_lower.contains(&fn_name) {
            gaps.push(format!("{id}: named by no test"));
        }
    }
    assert!(gaps.is_empty(), "{}", gaps.join("\n"));
}

/// Whether `text` has a range `G-a..G-b` (or `G-a–G-b`) with a ≤ n ≤ b.
fn in_a_range(text: &str, group: &str, n: u32) -> bool {
    let start = format!("{group}-");
    text.match_indices(&start).any(|(i, _)| {
        let rest = &text[i + start.len()..];
        let a: String = rest.chars().take_while(char::is_ascii_digit).collect();
        let after = &rest[a.len()..];
        let after = after
            .strip_prefix("..")
            .or_else(|| after.strip_prefix('–'))
            .unwrap_or("");
        let Some(after) = after.strip_prefix(&start) else {
            return false;
        };
        let b: String = after.chars().take_while(char::is_ascii_digit).collect();
        match (a.parse::<u32>(), b.parse::<u32>()) {
            (Ok(a), Ok(b)) => a <= n && n <= b,
            _ => false,
        }
    })
}
