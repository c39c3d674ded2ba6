//! `devlink-monitor ADDR [options]`: a console-side bring-up tool for a unit. Opens a session,
//! optionally sends setpoints, then prints one status line per second (link state, measured
//! values, faults, frame counters) until stopped or `--seconds` pass.
//!
//! ADDR: tcp://HOST:PORT, a serial device path (/dev/ttyUSB0) or
//! serial:///dev/ttyUSB0?baud=230400.
//! Options: --key FILE (the unit's pairing key), --clamp open|closed, --rpm N,
//! --gas SWEEP_ML_MIN,FDO2_PERMILLE, --heater CENTI_C, --clear-air-stop, --seconds N.

use devlink::{ConsoleConfig, ConsoleEvent, ConsoleLink, DeviceAddr, PairingKey};
use protocol::{AckResult, ClampState, Command};
use std::process::ExitCode;
use std::time::{Duration, Instant};

const USAGE: &str = "usage: devlink-monitor ADDR [--key FILE] [--clamp open|closed] [--rpm N] [--gas SWEEP_ML_MIN,FDO2_PERMILLE] [--heater CENTI_C] [--clear-air-stop] [--seconds N]";

struct Args {
    addr: DeviceAddr,
    cmds: Vec<Command>,
    seconds: Option<u64>,
    key: Option<PairingKey>,
}

fn parse_args(args: &[String]) -> Result<Args, String> {
    let addr = args.first().ok_or(USAGE)?;
    let addr = DeviceAddr::parse(addr).map_err(|e| e.to_string())?;
    let mut cmds = Vec::new();
    let mut seconds = None;
    let mut key = None;
    let mut i = 1;
    let num = |flag: &str, v: Option<&String>| -> Result<u64, String> {
        let v = v.ok_or(format!("{flag} needs a value"))?;
        v.parse()
            .map_err(|_| format!("{flag} {v:?}: not a whole number"))
    };
    let u16_of = |flag: &str, v: Option<&String>| -> Result<u16, String> {
        let n = num(flag, v)?;
        u16::try_from(n).map_err(|_| format!("{flag} {n}: larger than 65535"))
    };
    while i < args.len() {
        let flag = args[i].as_str();
        let val = args.get(i + 1);
        // Every option but --clear-air-stop takes a value.
        i += if flag == "--clear-air-stop" { 1 } else { 2 };
        match flag {
            "--clamp" => {
                let c = match val.map(String::as_str) {
                    Some("open") => ClampState::Open,
                    Some("closed") => ClampState::Closed,
                    other => return Err(format!("--clamp {other:?}: expected open or closed")),
                };
                cmds.push(Command::SetClamp(c));
            }
            "--rpm" => cmds.push(Command::SetPumpSpeed {
                rpm: u16_of(flag, val)?,
            }),
            "--gas" => {
                let v = val.ok_or("--gas needs SWEEP_ML_MIN,FDO2_PERMILLE")?;
                let (a, b) = v
                    .split_once(',')
                    .ok_or(format!("--gas {v:?}: expected SWEEP_ML_MIN,FDO2_PERMILLE"))?;
                cmds.push(Command::SetGas {
                    sweep_ml_min: u16_of(flag, Some(&a.to_string()))?,
                    fdo2_permille: u16_of(flag, Some(&b.to_string()))?,
                });
            }
            "--heater" => cmds.push(Command::SetHeater {
                target_centi_c: u16_of(flag, val)?,
            }),
            "--clear-air-stop" => cmds.push(Command::ClearAirStop),
            "--seconds" => seconds = Some(num(flag, val)?),
            "--key" => {
                let path = val.ok_or("--key needs a file")?;
                key = Some(devlink::load_key_file(std::path::Path::new(path))?);
            }
            other => return Err(format!("unknown option {other:?}\n{USAGE}")),
        }
    }
    Ok(Args {
        addr,
        cmds,
        seconds,
        key,
    })
}

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let Args {
        addr,
        cmds,
        seconds,
        key,
    } = match parse_args(&args) {
        Ok(x) => x,
        Err(e) => {
            eprintln!("devlink-monitor: {e}");
            return ExitCode::from(2);
        }
    };
    let link = match addr
        .open(Duration::from_secs(2))
        .map_err(|e| e.to_string())
        .and_then(|t| {
            let config = ConsoleConfig {
                key,
                ..ConsoleConfig::default()
            };
            ConsoleLink::connect(t, config).map_err(|e| e.to_string())
        }) {
        Ok(l) => l,
        Err(e) => {
            eprintln!("devlink-monitor: {addr}: {e}");
            return ExitCode::FAILURE;
        }
    };
    let u = *link.unit();
    let (major, minor) = link.unit_version();
    println!(
        "session: unit serial {} firmware {:#06x} protocol {}.{} sensor {} Hz; running at {} rpm, clamp {:?}, sweep {} mL/min, FdO2 {} permille, heater {} centi-C",
        u.unit_serial,
        u.firmware,
        major,
        minor,
        u.sensor_rate_hz,
        u.setpoints.pump_rpm,
        u.setpoints.clamp,
        u.setpoints.sweep_ml_min,
        u.setpoints.fdo2_permille,
        u.setpoints.heater_centi_c
    );
    for cmd in cmds {
        match link.command(cmd) {
            Ok(AckResult::Applied) => println!("applied: {cmd:?}"),
            Ok(r) => println!("refused: {cmd:?}: {r:?}"),
            Err(e) => {
                eprintln!("devlink-monitor: {e}");
                return ExitCode::FAILURE;
            }
        }
    }
    let t0 = Instant::now();
    let mut last_print = Instant::now();
    let mut latest = None;
    loop {
        if seconds.is_some_and(|s| t0.elapsed() >= Duration::from_secs(s)) {
            return ExitCode::SUCCESS;
        }
        match link.events().recv_timeout(Duration::from_millis(50)) {
            Ok(ConsoleEvent::Sensor(s)) => latest = Some(s),
            Ok(ConsoleEvent::Fault(f)) => println!("fault: {f:?}"),
            Ok(ConsoleEvent::UnitLost) => println!("link: unit silent"),
            Ok(ConsoleEvent::UnitBack) => println!("link: unit back"),
            Ok(ConsoleEvent::Refused(e)) => println!("refused frame: {e:?}"),
            Ok(ConsoleEvent::Disconnected) => {
                eprintln!("devlink-monitor: {addr}: disconnected");
                return ExitCode::FAILURE;
            }
            Ok(ConsoleEvent::UnitState(_)) | Err(_) => {}
        }
        if last_print.elapsed() >= Duration::from_secs(1) {
            last_print = Instant::now();
            let st = link.stats();
            if let Some(s) = latest {
                let v = s.values();
                println!(
                    "sample {} state {:#06x} speed {:?} rpm flow {:?} L/min p_drain {:?} p_pre {:?} p_post {:?} mmHg | rx ok {} rejected {}",
                    s.sample,
                    s.state,
                    v.speed_rpm,
                    v.flow_lpm,
                    v.p_drainage_mmhg,
                    v.p_pre_oxy_mmhg,
                    v.p_post_oxy_mmhg,
                    st.decode.frames,
                    st.decode.rejected() + st.seq.rejected()
                );
            }
        }
    }
}
