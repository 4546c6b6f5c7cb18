//! Deposits (gisements).

use super::common::{
    DateRangeInput, FEATURE_COLLECTION_COMPLEXITY, SpatialFilterInput, SpatialOrderBy, catalog, connection,
    distance_input, feature_collection, nearest_within, parse_id, point_input, spatial_params, viewer, whole_set,
};
use super::loaders::{CommoditiesLoader, OperatorsLoader, connection_nodes, prime};
use super::reference::{Commodity, Operator, operator_ids, patch};
use super::scalars::GeoJson;
use crate::domain::{self, DepositDraft, DepositFilter, ListParams, to_geojson};
use async_graphql::connection::{Connection, EmptyFields};
use async_graphql::{Context, Enum, ID, InputObject, Json, Lookahead, MaybeUndefined, Object, Result};
use chrono::{DateTime, NaiveDate, Utc};

#[derive(Enum, Clone, Copy, Debug, PartialEq, Eq)]
#[graphql(remote = "domain::DepositStatus")]
pub enum DepositStatus {
    Active,
    Development,
    Exploration,
    Closed,
}

/// A mineral deposit (gisement): a point or an outline.
pub struct Deposit(pub domain::Deposit);

#[Object]
impl Deposit {
    async fn id(&self) -> ID {
        ID(self.0.id.to_string())
    }
    async fn name(&self) -> &str {
        &self.0.fields.name
    }
    async fn commodity(&self, ctx: &Context<'_>) -> Result<Option<Commodity>> {
        let loader = ctx.data_unchecked::<CommoditiesLoader>();
        Ok(loader.load_one(self.0.fields.commodity_id).await?.map(Commodity))
    }
    async fn operator(&self, ctx: &Context<'_>) -> Result<Option<Operator>> {
        let Some(id) = self.0.fields.operator_id else {
            return Ok(None);
        };
        let loader = ctx.data_unchecked::<OperatorsLoader>();
        Ok(loader.load_one(id).await?.map(Operator))
    }
    async fn status(&self) -> DepositStatus {
        self.0.fields.status.into()
    }
    /// Point, Polygon or MultiPolygon, in WGS84 longitude/latitude.
    async fn geometry(&self) -> GeoJson {
        GeoJson(to_geojson(&self.0.fields.geometry))
    }
    /// Geodesic distance in metres from this deposit to a geometry (0 if they meet).
    async fn distance_m(&self, ctx: &Context<'_>, to: GeoJson) -> Result<f64> {
        Ok(distance_input(ctx, &self.0.fields.geometry, &to).await?)
    }
    async fn estimated_quantity(&self) -> Option<f64> {
        self.0.fields.estimated_quantity
    }
    async fn quantity_unit(&self) -> Option<&str> {
        self.0.fields.quantity_unit.as_deref()
    }
    async fn grade(&self) -> Option<f64> {
        self.0.fields.grade
    }
    async fn grade_unit(&self) -> Option<&str> {
        self.0.fields.grade_unit.as_deref()
    }
    async fn discovery_date(&self) -> Option<NaiveDate> {
        self.0.fields.discovery_date
    }
    async fn province(&self) -> Option<&str> {
        self.0.fields.province.as_deref()
    }
    async fn description(&self) -> Option<&str> {
        self.0.fields.description.as_deref()
    }
    /// Free-form attributes (a JSON object).
    async fn properties(&self) -> Json<serde_json::Value> {
        Json(self.0.fields.properties.clone())
    }
    async fn created_at(&self) -> DateTime<Utc> {
        self.0.created_at
    }
    async fn updated_at(&self) -> DateTime<Utc> {
        self.0.updated_at
    }
}

#[derive(InputObject, Default)]
pub struct DepositFilterInput {
    /// Accent- and case-insensitive text in the name, province or description.
    pub search: Option<String>,
    pub status: Option<Vec<DepositStatus>>,
    /// Commodity codes, e.g. ["MN", "AU"].
    pub commodity_code: Option<Vec<String>>,
    pub operator_id: Option<Vec<ID>>,
    /// Discovery date within this range (deposits without one are left out).
    pub discovery_date: Option<DateRangeInput>,
    #[graphql(flatten)]
    pub spatial: SpatialFilterInput,
}

