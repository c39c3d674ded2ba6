//! Play a recording back into the console, with transport controls.
//!
//! The replay thread stands where the loop stands: it feeds the same hub with the recorded
//! waveforms (re-stamped with the wall clock of replay, so the screen's latency figures stay
//! meaningful), the recorded events, and a status rebuilt from the record: numerics from the 1 Hz
//! table, the alarm list from the `alarm_on`/`alarm_off` events, the settings from the run's
//! starting configuration plus every `applied` command. Nothing is written back.
//!
//! The position moves at `speed` × real time while playing; [`ReplayControl`] pauses, plays,
//! seeks and changes the speed (the server's `POST /api/replay`). A seek rebuilds the alarm list
//! and the settings from the start of the record up to the new position (events carry state,
//! so jumping over them would show a wrong alarm list), without sending the skipped waveforms
//! or events to the screens. At the end the position stays there and the status says so
//! (`ReplayView::ended`), so the screen can say "end of recording" instead of "no data".
//!
//! The recording itself is read through [`Recording`]: the console's store implements it over
//! SQLite, so this crate holds the replay's logic and no database code.
use crate::engine::{LoopOut, LoopStats, Status};
use crate::model::{
    Alarm, AlarmStatus, Command, EventRec, Numerics, PatientView, ReplayView, Settings, Wave,
    wall_ms,
};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::mpsc::SyncSender;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// Slowest and fastest replay speeds (× real time). Above 1000 × one 10 ms pass would read
/// 10 s of 100 Hz waveforms at once.
pub const SPEED_RANGE: (f64, f64) = (0.1, 1000.0);

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
    /// The recorded run's patient line, if its configuration says.
    pub patient: Option<PatientView>,
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

/// What the operator asked of the replay's transport, taken by the replay thread at its next
/// pass (every 10 ms).
#[derive(Clone, Copy, Debug, PartialEq)]
struct Transport {
    playing: bool,
    speed: f64,
    seek: Option<f64>,
}

/// The replay's transport controls, shared between the server (which sets them) and the
/// replay thread (which obeys them).
#[derive(Debug)]
pub struct ReplayControl {
    t: Mutex<Transport>,
}

impl ReplayControl {
    /// Playing at `speed` × real time from the start.
    pub fn new(speed: f64) -> ReplayControl {
        ReplayControl {
            t: Mutex::new(Transport {
                playing: true,
                speed,
                seek: None,
            }),
        }
    }

    fn with<R>(&self, f: impl FnOnce(&mut Transport) -> R) -> R {
        match self.t.lock() {
            Ok(mut g) => f(&mut g),
            Err(p) => f(&mut p.into_inner()),
        }
    }

    pub fn play(&self, on: bool) {
        self.with(|t| t.playing = on);
    }

    /// Change the speed; refused outside [`SPEED_RANGE`].
    pub fn set_speed(&self, speed: f64) -> Result<(), String> {
        let (lo, hi) = SPEED_RANGE;
        if !(speed.is_finite() && (lo..=hi).contains(&speed)) {
            return Err(format!("speed {speed}: allowed {lo}..={hi} × real time"));
        }
        self.with(|t| t.speed = speed);
        Ok(())
    }

    /// Jump to simulated time `t` (clamped into the recording by the replay thread).
    pub fn seek(&self, t: f64) -> Result<(), String> {
        if !t.is_finite() {
            return Err(format!("seek to {t}: not a time"));
        }
        self.with(|x| x.seek = Some(t));
        Ok(())
    }

    fn take(&self) -> Transport {
        self.with(|t| {
            let now = *t;
            t.seek = None;
            now
        })
    }

    /// Playing, and at what speed.
    pub fn state(&self) -> (bool, f64) {
        self.with(|t| (t.playing, t.speed))
    }
}

/// The state a replay rebuilds from the record's events.
struct Rebuilt {
    settings: Settings,
    alarms: Vec<Alarm>,
    last_event_id: i64,
}

