//! Scoring a run against its scenario: a pure function of the scenario and the record, so a
//! debrief re-scores any recording (headless or from the console) the same way.
//!
//! Rules (docs/scenarios.md):
//! - An expected action is **done** when an accepted action of its kind, meeting its value
//!   conditions, comes within `within_s` after its anchor: full points. The first matching
//!   action after the window is **late**: half points. None: **missed**, no points.
//! - An anchor that never fired (a problem the trainee prevented, or a trigger whose condition
//!   never came) makes the items that wait for it **not reached**: they count neither for nor
//!   against the score.
//! - An outcome is **met** when its statistic of the recorded 1-interval means lies within its
//!   bounds: full points, otherwise none.
//! - The run **passes** when the percentage reaches `pass_percent` and every critical item is
//!   done in time or met.
use crate::record::Record;
use crate::scenario::{Expected, Outcome, Scenario, Stat};
use serde::{Deserialize, Serialize};

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum Status {
    Done,
    Late,
    Missed,
    Met,
    NotMet,
    NotReached,
}

impl Status {
    pub fn word(self) -> &'static str {
        match self {
            Status::Done => "done",
            Status::Late => "late",
            Status::Missed => "missed",
            Status::Met => "met",
            Status::NotMet => "not met",
            Status::NotReached => "not reached",
        }
    }
    fn good(self) -> bool {
        matches!(self, Status::Done | Status::Met | Status::NotReached)
    }
}

/// The verdict on one expected action or outcome.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Item {
    pub id: String,
    pub text: String,
    /// `action` or `outcome`.
    pub kind: String,
    pub status: Status,
    pub points: f64,
    pub max_points: f64,
    pub critical: bool,
    /// When the anchor fired, s.
    pub anchor_s: Option<f64>,
    /// When the matching action came, s.
    pub done_s: Option<f64>,
    /// Seconds from the anchor to the action.
    pub delay_s: Option<f64>,
    pub window_s: Option<f64>,
    /// For outcomes: the value reached, and the bounds as text.
    pub value: Option<f64>,
    pub detail: String,
    pub teach: String,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Score {
    pub items: Vec<Item>,
    pub points: f64,
    pub max_points: f64,
    pub percent: f64,
    pub pass_percent: f64,
    pub passed: bool,
    /// Critical items not done in time or not met.
    pub critical_failures: Vec<String>,
}

fn value_matches(e: &Expected, value: &str) -> bool {
    let x: Option<f64> = value.parse().ok();
    if let Some(lo) = e.at_least
        && !x.is_some_and(|x| x >= lo)
    {
        return false;
    }
    if let Some(hi) = e.at_most
        && !x.is_some_and(|x| x <= hi)
    {
        return false;
    }
    if let Some(v) = &e.equals
        && v.show() != value
    {
        return false;
    }
    true
}

/// When the anchor `after` fired (the start when there is none); `None` if it never did.
fn anchor_time(after: &Option<String>, rec: &Record) -> Option<f64> {
    match after {
        None => Some(0.0),
        Some(a) => rec.anchors.get(a).copied(),
    }
}

impl Item {
    /// An item of `kind` not reached yet, anchored at `anchor_s`, before it is scored.
    fn not_reached(
        kind: &str,
        id: &str,
        text: &str,
        teach: &str,
        max_points: f64,
        critical: bool,
        anchor_s: Option<f64>,
    ) -> Item {
        Item {
            id: id.into(),
            text: text.into(),
            kind: kind.into(),
            status: Status::NotReached,
            points: 0.0,
            max_points,
            critical,
            anchor_s,
            done_s: None,
            delay_s: None,
            window_s: None,
            value: None,
            detail: String::new(),
            teach: teach.into(),
        }
    }
}

