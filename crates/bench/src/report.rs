//! Reports: text tables for the terminal, CSV of every point, and one self-contained HTML page
//! with inline SVG plots drawn here (no scripts, no external files), so a report can be mailed
//! or archived as it is.
use std::fmt::Write as _;
use std::path::{Path, PathBuf};

/// One cell: a number shown with `decimals` places on screen (full precision in CSV), or text.
#[derive(Clone, Debug, PartialEq)]
pub enum Cell {
    Num(f64, usize),
    Text(String),
}

impl Cell {
    pub fn text(s: impl Into<String>) -> Cell {
        Cell::Text(s.into())
    }
    fn shown(&self) -> String {
        match self {
            Cell::Num(v, d) if v.is_finite() => format!("{v:.d$}"),
            Cell::Num(..) => "—".into(),
            Cell::Text(s) => s.clone(),
        }
    }
    fn csv(&self) -> String {
        match self {
            Cell::Num(v, _) if v.is_finite() => format!("{v}"),
            Cell::Num(..) => String::new(),
            Cell::Text(s) => csv_escape(s),
        }
    }
    pub fn as_f64(&self) -> Option<f64> {
        match self {
            Cell::Num(v, _) => Some(*v),
            Cell::Text(_) => None,
        }
    }
}

fn csv_escape(s: &str) -> String {
    if s.contains([',', '"', '\n']) {
        format!("\"{}\"", s.replace('"', "\"\""))
    } else {
        s.to_string()
    }
}

/// A table: a file-name slug (for its CSV), a title, column headers with units, rows.
#[derive(Clone, Debug, PartialEq)]
pub struct Table {
    pub slug: String,
    pub title: String,
    pub columns: Vec<String>,
    pub rows: Vec<Vec<Cell>>,
}

impl Table {
    pub fn new(slug: &str, title: &str, columns: &[&str]) -> Self {
        Table {
            slug: slugify(slug),
            title: title.into(),
            columns: columns.iter().map(|c| c.to_string()).collect(),
            rows: Vec::new(),
        }
    }

    pub fn push(&mut self, row: Vec<Cell>) {
        debug_assert_eq!(row.len(), self.columns.len());
        self.rows.push(row);
    }

    /// The numbers of one column (by header), for tests and plots.
    pub fn column(&self, header: &str) -> Vec<f64> {
        let Some(i) = self.columns.iter().position(|c| c == header) else {
            return Vec::new();
        };
        self.rows
            .iter()
            .filter_map(|r| r.get(i).and_then(Cell::as_f64))
            .collect()
    }

    /// Aligned text for the terminal.
    pub fn to_text(&self) -> String {
        let cells: Vec<Vec<String>> = self
            .rows
            .iter()
            .map(|r| r.iter().map(Cell::shown).collect())
            .collect();
        let mut width: Vec<usize> = self.columns.iter().map(|c| c.chars().count()).collect();
        for r in &cells {
            for (i, c) in r.iter().enumerate() {
                width[i] = width[i].max(c.chars().count());
            }
        }
        let mut out = format!("{}\n", self.title);
        let line = |out: &mut String, items: &[String]| {
            for (i, c) in items.iter().enumerate() {
                let pad = width[i] - c.chars().count();
                if i > 0 {
                    out.push_str("  ");
                }
                out.push_str(&" ".repeat(pad));
                out.push_str(c);
            }
            out.push('\n');
        };
        line(&mut out, &self.columns);
        let total: usize = width.iter().sum::<usize>() + 2 * width.len().saturating_sub(1);
        out.push_str(&"-".repeat(total));
        out.push('\n');
        for r in &cells {
            line(&mut out, r);
        }
        out
    }

    pub fn to_csv(&self) -> String {
        let mut out = self
            .columns
            .iter()
            .map(|c| csv_escape(c))
            .collect::<Vec<_>>()
            .join(",");
        out.push('\n');
        for r in &self.rows {
            out.push_str(&r.iter().map(Cell::csv).collect::<Vec<_>>().join(","));
            out.push('\n');
        }
        out
    }

