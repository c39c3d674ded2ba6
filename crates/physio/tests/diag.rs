//! Diagnostic printout of every preset (run with `--ignored --nocapture`).
#![allow(clippy::needless_range_loop)]
use physio::presets::{PRESET_NAMES, default_actuation, preset};
use physio::{Configuration, Twin};

fn mean_obs(t: &mut Twin, act: &physio::Actuation, secs: f64) -> physio::Observation {
    let n = (secs / Twin::DT_S) as usize;
    for _ in 0..n {
        t.step(act);
    }
    t.observe()
}

#[test]
#[ignore]
fn print_presets() {
    for name in PRESET_NAMES {
        for with in [false, true] {
            let mut c = preset(name).unwrap();
            if !with {
                c.circuit.configuration = Configuration::None;
            } else if c.circuit.configuration == Configuration::None {
                continue;
            }
            let act = default_actuation(&c);
            let mut t = Twin::new(&c).unwrap();
            let o = mean_obs(&mut t, &act, 180.0);
            eprintln!(
                "{name:28} {:?}\n  CO {:.2} SV {:.0} MAP {:.0} CVP {:.1} LA {:.1} PA {:.1} | SaO2u {:.3} PaO2u {:.0} PaCO2u {:.1} pH {:.3} | SaO2l {:.3} | SvO2 {:.3} Svr {:.3} | VO2 {:.0} lungO2 {:.0} lungCO2 {:.0} PAO2 {:.0} PACO2 {:.1}\n  ECMO Q {:.2} rpm {:.0} Pdr {:.0} Ppre {:.0} Ppost {:.0} dP {:.0} pre {:.3} post {:.3}/{:.0}/{:.1} O2tr {:.0} CO2tr {:.0} recirc {:.2} T {:.2} BV {:.0}",
                c.circuit.configuration,
                o.cardiac_output_lpm,
                o.stroke_volume_ml,
                o.map_mmhg,
                o.cvp_mmhg,
                o.p_la_mmhg,
                o.p_pa_mean_mmhg,
                o.art_upper.so2,
                o.art_upper.po2_mmhg,
                o.art_upper.pco2_mmhg,
                o.art_upper.ph,
                o.art_lower.so2,
                o.svo2,
                o.venous_return_so2,
                o.vo2_ml_min,
                o.lung_o2_ml_min,
                o.lung_co2_ml_min,
                o.p_alv_o2_mmhg,
                o.p_alv_co2_mmhg,
                o.circuit_flow_lpm,
                o.pump_speed_rpm,
                o.p_drainage_mmhg,
                o.p_pre_oxy_mmhg,
                o.p_post_oxy_mmhg,
                o.delta_p_oxy_mmhg,
                o.pre_oxy.so2,
                o.post_oxy.so2,
                o.post_oxy.po2_mmhg,
                o.post_oxy.pco2_mmhg,
                o.oxy_o2_transfer_ml_min,
                o.oxy_co2_transfer_ml_min,
                o.recirculation_fraction,
                o.patient_temp_c,
                o.blood_volume_ml
            );
        }
    }
}

#[test]
#[ignore]
fn print_compartments() {
    let name = std::env::var("PRESET").unwrap_or("ards-severe".into());
    let mut c = preset(&name).unwrap();
    if let Ok(cfg) = std::env::var("CONFIG") {
        c.circuit = physio::presets::circuit_for(match cfg.as_str() {
            "none" => Configuration::None,
            "vvfj" => Configuration::VvFemoroJugular,
            "vvff" => Configuration::VvFemoroFemoral,
            "vaf" => Configuration::VaFemoral,
            _ => Configuration::VaCentral,
        });
    }
    let mut act = default_actuation(&c);
    if let Ok(r) = std::env::var("RPM") {
        act.pump_rpm = r.parse().unwrap();
    }
    let mut t = Twin::new(&c).unwrap();
    let n = (120.0 / Twin::DT_S) as usize;
    let mut qm = [0.0; physio::circulation::NE];
    let mut pm = [0.0; physio::circulation::N];
    let tail = 5000;
    for i in 0..n {
        t.step(&act);
        if i >= n - tail {
            let q = t.flows();
            let (_, p) = t.compartments();
            for k in 0..qm.len() {
                qm[k] += q[k] * 0.06 / tail as f64;
            }
            for k in 0..pm.len() {
                pm[k] += p[k] / tail as f64;
            }
        }
    }
    let (v, _) = t.compartments();
    for i in 0..physio::circulation::N {
        let (o, c2) = t.contents(i);
        eprintln!(
            "{:12} V {:7.1} P {:6.1} O2 {:5.2} CO2 {:5.1}",
            physio::circulation::NAMES[i],
            v[i],
            pm[i],
            o,
            c2
        );
    }
    for k in 0..qm.len() {
        eprint!("e{k}:{:.2} ", qm[k]);
    }
    eprintln!();
    let o = t.observe();
    eprintln!("{o:#?}");
}

