//! Raster tiles of GeoTIFF layers: 256×256 PNG in Web Mercator, made on the
//! fly from the kept file. Each output pixel's centre goes to lon/lat, then
//! to the raster's CRS, then through the inverse geotransform to the
//! nearest source pixel. A zoomed-out tile reads the file's overviews (the
//! reduced-resolution images `gdaladdo` or a COG puts after the main one):
//! the coarsest one still at least as fine as the tile's pixels, so its
//! cost follows the tile, not the raster. Only the TIFF strips or tiles a
//! tile needs are decoded, kept in a small LRU shared by all layers; nodata
//! and the outside are transparent. One band is coloured with a ramp (the layer
//! style's `rasterRamp`, else viridis from the band's minimum to maximum);
//! three or four bands are red, green, blue (and alpha) as they are.

use super::cache::{CachedTile, TileKey};
use super::mvt::TileId;
use super::{MAX_ZOOM, TilesState};
use crate::domain::{self, Catalog};
use crate::error::{AppError, AppResult};
use crate::import::Crs;
use crate::web::{base_url, reader};
use axum::Json;
use axum::extract::{Path, Query, State};
use axum::http::HeaderMap;
use axum::response::Response;
use moka::sync::Cache;
use serde_json::{Value, json};
use std::collections::HashMap;
use std::fs::File;
use std::io::BufReader;
use std::path::PathBuf;
use std::sync::{Arc, OnceLock};
use std::time::SystemTime;
use tiff::decoder::{ChunkType, Decoder, DecodingResult};
use tiff::tags::{PlanarConfiguration, Tag};

/// Output tiles are this many pixels a side.
pub const TILE_SIZE: u32 = 256;
/// Decoded TIFF chunks kept in memory, all layers together.
const CHUNK_CACHE_BYTES: u64 = 64 * 1024 * 1024;
/// A chunk (strip or tile) larger than this is not decoded: such a file
/// must be re-saved tiled (`gdal_translate -co TILED=YES`).
const MAX_CHUNK_BYTES: u64 = 64 * 1024 * 1024;
/// The default ramp, viridis-like, spread from the band's minimum to its maximum.
const VIRIDIS: [[u8; 3]; 5] =
    [[0x44, 0x01, 0x54], [0x3b, 0x52, 0x8b], [0x21, 0x91, 0x8c], [0x5e, 0xc9, 0x62], [0xfd, 0xe7, 0x25]];

/// The source name of a raster layer in the tile cache.
pub fn raster_source(layer_id: i64) -> String {
    format!("raster-{layer_id}")
}

/// `12` or `layer-12`.
fn layer_id_of(text: &str) -> Option<i64> {
    text.strip_prefix("layer-").unwrap_or(text).parse().ok()
}

/// A kept raster file, as its layer describes it.
#[derive(Clone)]
struct Raster {
    key: RasterKey,
    width: u32,
    height: u32,
    bands: usize,
    /// GDAL's order: x = gt[0] + col·gt[1] + row·gt[2], y = gt[3] + col·gt[4] + row·gt[5].
    geotransform: [f64; 6],
    /// NaN for a NaN nodata.
    nodata: Option<f64>,
    crs: Crs,
}

/// A raster file, as it is on disk now: a replaced file is another key.
#[derive(Clone, Debug, Hash, PartialEq, Eq)]
struct RasterKey {
    layer: i64,
    path: PathBuf,
    len: u64,
    modified: Option<SystemTime>,
}

/// How a TIFF lays out its images, read once per file: the full
/// resolution first, then its overviews from the finest to the coarsest.
struct Layout {
    levels: Vec<Level>,
    /// The minimum and maximum of the first band, computed when first needed.
    range: OnceLock<Option<(f64, f64)>>,
}

