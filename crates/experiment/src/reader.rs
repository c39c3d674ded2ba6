//! Walking a parsed TOML document field by field, so that every error carries the dotted path
//! of the field it is about, unknown fields are refused, and numbers are range-checked.
//!
//! serde's derive would give shorter code but weaker messages: it reports the first unknown key
//! without the array index that leads to it, and range checks would live apart from the fields.
use crate::error::Error;
use toml::Value;

/// The kind of a TOML value, in words, for "expected X, found Y" messages.
pub fn kind(v: &Value) -> &'static str {
    match v {
        Value::String(_) => "a string",
        Value::Integer(_) => "an integer",
        Value::Float(_) => "a number",
        Value::Boolean(_) => "a boolean",
        Value::Datetime(_) => "a date",
        Value::Array(_) => "an array",
        Value::Table(_) => "a table",
    }
}

/// `path.key`, or `key` at the top level.
pub fn join(path: &str, key: &str) -> String {
    if path.is_empty() {
        key.to_string()
    } else {
        format!("{path}.{key}")
    }
}

/// Format a bound without a trailing `.0` noise for whole numbers.
pub fn num(x: f64) -> String {
    if x.is_finite() && x == x.trunc() && x.abs() < 1e15 {
        format!("{}", x as i64)
    } else {
        format!("{x}")
    }
}

/// A number from a TOML value: integers and floats are both accepted.
pub fn as_f64(path: &str, v: &Value, unit: &str) -> Result<f64, Error> {
    let x = match v {
        Value::Integer(i) => *i as f64,
        Value::Float(f) => *f,
        other => {
            let what = if unit.is_empty() || unit == "1" {
                "expected a number".to_string()
            } else {
                format!("expected a number ({unit})")
            };
            return Err(Error::new(path, format!("{what}, found {}", kind(other))));
        }
    };
    if !x.is_finite() {
        return Err(Error::new(path, "must be a finite number"));
    }
    Ok(x)
}

/// Check `x` against an inclusive range.
pub fn in_range(path: &str, x: f64, lo: f64, hi: f64, unit: &str) -> Result<f64, Error> {
    if x < lo || x > hi {
        let unit = if unit.is_empty() || unit == "1" {
            String::new()
        } else {
            format!(" {unit}")
        };
        return Err(Error::new(
            path,
            format!(
                "{} is out of range: allowed {}..={}{unit}",
                num(x),
                num(lo),
                num(hi)
            ),
        ));
    }
    Ok(x)
}

/// One TOML table being read; knows its path and refuses keys it does not expect.
pub struct Table<'a> {
    pub path: String,
    map: &'a toml::Table,
}

impl<'a> Table<'a> {
    /// Open `map` at `path`, refusing any key not in `allowed`.
    pub fn new(path: String, map: &'a toml::Table, allowed: &[&str]) -> Result<Self, Error> {
        for key in map.keys() {
            if !allowed.contains(&key.as_str()) {
                return Err(Error::new(
                    join(&path, key),
                    format!("unknown field; allowed here: {}", allowed.join(", ")),
                ));
            }
        }
        Ok(Table { path, map })
    }

    /// Open a value that must be a table.
    pub fn from_value(path: String, v: &'a Value, allowed: &[&str]) -> Result<Self, Error> {
        match v {
            Value::Table(t) => Table::new(path, t, allowed),
            other => Err(Error::new(
                path,
                format!("expected a table, found {}", kind(other)),
            )),
        }
    }

    pub fn at(&self, key: &str) -> String {
        join(&self.path, key)
    }

    pub fn get(&self, key: &str) -> Option<&'a Value> {
        self.map.get(key)
    }

    pub fn is_empty(&self) -> bool {
        self.map.is_empty()
    }

    /// An optional number within `lo..=hi`.
    pub fn f64_opt(&self, key: &str, lo: f64, hi: f64, unit: &str) -> Result<Option<f64>, Error> {
        match self.map.get(key) {
            None => Ok(None),
            Some(v) => {
                let p = self.at(key);
                let x = as_f64(&p, v, unit)?;
                in_range(&p, x, lo, hi, unit).map(Some)
            }
        }
    }

    /// A required number within `lo..=hi`.
    pub fn f64_req(&self, key: &str, lo: f64, hi: f64, unit: &str) -> Result<f64, Error> {
        self.f64_opt(key, lo, hi, unit)?.ok_or_else(|| {
            Error::new(
                self.at(key),
                format!(
                    "missing; required, {}..={}{}",
                    num(lo),
                    num(hi),
                    if unit.is_empty() || unit == "1" {
                        String::new()
                    } else {
                        format!(" {unit}")
                    }
                ),
            )
        })
    }

    pub fn str_opt(&self, key: &str) -> Result<Option<&'a str>, Error> {
        match self.map.get(key) {
            None => Ok(None),
            Some(Value::String(s)) => Ok(Some(s.as_str())),
            Some(other) => Err(Error::new(
                self.at(key),
                format!("expected a string, found {}", kind(other)),
            )),
        }
    }

    pub fn bool_opt(&self, key: &str) -> Result<Option<bool>, Error> {
        match self.map.get(key) {
            None => Ok(None),
            Some(Value::Boolean(b)) => Ok(Some(*b)),
            Some(other) => Err(Error::new(
                self.at(key),
                format!("expected true or false, found {}", kind(other)),
            )),
        }
    }

    /// An optional non-negative integer.
    pub fn u64_opt(&self, key: &str) -> Result<Option<u64>, Error> {
        match self.map.get(key) {
            None => Ok(None),
            Some(Value::Integer(i)) if *i >= 0 => Ok(Some(*i as u64)),
            Some(Value::Integer(i)) => Err(Error::new(
                self.at(key),
                format!("{i} is out of range: allowed 0..={}", i64::MAX),
            )),
            Some(other) => Err(Error::new(
                self.at(key),
                format!("expected a non-negative integer, found {}", kind(other)),
            )),
        }
    }

    /// A string that must be one of `allowed`.
    pub fn choice_opt(&self, key: &str, allowed: &[&str]) -> Result<Option<&'a str>, Error> {
        match self.str_opt(key)? {
            None => Ok(None),
            Some(s) if allowed.contains(&s) => Ok(Some(s)),
            Some(s) => Err(Error::new(
                self.at(key),
                format!("unknown value `{s}`; allowed: {}", allowed.join(", ")),
            )),
        }
    }
}
