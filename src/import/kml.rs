//! KML and KMZ, read as an XML stream: every Placemark, in nested Folders,
//! with its name, description, ExtendedData (Data and SchemaData/SimpleData)
//! and geometry (Point, LineString, LinearRing, Polygon, MultiGeometry).

use super::archive::Archive;
use super::{Blame, Crs, Emit, FeatureReader, Format, ImportError, ImportLimits, RawFeature};
use geo_types::{Coord, Geometry, LineString, MultiLineString, MultiPoint, MultiPolygon, Point, Polygon};
use quick_xml::events::Event;
use serde_json::{Map, Value};
use std::io::BufReader;
use std::path::{Path, PathBuf};

pub struct KmlReader {
    blame: Blame,
    path: PathBuf,
    kmz: bool,
    /// Holds the KML extracted from a KMZ.
    _dir: Option<tempfile::TempDir>,
}

impl KmlReader {
    pub fn open(path: &Path, blame: Blame) -> Result<KmlReader, ImportError> {
        Ok(KmlReader { blame, path: path.to_path_buf(), kmz: false, _dir: None })
    }

    pub fn open_kmz(path: &Path, blame: Blame, limits: &ImportLimits) -> Result<KmlReader, ImportError> {
        let mut archive = Archive::open(path, blame.clone(), limits)?;
        let names = archive.names();
        let kml = names
            .iter()
            .find(|n| n.eq_ignore_ascii_case("doc.kml"))
            .or_else(|| names.iter().find(|n| n.to_ascii_lowercase().ends_with(".kml")))
            .cloned()
            .ok_or_else(|| blame.file("the KMZ holds no .kml document"))?;
        let dir = tempfile::tempdir().map_err(|e| blame.file(format!("cannot make a temporary directory: {e}")))?;
        let target = archive.extract(&kml, &dir.path().join("doc.kml"))?;
        Ok(KmlReader { blame, path: target, kmz: true, _dir: Some(dir) })
    }
}

/// The Placemark being read.
#[derive(Default)]
struct Placemark {
    id: Option<String>,
    properties: Map<String, Value>,
    points: Vec<Point<f64>>,
    lines: Vec<LineString<f64>>,
    polygons: Vec<Polygon<f64>>,
    /// Rings of the polygon being read: outer first.
    rings: Vec<LineString<f64>>,
    bad_coordinates: Option<String>,
}

impl Placemark {
    fn geometry(&mut self) -> Result<Geometry<f64>, String> {
        if let Some(why) = self.bad_coordinates.take() {
            return Err(why);
        }
        let (p, l, a) =
            (std::mem::take(&mut self.points), std::mem::take(&mut self.lines), std::mem::take(&mut self.polygons));
        Ok(match (p.len(), l.len(), a.len()) {
            (0, 0, 0) => return Err("no geometry".into()),
            (1, 0, 0) => Geometry::Point(p[0]),
            (_, 0, 0) => Geometry::MultiPoint(MultiPoint(p)),
            (0, 1, 0) => Geometry::LineString(l.into_iter().next().expect("one")),
            (0, _, 0) => Geometry::MultiLineString(MultiLineString(l)),
            (0, 0, 1) => Geometry::Polygon(a.into_iter().next().expect("one")),
            (0, 0, _) => Geometry::MultiPolygon(MultiPolygon(a)),
            _ => Geometry::GeometryCollection(geo_types::GeometryCollection(
                p.into_iter()
                    .map(Geometry::Point)
                    .chain(l.into_iter().map(Geometry::LineString))
                    .chain(a.into_iter().map(Geometry::Polygon))
                    .collect(),
            )),
        })
    }
}

/// `lon,lat[,alt]` tuples separated by white space.
fn coordinates(text: &str) -> Result<Vec<Coord<f64>>, String> {
    text.split_whitespace()
        .map(|tuple| {
            let mut parts = tuple.split(',');
            let mut next = || -> Result<f64, String> {
                parts
                    .next()
                    .and_then(|p| p.trim().parse::<f64>().ok())
                    .ok_or_else(|| format!("`{tuple}` is not a lon,lat[,alt] coordinate"))
            };
            Ok(Coord { x: next()?, y: next()? })
        })
        .collect()
}

impl FeatureReader for KmlReader {
    fn format(&self) -> Format {
        if self.kmz { Format::Kmz } else { Format::Kml }
    }
    fn declared_crs(&self) -> Result<Option<Crs>, ImportError> {
        Ok(None)
    }
    fn wgs84_by_definition(&self) -> bool {
        true
    }

