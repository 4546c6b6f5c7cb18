//! Vector tile throughput on PostGIS: loads 1 000 000 points and 50 000
//! polygons over Gabon as two layers (`odg import`, release build), starts
//! `odg serve` on that database, then requests a fixed list of tiles at
//! zooms 4 to 14 twice — cold (cache empty) and cached — and prints tiles
//! per second and p50/p99 latency for each pass.
//!
//! `ODG_BENCH_POSTGRES_URL=postgres://…/empty_db_with_postgis cargo bench --bench tiles`
//! (`ODG_BENCH_POINTS`, `ODG_BENCH_POLYGONS` change the sizes). It prints
//! figures and asserts nothing; without the URL it says so and stops.

use std::time::{Duration, Instant};

#[path = "support/points.rs"]
mod points;

fn main() {
    let Ok(url) = std::env::var("ODG_BENCH_POSTGRES_URL") else {
        println!("set ODG_BENCH_POSTGRES_URL to an empty database with PostGIS to run the tile benchmark");
        return;
    };
    let points: u64 = std::env::var("ODG_BENCH_POINTS").ok().and_then(|v| v.parse().ok()).unwrap_or(1_000_000);
    let polygons: u64 = std::env::var("ODG_BENCH_POLYGONS").ok().and_then(|v| v.parse().ok()).unwrap_or(50_000);
    let dir = tempfile::tempdir().expect("temp dir");
    let odg = env!("CARGO_BIN_EXE_odg");
    let run = |args: &[&str]| {
        let out = std::process::Command::new(odg)
            .args(args)
            .env("DATABASE_URL", &url)
            .env("ODG_DATA_DIR", dir.path())
            .env("RUST_LOG", "warn")
            .output()
            .expect("odg runs");
        assert!(out.status.success(), "odg {args:?}: {}", String::from_utf8_lossy(&out.stderr));
        String::from_utf8_lossy(&out.stdout).trim().to_owned()
    };
    let points_file = dir.path().join("points.geojson");
    let polygons_file = dir.path().join("polygons.geojson");
    points::write_features(&points_file, points, points::Shape::Point);
    points::write_features(&polygons_file, polygons, points::Shape::Square);
    let started = Instant::now();
    // Public layers: the benchmark reads them without a token (ODG_PUBLIC_READ below).
    println!("{}", run(&["import", points_file.to_str().unwrap(), "--name", "bench points", "--public"]));
    println!("{}", run(&["import", polygons_file.to_str().unwrap(), "--name", "bench polygons", "--public"]));
    println!("loaded in {:.0} s", started.elapsed().as_secs_f64());

    let port = free_port();
    let mut server = std::process::Command::new(odg)
        .arg("serve")
        .env("DATABASE_URL", &url)
        .env("ODG_DATA_DIR", dir.path())
        .env("ODG_BIND", format!("127.0.0.1:{port}"))
        .env("ODG_PUBLIC_READ", "true")
        .env("ODG_TILE_CACHE_MB", "512")
        .env("RUST_LOG", "warn")
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .expect("odg serve starts");
    let runtime = tokio::runtime::Builder::new_multi_thread().enable_all().build().expect("runtime");
    runtime.block_on(async {
        let client = reqwest::Client::new();
        let base = format!("http://127.0.0.1:{port}");
        for _ in 0..100 {
            if client.get(format!("{base}/healthz")).send().await.is_ok() {
                break;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        let list = tiles();
        for pass in ["cold", "cached"] {
            let mut latencies = Vec::with_capacity(list.len() * 2);
            let (mut bytes, mut empty) = (0usize, 0usize);
            let started = Instant::now();
            for source in ["layer-1", "layer-2"] {
                for (z, x, y) in &list {
                    let t = Instant::now();
                    let response = client
                        .get(format!("{base}/tiles/{source}/{z}/{x}/{y}.mvt"))
                        .send()
                        .await
                        .expect("a tile");
                    let status = response.status();
                    let body = response.bytes().await.expect("a body");
                    latencies.push(t.elapsed());
                    if status == 204 {
                        empty += 1;
                    } else if status != 200 {
                        println!("{source} {z}/{x}/{y}: {status}");
                    }
                    bytes += body.len();
                }
            }
            let total = started.elapsed().as_secs_f64();
            latencies.sort();
            let pct = |p: f64| latencies[((latencies.len() as f64 - 1.0) * p).round() as usize];
            println!(
                "{pass:6}: {} tiles ({empty} empty, {:.1} MB) in {total:.1} s = {:.0} tiles/s; p50 {:.1} ms, p99 {:.1} ms, max {:.1} ms",
                latencies.len(),
                bytes as f64 / 1e6,
                latencies.len() as f64 / total,
                pct(0.5).as_secs_f64() * 1e3,
                pct(0.99).as_secs_f64() * 1e3,
                latencies.last().unwrap().as_secs_f64() * 1e3,
            );
        }
    });
    let _ = server.kill();
    let _ = server.wait();
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0").expect("a port").local_addr().expect("an address").port()
}

/// A fixed list of tiles over Gabon, zooms 4 to 14: at each zoom the tile
/// over Moanda and its eight neighbours.
fn tiles() -> Vec<(u8, u32, u32)> {
    let (lon, lat) = (13.2f64, -1.56f64);
    let mut out = Vec::new();
    for z in 4u8..=14 {
        let n = f64::from(1u32 << z);
        let x = ((lon + 180.0) / 360.0 * n).floor() as i64;
        let lat_r = lat.to_radians();
        let y = ((1.0 - (lat_r.tan() + 1.0 / lat_r.cos()).ln() / std::f64::consts::PI) / 2.0 * n).floor() as i64;
        for dx in -1..=1 {
            for dy in -1..=1 {
                out.push((z, (x + dx) as u32, (y + dy) as u32));
            }
        }
    }
    out
}
