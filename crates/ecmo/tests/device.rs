//! The hardware boundary's proof with real processes (issue 5): `ecmo device` runs the pump
//! unit; `ecmo serve --device` is the console. The console is killed with SIGKILL while the
//! pump turns:
//!
//! - circuit flow never stops and the unit's setpoints never change (DEV-1, DEV-5);
//! - a restarted console is in session within 2 s and takes over without touching the pump
//!   (DEV-7, CTL-12): the unit reports no setpoint change from start to end;
//! - the recording marks the gap (the new run's `gap` event names the previous run and the
//!   time missing), and nothing recorded before the kill is lost (REC-1).
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

mod common;

use common::*;

fn serve(addr: &str, db: &std::path::Path) -> Kill {
    Kill(
        Command::new(env!("CARGO_BIN_EXE_ecmo"))
            .args(["serve", "--addr", "127.0.0.1:0", "--device", addr, "--db"])
            .arg(db)
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .expect("spawn ecmo serve --device"),
    )
}

#[test]
fn kill_9_console_flow_never_stops_restart_takes_over_recording_marks_the_gap() {
    let dir = fresh_dir("device");
    let db = dir.join("d.db");

    let (mut unit, urx, addr) = start_unit(&[]);
    let mut w = Watch::default();

    // The motor ramps up at power-up; wait for full flow.
    let mut up = false;
    wait_for(&urx, "status ", Duration::from_secs(10), &mut |l| {
        if l.starts_with("status ") && num(l, "flow_lpm") > 3.0 {
            up = true;
        }
    });
    let t0 = Instant::now();
    while !up && t0.elapsed() < Duration::from_secs(15) {
        if let Some((_, l)) = wait_line(&urx, "status ", 1) {
            up = num(&l, "flow_lpm") > 3.0;
        }
    }
    assert!(up, "the unit reached full flow after --start");

    // First console: in session, then records for a few seconds.
    let mut c1 = serve(&addr, &db);
    let c1rx = lines(&mut c1);
    let (t_session1, l) = w
        .wait(&urx, "event: session 1", 10)
        .expect("first console in session");
    assert!(l.contains("rpm="), "{l}");
    let flow_before = {
        let (_, s) = w.wait(&urx, "status ", 2).unwrap();
        w.see(&s);
        num(&s, "flow_lpm")
    };
    let t_end = t_session1 + Duration::from_secs(4);
    let from = w.frames.len();
    while Instant::now() < t_end {
        wait_for(&urx, "\u{0}", Duration::from_millis(100), &mut |l| w.see(l));
    }
    // Sensor frames at 100 Hz in real time while the console is in session (nominal rate; a
    // loaded shared machine may cost the unit a few sample periods).
    let (a, b) = (w.frames[from], w.frames[w.frames.len() - 1]);
    let rate = (b.1 - a.1) / (b.0 - a.0);
    eprintln!(
        "sensor frames: {rate:.1} per second over {:.1} s",
        b.0 - a.0
    );
    assert!(rate >= 90.0, "{rate} sensor frames per second");
    let wall_kill = console_wall_ms();
    c1.kill().expect("SIGKILL the console");
    c1.wait().unwrap();
    drop(c1rx);

    // The unit notices, and holds everything.
    w.wait(&urx, "event: console lost", 2)
        .expect("the unit notices the dead console within its timeout");
    let t_lost = Instant::now();
    while t_lost.elapsed() < Duration::from_millis(1500) {
        wait_for(&urx, "\u{0}", Duration::from_millis(100), &mut |l| w.see(l));
    }

    // Second console: in session within 2 s of its start, takes over.
    let spawned = Instant::now();
    let mut c2 = serve(&addr, &db);
    let c2rx = lines(&mut c2);
    let (t_session2, _) = wait_for(&urx, "event: session 2", Duration::from_secs(5), &mut |l| {
        w.see(l)
    })
    .expect("restarted console in session");
    let reconnect = t_session2 - spawned;
    assert!(
        reconnect < Duration::from_secs(2),
        "restarted console in session after {reconnect:?}"
    );
    eprintln!("restarted console in session {reconnect:?} after its start");
    let t_end = Instant::now() + Duration::from_secs(4);
    while Instant::now() < t_end {
        wait_for(&urx, "\u{0}", Duration::from_millis(100), &mut |l| w.see(l));
    }
    c2.kill().unwrap();
    c2.wait().unwrap();
    drop(c2rx);
    let _ = unit.kill();
    let _ = unit.wait();

    // Flow never stopped; the setpoints never changed (not at the kill, not at the takeover).
    assert!(w.statuses > 50, "{w:?}");
    let min_flow = w.min_flow.unwrap();
    assert!(
        min_flow > 0.9 * flow_before,
        "flow fell to {min_flow:.2} L/min from {flow_before:.2}"
    );
    assert!(
        w.setpoint_changes.is_empty(),
        "DEV-1/DEV-7/CTL-12: the unit's setpoints changed: {:?}",
        w.setpoint_changes
    );

    // The recording: run 1 is complete up to the kill (REC-1), run 2 marks the gap.
    let c = console::store::open_ro(&db).unwrap();
    let (last_wall, n, last_t): (i64, f64, f64) = c
        .query_row(
            "SELECT MAX(wall_ms), COUNT(*), MAX(t) FROM wave WHERE run = 1",
            [],
            |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)),
        )
        .unwrap();
    assert!(
        last_wall >= wall_kill - 1000,
        "run 1 ends {} ms before the kill",
        wall_kill - last_wall
    );
    assert!(
        n >= last_t * 100.0 - 2.0,
        "run 1: {n} samples up to {last_t} s"
    );
    let flows: Vec<Option<f64>> = {
        let mut st = c
            .prepare("SELECT flow FROM wave WHERE run = 1 AND t > 1.0 ORDER BY t")
            .unwrap();
        st.query_map([], |r| r.get::<_, Option<f64>>(0))
            .unwrap()
            .map(|x| x.unwrap())
            .collect()
    };
    // Every flow the console got from the unit is the running circuit's; a sample may be
    // missing where the newest Sensor frame was older than 30 ms at the control step (a busy
    // machine), which the console records as missing rather than stale.
    let low: Vec<f64> = flows
        .iter()
        .flatten()
        .copied()
        .filter(|&f| f <= 2.0)
        .collect();
    assert!(low.is_empty(), "run 1 recorded low flow: {low:?}");
    let missing = flows.iter().filter(|f| f.is_none()).count();
    eprintln!("run 1: {} flow samples, {missing} missing", flows.len());
    assert!(
        missing * 50 <= flows.len(),
        "run 1: {missing} of {} flow samples missing",
        flows.len()
    );
    let events = |run: i64, kind: &str| -> Vec<serde_json::Value> {
        let mut st = c
            .prepare(&format!(
                "SELECT detail FROM events WHERE run = {run} AND kind = '{kind}' ORDER BY id"
            ))
            .unwrap();
        st.query_map([], |r| r.get::<_, String>(0))
            .unwrap()
            .map(|s| serde_json::from_str(&s.unwrap()).unwrap())
            .collect()
    };
    let gap = events(2, "gap");
    assert_eq!(gap.len(), 1, "run 2 marks the gap once");
    let g = &gap[0];
    assert_eq!(g["previous_run"], 1);
    assert_eq!(g["previous_closed"], false, "run 1 was killed, not closed");
    let gap_s = g["gap_s"].as_f64().unwrap();
    assert!(
        (1.5..6.0).contains(&gap_s),
        "gap of {gap_s} s (1.5 s wait + start-up)"
    );
    let takeover = events(2, "takeover");
    assert_eq!(takeover.len(), 1);
    assert_eq!(takeover[0]["mode"], "Rpm");
    assert_eq!(
        takeover[0]["unit_setpoints"]["pump_rpm"].as_f64().unwrap(),
        w.rpm_set.unwrap()
    );
    let links = events(2, "link");
    assert!(
        links.iter().any(|l| l["state"] == "up"),
        "run 2 records the link coming up: {links:?}"
    );
    assert!(
        !events(1, "takeover").is_empty(),
        "run 1 also took over a running unit"
    );
}

