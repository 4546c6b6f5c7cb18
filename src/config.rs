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

/// Who may use GraphQL introspection (`__schema`, `__type`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Introspection {
    Everyone,
    /// Callers with a valid access token (analysts in GraphiQL sign in).
    SignedIn,
    Nobody,
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
    /// `ODG_METRICS_TOKEN`: serve `/metrics` on the main address to holders of this bearer token.
    pub metrics_token: Option<Secret>,
    /// `ODG_METRICS_BIND`: serve `/metrics`, without token, on this separate address (e.g. 127.0.0.1:9090).
    pub metrics_bind: Option<SocketAddr>,
    /// `ODG_BACKUP_DIR`: where `odg backup` writes, default `<ODG_DATA_DIR>/backups`.
    pub backup_dir: Option<PathBuf>,
    /// `ODG_MAX_UPLOAD_MB`: largest file upload (multipart GraphQL request), default 512 MiB.
    pub max_upload_bytes: u64,
    /// `ODG_IMPORT_MAX_FEATURES` (default 5 000 000), `ODG_IMPORT_MAX_UNCOMPRESSED_MB`
    /// (ZIP/KMZ expanded size, default 2048), `ODG_IMPORT_MAX_ARCHIVE_ENTRIES` (default 1000).
    pub import_limits: crate::import::ImportLimits,
    /// `ODG_WEB_DIR`: the built web app served at `/`, default `frontend/dist`
    /// (not served when it holds no `index.html`).
    pub web_dir: PathBuf,
    /// `ODG_TILE_CACHE_MB`: memory for cached vector tiles, default 64 MiB (0 turns the cache off).
    pub tile_cache_bytes: u64,
    /// `ODG_ENV`: `development` (default) or `production` (stricter checks).
    pub production: bool,
    /// `ODG_JWT_SECRET`: key signing access tokens. In development a random
    /// key is made at start when unset (tokens then end with the process).
    pub jwt_secret: Option<Secret>,
    /// `ODG_ACCESS_TOKEN_TTL_SECS`, default 900 (15 minutes).
    pub access_token_ttl_secs: u64,
    /// `ODG_REFRESH_TOKEN_TTL_DAYS`, default 30.
    pub refresh_token_ttl_days: u64,
    /// `ODG_PUBLIC_READ`: anonymous clients may read public data (default false; on with `--demo`).
    pub public_read: bool,
    /// `ODG_INTROSPECTION`: who may ask GraphQL for its schema (default:
    /// everyone in development, signed-in users in production).
    pub introspection: Introspection,
    /// `ODG_CORS_ORIGINS`: comma-separated allowed origins, or `*`; empty (default) sends no CORS headers.
    pub cors_origins: Vec<String>,
    /// `ODG_TRUSTED_PROXIES`: comma-separated IPs or CIDRs whose `X-Forwarded-For` is believed.
    pub trusted_proxies: Vec<ipnet::IpNet>,
    /// `ODG_LOGIN_MAX_FAILURES`: failed sign-ins before an account is locked, default 5.
    pub login_max_failures: u32,
    /// `ODG_LOGIN_LOCKOUT_SECS`: first lockout, doubled at each further failure (max 1 h), default 60.
    pub login_lockout_secs: u64,
    /// `ODG_LOGIN_ATTEMPTS_PER_MINUTE`: sign-in attempts per client IP per minute, default 20.
    pub login_attempts_per_minute: u32,
    /// Page sizes and query limits (`ODG_DEFAULT_PAGE_SIZE`, `ODG_MAX_PAGE_SIZE`,
    /// `ODG_MAX_FEATURES`, `ODG_MAX_QUERY_DEPTH`, `ODG_MAX_QUERY_COMPLEXITY`,
    /// `ODG_MAX_RESPONSE_MB`).
    pub limits: Limits,
    /// `ODG_MAX_GEOMETRY_VERTICES`: most positions one geometry input may
    /// have (filters, drawn or edited geometries), default 100 000.
    pub max_geometry_vertices: usize,
    /// `ODG_REQUEST_TIMEOUT_SECS`: time budget of one request, default 60.
    pub request_timeout: std::time::Duration,
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
    "ODG_MAX_RESPONSE_MB",
    "ODG_MAX_GEOMETRY_VERTICES",
    "ODG_REQUEST_TIMEOUT_SECS",
    "ODG_TILE_CACHE_MB",
    "ODG_BACKUP_DIR",
    "ODG_WEB_DIR",
    "ODG_MAX_UPLOAD_MB",
    "ODG_IMPORT_MAX_FEATURES",
    "ODG_IMPORT_MAX_UNCOMPRESSED_MB",
    "ODG_IMPORT_MAX_ARCHIVE_ENTRIES",
    "ODG_METRICS_TOKEN",
    "ODG_METRICS_BIND",
    "ODG_ENV",
    "ODG_JWT_SECRET",
    "ODG_ACCESS_TOKEN_TTL_SECS",
    "ODG_REFRESH_TOKEN_TTL_DAYS",
    "ODG_PUBLIC_READ",
    "ODG_INTROSPECTION",
    "ODG_CORS_ORIGINS",
    "ODG_TRUSTED_PROXIES",
    "ODG_LOGIN_MAX_FAILURES",
    "ODG_LOGIN_LOCKOUT_SECS",
    "ODG_LOGIN_ATTEMPTS_PER_MINUTE",
    "ODG_ALLOW_SQLITE_IN_PRODUCTION",
];

