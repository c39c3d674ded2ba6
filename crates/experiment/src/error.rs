//! Errors that say what is wrong and where: the one error of everything read
//! ([`input::Error`]: file, line, dotted path of the field, message).
pub use input::Error;
