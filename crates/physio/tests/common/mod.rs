//! Helpers shared by the integration tests.
#![allow(dead_code)]
use physio::presets::{default_actuation, preset, sized_circuit};
use physio::{Actuation, Configuration, Event, Observation, Twin, TwinConfig};

pub const CONFIGS: [Configuration; 6] = [
    Configuration::None,
    Configuration::VvFemoroJugular,
    Configuration::VvFemoroFemoral,
    Configuration::VaFemoral,
    Configuration::VaCentral,
    Configuration::VaAxillary,
];

/// A preset with its circuit replaced by `cfg`'s (sized to the patient's weight).
pub fn config(name: &str, cfg: Configuration) -> TwinConfig {
    let mut c = preset(name).expect("preset");
    c.circuit = sized_circuit(cfg, c.patient.weight_kg);
    c
}

pub fn run(t: &mut Twin, act: &Actuation, seconds: f64) {
    let n = (seconds / Twin::DT_S).round() as usize;
    for _ in 0..n {
        t.step(act);
    }
}

/// Averages of the observation over `seconds` (sampled every step).
#[derive(Clone, Copy, Debug, Default)]
pub struct Means {
    pub map: f64,
    pub co: f64,
    pub sv: f64,
    pub cvp: f64,
    pub la: f64,
    pub pa: f64,
    pub sao2_upper: f64,
    pub sao2_lower: f64,
    pub pao2_upper: f64,
    pub paco2_upper: f64,
    pub ph_upper: f64,
    pub svo2: f64,
    pub flow: f64,
    pub flow_min: f64,
    pub flow_max: f64,
    pub p_drainage: f64,
    pub p_drainage_min: f64,
    pub recirculation: f64,
    pub recirculation_traced: f64,
    pub aa_da_flow_lpm: f64,
}

pub fn means(t: &mut Twin, act: &Actuation, seconds: f64) -> Means {
    let n = (seconds / Twin::DT_S).round() as usize;
    let mut m = Means {
        flow_min: f64::MAX,
        flow_max: f64::MIN,
        p_drainage_min: f64::MAX,
        ..Means::default()
    };
    for _ in 0..n {
        t.step(act);
        let o: Observation = t.observe();
        m.map += o.map_mmhg;
        m.co += o.cardiac_output_lpm;
        m.sv += o.stroke_volume_ml;
        m.cvp += o.cvp_mmhg;
        m.la += o.p_la_mmhg;
        m.pa += o.p_pa_mean_mmhg;
        m.sao2_upper += o.art_upper.so2;
        m.sao2_lower += o.art_lower.so2;
        m.pao2_upper += o.art_upper.po2_mmhg;
        m.paco2_upper += o.art_upper.pco2_mmhg;
        m.ph_upper += o.art_upper.ph;
        m.svo2 += o.svo2;
        m.flow += o.circuit_flow_lpm;
        m.flow_min = m.flow_min.min(o.circuit_flow_lpm);
        m.flow_max = m.flow_max.max(o.circuit_flow_lpm);
        m.p_drainage += o.p_drainage_mmhg;
        m.p_drainage_min = m.p_drainage_min.min(o.p_drainage_mmhg);
        m.recirculation += o.recirculation_fraction;
        m.recirculation_traced += o.recirculation_traced;
        m.aa_da_flow_lpm += o.arch_to_descending_lpm;
    }
    let k = 1.0 / n as f64;
    for x in [
        &mut m.map,
        &mut m.co,
        &mut m.sv,
        &mut m.cvp,
        &mut m.la,
        &mut m.pa,
        &mut m.sao2_upper,
        &mut m.sao2_lower,
        &mut m.pao2_upper,
        &mut m.paco2_upper,
        &mut m.ph_upper,
        &mut m.svo2,
        &mut m.flow,
        &mut m.p_drainage,
        &mut m.recirculation,
        &mut m.recirculation_traced,
        &mut m.aa_da_flow_lpm,
    ] {
        *x *= k;
    }
    m
}

/// A twin of `name` in configuration `cfg`, run for `warmup` seconds at `act` (or the default).
pub fn warmed(
    name: &str,
    cfg: Configuration,
    act: Option<Actuation>,
    warmup: f64,
) -> (Twin, Actuation) {
    started(&config(name, cfg), act, warmup)
}

/// A twin of `c` run for `warmup` seconds at `act` (or `c`'s default).
pub fn started(c: &TwinConfig, act: Option<Actuation>, warmup: f64) -> (Twin, Actuation) {
    let act = act.unwrap_or_else(|| default_actuation(c));
    let mut t = Twin::new(c).expect("valid configuration");
    run(&mut t, &act, warmup);
    (t, act)
}

