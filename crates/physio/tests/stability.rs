//! Stability over wide parameter ranges (property tests) and determinism.
mod common;
use common::*;
use physio::presets::{circuit_for, default_actuation, healthy_patient};
use physio::{Actuation, PatientParams, Twin, TwinConfig};
use proptest::prelude::*;

#[test]
fn two_runs_are_bit_identical() {
    for cfg in CONFIGS {
        let c = config("ards-severe", cfg);
        let act = default_actuation(&c);
        let mut a = Twin::new(&c).unwrap();
        let mut b = Twin::new(&c).unwrap();
        for i in 0..20_000 {
            a.step(&act);
            b.step(&act);
            if i % 997 == 0 {
                let (oa, ob) = (a.observe(), b.observe());
                assert_eq!(format!("{oa:?}"), format!("{ob:?}"), "{cfg:?} step {i}");
            }
        }
        // And a clone forks exactly.
        let mut c2 = a.clone();
        run(&mut a, &act, 5.0);
        run(&mut c2, &act, 5.0);
        assert_eq!(format!("{:?}", a.observe()), format!("{:?}", c2.observe()));
    }
}

/// Every patient parameter over its whole validated range, every configuration, any command.
fn arb_config() -> impl Strategy<Value = (TwinConfig, Actuation)> {
    (
        (30.0..200.0f64, 20.0..220.0f64, 0.1..6.0f64, 0.1..5.0f64),
        (0.2..4.0f64, 0.02..1.5f64, 35.0..120.0f64, 3.0..22.0f64),
        (0.5..10.0f64, 0.0..30.0f64, 0.21..1.0f64, 0.0..1.0f64),
        (
            0usize..CONFIGS.len(),
            0.0..5000.0f64,
            0.0..15.0f64,
            0.21..1.0f64,
        ),
        (25.0..43.0f64, -30.0..30.0f64, 0.0..42.0f64, 0.6..1.2f64),
        (0.0..1.0f64, 0.0..1.0f64, 0.0..1.0f64),
    )
        .prop_map(|(a, b, c, d, e, f)| {
            let p = PatientParams {
                weight_kg: a.0,
                heart_rate_bpm: a.1,
                lv_emax_mmhg_ml: a.2,
                rv_emax_mmhg_ml: a.3,
                svr_mmhg_s_ml: b.0,
                pvr_mmhg_s_ml: b.1,
                hb_g_dl: b.3,
                vo2_ml_kg_min: c.0,
                alveolar_ventilation_lpm: c.1,
                fio2: c.2,
                shunt_fraction: c.3,
                temp_c: e.0,
                base_excess_meq_l: e.1,
                rq: e.3,
                baroreflex_gain: f.1,
                cardiopulmonary_gain: f.2,
                blood_volume_ml: b.2 * a.0,
                ..healthy_patient()
            };
            let config = TwinConfig {
                patient: p,
                circuit: circuit_for(CONFIGS[d.0]),
                seed: 7,
            };
            let act = Actuation {
                pump_rpm: d.1,
                // Mostly open, sometimes partly or fully clamped.
                return_clamp: if f.0 < 0.7 { 0.0 } else { (f.0 - 0.7) / 0.3 },
                sweep_lpm: d.2,
                fdo2: d.3,
                heater_c: e.2,
            };
            (config, act)
        })
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 48, ..ProptestConfig::default() })]

    #[test]
    fn no_nan_no_runaway(
        (config, act) in arb_config(),
        kink in 0.0..1.0f64,
        clot in 0.0..0.98f64,
        fluid in 0.0..1.0f64,
        drug in 0.0..1.0f64,
        vaso in 0.0..1.0f64,
    ) {
        let mut t = Twin::new(&config).unwrap();
        t.apply(&physio::Event::DrainageKink(kink * kink)).unwrap();
        t.apply(&physio::Event::OxygenatorClot(clot * clot)).unwrap();
        // Crystalloid up to a rapid infuser's 30 L/h, red cells at a tenth of it; the
        // baroreflex (gain 0..1) acts after its 30 s of settling.
        t.apply(&physio::Event::CrystalloidInfusion(30_000.0 * fluid * fluid)).unwrap();
        t.apply(&physio::Event::RedCellInfusion(3000.0 * fluid)).unwrap();
        // Drugs up to the top of each event's range: vasoactive ones by `vaso`, the sedative,
        // opioid, relaxant and bivalirudin (with boluses) by `drug`.
        use physio::Event as E;
        for e in [
            E::NorepinephrineInfusion(5.0 * vaso * vaso),
            E::EpinephrineInfusion(2.0 * vaso * (1.0 - vaso)),
            E::VasopressinInfusion(0.2 * vaso),
            E::DobutamineInfusion(40.0 * (1.0 - vaso) * drug),
            E::MilrinoneInfusion(1.5 * vaso * drug),
            E::PropofolBolus(500.0 * drug * drug),
            E::PropofolInfusion(12.0 * drug),
            E::FentanylBolus(2000.0 * drug * vaso),
            E::FentanylInfusion(20.0 * drug),
            E::RocuroniumBolus(300.0 * drug),
            E::BivalirudinBolus(200.0 * drug),
            E::BivalirudinInfusion(2.5 * drug),
        ] {
            t.apply(&e).unwrap();
        }
        let v0 = t.totals().volume_ml;
        for _ in 0..45 {
            run(&mut t, &act, 1.0);
            let o = t.observe();
            prop_assert!(all_finite(&o), "{:?}", o);
            let (v, p) = t.compartments();
            prop_assert!(v[..physio::circulation::NP].iter().all(|x| *x > 0.0), "volumes {:?}", v);
            prop_assert!(p.iter().all(|x| x.abs() < 1000.0), "pressures {:?}", p);
            prop_assert!(o.circuit_flow_lpm.abs() < 15.0, "flow {}", o.circuit_flow_lpm);
            prop_assert!((0.0..=1.0).contains(&o.art_upper.so2));
        }
        prop_assert!((t.totals().volume_ml - v0 - t.balance().external_volume_ml).abs() < 1e-6);
        prop_assert!(o_finite_hb(&t));
        let o = t.observe();
        prop_assert!(o.drug_plasma.iter().all(|c| c.is_finite() && *c >= 0.0), "{:?}", o.drug_plasma);
        prop_assert!((0.0..=1.0).contains(&o.neuromuscular_block));
    }
}

