//! Tables: text for the terminal, CSV with every digit, HTML, and a PDF layout (in
//! [`crate::doc`]).
use crate::draw::esc;
use std::fmt::Write as _;

/// A judgement a cell carries (done, late, missed), shown in colour.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Tone {
    Good,
    Warn,
    Bad,
    Muted,
}

impl Tone {
    /// The CSS class of the HTML.
    pub fn class(self) -> &'static str {
        match self {
            Tone::Good => "good",
            Tone::Warn => "warn",
            Tone::Bad => "bad",
            Tone::Muted => "muted",
        }
    }
    /// `text` in an HTML span of this tone's class (after `extra` classes).
    pub fn span(self, extra: &str, text: &str) -> String {
        format!(
            "<span class=\"{extra}{}\">{}</span>",
            self.class(),
            esc(text)
        )
    }
    pub fn color(self) -> &'static str {
        match self {
            Tone::Good => "#2e8b57",
            Tone::Warn => "#e08a00",
            Tone::Bad => "#d62728",
            Tone::Muted => "#777777",
        }
    }
}

/// One cell: a number shown with `decimals` places on screen (full precision in CSV), text, or
/// text with a tone.
#[derive(Clone, Debug, PartialEq)]
pub enum Cell {
    Num(f64, usize),
    Text(String),
    Toned(String, Tone),
}

impl Cell {
    pub fn text(s: impl Into<String>) -> Cell {
        Cell::Text(s.into())
    }
    /// As shown on screen and paper.
    pub fn shown(&self) -> String {
        match self {
            Cell::Num(v, d) if v.is_finite() => format!("{v:.d$}"),
            Cell::Num(..) => "—".into(),
            Cell::Text(s) | Cell::Toned(s, _) => s.clone(),
        }
    }
    fn csv(&self) -> String {
        match self {
            Cell::Num(v, _) if v.is_finite() => format!("{v}"),
            Cell::Num(..) => String::new(),
            Cell::Text(s) | Cell::Toned(s, _) => csv_escape(s),
        }
    }
    pub fn as_f64(&self) -> Option<f64> {
        match self {
            Cell::Num(v, _) => Some(*v),
            _ => None,
        }
    }
    pub fn is_num(&self) -> bool {
        matches!(self, Cell::Num(..))
    }
}

fn csv_escape(s: &str) -> String {
    if s.contains([',', '"', '\n']) {
        format!("\"{}\"", s.replace('"', "\"\""))
    } else {
        s.to_string()
    }
}

/// A column of numbers drawn from a table's row type: header, decimals shown, a display factor
/// (100 for a fraction shown in %) and the row's value.
pub struct Column<T> {
    pub header: &'static str,
    pub decimals: usize,
    pub scale: f64,
    pub get: fn(&T) -> f64,
}

impl<T> Column<T> {
    /// The value as it is.
    pub const fn num(header: &'static str, decimals: usize, get: fn(&T) -> f64) -> Self {
        Column {
            header,
            decimals,
            scale: 1.0,
            get,
        }
    }

    /// A fraction, shown in %.
    pub const fn pct(header: &'static str, decimals: usize, get: fn(&T) -> f64) -> Self {
        Column {
            header,
            decimals,
            scale: 100.0,
            get,
        }
    }
}

/// The headers of `cols`, for [`Table::new`].
pub fn headers<T>(cols: &[Column<T>]) -> Vec<&'static str> {
    cols.iter().map(|c| c.header).collect()
}

/// A table: a file-name slug (for its CSV), a title (its caption; none when empty), column
/// headers with units, rows.
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

    /// A row for each of `rows`: a cell for each of `cols`, then `text(row)` for each of
    /// `texts` (the table's columns are `cols` then the text columns).
    pub fn push_rows<T>(
        &mut self,
        rows: &[T],
        cols: &[Column<T>],
        texts: &[&dyn Fn(&T) -> &'static str],
    ) {
        for x in rows {
            let nums = cols
                .iter()
                .map(|c| Cell::Num(c.scale * (c.get)(x), c.decimals));
            self.push(nums.chain(texts.iter().map(|f| Cell::text(f(x)))).collect());
        }
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

    /// The HTML table; `csv_link` adds a link to `<slug>.csv` beside the caption.
    pub fn to_html(&self, csv_link: bool) -> String {
        let mut s = String::from("<table");
        if !self.slug.is_empty() {
            let _ = write!(s, " id=\"{}\"", esc(&self.slug));
        }
        s.push('>');
        if !self.title.is_empty() {
            let _ = write!(s, "<caption>{}", esc(&self.title));
            if csv_link {
                let _ = write!(s, " <a href=\"{}.csv\">(CSV)</a>", esc(&self.slug));
            }
            s.push_str("</caption>");
        }
        s.push_str("<thead><tr>");
        for c in &self.columns {
            let _ = write!(s, "<th>{}</th>", esc(c));
        }
        s.push_str("</tr></thead><tbody>\n");
        for r in &self.rows {
            s.push_str("<tr>");
            for c in r {
                match c {
                    Cell::Num(..) => {
                        let _ = write!(s, "<td class=\"n\">{}</td>", esc(&c.shown()));
                    }
                    Cell::Text(t) => {
                        let _ = write!(s, "<td>{}</td>", esc(t));
                    }
                    Cell::Toned(t, tone) => {
                        let _ = write!(s, "<td>{}</td>", tone.span("", t));
                    }
                }
            }
            s.push_str("</tr>\n");
        }
        s.push_str("</tbody></table>\n");
        s
    }
}

/// A file-name-safe form of `s`: lower case, runs of other characters as one '-'.
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn table_text_and_csv() {
        let mut t = Table::new("My Table", "T", &["q (L/min)", "name"]);
        t.push(vec![Cell::Num(1.23456, 2), Cell::text("a,b")]);
        assert!(t.to_text().contains("1.23"));
        assert_eq!(t.to_csv(), "q (L/min),name\n1.23456,\"a,b\"\n");
        assert_eq!(t.slug, "my-table");
        assert_eq!(t.column("q (L/min)"), vec![1.23456]);
    }

    #[test]
    fn html_marks_numbers_tones_and_csv_links() {
        let mut t = Table::new("t", "T", &["x (s)", "state"]);
        t.push(vec![
            Cell::Num(2.5, 1),
            Cell::Toned("late".into(), Tone::Warn),
        ]);
        let html = t.to_html(true);
        roxmltree::Document::parse(&html).unwrap();
        assert!(html.contains("<a href=\"t.csv\">(CSV)</a>"));
        assert!(html.contains("<td class=\"n\">2.5</td>"));
        assert!(html.contains("<span class=\"warn\">late</span>"));
        t.title.clear();
        assert!(!t.to_html(false).contains("<caption>"));
    }
}
