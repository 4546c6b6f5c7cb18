//! What one anonymous request may cost: large polygons are checked in
//! near-linear time off the async workers, geometries over the vertex limit
//! are refused, a request that outlives its time budget is cut with a code,
//! `featureCollection` aliases are refused by complexity and an answer
//! larger than `ODG_MAX_RESPONSE_MB` by the response budget.

use crate::helpers::{Backend, TestApp, error_code, spawn_with};
use crate::on_both_backends;
use serde_json::{Value, json};
use std::time::{Duration, Instant};

on_both_backends!(
    a_forty_thousand_vertex_filter_gets_the_answer_of_a_simpler_one,
    a_self_intersecting_forty_thousand_vertex_filter_is_refused,
    healthz_answers_while_two_large_filters_run,
    feature_collection_aliases_are_refused_by_complexity,
);

const WITHIN: &str = "query($g: GeoJSON!) { deposits(filter: {within: $g}) { totalCount } }";

/// A closed ring of `n` vertices around (13, -1.5), radius 0.5°: the area
/// of Moanda and Franceville, where the demo has deposits.
fn circle(n: usize) -> Vec<[f64; 2]> {
    let mut ring: Vec<[f64; 2]> = (0..n)
        .map(|i| {
            let a = i as f64 / n as f64 * std::f64::consts::TAU;
            [13.0 + 0.5 * a.cos(), -1.5 + 0.5 * a.sin()]
        })
        .collect();
    ring.push(ring[0]);
    ring
}

fn polygon(ring: Vec<[f64; 2]>) -> Value {
    json!({"type": "Polygon", "coordinates": [ring]})
}

async fn a_forty_thousand_vertex_filter_gets_the_answer_of_a_simpler_one(app: &TestApp) {
    let fine = app.anonymous(WITHIN, json!({"g": polygon(circle(40_000))})).await;
    assert!(fine.get("errors").is_none(), "{fine}");
    // 400 vertices trace the same circle to within two metres.
    let coarse = app.anonymous(WITHIN, json!({"g": polygon(circle(400))})).await;
    let count = coarse["data"]["deposits"]["totalCount"].as_u64().unwrap();
    assert!(count > 0, "the circle should hold demo deposits: {coarse}");
    assert_eq!(fine["data"]["deposits"]["totalCount"].as_u64(), Some(count), "{fine}");
}

async fn a_self_intersecting_forty_thousand_vertex_filter_is_refused(app: &TestApp) {
    let mut ring = circle(40_000);
    // Two far-apart vertices swapped: their edges cross the circle.
    ring.swap(1_000, 21_000);
    let body = app.anonymous(WITHIN, json!({"g": polygon(ring)})).await;
    assert_eq!(error_code(&body), "BAD_USER_INPUT", "{body}");
    assert_eq!(body["errors"][0]["extensions"]["field"], "filter.within.coordinates", "{body}");
    assert!(body["errors"][0]["message"].as_str().unwrap().contains("self-intersection"), "{body}");
}

/// Before, checking such a polygon took each async worker for most of a
/// minute and `/healthz` waited as long. This is a liveness check, not a
/// timing target: five seconds is far beyond what a free worker needs.
async fn healthz_answers_while_two_large_filters_run(app: &TestApp) {
    // The acceptance check's request (at 60 000 vertices the body passes
    // ODG_MAX_BODY_BYTES).
    let g = polygon(circle(40_000));
    let heavy = || {
        let (client, url, g) = (app.client.clone(), format!("{}/graphql", app.address), g.clone());
        tokio::spawn(async move {
            client.post(url).json(&json!({"query": WITHIN, "variables": {"g": g}})).send().await.unwrap().status()
        })
    };
    let requests = [heavy(), heavy()];
    tokio::time::sleep(Duration::from_millis(200)).await;
    let started = Instant::now();
    let health = tokio::time::timeout(Duration::from_secs(5), app.get("/healthz")).await;
    let health = health.unwrap_or_else(|_| panic!("/healthz did not answer within 5 s of two large requests"));
    assert_eq!(health.status(), 200);
    eprintln!("/healthz answered in {} ms during two large requests", started.elapsed().as_millis());
    for request in requests {
        assert_eq!(request.await.unwrap(), 200);
    }
}

