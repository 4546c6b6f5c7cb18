//! `odg export LAYER --format F --output FILE`: the download of
//! `/layers/{id}/export`, written to a file page by page.

use crate::app;
use crate::config::Config;
use crate::domain::{Actor, Catalog, LayerFeature};
use crate::export::{self, ExportFormat, TextExport};
use anyhow::{Context, bail};
use std::io::Write;
use std::path::Path;

/// Features read per page.
const PAGE: u64 = 5000;

pub async fn run(config: &Config, layer_id: i64, format: &str, output: &Path) -> anyhow::Result<()> {
    let format = ExportFormat::parse(format)
        .with_context(|| format!("--format {format}: expected geojson, csv, kml, shapefile or gpkg"))?;
    let store = app::open_store(config).await?;
    let catalog = Catalog::new(store.clone());
    let layer = catalog.layer(&Actor::System, layer_id).await.map_err(|e| e.into_anyhow())?.context("no such layer")?;
    let mut written = 0u64;
    match format {
        ExportFormat::Shapefile => {
            let dir = tempfile::tempdir()?;
            let stem = export::file_stem(&layer);
            // Pages are fetched here; the shapefile writer pulls them from a channel on a blocking thread.
            let (sender, mut receiver) = tokio::sync::mpsc::channel::<Vec<LayerFeature>>(2);
            let (path, layer_copy, stem_copy) = (dir.path().to_path_buf(), layer.clone(), stem.clone());
            let writer = tokio::task::spawn_blocking(move || {
                export::write_shapefile(&path, &stem_copy, &layer_copy, &mut || {
                    Ok(receiver.blocking_recv().unwrap_or_default())
                })
            });
            let mut after = 0;
            loop {
                let page = store.layer_features_after(layer.id, after, PAGE).await?;
                let done = page.is_empty();
                after = page.last().map(|f| f.id).unwrap_or(after);
                written += page.len() as u64;
                if sender.send(page).await.is_err() || done {
                    break;
                }
            }
            writer.await?.map_err(anyhow::Error::msg)?;
            let mut file =
                std::fs::File::create(output).with_context(|| format!("cannot write {}", output.display()))?;
            export::zip_shapefile(dir.path(), &stem, &mut file).map_err(anyhow::Error::msg)?;
        }
        ExportFormat::GeoPackage => {
            // The writer creates the file: an old one is replaced.
            if output.exists() {
                std::fs::remove_file(output).with_context(|| format!("cannot replace {}", output.display()))?;
            }
            let mut writer = export::GeoPackageWriter::create(output, &export::file_stem(&layer), &layer)
                .await
                .map_err(anyhow::Error::msg)?;
            let mut after = 0;
            loop {
                let page = store.layer_features_after(layer.id, after, PAGE).await?;
                let Some(last) = page.last() else { break };
                after = last.id;
                written += page.len() as u64;
                writer.write(&page).await.map_err(anyhow::Error::msg)?;
            }
            writer.finish().await.map_err(anyhow::Error::msg)?;
        }
        _ => {
            let file = std::fs::File::create(output).with_context(|| format!("cannot write {}", output.display()))?;
            let mut out = std::io::BufWriter::new(file);
            let mut text = TextExport::new(format, &layer);
            out.write_all(text.header(&layer).as_bytes())?;
            let mut after = 0;
            loop {
                let page = store.layer_features_after(layer.id, after, PAGE).await?;
                let Some(last) = page.last() else { break };
                after = last.id;
                written += page.len() as u64;
                out.write_all(text.features(&page).as_bytes())?;
            }
            out.write_all(text.footer().as_bytes())?;
            out.flush()?;
        }
    }
    store.close().await?;
    if written != layer.source.feature_count {
        bail!("wrote {written} features where the layer has {}", layer.source.feature_count);
    }
    println!("exported {written} features of layer {} to {}", layer.id, output.display());
    Ok(())
}
