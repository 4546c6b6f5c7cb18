//! Commodities and operators: plain tables.

use super::error::{StorageError, StorageResult};
use super::list::{self, Listed};
use super::{Store, text};
use crate::domain::{
    Commodity, CommodityFields, CommodityFilter, ListParams, Operator, OperatorFields, OperatorFilter, OperatorStatus,
    Page, Stored,
};
use chrono::{DateTime, SubsecRound, Utc};
use entity::{commodity, operator, operator_commodity};
use sea_orm::ActiveValue::{NotSet, Set, Unchanged};
use sea_orm::sea_query::{Expr, ExprTrait, Query};
use sea_orm::{ActiveModelTrait, ColumnTrait, Condition, ConnectionTrait, DbErr, EntityTrait, QueryFilter, QueryOrder};
use std::collections::HashMap;

/// Timestamps are kept to the microsecond, PostgreSQL's precision, so both
/// backends return the same instant.
pub(super) fn now() -> DateTime<Utc> {
    Utc::now().trunc_subsecs(6)
}

impl Listed for operator::Entity {
    const TABLE: &'static str = "operator";
    fn id() -> operator::Column {
        operator::Column::Id
    }
    fn name_key() -> operator::Column {
        operator::Column::NameKey
    }
    fn search_text() -> operator::Column {
        operator::Column::SearchText
    }
    fn date() -> operator::Column {
        operator::Column::CreatedAt
    }
    fn created_at() -> operator::Column {
        operator::Column::CreatedAt
    }
    fn updated_at() -> operator::Column {
        operator::Column::UpdatedAt
    }
}

fn commodity_from(m: commodity::Model) -> Commodity {
    Stored {
        id: m.id,
        fields: CommodityFields {
            code: m.code,
            name_fr: m.name_fr,
            name_en: m.name_en,
            color: m.color,
            default_unit: m.default_unit,
        },
        created_at: m.created_at,
        updated_at: m.updated_at,
    }
}

fn operator_from(m: operator::Model, commodity_ids: Vec<i64>) -> StorageResult<Operator> {
    let status = OperatorStatus::parse(&m.status).ok_or_else(|| StorageError::Corrupt {
        table: "operator",
        column: "status",
        id: m.id,
        reason: format!("unknown status {:?}", m.status),
    })?;
    Ok(Stored {
        id: m.id,
        fields: OperatorFields {
            name: m.name,
            slug: m.slug,
            country: m.country,
            status,
            description: m.description,
            website_url: m.website_url,
            logo_url: m.logo_url,
            commodity_ids,
        },
        created_at: m.created_at,
        updated_at: m.updated_at,
    })
}

fn commodity_columns(f: &CommodityFields, m: &mut commodity::ActiveModel) {
    m.code = Set(f.code.clone());
    m.name_fr = Set(f.name_fr.clone());
    m.name_en = Set(f.name_en.clone());
    m.color = Set(f.color.clone());
    m.default_unit = Set(f.default_unit.clone());
}

fn operator_columns(f: &OperatorFields, m: &mut operator::ActiveModel) {
    m.name = Set(f.name.clone());
    m.name_key = Set(text::fold(&f.name));
    m.search_text = Set(text::search_text([Some(f.name.as_str()), Some(f.slug.as_str()), f.description.as_deref()]));
    m.slug = Set(f.slug.clone());
    m.country = Set(f.country.clone());
    m.status = Set(f.status.as_str().to_string());
    m.description = Set(f.description.clone());
    m.website_url = Set(f.website_url.clone());
    m.logo_url = Set(f.logo_url.clone());
}

/// A record that `update` found missing.
pub(super) fn missing_is_none<T>(result: Result<T, DbErr>) -> StorageResult<Option<T>> {
    match result {
        Ok(v) => Ok(Some(v)),
        Err(DbErr::RecordNotUpdated) => Ok(None),
        Err(e) => Err(e.into()),
    }
}

