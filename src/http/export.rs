//! `GET /layers/{id}/export?format=geojson|csv|kml|shapefile|gpkg`: a layer
//! as a download. Text formats stream page by page; the shapefile is built in
//! a temporary directory and zipped, the GeoPackage written there, then
//! either is streamed from disk.

use super::AppState;
use crate::error::{AppError, AppResult};
use crate::export::{self, ExportFormat, TextExport};
use crate::web::reader;
use axum::body::Body;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderValue, header};
use axum::response::{IntoResponse, Response};
use std::collections::HashMap;

/// Features read from the database per page of an export.
const PAGE: u64 = 2000;

/// Where the features of an export come from: a stored layer, read page by
/// page, or a set already in memory (a filtered domain collection).
pub enum Pages {
    Layer { store: crate::storage::Store, layer_id: i64, after: i64 },
    Memory(Option<Vec<crate::domain::LayerFeature>>),
}

impl Pages {
    pub fn of_layer(store: &crate::storage::Store, layer_id: i64) -> Pages {
        Pages::Layer { store: store.clone(), layer_id, after: 0 }
    }

    /// The next page; empty when there is no more.
    async fn next(&mut self) -> crate::storage::StorageResult<Vec<crate::domain::LayerFeature>> {
        match self {
            Pages::Layer { store, layer_id, after } => {
                let page = store.layer_features_after(*layer_id, *after, PAGE).await?;
                if let Some(last) = page.last() {
                    *after = last.id;
                }
                Ok(page)
            }
            Pages::Memory(all) => Ok(all.take().unwrap_or_default()),
        }
    }
}

/// The download of `layer` (its metadata names the file and its attribute
/// schema the columns) with the features of `pages`.
pub async fn download(layer: crate::domain::Layer, pages: Pages, format: ExportFormat) -> AppResult<Response> {
    let stem = export::file_stem(&layer);
    let disposition = format!("attachment; filename=\"{stem}.{}\"", format.extension());
    let body = match format {
        ExportFormat::Shapefile => shapefile_body(pages, &layer, &stem).await?,
        ExportFormat::GeoPackage => geopackage_body(pages, &layer, &stem).await?,
        _ => text_body(pages, layer, format),
    };
    let mut response = body.into_response();
    let h = response.headers_mut();
    h.insert(header::CONTENT_TYPE, HeaderValue::from_static(format.content_type()));
    h.insert(header::CONTENT_DISPOSITION, HeaderValue::from_str(&disposition).expect("a slug is a valid header"));
    Ok(response)
}

/// `format=…` of an export request.
pub fn requested_format(query: &HashMap<String, String>) -> AppResult<ExportFormat> {
    let name = query.get("format").map(String::as_str).unwrap_or("geojson");
    ExportFormat::parse(name).ok_or_else(|| {
        AppError::invalid("format", format!("`{name}` is not one of geojson, csv, kml, shapefile, gpkg"))
    })
}

pub async fn layer_export(
    State(state): State<AppState>,
    Path(id): Path<String>,
    headers: axum::http::HeaderMap,
    Query(query): Query<HashMap<String, String>>,
) -> AppResult<Response> {
    let actor = reader(&state.catalog, &state.auth, &headers, &query).await?;
    let id: i64 = id.parse().map_err(|_| AppError::invalid("id", "must be a layer id"))?;
    let format = requested_format(&query)?;
    let layer = state.catalog.layer(&actor, id).await?.ok_or_else(|| AppError::not_found("layer", id))?;
    let pages = Pages::of_layer(state.catalog.store(), layer.id);
    download(layer, pages, format).await
}

fn text_body(mut pages: Pages, layer: crate::domain::Layer, format: ExportFormat) -> Body {
    let stream = async_stream::stream! {
        let mut writer = TextExport::new(format, &layer);
        yield Ok::<_, std::io::Error>(writer.header(&layer));
        loop {
            match pages.next().await {
                Ok(page) if page.is_empty() => break,
                Ok(page) => {
                    yield Ok(writer.features(&page));
                }
                Err(e) => {
                    // The status is sent already: cut the body so the client sees a broken download.
                    tracing::error!(layer = layer.id, error = %e, "export stopped");
                    yield Err(std::io::Error::other(e.to_string()));
                    return;
                }
            }
        }
        yield Ok(writer.footer());
    };
    Body::from_stream(stream)
}

