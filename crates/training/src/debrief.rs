//! The debrief: one run turned into a report, a self-contained HTML page (inline SVG, no
//! scripts, no external files) and a PDF with the same pictures, both from one
//! [`report::Doc`] so that they cannot disagree.
//!
//! What it shows: the score and verdict; trend plots of the scenario's key signals with the
//! trainee's actions (numbered blue lines), the scenario's events (grey) and the alarms (red,
//! orange, yellow bands by priority) marked on them; a lane chart of every alarm; the expected
//! actions against what was done and how fast (window bars); and what to learn.
use crate::names;
use crate::record::Record;
use crate::scenario::Scenario;
use crate::score::{self, Score, Status};
use report::lanes::{Point, Shape};
use report::{
    Axis, Bar, Block, Cell, Doc, Figure, Lane, Lanes, Legend, Mark, Plot, Series, Table, Tone,
};
use std::path::{Path, PathBuf};

/// Colours of the series in a panel, in order.
const SERIES: &[&str] = &["#1f5fbf", "#c0392b", "#2e8b57", "#8e44ad"];
const ACTION: &str = "#1f77ff";
const REFUSED: &str = "#aa0000";
const EVENT: &str = "#777777";
/// Width of the figures on screen (CSS pixels) and height of a trend panel.
const WIDTH: f64 = 900.0;
const PANEL_H: f64 = 150.0;

fn priority_color(p: &str) -> &'static str {
    match p {
        "high" => "#d62728",
        "medium" => "#ff9900",
        _ => "#e6c700",
    }
}

