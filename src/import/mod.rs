//! Reading GIS files: format detection, one streaming reader per format,
//! reprojection to WGS84, and the per-feature checks an import applies.
//!
//! Readers push features one at a time into a callback, so a file of any
//! size is read in bounded memory; they run on a blocking thread.

mod archive;
pub mod crs;
mod csv;
mod geojson;
mod geotiff;
mod gpkg;
mod gpx;
mod kml;
mod shapefile;

pub use crs::Crs;

use crate::spatial::Bbox;
use geo::CoordsIter;
use geo_types::Geometry;
use serde_json::{Map, Value};
use std::collections::{BTreeSet, HashMap};
use std::fmt;
use std::path::{Path, PathBuf};

/// A file format ODG imports.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Format {
    GeoJson,
    GeoJsonSeq,
    Shapefile,
    Kml,
    Kmz,
    Csv,
    Gpx,
    GeoPackage,
    GeoTiff,
}

impl Format {
    pub fn name(self) -> &'static str {
        match self {
            Format::GeoJson => "GEOJSON",
            Format::GeoJsonSeq => "GEOJSONSEQ",
            Format::Shapefile => "SHAPEFILE",
            Format::Kml => "KML",
            Format::Kmz => "KMZ",
            Format::Csv => "CSV",
            Format::Gpx => "GPX",
            Format::GeoPackage => "GEOPACKAGE",
            Format::GeoTiff => "GEOTIFF",
        }
    }
}

/// Import limits (`ODG_IMPORT_*`).
#[derive(Clone, Debug)]
pub struct ImportLimits {
    /// Largest uncompressed total of a ZIP or KMZ.
    pub max_uncompressed_bytes: u64,
    /// Most entries in a ZIP or KMZ.
    pub max_archive_entries: usize,
    /// Most features in one layer.
    pub max_features: u64,
    /// Where the files of raster layers (GeoTIFF) are kept, `<data_dir>/rasters`;
    /// `None` keeps only their description.
    pub raster_dir: Option<PathBuf>,
    /// Where running imports hold their lease (`<data_dir>/imports`), so
    /// that a process starting beside them leaves them running; `None`
    /// holds none.
    pub lease_dir: Option<PathBuf>,
}

impl Default for ImportLimits {
    fn default() -> Self {
        ImportLimits {
            max_uncompressed_bytes: 2 * 1024 * 1024 * 1024,
            max_archive_entries: 1000,
            max_features: 5_000_000,
            raster_dir: None,
            lease_dir: None,
        }
    }
}

/// Why a file cannot be imported: names the file and, where known, the
/// feature or line.
#[derive(Clone, Debug, PartialEq)]
pub struct ImportError {
    pub file: String,
    pub location: Option<String>,
    pub message: String,
}

impl fmt::Display for ImportError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.location {
            Some(at) => write!(f, "{} ({at}): {}", self.file, self.message),
            None => write!(f, "{}: {}", self.file, self.message),
        }
    }
}

impl std::error::Error for ImportError {}

/// Builds [`ImportError`]s for one file.
#[derive(Clone, Debug)]
pub(crate) struct Blame {
    file: String,
}

impl Blame {
    pub(crate) fn new(file: &str) -> Blame {
        Blame { file: file.to_owned() }
    }
    pub(crate) fn file(&self, message: impl Into<String>) -> ImportError {
        ImportError { file: self.file.clone(), location: None, message: message.into() }
    }
    pub(crate) fn at(&self, location: impl Into<String>, message: impl Into<String>) -> ImportError {
        ImportError { file: self.file.clone(), location: Some(location.into()), message: message.into() }
    }
}

/// A feature as read from a file, before reprojection and checks.
#[derive(Clone, Debug)]
pub struct RawFeature {
    /// Why there is no usable geometry (the feature is skipped with a warning).
    pub geometry: Result<Geometry<f64>, String>,
    pub properties: Map<String, Value>,
    pub source_id: Option<String>,
    /// Where the feature is in the file, for warnings (`line 12`, `feature 3`).
    pub location: String,
}

