//! The pieces formats are read with, beside serde derive: numbers checked against a range as
//! they are read (so the error names the field and its line), tables whose keys come from a
//! vocabulary table in the code, names looked up in such a table, and errors about a sub-field
//! of the value being read.
use crate::error::num;
use serde::de::{self, DeserializeSeed, Deserializer, MapAccess, Visitor};
use std::fmt;
use std::marker::PhantomData;

/// An allowed interval of numbers, with the unit they are in.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Range {
    pub min: f64,
    pub max: f64,
    /// The minimum itself is not allowed (`>0..=5`).
    pub min_open: bool,
    pub unit: &'static str,
}

impl Range {
    /// `min..=max` in `unit`.
    pub const fn closed(min: f64, max: f64, unit: &'static str) -> Self {
        Range {
            min,
            max,
            min_open: false,
            unit,
        }
    }

    /// `>min..=max` in `unit`.
    pub const fn above(min: f64, max: f64, unit: &'static str) -> Self {
        Range {
            min,
            max,
            min_open: true,
            unit,
        }
    }

    /// Any finite number (checked against something else later).
    pub const ANY: Range = Range::closed(f64::MIN, f64::MAX, "");

    pub fn contains(&self, x: f64) -> bool {
        let above = if self.min_open {
            x > self.min
        } else {
            x >= self.min
        };
        x.is_finite() && above && x <= self.max
    }

    /// The unit as messages show it: none for plain numbers and fractions.
    fn shown_unit(&self) -> Option<&'static str> {
        match self.unit {
            "" | "1" | "fraction" => None,
            u => Some(u),
        }
    }

    /// Check `x`: finite and within the range, else the message.
    pub fn check(&self, x: f64) -> Result<f64, String> {
        if !x.is_finite() {
            Err("must be a finite number".into())
        } else if !self.contains(x) {
            Err(format!("{} is out of range: allowed {self}", num(x)))
        } else {
            Ok(x)
        }
    }
}

impl fmt::Display for Range {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let open = if self.min_open { ">" } else { "" };
        write!(f, "{open}{}..={}", num(self.min), num(self.max))?;
        match self.shown_unit() {
            Some(u) => write!(f, " {u}"),
            None => Ok(()),
        }
    }
}

/// Reads a number (integer or float) within a range: the seed for table-driven values.
#[derive(Clone, Copy, Debug)]
pub struct Number(pub Range);

impl<'de> DeserializeSeed<'de> for Number {
    type Value = f64;
    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<f64, D::Error> {
        d.deserialize_any(self)
    }
}

impl<'de> Visitor<'de> for Number {
    type Value = f64;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.0.shown_unit() {
            Some(u) => write!(f, "a number ({u})"),
            None => write!(f, "a number"),
        }
    }

    fn visit_i64<E: de::Error>(self, v: i64) -> Result<f64, E> {
        self.visit_f64(v as f64)
    }

    fn visit_u64<E: de::Error>(self, v: u64) -> Result<f64, E> {
        self.visit_f64(v as f64)
    }

    fn visit_f64<E: de::Error>(self, v: f64) -> Result<f64, E> {
        self.0.check(v).map_err(E::custom)
    }
}

/// A number within `range`, for `#[serde(deserialize_with = ...)]` functions.
pub fn number<'de, D: Deserializer<'de>>(d: D, range: Range) -> Result<f64, D::Error> {
    Number(range).deserialize(d)
}

/// Defines `fn $name(d) -> Result<Option<f64>, _>` reading a number within `$range`, for an
/// optional field: `#[serde(default, deserialize_with = "name")]`.
#[macro_export]
macro_rules! ranged {
    ($(#[$m:meta])* $name:ident, $range:expr) => {
        $(#[$m])*
        fn $name<'de, D: serde::Deserializer<'de>>(d: D) -> Result<Option<f64>, D::Error> {
            $crate::de::number(d, $range).map(Some)
        }
    };
}

/// Any finite number; its range is checked later, against something else in the file.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Finite(pub f64);

impl<'de> serde::Deserialize<'de> for Finite {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        number(d, Range::ANY).map(Finite)
    }
}

/// Reads a table key that must be one of `names`; the index of the one found. Unknown keys are
/// refused with the list (and the path names the key).
pub struct Key<'a>(pub &'a [&'a str]);

impl<'de> DeserializeSeed<'de> for Key<'_> {
    type Value = usize;
    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<usize, D::Error> {
        d.deserialize_str(self)
    }
}

impl<'de> Visitor<'de> for Key<'_> {
    type Value = usize;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "a key")
    }

    fn visit_str<E: de::Error>(self, v: &str) -> Result<usize, E> {
        self.0.iter().position(|n| *n == v).ok_or_else(|| {
            E::custom(format!(
                "unknown field; allowed here: {}",
                self.0.join(", ")
            ))
        })
    }
}