impl DepositFilterInput {
    async fn to_filter(&self, ctx: &Context<'_>) -> Result<DepositFilter> {
        let codes = self.commodity_code.clone().unwrap_or_default();
        Ok(DepositFilter {
            statuses: self.status.clone().unwrap_or_default().into_iter().map(Into::into).collect(),
            commodity_ids: catalog(ctx)?.commodity_ids("filter.commodityCode", &codes).await?,
            operator_ids: operator_ids(self.operator_id.clone())?,
            discovered: self.discovery_date.map(|r| r.to_range("filter.discoveryDate")).transpose()?,
        })
    }
}

/// The extra fields of a deposit list.
pub struct DepositListExtras {
    total: u64,
    filter: DepositFilter,
    params: ListParams,
}

#[Object]
impl DepositListExtras {
    /// Number of deposits matching the filter, over all pages.
    async fn total_count(&self) -> u64 {
        self.total
    }
    /// Every deposit matching the filter (not only this page) as one GeoJSON FeatureCollection.
    #[graphql(complexity = "FEATURE_COLLECTION_COMPLEXITY")]
    async fn feature_collection(&self, ctx: &Context<'_>) -> Result<GeoJson> {
        let (params, _turn) = whole_set(ctx, &self.params, self.total).await?;
        let page = catalog(ctx)?.deposits(&self.filter, &params).await?;
        deposit_features(ctx, page.items).await
    }
}

async fn deposit_features(ctx: &Context<'_>, deposits: Vec<domain::Deposit>) -> Result<GeoJson> {
    let relations = domain::Relations {
        commodities: ctx
            .data_unchecked::<CommoditiesLoader>()
            .load_many(deposits.iter().map(|d| d.fields.commodity_id))
            .await?,
        operators: ctx
            .data_unchecked::<OperatorsLoader>()
            .load_many(deposits.iter().filter_map(|d| d.fields.operator_id))
            .await?,
    };
    Ok(feature_collection(deposits, move |d| domain::deposit_feature(d, &relations)).await?)
}

