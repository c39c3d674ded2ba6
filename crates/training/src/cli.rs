//! What `ecmo train` and `ecmo debrief` do, kept here so that the binary stays a thin shell.
use crate::debrief::Debrief;
use crate::scenario::{Scenario, load_script};
use std::path::{Path, PathBuf};

/// The script a run uses: a file's `[[action]]` list, the scenario's model answer, or nothing.
pub enum Trainee<'a> {
    Script(&'a Path),
    ModelAnswer,
    Nobody,
}

/// Run a scenario headless and keep the run (`run.json`) in `out`. Returns a summary.
pub fn train(scenario: &Path, trainee: Trainee, out: &Path) -> Result<String, String> {
    let sc = Scenario::load(scenario).map_err(|e| e.to_string())?;
    let (name, steps) = match trainee {
        Trainee::Script(p) => {
            let (name, steps) = load_script(p).map_err(|e| e.to_string())?;
            (name.unwrap_or_else(|| p.display().to_string()), steps)
        }
        Trainee::ModelAnswer => ("model answer".to_string(), sc.model_answer.clone()),
        Trainee::Nobody => ("nobody (no actions)".to_string(), Vec::new()),
    };
    let rec = crate::run_script(&sc, &name, &steps).map_err(|e| format!("script: {e}"))?;
    std::fs::create_dir_all(out).map_err(|e| format!("cannot create {}: {e}", out.display()))?;
    let path = out.join("run.json");
    std::fs::write(&path, rec.to_json())
        .map_err(|e| format!("cannot write {}: {e}", path.display()))?;
    let s = crate::score(&sc, &rec);
    Ok(format!(
        "{}: {} — {:.0} % ({:.0}/{:.0} points){}\n{:.0} s simulated in {:.2} s ({:.0}x real time); run kept in {}\nnext: ecmo debrief {}",
        sc.name,
        if s.passed { "PASSED" } else { "NOT PASSED" },
        s.percent,
        s.points,
        s.max_points,
        if s.critical_failures.is_empty() {
            String::new()
        } else {
            format!("; critical: {}", s.critical_failures.join(", "))
        },
        rec.ended_s,
        rec.wall_s,
        rec.ended_s / rec.wall_s.max(1e-9),
        path.display(),
        out.display()
    ))
}

/// `RUN` may be a run file or the directory holding `run.json`; the report goes to `out` or
/// next to the run.
pub fn debrief(run: &Path, out: Option<&Path>) -> Result<(PathBuf, PathBuf), String> {
    let file = if run.is_dir() {
        run.join("run.json")
    } else {
        run.to_path_buf()
    };
    let d = Debrief::load(&file)?;
    let dir = match out {
        Some(o) => o.to_path_buf(),
        None => file
            .parent()
            .map_or_else(|| PathBuf::from("."), Path::to_path_buf),
    };
    d.write(&dir)
}
