//! The OpenAPI document (docs/openapi.json, served at /api/openapi.json) names exactly the
//! routes the server answers: every `(Method::X, "/path")` arm of server.rs is documented with
//! its method, and the document names no route the server lacks. The page's assets are not
//! part of the API.
use std::collections::BTreeSet;

const ASSETS: [&str; 4] = ["/", "/index.html", "/app.js", "/app.css"];

fn routes_in_server() -> BTreeSet<(String, String)> {
    // The axum router: `.route("/path", get(h).post(h))`, one route a line.
    let src = include_str!("../src/server.rs");
    let mut out = BTreeSet::new();
    for line in src.lines() {
        let Some(rest) = line.trim().strip_prefix(".route(\"") else {
            continue;
        };
        let Some((path, handlers)) = rest.split_once('"') else {
            continue;
        };
        if ASSETS.contains(&path) {
            continue;
        }
        for m in ["get", "post", "put", "delete", "patch"] {
            if handlers.contains(&format!(" {m}(")) || handlers.contains(&format!(".{m}(")) {
                out.insert((m.to_string(), path.to_string()));
            }
        }
    }
    out
}

fn routes_in_document() -> BTreeSet<(String, String)> {
    let doc: serde_json::Value =
        serde_json::from_str(console::server::OPENAPI_JSON).expect("docs/openapi.json is JSON");
    assert_eq!(doc["openapi"], "3.1.0");
    let mut out = BTreeSet::new();
    for (path, ops) in doc["paths"].as_object().expect("paths") {
        for method in ops.as_object().expect("operations").keys() {
            out.insert((method.clone(), path.clone()));
        }
    }
    out
}

#[test]
fn the_document_and_the_server_name_the_same_routes() {
    let server = routes_in_server();
    let doc = routes_in_document();
    assert!(server.len() >= 15, "routes found in server.rs: {server:?}");
    let undocumented: Vec<_> = server.difference(&doc).collect();
    let stale: Vec<_> = doc.difference(&server).collect();
    assert!(
        undocumented.is_empty(),
        "routes missing from docs/openapi.json: {undocumented:?}"
    );
    assert!(
        stale.is_empty(),
        "docs/openapi.json names routes the server lacks: {stale:?}"
    );
}

#[test]
fn every_operation_says_what_it_answers() {
    let doc: serde_json::Value = serde_json::from_str(console::server::OPENAPI_JSON).unwrap();
    for (path, ops) in doc["paths"].as_object().unwrap() {
        for (m, op) in ops.as_object().unwrap() {
            assert!(op["summary"].is_string(), "{m} {path}: no summary");
            assert!(
                op["responses"].as_object().is_some_and(|r| !r.is_empty()),
                "{m} {path}: no responses"
            );
        }
    }
}
