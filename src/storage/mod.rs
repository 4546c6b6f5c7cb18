//! Storage: the only module that knows which database runs.
//!
//! SQLite (embedded default) and PostgreSQL + PostGIS (production) behave
//! the same. Plain columns go through sea-orm on both. Spatial predicates
//! differ: PostGIS evaluates them in SQL on its GIST indexes; SQLite
//! pre-filters with its R*Tree and decides exactly with the `geo` crate.

mod accounts;
mod availability;
mod error;
mod features;
mod geometry;
mod layers;
mod list;
mod reference;
mod text;
mod tiles;

pub use availability::Availability;
pub use error::{StorageError, StorageResult};
pub use layers::{LayerWriter, Rethinning, TileColumn};

use sea_orm::sqlx::sqlite::{SqliteJournalMode, SqliteSynchronous};
use sea_orm::{ConnectOptions, ConnectionTrait, Database, DatabaseBackend, DatabaseConnection, Statement};
use sea_orm_migration::MigratorTrait;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

/// PostGIS 3 is the first with `ST_AsMVT` parallel aggregates and the
/// geography KNN the later issues rely on.
const POSTGIS_MINIMUM_MAJOR: u32 = 3;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgis,
}

/// A connection pool to one ODG database.
#[derive(Clone)]
pub struct Store {
    db: DatabaseConnection,
    backend: Backend,
    statements: Arc<AtomicU64>,
    availability: Availability,
}

impl Store {
    /// Connects (creating an SQLite file if needed) and checks PostGIS.
    pub async fn connect(url: &str, max_connections: u32) -> StorageResult<Store> {
        let backend = if url.starts_with("sqlite:") {
            Backend::Sqlite
        } else if url.starts_with("postgres://") || url.starts_with("postgresql://") {
            Backend::Postgis
        } else {
            return Err(StorageError::UnsupportedUrl(redact_url(url)));
        };
        if backend == Backend::Postgis {
            // One direct connection first: a pool only reports "timed out",
            // this names the cause (refused, authentication, no database).
            use sea_orm::sqlx::Connection;
            let probe = sea_orm::sqlx::PgConnection::connect(url)
                .await
                .map_err(|e| StorageError::Unreachable(e.to_string()))?;
            let _ = probe.close().await;
        }
        let mut options = ConnectOptions::new(url);
        options
            .max_connections(max_connections)
            .min_connections(1)
            .acquire_timeout(Duration::from_secs(10))
            .sqlx_logging(false);
        if backend == Backend::Sqlite {
            options.map_sqlx_sqlite_opts(|o| {
                o.create_if_missing(true)
                    .journal_mode(SqliteJournalMode::Wal)
                    .synchronous(SqliteSynchronous::Normal)
                    .foreign_keys(true)
                    .busy_timeout(Duration::from_secs(10))
            });
            options
                .map_sqlx_sqlite_pool_opts(|pool| pool.after_release(|conn, _| Box::pin(end_stray_transaction(conn))));
        }
        let mut db = Database::connect(options).await?;
        let statements = Arc::new(AtomicU64::new(0));
        let counter = statements.clone();
        db.set_metric_callback(move |_| {
            counter.fetch_add(1, Ordering::Relaxed);
        });
        let availability = Availability::new((backend == Backend::Postgis).then_some(url));
        let store = Store { db, backend, statements, availability };
        if backend == Backend::Postgis {
            store.check_postgis().await?;
        }
        Ok(store)
    }

    /// One write, in a transaction of its own. sea-orm reads inserted and
    /// updated rows back with RETURNING; on SQLite an autocommit statement
    /// with RETURNING commits when sqlx resets it after its first row, and
    /// sqlx drops that reset's error, so a write the disk refused would be
    /// acknowledged (and its id handed out again). COMMIT reports it.
    pub(crate) async fn write<T>(
        &self,
        write: impl AsyncFnOnce(&sea_orm::DatabaseTransaction) -> Result<T, sea_orm::DbErr>,
    ) -> Result<T, sea_orm::DbErr> {
        let txn = begin_write(&self.db).await?;
        let out = write(&txn).await?;
        txn.commit().await?;
        Ok(out)
    }

