//! Vector tiles: decoded with an independent decoder (`mvt-reader`) and
//! GDAL's MVT driver; both backends give the same features.

use crate::helpers::{Backend, TestApp, spawn_app, spawn_empty};
use serde_json::json;
use std::collections::BTreeMap;

/// Moanda at zoom 8 and 12.
const MOANDA_Z8: (u8, u32, u32) = (8, 137, 129);
const MOANDA_Z12: (u8, u32, u32) = (12, 2198, 2065);

/// Layer → sorted (id, properties) of a tile, and every coordinate seen.
type Decoded = BTreeMap<String, Vec<(u64, String)>>;

fn decode(bytes: Vec<u8>) -> (Decoded, Vec<(f32, f32)>) {
    use geo::CoordsIter;
    let reader = mvt_reader::Reader::new(bytes).expect("a valid MVT");
    let mut out = Decoded::new();
    let mut coords = Vec::new();
    for (i, name) in reader.get_layer_names().unwrap().into_iter().enumerate() {
        let mut features: Vec<(u64, String)> = reader
            .get_features(i)
            .unwrap()
            .into_iter()
            .map(|f| {
                coords.extend(f.geometry.coords_iter().map(|c| (c.x, c.y)));
                let props: BTreeMap<String, String> =
                    f.properties.unwrap_or_default().into_iter().map(|(k, v)| (k, format!("{v:?}"))).collect();
                (f.id.expect("every feature has an id"), format!("{props:?}"))
            })
            .collect();
        features.sort();
        out.insert(name, features);
    }
    (out, coords)
}

/// Deposit 1 goes from Moanda to Libreville (tile 8/134/127).
async fn move_deposit_1_to_libreville(app: &TestApp) {
    let moved = app
        .graphql(
            "mutation { updateDeposit(id: \"1\", input: {geometry: {type: \"Point\", coordinates: [9.45, 0.39]}}) { id } }",
            json!({}),
        )
        .await;
    assert!(moved.get("errors").is_none(), "{moved}");
}

