//! Records a real console <-> unit exchange over TCP on loopback into the wire-session
//! fixtures replayed by `crates/protocol/tests/replay.rs`:
//! `console_to_unit.bin` and `unit_to_console.bin`, the exact bytes each side wrote.
//!
//! Run: `cargo run -p devlink --example record_session -- crates/protocol/tests/fixtures`
//! The script: open a session; bring the circuit up (clamp open, 3000 rpm, gas, heater); one
//! out-of-limit speed; air at the bubble detector (air stop); a refused restart; air gone,
//! ClearAirStop; restart; close. Both ends are paired with the key of docs/protocol.md §9
//! (bytes 0x00..0x1F), so the replay test can check every tag.

use devlink::{ConsoleConfig, ConsoleLink, Transport, UnitConfig, UnitEndpoint, UnitSample};
use protocol::msg::state;
use protocol::{AckResult, ClampState, Command, SensorValues, Setpoints};
use std::net::TcpListener;
use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let dir = PathBuf::from(
        std::env::args()
            .nth(1)
            .ok_or("usage: record_session OUTPUT_DIR")?,
    );
    std::fs::create_dir_all(&dir)?;
    let air = Arc::new(AtomicBool::new(false));
    let air_u = Arc::clone(&air);
    let mut k = [0u8; 32];
    for (i, b) in k.iter_mut().enumerate() {
        *b = i as u8;
    }
    let key = protocol::PairingKey::from_bytes(k);
    let unit = UnitEndpoint::start(
        UnitConfig {
            serial: 0x0EC0_0001,
            key: Some(key.clone()),
            ..UnitConfig::default()
        },
        move |sp: &Setpoints, _| {
            let open = sp.clamp == ClampState::Open;
            let a = air_u.load(Ordering::Relaxed);
            UnitSample {
                values: SensorValues {
                    p_drainage_mmhg: Some(-0.012 * sp.pump_rpm as f32),
                    p_pre_oxy_mmhg: Some(0.09 * sp.pump_rpm as f32),
                    p_post_oxy_mmhg: Some(0.075 * sp.pump_rpm as f32),
                    flow_lpm: Some(if open {
                        sp.pump_rpm as f32 / 750.0
                    } else {
                        0.0
                    }),
                    speed_rpm: Some(sp.pump_rpm as f32),
                    so2_pre_pct: Some(68.0),
                    so2_post_pct: Some(99.6),
                    po2_post_mmhg: Some(380.0),
                    pco2_post_mmhg: Some(32.0),
                    hb_g_dl: Some(11.2),
                    temp_pre_c: Some(36.4),
                    temp_post_c: Some(if sp.heater_centi_c > 0 { 36.9 } else { 36.2 }),
                    bubble_ul: Some(if a { 35.0 } else { 0.0 }),
                    sweep_lpm: Some(sp.sweep_ml_min as f32 / 1000.0),
                    fdo2: Some(sp.fdo2_permille as f32 / 1000.0),
                    battery: Some(0.98),
                    battery_min: Some(140.0),
                },
                air: a,
                state: state::MAINS | if open { 0 } else { state::CLAMP_CLOSED },
            }
        },
    )?;
    let unit_tx = Arc::new(Mutex::new(Vec::new()));
    let console_tx = Arc::new(Mutex::new(Vec::new()));
    let listener = TcpListener::bind("127.0.0.1:0")?;
    let addr = listener.local_addr()?;
    let client = std::thread::spawn(move || {
        Transport::connect_tcp(&addr.to_string(), Duration::from_secs(2))
    });
    let (stream, _) = listener.accept()?;
    unit.attach(Transport::tcp(stream)?.tap_tx(Arc::clone(&unit_tx)))?;
    let console = client
        .join()
        .map_err(|_| "connect thread panicked")??
        .tap_tx(Arc::clone(&console_tx));
    let link = ConsoleLink::connect(
        console,
        ConsoleConfig {
            key: Some(key),
            ..ConsoleConfig::default()
        },
    )?;

    let expect = |cmd: Command, want: AckResult| -> Result<(), Box<dyn std::error::Error>> {
        let got = link.command(cmd)?;
        if got != want {
            return Err(format!("{cmd:?}: unit answered {got:?}, script expects {want:?}").into());
        }
        Ok(())
    };
    expect(Command::SetClamp(ClampState::Open), AckResult::Applied)?;
    expect(Command::SetPumpSpeed { rpm: 3000 }, AckResult::Applied)?;
    expect(
        Command::SetGas {
            sweep_ml_min: 3000,
            fdo2_permille: 800,
        },
        AckResult::Applied,
    )?;
    expect(
        Command::SetHeater {
            target_centi_c: 3700,
        },
        AckResult::Applied,
    )?;
    expect(Command::SetPumpSpeed { rpm: 6000 }, AckResult::OutOfLimits)?;
    std::thread::sleep(Duration::from_millis(300));
    air.store(true, Ordering::Relaxed);
    while unit.outputs().pump_rpm != 0 {
        std::thread::sleep(Duration::from_millis(2));
    }
    std::thread::sleep(Duration::from_millis(100));
    expect(
        Command::SetPumpSpeed { rpm: 2000 },
        AckResult::AirStopActive,
    )?;
    air.store(false, Ordering::Relaxed);
    std::thread::sleep(Duration::from_millis(50));
    expect(Command::ClearAirStop, AckResult::Applied)?;
    expect(Command::SetClamp(ClampState::Open), AckResult::Applied)?;
    expect(Command::SetPumpSpeed { rpm: 3000 }, AckResult::Applied)?;
    std::thread::sleep(Duration::from_millis(300));
    let stats = link.stats();
    link.close();
    unit.stop();

    let c = console_tx.lock().map_err(|_| "tap poisoned")?.clone();
    let u = unit_tx.lock().map_err(|_| "tap poisoned")?.clone();
    std::fs::write(dir.join("console_to_unit.bin"), &c)?;
    std::fs::write(dir.join("unit_to_console.bin"), &u)?;
    println!(
        "recorded {} bytes console->unit, {} bytes unit->console into {} ({} commands, {} resends)",
        c.len(),
        u.len(),
        dir.display(),
        stats.commands,
        stats.resends
    );
    Ok(())
}
