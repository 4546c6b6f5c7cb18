//! DataLoaders: relations are read in one statement per kind per request.

use crate::domain::{Catalog, Commodity, Operator};
use async_graphql::dataloader::Loader;
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
