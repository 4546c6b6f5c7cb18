//! Writing layers out: GeoJSON, CSV (WKT geometry), KML, zipped Shapefile
//! (with .prj and .cpg) and GeoPackage. Text formats are produced page by
//! page, so a large layer is never held whole in memory; the shapefile and
//! the GeoPackage are written to temporary files, page by page too.

use crate::domain::{Layer, LayerFeature, to_geojson};
use crate::import::AttributeType;
use geo_types::Geometry;
use serde_json::Value;
use std::fmt::Write as _;
use std::io::{Seek, Write};
use std::path::Path;
use wkt::ToWkt;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ExportFormat {
    GeoJson,
    Csv,
    Kml,
    Shapefile,
    GeoPackage,
}

impl ExportFormat {
    pub fn parse(text: &str) -> Option<ExportFormat> {
        match text.to_ascii_lowercase().as_str() {
            "geojson" | "json" => Some(ExportFormat::GeoJson),
            "csv" => Some(ExportFormat::Csv),
            "kml" => Some(ExportFormat::Kml),
            "shapefile" | "shp" | "zip" => Some(ExportFormat::Shapefile),
            "gpkg" | "geopackage" => Some(ExportFormat::GeoPackage),
            _ => None,
        }
    }

    pub fn extension(self) -> &'static str {
        match self {
            ExportFormat::GeoJson => "geojson",
            ExportFormat::Csv => "csv",
            ExportFormat::Kml => "kml",
            ExportFormat::Shapefile => "zip",
            ExportFormat::GeoPackage => "gpkg",
        }
    }

    pub fn content_type(self) -> &'static str {
        match self {
            ExportFormat::GeoJson => "application/geo+json",
            ExportFormat::Csv => "text/csv; charset=utf-8",
            ExportFormat::Kml => "application/vnd.google-earth.kml+xml",
            ExportFormat::Shapefile => "application/zip",
            ExportFormat::GeoPackage => "application/geopackage+sqlite3",
        }
    }
}

/// A text export, written in three parts so pages of features can be streamed.
pub struct TextExport {
    format: ExportFormat,
    columns: Vec<String>,
    first: bool,
}

impl TextExport {
    pub fn new(format: ExportFormat, layer: &Layer) -> TextExport {
        let columns = layer.source.attributes.iter().map(|a| a.name.clone()).collect();
        TextExport { format, columns, first: true }
    }

    pub fn header(&self, layer: &Layer) -> String {
        match self.format {
            ExportFormat::GeoJson => "{\"type\":\"FeatureCollection\",\"features\":[\n".into(),
            // No id column: a re-import then gives back exactly the same attributes.
            ExportFormat::Csv => {
                let mut names = self.columns.clone();
                names.push(wkt_column(&self.columns));
                csv_line(&names)
            }
            ExportFormat::Kml => format!(
                "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<kml xmlns=\"http://www.opengis.net/kml/2.2\"><Document><name>{}</name>\n",
                xml_escape(&layer.meta.name)
            ),
            ExportFormat::Shapefile | ExportFormat::GeoPackage => String::new(),
        }
    }

    pub fn features(&mut self, features: &[LayerFeature]) -> String {
        let mut out = String::new();
        for f in features {
            match self.format {
                ExportFormat::GeoJson => {
                    if !self.first {
                        out.push_str(",\n");
                    }
                    let feature = serde_json::json!({
                        "type": "Feature",
                        "id": f.id,
                        "geometry": to_geojson(&f.geometry),
                        "properties": f.properties,
                    });
                    out.push_str(&feature.to_string());
                }
                ExportFormat::Csv => {
                    let mut cells: Vec<String> = self.columns.iter().map(|c| text_of(f.properties.get(c))).collect();
                    cells.push(f.geometry.wkt_string());
                    out.push_str(&csv_line(&cells));
                }
                ExportFormat::Kml => out.push_str(&kml_placemark(f, &self.columns)),
                ExportFormat::Shapefile | ExportFormat::GeoPackage => {}
            }
            self.first = false;
        }
        out
    }

    pub fn footer(&self) -> String {
        match self.format {
            ExportFormat::GeoJson => "\n]}\n".into(),
            ExportFormat::Kml => "</Document></kml>\n".into(),
            _ => String::new(),
        }
    }
}

