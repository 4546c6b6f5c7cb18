//! Schema migrations. Each migration runs on SQLite and on PostgreSQL +
//! PostGIS; where the two differ (spatial columns and indexes) the migration
//! carries one SQL file per backend, side by side, so a reviewer reads both.

pub use sea_orm_migration::prelude::*;

mod m20261126_000001_create_domain;
mod m20261126_000002_create_accounts;
mod m20261126_000003_create_layers;
mod m20261126_000004_layer_tile_thinning;

pub struct Migrator;

#[async_trait::async_trait]
impl MigratorTrait for Migrator {
    fn migrations() -> Vec<Box<dyn MigrationTrait>> {
        vec![
            Box::new(m20261126_000001_create_domain::Migration),
            Box::new(m20261126_000002_create_accounts::Migration),
            Box::new(m20261126_000003_create_layers::Migration),
            Box::new(m20261126_000004_layer_tile_thinning::Migration),
        ]
    }
}

/// Runs the SQL script written for the connected backend.
async fn run_script(manager: &SchemaManager<'_>, sqlite: &str, postgres: &str) -> Result<(), DbErr> {
    let script = match manager.get_database_backend() {
        sea_orm_migration::sea_orm::DatabaseBackend::Sqlite => sqlite,
        sea_orm_migration::sea_orm::DatabaseBackend::Postgres => postgres,
        other => {
            return Err(DbErr::Migration(format!("ODG supports SQLite and PostgreSQL + PostGIS, not {other:?}")));
        }
    };
    manager.get_connection().execute_unprepared(script).await?;
    Ok(())
}
