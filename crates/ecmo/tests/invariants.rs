//! The layering invariants of ARCHITECTURE.md, enforced rather than only written: the twin
//! (physio) and the control core (control) depend on nothing; the device protocol (protocol)
//! only on no_std cryptography (hmac, sha2); none of the three has serde anywhere in what it
//! builds with; clap is a dependency of the `ecmo` binary alone. Read from `cargo metadata`,
//! so workspace inheritance and target-specific tables count like any other declaration.

mod common;

use common::succeeds;
use serde_json::Value;
use std::collections::BTreeSet;
use std::process::Command;

fn metadata() -> Value {
    let root = concat!(env!("CARGO_MANIFEST_DIR"), "/../..");
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
    let out = succeeds(
        Command::new(cargo)
            .args(["metadata", "--format-version", "1", "--offline"])
            .current_dir(root),
    );
    serde_json::from_slice(&out.stdout).unwrap()
}

fn package<'a>(m: &'a Value, name: &str) -> &'a Value {
    m["packages"]
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["name"] == name && p["source"].is_null())
        .unwrap_or_else(|| panic!("workspace package {name}"))
}

/// What a package builds with: its normal and build dependencies (not dev-dependencies).
fn built_with(m: &Value, name: &str) -> BTreeSet<String> {
    package(m, name)["dependencies"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|d| d["kind"] != "dev")
        .map(|d| d["name"].as_str().unwrap().to_string())
        .collect()
}

/// Everything a package builds with, transitively, from the resolved graph.
fn closure(m: &Value, name: &str) -> BTreeSet<String> {
    let nodes = m["resolve"]["nodes"].as_array().unwrap();
    let id = package(m, name)["id"].as_str().unwrap().to_string();
    let mut seen = BTreeSet::new();
    let mut todo = vec![id];
    let mut names = BTreeSet::new();
    while let Some(id) = todo.pop() {
        if !seen.insert(id.clone()) {
            continue;
        }
        let node = nodes.iter().find(|n| n["id"] == id.as_str()).unwrap();
        for d in node["deps"].as_array().unwrap() {
            let normal = d["dep_kinds"]
                .as_array()
                .unwrap()
                .iter()
                .any(|k| k["kind"] != "dev");
            if normal {
                names.insert(d["name"].as_str().unwrap().replace('_', "-"));
                todo.push(d["pkg"].as_str().unwrap().to_string());
            }
        }
    }
    names
}

#[test]
fn physio_and_control_depend_on_nothing() {
    let m = metadata();
    for name in ["physio", "control"] {
        assert_eq!(built_with(&m, name), BTreeSet::new(), "{name}");
    }
}

#[test]
fn protocol_depends_only_on_no_std_cryptography() {
    let m = metadata();
    let allowed: BTreeSet<String> = ["hmac", "sha2"].map(String::from).into();
    let deps = built_with(&m, "protocol");
    assert!(deps.is_subset(&allowed), "protocol depends on {deps:?}");
}

#[test]
fn the_core_crates_have_no_serde_and_only_ecmo_has_clap() {
    let m = metadata();
    for name in ["physio", "control", "protocol"] {
        let all = closure(&m, name);
        assert!(
            !all.iter().any(|d| d.starts_with("serde")),
            "{name} builds with {all:?}"
        );
    }
    for p in m["packages"].as_array().unwrap() {
        if !p["source"].is_null() || p["name"] == "ecmo" {
            continue;
        }
        let name = p["name"].as_str().unwrap();
        assert!(
            !built_with(&m, name).contains("clap"),
            "{name} depends on clap; clap belongs in crates/ecmo only"
        );
    }
}
