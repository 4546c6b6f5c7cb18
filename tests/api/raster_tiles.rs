//! Raster tiles of GeoTIFF layers: rasters made by GDAL in UTM zone 33N,
//! imported, and their PNG tiles decoded with the `png` crate; pixel
//! positions come from `gdaltransform` — on both backends.

use crate::helpers::TestApp;
use crate::layers::{gdal, import};
use serde_json::{Value, json};
use std::io::Write;
use std::path::Path;
use std::process::{Command, Stdio};

/// The grid: 40 × 20 pixels of 250 m, from (700000, 100000) in EPSG:32633.
const COLS: usize = 40;
const ROWS: usize = 20;
const WEST: f64 = 700_000.0;
const NORTH: f64 = 100_000.0;
const PIXEL: f64 = 250.0;
/// The nodata block: rows 5..15, columns 10..20.
fn in_nodata_block(col: usize, row: usize) -> bool {
    (5..15).contains(&row) && (10..20).contains(&col)
}

/// A Float32 GeoTIFF whose value is the column (a west–east gradient),
/// with a block of nodata (-9999), made by GDAL from an ASCII grid.
fn gradient_geotiff(dir: &Path) -> Vec<u8> {
    let asc = dir.join("gradient.asc");
    let mut text = format!(
        "ncols {COLS}\nnrows {ROWS}\nxllcorner {WEST}\nyllcorner {}\ncellsize {PIXEL}\nNODATA_value -9999\n",
        NORTH - ROWS as f64 * PIXEL
    );
    for row in 0..ROWS {
        let line: Vec<String> = (0..COLS)
            .map(|col| if in_nodata_block(col, row) { "-9999".to_string() } else { format!("{col}.5") })
            .collect();
        text.push_str(&line.join(" "));
        text.push('\n');
    }
    std::fs::write(&asc, text).unwrap();
    let tif = dir.join("gradient.tif");
    gdal(&[
        "gdal_translate",
        "-q",
        "-of",
        "GTiff",
        "-ot",
        "Float32",
        "-a_srs",
        "EPSG:32633",
        "-a_nodata",
        "-9999",
        asc.to_str().unwrap(),
        tif.to_str().unwrap(),
    ]);
    std::fs::read(&tif).unwrap()
}

/// The same raster stored otherwise (`-co` options of GDAL's GTiff driver).
fn rewritten(dir: &Path, bytes: &[u8], options: &[&str]) -> Vec<u8> {
    let (from, to) = (dir.join("from.tif"), dir.join("to.tif"));
    std::fs::write(&from, bytes).unwrap();
    let mut args = vec!["gdal_translate", "-q"];
    for option in options {
        args.extend(["-co", option]);
    }
    args.extend([from.to_str().unwrap(), to.to_str().unwrap()]);
    gdal(&args);
    std::fs::read(&to).unwrap()
}

/// The bytes of a tile.
async fn tile_bytes(app: &TestApp, path: &str) -> Vec<u8> {
    let tile = get(app, path, Some(&app.admin_token)).await;
    assert_eq!(tile.status(), 200, "{path}");
    tile.bytes().await.unwrap().to_vec()
}

/// A 3-band Byte GeoTIFF, every pixel (200, 30, 60), made by GDAL.
fn rgb_geotiff(dir: &Path) -> Vec<u8> {
    let tif = dir.join("rgb.tif");
    gdal(&[
        "gdal_create",
        "-of",
        "GTiff",
        "-outsize",
        "40",
        "20",
        "-bands",
        "3",
        "-ot",
        "Byte",
        "-a_srs",
        "EPSG:32633",
        "-a_ullr",
        "700000",
        "100000",
        "710000",
        "95000",
        "-burn",
        "200",
        "-burn",
        "30",
        "-burn",
        "60",
        tif.to_str().unwrap(),
    ]);
    std::fs::read(&tif).unwrap()
}

/// The WGS84 longitude/latitude of the centre of a grid pixel, by `gdaltransform`.
fn lon_lat(col: usize, row: usize) -> (f64, f64) {
    to_wgs84(WEST + (col as f64 + 0.5) * PIXEL, NORTH - (row as f64 + 0.5) * PIXEL)
}

