//! One error for everything read: what is wrong and where (file, line, field).
use std::fmt;

/// A problem with something read, located as precisely as it can be: the file, the line, and
/// the dotted path of the field (`timeline[2].event.severity`); the path is empty for problems
/// with the file as a whole.
#[derive(Clone, Debug, PartialEq)]
pub struct Error {
    /// The file as given on the command line (or `catalogue/x.toml (built in)`); `None` for
    /// text that came from elsewhere.
    pub file: Option<String>,
    /// 1-based line of the field or of the syntax error, where known.
    pub line: Option<usize>,
    /// Dotted path of the field, e.g. `circuit.drainage_fr`; empty for whole-file problems.
    pub path: String,
    /// What is wrong and, where there is one, the allowed range or set of values.
    pub message: String,
}

impl Error {
    pub fn new(path: impl Into<String>, message: impl Into<String>) -> Self {
        Error {
            file: None,
            line: None,
            path: path.into(),
            message: message.into(),
        }
    }

    /// The same error, said of `file` (unless it already names one).
    pub fn in_file(mut self, file: impl fmt::Display) -> Self {
        if self.file.is_none() {
            self.file = Some(file.to_string());
        }
        self
    }

    /// The same error at `line` (unless it already has one).
    pub fn at_line(mut self, line: Option<usize>) -> Self {
        if self.line.is_none() {
            self.line = line;
        }
        self
    }

    /// The same error at the line of byte `offset` of `text`.
    pub fn at_offset(self, text: &str, offset: usize) -> Self {
        self.at_line(Some(line_of(text, offset)))
    }
}

/// The 1-based line of byte `offset` in `text`.
pub fn line_of(text: &str, offset: usize) -> usize {
    let end = offset.min(text.len());
    1 + text.as_bytes()[..end]
        .iter()
        .filter(|&&b| b == b'\n')
        .count()
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match (&self.file, self.line) {
            (Some(file), Some(line)) => write!(f, "{file}:{line}: ")?,
            (Some(file), None) => write!(f, "{file}: ")?,
            (None, Some(line)) => write!(f, "line {line}: ")?,
            (None, None) => {}
        }
        if self.path.is_empty() {
            write!(f, "{}", self.message)
        } else {
            write!(f, "`{}`: {}", self.path, self.message)
        }
    }
}

impl std::error::Error for Error {}

/// A number for messages, without a trailing `.0` on whole numbers.
pub fn num(x: f64) -> String {
    if x.is_finite() && x == x.trunc() && x.abs() < 1e15 {
        format!("{}", x as i64)
    } else {
        format!("{x}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn display_says_file_line_and_field() {
        let e = Error::new("timeline[2].event.severity", "1.7 is out of range")
            .in_file("x.toml")
            .at_offset("a\nb\nc", 4);
        assert_eq!(
            e.to_string(),
            "x.toml:3: `timeline[2].event.severity`: 1.7 is out of range"
        );
        assert_eq!(Error::new("", "too big").to_string(), "too big");
        assert_eq!(num(3.0), "3");
        assert_eq!(num(0.21), "0.21");
    }
}
