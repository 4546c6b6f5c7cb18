//! OGC validity of a geometry, in O(n log n) for polygons.
//!
//! The rules, the order in which they are checked and the reasons given are
//! those of `geo`'s `Validation` trait (its error types are reused, so the
//! messages clients see do not change). What differs is the cost: `geo`
//! tests every pair of segments of a ring and every pair of rings or
//! polygons, which lets one anonymous request with a 60 000-vertex polygon
//! hold a core for half a minute. Here:
//!
//! - a ring is simple when a sweep line ([`super::sweep`]) finds no two of
//!   its segments meeting other than consecutive ones at their vertex;
//! - holes are placed by one sweep over all the rings: when no two rings
//!   touch, each hole is inside the shell or not (an indexed
//!   point-in-polygon test of one vertex) and inside another hole or not
//!   (only for holes whose boxes nest). When rings do touch, `geo`'s own
//!   DE-9IM tests decide, on the pairs of rings whose boxes meet;
//! - the polygons of a multi-polygon are compared, with those tests, only
//!   when their boxes meet.
//!
//! One difference in outcome: a ring that folds back on itself (a spike,
//! `A → B → A'` with `A'` on `AB`) is a self-intersection here, as in GEOS
//! and PostGIS; `geo` lets it through.

use super::sweep::{self, Interrupted, Segment};
use geo::algorithm::validation::{
    GeometryIndex, InvalidGeometry, InvalidGeometryCollection, InvalidMultiPolygon, InvalidPolygon, RingRole,
};
use geo::coordinate_position::CoordPos;
use geo::dimensions::Dimensions;
use geo::indexed::IntervalTreeMultiPolygon;
use geo::kernels::Orientation;
use geo::{BoundingRect, Contains, PreparedGeometry, Relate, Validation};
use geo_types::{Coord, Geometry, LineString, MultiPolygon, Polygon};
use rstar::primitives::{GeomWithData, Rectangle};
use rstar::{AABB, RTree};
use std::sync::atomic::{AtomicBool, Ordering as Relaxed};

/// Why a geometry was not found valid.
#[derive(Debug, Clone, PartialEq)]
pub enum Problem {
    /// The first rule the geometry breaks, as `geo` words it.
    Invalid(InvalidGeometry),
    /// The caller set `stop` before the check ended.
    Interrupted,
}

impl From<Interrupted> for Problem {
    fn from(_: Interrupted) -> Self {
        Problem::Interrupted
    }
}

/// Checks that `geometry` is valid (OGC simple features, as `geo` reads
/// them): rings simple and closed, holes inside their shell and apart from
/// each other, polygons of a multi-polygon apart.
///
/// `stop` is read between steps and every few thousand sweep events; once
/// set, the check gives up with [`Problem::Interrupted`].
///
/// # Examples
/// ```
/// use geo_types::{Geometry, polygon};
/// use std::sync::atomic::AtomicBool;
/// // A permit drawn as a bow tie around Moanda: its edges cross.
/// let bow_tie: Geometry<f64> =
///     polygon![(x: 13.1, y: -1.6), (x: 13.3, y: -1.5), (x: 13.3, y: -1.6), (x: 13.1, y: -1.5)].into();
/// let problem = odg::spatial::validity::check(&bow_tie, &AtomicBool::new(false)).unwrap_err();
/// assert!(format!("{problem:?}").contains("SelfIntersection"));
/// ```
pub fn check(geometry: &Geometry<f64>, stop: &AtomicBool) -> Result<(), Problem> {
    match geometry {
        Geometry::Polygon(p) => polygon(p, stop).map_err(|e| e.map(InvalidGeometry::InvalidPolygon)),
        Geometry::MultiPolygon(mp) => multi_polygon(mp, stop).map_err(|e| e.map(InvalidGeometry::InvalidMultiPolygon)),
        Geometry::GeometryCollection(gc) => {
            for (i, member) in gc.0.iter().enumerate() {
                check(member, stop).map_err(|problem| match problem {
                    Problem::Invalid(e) => Problem::Invalid(InvalidGeometry::InvalidGeometryCollection(
                        InvalidGeometryCollection::InvalidGeometry(GeometryIndex(i), Box::new(e)),
                    )),
                    Problem::Interrupted => Problem::Interrupted,
                })?;
            }
            Ok(())
        }
        // Points, lines, boxes and triangles: `geo` checks them in linear time.
        other => other.check_validation().map_err(Problem::Invalid),
    }
}

