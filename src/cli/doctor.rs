//! `odg doctor`: one line per check, OK, WARN or FAIL, each failure with its fix.

use crate::config::{Config, MIN_SECRET_BYTES};
use crate::storage::{Backend, Store, redact_url};
use std::path::Path;

/// Free space below which the data directory is a failure, and a warning.
const DISK_FAIL_BYTES: u64 = 200 * 1024 * 1024;
const DISK_WARN_BYTES: u64 = 2 * 1024 * 1024 * 1024;

#[derive(Default)]
struct Report {
    failures: usize,
}

impl Report {
    fn ok(&mut self, check: &str, detail: impl AsRef<str>) {
        println!("OK    {check:<14} {}", detail.as_ref());
    }
    fn warn(&mut self, check: &str, detail: impl AsRef<str>) {
        println!("WARN  {check:<14} {}", detail.as_ref());
    }
    fn fail(&mut self, check: &str, detail: impl AsRef<str>) {
        self.failures += 1;
        println!("FAIL  {check:<14} {}", detail.as_ref());
    }
}

/// Runs every check; `Err` when one failed (so the exit status says so).
pub async fn run(config: &Config) -> anyhow::Result<()> {
    let mut report = Report::default();
    report.ok("configuration", if config.production { "valid (production)" } else { "valid (development)" });
    match &config.jwt_secret {
        None if config.production => {
            report.fail("jwt secret", "missing: set ODG_JWT_SECRET=$(openssl rand -base64 48)")
        }
        None => report.warn("jwt secret", "not set: tokens end when the server stops; set ODG_JWT_SECRET"),
        Some(s) if s.expose().len() < MIN_SECRET_BYTES => {
            report.fail("jwt secret", format!("shorter than {MIN_SECRET_BYTES} bytes: openssl rand -base64 48"))
        }
        Some(_) => report.ok("jwt secret", "set, long enough"),
    }
    let url = config.database_url();
    if config.database_url.is_none() {
        check_disk(&mut report, &config.data_dir);
    }
    match Store::connect(&url, 1).await {
        Err(e) => report.fail("database", format!("{}: {e}", redact_url(&url))),
        Ok(store) => {
            report.ok("database", format!("{} reachable", redact_url(&url)));
            match store.postgis_version().await {
                Ok(Some(v)) => report.ok("postgis", format!("PostGIS {v}")),
                Ok(None) if store.backend() == Backend::Sqlite => report.ok("postgis", "not needed (embedded SQLite)"),
                Ok(None) => report.fail("postgis", "missing: CREATE EXTENSION postgis;"),
                Err(e) => report.fail("postgis", e.to_string()),
            }
            match store.pending_migrations().await {
                Ok(0) => report.ok("migrations", "up to date"),
                Ok(n) => report.fail("migrations", format!("{n} pending: run `odg migrate`")),
                Err(e) => report.fail("migrations", format!("{e}: run `odg migrate`")),
            }
            let _ = store.close().await;
        }
    }
    if report.failures > 0 {
        anyhow::bail!("{} check(s) failed", report.failures);
    }
    Ok(())
}

fn check_disk(report: &mut Report, dir: &Path) {
    let probe = if dir.exists() { dir.to_path_buf() } else { dir.parent().map(Path::to_path_buf).unwrap_or_default() };
    let probe = if probe.as_os_str().is_empty() { Path::new(".").to_path_buf() } else { probe };
    match fs4::available_space(&probe) {
        Ok(free) if free < DISK_FAIL_BYTES => report.fail(
            "disk",
            format!("{} MiB free under {}: free space or move ODG_DATA_DIR", free >> 20, probe.display()),
        ),
        Ok(free) if free < DISK_WARN_BYTES => {
            report.warn("disk", format!("{} MiB free under {}", free >> 20, probe.display()))
        }
        Ok(free) => report.ok("disk", format!("{} GiB free under {}", free >> 30, probe.display())),
        Err(e) => report.fail("disk", format!("cannot read free space of {}: {e}", probe.display())),
    }
}
