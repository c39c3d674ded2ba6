//! The circuit on a patient: daily checks of a durability run on the full digital twin.
//!
//! The durability run steps only the slow subsystems (days); what the clotting oxygenator means
//! for a patient needs the whole twin (heart, circulation, lungs, recirculation, gas transport
//! at 2 ms). Fourteen days of that would take minutes, and nothing in it changes faster than
//! the clot allows, so the twin runs in windows: one twin, built from a `physio` preset with the
//! catalogue's pump, oxygenator and cannulae, settles once ([`SETTLE_S`]), and then, at each
//! whole day of the run, takes the day's oxygenator clot burden (the `OxygenatorClot` event)
//! and runs [`WINDOW_S`] more, its state carried from the previous window. A flow-mode loop on
//! the pump speed holds the run's set flow, as a console in flow mode would; sweep and FdO2
//! are the run's.
//!
//! Reported per day (means over the window's last [`MEAN_S`]): circuit flow and the speed it
//! needed, oxygenator ΔP, post-oxygenator PO2, the oxygenator's O2 and CO2 transfer on the
//! patient's own venous blood, and the patient's arterial SaO2, PaO2 and PaCO2.
//!
//! Only single-lumen cannulae: the twin places drainage and return cannulae by configuration
//! and has no dual-lumen model.
use physio::presets;
use physio::{Actuation, Configuration, Event, Twin, TwinConfig};

use crate::catalogue::CannulaModel;
use crate::durability::{Circuit, Options};

/// First settling of the twin, s (blood gases settle within minutes).
pub const SETTLE_S: f64 = 1200.0;
/// Each daily window, s.
pub const WINDOW_S: f64 = 180.0;
/// The last part of a window that is averaged, s.
pub const MEAN_S: f64 = 60.0;
/// Flow-mode integral gain, rpm per (L/min · s).
const FLOW_GAIN: f64 = 300.0;
/// How often the flow loop acts, twin steps (0.1 s).
const LOOP_EVERY: u64 = 50;

/// One daily check.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct PatientCheck {
    pub day: f64,
    pub clot_oxygenator: f64,
    pub flow_lpm: f64,
    pub rpm: f64,
    pub dp_oxy_mmhg: f64,
    pub post_oxy_po2_mmhg: f64,
    pub oxy_o2_ml_min: f64,
    pub oxy_co2_ml_min: f64,
    pub sao2: f64,
    pub pao2_mmhg: f64,
    pub paco2_mmhg: f64,
    /// Whether the drainage vein collapsed at any time in the window (suction).
    pub suction: bool,
}

/// A patient on the circuit under test.
pub struct Patient {
    pub preset: String,
    twin: Twin,
    act: Actuation,
    set_flow_lpm: f64,
    max_rpm: f64,
}

impl Patient {
    /// Build the twin for `preset` with the circuit's devices and the run's weight and Hb, and
    /// settle it at the set flow starting from `rpm0`.
    pub fn new(preset: &str, c: &Circuit, o: &Options, rpm0: f64) -> Result<Self, String> {
        let mut cfg: TwinConfig = presets::preset(preset).ok_or_else(|| {
            format!(
                "--patient {preset}: no such preset (known: {}, or none)",
                presets::PRESET_NAMES.join(", ")
            )
        })?;
        if cfg.circuit.configuration == Configuration::None {
            return Err(format!(
                "--patient {preset}: this preset has no circuit; pick a VV or VA preset"
            ));
        }
        let single = |m: &CannulaModel, what: &str| match m {
            CannulaModel::Single(c) => Ok(*c),
            CannulaModel::DualLumen(_) => Err(format!(
                "--patient {preset}: the twin has no dual-lumen cannula ({what}); use --patient none"
            )),
        };
        cfg.circuit.drainage = single(&c.drainage.model, "drainage")?;
        cfg.circuit.return_cannula = match c.ret {
            Some(r) => single(&r.model, "return")?,
            None => {
                return Err(format!(
                    "--patient {preset}: the twin has no dual-lumen cannula; use --patient none"
                ));
            }
        };
        cfg.circuit.pump = c.pump.model;
        cfg.circuit.oxygenator = c.oxygenator.model;
        // The twin's own clot growth over a few minutes is negligible; the daily burden is set
        // from the durability run. Its coating only matters for that growth.
        if let Some(k) = c.coating.builtin() {
            cfg.circuit.coating = k;
        }
        cfg.patient.weight_kg = o.weight_kg;
        cfg.patient.hb_g_dl = o.hb_g_dl;
        let twin = Twin::new(&cfg).map_err(|e| {
            let opt = match e.field {
                "patient.weight_kg" => "--weight",
                "patient.hb_g_dl" => "--hb",
                f => f,
            };
            format!("--patient {preset}: {opt}: {}", e.message)
        })?;
        let mut act = presets::default_actuation(&cfg);
        act.pump_rpm = rpm0.clamp(0.0, c.pump.model.max_rpm);
        act.sweep_lpm = o.sweep_lpm.unwrap_or(o.flow_lpm);
        act.fdo2 = 1.0;
        let mut p = Patient {
            preset: preset.to_string(),
            twin,
            act,
            set_flow_lpm: o.flow_lpm,
            max_rpm: c.pump.model.max_rpm,
        };
        p.run(SETTLE_S, 0.0);
        Ok(p)
    }

