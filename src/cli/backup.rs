//! `odg backup` and `odg restore`: consistent, dated, compressed backups with
//! retention. SQLite: an online `VACUUM INTO` copy, gzipped. PostgreSQL:
//! `pg_dump` custom format (compressed), restored with `pg_restore`.

use crate::config::Config;
use crate::storage::{Backend, Store, redact_url};
use anyhow::{Context, bail};
use chrono::{Datelike, NaiveDateTime, Utc};
use std::collections::HashSet;
use std::fs::File;
use std::io::{BufReader, BufWriter};
use std::path::{Path, PathBuf};
use std::process::Command;

const PREFIX: &str = "odg-";
const STAMP: &str = "%Y%m%d-%H%M%S";

/// Writes one backup into `dir`, then prunes old ones (keep the newest of
/// each of the last `daily` days and of the last `weekly` ISO weeks).
pub async fn backup(config: &Config, dir: Option<PathBuf>, daily: usize, weekly: usize) -> anyhow::Result<()> {
    let dir = dir.unwrap_or_else(|| config.backup_dir());
    std::fs::create_dir_all(&dir).with_context(|| format!("cannot create the backup directory {}", dir.display()))?;
    let url = config.database_url();
    let stamp = Utc::now().format(STAMP).to_string();
    let store = Store::connect(&url, 1).await?;
    let written = match store.backend() {
        Backend::Sqlite => {
            let copy = dir.join(format!(".{PREFIX}{stamp}.sqlite.partial"));
            let _ = std::fs::remove_file(&copy);
            store.vacuum_into(&copy).await?;
            let target = dir.join(format!("{PREFIX}{stamp}.sqlite.gz"));
            gzip(&copy, &target)?;
            std::fs::remove_file(&copy)?;
            target
        }
        Backend::Postgis => {
            let libpq = Libpq::of(&url);
            let target = dir.join(format!("{PREFIX}{stamp}.dump"));
            let partial = dir.join(format!(".{PREFIX}{stamp}.dump.partial"));
            let status = Command::new("pg_dump")
                // The public schema only, without PostGIS's own table: the
                // database restored into must already have PostGIS (ODG checks that).
                .args([
                    "--format=custom",
                    "--no-owner",
                    "--schema=public",
                    "--exclude-table=public.spatial_ref_sys",
                    "--file",
                ])
                .arg(&partial)
                .arg(&libpq.url)
                .envs(libpq.password_env())
                .status()
                .context("cannot run pg_dump (Debian: apt-get install postgresql-client-15)")?;
            if !status.success() {
                let _ = std::fs::remove_file(&partial);
                bail!("pg_dump failed for {}", redact_url(&url));
            }
            std::fs::rename(&partial, &target)?;
            target
        }
    };
    store.close().await?;
    let size = std::fs::metadata(&written).map(|m| m.len()).unwrap_or(0);
    println!("backup written: {} ({} KiB)", written.display(), size / 1024);
    for removed in prune(&dir, daily, weekly)? {
        println!("removed old backup {}", removed.display());
    }
    Ok(())
}