/// `wkt`, or `geometry_wkt` when an attribute is already called `wkt`.
fn wkt_column(columns: &[String]) -> String {
    let taken = |name: &str| columns.iter().any(|c| c.eq_ignore_ascii_case(name));
    ["wkt", "geometry_wkt", "wkt_geom"].iter().find(|n| !taken(n)).unwrap_or(&"odg_wkt").to_string()
}

fn text_of(value: Option<&Value>) -> String {
    match value {
        None | Some(Value::Null) => String::new(),
        Some(Value::String(s)) => s.clone(),
        Some(other) => other.to_string(),
    }
}

fn csv_line(cells: &[String]) -> String {
    let mut writer = csv::WriterBuilder::new().from_writer(Vec::new());
    writer.write_record(cells).expect("writing to memory");
    String::from_utf8(writer.into_inner().expect("writing to memory")).expect("UTF-8 in, UTF-8 out")
}

fn xml_escape(text: &str) -> String {
    quick_xml::escape::escape(text).into_owned()
}

fn kml_coordinates(line: &geo_types::LineString<f64>) -> String {
    let mut out = String::new();
    for c in line.coords() {
        if !out.is_empty() {
            out.push(' ');
        }
        let _ = write!(out, "{},{}", c.x, c.y);
    }
    out
}

fn kml_geometry(geometry: &Geometry<f64>) -> String {
    match geometry {
        Geometry::Point(p) => format!("<Point><coordinates>{},{}</coordinates></Point>", p.x(), p.y()),
        Geometry::LineString(l) => {
            format!("<LineString><coordinates>{}</coordinates></LineString>", kml_coordinates(l))
        }
        Geometry::Polygon(p) => {
            let mut out = format!(
                "<Polygon><outerBoundaryIs><LinearRing><coordinates>{}</coordinates></LinearRing></outerBoundaryIs>",
                kml_coordinates(p.exterior())
            );
            for hole in p.interiors() {
                let _ = write!(
                    out,
                    "<innerBoundaryIs><LinearRing><coordinates>{}</coordinates></LinearRing></innerBoundaryIs>",
                    kml_coordinates(hole)
                );
            }
            out.push_str("</Polygon>");
            out
        }
        Geometry::MultiPoint(m) => multi(m.iter().map(|p| Geometry::Point(*p))),
        Geometry::MultiLineString(m) => multi(m.iter().map(|l| Geometry::LineString(l.clone()))),
        Geometry::MultiPolygon(m) => multi(m.iter().map(|p| Geometry::Polygon(p.clone()))),
        Geometry::GeometryCollection(c) => multi(c.iter().cloned()),
        Geometry::Line(l) => kml_geometry(&Geometry::LineString((*l).into())),
        Geometry::Rect(r) => kml_geometry(&Geometry::Polygon(r.to_polygon())),
        Geometry::Triangle(t) => kml_geometry(&Geometry::Polygon(t.to_polygon())),
    }
}

fn multi(parts: impl Iterator<Item = Geometry<f64>>) -> String {
    let inner: String = parts.map(|g| kml_geometry(&g)).collect();
    format!("<MultiGeometry>{inner}</MultiGeometry>")
}

fn kml_placemark(f: &LayerFeature, columns: &[String]) -> String {
    // Only a `name` attribute becomes the Placemark's name, which a re-import reads back as `name`.
    let name = f.properties.get("name").map(|v| text_of(Some(v)));
    let mut out = format!("<Placemark id=\"f{}\">", f.id);
    if let Some(name) = name {
        let _ = write!(out, "<name>{}</name>", xml_escape(&name));
    }
    out.push_str("<ExtendedData>");
    for c in columns {
        let _ = write!(
            out,
            "<Data name=\"{}\"><value>{}</value></Data>",
            xml_escape(c),
            xml_escape(&text_of(f.properties.get(c)))
        );
    }
    out.push_str("</ExtendedData>");
    out.push_str(&kml_geometry(&f.geometry));
    out.push_str("</Placemark>\n");
    out
}

/// The WGS84 `.prj` written with every shapefile (ESRI WKT).
const WGS84_PRJ: &str = r#"GEOGCS["GCS_WGS_1984",DATUM["D_WGS_1984",SPHEROID["WGS_1984",6378137.0,298.257223563]],PRIMEM["Greenwich",0.0],UNIT["Degree",0.0174532925199433]]"#;

