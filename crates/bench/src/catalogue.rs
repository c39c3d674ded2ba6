//! The device catalogue: pumps, oxygenators, cannulae and coatings as TOML files, one per design.
//!
//! Every number in a file carries its source, either per value
//! (`priming_ml = { value = 32.0, source = "maker's specification" }`) or per table (a `source`
//! key in the table covers every plain number in it). A file without a source for some number is
//! refused: the point of the catalogue is that a reader can check each figure.
//!
//! The built-in designs live in `catalogue/` at the repository root and are compiled into the
//! binary (so `ecmo bench` works from any directory); their tests show that they build exactly
//! the models of `physio`'s own constructors. A user adds a design by writing one more file and
//! passing its directory with `--catalogue DIR`.
//!
//! Files are read by serde derive through the `input` crate, like experiment and scenario files:
//! unknown keys (typos) are refused by name, and every error names the file, the line, the
//! field (as `table.key`) and the allowed range.
use std::collections::BTreeMap;
use std::fmt;
use std::path::{Path, PathBuf};

use input::Error;
use input::de::{Finite, Key, Number, Range, at_key};
use input::toml::Spanned;
use physio::cannula::{Cannula, CannulaRole, DualLumenCannula};
use physio::coagulation::Coating;
use physio::hemolysis::{CalibrationPoint, HemolysisModel, PowerLaw};
use physio::oxygenator::OxygenatorModel;
use physio::pump::PumpModel;
use serde::Deserialize;
use serde::de::{self, Deserializer, MapAccess, Visitor};

/// A problem with one catalogue file: the one error of everything read, naming the file (as
/// given, or `catalogue/… (built in)`), the line and the field.
pub type CatalogueError = input::Error;

/// What every design has: its name, a title, where it came from, and the source of each number.
#[derive(Clone, Debug, PartialEq)]
pub struct Meta {
    pub name: String,
    pub title: String,
    pub file: String,
    /// (field, source) for every number used.
    pub sources: Vec<(String, String)>,
}

#[derive(Clone, Debug, PartialEq)]
pub struct PumpDesign {
    pub meta: Meta,
    pub model: PumpModel,
    pub hemolysis: HemolysisModel,
    /// Published head points [rpm, L/min, mmHg] and the tolerance the model must meet, mmHg.
    pub published_head: Vec<[f64; 3]>,
    pub head_tolerance_mmhg: f64,
}

#[derive(Clone, Debug, PartialEq)]
pub struct OxygenatorDesign {
    pub meta: Meta,
    pub model: OxygenatorModel,
    /// Published pressure drops [L/min, mmHg] and tolerance, mmHg.
    pub published_dp: Vec<[f64; 2]>,
    pub dp_tolerance_mmhg: f64,
    /// Published ISO 7199 rated flow and tolerance, L/min.
    pub published_rated_flow: Option<(f64, f64)>,
    /// A floor on the ISO 7199 rated flow, L/min: the labelled maximum blood flow (a maker
    /// labels no flow its membrane cannot oxygenate to 95 %).
    pub rated_flow_min_lpm: Option<f64>,
    /// Published CO2 removal [blood L/min, sweep L/min, inlet Hb g/dL, inlet PCO2 mmHg,
    /// CO2 mL/min] at inlet SO2 70 %, FdO2 1.0, and its tolerance, mL/min.
    pub published_co2: Vec<[f64; 5]>,
    pub co2_tolerance_ml_min: f64,
}

#[derive(Clone, Copy, Debug, PartialEq)]
pub enum CannulaModel {
    Single(Cannula),
    DualLumen(DualLumenCannula),
}

impl CannulaModel {
    /// Pressure drop of the return path (the infusion lumen of a dual-lumen cannula), mmHg.
    pub fn return_drop_mmhg(&self, q_lpm: f64) -> f64 {
        match self {
            CannulaModel::Single(c) => c.pressure_drop_mmhg(q_lpm),
            CannulaModel::DualLumen(d) => d.infusion_drop_mmhg(q_lpm),
        }
    }

    /// Pressure drop of the drainage path, mmHg.
    pub fn drainage_drop_mmhg(&self, q_lpm: f64) -> f64 {
        match self {
            CannulaModel::Single(c) => c.pressure_drop_mmhg(q_lpm),
            CannulaModel::DualLumen(d) => d.drainage_drop_mmhg(q_lpm),
        }
    }

    /// The pressure drop the cannula is known by: its own for single-lumen, the infusion lumen's
    /// for dual-lumen.
    pub fn drop_mmhg(&self, q_lpm: f64) -> f64 {
        self.return_drop_mmhg(q_lpm)
    }

    pub fn role_name(&self) -> &'static str {
        match self {
            CannulaModel::Single(c) => match c.role {
                CannulaRole::Drainage => "drainage",
                CannulaRole::Return => "return",
            },
            CannulaModel::DualLumen(_) => "dual-lumen",
        }
    }
}

#[derive(Clone, Debug, PartialEq)]
pub struct CannulaDesign {
    pub meta: Meta,
    pub model: CannulaModel,
    /// Published ΔP [L/min, mmHg] (the infusion lumen for dual-lumen) and of the drainage lumen.
    pub published_dp: Vec<[f64; 2]>,
    pub published_drainage_dp: Vec<[f64; 2]>,
    pub dp_tolerance_mmhg: f64,
}

#[derive(Clone, Debug, PartialEq)]
pub struct CoatingDesign {
    pub meta: Meta,
    /// Relative thrombus growth rate (uncoated = 1).
    pub thrombogenicity: f64,
}

impl CoatingDesign {
    /// The physio coating with this factor, when there is one (for reporting only: the bench
    /// applies any factor, see [`crate::durability`]).
    pub fn builtin(&self) -> Option<Coating> {
        [
            Coating::Uncoated,
            Coating::HeparinBonded,
            Coating::LongActing,
        ]
        .into_iter()
        .find(|c| c.factor() == self.thrombogenicity)
    }
}

