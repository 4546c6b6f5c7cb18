//! HTTP: the router, GraphQL transport, GraphiQL, health endpoints.

use crate::auth::Auth;
use crate::domain::Catalog;
use crate::error::AppError;
use crate::graphql::{self, ClientIp, OdgSchema};
use crate::web::bearer;
use async_graphql::http::GraphiQLSource;
use async_graphql_axum::{GraphQLRequest, GraphQLResponse};
use axum::Router;
use axum::extract::ConnectInfo;
use axum::extract::{DefaultBodyLimit, State};
use axum::http::StatusCode;
use axum::http::{HeaderMap, HeaderValue, Method, header};
use axum::response::{Html, IntoResponse, Response};
use axum::routing::get;
use futures_util::StreamExt;
use ipnet::IpNet;
use std::net::{IpAddr, SocketAddr};
use std::sync::Arc;
use std::time::Duration;
use tower_http::LatencyUnit;
use tower_http::cors::{AllowOrigin, CorsLayer};
use tower_http::limit::RequestBodyLimitLayer;
use tower_http::request_id::{MakeRequestUuid, PropagateRequestIdLayer, SetRequestIdLayer};
use tower_http::set_header::SetResponseHeaderLayer;
use tower_http::trace::{DefaultOnResponse, TraceLayer};
use tracing::Level;

pub(crate) mod export;
mod webapp;
pub use webapp::WebApp;

/// What every handler shares.
#[derive(Clone)]
pub struct AppState {
    pub schema: OdgSchema,
    pub catalog: Catalog,
    pub auth: Auth,
    pub tile_cache: crate::tiles::TileCache,
    pub metrics: crate::metrics::Metrics,
    /// Proxies whose `X-Forwarded-For` is believed (`ODG_TRUSTED_PROXIES`).
    pub trusted_proxies: Arc<Vec<IpNet>>,
    /// `ODG_MAX_BODY_BYTES`, for JSON bodies on the upload route.
    pub max_body_bytes: usize,
    /// `ODG_MAX_UPLOAD_MB` in bytes: the largest multipart request.
    pub max_upload_bytes: usize,
    /// `ODG_DATA_DIR`, named to clients when its disk is full.
    pub data_dir: Arc<std::path::Path>,
}

/// What the router needs from the configuration.
pub struct HttpOptions {
    pub graphiql: bool,
    pub max_body_bytes: usize,
    /// Largest multipart GraphQL request (file uploads).
    pub max_upload_bytes: usize,
    /// Allowed browser origins; `*` for any; empty for no CORS headers.
    pub cors_origins: Vec<String>,
    /// Bearer token of `/metrics` on this router; `None`: not served here.
    pub metrics_token: Option<crate::config::Secret>,
    /// The built web app's directory (`ODG_WEB_DIR`).
    pub web_dir: std::path::PathBuf,
    /// Longest time one request may take (`ODG_REQUEST_TIMEOUT_SECS`).
    pub request_timeout: Duration,
}

