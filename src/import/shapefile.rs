//! ESRI Shapefile in a ZIP: `.shp`, `.shx`, `.dbf`, with `.prj` for the CRS
//! and `.cpg` for the attribute encoding (else the DBF language id, else latin-1).

use super::archive::Archive;
use super::{Blame, Crs, Emit, FeatureReader, Format, ImportError, ImportLimits, RawFeature};
use serde_json::{Map, Value};
use shapefile::dbase::{self, FieldValue};
use std::fs::File;
use std::io::{BufReader, Read, Seek, SeekFrom};
use std::path::{Path, PathBuf};

pub struct ShapefileReader {
    blame: Blame,
    /// Holds the extracted files for as long as the reader lives.
    _dir: tempfile::TempDir,
    shp: PathBuf,
    shx: PathBuf,
    dbf: PathBuf,
    prj: Option<String>,
    encoding: &'static encoding_rs::Encoding,
}

impl ShapefileReader {
    pub fn open(path: &Path, blame: Blame, limits: &ImportLimits) -> Result<ShapefileReader, ImportError> {
        let mut archive = Archive::open(path, blame.clone(), limits)?;
        let names = archive.names();
        let with = |ext: &str| -> Vec<&String> {
            names.iter().filter(|n| n.to_ascii_lowercase().ends_with(&format!(".{ext}"))).collect()
        };
        let shps = with("shp");
        let shp_name = match shps.as_slice() {
            [] => {
                return Err(blame.file(format!(
                    "the ZIP holds no .shp file (it has: {})",
                    if names.is_empty() { "nothing".to_owned() } else { names.join(", ") }
                )));
            }
            [one] => (*one).clone(),
            many => {
                return Err(blame.file(format!(
                    "the ZIP holds several shapefiles ({}): upload one per file",
                    many.iter().map(|s| s.as_str()).collect::<Vec<_>>().join(", ")
                )));
            }
        };
        let stem = &shp_name[..shp_name.len() - 4];
        let sibling = |ext: &str| {
            names
                .iter()
                .find(|n| n.len() == stem.len() + 4 && n.starts_with(stem) && n.to_ascii_lowercase().ends_with(ext))
                .cloned()
        };
        let dir = tempfile::tempdir().map_err(|e| blame.file(format!("cannot make a temporary directory: {e}")))?;
        let mut take = |ext: &str, required: bool| -> Result<Option<PathBuf>, ImportError> {
            match sibling(&format!(".{ext}")) {
                Some(name) => archive.extract(&name, &dir.path().join(format!("layer.{ext}"))).map(Some),
                None if required => Err(blame.file(format!("the ZIP has {shp_name} but no {stem}.{ext}"))),
                None => Ok(None),
            }
        };
        let shp = take("shp", true)?.expect("required");
        let shx = take("shx", true)?.expect("required");
        let dbf = take("dbf", true)?.expect("required");
        let prj = take("prj", false)?.map(|p| std::fs::read_to_string(p).unwrap_or_default());
        let cpg = take("cpg", false)?.map(|p| std::fs::read_to_string(p).unwrap_or_default());
        let encoding = match cpg.as_deref().and_then(encoding_of_cpg) {
            Some(e) => e,
            None => encoding_of_language_id(&dbf).unwrap_or(encoding_rs::WINDOWS_1252),
        };
        Ok(ShapefileReader { blame, _dir: dir, shp, shx, dbf, prj, encoding })
    }
}

/// `.cpg` contents such as `UTF-8`, `1252`, `ISO-8859-1`, `CP1252`.
fn encoding_of_cpg(text: &str) -> Option<&'static encoding_rs::Encoding> {
    let label = text.trim();
    let label = match label.to_ascii_uppercase().as_str() {
        "UTF8" | "UTF-8" | "65001" => "utf-8",
        l if l.chars().all(|c| c.is_ascii_digit()) && !l.is_empty() => {
            return encoding_rs::Encoding::for_label(format!("windows-{l}").as_bytes())
                .or_else(|| encoding_rs::Encoding::for_label(format!("cp{l}").as_bytes()));
        }
        _ => label,
    };
    encoding_rs::Encoding::for_label(label.as_bytes())
}

