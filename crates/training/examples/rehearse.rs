//! Rehearse scenarios: run each with its model answer and with a trainee who does nothing, and
//! print both scores, the simulated and wall-clock times, and (with `--trace`) a trend table.
//!
//! `cargo run --release -p training --example rehearse -- scenarios/*.toml [--trace SIGNAL,...]`
use training::{Scenario, run_script, score};

fn main() {
    let mut files = Vec::new();
    let mut trace: Vec<String> = Vec::new();
    let mut every = 30.0;
    let mut args = std::env::args().skip(1);
    while let Some(a) = args.next() {
        match a.as_str() {
            "--trace" => {
                trace = args
                    .next()
                    .unwrap_or_default()
                    .split(',')
                    .map(str::to_string)
                    .collect()
            }
            "--every" => every = args.next().and_then(|s| s.parse().ok()).unwrap_or(30.0),
            _ => files.push(a),
        }
    }
    for f in files {
        let sc = match Scenario::load(std::path::Path::new(&f)) {
            Ok(s) => s,
            Err(e) => {
                eprintln!("{f}: {e}");
                continue;
            }
        };
        for (who, script) in [
            ("model answer", sc.model_answer.clone()),
            ("nothing", Vec::new()),
        ] {
            let rec = match run_script(&sc, who, &script) {
                Ok(r) => r,
                Err(e) => {
                    eprintln!("{f}: {e}");
                    continue;
                }
            };
            let s = score(&sc, &rec);
            println!(
                "{f} [{who}]: {:.0} % ({:.0}/{:.0}) {} — {:.0} s simulated in {:.2} s ({:.0}x)",
                s.percent,
                s.points,
                s.max_points,
                if s.passed { "PASS" } else { "FAIL" },
                rec.ended_s,
                rec.wall_s,
                rec.ended_s / rec.wall_s.max(1e-9)
            );
            for i in &s.items {
                println!(
                    "   {:<24} {:<11} {:>5.1}/{:<5.1} {}{}",
                    i.id,
                    i.status.word(),
                    i.points,
                    i.max_points,
                    i.detail,
                    if i.critical { " [critical]" } else { "" }
                );
            }
            for (a, t) in &rec.anchors {
                println!("   anchor {a} at {t:.0} s");
            }
            for a in rec.alarms.iter().filter(|a| a.raised).take(12) {
                println!("   alarm {:>7.0} s {}", a.t_s, a.alarm);
            }
            for a in rec.actions.iter() {
                println!(
                    "   action {:>6.0} s {} {} -> {}",
                    a.t_s, a.action, a.value, a.answer
                );
            }
            if !trace.is_empty() {
                println!("   {:>7} {}", "t", trace.join(" "));
                let mut next = 0.0;
                for (k, &t) in rec.t_s.iter().enumerate() {
                    if t + 1e-9 < next {
                        continue;
                    }
                    next = t + every;
                    let row: Vec<String> = trace
                        .iter()
                        .map(|n| {
                            rec.signals
                                .get(n)
                                .and_then(|v| v[k])
                                .map_or("-".into(), |x| format!("{x:.1}"))
                        })
                        .collect();
                    println!("   {t:>7.0} {}", row.join(" "));
                }
            }
        }
    }
}