async fn fetch(app: &TestApp, source: &str, (z, x, y): (u8, u32, u32)) -> reqwest::Response {
    app.get(&format!("/tiles/{source}/{z}/{x}/{y}.mvt")).await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn tiles_decode_to_the_same_features_on_both_backends() {
    let Some(postgis) = spawn_app(Backend::Postgis).await else { return };
    let sqlite = spawn_app(Backend::Sqlite).await.unwrap();
    // From zoom 5 every demo polygon spans several tile units. Below, the two
    // encoders may disagree on sub-unit polygons (docs/tiles.md).
    for tile in [MOANDA_Z8, MOANDA_Z12, (5, 17, 16), (6, 34, 32)] {
        let a = fetch(&sqlite, "domain", tile).await.bytes().await.unwrap().to_vec();
        let b = fetch(&postgis, "domain", tile).await.bytes().await.unwrap().to_vec();
        let (features_a, coords) = decode(a);
        let (features_b, _) = decode(b);
        assert_eq!(features_a, features_b, "tile {tile:?}");
        assert!(!features_a.is_empty(), "tile {tile:?} is empty");
        // Clipped to the tile and its 64-unit buffer.
        assert!(coords.iter().all(|(x, y)| (-65.0..=4161.0).contains(x) && (-65.0..=4161.0).contains(y)), "{tile:?}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_tile_holds_the_records_of_its_area_with_their_attributes() {
    let app = spawn_app(Backend::Sqlite).await.unwrap();
    let response = fetch(&app, "deposits", MOANDA_Z8).await;
    assert_eq!(response.status(), 200);
    assert_eq!(response.headers()["content-type"], "application/vnd.mapbox-vector-tile");
    let etag = response.headers()["etag"].to_str().unwrap().to_string();
    let (features, _) = decode(response.bytes().await.unwrap().to_vec());
    let deposits = &features["deposits"];
    let near = app
        .data(
            "{ deposits(first: 100, filter: {bbox: {west: 12.6, south: -2.5, east: 14.2, north: -0.7}}) { totalCount } }",
            json!({}),
        )
        .await;
    assert!(deposits.len() as u64 >= near["deposits"]["totalCount"].as_u64().unwrap().min(1));
    assert!(deposits.iter().any(|(_, p)| p.contains("Bangomb") && p.contains("commodityCode") && p.contains("MN")));
    // Revalidation: same ETag, 304.
    let again = app
        .client
        .get(format!("{}/tiles/deposits/8/137/129.mvt", app.address))
        .header("If-None-Match", &etag)
        .send()
        .await
        .unwrap();
    assert_eq!(again.status(), 304);
    // gzip when the client accepts it.
    let gz = app
        .client
        .get(format!("{}/tiles/deposits/8/137/129.mvt", app.address))
        .header("Accept-Encoding", "gzip")
        .send()
        .await
        .unwrap();
    assert_eq!(gz.headers().get("content-encoding").map(|v| v.to_str().unwrap()), Some("gzip"));
    // Empty and impossible tiles.
    assert_eq!(fetch(&app, "deposits", (8, 0, 0)).await.status(), 204);
    assert_eq!(fetch(&app, "deposits", (8, 999, 0)).await.status(), 400);
    assert_eq!(fetch(&app, "nowhere", MOANDA_Z8).await.status(), 404);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn moving_a_deposit_moves_it_between_tiles() {
    let app = spawn_app(Backend::Sqlite).await.unwrap();
    let before = fetch(&app, "deposits", MOANDA_Z8).await;
    let etag_before = before.headers()["etag"].clone();
    let (features, _) = decode(before.bytes().await.unwrap().to_vec());
    assert!(features["deposits"].iter().any(|(id, _)| *id == 1));
    // Deposit 1 goes to Libreville (tile 8/134/127).
    move_deposit_1_to_libreville(&app).await;
    let after = fetch(&app, "deposits", MOANDA_Z8).await;
    assert_ne!(after.headers()["etag"], etag_before);
    let (features, _) = decode(after.bytes().await.unwrap().to_vec());
    assert!(!features["deposits"].iter().any(|(id, _)| *id == 1));
    let (features, _) = decode(fetch(&app, "deposits", (8, 134, 127)).await.bytes().await.unwrap().to_vec());
    assert!(features["deposits"].iter().any(|(id, _)| *id == 1));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn tilejson_describes_the_source_and_tiles_follow_permissions() {
    let app = spawn_empty(Backend::Sqlite).await.unwrap();
    assert_eq!(app.get("/tiles/deposits.json").await.status(), 401);
    let denied = fetch(&app, "deposits", MOANDA_Z8).await;
    assert_eq!(denied.status(), 401);
    let body: serde_json::Value = denied.json().await.unwrap();
    assert_eq!(body["code"], "UNAUTHENTICATED", "{body}");
    let tilejson: serde_json::Value =
        app.get(&format!("/tiles/domain.json?access_token={}", app.admin_token)).await.json().await.unwrap();
    assert_eq!(tilejson["tilejson"], "3.0.0");
    let ids: Vec<&str> =
        tilejson["vector_layers"].as_array().unwrap().iter().map(|l| l["id"].as_str().unwrap()).collect();
    assert_eq!(ids, ["exploitation-areas", "infrastructure", "deposits"]);
    // The tile URL carries the token, for map clients that cannot set headers.
    let template = tilejson["tiles"][0].as_str().unwrap();
    assert!(template.contains("{z}/{x}/{y}.mvt?access_token="), "{template}");
}

/// GDAL's MVT driver reads our tiles.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn gdal_reads_a_tile() {
    if std::process::Command::new("ogrinfo").arg("--version").output().is_err() {
        assert!(std::env::var("CI").is_err(), "CI must have gdal-bin");
        eprintln!("skipped: ogrinfo is not installed (./scripts/test.sh installs gdal-bin)");
        return;
    }
    let app = spawn_app(Backend::Sqlite).await.unwrap();
    let bytes = fetch(&app, "domain", MOANDA_Z8).await.bytes().await.unwrap();
    let (z, x, y) = MOANDA_Z8;
    let dir = app.dir.path().join(format!("{z}/{x}"));
    std::fs::create_dir_all(&dir).unwrap();
    let file = dir.join(format!("{y}.pbf"));
    std::fs::write(&file, &bytes).unwrap();
    let out = std::process::Command::new("ogrinfo").args(["-ro", "-al", "-so"]).arg(&file).output().unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success() && text.contains("Layer name: deposits") && text.contains("Feature Count"), "{text}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_edit_evicts_exactly_the_cached_tiles_it_touches() {
    let app = spawn_app(Backend::Sqlite).await.unwrap();
    let old_place = ("deposits", MOANDA_Z8);
    let new_place = ("deposits", (8, 134, 127)); // Libreville
    let elsewhere = ("deposits", (8, 137, 127)); // Ogooué-Ivindo
    let other_source = ("infrastructure", MOANDA_Z8);
    let cache_state = |r: &reqwest::Response| r.headers()["x-cache"].to_str().unwrap().to_string();
    for (source, tile) in [old_place, new_place, elsewhere, other_source] {
        assert_eq!(cache_state(&fetch(&app, source, tile).await), "MISS");
        assert_eq!(cache_state(&fetch(&app, source, tile).await), "HIT");
    }
    move_deposit_1_to_libreville(&app).await;
    for ((source, tile), expected) in
        [(old_place, "MISS"), (new_place, "MISS"), (elsewhere, "HIT"), (other_source, "HIT")]
    {
        assert_eq!(cache_state(&fetch(&app, source, tile).await), expected, "{source} {tile:?}");
    }
    let (features, _) = decode(fetch(&app, "deposits", (8, 134, 127)).await.bytes().await.unwrap().to_vec());
    assert!(features["deposits"].iter().any(|(id, _)| *id == 1));
    // Renaming an operator changes the attributes of every deposit tile.
    app.graphql("mutation { updateOperator(id: \"1\", input: {name: \"COMILOG SA\"}) { id } }", json!({})).await;
    assert_eq!(cache_state(&fetch(&app, "deposits", (8, 137, 127)).await), "MISS");
    assert_eq!(cache_state(&fetch(&app, "infrastructure", MOANDA_Z8).await), "HIT");
}

/// Two instances on one PostgreSQL database (a load balancer in front): an
/// edit made through one evicts, on the other, exactly the cached tiles it touches.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_edit_on_one_instance_evicts_the_tiles_another_instance_cached() {
    let Some(first) = spawn_app(Backend::Postgis).await else { return };
    // Public read, as the demo server has: tiles without a token.
    let second = crate::helpers::spawn_beside(&first, &[("ODG_PUBLIC_READ", "true")]).await;
    let cache_state = |r: &reqwest::Response| r.headers()["x-cache"].to_str().unwrap().to_string();
    let (old_place, new_place, elsewhere) = (MOANDA_Z8, (8, 134, 127), (8, 137, 127));
    for tile in [old_place, new_place, elsewhere] {
        assert_eq!(cache_state(&fetch(&second, "deposits", tile).await), "MISS");
        assert_eq!(cache_state(&fetch(&second, "deposits", tile).await), "HIT");
    }
    move_deposit_1_to_libreville(&first).await;
    // The notification crosses the database in milliseconds; allow a few seconds on a busy machine.
    let mut evicted = false;
    for _ in 0..100 {
        if cache_state(&fetch(&second, "deposits", old_place).await) == "MISS" {
            evicted = true;
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    assert!(evicted, "the old place's tile is evicted on the second instance");
    let (features, _) = decode(fetch(&second, "deposits", new_place).await.bytes().await.unwrap().to_vec());
    assert!(features["deposits"].iter().any(|(id, _)| *id == 1), "the second instance shows the deposit where it went");
    assert_eq!(cache_state(&fetch(&second, "deposits", elsewhere).await), "HIT", "untouched tiles stay cached");
    second.stop().await;
}

/// Several sources in one tile: the MVT layers of each, in the order named,
/// the same features as their own tiles, one TileJSON for all; each source
/// is read with the caller's rights and named once.
async fn a_composite_tile_holds_the_layers_of_each_source(app: &TestApp) {
    let geojson = json!({"type": "FeatureCollection", "features": [
        {"type": "Feature", "properties": {"nom": "Puits Moanda"}, "geometry": {"type": "Point", "coordinates": [13.2, -1.56]}}
    ]});
    let done = crate::layers::import(app, "puits.geojson", geojson.to_string().into_bytes(), None).await;
    let layer = format!("layer-{}", done["layer"]["id"].as_str().unwrap());
    let composite = format!("deposits,{layer}");
    let get = |path: String| {
        let request = app.client.get(format!("{}{path}", app.address)).bearer_auth(&app.admin_token);
        async move { request.send().await.unwrap() }
    };
    let (z, x, y) = MOANDA_Z8;
    let tile_of = |source: &str| format!("/tiles/{source}/{z}/{x}/{y}.mvt");
    let whole = get(tile_of(&composite)).await;
    assert_eq!(whole.status(), 200);
    let bytes = whole.bytes().await.unwrap().to_vec();
    let names = mvt_reader::Reader::new(bytes.clone()).unwrap().get_layer_names().unwrap();
    assert_eq!(names, vec!["deposits".to_owned(), layer.clone()]);
    let (features, _) = decode(bytes);
    let (deposits, _) = decode(get(tile_of("deposits")).await.bytes().await.unwrap().to_vec());
    let (own, _) = decode(get(tile_of(&layer)).await.bytes().await.unwrap().to_vec());
    assert_eq!(features["deposits"], deposits["deposits"]);
    assert_eq!(features[&layer], own[&layer]);
    // Built from the sources' cached tiles: a second request is a hit, an edit of a deposit a miss.
    assert_eq!(get(tile_of(&composite)).await.headers()["x-cache"], "HIT");
    move_deposit_1_to_libreville(app).await;
    assert_eq!(get(tile_of(&composite)).await.headers()["x-cache"], "MISS");

    let tilejson: serde_json::Value = get(format!("/tiles/{composite}.json")).await.json().await.unwrap();
    let ids: Vec<&str> =
        tilejson["vector_layers"].as_array().unwrap().iter().map(|l| l["id"].as_str().unwrap()).collect();
    assert_eq!(ids, ["deposits", layer.as_str()]);
    assert!(tilejson["tiles"][0].as_str().unwrap().contains(&format!("/tiles/{composite}/{{z}}")), "{tilejson}");

    // Naming a layer twice (`domain` holds `deposits`), an empty part, or a source the caller cannot read.
    assert_eq!(get(tile_of("domain,deposits")).await.status(), 400);
    assert_eq!(get(tile_of("deposits,")).await.status(), 400);
    assert_eq!(get(tile_of("deposits,layer-999999")).await.status(), 404);
    let anonymous = app.client.get(format!("{}{}", app.address, tile_of(&composite))).send().await.unwrap();
    assert_eq!(anonymous.status(), 404, "the layer is private");
}

/// Most GIS files carry an `id` column; some a `geom` or `odg_fid` one. They
/// once made every PostGIS tile of the layer a 500 (`"id" is ambiguous`).
async fn a_layer_with_id_and_geom_attributes_has_tiles_with_the_files_values(app: &TestApp) {
    let feature = |n: u64| {
        json!({"type": "Feature", "geometry": {"type": "Point", "coordinates": [13.2 + n as f64 * 0.001, -1.56]},
               "properties": {"id": 100 + n, "geom": format!("g{n}"), "odg_fid": "x", "nom": format!("Site {n}")}})
    };
    let geojson = json!({"type": "FeatureCollection", "features": (0..3).map(feature).collect::<Vec<_>>()});
    let done = crate::layers::import(app, "sites.geojson", geojson.to_string().into_bytes(), None).await;
    assert_eq!(done["status"], "SUCCEEDED", "{done}");
    let layer = format!("layer-{}", done["layer"]["id"].as_str().unwrap());
    let (z, x, y) = MOANDA_Z12;
    let response =
        app.client.get(format!("{}/tiles/{layer}/{z}/{x}/{y}.mvt", app.address)).bearer_auth(&app.admin_token);
    let response = response.send().await.unwrap();
    assert_eq!(response.status(), 200);
    let features = crate::layers::tile_features(response.bytes().await.unwrap().to_vec());
    let mut seen: Vec<(String, String, String)> =
        features.iter().map(|(_, p)| (p["id"].clone(), p["geom"].clone(), p["odg_fid"].clone())).collect();
    seen.sort();
    // The file's own values, not the record id; the record id stays the feature id.
    let expected: Vec<_> = (0..3).map(|n| ((100 + n).to_string(), format!("g{n}"), "x".to_owned())).collect();
    assert_eq!(seen, expected);
}

crate::on_both_backends!(
    a_composite_tile_holds_the_layers_of_each_source,
    a_layer_with_id_and_geom_attributes_has_tiles_with_the_files_values,
);