/// Receives features; an error stops the read (a limit, a closed channel).
pub type Emit<'a> = dyn FnMut(RawFeature) -> Result<(), ImportError> + 'a;

/// A reader of one opened file.
pub trait FeatureReader: Send {
    fn format(&self) -> Format;
    /// The CRS the file declares (`.prj`, GeoJSON `crs` member), if any;
    /// `None` for formats that are WGS84 by definition.
    fn declared_crs(&self) -> Result<Option<Crs>, ImportError>;
    /// Whether the format is WGS84 longitude/latitude by definition (KML, GPX, GeoJSON).
    fn wgs84_by_definition(&self) -> bool;
    fn read(&mut self, emit: &mut Emit<'_>) -> Result<(), ImportError>;
    /// For a raster file (GeoTIFF): the file to keep and its description.
    /// Vector formats have none.
    fn raster(&self) -> Option<RasterInfo> {
        None
    }
}

/// A raster file an import keeps beside its layer (whose one feature is the
/// raster's footprint), for the tiles to serve.
#[derive(Clone, Debug)]
pub struct RasterInfo {
    /// The file as uploaded.
    pub path: PathBuf,
    /// Size, bands, data type, nodata, georeferencing and CRS, as JSON.
    pub description: Value,
}

/// Opens `path` (an upload whose original name is `file_name`), choosing the
/// reader from the name and the first bytes.
pub fn open(path: &Path, file_name: &str, limits: &ImportLimits) -> Result<Box<dyn FeatureReader>, ImportError> {
    let blame = Blame::new(file_name);
    let mut head = [0u8; 512];
    let read = {
        use std::io::Read;
        let mut file = std::fs::File::open(path).map_err(|e| blame.file(format!("cannot read the upload: {e}")))?;
        let mut n = 0;
        while n < head.len() {
            match file.read(&mut head[n..]) {
                Ok(0) => break,
                Ok(k) => n += k,
                Err(e) => return Err(blame.file(format!("cannot read the upload: {e}"))),
            }
        }
        n
    };
    let head = &head[..read];
    if head.is_empty() {
        return Err(blame.file("the file is empty"));
    }
    let extension = Path::new(file_name).extension().and_then(|e| e.to_str()).unwrap_or("").to_ascii_lowercase();
    let is_zip = head.starts_with(b"PK\x03\x04") || head.starts_with(b"PK\x05\x06");
    let is_sqlite = head.starts_with(b"SQLite format 3\0");
    // Classic TIFF (II*\0, MM\0*) and BigTIFF (II+\0, MM\0+).
    let is_tiff = [b"II*\0", b"MM\0*", b"II+\0", b"MM\0+"].iter().any(|magic| head.starts_with(*magic));
    let text = String::from_utf8_lossy(head);
    let trimmed = text.trim_start_matches('\u{feff}').trim_start();
    match extension.as_str() {
        "zip" | "shz" if is_zip => Ok(Box::new(shapefile::ShapefileReader::open(path, blame, limits)?)),
        "kmz" if is_zip => Ok(Box::new(kml::KmlReader::open_kmz(path, blame, limits)?)),
        "zip" | "kmz" | "shz" => Err(blame.file("not a ZIP archive (it may be truncated or another format)")),
        "kml" => Ok(Box::new(kml::KmlReader::open(path, blame)?)),
        "gpx" => Ok(Box::new(gpx::GpxReader::open(path, blame))),
        "geojsonl" | "geojsons" | "ndjson" | "geojsonseq" | "jsonl" => {
            Ok(Box::new(geojson::GeoJsonReader::open(path, blame, true)))
        }
        "geojson" | "json" => Ok(Box::new(geojson::GeoJsonReader::open(path, blame, looks_line_delimited(trimmed)))),
        "csv" | "txt" | "tsv" => Ok(Box::new(csv::CsvReader::open(path, blame)?)),
        "gpkg" if is_sqlite => Ok(Box::new(gpkg::GpkgReader::open(path, blame)?)),
        "gpkg" => Err(blame.file("not a GeoPackage: the file is not an SQLite database (it may be truncated)")),
        "tif" | "tiff" if is_tiff => Ok(Box::new(geotiff::GeoTiffReader::open(path, blame)?)),
        "tif" | "tiff" => Err(blame.file("not a TIFF file (it may be truncated or another format)")),
        "shp" | "dbf" | "shx" => {
            Err(blame
                .file("a shapefile is several files: upload a ZIP holding its .shp, .shx and .dbf (and .prj, .cpg)"))
        }
        _ if is_zip => Ok(Box::new(shapefile::ShapefileReader::open(path, blame, limits)?)),
        // An SQLite database under another name may still be a GeoPackage; the reader says if not.
        _ if is_sqlite => Ok(Box::new(gpkg::GpkgReader::open(path, blame)?)),
        _ if is_tiff => Ok(Box::new(geotiff::GeoTiffReader::open(path, blame)?)),
        _ if trimmed.starts_with('{') => {
            Ok(Box::new(geojson::GeoJsonReader::open(path, blame, looks_line_delimited(trimmed))))
        }
        _ if trimmed.starts_with('<') && trimmed.contains("<kml") => Ok(Box::new(kml::KmlReader::open(path, blame)?)),
        _ if trimmed.starts_with('<') && trimmed.contains("<gpx") => Ok(Box::new(gpx::GpxReader::open(path, blame))),
        _ => Err(blame.file(
            "unknown format: ODG imports GeoJSON, newline-delimited GeoJSON, zipped Shapefile, KML, KMZ, CSV/TXT, GPX, \
             GeoPackage and GeoTIFF",
        )),
    }
}

/// A first line that is a whole JSON object followed by another object.
fn looks_line_delimited(head: &str) -> bool {
    let mut lines = head.lines().filter(|l| !l.trim().is_empty());
    let first = lines.next().unwrap_or("");
    serde_json::from_str::<Value>(first).is_ok_and(|v| v.is_object())
        && lines.next().is_some_and(|l| l.trim_start().starts_with('{'))
}

/// A skipped feature, and why.
#[derive(Clone, Debug, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct ImportWarning {
    /// 0-based index of the feature in the file.
    pub index: u64,
    /// Where it is (`line 12`, `feature 3`, `placemark "Puits 4"`).
    pub location: String,
    pub reason: String,
}

