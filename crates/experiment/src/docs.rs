//! The reference tables of docs/experiments.md, generated from the parameter, setting, event
//! and signal tables and from the presets, so the document cannot drift from the code. A test
//! compares the document's generated block with this output (`UPDATE_DOCS=1` rewrites it).
use crate::format::{COATINGS, CONFIGURATIONS, MAX_DURATION_S, SENSOR_FAULTS};
use crate::params::{self, PATIENT_FIELDS, SETTING_FIELDS};
use crate::signals;
use input::num;
use physio::presets;

/// Check that the block of `doc` (a path under docs/) between `begin` and [`END`] is
/// `generated`; with `UPDATE_DOCS` set, rewrite it instead. Every document whose tables are
/// generated from the code's tables (experiments, scenarios, console) is kept true this way.
pub fn check_generated_block(
    doc: &std::path::Path,
    begin: &str,
    generated: &str,
) -> Result<(), String> {
    let text = std::fs::read_to_string(doc).map_err(|e| format!("{}: {e}", doc.display()))?;
    let b = text
        .find(begin)
        .ok_or_else(|| format!("{}: no `{begin}` marker", doc.display()))?
        + begin.len();
    let e = b + text[b..]
        .find(END)
        .ok_or_else(|| format!("{}: no `{END}` after `{begin}`", doc.display()))?;
    let want = format!("\n\n{generated}\n");
    if text[b..e] == want {
        return Ok(());
    }
    if std::env::var_os("UPDATE_DOCS").is_some() {
        let new = format!("{}{}{}", &text[..b], want, &text[e..]);
        return std::fs::write(doc, new).map_err(|e| format!("{}: {e}", doc.display()));
    }
    Err(format!(
        "{} is out of date with the code's tables; rerun the test with UPDATE_DOCS=1 set",
        doc.display()
    ))
}

/// Marks the start and end of the generated block in docs/experiments.md.
pub const BEGIN: &str =
    "<!-- BEGIN GENERATED: `UPDATE_DOCS=1 cargo test -p experiment --test docs` -->";
pub const END: &str = "<!-- END GENERATED -->";

fn fmt_default(x: f64) -> String {
    if x == x.trunc() && x.abs() < 1e9 {
        num(x)
    } else if x.abs() >= 10.0 {
        format!("{x:.1}")
    } else {
        format!("{x:.3}")
            .trim_end_matches('0')
            .trim_end_matches('.')
            .to_string()
    }
}

struct Preset {
    config: physio::TwinConfig,
    actuation: physio::Actuation,
}

