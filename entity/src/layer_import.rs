use sea_orm::entity::prelude::*;

/// One upload: what was sent, how its import went, and the layer it made.
#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "layer_import")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub file_name: String,
    pub size_bytes: i64,
    pub format: Option<String>,
    pub status: String,
    pub features_read: i64,
    pub features_written: i64,
    pub error: Option<String>,
    /// JSON array of `{index, reason}`.
    pub warnings: String,
    pub duration_ms: Option<i64>,
    pub uploaded_by: Option<i64>,
    pub layer_id: Option<i64>,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
