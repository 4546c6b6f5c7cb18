//! Layers, their features and the import history.

use super::error::{StorageError, StorageResult};
use super::list::{self, Listed, Spatial};
use super::reference::{missing_is_none, now};
use super::{Backend, Store, geometry, text};
use crate::domain::*;
use crate::import::CheckedFeature;
use crate::spatial::Bbox;
use entity::{layer, layer_feature, layer_import};
use sea_orm::ActiveValue::{NotSet, Set, Unchanged};
use sea_orm::sea_query::{Expr, SimpleExpr};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, Condition, ConnectionTrait, DatabaseTransaction, EntityTrait, Order, QueryFilter,
    QueryOrder, QuerySelect, Statement, Value,
};

impl Listed for layer::Entity {
    const TABLE: &'static str = "layer";
    fn id() -> layer::Column {
        layer::Column::Id
    }
    fn name_key() -> layer::Column {
        layer::Column::NameKey
    }
    fn search_text() -> layer::Column {
        layer::Column::SearchText
    }
    fn date() -> layer::Column {
        layer::Column::CreatedAt
    }
    fn created_at() -> layer::Column {
        layer::Column::CreatedAt
    }
    fn updated_at() -> layer::Column {
        layer::Column::UpdatedAt
    }
}

/// Features have no name or dates: every order is by id, the file's order.
impl Listed for layer_feature::Entity {
    const TABLE: &'static str = "layer_feature";
    fn id() -> layer_feature::Column {
        layer_feature::Column::Id
    }
    fn name_key() -> layer_feature::Column {
        layer_feature::Column::Id
    }
    fn search_text() -> layer_feature::Column {
        layer_feature::Column::Properties
    }
    fn date() -> layer_feature::Column {
        layer_feature::Column::Id
    }
    fn created_at() -> layer_feature::Column {
        layer_feature::Column::Id
    }
    fn updated_at() -> layer_feature::Column {
        layer_feature::Column::Id
    }
}

impl Spatial for layer_feature::Entity {
    fn id_of(model: &layer_feature::Model) -> i64 {
        model.id
    }
    fn wkb_of(model: &layer_feature::Model) -> &[u8] {
        &model.geom_wkb
    }
}

fn corrupt(table: &'static str, column: &'static str, id: i64, reason: impl ToString) -> StorageError {
    StorageError::Corrupt { table, column, id, reason: reason.to_string() }
}

fn decode_layer(m: layer::Model) -> StorageResult<Layer> {
    let kind = LayerKind::parse(&m.kind).ok_or_else(|| corrupt("layer", "kind", m.id, &m.kind))?;
    let status = LayerStatus::parse(&m.status).ok_or_else(|| corrupt("layer", "status", m.id, &m.status))?;
    let style = serde_json::from_str(&m.style).map_err(|e| corrupt("layer", "style", m.id, e))?;
    let geometry_types =
        serde_json::from_str(&m.geometry_types).map_err(|e| corrupt("layer", "geometry_types", m.id, e))?;
    let attributes =
        serde_json::from_str(&m.attribute_schema).map_err(|e| corrupt("layer", "attribute_schema", m.id, e))?;
    let bbox = match (m.min_lon, m.min_lat, m.max_lon, m.max_lat) {
        (Some(min_lon), Some(min_lat), Some(max_lon), Some(max_lat)) => {
            Some(Bbox { min_lon, min_lat, max_lon, max_lat })
        }
        _ => None,
    };
    Ok(Layer {
        id: m.id,
        meta: LayerMeta {
            name: m.name,
            description: m.description,
            kind,
            status,
            visible: m.visible,
            public: m.public,
            style,
        },
        source: LayerSource {
            format: m.source_format,
            crs: m.source_crs,
            feature_count: m.feature_count.max(0) as u64,
            geometry_types,
            bbox,
            attributes,
        },
        tile_full_zoom: m.tile_full_zoom.map(|z| z.clamp(0, 255) as u8),
        created_by: m.created_by,
        created_at: m.created_at,
        updated_at: m.updated_at,
    })
}

fn meta_columns(meta: &LayerMeta, m: &mut layer::ActiveModel) {
    m.name = Set(meta.name.clone());
    m.name_key = Set(text::fold(&meta.name));
    m.search_text = Set(text::search_text([Some(meta.name.as_str()), meta.description.as_deref()]));
    m.description = Set(meta.description.clone());
    m.kind = Set(meta.kind.as_str().into());
    m.status = Set(meta.status.as_str().into());
    m.visible = Set(meta.visible);
    m.public = Set(meta.public);
    m.style = Set(meta.style.to_string());
}

