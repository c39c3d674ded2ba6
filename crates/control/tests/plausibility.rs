//! Plausibility (SEN-1..3): the channel set the controller reports faults in, and the pump
//! speed range at and below standstill. Written to catch the mutants of plausibility.rs that
//! the other tests let through (docs/control-mutants.md).
use control::plausibility::{CHANNEL_LIMITS, ChannelSet, Fault, Plausibility};
use control::{Channel, Reading, SensorFrame};

#[test]
fn channel_set_holds_exactly_what_was_inserted() {
    assert!(ChannelSet::EMPTY.is_empty());
    assert_eq!(ChannelSet::EMPTY.iter().count(), 0);
    for ch in Channel::ALL {
        assert!(!ChannelSet::EMPTY.contains(ch), "{ch:?} in the empty set");
        let mut s = ChannelSet::EMPTY;
        s.insert(ch);
        assert!(!s.is_empty());
        for other in Channel::ALL {
            assert_eq!(
                s.contains(other),
                other == ch,
                "{{{ch:?}}} contains {other:?}"
            );
        }
        assert_eq!(s.iter().collect::<Vec<_>>(), vec![ch]);
    }
    let mut two = ChannelSet::EMPTY;
    two.insert(Channel::Flow);
    two.insert(Channel::Hb);
    assert_eq!(
        two.iter().collect::<Vec<_>>(),
        vec![Channel::Flow, Channel::Hb]
    );
    assert!(!two.contains(Channel::PumpSpeed));
}

/// One pump speed reading, judged on a fresh monitor with the pump stopped.
fn speed_fault(rpm: f32) -> Option<Fault> {
    speed_fault_at(rpm, 1_000, 1_000)
}

/// One pump speed reading sampled at `t_ms`, judged at `now_ms`.
fn speed_fault_at(rpm: f32, t_ms: u64, now_ms: u64) -> Option<Fault> {
    let mut frame = SensorFrame::MISSING;
    frame.pump_speed = Reading::new(rpm, t_ms);
    let mut p = Plausibility::new();
    p.check(now_ms, &frame, false);
    p.fault(Channel::PumpSpeed)
}

/// SEN-2 dropout: a reading up to `stale_ms` old is used, one older is a dropout, and one
/// stamped in the future (a clock fault) is never used.
#[test]
fn readings_are_stale_only_beyond_the_limit_and_never_from_the_future() {
    let stale = CHANNEL_LIMITS[Channel::PumpSpeed.index()].stale_ms;
    let now = 10_000;
    assert_eq!(speed_fault_at(3000.0, now, now), None);
    assert_eq!(speed_fault_at(3000.0, now - 100, now), None);
    assert_eq!(speed_fault_at(3000.0, now - stale, now), None);
    assert_eq!(
        speed_fault_at(3000.0, now - stale - 1, now),
        Some(Fault::Dropout)
    );
    assert_eq!(speed_fault_at(3000.0, now + 1, now), Some(Fault::Dropout));
}

/// A stopped rotor reads 0 rpm, and one turned backwards by retrograde flow reads a little
/// below: both are plausible; only readings beyond the table's range are sensor faults.
#[test]
fn a_stopped_or_slightly_reversed_pump_speed_is_plausible() {
    let lim = CHANNEL_LIMITS[Channel::PumpSpeed.index()];
    assert!(lim.min < 0.0 && lim.max >= 5000.0, "{lim:?}");
    assert_eq!(speed_fault(0.0), None);
    assert_eq!(speed_fault(-100.0), None);
    // The range is closed: its ends are plausible.
    assert_eq!(speed_fault(lim.min), None);
    assert_eq!(speed_fault(lim.max), None);
    assert_eq!(speed_fault(lim.min - 1.0), Some(Fault::OutOfRange));
    assert_eq!(speed_fault(5000.0), None);
    assert_eq!(speed_fault(lim.max + 1.0), Some(Fault::OutOfRange));
}

/// The arterial line (MON-11, INT-6): a line that is flushed or zeroed reads near 0 mmHg and a
/// little below, and a non-ejecting heart's low flat pressure is real; these are plausible.
/// Only readings below −30 or above 350 mmHg are sensor faults.
#[test]
fn a_zeroed_or_low_arterial_line_is_plausible() {
    let fault = |mmhg: f32| {
        let mut frame = SensorFrame::MISSING;
        frame.p_art = Reading::new(mmhg, 1_000);
        let mut p = Plausibility::new();
        p.check(1_000, &frame, true);
        p.fault(Channel::ArterialPressure)
    };
    for mmhg in [0.0, -10.0, -30.0, 12.0, 25.0, 60.0, 350.0] {
        assert_eq!(fault(mmhg), None, "{mmhg} mmHg");
    }
    assert_eq!(fault(-31.0), Some(Fault::OutOfRange));
    assert_eq!(fault(351.0), Some(Fault::OutOfRange));
}

