//! Lists shared by every table: search, order, page, and for spatial
//! tables the backend-specific spatial predicates.

use super::error::StorageResult;
use super::{Backend, geometry, text};
use crate::domain::{Direction, ListParams, Ordering, SortKey, SpatialFilter};
use crate::spatial::{self, Bbox};
use geo::{Intersects, PreparedGeometry, Relate, Within};
use geo_types::Geometry;
use sea_orm::sea_query::{Expr, LikeExpr, NullOrdering, SimpleExpr};
use sea_orm::{
    ColumnTrait, Condition, ConnectionTrait, DatabaseConnection, EntityTrait, Order, PaginatorTrait, QueryFilter,
    QueryOrder, QuerySelect, QueryTrait, Select, TransactionTrait, Value,
};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering::Relaxed};

/// A table with the columns every list uses.
pub(super) trait Listed: EntityTrait {
    const TABLE: &'static str;
    fn id() -> Self::Column;
    fn name_key() -> Self::Column;
    fn search_text() -> Self::Column;
    /// The record's own date (see [`SortKey::Date`]).
    fn date() -> Self::Column;
    fn created_at() -> Self::Column;
    fn updated_at() -> Self::Column;
}

/// A table with a geometry: `geom_wkb` on both backends, plus the PostGIS
/// `geom` column or the SQLite `<table>_rtree` index.
pub(super) trait Spatial: Listed {
    fn id_of(model: &Self::Model) -> i64;
    fn wkb_of(model: &Self::Model) -> &[u8];
}

fn searched<E: Listed>(condition: Condition, search: Option<&str>) -> Select<E> {
    let select = E::find().filter(condition);
    match search.map(str::trim) {
        Some(term) if !term.is_empty() => {
            select.filter(E::search_text().like(LikeExpr::new(text::like_pattern(term)).escape('\\')))
        }
        _ => select,
    }
}

fn ordered<E: Listed>(select: Select<E>, key: SortKey, direction: Direction) -> Select<E> {
    let order = match direction {
        Direction::Asc => Order::Asc,
        Direction::Desc => Order::Desc,
    };
    let column = match key {
        SortKey::Name => E::name_key(),
        SortKey::Date => E::date(),
        SortKey::CreatedAt => E::created_at(),
        SortKey::UpdatedAt => E::updated_at(),
    };
    // Explicit NULLS LAST: the two backends default to opposite ends.
    select.order_by_with_nulls(column, order, NullOrdering::Last).order_by(E::id(), Order::Asc)
}

/// A page of a table without geometry; order by distance is not offered.
pub(super) async fn list_plain<E: Listed>(
    db: &DatabaseConnection,
    condition: Condition,
    params: &ListParams,
) -> StorageResult<(Vec<E::Model>, u64)>
where
    E::Model: Sync,
{
    page_in_sql(db, searched::<E>(condition, params.search.as_deref()), params).await
}

/// Count, order and page entirely in SQL.
async fn page_in_sql<E: Listed>(
    db: &DatabaseConnection,
    select: Select<E>,
    params: &ListParams,
) -> StorageResult<(Vec<E::Model>, u64)>
where
    E::Model: Sync,
{
    let total = if params.skip_total { 0 } else { select.clone().count(db).await? };
    let (key, direction) = plain_order(&params.ordering);
    let rows = paged(ordered(select, key, direction), params).all(db).await?;
    Ok((rows, total))
}

/// The SQL order of a list; distance is ordered elsewhere (name until then).
fn plain_order(ordering: &Ordering) -> (SortKey, Direction) {
    match ordering {
        Ordering::By(key, direction) => (*key, *direction),
        Ordering::DistanceTo(_) => (SortKey::Name, Direction::Asc),
    }
}

pub(super) fn paged<E: EntityTrait>(select: Select<E>, params: &ListParams) -> Select<E> {
    match (params.limit, params.offset) {
        (None, 0) => select,
        // SQLite accepts OFFSET only after a LIMIT.
        (None, offset) => select.limit(i64::MAX as u64).offset(offset),
        (Some(limit), offset) => select.limit(limit).offset(offset),
    }
}

