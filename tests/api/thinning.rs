//! Low-zoom thinning of dense layers: a tile over a dense cloud keeps one
//! feature per cell of a 64 × 64 grid, isolated features always show, the
//! whole layer shows from the zoom where tiles fit the budget, both
//! backends serve the same features, and an edit re-thins at once.

use crate::helpers::{Backend, TestApp, spawn_app};
use crate::layers::{import, tile_features};
use serde_json::{Value, json};
use std::collections::BTreeMap;

/// Points in the cloud around Moanda (more than a tile's budget of 4096).
const CLOUD: usize = 12_000;
/// The isolated point, far from the cloud: feature `n = CLOUD`.
const LONELY: (f64, f64) = (9.45, 0.39);
/// The upper bound of a thinned tile: its 64 × 64 cells, those of its 64-unit buffer, and the isolated point.
const THINNED_MAX: usize = 66 * 66 + 1;

fn dense_layer() -> (Vec<u8>, Vec<(f64, f64)>) {
    let mut seed = 0x9e37_79b9_7f4a_7c15u64;
    let mut next = move || {
        seed ^= seed << 13;
        seed ^= seed >> 7;
        seed ^= seed << 17;
        (seed >> 11) as f64 / (1u64 << 53) as f64
    };
    let round = |v: f64| (v * 1e6).round() / 1e6;
    let mut points: Vec<(f64, f64)> =
        (0..CLOUD).map(|_| (round(13.1 + next() * 0.2), round(-1.6 + next() * 0.2))).collect();
    points.push(LONELY);
    let features: Vec<Value> = points
        .iter()
        .enumerate()
        .map(|(n, (lon, lat))| {
            json!({"type": "Feature", "properties": {"n": n},
                   "geometry": {"type": "Point", "coordinates": [lon, lat]}})
        })
        .collect();
    let collection = json!({"type": "FeatureCollection", "features": features});
    (collection.to_string().into_bytes(), points)
}

fn tile_of(lon: f64, lat: f64, z: u8) -> (u8, u32, u32) {
    let n = f64::from(1u32 << z);
    let phi = lat.to_radians();
    let x = (lon + 180.0) / 360.0 * n;
    let y = (1.0 - (phi.tan() + 1.0 / phi.cos()).ln() / std::f64::consts::PI) / 2.0 * n;
    (z, x as u32, y as u32)
}

/// The tile with its 64-unit buffer, (west, south, east, north).
fn buffered_bounds((z, x, y): (u8, u32, u32)) -> (f64, f64, f64, f64) {
    let n = f64::from(1u32 << z);
    let lon = |tx: f64| tx / n * 360.0 - 180.0;
    let lat = |ty: f64| (std::f64::consts::PI * (1.0 - 2.0 * ty / n)).sinh().atan().to_degrees();
    let margin = 64.0 / 4096.0;
    let (x, y) = (f64::from(x), f64::from(y));
    (lon(x - margin), lat(y + 1.0 + margin), lon(x + 1.0 + margin), lat(y - margin))
}

async fn tile(app: &TestApp, source: &str, (z, x, y): (u8, u32, u32)) -> Vec<(u64, BTreeMap<String, String>)> {
    let response = app
        .client
        .get(format!("{}/tiles/{source}/{z}/{x}/{y}.mvt", app.address))
        .bearer_auth(&app.admin_token)
        .send()
        .await
        .unwrap();
    match response.status().as_u16() {
        204 => Vec::new(),
        200 => tile_features(response.bytes().await.unwrap().to_vec()),
        other => panic!("tile {z}/{x}/{y}: HTTP {other}"),
    }
}

/// The feature `n` of the file: its id in the layer.
async fn feature_id(app: &TestApp, layer: &str, n: usize) -> String {
    let found = app
        .data(
            "query($id: ID!, $n: String!) { layer(id: $id) { features(filter: { attributes: [{ name: \"n\", equals: $n }] }) { edges { node { id } } } } }",
            json!({ "id": layer, "n": n.to_string() }),
        )
        .await;
    found["layer"]["features"]["edges"][0]["node"]["id"].as_str().unwrap().to_owned()
}

fn ids(features: &[(u64, BTreeMap<String, String>)]) -> Vec<u64> {
    features.iter().map(|(id, _)| *id).collect()
}

/// Runs SQL on an app's database, behind the server's back.
async fn execute(app: &TestApp, sql: &str) {
    use sea_orm::ConnectionTrait;
    let url = app.database_url().unwrap_or_else(|| format!("sqlite://{}", app.dir.path().join("odg.sqlite").display()));
    let db = sea_orm::Database::connect(&url).await.unwrap();
    db.execute_unprepared(sql).await.unwrap();
    db.close().await.unwrap();
}

/// Both backends when PostgreSQL is configured, else SQLite alone.
async fn apps() -> Vec<TestApp> {
    let mut apps = vec![spawn_app(Backend::Sqlite).await.unwrap()];
    apps.extend(spawn_app(Backend::Postgis).await);
    apps
}

