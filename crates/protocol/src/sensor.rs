//! Physical values for sensor frames: the scaling of docs/protocol.md §5.6 in one place, so
//! neither side hand-codes a factor.

use crate::msg::{SensorFrame, valid};

fn to_u16(x: f32, scale: f32) -> u16 {
    (x * scale + 0.5) as u16
}

fn to_u8(x: f32, scale: f32) -> u8 {
    (x * scale + 0.5) as u8
}

/// A channel's wire integer from its physical value and scale, saturating at the field's range
/// (float `as` int casts saturate, NaN gives 0).
trait Counts {
    fn counts(x: f32, scale: f32) -> Self;
}

impl Counts for i16 {
    /// Rounds half away from zero (`core` has no `f32::round`).
    fn counts(x: f32, scale: f32) -> i16 {
        let v = x * scale;
        (if v >= 0.0 { v + 0.5 } else { v - 0.5 }) as i16
    }
}

impl Counts for u16 {
    fn counts(x: f32, scale: f32) -> u16 {
        to_u16(x, scale)
    }
}

/// The channel table, each channel once: its physical value, its frame field, its validity bit
/// and its scale (wire counts per physical unit). [`SensorValues`] and the conversions both
/// ways follow from it; the battery (two values under one bit) is added by hand.
macro_rules! channels {
    ($($(#[$doc:meta])* $value:ident: $field:ident, $bit:ident, $scale:literal;)+) => {
        /// A sensor frame in physical units; `None` = channel invalid (its validity bit clear).
        #[derive(Debug, Clone, Copy, PartialEq, Default)]
        pub struct SensorValues {
            $($(#[$doc])* pub $value: Option<f32>,)+
            /// Fraction 0..1.
            pub battery: Option<f32>,
            pub battery_min: Option<f32>,
        }

        impl SensorFrame {
            /// Builds a frame from physical values (saturating at the field ranges). `state`,
            /// `sample` and `time_ms` are the caller's.
            pub fn from_values(
                v: &SensorValues,
                sample: u32,
                time_ms: u32,
                state: u16,
            ) -> SensorFrame {
                let mut f = SensorFrame {
                    sample,
                    time_ms,
                    state,
                    ..SensorFrame::default()
                };
                // Each channel: its validity bit set when the value is finite (else 0 on the
                // wire).
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
                $(f.$field = Counts::counts(set(valid::$bit, v.$value), $scale);)+
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
                    $($value: g(valid::$bit, self.$field as f32 / $scale),)+
                    battery: g(valid::BATTERY, self.battery_pct as f32 / 100.0),
                    battery_min: g(valid::BATTERY, self.battery_min as f32),
                }
            }
        }
    };
}

channels! {
    /// 0.1 mmHg per count.
    p_drainage_mmhg: p_drainage, P_DRAINAGE, 10.0;
    p_pre_oxy_mmhg: p_pre_oxy, P_PRE_OXY, 10.0;
    p_post_oxy_mmhg: p_post_oxy, P_POST_OXY, 10.0;
    /// Negative = backflow. 1 mL/min per count.
    flow_lpm: flow_ml_min, FLOW, 1000.0;
    /// 1 rpm per count.
    speed_rpm: speed_rpm, SPEED, 1.0;
    /// 0.01 % per count.
    so2_pre_pct: so2_pre, SO2_PRE, 100.0;
    so2_post_pct: so2_post, SO2_POST, 100.0;
    /// 0.1 mmHg per count.
    po2_post_mmhg: po2_post, PO2_POST, 10.0;
    pco2_post_mmhg: pco2_post, PCO2_POST, 10.0;
    /// 0.01 g/dL per count.
    hb_g_dl: hb, HB, 100.0;
    /// 0.01 °C per count.
    temp_pre_c: temp_pre, TEMP_PRE, 100.0;
    temp_post_c: temp_post, TEMP_POST, 100.0;
    /// Air volume seen in this sample period, µL; 0.1 µL per count.
    bubble_ul: bubble, BUBBLE, 10.0;
    /// Sweep gas; 1 mL/min per count.
    sweep_lpm: sweep_ml_min, SWEEP, 1000.0;
    /// Fraction 0..1; 0.1 % per count.
    fdo2: fdo2_permille, FDO2, 1000.0;
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
