//! The twin's settings vocabulary: every field of [`Actuation`] with its unit, the range the
//! twin accepts and its meaning, written once. [`Actuation::validate`] checks a command against
//! it; experiment files (`[settings]`, timeline `set`), the research specs, the Python package
//! and docs/experiments.md read the same table (issue 13: one table per vocabulary).

use crate::circuit;
use crate::twin::{Actuation, ConfigError, check};

/// One field of [`Actuation`], settable in `[settings]` and by timeline `set`.
pub struct SettingField {
    /// The field name, equal to the [`Actuation`] field.
    pub name: &'static str,
    /// The field named in refusals: `actuation.pump_rpm`.
    pub path: &'static str,
    /// Unit; "1" for a fraction.
    pub unit: &'static str,
    /// Allowed range, inclusive, in `unit`.
    pub min: f64,
    pub max: f64,
    pub doc: &'static str,
    pub get: fn(&Actuation) -> f64,
    pub set: fn(&mut Actuation, f64),
}

macro_rules! setting_fields {
    ($( $name:ident, $unit:expr, $min:expr, $max:expr, $doc:expr; )*) => {
        /// Every field of [`Actuation`].
        pub const SETTING_FIELDS: &[SettingField] = &[
            $( SettingField {
                name: stringify!($name),
                path: concat!("actuation.", stringify!($name)),
                unit: $unit,
                min: $min,
                max: $max,
                doc: $doc,
                get: |a| a.$name,
                set: |a, v| a.$name = v,
            }, )*
        ];
    };
}

setting_fields! {
    pump_rpm, "rpm", 0.0, circuit::MAX_RPM,
        "Commanded pump speed; the motor follows with its own acceleration limit.";
    return_clamp, "1", 0.0, 1.0,
        "Return-line clamp: 0 open, 1 fully closed.";
    sweep_lpm, "L/min", 0.0, 15.0,
        "Sweep gas flow through the oxygenator.";
    fdo2, "1", 0.21, 1.0,
        "O2 fraction of the sweep gas.";
    heater_c, "degC", 0.0, 42.0,
        "Heater water temperature set point; 0 turns the heater off.";
}

/// The setting called `name`, if there is one.
pub fn setting_field(name: &str) -> Option<&'static SettingField> {
    SETTING_FIELDS.iter().find(|f| f.name == name)
}

impl Actuation {
    /// Check a command against the ranges the twin accepts ([`SETTING_FIELDS`]); [`crate::Twin::step`]
    /// clamps out-of-range values instead, so that a faulty controller cannot make the model
    /// non-physical.
    pub fn validate(&self) -> Result<(), ConfigError> {
        for f in SETTING_FIELDS {
            let unit = if f.unit == "1" { "" } else { f.unit };
            check(f.path, (f.get)(self), f.min, f.max, unit)?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every field of `Actuation` is in the table once, and `get`/`set` reach that field.
    #[test]
    fn every_field_once_and_reached_by_its_accessors() {
        let mut a = Actuation {
            pump_rpm: 0.0,
            return_clamp: 0.0,
            sweep_lpm: 0.0,
            fdo2: 0.0,
            heater_c: 0.0,
        };
        for (i, f) in SETTING_FIELDS.iter().enumerate() {
            (f.set)(&mut a, 1.0 + i as f64);
            assert_eq!(setting_field(f.name).map(|g| g.name), Some(f.name));
            assert_eq!(f.path, format!("actuation.{}", f.name));
        }
        assert_eq!(
            [a.pump_rpm, a.return_clamp, a.sweep_lpm, a.fdo2, a.heater_c],
            [1.0, 2.0, 3.0, 4.0, 5.0]
        );
        for (i, f) in SETTING_FIELDS.iter().enumerate() {
            assert_eq!((f.get)(&a), 1.0 + i as f64, "{}", f.name);
        }
        assert!(setting_field("speed").is_none());
    }

    /// A refusal names the field by its path and says the range.
    #[test]
    fn out_of_range_refused_by_path() {
        let ok = Actuation {
            pump_rpm: 3000.0,
            return_clamp: 0.0,
            sweep_lpm: 4.0,
            fdo2: 1.0,
            heater_c: 37.0,
        };
        assert!(ok.validate().is_ok());
        let e = Actuation { fdo2: 0.2, ..ok }.validate().unwrap_err();
        assert_eq!(e.field, "actuation.fdo2");
        assert!(e.message.contains("0.21..=1"), "{e}");
        let e = Actuation {
            sweep_lpm: f64::NAN,
            ..ok
        }
        .validate()
        .unwrap_err();
        assert_eq!(e.field, "actuation.sweep_lpm");
    }
}
