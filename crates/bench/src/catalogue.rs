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
//! Files are read with `toml`'s untyped [`toml::Table`] rather than derived structs so that every
//! error names the file, the field (as `table.key`) and the allowed range, and so that unknown
//! keys (typos) are refused by name.
use std::collections::BTreeMap;
use std::fmt;
use std::path::{Path, PathBuf};

use physio::cannula::{Cannula, CannulaRole, DualLumenCannula};
use physio::coagulation::Coating;
use physio::hemolysis::{CalibrationPoint, HemolysisModel, PowerLaw};
use physio::oxygenator::OxygenatorModel;
use physio::pump::PumpModel;
use toml::{Table, Value};

/// A problem with one catalogue file.
#[derive(Clone, Debug, PartialEq)]
pub struct CatalogueError {
    /// The file, as given or as `catalogue/… (built in)`.
    pub file: String,
    /// The field, `table.key`, when the problem is in one field.
    pub field: Option<String>,
    pub message: String,
}

impl fmt::Display for CatalogueError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.field {
            Some(field) => write!(f, "{}: field `{}`: {}", self.file, field, self.message),
            None => write!(f, "{}: {}", self.file, self.message),
        }
    }
}

impl std::error::Error for CatalogueError {}

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
    builtin!("cannulae/drainage-21fr.toml"),
    builtin!("cannulae/drainage-23fr.toml"),
    builtin!("cannulae/drainage-25fr.toml"),
    builtin!("cannulae/drainage-27fr.toml"),
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
            collect_toml(dir, &mut files).map_err(|e| CatalogueError {
                file: dir.display().to_string(),
                field: None,
                message: format!("cannot read catalogue directory: {e}"),
            })?;
            files.sort();
            for f in files {
                let text = std::fs::read_to_string(&f).map_err(|e| CatalogueError {
                    file: f.display().to_string(),
                    field: None,
                    message: format!("cannot read: {e}"),
                })?;
                c.insert(parse_design(&f.display().to_string(), &text)?)?;
            }
        }
        Ok(c)
    }

    fn insert(&mut self, d: Design) -> Result<(), CatalogueError> {
        let name = d.meta().name.clone();
        if let Some(old) = self.designs.get(&name) {
            return Err(CatalogueError {
                file: d.meta().file.clone(),
                field: Some("name".into()),
                message: format!(
                    "design `{name}` is already defined in {}; names must be unique",
                    old.meta().file
                ),
            });
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

    pub fn pump(&self, name: &str) -> Result<&PumpDesign, String> {
        match self.find(name)? {
            Design::Pump(p) => Ok(p),
            d => Err(format!("`{name}` is {}, not a pump", d.a_kind())),
        }
    }

    pub fn oxygenator(&self, name: &str) -> Result<&OxygenatorDesign, String> {
        match self.find(name)? {
            Design::Oxygenator(p) => Ok(p),
            d => Err(format!("`{name}` is {}, not an oxygenator", d.a_kind())),
        }
    }

    pub fn cannula(&self, name: &str) -> Result<&CannulaDesign, String> {
        match self.find(name)? {
            Design::Cannula(p) => Ok(p),
            d => Err(format!("`{name}` is {}, not a cannula", d.a_kind())),
        }
    }

    pub fn coating(&self, name: &str) -> Result<&CoatingDesign, String> {
        match self.find(name)? {
            Design::Coating(p) => Ok(p),
            d => Err(format!("`{name}` is {}, not a coating", d.a_kind())),
        }
    }
}

fn collect_toml(dir: &Path, out: &mut Vec<PathBuf>) -> std::io::Result<()> {
    for entry in std::fs::read_dir(dir)? {
        let p = entry?.path();
        if p.is_dir() {
            collect_toml(&p, out)?;
        } else if p.extension().is_some_and(|e| e == "toml") {
            out.push(p);
        }
    }
    Ok(())
}

/// An allowed interval for a number; open or closed at each end.
#[derive(Clone, Copy, Debug)]
pub struct Range {
    pub min: f64,
    pub min_open: bool,
    pub max: f64,
    pub max_open: bool,
}

impl Range {
    /// min < x ≤ max
    const fn pos(max: f64) -> Self {
        Range {
            min: 0.0,
            min_open: true,
            max,
            max_open: false,
        }
    }
    /// min ≤ x ≤ max
    const fn closed(min: f64, max: f64) -> Self {
        Range {
            min,
            min_open: false,
            max,
            max_open: false,
        }
    }
    fn contains(&self, x: f64) -> bool {
        let lo = if self.min_open {
            x > self.min
        } else {
            x >= self.min
        };
        let hi = if self.max_open {
            x < self.max
        } else {
            x <= self.max
        };
        x.is_finite() && lo && hi
    }
}

impl fmt::Display for Range {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{} {} x {} {}",
            self.min,
            if self.min_open { "<" } else { "≤" },
            if self.max_open { "<" } else { "≤" },
            self.max
        )
    }
}