    fn to_html(&self) -> String {
        let mut s = format!(
            "<table id=\"{}\"><caption>{} <a href=\"{}.csv\">(CSV)</a></caption><thead><tr>",
            self.slug,
            esc(&self.title),
            self.slug
        );
        for c in &self.columns {
            let _ = write!(s, "<th>{}</th>", esc(c));
        }
        s.push_str("</tr></thead><tbody>");
        for r in &self.rows {
            s.push_str("<tr>");
            for c in r {
                let cls = if matches!(c, Cell::Num(..)) {
                    " class=\"n\""
                } else {
                    ""
                };
                let _ = write!(s, "<td{cls}>{}</td>", esc(&c.shown()));
            }
            s.push_str("</tr>");
        }
        s.push_str("</tbody></table>\n");
        s
    }
}

/// A line series of a plot.
#[derive(Clone, Debug, PartialEq)]
pub struct Series {
    pub name: String,
    pub points: Vec<(f64, f64)>,
    pub dashed: bool,
}

impl Series {
    pub fn new(name: impl Into<String>, points: Vec<(f64, f64)>) -> Self {
        Series {
            name: name.into(),
            points,
            dashed: false,
        }
    }
    pub fn dashed(mut self) -> Self {
        self.dashed = true;
        self
    }
}

/// An x–y line plot.
#[derive(Clone, Debug, PartialEq)]
pub struct Plot {
    pub title: String,
    pub x_label: String,
    pub y_label: String,
    pub series: Vec<Series>,
    /// Horizontal reference lines (value, label), e.g. a grade boundary.
    pub hlines: Vec<(f64, String)>,
}

impl Plot {
    pub fn new(title: &str, x_label: &str, y_label: &str) -> Self {
        Plot {
            title: title.into(),
            x_label: x_label.into(),
            y_label: y_label.into(),
            series: Vec::new(),
            hlines: Vec::new(),
        }
    }

    pub fn with(mut self, s: Series) -> Self {
        self.series.push(s);
        self
    }

    pub fn hline(mut self, y: f64, label: &str) -> Self {
        self.hlines.push((y, label.into()));
        self
    }

