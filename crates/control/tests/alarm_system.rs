//! The alarm system through its public interface, written against the mutants that survived
//! the crate's other tests (docs/control-mutants.md): the alarm set's arithmetic, what
//! `present()` and `acknowledge_all()` answer, and the log of every transition, latching
//! included (IEC 60601-1-8, ALM-3, ALM-4).

use control::{AlarmId, AlarmSet, AlarmSystem, LogEvent, Phase};

fn set(ids: &[AlarmId]) -> AlarmSet {
    ids.iter().copied().collect()
}

/// The set holds exactly what was inserted and not removed, at both ends of the bit mask.
#[test]
fn alarm_set_insert_remove_len_and_empty() {
    let first = AlarmId::ALL[0];
    let last = *AlarmId::ALL.last().unwrap();
    let mid = AlarmId::ALL[AlarmId::ALL.len() / 2];
    let mut s = AlarmSet::EMPTY;
    assert!(s.is_empty());
    assert_eq!(s.len(), 0);
    s.insert(first);
    s.insert(mid);
    s.insert(last);
    assert!(!s.is_empty());
    assert_eq!(s.len(), 3);
    assert_eq!(s.iter().collect::<Vec<_>>(), vec![first, mid, last]);
    s.remove(mid);
    assert_eq!(s, set(&[first, last]));
    assert_eq!(s.len(), 2);
    // Removing what is absent changes nothing.
    s.remove(mid);
    assert_eq!(s, set(&[first, last]));
    s.remove(last);
    assert_eq!(s, set(&[first]));
    s.remove(first);
    assert!(s.is_empty());
    assert_eq!(s.len(), 0);
    assert_eq!(s, AlarmSet::EMPTY);
    let all = set(AlarmId::ALL);
    assert_eq!(all.len(), AlarmId::ALL.len());
    let mut one_less = all;
    one_less.remove(AlarmId::ALL[1]);
    assert_eq!(one_less.len(), AlarmId::ALL.len() - 1);
    assert!(!one_less.contains(AlarmId::ALL[1]));
    assert!(one_less.contains(AlarmId::ALL[0]) && one_less.contains(AlarmId::ALL[2]));
}

/// Raise `id` until it is Active (its condition delay elapsed): returns the time.
fn raise(sys: &mut AlarmSystem, id: AlarmId, t0: u64) -> u64 {
    let t1 = t0 + id.spec().delay_ms as u64;
    sys.update(t0, set(&[id]));
    sys.update(t1, set(&[id]));
    assert!(
        matches!(sys.state(id).phase, Phase::Active { .. }),
        "{id:?}"
    );
    t1
}

/// ALM-2/ALM-3: `present()` is the alarms whose condition holds (Pending or Active), never a
/// latched one; every raise, latch and clear is logged, for every alarm in the table.
#[test]
fn present_and_the_log_of_every_transition() {
    for &id in AlarmId::ALL {
        let spec = id.spec();
        let mut sys = AlarmSystem::new();
        sys.update(0, set(&[id]));
        assert_eq!(
            sys.present(),
            set(&[id]),
            "{id:?} pending or active is present"
        );
        let t = raise(&mut sys, id, 0) + 10;
        assert_eq!(sys.present(), set(&[id]));
        assert!(
            sys.log()
                .entries()
                .iter()
                .any(|e| e.alarm == id && e.event == LogEvent::Raised)
        );
        sys.update(t, AlarmSet::EMPTY);
        assert!(sys.present().is_empty(), "{id:?}: condition gone");
        let events: Vec<LogEvent> = sys.log().entries().iter().map(|e| e.event).collect();
        if spec.latching {
            assert!(
                matches!(sys.state(id).phase, Phase::Latched { .. }),
                "{id:?}"
            );
            assert_eq!(events, vec![LogEvent::Raised, LogEvent::Latched], "{id:?}");
            assert_eq!(sys.signalled(), set(&[id]));
        } else {
            assert_eq!(sys.state(id).phase, Phase::Inactive, "{id:?}");
            assert_eq!(events, vec![LogEvent::Raised, LogEvent::Cleared], "{id:?}");
            assert!(sys.signalled().is_empty());
        }
    }
}

/// ALM-4: acknowledge_all answers how many alarms it acknowledged: the signalled silenceable
/// ones, none of the others.
#[test]
fn acknowledge_all_counts_what_it_acknowledged() {
    let pausable: Vec<AlarmId> = AlarmId::ALL
        .iter()
        .copied()
        .filter(|a| a.spec().pausable)
        .take(3)
        .collect();
    let fixed = AlarmId::ALL.iter().copied().find(|a| !a.spec().pausable);
    assert_eq!(pausable.len(), 3);
    let mut sys = AlarmSystem::new();
    assert_eq!(sys.acknowledge_all(0), 0, "nothing signalled");
    let mut on = set(&pausable);
    if let Some(f) = fixed {
        on.insert(f);
    }
    let delay = AlarmId::ALL
        .iter()
        .map(|a| a.spec().delay_ms as u64)
        .max()
        .unwrap();
    sys.update(0, on);
    sys.update(delay, on);
    assert_eq!(sys.signalled(), on);
    assert_eq!(sys.acknowledge_all(delay + 10), 3);
    for &a in &pausable {
        assert!(sys.state(a).acknowledged, "{a:?}");
    }
    if let Some(f) = fixed {
        assert!(!sys.state(f).acknowledged, "{f:?} cannot be silenced");
    }
}

/// ALM-5: while audio is paused, an alarm that cannot be paused sounds at the highest
/// priority among such alarms, whatever their order in the table; the log is empty only
/// before anything happened.
#[test]
fn unpausable_alarms_sound_at_their_highest_priority_through_a_pause() {
    let fixed: Vec<AlarmId> = AlarmId::ALL
        .iter()
        .copied()
        .filter(|a| !a.spec().pausable)
        .collect();
    let delay = AlarmId::ALL
        .iter()
        .map(|a| a.spec().delay_ms as u64)
        .max()
        .unwrap();
    for &a in &fixed {
        for &b in &fixed {
            let mut sys = AlarmSystem::new();
            assert!(sys.log().is_empty());
            let on = set(&[a, b]);
            sys.update(0, on);
            sys.update(delay, on);
            assert!(!sys.log().is_empty());
            sys.pause_audio(delay + 1);
            let top = a.spec().priority.max(b.spec().priority);
            assert_eq!(
                sys.audio(),
                control::AudioState::Sounding(top),
                "{a:?} and {b:?}"
            );
        }
    }
}
