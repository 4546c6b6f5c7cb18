//! Layers made from uploaded GIS files: uploads (GraphQL multipart request
//! spec), previews, import progress, the layers and their features.

use super::common::{
    FEATURE_COLLECTION_COMPLEXITY, SpatialFilterInput, catalog, connection, feature_collection, geometry_input, page,
    parse_id, viewer, whole_set,
};
use super::scalars::GeoJson;
use crate::domain::{self, AttributeFilter, AttributeTest, LayerDraft, LayerFilter, ListParams, Ordering, to_geojson};
use crate::error::AppError;
use crate::import::ImportLimits;
use crate::spatial;
use async_graphql::connection::{Connection, EmptyFields};
use async_graphql::futures_util::Stream;
use async_graphql::{Context, Enum, ID, InputObject, Json, Object, Result, SimpleObject, Subscription, Upload};
use chrono::{DateTime, Utc};
use serde_json::Value;
use std::path::PathBuf;

/// What the schema needs to receive files.
#[derive(Clone, Debug)]
pub struct ImportSettings {
    pub limits: ImportLimits,
    /// Where uploads are kept while they are read (under the data directory).
    pub upload_dir: PathBuf,
}

#[derive(Enum, Clone, Copy, Debug, PartialEq, Eq)]
#[graphql(remote = "domain::LayerKind")]
pub enum LayerKind {
    Deposit,
    Infrastructure,
    Zone,
    Custom,
}

#[derive(Enum, Clone, Copy, Debug, PartialEq, Eq)]
#[graphql(remote = "domain::LayerStatus")]
pub enum LayerStatus {
    Active,
    Development,
    Exploration,
    Closed,
}

#[derive(Enum, Clone, Copy, Debug, PartialEq, Eq)]
#[graphql(remote = "domain::ImportStatus")]
pub enum ImportStatus {
    Pending,
    Processing,
    Succeeded,
    Failed,
}

#[derive(Enum, Clone, Copy, Debug, PartialEq, Eq)]
#[graphql(remote = "crate::import::AttributeType")]
pub enum AttributeType {
    String,
    Integer,
    Float,
    Boolean,
    Date,
}

/// A formats a layer can be exported to.
#[derive(Enum, Clone, Copy, Debug, PartialEq, Eq)]
pub enum ExportFormat {
    Geojson,
    Csv,
    Kml,
    Shapefile,
    /// GeoPackage 1.3 (SQLite), readable by GDAL and QGIS.
    Gpkg,
}

impl ExportFormat {
    fn param(self) -> &'static str {
        match self {
            ExportFormat::Geojson => "geojson",
            ExportFormat::Csv => "csv",
            ExportFormat::Kml => "kml",
            ExportFormat::Shapefile => "shapefile",
            ExportFormat::Gpkg => "gpkg",
        }
    }
}

/// One property of a layer's features, with the type inferred from its values.
#[derive(SimpleObject)]
pub struct LayerAttribute {
    pub name: String,
    #[graphql(name = "type")]
    pub kind: AttributeType,
}

fn attributes(list: &[crate::import::Attribute]) -> Vec<LayerAttribute> {
    list.iter().map(|a| LayerAttribute { name: a.name.clone(), kind: a.kind.into() }).collect()
}

fn bbox_list(b: Option<spatial::Bbox>) -> Option<Vec<f64>> {
    b.map(|b| vec![b.min_lon, b.min_lat, b.max_lon, b.max_lat])
}

/// A layer made from an imported file.
pub struct Layer(pub domain::Layer);

