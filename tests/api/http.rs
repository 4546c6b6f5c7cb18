//! The HTTP surface: health, GraphiQL, transport rules, the schema file.

use crate::helpers::{Backend, spawn_app, spawn_empty};
use serde_json::json;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn health_readiness_and_graphiql_answer() {
    let app = spawn_empty(Backend::Sqlite).await.unwrap();
    for path in ["/healthz", "/readyz", "/graphiql"] {
        let response = app.get(path).await;
        assert_eq!(response.status(), 200, "{path}");
        assert!(response.headers().contains_key("x-request-id"), "{path} has no request id");
    }
    assert!(app.get("/graphiql").await.text().await.unwrap().contains("/graphql"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn queries_work_over_get_but_mutations_do_not() {
    let app = spawn_app(Backend::Sqlite).await.unwrap();
    let ok = app.get("/graphql?query=%7B%20deposits%20%7B%20totalCount%20%7D%20%7D").await;
    assert_eq!(ok.status(), 200);
    let body: serde_json::Value = ok.json().await.unwrap();
    assert!(body["data"]["deposits"]["totalCount"].as_u64().unwrap() > 0);
    let refused = app.get("/graphql?query=mutation%20%7B%20deleteDeposit(id%3A%20%221%22)%20%7D").await;
    assert_eq!(refused.status(), 405);
    // A comment before the keyword does not hide a mutation.
    let hidden = app.get("/graphql?query=%23%20x%0Amutation%20%7B%20deleteDeposit(id%3A%20%221%22)%20%7D").await;
    assert_eq!(hidden.status(), 405);
    assert!(app.data("{ deposit(id: \"1\") { id } }", json!({})).await["deposit"].is_object());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_oversized_body_is_refused_before_it_is_read() {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let app = spawn_empty(Backend::Sqlite).await.unwrap();
    // Announce a body above the upload limit (512 MiB) and send none of it:
    // the server must answer from the headers alone.
    let address = app.address.trim_start_matches("http://");
    let mut stream = tokio::net::TcpStream::connect(address).await.unwrap();
    let head = format!(
        "POST /graphql HTTP/1.1\r\nHost: {address}\r\nContent-Type: application/json\r\nContent-Length: {}\r\n\r\n",
        600 * 1024 * 1024
    );
    stream.write_all(head.as_bytes()).await.unwrap();
    let mut response = vec![0u8; 4096];
    let n = stream.read(&mut response).await.unwrap();
    let head = String::from_utf8_lossy(&response[..n]).to_lowercase();
    assert!(head.starts_with("http/1.1 413"), "{head}");
    assert!(head.contains("x-content-type-options: nosniff"), "{head}");
}

/// A chunked upload announces no length: it is cut at the limit and
/// refused with 413, as one that announces its length is.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_chunked_upload_over_the_limit_is_a_413() {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let app = crate::helpers::spawn_with(Backend::Sqlite, false, &[("ODG_MAX_UPLOAD_MB", "1")]).await.unwrap();
    let address = app.address.trim_start_matches("http://");
    let mut stream = tokio::net::TcpStream::connect(address).await.unwrap();
    let boundary = "odgboundary";
    let head = format!(
        "POST /graphql HTTP/1.1\r\nHost: {address}\r\nAuthorization: Bearer {}\r\n\
         Content-Type: multipart/form-data; boundary={boundary}\r\nTransfer-Encoding: chunked\r\n\r\n",
        app.admin_token
    );
    stream.write_all(head.as_bytes()).await.unwrap();
    let operations = r#"{"query":"mutation($file: Upload!) { previewImport(file: $file) { featureCount } }","variables":{"file":null}}"#;
    let start = format!(
        "--{boundary}\r\nContent-Disposition: form-data; name=\"operations\"\r\n\r\n{operations}\r\n\
         --{boundary}\r\nContent-Disposition: form-data; name=\"map\"\r\n\r\n{{\"0\":[\"variables.file\"]}}\r\n\
         --{boundary}\r\nContent-Disposition: form-data; name=\"0\"; filename=\"gros.geojson\"\r\n\r\n"
    );
    let chunk = |data: &[u8]| [format!("{:x}\r\n", data.len()).into_bytes(), data.to_vec(), b"\r\n".to_vec()].concat();
    stream.write_all(&chunk(start.as_bytes())).await.unwrap();
    // Three times the limit, 64 KiB at a time; the server may answer and stop reading before the end.
    let block = vec![b' '; 64 * 1024];
    for _ in 0..48 {
        if stream.write_all(&chunk(&block)).await.is_err() {
            break;
        }
    }
    let _ = stream.write_all(b"0\r\n\r\n").await;
    let mut response = vec![0u8; 4096];
    let n = stream.read(&mut response).await.unwrap();
    let head = String::from_utf8_lossy(&response[..n]).to_lowercase();
    assert!(head.starts_with("http/1.1 413"), "{head}");
    assert!(head.contains("odg_max_upload_mb"), "{head}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_in_flight_request_finishes_during_shutdown() {
    let app = spawn_app(Backend::Sqlite).await.unwrap();
    let client = app.client.clone();
    let url = format!("{}/graphql", app.address);
    let request = tokio::spawn(async move {
        client.post(url).json(&json!({"query": "{ deposits(first: 1000) { featureCollection } }"})).send().await
    });
    tokio::time::sleep(std::time::Duration::from_millis(5)).await;
    app.stop().await;
    let response = request.await.unwrap().expect("the request was answered");
    assert_eq!(response.status(), 200);
}

#[test]
fn the_schema_file_matches_the_code() {
    let file = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/schema/schema.graphql")).unwrap();
    assert!(
        file == odg::graphql::sdl(),
        "schema/schema.graphql is out of date: run `cargo run -- schema > schema/schema.graphql`"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_request_that_cannot_run_is_a_400_and_a_field_error_a_200() {
    let app = spawn_empty(Backend::Sqlite).await.unwrap();
    let post = |query: &'static str| {
        app.client.post(format!("{}/graphql", app.address)).json(&json!({ "query": query })).send()
    };
    assert_eq!(post("{ deposits(").await.unwrap().status(), 400);
    assert_eq!(post("{ nope }").await.unwrap().status(), 400);
    assert_eq!(post("mutation { deleteDeposit(id: \"42\") }").await.unwrap().status(), 200);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn metrics_are_served_behind_a_token() {
    let token = "metrics-token-0123456789";
    let app = crate::helpers::spawn_with(Backend::Sqlite, true, &[("ODG_METRICS_TOKEN", token)]).await.unwrap();
    app.graphql("{ deposits { totalCount } }", json!({})).await;
    app.graphql("{ nope }", json!({})).await;
    app.get("/tiles/deposits/8/137/129.mvt").await;
    assert_eq!(app.get("/metrics").await.status(), 401);
    let response = app.client.get(format!("{}/metrics", app.address)).bearer_auth(token).send().await.unwrap();
    assert_eq!(response.status(), 200);
    let text = response.text().await.unwrap();
    for needle in [
        "# TYPE odg_http_requests counter",
        "route=\"/graphql\"",
        "odg_http_request_duration_seconds_bucket",
        "odg_graphql_errors_total{code=\"BAD_USER_INPUT\"} 1",
        "odg_tile_cache_requests_total{result=\"miss\"} 1",
        "odg_sql_statements_total",
        "odg_db_connections{state=\"idle\"}",
    ] {
        assert!(text.contains(needle), "no {needle} in:\n{text}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn metrics_can_have_their_own_address_and_are_off_otherwise() {
    let app = crate::helpers::spawn_with(Backend::Sqlite, false, &[("ODG_METRICS_BIND", "127.0.0.1:0")]).await.unwrap();
    assert_eq!(app.get("/metrics").await.status(), 404);
    let port = app.metrics_port.expect("a metrics listener");
    let response = app.client.get(format!("http://127.0.0.1:{port}/metrics")).send().await.unwrap();
    assert_eq!(response.status(), 200);
    assert!(response.text().await.unwrap().contains("odg_http_requests"));
    let plain = spawn_empty(Backend::Sqlite).await.unwrap();
    assert_eq!(plain.get("/metrics").await.status(), 404);
}

#[tokio::test]
async fn the_web_app_is_served_with_client_routes_and_the_ogc_landing_stays_reachable() {
    let web = tempfile::tempdir().unwrap();
    std::fs::write(web.path().join("index.html"), "<!doctype html><div id=\"root\"></div>").unwrap();
    std::fs::create_dir(web.path().join("assets")).unwrap();
    std::fs::write(web.path().join("assets/app-3f2a.js"), "console.log(1)").unwrap();
    let web_dir = web.path().display().to_string();
    let app = crate::helpers::spawn_with(Backend::Sqlite, false, &[("ODG_WEB_DIR", &web_dir)]).await.unwrap();
    let get =
        |path: &str, accept: &str| app.client.get(format!("{}{path}", app.address)).header("Accept", accept).send();
    let html = "text/html,application/xhtml+xml,*/*;q=0.8";
    for path in ["/", "/carte/quelque-part", "/gisements"] {
        let response = get(path, html).await.unwrap();
        assert_eq!(response.status(), 200, "{path}");
        assert_eq!(response.headers()["cache-control"], "no-cache", "{path}");
        assert!(response.headers()["content-security-policy"].to_str().unwrap().contains("script-src 'self'"));
        assert!(response.text().await.unwrap().contains("<div id=\"root\">"), "{path}");
    }
    let asset = get("/assets/app-3f2a.js", "*/*").await.unwrap();
    assert_eq!(asset.status(), 200);
    assert_eq!(asset.headers()["cache-control"], "public, max-age=31536000, immutable");
    assert_eq!(asset.text().await.unwrap(), "console.log(1)");
    // GIS clients ask for JSON at `/`: they get the OGC landing page.
    let landing: serde_json::Value = get("/", "application/json").await.unwrap().json().await.unwrap();
    assert!(landing["links"].as_array().unwrap().iter().any(|l| l["rel"] == "conformance"));
    let ogc_html = get("/?f=html", html).await.unwrap().text().await.unwrap();
    assert!(ogc_html.contains("OGC API"));
    // The API keeps its own answers; unknown API paths are not the app.
    assert_eq!(get("/healthz", "*/*").await.unwrap().status(), 200);
    for path in ["/metrics", "/tiles/nope/1/2/3.png", "/layers/1", "/graphql/x"] {
        let response = get(path, html).await.unwrap();
        assert!(response.status().is_client_error(), "{path}: {}", response.status());
    }
    let post = app.client.post(format!("{}/carte", app.address)).send().await.unwrap();
    assert_eq!(post.status(), 405);
}

#[tokio::test]
async fn without_a_built_web_app_the_root_is_the_ogc_landing_page() {
    let app =
        crate::helpers::spawn_with(Backend::Sqlite, false, &[("ODG_WEB_DIR", "/nonexistent/odg-web")]).await.unwrap();
    let response = app.client.get(format!("{}/", app.address)).header("Accept", "text/html").send().await.unwrap();
    assert_eq!(response.status(), 200);
    assert!(response.text().await.unwrap().contains("OGC API"));
    let missing = app.client.get(format!("{}/carte", app.address)).send().await.unwrap();
    assert_eq!(missing.status(), 404);
}
