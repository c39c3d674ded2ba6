//! A drawing: the shapes and text of one figure or page, in points (or CSS pixels) from the
//! top-left corner, y downwards. Plots and charts draw into a [`Drawing`]; a drawing becomes
//! SVG ([`Drawing::to_svg`]) or part of a PDF page ([`crate::pdf`]), so the two cannot
//! disagree about what a figure contains.
use crate::text;
use std::fmt::Write as _;

/// Where a text's anchor point is along its baseline.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Anchor {
    Start,
    Middle,
    End,
}

/// How a line is stroked: colour `#rrggbb`, width, and dash length (`None`: solid).
#[derive(Clone, Debug, PartialEq)]
pub struct Pen {
    pub color: String,
    pub width: f64,
    pub dash: Option<f64>,
}

impl Pen {
    pub fn new(color: &str, width: f64) -> Pen {
        Pen {
            color: color.into(),
            width,
            dash: None,
        }
    }
    pub fn dashed(mut self, dash: f64) -> Pen {
        self.dash = Some(dash);
        self
    }
}

/// How text is set.
#[derive(Clone, Debug, PartialEq)]
pub struct Type {
    pub size: f64,
    pub bold: bool,
    pub color: String,
    pub anchor: Anchor,
    /// Turned a quarter anticlockwise about its anchor (a y-axis title).
    pub upright: bool,
}

impl Type {
    pub fn new(size: f64) -> Type {
        Type {
            size,
            bold: false,
            color: "#222222".into(),
            anchor: Anchor::Start,
            upright: false,
        }
    }
    pub fn bold(mut self) -> Type {
        self.bold = true;
        self
    }
    pub fn color(mut self, c: &str) -> Type {
        self.color = c.into();
        self
    }
    pub fn anchor(mut self, a: Anchor) -> Type {
        self.anchor = a;
        self
    }
    pub fn upright(mut self) -> Type {
        self.upright = true;
        self
    }
    /// Width of `s` set in this type.
    pub fn width(&self, s: &str) -> f64 {
        text::width(s, self.size, self.bold)
    }
}

/// One thing drawn.
#[derive(Clone, Debug, PartialEq)]
pub enum Shape {
    /// A connected line; `class` marks it in the SVG (tests find the data series by it).
    Line {
        points: Vec<(f64, f64)>,
        pen: Pen,
        class: Option<&'static str>,
    },
    Rect {
        x: f64,
        y: f64,
        w: f64,
        h: f64,
        /// Fill colour and opacity.
        fill: Option<(String, f64)>,
        stroke: Option<Pen>,
    },
    Dot {
        x: f64,
        y: f64,
        r: f64,
        color: String,
    },
    /// Text with its anchor at (x, y) on the baseline.
    Text {
        x: f64,
        y: f64,
        ty: Type,
        text: String,
    },
}

/// A figure or a page: its size and what is drawn on it, in drawing order.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Drawing {
    pub width: f64,
    pub height: f64,
    pub shapes: Vec<Shape>,
}

impl Drawing {
    pub fn new(width: f64, height: f64) -> Drawing {
        Drawing {
            width,
            height,
            shapes: Vec::new(),
        }
    }

    pub fn line(&mut self, a: (f64, f64), b: (f64, f64), pen: &Pen) {
        self.polyline(vec![a, b], pen, None);
    }

    pub fn polyline(&mut self, points: Vec<(f64, f64)>, pen: &Pen, class: Option<&'static str>) {
        if points.len() >= 2 {
            self.shapes.push(Shape::Line {
                points,
                pen: pen.clone(),
                class,
            });
        }
    }

    pub fn rect(
        &mut self,
        (x, y, w, h): (f64, f64, f64, f64),
        fill: Option<(&str, f64)>,
        stroke: Option<&Pen>,
    ) {
        self.shapes.push(Shape::Rect {
            x,
            y,
            w: w.max(0.0),
            h: h.max(0.0),
            fill: fill.map(|(c, o)| (c.to_string(), o)),
            stroke: stroke.cloned(),
        });
    }

    pub fn dot(&mut self, x: f64, y: f64, r: f64, color: &str) {
        self.shapes.push(Shape::Dot {
            x,
            y,
            r,
            color: color.into(),
        });
    }

    pub fn text(&mut self, x: f64, y: f64, ty: &Type, s: &str) {
        let s = text::clean(s);
        if !s.trim().is_empty() {
            self.shapes.push(Shape::Text {
                x,
                y,
                ty: ty.clone(),
                text: s,
            });
        }
    }

    /// The drawing as an `<svg>` element; `attrs` are written as they are (already escaped)
    /// after the `<svg`, e.g. `class="plot"`.
    pub fn to_svg(&self, attrs: &str) -> String {
        let (w, h) = (num(self.width), num(self.height));
        let mut s = format!(
            "<svg {attrs}{}xmlns=\"http://www.w3.org/2000/svg\" width=\"{w}\" height=\"{h}\" viewBox=\"0 0 {w} {h}\" font-family=\"{}\">\n",
            if attrs.is_empty() { "" } else { " " },
            esc(text::FONT_FAMILY)
        );
        for shape in &self.shapes {
            svg_shape(&mut s, shape);
        }
        s.push_str("</svg>\n");
        s
    }
}

fn svg_pen(p: &Pen) -> String {
    let mut s = format!(
        "stroke=\"{}\" stroke-width=\"{}\"",
        esc(&p.color),
        num(p.width)
    );
    if let Some(d) = p.dash {
        let _ = write!(s, " stroke-dasharray=\"{} {}\"", num(d), num(d * 0.75));
    }
    s
}