#[Object]
impl Layer {
    async fn id(&self) -> ID {
        ID(self.0.id.to_string())
    }
    async fn name(&self) -> &str {
        &self.0.meta.name
    }
    async fn description(&self) -> Option<&str> {
        self.0.meta.description.as_deref()
    }
    async fn kind(&self) -> LayerKind {
        self.0.meta.kind.into()
    }
    async fn status(&self) -> LayerStatus {
        self.0.meta.status.into()
    }
    /// Shown on maps by default.
    async fn visible(&self) -> bool {
        self.0.meta.visible
    }
    /// Readable without signing in (when the server allows public read).
    async fn public(&self) -> bool {
        self.0.meta.public
    }
    /// Colours, widths, opacity and icon: `color`, `fillColor`, `fillOpacity`, `opacity`, `lineWidth`, `pointRadius`, `icon`.
    async fn style(&self) -> Json<Value> {
        Json(self.0.meta.style.clone())
    }
    /// The format of the file it came from (GEOJSON, SHAPEFILE, KML, ...).
    async fn source_format(&self) -> &str {
        &self.0.source.format
    }
    /// The CRS of the file it came from, e.g. `EPSG:32632`; features are stored in WGS84.
    async fn source_crs(&self) -> &str {
        &self.0.source.crs
    }
    async fn feature_count(&self) -> u64 {
        self.0.source.feature_count
    }
    async fn geometry_types(&self) -> &[String] {
        &self.0.source.geometry_types
    }
    /// `[minLon, minLat, maxLon, maxLat]`, null for an empty layer.
    async fn bbox(&self) -> Option<Vec<f64>> {
        bbox_list(self.0.source.bbox)
    }
    /// Name and type of each property, in the file's order.
    async fn attributes(&self) -> Vec<LayerAttribute> {
        attributes(&self.0.source.attributes)
    }
    /// For a layer made from a GeoTIFF (whose one feature is the raster's
    /// footprint): the description of the kept file (`width`, `height`,
    /// `bands`, `data_type`, `nodata`, `pixel_size_x`, `pixel_size_y`, `crs`,
    /// `geotransform`, GDAL's order); null for vector layers.
    async fn raster_info(&self, ctx: &Context<'_>) -> Result<Option<Json<Value>>> {
        let mut raster = catalog(ctx)?.layer_raster(self.0.id).await?;
        // Where the server keeps the file is its own business.
        if let Some(Value::Object(description)) = &mut raster {
            description.remove("path");
        }
        Ok(raster.map(Json))
    }
    async fn created_by(&self) -> Option<ID> {
        self.0.created_by.map(|id| ID(id.to_string()))
    }
    async fn created_at(&self) -> DateTime<Utc> {
        self.0.created_at
    }
    async fn updated_at(&self) -> DateTime<Utc> {
        self.0.updated_at
    }

    /// The layer's features, in the file's order, with the spatial filters of
    /// deposits and filters on properties.
    async fn features(
        &self,
        ctx: &Context<'_>,
        first: Option<i32>,
        after: Option<String>,
        filter: Option<LayerFeatureFilterInput>,
    ) -> Result<Connection<String, LayerFeature, LayerFeatureListExtras, EmptyFields>> {
        let input = filter.unwrap_or_default();
        let (offset, limit) = page(ctx, first, after)?;
        let params = ListParams {
            search: None,
            spatial: input.spatial.to_filters(ctx, "filter").await?,
            ordering: Ordering::default(),
            offset,
            limit: Some(limit),
            ..ListParams::default()
        };
        let attributes = input.attribute_filters()?;
        let found = catalog(ctx)?.layer_features(viewer(ctx)?, self.0.id, &attributes, &params).await?;
        let extras =
            LayerFeatureListExtras { layer_id: self.0.id, total: found.total, attributes, params: params.clone() };
        Ok(connection(found.items.into_iter().map(LayerFeature).collect(), offset, found.total, extras))
    }

