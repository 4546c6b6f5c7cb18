//! Importing files into layers, and the layer operations.
//!
//! An import reads its file on a blocking thread and hands checked features
//! over a bounded channel to the writer, which commits them a batch at a
//! time into a layer that stays incomplete (seen by no read) until the
//! import ends: memory stays bounded whatever the file size, other writers
//! wait for one batch at most, and a failed import removes its layer.
//! Progress is published on a watch channel
//! per import (for the `importProgress` subscription) and kept in the
//! `layer_import` record.

use super::catalog::{Catalog, ChangeKind};
use super::{
    Actor, AttributeFilter, ImportRecord, ImportStatus, Layer, LayerFeature, LayerFilter, LayerKind, LayerMeta,
    LayerSource, LayerStatus, ListParams, Page, default_style,
};
use crate::error::{AppError, AppResult};
use crate::import::{self, CheckedFeature, Crs, ImportError, ImportLimits, Summary};
use crate::spatial::Bbox;
use crate::spatial::thinning;
use serde_json::Value;
use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::{Arc, Mutex};
use std::time::Instant;
use tokio::sync::{mpsc, watch};

/// Where an import is, as pushed to subscribers.
#[derive(Clone, Debug, PartialEq)]
pub struct ImportProgress {
    pub id: i64,
    pub status: ImportStatus,
    pub features_read: u64,
    pub features_written: u64,
    pub layer_id: Option<i64>,
    pub error: Option<String>,
}

impl ImportProgress {
    pub fn of(record: &ImportRecord) -> ImportProgress {
        ImportProgress {
            id: record.id,
            status: record.status,
            features_read: record.features_read,
            features_written: record.features_written,
            // Its layer is only readable once the import has succeeded.
            layer_id: record.layer_id.filter(|_| record.status == ImportStatus::Succeeded),
            error: record.error.clone(),
        }
    }
}

/// The running imports' progress channels.
#[derive(Clone, Default)]
pub struct ImportHub {
    running: Arc<Mutex<HashMap<i64, watch::Sender<ImportProgress>>>>,
    /// One re-thinning of a layer at a time in this process: two edits
    /// planning from two snapshots must not interleave their writes (other
    /// instances wait on the database's lock, see `Store::begin_rethinning`).
    rethinning: Arc<Mutex<HashMap<i64, Arc<tokio::sync::Mutex<()>>>>>,
}

impl ImportHub {
    fn publish(&self, progress: ImportProgress) {
        let mut running = self.running.lock().expect("import hub lock");
        let done = progress.status.is_final();
        match running.get(&progress.id) {
            // `send` keeps nothing when nobody watches: the hub must hold the latest state for `import(id)`.
            Some(sender) => {
                sender.send_replace(progress.clone());
            }
            None => {
                running.insert(progress.id, watch::channel(progress.clone()).0);
            }
        }
        if done {
            // Subscribers keep their receiver and see the final state.
            running.remove(&progress.id);
        }
    }

    /// The record with this process's live counts while the import runs
    /// here: its row is written at the start and at the end only (on SQLite
    /// the import holds the one write lock in between).
    fn with_live_counts(&self, mut record: ImportRecord) -> ImportRecord {
        if record.status.is_final() {
            return record;
        }
        if let Some(live) = self.running.lock().expect("import hub lock").get(&record.id) {
            let live = live.borrow();
            record.status = live.status;
            record.features_read = record.features_read.max(live.features_read);
            record.features_written = record.features_written.max(live.features_written);
        }
        record
    }

    pub fn watch(&self, id: i64) -> Option<watch::Receiver<ImportProgress>> {
        self.running.lock().expect("import hub lock").get(&id).map(watch::Sender::subscribe)
    }
}

/// A file to import: an upload in a temporary file (removed when dropped),
/// or a file of the operator's (CLI).
pub struct Upload {
    path: UploadPath,
    pub file_name: String,
    pub size: u64,
}

enum UploadPath {
    Temporary(tempfile::TempPath),
    Local(PathBuf),
}

impl Upload {
    pub fn path(&self) -> PathBuf {
        match &self.path {
            UploadPath::Temporary(p) => p.to_path_buf(),
            UploadPath::Local(p) => p.clone(),
        }
    }

    /// A file on the server's disk, read in place.
    pub fn local(path: &std::path::Path) -> std::io::Result<Upload> {
        let size = std::fs::metadata(path)?.len();
        let file_name = path.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
        Ok(Upload { path: UploadPath::Local(path.to_path_buf()), file_name: sanitized_name(&file_name), size })
    }

