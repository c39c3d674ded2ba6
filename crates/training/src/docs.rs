//! The vocabulary tables of docs/scenarios.md, generated from the code's tables (the control
//! core's settings and switches, the training actions), so the document cannot drift from what
//! the parser accepts. tests/docs.rs compares the document's generated blocks with these
//! (`UPDATE_DOCS=1` rewrites them).
use crate::action::{ACTIONS, ValueSpec};
use control::{Group, SETTINGS, SWITCHES, Switch};
use input::num;

/// Marks the `[settings]` block.
pub const SETTINGS_BEGIN: &str =
    "<!-- BEGIN GENERATED settings: `UPDATE_DOCS=1 cargo test -p training --test docs` -->";
/// Marks the actions block.
pub const ACTIONS_BEGIN: &str =
    "<!-- BEGIN GENERATED actions: `UPDATE_DOCS=1 cargo test -p training --test docs` -->";

fn names(list: &[&str]) -> String {
    list.iter()
        .map(|n| format!("`{n}`"))
        .collect::<Vec<_>>()
        .join(", ")
}

/// `lo..=hi unit`, without a unit for plain fractions.
fn range(lo: f64, hi: f64, unit: &str) -> String {
    match unit {
        "" | "1" | "fraction" => format!("{}..={}", num(lo), num(hi)),
        u => format!("{}..={} {u}", num(lo), num(hi)),
    }
}

/// The `[settings]` table: the control core's names, ranges and units.
pub fn settings_markdown() -> String {
    let mut s = String::from("| key | range | meaning |\n|---|---|---|\n");
    s.push_str("| `mode` | `standby`, `rpm`, `flow` | Pump mode (required). |\n");
    let mut row = |key: String, range: String, meaning: String| {
        s.push_str(&format!("| `{key}` | {range} | {meaning}. |\n"));
    };
    let numbers = |group| SETTINGS.iter().filter(move |r| r.group == group);
    let on_off = || "true / false".to_string();
    for spec in numbers(Group::Control) {
        let r = range(spec.min, spec.max, spec.unit);
        row(spec.name.into(), r, spec.label.into());
    }
    for spec in SWITCHES.iter().filter(|r| r.group == Group::Control) {
        row(spec.name.into(), on_off(), spec.label.into());
    }
    for spec in numbers(Group::Alarm) {
        let r = range(spec.min, spec.max, spec.unit);
        row(format!("alarm_limits.{}", spec.name), r, spec.label.into());
    }
    for spec in SWITCHES
        .iter()
        .filter(|r| matches!(r.switch, Switch::Intervention(_)))
    {
        let what = format!("Automatic intervention on or off: {}", spec.label);
        row(format!("interventions.{}", spec.name), on_off(), what);
    }
    for spec in crate::scenario::intervention_limits() {
        let r = range(spec.min, spec.max, spec.unit);
        row(
            format!("intervention_limits.{}", spec.name),
            r,
            spec.label.into(),
        );
    }
    s
}

/// The actions table: every action with its value and meaning.
pub fn actions_markdown() -> String {
    let mut s = String::from("| action | value | side | meaning |\n|---|---|---|---|\n");
    for a in ACTIONS {
        let value = match a.value {
            ValueSpec::None => "—".to_string(),
            ValueSpec::Number { lo, hi, unit } => range(lo, hi, unit),
            ValueSpec::Choice(list) => names(list),
            ValueSpec::Bool => "true / false".into(),
        };
        s.push_str(&format!(
            "| `{}` | {value} | {} | {} |\n",
            a.name, a.side, a.doc
        ));
    }
    s
}