/// Reads one file, tracking the source of each number.
struct Reader<'a> {
    file: &'a str,
    root: &'a Table,
    sources: Vec<(String, String)>,
}

impl<'a> Reader<'a> {
    fn err(&self, field: &str, message: impl Into<String>) -> CatalogueError {
        CatalogueError {
            file: self.file.to_string(),
            field: Some(field.to_string()),
            message: message.into(),
        }
    }

    fn string(&self, table: &Table, prefix: &str, key: &str) -> Result<String, CatalogueError> {
        let field = join(prefix, key);
        match table.get(key) {
            Some(Value::String(s)) if !s.trim().is_empty() => Ok(s.clone()),
            Some(Value::String(_)) => Err(self.err(&field, "must not be empty")),
            Some(v) => Err(self.err(&field, format!("must be a string, found {}", v.type_str()))),
            None => Err(self.err(&field, "missing")),
        }
    }

    fn table(&self, key: &str) -> Result<&'a Table, CatalogueError> {
        match self.root.get(key) {
            Some(Value::Table(t)) => Ok(t),
            Some(v) => Err(self.err(key, format!("must be a table, found {}", v.type_str()))),
            None => Err(self.err(key, format!("missing table [{key}]"))),
        }
    }

    fn opt_table(&self, key: &str) -> Result<Option<&'a Table>, CatalogueError> {
        match self.root.get(key) {
            None => Ok(None),
            Some(_) => self.table(key).map(Some),
        }
    }

    /// Refuse keys not in `allowed` (typos would otherwise be silently ignored).
    fn only(&self, table: &Table, prefix: &str, allowed: &[&str]) -> Result<(), CatalogueError> {
        for k in table.keys() {
            if !allowed.contains(&k.as_str()) {
                return Err(self.err(
                    &join(prefix, k),
                    format!("unknown field; allowed here: {}", allowed.join(", ")),
                ));
            }
        }
        Ok(())
    }

    /// A number in `range`, plain (covered by the table's `source`) or `{ value, source }`.
    fn num(
        &mut self,
        table: &Table,
        prefix: &str,
        key: &str,
        range: Range,
    ) -> Result<f64, CatalogueError> {
        let field = join(prefix, key);
        let (v, source) = match table.get(key) {
            None => return Err(self.err(&field, format!("missing (allowed range {range})"))),
            Some(Value::Table(t)) => {
                self.only(t, &field, &["value", "source"])?;
                let v = match t.get("value") {
                    Some(v) => number(v).ok_or_else(|| {
                        self.err(&join(&field, "value"), "must be a number".to_string())
                    })?,
                    None => return Err(self.err(&join(&field, "value"), "missing")),
                };
                (v, Some(self.string(t, &field, "source")?))
            }
            Some(v) => (
                number(v).ok_or_else(|| {
                    self.err(
                        &field,
                        format!(
                            "must be a number or {{ value = …, source = \"…\" }}, found {}",
                            v.type_str()
                        ),
                    )
                })?,
                None,
            ),
        };
        if !range.contains(v) {
            return Err(self.err(&field, format!("{v} is outside the allowed range {range}")));
        }
        let source = match source {
            Some(s) => s,
            None => match table.get("source") {
                Some(Value::String(s)) if !s.trim().is_empty() => s.clone(),
                _ => {
                    return Err(self.err(
                        &field,
                        format!(
                            "has no source: add `source = \"…\"` to {} or write {key} = {{ value = {v}, source = \"…\" }}",
                            if prefix.is_empty() { "the file".to_string() } else { format!("[{prefix}]") }
                        ),
                    ));
                }
            },
        };
        self.sources.push((field, source));
        Ok(v)
    }

    /// A list of points, each `width` numbers, every coordinate checked against `ranges`.
    fn points<const N: usize>(
        &mut self,
        table: &Table,
        prefix: &str,
        key: &str,
        ranges: [Range; N],
    ) -> Result<Vec<[f64; N]>, CatalogueError> {
        let field = join(prefix, key);
        let Some(v) = table.get(key) else {
            return Ok(Vec::new());
        };
        let Value::Array(rows) = v else {
            return Err(self.err(&field, format!("must be an array of [{N} numbers]")));
        };
        let mut out = Vec::with_capacity(rows.len());
        for (i, row) in rows.iter().enumerate() {
            let f = format!("{field}[{i}]");
            let Value::Array(xs) = row else {
                return Err(self.err(&f, format!("must be an array of {N} numbers")));
            };
            if xs.len() != N {
                return Err(self.err(&f, format!("must hold {N} numbers, found {}", xs.len())));
            }
            let mut p = [0.0; N];
            for j in 0..N {
                let x = number(&xs[j])
                    .ok_or_else(|| self.err(&format!("{f}[{j}]"), "must be a number"))?;
                if !ranges[j].contains(x) {
                    return Err(self.err(
                        &format!("{f}[{j}]"),
                        format!("{x} is outside the allowed range {}", ranges[j]),
                    ));
                }
                p[j] = x;
            }
            out.push(p);
        }
        if !rows.is_empty() {
            let source = match table.get("source") {
                Some(Value::String(s)) => s.clone(),
                _ => {
                    return Err(
                        self.err(&field, "has no source: add `source = \"…\"` to the table")
                    );
                }
            };
            self.sources.push((field, source));
        }
        Ok(out)
    }
}

