//! OGC API – Features: the endpoints, paging, permissions, both backends
//! alike, and GDAL's OAPIF driver as an independent client.

use crate::helpers::{Backend, TestApp, json_diff, spawn_app, spawn_empty};
use crate::on_both_backends;
use serde_json::{Value, json};

on_both_backends!(
    items_page_through_a_collection_with_next_links,
    a_feature_and_errors_answer_as_the_standard_says,
    items_filter_by_date_and_property_and_answer_in_other_crs,
    a_long_items_page_of_a_layer_streams_in_file_order_within_its_bbox,
    every_resource_answers_html_to_browsers,
    the_api_answers_json_under_its_own_root_with_links_there,
    the_paths_at_the_server_root_keep_answering_for_saved_clients,
);

async fn get_json(app: &TestApp, path: &str) -> (u16, Value) {
    let response = app.get(path).await;
    let status = response.status().as_u16();
    (status, response.json().await.unwrap_or(Value::Null))
}

async fn items_page_through_a_collection_with_next_links(app: &TestApp) {
    let (status, landing) = get_json(app, "/?f=json").await;
    assert_eq!(status, 200);
    let rels: Vec<&str> = landing["links"].as_array().unwrap().iter().map(|l| l["rel"].as_str().unwrap()).collect();
    for rel in ["self", "service-desc", "conformance", "data"] {
        assert!(rels.contains(&rel), "landing page lacks {rel}: {landing}");
    }
    let (_, conformance) = get_json(app, "/conformance").await;
    assert!(conformance["conformsTo"].to_string().contains("ogcapi-features-1/1.0/conf/core"));
    let (_, collections) = get_json(app, "/collections").await;
    let ids: Vec<&str> =
        collections["collections"].as_array().unwrap().iter().map(|c| c["id"].as_str().unwrap()).collect();
    assert_eq!(ids, ["deposits", "exploitation-areas", "infrastructure"]);
    assert_eq!(collections["collections"][0]["extent"]["spatial"]["bbox"][0].as_array().unwrap().len(), 4);

    let total = app.data("{ deposits { totalCount } }", json!({})).await["deposits"]["totalCount"].as_u64().unwrap();
    let mut seen = Vec::new();
    let mut path = "/collections/deposits/items?limit=7".to_string();
    loop {
        let response = app.get(&path).await;
        assert_eq!(response.headers()["content-type"], "application/geo+json");
        let page: Value = response.json().await.unwrap();
        assert_eq!(page["numberMatched"], total);
        assert_eq!(page["numberReturned"], page["features"].as_array().unwrap().len());
        seen.extend(page["features"].as_array().unwrap().iter().map(|f| f["id"].as_i64().unwrap()));
        match page["links"].as_array().unwrap().iter().find(|l| l["rel"] == "next") {
            Some(next) => path = next["href"].as_str().unwrap().trim_start_matches(&app.address).to_string(),
            None => break,
        }
    }
    let mut unique = seen.clone();
    unique.sort();
    unique.dedup();
    assert_eq!(unique.len() as u64, total, "pages overlap or miss features: {seen:?}");

    let (_, boxed) = get_json(app, "/collections/deposits/items?bbox=12.9,-1.9,13.8,-1.2&limit=100").await;
    let gql = app
        .data(
            "{ deposits(filter: {bbox: {west: 12.9, south: -1.9, east: 13.8, north: -1.2}}) { totalCount } }",
            json!({}),
        )
        .await;
    assert_eq!(boxed["numberMatched"], gql["deposits"]["totalCount"]);
    assert!(boxed["features"][0]["properties"]["commodityCode"].is_string());
}

