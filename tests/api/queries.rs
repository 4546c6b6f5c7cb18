//! Reading: filters, order, paging, relations, measures — on both backends.

use crate::helpers::TestApp;
use crate::on_both_backends;
use serde_json::json;

on_both_backends!(
    the_deposits_near_moanda_come_nearest_first_with_their_operator,
    search_ignores_accents_and_case,
    cursors_walk_through_every_page_once,
    one_hundred_deposits_with_relations_take_a_constant_number_of_statements,
    measures_are_geodesic,
    a_feature_collection_holds_the_whole_filtered_set,
    nearest_finds_the_closest_records_whatever_their_distance,
);

async fn the_deposits_near_moanda_come_nearest_first_with_their_operator(app: &TestApp) {
    let data = app
        .data(
            "query($p: GeoJSON!) { deposits(first: 50, filter: {dwithin: {geometry: $p, meters: 50000}}, orderBy: {distanceTo: $p}) \
             { totalCount edges { node { name distanceM(to: $p) operator { name } } } } }",
            json!({"p": {"type": "Point", "coordinates": [13.2, -1.566]}}),
        )
        .await;
    let edges = data["deposits"]["edges"].as_array().unwrap();
    assert!(edges.len() >= 5, "{data:#}");
    assert_eq!(data["deposits"]["totalCount"], edges.len());
    let distances: Vec<f64> = edges.iter().map(|e| e["node"]["distanceM"].as_f64().unwrap()).collect();
    assert!(distances.windows(2).all(|w| w[0] <= w[1]), "not nearest first: {distances:?}");
    assert!(distances.iter().all(|d| *d <= 50_000.0));
    assert!(edges.iter().any(|e| { e["node"]["operator"]["name"].as_str().unwrap_or("").contains("COMILOG") }));
}

async fn search_ignores_accents_and_case(app: &TestApp) {
    for term in ["moanda", "MOANDA", "Moanda"] {
        let data =
            app.data("query($t: String) { deposits(filter: {search: $t}) { totalCount } }", json!({"t": term})).await;
        let plain = data["deposits"]["totalCount"].as_u64().unwrap();
        assert!(plain > 0, "{term} found nothing");
    }
    let a = app.data("{ deposits(filter: {search: \"mabounie\"}) { edges { node { name } } } }", json!({})).await;
    let b = app.data("{ deposits(filter: {search: \"MABOUNIÉ\"}) { edges { node { name } } } }", json!({})).await;
    assert_eq!(a, b);
    assert!(a.to_string().contains("Mabouni"), "{a}");
    // LIKE wildcards in a search term are taken literally.
    let none = app.data("{ deposits(filter: {search: \"%\"}) { totalCount } }", json!({})).await;
    assert_eq!(none["deposits"]["totalCount"], 0);
}

async fn cursors_walk_through_every_page_once(app: &TestApp) {
    let all = app.data("{ deposits(first: 1000) { totalCount edges { node { id } } } }", json!({})).await;
    let expected: Vec<String> = all["deposits"]["edges"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["node"]["id"].as_str().unwrap().to_string())
        .collect();
    let mut seen = Vec::new();
    let mut after: Option<String> = None;
    loop {
        let page = app
            .data(
                "query($after: String) { deposits(first: 4, after: $after) { totalCount edges { node { id } } pageInfo { hasNextPage endCursor } } }",
                json!({"after": after}),
            )
            .await;
        let conn = &page["deposits"];
        assert_eq!(conn["totalCount"], all["deposits"]["totalCount"]);
        seen.extend(conn["edges"].as_array().unwrap().iter().map(|e| e["node"]["id"].as_str().unwrap().to_string()));
        if !conn["pageInfo"]["hasNextPage"].as_bool().unwrap() {
            break;
        }
        after = conn["pageInfo"]["endCursor"].as_str().map(String::from);
    }
    assert_eq!(seen, expected);
}