impl Store {
    pub async fn list_commodities(
        &self,
        filter: &CommodityFilter,
        params: &ListParams,
    ) -> StorageResult<Page<Commodity>> {
        let mut select = commodity::Entity::find();
        if !filter.codes.is_empty() {
            select = select.filter(commodity::Column::Code.is_in(filter.codes.iter().map(|c| c.to_ascii_uppercase())));
        }
        // Few rows: ordered by code, paged in memory.
        let rows = select.order_by_asc(commodity::Column::Code).all(&self.db).await?;
        let total = rows.len() as u64;
        let items = rows
            .into_iter()
            .skip(params.offset as usize)
            .take(params.limit.map_or(usize::MAX, |l| l as usize))
            .map(commodity_from)
            .collect();
        Ok(Page { items, total })
    }

    pub async fn commodity(&self, id: i64) -> StorageResult<Option<Commodity>> {
        Ok(commodity::Entity::find_by_id(id).one(&self.db).await?.map(commodity_from))
    }

    pub async fn commodity_by_code(&self, code: &str) -> StorageResult<Option<Commodity>> {
        let found = commodity::Entity::find().filter(commodity::Column::Code.eq(code)).one(&self.db).await?;
        Ok(found.map(commodity_from))
    }

    pub async fn commodity_codes(&self) -> StorageResult<Vec<String>> {
        let rows = commodity::Entity::find().order_by_asc(commodity::Column::Code).all(&self.db).await?;
        Ok(rows.into_iter().map(|c| c.code).collect())
    }

    pub async fn commodities_by_ids(&self, ids: &[i64]) -> StorageResult<Vec<Commodity>> {
        let rows = commodity::Entity::find().filter(commodity::Column::Id.is_in(ids.to_vec())).all(&self.db).await?;
        Ok(rows.into_iter().map(commodity_from).collect())
    }

    pub async fn insert_commodity(&self, fields: &CommodityFields) -> StorageResult<Commodity> {
        let now = now();
        let mut m =
            commodity::ActiveModel { id: NotSet, created_at: Set(now), updated_at: Set(now), ..Default::default() };
        commodity_columns(fields, &mut m);
        Ok(commodity_from(self.write(async |txn| m.insert(txn).await).await?))
    }

    pub async fn update_commodity(&self, id: i64, fields: &CommodityFields) -> StorageResult<Option<Commodity>> {
        let mut m = commodity::ActiveModel { id: Unchanged(id), updated_at: Set(now()), ..Default::default() };
        commodity_columns(fields, &mut m);
        Ok(missing_is_none(self.write(async |txn| m.update(txn).await).await)?.map(commodity_from))
    }

    pub async fn delete_commodity(&self, id: i64) -> StorageResult<bool> {
        let referenced = |e: StorageError| match e {
            StorageError::StillReferenced(_) => StorageError::StillReferenced("deposits or operators".into()),
            other => other,
        };
        let done =
            commodity::Entity::delete_by_id(id).exec(&self.db).await.map_err(StorageError::from).map_err(referenced)?;
        Ok(done.rows_affected > 0)
    }

    pub async fn list_operators(&self, filter: &OperatorFilter, params: &ListParams) -> StorageResult<Page<Operator>> {
        let mut condition = Condition::all();
        if !filter.statuses.is_empty() {
            condition = condition.add(operator::Column::Status.is_in(filter.statuses.iter().map(|s| s.as_str())));
        }
        if !filter.commodity_ids.is_empty() {
            condition = condition.add(
                operator::Column::Id.in_subquery(
                    Query::select()
                        .column(operator_commodity::Column::OperatorId)
                        .from(operator_commodity::Entity)
                        .and_where(
                            Expr::col(operator_commodity::Column::CommodityId).is_in(filter.commodity_ids.clone()),
                        )
                        .to_owned(),
                ),
            );
        }
        let (rows, total) = list::list_plain::<operator::Entity>(&self.db, condition, params).await?;
        Ok(Page { items: self.with_commodities(rows).await?, total })
    }

