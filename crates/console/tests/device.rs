//! `ecmo serve --device` in process: the console's device engine against a unit end on TCP.
//! The link state reaches the screen's status (and a high-priority alarm while the unit is
//! away), the running unit is taken over without a setpoint change (DEV-7, CTL-12), and link
//! changes and the takeover are recorded.
mod common;
use common::*;
use console::{ServeOptions, start};
use devlink::{UnitConfig, UnitEndpoint, UnitSample};
use engine::device::DeviceEngine;
use protocol::msg::state;
use protocol::{ClampState, SensorValues, Setpoints};
use std::net::TcpListener;
use std::time::{Duration, Instant};

const RUNNING: Setpoints = Setpoints {
    pump_rpm: 3100,
    clamp: ClampState::Open,
    sweep_ml_min: 2500,
    fdo2_permille: 1000,
    heater_centi_c: 3700,
};

/// A unit end whose "hardware" reads back plausible values for what it drives.
fn unit() -> (UnitEndpoint, String) {
    let u = UnitEndpoint::start(
        UnitConfig {
            serial: 42,
            initial: RUNNING,
            ..UnitConfig::default()
        },
        |sp: &Setpoints, t: u64| {
            let w = (t % 70) as f32 * 0.01; // live signals ripple
            let q = sp.pump_rpm as f32 * 0.0015;
            UnitSample {
                values: SensorValues {
                    p_drainage_mmhg: Some(-40.0 + w),
                    p_pre_oxy_mmhg: Some(250.0 + w),
                    p_post_oxy_mmhg: Some(200.0 + w),
                    flow_lpm: Some(q + w * 0.01),
                    speed_rpm: Some(sp.pump_rpm as f32),
                    so2_pre_pct: Some(70.0),
                    so2_post_pct: Some(100.0),
                    po2_post_mmhg: Some(400.0),
                    pco2_post_mmhg: Some(35.0),
                    hb_g_dl: Some(12.0),
                    temp_pre_c: None,
                    temp_post_c: Some(36.8),
                    bubble_ul: Some(0.0),
                    sweep_lpm: Some(sp.sweep_ml_min as f32 / 1000.0),
                    fdo2: Some(sp.fdo2_permille as f32 / 1000.0),
                    battery: Some(1.0),
                    battery_min: Some(120.0),
                },
                air: false,
                state: state::MAINS,
            }
        },
    )
    .unwrap();
    let l = TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = format!("tcp://{}", l.local_addr().unwrap());
    u.listen(l).unwrap();
    (u, addr)
}

fn status_link(h: &console::Handle) -> Option<(serde_json::Value, Vec<String>)> {
    let st = h.shared.latest.lock().unwrap().clone()?;
    let ids = st.alarms.alarms.iter().map(|a| a.id.clone()).collect();
    Some((st.link.clone()?, ids))
}

#[test]
fn link_state_on_screen_takeover_without_bump_and_recorded() {
    let (u, addr) = unit();
    let dir = tempdir("device");
    let o = ServeOptions {
        db: dir.join("d.db"),
        ..opts(&dir)
    };
    let engine = DeviceEngine::connect(&addr, None, "ards-severe", None).unwrap();
    let h = start(&o, Box::new(engine)).unwrap();
    assert!(
        wait_for(Duration::from_secs(3), || status_link(&h)
            .is_some_and(|(l, _)| l["up"] == true)),
        "the screen shows the link up: {:?}",
        status_link(&h)
    );
    let (link, alarms) = status_link(&h).unwrap();
    assert_eq!(link["serial"], 42);
    assert_eq!(link["label"], "#42 LINKED");
    assert!(!alarms.contains(&"unit_link".to_string()), "{alarms:?}");
    // A second of control: the console drives exactly what the unit was driving.
    let t0 = Instant::now();
    while t0.elapsed() < Duration::from_secs(1) {
        assert_eq!(u.outputs(), RUNNING, "CTL-12: no bump at takeover");
        std::thread::sleep(Duration::from_millis(10));
    }
    assert!(u.stats().commands_applied > 0, "the console is in control");

    // The unit goes away: the screen shows it and a high-priority technical alarm is raised.
    u.stop();
    drop(u);
    assert!(
        wait_for(Duration::from_secs(3), || status_link(&h).is_some_and(
            |(l, a)| l["up"] == false && a.contains(&"unit_link".to_string())
        )),
        "{:?}",
        status_link(&h)
    );
    let st = h.shared.latest.lock().unwrap().clone().unwrap();
    let a = st
        .alarms
        .alarms
        .iter()
        .find(|a| a.id == "unit_link")
        .unwrap();
    assert_eq!(a.priority, engine::model::Priority::High);
    assert!(a.technical && a.active, "{a:?}");
    h.stop();

    let c = console::store::open_ro(&o.db).unwrap();
    let n = |kind: &str| -> i64 {
        c.query_row(
            &format!("SELECT COUNT(*) FROM events WHERE run = 1 AND kind = '{kind}'"),
            [],
            |r| r.get(0),
        )
        .unwrap()
    };
    assert_eq!(n("takeover"), 1);
    assert!(n("link") >= 2, "link up and link lost are recorded");
}
