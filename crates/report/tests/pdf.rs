//! A report with everything the project's reports print — Δ, ², µ, ±, ≥, subscripts and a
//! Chinese name and remark — written to PDF, HTML and SVG (kept in `test-artifacts/report/`),
//! then read back as a person's tools read them: poppler extracts the text and renders the
//! pages to PNG; an XML parser reads the SVG.
use report::draw::Drawing;
use report::pdf::check_structure;
use report::testing::{pdf_ink, pdf_pages_png, pdf_text};
use report::{Axis, Bar, Block, Cell, Doc, Figure, Lane, Lanes, Mark, Plot, Series, Table, Tone};
use std::path::PathBuf;

fn artefacts() -> PathBuf {
    let d = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../test-artifacts/report");
    std::fs::create_dir_all(&d).unwrap();
    d
}

const NAME: &str = "患者 张三";
const REMARK: &str = "膜肺前后压差升高，请检查血栓";

fn sample() -> Doc {
    let mut d = Doc::new(&format!("Debrief: oxygenator ΔP — {NAME}"));
    d.author = NAME.into();
    d.push(Block::Note(format!(
        "Trainee: {NAME} · 900 s simulated · pass mark 70 %"
    )));
    d.push(Block::Badge(
        "PASSED · 85 % (17 of 20 points)".into(),
        Tone::Good,
    ));
    d.push(Block::Text(
        "Membrane area 1.8 m², pore 0.2 µm, ΔP 35 ± 5 mmHg at 4 L/min; FdO₂ ≥ 0.6 → SpO₂ 94 %."
            .into(),
    ));
    d.push(Block::Heading("What to learn".into()));
    d.push(Block::List(vec![
        format!("Remark by the instructor: {REMARK}"),
        "A long lesson that wraps over more than one line of the page, so that the layout of lists is exercised as it is in a real debrief with several lessons, each a sentence or two long.".into(),
    ]));
    d.push(Block::Heading("Trends".into()));
    let t: Vec<f64> = (0..=900).map(f64::from).collect();
    let dp: Vec<(f64, f64)> = t
        .iter()
        .map(|&s| {
            (
                s,
                if (400.0..420.0).contains(&s) {
                    f64::NAN
                } else {
                    30.0 + 10.0 * (s / 900.0).powi(2)
                },
            )
        })
        .collect();
    let flow: Vec<(f64, f64)> = t
        .iter()
        .map(|&s| (s, 4.0 + (s / 120.0).sin() * 0.3))
        .collect();
    let mut p = Plot::with_axes("", Axis::time(900.0), Axis::new("", "").tight());
    p.legend = report::Legend::Top;
    p = p
        .with(Series::new("ΔP oxygenator (mmHg)", dp))
        .with(Series::new("blood flow (L/min)", flow))
        .mark(Mark::band(300.0, 380.0, "#d62728"))
        .mark(Mark::vline(120.0, "1", "#1f77ff"))
        .mark(Mark::event(600.0, "#777777"));
    d.push(Block::from(
        Figure::plot(p, 900.0, 150.0)
            .class("plot")
            .data("signals", "dp_oxy flow"),
    ));
    let bench = Plot::new("Cannula ΔP", "flow (L/min)", "ΔP (mmHg)")
        .with(Series::new(
            "HLS 21 Fr",
            (0..=12)
                .map(|i| (i as f64 * 0.5, 2.0 * (i as f64 * 0.5).powi(2)))
                .collect(),
        ))
        .with(Series::new("single point", vec![(3.0, 40.0)]).dashed())
        .hline(60.0, "limit 60 mmHg");
    d.push(Block::from(
        Figure::plot(bench, 720.0, 360.0).class("bench"),
    ));
    d.push(Block::Heading("Alarms".into()));
    let mut lanes = Lanes::new(Axis::time(900.0));
    lanes.lanes.push(Lane {
        label: "ΔP oxygenator high".into(),
        bars: vec![Bar {
            x0: 300.0,
            x1: 380.0,
            color: "#d62728".into(),
            opacity: 1.0,
        }],
        ..Default::default()
    });
    lanes.marks.push(Mark::vline(120.0, "1", "#1f77ff"));
    d.push(Block::from(Figure::lanes(lanes, 900.0).class("alarms")));
    let mut table = Table::new("items", "", &["Expected", "Result", "Points"]);
    table.push(vec![
        Cell::text(format!("check the oxygenator ({REMARK})")),
        Cell::Toned("late".into(), Tone::Warn),
        Cell::Num(0.5, 1),
    ]);
    table.push(vec![
        Cell::text("set_rpm 2800"),
        Cell::Toned("done".into(), Tone::Good),
        Cell::Num(2.0, 1),
    ]);
    d.push(Block::Table(table));
    // A log long enough to run onto a second page, its header repeated there.
    let mut log = Table::new("log", "Log", &["Time", "Who", "What"]);
    for i in 0..60 {
        log.push(vec![
            Cell::text(format!("{} s", 15 * i)),
            Cell::text("trainee"),
            Cell::text(format!("[{i}] set_rpm {}", 2400 + 10 * i)),
        ]);
    }
    d.push(Block::Table(log));
    d
}

