//! Every event takes effect; bad values are refused with the field and the range.
mod common;
use common::*;
use physio::{Configuration, Event, PatientParam, Twin};

#[test]
fn bad_values_name_the_field_and_range() {
    let (mut t, _) = warmed("ards-severe", Configuration::VvFemoroJugular, None, 0.0);
    for (ev, field) in [
        (Event::DrainageKink(1.5), "event.drainage_kink"),
        (Event::ReturnKink(-0.1), "event.return_kink"),
        (Event::AirEntrainment(f64::NAN), "event.air_entrainment"),
        (Event::OxygenatorFailure(2.0), "event.oxygenator_failure"),
        (Event::Volume(-5000.0), "event.volume"),
        (Event::Bleeding(-1.0), "event.bleeding"),
        (Event::HeparinBolus(1e9), "event.heparin_bolus"),
        (Event::HeparinInfusion(-5.0), "event.heparin_infusion"),
        (
            Event::SetPatient(PatientParam::HeartRate, 400.0),
            "patient.heart_rate_bpm",
        ),
        (Event::SetPatient(PatientParam::Fio2, 0.1), "patient.fio2"),
        (
            Event::SetPatient(PatientParam::ShuntFraction, 1.2),
            "patient.shunt_fraction",
        ),
    ] {
        let e = t.apply(&ev).expect_err("must be refused");
        assert_eq!(e.field, field, "{ev:?}");
        assert!(
            e.message.contains("range") || e.message.contains("cannot"),
            "{}",
            e.message
        );
    }
    let mut c = config("adult-healthy", Configuration::None);
    c.patient.weight_kg = 1.0;
    assert_eq!(Twin::new(&c).unwrap_err().field, "patient.weight_kg");
    let mut c = config("adult-healthy", Configuration::VaFemoral);
    c.circuit.drainage.size_fr = 50.0;
    assert_eq!(Twin::new(&c).unwrap_err().field, "circuit.drainage.size_fr");
}

#[test]
fn kinks_and_clamp_cut_flow() {
    let (mut t, act) = warmed("ards-severe", Configuration::VvFemoroJugular, None, 20.0);
    let base = t.observe();
    let dk = after(&mut t, &act, Event::DrainageKink(0.8), 5.0);
    assert!(
        dk.circuit_flow_lpm < 0.7 * base.circuit_flow_lpm,
        "{} {}",
        dk.circuit_flow_lpm,
        base.circuit_flow_lpm
    );
    // A drainage-side kink pulls the pre-pump pressure down.
    assert!(dk.p_drainage_mmhg < base.p_drainage_mmhg - 30.0);
    t.apply(&Event::DrainageKink(0.0)).unwrap();
    let rk = after(&mut t, &act, Event::ReturnKink(0.8), 5.0);
    assert!(rk.circuit_flow_lpm < 0.7 * base.circuit_flow_lpm);
    // A return-side kink raises the post-oxygenator pressure.
    assert!(rk.p_post_oxy_mmhg > base.p_post_oxy_mmhg + 30.0);
    t.apply(&Event::ReturnKink(0.0)).unwrap();
    let clamped = physio::Actuation {
        return_clamp: 1.0,
        ..act
    };
    run(&mut t, &clamped, 3.0);
    assert!(t.observe().circuit_flow_lpm.abs() < 0.05);
}

#[test]
fn pump_failure_coasts_down_and_va_flows_backward() {
    let (mut t, act) = warmed("cardiogenic-shock", Configuration::VaFemoral, None, 20.0);
    assert!(t.observe().circuit_flow_lpm > 2.0);
    let o = after(&mut t, &act, Event::PumpFailure(true), 1.0);
    // Coasting, not stopped dead.
    assert!(
        o.pump_speed_rpm > 500.0 && o.pump_speed_rpm < 3000.0,
        "{}",
        o.pump_speed_rpm
    );
    run(&mut t, &act, 15.0);
    let o = t.observe();
    assert!(o.pump_speed_rpm < 10.0);
    // Arterial pressure drives blood backwards through the stopped pump.
    assert!(o.circuit_flow_lpm < -0.2, "backflow {}", o.circuit_flow_lpm);
    t.apply(&Event::PumpFailure(false)).unwrap();
    run(&mut t, &act, 10.0);
    assert!(t.observe().circuit_flow_lpm > 2.0);
}

#[test]
fn power_loss_runs_on_battery() {
    let (mut t, act) = warmed("ards-severe", Configuration::VvFemoroJugular, None, 5.0);
    let o = after(&mut t, &act, Event::PowerLoss(true), 60.0);
    assert!(!o.mains_power);
    assert!(o.pump_speed_rpm > 3000.0, "still driven on battery");
    // Two hours of endurance: one minute costs about 1/120 of the charge.
    assert!(
        (o.battery_fraction - (1.0 - 60.0 / 7200.0)).abs() < 2e-3,
        "{}",
        o.battery_fraction
    );
    t.apply(&Event::PowerLoss(false)).unwrap();
    run(&mut t, &act, 10.0);
    assert!(t.observe().mains_power && t.observe().battery_fraction > o.battery_fraction);
}