/// One image of the file: the full resolution or an overview.
struct Level {
    /// Its directory in the file (0: the full resolution).
    ifd: usize,
    width: u32,
    height: u32,
    chunk_type: ChunkType,
    chunk_width: u32,
    chunk_height: u32,
    /// Chunks across the image (tiles; 1 for strips).
    across: u32,
    /// Chunks of one band (planar) or of all bands (chunky).
    per_band: u32,
    planar: bool,
    /// Samples per pixel in a decoded chunk: the bands, or 1 when planar.
    stride: usize,
}

/// A decoded chunk: its samples, row by row, `width` pixels a row.
struct Chunk {
    width: usize,
    data: DecodingResult,
}

impl Chunk {
    fn bytes(&self) -> usize {
        match &self.data {
            DecodingResult::U8(v) => v.len(),
            DecodingResult::I8(v) => v.len(),
            DecodingResult::U16(v) => v.len() * 2,
            DecodingResult::I16(v) => v.len() * 2,
            DecodingResult::U32(v) => v.len() * 4,
            DecodingResult::I32(v) => v.len() * 4,
            DecodingResult::F32(v) => v.len() * 4,
            DecodingResult::U64(v) => v.len() * 8,
            DecodingResult::I64(v) => v.len() * 8,
            DecodingResult::F64(v) => v.len() * 8,
        }
    }

    fn len(&self) -> usize {
        match &self.data {
            DecodingResult::U8(v) => v.len(),
            DecodingResult::I8(v) => v.len(),
            DecodingResult::U16(v) => v.len(),
            DecodingResult::I16(v) => v.len(),
            DecodingResult::U32(v) => v.len(),
            DecodingResult::I32(v) => v.len(),
            DecodingResult::F32(v) => v.len(),
            DecodingResult::U64(v) => v.len(),
            DecodingResult::I64(v) => v.len(),
            DecodingResult::F64(v) => v.len(),
        }
    }

    fn value(&self, i: usize) -> Option<f64> {
        Some(match &self.data {
            DecodingResult::U8(v) => f64::from(*v.get(i)?),
            DecodingResult::I8(v) => f64::from(*v.get(i)?),
            DecodingResult::U16(v) => f64::from(*v.get(i)?),
            DecodingResult::I16(v) => f64::from(*v.get(i)?),
            DecodingResult::U32(v) => f64::from(*v.get(i)?),
            DecodingResult::I32(v) => f64::from(*v.get(i)?),
            DecodingResult::F32(v) => f64::from(*v.get(i)?),
            DecodingResult::U64(v) => *v.get(i)? as f64,
            DecodingResult::I64(v) => *v.get(i)? as f64,
            DecodingResult::F64(v) => *v.get(i)?,
        })
    }
}

/// What all raster layers share: their layouts and the decoded chunks.
struct Shared {
    layouts: Cache<RasterKey, Arc<Layout>>,
    /// Keyed by file, level and chunk index.
    chunks: Cache<(RasterKey, u8, u32), Arc<Chunk>>,
}

fn shared() -> &'static Shared {
    static SHARED: OnceLock<Shared> = OnceLock::new();
    SHARED.get_or_init(|| Shared {
        layouts: Cache::new(256),
        chunks: Cache::builder()
            .max_capacity(CHUNK_CACHE_BYTES)
            .weigher(|_, chunk: &Arc<Chunk>| u32::try_from(chunk.bytes() + 64).unwrap_or(u32::MAX))
            .build(),
    })
}

fn tiff_error(raster: &Raster, e: impl std::fmt::Display) -> AppError {
    AppError::Internal(anyhow::anyhow!("reading the raster {}: {e}", raster.key.path.display()))
}

