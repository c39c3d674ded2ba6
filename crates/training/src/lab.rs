//! Laboratory tests a trainee sends (`lab` action): the sample is drawn when the test is
//! ordered, and its result comes back after the test's turnaround, with the analyser's error.
//!
//! | test | where | turnaround | analyser error (σ) | source |
//! |---|---|---|---|---|
//! | `blood_gas` | point-of-care analyser in the unit | 3 min | pH 0.02; PCO2 max(2.5 mmHg, 4 %); PO2 5 %; SaO2 (co-oximetry) 1 %; lactate max(0.1 mmol/L, 5 %) | lactate's error is an \[assumption\] of the order of blood gas analysers' stated precision; the rest CLIA proficiency limits (42 CFR 493.941, 1992): pH ±0.04, PCO2 ±5 mmHg or ±8 %, PO2 ±3 peer SD, taken as 2σ; peer SD of PO2 about 5 % at 115–145 mmHg (CAP survey 1999, Westgard lesson 59); the turnaround (walk, about a minute of analysis, report) is an assumption |
//! | `hb` | co-oximeter of the same analyser | 3 min | 3.5 % | CLIA Hb limit ±7 % (1992) as 2σ |
//! | `act` | bedside coagulometer | the clotting time itself + 1 min | 7 % | ACT tubes' precision, CV 5–10 % \[M\]; the test lasts as long as the blood takes to clot |
//! | `anti_xa` | central laboratory (chromogenic assay) | 60 min | 10 % | interlaboratory CV of heparin anti-Xa assays 10–20 % \[M\]; central-laboratory turnaround of about an hour \[assumption\] |
//! | `pfhb` | central laboratory (spectrophotometry) | 60 min | 10 % | \[assumption\] |
//!
//! Deterministic: the errors are drawn from a generator the session seeds from the scenario's
//! name, so a run and its replay give the same results.
use physio::Observation;
use physio::rng::Rng;

/// A test that can be ordered.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Test {
    Act,
    AntiXa,
    Pfhb,
    BloodGas,
    Hb,
}

impl Test {
    /// The test for an action value (`act`, `anti_xa`, `pfhb`, `blood_gas`, `hb`).
    pub fn by_name(name: &str) -> Option<Test> {
        Some(match name {
            "act" => Test::Act,
            "anti_xa" => Test::AntiXa,
            "pfhb" => Test::Pfhb,
            "blood_gas" => Test::BloodGas,
            "hb" => Test::Hb,
            _ => return None,
        })
    }

    /// Name as the trainee writes it.
    pub fn name(self) -> &'static str {
        match self {
            Test::Act => "act",
            Test::AntiXa => "anti_xa",
            Test::Pfhb => "pfhb",
            Test::BloodGas => "blood_gas",
            Test::Hb => "hb",
        }
    }

    /// Seconds from drawing the sample to the result, for a sample drawn from `o`.
    pub fn turnaround_s(self, o: &Observation) -> f64 {
        match self {
            Test::BloodGas | Test::Hb => 180.0,
            Test::Act => finite(o.act_s, 0.0).clamp(0.0, 1500.0) + 60.0,
            Test::AntiXa | Test::Pfhb => 3600.0,
        }
    }
}

/// A sample drawn and on its way: the true values when drawn, and when the result is due.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Pending {
    pub test: Test,
    /// Scenario time the sample was drawn, s.
    pub drawn_s: f64,
    /// Scenario time the result comes back, s.
    pub due_s: f64,
    sample: Observation,
}

impl Pending {
    /// Draw a sample now (scenario time `t_s`) from the twin's state `o`.
    pub fn draw(test: Test, t_s: f64, o: &Observation) -> Pending {
        Pending {
            test,
            drawn_s: t_s,
            due_s: t_s + test.turnaround_s(o),
            sample: *o,
        }
    }

    /// What the trainee is told when the sample goes: the test and when to expect it.
    pub fn sent(&self) -> String {
        let min = (self.due_s - self.drawn_s) / 60.0;
        format!(
            "{} sample drawn; result in about {:.0} min",
            self.test.name(),
            min.max(1.0)
        )
    }

    /// The result as the analyser reports it, with its error drawn from `rng`.
    pub fn result(&self, rng: &mut Rng) -> String {
        let o = &self.sample;
        let mut rel = |x: f64, cv: f64| x * (1.0 + cv * rng.normal());
        let drawn = format!("drawn at {:.0} s", self.drawn_s);
        match self.test {
            Test::Act => format!("ACT {:.0} s ({drawn})", rel(o.act_s, 0.07).max(0.0)),
            Test::AntiXa => format!(
                "anti-Xa {:.2} IU/mL ({drawn})",
                rel(o.anti_xa_iu_ml, 0.10).max(0.0)
            ),
            Test::Pfhb => format!(
                "plasma free Hb {:.0} mg/dL ({drawn})",
                rel(o.plasma_fhb_mg_dl, 0.10).max(0.0)
            ),
            Test::Hb => format!("Hb {:.1} g/dL ({drawn})", rel(o.hb_g_dl, 0.035).max(0.0)),
            Test::BloodGas => {
                let g = o.art_upper;
                let ph = g.ph + 0.02 * rng.normal();
                let pco2 = g.pco2_mmhg + (2.5f64).max(0.04 * g.pco2_mmhg) * rng.normal();
                let po2 = g.po2_mmhg * (1.0 + 0.05 * rng.normal());
                let so2 = (g.so2 + 0.01 * rng.normal()).clamp(0.0, 1.0);
                let l = o.lactate_mmol_l;
                let lactate = l + (0.1f64).max(0.05 * l) * rng.normal();
                format!(
                    "arterial (right radial): pH {:.2}, PaO2 {:.0}, PaCO2 {:.0} mmHg, SaO2 {:.0} %, lactate {:.1} mmol/L ({drawn})",
                    ph,
                    po2.max(0.0),
                    pco2.max(0.0),
                    so2 * 100.0,
                    lactate.max(0.0)
                )
            }
        }
    }
}

