//! Layers: uploads of every format through the GraphQL multipart request,
//! previews, imports with progress, queries, exports read back by GDAL, and
//! malformed files refused without writing anything — on both backends.

use crate::helpers::TestApp;
use serde_json::{Value, json};
use std::io::Write;
use std::path::Path;
use std::process::Command;

const PREVIEW: &str = "mutation($file: Upload!, $crs: String) {
    previewImport(file: $file, crs: $crs) {
        format crs featureCount skippedCount geometryTypes attributes { name type } bbox
        warnings { index location reason } features
    }
}";

const IMPORT: &str = "mutation($file: Upload!, $input: LayerInput!, $crs: String) {
    importLayer(file: $file, input: $input, crs: $crs) { id status fileName }
}";

const IMPORT_STATE: &str = "query($id: ID!) {
    import(id: $id) {
        status format featuresRead featuresWritten error warnings { index location reason }
        layer { id name sourceFormat sourceCrs featureCount geometryTypes bbox attributes { name type } }
    }
}";

/// Sends a GraphQL multipart request (the spec's `operations` + `map`) with one file as `$file`.
pub(crate) async fn upload(
    app: &TestApp,
    token: Option<&str>,
    query: &str,
    variables: Value,
    name: &str,
    bytes: Vec<u8>,
) -> Value {
    let mut variables = variables;
    variables["file"] = Value::Null;
    let operations = json!({ "query": query, "variables": variables });
    let form = reqwest::multipart::Form::new()
        .text("operations", operations.to_string())
        .text("map", json!({ "0": ["variables.file"] }).to_string())
        .part("0", reqwest::multipart::Part::bytes(bytes).file_name(name.to_owned()));
    let mut request = app.client.post(format!("{}/graphql", app.address)).multipart(form);
    if let Some(token) = token {
        request = request.bearer_auth(token);
    }
    let response = request.send().await.expect("request sent");
    response.json().await.expect("a JSON answer")
}

/// Imports `bytes` as a layer and waits for the import to end; returns the final `import`.
pub(crate) async fn import(app: &TestApp, name: &str, bytes: Vec<u8>, crs: Option<&str>) -> Value {
    let answer = upload(
        app,
        Some(&app.admin_token),
        IMPORT,
        json!({ "input": { "name": format!("Couche {name}"), "kind": "DEPOSIT" }, "crs": crs }),
        name,
        bytes,
    )
    .await;
    let id = answer["data"]["importLayer"]["id"].as_str().unwrap_or_else(|| panic!("no import: {answer}")).to_owned();
    wait_for(app, &id).await
}

async fn wait_for(app: &TestApp, id: &str) -> Value {
    for _ in 0..600 {
        let state = app.graphql(IMPORT_STATE, json!({ "id": id })).await;
        let import = state["data"]["import"].clone();
        if import["status"] == "SUCCEEDED" || import["status"] == "FAILED" {
            return import;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    panic!("import {id} did not end");
}

pub(crate) fn gdal(args: &[&str]) -> String {
    let out = Command::new(args[0])
        .args(&args[1..])
        .output()
        .unwrap_or_else(|e| panic!("{} is needed (gdal-bin; scripts/test.sh installs it): {e}", args[0]));
    assert!(out.status.success(), "{args:?}: {}", String::from_utf8_lossy(&out.stderr));
    String::from_utf8_lossy(&out.stdout).into_owned()
}

fn zip_dir(dir: &Path) -> Vec<u8> {
    let mut out = std::io::Cursor::new(Vec::new());
    let mut zip = zip::ZipWriter::new(&mut out);
    let mut entries: Vec<_> = std::fs::read_dir(dir).unwrap().map(|e| e.unwrap().path()).collect();
    entries.sort();
    for path in entries {
        zip.start_file(path.file_name().unwrap().to_str().unwrap(), zip::write::SimpleFileOptions::default()).unwrap();
        zip.write_all(&std::fs::read(&path).unwrap()).unwrap();
    }
    zip.finish().unwrap();
    out.into_inner()
}

/// Three deposits near Franceville and Makokou with accented names, as a
/// shapefile in UTM zone 33N (EPSG:32633) with latin-1 attributes, made by GDAL.
fn utm_shapefile(with_prj: bool, with_cpg: bool) -> Vec<u8> {
    let dir = tempfile::tempdir().unwrap();
    let source = dir.path().join("gisements.geojson");
    std::fs::write(
        &source,
        json!({"type": "FeatureCollection", "features": [
            {"type": "Feature", "properties": {"nom": "Mékambo – Bélinga", "teneur": 62.5, "annee": 2014},
             "geometry": {"type": "Point", "coordinates": [13.21, 1.12]}},
            {"type": "Feature", "properties": {"nom": "Franceville Nord", "teneur": 41.0, "annee": 1998},
             "geometry": {"type": "Point", "coordinates": [13.58, -1.62]}},
            {"type": "Feature", "properties": {"nom": "Lastoursville", "teneur": 38.25, "annee": 2021},
             "geometry": {"type": "Point", "coordinates": [12.71, -0.82]}}
        ]})
        .to_string(),
    )
    .unwrap();
    let shp = dir.path().join("shp");
    gdal(&[
        "ogr2ogr",
        "-f",
        "ESRI Shapefile",
        "-t_srs",
        "EPSG:32633",
        "-lco",
        "ENCODING=ISO-8859-1",
        shp.to_str().unwrap(),
        source.to_str().unwrap(),
    ]);
    for entry in std::fs::read_dir(&shp).unwrap() {
        let path = entry.unwrap().path();
        let ext = path.extension().unwrap().to_str().unwrap().to_owned();
        if (ext == "prj" && !with_prj) || (ext == "cpg" && !with_cpg) {
            std::fs::remove_file(path).unwrap();
        }
    }
    zip_dir(&shp)
}

async fn layer_count(app: &TestApp) -> u64 {
    app.graphql("{ layers { totalCount } }", json!({})).await["data"]["layers"]["totalCount"].as_u64().unwrap()
}

async fn a_utm_shapefile_is_previewed_imported_found_and_exported_back(app: &TestApp) {
    let zip = utm_shapefile(true, false);
    let preview = upload(app, Some(&app.admin_token), PREVIEW, json!({}), "gisements.zip", zip.clone()).await;
    let p = &preview["data"]["previewImport"];
    assert_eq!(p["format"], "SHAPEFILE", "{preview}");
    assert_eq!(p["crs"], "EPSG:32633");
    assert_eq!(p["featureCount"], 3);
    assert_eq!(p["geometryTypes"], json!(["Point"]));
    assert_eq!(
        p["attributes"],
        json!([{"name": "nom", "type": "STRING"}, {"name": "teneur", "type": "FLOAT"}, {"name": "annee", "type": "INTEGER"}])
    );
    // Without a .cpg, the DBF's encoding (GDAL writes its language id) decodes the accents.
    let first = &p["features"]["features"][0];
    assert_eq!(first["properties"]["nom"], "Mékambo ? Bélinga", "the en dash has no latin-1 form: GDAL wrote `?`");
    let c = first["geometry"]["coordinates"].as_array().unwrap();
    assert!((c[0].as_f64().unwrap() - 13.21).abs() < 1e-7 && (c[1].as_f64().unwrap() - 1.12).abs() < 1e-7, "{c:?}");
    assert_eq!(layer_count(app).await, 0, "a preview writes nothing");

    let done = import(app, "gisements.zip", zip, None).await;
    assert_eq!(done["status"], "SUCCEEDED", "{done}");
    assert_eq!(done["featuresWritten"], 3);
    let layer = &done["layer"];
    assert_eq!(layer["sourceCrs"], "EPSG:32633");
    let id = layer["id"].as_str().unwrap();

    // Found in the right place by a spatial query, with its attributes intact.
    let near = app
        .graphql(
            "query($id: ID!) { layer(id: $id) { features(filter: { dwithin: { geometry: { type: \"Point\", coordinates: [13.58, -1.62] }, meters: 1000 } }) {
                totalCount edges { node { properties geometry } } } } }",
            json!({ "id": id }),
        )
        .await;
    let features = &near["data"]["layer"]["features"];
    assert_eq!(features["totalCount"], 1, "{near}");
    assert_eq!(
        features["edges"][0]["node"]["properties"],
        json!({"nom": "Franceville Nord", "teneur": 41, "annee": 1998})
    );
    let filtered = app
        .graphql(
            "query($id: ID!) { layer(id: $id) { features(filter: { attributes: [{ name: \"teneur\", min: 40 }, { name: \"nom\", contains: \"bÉlinga\" }] }) { totalCount } } }",
            json!({ "id": id }),
        )
        .await;
    assert_eq!(filtered["data"]["layer"]["features"]["totalCount"], 1, "{filtered}");
    let flags = import(
        app,
        "drapeaux.geojson",
        br#"{"type":"FeatureCollection","features":[
            {"type":"Feature","properties":{"actif":true},"geometry":{"type":"Point","coordinates":[1,1]}},
            {"type":"Feature","properties":{"actif":false},"geometry":{"type":"Point","coordinates":[2,2]}}]}"#
            .to_vec(),
        None,
    )
    .await;
    let active = app
        .graphql(
            "query($id: ID!) { layer(id: $id) { features(filter: { attributes: [{ name: \"actif\", equals: \"true\" }] }) { totalCount } } }",
            json!({ "id": flags["layer"]["id"] }),
        )
        .await;
    assert_eq!(
        active["data"]["layer"]["features"]["totalCount"], 1,
        "booleans compare as true/false on both backends: {active}"
    );

    // Exported as a shapefile that GDAL reads identically, and that imports back the same.
    let download = app
        .client
        .get(format!("{}/layers/{id}/export?format=shapefile", app.address))
        .bearer_auth(&app.admin_token)
        .send()
        .await
        .unwrap();
    assert_eq!(download.status(), 200);
    let bytes = download.bytes().await.unwrap().to_vec();
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("export.zip");
    std::fs::write(&path, &bytes).unwrap();
    let info = gdal(&["ogrinfo", "-ro", "-al", &format!("/vsizip/{}", path.display())]);
    assert!(info.contains("Feature Count: 3"), "{info}");
    assert!(info.contains("nom (String) = Franceville Nord"), "{info}");
    assert!(info.contains("nom (String) = Mékambo ? Bélinga"), "{info}");
    assert!(info.contains("POINT (13.58 -1.62)"), "{info}");
    let again = import(app, "export.zip", bytes, None).await;
    assert_eq!(again["status"], "SUCCEEDED", "{again}");
    assert_eq!(same_features(app, id, again["layer"]["id"].as_str().unwrap()).await, None);
}

