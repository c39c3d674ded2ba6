//! The vocabulary of patient parameters: every numeric field of [`PatientParams`] with its
//! name (the field's own), label, unit, allowed range, step and meaning, and which of them a
//! `set_patient` event may change during a run ([`PatientParam`]).
//!
//! Experiment and scenario files (`[patient]`), `set_patient` events, the console's page and the
//! docs all read this table. The ranges are those [`PatientParams::validate`] enforces; a test
//! (experiment/tests/params.rs) checks the two agree at both ends of every range.
//!
//! Adding a parameter: one line in `patient_fields!` below (and, if an event may change it, a
//! [`PatientParam`] variant and its arm in the twin's `set_patient`).

use crate::event::Quantity;
use crate::twin::PatientParams;

/// The patient parameters an event may change.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum PatientParam {
    HeartRate,
    LvEmax,
    RvEmax,
    Svr,
    Pvr,
    Vo2,
    AlveolarVentilation,
    Fio2,
    ShuntFraction,
    Temperature,
    BaroreflexGain,
    LungCompliance,
    Recruitability,
    ChemoreflexGain,
    CardiopulmonaryGain,
}

impl PatientParam {
    pub const ALL: [PatientParam; 15] = [
        PatientParam::HeartRate,
        PatientParam::LvEmax,
        PatientParam::RvEmax,
        PatientParam::Svr,
        PatientParam::Pvr,
        PatientParam::Vo2,
        PatientParam::AlveolarVentilation,
        PatientParam::Fio2,
        PatientParam::ShuntFraction,
        PatientParam::Temperature,
        PatientParam::BaroreflexGain,
        PatientParam::LungCompliance,
        PatientParam::Recruitability,
        PatientParam::ChemoreflexGain,
        PatientParam::CardiopulmonaryGain,
    ];

    /// Its row of [`PATIENT_FIELDS`].
    pub const fn field(self) -> &'static PatientField {
        // Every variant has a row (a unit test checks), so the fallback is never taken.
        let mut i = 0;
        while i < PATIENT_FIELDS.len() {
            if let Some(p) = PATIENT_FIELDS[i].event
                && p as u8 == self as u8
            {
                return &PATIENT_FIELDS[i];
            }
            i += 1;
        }
        &PATIENT_FIELDS[0]
    }

    pub fn name(self) -> &'static str {
        self.field().name
    }

    pub fn by_name(name: &str) -> Option<PatientParam> {
        patient_field(name).and_then(|f| f.event)
    }
}

/// One numeric patient parameter.
pub struct PatientField {
    /// The field name in `[patient]`, equal to the [`PatientParams`] field.
    pub name: &'static str,
    /// Its name for people, and what it means.
    pub label: &'static str,
    pub doc: &'static str,
    /// Allowed range (inclusive) and a screen's increment, in `unit`.
    pub unit: &'static str,
    pub min: f64,
    pub max: f64,
    pub step: f64,
    /// The event parameter that changes it during a run, if the twin allows that.
    pub event: Option<PatientParam>,
    /// The field named in refusals: `patient.heart_rate_bpm`.
    pub path: &'static str,
    pub get: fn(&PatientParams) -> f64,
    pub set: fn(&mut PatientParams, f64),
}

impl PatientField {
    /// Its unit, range and step as a [`Quantity`] (fractions shown as percent); the typical
    /// value is the middle of the range.
    pub fn quantity(&self) -> Quantity {
        let typical = 0.5 * (self.min + self.max);
        if self.unit == "1" {
            Quantity::fraction(self.min, self.max, self.step, typical)
        } else {
            Quantity::new(self.unit, self.min, self.max, self.step, typical)
        }
    }
}

macro_rules! patient_fields {
    ($( $name:ident, $label:expr, $unit:expr, $min:expr, $max:expr, $step:expr, $event:expr, $doc:expr; )*) => {
        /// Every numeric field of [`PatientParams`].
        pub const PATIENT_FIELDS: &[PatientField] = &[
            $( PatientField {
                name: stringify!($name),
                label: $label,
                unit: $unit,
                min: $min,
                max: $max,
                step: $step,
                doc: $doc,
                event: $event,
                path: concat!("patient.", stringify!($name)),
                get: |p| p.$name,
                set: |p, v| p.$name = v,
            }, )*
        ];
    };
}