async fn a_feature_and_errors_answer_as_the_standard_says(app: &TestApp) {
    let (status, feature) = get_json(app, "/collections/exploitation-areas/items/1").await;
    assert_eq!(status, 200);
    assert_eq!(feature["type"], "Feature");
    assert!(feature["properties"]["areaKm2"].as_f64().unwrap() > 0.0);
    assert_eq!(get_json(app, "/collections/exploitation-areas/items/99999").await.0, 404);
    assert_eq!(get_json(app, "/collections/nowhere").await.0, 404);
    assert_eq!(get_json(app, "/collections/deposits/items?bbox=14,-1,13,-2").await.0, 400);
    // Not numbers on the Earth: the backends used to disagree on them (0 matches on SQLite, 4 on PostGIS).
    for hostile in ["-inf,-90,inf,90", "NaN,-1,14,0", "12,-2,inf,0", "-200,-1,14,0", "12,-95,14,0", "12,-2,14,1e308"] {
        let (status, body) = get_json(app, &format!("/collections/deposits/items?bbox={hostile}")).await;
        assert_eq!((status, body["code"].as_str()), (400, Some("BAD_USER_INPUT")), "bbox={hostile}: {body}");
    }
    assert_eq!(get_json(app, "/collections/deposits/items?colour=red").await.0, 400);
    let (status, api) = get_json(app, "/ogc/api").await;
    assert_eq!(status, 200);
    assert_eq!(api["openapi"], "3.0.3");
    assert_eq!(api["servers"][0]["url"], format!("{}/ogc", app.address));
    assert!(api["paths"]["/collections/{collectionId}/items"].is_object());
    openapi_validates(&api);
    // Each domain collection's items have a path listing their own parameters.
    let names = |collection: &str| -> Vec<String> {
        let parameters = api["paths"][format!("/collections/{collection}/items")]["get"]["parameters"].as_array();
        parameters.unwrap().iter().map(|p| p["name"].as_str().unwrap().to_string()).collect()
    };
    assert!(names("deposits").contains(&"commodityCode".to_string()));
    assert!(names("exploitation-areas").contains(&"datetime".to_string()));
    assert!(!names("infrastructure").contains(&"datetime".to_string()));
    let bbox = &api["paths"]["/collections/deposits/items"]["get"]["parameters"][2];
    assert_eq!((&bbox["name"], &bbox["schema"]["maxItems"]), (&json!("bbox"), &json!(6)));
    // A box with heights (minz, maxz) selects as its horizontal part: features have no height.
    let (_, flat) = get_json(app, "/ogc/collections/deposits/items?bbox=12.9,-1.9,13.8,-1.2").await;
    let (status, tall) = get_json(app, "/ogc/collections/deposits/items?bbox=12.9,-1.9,-10,13.8,-1.2,5000").await;
    assert_eq!(status, 200);
    assert_eq!(tall["numberMatched"], flat["numberMatched"]);
    assert_eq!(get_json(app, "/ogc/collections/deposits/items?bbox=12.9,-1.9,10,13.8,-1.2,0").await.0, 400);
}

/// The OpenAPI document passes the reference validator (`openapi-spec-validator`, which scripts/test.sh installs).
fn openapi_validates(api: &Value) {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("api.json");
    std::fs::write(&file, api.to_string()).unwrap();
    let out = std::process::Command::new("python3")
        .args([
            "-c",
            "import json, sys\nfrom openapi_spec_validator import validate\nvalidate(json.load(open(sys.argv[1])))",
        ])
        .arg(&file)
        .output()
        .expect("python3 runs");
    assert!(out.status.success(), "the OpenAPI document does not validate: {}", String::from_utf8_lossy(&out.stderr));
}