/// The DBF header's language driver id (byte 29).
fn encoding_of_language_id(dbf: &Path) -> Option<&'static encoding_rs::Encoding> {
    let mut file = File::open(dbf).ok()?;
    file.seek(SeekFrom::Start(29)).ok()?;
    let mut id = [0u8];
    file.read_exact(&mut id).ok()?;
    Some(match id[0] {
        0x01 | 0x02 | 0x03 | 0x57 | 0x58 | 0x59 => encoding_rs::WINDOWS_1252,
        0x64 | 0xC8 => encoding_rs::WINDOWS_1250,
        0x65 | 0x26 | 0xC9 => encoding_rs::WINDOWS_1251,
        0xCA => encoding_rs::WINDOWS_1254,
        0xCB => encoding_rs::WINDOWS_1253,
        0x7D => encoding_rs::WINDOWS_1255,
        0x7E => encoding_rs::WINDOWS_1256,
        _ => return None,
    })
}

fn json_of(value: FieldValue) -> Value {
    match value {
        FieldValue::Character(s) => s.map(|s| Value::String(s.trim_end().to_owned())).unwrap_or(Value::Null),
        FieldValue::Memo(s) => Value::String(s),
        FieldValue::Numeric(n) => n.map(number).unwrap_or(Value::Null),
        FieldValue::Float(f) => f.map(|f| number(f64::from(f))).unwrap_or(Value::Null),
        FieldValue::Logical(b) => b.map(Value::Bool).unwrap_or(Value::Null),
        FieldValue::Date(d) => {
            d.map(|d| Value::String(format!("{:04}-{:02}-{:02}", d.year(), d.month(), d.day()))).unwrap_or(Value::Null)
        }
        FieldValue::Integer(i) => Value::from(i),
        FieldValue::Currency(f) | FieldValue::Double(f) => number(f),
        FieldValue::DateTime(dt) => {
            let d = dt.date();
            let t = dt.time();
            Value::String(format!(
                "{:04}-{:02}-{:02}T{:02}:{:02}:{:02}",
                d.year(),
                d.month(),
                d.day(),
                t.hours(),
                t.minutes(),
                t.seconds()
            ))
        }
    }
}

/// A .dbf record's values as JSON, in field order.
struct Row(Vec<Value>);

impl dbase::ReadableRecord for Row {
    /// A date the dBASE reader refuses is null: GDAL and ArcGIS write a
    /// missing date as `00000000`, which is no date.
    fn read_using<S, M>(fields: &mut dbase::FieldIterator<S, M>) -> Result<Self, dbase::FieldError>
    where
        S: Read + Seek,
        M: Read + Seek,
    {
        let mut values = Vec::new();
        loop {
            match fields.read_next_field() {
                Ok(field) => values.push(json_of(field.value)),
                Err(e) => match e.kind() {
                    dbase::ErrorKind::EndOfRecord => return Ok(Row(values)),
                    // The field's bytes were read: the next field follows.
                    dbase::ErrorKind::InvalidDate(_) => values.push(Value::Null),
                    _ => return Err(e),
                },
            }
        }
    }
}

/// The error in words: the dBASE reader's is shown, not its debug form.
fn reason(e: &shapefile::Error) -> String {
    match e {
        shapefile::Error::DbaseError(e) => format!("in the .dbf: {e}"),
        e => e.to_string(),
    }
}

/// Whole numbers stay integers, so a DBF `N(10,0)` reads as an integer.
fn number(f: f64) -> Value {
    if f.fract() == 0.0 && f.abs() < 9.0e15 { Value::from(f as i64) } else { Value::from(f) }
}

impl FeatureReader for ShapefileReader {
    fn format(&self) -> Format {
        Format::Shapefile
    }
    fn declared_crs(&self) -> Result<Option<Crs>, ImportError> {
        match &self.prj {
            Some(wkt) if !wkt.trim().is_empty() => Crs::from_wkt(wkt).map(Some).map_err(|e| self.blame.at(".prj", e)),
            _ => Ok(None),
        }
    }
    fn wgs84_by_definition(&self) -> bool {
        false
    }