/// EPSG:32633 → WGS84 longitude/latitude, by `gdaltransform`.
fn to_wgs84(x: f64, y: f64) -> (f64, f64) {
    let mut child = Command::new("gdaltransform")
        .args(["-s_srs", "EPSG:32633", "-t_srs", "+proj=longlat +datum=WGS84"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .expect("gdaltransform (gdal-bin) is needed");
    writeln!(child.stdin.take().unwrap(), "{x} {y}").unwrap();
    let out = String::from_utf8(child.wait_with_output().unwrap().stdout).unwrap();
    let mut numbers = out.split_whitespace().map(|n| n.parse::<f64>().unwrap());
    (numbers.next().unwrap(), numbers.next().unwrap())
}

/// The tile holding a lon/lat at zoom z, and the pixel of the point in it.
fn tile_and_pixel(z: u8, (lon, lat): (f64, f64)) -> ((u8, u32, u32), (usize, usize)) {
    let n = f64::from(1u32 << z);
    let x = (lon + 180.0) / 360.0 * n;
    let lat = lat.to_radians();
    let y = (1.0 - (lat.tan() + 1.0 / lat.cos()).ln() / std::f64::consts::PI) / 2.0 * n;
    let pixel = |t: f64| ((t - t.floor()) * 256.0) as usize;
    ((z, x.floor() as u32, y.floor() as u32), (pixel(x), pixel(y)))
}

/// A decoded 256×256 RGBA tile.
struct Image(Vec<u8>);

impl Image {
    fn decode(bytes: &[u8]) -> Image {
        let decoder = png::Decoder::new(std::io::Cursor::new(bytes));
        let mut reader = decoder.read_info().expect("a PNG");
        let mut buffer = vec![0; reader.output_buffer_size().unwrap()];
        let info = reader.next_frame(&mut buffer).unwrap();
        assert_eq!((info.width, info.height), (256, 256));
        assert_eq!(info.color_type, png::ColorType::Rgba);
        assert_eq!(info.bit_depth, png::BitDepth::Eight);
        buffer.truncate(info.buffer_size());
        Image(buffer)
    }

    fn rgba(&self, (x, y): (usize, usize)) -> [u8; 4] {
        let i = (y * 256 + x) * 4;
        [self.0[i], self.0[i + 1], self.0[i + 2], self.0[i + 3]]
    }
}

async fn get(app: &TestApp, path: &str, token: Option<&str>) -> reqwest::Response {
    let mut request = app.client.get(format!("{}{path}", app.address));
    if let Some(token) = token {
        request = request.bearer_auth(token);
    }
    request.send().await.unwrap()
}

/// The pixel of a grid pixel's centre in its zoom-14 tile.
async fn pixel_at(app: &TestApp, id: &str, col: usize, row: usize) -> [u8; 4] {
    let ((z, x, y), pixel) = tile_and_pixel(14, lon_lat(col, row));
    let tile = get(app, &format!("/tiles/raster/{id}/{z}/{x}/{y}.png"), Some(&app.admin_token)).await;
    assert_eq!(tile.status(), 200, "tile {z}/{x}/{y} of grid pixel {col},{row}");
    Image::decode(&tile.bytes().await.unwrap()).rgba(pixel)
}

async fn a_geotiff_layer_is_served_as_png_tiles(app: &TestApp) {
    let dir = tempfile::tempdir().unwrap();
    let bytes = gradient_geotiff(dir.path());
    let done = import(app, "gradient.tif", bytes.clone(), None).await;
    assert_eq!(done["status"], "SUCCEEDED", "{done}");
    let id = done["layer"]["id"].as_str().unwrap().to_owned();
    let bbox: Vec<f64> = serde_json::from_value(done["layer"]["bbox"].clone()).unwrap();

    // The TileJSON.
    let tilejson: Value =
        get(app, &format!("/tiles/raster/{id}.json"), Some(&app.admin_token)).await.json().await.unwrap();
    let template = tilejson["tiles"][0].as_str().unwrap();
    assert!(template.ends_with(&format!("/tiles/raster/{id}/{{z}}/{{x}}/{{y}}.png")), "{tilejson}");
    assert_eq!(tilejson["tileSize"], 256);
    assert_eq!(tilejson["minzoom"], 0);
    assert_eq!(tilejson["maxzoom"], 22);
    let bounds: Vec<f64> = serde_json::from_value(tilejson["bounds"].clone()).unwrap();
    assert_eq!(bounds, bbox);
    // `layer-<id>` names the same source.
    assert_eq!(get(app, &format!("/tiles/raster/layer-{id}.json"), Some(&app.admin_token)).await.status(), 200);

    // A tile over the raster: a 256×256 PNG, opaque where the data is,
    // transparent over the nodata block, greener eastwards (viridis).
    let ((z, x, y), _) = tile_and_pixel(12, lon_lat(20, 10));
    let path = format!("/tiles/raster/{id}/{z}/{x}/{y}.png");
    let tile = get(app, &path, Some(&app.admin_token)).await;
    assert_eq!(tile.status(), 200);
    assert_eq!(tile.headers()["content-type"], "image/png");
    assert_eq!(tile.headers()["cache-control"], "no-cache");
    let etag = tile.headers()["etag"].to_str().unwrap().to_owned();
    let image = Image::decode(&tile.bytes().await.unwrap());
    assert!(image.0.chunks(4).any(|p| p[3] == 255) && image.0.chunks(4).any(|p| p[3] == 0));
    let again = app
        .client
        .get(format!("{}{path}", app.address))
        .bearer_auth(&app.admin_token)
        .header("If-None-Match", &etag)
        .send()
        .await
        .unwrap();
    assert_eq!(again.status(), 304);
    assert_eq!(again.headers()["x-cache"], "HIT");

    let mut greens = Vec::new();
    for col in [1, 9, 20, 30, 38] {
        let [_, g, _, a] = pixel_at(app, &id, col, 2).await;
        assert_eq!(a, 255, "grid pixel {col},2 has data");
        greens.push(g);
    }
    assert!(greens.windows(2).all(|w| w[0] < w[1]), "green grows with the values: {greens:?}");
    for (col, row) in [(12, 6), (15, 10), (18, 13)] {
        assert_eq!(pixel_at(app, &id, col, row).await[3], 0, "grid pixel {col},{row} is nodata");
    }
    assert_eq!(pixel_at(app, &id, 15, 17).await[3], 255);
    // Stored in 16×16 tiles (partial at the right and bottom edges) rather than strips: the same tile.
    let tiled = rewritten(dir.path(), &bytes, &["TILED=YES", "BLOCKXSIZE=16", "BLOCKYSIZE=16"]);
    let tiled = import(app, "tuiles.tif", tiled, None).await;
    let tiled_id = tiled["layer"]["id"].as_str().unwrap();
    assert_eq!(
        tile_bytes(app, &format!("/tiles/raster/{tiled_id}/{z}/{x}/{y}.png")).await,
        tile_bytes(app, &path).await
    );

    // Far from the raster: no content.
    assert_eq!(get(app, &format!("/tiles/raster/{id}/10/0/0.png"), Some(&app.admin_token)).await.status(), 204);
    assert_eq!(get(app, &format!("/tiles/raster/{id}/3/9/0.png"), Some(&app.admin_token)).await.status(), 400);

    // A ramp in the style: black to white; the tiles follow at once.
    let styled = app
        .graphql(
            "mutation($id: ID!) { updateLayer(id: $id, input: { style: { rasterRamp: [[0, \"#000000\"], [40, \"#ffffff\"]] } }) { style } }",
            json!({ "id": id }),
        )
        .await;
    assert!(styled["data"]["updateLayer"]["style"]["rasterRamp"].is_array(), "{styled}");
    // Column 20 holds 20.5: about half way, grey.
    let [r, g, b, a] = pixel_at(app, &id, 20, 2).await;
    assert_eq!(a, 255);
    assert!(r == g && g == b && (120..=140).contains(&r), "{r},{g},{b}");
    let changed = get(app, &path, Some(&app.admin_token)).await;
    assert_ne!(changed.headers()["etag"].to_str().unwrap(), etag);

    // A private layer is no source for anonymous readers; a public one is.
    assert_eq!(get(app, &format!("/tiles/raster/{id}.json"), None).await.status(), 404);
    assert_eq!(get(app, &path, None).await.status(), 404);
    let public = app
        .graphql("mutation($id: ID!) { updateLayer(id: $id, input: { public: true }) { public } }", json!({ "id": id }))
        .await;
    assert_eq!(public["data"]["updateLayer"]["public"], true, "{public}");
    assert_eq!(get(app, &format!("/tiles/raster/{id}.json"), None).await.status(), 200);
    assert_eq!(get(app, &path, None).await.status(), 200);

    // A vector layer, or no layer, is no raster source.
    let vector = import(app, "point.geojson", br#"{"type":"Point","coordinates":[1,2]}"#.to_vec(), None).await;
    let vector_id = vector["layer"]["id"].as_str().unwrap();
    assert_eq!(get(app, &format!("/tiles/raster/{vector_id}.json"), Some(&app.admin_token)).await.status(), 404);
    assert_eq!(get(app, "/tiles/raster/999999/0/0/0.png", Some(&app.admin_token)).await.status(), 404);
}

async fn an_rgb_geotiff_keeps_its_colours(app: &TestApp) {
    let dir = tempfile::tempdir().unwrap();
    let bytes = rgb_geotiff(dir.path());
    // Pixel-interleaved (GDAL's default), band-interleaved (planar) and tiled planar.
    let planar = rewritten(dir.path(), &bytes, &["INTERLEAVE=BAND"]);
    let tiled = rewritten(dir.path(), &bytes, &["INTERLEAVE=BAND", "TILED=YES", "BLOCKXSIZE=16", "BLOCKYSIZE=16"]);
    for (name, bytes) in [("rgb.tif", bytes), ("bandes.tif", planar), ("tuiles.tif", tiled)] {
        let done = import(app, name, bytes, None).await;
        assert_eq!(done["status"], "SUCCEEDED", "{done}");
        let id = done["layer"]["id"].as_str().unwrap().to_owned();
        assert_eq!(pixel_at(app, &id, 20, 10).await, [200, 30, 60, 255], "{name}");
        assert_eq!(pixel_at(app, &id, 2, 18).await, [200, 30, 60, 255], "{name}");
        assert_eq!(pixel_at(app, &id, 39, 19).await, [200, 30, 60, 255], "{name}");
    }
}

/// A 256 × 256 Byte GeoTIFF of 10 m pixels alternating 0 and 100 (a
/// checkerboard), tiled 64 × 64, with `overviews` averaged by `gdaladdo`
/// (every overview pixel is 50).
fn checkerboard_geotiff(dir: &Path, overviews: &[&str]) -> Vec<u8> {
    const SIDE: usize = 256;
    let asc = dir.join("damier.asc");
    let mut text = format!(
        "ncols {SIDE}\nnrows {SIDE}\nxllcorner {WEST}\nyllcorner {}\ncellsize 10\n",
        NORTH - SIDE as f64 * 10.0
    );
    for row in 0..SIDE {
        let line: Vec<&str> = (0..SIDE).map(|col| if (row + col) % 2 == 0 { "0" } else { "100" }).collect();
        text.push_str(&line.join(" "));
        text.push('\n');
    }
    std::fs::write(&asc, text).unwrap();
    let tif = dir.join("damier.tif");
    let (asc, tif_path) = (asc.to_str().unwrap(), tif.to_str().unwrap());
    gdal(&["gdal_translate", "-q", "-ot", "Byte", "-a_srs", "EPSG:32633", "-co", "TILED=YES", asc, tif_path]);
    if !overviews.is_empty() {
        let mut args = vec!["gdaladdo", "-q", "-r", "average", tif_path];
        args.extend(overviews);
        gdal(&args);
    }
    std::fs::read(&tif).unwrap()
}

/// The distinct colours of a tile's opaque pixels.
async fn opaque_colours(app: &TestApp, id: &str, (z, x, y): (u8, u32, u32)) -> std::collections::BTreeSet<[u8; 3]> {
    let image = Image::decode(&tile_bytes(app, &format!("/tiles/raster/{id}/{z}/{x}/{y}.png")).await);
    image.0.chunks(4).filter(|p| p[3] == 255).map(|p| [p[0], p[1], p[2]]).collect()
}

async fn zoomed_out_tiles_read_the_overviews(app: &TestApp) {
    let dir = tempfile::tempdir().unwrap();
    let centre = to_wgs84(WEST + 1280.0, NORTH - 1280.0);
    let (zoomed_out, _) = tile_and_pixel(11, centre);
    let (zoomed_in, _) = tile_and_pixel(17, centre);
    let black = [0, 0, 0];
    let white = [255, 255, 255];
    for (name, overviews) in [("damier.tif", vec![]), ("damier-apercus.tif", vec!["2", "4", "8"])] {
        let done = import(app, name, checkerboard_geotiff(dir.path(), &overviews), None).await;
        assert_eq!(done["status"], "SUCCEEDED", "{done}");
        let id = done["layer"]["id"].as_str().unwrap().to_owned();
        let styled = app
            .graphql(
                "mutation($id: ID!) { updateLayer(id: $id, input: { style: { rasterRamp: [[0, \"#000000\"], [100, \"#ffffff\"]] } }) { id } }",
                json!({ "id": id }),
            )
            .await;
        assert!(styled.get("errors").is_none(), "{styled}");
        // Zoomed in, a tile pixel is finer than a raster pixel: the full resolution, black and white.
        assert_eq!(opaque_colours(app, &id, zoomed_in).await, [black, white].into(), "{name} at zoom 17");
        let far = opaque_colours(app, &id, zoomed_out).await;
        if overviews.is_empty() {
            // Without overviews, nearest full-resolution pixels: still black and white.
            assert_eq!(far, [black, white].into(), "{name} at zoom 11");
        } else {
            // A zoom-11 pixel is about 7.6 raster pixels: the ×4 overview, grey (50) everywhere.
            assert_eq!(far.len(), 1, "{name} at zoom 11: {far:?}");
            let [r, g, b] = *far.first().unwrap();
            assert!(r == g && g == b && (120..=136).contains(&r), "{name} at zoom 11: {r},{g},{b}");
        }
    }
}

/// A raster wider than 2 048 pixels without overviews gets advice on its
/// import; with overviews, none.
async fn a_large_raster_without_overviews_is_imported_with_advice(app: &TestApp) {
    let dir = tempfile::tempdir().unwrap();
    let tif = dir.path().join("large.tif");
    let path = tif.to_str().unwrap();
    let (wide, ext) = ("2100", "752500");
    gdal(&[
        "gdal_create",
        "-q",
        "-of",
        "GTiff",
        "-outsize",
        wide,
        "10",
        "-ot",
        "Byte",
        "-a_srs",
        "EPSG:32633",
        "-a_ullr",
        "700000",
        "100000",
        ext,
        "99750",
        "-burn",
        "7",
        "-co",
        "TILED=YES",
        path,
    ]);
    let plain = import(app, "large.tif", std::fs::read(&tif).unwrap(), None).await;
    assert_eq!(plain["status"], "SUCCEEDED", "{plain}");
    let warnings = plain["warnings"].as_array().unwrap();
    assert_eq!(warnings.len(), 1, "{plain}");
    assert_eq!(warnings[0]["location"], "GeoTIFF");
    let reason = warnings[0]["reason"].as_str().unwrap();
    assert!(reason.contains("2100 × 10") && reason.contains("gdaladdo"), "{reason}");
    gdal(&["gdaladdo", "-q", "-r", "average", path, "2", "4"]);
    let with_overviews = import(app, "large-apercus.tif", std::fs::read(&tif).unwrap(), None).await;
    assert_eq!(with_overviews["status"], "SUCCEEDED", "{with_overviews}");
    assert_eq!(with_overviews["warnings"], json!([]), "{with_overviews}");
}

crate::on_both_backends!(
    a_geotiff_layer_is_served_as_png_tiles,
    an_rgb_geotiff_keeps_its_colours,
    zoomed_out_tiles_read_the_overviews,
    a_large_raster_without_overviews_is_imported_with_advice
);