fn source_columns(source: &LayerSource, m: &mut layer::ActiveModel) {
    m.source_format = Set(source.format.clone());
    m.source_crs = Set(source.crs.clone());
    m.feature_count = Set(source.feature_count as i64);
    m.geometry_types = Set(serde_json::to_string(&source.geometry_types).expect("strings serialize"));
    m.attribute_schema = Set(serde_json::to_string(&source.attributes).expect("attributes serialize"));
    m.min_lon = Set(source.bbox.map(|b| b.min_lon));
    m.min_lat = Set(source.bbox.map(|b| b.min_lat));
    m.max_lon = Set(source.bbox.map(|b| b.max_lon));
    m.max_lat = Set(source.bbox.map(|b| b.max_lat));
}

fn decode_feature(m: layer_feature::Model, geometry: geo_types::Geometry<f64>) -> StorageResult<LayerFeature> {
    let properties = match serde_json::from_str(&m.properties) {
        Ok(serde_json::Value::Object(p)) => p,
        _ => return Err(corrupt("layer_feature", "properties", m.id, "not a JSON object")),
    };
    Ok(LayerFeature { id: m.id, layer_id: m.layer_id, source_id: m.source_id, properties, geometry })
}

/// Rows with their geometry decoded.
fn decode_features(rows: Vec<layer_feature::Model>) -> StorageResult<Vec<LayerFeature>> {
    rows.into_iter()
        .map(|m| {
            let g = geometry::decode("layer_feature", m.id, &m.geom_wkb)?;
            decode_feature(m, g)
        })
        .collect()
}

fn decode_import(m: layer_import::Model) -> StorageResult<ImportRecord> {
    let status = ImportStatus::parse(&m.status).ok_or_else(|| corrupt("layer_import", "status", m.id, &m.status))?;
    let warnings = serde_json::from_str(&m.warnings).map_err(|e| corrupt("layer_import", "warnings", m.id, e))?;
    Ok(ImportRecord {
        id: m.id,
        file_name: m.file_name,
        size_bytes: m.size_bytes.max(0) as u64,
        format: m.format,
        status,
        features_read: m.features_read.max(0) as u64,
        features_written: m.features_written.max(0) as u64,
        error: m.error,
        warnings,
        duration_ms: m.duration_ms.map(|d| d.max(0) as u64),
        uploaded_by: m.uploaded_by,
        layer_id: m.layer_id,
        created_at: m.created_at,
        updated_at: m.updated_at,
    })
}

/// Rows per INSERT: well under SQLite's 32 766 bound parameters.
const INSERT_ROWS: usize = 500;

/// A layer being imported. Its row is committed first, without a format:
/// an incomplete layer, which no read shows (see [`complete`]). Each batch
/// of features is committed on its own, so that other writers wait for one
/// batch, never for the whole import (SQLite has one writer at a time).
/// [`LayerWriter::finish`] completes the layer and ends the import in one
/// transaction; an import that fails removes the layer with
/// [`Store::delete_layer`], and one a crash stopped is removed at the next
/// start ([`Store::delete_incomplete_layers`]).
pub struct LayerWriter {
    db: sea_orm::DatabaseConnection,
    layer_id: i64,
}

/// Layers whose import has ended: an incomplete one has no source format yet.
fn complete() -> Condition {
    Condition::all().add(layer::Column::SourceFormat.ne(""))
}

impl LayerWriter {
    pub fn layer_id(&self) -> i64 {
        self.layer_id
    }

    /// Inserts features in file order; `min_zoom` (one per feature) when the layer is thinned.
    pub async fn write(&mut self, features: &[CheckedFeature], min_zoom: Option<&[u8]>) -> StorageResult<()> {
        let txn = super::begin_write(&self.db).await?;
        for (n, chunk) in features.chunks(INSERT_ROWS).enumerate() {
            let zooms = min_zoom.map(|z| &z[n * INSERT_ROWS..]);
            let rows = chunk.iter().enumerate().map(|(i, f)| layer_feature::ActiveModel {
                id: NotSet,
                layer_id: Set(self.layer_id),
                source_id: Set(f.source_id.clone()),
                properties: Set(serde_json::Value::Object(f.properties.clone()).to_string()),
                geom_wkb: Set(geometry::encode(&f.geometry)),
                min_lon: Set(f.bbox.min_lon),
                min_lat: Set(f.bbox.min_lat),
                max_lon: Set(f.bbox.max_lon),
                max_lat: Set(f.bbox.max_lat),
                min_zoom: Set(zooms.map(|z| i16::from(z[i]))),
            });
            layer_feature::Entity::insert_many(rows).exec_without_returning(&txn).await?;
        }
        // The layer's updated_at says the import is alive (see delete_incomplete_layers).
        let alive = layer::ActiveModel { id: Unchanged(self.layer_id), updated_at: Set(now()), ..Default::default() };
        alive.update(&txn).await?;
        txn.commit().await?;
        Ok(())
    }