    /// Copies `reader` into a temporary file under `dir`.
    pub fn store(dir: &std::path::Path, file_name: &str, reader: &mut impl std::io::Read) -> std::io::Result<Upload> {
        std::fs::create_dir_all(dir)?;
        let mut file = tempfile::Builder::new().prefix("upload-").tempfile_in(dir)?;
        let size = std::io::copy(reader, &mut file)?;
        let file_name = sanitized_name(file_name);
        Ok(Upload { path: UploadPath::Temporary(file.into_temp_path()), file_name, size })
    }
}

/// The base name only, without any directory a client put in it.
fn sanitized_name(name: &str) -> String {
    let base = name.rsplit(['/', '\\']).next().unwrap_or("").trim();
    if base.is_empty() { "upload".into() } else { base.chars().take(255).collect() }
}

/// What an uploader chooses for the new layer.
#[derive(Clone, Debug, Default)]
pub struct LayerDraft {
    pub name: String,
    pub description: Option<String>,
    pub kind: Option<LayerKind>,
    pub status: Option<LayerStatus>,
    pub visible: Option<bool>,
    pub public: Option<bool>,
    pub style: Option<Value>,
}

/// What a file holds, read without writing anything.
#[derive(Clone, Debug)]
pub struct ImportPreview {
    pub format: String,
    pub crs: String,
    pub summary: Summary,
    pub sample: Vec<CheckedFeature>,
}

fn validate_meta(draft: LayerDraft, geometry_types: &[String]) -> AppResult<LayerMeta> {
    let name = draft.name.trim().to_owned();
    if name.is_empty() {
        return Err(AppError::invalid("name", "must not be empty"));
    }
    if name.chars().count() > 200 {
        return Err(AppError::invalid("name", "must be at most 200 characters"));
    }
    let description = draft.description.map(|d| d.trim().to_owned()).filter(|d| !d.is_empty());
    if description.as_ref().is_some_and(|d| d.chars().count() > 5000) {
        return Err(AppError::invalid("description", "must be at most 5000 characters"));
    }
    let kind = draft.kind.unwrap_or(LayerKind::Custom);
    let mut style = default_style(kind, geometry_types);
    match draft.style {
        None | Some(Value::Null) => {}
        Some(Value::Object(given)) => {
            let Value::Object(base) = &mut style else { unreachable!("the default style is an object") };
            for (key, value) in given {
                base.insert(key, value);
            }
        }
        Some(_) => return Err(AppError::invalid("style", "must be a JSON object")),
    }
    Ok(LayerMeta {
        name,
        description,
        kind,
        status: draft.status.unwrap_or(LayerStatus::Active),
        visible: draft.visible.unwrap_or(true),
        public: draft.public.unwrap_or(false),
        style,
    })
}

fn parse_crs(crs: Option<&str>) -> AppResult<Option<Crs>> {
    match crs.map(str::trim).filter(|c| !c.is_empty()) {
        None => Ok(None),
        Some(text) => Crs::parse(text).map(Some).map_err(|e| AppError::invalid("crs", e)),
    }
}

/// Rasters wider or taller than this, without overviews, get advice on the import.
const LARGE_RASTER_PX: u64 = 2048;

/// A warning for a large raster without overviews: its zoomed-out tiles read the full resolution.
fn overview_advice(raster: &import::RasterInfo) -> Option<import::ImportWarning> {
    let number = |key: &str| raster.description.get(key).and_then(Value::as_u64).unwrap_or(0);
    let large = number("width").max(number("height")) > LARGE_RASTER_PX;
    (large && number("overviews") == 0).then(|| import::ImportWarning {
        index: 0,
        location: "GeoTIFF".into(),
        reason: format!(
            "the raster ({} × {} pixels) has no overviews: zoomed-out tiles read it at full resolution, slowly; \
             add them (gdaladdo -r average file.tif 2 4 8 16 32) and import the file again",
            number("width"),
            number("height")
        ),
    })
}

fn stopped(file_name: &str) -> ImportError {
    ImportError { file: file_name.to_owned(), location: None, message: "the import was stopped".into() }
}

fn changed_file() -> String {
    "the file changed while it was being imported: import it again".into()
}

fn file_error(e: ImportError) -> AppError {
    AppError::invalid("file", e.to_string())
}

/// Features per batch handed from the reader to the writer.
const BATCH: usize = 2000;

enum Message {
    Batch(Vec<CheckedFeature>),
}

impl Catalog {
    pub fn import_hub(&self) -> &ImportHub {
        &self.imports
    }

