//! GeoPackage (OGC 12-128r18): the one vector table of an SQLite database,
//! with the CRS of `gpkg_spatial_ref_sys` and geometries in GeoPackage
//! binary (a `GP` header, then ISO WKB).
//!
//! The database is read with the SQLite driver of sqlx, which the server
//! links already (a second SQLite library, such as rusqlite's, may not be
//! linked beside it). sqlx is asynchronous and readers run on a blocking
//! thread without a runtime of their own, so each step builds a small
//! current-thread runtime; rows are streamed, never loaded whole.

use super::{Blame, Crs, Emit, FeatureReader, Format, ImportError, RawFeature};
use base64::Engine as _;
use geo_traits::to_geo::ToGeoGeometry;
use geo_types::Geometry;
use sea_orm::sqlx::sqlite::{SqliteConnectOptions, SqliteConnection, SqliteRow};
use sea_orm::sqlx::{AssertSqlSafe, ConnectOptions, Connection, Row, TypeInfo, ValueRef};
use serde_json::{Map, Value};
use std::path::{Path, PathBuf};

pub struct GpkgReader {
    blame: Blame,
    path: PathBuf,
    table: String,
    geometry_column: String,
    /// The INTEGER PRIMARY KEY (`fid`), whose value becomes the source id.
    key_column: Option<String>,
    /// Every other column, with its declared type.
    columns: Vec<(String, ColumnKind)>,
    crs: Result<Option<Crs>, ImportError>,
}

/// How a column's values become JSON, from its declared type.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum ColumnKind {
    Integer,
    Float,
    Boolean,
    /// TEXT, DATE, DATETIME: the text as stored.
    Text,
    Blob,
}

impl ColumnKind {
    fn of(declared: &str) -> ColumnKind {
        let t = declared.trim().to_ascii_uppercase();
        // `TEXT(20)` and the like: the base name decides.
        let base = t.split('(').next().unwrap_or("").trim();
        match base {
            "BOOLEAN" => ColumnKind::Boolean,
            "TINYINT" | "SMALLINT" | "MEDIUMINT" | "INT" | "INTEGER" | "BIGINT" => ColumnKind::Integer,
            "FLOAT" | "DOUBLE" | "REAL" | "NUMERIC" => ColumnKind::Float,
            "BLOB" => ColumnKind::Blob,
            _ => ColumnKind::Text,
        }
    }
}

/// `"name"`, with inner quotes doubled.
fn quoted(name: &str) -> String {
    format!("\"{}\"", name.replace('"', "\"\""))
}

/// What went wrong, in words: a damaged or cut file is said so.
fn reason(e: &sea_orm::sqlx::Error) -> String {
    match e.as_database_error() {
        // SQLITE_CORRUPT, SQLITE_NOTADB.
        Some(db) if matches!(db.code().as_deref(), Some("11" | "26")) => {
            format!("the GeoPackage is damaged or truncated (SQLite: {})", db.message())
        }
        Some(db) => format!("cannot read the GeoPackage (SQLite: {})", db.message()),
        None => format!("cannot read the GeoPackage: {e}"),
    }
}

fn runtime(blame: &Blame) -> Result<tokio::runtime::Runtime, ImportError> {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|e| blame.file(format!("cannot start the GeoPackage reader: {e}")))
}

/// Opens the file read-only; `immutable` also keeps SQLite from creating
/// journal files or taking locks beside an upload it will never change.
async fn connect(path: &Path, blame: &Blame) -> Result<SqliteConnection, ImportError> {
    SqliteConnectOptions::new()
        .filename(path)
        .read_only(true)
        .immutable(true)
        .connect()
        .await
        .map_err(|e| blame.file(reason(&e)))
}

/// What `open` learns from the GeoPackage tables.
struct Layout {
    table: String,
    geometry_column: String,
    key_column: Option<String>,
    columns: Vec<(String, ColumnKind)>,
    crs: Result<Option<Crs>, ImportError>,
}