/// Secrets that appear in examples and tutorials: refused in production.
const KNOWN_DEFAULT_SECRETS: &[&str] = &[
    "change-me",
    "changeme",
    "secret",
    "jwt-secret",
    "your-secret-key",
    "CHANGE-ME-generate-with-openssl-rand-base64-48",
];

/// Shortest JWT secret production accepts, in bytes (HS256 wants ≥ 256 bits).
pub const MIN_SECRET_BYTES: usize = 32;

/// A secret that never shows itself in logs or debug output.
#[derive(Clone)]
pub struct Secret(String);

impl Secret {
    pub fn new(value: String) -> Secret {
        Secret(value)
    }
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl std::fmt::Debug for Secret {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Secret(***)")
    }
}

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
        let db_max_connections = number("ODG_DB_MAX_CONNECTIONS", 10);
        let max_body_bytes = number("ODG_MAX_BODY_BYTES", 2 * 1024 * 1024) as usize;
        let shutdown_grace_secs = number("ODG_SHUTDOWN_GRACE_SECS", 30);
        let tile_cache_bytes = number("ODG_TILE_CACHE_MB", 64).saturating_mul(1024 * 1024);
        let access_token_ttl_secs = number("ODG_ACCESS_TOKEN_TTL_SECS", 900);
        let refresh_token_ttl_days = number("ODG_REFRESH_TOKEN_TTL_DAYS", 30);
        let login_max_failures = number("ODG_LOGIN_MAX_FAILURES", 5);
        let login_lockout_secs = number("ODG_LOGIN_LOCKOUT_SECS", 60);
        let login_attempts_per_minute = number("ODG_LOGIN_ATTEMPTS_PER_MINUTE", 20);
        let max_upload_bytes = number("ODG_MAX_UPLOAD_MB", 512).saturating_mul(1024 * 1024);
        let data_dir = get("ODG_DATA_DIR").map(PathBuf::from).unwrap_or_else(|| PathBuf::from("data"));
        let import_limits = crate::import::ImportLimits {
            max_features: number("ODG_IMPORT_MAX_FEATURES", 5_000_000),
            max_uncompressed_bytes: number("ODG_IMPORT_MAX_UNCOMPRESSED_MB", 2048).saturating_mul(1024 * 1024),
            max_archive_entries: number("ODG_IMPORT_MAX_ARCHIVE_ENTRIES", 1000) as usize,
            // GeoTIFF files are kept beside the database for the tiles to serve.
            raster_dir: Some(data_dir.join("rasters")),
            lease_dir: Some(data_dir.join("imports")),
        };
        let limits = Limits {
            default_page_size: number("ODG_DEFAULT_PAGE_SIZE", defaults.default_page_size),
            max_page_size: number("ODG_MAX_PAGE_SIZE", defaults.max_page_size),
            max_feature_collection: number("ODG_MAX_FEATURES", defaults.max_feature_collection),
            depth: number("ODG_MAX_QUERY_DEPTH", defaults.depth as u64) as usize,
            complexity: number("ODG_MAX_QUERY_COMPLEXITY", defaults.complexity as u64) as usize,
            max_response_bytes: number("ODG_MAX_RESPONSE_MB", (defaults.max_response_bytes >> 20) as u64)
                .saturating_mul(1024 * 1024) as usize,
        };
        let max_geometry_vertices = number("ODG_MAX_GEOMETRY_VERTICES", 100_000);
        let request_timeout_secs = number("ODG_REQUEST_TIMEOUT_SECS", 60);
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
        let mut flag = |name: &str, default: bool| -> bool {
            match get(name).map(|v| v.trim().to_ascii_lowercase()) {
                None => default,
                Some(v) if ["1", "true", "yes", "on"].contains(&v.as_str()) => true,
                Some(v) if ["0", "false", "no", "off"].contains(&v.as_str()) => false,
                Some(v) => {
                    problems.push(format!("{name}={v:?} must be true or false"));
                    default
                }
            }
        };
        let graphiql = flag("ODG_GRAPHIQL", true);
        let public_read = flag("ODG_PUBLIC_READ", false);
        let allow_sqlite_in_production = flag("ODG_ALLOW_SQLITE_IN_PRODUCTION", false);
        let production = match get("ODG_ENV").as_deref().map(str::trim) {
            None | Some("") | Some("development") => false,
            Some("production") => true,
            Some(other) => {
                problems.push(format!("ODG_ENV={other:?} must be development or production"));
                false
            }
        };
        // Production keeps the schema's map from anonymous callers by default.
        let introspection = match get("ODG_INTROSPECTION").map(|v| v.trim().to_ascii_lowercase()).as_deref() {
            None | Some("") => {
                if production {
                    Introspection::SignedIn
                } else {
                    Introspection::Everyone
                }
            }
            Some("1" | "true" | "yes" | "on" | "everyone") => Introspection::Everyone,
            Some("signed-in") => Introspection::SignedIn,
            Some("0" | "false" | "no" | "off") => Introspection::Nobody,
            Some(other) => {
                problems.push(format!("ODG_INTROSPECTION={other:?} must be true, signed-in or false"));
                Introspection::Nobody
            }
        };
        let list = |name: &str| -> Vec<String> {
            get(name).unwrap_or_default().split(',').map(|v| v.trim().to_string()).filter(|v| !v.is_empty()).collect()
        };
        let cors_origins = list("ODG_CORS_ORIGINS");
        let mut trusted_proxies = Vec::new();
        for entry in list("ODG_TRUSTED_PROXIES") {
            let parsed =
                entry.parse::<ipnet::IpNet>().or_else(|_| entry.parse::<std::net::IpAddr>().map(ipnet::IpNet::from));
            match parsed {
                Ok(net) => trusted_proxies.push(net),
                Err(_) => problems.push(format!("ODG_TRUSTED_PROXIES: {entry:?} is not an IP address or CIDR")),
            }
        }
        let jwt_secret = get("ODG_JWT_SECRET").filter(|v| !v.is_empty()).map(Secret);
        let metrics_token = get("ODG_METRICS_TOKEN").filter(|v| !v.is_empty()).map(Secret);
        if metrics_token.as_ref().is_some_and(|t| t.expose().len() < 16) {
            problems.push("ODG_METRICS_TOKEN must be at least 16 characters".into());
        }
        let metrics_bind = match get("ODG_METRICS_BIND").filter(|v| !v.trim().is_empty()) {
            None => None,
            Some(v) => match v.trim().parse() {
                Ok(addr) => Some(addr),
                Err(_) => {
                    problems.push(format!("ODG_METRICS_BIND={v:?} is not an address:port such as 127.0.0.1:9090"));
                    None
                }
            },
        };
        if limits.default_page_size == 0 || limits.default_page_size > limits.max_page_size {
            problems.push("ODG_DEFAULT_PAGE_SIZE must be between 1 and ODG_MAX_PAGE_SIZE".into());
        }
        for (name, value, max) in [
            ("ODG_LOGIN_ATTEMPTS_PER_MINUTE", login_attempts_per_minute, 1_000_000),
            ("ODG_LOGIN_MAX_FAILURES", login_max_failures, 1_000),
            ("ODG_DB_MAX_CONNECTIONS", db_max_connections, 1_000),
            ("ODG_ACCESS_TOKEN_TTL_SECS", access_token_ttl_secs, 7 * 24 * 3600),
            ("ODG_REFRESH_TOKEN_TTL_DAYS", refresh_token_ttl_days, 3650),
            ("ODG_REQUEST_TIMEOUT_SECS", request_timeout_secs, 3600),
            ("ODG_MAX_RESPONSE_MB", (limits.max_response_bytes >> 20) as u64, 16 * 1024),
        ] {
            if value == 0 || value > max {
                problems.push(format!("{name}={value} must be between 1 and {max}"));
            }
        }
        // A polygon needs four positions; past ten million, one request's
        // geometry alone would fill gigabytes.
        if !(4..=10_000_000).contains(&max_geometry_vertices) {
            problems.push(format!("ODG_MAX_GEOMETRY_VERTICES={max_geometry_vertices} must be between 4 and 10000000"));
        }
        for origin in &cors_origins {
            let valid = origin == "*"
                || ((origin.starts_with("https://") || origin.starts_with("http://"))
                    && origin.splitn(4, '/').nth(3).is_none()
                    && axum::http::HeaderValue::from_str(origin).is_ok());
            if !valid {
                problems.push(format!(
                    "ODG_CORS_ORIGINS: {origin:?} is not an origin such as https://carte.example.org (scheme and host, no path or trailing slash)"
                ));
            }
        }
        let database_url = get("DATABASE_URL").map(|u| u.trim().to_string()).filter(|u| !u.is_empty());
        if production {
            match &jwt_secret {
                None => problems.push(
                    "production needs ODG_JWT_SECRET: generate one with `openssl rand -base64 48`".into(),
                ),
                Some(secret) if KNOWN_DEFAULT_SECRETS.contains(&secret.expose()) => problems.push(
                    "ODG_JWT_SECRET is a published example value: generate one with `openssl rand -base64 48`".into(),
                ),
                Some(secret) if secret.expose().len() < MIN_SECRET_BYTES => problems.push(format!(
                    "ODG_JWT_SECRET is shorter than {MIN_SECRET_BYTES} bytes: generate one with `openssl rand -base64 48`"
                )),
                Some(_) => {}
            }
            if cors_origins.iter().any(|o| o == "*") {
                problems.push("ODG_CORS_ORIGINS=* is refused in production: list the web app's origins".into());
            }
            let sqlite = database_url.as_deref().is_none_or(|u| u.starts_with("sqlite:"));
            if sqlite && !allow_sqlite_in_production {
                problems.push(
                    "production runs on PostgreSQL + PostGIS (set DATABASE_URL); to run on SQLite anyway set ODG_ALLOW_SQLITE_IN_PRODUCTION=true".into(),
                );
            }
        }
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
            data_dir,
            bind,
            log_format,
            graphiql,
            db_max_connections: db_max_connections as u32,
            max_body_bytes,
            shutdown_grace_secs,
            tile_cache_bytes,
            backup_dir: get("ODG_BACKUP_DIR").filter(|v| !v.trim().is_empty()).map(PathBuf::from),
            max_upload_bytes,
            import_limits,
            web_dir: get("ODG_WEB_DIR")
                .filter(|v| !v.trim().is_empty())
                .map(PathBuf::from)
                .unwrap_or_else(default_web_dir),
            metrics_token,
            metrics_bind,
            production,
            jwt_secret,
            access_token_ttl_secs,
            refresh_token_ttl_days,
            public_read,
            introspection,
            cors_origins,
            trusted_proxies,
            login_max_failures: login_max_failures as u32,
            login_lockout_secs,
            login_attempts_per_minute: login_attempts_per_minute as u32,
            limits,
            max_geometry_vertices: max_geometry_vertices as usize,
            request_timeout: std::time::Duration::from_secs(request_timeout_secs),
        })
    }

    /// The database to open: `DATABASE_URL`, or `<data_dir>/odg.sqlite`.
    pub fn database_url(&self) -> String {
        match &self.database_url {
            Some(url) => url.clone(),
            None => format!("sqlite://{}", self.data_dir.join("odg.sqlite").display()),
        }
    }

    /// Where backups go.
    pub fn backup_dir(&self) -> PathBuf {
        self.backup_dir.clone().unwrap_or_else(|| self.data_dir.join("backups"))
    }

    /// `ODG_*` variables set in the environment that ODG does not read (likely typos).
    pub fn unknown_variables() -> Vec<String> {
        std::env::vars().map(|(k, _)| k).filter(|k| k.starts_with("ODG_") && !KNOWN.contains(&k.as_str())).collect()
    }
}

