//! The domain records. A record's own fields are a plain struct (what a
//! create or update writes, validated); `Stored<T>` adds what storage gives
//! it: id and timestamps.

use super::enums::*;
use chrono::{DateTime, NaiveDate, Utc};
use geo_types::Geometry;

/// A record as stored: its id, its fields and its timestamps.
#[derive(Clone, Debug, PartialEq)]
pub struct Stored<T> {
    pub id: i64,
    pub fields: T,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

pub type Commodity = Stored<CommodityFields>;
pub type Operator = Stored<OperatorFields>;
pub type Deposit = Stored<DepositFields>;
pub type ExploitationArea = Stored<ExploitationAreaFields>;
pub type Infrastructure = Stored<InfrastructureFields>;

#[derive(Clone, Debug, PartialEq)]
pub struct CommodityFields {
    /// Upper-case code: AU, MN, FE, U, DIAMOND, NB...
    pub code: String,
    pub name_fr: String,
    pub name_en: String,
    /// Map colour, `#RRGGBB`.
    pub color: String,
    pub default_unit: String,
}

#[derive(Clone, Debug, PartialEq)]
pub struct OperatorFields {
    pub name: String,
    pub slug: String,
    /// ISO 3166-1 alpha-2 country code.
    pub country: String,
    pub status: OperatorStatus,
    pub description: Option<String>,
    pub website_url: Option<String>,
    pub logo_url: Option<String>,
    /// The commodities the company produces or explores for.
    pub commodity_ids: Vec<i64>,
}

#[derive(Clone, Debug, PartialEq)]
pub struct DepositFields {
    pub name: String,
    pub commodity_id: i64,
    pub operator_id: Option<i64>,
    pub status: DepositStatus,
    /// Point, Polygon or MultiPolygon.
    pub geometry: Geometry<f64>,
    pub estimated_quantity: Option<f64>,
    pub quantity_unit: Option<String>,
    pub grade: Option<f64>,
    pub grade_unit: Option<String>,
    pub discovery_date: Option<NaiveDate>,
    pub province: Option<String>,
    pub description: Option<String>,
    /// Free-form attributes: always a JSON object.
    pub properties: serde_json::Value,
}

#[derive(Clone, Debug, PartialEq)]
pub struct ExploitationAreaFields {
    pub name: String,
    pub operator_id: Option<i64>,
    pub permit_number: String,
    pub status: PermitStatus,
    /// Polygon or MultiPolygon.
    pub geometry: Geometry<f64>,
    /// Geodesic area in km², computed by the server from the geometry.
    pub area_km2: f64,
    pub valid_from: Option<NaiveDate>,
    pub valid_to: Option<NaiveDate>,
    pub extracted_volume: Option<f64>,
    pub extracted_volume_unit: Option<String>,
}

#[derive(Clone, Debug, PartialEq)]
pub struct InfrastructureFields {
    pub name: String,
    pub kind: InfrastructureKind,
    pub status: InfrastructureStatus,
    /// LineString, MultiLineString or Point.
    pub geometry: Geometry<f64>,
    /// Geodesic length in km, computed by the server (0 for a point).
    pub length_km: f64,
    pub capacity: Option<f64>,
    pub capacity_unit: Option<String>,
    pub description: Option<String>,
}