    /// The plot as a standalone SVG element.
    pub fn to_svg(&self) -> String {
        const W: f64 = 720.0;
        const H: f64 = 360.0;
        const L: f64 = 70.0;
        const R: f64 = 250.0;
        const T: f64 = 30.0;
        const B: f64 = 50.0;
        let pts = || {
            self.series
                .iter()
                .flat_map(|s| s.points.iter().copied())
                .filter(|(x, y)| x.is_finite() && y.is_finite())
        };
        let (mut x0, mut x1, mut y0, mut y1) = (f64::MAX, f64::MIN, f64::MAX, f64::MIN);
        for (x, y) in pts() {
            x0 = x0.min(x);
            x1 = x1.max(x);
            y0 = y0.min(y);
            y1 = y1.max(y);
        }
        for (y, _) in &self.hlines {
            if y.is_finite() {
                y0 = y0.min(*y);
                y1 = y1.max(*y);
            }
        }
        if x0 > x1 {
            (x0, x1, y0, y1) = (0.0, 1.0, 0.0, 1.0);
        }
        // Quantities here are mostly non-negative: start the axis at zero when that is close.
        if y0 > 0.0 && y0 < 0.5 * y1 {
            y0 = 0.0;
        }
        let (xt, x0, x1) = ticks(x0, x1);
        let (yt, y0, y1) = ticks(y0, y1);
        let pw = W - L - R;
        let ph = H - T - B;
        let sx = |x: f64| L + (x - x0) / (x1 - x0) * pw;
        let sy = |y: f64| T + ph - (y - y0) / (y1 - y0) * ph;
        let mut s = format!(
            "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"{W}\" height=\"{H}\" viewBox=\"0 0 {W} {H}\" font-family=\"sans-serif\" font-size=\"11\">\n"
        );
        let _ = writeln!(
            s,
            "<text x=\"{}\" y=\"18\" text-anchor=\"middle\" font-size=\"13\" font-weight=\"bold\">{}</text>",
            L + pw / 2.0,
            esc(&self.title)
        );
        let _ = writeln!(
            s,
            "<rect x=\"{L}\" y=\"{T}\" width=\"{pw}\" height=\"{ph}\" fill=\"none\" stroke=\"#444\"/>"
        );
        for x in &xt {
            let px = sx(*x);
            let _ = writeln!(
                s,
                "<line x1=\"{px:.1}\" y1=\"{T}\" x2=\"{px:.1}\" y2=\"{}\" stroke=\"#ddd\"/><text x=\"{px:.1}\" y=\"{}\" text-anchor=\"middle\">{}</text>",
                T + ph,
                T + ph + 15.0,
                fmt_tick(*x)
            );
        }
        for y in &yt {
            let py = sy(*y);
            let _ = writeln!(
                s,
                "<line x1=\"{L}\" y1=\"{py:.1}\" x2=\"{}\" y2=\"{py:.1}\" stroke=\"#ddd\"/><text x=\"{}\" y=\"{:.1}\" text-anchor=\"end\">{}</text>",
                L + pw,
                L - 5.0,
                py + 4.0,
                fmt_tick(*y)
            );
        }
        let _ = writeln!(
            s,
            "<text x=\"{}\" y=\"{}\" text-anchor=\"middle\">{}</text>",
            L + pw / 2.0,
            H - 12.0,
            esc(&self.x_label)
        );
        let _ = writeln!(
            s,
            "<text x=\"16\" y=\"{}\" text-anchor=\"middle\" transform=\"rotate(-90 16 {})\">{}</text>",
            T + ph / 2.0,
            T + ph / 2.0,
            esc(&self.y_label)
        );
        // Reference lines, labelled inside the plot at the right end; labels of lines close
        // together are stacked upwards so they stay legible.
        let mut refs: Vec<(f64, &str)> = self
            .hlines
            .iter()
            .filter(|(y, _)| y.is_finite())
            .map(|(y, l)| (sy(*y), l.as_str()))
            .collect();
        refs.sort_by(|a, b| b.0.total_cmp(&a.0));
        let mut last_label = f64::INFINITY;
        for (py, label) in refs {
            let ly = (py - 3.0).min(last_label - 12.0);
            last_label = ly;
            let _ = writeln!(
                s,
                "<line x1=\"{L}\" y1=\"{py:.1}\" x2=\"{}\" y2=\"{py:.1}\" stroke=\"#b00\" stroke-dasharray=\"2 3\"/><text x=\"{}\" y=\"{ly:.1}\" text-anchor=\"end\" fill=\"#b00\">{}</text>",
                L + pw,
                L + pw - 4.0,
                esc(label)
            );
        }
        for (i, ser) in self.series.iter().enumerate() {
            let color = PALETTE[i % PALETTE.len()];
            let path: Vec<String> = ser
                .points
                .iter()
                .filter(|(x, y)| x.is_finite() && y.is_finite())
                .map(|(x, y)| format!("{:.1},{:.1}", sx(*x), sy(*y)))
                .collect();
            let dash = if ser.dashed {
                " stroke-dasharray=\"6 4\""
            } else {
                ""
            };
            if path.len() == 1 {
                let _ = writeln!(
                    s,
                    "<circle cx=\"{}\" cy=\"{}\" r=\"3\" fill=\"{color}\"/>",
                    path[0].split(',').next().unwrap_or("0"),
                    path[0].split(',').nth(1).unwrap_or("0")
                );
            } else if !path.is_empty() {
                let _ = writeln!(
                    s,
                    "<polyline fill=\"none\" stroke=\"{color}\" stroke-width=\"1.8\"{dash} points=\"{}\"/>",
                    path.join(" ")
                );
            }
            let ly = T + 10.0 + 16.0 * i as f64;
            let lx = L + pw + 10.0;
            let _ = writeln!(
                s,
                "<line x1=\"{lx}\" y1=\"{ly}\" x2=\"{}\" y2=\"{ly}\" stroke=\"{color}\" stroke-width=\"2\"{dash}/><text x=\"{}\" y=\"{}\">{}</text>",
                lx + 18.0,
                lx + 22.0,
                ly + 4.0,
                esc(&ser.name)
            );
        }
        s.push_str("</svg>\n");
        s
    }
}

const PALETTE: [&str; 8] = [
    "#1f77b4", "#d62728", "#2ca02c", "#ff7f0e", "#9467bd", "#8c564b", "#e377c2", "#17becf",
];

