//! Physiological directions that must emerge from the model (issue 2, `ecmo validate`).
mod common;
use common::*;
use physio::{Actuation, Configuration, Event, PatientParam};

fn vv(rpm: f64, sweep: f64) -> Actuation {
    Actuation {
        pump_rpm: rpm,
        return_clamp: 0.0,
        sweep_lpm: sweep,
        fdo2: 1.0,
        heater_c: 37.0,
    }
}

#[test]
fn more_vv_flow_raises_sao2() {
    let mut sao2 = Vec::new();
    let mut flows = Vec::new();
    for rpm in [2000.0, 2800.0, 3600.0] {
        let (mut t, act) = warmed(
            "ards-severe",
            Configuration::VvFemoroJugular,
            Some(vv(rpm, 5.0)),
            120.0,
        );
        let m = means(&mut t, &act, 10.0);
        sao2.push(m.sao2_upper);
        flows.push(m.flow);
    }
    assert!(
        flows[0] < flows[1] && flows[1] < flows[2],
        "flows {flows:?}"
    );
    assert!(
        sao2[0] < sao2[1] && sao2[1] < sao2[2],
        "SaO2 {sao2:?} at flows {flows:?}"
    );
}

#[test]
fn more_sweep_lowers_paco2() {
    let mut paco2 = Vec::new();
    for sweep in [1.0, 3.0, 8.0] {
        let (mut t, act) = warmed(
            "ards-severe",
            Configuration::VvFemoroJugular,
            Some(vv(3000.0, sweep)),
            240.0,
        );
        paco2.push(means(&mut t, &act, 10.0).paco2_upper);
    }
    assert!(
        paco2[0] > paco2[1] && paco2[1] > paco2[2],
        "PaCO2 {paco2:?}"
    );
}

#[test]
fn recirculation_emerges_with_flow_and_cannula_distance() {
    let mut r = Vec::new();
    for (cfg, rpm) in [
        (Configuration::VvFemoroJugular, 2200.0),
        (Configuration::VvFemoroJugular, 3800.0),
        (Configuration::VvFemoroFemoral, 3800.0),
    ] {
        let (mut t, act) = warmed("ards-severe", cfg, Some(vv(rpm, 5.0)), 60.0);
        let m = means(&mut t, &act, 10.0);
        r.push((m.recirculation, m.flow, t.observe().recirculation_traced));
    }
    // Low flow, well-separated cannulae: the IVC supplies everything, nothing recirculates
    // (the traced share, the twin's truth). Abrams' formula reads high by its known bias
    // (dissolved O2 of outlet blood counted as recirculation, docs/experiments.md): 0.099
    // before the counter-current membrane and in-vivo Haldane effect, 0.105 after; held to
    // 0.12.
    assert!(r[0].2 < 0.03, "{r:?}");
    assert!(r[0].0 < 0.12, "{r:?}");
    // Flow above IVC return draws from the RA junction, which holds returned blood.
    assert!(r[1].0 > r[0].0 + 0.1, "{r:?}");
    // Return at the RA junction (femoro-femoral) recirculates more than return in the SVC.
    assert!(r[2].0 > r[1].0, "{r:?}");
}

#[test]
fn femoral_va_with_poor_lungs_has_differential_hypoxaemia() {
    let mut rows = Vec::new();
    for rpm in [2400.0, 4000.0] {
        let c = config("cardiogenic-shock", Configuration::VaFemoral);
        let act = Actuation {
            pump_rpm: rpm,
            ..physio::presets::default_actuation(&c)
        };
        let mut t = physio::Twin::new(&c).unwrap();
        t.apply(&Event::SetPatient(PatientParam::ShuntFraction, 0.7))
            .unwrap();
        t.apply(&Event::SetPatient(PatientParam::Fio2, 0.4))
            .unwrap();
        run(&mut t, &act, 120.0);
        let m = means(&mut t, &act, 10.0);
        rows.push((m.flow, m.aa_da_flow_lpm, m.sao2_upper, m.sao2_lower));
    }
    // Harlequin: the heart ejects what the failing lungs made to the upper body; the lower body
    // gets circuit blood.
    let (upper, lower) = (rows[0].2, rows[0].3);
    assert!(
        upper + 0.1 < lower,
        "upper {upper} lower {lower} ({rows:?})"
    );
    assert!(rows[1].2 < rows[1].3, "{rows:?}");
    // More circuit flow pushes oxygenated blood further up: the upper body improves.
    assert!(rows[1].2 > rows[0].2, "{rows:?}");
    // The watershed moves up the aorta with circuit flow: net flow from the arch into the
    // descending aorta falls and, at high flow, reverses (circuit blood climbs to the arch).
    assert!(rows[1].1 < rows[0].1, "{rows:?}");
    assert!(rows[1].1 < 0.0, "{rows:?}");
}

#[test]
fn va_flow_raises_afterload() {
    let mut rows = Vec::new();
    for rpm in [1800.0, 2800.0, 3800.0] {
        let act = Actuation {
            pump_rpm: rpm,
            return_clamp: 0.0,
            sweep_lpm: 3.0,
            fdo2: 0.6,
            heater_c: 37.0,
        };
        let (mut t, act) = warmed(
            "cardiogenic-shock",
            Configuration::VaFemoral,
            Some(act),
            60.0,
        );
        let m = means(&mut t, &act, 10.0);
        rows.push((m.flow, m.map, m.sv, m.la));
    }
    for w in rows.windows(2) {
        assert!(w[1].0 > w[0].0, "flow {rows:?}");
        assert!(w[1].1 > w[0].1, "MAP rises with VA flow {rows:?}");
        assert!(w[1].2 < w[0].2, "stroke volume falls {rows:?}");
    }
}

#[test]
fn hypovolaemia_causes_suction_and_chatter() {
    let act = vv(4600.0, 5.0);
    let (mut low, _) = warmed(
        "hypovolaemia",
        Configuration::VvFemoroJugular,
        Some(act),
        0.0,
    );
    let (mut full, _) = warmed(
        "hypovolaemia",
        Configuration::VvFemoroJugular,
        Some(act),
        0.0,
    );
    full.apply(&Event::Volume(1000.0)).unwrap();
    run(&mut low, &act, 30.0);
    run(&mut full, &act, 30.0);
    let f = means(&mut full, &act, 10.0);
    let l = means(&mut low, &act, 10.0);
    assert!(
        l.p_drainage < f.p_drainage - 50.0,
        "drainage {} vs {}",
        l.p_drainage,
        f.p_drainage
    );
    assert!(l.p_drainage_min < -250.0, "suction {}", l.p_drainage_min);
    // Chatter: the flow swings far more than the pulsatility of a full vein.
    assert!(
        l.flow_max - l.flow_min > 2.0 * (f.flow_max - f.flow_min),
        "swing {} vs {}",
        l.flow_max - l.flow_min,
        f.flow_max - f.flow_min
    );
    assert!(l.flow < f.flow, "flow {} vs {}", l.flow, f.flow);
}
