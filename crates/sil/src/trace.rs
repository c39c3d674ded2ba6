//! Fingerprints and recordings of the control core's inputs and outputs, for golden tests.
//!
//! Why: a refactoring of the control core (or of the loop around it) must not change one bit of
//! what it commands. [`Digest`] folds each step's sensor frame, commands, output and settings
//! into a 64-bit FNV-1a hash through their `Debug` form (`f32` prints the shortest text that
//! reads back to the same bits, so equal text is equal numbers); a run's digest is equal only
//! if every step was. [`Tape`] keeps the inputs themselves (frames and which commands were
//! taken) in a compact binary form, so that a recorded run can be replayed into a bare
//! [`control::Controller`] without the twin: a change of the twin then cannot hide or fake a
//! change of the controller.
//!
//! Format of a tape (integers little-endian or LEB128 varints): per step, the time as a varint
//! delta from the previous step; two varint masks over the frame's fields (the first 15
//! readings, bubble, mains, heartbeat, then the readings added since: the arterial line):
//! whose value changed and whose age changed since the previous
//! step; for each field, its new value if changed (a reading's bits as u32 and its validity as
//! u8; a flag as `value | valid << 1`) and its new age if changed (`now − t`, zigzag varint;
//! the heartbeat 0 for none or 1 + its age); then a varint count of commands and their indices
//! (varints) into the caller's command list. A field that holds its value and age costs
//! nothing.

use control::{Channel, Command, Flag, Output, Reading, SensorFrame, Settings};
use std::fmt::Write as _;

/// FNV-1a 64 over the `Debug` text of what it is given.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Digest(u64);

impl Default for Digest {
    fn default() -> Self {
        Digest::new()
    }
}

impl std::fmt::Write for Digest {
    fn write_str(&mut self, s: &str) -> std::fmt::Result {
        for b in s.bytes() {
            self.0 ^= b as u64;
            self.0 = self.0.wrapping_mul(0x0000_0100_0000_01B3);
        }
        Ok(())
    }
}

impl Digest {
    pub const fn new() -> Digest {
        Digest(0xcbf2_9ce4_8422_2325)
    }
    pub fn value(&self) -> u64 {
        self.0
    }
    /// Fold in anything with a `Debug` form.
    pub fn add(&mut self, x: &impl std::fmt::Debug) {
        // Writing into a hash cannot fail.
        let _ = write!(self, "{x:?};");
    }
    /// One control step: its time, frame, commands, output and the settings after it.
    pub fn step(
        &mut self,
        now_ms: u64,
        frame: &SensorFrame,
        commands: &[Command],
        output: &Output,
        settings: &Settings,
    ) {
        self.add(&now_ms);
        self.add(frame);
        self.add(&commands);
        self.add(output);
        self.add(settings);
    }
    /// The control step a loop has just taken, as [`Digest::step`] sees it.
    pub fn loop_step(&mut self, s: &crate::Sil) {
        let commands: Vec<Command> = s.last_commands().map(|(c, _)| *c).collect();
        self.step(
            s.now_ms(),
            s.frame(),
            &commands,
            s.output(),
            s.controller().settings(),
        );
    }
}

/// A recording of a controller's inputs, step by step.
#[derive(Clone, Debug, Default)]
pub struct Tape {
    bytes: Vec<u8>,
    prev: Option<(u64, SensorFrame)>,
}

/// One recorded step.
#[derive(Clone, Debug, PartialEq)]
pub struct TapeStep {
    pub now_ms: u64,
    pub frame: SensorFrame,
    /// Indices into the caller's command list.
    pub commands: Vec<usize>,
}

/// Why a tape could not be read.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TapeError {
    pub offset: usize,
    pub message: &'static str,
}

impl std::fmt::Display for TapeError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "tape byte {}: {}", self.offset, self.message)
    }
}

impl std::error::Error for TapeError {}

fn put_varint(out: &mut Vec<u8>, mut v: u64) {
    loop {
        let b = (v & 0x7f) as u8;
        v >>= 7;
        if v == 0 {
            out.push(b);
            return;
        }
        out.push(b | 0x80);
    }
}

fn zigzag(v: i64) -> u64 {
    ((v << 1) ^ (v >> 63)) as u64
}

