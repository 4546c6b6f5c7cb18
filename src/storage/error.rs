use sea_orm::{DbErr, SqlErr};

/// What can go wrong below the domain.
#[derive(Debug, thiserror::Error)]
pub enum StorageError {
    /// The PostgreSQL server has no PostGIS package at all.
    #[error(
        "PostGIS is not installed on this PostgreSQL server: install it (Debian: apt-get install postgresql-15-postgis-3), then run `CREATE EXTENSION postgis;` in the database as a superuser"
    )]
    PostgisNotInstalled,
    /// PostGIS is available but the database has not enabled it.
    #[error(
        "PostGIS is not enabled in database \"{database}\": run `CREATE EXTENSION postgis;` in it as a superuser (psql -d {database} -c 'CREATE EXTENSION postgis;'), then start ODG again"
    )]
    PostgisMissing { database: String },
    #[error("PostGIS {found} is too old: ODG needs PostGIS {minimum} or later")]
    PostgisTooOld { found: String, minimum: &'static str },
    #[error("unsupported database URL scheme in {0:?}: use postgres://... or sqlite://...")]
    UnsupportedUrl(String),
    /// The database server could not be reached or refused the login.
    #[error("{0}")]
    Unreachable(String),
    /// A unique key is already taken; names the constraint.
    #[error("duplicate {0}")]
    UniqueViolation(String),
    /// A row is still referenced by another table.
    #[error("still referenced by {0}")]
    StillReferenced(String),
    /// A stored value this version cannot read.
    #[error("unreadable {column} in {table} #{id}: {reason}")]
    Corrupt { table: &'static str, column: &'static str, id: i64, reason: String },
    #[error("database error: {0}")]
    Db(DbErr),
    /// The exact spatial tests of a list were given up: nobody awaited them
    /// any more (the request's time budget ran out).
    #[error("spatial tests interrupted")]
    Interrupted,
    /// The exact spatial tests of a list failed off the async workers.
    #[error(transparent)]
    Job(#[from] crate::cpu::Failed),
}

impl From<DbErr> for StorageError {
    fn from(err: DbErr) -> Self {
        match err.sql_err() {
            Some(SqlErr::UniqueConstraintViolation(what)) => StorageError::UniqueViolation(what),
            Some(SqlErr::ForeignKeyConstraintViolation(_)) => StorageError::StillReferenced("other records".into()),
            // SQLite reports a RESTRICT violation with the primary code 19
            // (SQLITE_CONSTRAINT) that sea-orm does not classify; its
            // message is fixed by SQLite.
            _ if err.to_string().contains("FOREIGN KEY constraint failed") => {
                StorageError::StillReferenced("other records".into())
            }
            _ => StorageError::Db(err),
        }
    }
}

pub type StorageResult<T> = Result<T, StorageError>;