/// The most warnings kept per import (the count goes on).
pub const MAX_WARNINGS: usize = 1000;

/// Most attributes a layer may have: GeoPackage allows 2 000 columns and a
/// shapefile 255; a file beyond this is a mistake or an attack (a CSV of a
/// million columns held a core for ten minutes).
pub const MAX_ATTRIBUTES: usize = 1000;

/// The type of an attribute, inferred from all its values.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum AttributeType {
    String,
    Integer,
    Float,
    Boolean,
    Date,
}

impl AttributeType {
    fn of(value: &Value) -> Option<AttributeType> {
        match value {
            Value::Null => None,
            Value::Bool(_) => Some(AttributeType::Boolean),
            Value::Number(n) if n.is_i64() || n.is_u64() => Some(AttributeType::Integer),
            Value::Number(_) => Some(AttributeType::Float),
            Value::String(s) if is_date(s) => Some(AttributeType::Date),
            _ => Some(AttributeType::String),
        }
    }

    fn merge(self, other: AttributeType) -> AttributeType {
        use AttributeType::*;
        match (self, other) {
            (a, b) if a == b => a,
            (Integer, Float) | (Float, Integer) => Float,
            _ => String,
        }
    }
}

/// `YYYY-MM-DD`, optionally followed by a time.
fn is_date(s: &str) -> bool {
    let b = s.as_bytes();
    b.len() >= 10
        && b[..4].iter().all(u8::is_ascii_digit)
        && b[4] == b'-'
        && b[5..7].iter().all(u8::is_ascii_digit)
        && b[7] == b'-'
        && b[8..10].iter().all(u8::is_ascii_digit)
        && (b.len() == 10 || b[10] == b'T' || b[10] == b' ')
        && chrono::NaiveDate::parse_from_str(&s[..10], "%Y-%m-%d").is_ok()
}

