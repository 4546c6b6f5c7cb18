//! Accounts, refresh tokens and the audit log.

use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        crate::run_script(
            manager,
            include_str!("sql/20261126_000002_create_accounts.sqlite.sql"),
            include_str!("sql/20261126_000002_create_accounts.postgres.sql"),
        )
        .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let drop =
            "DROP TABLE IF EXISTS audit_entry; DROP TABLE IF EXISTS refresh_token; DROP TABLE IF EXISTS app_user;";
        crate::run_script(manager, drop, drop).await
    }
}