#[test]
fn oxygenator_failure_cuts_transfer() {
    let (mut t, act) = warmed("ards-severe", Configuration::VvFemoroJugular, None, 30.0);
    let before = t.observe();
    let after = after(&mut t, &act, Event::OxygenatorFailure(0.9), 30.0);
    assert!(after.oxy_o2_transfer_ml_min < 0.5 * before.oxy_o2_transfer_ml_min);
    assert!(after.post_oxy.so2 < before.post_oxy.so2);
}

#[test]
fn air_reaches_the_detector_after_transit() {
    let (mut t, act) = warmed("ards-severe", Configuration::VvFemoroJugular, None, 10.0);
    assert!(!t.observe().bubble);
    t.apply(&Event::AirEntrainment(20.0)).unwrap();
    // Drainage line, pump head and oxygenator lie between the entry and the detector.
    run(&mut t, &act, 0.3);
    assert!(!t.observe().bubble, "too early");
    let mut seen = None;
    for i in 0..200 {
        run(&mut t, &act, 0.1);
        if t.observe().bubble {
            seen = Some(i);
            break;
        }
    }
    assert!(seen.is_some(), "air never reached the detector");
    t.apply(&Event::AirEntrainment(0.0)).unwrap();
    run(&mut t, &act, 120.0);
    assert!(!t.observe().bubble, "air washed out");
    assert!(t.observe().air_to_patient_ml > 0.0);
}

#[test]
fn bolus_and_bleeding_change_volume_and_pressure() {
    let (mut t, act) = warmed("adult-healthy", Configuration::None, None, 30.0);
    let v0 = t.observe().blood_volume_ml;
    let m0 = means(&mut t, &act, 5.0);
    t.apply(&Event::Bleeding(500.0)).unwrap();
    run(&mut t, &act, 120.0);
    t.apply(&Event::Bleeding(0.0)).unwrap();
    let v1 = t.observe().blood_volume_ml;
    assert!((v0 - v1 - 1000.0).abs() < 5.0, "lost {}", v0 - v1);
    let m1 = means(&mut t, &act, 5.0);
    assert!(m1.map < m0.map - 10.0 && m1.cvp < m0.cvp, "{m0:?} {m1:?}");
    t.apply(&Event::Volume(1000.0)).unwrap();
    run(&mut t, &act, 60.0);
    let m2 = means(&mut t, &act, 5.0);
    assert!(m2.map > m1.map + 10.0, "{m1:?} {m2:?}");
}

#[test]
fn patient_parameters_take_effect() {
    let (mut t, act) = warmed("adult-healthy", Configuration::None, None, 30.0);
    let m0 = means(&mut t, &act, 5.0);
    t.apply(&Event::SetPatient(PatientParam::LvEmax, 0.8))
        .unwrap();
    run(&mut t, &act, 30.0);
    let m1 = means(&mut t, &act, 5.0);
    assert!(m1.co < m0.co - 1.0 && m1.la > m0.la + 3.0, "{m0:?} {m1:?}");
    t.apply(&Event::SetPatient(PatientParam::LvEmax, 2.95))
        .unwrap();
    t.apply(&Event::SetPatient(PatientParam::HeartRate, 120.0))
        .unwrap();
    run(&mut t, &act, 20.0);
    assert_eq!(t.observe().heart_rate_bpm, 120.0);
    t.apply(&Event::SetPatient(PatientParam::Svr, 1.6)).unwrap();
    run(&mut t, &act, 30.0);
    let m2 = means(&mut t, &act, 5.0);
    assert!(m2.map > m0.map + 15.0, "{m0:?} {m2:?}");
    t.apply(&Event::SetPatient(PatientParam::AlveolarVentilation, 2.0))
        .unwrap();
    run(&mut t, &act, 300.0);
    let paco2 = means(&mut t, &act, 5.0).paco2_upper;
    // Halved ventilation doubles PaCO2 at steady state, but the tissue CO2 stores slow the
    // rise (tissue.rs): after 5 minutes it is well above normal, not yet doubled.
    assert!(paco2 > 48.0 && paco2 < 80.0, "PaCO2 {paco2}");
    t.apply(&Event::SetPatient(PatientParam::Temperature, 34.0))
        .unwrap();
    run(&mut t, &act, 10.0);
    assert!((t.observe().patient_temp_c - 34.0).abs() < 0.1);
    // VO2 at the patient's new set point is their own.
    t.apply(&Event::SetPatient(PatientParam::Vo2, 2.0)).unwrap();
    run(&mut t, &act, 30.0);
    assert!(
        (t.observe().vo2_ml_min - 150.0).abs() < 10.0,
        "{}",
        t.observe().vo2_ml_min
    );
}

