//! TOML through serde, with errors that say where: the line (from toml's spans) and the dotted
//! path of the field (from `serde_path_to_error`), and serde's wording rewritten into the
//! project's.
use crate::Error;
use crate::error::line_of;
use serde::de::DeserializeOwned;
use serde_path_to_error::Segment;

/// Re-exported so that formats can keep a value's position for checks made after reading
/// (a time that must lie within a duration given elsewhere in the file).
pub use ::toml::Spanned;

/// Marks a message that names a sub-field of the value being read (see [`crate::de::at_key`]).
pub(crate) const SUB: char = '\u{1f}';

/// Read `text` as a `T`. Syntax errors say "not valid TOML" with the line; anything else names
/// the line and the field.
pub fn from_str<T: DeserializeOwned>(text: &str) -> Result<T, Error> {
    // Syntax first, on its own: serde's errors would otherwise mix the two.
    if let Err(e) = text.parse::<::toml::Table>() {
        let err = Error::new("", format!("not valid TOML: {}", e.message().trim()));
        return Err(match e.span() {
            Some(s) => err.at_offset(text, s.start),
            None => err,
        });
    }
    serde_path_to_error::deserialize(::toml::Deserializer::new(text)).map_err(|e| {
        let mut path = path_of(e.path());
        let inner = e.into_inner();
        let line = inner.span().map(|s| line_of(text, s.start));
        let (sub, message) = rewrite(inner.message());
        for key in sub {
            push(&mut path, &key);
        }
        let mut err = Error::new(path, message);
        err.line = line;
        err
    })
}

/// An error about `path` at the line of `span` in `text`: for the checks a format makes after
/// serde has read it (a time beyond a duration given elsewhere in the file).
pub fn at(
    text: &str,
    span: std::ops::Range<usize>,
    path: impl Into<String>,
    message: impl Into<String>,
) -> Error {
    Error::new(path, message).at_offset(text, span.start)
}

/// A number read with its position, checked against `range` now that the range is known; the
/// error at its line.
pub fn within(
    text: &str,
    x: &Spanned<crate::de::Finite>,
    path: impl Into<String>,
    range: crate::de::Range,
) -> Result<f64, Error> {
    range
        .check(x.get_ref().0)
        .map_err(|m| at(text, x.span(), path, m))
}

/// The items of an array read with their positions, in file order: each with its path
/// (`name[i]`), its span and its value.
pub fn items<'a, T: 'a>(
    name: &'a str,
    list: Vec<Spanned<T>>,
) -> impl Iterator<Item = (String, std::ops::Range<usize>, T)> + 'a {
    list.into_iter().enumerate().map(move |(i, item)| {
        let span = item.span();
        (format!("{name}[{i}]"), span, item.into_inner())
    })
}

/// `timeline[2].event.kind`; toml's private span fields and serde's bookkeeping left out.
fn path_of(p: &serde_path_to_error::Path) -> String {
    let mut s = String::new();
    for seg in p.iter() {
        match seg {
            Segment::Seq { index } => s.push_str(&format!("[{index}]")),
            Segment::Map { key } if key.starts_with("$__") => {}
            Segment::Map { key } => push(&mut s, key),
            Segment::Enum { variant } => push(&mut s, variant),
            Segment::Unknown => {}
        }
    }
    s
}

fn push(path: &mut String, key: &str) {
    if !path.is_empty() {
        path.push('.');
    }
    path.push_str(key);
}