/// A rule broken (`E`), or the check interrupted.
enum Flaw<E> {
    Invalid(E),
    Interrupted,
}

impl<E> Flaw<E> {
    fn map(self, f: impl FnOnce(E) -> InvalidGeometry) -> Problem {
        match self {
            Flaw::Invalid(e) => Problem::Invalid(f(e)),
            Flaw::Interrupted => Problem::Interrupted,
        }
    }
}

impl<E> From<Interrupted> for Flaw<E> {
    fn from(_: Interrupted) -> Self {
        Flaw::Interrupted
    }
}

fn stopped<E>(stop: &AtomicBool) -> Result<(), Flaw<E>> {
    if stop.load(Relaxed::Relaxed) { Err(Flaw::Interrupted) } else { Ok(()) }
}

fn role(ring: usize) -> RingRole {
    if ring == 0 { RingRole::Exterior } else { RingRole::Interior(ring - 1) }
}

fn polygon(p: &Polygon<f64>, stop: &AtomicBool) -> Result<(), Flaw<InvalidPolygon>> {
    use InvalidPolygon as E;
    if p.exterior().0.is_empty() {
        return Ok(());
    }
    let rings: Vec<&LineString<f64>> = std::iter::once(p.exterior()).chain(p.interiors()).collect();
    let mut cycles: Vec<(usize, Vec<Coord<f64>>)> = Vec::with_capacity(rings.len());
    for (i, ring) in rings.iter().enumerate() {
        if ring.0.is_empty() {
            continue;
        }
        let cycle = cycle(ring);
        // `geo` counts the closing position: a triangle has four.
        if cycle.len() + 1 < 4 {
            return Err(Flaw::Invalid(E::TooFewPointsInRing(role(i))));
        }
        if let Some(at) = ring.0.iter().position(|c| !(c.x.is_finite() && c.y.is_finite())) {
            return Err(Flaw::Invalid(E::NonFiniteCoord(role(i), geo::algorithm::validation::CoordIndex(at))));
        }
        if !ring_is_simple(&cycle, stop)? {
            return Err(Flaw::Invalid(E::SelfIntersection(role(i))));
        }
        cycles.push((i, cycle));
    }
    if cycles.len() < 2 {
        return Ok(());
    }
    stopped(stop)?;
    if rings_touch(&cycles, stop)? { holes_by_relate(&rings, &cycles, stop) } else { holes_apart(&cycles, stop) }
}

/// The ring's vertices once each, in order, without the closing repeat.
fn cycle(ring: &LineString<f64>) -> Vec<Coord<f64>> {
    let mut vertices = ring.0.clone();
    vertices.dedup();
    if vertices.len() > 1 && vertices.first() == vertices.last() {
        vertices.pop();
    }
    vertices
}

fn segments(ring: usize, cycle: &[Coord<f64>]) -> impl Iterator<Item = Segment> + '_ {
    let n = cycle.len();
    (0..n).map(move |i| Segment { start: cycle[i], end: cycle[(i + 1) % n], ring, index: i })
}

/// Whether two segments of one ring of `len` segments follow each other.
fn consecutive(a: &Segment, b: &Segment, len: usize) -> bool {
    (a.index + 1) % len == b.index || (b.index + 1) % len == a.index
}

/// A ring is simple when no two of its segments meet, except consecutive
/// ones at the vertex between them (and only there).
fn ring_is_simple(cycle: &[Coord<f64>], stop: &AtomicBool) -> Result<bool, Interrupted> {
    let n = cycle.len();
    if n < 3 {
        return Ok(false);
    }
    // A vertex visited twice is a self-touching ring; ruling it out first
    // also gives the sweep one vertex per event point.
    let mut sorted = cycle.to_vec();
    sorted.sort_unstable_by(|a, b| a.x.total_cmp(&b.x).then(a.y.total_cmp(&b.y)));
    if sorted.windows(2).any(|w| w[0] == w[1]) {
        return Ok(false);
    }
    let segments: Vec<Segment> = segments(0, cycle).collect();
    let conflict =
        |a: &Segment, b: &Segment| if consecutive(a, b, n) { sweep::folds_back(a, b) } else { sweep::intersects(a, b) };
    Ok(sweep::first_conflict(&segments, conflict, stop)?.is_none())
}

