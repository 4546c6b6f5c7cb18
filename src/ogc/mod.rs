//! OGC API – Features (Part 1, Core + GeoJSON) over the domain collections,
//! so QGIS, ArcGIS and GDAL read ODG's data directly. Same permissions as
//! GraphQL: public read, or a bearer token (header, or `access_token` query
//! parameter for clients that cannot set headers). Served under [`ROOT`]
//! (`/ogc`), and at the server root for clients saved with it.

mod crs;
mod landing;
mod negotiate;
mod openapi;

use crate::auth::Auth;
use crate::domain::{self, Catalog, DepositFilter, ExploitationAreaFilter, InfrastructureFilter, ListParams};
use crate::error::{AppError, AppResult};
use crate::spatial::Bbox;
use crate::web::{base_url, reader};
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, HeaderValue, header};
use axum::response::{Html, IntoResponse, Response};
use axum::routing::get;
use axum::{Json, Router};
use negotiate::{Format, negotiate};
use serde_json::{Value, json};
use std::collections::HashMap;

/// Default and largest `limit` of an items page.
const DEFAULT_LIMIT: u64 = 10;
const MAX_LIMIT: u64 = 10_000;

/// The collections: (id, title, description).
const COLLECTIONS: &[(&str, &str, &str)] = &[
    ("deposits", "Gisements / Deposits", "Mineral deposits: points or outlines, with commodity, operator and status."),
    (
        "exploitation-areas",
        "Zones d'exploitation / Exploitation areas",
        "Exploitation permit zones, with permit number, validity and geodesic area.",
    ),
    (
        "infrastructure",
        "Infrastructures / Infrastructure",
        "Roads, railways, pipelines, power lines and ports, with geodesic length.",
    ),
];

/// Where the OGC API lives. The server root is the web app's: a client
/// sending `Accept: */*` there gets the app, so the API has a root of its own.
pub const ROOT: &str = "/ogc";

#[derive(Clone)]
pub struct OgcState {
    catalog: Catalog,
    auth: Auth,
    /// The web app, which the landing page at the server root gives way to
    /// for browsers (never the one at [`ROOT`]).
    web_app: Option<crate::http::WebApp>,
    /// The root this copy of the routes is mounted at, which links are built on:
    /// [`ROOT`], or `""` for the paths at the server root that older clients use.
    root: &'static str,
}

impl OgcState {
    pub fn new(catalog: Catalog, auth: Auth, web_app: Option<crate::http::WebApp>) -> OgcState {
        OgcState { catalog, auth, web_app, root: ROOT }
    }

    /// The base URL of this copy's links (`http://host/ogc`, or `http://host`).
    fn base(&self, headers: &HeaderMap) -> String {
        format!("{}{}", base_url(headers), self.root)
    }
}

/// The API under [`ROOT`], and again at the server root for the clients
/// (QGIS and GDAL connections) saved with it, whose links stay there; only
/// the API definition, which describes `/ogc`, moved (`/api` redirects).
pub fn router(state: OgcState) -> Router {
    let at_root = OgcState { root: "", ..state.clone() };
    let ogc = resources(ROOT)
        .route(ROOT, get(landing::landing))
        // `{root}/` is where clients that join paths to a base URL land (httpx, the OGC test suite).
        .route(&format!("{ROOT}/"), get(landing::landing))
        .route(&format!("{ROOT}/api"), get(openapi::document))
        .with_state(OgcState { root: ROOT, ..state });
    let legacy =
        resources("").route("/", get(landing::landing)).route("/api", get(landing::moved_api)).with_state(at_root);
    ogc.merge(legacy)
}

/// The resources below a root, the same at both.
fn resources(root: &str) -> Router<OgcState> {
    Router::new()
        .route(&format!("{root}/conformance"), get(landing::conformance))
        .route(&format!("{root}/collections"), get(collections))
        .route(&format!("{root}/collections/{{id}}"), get(collection))
        .route(&format!("{root}/collections/{{id}}/items"), get(items))
        .route(&format!("{root}/collections/{{id}}/items/{{feature_id}}"), get(item))
        .route(&format!("{root}/collections/{{id}}/export"), get(export))
}

