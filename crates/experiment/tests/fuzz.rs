//! Nothing panics: random edits of a valid experiment file, and random values in every numeric
//! field, give either an experiment or an error, never a panic.
use experiment::Experiment;
use proptest::prelude::*;

const VALID: &str = include_str!("../../../examples/experiments/vv-return-kink.toml");

proptest! {
    #![proptest_config(ProptestConfig::with_cases(500))]

    /// Delete a span and insert random text at a random place.
    #[test]
    fn edited_files_never_panic(at in 0usize..2000, cut in 0usize..40, insert in "\\PC{0,20}") {
        let mut s: Vec<char> = VALID.chars().collect();
        let at = at.min(s.len());
        let end = (at + cut).min(s.len());
        s.splice(at..end, insert.chars());
        let text: String = s.into_iter().collect();
        // Loading resolves names against the twin too.
        let _ = Experiment::from_toml(&text);
    }

    /// Any number in any numeric place: accepted only inside the documented range.
    #[test]
    fn any_number_anywhere(field in 0usize..6, x in prop_oneof![any::<f64>(), -1e4f64..1e4]) {
        let key = ["duration_s", "patient.heart_rate_bpm", "circuit.drainage_fr",
                   "settings.sweep_lpm", "timeline.at", "output.sample_interval_s"][field];
        let v = if x.is_nan() { "nan".to_string() } else if x.is_infinite() {
            if x > 0.0 { "inf".to_string() } else { "-inf".to_string() }
        } else { format!("{x:?}") };
        let text = match key {
            "duration_s" => format!("preset = \"ards-severe\"\nduration_s = {v}\n"),
            "timeline.at" => format!("preset = \"ards-severe\"\nduration_s = 60\n[[timeline]]\nat = {v}\nset = {{ sweep_lpm = 2 }}\n"),
            k => {
                let (t, f) = k.split_once('.').unwrap();
                format!("preset = \"ards-severe\"\nduration_s = 60\n[{t}]\n{f} = {v}\n")
            }
        };
        match Experiment::from_toml(&text) {
            Ok(_) => prop_assert!(x.is_finite()),
            Err(e) => prop_assert!(!e.path.is_empty() && e.to_string().contains(key.rsplit('.').next().unwrap()), "{e}"),
        }
    }
}
