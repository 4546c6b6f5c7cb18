//! The operations on the domain records: validate drafts into fields,
//! resolve references, compute measures, and call storage.

use super::geometry::{GeometryType, parse_geometry, to_geojson};
use super::validate;
use super::*;
use crate::error::{AppError, AppResult};
use crate::spatial;
use crate::storage::Store;
use chrono::NaiveDate;
use geo_types::Geometry;
use std::collections::HashMap;

/// Largest `limit` of a nearest-neighbour query.
pub const MAX_NEAREST: u64 = 1000;
/// Half the Earth's circumference, in metres: no two points are farther apart.
const HALF_EARTH_M: f64 = 20_037_509.0;

const DEPOSIT_GEOMETRIES: &[GeometryType] = &[GeometryType::Point, GeometryType::Polygon, GeometryType::MultiPolygon];
const AREA_GEOMETRIES: &[GeometryType] = &[GeometryType::Polygon, GeometryType::MultiPolygon];
const INFRASTRUCTURE_GEOMETRIES: &[GeometryType] =
    &[GeometryType::LineString, GeometryType::MultiLineString, GeometryType::Point];

/// Entry point of the domain, shared by every API.
#[derive(Clone)]
pub struct Catalog {
    pub(super) store: Store,
    changes: tokio::sync::broadcast::Sender<Change>,
    pub(super) imports: super::imports::ImportHub,
    /// Most positions one geometry input may have (`ODG_MAX_GEOMETRY_VERTICES`).
    max_geometry_vertices: usize,
}

/// `ODG_MAX_GEOMETRY_VERTICES` unless configured: far above any permit or
/// deposit outline drawn by hand, low enough that checking one stays cheap.
pub const DEFAULT_MAX_GEOMETRY_VERTICES: usize = 100_000;

/// What a write changed, for caches and live views: which kind of record,
/// and the boxes of its geometry before and after (none for records
/// without geometry, whose change touches every record that names them).
#[derive(Clone, Debug, PartialEq)]
pub struct Change {
    pub kind: ChangeKind,
    pub id: i64,
    pub bboxes: Vec<spatial::Bbox>,
    /// Made by another ODG instance on the same database (see `crate::peers`), not by this one.
    pub from_peer: bool,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ChangeKind {
    Commodity,
    Operator,
    Deposit,
    ExploitationArea,
    Infrastructure,
    /// A layer made from an imported file (its features, metadata or style).
    Layer,
    /// Changes were missed (a peer's link was lost): anything may have changed.
    Everything,
}

/// Changes a slow listener may fall behind by before it must assume everything changed.
const CHANGE_BACKLOG: usize = 1024;

/// A commodity as a client sends it.
#[derive(Clone, Debug)]
pub struct CommodityDraft {
    pub code: String,
    pub name_fr: String,
    pub name_en: String,
    pub color: String,
    pub default_unit: String,
}

/// An operator as a client sends it; `slug` is made from the name when absent.
#[derive(Clone, Debug)]
pub struct OperatorDraft {
    pub name: String,
    pub slug: Option<String>,
    pub country: String,
    pub status: OperatorStatus,
    pub description: Option<String>,
    pub website_url: Option<String>,
    pub logo_url: Option<String>,
    pub commodity_codes: Vec<String>,
}

/// A deposit as a client sends it: geometry as GeoJSON, commodity by code.
#[derive(Clone, Debug)]
pub struct DepositDraft {
    pub name: String,
    pub commodity_code: String,
    pub operator_id: Option<i64>,
    pub status: DepositStatus,
    pub geometry: serde_json::Value,
    pub estimated_quantity: Option<f64>,
    pub quantity_unit: Option<String>,
    pub grade: Option<f64>,
    pub grade_unit: Option<String>,
    pub discovery_date: Option<NaiveDate>,
    pub province: Option<String>,
    pub description: Option<String>,
    pub properties: serde_json::Value,
}

#[derive(Clone, Debug)]
pub struct ExploitationAreaDraft {
    pub name: String,
    pub operator_id: Option<i64>,
    pub permit_number: String,
    pub status: PermitStatus,
    pub geometry: serde_json::Value,
    pub valid_from: Option<NaiveDate>,
    pub valid_to: Option<NaiveDate>,
    pub extracted_volume: Option<f64>,
    pub extracted_volume_unit: Option<String>,
}

#[derive(Clone, Debug)]
pub struct InfrastructureDraft {
    pub name: String,
    pub kind: InfrastructureKind,
    pub status: InfrastructureStatus,
    pub geometry: serde_json::Value,
    pub capacity: Option<f64>,
    pub capacity_unit: Option<String>,
    pub description: Option<String>,
}

const NAME_MAX: usize = 200;
const UNIT_MAX: usize = 40;
const TEXT_MAX: usize = 20_000;

impl Catalog {
    pub fn new(store: Store) -> Catalog {
        let (changes, _) = tokio::sync::broadcast::channel(CHANGE_BACKLOG);
        Catalog { store, changes, imports: Default::default(), max_geometry_vertices: DEFAULT_MAX_GEOMETRY_VERTICES }
    }

