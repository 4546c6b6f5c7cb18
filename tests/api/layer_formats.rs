//! GeoPackage and GeoTIFF layers: a projected GeoPackage made by GDAL is
//! imported in the right place with its accented attributes, a layer is
//! exported as a GeoPackage that GDAL reads and that imports back the same,
//! a GeoTIFF becomes its footprint with the raster kept, and broken files are
//! refused naming the file — on both backends.

use crate::helpers::TestApp;
use crate::layers::{gdal, import, same_features, upload};
use serde_json::{Value, json};
use std::path::Path;

const PREVIEW: &str = "mutation($file: Upload!, $crs: String) {
    previewImport(file: $file, crs: $crs) {
        format crs featureCount skippedCount geometryTypes attributes { name type } bbox features
    }
}";

const LAYER: &str = "query($id: ID!) {
    layer(id: $id) {
        sourceFormat sourceCrs featureCount bbox attributes { name type } rasterInfo
        features(first: 100) { edges { node { sourceId properties geometry } } }
    }
}";

/// Three deposits in Gabon (two points and a polygon with a hole), accented
/// names, every attribute type, in WGS84.
fn deposits() -> Value {
    json!({"type": "FeatureCollection", "features": [
        {"type": "Feature", "properties": {"nom": "Libreville – Okoumé", "teneur": 62.5, "annee": 2014, "actif": true, "date": "2024-05-01"},
         "geometry": {"type": "Point", "coordinates": [9.45, 0.39]}},
        {"type": "Feature", "properties": {"nom": "Lambaréné", "teneur": 41.25, "annee": 1998, "actif": false, "date": null},
         "geometry": {"type": "Point", "coordinates": [10.24, -0.7]}},
        {"type": "Feature", "properties": {"nom": "Mouila « Sud »", "teneur": null, "annee": 2021, "actif": true, "date": "2021-01-31"},
         "geometry": {"type": "Polygon", "coordinates": [
             [[11.0, -1.9], [11.1, -1.9], [11.1, -1.8], [11.0, -1.8], [11.0, -1.9]],
             [[11.02, -1.88], [11.02, -1.85], [11.05, -1.85], [11.02, -1.88]]]}}
    ]})
}

/// The deposits as a GeoPackage in UTM zone 32N (EPSG:32632), written by GDAL.
fn utm_geopackage(dir: &Path) -> Vec<u8> {
    let source = dir.join("gisements.geojson");
    std::fs::write(&source, deposits().to_string()).unwrap();
    let target = dir.join("gisements.gpkg");
    gdal(&[
        "ogr2ogr",
        "-f",
        "GPKG",
        "-t_srs",
        "EPSG:32632",
        "-nln",
        "gisements",
        target.to_str().unwrap(),
        source.to_str().unwrap(),
    ]);
    std::fs::read(target).unwrap()
}

/// Every position of a GeoJSON geometry, flattened.
fn positions(geometry: &Value) -> Vec<(f64, f64)> {
    match geometry {
        Value::Array(items) if items.first().is_some_and(Value::is_number) => {
            vec![(items[0].as_f64().unwrap(), items[1].as_f64().unwrap())]
        }
        Value::Array(items) => items.iter().flat_map(positions).collect(),
        Value::Object(o) => positions(&o["coordinates"]),
        _ => vec![],
    }
}

fn close(a: &[(f64, f64)], b: &[(f64, f64)], tolerance: f64) -> bool {
    a.len() == b.len() && a.iter().zip(b).all(|(p, q)| (p.0 - q.0).abs() < tolerance && (p.1 - q.1).abs() < tolerance)
}

async fn layer(app: &TestApp, id: &str) -> Value {
    let answer = app.graphql(LAYER, json!({ "id": id })).await;
    answer["data"]["layer"].clone()
}

