//! Layers, their features and the import history.

use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        crate::run_script(
            manager,
            include_str!("sql/20261126_000003_create_layers.sqlite.sql"),
            include_str!("sql/20261126_000003_create_layers.postgres.sql"),
        )
        .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let drop = "DROP TABLE IF EXISTS layer_import; DROP TABLE IF EXISTS layer_feature_rtree; DROP TABLE IF EXISTS layer_feature; DROP TABLE IF EXISTS layer;";
        crate::run_script(manager, drop, drop).await
    }
}