/// Whether any two of these (simple) rings share a point.
fn rings_touch(cycles: &[(usize, Vec<Coord<f64>>)], stop: &AtomicBool) -> Result<bool, Interrupted> {
    let lengths: Vec<usize> = cycles.iter().map(|(_, c)| c.len()).collect();
    let segments: Vec<Segment> = cycles.iter().enumerate().flat_map(|(k, (_, c))| segments(k, c)).collect();
    let conflict = |a: &Segment, b: &Segment| {
        if a.ring != b.ring {
            sweep::intersects(a, b)
        } else if consecutive(a, b, lengths[a.ring]) {
            sweep::folds_back(a, b)
        } else {
            sweep::intersects(a, b)
        }
    };
    Ok(sweep::first_conflict(&segments, conflict, stop)?.is_some())
}

/// Holes when no two rings share a point: each is wholly inside or wholly
/// outside the shell and every other hole, which one vertex tells.
fn holes_apart(cycles: &[(usize, Vec<Coord<f64>>)], stop: &AtomicBool) -> Result<(), Flaw<InvalidPolygon>> {
    use InvalidPolygon as E;
    let (shell, holes) = cycles.split_first().expect("a shell and holes");
    let shell = Polygon::new(LineString::from(shell.1.clone()), vec![]);
    let shell = IntervalTreeMultiPolygon::new(&MultiPolygon(vec![shell]));
    let boxes: Vec<AABB<[f64; 2]>> = holes.iter().map(|(_, c)| envelope(c)).collect();
    let index = RTree::bulk_load(
        boxes.iter().enumerate().map(|(k, b)| GeomWithData::new(Rectangle::from_aabb(*b), k)).collect(),
    );
    // `geo`'s order: for each hole, outside the shell, then its overlap
    // with each later hole.
    let mut first: Option<(usize, usize, E)> = None;
    for (k, (ring, cycle)) in holes.iter().enumerate() {
        stopped(stop)?;
        let hole = ring - 1;
        if !shell.contains(&cycle[0]) {
            first = earliest(first, (hole, 0, E::InteriorRingNotContainedInExteriorRing(role(*ring))));
            continue;
        }
        // Hole k within hole j: j's box holds k's, and j holds k's vertex.
        for candidate in index.locate_in_envelope_intersecting(&boxes[k]) {
            let j = candidate.data;
            if j == k || !contains_box(&boxes[j], &boxes[k]) || !ring_contains(&holes[j].1, cycle[0]) {
                continue;
            }
            let (a, b) = (holes[j].0.min(*ring), holes[j].0.max(*ring));
            first = earliest(first, (a - 1, b, E::IntersectingRingsOnAnArea(role(a), role(b))));
        }
    }
    match first {
        Some((_, _, e)) => Err(Flaw::Invalid(e)),
        None => Ok(()),
    }
}

/// The problem `geo` would report first: by hole, then by the later hole.
fn earliest<E>(a: Option<(usize, usize, E)>, b: (usize, usize, E)) -> Option<(usize, usize, E)> {
    match a {
        Some(a) if (a.0, a.1) <= (b.0, b.1) => Some(a),
        _ => Some(b),
    }
}

