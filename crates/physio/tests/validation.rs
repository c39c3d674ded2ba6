//! Agreement with published models and measurements that the twin was not fitted to.
mod common;
use common::*;
use physio::presets::default_actuation;
use physio::{Configuration, Twin};

/// VV mixing (Messai 2016, J Clin Monit Comput; patient.md): with no native lung function the
/// arterial saturation is the mix of oxygenator outlet blood at the effective flow
/// EF = (1 − R)·Q and venous blood for the rest of the cardiac output:
/// SaO2 ≈ (EF/CO)·SpostO2 + (1 − EF/CO)·SvO2. R comes from the Abrams formula on true values.
/// In the twin nothing of this is built in: the mix follows from where the cannulae sit and the
/// segment flows. Both must agree across flows.
#[test]
fn vv_mixing_agrees_with_messai_2016() {
    for rpm in [2200.0, 3000.0, 3800.0] {
        let mut c = config("ards-severe", Configuration::VvFemoroJugular);
        c.patient.shunt_fraction = 1.0;
        let act = physio::Actuation {
            pump_rpm: rpm,
            ..default_actuation(&c)
        };
        let mut t = Twin::new(&c).unwrap();
        run(&mut t, &act, 240.0);
        let o = t.observe();
        let ef_co =
            ((1.0 - o.recirculation_fraction) * o.circuit_flow_lpm / o.cardiac_output_lpm).min(1.0);
        let messai = ef_co * o.post_oxy.so2 + (1.0 - ef_co) * o.venous_return_so2;
        assert!(
            (o.art_upper.so2 - messai).abs() < 0.02,
            "{rpm} rpm: twin SaO2 {:.3}, Messai {:.3} (EF/CO {ef_co:.2}, R {:.2})",
            o.art_upper.so2,
            messai,
            o.recirculation_fraction
        );
    }
}