    /// Count, extent, total geodesic area and length, and the distinct values of one attribute.
    async fn statistics(&self, ctx: &Context<'_>, attribute: Option<String>) -> Result<LayerStatistics> {
        let catalog = catalog(ctx)?;
        let (mut area_km2, mut length_km, mut after) = (0.0, 0.0, 0i64);
        loop {
            let batch = catalog.store().layer_features_after(self.0.id, after, 5000).await.map_err(AppError::from)?;
            let Some(last) = batch.last() else { break };
            after = last.id;
            for f in &batch {
                area_km2 += spatial::area_km2(&f.geometry);
                length_km += spatial::length_km(&f.geometry);
            }
        }
        let distinct_values = match attribute {
            None => vec![],
            Some(name) => catalog
                .layer_attribute_values(self.0.id, &name, 1000)
                .await?
                .into_iter()
                .map(|(value, count)| AttributeValueCount { value: Json(value), count })
                .collect(),
        };
        Ok(LayerStatistics {
            count: self.0.source.feature_count,
            bbox: bbox_list(self.0.source.bbox),
            total_area_km2: area_km2,
            total_length_km: length_km,
            distinct_values,
        })
    }

    /// A download URL of the whole layer (relative to the server); send the
    /// bearer token as a header, or as `access_token` where a link cannot.
    async fn export_url(&self, format: ExportFormat) -> String {
        format!("/layers/{}/export?format={}", self.0.id, format.param())
    }
}

#[derive(SimpleObject)]
pub struct AttributeValueCount {
    pub value: Json<Value>,
    pub count: u64,
}

#[derive(SimpleObject)]
pub struct LayerStatistics {
    pub count: u64,
    pub bbox: Option<Vec<f64>>,
    /// Geodesic area of the polygons, km².
    pub total_area_km2: f64,
    /// Geodesic length of the lines, km.
    pub total_length_km: f64,
    /// The most frequent values of the attribute asked for (up to 1000), most frequent first.
    pub distinct_values: Vec<AttributeValueCount>,
}

/// One feature of a layer.
pub struct LayerFeature(pub domain::LayerFeature);

#[Object]
impl LayerFeature {
    async fn id(&self) -> ID {
        ID(self.0.id.to_string())
    }
    async fn layer_id(&self) -> ID {
        ID(self.0.layer_id.to_string())
    }
    /// The feature's id in its file, where it had one.
    async fn source_id(&self) -> Option<&str> {
        self.0.source_id.as_deref()
    }
    async fn properties(&self) -> Json<Value> {
        Json(Value::Object(self.0.properties.clone()))
    }
    /// In WGS84 longitude/latitude.
    async fn geometry(&self) -> GeoJson {
        GeoJson(to_geojson(&self.0.geometry))
    }
}

fn feature_json(f: &domain::LayerFeature) -> Value {
    serde_json::json!({
        "type": "Feature",
        "id": f.id,
        "geometry": to_geojson(&f.geometry),
        "properties": f.properties,
    })
}

/// A test on one property: give exactly one of `equals`, `contains`, or `min`/`max`.
#[derive(InputObject)]
pub struct AttributeFilterInput {
    pub name: String,
    /// The value, as text, is exactly this.
    pub equals: Option<String>,
    /// The value, as text, contains this (case-insensitive).
    pub contains: Option<String>,
    /// A number at least this.
    pub min: Option<f64>,
    /// A number at most this.
    pub max: Option<f64>,
}

#[derive(InputObject, Default)]
pub struct LayerFeatureFilterInput {
    #[graphql(flatten)]
    pub spatial: SpatialFilterInput,
    pub attributes: Option<Vec<AttributeFilterInput>>,
}

impl LayerFeatureFilterInput {
    fn attribute_filters(&self) -> Result<Vec<AttributeFilter>, AppError> {
        let mut out = Vec::new();
        for (i, a) in self.attributes.iter().flatten().enumerate() {
            let field = format!("filter.attributes[{i}]");
            let test = match (&a.equals, &a.contains, a.min, a.max) {
                (Some(v), None, None, None) => AttributeTest::Equals(v.clone()),
                (None, Some(v), None, None) => {
                    let v = domain::search_term(&format!("{field}.contains"), Some(v.clone()))?;
                    AttributeTest::Contains(v.unwrap_or_default())
                }
                (None, None, min, max) if min.is_some() || max.is_some() => {
                    if let (Some(lo), Some(hi)) = (min, max)
                        && lo > hi
                    {
                        return Err(AppError::invalid(field, "min must not exceed max"));
                    }
                    AttributeTest::Range { min, max }
                }
                _ => return Err(AppError::invalid(field, "give exactly one of equals, contains, or min/max")),
            };
            if a.name.trim().is_empty() {
                return Err(AppError::invalid(format!("{field}.name"), "must not be empty"));
            }
            out.push(AttributeFilter { name: a.name.clone(), test });
        }
        Ok(out)
    }
}