/// serde's and toml's messages in the project's words, and any sub-field keys a message
/// carries (outermost first).
fn rewrite(message: &str) -> (Vec<String>, String) {
    let mut m = message.trim();
    let mut sub = Vec::new();
    while let Some(rest) = m.strip_prefix(SUB) {
        let Some((key, tail)) = rest.split_once(SUB) else {
            break;
        };
        sub.push(key.to_string());
        m = tail;
    }
    if let Some(rest) = m.strip_prefix("missing field `")
        && let Some(key) = rest.strip_suffix('`')
    {
        sub.push(key.to_string());
        return (sub, "missing; required".into());
    }
    if let Some(rest) = m.strip_prefix("invalid type: ")
        && let Some((found, expected)) = rest.rsplit_once(", expected ")
    {
        return (
            sub,
            format!(
                "expected {}, found {}",
                expected_words(expected),
                found_words(found)
            ),
        );
    }
    if let Some(rest) = m.strip_prefix("invalid value: ")
        && let Some((found, expected)) = rest.rsplit_once(", expected ")
    {
        // `integer `-4`` → `-4`: the value itself says more than its kind.
        let value = found.split('`').nth(1).unwrap_or(found);
        return (
            sub,
            format!(
                "{value} is out of range: expected {}",
                expected_words(expected)
            ),
        );
    }
    if let Some(rest) = m.strip_prefix("unknown field `")
        && let Some((_, allowed)) = rest.split_once('`')
    {
        return (
            sub,
            format!("unknown field; allowed here: {}", list(allowed)),
        );
    }
    if let Some(rest) = m.strip_prefix("unknown variant `")
        && let Some((name, allowed)) = rest.split_once('`')
    {
        return (
            sub,
            format!("unknown value `{name}`; allowed: {}", list(allowed)),
        );
    }
    (sub, m.to_string())
}

/// `, expected one of `a`, `b`` → `a, b`.
fn list(s: &str) -> String {
    let s = s
        .trim_start_matches(", ")
        .trim_start_matches("expected one of ")
        .trim_start_matches("expected ");
    if s.starts_with("there are no") {
        return "none".into();
    }
    s.replace("` or `", ", ").replace('`', "")
}

fn expected_words(e: &str) -> String {
    match e {
        "f64" | "f32" => "a number".into(),
        "i64" | "i32" | "u32" | "u16" | "u8" => "an integer".into(),
        "u64" | "usize" => "a non-negative integer".into(),
        "a sequence" => "an array".into(),
        "a map" => "a table".into(),
        "a boolean" => "true or false".into(),
        e if e.starts_with("struct ") || e.starts_with("a table") => "a table".into(),
        e => e.to_string(),
    }
}

fn found_words(f: &str) -> String {
    let kinds = [
        ("boolean", "a boolean"),
        ("integer", "an integer"),
        ("floating point", "a number"),
        ("string", "a string"),
        ("character", "a string"),
        ("sequence", "an array"),
        ("map", "a table"),
    ];
    for (prefix, words) in kinds {
        if f.starts_with(prefix) {
            return words.to_string();
        }
    }
    f.to_string()
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde::Deserialize;

    #[derive(Debug, Deserialize)]
    #[serde(deny_unknown_fields)]
    #[allow(dead_code)]
    struct Inner {
        x: f64,
        name: String,
    }

    #[derive(Debug, Deserialize)]
    #[serde(deny_unknown_fields)]
    #[allow(dead_code)]
    struct Doc {
        a: Option<u64>,
        inner: Option<Inner>,
        list: Option<Vec<Inner>>,
    }

    fn err(text: &str) -> Error {
        from_str::<Doc>(text).unwrap_err()
    }

    #[test]
    fn errors_name_line_field_and_what_was_expected() {
        let e = err("a = 1\n[inner]\nx = \"two\"\nname = \"n\"\n");
        assert_eq!((e.path.as_str(), e.line), ("inner.x", Some(3)));
        assert_eq!(e.message, "expected a number, found a string");
        let e = err("[[list]]\nx = 1\nname = \"n\"\n[[list]]\nx = 2\nnmae = \"n\"\n");
        assert_eq!((e.path.as_str(), e.line), ("list[1].nmae", Some(6)));
        assert_eq!(e.message, "unknown field; allowed here: x, name");
        let e = err("inner = 3\n");
        assert_eq!(e.message, "expected a table, found an integer");
        let e = err("[inner]\nx = 1\n");
        assert_eq!(
            (e.path.as_str(), e.message.as_str()),
            ("inner.name", "missing; required")
        );
        let e = err("a = -4\n");
        assert_eq!(
            e.message,
            "-4 is out of range: expected a non-negative integer"
        );
        let e = err("a = \n");
        assert!(
            e.message.starts_with("not valid TOML") && e.line == Some(1),
            "{e}"
        );
    }
}