    fn read(&mut self, emit: &mut Emit<'_>) -> Result<(), ImportError> {
        let open = |p: &Path| File::open(p).map(BufReader::new).map_err(|e| self.blame.file(e.to_string()));
        let shapes = shapefile::ShapeReader::with_shx(open(&self.shp)?, open(&self.shx)?)
            .map_err(|e| self.blame.at(".shp", format!("not a valid shapefile: {e}")))?;
        let table = dbase::ReaderBuilder::new()
            .with_encoding(dbase::encoding::EncodingRs::from(self.encoding))
            .build(open(&self.dbf)?)
            .map_err(|e| self.blame.at(".dbf", format!("not a valid dBASE table: {e}")))?;
        let field_names: Vec<String> = table.fields().iter().map(|f| f.name().to_owned()).collect();
        let shape_count = shapes.shape_count().map_err(|e| self.blame.at(".shx", e.to_string()))?;
        let record_count = table.header().num_records as usize;
        if shape_count != record_count {
            return Err(self.blame.file(format!(
                "the .shp has {shape_count} shapes but the .dbf {record_count} records: the files do not belong together"
            )));
        }
        let mut reader = shapefile::Reader::new(shapes, table);
        for (index, item) in reader.iter_shapes_and_records_as::<shapefile::Shape, Row>().enumerate() {
            let location = format!("record {}", index + 1);
            let (shape, Row(values)) =
                item.map_err(|e| self.blame.at(location.clone(), format!("unreadable: {}", reason(&e))))?;
            let geometry = match shape {
                shapefile::Shape::NullShape => Err("null shape".to_owned()),
                shape => geo_types::Geometry::<f64>::try_from(shape).map_err(|e| format!("unusable shape: {e}")),
            };
            let mut properties = Map::new();
            for (name, value) in field_names.iter().zip(values.into_iter().chain(std::iter::repeat(Value::Null))) {
                properties.insert(name.to_string(), value);
            }
            emit(RawFeature { geometry, properties, source_id: None, location })?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use crate::import::{ImportLimits, open, scan};
    use std::path::Path;

    /// Reads a fixture as an import does; the error's message, if any.
    fn import(path: &Path) -> Result<u64, String> {
        let name = path.file_name().unwrap().to_str().unwrap();
        let limits = ImportLimits::default();
        let mut reader = open(path, name, &limits).map_err(|e| e.to_string())?;
        scan(reader.as_mut(), name, None, &limits, &mut |_| Ok(()))
            .map(|(summary, _)| summary.features_kept)
            .map_err(|e| e.to_string())
    }

    #[test]
    fn a_date_gdal_writes_as_zeros_is_null() {
        let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/shapefile/polygons.zip");
        let limits = ImportLimits::default();
        let mut reader = open(&path, "polygons.zip", &limits).unwrap();
        let mut dates = Vec::new();
        scan(reader.as_mut(), "polygons.zip", None, &limits, &mut |f| {
            dates.push(f.properties["decouverte"].clone());
            Ok(())
        })
        .unwrap();
        // The .dbf holds `20190412` and `00000000`.
        assert_eq!(dates, [serde_json::json!("2019-04-12"), serde_json::Value::Null]);
    }

    #[test]
    fn damaged_shapefiles_the_fuzz_harness_found_are_refused_without_a_panic() {
        let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/shapefile/regressions");
        // Each panicked in shapefile 0.7 / dbase 0.6: an .shx offset whose
        // double overflows, a date field of five characters, a .dbf header
        // without its terminator.
        for (name, why) in [
            ("shx-offset-overflow.zip", "(record 1): unreadable: The record size declared in the file is inconsistent"),
            ("dbf-short-date.zip", "(record 1): unreadable: in the .dbf: An error occurred in record 0 at field #6"),
            ("dbf-header-unterminated.zip", "(record 1): unreadable: in the .dbf: An error occurred in record 0"),
        ] {
            let result = import(&dir.join(name));
            assert!(result.as_ref().is_err_and(|e| e.contains(why)), "{name}: {result:?}");
        }
    }
}
