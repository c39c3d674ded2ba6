//! The sensor layer between the twin's truth and the controller's frame.
//!
//! By default it is the twin's own sensor suite ([`physio::sensors::SensorSuite`]: per-channel
//! noise, sample-and-hold at each monitor's rate, measuring range, display resolution, and
//! stuck / drift / dropout / offset faults), converted to the controller's units (saturations
//! in %, battery as a fraction). The oxygenator pressure drop has no sensor of its own there:
//! like a console's acquisition layer, this layer derives it from the pre- and post-oxygenator
//! readings. [`SensorLayer::ideal`] gives exact readings instead, for tests that must isolate
//! the controller from measurement effects.
//!
//! On top of either, a wrong gain can be injected ([`ChannelFault::Gain`]: a mis-calibrated
//! sensor), which the suite does not model.

use control::{Channel, Flag, Reading, SensorFrame};
use physio::sensors::{self as ps, SensorSuite};
use physio::{ConfigError, Observation};

/// A fault injected on one channel.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum ChannelFault {
    /// Reads normally (clears every fault on the channel).
    None,
    /// The sensor stops answering: reading flagged invalid.
    Dropout,
    /// The value freezes where it is, still flagged valid (the dangerous kind).
    Stuck,
    /// Adds this offset (the channel's unit in the controller: % for saturations).
    Offset(f32),
    /// Error growing by this much per hour (controller units).
    Drift(f32),
    /// Multiplies by this gain (mis-calibration).
    Gain(f32),
}

/// The suite's channel for a controller channel (`None` for the derived ΔP).
pub fn suite_channel(ch: Channel) -> Option<ps::Channel> {
    Some(match ch {
        Channel::DrainagePressure => ps::Channel::DrainagePressure,
        Channel::PreOxyPressure => ps::Channel::PreOxyPressure,
        Channel::PostOxyPressure => ps::Channel::PostOxyPressure,
        Channel::DeltaP => return None,
        Channel::Flow => ps::Channel::Flow,
        Channel::PumpSpeed => ps::Channel::Speed,
        Channel::PreOxySo2 => ps::Channel::PreOxySo2,
        Channel::PostOxySo2 => ps::Channel::PostOxySo2,
        Channel::PostOxyPo2 => ps::Channel::PostOxyPo2,
        Channel::PostOxyPco2 => ps::Channel::PostOxyPco2,
        Channel::SaO2Upper => ps::Channel::SaO2Upper,
        Channel::SaO2Lower => ps::Channel::SaO2Lower,
        Channel::Hb => ps::Channel::Hb,
        Channel::Temperature => ps::Channel::Temperature,
        Channel::Battery => ps::Channel::Battery,
        Channel::ArterialPressure => ps::Channel::ArterialPressure,
    })
}

/// Controller units per suite unit: saturations are fractions in the twin, % in the controller.
fn scale(ch: Channel) -> f32 {
    match ch {
        Channel::PreOxySo2 | Channel::PostOxySo2 | Channel::SaO2Upper | Channel::SaO2Lower => 100.0,
        _ => 1.0,
    }
}

/// True value of a channel in controller units.
pub fn truth(obs: &Observation, ch: Channel) -> f32 {
    let v = match ch {
        Channel::DrainagePressure => obs.p_drainage_mmhg,
        Channel::PreOxyPressure => obs.p_pre_oxy_mmhg,
        Channel::PostOxyPressure => obs.p_post_oxy_mmhg,
        Channel::DeltaP => obs.delta_p_oxy_mmhg,
        Channel::Flow => obs.circuit_flow_lpm,
        Channel::PumpSpeed => obs.pump_speed_rpm,
        Channel::PreOxySo2 => obs.pre_oxy.so2,
        Channel::PostOxySo2 => obs.post_oxy.so2,
        Channel::PostOxyPo2 => obs.post_oxy.po2_mmhg,
        Channel::PostOxyPco2 => obs.post_oxy.pco2_mmhg,
        Channel::SaO2Upper => obs.art_upper.so2,
        Channel::SaO2Lower => obs.art_lower.so2,
        Channel::Hb => obs.hb_g_dl,
        Channel::Temperature => obs.circuit_temp_c,
        Channel::Battery => obs.battery_fraction,
        Channel::ArterialPressure => obs.p_art_mmhg,
    };
    v as f32 * scale(ch)
}

#[derive(Clone, Copy, Debug, PartialEq)]
struct IdealFault {
    dropout: bool,
    stuck: Option<f32>,
    stuck_pending: bool,
    offset: f32,
    drift_per_h: f32,
    drift_since_ms: u64,
}

const NO_FAULT: IdealFault = IdealFault {
    dropout: false,
    stuck: None,
    stuck_pending: false,
    offset: 0.0,
    drift_per_h: 0.0,
    drift_since_ms: 0,
};