/// Restores `file` into the configured database, which must be empty unless `force`.
pub async fn restore(config: &Config, file: &Path, force: bool) -> anyhow::Result<()> {
    if !file.is_file() {
        bail!("no backup file {}", file.display());
    }
    let url = config.database_url();
    let name = file.file_name().and_then(|n| n.to_str()).unwrap_or_default();
    if name.ends_with(".sqlite.gz") {
        let Some(target) = url.strip_prefix("sqlite://").or_else(|| url.strip_prefix("sqlite:")) else {
            bail!("{name} is an SQLite backup, but DATABASE_URL points to PostgreSQL: restore a .dump there");
        };
        let target = PathBuf::from(target.split('?').next().unwrap_or(target));
        if target.exists() && !force {
            let store = Store::connect(&url, 1).await?;
            let (_, has_rows) = store.contents().await?;
            store.close().await?;
            if has_rows {
                bail!(
                    "{} already holds data: restore into an empty database, or add --force to replace it",
                    target.display()
                );
            }
        }
        if let Some(parent) = target.parent() {
            std::fs::create_dir_all(parent)?;
        }
        let partial = target.with_extension("restore-partial");
        gunzip(file, &partial)?;
        for suffix in ["-wal", "-shm"] {
            let _ = std::fs::remove_file(format!("{}{suffix}", target.display()));
        }
        std::fs::rename(&partial, &target)?;
        // Bring an older backup up to this version's schema.
        Store::connect(&url, 1).await?.migrate().await?;
        println!("restored {} into {}", file.display(), target.display());
        return Ok(());
    }
    if name.ends_with(".dump") {
        if url.starts_with("sqlite:") {
            bail!(
                "{name} is a PostgreSQL backup, but the database is SQLite: set DATABASE_URL to an empty PostGIS database"
            );
        }
        let store = Store::connect(&url, 1).await?;
        let (has_tables, has_rows) = store.contents().await?;
        store.close().await?;
        if has_rows && !force {
            bail!(
                "{} already holds data: restore into an empty database, or add --force to replace it",
                redact_url(&url)
            );
        }
        // The dump holds the public schema itself, which every database
        // already has: restore everything but that entry.
        let listing = Command::new("pg_restore")
            .arg("--list")
            .arg(file)
            .output()
            .context("cannot run pg_restore (apt-get install postgresql-client-15)")?;
        if !listing.status.success() {
            bail!("{} is not a pg_dump archive: {}", file.display(), String::from_utf8_lossy(&listing.stderr).trim());
        }
        let entries: String = String::from_utf8_lossy(&listing.stdout)
            .lines()
            .filter(|line| {
                !line.contains(" SCHEMA - public ")
                    && !line.contains(" COMMENT - SCHEMA public ")
                    && !line.contains("spatial_ref_sys")
            })
            .map(|line| format!("{line}\n"))
            .collect();
        let list = tempfile_path(file, "list");
        std::fs::write(&list, entries)?;
        let mut command = Command::new("pg_restore");
        let libpq = Libpq::of(&url);
        command
            .args(["--no-owner", "--exit-on-error", "--use-list"])
            .arg(&list)
            .arg("--dbname")
            .arg(&libpq.url)
            .envs(libpq.password_env());
        // Existing tables (an emptied or migrated database) are replaced.
        if has_tables {
            command.args(["--clean", "--if-exists"]);
        }
        let status = command.arg(file).status().context("cannot run pg_restore (apt-get install postgresql-client-15)");
        let _ = std::fs::remove_file(&list);
        if !status?.success() {
            bail!("pg_restore failed into {}", redact_url(&url));
        }
        Store::connect(&url, 1).await?.migrate().await?;
        println!("restored {} into {}", file.display(), redact_url(&url));
        return Ok(());
    }
    bail!("{name} is not an ODG backup (odg-*.sqlite.gz or odg-*.dump)")
}

/// A scratch file beside `file`.
fn tempfile_path(file: &Path, suffix: &str) -> PathBuf {
    let mut name = file.file_name().unwrap_or_default().to_os_string();
    name.push(format!(".{}.{suffix}", std::process::id()));
    std::env::temp_dir().join(name)
}

fn gzip(from: &Path, to: &Path) -> anyhow::Result<()> {
    let partial = to.with_extension("gz.partial");
    let mut input = BufReader::new(File::open(from)?);
    let mut encoder =
        flate2::write::GzEncoder::new(BufWriter::new(File::create(&partial)?), flate2::Compression::default());
    std::io::copy(&mut input, &mut encoder)?;
    encoder.finish()?.into_inner().map_err(|e| e.into_error())?.sync_all()?;
    std::fs::rename(&partial, to)?;
    Ok(())
}

fn gunzip(from: &Path, to: &Path) -> anyhow::Result<()> {
    let mut decoder = flate2::read::GzDecoder::new(BufReader::new(File::open(from)?));
    let mut output = BufWriter::new(File::create(to)?);
    std::io::copy(&mut decoder, &mut output)
        .with_context(|| format!("{} is not a valid gzip backup", from.display()))?;
    output.into_inner().map_err(|e| e.into_error())?.sync_all()?;
    Ok(())
}

/// The backups of `dir`, newest first, with their time.
fn backups(dir: &Path) -> anyhow::Result<Vec<(NaiveDateTime, PathBuf)>> {
    let mut found = Vec::new();
    for entry in std::fs::read_dir(dir)? {
        let path = entry?.path();
        let Some(name) = path.file_name().and_then(|n| n.to_str()) else { continue };
        let Some(rest) = name.strip_prefix(PREFIX) else { continue };
        let Some(stamp) = rest.get(..15) else { continue };
        if !(name.ends_with(".sqlite.gz") || name.ends_with(".dump")) {
            continue;
        }
        if let Ok(at) = NaiveDateTime::parse_from_str(stamp, STAMP) {
            found.push((at, path));
        }
    }
    found.sort_by_key(|(at, _)| std::cmp::Reverse(*at));
    Ok(found)
}

