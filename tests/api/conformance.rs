//! The same queries and mutations on SQLite and on PostGIS give the same
//! answers: ids, counts, order, geometries, measures.

use crate::helpers::{Backend, TestApp, json_diff, spawn_app, spawn_empty};
use serde_json::{Value, json};

fn moanda() -> Value {
    json!({"type": "Point", "coordinates": [13.2, -1.566]})
}

/// A polygon around Moanda and Franceville (Haut-Ogooué).
fn haut_ogooue() -> Value {
    json!({"type": "Polygon", "coordinates": [[[12.9, -1.9], [13.8, -1.9], [13.8, -1.2], [12.9, -1.2], [12.9, -1.9]]]})
}

const DEPOSIT_FIELDS: &str = "id name status geometry estimatedQuantity quantityUnit grade gradeUnit discoveryDate \
    province description properties commodity { id code nameFr color } operator { id name slug commodities { code } }";

fn read_cases() -> Vec<(&'static str, String, Value)> {
    vec![
        (
            "deposits within 50 km of Moanda, nearest first",
            format!(
                "query($p: GeoJSON!) {{ deposits(first: 50, filter: {{dwithin: {{geometry: $p, meters: 50000}}}}, orderBy: {{distanceTo: $p}}) \
                 {{ totalCount edges {{ cursor node {{ distanceM(to: $p) {DEPOSIT_FIELDS} }} }} pageInfo {{ hasNextPage endCursor }} }} }}"
            ),
            json!({"p": moanda()}),
        ),
        (
            "every deposit, by name",
            format!("{{ deposits(first: 100) {{ totalCount edges {{ node {{ {DEPOSIT_FIELDS} }} }} }} }}"),
            json!({}),
        ),
        (
            "accent- and case-insensitive search",
            "{ a: deposits(filter: {search: \"MABOUNIE\"}) { totalCount edges { node { id name } } } \
               b: deposits(filter: {search: \"ogooue\"}) { totalCount edges { node { id name } } } \
               c: operators(filter: {search: \"miniere\"}) { totalCount edges { node { id name } } } }"
                .into(),
            json!({}),
        ),
        (
            "bbox, intersects and within",
            "query($poly: GeoJSON!) { \
               box: deposits(filter: {bbox: {west: 12.9, south: -1.9, east: 13.8, north: -1.2}}) { totalCount edges { node { id } } } \
               hits: exploitationAreas(filter: {intersects: $poly}) { totalCount edges { node { id name } } } \
               inside: deposits(filter: {within: $poly}) { totalCount edges { node { id } } } \
               rails: infrastructures(filter: {intersects: $poly}) { totalCount edges { node { id name lengthKm } } } }"
                .into(),
            json!({"poly": haut_ogooue()}),
        ),
        (
            "status, commodity and operator filters with paging",
            "{ first: deposits(first: 3, filter: {status: [ACTIVE, CLOSED], commodityCode: [\"mn\", \"U\"]}, orderBy: {field: NAME, direction: DESC}) \
                 { totalCount edges { cursor node { id name status } } pageInfo { hasNextPage hasPreviousPage endCursor } } \
               byDate: deposits(first: 100, orderBy: {field: DATE, direction: DESC}) { edges { node { id discoveryDate } } } \
               byOperator: deposits(filter: {operatorId: [\"1\"]}) { totalCount edges { node { id } } } }"
                .into(),
            json!({}),
        ),
        (
            "exploitation areas with their geodesic areas",
            "{ exploitationAreas(first: 100) { totalCount featureCollection edges { node { id name permitNumber status areaKm2 \
               validFrom validTo extractedVolume extractedVolumeUnit geometry operator { name } } } } }"
                .into(),
            json!({}),
        ),
        (
            "infrastructure with geodesic lengths, near a point",
            "query($p: GeoJSON!) { infrastructures(first: 100, filter: {dwithin: {geometry: $p, meters: 20000}}, orderBy: {distanceTo: $p}) \
               { totalCount featureCollection edges { node { id name kind status lengthKm capacity capacityUnit distanceM(to: $p) geometry } } } }"
                .into(),
            json!({"p": moanda()}),
        ),
        (
            "nearest queries",
            "query($p: GeoJSON!) { d: nearestDeposits(point: $p, limit: 5) { id name distanceM(to: $p) } \
               a: nearestExploitationAreas(point: $p, limit: 3) { id name distanceM(to: $p) } \
               i: nearestInfrastructures(point: $p, limit: 4, filter: {kind: [ROAD, RAILWAY]}) { id name kind distanceM(to: $p) } \
               far: nearestDeposits(point: {type: \"Point\", coordinates: [9.45, 0.39]}, limit: 30) { id } }"
                .into(),
            json!({"p": moanda()}),
        ),
        (
            "feature collection of a filtered set",
            "query($p: GeoJSON!) { deposits(first: 1, filter: {dwithin: {geometry: $p, meters: 30000}}) { totalCount featureCollection } }"
                .into(),
            json!({"p": moanda()}),
        ),
        (
            "operators and commodities",
            "{ operators(first: 100, filter: {commodityCode: [\"MN\"]}) { totalCount edges { node { id name slug country status websiteUrl commodities { code } } } } \
               commodities(first: 100) { totalCount edges { node { id code nameFr nameEn color defaultUnit } } } \
               commodity(code: \"au\") { id nameEn } operator(slug: \"comilog\") { id name } }"
                .into(),
            json!({}),
        ),
        (
            "areas ordered by distance to a point outside them",
            "query($p: GeoJSON!) { exploitationAreas(orderBy: {distanceTo: $p}) { edges { node { id distanceM(to: $p) } } } }".into(),
            json!({"p": {"type": "Point", "coordinates": [11.0, 0.5]}}),
        ),
    ]
}

