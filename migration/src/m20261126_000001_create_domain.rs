//! Reference tables (commodity, operator) and the three spatial domain tables.

use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        crate::run_script(
            manager,
            include_str!("sql/20261126_000001_create_domain.sqlite.sql"),
            include_str!("sql/20261126_000001_create_domain.postgres.sql"),
        )
        .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let drop = "DROP TABLE IF EXISTS infrastructure; DROP TABLE IF EXISTS exploitation_area; \
                    DROP TABLE IF EXISTS deposit; DROP TABLE IF EXISTS operator_commodity; \
                    DROP TABLE IF EXISTS operator; DROP TABLE IF EXISTS commodity;";
        let sqlite_drop = format!(
            "DROP TABLE IF EXISTS deposit_rtree; DROP TABLE IF EXISTS exploitation_area_rtree; \
             DROP TABLE IF EXISTS infrastructure_rtree; {drop}"
        );
        crate::run_script(manager, &sqlite_drop, drop).await
    }
}