async fn layout(conn: &mut SqliteConnection, blame: &Blame) -> Result<Layout, ImportError> {
    let broken = |e: sea_orm::sqlx::Error| blame.file(reason(&e));
    // sqlx's SQLite driver panics on a declared type or a name that is not
    // UTF-8, in its worker thread, and the caller then waits for ever: the
    // schema is read as bytes (expressions have no declared type) and checked first.
    type SchemaRow = (Option<Vec<u8>>, Option<Vec<u8>>, Option<Vec<u8>>);
    let schema: Vec<SchemaRow> = sea_orm::sqlx::query_as(
        "SELECT CAST(name AS BLOB), CAST(tbl_name AS BLOB), CAST(sql AS BLOB) FROM sqlite_master",
    )
    .fetch_all(&mut *conn)
    .await
    .map_err(broken)?;
    for (name, table, sql) in &schema {
        if [name, table, sql].into_iter().flatten().any(|text| std::str::from_utf8(text).is_err()) {
            let name = String::from_utf8_lossy(name.as_deref().unwrap_or_default()).into_owned();
            return Err(blame.file(format!(
                "the GeoPackage is damaged: the definition of `{name}` is not UTF-8 text (SQLite schema)"
            )));
        }
    }
    let tables: Vec<String> = sea_orm::sqlx::query_scalar("SELECT name FROM sqlite_master WHERE type = 'table'")
        .fetch_all(&mut *conn)
        .await
        .map_err(broken)?;
    let has = |name: &str| tables.iter().any(|t| t.eq_ignore_ascii_case(name));
    if !has("gpkg_contents") || !has("gpkg_geometry_columns") || !has("gpkg_spatial_ref_sys") {
        return Err(blame.file(
            "not a GeoPackage: the SQLite database has no gpkg_contents, gpkg_geometry_columns and \
             gpkg_spatial_ref_sys tables",
        ));
    }
    let features: Vec<(String, String, i64)> = sea_orm::sqlx::query_as(
        "SELECT c.table_name, g.column_name, g.srs_id FROM gpkg_contents c \
         JOIN gpkg_geometry_columns g ON g.table_name = c.table_name \
         WHERE c.data_type = 'features' ORDER BY c.table_name",
    )
    .fetch_all(&mut *conn)
    .await
    .map_err(broken)?;
    let (table, geometry_column, srs_id) = match features.as_slice() {
        [one] => one.clone(),
        [] => {
            let others: Vec<(String, String)> =
                sea_orm::sqlx::query_as("SELECT table_name, data_type FROM gpkg_contents ORDER BY table_name")
                    .fetch_all(&mut *conn)
                    .await
                    .map_err(broken)?;
            let held = if others.is_empty() {
                "nothing".to_owned()
            } else {
                others.iter().map(|(t, kind)| format!("{t} ({kind})")).collect::<Vec<_>>().join(", ")
            };
            return Err(blame.file(format!("the GeoPackage holds no feature table (it has: {held})")));
        }
        many => {
            let names: Vec<&str> = many.iter().map(|f| f.0.as_str()).collect();
            return Err(blame.file(format!(
                "the GeoPackage holds several feature tables ({}): ODG makes one layer per file, so upload one \
                 table per GeoPackage (e.g. `ogr2ogr -f GPKG {}.gpkg this.gpkg {}`)",
                names.join(", "),
                names[0],
                names[0]
            )));
        }
    };
    // PRAGMA table_info: cid, name, declared type, notnull, default, position in the primary key.
    type ColumnInfo = (i64, String, String, i64, Option<String>, i64);
    // Identifiers cannot be bound: the table name is quoted instead.
    let info: Vec<ColumnInfo> =
        sea_orm::sqlx::query_as(AssertSqlSafe(format!("PRAGMA table_info({})", quoted(&table))))
            .fetch_all(&mut *conn)
            .await
            .map_err(broken)?;
    if info.is_empty() {
        return Err(blame.at(format!("table {table}"), "the feature table listed in gpkg_contents does not exist"));
    }
    let primary: Vec<&ColumnInfo> = info.iter().filter(|c| c.5 > 0).collect();
    let key_column = match primary.as_slice() {
        [one] if ColumnKind::of(&one.2) == ColumnKind::Integer => Some(one.1.clone()),
        _ => None,
    };
    let columns = info
        .iter()
        .filter(|c| !c.1.eq_ignore_ascii_case(&geometry_column) && Some(&c.1) != key_column.as_ref())
        .map(|c| (c.1.clone(), ColumnKind::of(&c.2)))
        .collect();
    let crs = crs_of(conn, srs_id, blame).await;
    Ok(Layout { table, geometry_column, key_column, columns, crs })
}

/// The CRS of an `srs_id`: an EPSG code where the GeoPackage gives one, else its WKT.
async fn crs_of(conn: &mut SqliteConnection, srs_id: i64, blame: &Blame) -> Result<Option<Crs>, ImportError> {
    let at = || format!("gpkg_spatial_ref_sys {srs_id}");
    if srs_id == 4326 {
        return Ok(Some(Crs::wgs84()));
    }
    let row: Option<(String, i64, String)> = sea_orm::sqlx::query_as(
        "SELECT organization, organization_coordsys_id, definition FROM gpkg_spatial_ref_sys WHERE srs_id = ?",
    )
    .bind(srs_id)
    .fetch_optional(&mut *conn)
    .await
    .map_err(|e| blame.at(at(), reason(&e)))?;
    let Some((organization, code, definition)) = row else {
        return Err(blame.at(at(), "the geometry column's srs_id is not in gpkg_spatial_ref_sys"));
    };
    if organization.eq_ignore_ascii_case("EPSG") && code > 0 {
        let code = u32::try_from(code).map_err(|_| blame.at(at(), format!("EPSG:{code} is not an EPSG code")))?;
        return Crs::from_epsg(code).map(Some).map_err(|e| blame.at(at(), e));
    }
    // -1 and 0 are the undefined cartesian and geographic systems: the uploader must say.
    if srs_id <= 0 || definition.trim().is_empty() || definition.trim().eq_ignore_ascii_case("undefined") {
        return Ok(None);
    }
    Crs::from_wkt(&definition).map(Some).map_err(|e| blame.at(at(), e))
}

