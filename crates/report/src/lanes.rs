//! A lane chart: one row per thing (an alarm, an expected action), each with bars over x
//! intervals, point marks and a note at the right; vertical markers across all rows; an x axis
//! with ticks and its unit below.
use crate::draw::{Anchor, Drawing, Pen, Type};
use crate::plot::{Axis, Frame, Mark, v_marks, x_grid};

/// A bar over [x0, x1].
#[derive(Clone, Debug, PartialEq)]
pub struct Bar {
    pub x0: f64,
    pub x1: f64,
    pub color: String,
    /// Fill opacity (a band behind other marks is pale).
    pub opacity: f64,
}

/// The shape of a point mark.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Shape {
    Square,
    Cross,
}

/// A point mark at x.
#[derive(Clone, Debug, PartialEq)]
pub struct Point {
    pub x: f64,
    pub shape: Shape,
    pub color: String,
}

/// One row.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Lane {
    pub label: String,
    pub bars: Vec<Bar>,
    pub points: Vec<Point>,
    /// Text right of the row, in a colour.
    pub note: Option<(String, String)>,
}

/// The chart.
#[derive(Clone, Debug, PartialEq)]
pub struct Lanes {
    pub x: Axis,
    pub lanes: Vec<Lane>,
    /// Vertical markers across every row (only `Mark::VLine` is drawn).
    pub marks: Vec<Mark>,
    /// What the chart says when it has no rows.
    pub empty: String,
}

impl Lanes {
    pub fn new(x: Axis) -> Lanes {
        Lanes {
            x,
            lanes: Vec::new(),
            marks: Vec::new(),
            empty: String::new(),
        }
    }

    fn row(font: f64) -> f64 {
        font * 1.8
    }

    /// The height the chart needs with text of `font` points.
    pub fn height(&self, font: f64) -> f64 {
        if self.lanes.is_empty() {
            font * 2.0
        } else {
            font * 1.2 + self.lanes.len() as f64 * Self::row(font) + font * 2.8
        }
    }

