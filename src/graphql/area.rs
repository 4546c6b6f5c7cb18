//! Exploitation areas: permit and concession zones.

use super::common::{
    DateRangeInput, FEATURE_COLLECTION_COMPLEXITY, SpatialFilterInput, SpatialOrderBy, catalog, connection,
    distance_input, feature_collection, nearest_within, parse_id, point_input, spatial_params, viewer, whole_set,
};
use super::loaders::{OperatorsLoader, connection_nodes, prime};
use super::reference::{Operator, operator_ids, patch};
use super::scalars::GeoJson;
use crate::domain::{self, ExploitationAreaDraft, ExploitationAreaFilter, ListParams, to_geojson};
use async_graphql::connection::{Connection, EmptyFields};
use async_graphql::{Context, Enum, ID, InputObject, MaybeUndefined, Object, Result};
use chrono::{DateTime, NaiveDate, Utc};

#[derive(Enum, Clone, Copy, Debug, PartialEq, Eq)]
#[graphql(remote = "domain::PermitStatus")]
pub enum PermitStatus {
    Active,
    Pending,
    Expired,
    Terminated,
}

/// An exploitation permit's zone (concession).
pub struct ExploitationArea(pub domain::ExploitationArea);

#[Object]
impl ExploitationArea {
    async fn id(&self) -> ID {
        ID(self.0.id.to_string())
    }
    async fn name(&self) -> &str {
        &self.0.fields.name
    }
    async fn operator(&self, ctx: &Context<'_>) -> Result<Option<Operator>> {
        let Some(id) = self.0.fields.operator_id else {
            return Ok(None);
        };
        let loader = ctx.data_unchecked::<OperatorsLoader>();
        Ok(loader.load_one(id).await?.map(Operator))
    }
    /// Unique permit number.
    async fn permit_number(&self) -> &str {
        &self.0.fields.permit_number
    }
    async fn status(&self) -> PermitStatus {
        self.0.fields.status.into()
    }
    /// Polygon or MultiPolygon, in WGS84 longitude/latitude.
    async fn geometry(&self) -> GeoJson {
        GeoJson(to_geojson(&self.0.fields.geometry))
    }
    /// Geodesic area in km² (WGS84 ellipsoid), computed by the server.
    async fn area_km2(&self) -> f64 {
        self.0.fields.area_km2
    }
    /// Geodesic distance in metres from this area to a geometry (0 if they meet).
    async fn distance_m(&self, ctx: &Context<'_>, to: GeoJson) -> Result<f64> {
        Ok(distance_input(ctx, &self.0.fields.geometry, &to).await?)
    }
    async fn valid_from(&self) -> Option<NaiveDate> {
        self.0.fields.valid_from
    }
    async fn valid_to(&self) -> Option<NaiveDate> {
        self.0.fields.valid_to
    }
    async fn extracted_volume(&self) -> Option<f64> {
        self.0.fields.extracted_volume
    }
    async fn extracted_volume_unit(&self) -> Option<&str> {
        self.0.fields.extracted_volume_unit.as_deref()
    }
    async fn created_at(&self) -> DateTime<Utc> {
        self.0.created_at
    }
    async fn updated_at(&self) -> DateTime<Utc> {
        self.0.updated_at
    }
}

#[derive(InputObject, Default)]
pub struct ExploitationAreaFilterInput {
    /// Accent- and case-insensitive text in the name or permit number.
    pub search: Option<String>,
    pub status: Option<Vec<PermitStatus>>,
    pub operator_id: Option<Vec<ID>>,
    /// Validity period overlapping this range.
    pub valid_during: Option<DateRangeInput>,
    #[graphql(flatten)]
    pub spatial: SpatialFilterInput,
}

impl ExploitationAreaFilterInput {
    fn to_filter(&self) -> Result<ExploitationAreaFilter> {
        Ok(ExploitationAreaFilter {
            statuses: self.status.clone().unwrap_or_default().into_iter().map(Into::into).collect(),
            operator_ids: operator_ids(self.operator_id.clone())?,
            valid_during: self.valid_during.map(|r| r.to_range("filter.validDuring")).transpose()?,
        })
    }
}

pub struct ExploitationAreaListExtras {
    total: u64,
    filter: ExploitationAreaFilter,
    params: ListParams,
}

#[Object]
impl ExploitationAreaListExtras {
    /// Number of areas matching the filter, over all pages.
    async fn total_count(&self) -> u64 {
        self.total
    }
    /// Every area matching the filter (not only this page) as one GeoJSON FeatureCollection.
    #[graphql(complexity = "FEATURE_COLLECTION_COMPLEXITY")]
    async fn feature_collection(&self, ctx: &Context<'_>) -> Result<GeoJson> {
        let (params, _turn) = whole_set(ctx, &self.params, self.total).await?;
        let areas = catalog(ctx)?.exploitation_areas(&self.filter, &params).await?.items;
        let relations = domain::Relations {
            operators: ctx
                .data_unchecked::<OperatorsLoader>()
                .load_many(areas.iter().filter_map(|a| a.fields.operator_id))
                .await?,
            ..Default::default()
        };
        Ok(feature_collection(areas, move |a| domain::exploitation_area_feature(a, &relations)).await?)
    }
}

#[derive(Default)]
pub struct ExploitationAreaQuery;

#[Object]
impl ExploitationAreaQuery {
    async fn exploitation_area(&self, ctx: &Context<'_>, id: ID) -> Result<Option<ExploitationArea>> {
        Ok(catalog(ctx)?.exploitation_area(parse_id("id", &id)?).await?.map(ExploitationArea))
    }

