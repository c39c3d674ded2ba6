//! A small PDF writer: A4 pages of vector lines, filled rectangles and Helvetica text. Enough
//! for a debrief report with trend plots, and small enough to read in one sitting.
//!
//! The file is PDF 1.4 with one content stream per page (uncompressed, so that tests and people
//! can read it), the standard Helvetica and Helvetica-Bold fonts (no embedding; every PDF reader
//! has them) in WinAnsi encoding, and a cross-reference table whose offsets are exact.
//! Coordinates in this API run from the top-left corner in points (1/72 in), y downwards, as
//! in the HTML report; the writer flips them.
//!
//! It does not: compress, embed fonts or images, or lay out text beyond [`Pdf::wrap`]'s greedy
//! line breaking.

/// A4 in points.
pub const PAGE_W: f64 = 595.0;
pub const PAGE_H: f64 = 842.0;

/// An RGB colour, components 0..1.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Rgb(pub f64, pub f64, pub f64);

impl Rgb {
    pub const BLACK: Rgb = Rgb(0.0, 0.0, 0.0);
    pub const GREY: Rgb = Rgb(0.55, 0.55, 0.55);
    pub const LIGHT: Rgb = Rgb(0.9, 0.9, 0.9);

    /// From `#rrggbb` (as the HTML uses); black for anything else.
    pub fn hex(s: &str) -> Rgb {
        let h = s.trim_start_matches('#');
        let c = |i: usize| {
            h.get(i..i + 2)
                .and_then(|x| u8::from_str_radix(x, 16).ok())
                .map_or(0.0, |v| v as f64 / 255.0)
        };
        if h.len() == 6 {
            Rgb(c(0), c(2), c(4))
        } else {
            Rgb::BLACK
        }
    }
}

/// A document being written.
pub struct Pdf {
    pages: Vec<String>,
    cur: String,
}

impl Default for Pdf {
    fn default() -> Self {
        Pdf::new()
    }
}

fn f(x: f64) -> String {
    if x.is_finite() {
        let s = format!("{x:.2}");
        let s = s.trim_end_matches('0').trim_end_matches('.');
        if s.is_empty() || s == "-" {
            "0".into()
        } else {
            s.to_string()
        }
    } else {
        "0".into()
    }
}

/// Text in WinAnsi bytes, escaped for a PDF string. Characters outside WinAnsi become the
/// nearest ASCII (≥ → >=, Δ → d, subscript digits → digits).
pub fn encode(s: &str) -> Vec<u8> {
    let mut out = Vec::new();
    for c in s.chars() {
        let mapped: &[u8] = match c {
            '(' => b"\\(",
            ')' => b"\\)",
            '\\' => b"\\\\",
            '–' => &[0x96],
            '—' => &[0x97],
            '‘' => &[0x91],
            '’' => &[0x92],
            '“' => &[0x93],
            '”' => &[0x94],
            '•' => &[0x95],
            '…' => &[0x85],
            '≥' => b">=",
            '≤' => b"<=",
            '→' => b"->",
            '−' => b"-",
            '×' => &[0xD7],
            'Δ' => b"d",
            '₂' | '²' => b"2",
            '₁' => b"1",
            '·' => &[0xB7],
            '\n' | '\t' => b" ",
            c if (c as u32) < 0x20 => b"",
            c if (c as u32) <= 0xFF => {
                out.push(c as u32 as u8);
                continue;
            }
            _ => b"?",
        };
        out.extend_from_slice(mapped);
    }
    out
}

/// Approximate Helvetica advance width of a character, in em (from the standard font metrics,
/// grouped: narrow, normal, wide).
fn width_em(c: char, bold: bool) -> f64 {
    let w = match c {
        'i' | 'j' | 'l' | '\'' | '|' | '.' | ',' | ':' | ';' | '!' => 0.24,
        'f' | 't' | 'r' | ' ' | 'I' | '(' | ')' | '[' | ']' | '/' | '-' => 0.32,
        'm' | 'M' | 'W' | 'w' | '%' | '@' => 0.85,
        c if c.is_ascii_uppercase() => 0.68,
        c if c.is_ascii_digit() => 0.556,
        _ => 0.53,
    };
    if bold { w * 1.06 } else { w }
}

/// Width of `s` at `size` points.
pub fn text_width(s: &str, size: f64, bold: bool) -> f64 {
    s.chars().map(|c| width_em(c, bold)).sum::<f64>() * size
}

impl Pdf {
    pub fn new() -> Pdf {
        Pdf {
            pages: Vec::new(),
            cur: String::new(),
        }
    }

    /// Start a new page (the first one starts implicitly).
    pub fn page(&mut self) {
        if !self.cur.is_empty() {
            self.pages.push(std::mem::take(&mut self.cur));
        }
    }