pub struct LayerFeatureListExtras {
    layer_id: i64,
    total: u64,
    attributes: Vec<AttributeFilter>,
    params: ListParams,
}

#[Object]
impl LayerFeatureListExtras {
    async fn total_count(&self) -> u64 {
        self.total
    }
    /// Every feature matching the filter (not only this page) as one GeoJSON FeatureCollection.
    #[graphql(complexity = "FEATURE_COLLECTION_COMPLEXITY")]
    async fn feature_collection(&self, ctx: &Context<'_>) -> Result<GeoJson> {
        let (params, _turn) = whole_set(ctx, &self.params, self.total).await?;
        let found = catalog(ctx)?.layer_features(viewer(ctx)?, self.layer_id, &self.attributes, &params).await?;
        Ok(feature_collection(found.items, feature_json).await?)
    }
}

/// A skipped feature, and why.
#[derive(SimpleObject)]
pub struct ImportWarning {
    /// 0-based position of the feature in the file.
    pub index: u64,
    /// Where it is: `line 12`, `feature 3`, `record 7`, `placemark 2 "Puits"`.
    pub location: String,
    pub reason: String,
}

fn warnings(list: &[crate::import::ImportWarning]) -> Vec<ImportWarning> {
    list.iter()
        .map(|w| ImportWarning { index: w.index, location: w.location.clone(), reason: w.reason.clone() })
        .collect()
}

/// One upload and how its import went.
pub struct Import(pub domain::ImportRecord);

#[Object]
impl Import {
    async fn id(&self) -> ID {
        ID(self.0.id.to_string())
    }
    async fn file_name(&self) -> &str {
        &self.0.file_name
    }
    async fn size_bytes(&self) -> u64 {
        self.0.size_bytes
    }
    async fn format(&self) -> Option<&str> {
        self.0.format.as_deref()
    }
    async fn status(&self) -> ImportStatus {
        self.0.status.into()
    }
    async fn features_read(&self) -> u64 {
        self.0.features_read
    }
    async fn features_written(&self) -> u64 {
        self.0.features_written
    }
    /// Why it failed (names the file and, where known, the feature or line).
    async fn error(&self) -> Option<&str> {
        self.0.error.as_deref()
    }
    /// Features skipped (invalid or empty geometry), with their position and reason (the first 1000).
    async fn warnings(&self) -> Vec<ImportWarning> {
        warnings(&self.0.warnings)
    }
    async fn duration_ms(&self) -> Option<u64> {
        self.0.duration_ms
    }
    async fn uploaded_by(&self) -> Option<ID> {
        self.0.uploaded_by.map(|id| ID(id.to_string()))
    }
    /// The layer it made, once it succeeded.
    async fn layer(&self, ctx: &Context<'_>) -> Result<Option<Layer>> {
        let Some(id) = self.0.layer_id else { return Ok(None) };
        Ok(catalog(ctx)?.layer(viewer(ctx)?, id).await?.map(Layer))
    }
    async fn created_at(&self) -> DateTime<Utc> {
        self.0.created_at
    }
    async fn updated_at(&self) -> DateTime<Utc> {
        self.0.updated_at
    }
}

