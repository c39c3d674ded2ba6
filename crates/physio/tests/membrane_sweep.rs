//! Seeded random-parameter sweep of the membrane model (no property-test dependency: physio
//! keeps none): over wide ranges of blood flow, sweep, FdO2, inlet gases, Hb, temperature and
//! clot, every result is finite, O2 and CO2 balance between blood and gas to rounding, the
//! blood takes up no more O2 than equilibrium with the fresh gas allows, and the outlet's
//! partial pressures are those of its contents.
use physio::blood::{self, Chemistry};
use physio::oxygenator::{DRY_GAS_MMHG, OxygenatorModel, Sweep};
use physio::rng::Rng;

#[test]
fn wide_ranges_stay_finite_and_balance() {
    let mut rng = Rng::new(20_240_614);
    let mut u = |lo: f64, hi: f64| lo + (hi - lo) * rng.uniform();
    for i in 0..3000 {
        let name = OxygenatorModel::NAMES[i % OxygenatorModel::NAMES.len()];
        let ox = OxygenatorModel::by_name(name).unwrap();
        let chem = Chemistry {
            hb_g_dl: u(3.0, 20.0),
            base_excess_meq_l: u(-15.0, 15.0),
            temp_c: u(28.0, 40.0),
        };
        let (inlet, in_gas) = blood::from_partial_pressures(u(15.0, 120.0), u(20.0, 110.0), &chem);
        let q = u(0.0, 8.0);
        let sweep = Sweep {
            flow_lpm: u(0.0, 15.0),
            fdo2: u(0.21, 1.0),
        };
        let clot = u(0.0, 0.98);
        let t = ox.transfer(q, inlet, &chem, sweep, clot);
        let what = format!("{name} q {q} {sweep:?} clot {clot} {chem:?} {in_gas:?}: {t:?}");
        assert!(
            t.o2_ml_min.is_finite() && t.co2_ml_min.is_finite() && t.exhaust_fco2.is_finite(),
            "{what}"
        );
        assert!(
            t.outlet_gas.po2_mmhg.is_finite() && t.outlet_gas.pco2_mmhg.is_finite(),
            "{what}"
        );
        // Mass balance: what the blood gained or lost is what the gas gave or took.
        let q_dl = q * 10.0;
        if q_dl > 1e-6 {
            let d_o2 = (t.outlet.o2_ml_dl - inlet.o2_ml_dl) * q_dl;
            let d_co2 = (inlet.co2_ml_dl - t.outlet.co2_ml_dl) * q_dl;
            assert!(
                (d_o2 - t.o2_ml_min).abs() < 1e-9 * (1.0 + t.o2_ml_min.abs()),
                "{what}"
            );
            assert!(
                (d_co2 - t.co2_ml_min).abs() < 1e-9 * (1.0 + t.co2_ml_min.abs()),
                "{what}"
            );
        }
        // The gas never gives more O2 than it brings, nor takes CO2 the blood does not hold;
        // CO2 only leaves the blood (the sweep carries none).
        let v = sweep.flow_lpm * 1000.0;
        assert!(t.o2_ml_min <= v * sweep.fdo2 + 1e-9, "{what}");
        assert!(
            t.co2_ml_min >= 0.0 && t.co2_ml_min <= inlet.co2_ml_dl * q_dl + 1e-9,
            "{what}"
        );
        // Blood leaves no richer in O2 than the fresh gas (or than it came).
        assert!(
            t.outlet_gas.po2_mmhg <= (DRY_GAS_MMHG * sweep.fdo2).max(in_gas.po2_mmhg) + 1.0,
            "{what}"
        );
        // CO2 never leaves the blood below the gas side's zero, nor above its inlet PCO2 at
        // the outlet's oxygenation plus rounding.
        assert!(t.outlet.co2_ml_dl >= 0.0, "{what}");
        // The checks above hold by how the transfer is written (outlet = inlet + transfer,
        // clamped); these two do not. The blood cannot take up more O2 than it holds when
        // equilibrated with the freshest gas it meets (at the outlet's PCO2, the lowest it
        // sees, where the Bohr effect lets it hold the most) ...
        if q_dl > 1e-6 && sweep.flow_lpm > 0.0 {
            let po2_max = (DRY_GAS_MMHG * sweep.fdo2).max(in_gas.po2_mmhg);
            let pco2_min = t.outlet_gas.pco2_mmhg.min(in_gas.pco2_mmhg);
            let c_max = blood::from_partial_pressures(po2_max, pco2_min, &chem).0;
            let ceiling = (c_max.o2_ml_dl - inlet.o2_ml_dl).max(0.0) * q_dl;
            assert!(
                t.o2_ml_min <= ceiling * 1.001 + 1e-6,
                "{what}: ceiling {ceiling}"
            );
        }
        // ... and the outlet's partial pressures are those its contents give.
        let back = blood::solve(t.outlet, &chem, None);
        assert!(
            (back.po2_mmhg - t.outlet_gas.po2_mmhg).abs() < 0.5 + 0.005 * back.po2_mmhg
                && (back.pco2_mmhg - t.outlet_gas.pco2_mmhg).abs() < 0.5,
            "{what}: contents give {back:?}"
        );
    }
}

/// Monotone where physics says: more blood flow moves more CO2 at fixed sweep, more sweep
/// moves more CO2 at fixed blood flow, over a seeded set of patients.
#[test]
fn more_flow_and_more_sweep_never_remove_less_co2() {
    let mut rng = Rng::new(7);
    let ox = OxygenatorModel::quadrox_adult();
    for _ in 0..200 {
        let chem = Chemistry {
            hb_g_dl: 7.0 + 8.0 * rng.uniform(),
            base_excess_meq_l: 0.0,
            temp_c: 37.0,
        };
        let (inlet, _) = blood::from_partial_pressures(
            30.0 + 20.0 * rng.uniform(),
            35.0 + 40.0 * rng.uniform(),
            &chem,
        );
        let co2 = |q: f64, v: f64| {
            ox.transfer(q, inlet, &chem, Sweep::new(v, 1.0), 0.0)
                .co2_ml_min
        };
        for (q, v) in [(0.5, 1.0), (1.0, 2.0), (2.0, 4.0), (4.0, 8.0)] {
            assert!(co2(q * 2.0, v) >= co2(q, v) - 1e-6, "flow {q} sweep {v}");
            assert!(co2(q, v * 2.0) >= co2(q, v) - 1e-6, "flow {q} sweep {v}");
        }
    }
}