/// A page of a spatial table, with each record's decoded geometry.
pub(super) async fn list_features<E: Spatial>(
    db: &DatabaseConnection,
    backend: Backend,
    condition: Condition,
    params: &ListParams,
) -> StorageResult<(Vec<(E::Model, Geometry<f64>)>, u64)>
where
    E::Model: Sync + 'static,
{
    let mut select = searched::<E>(condition, params.search.as_deref());
    if let Some(after) = params.after_id {
        select = select.filter(E::id().gt(after));
    }
    match backend {
        Backend::Postgis => {
            for filter in &params.spatial {
                select = select.filter(postgis_predicate(filter));
            }
            let Ordering::DistanceTo(target) = &params.ordering else {
                let (rows, total) = page_in_sql(db, select, params).await?;
                return decode_all::<E>(rows).map(|d| (d, total));
            };
            let total = select.clone().count(db).await?;
            let select = select
                .order_by(
                    Expr::cust_with_values(
                        "ST_Distance(geom::geography, ST_GeomFromWKB($1, 4326)::geography)",
                        [geometry::encode(target)],
                    ),
                    Order::Asc,
                )
                .order_by(E::id(), Order::Asc);
            let rows = paged(select, params).all(db).await?;
            decode_all::<E>(rows).map(|d| (d, total))
        }
        Backend::Sqlite => {
            let by_distance = matches!(params.ordering, Ordering::DistanceTo(_));
            if params.spatial.is_empty() && !by_distance {
                let (rows, total) = page_in_sql(db, select, params).await?;
                return decode_all::<E>(rows).map(|d| (d, total));
            }
            sqlite_refined::<E>(db, select, params).await
        }
    }
}

fn decode_all<E: Spatial>(rows: Vec<E::Model>) -> StorageResult<Vec<(E::Model, Geometry<f64>)>> {
    rows.into_iter()
        .map(|m| {
            let g = geometry::decode(E::TABLE, E::id_of(&m), E::wkb_of(&m))?;
            Ok((m, g))
        })
        .collect()
}

/// SQLite: candidates from the R*Tree, streamed and tested exactly in Rust.
/// Memory holds the page, not the candidates: each row is decoded, tested
/// and dropped unless it falls in the page. Ordered by distance, only
/// (distance, id) of each match is kept; the page's rows are read after.
///
/// The tests run on blocking threads, a chunk of rows at a time: against a
/// filter geometry of thousands of vertices they cost seconds over a large
/// table, which must not hold the async workers (see [`crate::cpu`]).
async fn sqlite_refined<E: Spatial>(
    db: &DatabaseConnection,
    mut select: Select<E>,
    params: &ListParams,
) -> StorageResult<(Vec<(E::Model, Geometry<f64>)>, u64)>
where
    E::Model: Sync + 'static,
{
    if !params.spatial.is_empty() {
        let Some(window) = params.spatial.iter().map(SpatialFilter::search_box).try_fold(WORLD, intersect) else {
            return Ok((Vec::new(), 0));
        };
        if !window.is_world() {
            select = select.filter(rtree_condition(E::TABLE, window));
        }
    }
    let start = params.offset;
    let end = params.limit.map_or(u64::MAX, |limit| start.saturating_add(limit));
    let target = match &params.ordering {
        Ordering::DistanceTo(target) => Some(target.clone()),
        Ordering::By(..) => None,
    };
    let tests = Arc::new(Tests::new(params.spatial.clone(), target));
    if tests.target.is_some() {
        let mut found: Vec<(f64, i64)> = Vec::new();
        let mut rows = Chunks::new(select.stream(db).await?);
        while let Some(chunk) = rows.next().await? {
            for (model, _, distance) in tests.clone().run::<E>(chunk).await? {
                found.push((distance.unwrap_or(f64::INFINITY), E::id_of(&model)));
            }
        }
        drop(rows);
        found.sort_by(|a, b| a.0.total_cmp(&b.0).then(a.1.cmp(&b.1)));
        let total = found.len() as u64;
        let page: Vec<i64> = found
            .iter()
            .skip(usize::try_from(start).unwrap_or(usize::MAX))
            .take(usize::try_from(end - start).unwrap_or(usize::MAX))
            .map(|(_, id)| *id)
            .collect();
        let mut by_id: std::collections::HashMap<i64, E::Model> = std::collections::HashMap::new();
        for chunk in page.chunks(500) {
            for model in E::find().filter(E::id().is_in(chunk.iter().copied())).all(db).await? {
                by_id.insert(E::id_of(&model), model);
            }
        }
        let rows: Vec<E::Model> = page.iter().filter_map(|id| by_id.remove(id)).collect();
        return decode_all::<E>(rows).map(|d| (d, total));
    }
    let (key, direction) = plain_order(&params.ordering);
    let mut rows = Chunks::new(ordered(select, key, direction).stream(db).await?);
    let (mut total, mut kept) = (0u64, Vec::new());
    while let Some(chunk) = rows.next().await? {
        for (model, geom, _) in tests.clone().run::<E>(chunk).await? {
            if (start..end).contains(&total) {
                kept.push((model, geom));
            }
            total += 1;
            if params.skip_total && total >= end {
                return Ok((kept, 0));
            }
        }
    }
    Ok((kept, if params.skip_total { 0 } else { total }))
}