#[test]
fn pdf_embeds_its_fonts_and_reads_back_with_every_character() {
    let dir = artefacts();
    let doc = sample();
    let pdf = doc.to_pdf().unwrap();
    assert!(pdf.starts_with(b"%PDF-1.4"));
    assert!(check_structure(&pdf).unwrap() >= 8);
    let raw = String::from_utf8_lossy(&pdf);
    // Fonts embedded (TrueType and CFF subsets), with a map back to Unicode for extraction.
    assert!(
        raw.contains("/FontFile2") || raw.contains("/FontFile3"),
        "fonts embedded"
    );
    assert!(raw.contains("/ToUnicode"));
    assert!(!raw.contains("/Helvetica"), "no unembedded standard font");
    let path = dir.join("sample.pdf");
    std::fs::write(&path, &pdf).unwrap();

    if let Some(text) = pdf_text(&path) {
        for want in [
            "Δ",
            "²",
            "µ",
            "±",
            "≥",
            "→",
            "₂",
            NAME,
            "膜肺前后压差升高",
            "Debrief: oxygenator",
            "PASSED",
            "limit 60 mmHg",
            "late",
        ] {
            assert!(text.contains(want), "pdftotext lacks {want:?}:\n{text}");
        }
        assert!(!text.contains("dP"), "Δ is not written as d");
        assert!(text.contains("[59] set_rpm 2990"), "the whole log");
        assert_eq!(
            text.matches("Time").count(),
            2,
            "the log's header on both pages"
        );
    }
    if let Some(pages) = pdf_pages_png(&path, &dir.join("sample"), 80) {
        assert!(pages.len() >= 2, "{pages:?}");
        // The first page is full of text and plots; the last holds a few rows of the log.
        for (i, _) in pages.iter().enumerate() {
            let ink = pdf_ink(&path, i as u32 + 1, 30).unwrap();
            let least = if i == 0 { 0.02 } else { 0.002 };
            assert!(ink > least, "page {} has ink: {ink}", i + 1);
        }
    }
    std::fs::write(dir.join("sample.html"), doc.to_html()).unwrap();
}

#[test]
fn svg_figures_parse_and_carry_their_data() {
    let dir = artefacts();
    let doc = sample();
    let mut n = 0;
    for b in &doc.blocks {
        if let Block::Figure(f) = b {
            let svg = f.to_svg();
            let x = roxmltree::Document::parse(&svg).unwrap();
            let root = x.root_element();
            assert_eq!(root.tag_name().name(), "svg");
            assert_eq!(root.attribute("class"), Some(f.class.as_str()));
            let texts: String = root.descendants().filter_map(|n| n.text()).collect();
            assert!(texts.contains('Δ'), "{}: {texts}", f.class);
            std::fs::write(dir.join(format!("{}.svg", f.class)), &svg).unwrap();
            n += 1;
        }
    }
    assert_eq!(n, 3);
    // The trend: the gap in ΔP splits its line; each line spans its part of the run.
    let Block::Figure(trend) = &doc.blocks[6] else {
        panic!("figure")
    };
    let svg = trend.to_svg();
    assert_eq!(svg.matches("<polyline class=\"series\"").count(), 3);
    assert_eq!(
        trend.attrs,
        [("data-signals".to_string(), "dp_oxy flow".to_string())]
    );
    // A drawing with nothing in it is still a valid page.
    roxmltree::Document::parse(&Drawing::new(10.0, 10.0).to_svg("")).unwrap();
}

/// A bench report writes its page, a CSV per table and the same as PDF.
#[test]
fn a_sectioned_report_writes_html_csv_and_pdf() {
    use report::{Report, Section};
    let mut t = Table::new("dp", "Cannula ΔP at 4 L/min", &["design", "ΔP (mmHg)"]);
    t.push(vec![Cell::text("HLS 21 Fr"), Cell::Num(32.5, 1)]);
    let mut sec = Section::new("Pressure drop");
    sec.paragraphs.push("Blood at 37 °C, Hct 30 %.".into());
    sec.plots.push(
        Plot::new("Cannula ΔP", "flow (L/min)", "ΔP (mmHg)")
            .with(Series::new("HLS 21 Fr", vec![(1.0, 2.0), (4.0, 32.5)])),
    );
    sec.tables.push(t.clone());
    let r = Report {
        slug: "bench".into(),
        title: "Cannula bench <R & D>".into(),
        intro: vec!["A test of the report's files.".into()],
        sections: vec![sec],
        summary: vec![t],
    };
    let dir = r.write(&artefacts()).unwrap();
    // Byte for byte the same file from the same report (no dates, no random ids): made again
    // more than a second later, so that a date to the second would differ, and with no
    // date field at all.
    std::thread::sleep(std::time::Duration::from_millis(1100));
    let pdf = std::fs::read(dir.join("report.pdf")).unwrap();
    assert_eq!(pdf, r.to_doc().to_pdf().unwrap());
    let raw = String::from_utf8_lossy(&pdf);
    assert!(!raw.contains("/CreationDate") && !raw.contains("/ModDate"));
    for f in ["index.html", "dp.csv", "report.pdf"] {
        assert!(dir.join(f).is_file(), "{f}");
    }
    let html = std::fs::read_to_string(dir.join("index.html")).unwrap();
    let body = html
        .split_once("<body>")
        .unwrap()
        .1
        .split("</body>")
        .next()
        .unwrap();
    roxmltree::Document::parse(&format!("<body>{body}</body>")).unwrap();
    for want in [
        "<title>Cannula bench &lt;R &amp; D&gt;</title>",
        "<a href=\"report.pdf\">PDF</a>",
        "<a href=\"dp.csv\">(CSV)</a>",
        "<div class=\"figures\">\n<svg",
    ] {
        assert!(html.contains(want), "{want}");
    }
    if let Some(text) = pdf_text(&dir.join("report.pdf")) {
        for want in [
            "Cannula bench",
            "ΔP (mmHg)",
            "32.5",
            "37 °C",
            "flow (L/min)",
        ] {
            assert!(text.contains(want), "{want}: {text}");
        }
    }
}
