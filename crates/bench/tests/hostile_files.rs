//! A user's catalogue file can hold any number in any field. Every number of every built-in
//! file is replaced in turn by hostile values: loading never panics, and a design that loads
//! (its values passed the range checks) runs its bench test to finite figures.
use bench::catalogue::{BUILTIN_FILES, Design, check_published, parse_design};
use bench::{oxytest, pumptest};

/// Byte spans of the numbers after `=`, `[` or `,` (values, not names or comments).
fn number_spans(text: &str) -> Vec<(usize, usize)> {
    let b = text.as_bytes();
    let mut out = Vec::new();
    let mut in_comment = false;
    let mut in_string = false;
    let mut prev = b' ';
    let mut i = 0;
    while i < b.len() {
        let c = b[i];
        match c {
            b'\n' => in_comment = false,
            b'#' if !in_string => in_comment = true,
            b'"' if !in_comment => in_string = !in_string,
            _ => {}
        }
        let starts = (c.is_ascii_digit() || c == b'-') && matches!(prev, b'=' | b'[' | b',');
        if !in_comment && !in_string && starts {
            let mut j = i + 1;
            while j < b.len() && (b[j].is_ascii_alphanumeric() || b"+-.".contains(&b[j])) {
                j += 1;
            }
            out.push((i, j));
            i = j;
            prev = b'0';
            continue;
        }
        if !c.is_ascii_whitespace() {
            prev = c;
        }
        i += 1;
    }
    out
}

#[test]
fn hostile_numbers_never_panic() {
    const HOSTILE: [&str; 8] = [
        "0.0", "-1.0", "1e308", "-1e308", "5e-324", "nan", "inf", "3",
    ];
    let mut loaded = 0;
    let mut refused = 0;
    for (file, text) in BUILTIN_FILES {
        let spans = number_spans(text);
        assert!(!spans.is_empty(), "{file}");
        for &(a, z) in &spans {
            for h in HOSTILE {
                let edited = format!("{}{h}{}", &text[..a], &text[z..]);
                match parse_design(file, &edited) {
                    Err(e) => {
                        assert!(e.to_string().starts_with(file), "{e}");
                        refused += 1;
                    }
                    Ok(d) => {
                        loaded += 1;
                        for f in check_published(&d) {
                            assert!(f.model.is_finite(), "{file} with {h}: {f:?}");
                        }
                        match &d {
                            Design::Oxygenator(o) => {
                                let r = oxytest::run(o, false);
                                assert!(r.rated_flow_lpm.is_finite(), "{file} with {h}");
                                for p in &r.points {
                                    assert!(
                                        p.o2_ml_min.is_finite()
                                            && p.co2_ml_min.is_finite()
                                            && p.dp_mmhg.is_finite()
                                            && p.o2_ml_min <= p.o2_bound_ml_min + 1e-9,
                                        "{file} with {h}: {p:?}"
                                    );
                                }
                            }
                            Design::Pump(p) => {
                                let r = pumptest::run(p, false);
                                for c in &r.curve {
                                    assert!(c.head_mmhg.is_finite() && c.efficiency.is_finite());
                                }
                                for x in &r.hemolysis {
                                    assert!(x.nih.is_none_or(f64::is_finite), "{file} {h}: {x:?}");
                                }
                            }
                            Design::Cannula(c) => {
                                assert!(c.model.drop_mmhg(4.0).is_finite());
                            }
                            Design::Coating(c) => assert!(c.thrombogenicity.is_finite()),
                        }
                    }
                }
            }
        }
    }
    // Both paths were exercised.
    assert!(
        loaded > 100 && refused > 100,
        "loaded {loaded}, refused {refused}"
    );
}

#[test]
fn spans_find_values_only() {
    let t = "a = 1.5\n# b = 2\nc = { value = -3e-2, source = \"x 4\" }\nd = [[1, 2.0], [3, 4]]\n";
    let got: Vec<&str> = number_spans(t).iter().map(|&(a, z)| &t[a..z]).collect();
    assert_eq!(got, ["1.5", "-3e-2", "1", "2.0", "3", "4"]);
}
