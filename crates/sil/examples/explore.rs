//! Run a twin preset under the controller in RPM mode and print a trace every few seconds.
//!
//! `cargo run --release -p sil --example explore -- PRESET RPM SECONDS [nosuction]`
use control::{Command, Mode};
use physio::presets::preset;
use sil::Sil;

fn main() {
    let name = std::env::args().nth(1).unwrap_or("ards-severe".into());
    let rpm: f32 = std::env::args()
        .nth(2)
        .map(|s| s.parse().unwrap())
        .unwrap_or(3200.0);
    let c = preset(&name).unwrap();
    let mut s = Sil::new(&c).unwrap();
    if std::env::args().nth(4).as_deref() == Some("nosuction") {
        s.command(Command::SetIntervention {
            which: control::Intervention::Suction,
            enabled: false,
        });
    }
    s.command(Command::SetRpmTarget(rpm));
    s.command(Command::SetSweep(4.0));
    s.command(Command::SetMode(Mode::Rpm));
    let t0 = std::time::Instant::now();
    let secs: usize = std::env::args()
        .nth(3)
        .map(|s| s.parse().unwrap())
        .unwrap_or(60);
    let every: usize = (secs / 20).max(1);
    for i in 0..secs {
        s.run_for(1.0);
        let o = s.observation();
        let out = s.output();
        if i % every == 0 {
            println!(
                "t {:5.1} rpm {:6.0}/{:6.0} Q {:5.2} Pd {:6.1} Ppre {:6.1} Ppost {:6.1} dP {:5.1} so2post {:.3} po2 {:5.1} pco2 {:4.1} MAP {:5.1} occl {} red {:4.0} alarms {:?}",
                o.time_s,
                out.actuators.pump_rpm,
                o.pump_speed_rpm,
                o.circuit_flow_lpm,
                o.p_drainage_mmhg,
                o.p_pre_oxy_mmhg,
                o.p_post_oxy_mmhg,
                o.delta_p_oxy_mmhg,
                o.post_oxy.so2,
                o.post_oxy.po2_mmhg,
                o.post_oxy.pco2_mmhg,
                o.map_mmhg,
                o.drainage_occluded,
                out.status.suction_reduction_rpm,
                out.alarms.signalled.iter().collect::<Vec<_>>()
            );
        }
    }
    eprintln!("wall {:?} for 60 s", t0.elapsed());
}