    /// Reads the whole file and returns what it holds and its first
    /// `sample` features; writes nothing.
    pub async fn preview_import(
        &self,
        actor: &Actor,
        upload: &Upload,
        crs: Option<&str>,
        sample: usize,
        limits: &ImportLimits,
    ) -> AppResult<ImportPreview> {
        actor.require_editor()?;
        let crs = parse_crs(crs)?;
        let path = upload.path();
        let file_name = upload.file_name.clone();
        let limits = limits.clone();
        tokio::task::spawn_blocking(move || {
            let mut reader = import::open(&path, &file_name, &limits)?;
            let format = reader.format().name().to_owned();
            let mut kept = Vec::new();
            let (summary, crs) = import::scan(reader.as_mut(), &file_name, crs.as_ref(), &limits, &mut |f| {
                if kept.len() < sample {
                    kept.push(f);
                }
                Ok(())
            })?;
            Ok(ImportPreview { format, crs: crs.label().to_owned(), summary, sample: kept })
        })
        .await
        .map_err(|e| AppError::Internal(anyhow::anyhow!("preview task failed: {e}")))?
        .map_err(file_error)
    }

    /// Records the import and starts it in the background; returns the
    /// PENDING record at once (follow it with [`ImportHub::watch`]).
    pub async fn start_import(
        &self,
        actor: &Actor,
        upload: Upload,
        draft: LayerDraft,
        crs: Option<&str>,
        limits: &ImportLimits,
    ) -> AppResult<ImportRecord> {
        let (record, job) = self.prepare_import(actor, upload, draft, crs, limits).await?;
        let catalog = self.clone();
        tokio::spawn(async move { catalog.run_import(job).await });
        Ok(record)
    }

    /// Records the import and runs it to its end.
    pub async fn import_now(
        &self,
        actor: &Actor,
        upload: Upload,
        draft: LayerDraft,
        crs: Option<&str>,
        limits: &ImportLimits,
    ) -> AppResult<ImportRecord> {
        let (_, job) = self.prepare_import(actor, upload, draft, crs, limits).await?;
        Ok(self.run_import(job).await)
    }

    async fn prepare_import(
        &self,
        actor: &Actor,
        upload: Upload,
        draft: LayerDraft,
        crs: Option<&str>,
        limits: &ImportLimits,
    ) -> AppResult<(ImportRecord, ImportJob)> {
        actor.require_editor()?;
        let crs = parse_crs(crs)?;
        // Validated now so that a bad name fails before the file is read.
        validate_meta(draft.clone(), &[])?;
        let uploaded_by = actor.principal().ok().map(|p| p.user_id);
        let record = self.store.insert_import(&upload.file_name, upload.size, uploaded_by).await?;
        self.imports.publish(ImportProgress::of(&record));
        // A lease that cannot be taken only weakens what a concurrent start knows: the import still runs.
        let lease = limits.lease_dir.as_deref().and_then(|dir| match ImportLease::take(dir, record.id) {
            Ok(lease) => lease,
            Err(e) => {
                tracing::warn!(import = record.id, error = %e, "cannot take the import's lease");
                None
            }
        });
        let job = ImportJob {
            record: record.clone(),
            upload,
            draft,
            crs,
            limits: limits.clone(),
            uploaded_by,
            _lease: lease,
        };
        Ok((record, job))
    }

    async fn run_import(&self, job: ImportJob) -> ImportRecord {
        let started = Instant::now();
        let mut record = job.record.clone();
        record.status = ImportStatus::Processing;
        if let Ok(saved) = self.store.save_import(&record).await {
            record = saved;
        }
        self.imports.publish(ImportProgress::of(&record));
        let outcome = self.import_file(&job, &mut record, started).await;
        match outcome {
            // Recorded as SUCCEEDED in the layer's own transaction: a layer
            // never exists beside an import that did not end.
            Ok(layer) => {
                if let Some(bbox) = layer.source.bbox {
                    self.notify_boxes(ChangeKind::Layer, layer.id, vec![bbox]);
                }
            }
            Err(message) => {
                // What was written of its layer goes with it.
                if let Some(layer_id) = record.layer_id.take()
                    && let Err(e) = self.store.delete_layer(layer_id).await
                {
                    tracing::error!(import = record.id, layer = layer_id, error = %e, "cannot remove a failed import's layer");
                }
                record.duration_ms = Some(started.elapsed().as_millis() as u64);
                record.status = ImportStatus::Failed;
                record.features_written = 0;
                record.error = Some(message);
                match self.store.save_import(&record).await {
                    Ok(saved) => record = saved,
                    Err(e) => tracing::error!(import = record.id, error = %e, "cannot record the end of an import"),
                }
            }
        }
        tracing::info!(
            import = record.id,
            status = record.status.as_str(),
            features = record.features_written,
            ms = record.duration_ms,
            "import finished"
        );
        self.imports.publish(ImportProgress::of(&record));
        record
    }

