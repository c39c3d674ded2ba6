//! Play a recording back: the console's side of [`engine::replay`]. It checks the run, reads
//! where it starts and ends, and serves the replay thread from the SQLite recording through
//! [`engine::replay::Recording`]. Nothing is written back.
use crate::store::{self, StoreError};
use engine::model::{EventRec, Numerics, Settings, Wave};
use engine::replay::{Recording, ReplayInput};
use rusqlite::Connection;
use std::path::Path;

/// Check the run exists and read where it starts and ends.
pub fn prepare(db: &Path, run: i64) -> Result<ReplayInput, StoreError> {
    let c = store::open_ro(db)?;
    let cfg = store::run_config(&c, run)?;
    let settings: Settings = cfg
        .get("settings")
        .cloned()
        .and_then(|v| serde_json::from_value(v).ok())
        .unwrap_or_default();
    let (start_t, end_t): (Option<f64>, Option<f64>) = c
        .query_row(
            "SELECT MIN(t), MAX(t) FROM wave WHERE run = ?1",
            [run],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )
        .map_err(|e| StoreError(format!("reading run {run}: {e}")))?;
    let patient = cfg
        .get("engine")
        .and_then(|e| patient_of(e, cfg.get("patient")));
    match (start_t, end_t) {
        (Some(a), Some(b)) => Ok(ReplayInput {
            settings,
            start_t: a,
            end_t: b,
            patient,
        }),
        _ => Err(StoreError(format!(
            "run {run} holds no waveforms to replay"
        ))),
    }
}

/// The patient line of a recorded run: as recorded (`patient` in the run's configuration), or
/// rebuilt from the engine's description (scenario, configuration, weight) for older runs.
fn patient_of(
    engine: &serde_json::Value,
    recorded: Option<&serde_json::Value>,
) -> Option<engine::model::PatientView> {
    if let Some(p) = recorded.and_then(|p| serde_json::from_value(p.clone()).ok()) {
        return Some(p);
    }
    let id = engine.get("scenario")?.as_str()?.to_string();
    let weight_kg = engine.get("patient")?.get("weight_kg")?.as_f64()?;
    Some(engine::model::PatientView {
        id,
        configuration: engine
            .get("configuration")
            .and_then(|c| c.as_str())
            .unwrap_or("")
            .to_string(),
        weight_kg,
        bsa_m2: (engine::model::bsa_m2(weight_kg) * 100.0).round() / 100.0,
    })
}

/// One run of a recording database, read-only.
struct DbRecording {
    c: Connection,
    run: i64,
}

impl Recording for DbRecording {
    fn waves(&mut self, from: f64, to: f64) -> Result<Vec<Wave>, String> {
        store::waves(&self.c, self.run, from, to).map_err(|e| e.0)
    }
    fn events(&mut self, after: i64, limit: usize) -> Result<Vec<(i64, EventRec)>, String> {
        store::events(&self.c, self.run, after, limit).map_err(|e| e.0)
    }
    fn numerics_at(&mut self, t: f64) -> Option<Numerics> {
        let row: Option<String> = self
            .c
            .query_row(
                "SELECT data FROM numerics WHERE run = ?1 AND t <= ?2 ORDER BY t DESC LIMIT 1",
                rusqlite::params![self.run, t],
                |r| r.get(0),
            )
            .ok();
        row.and_then(|s| serde_json::from_str(&s).ok())
    }
}

/// The SQLite recording of run `run` of `db`, for [`engine::replay::run_replay`].
pub fn open_recording(db: &Path, run: i64) -> Result<impl Recording, StoreError> {
    Ok(DbRecording {
        c: store::open_ro(db)?,
        run,
    })
}
