//! `ecmo device`: the simulated unit as its own process.
//!
//! It listens for consoles on TCP (`--listen tcp://HOST:PORT`, port 0 picks a free one) or
//! serves one serial line (`--serial PATH`), runs the unit end of the protocol
//! ([`devlink::UnitEndpoint`], which holds the safety rules and authenticates consoles against
//! the pairing key `--key FILE`) around a [`SimUnit`], and prints to standard output:
//!
//! - `listening: tcp://ADDR` once, with the bound address;
//! - `event: ...` lines when something changes (session opened, console lost, air stop, unit
//!   faults raised and cleared, twin events applied or refused);
//! - a `status` line of `key=value` fields every `--status-ms` (default 1000).
//!
//! Standard input takes twin events, one per line, named and ranged as in the twin's event
//! table (`physio::EVENTS`, docs/experiments.md): `air_entrainment 50`, `power_loss 1`,
//! `drainage_kink 0.8`, `de_air`, `set_patient heart_rate_bpm 120`. That is the instructor's
//! hand on the patient while the console only sees the unit through the protocol.
//!
//! Unit faults raised here (docs/protocol.md §5.7): MAINS_LOST while on battery; BATTERY_LOW on
//! battery with less than [`BATTERY_LOW_WARN_MIN`] minutes left (warning) or
//! [`BATTERY_LOW_CRIT_MIN`] (critical). Faults never change a setpoint.

use crate::{SimHandle, SimUnit, UnitView, cannulation_setpoints};
use devlink::{DeviceAddr, Transport, UnitConfig, UnitEndpoint};
use input::read::BoundedLines;
use physio::{Event, EventArg, EventKind, EventValue, PatientParam};
use protocol::msg::fault;
use protocol::safety::{ConsoleLink, POWER_UP};
use protocol::{Setpoints, Severity};
use std::io::Write;
use std::net::TcpListener;
use std::sync::Arc;
use std::time::{Duration, Instant};

/// Battery runtime left at which BATTERY_LOW is raised as a warning, minutes. Design value
/// \[A\]: half an hour is what a transport or a power failure needs to get mains back or move
/// to another console; ELSO-type checklists ask for the battery to cover transports.
pub const BATTERY_LOW_WARN_MIN: f64 = 30.0;
/// Runtime left at which BATTERY_LOW becomes critical, minutes \[A\].
pub const BATTERY_LOW_CRIT_MIN: f64 = 10.0;

/// What `ecmo device` runs: where it listens, which twin, how the unit behaves (the `ecmo`
/// binary parses these from its command line).
#[derive(Debug, Clone)]
pub struct DeviceOptions {
    /// Listen for consoles on TCP: tcp://HOST:PORT (port 0: any free port, printed at start).
    pub listen: String,
    /// Serve a serial line instead: a device path (/dev/ttyUSB0, 230400 baud) or
    /// serial:///dev/ttyUSB0?baud=115200.
    pub serial: Option<String>,
    /// Patient and circuit preset of the twin (see `ecmo presets`).
    pub preset: String,
    /// Seed of the twin's and the sensors' random processes.
    pub seed: u64,
    /// Power up driving the preset's cannulation setpoints (pump turning, clamp open), as a unit
    /// that restored its setpoints after a restart would (docs/protocol.md §8). Without it the
    /// unit powers up stopped and clamped, and a console starts the pump.
    pub start: bool,
    /// Unit serial number reported in SessionOpen.
    pub serial_number: u32,
    /// Sensor frames per second (at least 100).
    pub sensor_rate: u16,
    /// Status line period, ms (0: no status lines).
    pub status_ms: u64,
    /// Full-stroke travel time of the return clamp, ms.
    pub clamp_travel_ms: f64,
    /// The pairing key file a console must prove it holds (docs/protocol.md §7). Without one
    /// the unit accepts any console and listens on loopback only.
    pub key: Option<std::path::PathBuf>,
}

fn say(line: &str) {
    // Errors ignored: a unit whose standard output was closed keeps the pump turning.
    let mut out = std::io::stdout().lock();
    let _ = writeln!(out, "{line}");
    let _ = out.flush();
}

