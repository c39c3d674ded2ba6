//! Validation of the resolved aorta: where native and circuit blood meet in femoral VA, which
//! territories each feeds, and what the venous streams then look like.
//!
//! These cases run the twin directly (not through experiment files) because they search for
//! operating points by bisection: the share of total flow the circuit carries is set by the
//! heart's contractility, as in the studies, where it stood for the degree of cardiac failure.
//! None of the model's constants was fitted to these figures; they are independent checks.
use crate::validation::{Case, Check};
use physio::presets::{circuit_for, default_actuation, preset};
use physio::{Actuation, Configuration, Observation, Twin, TwinConfig};

const SRC_NEZAMI: &str =
    "Nezami 2021 ASAIO J 67:276 (CFD, adult aorta, iliac return; ECMO 90/75/50 % of flow)";
const SRC_PRISCO: &str = "Prisco 2021 J Cardiovasc Transl Res, doi 10.1007/s12265-021-10110-2 (CFD; coronaries before brain)";
const SRC_HOU: &str =
    "Hou 2015 Crit Care 19:68 (sheep, apnoeic lung failure, femoral VA; SVC 40.3, IVC 83.6 %)";
const SRC_DERIVED: &str = "derived: the radial line switches from circuit to native blood";

/// Run `config` at `act` for `seconds` and average the observation over the last `window`
/// seconds (every 10th step).
fn settle(config: &TwinConfig, act: &Actuation, seconds: f64, window: f64) -> Option<Observation> {
    let mut twin = Twin::new(config).ok()?;
    let n = (seconds / Twin::DT_S) as usize;
    let start = n - (window / Twin::DT_S) as usize;
    let mut sum = [0.0f64; 10];
    let mut k = 0.0f64;
    let mut last = twin.observe();
    for i in 0..n {
        twin.step(act);
        if i >= start && i % 10 == 0 {
            let o = twin.observe();
            let v = [
                o.circuit_flow_lpm,
                o.cardiac_output_lpm,
                o.watershed_cm,
                o.cerebral_circuit_fraction,
                o.coronary_circuit_fraction,
                o.art_upper.so2,
                o.art_lower.so2,
                o.svc_so2,
                o.ivc_so2,
                o.art_cerebral.so2,
            ];
            for (s, x) in sum.iter_mut().zip(v) {
                *s += x;
            }
            k += 1.0;
            last = o;
        }
    }
    let m = sum.map(|s| s / k.max(1.0));
    Some(Observation {
        circuit_flow_lpm: m[0],
        cardiac_output_lpm: m[1],
        watershed_cm: m[2],
        cerebral_circuit_fraction: m[3],
        coronary_circuit_fraction: m[4],
        art_upper: physio::blood::GasState {
            so2: m[5],
            ..last.art_upper
        },
        art_lower: physio::blood::GasState {
            so2: m[6],
            ..last.art_lower
        },
        svc_so2: m[7],
        ivc_so2: m[8],
        art_cerebral: physio::blood::GasState {
            so2: m[9],
            ..last.art_cerebral
        },
        ..last
    })
}

/// Share of total systemic flow carried by the circuit.
fn circuit_share(o: &Observation) -> f64 {
    o.circuit_flow_lpm / (o.circuit_flow_lpm + o.cardiac_output_lpm).max(1e-9)
}

/// An adult in cardiogenic shock with poor lungs on femoral VA at a fixed pump speed, the LV's
/// contractility set so that the circuit carries `share` of the total flow (bisection: the
/// share falls as contractility rises).
fn at_share(share: f64) -> Option<Observation> {
    let mut config = preset("cardiogenic-shock")?;
    config.circuit = circuit_for(Configuration::VaFemoral);
    config.patient.shunt_fraction = 0.7;
    config.patient.alveolar_ventilation_lpm = 2.0;
    let mut act = default_actuation(&config);
    act.pump_rpm = 3300.0;
    act.fdo2 = 1.0;
    let (mut lo, mut hi) = (0.05, 3.5);
    let mut best = None;
    for _ in 0..11 {
        let mid = 0.5 * (lo + hi);
        config.patient.lv_emax_mmhg_ml = mid;
        let o = settle(&config, &act, 150.0, 40.0)?;
        if circuit_share(&o) > share {
            lo = mid;
        } else {
            hi = mid;
        }
        best = Some(o);
    }
    best
}

/// A 45 kg sheep with a normal heart, not ventilated (apnoea), on VA with femoral venous
/// drainage and the return at `configuration`, the pump set for `flow_lpm`.
fn apnoeic_sheep(configuration: Configuration, flow_lpm: f64) -> Option<Observation> {
    let mut config = preset("adult-healthy")?;
    let p = &mut config.patient;
    p.weight_kg = 45.0;
    // Sheep: ~65 mL/kg of blood, HR ~100 under anaesthesia [M].
    p.blood_volume_ml = 45.0 * 65.0;
    p.heart_rate_bpm = 100.0;
    p.alveolar_ventilation_lpm = 0.0;
    config.circuit = circuit_for(configuration);
    // "IVC" drainage: the femoral cannula's tip 8 cm below the atrium (hepatic IVC), at the
    // sheep's size (positions scale with weight^⅓).
    let scale = (45.0f64 / 75.0).cbrt();
    config.circuit.placement.drainage_depth_cm =
        (physio::placement::FEMORAL_TO_RA_CM - 8.0) * scale;
    let mut act = default_actuation(&config);
    act.fdo2 = 1.0;
    act.sweep_lpm = 3.0;
    let (mut lo, mut hi) = (1500.0, 5000.0);
    for _ in 0..10 {
        act.pump_rpm = 0.5 * (lo + hi);
        let o = settle(&config, &act, 60.0, 10.0)?;
        if o.circuit_flow_lpm < flow_lpm {
            lo = act.pump_rpm;
        } else {
            hi = act.pump_rpm;
        }
    }
    act.pump_rpm = 0.5 * (lo + hi);
    // Hou et al. took their samples after 15 min of apnoea on IVC-FA.
    settle(&config, &act, 900.0, 30.0)
}

