//! The OpenAPI 3.0 description of the OGC API – Features endpoints.

use super::{COLLECTIONS, DEFAULT_LIMIT, MAX_LIMIT, ROOT, crs, dated_property, property_parameters};
use crate::web::base_url;
use axum::Json;
use axum::http::{HeaderMap, header};
use axum::response::IntoResponse;
use serde_json::{Value, json};

fn ogc_error() -> Value {
    json!({"description": "An error: {\"code\", \"message\"}", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}})
}

/// The document served at `/ogc/api`. Its paths are relative to its one
/// server, the API's root on the host the client asked (the copy of the
/// routes at the server root is left out: it is there for older clients).
pub async fn document(headers: HeaderMap) -> impl IntoResponse {
    let collection_id = json!({"name": "collectionId", "in": "path", "required": true,
        "description": "deposits, exploitation-areas, infrastructure, or layer-<id> for an imported layer",
        "schema": {"type": "string", "pattern": "^(deposits|exploitation-areas|infrastructure|layer-[0-9]+)$"}});
    let format = json!({"name": "f", "in": "query", "required": false,
        "description": "json (GeoJSON for features) or html; without it, JSON unless the Accept header ranks text/html above JSON (a browser's)",
        "schema": {"type": "string", "enum": ["json", "html"]}});
    let mut doc = json!({
        "openapi": "3.0.3",
        "info": {
            "title": "ODG — OGC API – Features",
            "version": env!("CARGO_PKG_VERSION"),
            "description": "Deposits, exploitation areas and infrastructure of the mining administration, as GeoJSON. \
                            Send `Authorization: Bearer <access token>` (or `access_token=`) unless public read is on."
        },
        "components": {
            "securitySchemes": {"bearer": {"type": "http", "scheme": "bearer", "bearerFormat": "JWT"}},
            "schemas": {
                "Error": {"type": "object", "required": ["code", "message"],
                    "properties": {"code": {"type": "string"}, "message": {"type": "string"}}},
                "Link": {"type": "object", "required": ["href"],
                    "properties": {"href": {"type": "string"}, "rel": {"type": "string"}, "type": {"type": "string"}, "title": {"type": "string"}}}
            }
        },
        "servers": [{"url": format!("{}{ROOT}", base_url(&headers)), "description": "This server"}],
        "security": [{}, {"bearer": []}],
        "paths": {
            "/": {"get": {"summary": "Landing page", "operationId": "getLandingPage",
                "parameters": [format],
                "responses": {"200": {"description": "Links to the API definition, conformance and collections",
                    "content": {"application/json": {"schema": {"type": "object"}}, "text/html": {"schema": {"type": "string"}}}}}}},
            "/conformance": {"get": {"summary": "Conformance classes", "operationId": "getConformance",
                "responses": {"200": {"description": "The conformance classes implemented",
                    "content": {"application/json": {"schema": {"type": "object", "properties": {"conformsTo": {"type": "array", "items": {"type": "string"}}}}}, "text/html": {"schema": {"type": "string"}}}}},
                "parameters": [format]}},
            "/api": {"get": {"summary": "This document", "operationId": "getApi",
                "responses": {"200": {"description": "OpenAPI 3.0", "content": {"application/vnd.oai.openapi+json;version=3.0": {"schema": {"type": "object"}}}}}}},
            "/collections": {"get": {"summary": "The collections", "operationId": "getCollections",
                "parameters": [format],
                "responses": {"200": {"description": "Collections with their extent", "content": {"application/json": {"schema": {"type": "object"}}, "text/html": {"schema": {"type": "string"}}}},
                    "401": ogc_error()}}},
            "/collections/{collectionId}": {"get": {"summary": "One collection", "operationId": "describeCollection",
                "parameters": [collection_id, format],
                "responses": {"200": {"description": "The collection", "content": {"application/json": {"schema": {"type": "object"}}, "text/html": {"schema": {"type": "string"}}}},
                    "401": ogc_error(), "404": ogc_error()}}},
            "/collections/{collectionId}/items": {"get": {"summary": "Features of a collection", "operationId": "getFeatures",
                "parameters": items_parameters(None, &collection_id, &format),
                "responses": items_responses()}},
            "/collections/{collectionId}/items/{featureId}": {"get": {"summary": "One feature", "operationId": "getFeature",
                "parameters": [collection_id, {"name": "featureId", "in": "path", "required": true, "schema": {"type": "string"}},
                    {"name": "crs", "in": "query", "required": false, "schema": {"type": "string", "format": "uri", "enum": crs::SUPPORTED}},
                    format],
                "responses": {"200": {"description": "A GeoJSON Feature", "content": {"application/geo+json": {"schema": {"type": "object"}}, "text/html": {"schema": {"type": "string"}}}},
                    "401": ogc_error(), "404": ogc_error()}}}
        }
    });
    // Each domain collection's items also get a path of their own, with the
    // parameters that collection takes (a concrete path wins over the template).
    for (id, title, _) in COLLECTIONS {
        doc["paths"][format!("/collections/{id}/items")] = json!({"get": {
            "summary": format!("Features of {title}"), "operationId": format!("getFeatures-{id}"),
            "parameters": items_parameters(Some(id), &collection_id, &format),
            "responses": items_responses()}});
    }
    ([(header::CONTENT_TYPE, "application/vnd.oai.openapi+json;version=3.0")], Json(doc))
}

