//! Commodities (substances) and operators (mining companies).

use super::common::{self, OrderBy, catalog, connection, parse_id, parse_ids, viewer};
use super::loaders::CommoditiesLoader;
use crate::domain::{self, CommodityDraft, CommodityFilter, ListParams, OperatorDraft, OperatorFilter};
use crate::error::AppError;
use async_graphql::connection::{Connection, EmptyFields};
use async_graphql::{Context, Enum, ID, InputObject, MaybeUndefined, Object, Result, SimpleObject};
use chrono::{DateTime, Utc};

/// A mineral substance: gold, manganese, iron, uranium...
pub struct Commodity(pub domain::Commodity);

#[Object]
impl Commodity {
    async fn id(&self) -> ID {
        ID(self.0.id.to_string())
    }
    /// Upper-case code, e.g. AU, MN, FE, U, DIAMOND, NB.
    async fn code(&self) -> &str {
        &self.0.fields.code
    }
    async fn name_fr(&self) -> &str {
        &self.0.fields.name_fr
    }
    async fn name_en(&self) -> &str {
        &self.0.fields.name_en
    }
    /// Map colour, `#RRGGBB`.
    async fn color(&self) -> &str {
        &self.0.fields.color
    }
    /// Unit quantities of this substance are usually given in (t, kg, ct...).
    async fn default_unit(&self) -> &str {
        &self.0.fields.default_unit
    }
    async fn created_at(&self) -> DateTime<Utc> {
        self.0.created_at
    }
    async fn updated_at(&self) -> DateTime<Utc> {
        self.0.updated_at
    }
}

#[derive(Enum, Clone, Copy, Debug, PartialEq, Eq)]
#[graphql(remote = "domain::OperatorStatus")]
pub enum OperatorStatus {
    Active,
    Inactive,
}

/// A mining company.
pub struct Operator(pub domain::Operator);

#[Object]
impl Operator {
    async fn id(&self) -> ID {
        ID(self.0.id.to_string())
    }
    async fn name(&self) -> &str {
        &self.0.fields.name
    }
    /// Unique, URL-safe identifier.
    async fn slug(&self) -> &str {
        &self.0.fields.slug
    }
    /// ISO 3166-1 alpha-2 country code.
    async fn country(&self) -> &str {
        &self.0.fields.country
    }
    async fn status(&self) -> OperatorStatus {
        self.0.fields.status.into()
    }
    async fn description(&self) -> Option<&str> {
        self.0.fields.description.as_deref()
    }
    async fn website_url(&self) -> Option<&str> {
        self.0.fields.website_url.as_deref()
    }
    async fn logo_url(&self) -> Option<&str> {
        self.0.fields.logo_url.as_deref()
    }
    /// The substances the company produces or explores for, by code.
    async fn commodities(&self, ctx: &Context<'_>) -> Result<Vec<Commodity>> {
        let loader = ctx.data_unchecked::<CommoditiesLoader>();
        let mut found = loader.load_many(self.0.fields.commodity_ids.iter().copied()).await?;
        let mut out: Vec<Commodity> = found.drain().map(|(_, c)| Commodity(c)).collect();
        out.sort_by(|a, b| a.0.fields.code.cmp(&b.0.fields.code));
        Ok(out)
    }
    async fn created_at(&self) -> DateTime<Utc> {
        self.0.created_at
    }
    async fn updated_at(&self) -> DateTime<Utc> {
        self.0.updated_at
    }
}

/// Extra fields of a list of commodities or operators.
#[derive(SimpleObject)]
pub struct ListTotal {
    /// Number of records matching the filter, over all pages.
    pub total_count: u64,
}

#[derive(InputObject, Default)]
pub struct CommodityFilterInput {
    /// Only these codes (case-insensitive).
    pub code: Option<Vec<String>>,
}

#[derive(InputObject, Default)]
pub struct OperatorFilterInput {
    /// Accent- and case-insensitive text in the name, slug or description.
    pub search: Option<String>,
    pub status: Option<Vec<OperatorStatus>>,
    /// Only operators of one of these commodities (codes).
    pub commodity_code: Option<Vec<String>>,
}