/// Parses one standard-input line into a twin event, read against physio's event table
/// ([`physio::EVENTS`]): `NAME VALUE` for a number (`air_entrainment 50`), `NAME 0|1` or
/// `NAME true|false` for an on/off event (`power_loss 1`), `NAME` alone for one without a value
/// (`de_air`), and `set_patient PARAM VALUE` (`set_patient heart_rate_bpm 120`).
pub fn parse_event(line: &str) -> Result<Event, String> {
    let words: Vec<&str> = line.split_whitespace().collect();
    let (&name, args) = words.split_first().ok_or("empty line")?;
    let kind = EventKind::by_name(name).ok_or_else(|| {
        format!(
            "unknown event '{name}'; expected one of: {}",
            EventKind::names().collect::<Vec<_>>().join(", ")
        )
    })?;
    let spec = kind.spec();
    let number = |v: &str| -> Result<f64, String> {
        v.parse()
            .map_err(|_| format!("'{line}': '{v}' is not a number"))
    };
    let (arg, want) = match (spec.value, args) {
        (EventValue::None, []) => (EventArg::None, 0),
        (EventValue::Flag, [v]) => (
            EventArg::Flag(match *v {
                "1" | "true" => true,
                "0" | "false" => false,
                _ => return Err(format!("'{line}': expected 0 or 1 (or true/false)")),
            }),
            1,
        ),
        (EventValue::Number(_), [v]) => (EventArg::Number(number(v)?), 1),
        (EventValue::Patient, [p, v]) => {
            let param = PatientParam::by_name(p).ok_or_else(|| {
                let settable: Vec<&str> = physio::PATIENT_FIELDS
                    .iter()
                    .filter(|f| f.event.is_some())
                    .map(|f| f.name)
                    .collect();
                format!(
                    "'{line}': '{p}' cannot be changed during a run; expected one of: {}",
                    settable.join(", ")
                )
            })?;
            (EventArg::Patient(param, number(v)?), 2)
        }
        (v, _) => (
            EventArg::None,
            match v {
                EventValue::None => 0,
                EventValue::Flag | EventValue::Number(_) => 1,
                EventValue::Patient => 2,
            },
        ),
    };
    if args.len() < want {
        return Err(format!("'{name}': missing value ({})", usage(name, spec)));
    }
    if let Some(extra) = args.get(want) {
        return Err(format!(
            "'{line}': unexpected '{extra}' ({})",
            usage(name, spec)
        ));
    }
    Event::new(kind, arg).map_err(|e| format!("'{line}': {e}"))
}

/// How an event is written on standard input.
fn usage(name: &str, spec: &physio::EventSpec) -> String {
    match spec.value {
        EventValue::None => format!("{name} takes no value"),
        EventValue::Flag => format!("{name} 0|1"),
        EventValue::Number(q) => format!("{name} {}..={} {}", q.min, q.max, q.unit),
        EventValue::Patient => format!("{name} PARAM VALUE"),
    }
}

/// `tcp://HOST:PORT` for listening; unlike a console's address, port 0 is allowed (the
/// system picks a free port, printed at start).
pub fn listen_addr(s: &str) -> Result<(String, u16), String> {
    let rest = s.strip_prefix("tcp://").ok_or_else(|| {
        format!("--listen {s}: expected tcp://HOST:PORT (use --serial for a serial line)")
    })?;
    let (host, port) = rest
        .rsplit_once(':')
        .ok_or_else(|| format!("--listen {s}: missing :PORT"))?;
    let host = host.trim_start_matches('[').trim_end_matches(']');
    if host.is_empty() {
        return Err(format!("--listen {s}: missing HOST"));
    }
    let port = port
        .parse()
        .map_err(|_| format!("--listen {s}: port '{port}' is not a number 0..65535"))?;
    Ok((host.to_string(), port))
}