fn unzigzag(v: u64) -> i64 {
    ((v >> 1) as i64) ^ -((v & 1) as i64)
}

/// Frame fields in tape order: the 15 readings of the first format, bubble, mains,
/// heartbeat, then readings added later (so a tape recorded before them still reads, with
/// those channels missing).
const FIELDS: usize = Channel::COUNT + 3;
/// Readings of the first format, in [`Channel`] index order.
const FIRST_READINGS: usize = 15;
const BUBBLE: usize = FIRST_READINGS;
const MAINS: usize = FIRST_READINGS + 1;
const HEARTBEAT: usize = FIRST_READINGS + 2;

/// A reading's field in tape order.
const fn slot(ch: Channel) -> usize {
    let i = ch.index();
    if i < FIRST_READINGS { i } else { i + 3 }
}

/// Whether a field is a reading (its value bits are on the tape).
const fn is_reading(field: usize) -> bool {
    field < FIRST_READINGS || field > HEARTBEAT
}

impl Tape {
    pub fn new() -> Tape {
        Tape::default()
    }

    /// The bytes recorded so far.
    pub fn bytes(&self) -> &[u8] {
        &self.bytes
    }

    /// Record one step: its time, the frame the controller saw and the indices of the commands
    /// it took.
    pub fn push(&mut self, now_ms: u64, frame: &SensorFrame, commands: &[usize]) {
        let (prev_t, prev) = self.prev.unwrap_or((0, SensorFrame::MISSING));
        let out = &mut self.bytes;
        put_varint(out, now_ms.wrapping_sub(prev_t));
        // Ages relative to each step's own time: a reading re-stamped every step keeps its age.
        let age = |now: u64, t: u64| zigzag(now.wrapping_sub(t) as i64);
        let fields = |f: &SensorFrame, now: u64| -> [(u32, u8, u64); FIELDS] {
            let mut a = [(0, 0, 0); FIELDS];
            for ch in Channel::ALL {
                let r = f.reading(ch);
                a[slot(ch)] = (r.value.to_bits(), r.valid as u8, age(now, r.t_ms));
            }
            for (i, g) in [(BUBBLE, f.bubble), (MAINS, f.mains_power)] {
                a[i] = (0, g.value as u8 | (g.valid as u8) << 1, age(now, g.t_ms));
            }
            a[HEARTBEAT] = (0, 0, f.ui_heartbeat_ms.map_or(0, |h| 1 + age(now, h)));
            a
        };
        let (was, is) = (fields(&prev, prev_t), fields(frame, now_ms));
        let (mut values, mut ages) = (0u64, 0u64);
        for (i, (w, x)) in was.iter().zip(&is).enumerate() {
            if (w.0, w.1) != (x.0, x.1) {
                values |= 1 << i;
            }
            if w.2 != x.2 {
                ages |= 1 << i;
            }
        }
        put_varint(out, values);
        put_varint(out, ages);
        for (i, x) in is.iter().enumerate() {
            if values & (1 << i) != 0 {
                if is_reading(i) {
                    out.extend_from_slice(&x.0.to_le_bytes());
                }
                out.push(x.1);
            }
            if ages & (1 << i) != 0 {
                put_varint(out, x.2);
            }
        }
        put_varint(out, commands.len() as u64);
        for &c in commands {
            put_varint(out, c as u64);
        }
        self.prev = Some((now_ms, *frame));
    }