#[derive(Clone, Debug, PartialEq)]
pub enum Design {
    Pump(PumpDesign),
    Oxygenator(OxygenatorDesign),
    Cannula(CannulaDesign),
    Coating(CoatingDesign),
}

impl Design {
    pub fn meta(&self) -> &Meta {
        match self {
            Design::Pump(d) => &d.meta,
            Design::Oxygenator(d) => &d.meta,
            Design::Cannula(d) => &d.meta,
            Design::Coating(d) => &d.meta,
        }
    }

    /// The kind with its indefinite article ("a pump", "an oxygenator"), for messages.
    pub fn a_kind(&self) -> &'static str {
        match self {
            Design::Pump(_) => "a pump",
            Design::Oxygenator(_) => "an oxygenator",
            Design::Cannula(_) => "a cannula",
            Design::Coating(_) => "a coating",
        }
    }

    pub fn kind(&self) -> &'static str {
        match self {
            Design::Pump(_) => "pump",
            Design::Oxygenator(_) => "oxygenator",
            Design::Cannula(_) => "cannula",
            Design::Coating(_) => "coating",
        }
    }
}

macro_rules! builtin {
    ($p:literal) => {
        (
            concat!("catalogue/", $p, " (built in)"),
            include_str!(concat!("../../../catalogue/", $p)),
        )
    };
}

/// The built-in catalogue files, compiled in: (path shown in messages, contents).
pub const BUILTIN_FILES: &[(&str, &str)] = &[
    builtin!("pumps/rotaflow.toml"),
    builtin!("pumps/dp3.toml"),
    builtin!("oxygenators/quadrox-adult.toml"),
    builtin!("oxygenators/quadrox-small-adult.toml"),
    builtin!("oxygenators/nautilus.toml"),
    builtin!("oxygenators/ecco2r-0.4.toml"),
    builtin!("oxygenators/ecco2r-0.8.toml"),
    builtin!("oxygenators/quadrox-paediatric.toml"),
    builtin!("oxygenators/quadrox-neonatal.toml"),
    builtin!("cannulae/drainage-10fr.toml"),
    builtin!("cannulae/drainage-12fr.toml"),
    builtin!("cannulae/drainage-14fr.toml"),
    builtin!("cannulae/drainage-21fr.toml"),
    builtin!("cannulae/drainage-23fr.toml"),
    builtin!("cannulae/drainage-25fr.toml"),
    builtin!("cannulae/drainage-27fr.toml"),
    builtin!("cannulae/return-8fr.toml"),
    builtin!("cannulae/return-10fr.toml"),
    builtin!("cannulae/return-12fr.toml"),
    builtin!("cannulae/return-14fr.toml"),
    builtin!("cannulae/return-15fr.toml"),
    builtin!("cannulae/return-17fr.toml"),
    builtin!("cannulae/return-19fr.toml"),
    builtin!("cannulae/return-21fr.toml"),
    builtin!("cannulae/dual-lumen-27fr.toml"),
    builtin!("coatings/uncoated.toml"),
    builtin!("coatings/heparin-bonded.toml"),
    builtin!("coatings/long-acting.toml"),
];

/// All designs, by name.
#[derive(Clone, Debug, Default)]
pub struct Catalogue {
    designs: BTreeMap<String, Design>,
}

/// `Catalogue::pump(name)` and its kin: the design `name` when it is of that kind, else an error
/// saying what it is.
macro_rules! typed_lookups {
    ($($method:ident: $variant:ident($ty:ty), $kind:literal;)+) => {
        $(
            #[doc = concat!("The design `name`, which must be ", $kind, ".")]
            pub fn $method(&self, name: &str) -> Result<&$ty, String> {
                match self.find(name)? {
                    Design::$variant(d) => Ok(d),
                    d => Err(format!("`{name}` is {}, not {}", d.a_kind(), $kind)),
                }
            }
        )+
    };
}

impl Catalogue {
    /// The built-in designs only.
    pub fn builtin() -> Result<Self, CatalogueError> {
        let mut c = Catalogue::default();
        for (file, text) in BUILTIN_FILES {
            c.insert(parse_design(file, text)?)?;
        }
        Ok(c)
    }

    /// The built-ins plus every `*.toml` under each directory (recursively, in name order).
    pub fn with_dirs(dirs: &[PathBuf]) -> Result<Self, CatalogueError> {
        let mut c = Self::builtin()?;
        for dir in dirs {
            let mut files = Vec::new();
            collect_toml(dir, 0, &mut files).map_err(|e| {
                Error::new("", format!("cannot read catalogue directory: {e}"))
                    .in_file(dir.display())
            })?;
            files.sort();
            for f in files {
                let text = input::read::read_to_string(&f, input::read::CATALOGUE)?;
                c.insert(parse_design(&f.display().to_string(), &text)?)?;
            }
        }
        Ok(c)
    }

    fn insert(&mut self, d: Design) -> Result<(), CatalogueError> {
        let name = d.meta().name.clone();
        if let Some(old) = self.designs.get(&name) {
            return Err(Error::new(
                "name",
                format!(
                    "design `{name}` is already defined in {}; names must be unique",
                    old.meta().file
                ),
            )
            .in_file(&d.meta().file));
        }
        self.designs.insert(name, d);
        Ok(())
    }

    pub fn get(&self, name: &str) -> Option<&Design> {
        self.designs.get(name.trim())
    }

    /// Look a name up, with an error that lists what there is.
    pub fn find(&self, name: &str) -> Result<&Design, String> {
        self.get(name).ok_or_else(|| {
            format!(
                "no design named `{name}` in the catalogue (known: {})",
                self.designs.keys().cloned().collect::<Vec<_>>().join(", ")
            )
        })
    }