impl GpkgReader {
    pub fn open(path: &Path, blame: Blame) -> Result<GpkgReader, ImportError> {
        let layout = runtime(&blame)?.block_on(async {
            let mut conn = connect(path, &blame).await?;
            let layout = layout(&mut conn, &blame).await;
            let _ = conn.close().await;
            layout
        })?;
        Ok(GpkgReader {
            blame,
            path: path.to_path_buf(),
            table: layout.table,
            geometry_column: layout.geometry_column,
            key_column: layout.key_column,
            columns: layout.columns,
            crs: layout.crs,
        })
    }

    fn feature(&self, row: &SqliteRow, number: u64) -> Result<RawFeature, ImportError> {
        let location = match &self.key_column {
            Some(_) => format!("feature {number} (fid {})", self.key(row).unwrap_or_default()),
            None => format!("feature {number}"),
        };
        let blob: Option<Vec<u8>> = row
            .try_get_unchecked(0)
            .map_err(|e| self.blame.at(location.clone(), format!("unreadable geometry: {e}")))?;
        let geometry = match blob {
            None => Err("no geometry".to_owned()),
            Some(bytes) => decode_geometry(&bytes),
        };
        let first = if self.key_column.is_some() { 2 } else { 1 };
        let mut properties = Map::new();
        for (i, (name, kind)) in self.columns.iter().enumerate() {
            let value = cell(row, first + i, *kind)
                .map_err(|e| self.blame.at(location.clone(), format!("column {name}: {e}")))?;
            properties.insert(name.clone(), value);
        }
        Ok(RawFeature { geometry, properties, source_id: self.key(row), location })
    }

    fn key(&self, row: &SqliteRow) -> Option<String> {
        self.key_column.as_ref()?;
        row.try_get_unchecked::<Option<i64>, _>(1).ok().flatten().map(|k| k.to_string())
    }
}

/// One cell as JSON: typed by the column's declared type, but SQLite stores
/// whatever it is given, so the value's own storage class is checked too.
fn cell(row: &SqliteRow, index: usize, kind: ColumnKind) -> Result<Value, String> {
    let raw = row.try_get_raw(index).map_err(|e| e.to_string())?;
    if raw.is_null() {
        return Ok(Value::Null);
    }
    let storage = raw.type_info().name().to_owned();
    let text = |row: &SqliteRow| row.try_get_unchecked::<String, _>(index).map_err(|e| e.to_string());
    Ok(match (storage.as_str(), kind) {
        ("INTEGER", ColumnKind::Boolean) => {
            Value::Bool(row.try_get_unchecked::<i64, _>(index).map_err(|e| e.to_string())? != 0)
        }
        ("INTEGER", ColumnKind::Float) => {
            Value::from(row.try_get_unchecked::<i64, _>(index).map_err(|e| e.to_string())? as f64)
        }
        ("INTEGER", _) => Value::from(row.try_get_unchecked::<i64, _>(index).map_err(|e| e.to_string())?),
        ("REAL", _) => {
            let f = row.try_get_unchecked::<f64, _>(index).map_err(|e| e.to_string())?;
            // JSON has no NaN or infinity.
            if f.is_finite() { Value::from(f) } else { Value::Null }
        }
        // Binary values have no JSON form: they are kept as base64 text.
        ("BLOB", _) => Value::String(
            base64::engine::general_purpose::STANDARD
                .encode(row.try_get_unchecked::<Vec<u8>, _>(index).map_err(|e| e.to_string())?),
        ),
        _ => Value::String(text(row)?),
    })
}

