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
