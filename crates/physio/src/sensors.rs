//! Sensor models between the twin's truth and the console: noise, sampling, faults.
//!
//! A [`SensorSuite`] turns each [`Observation`] (truth) into [`Readings`]: per [`Channel`] a
//! value and a validity flag, as a console's acquisition layer would deliver them.
//!
//! Per channel, in this order:
//! 0. the monitor's averaging (a first-order lag of the truth, time constant
//!    [`ChannelSpec::average_s`]) and its delay ([`ChannelSpec::delay_s`]: transport from the
//!    measuring site and processing), both 0 where a channel has none;
//! 1. sample and hold: the channel takes a new sample when the observation time reaches its
//!    next sampling instant (a fixed grid of its period, so jitter in the caller's rate does not
//!    drift it) and holds it in between;
//! 2. noise: Gaussian, σ = σ_abs + σ_rel·|truth| (table in [`Channel::spec`]);
//! 3. faults, switchable at run time: offset (constant), drift (per hour since the fault was
//!    switched on), stuck (the output freezes at its value when the fault began, still flagged
//!    valid: the dangerous kind), dropout (flagged invalid; the value holds the last output);
//! 4. the measuring range (saturation) and the display resolution (quantisation).
//!
//! The pulse oximeters (`sao2_upper`, `sao2_lower`) need a pulse: their signal quality
//! ([`pulse_signal_quality`]) falls with the arterial pulse pressure. Below
//! [`PULSE_LOST_MMHG`] they give no reading (flagged invalid, the value holds the last output:
//! the "pulse search" of a monitor on a non-ejecting heart on VA support); between that and
//! [`PULSE_FULL_MMHG`] their error grows up to three-fold.
//!
//! Deterministic: each channel draws from its own [`Rng`] seeded from the suite seed and the
//! channel index, so the same seed and observations give the same readings, and switching a
//! fault on one channel does not change another channel's noise.
//!
//! Not modelled: correlated noise (a pulse oximeter's error is partly a fixed bias per patient),
//! artefacts of motion, calibration procedures, carboxy- and methaemoglobin, skin pigmentation.
use crate::rng::Rng;
use crate::twin::{ConfigError, Observation};

/// A measured quantity on the console.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Channel {
    /// Pre-pump (drainage line) pressure, mmHg.
    DrainagePressure,
    /// Pre-oxygenator pressure, mmHg.
    PreOxyPressure,
    /// Post-oxygenator pressure, mmHg.
    PostOxyPressure,
    /// Circuit blood flow, L/min.
    Flow,
    /// Pump speed, rpm.
    Speed,
    /// Pre-oxygenator (venous) saturation, fraction.
    PreOxySo2,
    /// Post-oxygenator saturation, fraction.
    PostOxySo2,
    /// Post-oxygenator PO2, mmHg.
    PostOxyPo2,
    /// Post-oxygenator PCO2, mmHg.
    PostOxyPco2,
    /// Circuit blood temperature, °C.
    Temperature,
    /// Air at the bubble detector: 1 present, 0 absent.
    Bubble,
    /// Haemoglobin, g/dL.
    Hb,
    /// Right radial (upper body) arterial saturation, fraction.
    SaO2Upper,
    /// Femoral (lower body) arterial saturation, fraction.
    SaO2Lower,
    /// Arterial (right radial) blood pressure, mmHg.
    ArterialPressure,
    /// Battery charge, fraction.
    Battery,
    /// Sweep gas flow, L/min.
    SweepFlow,
    /// Mains power present: 1 yes, 0 no.
    MainsPower,
}

/// Number of channels.
pub const CHANNELS: usize = 18;

/// The fixed properties of a channel.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct ChannelSpec {
    pub name: &'static str,
    pub unit: &'static str,
    /// Additive noise, standard deviation, in the channel's unit.
    pub sigma_abs: f64,
    /// Proportional noise, standard deviation as a share of |truth|.
    pub sigma_rel: f64,
    /// Sampling period, s.
    pub period_s: f64,
    /// Display resolution (quantisation step); 0 for none.
    pub resolution: f64,
    /// Measuring range; readings saturate at its ends.
    pub range: (f64, f64),
    /// Averaging time constant of the monitor (first-order lag of the truth), s; 0 for none.
    pub average_s: f64,
    /// Delay between the measuring site and the reading (transport, processing), s; 0 for
    /// none. At most [`DELAY_SLOTS`] sampling periods.
    pub delay_s: f64,
}

impl ChannelSpec {
    /// The same channel read through an averaging lag of `average_s` and a delay of `delay_s`.
    const fn lag(mut self, average_s: f64, delay_s: f64) -> ChannelSpec {
        self.average_s = average_s;
        self.delay_s = delay_s;
        self
    }
}

