//! The debrief: one run turned into a self-contained HTML page (inline SVG, no scripts, no
//! external files) and a PDF with the same pictures as vector graphics.
//!
//! What it shows: the score and verdict; trend plots of the scenario's key signals with the
//! trainee's actions (numbered blue lines), the scenario's events (grey) and the alarms (red,
//! orange, yellow bands by priority) marked on them; a lane chart of every alarm; the expected
//! actions against what was done and how fast (window bars); and what to learn.
//!
//! Both renderers draw through one [`Canvas`] trait, so the HTML and the PDF cannot disagree
//! about what the plots contain.
use crate::names;
use crate::pdf::{self, Pdf, Rgb};
use crate::record::Record;
use crate::scenario::Scenario;
use crate::score::{self, Score, Status};
use std::fmt::Write as _;
use std::path::{Path, PathBuf};

/// Colours of the series in a panel, in order.
const SERIES: &[&str] = &["#1f5fbf", "#c0392b", "#2e8b57", "#8e44ad"];
const ACTION: &str = "#1f77ff";
const EVENT: &str = "#777777";

fn priority_color(p: &str) -> &'static str {
    match p {
        "high" => "#d62728",
        "medium" => "#ff9900",
        _ => "#e6c700",
    }
}

/// Where text is anchored.
#[derive(Clone, Copy, PartialEq, Eq)]
pub enum Anchor {
    Start,
    Middle,
    End,
}

/// What both renderers can draw (coordinates from the top-left, y down).
#[allow(clippy::too_many_arguments)] // drawing primitives: coordinates, size and style
pub trait Canvas {
    fn line(&mut self, x1: f64, y1: f64, x2: f64, y2: f64, width: f64, color: &str, dash: bool);
    fn polyline(&mut self, pts: &[Option<(f64, f64)>], width: f64, color: &str);
    fn rect(&mut self, x: f64, y: f64, w: f64, h: f64, fill: Option<&str>, stroke: Option<&str>);
    fn text(&mut self, x: f64, y: f64, size: f64, bold: bool, color: &str, anchor: Anchor, s: &str);
}

/// SVG elements appended to a string.
pub struct Svg(pub String);

