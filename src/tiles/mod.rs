//! Vector tiles (MVT) and TileJSON for the domain sources, with the same
//! permissions as GraphQL. Records come from the same index-backed bbox
//! query on both backends; the tile is encoded in Rust.

mod cache;
mod mvt;
mod raster;

pub use cache::TileCache;

use crate::auth::Auth;
use crate::domain::{self, Catalog, DepositFilter, ExploitationAreaFilter, InfrastructureFilter, ListParams};
use crate::error::{AppError, AppResult};
use crate::spatial::Bbox;
use crate::web::{base_url, reader};
use ::mvt::Tile;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::{Json, Router};
use mvt::{EXTENT, TileId};
use serde_json::{Value, json};
use sha2::{Digest, Sha256};
use std::collections::HashMap;
use std::sync::Arc;

/// The domain sources; `domain` holds the three layers in one tile. Each
/// imported layer is a source too: `layer-<id>` (see [`layer_source`]).
const SOURCES: &[&str] = &["deposits", "exploitation-areas", "infrastructure", "domain"];

/// The source (and MVT layer) name of an imported layer.
pub fn layer_source(layer_id: i64) -> String {
    format!("layer-{layer_id}")
}

/// The layer of `layer-<id>`, written as ODG writes it (`layer-03` is no
/// source: its tiles would be cached under a name edits never invalidate).
fn layer_id_of(source: &str) -> Option<i64> {
    let id = source.strip_prefix("layer-")?.parse().ok()?;
    (layer_source(id) == source).then_some(id)
}

/// A source the caller may read: a domain source, or a layer it may see.
async fn readable_source(catalog: &Catalog, actor: &domain::Actor, source: &str) -> AppResult<Source> {
    if SOURCES.contains(&source) {
        return Ok(Source::Domain);
    }
    let Some(id) = layer_id_of(source) else { return Err(AppError::not_found("tile source", source)) };
    let layer = catalog.layer(actor, id).await?.ok_or_else(|| AppError::not_found("tile source", source))?;
    Ok(Source::Layer(Box::new(layer)))
}

enum Source {
    Domain,
    Layer(Box<domain::Layer>),
}

/// The properties a layer's tiles carry: every attribute, or those its
/// style lists under `tileAttributes`.
fn tile_attributes(layer: &domain::Layer) -> Vec<&crate::import::Attribute> {
    let chosen: Option<Vec<&str>> = layer
        .meta
        .style
        .get("tileAttributes")
        .and_then(Value::as_array)
        .map(|names| names.iter().filter_map(Value::as_str).collect());
    layer.source.attributes.iter().filter(|a| chosen.as_ref().is_none_or(|c| c.contains(&a.name.as_str()))).collect()
}

/// The deepest zoom served.
const MAX_ZOOM: u8 = crate::spatial::thinning::LAST_ZOOM;

#[derive(Clone)]
pub struct TilesState {
    pub catalog: Catalog,
    pub auth: Auth,
    pub cache: TileCache,
    pub metrics: crate::metrics::Metrics,
}

pub fn router(state: TilesState) -> Router {
    Router::new()
        .route("/tiles/{source_json}", get(tilejson))
        .route("/tiles/{source}/{z}/{x}/{y_ext}", get(tile))
        .route("/tiles/raster/{layer_json}", get(raster::tilejson))
        .route("/tiles/raster/{layer}/{z}/{x}/{y_ext}", get(raster::tile))
        .with_state(state)
}

/// The layers of a source: (layer name, fields for TileJSON).
fn layers(source: &str) -> Vec<(&'static str, Value)> {
    let deposits = (
        "deposits",
        json!({"id": "Number", "name": "String", "status": "String",
        "commodityCode": "String", "color": "String", "operatorName": "String"}),
    );
    let areas = (
        "exploitation-areas",
        json!({"id": "Number", "name": "String", "status": "String",
        "permitNumber": "String", "operatorName": "String", "areaKm2": "Number"}),
    );
    let infrastructure = (
        "infrastructure",
        json!({"id": "Number", "name": "String", "kind": "String",
        "status": "String", "lengthKm": "Number"}),
    );
    match source {
        "deposits" => vec![deposits],
        "exploitation-areas" => vec![areas],
        "infrastructure" => vec![infrastructure],
        _ => vec![areas, infrastructure, deposits],
    }
}

