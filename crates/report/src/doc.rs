//! Documents: a title and a flow of blocks (headings, paragraphs, lists, a verdict badge,
//! figures, tables), written as one self-contained HTML page (inline SVG, no scripts, no
//! external files, so it can be mailed or archived as it is) and as an A4 PDF with the same
//! figures drawn by the same code. [`Report`] is the sectioned form the bench writes, with one
//! CSV per table.
use crate::draw::{Anchor, Drawing, Pen, Type, esc};
use crate::lanes::Lanes;
use crate::pdf::{self, Meta, PAGE_H, PAGE_W};
use crate::plot::Plot;
use crate::table::{Cell, Table, Tone};
use crate::text;
use std::fmt::Write as _;
use std::path::{Path, PathBuf};

/// What a figure shows.
#[derive(Clone, Debug, PartialEq)]
pub enum Chart {
    Plot(Plot),
    Lanes(Lanes),
}

/// A figure: a chart, its size on screen (CSS pixels; a lane chart's height follows its rows),
/// and the SVG element's class and data attributes.
#[derive(Clone, Debug, PartialEq)]
pub struct Figure {
    pub chart: Chart,
    pub width: f64,
    pub height: f64,
    pub class: String,
    pub attrs: Vec<(String, String)>,
}

/// Text size of figures on screen and on paper.
const SCREEN_FONT: f64 = 11.0;
const PAPER_FONT: f64 = 8.0;

impl Figure {
    pub fn plot(p: Plot, width: f64, height: f64) -> Figure {
        Figure {
            chart: Chart::Plot(p),
            width,
            height,
            class: String::new(),
            attrs: Vec::new(),
        }
    }
    pub fn lanes(l: Lanes, width: f64) -> Figure {
        Figure {
            chart: Chart::Lanes(l),
            width,
            height: 0.0,
            class: String::new(),
            attrs: Vec::new(),
        }
    }
    pub fn class(mut self, c: &str) -> Figure {
        self.class = c.into();
        self
    }
    /// A `data-NAME` attribute on the SVG element.
    pub fn data(mut self, name: &str, value: &str) -> Figure {
        self.attrs.push((format!("data-{name}"), value.into()));
        self
    }

    fn height_at(&self, width: f64, font: f64) -> f64 {
        match &self.chart {
            Chart::Lanes(l) => l.height(font),
            // On paper a wide, flat plot keeps room for its text.
            Chart::Plot(_) => (self.height * width / self.width).max(self.height * 0.8),
        }
    }

    fn draw(&self, d: &mut Drawing, frame: (f64, f64, f64, f64), font: f64) {
        match &self.chart {
            Chart::Plot(p) => p.draw(d, frame, font),
            Chart::Lanes(l) => l.draw(d, frame, font),
        }
    }

    /// The figure as an SVG element.
    pub fn to_svg(&self) -> String {
        let h = self.height_at(self.width, SCREEN_FONT);
        let mut d = Drawing::new(self.width, h);
        self.draw(&mut d, (0.0, 0.0, self.width, h), SCREEN_FONT);
        let mut attrs = String::new();
        if !self.class.is_empty() {
            let _ = write!(attrs, "class=\"{}\"", esc(&self.class));
        }
        for (k, v) in &self.attrs {
            let _ = write!(attrs, " {}=\"{}\"", esc(k), esc(v));
        }
        d.to_svg(attrs.trim_start())
    }
}

/// A part of a document's flow.
#[derive(Clone, Debug, PartialEq)]
pub enum Block {
    Heading(String),
    Text(String),
    /// Small grey text: who, when, how to read a figure.
    Note(String),
    /// A verdict in a coloured box.
    Badge(String, Tone),
    List(Vec<String>),
    Figure(Box<Figure>),
    Table(Table),
}

impl From<Figure> for Block {
    fn from(f: Figure) -> Block {
        Block::Figure(Box::new(f))
    }
}

/// A document.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Doc {
    pub title: String,
    /// The person it is about or by, for the PDF's metadata.
    pub author: String,
    pub blocks: Vec<Block>,
    /// Tables link to their CSV files (which [`Report::write`] writes beside the page).
    pub csv_links: bool,
    /// The page links to its PDF form under this name.
    pub pdf_link: Option<String>,
}