    /// Exploitation areas matching every filter given, by name unless `orderBy` says otherwise.
    async fn exploitation_areas(
        &self,
        ctx: &Context<'_>,
        first: Option<i32>,
        after: Option<String>,
        filter: Option<ExploitationAreaFilterInput>,
        order_by: Option<SpatialOrderBy>,
    ) -> Result<Connection<String, ExploitationArea, ExploitationAreaListExtras, EmptyFields>> {
        let input = filter.unwrap_or_default();
        let filter = input.to_filter()?;
        let params = spatial_params(ctx, first, after, input.search.clone(), &input.spatial, order_by).await?;
        let page = catalog(ctx)?.exploitation_areas(&filter, &params).await?;
        let operators = page.items.iter().filter_map(|a| a.fields.operator_id).collect();
        prime(ctx, &connection_nodes(ctx), operators, Vec::new()).await?;
        let items = page.items.into_iter().map(ExploitationArea).collect();
        let extras = ExploitationAreaListExtras { total: page.total, filter, params: params.clone() };
        Ok(connection(items, params.offset, page.total, extras))
    }

    /// The `limit` areas nearest to a point, nearest first (geodesic distance).
    async fn nearest_exploitation_areas(
        &self,
        ctx: &Context<'_>,
        point: GeoJson,
        #[graphql(default = 10)] limit: i32,
        filter: Option<ExploitationAreaFilterInput>,
    ) -> Result<Vec<ExploitationArea>> {
        let point = point_input(ctx, "point", &point).await?;
        let input = filter.unwrap_or_default();
        let within = nearest_within(ctx, input.search.clone(), &input.spatial).await?;
        let filter = input.to_filter()?;
        let found = catalog(ctx)?.nearest_exploitation_areas(point, limit.max(0) as u64, &filter, &within).await?;
        let operators = found.iter().filter_map(|a| a.fields.operator_id).collect();
        prime(ctx, &[ctx.look_ahead()], operators, Vec::new()).await?;
        Ok(found.into_iter().map(ExploitationArea).collect())
    }
}

#[derive(InputObject)]
pub struct ExploitationAreaInput {
    pub name: String,
    pub operator_id: Option<ID>,
    pub permit_number: String,
    pub status: PermitStatus,
    /// Polygon or MultiPolygon (GeoJSON, WGS84 longitude/latitude).
    pub geometry: GeoJson,
    pub valid_from: Option<NaiveDate>,
    pub valid_to: Option<NaiveDate>,
    pub extracted_volume: Option<f64>,
    pub extracted_volume_unit: Option<String>,
}

/// Fields to change; absent fields keep their value, null clears an optional one.
#[derive(InputObject, Default)]
pub struct ExploitationAreaPatch {
    pub name: Option<String>,
    pub operator_id: MaybeUndefined<ID>,
    pub permit_number: Option<String>,
    pub status: Option<PermitStatus>,
    pub geometry: Option<GeoJson>,
    pub valid_from: MaybeUndefined<NaiveDate>,
    pub valid_to: MaybeUndefined<NaiveDate>,
    pub extracted_volume: MaybeUndefined<f64>,
    pub extracted_volume_unit: MaybeUndefined<String>,
}

#[derive(Default)]
pub struct ExploitationAreaMutation;

#[Object]
impl ExploitationAreaMutation {
    /// Creates an exploitation area; its area in km² is computed by the server.
    async fn create_exploitation_area(
        &self,
        ctx: &Context<'_>,
        input: ExploitationAreaInput,
    ) -> Result<ExploitationArea> {
        let operator_id = input.operator_id.as_ref().map(|id| parse_id("input.operatorId", id)).transpose()?;
        let draft = ExploitationAreaDraft {
            name: input.name,
            operator_id,
            permit_number: input.permit_number,
            status: input.status.into(),
            geometry: input.geometry.0,
            valid_from: input.valid_from,
            valid_to: input.valid_to,
            extracted_volume: input.extracted_volume,
            extracted_volume_unit: input.extracted_volume_unit,
        };
        Ok(ExploitationArea(
            catalog(ctx)?.create_exploitation_area(viewer(ctx)?, draft).await.map_err(|e| e.under("input"))?,
        ))
    }

    async fn update_exploitation_area(
        &self,
        ctx: &Context<'_>,
        id: ID,
        input: ExploitationAreaPatch,
    ) -> Result<ExploitationArea> {
        let id = parse_id("id", &id)?;
        let operator_id = match &input.operator_id {
            MaybeUndefined::Value(v) => MaybeUndefined::Value(parse_id("input.operatorId", v)?),
            MaybeUndefined::Null => MaybeUndefined::Null,
            MaybeUndefined::Undefined => MaybeUndefined::Undefined,
        };
        let updated = catalog(ctx)?
            .update_exploitation_area(viewer(ctx)?, id, |d| {
                if let Some(g) = input.geometry {
                    d.geometry = g.0;
                }
                patch!(d, input; name, permit_number, status; valid_from, valid_to, extracted_volume,
                    extracted_volume_unit);
                match operator_id {
                    MaybeUndefined::Value(v) => d.operator_id = Some(v),
                    MaybeUndefined::Null => d.operator_id = None,
                    MaybeUndefined::Undefined => {}
                }
            })
            .await
            .map_err(|e| e.under("input"))?;
        Ok(ExploitationArea(updated))
    }

    /// Deletes an exploitation area; returns its id.
    async fn delete_exploitation_area(&self, ctx: &Context<'_>, id: ID) -> Result<ID> {
        catalog(ctx)?.delete_exploitation_area(viewer(ctx)?, parse_id("id", &id)?).await?;
        Ok(id)
    }
}
