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
    /// The disk under the database is full (SQLite `SQLITE_FULL`, PostgreSQL
    /// `disk_full`): the statement did not happen.
    #[error("the disk holding the database is full: {0}")]
    DiskFull(String),
    /// The database server cannot be reached now (connection refused,
    /// lost, or shutting down): worth retrying shortly.
    #[error("the database is unreachable: {0}")]
    Unavailable(String),
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

/// Whether a database error says the database cannot serve now: no pooled
/// connection could be had, the connection broke, PostgreSQL refuses
/// connections or is shutting down (SQLSTATE class 08, 57P01-57P03), or
/// SQLite stayed locked by another writer past the busy timeout.
fn is_unreachable(err: &DbErr) -> bool {
    use sea_orm::RuntimeErr;
    use sea_orm::sqlx::Error;
    let (DbErr::Conn(RuntimeErr::SqlxError(e))
    | DbErr::Exec(RuntimeErr::SqlxError(e))
    | DbErr::Query(RuntimeErr::SqlxError(e))) = err
    else {
        return matches!(err, DbErr::ConnectionAcquire(_));
    };
    match e.as_ref() {
        Error::Io(_) | Error::Tls(_) | Error::Protocol(_) | Error::PoolTimedOut | Error::PoolClosed => true,
        // SQLite's SQLITE_BUSY (5, with its extended codes): another writer kept the lock past the busy timeout.
        Error::Database(d) => d.code().is_some_and(|c| {
            c.starts_with("08")
                || ["57P01", "57P02", "57P03"].contains(&&*c)
                || sqlite_code(&c).is_some_and(|n| n & 0xff == 5)
        }),
        _ => false,
    }
}

/// Whether a database error says the disk is full: SQLite's primary code 13
/// (`SQLITE_FULL`; extended codes keep it in their low byte) or 4874
/// (`SQLITE_IOERR_SHMSIZE`: the WAL index could not grow), PostgreSQL's
/// SQLSTATE `53100` (`disk_full`).
fn is_disk_full(err: &DbErr) -> bool {
    use sea_orm::RuntimeErr;
    let (DbErr::Conn(RuntimeErr::SqlxError(e))
    | DbErr::Exec(RuntimeErr::SqlxError(e))
    | DbErr::Query(RuntimeErr::SqlxError(e))) = err
    else {
        return false;
    };
    let Some(code) = e.as_database_error().and_then(|d| d.code()) else { return false };
    code == "53100" || sqlite_code(&code).is_some_and(|c| c & 0xff == 13 || c == 4874)
}

/// SQLite's result code, from a database error's code: SQLite's are
/// numbers of at most four digits, PostgreSQL's SQLSTATEs five characters.
fn sqlite_code(code: &str) -> Option<i64> {
    (code.len() <= 4).then(|| code.parse().ok()).flatten()
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
            _ if is_disk_full(&err) => StorageError::DiskFull(err.to_string()),
            _ if is_unreachable(&err) => StorageError::Unavailable(err.to_string()),
            _ => StorageError::Db(err),
        }
    }
}

pub type StorageResult<T> = Result<T, StorageError>;

#[cfg(test)]
mod tests {
    use super::sqlite_code;

    #[test]
    fn sqlite_codes_are_told_from_postgresql_sqlstates() {
        assert_eq!(sqlite_code("13"), Some(13));
        assert_eq!(sqlite_code("517"), Some(517)); // SQLITE_BUSY_SNAPSHOT
        assert_eq!(sqlite_code("4874"), Some(4874));
        // SQLSTATEs are five characters, digits or not: never read as SQLite's.
        assert_eq!(sqlite_code("53100"), None);
        assert_eq!(sqlite_code("08006"), None);
        assert_eq!(sqlite_code("57P01"), None);
    }
}