const CSS: &str = "body{font-family:'Noto Sans','Noto Sans CJK SC',Helvetica,Arial,sans-serif;max-width:1100px;margin:2em auto;padding:0 1em;color:#222}\
h1{font-size:22px;margin-bottom:4px}h2{font-size:17px;margin-top:28px;border-bottom:1px solid #ccc}\
table{border-collapse:collapse;margin:1em 0;font-size:13px}caption{text-align:left;font-weight:bold;padding:4px 0}\
td,th{border:1px solid #ddd;padding:3px 7px;text-align:left;vertical-align:top}td.n{text-align:right;font-variant-numeric:tabular-nums}th{background:#f2f2f2}\
svg{display:block;margin:6px 0}.figures{display:flex;flex-wrap:wrap;gap:8px}.note{color:#555;font-size:13px}\
.badge{display:inline-block;padding:6px 14px;border-radius:6px;color:#fff;font-weight:bold;font-size:18px}\
.good{color:#2e8b57;font-weight:bold}.warn{color:#e08a00;font-weight:bold}.bad{color:#d62728;font-weight:bold}.muted{color:#777}\
.badge.good,.badge.warn,.badge.bad,.badge.muted{color:#fff}.badge.good{background:#2e8b57}.badge.warn{background:#e08a00}.badge.bad{background:#d62728}.badge.muted{background:#777}\
li{margin-bottom:6px}";

impl Doc {
    pub fn new(title: &str) -> Doc {
        Doc {
            title: title.into(),
            ..Default::default()
        }
    }

    pub fn push(&mut self, b: Block) -> &mut Doc {
        self.blocks.push(b);
        self
    }

    /// The HTML page.
    pub fn to_html(&self) -> String {
        let mut s = format!(
            "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\"><title>{}</title><style>{CSS}</style></head><body>\n<h1>{}</h1>\n",
            esc(&self.title),
            esc(&self.title)
        );
        if let Some(pdf) = &self.pdf_link {
            let _ = writeln!(s, "<p class=\"note\"><a href=\"{}\">PDF</a></p>", esc(pdf));
        }
        let mut in_figures = false;
        for b in &self.blocks {
            let figure = matches!(b, Block::Figure(_));
            if figure && !in_figures {
                s.push_str("<div class=\"figures\">\n");
            } else if !figure && in_figures {
                s.push_str("</div>\n");
            }
            in_figures = figure;
            match b {
                Block::Heading(t) => {
                    let _ = writeln!(s, "<h2>{}</h2>", esc(t));
                }
                Block::Text(t) => {
                    let _ = writeln!(s, "<p>{}</p>", esc(t));
                }
                Block::Note(t) => {
                    let _ = writeln!(s, "<p class=\"note\">{}</p>", esc(t));
                }
                Block::Badge(t, tone) => {
                    let _ = writeln!(s, "<p>{}</p>", tone.span("badge ", t));
                }
                Block::List(items) => {
                    s.push_str("<ul>\n");
                    for i in items {
                        let _ = writeln!(s, "<li>{}</li>", esc(i));
                    }
                    s.push_str("</ul>\n");
                }
                Block::Figure(f) => s.push_str(&f.to_svg()),
                Block::Table(t) => s.push_str(&t.to_html(self.csv_links)),
            }
        }
        if in_figures {
            s.push_str("</div>\n");
        }
        s.push_str("</body></html>\n");
        s
    }

    /// The PDF: A4 pages, the figures drawn at the page's width.
    pub fn to_pdf(&self) -> Result<Vec<u8>, String> {
        let mut f = Flow::new();
        f.title(&self.title);
        for b in &self.blocks {
            match b {
                Block::Heading(t) => f.heading(t),
                Block::Text(t) => f.para(t, &Type::new(9.5)),
                Block::Note(t) => f.para(t, &Type::new(8.5).color("#555555")),
                Block::Badge(t, tone) => f.badge(t, *tone),
                Block::List(items) => f.list(items),
                Block::Figure(fig) => f.figure(fig),
                Block::Table(t) => f.table(t),
            }
        }
        pdf::write(
            &f.finish(),
            &Meta {
                title: self.title.clone(),
                author: self.author.clone(),
            },
        )
    }
}

/// Laying blocks out on A4 pages, top to bottom, a new page when the next thing does not fit.
struct Flow {
    pages: Vec<Drawing>,
    y: f64,
}