/// The most sources one composite may name.
const MAX_COMPOSITE: usize = 16;

/// The sources a path names: one, or several separated by commas (a
/// composite: one tile holding the MVT layers of each, in that order). A
/// composite names each MVT layer once (`domain` holds `deposits`,
/// `exploitation-areas` and `infrastructure`).
fn composite_parts(source: &str) -> AppResult<Vec<&str>> {
    let parts: Vec<&str> = source.split(',').collect();
    if parts.len() > MAX_COMPOSITE || parts.iter().any(|p| p.is_empty()) {
        return Err(AppError::invalid(
            "source",
            format!("a composite names 1 to {MAX_COMPOSITE} sources separated by commas, e.g. deposits,layer-3"),
        ));
    }
    let mut layer_names: Vec<String> = Vec::new();
    for part in &parts {
        let names: Vec<String> = if SOURCES.contains(part) {
            layers(part).into_iter().map(|(name, _)| name.to_owned()).collect()
        } else {
            vec![(*part).to_owned()]
        };
        for name in names {
            if layer_names.contains(&name) {
                return Err(AppError::invalid("source", format!("the composite {source} names `{name}` twice")));
            }
            layer_names.push(name);
        }
    }
    Ok(parts)
}

/// The extents and TileJSON `vector_layers` of one source.
async fn describe(
    catalog: &Catalog,
    actor: &domain::Actor,
    source: &str,
) -> AppResult<(Vec<Option<Bbox>>, Vec<Value>)> {
    Ok(match readable_source(catalog, actor, source).await? {
        Source::Domain => (
            catalog.store().extents().await?.to_vec(),
            layers(source)
                .into_iter()
                .map(|(id, fields)| json!({"id": id, "fields": fields, "minzoom": 0, "maxzoom": MAX_ZOOM}))
                .collect(),
        ),
        Source::Layer(layer) => {
            let mut fields = serde_json::Map::new();
            fields.insert("id".into(), Value::from("Number"));
            for a in tile_attributes(&layer) {
                let kind = match a.kind {
                    crate::import::AttributeType::Integer | crate::import::AttributeType::Float => "Number",
                    crate::import::AttributeType::Boolean => "Boolean",
                    _ => "String",
                };
                fields.insert(a.name.clone(), Value::from(kind));
            }
            let description = json!({"id": source, "fields": fields, "minzoom": 0, "maxzoom": MAX_ZOOM,
                "description": layer.meta.name});
            (vec![layer.source.bbox], vec![description])
        }
    })
}

async fn tilejson(
    State(state): State<TilesState>,
    Path(source_json): Path<String>,
    headers: HeaderMap,
    Query(query): Query<HashMap<String, String>>,
) -> AppResult<Json<Value>> {
    let actor = reader(&state.catalog, &state.auth, &headers, &query).await?;
    let source = source_json.strip_suffix(".json").ok_or_else(|| AppError::not_found("tile source", &source_json))?;
    let (mut extents, mut vector_layers) = (Vec::new(), Vec::new());
    for part in composite_parts(source)? {
        let (part_extents, part_layers) = describe(&state.catalog, &actor, part).await?;
        extents.extend(part_extents);
        vector_layers.extend(part_layers);
    }
    let bounds = extents
        .iter()
        .flatten()
        .copied()
        .reduce(|a, b| Bbox {
            min_lon: a.min_lon.min(b.min_lon),
            min_lat: a.min_lat.min(b.min_lat),
            max_lon: a.max_lon.max(b.max_lon),
            max_lat: a.max_lat.max(b.max_lat),
        })
        .unwrap_or(Bbox { min_lon: -180.0, min_lat: -85.0511, max_lon: 180.0, max_lat: 85.0511 });
    // A token given as a parameter must reach the tiles too.
    let token = query.get("access_token").map(|t| format!("?access_token={t}")).unwrap_or_default();
    Ok(Json(json!({
        "tilejson": "3.0.0",
        "name": source,
        "scheme": "xyz",
        "tiles": [format!("{}/tiles/{source}/{{z}}/{{x}}/{{y}}.mvt{token}", base_url(&headers))],
        "minzoom": 0,
        "maxzoom": MAX_ZOOM,
        "bounds": [bounds.min_lon, bounds.min_lat, bounds.max_lon, bounds.max_lat],
        "center": [(bounds.min_lon + bounds.max_lon) / 2.0, (bounds.min_lat + bounds.max_lat) / 2.0, 6],
        "vector_layers": vector_layers,
    })))
}