/// A raster layer the caller may read, with its kept file.
async fn readable_raster(catalog: &Catalog, actor: &domain::Actor, text: &str) -> AppResult<(domain::Layer, Raster)> {
    let missing = || AppError::not_found("raster source", text);
    let id = layer_id_of(text).ok_or_else(missing)?;
    let layer = catalog.layer(actor, id).await?.ok_or_else(missing)?;
    let description = catalog.layer_raster(id).await?.ok_or_else(missing)?;
    let path = description.get("path").and_then(Value::as_str).map(PathBuf::from).ok_or_else(missing)?;
    let number = |name: &str| description.get(name).and_then(Value::as_u64);
    let (Some(width), Some(height)) = (number("width"), number("height")) else { return Err(missing()) };
    let geotransform: [f64; 6] =
        serde_json::from_value(description.get("geotransform").cloned().unwrap_or(Value::Null))
            .map_err(|_| missing())?;
    let nodata = match description.get("nodata") {
        Some(Value::Number(n)) => n.as_f64(),
        Some(Value::String(s)) => s.trim().parse::<f64>().ok(),
        _ => None,
    };
    let crs_label = description.get("crs").and_then(Value::as_str).unwrap_or(&layer.source.crs);
    let crs = Crs::parse(crs_label).map_err(|e| AppError::Internal(anyhow::anyhow!("raster layer {id}: {e}")))?;
    let metadata = tokio::fs::metadata(&path)
        .await
        .map_err(|e| AppError::Internal(anyhow::anyhow!("the raster file of layer {id} ({}): {e}", path.display())))?;
    let raster = Raster {
        key: RasterKey { layer: id, path, len: metadata.len(), modified: metadata.modified().ok() },
        width: u32::try_from(width).map_err(|_| missing())?,
        height: u32::try_from(height).map_err(|_| missing())?,
        bands: number("bands").unwrap_or(1).clamp(1, 64) as usize,
        geotransform,
        nodata,
        crs,
    };
    Ok((layer, raster))
}

pub(super) async fn tilejson(
    State(state): State<TilesState>,
    Path(layer_json): Path<String>,
    headers: HeaderMap,
    Query(query): Query<HashMap<String, String>>,
) -> AppResult<Json<Value>> {
    let actor = reader(&state.catalog, &state.auth, &headers, &query).await?;
    let text = layer_json.strip_suffix(".json").ok_or_else(|| AppError::not_found("raster source", &layer_json))?;
    let (layer, _) = readable_raster(&state.catalog, &actor, text).await?;
    let b = layer.source.bbox.unwrap_or(crate::spatial::Bbox {
        min_lon: -180.0,
        min_lat: -85.0511,
        max_lon: 180.0,
        max_lat: 85.0511,
    });
    let token = query.get("access_token").map(|t| format!("?access_token={t}")).unwrap_or_default();
    Ok(Json(json!({
        "tilejson": "3.0.0",
        "name": layer.meta.name,
        "description": format!("raster tiles of layer {}", layer.id),
        "scheme": "xyz",
        "format": "png",
        "tiles": [format!("{}/tiles/raster/{}/{{z}}/{{x}}/{{y}}.png{token}", base_url(&headers), layer.id)],
        "tileSize": TILE_SIZE,
        "minzoom": 0,
        "maxzoom": MAX_ZOOM,
        "bounds": [b.min_lon, b.min_lat, b.max_lon, b.max_lat],
        "center": [(b.min_lon + b.max_lon) / 2.0, (b.min_lat + b.max_lat) / 2.0, 10],
    })))
}