/// The parameters of an items request: of one domain collection (`Some`),
/// or of the `{collectionId}` template, which lists every collection's.
fn items_parameters(collection: Option<&str>, collection_id: &Value, format: &Value) -> Vec<Value> {
    let crs_uri = json!({"type": "string", "format": "uri", "enum": crs::SUPPORTED});
    let mut parameters = vec![
        json!({"name": "limit", "in": "query", "required": false, "style": "form", "explode": false,
            "schema": {"type": "integer", "minimum": 1, "maximum": MAX_LIMIT, "default": DEFAULT_LIMIT}}),
        json!({"name": "offset", "in": "query", "required": false, "schema": {"type": "integer", "minimum": 0, "default": 0}}),
        json!({"name": "bbox", "in": "query", "required": false, "style": "form", "explode": false,
            "description": "minx,miny,maxx,maxy, or minx,miny,minz,maxx,maxy,maxz (features have no height: a height range excludes none)",
            "schema": {"type": "array", "minItems": 4, "maxItems": 6, "items": {"type": "number"}}}),
        json!({"name": "bbox-crs", "in": "query", "required": false, "schema": crs_uri}),
        json!({"name": "crs", "in": "query", "required": false, "schema": crs_uri}),
    ];
    let datetime = |description: &str| {
        json!({"name": "datetime", "in": "query", "required": false, "style": "form", "explode": false,
            "description": description, "schema": {"type": "string"}})
    };
    match collection {
        Some(id) => {
            if let Some(date) = dated_property(id) {
                parameters.push(datetime(&format!("Date or interval (start/end, '..' open) of the {date}")));
            }
            parameters.extend(property_parameters(id).iter().map(|name| property_parameter(name, "")));
        }
        None => {
            parameters.insert(0, collection_id.clone());
            parameters.push(datetime(
                "Date or interval (start/end, '..' open): discovery date of deposits, validity of exploitation areas; \
                 refused by collections without dates",
            ));
            for (name, which) in [
                ("status", ""),
                ("commodityCode", "Deposits: "),
                ("operatorId", "Deposits and exploitation areas: "),
                ("kind", "Infrastructure: "),
            ] {
                parameters.push(property_parameter(name, which));
            }
        }
    }
    parameters.push(format.clone());
    parameters
}

/// A property filter: a comma-separated list of values.
fn property_parameter(name: &str, which: &str) -> Value {
    let values = match name {
        "commodityCode" => "commodity codes",
        "operatorId" => "operator ids",
        "kind" => "kinds",
        _ => "statuses",
    };
    json!({"name": name, "in": "query", "required": false, "description": format!("{which}comma-separated {values}"),
        "schema": {"type": "string"}})
}

fn items_responses() -> Value {
    json!({"200": {"description": "A GeoJSON FeatureCollection with numberMatched, numberReturned and next/prev links",
        "content": {"application/geo+json": {"schema": {"type": "object"}}, "text/html": {"schema": {"type": "string"}}}},
        "400": ogc_error(), "401": ogc_error(), "404": ogc_error()})
}
