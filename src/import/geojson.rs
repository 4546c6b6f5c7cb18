//! GeoJSON (FeatureCollection, Feature, bare geometry) and newline-delimited
//! GeoJSON, read as a stream: a FeatureCollection's features are decoded
//! one at a time, never the whole array.

use super::{Blame, Crs, Emit, FeatureReader, Format, ImportError, RawFeature};
use serde::de::{DeserializeSeed, Error as _, MapAccess, SeqAccess, Visitor};
use serde_json::{Map, Value};
use std::fmt;
use std::io::{BufRead, BufReader, Read};
use std::path::{Path, PathBuf};

pub struct GeoJsonReader {
    path: PathBuf,
    blame: Blame,
    line_delimited: bool,
}

impl GeoJsonReader {
    pub fn open(path: &Path, blame: Blame, line_delimited: bool) -> GeoJsonReader {
        GeoJsonReader { path: path.to_path_buf(), blame, line_delimited }
    }

    fn file(&self) -> Result<BufReader<std::fs::File>, ImportError> {
        std::fs::File::open(&self.path)
            .map(|f| BufReader::with_capacity(256 * 1024, f))
            .map_err(|e| self.blame.file(format!("cannot read: {e}")))
    }
}

impl FeatureReader for GeoJsonReader {
    fn format(&self) -> Format {
        if self.line_delimited { Format::GeoJsonSeq } else { Format::GeoJson }
    }

    /// The legacy (2008) `crs` member, when it comes before the features.
    fn declared_crs(&self) -> Result<Option<Crs>, ImportError> {
        let mut head = Vec::with_capacity(64 * 1024);
        self.file()?.take(64 * 1024).read_to_end(&mut head).map_err(|e| self.blame.file(e.to_string()))?;
        let head = String::from_utf8_lossy(&head);
        let Some(at) = head.find("\"crs\"") else { return Ok(None) };
        if head.find("\"features\"").is_some_and(|f| f < at) {
            return Ok(None);
        }
        let after = head[at + 5..].trim_start().trim_start_matches(':');
        let Some(Ok(member)) = serde_json::Deserializer::from_str(after).into_iter::<Value>().next() else {
            return Ok(None);
        };
        let name = member.pointer("/properties/name").and_then(Value::as_str);
        match name {
            Some(name) => Crs::parse(name).map(Some).map_err(|e| self.blame.at("crs member", e)),
            None => Ok(None),
        }
    }

    fn wgs84_by_definition(&self) -> bool {
        true
    }

    fn read(&mut self, emit: &mut Emit<'_>) -> Result<(), ImportError> {
        if self.line_delimited {
            return self.read_lines(emit);
        }
        let mut state = State { emit, blame: &self.blame, index: 0, stopped: None, members: Map::new() };
        let mut de = serde_json::Deserializer::from_reader(self.file()?);
        let outcome = TopLevel { state: &mut state }.deserialize(&mut de).and_then(|()| de.end());
        if let Some(stop) = state.stopped.take() {
            return Err(stop);
        }
        if let Err(e) = outcome {
            return Err(self.blame.at(
                format!("line {}, column {}", e.line(), e.column()),
                format!("not valid GeoJSON: {}", strip_position(&e)),
            ));
        }
        // A lone Feature or geometry: its members were collected.
        let members = std::mem::take(&mut state.members);
        match members.get("type").and_then(Value::as_str) {
            Some("FeatureCollection") => Ok(()),
            Some("Feature") => state.feature(Value::Object(members)),
            Some(
                "Point" | "MultiPoint" | "LineString" | "MultiLineString" | "Polygon" | "MultiPolygon"
                | "GeometryCollection",
            ) => state.feature(serde_json::json!({"type": "Feature", "geometry": members, "properties": {}})),
            Some(other) => Err(self.blame.file(format!("`{other}` is not a GeoJSON object type"))),
            None => Err(self.blame.file("not GeoJSON: the object has no `type`")),
        }
    }
}