async fn prime_deposit_relations(
    ctx: &Context<'_>,
    nodes: &[Lookahead<'_>],
    deposits: &[domain::Deposit],
) -> Result<()> {
    let operators = deposits.iter().filter_map(|d| d.fields.operator_id).collect();
    let commodities = deposits.iter().map(|d| d.fields.commodity_id).collect();
    prime(ctx, nodes, operators, commodities).await
}

#[derive(Default)]
pub struct DepositQuery;

#[Object]
impl DepositQuery {
    async fn deposit(&self, ctx: &Context<'_>, id: ID) -> Result<Option<Deposit>> {
        Ok(catalog(ctx)?.deposit(parse_id("id", &id)?).await?.map(Deposit))
    }

    /// Deposits matching every filter given, by name unless `orderBy` says otherwise.
    async fn deposits(
        &self,
        ctx: &Context<'_>,
        first: Option<i32>,
        after: Option<String>,
        filter: Option<DepositFilterInput>,
        order_by: Option<SpatialOrderBy>,
    ) -> Result<Connection<String, Deposit, DepositListExtras, EmptyFields>> {
        let input = filter.unwrap_or_default();
        let filter = input.to_filter(ctx).await?;
        let params = spatial_params(ctx, first, after, input.search.clone(), &input.spatial, order_by).await?;
        let page = catalog(ctx)?.deposits(&filter, &params).await?;
        prime_deposit_relations(ctx, &connection_nodes(ctx), &page.items).await?;
        let items = page.items.into_iter().map(Deposit).collect();
        let extras = DepositListExtras { total: page.total, filter, params: params.clone() };
        Ok(connection(items, params.offset, page.total, extras))
    }

    /// The `limit` deposits nearest to a point, nearest first (geodesic distance).
    async fn nearest_deposits(
        &self,
        ctx: &Context<'_>,
        point: GeoJson,
        #[graphql(default = 10)] limit: i32,
        filter: Option<DepositFilterInput>,
    ) -> Result<Vec<Deposit>> {
        let point = point_input(ctx, "point", &point).await?;
        let input = filter.unwrap_or_default();
        let within = nearest_within(ctx, input.search.clone(), &input.spatial).await?;
        let filter = input.to_filter(ctx).await?;
        let found = catalog(ctx)?.nearest_deposits(point, limit.max(0) as u64, &filter, &within).await?;
        prime_deposit_relations(ctx, &[ctx.look_ahead()], &found).await?;
        Ok(found.into_iter().map(Deposit).collect())
    }
}

#[derive(InputObject)]
pub struct DepositInput {
    pub name: String,
    /// Commodity code, e.g. MN.
    pub commodity_code: String,
    pub operator_id: Option<ID>,
    pub status: DepositStatus,
    /// Point, Polygon or MultiPolygon (GeoJSON, WGS84 longitude/latitude).
    pub geometry: GeoJson,
    pub estimated_quantity: Option<f64>,
    pub quantity_unit: Option<String>,
    pub grade: Option<f64>,
    pub grade_unit: Option<String>,
    pub discovery_date: Option<NaiveDate>,
    pub province: Option<String>,
    pub description: Option<String>,
    /// Free-form attributes: a JSON object.
    pub properties: Option<Json<serde_json::Value>>,
}

/// Fields to change; absent fields keep their value, null clears an optional one.
#[derive(InputObject, Default)]
pub struct DepositPatch {
    pub name: Option<String>,
    pub commodity_code: Option<String>,
    pub operator_id: MaybeUndefined<ID>,
    pub status: Option<DepositStatus>,
    pub geometry: Option<GeoJson>,
    pub estimated_quantity: MaybeUndefined<f64>,
    pub quantity_unit: MaybeUndefined<String>,
    pub grade: MaybeUndefined<f64>,
    pub grade_unit: MaybeUndefined<String>,
    pub discovery_date: MaybeUndefined<NaiveDate>,
    pub province: MaybeUndefined<String>,
    pub description: MaybeUndefined<String>,
    pub properties: Option<Json<serde_json::Value>>,
}

fn optional_id(field: &str, id: MaybeUndefined<ID>) -> Result<MaybeUndefined<i64>, crate::error::AppError> {
    Ok(match id {
        MaybeUndefined::Value(id) => MaybeUndefined::Value(parse_id(field, &id)?),
        MaybeUndefined::Null => MaybeUndefined::Null,
        MaybeUndefined::Undefined => MaybeUndefined::Undefined,
    })
}

#[derive(Default)]
pub struct DepositMutation;

#[Object]
impl DepositMutation {
    /// Creates a deposit; a bad input changes nothing and names the field.
    async fn create_deposit(&self, ctx: &Context<'_>, input: DepositInput) -> Result<Deposit> {
        let operator_id = input.operator_id.as_ref().map(|id| parse_id("input.operatorId", id)).transpose()?;
        let draft = DepositDraft {
            name: input.name,
            commodity_code: input.commodity_code,
            operator_id,
            status: input.status.into(),
            geometry: input.geometry.0,
            estimated_quantity: input.estimated_quantity,
            quantity_unit: input.quantity_unit,
            grade: input.grade,
            grade_unit: input.grade_unit,
            discovery_date: input.discovery_date,
            province: input.province,
            description: input.description,
            properties: input.properties.map(|p| p.0).unwrap_or(serde_json::Value::Null),
        };
        Ok(Deposit(catalog(ctx)?.create_deposit(viewer(ctx)?, draft).await.map_err(|e| e.under("input"))?))
    }

    async fn update_deposit(&self, ctx: &Context<'_>, id: ID, input: DepositPatch) -> Result<Deposit> {
        let id = parse_id("id", &id)?;
        let operator_id = optional_id("input.operatorId", input.operator_id)?;
        let updated = catalog(ctx)?
            .update_deposit(viewer(ctx)?, id, |d| {
                if let Some(g) = input.geometry {
                    d.geometry = g.0;
                }
                if let Some(p) = input.properties {
                    d.properties = p.0;
                }
                patch!(d, input; name, commodity_code, status; estimated_quantity, quantity_unit, grade, grade_unit,
                    discovery_date, province, description);
                match operator_id {
                    MaybeUndefined::Value(v) => d.operator_id = Some(v),
                    MaybeUndefined::Null => d.operator_id = None,
                    MaybeUndefined::Undefined => {}
                }
            })
            .await
            .map_err(|e| e.under("input"))?;
        Ok(Deposit(updated))
    }

    /// Deletes a deposit; returns its id.
    async fn delete_deposit(&self, ctx: &Context<'_>, id: ID) -> Result<ID> {
        catalog(ctx)?.delete_deposit(viewer(ctx)?, parse_id("id", &id)?).await?;
        Ok(id)
    }
}