/// Keeps the newest backup of each of the `daily` most recent days and of
/// the `weekly` most recent ISO weeks; removes the rest. Returns what it removed.
fn prune(dir: &Path, daily: usize, weekly: usize) -> anyhow::Result<Vec<PathBuf>> {
    let all = backups(dir)?;
    let mut keep: HashSet<PathBuf> = HashSet::new();
    let mut days = Vec::new();
    let mut weeks = Vec::new();
    for (at, path) in &all {
        let day = at.date();
        if !days.contains(&day) && days.len() < daily {
            days.push(day);
            keep.insert(path.clone());
        }
        let week = (at.iso_week().year(), at.iso_week().week());
        if !weeks.contains(&week) && weeks.len() < weekly {
            weeks.push(week);
            keep.insert(path.clone());
        }
    }
    let mut removed = Vec::new();
    for (_, path) in all {
        if !keep.contains(&path) {
            std::fs::remove_file(&path)?;
            removed.push(path);
        }
    }
    Ok(removed)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn retention_keeps_the_newest_of_each_day_and_week() {
        let dir = tempfile::tempdir().unwrap();
        let names = [
            "odg-20261126-020000.sqlite.gz",
            "odg-20261126-010000.sqlite.gz", // same day: dropped
            "odg-20261125-020000.sqlite.gz",
            "odg-20261118-020000.sqlite.gz", // an earlier week
            "odg-20261001-020000.sqlite.gz", // beyond both windows
            "unrelated.txt",
        ];
        for n in names {
            std::fs::write(dir.path().join(n), b"x").unwrap();
        }
        let removed = prune(dir.path(), 2, 2).unwrap();
        let mut removed: Vec<String> =
            removed.iter().map(|p| p.file_name().unwrap().to_string_lossy().into_owned()).collect();
        removed.sort();
        assert_eq!(removed, ["odg-20261001-020000.sqlite.gz", "odg-20261126-010000.sqlite.gz"]);
        assert!(dir.path().join("unrelated.txt").exists());
    }
}

/// A database URL for `pg_dump`/`pg_restore` without its password, which
/// goes in `PGPASSWORD` instead: the command line of a process is visible
/// to every local user (`ps`), its environment is not.
struct Libpq {
    url: String,
    password: Option<String>,
}

impl Libpq {
    fn of(url: &str) -> Libpq {
        let Some((scheme, rest)) = url.split_once("://") else {
            return Libpq { url: url.to_owned(), password: None };
        };
        let authority_end = rest.find('/').unwrap_or(rest.len());
        let Some(at) = rest[..authority_end].rfind('@') else {
            return Libpq { url: url.to_owned(), password: None };
        };
        let (userinfo, host_and_path) = (&rest[..at], &rest[at + 1..]);
        match userinfo.split_once(':') {
            Some((user, password)) => {
                Libpq { url: format!("{scheme}://{user}@{host_and_path}"), password: Some(percent_decode(password)) }
            }
            None => Libpq { url: url.to_owned(), password: None },
        }
    }

    fn password_env(&self) -> Vec<(&'static str, String)> {
        self.password.iter().map(|p| ("PGPASSWORD", p.clone())).collect()
    }
}

fn percent_decode(text: &str) -> String {
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%'
            && i + 2 < bytes.len()
            // Bytes, not `str` slices: a multi-byte character after `%` must not split.
            && let Some(b) = std::str::from_utf8(&bytes[i + 1..i + 3]).ok().and_then(|h| u8::from_str_radix(h, 16).ok())
        {
            out.push(b);
            i += 3;
        } else {
            out.push(bytes[i]);
            i += 1;
        }
    }
    String::from_utf8_lossy(&out).into_owned()
}

#[cfg(test)]
mod libpq_tests {
    use super::*;

    #[test]
    fn the_password_leaves_the_url_for_the_environment() {
        let l = Libpq::of("postgres://odg:p%40ss%3Aw0rd@127.0.0.1:5432/odg?sslmode=disable");
        assert_eq!(l.url, "postgres://odg@127.0.0.1:5432/odg?sslmode=disable");
        assert_eq!(l.password.as_deref(), Some("p@ss:w0rd"));
        let none = Libpq::of("postgres://odg@localhost/odg");
        assert_eq!(none.url, "postgres://odg@localhost/odg");
        assert_eq!(none.password, None);
        assert_eq!(Libpq::of("postgres://odg:%é%zz@h/db").password.as_deref(), Some("%é%zz"));
    }
}