fn score_expected(e: &Expected, rec: &Record) -> Item {
    let anchor = anchor_time(&e.after, rec);
    let mut item = Item::not_reached(
        "action", &e.id, &e.text, &e.teach, e.points, e.critical, anchor,
    );
    item.window_s = Some(e.within_s);
    let Some(t0) = anchor else {
        item.max_points = 0.0;
        item.detail = format!(
            "`{}` never happened in this run",
            e.after.as_deref().unwrap_or("start")
        );
        return item;
    };
    let first = rec.actions.iter().find(|a| {
        a.accepted
            && a.who == "trainee"
            && a.action == e.action
            && a.t_s + 1e-9 >= t0
            && value_matches(e, &a.value)
    });
    match first {
        Some(a) => {
            let delay = a.t_s - t0;
            item.done_s = Some(a.t_s);
            item.delay_s = Some(delay);
            if delay <= e.within_s + 1e-9 {
                item.status = Status::Done;
                item.points = e.points;
            } else {
                item.status = Status::Late;
                item.points = e.points / 2.0;
            }
            item.detail = format!(
                "{} {} after {:.0} s (window {:.0} s)",
                a.action, a.value, delay, e.within_s
            );
        }
        None => {
            item.status = Status::Missed;
            item.detail = "not done".into();
        }
    }
    item
}

fn score_outcome(o: &Outcome, sc: &Scenario, rec: &Record) -> Item {
    let anchor = anchor_time(&o.after, rec);
    let mut item = Item::not_reached(
        "outcome", &o.id, &o.text, &o.teach, o.points, o.critical, anchor,
    );
    let Some(t0) = anchor else {
        item.max_points = 0.0;
        item.detail = "its anchor never happened".into();
        return item;
    };
    let series = rec.series(o.signal);
    let end = rec.ended_s;
    // The window of min, max and mean ends at the `until` anchor if it fired.
    let t1 = o
        .until
        .as_ref()
        .and_then(|a| rec.anchors.get(a).copied())
        .unwrap_or(f64::INFINITY);
    let vals: Vec<f64> = match o.stat {
        Stat::Final => series
            .iter()
            .filter(|(t, _)| *t > end - sc.final_s - 1e-9)
            .map(|p| p.1)
            .collect(),
        Stat::Min | Stat::Max | Stat::Mean => series
            .iter()
            .filter(|(t, _)| *t > t0 + 1e-9 && *t <= t1 + 1e-9)
            .map(|p| p.1)
            .collect(),
    };
    let value = if vals.is_empty() {
        None
    } else {
        Some(match o.stat {
            Stat::Final | Stat::Mean => vals.iter().sum::<f64>() / vals.len() as f64,
            Stat::Min => vals.iter().cloned().fold(f64::INFINITY, f64::min),
            Stat::Max => vals.iter().cloned().fold(f64::NEG_INFINITY, f64::max),
        })
    };
    let bounds = match (o.at_least, o.at_most) {
        (Some(lo), Some(hi)) => format!("{lo}..{hi}"),
        (Some(lo), None) => format!("≥ {lo}"),
        (None, Some(hi)) => format!("≤ {hi}"),
        (None, None) => String::new(),
    };
    let stat = match o.stat {
        Stat::Final => "final mean",
        Stat::Min => "lowest",
        Stat::Max => "highest",
        Stat::Mean => "mean",
    };
    item.value = value;
    let unit = crate::names::signal(o.signal).map_or("", |s| s.unit);
    match value {
        Some(v) if o.at_least.is_none_or(|lo| v >= lo) && o.at_most.is_none_or(|hi| v <= hi) => {
            item.status = Status::Met;
            item.points = o.points;
            item.detail = format!("{stat} {v:.1} {unit} (wanted {bounds})");
        }
        Some(v) => {
            item.status = Status::NotMet;
            item.detail = format!("{stat} {v:.1} {unit} (wanted {bounds})");
        }
        None => {
            item.status = Status::NotMet;
            item.detail = "no data".into();
        }
    }
    item
}

/// Score a run.
pub fn score(sc: &Scenario, rec: &Record) -> Score {
    let mut items: Vec<Item> = sc.expected.iter().map(|e| score_expected(e, rec)).collect();
    items.extend(sc.outcomes.iter().map(|o| score_outcome(o, sc, rec)));
    let points: f64 = items.iter().map(|i| i.points).sum();
    let max_points: f64 = items.iter().map(|i| i.max_points).sum();
    let percent = if max_points > 0.0 {
        100.0 * points / max_points
    } else {
        0.0
    };
    let critical_failures: Vec<String> = items
        .iter()
        .filter(|i| i.critical && !i.status.good())
        .map(|i| i.id.clone())
        .collect();
    Score {
        passed: percent + 1e-9 >= sc.pass_percent
            && critical_failures.is_empty()
            && max_points > 0.0,
        items,
        points,
        max_points,
        percent,
        pass_percent: sc.pass_percent,
        critical_failures,
    }
}
