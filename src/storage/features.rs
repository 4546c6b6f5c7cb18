//! The spatial tables: deposits, exploitation areas, infrastructure.

use super::error::{StorageError, StorageResult};
use super::list::{self, Listed, Spatial};
use super::reference::{missing_is_none, now};
use super::{Store, geometry, text};
use crate::domain::*;
use entity::{deposit, exploitation_area, infrastructure};
use geo_types::Geometry;
use sea_orm::ActiveValue::{NotSet, Set, Unchanged};
use sea_orm::{ActiveModelTrait, ColumnTrait, Condition, EntityTrait, QueryFilter};

/// Implements [`Listed`] and [`Spatial`] for a spatial entity.
macro_rules! spatial_table {
    ($module:ident, $date:ident) => {
        impl Listed for $module::Entity {
            const TABLE: &'static str = stringify!($module);
            fn id() -> $module::Column {
                $module::Column::Id
            }
            fn name_key() -> $module::Column {
                $module::Column::NameKey
            }
            fn search_text() -> $module::Column {
                $module::Column::SearchText
            }
            fn date() -> $module::Column {
                $module::Column::$date
            }
            fn created_at() -> $module::Column {
                $module::Column::CreatedAt
            }
            fn updated_at() -> $module::Column {
                $module::Column::UpdatedAt
            }
        }

        impl Spatial for $module::Entity {
            fn id_of(model: &$module::Model) -> i64 {
                model.id
            }
            fn wkb_of(model: &$module::Model) -> &[u8] {
                &model.geom_wkb
            }
        }
    };
}

spatial_table!(deposit, DiscoveryDate);
spatial_table!(exploitation_area, ValidFrom);
spatial_table!(infrastructure, CreatedAt);

/// Sets the geometry columns of any spatial active model.
macro_rules! set_geometry {
    ($m:expr, $geometry:expr) => {{
        let bbox = geometry::bbox($geometry);
        $m.geom_wkb = Set(geometry::encode($geometry));
        $m.min_lon = Set(bbox.min_lon);
        $m.min_lat = Set(bbox.min_lat);
        $m.max_lon = Set(bbox.max_lon);
        $m.max_lat = Set(bbox.max_lat);
    }};
}

fn unknown(table: &'static str, column: &'static str, id: i64, value: &str) -> StorageError {
    StorageError::Corrupt { table, column, id, reason: format!("unknown value {value:?}") }
}

// ----- deposits -----------------------------------------------------------

fn deposit_from(m: deposit::Model, geometry: Geometry<f64>) -> StorageResult<Deposit> {
    let status = DepositStatus::parse(&m.status).ok_or_else(|| unknown("deposit", "status", m.id, &m.status))?;
    Ok(Stored {
        id: m.id,
        fields: DepositFields {
            name: m.name,
            commodity_id: m.commodity_id,
            operator_id: m.operator_id,
            status,
            geometry,
            estimated_quantity: m.estimated_quantity,
            quantity_unit: m.quantity_unit,
            grade: m.grade,
            grade_unit: m.grade_unit,
            discovery_date: m.discovery_date,
            province: m.province,
            description: m.description,
            properties: m.properties,
        },
        created_at: m.created_at,
        updated_at: m.updated_at,
    })
}

fn deposit_columns(f: &DepositFields, m: &mut deposit::ActiveModel) {
    m.name = Set(f.name.clone());
    m.name_key = Set(text::fold(&f.name));
    m.search_text = Set(text::search_text([Some(f.name.as_str()), f.province.as_deref(), f.description.as_deref()]));
    m.commodity_id = Set(f.commodity_id);
    m.operator_id = Set(f.operator_id);
    m.status = Set(f.status.as_str().to_string());
    set_geometry!(m, &f.geometry);
    m.estimated_quantity = Set(f.estimated_quantity);
    m.quantity_unit = Set(f.quantity_unit.clone());
    m.grade = Set(f.grade);
    m.grade_unit = Set(f.grade_unit.clone());
    m.discovery_date = Set(f.discovery_date);
    m.province = Set(f.province.clone());
    m.description = Set(f.description.clone());
    m.properties = Set(f.properties.clone());
}

