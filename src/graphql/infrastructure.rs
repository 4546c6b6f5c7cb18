//! Infrastructure: roads, railways, pipelines, power lines, ports.

use super::common::{
    FEATURE_COLLECTION_COMPLEXITY, SpatialFilterInput, SpatialOrderBy, catalog, connection, distance_input,
    feature_collection, nearest_within, parse_id, point_input, spatial_params, viewer, whole_set,
};
use super::reference::patch;
use super::scalars::GeoJson;
use crate::domain::{self, InfrastructureDraft, InfrastructureFilter, ListParams, to_geojson};
use async_graphql::connection::{Connection, EmptyFields};
use async_graphql::{Context, Enum, ID, InputObject, MaybeUndefined, Object, Result};
use chrono::{DateTime, Utc};

#[derive(Enum, Clone, Copy, Debug, PartialEq, Eq)]
#[graphql(remote = "domain::InfrastructureKind")]
pub enum InfrastructureKind {
    Road,
    Railway,
    Pipeline,
    PowerLine,
    Port,
    Other,
}

#[derive(Enum, Clone, Copy, Debug, PartialEq, Eq)]
#[graphql(remote = "domain::InfrastructureStatus")]
pub enum InfrastructureStatus {
    Operational,
    UnderConstruction,
    Planned,
    Decommissioned,
}

/// A road, railway, pipeline, power line, port or other facility.
pub struct Infrastructure(pub domain::Infrastructure);

#[Object]
impl Infrastructure {
    async fn id(&self) -> ID {
        ID(self.0.id.to_string())
    }
    async fn name(&self) -> &str {
        &self.0.fields.name
    }
    async fn kind(&self) -> InfrastructureKind {
        self.0.fields.kind.into()
    }
    async fn status(&self) -> InfrastructureStatus {
        self.0.fields.status.into()
    }
    /// LineString, MultiLineString or Point, in WGS84 longitude/latitude.
    async fn geometry(&self) -> GeoJson {
        GeoJson(to_geojson(&self.0.fields.geometry))
    }
    /// Geodesic length in km (WGS84 ellipsoid), computed by the server; 0 for a point.
    async fn length_km(&self) -> f64 {
        self.0.fields.length_km
    }
    /// Geodesic distance in metres from this infrastructure to a geometry (0 if they meet).
    async fn distance_m(&self, ctx: &Context<'_>, to: GeoJson) -> Result<f64> {
        Ok(distance_input(ctx, &self.0.fields.geometry, &to).await?)
    }
    async fn capacity(&self) -> Option<f64> {
        self.0.fields.capacity
    }
    async fn capacity_unit(&self) -> Option<&str> {
        self.0.fields.capacity_unit.as_deref()
    }
    async fn description(&self) -> Option<&str> {
        self.0.fields.description.as_deref()
    }
    async fn created_at(&self) -> DateTime<Utc> {
        self.0.created_at
    }
    async fn updated_at(&self) -> DateTime<Utc> {
        self.0.updated_at
    }
}

#[derive(InputObject, Default)]
pub struct InfrastructureFilterInput {
    /// Accent- and case-insensitive text in the name or description.
    pub search: Option<String>,
    pub kind: Option<Vec<InfrastructureKind>>,
    pub status: Option<Vec<InfrastructureStatus>>,
    #[graphql(flatten)]
    pub spatial: SpatialFilterInput,
}

impl InfrastructureFilterInput {
    fn to_filter(&self) -> InfrastructureFilter {
        InfrastructureFilter {
            kinds: self.kind.clone().unwrap_or_default().into_iter().map(Into::into).collect(),
            statuses: self.status.clone().unwrap_or_default().into_iter().map(Into::into).collect(),
        }
    }
}

pub struct InfrastructureListExtras {
    total: u64,
    filter: InfrastructureFilter,
    params: ListParams,
}

#[Object]
impl InfrastructureListExtras {
    /// Number of records matching the filter, over all pages.
    async fn total_count(&self) -> u64 {
        self.total
    }
    /// Every record matching the filter (not only this page) as one GeoJSON FeatureCollection.
    #[graphql(complexity = "FEATURE_COLLECTION_COMPLEXITY")]
    async fn feature_collection(&self, ctx: &Context<'_>) -> Result<GeoJson> {
        let (params, _turn) = whole_set(ctx, &self.params, self.total).await?;
        let items = catalog(ctx)?.infrastructures(&self.filter, &params).await?.items;
        Ok(feature_collection(items, domain::infrastructure_feature).await?)
    }
}

