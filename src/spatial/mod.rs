//! Pure geometry maths on `geo_types` in EPSG:4326 (lon, lat): no I/O.
//!
//! Measures are geodesic (Karney's algorithms on the WGS84 ellipsoid, from
//! the `geo` crate), so the server computes the same figures whichever
//! storage backend holds the data.

mod bbox;
mod distance;
mod measures;
mod sweep;
pub mod thinning;
pub mod validity;

pub use bbox::Bbox;
pub use distance::{distance_m, distance_m_unless};
pub use measures::{area_km2, length_km};

/// Longitude/latitude → Web Mercator as a fraction of the world (0..1 for
/// longitudes in range), y growing southwards as tile rows do.
pub fn web_mercator(lon: f64, lat: f64) -> (f64, f64) {
    let lat = lat.clamp(-85.051_128_779_806_59, 85.051_128_779_806_59).to_radians();
    let x = (lon + 180.0) / 360.0;
    let y = (1.0 - (lat.tan() + 1.0 / lat.cos()).ln() / std::f64::consts::PI) / 2.0;
    (x, y)
}