/// Where an import is; pushed by `importProgress` as the file is read and at each batch written.
#[derive(SimpleObject)]
pub struct ImportProgress {
    pub id: ID,
    pub status: ImportStatus,
    /// While the file is read: features read and kept so far; once it is
    /// read: every feature read, skipped ones included. A file of more than
    /// 4 096 features is read once to plan its tiles, then again to write
    /// it: `featuresWritten` grows after `featuresRead` is complete.
    pub features_read: u64,
    /// Features written (inside the import's transaction until it succeeds).
    pub features_written: u64,
    pub layer_id: Option<ID>,
    pub error: Option<String>,
}

impl From<domain::ImportProgress> for ImportProgress {
    fn from(p: domain::ImportProgress) -> Self {
        ImportProgress {
            id: ID(p.id.to_string()),
            status: p.status.into(),
            features_read: p.features_read,
            features_written: p.features_written,
            layer_id: p.layer_id.map(|id| ID(id.to_string())),
            error: p.error,
        }
    }
}

/// What a file holds, read without writing anything.
#[derive(SimpleObject)]
pub struct ImportPreview {
    pub format: String,
    /// The CRS used: the `crs` argument, else the file's own, else WGS84 for formats that are WGS84 by definition.
    pub crs: String,
    /// Features that would be imported.
    pub feature_count: u64,
    /// Features that would be skipped (see `warnings`).
    pub skipped_count: u64,
    pub geometry_types: Vec<String>,
    pub attributes: Vec<LayerAttribute>,
    /// `[minLon, minLat, maxLon, maxLat]` in WGS84.
    pub bbox: Option<Vec<f64>>,
    /// The first features, reprojected to WGS84, as a GeoJSON FeatureCollection.
    pub features: GeoJson,
    pub warnings: Vec<ImportWarning>,
}

#[derive(InputObject, Default)]
pub struct LayerFilterInput {
    /// Accent- and case-insensitive text in the name or description.
    pub search: Option<String>,
    pub kind: Option<LayerKind>,
    pub status: Option<LayerStatus>,
    pub visible: Option<bool>,
}

#[derive(InputObject)]
pub struct LayerInput {
    pub name: String,
    pub description: Option<String>,
    /// Default CUSTOM.
    pub kind: Option<LayerKind>,
    /// Default ACTIVE.
    pub status: Option<LayerStatus>,
    /// Default true.
    pub visible: Option<bool>,
    /// Default false.
    pub public: Option<bool>,
    /// Merged over the default style of the kind and geometry types.
    pub style: Option<Json<Value>>,
}

/// Fields to change; absent fields keep their value. `style` is merged key by key.
#[derive(InputObject, Default)]
pub struct LayerPatch {
    pub name: Option<String>,
    pub description: Option<String>,
    pub kind: Option<LayerKind>,
    pub status: Option<LayerStatus>,
    pub visible: Option<bool>,
    pub public: Option<bool>,
    pub style: Option<Json<Value>>,
}

#[derive(InputObject, Default)]
pub struct LayerFeaturePatch {
    /// Any GeoJSON geometry, WGS84 longitude/latitude.
    pub geometry: Option<GeoJson>,
    /// Replaces all properties.
    pub properties: Option<Json<Value>>,
}

#[derive(Default)]
pub struct LayerQuery;

#[Object]
impl LayerQuery {
    /// Layers, by name; anonymous readers see public layers only.
    async fn layers(
        &self,
        ctx: &Context<'_>,
        first: Option<i32>,
        after: Option<String>,
        filter: Option<LayerFilterInput>,
    ) -> Result<Connection<String, Layer, LayerListExtras, EmptyFields>> {
        let input = filter.unwrap_or_default();
        let (offset, limit) = page(ctx, first, after)?;
        let params = ListParams {
            search: domain::search_term("filter.search", input.search.clone())?,
            offset,
            limit: Some(limit),
            ..Default::default()
        };
        let filter = LayerFilter {
            kind: input.kind.map(Into::into),
            status: input.status.map(Into::into),
            visible: input.visible,
            public_only: false,
        };
        let found = catalog(ctx)?.layers(viewer(ctx)?, filter, &params).await?;
        let extras = LayerListExtras { total: found.total };
        Ok(connection(found.items.into_iter().map(Layer).collect(), offset, found.total, extras))
    }

