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
