//! Request helpers shared by the HTTP APIs (GraphQL transport, OGC API,
//! tiles): credentials and the public base URL.

use crate::auth::Auth;
use crate::domain::{Actor, Catalog};
use crate::error::AppResult;
use axum::http::{HeaderMap, header};
use std::collections::HashMap;

/// The access token of an `Authorization: Bearer …` header.
pub fn bearer(headers: &HeaderMap) -> Option<&str> {
    let value = headers.get(header::AUTHORIZATION)?.to_str().ok()?;
    let (scheme, token) = value.split_once(' ')?;
    scheme.eq_ignore_ascii_case("bearer").then(|| token.trim()).filter(|t| !t.is_empty())
}

/// The caller of a map or GIS request: a bearer header, or an `access_token`
/// query parameter for clients that cannot set headers. It must be allowed
/// to read.
pub async fn reader(
    catalog: &Catalog,
    auth: &Auth,
    headers: &HeaderMap,
    query: &HashMap<String, String>,
) -> AppResult<Actor> {
    let token = bearer(headers).or_else(|| query.get("access_token").map(String::as_str));
    let actor = auth.actor(catalog, token).await?;
    actor.require_reader(auth.public_read())?;
    Ok(actor)
}

/// The base URL links are built on, from the request's Host (and the
/// scheme a proxy reports), so links work behind nginx.
pub fn base_url(headers: &HeaderMap) -> String {
    let host = headers.get(header::HOST).and_then(|h| h.to_str().ok()).unwrap_or("localhost");
    let scheme =
        headers.get("x-forwarded-proto").and_then(|h| h.to_str().ok()).filter(|s| *s == "https").unwrap_or("http");
    format!("{scheme}://{host}")
}
