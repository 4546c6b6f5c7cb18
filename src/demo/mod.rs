//! The demo data set: Gabon's mining districts, operators, permits and
//! main infrastructure (`gabon.json`, positions and figures approximate,
//! for demonstration). Seeding is idempotent: records are matched by
//! commodity code, operator slug, deposit and infrastructure name, and
//! permit number, and existing ones are left as they are.

use crate::domain::*;
use crate::error::{AppError, AppResult};
use chrono::NaiveDate;
use serde::Deserialize;
use std::collections::{HashMap, HashSet};
use std::fmt;

const GABON: &str = include_str!("gabon.json");

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct DemoData {
    commodities: Vec<DemoCommodity>,
    operators: Vec<DemoOperator>,
    deposits: Vec<DemoDeposit>,
    exploitation_areas: Vec<DemoArea>,
    infrastructures: Vec<DemoInfrastructure>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct DemoCommodity {
    code: String,
    name_fr: String,
    name_en: String,
    color: String,
    default_unit: String,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct DemoOperator {
    slug: String,
    name: String,
    country: String,
    status: String,
    description: Option<String>,
    website_url: Option<String>,
    logo_url: Option<String>,
    commodities: Vec<String>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct DemoDeposit {
    name: String,
    commodity: String,
    operator: Option<String>,
    status: String,
    geometry: serde_json::Value,
    estimated_quantity: Option<f64>,
    quantity_unit: Option<String>,
    grade: Option<f64>,
    grade_unit: Option<String>,
    discovery_date: Option<NaiveDate>,
    province: Option<String>,
    description: Option<String>,
    #[serde(default)]
    properties: serde_json::Value,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct DemoArea {
    name: String,
    operator: Option<String>,
    permit_number: String,
    status: String,
    geometry: serde_json::Value,
    valid_from: Option<NaiveDate>,
    valid_to: Option<NaiveDate>,
    extracted_volume: Option<f64>,
    extracted_volume_unit: Option<String>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct DemoInfrastructure {
    name: String,
    kind: String,
    status: String,
    geometry: serde_json::Value,
    capacity: Option<f64>,
    capacity_unit: Option<String>,
    description: Option<String>,
}

/// The password of every demo account (README, "Demo accounts").
pub const DEMO_PASSWORD: &str = "demo-ODG-2026";

/// One account per role: (username, role, company slug).
const DEMO_ACCOUNTS: &[(&str, &str, Role, Option<&str>)] = &[
    ("admin", "Démo administrateur", Role::Admin, None),
    ("editeur", "Démo éditeur", Role::Editor, None),
    ("operateur", "Démo opérateur (COMILOG)", Role::Operator, Some("comilog")),
    ("partenaire", "Démo partenaire", Role::Partner, None),
];

/// How many records a seeding added.
#[derive(Debug, Default, PartialEq, Eq)]
pub struct Seeded {
    pub accounts: usize,
    pub commodities: usize,
    pub operators: usize,
    pub deposits: usize,
    pub exploitation_areas: usize,
    pub infrastructures: usize,
}

impl fmt::Display for Seeded {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{} accounts, {} commodities, {} operators, {} deposits, {} exploitation areas, {} infrastructure records added",
            self.accounts,
            self.commodities,
            self.operators,
            self.deposits,
            self.exploitation_areas,
            self.infrastructures
        )
    }
}

fn bad(what: &str, value: &str) -> AppError {
    AppError::Internal(anyhow::anyhow!("demo data: unknown {what} {value:?}"))
}

fn all() -> ListParams {
    ListParams { limit: None, ..ListParams::default() }
}

/// Loads the demo data set; records already present are kept as they are.
pub async fn seed(catalog: &Catalog) -> AppResult<Seeded> {
    let data: DemoData =
        serde_json::from_str(GABON).map_err(|e| AppError::Internal(anyhow::anyhow!("demo data: {e}")))?;
    let mut seeded = Seeded::default();

    for c in data.commodities {
        if catalog.commodity_by_code(&c.code).await?.is_none() {
            let draft = CommodityDraft {
                code: c.code,
                name_fr: c.name_fr,
                name_en: c.name_en,
                color: c.color,
                default_unit: c.default_unit,
            };
            catalog.create_commodity(&Actor::System, draft).await?;
            seeded.commodities += 1;
        }
    }

    let mut operator_ids: HashMap<String, i64> = HashMap::new();
    for o in data.operators {
        let id = match catalog.operator_by_slug(&o.slug).await? {
            Some(existing) => existing.id,
            None => {
                let status = OperatorStatus::parse(&o.status).ok_or_else(|| bad("operator status", &o.status))?;
                let draft = OperatorDraft {
                    name: o.name,
                    slug: Some(o.slug.clone()),
                    country: o.country,
                    status,
                    description: o.description,
                    website_url: o.website_url,
                    logo_url: o.logo_url,
                    commodity_codes: o.commodities,
                };
                seeded.operators += 1;
                catalog.create_operator(&Actor::System, draft).await?.id
            }
        };
        operator_ids.insert(o.slug, id);
    }
    let operator = |slug: &Option<String>| -> AppResult<Option<i64>> {
        slug.as_ref().map(|s| operator_ids.get(s).copied().ok_or_else(|| bad("operator", s))).transpose()
    };

    let existing: HashSet<String> =
        catalog.deposits(&DepositFilter::default(), &all()).await?.items.into_iter().map(|d| d.fields.name).collect();
    for d in data.deposits {
        if existing.contains(&d.name) {
            continue;
        }
        let draft = DepositDraft {
            operator_id: operator(&d.operator)?,
            status: DepositStatus::parse(&d.status).ok_or_else(|| bad("deposit status", &d.status))?,
            name: d.name,
            commodity_code: d.commodity,
            geometry: d.geometry,
            estimated_quantity: d.estimated_quantity,
            quantity_unit: d.quantity_unit,
            grade: d.grade,
            grade_unit: d.grade_unit,
            discovery_date: d.discovery_date,
            province: d.province,
            description: d.description,
            properties: d.properties,
        };
        catalog.create_deposit(&Actor::System, draft).await?;
        seeded.deposits += 1;
    }

    for a in data.exploitation_areas {
        if catalog.store().exploitation_area_by_permit(&a.permit_number).await?.is_some() {
            continue;
        }
        let draft = ExploitationAreaDraft {
            operator_id: operator(&a.operator)?,
            status: PermitStatus::parse(&a.status).ok_or_else(|| bad("permit status", &a.status))?,
            name: a.name,
            permit_number: a.permit_number,
            geometry: a.geometry,
            valid_from: a.valid_from,
            valid_to: a.valid_to,
            extracted_volume: a.extracted_volume,
            extracted_volume_unit: a.extracted_volume_unit,
        };
        catalog.create_exploitation_area(&Actor::System, draft).await?;
        seeded.exploitation_areas += 1;
    }

    let existing: HashSet<String> = catalog
        .infrastructures(&InfrastructureFilter::default(), &all())
        .await?
        .items
        .into_iter()
        .map(|i| i.fields.name)
        .collect();
    for i in data.infrastructures {
        if existing.contains(&i.name) {
            continue;
        }
        let draft = InfrastructureDraft {
            kind: InfrastructureKind::parse(&i.kind).ok_or_else(|| bad("infrastructure kind", &i.kind))?,
            status: InfrastructureStatus::parse(&i.status).ok_or_else(|| bad("infrastructure status", &i.status))?,
            name: i.name,
            geometry: i.geometry,
            capacity: i.capacity,
            capacity_unit: i.capacity_unit,
            description: i.description,
        };
        catalog.create_infrastructure(&Actor::System, draft).await?;
        seeded.infrastructures += 1;
    }

    for (username, display_name, role, company) in DEMO_ACCOUNTS {
        if catalog.credentials_by_identifier(username).await?.is_some() {
            continue;
        }
        let draft = UserDraft {
            username: username.to_string(),
            email: format!("{username}@demo.odg.example"),
            display_name: Some(display_name.to_string()),
            role: *role,
            operator_id: company
                .map(|slug| operator_ids.get(slug).copied().ok_or_else(|| bad("operator", slug)))
                .transpose()?,
            password_hash: crate::auth::hash_blocking(DEMO_PASSWORD).await?,
        };
        catalog.create_user(&Actor::System, draft).await?;
        seeded.accounts += 1;
    }
    Ok(seeded)
}
