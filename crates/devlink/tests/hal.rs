//! The unit as the control core's hardware: `DeviceHal` over TCP, with a proxy that can cut
//! the connection to test reconnection.

mod common;

use common::*;
use control::hal::{Actuators, SensorSource};
use control::{ActuatorCommands, ErrorKind, SensorFrame};
use devlink::{ConsoleConfig, DeviceHal, LinkState, Transport, UnitEndpoint};
use protocol::ClampState;
use protocol::msg::fault;
use std::io::{Read, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

fn hal_to(addr: SocketAddr) -> DeviceHal {
    DeviceHal::start(
        move || Transport::connect_tcp(&addr.to_string(), Duration::from_millis(500)),
        ConsoleConfig::default(),
    )
    .unwrap()
}

/// Waits (up to 2 s) until the HAL's link is up.
fn wait_link_up(hal: &DeviceHal) {
    assert!(wait_until(Duration::from_secs(2), || matches!(
        hal.link_state(),
        LinkState::Up { .. }
    )));
}

/// Waits for the link, sets 3000 rpm through the HAL and waits (up to 1 s) until the unit's
/// pump turns at it.
fn run_at_3000(hal: &mut DeviceHal, unit: &UnitEndpoint) {
    wait_link_up(hal);
    hal.apply(0, &running(3000.0)).unwrap();
    assert!(wait_until(Duration::from_secs(1), || unit
        .outputs()
        .pump_rpm
        == 3000));
}

fn running(rpm: f32) -> ActuatorCommands {
    ActuatorCommands {
        pump_rpm: rpm,
        return_clamp_closed: false,
        sweep_lpm: 3.0,
        fdo2: 0.8,
        heater_c: 37.0,
    }
}

/// The unit drives every setpoint of `running(rpm)`: the pump's, the gas's and the heater's.
fn took_running(unit: &UnitEndpoint, rpm: u16) -> bool {
    let o = unit.outputs();
    o.pump_rpm == rpm
        && o.sweep_ml_min == 3000
        && o.fdo2_permille == 800
        && o.heater_centi_c == 3700
}

fn stopped() -> ActuatorCommands {
    ActuatorCommands {
        pump_rpm: 0.0,
        return_clamp_closed: true,
        sweep_lpm: 3.0,
        fdo2: 0.8,
        heater_c: 37.0,
    }
}

#[test]
fn controller_commands_reach_the_unit_and_sensors_come_back() {
    let (unit, addr) = tcp_unit(Arc::new(AtomicBool::new(false)));
    let mut hal = hal_to(addr);
    assert!(wait_until(Duration::from_secs(2), || matches!(
        hal.link_state(),
        LinkState::Up { serial: 1 }
    )));
    assert_eq!(hal.apply(0, &running(3200.0)), Ok(()));
    // Each setpoint travels in its own command: wait for all of them (generous timeouts: the
    // waits end as soon as the condition holds, and a loaded 2-core CI machine is slow).
    assert!(wait_until(Duration::from_secs(3), || {
        took_running(&unit, 3200) && unit.outputs().clamp == ClampState::Open
    }));
    let out = unit.outputs();
    assert_eq!(
        (
            out.clamp,
            out.sweep_ml_min,
            out.fdo2_permille,
            out.heater_centi_c
        ),
        (ClampState::Open, 3000, 800, 3700)
    );
    let mut frame = SensorFrame::MISSING;
    assert!(wait_until(Duration::from_secs(3), || {
        hal.read(1000, &mut frame).is_ok() && frame.pump_speed.value == 3200.0
    }));
    assert!(frame.pump_speed.valid && frame.flow.valid);
    assert!((frame.flow.value - 3.2).abs() < 1e-3);
    assert!(frame.mains_power.value && frame.bubble.valid && !frame.bubble.value);
    assert!(
        !frame.so2_pre.valid,
        "channels the unit does not send stay invalid"
    );
    // Out of the unit's hard limits: refused, reported as Rejected, unit unchanged (DEV-3).
    let _ = hal.apply(0, &running(5500.0));
    assert!(wait_until(Duration::from_secs(3), || hal
        .apply(0, &running(5500.0))
        == Err(ErrorKind::Rejected)));
    assert_eq!(unit.outputs().pump_rpm, 3200);
}

/// A forwarding proxy whose connections can be cut, like a cable pulled or a console killed.
fn cuttable_proxy(to: SocketAddr) -> (SocketAddr, Arc<AtomicBool>) {
    let l = TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = l.local_addr().unwrap();
    let cut = Arc::new(AtomicBool::new(false));
    let cut2 = Arc::clone(&cut);
    std::thread::spawn(move || {
        for c in l.incoming() {
            let Ok(a) = c else { return };
            let Ok(b) = TcpStream::connect(to) else {
                return;
            };
            for (mut from, mut into) in [(a.try_clone().unwrap(), b.try_clone().unwrap()), (b, a)] {
                let cut = Arc::clone(&cut2);
                std::thread::spawn(move || {
                    from.set_read_timeout(Some(Duration::from_millis(10)))
                        .unwrap();
                    let mut buf = [0u8; 4096];
                    while !cut.load(Ordering::Relaxed) {
                        match from.read(&mut buf) {
                            Ok(0) => break,
                            Ok(n) => {
                                if into.write_all(&buf[..n]).is_err() {
                                    break;
                                }
                            }
                            Err(_) => continue,
                        }
                    }
                    let _ = from.shutdown(std::net::Shutdown::Both);
                    let _ = into.shutdown(std::net::Shutdown::Both);
                });
            }
        }
    });
    (addr, cut)
}

/// The link is cut: the pump keeps its speed (DEV-1); the HAL reconnects by itself within 2 s
/// and carries on without touching the pump.
#[test]
fn cut_link_reconnects_within_two_seconds_without_a_pump_interruption() {
    let (unit, addr) = tcp_unit(Arc::new(AtomicBool::new(false)));
    let (proxy, cut) = cuttable_proxy(addr);
    let mut hal = hal_to(proxy);
    run_at_3000(&mut hal, &unit);
    cut.store(true, Ordering::Relaxed);
    std::thread::sleep(Duration::from_millis(30));
    cut.store(false, Ordering::Relaxed); // new connections pass again
    let t0 = Instant::now();
    let mut saw_down = false;
    let mut min_rpm = u16::MAX;
    while t0.elapsed() < Duration::from_secs(3) {
        min_rpm = min_rpm.min(unit.outputs().pump_rpm);
        let up = matches!(hal.link_state(), LinkState::Up { .. });
        saw_down |= !up;
        if saw_down && up && hal.connects() >= 2 {
            break;
        }
        std::thread::sleep(Duration::from_millis(5));
    }
    assert!(saw_down, "the cut was noticed");
    assert!(hal.connects() >= 2, "reconnected");
    assert!(
        t0.elapsed() < Duration::from_secs(2),
        "reconnection took {:?}",
        t0.elapsed()
    );
    assert_eq!(min_rpm, 3000, "the pump never slowed");
    assert_eq!(hal.apply(0, &running(3100.0)), Ok(()));
    assert!(wait_until(Duration::from_secs(1), || unit
        .outputs()
        .pump_rpm
        == 3100));
}

/// A console that restarts takes over what the unit is doing: until its controller applies
/// anything, the HAL adopts the unit's setpoints and sends nothing that would change them.
#[test]
fn restarted_console_takes_over_bumplessly() {
    let (unit, addr) = tcp_unit(Arc::new(AtomicBool::new(false)));
    let mut hal = hal_to(addr);
    wait_link_up(&hal);
    hal.apply(0, &running(3400.0)).unwrap();
    // Each setpoint travels in its own command: wait for the last one, not just the pump's.
    assert!(wait_until(Duration::from_secs(2), || took_running(
        &unit, 3400
    )));
    let before = unit.outputs();
    drop(hal); // the console process dies
    let hal = hal_to(addr);
    wait_link_up(&hal);
    assert_eq!(hal.confirmed(), Some(before));
    std::thread::sleep(Duration::from_millis(1200)); // past a refresh
    assert_eq!(unit.outputs(), before);
}

/// DEV-2 through the HAL: the unit stops on air; the latch is lifted only after the controller
/// has itself asked for the stop and then asks for flow again.
#[test]
fn air_stop_is_cleared_only_after_the_controller_stopped_and_restarts() {
    let air = Arc::new(AtomicBool::new(false));
    let (unit, addr) = tcp_unit(Arc::clone(&air));
    let mut hal = hal_to(addr);
    run_at_3000(&mut hal, &unit);
    air.store(true, Ordering::Relaxed);
    assert!(wait_until(Duration::from_secs(1), || unit
        .outputs()
        .pump_rpm
        == 0));
    let mut frame = SensorFrame::MISSING;
    assert!(wait_until(Duration::from_secs(1), || hal
        .read(0, &mut frame)
        .is_ok()
        && frame.bubble.value));
    assert!(wait_until(Duration::from_secs(1), || hal
        .faults()
        .iter()
        .any(|f| f.code == fault::AIR_DETECTED)));
    // Air gone, but the controller (not having reacted yet) still wants 3000 rpm: no restart.
    air.store(false, Ordering::Relaxed);
    let _ = hal.apply(0, &running(3000.0));
    std::thread::sleep(Duration::from_millis(1200));
    assert_eq!(
        unit.outputs().pump_rpm,
        0,
        "the latch must not be lifted behind the controller's back"
    );
    // The controller stops, then restarts: the latch is lifted and the pump runs.
    // The stop must reach the unit before the restart does; on a loaded shared machine the
    // link thread can lag by a few hundred milliseconds.
    let _ = hal.apply(0, &stopped());
    std::thread::sleep(Duration::from_millis(500));
    let _ = hal.apply(0, &running(2500.0));
    assert!(wait_until(Duration::from_secs(3), || unit
        .outputs()
        .pump_rpm
        == 2500));
    // When opening, the speed goes first and the clamp second (hal.rs, "Order of clamp and
    // speed"), so the clamp may still be closed at the instant the speed arrives.
    assert!(
        wait_until(Duration::from_secs(1), || unit.outputs().clamp
            == ClampState::Open),
        "the clamp must open after the restart"
    );
    assert!(wait_until(Duration::from_secs(2), || hal
        .faults()
        .is_empty()));
}

#[test]
fn no_unit_means_disconnected_errors_not_blocking() {
    let l = TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = l.local_addr().unwrap();
    drop(l); // nothing listens
    let mut hal = hal_to(addr);
    let t0 = Instant::now();
    let mut frame = SensorFrame::MISSING;
    assert_eq!(hal.read(0, &mut frame), Err(ErrorKind::Disconnected));
    assert_eq!(hal.apply(0, &running(3000.0)), Err(ErrorKind::Disconnected));
    assert!(
        t0.elapsed() < Duration::from_millis(50),
        "the control step must never wait on the link"
    );
    assert_eq!(hal.link_state(), LinkState::Connecting);
}