/// The features of two layers, properties and geometry; `None` when equal.
/// A null property equals an absent one: CSV and DBF rows have every column.
/// GDAL and QGIS write the legacy `crs` member (the original app's own
/// `test_data/sample_deposits.geojson` has it): each common spelling is
/// understood, with the axis order it implies. Moanda is (13.2, -1.56).
async fn geojson_crs_members_are_understood_with_their_axis_order(app: &TestApp) {
    let cases = [
        ("urn:ogc:def:crs:OGC:1.3:CRS84", [13.2, -1.56], "EPSG:4326"),
        ("http://www.opengis.net/def/crs/OGC/1.3/CRS84", [13.2, -1.56], "EPSG:4326"),
        ("EPSG:4326", [13.2, -1.56], "EPSG:4326"),
        // The EPSG registry's order: latitude first.
        ("urn:ogc:def:crs:EPSG::4326", [-1.56, 13.2], "urn:ogc:def:crs:EPSG::4326"),
        ("http://www.opengis.net/def/crs/EPSG/0/4326", [-1.56, 13.2], "urn:ogc:def:crs:EPSG::4326"),
        // UTM 33S, easting first (by `gdaltransform -t_srs EPSG:32733`), as GDAL writes it.
        ("urn:ogc:def:crs:EPSG::32733", [299_745.690_208_515, 9_827_487.044_066_83], "EPSG:32733"),
        ("http://www.opengis.net/def/crs/EPSG/0/32733", [299_745.690_208_515, 9_827_487.044_066_83], "EPSG:32733"),
    ];
    for (n, (name, position, label)) in cases.into_iter().enumerate() {
        let file = json!({"type": "FeatureCollection", "name": "Gisements",
            "crs": {"type": "name", "properties": {"name": name}},
            "features": [{"type": "Feature", "properties": {"id": n, "nom": "Moanda"},
                          "geometry": {"type": "Point", "coordinates": position}}]});
        let done = import(app, &format!("crs-{n}.geojson"), file.to_string().into_bytes(), None).await;
        assert_eq!(done["status"], "SUCCEEDED", "{name}: {done}");
        assert_eq!(done["layer"]["sourceCrs"], label, "{name}");
        let read = app
            .graphql(
                "query($id: ID!) { layer(id: $id) { features { nodes { geometry } } } }",
                json!({ "id": done["layer"]["id"] }),
            )
            .await;
        let c = &read["data"]["layer"]["features"]["nodes"][0]["geometry"]["coordinates"];
        let (lon, lat) = (c[0].as_f64().unwrap(), c[1].as_f64().unwrap());
        assert!((lon - 13.2).abs() < 1e-7 && (lat + 1.56).abs() < 1e-7, "{name}: {c}");
    }
    // A spelling that names no CRS is still refused with the member named.
    let file = json!({"type": "FeatureCollection", "crs": {"type": "name", "properties": {"name": "urn:ogc:def:crs:OGC:1.3:CRS85"}},
        "features": [{"type": "Feature", "properties": {}, "geometry": {"type": "Point", "coordinates": [13.2, -1.56]}}]});
    let failed = import(app, "crs-bad.geojson", file.to_string().into_bytes(), None).await;
    assert_eq!(failed["status"], "FAILED", "{failed}");
    assert!(failed["error"].as_str().unwrap().contains("crs member"), "{failed}");
}

pub(crate) async fn same_features(app: &TestApp, a: &str, b: &str) -> Option<String> {
    let q = "query($id: ID!) { layer(id: $id) { features(first: 100) { edges { node { properties geometry } } } } }";
    let features = |answer: Value| -> Value {
        let mut edges = answer["data"]["layer"]["features"]["edges"].clone();
        for edge in edges.as_array_mut().unwrap() {
            edge["node"]["properties"].as_object_mut().unwrap().retain(|_, v| !v.is_null());
        }
        edges
    };
    let fa = features(app.graphql(q, json!({ "id": a })).await);
    let fb = features(app.graphql(q, json!({ "id": b })).await);
    crate::helpers::json_diff(&fa, &fb, "features")
}