    pub fn designs(&self) -> impl Iterator<Item = &Design> {
        self.designs.values()
    }

    typed_lookups! {
        pump: Pump(PumpDesign), "a pump";
        oxygenator: Oxygenator(OxygenatorDesign), "an oxygenator";
        cannula: Cannula(CannulaDesign), "a cannula";
        coating: Coating(CoatingDesign), "a coating";
    }
}

/// How deep a catalogue directory may nest, and how many files it may hold: a link that loops
/// back, or a directory that is not a catalogue (`--catalogue /`), is refused rather than
/// walked without end.
const MAX_DEPTH: usize = 8;
const MAX_FILES: usize = 1000;

fn collect_toml(dir: &Path, depth: usize, out: &mut Vec<PathBuf>) -> std::io::Result<()> {
    let refuse = |what: String| Err(std::io::Error::other(what));
    if depth > MAX_DEPTH {
        return refuse(format!(
            "{} nests deeper than {MAX_DEPTH} directories",
            dir.display()
        ));
    }
    for entry in std::fs::read_dir(dir)? {
        let p = entry?.path();
        if p.is_dir() {
            collect_toml(&p, depth + 1, out)?;
        } else if p.extension().is_some_and(|e| e == "toml") {
            if out.len() >= MAX_FILES {
                return refuse(format!("more than {MAX_FILES} catalogue files"));
            }
            out.push(p);
        }
    }
    Ok(())
}

/// A number as catalogue files write it: plain (its table's `source` covers it) or
/// `{ value = …, source = "…" }`.
#[derive(Clone, Debug, PartialEq)]
struct Sourced {
    value: f64,
    source: Option<String>,
}

impl<'de> Deserialize<'de> for Sourced {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        d.deserialize_any(SourcedVisitor)
    }
}

struct SourcedVisitor;

impl<'de> Visitor<'de> for SourcedVisitor {
    type Value = Sourced;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "a number or {{ value = …, source = \"…\" }}")
    }

    fn visit_i64<E: de::Error>(self, v: i64) -> Result<Sourced, E> {
        self.visit_f64(v as f64)
    }

    fn visit_u64<E: de::Error>(self, v: u64) -> Result<Sourced, E> {
        self.visit_f64(v as f64)
    }

    fn visit_f64<E: de::Error>(self, v: f64) -> Result<Sourced, E> {
        Ok(Sourced {
            value: v,
            source: None,
        })
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Sourced, A::Error> {
        const KEYS: [&str; 2] = ["value", "source"];
        let (mut value, mut source) = (None, None);
        while let Some(i) = map.next_key_seed(Key(&KEYS))? {
            if i == 0 {
                value = Some(map.next_value_seed(Number(Range::ANY))?);
            } else {
                source = Some(map.next_value::<String>()?);
            }
        }
        let value = value.ok_or_else(|| at_key("value", "missing"))?;
        let source = source.ok_or_else(|| at_key("source", "missing"))?;
        if source.trim().is_empty() {
            return Err(at_key("source", "must not be empty"));
        }
        Ok(Sourced {
            value,
            source: Some(source),
        })
    }
}

type Num = Spanned<Sourced>;
/// Published points: rows of numbers, each row checked for its width and ranges.
type Points = Option<Spanned<Vec<Spanned<Vec<Spanned<Finite>>>>>>;