/// Browsers get HTML for every resource (the `html` conformance class): conformance, collections, a collection.
async fn every_resource_answers_html_to_browsers(app: &TestApp) {
    let (_, conformance) = get_json(app, "/conformance").await;
    assert!(conformance["conformsTo"].to_string().contains("ogcapi-features-1/1.0/conf/html"), "{conformance}");
    for (path, expected) in [
        ("/conformance?f=html", "conf/core"),
        ("/collections?f=html", "/collections/exploitation-areas/items?f=html"),
        ("/collections/deposits?f=html", "Gisements / Deposits"),
    ] {
        let response = app.get(path).await;
        assert_eq!(response.status(), 200, "{path}");
        assert!(response.headers()["content-type"].to_str().unwrap().starts_with("text/html"), "{path}");
        let page = response.text().await.unwrap();
        assert!(page.contains(expected), "{path}: {page}");
    }
    let browser = app.client.get(format!("{}/collections", app.address)).header("Accept", "text/html").send().await;
    assert!(browser.unwrap().text().await.unwrap().starts_with("<!doctype html>"));
    // Text from the request (here the Host header) is escaped.
    let hostile =
        app.client.get(format!("{}/?f=html", app.address)).header("Host", "x\"><script>1</script>").send().await;
    let landing = hostile.unwrap().text().await.unwrap();
    assert!(landing.contains("ODG") && !landing.contains("<script>"), "{landing}");
    let (_, collections) = get_json(app, "/collections").await;
    let alternate = collections["collections"][0]["links"].as_array().unwrap().iter().any(|l| l["type"] == "text/html");
    assert!(alternate, "each collection links its HTML page");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn both_backends_serve_the_same_items() {
    let Some(postgis) = spawn_app(Backend::Postgis).await else { return };
    let sqlite = spawn_app(Backend::Sqlite).await.unwrap();
    for path in [
        "/collections",
        "/collections/deposits/items?limit=100",
        "/collections/exploitation-areas/items?limit=3&offset=2",
        "/collections/infrastructure/items?bbox=12,-2,14,0",
        "/collections/deposits/items/3",
    ] {
        let (_, mut a) = get_json(&sqlite, path).await;
        let (_, mut b) = get_json(&postgis, path).await;
        for v in [&mut a, &mut b] {
            if let Some(o) = v.as_object_mut() {
                o.remove("timeStamp");
                o.remove("links");
            }
            if let Some(cs) = v["collections"].as_array_mut() {
                cs.iter_mut().for_each(|c| {
                    c.as_object_mut().unwrap().remove("links");
                });
            }
        }
        if let Some(d) = json_diff(&a, &b, path) {
            panic!("SQLite and PostGIS differ: {d}");
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn without_public_read_the_collections_need_a_token() {
    let app = spawn_empty(Backend::Sqlite).await.unwrap();
    assert_eq!(app.get("/collections").await.status(), 401);
    let with_header =
        app.client.get(format!("{}/collections", app.address)).bearer_auth(&app.admin_token).send().await.unwrap();
    assert_eq!(with_header.status(), 200);
    let with_parameter = app.get(&format!("/collections/deposits/items?access_token={}", app.admin_token)).await;
    assert_eq!(with_parameter.status(), 200);
}

/// GDAL's OAPIF driver lists the collections and downloads every deposit,
/// from the API's root and from the server root (connections saved with it).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn gdal_reads_the_collections() {
    if std::process::Command::new("ogr2ogr").arg("--version").output().is_err() {
        assert!(std::env::var("CI").is_err(), "CI must have gdal-bin (./scripts/test.sh installs it)");
        eprintln!("skipped: ogr2ogr is not installed (./scripts/test.sh installs gdal-bin)");
        return;
    }
    let app = spawn_app(Backend::Sqlite).await.unwrap();
    let total = app.data("{ deposits { totalCount } }", json!({})).await["deposits"]["totalCount"].as_u64().unwrap();
    for root in ["/ogc", ""] {
        let url = format!("{}{root}", app.address);
        let info = {
            let url = url.clone();
            tokio::task::spawn_blocking(move || {
                std::process::Command::new("ogrinfo").args(["-ro", "-so", &format!("OAPIF:{url}")]).output().unwrap()
            })
            .await
            .unwrap()
        };
        let listing = String::from_utf8_lossy(&info.stdout);
        assert!(listing.contains("deposits") && listing.contains("exploitation-areas"), "{root}: {listing}");
        let out = app.dir.path().join(format!("deposits{}.geojson", root.replace('/', "-")));
        let target = out.clone();
        let copy = tokio::task::spawn_blocking(move || {
            std::process::Command::new("ogr2ogr")
                .args(["-f", "GeoJSON", target.to_str().unwrap(), &format!("OAPIF:{url}/collections/deposits")])
                .output()
                .unwrap()
        })
        .await
        .unwrap();
        assert!(copy.status.success(), "{root}: {}", String::from_utf8_lossy(&copy.stderr));
        let downloaded: Value = serde_json::from_str(&std::fs::read_to_string(&out).unwrap()).unwrap();
        assert_eq!(downloaded["features"].as_array().unwrap().len() as u64, total, "{root}");
    }
}

async fn items_filter_by_date_and_property_and_answer_in_other_crs(app: &TestApp) {
    // Attribute filters agree with GraphQL.
    let (_, active) =
        get_json(app, "/collections/deposits/items?status=ACTIVE,CLOSED&commodityCode=MN&limit=100").await;
    let gql = app
        .data("{ deposits(filter: {status: [ACTIVE, CLOSED], commodityCode: [\"MN\"]}) { totalCount } }", json!({}))
        .await;
    assert_eq!(active["numberMatched"], gql["deposits"]["totalCount"]);
    assert!(active["numberMatched"].as_u64().unwrap() > 0);
    // Dates: deposits discovered since 1990, areas valid during 2030.
    let (_, recent) = get_json(app, "/collections/deposits/items?datetime=1990-01-01/..&limit=100").await;
    let recent_gql =
        app.data("{ deposits(filter: {discoveryDate: {from: \"1990-01-01\"}}) { totalCount } }", json!({})).await;
    assert_eq!(recent["numberMatched"], recent_gql["deposits"]["totalCount"]);
    for f in recent["features"].as_array().unwrap() {
        assert!(f["properties"]["discoveryDate"].as_str().unwrap() >= "1990-01-01");
    }
    let (_, in_2030) = get_json(app, "/collections/exploitation-areas/items?datetime=2030-06-01&limit=100").await;
    for f in in_2030["features"].as_array().unwrap() {
        let to = f["properties"]["validTo"].as_str().unwrap_or("9999");
        assert!(to >= "2030-06-01", "{f}");
    }
    assert_eq!(get_json(app, "/collections/infrastructure/items?datetime=2020-01-01").await.0, 400);
    // Web Mercator out, and a Web Mercator box in.
    let response = app.get("/collections/deposits/items/1?crs=http://www.opengis.net/def/crs/EPSG/0/3857").await;
    assert_eq!(response.headers()["content-crs"], "<http://www.opengis.net/def/crs/EPSG/0/3857>");
    let mercator: Value = response.json().await.unwrap();
    let (_, plain) = get_json(app, "/collections/deposits/items/1").await;
    let first = |v: &Value| -> (f64, f64) {
        let mut c = &v["geometry"]["coordinates"];
        while c[0].is_array() {
            c = &c[0];
        }
        (c[0].as_f64().unwrap(), c[1].as_f64().unwrap())
    };
    let (lon, _) = first(&plain);
    let (x, _) = first(&mercator);
    assert!((x - 6_378_137.0 * lon.to_radians()).abs() < 1e-6, "{x} vs {lon}");
    let boxed = "/collections/deposits/items?limit=100&bbox-crs=http://www.opengis.net/def/crs/EPSG/0/3857\
                 &bbox=1436000,-211000,1536000,-133000";
    let (_, by_mercator) = get_json(app, boxed).await;
    let (_, by_degrees) = get_json(app, "/collections/deposits/items?limit=100&bbox=12.9,-1.9,13.8,-1.2").await;
    assert_eq!(by_mercator["numberMatched"], by_degrees["numberMatched"]);
    assert_eq!(get_json(app, "/collections/deposits/items?crs=EPSG:9999").await.0, 400);
}

/// A page longer than a chunk (500 features are read at a time): every
/// feature in the box once, in file order, from the requested offset.
async fn a_long_items_page_of_a_layer_streams_in_file_order_within_its_bbox(app: &TestApp) {
    // A 40 × 40 grid of points, 0.01° apart; the box holds columns and rows 5 to 34.
    let mut features = Vec::new();
    let mut inside = Vec::new();
    for row in 0..40u32 {
        for col in 0..40u32 {
            let (lon, lat) = (12.0 + f64::from(col) * 0.01, -1.0 - f64::from(row) * 0.01);
            features.push(json!({"type": "Feature", "properties": {"n": row * 40 + col},
                                 "geometry": {"type": "Point", "coordinates": [lon, lat]}}));
            if (5..35).contains(&col) && (5..35).contains(&row) {
                inside.push(row * 40 + col);
            }
        }
    }
    let collection = json!({"type": "FeatureCollection", "features": features}).to_string();
    let done = crate::layers::import(app, "grille.geojson", collection.into_bytes(), None).await;
    let id = done["layer"]["id"].as_str().unwrap();
    let path = format!("/collections/layer-{id}/items?bbox=12.045,-1.345,12.345,-1.045&limit=850&offset=20");
    let response = app.client.get(format!("{}{path}", app.address)).bearer_auth(&app.admin_token).send().await.unwrap();
    assert_eq!(response.status(), 200, "{path}");
    let page: Value = response.json().await.unwrap();
    assert_eq!(page["numberMatched"], inside.len(), "{path}");
    assert_eq!(page["numberReturned"], 850, "{path}");
    let returned: Vec<u32> =
        page["features"].as_array().unwrap().iter().map(|f| f["properties"]["n"].as_u64().unwrap() as u32).collect();
    assert_eq!(returned, inside[20..870], "{path}");
}

/// Every `href` in a JSON answer, however deep.
fn hrefs(value: &Value) -> Vec<String> {
    match value {
        Value::Object(map) => map
            .iter()
            .flat_map(|(k, v)| match (k.as_str(), v) {
                ("href", Value::String(href)) => vec![href.clone()],
                _ => hrefs(v),
            })
            .collect(),
        Value::Array(items) => items.iter().flat_map(hrefs).collect(),
        _ => Vec::new(),
    }
}

/// The href of the first link of `rel` in a document.
fn link(document: &Value, rel: &str) -> String {
    let links = document["links"].as_array().unwrap_or_else(|| panic!("no links: {document}"));
    let found = links.iter().find(|l| l["rel"] == rel).unwrap_or_else(|| panic!("no {rel} link: {document}"));
    found["href"].as_str().unwrap().to_string()
}

async fn get_with_accept(app: &TestApp, path: &str, accept: &str) -> reqwest::Response {
    app.client.get(format!("{}{path}", app.address)).header("Accept", accept).send().await.unwrap()
}

const BROWSER_ACCEPT: &str = "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8";

/// `/ogc` answers JSON to a client that names no format (`Accept: */*`),
/// HTML only when asked, and every link it gives stays under `/ogc`.
async fn the_api_answers_json_under_its_own_root_with_links_there(app: &TestApp) {
    let ogc = format!("{}/ogc", app.address);
    for path in ["/ogc", "/ogc/"] {
        let response = get_with_accept(app, path, "*/*").await;
        assert_eq!(response.status(), 200, "{path}");
        assert_eq!(response.headers()["content-type"], "application/json", "{path}");
        let landing: Value = response.json().await.unwrap();
        assert_eq!(link(&landing, "self"), format!("{ogc}?f=json"));
        assert_eq!(link(&landing, "service-desc"), format!("{ogc}/api"));
        assert_eq!(link(&landing, "conformance"), format!("{ogc}/conformance"));
        assert_eq!(link(&landing, "data"), format!("{ogc}/collections"));
    }
    let (status, conformance) = get_json(app, "/ogc/conformance").await;
    assert_eq!(status, 200);
    assert!(conformance["conformsTo"].to_string().contains("ogcapi-features-1/1.0/conf/core"));

    let (status, collections) = get_json(app, "/ogc/collections").await;
    assert_eq!(status, 200);
    let links = hrefs(&collections);
    assert!(links.len() > 6, "{collections}");
    for href in &links {
        assert!(href.starts_with(&format!("{ogc}/collections")), "{href} is not under /ogc");
    }
    let items = link(&collections["collections"][0], "items");
    let page: Value = app.client.get(format!("{items}?limit=2")).send().await.unwrap().json().await.unwrap();
    assert_eq!(page["numberReturned"], 2);
    for href in hrefs(&page) {
        assert!(href.starts_with(&format!("{ogc}/collections/deposits")), "{href} is not under /ogc");
    }
    let next: Value = app.client.get(link(&page, "next")).send().await.unwrap().json().await.unwrap();
    assert_eq!(next["type"], "FeatureCollection");
    let id = &page["features"][0]["id"];
    let (status, feature) = get_json(app, &format!("/ogc/collections/deposits/items/{id}")).await;
    assert_eq!(status, 200);
    assert_eq!(link(&feature, "self"), format!("{ogc}/collections/deposits/items/{id}"));
    assert_eq!(link(&feature, "collection"), format!("{ogc}/collections/deposits"));
    let export = app.get("/ogc/collections/deposits/export?format=csv").await;
    assert_eq!(export.status(), 200);

    // People ask for HTML: a browser's Accept, or f=html.
    let browser = get_with_accept(app, "/ogc", BROWSER_ACCEPT).await;
    assert!(browser.headers()["content-type"].to_str().unwrap().starts_with("text/html"));
    let page = browser.text().await.unwrap();
    assert!(page.contains(&format!("{ogc}/collections?f=html")), "{page}");
    let asked = get_with_accept(app, "/ogc/collections?f=html", "application/json").await;
    assert!(asked.headers()["content-type"].to_str().unwrap().starts_with("text/html"));
    // A format that does not exist is an error, not a silent JSON answer.
    let (status, error) = get_json(app, "/ogc/collections?f=xml").await;
    assert_eq!((status, error["code"].as_str()), (400, Some("BAD_USER_INPUT")), "{error}");
    assert_eq!(get_json(app, "/ogc/nowhere").await.0, 404);
}

/// QGIS and GDAL connections saved with the server root keep working: the
/// paths there answer as before, with links that stay there, and `/api`
/// sends them to the API definition's one address.
async fn the_paths_at_the_server_root_keep_answering_for_saved_clients(app: &TestApp) {
    let bbox = "bbox=12.9,-1.9,13.8,-1.2&limit=100";
    let response = app.get(&format!("/collections/deposits/items?{bbox}")).await;
    assert_eq!(response.status(), 200);
    assert_eq!(response.headers()["content-type"], "application/geo+json");
    let at_root: Value = response.json().await.unwrap();
    let (_, under_ogc) = get_json(app, &format!("/ogc/collections/deposits/items?{bbox}")).await;
    assert!(at_root["numberMatched"].as_u64().unwrap() > 0, "{at_root}");
    assert_eq!(at_root["features"], under_ogc["features"]);
    for href in hrefs(&at_root) {
        assert!(href.starts_with(&format!("{}/collections/", app.address)), "{href}");
    }
    let (status, collections) = get_json(app, "/collections").await;
    assert_eq!(status, 200);
    assert_eq!(link(&collections, "self"), format!("{}/collections", app.address));
    let (_, conformance) = get_json(app, "/conformance").await;
    assert!(conformance["conformsTo"].to_string().contains("ogcapi-features-1/1.0/conf/core"));
    let landing: Value = get_with_accept(app, "/", "application/json").await.json().await.unwrap();
    assert_eq!(link(&landing, "data"), format!("{}/collections", app.address));
    assert_eq!(link(&landing, "service-desc"), format!("{}/ogc/api", app.address));

    let no_redirects = reqwest::Client::builder().redirect(reqwest::redirect::Policy::none()).build().unwrap();
    let moved = no_redirects.get(format!("{}/api?f=json", app.address)).send().await.unwrap();
    assert_eq!(moved.status(), 308);
    assert_eq!(moved.headers()["location"], "/ogc/api?f=json");
    let followed = app.get("/api").await;
    assert_eq!(followed.status(), 200);
    assert_eq!(followed.headers()["content-type"], "application/vnd.oai.openapi+json;version=3.0");
}

/// Beside a built web app, which answers `Accept: */*` at `/`, the OGC root
/// still answers JSON; its unknown paths are 404s, not the app.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn beside_the_web_app_the_ogc_root_answers_json_to_any_client() {
    let web = tempfile::tempdir().unwrap();
    std::fs::write(web.path().join("index.html"), "<!doctype html><div id=\"root\"></div>").unwrap();
    let web_dir = web.path().display().to_string();
    let app = crate::helpers::spawn_with(Backend::Sqlite, true, &[("ODG_WEB_DIR", &web_dir)]).await.unwrap();
    let app_page = get_with_accept(&app, "/", "*/*").await.text().await.unwrap();
    assert!(app_page.contains("<div id=\"root\">"), "{app_page}");
    let landing = get_with_accept(&app, "/ogc", "*/*").await;
    assert_eq!(landing.headers()["content-type"], "application/json");
    let landing: Value = landing.json().await.unwrap();
    assert_eq!(link(&landing, "data"), format!("{}/ogc/collections", app.address));
    let page = get_with_accept(&app, "/ogc", BROWSER_ACCEPT).await.text().await.unwrap();
    assert!(page.contains("OGC API") && !page.contains("<div id=\"root\">"), "{page}");
    assert_eq!(get_with_accept(&app, "/ogc/nowhere", BROWSER_ACCEPT).await.status(), 404);
}
