//! `GET /layers/{id}/export?format=geojson|csv|kml|shapefile`: a layer as a
//! download. Text formats stream page by page; the shapefile is built in a
//! temporary directory, zipped, then streamed from disk.

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

pub async fn layer_export(
    State(state): State<AppState>,
    Path(id): Path<String>,
    headers: axum::http::HeaderMap,
    Query(query): Query<HashMap<String, String>>,
) -> AppResult<Response> {
    let actor = reader(&state.catalog, &state.auth, &headers, &query).await?;
    let id: i64 = id.parse().map_err(|_| AppError::invalid("id", "must be a layer id"))?;
    let format_name = query.get("format").map(String::as_str).unwrap_or("geojson");
    let format = ExportFormat::parse(format_name).ok_or_else(|| {
        AppError::invalid("format", format!("`{format_name}` is not one of geojson, csv, kml, shapefile"))
    })?;
    let layer = state.catalog.layer(&actor, id).await?.ok_or_else(|| AppError::not_found("layer", id))?;
    let stem = export::file_stem(&layer);
    let disposition = format!("attachment; filename=\"{stem}.{}\"", format.extension());
    let body = match format {
        ExportFormat::Shapefile => shapefile_body(&state, &layer, &stem).await?,
        _ => text_body(&state, layer, format),
    };
    let mut response = body.into_response();
    let h = response.headers_mut();
    h.insert(header::CONTENT_TYPE, HeaderValue::from_static(format.content_type()));
    h.insert(header::CONTENT_DISPOSITION, HeaderValue::from_str(&disposition).expect("a slug is a valid header"));
    Ok(response)
}

fn text_body(state: &AppState, layer: crate::domain::Layer, format: ExportFormat) -> Body {
    let store = state.catalog.store().clone();
    let stream = async_stream::stream! {
        let mut writer = TextExport::new(format, &layer);
        yield Ok::<_, std::io::Error>(writer.header(&layer));
        let mut after = 0i64;
        loop {
            match store.layer_features_after(layer.id, after, PAGE).await {
                Ok(page) if page.is_empty() => break,
                Ok(page) => {
                    after = page.last().map(|f| f.id).unwrap_or(after);
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

async fn shapefile_body(state: &AppState, layer: &crate::domain::Layer, stem: &str) -> AppResult<Body> {
    let dir = tempfile::tempdir().map_err(|e| AppError::Internal(e.into()))?;
    let (sender, mut receiver) = tokio::sync::mpsc::channel::<Vec<crate::domain::LayerFeature>>(2);
    let store = state.catalog.store().clone();
    let layer_id = layer.id;
    // Pages are read here and written on a blocking thread.
    let reading = tokio::spawn(async move {
        let mut after = 0i64;
        loop {
            let page = store.layer_features_after(layer_id, after, PAGE).await?;
            let done = page.is_empty();
            after = page.last().map(|f| f.id).unwrap_or(after);
            if sender.send(page).await.is_err() || done {
                return Ok::<_, crate::storage::StorageError>(());
            }
        }
    });
    let (path, layer_owned, stem_owned) = (dir.path().to_path_buf(), layer.clone(), stem.to_owned());
    let zip_path = tokio::task::spawn_blocking(move || {
        export::write_shapefile(&path, &stem_owned, &layer_owned, &mut || {
            Ok(receiver.blocking_recv().unwrap_or_default())
        })?;
        let zip_path = path.join("export.zip");
        let mut file = std::fs::File::create(&zip_path).map_err(|e| e.to_string())?;
        export::zip_shapefile(&path, &stem_owned, &mut file)?;
        Ok::<_, String>(zip_path)
    })
    .await
    .map_err(|e| AppError::Internal(anyhow::anyhow!("export task failed: {e}")))?
    .map_err(|e| AppError::invalid("format", e))?;
    reading.await.map_err(|e| AppError::Internal(anyhow::anyhow!("export task failed: {e}")))??;
    let file = tokio::fs::File::open(&zip_path).await.map_err(|e| AppError::Internal(e.into()))?;
    // The directory goes when the download ends (the open file stays readable).
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
