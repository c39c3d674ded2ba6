//! Sensor plausibility (SEN-1..SEN-4): a reading the acquisition layer calls valid is still
//! rejected when it is out of the physically possible range, changed faster than the quantity
//! can, has not changed at all for too long while it should, or is stale.
//!
//! Each channel keeps its last accepted value; the rate of change is measured against it, so a
//! single spike is rejected while a genuine fast change is accepted as soon as the elapsed time
//! makes it possible. Fixed-size state, constant time per channel.

use crate::frame::{Channel, Reading, SensorFrame};

/// Why a reading was rejected.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Fault {
    /// Flagged invalid by acquisition, not finite, or older than the channel's staleness limit
    /// (SEN-4).
    Dropout,
    /// Outside the physically possible range (SEN-1).
    OutOfRange,
    /// Changed faster than the quantity can (SEN-2).
    RateOfChange,
    /// Bit-identical for longer than a live signal can be (SEN-3).
    Stuck,
}

/// Per-channel plausibility limits.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct ChannelLimits {
    pub min: f32,
    pub max: f32,
    /// Largest plausible |dvalue/dt| per second.
    pub max_rate_per_s: f32,
    /// Change always allowed between two samples, whatever the time between them: the
    /// monitor's noise (about 6 σ) and resolution. Without it a noisy, sample-and-hold channel
    /// read at 100 Hz would "jump" at every new sample.
    pub jump: f32,
    /// A reading older than this is a dropout, ms.
    pub stale_ms: u64,
    /// Bit-identical for this long while the pump turns is "stuck", ms; 0 = not checked (slow or
    /// quantised channels legitimately stay constant).
    pub stuck_ms: u64,
}

/// One row of [`CHANNEL_LIMITS`], fields in declaration order.
const fn limits(
    min: f32,
    max: f32,
    max_rate_per_s: f32,
    jump: f32,
    stale_ms: u64,
    stuck_ms: u64,
) -> ChannelLimits {
    ChannelLimits {
        min,
        max,
        max_rate_per_s,
        jump,
        stale_ms,
        stuck_ms,
    }
}

/// Limits for each channel, in [`Channel`] index order. Ranges are wider than any patient or
/// circuit state (a reading outside is a sensor fault, not a patient state); rates are the
/// fastest physical change (a full occlusion stops flow in ~0.1 s: 5 L/min in 0.1 s is 50
/// L/min/s; pressures swing ~200 mmHg within a beat); jumps are about six standard deviations
/// of monitor noise plus one resolution step (pressure ±1 mmHg + 1 %, flow ±0.02 L/min + 1 %,
/// SO2 ±1 %, PO2 ±3 mmHg + 3 %, PCO2 ±1 mmHg + 2 %: the twin's sensor suite, after
/// manufacturer accuracy classes). Gas and saturation sensors in inline monitors update every
/// few seconds, hence the longer staleness limits.
pub const CHANNEL_LIMITS: [ChannelLimits; Channel::COUNT] = [
    // min, max, max_rate_per_s, jump, stale_ms, stuck_ms
    // DrainagePressure
    limits(-500.0, 300.0, 5000.0, 30.0, 500, 5_000),
    // PreOxyPressure
    limits(-300.0, 900.0, 5000.0, 30.0, 500, 5_000),
    // PostOxyPressure
    limits(-300.0, 900.0, 5000.0, 30.0, 500, 5_000),
    // DeltaP
    limits(-100.0, 600.0, 5000.0, 40.0, 500, 0),
    // Flow
    limits(-8.0, 12.0, 80.0, 0.5, 500, 5_000),
    // PumpSpeed: Cardiohelp-class drive tops out at ~5000 rpm; spin-up ~2000 rpm/s, a seized
    // rotor stops within 0.1 s.
    limits(-200.0, 6000.0, 50_000.0, 30.0, 500, 0),
    // PreOxySo2 %
    limits(0.0, 100.5, 20.0, 8.0, 10_000, 0),
    // PostOxySo2 %
    limits(0.0, 100.5, 20.0, 8.0, 10_000, 0),
    // PostOxyPo2 mmHg
    limits(0.0, 800.0, 200.0, 80.0, 10_000, 0),
    // PostOxyPco2 mmHg
    limits(0.0, 150.0, 20.0, 8.0, 10_000, 0),
    // SaO2Upper %
    limits(0.0, 100.5, 20.0, 10.0, 10_000, 0),
    // SaO2Lower %
    limits(0.0, 100.5, 20.0, 10.0, 10_000, 0),
    // Hb g/dL
    limits(2.0, 25.0, 2.0, 1.5, 30_000, 0),
    // Temperature °C
    limits(10.0, 45.0, 2.0, 0.5, 5_000, 0),
    // Battery fraction
    limits(0.0, 1.0, 0.2, 0.05, 5_000, 0),
    // ArterialPressure mmHg: an arterial line reads -20..300 (a flushed or zeroed line near 0);
    // systolic upstroke dP/dt rarely exceeds 2000 mmHg/s in an adult. Not checked for stuck:
    // a non-ejecting heart on full VA support gives a flat line, a real state (MON-11).
    limits(-30.0, 350.0, 5000.0, 10.0, 500, 0),
];