#[test]
fn faulty_lists_the_faulty_channels_only() {
    let mut frame = SensorFrame::MISSING;
    frame.pump_speed = Reading::new(0.0, 1_000);
    let mut p = Plausibility::new();
    p.check(1_000, &frame, false);
    let faulty = p.faulty();
    assert!(!faulty.contains(Channel::PumpSpeed));
    for ch in Channel::ALL {
        if ch != Channel::PumpSpeed {
            assert!(faulty.contains(ch), "{ch:?} missing yet not faulty");
        }
    }
}

/// Haemoglobin `a` sampled and judged at 1000 ms, then `b` sampled at `t_b` and judged at
/// `now_b`, on a fresh monitor: the verdict on `b`.
fn hb_pair_fault(a: f32, b: f32, t_b: u64, now_b: u64) -> Option<Fault> {
    let mut p = Plausibility::new();
    let mut frame = SensorFrame::MISSING;
    frame.hb = Reading::new(a, 1_000);
    p.check(1_000, &frame, false);
    assert_eq!(p.fault(Channel::Hb), None);
    frame.hb = Reading::new(b, t_b);
    p.check(now_b, &frame, false);
    p.fault(Channel::Hb)
}

/// `b` one second after `a`.
fn hb_step_fault(a: f32, b: f32) -> Option<Fault> {
    hb_pair_fault(a, b, 2_000, 2_000)
}

/// SEN-1 rate of change: a change of exactly jump + rate·dt is allowed, more is a fault
/// (1.5 + 2.0·1 s = 3.5 g/dL for Hb, exact in f32).
#[test]
fn rate_of_change_limit_is_inclusive() {
    let lim = CHANNEL_LIMITS[Channel::Hb.index()];
    let allowed = lim.jump + lim.max_rate_per_s;
    assert_eq!(allowed, 3.5, "{lim:?}");
    assert_eq!(hb_step_fault(10.0, 10.0 + allowed), None);
    assert_eq!(hb_step_fault(10.0, 10.0 - allowed), None);
    assert_eq!(hb_step_fault(10.0, 13.6), Some(Fault::RateOfChange));
    assert_eq!(hb_step_fault(10.0, 6.4), Some(Fault::RateOfChange));
}

/// `b` carrying the sample time of `a` (a sample-and-hold sensor read again before its next
/// sample), judged 10 ms later.
fn hb_same_time_fault(a: f32, b: f32) -> Option<Fault> {
    hb_pair_fault(a, b, 1_000, 1_010)
}

/// The same sample read twice is plausible; a different value under the same sample time is
/// plausible within the channel's noise (`jump`, inclusive) and a fault beyond it.
#[test]
fn a_repeated_sample_time_allows_only_noise() {
    let jump = CHANNEL_LIMITS[Channel::Hb.index()].jump;
    assert_eq!(jump, 1.5);
    assert_eq!(hb_same_time_fault(10.0, 10.0), None);
    assert_eq!(hb_same_time_fault(10.0, 10.0 + jump), None);
    assert_eq!(hb_same_time_fault(10.0, 10.0 - jump), None);
    assert_eq!(hb_same_time_fault(10.0, 12.0), Some(Fault::RateOfChange));
    assert_eq!(hb_same_time_fault(10.0, 8.0), Some(Fault::RateOfChange));
}

/// SEN-3 stuck: a flow reading bit-identical for exactly `stuck_ms` while the pump turns is
/// still live; one millisecond more is a stuck sensor. Each frame is freshly sampled.
#[test]
fn stuck_only_after_more_than_the_limit() {
    let stuck = CHANNEL_LIMITS[Channel::Flow.index()].stuck_ms;
    assert!(stuck > 0);
    let mut p = Plausibility::new();
    let mut frame = SensorFrame::MISSING;
    let mut at = |p: &mut Plausibility, t: u64| {
        frame.flow = Reading::new(4.0, t);
        p.check(t, &frame, true);
        p.fault(Channel::Flow)
    };
    assert_eq!(at(&mut p, 1_000), None);
    assert_eq!(at(&mut p, 1_000 + stuck / 2), None);
    assert_eq!(at(&mut p, 1_000 + stuck), None);
    assert_eq!(at(&mut p, 1_000 + stuck + 1), Some(Fault::Stuck));
}