    /// Run `secs` with the flow loop; returns means over the last `mean_s` and whether the
    /// drainage vein collapsed.
    fn run(&mut self, secs: f64, mean_s: f64) -> ([f64; 9], bool) {
        let steps = (secs / Twin::DT_S).round() as u64;
        let mean_from = steps.saturating_sub((mean_s / Twin::DT_S).round() as u64);
        let mut sum = [0.0; 9];
        let mut n = 0u64;
        let mut suction = false;
        let loop_dt = LOOP_EVERY as f64 * Twin::DT_S;
        for k in 0..steps {
            self.twin.step(&self.act);
            if k % LOOP_EVERY == 0 || k >= mean_from {
                let ob = self.twin.observe();
                if k % LOOP_EVERY == 0 {
                    let err = self.set_flow_lpm - ob.circuit_flow_lpm;
                    self.act.pump_rpm =
                        (self.act.pump_rpm + FLOW_GAIN * err * loop_dt).clamp(0.0, self.max_rpm);
                }
                suction |= ob.drainage_occluded;
                if k >= mean_from {
                    let v = [
                        ob.circuit_flow_lpm,
                        ob.pump_speed_rpm,
                        ob.delta_p_oxy_mmhg,
                        ob.post_oxy.po2_mmhg,
                        ob.oxy_o2_transfer_ml_min,
                        ob.oxy_co2_transfer_ml_min,
                        ob.art_upper.so2,
                        ob.art_upper.po2_mmhg,
                        ob.art_upper.pco2_mmhg,
                    ];
                    for (s, x) in sum.iter_mut().zip(v) {
                        *s += x;
                    }
                    n += 1;
                }
            }
        }
        (sum.map(|s| s / n.max(1) as f64), suction)
    }