/// Round tick positions covering [lo, hi]: 1–2–5 steps, about six ticks.
fn ticks(lo: f64, hi: f64) -> (Vec<f64>, f64, f64) {
    let (lo, hi) = if (hi - lo).abs() < 1e-12 * lo.abs().max(1e-12) {
        (lo - 0.5 * lo.abs().max(1.0), hi + 0.5 * hi.abs().max(1.0))
    } else {
        (lo, hi)
    };
    let raw = (hi - lo) / 6.0;
    let mag = 10f64.powf(raw.log10().floor());
    let step = [1.0, 2.0, 5.0, 10.0]
        .iter()
        .map(|m| m * mag)
        .find(|s| *s >= raw)
        .unwrap_or(10.0 * mag);
    let a = (lo / step).floor() * step;
    let b = (hi / step).ceil() * step;
    let n = ((b - a) / step).round() as usize;
    ((0..=n).map(|i| a + step * i as f64).collect(), a, b)
}

fn fmt_tick(v: f64) -> String {
    let a = v.abs();
    if a == 0.0 {
        "0".into()
    } else if !(1e-3..1e5).contains(&a) {
        format!("{v:.1e}")
    } else if a >= 10.0 || (v.fract()).abs() < 1e-9 {
        format!("{}", (v * 100.0).round() / 100.0)
    } else {
        let s = format!("{v:.4}");
        s.trim_end_matches('0').trim_end_matches('.').to_string()
    }
}

/// HTML/XML escaping for text and attribute values.
pub fn esc(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

pub fn slugify(s: &str) -> String {
    let mut out = String::new();
    for c in s.chars() {
        if c.is_ascii_alphanumeric() || c == '.' || c == '_' {
            out.push(c.to_ascii_lowercase());
        } else if !out.ends_with('-') {
            out.push('-');
        }
    }
    out.trim_matches('-').to_string()
}

/// One part of a report.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Section {
    pub heading: String,
    pub paragraphs: Vec<String>,
    pub tables: Vec<Table>,
    pub plots: Vec<Plot>,
}

impl Section {
    pub fn new(heading: &str) -> Self {
        Section {
            heading: heading.into(),
            ..Default::default()
        }
    }
}

/// A whole report.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Report {
    /// Directory name under the output directory.
    pub slug: String,
    pub title: String,
    pub intro: Vec<String>,
    pub sections: Vec<Section>,
    /// Tables printed to the terminal (others go only to the files).
    pub summary: Vec<Table>,
}

impl Report {
    pub fn tables(&self) -> impl Iterator<Item = &Table> {
        self.summary
            .iter()
            .chain(self.sections.iter().flat_map(|s| s.tables.iter()))
    }

    pub fn table(&self, slug: &str) -> Option<&Table> {
        self.tables().find(|t| t.slug == slug)
    }

    pub fn to_html(&self) -> String {
        let mut s = String::from(
            "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\"><title>",
        );
        s.push_str(&esc(&self.title));
        s.push_str("</title><style>body{font-family:sans-serif;max-width:1100px;margin:2em auto;padding:0 1em;color:#222}table{border-collapse:collapse;margin:1em 0;font-size:13px}caption{text-align:left;font-weight:bold;padding:4px 0}td,th{border:1px solid #ccc;padding:3px 7px}td.n{text-align:right;font-variant-numeric:tabular-nums}th{background:#f2f2f2}svg{display:block;margin:1em 0}.plots{display:flex;flex-wrap:wrap;gap:8px}</style></head><body>\n");
        let _ = writeln!(s, "<h1>{}</h1>", esc(&self.title));
        for p in &self.intro {
            let _ = writeln!(s, "<p>{}</p>", esc(p));
        }
        for t in &self.summary {
            s.push_str(&t.to_html());
        }
        for sec in &self.sections {
            let _ = writeln!(s, "<h2>{}</h2>", esc(&sec.heading));
            for p in &sec.paragraphs {
                let _ = writeln!(s, "<p>{}</p>", esc(p));
            }
            if !sec.plots.is_empty() {
                s.push_str("<div class=\"plots\">\n");
                for p in &sec.plots {
                    s.push_str(&p.to_svg());
                }
                s.push_str("</div>\n");
            }
            for t in &sec.tables {
                s.push_str(&t.to_html());
            }
        }
        s.push_str("</body></html>\n");
        s
    }

    /// The terminal form: title and summary tables.
    pub fn to_text(&self) -> String {
        let mut s = format!("{}\n\n", self.title);
        for t in &self.summary {
            s.push_str(&t.to_text());
            s.push('\n');
        }
        s
    }

