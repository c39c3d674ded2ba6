//! Both processes over a serial line (a pseudo-terminal standing in for the cable):
//! `ecmo device --serial PATH` serves a console on the line, and `ecmo serve --device PATH`
//! drives a unit on the line. The test holds the other end of each line.
use devlink::{ConsoleConfig, ConsoleLink, Transport, UnitConfig, UnitEndpoint, openpty};
use protocol::{AckResult, ClampState, Command};
use std::io::{BufRead, BufReader};
use std::process::{Command as Proc, Stdio};
use std::time::{Duration, Instant};

/// Kills the child when dropped, so that a failing test leaves no process behind.
struct Kill(std::process::Child);

impl Drop for Kill {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn wait_until(limit: Duration, mut f: impl FnMut() -> bool) -> bool {
    let t0 = Instant::now();
    while t0.elapsed() < limit {
        if f() {
            return true;
        }
        std::thread::sleep(Duration::from_millis(10));
    }
    false
}

#[test]
fn ecmo_device_serves_a_serial_line_and_a_restarted_console_takes_over() {
    let (master, slave) = openpty().expect("openpty");
    let mut unit = Kill(
        Proc::new(env!("CARGO_BIN_EXE_ecmo"))
            .args(["device", "--start", "--status-ms", "0", "--serial"])
            .arg(&slave)
            .stdout(Stdio::piped())
            .stdin(Stdio::piped())
            .spawn()
            .expect("spawn ecmo device --serial"),
    );
    let mut out = BufReader::new(unit.0.stdout.take().unwrap());
    let mut line = String::new();
    out.read_line(&mut line).unwrap();
    assert!(line.starts_with("listening: serial://"), "{line}");
    std::thread::spawn(move || std::io::copy(&mut out, &mut std::io::sink()));

    let open = || {
        let t = Transport::fd(master.try_clone().unwrap(), "pty master".into()).unwrap();
        ConsoleLink::connect(t, ConsoleConfig::default()).expect("handshake over the serial line")
    };
    let first = open();
    let sp = first.unit().setpoints;
    assert!(sp.pump_rpm > 2000 && sp.clamp == ClampState::Open, "{sp:?}");
    // DEV-3 through the real process: out of the hard limits is refused, nothing changes.
    assert_eq!(
        first.command(Command::SetPumpSpeed { rpm: 6000 }).unwrap(),
        AckResult::OutOfLimits
    );
    // The stream, on the unit's own clock (sample numbers and time stamps), over 2 s: nominally
    // 100 Hz; a loaded shared machine may cost the unit a few sample periods, never frames on
    // the line (the delivered frames are consecutive).
    let t0 = Instant::now();
    let mut got: Vec<(u32, u32)> = Vec::new();
    while t0.elapsed() < Duration::from_secs(2) {
        if let Ok(devlink::ConsoleEvent::Sensor(f)) =
            first.events().recv_timeout(Duration::from_millis(20))
        {
            got.push((f.sample, f.time_ms));
        }
    }
    let (a, b) = (got[0], got[got.len() - 1]);
    let rate = (b.0 - a.0) as f64 / ((b.1 - a.1) as f64 / 1000.0);
    eprintln!(
        "{} sensor frames, {rate:.1} per second of unit time",
        got.len()
    );
    assert_eq!(got.len() as u32, b.0 - a.0 + 1, "no frame lost on the line");
    assert!(rate >= 90.0, "{rate:.1} sensor frames per second");
    // The console goes away without a word (the line stays, as a cable would) and a new one
    // takes over: the unit reports the same setpoints.
    drop(first);
    std::thread::sleep(Duration::from_millis(700));
    let second = open();
    assert_eq!(
        second.unit().setpoints,
        sp,
        "DEV-1, DEV-7: the unit held everything"
    );
    drop(second);
    drop(unit);
}

#[test]
fn ecmo_serve_drives_a_unit_on_a_serial_line_without_a_bump() {
    let (master, slave) = openpty().expect("openpty");
    let config = physio::presets::preset("ards-severe").unwrap();
    let initial = simunit::cannulation_setpoints(&config);
    let (sim, _handle) =
        simunit::SimUnit::new(&config, &initial, simunit::CLAMP_TRAVEL_MS).unwrap();
    let unit = UnitEndpoint::start(
        UnitConfig {
            initial,
            serial: 77,
            ..UnitConfig::default()
        },
        sim,
    )
    .unwrap();
    unit.attach(Transport::fd(master, "pty master".into()).unwrap())
        .unwrap();

    let dir = std::env::temp_dir().join(format!("ecmo-device-serial-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    let db = dir.join("s.db");
    let mut console = Kill(
        Proc::new(env!("CARGO_BIN_EXE_ecmo"))
            .args(["serve", "--addr", "127.0.0.1:0", "--db"])
            .arg(&db)
            .arg("--device")
            .arg(&slave)
            .stdout(Stdio::null())
            .spawn()
            .expect("spawn ecmo serve --device PATH"),
    );
    assert!(
        wait_until(Duration::from_secs(10), || unit.stats().sessions == 1),
        "the console opened a session over the serial line"
    );
    // Two seconds of control: the console re-sends its setpoints every second, all equal to
    // what the unit already drove.
    let t0 = Instant::now();
    while t0.elapsed() < Duration::from_secs(2) {
        assert_eq!(unit.outputs(), initial, "CTL-12: no bump at takeover");
        std::thread::sleep(Duration::from_millis(10));
    }
    let st = unit.stats();
    assert!(st.commands_applied >= 4, "{st:?}");
    assert_eq!(st.commands_refused, 0, "{st:?}");
    console.0.kill().unwrap();
    console.0.wait().unwrap();
    std::thread::sleep(Duration::from_millis(600));
    assert_eq!(
        unit.outputs(),
        initial,
        "DEV-1: the dead console changed nothing"
    );
    let c = console::store::open_ro(&db).unwrap();
    let link: String = c
        .query_row(
            "SELECT detail FROM events WHERE run = 1 AND kind = 'link' AND detail LIKE '%\"state\":\"up\"%' ORDER BY id LIMIT 1",
            [],
            |r| r.get(0),
        )
        .unwrap();
    let link: serde_json::Value = serde_json::from_str(&link).unwrap();
    assert_eq!(link["state"], "up", "{link}");
    assert_eq!(link["serial"], 77, "{link}");
    assert!(
        link["device"]
            .as_str()
            .unwrap()
            .starts_with("serial:///dev/"),
        "{link}"
    );
}