/// Rows tested together off the async workers: enough to make the hand-off
/// cheap, few enough that memory still holds little more than the page.
const CHUNK_ROWS: usize = 256;

/// A row stream, read a chunk at a time.
struct Chunks<S> {
    rows: S,
    done: bool,
}

impl<S, M> Chunks<S>
where
    S: futures_util::Stream<Item = Result<M, sea_orm::DbErr>> + Unpin,
{
    fn new(rows: S) -> Self {
        Chunks { rows, done: false }
    }

    async fn next(&mut self) -> StorageResult<Option<Vec<M>>> {
        use futures_util::TryStreamExt;
        let mut chunk = Vec::with_capacity(CHUNK_ROWS);
        while !self.done && chunk.len() < CHUNK_ROWS {
            match self.rows.try_next().await? {
                Some(row) => chunk.push(row),
                None => self.done = true,
            }
        }
        Ok((!chunk.is_empty()).then_some(chunk))
    }
}

/// The exact tests of a list, shared by the chunks of one query.
struct Tests {
    filters: Vec<SpatialFilter>,
    /// Distance to this geometry is measured for each matching row.
    target: Option<Geometry<f64>>,
    /// Whether the tests are worth a slot for heavy work: against large
    /// geometries they are, against a box or a point they are not.
    heavy: bool,
}

impl Tests {
    fn new(filters: Vec<SpatialFilter>, target: Option<Geometry<f64>>) -> Tests {
        use geo::CoordsIter;
        let vertices = |g: &Geometry<f64>| g.coords_count();
        let of_filters: usize = filters
            .iter()
            .map(|f| match f {
                SpatialFilter::Bbox(_) => 4,
                SpatialFilter::Intersects(g)
                | SpatialFilter::Within(g)
                | SpatialFilter::DWithin { geometry: g, .. } => vertices(g),
            })
            .sum();
        let heavy = of_filters + target.as_ref().map_or(0, vertices) >= crate::cpu::HEAVY_VERTICES;
        Tests { filters, target, heavy }
    }

    /// The rows of `chunk` that pass every filter, with their geometry and
    /// their distance to the target, in the chunk's order.
    async fn run<E: Spatial>(
        self: Arc<Self>,
        chunk: Vec<E::Model>,
    ) -> StorageResult<Vec<(E::Model, Geometry<f64>, Option<f64>)>>
    where
        E::Model: 'static,
    {
        let heavy = self.heavy;
        let work = move |stop: &AtomicBool| {
            // A `within` test of a line or polygon is a DE-9IM relate,
            // which builds the filter's graph and index each time: once per
            // chunk instead (the prepared form cannot cross threads).
            let mut prepared: Vec<Option<PreparedGeometry<'_, &Geometry<f64>>>> =
                self.filters.iter().map(|_| None).collect();
            let mut out = Vec::new();
            for model in chunk {
                if stop.load(Relaxed) {
                    return Err(super::StorageError::Interrupted);
                }
                let geom = geometry::decode(E::TABLE, E::id_of(&model), E::wkb_of(&model))?;
                let pass = self.filters.iter().zip(prepared.iter_mut()).all(|(filter, prepared)| match filter {
                    SpatialFilter::Within(area) if relates(area, &geom) => {
                        // `geom.is_within(area)` is exactly this test, unprepared.
                        prepared.get_or_insert_with(|| PreparedGeometry::from(area)).relate(&geom).is_contains()
                    }
                    other => matches(&geom, other),
                });
                if !pass {
                    continue;
                }
                let distance = match &self.target {
                    Some(target) => {
                        Some(spatial::distance_m_unless(&geom, target, stop).ok_or(super::StorageError::Interrupted)?)
                    }
                    None => None,
                };
                out.push((model, geom, distance));
            }
            Ok(out)
        };
        if heavy { crate::cpu::heavy(work).await? } else { crate::cpu::light(work).await? }
    }
}

const WORLD: Bbox = Bbox { min_lon: -180.0, min_lat: -90.0, max_lon: 180.0, max_lat: 90.0 };

fn intersect(a: Bbox, b: Bbox) -> Option<Bbox> {
    let out = Bbox {
        min_lon: a.min_lon.max(b.min_lon),
        min_lat: a.min_lat.max(b.min_lat),
        max_lon: a.max_lon.min(b.max_lon),
        max_lat: a.max_lat.min(b.max_lat),
    };
    (out.min_lon <= out.max_lon && out.min_lat <= out.max_lat).then_some(out)
}

/// Whether `geo` decides `row.is_within(area)` with a DE-9IM relate (and
/// not with a point-in-polygon test): a polygonal area, a row not of points.
fn relates(area: &Geometry<f64>, row: &Geometry<f64>) -> bool {
    matches!(area, Geometry::Polygon(_) | Geometry::MultiPolygon(_))
        && !matches!(row, Geometry::Point(_) | Geometry::MultiPoint(_))
}

