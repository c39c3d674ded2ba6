//! Heat the extracorporeal circuit loses to the room, W.
//!
//! Two routes, both acting on the blood between drainage and the oxygenator's heat exchanger:
//!
//! - **Evaporation into the sweep gas.** Dry sweep gas leaves the fibres saturated with water
//!   vapour. In vitro, an adult circuit with a Quadrox-D membrane lost 0.046 mL/min of water per
//!   L/min of sweep at 37 °C, 0.0026 mL/min more per °C of fluid temperature (66.2 mL/day per
//!   L/min at 37 °C, 51.3 at 33, 73.7 at 39; "Insensible water loss through adult
//!   extracorporeal membrane oxygenation circuit: an in vitro study", figures from its
//!   abstract, journal not re-checked); in children on ECMO the
//!   calculated net loss was 75.9 mL/day per L/min of sweep (Frontiers in Pediatrics 2024,
//!   12:1346096), the same order. Each gram evaporated takes the latent heat of water at
//!   37 °C, 2.41 kJ \[M\]: 1.85 W per L/min of sweep at 37 °C.
//! - **Convection and radiation from the circuit's surface** to still room air: UA =
//!   [`SURFACE_UA_W_K`] \[assumption, from textbook heat transfer\]: 2 m of 3/8″ × 3/32″ PVC
//!   tubing (circuit.md) with an outer film coefficient of about 10 W/m²/K (free convection plus
//!   radiation, 5–25 \[M\]) and the PVC wall (0.16 W/m/K \[M\]) gives 0.76 W/K; the oxygenator
//!   and pump housings, about 0.05 m² more, add 0.5 W/K.
//!
//! At 37 °C blood, a 24 °C room and 4 L/min of sweep this is about 24 W, against a resting
//! metabolic heat of about 80 W in an adult: without the heater an adult on ECMO cools by
//! a few tenths of a °C per hour at first (tested in the twin). With the heater on, the heat
//! exchanger puts most of it back.
//!
//! The blood held in the circuit (tubing, pump head, oxygenator) has its own temperature, which
//! follows what the outlet would reach at the current flow with the circuit volume's time
//! constant ([`circuit_blood_step_c`]): a stopped circuit drifts toward the heater's water, or
//! the room, over tens of minutes.
//!
//! Not modelled: heat from the pump's hydraulic losses (studied by Ganushchak et al. 2006,
//! Perfusion 21:373), warming of the sweep gas itself (about 1 W), drafts and covers.

/// Water lost to the sweep gas at 37 °C, mL/min per L/min of sweep (module docs).
pub const EVAPORATION_ML_MIN_PER_LPM: f64 = 0.046;
/// Change of that loss per °C of blood temperature, mL/min per L/min per °C.
pub const EVAPORATION_PER_C: f64 = 0.0026;
/// Latent heat of water near 37 °C, J/g \[M\].
pub const LATENT_HEAT_J_G: f64 = 2410.0;
/// Conductance of the circuit's surface to the room, W/K (module docs).
pub const SURFACE_UA_W_K: f64 = 1.3;

/// The oxygenator heat exchanger's performance factor at the rated blood flow: (T_out − T_in) /
/// (T_water − T_in) = 0.5 at 5 L/min (ISO 7199 test at rated flow; adult devices state about
/// 0.4–0.6 \[M\]).
pub const EXCHANGER_FACTOR_RATED: f64 = 0.5;
/// The rated blood flow that factor is stated at, L/min.
pub const EXCHANGER_RATED_LPM: f64 = 5.0;