    /// Whether the database answers (PostgreSQL can go away; SQLite cannot).
    pub fn availability(&self) -> &Availability {
        &self.availability
    }

    pub fn backend(&self) -> Backend {
        self.backend
    }

    /// Applies pending migrations; a no-op when the schema is current.
    pub async fn migrate(&self) -> StorageResult<()> {
        migration::Migrator::up(&self.db, None).await?;
        Ok(())
    }

    /// Migrations this binary knows that the database has not applied.
    pub async fn pending_migrations(&self) -> StorageResult<usize> {
        Ok(migration::Migrator::get_pending_migrations(&self.db).await?.len())
    }

    /// The PostGIS library version, on PostgreSQL.
    pub async fn postgis_version(&self) -> StorageResult<Option<String>> {
        if self.backend != Backend::Postgis {
            return Ok(None);
        }
        let row = self
            .db
            .query_one_raw(Statement::from_string(DatabaseBackend::Postgres, "SELECT PostGIS_Lib_Version() AS v"))
            .await?;
        Ok(row.map(|r| r.try_get::<String>("", "v")).transpose()?)
    }

    /// An online, consistent copy of an SQLite database into a new file.
    pub async fn vacuum_into(&self, path: &std::path::Path) -> StorageResult<()> {
        let target = path.display().to_string().replace('\'', "''");
        self.db.execute_unprepared(&format!("VACUUM INTO '{target}'")).await?;
        Ok(())
    }

    /// What a restore would overwrite: whether ODG's tables exist, and
    /// whether any of them holds a row. Reads only (creates nothing).
    pub async fn contents(&self) -> StorageResult<(bool, bool)> {
        let backend = self.db.get_database_backend();
        let sql = match self.backend {
            Backend::Sqlite => {
                "SELECT count(*) AS n FROM sqlite_master WHERE type = 'table' AND name IN ('commodity', 'operator', 'deposit', 'app_user')"
            }
            Backend::Postgis => {
                "SELECT count(*) AS n FROM information_schema.tables WHERE table_schema = 'public' AND table_name IN ('commodity', 'operator', 'deposit', 'app_user')"
            }
        };
        let row = self.db.query_one_raw(Statement::from_string(backend, sql)).await?;
        let tables: i64 = row.map(|r| r.try_get("", "n")).transpose()?.unwrap_or(0);
        if tables < 4 {
            return Ok((tables > 0, false));
        }
        use sea_orm::{EntityTrait, PaginatorTrait};
        let rows = entity::commodity::Entity::find().count(&self.db).await?
            + entity::operator::Entity::find().count(&self.db).await?
            + entity::deposit::Entity::find().count(&self.db).await?
            + entity::app_user::Entity::find().count(&self.db).await?;
        Ok((true, rows > 0))
    }

    /// Whether the database answers.
    pub async fn ping(&self) -> StorageResult<()> {
        self.db.ping().await?;
        Ok(())
    }

    /// SQL statements run since the pool opened (for tests and metrics).
    pub fn statements_executed(&self) -> u64 {
        self.statements.load(Ordering::Relaxed)
    }

    /// Connections of the pool: (open, idle).
    pub fn pool_status(&self) -> (u32, usize) {
        match self.backend {
            Backend::Sqlite => {
                let pool = self.db.get_sqlite_connection_pool();
                (pool.size(), pool.num_idle())
            }
            Backend::Postgis => {
                let pool = self.db.get_postgres_connection_pool();
                (pool.size(), pool.num_idle())
            }
        }
    }

    pub async fn close(self) -> StorageResult<()> {
        self.db.close().await?;
        Ok(())
    }

    /// The query plan of a bounding-box search on deposits, one line per
    /// step: the proof that spatial filters use the spatial index.
    pub async fn explain_deposit_bbox(&self, bbox: crate::spatial::Bbox) -> StorageResult<Vec<String>> {
        list::explain_bbox::<entity::deposit::Entity>(&self.db, self.backend, bbox).await
    }