/// A GeoPackage binary geometry: `GP`, version, flags, srs_id, envelope, then
/// WKB. The error is the reason of the warning (the feature is skipped).
fn decode_geometry(bytes: &[u8]) -> Result<Geometry<f64>, String> {
    if bytes.len() < 8 || &bytes[..2] != b"GP" {
        return Err("the geometry is not GeoPackage binary (no GP header)".into());
    }
    let flags = bytes[3];
    if flags & 0b0010_0000 != 0 {
        return Err("an extended GeoPackage geometry type, which ODG does not read".into());
    }
    if flags & 0b0001_0000 != 0 {
        return Err("empty geometry".into());
    }
    let envelope = match (flags >> 1) & 0b111 {
        0 => 0,
        1 => 32,
        2 | 3 => 48,
        4 => 64,
        other => return Err(format!("invalid envelope code {other} in the GeoPackage header")),
    };
    let wkb = bytes.get(8 + envelope..).filter(|w| !w.is_empty()).ok_or("the geometry is truncated")?;
    let parsed = wkb::reader::read_wkb(wkb).map_err(|e| format!("unreadable WKB: {e}"))?;
    parsed.try_to_geometry().ok_or_else(|| "empty geometry".to_owned())
}

impl FeatureReader for GpkgReader {
    fn format(&self) -> Format {
        Format::GeoPackage
    }
    fn declared_crs(&self) -> Result<Option<Crs>, ImportError> {
        self.crs.clone()
    }
    fn wgs84_by_definition(&self) -> bool {
        false
    }

    fn read(&mut self, emit: &mut Emit<'_>) -> Result<(), ImportError> {
        use async_graphql::futures_util::TryStreamExt;
        let mut selected = vec![quoted(&self.geometry_column)];
        selected.extend(self.key_column.as_deref().map(quoted));
        selected.extend(self.columns.iter().map(|(name, _)| quoted(name)));
        let order = self.key_column.as_deref().map(|k| format!(" ORDER BY {}", quoted(k))).unwrap_or_default();
        let sql = format!("SELECT {} FROM {}{order}", selected.join(", "), quoted(&self.table));
        let blame = self.blame.clone();
        let rt = runtime(&blame)?;
        let mut conn = rt.block_on(connect(&self.path, &blame))?;
        let result = (|| {
            // Every identifier in it is quoted by `quoted`.
            let mut rows = sea_orm::sqlx::query(AssertSqlSafe(sql.as_str())).fetch(&mut conn);
            let mut number = 0u64;
            // One row at a time: the stream is polled only when the last feature has been taken.
            while let Some(row) =
                rt.block_on(rows.try_next()).map_err(|e| blame.at(format!("table {}", self.table), reason(&e)))?
            {
                number += 1;
                emit(self.feature(&row, number)?)?;
            }
            Ok(())
        })();
        let _ = rt.block_on(conn.close());
        result
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_schema_that_is_not_utf8_is_refused_instead_of_hanging_the_reader() {
        // Found by the fuzz harness: `NOT NULL` of gpkg_contents.table_name
        // with a byte changed; sqlx's worker panicked and open() never returned.
        let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/gpkg/regressions/schema-not-utf8.gpkg");
        let (tx, rx) = std::sync::mpsc::channel();
        std::thread::spawn(move || {
            let _ = tx.send(GpkgReader::open(&path, Blame::new("schema-not-utf8.gpkg")).map(|_| ()));
        });
        let result = rx.recv_timeout(std::time::Duration::from_secs(30)).expect("open() ends");
        let e = result.unwrap_err();
        assert!(e.message.contains("`gpkg_contents` is not UTF-8"), "{e}");
    }

    #[test]
    fn geopackage_binary_is_decoded_past_its_envelope() {
        let point: Geometry<f64> = geo_types::point!(x: 500000.0, y: 9800000.0).into();
        let mut wkb = Vec::new();
        let options = wkb::writer::WriteOptions { endianness: wkb::Endianness::BigEndian };
        wkb::writer::write_geometry(&mut wkb, &point, &options).unwrap();
        // Little-endian header with an xy envelope.
        let mut blob = vec![b'G', b'P', 0, 0b0000_0011];
        blob.extend(32632i32.to_le_bytes());
        for v in [500000.0f64, 500000.0, 9800000.0, 9800000.0] {
            blob.extend(v.to_le_bytes());
        }
        blob.extend(&wkb);
        assert_eq!(decode_geometry(&blob).unwrap(), point);
        let empty = [b'G', b'P', 0, 0b0001_0001, 0, 0, 0, 0];
        assert_eq!(decode_geometry(&empty).unwrap_err(), "empty geometry");
        assert!(decode_geometry(b"XX\0\0\0\0\0\0").is_err());
    }

    #[test]
    fn declared_types_choose_the_json_type() {
        assert_eq!(ColumnKind::of("INTEGER"), ColumnKind::Integer);
        assert_eq!(ColumnKind::of("MEDIUMINT"), ColumnKind::Integer);
        assert_eq!(ColumnKind::of("TEXT(20)"), ColumnKind::Text);
        assert_eq!(ColumnKind::of("DATETIME"), ColumnKind::Text);
        assert_eq!(ColumnKind::of("boolean"), ColumnKind::Boolean);
        assert_eq!(ColumnKind::of("DOUBLE"), ColumnKind::Float);
    }
}
