//! The plot model: an x–y plot of line series on two axes with units, with markers (vertical
//! lines with a label, horizontal reference lines, shaded x intervals) and a legend. It draws
//! itself into a [`Drawing`] of any size, which becomes SVG or a PDF page.
use crate::draw::{Anchor, Drawing, Pen, Type};

/// Line colours, in order.
pub const PALETTE: [&str; 8] = [
    "#1f77b4", "#d62728", "#2ca02c", "#ff7f0e", "#9467bd", "#8c564b", "#e377c2", "#17becf",
];

/// An axis: what it shows, in which unit, over which range.
#[derive(Clone, Debug, PartialEq)]
pub struct Axis {
    /// The quantity ("flow"), or quantity and unit together ("flow (L/min)") when `unit` is empty.
    pub label: String,
    pub unit: String,
    /// Data values are divided by this for the ticks (60 shows seconds as minutes).
    pub scale: f64,
    /// A fixed range in data units; otherwise the data's, rounded to ticks.
    pub range: Option<(f64, f64)>,
    /// Start at zero when the data's low end is nearer zero than its high end is to it.
    pub zero: bool,
}

impl Axis {
    pub fn new(label: &str, unit: &str) -> Axis {
        Axis {
            label: label.into(),
            unit: unit.into(),
            scale: 1.0,
            range: None,
            zero: true,
        }
    }

    /// Time from 0 to `end_s` seconds, shown in minutes up to four hours, else in hours.
    pub fn time(end_s: f64) -> Axis {
        let (unit, scale) = if end_s <= 4.0 * 3600.0 {
            ("min", 60.0)
        } else {
            ("h", 3600.0)
        };
        Axis {
            scale,
            range: Some((0.0, end_s.max(1.0))),
            ..Axis::new("time", unit)
        }
    }

    pub fn range(mut self, lo: f64, hi: f64) -> Axis {
        self.range = Some((lo, hi));
        self
    }

    /// Fit the data's range without reaching for zero.
    pub fn tight(mut self) -> Axis {
        self.zero = false;
        self
    }

    /// "label (unit)", or the label alone.
    pub fn title(&self) -> String {
        match (self.label.is_empty(), self.unit.is_empty()) {
            (_, true) => self.label.clone(),
            (true, false) => self.unit.clone(),
            _ => format!("{} ({})", self.label, self.unit),
        }
    }

    /// The drawn range and tick positions, in data units, for data spanning [lo, hi] and
    /// about `n` ticks.
    pub fn ticks(&self, lo: f64, hi: f64, n: usize) -> Ticks {
        let (mut lo, mut hi) = self.range.unwrap_or((lo, hi));
        if !(lo.is_finite() && hi.is_finite()) || lo > hi {
            (lo, hi) = (0.0, 1.0);
        }
        if self.range.is_none() && self.zero && lo > 0.0 && lo < 0.5 * hi {
            lo = 0.0;
        }
        let (a, b) = (lo / self.scale, hi / self.scale);
        let (step, a2, b2) = nice(a, b, n);
        let (a2, b2) = if self.range.is_some() {
            (a, b)
        } else {
            (a2, b2)
        };
        let first = (a2 / step - 1e-9).ceil() * step;
        let mut at = Vec::new();
        let mut v = first;
        while v <= b2 + step * 1e-6 && at.len() < 100 {
            at.push(v * self.scale);
            v += step;
        }
        Ticks {
            lo: a2 * self.scale,
            hi: b2 * self.scale,
            at,
            step,
            scale: self.scale,
        }
    }
}

/// Tick positions and their labels.
#[derive(Clone, Debug, PartialEq)]
pub struct Ticks {
    pub lo: f64,
    pub hi: f64,
    pub at: Vec<f64>,
    /// Step in shown units.
    pub step: f64,
    scale: f64,
}

impl Ticks {
    /// The label of a tick at data value `v`: as many decimals as the step needs.
    pub fn label(&self, v: f64) -> String {
        let v = v / self.scale;
        let a = v.abs();
        if a != 0.0 && !(1e-3..1e6).contains(&a) {
            return format!("{v:.1e}");
        }
        let mut decimals = 0;
        while decimals < 6
            && ((self.step * 10f64.powi(decimals)).round() - self.step * 10f64.powi(decimals)).abs()
                > 1e-6
        {
            decimals += 1;
        }
        let s = format!("{v:.*}", decimals as usize);
        if s.trim_start_matches('-')
            .chars()
            .all(|c| c == '0' || c == '.')
        {
            "0".into()
        } else {
            s
        }
    }
}