#[derive(Clone, Copy, PartialEq, Eq)]
enum ShapeFamily {
    Point,
    MultiPoint,
    Line,
    Polygon,
}

fn family(types: &[String]) -> Result<ShapeFamily, String> {
    let has = |t: &str| types.iter().any(|x| x == t);
    let points = has("Point") || has("MultiPoint");
    let lines = has("LineString") || has("MultiLineString");
    let polygons = has("Polygon") || has("MultiPolygon");
    match (points, lines, polygons) {
        (true, false, false) if has("MultiPoint") => Ok(ShapeFamily::MultiPoint),
        (true, false, false) => Ok(ShapeFamily::Point),
        (false, true, false) => Ok(ShapeFamily::Line),
        (false, false, true) => Ok(ShapeFamily::Polygon),
        (false, false, false) => Err("the layer has no features to export".into()),
        _ => Err(format!(
            "a shapefile holds one kind of geometry, and this layer mixes {}: export it as GeoJSON or KML",
            types.join(", ")
        )),
    }
}

/// DBF field names: at most 10 bytes, unique.
fn dbf_names(columns: &[String]) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    for c in columns {
        let base: String =
            deunicode::deunicode(c).chars().filter(|c| c.is_ascii_alphanumeric() || *c == '_').take(10).collect();
        let base = if base.is_empty() { "field".to_owned() } else { base };
        let mut name = base.clone();
        let mut n = 1;
        while out.iter().any(|o| o.eq_ignore_ascii_case(&name)) {
            let suffix = n.to_string();
            name = format!("{}{}", &base[..base.len().min(10 - suffix.len())], suffix);
            n += 1;
        }
        out.push(name);
    }
    out
}

/// Writes the shapefile of `layer` into `dir` as `<stem>.shp/.shx/.dbf/.prj/.cpg`,
/// pulling pages of features from `next_page` until it returns an empty page.
pub fn write_shapefile(
    dir: &Path,
    stem: &str,
    layer: &Layer,
    next_page: &mut dyn FnMut() -> Result<Vec<LayerFeature>, String>,
) -> Result<(), String> {
    use shapefile::dbase::{self, FieldValue};
    let family = family(&layer.source.geometry_types)?;
    let columns: Vec<(String, AttributeType)> =
        layer.source.attributes.iter().map(|a| (a.name.clone(), a.kind)).collect();
    let names = dbf_names(&columns.iter().map(|c| c.0.clone()).collect::<Vec<_>>());
    let mut table = dbase::TableWriterBuilder::with_encoding(dbase::encoding::EncodingRs::from(encoding_rs::UTF_8));
    for ((_, kind), name) in columns.iter().zip(&names) {
        let field = dbase::FieldName::try_from(name.as_str()).map_err(|e| format!("field {name}: {e}"))?;
        table = match kind {
            AttributeType::Integer => table.add_numeric_field(field, 18, 0),
            AttributeType::Float => table.add_numeric_field(field, 24, 10),
            AttributeType::Boolean => table.add_logical_field(field),
            AttributeType::Date | AttributeType::String => table.add_character_field(field, 254),
        };
    }
    let io = |e: std::io::Error| e.to_string();
    let file =
        |ext: &str| std::fs::File::create(dir.join(format!("{stem}.{ext}"))).map(std::io::BufWriter::new).map_err(io);
    let dbf = table.build_with_dest(file("dbf")?);
    let shapes = shapefile::ShapeWriter::with_shx(file("shp")?, file("shx")?);
    let mut writer = shapefile::Writer::new(shapes, dbf);
    loop {
        let page = next_page()?;
        if page.is_empty() {
            break;
        }
        for f in &page {
            let mut record = dbase::Record::default();
            for ((column, kind), name) in columns.iter().zip(&names) {
                let v = f.properties.get(column);
                let value = match kind {
                    AttributeType::Integer | AttributeType::Float => FieldValue::Numeric(v.and_then(Value::as_f64)),
                    AttributeType::Boolean => FieldValue::Logical(v.and_then(Value::as_bool)),
                    _ => FieldValue::Character(match v {
                        None | Some(Value::Null) => None,
                        other => Some(text_of(other)),
                    }),
                };
                record.insert(name.clone(), value);
            }
            let result = match (family, &f.geometry) {
                (ShapeFamily::Point, Geometry::Point(p)) => {
                    writer.write_shape_and_record(&shapefile::Point::from(*p), &record)
                }
                (ShapeFamily::MultiPoint, g) => {
                    let m = match g {
                        Geometry::Point(p) => geo_types::MultiPoint(vec![*p]),
                        Geometry::MultiPoint(m) => m.clone(),
                        _ => return Err(format!("feature {} is not a point", f.id)),
                    };
                    writer.write_shape_and_record(&shapefile::Multipoint::from(m), &record)
                }
                (ShapeFamily::Line, g) => {
                    let m = match g {
                        Geometry::LineString(l) => geo_types::MultiLineString(vec![l.clone()]),
                        Geometry::MultiLineString(m) => m.clone(),
                        _ => return Err(format!("feature {} is not a line", f.id)),
                    };
                    writer.write_shape_and_record(&shapefile::Polyline::from(m), &record)
                }
                (ShapeFamily::Polygon, g) => {
                    let m = match g {
                        Geometry::Polygon(p) => geo_types::MultiPolygon(vec![p.clone()]),
                        Geometry::MultiPolygon(m) => m.clone(),
                        _ => return Err(format!("feature {} is not a polygon", f.id)),
                    };
                    writer.write_shape_and_record(&shapefile::Polygon::from(m), &record)
                }
                _ => return Err(format!("feature {} does not match the layer's geometry type", f.id)),
            };
            result.map_err(|e| format!("writing the shapefile: {e}"))?;
        }
    }
    drop(writer);
    std::fs::write(dir.join(format!("{stem}.prj")), WGS84_PRJ).map_err(io)?;
    std::fs::write(dir.join(format!("{stem}.cpg")), "UTF-8").map_err(io)?;
    Ok(())
}

