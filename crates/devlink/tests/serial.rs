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
    assert_eq!(link.unit_version(), (PROTOCOL_MAJOR, PROTOCOL_MINOR));
    applied(&link, Command::SetClamp(ClampState::Open));
    applied(&link, Command::SetPumpSpeed { rpm: 2800 });
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
    let last = *sensor_frames(&ev).last().unwrap();
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

/// A console that opens the line, opens a session, sends a command and then hangs (never
/// reads): the unit's writes time out and end the session, and its safety logic keeps running —
/// air still stops the pump (DEV-2) and nothing else changes (DEV-5).
#[test]
fn hung_console_never_stalls_the_unit_safety_logic() {
    use std::sync::atomic::Ordering;
    let (master, slave) = openpty().unwrap();
    let air = Arc::new(AtomicBool::new(false));
    let unit = sim_unit(Arc::clone(&air));
    unit.attach(Transport::fd(master, "pty master".into()).unwrap())
        .unwrap();
    let line = std::fs::OpenOptions::new()
        .read(true)
        .write(true)
        .open(&slave)
        .unwrap();
    devlink::transport::set_raw(&line, 115_200).unwrap();
    let mut c = RawConsole::new(PtyLine(line));
    c.handshake(&PairingKey::UNPAIRED, 5000).expect("handshake");
    c.send(&Message::Command(Command::SetPumpSpeed { rpm: 2500 }));
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
    drop(c);
}

/// A pty opened as a file, whose reads time out (as a TcpStream's do with a read timeout).
struct PtyLine(std::fs::File);

impl std::io::Read for PtyLine {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        use std::os::fd::AsRawFd;
        let mut pfd = libc::pollfd {
            fd: self.0.as_raw_fd(),
            events: libc::POLLIN,
            revents: 0,
        };
        // SAFETY: one valid pollfd for an open descriptor.
        let n = unsafe { libc::poll(&mut pfd, 1, 20) };
        if n <= 0 {
            return Err(std::io::Error::new(std::io::ErrorKind::TimedOut, "no data"));
        }
        self.0.read(buf)
    }
}

impl std::io::Write for PtyLine {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.write(buf)
    }
    fn flush(&mut self) -> std::io::Result<()> {
        self.0.flush()
    }
}

/// The unit's sensor-frame counter stops growing once the session ended.
fn unit_session_ended(unit: &devlink::UnitEndpoint) -> bool {
    let a = unit.stats().sensor_frames;
    std::thread::sleep(Duration::from_millis(100));
    unit.stats().sensor_frames == a
}