    /// Records the description of the raster file kept for the layer (GeoTIFF).
    pub async fn set_raster(&mut self, description: &serde_json::Value) -> StorageResult<()> {
        let m = layer::ActiveModel {
            id: Unchanged(self.layer_id),
            raster: Set(Some(description.to_string())),
            ..Default::default()
        };
        let txn = super::begin_write(&self.db).await?;
        m.update(&txn).await?;
        txn.commit().await?;
        Ok(())
    }

    /// Records what the file held, and the zoom from which its tiles show every feature, and commits.
    /// Saves the layer's description and the import's end (`done`) in the
    /// layer's transaction, and commits.
    pub async fn finish(
        self,
        source: &LayerSource,
        meta: &LayerMeta,
        tile_full_zoom: u8,
        done: &ImportRecord,
    ) -> StorageResult<(Layer, ImportRecord)> {
        let mut m = layer::ActiveModel {
            id: Unchanged(self.layer_id),
            updated_at: Set(now()),
            tile_full_zoom: Set(Some(i16::from(tile_full_zoom))),
            ..Default::default()
        };
        source_columns(source, &mut m);
        meta_columns(meta, &mut m);
        let txn = super::begin_write(&self.db).await?;
        let saved = m.update(&txn).await?;
        let import = import_columns(done).update(&txn).await?;
        txn.commit().await?;
        Ok((decode_layer(saved)?, decode_import(import)?))
    }
}

/// A layer's thinning being re-planned (see [`Store::begin_rethinning`]).
pub struct Rethinning {
    store: Store,
    txn: Option<DatabaseTransaction>,
    layer_id: i64,
}

impl Rethinning {
    /// Every feature's box and current `min_zoom`, in id order (the file's
    /// order), streamed into a thinning planner.
    pub async fn inputs(&self) -> StorageResult<(Vec<i64>, Vec<Option<i16>>, crate::spatial::thinning::Planner)> {
        use futures_util::TryStreamExt;
        let select = layer_feature::Entity::find()
            .select_only()
            .columns([
                layer_feature::Column::Id,
                layer_feature::Column::MinLon,
                layer_feature::Column::MinLat,
                layer_feature::Column::MaxLon,
                layer_feature::Column::MaxLat,
                layer_feature::Column::MinZoom,
            ])
            .filter(layer_feature::Column::LayerId.eq(self.layer_id))
            .order_by(layer_feature::Column::Id, Order::Asc)
            .into_tuple::<(i64, f64, f64, f64, f64, Option<i16>)>();
        let mut rows = match &self.txn {
            Some(txn) => select.stream(txn).await?,
            None => select.stream(&self.store.db).await?,
        };
        let (mut ids, mut zooms, mut planner) = (Vec::new(), Vec::new(), crate::spatial::thinning::Planner::default());
        while let Some((id, min_lon, min_lat, max_lon, max_lat, zoom)) = rows.try_next().await? {
            planner.push(&Bbox { min_lon, min_lat, max_lon, max_lat });
            ids.push(id);
            zooms.push(zoom);
        }
        Ok((ids, zooms, planner))
    }

    /// Sets the `min_zoom` of the listed features and the layer's full zoom, and commits.
    pub async fn apply(self, changes: &[(i64, Option<i16>)], full_zoom: u8) -> StorageResult<()> {
        let txn = match self.txn {
            Some(txn) => txn,
            None => super::begin_write(&self.store.db).await?,
        };
        for chunk in changes.chunks(INSERT_ROWS) {
            // Integers only, written by ODG: inlined, one statement per chunk on both backends. The
            // cast types a CASE of NULLs only, which PostgreSQL would otherwise take for text.
            let cases: String = chunk
                .iter()
                .map(|(id, z)| format!(" WHEN {id} THEN {}", z.map_or("NULL".to_owned(), |z| z.to_string())))
                .collect();
            let ids: Vec<String> = chunk.iter().map(|(id, _)| id.to_string()).collect();
            let sql = format!(
                "UPDATE layer_feature SET min_zoom = CAST(CASE id{cases} END AS SMALLINT) WHERE id IN ({})",
                ids.join(",")
            );
            txn.execute_unprepared(&sql).await?;
        }
        let m = layer::ActiveModel {
            id: Unchanged(self.layer_id),
            tile_full_zoom: Set(Some(i16::from(full_zoom))),
            ..Default::default()
        };
        missing_is_none(m.update(&txn).await)?;
        txn.commit().await?;
        Ok(())
    }
}

impl Store {
    /// Opens the transaction of a new layer and inserts its row.
    pub async fn begin_layer(&self, meta: &LayerMeta, created_by: Option<i64>) -> StorageResult<LayerWriter> {
        let txn = super::begin_write(&self.db).await?;
        let now = now();
        let mut m = layer::ActiveModel {
            id: NotSet,
            raster: Set(None),
            tile_full_zoom: Set(None),
            created_by: Set(created_by),
            created_at: Set(now),
            updated_at: Set(now),
            ..Default::default()
        };
        meta_columns(meta, &mut m);
        let empty = LayerSource {
            format: String::new(),
            crs: String::new(),
            feature_count: 0,
            geometry_types: vec![],
            bbox: None,
            attributes: vec![],
        };
        source_columns(&empty, &mut m);
        let saved = m.insert(&txn).await?;
        txn.commit().await?;
        Ok(LayerWriter { db: self.db.clone(), layer_id: saved.id })
    }

