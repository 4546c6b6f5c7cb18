//! Configuration: defaults, then an optional `.env`, then the environment.
//! Loaded and checked once; every problem is reported at once.

use crate::graphql::Limits;
use std::net::SocketAddr;
use std::path::PathBuf;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum LogFormat {
    /// Human-readable lines (the default).
    Text,
    /// One JSON object per line, for log collectors.
    Json,
}

#[derive(Clone, Debug)]
pub struct Config {
    /// `DATABASE_URL`; `None` means the embedded SQLite file in `data_dir`.
    pub database_url: Option<String>,
    /// `ODG_DATA_DIR`, default `./data`.
    pub data_dir: PathBuf,
    /// `ODG_BIND`, default `127.0.0.1:8080`.
    pub bind: SocketAddr,
    /// `ODG_LOG_FORMAT`: `text` (default) or `json`.
    pub log_format: LogFormat,
    /// `ODG_GRAPHIQL`: serve GraphiQL at `/graphiql` (default true).
    pub graphiql: bool,
    /// `ODG_DB_MAX_CONNECTIONS`, default 10.
    pub db_max_connections: u32,
    /// `ODG_MAX_BODY_BYTES`: largest request body, default 2 MiB.
    pub max_body_bytes: usize,
    /// `ODG_SHUTDOWN_GRACE_SECS`: how long in-flight requests may finish after SIGTERM, default 30.
    pub shutdown_grace_secs: u64,
    /// Page sizes and query limits (`ODG_DEFAULT_PAGE_SIZE`, `ODG_MAX_PAGE_SIZE`,
    /// `ODG_MAX_FEATURES`, `ODG_MAX_QUERY_DEPTH`, `ODG_MAX_QUERY_COMPLEXITY`).
    pub limits: Limits,
}

/// Every variable ODG reads, for the unknown-variable warning.
const KNOWN: &[&str] = &[
    "ODG_DATA_DIR",
    "ODG_BIND",
    "ODG_LOG_FORMAT",
    "ODG_GRAPHIQL",
    "ODG_DB_MAX_CONNECTIONS",
    "ODG_MAX_BODY_BYTES",
    "ODG_SHUTDOWN_GRACE_SECS",
    "ODG_DEFAULT_PAGE_SIZE",
    "ODG_MAX_PAGE_SIZE",
    "ODG_MAX_FEATURES",
    "ODG_MAX_QUERY_DEPTH",
    "ODG_MAX_QUERY_COMPLEXITY",
];

impl Config {
    /// Reads `.env` (if present) and the environment.
    pub fn load() -> Result<Config, ConfigError> {
        // A missing .env is normal; a malformed one is reported.
        if let Err(e) = dotenvy::dotenv()
            && !e.not_found()
        {
            return Err(ConfigError(vec![format!(".env: {e}")]));
        }
        Config::from_lookup(|name| std::env::var(name).ok())
    }

