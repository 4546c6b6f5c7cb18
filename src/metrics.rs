//! Prometheus metrics: HTTP requests and latency by route, GraphQL errors
//! by code, SQL statements, database pool use and tile-cache hits. One
//! registry per server (no global state), rendered by `/metrics`.

use prometheus_client::encoding::EncodeLabelSet;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::metrics::histogram::{Histogram, exponential_buckets};
use prometheus_client::registry::Registry;
use std::sync::Arc;

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct RequestLabels {
    pub method: String,
    /// The route pattern (`/collections/{id}/items`), never the raw path.
    pub route: String,
    pub status: u16,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct RouteLabels {
    pub route: String,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct CodeLabels {
    pub code: String,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct ResultLabels {
    pub result: String,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct StateLabels {
    pub state: String,
}

#[derive(Clone)]
pub struct Metrics {
    registry: Arc<Registry>,
    pub http_requests: Family<RequestLabels, Counter>,
    pub http_seconds: Family<RouteLabels, Histogram>,
    pub graphql_errors: Family<CodeLabels, Counter>,
    pub tile_cache: Family<ResultLabels, Counter>,
    sql_statements: Counter,
    db_connections: Family<StateLabels, Gauge>,
}

impl Default for Metrics {
    fn default() -> Self {
        Metrics::new()
    }
}

impl Metrics {
    pub fn new() -> Metrics {
        let mut registry = Registry::with_prefix("odg");
        let http_requests = Family::<RequestLabels, Counter>::default();
        // 1 ms to about 33 s.
        let http_seconds = Family::<RouteLabels, Histogram>::new_with_constructor(|| {
            Histogram::new(exponential_buckets(0.001, 2.0, 16))
        });
        let graphql_errors = Family::<CodeLabels, Counter>::default();
        let tile_cache = Family::<ResultLabels, Counter>::default();
        let sql_statements = Counter::default();
        let db_connections = Family::<StateLabels, Gauge>::default();
        registry.register("http_requests", "HTTP requests by method, route and status", http_requests.clone());
        registry.register("http_request_duration_seconds", "HTTP request latency by route", http_seconds.clone());
        registry.register("graphql_errors", "GraphQL errors by extensions.code", graphql_errors.clone());
        registry.register("tile_cache_requests", "Vector tile requests by cache result", tile_cache.clone());
        registry.register("sql_statements", "SQL statements run", sql_statements.clone());
        registry.register("db_connections", "Database pool connections by state", db_connections.clone());
        Metrics {
            registry: Arc::new(registry),
            http_requests,
            http_seconds,
            graphql_errors,
            tile_cache,
            sql_statements,
            db_connections,
        }
    }

    /// The Prometheus text exposition, with the pool and statement
    /// figures read now from `store`.
    pub fn render(&self, store: &crate::storage::Store) -> String {
        let (size, idle) = store.pool_status();
        self.db_connections.get_or_create(&StateLabels { state: "idle".into() }).set(idle as i64);
        self.db_connections
            .get_or_create(&StateLabels { state: "in_use".into() })
            .set(i64::from(size).saturating_sub(idle as i64));
        let seen = self.sql_statements.get();
        let now = store.statements_executed();
        if now > seen {
            self.sql_statements.inc_by(now - seen);
        }
        let mut out = String::new();
        // Writing into a String cannot fail.
        let _ = prometheus_client::encoding::text::encode(&mut out, &self.registry);
        out
    }
}