#[test]
fn heater_warms_a_cold_patient() {
    let (mut t, act) = warmed("ards-severe", Configuration::VvFemoroJugular, None, 5.0);
    t.apply(&Event::SetPatient(PatientParam::Temperature, 34.0))
        .unwrap();
    // Back to a normal set point; the circuit at 38 °C warms faster than the body alone.
    let warm = physio::Actuation {
        heater_c: 38.0,
        ..act
    };
    run(&mut t, &warm, 600.0);
    let o = t.observe();
    assert!(o.patient_temp_c > 34.5, "{}", o.patient_temp_c);
    assert!(o.circuit_temp_c > o.patient_temp_c);
}

/// Without the heater the circuit cools the patient (physio::heat: about 24 W to a 24 °C room
/// and 4 L/min of sweep against about 80 W of metabolic heat); with the heater at the
/// patient's own temperature (38.5 °C in `ards-severe`) the patient holds. Before the circuit
/// lost heat the heater-off patient kept its temperature to 0.01 °C for 2 h.
#[test]
fn circuit_without_heater_cools_the_patient() {
    let (t0, act) = warmed("ards-severe", Configuration::VvFemoroJugular, None, 5.0);
    let start = t0.observe().patient_temp_c;
    let (mut off, mut on) = (t0.clone(), t0);
    run(
        &mut off,
        &physio::Actuation {
            heater_c: 0.0,
            ..act
        },
        7200.0,
    );
    run(
        &mut on,
        &physio::Actuation {
            heater_c: start,
            ..act
        },
        7200.0,
    );
    let (off, on) = (off.observe(), on.observe());
    let drop = start - off.patient_temp_c;
    eprintln!(
        "2 h: heater off {start:.3} -> {:.3} °C (circuit {:.3}); heater at {start:.2}: {:.3} °C",
        off.patient_temp_c, off.circuit_temp_c, on.patient_temp_c
    );
    assert!(
        (0.3..=1.2).contains(&drop),
        "heater off: {start} -> {}",
        off.patient_temp_c
    );
    assert!(off.circuit_temp_c < off.patient_temp_c);
    assert!(
        (on.patient_temp_c - start).abs() < 0.15,
        "heater on: {start} -> {}",
        on.patient_temp_c
    );
}

#[test]
fn heparin_raises_anti_xa() {
    let (mut t, act) = warmed("ards-severe", Configuration::VvFemoroJugular, None, 1.0);
    let a0 = t.observe().anti_xa_iu_ml;
    t.apply(&Event::HeparinBolus(5000.0)).unwrap();
    let o = after(&mut t, &act, Event::HeparinInfusion(1200.0), 60.0);
    assert!(o.anti_xa_iu_ml > a0 + 0.1, "{}", o.anti_xa_iu_ml);
    assert!(o.act_s > 150.0);
}

#[test]
fn oxygenator_thrombus_raises_pressure_drop_and_cuts_transfer() {
    let (mut t, act) = warmed("ards-severe", Configuration::VvFemoroJugular, None, 30.0);
    let before = t.observe();
    let after = after(&mut t, &act, Event::OxygenatorClot(0.5), 30.0);
    assert!(
        after.delta_p_oxy_mmhg > 1.5 * before.delta_p_oxy_mmhg,
        "dP {} -> {}",
        before.delta_p_oxy_mmhg,
        after.delta_p_oxy_mmhg
    );
    assert!(after.oxy_co2_transfer_ml_min < before.oxy_co2_transfer_ml_min);
    assert!(after.oxy_clot_fraction >= 0.5);
    assert_eq!(
        t.apply(&Event::OxygenatorClot(1.5)).unwrap_err().field,
        "event.oxygenator_clot"
    );
}

/// A membrane clotted to its limit has thousands of times its clean resistance; the circuit
/// flow must fall to a trickle, not ring or run away (found in a 96 h run without heparin).
#[test]
fn fully_clotted_oxygenator_stops_flow_stably() {
    let (mut t, act) = warmed("ards-severe", Configuration::VvFemoroJugular, None, 10.0);
    t.apply(&Event::OxygenatorClot(physio::oxygenator::MAX_CLOT))
        .unwrap();
    for _ in 0..30 {
        run(&mut t, &act, 1.0);
        let o = t.observe();
        assert!(all_finite(&o));
        assert!(
            o.circuit_flow_lpm.abs() < 0.2,
            "flow {}",
            o.circuit_flow_lpm
        );
        assert!(
            o.delta_p_oxy_mmhg.abs() < 500.0,
            "dP {}",
            o.delta_p_oxy_mmhg
        );
    }
}
