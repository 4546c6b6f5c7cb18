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
use crate::config::Introspection;
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
pub fn build_schema(limits: &Limits, auth: Auth, introspection: Introspection, imports: ImportSettings) -> OdgSchema {
    let builder = Schema::build(QueryRoot::default(), MutationRoot::default(), SubscriptionRoot::default())
        .limit_depth(limits.depth)
        .limit_complexity(limits.complexity)
        .extension(budget::ResponseSize)
        .data(limits.clone())
        .data(imports)
        .data(auth);
    match introspection {
        Introspection::Everyone => builder.finish(),
        Introspection::SignedIn => builder.extension(SignedInIntrospection).finish(),
        Introspection::Nobody => builder.disable_introspection().finish(),
    }
}

/// Turns introspection off for callers without a valid access token, over
/// HTTP and WebSocket alike (whose caller is the connection's).
struct SignedInIntrospection;

impl async_graphql::extensions::ExtensionFactory for SignedInIntrospection {
    fn create(&self) -> std::sync::Arc<dyn async_graphql::extensions::Extension> {
        std::sync::Arc::new(SignedInIntrospection)
    }
}

#[async_graphql::async_trait::async_trait]
impl async_graphql::extensions::Extension for SignedInIntrospection {
    async fn prepare_request(
        &self,
        ctx: &async_graphql::extensions::ExtensionContext<'_>,
        request: async_graphql::Request,
        next: async_graphql::extensions::NextPrepareRequest<'_>,
    ) -> async_graphql::ServerResult<async_graphql::Request> {
        // The request's own data is not in `ctx` yet; a WebSocket's caller is in its session data.
        let caller = request
            .data
            .get(&std::any::TypeId::of::<Actor>())
            .and_then(|a| a.downcast_ref::<Actor>())
            .or_else(|| ctx.data_opt::<Actor>());
        let signed_in = caller.is_some_and(|a| a.principal().is_ok());
        let request = if signed_in { request } else { request.disable_introspection() };
        next.run(ctx, request).await
    }
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
    // Only a token that is not valid makes the caller anonymous; a token
    // that could not be checked (the database away) fails the request.
    let caller = match auth.actor(catalog, bearer).await {
        Err(err) if !matches!(err, crate::error::AppError::Unauthenticated(_)) => {
            let error = async_graphql::Error::from(err).into_server_error(async_graphql::Pos::default());
            return async_graphql::Response::from_errors(vec![error]);
        }
        checked => checked,
    };
    request.data = data_for(catalog, caller, client_ip);
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
    data_for(catalog, auth.actor(catalog, bearer).await, client_ip)
}

fn data_for(catalog: &Catalog, caller: crate::error::AppResult<Actor>, client_ip: ClientIp) -> async_graphql::Data {
    let mut data = async_graphql::Data::default();
    // A bad token fails every field that needs the caller, but not `login`
    // or `refreshToken`, which a client with a stale token must still reach.
    match caller {
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