/// Every configuration problem found, one per line.
#[derive(Debug)]
pub struct ConfigError(pub Vec<String>);

/// `frontend/dist` under the working directory, else under the source tree
/// the binary was built from (so `cargo run` works from any directory).
fn default_web_dir() -> PathBuf {
    let local = PathBuf::from("frontend/dist");
    if local.join("index.html").is_file() {
        return local;
    }
    let built = PathBuf::from(concat!(env!("CARGO_MANIFEST_DIR"), "/frontend/dist"));
    if built.join("index.html").is_file() { built } else { local }
}

impl std::fmt::Display for ConfigError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // One line per problem, each with its fix.
        write!(f, "invalid configuration:\n  {}", self.0.join("\n  "))
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
    fn production_refuses_weak_settings_each_with_its_own_line() {
        let err =
            load(&[("ODG_ENV", "production"), ("ODG_JWT_SECRET", "short"), ("ODG_CORS_ORIGINS", "*")]).unwrap_err();
        assert_eq!(err.0.len(), 3, "{err}");
        assert!(err.0[0].contains("shorter than 32 bytes"), "{err}");
        let err = load(&[("ODG_ENV", "production"), ("DATABASE_URL", "postgres://x/y")]).unwrap_err();
        assert!(err.0[0].contains("ODG_JWT_SECRET"), "{err}");
        let err =
            load(&[("ODG_ENV", "production"), ("ODG_JWT_SECRET", "change-me"), ("DATABASE_URL", "postgres://x/y")])
                .unwrap_err();
        assert!(err.0[0].contains("example value"), "{err}");
        let ok =
            load(&[("ODG_ENV", "production"), ("ODG_JWT_SECRET", &"k".repeat(48)), ("DATABASE_URL", "postgres://x/y")]);
        assert!(ok.is_ok());
        let sqlite_ok = load(&[
            ("ODG_ENV", "production"),
            ("ODG_JWT_SECRET", &"k".repeat(48)),
            ("ODG_ALLOW_SQLITE_IN_PRODUCTION", "true"),
        ]);
        assert!(sqlite_ok.is_ok());
    }

    #[test]
    fn introspection_is_for_signed_in_callers_by_default_in_production_only() {
        let production = [
            ("ODG_ENV", "production"),
            ("ODG_JWT_SECRET", "kkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkk"),
            ("DATABASE_URL", "postgres://x/y"),
        ];
        assert_eq!(load(&production).unwrap().introspection, Introspection::SignedIn);
        assert_eq!(load(&[]).unwrap().introspection, Introspection::Everyone);
        assert_eq!(load(&[("ODG_INTROSPECTION", "false")]).unwrap().introspection, Introspection::Nobody);
        assert_eq!(load(&[("ODG_INTROSPECTION", "Signed-In")]).unwrap().introspection, Introspection::SignedIn);
        let open = [&production[..], &[("ODG_INTROSPECTION", "true")]].concat();
        assert_eq!(load(&open).unwrap().introspection, Introspection::Everyone);
        assert!(load(&[("ODG_INTROSPECTION", "maybe")]).unwrap_err().to_string().contains("ODG_INTROSPECTION"));
    }

    #[test]
    fn out_of_range_numbers_and_bad_origins_are_refused() {
        let err = load(&[
            ("ODG_LOGIN_MAX_FAILURES", "4294967297"),
            ("ODG_ACCESS_TOKEN_TTL_SECS", "0"),
            ("ODG_CORS_ORIGINS", "https://carte.example.org/, https://ok.example.org"),
        ])
        .unwrap_err();
        assert_eq!(err.0.len(), 3, "{err}");
    }

    #[test]
    fn secrets_do_not_print() {
        let config = load(&[("ODG_JWT_SECRET", "super-secret-value-of-some-length")]).unwrap();
        assert!(!format!("{config:?}").contains("super-secret"));
    }

    #[test]
    fn request_bounds_have_defaults_and_ranges() {
        let config = load(&[]).unwrap();
        assert_eq!(config.max_geometry_vertices, 100_000);
        assert_eq!(config.request_timeout.as_secs(), 60);
        assert_eq!(config.limits.max_response_bytes, 64 * 1024 * 1024);
        let config = load(&[("ODG_MAX_RESPONSE_MB", "8"), ("ODG_REQUEST_TIMEOUT_SECS", "5")]).unwrap();
        assert_eq!(config.limits.max_response_bytes, 8 * 1024 * 1024);
        assert_eq!(config.request_timeout.as_secs(), 5);
        let err = load(&[
            ("ODG_MAX_GEOMETRY_VERTICES", "3"),
            ("ODG_REQUEST_TIMEOUT_SECS", "0"),
            ("ODG_MAX_RESPONSE_MB", "0"),
        ])
        .unwrap_err();
        assert_eq!(err.0.len(), 3, "{err}");
    }

    #[test]
    fn every_problem_is_reported_at_once() {
        let err =
            load(&[("ODG_BIND", "nowhere"), ("ODG_LOG_FORMAT", "xml"), ("DATABASE_URL", "mysql://x")]).unwrap_err();
        assert_eq!(err.0.len(), 3, "{err}");
    }
}