impl Rebuilt {
    /// Take one recorded event into the alarm list and the settings.
    fn take(&mut self, id: i64, e: &EventRec) {
        self.last_event_id = id;
        match e.kind.as_str() {
            "alarm_on" => {
                if let Ok(a) = serde_json::from_value::<Alarm>(e.detail.clone()) {
                    self.alarms.retain(|x| x.id != a.id);
                    self.alarms.push(a);
                }
            }
            "alarm_off" => {
                let id = e.detail.get("id").and_then(|v| v.as_str()).unwrap_or("");
                self.alarms.retain(|x| x.id != id);
            }
            "applied" => {
                if let Some(req) = e.detail.get("request")
                    && let Ok(cmd) = serde_json::from_value::<Command>(req.clone())
                {
                    apply_to_settings(&mut self.settings, &cmd);
                }
            }
            _ => {}
        }
    }
}

/// Run the replay until `stop`. `pos_ms` follows the replay's simulated time (for trend and
/// event queries); `control` is its transport.
#[allow(clippy::too_many_arguments)]
pub fn run_replay(
    rec: &mut dyn Recording,
    input: ReplayInput,
    control: Arc<ReplayControl>,
    out: SyncSender<LoopOut>,
    latest: Arc<Mutex<Option<Arc<Status>>>>,
    stats: Arc<LoopStats>,
    pos_ms: Arc<AtomicU64>,
    stop: Arc<AtomicBool>,
) -> Result<(), String> {
    let fresh = |settings: &Settings| Rebuilt {
        settings: settings.clone(),
        alarms: Vec::new(),
        last_event_id: 0,
    };
    let mut state = fresh(&input.settings);
    let mut numerics = Numerics::default();
    let mut cur = input.start_t - 1e-9;
    let mut last_pass = Instant::now();
    let mut last_status = Instant::now() - Duration::from_secs(1);
    while !stop.load(Ordering::Relaxed) {
        let tr = control.take();
        let elapsed = last_pass.elapsed().as_secs_f64();
        last_pass = Instant::now();
        let mut publish = false;
        if let Some(to) = tr.seek {
            let to = to.clamp(input.start_t, input.end_t);
            if to < cur {
                state = fresh(&input.settings);
            }
            // Events carry state: take every one up to the new position, send none.
            loop {
                let batch = rec.events(state.last_event_id, 500)?;
                let n = batch.len();
                let mut past = false;
                for (id, e) in batch {
                    if e.t > to {
                        past = true;
                        break;
                    }
                    state.take(id, &e);
                }
                if past || n < 500 {
                    break;
                }
            }
            cur = to;
            numerics = rec.numerics_at(cur).unwrap_or_default();
            publish = true;
        } else if tr.playing && cur < input.end_t {
            let target = (cur + elapsed * tr.speed).min(input.end_t);
            for w in rec.waves(cur, target)? {
                let _ = out.try_send(LoopOut::Wave(w, wall_ms()));
                stats.ticks.fetch_add(1, Ordering::Relaxed);
            }
            for (id, e) in rec.events(state.last_event_id, 500)? {
                if e.t > target {
                    break;
                }
                state.take(id, &e);
                let _ = out.try_send(LoopOut::Event(e));
            }
            cur = target;
        }
        pos_ms.store((cur * 1000.0).max(0.0) as u64, Ordering::Relaxed);
        stats
            .sim_ms
            .store((cur * 1000.0).max(0.0) as u64, Ordering::Relaxed);
        if publish || last_status.elapsed() >= Duration::from_millis(250) {
            last_status = Instant::now();
            if let Some(n) = rec.numerics_at(cur) {
                numerics = n;
            }
            let st = Arc::new(Status {
                t: cur,
                numerics: numerics.clone(),
                alarms: AlarmStatus {
                    alarms: state.alarms.clone(),
                    audio_paused_s: None,
                    pausable: false,
                },
                settings: state.settings.clone(),
                injections: Vec::new(),
                loop_stats: stats.snapshot(),
                link: None,
                patient: input.patient.clone(),
                training: None,
                replay: Some(ReplayView {
                    start_t: input.start_t,
                    end_t: input.end_t,
                    t: cur.max(input.start_t),
                    playing: tr.playing && cur < input.end_t,
                    speed: tr.speed,
                    ended: cur >= input.end_t,
                }),
            });
            if let Ok(mut l) = latest.lock() {
                *l = Some(st.clone());
            }
            let _ = out.try_send(LoopOut::Status(Box::new((*st).clone())));
        }
        std::thread::sleep(Duration::from_millis(10));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::mpsc::sync_channel;

    /// A recording of 10 s: waves at 10 Hz, an alarm on at 2 s and off at 6 s.
    struct Fake;
    impl Recording for Fake {
        fn waves(&mut self, from: f64, to: f64) -> Result<Vec<Wave>, String> {
            Ok((0..=100)
                .map(|i| i as f64 / 10.0)
                .filter(|t| *t > from && *t <= to)
                .map(|t| Wave {
                    t,
                    ..Wave::default()
                })
                .collect())
        }
        fn events(&mut self, after: i64, limit: usize) -> Result<Vec<(i64, EventRec)>, String> {
            let ev = |t: f64, kind: &str, detail: serde_json::Value| EventRec {
                t,
                wall_ms: 0,
                kind: kind.into(),
                user: "system".into(),
                detail,
            };
            let alarm = serde_json::json!({"id": "flow_low", "req": "ALM-1", "priority": "high",
                "technical": false, "text": "Flow low", "action": "", "active": true,
                "latched": false, "acknowledged": false});
            let all = vec![
                (1, ev(2.0, "alarm_on", alarm)),
                (
                    2,
                    ev(6.0, "alarm_off", serde_json::json!({"id": "flow_low"})),
                ),
            ];
            Ok(all
                .into_iter()
                .filter(|(id, _)| *id > after)
                .take(limit)
                .collect())
        }
        fn numerics_at(&mut self, t: f64) -> Option<Numerics> {
            Some(Numerics {
                t: t.floor(),
                ..Numerics::default()
            })
        }
    }

    fn status_when(
        latest: &Arc<Mutex<Option<Arc<Status>>>>,
        what: impl Fn(&Status) -> bool,
    ) -> Arc<Status> {
        let t0 = Instant::now();
        loop {
            if let Some(s) = latest.lock().unwrap().clone()
                && what(&s)
            {
                return s;
            }
            assert!(t0.elapsed() < Duration::from_secs(10), "status never came");
            std::thread::sleep(Duration::from_millis(5));
        }
    }

    #[test]
    fn pause_seek_and_end_of_recording() {
        let control = Arc::new(ReplayControl::new(1.0));
        control.play(false);
        let (tx, rx) = sync_channel(100_000);
        let latest = Arc::new(Mutex::new(None));
        let stop = Arc::new(AtomicBool::new(false));
        let (c, l, st) = (control.clone(), latest.clone(), stop.clone());
        let th = std::thread::spawn(move || {
            let input = ReplayInput {
                settings: Settings::default(),
                start_t: 0.0,
                end_t: 10.0,
                patient: None,
            };
            run_replay(
                &mut Fake,
                input,
                c,
                tx,
                l,
                Arc::new(LoopStats::default()),
                Arc::new(AtomicU64::new(0)),
                st,
            )
        });
        // Paused: the position stays at the start.
        std::thread::sleep(Duration::from_millis(300));
        let s = status_when(&latest, |_| true);
        let r = s.replay.clone().unwrap();
        assert!(!r.playing && r.t < 0.01 && !r.ended, "{r:?}");
        // A seek into the alarm rebuilds the alarm list; out of it, clears it again.
        control.seek(4.0).unwrap();
        let s = status_when(&latest, |s| s.t == 4.0);
        assert_eq!(s.alarms.alarms.len(), 1, "alarm on at 2 s is shown at 4 s");
        control.seek(1.0).unwrap();
        let s = status_when(&latest, |s| s.t == 1.0);
        assert!(
            s.alarms.alarms.is_empty(),
            "backwards seek forgets the alarm"
        );
        // Fast to the end: the status says so, and the position stays there.
        control.set_speed(100.0).unwrap();
        assert!(control.set_speed(0.0).is_err());
        control.play(true);
        let s = status_when(&latest, |s| s.replay.as_ref().is_some_and(|r| r.ended));
        assert_eq!(s.t, 10.0);
        assert!(s.alarms.alarms.is_empty(), "the alarm ended at 6 s");
        stop.store(true, Ordering::Relaxed);
        th.join().unwrap().unwrap();
        // Waves were sent only while playing, from the seek position on (after 1 s).
        let waves: Vec<f64> = rx
            .try_iter()
            .filter_map(|m| match m {
                LoopOut::Wave(w, _) => Some(w.t),
                _ => None,
            })
            .collect();
        assert!(waves.iter().all(|t| *t > 1.0 - 1e-9), "{waves:?}");
        assert!(waves.len() >= 85, "{} waves", waves.len());
    }
}