    /// Write `index.html` and one CSV per table into `out/<slug>/`; returns that directory.
    pub fn write(&self, out: &Path) -> std::io::Result<PathBuf> {
        let dir = out.join(&self.slug);
        std::fs::create_dir_all(&dir)?;
        std::fs::write(dir.join("index.html"), self.to_html())?;
        for t in self.tables() {
            std::fs::write(dir.join(format!("{}.csv", t.slug)), t.to_csv())?;
        }
        Ok(dir)
    }
}

/// A minimal well-formedness check of the XML in an SVG or XHTML fragment: every tag closed in
/// order, attributes quoted, no stray `<` or `&`. For tests and `--check-svg`.
pub fn check_xml(s: &str) -> Result<(), String> {
    let mut stack: Vec<String> = Vec::new();
    let b = s.as_bytes();
    let mut i = 0;
    while i < b.len() {
        match b[i] {
            b'<' => {
                let end = s[i..]
                    .find('>')
                    .ok_or_else(|| format!("unclosed tag at byte {i}"))?
                    + i;
                let tag = &s[i + 1..end];
                if tag.starts_with('!') || tag.starts_with('?') {
                } else if let Some(name) = tag.strip_prefix('/') {
                    let open = stack
                        .pop()
                        .ok_or_else(|| format!("</{name}> without an opening tag"))?;
                    if open != name.trim() {
                        return Err(format!("<{open}> closed by </{name}>"));
                    }
                } else {
                    let self_closing = tag.ends_with('/');
                    let body = tag.trim_end_matches('/');
                    let name = body.split_whitespace().next().unwrap_or("");
                    if name.is_empty() || !name.chars().all(|c| c.is_ascii_alphanumeric()) {
                        return Err(format!("bad tag name in <{tag}>"));
                    }
                    if !body.matches('"').count().is_multiple_of(2) {
                        return Err(format!("unbalanced quotes in <{tag}>"));
                    }
                    if body.contains('<') {
                        return Err(format!("'<' inside <{tag}>"));
                    }
                    if !self_closing {
                        stack.push(name.to_string());
                    }
                }
                i = end + 1;
            }
            b'&' => {
                let rest = &s[i..];
                let ok = ["&amp;", "&lt;", "&gt;", "&quot;", "&#"]
                    .iter()
                    .any(|e| rest.starts_with(e));
                if !ok {
                    return Err(format!("bare '&' at byte {i}"));
                }
                i += 1;
            }
            _ => i += 1,
        }
    }
    match stack.pop() {
        Some(open) => Err(format!("<{open}> never closed")),
        None => Ok(()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn svg_is_well_formed_and_escaped() {
        let p = Plot::new("a < b & c", "x (L/min)", "y \"mmHg\"")
            .with(Series::new(
                "s1",
                vec![(0.0, 1.0), (1.0, 3.0), (2.0, f64::NAN)],
            ))
            .with(Series::new("one", vec![(0.5, 2.0)]).dashed())
            .hline(2.5, "limit");
        let svg = p.to_svg();
        check_xml(&svg).unwrap();
        assert!(svg.contains("a &lt; b &amp; c"));
        assert!(svg.contains("<polyline"));
        assert!(svg.contains("<circle"));
        // Empty plot still well formed.
        check_xml(&Plot::new("e", "x", "y").to_svg()).unwrap();
    }

    #[test]
    fn xml_checker_catches_faults() {
        assert!(check_xml("<svg><g></svg>").is_err());
        assert!(check_xml("<svg>a & b</svg>").is_err());
        assert!(check_xml("<svg x=\"1></svg>").is_err());
        assert!(check_xml("<svg><line/></svg>").is_ok());
    }

    #[test]
    fn ticks_cover_range() {
        let (t, a, b) = ticks(0.3, 6.8);
        assert!(
            a <= 0.3 && b >= 6.8 && t.len() >= 4 && t.len() <= 10,
            "{t:?}"
        );
        let (t, _, _) = ticks(5.0, 5.0);
        assert!(t.len() >= 2);
    }

    #[test]
    fn table_text_and_csv() {
        let mut t = Table::new("My Table", "T", &["q (L/min)", "name"]);
        t.push(vec![Cell::Num(1.23456, 2), Cell::text("a,b")]);
        assert!(t.to_text().contains("1.23"));
        assert_eq!(t.to_csv(), "q (L/min),name\n1.23456,\"a,b\"\n");
        assert_eq!(t.slug, "my-table");
        assert_eq!(t.column("q (L/min)"), vec![1.23456]);
    }
}