/// The generated markdown (without the markers).
pub fn reference_markdown() -> String {
    let presets: Vec<(&str, Preset)> = presets::PRESET_NAMES
        .iter()
        .filter_map(|n| {
            presets::preset(n).map(|config| {
                let actuation = presets::default_actuation(&config);
                (*n, Preset { config, actuation })
            })
        })
        .collect();
    let preset_cols: String = presets.iter().map(|(n, _)| format!(" {n} |")).collect();
    let preset_rule: String = presets.iter().map(|_| "---|").collect();
    let mut s = String::new();

    s.push_str("### `[patient]`: patient parameters\n\n");
    s.push_str("Defaults are the preset's values; with no preset every one is required.\n\n");
    s.push_str(&format!(
        "| field | unit | range |{preset_cols} `set_patient` | meaning |\n|---|---|---|{preset_rule}---|---|\n"
    ));
    for f in PATIENT_FIELDS {
        let defaults: String = presets
            .iter()
            .map(|(_, p)| format!(" {} |", fmt_default((f.get)(&p.config.patient))))
            .collect();
        s.push_str(&format!(
            "| `{}` | {} | {}..={} |{defaults} {} | {} |\n",
            f.name,
            f.unit,
            num(f.min),
            num(f.max),
            if f.event.is_some() { "yes" } else { "no" },
            f.doc
        ));
    }

    s.push_str("\n### `[circuit]`: the circuit\n\n");
    s.push_str(&format!(
        "| field | unit | allowed |{preset_cols} meaning |\n|---|---|---|{preset_rule}---|\n"
    ));
    let conf_name = |c| {
        CONFIGURATIONS
            .iter()
            .find(|(_, x)| *x == c)
            .map_or("?", |(n, _)| *n)
    };
    let coat_name = |c| {
        COATINGS
            .iter()
            .find(|(_, x)| *x == c)
            .map_or("?", |(n, _)| *n)
    };
    let col = |f: &dyn Fn(&Preset) -> String| -> String {
        presets
            .iter()
            .map(|(_, p)| format!(" {} |", f(p)))
            .collect()
    };
    let names = |l: &[&str]| {
        l.iter()
            .map(|n| format!("`{n}`"))
            .collect::<Vec<_>>()
            .join(", ")
    };
    let confs: Vec<&str> = CONFIGURATIONS.iter().map(|(n, _)| *n).collect();
    let coats: Vec<&str> = COATINGS.iter().map(|(n, _)| *n).collect();
    s.push_str(&format!(
        "| `configuration` | - | {} |{} where the cannulae sit (see below) |\n",
        names(&confs),
        col(&|p| format!("`{}`", conf_name(p.config.circuit.configuration)))
    ));
    // The circuit's numbers: field, unit, range, each preset's value (`c`: its circuit), meaning.
    macro_rules! circuit_numbers {
        ($($name:literal, $unit:literal, $range:expr, |$c:ident| $value:expr, $doc:literal;)+) => {
            $(
                let (lo, hi) = $range;
                s.push_str(&format!(
                    "| `{}` | {} | {}..={} |{} {} |\n",
                    $name,
                    $unit,
                    num(lo),
                    num(hi),
                    col(&|p| {
                        let $c = &p.config.circuit;
                        fmt_default($value)
                    }),
                    $doc
                ));
            )+
        };
    }
    circuit_numbers! {
        "drainage_fr", "Fr", params::circuit::drainage_fr(), |c| c.drainage.size_fr,
            "drainage cannula size; range of the venous ΔP fit (circuit.md)";
        "return_fr", "Fr", params::circuit::return_fr(), |c| c.return_cannula.size_fr,
            "return cannula size; range of the arterial ΔP fit (circuit.md)";
        "drainage_depth_cm", "cm", params::circuit::DRAINAGE_DEPTH_CM, |c| c.placement.drainage_depth_cm,
            "femoral drainage cannula inserted this deep at the groin: the tip sits 50 cm (adult, scaled by weight^⅓) minus this below the middle of the right atrium, the side holes over the 15 cm behind it (physio::placement)";
        "return_depth_cm", "cm", params::circuit::RETURN_DEPTH_CM, |c| c.placement.return_depth_cm,
            "venous return cannula's depth: jugular (tip 16 cm minus this above mid-atrium) in femoro-jugular VV, femoral (like the drainage) in femoro-femoral VV; unused in VA";
        "return_jet_angle_deg", "°", params::circuit::RETURN_JET_ANGLE_DEG, |c| c.placement.return_jet_angle_deg,
            "`vv-dual-lumen` only: angle between the return jet and the tricuspid valve (0: aimed through the valve, as placed under echo; 180: turned toward the IVC)";
        "tubing_length_m", "m", params::circuit::TUBING_LENGTH_M, |c| c.tubing.length_m,
            "total tubing length";
        "tubing_diameter_mm", "mm", params::circuit::TUBING_DIAMETER_MM, |c| c.tubing.inner_diameter_mm,
            "tubing inner diameter (3/8\" = 9.525)";
    }
    s.push_str(&format!(
        "| `pump` | - | {} |{} centrifugal pump model |\n",
        names(&physio::pump::PumpModel::NAMES),
        col(&|_| "preset's".into())
    ));
    s.push_str(&format!(
        "| `oxygenator` | - | {} |{} membrane oxygenator model |\n",
        names(&physio::oxygenator::OxygenatorModel::NAMES),
        col(&|_| "preset's".into())
    ));
    s.push_str(&format!(
        "| `coating` | - | {} |{} blood-contacting surface; slows clot growth |\n",
        names(&coats),
        col(&|p| format!("`{}`", coat_name(p.config.circuit.coating)))
    ));
    s.push_str(&format!(
        "| `prime` | - | {} |{} what a new circuit holds before flow starts (physio prime.rs): `established` for support already running (its prime mixed before the start, the patient's `hb_g_dl` is the Hb on support); the others start support: when flow first washes the circuit out its volume mixes with the patient's blood, Hb falls by the mixing ratio (crystalloid, albumin 5 %) and a crystalloid's water then leaves the plasma for the interstitium (half-time about 8 min, Törnudd 2014); `blood` is red cells reconstituted to `prime_hb_g_dl` (the patient's Hb if not given); `by-size` is blood when the circuit holds at least a quarter of the patient's blood volume (neonates, small infants), crystalloid otherwise |\n",
        names(&physio::prime::Prime::NAMES),
        col(&|p| format!("`{}`", p.config.circuit.prime.name()))
    ));
    let (lo, hi) = params::circuit::PRIME_HB_G_DL;
    s.push_str(&format!(
        "| `prime_hb_g_dl` | g/dL | {}..={} |{} Hb of a blood prime (only with `prime = \"blood\"`) |\n",
        num(lo),
        num(hi),
        col(&|_| "patient's".into())
    ));

    s.push_str("\n### `[settings]` and timeline `set`: what the console asks of the circuit\n\n");
    s.push_str(&format!(
        "| field | unit | range |{preset_cols} meaning |\n|---|---|---|{preset_rule}---|\n"
    ));
    for f in SETTING_FIELDS {
        s.push_str(&format!(
            "| `{}` | {} | {}..={} |{} {} |\n",
            f.name,
            f.unit,
            num(f.min),
            num(f.max),
            col(&|p| fmt_default((f.get)(&p.actuation))),
            f.doc
        ));
    }

    s.push_str(
        "\n### Top level\n\n| field | unit | range | default | meaning |\n|---|---|---|---|---|\n",
    );
    s.push_str(
        "| `name` | - | text | none (the table shows the file name) | shown in the summary |\n",
    );
    s.push_str("| `description` | - | text | none | free text |\n");
    s.push_str(&format!(
        "| `preset` | - | {} | none | the patient, circuit and settings to start from |\n",
        names(presets::PRESET_NAMES)
    ));
    s.push_str(&format!(
        "| `duration_s` | s | >0..={} | required | length of the run (30 days at most) |\n",
        num(MAX_DURATION_S)
    ));
    s.push_str(
        "| `seed` | - | 0..=2^63-1 | 0 | seed of everything random in the twin (sensor noise) |\n",
    );

    s.push_str(
        "\n### `[output]`\n\n| field | unit | range | default | meaning |\n|---|---|---|---|---|\n",
    );
    s.push_str("| `sample_interval_s` | s | 0.002..=duration | 1 | CSV row interval, rounded to whole twin steps (2 ms) |\n");
    s.push_str("| `signals` | - | signal names | all | columns of the CSV and rows of the summary table (JSON always has all) |\n");
    s.push_str("| `final_window_s` | s | 0.02..=duration | max(10 % of duration, 60 s), capped at the duration | length of the `final` window |\n");

    s.push_str(&events_markdown());
    s.push_str("\n### `[sensors]` and timeline `sensor`\n\n| field | values | default | meaning |\n|---|---|---|---|\n");
    s.push_str("| `enabled` | true / false | false | also record what the console's sensors read: `sensor_<channel>` and `sensor_<channel>_valid` |\n");
    s.push_str("| `noise` | true / false | true | Gaussian measurement noise on every channel (sampling, range and resolution stay) |\n");
    s.push_str("\nTimeline `sensor = { channel = ..., fault = ..., value = ... }` (needs `enabled = true`):\n\n| fault | meaning |\n|---|---|\n");
    for (name, doc) in SENSOR_FAULTS {
        s.push_str(&format!("| `{name}` | {doc} |\n"));
    }
    s.push_str("\nChannels (`physio::sensors`; the truth averaged with a first-order lag τ and delayed, then σ = σ_abs + σ_rel·|truth|, sampled and held at the rate, saturated at the range, rounded to the resolution; the pulse oximeters give no reading below 8 mmHg of arterial pulse pressure and up to three times σ below 20):\n\n| channel | signals | unit | σ_abs | σ_rel | rate (Hz) | averaging τ (s) | delay (s) | range | resolution |\n|---|---|---|---|---|---|---|---|---|---|\n");
    for ch in physio::sensors::Channel::ALL {
        let sp = ch.spec();
        s.push_str(&format!(
            "| `{}` | `sensor_{}`, `sensor_{}_valid` | {} | {} | {} | {} | {} | {} | {}..={} | {} |\n",
            sp.name,
            sp.name,
            sp.name,
            sp.unit,
            fmt_default(sp.sigma_abs),
            fmt_default(sp.sigma_rel),
            fmt_default(1.0 / sp.period_s),
            fmt_default(sp.average_s),
            fmt_default(sp.delay_s),
            num(sp.range.0),
            num(sp.range.1),
            fmt_default(sp.resolution)
        ));
    }

    s.push_str("\n### Signals\n\nThe twin's true values (before any sensor model). Flags are 0 or 1, so their window mean is the share of time they were set.\n\n| signal | unit | meaning |\n|---|---|---|\n");
    for sig in signals::all() {
        s.push_str(&format!(
            "| `{}` | {} | {} |\n",
            sig.name, sig.unit, sig.doc
        ));
    }
    s
}

/// The events table (timeline `event = { kind = ..., ... }`), from physio's event table.
pub fn events_markdown() -> String {
    use physio::EventValue;
    let mut s = String::from(
        "\n### Events (timeline `event = { kind = ..., ... }`)\n\n| kind | value field | range | unit | meaning |\n|---|---|---|---|---|\n",
    );
    for k in physio::EVENTS {
        let (field, range, unit) = match k.value {
            EventValue::None => ("-".to_string(), "-".to_string(), "-".to_string()),
            EventValue::Flag => (
                format!("`{}`", k.field),
                "true / false".into(),
                "bool".into(),
            ),
            EventValue::Number(q) => (
                format!("`{}`", k.field),
                format!("{}..={}", num(q.min), num(q.max)),
                q.unit.to_string(),
            ),
            EventValue::Patient => (
                format!("`param`, `{}`", k.field),
                "`param`: a patient field marked yes above; `value`: that field's range".into(),
                "that field's".into(),
            ),
        };
        s.push_str(&format!(
            "| `{}` | {field} | {range} | {unit} | {} |\n",
            k.name, k.doc
        ));
    }
    s
}
