use sea_orm::entity::prelude::*;

/// A layer made from an imported GIS file.
#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "layer")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub name: String,
    pub name_key: String,
    pub search_text: String,
    pub description: Option<String>,
    pub kind: String,
    pub status: String,
    pub visible: bool,
    pub public: bool,
    /// JSON object: colours, widths, opacity, icon.
    pub style: String,
    pub source_format: String,
    /// The CRS of the file, e.g. `EPSG:32632`.
    pub source_crs: String,
    pub feature_count: i64,
    /// JSON array of geometry type names present.
    pub geometry_types: String,
    pub min_lon: Option<f64>,
    pub min_lat: Option<f64>,
    pub max_lon: Option<f64>,
    pub max_lat: Option<f64>,
    /// JSON array of `{name, type}`.
    pub attribute_schema: String,
    /// JSON description of a raster layer's file (GeoTIFF), else null.
    pub raster: Option<String>,
    /// The zoom from which tiles show every feature (0: never thinned); `None` until computed.
    pub tile_full_zoom: Option<i16>,
    pub created_by: Option<i64>,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
