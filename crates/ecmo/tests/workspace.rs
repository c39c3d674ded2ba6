//! The workspace's supply-chain rules that cargo-deny (deny.toml) cannot express, checked on
//! `cargo metadata`:
//!
//! - `rust-version` is true: set once for the workspace, inherited by every crate, equal to the
//!   newest `rust-version` any dependency declares (or the code's own need, if higher), so it
//!   neither promises a toolchain that cannot build the code nor asks for a newer one than it
//!   needs;
//! - the core crates keep to their dependency rules (ARCHITECTURE.md): physio and control have
//!   none; protocol only `hmac` and `sha2`, without their default features (no_std); no serde
//!   reaches any of the three.
mod common;

use common::succeeds;
use serde_json::Value;
use std::collections::{BTreeSet, HashMap};

/// The newest language feature the workspace's own code uses: let chains (`if let … && …`),
/// stable since 1.88.
const CODE_NEEDS: (u64, u64) = (1, 88);

fn metadata() -> Value {
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
    let out = succeeds(
        std::process::Command::new(cargo)
            .args(["metadata", "--format-version", "1", "--locked"])
            .current_dir(root),
    );
    serde_json::from_slice(&out.stdout).expect("metadata JSON")
}

fn version(v: &str) -> (u64, u64) {
    let mut it = v.split('.').map(|x| x.parse::<u64>().unwrap_or(0));
    (it.next().unwrap_or(0), it.next().unwrap_or(0))
}

#[test]
fn rust_version_is_the_real_minimum_and_set_once() {
    let m = metadata();
    let members: BTreeSet<&str> = m["workspace_members"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v.as_str().unwrap())
        .collect();
    let mut ours = BTreeSet::new();
    let mut deps_max = ((0, 0), String::new());
    for p in m["packages"].as_array().unwrap() {
        let rv = p["rust_version"].as_str();
        if members.contains(p["id"].as_str().unwrap()) {
            ours.insert((p["name"].as_str().unwrap().to_string(), rv.map(version)));
        } else if let Some(rv) = rv
            && version(rv) > deps_max.0
        {
            deps_max = (version(rv), format!("{} {}", p["name"], p["version"]));
        }
    }
    let declared: BTreeSet<_> = ours.iter().map(|(_, v)| *v).collect();
    assert_eq!(
        declared.len(),
        1,
        "every crate inherits the workspace's rust-version: {ours:?}"
    );
    let declared = declared
        .into_iter()
        .next()
        .unwrap()
        .expect("rust-version set");
    let needed = deps_max.0.max(CODE_NEEDS);
    assert_eq!(
        declared, needed,
        "rust-version {declared:?}, but the newest need is {needed:?} ({} declares {:?}, the code \
         {CODE_NEEDS:?}); set [workspace.package] rust-version in Cargo.toml to it",
        deps_max.1, deps_max.0
    );
}

#[test]
fn core_crates_keep_their_dependency_rules() {
    let m = metadata();
    let packages = m["packages"].as_array().unwrap();
    let by_name = |n: &str| {
        packages
            .iter()
            .find(|p| p["name"] == n && p["source"].is_null())
            .unwrap_or_else(|| panic!("{n} in the workspace"))
    };
    // Declared dependencies (dev-dependencies are the tests', not the crate's).
    let normal = |n: &str| -> Vec<(String, bool)> {
        by_name(n)["dependencies"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|d| d["kind"].as_str() != Some("dev"))
            .map(|d| {
                (
                    d["name"].as_str().unwrap().to_string(),
                    d["uses_default_features"].as_bool().unwrap_or(true),
                )
            })
            .collect()
    };
    assert_eq!(normal("physio"), vec![], "physio has no dependencies");
    assert_eq!(normal("control"), vec![], "control has no dependencies");
    let mut p = normal("protocol");
    p.sort();
    assert_eq!(
        p,
        vec![("hmac".to_string(), false), ("sha2".to_string(), false)],
        "protocol: hmac and sha2 only, default features off (no_std)"
    );

    // Nothing that protocol pulls in, however deep, is serde or a random source (nonces are
    // the caller's); libc arrives only for CPU feature detection on some targets (cpufeatures).
    let resolve: HashMap<&str, &Value> = m["resolve"]["nodes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|n| (n["id"].as_str().unwrap(), n))
        .collect();
    let id = by_name("protocol")["id"].as_str().unwrap();
    let mut seen = BTreeSet::new();
    let mut stack = vec![id];
    while let Some(x) = stack.pop() {
        if !seen.insert(x) {
            continue;
        }
        for d in resolve[x]["deps"].as_array().unwrap() {
            let normal = d["dep_kinds"]
                .as_array()
                .unwrap()
                .iter()
                .any(|k| k["kind"].is_null());
            if normal {
                stack.push(d["pkg"].as_str().unwrap());
            }
        }
    }
    let names: BTreeSet<String> = seen
        .iter()
        .map(|i| {
            packages.iter().find(|p| p["id"] == *i).unwrap()["name"]
                .as_str()
                .unwrap()
                .to_string()
        })
        .collect();
    for banned in ["serde", "serde_core", "serde_json", "getrandom", "rand"] {
        assert!(
            !names.contains(banned),
            "protocol reaches {banned}: {names:?}"
        );
    }
    // Small and known: if this list grows, look at what came in before accepting it.
    assert!(
        names.len() <= 16,
        "protocol's dependency tree grew: {names:?}"
    );
}