/// One attribute of a layer's schema.
#[derive(Clone, Debug, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct Attribute {
    pub name: String,
    #[serde(rename = "type")]
    pub kind: AttributeType,
}

/// What a whole file holds, gathered while it is read.
#[derive(Clone, Debug, Default)]
pub struct Summary {
    pub features_read: u64,
    pub features_kept: u64,
    pub geometry_types: BTreeSet<&'static str>,
    pub bbox: Option<Bbox>,
    pub attributes: Vec<Attribute>,
    pub warnings: Vec<ImportWarning>,
    pub warning_count: u64,
    /// Per attribute: whether a non-null value has been seen.
    typed: Vec<bool>,
    /// Attribute name → its place in `attributes`.
    positions: HashMap<String, usize>,
}

impl Summary {
    fn observe(&mut self, feature: &CheckedFeature) -> Result<(), String> {
        self.features_kept += 1;
        self.geometry_types.insert(geometry_type(&feature.geometry));
        self.bbox = Some(match self.bbox {
            None => feature.bbox,
            Some(b) => Bbox {
                min_lon: b.min_lon.min(feature.bbox.min_lon),
                min_lat: b.min_lat.min(feature.bbox.min_lat),
                max_lon: b.max_lon.max(feature.bbox.max_lon),
                max_lat: b.max_lat.max(feature.bbox.max_lat),
            },
        });
        self.observe_properties(&feature.properties)
    }

    /// Fails past [`MAX_ATTRIBUTES`] distinct attribute names.
    fn observe_properties(&mut self, properties: &Map<String, Value>) -> Result<(), String> {
        for (name, value) in properties {
            let kind = AttributeType::of(value);
            match self.positions.get(name).copied() {
                // Attributes first seen as null are typed by their first value.
                Some(i) => match (kind, self.typed[i]) {
                    (None, _) => {}
                    (Some(kind), false) => {
                        self.attributes[i].kind = kind;
                        self.typed[i] = true;
                    }
                    (Some(kind), true) => self.attributes[i].kind = self.attributes[i].kind.merge(kind),
                },
                None => {
                    if self.attributes.len() == MAX_ATTRIBUTES {
                        return Err(format!(
                            "more than {MAX_ATTRIBUTES} attributes (at `{name}`): a layer holds at most {MAX_ATTRIBUTES}"
                        ));
                    }
                    self.positions.insert(name.clone(), self.attributes.len());
                    self.attributes.push(Attribute { name: name.clone(), kind: kind.unwrap_or(AttributeType::String) });
                    self.typed.push(kind.is_some());
                }
            }
        }
        Ok(())
    }

    fn warn(&mut self, index: u64, location: &str, reason: String) {
        self.warning_count += 1;
        if self.warnings.len() < MAX_WARNINGS {
            self.warnings.push(ImportWarning { index, location: location.to_owned(), reason });
        }
    }
}

/// The attribute schema of a set of property maps, typed as an import types them.
pub fn infer_attributes<'a>(properties: impl Iterator<Item = &'a Map<String, Value>>) -> Vec<Attribute> {
    let mut summary = Summary::default();
    for p in properties {
        // Past the limit the schema stops growing: these maps come from layers, which are within it.
        if summary.observe_properties(p).is_err() {
            break;
        }
    }
    summary.attributes
}

