//! The file format's ranges are the twin's: a value the parser accepts, the twin accepts, and
//! just outside the range the twin refuses too.
use experiment::params::{PATIENT_FIELDS, SETTING_FIELDS};
use physio::presets;

#[test]
fn patient_ranges_match_the_twin() {
    let base = presets::healthy_patient();
    for f in PATIENT_FIELDS {
        // Blood volume is also checked per kg of weight, which a single range cannot say.
        if f.name == "blood_volume_ml" {
            continue;
        }
        for (x, ok) in [
            (f.min, true),
            (f.max, true),
            (f.min - 1e-6 * (1.0 + f.min.abs()), false),
            (f.max + 1e-6 * (1.0 + f.max.abs()), false),
        ] {
            let mut p = base.clone();
            (f.set)(&mut p, x);
            if f.name == "weight_kg" {
                p.blood_volume_ml = 70.0 * x;
            }
            assert_eq!(
                p.validate().is_ok(),
                ok,
                "{} = {x}: twin says {:?}",
                f.name,
                p.validate()
            );
        }
    }
}

#[test]
fn setting_ranges_match_the_twin() {
    let cfg = presets::preset("ards-severe").unwrap();
    let base = presets::default_actuation(&cfg);
    for f in SETTING_FIELDS {
        for (x, ok) in [
            (f.min, true),
            (f.max, true),
            (f.min - 1e-6 * (1.0 + f.min.abs()), false),
            (f.max + 1e-6 * (1.0 + f.max.abs()), false),
        ] {
            let mut a = base;
            (f.set)(&mut a, x);
            assert_eq!(a.validate().is_ok(), ok, "{} = {x}", f.name);
        }
    }
}
