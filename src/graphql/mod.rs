//! The GraphQL API (async-graphql, code-first). Knows no transport: the
//! HTTP layer hands it requests and sends back its responses.

mod accounts;
mod area;
mod budget;
mod common;
mod deposit;
mod infrastructure;
mod layer;
mod loaders;
mod reference;
mod scalars;

pub use accounts::ClientIp;
pub use common::Limits;
pub use layer::ImportSettings;
pub use scalars::GeoJson;

use crate::auth::Auth;
use crate::domain::{Actor, Catalog};
use async_graphql::dataloader::{DataLoader, HashMapCache};
use async_graphql::{MergedObject, MergedSubscription, Schema};
use loaders::{CommodityLoader, OperatorLoader};

#[derive(MergedObject, Default)]
pub struct QueryRoot(
    accounts::AccountQuery,
    reference::ReferenceQuery,
    deposit::DepositQuery,
    area::ExploitationAreaQuery,
    infrastructure::InfrastructureQuery,
    layer::LayerQuery,
);

#[derive(MergedObject, Default)]
pub struct MutationRoot(
    accounts::AccountMutation,
    reference::ReferenceMutation,
    deposit::DepositMutation,
    area::ExploitationAreaMutation,
    infrastructure::InfrastructureMutation,
    layer::LayerMutation,
);

#[derive(MergedSubscription, Default)]
pub struct SubscriptionRoot(layer::LayerSubscription);

pub type OdgSchema = Schema<QueryRoot, MutationRoot, SubscriptionRoot>;

/// The schema, with its limits; per-request data is added by [`execute`].
pub fn build_schema(limits: &Limits, auth: Auth, introspection: bool, imports: ImportSettings) -> OdgSchema {
    let builder = Schema::build(QueryRoot::default(), MutationRoot::default(), SubscriptionRoot::default())
        .limit_depth(limits.depth)
        .limit_complexity(limits.complexity)
        .extension(budget::ResponseSize)
        .data(limits.clone())
        .data(imports)
        .data(auth);
    if introspection { builder.finish() } else { builder.disable_introspection().finish() }
}

/// The SDL of the schema, as `odg schema` prints it and `schema/schema.graphql` holds it.
pub fn sdl() -> String {
    Schema::build(QueryRoot::default(), MutationRoot::default(), SubscriptionRoot::default()).finish().sdl()
}

/// Why the request's bearer token was refused, when it was.
pub(crate) struct RejectedToken(pub String);

/// How long a DataLoader waits for more keys before it reads a batch.
const LOADER_DELAY: std::time::Duration = std::time::Duration::from_millis(2);

/// Runs one request with its own DataLoaders, caching for that request only.
///
/// `bearer` is the access token of the `Authorization` header, if any; a
/// token that is present but not valid makes every field that needs the
/// caller fail with `UNAUTHENTICATED`, so the client refreshes instead of
/// silently seeing less.
pub async fn execute(
    schema: &OdgSchema,
    catalog: &Catalog,
    auth: &Auth,
    bearer: Option<&str>,
    client_ip: ClientIp,
    request: async_graphql::Request,
) -> async_graphql::Response {
    let mut request = request;
    request.data = request_data(catalog, auth, bearer, client_ip).await;
    let max_response_bytes = schema.data::<Limits>().map_or(usize::MAX, |l| l.max_response_bytes);
    request.data.insert(budget::ResponseBudget::new(max_response_bytes));
    let mut response = schema.execute(request).await;
    tag_request_errors(&mut response.errors);
    response
}

/// What every resolver finds in its context: the caller, the domain and
/// fresh DataLoaders. A subscription connection gets it once, from the
/// token in its `connection_init` payload.
pub async fn request_data(
    catalog: &Catalog,
    auth: &Auth,
    bearer: Option<&str>,
    client_ip: ClientIp,
) -> async_graphql::Data {
    let mut data = async_graphql::Data::default();
    // A bad token fails every field that needs the caller, but not `login`
    // or `refreshToken`, which a client with a stale token must still reach.
    match auth.actor(catalog, bearer).await {
        Ok(actor) => data.insert(actor),
        Err(err) => {
            data.insert(Actor::Anonymous);
            data.insert(RejectedToken(err.client_message()));
        }
    }
    data.insert(client_ip);
    data.insert(catalog.clone());
    data.insert(
        DataLoader::with_cache(OperatorLoader(catalog.clone()), tokio::spawn, HashMapCache::default())
            .delay(LOADER_DELAY),
    );
    data.insert(
        DataLoader::with_cache(CommodityLoader(catalog.clone()), tokio::spawn, HashMapCache::default())
            .delay(LOADER_DELAY),
    );
    data
}

/// A response that is one error alone, as the HTTP layer sends when it cuts a request.
pub fn error_response(err: crate::error::AppError) -> async_graphql::Response {
    async_graphql::Response::from_errors(vec![async_graphql::Error::from(err).into_server_error(Default::default())])
}

/// Errors async-graphql raises itself (syntax, validation, limits, input
/// coercion) carry no code; they are all the client's to fix.
pub fn tag_request_errors(errors: &mut [async_graphql::ServerError]) {
    for error in errors {
        let extensions = error.extensions.get_or_insert_with(Default::default);
        if extensions.get("code").is_none() {
            extensions.set("code", "BAD_USER_INPUT");
        }
    }
}