/// A collection's description; `extent` in CRS84.
fn collection_json(base: &str, id: &str, title: &str, description: &str, extent: Option<Bbox>) -> Value {
    let mut value = json!({
        "id": id,
        "title": title,
        "description": description,
        "itemType": "feature",
        "crs": crs::SUPPORTED,
        "storageCrs": crs::CRS84,
        "links": [
            {"href": format!("{base}/collections/{id}"), "rel": "self", "type": "application/json"},
            {"href": format!("{base}/collections/{id}?f=html"), "rel": "alternate", "type": "text/html"},
            {"href": format!("{base}/collections/{id}/items"), "rel": "items", "type": "application/geo+json"},
        ]
    });
    if let Some(b) = extent {
        value["extent"] = json!({"spatial": {"bbox": [[b.min_lon, b.min_lat, b.max_lon, b.max_lat]],
            "crs": "http://www.opengis.net/def/crs/OGC/1.3/CRS84"}});
    }
    value
}

fn domain_collection_json(base: &str, index: usize, extent: Option<Bbox>) -> Value {
    let (id, title, description) = COLLECTIONS[index];
    collection_json(base, id, title, description, extent)
}

/// A collection for a browser: its title, description, extent and links.
fn collection_html(c: &Value, heading: &str) -> String {
    let id = c["id"].as_str().unwrap_or_default();
    let extent = match c["extent"]["spatial"]["bbox"][0].as_array() {
        Some(b) => {
            let numbers: Vec<String> = b.iter().map(|n| n.to_string()).collect();
            format!("<br>Étendue / extent (CRS84): {}", numbers.join(", "))
        }
        None => String::new(),
    };
    format!(
        "<{heading}>{title}</{heading}><p>{description}{extent}</p><p><a href=\"{base}/items?f=html\">items</a> · \
         <a href=\"{base}/items?f=json\">GeoJSON</a> · <a href=\"{base}?f=json\">JSON</a> · <code>{id}</code></p>",
        title = html_escape(c["title"].as_str().unwrap_or(id)),
        description = html_escape(c["description"].as_str().unwrap_or_default()),
        base = html_escape(c["links"][0]["href"].as_str().unwrap_or_default()),
        id = html_escape(id),
    )
}

fn collection_index(id: &str) -> AppResult<usize> {
    COLLECTIONS.iter().position(|(cid, _, _)| *cid == id).ok_or_else(|| AppError::not_found("collection", id))
}

/// A collection: one of the domain's, or an imported layer (`layer-<id>`).
enum Collection {
    Domain(usize),
    Layer(Box<domain::Layer>),
}

/// The collection `id`, if the caller may read it (anonymous readers see public layers only).
async fn resolve(catalog: &Catalog, actor: &domain::Actor, id: &str) -> AppResult<Collection> {
    if let Ok(index) = collection_index(id) {
        return Ok(Collection::Domain(index));
    }
    let layer_id = id.strip_prefix("layer-").and_then(|n| n.parse::<i64>().ok());
    let layer = match layer_id {
        Some(layer_id) => catalog.layer(actor, layer_id).await?,
        None => None,
    };
    layer.map(|l| Collection::Layer(Box::new(l))).ok_or_else(|| AppError::not_found("collection", id))
}

fn layer_collection_json(base: &str, layer: &domain::Layer) -> Value {
    let description = layer.meta.description.clone().unwrap_or_else(|| {
        format!(
            "Layer imported from a {} file ({}), {} features.",
            layer.source.format, layer.source.crs, layer.source.feature_count
        )
    });
    collection_json(base, &format!("layer-{}", layer.id), &layer.meta.name, &description, layer.source.bbox)
}

/// Every layer the caller may read, by name.
async fn readable_layers(catalog: &Catalog, actor: &domain::Actor) -> AppResult<Vec<domain::Layer>> {
    Ok(catalog.layers(actor, domain::LayerFilter::default(), &ListParams::default()).await?.items)
}

async fn collections(
    State(state): State<OgcState>,
    headers: HeaderMap,
    Query(query): Query<HashMap<String, String>>,
) -> AppResult<Response> {
    let actor = reader(&state.catalog, &state.auth, &headers, &query).await?;
    let format = negotiate(&headers, &query)?;
    let base = state.base(&headers);
    let extents = state.catalog.store().extents().await?;
    let mut list: Vec<Value> = (0..COLLECTIONS.len()).map(|i| domain_collection_json(&base, i, extents[i])).collect();
    for layer in readable_layers(&state.catalog, &actor).await? {
        list.push(layer_collection_json(&base, &layer));
    }
    if format == Format::Html {
        let body: String = list.iter().map(|c| collection_html(c, "h2")).collect();
        return Ok(
            Html(format!("{HTML_HEAD}<title>Collections</title><h1>Collections</h1>{body}</html>")).into_response()
        );
    }
    Ok(Json(json!({
        "collections": list,
        "links": [
            {"href": format!("{base}/collections"), "rel": "self", "type": "application/json"},
            {"href": format!("{base}/collections?f=html"), "rel": "alternate", "type": "text/html"},
        ]
    }))
    .into_response())
}

