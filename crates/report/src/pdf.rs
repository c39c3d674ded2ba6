//! Drawings to PDF through krilla: one A4 page per [`Drawing`], the fonts embedded as subsets
//! (only the glyphs used), text kept as text (searchable, copyable: `pdftotext` reads it).
//!
//! The file is PDF 1.4 with uncompressed content streams, so that a person or a test can read
//! the drawing operators; the fonts are compressed. Chinese set in bold is the regular CJK face
//! filled and outlined (there is no bold CJK face: see `fonts/README.md`).
use crate::draw::{Anchor, Drawing, Pen, Shape, rgb};
use crate::text::{self, Face};
use krilla::color::rgb as krgb;
use krilla::configure::{ConfigurationBuilder, PdfVersion};
use krilla::geom::{PathBuilder, Point, Rect, Transform};
use krilla::num::NormalizedF32;
use krilla::page::PageSettings;
use krilla::paint::{Fill, LineCap, Stroke, StrokeDash};
use krilla::surface::Surface;
use krilla::text::{Font, TextDirection};
use krilla::{Document, SerializeSettings};
use std::sync::OnceLock;

/// A4 in points.
pub const PAGE_W: f64 = 595.0;
pub const PAGE_H: f64 = 842.0;

fn font(face: Face) -> Font {
    static FONTS: [OnceLock<Font>; 3] = [OnceLock::new(), OnceLock::new(), OnceLock::new()];
    FONTS[face as usize]
        .get_or_init(|| Font::new(face.data().into(), 0).expect("embedded font parses"))
        .clone()
}

fn paint(color: &str) -> krilla::paint::Paint {
    let (r, g, b) = rgb(color);
    krgb::Color::new(r, g, b).into()
}

fn opacity(o: f64) -> NormalizedF32 {
    NormalizedF32::new(o.clamp(0.0, 1.0) as f32).unwrap_or(NormalizedF32::ONE)
}

fn fill(color: &str, o: f64) -> Fill {
    Fill {
        paint: paint(color),
        opacity: opacity(o),
        rule: Default::default(),
    }
}

fn stroke(p: &Pen) -> Stroke {
    Stroke {
        paint: paint(&p.color),
        width: p.width as f32,
        line_cap: LineCap::Butt,
        dash: p.dash.map(|d| StrokeDash {
            array: vec![d as f32, (d * 0.75) as f32],
            offset: 0.0,
        }),
        ..Default::default()
    }
}

fn finite(v: f64) -> f32 {
    if v.is_finite() { v as f32 } else { 0.0 }
}