#[derive(Default)]
pub struct InfrastructureQuery;

#[Object]
impl InfrastructureQuery {
    async fn infrastructure(&self, ctx: &Context<'_>, id: ID) -> Result<Option<Infrastructure>> {
        Ok(catalog(ctx)?.infrastructure(parse_id("id", &id)?).await?.map(Infrastructure))
    }

    /// Infrastructure matching every filter given, by name unless `orderBy` says otherwise.
    async fn infrastructures(
        &self,
        ctx: &Context<'_>,
        first: Option<i32>,
        after: Option<String>,
        filter: Option<InfrastructureFilterInput>,
        order_by: Option<SpatialOrderBy>,
    ) -> Result<Connection<String, Infrastructure, InfrastructureListExtras, EmptyFields>> {
        let input = filter.unwrap_or_default();
        let filter = input.to_filter();
        let params = spatial_params(ctx, first, after, input.search.clone(), &input.spatial, order_by).await?;
        let page = catalog(ctx)?.infrastructures(&filter, &params).await?;
        let items = page.items.into_iter().map(Infrastructure).collect();
        let extras = InfrastructureListExtras { total: page.total, filter, params: params.clone() };
        Ok(connection(items, params.offset, page.total, extras))
    }

    /// The `limit` records nearest to a point, nearest first (geodesic distance).
    async fn nearest_infrastructures(
        &self,
        ctx: &Context<'_>,
        point: GeoJson,
        #[graphql(default = 10)] limit: i32,
        filter: Option<InfrastructureFilterInput>,
    ) -> Result<Vec<Infrastructure>> {
        let point = point_input(ctx, "point", &point).await?;
        let input = filter.unwrap_or_default();
        let within = nearest_within(ctx, input.search.clone(), &input.spatial).await?;
        let filter = input.to_filter();
        let found = catalog(ctx)?.nearest_infrastructures(point, limit.max(0) as u64, &filter, &within).await?;
        Ok(found.into_iter().map(Infrastructure).collect())
    }
}

#[derive(InputObject)]
pub struct InfrastructureInput {
    pub name: String,
    pub kind: InfrastructureKind,
    pub status: InfrastructureStatus,
    /// LineString, MultiLineString or Point (GeoJSON, WGS84 longitude/latitude).
    pub geometry: GeoJson,
    pub capacity: Option<f64>,
    pub capacity_unit: Option<String>,
    pub description: Option<String>,
}

/// Fields to change; absent fields keep their value, null clears an optional one.
#[derive(InputObject, Default)]
pub struct InfrastructurePatch {
    pub name: Option<String>,
    pub kind: Option<InfrastructureKind>,
    pub status: Option<InfrastructureStatus>,
    pub geometry: Option<GeoJson>,
    pub capacity: MaybeUndefined<f64>,
    pub capacity_unit: MaybeUndefined<String>,
    pub description: MaybeUndefined<String>,
}

#[derive(Default)]
pub struct InfrastructureMutation;

#[Object]
impl InfrastructureMutation {
    /// Creates an infrastructure record; its length in km is computed by the server.
    async fn create_infrastructure(&self, ctx: &Context<'_>, input: InfrastructureInput) -> Result<Infrastructure> {
        let draft = InfrastructureDraft {
            name: input.name,
            kind: input.kind.into(),
            status: input.status.into(),
            geometry: input.geometry.0,
            capacity: input.capacity,
            capacity_unit: input.capacity_unit,
            description: input.description,
        };
        Ok(Infrastructure(
            catalog(ctx)?.create_infrastructure(viewer(ctx)?, draft).await.map_err(|e| e.under("input"))?,
        ))
    }

    async fn update_infrastructure(
        &self,
        ctx: &Context<'_>,
        id: ID,
        input: InfrastructurePatch,
    ) -> Result<Infrastructure> {
        let id = parse_id("id", &id)?;
        let updated = catalog(ctx)?
            .update_infrastructure(viewer(ctx)?, id, |d| {
                if let Some(g) = input.geometry {
                    d.geometry = g.0;
                }
                patch!(d, input; name, kind, status; capacity, capacity_unit, description);
            })
            .await
            .map_err(|e| e.under("input"))?;
        Ok(Infrastructure(updated))
    }

    /// Deletes an infrastructure record; returns its id.
    async fn delete_infrastructure(&self, ctx: &Context<'_>, id: ID) -> Result<ID> {
        catalog(ctx)?.delete_infrastructure(viewer(ctx)?, parse_id("id", &id)?).await?;
        Ok(id)
    }
}