fn tone(s: Status) -> Tone {
    match s {
        Status::Done | Status::Met => Tone::Good,
        Status::Late => Tone::Warn,
        Status::NotReached => Tone::Muted,
        Status::Missed | Status::NotMet => Tone::Bad,
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

    /// The trainee's actions as numbered vertical lines (refused ones in dark red).
    fn action_marks(&self) -> Vec<Mark> {
        self.numbered_actions()
            .into_iter()
            .map(|(n, t, _, accepted)| {
                Mark::vline(t, &n.to_string(), if accepted { ACTION } else { REFUSED })
            })
            .collect()
    }

    /// One trend panel: its signals over the run, with alarm bands, scenario events and the
    /// trainee's actions. A gap in the recording (a pause) breaks the lines.
    pub fn panel(&self, panel: &[&str]) -> Plot {
        let mut p = Plot::with_axes("", Axis::time(self.end()), Axis::new("", "").tight());
        p.legend = Legend::Top;
        let gap = 2.5 * self.record.sample_s.max(1.0);
        for (k, s) in panel.iter().filter_map(|n| names::signal(n)).enumerate() {
            let mut pts: Vec<(f64, f64)> = Vec::new();
            for (t, v) in self.record.series(s.name) {
                if pts.last().is_some_and(|&(t0, _)| t - t0 > gap) {
                    pts.push((t, f64::NAN));
                }
                pts.push((t, v));
            }
            p.series.push(
                Series::new(
                    if s.unit.is_empty() {
                        s.label.to_string()
                    } else {
                        format!("{} ({})", s.label, s.unit)
                    },
                    pts,
                )
                .color(SERIES[k % SERIES.len()]),
            );
        }
        for s in self.spans() {
            p.marks
                .push(Mark::band(s.t0, s.t1, priority_color(&s.priority)));
        }
        for h in self
            .record
            .happenings
            .iter()
            .filter(|h| h.source != "trigger" || !h.label.is_empty())
        {
            p.marks.push(Mark::event(h.t_s, EVENT));
        }
        p.marks.extend(self.action_marks());
        p
    }

    /// The alarm lanes: one row per alarm, a bar for each signalled interval.
    pub fn alarm_lanes(&self) -> Lanes {
        let mut l = Lanes::new(Axis::time(self.end()));
        l.empty = "No alarm was signalled.".into();
        for s in self.spans() {
            let bar = Bar {
                x0: s.t0,
                x1: s.t1,
                color: priority_color(&s.priority).into(),
                opacity: 1.0,
            };
            match l.lanes.iter_mut().find(|x| x.label == s.alarm) {
                Some(lane) => lane.bars.push(bar),
                None => l.lanes.push(Lane {
                    label: s.alarm.clone(),
                    bars: vec![bar],
                    ..Default::default()
                }),
            }
        }
        l.marks = self.action_marks();
        l
    }

    /// How fast: one row per expected action, the window in green, the action as a square (a
    /// cross at the right end when it never came).
    pub fn timing(&self) -> Lanes {
        let items: Vec<&score::Item> = self
            .score
            .items
            .iter()
            .filter(|i| i.kind == "action")
            .collect();
        let max_t = items
            .iter()
            .map(|i| i.window_s.unwrap_or(0.0).max(i.delay_s.unwrap_or(0.0)))
            .fold(1.0, f64::max)
            * 1.1;
        let mut l = Lanes::new(
            Axis::new("seconds from the cue (green band: the time window)", "").range(0.0, max_t),
        );
        l.empty = "No action was expected.".into();
        for i in items {
            let color = tone(i.status).color();
            let text = match i.status {
                Status::Done => format!("{:.0} s", i.delay_s.unwrap_or(0.0)),
                Status::Late => format!("{:.0} s late", i.delay_s.unwrap_or(0.0)),
                s => s.word().into(),
            };
            let mut label = i.id.clone();
            if label.chars().count() > 24 {
                label = label.chars().take(24).collect();
            }
            l.lanes.push(Lane {
                label,
                bars: i
                    .window_s
                    .map(|w| Bar {
                        x0: 0.0,
                        x1: w,
                        color: "#2e8b57".into(),
                        opacity: 0.35,
                    })
                    .into_iter()
                    .collect(),
                points: vec![match i.delay_s {
                    Some(d) => Point {
                        x: d,
                        shape: Shape::Square,
                        color: color.into(),
                    },
                    None => Point {
                        x: max_t,
                        shape: Shape::Cross,
                        color: color.into(),
                    },
                }],
                note: Some((text, color.into())),
            });
        }
        l
    }

    /// The report: one document for the page and the paper.
    pub fn doc(&self) -> Doc {
        let sc = &self.scenario;
        let s = &self.score;
        let mut d = Doc::new(&format!("Debrief: {}", sc.name));
        d.author = self.record.trainee.clone();
        d.push(Block::Note(format!(
            "Trainee: {} · {:.0} s simulated · pass mark {:.0} %",
            self.record.trainee, self.record.ended_s, s.pass_percent
        )));
        d.push(Block::Badge(
            format!(
                "{} · {:.0} % ({:.0} of {:.0} points)",
                if s.passed { "PASSED" } else { "NOT PASSED" },
                s.percent,
                s.points,
                s.max_points
            ),
            if s.passed { Tone::Good } else { Tone::Bad },
        ));
        if !s.critical_failures.is_empty() {
            d.push(Block::Text(format!(
                "Critical items not achieved: {}",
                s.critical_failures.join(", ")
            )));
        }
        d.push(Block::Text(sc.summary.clone()));
        d.push(Block::Heading("What to learn".into()));
        d.push(Block::List(self.lessons()));
        d.push(Block::Heading("Learning objectives".into()));
        d.push(Block::List(sc.objectives.clone()));
        d.push(Block::Heading("Trends".into()));
        d.push(Block::Note("Blue numbered lines: trainee actions (see the log below). Grey dashed: scenario events. Shaded bands: alarms signalled (red high, orange medium, yellow low priority).".into()));
        for panel in &sc.plots {
            d.push(Block::from(
                Figure::plot(self.panel(panel), WIDTH, PANEL_H)
                    .class("plot")
                    .data("signals", &panel.join(" ")),
            ));
        }
        d.push(Block::Heading("Alarms".into()));
        d.push(Block::from(
            Figure::lanes(self.alarm_lanes(), WIDTH).class("alarms"),
        ));
        d.push(Block::Heading(
            "Expected actions: what was done and how fast".into(),
        ));
        d.push(Block::from(
            Figure::lanes(self.timing(), WIDTH).class("timing"),
        ));
        let mut items = Table::new(
            "",
            "",
            &["Expected", "Cue", "Window", "Result", "Detail", "Points"],
        );
        for i in &s.items {
            let cue = match (&i.kind[..], i.anchor_s) {
                ("outcome", _) => "end of run".to_string(),
                (_, Some(t)) => format!("{t:.0} s"),
                (_, None) => "never came".into(),
            };
            items.push(vec![
                Cell::text(format!(
                    "{}{}",
                    i.text,
                    if i.critical { " (critical)" } else { "" }
                )),
                Cell::text(cue),
                Cell::text(i.window_s.map_or(String::new(), |w| format!("{w:.0} s"))),
                Cell::Toned(i.status.word().into(), tone(i.status)),
                Cell::text(i.detail.clone()),
                Cell::text(format!("{:.1} / {:.1}", i.points, i.max_points)),
            ]);
        }
        d.push(Block::Table(items));
        d.push(Block::Heading("Log".into()));
        let mut log = Table::new("", "", &["Time", "Who", "What"]);
        for (t, who, what) in self.log() {
            log.push(vec![
                Cell::text(format!("{t:.0} s")),
                Cell::text(who),
                Cell::text(what),
            ]);
        }
        d.push(Block::Table(log));
        if !sc.instructor_notes.is_empty() {
            d.push(Block::Heading("Instructor notes".into()));
            d.push(Block::Text(sc.instructor_notes.clone()));
        }
        d
    }

    /// The HTML report.
    pub fn html(&self) -> String {
        self.doc().to_html()
    }

    /// The PDF report.
    pub fn pdf(&self) -> Result<Vec<u8>, String> {
        self.doc().to_pdf()
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

    /// Write `debrief.html` and `debrief.pdf` into `dir`.
    pub fn write(&self, dir: &Path) -> Result<(PathBuf, PathBuf), String> {
        std::fs::create_dir_all(dir)
            .map_err(|e| format!("cannot create {}: {e}", dir.display()))?;
        let html = dir.join("debrief.html");
        let pdf = dir.join("debrief.pdf");
        std::fs::write(&html, self.html())
            .map_err(|e| format!("cannot write {}: {e}", html.display()))?;
        std::fs::write(&pdf, self.pdf()?)
            .map_err(|e| format!("cannot write {}: {e}", pdf.display()))?;
        Ok((html, pdf))
    }
}