/// The same tile from every app, which must agree.
async fn same_tile(apps: &[TestApp], source: &str, at: (u8, u32, u32)) -> Vec<(u64, BTreeMap<String, String>)> {
    let first = tile(&apps[0], source, at).await;
    for other in &apps[1..] {
        assert_eq!(tile(other, source, at).await, first, "tile {at:?}: the backends differ");
    }
    first
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn dense_layers_are_thinned_at_low_zoom_alike_on_both_backends_and_rethinned_by_edits() {
    let apps = apps().await;
    let (bytes, points) = dense_layer();
    let mut layers = Vec::new();
    for app in &apps {
        let done = import(app, "nuage.geojson", bytes.clone(), None).await;
        assert_eq!(done["status"], "SUCCEEDED", "{done}");
        assert_eq!(done["featuresWritten"], CLOUD + 1, "{done}");
        layers.push(done["layer"]["id"].as_str().unwrap().to_owned());
    }
    assert!(layers.iter().all(|l| *l == layers[0]), "every backend starts from an empty database");
    let layer = &layers[0];
    let source = format!("layer-{layer}");
    let lonely = feature_id(&apps[0], layer, CLOUD).await;

    // Low zooms: at most one small feature per cell, the isolated point always there, the same on both backends.
    for z in [0u8, 4, 8, 10] {
        let at = tile_of(13.2, -1.5, z);
        let a = same_tile(&apps, &source, at).await;
        assert!(!a.is_empty() && a.len() <= THINNED_MAX, "tile {at:?}: {} features", a.len());
        // The cloud is 0.2° wide: about 36 cells of 0.0055° across at zoom 10, one at zoom 0.
        if z == 10 {
            assert!(a.len() > 1000, "tile {at:?}: {} features", a.len());
        }
        if z == 0 {
            assert!(ids(&a).contains(&lonely.parse().unwrap()), "the isolated point shows at zoom 0");
        }
    }
    // From the zoom where tiles fit the budget, every feature of the tile shows.
    let at = tile_of(13.2, -1.5, 13);
    let (west, south, east, north) = buffered_bounds(at);
    let inside = points.iter().filter(|(x, y)| (west..=east).contains(x) && (south..=north).contains(y)).count();
    assert_eq!(same_tile(&apps, &source, at).await.len(), inside, "tile {at:?}");

    // A point the zoom-8 tile leaves out, moved far from everything, shows at zoom 0 at the next request.
    let z8 = tile_of(13.2, -1.5, 8);
    let shown: Vec<u64> = ids(&tile(&apps[0], &source, z8).await);
    let hidden_n = (0..CLOUD).find(|&n| points[n].0 > 13.15 && points[n].0 < 13.25).unwrap();
    let mut hidden = None;
    for n in hidden_n..CLOUD {
        let id = feature_id(&apps[0], layer, n).await;
        if !shown.contains(&id.parse().unwrap()) {
            hidden = Some(id);
            break;
        }
    }
    let hidden = hidden.expect("the zoom-8 tile leaves features out");
    for app in &apps {
        let before = ids(&tile(app, &source, (0, 0, 0)).await);
        assert!(!before.contains(&hidden.parse().unwrap()));
        let moved = app
            .graphql(
                "mutation($id: ID!) { updateLayerFeature(id: $id, input: { geometry: { type: \"Point\", coordinates: [10.5, -2.9] } }) { id } }",
                json!({ "id": hidden }),
            )
            .await;
        assert_eq!(moved["data"]["updateLayerFeature"]["id"], hidden.as_str(), "{moved}");
        let after = ids(&tile(app, &source, (0, 0, 0)).await);
        assert!(after.contains(&hidden.parse().unwrap()), "the moved point shows at zoom 0");
        // Deleting the isolated point takes it out of every zoom.
        let deleted = app.graphql("mutation($id: ID!) { deleteLayerFeature(id: $id) }", json!({ "id": lonely })).await;
        assert_eq!(deleted["data"]["deleteLayerFeature"], lonely.as_str(), "{deleted}");
        assert!(!ids(&tile(app, &source, (0, 0, 0)).await).contains(&lonely.parse().unwrap()));
    }
    for z in [0u8, 6, 9] {
        same_tile(&apps, &source, tile_of(13.2, -1.5, z)).await;
    }

    // Down to 3 000 features, the layer needs no thinning any more: re-planned, every feature shows at zoom 4.
    for app in &apps {
        let first: i64 = feature_id(app, layer, 0).await.parse().unwrap();
        execute(app, &format!("DELETE FROM layer_feature WHERE layer_id = {layer} AND id >= {}", first + 3000)).await;
        app.catalog.rethin_layer(layer.parse().unwrap()).await.map_err(|e| e.into_anyhow()).unwrap();
        let remaining = app
            .data("query($id: ID!) { layer(id: $id) { features(first: 1) { totalCount } } }", json!({ "id": layer }))
            .await["layer"]["features"]["totalCount"]
            .as_u64()
            .unwrap();
        assert_eq!(remaining, 3000);
        // The cache still holds the thinned tile: a direct re-plan notifies like an edit does.
        assert_eq!(tile(app, &source, tile_of(13.2, -1.5, 4)).await.len(), 3000, "every feature at zoom 4");
    }
}
