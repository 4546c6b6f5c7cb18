//! GeoJSON geometry input (RFC 7946), validated, and output.

use crate::error::{AppError, AppResult};
use crate::spatial::validity::{self, Problem};
use geo_types::Geometry;
use geojson::{GeometryValue, PolygonType, Position};
use std::fmt;
use std::sync::atomic::AtomicBool;

/// The GeoJSON geometry types an entity accepts.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum GeometryType {
    Point,
    MultiPoint,
    LineString,
    MultiLineString,
    Polygon,
    MultiPolygon,
}

impl fmt::Display for GeometryType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(self, f)
    }
}

/// Every type, for inputs such as spatial filters that accept any geometry.
pub const ANY_GEOMETRY: &[GeometryType] = &[
    GeometryType::Point,
    GeometryType::MultiPoint,
    GeometryType::LineString,
    GeometryType::MultiLineString,
    GeometryType::Polygon,
    GeometryType::MultiPolygon,
];

/// Parses and validates a GeoJSON geometry object, as [`read_geometry`]
/// does, after refusing one of more than `max_vertices` positions
/// (`ODG_MAX_GEOMETRY_VERTICES`) before any other work. A large geometry is
/// checked on a blocking thread (see [`crate::cpu`]), so that its checks
/// never hold the server's async workers.
pub async fn parse_geometry(
    value: serde_json::Value,
    allowed: &'static [GeometryType],
    max_vertices: usize,
) -> AppResult<Geometry<f64>> {
    let positions = value.get("coordinates").map_or(0, count_positions);
    if positions > max_vertices {
        return Err(AppError::invalid(
            "coordinates",
            format!(
                "has {positions} positions, more than the {max_vertices} one geometry may have \
                 (ODG_MAX_GEOMETRY_VERTICES); simplify it or split it"
            ),
        ));
    }
    if positions < crate::cpu::HEAVY_VERTICES {
        return read_geometry(value, allowed, &AtomicBool::new(false));
    }
    crate::cpu::heavy(move |stop| read_geometry(value, allowed, stop)).await?
}

/// The positions of a GeoJSON `coordinates` member, whatever its nesting:
/// arrays of numbers count one each.
fn count_positions(coordinates: &serde_json::Value) -> usize {
    match coordinates {
        serde_json::Value::Array(items) if items.first().is_some_and(serde_json::Value::is_number) => 1,
        serde_json::Value::Array(items) => items.iter().map(count_positions).sum(),
        _ => 0,
    }
}

/// Parses and validates a GeoJSON geometry object, on the calling thread.
///
/// Checks, with a reason a person can act on: the object is a GeoJSON
/// geometry of one of the `allowed` types; every position is a finite
/// longitude in [-180, 180] and latitude in [-90, 90]; line strings have two
/// positions or more; polygon rings have four or more and are closed; and
/// polygons are valid (no self-intersection, holes inside their shell).
/// An altitude, where given, is dropped: ODG stores 2D geometry. Once `stop`
/// is set the check gives up with [`AppError::Timeout`].
///
/// Errors carry the path inside the geometry (e.g. `coordinates[0][3]`);
/// the caller puts them under its argument with [`AppError::under`].
pub fn read_geometry(
    value: serde_json::Value,
    allowed: &[GeometryType],
    stop: &AtomicBool,
) -> AppResult<Geometry<f64>> {
    let object = value.as_object().ok_or_else(|| {
        AppError::invalid(
            "",
            "expected a GeoJSON geometry object such as {\"type\": \"Point\", \"coordinates\": [13.2, -1.57]}",
        )
    })?;
    let type_name = object
        .get("type")
        .and_then(|t| t.as_str())
        .ok_or_else(|| AppError::invalid("type", "missing the GeoJSON \"type\" member"))?;
    let gtype = match type_name {
        "Point" => GeometryType::Point,
        "MultiPoint" => GeometryType::MultiPoint,
        "LineString" => GeometryType::LineString,
        "MultiLineString" => GeometryType::MultiLineString,
        "Polygon" => GeometryType::Polygon,
        "MultiPolygon" => GeometryType::MultiPolygon,
        "GeometryCollection" | "Feature" | "FeatureCollection" => {
            return Err(AppError::invalid(
                "type",
                format!("a {type_name} is not accepted here; send a single geometry of type {}", list(allowed)),
            ));
        }
        other => {
            return Err(AppError::invalid("type", format!("\"{other}\" is not a GeoJSON geometry type")));
        }
    };
    if !allowed.contains(&gtype) {
        return Err(AppError::invalid("type", format!("a {gtype} is not accepted here; expected {}", list(allowed))));
    }
    let parsed: geojson::Geometry = serde_json::from_value(value)
        .map_err(|e| AppError::invalid("coordinates", format!("not valid GeoJSON coordinates for a {gtype}: {e}")))?;
    check_positions(&parsed.value)?;
    let geometry = Geometry::<f64>::try_from(&parsed.value)
        .map_err(|e| AppError::invalid("coordinates", format!("cannot read the geometry: {e}")))?;
    match validity::check(&geometry, stop) {
        Ok(()) => Ok(geometry),
        Err(Problem::Invalid(problem)) => Err(AppError::invalid("coordinates", format!("invalid {gtype}: {problem}"))),
        Err(Problem::Interrupted) => Err(AppError::Timeout { after: None }),
    }
}