/// Zips the shapefile parts `<stem>.*` of `dir` into `target`.
pub fn zip_shapefile(dir: &Path, stem: &str, target: &mut (impl Write + Seek)) -> Result<(), String> {
    let mut zip = zip::ZipWriter::new(target);
    let options = zip::write::SimpleFileOptions::default().compression_method(zip::CompressionMethod::Deflated);
    for ext in ["shp", "shx", "dbf", "prj", "cpg"] {
        let name = format!("{stem}.{ext}");
        zip.start_file(name.as_str(), options).map_err(|e| e.to_string())?;
        let mut part = std::fs::File::open(dir.join(&name)).map_err(|e| e.to_string())?;
        std::io::copy(&mut part, &mut zip).map_err(|e| e.to_string())?;
    }
    zip.finish().map_err(|e| e.to_string())?;
    Ok(())
}

/// WGS 84 as GDAL describes it in `gpkg_spatial_ref_sys` (OGC WKT 1).
const WGS84_WKT: &str = r#"GEOGCS["WGS 84",DATUM["WGS_1984",SPHEROID["WGS 84",6378137,298.257223563,AUTHORITY["EPSG","7030"]],AUTHORITY["EPSG","6326"]],PRIMEM["Greenwich",0,AUTHORITY["EPSG","8901"]],UNIT["degree",0.0174532925199433,AUTHORITY["EPSG","9122"]],AXIS["Latitude",NORTH],AXIS["Longitude",EAST],AUTHORITY["EPSG","4326"]]"#;

/// `application_id` of a GeoPackage: "GPKG" in ASCII.
const GPKG_APPLICATION_ID: i32 = 0x4750_4B47;
/// `user_version` of GeoPackage 1.3.0.
const GPKG_USER_VERSION: i32 = 10300;