async fn collection(
    State(state): State<OgcState>,
    Path(id): Path<String>,
    headers: HeaderMap,
    Query(query): Query<HashMap<String, String>>,
) -> AppResult<Response> {
    let actor = reader(&state.catalog, &state.auth, &headers, &query).await?;
    let format = negotiate(&headers, &query)?;
    let value = match resolve(&state.catalog, &actor, &id).await? {
        Collection::Domain(index) => {
            let extents = state.catalog.store().extents().await?;
            domain_collection_json(&state.base(&headers), index, extents[index])
        }
        Collection::Layer(layer) => layer_collection_json(&state.base(&headers), &layer),
    };
    if format == Format::Html {
        let title = html_escape(value["title"].as_str().unwrap_or(&id));
        return Ok(
            Html(format!("{HTML_HEAD}<title>{title}</title>{}</html>", collection_html(&value, "h1"))).into_response()
        );
    }
    Ok(Json(value).into_response())
}

/// Parameters every collection takes.
const COMMON_PARAMETERS: &[&str] = &["limit", "offset", "bbox", "bbox-crs", "crs", "datetime", "f", "access_token"];

/// The attribute filters of each collection, as query parameters (lists are comma-separated).
fn property_parameters(collection: &str) -> &'static [&'static str] {
    match collection {
        "deposits" => &["status", "commodityCode", "operatorId"],
        "exploitation-areas" => &["status", "operatorId"],
        _ => &["kind", "status"],
    }
}

/// An items request, read and checked.
struct ItemsQuery {
    params: ListParams,
    crs: crs::Crs,
    dates: Option<domain::DateRange>,
}

fn items_query(collection: &str, query: &HashMap<String, String>) -> AppResult<ItemsQuery> {
    let properties: Vec<&str> = property_parameters(collection).to_vec();
    items_query_with(collection, &properties, query)
}

fn items_query_with(collection: &str, properties: &[&str], query: &HashMap<String, String>) -> AppResult<ItemsQuery> {
    for key in query.keys() {
        if !COMMON_PARAMETERS.contains(&key.as_str()) && !properties.contains(&key.as_str()) {
            let known = [COMMON_PARAMETERS, properties].concat().join(", ");
            return Err(AppError::invalid(key.as_str(), format!("is not a parameter of this collection ({known})")));
        }
    }
    let number = |name: &str, default: u64| -> AppResult<u64> {
        match query.get(name) {
            None => Ok(default),
            Some(v) => v.parse().map_err(|_| AppError::invalid(name, "must be a whole number ≥ 0")),
        }
    };
    let limit = number("limit", DEFAULT_LIMIT)?.clamp(1, MAX_LIMIT);
    let offset = number("offset", 0)?;
    let output_crs = query.get("crs").map(|c| crs::Crs::parse("crs", c)).transpose()?.unwrap_or(crs::Crs::Crs84);
    let bbox_crs =
        query.get("bbox-crs").map(|c| crs::Crs::parse("bbox-crs", c)).transpose()?.unwrap_or(crs::Crs::Crs84);
    let mut spatial = Vec::new();
    if let Some(bbox) = query.get("bbox") {
        let b = bbox_crs.bbox_to_lon_lat(parse_bbox(bbox)?);
        let on_earth = |lon: f64, lat: f64| (-180.0..=180.0).contains(&lon) && (-90.0..=90.0).contains(&lat);
        if !(on_earth(b.min_lon, b.min_lat) && on_earth(b.max_lon, b.max_lat)) {
            return Err(AppError::invalid(
                "bbox",
                "lies beyond the Earth: longitudes run from -180 to 180 and latitudes from -90 to 90 (in bbox-crs)",
            ));
        }
        spatial.push(domain::SpatialFilter::Bbox(b));
    }
    let dates = match query.get("datetime") {
        None => None,
        Some(_) if dated_property(collection).is_none() => {
            return Err(AppError::invalid("datetime", format!("{collection} has no date to filter on")));
        }
        Some(value) => Some(parse_datetime(value)?),
    };
    Ok(ItemsQuery {
        params: ListParams {
            spatial,
            ordering: domain::Ordering::By(domain::SortKey::CreatedAt, domain::Direction::Asc),
            offset,
            limit: Some(limit),
            ..ListParams::default()
        },
        crs: output_crs,
        dates,
    })
}

