//! The sensor layer between the twin's truth and the controller's frame.
//!
//! Each channel samples the true value from the [`Observation`] in the controller's units
//! (saturations in %, battery as a fraction) and can carry an injected fault, so closed-loop
//! tests and training scenarios can fail a sensor the way real ones fail: drop out, freeze
//! (bit-identical), drift by an offset or read with a wrong gain. Optional white noise,
//! seeded, stands in for measurement noise.

use control::{Channel, Flag, Reading, SensorFrame};
use physio::Observation;
use physio::rng::Rng;

/// A fault injected on one channel.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum ChannelFault {
    /// Reads normally.
    None,
    /// The sensor stops answering: reading flagged invalid.
    Dropout,
    /// The value freezes at the first value sampled after the fault is set.
    Stuck,
    /// Adds this offset (the channel's unit).
    Offset(f32),
    /// Multiplies by this gain.
    Gain(f32),
}

/// Noise and faults for every channel.
pub struct SensorLayer {
    faults: [ChannelFault; Channel::COUNT],
    frozen: [Option<f32>; Channel::COUNT],
    noise_sd: [f32; Channel::COUNT],
    bubble_fault: bool,
    rng: Rng,
}

impl SensorLayer {
    pub fn new(seed: u64) -> SensorLayer {
        SensorLayer {
            faults: [ChannelFault::None; Channel::COUNT],
            frozen: [None; Channel::COUNT],
            noise_sd: [0.0; Channel::COUNT],
            bubble_fault: false,
            rng: Rng::new(seed ^ 0x5E_5E_5E),
        }
    }

    /// Inject (or with [`ChannelFault::None`] clear) a fault.
    pub fn set_fault(&mut self, ch: Channel, fault: ChannelFault) {
        if let Some(f) = self.faults.get_mut(ch.index()) {
            *f = fault;
        }
        if let Some(z) = self.frozen.get_mut(ch.index()) {
            *z = None;
        }
    }

    /// The bubble detector stops reporting.
    pub fn set_bubble_fault(&mut self, failed: bool) {
        self.bubble_fault = failed;
    }

    /// Gaussian noise with this standard deviation on a channel (its unit).
    pub fn set_noise(&mut self, ch: Channel, sd: f32) {
        if let Some(n) = self.noise_sd.get_mut(ch.index()) {
            *n = sd.max(0.0);
        }
    }

    /// Typical monitor noise: pressures ±1 mmHg, flow ±0.02 L/min, speed ±2 rpm, SO2 ±0.3 %,
    /// PO2 ±3 mmHg, PCO2 ±0.5 mmHg, temperature ±0.02 °C (manufacturer accuracy classes [M]).
    pub fn with_typical_noise(mut self) -> Self {
        use Channel::*;
        for (ch, sd) in [
            (DrainagePressure, 1.0),
            (PreOxyPressure, 1.0),
            (PostOxyPressure, 1.0),
            (DeltaP, 1.0),
            (Flow, 0.02),
            (PumpSpeed, 2.0),
            (PreOxySo2, 0.3),
            (PostOxySo2, 0.3),
            (PostOxyPo2, 3.0),
            (PostOxyPco2, 0.5),
            (SaO2Upper, 0.3),
            (SaO2Lower, 0.3),
            (Temperature, 0.02),
        ] {
            self.set_noise(ch, sd);
        }
        self
    }

    /// True value of a channel, controller units.
    pub fn truth(obs: &Observation, ch: Channel) -> f32 {
        let v = match ch {
            Channel::DrainagePressure => obs.p_drainage_mmhg,
            Channel::PreOxyPressure => obs.p_pre_oxy_mmhg,
            Channel::PostOxyPressure => obs.p_post_oxy_mmhg,
            Channel::DeltaP => obs.delta_p_oxy_mmhg,
            Channel::Flow => obs.circuit_flow_lpm,
            Channel::PumpSpeed => obs.pump_speed_rpm,
            Channel::PreOxySo2 => obs.pre_oxy.so2 * 100.0,
            Channel::PostOxySo2 => obs.post_oxy.so2 * 100.0,
            Channel::PostOxyPo2 => obs.post_oxy.po2_mmhg,
            Channel::PostOxyPco2 => obs.post_oxy.pco2_mmhg,
            Channel::SaO2Upper => obs.art_upper.so2 * 100.0,
            Channel::SaO2Lower => obs.art_lower.so2 * 100.0,
            Channel::Hb => obs.hb_g_dl,
            Channel::Temperature => obs.circuit_temp_c,
            Channel::Battery => obs.battery_fraction,
        };
        v as f32
    }

    /// Sample every channel at `now_ms`.
    pub fn sample(&mut self, now_ms: u64, obs: &Observation, frame: &mut SensorFrame) {
        for ch in Channel::ALL {
            let i = ch.index();
            let truth = Self::truth(obs, ch);
            let sd = self.noise_sd[i];
            let noisy = if sd > 0.0 {
                truth + sd * self.rng.normal() as f32
            } else {
                truth
            };
            let r = match self.faults[i] {
                ChannelFault::None => Reading::new(noisy, now_ms),
                ChannelFault::Dropout => Reading {
                    value: 0.0,
                    valid: false,
                    t_ms: now_ms,
                },
                ChannelFault::Stuck => Reading::new(*self.frozen[i].get_or_insert(noisy), now_ms),
                ChannelFault::Offset(o) => Reading::new(noisy + o, now_ms),
                ChannelFault::Gain(g) => Reading::new(noisy * g, now_ms),
            };
            *frame.reading_mut(ch) = r;
        }
        frame.bubble = if self.bubble_fault {
            Flag {
                value: false,
                valid: false,
                t_ms: now_ms,
            }
        } else {
            Flag::new(obs.bubble, now_ms)
        };
        frame.mains_power = Flag::new(obs.mains_power, now_ms);
        frame.ui_heartbeat_ms = None;
    }
}