/// A set of channels as a bit mask.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default, Hash)]
pub struct ChannelSet(pub u16);

impl ChannelSet {
    pub const EMPTY: ChannelSet = ChannelSet(0);
    pub fn contains(self, ch: Channel) -> bool {
        self.0 & (1 << ch.index()) != 0
    }
    pub fn insert(&mut self, ch: Channel) {
        self.0 |= 1 << ch.index();
    }
    pub fn is_empty(self) -> bool {
        self.0 == 0
    }
    pub fn iter(self) -> impl Iterator<Item = Channel> {
        Channel::ALL.into_iter().filter(move |c| self.contains(*c))
    }
}

#[derive(Clone, Copy, Debug, PartialEq)]
struct ChannelState {
    /// Last accepted value and its sample time.
    accepted: Option<(f32, u64)>,
    /// Last raw value seen (bits) and since when it has been identical.
    same_bits: u32,
    same_since_ms: u64,
    fault: Option<Fault>,
}

impl ChannelState {
    const NEW: ChannelState = ChannelState {
        accepted: None,
        same_bits: 0,
        same_since_ms: 0,
        fault: None,
    };
}

/// Plausibility monitor over all channels.
#[derive(Clone, Debug)]
pub struct Plausibility {
    ch: [ChannelState; Channel::COUNT],
}

impl Default for Plausibility {
    fn default() -> Self {
        Plausibility::new()
    }
}

impl Plausibility {
    pub const fn new() -> Self {
        Plausibility {
            ch: [ChannelState::NEW; Channel::COUNT],
        }
    }

    /// Check every channel of `frame`. `pump_running` enables the stuck check (a stopped
    /// circuit legitimately reads constant).
    pub fn check(&mut self, now_ms: u64, frame: &SensorFrame, pump_running: bool) {
        for (i, st) in self.ch.iter_mut().enumerate() {
            let Some(ch) = Channel::ALL.get(i).copied() else {
                continue;
            };
            let Some(lim) = CHANNEL_LIMITS.get(i) else {
                continue;
            };
            let r = frame.reading(ch);
            st.fault = judge(st, lim, now_ms, r, pump_running);
        }
    }

    /// Fault of one channel at the last check, `None` if plausible.
    pub fn fault(&self, ch: Channel) -> Option<Fault> {
        self.ch.get(ch.index()).and_then(|s| s.fault)
    }

    /// Channels faulty at the last check.
    pub fn faulty(&self) -> ChannelSet {
        let mut s = ChannelSet::EMPTY;
        for ch in Channel::ALL {
            if self.fault(ch).is_some() {
                s.insert(ch);
            }
        }
        s
    }

    /// The channel's value if plausible at the last check.
    pub fn value(&self, ch: Channel) -> Option<f32> {
        let st = self.ch.get(ch.index())?;
        if st.fault.is_some() {
            return None;
        }
        st.accepted.map(|(v, _)| v)
    }
}

fn judge(
    st: &mut ChannelState,
    lim: &ChannelLimits,
    now_ms: u64,
    r: Reading,
    pump_running: bool,
) -> Option<Fault> {
    if !r.usable() || now_ms.saturating_sub(r.t_ms) > lim.stale_ms || r.t_ms > now_ms {
        return Some(Fault::Dropout);
    }
    let v = r.value;
    // Stuck: bit-identical raw values.
    let bits = v.to_bits();
    if bits != st.same_bits || !pump_running {
        st.same_bits = bits;
        st.same_since_ms = now_ms;
    }
    if v < lim.min || v > lim.max {
        return Some(Fault::OutOfRange);
    }
    if let Some((prev, t_prev)) = st.accepted {
        if r.t_ms > t_prev {
            let dt_s = (r.t_ms - t_prev) as f32 * 1e-3;
            if (v - prev).abs() > lim.jump + lim.max_rate_per_s * dt_s {
                return Some(Fault::RateOfChange);
            }
        } else if r.t_ms == t_prev && (v - prev).abs() > lim.jump {
            // Same timestamp, a different value beyond noise: impossible.
            return Some(Fault::RateOfChange);
        }
    }
    st.accepted = Some((v, r.t_ms));
    if lim.stuck_ms > 0 && pump_running && now_ms.saturating_sub(st.same_since_ms) > lim.stuck_ms {
        return Some(Fault::Stuck);
    }
    None
}
