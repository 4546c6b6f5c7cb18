//! Geodesic distance between any two geometries.
//!
//! PostGIS measures `geography` distances the same way: zero when the
//! geometries meet, else the least distance from a vertex of one to an edge
//! of the other. Edges here are geodesics on the WGS84 ellipsoid.

use geo::{Distance, Geodesic, InterpolatePoint, Intersects};
use geo_types::{Geometry, Point};
use std::sync::atomic::{AtomicBool, Ordering};

/// Golden-section steps: each keeps 61.8 % of the interval, so 48 steps
/// narrow a 1 000 km edge to well under a millimetre.
const GOLDEN_STEPS: usize = 48;

/// Geodesic distance in metres between two geometries (0 if they meet).
///
/// # Units
/// Metres on the WGS84 ellipsoid.
///
/// # Examples
/// ```
/// use geo_types::Point;
/// // Moanda to Franceville, Gabon: about 43 km.
/// let d = odg::spatial::distance_m(&Point::new(13.2, -1.566).into(), &Point::new(13.583, -1.633).into());
/// assert!((d - 43_300.0).abs() < 500.0, "{d}");
/// ```
pub fn distance_m(a: &Geometry<f64>, b: &Geometry<f64>) -> f64 {
    distance_m_unless(a, b, &AtomicBool::new(false)).unwrap_or(f64::INFINITY)
}

/// [`distance_m`], giving up (`None`) once `stop` is set: the cost is the
/// product of the two vertex counts, seconds for two large geometries.
pub fn distance_m_unless(a: &Geometry<f64>, b: &Geometry<f64>, stop: &AtomicBool) -> Option<f64> {
    if a.intersects(b) {
        return Some(0.0);
    }
    let chains_a = chains(a);
    let chains_b = chains(b);
    let mut best = f64::INFINITY;
    for ca in &chains_a {
        for cb in &chains_b {
            best = best.min(vertices_to_chain(ca, cb, best, stop)?);
            best = best.min(vertices_to_chain(cb, ca, best, stop)?);
        }
    }
    Some(best)
}

/// The geometry as chains of vertices: a point is a chain of one, a line
/// string one chain, a polygon one chain per ring.
fn chains(geometry: &Geometry<f64>) -> Vec<Vec<Point<f64>>> {
    use Geometry as G;
    match geometry {
        G::Point(p) => vec![vec![*p]],
        G::MultiPoint(mp) => mp.0.iter().map(|p| vec![*p]).collect(),
        G::Line(l) => vec![vec![l.start_point(), l.end_point()]],
        G::LineString(ls) => vec![ls.points().collect()],
        G::MultiLineString(mls) => mls.0.iter().map(|ls| ls.points().collect()).collect(),
        G::Polygon(p) => std::iter::once(p.exterior()).chain(p.interiors()).map(|r| r.points().collect()).collect(),
        G::MultiPolygon(mp) => {
            mp.0.iter()
                .flat_map(|p| std::iter::once(p.exterior()).chain(p.interiors()))
                .map(|r| r.points().collect())
                .collect()
        }
        G::GeometryCollection(gc) => gc.0.iter().flat_map(chains).collect(),
        G::Rect(r) => chains(&G::Polygon(r.to_polygon())),
        G::Triangle(t) => chains(&G::Polygon(t.to_polygon())),
    }
}

/// Least distance from the vertices of `from` to the edges of `to`,
/// skipping edges that cannot beat `best`.
fn vertices_to_chain(from: &[Point<f64>], to: &[Point<f64>], mut best: f64, stop: &AtomicBool) -> Option<f64> {
    for p in from {
        if stop.load(Ordering::Relaxed) {
            return None;
        }
        if to.len() == 1 {
            best = best.min(Geodesic.distance(*p, to[0]));
            continue;
        }
        for edge in to.windows(2) {
            best = best.min(point_to_edge_m(*p, edge[0], edge[1], best));
        }
    }
    Some(best)
}

/// Geodesic distance from `p` to the geodesic edge a–b, or a value ≥ `best`
/// when the edge cannot be closer than `best`.
fn point_to_edge_m(p: Point<f64>, a: Point<f64>, b: Point<f64>, best: f64) -> f64 {
    let to_a = Geodesic.distance(p, a);
    let to_b = Geodesic.distance(p, b);
    let nearest_end = to_a.min(to_b);
    let edge = Geodesic.distance(a, b);
    // Every point of the edge lies within edge/2 of an end.
    if edge == 0.0 || nearest_end - edge / 2.0 >= best {
        return nearest_end;
    }
    let at = |t: f64| Geodesic.distance(p, Geodesic.point_at_ratio_between(a, b, t));
    // The distance along a geodesic edge from an outside point has a single
    // minimum for edges shorter than half the globe: golden-section search.
    let ratio = (5f64.sqrt() - 1.0) / 2.0;
    let (mut lo, mut hi) = (0.0f64, 1.0f64);
    let mut x1 = hi - ratio * (hi - lo);
    let mut x2 = lo + ratio * (hi - lo);
    let (mut f1, mut f2) = (at(x1), at(x2));
    for _ in 0..GOLDEN_STEPS {
        if f1 < f2 {
            hi = x2;
            x2 = x1;
            f2 = f1;
            x1 = hi - ratio * (hi - lo);
            f1 = at(x1);
        } else {
            lo = x1;
            x1 = x2;
            f1 = f2;
            x2 = lo + ratio * (hi - lo);
            f2 = at(x2);
        }
    }
    nearest_end.min(f1).min(f2)
}

#[cfg(test)]
mod tests {
    use super::*;
    use geo_types::{line_string, polygon};

    #[test]
    fn a_point_inside_a_polygon_is_at_zero_metres() {
        let square = polygon![(x: 13.0, y: -2.0), (x: 14.0, y: -2.0), (x: 14.0, y: -1.0), (x: 13.0, y: -1.0)];
        assert_eq!(distance_m(&Point::new(13.5, -1.5).into(), &square.into()), 0.0);
    }

    #[test]
    fn distance_to_an_edge_is_shorter_than_to_its_ends() {
        // A meridian edge from -2° to 0° at lon 13°, and a point 0.1° east of its middle.
        let edge = line_string![(x: 13.0, y: -2.0), (x: 13.0, y: 0.0)];
        let p = Point::new(13.1, -1.0);
        let d = distance_m(&p.into(), &edge.into());
        let to_middle = Geodesic.distance(p, Point::new(13.0, -1.0));
        assert!((d - to_middle).abs() < 1.0, "{d} vs {to_middle}");
    }

    #[test]
    fn distance_is_symmetric() {
        let a: Geometry<f64> = line_string![(x: 9.4, y: 0.4), (x: 10.5, y: -0.2)].into();
        let b: Geometry<f64> = Point::new(11.0, 1.0).into();
        assert!((distance_m(&a, &b) - distance_m(&b, &a)).abs() < 1e-6);
    }
}