fn deposit_condition(filter: &DepositFilter) -> Condition {
    let mut c = Condition::all();
    if !filter.statuses.is_empty() {
        c = c.add(deposit::Column::Status.is_in(filter.statuses.iter().map(|s| s.as_str())));
    }
    if !filter.commodity_ids.is_empty() {
        c = c.add(deposit::Column::CommodityId.is_in(filter.commodity_ids.clone()));
    }
    if !filter.operator_ids.is_empty() {
        c = c.add(deposit::Column::OperatorId.is_in(filter.operator_ids.clone()));
    }
    if let Some(range) = filter.discovered {
        c = c.add(deposit::Column::DiscoveryDate.is_not_null());
        if let Some(start) = range.start {
            c = c.add(deposit::Column::DiscoveryDate.gte(start));
        }
        if let Some(end) = range.end {
            c = c.add(deposit::Column::DiscoveryDate.lte(end));
        }
    }
    c
}

impl Store {
    pub async fn list_deposits(&self, filter: &DepositFilter, params: &ListParams) -> StorageResult<Page<Deposit>> {
        let (rows, total) =
            list::list_features::<deposit::Entity>(&self.db, self.backend, deposit_condition(filter), params).await?;
        let items = rows.into_iter().map(|(m, g)| deposit_from(m, g)).collect::<StorageResult<_>>()?;
        Ok(Page { items, total })
    }

    pub async fn deposit(&self, id: i64) -> StorageResult<Option<Deposit>> {
        let found = deposit::Entity::find_by_id(id).one(&self.db).await?;
        found.map(decode_deposit).transpose()
    }

    pub async fn insert_deposit(&self, fields: &DepositFields) -> StorageResult<Deposit> {
        let now = now();
        let mut m =
            deposit::ActiveModel { id: NotSet, created_at: Set(now), updated_at: Set(now), ..Default::default() };
        deposit_columns(fields, &mut m);
        decode_deposit(self.write(async |txn| m.insert(txn).await).await?)
    }

    pub async fn update_deposit(&self, id: i64, fields: &DepositFields) -> StorageResult<Option<Deposit>> {
        let mut m = deposit::ActiveModel { id: Unchanged(id), updated_at: Set(now()), ..Default::default() };
        deposit_columns(fields, &mut m);
        missing_is_none(self.write(async |txn| m.update(txn).await).await)?.map(decode_deposit).transpose()
    }

    pub async fn delete_deposit(&self, id: i64) -> StorageResult<bool> {
        Ok(deposit::Entity::delete_by_id(id).exec(&self.db).await?.rows_affected > 0)
    }
}

fn decode_deposit(m: deposit::Model) -> StorageResult<Deposit> {
    let g = geometry::decode("deposit", m.id, &m.geom_wkb)?;
    deposit_from(m, g)
}

// ----- exploitation areas -------------------------------------------------

fn area_from(m: exploitation_area::Model, geometry: Geometry<f64>) -> StorageResult<ExploitationArea> {
    let status =
        PermitStatus::parse(&m.status).ok_or_else(|| unknown("exploitation_area", "status", m.id, &m.status))?;
    Ok(Stored {
        id: m.id,
        fields: ExploitationAreaFields {
            name: m.name,
            operator_id: m.operator_id,
            permit_number: m.permit_number,
            status,
            geometry,
            area_km2: m.area_km2,
            valid_from: m.valid_from,
            valid_to: m.valid_to,
            extracted_volume: m.extracted_volume,
            extracted_volume_unit: m.extracted_volume_unit,
        },
        created_at: m.created_at,
        updated_at: m.updated_at,
    })
}

fn area_columns(f: &ExploitationAreaFields, m: &mut exploitation_area::ActiveModel) {
    m.name = Set(f.name.clone());
    m.name_key = Set(text::fold(&f.name));
    m.search_text = Set(text::search_text([Some(f.name.as_str()), Some(f.permit_number.as_str())]));
    m.operator_id = Set(f.operator_id);
    m.permit_number = Set(f.permit_number.clone());
    m.status = Set(f.status.as_str().to_string());
    set_geometry!(m, &f.geometry);
    m.area_km2 = Set(f.area_km2);
    m.valid_from = Set(f.valid_from);
    m.valid_to = Set(f.valid_to);
    m.extracted_volume = Set(f.extracted_volume);
    m.extracted_volume_unit = Set(f.extracted_volume_unit.clone());
}