/// The heat exchanger's performance factor at blood flow `q_lpm`: a counter-current exchanger whose water stream (10–20 L/min from
/// the heater-cooler \[M\]) is much larger than the blood's, so that its effectiveness is
/// 1 − exp(−NTU) with NTU = UA/(ṁ·c) of the blood (textbook ε-NTU, capacity ratio → 0). UA is
/// fixed by [`EXCHANGER_FACTOR_RATED`] at [`EXCHANGER_RATED_LPM`]: about 208 W/K, so the
/// factor is 0.82 at 2 L/min, 0.5 at 5 and 0.39 at 7. Makers' curves fall with flow the same
/// way; that this shape fits a given device is an assumption. 1 with no flow (the blood that
/// stays in the exchanger reaches the water's temperature).
pub fn exchanger_factor(q_lpm: f64) -> f64 {
    let q = if q_lpm.is_finite() { q_lpm.abs() } else { 0.0 };
    if q <= 1e-9 {
        return 1.0;
    }
    // NTU = UA/(ṁ·c) ∝ 1/q, fixed at the rated point.
    let ntu_rated = -(1.0 - EXCHANGER_FACTOR_RATED).ln();
    1.0 - (-ntu_rated * EXCHANGER_RATED_LPM / q).exp()
}

/// Heat lost by evaporation into `sweep_lpm` of dry sweep gas at blood temperature
/// `t_blood_c`, W; 0 without sweep.
pub fn evaporation_w(t_blood_c: f64, sweep_lpm: f64) -> f64 {
    if !(t_blood_c.is_finite() && sweep_lpm.is_finite()) {
        return 0.0;
    }
    let per_lpm = (EVAPORATION_ML_MIN_PER_LPM + EVAPORATION_PER_C * (t_blood_c - 37.0)).max(0.0);
    sweep_lpm.clamp(0.0, 50.0) * per_lpm * LATENT_HEAT_J_G / 60.0
}

/// Total heat the circuit loses, W: evaporation plus convection to a room at `t_room_c`
/// (never negative: a room warmer than the blood gives nothing back here).
pub fn circuit_loss_w(t_blood_c: f64, t_room_c: f64, sweep_lpm: f64) -> f64 {
    if !(t_blood_c.is_finite() && t_room_c.is_finite()) {
        return 0.0;
    }
    evaporation_w(t_blood_c, sweep_lpm) + SURFACE_UA_W_K * (t_blood_c - t_room_c).max(0.0)
}

/// Temperature of blood at `t_in_c` after losing `loss_w` at `q_lpm`, °C, with blood's heat
/// capacity `c_j_ml_k`: never below the room (a slow flow approaches it).
pub fn blood_after_loss_c(
    t_in_c: f64,
    t_room_c: f64,
    loss_w: f64,
    q_lpm: f64,
    c_j_ml_k: f64,
) -> f64 {
    let q_ml_s = if q_lpm.is_finite() {
        q_lpm.abs() * 1000.0 / 60.0
    } else {
        0.0
    };
    let cap = q_ml_s * c_j_ml_k.max(0.0);
    if cap <= 0.0 || !loss_w.is_finite() || !t_in_c.is_finite() {
        return t_in_c;
    }
    let floor = t_room_c.min(t_in_c);
    (t_in_c - loss_w.max(0.0) / cap).max(floor)
}