/// The horizontal box of a `bbox` parameter: `minx,miny,maxx,maxy`, or
/// `minx,miny,minz,maxx,maxy,maxz` as OGC API – Features allows. ODG's
/// geometries have no height, so a height range excludes none; it must
/// still be a range.
fn parse_bbox(text: &str) -> AppResult<[f64; 4]> {
    let shape = "must be four finite numbers minx,miny,maxx,maxy (or six: minx,miny,minz,maxx,maxy,maxz)";
    let numbers: Vec<f64> = text
        .split(',')
        .map(|v| v.trim().parse::<f64>().ok().filter(|n| n.is_finite()))
        .collect::<Option<_>>()
        .ok_or_else(|| AppError::invalid("bbox", shape))?;
    let [min_x, min_y, max_x, max_y] = match numbers[..] {
        [min_x, min_y, max_x, max_y] => [min_x, min_y, max_x, max_y],
        [min_x, min_y, min_z, max_x, max_y, max_z] if min_z <= max_z => [min_x, min_y, max_x, max_y],
        [_, _, _, _, _, _] => return Err(AppError::invalid("bbox", "minz is above maxz")),
        _ => return Err(AppError::invalid("bbox", shape)),
    };
    if min_x > max_x || min_y > max_y {
        return Err(AppError::invalid("bbox", "each minimum must be ≤ its maximum (minx ≤ maxx, miny ≤ maxy)"));
    }
    Ok([min_x, min_y, max_x, max_y])
}

/// What a collection's `datetime` filters on, if it has a date.
fn dated_property(collection: &str) -> Option<&'static str> {
    match collection {
        "deposits" => Some("discovery date"),
        "exploitation-areas" => Some("validity period"),
        _ => None,
    }
}

/// An RFC 3339 instant or interval (`start/end`, either side `..` or empty),
/// as dates: the collections' temporal properties are dates.
fn parse_datetime(value: &str) -> AppResult<domain::DateRange> {
    let date = |text: &str| -> AppResult<Option<chrono::NaiveDate>> {
        let text = text.trim();
        if text.is_empty() || text == ".." {
            return Ok(None);
        }
        chrono::NaiveDate::parse_from_str(text.get(..10).unwrap_or(text), "%Y-%m-%d")
            .map(Some)
            .map_err(|_| AppError::invalid("datetime", "must be an RFC 3339 date or interval, e.g. 2010-01-01/.."))
    };
    let range = match value.split_once('/') {
        Some((start, end)) => domain::DateRange { start: date(start)?, end: date(end)? },
        None => {
            let day = date(value)?;
            domain::DateRange { start: day, end: day }
        }
    };
    if let (Some(start), Some(end)) = (range.start, range.end)
        && start > end
    {
        return Err(AppError::invalid("datetime", "the interval ends before it starts"));
    }
    Ok(range)
}

/// The comma-separated values of a list parameter, each parsed.
fn list_of<T>(query: &HashMap<String, String>, name: &str, parse: impl Fn(&str) -> Option<T>) -> AppResult<Vec<T>> {
    let Some(raw) = query.get(name) else { return Ok(Vec::new()) };
    raw.split(',')
        .map(str::trim)
        .filter(|v| !v.is_empty())
        .map(|v| parse(v).ok_or_else(|| AppError::invalid(name, format!("{v:?} is not a valid value"))))
        .collect()
}

fn geojson_response(output_crs: crs::Crs, value: Value) -> Response {
    let mut response = Json(value).into_response();
    response.headers_mut().insert(header::CONTENT_TYPE, HeaderValue::from_static("application/geo+json"));
    let content_crs = format!("<{}>", output_crs.uri());
    if let Ok(value) = HeaderValue::from_str(&content_crs) {
        response.headers_mut().insert("content-crs", value);
    }
    response
}

/// Percent-encodes a query component.
fn encode(text: &str) -> String {
    text.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' | b',' | b':' => {
                (b as char).to_string()
            }
            _ => format!("%{b:02X}"),
        })
        .collect()
}