/// Holes when rings touch: `geo`'s DE-9IM tests, on the pairs of rings
/// whose boxes meet (rings whose boxes do not meet share no point).
fn holes_by_relate(
    rings: &[&LineString<f64>],
    cycles: &[(usize, Vec<Coord<f64>>)],
    stop: &AtomicBool,
) -> Result<(), Flaw<InvalidPolygon>> {
    use InvalidPolygon as E;
    let shell = Polygon::new(rings[0].clone(), vec![]);
    let shell = PreparedGeometry::from(&shell);
    let holes = &cycles[1..];
    let boxes: Vec<AABB<[f64; 2]>> = holes.iter().map(|(_, c)| envelope(c)).collect();
    let index = RTree::bulk_load(
        boxes.iter().enumerate().map(|(k, b)| GeomWithData::new(Rectangle::from_aabb(*b), k)).collect(),
    );
    for (k, (ring, _)) in holes.iter().enumerate() {
        stopped(stop)?;
        let hole = Polygon::new(rings[*ring].clone(), vec![]);
        let hole = PreparedGeometry::from(&hole);
        let matrix = shell.relate(&hole);
        if !matrix.is_contains() {
            return Err(Flaw::Invalid(E::InteriorRingNotContainedInExteriorRing(role(*ring))));
        }
        if matrix.get(CoordPos::OnBoundary, CoordPos::OnBoundary) == Dimensions::OneDimensional {
            return Err(Flaw::Invalid(E::IntersectingRingsOnALine(RingRole::Exterior, role(*ring))));
        }
        let mut later: Vec<usize> =
            index.locate_in_envelope_intersecting(&boxes[k]).map(|c| c.data).filter(|j| *j > k).collect();
        later.sort_unstable();
        for j in later {
            stopped(stop)?;
            let other = holes[j].0;
            let matrix = hole.relate(&Polygon::new(rings[other].clone(), vec![]));
            if matrix.get(CoordPos::Inside, CoordPos::Inside) == Dimensions::TwoDimensional {
                return Err(Flaw::Invalid(E::IntersectingRingsOnAnArea(role(*ring), role(other))));
            }
            if matrix.get(CoordPos::OnBoundary, CoordPos::OnBoundary) == Dimensions::OneDimensional {
                return Err(Flaw::Invalid(E::IntersectingRingsOnALine(role(*ring), role(other))));
            }
        }
    }
    Ok(())
}

/// Each polygon valid, and no two overlapping or sharing a line: `geo`'s
/// order (a polygon, then its pairs with later ones), on the pairs of
/// polygons whose boxes meet.
fn multi_polygon(mp: &MultiPolygon<f64>, stop: &AtomicBool) -> Result<(), Flaw<InvalidMultiPolygon>> {
    use InvalidMultiPolygon as E;
    let boxes: Vec<Option<AABB<[f64; 2]>>> =
        mp.0.iter()
            .map(|p| p.bounding_rect().map(|r| AABB::from_corners([r.min().x, r.min().y], [r.max().x, r.max().y])))
            .collect();
    let index = RTree::bulk_load(
        boxes
            .iter()
            .enumerate()
            .filter_map(|(i, b)| b.map(|b| GeomWithData::new(Rectangle::from_aabb(b), i)))
            .collect(),
    );
    for (i, p) in mp.0.iter().enumerate() {
        polygon(p, stop).map_err(|flaw| match flaw {
            Flaw::Invalid(e) => Flaw::Invalid(E::InvalidPolygon(GeometryIndex(i), e)),
            Flaw::Interrupted => Flaw::Interrupted,
        })?;
        let Some(own) = boxes[i] else { continue };
        let mut later: Vec<usize> =
            index.locate_in_envelope_intersecting(&own).map(|c| c.data).filter(|j| *j > i).collect();
        if later.is_empty() {
            continue;
        }
        later.sort_unstable();
        let prepared = PreparedGeometry::from(p);
        for j in later {
            stopped(stop)?;
            let matrix = prepared.relate(&mp.0[j]);
            if matrix.get(CoordPos::Inside, CoordPos::Inside) == Dimensions::TwoDimensional {
                return Err(Flaw::Invalid(E::ElementsOverlaps(GeometryIndex(i), GeometryIndex(j))));
            }
            if matrix.get(CoordPos::OnBoundary, CoordPos::OnBoundary) == Dimensions::OneDimensional {
                return Err(Flaw::Invalid(E::ElementsTouchOnALine(GeometryIndex(i), GeometryIndex(j))));
            }
        }
    }
    Ok(())
}

fn envelope(cycle: &[Coord<f64>]) -> AABB<[f64; 2]> {
    let (mut min, mut max) = ([f64::INFINITY; 2], [f64::NEG_INFINITY; 2]);
    for c in cycle {
        min = [min[0].min(c.x), min[1].min(c.y)];
        max = [max[0].max(c.x), max[1].max(c.y)];
    }
    AABB::from_corners(min, max)
}

fn contains_box(outer: &AABB<[f64; 2]>, inner: &AABB<[f64; 2]>) -> bool {
    use rstar::Envelope;
    outer.contains_envelope(inner)
}

