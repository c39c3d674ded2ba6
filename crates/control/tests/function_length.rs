//! No function in the control core is longer than [`MAX_LINES`] lines (issue 13): a function
//! that cannot be read on one screen cannot be reviewed line by line, and class C software is
//! reviewed line by line. `Controller::step` is a list of named phases for this reason.
//!
//! The scan is lexical: a line that declares a function (`fn name`), then its body to the
//! matching closing brace, skipping braces inside comments, strings and character literals.
//! It counts every line of the declaration and body, blank lines and comments included.

use std::path::{Path, PathBuf};

const MAX_LINES: usize = 100;

fn sources(dir: &Path, out: &mut Vec<PathBuf>) {
    for e in std::fs::read_dir(dir).unwrap() {
        let p = e.unwrap().path();
        if p.is_dir() {
            sources(&p, out);
        } else if p.extension().is_some_and(|x| x == "rs") {
            out.push(p);
        }
    }
}

/// The code of a file with comments, strings and character literals blanked out (same length,
/// same line breaks), so that only real braces remain.
fn code_only(text: &str) -> String {
    let b: Vec<char> = text.chars().collect();
    let mut out = String::with_capacity(text.len());
    let mut i = 0;
    let blank = |c: char| if c == '\n' { '\n' } else { ' ' };
    while i < b.len() {
        let c = b[i];
        let next = b.get(i + 1).copied();
        if c == '/' && next == Some('/') {
            while i < b.len() && b[i] != '\n' {
                out.push(' ');
                i += 1;
            }
        } else if c == '/' && next == Some('*') {
            let mut depth = 0;
            while i < b.len() {
                if b[i] == '/' && b.get(i + 1) == Some(&'*') {
                    depth += 1;
                    out.push_str("  ");
                    i += 2;
                } else if b[i] == '*' && b.get(i + 1) == Some(&'/') {
                    depth -= 1;
                    out.push_str("  ");
                    i += 2;
                    if depth == 0 {
                        break;
                    }
                } else {
                    out.push(blank(b[i]));
                    i += 1;
                }
            }
        } else if c == '"' || (c == 'r' && (next == Some('"') || next == Some('#'))) {
            // Raw strings: r"..." or r#"..."#.
            if c == 'r' {
                let mut hashes = 0;
                let mut j = i + 1;
                while b.get(j) == Some(&'#') {
                    hashes += 1;
                    j += 1;
                }
                if b.get(j) != Some(&'"') {
                    out.push(c);
                    i += 1;
                    continue;
                }
                let close: String = std::iter::once('"')
                    .chain(std::iter::repeat_n('#', hashes))
                    .collect();
                let rest: String = b[j + 1..].iter().collect();
                let end = rest.find(&close).map_or(b.len(), |k| {
                    j + 1 + rest[..k].chars().count() + close.chars().count()
                });
                for &ch in &b[i..end] {
                    out.push(blank(ch));
                }
                i = end;
                continue;
            }
            out.push(' ');
            i += 1;
            while i < b.len() && b[i] != '"' {
                if b[i] == '\\' {
                    out.push(' ');
                    i += 1;
                }
                if i < b.len() {
                    out.push(blank(b[i]));
                    i += 1;
                }
            }
            out.push(' ');
            i += 1;
        } else if c == '\'' {
            // A character literal ('x', '\n', '\u{..}') or a lifetime ('a).
            let lit_end = if next == Some('\\') {
                b[i + 2..]
                    .iter()
                    .position(|&x| x == '\'')
                    .map(|k| i + 2 + k)
            } else if b.get(i + 2) == Some(&'\'') {
                Some(i + 2)
            } else {
                None
            };
            match lit_end {
                Some(e) => {
                    for _ in i..=e {
                        out.push(' ');
                    }
                    i = e + 1;
                }
                None => {
                    out.push(c);
                    i += 1;
                }
            }
        } else {
            out.push(c);
            i += 1;
        }
    }
    out
}

/// (name, first line, number of lines) of every function with a body.
fn functions(code: &str) -> Vec<(String, usize, usize)> {
    let lines: Vec<&str> = code.lines().collect();
    let mut found = Vec::new();
    for (n, line) in lines.iter().enumerate() {
        let Some(at) = find_fn(line) else { continue };
        let name: String = line[at + 3..]
            .chars()
            .take_while(|c| c.is_alphanumeric() || *c == '_')
            .collect();
        // From the declaration on: the first `{` opens the body, unless a `;` ends a
        // declaration without one (a trait method).
        let mut depth = 0usize;
        let mut opened = false;
        'scan: for (k, l) in lines.iter().enumerate().skip(n) {
            let from = if k == n { at } else { 0 };
            for ch in l[from..].chars() {
                match ch {
                    ';' if !opened => break 'scan,
                    '{' => {
                        depth += 1;
                        opened = true;
                    }
                    '}' if opened => {
                        depth -= 1;
                        if depth == 0 {
                            found.push((name.clone(), n + 1, k - n + 1));
                            break 'scan;
                        }
                    }
                    _ => {}
                }
            }
        }
    }
    found
}

/// Where `fn ` starts as a keyword on this line.
fn find_fn(line: &str) -> Option<usize> {
    let mut from = 0;
    while let Some(k) = line[from..].find("fn ") {
        let at = from + k;
        let before = line[..at].chars().last();
        if before.is_none_or(|c| !(c.is_alphanumeric() || c == '_')) {
            return Some(at);
        }
        from = at + 3;
    }
    None
}

#[test]
fn no_function_in_the_control_crate_is_longer_than_100_lines() {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut files = Vec::new();
    sources(&src, &mut files);
    files.sort();
    let mut long = Vec::new();
    let mut count = 0;
    for f in &files {
        let code = code_only(&std::fs::read_to_string(f).unwrap());
        for (name, line, len) in functions(&code) {
            count += 1;
            if len > MAX_LINES {
                long.push(format!(
                    "{}:{line}: fn {name} is {len} lines",
                    f.strip_prefix(&src).unwrap().display()
                ));
            }
        }
    }
    assert!(count > 100, "the scan found only {count} functions");
    assert!(
        long.is_empty(),
        "longer than {MAX_LINES} lines:\n{}",
        long.join("\n")
    );
}

#[test]
fn the_scan_measures_what_it_should() {
    let text = "fn a() {\n    let s = \"}\"; // }\n    let c = '}';\n    /* } */\n}\n\
                trait T { fn b(&self); }\nfn c<'a>(x: &'a str) -> &'a str {\n    x\n}\n";
    let f = functions(&code_only(text));
    let names: Vec<(&str, usize, usize)> = f.iter().map(|(n, l, k)| (n.as_str(), *l, *k)).collect();
    assert_eq!(names, vec![("a", 1, 5), ("c", 7, 3)]);
}