async fn items(
    State(state): State<OgcState>,
    Path(id): Path<String>,
    headers: HeaderMap,
    Query(query): Query<HashMap<String, String>>,
) -> AppResult<Response> {
    let actor = reader(&state.catalog, &state.auth, &headers, &query).await?;
    let format = negotiate(&headers, &query)?;
    let collection = resolve(&state.catalog, &actor, &id).await?;
    let ItemsQuery { params, crs: output_crs, dates } = match &collection {
        Collection::Domain(_) => items_query(&id, &query)?,
        Collection::Layer(layer) => {
            let names: Vec<&str> = layer.source.attributes.iter().map(|a| a.name.as_str()).collect();
            items_query_with(&id, &names, &query)?
        }
    };
    let source = match &collection {
        Collection::Layer(layer) => {
            // Property parameters compare the value's text, as GraphQL's `equals`.
            let filters: Vec<domain::AttributeFilter> = layer
                .source
                .attributes
                .iter()
                .filter_map(|a| {
                    query.get(&a.name).map(|v| domain::AttributeFilter {
                        name: a.name.clone(),
                        test: domain::AttributeTest::Equals(v.clone()),
                    })
                })
                .collect();
            ItemSource::Layer { catalog: state.catalog.clone(), layer_id: layer.id, filters }
        }
        Collection::Domain(_) => {
            ItemSource::Domain { catalog: state.catalog.clone(), id: id.clone(), query: query.clone(), dates }
        }
    };
    let limit = params.limit.unwrap_or(DEFAULT_LIMIT);
    // The first chunk gives the total; the rest is read while the body is sent.
    let first_params = ListParams { limit: Some(limit.min(CHUNK)), ..params.clone() };
    let (mut first, matched) = source.page(&first_params).await?;
    for feature in &mut first {
        output_crs.transform_geometry(&mut feature["geometry"]);
    }
    let returned = limit.min(matched.saturating_sub(params.offset));
    let base = state.base(&headers);
    // Next/prev links keep every parameter of this request but the page.
    let kept: String = query
        .iter()
        .filter(|(k, _)| !matches!(k.as_str(), "limit" | "offset" | "f"))
        .map(|(k, v)| format!("&{}={}", encode(k), encode(v)))
        .collect();
    let page_link = |offset: u64, rel: &str| {
        let href = format!("{base}/collections/{id}/items?limit={limit}&offset={offset}{kept}");
        json!({"href": href, "rel": rel, "type": "application/geo+json"})
    };
    let mut links = vec![page_link(params.offset, "self")];
    if params.offset + returned < matched {
        links.push(page_link(params.offset + returned, "next"));
    }
    if params.offset > 0 {
        links.push(page_link(params.offset.saturating_sub(limit), "prev"));
    }
    links.push(json!({"href": format!("{base}/collections/{id}"), "rel": "collection", "type": "application/json"}));
    if format == Format::Html {
        // A page of HTML is for people: the first chunk is what it shows.
        return Ok(Html(items_html(&id, &first, matched, params.offset, &links)).into_response());
    }
    let head = json!({
        "type": "FeatureCollection",
        "numberMatched": matched,
        "numberReturned": returned,
        "timeStamp": chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
        "links": links,
    });
    let head = head.to_string();
    let opening = format!("{},\"features\":[", &head[..head.len() - 1]);
    let (start, end) = (params.offset, params.offset + returned);
    let body = async_stream::stream! {
        yield Ok::<_, std::io::Error>(opening);
        let mut chunk = first;
        let mut at = start;
        loop {
            let mut text = String::new();
            for (i, feature) in chunk.iter().enumerate() {
                if at + i as u64 > start {
                    text.push(',');
                }
                text.push_str(&feature.to_string());
            }
            at += chunk.len() as u64;
            yield Ok(text);
            if chunk.is_empty() || at >= end {
                break;
            }
            let limit = Some((end - at).min(CHUNK));
            // The total is known from the first chunk. A layer's features come in id order: the next
            // chunk starts after the last id, without re-reading the chunks before; domain records are
            // few, paged by offset.
            let last_id = chunk.last().and_then(|f| f["id"].as_i64());
            let next = match (&source, last_id) {
                (ItemSource::Layer { .. }, Some(after)) => {
                    ListParams { offset: 0, limit, after_id: Some(after), skip_total: true, ..params.clone() }
                }
                _ => ListParams { offset: at, limit, skip_total: true, ..params.clone() },
            };
            match source.page(&next).await {
                Ok((mut features, _)) => {
                    for feature in &mut features {
                        output_crs.transform_geometry(&mut feature["geometry"]);
                    }
                    chunk = features;
                }
                Err(e) => {
                    // The status is sent already: cut the body, the client sees a broken page.
                    tracing::error!(collection = %id, error = ?e, "items page stopped");
                    yield Err(std::io::Error::other("the items page could not be completed"));
                    return;
                }
            }
        }
        yield Ok("]}".to_owned());
    };
    let mut response = axum::body::Body::from_stream(body).into_response();
    let h = response.headers_mut();
    h.insert(header::CONTENT_TYPE, HeaderValue::from_static("application/geo+json"));
    if let Ok(value) = HeaderValue::from_str(&format!("<{}>", output_crs.uri())) {
        h.insert("content-crs", value);
    }
    Ok(response)
}

/// Features read from the database at a time for an items page.
const CHUNK: u64 = 500;

