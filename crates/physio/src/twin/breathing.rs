//! The twin's glue to the chemoreflex ([`crate::chemoreflex`]) and to recruitment and
//! overdistension of an injured lung ([`crate::recruitment`]): both run with the slow step,
//! once a second, and act only when the patient's `chemoreflex_gain` or `recruitability` is
//! above 0 (every preset but `ards-severe` has both at 0; its recruitability acts only on a
//! ventilator), so that runs without them are unchanged to the bit.
use super::Twin;
use crate::chemoreflex::Chemoreflex;
use crate::recruitment::{LungChange, Overdistension, Recruitment};
use crate::twin::PatientParams;
use crate::ventilator::{self as vt, Mode};

/// The state of spontaneous breathing and of the injured lung.
#[derive(Clone, Copy, Debug, Default)]
pub(super) struct Breathing {
    recruitment: Recruitment,
    chemo: Chemoreflex,
    /// What the chemoreflex asks for now, L/min of minute ventilation.
    drive_lpm: f64,
    /// The patient's own alveolar ventilation without a ventilator when their breathing is
    /// driven (`chemoreflex_gain` above 0), L/min; None: their parameter.
    own_va_lpm: Option<f64>,
}

impl Twin {
    /// Once a second: the chemoreflex senses the carotid blood, and a ventilator's pressures
    /// open and close an injured lung.
    pub(super) fn breathing_step(&mut self, dt: f64) {
        let g = self.obs.art_cerebral;
        self.breathing.chemo.step(dt, g.pco2_mmhg, g.po2_mmhg);
        let p = &self.params;
        let mut refresh = false;
        if p.chemoreflex_gain > 0.0 {
            let drive = self
                .breathing
                .chemo
                .drive_lpm(p.chemoreflex_gain, p.weight_kg);
            refresh |= drive != self.breathing.drive_lpm;
            self.breathing.drive_lpm = drive;
            self.breathing.own_va_lpm = if self.ventilator.is_none() {
                Some((p.alveolar_ventilation_lpm + drive).max(0.0) * self.drive_factor())
            } else {
                None
            };
        } else {
            self.breathing.drive_lpm = 0.0;
            self.breathing.own_va_lpm = None;
        }
        if p.recruitability > 0.0
            && let Some(b) = self.ventilator
        {
            let peep = b.peep_cmh2o + b.auto_peep_cmh2o;
            let plateau = match b.mode {
                Mode::Spontaneous => peep + b.vt_ml / b.compliance_ml_cmh2o.max(1.0),
                _ => b.pplat_cmh2o.max(peep),
            };
            if self.breathing.recruitment.step(dt, peep, plateau) {
                let lung = self.lung_change_for(&self.params);
                self.gases
                    .set_shunt((self.params.shunt_fraction + lung.shunt_delta).clamp(0.0, 1.0));
                refresh = true;
            }
        }
        if refresh {
            self.refresh_ventilator();
        }
    }

    /// The share of the respiratory centre's output that reaches the lungs: depressed by
    /// sedatives and opioids, stopped by a neuromuscular block.
    fn drive_factor(&self) -> f64 {
        if self.drugs.active() {
            let fx = self.drug_fx;
            (fx.respiratory_drive_factor * (1.0 - fx.block)).clamp(0.0, 1.0)
        } else {
            1.0
        }
    }

    /// What the recruitment state does to a patient with parameters `p`.
    pub(super) fn lung_change_for(&self, p: &PatientParams) -> LungChange {
        self.breathing
            .recruitment
            .change(p.recruitability, p.shunt_fraction)
    }

    /// Alveolar ventilation of the native lungs without a ventilator, L/min.
    pub(super) fn spontaneous_va_lpm(&self) -> f64 {
        self.breathing
            .own_va_lpm
            .unwrap_or(self.params.alveolar_ventilation_lpm)
    }

    /// The connected ventilator's breath with the settings held: spontaneous breaths deepened
    /// or made shallow by the chemoreflex, an injured lung recruited and overdistended.
    pub(super) fn breath_now(&self) -> vt::Breath {
        let p = &self.params;
        let mut s = self.vent_settings;
        if s.mode == Mode::Spontaneous && p.chemoreflex_gain > 0.0 && s.rate_bpm > 0.0 {
            let vt_ml = (s.vt_ml + self.breathing.drive_lpm * 1000.0 / s.rate_bpm).max(0.0)
                * self.drive_factor();
            s.vt_ml = vt_ml.clamp(vt::VT_RANGE.0, vt::VT_RANGE.1);
        }
        if p.recruitability > 0.0 {
            let lung = self.lung_change_for(p);
            vt::breath_injured(
                &s,
                &self.mechanics(),
                lung.compliance_factor,
                &Overdistension::INJURED,
            )
        } else {
            vt::breath(&s, &self.mechanics())
        }
    }

    /// The chemoreflex's state.
    pub fn chemoreflex(&self) -> &Chemoreflex {
        &self.breathing.chemo
    }

    /// The injured lung's recruitment state.
    pub fn recruitment(&self) -> &Recruitment {
        &self.breathing.recruitment
    }

    /// Fill the breathing readings of an observation.
    pub(super) fn observe_breathing(&self, o: &mut super::Observation) {
        let lung = self.lung_change_for(&self.params);
        o.shunt_effective = (self.params.shunt_fraction + lung.shunt_delta).clamp(0.0, 1.0);
        o.recruited_fraction = if self.params.recruitability > 0.0 {
            self.breathing.recruitment.recruited_share()
        } else {
            0.0
        };
        o.chemoreflex_drive_lpm = self.breathing.drive_lpm;
        match self.ventilator {
            Some(b) => {
                o.vent_dead_space_fraction = b.dead_space_fraction(self.params.weight_kg);
                o.alveolar_ventilation_effective_lpm = b.alveolar_ventilation_l_min;
            }
            None => o.alveolar_ventilation_effective_lpm = self.spontaneous_va_lpm(),
        }
    }
}