/// Apply `e`, run `seconds` at `act` and observe.
pub fn after(t: &mut Twin, act: &Actuation, e: Event, seconds: f64) -> Observation {
    t.apply(&e).expect("valid event");
    run(t, act, seconds);
    t.observe()
}

/// Means of `pick` of the observation over `seconds`, sampled once a second.
pub fn per_second_means<const K: usize>(
    t: &mut Twin,
    act: &Actuation,
    seconds: usize,
    pick: impl Fn(&Observation) -> [f64; K],
) -> [f64; K] {
    let mut m = [0.0; K];
    for _ in 0..seconds {
        run(t, act, 1.0);
        for (a, x) in m.iter_mut().zip(pick(&t.observe())) {
            *a += x;
        }
    }
    m.map(|x| x / seconds as f64)
}

/// Per-second means of `pick` over 30 s, then over `after_s` from `wait_s` after a sudden
/// loss of `loss_ml` of blood: (before, after).
pub fn around_loss<const K: usize>(
    t: &mut Twin,
    act: &Actuation,
    loss_ml: f64,
    wait_s: f64,
    after_s: usize,
    pick: impl Fn(&Observation) -> [f64; K] + Copy,
) -> ([f64; K], [f64; K]) {
    let before = per_second_means(t, act, 30, pick);
    t.apply(&Event::Volume(-loss_ml)).expect("volume");
    run(t, act, wait_s);
    (before, per_second_means(t, act, after_s, pick))
}

/// Every signal of an observation is finite (the whole signal table, so a new field is
/// checked as soon as it is named there; physio::signals' own test sees that every field is).
pub fn all_finite(o: &Observation) -> bool {
    o.time_s.is_finite() && physio::signals::all().all(|s| (s.get)(o).is_finite())
}

/// The cardiogenic-shock patient on `cfg` with the reflexes at `baro` and `cp` bleeding
/// 400 mL/min, run as two forks for a minute: asserts the forks agree to the bit and that the
/// volume lost is the volume the balance books; returns one fork and its observation.
pub fn bleeding_forks_agree(cfg: Configuration, baro: f64, cp: f64) -> (Twin, Observation) {
    let mut c = config("cardiogenic-shock", cfg);
    c.patient.baroreflex_gain = baro;
    c.patient.cardiopulmonary_gain = cp;
    let act = physio::presets::default_actuation(&c);
    let mut a = Twin::new(&c).expect("valid preset");
    let v0 = a.totals().volume_ml;
    run(&mut a, &act, 40.0);
    a.apply(&physio::Event::Bleeding(400.0)).expect("bleeding");
    let mut b = a.clone();
    run(&mut a, &act, 60.0);
    run(&mut b, &act, 60.0);
    let (oa, ob) = (a.observe(), b.observe());
    assert_eq!(oa, ob, "{cfg:?}: a fork diverged");
    let lost = -a.balance().external_volume_ml;
    assert!(lost > 300.0, "{cfg:?}: {lost}");
    assert!(
        (a.totals().volume_ml - (v0 - lost)).abs() < 1e-6,
        "{cfg:?}: volume not conserved"
    );
    (a, oa)
}

/// Since `t0`, the O2, CO2 and volume the blood holds changed by what lungs, oxygenator,
/// tissues and events booked (to 1e-8 of the gas, 1e-6 mL of volume).
pub fn assert_balances_close(t: &Twin, t0: physio::twin::Totals, what: &str) {
    let t1 = t.totals();
    let b = t.balance();
    let d_o2 = t1.o2_ml - t0.o2_ml;
    let expect_o2 = b.lung_o2 + b.oxy_o2 - b.consumed_o2 + b.external_o2;
    let d_co2 = t1.co2_ml - t0.co2_ml;
    let expect_co2 = b.produced_co2 - b.tissue_stored_co2 - b.lung_co2 - b.oxy_co2 + b.external_co2;
    assert!(
        (d_o2 - expect_o2).abs() < 1e-8 * t0.o2_ml,
        "{what}: O2 changed {d_o2} but sources say {expect_o2}"
    );
    assert!(
        (d_co2 - expect_co2).abs() < 1e-8 * t0.co2_ml,
        "{what}: CO2 changed {d_co2} but sources say {expect_co2}"
    );
    assert!(
        (t1.volume_ml - t0.volume_ml - b.external_volume_ml).abs() < 1e-6,
        "{what}: volume {} -> {} with {} external",
        t0.volume_ml,
        t1.volume_ml,
        b.external_volume_ml
    );
}
