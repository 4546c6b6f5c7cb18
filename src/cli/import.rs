//! `odg import FILE`: the same import as the `importLayer` mutation, run as
//! the system, with a progress line on the terminal.

use crate::app;
use crate::config::Config;
use crate::domain::{Actor, Catalog, ImportStatus, LayerDraft, LayerKind, LayerStatus, Upload};
use anyhow::{Context, bail};
use std::path::Path;
use std::time::Duration;

pub fn draft(
    name: String,
    kind: Option<String>,
    status: Option<String>,
    description: Option<String>,
    public: bool,
) -> anyhow::Result<LayerDraft> {
    let kind = match kind {
        None => None,
        Some(k) => Some(
            LayerKind::parse(&k.to_ascii_uppercase())
                .with_context(|| format!("--kind {k}: expected one of DEPOSIT, INFRASTRUCTURE, ZONE, CUSTOM"))?,
        ),
    };
    let status = match status {
        None => None,
        Some(s) => Some(
            LayerStatus::parse(&s.to_ascii_uppercase())
                .with_context(|| format!("--status {s}: expected one of ACTIVE, DEVELOPMENT, EXPLORATION, CLOSED"))?,
        ),
    };
    Ok(LayerDraft { name, description, kind, status, visible: Some(true), public: Some(public), style: None })
}

pub async fn run(config: &Config, file: &Path, draft: LayerDraft, crs: Option<String>) -> anyhow::Result<()> {
    let upload = Upload::local(file).with_context(|| format!("cannot read {}", file.display()))?;
    let store = app::open_store(config).await?;
    let catalog = Catalog::new(store.clone());
    let record = catalog
        .start_import(&Actor::System, upload, draft, crs.as_deref(), &config.import_limits)
        .await
        .map_err(|e| e.into_anyhow())?;
    let bar = indicatif::ProgressBar::new_spinner();
    bar.set_style(
        indicatif::ProgressStyle::with_template("{spinner} {msg} [{elapsed_precise}]").expect("a valid template"),
    );
    bar.enable_steady_tick(Duration::from_millis(120));
    // No channel means the import has ended already.
    if let Some(mut progress) = catalog.import_hub().watch(record.id) {
        loop {
            let current = progress.borrow_and_update().clone();
            bar.set_message(format!("{}: {} features written", current.status.as_str(), current.features_written));
            if current.status.is_final() || progress.changed().await.is_err() {
                break;
            }
        }
    }
    bar.finish_and_clear();
    let done = store.import_record(record.id).await?.context("the import record vanished")?;
    store.close().await?;
    match done.status {
        ImportStatus::Succeeded => {
            println!(
                "imported {} features of {} as layer {} in {} ms ({} skipped with a warning)",
                done.features_written,
                done.file_name,
                done.layer_id.unwrap_or_default(),
                done.duration_ms.unwrap_or_default(),
                done.warnings.len()
            );
            for w in done.warnings.iter().take(20) {
                println!("  skipped feature {} ({}): {}", w.index, w.location, w.reason);
            }
            Ok(())
        }
        _ => bail!("{}", done.error.unwrap_or_else(|| "the import failed".into())),
    }
}