fn within(
    name: String,
    source: &'static str,
    unit: &'static str,
    lo: f64,
    hi: f64,
    v: f64,
) -> Case {
    Case::independent(name, source, unit, Check::Within { lo, hi }, v)
}

/// The cases: the watershed against Nezami's CFD at three support levels; coronaries before
/// the brain (Prisco); the right radial falling as the heart recovers; the venous streams of
/// Hou's apnoeic sheep, and what moving the return to the arch's branches does to them.
pub fn watershed_cases() -> Vec<Case> {
    let nan = || Observation {
        watershed_cm: f64::NAN,
        cerebral_circuit_fraction: f64::NAN,
        coronary_circuit_fraction: f64::NAN,
        svc_so2: f64::NAN,
        ivc_so2: f64::NAN,
        ..Observation::default()
    };
    let (s90, s75, s50, s97, fem, axi) = std::thread::scope(|s| {
        let a = s.spawn(|| at_share(0.90));
        let b = s.spawn(|| at_share(0.75));
        let c = s.spawn(|| at_share(0.50));
        let d = s.spawn(|| at_share(0.97));
        let e = s.spawn(|| apnoeic_sheep(Configuration::VaFemoral, 2.7));
        let f = s.spawn(|| apnoeic_sheep(Configuration::VaAxillary, 2.7));
        let j = |h: std::thread::ScopedJoinHandle<'_, Option<Observation>>| {
            h.join().ok().flatten().unwrap_or_else(nan)
        };
        (j(a), j(b), j(c), j(d), j(e), j(f))
    });
    let pct = |o: &Observation| 100.0 * circuit_share(o);
    vec![
        // The aortic arch runs from about 6 to 14 cm from the valve (segment table in
        // physio::circulation::AORTA); the descending thoracic aorta from 14 to about 34 cm.
        within(
            format!(
                "femoral VA, circuit {:.0} % of flow: watershed in the arch",
                pct(&s90)
            ),
            SRC_NEZAMI,
            "cm",
            5.0,
            14.5,
            s90.watershed_cm,
        ),
        within(
            format!(
                "femoral VA, circuit {:.0} % of flow: watershed in the descending thoracic aorta",
                pct(&s75)
            ),
            SRC_NEZAMI,
            "cm",
            14.0,
            36.0,
            s75.watershed_cm,
        ),
        // "Entirely" in a CFD result; 0.10 here because the twin's transport mixes each
        // aortic segment at once (a compartment is well mixed), which smears the interface
        // over about one segment (2–3 cm in the arch), and the diastolic flow reversal in
        // the proximal descending aorta then carries a little circuit blood into the
        // distal arch. The CFD's sharper interface does not.
        Case::independent(
            format!(
                "femoral VA, circuit {:.0} % of flow: arch branches fed by the heart (circuit share)",
                pct(&s75)
            ),
            SRC_NEZAMI,
            "",
            Check::AtMost { bound: 0.10 },
            s75.cerebral_circuit_fraction,
        ),
        Case::independent(
            format!(
                "femoral VA, circuit {:.0} % -> {:.0} % of flow: watershed moves on down",
                pct(&s75),
                pct(&s50)
            ),
            SRC_NEZAMI,
            "cm",
            Check::Rises {
                before: s75.watershed_cm,
                by: 3.0,
            },
            s50.watershed_cm,
        ),
        Case::independent(
            format!(
                "femoral VA, circuit {:.0} % of flow: carotid minus coronary circuit share",
                pct(&s90)
            ),
            SRC_PRISCO,
            "",
            Check::AtLeast { bound: 0.2 },
            s90.cerebral_circuit_fraction - s90.coronary_circuit_fraction,
        ),
        Case::independent(
            format!(
                "femoral VA, circuit {:.0} % -> {:.0} % of flow (heart recovering): right radial SaO2",
                pct(&s97),
                pct(&s75)
            ),
            SRC_DERIVED,
            "",
            Check::Falls {
                before: s97.art_upper.so2,
                by: 0.10,
            },
            s75.art_upper.so2,
        ),
        Case::independent(
            format!(
                "femoral VA, circuit {:.0} % of flow: lower-body SaO2 stays high",
                pct(&s75)
            ),
            SRC_DERIVED,
            "",
            Check::AtLeast { bound: 0.95 },
            s75.art_lower.so2,
        ),
        Case::near(
            format!(
                "apnoeic sheep, femoral VA {:.1} L/min: SVC SO2",
                fem.circuit_flow_lpm
            ),
            SRC_HOU,
            "%",
            40.3,
            10.0,
            100.0 * fem.svc_so2,
        ),
        Case::near(
            format!(
                "apnoeic sheep, femoral VA {:.1} L/min: IVC SO2",
                fem.circuit_flow_lpm
            ),
            SRC_HOU,
            "%",
            83.6,
            10.0,
            100.0 * fem.ivc_so2,
        ),
        Case::near(
            "apnoeic sheep, return femoral -> arch branch (carotid; here axillary): rise of SVC SO2",
            SRC_HOU,
            "% points",
            39.6,
            12.0,
            100.0 * (axi.svc_so2 - fem.svc_so2),
        ),
    ]
}
