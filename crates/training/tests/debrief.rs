//! The debrief of one real run, kept as a test artefact (`test-artifacts/training/`): the run
//! record, the HTML report and the PDF. Its plots are checked to contain data, not just axes.
use report::pdf::check_structure;
use report::testing::{pdf_pages_png, pdf_text};
use std::path::PathBuf;
use training::debrief::Debrief;
use training::{Record, Scenario, run_script, score};

fn artefacts() -> PathBuf {
    let d = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../test-artifacts/training");
    std::fs::create_dir_all(&d).unwrap();
    d
}

/// Points of every `<polyline class="series">` in an SVG block.
fn polylines(svg: &str) -> Vec<Vec<(f64, f64)>> {
    svg.split("<polyline class=\"series\"")
        .skip(1)
        .map(|p| {
            let pts = p
                .split("points=\"")
                .nth(1)
                .unwrap()
                .split('"')
                .next()
                .unwrap();
            pts.split_whitespace()
                .map(|xy| {
                    let (x, y) = xy.split_once(',').unwrap();
                    (x.parse().unwrap(), y.parse().unwrap())
                })
                .collect()
        })
        .collect()
}

#[test]
fn report_of_a_run_is_kept_and_its_plots_contain_data() {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../../scenarios/01-hypovolaemia-suction.toml");
    let sc = Scenario::load(&path).unwrap();
    let rec = run_script(&sc, "model answer", &sc.model_answer).unwrap();
    let dir = artefacts();
    std::fs::write(dir.join("run.json"), rec.to_json()).unwrap();

    // The kept run reads back as it was and scores the same.
    let back = Record::from_json(&std::fs::read_to_string(dir.join("run.json")).unwrap()).unwrap();
    assert_eq!(back.t_s, rec.t_s);
    assert_eq!(back.actions, rec.actions);
    assert_eq!(score(&sc, &back), score(&sc, &rec));

    let d = Debrief::new(back).unwrap();
    let (html_path, pdf_path) = d.write(&dir).unwrap();
    let html = std::fs::read_to_string(&html_path).unwrap();
    assert!(html.contains("PASSED"));
    assert!(
        !html.contains("src=\"http"),
        "self-contained: nothing fetched"
    );

    // One SVG per plot panel, each with a series line spanning the run and varying.
    let plots: Vec<&str> = html.split("<svg class=\"plot\"").skip(1).collect();
    assert_eq!(plots.len(), sc.plots.len());
    for (panel, svg) in sc.plots.iter().zip(&plots) {
        let lines = polylines(svg.split("</svg>").next().unwrap());
        let pts: Vec<(f64, f64)> = lines.into_iter().flatten().collect();
        assert!(pts.len() >= 500, "{panel:?}: {} points", pts.len());
        let (x0, x1) = pts
            .iter()
            .fold((f64::MAX, f64::MIN), |(a, b), p| (a.min(p.0), b.max(p.0)));
        assert!(x1 - x0 > 700.0, "{panel:?} spans the run: {x0}..{x1}");
        let (y0, y1) = pts
            .iter()
            .fold((f64::MAX, f64::MIN), |(a, b), p| (a.min(p.1), b.max(p.1)));
        assert!(y1 - y0 > 20.0, "{panel:?} shows change: {y0}..{y1}");
        // Six trainee actions, each a numbered marker on every panel.
        assert!(svg.contains(">6</text>"), "{panel:?}: action markers");
    }
    // The suction episode is drawn as an alarm band and on the alarm lanes.
    assert!(html.contains("<svg class=\"alarms\""));
    assert!(
        html.split("<svg class=\"alarms\"")
            .nth(1)
            .unwrap()
            .contains(">suction</text>")
    );
    // Expected against done, with delays.
    assert!(html.contains("set_rpm 2800 after 10 s"));

    // The PDF: a valid file whose pages draw the same data as long polylines.
    let pdf = std::fs::read(&pdf_path).unwrap();
    let objects = check_structure(&pdf).unwrap();
    assert!(objects >= 8);
    let text = String::from_utf8_lossy(&pdf);
    let line_to = text
        .split_ascii_whitespace()
        .filter(|op| *op == "l")
        .count();
    assert!(line_to >= 500 * sc.plots.len(), "{line_to} line segments");
    // The title as a reader extracts it (the fonts are embedded subsets, so the file holds
    // glyph numbers, not the letters), and every page rendered to PNG for a person to look at.
    if let Some(t) = pdf_text(&pdf_path) {
        assert!(
            t.contains("Debrief: Hypovolaemia: suction and chatter"),
            "{t}"
        );
    }
    if let Some(pages) = pdf_pages_png(&pdf_path, &dir.join("debrief-page"), 70) {
        assert!(pages.len() >= 2, "{pages:?}");
    }
    eprintln!(
        "kept {} ({} bytes) and {} ({} bytes, {objects} objects)",
        html_path.display(),
        html.len(),
        pdf_path.display(),
        pdf.len()
    );
}

/// A trainee and an instructor's remark in Chinese print as themselves in the PDF (the fonts
/// are embedded), as does the Δ of a signal's label.
#[test]
fn chinese_names_and_remarks_print_in_the_pdf() {
    let path =
        PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../scenarios/02-drainage-kink.toml");
    let sc = Scenario::load(&path).unwrap();
    let mut rec = run_script(&sc, "张伟", &sc.model_answer).unwrap();
    rec.remarks.push(training::record::Remark {
        t_s: 70.0,
        who: "instructor".into(),
        text: "先检查引流管，再调泵速".into(),
    });
    let d = Debrief::new(rec).unwrap();
    let dir = artefacts().join("chinese");
    let (html, pdf) = d.write(&dir).unwrap();
    let html = std::fs::read_to_string(html).unwrap();
    assert!(html.contains("Trainee: 张伟") && html.contains("先检查引流管，再调泵速"));
    if let Some(t) = pdf_text(&pdf) {
        assert!(t.contains("Trainee: 张伟"), "{t}");
        assert!(t.contains("先检查引流管，再调泵速"), "{t}");
    }
    if let Some(pages) = pdf_pages_png(&pdf, &dir.join("page"), 70) {
        assert!(pages.len() >= 2, "{pages:?}");
    }
}

#[test]
fn a_failed_run_teaches_what_was_missed() {
    let path =
        PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../scenarios/02-drainage-kink.toml");
    let sc = Scenario::load(&path).unwrap();
    let rec = run_script(&sc, "nobody", &[]).unwrap();
    let d = Debrief::new(rec).unwrap();
    let html = d.html();
    assert!(html.contains("NOT PASSED"));
    assert!(html.contains(&sc.expected[0].teach));
    let dir = artefacts().join("failed");
    d.write(&dir).unwrap();
    assert!(check_structure(&std::fs::read(dir.join("debrief.pdf")).unwrap()).is_ok());
}
