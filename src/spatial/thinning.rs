//! Low-zoom thinning of dense layers ("drop densest"): a tile that would
//! hold more than [`TILE_BUDGET`] features keeps, in each cell of a 64 × 64
//! grid over it (8 px on a 512 px tile), the first feature of the file among
//! those smaller than a cell, plus every feature at least a cell wide.
//! Isolated features always show; dense clusters show one feature per cell
//! until the zoom at which their tiles fit the budget.
//!
//! Each feature gets the smallest zoom from which it shows (`min_zoom`); the
//! rule only ever adds features as the zoom grows, so a tile at zoom `z` is
//! "the features meeting it with `min_zoom <= z`", one indexed query on both
//! backends. The computation is the same Rust code for SQLite and PostGIS:
//! both serve the same features.

use super::{Bbox, web_mercator};

/// At most this many features in a tile before it is thinned.
pub const TILE_BUDGET: usize = 4096;
/// Cells per tile side, as a power of two: 64.
const GRID_BITS: u32 = 6;
/// The deepest zoom of vector tiles: from it on every feature shows.
pub const LAST_ZOOM: u8 = 22;
/// Bits per axis of a feature's position key: the cells of the last zoom.
const KEY_BITS: u32 = LAST_ZOOM as u32 + GRID_BITS;
/// A feature that never becomes a cell wide (a point).
const NEVER: u8 = u8::MAX;

/// Which zoom each feature shows from, in the order they were pushed.
#[derive(Debug, PartialEq)]
pub struct Thinning {
    pub min_zoom: Vec<u8>,
    /// The zoom from which every feature shows; 0 when none is ever left out.
    pub full_zoom: u8,
}

impl Thinning {
    /// Whether any tile leaves a feature out.
    pub fn thinned(&self) -> bool {
        self.full_zoom > 0
    }
}

/// Collects the features' boxes (16 bytes each), then computes [`Thinning`].
#[derive(Default)]
pub struct Planner {
    /// (position key of the box centre, feature's ordinal)
    keys: Vec<(u64, u32)>,
    /// The first zoom at which each feature is at least a cell wide.
    wide_from: Vec<u8>,
}

impl Planner {
    pub fn push(&mut self, bbox: &Bbox) {
        let (west, north) = web_mercator(bbox.min_lon, bbox.max_lat);
        let (east, south) = web_mercator(bbox.max_lon, bbox.min_lat);
        let scale = (1u64 << KEY_BITS) as f64;
        let cell = |v: f64| ((v * scale) as u64).min((1u64 << KEY_BITS) - 1);
        let key = interleave(cell((west + east) / 2.0), cell((north + south) / 2.0));
        let size = (east - west).max(south - north);
        let wide_from =
            (0..=LAST_ZOOM).find(|&z| size * (1u64 << (u32::from(z) + GRID_BITS)) as f64 >= 1.0).unwrap_or(NEVER);
        self.keys.push((key, self.keys.len() as u32));
        self.wide_from.push(wide_from);
    }

    pub fn len(&self) -> usize {
        self.keys.len()
    }

    pub fn is_empty(&self) -> bool {
        self.keys.is_empty()
    }

    pub fn finish(self) -> Thinning {
        let Planner { mut keys, wide_from } = self;
        let n = keys.len();
        if n <= TILE_BUDGET {
            return Thinning { min_zoom: vec![0; n], full_zoom: 0 };
        }
        // Sorted by key, the features of a tile, and of a cell, are contiguous.
        keys.sort_unstable();
        let mut min_zoom = vec![NEVER; n];
        let mut unset = n;
        let mut show = |ordinal: u32, z: u8, unset: &mut usize| {
            let slot = &mut min_zoom[ordinal as usize];
            if *slot == NEVER {
                *slot = z;
                *unset -= 1;
            }
        };
        for z in 0..=LAST_ZOOM {
            let tile_shift = 2 * (KEY_BITS - u32::from(z));
            let cell_shift = tile_shift - 2 * GRID_BITS;
            for tile in groups(&keys, tile_shift) {
                if tile.len() <= TILE_BUDGET || z == LAST_ZOOM {
                    tile.iter().for_each(|&(_, i)| show(i, z, &mut unset));
                    continue;
                }
                for cell in groups(tile, cell_shift) {
                    let mut first_small: Option<u32> = None;
                    for &(_, i) in cell {
                        if wide_from[i as usize] <= z {
                            show(i, z, &mut unset);
                        } else {
                            first_small = Some(first_small.map_or(i, |f| f.min(i)));
                        }
                    }
                    if let Some(i) = first_small {
                        show(i, z, &mut unset);
                    }
                }
            }
            if unset == 0 {
                break;
            }
        }
        let full_zoom = min_zoom.iter().copied().max().unwrap_or(0);
        Thinning { min_zoom, full_zoom }
    }
}

/// Runs of `keys` sharing `key >> shift`.
fn groups(keys: &[(u64, u32)], shift: u32) -> impl Iterator<Item = &[(u64, u32)]> {
    keys.chunk_by(move |a, b| a.0 >> shift == b.0 >> shift)
}

