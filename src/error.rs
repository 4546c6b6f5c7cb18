//! The one error type above storage, and its one mapping to GraphQL
//! (`extensions.code`) and to HTTP responses.
//!
//! `AppError` deliberately does not implement `Display`: async-graphql turns
//! any `Display` error into a bare message, so without it `?` can only use
//! the `From` impl below, which always sets `extensions.code`.

use crate::storage::StorageError;

#[derive(Debug)]
pub enum AppError {
    /// No valid credentials were presented; says which problem, never whose.
    Unauthenticated(String),
    /// The caller is known but may not do this.
    Forbidden(String),
    /// An input value is wrong; `field` is its path (e.g. `input.geometry`).
    Invalid { field: String, reason: String },
    /// The record does not exist.
    NotFound { what: &'static str, id: String },
    /// The change conflicts with existing data (duplicate key, still referenced).
    Conflict(String),
    /// The disk under the data is full: nothing was saved. The server
    /// resumes by itself once space is freed.
    InsufficientStorage(anyhow::Error),
    /// The database cannot be reached now: try again shortly (HTTP 503 with `Retry-After`).
    Unavailable(anyhow::Error),
    /// The request ran out of its time budget (`ODG_REQUEST_TIMEOUT_SECS`,
    /// `after` when known) and was stopped, changing nothing.
    Timeout { after: Option<std::time::Duration> },
    /// Anything else: logged in full, reported to the client as a fixed message.
    Internal(anyhow::Error),
}

pub type AppResult<T> = Result<T, AppError>;

/// Seconds a client should wait before retrying while the database is away.
pub const RETRY_AFTER_SECS: u32 = 5;

/// Marks a response that found the database away, for the HTTP layer to
/// make the next requests check before they wait on it.
#[derive(Clone, Copy, Debug)]
pub struct DatabaseAway;

impl AppError {
    pub fn authentication_required() -> Self {
        AppError::Unauthenticated(
            "authentication required: sign in and send `Authorization: Bearer <access token>`".into(),
        )
    }

    pub fn invalid(field: impl Into<String>, reason: impl Into<String>) -> Self {
        AppError::Invalid { field: field.into(), reason: reason.into() }
    }

    pub fn not_found(what: &'static str, id: impl ToString) -> Self {
        AppError::NotFound { what, id: id.to_string() }
    }

    /// Puts a field path under an argument: `geometry` → `input.geometry`.
    pub fn under(self, argument: &str) -> Self {
        match self {
            AppError::Invalid { field, reason } if field.is_empty() => {
                AppError::Invalid { field: argument.to_string(), reason }
            }
            AppError::Invalid { field, reason } => AppError::Invalid { field: format!("{argument}.{field}"), reason },
            other => other,
        }
    }

    pub fn code(&self) -> &'static str {
        match self {
            AppError::Unauthenticated(_) => "UNAUTHENTICATED",
            AppError::Forbidden(_) => "FORBIDDEN",
            AppError::Invalid { .. } => "BAD_USER_INPUT",
            AppError::NotFound { .. } => "NOT_FOUND",
            AppError::Conflict(_) => "CONFLICT",
            AppError::InsufficientStorage(_) => "INSUFFICIENT_STORAGE",
            AppError::Unavailable(_) => "UNAVAILABLE",
            AppError::Timeout { .. } => "TIMEOUT",
            AppError::Internal(_) => "INTERNAL",
        }
    }