    /// The same catalog, refusing geometry inputs of more than `max` positions.
    pub fn with_max_geometry_vertices(mut self, max: usize) -> Catalog {
        self.max_geometry_vertices = max;
        self
    }

    /// Reads a GeoJSON geometry input of one of the `allowed` types, within
    /// the vertex limit (see [`parse_geometry`]).
    pub async fn geometry_input(
        &self,
        value: serde_json::Value,
        allowed: &'static [GeometryType],
    ) -> AppResult<Geometry<f64>> {
        parse_geometry(value, allowed, self.max_geometry_vertices).await
    }

    /// Every later write, as it succeeds.
    pub fn subscribe(&self) -> tokio::sync::broadcast::Receiver<Change> {
        self.changes.subscribe()
    }

    fn notify(&self, kind: ChangeKind, id: i64, geometries: &[&Geometry<f64>]) {
        let bboxes = geometries.iter().filter_map(|g| spatial::Bbox::of(g)).collect();
        self.notify_boxes(kind, id, bboxes);
    }

    pub(super) fn notify_boxes(&self, kind: ChangeKind, id: i64, bboxes: Vec<spatial::Bbox>) {
        // No listener is not an error.
        let _ = self.changes.send(Change { kind, id, bboxes, from_peer: false });
    }

    /// Passes on a change another ODG instance made, to this one's caches.
    pub fn relay(&self, change: Change) {
        let _ = self.changes.send(Change { from_peer: true, ..change });
    }

    pub fn store(&self) -> &Store {
        &self.store
    }

    // ----- commodities -------------------------------------------------

    pub async fn commodities(&self, filter: &CommodityFilter, params: &ListParams) -> AppResult<Page<Commodity>> {
        Ok(self.store.list_commodities(filter, params).await?)
    }

    pub async fn commodity(&self, id: i64) -> AppResult<Option<Commodity>> {
        Ok(self.store.commodity(id).await?)
    }

    pub async fn commodity_by_code(&self, code: &str) -> AppResult<Option<Commodity>> {
        Ok(self.store.commodity_by_code(&code.trim().to_ascii_uppercase()).await?)
    }

    pub async fn commodities_by_ids(&self, ids: &[i64]) -> AppResult<HashMap<i64, Commodity>> {
        let found = self.store.commodities_by_ids(ids).await?;
        Ok(found.into_iter().map(|c| (c.id, c)).collect())
    }

    pub async fn create_commodity(&self, actor: &Actor, draft: CommodityDraft) -> AppResult<Commodity> {
        actor.require_editor()?;
        let fields = self.validate_commodity(draft, None).await?;
        let saved = self.store.insert_commodity(&fields).await?;
        self.audit(actor, "commodity", saved.id, "CREATE", &commodity_changes(None, &saved.fields)).await?;
        self.notify(ChangeKind::Commodity, saved.id, &[]);
        Ok(saved)
    }

