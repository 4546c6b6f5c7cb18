use sea_orm::entity::prelude::*;

/// One feature of a layer, with the properties it had in its file.
#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "layer_feature")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub layer_id: i64,
    pub source_id: Option<String>,
    /// JSON object.
    pub properties: String,
    pub geom_wkb: Vec<u8>,
    pub min_lon: f64,
    pub min_lat: f64,
    pub max_lon: f64,
    pub max_lat: f64,
    /// The smallest zoom whose tiles show the feature; `None` on layers that are not thinned.
    pub min_zoom: Option<i16>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
