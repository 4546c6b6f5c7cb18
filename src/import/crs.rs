//! Coordinate reference systems of imported files, and reprojection to
//! WGS84 with proj4rs (pure Rust) and the EPSG definitions of crs-definitions.

use geo::MapCoords;
use geo_types::{Coord, Geometry};
use proj4rs::Proj;
use std::collections::HashMap;
use std::sync::OnceLock;

/// A source CRS: its label (`EPSG:32632`) and, unless it is WGS84
/// longitude/latitude already, the projection to invert.
#[derive(Clone)]
pub struct Crs {
    label: String,
    projection: Option<Proj>,
    /// Positions come northing (latitude) first: the EPSG registry's own
    /// order, which the OGC's URN and URI spellings of a code imply.
    northing_first: bool,
}

impl std::fmt::Debug for Crs {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.label)
    }
}

const WGS84_PROJ: &str = "+proj=longlat +datum=WGS84 +no_defs";

fn wgs84_proj() -> &'static Proj {
    static WGS84: OnceLock<Proj> = OnceLock::new();
    WGS84.get_or_init(|| Proj::from_proj_string(WGS84_PROJ).expect("the WGS84 definition parses"))
}

impl Crs {
    pub fn wgs84() -> Crs {
        Crs { label: "EPSG:4326".into(), projection: None, northing_first: false }
    }

    pub fn label(&self) -> &str {
        &self.label
    }

    /// An EPSG code.
    pub fn from_epsg(code: u32) -> Result<Crs, String> {
        // Longitude/latitude on WGS84 and its equivalents need no work.
        if matches!(code, 4326 | 4979) {
            return Ok(Crs::wgs84());
        }
        let def = u16::try_from(code).ok().and_then(crs_definitions::from_code).ok_or_else(|| {
            format!("EPSG:{code} is not a coordinate reference system ODG knows (its table has the EPSG registry)")
        })?;
        let projection = Proj::from_proj_string(def.proj4)
            .map_err(|e| format!("EPSG:{code} cannot be used for reprojection: {e}"))?;
        Ok(Crs { label: format!("EPSG:{code}"), projection: Some(projection), northing_first: false })
    }

    /// An EPSG code with the registry's axis order, as the OGC's URN
    /// (`urn:ogc:def:crs:EPSG::4326`) and URI (`…/def/crs/EPSG/0/4326`)
    /// spellings mean it: latitude first for geographic systems, and
    /// northing first for the projected ones whose definition says so.
    pub fn from_epsg_authority_order(code: u32) -> Result<Crs, String> {
        let mut crs = Crs::from_epsg(code)?;
        if epsg_northing_first(code) {
            crs.northing_first = true;
            crs.label = format!("urn:ogc:def:crs:EPSG::{code}");
        }
        Ok(crs)
    }

    /// What a user or a file writes: `EPSG:32632`, `32632`,
    /// `urn:ogc:def:crs:EPSG::32632`, `urn:ogc:def:crs:EPSG:6.6:4326`,
    /// `http://www.opengis.net/def/crs/EPSG/0/32632`, WGS84 longitude/latitude
    /// as `CRS84`, `OGC:CRS84`, `urn:ogc:def:crs:OGC:1.3:CRS84` (GDAL's and
    /// QGIS's GeoJSON `crs` member) or `http://www.opengis.net/def/crs/OGC/1.3/CRS84`,
    /// or a WKT.
    ///
    /// # Assumptions
    /// The short `EPSG:n` and a bare code keep the order GIS software uses for
    /// them (longitude or easting first); the URN and URI spellings follow the
    /// EPSG registry (`urn:ogc:def:crs:EPSG::4326` is latitude first).
    pub fn parse(text: &str) -> Result<Crs, String> {
        let t = text.trim();
        if t.contains('[') {
            return Crs::from_wkt(t);
        }
        let upper = t.to_ascii_uppercase();
        let upper = upper.strip_prefix("HTTPS://").map(|rest| format!("HTTP://{rest}")).unwrap_or(upper);
        let is_crs84 = ["CRS84", "OGC:CRS84", "WGS84", "URN:OGC:DEF:CRS:OGC::CRS84", "URN:OGC:DEF:CRS:OGC:1.3:CRS84"]
            .contains(&upper.as_str())
            || upper.ends_with("/DEF/CRS/OGC/1.3/CRS84")
            || upper.ends_with("/DEF/CRS/OGC/0/CRS84");
        if is_crs84 {
            return Ok(Crs::wgs84());
        }
        let not_a_crs = || format!("`{t}` is not a CRS: write an EPSG code such as EPSG:32632");
        let number = |code: &str| code.parse::<u32>().map_err(|_| not_a_crs());
        // urn:ogc:def:crs:EPSG:[version]:code, and the older urn:x-ogc form.
        let urn = upper.strip_prefix("URN:OGC:DEF:CRS:EPSG:").or_else(|| upper.strip_prefix("URN:X-OGC:DEF:CRS:EPSG:"));
        if let Some(rest) = urn {
            let code = rest.rsplit_once(':').map_or(rest, |(_, code)| code);
            return Crs::from_epsg_authority_order(number(code)?);
        }
        if let Some((_, code)) = upper.split_once("/DEF/CRS/EPSG/") {
            // …/EPSG/0/32733: the version, then the code.
            let code = code.rsplit_once('/').map_or(code, |(_, code)| code);
            return Crs::from_epsg_authority_order(number(code)?);
        }
        let code = upper.strip_prefix("EPSG:").or_else(|| upper.strip_prefix("EPSG::")).unwrap_or(&upper);
        Crs::from_epsg(number(code.trim_start_matches(':'))?)
    }

