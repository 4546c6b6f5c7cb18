//! A full disk under the SQLite data directory: every write that did not
//! happen is refused with `INSUFFICIENT_STORAGE` (never acknowledged), every
//! acknowledged write is there afterwards, and once space is freed the
//! server writes, reads and signs in again without a restart.
//!
//! The data directory is a small tmpfs the test mounts, which needs root
//! (CI runs as root); elsewhere the test says it is skipped.

use crate::helpers::{Backend, PASSWORD, TestApp, error_code, login, spawn_with};
use serde_json::{Value, json};
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::Command;

/// A tmpfs of `size_mb` MB, unmounted when dropped.
struct SmallDisk {
    dir: tempfile::TempDir,
}

impl SmallDisk {
    fn mount(size_mb: u32) -> Option<SmallDisk> {
        let dir = tempfile::tempdir().expect("temp dir");
        let mounted = Command::new("mount")
            .args(["-t", "tmpfs", "-o", &format!("size={size_mb}m"), "tmpfs"])
            .arg(dir.path())
            .status()
            .is_ok_and(|s| s.success());
        if !mounted {
            assert!(std::env::var("CI").is_err(), "CI runs as root and must be able to mount a tmpfs");
            eprintln!("skipped: mounting a tmpfs needs root");
            return None;
        }
        Some(SmallDisk { dir })
    }

    fn path(&self) -> &Path {
        self.dir.path()
    }

    /// Writes a file until the disk refuses another byte; returns its path.
    fn fill(&self) -> PathBuf {
        let path = self.path().join("filler");
        let mut file = std::fs::File::create(&path).expect("filler");
        let chunk = vec![7u8; 64 * 1024];
        while file.write_all(&chunk).and_then(|()| file.flush()).is_ok() {}
        // What a smaller write can still take.
        while file.write_all(&chunk[..512]).is_ok() {}
        path
    }
}

impl Drop for SmallDisk {
    fn drop(&mut self) {
        let _ = Command::new("umount").arg("-l").arg(self.dir.path()).status();
    }
}

const CREATE: &str = "mutation($input: DepositInput!) { createDeposit(input: $input) { id name } }";

fn deposit(n: usize) -> Value {
    // A long description makes every write need new pages.
    json!({ "input": {
        "name": format!("Gisement plein {n}"), "commodityCode": "AU", "status": "EXPLORATION",
        "geometry": { "type": "Point", "coordinates": [11.5 + n as f64 * 0.001, -0.5] },
        "description": "x".repeat(19_000),
    }})
}

async fn count(app: &TestApp) -> u64 {
    app.data("{ deposits { totalCount } }", json!({})).await["deposits"]["totalCount"].as_u64().unwrap()
}

/// Sends creates; returns the names of the acknowledged ones and the error codes of the others.
async fn create_many(app: &TestApp, from: usize, n: usize) -> (Vec<String>, Vec<String>) {
    let (mut saved, mut refused) = (Vec::new(), Vec::new());
    for k in from..from + n {
        let answer = app.graphql(CREATE, deposit(k)).await;
        if answer.get("errors").is_some() {
            refused.push(format!("{} ({})", error_code(&answer), answer["errors"][0]["message"]));
        } else {
            saved.push(answer["data"]["createDeposit"]["name"].as_str().unwrap().to_owned());
        }
    }
    (saved, refused)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_full_disk_refuses_writes_with_a_code_loses_none_and_recovers_by_itself() {
    let Some(disk) = SmallDisk::mount(16) else { return };
    let data_dir = disk.path().display().to_string();
    let app = spawn_with(Backend::Sqlite, true, &[("ODG_DATA_DIR", &data_dir)]).await.unwrap();
    let before = count(&app).await;
    let filler = disk.fill();

    // Before the fix, all 60 were acknowledged with one same id, and none was saved.
    let (saved, refused) = create_many(&app, 0, 60).await;
    assert!(!refused.is_empty(), "the disk never filled: the test proves nothing");
    for r in &refused {
        assert!(r.starts_with("INSUFFICIENT_STORAGE"), "a write on a full disk: {r}");
        assert!(r.contains(&data_dir), "the message names the data directory: {r}");
    }
    // An upload that does not fit is refused the same way.
    let zip = vec![1u8; 2 * 1024 * 1024];
    let upload = crate::layers::upload(
        &app,
        Some(&app.admin_token),
        "mutation($file: Upload!, $input: LayerInput!) { importLayer(file: $file, input: $input) { id } }",
        json!({ "input": { "name": "Trop gros", "kind": "DEPOSIT" } }),
        "gros.geojson",
        zip,
    )
    .await;
    assert_eq!(error_code(&upload), "INSUFFICIENT_STORAGE", "{upload}");

    // Space comes back: no restart, yet every connection writes and reads the latest data.
    std::fs::remove_file(filler).unwrap();
    let (saved_after, refused_after) = create_many(&app, 100, 12).await;
    assert!(refused_after.is_empty(), "after space was freed: {refused_after:?}");
    assert!(login(&app.client, &app.address, "editeur", PASSWORD).await["accessToken"].is_string());
    for _ in 0..8 {
        assert_eq!(count(&app).await, before + (saved.len() + saved_after.len()) as u64, "a stale or lost write");
    }
    // Every acknowledged write is there, once.
    let names = app.data("{ deposits(first: 500, filter: { search: \"plein\" }) { nodes { name } } }", json!({})).await;
    let mut found: Vec<String> =
        names["deposits"]["nodes"].as_array().unwrap().iter().map(|n| n["name"].as_str().unwrap().to_owned()).collect();
    found.sort();
    let mut expected: Vec<String> = saved.into_iter().chain(saved_after).collect();
    expected.sort();
    assert_eq!(found, expected);
    app.stop().await;
}