fn svg_shape(s: &mut String, shape: &Shape) {
    match shape {
        Shape::Line { points, pen, class } => {
            let pts: Vec<String> = points
                .iter()
                .map(|(x, y)| format!("{x:.1},{y:.1}"))
                .collect();
            let _ = writeln!(
                s,
                "<polyline{} fill=\"none\" {} points=\"{}\"/>",
                class.map_or(String::new(), |c| format!(" class=\"{c}\"")),
                svg_pen(pen),
                pts.join(" ")
            );
        }
        Shape::Rect {
            x,
            y,
            w,
            h,
            fill,
            stroke,
        } => {
            let fill = match fill {
                Some((c, o)) if *o < 1.0 => {
                    format!("fill=\"{}\" fill-opacity=\"{}\"", esc(c), num(*o))
                }
                Some((c, _)) => format!("fill=\"{}\"", esc(c)),
                None => "fill=\"none\"".into(),
            };
            let stroke = stroke
                .as_ref()
                .map_or(String::new(), |p| format!(" {}", svg_pen(p)));
            let _ = writeln!(
                s,
                "<rect x=\"{x:.1}\" y=\"{y:.1}\" width=\"{w:.1}\" height=\"{h:.1}\" {fill}{stroke}/>"
            );
        }
        Shape::Dot { x, y, r, color } => {
            let _ = writeln!(
                s,
                "<circle cx=\"{x:.1}\" cy=\"{y:.1}\" r=\"{}\" fill=\"{}\"/>",
                num(*r),
                esc(color)
            );
        }
        Shape::Text { x, y, ty, text } => {
            let anchor = match ty.anchor {
                Anchor::Start => "start",
                Anchor::Middle => "middle",
                Anchor::End => "end",
            };
            let mut extra = String::new();
            if ty.bold {
                extra.push_str(" font-weight=\"bold\"");
            }
            if ty.upright {
                let _ = write!(extra, " transform=\"rotate(-90 {x:.1} {y:.1})\"");
            }
            let _ = writeln!(
                s,
                "<text x=\"{x:.1}\" y=\"{y:.1}\" font-size=\"{}\" fill=\"{}\" text-anchor=\"{anchor}\"{extra}>{}</text>",
                num(ty.size),
                esc(&ty.color),
                esc(text)
            );
        }
    }
}

/// A number for SVG: at most two decimals, no trailing zeros.
fn num(v: f64) -> String {
    let s = format!("{v:.2}");
    let s = s.trim_end_matches('0').trim_end_matches('.');
    if s.is_empty() || s == "-" || s == "-0" {
        "0".into()
    } else {
        s.into()
    }
}

/// HTML/XML escaping for text and attribute values.
pub fn esc(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

/// `#rrggbb` as bytes; black for anything else.
pub fn rgb(s: &str) -> (u8, u8, u8) {
    let h = s.trim_start_matches('#');
    let c = |i: usize| {
        h.get(i..i + 2)
            .and_then(|x| u8::from_str_radix(x, 16).ok())
            .unwrap_or(0)
    };
    if h.len() == 6 {
        (c(0), c(2), c(4))
    } else {
        (0, 0, 0)
    }
}

/// For this crate's tests: `svg` parses as XML and contains each of `wants`.
#[cfg(test)]
pub(crate) fn assert_svg(svg: &str, wants: &[&str]) {
    roxmltree::Document::parse(svg).unwrap();
    for want in wants {
        assert!(svg.contains(want), "{want} not in {svg}");
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn svg_is_well_formed_and_escaped() {
        let mut d = Drawing::new(100.0, 50.0);
        d.line(
            (0.0, 0.0),
            (10.0, 10.0),
            &Pen::new("#112233", 1.0).dashed(4.0),
        );
        d.polyline(
            vec![(0.0, 1.0), (2.0, 3.0), (4.0, 5.0)],
            &Pen::new("#000000", 1.5),
            Some("series"),
        );
        d.rect((1.0, 2.0, 3.0, 4.0), Some(("#ff0000", 0.35)), None);
        d.dot(5.0, 5.0, 2.0, "#00ff00");
        d.text(
            10.0,
            20.0,
            &Type::new(9.0).bold().upright(),
            "a < b & \"c\" ΔP 张三",
        );
        d.text(10.0, 20.0, &Type::new(9.0), "  ");
        let svg = d.to_svg("class=\"x\"");
        let doc = roxmltree::Document::parse(&svg).unwrap();
        let root = doc.root_element();
        assert_eq!(root.tag_name().name(), "svg");
        assert_eq!(root.attribute("class"), Some("x"));
        let texts: Vec<&str> = root
            .descendants()
            .filter(|n| n.has_tag_name("text"))
            .filter_map(|n| n.text())
            .collect();
        assert_eq!(texts, ["a < b & \"c\" ΔP 张三"], "blank text is not drawn");
        assert_svg(
            &svg,
            &[
                "<polyline class=\"series\"",
                "stroke-dasharray=\"4 3\"",
                "fill-opacity=\"0.35\"",
                "rotate(-90 10.0 20.0)",
            ],
        );
    }

    #[test]
    fn colours_and_numbers() {
        assert_eq!(rgb("#1f77b4"), (0x1f, 0x77, 0xb4));
        assert_eq!(rgb("red"), (0, 0, 0));
        assert_eq!(num(1.50), "1.5");
        assert_eq!(num(-0.001), "0");
        assert_eq!(num(3.0), "3");
    }
}
