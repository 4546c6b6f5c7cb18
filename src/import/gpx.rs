//! GPX 1.0/1.1: waypoints (points), routes (lines) and tracks (multi-lines),
//! each with its name, description and type; `gpx_kind` tells which.

use super::{Blame, Crs, Emit, FeatureReader, Format, ImportError, RawFeature};
use geo_types::Geometry;
use serde_json::{Map, Value};
use std::io::BufReader;
use std::path::{Path, PathBuf};

pub struct GpxReader {
    blame: Blame,
    path: PathBuf,
}

impl GpxReader {
    pub fn open(path: &Path, blame: Blame) -> GpxReader {
        GpxReader { blame, path: path.to_path_buf() }
    }
}

fn properties(kind: &str, fields: [(&str, Option<&String>); 4], extra: Option<(&str, Value)>) -> Map<String, Value> {
    let mut map = Map::new();
    map.insert("gpx_kind".into(), Value::from(kind));
    for (key, value) in fields {
        map.insert(key.into(), value.map(|v| Value::from(v.as_str())).unwrap_or(Value::Null));
    }
    if let Some((key, value)) = extra {
        map.insert(key.into(), value);
    }
    map
}

/// Deepest element nesting and most namespace declarations a GPX may have
/// (a GPX has about five levels and a handful of namespaces). xml-rs, which
/// the gpx crate reads with, copies the namespaces in scope for every
/// element it reads: 100 000 nested elements, or 5 000 declarations before
/// 20 000 elements (a file of 180 KB), each kept a core busy for minutes.
const MAX_DEPTH: usize = 64;
const MAX_NAMESPACES: usize = 64;

/// Refuses a file beyond [`MAX_DEPTH`] or [`MAX_NAMESPACES`], in one linear
/// pass; syntax errors are left to the GPX parser, which names them.
fn check_shape(path: &Path, blame: &Blame) -> Result<(), ImportError> {
    use quick_xml::events::{BytesStart, Event};
    let file = std::fs::File::open(path).map_err(|e| blame.file(format!("cannot read: {e}")))?;
    let mut xml = quick_xml::Reader::from_reader(BufReader::new(file));
    let declarations = |e: &BytesStart| {
        e.attributes()
            .with_checks(false)
            .flatten()
            .filter(|a| a.key.as_ref() == b"xmlns" || a.key.as_ref().starts_with(b"xmlns:"))
            .count()
    };
    let (mut buffer, mut depth, mut namespaces) = (Vec::new(), 0usize, 0usize);
    loop {
        match xml.read_event_into(&mut buffer) {
            Ok(Event::Start(e)) => {
                depth += 1;
                namespaces += declarations(&e);
            }
            Ok(Event::Empty(e)) => namespaces += declarations(&e),
            Ok(Event::End(_)) => depth = depth.saturating_sub(1),
            Ok(Event::Eof) | Err(_) => return Ok(()),
            Ok(_) => {}
        }
        if depth > MAX_DEPTH {
            return Err(blame.file(format!("not a GPX file: elements nested deeper than {MAX_DEPTH} levels")));
        }
        if namespaces > MAX_NAMESPACES {
            return Err(blame.file(format!("not a GPX file: more than {MAX_NAMESPACES} namespace declarations")));
        }
        buffer.clear();
    }
}

impl FeatureReader for GpxReader {
    fn format(&self) -> Format {
        Format::Gpx
    }
    fn declared_crs(&self) -> Result<Option<Crs>, ImportError> {
        Ok(None)
    }
    fn wgs84_by_definition(&self) -> bool {
        true
    }

    /// GPX files are read whole: they are GPS logs, not bulk data.
    fn read(&mut self, emit: &mut Emit<'_>) -> Result<(), ImportError> {
        check_shape(&self.path, &self.blame)?;
        let file = std::fs::File::open(&self.path).map_err(|e| self.blame.file(format!("cannot read: {e}")))?;
        let gpx = gpx::read(BufReader::new(file)).map_err(|e| self.blame.file(format!("not a valid GPX file: {e}")))?;
        for (i, w) in gpx.waypoints.iter().enumerate() {
            let fields = [
                ("name", w.name.as_ref()),
                ("description", w.description.as_ref()),
                ("comment", w.comment.as_ref()),
                ("type", w.type_.as_ref()),
            ];
            let elevation = w.elevation.map(|e| ("elevation", Value::from(e)));
            emit(RawFeature {
                geometry: Ok(Geometry::Point(w.point())),
                properties: properties("waypoint", fields, elevation),
                source_id: None,
                location: format!("waypoint {}", i + 1),
            })?;
        }
        for (i, r) in gpx.routes.iter().enumerate() {
            let fields = [
                ("name", r.name.as_ref()),
                ("description", r.description.as_ref()),
                ("comment", r.comment.as_ref()),
                ("type", r.type_.as_ref()),
            ];
            emit(RawFeature {
                geometry: Ok(Geometry::LineString(r.linestring())),
                properties: properties("route", fields, None),
                source_id: None,
                location: format!("route {}", i + 1),
            })?;
        }
        for (i, t) in gpx.tracks.iter().enumerate() {
            let fields = [
                ("name", t.name.as_ref()),
                ("description", t.description.as_ref()),
                ("comment", t.comment.as_ref()),
                ("type", t.type_.as_ref()),
            ];
            emit(RawFeature {
                geometry: Ok(Geometry::MultiLineString(t.multilinestring())),
                properties: properties("track", fields, None),
                source_id: None,
                location: format!("track {}", i + 1),
            })?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn read(text: &str) -> Result<usize, ImportError> {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("t.gpx");
        std::fs::write(&path, text).unwrap();
        let mut count = 0;
        GpxReader::open(&path, Blame::new("t.gpx")).read(&mut |_| {
            count += 1;
            Ok(())
        })?;
        Ok(count)
    }

    fn gpx(namespaces: &str, extensions: &str) -> String {
        format!(
            r#"<?xml version="1.0"?><gpx version="1.1" creator="t" xmlns="http://www.topografix.com/GPX/1/1" {namespaces}>
            <wpt lat="-1.5" lon="13.2"><name>Camp</name><extensions>{extensions}</extensions></wpt></gpx>"#
        )
    }

    #[test]
    fn deep_nesting_and_namespace_floods_are_refused_before_the_quadratic_parser() {
        let started = std::time::Instant::now();
        let deep = gpx("", &format!("{}{}", "<a>".repeat(100_000), "</a>".repeat(100_000)));
        assert!(read(&deep).unwrap_err().message.contains("nested deeper than 64"));
        let namespaces: Vec<String> = (0..5000).map(|i| format!("xmlns:n{i}=\"urn:n{i}\"")).collect();
        let flood = gpx(&namespaces.join(" "), &"<a/>".repeat(20_000));
        assert!(read(&flood).unwrap_err().message.contains("more than 64 namespace declarations"));
        // Each took minutes before.
        assert!(started.elapsed() < std::time::Duration::from_secs(10), "{:?}", started.elapsed());
        // Garmin's extensions, as devices write them, are read.
        let garmin = gpx(
            r#"xmlns:gpxtpx="http://www.garmin.com/xmlschemas/TrackPointExtension/v1" xmlns:gpxx="http://www.garmin.com/xmlschemas/GpxExtensions/v3""#,
            "<gpxtpx:TrackPointExtension><gpxtpx:hr>120</gpxtpx:hr></gpxtpx:TrackPointExtension>",
        );
        assert_eq!(read(&garmin).unwrap(), 1);
    }
}