    pub async fn list_layers(&self, filter: &LayerFilter, params: &ListParams) -> StorageResult<Page<Layer>> {
        let mut condition = complete();
        if let Some(kind) = filter.kind {
            condition = condition.add(layer::Column::Kind.eq(kind.as_str()));
        }
        if let Some(status) = filter.status {
            condition = condition.add(layer::Column::Status.eq(status.as_str()));
        }
        if let Some(visible) = filter.visible {
            condition = condition.add(layer::Column::Visible.eq(visible));
        }
        if filter.public_only {
            condition = condition.add(layer::Column::Public.eq(true));
        }
        let (rows, total) = list::list_plain::<layer::Entity>(&self.db, condition, params).await?;
        Ok(Page { items: rows.into_iter().map(decode_layer).collect::<StorageResult<_>>()?, total })
    }

    pub async fn layer(&self, id: i64) -> StorageResult<Option<Layer>> {
        layer::Entity::find_by_id(id).filter(complete()).one(&self.db).await?.map(decode_layer).transpose()
    }

    /// Removes the incomplete layers (and their features) of imports a stop
    /// interrupted: all but `keep` (those of imports running elsewhere), and
    /// none that a batch touched in the last two minutes. Returns how many.
    pub async fn delete_incomplete_layers(&self, keep: &[i64]) -> StorageResult<u64> {
        let stale = now() - chrono::Duration::minutes(2);
        let ids: Vec<i64> = layer::Entity::find()
            .select_only()
            .column(layer::Column::Id)
            .filter(layer::Column::SourceFormat.eq(""))
            .filter(layer::Column::UpdatedAt.lt(stale))
            .filter(layer::Column::Id.is_not_in(keep.iter().copied()))
            .into_tuple()
            .all(&self.db)
            .await?;
        for &id in &ids {
            self.delete_layer(id).await?;
        }
        Ok(ids.len() as u64)
    }

    /// The description of a layer's raster file (JSON), if it has one.
    pub async fn layer_raster(&self, id: i64) -> StorageResult<Option<serde_json::Value>> {
        let raster: Option<Option<String>> = layer::Entity::find_by_id(id)
            .select_only()
            .column(layer::Column::Raster)
            .into_tuple()
            .one(&self.db)
            .await?;
        raster
            .flatten()
            .map(|text| serde_json::from_str(&text).map_err(|e| corrupt("layer", "raster", id, e)))
            .transpose()
    }

    pub async fn update_layer_meta(&self, id: i64, meta: &LayerMeta) -> StorageResult<Option<Layer>> {
        let mut m = layer::ActiveModel { id: Unchanged(id), updated_at: Set(now()), ..Default::default() };
        meta_columns(meta, &mut m);
        missing_is_none(self.write(async |txn| m.update(txn).await).await)?.map(decode_layer).transpose()
    }

    /// Deletes a layer and, with it, its features.
    pub async fn delete_layer(&self, id: i64) -> StorageResult<bool> {
        let txn = super::begin_write(&self.db).await?;
        layer_feature::Entity::delete_many().filter(layer_feature::Column::LayerId.eq(id)).exec(&txn).await?;
        let deleted = layer::Entity::delete_by_id(id).exec(&txn).await?.rows_affected > 0;
        txn.commit().await?;
        Ok(deleted)
    }

    /// A page of a layer's features matching the spatial and attribute filters.
    pub async fn list_layer_features(
        &self,
        layer_id: i64,
        attributes: &[AttributeFilter],
        params: &ListParams,
    ) -> StorageResult<Page<LayerFeature>> {
        let mut condition = Condition::all().add(layer_feature::Column::LayerId.eq(layer_id));
        for filter in attributes {
            condition = condition.add(attribute_condition(self.backend, filter));
        }
        let (rows, total) =
            list::list_features::<layer_feature::Entity>(&self.db, self.backend, condition, params).await?;
        let items = rows.into_iter().map(|(m, g)| decode_feature(m, g)).collect::<StorageResult<_>>()?;
        Ok(Page { items, total })
    }

    pub async fn layer_feature(&self, id: i64) -> StorageResult<Option<LayerFeature>> {
        let Some(m) = layer_feature::Entity::find_by_id(id).one(&self.db).await? else { return Ok(None) };
        let g = geometry::decode("layer_feature", m.id, &m.geom_wkb)?;
        decode_feature(m, g).map(Some)
    }

