//! Storage guarantees: index use, PostGIS checks, idempotent migrations.

use crate::helpers::{Backend, ThrowawayDatabase, spawn_app};
use odg::spatial::Bbox;
use odg::storage::Store;

const FRANCEVILLE: Bbox = Bbox { min_lon: 13.0, min_lat: -1.8, max_lon: 13.7, max_lat: -1.3 };

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_bbox_query_uses_the_rtree_on_sqlite() {
    let app = spawn_app(Backend::Sqlite).await.unwrap();
    let plan = app.catalog.store().explain_deposit_bbox(FRANCEVILLE).await.unwrap().join("\n");
    assert!(plan.contains("deposit_rtree VIRTUAL TABLE INDEX"), "{plan}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_bbox_query_uses_the_gist_index_on_postgis() {
    let Some(app) = spawn_app(Backend::Postgis).await else {
        return;
    };
    let plan = app.catalog.store().explain_deposit_bbox(FRANCEVILLE).await.unwrap().join("\n");
    assert!(plan.contains("deposit_geom_idx"), "{plan}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_database_without_postgis_is_refused_with_the_command_to_run() {
    let Some(db) = ThrowawayDatabase::create(false).await else {
        return;
    };
    let err = match Store::connect(&db.url, 2).await {
        Ok(_) => panic!("connected to a database without PostGIS"),
        Err(e) => e.to_string(),
    };
    assert!(err.contains("CREATE EXTENSION postgis;") && err.contains(&db.name), "{err}");
    assert!(!err.contains('\n'), "not one line: {err}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn migrations_run_twice_change_nothing() {
    for backend in [Backend::Sqlite, Backend::Postgis] {
        let Some(app) = spawn_app(backend).await else {
            continue;
        };
        app.catalog.store().migrate().await.unwrap();
        app.catalog.store().migrate().await.unwrap();
        let page = app
            .catalog
            .deposits(&Default::default(), &odg::domain::ListParams::default())
            .await
            .map_err(|e| e.into_anyhow())
            .unwrap();
        assert!(page.total > 0);
    }
}

/// Everything a backup must give back, in a comparable form.
async fn snapshot(catalog: &odg::domain::Catalog) -> String {
    let all = odg::domain::ListParams { limit: None, ..Default::default() };
    let deposits = catalog.deposits(&Default::default(), &all).await.map_err(|e| e.into_anyhow()).unwrap().items;
    let areas = catalog.exploitation_areas(&Default::default(), &all).await.map_err(|e| e.into_anyhow()).unwrap().items;
    let lines = catalog.infrastructures(&Default::default(), &all).await.map_err(|e| e.into_anyhow()).unwrap().items;
    let operators = catalog.operators(&Default::default(), &all).await.map_err(|e| e.into_anyhow()).unwrap().items;
    let users = catalog
        .users(&odg::domain::Actor::System, &Default::default(), &all)
        .await
        .map_err(|e| e.into_anyhow())
        .unwrap()
        .items;
    format!("{deposits:?}\n{areas:?}\n{lines:?}\n{operators:?}\n{users:?}")
}

fn odg(args: &[&str], vars: &[(&str, &str)]) -> std::process::Output {
    let mut command = std::process::Command::new(env!("CARGO_BIN_EXE_odg"));
    command.args(args).env_remove("DATABASE_URL").env("RUST_LOG", "error");
    for (k, v) in vars {
        command.env(k, v);
    }
    command.output().unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_backup_restores_every_row_on_sqlite() {
    let app = spawn_app(Backend::Sqlite).await.unwrap();
    let before = snapshot(&app.catalog).await;
    let backups = tempfile::tempdir().unwrap();
    let data = app.dir.path().to_str().unwrap().to_string();
    let out = odg(&["backup", "--dir", backups.path().to_str().unwrap()], &[("ODG_DATA_DIR", &data)]);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let file = std::fs::read_dir(backups.path()).unwrap().next().unwrap().unwrap().path();
    assert!(file.to_string_lossy().ends_with(".sqlite.gz"));
    // Into an empty place: restored; into the live database: refused.
    let target = tempfile::tempdir().unwrap();
    let out = odg(&["restore", file.to_str().unwrap()], &[("ODG_DATA_DIR", target.path().to_str().unwrap())]);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let refused = odg(&["restore", file.to_str().unwrap()], &[("ODG_DATA_DIR", &data)]);
    assert!(!refused.status.success());
    assert!(String::from_utf8_lossy(&refused.stderr).contains("--force"));
    let url = format!("sqlite://{}", target.path().join("odg.sqlite").display());
    let restored = odg::domain::Catalog::new(Store::connect(&url, 1).await.unwrap());
    assert_eq!(snapshot(&restored).await, before);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_backup_restores_every_row_on_postgis() {
    let Some(app) = spawn_app(Backend::Postgis).await else { return };
    if std::process::Command::new("pg_dump").arg("--version").output().is_err() {
        assert!(std::env::var("CI").is_err(), "CI must have pg_dump");
        eprintln!("skipped: pg_dump is not installed");
        return;
    }
    let before = snapshot(&app.catalog).await;
    let source_url = app.database_url().unwrap();
    let backups = tempfile::tempdir().unwrap();
    let out = odg(&["backup", "--dir", backups.path().to_str().unwrap()], &[("DATABASE_URL", &source_url)]);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let file = std::fs::read_dir(backups.path()).unwrap().next().unwrap().unwrap().path();
    assert!(file.to_string_lossy().ends_with(".dump"));
    let target = ThrowawayDatabase::create(true).await.unwrap();
    let out = odg(&["restore", file.to_str().unwrap()], &[("DATABASE_URL", &target.url)]);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let restored = odg::domain::Catalog::new(Store::connect(&target.url, 1).await.unwrap());
    assert_eq!(snapshot(&restored).await, before);
    let refused = odg(&["restore", file.to_str().unwrap()], &[("DATABASE_URL", &target.url)]);
    assert!(!refused.status.success(), "a non-empty database was overwritten without --force");
}
