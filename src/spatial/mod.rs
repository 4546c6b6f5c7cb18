//! Pure geometry maths on `geo_types` in EPSG:4326 (lon, lat): no I/O.
//!
//! Measures are geodesic (Karney's algorithms on the WGS84 ellipsoid, from
//! the `geo` crate), so the server computes the same figures whichever
//! storage backend holds the data.

mod bbox;
mod distance;
mod measures;

pub use bbox::Bbox;
pub use distance::distance_m;
pub use measures::{area_km2, length_km};