    /// The read → check → write pipeline; the error is the message kept on the record.
    ///
    /// Pass 1 reads and checks every feature for the layer's summary and its
    /// tile thinning (about 18 bytes a feature); a file of at most
    /// [`thinning::TILE_BUDGET`] features is kept from it and written as is,
    /// a larger one is read again (pass 2) and written with each feature's
    /// `min_zoom`, so that no row is written twice.
    async fn import_file(&self, job: &ImportJob, record: &mut ImportRecord, started: Instant) -> Result<Layer, String> {
        let reader = self.open_upload(job).await?;
        record.format = Some(reader.format().name().to_owned());
        let format = reader.format().name().to_owned();
        let (progress, mut read_so_far) = watch::channel(0u64);
        let first_pass = {
            let (file_name, limits, crs) = (job.upload.file_name.clone(), job.limits.clone(), job.crs.clone());
            tokio::task::spawn_blocking(move || {
                let mut reader = reader;
                let mut planner = thinning::Planner::default();
                let mut held = Some(Vec::new());
                let result = import::scan(reader.as_mut(), &file_name, crs.as_ref(), &limits, &mut |f| {
                    planner.push(&f.bbox);
                    match held.as_mut() {
                        Some(kept) if kept.len() < thinning::TILE_BUDGET => kept.push(f),
                        _ => held = None,
                    }
                    if planner.len() % BATCH == 0 {
                        if progress.is_closed() {
                            return Err(stopped(&file_name));
                        }
                        progress.send_replace(planner.len() as u64);
                    }
                    Ok(())
                });
                result.map(|(summary, crs)| (summary, crs, reader.raster(), planner, held))
            })
        };
        // Ends when pass 1 drops its sender.
        while read_so_far.changed().await.is_ok() {
            record.features_read = *read_so_far.borrow_and_update();
            self.imports.publish(ImportProgress::of(record));
        }
        let (mut summary, crs, raster, planner, held) =
            first_pass.await.map_err(|e| format!("internal error: {e}"))?.map_err(|e| e.to_string())?;
        if let Some(advice) = raster.as_ref().and_then(overview_advice) {
            summary.warnings.push(advice);
        }
        record.features_read = summary.features_read;
        let plan =
            tokio::task::spawn_blocking(move || planner.finish()).await.map_err(|e| format!("internal error: {e}"))?;
        let min_zoom = plan.thinned().then_some(plan.min_zoom.as_slice());
        let provisional = validate_meta(job.draft.clone(), &[]).map_err(|e| e.into_anyhow().to_string())?;
        let mut writer = self.store.begin_layer(&provisional, job.uploaded_by).await.map_err(|e| e.to_string())?;
        // The incomplete layer is the import's: removed should it fail, and
        // known to a server that starts meanwhile (which must leave it alone).
        record.layer_id = Some(writer.layer_id());
        if let Ok(saved) = self.store.save_import(record).await {
            *record = saved;
        }
        match held {
            Some(features) => {
                writer.write(&features, min_zoom).await.map_err(|e| format!("cannot write the features: {e}"))?;
                record.features_written = features.len() as u64;
                self.imports.publish(ImportProgress::of(record));
            }
            None => self.write_second_pass(job, &mut writer, min_zoom, summary.features_kept, record).await?,
        }
        let geometry_types: Vec<String> = summary.geometry_types.iter().map(|t| t.to_string()).collect();
        let meta = validate_meta(job.draft.clone(), &geometry_types).map_err(|e| e.into_anyhow().to_string())?;
        let source = LayerSource {
            format,
            crs: crs.label().to_owned(),
            feature_count: summary.features_kept,
            geometry_types,
            bbox: summary.bbox,
            attributes: summary.attributes.clone(),
        };
        let kept = match raster {
            Some(raster) => keep_raster(&mut writer, &raster, job.limits.raster_dir.as_deref()).await?,
            None => None,
        };
        let mut done = record.clone();
        done.status = ImportStatus::Succeeded;
        done.layer_id = Some(writer.layer_id());
        done.features_read = summary.features_read;
        done.features_written = summary.features_kept;
        done.warnings = summary.warnings;
        done.duration_ms = Some(started.elapsed().as_millis() as u64);
        match writer.finish(&source, &meta, plan.full_zoom, &done).await {
            Ok((layer, saved)) => {
                *record = saved;
                Ok(layer)
            }
            Err(e) => {
                // The layer is rolled back: its raster file must not stay behind.
                if let Some(file) = kept {
                    let _ = tokio::fs::remove_file(file).await;
                }
                Err(format!("cannot save the layer: {e}"))
            }
        }
    }

    async fn open_upload(&self, job: &ImportJob) -> Result<Box<dyn import::FeatureReader>, String> {
        let (path, file_name, limits) = (job.upload.path(), job.upload.file_name.clone(), job.limits.clone());
        tokio::task::spawn_blocking(move || import::open(&path, &file_name, &limits))
            .await
            .map_err(|e| format!("internal error: {e}"))?
            .map_err(|e| e.to_string())
    }