patient_fields! {
    weight_kg, "Body weight", "kg", 2.0, 200.0, 1.0, None, "Body weight; scales metabolism (VO2 is per kg) and heparin distribution.";
    heart_rate_bpm, "Heart rate", "1/min", 20.0, 220.0, 1.0, Some(PatientParam::HeartRate), "Heart rate.";
    lv_emax_mmhg_ml, "LV contractility (Emax)", "mmHg/mL", 0.1, 6.0, 0.05, Some(PatientParam::LvEmax), "Left-ventricular end-systolic elastance (contractility); healthy about 2.8-2.95, failure about 0.6 (patient.md).";
    rv_emax_mmhg_ml, "RV contractility (Emax)", "mmHg/mL", 0.1, 5.0, 0.05, Some(PatientParam::RvEmax), "Right-ventricular end-systolic elastance; healthy 0.585-1.75 (patient.md).";
    lv_dilation_ml, "LV dilation", "mL", 0.0, 250.0, 5.0, None, "Chronic LV dilation (remodelling): how far right of a normal LV both pressure-volume relations sit; 0 for a normal-sized or acutely stunned LV, about 100-150 in dilated cardiomyopathy (see physio heart.rs).";
    lv_stiffness, "LV diastolic stiffness", "1", 0.3, 3.0, 0.05, None, "LV diastolic stiffness relative to normal (multiplies the EDPVR exponent): below 1 compliant (dilated), above 1 stiff (hypertrophied, ischaemic).";
    svr_mmhg_s_ml, "Systemic vascular resistance", "mmHg*s/mL", 0.2, 12.0, 0.05, Some(PatientParam::Svr), "Systemic vascular resistance; normal about 1.09 (Smith 2004).";
    pvr_mmhg_s_ml, "Pulmonary vascular resistance", "mmHg*s/mL", 0.02, 10.0, 0.01, Some(PatientParam::Pvr), "Pulmonary vascular resistance; normal about 0.12-0.16 in the adult (Smith 2004, Ursino 1998), about 0.9 in a 3.5-kg neonate (it scales as weight^-3/4, physio sizes.rs); several times that in persistent pulmonary hypertension of the newborn.";
    blood_volume_ml, "Blood volume", "mL", 70.0, 24000.0, 50.0, None, "Total blood volume; normal about 70 mL/kg, 5300 mL (Ursino 1998). Must also lie within 35-120 mL per kg of weight (checked when the run starts). Change it during a run with `volume` and `bleeding` events.";
    hb_g_dl, "Haemoglobin", "g/dL", 3.0, 22.0, 0.1, None, "Haemoglobin concentration; normal 12-16.";
    base_excess_meq_l, "Base excess", "mEq/L", -30.0, 30.0, 1.0, None, "Base excess (metabolic acid-base state).";
    temp_c, "Temperature", "degC", 25.0, 43.0, 0.1, Some(PatientParam::Temperature), "Body temperature.";
    vo2_ml_kg_min, "O2 consumption", "mL/kg/min", 0.5, 10.0, 0.1, Some(PatientParam::Vo2), "Whole-body O2 consumption; about 3 at rest.";
    rq, "Respiratory quotient", "1", 0.6, 1.2, 0.01, None, "Respiratory quotient VCO2/VO2; about 0.8 at rest.";
    alveolar_ventilation_lpm, "Alveolar ventilation", "L/min", 0.0, 30.0, 0.1, Some(PatientParam::AlveolarVentilation), "Alveolar ventilation of the native lungs; 0 is apnoea.";
    fio2, "Ventilator FiO2", "1", 0.21, 1.0, 0.01, Some(PatientParam::Fio2), "Inspired O2 fraction.";
    shunt_fraction, "Pulmonary shunt fraction", "1", 0.0, 1.0, 0.01, Some(PatientParam::ShuntFraction), "Intrapulmonary shunt fraction (ARDS severity); near 1 means no native gas exchange.";
    baroreflex_gain, "Baroreflex gain", "1", 0.0, 1.0, 0.05, Some(PatientParam::BaroreflexGain), "Strength of the arterial baroreflex (Ursino 1998, physio reflex.rs): 1 the published gains, 0 none (the presets: their heart rate and resistances are fixed unless an event changes them), between: blunted by sedation, sepsis or a denervated heart. It takes its set point over the first 30 s of a run. Above 1 the twin's pressure loop oscillates, so the range ends there.";
    lung_compliance_ml_cmh2o, "Lung compliance", "mL/cmH2O", 1.0, 400.0, 1.0, Some(PatientParam::LungCompliance), "Static lung compliance: normal adult about 200, ARDS 20-50 (West; Gattinoni 2004). With the chest wall it sets the ventilator's plateau and driving pressures, and stiff lungs pass less of the airway pressure on to the pleura (see the ventilator section).";
    chest_wall_compliance_ml_cmh2o, "Chest-wall compliance", "mL/cmH2O", 1.0, 400.0, 1.0, None, "Chest-wall compliance: normal adult about 200 (West); lower with abdominal distension (Gattinoni 2004). The share of airway pressure reaching the pleura is C_lung/(C_lung + C_chest_wall).";
    airway_resistance_cmh2o_s_l, "Airway resistance", "cmH2O*s/L", 0.5, 200.0, 0.5, None, "Airway resistance with the endotracheal tube; normal airways about 2 (West). Sets the ventilator's peak-to-plateau difference and how much gas a short expiration traps (auto-PEEP).";
    recruitability, "Recruitable lung", "1", 0.0, 0.5, 0.01, Some(PatientParam::Recruitability), "Share of lung tissue collapsed at 5 cmH2O that 45 cmH2O reopens (Gattinoni 2006: 13 +/- 11 % in ALI/ARDS; 0 a lung that does not recruit, every preset but ards-severe). On a ventilator, PEEP and plateau open and close it with a time course (Crotti 2001's opening and closing pressures): the shunt falls and the compliance rises as it opens, and above about 26 cmH2O the lung overdistends (compliance falls, dead space rises). The patient's shunt_fraction and lung compliance are those at PEEP 5 (see the ventilator section). Without a ventilator nothing changes.";
    cardiopulmonary_gain, "Cardiopulmonary reflex gain", "1", 0.0, 1.0, 0.05, Some(PatientParam::CardiopulmonaryGain), "Strength of the cardiopulmonary (low-pressure) reflex (Heldt et al. 2002, physio cpreflex.rs): 1 the published gains, 0 none (every preset). Above 0, a fall of the transmural right atrial pressure below the patient's own (taken over the first 30 s of a run) constricts the systemic arterioles and the veins (up to about +11 % resistance and -865 mL of venous unstressed volume in a 70 kg adult, at full unloading) without changing heart rate; a rise dilates them. It adds to the arterial baroreflex (baroreflex_gain) and is blunted with it by sedatives; 0 for a denervated (transplanted) heart, whose atrial afferents are cut, lower in sedation or septic shock.";
    chemoreflex_gain, "Chemoreflex gain", "1", 0.0, 1.0, 0.05, Some(PatientParam::ChemoreflexGain), "Strength of the chemoreflex (physio chemoreflex.rs): 1 the published CO2 response (2.5 L/min per mmHg, Read 1967) and hypoxic response (Weil 1970), 0 none (every preset: ventilation is the fixed alveolar_ventilation_lpm). Above 0 the patient's own breathing (no ventilator, or its spontaneous mode) follows the carotid blood's PaCO2 and PaO2 (alveolar_ventilation_lpm is the ventilation at PaCO2 40 and PaO2 100: a hypercapnic or hypoxaemic patient is driven to breathe more); sedatives and opioids depress it and a neuromuscular block stops it. Controlled (vc, pc) breaths are not changed.";
}

/// Look a patient field up by name.
pub fn patient_field(name: &str) -> Option<&'static PatientField> {
    PATIENT_FIELDS.iter().find(|f| f.name == name)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_param_has_one_field() {
        for p in PatientParam::ALL {
            let n = PATIENT_FIELDS.iter().filter(|f| f.event == Some(p)).count();
            assert_eq!(n, 1, "{p:?}");
            assert_eq!(PatientParam::by_name(p.name()), Some(p));
        }
    }
}
