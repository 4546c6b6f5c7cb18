//! The size of one answer: at most `ODG_MAX_RESPONSE_MB` of JSON.
//!
//! Complexity is counted before a request runs and cannot know how large a
//! `featureCollection` or a page of geometries will be; 300 aliases of one
//! `featureCollection` once made a 405 MB answer and 5 GB of memory. So
//! every value the answer will hold (scalars and enums, GeoJSON included)
//! is counted as it is resolved; once the total passes the limit, the rest of
//! the request fails fast and the whole answer is one error instead.

use crate::error::AppError;
use async_graphql::extensions::{Extension, ExtensionContext, ExtensionFactory, NextExecute, NextResolve, ResolveInfo};
use async_graphql::{QueryPathSegment, Response, ServerError, ServerResult, Value};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};

/// What one request's answer may still hold; in the request's data (absent
/// for subscriptions, whose events are small and each sent alone).
pub struct ResponseBudget {
    limit: usize,
    used: AtomicUsize,
    exceeded: AtomicBool,
    /// Taken while a `featureCollection` is built: one at a time per
    /// request, so that aliases cannot build many copies at once before the
    /// first is counted.
    heavy: tokio::sync::Mutex<()>,
}

impl ResponseBudget {
    pub fn new(limit: usize) -> ResponseBudget {
        ResponseBudget { limit, used: AtomicUsize::new(0), exceeded: AtomicBool::new(false), heavy: Default::default() }
    }

    /// The error once the answer has grown past the limit.
    pub fn check(&self) -> Result<(), AppError> {
        if self.exceeded.load(Ordering::Relaxed) { Err(self.error()) } else { Ok(()) }
    }

    /// Waits for the other large fields of the request to be built, then
    /// checks the budget: hold the guard while building.
    pub async fn large_field(&self) -> Result<tokio::sync::MutexGuard<'_, ()>, AppError> {
        let guard = self.heavy.lock().await;
        self.check()?;
        Ok(guard)
    }

    /// Counts `bytes` more; an error if the answer is now too large.
    fn spend(&self, bytes: usize) -> Result<(), AppError> {
        let used = self.used.fetch_add(bytes, Ordering::Relaxed).saturating_add(bytes);
        if used > self.limit {
            self.exceeded.store(true, Ordering::Relaxed);
        }
        self.check()
    }

    fn error(&self) -> AppError {
        AppError::invalid(
            "",
            format!(
                "the answer would be larger than {} MiB (ODG_MAX_RESPONSE_MB): ask for fewer fields or \
                 features, narrow the filters, or page through the lists",
                self.limit >> 20
            ),
        )
    }
}

/// The extension that counts; see the module documentation.
pub struct ResponseSize;

impl ExtensionFactory for ResponseSize {
    fn create(&self) -> Arc<dyn Extension> {
        Arc::new(ResponseSizeExtension)
    }
}

struct ResponseSizeExtension;

#[async_graphql::async_trait::async_trait]
impl Extension for ResponseSizeExtension {
    async fn execute(
        &self,
        ctx: &ExtensionContext<'_>,
        operation_name: Option<&str>,
        next: NextExecute<'_>,
    ) -> Response {
        let response = next.run(ctx, operation_name).await;
        match ctx.data_opt::<ResponseBudget>().map(ResponseBudget::check) {
            // The partial answer is dropped: a client gets all of it or a reason.
            Some(Err(err)) => Response::from_errors(vec![server_error(err)]),
            _ => response,
        }
    }

    async fn resolve(
        &self,
        ctx: &ExtensionContext<'_>,
        info: ResolveInfo<'_>,
        next: NextResolve<'_>,
    ) -> ServerResult<Option<Value>> {
        let Some(budget) = ctx.data_opt::<ResponseBudget>() else {
            return next.run(ctx, info).await;
        };
        budget.check().map_err(server_error)?;
        // A field without a selection set is a leaf (scalar or enum): its
        // value is what the answer holds. Items of a list of leaves come
        // here one by one and again as the list: they are counted once, as the list.
        let leaf = info.field.selection_set.node.items.is_empty()
            && !matches!(info.path_node.segment, QueryPathSegment::Index(_));
        let value = next.run(ctx, info).await?;
        if leaf && let Some(value) = &value {
            budget.spend(json_size(value)).map_err(server_error)?;
        }
        Ok(value)
    }
}

fn server_error(err: AppError) -> ServerError {
    async_graphql::Error::from(err).into_server_error(Default::default())
}

/// Bytes of `value` written as JSON, counted without keeping them.
fn json_size(value: &Value) -> usize {
    struct Count(usize);
    impl std::io::Write for Count {
        fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
            self.0 += buf.len();
            Ok(buf.len())
        }
        fn flush(&mut self) -> std::io::Result<()> {
            Ok(())
        }
    }
    let mut count = Count(0);
    // Writing to a counter cannot fail; a value that does not serialise counts what it wrote.
    let _ = serde_json::to_writer(&mut count, value);
    count.0
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn values_are_counted_as_their_json() {
        let value = Value::from_json(serde_json::json!({"type": "Point", "coordinates": [13.2, -1.5]})).unwrap();
        assert_eq!(json_size(&value), r#"{"type":"Point","coordinates":[13.2,-1.5]}"#.len());
    }

    #[test]
    fn the_budget_holds_until_the_limit_is_passed() {
        let budget = ResponseBudget::new(100);
        assert!(budget.spend(60).is_ok());
        assert!(budget.spend(40).is_ok());
        let err = budget.spend(1).unwrap_err();
        assert_eq!(err.code(), "BAD_USER_INPUT");
        assert!(budget.check().is_err(), "once passed, the budget stays spent");
    }
}
