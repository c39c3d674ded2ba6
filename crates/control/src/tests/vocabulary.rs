//! The settings vocabulary (command.rs, issue 13: one table per vocabulary): what files, the
//! wire and the page read from the table.

use super::*;

/// The settings table's groups carry their names in files and on the wire.
#[test]
fn group_names() {
    assert_eq!(Group::Control.name(), "control");
    assert_eq!(Group::Intervention.name(), "intervention");
    assert_eq!(Group::Alarm.name(), "alarm");
}

/// FdO2 (and every other fraction) is a fraction everywhere in code, files and the API, shown
/// on a screen as a percent; every other number is shown as it is.
#[test]
fn fractions_shown_as_percent() {
    let f = Setting::FdO2.spec();
    assert_eq!(f.unit, "fraction");
    assert_eq!((f.min, f.max), (0.21, 1.0));
    for s in SETTINGS.iter() {
        if s.unit == "fraction" {
            assert_eq!(
                (s.display_unit, s.display_scale),
                ("%", 100.0),
                "{}",
                s.name
            );
        } else {
            assert_eq!(
                (s.display_unit, s.display_scale),
                (s.unit, 1.0),
                "{}",
                s.name
            );
        }
    }
}

/// Each setting answers its row's name, label and unit: names distinct and never empty (a
/// parser finds a setting by its name).
#[test]
fn settings_answer_their_rows() {
    for (i, s) in SETTINGS.iter().enumerate() {
        let set = s.setting;
        assert_eq!(set.name(), s.name);
        assert_eq!(set.label(), s.label);
        assert_eq!(set.unit(), s.unit);
        assert!(!s.name.is_empty() && !s.label.is_empty(), "{s:?}");
        for other in SETTINGS.iter().skip(i + 1) {
            assert_ne!(s.name, other.name);
        }
    }
    assert_eq!(Setting::FdO2.name(), "fdo2");
    assert_eq!(Setting::Sweep.name(), "sweep_lpm");
}

/// Each setting's command, once accepted, is the value in force (`Setting::current`): the
/// table, the commands and the settings agree row by row.
#[test]
fn each_setting_round_trips_through_its_command() {
    // The bubble intervention has a row but no adjustable limit (refused by its command).
    let bubble = Setting::InterventionLimit(Intervention::Bubble);
    for s in SETTINGS.iter().filter(|s| s.setting != bubble) {
        let mut c = ctl(CircuitKind::Vv);
        let (lo, hi) = s.setting.range();
        let mut taken = None;
        for v in [0.5 * (lo + hi), lo + 0.25 * (hi - lo), lo, hi] {
            let cmd = s.setting.command(v, c.settings());
            if c.apply(0, &cmd).is_ok() {
                taken = Some(v);
                break;
            }
        }
        let v = taken.unwrap_or_else(|| panic!("{}: no value taken", s.name));
        assert_eq!(s.setting.current(c.settings()), v, "{}", s.name);
    }
}

/// Each switch answers its own row, and its command, once accepted, is what is in force.
#[test]
fn switches_answer_their_rows_and_round_trip() {
    for (i, s) in SWITCHES.iter().enumerate() {
        assert_eq!(s.switch.spec(), s, "{}", s.name);
        assert_eq!(s.switch.name(), s.name);
        assert!(!s.name.is_empty());
        for other in SWITCHES.iter().skip(i + 1) {
            assert_ne!(s.name, other.name);
        }
        for on in [true, false, true] {
            // A running VV pump with a PCO2 reading (automatic sweep needs one).
            let (mut c, t) = running_rpm(CircuitKind::Vv, 3000.0);
            let out = c.step(t + 10, &frame(t + 10), &[s.switch.command(on)]);
            assert_eq!(out.command_results[0], Some(Ok(())), "{} {on}", s.name);
            assert_eq!(s.switch.current(c.settings()), on, "{} {on}", s.name);
        }
    }
}

/// The modes and one-shot actions answer their names, distinct and never empty.
#[test]
fn modes_and_actions_answer_their_names() {
    for m in MODES {
        assert_eq!(m.item.name(), m.name);
        assert_eq!(Mode::by_name(m.name), Some(m.item));
    }
    for a in ACTIONS {
        assert_eq!(a.item.name(), a.name);
        assert_eq!(Action::by_name(a.name), Some(a.item));
    }
    let names = [
        Mode::Rpm.name(),
        Mode::ZeroFlow.name(),
        Action::PauseAudio.name(),
    ];
    assert_eq!(names, ["rpm", "zero_flow", "pause_audio"]);
}