    async fn check_postgis(&self) -> StorageResult<()> {
        let backend = DatabaseBackend::Postgres;
        let row = self
            .db
            .query_one_raw(Statement::from_string(
                backend,
                "SELECT current_database() AS db, \
                 (SELECT extversion FROM pg_extension WHERE extname = 'postgis') AS installed, \
                 EXISTS (SELECT 1 FROM pg_available_extensions WHERE name = 'postgis') AS available",
            ))
            .await?
            .ok_or_else(|| StorageError::Db(sea_orm::DbErr::RecordNotFound("pg_extension".into())))?;
        let database: String = row.try_get("", "db")?;
        let installed: Option<String> = row.try_get("", "installed")?;
        let available: bool = row.try_get("", "available")?;
        match installed {
            None if !available => Err(StorageError::PostgisNotInstalled),
            None => Err(StorageError::PostgisMissing { database }),
            Some(version) => {
                let major: u32 = version.split('.').next().and_then(|m| m.parse().ok()).unwrap_or(0);
                if major < POSTGIS_MINIMUM_MAJOR {
                    return Err(StorageError::PostgisTooOld { found: version, minimum: "3.0" });
                }
                Ok(())
            }
        }
    }
}

/// A database URL without its password, for messages and logs.
pub fn redact_url(url: &str) -> String {
    match (url.find("://"), url.rfind('@')) {
        (Some(scheme_end), Some(at)) if at > scheme_end => {
            let credentials = &url[scheme_end + 3..at];
            match credentials.find(':') {
                Some(colon) => format!("{}{}:***{}", &url[..scheme_end + 3], &credentials[..colon], &url[at..]),
                None => url.to_string(),
            }
        }
        _ => url.to_string(),
    }
}

/// A transaction that will write. On SQLite it takes the write lock at
/// BEGIN (IMMEDIATE), waiting for it with the busy timeout: a deferred one
/// reads first, and cannot then upgrade once another writer has committed
/// (SQLITE_BUSY at once, which the busy timeout does not cover).
pub(crate) async fn begin_write(db: &DatabaseConnection) -> Result<sea_orm::DatabaseTransaction, sea_orm::DbErr> {
    use sea_orm::{SqliteTransactionMode, TransactionOptions, TransactionTrait};
    if db.get_database_backend() != DatabaseBackend::Sqlite {
        return db.begin().await;
    }
    let options =
        TransactionOptions { sqlite_transaction_mode: Some(SqliteTransactionMode::Immediate), ..Default::default() };
    db.begin_with_options(options).await
}

/// Back in the pool, an SQLite connection must hold no transaction. A write
/// that fails with a full disk may leave its transaction open (SQLite
/// rolls back only the statement when it can); kept, that connection would
/// read an ever older snapshot and fail every later write with
/// `SQLITE_BUSY_SNAPSHOT`. Such a transaction is rolled back, and a
/// connection that cannot is closed.
async fn end_stray_transaction(conn: &mut sea_orm::sqlx::SqliteConnection) -> Result<bool, sea_orm::sqlx::Error> {
    use sea_orm::sqlx::Executor;
    // sqlx does not expose SQLite's autocommit flag: trying is the test.
    match conn.execute("ROLLBACK").await {
        Ok(_) => {
            tracing::warn!("an SQLite connection came back inside a transaction: rolled back");
            Ok(true)
        }
        Err(e) if e.to_string().contains("no transaction is active") => Ok(true),
        Err(e) => {
            tracing::warn!(error = %e, "an SQLite connection could not end its transaction: closed");
            Ok(false)
        }
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn passwords_are_redacted() {
        assert_eq!(
            super::redact_url("postgres://odg:s3cret@127.0.0.1:5432/odg"),
            "postgres://odg:***@127.0.0.1:5432/odg"
        );
        assert_eq!(super::redact_url("sqlite://data/odg.sqlite"), "sqlite://data/odg.sqlite");
    }
}