/// Pulse pressure at or below which a pulse oximeter finds no pulse and gives no reading, mmHg.
///
/// Pulse oximetry needs an arterial pulsation: it "fails when pulsations are weak or absent,
/// common in patients with continuous flow left ventricular assist devices" (Aldrich et al.,
/// Pulseless oximetry, a preliminary evaluation, 2013), while in CF-LVAD patients, whose pulse
/// pressure is narrow but present (about 10–20 mmHg), a reading was obtained in every one of
/// 18 patients, with a poor waveform in 2 (University of Minnesota LVAD series). 8 mmHg
/// between "absent" and "narrow" is an assumption, not a fitted figure.
pub const PULSE_LOST_MMHG: f64 = 8.0;
/// Pulse pressure at and above which the pulse oximeter reads at its stated accuracy, mmHg
/// (the lower end of a normal adult pulse pressure, and of a CF-LVAD patient's narrow one;
/// assumption).
pub const PULSE_FULL_MMHG: f64 = 20.0;

/// Sampling periods a channel's delay line holds.
pub const DELAY_SLOTS: usize = 16;

/// A pulse oximeter's signal quality from the arterial pulse pressure of the last beat, mmHg:
/// 0 (no pulse found: no reading) at or below [`PULSE_LOST_MMHG`], 1 (stated accuracy) at or
/// above [`PULSE_FULL_MMHG`], linear between. A pulse pressure that is not finite, or an
/// observation with no beat yet (systolic 0), is no pulse.
pub fn pulse_signal_quality(pulse_pressure_mmhg: f64) -> f64 {
    if !pulse_pressure_mmhg.is_finite() {
        return 0.0;
    }
    ((pulse_pressure_mmhg - PULSE_LOST_MMHG) / (PULSE_FULL_MMHG - PULSE_LOST_MMHG)).clamp(0.0, 1.0)
}

/// The pulse pressure a pulse oximeter sees in an observation, mmHg: systolic minus diastolic
/// pressure of the last beat at the right radial line (the aorta's pulse, which the hands and
/// the feet both follow), 0 before the first beat.
pub fn pulse_pressure_mmhg(o: &Observation) -> f64 {
    if o.p_art_sys_mmhg > 0.0 {
        o.p_art_sys_mmhg - o.p_art_dia_mmhg
    } else {
        0.0
    }
}

impl Channel {
    /// Every channel, in index order.
    pub const ALL: [Channel; CHANNELS] = [
        Channel::DrainagePressure,
        Channel::PreOxyPressure,
        Channel::PostOxyPressure,
        Channel::Flow,
        Channel::Speed,
        Channel::PreOxySo2,
        Channel::PostOxySo2,
        Channel::PostOxyPo2,
        Channel::PostOxyPco2,
        Channel::Temperature,
        Channel::Bubble,
        Channel::Hb,
        Channel::SaO2Upper,
        Channel::SaO2Lower,
        Channel::ArterialPressure,
        Channel::Battery,
        Channel::SweepFlow,
        Channel::MainsPower,
    ];

    /// Position in [`Channel::ALL`] and in [`Readings`].
    pub const fn index(self) -> usize {
        self as usize
    }