    /// Features of a layer with ids above `after`, in id order: the pages of an export.
    pub async fn layer_features_after(
        &self,
        layer_id: i64,
        after: i64,
        limit: u64,
    ) -> StorageResult<Vec<LayerFeature>> {
        let rows = layer_feature::Entity::find()
            .filter(layer_feature::Column::LayerId.eq(layer_id))
            .filter(layer_feature::Column::Id.gt(after))
            .order_by(layer_feature::Column::Id, Order::Asc)
            .limit(limit)
            .all(&self.db)
            .await?;
        decode_features(rows)
    }

    /// Replaces one feature's geometry and properties, and refreshes its
    /// layer's bounding box and geometry types.
    pub async fn update_layer_feature(
        &self,
        feature: &LayerFeature,
        bbox: Bbox,
    ) -> StorageResult<Option<LayerFeature>> {
        let m = layer_feature::ActiveModel {
            id: Unchanged(feature.id),
            layer_id: NotSet,
            source_id: NotSet,
            properties: Set(serde_json::Value::Object(feature.properties.clone()).to_string()),
            geom_wkb: Set(geometry::encode(&feature.geometry)),
            min_lon: Set(bbox.min_lon),
            min_lat: Set(bbox.min_lat),
            max_lon: Set(bbox.max_lon),
            max_lat: Set(bbox.max_lat),
            min_zoom: NotSet,
        };
        let Some(saved) = missing_is_none(self.write(async |txn| m.update(txn).await).await)? else { return Ok(None) };
        self.refresh_layer_extent(saved.layer_id).await?;
        self.layer_feature(saved.id).await
    }

    pub async fn delete_layer_feature(&self, id: i64) -> StorageResult<Option<i64>> {
        let Some(found) = layer_feature::Entity::find_by_id(id).one(&self.db).await? else { return Ok(None) };
        layer_feature::Entity::delete_by_id(id).exec(&self.db).await?;
        self.refresh_layer_extent(found.layer_id).await?;
        Ok(Some(found.layer_id))
    }

    /// Starts re-planning a layer's thinning: on PostgreSQL a transaction
    /// holding the layer's advisory lock, in which the inputs are read and
    /// the changes written, so that two instances re-planning the same layer
    /// take turns; SQLite is one process, whose callers take turns already.
    pub async fn begin_rethinning(&self, layer_id: i64) -> StorageResult<Rethinning> {
        let txn = match self.backend {
            Backend::Postgis => {
                let txn = super::begin_write(&self.db).await?;
                txn.execute_raw(Statement::from_sql_and_values(
                    self.db.get_database_backend(),
                    "SELECT pg_advisory_xact_lock($1)",
                    [Value::from(layer_id)],
                ))
                .await?;
                Some(txn)
            }
            Backend::Sqlite => None,
        };
        Ok(Rethinning { store: self.clone(), txn, layer_id })
    }

    /// Leaves a layer unplanned: its tiles show every feature until it is planned again (at the next start).
    pub async fn forget_layer_thinning(&self, layer_id: i64) -> StorageResult<()> {
        let m = layer::ActiveModel { id: Unchanged(layer_id), tile_full_zoom: Set(None), ..Default::default() };
        missing_is_none(self.write(async |txn| m.update(txn).await).await)?;
        Ok(())
    }

    /// The boxes of the listed features.
    pub async fn layer_feature_boxes(&self, ids: &[i64]) -> StorageResult<Vec<Bbox>> {
        let mut boxes = Vec::with_capacity(ids.len());
        for chunk in ids.chunks(INSERT_ROWS) {
            let rows: Vec<(f64, f64, f64, f64)> = layer_feature::Entity::find()
                .select_only()
                .columns([
                    layer_feature::Column::MinLon,
                    layer_feature::Column::MinLat,
                    layer_feature::Column::MaxLon,
                    layer_feature::Column::MaxLat,
                ])
                .filter(layer_feature::Column::Id.is_in(chunk.iter().copied()))
                .into_tuple()
                .all(&self.db)
                .await?;
            boxes.extend(rows.into_iter().map(|(min_lon, min_lat, max_lon, max_lat)| Bbox {
                min_lon,
                min_lat,
                max_lon,
                max_lat,
            }));
        }
        Ok(boxes)
    }

    /// Layers whose thinning was never computed (imported before it existed).
    pub async fn layers_without_thinning(&self) -> StorageResult<Vec<i64>> {
        Ok(layer::Entity::find()
            .select_only()
            .column(layer::Column::Id)
            .filter(layer::Column::TileFullZoom.is_null())
            .filter(complete())
            .order_by(layer::Column::Id, Order::Asc)
            .into_tuple()
            .all(&self.db)
            .await?)
    }

