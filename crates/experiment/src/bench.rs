//! The twin's speed: simulated seconds per wall-clock second on one core and on all cores, and
//! the size of one patient instance.
//!
//! The loop is what a console or a batch study does: step at the twin's fixed step with fixed
//! settings and observe once per simulated second. Timing uses `std::time::Instant`, which is
//! why this lives here and not in `physio` (no clocks there).
use crate::Error;
use crate::format::Experiment;
use physio::{Actuation, Twin, TwinConfig};
use std::time::Instant;

/// Adult VV case: severe ARDS, femoro-jugular, 3500 rpm, sweep 5 L/min.
pub const VV_CASE: &str = include_str!("bench/vv.toml");

/// Adult VA case: cardiogenic shock, femoral, 3200 rpm, sweep 4 L/min.
pub const VA_CASE: &str = include_str!("bench/va.toml");

/// Adult VV with everything that responds switched on: the severe-ARDS patient on a ventilator
/// (pressure control, PEEP 10) and a norepinephrine infusion, the baroreflex and the
/// cardiopulmonary reflex at their published gains (the presets have them at 0) (issue 15:
/// bench-sim at or above 2000x with reflexes, drugs and the ventilator active).
pub const VV_ACTIVE_CASE: &str = include_str!("bench/vv_active.toml");

/// Healthy adult, no circuit: the reference for [`NEONATE_WEIGHT_KG`].
pub const ADULT_NO_CIRCUIT_CASE: &str = include_str!("bench/adult_no_circuit.toml");

/// Weight of the neonate timed against the adult: a term newborn (issue 15: the neonate runs at
/// least as fast as the adult).
pub const NEONATE_WEIGHT_KG: f64 = 3.5;

/// One timing.
#[derive(Clone, Debug)]
pub struct Speed {
    pub name: String,
    pub instances: usize,
    pub threads: usize,
    pub simulated_s: f64,
    pub wall_s: f64,
}

impl Speed {
    /// Simulated seconds per wall-clock second (all instances together).
    pub fn ratio(&self) -> f64 {
        self.simulated_s / self.wall_s
    }
}

/// A bench case: the twin, its settings and the events it starts with (the timeline's entries
/// at time 0; the bench cases have no later ones).
struct Case {
    config: TwinConfig,
    act: Actuation,
    events: Vec<physio::Event>,
}

fn prepare(text: &str) -> Result<Case, Error> {
    let exp = Experiment::from_toml(text)?;
    let (config, act) = exp.twin_config()?;
    let events = exp
        .timeline
        .iter()
        .filter(|e| e.at_s <= 0.0)
        .filter_map(|e| e.event)
        .collect();
    Ok(Case {
        config,
        act,
        events,
    })
}

/// The healthy neonate of [`NEONATE_WEIGHT_KG`], scaled from the adult (`physio::sizes`), no
/// circuit.
fn neonate() -> Result<Case, Error> {
    let patient = physio::sizes::scaled_patient(NEONATE_WEIGHT_KG)
        .map_err(|e| Error::new(e.field, e.message))?;
    let config = TwinConfig {
        patient,
        circuit: physio::presets::circuit_for(physio::twin::Configuration::None),
        seed: 1,
    };
    let act = physio::presets::default_actuation(&config);
    Ok(Case {
        config,
        act,
        events: Vec::new(),
    })
}

/// Step one twin for `seconds` of simulated time; returns a checksum so the work is not
/// optimised away.
fn drive(case: &Case, seconds: f64) -> Result<f64, Error> {
    let act = &case.act;
    let mut twin = Twin::new(&case.config).map_err(|e| Error::new(e.field, e.message))?;
    for e in &case.events {
        twin.apply(e).map_err(|e| Error::new(e.field, e.message))?;
    }
    let steps_per_s = (1.0 / Twin::DT_S).round() as u64;
    let whole = seconds.ceil() as u64;
    let mut acc = 0.0;
    for _ in 0..whole {
        for _ in 0..steps_per_s {
            twin.step(act);
        }
        let o = twin.observe();
        acc += std::hint::black_box(o.circuit_flow_lpm + o.map_mmhg);
    }
    Ok(acc)
}

/// Single-core speed of one experiment text over `seconds` of simulated time.
pub fn single(text: &str, seconds: f64) -> Result<Speed, Error> {
    let name = Experiment::from_toml(text)?.name.unwrap_or_default();
    time_one(&prepare(text)?, name, seconds)
}

/// Single-core speed of the healthy neonate ([`NEONATE_WEIGHT_KG`], no circuit).
pub fn single_neonate(seconds: f64) -> Result<Speed, Error> {
    let name = format!("bench: healthy neonate {NEONATE_WEIGHT_KG} kg, no circuit");
    time_one(&neonate()?, name, seconds)
}

fn time_one(case: &Case, name: String, seconds: f64) -> Result<Speed, Error> {
    // One simulated second first, so page faults and cold caches are not timed.
    drive(case, 1.0)?;
    let t0 = Instant::now();
    let acc = drive(case, seconds)?;
    let wall = t0.elapsed().as_secs_f64();
    std::hint::black_box(acc);
    Ok(Speed {
        name,
        instances: 1,
        threads: 1,
        simulated_s: seconds.ceil(),
        wall_s: wall,
    })
}

/// Throughput of `threads` threads, each running `per_thread` patients one after another,
/// alternating the VV and VA cases, `seconds` each.
pub fn batch(threads: usize, per_thread: usize, seconds: f64) -> Result<Speed, Error> {
    let vv = prepare(VV_CASE)?;
    let va = prepare(VA_CASE)?;
    let t0 = Instant::now();
    let results: Vec<Result<f64, Error>> = std::thread::scope(|s| {
        let handles: Vec<_> = (0..threads)
            .map(|t| {
                let (vv, va) = (&vv, &va);
                s.spawn(move || {
                    let mut acc = 0.0;
                    for i in 0..per_thread {
                        let case = if (t + i) % 2 == 0 { vv } else { va };
                        acc += drive(case, seconds)?;
                    }
                    Ok(acc)
                })
            })
            .collect();
        handles
            .into_iter()
            .map(|h| {
                h.join()
                    .unwrap_or_else(|_| Err(Error::new("", "a bench thread panicked")))
            })
            .collect()
    });
    let wall = t0.elapsed().as_secs_f64();
    for r in results {
        std::hint::black_box(r?);
    }
    Ok(Speed {
        name: "batch: VV and VA alternating".into(),
        instances: threads * per_thread,
        threads,
        simulated_s: (threads * per_thread) as f64 * seconds.ceil(),
        wall_s: wall,
    })
}

/// Bytes of one patient-and-circuit instance (`Twin` holds no heap data of its own size).
pub fn twin_size() -> usize {
    std::mem::size_of::<Twin>()
}