/// Runs `ecmo device` until killed. Errors: bad arguments, a preset that does not exist, an
/// address that cannot be bound or a serial line that cannot be opened.
pub fn run(args: &DeviceOptions) -> Result<(), String> {
    let config = physio::presets::preset(&args.preset).ok_or_else(|| {
        format!(
            "--preset '{}': unknown; expected one of {}",
            args.preset,
            physio::presets::PRESET_NAMES.join(", ")
        )
    })?;
    let config = physio::TwinConfig {
        seed: args.seed,
        ..config
    };
    if !(args.clamp_travel_ms.is_finite() && (0.0..=5000.0).contains(&args.clamp_travel_ms)) {
        return Err(format!(
            "--clamp-travel-ms {}: must be within 0..5000",
            args.clamp_travel_ms
        ));
    }
    let initial: Setpoints = if args.start {
        cannulation_setpoints(&config)
    } else {
        POWER_UP
    };
    let (sim, handle) = SimUnit::new(&config, &initial, args.clamp_travel_ms)
        .map_err(|e| format!("--preset '{}': {e}", args.preset))?;
    let key = match &args.key {
        Some(p) => Some(devlink::load_key_file(p).map_err(|e| format!("--key: {e}"))?),
        None => None,
    };
    let paired = key.is_some();
    let unit_cfg = UnitConfig {
        serial: args.serial_number,
        sensor_rate_hz: args.sensor_rate,
        initial,
        key,
        ..UnitConfig::default()
    };
    let unit = Arc::new(UnitEndpoint::start(unit_cfg, sim).map_err(|e| e.to_string())?);
    match &args.serial {
        Some(s) => {
            let addr = DeviceAddr::parse(s).map_err(|e| format!("--serial {s}: {e}"))?;
            let DeviceAddr::Serial { path, baud } = addr else {
                return Err(format!(
                    "--serial {s}: not a serial line (use --listen for TCP)"
                ));
            };
            // Fail now, with the reason, if the line cannot be opened at all.
            let first = Transport::serial(&path, baud)
                .map_err(|e| format!("--serial {}: {e}", path.display()))?;
            say(&format!(
                "listening: serial://{}?baud={baud}",
                path.display()
            ));
            serve_serial(&unit, first, move || Transport::serial(&path, baud))?;
        }
        None => {
            let (host, port) = listen_addr(&args.listen)?;
            let listener = TcpListener::bind((host.as_str(), port))
                .map_err(|e| format!("--listen {}: {e}", args.listen))?;
            let bound = listener.local_addr().map_err(|e| e.to_string())?;
            unit.listen(listener).map_err(|e| {
                if e.kind() == std::io::ErrorKind::PermissionDenied {
                    format!(
                        "--listen {}: refusing a non-loopback address without a pairing key: \
                         anyone who reaches it could stop the pump. Give --key FILE (make one \
                         with `ecmo device --generate-key FILE` and give the console the same \
                         file with `ecmo serve --device-key FILE`), or listen on 127.0.0.1",
                        args.listen
                    )
                } else {
                    format!("--listen {}: {e}", args.listen)
                }
            })?;
            say(&format!("listening: tcp://{bound}"));
        }
    }
    if !paired {
        say(
            "warning: no pairing key (--key): any console that reaches this unit can command \
             the pump; for bench use on one machine only",
        );
    }
    say(&format!(
        "event: powered up: preset {} seed {} setpoints {}",
        args.preset,
        args.seed,
        fmt_sp(&initial)
    ));
    spawn_stdin(&handle);
    supervise(&unit, &handle, args.status_ms);
    Ok(())
}

/// One serial line, served again each time its connection loop ends (a pty whose other side
/// closed reads end-of-file; a real UART never does).
fn serve_serial(
    unit: &Arc<UnitEndpoint>,
    first: Transport,
    mut reopen: impl FnMut() -> std::io::Result<Transport> + Send + 'static,
) -> Result<(), String> {
    let mut done = unit.attach_watched(first).map_err(|e| e.to_string())?;
    let unit = Arc::clone(unit);
    std::thread::Builder::new()
        .name("serial-reopen".into())
        .spawn(move || {
            loop {
                let _ = done.recv();
                loop {
                    std::thread::sleep(Duration::from_millis(100));
                    match reopen().and_then(|t| unit.attach_watched(t)) {
                        Ok(d) => {
                            done = d;
                            break;
                        }
                        Err(e) => {
                            say(&format!("event: serial line: {e}; retrying"));
                            std::thread::sleep(Duration::from_millis(900));
                        }
                    }
                }
            }
        })
        .map_err(|e| e.to_string())?;
    Ok(())
}