    /// Properties of the channel. The σ values are about half the accuracy class a maker
    /// states for the sensor type \[M\], so that ±2σ spans the stated accuracy:
    ///
    /// | channel | σ | rate | basis |
    /// |---|---|---|---|
    /// | pressures (disposable transducers) | 1 mmHg + 1 % | 50 Hz | ±2 mmHg or ±2 % class |
    /// | flow (ultrasonic clamp-on) | 0.02 L/min + 1 % | 20 Hz | ±2–5 % class |
    /// | speed (motor encoder) | 2 rpm | 20 Hz | |
    /// | in-line SO2 (optical) | 0.01 | 1 Hz | ±2 % SO2 class (CDI-type monitors) |
    /// | in-line PO2 / PCO2 | 3 mmHg + 3 % / 1 mmHg + 2 % | 0.5 Hz | ±5–10 % class |
    /// | temperature (thermistor) | 0.05 °C | 1 Hz | ±0.1–0.2 °C class |
    /// | Hb (optical) | 0.2 g/dL | 0.5 Hz | ±0.5 g/dL class |
    /// | SaO2 (pulse oximeter) | 0.015 (×1–3 at a weak pulse) | 1 Hz | ISO 80601-2-61: Arms ≤ 4 %; typical 2–3 % |
    /// | arterial pressure (invasive) | 1 mmHg | 100 Hz | ±1 mmHg + 1 % class |
    /// | battery | 0.005 | 0.1 Hz | fuel-gauge jitter |
    /// | sweep flow (mass flow meter) | 0.02 L/min + 1 % | 10 Hz | ±2 % class |
    /// | bubble, mains | none | 100 / 10 Hz | binary detectors |
    ///
    /// Averaging and delay (all other channels: none, their readings are instantaneous and the
    /// control core filters them itself):
    ///
    /// | channel | averaging τ | delay | basis |
    /// |---|---|---|---|
    /// | SaO2 (pulse oximeter) | 4 s | 5 s | an 8 s averaging window (the default of common monitors, selectable 2–16 s \[M\]) as a lag of the same mean delay (τ = half the window); 5 s from the radial artery's compartment to a fingertip and the beat-to-beat processing \[assumption\] |
    /// | in-line SO2, Hb (optical cell in the circuit) | 2 s | 0 | optical cell and display update of a few seconds \[assumption\] |
    /// | in-line PO2, PCO2 (fluorescent optodes) | 10 s | 0 | optode response of seconds to tens of seconds \[assumption\] |
    /// | temperature (thermistor in the line) | 3 s | 0 | probe time constant of seconds \[assumption\] |
    pub const fn spec(self) -> ChannelSpec {
        const fn s(
            name: &'static str,
            unit: &'static str,
            sigma_abs: f64,
            sigma_rel: f64,
            rate_hz: f64,
            resolution: f64,
            range: (f64, f64),
        ) -> ChannelSpec {
            ChannelSpec {
                name,
                unit,
                sigma_abs,
                sigma_rel,
                period_s: 1.0 / rate_hz,
                resolution,
                range,
                average_s: 0.0,
                delay_s: 0.0,
            }
        }
        const P_RANGE: (f64, f64) = (-500.0, 800.0);
        const SAT_RANGE: (f64, f64) = (0.0, 1.0);
        match self {
            Channel::DrainagePressure => s("p_drainage", "mmHg", 1.0, 0.01, 50.0, 1.0, P_RANGE),
            Channel::PreOxyPressure => s("p_pre_oxy", "mmHg", 1.0, 0.01, 50.0, 1.0, P_RANGE),
            Channel::PostOxyPressure => s("p_post_oxy", "mmHg", 1.0, 0.01, 50.0, 1.0, P_RANGE),
            Channel::Flow => s("flow", "L/min", 0.02, 0.01, 20.0, 0.01, (-10.0, 10.0)),
            Channel::Speed => s("speed", "rpm", 2.0, 0.0, 20.0, 1.0, (0.0, 12_000.0)),
            Channel::PreOxySo2 => {
                s("so2_pre_oxy", "1", 0.01, 0.0, 1.0, 0.01, SAT_RANGE).lag(2.0, 0.0)
            }
            Channel::PostOxySo2 => {
                s("so2_post_oxy", "1", 0.01, 0.0, 1.0, 0.01, SAT_RANGE).lag(2.0, 0.0)
            }
            Channel::PostOxyPo2 => {
                s("po2_post_oxy", "mmHg", 3.0, 0.03, 0.5, 1.0, (0.0, 800.0)).lag(10.0, 0.0)
            }
            Channel::PostOxyPco2 => {
                s("pco2_post_oxy", "mmHg", 1.0, 0.02, 0.5, 1.0, (0.0, 150.0)).lag(10.0, 0.0)
            }
            Channel::Temperature => s("temp", "°C", 0.05, 0.0, 1.0, 0.1, (0.0, 45.0)).lag(3.0, 0.0),
            Channel::Bubble => s("bubble", "bool", 0.0, 0.0, 100.0, 0.0, (0.0, 1.0)),
            Channel::Hb => s("hb", "g/dL", 0.2, 0.0, 0.5, 0.1, (0.0, 25.0)).lag(2.0, 0.0),
            Channel::SaO2Upper => {
                s("sao2_upper", "1", 0.015, 0.0, 1.0, 0.01, SAT_RANGE).lag(4.0, 5.0)
            }
            Channel::SaO2Lower => {
                s("sao2_lower", "1", 0.015, 0.0, 1.0, 0.01, SAT_RANGE).lag(4.0, 5.0)
            }
            Channel::ArterialPressure => s("p_art", "mmHg", 1.0, 0.0, 100.0, 1.0, (-50.0, 400.0)),
            Channel::Battery => s("battery", "1", 0.005, 0.0, 0.1, 0.01, (0.0, 1.0)),
            Channel::SweepFlow => s("sweep", "L/min", 0.02, 0.01, 10.0, 0.1, (0.0, 20.0)),
            Channel::MainsPower => s("mains", "bool", 0.0, 0.0, 10.0, 0.0, (0.0, 1.0)),
        }
    }

    /// Whether the channel is an on/off detector (no noise; thresholded at 0.5).
    pub const fn is_binary(self) -> bool {
        matches!(self, Channel::Bubble | Channel::MainsPower)
    }

    /// Whether the channel is a pulse oximeter (needs an arterial pulse, see
    /// [`pulse_signal_quality`]).
    pub const fn is_pulse_oximeter(self) -> bool {
        matches!(self, Channel::SaO2Upper | Channel::SaO2Lower)
    }

