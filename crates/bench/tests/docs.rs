//! The catalogue examples in docs/bench.md are real: every TOML block there loads as a design
//! and meets the published figures it quotes.
use bench::catalogue::{check_published, parse_design};

#[test]
fn toml_examples_in_docs_load() {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../docs/bench.md");
    let text = std::fs::read_to_string(&path).unwrap();
    let mut blocks = 0;
    let mut rest = text.as_str();
    while let Some(start) = rest.find("```toml\n") {
        let body = &rest[start + 8..];
        let end = body.find("```").expect("closed block");
        let d = parse_design("docs/bench.md", &body[..end]).unwrap_or_else(|e| panic!("{e}"));
        for f in check_published(&d) {
            assert!(f.ok(), "{f:?}");
        }
        blocks += 1;
        rest = &body[end + 3..];
    }
    assert!(blocks >= 1, "no TOML example found");
}

/// The example directory docs/bench.md points users to loads beside the built-ins.
#[test]
fn example_catalogue_loads() {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../examples/catalogue");
    let c = bench::catalogue::Catalogue::with_dirs(&[dir]).unwrap_or_else(|e| panic!("{e}"));
    let d = c.oxygenator("example-oxygenator").unwrap();
    assert_eq!(d.model.area_m2, 2.2);
}