    /// Draw into `frame` of `d` (its height should be [`Lanes::height`]).
    pub fn draw(&self, d: &mut Drawing, frame: Frame, font: f64) {
        let (fx, fy, fw, _) = frame;
        let label_t = Type::new(font * 0.9).anchor(Anchor::End);
        if self.lanes.is_empty() {
            d.text(
                fx,
                fy + font * 1.2,
                &Type::new(font).color("#444444"),
                &self.empty,
            );
            return;
        }
        let row = Self::row(font);
        // Widths measured in Noto Sans, with room for a browser's wider fallback font.
        let label_w = 1.15
            * self
                .lanes
                .iter()
                .map(|l| label_t.width(&l.label))
                .fold(0.0, f64::max);
        let note_t = Type::new(font * 0.9).bold();
        let note_w = self
            .lanes
            .iter()
            .filter_map(|l| l.note.as_ref())
            .map(|(t, _)| 1.15 * note_t.width(t) + font)
            .fold(0.0, f64::max);
        let left = fx + label_w + font * 0.6;
        let right = fx + fw - note_w - font * 0.5;
        let pw = (right - left).max(1.0);
        let top = fy + font * 1.2;
        let bottom = top + self.lanes.len() as f64 * row;
        let (mut lo, mut hi) = (f64::MAX, f64::MIN);
        for l in &self.lanes {
            for b in &l.bars {
                (lo, hi) = (lo.min(b.x0), hi.max(b.x1));
            }
            for p in &l.points {
                (lo, hi) = (lo.min(p.x), hi.max(p.x));
            }
        }
        let ticks = self
            .x
            .ticks(lo.min(0.0), hi, ((pw / (font * 7.0)) as usize).clamp(2, 10));
        let sx = |x: f64| (left + (x - ticks.lo) / (ticks.hi - ticks.lo) * pw).clamp(left, right);
        x_grid(d, &ticks, sx, (top, bottom), font);
        d.text(
            left + pw / 2.0,
            bottom + font * 2.4,
            &Type::new(font * 0.9).anchor(Anchor::Middle),
            &self.x.title(),
        );
        for (i, l) in self.lanes.iter().enumerate() {
            let y = top + i as f64 * row;
            d.text(left - font * 0.4, y + row * 0.65, &label_t, &l.label);
            d.line(
                (left, y + row / 2.0),
                (right, y + row / 2.0),
                &Pen::new("#e4e4e4", 0.4),
            );
            for b in &l.bars {
                let (a, z) = (sx(b.x0), sx(b.x1));
                d.rect(
                    (a, y + row * 0.15, (z - a).max(1.5), row * 0.7),
                    Some((&b.color, b.opacity)),
                    None,
                );
            }
            for p in &l.points {
                let px = sx(p.x);
                match p.shape {
                    Shape::Square => d.rect(
                        (px - row * 0.17, y + row * 0.25, row * 0.34, row * 0.5),
                        Some((&p.color, 1.0)),
                        None,
                    ),
                    Shape::Cross => {
                        let pen = Pen::new(&p.color, 1.5);
                        let r = row * 0.22;
                        d.line((px - r, y + row * 0.2), (px + r, y + row * 0.8), &pen);
                        d.line((px - r, y + row * 0.8), (px + r, y + row * 0.2), &pen);
                    }
                }
            }
            if let Some((t, c)) = &l.note {
                d.text(
                    right + font * 0.8,
                    y + row * 0.65,
                    &note_t.clone().color(c),
                    t,
                );
            }
        }
        d.rect(
            (left, top, pw, bottom - top),
            None,
            Some(&Pen::new("#999999", 0.5)),
        );
        v_marks(
            d,
            &self.marks,
            &ticks,
            sx,
            (top, bottom),
            top - font * 0.2,
            font,
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lanes_draw_rows_bars_and_notes() {
        let mut c = Lanes::new(Axis::new("delay", "s"));
        c.lanes.push(Lane {
            label: "suction".into(),
            bars: vec![Bar {
                x0: 10.0,
                x1: 40.0,
                color: "#d62728".into(),
                opacity: 1.0,
            }],
            points: vec![Point {
                x: 20.0,
                shape: Shape::Square,
                color: "#2e8b57".into(),
            }],
            note: Some(("20 s".into(), "#2e8b57".into())),
        });
        c.lanes.push(Lane {
            label: "missed one".into(),
            points: vec![Point {
                x: 60.0,
                shape: Shape::Cross,
                color: "#d62728".into(),
            }],
            ..Default::default()
        });
        c.marks.push(Mark::vline(15.0, "1", "#1f77ff"));
        let h = c.height(11.0);
        let mut d = Drawing::new(600.0, h);
        c.draw(&mut d, (0.0, 0.0, 600.0, h), 11.0);
        let svg = d.to_svg("class=\"alarms\"");
        crate::draw::assert_svg(
            &svg,
            &[
                ">suction</text>",
                ">missed one</text>",
                ">20 s</text>",
                ">1</text>",
                ">delay (s)</text>",
            ],
        );
        // The bar, the square and the cross are drawn, not only the words.
        let filled = |colour: &str| {
            d.shapes.iter().any(|s| {
                matches!(s, crate::draw::Shape::Rect { fill: Some((c, _)), .. } if c.as_str() == colour)
            })
        };
        assert!(filled("#d62728"), "the bar");
        assert!(filled("#2e8b57"), "the square point");
        let red_lines = d
            .shapes
            .iter()
            .filter(|s| matches!(s, crate::draw::Shape::Line { pen, .. } if pen.color == "#d62728"))
            .count();
        assert!(red_lines >= 2, "the cross: {red_lines} red lines");
        let mut empty = Lanes::new(Axis::new("t", "s"));
        empty.empty = "No alarm was signalled.".into();
        let mut d = Drawing::new(600.0, empty.height(11.0));
        empty.draw(&mut d, (0.0, 0.0, 600.0, 20.0), 11.0);
        assert!(d.to_svg("").contains("No alarm was signalled."));
    }
}
