//! A training scenario served by the console: the instructor speeds it up, enters the trainee's
//! bedside action, remarks and ends it; the trainee works the console; everything is recorded
//! with the run and the debrief is served from the recording (and written by `ecmo debrief`'s
//! library path).
mod common;
use common::*;
use console::{LoopConfig, ServeOptions, start, store};
use engine::model::Role;
use serde_json::json;
use std::time::Duration;

fn scenario() -> std::path::PathBuf {
    std::path::PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../../scenarios/02-drainage-kink.toml")
}

fn scenario_time(h: &console::Handle, c: &str) -> f64 {
    http(h.addr, "GET", "/api/state", Some(c), None).json()["status"]["t"]
        .as_f64()
        .unwrap_or(0.0)
}

fn inject(h: &console::Handle, c: &str, name: &str, value: f64) -> u16 {
    let body = json!({"name": name, "value": value}).to_string();
    inject_json(h.addr, c, &body).status
}

#[test]
fn instructor_and_trainee_play_a_scenario_and_the_debrief_is_served() {
    let dir = tempdir("training");
    let db = dir.join("ecmo.db");
    let o = ServeOptions {
        loop_cfg: LoopConfig::default(),
        ..opts(&dir)
    };
    let engine = engine::scenario_engine::build(&scenario(), None).unwrap();
    let h = start(&o, Box::new(engine)).unwrap();
    let instructor = admin_login(&h);
    store::put_user(
        &store::open(&db).unwrap(),
        "trainee",
        Role::Operator,
        "trainee-pass-1",
    )
    .unwrap();
    let trainee = login(h.addr, "trainee", "trainee-pass-1");

    // The instructor's controls are in the injection list; the trainee may not use them.
    let st = http(h.addr, "GET", "/api/state", Some(&instructor), None).json();
    let names: Vec<String> = st["status"]["injections"]
        .as_array()
        .map(|a| {
            a.iter()
                .map(|i| i["name"].as_str().unwrap_or("").to_string())
                .collect()
        })
        .unwrap_or_default();
    for n in [
        "scenario.pause",
        "scenario.speed",
        "scenario.end",
        "bedside.give_volume",
        "bedside.lab.pfhb",
        "drainage_kink",
    ] {
        assert!(names.iter().any(|x| x == n), "{n} missing from {names:?}");
    }
    assert_eq!(inject(&h, &trainee, "scenario.end", 1.0), 403);

    // Whether the scenario's clock passes `t` s within `limit_s` of wall time.
    let passes = |t: f64, limit_s: u64| {
        wait_for(Duration::from_secs(limit_s), || {
            scenario_time(&h, &instructor) > t
        })
    };
    // The scenario waits for the instructor to start it.
    std::thread::sleep(Duration::from_millis(300));
    assert_eq!(scenario_time(&h, &instructor), 0.0, "waits for the start");
    assert_eq!(inject(&h, &instructor, "scenario.start", 1.0), 202);
    assert!(passes(0.1, 5), "started");
    // Pause: the scenario's clock stands.
    assert_eq!(inject(&h, &instructor, "scenario.pause", 1.0), 202);
    std::thread::sleep(Duration::from_millis(300));
    let t0 = scenario_time(&h, &instructor);
    std::thread::sleep(Duration::from_millis(500));
    assert!((scenario_time(&h, &instructor) - t0).abs() < 0.05, "paused");
    assert_eq!(inject(&h, &instructor, "scenario.pause", 0.0), 202);
    // Faster: 40 × real time until the kink (at 60 s) has happened.
    assert_eq!(inject(&h, &instructor, "scenario.speed", 40.0), 202);
    assert!(passes(70.0, 20), "scenario time advances");
    assert_eq!(inject(&h, &instructor, "scenario.speed", 1.0), 202);

    // The trainee works the console: speed up (the wrong answer), then the instructor enters
    // what the trainee did at the bedside.
    let r = command(
        h.addr,
        &trainee,
        r#"{"type":"param","name":"rpm_target","value":3400}"#,
    );
    assert_eq!(r.status, 202, "{}", r.body);
    assert_eq!(
        inject(&h, &instructor, "bedside.release_drainage_kink", 1.0),
        202
    );
    assert_eq!(inject(&h, &instructor, "bedside.lab.blood_gas", 1.0), 202);
    let remark = json!({"text": "Turned the speed up before looking at the line."}).to_string();
    assert_eq!(
        post(h.addr, "/api/remark", &instructor, &remark).status,
        200
    );
    assert_eq!(post(h.addr, "/api/remark", &trainee, &remark).status, 403);
    let empty = json!({"text": "  "}).to_string();
    assert_eq!(post(h.addr, "/api/remark", &instructor, &empty).status, 400);
    std::thread::sleep(Duration::from_millis(300));

    // The scenario's own events and the remarks are the instructor's: the server holds them
    // back from the trainee (the page's filter is not the only guard).
    let kinds_for = |token: &str| -> Vec<String> {
        http(h.addr, "GET", "/api/events?limit=5000", Some(token), None).json()["events"]
            .as_array()
            .map(|a| {
                a.iter()
                    .filter_map(|r| r["e"]["kind"].as_str().map(str::to_string))
                    .collect()
            })
            .unwrap_or_default()
    };
    assert!(
        wait_for(Duration::from_secs(10), || {
            let k = kinds_for(&instructor);
            k.iter().any(|k| k == "remark") && k.iter().any(|k| k == "scenario")
        }),
        "the instructor sees the remark and the scenario's events"
    );
    let seen = kinds_for(&trainee);
    assert!(!seen.is_empty(), "the trainee sees the run's other events");
    for k in console::server::INSTRUCTOR_ONLY_EVENTS {
        assert!(
            !seen.iter().any(|s| s == k),
            "trainee was sent {k}: {seen:?}"
        );
    }

    // No debrief before the end.
    assert_eq!(
        http(h.addr, "GET", "/api/debrief", Some(&instructor), None).status,
        404
    );
    assert_eq!(inject(&h, &instructor, "scenario.end", 1.0), 202);
    assert!(
        wait_for(Duration::from_secs(10), || http(
            h.addr,
            "GET",
            "/api/debrief",
            Some(&trainee),
            None
        )
        .status
            == 200),
        "debrief served after the end"
    );
    let page = http(h.addr, "GET", "/api/debrief", Some(&instructor), None);
    assert!(page.body.contains("Debrief: Drainage line kink"));
    assert!(
        page.body
            .contains("Turned the speed up before looking at the line.")
    );
    assert!(page.body.contains("<svg class=\"plot\""));
    let pdf = http(h.addr, "GET", "/api/debrief.pdf", Some(&instructor), None);
    assert_eq!(pdf.status, 200);
    assert_eq!(pdf.header("Content-Type"), Some("application/pdf"));
    h.stop();

    // The recording holds the run: every action with who did it, the alarms, the remark.
    let rec = console::records::record_from_db(&db, None).unwrap();
    let kinds: Vec<(&str, &str, &str)> = rec
        .actions
        .iter()
        .map(|a| (a.who.as_str(), a.action.as_str(), a.value.as_str()))
        .collect();
    assert!(kinds.contains(&("trainee", "set_rpm", "3400")), "{kinds:?}");
    assert!(
        kinds.contains(&("trainee", "release_drainage_kink", "")),
        "{kinds:?}"
    );
    assert!(
        rec.actions
            .iter()
            .any(|a| a.action == "lab" && a.answer.contains("blood_gas sample drawn"))
    );
    assert!(rec.alarms.iter().any(|a| a.alarm == "suction" && a.raised));
    assert_eq!(rec.remarks.len(), 1);
    assert_eq!(rec.trainee, "trainee", "the user who worked the console");
    assert!(rec.happenings.iter().any(|h| h.text.contains("speed 40")));
    let d = training::debrief::Debrief::new(rec).unwrap();
    let kink = d
        .score
        .items
        .iter()
        .find(|i| i.id == "release_kink")
        .unwrap();
    assert_eq!(kink.status, training::score::Status::Done);
    let out = dir.join("debrief");
    d.write(&out).unwrap();
    assert!(out.join("debrief.pdf").is_file());
}
