//! DataLoaders: relations are read in one statement per kind per request.

use crate::domain::{Catalog, Commodity, Operator};
use async_graphql::dataloader::{DataLoader, HashMapCache, Loader};
use async_graphql::{Context, Lookahead};
use std::collections::HashMap;

pub struct OperatorLoader(pub Catalog);
pub struct CommodityLoader(pub Catalog);

impl Loader<i64> for OperatorLoader {
    type Value = Operator;
    type Error = async_graphql::Error;

    async fn load(&self, ids: &[i64]) -> Result<HashMap<i64, Operator>, Self::Error> {
        Ok(self.0.operators_by_ids(ids).await?)
    }
}

impl Loader<i64> for CommodityLoader {
    type Value = Commodity;
    type Error = async_graphql::Error;

    async fn load(&self, ids: &[i64]) -> Result<HashMap<i64, Commodity>, Self::Error> {
        Ok(self.0.commodities_by_ids(ids).await?)
    }
}

/// Reads, ahead of the nodes' own resolvers, the operators and commodities
/// a list's selection asks for: one batch per kind, whatever the timing of
/// the resolvers, so a page costs a fixed number of statements.
///
/// `nodes` is the selection of one node (e.g. `edges { node { … } }`);
/// `operator_ids` and `commodity_ids` are the keys the page holds.
pub async fn prime(
    ctx: &Context<'_>,
    nodes: &[Lookahead<'_>],
    operator_ids: Vec<i64>,
    commodity_ids: Vec<i64>,
) -> async_graphql::Result<()> {
    let wants = |path: &[&str]| {
        nodes.iter().any(|node| {
            let mut selection = node.field(path[0]);
            for name in &path[1..] {
                selection = selection.field(name);
            }
            selection.exists()
        })
    };
    let mut commodity_keys = Vec::new();
    if wants(&["commodity"]) {
        commodity_keys.extend(commodity_ids);
    }
    if wants(&["operator"]) && !operator_ids.is_empty() {
        let operators = ctx.data_unchecked::<OperatorsLoader>().load_many(operator_ids).await?;
        if wants(&["operator", "commodities"]) {
            commodity_keys.extend(operators.values().flat_map(|o| o.fields.commodity_ids.iter().copied()));
        }
    }
    if !commodity_keys.is_empty() {
        ctx.data_unchecked::<CommoditiesLoader>().load_many(commodity_keys).await?;
    }
    Ok(())
}

/// The node selections of a connection field: `edges { node }` and `nodes`.
pub fn connection_nodes<'a>(ctx: &'a Context<'_>) -> [Lookahead<'a>; 2] {
    let look = ctx.look_ahead();
    [look.field("edges").field("node"), look.field("nodes")]
}

/// The per-request loaders, with their cache type, as stored in the request data.
pub type OperatorsLoader = DataLoader<OperatorLoader, HashMapCache>;
pub type CommoditiesLoader = DataLoader<CommodityLoader, HashMapCache>;
