//! Errors that say what is wrong and where.
use std::fmt;

/// A problem with an experiment, located by the dotted path of the offending field
/// (`timeline[2].event.severity`), or by an empty path for problems with the file as a whole.
#[derive(Clone, Debug, PartialEq)]
pub struct Error {
    /// Dotted path of the field, e.g. `circuit.drainage_fr`; empty for whole-file errors.
    pub path: String,
    /// What is wrong and, where there is one, the allowed range or set of values.
    pub message: String,
}

impl Error {
    pub fn new(path: impl Into<String>, message: impl Into<String>) -> Self {
        Error {
            path: path.into(),
            message: message.into(),
        }
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.path.is_empty() {
            write!(f, "{}", self.message)
        } else {
            write!(f, "`{}`: {}", self.path, self.message)
        }
    }
}

impl std::error::Error for Error {}