async fn feature_collection_aliases_are_refused_by_complexity(app: &TestApp) {
    let aliases: String = (0..300).map(|i| format!("a{i}: deposits {{ featureCollection }} ")).collect();
    let body = app.anonymous(&format!("{{ {aliases} }}"), json!({})).await;
    assert_eq!(error_code(&body), "BAD_USER_INPUT", "{body}");
    assert!(body["data"].is_null(), "{body}");
    assert!(body["errors"][0]["message"].as_str().unwrap().contains("too complex"), "{body}");
    // A few stay within the limit, as a map page asks them.
    let body =
        app.anonymous("{ deposits { featureCollection } exploitationAreas { featureCollection } }", json!({})).await;
    assert!(body.get("errors").is_none(), "{body}");
    assert_eq!(body["data"]["deposits"]["featureCollection"]["type"], "FeatureCollection");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_geometry_over_the_vertex_limit_is_refused_with_its_field_on_sqlite() {
    over_the_vertex_limit(Backend::Sqlite).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_geometry_over_the_vertex_limit_is_refused_with_its_field_on_postgis() {
    over_the_vertex_limit(Backend::Postgis).await;
}

async fn over_the_vertex_limit(backend: Backend) {
    let Some(app) = spawn_with(backend, true, &[("ODG_MAX_GEOMETRY_VERTICES", "1000")]).await else { return };
    let within_limit = app.anonymous(WITHIN, json!({"g": polygon(circle(999))})).await;
    assert!(within_limit.get("errors").is_none(), "{within_limit}");
    let over = app.anonymous(WITHIN, json!({"g": polygon(circle(1_000))})).await;
    assert_eq!(error_code(&over), "BAD_USER_INPUT", "{over}");
    assert_eq!(over["errors"][0]["extensions"]["field"], "filter.within.coordinates", "{over}");
    assert!(over["errors"][0]["message"].as_str().unwrap().contains("1001 positions"), "{over}");
    // A write over the limit is refused too, and changes nothing.
    let before = app.data("{ deposits { totalCount } }", json!({})).await;
    let create = "mutation($g: GeoJSON!) { createDeposit(input: {name: \"Trop détaillé\", commodityCode: \"MN\", \
                  status: EXPLORATION, geometry: $g}) { id } }";
    let body = app.graphql(create, json!({"g": polygon(circle(2_000))})).await;
    assert_eq!(error_code(&body), "BAD_USER_INPUT", "{body}");
    assert_eq!(body["errors"][0]["extensions"]["field"], "input.geometry.coordinates", "{body}");
    assert_eq!(app.data("{ deposits { totalCount } }", json!({})).await, before);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_answer_over_the_response_limit_is_refused_with_a_code_on_sqlite() {
    over_the_response_limit(Backend::Sqlite).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_answer_over_the_response_limit_is_refused_with_a_code_on_postgis() {
    over_the_response_limit(Backend::Postgis).await;
}

/// The request: 300 `featureCollection` aliases. With the
/// complexity limit raised out of the way, the response limit refuses it,
/// as one error, instead of building the answer.
async fn over_the_response_limit(backend: Backend) {
    let extra = [("ODG_MAX_RESPONSE_MB", "1"), ("ODG_MAX_QUERY_COMPLEXITY", "1000000")];
    let Some(app) = spawn_with(backend, true, &extra).await else { return };
    let one = app.anonymous("{ deposits { featureCollection } }", json!({})).await;
    assert!(one.get("errors").is_none(), "one collection fits: {one}");
    let copies = (1 << 20) / one.to_string().len() + 2;
    assert!(copies <= 300, "300 aliases must pass 1 MiB ({copies} needed)");
    let aliases: String = (0..300).map(|i| format!("a{i}: deposits {{ featureCollection }} ")).collect();
    let response = app
        .client
        .post(format!("{}/graphql", app.address))
        .json(&json!({"query": format!("{{ {aliases} }}")}))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 400);
    let body: Value = response.json().await.unwrap();
    assert_eq!(error_code(&body), "BAD_USER_INPUT", "{body}");
    assert!(body["data"].is_null(), "a partial answer was sent: {body}");
    assert_eq!(body["errors"].as_array().unwrap().len(), 1, "{body}");
    assert!(body["errors"][0]["message"].as_str().unwrap().contains("ODG_MAX_RESPONSE_MB"), "{body}");
    // Pages of geometries count as well as collections do.
    let aliases: String = (0..400).map(|i| format!("a{i}: deposits {{ nodes {{ geometry description }} }} ")).collect();
    let body = app.anonymous(&format!("{{ {aliases} }}"), json!({})).await;
    assert!(body["data"].is_null(), "{body}");
    assert!(body["errors"][0]["message"].as_str().unwrap().contains("ODG_MAX_RESPONSE_MB"), "{body}");
}

/// `distanceM` from each demo deposit to a 40 000-vertex circle far away
/// takes seconds even in an optimised build: the request is cut at its
/// one-second budget with a code, and the server goes on answering.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_request_over_its_time_budget_is_cut_with_a_code() {
    let app = spawn_with(Backend::Sqlite, true, &[("ODG_REQUEST_TIMEOUT_SECS", "1")]).await.unwrap();
    let far: Vec<[f64; 2]> = circle(40_000).iter().map(|[x, y]| [x - 13.0, y + 1.5]).collect();
    let query = "query($g: GeoJSON!) { deposits(first: 50) { nodes { distanceM(to: $g) } } }";
    let started = Instant::now();
    let response = app
        .client
        .post(format!("{}/graphql", app.address))
        .json(&json!({"query": query, "variables": {"g": polygon(far)}}))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 503);
    let body: Value = response.json().await.unwrap();
    assert_eq!(error_code(&body), "TIMEOUT", "{body}");
    assert!(body["data"].is_null(), "{body}");
    assert!(started.elapsed() < Duration::from_secs(30), "the budget did not cut the request");
    let health = tokio::time::timeout(Duration::from_secs(5), app.get("/healthz")).await.expect("/healthz");
    assert_eq!(health.status(), 200);
    let quick = app.anonymous("{ deposits(first: 1) { totalCount } }", json!({})).await;
    assert!(quick.get("errors").is_none(), "{quick}");
}