fn esc(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

#[allow(clippy::too_many_arguments)]
impl Canvas for Svg {
    fn line(&mut self, x1: f64, y1: f64, x2: f64, y2: f64, width: f64, color: &str, dash: bool) {
        let _ = writeln!(
            self.0,
            r#"<line x1="{x1:.1}" y1="{y1:.1}" x2="{x2:.1}" y2="{y2:.1}" stroke="{color}" stroke-width="{width}"{}/>"#,
            if dash {
                r#" stroke-dasharray="4 3""#
            } else {
                ""
            }
        );
    }
    fn polyline(&mut self, pts: &[Option<(f64, f64)>], width: f64, color: &str) {
        for run in pts.split(|p| p.is_none()) {
            let coords: Vec<String> = run
                .iter()
                .flatten()
                .map(|(x, y)| format!("{x:.1},{y:.1}"))
                .collect();
            if coords.is_empty() {
                continue;
            }
            let _ = writeln!(
                self.0,
                r#"<polyline class="series" fill="none" stroke="{color}" stroke-width="{width}" points="{}"/>"#,
                coords.join(" ")
            );
        }
    }
    fn rect(&mut self, x: f64, y: f64, w: f64, h: f64, fill: Option<&str>, stroke: Option<&str>) {
        let _ = writeln!(
            self.0,
            r#"<rect x="{x:.1}" y="{y:.1}" width="{:.1}" height="{:.1}" fill="{}" stroke="{}"{}/>"#,
            w.max(0.0),
            h.max(0.0),
            fill.unwrap_or("none"),
            stroke.unwrap_or("none"),
            if fill.is_some() && stroke.is_none() {
                r#" fill-opacity="0.35""#
            } else {
                ""
            }
        );
    }
    fn text(
        &mut self,
        x: f64,
        y: f64,
        size: f64,
        bold: bool,
        color: &str,
        anchor: Anchor,
        s: &str,
    ) {
        let a = match anchor {
            Anchor::Start => "start",
            Anchor::Middle => "middle",
            Anchor::End => "end",
        };
        let _ = writeln!(
            self.0,
            r#"<text x="{x:.1}" y="{y:.1}" font-size="{size}" fill="{color}" text-anchor="{a}"{}>{}</text>"#,
            if bold { r#" font-weight="bold""# } else { "" },
            esc(s)
        );
    }
}

#[allow(clippy::too_many_arguments)]
impl Canvas for Pdf {
    fn line(&mut self, x1: f64, y1: f64, x2: f64, y2: f64, width: f64, color: &str, dash: bool) {
        Pdf::line(
            self,
            x1,
            y1,
            x2,
            y2,
            width,
            Rgb::hex(color),
            dash.then_some(2.5),
        );
    }
    fn polyline(&mut self, pts: &[Option<(f64, f64)>], width: f64, color: &str) {
        Pdf::polyline(self, pts, width, Rgb::hex(color));
    }
    fn rect(&mut self, x: f64, y: f64, w: f64, h: f64, fill: Option<&str>, stroke: Option<&str>) {
        // PDF 1.4 without transparency groups: lighten fills instead of blending them.
        let fill = fill.map(|c| {
            let Rgb(r, g, b) = Rgb::hex(c);
            if stroke.is_none() {
                Rgb(
                    1.0 - 0.4 * (1.0 - r),
                    1.0 - 0.4 * (1.0 - g),
                    1.0 - 0.4 * (1.0 - b),
                )
            } else {
                Rgb(r, g, b)
            }
        });
        Pdf::rect(self, x, y, w, h, fill, stroke.map(Rgb::hex));
    }
    fn text(
        &mut self,
        x: f64,
        y: f64,
        size: f64,
        bold: bool,
        color: &str,
        anchor: Anchor,
        s: &str,
    ) {
        let w = pdf::text_width(s, size, bold);
        let x = match anchor {
            Anchor::Start => x,
            Anchor::Middle => x - w / 2.0,
            Anchor::End => x - w,
        };
        Pdf::text(self, x, y, size, bold, Rgb::hex(color), s);
    }
}

/// A debrief's content, computed once for both renderers.
pub struct Debrief {
    pub scenario: Scenario,
    pub record: Record,
    pub score: Score,
}

/// An alarm's signalled interval.
#[derive(Clone, Debug)]
pub struct Span {
    pub alarm: String,
    pub priority: String,
    pub text: String,
    pub t0: f64,
    pub t1: f64,
}

impl Debrief {
    /// Re-read the scenario the run carries and score the run.
    pub fn new(record: Record) -> Result<Debrief, String> {
        let scenario = Scenario::parse(&record.scenario_text)
            .map_err(|e| format!("the run's scenario does not parse any more: {e}"))?;
        let score = score::score(&scenario, &record);
        Ok(Debrief {
            scenario,
            record,
            score,
        })
    }

    pub fn load(run: &Path) -> Result<Debrief, String> {
        let text =
            input::read::read_to_string(run, input::read::RECORD).map_err(|e| e.to_string())?;
        Debrief::new(Record::from_json(&text).map_err(|e| format!("{}: {e}", run.display()))?)
    }

    fn end(&self) -> f64 {
        self.record.ended_s.max(1.0)
    }

    /// Alarm intervals (raised to cleared, or to the end).
    pub fn spans(&self) -> Vec<Span> {
        let mut open: Vec<Span> = Vec::new();
        let mut done = Vec::new();
        for a in &self.record.alarms {
            if a.raised {
                open.push(Span {
                    alarm: a.alarm.clone(),
                    priority: a.priority.clone(),
                    text: a.text.clone(),
                    t0: a.t_s,
                    t1: self.end(),
                });
            } else if let Some(i) = open.iter().position(|s| s.alarm == a.alarm) {
                let mut s = open.remove(i);
                s.t1 = a.t_s;
                done.push(s);
            }
        }
        done.extend(open);
        done.sort_by(|a, b| a.t0.total_cmp(&b.t0));
        done
    }

    /// Trainee actions as (number, time, label).
    pub fn numbered_actions(&self) -> Vec<(usize, f64, String, bool)> {
        self.record
            .actions
            .iter()
            .enumerate()
            .map(|(i, a)| {
                let label = if a.value.is_empty() {
                    a.action.clone()
                } else {
                    format!("{} {}", a.action, a.value)
                };
                (i + 1, a.t_s, label, a.accepted)
            })
            .collect()
    }

    /// Draw one trend panel into a box.
    #[allow(clippy::too_many_arguments)] // a box (x, y, w, h), the panel and the font size
    pub fn draw_panel<C: Canvas>(
        &self,
        c: &mut C,
        panel: &[&str],
        x: f64,
        y: f64,
        w: f64,
        h: f64,
        font: f64,
    ) {
        let left = 48.0 * font / 10.0;
        let (px, pw) = (x + left, w - left - 8.0);
        let (py, ph) = (y + 14.0 * font / 10.0, h - 30.0 * font / 10.0);
        let end = self.end();
        let series: Vec<(&names::Signal, Vec<(f64, f64)>)> = panel
            .iter()
            .filter_map(|n| names::signal(n))
            .map(|s| (s, self.record.series(s.name)))
            .collect();
        let (mut lo, mut hi) = (f64::INFINITY, f64::NEG_INFINITY);
        for (_, pts) in &series {
            for &(_, v) in pts {
                lo = lo.min(v);
                hi = hi.max(v);
            }
        }
        if !lo.is_finite() {
            (lo, hi) = (0.0, 1.0);
        }
        let (lo, hi, step) = nice_range(lo, hi);
        let tx = |t: f64| px + pw * (t / end).clamp(0.0, 1.0);
        let vy = |v: f64| py + ph * (1.0 - ((v - lo) / (hi - lo)).clamp(0.0, 1.0));
        // Title and legend.
        let mut lx = px;
        for (k, (s, _)) in series.iter().enumerate() {
            let color = SERIES[k % SERIES.len()];
            let label = format!("{} ({})", s.label, s.unit);
            c.rect(
                lx,
                y + 4.0 * font / 10.0,
                10.0 * font / 10.0,
                3.0 * font / 10.0,
                Some(color),
                Some(color),
            );
            c.text(
                lx + 13.0 * font / 10.0,
                y + 9.0 * font / 10.0,
                font,
                true,
                "#222222",
                Anchor::Start,
                &label,
            );
            lx += 13.0 * font / 10.0 + pdf::text_width(&label, font, true) + 14.0;
        }
        // Alarm bands behind everything.
        for s in self.spans() {
            c.rect(
                tx(s.t0),
                py,
                (tx(s.t1) - tx(s.t0)).max(1.0),
                ph,
                Some(priority_color(&s.priority)),
                None,
            );
        }
        c.rect(px, py, pw, ph, None, Some("#999999"));
        // Grid and y labels.
        let mut v = lo;
        while v <= hi + step * 0.01 {
            let yy = vy(v);
            c.line(px, yy, px + pw, yy, 0.3, "#dddddd", false);
            c.text(
                px - 3.0,
                yy + font * 0.35,
                font * 0.85,
                false,
                "#444444",
                Anchor::End,
                &fmt_tick(v, step),
            );
            v += step;
        }
        // Time axis.
        let (tstep, unit, div) = time_ticks(end);
        let mut t = 0.0;
        while t <= end + 1e-9 {
            let xx = tx(t);
            c.line(xx, py + ph, xx, py + ph + 3.0, 0.5, "#666666", false);
            c.text(
                xx,
                py + ph + 3.0 + font,
                font * 0.85,
                false,
                "#444444",
                Anchor::Middle,
                &fmt_tick(t / div, tstep / div),
            );
            t += tstep;
        }
        c.text(
            px - 3.0,
            py + ph + 3.0 + font,
            font * 0.85,
            false,
            "#444444",
            Anchor::End,
            unit,
        );
        // Events and actions.
        for hpn in self
            .record
            .happenings
            .iter()
            .filter(|h| h.source != "trigger" || !h.label.is_empty())
        {
            let xx = tx(hpn.t_s);
            c.line(xx, py, xx, py + ph, 0.6, EVENT, true);
        }
        for (n, t, _, accepted) in self.numbered_actions() {
            let xx = tx(t);
            c.line(
                xx,
                py,
                xx,
                py + ph,
                0.9,
                if accepted { ACTION } else { "#aa0000" },
                false,
            );
            c.text(
                xx + 1.5,
                py + font,
                font * 0.8,
                true,
                ACTION,
                Anchor::Start,
                &n.to_string(),
            );
        }
        // The data.
        for (k, (_, pts)) in series.iter().enumerate() {
            let color = SERIES[k % SERIES.len()];
            let mut line: Vec<Option<(f64, f64)>> = Vec::with_capacity(pts.len());
            let mut last_t = f64::NEG_INFINITY;
            for &(t, v) in pts {
                if t - last_t > 2.5 * self.record.sample_s.max(1.0) && !line.is_empty() {
                    line.push(None);
                }
                line.push(Some((tx(t), vy(v))));
                last_t = t;
            }
            c.polyline(&line, 1.3, color);
        }
    }

    /// The alarm lanes: one row per alarm, a bar for each signalled interval.
    pub fn draw_alarm_lanes<C: Canvas>(&self, c: &mut C, x: f64, y: f64, w: f64, font: f64) -> f64 {
        let spans = self.spans();
        let mut names: Vec<(String, String)> = Vec::new();
        for s in &spans {
            if !names.iter().any(|(n, _)| *n == s.alarm) {
                names.push((s.alarm.clone(), s.priority.clone()));
            }
        }
        let row = font * 1.6;
        let left = 130.0 * font / 10.0;
        let (px, pw) = (x + left, w - left - 8.0);
        let end = self.end();
        let tx = |t: f64| px + pw * (t / end).clamp(0.0, 1.0);
        if names.is_empty() {
            c.text(
                x,
                y + font,
                font,
                false,
                "#444444",
                Anchor::Start,
                "No alarm was signalled.",
            );
            return font * 1.5;
        }
        for (i, (n, p)) in names.iter().enumerate() {
            let yy = y + i as f64 * row;
            c.text(
                px - 4.0,
                yy + row * 0.7,
                font * 0.9,
                false,
                "#222222",
                Anchor::End,
                n,
            );
            c.line(
                px,
                yy + row / 2.0,
                px + pw,
                yy + row / 2.0,
                0.3,
                "#dddddd",
                false,
            );
            for s in spans.iter().filter(|s| &s.alarm == n) {
                c.rect(
                    tx(s.t0),
                    yy + row * 0.15,
                    (tx(s.t1) - tx(s.t0)).max(1.5),
                    row * 0.7,
                    Some(priority_color(p)),
                    Some(priority_color(p)),
                );
            }
        }
        for (n, t, _, _) in self.numbered_actions() {
            let xx = tx(t);
            c.line(xx, y, xx, y + names.len() as f64 * row, 0.6, ACTION, false);
            c.text(
                xx + 1.0,
                y - 1.0,
                font * 0.75,
                true,
                ACTION,
                Anchor::Start,
                &n.to_string(),
            );
        }
        names.len() as f64 * row + font
    }

    /// How fast: one bar per expected action, the window in green, the action as a dot.
    pub fn draw_timing<C: Canvas>(&self, c: &mut C, x: f64, y: f64, w: f64, font: f64) -> f64 {
        let items: Vec<&score::Item> = self
            .score
            .items
            .iter()
            .filter(|i| i.kind == "action")
            .collect();
        let row = font * 1.8;
        let left = 150.0 * font / 10.0;
        let (px, pw) = (x + left, w - left - 60.0 * font / 10.0);
        let max_t = items
            .iter()
            .map(|i| i.window_s.unwrap_or(0.0).max(i.delay_s.unwrap_or(0.0)))
            .fold(1.0, f64::max)
            * 1.1;
        let tx = |t: f64| px + pw * (t / max_t).clamp(0.0, 1.0);
        for (k, i) in items.iter().enumerate() {
            let yy = y + k as f64 * row;
            let mut label = i.id.clone();
            if label.len() > 24 {
                label.truncate(24);
            }
            c.text(
                px - 4.0,
                yy + row * 0.65,
                font * 0.9,
                false,
                "#222222",
                Anchor::End,
                &label,
            );
            if let Some(wnd) = i.window_s {
                c.rect(
                    px,
                    yy + row * 0.2,
                    tx(wnd) - px,
                    row * 0.6,
                    Some("#2e8b57"),
                    None,
                );
            }
            let (color, text) = match i.status {
                Status::Done => ("#2e8b57", format!("{:.0} s", i.delay_s.unwrap_or(0.0))),
                Status::Late => ("#ff9900", format!("{:.0} s late", i.delay_s.unwrap_or(0.0))),
                Status::NotReached => ("#777777", "not reached".into()),
                _ => ("#d62728", "missed".into()),
            };
            match i.delay_s {
                Some(d) => {
                    let xx = tx(d);
                    c.rect(
                        xx - 3.0,
                        yy + row * 0.25,
                        6.0,
                        row * 0.5,
                        Some(color),
                        Some(color),
                    );
                }
                None => {
                    let xx = px + pw;
                    c.line(
                        xx - 4.0,
                        yy + row * 0.2,
                        xx + 4.0,
                        yy + row * 0.8,
                        1.5,
                        color,
                        false,
                    );
                    c.line(
                        xx - 4.0,
                        yy + row * 0.8,
                        xx + 4.0,
                        yy + row * 0.2,
                        1.5,
                        color,
                        false,
                    );
                }
            }
            c.text(
                px + pw + 8.0,
                yy + row * 0.65,
                font * 0.9,
                true,
                color,
                Anchor::Start,
                &text,
            );
        }
        c.text(
            px,
            y + items.len() as f64 * row + font,
            font * 0.85,
            false,
            "#444444",
            Anchor::Start,
            "seconds from the cue; green band = time window",
        );
        items.len() as f64 * row + font * 1.5
    }

    /// What to learn: the teaching of everything missed, late or not met; the objectives.
    pub fn lessons(&self) -> Vec<String> {
        let mut out: Vec<String> = self
            .score
            .items
            .iter()
            .filter(|i| matches!(i.status, Status::Missed | Status::Late | Status::NotMet))
            .map(|i| format!("{} ({}): {}", i.text, i.status.word(), i.teach))
            .collect();
        if out.is_empty() {
            out.push("Everything expected was done in time. Review the objectives below and the trends: could anything have come sooner?".into());
        }
        out
    }

    /// The HTML report.
    pub fn html(&self) -> String {
        let sc = &self.scenario;
        let s = &self.score;
        let mut h = String::new();
        let _ = write!(
            h,
            r#"<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>Debrief: {name}</title>
<style>
body {{ font-family: Helvetica, Arial, sans-serif; margin: 24px auto; max-width: 920px; color: #222; }}
h1 {{ font-size: 22px; margin-bottom: 4px; }} h2 {{ font-size: 17px; margin-top: 28px; border-bottom: 1px solid #ccc; }}
.verdict {{ display: inline-block; padding: 6px 14px; border-radius: 6px; color: #fff; font-weight: bold; font-size: 18px; }}
.pass {{ background: #2e8b57; }} .fail {{ background: #d62728; }}
table {{ border-collapse: collapse; width: 100%; font-size: 13px; }} td, th {{ border-bottom: 1px solid #e3e3e3; padding: 4px 6px; text-align: left; vertical-align: top; }}
.done, .met {{ color: #2e8b57; font-weight: bold; }} .late {{ color: #e08a00; font-weight: bold; }} .missed, .not-met {{ color: #d62728; font-weight: bold; }} .not-reached {{ color: #777; }}
.meta {{ color: #555; font-size: 13px; }} svg {{ display: block; margin: 6px 0; }}
li {{ margin-bottom: 6px; }}
</style></head><body>
<h1>Debrief: {name}</h1>
<p class="meta">Trainee: {trainee} · {ended:.0} s simulated · pass mark {pass:.0} %</p>
<p><span class="verdict {cls}">{verdict} · {pct:.0} % ({pts:.0} of {max:.0} points)</span></p>
"#,
            name = esc(&sc.name),
            trainee = esc(&self.record.trainee),
            ended = self.record.ended_s,
            pass = s.pass_percent,
            cls = if s.passed { "pass" } else { "fail" },
            verdict = if s.passed { "PASSED" } else { "NOT PASSED" },
            pct = s.percent,
            pts = s.points,
            max = s.max_points,
        );
        if !s.critical_failures.is_empty() {
            let _ = writeln!(
                h,
                "<p><b>Critical items not achieved:</b> {}</p>",
                esc(&s.critical_failures.join(", "))
            );
        }
        let _ = writeln!(h, "<p>{}</p>", esc(&sc.summary));
        h.push_str("<h2>What to learn</h2><ul>");
        for l in self.lessons() {
            let _ = writeln!(h, "<li>{}</li>", esc(&l));
        }
        h.push_str("</ul><h2>Learning objectives</h2><ul>");
        for o in &sc.objectives {
            let _ = writeln!(h, "<li>{}</li>", esc(o));
        }
        h.push_str("</ul>\n<h2>Trends</h2>\n<p class=\"meta\">Blue numbered lines: trainee actions (see the log below). Grey dashed: scenario events. Shaded bands: alarms signalled (red high, orange medium, yellow low priority).</p>\n");
        let (w, ph) = (900.0, 150.0);
        for panel in &sc.plots {
            let mut svg = Svg(String::new());
            self.draw_panel(&mut svg, panel, 0.0, 0.0, w, ph, 11.0);
            let _ = writeln!(
                h,
                r#"<svg class="plot" data-signals="{}" xmlns="http://www.w3.org/2000/svg" width="{w}" height="{ph}" viewBox="0 0 {w} {ph}" font-family="Helvetica, Arial, sans-serif">{}</svg>"#,
                panel.join(" "),
                svg.0
            );
        }
        h.push_str("<h2>Alarms</h2>\n");
        let mut svg = Svg(String::new());
        let lanes_h = self.draw_alarm_lanes(&mut svg, 0.0, 12.0, w, 11.0) + 14.0;
        let _ = writeln!(
            h,
            r#"<svg class="alarms" xmlns="http://www.w3.org/2000/svg" width="{w}" height="{lanes_h:.0}" font-family="Helvetica, Arial, sans-serif">{}</svg>"#,
            svg.0
        );
        h.push_str("<h2>Expected actions: what was done and how fast</h2>\n");
        let mut svg = Svg(String::new());
        let th = self.draw_timing(&mut svg, 0.0, 4.0, w, 11.0) + 8.0;
        let _ = writeln!(
            h,
            r#"<svg class="timing" xmlns="http://www.w3.org/2000/svg" width="{w}" height="{th:.0}" font-family="Helvetica, Arial, sans-serif">{}</svg>"#,
            svg.0
        );
        h.push_str("<table><tr><th>Expected</th><th>Cue</th><th>Window</th><th>Result</th><th>Points</th></tr>\n");
        for i in &s.items {
            let cue = match (&i.kind[..], i.anchor_s) {
                ("outcome", _) => "end of run".to_string(),
                (_, Some(t)) => format!("{t:.0} s"),
                (_, None) => "never came".into(),
            };
            let _ = writeln!(
                h,
                r#"<tr><td>{}{}</td><td>{}</td><td>{}</td><td><span class="{}">{}</span> {}</td><td>{:.1} / {:.1}</td></tr>"#,
                esc(&i.text),
                if i.critical { " <b>(critical)</b>" } else { "" },
                cue,
                i.window_s.map_or(String::new(), |w| format!("{w:.0} s")),
                i.status.word().replace(' ', "-"),
                i.status.word(),
                esc(&i.detail),
                i.points,
                i.max_points
            );
        }
        h.push_str(
            "</table>\n<h2>Log</h2>\n<table><tr><th>Time</th><th>Who</th><th>What</th></tr>\n",
        );
        for (t, who, what) in self.log() {
            let _ = writeln!(
                h,
                "<tr><td>{t:.0} s</td><td>{}</td><td>{}</td></tr>",
                esc(&who),
                esc(&what)
            );
        }
        h.push_str("</table>\n");
        if !sc.instructor_notes.is_empty() {
            let _ = writeln!(
                h,
                "<h2>Instructor notes</h2><p>{}</p>",
                esc(&sc.instructor_notes)
            );
        }
        h.push_str("</body></html>\n");
        h
    }

    /// Everything that happened, in time order: (t, who, what).
    pub fn log(&self) -> Vec<(f64, String, String)> {
        let mut log = Vec::new();
        for (n, a) in self.record.actions.iter().enumerate() {
            log.push((
                a.t_s,
                a.who.clone(),
                format!(
                    "[{}] {}{} → {}{}",
                    n + 1,
                    a.action,
                    if a.value.is_empty() {
                        String::new()
                    } else {
                        format!(" {}", a.value)
                    },
                    if a.accepted { "" } else { "REFUSED: " },
                    a.answer
                ),
            ));
        }
        for hp in &self.record.happenings {
            log.push((hp.t_s, hp.source.clone(), hp.text.clone()));
        }
        for a in &self.record.alarms {
            log.push((
                a.t_s,
                "alarm".into(),
                format!(
                    "{} {} ({}): {}",
                    if a.raised { "raised" } else { "cleared" },
                    a.alarm,
                    a.priority,
                    a.text
                ),
            ));
        }
        for r in &self.record.remarks {
            log.push((r.t_s, r.who.clone(), format!("remark: {}", r.text)));
        }
        log.sort_by(|a, b| a.0.total_cmp(&b.0));
        log
    }

    /// The PDF report.
    pub fn pdf(&self) -> Vec<u8> {
        let sc = &self.scenario;
        let s = &self.score;
        let mut p = Pdf::new();
        let (mx, w) = (40.0, pdf::PAGE_W - 80.0);
        let mut y = 50.0;
        p.text(
            mx,
            y,
            16.0,
            true,
            Rgb::BLACK,
            &format!("Debrief: {}", sc.name),
        );
        y += 18.0;
        p.text(
            mx,
            y,
            9.0,
            false,
            Rgb::GREY,
            &format!(
                "Trainee: {} · {:.0} s simulated · pass mark {:.0} %",
                self.record.trainee, self.record.ended_s, s.pass_percent
            ),
        );
        y += 22.0;
        let color = if s.passed {
            Rgb::hex("#2e8b57")
        } else {
            Rgb::hex("#d62728")
        };
        let verdict = format!(
            "{} · {:.0} % ({:.0} of {:.0} points)",
            if s.passed { "PASSED" } else { "NOT PASSED" },
            s.percent,
            s.points,
            s.max_points
        );
        p.rect(
            mx,
            y - 14.0,
            pdf::text_width(&verdict, 13.0, true) + 16.0,
            20.0,
            Some(color),
            None,
        );
        p.text(mx + 8.0, y, 13.0, true, Rgb(1.0, 1.0, 1.0), &verdict);
        y += 20.0;
        for l in Pdf::wrap(&sc.summary, 9.5, false, w) {
            y += 12.0;
            p.text(mx, y, 9.5, false, Rgb::BLACK, &l);
        }
        y += 18.0;
        p.text(mx, y, 12.0, true, Rgb::BLACK, "What to learn");
        for l in self.lessons() {
            for (k, line) in Pdf::wrap(&l, 9.0, false, w - 12.0).iter().enumerate() {
                y += 11.5;
                if k == 0 {
                    p.text(mx, y, 9.0, false, Rgb::BLACK, "•");
                }
                p.text(mx + 10.0, y, 9.0, false, Rgb::BLACK, line);
            }
            y += 3.0;
        }
        // Trends: as many panels per page as fit.
        let ph = 120.0;
        let mut first = true;
        for panel in &sc.plots {
            if y + ph + 20.0 > pdf::PAGE_H - 40.0 || first && y > 420.0 {
                p.page();
                y = 50.0;
            }
            if first {
                y += 14.0;
                p.text(mx, y, 12.0, true, Rgb::BLACK, "Trends");
                y += 6.0;
                first = false;
            }
            self.draw_panel(&mut p, panel, mx, y, w, ph, 8.0);
            y += ph + 6.0;
        }
        p.page();
        y = 50.0;
        p.text(mx, y, 12.0, true, Rgb::BLACK, "Alarms");
        y += 16.0;
        y += self.draw_alarm_lanes(&mut p, mx, y, w, 8.0) + 16.0;
        p.text(
            mx,
            y,
            12.0,
            true,
            Rgb::BLACK,
            "Expected actions: what was done and how fast",
        );
        y += 10.0;
        y += self.draw_timing(&mut p, mx, y, w, 8.0) + 12.0;
        for i in &s.items {
            if y > pdf::PAGE_H - 50.0 {
                p.page();
                y = 50.0;
            }
            let col = match i.status {
                Status::Done | Status::Met => Rgb::hex("#2e8b57"),
                Status::Late => Rgb::hex("#e08a00"),
                Status::NotReached => Rgb::GREY,
                _ => Rgb::hex("#d62728"),
            };
            y += 12.0;
            p.text(mx, y, 8.5, true, col, &format!("{:<11}", i.status.word()));
            p.text(
                mx + 55.0,
                y,
                8.5,
                false,
                Rgb::BLACK,
                &format!(
                    "{}{} — {} ({:.1}/{:.1})",
                    i.text,
                    if i.critical { " (critical)" } else { "" },
                    i.detail,
                    i.points,
                    i.max_points
                ),
            );
        }
        y += 24.0;
        if y > pdf::PAGE_H - 120.0 {
            p.page();
            y = 50.0;
        }
        p.text(mx, y, 12.0, true, Rgb::BLACK, "Log");
        for (t, who, what) in self.log() {
            for (k, line) in Pdf::wrap(&what, 8.0, false, w - 110.0).iter().enumerate() {
                y += 10.5;
                if y > pdf::PAGE_H - 40.0 {
                    p.page();
                    y = 50.0;
                }
                if k == 0 {
                    p.text(mx, y, 8.0, false, Rgb::GREY, &format!("{t:.0} s"));
                    p.text(mx + 45.0, y, 8.0, false, Rgb::GREY, &who);
                }
                p.text(mx + 110.0, y, 8.0, false, Rgb::BLACK, line);
            }
        }
        p.finish()
    }

    /// Write `debrief.html` and `debrief.pdf` into `dir`.
    pub fn write(&self, dir: &Path) -> Result<(PathBuf, PathBuf), String> {
        std::fs::create_dir_all(dir)
            .map_err(|e| format!("cannot create {}: {e}", dir.display()))?;
        let html = dir.join("debrief.html");
        let pdf = dir.join("debrief.pdf");
        std::fs::write(&html, self.html())
            .map_err(|e| format!("cannot write {}: {e}", html.display()))?;
        std::fs::write(&pdf, self.pdf())
            .map_err(|e| format!("cannot write {}: {e}", pdf.display()))?;
        Ok((html, pdf))
    }
}

/// A round axis range and tick step covering [lo, hi].
pub fn nice_range(lo: f64, hi: f64) -> (f64, f64, f64) {
    let (mut lo, mut hi) = (lo, hi);
    if (hi - lo).abs() < 1e-9 {
        let pad = if lo.abs() > 1e-9 { lo.abs() * 0.1 } else { 1.0 };
        lo -= pad;
        hi += pad;
    }
    let raw = (hi - lo) / 4.0;
    let mag = 10f64.powf(raw.log10().floor());
    let step = [1.0, 2.0, 2.5, 5.0, 10.0]
        .iter()
        .map(|m| m * mag)
        .find(|s| *s >= raw)
        .unwrap_or(10.0 * mag);
    ((lo / step).floor() * step, (hi / step).ceil() * step, step)
}

fn fmt_tick(v: f64, step: f64) -> String {
    if step >= 1.0 {
        format!("{:.0}", v)
    } else if step >= 0.1 {
        format!("{:.1}", v)
    } else {
        format!("{:.2}", v)
    }
}

/// Time tick step (s), unit label and divisor for a run of `end` seconds.
fn time_ticks(end: f64) -> (f64, &'static str, f64) {
    if end <= 1200.0 {
        let step = if end <= 300.0 { 60.0 } else { 120.0 };
        (step, "min", 60.0)
    } else if end <= 4.0 * 3600.0 {
        (if end <= 7200.0 { 900.0 } else { 1800.0 }, "min", 60.0)
    } else {
        (3600.0 * (end / 3600.0 / 8.0).ceil(), "h", 3600.0)
    }
}