async fn tile(
    State(state): State<TilesState>,
    Path((source, z, x, y_ext)): Path<(String, u8, u32, String)>,
    headers: HeaderMap,
    Query(query): Query<HashMap<String, String>>,
) -> AppResult<Response> {
    let actor = reader(&state.catalog, &state.auth, &headers, &query).await?;
    let parts = composite_parts(&source)?;
    let mut readable = Vec::with_capacity(parts.len());
    for part in &parts {
        readable.push(readable_source(&state.catalog, &actor, part).await?);
    }
    let y = y_ext
        .strip_suffix(".mvt")
        .or_else(|| y_ext.strip_suffix(".pbf"))
        .and_then(|y| y.parse::<u32>().ok())
        .ok_or_else(|| AppError::invalid("y", "a tile is addressed as /tiles/{source}/{z}/{x}/{y}.mvt"))?;
    let id = TileId::new(z, x, y).filter(|t| t.z <= MAX_ZOOM).ok_or_else(|| {
        AppError::invalid("z", format!("no tile {z}/{x}/{y}: zoom 0 to {MAX_ZOOM}, x and y below 2^z"))
    })?;
    // Each source's tile is cached on its own, so a composite shares them and
    // is invalidated with them. MVT tiles concatenate: a tile is a list of layers.
    let (mut bytes, mut all_hit) = (Vec::new(), true);
    for (part, readable) in parts.iter().zip(&readable) {
        let (tile, hit) = cached_tile(&state, part, readable, id).await?;
        all_hit &= hit;
        if let Some(part_bytes) = tile.as_ref() {
            bytes.extend_from_slice(part_bytes);
        }
    }
    let tile: cache::CachedTile = Arc::new((!bytes.is_empty()).then_some(bytes));
    Ok(tile_response(&state, &headers, tile, all_hit, "application/vnd.mapbox-vector-tile"))
}

/// One source's tile, from the cache or built (and kept).
async fn cached_tile(
    state: &TilesState,
    source: &str,
    readable: &Source,
    id: TileId,
) -> AppResult<(cache::CachedTile, bool)> {
    let key = cache::TileKey { source: source.to_owned(), tile: id };
    if let Some(tile) = state.cache.get(&key) {
        return Ok((tile, true));
    }
    let generation = state.cache.generation();
    let built = match readable {
        Source::Domain => build_tile(&state.catalog, source, id).await?,
        Source::Layer(layer) => build_layer_tile(&state.catalog, layer, id).await?,
    };
    let tile: cache::CachedTile = Arc::new(built);
    state.cache.insert(key, tile.clone(), generation);
    Ok((tile, false))
}

/// A tile's answer: its bytes with an ETag (or 304 when the client has
/// them), `204` for an empty tile, `Cache-Control: no-cache` and `X-Cache`.
fn tile_response(
    state: &TilesState,
    headers: &HeaderMap,
    tile: cache::CachedTile,
    hit: bool,
    content_type: &'static str,
) -> Response {
    let result = if hit { "hit" } else { "miss" };
    state.metrics.tile_cache.get_or_create(&crate::metrics::ResultLabels { result: result.into() }).inc();
    let x_cache = HeaderValue::from_static(if hit { "HIT" } else { "MISS" });
    let Some(bytes) = tile.as_ref().clone() else {
        let mut empty = StatusCode::NO_CONTENT.into_response();
        empty.headers_mut().insert("x-cache", x_cache);
        return empty;
    };
    let etag =
        format!("\"{}\"", Sha256::digest(&bytes).iter().take(12).map(|b| format!("{b:02x}")).collect::<String>());
    let fresh = headers.get(header::IF_NONE_MATCH).and_then(|v| v.to_str().ok()).is_some_and(|v| v == etag);
    let mut response = if fresh { StatusCode::NOT_MODIFIED.into_response() } else { bytes.into_response() };
    let h = response.headers_mut();
    h.insert(header::CONTENT_TYPE, HeaderValue::from_static(content_type));
    // Data changes with every edit: clients revalidate, cheaply, with the ETag.
    h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-cache"));
    if let Ok(v) = HeaderValue::from_str(&etag) {
        h.insert(header::ETAG, v);
    }
    h.insert("x-cache", x_cache);
    response
}