fn join(prefix: &str, key: &str) -> String {
    if prefix.is_empty() {
        key.to_string()
    } else {
        format!("{prefix}.{key}")
    }
}

fn number(v: &Value) -> Option<f64> {
    match v {
        Value::Float(f) => Some(*f),
        Value::Integer(i) => Some(*i as f64),
        _ => None,
    }
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

/// Parse one catalogue file.
pub fn parse_design(file: &str, text: &str) -> Result<Design, CatalogueError> {
    let root: Table = text.parse().map_err(|e: toml::de::Error| CatalogueError {
        file: file.to_string(),
        field: None,
        message: format!("not valid TOML: {}", e.message()),
    })?;
    let mut r = Reader {
        file,
        root: &root,
        sources: Vec::new(),
    };
    let kind = r.string(&root, "", "kind")?;
    let name = r.string(&root, "", "name")?;
    if !name
        .chars()
        .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-' || c == '.' || c == '_')
    {
        return Err(r.err(
            "name",
            format!("`{name}` may hold only lower-case letters, digits, '-', '.' and '_'"),
        ));
    }
    let title = match root.get("title") {
        None => name.clone(),
        Some(_) => r.string(&root, "", "title")?,
    };
    match kind.as_str() {
        "pump" => parse_pump(&mut r, name, title).map(Design::Pump),
        "oxygenator" => parse_oxygenator(&mut r, name, title).map(Design::Oxygenator),
        "cannula" => parse_cannula(&mut r, name, title).map(Design::Cannula),
        "coating" => parse_coating(&mut r, name, title).map(Design::Coating),
        other => Err(r.err(
            "kind",
            format!("`{other}` is not one of: pump, oxygenator, cannula, coating"),
        )),
    }
}

fn meta(r: &mut Reader, name: String, title: String) -> Meta {
    Meta {
        name,
        title,
        file: r.file.to_string(),
        sources: std::mem::take(&mut r.sources),
    }
}

fn parse_pump(r: &mut Reader, name: String, title: String) -> Result<PumpDesign, CatalogueError> {
    r.only(
        r.root,
        "",
        &[
            "kind",
            "name",
            "title",
            "head",
            "specs",
            "design_point",
            "hemolysis",
            "published",
        ],
    )?;
    let head = r.table("head")?;
    r.only(head, "head", &["source", "a", "r1", "r2", "rrec", "kinf"])?;
    let a = r.num(head, "head", "a", Range::pos(1e-3))?;
    let r1 = r.num(head, "head", "r1", Range::closed(-1.0, 1.0))?;
    let r2 = r.num(head, "head", "r2", Range::pos(100.0))?;
    let rrec = r.num(head, "head", "rrec", Range::pos(100.0))?;
    let kinf = r.num(head, "head", "kinf", Range::closed(0.0, 0.1))?;
    let specs = r.table("specs")?;
    r.only(specs, "specs", &["source", "priming_ml", "max_rpm"])?;
    let priming = r.num(specs, "specs", "priming_ml", Range::pos(500.0))?;
    let max_rpm = r.num(specs, "specs", "max_rpm", Range::pos(50_000.0))?;
    let dp = r.table("design_point")?;
    r.only(dp, "design_point", &["source", "rpm", "flow_lpm"])?;
    let d_rpm = r.num(dp, "design_point", "rpm", Range::pos(max_rpm))?;
    let d_q = r.num(dp, "design_point", "flow_lpm", Range::pos(10.0))?;
    let model = PumpModel::custom(
        static_name(&name),
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
    .map_err(|e| r.err("head", e.0))?;
    let hem = r.table("hemolysis")?;
    r.only(
        hem,
        "hemolysis",
        &["source", "law", "rpm", "flow_lpm", "hb_g_dl", "nih_g_100l"],
    )?;
    let law = match r.string(hem, "hemolysis", "law")?.as_str() {
        "zhang" => PowerLaw::ZHANG,
        "giersiepen" => PowerLaw::GIERSIEPEN,
        "song" => PowerLaw::SONG,
        other => {
            return Err(r.err(
                "hemolysis.law",
                format!("`{other}` is not one of: zhang, giersiepen, song"),
            ));
        }
    };
    let cal = CalibrationPoint {
        rpm: r.num(hem, "hemolysis", "rpm", Range::pos(max_rpm))?,
        q_lpm: r.num(hem, "hemolysis", "flow_lpm", Range::pos(10.0))?,
        hb_g_dl: r.num(hem, "hemolysis", "hb_g_dl", Range::closed(1.0, 20.0))?,
        nih_g_100l: r.num(hem, "hemolysis", "nih_g_100l", Range::pos(10.0))?,
    };
    let hemolysis = HemolysisModel::calibrated(&model, law, cal);
    let (mut published_head, mut tol) = (Vec::new(), 1.0);
    if let Some(p) = r.opt_table("published")? {
        r.only(p, "published", &["source", "tolerance_mmhg", "head"])?;
        published_head = r.points(
            p,
            "published",
            "head",
            [
                Range::closed(0.0, max_rpm),
                Range::closed(0.0, 20.0),
                Range::closed(-2000.0, 2000.0),
            ],
        )?;
        tol = r.num(p, "published", "tolerance_mmhg", Range::pos(1000.0))?;
    }
    Ok(PumpDesign {
        meta: meta(r, name, title),
        model,
        hemolysis,
        published_head,
        head_tolerance_mmhg: tol,
    })
}

fn parse_oxygenator(
    r: &mut Reader,
    name: String,
    title: String,
) -> Result<OxygenatorDesign, CatalogueError> {
    r.only(
        r.root,
        "",
        &[
            "kind",
            "name",
            "title",
            "membrane",
            "pressure_drop",
            "transfer",
            "published",
        ],
    )?;
    let m = r.table("membrane")?;
    r.only(
        m,
        "membrane",
        &["source", "area_m2", "priming_ml", "max_flow_lpm"],
    )?;
    let area = r.num(m, "membrane", "area_m2", Range::pos(5.0))?;
    let priming = r.num(m, "membrane", "priming_ml", Range::pos(1000.0))?;
    let max_flow = r.num(m, "membrane", "max_flow_lpm", Range::pos(10.0))?;
    let p = r.table("pressure_drop")?;
    r.only(p, "pressure_drop", &["source", "resistance_mmhg_s_ml"])?;
    let res = r.num(p, "pressure_drop", "resistance_mmhg_s_ml", Range::pos(20.0))?;
    let t = r.table("transfer")?;
    r.only(t, "transfer", &["source", "k_o2", "k_co2", "flow_exponent"])?;
    let k_o2 = r.num(t, "transfer", "k_o2", Range::pos(10.0))?;
    let k_co2 = r.num(t, "transfer", "k_co2", Range::pos(100.0))?;
    let m_exp = r.num(t, "transfer", "flow_exponent", Range::closed(0.0, 2.0))?;
    let model = OxygenatorModel {
        name: static_name(&name),
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
    if let Some(p) = r.opt_table("published")? {
        r.only(
            p,
            "published",
            &[
                "source",
                "dp",
                "dp_tolerance_mmhg",
                "rated_flow_lpm",
                "rated_flow_tolerance_lpm",
                "rated_flow_min_lpm",
                "co2_removal",
                "co2_tolerance_ml_min",
            ],
        )?;
        dp = r.points(
            p,
            "published",
            "dp",
            [Range::closed(0.0, 20.0), Range::closed(0.0, 2000.0)],
        )?;
        if p.contains_key("dp_tolerance_mmhg") || !dp.is_empty() {
            dp_tol = r.num(p, "published", "dp_tolerance_mmhg", Range::pos(1000.0))?;
        }
        if p.contains_key("rated_flow_lpm") {
            rated = Some((
                r.num(p, "published", "rated_flow_lpm", Range::pos(20.0))?,
                r.num(p, "published", "rated_flow_tolerance_lpm", Range::pos(20.0))?,
            ));
        }
        if p.contains_key("rated_flow_min_lpm") {
            rated_min = Some(r.num(p, "published", "rated_flow_min_lpm", Range::pos(20.0))?);
        }
        co2 = r.points(
            p,
            "published",
            "co2_removal",
            [
                Range::pos(20.0),
                Range::pos(50.0),
                Range::closed(3.0, 20.0),
                Range::closed(10.0, 150.0),
                Range::closed(0.0, 2000.0),
            ],
        )?;
        if p.contains_key("co2_tolerance_ml_min") || !co2.is_empty() {
            co2_tol = r.num(p, "published", "co2_tolerance_ml_min", Range::pos(1000.0))?;
        }
    }
    Ok(OxygenatorDesign {
        meta: meta(r, name, title),
        model,
        published_dp: dp,
        dp_tolerance_mmhg: dp_tol,
        published_rated_flow: rated,
        rated_flow_min_lpm: rated_min,
        published_co2: co2,
        co2_tolerance_ml_min: co2_tol,
    })
}

fn parse_cannula(
    r: &mut Reader,
    name: String,
    title: String,
) -> Result<CannulaDesign, CatalogueError> {
    r.only(
        r.root,
        "",
        &[
            "kind",
            "name",
            "title",
            "role",
            "size_fr",
            "infusion",
            "drainage",
            "published",
        ],
    )?;
    let role = r.string(r.root, "", "role")?;
    let model = match role.as_str() {
        "drainage" | "return" => {
            let role_e = if role == "drainage" {
                CannulaRole::Drainage
            } else {
                CannulaRole::Return
            };
            let (min, max) = Cannula::valid_range(role_e);
            let size = r.num(r.root, "", "size_fr", Range::closed(min, max))?;
            for k in ["infusion", "drainage"] {
                if r.root.contains_key(k) {
                    return Err(r.err(
                        k,
                        "only a dual-lumen cannula has per-lumen fits; a single-lumen cannula uses the ECLIPSE fit of its role",
                    ));
                }
            }
            CannulaModel::Single(
                Cannula::new(role_e, size).map_err(|e| r.err("size_fr", e.to_string()))?,
            )
        }
        "dual-lumen" => {
            let size = r.num(r.root, "", "size_fr", Range::closed(10.0, 40.0))?;
            let mut lumen = |key: &str| -> Result<(f64, f64), CatalogueError> {
                let t = r.table(key)?;
                r.only(t, key, &["source", "a", "b"])?;
                Ok((
                    r.num(t, key, "a", Range::closed(0.0, 200.0))?,
                    r.num(t, key, "b", Range::closed(0.0, 200.0))?,
                ))
            };
            let infusion = lumen("infusion")?;
            let drainage = lumen("drainage")?;
            CannulaModel::DualLumen(DualLumenCannula {
                size_fr: size,
                infusion,
                drainage,
            })
        }
        other => {
            return Err(r.err(
                "role",
                format!("`{other}` is not one of: drainage, return, dual-lumen"),
            ));
        }
    };
    let (mut dp, mut ddp, mut tol) = (Vec::new(), Vec::new(), 2.0);
    if let Some(p) = r.opt_table("published")? {
        r.only(
            p,
            "published",
            &["source", "dp", "drainage_dp", "dp_tolerance_mmhg"],
        )?;
        let rr = [Range::closed(0.0, 20.0), Range::closed(0.0, 2000.0)];
        dp = r.points(p, "published", "dp", rr)?;
        ddp = r.points(p, "published", "drainage_dp", rr)?;
        tol = r.num(p, "published", "dp_tolerance_mmhg", Range::pos(1000.0))?;
    }
    Ok(CannulaDesign {
        meta: meta(r, name, title),
        model,
        published_dp: dp,
        published_drainage_dp: ddp,
        dp_tolerance_mmhg: tol,
    })
}

fn parse_coating(
    r: &mut Reader,
    name: String,
    title: String,
) -> Result<CoatingDesign, CatalogueError> {
    r.only(r.root, "", &["kind", "name", "title", "thrombogenicity"])?;
    let f = r.num(r.root, "", "thrombogenicity", Range::pos(10.0))?;
    Ok(CoatingDesign {
        meta: meta(r, name, title),
        thrombogenicity: f,
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
    let mut push =
        |what: String, published: f64, model: f64, tolerance: f64, at_least: bool, field: &str| {
            out.push(FigureCheck {
                design: meta.name.clone(),
                what,
                published,
                model,
                tolerance,
                at_least,
                source: src(field),
            })
        };
    match d {
        Design::Pump(p) => {
            for [n, q, h] in &p.published_head {
                push(
                    format!("head at {n} rpm, {q} L/min (mmHg)"),
                    *h,
                    p.model.head_mmhg(*n, *q),
                    p.head_tolerance_mmhg,
                    false,
                    "published.head",
                );
            }
        }
        Design::Oxygenator(o) => {
            for [q, dp] in &o.published_dp {
                push(
                    format!("ΔP at {q} L/min (mmHg)"),
                    *dp,
                    o.model.pressure_drop_mmhg(*q, 0.0),
                    o.dp_tolerance_mmhg,
                    false,
                    "published.dp",
                );
            }
            if let Some((q, tol)) = o.published_rated_flow {
                push(
                    "ISO 7199 rated flow (L/min)".into(),
                    q,
                    o.model.rated_flow_lpm(0.0),
                    tol,
                    false,
                    "published.rated_flow_lpm",
                );
            }
            if let Some(q) = o.rated_flow_min_lpm {
                push(
                    "ISO 7199 rated flow at least the labelled maximum (L/min)".into(),
                    q,
                    o.model.rated_flow_lpm(0.0),
                    0.0,
                    true,
                    "published.rated_flow_min_lpm",
                );
            }
            for [q, sweep, hb, pco2, co2] in &o.published_co2 {
                let (inlet, chem) = crate::oxytest::venous_inlet(*hb, 0.70, *pco2);
                let t = o.model.transfer(
                    *q,
                    inlet,
                    &chem,
                    physio::oxygenator::Sweep {
                        flow_lpm: *sweep,
                        fdo2: 1.0,
                    },
                    0.0,
                );
                push(
                    format!(
                        "CO2 removal at {q} L/min blood, {sweep} L/min sweep, PCO2 {pco2} (mL/min)"
                    ),
                    *co2,
                    t.co2_ml_min,
                    o.co2_tolerance_ml_min,
                    false,
                    "published.co2_removal",
                );
            }
        }
        Design::Cannula(c) => {
            for [q, dp] in &c.published_dp {
                push(
                    format!("ΔP at {q} L/min (mmHg)"),
                    *dp,
                    c.model.drop_mmhg(*q),
                    c.dp_tolerance_mmhg,
                    false,
                    "published.dp",
                );
            }
            for [q, dp] in &c.published_drainage_dp {
                push(
                    format!("drainage lumen ΔP at {q} L/min (mmHg)"),
                    *dp,
                    c.model.drainage_drop_mmhg(*q),
                    c.dp_tolerance_mmhg,
                    false,
                    "published.drainage_dp",
                );
            }
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
        // 20 head points; oxygenators 3 ΔP, 2 rated-flow floors, 2 CO2 removals; 16 + 2 cannula ΔP.
        assert_eq!(n, 20 + 3 + 2 + 2 + 18);
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
        assert_eq!(e.field.as_deref(), Some("thrombogenicity"));
        let msg = e.to_string();
        assert!(
            msg.starts_with("user/x.toml: field `thrombogenicity`"),
            "{msg}"
        );
        assert!(msg.contains("0 < x ≤ 10"), "{msg}");

        let e = err_of(&format!("{COATING}thrombogenicity = 0.5"));
        assert!(e.to_string().contains("has no source"), "{e}");

        let e = err_of(&format!("{COATING}thrombogenicity = \"low\""));
        assert!(e.to_string().contains("must be a number"), "{e}");

        let e = err_of(&format!(
            "{COATING}thrombogenicity = {{ value = 0.5, source = \"s\" }}\ncolour = 1"
        ));
        assert_eq!(e.field.as_deref(), Some("colour"));

        let e = err_of("kind = \"valve\"\nname = \"x\"");
        assert_eq!(e.field.as_deref(), Some("kind"));

        let e = err_of("kind = \"pump\"\nname = \"x\"");
        assert_eq!(e.field.as_deref(), Some("head"));

        let e = err_of("kind = [");
        assert!(e.to_string().contains("not valid TOML"), "{e}");

        // A pump whose head rises with flow: the physio check, reported against [head].
        let rot = BUILTIN_FILES[0].1.replace("r1 = -7.545e-3", "r1 = -0.02");
        let e = err_of(&rot);
        assert_eq!(e.field.as_deref(), Some("head"));
        assert!(e.message.contains("rise with flow"), "{e}");

        // A design point beyond the drive's maximum speed.
        let rot = BUILTIN_FILES[0].1.replace(
            "rpm = 3000.0\nflow_lpm = 5.0",
            "rpm = 9000.0\nflow_lpm = 5.0",
        );
        let e = err_of(&rot);
        assert_eq!(e.field.as_deref(), Some("design_point.rpm"));
        assert!(e.message.contains("0 < x ≤ 5000"), "{e}");

        // Cannula sizes outside the fit.
        let e = err_of(
            "kind = \"cannula\"\nname = \"r\"\nrole = \"return\"\nsize_fr = { value = 25.0, source = \"s\" }",
        );
        assert_eq!(e.field.as_deref(), Some("size_fr"));
        assert!(e.message.contains("15 ≤ x ≤ 23"), "{e}");

        // A published table with a malformed row.
        let rot = BUILTIN_FILES[0]
            .1
            .replace("[2000.0, 0.0, 120.0]", "[2000.0, 0.0]");
        let e = err_of(&rot);
        assert_eq!(e.field.as_deref(), Some("published.head[0]"));
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
        assert_eq!(e.field.as_deref(), Some("name"));
        assert!(e.message.contains("already defined"), "{e}");
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