    /// SQLite: the features of a thinned layer meeting `window` that show at
    /// zoom `z`, in id order, from the features' (lon, lat, zoom) R*Tree.
    pub async fn thinned_layer_features(&self, layer_id: i64, window: Bbox, z: u8) -> StorageResult<Vec<LayerFeature>> {
        let rows = layer_feature::Entity::find()
            .filter(layer_feature::Column::LayerId.eq(layer_id))
            .filter(Expr::cust_with_values(
                "\"layer_feature\".\"id\" IN (SELECT id FROM layer_feature_rtree \
                 WHERE max_lon >= ? AND min_lon <= ? AND max_lat >= ? AND min_lat <= ? AND min_zoom <= ?)",
                [
                    Value::from(window.min_lon),
                    Value::from(window.max_lon),
                    Value::from(window.min_lat),
                    Value::from(window.max_lat),
                    Value::from(i32::from(z)),
                ],
            ))
            .order_by(layer_feature::Column::Id, Order::Asc)
            .all(&self.db)
            .await?;
        decode_features(rows)
    }

    async fn refresh_layer_extent(&self, layer_id: i64) -> StorageResult<()> {
        let sql = "UPDATE layer SET \
            feature_count = (SELECT count(*) FROM layer_feature WHERE layer_id = $1), \
            min_lon = (SELECT min(min_lon) FROM layer_feature WHERE layer_id = $1), \
            min_lat = (SELECT min(min_lat) FROM layer_feature WHERE layer_id = $1), \
            max_lon = (SELECT max(max_lon) FROM layer_feature WHERE layer_id = $1), \
            max_lat = (SELECT max(max_lat) FROM layer_feature WHERE layer_id = $1) WHERE id = $1";
        let sql = if self.backend == Backend::Sqlite { sql.replace("$1", "?1") } else { sql.to_owned() };
        self.db
            .execute_raw(Statement::from_sql_and_values(self.db.get_database_backend(), sql, [Value::from(layer_id)]))
            .await?;
        Ok(())
    }

    /// The distinct values of one attribute of a layer, most frequent first.
    pub async fn layer_attribute_values(
        &self,
        layer_id: i64,
        attribute: &str,
        limit: u64,
    ) -> StorageResult<Vec<(serde_json::Value, u64)>> {
        let (sql, key) = match self.backend {
            Backend::Sqlite => (
                "SELECT json_quote(json_extract(properties, ?2)) AS v, count(*) AS n FROM layer_feature \
                 WHERE layer_id = ?1 GROUP BY v ORDER BY n DESC, v LIMIT ?3",
                json_path(attribute),
            ),
            Backend::Postgis => (
                "SELECT v, n FROM (SELECT (properties::jsonb -> $2)::text AS v, count(*) AS n FROM layer_feature \
                 WHERE layer_id = $1 GROUP BY 1) q ORDER BY n DESC, v COLLATE \"C\" LIMIT $3",
                attribute.to_owned(),
            ),
        };
        let rows = self
            .db
            .query_all_raw(Statement::from_sql_and_values(
                self.db.get_database_backend(),
                sql,
                [Value::from(layer_id), Value::from(key), Value::from(limit as i64)],
            ))
            .await?;
        let mut out = Vec::new();
        for row in rows {
            let text: Option<String> = row.try_get("", "v")?;
            let n: i64 = row.try_get("", "n")?;
            let value = text.and_then(|t| serde_json::from_str(&t).ok()).unwrap_or(serde_json::Value::Null);
            out.push((value, n.max(0) as u64));
        }
        Ok(out)
    }

    pub async fn insert_import(
        &self,
        file_name: &str,
        size_bytes: u64,
        uploaded_by: Option<i64>,
    ) -> StorageResult<ImportRecord> {
        let now = now();
        let m = layer_import::ActiveModel {
            id: NotSet,
            file_name: Set(file_name.to_owned()),
            size_bytes: Set(size_bytes as i64),
            format: Set(None),
            status: Set(ImportStatus::Pending.as_str().into()),
            features_read: Set(0),
            features_written: Set(0),
            error: Set(None),
            warnings: Set("[]".into()),
            duration_ms: Set(None),
            uploaded_by: Set(uploaded_by),
            layer_id: Set(None),
            created_at: Set(now),
            updated_at: Set(now),
        };
        decode_import(self.write(async |txn| m.insert(txn).await).await?)
    }

    pub async fn save_import(&self, record: &ImportRecord) -> StorageResult<ImportRecord> {
        let m = import_columns(record);
        decode_import(self.write(async |txn| m.update(txn).await).await?)
    }
    pub async fn import_record(&self, id: i64) -> StorageResult<Option<ImportRecord>> {
        layer_import::Entity::find_by_id(id).one(&self.db).await?.map(decode_import).transpose()
    }