/// The encoded tile, or `None` when no feature reaches it: built by the
/// database on PostGIS, in Rust on SQLite.
pub async fn build_tile(catalog: &Catalog, source: &str, id: TileId) -> AppResult<Option<Vec<u8>>> {
    if catalog.store().backend() == crate::storage::Backend::Postgis {
        let names: Vec<&str> = layers(source).into_iter().map(|(name, _)| name).collect();
        return Ok(catalog.store().postgis_domain_tile(&names, (id.z, id.x, id.y)).await?);
    }
    let params = tile_params(id, domain::Ordering::By(domain::SortKey::CreatedAt, domain::Direction::Asc));
    let mut tile = Tile::new(EXTENT);
    let mut features = 0usize;
    for (layer_name, _) in layers(source) {
        let mut layer = tile.create_layer(layer_name);
        match layer_name {
            "deposits" => {
                let items = catalog.deposits(&DepositFilter::default(), &params).await?.items;
                let relations = catalog.deposit_relations(&items).await?;
                for d in &items {
                    let f = &d.fields;
                    let commodity = relations.commodities.get(&f.commodity_id);
                    let tags: Vec<(&str, Tag)> = vec![
                        ("name", Tag::Text(f.name.clone())),
                        ("status", Tag::Text(f.status.as_str().into())),
                        ("commodityCode", Tag::opt_text(commodity.map(|c| c.fields.code.clone()))),
                        ("color", Tag::opt_text(commodity.map(|c| c.fields.color.clone()))),
                        (
                            "operatorName",
                            Tag::opt_text(
                                f.operator_id.and_then(|o| relations.operators.get(&o)).map(|o| o.fields.name.clone()),
                            ),
                        ),
                    ];
                    layer = add_feature(layer, id, d.id, &f.geometry, &tags, &mut features)?;
                }
            }
            "exploitation-areas" => {
                let items = catalog.exploitation_areas(&ExploitationAreaFilter::default(), &params).await?.items;
                let relations = catalog.exploitation_area_relations(&items).await?;
                for a in &items {
                    let f = &a.fields;
                    let tags: Vec<(&str, Tag)> = vec![
                        ("name", Tag::Text(f.name.clone())),
                        ("status", Tag::Text(f.status.as_str().into())),
                        ("permitNumber", Tag::Text(f.permit_number.clone())),
                        (
                            "operatorName",
                            Tag::opt_text(
                                f.operator_id.and_then(|o| relations.operators.get(&o)).map(|o| o.fields.name.clone()),
                            ),
                        ),
                        ("areaKm2", Tag::Number(f.area_km2)),
                    ];
                    layer = add_feature(layer, id, a.id, &f.geometry, &tags, &mut features)?;
                }
            }
            _ => {
                let items = catalog.infrastructures(&InfrastructureFilter::default(), &params).await?.items;
                for i in &items {
                    let f = &i.fields;
                    let tags: Vec<(&str, Tag)> = vec![
                        ("name", Tag::Text(f.name.clone())),
                        ("kind", Tag::Text(f.kind.as_str().into())),
                        ("status", Tag::Text(f.status.as_str().into())),
                        ("lengthKm", Tag::Number(f.length_km)),
                    ];
                    layer = add_feature(layer, id, i.id, &f.geometry, &tags, &mut features)?;
                }
            }
        }
        if layer.num_features() > 0 {
            tile.add_layer(layer).map_err(|e| AppError::Internal(anyhow::anyhow!("adding a tile layer: {e}")))?;
        }
    }
    if features == 0 {
        return Ok(None);
    }
    tile.to_bytes().map(Some).map_err(|e| AppError::Internal(anyhow::anyhow!("encoding a tile: {e}")))
}

