//! From a parsed experiment to the twin's configuration: the preset (or a complete patient),
//! then the file's overrides on top.
use crate::error::Error;
use crate::format::Experiment;
use crate::params;
use crate::run::{Summary, apply_settings, run_config};
use physio::cannula::{Cannula, CannulaRole, Tubing};
use physio::oxygenator::OxygenatorModel;
use physio::presets;
use physio::pump::PumpModel;
use physio::{Actuation, TwinConfig};
use std::io::Write;

/// The preset whose circuit and settings stand in when a file names no preset.
pub const BASE_PRESET: &str = "adult-healthy";

impl Experiment {
    /// The twin configuration and initial actuation this experiment starts from.
    pub fn twin_config(&self) -> Result<(TwinConfig, Actuation), Error> {
        let mut cfg: TwinConfig = match &self.preset {
            Some(name) => presets::preset(name).ok_or_else(|| {
                Error::new(
                    "preset",
                    format!(
                        "unknown preset `{name}`; allowed: {}",
                        presets::PRESET_NAMES.join(", ")
                    ),
                )
            })?,
            None => presets::preset(BASE_PRESET).ok_or_else(|| {
                Error::new(
                    "preset",
                    format!("built-in preset `{BASE_PRESET}` is missing"),
                )
            })?,
        };
        for (name, v) in &self.patient {
            if let Some(f) = params::patient_field(name) {
                (f.set)(&mut cfg.patient, *v);
            }
        }
        let c = &self.circuit;
        // A different configuration brings that configuration's default cannulae (sized to the
        // patient's weight, presets::sized_circuit); the file's
        // own sizes, tubing, pump, oxygenator and coating then go on top.
        if let Some(x) = c.configuration
            && x != cfg.circuit.configuration
        {
            let coating = cfg.circuit.coating;
            cfg.circuit = presets::sized_circuit(x, cfg.patient.weight_kg);
            cfg.circuit.coating = coating;
        }
        let circ = &mut cfg.circuit;
        if let Some(fr) = c.drainage_fr {
            circ.drainage = Cannula {
                role: CannulaRole::Drainage,
                size_fr: fr,
            };
        }
        if let Some(fr) = c.return_fr {
            circ.return_cannula = Cannula {
                role: CannulaRole::Return,
                size_fr: fr,
            };
        }
        if let Some(l) = c.tubing_length_m {
            circ.tubing = Tubing {
                length_m: l,
                ..circ.tubing
            };
        }
        if let Some(d) = c.drainage_depth_cm {
            circ.placement.drainage_depth_cm = d;
        }
        if let Some(d) = c.return_depth_cm {
            circ.placement.return_depth_cm = d;
        }
        if let Some(a) = c.return_jet_angle_deg {
            circ.placement.return_jet_angle_deg = a;
        }
        if let Some(d) = c.tubing_diameter_mm {
            circ.tubing = Tubing {
                inner_diameter_mm: d,
                ..circ.tubing
            };
        }
        if let Some(p) = &c.pump {
            circ.pump = by_name("pump", p, PumpModel::by_name, &PumpModel::NAMES)?;
        }
        if let Some(o) = &c.oxygenator {
            let names = &OxygenatorModel::NAMES;
            circ.oxygenator = by_name("oxygenator", o, OxygenatorModel::by_name, names)?;
        }
        if let Some(x) = c.coating {
            circ.coating = x;
        }
        if let Some(p) = c.prime {
            circ.prime = p;
        }
        if let Some(h) = c.prime_hb_g_dl {
            match circ.prime {
                physio::prime::Prime::Blood { .. } => {
                    circ.prime = physio::prime::Prime::Blood { hb_g_dl: Some(h) }
                }
                _ => {
                    return Err(Error::new(
                        "circuit.prime_hb_g_dl",
                        "only for a blood prime (`prime = \"blood\"`)".to_string(),
                    ));
                }
            }
        }
        // The twin's own checks (e.g. blood volume per kg of weight, which depends on two fields)
        // run here, so that a file that loads is a twin that starts.
        let refused = |e: physio::ConfigError| {
            let hint = if e.field == "patient.blood_volume_ml" {
                " (blood_volume_ml divided by weight_kg; adjust either)"
            } else {
                ""
            };
            Error::new(e.field, format!("{}{hint}", e.message))
        };
        cfg.patient.validate().map_err(refused)?;
        cfg.circuit.validate().map_err(refused)?;
        cfg.seed = self.seed;
        // Default settings follow the final configuration (none: pump stopped, heater off).
        let mut act = presets::default_actuation(&cfg);
        apply_settings(&mut act, &self.settings);
        Ok((cfg, act))
    }

    /// Run the experiment; CSV rows go to `csv` if given.
    pub fn run(&self, csv: Option<&mut dyn Write>) -> Result<Summary, Error> {
        let (cfg, act) = self.twin_config()?;
        run_config(self, &cfg, act, csv)
    }

    /// Run the experiment keeping only the statistics of the signals named in `only`
    /// ([`crate::run::run_only`]).
    pub fn run_only(&self, only: &[String]) -> Result<Summary, Error> {
        let (cfg, act) = self.twin_config()?;
        crate::run::run_only(self, &cfg, act, only)
    }
}

/// The `kind` of device (`circuit.<kind>`) called `name`, or the error that lists `names`.
fn by_name<T>(
    kind: &str,
    name: &str,
    find: fn(&str) -> Option<T>,
    names: &[&str],
) -> Result<T, Error> {
    find(name).ok_or_else(|| {
        Error::new(
            format!("circuit.{kind}"),
            format!("unknown {kind} `{name}`; allowed: {}", names.join(", ")),
        )
    })
}
