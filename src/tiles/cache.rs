//! The in-memory tile cache: bounded by bytes, invalidated precisely by the
//! domain's change events (the tiles a record touched before and after).

use super::mvt::TileId;
use crate::domain::{Catalog, Change, ChangeKind};
use crate::spatial::Bbox;
use moka::sync::Cache;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use tokio::sync::broadcast::Receiver;
use tokio::sync::broadcast::error::TryRecvError;

#[derive(Clone, Debug, Hash, PartialEq, Eq)]
pub struct TileKey {
    pub source: String,
    pub tile: TileId,
}

/// A cached tile: its bytes, or `None` for an empty tile.
pub type CachedTile = Arc<Option<Vec<u8>>>;

#[derive(Clone)]
pub struct TileCache {
    tiles: Cache<TileKey, CachedTile>,
    /// Raised by every change: a tile built across a change is not cached,
    /// since it may hold the old data.
    generation: Arc<AtomicU64>,
    /// The domain's changes, applied before every lookup, so a request that
    /// follows a write never sees a tile from before it.
    changes: Arc<Mutex<Receiver<Change>>>,
}

impl TileCache {
    /// A cache of at most `max_bytes` of tiles, kept current by `catalog`'s changes.
    pub fn new(max_bytes: u64, catalog: &Catalog) -> TileCache {
        let tiles = Cache::builder()
            .max_capacity(max_bytes)
            .weigher(|key: &TileKey, tile: &CachedTile| {
                let bytes = tile.as_ref().as_ref().map_or(0, Vec::len) + key.source.len() + 64;
                u32::try_from(bytes).unwrap_or(u32::MAX)
            })
            .support_invalidation_closures()
            .build();
        TileCache { tiles, generation: Arc::new(AtomicU64::new(0)), changes: Arc::new(Mutex::new(catalog.subscribe())) }
    }

    /// Applies the changes received since the last call.
    fn catch_up(&self) {
        let mut changes = self.changes.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
        loop {
            match changes.try_recv() {
                Ok(change) => self.invalidate(&change),
                // Fell behind: which tiles changed is unknown, so all did.
                Err(TryRecvError::Lagged(_)) => self.clear(),
                Err(TryRecvError::Empty | TryRecvError::Closed) => break,
            }
        }
    }

    /// The data generation a tile about to be built will reflect.
    pub fn generation(&self) -> u64 {
        self.catch_up();
        self.generation.load(Ordering::SeqCst)
    }

    pub fn get(&self, key: &TileKey) -> Option<CachedTile> {
        self.catch_up();
        self.tiles.get(key)
    }

    /// Keeps a tile built while the data stood at `generation`, unless a change came since.
    pub fn insert(&self, key: TileKey, tile: CachedTile, generation: u64) {
        self.catch_up();
        if self.generation.load(Ordering::SeqCst) == generation {
            self.tiles.insert(key, tile);
        }
    }

    fn clear(&self) {
        self.generation.fetch_add(1, Ordering::SeqCst);
        self.tiles.invalidate_all();
    }

    /// Drops the tiles the change can alter: for a record with a geometry,
    /// the tiles of its sources that meet its old or new box; for an
    /// operator or commodity (names shown in deposit and area tiles), every
    /// tile of those sources.
    fn invalidate(&self, change: &Change) {
        self.generation.fetch_add(1, Ordering::SeqCst);
        let sources: Vec<String> = match change.kind {
            ChangeKind::Everything => return self.clear(),
            ChangeKind::Deposit => vec!["deposits".into(), "domain".into()],
            ChangeKind::ExploitationArea => vec!["exploitation-areas".into(), "domain".into()],
            ChangeKind::Infrastructure => vec!["infrastructure".into(), "domain".into()],
            ChangeKind::Operator | ChangeKind::Commodity => {
                vec!["deposits".into(), "exploitation-areas".into(), "domain".into()]
            }
            // A layer's vector tiles, and its raster tiles for a GeoTIFF layer (whose style colours them).
            ChangeKind::Layer => vec![super::layer_source(change.id), super::raster::raster_source(change.id)],
        };
        let boxes: Vec<Bbox> = change.bboxes.clone();
        let everywhere = boxes.is_empty();
        let _ = self.tiles.invalidate_entries_if(move |key, _| {
            sources.contains(&key.source) && (everywhere || boxes.iter().any(|b| touches(key.tile, b)))
        });
    }
}

/// Whether a box meets a tile with its buffer.
fn touches(tile: TileId, b: &Bbox) -> bool {
    let (west, south, east, north) = tile.bounds_with_buffer();
    b.max_lon >= west && b.min_lon <= east && b.max_lat >= south && b.min_lat <= north
}