/// Whether `p`, on no edge of the ring, is inside it: the parity of the
/// edges crossed by a ray going east, each decided by an exact orientation.
fn ring_contains(cycle: &[Coord<f64>], p: Coord<f64>) -> bool {
    let n = cycle.len();
    let mut inside = false;
    for i in 0..n {
        let (a, b) = (cycle[i], cycle[(i + 1) % n]);
        if (a.y > p.y) != (b.y > p.y) {
            let side = sweep::orient(a, b, p);
            // The edge crosses the ray east of `p` when `p` is on its left
            // going north, or on its right going south.
            let east = if b.y > a.y { Orientation::CounterClockwise } else { Orientation::Clockwise };
            if side == east {
                inside = !inside;
            }
        }
    }
    inside
}

#[cfg(test)]
mod tests {
    //! `geo`'s `check_validation`, the former implementation, is the
    //! reference: on random polygons the two must agree, error for error.

    use super::*;
    use geo_types::{polygon, wkt};

    fn ours(g: impl Into<Geometry<f64>>) -> Result<(), InvalidGeometry> {
        match check(&g.into(), &AtomicBool::new(false)) {
            Ok(()) => Ok(()),
            Err(Problem::Invalid(e)) => Err(e),
            Err(Problem::Interrupted) => panic!("interrupted without a stop"),
        }
    }

    fn reference(g: impl Into<Geometry<f64>>) -> Result<(), InvalidGeometry> {
        g.into().check_validation()
    }

    fn self_intersection(role: RingRole) -> Result<(), InvalidGeometry> {
        Err(InvalidGeometry::InvalidPolygon(InvalidPolygon::SelfIntersection(role)))
    }

    /// xorshift: reproducible without a dependency.
    struct Random(u64);

    impl Random {
        fn next(&mut self) -> f64 {
            self.0 ^= self.0 << 13;
            self.0 ^= self.0 >> 7;
            self.0 ^= self.0 << 17;
            (self.0 >> 11) as f64 / (1u64 << 53) as f64
        }
        fn below(&mut self, n: usize) -> usize {
            (self.next() * n as f64) as usize
        }
    }

    /// A star-shaped ring (simple) around `c`: sorted angles, random radii.
    fn star(rng: &mut Random, c: (f64, f64), radius: f64, n: usize) -> LineString<f64> {
        let mut angles: Vec<f64> = (0..n).map(|_| rng.next() * std::f64::consts::TAU).collect();
        angles.sort_by(f64::total_cmp);
        angles.dedup();
        angles
            .iter()
            .map(|a| {
                let r = radius * (0.3 + 0.7 * rng.next());
                (c.0 + r * a.cos(), c.1 + r * a.sin())
            })
            .collect::<Vec<_>>()
            .into()
    }

    /// A circle of `n` vertices: the acceptance test's filter polygon.
    pub(crate) fn circle(c: (f64, f64), radius: f64, n: usize) -> Polygon<f64> {
        let ring: Vec<(f64, f64)> = (0..n)
            .map(|i| {
                let a = i as f64 / n as f64 * std::f64::consts::TAU;
                (c.0 + radius * a.cos(), c.1 + radius * a.sin())
            })
            .collect();
        Polygon::new(ring.into(), vec![])
    }

    #[test]
    fn a_simple_polygon_is_valid() {
        assert_eq!(ours(polygon![(x: 0., y: 0.), (x: 4., y: 0.), (x: 4., y: 4.), (x: 0., y: 4.)]), Ok(()));
    }

    #[test]
    fn a_bow_tie_is_a_self_intersection() {
        let bow_tie = polygon![(x: 0., y: 0.), (x: 1., y: 1.), (x: 1., y: 0.), (x: 0., y: 1.)];
        assert_eq!(ours(bow_tie.clone()), self_intersection(RingRole::Exterior));
        assert_eq!(ours(bow_tie.clone()), reference(bow_tie));
    }

    #[test]
    fn a_ring_touching_itself_at_a_vertex_is_a_self_intersection() {
        // An "inverted hole": the shell comes back to (2, 0).
        let p = wkt!(POLYGON((0. 0., 2. 0., 3. 1., 2. 2., 1. 1., 2. 0., 4. 0., 4. 4., 0. 4., 0. 0.)));
        assert_eq!(ours(p.clone()), self_intersection(RingRole::Exterior));
        assert_eq!(ours(p.clone()), reference(p));
    }

    #[test]
    fn a_vertex_on_another_edge_is_a_self_intersection() {
        let p = wkt!(POLYGON((0. 0., 4. 0., 4. 4., 2. 0., 0. 4., 0. 0.)));
        assert_eq!(ours(p.clone()), self_intersection(RingRole::Exterior));
        assert_eq!(ours(p.clone()), reference(p));
    }