async fn a_utm_geopackage_is_imported_in_place_with_its_attributes(app: &TestApp) {
    let dir = tempfile::tempdir().unwrap();
    let gpkg = utm_geopackage(dir.path());
    let preview = upload(app, Some(&app.admin_token), PREVIEW, json!({}), "gisements.gpkg", gpkg.clone()).await;
    let p = &preview["data"]["previewImport"];
    assert_eq!(p["format"], "GEOPACKAGE", "{preview}");
    assert_eq!(p["crs"], "EPSG:32632");
    assert_eq!(p["featureCount"], 3);
    assert_eq!(p["geometryTypes"], json!(["Point", "Polygon"]));
    // GDAL's DATE column is read as its text, which ODG types as a date.
    assert_eq!(
        p["attributes"],
        json!([
            {"name": "nom", "type": "STRING"}, {"name": "teneur", "type": "FLOAT"}, {"name": "annee", "type": "INTEGER"},
            {"name": "actif", "type": "BOOLEAN"}, {"name": "date", "type": "DATE"}
        ])
    );

    let done = import(app, "gisements.gpkg", gpkg, None).await;
    assert_eq!(done["status"], "SUCCEEDED", "{done}");
    assert_eq!(done["format"], "GEOPACKAGE");
    let id = done["layer"]["id"].as_str().unwrap();
    let l = layer(app, id).await;
    assert_eq!(l["sourceCrs"], "EPSG:32632");
    assert_eq!(l["rasterInfo"], Value::Null, "a vector layer has no raster");
    let edges = l["features"]["edges"].as_array().unwrap();
    assert_eq!(edges.len(), 3);
    // Back from UTM 32N to the very positions GDAL projected, in the file's order, fid as source id.
    for (i, (edge, original)) in edges.iter().zip(deposits()["features"].as_array().unwrap()).enumerate() {
        let node = &edge["node"];
        assert_eq!(node["sourceId"], (i + 1).to_string());
        let (got, want) = (positions(&node["geometry"]), positions(&original["geometry"]));
        assert!(close(&got, &want, 1e-7), "feature {i}: {got:?} vs {want:?}");
        assert_eq!(node["geometry"]["type"], original["geometry"]["type"]);
    }
    assert_eq!(
        edges[0]["node"]["properties"],
        json!({"nom": "Libreville – Okoumé", "teneur": 62.5, "annee": 2014, "actif": true, "date": "2024-05-01"})
    );
    assert_eq!(
        edges[1]["node"]["properties"],
        json!({"nom": "Lambaréné", "teneur": 41.25, "annee": 1998, "actif": false, "date": null})
    );
    assert_eq!(edges[2]["node"]["properties"]["nom"], "Mouila « Sud »");
    assert_eq!(edges[2]["node"]["geometry"]["coordinates"].as_array().unwrap().len(), 2, "the hole is kept");
}

/// `Extent: (minx, miny) - (maxx, maxy)` of `ogrinfo -so`.
fn ogr_extent(info: &str) -> [f64; 4] {
    let line = info.lines().find(|l| l.starts_with("Extent: ")).unwrap_or_else(|| panic!("no extent: {info}"));
    let numbers: Vec<f64> = line
        .split(|c: char| !(c.is_ascii_digit() || c == '.' || c == '-'))
        .filter(|s| !s.is_empty() && *s != "-")
        .map(|s| s.parse().unwrap())
        .collect();
    [numbers[0], numbers[1], numbers[2], numbers[3]]
}