pub fn router(state: AppState, options: HttpOptions) -> Router {
    let HttpOptions {
        graphiql,
        max_body_bytes,
        max_upload_bytes,
        cors_origins,
        metrics_token,
        web_dir,
        request_timeout,
    } = options;
    let web_app = webapp::WebApp::open(&web_dir);
    let mut router = Router::new()
        .route("/graphql", get(graphql_get_or_subscribe))
        .route("/healthz", get(healthz))
        .route("/readyz", get(readyz))
        .route("/layers/{id}/export", get(export::layer_export));
    if graphiql {
        router = router.route("/graphiql", get(graphiql_page));
    }
    if let Some(token) = metrics_token {
        router = router.route(
            "/metrics",
            get(move |State(state): State<AppState>, headers: HeaderMap| async move {
                if !bearer(&headers).is_some_and(|given| same_secret(given, token.expose())) {
                    return (StatusCode::UNAUTHORIZED, "send the metrics token as `Authorization: Bearer …`")
                        .into_response();
                }
                metrics_text(&state)
            }),
        );
    }
    let metrics = state.metrics.clone();
    let state_availability = state.catalog.store().availability().clone();
    let ogc = crate::ogc::router(crate::ogc::OgcState::new(state.catalog.clone(), state.auth.clone(), web_app.clone()));
    let tiles = crate::tiles::router(crate::tiles::TilesState {
        catalog: state.catalog.clone(),
        auth: state.auth.clone(),
        cache: state.tile_cache.clone(),
        metrics: state.metrics.clone(),
    })
    .layer(tower_http::compression::CompressionLayer::new());
    // Uploads come as multipart POSTs to /graphql, with their own size
    // limit; every other body keeps the small one (JSON bodies included, see `graphql_post`).
    let uploads = Router::new()
        .route("/graphql", axum::routing::post(graphql_post))
        .with_state(state.clone())
        .layer(DefaultBodyLimit::max(max_upload_bytes.max(max_body_bytes)))
        .layer(RequestBodyLimitLayer::new(max_upload_bytes.max(max_body_bytes)));
    let limited = router
        .with_state(state)
        .merge(ogc)
        .merge(tiles)
        .layer(DefaultBodyLimit::max(max_body_bytes))
        .layer(RequestBodyLimitLayer::new(max_body_bytes));
    let availability = state_availability;
    let mut router = limited.merge(uploads);
    if let Some(web_app) = &web_app {
        router = router.fallback_service(web_app.router());
    }
    router
        .layer(axum::middleware::from_fn_with_state(availability, database_gate))
        .layer(axum::middleware::from_fn_with_state(request_timeout, time_budget))
        .layer(PropagateRequestIdLayer::x_request_id())
        .layer(
            TraceLayer::new_for_http()
                .make_span_with(request_span)
                .on_request(())
                .on_response(DefaultOnResponse::new().level(Level::INFO).latency_unit(LatencyUnit::Millis)),
        )
        .layer(SetRequestIdLayer::x_request_id(MakeRequestUuid))
        .layer(axum::middleware::from_fn_with_state(metrics, count_request))
        // Outermost, so that answers made by the layers above (413, 503)
        // carry the security and CORS headers too.
        .layer(SetResponseHeaderLayer::if_not_present(
            header::X_CONTENT_TYPE_OPTIONS,
            HeaderValue::from_static("nosniff"),
        ))
        .layer(SetResponseHeaderLayer::if_not_present(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY")))
        .layer(SetResponseHeaderLayer::if_not_present(header::REFERRER_POLICY, HeaderValue::from_static("no-referrer")))
        .layer(SetResponseHeaderLayer::if_not_present(
            header::CONTENT_SECURITY_POLICY,
            HeaderValue::from_static(API_CSP),
        ))
        .layer(cors(&cors_origins))
}

/// Cuts a request at its time budget. Dropping the handler's future also
/// sets the stop flag of any blocking work it awaited (see [`crate::cpu`]),
/// so that work ends soon after. GraphQL clients get a GraphQL answer,
/// others the JSON error; both with `extensions.code`/`code` TIMEOUT.
async fn time_budget(
    State(budget): State<Duration>,
    request: axum::extract::Request,
    next: axum::middleware::Next,
) -> Response {
    let graphql = request.uri().path() == "/graphql";
    match tokio::time::timeout(budget, next.run(request)).await {
        Ok(response) => response,
        Err(_) => {
            tracing::warn!(budget_secs = budget.as_secs(), "request stopped at its time budget");
            let err = AppError::Timeout { after: Some(budget) };
            if !graphql {
                return err.into_response();
            }
            let status = err.status();
            let mut response = GraphQLResponse::from(graphql::error_response(err)).into_response();
            *response.status_mut() = status;
            response
        }
    }
}

/// Compares secrets in time independent of where they differ.
fn same_secret(given: &str, expected: &str) -> bool {
    given.len() == expected.len() && given.bytes().zip(expected.bytes()).fold(0u8, |acc, (a, b)| acc | (a ^ b)) == 0
}

/// A router serving `/metrics` alone, without token, for `ODG_METRICS_BIND`.
pub fn metrics_router(state: AppState) -> Router {
    Router::new()
        .route("/metrics", get(|State(state): State<AppState>| async move { metrics_text(&state) }))
        .with_state(state)
}

fn metrics_text(state: &AppState) -> Response {
    let body = state.metrics.render(state.catalog.store());
    ([(header::CONTENT_TYPE, "text/plain; version=0.0.4; charset=utf-8")], body).into_response()
}

/// Counts every request by route pattern and status, and times it.
async fn count_request(
    State(metrics): State<crate::metrics::Metrics>,
    request: axum::extract::Request,
    next: axum::middleware::Next,
) -> Response {
    let route = request
        .extensions()
        .get::<axum::extract::MatchedPath>()
        .map(|p| p.as_str().to_string())
        .unwrap_or_else(|| "unmatched".into());
    let method = request.method().to_string();
    let started = std::time::Instant::now();
    let response = next.run(request).await;
    let labels = crate::metrics::RequestLabels { method, route: route.clone(), status: response.status().as_u16() };
    metrics.http_requests.get_or_create(&labels).inc();
    metrics.http_seconds.get_or_create(&crate::metrics::RouteLabels { route }).observe(started.elapsed().as_secs_f64());
    response
}

/// Responses of the API itself load nothing; GraphiQL sets its own policy.
const API_CSP: &str = "default-src 'none'; frame-ancestors 'none'";
/// GraphiQL's page loads its scripts and styles from unpkg.
const GRAPHIQL_CSP: &str = "default-src 'self'; script-src 'self' 'unsafe-inline' https://unpkg.com; \
     style-src 'self' 'unsafe-inline' https://unpkg.com; img-src 'self' data: https:; \
     font-src 'self' data: https://unpkg.com; connect-src 'self'; frame-ancestors 'none'";

fn cors(origins: &[String]) -> CorsLayer {
    if origins.is_empty() {
        return CorsLayer::new();
    }
    let layer = CorsLayer::new()
        .allow_methods([Method::GET, Method::POST, Method::OPTIONS])
        .allow_headers([header::AUTHORIZATION, header::CONTENT_TYPE])
        .max_age(Duration::from_secs(3600));
    if origins.iter().any(|o| o == "*") {
        layer.allow_origin(AllowOrigin::any())
    } else {
        let list: Vec<HeaderValue> = origins.iter().filter_map(|o| HeaderValue::from_str(o).ok()).collect();
        layer.allow_origin(AllowOrigin::list(list))
    }
}

/// The client's address: the peer, or, when the peer is a trusted proxy,
/// the nearest untrusted address of `X-Forwarded-For`.
fn client_ip(peer: IpAddr, headers: &HeaderMap, trusted: &[IpNet]) -> IpAddr {
    if !trusted.iter().any(|net| net.contains(&peer)) {
        return peer;
    }
    let forwarded = headers.get_all("x-forwarded-for").iter().filter_map(|v| v.to_str().ok());
    let hops: Vec<IpAddr> = forwarded.flat_map(|v| v.split(',')).filter_map(|h| h.trim().parse().ok()).collect();
    hops.into_iter().rev().find(|ip| !trusted.iter().any(|net| net.contains(ip))).unwrap_or(peer)
}

/// POST: JSON bodies within `ODG_MAX_BODY_BYTES`; multipart requests
/// (uploads) within `ODG_MAX_UPLOAD_MB`, their files streamed to disk.
async fn graphql_post(
    State(state): State<AppState>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    request: axum::extract::Request,
) -> Response {
    use axum::extract::FromRequest;
    let headers = request.headers().clone();
    let multipart = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.to_ascii_lowercase().starts_with("multipart/"));
    let declared =
        headers.get(header::CONTENT_LENGTH).and_then(|v| v.to_str().ok()).and_then(|v| v.parse::<usize>().ok());
    // A chunked upload announces no length: the limit layer cuts it at the
    // limit, which the multipart parser reports as a bad request.
    let cut_at_limit = Arc::new(std::sync::atomic::AtomicBool::new(false));
    let request = if multipart {
        let (parts, body) = request.into_parts();
        let cut = cut_at_limit.clone();
        let body = body.into_data_stream().inspect(move |chunk| {
            if let Err(e) = chunk
                && is_length_limit(e)
            {
                cut.store(true, std::sync::atomic::Ordering::Relaxed);
            }
        });
        axum::extract::Request::from_parts(parts, axum::body::Body::from_stream(body))
    } else if declared.is_some_and(|n| n > state.max_body_bytes) {
        // Read and thrown away, never kept: a proxy that streams the body
        // (nginx) then gets the 413 instead of a connection closed under it.
        // Bodies beyond the upload limit were refused from the headers already.
        use axum::body::HttpBody;
        let mut body = request.into_body();
        while let Some(Ok(_)) = std::future::poll_fn(|cx| std::pin::Pin::new(&mut body).poll_frame(cx)).await {}
        return (StatusCode::PAYLOAD_TOO_LARGE, "the request body is larger than ODG_MAX_BODY_BYTES").into_response();
    } else {
        let (parts, body) = request.into_parts();
        match axum::body::to_bytes(body, state.max_body_bytes).await {
            Ok(bytes) => axum::extract::Request::from_parts(parts, axum::body::Body::from(bytes)),
            Err(_) => {
                return (StatusCode::PAYLOAD_TOO_LARGE, "the request body is larger than ODG_MAX_BODY_BYTES")
                    .into_response();
            }
        }
    };
    match GraphQLRequest::<async_graphql_axum::rejection::GraphQLRejection>::from_request(request, &state).await {
        Ok(request) => run(&state, peer, &headers, request.into_inner()).await,
        Err(_) if cut_at_limit.load(std::sync::atomic::Ordering::Relaxed) => (
            StatusCode::PAYLOAD_TOO_LARGE,
            format!("the upload is larger than ODG_MAX_UPLOAD_MB ({} MiB)", state.max_upload_bytes / (1024 * 1024)),
        )
            .into_response(),
        Err(rejection) => rejection.into_response(),
    }
}

/// Whether a body error is the upload limit's cut.
fn is_length_limit(err: &axum::Error) -> bool {
    let mut cause: Option<&(dyn std::error::Error + 'static)> = Some(err);
    while let Some(e) = cause {
        if e.is::<http_body_util::LengthLimitError>() {
            return true;
        }
        cause = e.source();
    }
    false
}

/// Runs a GraphQL request for the client at `peer`, with its bearer token.
async fn run(state: &AppState, peer: SocketAddr, headers: &HeaderMap, request: async_graphql::Request) -> Response {
    let ip = ClientIp(Some(client_ip(peer.ip(), headers, &state.trusted_proxies)));
    let mut response = graphql::execute(&state.schema, &state.catalog, &state.auth, bearer(headers), ip, request).await;
    name_the_full_disk(&mut response, &state.data_dir);
    respond(&state.metrics, response).await
}

/// A full disk is the administrator's to mend: the message says where.
fn name_the_full_disk(response: &mut async_graphql::Response, data_dir: &std::path::Path) {
    let full = async_graphql::Value::from("INSUFFICIENT_STORAGE");
    for error in &mut response.errors {
        if error.extensions.as_ref().and_then(|e| e.get("code")) == Some(&full) {
            error.message = format!("{} (data directory: {})", error.message, data_dir.display());
        }
    }
}

/// Paths that read or write the database; the others (health, metrics,
/// GraphiQL, the web app's files) answer while it is away.
const DATABASE_PATHS: &[&str] = &["/graphql", "/ogc", "/collections", "/conformance", "/tiles/", "/layers/", "/api"];

/// While the database is away, requests that need it get 503 with
/// `Retry-After` at once instead of waiting for the pool's timeout; an
/// answer that finds it away makes the next requests check first.
async fn database_gate(
    State(availability): State<crate::storage::Availability>,
    request: axum::extract::Request,
    next: axum::middleware::Next,
) -> Response {
    let path = request.uri().path();
    let needs_database = DATABASE_PATHS.iter().any(|p| path == *p || path.starts_with(p));
    if needs_database && !availability.usable().await {
        let away = crate::error::AppError::Unavailable(anyhow::anyhow!("refused while the database is away"));
        if path == "/graphql" {
            let mut error = async_graphql::ServerError::new(away.client_message(), None);
            let mut extensions = async_graphql::ErrorExtensionValues::default();
            extensions.set("code", away.code());
            error.extensions = Some(extensions);
            let body = async_graphql::Response::from_errors(vec![error]);
            let mut response = GraphQLResponse::from(body).into_response();
            *response.status_mut() = StatusCode::SERVICE_UNAVAILABLE;
            response.headers_mut().insert(header::RETRY_AFTER, crate::error::RETRY_AFTER_SECS.into());
            return response;
        }
        return away.into_response();
    }
    let response = next.run(request).await;
    if response.extensions().get::<crate::error::DatabaseAway>().is_some() {
        availability.mark_away();
    }
    response
}

/// A request that could not run at all (syntax, validation, limits) is a
/// 400, as GraphQL over HTTP asks; field errors keep 200 with partial data;
/// a request that found the database away is a 503 with `Retry-After`.
async fn respond(metrics: &crate::metrics::Metrics, response: async_graphql::Response) -> Response {
    let away = async_graphql::Value::from("UNAVAILABLE");
    let found_away = response.errors.iter().any(|e| e.extensions.as_ref().and_then(|x| x.get("code")) == Some(&away));
    for error in &response.errors {
        let code = error
            .extensions
            .as_ref()
            .and_then(|e| e.get("code"))
            .map(|c| c.to_string().trim_matches('"').to_string())
            .unwrap_or_else(|| "NONE".into());
        metrics.graphql_errors.get_or_create(&crate::metrics::CodeLabels { code }).inc();
    }
    let rejected = response.data == async_graphql::Value::Null
        && !response.errors.is_empty()
        && response.errors.iter().all(|e| e.path.is_empty());
    // Writing out tens of megabytes of JSON takes a core for a while: not
    // on an async worker (see `crate::cpu`).
    let written = tokio::task::spawn_blocking(move || GraphQLResponse::from(response).into_response()).await;
    let mut http = match written {
        Ok(http) => http,
        Err(e) => return AppError::Internal(anyhow::anyhow!("writing a GraphQL response: {e}")).into_response(),
    };
    if found_away {
        *http.status_mut() = StatusCode::SERVICE_UNAVAILABLE;
        http.headers_mut().insert(header::RETRY_AFTER, crate::error::RETRY_AFTER_SECS.into());
        http.extensions_mut().insert(crate::error::DatabaseAway);
    } else if rejected {
        *http.status_mut() = StatusCode::BAD_REQUEST;
    }
    http
}

/// GET: a WebSocket upgrade for subscriptions (graphql-transport-ws or the
/// older graphql-ws protocol), else a query over HTTP.
async fn graphql_get_or_subscribe(
    State(state): State<AppState>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    request: axum::extract::Request,
) -> Response {
    use axum::extract::{FromRequest, FromRequestParts};
    let upgrade = request
        .headers()
        .get(header::UPGRADE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.eq_ignore_ascii_case("websocket"));
    if upgrade {
        let (mut parts, _) = request.into_parts();
        let protocol = match async_graphql_axum::GraphQLProtocol::from_request_parts(&mut parts, &state).await {
            Ok(p) => p,
            Err(status) => return status.into_response(),
        };
        let socket = match axum::extract::ws::WebSocketUpgrade::from_request_parts(&mut parts, &state).await {
            Ok(s) => s,
            Err(rejection) => return rejection.into_response(),
        };
        let ip = ClientIp(Some(client_ip(peer.ip(), &parts.headers, &state.trusted_proxies)));
        return subscribe(state, socket, protocol, ip);
    }
    let headers = request.headers().clone();
    match GraphQLRequest::<async_graphql_axum::rejection::GraphQLRejection>::from_request(request, &state).await {
        Ok(request) => graphql_get(state, peer, headers, request).await,
        Err(rejection) => rejection.into_response(),
    }
}

/// A subscription connection: the client sends its token in the
/// `connection_init` payload (`{"Authorization": "Bearer …"}`), since
/// browsers cannot set headers on a WebSocket.
fn subscribe(
    state: AppState,
    socket: axum::extract::ws::WebSocketUpgrade,
    protocol: async_graphql_axum::GraphQLProtocol,
    ip: ClientIp,
) -> Response {
    let schema = state.schema.clone();
    socket.protocols(async_graphql::http::ALL_WEBSOCKET_PROTOCOLS).on_upgrade(move |stream| {
        async_graphql_axum::GraphQLWebSocket::new(stream, schema, protocol)
            .on_connection_init(move |payload| async move {
                let token = connection_token(&payload);
                let data = graphql::request_data(&state.catalog, &state.auth, token.as_deref(), ip).await;
                Ok(data)
            })
            .serve()
    })
}

/// The bearer token of a `connection_init` payload, in the shapes clients use.
fn connection_token(payload: &serde_json::Value) -> Option<String> {
    let raw = ["Authorization", "authorization"]
        .iter()
        .find_map(|k| payload.get(*k).or_else(|| payload.get("headers").and_then(|h| h.get(*k))))
        .or_else(|| payload.get("token"))
        .or_else(|| payload.get("accessToken"))
        .and_then(|v| v.as_str())?;
    let token = raw.strip_prefix("Bearer ").or_else(|| raw.strip_prefix("bearer ")).unwrap_or(raw).trim();
    (!token.is_empty()).then(|| token.to_owned())
}

/// GET carries queries only (GraphQL over HTTP): a mutation sent by GET is refused.
async fn graphql_get(state: AppState, peer: SocketAddr, headers: HeaderMap, request: GraphQLRequest) -> Response {
    let request = request.into_inner();
    if selects_mutation(&request) {
        return (StatusCode::METHOD_NOT_ALLOWED, "mutations must be sent with POST").into_response();
    }
    run(&state, peer, &headers, request).await
}

/// Whether the operation the request would run is a mutation. A document
/// that does not parse is left to the executor, which reports it.
fn selects_mutation(request: &async_graphql::Request) -> bool {
    use async_graphql::parser::types::{DocumentOperations, OperationType};
    let Ok(document) = async_graphql::parser::parse_query(&request.query) else {
        return false;
    };
    let is_mutation = |ty: OperationType| ty == OperationType::Mutation;
    match &document.operations {
        DocumentOperations::Single(op) => is_mutation(op.node.ty),
        DocumentOperations::Multiple(ops) => match &request.operation_name {
            Some(name) => ops.get(name.as_str()).is_some_and(|op| is_mutation(op.node.ty)),
            None => ops.values().any(|op| is_mutation(op.node.ty)),
        },
    }
}

/// One span per request, carrying its id, so every log line of the request has it.
fn request_span(request: &axum::http::Request<axum::body::Body>) -> tracing::Span {
    let request_id = request.headers().get("x-request-id").and_then(|v| v.to_str().ok()).unwrap_or("-");
    tracing::info_span!("request", id = %request_id, method = %request.method(), path = %request.uri().path())
}

async fn graphiql_page() -> Response {
    let page = Html(GraphiQLSource::build().endpoint("/graphql").title("ODG — GraphiQL").finish());
    ([(header::CONTENT_SECURITY_POLICY, GRAPHIQL_CSP)], page).into_response()
}

/// The process is up.
async fn healthz() -> &'static str {
    "ok"
}

/// The database answers and its schema is current: the instance can take traffic.
/// How long readiness waits for the database: a probe must get its 503
/// before its own timeout, not after the pool's.
const READINESS_TIMEOUT: Duration = Duration::from_secs(2);

async fn readyz(State(state): State<AppState>) -> Response {
    let store = state.catalog.store();
    let unready = |why: String| {
        tracing::warn!(error = %why, "readiness check failed");
        (StatusCode::SERVICE_UNAVAILABLE, "database unreachable").into_response()
    };
    match tokio::time::timeout(READINESS_TIMEOUT, store.ping()).await {
        Ok(Ok(())) => {}
        Ok(Err(err)) => return unready(err.to_string()),
        Err(_) => return unready(format!("no answer within {} s", READINESS_TIMEOUT.as_secs())),
    }
    match tokio::time::timeout(READINESS_TIMEOUT, store.pending_migrations()).await {
        Ok(Ok(0)) => "ready".into_response(),
        Ok(Ok(n)) => {
            (StatusCode::SERVICE_UNAVAILABLE, format!("{n} migrations pending: run `odg migrate`")).into_response()
        }
        Ok(Err(err)) => unready(err.to_string()),
        Err(_) => unready(format!("no answer within {} s", READINESS_TIMEOUT.as_secs())),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn forwarded_addresses_count_only_behind_a_trusted_proxy() {
        let proxy: IpAddr = "127.0.0.1".parse().unwrap();
        let mut headers = HeaderMap::new();
        headers.insert("x-forwarded-for", HeaderValue::from_static("203.0.113.9, 198.51.100.7"));
        let trusted: Vec<IpNet> = vec!["127.0.0.0/8".parse().unwrap()];
        assert_eq!(client_ip(proxy, &headers, &trusted), "198.51.100.7".parse::<IpAddr>().unwrap());
        assert_eq!(client_ip(proxy, &headers, &[]), proxy);
        let stranger: IpAddr = "192.0.2.1".parse().unwrap();
        assert_eq!(client_ip(stranger, &headers, &trusted), stranger);
    }

    /// A route slower than the budget, behind the budget.
    async fn cut(path: &str) -> (StatusCode, serde_json::Value) {
        use tower::ServiceExt;
        let slow = || async {
            tokio::time::sleep(Duration::from_secs(30)).await;
            "too late"
        };
        let app = Router::new()
            .route("/slow", get(slow))
            .route("/graphql", get(slow))
            .layer(axum::middleware::from_fn_with_state(Duration::from_millis(50), time_budget));
        let request = axum::http::Request::get(path).body(axum::body::Body::empty()).unwrap();
        let response = app.oneshot(request).await.unwrap();
        let status = response.status();
        let body = axum::body::to_bytes(response.into_body(), 1 << 20).await.unwrap();
        (status, serde_json::from_slice(&body).unwrap())
    }

    #[tokio::test]
    async fn a_request_past_its_budget_gets_a_503_with_a_code() {
        let (status, body) = cut("/slow").await;
        assert_eq!(status, StatusCode::SERVICE_UNAVAILABLE);
        assert_eq!(body["code"], "TIMEOUT", "{body}");
        let (status, body) = cut("/graphql").await;
        assert_eq!(status, StatusCode::SERVICE_UNAVAILABLE);
        assert_eq!(body["errors"][0]["extensions"]["code"], "TIMEOUT", "{body}");
        assert!(body["data"].is_null(), "{body}");
    }

    #[test]
    fn bearer_tokens_are_read_case_insensitively() {
        let mut headers = HeaderMap::new();
        headers.insert(header::AUTHORIZATION, HeaderValue::from_static("bearer abc.def.ghi"));
        assert_eq!(bearer(&headers), Some("abc.def.ghi"));
        headers.insert(header::AUTHORIZATION, HeaderValue::from_static("Basic Zm9vOmJhcg=="));
        assert_eq!(bearer(&headers), None);
    }
}