/// Advance the temperature of the blood held in the circuit, °C: it relaxes toward `target_c`
/// (what the outlet would reach at this flow) with the time constant of the circuit's blood
/// volume `volume_ml` being replaced by the flow and losing heat through its surface,
/// τ = V / (q + UA/c). At 4.5 L/min and 600 mL τ is about 8 s; with the pump stopped about
/// half an hour, so a stopped circuit cools, or warms to the heater, gradually instead of
/// jumping (what a slow trickle would show in an instantaneous balance).
pub fn circuit_blood_step_c(
    t_circuit_c: f64,
    target_c: f64,
    volume_ml: f64,
    q_lpm: f64,
    c_j_ml_k: f64,
    dt_s: f64,
) -> f64 {
    if !(t_circuit_c.is_finite() && target_c.is_finite() && dt_s.is_finite()) {
        return if t_circuit_c.is_finite() {
            t_circuit_c
        } else {
            target_c
        };
    }
    let q_ml_s = if q_lpm.is_finite() {
        q_lpm.abs() * 1000.0 / 60.0
    } else {
        0.0
    };
    let c = c_j_ml_k.max(1e-3);
    let v = if volume_ml.is_finite() {
        volume_ml.max(1.0)
    } else {
        1.0
    };
    let tau = v / (q_ml_s + SURFACE_UA_W_K / c);
    target_c + (t_circuit_c - target_c) * (-dt_s.max(0.0) / tau).exp()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn exchanger_factor_falls_with_flow() {
        assert!((exchanger_factor(5.0) - 0.5).abs() < 1e-12);
        assert!((exchanger_factor(2.0) - 0.823).abs() < 0.002);
        assert!((exchanger_factor(7.0) - 0.390).abs() < 0.002);
        assert_eq!(exchanger_factor(0.0), 1.0);
        assert_eq!(exchanger_factor(f64::NAN), 1.0);
        let mut last = 1.0;
        for k in 1..100 {
            let f = exchanger_factor(k as f64 * 0.1);
            assert!(f < last && f > 0.0);
            last = f;
        }
    }

    #[test]
    fn evaporation_matches_the_in_vitro_figures() {
        // 66.2 mL/day per L/min at 37 °C, 51.3 at 33, 73.7 at 39: the linear law within 1 mL/day.
        for (t, ml_day) in [(33.0, 51.3), (37.0, 66.2), (39.0, 73.7)] {
            let w = evaporation_w(t, 1.0);
            let ml_min = w * 60.0 / LATENT_HEAT_J_G;
            assert!(
                (ml_min * 1440.0 - ml_day).abs() < 1.0,
                "{t}: {}",
                ml_min * 1440.0
            );
        }
        assert_eq!(evaporation_w(37.0, 0.0), 0.0);
        assert_eq!(evaporation_w(f64::NAN, 4.0), 0.0);
    }

    #[test]
    fn loss_and_outlet_temperature() {
        let w = circuit_loss_w(37.0, 24.0, 4.0);
        assert!((20.0..=30.0).contains(&w), "{w}");
        // No loss to a warmer room by convection; evaporation still cools.
        assert!((circuit_loss_w(37.0, 40.0, 4.0) - evaporation_w(37.0, 4.0)).abs() < 1e-12);
        // 24 W at 4.5 L/min lowers the blood by about 0.09 °C; at no flow nothing moves.
        let t = blood_after_loss_c(37.0, 24.0, 24.0, 4.5, 3.6);
        assert!((t - (37.0 - 24.0 / 270.0)).abs() < 1e-9, "{t}");
        assert_eq!(blood_after_loss_c(37.0, 24.0, 24.0, 0.0, 3.6), 37.0);
        // A trickle cannot cool below the room.
        assert_eq!(blood_after_loss_c(37.0, 24.0, 1e6, 0.01, 3.6), 24.0);
    }

    #[test]
    fn circuit_blood_lags() {
        // 600 mL at 4.5 L/min: within 1 % of the target after 40 s (τ ≈ 8 s).
        let t = circuit_blood_step_c(37.0, 36.0, 600.0, 4.5, 3.6, 40.0);
        assert!((t - 36.0).abs() < 0.01, "{t}");
        // Stopped: a minute moves it by only a few per cent of the way (τ ≈ 28 min).
        let t = circuit_blood_step_c(37.0, 24.0, 600.0, 0.0, 3.6, 60.0);
        assert!(t < 37.0 && t > 36.4, "{t}");
        assert_eq!(circuit_blood_step_c(37.0, 24.0, 600.0, 4.0, 3.6, 0.0), 37.0);
        assert_eq!(
            circuit_blood_step_c(f64::NAN, 30.0, 600.0, 4.0, 3.6, 1.0),
            30.0
        );
    }
}