const KML: &str = r##"<?xml version="1.0" encoding="UTF-8"?>
<kml xmlns="http://www.opengis.net/kml/2.2"><Document><name>Prospection</name>
  <Schema id="s"><SimpleField name="permis" type="string"/></Schema>
  <Folder><name>Haut-Ogooué</name>
    <Folder><name>Moanda</name>
      <Placemark id="pm1"><name>Puits 1</name><description>Manganèse &amp; fer</description>
        <ExtendedData><Data name="profondeur"><value>42.5</value></Data></ExtendedData>
        <Point><coordinates>13.20,-1.56,310</coordinates></Point></Placemark>
    </Folder>
    <Placemark><name>Concession</name>
      <ExtendedData><SchemaData schemaUrl="#s"><SimpleData name="permis">PE-2019-04</SimpleData></SchemaData></ExtendedData>
      <MultiGeometry>
        <Polygon><outerBoundaryIs><LinearRing><coordinates>13.1,-1.6 13.3,-1.6 13.3,-1.4 13.1,-1.4 13.1,-1.6</coordinates></LinearRing></outerBoundaryIs>
          <innerBoundaryIs><LinearRing><coordinates>13.15,-1.55 13.2,-1.55 13.2,-1.5 13.15,-1.55</coordinates></LinearRing></innerBoundaryIs></Polygon>
        <Polygon><outerBoundaryIs><LinearRing><coordinates>13.4,-1.6 13.5,-1.6 13.5,-1.5 13.4,-1.6</coordinates></LinearRing></outerBoundaryIs></Polygon>
      </MultiGeometry></Placemark>
  </Folder>
  <Placemark><name>Piste</name><LineString><coordinates>13.0,-1.0 13.1,-1.1 13.2,-1.1</coordinates></LineString></Placemark>
</Document></kml>"##;

const GPX: &str = r#"<?xml version="1.0"?>
<gpx version="1.1" creator="test" xmlns="http://www.topografix.com/GPX/1/1">
  <wpt lat="-1.56" lon="13.2"><ele>310</ele><name>Camp</name></wpt>
  <rte><name>Accès</name><rtept lat="-1.5" lon="13.1"/><rtept lat="-1.6" lon="13.2"/></rte>
  <trk><name>Relevé</name><trkseg><trkpt lat="-1.5" lon="13.1"/><trkpt lat="-1.51" lon="13.11"/></trkseg></trk>
</gpx>"#;

fn kmz() -> Vec<u8> {
    let mut out = std::io::Cursor::new(Vec::new());
    let mut zip = zip::ZipWriter::new(&mut out);
    zip.start_file("doc.kml", zip::write::SimpleFileOptions::default()).unwrap();
    zip.write_all(KML.as_bytes()).unwrap();
    zip.finish().unwrap();
    out.into_inner()
}

async fn every_format_is_imported_with_its_attributes(app: &TestApp) {
    let cases: Vec<(&str, Vec<u8>, &str, u64, Value)> = vec![
        (
            "collection.geojson",
            json!({"type": "FeatureCollection", "features": [
                {"type": "Feature", "id": 7, "properties": {"nom": "A", "n": 1}, "geometry": {"type": "Point", "coordinates": [13.2, -1.5]}},
                {"type": "Feature", "properties": {"nom": "B", "n": 2.5}, "geometry": {"type": "LineString", "coordinates": [[13, -1], [13.1, -1.1]]}}
            ]})
            .to_string()
            .into_bytes(),
            "GEOJSON",
            2,
            json!({"nom": "A", "n": 1}),
        ),
        (
            "feature.json",
            json!({"type": "Feature", "properties": {"nom": "Seul"}, "geometry": {"type": "Point", "coordinates": [9.45, 0.39]}})
                .to_string()
                .into_bytes(),
            "GEOJSON",
            1,
            json!({"nom": "Seul"}),
        ),
        ("bare.geojson", br#"{"type": "Point", "coordinates": [9.45, 0.39]}"#.to_vec(), "GEOJSON", 1, json!({})),
        (
            "lines.geojsonl",
            b"{\"type\":\"Feature\",\"properties\":{\"k\":\"x\"},\"geometry\":{\"type\":\"Point\",\"coordinates\":[1,2]}}\n\n{\"type\":\"Feature\",\"properties\":{\"k\":\"y\"},\"geometry\":{\"type\":\"Point\",\"coordinates\":[3,4]}}\n".to_vec(),
            "GEOJSONSEQ",
            2,
            json!({"k": "x"}),
        ),
        (
            "puits.csv",
            "# relevé de terrain\nnom;latitude;longitude;teneur;code\nPuits A;-1,56;13,2;41,5;007\nPuits B;-1.60;13.25;;012\n".as_bytes().to_vec(),
            "CSV",
            2,
            json!({"nom": "Puits A", "teneur": 41.5, "code": "007"}),
        ),
        (
            "zones.txt",
            "id\tWKT\n1\tPOLYGON((13 -1, 13.1 -1, 13.1 -1.1, 13 -1))\n".as_bytes().to_vec(),
            "CSV",
            1,
            json!({"id": 1}),
        ),
        ("prospection.kml", KML.as_bytes().to_vec(), "KML", 3, json!({"name": "Puits 1", "description": "Manganèse & fer", "profondeur": 42.5, "folder": "Haut-Ogooué / Moanda"})),
        ("prospection.kmz", kmz(), "KMZ", 3, json!({"name": "Puits 1", "description": "Manganèse & fer", "profondeur": 42.5, "folder": "Haut-Ogooué / Moanda"})),
        ("trace.gpx", GPX.as_bytes().to_vec(), "GPX", 3, json!({"gpx_kind": "waypoint", "name": "Camp", "description": null, "comment": null, "type": null, "elevation": 310.0})),
    ];
    for (name, bytes, format, count, first_properties) in cases {
        let done = import(app, name, bytes, None).await;
        assert_eq!(done["status"], "SUCCEEDED", "{name}: {done}");
        assert_eq!(done["format"], format, "{name}");
        assert_eq!(done["layer"]["featureCount"], count, "{name}: {done}");
        let id = done["layer"]["id"].as_str().unwrap();
        let first = app
            .graphql(
                "query($id: ID!) { layer(id: $id) { features(first: 1) { edges { node { properties } } } } }",
                json!({ "id": id }),
            )
            .await;
        assert_eq!(first["data"]["layer"]["features"]["edges"][0]["node"]["properties"], first_properties, "{name}");
    }
    // The KML concession kept its hole and its two parts, and its SimpleData.
    let concession = app
        .graphql(
            "{ layers(first: 100) { edges { node { name features(filter: { attributes: [{ name: \"permis\", equals: \"PE-2019-04\" }] }) { edges { node { geometry properties } } } } } } }",
            json!({}),
        )
        .await;
    let found: Vec<&Value> = concession["data"]["layers"]["edges"]
        .as_array()
        .unwrap()
        .iter()
        .flat_map(|l| l["node"]["features"]["edges"].as_array().unwrap())
        .collect();
    assert_eq!(found.len(), 2, "KML and KMZ: {concession}");
    // Statistics of the KML layer: three features, a polygon's area, a line's length, the folders.
    let stats = app
        .graphql(
            "{ layers(filter: { search: \"prospection.kml\" }) { edges { node { statistics(attribute: \"folder\") {
                count bbox totalAreaKm2 totalLengthKm distinctValues { value count } } } } } }",
            json!({}),
        )
        .await;
    let s = &stats["data"]["layers"]["edges"][0]["node"]["statistics"];
    assert_eq!(s["count"], 3, "{stats}");
    assert!(s["totalAreaKm2"].as_f64().unwrap() > 100.0, "{stats}");
    assert!(s["totalLengthKm"].as_f64().unwrap() > 10.0, "{stats}");
    assert_eq!(
        s["distinctValues"],
        // Most frequent first, then by the value's JSON text, byte by byte, on both backends.
        json!([{"value": "Haut-Ogooué / Moanda", "count": 1}, {"value": "Haut-Ogooué", "count": 1}, {"value": null, "count": 1}])
    );
    let geometry = &found[0]["node"]["geometry"];
    assert_eq!(geometry["type"], "MultiPolygon");
    assert_eq!(geometry["coordinates"][0].as_array().unwrap().len(), 2, "outer ring and hole");
}