    #[test]
    fn a_spike_is_a_self_intersection() {
        let spike = wkt!(POLYGON((0. 0., 4. 0., 4. 4., 2. 4., 2. 6., 2. 5., 0. 4., 0. 0.)));
        assert_eq!(ours(spike.clone()), self_intersection(RingRole::Exterior));
        assert_eq!(ours(spike.clone()), reference(spike));
    }

    #[test]
    fn a_flat_triangle_is_a_self_intersection_although_geo_let_it_through() {
        let flat = wkt!(POLYGON((0. 0., 2. 0., 1. 0., 0. 0.)));
        assert_eq!(ours(flat.clone()), self_intersection(RingRole::Exterior));
        assert_eq!(reference(flat), Ok(()));
    }

    #[test]
    fn collinear_vertices_and_repeated_positions_are_allowed() {
        let p = wkt!(POLYGON((0. 0., 2. 0., 2. 0., 4. 0., 4. 4., 0. 4., 0. 2., 0. 0.)));
        assert_eq!(ours(p.clone()), Ok(()));
        assert_eq!(reference(p), Ok(()));
    }

    #[test]
    fn too_few_points_come_before_anything_else() {
        let p = wkt!(POLYGON((0. 0., 1. 1., 0. 0., 0. 0.)));
        assert_eq!(ours(p.clone()), reference(p));
    }

    #[test]
    fn holes_must_be_inside_the_shell_and_apart() {
        let cases = [
            // inside: valid
            wkt!(POLYGON((0. 0., 10. 0., 10. 10., 0. 10., 0. 0.), (2. 2., 4. 2., 4. 4., 2. 4., 2. 2.))),
            // outside the shell
            wkt!(POLYGON((0. 0., 10. 0., 10. 10., 0. 10., 0. 0.), (12. 2., 14. 2., 14. 4., 12. 4., 12. 2.))),
            // crossing the shell
            wkt!(POLYGON((0. 0., 10. 0., 10. 10., 0. 10., 0. 0.), (8. 2., 14. 2., 14. 4., 8. 4., 8. 2.))),
            // touching the shell at one point: valid
            wkt!(POLYGON((0. 0., 10. 0., 10. 10., 0. 10., 0. 0.), (0. 5., 2. 4., 2. 6., 0. 5.))),
            // sharing a vertex with the shell: valid
            wkt!(POLYGON((0. 0., 10. 0., 10. 10., 0. 10., 0. 0.), (0. 0., 2. 1., 1. 2., 0. 0.))),
            // sharing an edge with the shell
            wkt!(POLYGON((0. 0., 10. 0., 10. 10., 0. 10., 0. 0.), (0. 0., 2. 0., 2. 2., 0. 0.))),
            // a hole inside another
            wkt!(POLYGON((0. 0., 10. 0., 10. 10., 0. 10., 0. 0.), (1. 1., 9. 1., 9. 9., 1. 9., 1. 1.), (3. 3., 4. 3., 4. 4., 3. 3.))),
            // the same, the other way round
            wkt!(POLYGON((0. 0., 10. 0., 10. 10., 0. 10., 0. 0.), (3. 3., 4. 3., 4. 4., 3. 3.), (1. 1., 9. 1., 9. 9., 1. 9., 1. 1.))),
            // two holes touching at a point: valid
            wkt!(POLYGON((0. 0., 10. 0., 10. 10., 0. 10., 0. 0.), (1. 1., 3. 1., 3. 3., 1. 1.), (3. 3., 5. 3., 5. 5., 3. 3.))),
            // two holes crossing
            wkt!(POLYGON((0. 0., 10. 0., 10. 10., 0. 10., 0. 0.), (1. 1., 4. 1., 4. 4., 1. 4., 1. 1.), (3. 3., 6. 3., 6. 6., 3. 6., 3. 3.))),
            // two holes sharing an edge
            wkt!(POLYGON((0. 0., 10. 0., 10. 10., 0. 10., 0. 0.), (1. 1., 3. 1., 3. 3., 1. 3., 1. 1.), (3. 1., 5. 1., 5. 3., 3. 3., 3. 1.))),
            // a hole around the whole shell
            wkt!(POLYGON((2. 2., 4. 2., 4. 4., 2. 4., 2. 2.), (0. 0., 10. 0., 10. 10., 0. 10., 0. 0.))),
            // a later hole outside, an earlier one inside another: the earlier problem is reported
            wkt!(POLYGON((0. 0., 10. 0., 10. 10., 0. 10., 0. 0.), (1. 1., 9. 1., 9. 9., 1. 9., 1. 1.), (3. 3., 4. 3., 4. 4., 3. 3.), (20. 20., 21. 20., 21. 21., 20. 20.))),
        ];
        let expected_valid = [true, false, false, true, true, false, false, false, true, false, false, false, false];
        for (p, valid) in cases.into_iter().zip(expected_valid) {
            let got = ours(p.clone());
            assert_eq!(got.is_ok(), valid, "{p:?}: {got:?}");
            assert_eq!(got, reference(p.clone()), "{p:?}");
        }
    }