    /// The true value of this channel in an observation.
    pub fn truth(self, o: &Observation) -> f64 {
        match self {
            Channel::DrainagePressure => o.p_drainage_mmhg,
            Channel::PreOxyPressure => o.p_pre_oxy_mmhg,
            Channel::PostOxyPressure => o.p_post_oxy_mmhg,
            Channel::Flow => o.circuit_flow_lpm,
            Channel::Speed => o.pump_speed_rpm,
            Channel::PreOxySo2 => o.pre_oxy.so2,
            Channel::PostOxySo2 => o.post_oxy.so2,
            Channel::PostOxyPo2 => o.post_oxy.po2_mmhg,
            Channel::PostOxyPco2 => o.post_oxy.pco2_mmhg,
            Channel::Temperature => o.circuit_temp_c,
            Channel::Bubble => f64::from(u8::from(o.bubble)),
            Channel::Hb => o.hb_g_dl,
            Channel::SaO2Upper => o.art_upper.so2,
            Channel::SaO2Lower => o.art_lower.so2,
            Channel::ArterialPressure => o.p_art_mmhg,
            Channel::Battery => o.battery_fraction,
            Channel::SweepFlow => o.sweep_lpm,
            Channel::MainsPower => f64::from(u8::from(o.mains_power)),
        }
    }

    /// Look a channel up by its [`ChannelSpec::name`].
    pub fn by_name(name: &str) -> Option<Channel> {
        Channel::ALL.into_iter().find(|c| c.spec().name == name)
    }
}

/// One channel's output.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Reading {
    pub value: f64,
    /// False while the channel has dropped out or has not sampled yet; `value` then holds the
    /// last output (0 before the first sample).
    pub valid: bool,
}

/// All channels' outputs at one time.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Readings {
    pub time_s: f64,
    pub values: [Reading; CHANNELS],
}

impl Readings {
    pub fn get(&self, ch: Channel) -> Reading {
        self.values[ch.index()]
    }
}

/// A fault to switch on for one channel.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Fault {
    /// Output frozen at its value when the fault began; still flagged valid.
    Stuck,
    /// Error growing linearly, in the channel's unit per hour, from when the fault began.
    Drift(f64),
    /// No data: flagged invalid.
    Dropout,
    /// Constant error, in the channel's unit.
    Offset(f64),
}

/// The faults active on one channel (several may be on at once).
#[derive(Clone, Copy, Debug, PartialEq, Default)]
pub struct ChannelFaults {
    pub stuck: bool,
    pub dropout: bool,
    pub offset: f64,
    pub drift_per_h: f64,
    /// Time the drift was switched on, s.
    pub drift_since_s: f64,
}

#[derive(Clone, Debug, PartialEq)]
struct ChannelState {
    rng: Rng,
    next_sample_s: f64,
    /// Held noisy sample (truth + noise) at the last sampling instant.
    held: f64,
    sampled: bool,
    /// Last value output.
    last_out: f64,
    faults: ChannelFaults,
    stuck_value: f64,
    /// Whether the channel adds noise (tests and ideal-sensor runs switch it off).
    noise: bool,
    /// The monitor's average of the truth, and the time it was last updated.
    avg: f64,
    avg_t: f64,
    averaged: bool,
    /// Averaged values at the last sampling instants (ring), newest at `delay_head`.
    delay_buf: [f64; DELAY_SLOTS],
    delay_head: usize,
    delay_len: usize,
    /// Pulse oximeters: signal quality at the last sampling instant (1 for other channels).
    quality: f64,
}

/// The sensors of one console, deterministic given the seed.
#[derive(Clone, Debug, PartialEq)]
pub struct SensorSuite {
    channels: [ChannelState; CHANNELS],
    now_s: f64,
}

impl SensorSuite {
    /// A suite whose noise sequence is fixed by `seed`.
    pub fn new(seed: u64) -> Self {
        let channels = core::array::from_fn(|i| ChannelState {
            // Distinct streams per channel: golden-ratio spacing of the seed.
            rng: Rng::new(seed ^ (i as u64 + 1).wrapping_mul(0x9E37_79B9_7F4A_7C15)),
            next_sample_s: f64::NEG_INFINITY,
            held: 0.0,
            sampled: false,
            last_out: 0.0,
            faults: ChannelFaults::default(),
            stuck_value: 0.0,
            noise: true,
            avg: 0.0,
            avg_t: 0.0,
            averaged: false,
            delay_buf: [0.0; DELAY_SLOTS],
            delay_head: 0,
            delay_len: 0,
            quality: 1.0,
        });
        SensorSuite {
            channels,
            now_s: 0.0,
        }
    }

    /// Switch noise on or off for one channel (faults, sampling and quantisation stay).
    pub fn set_noise(&mut self, ch: Channel, on: bool) {
        self.channels[ch.index()].noise = on;
    }

    /// Switch a fault on. Drift and offset replace an earlier drift or offset on the channel;
    /// a drift starts from the time of the last [`sample`](Self::sample). Non-finite
    /// magnitudes are refused.
    pub fn set_fault(&mut self, ch: Channel, fault: Fault) -> Result<(), ConfigError> {
        let now = self.now_s;
        let st = &mut self.channels[ch.index()];
        match fault {
            Fault::Stuck => {
                if !st.faults.stuck {
                    st.stuck_value = st.last_out;
                }
                st.faults.stuck = true;
            }
            Fault::Dropout => st.faults.dropout = true,
            Fault::Offset(v) | Fault::Drift(v) if !v.is_finite() => {
                return Err(ConfigError {
                    field: ch.spec().name,
                    message: format!("sensor fault magnitude must be finite, got {v}"),
                });
            }
            Fault::Offset(v) => st.faults.offset = v,
            Fault::Drift(v) => {
                st.faults.drift_per_h = v;
                st.faults.drift_since_s = now;
            }
        }
        Ok(())
    }