fn area_condition(filter: &ExploitationAreaFilter) -> Condition {
    let mut c = Condition::all();
    if !filter.statuses.is_empty() {
        c = c.add(exploitation_area::Column::Status.is_in(filter.statuses.iter().map(|s| s.as_str())));
    }
    if !filter.operator_ids.is_empty() {
        c = c.add(exploitation_area::Column::OperatorId.is_in(filter.operator_ids.clone()));
    }
    if let Some(range) = filter.valid_during {
        // Overlap: starts before the range ends, ends after it starts.
        if let Some(end) = range.end {
            c = c.add(
                Condition::any()
                    .add(exploitation_area::Column::ValidFrom.is_null())
                    .add(exploitation_area::Column::ValidFrom.lte(end)),
            );
        }
        if let Some(start) = range.start {
            c = c.add(
                Condition::any()
                    .add(exploitation_area::Column::ValidTo.is_null())
                    .add(exploitation_area::Column::ValidTo.gte(start)),
            );
        }
    }
    c
}

impl Store {
    pub async fn list_exploitation_areas(
        &self,
        filter: &ExploitationAreaFilter,
        params: &ListParams,
    ) -> StorageResult<Page<ExploitationArea>> {
        let (rows, total) =
            list::list_features::<exploitation_area::Entity>(&self.db, self.backend, area_condition(filter), params)
                .await?;
        let items = rows.into_iter().map(|(m, g)| area_from(m, g)).collect::<StorageResult<_>>()?;
        Ok(Page { items, total })
    }

    pub async fn exploitation_area(&self, id: i64) -> StorageResult<Option<ExploitationArea>> {
        let found = exploitation_area::Entity::find_by_id(id).one(&self.db).await?;
        found.map(decode_area).transpose()
    }

    pub async fn exploitation_area_by_permit(&self, permit_number: &str) -> StorageResult<Option<ExploitationArea>> {
        let found = exploitation_area::Entity::find()
            .filter(exploitation_area::Column::PermitNumber.eq(permit_number))
            .one(&self.db)
            .await?;
        found.map(decode_area).transpose()
    }

    pub async fn insert_exploitation_area(&self, fields: &ExploitationAreaFields) -> StorageResult<ExploitationArea> {
        let now = now();
        let mut m = exploitation_area::ActiveModel {
            id: NotSet,
            created_at: Set(now),
            updated_at: Set(now),
            ..Default::default()
        };
        area_columns(fields, &mut m);
        decode_area(self.write(async |txn| m.insert(txn).await).await?)
    }

    pub async fn update_exploitation_area(
        &self,
        id: i64,
        fields: &ExploitationAreaFields,
    ) -> StorageResult<Option<ExploitationArea>> {
        let mut m = exploitation_area::ActiveModel { id: Unchanged(id), updated_at: Set(now()), ..Default::default() };
        area_columns(fields, &mut m);
        missing_is_none(self.write(async |txn| m.update(txn).await).await)?.map(decode_area).transpose()
    }

    pub async fn delete_exploitation_area(&self, id: i64) -> StorageResult<bool> {
        Ok(exploitation_area::Entity::delete_by_id(id).exec(&self.db).await?.rows_affected > 0)
    }
}

fn decode_area(m: exploitation_area::Model) -> StorageResult<ExploitationArea> {
    let g = geometry::decode("exploitation_area", m.id, &m.geom_wkb)?;
    area_from(m, g)
}

// ----- infrastructure -----------------------------------------------------

