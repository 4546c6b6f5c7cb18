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

/// While a large import writes its features, other writes still go
/// through (each waits for one batch, not for the whole import: SQLite has
/// one writer), and nobody sees the layer until it is complete.
async fn writes_go_through_during_a_large_import_that_stays_invisible(app: &crate::helpers::TestApp) {
    use serde_json::json;
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("nuage.geojson");
    points::write_features(&file, 200_000, points::Shape::NamedPoint);
    let started = crate::layers::upload(
        app,
        Some(&app.admin_token),
        "mutation($file: Upload!, $input: LayerInput!) { importLayer(file: $file, input: $input) { id } }",
        json!({ "input": { "name": "Nuage", "kind": "DEPOSIT" } }),
        "nuage.geojson",
        std::fs::read(&file).unwrap(),
    )
    .await;
    let id = started["data"]["importLayer"]["id"].as_str().unwrap_or_else(|| panic!("{started}")).to_owned();
    let state = "query($id: ID!) { import(id: $id) { status featuresWritten error } }";
    let mut writing = false;
    for _ in 0..1200 {
        let now = app.data(state, json!({ "id": id })).await;
        if now["import"]["featuresWritten"].as_u64().unwrap_or(0) > 0 && now["import"]["status"] == "PROCESSING" {
            writing = true;
            break;
        }
        if now["import"]["status"] != "PROCESSING" && now["import"]["status"] != "PENDING" {
            break;
        }
        tokio::time::sleep(Duration::from_millis(25)).await;
    }
    assert!(writing, "the import was never seen writing");
    let layers = app.data("{ layers { totalCount } }", json!({})).await;
    assert_eq!(layers["layers"]["totalCount"], 0, "an incomplete layer is listed");
    for n in 0..8 {
        let started = std::time::Instant::now();
        let created = app
            .graphql(
                "mutation($i: DepositInput!) { createDeposit(input: $i) { id } }",
                json!({ "i": { "name": format!("Pendant l'import {n}"), "commodityCode": "AU", "status": "EXPLORATION",
                    "geometry": { "type": "Point", "coordinates": [11.0, -1.0] } } }),
            )
            .await;
        assert!(created.get("errors").is_none(), "a write during the import: {created}");
        // A liveness bound (it used to wait for the whole import, and fail past 10 s), not a speed target.
        assert!(started.elapsed() < Duration::from_secs(5), "a write waited {:?}", started.elapsed());
    }
    for _ in 0..2400 {
        let now = app.data(state, json!({ "id": id })).await;
        if now["import"]["status"] == "SUCCEEDED" {
            let layers = app.data("{ layers { totalCount nodes { featureCount } } }", json!({})).await;
            assert_eq!(layers["layers"]["nodes"][0]["featureCount"], 200_000, "{layers}");
            return;
        }
        assert_eq!(now["import"]["status"], "PROCESSING", "{now}");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!("the import did not end");
}

crate::on_both_backends!(writes_go_through_during_a_large_import_that_stays_invisible);
