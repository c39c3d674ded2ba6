//! The small pieces every phase leans on: the panic-free clamp, the channels' names and units,
//! and the driver traits through a `&mut` (mutation testing, docs/control-mutants.md).

use super::*;

/// `clamp_between` clamps like `f32::clamp` and, with its bounds crossed, lets `hi` win.
#[test]
fn clamp_between_clamps_both_ways() {
    assert_eq!(clamp_between(-1.0, 0.0, 1.0), 0.0);
    assert_eq!(clamp_between(2.0, 0.0, 1.0), 1.0);
    assert_eq!(clamp_between(0.25, 0.0, 1.0), 0.25);
    assert_eq!(clamp_between(0.5, 1.0, 0.0), 0.0);
}

/// Every channel has its own name (logs and the console tell channels apart by it) and the
/// unit its readings are in.
#[test]
fn channels_have_distinct_names_and_their_units() {
    for (i, a) in Channel::ALL.iter().enumerate() {
        assert!(!a.name().is_empty(), "{a:?}");
        for b in &Channel::ALL[i + 1..] {
            assert_ne!(a.name(), b.name(), "{a:?} and {b:?}");
        }
        // The unit follows from what the name says is measured.
        let n = a.name();
        let unit = if n.contains("pressure") || n.contains("PO2") || n.contains("PCO2") {
            "mmHg"
        } else if n.contains("SO2") || n.contains("SaO2") {
            "%"
        } else {
            [
                ("flow", "L/min"),
                ("pump speed", "rpm"),
                ("haemoglobin", "g/dL"),
                ("temperature", "°C"),
                ("battery", "fraction"),
            ]
            .iter()
            .find(|(name, _)| *name == n)
            .map_or("?", |(_, u)| *u)
        };
        assert_eq!(a.unit(), unit, "{a:?}");
    }
    assert_eq!(Channel::Flow.name(), "flow");
}

/// A driver that records what it was asked and answers `fail`.
struct Recorder {
    fail: Option<ErrorKind>,
    commands: Option<ActuatorCommands>,
}

impl ErrorType for Recorder {
    type Error = ErrorKind;
}

impl SensorSource for Recorder {
    fn read(&mut self, now_ms: u64, frame: &mut SensorFrame) -> Result<(), ErrorKind> {
        frame.flow = Reading::new(4.2, now_ms);
        self.fail.map_or(Ok(()), Err)
    }
}

impl Actuators for Recorder {
    fn apply(&mut self, _now_ms: u64, commands: &ActuatorCommands) -> Result<(), ErrorKind> {
        self.commands = Some(*commands);
        self.fail.map_or(Ok(()), Err)
    }
}

fn read_through<S: SensorSource>(mut s: S, frame: &mut SensorFrame) -> Result<(), S::Error> {
    s.read(7, frame)
}

fn apply_through<A: Actuators>(mut a: A, c: &ActuatorCommands) -> Result<(), A::Error> {
    a.apply(7, c)
}

/// A `&mut` driver is the driver: reads and actuations, and their errors, pass through.
#[test]
fn a_borrowed_driver_reads_and_actuates_and_fails_as_itself() {
    for fail in [None, Some(ErrorKind::Timeout)] {
        let mut r = Recorder {
            fail,
            commands: None,
        };
        let mut frame = SensorFrame::default();
        assert_eq!(read_through(&mut r, &mut frame), fail.map_or(Ok(()), Err));
        assert_eq!(frame.flow, Reading::new(4.2, 7));
        assert_eq!(
            apply_through(&mut r, &ActuatorCommands::SAFE),
            fail.map_or(Ok(()), Err)
        );
        assert_eq!(r.commands, Some(ActuatorCommands::SAFE));
    }
}