/// Where the features of an items page come from.
enum ItemSource {
    Layer { catalog: Catalog, layer_id: i64, filters: Vec<domain::AttributeFilter> },
    Domain { catalog: Catalog, id: String, query: HashMap<String, String>, dates: Option<domain::DateRange> },
}

impl ItemSource {
    async fn page(&self, params: &ListParams) -> AppResult<(Vec<Value>, u64)> {
        match self {
            ItemSource::Layer { catalog, layer_id, filters } => {
                let page = catalog.store().list_layer_features(*layer_id, filters, params).await?;
                Ok((page.items.iter().map(layer_feature_json).collect(), page.total))
            }
            ItemSource::Domain { catalog, id, query, dates } => domain_page(catalog, id, query, params, *dates).await,
        }
    }
}

fn html_escape(text: &str) -> String {
    quick_xml::escape::escape(text).into_owned()
}

/// A property value as table text.
fn cell(value: &Value) -> String {
    match value {
        Value::Null => String::new(),
        Value::String(s) => html_escape(s),
        other => html_escape(&other.to_string()),
    }
}

const HTML_HEAD: &str = "<!doctype html><html lang=\"fr\"><meta charset=\"utf-8\">\
    <meta name=\"viewport\" content=\"width=device-width\"><style>body{font-family:sans-serif;margin:1.5rem}\
    table{border-collapse:collapse}td,th{border:1px solid #ccc;padding:.25rem .5rem;text-align:left}</style>";

/// An items page for a browser: the features as a table, with the page links.
fn items_html(collection: &str, features: &[Value], matched: u64, offset: u64, links: &[Value]) -> String {
    let mut columns: Vec<String> = Vec::new();
    for f in features {
        if let Some(p) = f["properties"].as_object() {
            for k in p.keys() {
                if !columns.contains(k) {
                    columns.push(k.clone());
                }
            }
        }
    }
    let mut out = format!(
        "{HTML_HEAD}<title>{c}</title><h1>{c}</h1><p>{matched} features; from {}.</p><p>",
        offset + 1,
        c = html_escape(collection)
    );
    for link in links {
        let href = link["href"].as_str().unwrap_or_default();
        let rel = link["rel"].as_str().unwrap_or_default();
        let html_href = if href.contains('?') { format!("{href}&f=html") } else { format!("{href}?f=html") };
        out.push_str(&format!("<a href=\"{}\">{}</a> ", html_escape(&html_href), html_escape(rel)));
    }
    out.push_str("</p><table><tr><th>id</th>");
    for c in &columns {
        out.push_str(&format!("<th>{}</th>", html_escape(c)));
    }
    out.push_str("</tr>");
    for f in features {
        let id = f["id"].to_string();
        out.push_str(&format!(
            "<tr><td><a href=\"items/{id}?f=html\">{id}</a></td>",
            id = html_escape(id.trim_matches('"'))
        ));
        for c in &columns {
            out.push_str(&format!("<td>{}</td>", cell(&f["properties"][c.as_str()])));
        }
        out.push_str("</tr>");
    }
    out.push_str("</table></html>");
    out
}

/// One feature for a browser: its properties and its geometry type.
fn item_html(collection: &str, feature: &Value) -> String {
    let id = feature["id"].to_string();
    let mut out = format!(
        "{HTML_HEAD}<title>{c} {id}</title><h1>{c} — {id}</h1><p>{kind}. <a href=\"?f=json\">GeoJSON</a> · \
         <a href=\"../items?f=html\">items</a></p><table>",
        c = html_escape(collection),
        id = html_escape(id.trim_matches('"')),
        kind = html_escape(feature["geometry"]["type"].as_str().unwrap_or("no geometry")),
    );
    if let Some(p) = feature["properties"].as_object() {
        for (k, v) in p {
            out.push_str(&format!("<tr><th>{}</th><td>{}</td></tr>", html_escape(k), cell(v)));
        }
    }
    out.push_str("</table></html>");
    out
}

