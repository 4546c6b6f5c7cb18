//! A generated 1 000 000-point GeoJSON is imported by `odg import` in
//! bounded memory, on both backends: the file is larger than the limit the
//! process's peak resident memory must stay under.

use crate::helpers::ThrowawayDatabase;
use std::io::Write;
use std::time::Duration;

const POINTS: u64 = 1_000_000;
/// Far below the file (about 150 MB) and what holding it would cost.
const PEAK_LIMIT_KB: u64 = 150 * 1024;

fn write_points(path: &std::path::Path) -> u64 {
    let mut out = std::io::BufWriter::new(std::fs::File::create(path).unwrap());
    out.write_all(b"{\"type\":\"FeatureCollection\",\"features\":[\n").unwrap();
    // A deterministic spread over Gabon, without a random-number crate.
    let mut seed = 0x2545_f491_4f6c_dd1du64;
    let mut next = || {
        seed ^= seed << 13;
        seed ^= seed >> 7;
        seed ^= seed << 17;
        (seed >> 11) as f64 / (1u64 << 53) as f64
    };
    for i in 0..POINTS {
        if i > 0 {
            out.write_all(b",\n").unwrap();
        }
        let (lon, lat, grade) = (8.7 + next() * 5.6, -3.9 + next() * 6.2, next() * 60.0);
        write!(
            out,
            "{{\"type\":\"Feature\",\"id\":{i},\"properties\":{{\"n\":{i},\"teneur\":{grade:.2},\"nom\":\"pt-{i}\"}},\
             \"geometry\":{{\"type\":\"Point\",\"coordinates\":[{lon:.6},{lat:.6}]}}}}"
        )
        .unwrap();
    }
    out.write_all(b"\n]}\n").unwrap();
    out.flush().unwrap();
    std::fs::metadata(path).unwrap().len()
}

/// Peak resident memory of a process, in kB (`VmHWM`), while it runs.
fn peak_kb(pid: u32) -> Option<u64> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    let line = status.lines().find(|l| l.starts_with("VmHWM:"))?;
    line.split_whitespace().nth(1)?.parse().ok()
}

async fn import_a_million_points(database: Option<&ThrowawayDatabase>) {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("million.geojson");
    let size = write_points(&file);
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
        peak = peak.max(peak_kb(pid).unwrap_or(0));
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
