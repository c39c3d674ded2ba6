//! The proof of the scenario library: for every scenario in `scenarios/`, the scripted good
//! trainee (its model answer) passes, and a trainee who does nothing fails. Each run is
//! headless on the full loop (twin, sensors, control core), hundreds of times faster than real
//! time; the scenarios run in parallel threads.
use std::path::{Path, PathBuf};
use std::sync::Mutex;
use training::{Scenario, run_script, score};

fn library() -> Vec<PathBuf> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../scenarios");
    let mut files: Vec<PathBuf> = std::fs::read_dir(&dir)
        .expect("scenarios/ exists")
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|x| x == "toml"))
        .collect();
    files.sort();
    files
}

#[test]
fn library_has_at_least_twelve_scenarios_and_all_load() {
    let files = library();
    assert!(files.len() >= 12, "{} scenarios", files.len());
    let mut names = Vec::new();
    for f in &files {
        let s = Scenario::load(f).unwrap_or_else(|e| panic!("{}: {e}", f.display()));
        assert!(
            !s.model_answer.is_empty(),
            "{}: no model answer",
            f.display()
        );
        assert!(
            s.expected.iter().any(|e| e.critical) || s.outcomes.iter().any(|o| o.critical),
            "{}: nothing critical",
            f.display()
        );
        names.push(s.name);
    }
    names.sort();
    names.dedup();
    assert_eq!(names.len(), files.len(), "scenario names are unique");
}

#[test]
fn good_trainee_passes_and_doing_nothing_fails_in_every_scenario() {
    let files = library();
    let queue = Mutex::new(files.clone());
    let results = Mutex::new(Vec::new());
    let threads = std::thread::available_parallelism().map_or(2, |n| n.get().min(4));
    std::thread::scope(|s| {
        for _ in 0..threads {
            s.spawn(|| {
                loop {
                    let Some(f) = queue.lock().unwrap().pop() else {
                        break;
                    };
                    let sc = Scenario::load(&f).unwrap();
                    let good = run_script(&sc, "model answer", &sc.model_answer).unwrap();
                    let none = run_script(&sc, "nothing", &[]).unwrap();
                    let (gs, ns) = (score(&sc, &good), score(&sc, &none));
                    results.lock().unwrap().push((
                        f,
                        sc.duration_s,
                        gs,
                        ns,
                        good.wall_s + none.wall_s,
                    ));
                }
            });
        }
    });
    let mut results = results.into_inner().unwrap();
    results.sort_by(|a, b| a.0.cmp(&b.0));
    let mut bad = Vec::new();
    let (mut sim, mut wall) = (0.0, 0.0);
    for (f, dur, g, n, w) in &results {
        let name = f.file_name().unwrap().to_string_lossy();
        eprintln!(
            "{name}: model answer {:.0} % {}, nothing {:.0} % {}; {:.0} s simulated twice in {w:.1} s",
            g.percent,
            if g.passed { "pass" } else { "FAIL" },
            n.percent,
            if n.passed { "PASS" } else { "fail" },
            dur
        );
        sim += 2.0 * dur;
        wall += w;
        if !g.passed {
            bad.push(format!(
                "{name}: the model answer fails ({:?})",
                g.items
                    .iter()
                    .filter(|i| i.points < i.max_points)
                    .map(|i| (&i.id, i.status, &i.detail))
                    .collect::<Vec<_>>()
            ));
        }
        if n.passed {
            bad.push(format!("{name}: doing nothing passes"));
        }
        // Doing nothing must miss every critical expected action that was reached.
        assert!(
            n.items
                .iter()
                .all(|i| i.kind != "action" || i.points == 0.0),
            "{name}: doing nothing earned action points"
        );
        // ... which says something only if acting earns them: the model answer does.
        let acted: f64 = g
            .items
            .iter()
            .filter(|i| i.kind == "action")
            .map(|i| i.points)
            .sum();
        if acted <= 0.0 {
            bad.push(format!("{name}: the model answer earned no action points"));
        }
        // Doing nothing fails on what happens to the patient or circuit, not on missed
        // actions alone.
        if !n
            .items
            .iter()
            .any(|i| i.kind != "action" && i.points < i.max_points)
        {
            bad.push(format!("{name}: doing nothing loses no outcome points"));
        }
    }
    eprintln!(
        "{} scenarios: {sim:.0} s simulated in {wall:.1} s of run time = {:.0}x real time",
        results.len(),
        sim / wall.max(1e-9)
    );
    assert!(bad.is_empty(), "{bad:#?}");
}

/// The ECPR scenario scores the coronary perfusion pressure the compressions made during the
/// low-flow CPR (`stat = "mean"` from the arrest until cannulation), not whether a shock
/// brought a rhythm back: the model answer's compressions keep it near Paradis 1990's mean
/// with ROSC, a team that never compresses makes next to none.
#[test]
fn ecpr_scores_the_cpp_of_the_low_flow_cpr() {
    let f = library()
        .into_iter()
        .find(|p| p.to_string_lossy().contains("15-ecpr"))
        .expect("the ECPR scenario");
    let sc = Scenario::load(&f).unwrap();
    let item = |trainee: &str, script| {
        let rec = run_script(&sc, trainee, script).unwrap();
        score(&sc, &rec)
            .items
            .into_iter()
            .find(|i| i.id == "cpp_low_flow")
            .expect("cpp_low_flow outcome")
    };
    let good = item("model answer", &sc.model_answer);
    let none = item("nothing", &[]);
    let (g, n) = (good.value.unwrap(), none.value.unwrap());
    assert!((18.0..35.0).contains(&g), "model answer CPP {g}");
    assert_eq!(good.points, good.max_points);
    assert!(n < 5.0, "no compressions CPP {n}");
    assert_eq!(none.points, 0.0);
}