async fn item(
    State(state): State<OgcState>,
    Path((id, feature_id)): Path<(String, String)>,
    headers: HeaderMap,
    Query(query): Query<HashMap<String, String>>,
) -> AppResult<Response> {
    let actor = reader(&state.catalog, &state.auth, &headers, &query).await?;
    let format = negotiate(&headers, &query)?;
    let collection = resolve(&state.catalog, &actor, &id).await?;
    let output_crs = query.get("crs").map(|c| crs::Crs::parse("crs", c)).transpose()?.unwrap_or(crs::Crs::Crs84);
    let not_found = || AppError::not_found("feature", &feature_id);
    let fid: i64 = feature_id.parse().map_err(|_| not_found())?;
    let catalog = &state.catalog;
    let mut feature = match (&collection, id.as_str()) {
        (Collection::Layer(layer), _) => {
            let f =
                catalog.store().layer_feature(fid).await?.filter(|f| f.layer_id == layer.id).ok_or_else(not_found)?;
            layer_feature_json(&f)
        }
        (_, "deposits") => {
            let d = catalog.deposit(fid).await?.ok_or_else(not_found)?;
            let relations = catalog.deposit_relations(std::slice::from_ref(&d)).await?;
            domain::deposit_feature(&d, &relations)
        }
        (_, "exploitation-areas") => {
            let a = catalog.exploitation_area(fid).await?.ok_or_else(not_found)?;
            let relations = catalog.exploitation_area_relations(std::slice::from_ref(&a)).await?;
            domain::exploitation_area_feature(&a, &relations)
        }
        _ => domain::infrastructure_feature(&catalog.infrastructure(fid).await?.ok_or_else(not_found)?),
    };
    output_crs.transform_geometry(&mut feature["geometry"]);
    let base = state.base(&headers);
    feature["links"] = json!([
        {"href": format!("{base}/collections/{id}/items/{fid}"), "rel": "self", "type": "application/geo+json"},
        {"href": format!("{base}/collections/{id}"), "rel": "collection", "type": "application/json"},
    ]);
    if format == Format::Html {
        return Ok(Html(item_html(&id, &feature)).into_response());
    }
    Ok(geojson_response(output_crs, feature))
}

/// Most features an export of a filtered domain collection holds (it is built in memory).
const MAX_EXPORT: u64 = 100_000;

/// `GET /collections/{id}/export?format=…` with the filters of `items`
/// (`bbox`, `datetime`, property parameters): the whole filtered set as a
/// GeoJSON, CSV, KML, zipped Shapefile or GeoPackage download, in WGS84.
async fn export(
    State(state): State<OgcState>,
    Path(id): Path<String>,
    headers: HeaderMap,
    Query(mut query): Query<HashMap<String, String>>,
) -> AppResult<Response> {
    use crate::http::export::{Pages, download, requested_format};
    let actor = reader(&state.catalog, &state.auth, &headers, &query).await?;
    let format = requested_format(&query)?;
    let index = match resolve(&state.catalog, &actor, &id).await? {
        Collection::Layer(layer) => {
            let pages = Pages::of_layer(state.catalog.store(), layer.id);
            return download(*layer, pages, format).await;
        }
        Collection::Domain(index) => index,
    };
    for ignored in ["format", "limit", "offset"] {
        query.remove(ignored);
    }
    if query.contains_key("crs") {
        return Err(AppError::invalid("crs", "exports are in WGS84 longitude/latitude (CRS84)"));
    }
    let ItemsQuery { mut params, dates, .. } = items_query(&id, &query)?;
    params.offset = 0;
    params.limit = Some(MAX_EXPORT + 1);
    let (features, matched) = domain_page(&state.catalog, &id, &query, &params, dates).await?;
    if matched > MAX_EXPORT {
        return Err(AppError::invalid(
            "bbox",
            format!("{matched} features match, more than the {MAX_EXPORT} one export holds: narrow the filter"),
        ));
    }
    let features: Vec<domain::LayerFeature> = features.into_iter().filter_map(exported_feature).collect();
    let (_, title, description) = COLLECTIONS[index];
    let layer = exported_layer(&id, title, description, &features);
    download(layer, Pages::Memory(Some(features)), format).await
}

/// A domain feature (GeoJSON) as a row of an export.
fn exported_feature(mut feature: Value) -> Option<domain::LayerFeature> {
    let geometry: geojson::Geometry = serde_json::from_value(feature["geometry"].take()).ok()?;
    let geometry = geo_types::Geometry::<f64>::try_from(&geometry.value).ok()?;
    let properties = match feature["properties"].take() {
        Value::Object(p) => p,
        _ => serde_json::Map::new(),
    };
    let id = feature["id"].as_i64().unwrap_or_default();
    Some(domain::LayerFeature { id, layer_id: 0, source_id: None, properties, geometry })
}

