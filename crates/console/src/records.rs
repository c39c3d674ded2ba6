//! What a recording says about earlier runs: the gap a killed console left, and the training
//! record of a run. These read the database, so they live here and not in the engines.
use crate::store;
use serde_json::Value;
use std::path::Path;
use training::Record;

/// What the database says about the recording before this one: the run, the wall-clock time
/// of its last waveform sample, and the gap until `now_ms`. `None` for a fresh database. A
/// console killed with SIGKILL leaves its run without an end; the gap is what the recording
/// lacks between the two runs (the unit kept the pump turning meanwhile).
pub fn recording_gap(db: &Path, now_ms: i64) -> Option<serde_json::Value> {
    let c = store::open_ro(db).ok()?;
    let (run, ended, last_wall, last_t): (i64, Option<i64>, Option<i64>, Option<f64>) = c
        .query_row(
            "SELECT id, ended_ms,
                (SELECT MAX(wall_ms) FROM wave WHERE run = runs.id),
                (SELECT MAX(t) FROM wave WHERE run = runs.id)
             FROM runs WHERE kind = 'live' ORDER BY id DESC LIMIT 1",
            [],
            |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?)),
        )
        .ok()?;
    let last = last_wall?;
    Some(serde_json::json!({
        "previous_run": run,
        "previous_closed": ended.is_some(),
        "previous_last_wall_ms": last,
        "previous_last_t_s": last_t,
        "gap_s": (now_ms - last) as f64 / 1000.0,
    }))
}

/// The training record of a console recording: the last `training_record` event of the run,
/// with the instructors' remarks (recorded by the server as `remark` events) added.
pub fn record_from_db(db: &Path, run: Option<i64>) -> Result<Record, String> {
    let c = store::open_ro(db).map_err(|e| format!("{}: {}", db.display(), e.0))?;
    let run = match run {
        Some(r) => r,
        None => store::last_run(&c)
            .map_err(|e| e.0)?
            .ok_or_else(|| format!("{}: no runs recorded", db.display()))?,
    };
    let mut record: Option<Record> = None;
    let mut remarks = Vec::new();
    // Who worked the console: the users whose commands reached the loop (trainees).
    let mut operators: Vec<String> = Vec::new();
    let mut after = 0;
    loop {
        let batch = store::events(&c, run, after, 1000).map_err(|e| e.0)?;
        if batch.is_empty() {
            break;
        }
        for (id, e) in &batch {
            after = *id;
            match e.kind.as_str() {
                "applied" | "refused"
                    if e.detail["request"].get("inject").is_none()
                        && !operators.contains(&e.user) =>
                {
                    operators.push(e.user.clone());
                }
                "training_record" => {
                    let v = e.detail.get("record").cloned().unwrap_or(Value::Null);
                    record =
                        Some(serde_json::from_value(v).map_err(|err| {
                            format!("run {run}: training record unreadable: {err}")
                        })?);
                }
                "remark" => remarks.push(training::record::Remark {
                    t_s: e.t,
                    who: e.user.clone(),
                    text: e
                        .detail
                        .get("text")
                        .and_then(Value::as_str)
                        .unwrap_or("")
                        .to_string(),
                }),
                _ => {}
            }
        }
    }
    let mut record = record.ok_or_else(|| {
        format!(
            "run {run} of {} has no training record: was it served with --training, and was the scenario ended (by its duration or the instructor)?",
            db.display()
        )
    })?;
    if !operators.is_empty() {
        record.trainee = operators.join(", ");
    }
    record.remarks.extend(remarks);
    record.remarks.sort_by(|a, b| a.t_s.total_cmp(&b.t_s));
    Ok(record)
}