fn spawn_stdin(handle: &SimHandle) {
    let tx = handle.events.clone();
    let _ = std::thread::Builder::new()
        .name("stdin-events".into())
        .spawn(move || {
            let lines = BoundedLines::new(std::io::stdin().lock(), input::read::STDIN_LINE);
            for line in lines {
                let line = match line {
                    Ok(l) => l,
                    Err(e) => {
                        say(&format!("error: stdin: {e}"));
                        continue;
                    }
                };
                let line = line.trim();
                if line.is_empty() || line.starts_with('#') {
                    continue;
                }
                match parse_event(line) {
                    Ok(ev) => {
                        if tx.send(ev).is_err() {
                            break;
                        }
                    }
                    Err(e) => say(&format!("error: stdin: {e}")),
                }
            }
        });
}

fn fmt_sp(sp: &Setpoints) -> String {
    format!(
        "rpm={} clamp={} sweep_ml_min={} fdo2_permille={} heater_centi_c={}",
        sp.pump_rpm,
        match sp.clamp {
            protocol::ClampState::Open => "open",
            protocol::ClampState::Closed => "closed",
        },
        sp.sweep_ml_min,
        sp.fdo2_permille,
        sp.heater_centi_c
    )
}

fn link_name(l: ConsoleLink) -> &'static str {
    match l {
        ConsoleLink::Never => "never",
        ConsoleLink::Alive { .. } => "alive",
        ConsoleLink::Lost { .. } => "lost",
    }
}

