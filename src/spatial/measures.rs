use geo::orient::{Direction, Orient};
use geo::{Geodesic, GeodesicArea, Length};
use geo_types::{Geometry, LineString};

/// Geodesic area of the polygons in a geometry, in square kilometres.
///
/// # Units
/// km² on the WGS84 ellipsoid; points and lines measure 0.
///
/// # Examples
/// ```
/// use geo_types::polygon;
/// // A 0.1° square near Moanda, Gabon, is about 123 km².
/// let square = polygon![(x: 13.1, y: -1.6), (x: 13.2, y: -1.6), (x: 13.2, y: -1.5), (x: 13.1, y: -1.5)];
/// let area = odg::spatial::area_km2(&square.into());
/// assert!((area - 123.0).abs() < 1.0, "{area}");
/// ```
pub fn area_km2(geometry: &Geometry<f64>) -> f64 {
    // Rings are oriented first (exterior counter-clockwise, holes clockwise):
    // a hole wound like its exterior would otherwise add the rest of the globe.
    let m2 = match geometry {
        Geometry::Polygon(p) => p.orient(Direction::Default).geodesic_area_unsigned(),
        Geometry::MultiPolygon(mp) => mp.0.iter().map(|p| p.orient(Direction::Default).geodesic_area_unsigned()).sum(),
        Geometry::Rect(r) => r.to_polygon().geodesic_area_unsigned(),
        Geometry::Triangle(t) => t.to_polygon().geodesic_area_unsigned(),
        Geometry::GeometryCollection(gc) => return gc.0.iter().map(area_km2).sum(),
        Geometry::Point(_)
        | Geometry::MultiPoint(_)
        | Geometry::Line(_)
        | Geometry::LineString(_)
        | Geometry::MultiLineString(_) => 0.0,
    };
    m2 / 1_000_000.0
}

/// Geodesic length of the lines in a geometry, in kilometres.
///
/// # Units
/// km on the WGS84 ellipsoid; points and polygons measure 0 (a polygon's
/// perimeter is not a length of infrastructure).
///
/// # Examples
/// ```
/// use geo_types::line_string;
/// // Moanda to Franceville as the crow flies: about 43 km.
/// let line = line_string![(x: 13.2, y: -1.566), (x: 13.583, y: -1.633)];
/// let km = odg::spatial::length_km(&line.into());
/// assert!((km - 43.3).abs() < 0.5, "{km}");
/// ```
pub fn length_km(geometry: &Geometry<f64>) -> f64 {
    let m = match geometry {
        Geometry::LineString(ls) => line_m(ls),
        Geometry::MultiLineString(mls) => mls.0.iter().map(line_m).sum(),
        Geometry::Line(l) => Geodesic.length(l),
        Geometry::GeometryCollection(gc) => return gc.0.iter().map(length_km).sum(),
        _ => 0.0,
    };
    m / 1_000.0
}

fn line_m(line: &LineString<f64>) -> f64 {
    Geodesic.length(line)
}