    #[test]
    fn polygons_of_a_multi_polygon_must_be_apart() {
        let cases = [
            wkt!(MULTIPOLYGON(((0. 0., 1. 0., 1. 1., 0. 0.)), ((2. 0., 3. 0., 3. 1., 2. 0.)))),
            wkt!(MULTIPOLYGON(((0. 0., 2. 0., 2. 2., 0. 0.)), ((1. 0., 3. 0., 3. 1., 1. 0.)))),
            wkt!(MULTIPOLYGON(((0. 0., 1. 0., 1. 1., 0. 1., 0. 0.)), ((1. 0., 2. 0., 2. 1., 1. 1., 1. 0.)))),
            wkt!(MULTIPOLYGON(((0. 0., 1. 0., 1. 1., 0. 0.)), ((1. 1., 2. 1., 2. 2., 1. 1.)))),
            wkt!(MULTIPOLYGON(((0. 0., 1. 0., 1. 1., 0. 0.)), ((5. 5., 6. 5., 5. 6., 6. 6., 5. 5.)))),
        ];
        for mp in cases {
            assert_eq!(ours(mp.clone()), reference(mp.clone()), "{mp:?}");
        }
    }

    #[test]
    fn a_set_stop_flag_interrupts() {
        let big = circle((13.0, -1.5), 0.5, 10_000);
        assert_eq!(check(&big.into(), &AtomicBool::new(true)), Err(Problem::Interrupted));
    }

    #[test]
    fn a_forty_thousand_vertex_circle_is_valid_and_a_crossed_one_is_not() {
        let mut ring = circle((13.0, -1.5), 0.5, 40_000).exterior().0.clone();
        assert_eq!(ours(Polygon::new(ring.clone().into(), vec![])), Ok(()));
        // Swapping two far-apart vertices makes their edges cross others.
        ring.swap(100, 20_100);
        assert_eq!(ours(Polygon::new(ring.into(), vec![])), self_intersection(RingRole::Exterior));
    }

    /// Random rings of random points: mostly self-intersecting, in every way.
    #[test]
    fn random_rings_agree_with_geo() {
        let mut rng = Random(0x5EED_0001);
        for case in 0..3000 {
            let n = 3 + rng.below(12);
            let ring: Vec<(f64, f64)> = (0..n).map(|_| (rng.next() * 10.0, rng.next() * 10.0)).collect();
            let p = Polygon::new(ring.into(), vec![]);
            assert_eq!(ours(p.clone()), reference(p.clone()), "case {case}: {p:?}");
        }
    }

    /// Random rings on a small grid: shared vertices, collinear and
    /// vertical edges, vertices on edges. Only spikes may differ (geo lets
    /// them through), and then the ring must fold back somewhere.
    #[test]
    fn random_grid_rings_agree_with_brute_force() {
        let mut rng = Random(0x5EED_0002);
        for case in 0..20_000 {
            let n = 3 + rng.below(8);
            let ring: Vec<Coord<f64>> =
                (0..n).map(|_| Coord { x: rng.below(5) as f64, y: rng.below(5) as f64 }).collect();
            let cycle = cycle(&LineString::from(ring.clone()));
            if cycle.len() < 3 {
                continue;
            }
            let fast = ring_is_simple(&cycle, &AtomicBool::new(false)).unwrap();
            assert_eq!(fast, brute_force_simple(&cycle), "case {case}: {cycle:?}");
            let flat = cycle.len() == 3 && sweep::orient(cycle[0], cycle[1], cycle[2]) == Orientation::Collinear;
            if !flat {
                let p = Polygon::new(ring.into(), vec![]);
                assert_eq!(ours(p.clone()), reference(p.clone()), "case {case}: {p:?}");
            }
        }
    }