/// The fields every design has; `kind` decides the rest.
#[derive(Deserialize)]
struct Head {
    kind: Spanned<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct PumpFile {
    #[serde(rename = "kind")]
    _kind: String,
    name: Spanned<String>,
    title: Option<Spanned<String>>,
    head: HeadTable,
    specs: SpecsTable,
    design_point: DesignPointTable,
    hemolysis: HemolysisTable,
    published: Option<PublishedPump>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct HeadTable {
    source: Option<String>,
    a: Num,
    r1: Num,
    r2: Num,
    rrec: Num,
    kinf: Num,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct SpecsTable {
    source: Option<String>,
    priming_ml: Num,
    max_rpm: Num,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct DesignPointTable {
    source: Option<String>,
    rpm: Num,
    flow_lpm: Num,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct HemolysisTable {
    source: Option<String>,
    law: Spanned<String>,
    rpm: Num,
    flow_lpm: Num,
    hb_g_dl: Num,
    nih_g_100l: Num,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct PublishedPump {
    source: Option<String>,
    tolerance_mmhg: Num,
    #[serde(default)]
    head: Points,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct OxygenatorFile {
    #[serde(rename = "kind")]
    _kind: String,
    name: Spanned<String>,
    title: Option<Spanned<String>>,
    membrane: MembraneTable,
    pressure_drop: PressureDropTable,
    transfer: TransferTable,
    published: Option<PublishedOxygenator>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct MembraneTable {
    source: Option<String>,
    area_m2: Num,
    priming_ml: Num,
    max_flow_lpm: Num,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct PressureDropTable {
    source: Option<String>,
    resistance_mmhg_s_ml: Num,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct TransferTable {
    source: Option<String>,
    k_o2: Num,
    k_co2: Num,
    flow_exponent: Num,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct PublishedOxygenator {
    source: Option<String>,
    #[serde(default)]
    dp: Points,
    dp_tolerance_mmhg: Option<Num>,
    rated_flow_lpm: Option<Num>,
    rated_flow_tolerance_lpm: Option<Num>,
    rated_flow_min_lpm: Option<Num>,
    #[serde(default)]
    co2_removal: Points,
    co2_tolerance_ml_min: Option<Num>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct CannulaFile {
    #[serde(rename = "kind")]
    _kind: String,
    name: Spanned<String>,
    title: Option<Spanned<String>>,
    role: Spanned<String>,
    size_fr: Num,
    infusion: Option<Spanned<LumenTable>>,
    drainage: Option<Spanned<LumenTable>>,
    published: Option<PublishedCannula>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct LumenTable {
    source: Option<String>,
    a: Num,
    b: Num,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct PublishedCannula {
    source: Option<String>,
    #[serde(default)]
    dp: Points,
    #[serde(default)]
    drainage_dp: Points,
    dp_tolerance_mmhg: Num,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct CoatingFile {
    #[serde(rename = "kind")]
    _kind: String,
    name: Spanned<String>,
    title: Option<Spanned<String>>,
    thrombogenicity: Num,
}

/// The checks serde cannot make: ranges (some depend on other fields), the source of every
/// number, names; each error at the line and path of its field.
struct Check<'a> {
    text: &'a str,
    sources: Vec<(String, String)>,
}

impl Check<'_> {
    fn err(&self, span: std::ops::Range<usize>, path: &str, message: impl Into<String>) -> Error {
        input::toml::at(self.text, span, path, message)
    }

    /// A number in `range`, with its own source or its table's (`table` is the table's path,
    /// empty for the top level).
    fn num(
        &mut self,
        v: &Num,
        path: &str,
        range: Range,
        table_source: &Option<String>,
    ) -> Result<f64, Error> {
        let s = v.get_ref();
        let x = range
            .check(s.value)
            .map_err(|m| self.err(v.span(), path, m))?;
        let source = match (&s.source, table_source) {
            (Some(own), _) => own.clone(),
            (None, Some(t)) if !t.trim().is_empty() => t.clone(),
            (None, _) => {
                let (table, key) = path.rsplit_once('.').unwrap_or(("", path));
                return Err(self.err(
                    v.span(),
                    path,
                    format!(
                        "has no source: add `source = \"…\"` to {} or write {key} = {{ value = {}, source = \"…\" }}",
                        if table.is_empty() { "the file".to_string() } else { format!("[{table}]") },
                        input::num(x)
                    ),
                ));
            }
        };
        self.sources.push((path.to_string(), source));
        Ok(x)
    }

    /// The tolerance of published figures: `0 < x ≤ 1000` in their unit, sourced like [`num`].
    ///
    /// [`num`]: Check::num
    fn tolerance(
        &mut self,
        v: &Num,
        path: &str,
        table_source: &Option<String>,
    ) -> Result<f64, Error> {
        self.num(v, path, pos(1000.0), table_source)
    }

    /// Published points, each of `N` numbers in `ranges`, covered by the table's source.
    fn points<const N: usize>(
        &mut self,
        v: &Points,
        path: &str,
        ranges: [Range; N],
        table_source: &Option<String>,
    ) -> Result<Vec<[f64; N]>, Error> {
        let Some(rows) = v else {
            return Ok(Vec::new());
        };
        let mut out = Vec::with_capacity(rows.get_ref().len());
        for (i, row) in rows.get_ref().iter().enumerate() {
            let rp = format!("{path}[{i}]");
            let xs = row.get_ref();
            if xs.len() != N {
                return Err(self.err(
                    row.span(),
                    &rp,
                    format!("must hold {N} numbers, found {}", xs.len()),
                ));
            }
            let mut p = [0.0; N];
            for j in 0..N {
                p[j] = ranges[j]
                    .check(xs[j].get_ref().0)
                    .map_err(|m| self.err(xs[j].span(), &format!("{rp}[{j}]"), m))?;
            }
            out.push(p);
        }
        if !out.is_empty() {
            match table_source {
                Some(s) if !s.trim().is_empty() => self.sources.push((path.to_string(), s.clone())),
                _ => {
                    return Err(self.err(
                        rows.span(),
                        path,
                        "has no source: add `source = \"…\"` to the table",
                    ));
                }
            }
        }
        Ok(out)
    }

    fn text(&self, v: &Spanned<String>, path: &str) -> Result<String, Error> {
        if v.get_ref().trim().is_empty() {
            return Err(self.err(v.span(), path, "must not be empty"));
        }
        Ok(v.get_ref().clone())
    }

    /// Name and title, and the meta of a design once its numbers are read.
    fn names(
        &self,
        name: &Spanned<String>,
        title: &Option<Spanned<String>>,
    ) -> Result<(String, String), Error> {
        let n = self.text(name, "name")?;
        if !n.chars().all(|c| {
            c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-' || c == '.' || c == '_'
        }) {
            return Err(self.err(
                name.span(),
                "name",
                format!("`{n}` may hold only lower-case letters, digits, '-', '.' and '_'"),
            ));
        }
        let t = match title {
            None => n.clone(),
            Some(t) => self.text(t, "title")?,
        };
        Ok((n, t))
    }

    fn meta(&mut self, file: &str, (name, title): (String, String)) -> Meta {
        Meta {
            name,
            title,
            file: file.to_string(),
            sources: std::mem::take(&mut self.sources),
        }
    }
}

/// `0 < x ≤ max`.
const fn pos(max: f64) -> Range {
    Range::above(0.0, max, "")
}

/// `min ≤ x ≤ max`.
const fn closed(min: f64, max: f64) -> Range {
    Range::closed(min, max, "")
}

/// Physio models name themselves with `&'static str`; catalogue names are read at run time.
/// A process loads a handful of designs once, so leaking the names costs a few bytes.
fn static_name(name: &str) -> &'static str {
    match PumpModel::NAMES
        .iter()
        .chain(OxygenatorModel::NAMES.iter())
        .find(|n| **n == name)
    {
        Some(n) => n,
        None => Box::leak(name.to_string().into_boxed_str()),
    }
}

/// Parse one catalogue file; errors name the file, the line and the field.
pub fn parse_design(file: &str, text: &str) -> Result<Design, CatalogueError> {
    let head: Head = input::toml::from_str(text).map_err(|e| e.in_file(file))?;
    let mut c = Check {
        text,
        sources: Vec::new(),
    };
    let design = match head.kind.get_ref().as_str() {
        "pump" => {
            input::toml::from_str(text).and_then(|f| parse_pump(&mut c, file, f).map(Design::Pump))
        }
        "oxygenator" => input::toml::from_str(text)
            .and_then(|f| parse_oxygenator(&mut c, file, f).map(Design::Oxygenator)),
        "cannula" => input::toml::from_str(text)
            .and_then(|f| parse_cannula(&mut c, file, f).map(Design::Cannula)),
        "coating" => input::toml::from_str(text)
            .and_then(|f| parse_coating(&mut c, file, f).map(Design::Coating)),
        other => Err(c.err(
            head.kind.span(),
            "kind",
            format!("`{other}` is not one of: pump, oxygenator, cannula, coating"),
        )),
    };
    design.map_err(|e| e.in_file(file))
}

fn parse_pump(c: &mut Check, file: &str, f: PumpFile) -> Result<PumpDesign, Error> {
    let names = c.names(&f.name, &f.title)?;
    let h = &f.head;
    let a = c.num(&h.a, "head.a", pos(1e-3), &h.source)?;
    let r1 = c.num(&h.r1, "head.r1", closed(-1.0, 1.0), &h.source)?;
    let r2 = c.num(&h.r2, "head.r2", pos(100.0), &h.source)?;
    let rrec = c.num(&h.rrec, "head.rrec", pos(100.0), &h.source)?;
    let kinf = c.num(&h.kinf, "head.kinf", closed(0.0, 0.1), &h.source)?;
    let s = &f.specs;
    let priming = c.num(&s.priming_ml, "specs.priming_ml", pos(500.0), &s.source)?;
    let max_rpm = c.num(&s.max_rpm, "specs.max_rpm", pos(50_000.0), &s.source)?;
    let dp = &f.design_point;
    let d_rpm = c.num(&dp.rpm, "design_point.rpm", pos(max_rpm), &dp.source)?;
    let d_q = c.num(&dp.flow_lpm, "design_point.flow_lpm", pos(10.0), &dp.source)?;
    let model = PumpModel::custom(
        static_name(&names.0),
        a,
        r1,
        r2,
        rrec,
        kinf,
        priming,
        max_rpm,
        d_rpm,
        d_q,
    )
    .map_err(|e| c.err(h.a.span(), "head", e.0))?;
    let hem = &f.hemolysis;
    let law = match hem.law.get_ref().as_str() {
        "zhang" => PowerLaw::ZHANG,
        "giersiepen" => PowerLaw::GIERSIEPEN,
        "song" => PowerLaw::SONG,
        other => {
            return Err(c.err(
                hem.law.span(),
                "hemolysis.law",
                format!("`{other}` is not one of: zhang, giersiepen, song"),
            ));
        }
    };
    let cal = CalibrationPoint {
        rpm: c.num(&hem.rpm, "hemolysis.rpm", pos(max_rpm), &hem.source)?,
        q_lpm: c.num(&hem.flow_lpm, "hemolysis.flow_lpm", pos(10.0), &hem.source)?,
        hb_g_dl: c.num(
            &hem.hb_g_dl,
            "hemolysis.hb_g_dl",
            closed(1.0, 20.0),
            &hem.source,
        )?,
        nih_g_100l: c.num(
            &hem.nih_g_100l,
            "hemolysis.nih_g_100l",
            pos(10.0),
            &hem.source,
        )?,
    };
    let hemolysis = HemolysisModel::calibrated(&model, law, cal);
    let (mut published_head, mut tol) = (Vec::new(), 1.0);
    if let Some(p) = &f.published {
        let ranges = [
            closed(0.0, max_rpm),
            closed(0.0, 20.0),
            closed(-2000.0, 2000.0),
        ];
        published_head = c.points(&p.head, "published.head", ranges, &p.source)?;
        tol = c.tolerance(&p.tolerance_mmhg, "published.tolerance_mmhg", &p.source)?;
    }
    Ok(PumpDesign {
        meta: c.meta(file, names),
        model,
        hemolysis,
        published_head,
        head_tolerance_mmhg: tol,
    })
}

fn parse_oxygenator(
    c: &mut Check,
    file: &str,
    f: OxygenatorFile,
) -> Result<OxygenatorDesign, Error> {
    let names = c.names(&f.name, &f.title)?;
    let m = &f.membrane;
    let area = c.num(&m.area_m2, "membrane.area_m2", pos(5.0), &m.source)?;
    let priming = c.num(&m.priming_ml, "membrane.priming_ml", pos(1000.0), &m.source)?;
    let max_flow = c.num(
        &m.max_flow_lpm,
        "membrane.max_flow_lpm",
        pos(10.0),
        &m.source,
    )?;
    let p = &f.pressure_drop;
    let res = c.num(
        &p.resistance_mmhg_s_ml,
        "pressure_drop.resistance_mmhg_s_ml",
        pos(20.0),
        &p.source,
    )?;
    let t = &f.transfer;
    let k_o2 = c.num(&t.k_o2, "transfer.k_o2", pos(10.0), &t.source)?;
    let k_co2 = c.num(&t.k_co2, "transfer.k_co2", pos(100.0), &t.source)?;
    let m_exp = c.num(
        &t.flow_exponent,
        "transfer.flow_exponent",
        closed(0.0, 2.0),
        &t.source,
    )?;
    let model = OxygenatorModel {
        name: static_name(&names.0),
        area_m2: area,
        priming_ml: priming,
        resistance_mmhg_s_ml: res,
        k_o2,
        k_co2,
        flow_exponent: m_exp,
        max_flow_lpm: max_flow,
    };
    let (mut dp, mut dp_tol, mut rated) = (Vec::new(), 1.0, None);
    let (mut rated_min, mut co2, mut co2_tol) = (None, Vec::new(), 1.0);
    if let Some(p) = &f.published {
        let src = &p.source;
        dp = c.points(
            &p.dp,
            "published.dp",
            [closed(0.0, 20.0), closed(0.0, 2000.0)],
            src,
        )?;
        // A tolerance is required once there are points to compare.
        // A tolerance is required once there is a figure to compare.
        let needed = |v: &Option<Num>, path: &str, has: bool| match v {
            None if has => Err(Error::new(path, "missing; required with published figures")),
            v => Ok(v.clone()),
        };
        let path = "published.dp_tolerance_mmhg";
        if let Some(n) = needed(&p.dp_tolerance_mmhg, path, !dp.is_empty())? {
            dp_tol = c.tolerance(&n, path, src)?;
        }
        if let Some(q) = &p.rated_flow_lpm {
            let q = c.num(q, "published.rated_flow_lpm", pos(20.0), src)?;
            let path = "published.rated_flow_tolerance_lpm";
            if let Some(t) = needed(&p.rated_flow_tolerance_lpm, path, true)? {
                rated = Some((q, c.num(&t, path, pos(20.0), src)?));
            }
        }
        if let Some(q) = &p.rated_flow_min_lpm {
            rated_min = Some(c.num(q, "published.rated_flow_min_lpm", pos(20.0), src)?);
        }
        let ranges = [
            pos(20.0),
            pos(50.0),
            closed(3.0, 20.0),
            closed(10.0, 150.0),
            closed(0.0, 2000.0),
        ];
        co2 = c.points(&p.co2_removal, "published.co2_removal", ranges, src)?;
        let path = "published.co2_tolerance_ml_min";
        if let Some(n) = needed(&p.co2_tolerance_ml_min, path, !co2.is_empty())? {
            co2_tol = c.tolerance(&n, path, src)?;
        }
    }
    Ok(OxygenatorDesign {
        meta: c.meta(file, names),
        model,
        published_dp: dp,
        dp_tolerance_mmhg: dp_tol,
        published_rated_flow: rated,
        rated_flow_min_lpm: rated_min,
        published_co2: co2,
        co2_tolerance_ml_min: co2_tol,
    })
}

fn parse_cannula(c: &mut Check, file: &str, f: CannulaFile) -> Result<CannulaDesign, Error> {
    let names = c.names(&f.name, &f.title)?;
    let none = None;
    let model = match f.role.get_ref().as_str() {
        role @ ("drainage" | "return") => {
            let role_e = if role == "drainage" {
                CannulaRole::Drainage
            } else {
                CannulaRole::Return
            };
            let (min, max) = Cannula::valid_range(role_e);
            let size = c.num(&f.size_fr, "size_fr", closed(min, max), &none)?;
            for (k, lumen) in [("infusion", &f.infusion), ("drainage", &f.drainage)] {
                if let Some(l) = lumen {
                    return Err(c.err(
                        l.span(),
                        k,
                        "only a dual-lumen cannula has per-lumen fits; a single-lumen cannula uses the ECLIPSE fit of its role",
                    ));
                }
            }
            CannulaModel::Single(
                Cannula::new(role_e, size)
                    .map_err(|e| c.err(f.size_fr.span(), "size_fr", e.to_string()))?,
            )
        }
        "dual-lumen" => {
            let size = c.num(&f.size_fr, "size_fr", closed(10.0, 40.0), &none)?;
            let mut lumen =
                |key: &str, l: &Option<Spanned<LumenTable>>| -> Result<(f64, f64), Error> {
                    let l = l
                        .as_ref()
                        .ok_or_else(|| Error::new(key, format!("missing table [{key}]")))?;
                    let t = l.get_ref();
                    Ok((
                        c.num(&t.a, &format!("{key}.a"), closed(0.0, 200.0), &t.source)?,
                        c.num(&t.b, &format!("{key}.b"), closed(0.0, 200.0), &t.source)?,
                    ))
                };
            let infusion = lumen("infusion", &f.infusion)?;
            let drainage = lumen("drainage", &f.drainage)?;
            CannulaModel::DualLumen(DualLumenCannula {
                size_fr: size,
                infusion,
                drainage,
            })
        }
        other => {
            return Err(c.err(
                f.role.span(),
                "role",
                format!("`{other}` is not one of: drainage, return, dual-lumen"),
            ));
        }
    };
    let (mut dp, mut ddp, mut tol) = (Vec::new(), Vec::new(), 2.0);
    if let Some(p) = &f.published {
        let rr = [closed(0.0, 20.0), closed(0.0, 2000.0)];
        dp = c.points(&p.dp, "published.dp", rr, &p.source)?;
        ddp = c.points(&p.drainage_dp, "published.drainage_dp", rr, &p.source)?;
        tol = c.tolerance(
            &p.dp_tolerance_mmhg,
            "published.dp_tolerance_mmhg",
            &p.source,
        )?;
    }
    Ok(CannulaDesign {
        meta: c.meta(file, names),
        model,
        published_dp: dp,
        published_drainage_dp: ddp,
        dp_tolerance_mmhg: tol,
    })
}

fn parse_coating(c: &mut Check, file: &str, f: CoatingFile) -> Result<CoatingDesign, Error> {
    let names = c.names(&f.name, &f.title)?;
    let t = c.num(&f.thrombogenicity, "thrombogenicity", pos(10.0), &None)?;
    Ok(CoatingDesign {
        meta: c.meta(file, names),
        thrombogenicity: t,
    })
}

/// One published figure compared with the model.
#[derive(Clone, Debug, PartialEq)]
pub struct FigureCheck {
    pub design: String,
    pub what: String,
    pub published: f64,
    pub model: f64,
    pub tolerance: f64,
    /// The model need only reach the published figure (a floor), not match it.
    pub at_least: bool,
    pub source: String,
}

impl FigureCheck {
    pub fn ok(&self) -> bool {
        if self.at_least {
            self.model >= self.published - self.tolerance
        } else {
            (self.model - self.published).abs() <= self.tolerance
        }
    }
}

/// Every published figure of a design against what its model gives.
pub fn check_published(d: &Design) -> Vec<FigureCheck> {
    let meta = d.meta();
    let src = |field: &str| {
        meta.sources
            .iter()
            .find(|(f, _)| f == field)
            .map(|(_, s)| s.clone())
            .unwrap_or_default()
    };
    let mut out = Vec::new();
    // The figures of one published field, (what, published, model), against one tolerance.
    let mut field = |field: &str, tolerance: f64, at_least: bool, rows: Vec<(String, f64, f64)>| {
        let source = src(field);
        out.extend(
            rows.into_iter()
                .map(|(what, published, model)| FigureCheck {
                    design: meta.name.clone(),
                    what,
                    published,
                    model,
                    tolerance,
                    at_least,
                    source: source.clone(),
                }),
        )
    };
    // (flow, ΔP) pairs against the model's drop at each flow.
    let dp = |lumen: &str, rows: &[[f64; 2]], drop: &dyn Fn(f64) -> f64| {
        rows.iter()
            .map(|[q, dp]| (format!("{lumen}ΔP at {q} L/min (mmHg)"), *dp, drop(*q)))
            .collect()
    };
    match d {
        Design::Pump(p) => {
            let head = p.published_head.iter().map(|[n, q, h]| {
                let what = format!("head at {n} rpm, {q} L/min (mmHg)");
                (what, *h, p.model.head_mmhg(*n, *q))
            });
            field(
                "published.head",
                p.head_tolerance_mmhg,
                false,
                head.collect(),
            );
        }
        Design::Oxygenator(o) => {
            let drop = |q| o.model.pressure_drop_mmhg(q, 0.0);
            field(
                "published.dp",
                o.dp_tolerance_mmhg,
                false,
                dp("", &o.published_dp, &drop),
            );
            let rated = || o.model.rated_flow_lpm(0.0);
            if let Some((q, tol)) = o.published_rated_flow {
                let what = "ISO 7199 rated flow (L/min)".to_string();
                field(
                    "published.rated_flow_lpm",
                    tol,
                    false,
                    vec![(what, q, rated())],
                );
            }
            if let Some(q) = o.rated_flow_min_lpm {
                let what = "ISO 7199 rated flow at least the labelled maximum (L/min)".to_string();
                field(
                    "published.rated_flow_min_lpm",
                    0.0,
                    true,
                    vec![(what, q, rated())],
                );
            }
            let co2 = o.published_co2.iter().map(|[q, sweep, hb, pco2, co2]| {
                let (inlet, chem) = crate::oxytest::venous_inlet(*hb, 0.70, *pco2);
                let sweep_gas = physio::oxygenator::Sweep::new(*sweep, 1.0);
                let t = o.model.transfer(*q, inlet, &chem, sweep_gas, 0.0);
                let what = format!(
                    "CO2 removal at {q} L/min blood, {sweep} L/min sweep, PCO2 {pco2} (mL/min)"
                );
                (what, *co2, t.co2_ml_min)
            });
            field(
                "published.co2_removal",
                o.co2_tolerance_ml_min,
                false,
                co2.collect(),
            );
        }
        Design::Cannula(c) => {
            let tol = c.dp_tolerance_mmhg;
            let drop = |q| c.model.drop_mmhg(q);
            field("published.dp", tol, false, dp("", &c.published_dp, &drop));
            let drainage = |q| c.model.drainage_drop_mmhg(q);
            let rows = dp("drainage lumen ", &c.published_drainage_dp, &drainage);
            field("published.drainage_dp", tol, false, rows);
        }
        Design::Coating(_) => {}
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn close(a: f64, b: f64) -> bool {
        (a - b).abs() <= 1e-12 * a.abs().max(b.abs()).max(1.0)
    }

    #[test]
    fn builtins_reproduce_physio_pumps() {
        let c = Catalogue::builtin().unwrap();
        for p in [PumpModel::rotaflow(), PumpModel::dp3()] {
            let d = c.pump(p.name).unwrap();
            assert_eq!(d.model, p, "{}", p.name);
            assert_eq!(d.hemolysis, HemolysisModel::for_pump(&p), "{}", p.name);
        }
    }

    #[test]
    fn builtins_reproduce_physio_oxygenators() {
        let c = Catalogue::builtin().unwrap();
        for name in OxygenatorModel::NAMES {
            let want = OxygenatorModel::by_name(name).unwrap();
            let got = c.oxygenator(name).unwrap().model;
            assert_eq!(got.name, want.name);
            for (a, b) in [
                (got.area_m2, want.area_m2),
                (got.priming_ml, want.priming_ml),
                (got.resistance_mmhg_s_ml, want.resistance_mmhg_s_ml),
                (got.k_o2, want.k_o2),
                (got.k_co2, want.k_co2),
                (got.flow_exponent, want.flow_exponent),
                (got.max_flow_lpm, want.max_flow_lpm),
            ] {
                assert!(close(a, b), "{name}: {a} vs {b}");
            }
        }
    }

    #[test]
    fn builtins_reproduce_physio_cannulae_and_coatings() {
        let c = Catalogue::builtin().unwrap();
        assert_eq!(
            c.cannula("dual-lumen-27fr").unwrap().model,
            CannulaModel::DualLumen(DualLumenCannula::bicaval_27fr())
        );
        assert_eq!(
            c.cannula("return-17fr").unwrap().model,
            CannulaModel::Single(Cannula::new(CannulaRole::Return, 17.0).unwrap())
        );
        for (name, role, fr) in [
            ("return-8fr", CannulaRole::Return, 8.0),
            ("return-14fr", CannulaRole::Return, 14.0),
            ("drainage-12fr", CannulaRole::Drainage, 12.0),
        ] {
            assert_eq!(
                c.cannula(name).unwrap().model,
                CannulaModel::Single(Cannula::new(role, fr).unwrap())
            );
        }
        for (n, coat) in [
            ("uncoated", Coating::Uncoated),
            ("heparin-bonded", Coating::HeparinBonded),
            ("long-acting", Coating::LongActing),
        ] {
            let d = c.coating(n).unwrap();
            assert_eq!(d.thrombogenicity, coat.factor());
            assert_eq!(d.builtin(), Some(coat));
        }
    }

    /// The catalogue's built-ins reproduce their sources' figures (head table, ΔP fits, rated
    /// flow) within the tolerance each file states.
    #[test]
    fn builtins_reproduce_published_figures() {
        let c = Catalogue::builtin().unwrap();
        let mut n = 0;
        for d in c.designs() {
            for f in check_published(d) {
                assert!(f.ok(), "{f:?}");
                assert!(!f.source.is_empty(), "{f:?}");
                n += 1;
            }
        }
        // 20 head points; oxygenators 3 ΔP, 4 rated-flow floors, 2 CO2 removals; 16 + 2 cannula
        // ΔP and 3 of the paediatric cannulae (Wang 2015).
        assert_eq!(n, 20 + 3 + 4 + 2 + 18 + 3);
    }

    #[test]
    fn every_number_has_a_source() {
        let c = Catalogue::builtin().unwrap();
        for d in c.designs() {
            let m = d.meta();
            assert!(!m.sources.is_empty(), "{}", m.name);
            assert!(m.sources.iter().all(|(_, s)| !s.trim().is_empty()));
        }
        let p = c.pump("rotaflow").unwrap();
        let fields: Vec<_> = p.meta.sources.iter().map(|(f, _)| f.as_str()).collect();
        for f in [
            "head.a",
            "specs.priming_ml",
            "design_point.rpm",
            "hemolysis.nih_g_100l",
        ] {
            assert!(fields.contains(&f), "{f} in {fields:?}");
        }
    }

    fn err_of(text: &str) -> CatalogueError {
        parse_design("user/x.toml", text).unwrap_err()
    }

    const COATING: &str = "kind = \"coating\"\nname = \"x\"\n";

    #[test]
    fn bad_files_name_the_field_and_range() {
        let e = err_of(&format!(
            "{COATING}thrombogenicity = {{ value = -1.0, source = \"s\" }}"
        ));
        assert_eq!(e.path, "thrombogenicity");
        let msg = e.to_string();
        assert!(msg.starts_with("user/x.toml:3: `thrombogenicity`"), "{msg}");
        assert!(msg.contains(">0..=10"), "{msg}");

        let e = err_of(&format!("{COATING}thrombogenicity = 0.5"));
        assert!(e.to_string().contains("has no source"), "{e}");

        let e = err_of(&format!("{COATING}thrombogenicity = \"low\""));
        assert!(e.to_string().contains("expected a number"), "{e}");

        let e = err_of(&format!(
            "{COATING}thrombogenicity = {{ value = 0.5, source = \"s\" }}\ncolour = 1"
        ));
        assert_eq!(e.path, "colour");

        let e = err_of("kind = \"valve\"\nname = \"x\"");
        assert_eq!(e.path, "kind");

        let e = err_of("kind = \"pump\"\nname = \"x\"");
        assert_eq!(e.path, "head");

        let e = err_of("kind = [");
        assert!(e.to_string().contains("not valid TOML"), "{e}");

        // A pump whose head rises with flow: the physio check, reported against [head].
        let rot = BUILTIN_FILES[0].1.replace("r1 = -7.545e-3", "r1 = -0.02");
        let e = err_of(&rot);
        assert_eq!(e.path, "head");
        assert!(e.message.contains("rise with flow"), "{e}");

        // A design point beyond the drive's maximum speed.
        let rot = BUILTIN_FILES[0].1.replace(
            "rpm = 3000.0\nflow_lpm = 5.0",
            "rpm = 9000.0\nflow_lpm = 5.0",
        );
        let e = err_of(&rot);
        assert_eq!(e.path, "design_point.rpm");
        assert!(e.message.contains(">0..=5000"), "{e}");

        // Cannula sizes outside the fit.
        let e = err_of(
            "kind = \"cannula\"\nname = \"r\"\nrole = \"return\"\nsize_fr = { value = 25.0, source = \"s\" }",
        );
        assert_eq!(e.path, "size_fr");
        assert!(e.message.contains("8..=23"), "{e}");

        // A published table with a malformed row.
        let rot = BUILTIN_FILES[0]
            .1
            .replace("[2000.0, 0.0, 120.0]", "[2000.0, 0.0]");
        let e = err_of(&rot);
        assert_eq!(e.path, "published.head[0]");
    }

    #[test]
    fn user_directory_adds_designs_and_refuses_duplicates() {
        let dir = std::env::temp_dir().join(format!("bench-cat-{}", std::process::id()));
        std::fs::create_dir_all(dir.join("sub")).unwrap();
        std::fs::write(
            dir.join("sub/slow.toml"),
            format!("{COATING}thrombogenicity = {{ value = 0.1, source = \"my lab, 2026\" }}"),
        )
        .unwrap();
        let c = Catalogue::with_dirs(std::slice::from_ref(&dir)).unwrap();
        assert_eq!(c.coating("x").unwrap().thrombogenicity, 0.1);
        std::fs::write(
            dir.join("dup.toml"),
            "kind = \"coating\"\nname = \"uncoated\"\nthrombogenicity = { value = 1.0, source = \"s\" }",
        )
        .unwrap();
        let e = Catalogue::with_dirs(std::slice::from_ref(&dir)).unwrap_err();
        assert_eq!(e.path, "name");
        assert!(e.message.contains("already defined"), "{e}");
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
