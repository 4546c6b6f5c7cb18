//! Writing: create, update (patch), delete, and what bad input leaves behind.

use crate::helpers::{TestApp, error_code};
use crate::on_both_backends;
use serde_json::json;

on_both_backends!(
    a_deposit_can_be_created_moved_and_deleted,
    a_bad_geometry_is_refused_with_its_path_and_writes_nothing,
    an_update_with_a_bad_field_changes_nothing,
    duplicates_are_conflicts,
    seeding_twice_adds_nothing,
);

async fn count(app: &TestApp) -> u64 {
    app.data("{ deposits { totalCount } }", json!({})).await["deposits"]["totalCount"].as_u64().unwrap()
}

async fn a_deposit_can_be_created_moved_and_deleted(app: &TestApp) {
    let before = count(app).await;
    let created = app
        .data(
            "mutation { createDeposit(input: {name: \"Nouveau gisement\", commodityCode: \"AU\", status: EXPLORATION, \
             geometry: {type: \"Point\", coordinates: [11.5, -0.5]}, properties: {source: \"test\"}}) { id name status properties operator { id } } }",
            json!({}),
        )
        .await;
    let id = created["createDeposit"]["id"].as_str().unwrap().to_string();
    assert_eq!(created["createDeposit"]["properties"]["source"], "test");
    assert_eq!(count(app).await, before + 1);

    let near_new =
        "query($p: GeoJSON!) { deposits(filter: {dwithin: {geometry: $p, meters: 1000}}) { edges { node { id } } } }";
    let moved = app
        .data(
            "mutation($id: ID!) { updateDeposit(id: $id, input: {geometry: {type: \"Point\", coordinates: [11.9, -0.9]}, operatorId: \"1\"}) \
             { name geometry operator { id } } }",
            json!({"id": id}),
        )
        .await;
    assert_eq!(moved["updateDeposit"]["name"], "Nouveau gisement", "absent fields keep their value");
    assert_eq!(moved["updateDeposit"]["operator"]["id"], "1");
    let old = app.data(near_new, json!({"p": {"type": "Point", "coordinates": [11.5, -0.5]}})).await;
    let new = app.data(near_new, json!({"p": {"type": "Point", "coordinates": [11.9, -0.9]}})).await;
    assert!(!old.to_string().contains(&format!("\"{id}\"")), "the spatial index still has the old position");
    assert!(new.to_string().contains(&format!("\"{id}\"")), "the spatial index lacks the new position");

    let cleared = app
        .data(
            "mutation($id: ID!) { updateDeposit(id: $id, input: {operatorId: null}) { operator { id } } }",
            json!({"id": id}),
        )
        .await;
    assert!(cleared["updateDeposit"]["operator"].is_null(), "null clears");

    app.data("mutation($id: ID!) { deleteDeposit(id: $id) }", json!({"id": id})).await;
    assert_eq!(count(app).await, before);
    let again = app.graphql("mutation($id: ID!) { deleteDeposit(id: $id) }", json!({"id": id})).await;
    assert_eq!(error_code(&again), "NOT_FOUND");
}

async fn a_bad_geometry_is_refused_with_its_path_and_writes_nothing(app: &TestApp) {
    let before = count(app).await;
    let cases = [
        (
            json!({"type": "Polygon", "coordinates": [[[11, 0], [12, 0], [12, 1], [11, 1]]]}),
            "input.geometry.coordinates[0]",
        ),
        (json!({"type": "Point", "coordinates": [-0.5, 191.0]}), "input.geometry.coordinates"),
        (json!({"type": "LineString", "coordinates": [[11, 0], [12, 0]]}), "input.geometry.type"),
        (
            json!({"type": "Polygon", "coordinates": [[[0, 0], [1, 1], [1, 0], [0, 1], [0, 0]]]}),
            "input.geometry.coordinates",
        ),
        (json!({"type": "Pointe", "coordinates": [1, 1]}), "input.geometry.type"),
        (json!({"coordinates": [1, 1]}), "input.geometry.type"),
        (json!({"type": "Point", "coordinates": ["a", 1]}), "input.geometry.coordinates"),
    ];
    for (geometry, field) in cases {
        let body = app
            .graphql(
                "mutation($g: GeoJSON!) { createDeposit(input: {name: \"X\", commodityCode: \"AU\", status: ACTIVE, geometry: $g}) { id } }",
                json!({"g": geometry}),
            )
            .await;
        assert_eq!(error_code(&body), "BAD_USER_INPUT", "{geometry}: {body}");
        assert_eq!(body["errors"][0]["extensions"]["field"], field, "{geometry}: {body}");
        assert!(body["errors"][0]["message"].as_str().unwrap().len() > field.len() + 5, "{body}");
        assert!(body["data"].is_null(), "{body}");
    }
    assert_eq!(count(app).await, before);
}

