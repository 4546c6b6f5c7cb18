//! deploy/: nginx accepts the site and proxies to a real ODG; systemd
//! accepts the unit. nginx and systemd-analyze come from the test command.

use crate::helpers::{Backend, spawn_app};
use serde_json::json;
use std::path::Path;
use std::process::Command;

fn have(tool: &str) -> bool {
    let found =
        Command::new("sh").arg("-c").arg(format!("command -v {tool}")).output().is_ok_and(|o| o.status.success());
    if !found {
        assert!(std::env::var("CI").is_err(), "CI must have {tool} (./scripts/test.sh installs it)");
        eprintln!("skipped: {tool} is not installed (./scripts/test.sh installs it)");
    }
    found
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port()
}

/// The site file with a throwaway certificate, loopback ports and `upstream` pointing at `backend`.
fn site(dir: &Path, http_port: u16, https_port: u16, backend: u16) -> std::path::PathBuf {
    let (cert, key) = (dir.join("cert.pem"), dir.join("key.pem"));
    let made = Command::new("openssl")
        .args(["req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1", "-subj", "/CN=odg.example.org"])
        .args(["-addext", "subjectAltName=DNS:odg.example.org", "-addext", "basicConstraints=critical,CA:FALSE"])
        .arg("-keyout")
        .arg(&key)
        .arg("-out")
        .arg(&cert)
        .output()
        .unwrap();
    assert!(made.status.success(), "{}", String::from_utf8_lossy(&made.stderr));
    let text = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/deploy/nginx/odg.conf")).unwrap();
    let text = text
        .replace("/etc/ssl/certs/ssl-cert-snakeoil.pem", cert.to_str().unwrap())
        .replace("/etc/ssl/private/ssl-cert-snakeoil.key", key.to_str().unwrap())
        .replace("listen [::]:80;", "")
        .replace("listen [::]:443 ssl http2;", "")
        .replace("listen 80;", &format!("listen 127.0.0.1:{http_port};"))
        .replace("listen 443 ssl http2;", &format!("listen 127.0.0.1:{https_port} ssl http2;"))
        .replace("server 127.0.0.1:8080;", &format!("server 127.0.0.1:{backend};"));
    let site = dir.join("site.conf");
    std::fs::write(&site, text).unwrap();
    let conf = dir.join("nginx.conf");
    let d = dir.display();
    std::fs::write(
        &conf,
        format!(
            "pid {d}/nginx.pid;\nerror_log {d}/error.log;\nevents {{}}\nhttp {{\n include /etc/nginx/mime.types;\n \
             access_log off;\n client_body_temp_path {d}/body;\n proxy_temp_path {d}/proxy;\n include {};\n}}\n",
            site.display()
        ),
    )
    .unwrap();
    conf
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn nginx_serves_odg_with_the_shipped_site_file() {
    if !have("nginx") || !have("openssl") {
        return;
    }
    let app = spawn_app(Backend::Sqlite).await.unwrap();
    let backend: u16 = app.address.rsplit(':').next().unwrap().parse().unwrap();
    let dir = tempfile::tempdir().unwrap();
    let (http_port, https_port) = (free_port(), free_port());
    let conf = site(dir.path(), http_port, https_port, backend);
    let check = Command::new("nginx").arg("-t").arg("-c").arg(&conf).output().unwrap();
    assert!(check.status.success(), "nginx -t: {}", String::from_utf8_lossy(&check.stderr));
    // nginx must not hold the test's output open, and must stop (workers
    // included) however the test ends.
    let nginx = Command::new("nginx")
        .arg("-c")
        .arg(&conf)
        .args(["-g", "daemon off;"])
        .stdin(std::process::Stdio::null())
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    let _nginx = Nginx { child: nginx, conf: conf.clone() };
    let client = reqwest::Client::builder()
        .danger_accept_invalid_certs(true)
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    let https = format!("https://127.0.0.1:{https_port}");
    let mut answer = None;
    for _ in 0..50 {
        let sent = client
            .post(format!("{https}/graphql"))
            .header("Host", "odg.example.org")
            .json(&json!({"query": "{ deposits { totalCount } }"}))
            .send()
            .await;
        if let Ok(response) = sent {
            answer = Some(response);
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    let response = answer.expect("nginx answered");
    assert_eq!(response.status(), 200);
    assert!(response.headers().contains_key("strict-transport-security"));
    assert!(response.headers().contains_key("x-request-id"));
    let body: serde_json::Value = response.json().await.unwrap();
    assert!(body["data"]["deposits"]["totalCount"].as_u64().unwrap() > 0, "{body}");
    // A file upload larger than the 2 MiB of ordinary requests goes through
    // to ODG (nginx allows uploads up to ODG_MAX_UPLOAD_MB on /graphql) ...
    let features: Vec<_> = (0..6000)
        .map(|i| {
            json!({"type": "Feature", "properties": {"n": i, "note": "x".repeat(480)},
                   "geometry": {"type": "Point", "coordinates": [9.0 + i as f64 / 1000.0, -1.0]}})
        })
        .collect();
    let file = serde_json::to_vec(&json!({"type": "FeatureCollection", "features": features})).unwrap();
    assert!(file.len() > 3 * 1024 * 1024, "{} bytes", file.len());
    let operations = json!({
        "query": "mutation($file: Upload!) { previewImport(file: $file) { format featureCount } }",
        "variables": {"file": null},
    });
    let form = reqwest::multipart::Form::new()
        .text("operations", operations.to_string())
        .text("map", json!({"0": ["variables.file"]}).to_string())
        .part("0", reqwest::multipart::Part::bytes(file).file_name("points.geojson"));
    let upload = client
        .post(format!("{https}/graphql"))
        .header("Host", "odg.example.org")
        .bearer_auth(&app.admin_token)
        .multipart(form)
        .send()
        .await
        .unwrap();
    assert_eq!(upload.status(), 200, "an upload above 2 MiB passes nginx");
    let body: serde_json::Value = upload.json().await.unwrap();
    assert_eq!(body["data"]["previewImport"]["featureCount"], 6000, "{body}");
    // ... while a plain JSON body that large is still refused (by ODG).
    let big = json!({"query": "{ deposits { totalCount } }", "variables": {"pad": "x".repeat(3 * 1024 * 1024)}});
    let refused = client.post(format!("{https}/graphql")).json(&big).send().await.unwrap();
    assert_eq!(refused.status(), 413);
    // A subscription over WebSocket (TLS, HTTP/1.1 upgrade) through the proxy.
    let started = upload_through(&client, &https, &app.admin_token).await;
    let import_id = started["data"]["importLayer"]["id"].as_str().unwrap().to_owned();
    let updates = subscribe_through_tls(dir.path(), https_port, &app.admin_token, &import_id).await;
    let last = &updates.last().expect("an update")["data"]["importProgress"];
    assert_eq!(last["status"], "SUCCEEDED", "{updates:?}");
    let tile = client.get(format!("{https}/tiles/deposits/8/137/129.mvt")).send().await.unwrap();
    assert_eq!(tile.status(), 200);
    assert!(tile.headers().contains_key("etag"), "ODG's cache headers pass through");
    let metrics = client.get(format!("{https}/metrics")).send().await.unwrap();
    assert_eq!(metrics.status(), 404, "/metrics is not exposed through nginx");
    let plain = client.get(format!("http://127.0.0.1:{http_port}/graphiql")).send().await.unwrap();
    assert_eq!(plain.status(), 301);
    assert!(plain.headers()["location"].to_str().unwrap().starts_with("https://"));
}

async fn upload_through(client: &reqwest::Client, https: &str, token: &str) -> serde_json::Value {
    let operations = json!({
        "query": "mutation($file: Upload!) { importLayer(file: $file, input: { name: \"Via nginx\" }) { id } }",
        "variables": {"file": null},
    });
    let form = reqwest::multipart::Form::new()
        .text("operations", operations.to_string())
        .text("map", json!({"0": ["variables.file"]}).to_string())
        .part(
            "0",
            reqwest::multipart::Part::bytes(br#"{"type":"Point","coordinates":[13.2,-1.5]}"#.to_vec())
                .file_name("p.geojson"),
        );
    let response = client
        .post(format!("{https}/graphql"))
        .header("Host", "odg.example.org")
        .bearer_auth(token)
        .multipart(form)
        .send()
        .await
        .unwrap();
    response.json().await.unwrap()
}

/// Opens `wss://odg.example.org:<port>/graphql` on 127.0.0.1, trusting the
/// test certificate, and follows one import to its end.
async fn subscribe_through_tls(dir: &Path, port: u16, token: &str, import_id: &str) -> Vec<serde_json::Value> {
    use rustls_pki_types::CertificateDer;
    use rustls_pki_types::pem::PemObject;
    let mut roots = rustls::RootCertStore::empty();
    roots.add(CertificateDer::from_pem_file(dir.join("cert.pem")).unwrap()).unwrap();
    let config =
        rustls::ClientConfig::builder_with_provider(std::sync::Arc::new(rustls::crypto::ring::default_provider()))
            .with_safe_default_protocol_versions()
            .unwrap()
            .with_root_certificates(roots)
            .with_no_client_auth();
    let stream = tokio::net::TcpStream::connect(("127.0.0.1", port)).await.unwrap();
    let request = crate::helpers::websocket_request(&format!("wss://odg.example.org:{port}/graphql"));
    let connector = tokio_tungstenite::Connector::Rustls(std::sync::Arc::new(config));
    let (socket, response) =
        tokio_tungstenite::client_async_tls_with_config(request, stream, None, Some(connector)).await.unwrap();
    assert_eq!(response.status(), 101);
    crate::helpers::subscription(
        socket,
        token,
        "subscription($id: ID!) { importProgress(id: $id) { status featuresWritten } }",
        json!({ "id": import_id }),
    )
    .await
}

/// Stops nginx gracefully (master and workers) when dropped.
struct Nginx {
    child: std::process::Child,
    conf: std::path::PathBuf,
}

impl Drop for Nginx {
    fn drop(&mut self) {
        let _ = Command::new("nginx")
            .arg("-c")
            .arg(&self.conf)
            .args(["-s", "stop"])
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null())
            .status();
        let _ = self.child.wait();
    }
}

#[test]
fn systemd_accepts_the_units() {
    if !have("systemd-analyze") {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let mut paths = Vec::new();
    for name in ["odg.service", "odg-backup.service", "odg-backup.timer"] {
        let unit =
            std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("deploy/systemd").join(name)).unwrap();
        // verify checks that the executables exist: point at the built binary.
        let unit = unit.replace("/usr/local/bin/odg", env!("CARGO_BIN_EXE_odg"));
        let path = dir.path().join(name);
        std::fs::write(&path, unit).unwrap();
        paths.push(path);
    }
    let out = Command::new("systemd-analyze").arg("verify").args(&paths).output().unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    // verify does not fail on every warning: none may concern our units.
    let stderr = String::from_utf8_lossy(&out.stderr);
    let ours: Vec<&str> = stderr.lines().filter(|l| l.contains("odg")).collect();
    assert!(ours.is_empty(), "systemd-analyze verify warned about the units:\n{}", ours.join("\n"));
}

/// The backup timer runs odg-backup.service daily, catches up after downtime and spreads its start.
#[test]
fn the_backup_timer_is_daily_persistent_and_randomized() {
    let timer =
        std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/deploy/systemd/odg-backup.timer")).unwrap();
    for line in ["Persistent=true", "Unit=odg-backup.service", "WantedBy=timers.target"] {
        assert!(timer.lines().any(|l| l.trim() == line), "odg-backup.timer lacks {line}");
    }
    assert!(timer.lines().any(|l| l.starts_with("OnCalendar=")), "odg-backup.timer has no OnCalendar");
    assert!(timer.lines().any(|l| l.starts_with("RandomizedDelaySec=")), "odg-backup.timer has no RandomizedDelaySec");
    // The backup unit is sandboxed like the server, with the backup directory writable.
    let read = |name: &str| {
        std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("deploy/systemd").join(name)).unwrap()
    };
    let (server, backup) = (read("odg.service"), read("odg-backup.service"));
    let sandbox = |unit: &str| -> Vec<String> {
        unit.lines()
            .skip_while(|l| !l.starts_with("NoNewPrivileges="))
            .take_while(|l| !l.trim().is_empty() && !l.starts_with('['))
            .filter(|l| !l.starts_with("ReadWritePaths="))
            .map(str::to_string)
            .collect()
    };
    assert!(!sandbox(&server).is_empty());
    assert_eq!(sandbox(&backup), sandbox(&server), "odg-backup.service has odg.service's sandboxing");
    let writable = backup.lines().find(|l| l.starts_with("ReadWritePaths=")).unwrap_or_default();
    assert!(writable.split_whitespace().any(|p| p.ends_with("/var/backups/odg")), "{writable}");
}