    /// Pass 2 of a large file: read again, features handed over a bounded
    /// channel in batches and written with their `min_zoom`.
    async fn write_second_pass(
        &self,
        job: &ImportJob,
        writer: &mut crate::storage::LayerWriter,
        min_zoom: Option<&[u8]>,
        expected: u64,
        record: &mut ImportRecord,
    ) -> Result<(), String> {
        let reader = self.open_upload(job).await?;
        let (sender, mut receiver) = mpsc::channel::<Message>(2);
        let (file_name, limits, crs) = (job.upload.file_name.clone(), job.limits.clone(), job.crs.clone());
        let read = tokio::task::spawn_blocking(move || {
            let mut reader = reader;
            let mut batch = Vec::with_capacity(BATCH);
            let result = import::scan(reader.as_mut(), &file_name, crs.as_ref(), &limits, &mut |f| {
                batch.push(f);
                if batch.len() >= BATCH {
                    let full = std::mem::replace(&mut batch, Vec::with_capacity(BATCH));
                    sender.blocking_send(Message::Batch(full)).map_err(|_| stopped(&file_name))?;
                }
                Ok(())
            });
            if result.is_ok() && !batch.is_empty() {
                let _ = sender.blocking_send(Message::Batch(batch));
            }
            result.map(|_| ())
        });
        let mut written = 0usize;
        while let Some(Message::Batch(features)) = receiver.recv().await {
            let end = written + features.len();
            let zooms = match min_zoom {
                Some(all) => Some(all.get(written..end).ok_or_else(changed_file)?),
                None => None,
            };
            writer.write(&features, zooms).await.map_err(|e| format!("cannot write the features: {e}"))?;
            written = end;
            record.features_written = written as u64;
            self.imports.publish(ImportProgress::of(record));
        }
        read.await.map_err(|e| format!("internal error: {e}"))?.map_err(|e| e.to_string())?;
        if written as u64 != expected {
            return Err(changed_file());
        }
        Ok(())
    }

    /// The description of a layer's raster file (GeoTIFF); `None` for vector layers.
    pub async fn layer_raster(&self, layer_id: i64) -> AppResult<Option<Value>> {
        Ok(self.store.layer_raster(layer_id).await?)
    }

    /// At start: marks FAILED the imports that no live process runs (their
    /// lease is free: the process that ran them stopped), leaving those of
    /// another process (`odg import` beside the server) alone, and removes
    /// the uploads such a stop left in `upload_dir` (older than an hour: a
    /// server beside this one may be receiving a new one). Returns how many
    /// imports were failed.
    pub async fn fail_interrupted_imports(
        &self,
        limits: &ImportLimits,
        upload_dir: &std::path::Path,
    ) -> AppResult<u64> {
        let mut dead = Vec::new();
        for id in self.store.unfinished_imports().await? {
            match limits.lease_dir.as_deref().map(|dir| ImportLease::take(dir, id)) {
                // Taken and dropped at once: nobody held it.
                None | Some(Ok(Some(_))) => dead.push(id),
                Some(Ok(None)) => tracing::info!(import = id, "an import runs in another process: left running"),
                Some(Err(e)) => {
                    tracing::warn!(import = id, error = %e, "cannot read the import's lease: taken for interrupted");
                    dead.push(id);
                }
            }
        }
        // The incomplete layers of the interrupted imports go; those of the live ones stay.
        let mut keep = Vec::new();
        for id in self.store.unfinished_imports().await? {
            if !dead.contains(&id)
                && let Some(layer_id) = self.store.import_record(id).await?.and_then(|r| r.layer_id)
            {
                keep.push(layer_id);
            }
        }
        let removed = self.store.delete_incomplete_layers(&keep).await?;
        if removed > 0 {
            tracing::warn!(removed, "layers left incomplete by interrupted imports are removed");
        }
        let failed = if dead.is_empty() { 0 } else { self.store.fail_interrupted_imports(&dead).await? };
        remove_orphan_uploads(upload_dir, std::time::Duration::from_secs(3600));
        Ok(failed)
    }

    pub async fn import_record(&self, actor: &Actor, id: i64) -> AppResult<Option<ImportRecord>> {
        actor.principal()?;
        Ok(self.store.import_record(id).await?.map(|r| self.imports.with_live_counts(r)))
    }

    pub async fn imports(&self, actor: &Actor, offset: u64, limit: u64) -> AppResult<Page<ImportRecord>> {
        actor.principal()?;
        let mut page = self.store.list_imports(offset, limit).await?;
        page.items = page.items.into_iter().map(|r| self.imports.with_live_counts(r)).collect();
        Ok(page)
    }

    /// Layers the actor may see: anonymous readers see public layers only.
    pub async fn layers(&self, actor: &Actor, mut filter: LayerFilter, params: &ListParams) -> AppResult<Page<Layer>> {
        filter.public_only = matches!(actor, Actor::Anonymous);
        Ok(self.store.list_layers(&filter, params).await?)
    }