    /// Switch every fault on a channel off.
    pub fn clear_faults(&mut self, ch: Channel) {
        self.channels[ch.index()].faults = ChannelFaults::default();
    }

    /// The faults active on a channel.
    pub fn faults(&self, ch: Channel) -> ChannelFaults {
        self.channels[ch.index()].faults
    }

    /// Read every channel at the observation's time. Call with non-decreasing times.
    pub fn sample(&mut self, obs: &Observation) -> Readings {
        let t = if obs.time_s.is_finite() {
            obs.time_s
        } else {
            self.now_s
        };
        self.now_s = t;
        let mut values = [Reading {
            value: 0.0,
            valid: false,
        }; CHANNELS];
        for ch in Channel::ALL {
            values[ch.index()] = self.read(ch, obs, t);
        }
        Readings { time_s: t, values }
    }

    fn read(&mut self, ch: Channel, obs: &Observation, t: f64) -> Reading {
        let spec = ch.spec();
        let st = &mut self.channels[ch.index()];
        // The monitor's averaging runs on every call (exact for a truth held between calls).
        let truth = ch.truth(obs);
        if truth.is_finite() {
            if !st.averaged || spec.average_s <= 0.0 {
                st.avg = truth;
            } else {
                let dt = (t - st.avg_t).max(0.0);
                st.avg += (1.0 - (-dt / spec.average_s).exp()) * (truth - st.avg);
            }
            st.averaged = true;
            st.avg_t = t;
        }
        if t >= st.next_sample_s {
            // The averaged truth enters the delay line at the sampling instant; the sample is
            // the one `delay_s` ago (the oldest held while the line fills).
            let truth = if st.averaged { st.avg } else { st.held };
            st.delay_head = (st.delay_head + 1) % DELAY_SLOTS;
            st.delay_buf[st.delay_head] = truth;
            st.delay_len = (st.delay_len + 1).min(DELAY_SLOTS);
            let lag = ((spec.delay_s / spec.period_s).round() as usize).min(DELAY_SLOTS - 1);
            let back = lag.min(st.delay_len - 1);
            let truth = st.delay_buf[(st.delay_head + DELAY_SLOTS - back) % DELAY_SLOTS];
            st.quality = if ch.is_pulse_oximeter() {
                pulse_signal_quality(pulse_pressure_mmhg(obs))
            } else {
                1.0
            };
            // A weak pulse: up to three times the stated error at the edge of losing it.
            let weak = 1.0 + 2.0 * (1.0 - st.quality);
            let sigma = (spec.sigma_abs + spec.sigma_rel * truth.abs()) * weak;
            let noise = if st.noise && sigma > 0.0 && !ch.is_binary() {
                sigma * st.rng.normal()
            } else {
                0.0
            };
            st.held = truth + noise;
            st.sampled = true;
            // Next instant on the channel's own grid, after t.
            st.next_sample_s = ((t / spec.period_s).floor() + 1.0) * spec.period_s;
        }
        if !st.sampled {
            return Reading {
                value: st.last_out,
                valid: false,
            };
        }
        let f = st.faults;
        // No pulse found: the oximeter shows no number (a stuck fault still freezes it).
        if f.dropout || (st.quality <= 0.0 && !f.stuck) {
            return Reading {
                value: st.last_out,
                valid: false,
            };
        }
        let value = if f.stuck {
            st.stuck_value
        } else {
            let drift = f.drift_per_h * ((t - f.drift_since_s).max(0.0) / 3600.0);
            let mut v = st.held + f.offset + drift;
            v = v.clamp(spec.range.0, spec.range.1);
            if ch.is_binary() {
                v = if v >= 0.5 { 1.0 } else { 0.0 };
            } else if spec.resolution > 0.0 {
                v = (v / spec.resolution).round() * spec.resolution;
            }
            v
        };
        st.last_out = value;
        Reading { value, valid: true }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::blood::GasState;
    use proptest::prelude::*;

    fn obs(t: f64) -> Observation {
        let gas = |po2: f64, pco2: f64, so2: f64| GasState {
            po2_mmhg: po2,
            pco2_mmhg: pco2,
            ph: 7.4,
            so2,
        };
        Observation {
            time_s: t,
            pump_speed_rpm: 3200.0,
            circuit_flow_lpm: 4.5,
            p_drainage_mmhg: -40.0,
            p_pre_oxy_mmhg: 250.0,
            p_post_oxy_mmhg: 200.0,
            delta_p_oxy_mmhg: 50.0,
            pre_oxy: gas(40.0, 46.0, 0.7),
            post_oxy: gas(400.0, 30.0, 1.0),
            circuit_temp_c: 36.8,
            bubble: false,
            sweep_lpm: 4.0,
            fdo2: 1.0,
            oxy_o2_transfer_ml_min: 250.0,
            oxy_co2_transfer_ml_min: 200.0,
            plasma_fhb_mg_dl: 3.0,
            anti_xa_iu_ml: 0.4,
            act_s: 190.0,
            oxy_clot_fraction: 0.0,
            pump_clot_fraction: 0.0,
            mains_power: true,
            battery_fraction: 0.9,
            heart_rate_bpm: 80.0,
            p_art_mmhg: 85.0,
            map_mmhg: 80.0,
            cvp_mmhg: 8.0,
            p_la_mmhg: 10.0,
            p_pa_mean_mmhg: 20.0,
            cardiac_output_lpm: 5.0,
            art_upper: gas(80.0, 40.0, 0.95),
            art_lower: gas(90.0, 40.0, 0.96),
            p_art_sys_mmhg: 115.0,
            p_art_dia_mmhg: 65.0,
            svo2: 0.7,
            hb_g_dl: 12.0,
            patient_temp_c: 37.0,
            vo2_ml_min: 250.0,
            vco2_ml_min: 200.0,
            recirculation_fraction: 0.1,
            recirculation_traced: 0.1,
            blood_volume_ml: 5000.0,
            ..Observation::default()
        }
    }

    fn run(suite: &mut SensorSuite, from: f64, to: f64, dt: f64) -> Vec<Readings> {
        let mut out = vec![];
        let mut t = from;
        while t < to {
            out.push(suite.sample(&obs(t)));
            t += dt;
        }
        out
    }

    #[test]
    fn channel_table_is_consistent() {
        for (i, ch) in Channel::ALL.into_iter().enumerate() {
            assert_eq!(ch.index(), i);
            assert_eq!(Channel::by_name(ch.spec().name), Some(ch));
            assert!(ch.spec().period_s > 0.0);
        }
    }

    #[test]
    fn deterministic_and_seed_dependent() {
        let a = run(&mut SensorSuite::new(7), 0.0, 10.0, 0.01);
        let b = run(&mut SensorSuite::new(7), 0.0, 10.0, 0.01);
        let c = run(&mut SensorSuite::new(8), 0.0, 10.0, 0.01);
        assert_eq!(a, b);
        assert_ne!(a, c);
    }

    #[test]
    fn noise_has_documented_sigma() {
        let mut s = SensorSuite::new(1);
        let r = run(&mut s, 0.0, 2000.0, 0.1);
        // Arterial pressure: σ 1 mmHg, resolution 1 mmHg (quantisation adds 1/12 variance).
        let xs: Vec<f64> = r
            .iter()
            .map(|x| x.get(Channel::ArterialPressure).value)
            .collect();
        let m = xs.iter().sum::<f64>() / xs.len() as f64;
        let sd = (xs.iter().map(|x| (x - m).powi(2)).sum::<f64>() / xs.len() as f64).sqrt();
        assert!((m - 85.0).abs() < 0.1, "{m}");
        assert!((sd - (1.0f64 + 1.0 / 12.0).sqrt()).abs() < 0.08, "{sd}");
        // Binary channels carry no noise.
        assert!(r.iter().all(
            |x| x.get(Channel::Bubble).value == 0.0 && x.get(Channel::MainsPower).value == 1.0
        ));
    }

    #[test]
    fn sample_and_hold_at_channel_rate() {
        let mut s = SensorSuite::new(3);
        // PO2 at 0.5 Hz: over 10 s of 100 Hz calls it changes at most 5 (+1) times.
        let r = run(&mut s, 0.0, 10.0, 0.01);
        let vals: Vec<f64> = r.iter().map(|x| x.get(Channel::PostOxyPo2).value).collect();
        let changes = vals.windows(2).filter(|w| w[0] != w[1]).count();
        assert!(changes <= 5, "{changes}");
        assert!(changes >= 3);
        // Pressure at 50 Hz changes far more often.
        let p: Vec<f64> = r
            .iter()
            .map(|x| x.get(Channel::PreOxyPressure).value)
            .collect();
        assert!(p.windows(2).filter(|w| w[0] != w[1]).count() > 100);
    }

    #[test]
    fn fault_stuck() {
        let mut s = SensorSuite::new(4);
        run(&mut s, 0.0, 5.0, 0.01);
        let before = s.sample(&obs(5.0)).get(Channel::Flow);
        s.set_fault(Channel::Flow, Fault::Stuck).unwrap();
        let mut o = obs(5.01);
        o.circuit_flow_lpm = 1.0; // the truth falls; the stuck sensor does not follow
        for k in 0..500 {
            o.time_s = 5.01 + k as f64 * 0.01;
            let r = s.sample(&o).get(Channel::Flow);
            assert_eq!(
                r,
                Reading {
                    value: before.value,
                    valid: true
                }
            );
        }
        s.clear_faults(Channel::Flow);
        let r = s
            .sample(&Observation { time_s: 11.0, ..o })
            .get(Channel::Flow);
        assert!((r.value - 1.0).abs() < 0.1, "{r:?}");
    }

    #[test]
    fn fault_drift() {
        let mut s = SensorSuite::new(5);
        s.set_noise(Channel::Temperature, false);
        s.sample(&obs(0.0));
        s.set_fault(Channel::Temperature, Fault::Drift(1.2))
            .unwrap();
        let r = s.sample(&obs(1800.0)).get(Channel::Temperature);
        assert!((r.value - (36.8 + 0.6)).abs() < 0.051, "{r:?}");
        let r = s.sample(&obs(3600.0)).get(Channel::Temperature);
        assert!((r.value - 38.0).abs() < 0.051, "{r:?}");
        assert!(r.valid);
    }

    #[test]
    fn fault_dropout() {
        let mut s = SensorSuite::new(6);
        let last = s.sample(&obs(0.0)).get(Channel::SaO2Upper);
        assert!(last.valid);
        s.set_fault(Channel::SaO2Upper, Fault::Dropout).unwrap();
        let r = s.sample(&obs(2.0)).get(Channel::SaO2Upper);
        assert!(!r.valid);
        assert_eq!(r.value, last.value);
        // Other channels unaffected.
        assert!(s.sample(&obs(3.0)).get(Channel::SaO2Lower).valid);
        s.clear_faults(Channel::SaO2Upper);
        assert!(s.sample(&obs(4.0)).get(Channel::SaO2Upper).valid);
    }

    #[test]
    fn fault_offset_and_range() {
        let mut s = SensorSuite::new(9);
        s.set_noise(Channel::DrainagePressure, false);
        s.set_fault(Channel::DrainagePressure, Fault::Offset(-25.0))
            .unwrap();
        let r = s.sample(&obs(0.0)).get(Channel::DrainagePressure);
        assert_eq!(r.value, -65.0);
        // Saturation at the measuring range.
        s.set_fault(Channel::DrainagePressure, Fault::Offset(-1000.0))
            .unwrap();
        assert_eq!(
            s.sample(&obs(1.0)).get(Channel::DrainagePressure).value,
            -500.0
        );
        assert!(s.set_fault(Channel::Flow, Fault::Offset(f64::NAN)).is_err());
    }

    #[test]
    fn faults_do_not_disturb_other_channels_noise() {
        let mut a = SensorSuite::new(11);
        let mut b = SensorSuite::new(11);
        b.set_fault(Channel::Flow, Fault::Dropout).unwrap();
        let ra = run(&mut a, 0.0, 5.0, 0.01);
        let rb = run(&mut b, 0.0, 5.0, 0.01);
        for (x, y) in ra.iter().zip(&rb) {
            assert_eq!(
                x.get(Channel::PreOxyPressure),
                y.get(Channel::PreOxyPressure)
            );
        }
    }

    /// Readings of one channel over [from, to) at `dt`, with the observation shaped by `f`.
    fn series(
        s: &mut SensorSuite,
        ch: Channel,
        from: f64,
        to: f64,
        dt: f64,
        f: impl Fn(&mut Observation),
    ) -> Vec<(f64, Reading)> {
        let mut out = vec![];
        let mut t = from;
        while t < to {
            let mut o = obs(t);
            f(&mut o);
            out.push((t, s.sample(&o).get(ch)));
            t += dt;
        }
        out
    }

    #[test]
    fn pulse_oximeter_needs_a_pulse() {
        // VA support with a closed aortic valve: 6 mmHg of pulse pressure. No number, for as
        // long as it lasts, whatever the truth.
        let mut s = SensorSuite::new(21);
        let flat = |o: &mut Observation| {
            o.p_art_sys_mmhg = 78.0;
            o.p_art_dia_mmhg = 72.0;
        };
        let r = series(&mut s, Channel::SaO2Upper, 0.0, 60.0, 0.1, flat);
        assert!(r.iter().all(|(_, x)| !x.valid), "read without a pulse");
        // The lower-body oximeter sees the same aorta.
        let r = series(&mut s, Channel::SaO2Lower, 60.0, 70.0, 0.1, flat);
        assert!(r.iter().all(|(_, x)| !x.valid));
        // The heart ejects again (50 mmHg): readings come back within a sampling period.
        let r = series(&mut s, Channel::SaO2Upper, 70.0, 80.0, 0.1, |_| {});
        assert!(r.iter().filter(|(t, _)| *t >= 71.0).all(|(_, x)| x.valid));
        // No beat yet (an observation before the first beat) is no pulse either.
        let mut s = SensorSuite::new(21);
        let r = series(&mut s, Channel::SaO2Upper, 0.0, 3.0, 0.1, |o| {
            o.p_art_sys_mmhg = 0.0;
            o.p_art_dia_mmhg = 0.0;
        });
        assert!(r.iter().all(|(_, x)| !x.valid));
        assert!(pulse_signal_quality(f64::NAN) == 0.0);
        assert!(pulse_signal_quality(6.0) == 0.0);
        assert!(pulse_signal_quality(50.0) == 1.0);
    }

    #[test]
    fn pulse_oximeter_error_grows_as_the_pulse_weakens() {
        let sd = |pp: f64| {
            let mut s = SensorSuite::new(5);
            let r = series(&mut s, Channel::SaO2Upper, 0.0, 4000.0, 1.0, |o| {
                o.art_upper.so2 = 0.9;
                o.p_art_sys_mmhg = 80.0 + pp;
                o.p_art_dia_mmhg = 80.0;
            });
            let xs: Vec<f64> = r.iter().skip(20).map(|(_, x)| x.value).collect();
            let m = xs.iter().sum::<f64>() / xs.len() as f64;
            (xs.iter().map(|x| (x - m).powi(2)).sum::<f64>() / xs.len() as f64).sqrt()
        };
        let full = sd(40.0);
        let weak = sd(9.0);
        // Stated accuracy (σ 0.015, quantised to 0.01) at a normal pulse; near three times at
        // 9 mmHg (quality 1/12: ×2.83).
        assert!((full - 0.0153).abs() < 0.002, "{full}");
        assert!(weak > 2.4 * full && weak < 3.2 * full, "{weak} vs {full}");
    }

    #[test]
    fn pulse_oximeter_lags_and_averages() {
        // SaO2 falls from 0.95 to 0.80 at t = 100 s. The oximeter shows nothing of it for its
        // 5 s delay, then follows with its 4 s averaging lag.
        let mut s = SensorSuite::new(2);
        s.set_noise(Channel::SaO2Upper, false);
        let r = series(&mut s, Channel::SaO2Upper, 0.0, 140.0, 0.1, |o| {
            o.art_upper.so2 = if o.time_s >= 100.0 { 0.80 } else { 0.95 };
        });
        let at = |t: f64| {
            r.iter()
                .find(|(ti, _)| (*ti - t).abs() < 0.05)
                .map(|(_, x)| x.value)
                .unwrap()
        };
        assert!((at(99.0) - 0.95).abs() < 1e-9);
        assert!((at(104.5) - 0.95).abs() < 1e-9, "the delay");
        // 63 % of the fall about one time constant after the delay (at 109 s: 0.95 − 0.095).
        assert!((at(109.5) - 0.855).abs() <= 0.021, "{}", at(109.5));
        assert!((at(130.0) - 0.80).abs() <= 0.011, "{}", at(130.0));
    }

    #[test]
    fn inline_optodes_lag_the_truth() {
        // Post-oxygenator PO2 steps from 400 to 100 mmHg (a failing membrane): the optode's
        // 10 s lag. Pressures read the step at once.
        let mut s = SensorSuite::new(3);
        s.set_noise(Channel::PostOxyPo2, false);
        s.set_noise(Channel::PostOxyPressure, false);
        let step = |o: &mut Observation| {
            if o.time_s >= 50.0 {
                o.post_oxy.po2_mmhg = 100.0;
                o.p_post_oxy_mmhg = 150.0;
            }
        };
        let r = series(&mut s, Channel::PostOxyPo2, 0.0, 100.0, 0.1, step);
        let po2_at = |t: f64| r.iter().rev().find(|(ti, _)| *ti <= t).unwrap().1.value;
        assert!((po2_at(49.9) - 400.0).abs() < 1e-9);
        assert!(po2_at(52.0) > 300.0, "{}", po2_at(52.0));
        // About one time constant after the step (the last sample at or before 60 s is 8–10 s
        // after it, on the 0.5 Hz grid).
        let x = po2_at(60.0);
        assert!(
            x >= 100.0 + 300.0 * (-1.05f64).exp() - 1.0
                && x <= 100.0 + 300.0 * (-0.75f64).exp() + 1.0,
            "{x}"
        );
        assert!(po2_at(99.0) < 105.0);
        let mut s = SensorSuite::new(3);
        s.set_noise(Channel::PostOxyPressure, false);
        let r = series(&mut s, Channel::PostOxyPressure, 0.0, 51.0, 0.01, step);
        assert_eq!(r.last().unwrap().1.value, 150.0);
        // Every delay fits the delay line.
        for ch in Channel::ALL {
            let sp = ch.spec();
            assert!(sp.delay_s / sp.period_s < DELAY_SLOTS as f64, "{}", sp.name);
        }
    }

    proptest! {
        #[test]
        fn never_nan(seed in 0u64..1000, v in -1e9f64..1e9, t in 0.0f64..1e6) {
            let mut s = SensorSuite::new(seed);
            let mut o = obs(t);
            o.circuit_flow_lpm = v;
            o.p_art_mmhg = f64::NAN;
            o.post_oxy.po2_mmhg = f64::INFINITY;
            o.time_s = t;
            let r = s.sample(&o);
            for ch in Channel::ALL {
                let x = r.get(ch);
                prop_assert!(x.value.is_finite());
                let (lo, hi) = ch.spec().range;
                prop_assert!(x.value >= lo - 1e-9 && x.value <= hi + 1e-9);
            }
        }
    }
}
