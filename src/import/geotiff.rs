//! GeoTIFF: a raster becomes a layer with one feature, its footprint, whose
//! properties describe the raster (size, bands, data type, nodata, pixel
//! size, CRS). The file itself is kept beside the layer (see
//! [`FeatureReader::raster`]) for the tiles to serve; its pixels are not read here.
//!
//! Georeferencing follows the GeoTIFF 1.1 tags: ModelPixelScale (33550) with
//! ModelTiepoint (33922), or ModelTransformation (34264); the CRS comes from
//! the GeoKeyDirectory (34735), and nodata from GDAL's tag (42113).

use super::{Blame, Crs, Emit, FeatureReader, Format, ImportError, RasterInfo, RawFeature};
use geo_types::{Coord, Geometry, LineString, Polygon};
use serde_json::{Map, Value, json};
use std::fs::File;
use std::io::BufReader;
use std::path::{Path, PathBuf};
use tiff::decoder::Decoder;
use tiff::tags::Tag;

/// GeoKeys ODG reads (GeoTIFF 1.1, section 7.5).
const GT_MODEL_TYPE: u16 = 1024;
const GT_RASTER_TYPE: u16 = 1025;
const GEOGRAPHIC_TYPE: u16 = 2048;
const PROJECTED_CS_TYPE: u16 = 3072;
/// GTModelTypeGeoKey: a projected CRS.
const MODEL_PROJECTED: u16 = 1;
/// GTRasterTypeGeoKey: coordinates are those of pixel centres.
const RASTER_PIXEL_IS_POINT: u16 = 2;
/// A user-defined CRS, described by other keys ODG does not interpret.
const USER_DEFINED: u16 = 32767;

pub struct GeoTiffReader {
    path: PathBuf,
    width: u32,
    height: u32,
    /// GDAL's geotransform: x = gt[0] + col·gt[1] + row·gt[2], y = gt[3] + col·gt[4] + row·gt[5].
    transform: [f64; 6],
    crs: Option<Crs>,
    description: Map<String, Value>,
}

fn unreadable(blame: &Blame, e: impl std::fmt::Display) -> ImportError {
    blame.file(format!("not a readable TIFF: {e}"))
}

/// GDAL's name of the type of a band's samples.
fn data_type(sample_format: u16, bits: u16) -> String {
    match (sample_format, bits) {
        (1, 8) => "Byte".into(),
        (2, 8) => "Int8".into(),
        (1, 16) => "UInt16".into(),
        (2, 16) => "Int16".into(),
        (1, 32) => "UInt32".into(),
        (2, 32) => "Int32".into(),
        (1, 64) => "UInt64".into(),
        (2, 64) => "Int64".into(),
        (3, 32) => "Float32".into(),
        (3, 64) => "Float64".into(),
        (3, 16) => "Float16".into(),
        (1, n) => format!("UInt{n}"),
        (2, n) => format!("Int{n}"),
        (3, n) => format!("Float{n}"),
        (f, n) => format!("format {f}, {n} bits"),
    }
}

/// The value of a GeoKey stored in the directory itself (a SHORT).
fn geo_key(directory: &[u16], key: u16) -> Option<u16> {
    // A header of 4 shorts, then 4 shorts per key: id, location, count, value.
    let count = usize::from(*directory.get(3)?);
    directory.get(4..)?.chunks_exact(4).take(count).find(|k| k[0] == key && k[1] == 0).map(|k| k[3])
}