fn list(types: &[GeometryType]) -> String {
    let names: Vec<String> = types.iter().map(|t| t.to_string()).collect();
    names.join(" or ")
}

fn check_positions(value: &GeometryValue) -> AppResult<()> {
    use GeometryValue as V;
    let path = "coordinates";
    match value {
        V::Point { coordinates } => check_position(coordinates, path.into()),
        V::MultiPoint { coordinates } => each(coordinates, path, check_position),
        V::LineString { coordinates } => check_line(coordinates, path),
        V::MultiLineString { coordinates } => each(coordinates, path, |l, p| check_line(l, &p)),
        V::Polygon { coordinates } => check_polygon(coordinates, path),
        V::MultiPolygon { coordinates } => each(coordinates, path, |poly, p| check_polygon(poly, &p)),
        V::GeometryCollection { .. } => Err(AppError::invalid("type", "a GeometryCollection is not accepted here")),
    }
}

fn each<T>(items: &[T], path: &str, check: impl Fn(&T, String) -> AppResult<()>) -> AppResult<()> {
    if items.is_empty() {
        return Err(AppError::invalid(path, "is empty"));
    }
    items.iter().enumerate().try_for_each(|(i, item)| check(item, format!("{path}[{i}]")))
}

fn check_position(p: &Position, path: String) -> AppResult<()> {
    let p: &[f64] = p.as_slice();
    if p.len() < 2 {
        return Err(AppError::invalid(path, "a position needs a longitude and a latitude"));
    }
    if p.iter().any(|c| !c.is_finite()) {
        return Err(AppError::invalid(path, "coordinates must be finite numbers"));
    }
    let (lon, lat) = (p[0], p[1]);
    if !(-180.0..=180.0).contains(&lon) {
        return Err(AppError::invalid(
            path,
            format!("longitude {lon} is outside [-180, 180]; GeoJSON positions are [longitude, latitude] in WGS84"),
        ));
    }
    if !(-90.0..=90.0).contains(&lat) {
        return Err(AppError::invalid(
            path,
            format!("latitude {lat} is outside [-90, 90]; GeoJSON positions are [longitude, latitude] in WGS84"),
        ));
    }
    Ok(())
}

fn check_line(line: &[Position], path: &str) -> AppResult<()> {
    each(line, path, check_position)?;
    if line.len() < 2 {
        return Err(AppError::invalid(path, "a line string needs at least two positions"));
    }
    if line.iter().all(|p| p.as_slice()[..2] == line[0].as_slice()[..2]) {
        return Err(AppError::invalid(path, "a line string needs two distinct positions"));
    }
    Ok(())
}

fn check_polygon(rings: &PolygonType, path: &str) -> AppResult<()> {
    each(rings, path, |ring, path| {
        each(ring, &path, check_position)?;
        if ring.len() < 4 {
            return Err(AppError::invalid(
                path,
                "a polygon ring needs at least four positions (the first repeated last)",
            ));
        }
        let (first, last) = (&ring[0].as_slice()[..2], &ring[ring.len() - 1].as_slice()[..2]);
        if first != last {
            return Err(AppError::invalid(
                path,
                format!("the ring is not closed: its last position {last:?} must repeat its first {first:?}"),
            ));
        }
        Ok(())
    })
}