    /// Imports, newest first.
    pub async fn list_imports(&self, offset: u64, limit: u64) -> StorageResult<Page<ImportRecord>> {
        use sea_orm::PaginatorTrait;
        let total = layer_import::Entity::find().count(&self.db).await?;
        let rows = layer_import::Entity::find()
            .order_by(layer_import::Column::CreatedAt, Order::Desc)
            .order_by(layer_import::Column::Id, Order::Desc)
            .offset(offset)
            .limit(limit)
            .all(&self.db)
            .await?;
        Ok(Page { items: rows.into_iter().map(decode_import).collect::<StorageResult<_>>()?, total })
    }

    /// Imports not ended (pending or processing), by id.
    pub async fn unfinished_imports(&self) -> StorageResult<Vec<i64>> {
        Ok(layer_import::Entity::find()
            .select_only()
            .column(layer_import::Column::Id)
            .filter(
                layer_import::Column::Status.is_in([ImportStatus::Pending.as_str(), ImportStatus::Processing.as_str()]),
            )
            .into_tuple::<i64>()
            .all(&self.db)
            .await?)
    }

    /// Marks imports a crash interrupted (`ids`, if still not ended) as failed; returns how many.
    pub async fn fail_interrupted_imports(&self, ids: &[i64]) -> StorageResult<u64> {
        let result = layer_import::Entity::update_many()
            .col_expr(layer_import::Column::Status, Expr::value(ImportStatus::Failed.as_str()))
            .col_expr(
                layer_import::Column::Error,
                Expr::value(
                    "interrupted: the server stopped during the import; nothing was kept, upload the file again",
                ),
            )
            .col_expr(layer_import::Column::UpdatedAt, Expr::value(now()))
            .filter(
                layer_import::Column::Status.is_in([ImportStatus::Pending.as_str(), ImportStatus::Processing.as_str()]),
            )
            .filter(layer_import::Column::Id.is_in(ids.iter().copied()))
            .exec(&self.db)
            .await?;
        Ok(result.rows_affected)
    }
}

/// SQLite JSON path of a top-level key, quoted so any name works.
fn json_path(name: &str) -> String {
    format!("$.\"{}\"", name.replace('"', "\\\""))
}

/// The SQL test of one attribute filter; the same semantics on both backends:
/// equality and containment compare the value's text, ranges only numbers.
fn attribute_condition(backend: Backend, filter: &AttributeFilter) -> SimpleExpr {
    match backend {
        Backend::Sqlite => {
            let path = json_path(&filter.name);
            match &filter.test {
                // JSON booleans read as `true`/`false`, as PostgreSQL's `->>` gives them (not 1/0).
                AttributeTest::Equals(v) => Expr::cust_with_values(
                    "(CASE json_type(properties, ?) WHEN 'true' THEN 'true' WHEN 'false' THEN 'false' \
                     ELSE CAST(json_extract(properties, ?) AS TEXT) END) = ?",
                    [Value::from(path.clone()), Value::from(path), Value::from(v.clone())],
                ),
                AttributeTest::Contains(v) => Expr::cust_with_values(
                    "lower(CAST(json_extract(properties, ?) AS TEXT)) LIKE ? ESCAPE '\\'",
                    [Value::from(path), Value::from(contains_pattern(v))],
                ),
                AttributeTest::Range { min, max } => Expr::cust_with_values(
                    "json_type(properties, ?) IN ('integer', 'real') \
                     AND (? IS NULL OR json_extract(properties, ?) >= ?) \
                     AND (? IS NULL OR json_extract(properties, ?) <= ?)",
                    [
                        Value::from(path.clone()),
                        Value::from(*min),
                        Value::from(path.clone()),
                        Value::from(*min),
                        Value::from(*max),
                        Value::from(path),
                        Value::from(*max),
                    ],
                ),
            }
        }
        Backend::Postgis => {
            let name = filter.name.clone();
            match &filter.test {
                AttributeTest::Equals(v) => Expr::cust_with_values(
                    "(properties::jsonb ->> $1) = $2",
                    [Value::from(name), Value::from(v.clone())],
                ),
                AttributeTest::Contains(v) => Expr::cust_with_values(
                    "lower(properties::jsonb ->> $1) LIKE $2 ESCAPE '\\'",
                    [Value::from(name), Value::from(contains_pattern(v))],
                ),
                AttributeTest::Range { min, max } => Expr::cust_with_values(
                    "jsonb_typeof(properties::jsonb -> $1) = 'number' \
                     AND ($2::float8 IS NULL OR (properties::jsonb ->> $1)::float8 >= $2) \
                     AND ($3::float8 IS NULL OR (properties::jsonb ->> $1)::float8 <= $3)",
                    [Value::from(name), Value::from(*min), Value::from(*max)],
                ),
            }
        }
    }
}