    /// A `.prj` (WKT 1, ESRI flavour or not) or WKT 2.
    pub fn from_wkt(wkt: &str) -> Result<Crs, String> {
        if let Some(code) = top_level_epsg(wkt) {
            return Crs::from_epsg(code);
        }
        let name = top_level_name(wkt).ok_or("the .prj holds no coordinate reference system")?;
        if let Some(code) = esri_utm(&name).or_else(|| epsg_by_name(&name)) {
            return Crs::from_epsg(code);
        }
        Err(format!(
            "the .prj describes \"{name}\", which ODG cannot match to an EPSG code: declare it with the `crs` argument \
             (e.g. crs: \"EPSG:32632\")"
        ))
    }

    /// The geometry in WGS84 longitude/latitude degrees.
    pub fn to_wgs84(&self, geometry: Geometry<f64>) -> Result<Geometry<f64>, String> {
        let geometry = if self.northing_first { geometry.map_coords(|c| Coord { x: c.y, y: c.x }) } else { geometry };
        let Some(from) = &self.projection else { return Ok(geometry) };
        let to = wgs84_proj();
        let latlong = from.is_latlong();
        geometry.try_map_coords(|c: Coord<f64>| {
            let mut point = if latlong { (c.x.to_radians(), c.y.to_radians(), 0.0) } else { (c.x, c.y, 0.0) };
            proj4rs::transform::transform(from, to, &mut point)
                .map_err(|e| format!("position ({}, {}) cannot be reprojected from {}: {e}", c.x, c.y, self.label))?;
            Ok(Coord { x: point.0.to_degrees(), y: point.1.to_degrees() })
        })
    }

    /// A WGS84 longitude/latitude (degrees) in this CRS: the inverse of
    /// [`Crs::to_wgs84`] (degrees again for a geographic CRS).
    #[allow(clippy::wrong_self_convention)] // the name says the direction: from WGS84 to this CRS
    pub fn from_wgs84(&self, lon: f64, lat: f64) -> Result<(f64, f64), String> {
        let (x, y) = match &self.projection {
            None => (lon, lat),
            Some(to) => {
                let mut point = (lon.to_radians(), lat.to_radians(), 0.0);
                proj4rs::transform::transform(wgs84_proj(), to, &mut point)
                    .map_err(|e| format!("position ({lon}, {lat}) cannot be projected to {}: {e}", self.label))?;
                if to.is_latlong() { (point.0.to_degrees(), point.1.to_degrees()) } else { (point.0, point.1) }
            }
        };
        Ok(if self.northing_first { (y, x) } else { (x, y) })
    }
}

/// The EPSG code the WKT gives itself: the last `AUTHORITY["EPSG","n"]`
/// (WKT 1 puts the top-level one last) or `ID["EPSG",n]` (WKT 2).
fn top_level_epsg(wkt: &str) -> Option<u32> {
    let upper = wkt.to_ascii_uppercase();
    let at = upper.rfind("AUTHORITY[\"EPSG\"").or_else(|| upper.rfind("ID[\"EPSG\""))?;
    // The top-level authority closes the root: only `]` may follow it.
    let rest = &upper[at..];
    let close = rest.find(']')?;
    if rest[close..].chars().any(|c| !(c == ']' || c.is_whitespace())) {
        return None;
    }
    let digits: String = rest[..close].split(',').nth(1)?.chars().filter(char::is_ascii_digit).collect();
    digits.parse().ok()
}