impl GeoTiffReader {
    pub fn open(path: &Path, blame: Blame) -> Result<GeoTiffReader, ImportError> {
        let file = File::open(path).map_err(|e| blame.file(format!("cannot read the upload: {e}")))?;
        let mut tiff = Decoder::new(BufReader::new(file)).map_err(|e| unreadable(&blame, e))?;
        let (width, height) = tiff.dimensions().map_err(|e| unreadable(&blame, e))?;
        let tag_f64s = |tiff: &mut Decoder<BufReader<File>>, tag: Tag| -> Result<Option<Vec<f64>>, ImportError> {
            match tiff.find_tag(tag).map_err(|e| unreadable(&blame, e))? {
                None => Ok(None),
                Some(v) => v.into_f64_vec().map(Some).map_err(|e| unreadable(&blame, e)),
            }
        };
        let scale = tag_f64s(&mut tiff, Tag::ModelPixelScaleTag)?;
        let tiepoints = tag_f64s(&mut tiff, Tag::ModelTiepointTag)?;
        let matrix = tag_f64s(&mut tiff, Tag::ModelTransformationTag)?;
        let keys: Vec<u16> = tiff
            .find_tag_unsigned_vec::<u16>(Tag::GeoKeyDirectoryTag)
            .map_err(|e| unreadable(&blame, e))?
            .unwrap_or_default();
        let mut transform = match (&matrix, &scale, &tiepoints) {
            // A 4×4 row-major matrix from (col, row, 0, 1) to (x, y, z, 1).
            (Some(m), _, _) if m.len() >= 16 => [m[3], m[0], m[1], m[7], m[4], m[5]],
            (_, Some(s), Some(t)) if s.len() >= 2 && t.len() >= 6 => {
                // The tie point (col, row) ↔ (x, y); rows go down, y up.
                let (col, row, x, y) = (t[0], t[1], t[3], t[4]);
                [x - col * s[0], s[0], 0.0, y + row * s[1], 0.0, -s[1]]
            }
            (_, None, Some(t)) if t.len() > 6 => {
                return Err(blame.file(
                    "the TIFF is georeferenced by ground control points only: warp it first \
                     (gdalwarp -t_srs EPSG:xxxx in.tif out.tif)",
                ));
            }
            _ => {
                return Err(blame.file(
                    "the TIFF has no georeferencing (no ModelPixelScale and ModelTiepoint, nor \
                     ModelTransformation): it is not a GeoTIFF",
                ));
            }
        };
        // Like GDAL, coordinates of pixel centres are moved to the corner of the pixel.
        if geo_key(&keys, GT_RASTER_TYPE) == Some(RASTER_PIXEL_IS_POINT) {
            transform[0] -= 0.5 * (transform[1] + transform[2]);
            transform[3] -= 0.5 * (transform[4] + transform[5]);
        }
        if transform.iter().any(|v| !v.is_finite()) || transform[1] * transform[5] - transform[2] * transform[4] == 0.0
        {
            return Err(blame.file("the TIFF's georeferencing is degenerate (a pixel size of zero)"));
        }
        let code = match geo_key(&keys, GT_MODEL_TYPE) {
            Some(MODEL_PROJECTED) => geo_key(&keys, PROJECTED_CS_TYPE),
            _ => geo_key(&keys, PROJECTED_CS_TYPE).or_else(|| geo_key(&keys, GEOGRAPHIC_TYPE)),
        };
        // A user-defined CRS is left to the uploader's `crs` argument.
        let crs = match code {
            Some(code) if code != USER_DEFINED && code != 0 => {
                Some(Crs::from_epsg(u32::from(code)).map_err(|e| blame.at("GeoKeyDirectory", e))?)
            }
            _ => None,
        };
        let bands =
            tiff.find_tag_unsigned::<u16>(Tag::SamplesPerPixel).map_err(|e| unreadable(&blame, e))?.unwrap_or(1);
        let first = |v: Option<Vec<u16>>, default: u16| v.and_then(|v| v.first().copied()).unwrap_or(default);
        let bits = first(tiff.find_tag_unsigned_vec::<u16>(Tag::BitsPerSample).map_err(|e| unreadable(&blame, e))?, 1);
        let sample_format =
            first(tiff.find_tag_unsigned_vec::<u16>(Tag::SampleFormat).map_err(|e| unreadable(&blame, e))?, 1);
        let nodata = match tiff.find_tag(Tag::GdalNodata).map_err(|e| unreadable(&blame, e))? {
            None => Value::Null,
            Some(v) => {
                let text = v.into_string().map_err(|e| unreadable(&blame, e))?;
                let text = text.trim_end_matches('\0').trim();
                // JSON has no NaN: a NaN nodata stays text.
                match text.parse::<f64>() {
                    Ok(n) if n.is_finite() && n.fract() == 0.0 && n.abs() < 9.0e15 => Value::from(n as i64),
                    Ok(n) if n.is_finite() => Value::from(n),
                    _ => Value::String(text.to_owned()),
                }
            }
        };
        // Reduced-resolution images after the main one (gdaladdo, COG): zoomed-out tiles read them.
        let mut overviews = 0u32;
        while tiff.more_images() && tiff.next_image().is_ok() {
            if tiff.find_tag_unsigned::<u32>(Tag::NewSubfileType).ok().flatten() == Some(1) {
                overviews += 1;
            }
        }
        let description = json!({
            "width": width,
            "height": height,
            "bands": bands,
            "overviews": overviews,
            "data_type": data_type(sample_format, bits),
            "nodata": nodata,
            "pixel_size_x": transform[1],
            "pixel_size_y": transform[5],
            "crs": crs.as_ref().map(|c| c.label().to_owned()),
        });
        let Value::Object(description) = description else { unreachable!("a JSON object literal") };
        Ok(GeoTiffReader { path: path.to_path_buf(), width, height, transform, crs, description })
    }