/// The columns of an import record that change while it runs.
fn import_columns(record: &ImportRecord) -> layer_import::ActiveModel {
    layer_import::ActiveModel {
        id: Unchanged(record.id),
        format: Set(record.format.clone()),
        status: Set(record.status.as_str().into()),
        features_read: Set(record.features_read as i64),
        features_written: Set(record.features_written as i64),
        error: Set(record.error.clone()),
        warnings: Set(serde_json::to_string(&record.warnings).expect("warnings serialize")),
        duration_ms: Set(record.duration_ms.map(|d| d as i64)),
        layer_id: Set(record.layer_id),
        updated_at: Set(now()),
        ..Default::default()
    }
}

fn contains_pattern(term: &str) -> String {
    let escaped = term.to_lowercase().replace('\\', "\\\\").replace('%', "\\%").replace('_', "\\_");
    format!("%{escaped}%")
}

/// A column of a layer's tile: the attribute's name and SQL type.
pub struct TileColumn<'a> {
    pub name: &'a str,
    pub kind: crate::import::AttributeType,
}

impl Store {
    /// A tile of a layer built by PostGIS (`ST_AsMVT`): features whose
    /// geometry meets the tile and its 64-unit buffer, clipped and
    /// simplified by `ST_AsMVTGeom`, with the feature id and the given
    /// properties. `None` when no feature reaches it. PostGIS only.
    pub async fn postgis_layer_tile(
        &self,
        layer_id: i64,
        mvt_layer: &str,
        columns: &[TileColumn<'_>],
        (z, x, y): (u8, u32, u32),
        thinned: Option<Bbox>,
    ) -> StorageResult<Option<Vec<u8>>> {
        use crate::import::AttributeType;
        let quote = |name: &str| format!("\"{}\"", name.replace('"', "\"\""));
        let literal = |name: &str| format!("'{}'", name.replace('\'', "''"));
        // The feature id and the geometry travel in columns named apart from
        // every attribute (files often carry `id`, sometimes `geom`): a
        // duplicate output name makes the query ambiguous.
        let unused = |base: &str| {
            let mut name = base.to_owned();
            while columns.iter().any(|c| c.name == name) {
                name.insert(0, '_');
            }
            name
        };
        let (fid, geom) = (unused("odg_fid"), unused("odg_geom"));
        let mut select = format!("layer_feature.id AS {}", quote(&fid));
        // The record id is the `id` property unless the file has its own.
        if !columns.iter().any(|c| c.name == "id") {
            select.push_str(", layer_feature.id");
        }
        for c in columns {
            let text = format!("(properties::jsonb ->> {})", literal(c.name));
            let typed = format!("jsonb_typeof(properties::jsonb -> {})", literal(c.name));
            let value = match c.kind {
                AttributeType::Integer | AttributeType::Float => {
                    format!("CASE WHEN {typed} = 'number' THEN {text}::float8 END")
                }
                AttributeType::Boolean => format!("CASE WHEN {typed} = 'boolean' THEN {text}::boolean END"),
                _ => text,
            };
            select.push_str(&format!(", {value} AS {}", quote(c.name)));
        }
        let window = match thinned {
            None => "geom && ST_Transform(ST_TileEnvelope($2, $3, $4, margin => 64.0 / 4096), 4326)".to_owned(),
            // The expression of layer_feature_zoom_idx: features meeting the box with min_zoom <= z.
            Some(_) => "min_zoom IS NOT NULL AND ST_MakeLine(ST_MakePoint(min_lon, min_lat, min_zoom::float8), \
                 ST_MakePoint(max_lon, max_lat, min_zoom::float8)) &&& \
                 ST_MakeLine(ST_MakePoint($6, $7, 0), ST_MakePoint($8, $9, $2::float8))"
                .to_owned(),
        };
        let sql = format!(
            "SELECT ST_AsMVT(q, $1, 4096, {geom_name}, {fid_name}) AS tile, count(*) AS n FROM (\
               SELECT {select}, ST_AsMVTGeom(ST_Transform(layer_feature.geom, 3857), ST_TileEnvelope($2, $3, $4), 4096, 64, true) AS {geom} \
               FROM layer_feature \
               WHERE layer_feature.layer_id = $5 AND {window} \
               ORDER BY layer_feature.id\
             ) q WHERE {geom} IS NOT NULL",
            geom_name = literal(&geom),
            fid_name = literal(&fid),
            geom = quote(&geom),
        );
        let mut values = vec![
            Value::from(mvt_layer.to_owned()),
            Value::from(i32::from(z)),
            Value::from(x as i32),
            Value::from(y as i32),
            Value::from(layer_id),
        ];
        if let Some(b) = thinned {
            values.extend([b.min_lon, b.min_lat, b.max_lon, b.max_lat].map(Value::from));
        }
        let row =
            self.db.query_one_raw(Statement::from_sql_and_values(self.db.get_database_backend(), sql, values)).await?;
        let Some(row) = row else { return Ok(None) };
        let n: i64 = row.try_get("", "n")?;
        if n == 0 {
            return Ok(None);
        }
        Ok(row.try_get::<Option<Vec<u8>>>("", "tile")?)
    }
}
