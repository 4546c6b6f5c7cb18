//! Import throughput and memory: generates a GeoJSON of N points over Gabon
//! (`ODG_BENCH_POINTS`, default 1 000 000), imports it with the `odg import`
//! command built in the bench profile (release), and prints features per
//! second and the process's peak resident memory. Set
//! `ODG_BENCH_POSTGRES_URL=postgres://…/empty_db_with_postgis` to run it on
//! PostGIS too (the database gets the layer; use a throwaway one).
//!
//! `cargo bench --bench import`. It prints figures and asserts nothing.

use std::io::Write;
use std::time::{Duration, Instant};

fn main() {
    let points: u64 = std::env::var("ODG_BENCH_POINTS").ok().and_then(|v| v.parse().ok()).unwrap_or(1_000_000);
    let dir = tempfile::tempdir().expect("temp dir");
    let file = dir.path().join("points.geojson");
    let size = write_points(&file, points);
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
        peak_kb = peak_kb.max(vm_hwm(child.id()).unwrap_or(0));
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

fn vm_hwm(pid: u32) -> Option<u64> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    status.lines().find(|l| l.starts_with("VmHWM:"))?.split_whitespace().nth(1)?.parse().ok()
}

fn write_points(path: &std::path::Path, points: u64) -> u64 {
    let mut out = std::io::BufWriter::new(std::fs::File::create(path).expect("create"));
    out.write_all(b"{\"type\":\"FeatureCollection\",\"features\":[\n").expect("write");
    let mut seed = 0x2545_f491_4f6c_dd1du64;
    let mut next = || {
        seed ^= seed << 13;
        seed ^= seed >> 7;
        seed ^= seed << 17;
        (seed >> 11) as f64 / (1u64 << 53) as f64
    };
    for i in 0..points {
        if i > 0 {
            out.write_all(b",\n").expect("write");
        }
        let (lon, lat, grade) = (8.7 + next() * 5.6, -3.9 + next() * 6.2, next() * 60.0);
        write!(
            out,
            "{{\"type\":\"Feature\",\"id\":{i},\"properties\":{{\"n\":{i},\"teneur\":{grade:.2},\"nom\":\"pt-{i}\"}},\
             \"geometry\":{{\"type\":\"Point\",\"coordinates\":[{lon:.6},{lat:.6}]}}}}"
        )
        .expect("write");
    }
    out.write_all(b"\n]}\n").expect("write");
    out.flush().expect("flush");
    std::fs::metadata(path).expect("metadata").len()
}