    pub async fn update_commodity(
        &self,
        actor: &Actor,
        id: i64,
        patch: impl FnOnce(&mut CommodityDraft),
    ) -> AppResult<Commodity> {
        actor.require_editor()?;
        let current = self.commodity(id).await?.ok_or_else(|| AppError::not_found("commodity", id))?;
        let f = current.fields.clone();
        let mut draft = CommodityDraft {
            code: f.code,
            name_fr: f.name_fr,
            name_en: f.name_en,
            color: f.color,
            default_unit: f.default_unit,
        };
        patch(&mut draft);
        let fields = self.validate_commodity(draft, Some(id)).await?;
        let saved =
            self.store.update_commodity(id, &fields).await?.ok_or_else(|| AppError::not_found("commodity", id))?;
        self.audit(actor, "commodity", id, "UPDATE", &commodity_changes(Some(&current.fields), &saved.fields)).await?;
        self.notify(ChangeKind::Commodity, id, &[]);
        Ok(saved)
    }

    pub async fn delete_commodity(&self, actor: &Actor, id: i64) -> AppResult<()> {
        actor.require_editor()?;
        deleted(self.store.delete_commodity(id).await?, "commodity", id)?;
        self.notify(ChangeKind::Commodity, id, &[]);
        self.audit(actor, "commodity", id, "DELETE", &[]).await
    }

    async fn validate_commodity(&self, d: CommodityDraft, id: Option<i64>) -> AppResult<CommodityFields> {
        let fields = CommodityFields {
            code: validate::code("code", &d.code)?,
            name_fr: validate::required_text("nameFr", &d.name_fr, NAME_MAX)?,
            name_en: validate::required_text("nameEn", &d.name_en, NAME_MAX)?,
            color: validate::color("color", &d.color)?,
            default_unit: validate::required_text("defaultUnit", &d.default_unit, UNIT_MAX)?,
        };
        if let Some(other) = self.store.commodity_by_code(&fields.code).await?
            && Some(other.id) != id
        {
            return Err(AppError::Conflict(format!("a commodity with code {} already exists", fields.code)));
        }
        Ok(fields)
    }

    /// Commodity ids for codes, in order; an unknown code is a bad input on `field`.
    pub async fn commodity_ids(&self, field: &str, codes: &[String]) -> AppResult<Vec<i64>> {
        let mut ids = Vec::with_capacity(codes.len());
        for code in codes {
            match self.commodity_by_code(code).await? {
                Some(c) => ids.push(c.id),
                None => {
                    let known = self.store.commodity_codes().await?.join(", ");
                    return Err(AppError::invalid(
                        field,
                        format!("no commodity has the code \"{}\"; known codes: {known}", code.trim()),
                    ));
                }
            }
        }
        Ok(ids)
    }

    // ----- operators ---------------------------------------------------

    pub async fn operators(&self, filter: &OperatorFilter, params: &ListParams) -> AppResult<Page<Operator>> {
        Ok(self.store.list_operators(filter, params).await?)
    }

    pub async fn operator(&self, id: i64) -> AppResult<Option<Operator>> {
        Ok(self.store.operator(id).await?)
    }

    pub async fn operator_by_slug(&self, slug: &str) -> AppResult<Option<Operator>> {
        Ok(self.store.operator_by_slug(slug.trim()).await?)
    }

    pub async fn operators_by_ids(&self, ids: &[i64]) -> AppResult<HashMap<i64, Operator>> {
        let found = self.store.operators_by_ids(ids).await?;
        Ok(found.into_iter().map(|o| (o.id, o)).collect())
    }

    pub async fn create_operator(&self, actor: &Actor, draft: OperatorDraft) -> AppResult<Operator> {
        actor.require_editor()?;
        let fields = self.validate_operator(draft, None).await?;
        let saved = self.store.insert_operator(&fields).await?;
        self.audit(actor, "operator", saved.id, "CREATE", &operator_changes(None, &saved.fields)).await?;
        self.notify(ChangeKind::Operator, saved.id, &[]);
        Ok(saved)
    }