impl GeoJsonReader {
    fn read_lines(&mut self, emit: &mut Emit<'_>) -> Result<(), ImportError> {
        let mut state = State { emit, blame: &self.blame, index: 0, stopped: None, members: Map::new() };
        for (n, line) in self.file()?.lines().enumerate() {
            let line = line.map_err(|e| self.blame.at(format!("line {}", n + 1), e.to_string()))?;
            // RFC 8142 record separators are allowed before each text.
            let text = line.trim().trim_start_matches('\u{1e}');
            if text.is_empty() {
                continue;
            }
            let value: Value = serde_json::from_str(text).map_err(|e| {
                self.blame.at(format!("line {}", n + 1), format!("not valid JSON: {}", strip_position(&e)))
            })?;
            let value = match value.get("type").and_then(Value::as_str) {
                Some("Feature") => value,
                Some(_) => serde_json::json!({"type": "Feature", "geometry": value, "properties": {}}),
                None => return Err(self.blame.at(format!("line {}", n + 1), "not a GeoJSON object: no `type`")),
            };
            state.feature_at(value, format!("line {}", n + 1))?;
        }
        Ok(())
    }
}

fn strip_position(e: &serde_json::Error) -> String {
    let text = e.to_string();
    match text.rfind(" at line ") {
        Some(at) => text[..at].to_owned(),
        None => text,
    }
}

struct State<'a, 'b> {
    emit: &'a mut Emit<'b>,
    blame: &'a Blame,
    index: u64,
    /// Set when `emit` refused a feature: the parse stops with this error.
    stopped: Option<ImportError>,
    /// Top-level members other than `features`.
    members: Map<String, Value>,
}

impl State<'_, '_> {
    fn feature(&mut self, value: Value) -> Result<(), ImportError> {
        let location = format!("feature {}", self.index);
        self.feature_at(value, location)
    }

    fn feature_at(&mut self, value: Value, location: String) -> Result<(), ImportError> {
        self.index += 1;
        let raw = to_raw(value, location).map_err(|(at, why)| self.blame.at(at, why))?;
        (self.emit)(raw)
    }
}

/// A GeoJSON Feature as a [`RawFeature`]; an unreadable geometry becomes a
/// feature without geometry (skipped with a warning), a malformed feature an error.
fn to_raw(value: Value, location: String) -> Result<RawFeature, (String, String)> {
    let Value::Object(mut object) = value else {
        return Err((location, "a feature must be a JSON object".into()));
    };
    if object.get("type").and_then(Value::as_str) != Some("Feature") {
        return Err((location, "a member of `features` is not a Feature".into()));
    }
    let properties = match object.remove("properties") {
        Some(Value::Object(p)) => p,
        None | Some(Value::Null) => Map::new(),
        Some(_) => return Err((location, "`properties` must be an object or null".into())),
    };
    let source_id = match object.remove("id") {
        Some(Value::String(s)) => Some(s),
        Some(Value::Number(n)) => Some(n.to_string()),
        _ => None,
    };
    let geometry = match object.remove("geometry") {
        None | Some(Value::Null) => Err("no geometry".to_owned()),
        Some(g) => serde_json::from_value::<geojson::Geometry>(g)
            .map_err(|e| format!("not a GeoJSON geometry: {}", strip_position(&e)))
            .and_then(|g| match short_position(&g.value) {
                true => Err("a position has fewer than two numbers (longitude, latitude)".to_owned()),
                false => geo_types::Geometry::<f64>::try_from(&g.value).map_err(|e| format!("unusable geometry: {e}")),
            }),
    };
    Ok(RawFeature { geometry, properties, source_id, location })
}