pub fn geometry_type(geometry: &Geometry<f64>) -> &'static str {
    match geometry {
        Geometry::Point(_) => "Point",
        Geometry::MultiPoint(_) => "MultiPoint",
        Geometry::Line(_) | Geometry::LineString(_) => "LineString",
        Geometry::MultiLineString(_) => "MultiLineString",
        Geometry::Polygon(_) | Geometry::Rect(_) | Geometry::Triangle(_) => "Polygon",
        Geometry::MultiPolygon(_) => "MultiPolygon",
        Geometry::GeometryCollection(_) => "GeometryCollection",
    }
}

/// A feature in WGS84 that passed the checks.
#[derive(Clone, Debug)]
pub struct CheckedFeature {
    pub geometry: Geometry<f64>,
    pub bbox: Bbox,
    pub properties: Map<String, Value>,
    pub source_id: Option<String>,
}

/// Reads every feature of `reader`, reprojects it to WGS84 and checks it;
/// kept features go to `keep`, skipped ones become warnings in the summary.
///
/// `crs_override` is the CRS the uploader declared; it wins over the file's.
pub fn scan(
    reader: &mut dyn FeatureReader,
    file_name: &str,
    crs_override: Option<&Crs>,
    limits: &ImportLimits,
    keep: &mut dyn FnMut(CheckedFeature) -> Result<(), ImportError>,
) -> Result<(Summary, Crs), ImportError> {
    let blame = Blame::new(file_name);
    // The file's own CRS is only looked at without a declared one, so that a
    // CRS the file describes in a way ODG cannot use can be overridden.
    let declared = match crs_override {
        Some(given) => Some(given.clone()),
        None => reader.declared_crs()?,
    };
    let crs = match declared {
        Some(crs) => crs,
        None if reader.wgs84_by_definition() => Crs::wgs84(),
        None => {
            return Err(blame.file(
                "the file does not say its coordinate reference system: declare it with the `crs` argument \
                 (e.g. crs: \"EPSG:32632\" for UTM zone 32N), or add a .prj to the ZIP",
            ));
        }
    };
    let mut summary = Summary::default();
    let mut index = 0u64;
    reader.read(&mut |raw: RawFeature| {
        let this = index;
        index += 1;
        summary.features_read += 1;
        match check(raw.geometry, &crs) {
            Ok((geometry, bbox)) => {
                if summary.features_kept >= limits.max_features {
                    return Err(blame.file(format!(
                        "more than {} features: the limit per layer (ODG_IMPORT_MAX_FEATURES)",
                        limits.max_features
                    )));
                }
                let feature = CheckedFeature { geometry, bbox, properties: raw.properties, source_id: raw.source_id };
                summary.observe(&feature).map_err(|e| blame.at(&raw.location, e))?;
                keep(feature)
            }
            Err(reason) => {
                summary.warn(this, &raw.location, reason);
                Ok(())
            }
        }
    })?;
    if summary.features_kept == 0 {
        let why = match summary.warnings.first() {
            Some(w) if summary.features_read > 0 => format!(
                "no valid feature among {} ({} at {}; {} skipped in all)",
                summary.features_read, w.reason, w.location, summary.warning_count
            ),
            _ => "the file holds no feature".to_owned(),
        };
        return Err(blame.file(why));
    }
    Ok((summary, crs))
}

/// Reprojects and validates one geometry; the error is the warning's reason.
fn check(geometry: Result<Geometry<f64>, String>, crs: &Crs) -> Result<(Geometry<f64>, Bbox), String> {
    let geometry = geometry?;
    if geometry.coords_count() == 0 {
        return Err("empty geometry".into());
    }
    // RFC 7946 winding (exterior counter-clockwise, holes clockwise), whatever the file's.
    let geometry = oriented(crs.to_wgs84(geometry)?);
    for c in geometry.coords_iter() {
        if !(c.x.is_finite() && c.y.is_finite()) {
            return Err("a coordinate is not a number".into());
        }
        if !(-180.0..=180.0).contains(&c.x) || !(-90.0..=90.0).contains(&c.y) {
            return Err(format!(
                "position ({}, {}) is outside longitude [-180, 180] / latitude [-90, 90] after reprojection from {}",
                c.x,
                c.y,
                crs.label()
            ));
        }
    }
    // Imports run in their own task and are not cut by a request's budget.
    match crate::spatial::validity::check(&geometry, &std::sync::atomic::AtomicBool::new(false)) {
        Ok(()) => {}
        Err(crate::spatial::validity::Problem::Invalid(problem)) => return Err(format!("invalid geometry: {problem}")),
        Err(crate::spatial::validity::Problem::Interrupted) => return Err("validation interrupted".into()),
    }
    let bbox = Bbox::of(&geometry).ok_or("empty geometry")?;
    Ok((geometry, bbox))
}