    /// The definition, pair by pair.
    fn brute_force_simple(cycle: &[Coord<f64>]) -> bool {
        let n = cycle.len();
        let segments: Vec<Segment> = segments(0, cycle).collect();
        for i in 0..n {
            for j in i + 1..n {
                let (a, b) = (&segments[i], &segments[j]);
                let bad = if consecutive(a, b, n) { sweep::folds_back(a, b) } else { sweep::intersects(a, b) };
                if bad {
                    return false;
                }
            }
        }
        let mut sorted = cycle.to_vec();
        sorted.sort_by(|a, b| a.x.total_cmp(&b.x).then(a.y.total_cmp(&b.y)));
        !sorted.windows(2).any(|w| w[0] == w[1])
    }

    /// Shells with random star-shaped holes and multi-polygons of random
    /// stars: holes inside, outside, crossing, nested; parts apart or not.
    #[test]
    fn random_polygons_with_holes_and_multi_polygons_agree_with_geo() {
        let mut rng = Random(0x5EED_0003);
        let mut valid = 0;
        for case in 0..1500 {
            let n = 8 + rng.below(24);
            let shell = star(&mut rng, (0.0, 0.0), 10.0, n);
            let mut holes: Vec<LineString<f64>> = Vec::new();
            let mut last = ((0.0, 0.0), 0.0);
            for _ in 0..rng.below(6) {
                let (mut c, mut r) = ((rng.next() * 16.0 - 8.0, rng.next() * 16.0 - 8.0), 0.5 + rng.next() * 3.0);
                // Now and then a hole within the last one: a star's radii
                // are 0.3 to 1 times its own, so a quarter as large nests.
                if last.1 > 0.0 && rng.below(4) == 0 {
                    (c, r) = (last.0, last.1 / 4.0);
                }
                last = (c, r);
                let n = 3 + rng.below(8);
                holes.push(star(&mut rng, c, r, n));
            }
            let p = Polygon::new(shell, holes);
            let got = ours(p.clone());
            valid += usize::from(got.is_ok());
            assert_eq!(got, reference(p.clone()), "case {case}: {p:?}");
        }
        assert!(valid > 100, "too few valid cases to mean anything: {valid}");
        let mut valid = 0;
        for case in 0..1500 {
            let parts: Vec<Polygon<f64>> = (0..1 + rng.below(6))
                .map(|_| {
                    let c = (rng.next() * 30.0, rng.next() * 30.0);
                    let (r, n) = (1.0 + rng.next() * 5.0, 3 + rng.below(10));
                    Polygon::new(star(&mut rng, c, r, n), vec![])
                })
                .collect();
            let mp = MultiPolygon(parts);
            let got = ours(mp.clone());
            valid += usize::from(got.is_ok());
            assert_eq!(got, reference(mp.clone()), "case {case}: {mp:?}");
        }
        assert!(valid > 100, "too few valid cases to mean anything: {valid}");
    }

    /// Holes on a grid touch the shell and each other in every way.
    #[test]
    fn random_grid_holes_agree_with_geo() {
        let mut rng = Random(0x5EED_0004);
        let shell: LineString<f64> = vec![(0., 0.), (6., 0.), (6., 6.), (0., 6.), (0., 0.)].into();
        for case in 0..5000 {
            let holes: Vec<LineString<f64>> = (0..1 + rng.below(3))
                .map(|_| {
                    let (x, y) = (rng.below(6) as f64, rng.below(6) as f64);
                    let (w, h) = (1.0 + rng.below(3) as f64, 1.0 + rng.below(3) as f64);
                    if rng.below(2) == 0 {
                        vec![(x, y), (x + w, y), (x + w, y + h), (x, y + h), (x, y)].into()
                    } else {
                        vec![(x, y), (x + w, y), (x, y + h), (x, y)].into()
                    }
                })
                .collect();
            let p = Polygon::new(shell.clone(), holes);
            assert_eq!(ours(p.clone()), reference(p.clone()), "case {case}: {p:?}");
        }
    }
}
