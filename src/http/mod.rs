//! HTTP: the router, GraphQL transport, GraphiQL, health endpoints.

use crate::domain::Catalog;
use crate::graphql::{self, OdgSchema};
use async_graphql::http::GraphiQLSource;
use async_graphql_axum::{GraphQLRequest, GraphQLResponse};
use axum::Router;
use axum::extract::{DefaultBodyLimit, State};
use axum::http::StatusCode;
use axum::response::{Html, IntoResponse, Response};
use axum::routing::get;
use std::time::Duration;
use tower_http::LatencyUnit;
use tower_http::limit::RequestBodyLimitLayer;
use tower_http::request_id::{MakeRequestUuid, PropagateRequestIdLayer, SetRequestIdLayer};
use tower_http::timeout::TimeoutLayer;
use tower_http::trace::{DefaultOnResponse, TraceLayer};
use tracing::Level;

/// What every handler shares.
#[derive(Clone)]
pub struct AppState {
    pub schema: OdgSchema,
    pub catalog: Catalog,
}

/// Longest time one request may take before the server answers 408.
const REQUEST_TIMEOUT: Duration = Duration::from_secs(60);

pub fn router(state: AppState, graphiql: bool, max_body_bytes: usize) -> Router {
    let mut router = Router::new()
        .route("/graphql", get(graphql_get).post(graphql_post))
        .route("/healthz", get(healthz))
        .route("/readyz", get(readyz));
    if graphiql {
        router = router.route("/graphiql", get(graphiql_page));
    }
    router
        .with_state(state)
        .layer(DefaultBodyLimit::max(max_body_bytes))
        .layer(RequestBodyLimitLayer::new(max_body_bytes))
        .layer(TimeoutLayer::with_status_code(StatusCode::REQUEST_TIMEOUT, REQUEST_TIMEOUT))
        .layer(PropagateRequestIdLayer::x_request_id())
        .layer(
            TraceLayer::new_for_http()
                .make_span_with(request_span)
                .on_request(())
                .on_response(DefaultOnResponse::new().level(Level::INFO).latency_unit(LatencyUnit::Millis)),
        )
        .layer(SetRequestIdLayer::x_request_id(MakeRequestUuid))
}

async fn graphql_post(State(state): State<AppState>, request: GraphQLRequest) -> Response {
    respond(graphql::execute(&state.schema, &state.catalog, request.into_inner()).await)
}

/// A request that could not run at all (syntax, validation, limits) is a
/// 400, as GraphQL over HTTP asks; field errors keep 200 with partial data.
fn respond(response: async_graphql::Response) -> Response {
    let rejected = response.data == async_graphql::Value::Null
        && !response.errors.is_empty()
        && response.errors.iter().all(|e| e.path.is_empty());
    let mut http = GraphQLResponse::from(response).into_response();
    if rejected {
        *http.status_mut() = StatusCode::BAD_REQUEST;
    }
    http
}

/// GET carries queries only (GraphQL over HTTP): a mutation sent by GET is refused.
async fn graphql_get(State(state): State<AppState>, request: GraphQLRequest) -> Response {
    let request = request.into_inner();
    if selects_mutation(&request) {
        return (StatusCode::METHOD_NOT_ALLOWED, "mutations must be sent with POST").into_response();
    }
    respond(graphql::execute(&state.schema, &state.catalog, request).await)
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

async fn graphiql_page() -> Html<String> {
    Html(GraphiQLSource::build().endpoint("/graphql").title("ODG — GraphiQL").finish())
}

/// The process is up.
async fn healthz() -> &'static str {
    "ok"
}

/// The database answers: the instance can take traffic.
async fn readyz(State(state): State<AppState>) -> Response {
    match state.catalog.store().ping().await {
        Ok(()) => "ready".into_response(),
        Err(err) => {
            tracing::warn!(error = %err, "readiness check failed");
            (StatusCode::SERVICE_UNAVAILABLE, "database unreachable").into_response()
        }
    }
}