#[test]
#[ignore]
fn trace() {
    let name = std::env::var("PRESET").unwrap_or("ards-severe".into());
    let c = preset(&name).unwrap();
    let act = default_actuation(&c);
    let mut t = Twin::new(&c).unwrap();
    let secs: usize = std::env::var("SECS")
        .map(|s| s.parse().unwrap())
        .unwrap_or(200);
    for s in 0..secs {
        for _ in 0..500 {
            t.step(&act);
        }
        let o = t.observe();
        let (v, p) = t.compartments();
        if s % 5 == 0 {
            eprintln!(
                "{s:4} lungO2 {:7.1} lungCO2 {:7.1} PACO2 {:5.1} PAO2 {:5.1} PCAP V {:6.1} P {:5.1} LA {:5.1} CO {:4.2} Q {:4.2} SaO2 {:.3} Pdr {:.0}",
                o.lung_o2_ml_min,
                o.lung_co2_ml_min,
                o.p_alv_co2_mmhg,
                o.p_alv_o2_mmhg,
                v[3],
                p[3],
                o.p_la_mmhg,
                o.cardiac_output_lpm,
                o.circuit_flow_lpm,
                o.art_upper.so2,
                o.p_drainage_mmhg
            );
        }
    }
}

#[test]
#[ignore]
fn print_recirculation() {
    for cfg in [
        Configuration::VvFemoroJugular,
        Configuration::VvFemoroFemoral,
    ] {
        for rpm in [2000.0, 2500.0, 3000.0, 3500.0, 4000.0] {
            let mut c = preset("ards-severe").unwrap();
            c.circuit = physio::presets::circuit_for(cfg);
            let mut act = default_actuation(&c);
            act.pump_rpm = rpm;
            let mut t = Twin::new(&c).unwrap();
            let o = mean_obs(&mut t, &act, 90.0);
            eprintln!(
                "{cfg:?} {rpm}: Q {:.2} CO {:.2} R {:.2} SaO2 {:.3} pre {:.3} post {:.3} Sv {:.3}",
                o.circuit_flow_lpm,
                o.cardiac_output_lpm,
                o.recirculation_fraction,
                o.art_upper.so2,
                o.pre_oxy.so2,
                o.post_oxy.so2,
                o.venous_return_so2
            );
        }
    }
}

#[test]
#[ignore]
fn print_messai() {
    for rpm in [2200.0, 2800.0, 3400.0, 4000.0] {
        let mut c = preset("ards-severe").unwrap();
        c.patient.shunt_fraction = 1.0;
        let mut act = default_actuation(&c);
        act.pump_rpm = rpm;
        let mut t = Twin::new(&c).unwrap();
        let o = mean_obs(&mut t, &act, 240.0);
        let ef = (1.0 - o.recirculation_fraction) * o.circuit_flow_lpm;
        let r = (ef / o.cardiac_output_lpm).min(1.0);
        let pred = r * o.post_oxy.so2 + (1.0 - r) * o.venous_return_so2;
        eprintln!(
            "{rpm}: Q {:.2} CO {:.2} R {:.2} EF/CO {:.2} SaO2 {:.3} Messai {:.3}",
            o.circuit_flow_lpm,
            o.cardiac_output_lpm,
            o.recirculation_fraction,
            r,
            o.art_upper.so2,
            pred
        );
        for i in [0usize, 2, 3, 4, 7, 11, 12, 13, 14, 15, 16, 17, 19] {
            let (o2, co2) = t.contents(i);
            eprint!("{}:{:.1}/{:.0} ", physio::circulation::NAMES[i], o2, co2);
        }
        let f = t.flows();
        eprintln!(
            "\n  flows IVCI->IVCJ {:.2} LBT->IVCI {:.2} UBT->SVC {:.2} ECMO {:.2} pre {:.3} post {:.3} Sv {:.3}",
            f[17] * 0.06,
            f[16] * 0.06,
            f[11] * 0.06,
            f[19] * 0.06,
            o.pre_oxy.so2,
            o.post_oxy.so2,
            o.venous_return_so2
        );
    }
}