async fn a_layer_exported_as_geopackage_is_read_by_gdal_and_imports_back_the_same(app: &TestApp) {
    let source = import(app, "gisements.geojson", deposits().to_string().into_bytes(), None).await;
    let id = source["layer"]["id"].as_str().unwrap().to_owned();
    let response = app
        .client
        .get(format!("{}/layers/{id}/export?format=gpkg", app.address))
        .bearer_auth(&app.admin_token)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    assert_eq!(response.headers()["content-type"], "application/geopackage+sqlite3");
    let disposition = response.headers()["content-disposition"].to_str().unwrap().to_owned();
    assert!(disposition.ends_with(".gpkg\""), "{disposition}");
    let bytes = response.bytes().await.unwrap().to_vec();
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("export.gpkg");
    std::fs::write(&path, &bytes).unwrap();

    // GDAL reads it without a complaint: count, extent, fields.
    let out = std::process::Command::new("ogrinfo").args(["-ro", "-al", "-so"]).arg(&path).output().unwrap();
    let (info, complaints) = (String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr));
    assert!(out.status.success() && complaints.trim().is_empty(), "{info}\n{complaints}");
    assert!(info.contains("Feature Count: 3"), "{info}");
    assert!(info.contains("Geometry: Unknown (any)"), "{info}");
    assert!(info.contains("ID[\"EPSG\",4326]"), "{info}");
    for field in ["nom: String", "teneur: Real", "annee: Integer64", "actif: Integer(Boolean)", "date: String"] {
        assert!(info.contains(field), "{field}: {info}");
    }
    let bbox = source["layer"]["bbox"].as_array().unwrap().iter().map(|v| v.as_f64().unwrap()).collect::<Vec<_>>();
    let extent = ogr_extent(&info);
    assert!(extent.iter().zip(&bbox).all(|(a, b)| (a - b).abs() < 1e-6), "{extent:?} vs {bbox:?}");
    // The features themselves, as GDAL sees them.
    let all = gdal(&["ogrinfo", "-ro", "-al", path.to_str().unwrap()]);
    assert!(all.contains("nom (String) = Libreville – Okoumé"), "{all}");
    assert!(all.contains("actif (Integer(Boolean)) = 0"), "{all}");
    assert!(all.contains("POINT (9.45 0.39)"), "{all}");
    assert!(all.contains("POLYGON ((11.0 -1.9,11.1 -1.9,11.1 -1.8,11.0 -1.8,11.0 -1.9),"), "{all}");

    let again = import(app, "export.gpkg", bytes, None).await;
    assert_eq!(again["status"], "SUCCEEDED", "{again}");
    assert_eq!(again["layer"]["sourceCrs"], "EPSG:4326");
    assert_eq!(same_features(app, &id, again["layer"]["id"].as_str().unwrap()).await, None);
    let url = app.graphql("query($id: ID!) { layer(id: $id) { exportUrl(format: GPKG) } }", json!({ "id": id })).await;
    assert_eq!(url["data"]["layer"]["exportUrl"], format!("/layers/{id}/export?format=gpkg"));
}

/// The bounding box of `gdalinfo -json`'s `wgs84Extent` polygon.
fn gdal_wgs84_bbox(path: &Path) -> [f64; 4] {
    let info: Value = serde_json::from_str(&gdal(&["gdalinfo", "-json", path.to_str().unwrap()])).unwrap();
    let corners = positions(&info["wgs84Extent"]);
    assert!(!corners.is_empty(), "{info}");
    let mut b = [f64::MAX, f64::MAX, f64::MIN, f64::MIN];
    for (x, y) in corners {
        b = [b[0].min(x), b[1].min(y), b[2].max(x), b[3].max(y)];
    }
    b
}

