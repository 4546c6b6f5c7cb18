//! `odg export LAYER --format F --output FILE`: the download of
//! `/layers/{id}/export`, written to a file page by page by the same writer.

use crate::app;
use crate::config::Config;
use crate::domain::{Actor, Catalog};
use crate::export::{self, ExportFormat};
use crate::http::export::{Pages, write_file};
use anyhow::{Context, bail};
use std::path::Path;

pub async fn run(config: &Config, layer_id: i64, format: &str, output: &Path) -> anyhow::Result<()> {
    let format = ExportFormat::parse(format)
        .with_context(|| format!("--format {format}: expected geojson, csv, kml, shapefile or gpkg"))?;
    let store = app::open_store(config).await?;
    let catalog = Catalog::new(store.clone());
    let layer = catalog.layer(&Actor::System, layer_id).await.map_err(|e| e.into_anyhow())?.context("no such layer")?;
    let stem = export::file_stem(&layer);
    let written = write_file(Pages::of_layer(&store, layer.id), &layer, format, output, &stem)
        .await
        .map_err(|e| e.into_anyhow())
        .with_context(|| format!("cannot write {}", output.display()))?;
    store.close().await?;
    if written != layer.source.feature_count {
        bail!("wrote {written} features where the layer has {}", layer.source.feature_count);
    }
    println!("exported {written} features of layer {} to {}", layer.id, output.display());
    Ok(())
}