/// Reads a table whose keys and ranges come from a table in the code (patient parameters,
/// settings): every key must be one of them, every value a number in its range. The values, in
/// file order, with the index of their row.
pub struct Numbers<'a>(pub &'a [(&'static str, Range)]);

impl<'de> DeserializeSeed<'de> for Numbers<'_> {
    type Value = Vec<(usize, f64)>;
    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<Self::Value, D::Error> {
        let names: Vec<&str> = self.0.iter().map(|(n, _)| *n).collect();
        let value = |i: usize| Number(self.0[i].1);
        d.deserialize_map(Keyed(&names, value))
    }
}

/// Reads a table whose keys come from a table in the code and whose values are on/off
/// (interventions): every key must be one of the names. The values, in file order, with the
/// index of their name.
pub struct Flags<'a>(pub &'a [&'a str]);

impl<'de> DeserializeSeed<'de> for Flags<'_> {
    type Value = Vec<(usize, bool)>;
    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<Self::Value, D::Error> {
        d.deserialize_map(Keyed(self.0, |_| PhantomData::<bool>))
    }
}

/// A table whose keys must be among the names ([`Key`]), each value read with the seed the
/// function gives for the key's index: the values, in file order, with that index.
struct Keyed<'a, F>(&'a [&'a str], F);

impl<'de, S, F> Visitor<'de> for Keyed<'_, F>
where
    S: DeserializeSeed<'de>,
    F: Fn(usize) -> S,
{
    type Value = Vec<(usize, S::Value)>;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "a table")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
        let mut out = Vec::new();
        while let Some(i) = map.next_key_seed(Key(self.0))? {
            out.push((i, map.next_value_seed((self.1)(i))?));
        }
        Ok(out)
    }
}

/// Reads a string that must be one of `names` (`what` names the kind of thing in the error:
/// `unknown mode `fast`; allowed: standby, rpm, flow`); the index of the one found.
pub struct Choice<'a> {
    pub names: &'a [&'a str],
    pub what: &'a str,
}

impl<'de> DeserializeSeed<'de> for Choice<'_> {
    type Value = usize;
    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<usize, D::Error> {
        let name = <String as serde::Deserialize>::deserialize(d)?;
        lookup(self.names.iter().copied().zip(0..), self.what, &name).map_err(de::Error::custom)
    }
}

/// A name that must be one of `names`, read as a string: `unknown WHAT `x`; allowed: …`.
pub fn lookup<'a, T: Copy>(
    names: impl IntoIterator<Item = (&'a str, T)> + Clone,
    what: &str,
    name: &str,
) -> Result<T, String> {
    names
        .clone()
        .into_iter()
        .find(|(n, _)| *n == name)
        .map(|(_, t)| t)
        .ok_or_else(|| {
            let all: Vec<&str> = names.into_iter().map(|(n, _)| n).collect();
            format!("unknown {what} `{name}`; allowed: {}", all.join(", "))
        })
}

/// An error about `key` inside the value being read (the path gains `.key`), for checks made
/// once the whole value is known (an event's value whose range depends on its `kind`, given
/// later in the table).
pub fn at_key<E: de::Error>(key: &str, message: impl fmt::Display) -> E {
    E::custom(about(key, message))
}

/// The message of [`at_key`], for checks that return a plain message (`#[serde(try_from)]`).
pub fn about(key: &str, message: impl fmt::Display) -> String {
    let s = crate::toml::SUB;
    format!("{s}{key}{s}{message}")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::toml::from_str;

    struct Doc(Vec<(usize, f64)>);
    const KEYS: [(&str, Range); 2] = [
        ("rpm", Range::closed(0.0, 5000.0, "rpm")),
        ("fdo2", Range::closed(0.21, 1.0, "1")),
    ];
    impl<'de> serde::Deserialize<'de> for Doc {
        fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
            Numbers(&KEYS).deserialize(d).map(Doc)
        }
    }
    #[derive(serde::Deserialize)]
    struct Top {
        #[allow(dead_code)]
        settings: Doc,
    }

    #[test]
    fn table_driven_values_name_their_key() {
        let e = from_str::<Top>("[settings]\nrpm = 3000\nfdo2 = 1.5\n")
            .err()
            .unwrap();
        assert_eq!((e.path.as_str(), e.line), ("settings.fdo2", Some(3)));
        assert_eq!(e.message, "1.5 is out of range: allowed 0.21..=1");
        let e = from_str::<Top>("[settings]\nrpm = true\n").err().unwrap();
        assert_eq!(e.message, "expected a number (rpm), found a boolean");
        let e = from_str::<Top>("[settings]\nrmp = 1\n").err().unwrap();
        assert_eq!(e.path, "settings.rmp");
        assert_eq!(e.message, "unknown field; allowed here: rpm, fdo2");
        let e = from_str::<Top>("[settings]\nrpm = nan\n").err().unwrap();
        assert_eq!(e.message, "must be a finite number");
        let ok = from_str::<Top>("[settings]\nfdo2 = 1\nrpm = 2\n").unwrap();
        assert_eq!(ok.settings.0, vec![(1, 1.0), (0, 2.0)]);
        assert_eq!(Range::above(0.0, 5.0, "mmHg").to_string(), ">0..=5 mmHg");
    }
}