    /// The HTTP status of a response that is this error alone.
    pub fn status(&self) -> axum::http::StatusCode {
        use axum::http::StatusCode;
        match self {
            AppError::Unauthenticated(_) => StatusCode::UNAUTHORIZED,
            AppError::Forbidden(_) => StatusCode::FORBIDDEN,
            AppError::Invalid { .. } => StatusCode::BAD_REQUEST,
            AppError::NotFound { .. } => StatusCode::NOT_FOUND,
            AppError::Conflict(_) => StatusCode::CONFLICT,
            AppError::InsufficientStorage(_) => StatusCode::INSUFFICIENT_STORAGE,
            AppError::Unavailable(_) => StatusCode::SERVICE_UNAVAILABLE,
            // The server, not the request's syntax, set the limit; a proxy
            // in front sees an answer, not a dropped connection.
            AppError::Timeout { .. } => StatusCode::SERVICE_UNAVAILABLE,
            AppError::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }

    /// The message shown to the client: never an internal detail.
    pub fn client_message(&self) -> String {
        match self {
            AppError::Unauthenticated(why) => why.clone(),
            AppError::Forbidden(why) => why.clone(),
            AppError::Invalid { field, reason } if field.is_empty() => reason.clone(),
            AppError::Invalid { field, reason } => format!("{field}: {reason}"),
            AppError::NotFound { what, id } => format!("{what} {id} does not exist"),
            AppError::Conflict(why) => why.clone(),
            AppError::InsufficientStorage(_) => "the server's disk is full, so nothing was saved: an administrator \
                must free space in ODG's data directory; ODG resumes by itself once there is room"
                .into(),
            AppError::Unavailable(_) => {
                format!("the database is unreachable: try again in {RETRY_AFTER_SECS} seconds")
            }
            AppError::Timeout { after } => format!(
                "the request was stopped after {}, the time one request may take (ODG_REQUEST_TIMEOUT_SECS); \
                 ask for less: a simpler geometry, a narrower filter, fewer fields",
                after.map_or("its time budget".to_string(), |d| format!("{} s", d.as_secs()))
            ),
            AppError::Internal(_) => "internal error; the server log has the details".into(),
        }
    }

    /// The error with its full detail, for the CLI and start-up (never for clients).
    pub fn into_anyhow(self) -> anyhow::Error {
        match self {
            AppError::Internal(err) => err,
            AppError::InsufficientStorage(err) => err.context("the disk is full"),
            AppError::Unavailable(err) => err.context("the database is unreachable"),
            other => anyhow::anyhow!("{} ({})", other.client_message(), other.code()),
        }
    }

    fn log_if_internal(&self) {
        match self {
            AppError::Internal(err) => tracing::error!(error = format!("{err:#}"), "internal error"),
            AppError::InsufficientStorage(err) => {
                tracing::error!(error = format!("{err:#}"), "the disk is full: a write was refused")
            }
            AppError::Unavailable(err) => tracing::warn!(error = format!("{err:#}"), "the database is unreachable"),
            _ => {}
        }
    }

    /// An I/O error of a file ODG writes: a full disk (`ENOSPC`, or a quota)
    /// is `InsufficientStorage`, anything else internal; `what` says which file.
    pub fn from_io(err: std::io::Error, what: impl std::fmt::Display) -> Self {
        let full = matches!(err.kind(), std::io::ErrorKind::StorageFull | std::io::ErrorKind::QuotaExceeded);
        let err = anyhow::Error::new(err).context(format!("writing {what}"));
        if full { AppError::InsufficientStorage(err) } else { AppError::Internal(err) }
    }
}

impl From<StorageError> for AppError {
    fn from(err: StorageError) -> Self {
        match err {
            StorageError::UniqueViolation(what) => {
                AppError::Conflict(format!("a record with the same {what} already exists"))
            }
            StorageError::StillReferenced(what) => {
                AppError::Conflict(format!("this record is still referenced by {what}"))
            }
            StorageError::DiskFull(_) => AppError::InsufficientStorage(err.into()),
            StorageError::Unavailable(_) => AppError::Unavailable(err.into()),
            StorageError::Interrupted => AppError::Timeout { after: None },
            other => AppError::Internal(other.into()),
        }
    }
}

impl From<crate::cpu::Failed> for AppError {
    fn from(err: crate::cpu::Failed) -> Self {
        AppError::Internal(err.into())
    }
}

impl From<AppError> for async_graphql::Error {
    fn from(err: AppError) -> Self {
        err.log_if_internal();
        let mut extensions = async_graphql::ErrorExtensionValues::default();
        extensions.set("code", err.code());
        if let AppError::Invalid { field, .. } = &err
            && !field.is_empty()
        {
            extensions.set("field", field.as_str());
        }
        let mut out = async_graphql::Error::new(err.client_message());
        out.extensions = Some(extensions);
        out
    }
}

impl axum::response::IntoResponse for AppError {
    fn into_response(self) -> axum::response::Response {
        self.log_if_internal();
        let status = self.status();
        let body = serde_json::json!({ "code": self.code(), "message": self.client_message() });
        let mut response = (status, axum::Json(body)).into_response();
        if let AppError::Unavailable(_) = self {
            response.headers_mut().insert(axum::http::header::RETRY_AFTER, RETRY_AFTER_SECS.into());
            response.extensions_mut().insert(DatabaseAway);
        }
        response
    }
}
