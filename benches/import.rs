//! Import throughput and memory: generates a GeoJSON of N points over Gabon
//! (`ODG_BENCH_POINTS`, default 1 000 000), imports it with the `odg import`
//! command built in the bench profile (release), and prints features per
//! second and the process's peak resident memory. Set
//! `ODG_BENCH_POSTGRES_URL=postgres://…/empty_db_with_postgis` to run it on
//! PostGIS too (the database gets the layer; use a throwaway one).
//!
//! `cargo bench --bench import`. It prints figures and asserts nothing.

use std::time::{Duration, Instant};

#[path = "support/points.rs"]
mod points;

fn main() {
    let points: u64 = std::env::var("ODG_BENCH_POINTS").ok().and_then(|v| v.parse().ok()).unwrap_or(1_000_000);
    let dir = tempfile::tempdir().expect("temp dir");
    let file = dir.path().join("points.geojson");
    let size = points::write_features(&file, points, points::Shape::NamedPoint);
    println!("{points} points, {:.1} MB of GeoJSON", size as f64 / 1e6);
    run("SQLite", &file, None, points);
    if let Ok(url) = std::env::var("ODG_BENCH_POSTGRES_URL") {
        run("PostGIS", &file, Some(&url), points);
    }
}

fn run(backend: &str, file: &std::path::Path, database_url: Option<&str>, points: u64) {
    let data = tempfile::tempdir().expect("temp dir");
    let mut command = std::process::Command::new(env!("CARGO_BIN_EXE_odg"));
    command
        .args(["import", file.to_str().expect("UTF-8 path"), "--name", "bench"])
        .env("ODG_DATA_DIR", data.path())
        .env("RUST_LOG", "warn")
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped());
    match database_url {
        Some(url) => command.env("DATABASE_URL", url),
        None => command.env_remove("DATABASE_URL"),
    };
    let started = Instant::now();
    let mut child = command.spawn().expect("odg import starts");
    let mut peak_kb = 0;
    while child.try_wait().expect("wait").is_none() {
        peak_kb = peak_kb.max(points::vm_hwm(child.id()).unwrap_or(0));
        std::thread::sleep(Duration::from_millis(10));
    }
    let elapsed = started.elapsed().as_secs_f64();
    let output = child.wait_with_output().expect("output");
    if !output.status.success() {
        println!("{backend}: import failed: {}", String::from_utf8_lossy(&output.stderr));
        return;
    }
    println!(
        "{backend:8} {points} features in {elapsed:.1} s: {:.0} features/s, peak resident memory {:.0} MB",
        points as f64 / elapsed,
        peak_kb as f64 / 1024.0
    );
}
