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