/// The core tables of a GeoPackage (OGC 12-128r18, §1.1.2, 1.1.3, 2.1.5), with
/// the three reference systems the standard requires.
const GPKG_CORE: [&str; 5] = [
    "CREATE TABLE gpkg_spatial_ref_sys (srs_name TEXT NOT NULL, srs_id INTEGER NOT NULL PRIMARY KEY, \
     organization TEXT NOT NULL, organization_coordsys_id INTEGER NOT NULL, definition TEXT NOT NULL, \
     description TEXT)",
    "INSERT INTO gpkg_spatial_ref_sys VALUES ('Undefined cartesian SRS', -1, 'NONE', -1, 'undefined', \
     'undefined cartesian coordinate reference system')",
    "INSERT INTO gpkg_spatial_ref_sys VALUES ('Undefined geographic SRS', 0, 'NONE', 0, 'undefined', \
     'undefined geographic coordinate reference system')",
    "CREATE TABLE gpkg_contents (table_name TEXT NOT NULL PRIMARY KEY, data_type TEXT NOT NULL, \
     identifier TEXT UNIQUE, description TEXT DEFAULT '', \
     last_change DATETIME NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ','now')), \
     min_x DOUBLE, min_y DOUBLE, max_x DOUBLE, max_y DOUBLE, srs_id INTEGER, \
     CONSTRAINT fk_gc_r_srs_id FOREIGN KEY (srs_id) REFERENCES gpkg_spatial_ref_sys(srs_id))",
    "CREATE TABLE gpkg_geometry_columns (table_name TEXT NOT NULL, column_name TEXT NOT NULL, \
     geometry_type_name TEXT NOT NULL, srs_id INTEGER NOT NULL, z TINYINT NOT NULL, m TINYINT NOT NULL, \
     CONSTRAINT pk_geom_cols PRIMARY KEY (table_name, column_name), \
     CONSTRAINT uk_gc_table_name UNIQUE (table_name), \
     CONSTRAINT fk_gc_tn FOREIGN KEY (table_name) REFERENCES gpkg_contents(table_name), \
     CONSTRAINT fk_gc_srs FOREIGN KEY (srs_id) REFERENCES gpkg_spatial_ref_sys (srs_id))",
];

/// `"name"`, with inner quotes doubled: identifiers cannot be bound.
fn sql_name(name: &str) -> String {
    format!("\"{}\"", name.replace('"', "\"\""))
}

/// The column type of the geometry: the layer's one type, else GEOMETRY.
fn gpkg_geometry_type(types: &[String]) -> &'static str {
    match types {
        [one] => match one.as_str() {
            "Point" => "POINT",
            "LineString" => "LINESTRING",
            "Polygon" => "POLYGON",
            "MultiPoint" => "MULTIPOINT",
            "MultiLineString" => "MULTILINESTRING",
            "MultiPolygon" => "MULTIPOLYGON",
            "GeometryCollection" => "GEOMETRYCOLLECTION",
            _ => "GEOMETRY",
        },
        _ => "GEOMETRY",
    }
}

/// GeoPackage binary: the `GP` header (version 0, little-endian, SRS 4326,
/// an xy envelope except for points, as GDAL does), then little-endian WKB.
fn gpkg_geometry(geometry: &Geometry<f64>) -> Vec<u8> {
    let envelope = match geometry {
        Geometry::Point(_) => None,
        g => crate::spatial::Bbox::of(g),
    };
    let flags: u8 = if envelope.is_some() { 0b0000_0011 } else { 0b0000_0001 };
    let mut out = Vec::with_capacity(40 + wkb::writer::geometry_wkb_size(geometry));
    out.extend_from_slice(&[b'G', b'P', 0, flags]);
    out.extend_from_slice(&4326i32.to_le_bytes());
    if let Some(b) = envelope {
        for v in [b.min_lon, b.max_lon, b.min_lat, b.max_lat] {
            out.extend_from_slice(&v.to_le_bytes());
        }
    }
    let options = wkb::writer::WriteOptions { endianness: wkb::Endianness::LittleEndian };
    // Writing to a Vec cannot fail, and every geo_types geometry has a WKB form.
    wkb::writer::write_geometry(&mut out, geometry, &options).expect("WKB encoding into memory");
    out
}

/// A value as stored in a GeoPackage column.
enum Cell {
    Null,
    Integer(i64),
    Real(f64),
    Text(String),
}

fn gpkg_cell(kind: AttributeType, value: Option<&Value>) -> Cell {
    match (kind, value) {
        (_, None | Some(Value::Null)) => Cell::Null,
        (AttributeType::Integer, Some(Value::Number(n))) if n.is_i64() => Cell::Integer(n.as_i64().unwrap_or(0)),
        (AttributeType::Integer | AttributeType::Float, Some(Value::Number(n))) => {
            n.as_f64().map(Cell::Real).unwrap_or(Cell::Null)
        }
        (AttributeType::Boolean, Some(Value::Bool(b))) => Cell::Integer(i64::from(*b)),
        // Anything else (an edited feature may not match its column) is kept as text.
        (_, other) => Cell::Text(text_of(other)),
    }
}