async fn a_geotiff_becomes_its_footprint_and_its_file_is_kept(app: &TestApp) {
    let dir = tempfile::tempdir().unwrap();
    let tif = dir.path().join("mnt.tif");
    // 20 × 10 pixels of 50 m in UTM zone 33N, north of Makokou, with a nodata value.
    gdal(&[
        "gdal_create",
        "-of",
        "GTiff",
        "-outsize",
        "20",
        "10",
        "-bands",
        "1",
        "-ot",
        "Int16",
        "-a_srs",
        "EPSG:32633",
        "-a_ullr",
        "700000",
        "100000",
        "701000",
        "99500",
        "-a_nodata",
        "-9999",
        "-burn",
        "5",
        tif.to_str().unwrap(),
    ]);
    let expected = gdal_wgs84_bbox(&tif);
    let bytes = std::fs::read(&tif).unwrap();
    let done = import(app, "mnt.tif", bytes.clone(), None).await;
    assert_eq!(done["status"], "SUCCEEDED", "{done}");
    assert_eq!(done["format"], "GEOTIFF");
    let id = done["layer"]["id"].as_str().unwrap();
    let l = layer(app, id).await;
    assert_eq!(l["sourceFormat"], "GEOTIFF");
    assert_eq!(l["sourceCrs"], "EPSG:32633");
    assert_eq!(l["featureCount"], 1);
    let bbox: Vec<f64> = l["bbox"].as_array().unwrap().iter().map(|v| v.as_f64().unwrap()).collect();
    assert!(bbox.iter().zip(&expected).all(|(a, b)| (a - b).abs() < 1e-6), "{bbox:?} vs gdalinfo {expected:?}");
    let footprint = &l["features"]["edges"][0]["node"];
    assert_eq!(footprint["geometry"]["type"], "Polygon");
    assert_eq!(
        footprint["properties"],
        json!({"width": 20, "height": 10, "bands": 1, "overviews": 0, "data_type": "Int16", "nodata": -9999,
               "pixel_size_x": 50.0, "pixel_size_y": -50.0, "crs": "EPSG:32633"})
    );
    let raster = &l["rasterInfo"];
    assert_eq!(raster["width"], 20, "{l}");
    assert_eq!(raster["geotransform"], json!([700000.0, 50.0, 0.0, 100000.0, 0.0, -50.0]));
    assert!(raster.get("path").is_none(), "the server's paths are not shown: {raster}");
    // The file is kept, byte for byte, for the tiles to serve.
    let kept = app.dir.path().join(format!("rasters/layer-{id}.tif"));
    assert_eq!(std::fs::read(&kept).unwrap(), bytes);
    // And goes with its layer.
    let deleted = app.graphql("mutation($id: ID!) { deleteLayer(id: $id) }", json!({ "id": id })).await;
    assert_eq!(deleted["data"]["deleteLayer"], id, "{deleted}");
    assert!(!kept.exists());
}

/// GDAL's geotransform of a raster.
fn gdal_geotransform(path: &Path) -> Value {
    let info: Value = serde_json::from_str(&gdal(&["gdalinfo", "-json", path.to_str().unwrap()])).unwrap();
    info["geoTransform"].clone()
}

async fn a_geographic_geotiff_of_pixel_centres_is_placed_as_gdal_places_it(app: &TestApp) {
    let dir = tempfile::tempdir().unwrap();
    let area = dir.path().join("area.tif");
    let point = dir.path().join("centres.tif");
    gdal(&[
        "gdal_create",
        "-of",
        "GTiff",
        "-outsize",
        "8",
        "6",
        "-bands",
        "3",
        "-ot",
        "Float32",
        "-a_srs",
        "EPSG:4326",
        "-a_ullr",
        "13.0",
        "-1.0",
        "13.08",
        "-1.06",
        area.to_str().unwrap(),
    ]);
    // GDAL writes the tie point at the first pixel's centre, flagged RasterPixelIsPoint.
    gdal(&["gdal_translate", "-q", "-mo", "AREA_OR_POINT=Point", area.to_str().unwrap(), point.to_str().unwrap()]);
    let done = import(app, "centres.tif", std::fs::read(&point).unwrap(), None).await;
    assert_eq!(done["status"], "SUCCEEDED", "{done}");
    let l = layer(app, done["layer"]["id"].as_str().unwrap()).await;
    assert_eq!(l["sourceCrs"], "EPSG:4326");
    let expected = gdal_wgs84_bbox(&point);
    let bbox: Vec<f64> = l["bbox"].as_array().unwrap().iter().map(|v| v.as_f64().unwrap()).collect();
    assert!(bbox.iter().zip(&expected).all(|(a, b)| (a - b).abs() < 1e-9), "{bbox:?} vs gdalinfo {expected:?}");
    let raster = &l["rasterInfo"];
    assert_eq!(crate::helpers::json_diff(&raster["geotransform"], &gdal_geotransform(&point), "geotransform"), None);
    assert_eq!(raster["bands"], 3);
    assert_eq!(raster["data_type"], "Float32");
    assert_eq!(raster["nodata"], Value::Null);
}