/// A CSV of one point with `n` attribute columns besides lon and lat.
fn wide_csv(n: usize) -> Vec<u8> {
    let names: Vec<String> = (0..n).map(|i| format!("c{i}")).collect();
    format!("lon,lat,{}\n13,-1,{}\n", names.join(","), vec!["1"; n].join(",")).into_bytes()
}

/// A GeoJSON point with `n` properties.
fn wide_geojson(n: usize) -> Vec<u8> {
    let properties: serde_json::Map<String, Value> = (0..n).map(|i| (format!("p{i}"), json!(i))).collect();
    json!({"type": "FeatureCollection", "features": [
        {"type": "Feature", "properties": properties, "geometry": {"type": "Point", "coordinates": [13, -1]}}]})
    .to_string()
    .into_bytes()
}

async fn malformed_files_are_refused_with_their_place_and_nothing_is_written(app: &TestApp) {
    let shp_a = utm_shapefile(true, true);
    // A .dbf from another file with another number of records.
    let mismatched = {
        let dir = tempfile::tempdir().unwrap();
        let mut archive = zip::ZipArchive::new(std::io::Cursor::new(shp_a.clone())).unwrap();
        archive.extract(dir.path()).unwrap();
        let other = tempfile::tempdir().unwrap();
        let src = other.path().join("one.geojson");
        std::fs::write(&src, r#"{"type":"FeatureCollection","features":[{"type":"Feature","properties":{"nom":"x"},"geometry":{"type":"Point","coordinates":[1,1]}}]}"#).unwrap();
        gdal(&["ogr2ogr", "-f", "ESRI Shapefile", other.path().join("o").to_str().unwrap(), src.to_str().unwrap()]);
        std::fs::copy(other.path().join("o/one.dbf"), dir.path().join("gisements.dbf")).unwrap();
        zip_dir(dir.path())
    };
    let cases: Vec<(&str, Vec<u8>, Option<&str>, &str)> = vec![
        ("tronque.zip", shp_a[..shp_a.len() / 2].to_vec(), None, "tronque.zip: not a readable ZIP archive"),
        ("melange.zip", mismatched, None, "the .shp has 3 shapes but the .dbf 1 records"),
        ("sans-prj.zip", utm_shapefile(false, true), None, "declare it with the `crs` argument"),
        ("casse.kml", KML.as_bytes()[..KML.len() - 40].to_vec(), None, "casse.kml (byte"),
        ("mauvais.kml", b"<kml><Document><Placemark></Document></kml>".to_vec(), None, "mauvais.kml (byte"),
        ("points.csv", b"nom lat lon\nA 1 2\n".to_vec(), None, "no coordinate columns"),
        ("virgules.csv", b"nom,lat,lon\nA,1,2,3\n".to_vec(), None, "virgules.csv (line 2): 4 fields where the header has 3"),
        ("texte.csv", b"nom,lat,lon\nA,1,2\nB,nord,2\n".to_vec(), None, "texte.csv (line 3): `nord` in column lat is not a number"),
        ("inconnu.bin", vec![0u8, 159, 146, 150], None, "inconnu.bin: unknown format"),
        ("vide.geojson", br#"{"type":"FeatureCollection","features":[]}"#.to_vec(), None, "the file holds no feature"),
        (
            "hors.geojson",
            br#"{"type":"FeatureCollection","features":[{"type":"Feature","properties":{},"geometry":{"type":"Point","coordinates":[550000,43000]}}]}"#.to_vec(),
            None,
            "no valid feature among 1 (position (550000, 43000) is outside",
        ),
        ("json.geojson", b"{\"type\":\"FeatureCollection\",\"features\":[{\"type\":".to_vec(), None, "json.geojson (line 1, column"),
        ("crs.geojson", br#"{"type":"Point","coordinates":[1,2]}"#.to_vec(), Some("EPSG:12345678"), "EPSG:12345678"),
        // Too many attributes: refused from the header, not after minutes of work (it was quadratic).
        ("colonnes.csv", wide_csv(200_000), None, "colonnes.csv (line 1): 200002 columns: a layer holds at most 1000"),
        ("proprietes.geojson", wide_geojson(1001), None, "more than 1000 attributes (at `p1000`)"),
    ];
    for (name, bytes, crs, expected) in cases {
        let preview = upload(app, Some(&app.admin_token), PREVIEW, json!({ "crs": crs }), name, bytes.clone()).await;
        let error = &preview["errors"][0];
        assert_eq!(error["extensions"]["code"], "BAD_USER_INPUT", "{name}: {preview}");
        let message = error["message"].as_str().unwrap();
        assert!(message.contains(expected), "{name}: {message}");
        if crs.is_none() {
            let done = import(app, name, bytes, None).await;
            assert_eq!(done["status"], "FAILED", "{name}: {done}");
            assert!(done["error"].as_str().unwrap().contains(expected), "{name}: {done}");
            assert_eq!(done["layer"], Value::Null);
        }
    }
    assert_eq!(layer_count(app).await, 0, "no failed import left a layer");
    // Skipped features are reported one by one, not silently dropped.
    let mixed = br#"{"type":"FeatureCollection","features":[
        {"type":"Feature","properties":{"n":1},"geometry":{"type":"Point","coordinates":[13,-1]}},
        {"type":"Feature","properties":{"n":2},"geometry":null},
        {"type":"Feature","properties":{"n":3},"geometry":{"type":"Polygon","coordinates":[[[0,0],[1,1],[1,0],[0,1],[0,0]]]}}]}"#;
    let done = import(app, "mixte.geojson", mixed.to_vec(), None).await;
    assert_eq!(done["status"], "SUCCEEDED");
    assert_eq!(done["featuresWritten"], 1);
    let warnings = done["warnings"].as_array().unwrap();
    assert_eq!(warnings.len(), 2, "{done}");
    assert_eq!(warnings[0]["index"], 1);
    assert_eq!(warnings[0]["reason"], "no geometry");
    assert!(warnings[1]["reason"].as_str().unwrap().starts_with("invalid geometry"), "{done}");
}

async fn exports_are_read_by_gdal_and_import_back_the_same(app: &TestApp) {
    let done = import(app, "prospection.kml", KML.as_bytes().to_vec(), None).await;
    let id = done["layer"]["id"].as_str().unwrap().to_owned();
    let geojson = json!({"type": "FeatureCollection", "features": [
        {"type": "Feature", "properties": {"nom": "Mine « Nord »", "t": 1.5, "actif": true, "code": "007", "date": "2024-05-01"},
         "geometry": {"type": "Point", "coordinates": [13.2, -1.5]}},
        {"type": "Feature", "properties": {"nom": "Sud, \"B\"", "t": null, "actif": false, "code": "012", "date": null},
         "geometry": {"type": "Point", "coordinates": [13.3, -1.6]}}
    ]});
    let points = import(app, "points.geojson", geojson.to_string().into_bytes(), None).await;
    let points_id = points["layer"]["id"].as_str().unwrap().to_owned();
    let dir = tempfile::tempdir().unwrap();
    for (layer, formats) in
        [(&id, vec!["geojson", "csv", "kml"]), (&points_id, vec!["geojson", "csv", "kml", "shapefile"])]
    {
        for format in formats {
            let response = app
                .client
                .get(format!("{}/layers/{layer}/export?format={format}&access_token={}", app.address, app.admin_token))
                .send()
                .await
                .unwrap();
            assert_eq!(response.status(), 200, "{format}");
            let disposition = response.headers()["content-disposition"].to_str().unwrap().to_owned();
            let file_name = disposition.split('"').nth(1).unwrap().to_owned();
            let bytes = response.bytes().await.unwrap().to_vec();
            let path = dir.path().join(format!("{layer}-{file_name}"));
            std::fs::write(&path, &bytes).unwrap();
            let gdal_path =
                if format == "shapefile" { format!("/vsizip/{}", path.display()) } else { path.display().to_string() };
            let info = gdal(&["ogrinfo", "-ro", "-al", "-so", &gdal_path]);
            let expected = if *layer == id { 3 } else { 2 };
            assert!(info.contains(&format!("Feature Count: {expected}")), "{format}: {info}");
            let again = import(app, &file_name, bytes, None).await;
            assert_eq!(again["status"], "SUCCEEDED", "{format}: {again}");
            if format == "kml" && *layer == id {
                // Folders are not written back; everything else is.
                continue;
            }
            let diff = same_features(app, layer, again["layer"]["id"].as_str().unwrap()).await;
            assert_eq!(diff, None, "{format} round trip");
        }
    }
}

async fn roles_and_visibility_apply_to_layers(app: &TestApp) {
    let partner = app.token("partenaire").await;
    let refused = upload(
        app,
        Some(&partner),
        IMPORT,
        json!({ "input": { "name": "x" } }),
        "x.geojson",
        br#"{"type":"Point","coordinates":[1,2]}"#.to_vec(),
    )
    .await;
    assert_eq!(refused["errors"][0]["extensions"]["code"], "FORBIDDEN", "{refused}");
    let anonymous =
        upload(app, None, PREVIEW, json!({}), "x.geojson", br#"{"type":"Point","coordinates":[1,2]}"#.to_vec()).await;
    assert_eq!(anonymous["errors"][0]["extensions"]["code"], "UNAUTHENTICATED", "{anonymous}");
    let private = import(app, "prive.geojson", br#"{"type":"Point","coordinates":[1,2]}"#.to_vec(), None).await;
    let private_id = private["layer"]["id"].as_str().unwrap().to_owned();
    let public = app
        .graphql(
            "mutation($id: ID!) { updateLayer(id: $id, input: { public: true, name: \"Publique\", style: { color: \"#ff0000\" } }) { public name style } }",
            json!({ "id": private_id }),
        )
        .await;
    assert_eq!(public["data"]["updateLayer"]["public"], true, "{public}");
    assert_eq!(public["data"]["updateLayer"]["style"]["color"], "#ff0000");
    assert_eq!(public["data"]["updateLayer"]["style"]["pointRadius"], 5, "the rest of the style is kept");
    let other = import(app, "autre.geojson", br#"{"type":"Point","coordinates":[1,2]}"#.to_vec(), None).await;
    let other_id = other["layer"]["id"].as_str().unwrap().to_owned();
    // The demo turns public read on: anonymous readers see public layers only.
    let seen = app.anonymous("{ layers { totalCount edges { node { name } } } }", json!({})).await;
    assert_eq!(seen["data"]["layers"]["totalCount"], 1, "{seen}");
    let hidden = app.client.get(format!("{}/layers/{other_id}/export", app.address)).send().await.unwrap();
    assert_eq!(hidden.status(), 404);
    let deleted = app.graphql("mutation($id: ID!) { deleteLayer(id: $id) }", json!({ "id": other_id })).await;
    assert_eq!(deleted["data"]["deleteLayer"], other_id.as_str());
    let gone = app.graphql("query($id: ID!) { layer(id: $id) { id } }", json!({ "id": other_id })).await;
    assert_eq!(gone["data"]["layer"], Value::Null);
}

async fn admin_get(app: &TestApp, path: &str) -> reqwest::Response {
    app.client.get(format!("{}{path}", app.address)).bearer_auth(&app.admin_token).send().await.unwrap()
}

async fn a_layer_is_a_tile_source_that_follows_its_edits_and_its_visibility(app: &TestApp) {
    let geojson = json!({"type": "FeatureCollection", "features": [
        {"type": "Feature", "properties": {"nom": "Puits Moanda", "teneur": 48.5, "actif": true},
         "geometry": {"type": "Point", "coordinates": [13.2, -1.56]}},
        {"type": "Feature", "properties": {"nom": "Loin", "teneur": 3},
         "geometry": {"type": "Point", "coordinates": [9.45, 0.39]}}
    ]});
    let done = import(app, "puits.geojson", geojson.to_string().into_bytes(), None).await;
    let id = done["layer"]["id"].as_str().unwrap().to_owned();
    let source = format!("layer-{id}");
    let tilejson: Value = admin_get(app, &format!("/tiles/{source}.json")).await.json().await.unwrap();
    assert_eq!(tilejson["vector_layers"][0]["id"], source.as_str(), "{tilejson}");
    assert_eq!(
        tilejson["vector_layers"][0]["fields"],
        json!({"id": "Number", "nom": "String", "teneur": "Number", "actif": "Boolean"})
    );
    let bounds: Vec<f64> = serde_json::from_value(tilejson["bounds"].clone()).unwrap();
    assert_eq!(bounds, vec![9.45, -1.56, 13.2, 0.39]);
    // Moanda at zoom 8 is tile 137/129.
    let tile = admin_get(app, &format!("/tiles/{source}/8/137/129.mvt")).await;
    assert_eq!(tile.status(), 200);
    let reader = mvt_reader::Reader::new(tile.bytes().await.unwrap().to_vec()).unwrap();
    assert_eq!(reader.get_layer_names().unwrap(), vec![source.clone()]);
    let features = reader.get_features(0).unwrap();
    assert_eq!(features.len(), 1);
    let properties = features[0].properties.clone().unwrap();
    assert_eq!(format!("{:?}", properties["nom"]), "String(\"Puits Moanda\")");
    // Moving the feature away empties its old tile at the next request.
    let feature_id = app
        .graphql(
            "query($id: ID!) { layer(id: $id) { features(filter: { attributes: [{ name: \"nom\", equals: \"Puits Moanda\" }] }) { edges { node { id } } } } }",
            json!({ "id": id }),
        )
        .await["data"]["layer"]["features"]["edges"][0]["node"]["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let moved = app
        .graphql(
            "mutation($id: ID!) { updateLayerFeature(id: $id, input: { geometry: { type: \"Point\", coordinates: [11.0, -3.0] } }) { geometry } }",
            json!({ "id": feature_id }),
        )
        .await;
    assert_eq!(moved["data"]["updateLayerFeature"]["geometry"]["coordinates"], json!([11.0, -3.0]), "{moved}");
    assert_eq!(admin_get(app, &format!("/tiles/{source}/8/137/129.mvt")).await.status(), 204);
    // A private layer is no source for anonymous readers.
    let anonymous = app.client.get(format!("{}/tiles/{source}.json", app.address)).send().await.unwrap();
    assert_eq!(anonymous.status(), 404);
    let anonymous_tile = app.client.get(format!("{}/tiles/{source}/8/137/129.mvt", app.address)).send().await.unwrap();
    assert_eq!(anonymous_tile.status(), 404);
    assert_eq!(admin_get(app, "/tiles/layer-999999.json").await.status(), 404);
}

async fn a_public_layer_is_an_ogc_collection_gdal_reads(app: &TestApp) {
    let done = import(app, "prospection.kml", KML.as_bytes().to_vec(), None).await;
    let id = done["layer"]["id"].as_str().unwrap().to_owned();
    let collection = format!("layer-{id}");
    // Private: not listed for anonymous readers, and not reachable.
    let listed = |body: &Value| body["collections"].as_array().unwrap().iter().any(|c| c["id"] == collection.as_str());
    let anonymous: Value = app.get("/collections?f=json").await.json().await.unwrap();
    assert!(!listed(&anonymous));
    assert_eq!(app.get(&format!("/collections/{collection}/items")).await.status(), 404);
    app.graphql("mutation($id: ID!) { updateLayer(id: $id, input: { public: true }) { id } }", json!({ "id": id }))
        .await;
    let anonymous: Value = app.get("/collections?f=json").await.json().await.unwrap();
    assert!(listed(&anonymous), "{anonymous}");
    let page: Value = app.get(&format!("/collections/{collection}/items?limit=2")).await.json().await.unwrap();
    assert_eq!(page["numberMatched"], 3);
    assert_eq!(page["numberReturned"], 2);
    assert!(page["links"].as_array().unwrap().iter().any(|l| l["rel"] == "next"));
    let filtered: Value = app.get(&format!("/collections/{collection}/items?name=Piste")).await.json().await.unwrap();
    assert_eq!(filtered["numberMatched"], 1, "{filtered}");
    let bad = app.get(&format!("/collections/{collection}/items?nope=1")).await;
    assert_eq!(bad.status(), 400);
    let first = page["features"][0]["id"].as_i64().unwrap();
    let item: Value = app
        .get(&format!("/collections/{collection}/items/{first}?crs=http://www.opengis.net/def/crs/EPSG/0/3857"))
        .await
        .json()
        .await
        .unwrap();
    let x = item["geometry"]["coordinates"][0].as_f64().unwrap();
    assert!((x - 13.20_f64.to_radians() * 6_378_137.0).abs() < 0.01, "{item}");
    // GDAL's OAPIF driver downloads it.
    let target = tempfile::tempdir().unwrap();
    let out = target.path().join("layer.geojson");
    gdal(&[
        "ogr2ogr",
        "-f",
        "GeoJSON",
        out.to_str().unwrap(),
        &format!("OAPIF:{}/collections/{collection}", app.address),
    ]);
    let downloaded: Value = serde_json::from_str(&std::fs::read_to_string(&out).unwrap()).unwrap();
    assert_eq!(downloaded["features"].as_array().unwrap().len(), 3);
}

async fn filtered_domain_sets_export_in_every_format(app: &TestApp) {
    // Manganese deposits around Moanda, as the OGC items list them.
    let filter = "bbox=12.5,-2.2,14,-1&commodityCode=MN";
    let listed: Value =
        app.get(&format!("/collections/deposits/items?{filter}&limit=1000")).await.json().await.unwrap();
    let expected = listed["numberMatched"].as_u64().unwrap();
    assert!(expected >= 3, "{listed}");
    let dir = tempfile::tempdir().unwrap();
    for (format, gdal_prefix) in [("geojson", ""), ("csv", ""), ("kml", ""), ("gpkg", "")] {
        let response = app.get(&format!("/collections/deposits/export?format={format}&{filter}")).await;
        assert_eq!(response.status(), 200, "{format}");
        let name = response.headers()["content-disposition"].to_str().unwrap().split('"').nth(1).unwrap().to_owned();
        let path = dir.path().join(&name);
        std::fs::write(&path, response.bytes().await.unwrap()).unwrap();
        let info = gdal(&["ogrinfo", "-ro", "-al", "-so", &format!("{gdal_prefix}{}", path.display())]);
        assert!(info.contains(&format!("Feature Count: {expected}")), "{format}: {info}");
        // DBF names stop at 10 characters; GDAL's KML driver may not read ExtendedData.
        let column = if format == "shapefile" { "commodityC" } else { "commodityCode" };
        assert!(format == "kml" || info.contains(column), "{format}: the attributes come along: {info}");
    }
    // Deposits are points and outlines: a shapefile holds one kind, and says so.
    let mixed = app.get(&format!("/collections/deposits/export?format=shapefile&{filter}")).await;
    assert_eq!(mixed.status(), 400);
    assert!(mixed.text().await.unwrap().contains("one kind of geometry"));
    let areas: Value = app.get("/collections/exploitation-areas/items?status=ACTIVE").await.json().await.unwrap();
    let response = app.get("/collections/exploitation-areas/export?format=shapefile&status=ACTIVE").await;
    assert_eq!(response.status(), 200);
    let path = dir.path().join("areas.zip");
    std::fs::write(&path, response.bytes().await.unwrap()).unwrap();
    let info = gdal(&["ogrinfo", "-ro", "-al", "-so", &format!("/vsizip/{}", path.display())]);
    assert!(info.contains(&format!("Feature Count: {}", areas["numberMatched"])), "{info}");
    assert!(info.contains("permitNumb"), "{info}");
    let bad = app.get("/collections/deposits/export?format=dxf").await;
    assert_eq!(bad.status(), 400);
    let projected =
        app.get("/collections/deposits/export?format=csv&crs=http://www.opengis.net/def/crs/EPSG/0/3857").await;
    assert_eq!(projected.status(), 400);
}

const PROGRESS: &str = "subscription($id: ID!) { importProgress(id: $id) { id status featuresWritten layerId error } }";

async fn import_progress_is_pushed_over_a_websocket_until_the_end(app: &TestApp) {
    let features: Vec<Value> = (0..5000)
        .map(|i| json!({"type": "Feature", "properties": {"n": i}, "geometry": {"type": "Point", "coordinates": [9.0 + i as f64 / 1e4, -1.0]}}))
        .collect();
    let file = json!({"type": "FeatureCollection", "features": features}).to_string().into_bytes();
    let started = upload(
        app,
        Some(&app.admin_token),
        IMPORT,
        json!({ "input": { "name": "Progression" } }),
        "points.geojson",
        file,
    )
    .await;
    let id = started["data"]["importLayer"]["id"].as_str().unwrap().to_owned();
    let url = format!("{}/graphql", app.address.replace("http://", "ws://"));
    let (socket, _) = tokio_tungstenite::connect_async(crate::helpers::websocket_request(&url)).await.unwrap();
    let updates = crate::helpers::subscription(socket, &app.admin_token, PROGRESS, json!({ "id": id })).await;
    let last = &updates.last().expect("at least one update")["data"]["importProgress"];
    assert_eq!(last["status"], "SUCCEEDED", "{updates:?}");
    assert_eq!(last["featuresWritten"], 5000);
    assert!(last["layerId"].is_string());
    // Counts only grow.
    let written: Vec<u64> =
        updates.iter().map(|u| u["data"]["importProgress"]["featuresWritten"].as_u64().unwrap()).collect();
    assert!(written.windows(2).all(|w| w[0] <= w[1]), "{written:?}");
    // Without a token the subscription is refused.
    let (socket, _) = tokio_tungstenite::connect_async(crate::helpers::websocket_request(&url)).await.unwrap();
    let refused = crate::helpers::subscription(socket, "not-a-token", PROGRESS, json!({ "id": id })).await;
    assert_eq!(refused.len(), 1);
    assert_eq!(refused[0]["errors"][0]["extensions"]["code"], "UNAUTHENTICATED", "{refused:?}");
}

async fn ogc_item_pages_stream_in_chunks_and_speak_html_to_browsers(app: &TestApp) {
    let features: Vec<Value> = (0..1234)
        .map(|i| {
            json!({"type": "Feature", "properties": {"n": i, "nom": format!("<b>{i}</b>")},
                        "geometry": {"type": "Point", "coordinates": [9.0 + i as f64 / 1e4, -1.0]}})
        })
        .collect();
    let done = import(
        app,
        "points.geojson",
        json!({"type": "FeatureCollection", "features": features}).to_string().into_bytes(),
        None,
    )
    .await;
    let id = done["layer"]["id"].as_str().unwrap().to_owned();
    app.graphql("mutation($id: ID!) { updateLayer(id: $id, input: { public: true }) { id } }", json!({ "id": id }))
        .await;
    let items = format!("/collections/layer-{id}/items");
    // 1 100 features: three chunks of the database, one JSON document.
    let response = app.get(&format!("{items}?limit=1100&offset=100")).await;
    assert_eq!(response.headers()["content-type"], "application/geo+json");
    let page: Value = response.json().await.unwrap();
    assert_eq!(page["numberMatched"], 1234);
    assert_eq!(page["numberReturned"], 1100);
    let list = page["features"].as_array().unwrap();
    assert_eq!(list.len(), 1100);
    let ns: Vec<i64> = list.iter().map(|f| f["properties"]["n"].as_i64().unwrap()).collect();
    assert_eq!(ns, (100..1200).collect::<Vec<_>>(), "in order, without gaps or repeats");
    let last: Value = app.get(&format!("{items}?limit=1000&offset=1200")).await.json().await.unwrap();
    assert_eq!(last["numberReturned"], 34);
    assert_eq!(last["features"].as_array().unwrap().len(), 34);
    assert!(!last["links"].as_array().unwrap().iter().any(|l| l["rel"] == "next"));
    // Browsers get HTML, escaped.
    let html = app
        .client
        .get(format!("{}{items}?limit=5", app.address))
        .header("Accept", "text/html,*/*;q=0.8")
        .send()
        .await
        .unwrap();
    assert!(html.headers()["content-type"].to_str().unwrap().starts_with("text/html"));
    let text = html.text().await.unwrap();
    assert!(
        text.contains("1234 features") && text.contains("&lt;b&gt;3&lt;/b&gt;") && !text.contains("<b>3</b>"),
        "{text}"
    );
    let first = page["features"][0]["id"].as_i64().unwrap();
    let item = app.get(&format!("{items}/{first}?f=html")).await.text().await.unwrap();
    assert!(item.contains("<th>nom</th><td>&lt;b&gt;100&lt;/b&gt;</td>"), "{item}");
}

crate::on_both_backends!(
    geojson_crs_members_are_understood_with_their_axis_order,
    ogc_item_pages_stream_in_chunks_and_speak_html_to_browsers,
    filtered_domain_sets_export_in_every_format,
    import_progress_is_pushed_over_a_websocket_until_the_end,
    a_public_layer_is_an_ogc_collection_gdal_reads,
    a_layer_is_a_tile_source_that_follows_its_edits_and_its_visibility,
    a_utm_shapefile_is_previewed_imported_found_and_exported_back,
    every_format_is_imported_with_its_attributes,
    malformed_files_are_refused_with_their_place_and_nothing_is_written,
    exports_are_read_by_gdal_and_import_back_the_same,
    roles_and_visibility_apply_to_layers,
);

/// (feature id, properties as text) of each feature of a tile, sorted.
pub(crate) fn tile_features(bytes: Vec<u8>) -> Vec<(u64, std::collections::BTreeMap<String, String>)> {
    let reader = mvt_reader::Reader::new(bytes).expect("a valid MVT");
    let mut out: Vec<_> = reader
        .get_features(0)
        .unwrap()
        .into_iter()
        .map(|f| {
            // Integers may be encoded signed or unsigned, numbers as float or double: compare values.
            let props = f
                .properties
                .unwrap_or_default()
                .into_iter()
                .map(|(k, v)| {
                    let text = match v {
                        mvt_reader::feature::Value::String(s) => s,
                        mvt_reader::feature::Value::Bool(b) => b.to_string(),
                        mvt_reader::feature::Value::Float(n) => f64::from(n).to_string(),
                        mvt_reader::feature::Value::Double(n) => n.to_string(),
                        mvt_reader::feature::Value::Int(n) => (n as f64).to_string(),
                        mvt_reader::feature::Value::UInt(n) => (n as f64).to_string(),
                        mvt_reader::feature::Value::SInt(n) => (n as f64).to_string(),
                        other => format!("{other:?}"),
                    };
                    (k, text)
                })
                .collect();
            (f.id.expect("an id"), props)
        })
        .collect();
    out.sort();
    out
}

/// PostGIS builds layer tiles with ST_AsMVT, SQLite in Rust: the same features come out.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn layer_tiles_hold_the_same_features_on_both_backends() {
    let Some(postgis) = crate::helpers::spawn_app(crate::helpers::Backend::Postgis).await else { return };
    let sqlite = crate::helpers::spawn_app(crate::helpers::Backend::Sqlite).await.unwrap();
    let mut sources = Vec::new();
    for app in [&sqlite, &postgis] {
        let done = import(app, "prospection.kml", KML.as_bytes().to_vec(), None).await;
        sources.push(format!("layer-{}", done["layer"]["id"].as_str().unwrap()));
    }
    assert_eq!(sources[0], sources[1], "both start from an empty database");
    for (z, x, y) in [(8, 137, 129), (6, 34, 32), (12, 2198, 2065), (0, 0, 0)] {
        let path = format!("/tiles/{}/{z}/{x}/{y}.mvt", sources[0]);
        let a = admin_get(&sqlite, &path).await;
        let b = admin_get(&postgis, &path).await;
        assert_eq!(a.status(), b.status(), "{path}");
        if a.status() == 204 {
            continue;
        }
        let (fa, fb) =
            (tile_features(a.bytes().await.unwrap().to_vec()), tile_features(b.bytes().await.unwrap().to_vec()));
        assert!(!fa.is_empty(), "{path}");
        assert_eq!(fa, fb, "{path}");
    }
}

fn zip_of(entries: &[(&str, Vec<u8>)]) -> Vec<u8> {
    let mut out = std::io::Cursor::new(Vec::new());
    let mut zip = zip::ZipWriter::new(&mut out);
    let options = zip::write::SimpleFileOptions::default().compression_method(zip::CompressionMethod::Deflated);
    for (name, bytes) in entries {
        zip.start_file(*name, options).unwrap();
        zip.write_all(bytes).unwrap();
    }
    zip.finish().unwrap();
    out.into_inner()
}

/// Archive and size limits hold whatever an archive declares.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn archives_beyond_the_limits_and_unsafe_entry_names_are_refused() {
    let limits = [
        ("ODG_IMPORT_MAX_UNCOMPRESSED_MB", "1"),
        ("ODG_IMPORT_MAX_ARCHIVE_ENTRIES", "4"),
        ("ODG_IMPORT_MAX_FEATURES", "2"),
    ];
    let app = crate::helpers::spawn_with(crate::helpers::Backend::Sqlite, true, &limits).await.unwrap();
    // 8 MiB of zeros deflate to a few kB: a small bomb.
    let bomb = zip_of(&[("a.shp", vec![0; 8 << 20]), ("a.shx", vec![0; 100]), ("a.dbf", vec![0; 100])]);
    assert!(bomb.len() < 64 * 1024, "{} bytes", bomb.len());
    let traversal = zip_of(&[("../../etc/a.shp", vec![0; 100]), ("a.shx", vec![0; 10]), ("a.dbf", vec![0; 10])]);
    let absolute = zip_of(&[("/tmp/a.kml", b"<kml/>".to_vec())]);
    let many: Vec<(String, Vec<u8>)> = (0..6).map(|i| (format!("f{i}.txt"), vec![b'x'; 10])).collect();
    let many = zip_of(&many.iter().map(|(n, b)| (n.as_str(), b.clone())).collect::<Vec<_>>());
    let three = br#"{"type":"FeatureCollection","features":[
        {"type":"Feature","properties":{},"geometry":{"type":"Point","coordinates":[1,1]}},
        {"type":"Feature","properties":{},"geometry":{"type":"Point","coordinates":[2,2]}},
        {"type":"Feature","properties":{},"geometry":{"type":"Point","coordinates":[3,3]}}]}"#
        .to_vec();
    for (name, bytes, expected) in [
        ("bombe.zip", bomb, "expands beyond the uncompressed size limit"),
        ("chemin.zip", traversal, "has an unsafe path"),
        ("absolu.kmz", absolute, "has an unsafe path"),
        ("nombreux.zip", many, "the archive has 6 entries; at most 4"),
        ("trois.geojson", three, "more than 2 features"),
    ] {
        let done = import(&app, name, bytes, None).await;
        assert_eq!(done["status"], "FAILED", "{name}: {done}");
        assert!(done["error"].as_str().unwrap().contains(expected), "{name}: {done}");
    }
    assert_eq!(layer_count(&app).await, 0);
}

/// An import cut short by a crash (its record still PROCESSING) says FAILED at the next start.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_import_interrupted_by_a_crash_is_failed_at_the_next_start() {
    let dir = tempfile::tempdir().unwrap();
    let url = format!("sqlite://{}?mode=rwc", dir.path().join("odg.sqlite").display());
    let store = odg::storage::Store::connect(&url, 1).await.unwrap();
    store.migrate().await.unwrap();
    let mut record = store.insert_import("coupure.geojson", 1234, None).await.unwrap();
    record.status = odg::domain::ImportStatus::Processing;
    store.save_import(&record).await.unwrap();
    // Another one that a live process (`odg import` beside the server) runs, holding its lease.
    let mut running = store.insert_import("en-cours.geojson", 99, None).await.unwrap();
    running.status = odg::domain::ImportStatus::Processing;
    store.save_import(&running).await.unwrap();
    // The incomplete layer a crash left (its batches committed, never completed), idle for long.
    let meta = odg::domain::LayerMeta {
        name: "Moitié".into(),
        description: None,
        kind: odg::domain::LayerKind::Deposit,
        status: odg::domain::LayerStatus::Active,
        visible: true,
        public: true,
        style: json!({}),
    };
    let half = store.begin_layer(&meta, None).await.unwrap().layer_id();
    {
        use sea_orm::ConnectionTrait;
        let db = sea_orm::Database::connect(&url).await.unwrap();
        db.execute_unprepared(&format!("UPDATE layer SET updated_at = '2020-01-01 00:00:00+00:00' WHERE id = {half}"))
            .await
            .unwrap();
        db.close().await.unwrap();
    }
    store.close().await.unwrap();
    let lease = odg::domain::ImportLease::take(&dir.path().join("imports"), running.id).unwrap().expect("a free lease");
    // Uploads a stop left behind, and one another server may be receiving now.
    let uploads = dir.path().join("uploads");
    std::fs::create_dir_all(&uploads).unwrap();
    let old = std::fs::File::create(uploads.join("upload-ancien")).unwrap();
    old.set_modified(std::time::SystemTime::now() - std::time::Duration::from_secs(7200)).unwrap();
    std::fs::write(uploads.join("upload-recent"), b"{}").unwrap();

    let data_dir = dir.path().display().to_string();
    let app = crate::helpers::spawn_with(crate::helpers::Backend::Sqlite, false, &[("ODG_DATA_DIR", &data_dir)])
        .await
        .unwrap();
    let state = app.graphql(IMPORT_STATE, json!({ "id": record.id.to_string() })).await;
    assert_eq!(state["data"]["import"]["status"], "FAILED", "{state}");
    assert!(state["data"]["import"]["error"].as_str().unwrap().starts_with("interrupted"), "{state}");
    let state = app.graphql(IMPORT_STATE, json!({ "id": running.id.to_string() })).await;
    assert_eq!(
        state["data"]["import"]["status"], "PROCESSING",
        "an import another process runs is left alone: {state}"
    );
    assert!(!uploads.join("upload-ancien").exists(), "an orphaned upload is removed at start");
    assert!(uploads.join("upload-recent").exists(), "a recent upload may be another server's");
    assert_eq!(app.data("{ layers { totalCount } }", json!({})).await["layers"]["totalCount"], 0);
    let rows = {
        use sea_orm::ConnectionTrait;
        let db = sea_orm::Database::connect(&url).await.unwrap();
        let sql = format!("SELECT count(*) AS n FROM layer WHERE id = {half}");
        let row = db.query_one_raw(sea_orm::Statement::from_string(db.get_database_backend(), sql)).await.unwrap();
        row.unwrap().try_get::<i64>("", "n").unwrap()
    };
    assert_eq!(rows, 0, "the incomplete layer a crash left is removed at start");
    assert!(app.graphql("query($id: ID!) { layer(id: $id) { id } }", json!({ "id": half.to_string() })).await["data"]["layer"].is_null());
    drop(lease);
}

