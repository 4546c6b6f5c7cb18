//! KML and KMZ, read as an XML stream: every Placemark, in nested Folders,
//! with its name, description, ExtendedData (Data and SchemaData/SimpleData)
//! and geometry (Point, LineString, LinearRing, Polygon, MultiGeometry).

use super::archive::Archive;
use super::{Blame, Crs, Emit, FeatureReader, Format, ImportError, ImportLimits, RawFeature};
use geo_types::{Coord, Geometry, LineString, MultiLineString, MultiPoint, MultiPolygon, Point, Polygon};
use quick_xml::events::Event;
use serde_json::{Map, Value};
use std::collections::HashMap;
use std::io::BufReader;
use std::path::{Path, PathBuf};

pub struct KmlReader {
    blame: Blame,
    path: PathBuf,
    kmz: bool,
    /// The root document's name in the KMZ.
    root: String,
    /// Every other `.kml` of a KMZ, by its name in the archive: read when a
    /// NetworkLink of a document read links to it (GDAL's LIBKML driver
    /// writes a `doc.kml` that only links to `layers/<layer>.kml`).
    linked: HashMap<String, PathBuf>,
    /// Holds the KML extracted from a KMZ.
    _dir: Option<tempfile::TempDir>,
}

impl KmlReader {
    pub fn open(path: &Path, blame: Blame) -> Result<KmlReader, ImportError> {
        Ok(KmlReader {
            blame,
            path: path.to_path_buf(),
            kmz: false,
            root: String::new(),
            linked: HashMap::new(),
            _dir: None,
        })
    }

    pub fn open_kmz(path: &Path, blame: Blame, limits: &ImportLimits) -> Result<KmlReader, ImportError> {
        let mut archive = Archive::open(path, blame.clone(), limits)?;
        let names = archive.names();
        let is_kml = |n: &&String| n.to_ascii_lowercase().ends_with(".kml");
        let kml = names
            .iter()
            .find(|n| n.eq_ignore_ascii_case("doc.kml"))
            .or_else(|| names.iter().find(is_kml))
            .cloned()
            .ok_or_else(|| blame.file("the KMZ holds no .kml document"))?;
        let dir = tempfile::tempdir().map_err(|e| blame.file(format!("cannot make a temporary directory: {e}")))?;
        let target = archive.extract(&kml, &dir.path().join("doc.kml"))?;
        // Within the archive's limits (entries, uncompressed bytes), like the root.
        let mut linked = HashMap::new();
        for (i, name) in names.iter().filter(is_kml).filter(|n| **n != kml).enumerate() {
            let path = archive.extract(name, &dir.path().join(format!("linked-{i}.kml")))?;
            linked.insert(name.clone(), path);
        }
        Ok(KmlReader { blame, path: target, kmz: true, root: kml, linked, _dir: Some(dir) })
    }
}

/// Errors in a document: those of a linked one say which document.
struct DocumentBlame<'a> {
    blame: &'a Blame,
    document: Option<&'a str>,
}

impl DocumentBlame<'_> {
    fn file(&self, message: impl Into<String>) -> ImportError {
        match self.document {
            None => self.blame.file(message),
            Some(document) => self.blame.at(document, message),
        }
    }
    fn at(&self, location: impl Into<String>, message: impl Into<String>) -> ImportError {
        match self.document {
            None => self.blame.at(location, message),
            Some(document) => self.blame.at(format!("{document}, {}", location.into()), message),
        }
    }
}

/// The archive name `href` stands for, relative to the document `from`;
/// `None` for a URL or a path leaving the archive.
fn resolve(from: &str, href: &str) -> Option<String> {
    let href = href.trim();
    if href.is_empty() || href.contains(':') || href.starts_with('/') || href.starts_with('\\') {
        return None;
    }
    let mut parts: Vec<&str> = from.split('/').collect();
    parts.pop();
    for part in href.split('/') {
        match part {
            "" | "." => {}
            ".." => {
                parts.pop()?;
            }
            part => parts.push(part),
        }
    }
    Some(parts.join("/"))
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

    /// The document, then those its NetworkLinks link to within a KMZ (each once).
    fn read(&mut self, emit: &mut Emit<'_>) -> Result<(), ImportError> {
        let mut count = 0u64;
        let mut queue = vec![(self.root.clone(), self.path.clone())];
        let mut seen = vec![self.root.clone()];
        while let Some((name, path)) = queue.pop() {
            let mut links = Vec::new();
            self.read_document(&path, &name, emit, &mut count, &mut links)?;
            // In document order: the queue is a stack.
            for link in links.iter().rev() {
                if let Some(target) = resolve(&name, link).filter(|t| !seen.contains(t))
                    && let Some(path) = self.linked.get(&target)
                {
                    seen.push(target.clone());
                    queue.push((target, path.clone()));
                }
            }
        }
        Ok(())
    }
}

