//! Arguments and inputs shared by every list: ids, pages, spatial filters, order.

use super::budget::ResponseBudget;
use super::scalars::GeoJson;
use crate::auth::Auth;
use crate::cpu;
use crate::domain::{self, ANY_GEOMETRY, Actor, Catalog, ListParams, Ordering, SpatialFilter};
use crate::error::{AppError, AppResult};
use crate::spatial::{self, Bbox};
use async_graphql::connection::{Connection, Edge, EmptyFields};
use async_graphql::{Context, Enum, ID, InputObject, ObjectType, OutputType};
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use geo_types::Geometry;

/// Page sizes and feature-collection bounds, set from the configuration.
#[derive(Clone, Debug)]
pub struct Limits {
    pub default_page_size: u64,
    pub max_page_size: u64,
    /// Most features one `featureCollection` may hold.
    pub max_feature_collection: u64,
    pub depth: usize,
    pub complexity: usize,
    /// Largest answer to one GraphQL request, in bytes of JSON (about).
    pub max_response_bytes: usize,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            default_page_size: 50,
            max_page_size: 1000,
            max_feature_collection: 100_000,
            depth: 16,
            complexity: 20_000,
            max_response_bytes: 64 * 1024 * 1024,
        }
    }
}

/// What a `featureCollection` counts towards the query complexity: as much
/// as a page of the largest default size (1 000 nodes of one field), since
/// it returns a whole filtered set. Counting it 1, as any field, let one
/// request hold 10 000 of them, each a copy of the set.
pub const FEATURE_COLLECTION_COMPLEXITY: usize = 1_000;

/// Half the Earth's circumference: no distance filter needs more.
const HALF_EARTH_M: f64 = 20_037_509.0;

/// The domain, once the caller may read: any account, or anyone when
/// public read is on. Every query resolver goes through here.
pub fn catalog<'a>(ctx: &Context<'a>) -> AppResult<&'a Catalog> {
    viewer(ctx)?.require_reader(auth(ctx).public_read())?;
    Ok(ctx.data_unchecked::<Catalog>())
}

/// Who sends the request (resolved from its bearer token before execution);
/// an error if the request carried a token that was refused.
pub fn viewer<'a>(ctx: &Context<'a>) -> AppResult<&'a Actor> {
    match ctx.data_opt::<super::RejectedToken>() {
        Some(rejected) => Err(AppError::Unauthenticated(rejected.0.clone())),
        None => Ok(ctx.data_unchecked::<Actor>()),
    }
}

pub fn auth<'a>(ctx: &Context<'a>) -> &'a Auth {
    ctx.data_unchecked::<Auth>()
}

pub fn limits<'a>(ctx: &Context<'a>) -> &'a Limits {
    ctx.data_unchecked::<Limits>()
}

pub fn parse_id(field: &str, id: &ID) -> AppResult<i64> {
    id.parse::<i64>().ok().filter(|v| *v > 0).ok_or_else(|| {
        AppError::invalid(field, format!("\"{}\" is not an id of this API (ids are positive integers)", id.as_str()))
    })
}

pub fn parse_ids(field: &str, ids: &[ID]) -> AppResult<Vec<i64>> {
    ids.iter().map(|id| parse_id(field, id)).collect()
}

fn encode_cursor(offset: u64) -> String {
    URL_SAFE_NO_PAD.encode(format!("offset:{offset}"))
}

fn decode_cursor(cursor: &str) -> AppResult<u64> {
    URL_SAFE_NO_PAD
        .decode(cursor)
        .ok()
        .and_then(|bytes| String::from_utf8(bytes).ok())
        .and_then(|text| text.strip_prefix("offset:").and_then(|n| n.parse().ok()))
        .ok_or_else(|| AppError::invalid("after", "is not a cursor returned by this list"))
}

