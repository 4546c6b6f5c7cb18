//! CSV and TXT: the delimiter is detected among `,` `;` tab `|`; the
//! geometry comes from longitude/latitude columns (French or English names)
//! or from a WKT column; `#` lines are comments.

use super::{Blame, Crs, Emit, FeatureReader, Format, ImportError, RawFeature, typed_value};
use serde_json::Map;
use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use wkt::TryFromWkt;

const LON_NAMES: &[&str] = &["lon", "lng", "long", "longitude", "x", "coord_x", "coordx"];
const LAT_NAMES: &[&str] = &["lat", "latitude", "y", "coord_y", "coordy"];
const WKT_NAMES: &[&str] = &["wkt", "geometry", "geom", "the_geom", "geometrie", "wkt_geom", "geometry_wkt", "odg_wkt"];

/// Deepest parenthesis nesting a WKT cell may have: a MULTIPOLYGON needs 3,
/// a GEOMETRYCOLLECTION one more a level. The WKT parser recurses once a
/// level, and a cell of 100 000 nested collections overflowed the reader's
/// stack, which aborts the whole server.
const MAX_WKT_NESTING: usize = 32;

/// The deepest parenthesis nesting of `text`.
fn nesting(text: &str) -> usize {
    let (mut depth, mut deepest) = (0usize, 0usize);
    for b in text.bytes() {
        match b {
            b'(' => {
                depth += 1;
                deepest = deepest.max(depth);
            }
            b')' => depth = depth.saturating_sub(1),
            _ => {}
        }
    }
    deepest
}

enum Geometry {
    LonLat { lon: usize, lat: usize },
    Wkt(usize),
}

pub struct CsvReader {
    path: PathBuf,
    blame: Blame,
    delimiter: u8,
}

impl CsvReader {
    pub fn open(path: &Path, blame: Blame) -> Result<CsvReader, ImportError> {
        let file = std::fs::File::open(path).map_err(|e| blame.file(format!("cannot read: {e}")))?;
        let header = BufReader::new(file)
            .lines()
            .map_while(Result::ok)
            .find(|l| !l.trim().is_empty() && !l.starts_with('#'))
            .ok_or_else(|| blame.file("the file has no header line"))?;
        let delimiter = detect_delimiter(&header);
        Ok(CsvReader { path: path.to_path_buf(), blame, delimiter })
    }
}

/// The candidate that splits the header into the most fields (outside quotes).
fn detect_delimiter(header: &str) -> u8 {
    let mut counts = [0usize; 4];
    let candidates = [b',', b';', b'\t', b'|'];
    let mut quoted = false;
    for b in header.bytes() {
        if b == b'"' {
            quoted = !quoted;
        } else if !quoted && let Some(i) = candidates.iter().position(|&c| c == b) {
            counts[i] += 1;
        }
    }
    let best = (0..4).max_by_key(|&i| (counts[i], std::cmp::Reverse(i))).unwrap_or(0);
    candidates[best]
}

fn delimiter_name(d: u8) -> &'static str {
    match d {
        b',' => "comma",
        b';' => "semicolon",
        b'\t' => "tab",
        _ => "pipe",
    }
}

fn key(name: &str) -> String {
    deunicode::deunicode(name.trim()).to_ascii_lowercase().replace([' ', '-'], "_")
}

fn decode(bytes: &[u8]) -> String {
    match std::str::from_utf8(bytes) {
        Ok(s) => s.to_owned(),
        Err(_) => encoding_rs::WINDOWS_1252.decode(bytes).0.into_owned(),
    }
}

impl FeatureReader for CsvReader {
    fn format(&self) -> Format {
        Format::Csv
    }
    fn declared_crs(&self) -> Result<Option<Crs>, ImportError> {
        Ok(None)
    }
    /// Coordinates are longitude/latitude unless the uploader declares a CRS.
    fn wgs84_by_definition(&self) -> bool {
        true
    }

