//! SIGTERM while an import runs: the real binary ends within its grace
//! period (it used to wait for the import's blocking thread and need
//! SIGKILL), leaves no partial layer, and the next start says the import
//! was interrupted.

use crate::helpers::{JWT_SECRET, PASSWORD};
use serde_json::{Value, json};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// A server process, killed should the test fail before it ends.
struct Server(Child);

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// `odg serve --demo` on `data_dir`; its address.
fn serve(data_dir: &std::path::Path, grace_secs: u64) -> (Server, String) {
    let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
    let server = Command::new(env!("CARGO_BIN_EXE_odg"))
        .args(["serve", "--demo"])
        .env("ODG_DATA_DIR", data_dir)
        .env("ODG_BIND", format!("127.0.0.1:{port}"))
        .env("ODG_JWT_SECRET", JWT_SECRET)
        .env("ODG_SHUTDOWN_GRACE_SECS", grace_secs.to_string())
        .env("ODG_WEB_DIR", "/nonexistent/odg-web")
        .env_remove("DATABASE_URL")
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    (Server(server), format!("http://127.0.0.1:{port}"))
}

async fn wait_ready(client: &reqwest::Client, address: &str) {
    for _ in 0..600 {
        if client.get(format!("{address}/readyz")).send().await.is_ok_and(|r| r.status() == 200) {
            return;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("the server did not become ready");
}

async fn graphql(client: &reqwest::Client, address: &str, token: &str, query: &str, variables: Value) -> Value {
    let request = client.post(format!("{address}/graphql")).bearer_auth(token);
    request.json(&json!({ "query": query, "variables": variables })).send().await.unwrap().json().await.unwrap()
}

async fn sign_in(client: &reqwest::Client, address: &str) -> String {
    crate::helpers::login(client, address, "admin", PASSWORD).await["accessToken"].as_str().unwrap().to_owned()
}

/// Long enough to import for many seconds on a debug build.
fn many_points(n: usize) -> Vec<u8> {
    let mut out = String::from("{\"type\":\"FeatureCollection\",\"features\":[");
    for i in 0..n {
        if i > 0 {
            out.push(',');
        }
        let (lon, lat) = (9.0 + (i % 1000) as f64 * 0.004, -3.0 + (i / 1000) as f64 * 0.01);
        out.push_str(&format!(
            "{{\"type\":\"Feature\",\"properties\":{{\"n\":{i}}},\"geometry\":{{\"type\":\"Point\",\"coordinates\":[{lon},{lat}]}}}}"
        ));
    }
    out.push_str("]}");
    out.into_bytes()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sigterm_during_an_import_ends_the_server_within_its_grace() {
    let dir = tempfile::tempdir().unwrap();
    let grace = 2;
    let (mut server, address) = serve(dir.path(), grace);
    let client = reqwest::Client::new();
    wait_ready(&client, &address).await;
    let token = sign_in(&client, &address).await;

    let operations = json!({
        "query": "mutation($file: Upload!, $input: LayerInput!) { importLayer(file: $file, input: $input) { id } }",
        "variables": { "file": null, "input": { "name": "Nuage", "kind": "DEPOSIT" } },
    });
    let form = reqwest::multipart::Form::new()
        .text("operations", operations.to_string())
        .text("map", json!({ "0": ["variables.file"] }).to_string())
        .part("0", reqwest::multipart::Part::bytes(many_points(400_000)).file_name("nuage.geojson"));
    let started: Value = client
        .post(format!("{address}/graphql"))
        .bearer_auth(&token)
        .multipart(form)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let id = started["data"]["importLayer"]["id"].as_str().unwrap_or_else(|| panic!("{started}")).to_owned();
    let state = "query($id: ID!) { import(id: $id) { status featuresRead } }";
    // Running, and well into its first pass.
    let mut running = false;
    for _ in 0..300 {
        let now = graphql(&client, &address, &token, state, json!({ "id": id })).await;
        if now["data"]["import"]["featuresRead"].as_u64().unwrap_or(0) > 0 {
            assert_eq!(now["data"]["import"]["status"], "PROCESSING", "{now}");
            running = true;
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let last = graphql(&client, &address, &token, state, json!({ "id": id })).await;
    assert!(running, "the import never showed progress: {last}");

    let stopped_at = Instant::now();
    let pid = server.0.id().to_string();
    assert!(Command::new("kill").args(["-TERM", &pid]).status().unwrap().success());
    let status = loop {
        if let Some(status) = server.0.try_wait().unwrap() {
            break status;
        }
        if stopped_at.elapsed() > Duration::from_secs(grace + 8) {
            panic!("odg serve was still running {:?} after SIGTERM", stopped_at.elapsed());
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    };
    eprintln!("odg serve ended {:?} after SIGTERM ({status})", stopped_at.elapsed());

    // The next start: the import was interrupted, and no layer was left.
    let (_again, address) = serve(dir.path(), grace);
    wait_ready(&client, &address).await;
    let token = sign_in(&client, &address).await;
    let after = graphql(
        &client,
        &address,
        &token,
        "query($id: ID!) { import(id: $id) { status error layer { id } } layers { totalCount } }",
        json!({ "id": id }),
    )
    .await;
    assert_eq!(after["data"]["import"]["status"], "FAILED", "{after}");
    assert!(after["data"]["import"]["error"].as_str().unwrap().starts_with("interrupted"), "{after}");
    assert_eq!(after["data"]["layers"]["totalCount"], 0, "{after}");
}