/// `first`/`after` as the offset and limit of a list.
pub fn page(ctx: &Context<'_>, first: Option<i32>, after: Option<String>) -> AppResult<(u64, u64)> {
    let limits = limits(ctx);
    let limit = match first {
        None => limits.default_page_size,
        Some(n) if n < 0 => return Err(AppError::invalid("first", "must be ≥ 0")),
        Some(n) if n as u64 > limits.max_page_size => {
            return Err(AppError::invalid("first", format!("must be at most {}", limits.max_page_size)));
        }
        Some(n) => n as u64,
    };
    let offset = match after {
        None => 0,
        Some(cursor) => decode_cursor(&cursor)? + 1,
    };
    Ok((offset, limit))
}

/// A Relay connection over one page of a list.
pub fn connection<N: OutputType, E: ObjectType>(
    items: Vec<N>,
    offset: u64,
    total: u64,
    extra: E,
) -> Connection<String, N, E, EmptyFields> {
    let has_next = offset + (items.len() as u64) < total;
    let mut conn = Connection::with_additional_fields(offset > 0, has_next, extra);
    conn.edges.extend(items.into_iter().enumerate().map(|(i, node)| Edge::new(encode_cursor(offset + i as u64), node)));
    conn
}

/// Reads a GeoJSON input geometry of any type, within the vertex limit.
pub async fn geometry_input(ctx: &Context<'_>, field: &str, value: &GeoJson) -> AppResult<Geometry<f64>> {
    let catalog = ctx.data_unchecked::<Catalog>();
    catalog.geometry_input(value.0.clone(), ANY_GEOMETRY).await.map_err(|e| e.under(field))
}

/// Reads a GeoJSON Point input.
pub async fn point_input(ctx: &Context<'_>, field: &str, value: &GeoJson) -> AppResult<Geometry<f64>> {
    const POINT: &[domain::GeometryType] = &[domain::GeometryType::Point];
    let catalog = ctx.data_unchecked::<Catalog>();
    catalog.geometry_input(value.0.clone(), POINT).await.map_err(|e| e.under(field))
}

/// The search and spatial parts of a filter, for nearest-neighbour queries.
pub async fn nearest_within(
    ctx: &Context<'_>,
    search: Option<String>,
    spatial: &SpatialFilterInput,
) -> AppResult<ListParams> {
    Ok(ListParams {
        search: domain::search_term("filter.search", search)?,
        spatial: spatial.to_filters(ctx, "filter").await?,
        ..ListParams::default()
    })
}

/// Geodesic distance in metres from a record's geometry to a GeoJSON input,
/// on a blocking thread when either is large (a distance costs the product
/// of their vertex counts).
pub async fn distance_input(ctx: &Context<'_>, from: &Geometry<f64>, to: &GeoJson) -> AppResult<f64> {
    use geo::CoordsIter;
    let to = geometry_input(ctx, "to", to).await?;
    if from.coords_count().saturating_mul(to.coords_count()) < cpu::HEAVY_VERTICES * 100 {
        return Ok(spatial::distance_m(from, &to));
    }
    let from = from.clone();
    cpu::heavy(move |stop| spatial::distance_m_unless(&from, &to, stop).ok_or(AppError::Timeout { after: None }))
        .await?
}

/// Dates from `from` to `to`, both included; either may be left open.
#[derive(InputObject, Clone, Copy, Debug)]
pub struct DateRangeInput {
    pub from: Option<chrono::NaiveDate>,
    pub to: Option<chrono::NaiveDate>,
}

impl DateRangeInput {
    pub fn to_range(self, field: &str) -> AppResult<domain::DateRange> {
        if let (Some(from), Some(to)) = (self.from, self.to)
            && from > to
        {
            return Err(AppError::invalid(field, format!("from {from} is after to {to}")));
        }
        Ok(domain::DateRange { start: self.from, end: self.to })
    }
}