fn o_finite_hb(t: &Twin) -> bool {
    let hb = t.observe().hb_g_dl;
    hb.is_finite() && (3.0..=22.0).contains(&hb)
}

/// Low pulmonary flow through a large, congested capillary bed with the circuit washing CO2
/// out: blood and alveolar gas stores are then of the same size, where an explicit exchange
/// oscillates. The alveolar PCO2 must drift smoothly.
#[test]
fn lung_exchange_does_not_oscillate() {
    let (mut t, act) = warmed(
        "va-central-postcardiotomy",
        physio::Configuration::VaCentral,
        None,
        60.0,
    );
    let mut last = t.observe().p_alv_co2_mmhg;
    for _ in 0..300 {
        run(&mut t, &act, 1.0);
        let o = t.observe();
        assert!(
            (o.p_alv_co2_mmhg - last).abs() < 1.0,
            "PACO2 jumped {last} -> {}",
            o.p_alv_co2_mmhg
        );
        assert!(o.lung_co2_ml_min > -5.0, "lung CO2 {}", o.lung_co2_ml_min);
        last = o.p_alv_co2_mmhg;
    }
}

/// Issue 2: a patient instance under 64 KiB, so thousands of virtual patients fit in cache-sized
/// memory. (The twin holds fixed-size arrays only.)
#[test]
fn a_twin_is_small() {
    assert!(
        std::mem::size_of::<Twin>() < 64 * 1024,
        "{}",
        std::mem::size_of::<Twin>()
    );
}
