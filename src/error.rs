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
    /// The request ran out of its time budget (`ODG_REQUEST_TIMEOUT_SECS`,
    /// `after` when known) and was stopped, changing nothing.
    Timeout { after: Option<std::time::Duration> },
    /// Anything else: logged in full, reported to the client as a fixed message.
    Internal(anyhow::Error),
}

pub type AppResult<T> = Result<T, AppError>;

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
            other => anyhow::anyhow!("{} ({})", other.client_message(), other.code()),
        }
    }

    fn log_if_internal(&self) {
        if let AppError::Internal(err) = self {
            tracing::error!(error = format!("{err:#}"), "internal error");
        }
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
        (status, axum::Json(body)).into_response()
    }
}