    async fn layer(&self, ctx: &Context<'_>, id: ID) -> Result<Option<Layer>> {
        Ok(catalog(ctx)?.layer(viewer(ctx)?, parse_id("id", &id)?).await?.map(Layer))
    }

    /// Uploads, newest first (signed-in users).
    async fn imports(
        &self,
        ctx: &Context<'_>,
        first: Option<i32>,
        after: Option<String>,
    ) -> Result<Connection<String, Import, LayerListExtras, EmptyFields>> {
        let (offset, limit) = page(ctx, first, after)?;
        let found = catalog(ctx)?.imports(viewer(ctx)?, offset, limit).await?;
        let extras = LayerListExtras { total: found.total };
        Ok(connection(found.items.into_iter().map(Import).collect(), offset, found.total, extras))
    }

    /// One upload; while it runs, `featuresWritten` grows.
    async fn import(&self, ctx: &Context<'_>, id: ID) -> Result<Option<Import>> {
        Ok(catalog(ctx)?.import_record(viewer(ctx)?, parse_id("id", &id)?).await?.map(Import))
    }
}

pub struct LayerListExtras {
    total: u64,
}

#[Object]
impl LayerListExtras {
    async fn total_count(&self) -> u64 {
        self.total
    }
}

/// Stores an upload in a temporary file.
async fn receive(ctx: &Context<'_>, file: &Upload) -> Result<domain::Upload, AppError> {
    let settings = ctx.data_unchecked::<ImportSettings>();
    let value = file.value(ctx).map_err(|e| AppError::invalid("file", format!("no such upload: {e}")))?;
    let dir = settings.upload_dir.clone();
    tokio::task::spawn_blocking(move || {
        let mut content = value.content;
        domain::Upload::store(&dir, &value.filename, &mut content)
    })
    .await
    .map_err(|e| AppError::Internal(anyhow::anyhow!("upload task failed: {e}")))?
    .map_err(|e| AppError::from_io(e, "the upload"))
}

#[derive(Default)]
pub struct LayerMutation;

#[Object]
impl LayerMutation {
    /// Reads an uploaded file and tells what it holds, writing nothing.
    async fn preview_import(
        &self,
        ctx: &Context<'_>,
        file: Upload,
        #[graphql(desc = "The file's CRS when it does not say (e.g. `EPSG:32632`); wins over the file's own.")]
        crs: Option<String>,
        #[graphql(default = 10)] sample: i32,
    ) -> Result<ImportPreview> {
        let actor = viewer(ctx)?;
        actor.require_editor()?;
        let upload = receive(ctx, &file).await?;
        let settings = ctx.data_unchecked::<ImportSettings>();
        let preview = catalog(ctx)?
            .preview_import(actor, &upload, crs.as_deref(), sample.clamp(0, 100) as usize, &settings.limits)
            .await?;
        let s = &preview.summary;
        let features = preview
            .sample
            .iter()
            .map(|f| {
                serde_json::json!({"type": "Feature", "geometry": to_geojson(&f.geometry), "properties": f.properties})
            })
            .collect();
        Ok(ImportPreview {
            format: preview.format,
            crs: preview.crs,
            feature_count: s.features_kept,
            skipped_count: s.warning_count,
            geometry_types: s.geometry_types.iter().map(|t| t.to_string()).collect(),
            attributes: attributes(&s.attributes),
            bbox: bbox_list(s.bbox),
            features: GeoJson(domain::feature_collection(features)),
            warnings: warnings(&s.warnings),
        })
    }

