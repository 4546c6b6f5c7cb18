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
        .arg("-keyout")
        .arg(&key)
        .arg("-out")
        .arg(&cert)
        .output()
        .unwrap();
    assert!(made.status.success(), "{}", String::from_utf8_lossy(&made.stderr));
    let text = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/deploy/nginx/odg.conf")).unwrap();
    let text = text
        .replace("/etc/letsencrypt/live/odg.example.org/fullchain.pem", cert.to_str().unwrap())
        .replace("/etc/letsencrypt/live/odg.example.org/privkey.pem", key.to_str().unwrap())
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
    let tile = client.get(format!("{https}/tiles/deposits/8/137/129.mvt")).send().await.unwrap();
    assert_eq!(tile.status(), 200);
    assert!(tile.headers().contains_key("etag"), "ODG's cache headers pass through");
    let metrics = client.get(format!("{https}/metrics")).send().await.unwrap();
    assert_eq!(metrics.status(), 404, "/metrics is not exposed through nginx");
    let plain = client.get(format!("http://127.0.0.1:{http_port}/graphiql")).send().await.unwrap();
    assert_eq!(plain.status(), 301);
    assert!(plain.headers()["location"].to_str().unwrap().starts_with("https://"));
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