/// Vertical grid lines at the ticks from `top` to `bottom`, labelled below.
pub(crate) fn x_grid(
    d: &mut Drawing,
    t: &Ticks,
    sx: impl Fn(f64) -> f64,
    (top, bottom): (f64, f64),
    font: f64,
) {
    let grid = Pen::new("#dddddd", 0.5);
    let ty = Type::new(font * 0.9)
        .color("#444444")
        .anchor(Anchor::Middle);
    for &v in &t.at {
        let px = sx(v);
        d.line((px, top), (px, bottom), &grid);
        d.text(px, bottom + font * 1.1, &ty, &t.label(v));
    }
}

/// The `Mark::VLine`s of `marks` within the ticks' range, from `top` to `bottom`, each labelled
/// at `label_y` just right of its line.
pub(crate) fn v_marks(
    d: &mut Drawing,
    marks: &[Mark],
    t: &Ticks,
    sx: impl Fn(f64) -> f64,
    (top, bottom): (f64, f64),
    label_y: f64,
    font: f64,
) {
    for m in marks {
        let Mark::VLine {
            x,
            label,
            color,
            dashed,
        } = m
        else {
            continue;
        };
        if !x.is_finite() || *x < t.lo || *x > t.hi {
            continue;
        }
        let px = sx(*x);
        let pen = if *dashed {
            Pen::new(color, 0.6).dashed(4.0)
        } else {
            Pen::new(color, 0.9)
        };
        d.line((px, top), (px, bottom), &pen);
        let ty = Type::new(font * 0.8).bold().color(color);
        d.text(px + font * 0.15, label_y, &ty, label);
    }
}

/// `v` where `wanted`, else nothing: the room a part of a figure takes.
fn room(wanted: bool, v: f64) -> f64 {
    if wanted { v } else { 0.0 }
}

/// A round step (1, 2, 5, or 25 and its tens, times a power of ten) giving about `n` intervals over [lo, hi],
/// and the range widened to whole steps.
fn nice(lo: f64, hi: f64, n: usize) -> (f64, f64, f64) {
    let (lo, hi) = if (hi - lo).abs() <= 1e-12 * lo.abs().max(1e-12) {
        let pad = if lo.abs() > 1e-9 { lo.abs() * 0.1 } else { 1.0 };
        (lo - pad, hi + pad)
    } else {
        (lo, hi)
    };
    let raw = (hi - lo) / n.max(1) as f64;
    let mag = 10f64.powf(raw.log10().floor());
    // 2.5 only where it needs no extra decimal (25, 250, ...).
    let step = [1.0, 2.0, 2.5, 5.0, 10.0]
        .iter()
        .filter(|&&m| m != 2.5 || mag >= 10.0)
        .map(|m| m * mag)
        .find(|s| *s >= raw * (1.0 - 1e-9))
        .unwrap_or(10.0 * mag);
    (step, (lo / step).floor() * step, (hi / step).ceil() * step)
}

/// A line series. Points with a non-finite coordinate break the line (a gap in the data); a
/// stretch of one point is drawn as a dot.
#[derive(Clone, Debug, PartialEq)]
pub struct Series {
    pub name: String,
    pub points: Vec<(f64, f64)>,
    pub dashed: bool,
    /// `#rrggbb`; the palette's next colour when `None`.
    pub color: Option<String>,
}

impl Series {
    pub fn new(name: impl Into<String>, points: Vec<(f64, f64)>) -> Self {
        Series {
            name: name.into(),
            points,
            dashed: false,
            color: None,
        }
    }
    pub fn dashed(mut self) -> Self {
        self.dashed = true;
        self
    }
    pub fn color(mut self, c: &str) -> Self {
        self.color = Some(c.into());
        self
    }
}

/// An annotation on a plot.
#[derive(Clone, Debug, PartialEq)]
pub enum Mark {
    /// A horizontal reference line (a limit, a grade boundary), labelled at its right end.
    HLine {
        y: f64,
        label: String,
        color: String,
    },
    /// A vertical line at x (an event, an action), its label at the top.
    VLine {
        x: f64,
        label: String,
        color: String,
        dashed: bool,
    },
    /// A shaded interval of x (an alarm's duration).
    Band { x0: f64, x1: f64, color: String },
}

