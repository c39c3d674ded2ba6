//! Sensor models between the twin's truth and the console: noise, sampling, faults.
//!
//! A [`SensorSuite`] turns each [`Observation`] (truth) into [`Readings`]: per [`Channel`] a
//! value and a validity flag, as a console's acquisition layer would deliver them.
//!
//! Per channel, in this order:
//! 1. sample and hold: the channel takes a new sample when the observation time reaches its
//!    next sampling instant (a fixed grid of its period, so jitter in the caller's rate does not
//!    drift it) and holds it in between;
//! 2. noise: Gaussian, σ = σ_abs + σ_rel·|truth| (table in [`Channel::spec`]);
//! 3. faults, switchable at run time: offset (constant), drift (per hour since the fault was
//!    switched on), stuck (the output freezes at its value when the fault began, still flagged
//!    valid: the dangerous kind), dropout (flagged invalid; the value holds the last output);
//! 4. the measuring range (saturation) and the display resolution (quantisation).
//!
//! Deterministic: each channel draws from its own [`Rng`] seeded from the suite seed and the
//! channel index, so the same seed and observations give the same readings, and switching a
//! fault on one channel does not change another channel's noise.
//!
//! Not modelled: sensor dynamics (time constants of optical SO2 cells), correlated noise,
//! artefacts of motion, calibration procedures.
use crate::rng::Rng;
use crate::twin::Observation;

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
    /// | SaO2 (pulse oximeter) | 0.015 | 1 Hz | ISO 80601-2-61: Arms ≤ 4 %; typical 2–3 % |
    /// | arterial pressure (invasive) | 1 mmHg | 100 Hz | ±1 mmHg + 1 % class |
    /// | battery | 0.005 | 0.1 Hz | fuel-gauge jitter |
    /// | sweep flow (mass flow meter) | 0.02 L/min + 1 % | 10 Hz | ±2 % class |
    /// | bubble, mains | none | 100 / 10 Hz | binary detectors |
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
            }
        }
        const P_RANGE: (f64, f64) = (-500.0, 800.0);
        match self {
            Channel::DrainagePressure => s("p_drainage", "mmHg", 1.0, 0.01, 50.0, 1.0, P_RANGE),
            Channel::PreOxyPressure => s("p_pre_oxy", "mmHg", 1.0, 0.01, 50.0, 1.0, P_RANGE),
            Channel::PostOxyPressure => s("p_post_oxy", "mmHg", 1.0, 0.01, 50.0, 1.0, P_RANGE),
            Channel::Flow => s("flow", "L/min", 0.02, 0.01, 20.0, 0.01, (-10.0, 10.0)),
            Channel::Speed => s("speed", "rpm", 2.0, 0.0, 20.0, 1.0, (0.0, 12_000.0)),
            Channel::PreOxySo2 => s("so2_pre_oxy", "1", 0.01, 0.0, 1.0, 0.01, (0.0, 1.0)),
            Channel::PostOxySo2 => s("so2_post_oxy", "1", 0.01, 0.0, 1.0, 0.01, (0.0, 1.0)),
            Channel::PostOxyPo2 => s("po2_post_oxy", "mmHg", 3.0, 0.03, 0.5, 1.0, (0.0, 800.0)),
            Channel::PostOxyPco2 => s("pco2_post_oxy", "mmHg", 1.0, 0.02, 0.5, 1.0, (0.0, 150.0)),
            Channel::Temperature => s("temp", "°C", 0.05, 0.0, 1.0, 0.1, (0.0, 45.0)),
            Channel::Bubble => s("bubble", "bool", 0.0, 0.0, 100.0, 0.0, (0.0, 1.0)),
            Channel::Hb => s("hb", "g/dL", 0.2, 0.0, 0.5, 0.1, (0.0, 25.0)),
            Channel::SaO2Upper => s("sao2_upper", "1", 0.015, 0.0, 1.0, 0.01, (0.0, 1.0)),
            Channel::SaO2Lower => s("sao2_lower", "1", 0.015, 0.0, 1.0, 0.01, (0.0, 1.0)),
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

/// Why a fault was refused.
#[derive(Clone, Debug, PartialEq)]
pub struct FaultError {
    pub channel: &'static str,
    pub message: String,
}

impl core::fmt::Display for FaultError {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        write!(f, "sensor {}: {}", self.channel, self.message)
    }
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
    pub fn set_fault(&mut self, ch: Channel, fault: Fault) -> Result<(), FaultError> {
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
                return Err(FaultError {
                    channel: ch.spec().name,
                    message: format!("fault magnitude must be finite, got {v}"),
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
        if t >= st.next_sample_s {
            let truth = ch.truth(obs);
            let truth = if truth.is_finite() { truth } else { st.held };
            let sigma = spec.sigma_abs + spec.sigma_rel * truth.abs();
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
        if f.dropout {
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