    pub async fn update_operator(
        &self,
        actor: &Actor,
        id: i64,
        patch: impl FnOnce(&mut OperatorDraft),
    ) -> AppResult<Operator> {
        actor.require_writer()?;
        let current = self.operator(id).await?.ok_or_else(|| AppError::not_found("operator", id))?;
        actor.require_company_writer(Some(id))?;
        let codes = self.commodities_by_ids(&current.fields.commodity_ids).await?;
        let f = current.fields.clone();
        let mut draft = OperatorDraft {
            name: f.name,
            slug: Some(f.slug),
            country: f.country,
            status: f.status,
            description: f.description,
            website_url: f.website_url,
            logo_url: f.logo_url,
            commodity_codes: f
                .commodity_ids
                .iter()
                .filter_map(|id| codes.get(id))
                .map(|c| c.fields.code.clone())
                .collect(),
        };
        patch(&mut draft);
        let fields = self.validate_operator(draft, Some(id)).await?;
        let saved =
            self.store.update_operator(id, &fields).await?.ok_or_else(|| AppError::not_found("operator", id))?;
        self.audit(actor, "operator", id, "UPDATE", &operator_changes(Some(&current.fields), &saved.fields)).await?;
        self.notify(ChangeKind::Operator, id, &[]);
        Ok(saved)
    }

    pub async fn delete_operator(&self, actor: &Actor, id: i64) -> AppResult<()> {
        actor.require_editor()?;
        deleted(self.store.delete_operator(id).await?, "operator", id)?;
        self.notify(ChangeKind::Operator, id, &[]);
        self.audit(actor, "operator", id, "DELETE", &[]).await
    }

    async fn validate_operator(&self, d: OperatorDraft, id: Option<i64>) -> AppResult<OperatorFields> {
        let name = validate::required_text("name", &d.name, NAME_MAX)?;
        let slug = match d.slug.as_deref().map(str::trim) {
            Some(s) if !s.is_empty() => validate::slug("slug", s)?,
            _ => {
                let made = validate::slugify(&name);
                if made.is_empty() {
                    return Err(AppError::invalid("slug", "cannot be made from this name; give one"));
                }
                made
            }
        };
        let mut commodity_ids = self.commodity_ids("commodityCodes", &d.commodity_codes).await?;
        commodity_ids.sort_unstable();
        commodity_ids.dedup();
        let fields = OperatorFields {
            name,
            slug,
            country: validate::country("country", &d.country)?,
            status: d.status,
            description: validate::optional_text("description", d.description, TEXT_MAX)?,
            website_url: validate::url("websiteUrl", d.website_url)?,
            logo_url: validate::url("logoUrl", d.logo_url)?,
            commodity_ids,
        };
        if let Some(other) = self.store.operator_by_slug(&fields.slug).await?
            && Some(other.id) != id
        {
            return Err(AppError::Conflict(format!("an operator with slug {} already exists", fields.slug)));
        }
        Ok(fields)
    }

    async fn check_operator(&self, field: &str, id: Option<i64>) -> AppResult<()> {
        if let Some(id) = id
            && self.store.operator(id).await?.is_none()
        {
            return Err(AppError::invalid(field, format!("operator {id} does not exist")));
        }
        Ok(())
    }

    // ----- deposits ----------------------------------------------------

    pub async fn deposits(&self, filter: &DepositFilter, params: &ListParams) -> AppResult<Page<Deposit>> {
        Ok(self.store.list_deposits(filter, params).await?)
    }

    pub async fn deposit(&self, id: i64) -> AppResult<Option<Deposit>> {
        Ok(self.store.deposit(id).await?)
    }

    /// The `limit` deposits nearest to `point`, nearest first.
    pub async fn nearest_deposits(
        &self,
        point: Geometry<f64>,
        limit: u64,
        filter: &DepositFilter,
        within: &ListParams,
    ) -> AppResult<Vec<Deposit>> {
        nearest(point, limit, within, |params| Box::pin(async move { self.store.list_deposits(filter, &params).await }))
            .await
    }