    fn read(&mut self, emit: &mut Emit<'_>) -> Result<(), ImportError> {
        let mut reader = csv::ReaderBuilder::new()
            .delimiter(self.delimiter)
            .comment(Some(b'#'))
            .flexible(false)
            .from_path(&self.path)
            .map_err(|e| self.blame.file(format!("cannot read: {e}")))?;
        let headers: Vec<String> = reader
            .byte_headers()
            .map_err(|e| self.blame.at("line 1", e.to_string()))?
            .iter()
            .map(|h| decode(h).trim().trim_start_matches('\u{feff}').to_owned())
            .collect();
        // Beyond the attributes a layer may hold and its coordinate columns: refused before any row is read.
        if headers.len() > super::MAX_ATTRIBUTES + 2 {
            return Err(self.blame.at(
                "line 1",
                format!("{} columns: a layer holds at most {} attributes", headers.len(), super::MAX_ATTRIBUTES),
            ));
        }
        let keys: Vec<String> = headers.iter().map(|h| key(h)).collect();
        let find = |names: &[&str]| keys.iter().position(|k| names.contains(&k.as_str()));
        // A WKT column wins: it holds any geometry, and attributes may be called x or y.
        let geometry = match (find(LON_NAMES), find(LAT_NAMES), find(WKT_NAMES)) {
            (_, _, Some(wkt)) => Geometry::Wkt(wkt),
            (Some(lon), Some(lat), None) => Geometry::LonLat { lon, lat },
            _ => {
                return Err(self.blame.at(
                    "line 1",
                    format!(
                        "no coordinate columns: expected longitude/latitude columns (lon, lng, longitude, x / lat, \
                         latitude, y) or a WKT column (wkt, geometry); the header, split on {}, has: {}",
                        delimiter_name(self.delimiter),
                        headers.join(" | ")
                    ),
                ));
            }
        };
        let geometry_columns: Vec<usize> = match geometry {
            Geometry::LonLat { lon, lat } => vec![lon, lat],
            Geometry::Wkt(w) => vec![w],
        };
        let mut record = csv::ByteRecord::new();
        loop {
            let read = reader.read_byte_record(&mut record);
            let line = record.position().map(|p| p.line()).unwrap_or(0);
            match read {
                Ok(false) => break,
                Ok(true) => {}
                Err(e) => {
                    let at = e.position().map(|p| p.line()).unwrap_or(line);
                    let why = match e.kind() {
                        csv::ErrorKind::UnequalLengths { expected_len, len, .. } => format!(
                            "{len} fields where the header has {expected_len} (is the delimiter {}?)",
                            delimiter_name(self.delimiter)
                        ),
                        _ => e.to_string(),
                    };
                    return Err(self.blame.at(format!("line {at}"), why));
                }
            }
            let location = format!("line {line}");
            let cell = |i: usize| decode(record.get(i).unwrap_or_default());
            let geometry = match geometry {
                Geometry::LonLat { lon, lat } => {
                    let (x, y) = (cell(lon), cell(lat));
                    if x.trim().is_empty() || y.trim().is_empty() {
                        Err("empty coordinates".to_owned())
                    } else {
                        let number = |text: &str, column: usize| {
                            text.trim().replace(',', ".").parse::<f64>().map_err(|_| {
                                self.blame.at(
                                    location.clone(),
                                    format!("`{}` in column {} is not a number", text.trim(), headers[column]),
                                )
                            })
                        };
                        Ok(geo_types::Geometry::Point(geo_types::Point::new(number(&x, lon)?, number(&y, lat)?)))
                    }
                }
                Geometry::Wkt(column) => {
                    let text = cell(column);
                    if text.trim().is_empty() {
                        Err("empty geometry".to_owned())
                    } else if nesting(&text) > MAX_WKT_NESTING {
                        Err(format!("WKT nested deeper than {MAX_WKT_NESTING} parentheses"))
                    } else {
                        geo_types::Geometry::<f64>::try_from_wkt_str(text.trim()).map_err(|e| format!("not WKT: {e}"))
                    }
                }
            };
            let mut properties = Map::new();
            for (i, name) in headers.iter().enumerate() {
                if !geometry_columns.contains(&i) {
                    properties.insert(name.clone(), typed_value(&cell(i)));
                }
            }
            emit(RawFeature { geometry, properties, source_id: None, location })?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wkt_nested_too_deep_skips_its_feature_instead_of_overflowing_the_stack() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("deep.csv");
        let deep = format!("{}POINT(1 2){}", "GEOMETRYCOLLECTION(".repeat(100_000), ")".repeat(100_000));
        let fine = format!("{}POINT(1 2){}", "GEOMETRYCOLLECTION(".repeat(31), ")".repeat(31));
        std::fs::write(&path, format!("id;wkt\n1;{deep}\n2;{fine}\n")).unwrap();
        let mut reader = CsvReader::open(&path, Blame::new("deep.csv")).unwrap();
        let mut geometries = Vec::new();
        // The server's stack for readers (tokio's blocking threads).
        std::thread::Builder::new()
            .stack_size(2 << 20)
            .spawn(move || {
                reader.read(&mut |f| {
                    geometries.push(f.geometry.map(|_| ()));
                    Ok(())
                })?;
                Ok::<_, ImportError>(geometries)
            })
            .unwrap()
            .join()
            .map(|read| {
                let geometries = read.unwrap();
                assert_eq!(geometries, [Err("WKT nested deeper than 32 parentheses".to_owned()), Ok(())]);
            })
            .unwrap();
    }

    #[test]
    fn the_delimiter_is_the_one_that_splits_the_header() {
        assert_eq!(detect_delimiter("nom;lat;lon;teneur"), b';');
        assert_eq!(detect_delimiter("name,lat,lon"), b',');
        assert_eq!(detect_delimiter("name\tlat\tlon"), b'\t');
        assert_eq!(detect_delimiter("\"a;b\",lat,lon"), b',');
        assert_eq!(detect_delimiter("nom|x|y"), b'|');
    }
}