    /// Read a tape back, step by step.
    pub fn read(bytes: &[u8]) -> Result<Vec<TapeStep>, TapeError> {
        let mut r = Reader { bytes, at: 0 };
        let mut steps = Vec::new();
        let mut t = 0u64;
        // Per field: value bits, validity (or flag byte), age code.
        let mut is = [(0u32, 0u8, 0u64); FIELDS];
        for ch in Channel::ALL {
            is[slot(ch)].2 = zigzag(0);
        }
        is[BUBBLE].2 = zigzag(0);
        is[MAINS].2 = zigzag(0);
        while r.at < bytes.len() {
            t = t.wrapping_add(r.varint()?);
            let values = r.varint()?;
            let ages = r.varint()?;
            if (values | ages) >> FIELDS != 0 {
                return Err(r.error("unknown field in a change mask"));
            }
            for (i, x) in is.iter_mut().enumerate() {
                if values & (1 << i) != 0 {
                    if is_reading(i) {
                        x.0 = u32::from_le_bytes(r.take::<4>()?);
                    }
                    x.1 = r.take::<1>()?[0];
                }
                if ages & (1 << i) != 0 {
                    x.2 = r.varint()?;
                }
            }
            let at = |a: u64| t.wrapping_sub(unzigzag(a) as u64);
            let mut frame = SensorFrame::MISSING;
            for ch in Channel::ALL {
                let x = is[slot(ch)];
                *frame.reading_mut(ch) = Reading {
                    value: f32::from_bits(x.0),
                    valid: x.1 != 0,
                    t_ms: at(x.2),
                };
            }
            let flag = |x: (u32, u8, u64)| Flag {
                value: x.1 & 1 != 0,
                valid: x.1 & 2 != 0,
                t_ms: at(x.2),
            };
            frame.bubble = flag(is[BUBBLE]);
            frame.mains_power = flag(is[MAINS]);
            let h = is[HEARTBEAT].2;
            frame.ui_heartbeat_ms = (h != 0).then(|| at(h - 1));
            let count = r.varint()?;
            if count > control::MAX_COMMANDS_PER_STEP as u64 {
                return Err(r.error("more commands in one step than the controller takes"));
            }
            let mut commands = Vec::new();
            for _ in 0..count {
                commands.push(r.varint()? as usize);
            }
            steps.push(TapeStep {
                now_ms: t,
                frame,
                commands,
            });
        }
        Ok(steps)
    }
}

struct Reader<'a> {
    bytes: &'a [u8],
    at: usize,
}

impl Reader<'_> {
    fn error(&self, message: &'static str) -> TapeError {
        TapeError {
            offset: self.at,
            message,
        }
    }
    fn take<const N: usize>(&mut self) -> Result<[u8; N], TapeError> {
        let s = self
            .bytes
            .get(self.at..self.at + N)
            .ok_or_else(|| self.error("ends inside a step"))?;
        self.at += N;
        let mut a = [0u8; N];
        a.copy_from_slice(s);
        Ok(a)
    }
    fn varint(&mut self) -> Result<u64, TapeError> {
        let mut v = 0u64;
        for shift in (0..64).step_by(7) {
            let [b] = self.take::<1>()?;
            v |= ((b & 0x7f) as u64) << shift;
            if b & 0x80 == 0 {
                return Ok(v);
            }
        }
        Err(self.error("varint longer than 64 bits"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_tape_reads_back_what_was_recorded() {
        let mut tape = Tape::new();
        let mut f = SensorFrame::MISSING;
        f.flow = Reading::new(4.25, 10);
        f.bubble = Flag::new(true, 9);
        f.ui_heartbeat_ms = Some(10);
        tape.push(10, &f, &[3]);
        let mut g = f;
        g.flow = Reading::new(-0.5, 20);
        g.p_drainage = Reading {
            value: f32::NAN,
            valid: false,
            t_ms: 25,
        };
        g.ui_heartbeat_ms = None;
        tape.push(20, &g, &[]);
        tape.push(u64::MAX / 2, &g, &[0, 1]);
        let steps = Tape::read(tape.bytes()).unwrap();
        assert_eq!(steps.len(), 3);
        assert_eq!(
            (steps[0].now_ms, steps[0].frame, &steps[0].commands[..]),
            (10, f, &[3][..])
        );
        assert_eq!(steps[1].frame.flow, g.flow);
        assert_eq!(steps[1].frame.p_drainage.t_ms, 25);
        assert!(steps[1].frame.p_drainage.value.is_nan());
        assert_eq!(steps[1].frame.ui_heartbeat_ms, None);
        assert_eq!(steps[2].now_ms, u64::MAX / 2);
        assert_eq!(steps[2].commands, vec![0, 1]);
        let cut = &tape.bytes()[..tape.bytes().len() - 1];
        assert!(Tape::read(cut).is_err());
    }

    #[test]
    fn digests_differ_when_anything_differs() {
        let mut a = Digest::new();
        let mut b = Digest::new();
        a.add(&1.0f32);
        b.add(&f32::from_bits(1.0f32.to_bits() + 1));
        assert_ne!(a, b);
        assert_ne!(Digest::new().value(), a.value());
    }
}
