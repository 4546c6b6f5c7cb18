//! The seam between in-memory geometry and its stored form: ISO WKB
//! (little-endian, 2D) and its bounding box, the same on both backends.

use super::error::StorageError;
use crate::spatial::Bbox;
use geo_traits::to_geo::ToGeoGeometry;
use geo_types::Geometry;

pub fn encode(geometry: &Geometry<f64>) -> Vec<u8> {
    let mut out = Vec::with_capacity(wkb::writer::geometry_wkb_size(geometry));
    let options = wkb::writer::WriteOptions { endianness: wkb::Endianness::LittleEndian };
    // Writing to a Vec cannot fail, and every geo_types geometry has a WKB form.
    wkb::writer::write_geometry(&mut out, geometry, &options).expect("WKB encoding into memory");
    out
}

pub fn decode(table: &'static str, id: i64, bytes: &[u8]) -> Result<Geometry<f64>, StorageError> {
    let corrupt = |reason: String| StorageError::Corrupt { table, column: "geom_wkb", id, reason };
    let wkb = wkb::reader::read_wkb(bytes).map_err(|e| corrupt(e.to_string()))?;
    wkb.try_to_geometry().ok_or_else(|| corrupt("empty geometry".into()))
}

/// Bounding box of a validated (so non-empty) geometry.
pub fn bbox(geometry: &Geometry<f64>) -> Bbox {
    Bbox::of(geometry).unwrap_or(Bbox { min_lon: 0.0, min_lat: 0.0, max_lon: 0.0, max_lat: 0.0 })
}

#[cfg(test)]
mod tests {
    use super::*;
    use geo_types::polygon;

    #[test]
    fn wkb_round_trips() {
        let g: Geometry<f64> = polygon![(x: 13.1, y: -1.6), (x: 13.2, y: -1.6), (x: 13.2, y: -1.5)].into();
        assert_eq!(decode("t", 1, &encode(&g)).unwrap(), g);
    }
}