fn finite(x: f64, or: f64) -> f64 {
    if x.is_finite() { x } else { or }
}

/// The seed of a session's analyser errors, from the scenario's name (FNV-1a).
pub fn seed_for(name: &str) -> u64 {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for b in name.bytes() {
        h ^= u64::from(b);
        h = h.wrapping_mul(0x0100_0000_01b3);
    }
    h
}

#[cfg(test)]
mod tests {
    use super::*;

    fn obs() -> Observation {
        Observation {
            act_s: 200.0,
            anti_xa_iu_ml: 0.4,
            plasma_fhb_mg_dl: 5.0,
            hb_g_dl: 10.0,
            lactate_mmol_l: 4.0,
            art_upper: physio::blood::GasState {
                po2_mmhg: 100.0,
                pco2_mmhg: 40.0,
                ph: 7.40,
                so2: 0.97,
            },
            ..Observation::default()
        }
    }

    fn number_after(s: &str, key: &str) -> f64 {
        let i = s.find(key).unwrap() + key.len();
        let rest: String = s[i..]
            .trim_start()
            .chars()
            .take_while(|c| c.is_ascii_digit() || *c == '.')
            .collect();
        rest.parse().unwrap()
    }

    /// A blood gas drawn from `obs()` and 2000 of its results, with the seed of `name`: the
    /// same blood measured again and again.
    fn blood_gases(name: &str) -> (Pending, Vec<String>) {
        let mut rng = Rng::new(seed_for(name));
        let p = Pending::draw(Test::BloodGas, 0.0, &obs());
        let results = (0..2000).map(|_| p.result(&mut rng)).collect();
        (p, results)
    }

    /// Mean and standard deviation (of the population) of `xs`.
    fn mean_sd(xs: &[f64]) -> (f64, f64) {
        let n = xs.len() as f64;
        let (s, s2) = xs.iter().fold((0.0, 0.0), |(s, s2), x| (s + x, s2 + x * x));
        (s / n, (s2 / n - (s / n).powi(2)).sqrt())
    }

    #[test]
    fn turnaround_by_test() {
        let o = obs();
        let p = Pending::draw(Test::BloodGas, 100.0, &o);
        assert_eq!(p.due_s, 280.0);
        assert!(p.sent().contains("3 min"), "{}", p.sent());
        // The ACT takes as long as the blood takes to clot.
        assert_eq!(Pending::draw(Test::Act, 0.0, &o).due_s, 260.0);
        assert_eq!(Pending::draw(Test::AntiXa, 0.0, &o).due_s, 3600.0);
        for n in ["act", "anti_xa", "pfhb", "blood_gas", "hb"] {
            assert_eq!(Test::by_name(n).unwrap().name(), n);
        }
        assert!(Test::by_name("lactate").is_none());
    }

    #[test]
    fn the_blood_gas_reports_lactate_with_its_error() {
        // Lactate 4 mmol/L: σ max(0.1, 5 %) = 0.2 mmol/L, reported to 0.1.
        let (_, results) = blood_gases("lactate");
        let lactate: Vec<f64> = results.iter().map(|r| number_after(r, "lactate")).collect();
        let (mean, sd) = mean_sd(&lactate);
        assert!((mean - 4.0).abs() < 0.02, "{mean}");
        assert!((sd - 0.2).abs() < 0.02, "{sd}");
    }

    #[test]
    fn results_carry_the_analysers_error() {
        // Over many samples of the same blood: the spread is the stated σ, the mean is true.
        let (p, results) = blood_gases("x");
        let ph: Vec<f64> = results.iter().map(|r| number_after(r, "pH")).collect();
        let pco2: Vec<f64> = results.iter().map(|r| number_after(r, "PaCO2")).collect();
        let exact = ph
            .iter()
            .zip(&pco2)
            .filter(|&(x, c)| (x - 7.40).abs() < 1e-9 && (c - 40.0).abs() < 1e-9)
            .count();
        let (ph_mean, ph_sd) = mean_sd(&ph);
        assert!((ph_mean - 7.40).abs() < 0.003);
        // σ 0.02, reported to 0.01 (quantisation adds 0.01²/12).
        assert!((ph_sd - 0.0202).abs() < 0.002, "{ph_sd}");
        // PCO2 40: σ max(2.5, 1.6) = 2.5 mmHg, reported to 1 mmHg.
        let (pco2_mean, pco2_sd) = mean_sd(&pco2);
        assert!((pco2_mean - 40.0).abs() < 0.2);
        assert!((pco2_sd - 2.52).abs() < 0.2, "{pco2_sd}");
        // Both rounded to the true value: about 0.2 × 0.16 of results by chance, not all.
        assert!(exact < 150, "{exact} exact results");
        // Same seed, same results; the sample is what was drawn, not what came later.
        let mut a = Rng::new(7);
        let mut b = Rng::new(7);
        assert_eq!(p.result(&mut a), p.result(&mut b));
        assert!(p.result(&mut a).contains("drawn at 0 s"));
    }
}