impl KmlReader {
    /// Reads one document; `links` gets the hrefs of its NetworkLinks.
    fn read_document(
        &self,
        path: &Path,
        name: &str,
        emit: &mut Emit<'_>,
        count: &mut u64,
        links: &mut Vec<String>,
    ) -> Result<(), ImportError> {
        // Errors in a linked document say which one.
        let blame = DocumentBlame { blame: &self.blame, document: (name != self.root).then_some(name) };
        let file = std::fs::File::open(path).map_err(|e| blame.file(format!("cannot read: {e}")))?;
        let mut xml = quick_xml::Reader::from_reader(BufReader::with_capacity(256 * 1024, file));
        xml.config_mut().trim_text(true);
        let mut buffer = Vec::new();
        // Local names of the open elements.
        let mut stack: Vec<String> = Vec::new();
        let mut folders: Vec<String> = Vec::new();
        let mut placemark: Option<Placemark> = None;
        let mut text = String::new();
        // `name` attribute of the open Data or SimpleData element.
        let mut data_name: Option<String> = None;
        let mut saw_kml = false;
        loop {
            let position = xml.buffer_position();
            let event = xml
                .read_event_into(&mut buffer)
                .map_err(|e| blame.at(format!("byte {position}"), format!("not well-formed XML: {e}")))?;
            match event {
                Event::Start(e) => {
                    let name = String::from_utf8_lossy(e.local_name().as_ref()).into_owned();
                    text.clear();
                    // Without the duplicate check, which compares each attribute with all
                    // before it: 20 000 attributes on a Placemark took seconds.
                    let attribute = |key: &str| {
                        e.attributes()
                            .with_checks(false)
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
                            e.attributes()
                                .with_checks(false)
                                .flatten()
                                .find(|a| a.key.local_name().as_ref() == b"name"),
                        )
                    {
                        let key = String::from_utf8_lossy(&key.value).into_owned();
                        p.properties.insert(key, Value::Null);
                    }
                }
                Event::Text(t) => {
                    let piece =
                        t.unescape().map_err(|e| blame.at(format!("byte {position}"), format!("bad XML text: {e}")))?;
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
                        ("href", _)
                            if matches!(parent, "Link" | "Url")
                                && stack.len() >= 2
                                && stack[stack.len() - 2] == "NetworkLink" =>
                        {
                            links.push(value);
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
                            *count += 1;
                            let geometry = p.geometry();
                            let label = p.properties.get("name").and_then(Value::as_str).unwrap_or("").to_owned();
                            if !folders.is_empty() {
                                let path: Vec<&str> =
                                    folders.iter().map(String::as_str).filter(|f| !f.is_empty()).collect();
                                p.properties.insert("folder".into(), Value::String(path.join(" / ")));
                            }
                            let location = if label.is_empty() {
                                format!("placemark {}", *count)
                            } else {
                                format!("placemark {} \"{label}\"", *count)
                            };
                            emit(RawFeature { geometry, properties: p.properties, source_id: p.id, location })?;
                        }
                        _ => {}
                    }
                }
                Event::Eof => {
                    if !stack.is_empty() {
                        return Err(blame.file(format!(
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
            return Err(blame.file("not a KML document (no <kml> element)"));
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_placemark_with_many_attributes_is_read_in_linear_time() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("t.kml");
        let attributes: Vec<String> = (0..100_000).map(|i| format!("a{i}=\"1\"")).collect();
        std::fs::write(
            &path,
            format!(
                "<kml><Placemark {} id=\"p\"><SimpleData {} name=\"k\"/><Point><coordinates>13.2,-1.5</coordinates></Point></Placemark></kml>",
                attributes.join(" "),
                attributes.join(" ")
            ),
        )
        .unwrap();
        let started = std::time::Instant::now();
        let mut ids = Vec::new();
        KmlReader::open(&path, Blame::new("t.kml"))
            .unwrap()
            .read(&mut |f| {
                ids.push((f.source_id, f.properties.contains_key("k")));
                Ok(())
            })
            .unwrap();
        assert_eq!(ids, [(Some("p".to_owned()), true)]);
        // Minutes with the duplicate check (quadratic).
        assert!(started.elapsed() < std::time::Duration::from_secs(5), "{:?}", started.elapsed());
    }

    #[test]
    fn network_links_resolve_within_the_archive_only() {
        assert_eq!(resolve("doc.kml", "layers/a.kml").as_deref(), Some("layers/a.kml"));
        assert_eq!(resolve("layers/a.kml", "../b.kml").as_deref(), Some("b.kml"));
        assert_eq!(resolve("layers/a.kml", "./c/./d.kml").as_deref(), Some("layers/c/d.kml"));
        assert_eq!(resolve("doc.kml", "../outside.kml"), None);
        assert_eq!(resolve("doc.kml", "https://example.org/a.kml"), None);
        assert_eq!(resolve("doc.kml", "/etc/a.kml"), None);
    }

    #[test]
    fn a_kmz_written_by_gdal_libkml_is_read_through_its_network_link() {
        // doc.kml holds only a NetworkLink to layers/deposits.kml, as GDAL's LIBKML driver writes it.
        let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/kmz/deposits.kmz");
        let mut reader =
            KmlReader::open_kmz(&path, Blame::new("deposits.kmz"), &crate::import::ImportLimits::default()).unwrap();
        let mut names = Vec::new();
        reader
            .read(&mut |f| {
                names.push(f.properties["nom"].as_str().unwrap_or_default().to_owned());
                Ok(())
            })
            .unwrap();
        assert_eq!(names.len(), 7, "{names:?}");
        assert_eq!(names[0], "Mékambo – Bélinga");
    }

    #[test]
    fn coordinate_tuples_are_read_with_or_without_altitude() {
        let c = coordinates(" 9.45,0.39,0 \n 9.46,0.40 ").unwrap();
        assert_eq!(c, vec![Coord { x: 9.45, y: 0.39 }, Coord { x: 9.46, y: 0.40 }]);
        assert!(coordinates("9.45;0.39").unwrap_err().contains("9.45;0.39"));
    }
}