    /// Builds the configuration from any variable source (tests pass a map).
    pub fn from_lookup(get: impl Fn(&str) -> Option<String>) -> Result<Config, ConfigError> {
        let mut problems = Vec::new();
        let defaults = Limits::default();
        let mut number = |name: &str, default: u64| -> u64 {
            match get(name) {
                None => default,
                Some(v) => v.trim().parse().unwrap_or_else(|_| {
                    problems.push(format!("{name}={v:?} is not a whole number"));
                    default
                }),
            }
        };
        let db_max_connections = number("ODG_DB_MAX_CONNECTIONS", 10) as u32;
        let max_body_bytes = number("ODG_MAX_BODY_BYTES", 2 * 1024 * 1024) as usize;
        let shutdown_grace_secs = number("ODG_SHUTDOWN_GRACE_SECS", 30);
        let limits = Limits {
            default_page_size: number("ODG_DEFAULT_PAGE_SIZE", defaults.default_page_size),
            max_page_size: number("ODG_MAX_PAGE_SIZE", defaults.max_page_size),
            max_feature_collection: number("ODG_MAX_FEATURES", defaults.max_feature_collection),
            depth: number("ODG_MAX_QUERY_DEPTH", defaults.depth as u64) as usize,
            complexity: number("ODG_MAX_QUERY_COMPLEXITY", defaults.complexity as u64) as usize,
        };
        let bind = get("ODG_BIND").unwrap_or_else(|| "127.0.0.1:8080".into());
        let bind = bind.parse().unwrap_or_else(|_| {
            problems.push(format!("ODG_BIND={bind:?} is not an address:port such as 127.0.0.1:8080"));
            SocketAddr::from(([127, 0, 0, 1], 8080))
        });
        let log_format = match get("ODG_LOG_FORMAT").as_deref().map(str::trim) {
            None | Some("") | Some("text") => LogFormat::Text,
            Some("json") => LogFormat::Json,
            Some(other) => {
                problems.push(format!("ODG_LOG_FORMAT={other:?} must be text or json"));
                LogFormat::Text
            }
        };
        let graphiql = match get("ODG_GRAPHIQL").as_deref().map(|v| v.trim().to_ascii_lowercase()) {
            None => true,
            Some(v) if ["1", "true", "yes", "on"].contains(&v.as_str()) => true,
            Some(v) if ["0", "false", "no", "off"].contains(&v.as_str()) => false,
            Some(v) => {
                problems.push(format!("ODG_GRAPHIQL={v:?} must be true or false"));
                true
            }
        };
        if limits.default_page_size == 0 || limits.default_page_size > limits.max_page_size {
            problems.push("ODG_DEFAULT_PAGE_SIZE must be between 1 and ODG_MAX_PAGE_SIZE".into());
        }
        if db_max_connections == 0 {
            problems.push("ODG_DB_MAX_CONNECTIONS must be at least 1".into());
        }
        let database_url = get("DATABASE_URL").map(|u| u.trim().to_string()).filter(|u| !u.is_empty());
        if let Some(url) = &database_url
            && !(url.starts_with("postgres://") || url.starts_with("postgresql://") || url.starts_with("sqlite:"))
        {
            problems
                .push("DATABASE_URL must start with postgres:// (PostgreSQL + PostGIS) or sqlite: (embedded)".into());
        }
        if !problems.is_empty() {
            return Err(ConfigError(problems));
        }
        Ok(Config {
            database_url,
            data_dir: get("ODG_DATA_DIR").map(PathBuf::from).unwrap_or_else(|| PathBuf::from("data")),
            bind,
            log_format,
            graphiql,
            db_max_connections,
            max_body_bytes,
            shutdown_grace_secs,
            limits,
        })
    }

    /// The database to open: `DATABASE_URL`, or `<data_dir>/odg.sqlite`.
    pub fn database_url(&self) -> String {
        match &self.database_url {
            Some(url) => url.clone(),
            None => format!("sqlite://{}", self.data_dir.join("odg.sqlite").display()),
        }
    }

    /// `ODG_*` variables set in the environment that ODG does not read (likely typos).
    pub fn unknown_variables() -> Vec<String> {
        std::env::vars().map(|(k, _)| k).filter(|k| k.starts_with("ODG_") && !KNOWN.contains(&k.as_str())).collect()
    }
}

/// Every configuration problem found, one per line.
#[derive(Debug)]
pub struct ConfigError(pub Vec<String>);

impl std::fmt::Display for ConfigError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "invalid configuration: {}", self.0.join("; "))
    }
}

impl std::error::Error for ConfigError {}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashMap;

    fn load(vars: &[(&str, &str)]) -> Result<Config, ConfigError> {
        let map: HashMap<String, String> = vars.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect();
        Config::from_lookup(|k| map.get(k).cloned())
    }

    #[test]
    fn defaults_give_an_embedded_database_under_data() {
        let config = load(&[]).unwrap();
        assert_eq!(config.database_url(), "sqlite://data/odg.sqlite");
        assert_eq!(config.bind.to_string(), "127.0.0.1:8080");
    }

    #[test]
    fn every_problem_is_reported_at_once() {
        let err =
            load(&[("ODG_BIND", "nowhere"), ("ODG_LOG_FORMAT", "xml"), ("DATABASE_URL", "mysql://x")]).unwrap_err();
        assert_eq!(err.0.len(), 3, "{err}");
    }
}