/// Watches the unit and the twin every 10 ms: reports changes, raises and clears the power
/// faults, prints status lines. Runs until the process is killed.
fn supervise(unit: &UnitEndpoint, handle: &SimHandle, status_ms: u64) {
    let t0 = Instant::now();
    let mut last_status = Instant::now();
    let mut sessions = 0;
    let mut link = unit.console_link();
    let mut air_stop = false;
    let mut outputs = unit.outputs();
    let mut mains_lost = false;
    let mut battery_low: Option<Severity> = None;
    loop {
        std::thread::sleep(Duration::from_millis(10));
        while let Ok(r) = handle.results.try_recv() {
            match r {
                Ok(ev) => say(&format!("event: twin: applied {ev:?}")),
                Err(e) => say(&format!("error: twin refused the event: {e}")),
            }
        }
        let stats = unit.stats();
        let v: UnitView = handle.view();
        if stats.sessions != sessions {
            sessions = stats.sessions;
            say(&format!(
                "event: session {sessions} opened at {:.3} s; setpoints {}",
                t0.elapsed().as_secs_f64(),
                fmt_sp(&unit.outputs())
            ));
        }
        let l = unit.console_link();
        if link_name(l) != link_name(link) {
            say(&format!(
                "event: console {} at {:.3} s",
                link_name(l),
                t0.elapsed().as_secs_f64()
            ));
        }
        link = l;
        let out = unit.outputs();
        if out != outputs {
            say(&format!("event: setpoints {}", fmt_sp(&out)));
            outputs = out;
        }
        let flags = unit.state_flags();
        let stop = flags & protocol::msg::state::AIR_STOP != 0;
        if stop != air_stop {
            say(if stop {
                "event: air stop (DEV-2): pump stopped, clamp closing"
            } else {
                "event: air stop cleared"
            });
            air_stop = stop;
        }
        // Power faults (docs/protocol.md §5.7).
        let on_battery = v.samples > 0 && !v.mains;
        if on_battery != mains_lost {
            mains_lost = on_battery;
            if on_battery {
                unit.raise_fault(fault::MAINS_LOST, Severity::Warning, 0);
                say("event: fault MAINS_LOST raised: running on battery");
            } else {
                unit.clear_fault(fault::MAINS_LOST);
                say("event: fault MAINS_LOST cleared");
            }
        }
        let minutes = crate::battery_minutes(v.battery);
        let low = if !on_battery {
            None
        } else if minutes < BATTERY_LOW_CRIT_MIN {
            Some(Severity::Critical)
        } else if minutes < BATTERY_LOW_WARN_MIN {
            Some(Severity::Warning)
        } else {
            None
        };
        if low != battery_low {
            match low {
                Some(sev) => {
                    unit.raise_fault(fault::BATTERY_LOW, sev, minutes as u32);
                    say(&format!(
                        "event: fault BATTERY_LOW ({sev:?}) raised: {minutes:.0} min left"
                    ));
                }
                None => {
                    unit.clear_fault(fault::BATTERY_LOW);
                    say("event: fault BATTERY_LOW cleared");
                }
            }
            battery_low = low;
        }
        if status_ms > 0 && last_status.elapsed() >= Duration::from_millis(status_ms) {
            last_status = Instant::now();
            let rejected = stats.decode.rejected() + stats.seq.rejected();
            say(&format!(
                "status wall={:.3} twin_s={:.2} link={} sessions={} rpm_set={} clamp_set={} \
                 rpm={:.0} clamp_pos={:.2} flow_lpm={:.3} mains={} battery_pct={:.1} air={} \
                 air_stop={} sensor_frames={} applied={} refused={} rejected={} \
                 unauthentic={} auth_failures={} conns_refused={} conns_closed={}",
                t0.elapsed().as_secs_f64(),
                v.time_s,
                link_name(l),
                stats.sessions,
                out.pump_rpm,
                match out.clamp {
                    protocol::ClampState::Open => "open",
                    protocol::ClampState::Closed => "closed",
                },
                v.speed_rpm,
                v.clamp_position,
                v.flow_lpm,
                u8::from(v.mains),
                v.battery * 100.0,
                u8::from(v.air),
                u8::from(stop),
                stats.sensor_frames,
                stats.commands_applied,
                stats.commands_refused,
                rejected,
                stats.unauthentic(),
                stats.auth_failures,
                stats.connections_refused,
                stats.connections_closed,
            ));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stdin_events_parse_or_say_what_is_wrong() {
        assert_eq!(
            parse_event("air_entrainment 20").unwrap(),
            Event::AirEntrainment(20.0)
        );
        assert_eq!(parse_event("power_loss 1").unwrap(), Event::PowerLoss(true));
        assert_eq!(parse_event("de_air").unwrap(), Event::DeAir);
        assert_eq!(
            parse_event("set_patient heart_rate_bpm 120").unwrap(),
            Event::SetPatient(PatientParam::HeartRate, 120.0)
        );
        let refused = |line: &str, words: &str| {
            let e = parse_event(line).unwrap_err();
            assert!(e.contains(words), "{line}: {e}");
        };
        refused("power_loss 2", "0 or 1");
        refused("air_entrainment", "missing value");
        refused("air_entrainment x", "not a number");
        refused("air_entrainment 1 2", "unexpected");
        // Out of the table's range: refused here, with the range.
        refused("air_entrainment 900", "0..=500");
        refused("set_patient weight_kg 80", "cannot be changed");
        refused("smoke 1", "unknown event");
    }

    #[test]
    fn listen_addresses() {
        assert_eq!(
            listen_addr("tcp://127.0.0.1:0").unwrap(),
            ("127.0.0.1".into(), 0)
        );
        assert_eq!(
            listen_addr("tcp://[::1]:7400").unwrap(),
            ("::1".into(), 7400)
        );
        assert!(
            listen_addr("127.0.0.1:7400")
                .unwrap_err()
                .contains("tcp://")
        );
        assert!(listen_addr("tcp://host").unwrap_err().contains(":PORT"));
        assert!(listen_addr("tcp://:1").unwrap_err().contains("HOST"));
        assert!(
            listen_addr("tcp://h:99999")
                .unwrap_err()
                .contains("not a number")
        );
    }
}