    /// The day's check: set the clot burden, run a window, report the means.
    pub fn check(&mut self, day: f64, clot: f64) -> Result<PatientCheck, String> {
        // The thrombus law saturates at 1; the oxygenator model caps the membrane loss.
        let clot = clot.clamp(0.0, physio::oxygenator::MAX_CLOT);
        self.twin
            .apply(&Event::OxygenatorClot(clot))
            .map_err(|e| format!("{}: {}", e.field, e.message))?;
        let (m, suction) = self.run(WINDOW_S, MEAN_S);
        Ok(PatientCheck {
            day,
            clot_oxygenator: clot,
            flow_lpm: m[0],
            rpm: m[1],
            dp_oxy_mmhg: m[2],
            post_oxy_po2_mmhg: m[3],
            oxy_o2_ml_min: m[4],
            oxy_co2_ml_min: m[5],
            sao2: m[6],
            pao2_mmhg: m[7],
            paco2_mmhg: m[8],
            suction,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::catalogue::Catalogue;
    use crate::durability::{Options, run};

    fn circuit<'a>(c: &'a Catalogue, drainage: &str, ret: Option<&str>) -> Circuit<'a> {
        Circuit {
            pump: c.pump("rotaflow").unwrap(),
            oxygenator: c.oxygenator("quadrox-adult").unwrap(),
            coating: c.coating("heparin-bonded").unwrap(),
            drainage: c.cannula(drainage).unwrap(),
            ret: ret.map(|r| c.cannula(r).unwrap()),
        }
    }

    /// On the patient the flow loop holds the set flow; the twin's oxygenator ΔP is the
    /// catalogue model's at the clot burden set; the speed the twin needs agrees with the
    /// durability run's pressure balance (which assumes 8 mmHg at both cannula sites) within
    /// 5 %; a heavily clotted membrane lowers post-oxygenator PO2, transfer and SaO2.
    #[test]
    fn twin_agrees_with_the_circuit_balance_and_clot_hurts() {
        let c = Catalogue::builtin().unwrap();
        let k = circuit(&c, "drainage-25fr", Some("return-21fr"));
        let o = Options::for_days(1.0);
        let r = run(&k, &o, false).unwrap();
        assert_eq!(r.patient_checks.len(), 2);
        for (x, row) in r
            .patient_checks
            .iter()
            .zip([&r.rows[0], r.rows.last().unwrap()])
        {
            assert!((x.flow_lpm - o.flow_lpm).abs() < 0.02 * o.flow_lpm, "{x:?}");
            let dp = k
                .oxygenator
                .model
                .pressure_drop_mmhg(x.flow_lpm, x.clot_oxygenator);
            assert!((x.dp_oxy_mmhg - dp).abs() < 0.01 * dp, "{x:?} vs {dp}");
            assert!((x.rpm - row.rpm).abs() < 0.05 * row.rpm, "{x:?} vs {row:?}");
            assert!(x.sao2 > 0.9 && !x.suction, "{x:?}");
        }
        let mut p = Patient::new("ards-severe", &k, &o, r.rows[0].rpm).unwrap();
        let clean = p.check(0.0, 0.0).unwrap();
        let clotted = p.check(1.0, 0.9).unwrap();
        assert!(
            clotted.post_oxy_po2_mmhg < clean.post_oxy_po2_mmhg - 50.0,
            "{clean:?} {clotted:?}"
        );
        assert!(
            clotted.oxy_o2_ml_min < clean.oxy_o2_ml_min,
            "{clean:?} {clotted:?}"
        );
        assert!(clotted.sao2 < clean.sao2, "{clean:?} {clotted:?}");
        // ΔP ×100 at the same flow: even the pump's maximum speed cannot hold the flow.
        assert!(
            clotted.dp_oxy_mmhg > 10.0 * clean.dp_oxy_mmhg,
            "{clean:?} {clotted:?}"
        );
        assert!(clotted.flow_lpm < 0.5 * o.flow_lpm, "{clotted:?}");
        assert!(
            (clotted.rpm - k.pump.model.max_rpm).abs() < 1.0,
            "{clotted:?}"
        );
    }

    #[test]
    fn refuses_what_the_twin_cannot_carry() {
        let c = Catalogue::builtin().unwrap();
        let o = Options::default();
        let dual = circuit(&c, "dual-lumen-27fr", None);
        let e = Patient::new("ards-severe", &dual, &o, 3000.0)
            .err()
            .unwrap();
        assert!(
            e.contains("dual-lumen") && e.contains("--patient none"),
            "{e}"
        );
        let k = circuit(&c, "drainage-25fr", Some("return-21fr"));
        let e = Patient::new("adult-healthy", &k, &o, 3000.0).err().unwrap();
        assert!(e.contains("no circuit"), "{e}");
        let e = Patient::new("martian", &k, &o, 3000.0).err().unwrap();
        assert!(e.contains("no such preset"), "{e}");
        let heavy = Options {
            weight_kg: 250.0,
            ..Options::default()
        };
        let e = Patient::new("ards-severe", &k, &heavy, 3000.0)
            .err()
            .unwrap();
        assert!(e.contains("--weight"), "{e}");
        // Without a patient, a dual-lumen circuit runs.
        let none = Options {
            days: 1.0,
            patient: None,
            ..Options::default()
        };
        assert!(run(&dual, &none, false).unwrap().patient_checks.is_empty());
    }
}