const MARGIN: f64 = 40.0;
const CONTENT_W: f64 = PAGE_W - 2.0 * MARGIN;

impl Flow {
    fn new() -> Flow {
        Flow {
            pages: vec![Drawing::new(PAGE_W, PAGE_H)],
            y: MARGIN,
        }
    }

    fn page(&mut self) -> &mut Drawing {
        self.pages.last_mut().expect("a flow has a page")
    }

    /// Make room for `h` points: a new page when they do not fit (and the page is not empty).
    fn room(&mut self, h: f64) {
        if self.y + h > PAGE_H - MARGIN && self.y > MARGIN + 1.0 {
            self.pages.push(Drawing::new(PAGE_W, PAGE_H));
            self.y = MARGIN;
        }
    }

    fn title(&mut self, t: &str) {
        let ty = Type::new(16.0).bold();
        for l in text::wrap(t, ty.size, true, CONTENT_W) {
            self.y += 19.0;
            let y = self.y;
            self.page().text(MARGIN, y, &ty, &l);
        }
        self.y += 6.0;
    }

    fn heading(&mut self, t: &str) {
        self.room(60.0);
        self.y += 22.0;
        let y = self.y;
        self.page().text(MARGIN, y, &Type::new(12.0).bold(), t);
        self.page().line(
            (MARGIN, y + 4.0),
            (MARGIN + CONTENT_W, y + 4.0),
            &Pen::new("#cccccc", 0.5),
        );
        self.y += 6.0;
    }

    /// Wrapped lines of `t`, `indent` points in, `first` drawn before the first (a bullet).
    fn lines(&mut self, t: &str, ty: &Type, indent: f64, first: Option<&str>) {
        let lh = ty.size * 1.3;
        for (k, l) in text::wrap(t, ty.size, ty.bold, CONTENT_W - indent)
            .iter()
            .enumerate()
        {
            self.room(lh);
            self.y += lh;
            let y = self.y;
            if let (0, Some(b)) = (k, first) {
                self.page().text(MARGIN, y, ty, b);
            }
            self.page().text(MARGIN + indent, y, ty, l);
        }
    }

    fn para(&mut self, t: &str, ty: &Type) {
        self.y += 3.0;
        self.lines(t, ty, 0.0, None);
        self.y += 3.0;
    }

    fn list(&mut self, items: &[String]) {
        let ty = Type::new(9.0);
        for i in items {
            self.lines(i, &ty, 10.0, Some("•"));
            self.y += 3.0;
        }
    }

    fn badge(&mut self, t: &str, tone: Tone) {
        let ty = Type::new(13.0).bold().color("#ffffff");
        self.room(30.0);
        self.y += 8.0;
        let (y, w) = (self.y, ty.width(t));
        let page = self.page();
        page.rect((MARGIN, y, w + 16.0, 21.0), Some((tone.color(), 1.0)), None);
        page.text(MARGIN + 8.0, y + 15.0, &ty, t);
        self.y += 27.0;
    }

    fn figure(&mut self, fig: &Figure) {
        let h = fig.height_at(CONTENT_W, PAPER_FONT);
        self.room(h + 6.0);
        self.y += 4.0;
        let y = self.y;
        fig.draw(self.page(), (MARGIN, y, CONTENT_W, h), PAPER_FONT);
        self.y += h + 2.0;
    }