/// Every record meeting the tile and its buffer, in `ordering`.
fn tile_params(id: TileId, ordering: domain::Ordering) -> ListParams {
    let (west, south, east, north) = id.bounds_with_buffer();
    ListParams {
        spatial: vec![domain::SpatialFilter::Bbox(Bbox {
            min_lon: west,
            min_lat: south,
            max_lon: east,
            max_lat: north,
        })],
        ordering,
        limit: None,
        ..ListParams::default()
    }
}

/// A tile of an imported layer: its features with their properties.
pub async fn build_layer_tile(catalog: &Catalog, layer: &domain::Layer, id: TileId) -> AppResult<Option<Vec<u8>>> {
    let attributes = tile_attributes(layer);
    let name = layer_source(layer.id);
    // Below the layer's full zoom, dense tiles keep the features that show at this zoom.
    let thinned = layer.tile_full_zoom.is_some_and(|full| id.z < full).then(|| {
        let (west, south, east, north) = id.bounds_with_buffer();
        Bbox { min_lon: west, min_lat: south, max_lon: east, max_lat: north }
    });
    if catalog.store().backend() == crate::storage::Backend::Postgis {
        // Built by the database: no feature crosses the wire.
        let columns: Vec<crate::storage::TileColumn> =
            attributes.iter().map(|a| crate::storage::TileColumn { name: &a.name, kind: a.kind }).collect();
        return Ok(catalog.store().postgis_layer_tile(layer.id, &name, &columns, (id.z, id.x, id.y), thinned).await?);
    }
    let features = match thinned {
        Some(window) => catalog.store().thinned_layer_features(layer.id, window, id.z).await?,
        None => {
            let params = tile_params(id, domain::Ordering::default());
            catalog.store().list_layer_features(layer.id, &[], &params).await?.items
        }
    };
    let mut tile = Tile::new(EXTENT);
    let mut mvt_layer = tile.create_layer(&name);
    let mut count = 0usize;
    for f in &features {
        let tags: Vec<(&str, Tag)> = attributes
            .iter()
            .map(|a| {
                let tag = match f.properties.get(&a.name) {
                    Some(Value::String(s)) => Tag::Text(s.clone()),
                    Some(Value::Number(n)) => n.as_f64().map(Tag::Number).unwrap_or(Tag::None),
                    Some(Value::Bool(b)) => Tag::Bool(*b),
                    _ => Tag::None,
                };
                (a.name.as_str(), tag)
            })
            .collect();
        mvt_layer = add_feature(mvt_layer, id, f.id, &f.geometry, &tags, &mut count)?;
    }
    if count == 0 {
        return Ok(None);
    }
    tile.add_layer(mvt_layer).map_err(|e| AppError::Internal(anyhow::anyhow!("adding a tile layer: {e}")))?;
    tile.to_bytes().map(Some).map_err(|e| AppError::Internal(anyhow::anyhow!("encoding a tile: {e}")))
}

enum Tag {
    Bool(bool),
    Text(String),
    Number(f64),
    None,
}

impl Tag {
    fn opt_text(value: Option<String>) -> Tag {
        value.map(Tag::Text).unwrap_or(Tag::None)
    }
}

fn add_feature(
    layer: ::mvt::Layer,
    tile: TileId,
    record_id: i64,
    geometry: &geo_types::Geometry<f64>,
    tags: &[(&str, Tag)],
    count: &mut usize,
) -> AppResult<::mvt::Layer> {
    let Some(clipped) = mvt::to_tile_geometry(tile, geometry) else { return Ok(layer) };
    let data = mvt::encode(&clipped).map_err(|e| AppError::Internal(anyhow::anyhow!("encoding a geometry: {e}")))?;
    let mut feature = layer.into_feature(data);
    feature.set_id(record_id as u64);
    // Unsigned, as PostGIS encodes positive integers: both backends give the same tiles.
    // A layer whose file has an `id` attribute keeps the file's value (the
    // record id stays the feature id), as the PostGIS query does.
    if !tags.iter().any(|(key, _)| *key == "id") {
        feature.add_tag_uint("id", record_id as u64);
    }
    for (key, value) in tags {
        match value {
            Tag::Text(text) => feature.add_tag_string(key, text),
            Tag::Number(n) => feature.add_tag_double(key, *n),
            Tag::Bool(b) => feature.add_tag_bool(key, *b),
            Tag::None => {}
        }
    }
    *count += 1;
    Ok(feature.into_layer())
}