    pub async fn create_deposit(&self, actor: &Actor, draft: DepositDraft) -> AppResult<Deposit> {
        actor.require_writer()?;
        let fields = self.validate_deposit(draft).await?;
        actor.require_company_writer(fields.operator_id)?;
        let saved = self.store.insert_deposit(&fields).await?;
        self.audit(actor, "deposit", saved.id, "CREATE", &deposit_changes(None, &saved.fields)).await?;
        self.notify(ChangeKind::Deposit, saved.id, &[&saved.fields.geometry]);
        Ok(saved)
    }

    pub async fn update_deposit(
        &self,
        actor: &Actor,
        id: i64,
        patch: impl FnOnce(&mut DepositDraft),
    ) -> AppResult<Deposit> {
        actor.require_writer()?;
        let current = self.deposit(id).await?.ok_or_else(|| AppError::not_found("deposit", id))?;
        actor.require_company_writer(current.fields.operator_id)?;
        let commodity = self.commodity(current.fields.commodity_id).await?;
        let f = current.fields.clone();
        let mut draft = DepositDraft {
            name: f.name,
            commodity_code: commodity.map(|c| c.fields.code).unwrap_or_default(),
            operator_id: f.operator_id,
            status: f.status,
            geometry: to_geojson(&f.geometry),
            estimated_quantity: f.estimated_quantity,
            quantity_unit: f.quantity_unit,
            grade: f.grade,
            grade_unit: f.grade_unit,
            discovery_date: f.discovery_date,
            province: f.province,
            description: f.description,
            properties: f.properties,
        };
        patch(&mut draft);
        let fields = self.validate_deposit(draft).await?;
        actor.require_company_writer(fields.operator_id)?;
        let saved = self.store.update_deposit(id, &fields).await?.ok_or_else(|| AppError::not_found("deposit", id))?;
        self.audit(actor, "deposit", id, "UPDATE", &deposit_changes(Some(&current.fields), &saved.fields)).await?;
        self.notify(ChangeKind::Deposit, id, &[&current.fields.geometry, &saved.fields.geometry]);
        Ok(saved)
    }

    pub async fn delete_deposit(&self, actor: &Actor, id: i64) -> AppResult<()> {
        actor.require_writer()?;
        let current = self.deposit(id).await?.ok_or_else(|| AppError::not_found("deposit", id))?;
        actor.require_company_writer(current.fields.operator_id)?;
        deleted(self.store.delete_deposit(id).await?, "deposit", id)?;
        self.notify(ChangeKind::Deposit, id, &[&current.fields.geometry]);
        self.audit(actor, "deposit", id, "DELETE", &[]).await
    }

    async fn validate_deposit(&self, d: DepositDraft) -> AppResult<DepositFields> {
        let geometry = self.geometry_input(d.geometry, DEPOSIT_GEOMETRIES).await.map_err(|e| e.under("geometry"))?;
        let name = validate::required_text("name", &d.name, NAME_MAX)?;
        let commodity_id = self.commodity_ids("commodityCode", std::slice::from_ref(&d.commodity_code)).await?[0];
        self.check_operator("operatorId", d.operator_id).await?;
        Ok(DepositFields {
            name,
            commodity_id,
            operator_id: d.operator_id,
            status: d.status,
            geometry,
            estimated_quantity: validate::non_negative("estimatedQuantity", d.estimated_quantity)?,
            quantity_unit: validate::optional_text("quantityUnit", d.quantity_unit, UNIT_MAX)?,
            grade: validate::non_negative("grade", d.grade)?,
            grade_unit: validate::optional_text("gradeUnit", d.grade_unit, UNIT_MAX)?,
            discovery_date: d.discovery_date,
            province: validate::optional_text("province", d.province, NAME_MAX)?,
            description: validate::optional_text("description", d.description, TEXT_MAX)?,
            properties: validate::properties("properties", d.properties)?,
        })
    }

    // ----- exploitation areas ------------------------------------------

    pub async fn exploitation_areas(
        &self,
        filter: &ExploitationAreaFilter,
        params: &ListParams,
    ) -> AppResult<Page<ExploitationArea>> {
        Ok(self.store.list_exploitation_areas(filter, params).await?)
    }