async fn an_update_with_a_bad_field_changes_nothing(app: &TestApp) {
    let query = "{ deposit(id: \"1\") { name geometry commodity { code } updatedAt } }";
    let before = app.data(query, json!({})).await;
    for (input, field) in [
        (json!({"name": "Renamed", "commodityCode": "XX"}), "input.commodityCode"),
        (json!({"name": "Renamed", "grade": -1.0}), "input.grade"),
        (json!({"name": "  "}), "input.name"),
        (json!({"geometry": {"type": "Point", "coordinates": [200, 0]}}), "input.geometry.coordinates"),
        (json!({"operatorId": "999999"}), "input.operatorId"),
        (json!({"properties": [1, 2]}), "input.properties"),
    ] {
        let body = app
            .graphql("mutation($i: DepositPatch!) { updateDeposit(id: \"1\", input: $i) { id } }", json!({"i": input}))
            .await;
        assert_eq!(error_code(&body), "BAD_USER_INPUT", "{body}");
        assert_eq!(body["errors"][0]["extensions"]["field"], field, "{body}");
    }
    assert_eq!(app.data(query, json!({})).await, before);
}

async fn duplicates_are_conflicts(app: &TestApp) {
    let body = app
        .graphql("mutation { createCommodity(input: {code: \"mn\", nameFr: \"M\", nameEn: \"M\", color: \"#000000\", defaultUnit: \"t\"}) { id } }", json!({}))
        .await;
    assert_eq!(error_code(&body), "CONFLICT", "{body}");
    let permit = app.data("{ exploitationAreas(first: 1) { edges { node { permitNumber } } } }", json!({})).await;
    let number = permit["exploitationAreas"]["edges"][0]["node"]["permitNumber"].as_str().unwrap();
    let body = app
        .graphql(
            "mutation($n: String!) { createExploitationArea(input: {name: \"Copie\", permitNumber: $n, status: PENDING, \
             geometry: {type: \"Polygon\", coordinates: [[[10, 0], [10.1, 0], [10.1, 0.1], [10, 0]]]}}) { id } }",
            json!({"n": number}),
        )
        .await;
    assert_eq!(error_code(&body), "CONFLICT", "{body}");
    // An operator that still holds deposits cannot be deleted.
    let body = app.graphql("mutation { deleteOperator(id: \"1\") }", json!({})).await;
    assert_eq!(error_code(&body), "CONFLICT", "{body}");
    assert!(app.data("{ operator(id: \"1\") { id } }", json!({})).await["operator"].is_object());
}

async fn seeding_twice_adds_nothing(app: &TestApp) {
    let before = app.data("{ deposits { totalCount } operators { totalCount } exploitationAreas { totalCount } infrastructures { totalCount } commodities { totalCount } }", json!({})).await;
    let seeded = odg::demo::seed(&app.catalog).await.map_err(|e| e.into_anyhow()).unwrap();
    assert_eq!(seeded, odg::demo::Seeded::default());
    let after = app.data("{ deposits { totalCount } operators { totalCount } exploitationAreas { totalCount } infrastructures { totalCount } commodities { totalCount } }", json!({})).await;
    assert_eq!(before, after);
}