    pub fn page_count(&self) -> usize {
        self.pages.len() + usize::from(!self.cur.is_empty())
    }

    fn y(y: f64) -> f64 {
        PAGE_H - y
    }

    /// Text with its baseline at (x, y).
    pub fn text(&mut self, x: f64, y: f64, size: f64, bold: bool, color: Rgb, s: &str) {
        let font = if bold { "F2" } else { "F1" };
        // Text bytes may be non-UTF-8 (WinAnsi): they are kept as \ooo escapes.
        let mut esc = String::new();
        for b in encode(s) {
            if b.is_ascii() && b >= 0x20 {
                esc.push(b as char);
            } else {
                esc.push_str(&format!("\\{b:03o}"));
            }
        }
        self.cur.push_str(&format!(
            "BT /{font} {} Tf {} {} {} rg {} {} Td ({esc}) Tj ET\n",
            f(size),
            f(color.0),
            f(color.1),
            f(color.2),
            f(x),
            f(Self::y(y))
        ));
    }

    /// Lines of at most `max_w` points for `s` at `size`.
    pub fn wrap(s: &str, size: f64, bold: bool, max_w: f64) -> Vec<String> {
        let mut lines = Vec::new();
        let mut line = String::new();
        for word in s.split_whitespace() {
            let candidate = if line.is_empty() {
                word.to_string()
            } else {
                format!("{line} {word}")
            };
            if text_width(&candidate, size, bold) > max_w && !line.is_empty() {
                lines.push(std::mem::take(&mut line));
                line = word.to_string();
            } else {
                line = candidate;
            }
        }
        if !line.is_empty() {
            lines.push(line);
        }
        lines
    }

    fn stroke_style(&mut self, width: f64, color: Rgb, dash: Option<f64>) {
        self.cur.push_str(&format!(
            "{} w {} {} {} RG {} d\n",
            f(width),
            f(color.0),
            f(color.1),
            f(color.2),
            match dash {
                Some(d) => format!("[{} {}] 0", f(d), f(d)),
                None => "[] 0".into(),
            }
        ));
    }

    #[allow(clippy::too_many_arguments)] // two points and the stroke style
    pub fn line(
        &mut self,
        x1: f64,
        y1: f64,
        x2: f64,
        y2: f64,
        width: f64,
        color: Rgb,
        dash: Option<f64>,
    ) {
        self.stroke_style(width, color, dash);
        self.cur.push_str(&format!(
            "{} {} m {} {} l S\n",
            f(x1),
            f(Self::y(y1)),
            f(x2),
            f(Self::y(y2))
        ));
    }

    /// A connected line through `pts`; a `None` breaks it (a gap in the data).
    pub fn polyline(&mut self, pts: &[Option<(f64, f64)>], width: f64, color: Rgb) {
        self.stroke_style(width, color, None);
        let mut pen_down = false;
        for p in pts {
            match p {
                Some((x, y)) => {
                    self.cur.push_str(&format!(
                        "{} {} {}\n",
                        f(*x),
                        f(Self::y(*y)),
                        if pen_down { "l" } else { "m" }
                    ));
                    pen_down = true;
                }
                None => pen_down = false,
            }
        }
        self.cur.push_str("S\n");
    }

    /// A rectangle with top-left corner (x, y), filled and/or stroked.
    pub fn rect(&mut self, x: f64, y: f64, w: f64, h: f64, fill: Option<Rgb>, stroke: Option<Rgb>) {
        let (x0, y0) = (x, Self::y(y + h));
        if let Some(c) = fill {
            self.cur.push_str(&format!(
                "{} {} {} rg {} {} {} {} re f\n",
                f(c.0),
                f(c.1),
                f(c.2),
                f(x0),
                f(y0),
                f(w),
                f(h)
            ));
        }
        if let Some(c) = stroke {
            self.stroke_style(0.5, c, None);
            self.cur
                .push_str(&format!("{} {} {} {} re S\n", f(x0), f(y0), f(w), f(h)));
        }
    }