/// Morton order: x and y bits interleaved, so every tile is one key range.
fn interleave(x: u64, y: u64) -> u64 {
    fn spread(mut v: u64) -> u64 {
        v &= 0xffff_ffff;
        v = (v | (v << 16)) & 0x0000_ffff_0000_ffff;
        v = (v | (v << 8)) & 0x00ff_00ff_00ff_00ff;
        v = (v | (v << 4)) & 0x0f0f_0f0f_0f0f_0f0f;
        v = (v | (v << 2)) & 0x3333_3333_3333_3333;
        v = (v | (v << 1)) & 0x5555_5555_5555_5555;
        v
    }
    spread(x) | (spread(y) << 1)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn point(lon: f64, lat: f64) -> Bbox {
        Bbox { min_lon: lon, min_lat: lat, max_lon: lon, max_lat: lat }
    }

    /// A deterministic cloud of `n` points over about 0.2° around Moanda.
    fn cloud(n: usize) -> Vec<Bbox> {
        let mut seed = 0x2545_f491_4f6c_dd1du64;
        let mut next = move || {
            seed ^= seed << 13;
            seed ^= seed >> 7;
            seed ^= seed << 17;
            (seed >> 11) as f64 / (1u64 << 53) as f64
        };
        (0..n).map(|_| point(13.1 + next() * 0.2, -1.6 + next() * 0.2)).collect()
    }

    fn plan(boxes: &[Bbox]) -> Thinning {
        let mut planner = Planner::default();
        boxes.iter().for_each(|b| planner.push(b));
        planner.finish()
    }

    /// The tile (z, x, y) holding a position.
    fn containing(lon: f64, lat: f64, z: u8) -> (u8, u32, u32) {
        let (x, y) = web_mercator(lon, lat);
        let n = f64::from(1u32 << z);
        (z, (x * n) as u32, (y * n) as u32)
    }

    /// Features of `boxes` meeting the tile and its 64-unit buffer that show at its zoom.
    fn shown_in(boxes: &[Bbox], thinning: &Thinning, (z, x, y): (u8, u32, u32)) -> usize {
        let n = f64::from(1u32 << z);
        let margin = 64.0 / 4096.0;
        let lon = |tx: f64| tx / n * 360.0 - 180.0;
        let lat = |ty: f64| (std::f64::consts::PI * (1.0 - 2.0 * ty / n)).sinh().atan().to_degrees();
        let (x, y) = (f64::from(x), f64::from(y));
        let (west, east) = (lon(x - margin), lon(x + 1.0 + margin));
        let (south, north) = (lat(y + 1.0 + margin), lat(y - margin));
        boxes
            .iter()
            .zip(&thinning.min_zoom)
            .filter(|(b, m)| {
                **m <= z && b.max_lon >= west && b.min_lon <= east && b.max_lat >= south && b.min_lat <= north
            })
            .count()
    }

    #[test]
    fn a_layer_within_the_budget_is_never_thinned() {
        let boxes = cloud(TILE_BUDGET);
        let thinning = plan(&boxes);
        assert!(!thinning.thinned());
        assert!(thinning.min_zoom.iter().all(|&z| z == 0));
    }

    #[test]
    fn dense_tiles_keep_at_most_one_small_feature_per_cell_and_fill_up_as_the_zoom_grows() {
        let mut boxes = cloud(30_000);
        // Far from the cloud and alone: shown at every zoom.
        boxes.push(point(9.45, 0.39));
        let thinning = plan(&boxes);
        assert!(thinning.thinned());
        assert_eq!(thinning.min_zoom[30_000], 0, "an isolated point always shows");
        assert_eq!(thinning.min_zoom[0], 0, "the first feature of the file owns its cell");
        let mut previous = 0;
        for z in 0..=thinning.full_zoom {
            let shown = thinning.min_zoom.iter().filter(|&&m| m <= z).count();
            assert!(shown >= previous, "zoom {z}: {shown} < {previous}: features must only be added");
            previous = shown;
            if z < thinning.full_zoom {
                let tile = containing(13.2, -1.5, z);
                let in_tile = shown_in(&boxes, &thinning, tile);
                // The tile's cells and those of its 64-unit buffer, plus the isolated point.
                assert!(in_tile <= 66 * 66 + 1, "zoom {z}: {in_tile} features");
            }
        }
        assert_eq!(previous, boxes.len(), "at the full zoom every feature shows");
        let whole = containing(13.2, -1.5, 8);
        assert_eq!(shown_in(&boxes, &Thinning { min_zoom: vec![0; boxes.len()], full_zoom: 0 }, whole), 30_000);
        assert!(thinning.min_zoom.iter().all(|&z| z <= thinning.full_zoom));
        assert!(thinning.min_zoom.contains(&thinning.full_zoom), "some features wait for the full zoom");
    }

    #[test]
    fn features_at_least_a_cell_wide_always_show() {
        let mut boxes = cloud(10_000);
        // About 0.1° wide: a cell at zoom 4 is 22.5° / 64 ≈ 0.35°, at zoom 6 ≈ 0.09°.
        boxes.push(Bbox { min_lon: 13.15, min_lat: -1.55, max_lon: 13.25, max_lat: -1.45 });
        let thinning = plan(&boxes);
        assert!(thinning.thinned());
        assert_eq!(thinning.min_zoom[10_000], 6);
    }

    #[test]
    fn the_same_boxes_give_the_same_thinning() {
        let boxes = cloud(20_000);
        assert_eq!(plan(&boxes), plan(&boxes));
    }

    #[test]
    fn interleaving_keeps_tiles_contiguous() {
        assert_eq!(interleave(0b11, 0b00), 0b0101);
        assert_eq!(interleave(0b00, 0b11), 0b1010);
        assert_eq!(interleave(0b10, 0b01), 0b0110);
        // The four children of a cell follow their parent's key, and each other.
        let parent = interleave(5, 9);
        let children: Vec<u64> =
            [(10, 18), (11, 18), (10, 19), (11, 19)].iter().map(|&(x, y)| interleave(x, y)).collect();
        assert!(children.iter().all(|&k| k >> 2 == parent), "{children:?}");
        assert_eq!(children, [parent << 2, (parent << 2) + 1, (parent << 2) + 2, (parent << 2) + 3]);
    }
}