    pub async fn layer(&self, actor: &Actor, id: i64) -> AppResult<Option<Layer>> {
        let layer = self.store.layer(id).await?;
        Ok(layer.filter(|l| l.meta.public || !matches!(actor, Actor::Anonymous)))
    }

    pub async fn layer_features(
        &self,
        actor: &Actor,
        layer_id: i64,
        attributes: &[AttributeFilter],
        params: &ListParams,
    ) -> AppResult<Page<LayerFeature>> {
        self.layer(actor, layer_id).await?.ok_or_else(|| AppError::not_found("layer", layer_id))?;
        Ok(self.store.list_layer_features(layer_id, attributes, params).await?)
    }

    pub async fn layer_attribute_values(
        &self,
        layer_id: i64,
        attribute: &str,
        limit: u64,
    ) -> AppResult<Vec<(Value, u64)>> {
        Ok(self.store.layer_attribute_values(layer_id, attribute, limit).await?)
    }

    /// Changes a layer's name, description, kind, status, visibility or style.
    pub async fn update_layer(&self, actor: &Actor, id: i64, patch: impl FnOnce(&mut LayerDraft)) -> AppResult<Layer> {
        actor.require_editor()?;
        let current = self.store.layer(id).await?.ok_or_else(|| AppError::not_found("layer", id))?;
        let m = current.meta.clone();
        let mut draft = LayerDraft {
            name: m.name,
            description: m.description,
            kind: Some(m.kind),
            status: Some(m.status),
            visible: Some(m.visible),
            public: Some(m.public),
            style: None,
        };
        patch(&mut draft);
        let style_given = draft.style.take();
        let mut meta = validate_meta(draft, &current.source.geometry_types)?;
        meta.style = match style_given {
            None => current.meta.style.clone(),
            Some(Value::Object(given)) => {
                let mut style = current.meta.style.clone();
                if let Value::Object(base) = &mut style {
                    for (key, value) in given {
                        base.insert(key, value);
                    }
                }
                style
            }
            Some(_) => return Err(AppError::invalid("style", "must be a JSON object")),
        };
        let saved = self.store.update_layer_meta(id, &meta).await?.ok_or_else(|| AppError::not_found("layer", id))?;
        self.audit(actor, "layer", id, "UPDATE", &[]).await?;
        self.notify_boxes(ChangeKind::Layer, id, saved.source.bbox.into_iter().collect());
        Ok(saved)
    }

    pub async fn delete_layer(&self, actor: &Actor, id: i64) -> AppResult<i64> {
        actor.require_editor()?;
        let current = self.store.layer(id).await?.ok_or_else(|| AppError::not_found("layer", id))?;
        let raster = self.store.layer_raster(id).await?;
        if !self.store.delete_layer(id).await? {
            return Err(AppError::not_found("layer", id));
        }
        // The kept raster file goes with its layer.
        if let Some(path) = raster.as_ref().and_then(|r| r.get("path")).and_then(Value::as_str)
            && let Err(e) = tokio::fs::remove_file(path).await
            && e.kind() != std::io::ErrorKind::NotFound
        {
            tracing::warn!(layer = id, path, error = %e, "cannot remove the raster file of a deleted layer");
        }
        self.audit(actor, "layer", id, "DELETE", &[]).await?;
        self.notify_boxes(ChangeKind::Layer, id, current.source.bbox.into_iter().collect());
        Ok(id)
    }

    /// Replaces a feature's geometry and/or properties.
    pub async fn update_layer_feature(
        &self,
        actor: &Actor,
        id: i64,
        geometry: Option<geo_types::Geometry<f64>>,
        properties: Option<serde_json::Map<String, Value>>,
    ) -> AppResult<LayerFeature> {
        actor.require_editor()?;
        let mut feature =
            self.store.layer_feature(id).await?.ok_or_else(|| AppError::not_found("layer feature", id))?;
        let old_bbox = Bbox::of(&feature.geometry);
        if let Some(g) = geometry {
            feature.geometry = g;
        }
        if let Some(p) = properties {
            feature.properties = p;
        }
        let bbox = Bbox::of(&feature.geometry).ok_or_else(|| AppError::invalid("geometry", "must not be empty"))?;
        let saved = self
            .store
            .update_layer_feature(&feature, bbox)
            .await?
            .ok_or_else(|| AppError::not_found("layer feature", id))?;
        self.audit(actor, "layer_feature", id, "UPDATE", &[]).await?;
        self.notify_boxes(ChangeKind::Layer, saved.layer_id, old_bbox.into_iter().chain([bbox]).collect());
        if old_bbox != Some(bbox) {
            self.rethin_after_edit(saved.layer_id).await;
        }
        Ok(saved)
    }

