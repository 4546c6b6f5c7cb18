//! The coordinate reference systems the API answers in (OGC API – Features
//! Part 2): CRS84 (lon, lat; the default and storage CRS), EPSG:4326
//! (lat, lon, as its definition orders axes) and EPSG:3857 (Web Mercator, m).

use crate::error::{AppError, AppResult};
use crate::spatial::Bbox;
use serde_json::Value;

pub const CRS84: &str = "http://www.opengis.net/def/crs/OGC/1.3/CRS84";
pub const EPSG_4326: &str = "http://www.opengis.net/def/crs/EPSG/0/4326";
pub const EPSG_3857: &str = "http://www.opengis.net/def/crs/EPSG/0/3857";
pub const SUPPORTED: &[&str] = &[CRS84, EPSG_4326, EPSG_3857];

/// WGS84 semi-major axis: the radius of the Web Mercator sphere.
const EARTH_RADIUS_M: f64 = 6_378_137.0;
/// Web Mercator stops at ±85.0511°, where the map becomes square.
const MAX_MERCATOR_LAT: f64 = 85.051_128_779_806_59;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Crs {
    Crs84,
    Epsg4326,
    Epsg3857,
}

impl Crs {
    pub fn parse(field: &str, uri: &str) -> AppResult<Crs> {
        match uri {
            CRS84 => Ok(Crs::Crs84),
            EPSG_4326 => Ok(Crs::Epsg4326),
            EPSG_3857 => Ok(Crs::Epsg3857),
            other => Err(AppError::invalid(
                field,
                format!("{other:?} is not a supported CRS; use one of {}", SUPPORTED.join(", ")),
            )),
        }
    }

    pub fn uri(self) -> &'static str {
        match self {
            Crs::Crs84 => CRS84,
            Crs::Epsg4326 => EPSG_4326,
            Crs::Epsg3857 => EPSG_3857,
        }
    }

    /// From (lon, lat) to this CRS's axis order and unit.
    pub fn project(self, lon: f64, lat: f64) -> (f64, f64) {
        match self {
            Crs::Crs84 => (lon, lat),
            Crs::Epsg4326 => (lat, lon),
            Crs::Epsg3857 => {
                let lat = lat.clamp(-MAX_MERCATOR_LAT, MAX_MERCATOR_LAT).to_radians();
                let x = EARTH_RADIUS_M * lon.to_radians();
                let y = EARTH_RADIUS_M * (std::f64::consts::FRAC_PI_4 + lat / 2.0).tan().ln();
                (x, y)
            }
        }
    }

    /// From this CRS's coordinates to (lon, lat).
    pub fn to_lon_lat(self, a: f64, b: f64) -> (f64, f64) {
        match self {
            Crs::Crs84 => (a, b),
            Crs::Epsg4326 => (b, a),
            Crs::Epsg3857 => {
                let lon = (a / EARTH_RADIUS_M).to_degrees();
                let lat = (2.0 * (b / EARTH_RADIUS_M).exp().atan() - std::f64::consts::FRAC_PI_2).to_degrees();
                (lon, lat)
            }
        }
    }

    /// A bbox given in this CRS, as a lon/lat box.
    pub fn bbox_to_lon_lat(self, n: [f64; 4]) -> Bbox {
        let (x1, y1) = self.to_lon_lat(n[0], n[1]);
        let (x2, y2) = self.to_lon_lat(n[2], n[3]);
        Bbox { min_lon: x1.min(x2), min_lat: y1.min(y2), max_lon: x1.max(x2), max_lat: y1.max(y2) }
    }

    /// Rewrites every position of a GeoJSON geometry into this CRS.
    pub fn transform_geometry(self, geometry: &mut Value) {
        if self == Crs::Crs84 {
            return;
        }
        if let Some(coordinates) = geometry.get_mut("coordinates") {
            self.transform_positions(coordinates);
        }
    }

    fn transform_positions(self, value: &mut Value) {
        let Some(items) = value.as_array_mut() else { return };
        let is_position = items.first().is_some_and(Value::is_number);
        if is_position {
            if let (Some(lon), Some(lat)) = (items[0].as_f64(), items.get(1).and_then(Value::as_f64)) {
                let (a, b) = self.project(lon, lat);
                items[0] = a.into();
                items[1] = b.into();
            }
        } else {
            items.iter_mut().for_each(|item| self.transform_positions(item));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn web_mercator_round_trips_over_moanda() {
        let (x, y) = Crs::Epsg3857.project(13.2, -1.566);
        assert!((x - 1_469_417.28).abs() < 0.01, "{x}");
        let (lon, lat) = Crs::Epsg3857.to_lon_lat(x, y);
        assert!((lon - 13.2).abs() < 1e-9 && (lat + 1.566).abs() < 1e-9);
    }

    #[test]
    fn epsg_4326_puts_latitude_first() {
        let mut g = serde_json::json!({"type": "Point", "coordinates": [13.2, -1.566]});
        Crs::Epsg4326.transform_geometry(&mut g);
        assert_eq!(g["coordinates"], serde_json::json!([-1.566, 13.2]));
    }
}