    /// A table: columns as wide as their text where the page allows, else shared out; cells
    /// wrap; the header row repeats on each page.
    fn table(&mut self, t: &Table) {
        let ty = Type::new(8.0);
        let head = ty.clone().bold();
        let pad = 4.0;
        let n = t.columns.len().max(1);
        let natural: Vec<f64> = (0..n)
            .map(|i| {
                let h = t.columns.get(i).map_or(0.0, |c| head.width(c));
                let body = t
                    .rows
                    .iter()
                    .filter_map(|r| r.get(i))
                    .map(|c| Self::cell_type(c, &ty).width(&c.shown()))
                    .fold(0.0, f64::max);
                h.max(body) + 2.0 * pad
            })
            .collect();
        // No column narrower than its longest word: words do not break.
        let longest_word = |ty: &Type, s: &str| {
            s.split_whitespace()
                .map(|w| ty.width(w))
                .fold(0.0, f64::max)
        };
        let least: Vec<f64> = (0..n)
            .map(|i| {
                let h = t.columns.get(i).map_or(0.0, |c| longest_word(&head, c));
                let body = t
                    .rows
                    .iter()
                    .filter_map(|r| r.get(i))
                    .map(|c| longest_word(&Self::cell_type(c, &ty), &c.shown()))
                    .fold(0.0, f64::max);
                h.max(body) + 2.0 * pad
            })
            .collect();
        let widths = share(&natural, &least, CONTENT_W);
        if !t.title.is_empty() {
            self.room(40.0);
            self.y += 4.0;
            self.lines(&t.title, &Type::new(9.0).bold(), 0.0, None);
        }
        let header: Vec<Cell> = t.columns.iter().map(|c| Cell::text(c.as_str())).collect();
        self.y += 4.0;
        self.row(&header, &widths, &head, true);
        for r in &t.rows {
            if self.row_height(r, &widths, &ty) + self.y > PAGE_H - MARGIN {
                self.room(PAGE_H);
                self.row(&header, &widths, &head, true);
            }
            self.row(r, &widths, &ty, false);
        }
        self.y += 6.0;
    }

    /// How a cell is set: toned cells bold in their colour.
    fn cell_type(c: &Cell, ty: &Type) -> Type {
        match c {
            Cell::Toned(_, tone) => ty.clone().bold().color(tone.color()),
            _ => ty.clone(),
        }
    }

    fn cell_lines(c: &Cell, w: f64, ty: &Type) -> Vec<String> {
        let ty = Self::cell_type(c, ty);
        text::wrap(&c.shown(), ty.size, ty.bold, w - 8.0)
    }

    fn row_height(&self, r: &[Cell], widths: &[f64], ty: &Type) -> f64 {
        let lines = r
            .iter()
            .zip(widths)
            .map(|(c, w)| Self::cell_lines(c, *w, ty).len().max(1))
            .max()
            .unwrap_or(1);
        lines as f64 * ty.size * 1.25 + 4.0
    }

    fn row(&mut self, r: &[Cell], widths: &[f64], ty: &Type, header: bool) {
        let h = self.row_height(r, widths, ty);
        let y = self.y;
        let total: f64 = widths.iter().sum();
        let page = self.page();
        if header {
            page.rect((MARGIN, y, total, h), Some(("#f2f2f2", 1.0)), None);
        }
        let mut x = MARGIN;
        for (c, w) in r.iter().zip(widths) {
            let cty = Self::cell_type(c, ty);
            let (tx, anchor) = if c.is_num() {
                (x + w - 4.0, Anchor::End)
            } else {
                (x + 4.0, Anchor::Start)
            };
            for (k, l) in Self::cell_lines(c, *w, ty).iter().enumerate() {
                page.text(
                    tx,
                    y + ty.size * (1.05 + 1.25 * k as f64),
                    &cty.clone().anchor(anchor),
                    l,
                );
            }
            x += w;
        }
        page.line(
            (MARGIN, y + h),
            (MARGIN + total, y + h),
            &Pen::new("#dddddd", 0.5),
        );
        self.y += h;
    }

    fn finish(self) -> Vec<Drawing> {
        self.pages
    }
}

/// Column widths: each column its natural width if all fit; else each its least, and what is
/// left shared out to the columns that want more, narrow wants first and the wide ones equally
/// (water filling). Where even the least widths do not fit they are scaled down.
fn share(natural: &[f64], least: &[f64], total: f64) -> Vec<f64> {
    if natural.iter().sum::<f64>() <= total {
        return natural.to_vec();
    }
    let least: Vec<f64> = least.iter().zip(natural).map(|(l, n)| l.min(*n)).collect();
    let floor: f64 = least.iter().sum();
    if floor >= total {
        return least.iter().map(|l| l * total / floor).collect();
    }
    let want: Vec<f64> = natural.iter().zip(&least).map(|(n, l)| n - l).collect();
    let mut extra = vec![0.0; want.len()];
    let mut open: Vec<usize> = (0..want.len()).collect();
    let mut left = total - floor;
    while !open.is_empty() {
        let fair = left / open.len() as f64;
        let (fit, wide): (Vec<usize>, Vec<usize>) = open.iter().partition(|&&i| want[i] <= fair);
        if fit.is_empty() {
            for i in wide {
                extra[i] = fair;
            }
            break;
        }
        for i in fit {
            extra[i] = want[i];
            left -= want[i];
        }
        open = wide;
    }
    least.iter().zip(extra).map(|(l, e)| l + e).collect()
}