/// Column names unique without regard to case (as SQLite compares them),
/// none equal to `taken`.
fn unique_names(names: &[String], taken: &[&str]) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    for name in names {
        let base = if name.is_empty() { "field".to_owned() } else { name.clone() };
        let mut candidate = base.clone();
        let mut n = 2;
        while taken.iter().any(|t| t.eq_ignore_ascii_case(&candidate))
            || out.iter().any(|o| o.eq_ignore_ascii_case(&candidate))
        {
            candidate = format!("{base}_{n}");
            n += 1;
        }
        out.push(candidate);
    }
    out
}

/// A GeoPackage 1.3 being written: the core tables, then one feature table
/// with `fid`, `geom` (WGS 84) and a column per attribute of the layer's
/// schema, filled page by page inside one transaction. No spatial index is
/// written (GDAL and QGIS build one on demand).
pub struct GeoPackageWriter {
    conn: sea_orm::sqlx::SqliteConnection,
    insert: String,
    attributes: Vec<(String, AttributeType)>,
}

fn gpkg_error(e: sea_orm::sqlx::Error) -> String {
    format!("writing the GeoPackage: {e}")
}

impl GeoPackageWriter {
    /// Creates the file at `path` (which must not exist) with the feature table `table`.
    pub async fn create(path: &Path, table: &str, layer: &Layer) -> Result<GeoPackageWriter, String> {
        use sea_orm::sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqliteSynchronous};
        use sea_orm::sqlx::{AssertSqlSafe, ConnectOptions, Executor};
        let sql = gpkg_error;
        // A throwaway file: no journal on disk and no syncing; WAL would change the file format.
        let mut conn = SqliteConnectOptions::new()
            .filename(path)
            .create_if_missing(true)
            .journal_mode(SqliteJournalMode::Memory)
            .synchronous(SqliteSynchronous::Off)
            .connect()
            .await
            .map_err(sql)?;
        conn.execute(AssertSqlSafe(format!(
            "PRAGMA application_id = {GPKG_APPLICATION_ID}; PRAGMA user_version = {GPKG_USER_VERSION}"
        )))
        .await
        .map_err(sql)?;
        for statement in GPKG_CORE {
            conn.execute(statement).await.map_err(sql)?;
        }
        sea_orm::sqlx::query(
            "INSERT INTO gpkg_spatial_ref_sys VALUES ('WGS 84 geodetic', 4326, 'EPSG', 4326, ?, \
             'longitude/latitude coordinates in decimal degrees on the WGS 84 spheroid')",
        )
        .bind(WGS84_WKT)
        .execute(&mut conn)
        .await
        .map_err(sql)?;