async fn broken_geopackages_and_tiffs_are_refused_naming_the_file(app: &TestApp) {
    let dir = tempfile::tempdir().unwrap();
    let gpkg = utm_geopackage(dir.path());
    // An SQLite database that is not a GeoPackage (GDAL's SQLite driver, no gpkg_* tables).
    let plain = dir.path().join("base.sqlite");
    gdal(&["ogr2ogr", "-f", "SQLite", plain.to_str().unwrap(), dir.path().join("gisements.geojson").to_str().unwrap()]);
    let two_tables = dir.path().join("deux.gpkg");
    std::fs::copy(dir.path().join("gisements.gpkg"), &two_tables).unwrap();
    gdal(&[
        "ogr2ogr",
        "-update",
        "-nln",
        "autres",
        two_tables.to_str().unwrap(),
        dir.path().join("gisements.geojson").to_str().unwrap(),
    ]);
    let untiled = dir.path().join("plain.tif");
    gdal(&["gdal_create", "-of", "GTiff", "-outsize", "4", "4", "-bands", "1", untiled.to_str().unwrap()]);
    let cases: Vec<(&str, Vec<u8>, &str)> = vec![
        (
            "base.gpkg",
            std::fs::read(&plain).unwrap(),
            "base.gpkg: not a GeoPackage: the SQLite database has no gpkg_contents",
        ),
        ("coupe.gpkg", gpkg[..gpkg.len() / 2].to_vec(), "coupe.gpkg: the GeoPackage is damaged or truncated"),
        ("entete.gpkg", gpkg[..60].to_vec(), "entete.gpkg: the GeoPackage is damaged or truncated"),
        (
            "faux.gpkg",
            b"{\"type\":\"Point\"}".to_vec(),
            "faux.gpkg: not a GeoPackage: the file is not an SQLite database",
        ),
        (
            "deux.gpkg",
            std::fs::read(&two_tables).unwrap(),
            "deux.gpkg: the GeoPackage holds several feature tables (autres, gisements)",
        ),
        ("plain.tif", std::fs::read(&untiled).unwrap(), "plain.tif: the TIFF has no georeferencing"),
        ("coupe.tif", b"II*\0\x08\0\0\0".to_vec(), "coupe.tif: not a readable TIFF"),
    ];
    for (name, bytes, expected) in cases {
        let preview = upload(app, Some(&app.admin_token), PREVIEW, json!({}), name, bytes.clone()).await;
        let error = &preview["errors"][0];
        assert_eq!(error["extensions"]["code"], "BAD_USER_INPUT", "{name}: {preview}");
        let message = error["message"].as_str().unwrap();
        assert!(message.contains(expected), "{name}: {message}");
        let done = import(app, name, bytes, None).await;
        assert_eq!(done["status"], "FAILED", "{name}: {done}");
        assert!(done["error"].as_str().unwrap().contains(expected), "{name}: {done}");
        assert_eq!(done["layer"], Value::Null);
    }
    let layers = app.graphql("{ layers { totalCount } }", json!({})).await;
    assert_eq!(layers["data"]["layers"]["totalCount"], 0, "no failed import left a layer");
    assert!(
        !app.dir.path().join("rasters").exists()
            || std::fs::read_dir(app.dir.path().join("rasters")).unwrap().next().is_none()
    );
}

crate::on_both_backends!(
    a_utm_geopackage_is_imported_in_place_with_its_attributes,
    a_layer_exported_as_geopackage_is_read_by_gdal_and_imports_back_the_same,
    a_geotiff_becomes_its_footprint_and_its_file_is_kept,
    a_geographic_geotiff_of_pixel_centres_is_placed_as_gdal_places_it,
    broken_geopackages_and_tiffs_are_refused_naming_the_file,
);