impl Mark {
    /// A solid vertical line labelled at the top (an action).
    pub fn vline(x: f64, label: &str, color: &str) -> Mark {
        Mark::VLine {
            x,
            label: label.into(),
            color: color.into(),
            dashed: false,
        }
    }
    /// An unlabelled dashed vertical line (an event).
    pub fn event(x: f64, color: &str) -> Mark {
        Mark::VLine {
            x,
            label: String::new(),
            color: color.into(),
            dashed: true,
        }
    }
    /// A shaded interval.
    pub fn band(x0: f64, x1: f64, color: &str) -> Mark {
        Mark::Band {
            x0,
            x1,
            color: color.into(),
        }
    }
}

/// Where the legend goes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Legend {
    /// A column right of the plot.
    Right,
    /// A row above it.
    Top,
}

/// An x–y plot.
#[derive(Clone, Debug, PartialEq)]
pub struct Plot {
    /// Drawn above the plot; none when empty.
    pub title: String,
    pub x: Axis,
    pub y: Axis,
    /// Drawn in order, coloured from [`PALETTE`] unless they name a colour.
    pub series: Vec<Series>,
    /// Bands go behind the grid, lines over it.
    pub marks: Vec<Mark>,
    pub legend: Legend,
}

/// A box in a drawing: left, top, width, height.
pub type Frame = (f64, f64, f64, f64);

impl Plot {
    /// A plot with axis labels that carry their units, "flow (L/min)".
    pub fn new(title: &str, x_label: &str, y_label: &str) -> Self {
        Plot::with_axes(title, Axis::new(x_label, ""), Axis::new(y_label, ""))
    }

    pub fn with_axes(title: &str, x: Axis, y: Axis) -> Self {
        Plot {
            title: title.into(),
            x,
            y,
            series: Vec::new(),
            marks: Vec::new(),
            legend: Legend::Right,
        }
    }

    pub fn with(mut self, s: Series) -> Self {
        self.series.push(s);
        self
    }

    pub fn hline(mut self, y: f64, label: &str) -> Self {
        self.marks.push(Mark::HLine {
            y,
            label: label.into(),
            color: "#bb0000".into(),
        });
        self
    }

    pub fn mark(mut self, m: Mark) -> Self {
        self.marks.push(m);
        self
    }

    fn color(&self, i: usize) -> String {
        self.series[i]
            .color
            .clone()
            .unwrap_or_else(|| PALETTE[i % PALETTE.len()].to_string())
    }

    /// The plot as a standalone SVG element of `w` by `h` pixels.
    pub fn to_svg(&self, w: f64, h: f64, attrs: &str) -> String {
        let mut d = Drawing::new(w, h);
        self.draw(&mut d, (0.0, 0.0, w, h), 11.0);
        d.to_svg(attrs)
    }