    /// The raster's outline in its own CRS: the outer corners of its corner pixels.
    fn footprint(&self) -> Polygon<f64> {
        let t = &self.transform;
        let at = |col: f64, row: f64| Coord { x: t[0] + col * t[1] + row * t[2], y: t[3] + col * t[4] + row * t[5] };
        let (w, h) = (f64::from(self.width), f64::from(self.height));
        // Top-left, bottom-left, bottom-right, top-right: counter-clockwise for a north-up image.
        Polygon::new(LineString::from(vec![at(0.0, 0.0), at(0.0, h), at(w, h), at(w, 0.0), at(0.0, 0.0)]), vec![])
    }
}

impl FeatureReader for GeoTiffReader {
    fn format(&self) -> Format {
        Format::GeoTiff
    }
    fn declared_crs(&self) -> Result<Option<Crs>, ImportError> {
        Ok(self.crs.clone())
    }
    fn wgs84_by_definition(&self) -> bool {
        false
    }

    fn read(&mut self, emit: &mut Emit<'_>) -> Result<(), ImportError> {
        emit(RawFeature {
            geometry: Ok(Geometry::Polygon(self.footprint())),
            properties: self.description.clone(),
            source_id: None,
            location: "footprint".into(),
        })
    }

    fn raster(&self) -> Option<RasterInfo> {
        let mut description = self.description.clone();
        description.insert("geotransform".into(), json!(self.transform));
        Some(RasterInfo { path: self.path.clone(), description: Value::Object(description) })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn geo_keys_are_read_from_the_directory() {
        // Version 1.1.0, 3 keys: model type projected, raster type area, EPSG:32633.
        let directory = [1, 1, 0, 3, 1024, 0, 1, 1, 1025, 0, 1, 1, 3072, 0, 1, 32633];
        assert_eq!(geo_key(&directory, GT_MODEL_TYPE), Some(MODEL_PROJECTED));
        assert_eq!(geo_key(&directory, PROJECTED_CS_TYPE), Some(32633));
        assert_eq!(geo_key(&directory, GEOGRAPHIC_TYPE), None);
        assert_eq!(geo_key(&[1, 1], GT_MODEL_TYPE), None);
    }

    #[test]
    fn sample_types_have_gdal_names() {
        assert_eq!(data_type(1, 8), "Byte");
        assert_eq!(data_type(2, 16), "Int16");
        assert_eq!(data_type(3, 32), "Float32");
    }
}