    pub async fn exploitation_area(&self, id: i64) -> AppResult<Option<ExploitationArea>> {
        Ok(self.store.exploitation_area(id).await?)
    }

    pub async fn nearest_exploitation_areas(
        &self,
        point: Geometry<f64>,
        limit: u64,
        filter: &ExploitationAreaFilter,
        within: &ListParams,
    ) -> AppResult<Vec<ExploitationArea>> {
        nearest(point, limit, within, |params| {
            Box::pin(async move { self.store.list_exploitation_areas(filter, &params).await })
        })
        .await
    }

    pub async fn create_exploitation_area(
        &self,
        actor: &Actor,
        draft: ExploitationAreaDraft,
    ) -> AppResult<ExploitationArea> {
        actor.require_writer()?;
        let fields = self.validate_exploitation_area(draft, None).await?;
        actor.require_company_writer(fields.operator_id)?;
        let saved = self.store.insert_exploitation_area(&fields).await?;
        self.audit(actor, "exploitation_area", saved.id, "CREATE", &area_changes(None, &saved.fields)).await?;
        self.notify(ChangeKind::ExploitationArea, saved.id, &[&saved.fields.geometry]);
        Ok(saved)
    }

    pub async fn update_exploitation_area(
        &self,
        actor: &Actor,
        id: i64,
        patch: impl FnOnce(&mut ExploitationAreaDraft),
    ) -> AppResult<ExploitationArea> {
        actor.require_writer()?;
        let current = self.exploitation_area(id).await?.ok_or_else(|| AppError::not_found("exploitation area", id))?;
        actor.require_company_writer(current.fields.operator_id)?;
        let f = current.fields.clone();
        let mut draft = ExploitationAreaDraft {
            name: f.name,
            operator_id: f.operator_id,
            permit_number: f.permit_number,
            status: f.status,
            geometry: to_geojson(&f.geometry),
            valid_from: f.valid_from,
            valid_to: f.valid_to,
            extracted_volume: f.extracted_volume,
            extracted_volume_unit: f.extracted_volume_unit,
        };
        patch(&mut draft);
        let fields = self.validate_exploitation_area(draft, Some(id)).await?;
        actor.require_company_writer(fields.operator_id)?;
        let saved = self
            .store
            .update_exploitation_area(id, &fields)
            .await?
            .ok_or_else(|| AppError::not_found("exploitation area", id))?;
        self.audit(actor, "exploitation_area", id, "UPDATE", &area_changes(Some(&current.fields), &saved.fields))
            .await?;
        self.notify(ChangeKind::ExploitationArea, id, &[&current.fields.geometry, &saved.fields.geometry]);
        Ok(saved)
    }

    pub async fn delete_exploitation_area(&self, actor: &Actor, id: i64) -> AppResult<()> {
        actor.require_writer()?;
        let current = self.exploitation_area(id).await?.ok_or_else(|| AppError::not_found("exploitation area", id))?;
        actor.require_company_writer(current.fields.operator_id)?;
        deleted(self.store.delete_exploitation_area(id).await?, "exploitation area", id)?;
        self.notify(ChangeKind::ExploitationArea, id, &[&current.fields.geometry]);
        self.audit(actor, "exploitation_area", id, "DELETE", &[]).await
    }

    async fn validate_exploitation_area(
        &self,
        d: ExploitationAreaDraft,
        id: Option<i64>,
    ) -> AppResult<ExploitationAreaFields> {
        let geometry = self.geometry_input(d.geometry, AREA_GEOMETRIES).await.map_err(|e| e.under("geometry"))?;
        let name = validate::required_text("name", &d.name, NAME_MAX)?;
        let permit_number = validate::required_text("permitNumber", &d.permit_number, 80)?;
        if let (Some(from), Some(to)) = (d.valid_from, d.valid_to)
            && to < from
        {
            return Err(AppError::invalid("validTo", format!("{to} is before validFrom {from}")));
        }
        self.check_operator("operatorId", d.operator_id).await?;
        if let Some(other) = self.store.exploitation_area_by_permit(&permit_number).await?
            && Some(other.id) != id
        {
            return Err(AppError::Conflict(format!(
                "permit number {permit_number} is already used by exploitation area {}",
                other.id
            )));
        }
        Ok(ExploitationAreaFields {
            name,
            operator_id: d.operator_id,
            permit_number,
            status: d.status,
            area_km2: spatial::area_km2(&geometry),
            geometry,
            valid_from: d.valid_from,
            valid_to: d.valid_to,
            extracted_volume: validate::non_negative("extractedVolume", d.extracted_volume)?,
            extracted_volume_unit: validate::optional_text("extractedVolumeUnit", d.extracted_volume_unit, UNIT_MAX)?,
        })
    }