    pub async fn operator(&self, id: i64) -> StorageResult<Option<Operator>> {
        let found = operator::Entity::find_by_id(id).one(&self.db).await?;
        Ok(self.with_commodities(found.into_iter().collect()).await?.pop())
    }

    pub async fn operator_by_slug(&self, slug: &str) -> StorageResult<Option<Operator>> {
        let found = operator::Entity::find().filter(operator::Column::Slug.eq(slug)).one(&self.db).await?;
        Ok(self.with_commodities(found.into_iter().collect()).await?.pop())
    }

    pub async fn operators_by_ids(&self, ids: &[i64]) -> StorageResult<Vec<Operator>> {
        let rows = operator::Entity::find().filter(operator::Column::Id.is_in(ids.to_vec())).all(&self.db).await?;
        self.with_commodities(rows).await
    }

    /// Reads the commodities of all `rows` in one statement.
    async fn with_commodities(&self, rows: Vec<operator::Model>) -> StorageResult<Vec<Operator>> {
        if rows.is_empty() {
            return Ok(Vec::new());
        }
        let links = operator_commodity::Entity::find()
            .filter(operator_commodity::Column::OperatorId.is_in(rows.iter().map(|r| r.id)))
            .order_by_asc(operator_commodity::Column::CommodityId)
            .all(&self.db)
            .await?;
        let mut by_operator: HashMap<i64, Vec<i64>> = HashMap::new();
        for link in links {
            by_operator.entry(link.operator_id).or_default().push(link.commodity_id);
        }
        rows.into_iter()
            .map(|m| {
                let ids = by_operator.remove(&m.id).unwrap_or_default();
                operator_from(m, ids)
            })
            .collect()
    }

    pub async fn insert_operator(&self, fields: &OperatorFields) -> StorageResult<Operator> {
        let now = now();
        let txn = super::begin_write(&self.db).await?;
        let mut m =
            operator::ActiveModel { id: NotSet, created_at: Set(now), updated_at: Set(now), ..Default::default() };
        operator_columns(fields, &mut m);
        let saved = m.insert(&txn).await?;
        write_operator_commodities(&txn, saved.id, &fields.commodity_ids).await?;
        txn.commit().await?;
        operator_from(saved, fields.commodity_ids.clone())
    }

    pub async fn update_operator(&self, id: i64, fields: &OperatorFields) -> StorageResult<Option<Operator>> {
        let txn = super::begin_write(&self.db).await?;
        let mut m = operator::ActiveModel { id: Unchanged(id), updated_at: Set(now()), ..Default::default() };
        operator_columns(fields, &mut m);
        let Some(saved) = missing_is_none(m.update(&txn).await)? else {
            return Ok(None);
        };
        write_operator_commodities(&txn, id, &fields.commodity_ids).await?;
        txn.commit().await?;
        operator_from(saved, fields.commodity_ids.clone()).map(Some)
    }

    pub async fn delete_operator(&self, id: i64) -> StorageResult<bool> {
        let done =
            operator::Entity::delete_by_id(id).exec(&self.db).await.map_err(|e| match StorageError::from(e) {
                StorageError::StillReferenced(_) => {
                    StorageError::StillReferenced("deposits, exploitation areas or operator accounts".into())
                }
                other => other,
            })?;
        Ok(done.rows_affected > 0)
    }
}

async fn write_operator_commodities(
    db: &impl ConnectionTrait,
    operator_id: i64,
    commodity_ids: &[i64],
) -> StorageResult<()> {
    operator_commodity::Entity::delete_many()
        .filter(operator_commodity::Column::OperatorId.eq(operator_id))
        .exec(db)
        .await?;
    if !commodity_ids.is_empty() {
        let links = commodity_ids.iter().map(|&commodity_id| operator_commodity::ActiveModel {
            operator_id: Set(operator_id),
            commodity_id: Set(commodity_id),
        });
        operator_commodity::Entity::insert_many(links).exec(db).await?;
    }
    Ok(())
}
