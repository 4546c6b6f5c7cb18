//! Encoding records as a Mapbox Vector Tile (2.1): clip to the tile and its
//! buffer, project to Web Mercator tile space (extent 4096), snap to the
//! tile grid as PostGIS's `ST_AsMVTGeom` does, and write with the `mvt` crate.

use geo::{Area, BooleanOps, Orient, Simplify, orient::Direction};
use geo_types::{Coord, Geometry, LineString, MultiLineString, MultiPolygon, Point, Polygon, Rect};
use mvt::{GeomEncoder, GeomType};

/// Tile coordinates span 0..EXTENT on each axis.
pub const EXTENT: u32 = 4096;
/// Geometry kept beyond each tile edge, in tile units, so strokes and
/// labels do not stop at tile edges.
pub const BUFFER: f64 = 64.0;
/// Douglas–Peucker tolerance in tile units: half the tile's resolution, as ST_AsMVTGeom uses.
const SIMPLIFY_TOLERANCE: f64 = 0.5;

/// One tile address.
#[derive(Clone, Copy, Debug, Hash, PartialEq, Eq)]
pub struct TileId {
    pub z: u8,
    pub x: u32,
    pub y: u32,
}

impl TileId {
    /// Checks that x and y exist at zoom z (z ≤ 24).
    pub fn new(z: u8, x: u32, y: u32) -> Option<TileId> {
        let n = 1u64 << z.min(24);
        (z <= 24 && u64::from(x) < n && u64::from(y) < n).then_some(TileId { z, x, y })
    }

    /// Fractional tile position (in tiles at this zoom) of a lon/lat.
    fn tile_position(self, lon: f64, lat: f64) -> (f64, f64) {
        let n = f64::from(1u32 << self.z);
        let (x, y) = crate::spatial::web_mercator(lon, lat);
        (x * n, y * n)
    }

    /// Tile space (0..4096, y down) of a lon/lat.
    pub fn to_tile_space(self, lon: f64, lat: f64) -> (f64, f64) {
        let (x, y) = self.tile_position(lon, lat);
        ((x - f64::from(self.x)) * f64::from(EXTENT), (y - f64::from(self.y)) * f64::from(EXTENT))
    }

    /// Longitude/latitude of a tile-space point.
    fn to_lon_lat(self, tx: f64, ty: f64) -> (f64, f64) {
        let n = f64::from(1u32 << self.z);
        let x = f64::from(self.x) + tx / f64::from(EXTENT);
        let y = f64::from(self.y) + ty / f64::from(EXTENT);
        let lon = x / n * 360.0 - 180.0;
        let lat = (std::f64::consts::PI * (1.0 - 2.0 * y / n)).sinh().atan().to_degrees();
        (lon, lat)
    }

    /// The tile with its buffer, in lon/lat (west, south, east, north).
    pub fn bounds_with_buffer(self) -> (f64, f64, f64, f64) {
        let (west, north) = self.to_lon_lat(-BUFFER, -BUFFER);
        let (east, south) = self.to_lon_lat(f64::from(EXTENT) + BUFFER, f64::from(EXTENT) + BUFFER);
        (west.max(-180.0), south.max(-85.06), east.min(180.0), north.min(85.06))
    }
}

/// A geometry clipped to the tile's buffered bounds, in tile space, or
/// `None` when nothing of it is left.
pub fn to_tile_geometry(tile: TileId, geometry: &Geometry<f64>) -> Option<Geometry<f64>> {
    let (west, south, east, north) = tile.bounds_with_buffer();
    let clip = Rect::new(Coord { x: west, y: south }, Coord { x: east, y: north }).to_polygon();
    let project = |c: Coord<f64>| {
        let (x, y) = tile.to_tile_space(c.x, c.y);
        Coord { x, y }
    };
    match geometry {
        Geometry::Point(p) => inside(p, west, south, east, north).then(|| Geometry::Point(Point(project(p.0)))),
        Geometry::MultiPoint(mp) => {
            let kept: Vec<Point<f64>> =
                mp.0.iter().filter(|p| inside(p, west, south, east, north)).map(|p| Point(project(p.0))).collect();
            (!kept.is_empty()).then(|| Geometry::MultiPoint(kept.into()))
        }
        Geometry::LineString(ls) => lines(&clip, &MultiLineString(vec![ls.clone()]), &project),
        Geometry::MultiLineString(mls) => lines(&clip, mls, &project),
        Geometry::Polygon(p) => polygons(&clip, &MultiPolygon(vec![p.clone()]), &project),
        Geometry::MultiPolygon(mp) => polygons(&clip, mp, &project),
        _ => None,
    }
}

fn inside(p: &Point<f64>, west: f64, south: f64, east: f64, north: f64) -> bool {
    (west..=east).contains(&p.x()) && (south..=north).contains(&p.y())
}