    fn read(&mut self, emit: &mut Emit<'_>) -> Result<(), ImportError> {
        let file = std::fs::File::open(&self.path).map_err(|e| self.blame.file(format!("cannot read: {e}")))?;
        let mut xml = quick_xml::Reader::from_reader(BufReader::with_capacity(256 * 1024, file));
        xml.config_mut().trim_text(true);
        let mut buffer = Vec::new();
        // Local names of the open elements.
        let mut stack: Vec<String> = Vec::new();
        let mut folders: Vec<String> = Vec::new();
        let mut placemark: Option<Placemark> = None;
        let mut count = 0u64;
        let mut text = String::new();
        // `name` attribute of the open Data or SimpleData element.
        let mut data_name: Option<String> = None;
        let mut saw_kml = false;
        loop {
            let position = xml.buffer_position();
            let event = xml
                .read_event_into(&mut buffer)
                .map_err(|e| self.blame.at(format!("byte {position}"), format!("not well-formed XML: {e}")))?;
            match event {
                Event::Start(e) => {
                    let name = String::from_utf8_lossy(e.local_name().as_ref()).into_owned();
                    text.clear();
                    let attribute = |key: &str| {
                        e.attributes()
                            .flatten()
                            .find(|a| a.key.local_name().as_ref() == key.as_bytes())
                            .and_then(|a| a.unescape_value().ok().map(|v| v.into_owned()))
                    };
                    match name.as_str() {
                        "kml" => saw_kml = true,
                        "Placemark" => {
                            placemark = Some(Placemark { id: attribute("id"), ..Placemark::default() });
                        }
                        "Folder" => folders.push(String::new()),
                        "Data" | "SimpleData" => data_name = attribute("name"),
                        _ => {}
                    }
                    stack.push(name);
                }
                Event::Empty(e) => {
                    let name = String::from_utf8_lossy(e.local_name().as_ref()).into_owned();
                    if name == "SimpleData"
                        && let (Some(p), Some(key)) = (
                            placemark.as_mut(),
                            e.attributes().flatten().find(|a| a.key.local_name().as_ref() == b"name"),
                        )
                    {
                        let key = String::from_utf8_lossy(&key.value).into_owned();
                        p.properties.insert(key, Value::Null);
                    }
                }
                Event::Text(t) => {
                    let piece = t
                        .unescape()
                        .map_err(|e| self.blame.at(format!("byte {position}"), format!("bad XML text: {e}")))?;
                    text.push_str(&piece);
                }
                Event::CData(t) => text.push_str(&String::from_utf8_lossy(&t)),
                Event::End(_) => {
                    let Some(name) = stack.pop() else { break };
                    let parent = stack.last().map(String::as_str).unwrap_or("");
                    let value = std::mem::take(&mut text);
                    match (name.as_str(), placemark.as_mut()) {
                        ("name", None) if parent == "Folder" => {
                            if let Some(f) = folders.last_mut() {
                                *f = value.trim().to_owned();
                            }
                        }
                        ("Folder", _) => {
                            folders.pop();
                        }
                        ("name" | "description", Some(p)) if parent == "Placemark" => {
                            p.properties.insert(name.clone(), Value::String(value.trim().to_owned()));
                        }
                        ("value", Some(p)) if parent == "Data" => {
                            if let Some(key) = data_name.clone() {
                                p.properties.insert(key, super::typed_value(&value));
                            }
                        }
                        ("SimpleData", Some(p)) => {
                            if let Some(key) = data_name.take() {
                                p.properties.insert(key, super::typed_value(&value));
                            }
                        }
                        ("coordinates", Some(p)) => match coordinates(&value) {
                            Err(why) => p.bad_coordinates = Some(why),
                            Ok(coords) => match parent {
                                "Point" => match coords.first() {
                                    Some(c) => p.points.push(Point(*c)),
                                    None => p.bad_coordinates = Some("a Point without coordinates".into()),
                                },
                                "LineString" => p.lines.push(LineString(coords)),
                                "LinearRing" => p.rings.push(LineString(coords)),
                                _ => {}
                            },
                        },
                        ("LinearRing", Some(p)) if parent != "outerBoundaryIs" && parent != "innerBoundaryIs" => {
                            // A bare LinearRing is a polygon without holes.
                            if let Some(ring) = p.rings.pop() {
                                p.polygons.push(Polygon::new(ring, vec![]));
                            }
                        }
                        ("Polygon", Some(p)) => {
                            let mut rings = std::mem::take(&mut p.rings).into_iter();
                            match rings.next() {
                                Some(outer) => p.polygons.push(Polygon::new(outer, rings.collect())),
                                None => p.bad_coordinates = Some("a Polygon without outer boundary".into()),
                            }
                        }
                        ("Placemark", Some(_)) => {
                            let mut p = placemark.take().expect("open placemark");
                            count += 1;
                            let geometry = p.geometry();
                            let label = p.properties.get("name").and_then(Value::as_str).unwrap_or("").to_owned();
                            if !folders.is_empty() {
                                let path: Vec<&str> =
                                    folders.iter().map(String::as_str).filter(|f| !f.is_empty()).collect();
                                p.properties.insert("folder".into(), Value::String(path.join(" / ")));
                            }
                            let location = if label.is_empty() {
                                format!("placemark {count}")
                            } else {
                                format!("placemark {count} \"{label}\"")
                            };
                            emit(RawFeature { geometry, properties: p.properties, source_id: p.id, location })?;
                        }
                        _ => {}
                    }
                }
                Event::Eof => {
                    if !stack.is_empty() {
                        return Err(self.blame.file(format!(
                            "the XML ends inside <{}>: the file is truncated",
                            stack.last().expect("non-empty")
                        )));
                    }
                    break;
                }
                _ => {}
            }
            buffer.clear();
        }
        if !saw_kml {
            return Err(self.blame.file("not a KML document (no <kml> element)"));
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn coordinate_tuples_are_read_with_or_without_altitude() {
        let c = coordinates(" 9.45,0.39,0 \n 9.46,0.40 ").unwrap();
        assert_eq!(c, vec![Coord { x: 9.45, y: 0.39 }, Coord { x: 9.46, y: 0.40 }]);
        assert!(coordinates("9.45;0.39").unwrap_err().contains("9.45;0.39"));
    }
}
