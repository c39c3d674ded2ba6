//! Test helpers: a unit whose sensors follow its setpoints, with a switchable air detector.
#![allow(dead_code)]

use devlink::{ConsoleEvent, ConsoleLink, UnitConfig, UnitEndpoint, UnitSample};
use protocol::msg::state;
use protocol::{ClampState, SensorValues, Setpoints};
use std::net::{SocketAddr, TcpListener};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

/// A unit with ideal actuators: measured speed = commanded speed, flow 1 L/min per 1000 rpm
/// with the clamp open. `air` switches the bubble detector.
pub fn sim_unit(air: Arc<AtomicBool>) -> UnitEndpoint {
    UnitEndpoint::start(UnitConfig::default(), move |sp: &Setpoints, _now: u64| {
        let open = sp.clamp == ClampState::Open;
        UnitSample {
            values: SensorValues {
                speed_rpm: Some(sp.pump_rpm as f32),
                flow_lpm: Some(if open {
                    sp.pump_rpm as f32 / 1000.0
                } else {
                    0.0
                }),
                p_drainage_mmhg: Some(-40.0),
                sweep_lpm: Some(sp.sweep_ml_min as f32 / 1000.0),
                fdo2: Some(sp.fdo2_permille as f32 / 1000.0),
                battery: Some(1.0),
                battery_min: Some(120.0),
                bubble_ul: Some(if air.load(Ordering::Relaxed) {
                    50.0
                } else {
                    0.0
                }),
                ..Default::default()
            },
            air: air.load(Ordering::Relaxed),
            state: state::MAINS | if open { 0 } else { state::CLAMP_CLOSED },
        }
    })
    .expect("start unit")
}

/// A simulated unit listening on a free loopback port.
pub fn tcp_unit(air: Arc<AtomicBool>) -> (UnitEndpoint, SocketAddr) {
    let unit = sim_unit(air);
    let listener = TcpListener::bind("127.0.0.1:0").expect("bind");
    let addr = listener.local_addr().expect("addr");
    unit.listen(listener).expect("listen");
    (unit, addr)
}

/// Polls `cond` until it holds or `limit` passes.
pub fn wait_until(limit: Duration, mut cond: impl FnMut() -> bool) -> bool {
    let t0 = Instant::now();
    while t0.elapsed() < limit {
        if cond() {
            return true;
        }
        std::thread::sleep(Duration::from_millis(5));
    }
    cond()
}

/// Drains events for `d`, returning them.
pub fn collect_events(link: &ConsoleLink, d: Duration) -> Vec<ConsoleEvent> {
    let t0 = Instant::now();
    let mut out = Vec::new();
    while t0.elapsed() < d {
        if let Ok(e) = link.events().recv_timeout(Duration::from_millis(10)) {
            out.push(e);
        }
    }
    out
}