fn lines(
    clip: &Polygon<f64>,
    mls: &MultiLineString<f64>,
    project: &dyn Fn(Coord<f64>) -> Coord<f64>,
) -> Option<Geometry<f64>> {
    let clipped = clip.clip(mls, false);
    let projected: Vec<LineString<f64>> =
        clipped.0.iter().map(|ls| snapped(ls, project)).filter(|ls| ls.0.len() >= 2).collect();
    (!projected.is_empty()).then_some(Geometry::MultiLineString(MultiLineString(projected)))
}

fn polygons(
    clip: &Polygon<f64>,
    mp: &MultiPolygon<f64>,
    project: &dyn Fn(Coord<f64>) -> Coord<f64>,
) -> Option<Geometry<f64>> {
    // Exterior rings counter-clockwise in lon/lat become clockwise once y
    // points down, as MVT 2.1 requires.
    let clipped = mp.intersection(&MultiPolygon(vec![clip.clone()])).orient(Direction::Default);
    // As ST_AsMVTGeom does: snap to the tile grid, drop repeated points, and
    // drop the rings left without area, so both backends keep the same features.
    let ring = |r: &LineString<f64>| snapped(r, project);
    let projected: Vec<Polygon<f64>> = clipped
        .0
        .iter()
        .map(|p| Polygon::new(ring(p.exterior()), p.interiors().iter().map(ring).filter(has_area).collect()))
        .filter(|p| has_area(p.exterior()))
        .collect();
    (!projected.is_empty()).then_some(Geometry::MultiPolygon(MultiPolygon(projected)))
}

/// A line projected to tile space, simplified by half a tile unit, then
/// on whole units without repeated points.
fn snapped(line: &LineString<f64>, project: &dyn Fn(Coord<f64>) -> Coord<f64>) -> LineString<f64> {
    let projected = LineString(line.0.iter().map(|c| project(*c)).collect()).simplify(SIMPLIFY_TOLERANCE);
    let mut out: Vec<Coord<f64>> = Vec::with_capacity(projected.0.len());
    for p in &projected.0 {
        let p = Coord { x: p.x.round(), y: p.y.round() };
        if out.last() != Some(&p) {
            out.push(p);
        }
    }
    LineString(out)
}

/// A closed ring that still encloses some area once snapped.
fn has_area(ring: &LineString<f64>) -> bool {
    ring.0.len() >= 4 && Polygon::new(ring.clone(), vec![]).unsigned_area() > 0.0
}

/// Encodes a tile-space geometry (from [`to_tile_geometry`]).
pub fn encode(geometry: &Geometry<f64>) -> Result<mvt::GeomData, mvt::Error> {
    match geometry {
        Geometry::Point(p) => GeomEncoder::new(GeomType::Point).point(p.x(), p.y())?.encode(),
        Geometry::MultiPoint(mp) => {
            let mut e = GeomEncoder::new(GeomType::Point);
            for p in &mp.0 {
                e.add_point(p.x(), p.y())?;
            }
            e.encode()
        }
        Geometry::MultiLineString(mls) => {
            let mut e = GeomEncoder::new(GeomType::Linestring);
            for ls in &mls.0 {
                for c in &ls.0 {
                    e.add_point(c.x, c.y)?;
                }
                e.complete_geom()?;
            }
            e.encode()
        }
        Geometry::MultiPolygon(mp) => {
            let mut e = GeomEncoder::new(GeomType::Polygon);
            for polygon in &mp.0 {
                for ring in std::iter::once(polygon.exterior()).chain(polygon.interiors()) {
                    // The closing point is implied by ClosePath.
                    for c in &ring.0[..ring.0.len().saturating_sub(1)] {
                        e.add_point(c.x, c.y)?;
                    }
                    e.complete_geom()?;
                }
            }
            e.encode()
        }
        _ => GeomEncoder::<f64>::new(GeomType::Point).encode(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use geo_types::polygon;

    #[test]
    fn moanda_lands_in_its_tile() {
        // Moanda at zoom 8 is tile (137, 129).
        let tile = TileId::new(8, 137, 129).unwrap();
        let (x, y) = tile.to_tile_space(13.2, -1.566);
        assert!((0.0..4096.0).contains(&x) && (0.0..4096.0).contains(&y), "{x},{y}");
        assert!(TileId::new(8, 256, 0).is_none());
    }

    #[test]
    fn polygons_are_clipped_to_the_buffer() {
        let tile = TileId::new(10, 549, 516).unwrap();
        let huge: Geometry<f64> =
            polygon![(x: 10.0, y: -5.0), (x: 16.0, y: -5.0), (x: 16.0, y: 3.0), (x: 10.0, y: 3.0)].into();
        let Some(Geometry::MultiPolygon(mp)) = to_tile_geometry(tile, &huge) else { panic!("clipped away") };
        for c in mp.0[0].exterior().0.iter() {
            assert!((-BUFFER - 1.0..=4096.0 + BUFFER + 1.0).contains(&c.x), "{c:?}");
            assert!((-BUFFER - 1.0..=4096.0 + BUFFER + 1.0).contains(&c.y), "{c:?}");
        }
    }
}