async fn shapefile_body(pages: Pages, layer: &crate::domain::Layer, stem: &str) -> AppResult<Body> {
    let dir = tempfile::tempdir().map_err(|e| AppError::Internal(e.into()))?;
    let zip_path = dir.path().join("export.zip");
    write_file(pages, layer, ExportFormat::Shapefile, &zip_path, stem).await?;
    file_body(dir, &zip_path).await
}

/// The GeoPackage, written from pages of features as they are read.
async fn geopackage_body(pages: Pages, layer: &crate::domain::Layer, stem: &str) -> AppResult<Body> {
    let dir = tempfile::tempdir().map_err(|e| AppError::Internal(e.into()))?;
    let path = dir.path().join(format!("{stem}.gpkg"));
    write_file(pages, layer, ExportFormat::GeoPackage, &path, stem).await?;
    file_body(dir, &path).await
}

/// Writes the export to `target` (which is replaced), page by page, and
/// returns how many features it holds: the downloads that need a file, and
/// `odg export`. `stem` names the shapefile parts and the GeoPackage table.
pub async fn write_file(
    mut pages: Pages,
    layer: &crate::domain::Layer,
    format: ExportFormat,
    target: &std::path::Path,
    stem: &str,
) -> AppResult<u64> {
    let internal = |e: String| AppError::Internal(anyhow::anyhow!("export of layer {}: {e}", layer.id));
    let mut written = 0u64;
    match format {
        ExportFormat::Shapefile => {
            let dir = tempfile::tempdir().map_err(|e| AppError::Internal(e.into()))?;
            let (sender, mut receiver) = tokio::sync::mpsc::channel::<Vec<crate::domain::LayerFeature>>(2);
            let (path, layer_owned, stem_owned, zip_path) =
                (dir.path().to_path_buf(), layer.clone(), stem.to_owned(), target.to_path_buf());
            // Pages are read here and written on a blocking thread.
            let writing = tokio::task::spawn_blocking(move || {
                export::write_shapefile(&path, &stem_owned, &layer_owned, &mut || {
                    Ok(receiver.blocking_recv().unwrap_or_default())
                })?;
                let mut file = std::fs::File::create(&zip_path).map_err(|e| e.to_string())?;
                export::zip_shapefile(&path, &stem_owned, &mut file)
            });
            loop {
                let page = pages.next().await?;
                let done = page.is_empty();
                written += page.len() as u64;
                if sender.send(page).await.is_err() || done {
                    break;
                }
            }
            drop(sender);
            writing
                .await
                .map_err(|e| internal(e.to_string()))?
                // A layer mixing geometry kinds is the one refusal here: the caller's to fix.
                .map_err(|e| AppError::invalid("format", e))?;
        }
        ExportFormat::GeoPackage => {
            if target.exists() {
                std::fs::remove_file(target).map_err(|e| AppError::Internal(e.into()))?;
            }
            let mut writer = export::GeoPackageWriter::create(target, stem, layer).await.map_err(internal)?;
            loop {
                let page = pages.next().await?;
                if page.is_empty() {
                    break;
                }
                written += page.len() as u64;
                writer.write(&page).await.map_err(internal)?;
            }
            writer.finish().await.map_err(internal)?;
        }
        _ => {
            use std::io::Write;
            let file = std::fs::File::create(target).map_err(|e| AppError::Internal(e.into()))?;
            let mut out = std::io::BufWriter::new(file);
            let io = |e: std::io::Error| AppError::Internal(e.into());
            let mut text = TextExport::new(format, layer);
            out.write_all(text.header(layer).as_bytes()).map_err(io)?;
            loop {
                let page = pages.next().await?;
                if page.is_empty() {
                    break;
                }
                written += page.len() as u64;
                out.write_all(text.features(&page).as_bytes()).map_err(io)?;
            }
            out.write_all(text.footer().as_bytes()).map_err(io)?;
            out.flush().map_err(io)?;
        }
    }
    Ok(written)
}

/// Streams `path`, a file in `dir`; the directory goes when the download
/// ends (the open file stays readable).
async fn file_body(dir: tempfile::TempDir, path: &std::path::Path) -> AppResult<Body> {
    let file = tokio::fs::File::open(path).await.map_err(|e| AppError::Internal(e.into()))?;
    let stream = tokio_util::io::ReaderStream::new(file);
    let guarded = async_stream::stream! {
        let _dir = dir;
        let mut stream = stream;
        while let Some(chunk) = async_graphql::futures_util::StreamExt::next(&mut stream).await {
            yield chunk;
        }
    };
    Ok(Body::from_stream(guarded))
}
