//! The serial transport through a pseudo-terminal pair: the console opens the slave device
//! like a USB serial adapter (raw mode, 115200 8N1), the unit serves the master end.

mod common;

use common::*;
use devlink::{ConsoleConfig, ConsoleEvent, ConsoleLink, Transport, openpty};
use protocol::*;
use std::sync::Arc;
use std::sync::atomic::AtomicBool;
use std::time::Duration;

#[test]
fn session_over_a_pty_serial_line() {
    let (master, slave) = openpty().expect("openpty");
    let unit = sim_unit(Arc::new(AtomicBool::new(false)));
    unit.attach(Transport::fd(master, "pty master".into()).unwrap())
        .unwrap();
    let serial = Transport::serial(&slave, 115_200).expect("open slave as serial line");
    assert!(
        serial.name.starts_with("serial /dev/pts/"),
        "{}",
        serial.name
    );
    let link = ConsoleLink::connect(serial, ConsoleConfig::default()).expect("handshake over pty");
    assert_eq!(link.unit().status, HelloStatus::Accepted);
    assert_eq!(
        link.command(Command::SetClamp(ClampState::Open)).unwrap(),
        AckResult::Applied
    );
    assert_eq!(
        link.command(Command::SetPumpSpeed { rpm: 2800 }).unwrap(),
        AckResult::Applied
    );
    assert_eq!(
        link.command(Command::SetPumpSpeed { rpm: 6000 }).unwrap(),
        AckResult::OutOfLimits
    );
    assert_eq!(unit.outputs().pump_rpm, 2800);
    while link.events().try_recv().is_ok() {}
    let ev = collect_events(&link, Duration::from_millis(500));
    let n = ev
        .iter()
        .filter(|e| matches!(e, ConsoleEvent::Sensor(_)))
        .count();
    assert!(n >= 40, "{n} sensor frames in 0.5 s over the pty");
    let last = ev
        .iter()
        .rev()
        .find_map(|e| {
            if let ConsoleEvent::Sensor(s) = e {
                Some(*s)
            } else {
                None
            }
        })
        .unwrap();
    assert_eq!(last.values().speed_rpm, Some(2800.0));
    let st = link.stats();
    assert_eq!(st.decode.rejected() + st.seq.rejected(), 0, "{st:?}");
    assert_eq!(unit.stats().decode.rejected(), 0);
}

#[test]
fn serial_open_errors_say_what_and_where() {
    let err =
        Transport::serial(std::path::Path::new("/dev/does-not-exist-ecmo"), 115_200).unwrap_err();
    assert!(
        err.to_string().contains("/dev/does-not-exist-ecmo"),
        "{err}"
    );
    let (_master, slave) = openpty().unwrap();
    let err = Transport::serial(&slave, 12345).unwrap_err();
    assert!(
        err.to_string().contains("unsupported baud rate 12345"),
        "{err}"
    );
    assert!(
        err.to_string().contains(&slave.display().to_string()),
        "{err}"
    );
}

/// A console that opens the line, says Hello and then hangs (never reads): the unit's writes
/// time out and end the session, and its safety logic keeps running — air still stops the pump
/// (DEV-2) and nothing else changes (DEV-5).
#[test]
fn hung_console_never_stalls_the_unit_safety_logic() {
    use std::io::Write;
    use std::sync::atomic::Ordering;
    let (master, slave) = openpty().unwrap();
    let air = Arc::new(AtomicBool::new(false));
    let unit = sim_unit(Arc::clone(&air));
    unit.attach(Transport::fd(master, "pty master".into()).unwrap())
        .unwrap();
    let mut line = std::fs::OpenOptions::new()
        .read(true)
        .write(true)
        .open(&slave)
        .unwrap();
    devlink::transport::set_raw(&line, 115_200).unwrap();
    let hello = Message::Hello(Hello {
        major: 1,
        minor: 0,
        nonce: 1,
        heartbeat_ms: 100,
        timeout_ms: 5000,
    });
    let mut buf = [0u8; MAX_WIRE];
    let n = encode(0, &hello, &mut buf).unwrap();
    line.write_all(&buf[..n]).unwrap();
    let speed = Message::Command(Command::SetPumpSpeed { rpm: 2500 });
    let n = encode(1, &speed, &mut buf).unwrap();
    line.write_all(&buf[..n]).unwrap();
    assert!(wait_until(Duration::from_secs(1), || unit
        .outputs()
        .pump_rpm
        == 2500));
    // The pty's buffer fills with sensor frames nobody reads; the unit's writes start to time out.
    assert!(
        wait_until(Duration::from_secs(30), || unit.stats().sessions == 1
            && unit.state_flags() & protocol::msg::state::SESSION != 0
            && unit_session_ended(&unit)),
        "the unit never noticed the hung console"
    );
    assert_eq!(
        unit.outputs().pump_rpm,
        2500,
        "DEV-5: a hung console changes nothing"
    );
    air.store(true, Ordering::Relaxed);
    assert!(
        wait_until(Duration::from_millis(500), || unit.outputs().pump_rpm == 0),
        "DEV-2 stalled"
    );
    drop(line);
}

/// The unit's sensor-frame counter stops growing once the session ended.
fn unit_session_ended(unit: &devlink::UnitEndpoint) -> bool {
    let a = unit.stats().sensor_frames;
    std::thread::sleep(Duration::from_millis(100));
    unit.stats().sensor_frames == a
}