    /// The finished file.
    pub fn finish(mut self) -> Vec<u8> {
        self.page();
        if self.pages.is_empty() {
            self.pages.push(String::new());
        }
        let n = self.pages.len();
        // Objects: 1 catalog, 2 pages, 3 F1, 4 F2, then per page: page object, content stream.
        let mut objects: Vec<Vec<u8>> = Vec::new();
        objects.push(b"<< /Type /Catalog /Pages 2 0 R >>".to_vec());
        let kids: Vec<String> = (0..n).map(|i| format!("{} 0 R", 5 + 2 * i)).collect();
        objects
            .push(format!("<< /Type /Pages /Kids [{}] /Count {n} >>", kids.join(" ")).into_bytes());
        for name in ["Helvetica", "Helvetica-Bold"] {
            objects.push(
                format!(
                    "<< /Type /Font /Subtype /Type1 /BaseFont /{name} /Encoding /WinAnsiEncoding >>"
                )
                .into_bytes(),
            );
        }
        for (i, content) in self.pages.iter().enumerate() {
            objects.push(
                format!(
                    "<< /Type /Page /Parent 2 0 R /MediaBox [0 0 {} {}] /Resources << /Font << /F1 3 0 R /F2 4 0 R >> >> /Contents {} 0 R >>",
                    f(PAGE_W),
                    f(PAGE_H),
                    6 + 2 * i
                )
                .into_bytes(),
            );
            let mut stream = format!("<< /Length {} >>\nstream\n", content.len()).into_bytes();
            stream.extend_from_slice(content.as_bytes());
            stream.extend_from_slice(b"\nendstream");
            objects.push(stream);
        }
        let mut out: Vec<u8> = b"%PDF-1.4\n%\xE2\xE3\xCF\xD3\n".to_vec();
        let mut offsets = Vec::new();
        for (i, body) in objects.iter().enumerate() {
            offsets.push(out.len());
            out.extend_from_slice(format!("{} 0 obj\n", i + 1).as_bytes());
            out.extend_from_slice(body);
            out.extend_from_slice(b"\nendobj\n");
        }
        let xref = out.len();
        out.extend_from_slice(
            format!("xref\n0 {}\n0000000000 65535 f \n", objects.len() + 1).as_bytes(),
        );
        for o in offsets {
            out.extend_from_slice(format!("{o:010} 00000 n \n").as_bytes());
        }
        out.extend_from_slice(
            format!(
                "trailer\n<< /Size {} /Root 1 0 R >>\nstartxref\n{xref}\n%%EOF\n",
                objects.len() + 1
            )
            .as_bytes(),
        );
        out
    }
}

/// Check a PDF's structure as a reader would: header, trailer, and every cross-reference
/// offset pointing at its object. Returns the number of objects.
pub fn check_structure(pdf: &[u8]) -> Result<usize, String> {
    if !pdf.starts_with(b"%PDF-1.") {
        return Err("no %PDF header".into());
    }
    let tail_at = pdf.len().saturating_sub(64);
    let tail = String::from_utf8_lossy(&pdf[tail_at..]);
    let sx = tail.rfind("startxref").ok_or("no startxref")?;
    let xref_at: usize = tail[sx + 9..]
        .split_whitespace()
        .next()
        .and_then(|s| s.parse().ok())
        .ok_or("bad startxref")?;
    if xref_at >= pdf.len() || !pdf[xref_at..].starts_with(b"xref") {
        return Err(format!(
            "startxref {xref_at} does not point at the xref table"
        ));
    }
    // The table and trailer are ASCII; the body before it may hold any bytes.
    let table = String::from_utf8_lossy(&pdf[xref_at..]);
    let mut lines = table.lines().skip(1);
    let header = lines.next().ok_or("xref header")?;
    let count: usize = header
        .split_whitespace()
        .nth(1)
        .and_then(|s| s.parse().ok())
        .ok_or("xref count")?;
    for (i, l) in lines.take(count).enumerate().skip(1) {
        let off: usize = l
            .get(..10)
            .and_then(|x| x.parse().ok())
            .ok_or_else(|| format!("xref line {i}"))?;
        let want = format!("{i} 0 obj");
        if off >= pdf.len() || !pdf[off..].starts_with(want.as_bytes()) {
            return Err(format!(
                "object {i}: offset {off} does not point at `{want}`"
            ));
        }
    }
    Ok(count - 1)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn offsets_are_exact_and_text_is_escaped() {
        let mut p = Pdf::new();
        p.text(50.0, 50.0, 12.0, true, Rgb::BLACK, "ΔP ≥ 40 (high) – 37 °C");
        p.polyline(
            &[
                Some((0.0, 0.0)),
                Some((10.0, 10.0)),
                None,
                Some((20.0, 5.0)),
            ],
            1.0,
            Rgb::GREY,
        );
        p.page();
        p.rect(10.0, 10.0, 100.0, 20.0, Some(Rgb::LIGHT), Some(Rgb::BLACK));
        let bytes = p.finish();
        assert_eq!(check_structure(&bytes).unwrap(), 8);
        let s = String::from_utf8_lossy(&bytes);
        assert!(
            s.contains("(dP >= 40 \\(high\\) \\226 37 \\260C) Tj"),
            "{s}"
        );
        assert!(s.contains("/Count 2"));
    }

    #[test]
    fn wrap_respects_the_width() {
        let lines = Pdf::wrap(&"word ".repeat(100), 10.0, false, 200.0);
        assert!(lines.len() > 5);
        for l in &lines {
            assert!(text_width(l, 10.0, false) <= 200.0, "{l}");
        }
    }
}