fn oriented(geometry: Geometry<f64>) -> Geometry<f64> {
    use geo::orient::{Direction, Orient};
    match geometry {
        Geometry::Polygon(p) => Geometry::Polygon(p.orient(Direction::Default)),
        Geometry::MultiPolygon(mp) => Geometry::MultiPolygon(mp.orient(Direction::Default)),
        other => other,
    }
}

/// Best-effort typed value of a text cell: integer, float, boolean, or text; empty is null.
pub(crate) fn typed_value(text: &str) -> Value {
    let t = text.trim();
    if t.is_empty() {
        return Value::Null;
    }
    // Codes such as "007" keep their leading zeros: they are text.
    let digits = t.strip_prefix('-').unwrap_or(t);
    let leading_zero =
        digits.len() > 1 && digits.starts_with('0') && !digits.starts_with("0.") && !digits.starts_with("0,");
    if !leading_zero {
        if let Ok(i) = t.parse::<i64>() {
            return Value::from(i);
        }
        // A decimal comma, as French spreadsheets write it, is a decimal.
        let decimal = if decimal_comma(t) { t.replace(',', ".") } else { t.to_owned() };
        if decimal.chars().all(|c| c.is_ascii_digit() || matches!(c, '.' | '-' | '+' | 'e' | 'E'))
            && let Ok(f) = decimal.parse::<f64>()
            && f.is_finite()
        {
            return Value::from(f);
        }
    }
    match t {
        "true" | "TRUE" | "True" => Value::Bool(true),
        "false" | "FALSE" | "False" => Value::Bool(false),
        _ => Value::String(text.to_owned()),
    }
}

/// `-12,5`: digits, one comma, digits.
fn decimal_comma(t: &str) -> bool {
    let t = t.strip_prefix('-').unwrap_or(t);
    match t.split_once(',') {
        Some((a, b)) => {
            !a.is_empty()
                && !b.is_empty()
                && a.bytes().all(|c| c.is_ascii_digit())
                && b.bytes().all(|c| c.is_ascii_digit())
        }
        None => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn attribute_types_widen_as_values_arrive() {
        assert_eq!(AttributeType::Integer.merge(AttributeType::Float), AttributeType::Float);
        assert_eq!(AttributeType::Integer.merge(AttributeType::Boolean), AttributeType::String);
        assert_eq!(AttributeType::of(&Value::from("2024-05-01")), Some(AttributeType::Date));
        assert_eq!(AttributeType::of(&Value::from("2024-13-01")), Some(AttributeType::String));
    }

    #[test]
    fn text_cells_become_typed_values() {
        assert_eq!(typed_value("12"), Value::from(12));
        assert_eq!(typed_value("007"), Value::from("007"));
        assert_eq!(typed_value("1.5"), Value::from(1.5));
        assert_eq!(typed_value(""), Value::Null);
        assert_eq!(typed_value("Franceville"), Value::from("Franceville"));
        assert_eq!(typed_value("inf"), Value::from("inf"));
        assert_eq!(typed_value("41,5"), Value::from(41.5));
        assert_eq!(typed_value("0,25"), Value::from(0.25));
        assert_eq!(typed_value("0"), Value::from(0));
        assert_eq!(typed_value("1,234,5"), Value::from("1,234,5"));
    }
}