/// A longitude/latitude box, west ≤ east.
#[derive(InputObject, Clone, Debug)]
#[graphql(name = "BBoxInput")]
pub struct BboxInput {
    /// Minimum longitude, degrees.
    pub west: f64,
    /// Minimum latitude, degrees.
    pub south: f64,
    /// Maximum longitude, degrees.
    pub east: f64,
    /// Maximum latitude, degrees.
    pub north: f64,
}

impl BboxInput {
    pub fn to_bbox(&self, field: &str) -> AppResult<Bbox> {
        let lon_ok = |v: f64| (-180.0..=180.0).contains(&v);
        let lat_ok = |v: f64| (-90.0..=90.0).contains(&v);
        if !(lon_ok(self.west) && lon_ok(self.east)) {
            return Err(AppError::invalid(field, "west and east are longitudes in [-180, 180]"));
        }
        if !(lat_ok(self.south) && lat_ok(self.north)) {
            return Err(AppError::invalid(field, "south and north are latitudes in [-90, 90]"));
        }
        if self.west > self.east || self.south > self.north {
            return Err(AppError::invalid(
                field,
                "needs west ≤ east and south ≤ north (a box across the antimeridian is two boxes)",
            ));
        }
        Ok(Bbox { min_lon: self.west, min_lat: self.south, max_lon: self.east, max_lat: self.north })
    }
}

/// Records within a geodesic distance of a geometry.
#[derive(InputObject, Clone, Debug)]
pub struct DWithinInput {
    pub geometry: GeoJson,
    /// Distance in metres, measured on the WGS84 ellipsoid.
    pub meters: f64,
}

/// Spatial predicates; several given together must all hold.
#[derive(InputObject, Clone, Debug, Default)]
pub struct SpatialFilterInput {
    /// Geometry intersects this longitude/latitude box.
    pub bbox: Option<BboxInput>,
    /// Geometry shares at least one point with this GeoJSON geometry.
    pub intersects: Option<GeoJson>,
    /// Geometry lies entirely inside this GeoJSON geometry.
    pub within: Option<GeoJson>,
    /// Geometry comes within `meters` of this GeoJSON geometry.
    pub dwithin: Option<DWithinInput>,
}

impl SpatialFilterInput {
    /// The predicates, with errors under `path` (e.g. `filter.dwithin.meters`).
    pub async fn to_filters(&self, ctx: &Context<'_>, path: &str) -> AppResult<Vec<SpatialFilter>> {
        let mut out = Vec::new();
        if let Some(b) = &self.bbox {
            out.push(SpatialFilter::Bbox(b.to_bbox(&format!("{path}.bbox"))?));
        }
        if let Some(g) = &self.intersects {
            out.push(SpatialFilter::Intersects(geometry_input(ctx, &format!("{path}.intersects"), g).await?));
        }
        if let Some(g) = &self.within {
            out.push(SpatialFilter::Within(geometry_input(ctx, &format!("{path}.within"), g).await?));
        }
        if let Some(d) = &self.dwithin {
            let geometry = geometry_input(ctx, &format!("{path}.dwithin.geometry"), &d.geometry).await?;
            if !d.meters.is_finite() || d.meters < 0.0 || d.meters > HALF_EARTH_M {
                return Err(AppError::invalid(
                    format!("{path}.dwithin.meters"),
                    format!("must be between 0 and {HALF_EARTH_M} metres"),
                ));
            }
            out.push(SpatialFilter::DWithin { geometry, meters: d.meters });
        }
        Ok(out)
    }
}

#[derive(Enum, Clone, Copy, Debug, PartialEq, Eq)]
#[graphql(remote = "domain::Direction")]
pub enum SortDirection {
    Asc,
    Desc,
}

/// What a list is sorted by; ties are broken by id.
#[derive(Enum, Clone, Copy, Debug, PartialEq, Eq)]
#[graphql(remote = "domain::SortKey")]
pub enum OrderField {
    /// Name, ignoring case and accents.
    Name,
    /// The record's own date: discovery date of a deposit, start of validity
    /// of an exploitation area, creation time otherwise. Records without one
    /// come last.
    Date,
    CreatedAt,
    UpdatedAt,
}