    // ----- infrastructure ----------------------------------------------

    pub async fn infrastructures(
        &self,
        filter: &InfrastructureFilter,
        params: &ListParams,
    ) -> AppResult<Page<Infrastructure>> {
        Ok(self.store.list_infrastructures(filter, params).await?)
    }

    pub async fn infrastructure(&self, id: i64) -> AppResult<Option<Infrastructure>> {
        Ok(self.store.infrastructure(id).await?)
    }

    pub async fn nearest_infrastructures(
        &self,
        point: Geometry<f64>,
        limit: u64,
        filter: &InfrastructureFilter,
        within: &ListParams,
    ) -> AppResult<Vec<Infrastructure>> {
        nearest(point, limit, within, |params| {
            Box::pin(async move { self.store.list_infrastructures(filter, &params).await })
        })
        .await
    }

    pub async fn create_infrastructure(&self, actor: &Actor, draft: InfrastructureDraft) -> AppResult<Infrastructure> {
        actor.require_editor()?;
        let fields = self.validate_infrastructure(draft).await?;
        let saved = self.store.insert_infrastructure(&fields).await?;
        self.audit(actor, "infrastructure", saved.id, "CREATE", &infrastructure_changes(None, &saved.fields)).await?;
        self.notify(ChangeKind::Infrastructure, saved.id, &[&saved.fields.geometry]);
        Ok(saved)
    }

    pub async fn update_infrastructure(
        &self,
        actor: &Actor,
        id: i64,
        patch: impl FnOnce(&mut InfrastructureDraft),
    ) -> AppResult<Infrastructure> {
        actor.require_editor()?;
        let current = self.infrastructure(id).await?.ok_or_else(|| AppError::not_found("infrastructure", id))?;
        let f = current.fields.clone();
        let mut draft = InfrastructureDraft {
            name: f.name,
            kind: f.kind,
            status: f.status,
            geometry: to_geojson(&f.geometry),
            capacity: f.capacity,
            capacity_unit: f.capacity_unit,
            description: f.description,
        };
        patch(&mut draft);
        let fields = self.validate_infrastructure(draft).await?;
        let saved = self
            .store
            .update_infrastructure(id, &fields)
            .await?
            .ok_or_else(|| AppError::not_found("infrastructure", id))?;
        self.audit(
            actor,
            "infrastructure",
            id,
            "UPDATE",
            &infrastructure_changes(Some(&current.fields), &saved.fields),
        )
        .await?;
        self.notify(ChangeKind::Infrastructure, id, &[&current.fields.geometry, &saved.fields.geometry]);
        Ok(saved)
    }

    pub async fn delete_infrastructure(&self, actor: &Actor, id: i64) -> AppResult<()> {
        actor.require_editor()?;
        let current = self.infrastructure(id).await?.ok_or_else(|| AppError::not_found("infrastructure", id))?;
        deleted(self.store.delete_infrastructure(id).await?, "infrastructure", id)?;
        self.notify(ChangeKind::Infrastructure, id, &[&current.fields.geometry]);
        self.audit(actor, "infrastructure", id, "DELETE", &[]).await
    }