enum Source {
    Suite(Box<SensorSuite>),
    Ideal(Box<[IdealFault; Channel::COUNT]>),
}

/// Sensors of the loop.
pub struct SensorLayer {
    source: Source,
    gains: [f32; Channel::COUNT],
    bubble_fault: bool,
    now_ms: u64,
}

impl SensorLayer {
    /// The twin's sensor suite with its noise, seeded.
    pub fn new(seed: u64) -> SensorLayer {
        SensorLayer {
            source: Source::Suite(Box::new(SensorSuite::new(seed))),
            gains: [1.0; Channel::COUNT],
            bubble_fault: false,
            now_ms: 0,
        }
    }

    /// Exact readings, sampled every control step.
    pub fn ideal() -> SensorLayer {
        SensorLayer {
            source: Source::Ideal(Box::new([NO_FAULT; Channel::COUNT])),
            gains: [1.0; Channel::COUNT],
            bubble_fault: false,
            now_ms: 0,
        }
    }

    /// The underlying suite, when this layer uses one.
    pub fn suite_mut(&mut self) -> Option<&mut SensorSuite> {
        match &mut self.source {
            Source::Suite(s) => Some(s),
            Source::Ideal(_) => None,
        }
    }

    /// Inject (or with [`ChannelFault::None`] clear) a fault on a channel. The derived ΔP
    /// takes no faults of its own: fail one of the two pressures instead.
    pub fn set_fault(&mut self, ch: Channel, fault: ChannelFault) -> Result<(), ConfigError> {
        let err = |m: &str| ConfigError {
            field: ch.name(),
            message: m.to_string(),
        };
        let mag = match fault {
            ChannelFault::Offset(v) | ChannelFault::Drift(v) | ChannelFault::Gain(v) => v,
            _ => 0.0,
        };
        if !mag.is_finite() {
            return Err(err("sensor fault magnitude must be finite"));
        }
        let i = ch.index();
        if let ChannelFault::Gain(g) = fault {
            self.gains[i] = g;
            return Ok(());
        }
        let now_ms = self.now_ms;
        match &mut self.source {
            Source::Suite(suite) => {
                let Some(pc) = suite_channel(ch) else {
                    return Err(err(
                        "ΔP is derived from the pre- and post-oxygenator pressures; fail one of those",
                    ));
                };
                let k = scale(ch) as f64;
                let r = match fault {
                    ChannelFault::None => {
                        suite.clear_faults(pc);
                        self.gains[i] = 1.0;
                        Ok(())
                    }
                    ChannelFault::Dropout => suite.set_fault(pc, ps::Fault::Dropout),
                    ChannelFault::Stuck => suite.set_fault(pc, ps::Fault::Stuck),
                    ChannelFault::Offset(v) => suite.set_fault(pc, ps::Fault::Offset(v as f64 / k)),
                    ChannelFault::Drift(v) => suite.set_fault(pc, ps::Fault::Drift(v as f64 / k)),
                    ChannelFault::Gain(_) => Ok(()),
                };
                r.map_err(|e| ConfigError {
                    field: ch.name(),
                    message: e.message,
                })
            }
            Source::Ideal(faults) => {
                let f = &mut faults[i];
                match fault {
                    ChannelFault::None => {
                        *f = NO_FAULT;
                        self.gains[i] = 1.0;
                    }
                    ChannelFault::Dropout => f.dropout = true,
                    ChannelFault::Stuck => f.stuck_pending = true,
                    ChannelFault::Offset(v) => f.offset = v,
                    ChannelFault::Drift(v) => {
                        f.drift_per_h = v;
                        f.drift_since_ms = now_ms;
                    }
                    ChannelFault::Gain(_) => {}
                }
                Ok(())
            }
        }
    }

    /// The bubble detector stops reporting (or reports again).
    pub fn set_bubble_fault(&mut self, failed: bool) {
        self.bubble_fault = failed;
        if let Source::Suite(s) = &mut self.source {
            if failed {
                let _ = s.set_fault(ps::Channel::Bubble, ps::Fault::Dropout);
            } else {
                s.clear_faults(ps::Channel::Bubble);
            }
        }
    }