async fn one_hundred_deposits_with_relations_take_a_constant_number_of_statements(app: &TestApp) {
    for i in 0..100 {
        app.data(
            "mutation($name: String!, $g: GeoJSON!) { createDeposit(input: {name: $name, commodityCode: \"AU\", operatorId: \"1\", status: EXPLORATION, geometry: $g}) { id } }",
            json!({"name": format!("Prospect {i:03}"), "g": {"type": "Point", "coordinates": [11.0 + i as f64 * 0.01, 0.5]}}),
        )
        .await;
    }
    let query = "query($n: Int) { deposits(first: $n, filter: {search: \"prospect\"}) { edges { node { name operator { name commodities { code } } commodity { code } } } } }";
    let mut counts = Vec::new();
    for n in [10, 100] {
        let before = app.catalog.store().statements_executed();
        let data = app.data(query, json!({"n": n})).await;
        counts.push(app.catalog.store().statements_executed() - before);
        assert_eq!(data["deposits"]["edges"].as_array().unwrap().len(), n);
    }
    // The caller's account (1); deposits: count + page (2); operators with
    // their commodity links (2); commodities, for deposits and operators together (1).
    assert_eq!(counts, [6, 6], "statements for 10 and 100 deposits with relations");
}

async fn measures_are_geodesic(app: &TestApp) {
    // A 0.1° square at the equator: 11.132 km (0.1° of longitude) by
    // 11.057 km (0.1° of latitude) on the WGS84 ellipsoid, 123.09 km².
    let area = app
        .data(
            "mutation { createExploitationArea(input: {name: \"Carré\", permitNumber: \"SQ-1\", status: ACTIVE, geometry: \
             {type: \"Polygon\", coordinates: [[[10.0, 0.0], [10.1, 0.0], [10.1, 0.1], [10.0, 0.1], [10.0, 0.0]]]}}) { areaKm2 } }",
            json!({}),
        )
        .await;
    let km2 = area["createExploitationArea"]["areaKm2"].as_f64().unwrap();
    assert!((km2 - 123.09).abs() < 0.01, "{km2}");
    // One degree of longitude along the equator: 111.319 km.
    let line = app
        .data(
            "mutation { createInfrastructure(input: {name: \"Équateur\", kind: OTHER, status: PLANNED, geometry: \
             {type: \"LineString\", coordinates: [[10.0, 0.0], [11.0, 0.0]]}}) { lengthKm } }",
            json!({}),
        )
        .await;
    let km = line["createInfrastructure"]["lengthKm"].as_f64().unwrap();
    assert!((km - 111.319).abs() < 0.001, "{km}");
}

async fn a_feature_collection_holds_the_whole_filtered_set(app: &TestApp) {
    let data = app
        .data("{ deposits(first: 2, filter: {commodityCode: [\"MN\"]}) { totalCount edges { node { id } } featureCollection } }", json!({}))
        .await;
    let fc = &data["deposits"]["featureCollection"];
    assert_eq!(fc["type"], "FeatureCollection");
    let features = fc["features"].as_array().unwrap();
    assert_eq!(features.len() as u64, data["deposits"]["totalCount"].as_u64().unwrap());
    assert!(features.len() > 2);
    assert!(features.iter().all(|f| f["properties"]["commodityCode"] == "MN" && f["geometry"]["type"].is_string()));
}

async fn nearest_finds_the_closest_records_whatever_their_distance(app: &TestApp) {
    // From the far north-west of Gabon, the nearest records are hundreds of km away.
    let data = app
        .data(
            "query($p: GeoJSON!) { nearestDeposits(point: $p, limit: 3) { name distanceM(to: $p) } \
               all: deposits(first: 1000, orderBy: {distanceTo: $p}) { edges { node { name } } } }",
            json!({"p": {"type": "Point", "coordinates": [9.0, 2.2]}}),
        )
        .await;
    let nearest: Vec<&str> =
        data["nearestDeposits"].as_array().unwrap().iter().map(|d| d["name"].as_str().unwrap()).collect();
    let ordered: Vec<&str> =
        data["all"]["edges"].as_array().unwrap().iter().take(3).map(|e| e["node"]["name"].as_str().unwrap()).collect();
    assert_eq!(nearest, ordered);

    // Every filter applies: the nearest among the matching records.
    let filtered = app
        .data(
            "query($p: GeoJSON!) { nearestDeposits(point: $p, limit: 2, filter: {search: \"uranium\", within: \
             {type: \"Polygon\", coordinates: [[[12.5, -2.5], [14.5, -2.5], [14.5, -0.5], [12.5, -0.5], [12.5, -2.5]]]}}) { name } }",
            json!({"p": {"type": "Point", "coordinates": [9.0, 2.2]}}),
        )
        .await;
    let names = filtered["nearestDeposits"].as_array().unwrap();
    assert_eq!(names.len(), 2, "{filtered}");
    assert!(names.iter().all(|n| !n["name"].as_str().unwrap().contains("Plateau")), "{filtered}");
}
