//! Every bad input gets a code, a field where there is one, and no internals.

use crate::helpers::{TestApp, error_code};
use crate::on_both_backends;
use serde_json::json;

on_both_backends!(
    bad_arguments_name_their_field,
    request_level_errors_are_bad_user_input,
    overlong_search_terms_are_refused_with_their_field,
);

async fn bad_arguments_name_their_field(app: &TestApp) {
    let cases = [
        ("{ deposit(id: \"abc\") { id } }", "id"),
        ("{ deposits(first: -1) { totalCount } }", "first"),
        ("{ deposits(first: 100000) { totalCount } }", "first"),
        ("{ deposits(after: \"not-a-cursor\") { totalCount } }", "after"),
        ("{ deposits(filter: {bbox: {west: 14, south: -2, east: 13, north: -1}}) { totalCount } }", "filter.bbox"),
        (
            "{ deposits(filter: {dwithin: {geometry: {type: \"Point\", coordinates: [13, -1]}, meters: -5}}) { totalCount } }",
            "filter.dwithin.meters",
        ),
        (
            "{ deposits(filter: {within: {type: \"Point\", coordinates: [13, 95]}}) { totalCount } }",
            "filter.within.coordinates",
        ),
        ("{ deposits(filter: {commodityCode: [\"ZZZ\"]}) { totalCount } }", "filter.commodityCode"),
        (
            "{ deposits(orderBy: {field: NAME, distanceTo: {type: \"Point\", coordinates: [13, -1]}}) { totalCount } }",
            "orderBy",
        ),
        ("{ nearestDeposits(point: {type: \"Point\", coordinates: [13, -1]}, limit: 0) { id } }", "limit"),
        ("{ commodity { id } }", "id"),
        ("{ nearestDeposits(point: {type: \"LineString\", coordinates: [[13, -1], [14, -1]]}) { id } }", "point.type"),
    ];
    for (query, field) in cases {
        let body = app.graphql(query, json!({})).await;
        assert_eq!(error_code(&body), "BAD_USER_INPUT", "{query}: {body}");
        assert_eq!(body["errors"][0]["extensions"]["field"], field, "{query}: {body}");
    }
    let missing = app.data("{ deposit(id: \"999999\") { id } }", json!({})).await;
    assert!(missing["deposit"].is_null());
}

async fn request_level_errors_are_bad_user_input(app: &TestApp) {
    for query in [
        "{ deposits { nope } }",
        "{ deposits(",
        "mutation { createDeposit(input: {name: \"x\"}) { id } }",
        "query($g: GeoJSON!) { deposits(filter: {intersects: $g}) { totalCount } }",
    ] {
        let body = app.graphql(query, json!({"g": 42})).await;
        assert_eq!(error_code(&body), "BAD_USER_INPUT", "{query}: {body}");
    }
    // Too deep a query is refused before it runs.
    let nested =
        format!("{{ __schema {{ types {{ {} name {} }} }} }}", "fields { type { ".repeat(10), "} } ".repeat(10));
    let body = app.graphql(&nested, json!({})).await;
    assert_eq!(error_code(&body), "BAD_USER_INPUT", "{body}");
}

/// SQLite refuses LIKE patterns of 50 000 bytes: a search that long was an
/// internal error there and a slow scan on PostgreSQL.
async fn overlong_search_terms_are_refused_with_their_field(app: &TestApp) {
    let long = "x".repeat(50_010);
    for query in [
        "query($s: String!) { deposits(filter: { search: $s }) { totalCount } }",
        "query($s: String!) { operators(filter: { search: $s }) { totalCount } }",
        "query($s: String!) { layers(filter: { search: $s }) { totalCount } }",
        "query($s: String!) { users(filter: { search: $s }) { totalCount } }",
    ] {
        let answer = app.graphql(query, json!({ "s": long })).await;
        assert_eq!(error_code(&answer), "BAD_USER_INPUT", "{query}: {answer}");
        assert_eq!(answer["errors"][0]["extensions"]["field"], "filter.search", "{query}");
    }
    // The longest allowed term is a search like any other.
    let longest = "é".repeat(500);
    let answer = app
        .graphql("query($s: String!) { deposits(filter: { search: $s }) { totalCount } }", json!({ "s": longest }))
        .await;
    assert_eq!(answer["data"]["deposits"]["totalCount"], 0, "{answer}");
}
