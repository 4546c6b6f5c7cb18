//! The landing page, the conformance declaration and the old `/api`
//! address of the API definition.

use super::negotiate::{Format, negotiate};
use super::{HTML_HEAD, OgcState, ROOT, html_escape};
use crate::error::AppResult;
use crate::web::base_url;
use axum::Json;
use axum::extract::{Query, RawQuery, State};
use axum::http::{HeaderMap, header};
use axum::response::{Html, IntoResponse, Redirect, Response};
use serde_json::json;
use std::collections::HashMap;

pub(super) const CONFORMANCE: &[&str] = &[
    "http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/core",
    "http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/geojson",
    "http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/oas30",
    "http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/html",
    "http://www.opengis.net/spec/ogcapi-features-2/1.0/conf/crs",
];

/// The landing page. At `/ogc` it is JSON unless HTML is asked for. At the
/// server root, which the web app shares, browsers (and clients that name
/// no format) get the web app, and GIS clients saved with the server root
/// get the landing page by asking for JSON, as before `/ogc` existed.
pub(super) async fn landing(
    State(state): State<OgcState>,
    headers: HeaderMap,
    Query(query): Query<HashMap<String, String>>,
) -> AppResult<Response> {
    if let Some(web_app) = &state.web_app
        && state.root.is_empty()
        && !query.contains_key("f")
        && !names_json(&headers)
    {
        return Ok(web_app.index().await);
    }
    let host = base_url(&headers);
    let base = format!("{host}{}", state.root);
    if negotiate(&headers, &query)? == Format::Html {
        return Ok(Html(landing_html(&host, &base)).into_response());
    }
    // The landing page's own address: `/ogc`, or `/` at the server root.
    let this = if state.root.is_empty() { format!("{host}/") } else { base.clone() };
    Ok(Json(json!({
        "title": "ODG",
        "description": "Geospatial data of the mining administration: deposits, exploitation areas, infrastructure.",
        "links": [
            {"href": format!("{this}?f=json"), "rel": "self", "type": "application/json", "title": "This document"},
            {"href": format!("{this}?f=html"), "rel": "alternate", "type": "text/html", "title": "This document as HTML"},
            // The API definition has one address, whichever root the client started from.
            {"href": format!("{host}{ROOT}/api"), "rel": "service-desc", "type": "application/vnd.oai.openapi+json;version=3.0", "title": "The API definition"},
            {"href": format!("{base}/conformance"), "rel": "conformance", "type": "application/json", "title": "Conformance classes"},
            {"href": format!("{base}/collections"), "rel": "data", "type": "application/json", "title": "Collections"},
        ]
    }))
    .into_response())
}

/// Whether the `Accept` header names JSON at all: how GIS clients asked for
/// the landing page at the server root before the API had a root of its own.
fn names_json(headers: &HeaderMap) -> bool {
    headers.get(header::ACCEPT).and_then(|v| v.to_str().ok()).is_some_and(|a| a.contains("json"))
}

/// The landing page for people: links to GraphiQL and to the API's pages.
fn landing_html(host: &str, base: &str) -> String {
    // The Host header is the client's to write: escaped like any text.
    let (host, base) = (html_escape(host), html_escape(base));
    format!(
        "{HTML_HEAD}<title>ODG</title>\
         <h1>ODG</h1><p>Données minières géospatiales / Geospatial mining data.</p><ul>\
         <li><a href=\"{host}/graphiql\">GraphiQL</a> (GraphQL: <code>{host}/graphql</code>)</li>\
         <li><a href=\"{base}/collections?f=html\">OGC API – Features: collections</a></li>\
         <li><a href=\"{host}{ROOT}/api\">OpenAPI</a> · <a href=\"{base}/conformance?f=html\">conformance</a></li>\
         </ul></html>"
    )
}

pub(super) async fn conformance(
    headers: HeaderMap,
    Query(query): Query<HashMap<String, String>>,
) -> AppResult<Response> {
    if negotiate(&headers, &query)? == Format::Html {
        let items: String = CONFORMANCE.iter().map(|c| format!("<li><code>{}</code></li>", html_escape(c))).collect();
        return Ok(Html(format!("{HTML_HEAD}<title>Conformance</title><h1>Conformance</h1><ul>{items}</ul></html>"))
            .into_response());
    }
    Ok(Json(json!({ "conformsTo": CONFORMANCE })).into_response())
}

/// `/api` at the server root: the API definition moved to `/ogc/api`, and
/// `/api/…` is kept for the Flask-compatible REST API. A permanent redirect
/// that keeps the method (308) and the query string, so saved links still work.
pub(super) async fn moved_api(RawQuery(query): RawQuery) -> Redirect {
    match query {
        Some(query) => Redirect::permanent(&format!("{ROOT}/api?{query}")),
        None => Redirect::permanent(&format!("{ROOT}/api")),
    }
}