/// Whether the EPSG registry orders the code's axes northing first: every
/// geographic 2-D system (latitude, longitude), and the projected systems
/// whose definition names a north axis first. Definitions without axes are
/// easting first, as most projected systems are.
fn epsg_northing_first(code: u32) -> bool {
    let Some(def) = u16::try_from(code).ok().and_then(crs_definitions::from_code) else { return false };
    let wkt = def.wkt.to_ascii_uppercase();
    if wkt.starts_with("GEOGCS[") {
        return true;
    }
    // The projected system's own axes follow its GEOGCS, whose axes (if any) come first.
    let own = wkt.rfind("PROJECTION[").map_or(wkt.as_str(), |at| &wkt[at..]);
    own.find("AXIS[").is_some_and(|at| {
        let axis = &own[at..];
        let end = axis.find(']').unwrap_or(axis.len());
        axis[..end].contains("NORTH") || axis[..end].contains("SOUTH")
    })
}

/// `PROJCS["WGS_1984_UTM_Zone_32N", …` → `WGS_1984_UTM_Zone_32N`.
fn top_level_name(wkt: &str) -> Option<String> {
    let start = wkt.find("[\"")? + 2;
    let end = start + wkt[start..].find('"')?;
    Some(wkt[start..end].to_owned())
}

/// ESRI's names for WGS 84 / UTM zones and WGS 84 itself.
fn esri_utm(name: &str) -> Option<u32> {
    let n = normalize(name);
    if n == "gcs_wgs_1984" || n == "wgs_84" || n == "wgs_1984" {
        return Some(4326);
    }
    let zone = n.strip_prefix("wgs_1984_utm_zone_").or_else(|| n.strip_prefix("wgs_84_utm_zone_"))?;
    let (number, hemisphere) = zone.split_at(zone.len().checked_sub(1)?);
    let number: u32 = number.parse().ok().filter(|z| (1..=60).contains(z))?;
    match hemisphere {
        "n" => Some(32600 + number),
        "s" => Some(32700 + number),
        _ => None,
    }
}

fn normalize(name: &str) -> String {
    let mut out = String::with_capacity(name.len());
    for c in name.chars() {
        let c = if c.is_ascii_alphanumeric() { c.to_ascii_lowercase() } else { '_' };
        if !(c == '_' && out.ends_with('_')) {
            out.push(c);
        }
    }
    out.trim_matches('_').to_owned()
}

/// Matches a CRS name against the names of the EPSG table.
fn epsg_by_name(name: &str) -> Option<u32> {
    static BY_NAME: OnceLock<HashMap<String, u32>> = OnceLock::new();
    let index = BY_NAME.get_or_init(|| {
        let mut index = HashMap::new();
        for code in 1..=u16::MAX {
            if let Some(def) = crs_definitions::from_code(code)
                && let Some(n) = top_level_name(def.wkt)
            {
                index.entry(normalize(&n)).or_insert(u32::from(code));
            }
        }
        index
    });
    let n = normalize(name);
    index.get(&n).or_else(|| index.get(&n.replace("_1984", "_84"))).copied()
}

#[cfg(test)]
mod tests {
    use super::*;
    use geo_types::Point;

    const ESRI_UTM32N: &str = r#"PROJCS["WGS_1984_UTM_Zone_32N",GEOGCS["GCS_WGS_1984",DATUM["D_WGS_1984",SPHEROID["WGS_1984",6378137.0,298.257223563]],PRIMEM["Greenwich",0.0],UNIT["Degree",0.0174532925199433]],PROJECTION["Transverse_Mercator"],PARAMETER["False_Easting",500000.0],PARAMETER["False_Northing",0.0],PARAMETER["Central_Meridian",9.0],PARAMETER["Scale_Factor",0.9996],PARAMETER["Latitude_Of_Origin",0.0],UNIT["Meter",1.0]]"#;

