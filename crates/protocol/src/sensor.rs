//! Physical values for sensor frames: the scaling of docs/protocol.md §5.6 in one place, so
//! neither side hand-codes a factor.

use crate::msg::{SensorFrame, valid};

/// A sensor frame in physical units; `None` = channel invalid (its validity bit clear).
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub struct SensorValues {
    pub p_drainage_mmhg: Option<f32>,
    pub p_pre_oxy_mmhg: Option<f32>,
    pub p_post_oxy_mmhg: Option<f32>,
    /// Negative = backflow.
    pub flow_lpm: Option<f32>,
    pub speed_rpm: Option<f32>,
    pub so2_pre_pct: Option<f32>,
    pub so2_post_pct: Option<f32>,
    pub po2_post_mmhg: Option<f32>,
    pub pco2_post_mmhg: Option<f32>,
    pub hb_g_dl: Option<f32>,
    pub temp_pre_c: Option<f32>,
    pub temp_post_c: Option<f32>,
    /// Air volume seen in this sample period, µL.
    pub bubble_ul: Option<f32>,
    pub sweep_lpm: Option<f32>,
    /// Fraction 0..1.
    pub fdo2: Option<f32>,
    /// Fraction 0..1.
    pub battery: Option<f32>,
    pub battery_min: Option<f32>,
}

/// Rounds half away from zero and saturates (float `as` int casts saturate, NaN gives 0);
/// `core` has no `f32::round`.
fn to_i16(x: f32, scale: f32) -> i16 {
    let v = x * scale;
    (if v >= 0.0 { v + 0.5 } else { v - 0.5 }) as i16
}

fn to_u16(x: f32, scale: f32) -> u16 {
    (x * scale + 0.5) as u16
}

fn to_u8(x: f32, scale: f32) -> u8 {
    (x * scale + 0.5) as u8
}

/// The channel table: (validity bit, scale from physical to wire units).
pub mod scale {
    /// 0.1 mmHg per count.
    pub const PRESSURE: f32 = 10.0;
    /// 1 mL/min per count; physical unit L/min.
    pub const FLOW: f32 = 1000.0;
    /// 1 rpm per count.
    pub const SPEED: f32 = 1.0;
    /// Sweep gas: 1 mL/min per count; physical unit L/min.
    pub const SWEEP: f32 = 1000.0;
    /// 0.01 % per count.
    pub const SAT: f32 = 100.0;
    /// 0.01 g/dL per count.
    pub const HB: f32 = 100.0;
    /// 0.01 °C per count.
    pub const TEMP: f32 = 100.0;
    /// 0.1 µL per count.
    pub const BUBBLE: f32 = 10.0;
    /// 0.1 % per count, physical unit fraction 0..1.
    pub const FDO2: f32 = 1000.0;
}

impl SensorFrame {
    /// Builds a frame from physical values (saturating at the field ranges). `state`, `sample`
    /// and `time_ms` are the caller's.
    pub fn from_values(v: &SensorValues, sample: u32, time_ms: u32, state: u16) -> SensorFrame {
        let mut f = SensorFrame {
            sample,
            time_ms,
            state,
            ..SensorFrame::default()
        };
        // Each channel: its validity bit set when the value is finite (else 0 on the wire).
        let mut bits = 0u16;
        let mut set = |bit: u16, x: Option<f32>| -> f32 {
            match x {
                Some(x) if x.is_finite() => {
                    bits |= bit;
                    x
                }
                _ => 0.0,
            }
        };
        f.p_drainage = to_i16(set(valid::P_DRAINAGE, v.p_drainage_mmhg), scale::PRESSURE);
        f.p_pre_oxy = to_i16(set(valid::P_PRE_OXY, v.p_pre_oxy_mmhg), scale::PRESSURE);
        f.p_post_oxy = to_i16(set(valid::P_POST_OXY, v.p_post_oxy_mmhg), scale::PRESSURE);
        f.flow_ml_min = to_i16(set(valid::FLOW, v.flow_lpm), scale::FLOW);
        f.speed_rpm = to_u16(set(valid::SPEED, v.speed_rpm), scale::SPEED);
        f.so2_pre = to_u16(set(valid::SO2_PRE, v.so2_pre_pct), scale::SAT);
        f.so2_post = to_u16(set(valid::SO2_POST, v.so2_post_pct), scale::SAT);
        f.po2_post = to_u16(set(valid::PO2_POST, v.po2_post_mmhg), scale::PRESSURE);
        f.pco2_post = to_u16(set(valid::PCO2_POST, v.pco2_post_mmhg), scale::PRESSURE);
        f.hb = to_u16(set(valid::HB, v.hb_g_dl), scale::HB);
        f.temp_pre = to_i16(set(valid::TEMP_PRE, v.temp_pre_c), scale::TEMP);
        f.temp_post = to_i16(set(valid::TEMP_POST, v.temp_post_c), scale::TEMP);
        f.bubble = to_u16(set(valid::BUBBLE, v.bubble_ul), scale::BUBBLE);
        f.sweep_ml_min = to_u16(set(valid::SWEEP, v.sweep_lpm), scale::SWEEP);
        f.fdo2_permille = to_u16(set(valid::FDO2, v.fdo2), scale::FDO2);
        let bp = match (v.battery, v.battery_min) {
            (Some(b), Some(m)) if b.is_finite() && m.is_finite() => {
                bits |= valid::BATTERY;
                (b, m)
            }
            _ => (0.0, 0.0),
        };
        f.valid = bits;
        f.battery_pct = to_u8(bp.0, 100.0).min(100);
        f.battery_min = to_u16(bp.1, 1.0);
        f
    }