#[derive(Default)]
pub struct ReferenceQuery;

#[Object]
impl ReferenceQuery {
    /// A commodity by id or by code.
    async fn commodity(&self, ctx: &Context<'_>, id: Option<ID>, code: Option<String>) -> Result<Option<Commodity>> {
        let found = match (id, code) {
            (Some(id), None) => catalog(ctx)?.commodity(parse_id("id", &id)?).await?,
            (None, Some(code)) => catalog(ctx)?.commodity_by_code(&code).await?,
            _ => return Err(AppError::invalid("id", "give either id or code").into()),
        };
        Ok(found.map(Commodity))
    }

    /// Commodities, by code.
    async fn commodities(
        &self,
        ctx: &Context<'_>,
        first: Option<i32>,
        after: Option<String>,
        filter: Option<CommodityFilterInput>,
    ) -> Result<Connection<String, Commodity, ListTotal, EmptyFields>> {
        let (offset, limit) = common::page(ctx, first, after)?;
        let filter = CommodityFilter { codes: filter.and_then(|f| f.code).unwrap_or_default() };
        let params = ListParams { offset, limit: Some(limit), ..ListParams::default() };
        let page = catalog(ctx)?.commodities(&filter, &params).await?;
        let items = page.items.into_iter().map(Commodity).collect();
        Ok(connection(items, offset, page.total, ListTotal { total_count: page.total }))
    }

    /// An operator by id or by slug.
    async fn operator(&self, ctx: &Context<'_>, id: Option<ID>, slug: Option<String>) -> Result<Option<Operator>> {
        let found = match (id, slug) {
            (Some(id), None) => catalog(ctx)?.operator(parse_id("id", &id)?).await?,
            (None, Some(slug)) => catalog(ctx)?.operator_by_slug(&slug).await?,
            _ => return Err(AppError::invalid("id", "give either id or slug").into()),
        };
        Ok(found.map(Operator))
    }

    /// Operators, by name unless `orderBy` says otherwise.
    async fn operators(
        &self,
        ctx: &Context<'_>,
        first: Option<i32>,
        after: Option<String>,
        filter: Option<OperatorFilterInput>,
        order_by: Option<OrderBy>,
    ) -> Result<Connection<String, Operator, ListTotal, EmptyFields>> {
        let (offset, limit) = common::page(ctx, first, after)?;
        let filter = filter.unwrap_or_default();
        let codes = filter.commodity_code.unwrap_or_default();
        let domain_filter = OperatorFilter {
            statuses: filter.status.unwrap_or_default().into_iter().map(Into::into).collect(),
            commodity_ids: catalog(ctx)?.commodity_ids("filter.commodityCode", &codes).await?,
        };
        let params = ListParams {
            search: domain::search_term("filter.search", filter.search)?,
            ordering: common::ordering(order_by),
            offset,
            limit: Some(limit),
            ..ListParams::default()
        };
        let page = catalog(ctx)?.operators(&domain_filter, &params).await?;
        let items = page.items.into_iter().map(Operator).collect();
        Ok(connection(items, offset, page.total, ListTotal { total_count: page.total }))
    }
}

#[derive(InputObject)]
pub struct CommodityInput {
    pub code: String,
    pub name_fr: String,
    pub name_en: String,
    /// `#RRGGBB`.
    pub color: String,
    pub default_unit: String,
}

/// Fields to change; absent fields keep their value.
#[derive(InputObject, Default)]
pub struct CommodityPatch {
    pub code: Option<String>,
    pub name_fr: Option<String>,
    pub name_en: Option<String>,
    pub color: Option<String>,
    pub default_unit: Option<String>,
}

#[derive(InputObject)]
pub struct OperatorInput {
    pub name: String,
    /// Made from the name when absent.
    pub slug: Option<String>,
    /// ISO 3166-1 alpha-2 country code, e.g. GA.
    pub country: String,
    #[graphql(default_with = "OperatorStatus::Active")]
    pub status: OperatorStatus,
    pub description: Option<String>,
    pub website_url: Option<String>,
    pub logo_url: Option<String>,
    #[graphql(default)]
    pub commodity_codes: Vec<String>,
}