pub(super) async fn tile(
    State(state): State<TilesState>,
    Path((text, z, x, y_ext)): Path<(String, u8, u32, String)>,
    headers: HeaderMap,
    Query(query): Query<HashMap<String, String>>,
) -> AppResult<Response> {
    let actor = reader(&state.catalog, &state.auth, &headers, &query).await?;
    let (layer, raster) = readable_raster(&state.catalog, &actor, &text).await?;
    let y = y_ext
        .strip_suffix(".png")
        .and_then(|y| y.parse::<u32>().ok())
        .ok_or_else(|| AppError::invalid("y", "a raster tile is addressed as /tiles/raster/{layer}/{z}/{x}/{y}.png"))?;
    let id = TileId::new(z, x, y).filter(|t| t.z <= MAX_ZOOM).ok_or_else(|| {
        AppError::invalid("z", format!("no tile {z}/{x}/{y}: zoom 0 to {MAX_ZOOM}, x and y below 2^z"))
    })?;
    let key = TileKey { source: raster_source(layer.id), tile: id };
    let (tile, hit) = match state.cache.get(&key) {
        Some(tile) => (tile, true),
        None => {
            let generation = state.cache.generation();
            let outside = layer.source.bbox.is_none_or(|b| {
                let (west, south, east, north) = id.bounds_with_buffer();
                b.max_lon < west || b.min_lon > east || b.max_lat < south || b.min_lat > north
            });
            let built = if outside {
                None
            } else {
                let ramp = Ramp::from_style(&layer.meta.style);
                tokio::task::spawn_blocking(move || render(&raster, ramp, id))
                    .await
                    .map_err(|e| AppError::Internal(anyhow::anyhow!("rendering a raster tile: {e}")))??
            };
            let tile: CachedTile = Arc::new(built);
            state.cache.insert(key, tile.clone(), generation);
            (tile, false)
        }
    };
    Ok(super::tile_response(&state, &headers, tile, hit, "image/png"))
}

/// Colour stops, sorted by value.
#[derive(Clone, Debug, PartialEq)]
struct Ramp(Vec<(f64, [u8; 3])>);

impl Ramp {
    /// The style's `rasterRamp` (`[[value, "#rrggbb"], …]`), if it has one.
    fn from_style(style: &Value) -> Option<Ramp> {
        let mut stops: Vec<(f64, [u8; 3])> = style
            .get("rasterRamp")?
            .as_array()?
            .iter()
            .filter_map(|stop| {
                let stop = stop.as_array()?;
                Some((stop.first()?.as_f64()?, parse_colour(stop.get(1)?.as_str()?)?))
            })
            .collect();
        stops.sort_by(|a, b| a.0.total_cmp(&b.0));
        (!stops.is_empty()).then_some(Ramp(stops))
    }

    fn viridis(min: f64, max: f64) -> Ramp {
        let last = (VIRIDIS.len() - 1) as f64;
        Ramp(VIRIDIS.iter().enumerate().map(|(i, c)| (min + (max - min) * i as f64 / last, *c)).collect())
    }

    fn colour(&self, value: f64) -> [u8; 3] {
        let stops = &self.0;
        let Some(after) = stops.iter().position(|(v, _)| *v >= value) else { return stops[stops.len() - 1].1 };
        if after == 0 {
            return stops[0].1;
        }
        let ((v0, c0), (v1, c1)) = (stops[after - 1], stops[after]);
        let t = if v1 > v0 { (value - v0) / (v1 - v0) } else { 1.0 };
        std::array::from_fn(|i| (f64::from(c0[i]) + t * (f64::from(c1[i]) - f64::from(c0[i]))).round() as u8)
    }
}

/// `#rrggbb` (or `rrggbb`).
fn parse_colour(text: &str) -> Option<[u8; 3]> {
    let hex = text.strip_prefix('#').unwrap_or(text);
    if hex.len() != 6 || !hex.is_ascii() {
        return None;
    }
    let channel = |i: usize| u8::from_str_radix(&hex[i..i + 2], 16).ok();
    Some([channel(0)?, channel(2)?, channel(4)?])
}

/// Reads chunks of one file, through the shared cache, opening the file
/// only when a chunk is missing.
struct ChunkReader<'a> {
    raster: &'a Raster,
    layout: Arc<Layout>,
    /// The open file, and the level (directory) it is on.
    decoder: Option<(Decoder<BufReader<File>>, usize)>,
    /// The chunk used last: neighbouring pixels mostly fall in the same one.
    /// Only one is held, so a tile that spans many chunks stays within the
    /// shared cache's bound.
    last: Option<(usize, u32, Arc<Chunk>)>,
}