    pub async fn delete_layer_feature(&self, actor: &Actor, id: i64) -> AppResult<i64> {
        actor.require_editor()?;
        let feature = self.store.layer_feature(id).await?.ok_or_else(|| AppError::not_found("layer feature", id))?;
        self.store.delete_layer_feature(id).await?;
        self.audit(actor, "layer_feature", id, "DELETE", &[]).await?;
        self.notify_boxes(ChangeKind::Layer, feature.layer_id, Bbox::of(&feature.geometry).into_iter().collect());
        self.rethin_after_edit(feature.layer_id).await;
        Ok(id)
    }

    /// Re-plans a layer after one of its features moved or went. The edit is
    /// saved already: should planning fail, the layer is left unplanned (its
    /// tiles show every feature, right if heavy, until the next start plans
    /// it) rather than the edit reported as failed.
    async fn rethin_after_edit(&self, layer_id: i64) {
        let Err(e) = self.rethin_layer(layer_id).await else { return };
        tracing::error!(layer = layer_id, error = %e.into_anyhow(), "cannot re-plan the layer's tiles; they show every feature until the next start");
        if let Err(e) = self.store.forget_layer_thinning(layer_id).await {
            tracing::error!(layer = layer_id, error = %e, "cannot mark the layer's tiles as unplanned");
        }
        self.notify_boxes(ChangeKind::Layer, layer_id, Vec::new());
    }

    /// Recomputes which zoom each feature of a layer shows from, after a
    /// feature moved or went (the first feature of a cell may have changed),
    /// writes the features whose zoom changed and drops their tiles. A layer
    /// that was never thinned and has at most [`thinning::TILE_BUDGET`]
    /// features cannot need it: nothing is read.
    pub async fn rethin_layer(&self, layer_id: i64) -> AppResult<()> {
        let Some(layer) = self.store.layer(layer_id).await? else { return Ok(()) };
        if layer.tile_full_zoom == Some(0) && layer.source.feature_count <= thinning::TILE_BUDGET as u64 {
            return Ok(());
        }
        let turn = {
            let mut locks = self.imports.rethinning.lock().expect("re-thinning locks");
            locks.entry(layer_id).or_default().clone()
        };
        let _turn = turn.lock().await;
        let run = self.store.begin_rethinning(layer_id).await?;
        let (ids, current, planner) = run.inputs().await?;
        let plan = tokio::task::spawn_blocking(move || planner.finish())
            .await
            .map_err(|e| AppError::Internal(anyhow::anyhow!("thinning a layer: {e}")))?;
        let thinned = plan.thinned();
        let changes: Vec<(i64, Option<i16>)> = ids
            .iter()
            .zip(&current)
            .zip(&plan.min_zoom)
            .filter_map(|((&id, &now), &z)| {
                let wanted = thinned.then_some(i16::from(z));
                (now != wanted).then_some((id, wanted))
            })
            .collect();
        if changes.is_empty() && layer.tile_full_zoom == Some(plan.full_zoom) {
            return Ok(());
        }
        run.apply(&changes, plan.full_zoom).await?;
        // The tiles of the features whose zoom changed; past a few hundred, all of the layer's.
        let ids: Vec<i64> = changes.iter().map(|(id, _)| *id).collect();
        match ids.len() {
            0 => {}
            1..=500 => {
                let boxes = self.store.layer_feature_boxes(&ids).await?;
                self.notify_boxes(ChangeKind::Layer, layer_id, boxes);
            }
            _ => self.notify_boxes(ChangeKind::Layer, layer_id, Vec::new()),
        }
        Ok(())
    }

    /// Computes the thinning of layers imported before it existed (once, after the migration that added it).
    /// A layer that cannot be planned is logged and left whole; the others are planned still.
    pub async fn thin_older_layers(&self) -> AppResult<usize> {
        let ids = self.store.layers_without_thinning().await?;
        let mut planned = 0;
        for id in ids {
            match self.rethin_layer(id).await {
                Ok(()) => planned += 1,
                Err(e) => tracing::error!(layer = id, error = %e.into_anyhow(), "cannot plan the layer's tiles"),
            }
        }
        Ok(planned)
    }
}

/// Copies an imported raster file to `<raster_dir>/layer-<id>.tif` and
/// records its description (with that `path`) in the layer's transaction;
/// returns the copy, to remove should the layer not be saved. Without a
/// raster directory only the description is kept.
async fn keep_raster(
    writer: &mut crate::storage::LayerWriter,
    raster: &import::RasterInfo,
    raster_dir: Option<&std::path::Path>,
) -> Result<Option<PathBuf>, String> {
    let mut description = raster.description.clone();
    let kept = match raster_dir {
        Some(dir) => {
            let target = dir.join(format!("layer-{}.tif", writer.layer_id()));
            tokio::fs::create_dir_all(dir)
                .await
                .map_err(|e| format!("cannot create the raster directory {}: {e}", dir.display()))?;
            tokio::fs::copy(&raster.path, &target)
                .await
                .map_err(|e| format!("cannot keep the raster file as {}: {e}", target.display()))?;
            if let Value::Object(d) = &mut description {
                d.insert("path".into(), Value::String(target.display().to_string()));
            }
            Some(target)
        }
        None => None,
    };
    if let Err(e) = writer.set_raster(&description).await {
        if let Some(file) = &kept {
            let _ = tokio::fs::remove_file(file).await;
        }
        return Err(format!("cannot save the layer: {e}"));
    }
    Ok(kept)
}

