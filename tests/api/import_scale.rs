//! A generated 1 000 000-point GeoJSON is imported by `odg import` in
//! bounded memory, on both backends: the file is larger than the limit the
//! process's peak resident memory must stay under.

use crate::helpers::ThrowawayDatabase;

#[path = "../../benches/support/points.rs"]
mod points;
use std::time::Duration;

const POINTS: u64 = 1_000_000;
/// Far below the file (about 150 MB) and what holding it would cost.
const PEAK_LIMIT_KB: u64 = 150 * 1024;

async fn import_a_million_points(database: Option<&ThrowawayDatabase>) {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("million.geojson");
    let size = points::write_features(&file, POINTS, points::Shape::NamedPoint);
    let mut command = std::process::Command::new(env!("CARGO_BIN_EXE_odg"));
    command
        .args(["import", file.to_str().unwrap(), "--name", "Un million de points"])
        .env_clear()
        .env("PATH", std::env::var("PATH").unwrap_or_default())
        .env("ODG_DATA_DIR", dir.path())
        .env("RUST_LOG", "warn")
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped());
    if let Some(db) = database {
        command.env("DATABASE_URL", &db.url);
    }
    let mut child = command.spawn().unwrap();
    let pid = child.id();
    let mut peak = 0;
    while child.try_wait().unwrap().is_none() {
        peak = peak.max(points::vm_hwm(pid).unwrap_or(0));
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let output = child.wait_with_output().unwrap();
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(output.status.success(), "{stdout}{}", String::from_utf8_lossy(&output.stderr));
    assert!(stdout.contains(&format!("imported {POINTS} features")), "{stdout}");
    assert!(
        peak > 0 && peak < PEAK_LIMIT_KB,
        "peak resident memory {peak} kB for a {size}-byte file (limit {PEAK_LIMIT_KB} kB)"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_million_points_import_in_bounded_memory_on_sqlite() {
    import_a_million_points(None).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_million_points_import_in_bounded_memory_on_postgis() {
    let Some(database) = ThrowawayDatabase::create(true).await else { return };
    import_a_million_points(Some(&database)).await;
}