fn open(raster: &Raster) -> AppResult<Decoder<BufReader<File>>> {
    let file = File::open(&raster.key.path).map_err(|e| tiff_error(raster, e))?;
    Decoder::new(BufReader::new(file)).map_err(|e| tiff_error(raster, e))
}

/// The layout of the image the decoder is on (directory `ifd`).
fn level_of(raster: &Raster, decoder: &mut Decoder<BufReader<File>>, ifd: usize) -> AppResult<Level> {
    let (width, height) = decoder.dimensions().map_err(|e| tiff_error(raster, e))?;
    let chunk_type = decoder.get_chunk_type();
    let (chunk_width, chunk_height) = decoder.chunk_dimensions();
    if chunk_width == 0 || chunk_height == 0 || width == 0 || height == 0 {
        return Err(tiff_error(raster, "an image or chunks of no size"));
    }
    let planar = decoder
        .find_tag_unsigned::<u16>(Tag::PlanarConfiguration)
        .map_err(|e| tiff_error(raster, e))?
        .is_some_and(|p| p == PlanarConfiguration::Planar.to_u16());
    let bits = decoder
        .find_tag_unsigned_vec::<u16>(Tag::BitsPerSample)
        .map_err(|e| tiff_error(raster, e))?
        .and_then(|b| b.first().copied())
        .unwrap_or(8);
    let stride = if planar { 1 } else { raster.bands };
    let chunk_bytes = u64::from(chunk_width) * u64::from(chunk_height) * stride as u64 * u64::from(bits.max(8) / 8);
    if chunk_bytes > MAX_CHUNK_BYTES {
        return Err(AppError::invalid(
            "layer",
            format!(
                "the raster of layer {} is stored in chunks of {} MiB: re-save it tiled \
                 (gdal_translate -co TILED=YES) and import it again",
                raster.key.layer,
                chunk_bytes >> 20
            ),
        ));
    }
    let down = height.div_ceil(chunk_height);
    let across = match chunk_type {
        ChunkType::Strip => 1,
        ChunkType::Tile => width.div_ceil(chunk_width),
    };
    Ok(Level {
        ifd,
        width,
        height,
        chunk_type,
        chunk_width,
        chunk_height,
        across,
        per_band: across * down,
        planar,
        stride,
    })
}

/// The full resolution and the overviews that follow it: directories
/// marked as reduced-resolution images (`NewSubfileType` 1), smaller than
/// the one before, with the same bands, whose first chunk decodes; masks
/// are left out, and an overview that cannot be read ends the list.
fn layout_of(raster: &Raster, decoder: &mut Decoder<BufReader<File>>) -> AppResult<Layout> {
    let mut levels = vec![level_of(raster, decoder, 0)?];
    let mut ifd = 0;
    while decoder.more_images() && levels.len() < 32 {
        ifd += 1;
        // An overview ODG cannot read is no reason to refuse the raster: tiles use the levels before it.
        let level = decoder.next_image().map_err(|e| tiff_error(raster, e)).and_then(|()| {
            let tag = |decoder: &mut Decoder<BufReader<File>>, tag| {
                decoder.find_tag_unsigned::<u32>(tag).map_err(|e| tiff_error(raster, e))
            };
            let overview = tag(decoder, Tag::NewSubfileType)? == Some(1)
                && tag(decoder, Tag::SamplesPerPixel)?.unwrap_or(1) as usize == raster.bands;
            if !overview {
                return Ok(None);
            }
            let level = level_of(raster, decoder, ifd)?;
            // One chunk decoded now, so that an overview in a compression ODG cannot read is left out here
            // rather than failing the zoomed-out tiles later.
            decoder.read_chunk(0).map_err(|e| tiff_error(raster, e))?;
            Ok(Some(level))
        });
        match level {
            Ok(Some(level)) => {
                let previous = levels.last().expect("the full resolution");
                if level.width < previous.width && level.height < previous.height {
                    levels.push(level);
                }
            }
            Ok(None) => {}
            Err(e) => {
                tracing::warn!(layer = raster.key.layer, error = %e.into_anyhow(), "an overview of the raster is left out");
                break;
            }
        }
    }
    Ok(Layout { levels, range: OnceLock::new() })
}

