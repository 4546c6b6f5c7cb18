//! Writing layers out: GeoJSON, CSV (WKT geometry), KML, and zipped
//! Shapefile (with .prj and .cpg). Text formats are produced page by page,
//! so a large layer is never held whole in memory; the shapefile is written
//! to temporary files, then zipped.

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
}

impl ExportFormat {
    pub fn parse(text: &str) -> Option<ExportFormat> {
        match text.to_ascii_lowercase().as_str() {
            "geojson" | "json" => Some(ExportFormat::GeoJson),
            "csv" => Some(ExportFormat::Csv),
            "kml" => Some(ExportFormat::Kml),
            "shapefile" | "shp" | "zip" => Some(ExportFormat::Shapefile),
            _ => None,
        }
    }

    pub fn extension(self) -> &'static str {
        match self {
            ExportFormat::GeoJson => "geojson",
            ExportFormat::Csv => "csv",
            ExportFormat::Kml => "kml",
            ExportFormat::Shapefile => "zip",
        }
    }

    pub fn content_type(self) -> &'static str {
        match self {
            ExportFormat::GeoJson => "application/geo+json",
            ExportFormat::Csv => "text/csv; charset=utf-8",
            ExportFormat::Kml => "application/vnd.google-earth.kml+xml",
            ExportFormat::Shapefile => "application/zip",
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
            ExportFormat::Shapefile => String::new(),
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
                ExportFormat::Shapefile => {}
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

/// A file name for the layer: its slug, or `layer-<id>`.
pub fn file_stem(layer: &Layer) -> String {
    let slug = crate::domain::slugify(&layer.meta.name);
    if slug.is_empty() { format!("layer-{}", layer.id) } else { slug }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dbf_names_are_short_ascii_and_unique() {
        let names = dbf_names(&["teneur_en_manganese".into(), "teneur_en_fer".into(), "Année".into(), "".into()]);
        assert_eq!(names, vec!["teneur_en_", "teneur_en1", "Annee", "field"]);
        assert!(names.iter().all(|n| n.len() <= 10));
    }
}