/// Fields to change; absent fields keep their value, null clears an optional one.
#[derive(InputObject, Default)]
pub struct OperatorPatch {
    pub name: Option<String>,
    pub slug: Option<String>,
    pub country: Option<String>,
    pub status: Option<OperatorStatus>,
    pub description: MaybeUndefined<String>,
    pub website_url: MaybeUndefined<String>,
    pub logo_url: MaybeUndefined<String>,
    pub commodity_codes: Option<Vec<String>>,
}

/// Applies `Some` values of a patch onto a draft.
macro_rules! patch {
    ($draft:ident, $patch:ident; $($field:ident),* ; $($optional:ident),*) => {{
        $(if let Some(v) = $patch.$field { $draft.$field = v.into(); })*
        $(match $patch.$optional {
            async_graphql::MaybeUndefined::Undefined => {}
            async_graphql::MaybeUndefined::Null => $draft.$optional = None,
            async_graphql::MaybeUndefined::Value(v) => $draft.$optional = Some(v.into()),
        })*
    }};
}
pub(crate) use patch;

#[derive(Default)]
pub struct ReferenceMutation;

#[Object]
impl ReferenceMutation {
    async fn create_commodity(&self, ctx: &Context<'_>, input: CommodityInput) -> Result<Commodity> {
        let draft = CommodityDraft {
            code: input.code,
            name_fr: input.name_fr,
            name_en: input.name_en,
            color: input.color,
            default_unit: input.default_unit,
        };
        Ok(Commodity(catalog(ctx)?.create_commodity(viewer(ctx)?, draft).await.map_err(|e| e.under("input"))?))
    }

    async fn update_commodity(&self, ctx: &Context<'_>, id: ID, input: CommodityPatch) -> Result<Commodity> {
        let id = parse_id("id", &id)?;
        let updated = catalog(ctx)?
            .update_commodity(viewer(ctx)?, id, |d| patch!(d, input; code, name_fr, name_en, color, default_unit;))
            .await
            .map_err(|e| e.under("input"))?;
        Ok(Commodity(updated))
    }

    /// Deletes a commodity no deposit or operator uses; returns its id.
    async fn delete_commodity(&self, ctx: &Context<'_>, id: ID) -> Result<ID> {
        catalog(ctx)?.delete_commodity(viewer(ctx)?, parse_id("id", &id)?).await?;
        Ok(id)
    }

    async fn create_operator(&self, ctx: &Context<'_>, input: OperatorInput) -> Result<Operator> {
        let draft = OperatorDraft {
            name: input.name,
            slug: input.slug,
            country: input.country,
            status: input.status.into(),
            description: input.description,
            website_url: input.website_url,
            logo_url: input.logo_url,
            commodity_codes: input.commodity_codes,
        };
        Ok(Operator(catalog(ctx)?.create_operator(viewer(ctx)?, draft).await.map_err(|e| e.under("input"))?))
    }

    async fn update_operator(&self, ctx: &Context<'_>, id: ID, input: OperatorPatch) -> Result<Operator> {
        let id = parse_id("id", &id)?;
        let updated = catalog(ctx)?
            .update_operator(viewer(ctx)?, id, |d| {
                if let Some(slug) = input.slug {
                    d.slug = Some(slug);
                }
                patch!(d, input; name, country, status, commodity_codes; description, website_url, logo_url)
            })
            .await
            .map_err(|e| e.under("input"))?;
        Ok(Operator(updated))
    }

    /// Deletes an operator that holds no deposit or exploitation area; returns its id.
    async fn delete_operator(&self, ctx: &Context<'_>, id: ID) -> Result<ID> {
        catalog(ctx)?.delete_operator(viewer(ctx)?, parse_id("id", &id)?).await?;
        Ok(id)
    }
}

/// Operator ids from a filter, checked.
pub fn operator_ids(ids: Option<Vec<ID>>) -> Result<Vec<i64>, AppError> {
    parse_ids("filter.operatorId", &ids.unwrap_or_default())
}
