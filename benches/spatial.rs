//! Spatial query benchmark: N synthetic deposits over Gabon, then the
//! "within 50 km of Moanda, nearest first" list and a bbox list, timed.
//!
//! Run: `cargo bench --bench spatial` (SQLite), and with
//! `ODG_BENCH_POSTGRES_URL=postgres://…/db_with_postgis` for PostGIS too.
//! `ODG_BENCH_DEPOSITS` sets N (default 50 000). Prints its figures; it
//! asserts nothing.

use odg::domain::{Actor, Catalog, DepositDraft, DepositFilter, DepositStatus, ListParams, Ordering, SpatialFilter};
use odg::spatial::Bbox;
use odg::storage::Store;
use std::time::{Duration, Instant};

const QUERIES: usize = 200;

fn main() {
    let runtime = tokio::runtime::Builder::new_multi_thread().enable_all().build().unwrap();
    runtime.block_on(async {
        let n: usize = std::env::var("ODG_BENCH_DEPOSITS").ok().and_then(|v| v.parse().ok()).unwrap_or(50_000);
        let dir = tempfile::tempdir().unwrap();
        let sqlite = format!("sqlite://{}", dir.path().join("bench.sqlite").display());
        let mut targets = vec![("sqlite", sqlite)];
        if let Ok(url) = std::env::var("ODG_BENCH_POSTGRES_URL") {
            targets.push(("postgis", url));
        }
        for (name, url) in targets {
            let store = Store::connect(&url, 4).await.expect("connect");
            store.migrate().await.expect("migrate");
            let catalog = Catalog::new(store);
            seed(&catalog, n).await;
            run(name, &catalog, n).await;
        }
    });
}

/// Deterministic pseudo-random positions over Gabon's bounding box.
async fn seed(catalog: &Catalog, n: usize) {
    let started = Instant::now();
    let code = "BENCH";
    if catalog.commodity_by_code(code).await.map_err(|e| e.into_anyhow()).unwrap().is_none() {
        let draft = odg::domain::CommodityDraft {
            code: code.into(),
            name_fr: "Banc d'essai".into(),
            name_en: "Benchmark".into(),
            color: "#808080".into(),
            default_unit: "t".into(),
        };
        catalog.create_commodity(&Actor::System, draft).await.map_err(|e| e.into_anyhow()).unwrap();
    }
    let existing = catalog
        .deposits(&DepositFilter::default(), &ListParams { limit: Some(1), ..ListParams::default() })
        .await
        .map_err(|e| e.into_anyhow())
        .unwrap()
        .total as usize;
    let mut state: u64 = 0x9E37_79B9_7F4A_7C15;
    let mut next = || {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        (state % 1_000_000) as f64 / 1_000_000.0
    };
    for i in existing..n {
        let (lon, lat) = (8.7 + next() * 5.8, -3.9 + next() * 6.2);
        let draft = DepositDraft {
            name: format!("Gisement synthétique {i}"),
            commodity_code: code.into(),
            operator_id: None,
            status: DepositStatus::Exploration,
            geometry: serde_json::json!({"type": "Point", "coordinates": [lon, lat]}),
            estimated_quantity: None,
            quantity_unit: None,
            grade: None,
            grade_unit: None,
            discovery_date: None,
            province: None,
            description: None,
            properties: serde_json::Value::Null,
        };
        catalog.create_deposit(&Actor::System, draft).await.map_err(|e| e.into_anyhow()).unwrap();
    }
    println!("seeded {} deposits in {:.1} s", n.saturating_sub(existing), started.elapsed().as_secs_f64());
}

async fn run(backend: &str, catalog: &Catalog, n: usize) {
    let moanda = geo_types::Geometry::Point(geo_types::Point::new(13.2, -1.566));
    let near = ListParams {
        spatial: vec![SpatialFilter::DWithin { geometry: moanda.clone(), meters: 50_000.0 }],
        ordering: Ordering::DistanceTo(moanda),
        limit: Some(50),
        ..ListParams::default()
    };
    let boxed = ListParams {
        spatial: vec![SpatialFilter::Bbox(Bbox { min_lon: 12.9, min_lat: -1.9, max_lon: 13.8, max_lat: -1.2 })],
        limit: Some(50),
        ..ListParams::default()
    };
    for (label, params) in [("dwithin 50 km + nearest first", &near), ("bbox 0.9° × 0.7°", &boxed)] {
        let mut times: Vec<Duration> = Vec::with_capacity(QUERIES);
        let mut matched = 0;
        for _ in 0..QUERIES {
            let t = Instant::now();
            let page = catalog.deposits(&DepositFilter::default(), params).await.map_err(|e| e.into_anyhow()).unwrap();
            times.push(t.elapsed());
            matched = page.total;
        }
        times.sort();
        let ms = |d: Duration| d.as_secs_f64() * 1000.0;
        println!(
            "{backend:8} n={n:<7} {label:32} matched={matched:<6} p50={:.2} ms p95={:.2} ms max={:.2} ms",
            ms(times[QUERIES / 2]),
            ms(times[QUERIES * 95 / 100]),
            ms(times[QUERIES - 1])
        );
    }
}
