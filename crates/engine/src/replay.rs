//! Play a recording back into the console at a chosen speed.
//!
//! The replay thread stands where the loop stands: it feeds the same hub with the recorded
//! waveforms (re-stamped with the wall clock of replay, so the screen's latency figures stay
//! meaningful), the recorded events, and a status rebuilt from the record: numerics from the 1 Hz
//! table, the alarm list from the `alarm_on`/`alarm_off` events, the settings from the run's
//! starting configuration plus every `applied` command. Nothing is written back.
//!
//! The recording itself is read through [`Recording`]: the console's store implements it over
//! SQLite, so this crate holds the replay's logic and no database code.
use crate::engine::{LoopOut, LoopStats, Status};
use crate::model::{Alarm, AlarmStatus, Command, EventRec, Numerics, Settings, Wave, wall_ms};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::mpsc::SyncSender;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// Apply a recorded command to a settings view (what the control core would now show).
pub fn apply_to_settings(s: &mut Settings, cmd: &Command) {
    match cmd {
        Command::Mode { mode } => s.mode = mode.clone(),
        Command::Param { name, value } => {
            if let Some(p) = s.params.iter_mut().find(|p| &p.name == name) {
                p.value = *value;
            }
        }
        Command::Switch { name, on } => {
            if let Some(p) = s.switches.iter_mut().find(|p| &p.name == name) {
                p.on = *on;
            }
        }
        _ => {}
    }
}

pub struct ReplayInput {
    pub settings: Settings,
    pub start_t: f64,
    pub end_t: f64,
}

/// A recorded run, read in time order by the replay.
pub trait Recording {
    /// The waveform samples with `from < t <= to`.
    fn waves(&mut self, from: f64, to: f64) -> Result<Vec<Wave>, String>;
    /// Up to `limit` events with an id above `after`, in id order.
    fn events(&mut self, after: i64, limit: usize) -> Result<Vec<(i64, EventRec)>, String>;
    /// The latest 1 Hz numerics at or before `t`, if any.
    fn numerics_at(&mut self, t: f64) -> Option<Numerics>;
}

/// Run the replay until the end of the recording or `stop`. `pos_ms` follows the replay's
/// simulated time (for trend and event queries).
#[allow(clippy::too_many_arguments)]
pub fn run_replay(
    rec: &mut dyn Recording,
    input: ReplayInput,
    speed: f64,
    out: SyncSender<LoopOut>,
    latest: Arc<Mutex<Option<Arc<Status>>>>,
    stats: Arc<LoopStats>,
    pos_ms: Arc<AtomicU64>,
    stop: Arc<AtomicBool>,
) -> Result<(), String> {
    let mut settings = input.settings;
    let mut alarms: Vec<Alarm> = Vec::new();
    let mut numerics = Numerics::default();
    let mut cur = input.start_t - 1e-9;
    let mut last_event_id = 0i64;
    let started = Instant::now();
    let mut last_status = Instant::now() - Duration::from_secs(1);
    while !stop.load(Ordering::Relaxed) {
        let target = (input.start_t + started.elapsed().as_secs_f64() * speed).min(input.end_t);
        for w in rec.waves(cur, target)? {
            let _ = out.try_send(LoopOut::Wave(w, wall_ms()));
            stats.ticks.fetch_add(1, Ordering::Relaxed);
        }
        for (id, e) in rec.events(last_event_id, 500)? {
            if e.t > target {
                break;
            }
            last_event_id = id;
            match e.kind.as_str() {
                "alarm_on" => {
                    if let Ok(a) = serde_json::from_value::<Alarm>(e.detail.clone()) {
                        alarms.retain(|x| x.id != a.id);
                        alarms.push(a);
                    }
                }
                "alarm_off" => {
                    let id = e.detail.get("id").and_then(|v| v.as_str()).unwrap_or("");
                    alarms.retain(|x| x.id != id);
                }
                "applied" => {
                    if let Some(req) = e.detail.get("request")
                        && let Ok(cmd) = serde_json::from_value::<Command>(req.clone())
                    {
                        apply_to_settings(&mut settings, &cmd);
                    }
                }
                _ => {}
            }
            let _ = out.try_send(LoopOut::Event(e));
        }
        cur = target;
        pos_ms.store((cur * 1000.0).max(0.0) as u64, Ordering::Relaxed);
        stats
            .sim_ms
            .store((cur * 1000.0).max(0.0) as u64, Ordering::Relaxed);
        if last_status.elapsed() >= Duration::from_millis(250) {
            last_status = Instant::now();
            if let Some(n) = rec.numerics_at(cur) {
                numerics = n;
            }
            let st = Arc::new(Status {
                t: cur,
                numerics: numerics.clone(),
                alarms: AlarmStatus {
                    alarms: alarms.clone(),
                    audio_paused_s: None,
                    pausable: false,
                },
                settings: settings.clone(),
                injections: Vec::new(),
                loop_stats: stats.snapshot(),
                link: None,
            });
            if let Ok(mut l) = latest.lock() {
                *l = Some(st.clone());
            }
            let _ = out.try_send(LoopOut::Status(Box::new((*st).clone())));
        }
        if cur >= input.end_t {
            // The end: the last status stays on screen.
            std::thread::sleep(Duration::from_millis(200));
            continue;
        }
        std::thread::sleep(Duration::from_millis(10));
    }
    Ok(())
}