/// Order of a list of records with a geometry: by a field, or nearest first.
#[derive(InputObject, Clone, Debug, Default)]
pub struct SpatialOrderBy {
    pub field: Option<OrderField>,
    pub direction: Option<SortDirection>,
    /// Nearest first (geodesic distance to this GeoJSON geometry); excludes `field`.
    pub distance_to: Option<GeoJson>,
}

impl SpatialOrderBy {
    pub async fn to_ordering(&self, ctx: &Context<'_>) -> AppResult<Ordering> {
        match (&self.field, &self.distance_to) {
            (Some(_), Some(_)) => Err(AppError::invalid("orderBy", "give either field or distanceTo, not both")),
            (_, Some(g)) => {
                if self.direction == Some(SortDirection::Desc) {
                    return Err(AppError::invalid("orderBy.direction", "distanceTo orders nearest first only"));
                }
                Ok(Ordering::DistanceTo(geometry_input(ctx, "orderBy.distanceTo", g).await?))
            }
            (field, None) => Ok(Ordering::By(
                field.unwrap_or(OrderField::Name).into(),
                self.direction.unwrap_or(SortDirection::Asc).into(),
            )),
        }
    }
}

/// Order of a list of records without geometry.
#[derive(InputObject, Clone, Debug)]
pub struct OrderBy {
    pub field: OrderField,
    #[graphql(default_with = "SortDirection::Asc")]
    pub direction: SortDirection,
}

pub fn ordering(order: Option<OrderBy>) -> Ordering {
    order.map(|o| Ordering::By(o.field.into(), o.direction.into())).unwrap_or_default()
}

/// The list parameters of a spatial list query.
pub async fn spatial_params(
    ctx: &Context<'_>,
    first: Option<i32>,
    after: Option<String>,
    search: Option<String>,
    spatial: &SpatialFilterInput,
    order: Option<SpatialOrderBy>,
) -> AppResult<ListParams> {
    let (offset, limit) = page(ctx, first, after)?;
    Ok(ListParams {
        search: domain::search_term("filter.search", search)?,
        spatial: spatial.to_filters(ctx, "filter").await?,
        ordering: order.unwrap_or_default().to_ordering(ctx).await?,
        offset,
        limit: Some(limit),
        ..ListParams::default()
    })
}

/// The whole filtered set, for a `featureCollection`, within the configured
/// bound; and, while the guard is held, the request's turn to build one (see
/// [`ResponseBudget::large_field`]).
pub async fn whole_set<'a>(
    ctx: &Context<'a>,
    params: &ListParams,
    total: u64,
) -> AppResult<(ListParams, Option<tokio::sync::MutexGuard<'a, ()>>)> {
    let max = limits(ctx).max_feature_collection;
    if total > max {
        return Err(AppError::invalid(
            "featureCollection",
            format!(
                "{total} features match, more than the {max} one response may hold; narrow the filter or page through the list"
            ),
        ));
    }
    let turn = match ctx.data_opt::<ResponseBudget>() {
        Some(budget) => Some(budget.large_field().await?),
        None => None,
    };
    Ok((ListParams { offset: 0, limit: None, ..params.clone() }, turn))
}

/// A GeoJSON FeatureCollection of `items`, built on a blocking thread when
/// there are many (100 000 features take a core for a good part of a second).
pub async fn feature_collection<T: Send + 'static>(
    items: Vec<T>,
    feature: impl Fn(&T) -> serde_json::Value + Send + 'static,
) -> AppResult<GeoJson> {
    let small = items.len() < cpu::HEAVY_FEATURES;
    let build = move || domain::feature_collection(items.iter().map(feature).collect());
    if small {
        return Ok(GeoJson(build()));
    }
    Ok(GeoJson(cpu::heavy(move |_| build()).await?))
}
