//! The record of one run: everything the debrief needs, and nothing it has to recompute from
//! the twin. Written as JSON (`run.json`); the scenario's own text travels with it so that the
//! run can be re-scored and re-plotted years later without the scenario library.
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// Version of the record format.
pub const FORMAT: u32 = 1;

#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct AlarmEntry {
    pub t_s: f64,
    /// File name of the alarm (`flow_low`).
    pub alarm: String,
    /// `high`, `medium` or `low`.
    pub priority: String,
    /// The console's text.
    pub text: String,
    /// Raised (true) or cleared (false).
    pub raised: bool,
}

#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct ActionEntry {
    pub t_s: f64,
    /// `trainee` or `instructor`.
    pub who: String,
    pub action: String,
    /// The value as written (`2600`, `standby`, `true`), empty for none.
    pub value: String,
    pub accepted: bool,
    /// What happened, or why it was refused.
    pub answer: String,
}

#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct HappeningEntry {
    pub t_s: f64,
    /// `timeline`, `trigger` or `instructor`.
    pub source: String,
    /// Label or trigger name, if any.
    pub label: String,
    pub text: String,
}

#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct Remark {
    pub t_s: f64,
    pub who: String,
    pub text: String,
}

/// One run.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct Record {
    pub format: u32,
    pub scenario_name: String,
    /// The scenario file's text.
    pub scenario_text: String,
    /// Who or what played the trainee (`model answer`, a script's name, a user).
    pub trainee: String,
    /// Simulated seconds the run lasted (the instructor may end it early).
    pub ended_s: f64,
    pub sample_s: f64,
    /// Sample times, s: the end of each interval the means cover.
    pub t_s: Vec<f64>,
    /// Signal name → mean over each sample interval (`None`: no valid reading, e.g. a failed
    /// sensor).
    pub signals: BTreeMap<String, Vec<Option<f64>>>,
    pub alarms: Vec<AlarmEntry>,
    pub actions: Vec<ActionEntry>,
    pub happenings: Vec<HappeningEntry>,
    /// Anchor name → the time it fired.
    pub anchors: BTreeMap<String, f64>,
    pub remarks: Vec<Remark>,
    /// Wall-clock seconds the run took (headless runs), for the speed figure.
    pub wall_s: f64,
}

impl Record {
    pub fn to_json(&self) -> String {
        serde_json::to_string(self).unwrap_or_else(|e| format!("{{\"error\":\"{e}\"}}"))
    }

    pub fn from_json(text: &str) -> Result<Record, String> {
        let r: Record = serde_json::from_str(text).map_err(|e| format!("not a run record: {e}"))?;
        if r.format != FORMAT {
            return Err(format!(
                "run record format {} is not the supported {FORMAT}",
                r.format
            ));
        }
        for (name, v) in &r.signals {
            if v.len() != r.t_s.len() {
                return Err(format!(
                    "signal `{name}` has {} samples for {} times",
                    v.len(),
                    r.t_s.len()
                ));
            }
        }
        Ok(r)
    }

    /// The 1-interval means of a signal as (t, value) pairs, skipping missing values.
    pub fn series(&self, name: &str) -> Vec<(f64, f64)> {
        match self.signals.get(name) {
            None => Vec::new(),
            Some(v) => self
                .t_s
                .iter()
                .zip(v)
                .filter_map(|(&t, x)| x.filter(|x| x.is_finite()).map(|x| (t, x)))
                .collect(),
        }
    }
}