/// The exact test, with the same semantics as the PostGIS predicate.
fn matches(geometry: &Geometry<f64>, filter: &SpatialFilter) -> bool {
    match filter {
        SpatialFilter::Bbox(b) => geometry.intersects(&b.to_polygon()),
        SpatialFilter::Intersects(g) => geometry.intersects(g),
        SpatialFilter::Within(g) => geometry.is_within(g),
        SpatialFilter::DWithin { geometry: g, meters } => spatial::distance_m(geometry, g) <= *meters,
    }
}

fn rtree_condition(table: &str, window: Bbox) -> SimpleExpr {
    Expr::cust_with_values(
        format!(
            "\"{table}\".\"id\" IN (SELECT id FROM \"{table}_rtree\" \
             WHERE max_lon >= ? AND min_lon <= ? AND max_lat >= ? AND min_lat <= ?)"
        ),
        [window.min_lon, window.max_lon, window.min_lat, window.max_lat],
    )
}

fn postgis_predicate(filter: &SpatialFilter) -> SimpleExpr {
    match filter {
        SpatialFilter::Bbox(b) => Expr::cust_with_values(
            "ST_Intersects(geom, ST_MakeEnvelope($1, $2, $3, $4, 4326))",
            [b.min_lon, b.min_lat, b.max_lon, b.max_lat],
        ),
        SpatialFilter::Intersects(g) => {
            Expr::cust_with_values("ST_Intersects(geom, ST_GeomFromWKB($1, 4326))", [geometry::encode(g)])
        }
        SpatialFilter::Within(g) => {
            Expr::cust_with_values("ST_Within(geom, ST_GeomFromWKB($1, 4326))", [geometry::encode(g)])
        }
        SpatialFilter::DWithin { geometry: g, meters } => Expr::cust_with_values(
            "ST_DWithin(geom::geography, ST_GeomFromWKB($1, 4326)::geography, $2)",
            [Value::from(geometry::encode(g)), Value::from(*meters)],
        ),
    }
}

/// The plan of a bbox list query on `E`, as the database prints it.
///
/// On PostgreSQL sequential scans are disabled for the one transaction, so
/// the plan shows whether the GIST index *can* serve the predicate even on
/// a table too small for the planner to prefer it.
pub(super) async fn explain_bbox<E: Spatial>(
    db: &DatabaseConnection,
    backend: Backend,
    window: Bbox,
) -> StorageResult<Vec<String>> {
    let filter = SpatialFilter::Bbox(window);
    let (select, prefix, column) = match backend {
        Backend::Postgis => (E::find().filter(postgis_predicate(&filter)), "EXPLAIN ", "QUERY PLAN"),
        Backend::Sqlite => (E::find().filter(rtree_condition(E::TABLE, window)), "EXPLAIN QUERY PLAN ", "detail"),
    };
    let mut statement = select.build(db.get_database_backend());
    statement.sql = format!("{prefix}{}", statement.sql);
    let txn = db.begin().await?;
    if backend == Backend::Postgis {
        txn.execute_unprepared("SET LOCAL enable_seqscan = off").await?;
    }
    let rows = txn.query_all_raw(statement).await?;
    txn.commit().await?;
    Ok(rows.iter().map(|r| r.try_get::<String>("", column)).collect::<Result<_, _>>()?)
}

/// The bounding box of every geometry of a spatial table, `None` when empty.
pub(super) async fn extent<E: Spatial>(db: &DatabaseConnection) -> StorageResult<Option<Bbox>> {
    use sea_orm::sea_query::Func;
    let row = db
        .query_one(
            &sea_orm::sea_query::Query::select()
                .expr_as(Func::min(Expr::col(sea_orm::sea_query::Alias::new("min_lon"))), "min_lon")
                .expr_as(Func::min(Expr::col(sea_orm::sea_query::Alias::new("min_lat"))), "min_lat")
                .expr_as(Func::max(Expr::col(sea_orm::sea_query::Alias::new("max_lon"))), "max_lon")
                .expr_as(Func::max(Expr::col(sea_orm::sea_query::Alias::new("max_lat"))), "max_lat")
                .from(E::default().table_ref())
                .to_owned(),
        )
        .await?;
    let Some(row) = row else { return Ok(None) };
    let get = |c: &str| row.try_get::<Option<f64>>("", c);
    Ok(match (get("min_lon")?, get("min_lat")?, get("max_lon")?, get("max_lat")?) {
        (Some(min_lon), Some(min_lat), Some(max_lon), Some(max_lat)) => {
            Some(Bbox { min_lon, min_lat, max_lon, max_lat })
        }
        _ => None,
    })
}