/// `odg import` then `odg export`, as an operator runs them.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_command_line_imports_and_exports_a_layer() {
    let dir = tempfile::tempdir().unwrap();
    let kml = dir.path().join("prospection.kml");
    std::fs::write(&kml, KML).unwrap();
    let odg = |args: &[&str]| {
        let out = Command::new(env!("CARGO_BIN_EXE_odg"))
            .args(args)
            .env_clear()
            .env("PATH", std::env::var("PATH").unwrap_or_default())
            .env("ODG_DATA_DIR", dir.path())
            .env("RUST_LOG", "warn")
            .output()
            .unwrap();
        assert!(out.status.success(), "odg {args:?}: {}", String::from_utf8_lossy(&out.stderr));
        String::from_utf8_lossy(&out.stdout).into_owned()
    };
    let imported = odg(&["import", kml.to_str().unwrap(), "--name", "Prospection", "--kind", "zone"]);
    assert!(imported.contains("imported 3 features of prospection.kml as layer 1"), "{imported}");
    for (format, file, prefix) in
        [("gpkg", "out.gpkg", ""), ("shapefile", "out.zip", "/vsizip/"), ("csv", "out.csv", "")]
    {
        let target = dir.path().join(file);
        if format == "shapefile" {
            // Points, polygons and a line: one shapefile cannot hold them.
            let out = Command::new(env!("CARGO_BIN_EXE_odg"))
                .args(["export", "1", "--format", format, "--output", target.to_str().unwrap()])
                .env("ODG_DATA_DIR", dir.path())
                .output()
                .unwrap();
            assert!(!out.status.success());
            assert!(String::from_utf8_lossy(&out.stderr).contains("one kind of geometry"));
            continue;
        }
        let exported = odg(&["export", "1", "--format", format, "--output", target.to_str().unwrap()]);
        assert!(exported.contains("exported 3 features"), "{exported}");
        let info = gdal(&["ogrinfo", "-ro", "-al", "-so", &format!("{prefix}{}", target.display())]);
        assert!(info.contains("Feature Count: 3"), "{format}: {info}");
    }
}
