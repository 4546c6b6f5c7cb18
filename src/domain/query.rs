//! What a list asks for: filters, spatial predicates, order and page.

use super::enums::*;
use crate::spatial::Bbox;
use geo_types::Geometry;

/// A spatial predicate on a record's geometry. Several are combined with AND.
#[derive(Clone, Debug)]
pub enum SpatialFilter {
    /// Intersects the box.
    Bbox(Bbox),
    /// Shares at least one point with the geometry.
    Intersects(Geometry<f64>),
    /// Lies entirely inside the geometry.
    Within(Geometry<f64>),
    /// Comes within `meters` (geodesic) of the geometry.
    DWithin { geometry: Geometry<f64>, meters: f64 },
}

impl SpatialFilter {
    /// A box that holds every geometry this filter can accept.
    pub fn search_box(&self) -> Bbox {
        let world = Bbox { min_lon: -180.0, min_lat: -90.0, max_lon: 180.0, max_lat: 90.0 };
        match self {
            SpatialFilter::Bbox(b) => *b,
            SpatialFilter::Intersects(g) | SpatialFilter::Within(g) => Bbox::of(g).unwrap_or(world),
            SpatialFilter::DWithin { geometry, meters } => {
                Bbox::of(geometry).map(|b| b.grown_by_metres(*meters)).unwrap_or(world)
            }
        }
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Direction {
    Asc,
    Desc,
}

/// The sortable attributes shared by every list.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SortKey {
    /// Accent- and case-insensitive name.
    Name,
    /// The record's own date: discovery date of a deposit, start of validity
    /// of an exploitation area; creation time for the others. Records
    /// without one come last.
    Date,
    CreatedAt,
    UpdatedAt,
}

#[derive(Clone, Debug)]
pub enum Ordering {
    By(SortKey, Direction),
    /// Nearest first (geodesic distance), ties by id.
    DistanceTo(Geometry<f64>),
}

impl Default for Ordering {
    fn default() -> Self {
        Ordering::By(SortKey::Name, Direction::Asc)
    }
}

/// The parts of a list query every entity shares.
#[derive(Clone, Debug, Default)]
pub struct ListParams {
    /// Accent- and case-insensitive substring of the record's text.
    pub search: Option<String>,
    pub spatial: Vec<SpatialFilter>,
    pub ordering: Ordering,
    pub offset: u64,
    /// `None`: every matching record.
    pub limit: Option<u64>,
    /// Only records with an id above this one: the next chunk of a long
    /// read, without re-reading the chunks before (lists in id order only,
    /// such as a layer's features).
    pub after_id: Option<i64>,
    /// The caller knows the total already (a later chunk): `Page::total` is
    /// 0, and a list refined in Rust stops at the page's end.
    pub skip_total: bool,
}

/// The longest search term, in characters: longer is no search a person
/// types, and SQLite refuses LIKE patterns of 50 000 bytes.
pub const MAX_SEARCH_CHARS: usize = 500;

/// A search term as given at `field`: blank is no search; too long is refused.
pub fn search_term(field: &str, text: Option<String>) -> crate::error::AppResult<Option<String>> {
    match text {
        Some(t) if t.chars().count() > MAX_SEARCH_CHARS => Err(crate::error::AppError::invalid(
            field,
            format!("a search term has at most {MAX_SEARCH_CHARS} characters ({} given)", t.chars().count()),
        )),
        other => Ok(other),
    }
}

/// One page of a list, with the number of records matching in all.
#[derive(Clone, Debug)]
pub struct Page<T> {
    pub items: Vec<T>,
    pub total: u64,
}

#[derive(Clone, Debug, Default)]
pub struct CommodityFilter {
    pub codes: Vec<String>,
}

#[derive(Clone, Debug, Default)]
pub struct OperatorFilter {
    pub statuses: Vec<OperatorStatus>,
    pub commodity_ids: Vec<i64>,
}

/// A closed or half-open interval of dates (`None`: unbounded on that side).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct DateRange {
    pub start: Option<chrono::NaiveDate>,
    pub end: Option<chrono::NaiveDate>,
}

#[derive(Clone, Debug, Default)]
pub struct DepositFilter {
    pub statuses: Vec<DepositStatus>,
    pub commodity_ids: Vec<i64>,
    pub operator_ids: Vec<i64>,
    /// Discovery date within the range (deposits without one never match).
    pub discovered: Option<DateRange>,
}

#[derive(Clone, Debug, Default)]
pub struct ExploitationAreaFilter {
    pub statuses: Vec<PermitStatus>,
    pub operator_ids: Vec<i64>,
    /// Validity period overlapping the range (an open end is unbounded).
    pub valid_during: Option<DateRange>,
}

#[derive(Clone, Debug, Default)]
pub struct InfrastructureFilter {
    pub kinds: Vec<InfrastructureKind>,
    pub statuses: Vec<InfrastructureStatus>,
}
