//! An event as files write it, `{ kind = "return_kink", severity = 0.8 }`, read against the
//! twin's event table ([`physio::EVENTS`]): the kind names the value field, its type and its
//! range. Experiment timelines and training scenarios (timeline and triggers) read events
//! through this one type.
use input::de::{Key, Number, Range, at_key};
use physio::{Event, EventArg, EventKind, EventValue, PatientParam};
use serde::de::{self, Deserializer, MapAccess, Visitor};
use std::fmt;

/// A checked event read from a file.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct EventFile(pub Event);

/// Every key an event table may hold: `kind`, every kind's value field, and `param`.
fn keys() -> Vec<&'static str> {
    let mut k = vec!["kind", "param"];
    for s in physio::EVENTS {
        if !s.field.is_empty() && !k.contains(&s.field) {
            k.push(s.field);
        }
    }
    k
}

fn kind_names() -> String {
    EventKind::names().collect::<Vec<_>>().join(", ")
}

impl<'de> serde::Deserialize<'de> for EventFile {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        d.deserialize_map(EventVisitor)
    }
}

struct EventVisitor;

impl<'de> Visitor<'de> for EventVisitor {
    type Value = EventFile;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "a table such as {{ kind = \"return_kink\", severity = 0.8 }}"
        )
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<EventFile, A::Error> {
        // The kind may come after its value, so the values are read whole first and checked
        // against the kind once it is known; errors name the key they are about.
        let keys = keys();
        let mut kind = None;
        let mut values: Vec<(&str, toml::Value)> = Vec::new();
        while let Some(i) = map.next_key_seed(Key(&keys))? {
            if keys[i] == "kind" {
                kind = Some(map.next_value::<String>()?);
            } else {
                values.push((keys[i], map.next_value()?));
            }
        }
        let name =
            kind.ok_or_else(|| at_key("kind", format!("missing; one of: {}", kind_names())))?;
        let kind = EventKind::by_name(&name).ok_or_else(|| {
            at_key(
                "kind",
                format!("unknown event `{name}`; allowed: {}", kind_names()),
            )
        })?;
        let spec = kind.spec();
        let allowed: &[&str] = match spec.value {
            EventValue::None => &["kind"],
            EventValue::Patient => &["kind", "param", spec.field],
            _ => &["kind", spec.field],
        };
        if let Some((k, _)) = values.iter().find(|(k, _)| !allowed.contains(k)) {
            return Err(at_key(
                k,
                format!(
                    "unknown field for `{name}`; allowed here: {}",
                    allowed.join(", ")
                ),
            ));
        }
        let take = |key: &str| {
            values
                .iter()
                .find(|(k, _)| *k == key)
                .map(|(_, v)| v.clone())
        };
        let missing = |key: &str, what: String| -> A::Error {
            at_key(key, format!("missing; required for `{name}`, {what}"))
        };
        let arg = match spec.value {
            EventValue::None => EventArg::None,
            EventValue::Flag => {
                let v =
                    take(spec.field).ok_or_else(|| missing(spec.field, "true or false".into()))?;
                EventArg::Flag(v.as_bool().ok_or_else(|| {
                    at_key(
                        spec.field,
                        format!("expected true or false, found {}", kind_of(&v)),
                    )
                })?)
            }
            EventValue::Number(q) => {
                let range = Range::closed(q.min, q.max, q.unit);
                let v = take(spec.field).ok_or_else(|| missing(spec.field, range.to_string()))?;
                EventArg::Number(number(spec.field, v, range)?)
            }
            EventValue::Patient => {
                let settable: Vec<&str> = physio::PATIENT_FIELDS
                    .iter()
                    .filter(|f| f.event.is_some())
                    .map(|f| f.name)
                    .collect();
                let p = take("param")
                    .ok_or_else(|| missing("param", format!("one of: {}", settable.join(", "))))?;
                let pname = p.as_str().unwrap_or_default();
                let param = PatientParam::by_name(pname).ok_or_else(|| {
                    at_key(
                        "param",
                        format!(
                            "`{pname}` cannot be changed during a run; allowed: {}",
                            settable.join(", ")
                        ),
                    )
                })?;
                let f = param.field();
                let range = Range::closed(f.min, f.max, f.unit);
                let v = take(spec.field).ok_or_else(|| missing(spec.field, range.to_string()))?;
                EventArg::Patient(param, number(spec.field, v, range)?)
            }
        };
        // The value was checked against the same table above; this only builds the event.
        Event::new(kind, arg)
            .map(EventFile)
            .map_err(|e| de::Error::custom(e.to_string()))
    }
}

/// A buffered value as a number within `range`, with the error about `key`.
fn number<E: de::Error>(key: &str, v: toml::Value, range: Range) -> Result<f64, E> {
    use serde::de::DeserializeSeed;
    Number(range)
        .deserialize(v)
        .map_err(|e: toml::de::Error| at_key(key, e.message()))
}

fn kind_of(v: &toml::Value) -> &'static str {
    match v {
        toml::Value::String(_) => "a string",
        toml::Value::Integer(_) => "an integer",
        toml::Value::Float(_) => "a number",
        toml::Value::Boolean(_) => "a boolean",
        toml::Value::Datetime(_) => "a date",
        toml::Value::Array(_) => "an array",
        toml::Value::Table(_) => "a table",
    }
}
