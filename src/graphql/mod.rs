//! The GraphQL API (async-graphql, code-first). Knows no transport: the
//! HTTP layer hands it requests and sends back its responses.

mod accounts;
mod area;
mod common;
mod deposit;
mod infrastructure;
mod loaders;
mod reference;
mod scalars;

pub use accounts::ClientIp;
pub use common::Limits;
pub use scalars::GeoJson;

use crate::auth::Auth;
use crate::domain::{Actor, Catalog};
use async_graphql::dataloader::{DataLoader, HashMapCache};
use async_graphql::{EmptySubscription, MergedObject, Schema};
use loaders::{CommodityLoader, OperatorLoader};

#[derive(MergedObject, Default)]
pub struct QueryRoot(
    accounts::AccountQuery,
    reference::ReferenceQuery,
    deposit::DepositQuery,
    area::ExploitationAreaQuery,
    infrastructure::InfrastructureQuery,
);

#[derive(MergedObject, Default)]
pub struct MutationRoot(
    accounts::AccountMutation,
    reference::ReferenceMutation,
    deposit::DepositMutation,
    area::ExploitationAreaMutation,
    infrastructure::InfrastructureMutation,
);

pub type OdgSchema = Schema<QueryRoot, MutationRoot, EmptySubscription>;

/// The schema, with its limits; per-request data is added by [`execute`].
pub fn build_schema(limits: &Limits, auth: Auth, introspection: bool) -> OdgSchema {
    let builder = Schema::build(QueryRoot::default(), MutationRoot::default(), EmptySubscription)
        .limit_depth(limits.depth)
        .limit_complexity(limits.complexity)
        .data(limits.clone())
        .data(auth);
    if introspection { builder.finish() } else { builder.disable_introspection().finish() }
}

/// The SDL of the schema, as `odg schema` prints it and `schema/schema.graphql` holds it.
pub fn sdl() -> String {
    Schema::build(QueryRoot::default(), MutationRoot::default(), EmptySubscription).finish().sdl()
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
    // A bad token fails every field that needs the caller, but not `login`
    // or `refreshToken`, which a client with a stale token must still reach.
    let (actor, rejected) = match auth.actor(catalog, bearer).await {
        Ok(actor) => (actor, None),
        Err(err) => (Actor::Anonymous, Some(RejectedToken(err.client_message()))),
    };
    let mut request = request.data(actor);
    if let Some(rejected) = rejected {
        request = request.data(rejected);
    }
    let request = request
        .data(client_ip)
        .data(catalog.clone())
        .data(
            DataLoader::with_cache(OperatorLoader(catalog.clone()), tokio::spawn, HashMapCache::default())
                .delay(LOADER_DELAY),
        )
        .data(
            DataLoader::with_cache(CommodityLoader(catalog.clone()), tokio::spawn, HashMapCache::default())
                .delay(LOADER_DELAY),
        );
    let mut response = schema.execute(request).await;
    tag_request_errors(&mut response.errors);
    response
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