/// One part of a [`Report`].
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

/// A report in sections, as the bench writes them: summary tables (also printed to the
/// terminal), then sections of text, plots and tables; one CSV per table.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Report {
    /// Directory name under the output directory.
    pub slug: String,
    /// The page's title and heading.
    pub title: String,
    /// Paragraphs before the summary: what was tested, on which models.
    pub intro: Vec<String>,
    /// The report's body, in order.
    pub sections: Vec<Section>,
    /// Tables printed to the terminal (others go only to the files).
    pub summary: Vec<Table>,
}

/// The size of a report's plots on screen.
pub const PLOT_W: f64 = 720.0;
pub const PLOT_H: f64 = 360.0;

impl Report {
    pub fn tables(&self) -> impl Iterator<Item = &Table> {
        self.summary
            .iter()
            .chain(self.sections.iter().flat_map(|s| s.tables.iter()))
    }

    pub fn table(&self, slug: &str) -> Option<&Table> {
        self.tables().find(|t| t.slug == slug)
    }

    /// The report as a document.
    pub fn to_doc(&self) -> Doc {
        let mut d = Doc::new(&self.title);
        d.csv_links = true;
        d.pdf_link = Some("report.pdf".into());
        d.blocks
            .extend(self.intro.iter().map(|p| Block::Text(p.clone())));
        d.blocks
            .extend(self.summary.iter().map(|t| Block::Table(t.clone())));
        for sec in &self.sections {
            d.blocks.push(Block::Heading(sec.heading.clone()));
            d.blocks
                .extend(sec.paragraphs.iter().map(|p| Block::Text(p.clone())));
            d.blocks.extend(
                sec.plots
                    .iter()
                    .map(|p| Block::from(Figure::plot(p.clone(), PLOT_W, PLOT_H))),
            );
            d.blocks
                .extend(sec.tables.iter().map(|t| Block::Table(t.clone())));
        }
        d
    }

    pub fn to_html(&self) -> String {
        self.to_doc().to_html()
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

    /// Write `index.html`, the same as `report.pdf`, and one CSV per table into
    /// `out/<slug>/`; returns that directory.
    pub fn write(&self, out: &Path) -> std::io::Result<PathBuf> {
        let dir = out.join(&self.slug);
        std::fs::create_dir_all(&dir)?;
        let doc = self.to_doc();
        std::fs::write(dir.join("index.html"), doc.to_html())?;
        let pdf = doc.to_pdf().map_err(std::io::Error::other)?;
        std::fs::write(dir.join("report.pdf"), pdf)?;
        for t in self.tables() {
            std::fs::write(dir.join(format!("{}.csv", t.slug)), t.to_csv())?;
        }
        Ok(dir)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn columns_share_the_page() {
        assert_eq!(share(&[10.0, 20.0], &[5.0, 5.0], 100.0), [10.0, 20.0]);
        let w = share(&[10.0, 300.0, 400.0], &[10.0, 20.0, 20.0], 210.0);
        assert_eq!(w[0], 10.0);
        assert!(
            (w[1] - 100.0).abs() < 1e-9 && (w[2] - 100.0).abs() < 1e-9,
            "{w:?}"
        );
        // A column keeps its longest word even when the others would share more.
        let w = share(&[60.0, 300.0, 300.0], &[60.0, 20.0, 20.0], 200.0);
        assert_eq!(w, [60.0, 70.0, 70.0]);
        // Too many long words for the page: the least widths scaled to the page.
        let w = share(&[100.0, 100.0], &[100.0, 100.0], 100.0);
        assert_eq!(w, [50.0, 50.0]);
    }

    #[test]
    fn a_toned_cell_is_measured_as_it_is_drawn_bold() {
        // A column just wide enough for "not met" in regular type, not in bold: the row must
        // be two lines high, or the second line runs into the next row.
        let ty = Type::new(8.0);
        let w = ty.width("not met") + 8.0 + 0.1;
        let f = Flow::new();
        let plain = f.row_height(&[Cell::text("not met")], &[w], &ty);
        let toned = f.row_height(&[Cell::Toned("not met".into(), Tone::Bad)], &[w], &ty);
        assert!(toned > plain + 5.0, "{plain} {toned}");
    }
}