    /// Starts importing an uploaded file as a new layer; returns the PENDING
    /// import at once. Follow it with `importProgress(id)` or `import(id)`.
    async fn import_layer(
        &self,
        ctx: &Context<'_>,
        file: Upload,
        input: LayerInput,
        #[graphql(desc = "The file's CRS when it does not say (e.g. `EPSG:32632`); wins over the file's own.")]
        crs: Option<String>,
    ) -> Result<Import> {
        let actor = viewer(ctx)?;
        actor.require_editor()?;
        let upload = receive(ctx, &file).await?;
        let settings = ctx.data_unchecked::<ImportSettings>();
        let draft = LayerDraft {
            name: input.name,
            description: input.description,
            kind: input.kind.map(Into::into),
            status: input.status.map(Into::into),
            visible: input.visible,
            public: input.public,
            style: input.style.map(|s| s.0),
        };
        let record = catalog(ctx)?
            .start_import(actor, upload, draft, crs.as_deref(), &settings.limits)
            .await
            .map_err(|e| e.under("input"))?;
        Ok(Import(record))
    }

    async fn update_layer(&self, ctx: &Context<'_>, id: ID, input: LayerPatch) -> Result<Layer> {
        let id = parse_id("id", &id)?;
        let updated = catalog(ctx)?
            .update_layer(viewer(ctx)?, id, |d| {
                if let Some(v) = input.name {
                    d.name = v;
                }
                if let Some(v) = input.description {
                    d.description = Some(v);
                }
                if let Some(v) = input.kind {
                    d.kind = Some(v.into());
                }
                if let Some(v) = input.status {
                    d.status = Some(v.into());
                }
                if let Some(v) = input.visible {
                    d.visible = Some(v);
                }
                if let Some(v) = input.public {
                    d.public = Some(v);
                }
                d.style = input.style.map(|s| s.0);
            })
            .await
            .map_err(|e| e.under("input"))?;
        Ok(Layer(updated))
    }

    /// Deletes a layer with all its features; returns its id.
    async fn delete_layer(&self, ctx: &Context<'_>, id: ID) -> Result<ID> {
        catalog(ctx)?.delete_layer(viewer(ctx)?, parse_id("id", &id)?).await?;
        Ok(id)
    }

    async fn update_layer_feature(&self, ctx: &Context<'_>, id: ID, input: LayerFeaturePatch) -> Result<LayerFeature> {
        let id = parse_id("id", &id)?;
        let actor = viewer(ctx)?;
        actor.require_editor()?;
        let geometry = match &input.geometry {
            Some(g) => Some(geometry_input(ctx, "input.geometry", g).await?),
            None => None,
        };
        let properties = match input.properties {
            None => None,
            Some(Json(Value::Object(p))) => Some(p),
            Some(_) => return Err(AppError::invalid("input.properties", "must be a JSON object").into()),
        };
        Ok(LayerFeature(catalog(ctx)?.update_layer_feature(actor, id, geometry, properties).await?))
    }

    async fn delete_layer_feature(&self, ctx: &Context<'_>, id: ID) -> Result<ID> {
        catalog(ctx)?.delete_layer_feature(viewer(ctx)?, parse_id("id", &id)?).await?;
        Ok(id)
    }
}

#[derive(Default)]
pub struct LayerSubscription;

#[Subscription]
impl LayerSubscription {
    /// The progress of an import: its state now, then at each batch written, until it ends.
    async fn import_progress(&self, ctx: &Context<'_>, id: ID) -> Result<impl Stream<Item = ImportProgress>> {
        let id = parse_id("id", &id)?;
        let catalog = catalog(ctx)?;
        // Watch first: an import that ends in between is then read in its final state.
        let watch = catalog.import_hub().watch(id);
        let record = catalog.import_record(viewer(ctx)?, id).await?.ok_or_else(|| AppError::not_found("import", id))?;
        let first = domain::ImportProgress::of(&record);
        Ok(async_stream::stream! {
            match watch {
                None => yield ImportProgress::from(first),
                Some(mut watch) => loop {
                    let current = watch.borrow_and_update().clone();
                    let done = current.status.is_final();
                    yield ImportProgress::from(current);
                    if done || watch.changed().await.is_err() {
                        break;
                    }
                },
            }
        })
    }
}
