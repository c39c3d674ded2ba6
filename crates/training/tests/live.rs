//! A run driven step by step, as a console drives it: the trainee acts when they see fit, the
//! instructor injects faults and remarks and ends the run early; everything lands in the
//! record and is scored.
use sil::ChannelFault;
use training::action::Action;
use training::scenario::Happening;
use training::{Runner, Scenario, score};

/// The library scenario `file` (scenarios/).
fn library(file: &str) -> Scenario {
    let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/../../scenarios");
    Scenario::load(&std::path::Path::new(dir).join(file)).unwrap()
}

#[test]
fn instructor_and_trainee_actions_are_recorded_and_scored() {
    let sc = library("02-drainage-kink.toml");
    let mut r = Runner::new(&sc, "alice").unwrap();
    while r.t_s() < 75.0 {
        r.step();
    }
    // The trainee first turns the speed up (the classic wrong answer), then finds the kink.
    let up = Action::new("x", "set_rpm", Some(&toml::Value::Integer(4000))).unwrap();
    assert!(r.act("trainee", &up).is_ok());
    // A bedside procedure that needs the pump stopped is refused while it turns.
    let change = Action::new("x", "change_oxygenator", None).unwrap();
    let refused = r.act("trainee", &change).unwrap_err();
    assert!(refused.contains("stop it"), "{refused}");
    for _ in 0..500 {
        r.step();
    }
    let fix = Action::new("x", "release_drainage_kink", None).unwrap();
    r.act("trainee", &fix).unwrap();
    r.remark(
        "instructor",
        "Turned the speed up first; found the kink after 20 s.",
    );
    // The instructor fails the flow sensor live.
    r.inject(&Happening::Sensor(
        control::Channel::Flow,
        ChannelFault::Dropout,
    ))
    .unwrap();
    for _ in 0..3000 {
        r.step();
    }
    r.end();
    let t_end = r.t_s();
    for _ in 0..100 {
        r.step();
    }
    assert_eq!(r.t_s(), t_end, "an ended run does not advance");
    let rec = r.finish();
    assert!((rec.ended_s - 110.0).abs() < 0.1, "{}", rec.ended_s);
    assert_eq!(rec.trainee, "alice");
    assert_eq!(rec.actions.len(), 3);
    assert!(!rec.actions[1].accepted);
    assert_eq!(rec.remarks.len(), 1);
    assert!(
        rec.happenings
            .iter()
            .any(|h| h.source == "instructor" && h.text.contains("flow sensor dropout"))
    );
    assert!(
        rec.alarms
            .iter()
            .any(|a| a.alarm == "flow_sensor_fault" && a.raised)
    );
    let s = score(&sc, &rec);
    let kink = s.items.iter().find(|i| i.id == "release_kink").unwrap();
    assert_eq!(kink.status, training::score::Status::Done);
    assert!((kink.delay_s.unwrap() - 20.0).abs() < 1.0);
}

/// The invariant of the crate's design note: the same scenario and script give the same record.
#[test]
fn runs_are_deterministic() {
    let sc = library("06-air-entrainment.toml");
    let mut a = training::run_script(&sc, "x", &sc.model_answer).unwrap();
    let mut b = training::run_script(&sc, "x", &sc.model_answer).unwrap();
    a.wall_s = 0.0;
    b.wall_s = 0.0;
    assert_eq!(a, b);
    // A late trainee gets half points for the late item and the debrief says so.
    let late: Vec<_> = sc
        .model_answer
        .iter()
        .cloned()
        .map(|mut s| {
            if s.action.kind == "secure_connection" {
                s.at_s = 100.0;
            }
            s
        })
        .collect();
    let rec = training::run_script(&sc, "late", &late).unwrap();
    let s = score(&sc, &rec);
    let item = s.items.iter().find(|i| i.id == "secure").unwrap();
    assert_eq!(item.status, training::score::Status::Late);
    assert_eq!(item.points, item.max_points / 2.0);
    assert!(!s.passed, "a critical item late fails the run");
}

/// `[settings.intervention_limits]` sets the automatic interventions' limits before the
/// warm-up, through the controller's own validation, as an operator would.
#[test]
fn scenario_settings_set_the_intervention_limits() {
    let base = library("02-drainage-kink.toml").source;
    let text = base.replacen(
        "fdo2 = 1.0\n",
        "fdo2 = 1.0\nintervention_limits = { suction_limit_mmhg = -150, return_pressure_limit_mmhg = 300 }\n",
        1,
    );
    assert_ne!(text, base);
    let r = Runner::new(&Scenario::parse(&text).unwrap(), "alice").unwrap();
    let s = r.sil().controller().settings();
    assert_eq!(s.intervention(control::Intervention::Suction).limit, -150.0);
    assert_eq!(
        s.intervention(control::Intervention::ReturnPressure).limit,
        300.0
    );
    // Without the table, the power-up limits (docs/hazards.md).
    let r = Runner::new(&Scenario::parse(&base).unwrap(), "alice").unwrap();
    let s = r.sil().controller().settings();
    assert_eq!(s.intervention(control::Intervention::Suction).limit, -100.0);
}