/// The description an export needs: a name for the file, the columns and geometry types.
fn exported_layer(id: &str, title: &str, description: &str, features: &[domain::LayerFeature]) -> domain::Layer {
    let attributes = crate::import::infer_attributes(features.iter().map(|f| &f.properties));
    let mut geometry_types: Vec<String> =
        features.iter().map(|f| crate::import::geometry_type(&f.geometry).to_owned()).collect();
    geometry_types.sort();
    geometry_types.dedup();
    let now = chrono::Utc::now();
    domain::Layer {
        id: 0,
        meta: domain::LayerMeta {
            name: id.to_owned(),
            description: Some(format!("{title}: {description}")),
            kind: domain::LayerKind::Custom,
            status: domain::LayerStatus::Active,
            visible: true,
            public: false,
            style: Value::Object(Default::default()),
        },
        source: domain::LayerSource {
            format: "ODG".into(),
            crs: "EPSG:4326".into(),
            feature_count: features.len() as u64,
            geometry_types,
            bbox: None,
            attributes,
        },
        tile_full_zoom: Some(0),
        created_by: None,
        created_at: now,
        updated_at: now,
    }
}

/// A page of a domain collection's features as GeoJSON, and how many match in all.
async fn domain_page(
    catalog: &Catalog,
    id: &str,
    query: &HashMap<String, String>,
    params: &ListParams,
    dates: Option<domain::DateRange>,
) -> AppResult<(Vec<Value>, u64)> {
    let id_list = |name: &str| list_of(query, name, |v| v.parse::<i64>().ok());
    Ok(match id {
        "deposits" => {
            let codes = list_of(query, "commodityCode", |v| Some(v.to_string()))?;
            let filter = DepositFilter {
                statuses: list_of(query, "status", domain::DepositStatus::parse)?,
                commodity_ids: catalog.commodity_ids("commodityCode", &codes).await?,
                operator_ids: id_list("operatorId")?,
                discovered: dates,
            };
            let page = catalog.deposits(&filter, params).await?;
            let relations = catalog.deposit_relations(&page.items).await?;
            (page.items.iter().map(|d| domain::deposit_feature(d, &relations)).collect::<Vec<_>>(), page.total)
        }
        "exploitation-areas" => {
            let filter = ExploitationAreaFilter {
                statuses: list_of(query, "status", domain::PermitStatus::parse)?,
                operator_ids: id_list("operatorId")?,
                valid_during: dates,
            };
            let page = catalog.exploitation_areas(&filter, params).await?;
            let relations = catalog.exploitation_area_relations(&page.items).await?;
            (page.items.iter().map(|a| domain::exploitation_area_feature(a, &relations)).collect(), page.total)
        }
        _ => {
            let filter = InfrastructureFilter {
                kinds: list_of(query, "kind", domain::InfrastructureKind::parse)?,
                statuses: list_of(query, "status", domain::InfrastructureStatus::parse)?,
            };
            let page = catalog.infrastructures(&filter, params).await?;
            (page.items.iter().map(domain::infrastructure_feature).collect(), page.total)
        }
    })
}

fn layer_feature_json(f: &domain::LayerFeature) -> Value {
    json!({
        "type": "Feature",
        "id": f.id,
        "geometry": domain::to_geojson(&f.geometry),
        "properties": f.properties,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unknown_parameters_and_bad_boxes_are_refused() {
        let q = |s: &str| -> HashMap<String, String> {
            s.split('&').filter_map(|p| p.split_once('=')).map(|(k, v)| (k.to_string(), v.to_string())).collect()
        };
        assert!(items_query("deposits", &q("colour=red")).is_err());
        assert!(items_query("deposits", &q("bbox=14,-2,13,-1")).is_err());
        assert!(items_query("deposits", &q("bbox=a,b,c,d")).is_err());
        assert!(items_query("deposits", &q("bbox=NaN,-2,14,-1")).is_err());
        assert!(items_query("deposits", &q("bbox=13,-2,14")).is_err());
        assert!(items_query("deposits", &q("bbox=13,-2,100,14,-1,0")).is_err());
        assert_eq!(parse_bbox("13,-2,-50,14,-1,900").unwrap(), [13.0, -2.0, 14.0, -1.0]);
        assert!(items_query("infrastructure", &q("datetime=2020-01-01")).is_err());
        assert!(items_query("deposits", &q("kind=ROAD")).is_err());
        assert_eq!(items_query("deposits", &q("limit=999999")).unwrap().params.limit, Some(MAX_LIMIT));
    }

    #[test]
    fn datetimes_are_instants_or_intervals() {
        let d = |s: &str| chrono::NaiveDate::parse_from_str(s, "%Y-%m-%d").ok();
        assert_eq!(parse_datetime("2010-01-01/..").unwrap(), domain::DateRange { start: d("2010-01-01"), end: None });
        assert_eq!(
            parse_datetime("2010-05-04T10:00:00Z").unwrap(),
            domain::DateRange { start: d("2010-05-04"), end: d("2010-05-04") }
        );
        assert!(parse_datetime("2020-01-01/2010-01-01").is_err());
        assert!(parse_datetime("yesterday").is_err());
    }
}
