//! Low-zoom thinning of dense layers: each feature's first zoom, indexed with its box.

use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        crate::run_script(
            manager,
            include_str!("sql/20261126_000004_layer_tile_thinning.sqlite.sql"),
            include_str!("sql/20261126_000004_layer_tile_thinning.postgres.sql"),
        )
        .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        crate::run_script(
            manager,
            "DROP TRIGGER IF EXISTS layer_feature_zoom_insert; DROP TRIGGER IF EXISTS layer_feature_zoom_update; \
             DROP TRIGGER IF EXISTS layer_feature_zoom_delete; DROP TABLE IF EXISTS layer_feature_zoom_rtree; \
             ALTER TABLE layer_feature DROP COLUMN min_zoom; ALTER TABLE layer DROP COLUMN tile_full_zoom;",
            "ALTER TABLE layer_feature DROP COLUMN min_zoom; ALTER TABLE layer DROP COLUMN tile_full_zoom;",
        )
        .await
    }
}