    /// Sample every channel at `now_ms` into `frame` (the heartbeat is left to the caller).
    pub fn sample(&mut self, now_ms: u64, obs: &Observation, frame: &mut SensorFrame) {
        self.now_ms = now_ms;
        match &mut self.source {
            Source::Suite(suite) => {
                let r = suite.sample(obs);
                for ch in Channel::ALL {
                    let Some(pc) = suite_channel(ch) else {
                        continue;
                    };
                    let x = r.get(pc);
                    *frame.reading_mut(ch) = Reading {
                        value: x.value as f32 * scale(ch),
                        valid: x.valid,
                        t_ms: now_ms,
                    };
                }
                let (pre, post) = (frame.p_pre_oxy, frame.p_post_oxy);
                frame.delta_p = Reading {
                    value: pre.value - post.value,
                    valid: pre.valid && post.valid,
                    t_ms: now_ms,
                };
                let b = r.get(ps::Channel::Bubble);
                frame.bubble = Flag {
                    value: b.value >= 0.5,
                    valid: b.valid,
                    t_ms: now_ms,
                };
                let m = r.get(ps::Channel::MainsPower);
                frame.mains_power = Flag {
                    value: m.value >= 0.5,
                    valid: m.valid,
                    t_ms: now_ms,
                };
            }
            Source::Ideal(faults) => {
                for ch in Channel::ALL {
                    let f = &mut faults[ch.index()];
                    let t = truth(obs, ch);
                    if f.stuck_pending {
                        f.stuck = Some(t);
                        f.stuck_pending = false;
                    }
                    let drift =
                        f.drift_per_h * now_ms.saturating_sub(f.drift_since_ms) as f32 / 3.6e6;
                    let v = f.stuck.unwrap_or(t + f.offset + drift);
                    *frame.reading_mut(ch) = Reading {
                        value: v,
                        valid: !f.dropout,
                        t_ms: now_ms,
                    };
                }
                frame.bubble = Flag {
                    value: obs.bubble,
                    valid: !self.bubble_fault,
                    t_ms: now_ms,
                };
                frame.mains_power = Flag::new(obs.mains_power, now_ms);
            }
        }
        for ch in Channel::ALL {
            let g = self.gains[ch.index()];
            if g != 1.0 {
                frame.reading_mut(ch).value *= g;
            }
        }
        frame.ui_heartbeat_ms = None;
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use physio::Twin;
    use physio::presets::preset;

    fn observation() -> Observation {
        let cfg = preset("ards-severe").unwrap();
        let mut t = Twin::new(&cfg).unwrap();
        let act = physio::presets::default_actuation(&cfg);
        for _ in 0..2000 {
            t.step(&act);
        }
        t.observe()
    }

    #[test]
    fn suite_readings_in_controller_units_with_derived_delta_p() {
        let o = observation();
        let mut layer = SensorLayer::new(3);
        let mut f = SensorFrame::MISSING;
        layer.sample(4000, &o, &mut f);
        for ch in Channel::ALL {
            let r = f.reading(ch);
            assert!(r.valid && r.t_ms == 4000, "{ch:?}");
            let tol = match ch {
                Channel::PreOxySo2
                | Channel::PostOxySo2
                | Channel::SaO2Upper
                | Channel::SaO2Lower => 8.0,
                Channel::PostOxyPo2 => 40.0,
                Channel::DeltaP => 12.0,
                Channel::Flow => 0.3,
                _ => 8.0,
            };
            assert!(
                (r.value - truth(&o, ch)).abs() <= tol,
                "{ch:?}: {} vs {}",
                r.value,
                truth(&o, ch)
            );
        }
        // Saturations in %.
        assert!(f.so2_post.value > 1.5);
        assert!((f.delta_p.value - (f.p_pre_oxy.value - f.p_post_oxy.value)).abs() < 1e-3);
        assert!(f.bubble.valid && f.mains_power.valid && f.mains_power.value);
    }

    #[test]
    fn faults_reach_the_frame() {
        let o = observation();
        for mut layer in [SensorLayer::new(3), SensorLayer::ideal()] {
            let mut f = SensorFrame::MISSING;
            layer
                .set_fault(Channel::Flow, ChannelFault::Dropout)
                .unwrap();
            layer
                .set_fault(Channel::PostOxySo2, ChannelFault::Offset(-10.0))
                .unwrap();
            layer
                .set_fault(Channel::PumpSpeed, ChannelFault::Gain(0.5))
                .unwrap();
            layer.set_bubble_fault(true);
            layer.sample(4000, &o, &mut f);
            assert!(!f.flow.valid);
            assert!((f.so2_post.value - (truth(&o, Channel::PostOxySo2) - 10.0)).abs() < 4.0);
            assert!((f.pump_speed.value - 0.5 * truth(&o, Channel::PumpSpeed)).abs() < 20.0);
            assert!(!f.bubble.valid);
            layer.set_fault(Channel::Flow, ChannelFault::None).unwrap();
            layer.sample(4100, &o, &mut f);
            assert!(f.flow.valid);
            assert!(
                layer
                    .set_fault(Channel::Flow, ChannelFault::Offset(f32::NAN))
                    .is_err()
            );
        }
        let mut suite = SensorLayer::new(1);
        let e = suite
            .set_fault(Channel::DeltaP, ChannelFault::Stuck)
            .unwrap_err();
        assert!(e.to_string().contains("derived"), "{e}");
    }
}