    #[test]
    fn an_esri_prj_of_utm_32n_is_recognised_and_reprojects_libreville() {
        let crs = Crs::from_wkt(ESRI_UTM32N).unwrap();
        assert_eq!(crs.label(), "EPSG:32632");
        // Libreville, 9.4536 E 0.3901 N, in UTM 32N (by `gdaltransform -t_srs EPSG:32632`).
        let Geometry::Point(p) = crs.to_wgs84(Geometry::Point(Point::new(550_473.692, 43_119.138))).unwrap() else {
            panic!()
        };
        assert!((p.x() - 9.4536).abs() < 1e-7 && (p.y() - 0.3901).abs() < 1e-7, "{p:?}");
        // And back.
        let (x, y) = crs.from_wgs84(9.4536, 0.3901).unwrap();
        assert!((x - 550_473.692).abs() < 1e-3 && (y - 43_119.138).abs() < 1e-3, "{x},{y}");
        assert_eq!(Crs::wgs84().from_wgs84(9.5, 0.5).unwrap(), (9.5, 0.5));
    }

    #[test]
    fn codes_urns_and_wkt_authorities_are_understood() {
        assert_eq!(Crs::parse("EPSG:32733").unwrap().label(), "EPSG:32733");
        assert_eq!(Crs::parse("32633").unwrap().label(), "EPSG:32633");
        assert_eq!(Crs::parse("urn:ogc:def:crs:EPSG::3857").unwrap().label(), "EPSG:3857");
        assert_eq!(Crs::parse("http://www.opengis.net/def/crs/OGC/1.3/CRS84").unwrap().label(), "EPSG:4326");
        let wkt = crs_definitions::from_code(32633).unwrap().wkt;
        assert_eq!(Crs::from_wkt(wkt).unwrap().label(), "EPSG:32633");
        assert!(Crs::parse("EPSG:999999").unwrap_err().contains("EPSG:999999"));
        assert!(Crs::parse("utm").unwrap_err().contains("EPSG code"));
        let unknown = r#"PROJCS["My_Local_Grid",GEOGCS["GCS_Local"],PROJECTION["Mercator"]]"#;
        for crs84 in [
            "urn:ogc:def:crs:OGC:1.3:CRS84",
            "URN:OGC:DEF:CRS:OGC::CRS84",
            "https://www.opengis.net/def/crs/OGC/1.3/CRS84",
            "OGC:CRS84",
        ] {
            assert_eq!(Crs::parse(crs84).unwrap().label(), "EPSG:4326", "{crs84}");
        }
        assert_eq!(Crs::parse("urn:ogc:def:crs:EPSG:6.6:32733").unwrap().label(), "EPSG:32733");
        assert_eq!(Crs::parse("urn:x-ogc:def:crs:EPSG:32733").unwrap().label(), "EPSG:32733");
        assert!(Crs::parse("urn:ogc:def:crs:OGC:1.3:CRS85").unwrap_err().contains("EPSG code"));
        assert!(Crs::from_wkt(unknown).unwrap_err().contains("`crs` argument"));
    }

    fn moanda(crs: &Crs, x: f64, y: f64) -> (f64, f64) {
        let Geometry::Point(p) = crs.to_wgs84(Geometry::Point(Point::new(x, y))).unwrap() else { panic!() };
        (p.x(), p.y())
    }

    #[test]
    fn urns_and_uris_of_epsg_codes_follow_the_registrys_axis_order() {
        // Geographic: latitude first in the URN and URI spellings, longitude first in the short one.
        for lat_first in ["urn:ogc:def:crs:EPSG::4326", "http://www.opengis.net/def/crs/EPSG/0/4326"] {
            let crs = Crs::parse(lat_first).unwrap();
            assert_eq!(moanda(&crs, -1.56, 13.2), (13.2, -1.56), "{lat_first}");
            assert_eq!(crs.from_wgs84(13.2, -1.56).unwrap(), (-1.56, 13.2));
            // The label names the order, and reads back the same.
            assert_eq!(Crs::parse(crs.label()).unwrap().label(), crs.label());
        }
        assert_eq!(moanda(&Crs::parse("EPSG:4326").unwrap(), 13.2, -1.56), (13.2, -1.56));
        // Projected: UTM is easting first however it is spelled.
        for utm in ["urn:ogc:def:crs:EPSG::32733", "http://www.opengis.net/def/crs/EPSG/0/32733", "EPSG:32733"] {
            let (lon, lat) = moanda(&Crs::parse(utm).unwrap(), 299_745.690_208_515, 9_827_487.044_066_83);
            assert!((lon - 13.2).abs() < 1e-7 && (lat + 1.56).abs() < 1e-7, "{utm}: {lon},{lat}");
        }
        assert!(epsg_northing_first(4258), "ETRS89 is latitude first");
        assert!(!epsg_northing_first(3857) && !epsg_northing_first(32632));
    }
}