impl<'a> ChunkReader<'a> {
    fn new(raster: &'a Raster) -> AppResult<ChunkReader<'a>> {
        let cache = shared();
        let mut decoder = None;
        let layout = match cache.layouts.get(&raster.key) {
            Some(layout) => layout,
            None => {
                let mut opened = open(raster)?;
                let layout = Arc::new(layout_of(raster, &mut opened)?);
                // Reading the layout left the decoder on some directory: the first chunk seeks its own.
                decoder = Some((opened, usize::MAX));
                cache.layouts.insert(raster.key.clone(), layout.clone());
                layout
            }
        };
        Ok(ChunkReader { raster, layout, decoder, last: None })
    }

    fn decode(&mut self, level: usize, index: u32) -> AppResult<Chunk> {
        let l = &self.layout.levels[level];
        if self.decoder.is_none() {
            self.decoder = Some((open(self.raster)?, 0));
        }
        let (decoder, on) = self.decoder.as_mut().expect("just opened");
        if *on != l.ifd {
            decoder.seek_to_image(l.ifd).map_err(|e| tiff_error(self.raster, e))?;
            *on = l.ifd;
        }
        let width = match l.chunk_type {
            ChunkType::Strip => l.width,
            ChunkType::Tile => {
                let column = (index % l.per_band) % l.across;
                (l.width - column * l.chunk_width).min(l.chunk_width)
            }
        };
        let data = decoder.read_chunk(index).map_err(|e| tiff_error(self.raster, e))?;
        Ok(Chunk { width: width as usize, data })
    }

    fn chunk(&mut self, level: usize, index: u32) -> AppResult<Arc<Chunk>> {
        if let Some((last_level, last, chunk)) = &self.last
            && (*last_level, *last) == (level, index)
        {
            return Ok(chunk.clone());
        }
        let key = (self.raster.key.clone(), level as u8, index);
        let chunk = match shared().chunks.get(&key) {
            Some(chunk) => chunk,
            None => {
                let chunk = Arc::new(self.decode(level, index)?);
                shared().chunks.insert(key, chunk.clone());
                chunk
            }
        };
        self.last = Some((level, index, chunk.clone()));
        Ok(chunk)
    }

    /// The value of a band at a pixel of a level.
    fn sample(&mut self, level: usize, col: u32, row: u32, band: usize) -> AppResult<Option<f64>> {
        let layout = self.layout.clone();
        let l = &layout.levels[level];
        let (chunk_col, chunk_row) = (col / l.chunk_width, row / l.chunk_height);
        let mut index = chunk_row * l.across + if l.chunk_type == ChunkType::Tile { chunk_col } else { 0 };
        if l.planar {
            index += band as u32 * l.per_band;
        }
        let chunk = self.chunk(level, index)?;
        let (x, y) = (
            (col - if l.chunk_type == ChunkType::Tile { chunk_col * l.chunk_width } else { 0 }) as usize,
            (row - chunk_row * l.chunk_height) as usize,
        );
        let offset = (y * chunk.width + x) * l.stride + if l.planar { 0 } else { band };
        Ok(chunk.value(offset))
    }

    /// The minimum and maximum of the first band (nodata left out),
    /// computed once per file, a chunk at a time, outside the cache, from
    /// the coarsest overview when there is one (approximate, as GDAL's
    /// approximate statistics, and cheap whatever the raster's size).
    fn range(&mut self) -> AppResult<Option<(f64, f64)>> {
        if let Some(range) = self.layout.range.get() {
            return Ok(*range);
        }
        let level = self.layout.levels.len() - 1;
        let (chunks, stride) = (self.layout.levels[level].per_band, self.layout.levels[level].stride);
        let mut range: Option<(f64, f64)> = None;
        for index in 0..chunks {
            let chunk = self.decode(level, index)?;
            for i in (0..chunk.len()).step_by(stride) {
                let Some(v) = chunk.value(i) else { continue };
                if is_nodata(v, self.raster.nodata) {
                    continue;
                }
                range = Some(range.map_or((v, v), |(lo, hi)| (lo.min(v), hi.max(v))));
            }
        }
        Ok(*self.layout.range.get_or_init(|| range))
    }

    /// The coarsest level whose pixels are at most `step` full-resolution pixels wide.
    fn level_for(&self, step: f64) -> usize {
        let full = f64::from(self.layout.levels[0].width);
        self.layout.levels.iter().rposition(|l| full / f64::from(l.width) <= step).unwrap_or(0)
    }

    /// The pixel of `level` covering a full-resolution pixel.
    fn scaled(&self, level: usize, col: u32, row: u32) -> (u32, u32) {
        let (full, l) = (&self.layout.levels[0], &self.layout.levels[level]);
        let scale = |v: u32, from: u32, to: u32| ((u64::from(v) * u64::from(to) / u64::from(from)) as u32).min(to - 1);
        (scale(col, full.width, l.width), scale(row, full.height, l.height))
    }
}

fn is_nodata(value: f64, nodata: Option<f64>) -> bool {
    value.is_nan() || nodata.is_some_and(|n| value == n || (n.is_nan() && value.is_nan()))
}

/// Web Mercator → lon/lat of a point given in tiles at zoom `z`.
fn lon_lat(z: u8, x: f64, y: f64) -> (f64, f64) {
    let n = f64::from(1u32 << z);
    let lon = x / n * 360.0 - 180.0;
    let lat = (std::f64::consts::PI * (1.0 - 2.0 * y / n)).sinh().atan().to_degrees();
    (lon, lat)
}

/// The PNG of a tile, or `None` when no pixel of it has data.
fn render(raster: &Raster, ramp: Option<Ramp>, tile: TileId) -> AppResult<Option<Vec<u8>>> {
    let mut chunks = ChunkReader::new(raster)?;
    let gt = raster.geotransform;
    let det = gt[1] * gt[5] - gt[2] * gt[4];
    if det == 0.0 || !det.is_finite() {
        return Err(tiff_error(raster, "a degenerate geotransform"));
    }
    let colour_bands = raster.bands >= 3;
    let ramp = match (colour_bands, ramp) {
        (true, _) => None,
        (false, Some(ramp)) => Some(ramp),
        (false, None) => match chunks.range()? {
            Some((min, max)) => Some(Ramp::viridis(min, max)),
            // No value at all: every pixel is nodata.
            None => return Ok(None),
        },
    };
    let size = TILE_SIZE as usize;
    // Full-resolution pixels per tile pixel, measured across the tile's centre.
    let source_pixel = |px: f64, py: f64| -> Option<(f64, f64)> {
        let per_pixel = 1.0 / f64::from(TILE_SIZE);
        let (lon, lat) = lon_lat(tile.z, f64::from(tile.x) + px * per_pixel, f64::from(tile.y) + py * per_pixel);
        let (x, y) = raster.crs.from_wgs84(lon, lat).ok()?;
        let (dx, dy) = (x - gt[0], y - gt[3]);
        Some(((gt[5] * dx - gt[2] * dy) / det, (gt[1] * dy - gt[4] * dx) / det))
    };
    let half = f64::from(TILE_SIZE) / 2.0;
    let step = match (source_pixel(half, half), source_pixel(half + 1.0, half), source_pixel(half, half + 1.0)) {
        (Some(c), Some(right), Some(down)) => {
            (right.0 - c.0).hypot(right.1 - c.1).min((down.0 - c.0).hypot(down.1 - c.1))
        }
        _ => 1.0,
    };
    let level = chunks.level_for(step);
    let mut rgba = vec![0u8; size * size * 4];
    let mut opaque = false;
    for py in 0..size {
        let ty = f64::from(tile.y) + (py as f64 + 0.5) / f64::from(TILE_SIZE);
        for px in 0..size {
            let tx = f64::from(tile.x) + (px as f64 + 0.5) / f64::from(TILE_SIZE);
            let (lon, lat) = lon_lat(tile.z, tx, ty);
            let Ok((x, y)) = raster.crs.from_wgs84(lon, lat) else { continue };
            let (dx, dy) = (x - gt[0], y - gt[3]);
            let col = ((gt[5] * dx - gt[2] * dy) / det).floor();
            let row = ((gt[1] * dy - gt[4] * dx) / det).floor();
            if !(col >= 0.0 && row >= 0.0 && col < f64::from(raster.width) && row < f64::from(raster.height)) {
                continue;
            }
            let (col, row) = chunks.scaled(level, col as u32, row as u32);
            let pixel = &mut rgba[(py * size + px) * 4..][..4];
            if let Some(ramp) = &ramp {
                let Some(v) = chunks.sample(level, col, row, 0)? else { continue };
                if is_nodata(v, raster.nodata) {
                    continue;
                }
                let [r, g, b] = ramp.colour(v);
                pixel.copy_from_slice(&[r, g, b, 255]);
            } else {
                let mut values = [0f64; 4];
                for (band, value) in values.iter_mut().enumerate().take(raster.bands.min(4)) {
                    *value = chunks.sample(level, col, row, band)?.unwrap_or(f64::NAN);
                }
                let rgb = &values[..3];
                if rgb.iter().any(|v| v.is_nan()) || rgb.iter().all(|v| is_nodata(*v, raster.nodata)) {
                    continue;
                }
                let alpha = if raster.bands >= 4 { values[3] } else { 255.0 };
                let byte = |v: f64| v.round().clamp(0.0, 255.0) as u8;
                pixel.copy_from_slice(&[byte(values[0]), byte(values[1]), byte(values[2]), byte(alpha)]);
            }
            opaque |= pixel[3] > 0;
        }
    }
    if !opaque {
        return Ok(None);
    }
    encode_png(&rgba).map(Some)
}

fn encode_png(rgba: &[u8]) -> AppResult<Vec<u8>> {
    let mut out = Vec::new();
    let mut encoder = png::Encoder::new(&mut out, TILE_SIZE, TILE_SIZE);
    encoder.set_color(png::ColorType::Rgba);
    encoder.set_depth(png::BitDepth::Eight);
    let fail = |e: png::EncodingError| AppError::Internal(anyhow::anyhow!("encoding a PNG tile: {e}"));
    let mut writer = encoder.write_header().map_err(fail)?;
    writer.write_image_data(rgba).map_err(fail)?;
    writer.finish().map_err(fail)?;
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ramps_interpolate_between_their_stops() {
        let style = json!({"rasterRamp": [[100, "#ffffff"], [0, "#000000"]]});
        let ramp = Ramp::from_style(&style).unwrap();
        assert_eq!(ramp.colour(-5.0), [0, 0, 0]);
        assert_eq!(ramp.colour(50.0), [128, 128, 128]);
        assert_eq!(ramp.colour(500.0), [255, 255, 255]);
        assert_eq!(Ramp::from_style(&json!({"color": "#ff0000"})), None);
        let viridis = Ramp::viridis(0.0, 4.0);
        assert_eq!(viridis.colour(0.0), VIRIDIS[0]);
        assert_eq!(viridis.colour(4.0), VIRIDIS[4]);
        assert_eq!(layer_id_of("layer-12"), Some(12));
        assert_eq!(layer_id_of("12"), Some(12));
        assert_eq!(layer_id_of("x"), None);
    }
}