fn draw_shape(s: &mut Surface, shape: &Shape) {
    match shape {
        Shape::Line { points, pen, .. } => {
            let mut pb = PathBuilder::new();
            for (i, (x, y)) in points.iter().enumerate() {
                if i == 0 {
                    pb.move_to(finite(*x), finite(*y));
                } else {
                    pb.line_to(finite(*x), finite(*y));
                }
            }
            if let Some(path) = pb.finish() {
                s.set_fill(None);
                s.set_stroke(Some(stroke(pen)));
                s.draw_path(&path);
            }
        }
        Shape::Rect {
            x,
            y,
            w,
            h,
            fill: f,
            stroke: st,
        } => {
            let Some(rect) = Rect::from_xywh(
                finite(*x),
                finite(*y),
                finite(*w).max(0.01),
                finite(*h).max(0.01),
            ) else {
                return;
            };
            let mut pb = PathBuilder::new();
            pb.push_rect(rect);
            if let Some(path) = pb.finish() {
                s.set_fill(f.as_ref().map(|(c, o)| fill(c, *o)));
                s.set_stroke(st.as_ref().map(stroke));
                s.draw_path(&path);
            }
        }
        Shape::Dot { x, y, r, color } => {
            // A circle as four cubic arcs.
            let (x, y, r) = (finite(*x), finite(*y), finite(*r));
            let k = 0.552_284_8 * r;
            let mut pb = PathBuilder::new();
            pb.move_to(x + r, y);
            pb.cubic_to(x + r, y + k, x + k, y + r, x, y + r);
            pb.cubic_to(x - k, y + r, x - r, y + k, x - r, y);
            pb.cubic_to(x - r, y - k, x - k, y - r, x, y - r);
            pb.cubic_to(x + k, y - r, x + r, y - k, x + r, y);
            pb.close();
            if let Some(path) = pb.finish() {
                s.set_fill(Some(fill(color, 1.0)));
                s.set_stroke(None);
                s.draw_path(&path);
            }
        }
        Shape::Text { x, y, ty, text } => {
            let w = ty.width(text);
            let dx = match ty.anchor {
                Anchor::Start => 0.0,
                Anchor::Middle => -w / 2.0,
                Anchor::End => -w,
            };
            let turned = ty.upright;
            if turned {
                // A quarter turn anticlockwise about (x, y), as SVG's rotate(-90 x y).
                s.push_transform(&Transform::from_row(
                    0.0,
                    -1.0,
                    1.0,
                    0.0,
                    finite(*x),
                    finite(*y),
                ));
            }
            let (ox, oy) = if turned { (0.0, 0.0) } else { (*x, *y) };
            let mut cx = ox + dx;
            for (face, run) in text::runs(text, ty.bold) {
                s.set_fill(Some(fill(&ty.color, 1.0)));
                // Faux bold for the CJK face: outline the fill.
                s.set_stroke((ty.bold && face == Face::Cjk).then(|| Stroke {
                    width: (ty.size * 0.045) as f32,
                    ..stroke(&Pen::new(&ty.color, 1.0))
                }));
                s.draw_text(
                    Point::from_xy(finite(cx), finite(oy)),
                    font(face),
                    ty.size as f32,
                    run,
                    false,
                    TextDirection::Auto,
                );
                cx += text::run_width(face, run, ty.size);
            }
            if turned {
                s.pop();
            }
        }
    }
}

/// Document metadata.
#[derive(Clone, Debug, Default)]
pub struct Meta {
    pub title: String,
    pub author: String,
}

/// The PDF of `pages` (each drawing's size is its page's size).
pub fn write(pages: &[Drawing], meta: &Meta) -> Result<Vec<u8>, String> {
    let configuration = ConfigurationBuilder::new()
        .with_version(PdfVersion::Pdf14)
        .finish()
        .map_err(|e| format!("PDF configuration: {e:?}"))?;
    let settings = SerializeSettings {
        compress_content_streams: false,
        ascii_compatible: true,
        xmp_metadata: false,
        enable_tagging: false,
        configuration,
        ..Default::default()
    };
    let mut doc = Document::new_with(settings);
    let mut m = krilla::metadata::Metadata::new().creator("OpenECMO".into());
    if !meta.title.is_empty() {
        m = m.title(meta.title.clone());
    }
    if !meta.author.is_empty() {
        m = m.authors(vec![meta.author.clone()]);
    }
    doc.set_metadata(m);
    let blank = [Drawing::new(PAGE_W, PAGE_H)];
    let pages = if pages.is_empty() { &blank[..] } else { pages };
    for d in pages {
        let settings = PageSettings::from_wh(d.width as f32, d.height as f32)
            .ok_or_else(|| format!("bad page size {} x {}", d.width, d.height))?;
        let mut page = doc.start_page_with(settings);
        let mut surface = page.surface();
        for shape in &d.shapes {
            draw_shape(&mut surface, shape);
        }
        surface.finish();
        page.finish();
    }
    doc.finish().map_err(|e| format!("PDF: {e:?}"))
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
    let mut used = 0;
    for (i, l) in lines.take(count).enumerate().skip(1) {
        if l.trim_end().ends_with('f') {
            continue; // a free entry
        }
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
        used += 1;
    }
    Ok(used)
}