    /// Physical values; channels whose validity bit is clear come back as `None`.
    pub fn values(&self) -> SensorValues {
        let g = |bit: u16, x: f32| if self.valid & bit != 0 { Some(x) } else { None };
        SensorValues {
            p_drainage_mmhg: g(valid::P_DRAINAGE, self.p_drainage as f32 / scale::PRESSURE),
            p_pre_oxy_mmhg: g(valid::P_PRE_OXY, self.p_pre_oxy as f32 / scale::PRESSURE),
            p_post_oxy_mmhg: g(valid::P_POST_OXY, self.p_post_oxy as f32 / scale::PRESSURE),
            flow_lpm: g(valid::FLOW, self.flow_ml_min as f32 / scale::FLOW),
            speed_rpm: g(valid::SPEED, self.speed_rpm as f32 / scale::SPEED),
            so2_pre_pct: g(valid::SO2_PRE, self.so2_pre as f32 / scale::SAT),
            so2_post_pct: g(valid::SO2_POST, self.so2_post as f32 / scale::SAT),
            po2_post_mmhg: g(valid::PO2_POST, self.po2_post as f32 / scale::PRESSURE),
            pco2_post_mmhg: g(valid::PCO2_POST, self.pco2_post as f32 / scale::PRESSURE),
            hb_g_dl: g(valid::HB, self.hb as f32 / scale::HB),
            temp_pre_c: g(valid::TEMP_PRE, self.temp_pre as f32 / scale::TEMP),
            temp_post_c: g(valid::TEMP_POST, self.temp_post as f32 / scale::TEMP),
            bubble_ul: g(valid::BUBBLE, self.bubble as f32 / scale::BUBBLE),
            sweep_lpm: g(valid::SWEEP, self.sweep_ml_min as f32 / scale::SWEEP),
            fdo2: g(valid::FDO2, self.fdo2_permille as f32 / scale::FDO2),
            battery: g(valid::BATTERY, self.battery_pct as f32 / 100.0),
            battery_min: g(valid::BATTERY, self.battery_min as f32),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn physical_values_survive_the_wire_scaling() {
        let v = SensorValues {
            p_drainage_mmhg: Some(-62.34),
            p_pre_oxy_mmhg: Some(301.26),
            p_post_oxy_mmhg: Some(255.0),
            flow_lpm: Some(4.321),
            speed_rpm: Some(3500.4),
            so2_pre_pct: Some(65.5),
            so2_post_pct: Some(99.87),
            po2_post_mmhg: Some(412.3),
            pco2_post_mmhg: Some(31.2),
            hb_g_dl: Some(11.8),
            temp_pre_c: Some(36.62),
            temp_post_c: Some(36.95),
            bubble_ul: Some(0.0),
            sweep_lpm: Some(3.5),
            fdo2: Some(0.8),
            battery: Some(0.93),
            battery_min: Some(125.0),
        };
        let f = SensorFrame::from_values(&v, 7, 70, 0);
        assert_eq!(f.valid, 0xFFFF);
        assert_eq!(f.p_drainage, -623);
        assert_eq!(f.flow_ml_min, 4321);
        let back = f.values();
        assert!((back.p_drainage_mmhg.unwrap() + 62.3).abs() < 1e-4);
        assert!((back.so2_post_pct.unwrap() - 99.87).abs() < 1e-4);
        assert!((back.temp_post_c.unwrap() - 36.95).abs() < 1e-4);
        assert_eq!(back.speed_rpm, Some(3500.0));
    }

    #[test]
    fn missing_and_non_finite_channels_are_invalid_not_zero() {
        let v = SensorValues {
            flow_lpm: Some(f32::NAN),
            speed_rpm: Some(3000.0),
            ..Default::default()
        };
        let f = SensorFrame::from_values(&v, 0, 0, 0);
        assert_eq!(f.valid, valid::SPEED);
        let back = f.values();
        assert_eq!(back.flow_lpm, None);
        assert_eq!(back.p_drainage_mmhg, None);
        // Out-of-range values saturate instead of wrapping.
        let v = SensorValues {
            p_pre_oxy_mmhg: Some(1e9),
            flow_lpm: Some(-1e9),
            ..Default::default()
        };
        let f = SensorFrame::from_values(&v, 0, 0, 0);
        assert_eq!(f.p_pre_oxy, i16::MAX);
        assert_eq!(f.flow_ml_min, i16::MIN);
    }
}