async fn both() -> Option<(TestApp, TestApp)> {
    let postgis = spawn_app(Backend::Postgis).await?;
    let sqlite = spawn_app(Backend::Sqlite).await.unwrap();
    Some((sqlite, postgis))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_query_gives_the_same_answer_on_sqlite_and_postgis() {
    let Some((sqlite, postgis)) = both().await else {
        return;
    };
    for (name, query, variables) in read_cases() {
        let a = sqlite.graphql(&query, variables.clone()).await;
        let b = postgis.graphql(&query, variables).await;
        assert!(a.get("errors").is_none(), "{name} on SQLite: {a:#}");
        if let Some(difference) = json_diff(&a, &b, "") {
            panic!("{name}: SQLite and PostGIS differ at {difference}");
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_demo_answers_are_not_empty() {
    // Guards the comparison above against two equally empty answers.
    let app = spawn_app(Backend::Sqlite).await.unwrap();
    for (name, query, variables) in read_cases() {
        let body = app.graphql(&query, variables).await;
        let text = body.to_string();
        assert!(text.contains("\"id\""), "{name} returned no record: {text}");
    }
}

/// Writes, in order, with the fields that must come back the same.
fn write_cases() -> Vec<(&'static str, Value)> {
    let square =
        json!({"type": "Polygon", "coordinates": [[[11.0, 0.0], [11.2, 0.0], [11.2, 0.2], [11.0, 0.2], [11.0, 0.0]]]});
    let moved =
        json!({"type": "MultiPolygon", "coordinates": [[[[11.5, 0.0], [11.6, 0.0], [11.6, 0.1], [11.5, 0.0]]]]});
    vec![
        (
            "mutation { createCommodity(input: {code: \"li\", nameFr: \"Lithium\", nameEn: \"Lithium\", color: \"#a0c4ff\", defaultUnit: \"t\"}) { id code color } }",
            json!({}),
        ),
        (
            "mutation { createOperator(input: {name: \"Société Équatoriale d'Essai\", country: \"ga\", commodityCodes: [\"LI\"]}) { id slug country status commodities { code } } }",
            json!({}),
        ),
        (
            "mutation($g: GeoJSON!) { createDeposit(input: {name: \"Gisement d'essai\", commodityCode: \"LI\", operatorId: \"1\", status: EXPLORATION, geometry: $g, grade: 1.2, gradeUnit: \"% Li2O\", properties: {source: \"test\"}}) { id name status geometry grade operator { slug } commodity { code } } }",
            json!({"g": square}),
        ),
        (
            "mutation($g: GeoJSON!) { updateDeposit(id: \"1\", input: {geometry: $g, grade: null, status: DEVELOPMENT}) { id geometry grade gradeUnit status } }",
            json!({"g": moved}),
        ),
        (
            "mutation($g: GeoJSON!) { createExploitationArea(input: {name: \"Permis d'essai\", permitNumber: \"PE-TEST-1\", status: PENDING, geometry: $g, validFrom: \"2024-01-01\", validTo: \"2034-01-01\"}) { id areaKm2 permitNumber } }",
            json!({"g": square}),
        ),
        (
            "mutation { createInfrastructure(input: {name: \"Route d'essai\", kind: ROAD, status: PLANNED, geometry: {type: \"LineString\", coordinates: [[11.0, 0.0], [11.5, 0.5], [12.0, 0.4]]}}) { id lengthKm kind } }",
            json!({}),
        ),
        (
            "{ deposits(filter: {dwithin: {geometry: {type: \"Point\", coordinates: [11.55, 0.03]}, meters: 100}}) { totalCount edges { node { id name } } } \
               exploitationAreas(filter: {search: \"essai\"}) { edges { node { id name areaKm2 } } } }",
            json!({}),
        ),
        (
            "mutation { createDeposit(input: {name: \"Mauvais\", commodityCode: \"LI\", status: ACTIVE, geometry: {type: \"Polygon\", coordinates: [[[11, 0], [12, 0], [12, 1], [11, 1]]]}}) { id } }",
            json!({}),
        ),
        ("mutation { deleteDeposit(id: \"1\") }", json!({})),
        ("{ deposits { totalCount } deposit(id: \"1\") { id } }", json!({})),
    ]
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_mutation_gives_the_same_answer_on_sqlite_and_postgis() {
    let Some(postgis) = spawn_empty(Backend::Postgis).await else {
        return;
    };
    let sqlite = spawn_empty(Backend::Sqlite).await.unwrap();
    for (query, variables) in write_cases() {
        let a = sqlite.graphql(query, variables.clone()).await;
        let b = postgis.graphql(query, variables).await;
        if let Some(difference) = json_diff(&a, &b, "") {
            panic!("{query}\nSQLite and PostGIS differ at {difference}\nSQLite: {a}\nPostGIS: {b}");
        }
    }
}
