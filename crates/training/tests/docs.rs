//! docs/scenarios.md stays true: its TOML examples load, and every name the parser accepts
//! (actions, signals, alarms, limits, interventions, channels, faults, training events) is
//! documented there.
use training::scenario::{self, CHANNELS, SENSOR_FAULTS};
use training::{Scenario, action, names};

fn doc() -> String {
    std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../docs/scenarios.md"
    ))
    .unwrap()
}

fn toml_blocks(doc: &str) -> Vec<String> {
    doc.split("```toml\n")
        .skip(1)
        .map(|b| b.split("```").next().unwrap().to_string())
        .collect()
}

#[test]
fn examples_load() {
    let d = doc();
    let blocks = toml_blocks(&d);
    assert_eq!(blocks.len(), 3, "full example, trigger fragment, script");
    let full = Scenario::parse(&blocks[0]).unwrap_or_else(|e| panic!("example: {e}"));
    assert_eq!(full.triggers.len(), 1);
    let with_trigger = format!(
        "{}\n{}",
        blocks[0],
        blocks[1].replace("name = \"desaturation\"", "name = \"desaturation2\"")
    );
    let s = Scenario::parse(&with_trigger).unwrap_or_else(|e| panic!("trigger fragment: {e}"));
    assert_eq!(s.triggers.len(), 2);
    let (name, steps) =
        scenario::parse_script(&blocks[2]).unwrap_or_else(|e| panic!("script: {e}"));
    assert_eq!(name.as_deref(), Some("Alice's plan"));
    assert_eq!(steps.len(), 2);
    full.check_script(&steps).unwrap();
}

#[test]
fn every_name_is_documented() {
    let d = doc();
    let mut missing = Vec::new();
    let mut want = |n: &str| {
        if !d.contains(&format!("`{n}`")) {
            missing.push(n.to_string());
        }
    };
    for s in names::SIGNALS {
        want(s.name);
    }
    for a in names::alarm_names() {
        want(&a);
    }
    // Settings, alarm limits, interventions and actions are in generated tables (checked by
    // `vocabulary_tables_are_current`), events in docs/experiments.md's (experiment's docs test).
    for (n, _) in CHANNELS {
        want(n);
    }
    for n in SENSOR_FAULTS {
        want(n);
    }
    for m in action::MODES.iter().chain(action::LABS) {
        want(m);
    }
    assert!(missing.is_empty(), "not in docs/scenarios.md: {missing:?}");
}

#[test]
fn the_library_table_lists_every_file() {
    let d = doc();
    let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/../../scenarios");
    for e in std::fs::read_dir(dir).unwrap() {
        let name = e.unwrap().file_name().to_string_lossy().to_string();
        assert!(
            d.contains(&format!("`{name}`")),
            "{name} missing from the library table"
        );
    }
}

/// docs/scenarios.md's `[settings]` and actions tables are generated from the code's tables
/// (the control core's settings and switches, the training actions).
#[test]
fn vocabulary_tables_are_current() {
    use training::docs;
    let path = std::path::PathBuf::from(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../docs/scenarios.md"
    ));
    for (begin, table) in [
        (docs::SETTINGS_BEGIN, docs::settings_markdown()),
        (docs::ACTIONS_BEGIN, docs::actions_markdown()),
    ] {
        if let Err(e) = experiment::docs::check_generated_block(&path, begin, &table) {
            panic!("{e}");
        }
    }
}
