//! # engine — the loop behind the console: what runs, and what the screen is shown of it
//!
//! The console (crate `console`) serves browsers, checks roles and records; everything that
//! *runs* — the twin under the control core, a pump unit over the device protocol, a training
//! scenario, a recording played back — lives here, behind one boundary, [`Engine`], driven by
//! one real-time loop, [`run_loop`].
//!
//! ## Code map
//!
//! - [`engine`] — the [`Engine`] trait (the contract every engine keeps: called on the loop
//!   thread only, never blocking, never panicking), [`run_loop`] and the bounded channels it
//!   talks through ([`LoopIn`], [`LoopOut`], [`Status`], [`LoopStats`]).
//! - [`live`] — [`live::SilEngine`], the product's engine: `sil` (twin, sensor layer, control
//!   core) seen through the boundary; also what every engine shares (command translation, the
//!   alarm and settings views, the screen's running means and frame numerics).
//! - [`device`] — [`device::DeviceEngine`], the control core driving a pump unit over
//!   `devlink` (`ecmo serve --device`).
//! - [`scenario_engine`] — [`scenario_engine::ScenarioEngine`], a training scenario wrapped
//!   around the live engine (`ecmo serve --training`).
//! - [`replay`] — a recording played back into the same outlets, read through the
//!   [`replay::Recording`] trait (the console implements it over its SQLite store).
//! - [`model`] — the screen's views (numerics, waves, alarms, settings, commands, events):
//!   the wire and recording format, so they derive serde here and nowhere below.
//!
//! ## Invariants
//!
//! - The loop never waits for the network, the disk or a browser: every channel it touches is
//!   bounded and used with `try_send`/`try_recv` (CON-2).
//! - No engine does I/O on the loop thread; an engine that talks to hardware does it on its own
//!   thread behind bounded queues (the device engine through `devlink::DeviceHal`).
//! - This crate opens no database, socket or listener of its own: the console owns those and
//!   hands the loop its channels.
pub mod device;
pub mod engine;
pub mod live;
pub mod model;
pub mod replay;
pub mod scenario_engine;

pub use engine::{
    Engine, LoopConfig, LoopIn, LoopOut, LoopSnapshot, LoopStats, Outlets, Status, run_loop,
};

/// Ask for real-time scheduling for the calling thread (the loop's): `SCHED_FIFO` at a low
/// real-time priority, else nice -10, so that other work on a busy machine does not delay its
/// wake-ups. The loop works about 0.3 ms of every 10 ms, so it cannot starve the machine. Needs
/// CAP_SYS_NICE (or root); without it the thread keeps its priority. Returns what it got.
///
/// The I/O threads are deliberately left at normal priority: lowering them would let a busy
/// machine starve one while it holds a channel's wake-up lock the loop needs (priority
/// inversion), which measured worse than leaving them alone.
pub fn loop_thread_priority() -> &'static str {
    #[cfg(target_os = "linux")]
    // SAFETY: `param` is a valid sched_param that outlives the call; setpriority takes plain
    // integers. On Linux both act on the calling thread when given 0 (scheduling policy and nice
    // value are per thread).
    unsafe {
        let param = libc::sched_param { sched_priority: 10 };
        if libc::sched_setscheduler(0, libc::SCHED_FIFO, &param) == 0 {
            return "SCHED_FIFO 10";
        }
        if libc::setpriority(libc::PRIO_PROCESS as _, 0, -10) == 0 {
            return "nice -10";
        }
    }
    "normal"
}
