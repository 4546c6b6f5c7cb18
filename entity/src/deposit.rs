use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "deposit")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub name: String,
    pub name_key: String,
    pub search_text: String,
    pub commodity_id: i64,
    pub operator_id: Option<i64>,
    pub status: String,
    pub geom_wkb: Vec<u8>,
    pub min_lon: f64,
    pub min_lat: f64,
    pub max_lon: f64,
    pub max_lat: f64,
    pub estimated_quantity: Option<f64>,
    pub quantity_unit: Option<String>,
    pub grade: Option<f64>,
    pub grade_unit: Option<String>,
    pub discovery_date: Option<Date>,
    pub province: Option<String>,
    pub description: Option<String>,
    pub properties: Json,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
