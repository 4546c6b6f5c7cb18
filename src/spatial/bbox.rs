use geo::BoundingRect;
use geo_types::{Geometry, Polygon, Rect, coord};

/// An axis-aligned box in degrees (EPSG:4326), west ≤ east.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Bbox {
    pub min_lon: f64,
    pub min_lat: f64,
    pub max_lon: f64,
    pub max_lat: f64,
}

/// Metres per degree of latitude, rounded down so that boxes grown from it
/// are never too small (the true figure is 110 574 m at the equator).
const METRES_PER_DEGREE_LAT_LOWER: f64 = 110_000.0;
/// Metres per degree of longitude at the equator, rounded down likewise.
const METRES_PER_DEGREE_LON_EQUATOR_LOWER: f64 = 111_000.0;

impl Bbox {
    /// The bounding box of a geometry; `None` for an empty geometry.
    pub fn of(geometry: &Geometry<f64>) -> Option<Bbox> {
        geometry.bounding_rect().map(|r| Bbox {
            min_lon: r.min().x,
            min_lat: r.min().y,
            max_lon: r.max().x,
            max_lat: r.max().y,
        })
    }

    pub fn to_polygon(self) -> Polygon<f64> {
        Rect::new(coord! { x: self.min_lon, y: self.min_lat }, coord! { x: self.max_lon, y: self.max_lat }).to_polygon()
    }

    /// A box that holds every point within `metres` (geodesic) of this box,
    /// and is never smaller than needed: used to pre-filter with a spatial
    /// index before the exact geodesic test.
    ///
    /// # Units
    /// `metres` in metres; the result in degrees, clamped to the globe.
    pub fn grown_by_metres(self, metres: f64) -> Bbox {
        let dlat = metres / METRES_PER_DEGREE_LAT_LOWER;
        let min_lat = (self.min_lat - dlat).max(-90.0);
        let max_lat = (self.max_lat + dlat).min(90.0);
        let widest_lat = min_lat.abs().max(max_lat.abs());
        let cos = widest_lat.to_radians().cos();
        // Near a pole, or for distances of a continent, take every longitude.
        if cos < 0.01 || max_lat >= 89.9 || min_lat <= -89.9 {
            return Bbox { min_lon: -180.0, min_lat, max_lon: 180.0, max_lat };
        }
        let dlon = metres / (METRES_PER_DEGREE_LON_EQUATOR_LOWER * cos);
        if dlon >= 180.0 {
            return Bbox { min_lon: -180.0, min_lat, max_lon: 180.0, max_lat };
        }
        Bbox { min_lon: (self.min_lon - dlon).max(-180.0), min_lat, max_lon: (self.max_lon + dlon).min(180.0), max_lat }
    }

    /// Whether the box spans the whole globe (no index can narrow it).
    pub fn is_world(self) -> bool {
        self.min_lon <= -180.0 && self.max_lon >= 180.0 && self.min_lat <= -90.0 && self.max_lat >= 90.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::spatial::distance_m;
    use geo_types::Point;

    #[test]
    fn a_grown_box_holds_every_point_at_that_distance() {
        // Moanda, Gabon.
        let moanda = Point::new(13.2, -1.566);
        let grown = Bbox::of(&moanda.into()).unwrap().grown_by_metres(50_000.0);
        for corner in [
            Point::new(grown.min_lon, -1.566),
            Point::new(grown.max_lon, -1.566),
            Point::new(13.2, grown.min_lat),
            Point::new(13.2, grown.max_lat),
        ] {
            assert!(distance_m(&moanda.into(), &corner.into()) > 50_000.0);
        }
    }
}