    async fn validate_infrastructure(&self, d: InfrastructureDraft) -> AppResult<InfrastructureFields> {
        let geometry =
            self.geometry_input(d.geometry, INFRASTRUCTURE_GEOMETRIES).await.map_err(|e| e.under("geometry"))?;
        Ok(InfrastructureFields {
            name: validate::required_text("name", &d.name, NAME_MAX)?,
            kind: d.kind,
            status: d.status,
            length_km: spatial::length_km(&geometry),
            geometry,
            capacity: validate::non_negative("capacity", d.capacity)?,
            capacity_unit: validate::optional_text("capacityUnit", d.capacity_unit, UNIT_MAX)?,
            description: validate::optional_text("description", d.description, TEXT_MAX)?,
        })
    }
}

/// The API names of the fields that differ (all of them for a new record).
macro_rules! field_changes {
    ($name:ident, $fields:ty; $($field:ident => $api:literal),+ $(,)?) => {
        fn $name(old: Option<&$fields>, new: &$fields) -> Vec<&'static str> {
            let mut out = Vec::new();
            $(if old.is_none_or(|o| o.$field != new.$field) { out.push($api); })+
            out
        }
    };
}

field_changes!(commodity_changes, CommodityFields;
    code => "code", name_fr => "nameFr", name_en => "nameEn", color => "color", default_unit => "defaultUnit");
field_changes!(operator_changes, OperatorFields;
    name => "name", slug => "slug", country => "country", status => "status", description => "description",
    website_url => "websiteUrl", logo_url => "logoUrl", commodity_ids => "commodityCodes");
field_changes!(deposit_changes, DepositFields;
    name => "name", commodity_id => "commodityCode", operator_id => "operatorId", status => "status",
    geometry => "geometry", estimated_quantity => "estimatedQuantity", quantity_unit => "quantityUnit",
    grade => "grade", grade_unit => "gradeUnit", discovery_date => "discoveryDate", province => "province",
    description => "description", properties => "properties");
field_changes!(area_changes, ExploitationAreaFields;
    name => "name", operator_id => "operatorId", permit_number => "permitNumber", status => "status",
    geometry => "geometry", valid_from => "validFrom", valid_to => "validTo",
    extracted_volume => "extractedVolume", extracted_volume_unit => "extractedVolumeUnit");
field_changes!(infrastructure_changes, InfrastructureFields;
    name => "name", kind => "kind", status => "status", geometry => "geometry", capacity => "capacity",
    capacity_unit => "capacityUnit", description => "description");

fn deleted(found: bool, what: &'static str, id: i64) -> AppResult<()> {
    if found { Ok(()) } else { Err(AppError::not_found(what, id)) }
}

type PageFuture<'a, T> =
    std::pin::Pin<Box<dyn Future<Output = Result<Page<T>, crate::storage::StorageError>> + Send + 'a>>;

/// The `limit` records nearest to `point`, by geodesic distance, ties by id,
/// among those matching the search and spatial filters of `within`.
///
/// Both backends answer through the same index-backed distance filter:
/// search within a radius, and widen it fourfold until `limit` records are
/// found or the radius spans the globe. Every record within the final
/// radius is considered, so the answer is exact.
async fn nearest<'a, T>(
    point: Geometry<f64>,
    limit: u64,
    within: &ListParams,
    list: impl Fn(ListParams) -> PageFuture<'a, T>,
) -> AppResult<Vec<T>> {
    if limit == 0 || limit > MAX_NEAREST {
        return Err(AppError::invalid("limit", format!("must be between 1 and {MAX_NEAREST}")));
    }
    let mut radius_m = 1_000.0;
    loop {
        let mut spatial = within.spatial.clone();
        spatial.push(SpatialFilter::DWithin { geometry: point.clone(), meters: radius_m });
        let params = ListParams {
            search: within.search.clone(),
            spatial,
            ordering: Ordering::DistanceTo(point.clone()),
            offset: 0,
            limit: Some(limit),
            ..ListParams::default()
        };
        let page = list(params).await?;
        if page.items.len() as u64 >= limit || radius_m >= HALF_EARTH_M {
            return Ok(page.items);
        }
        radius_m = (radius_m * 4.0).min(HALF_EARTH_M);
    }
}