        let attributes: Vec<(String, AttributeType)> =
            layer.source.attributes.iter().map(|a| (a.name.clone(), a.kind)).collect();
        // The key and geometry columns take names no attribute has.
        let all: Vec<String> = attributes.iter().map(|a| a.0.clone()).collect();
        let free = |candidates: &[&'static str], last: &'static str| -> &'static str {
            candidates.iter().find(|c| !all.iter().any(|a| a.eq_ignore_ascii_case(c))).copied().unwrap_or(last)
        };
        let fid = free(&["fid", "odg_fid", "ogc_fid"], "odg_fid_");
        let geom = free(&["geom", "geometry", "odg_geom"], "odg_geom_");
        let columns = unique_names(&all, &[fid, geom]);
        let geometry_type = gpkg_geometry_type(&layer.source.geometry_types);
        let mut create = format!(
            "CREATE TABLE {} ({} INTEGER PRIMARY KEY AUTOINCREMENT NOT NULL, {} {geometry_type}",
            sql_name(table),
            sql_name(fid),
            sql_name(geom)
        );
        for ((_, kind), name) in attributes.iter().zip(&columns) {
            // Dates stay TEXT: the values may mix dates and date-times, which
            // GDAL would refuse in a DATE or a DATETIME column; they read back the same.
            let sql_type = match kind {
                AttributeType::Integer => "INTEGER",
                AttributeType::Float => "REAL",
                AttributeType::Boolean => "BOOLEAN",
                AttributeType::Date | AttributeType::String => "TEXT",
            };
            let _ = write!(create, ", {} {sql_type}", sql_name(name));
        }
        create.push(')');
        conn.execute(AssertSqlSafe(create)).await.map_err(sql)?;
        let b = layer.source.bbox;
        sea_orm::sqlx::query(
            "INSERT INTO gpkg_contents (table_name, data_type, identifier, description, last_change, \
             min_x, min_y, max_x, max_y, srs_id) VALUES (?, 'features', ?, ?, ?, ?, ?, ?, ?, 4326)",
        )
        .bind(table)
        .bind(&layer.meta.name)
        .bind(layer.meta.description.as_deref().unwrap_or(""))
        .bind(chrono::Utc::now().format("%Y-%m-%dT%H:%M:%S%.3fZ").to_string())
        .bind(b.map(|b| b.min_lon))
        .bind(b.map(|b| b.min_lat))
        .bind(b.map(|b| b.max_lon))
        .bind(b.map(|b| b.max_lat))
        .execute(&mut conn)
        .await
        .map_err(sql)?;
        sea_orm::sqlx::query("INSERT INTO gpkg_geometry_columns VALUES (?, ?, ?, 4326, 0, 0)")
            .bind(table)
            .bind(geom)
            .bind(geometry_type)
            .execute(&mut conn)
            .await
            .map_err(sql)?;
        let mut names = vec![sql_name(geom)];
        names.extend(columns.iter().map(|c| sql_name(c)));
        let insert = format!(
            "INSERT INTO {} ({}) VALUES ({})",
            sql_name(table),
            names.join(", "),
            vec!["?"; names.len()].join(", ")
        );
        // One transaction for all the features: one write of the file at the end.
        conn.execute("BEGIN").await.map_err(sql)?;
        Ok(GeoPackageWriter { conn, insert, attributes })
    }

    /// Appends a page of features, in their order (their `fid`s follow it).
    pub async fn write(&mut self, features: &[LayerFeature]) -> Result<(), String> {
        use sea_orm::sqlx::AssertSqlSafe;
        for f in features {
            // The same statement each time: sqlx prepares it once.
            let mut query = sea_orm::sqlx::query(AssertSqlSafe(self.insert.as_str())).bind(gpkg_geometry(&f.geometry));
            for (column, kind) in &self.attributes {
                query = match gpkg_cell(*kind, f.properties.get(column)) {
                    Cell::Null => query.bind(None::<i64>),
                    Cell::Integer(i) => query.bind(i),
                    Cell::Real(r) => query.bind(r),
                    Cell::Text(t) => query.bind(t),
                };
            }
            query.execute(&mut self.conn).await.map_err(gpkg_error)?;
        }
        Ok(())
    }

    /// Commits and closes the file.
    pub async fn finish(mut self) -> Result<(), String> {
        use sea_orm::sqlx::{Connection, Executor};
        self.conn.execute("COMMIT").await.map_err(gpkg_error)?;
        self.conn.close().await.map_err(gpkg_error)
    }
}

/// A file name for the layer: its slug, or `layer-<id>`.
pub fn file_stem(layer: &Layer) -> String {
    let slug = crate::domain::slugify(&layer.meta.name);
    if slug.is_empty() { format!("layer-{}", layer.id) } else { slug }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn geopackage_columns_are_unique_and_leave_fid_and_geom_free() {
        let names = unique_names(&["nom".into(), "NOM".into(), "fid".into(), "".into()], &["fid", "geom"]);
        assert_eq!(names, vec!["nom", "NOM_2", "fid_2", "field"]);
    }

    #[test]
    fn geopackage_geometries_have_the_gp_header() {
        let point: Geometry<f64> = geo_types::point!(x: 13.2, y: -1.5).into();
        let blob = gpkg_geometry(&point);
        assert_eq!(&blob[..8], &[b'G', b'P', 0, 1, 0xE6, 0x10, 0, 0]);
        let line: Geometry<f64> = geo_types::LineString::from(vec![(13.0, -1.0), (13.5, -1.2)]).into();
        let blob = gpkg_geometry(&line);
        assert_eq!(blob[3], 3, "little-endian with an xy envelope");
        assert_eq!(f64::from_le_bytes(blob[8..16].try_into().unwrap()), 13.0);
        assert_eq!(f64::from_le_bytes(blob[32..40].try_into().unwrap()), -1.0);
    }

    #[test]
    fn dbf_names_are_short_ascii_and_unique() {
        let names = dbf_names(&["teneur_en_manganese".into(), "teneur_en_fer".into(), "Année".into(), "".into()]);
        assert_eq!(names, vec!["teneur_en_", "teneur_en1", "Annee", "field"]);
        assert!(names.iter().all(|n| n.len() <= 10));
    }
}