    /// Draw into `frame` of `d` with text of `font` points.
    pub fn draw(&self, d: &mut Drawing, frame: Frame, font: f64) {
        let (fx, fy, fw, fh) = frame;
        let small = Type::new(font * 0.9).color("#444444");
        // Data ranges.
        let finite = |p: &&(f64, f64)| p.0.is_finite() && p.1.is_finite();
        let pts = || {
            self.series
                .iter()
                .flat_map(|s| s.points.iter())
                .filter(finite)
        };
        let (mut x0, mut x1, mut y0, mut y1) = (f64::MAX, f64::MIN, f64::MAX, f64::MIN);
        for &(x, y) in pts() {
            (x0, x1, y0, y1) = (x0.min(x), x1.max(x), y0.min(y), y1.max(y));
        }
        for m in &self.marks {
            if let Mark::HLine { y, .. } = m
                && y.is_finite()
            {
                (y0, y1) = (y0.min(*y), y1.max(*y));
            }
        }
        if x0 > x1 {
            (x0, x1) = (0.0, 1.0);
        }
        if y0 > y1 {
            (y0, y1) = (0.0, 1.0);
        }
        // Room for the title, legend and axis titles.
        let mut top = fy + font * 0.5;
        if !self.title.is_empty() {
            top += font * 1.5;
        }
        let names: Vec<&str> = self.series.iter().map(|s| s.name.as_str()).collect();
        let legend_w = names
            .iter()
            .map(|n| 1.15 * small.width(n) + font * 2.8)
            .fold(0.0, f64::max);
        if self.legend == Legend::Top && !names.is_empty() {
            top += font * 1.4;
        }
        let side = self.legend == Legend::Right && !names.is_empty();
        let right = fx + fw - room(side, legend_w + font) - room(!side, font * 0.8);
        let bottom = fy + fh - font * 1.4 - room(!self.x.title().is_empty(), font * 1.3);
        let ph = (bottom - top).max(1.0);
        let yt = self
            .y
            .ticks(y0, y1, ((ph / (font * 3.2)) as usize).clamp(2, 8));
        let tick_w = yt
            .at
            .iter()
            .map(|v| small.width(&yt.label(*v)))
            .fold(0.0, f64::max);
        // A gutter of at least four characters, so that stacked plots of one run line up.
        let left = fx
            + (tick_w + font * 0.6).max(font * 4.0)
            + room(!self.y.title().is_empty(), font * 1.5);
        let pw = (right - left).max(1.0);
        let xt = self
            .x
            .ticks(x0, x1, ((pw / (font * 7.0)) as usize).clamp(2, 10));
        let sx = |x: f64| left + (x - xt.lo) / (xt.hi - xt.lo) * pw;
        let sy = |y: f64| bottom - (y - yt.lo) / (yt.hi - yt.lo) * ph;
        let clamp_x = |x: f64| sx(x).clamp(left, right);

        if !self.title.is_empty() {
            let t = Type::new(font * 1.15).bold().anchor(Anchor::Middle);
            d.text(left + pw / 2.0, fy + font * 1.4, &t, &self.title);
        }
        // Shaded bands behind everything.
        for m in &self.marks {
            if let Mark::Band { x0, x1, color } = m {
                let (a, b) = (clamp_x(*x0), clamp_x(*x1));
                d.rect((a, top, (b - a).max(1.0), ph), Some((color, 0.35)), None);
            }
        }
        // Grid, ticks and their labels.
        let grid = Pen::new("#dddddd", 0.5);
        for &v in &yt.at {
            let py = sy(v);
            d.line((left, py), (right, py), &grid);
            d.text(
                left - font * 0.3,
                py + font * 0.3,
                &small.clone().anchor(Anchor::End),
                &yt.label(v),
            );
        }
        x_grid(d, &xt, sx, (top, bottom), font);
        d.rect((left, top, pw, ph), None, Some(&Pen::new("#888888", 0.6)));
        let axis_t = Type::new(font).anchor(Anchor::Middle);
        if !self.x.title().is_empty() {
            d.text(
                left + pw / 2.0,
                fy + fh - font * 0.4,
                &axis_t,
                &self.x.title(),
            );
        }
        if !self.y.title().is_empty() {
            d.text(
                fx + font,
                top + ph / 2.0,
                &axis_t.clone().upright(),
                &self.y.title(),
            );
        }
        // Reference lines, labelled inside the plot at the right end; labels of lines close
        // together are stacked upwards so they stay legible.
        let mut refs: Vec<(f64, &str, &str)> = self
            .marks
            .iter()
            .filter_map(|m| match m {
                Mark::HLine { y, label, color } if y.is_finite() => {
                    Some((sy(*y), label.as_str(), color.as_str()))
                }
                _ => None,
            })
            .collect();
        refs.sort_by(|a, b| b.0.total_cmp(&a.0));
        let mut last_label = f64::INFINITY;
        for (py, label, color) in refs {
            let ly = (py - font * 0.3).min(last_label - font * 1.1);
            last_label = ly;
            d.line((left, py), (right, py), &Pen::new(color, 0.8).dashed(3.0));
            d.text(
                right - font * 0.4,
                ly,
                &small.clone().color(color).anchor(Anchor::End),
                label,
            );
        }
        // Vertical markers.
        v_marks(
            d,
            &self.marks,
            &xt,
            sx,
            (top, bottom),
            top + font * 0.9,
            font,
        );
        // The data.
        for (i, s) in self.series.iter().enumerate() {
            let color = self.color(i);
            let mut pen = Pen::new(&color, if font < 10.0 { 1.1 } else { 1.6 });
            if s.dashed {
                pen = pen.dashed(5.0);
            }
            for run in s.points.split(|p| !(p.0.is_finite() && p.1.is_finite())) {
                let line: Vec<(f64, f64)> = run.iter().map(|&(x, y)| (sx(x), sy(y))).collect();
                match line.len() {
                    0 => {}
                    1 => d.dot(line[0].0, line[0].1, font * 0.3, &color),
                    _ => d.polyline(line, &pen, Some("series")),
                }
            }
        }
        // The legend.
        for (i, name) in names.iter().enumerate() {
            let color = self.color(i);
            let mut pen = Pen::new(&color, 2.0);
            if self.series[i].dashed {
                pen = pen.dashed(4.0);
            }
            let (lx, ly) = match self.legend {
                Legend::Right => (right + font, top + font * 0.6 + i as f64 * font * 1.5),
                Legend::Top => {
                    let before: f64 = names[..i].iter().map(|n| small.width(n) + font * 3.0).sum();
                    (left + before, top - font * 0.9)
                }
            };
            d.line((lx, ly), (lx + font * 1.6, ly), &pen);
            d.text(
                lx + font * 2.0,
                ly + font * 0.35,
                &small.clone().color("#222222"),
                name,
            );
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::draw::Shape;

    #[test]
    fn ticks_cover_the_range_with_round_steps() {
        let a = Axis::new("q", "L/min");
        let t = a.ticks(0.3, 6.8, 6);
        assert!(t.lo <= 0.3 && t.hi >= 6.8, "{t:?}");
        assert!((4..=10).contains(&t.at.len()), "{t:?}");
        assert_eq!(t.lo, 0.0, "starts at zero when near it");
        assert_eq!(t.label(2.0), "2");
        let t = a.clone().tight().ticks(36.2, 37.9, 4);
        assert_eq!(t.step, 0.5);
        assert_eq!(t.label(36.5), "36.5");
        let t = a.ticks(5.0, 5.0, 6);
        assert!(t.at.len() >= 2);
        assert_eq!(a.title(), "q (L/min)");
        assert_eq!(Axis::new("flow (L/min)", "").title(), "flow (L/min)");
    }

    #[test]
    fn time_axis_shows_minutes_or_hours() {
        let a = Axis::time(900.0);
        assert_eq!(a.title(), "time (min)");
        let t = a.ticks(0.0, 900.0, 6);
        assert_eq!((t.lo, t.hi), (0.0, 900.0));
        assert_eq!(t.label(300.0), "5");
        let a = Axis::time(48.0 * 3600.0);
        assert_eq!(a.unit, "h");
        assert_eq!(a.ticks(0.0, 1.0, 6).label(7200.0), "2");
    }

    #[test]
    fn svg_is_well_formed_and_escaped() {
        let p = Plot::new("a < b & c", "x (L/min)", "y \"mmHg\"")
            .with(Series::new(
                "s1",
                vec![(0.0, 1.0), (1.0, 3.0), (2.0, f64::NAN)],
            ))
            .with(Series::new("one", vec![(0.5, 2.0)]).dashed())
            .hline(2.5, "limit");
        let svg = p.to_svg(720.0, 360.0, "");
        crate::draw::assert_svg(
            &svg,
            &[
                "a &lt; b &amp; c",
                "y &quot;mmHg&quot;",
                "<polyline",
                "<circle",
            ],
        );
    }

    #[test]
    fn gaps_break_lines_and_lone_points_are_dots() {
        let p = Plot::new("t", "x", "y")
            .with(Series::new(
                "s",
                vec![
                    (0.0, 1.0),
                    (1.0, 2.0),
                    (2.0, f64::NAN),
                    (3.0, 2.0),
                    (4.0, 1.0),
                    (5.0, f64::NAN),
                    (6.0, 3.0),
                ],
            ))
            .hline(2.5, "limit")
            .mark(Mark::vline(3.0, "7", "#1f77ff"))
            .mark(Mark::band(1.0, 2.0, "#d62728"));
        let mut d = Drawing::new(400.0, 200.0);
        p.draw(&mut d, (0.0, 0.0, 400.0, 200.0), 10.0);
        let series = d
            .shapes
            .iter()
            .filter(|s| {
                matches!(
                    s,
                    Shape::Line {
                        class: Some("series"),
                        ..
                    }
                )
            })
            .count();
        assert_eq!(series, 2);
        assert_eq!(
            d.shapes
                .iter()
                .filter(|s| matches!(s, Shape::Dot { .. }))
                .count(),
            1
        );
        let svg = p.to_svg(400.0, 200.0, "");
        roxmltree::Document::parse(&svg).unwrap();
        assert!(svg.contains(">limit</text>") && svg.contains(">7</text>"));
        // Everything inside the drawing.
        for s in &d.shapes {
            if let Shape::Line { points, .. } = s {
                assert!(
                    points
                        .iter()
                        .all(|&(x, y)| (0.0..=400.0).contains(&x) && (0.0..=200.0).contains(&y))
                );
            }
        }
        // An empty plot still draws.
        roxmltree::Document::parse(&Plot::new("e", "x", "y").to_svg(300.0, 150.0, "")).unwrap();
    }
}