/// A geometry as a GeoJSON geometry object (RFC 7946).
pub fn to_geojson(geometry: &Geometry<f64>) -> serde_json::Value {
    let value = GeometryValue::from(geometry);
    serde_json::to_value(geojson::Geometry::new(value)).unwrap_or(serde_json::Value::Null)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn parse_geometry(v: &serde_json::Value, allowed: &[GeometryType]) -> AppResult<Geometry<f64>> {
        read_geometry(v.clone(), allowed, &AtomicBool::new(false))
    }

    fn reason(v: serde_json::Value, allowed: &[GeometryType]) -> (String, String) {
        match parse_geometry(&v, allowed) {
            Err(AppError::Invalid { field, reason }) => (field, reason),
            other => panic!("expected an invalid-input error, got {other:?}"),
        }
    }

    #[test]
    fn a_point_round_trips() {
        let v = json!({"type": "Point", "coordinates": [13.2, -1.566]});
        let g = parse_geometry(&v, ANY_GEOMETRY).unwrap();
        assert_eq!(to_geojson(&g), v);
    }

    #[test]
    fn an_open_ring_is_refused_with_its_path() {
        let v = json!({"type": "Polygon", "coordinates": [[[13.0, -1.0], [13.5, -1.0], [13.5, -1.5], [13.0, -1.5]]]});
        let (field, reason) = reason(v, &[GeometryType::Polygon]);
        assert_eq!(field, "coordinates[0]");
        assert!(reason.contains("not closed"), "{reason}");
    }

    #[test]
    fn swapped_coordinates_are_explained() {
        let v = json!({"type": "Point", "coordinates": [-1.566, 113.2]});
        let (field, reason) = reason(v, ANY_GEOMETRY);
        assert_eq!(field, "coordinates");
        assert!(reason.contains("latitude 113.2"), "{reason}");
    }

    #[test]
    fn a_type_the_entity_does_not_take_is_refused() {
        let v = json!({"type": "LineString", "coordinates": [[13.0, -1.0], [13.5, -1.0]]});
        let (field, _) = reason(v, &[GeometryType::Point, GeometryType::Polygon]);
        assert_eq!(field, "type");
    }

    #[test]
    fn positions_are_counted_at_any_nesting() {
        let multi = json!([[[[0.0, 0.0], [1.0, 0.0], [1.0, 1.0, 5.0], [0.0, 0.0]]], [[[2.0, 2.0], [3.0, 2.0]]]]);
        assert_eq!(count_positions(&multi), 6);
        assert_eq!(count_positions(&json!([13.2, -1.5])), 1);
        assert_eq!(count_positions(&json!("not coordinates")), 0);
    }

    #[tokio::test]
    async fn a_geometry_over_the_vertex_limit_is_refused_before_it_is_read() {
        // Not even a valid ring: the count alone refuses it.
        let line: Vec<[f64; 2]> = (0..101).map(|i| [i as f64 / 1000.0, 0.0]).collect();
        let v = json!({"type": "LineString", "coordinates": line});
        match super::parse_geometry(v.clone(), ANY_GEOMETRY, 100).await {
            Err(AppError::Invalid { field, reason }) => {
                assert_eq!(field, "coordinates");
                assert!(reason.contains("101 positions"), "{reason}");
            }
            other => panic!("expected an invalid-input error, got {other:?}"),
        }
        assert!(super::parse_geometry(v, ANY_GEOMETRY, 101).await.is_ok());
    }

    #[tokio::test]
    async fn a_large_polygon_is_checked_off_the_async_workers_with_the_same_verdicts() {
        let n = 5 * crate::cpu::HEAVY_VERTICES;
        let mut ring: Vec<[f64; 2]> = (0..n)
            .map(|i| {
                let a = i as f64 / n as f64 * std::f64::consts::TAU;
                [13.0 + 0.5 * a.cos(), -1.5 + 0.5 * a.sin()]
            })
            .collect();
        ring.push(ring[0]);
        let valid = json!({"type": "Polygon", "coordinates": [ring.clone()]});
        assert!(super::parse_geometry(valid, ANY_GEOMETRY, 100_000).await.is_ok());
        ring.swap(10, n / 2);
        let crossed = json!({"type": "Polygon", "coordinates": [ring]});
        match super::parse_geometry(crossed, ANY_GEOMETRY, 100_000).await {
            Err(AppError::Invalid { field, reason }) => {
                assert_eq!(field, "coordinates");
                assert!(reason.contains("self-intersection"), "{reason}");
            }
            other => panic!("expected an invalid-input error, got {other:?}"),
        }
    }

    #[test]
    fn a_self_intersecting_polygon_is_refused() {
        let bowtie =
            json!({"type": "Polygon", "coordinates": [[[0.0, 0.0], [1.0, 1.0], [1.0, 0.0], [0.0, 1.0], [0.0, 0.0]]]});
        let (field, _) = reason(bowtie, &[GeometryType::Polygon]);
        assert_eq!(field, "coordinates");
    }
}