struct ImportJob {
    record: ImportRecord,
    upload: Upload,
    draft: LayerDraft,
    crs: Option<Crs>,
    limits: ImportLimits,
    uploaded_by: Option<i64>,
    /// Held until the job ends (dropped with it).
    _lease: Option<ImportLease>,
}

/// Removes the `upload-*` files older than `age` (an upload lives as long
/// as its import, and a stop ends both).
fn remove_orphan_uploads(dir: &std::path::Path, age: std::time::Duration) {
    let Ok(entries) = std::fs::read_dir(dir) else { return };
    let mut removed = 0u32;
    for entry in entries.flatten() {
        let old = entry.metadata().and_then(|m| m.modified()).is_ok_and(|t| t.elapsed().is_ok_and(|e| e > age));
        if old
            && entry.file_name().to_string_lossy().starts_with("upload-")
            && std::fs::remove_file(entry.path()).is_ok()
        {
            removed += 1;
        }
    }
    if removed > 0 {
        tracing::info!(removed, dir = %dir.display(), "uploads left by an earlier stop removed");
    }
}

/// Proof that an import is running: an exclusive lock on
/// `<lease dir>/import-<id>.lock`, held for as long as the import runs. A
/// process starting beside it (a server while `odg import` runs) sees the
/// lock and leaves the import alone; the kernel releases it when the
/// running process dies, so a crash leaves no false lease behind.
pub struct ImportLease {
    file: std::fs::File,
    path: PathBuf,
}

impl ImportLease {
    fn path(dir: &std::path::Path, id: i64) -> PathBuf {
        dir.join(format!("import-{id}.lock"))
    }

    /// Takes import `id`'s lease; `None` when a live process holds it.
    pub fn take(dir: &std::path::Path, id: i64) -> std::io::Result<Option<ImportLease>> {
        std::fs::create_dir_all(dir)?;
        let path = ImportLease::path(dir, id);
        let file = std::fs::OpenOptions::new().create(true).truncate(false).write(true).open(&path)?;
        match file.try_lock() {
            Ok(()) => Ok(Some(ImportLease { file, path })),
            Err(std::fs::TryLockError::WouldBlock) => Ok(None),
            Err(std::fs::TryLockError::Error(e)) => Err(e),
        }
    }
}

impl Drop for ImportLease {
    fn drop(&mut self) {
        let _ = std::fs::remove_file(&self.path);
        let _ = self.file.unlock();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn record(status: ImportStatus, read: u64, written: u64) -> ImportRecord {
        let now = chrono::Utc::now();
        ImportRecord {
            id: 7,
            file_name: "points.geojson".into(),
            size_bytes: 1,
            format: None,
            status,
            features_read: read,
            features_written: written,
            error: None,
            warnings: Vec::new(),
            duration_ms: None,
            uploaded_by: None,
            layer_id: None,
            created_at: now,
            updated_at: now,
        }
    }

    #[test]
    fn a_running_import_shows_its_live_counts_and_an_ended_one_its_row() {
        let hub = ImportHub::default();
        hub.publish(ImportProgress::of(&record(ImportStatus::Pending, 0, 0)));
        // Nobody subscribes to its progress: the hub keeps the latest state all the same.
        hub.publish(ImportProgress::of(&record(ImportStatus::Processing, 12_000, 4_096)));
        // The row still says what was written at the start.
        let shown = hub.with_live_counts(record(ImportStatus::Pending, 0, 0));
        assert_eq!(
            (shown.status, shown.features_read, shown.features_written),
            (ImportStatus::Processing, 12_000, 4_096)
        );
        // Once ended, the row is the truth (and the hub forgets the import).
        hub.publish(ImportProgress::of(&record(ImportStatus::Succeeded, 12_001, 12_001)));
        let ended = hub.with_live_counts(record(ImportStatus::Processing, 0, 0));
        assert_eq!(
            (ended.features_read, ended.features_written),
            (0, 0),
            "no live counts for an import not running here"
        );
        let done = hub.with_live_counts(record(ImportStatus::Succeeded, 12_001, 12_001));
        assert_eq!(done.features_written, 12_001);
    }
}