fn console_wall_ms() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_millis() as i64
}

/// DEV-2 end to end: air entrained at the unit (its standard input) reaches the bubble detector;
/// the unit stops the pump and closes the clamp on its own, the console's control core sees the
/// air and keeps asking for the stop, and nothing restarts the pump once the air is gone — that
/// takes the operator (RestartAfterBubble at the console), never the link.
#[test]
fn air_at_the_unit_stops_and_clamps_and_the_console_keeps_it_stopped() {
    use std::io::Write;
    let dir = fresh_dir("device-air");
    let (mut unit, urx, addr) = start_unit(&[]);
    let mut console = serve(&addr, &dir.join("a.db"));
    wait_line(&urx, "event: session 1", 10).expect("console in session");
    let mut stdin = unit.stdin.take().unwrap();
    writeln!(stdin, "air_entrainment 50").unwrap();
    wait_line(&urx, "event: twin: applied AirEntrainment", 2).expect("the twin takes the event");
    let t_air = Instant::now();
    wait_line(&urx, "event: air stop", 30).expect("the unit stops on air");
    eprintln!("air stop {:?} after the air started", t_air.elapsed());
    writeln!(stdin, "air_entrainment 0").unwrap();
    // Stopped and clamped, and it stays so with the console connected.
    let mut last = String::new();
    let t0 = Instant::now();
    while t0.elapsed() < Duration::from_secs(4) {
        if let Some((_, l)) = wait_line(&urx, "status ", 1) {
            assert_eq!(num(&l, "rpm_set"), 0.0, "{l}");
            assert_eq!(field(&l, "clamp_set"), Some("closed"), "{l}");
            last = l;
        }
    }
    assert!(num(&last, "flow_lpm").abs() < 0.5, "flow stopped: {last}");
    assert_eq!(num(&last, "clamp_pos"), 1.0, "clamp closed: {last}");
    assert_eq!(field(&last, "link"), Some("alive"), "{last}");
    console.kill().unwrap();
    console.wait().unwrap();
    let _ = unit.kill();
    let _ = unit.wait();
}
