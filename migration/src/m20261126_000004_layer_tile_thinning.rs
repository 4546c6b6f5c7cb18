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
            "DROP TRIGGER layer_feature_rtree_insert; DROP TRIGGER layer_feature_rtree_update; \
             DROP TRIGGER layer_feature_rtree_delete; DROP TABLE layer_feature_rtree; \
             ALTER TABLE layer_feature DROP COLUMN min_zoom; ALTER TABLE layer DROP COLUMN tile_full_zoom; \
             CREATE VIRTUAL TABLE layer_feature_rtree USING rtree (id, min_lon, max_lon, min_lat, max_lat); \
             INSERT INTO layer_feature_rtree SELECT id, min_lon, max_lon, min_lat, max_lat FROM layer_feature; \
             CREATE TRIGGER layer_feature_rtree_insert AFTER INSERT ON layer_feature BEGIN \
                 INSERT INTO layer_feature_rtree VALUES (NEW.id, NEW.min_lon, NEW.max_lon, NEW.min_lat, NEW.max_lat); \
             END; \
             CREATE TRIGGER layer_feature_rtree_update AFTER UPDATE OF min_lon, max_lon, min_lat, max_lat ON layer_feature BEGIN \
                 UPDATE layer_feature_rtree SET min_lon = NEW.min_lon, max_lon = NEW.max_lon, \
                     min_lat = NEW.min_lat, max_lat = NEW.max_lat WHERE id = NEW.id; \
             END; \
             CREATE TRIGGER layer_feature_rtree_delete AFTER DELETE ON layer_feature BEGIN \
                 DELETE FROM layer_feature_rtree WHERE id = OLD.id; \
             END;",
            "ALTER TABLE layer_feature DROP COLUMN min_zoom; ALTER TABLE layer DROP COLUMN tile_full_zoom;",
        )
        .await
    }
}