fn infrastructure_from(m: infrastructure::Model, geometry: Geometry<f64>) -> StorageResult<Infrastructure> {
    let kind = InfrastructureKind::parse(&m.kind).ok_or_else(|| unknown("infrastructure", "kind", m.id, &m.kind))?;
    let status =
        InfrastructureStatus::parse(&m.status).ok_or_else(|| unknown("infrastructure", "status", m.id, &m.status))?;
    Ok(Stored {
        id: m.id,
        fields: InfrastructureFields {
            name: m.name,
            kind,
            status,
            geometry,
            length_km: m.length_km,
            capacity: m.capacity,
            capacity_unit: m.capacity_unit,
            description: m.description,
        },
        created_at: m.created_at,
        updated_at: m.updated_at,
    })
}

fn infrastructure_columns(f: &InfrastructureFields, m: &mut infrastructure::ActiveModel) {
    m.name = Set(f.name.clone());
    m.name_key = Set(text::fold(&f.name));
    m.search_text = Set(text::search_text([Some(f.name.as_str()), f.description.as_deref()]));
    m.kind = Set(f.kind.as_str().to_string());
    m.status = Set(f.status.as_str().to_string());
    set_geometry!(m, &f.geometry);
    m.length_km = Set(f.length_km);
    m.capacity = Set(f.capacity);
    m.capacity_unit = Set(f.capacity_unit.clone());
    m.description = Set(f.description.clone());
}

fn infrastructure_condition(filter: &InfrastructureFilter) -> Condition {
    let mut c = Condition::all();
    if !filter.kinds.is_empty() {
        c = c.add(infrastructure::Column::Kind.is_in(filter.kinds.iter().map(|k| k.as_str())));
    }
    if !filter.statuses.is_empty() {
        c = c.add(infrastructure::Column::Status.is_in(filter.statuses.iter().map(|s| s.as_str())));
    }
    c
}

fn decode_infrastructure(m: infrastructure::Model) -> StorageResult<Infrastructure> {
    let g = geometry::decode("infrastructure", m.id, &m.geom_wkb)?;
    infrastructure_from(m, g)
}

impl Store {
    pub async fn list_infrastructures(
        &self,
        filter: &InfrastructureFilter,
        params: &ListParams,
    ) -> StorageResult<Page<Infrastructure>> {
        let (rows, total) = list::list_features::<infrastructure::Entity>(
            &self.db,
            self.backend,
            infrastructure_condition(filter),
            params,
        )
        .await?;
        let items = rows.into_iter().map(|(m, g)| infrastructure_from(m, g)).collect::<StorageResult<_>>()?;
        Ok(Page { items, total })
    }

    pub async fn infrastructure(&self, id: i64) -> StorageResult<Option<Infrastructure>> {
        let found = infrastructure::Entity::find_by_id(id).one(&self.db).await?;
        found.map(decode_infrastructure).transpose()
    }

    pub async fn insert_infrastructure(&self, fields: &InfrastructureFields) -> StorageResult<Infrastructure> {
        let now = now();
        let mut m = infrastructure::ActiveModel {
            id: NotSet,
            created_at: Set(now),
            updated_at: Set(now),
            ..Default::default()
        };
        infrastructure_columns(fields, &mut m);
        decode_infrastructure(self.write(async |txn| m.insert(txn).await).await?)
    }

    pub async fn update_infrastructure(
        &self,
        id: i64,
        fields: &InfrastructureFields,
    ) -> StorageResult<Option<Infrastructure>> {
        let mut m = infrastructure::ActiveModel { id: Unchanged(id), updated_at: Set(now()), ..Default::default() };
        infrastructure_columns(fields, &mut m);
        missing_is_none(self.write(async |txn| m.update(txn).await).await)?.map(decode_infrastructure).transpose()
    }

    pub async fn delete_infrastructure(&self, id: i64) -> StorageResult<bool> {
        Ok(infrastructure::Entity::delete_by_id(id).exec(&self.db).await?.rows_affected > 0)
    }
}

impl Store {
    /// Bounding boxes of all deposits, exploitation areas and infrastructure.
    pub async fn extents(&self) -> StorageResult<[Option<crate::spatial::Bbox>; 3]> {
        Ok([
            list::extent::<deposit::Entity>(&self.db).await?,
            list::extent::<exploitation_area::Entity>(&self.db).await?,
            list::extent::<infrastructure::Entity>(&self.db).await?,
        ])
    }
}
