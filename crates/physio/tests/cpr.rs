//! Cardiac arrest and chest compressions in the whole twin ([`physio::cpr`]).
use physio::presets::{PRESET_NAMES, default_actuation, preset};
use physio::{Configuration, Event, Twin};

fn run(t: &mut Twin, act: &physio::Actuation, secs: f64) -> (f64, f64, f64) {
    // Mean cardiac output, mean of the beat systolic pressures, last CPP.
    let n = (secs / Twin::DT_S) as usize;
    let (mut co, mut sys, mut k) = (0.0, 0.0, 0.0);
    for i in 0..n {
        t.step(act);
        if i % 100 == 0 && i > n / 2 {
            let o = t.observe();
            co += o.cardiac_output_lpm;
            sys += o.p_art_sys_mmhg;
            k += 1.0;
        }
    }
    (co / k, sys / k, t.cpr().cpp_mmhg)
}

#[test]
fn vf_stops_output_and_compressions_restore_part_of_it() {
    let mut c = preset(PRESET_NAMES[0]).unwrap();
    c.circuit.configuration = Configuration::None;
    // The arrested patient's sympathetic drive (physio::cpr: the figures hold with the reflex).
    c.patient.baroreflex_gain = 1.0;
    let act = default_actuation(&c);
    let mut t = Twin::new(&c).unwrap();
    let (co0, sys0, _) = run(&mut t, &act, 30.0);
    t.apply(&Event::VentricularFibrillation(true)).unwrap();
    let (co_vf, sys_vf, _) = run(&mut t, &act, 30.0);
    t.apply(&Event::ChestCompressions(110.0)).unwrap();
    let (co_cpr, sys_cpr, cpp) = run(&mut t, &act, 60.0);
    eprintln!(
        "normal CO {co0:.2} sys {sys0:.0}; VF CO {co_vf:.2} sys {sys_vf:.0}; CPR CO {co_cpr:.2} ({:.0} %) sys {sys_cpr:.0} CPP {cpp:.1}",
        100.0 * co_cpr / co0
    );
    assert!(co_vf < 0.05 * co0);
    // Arterial systolic during standard compressions 60-80 mmHg (Paradis 1990), ±10 mmHg.
    assert!((50.0..=90.0).contains(&sys_cpr), "{sys_cpr}");
    // A quarter of normal output (Voorhees 1980: 27 % in dogs) and a CPP of 15-30 mmHg
    // (Paradis 1990); experiment::validation_cpr holds the cases with their tolerances.
    assert!((0.15..=0.35).contains(&(co_cpr / co0)), "{co_cpr} of {co0}");
    assert!((15.0..=30.0).contains(&cpp), "{cpp}");
}

#[test]
fn a_shock_after_compressions_restores_the_rhythm_deterministically() {
    let shocks = || {
        let mut c = preset(PRESET_NAMES[0]).unwrap();
        c.circuit.configuration = Configuration::None;
        let act = default_actuation(&c);
        let mut t = Twin::new(&c).unwrap();
        t.apply(&Event::VentricularFibrillation(true)).unwrap();
        t.apply(&Event::ChestCompressions(110.0)).unwrap();
        let mut n = 0;
        while t.cpr().arrested() && n < 20 {
            run(&mut t, &act, 10.0);
            t.apply(&Event::Defibrillation(200.0)).unwrap();
            n += 1;
        }
        t.apply(&Event::ChestCompressions(0.0)).unwrap();
        let (co, _, _) = run(&mut t, &act, 30.0);
        (n, co)
    };
    let (n, co) = shocks();
    assert!(n < 20, "no ROSC in 20 shocks");
    assert!(co > 3.0, "{co}");
    assert_eq!(shocks(), (n, co));
    // Asystole is not shockable.
    let c = preset(PRESET_NAMES[0]).unwrap();
    let mut t = Twin::new(&c).unwrap();
    t.apply(&Event::Asystole(true)).unwrap();
    t.apply(&Event::Defibrillation(200.0)).unwrap();
    assert!(t.cpr().arrested());
}