/// Whether a position has fewer than two numbers: the geojson crate parses
/// `[13.2]` as a position, then panics converting it (it indexes `[1]`).
fn short_position(value: &geojson::GeometryValue) -> bool {
    use geojson::GeometryValue as V;
    let short = |p: &geojson::Position| p.as_slice().len() < 2;
    match value {
        V::Point { coordinates } => short(coordinates),
        V::MultiPoint { coordinates } | V::LineString { coordinates } => coordinates.iter().any(short),
        V::MultiLineString { coordinates } | V::Polygon { coordinates } => coordinates.iter().flatten().any(short),
        V::MultiPolygon { coordinates } => coordinates.iter().flatten().flatten().any(short),
        V::GeometryCollection { geometries } => geometries.iter().any(|g| short_position(&g.value)),
    }
}

struct TopLevel<'s, 'a, 'b> {
    state: &'s mut State<'a, 'b>,
}

impl<'de> DeserializeSeed<'de> for TopLevel<'_, '_, '_> {
    type Value = ();
    fn deserialize<D: serde::Deserializer<'de>>(self, deserializer: D) -> Result<(), D::Error> {
        deserializer.deserialize_map(self)
    }
}

impl<'de> Visitor<'de> for TopLevel<'_, '_, '_> {
    type Value = ();
    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a GeoJSON object")
    }
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<(), A::Error> {
        while let Some(key) = map.next_key::<String>()? {
            if key == "features" {
                map.next_value_seed(Features { state: &mut *self.state })?;
            } else {
                let value: Value = map.next_value()?;
                self.state.members.insert(key, value);
            }
        }
        Ok(())
    }
}

struct Features<'s, 'a, 'b> {
    state: &'s mut State<'a, 'b>,
}

impl<'de> DeserializeSeed<'de> for Features<'_, '_, '_> {
    type Value = ();
    fn deserialize<D: serde::Deserializer<'de>>(self, deserializer: D) -> Result<(), D::Error> {
        deserializer.deserialize_seq(self)
    }
}

impl<'de> Visitor<'de> for Features<'_, '_, '_> {
    type Value = ();
    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("an array of features")
    }
    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<(), A::Error> {
        while let Some(value) = seq.next_element::<Value>()? {
            if let Err(stop) = self.state.feature(value) {
                self.state.stopped = Some(stop);
                return Err(A::Error::custom("stopped"));
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn geometries(path: &Path, line_delimited: bool) -> Vec<Result<geo_types::Geometry<f64>, String>> {
        let mut reader = GeoJsonReader::open(path, Blame::new("t.geojson"), line_delimited);
        let mut out = Vec::new();
        reader
            .read(&mut |f| {
                out.push(f.geometry);
                Ok(())
            })
            .unwrap();
        out
    }

    #[test]
    fn a_position_of_one_number_skips_its_feature_instead_of_panicking() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("t.geojsonl");
        std::fs::write(
            &path,
            concat!(
                r#"{"type":"Feature","properties":{},"geometry":{"type":"Point","coordinates":[13.2]}}"#,
                "\n",
                r#"{"type":"Feature","properties":{},"geometry":{"type":"Polygon","coordinates":[[[13,-1],[13.1],[13,-1.1],[13,-1]]]}}"#,
                "\n",
                r#"{"type":"Feature","properties":{},"geometry":{"type":"GeometryCollection","geometries":[{"type":"MultiPoint","coordinates":[[1,2],[]]}]}}"#,
                "\n",
                r#"{"type":"Feature","properties":{},"geometry":{"type":"Point","coordinates":[13.2,-1.5]}}"#,
                "\n"
            ),
        )
        .unwrap();
        let read = geometries(&path, true);
        let why = "a position has fewer than two numbers (longitude, latitude)";
        // A Point's own position the geojson crate checks; those inside arrays it does not.
        assert!(read[0].as_ref().is_err_and(|e| e.contains("two or more")), "{:?}", read[0]);
        assert_eq!(read[1..3], [Err(why.to_owned()), Err(why.to_owned())]);
        assert!(read[3].is_ok());
        // The file the fuzz harness found: a ring's last position cut to one number.
        let found = Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("tests/fixtures/geojson/regressions/one-number-position.geojson");
        assert_eq!(geometries(&found, false).iter().filter(|g| g.as_ref().is_err_and(|e| e == why)).count(), 1);
    }
}
