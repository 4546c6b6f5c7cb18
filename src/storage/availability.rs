//! Whether the PostgreSQL server answers. While it is away, a request would
//! wait for the pool's acquire timeout (10 s) and then fail; instead the
//! HTTP layer asks [`Availability::usable`] first and answers 503 at once.
//!
//! The database is taken for away when a link to it breaks (the change
//! listener's, or a request's); from then on each request tries a fresh
//! connection (refused at once when the server is down, cut after
//! [`PROBE_TIMEOUT`] when it does not answer), and the first that connects
//! brings the database back for everyone. SQLite is never away.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

/// How long a request may spend finding out whether the database is back.
pub const PROBE_TIMEOUT: Duration = Duration::from_millis(700);

#[derive(Clone)]
pub struct Availability {
    inner: Arc<Inner>,
}

struct Inner {
    /// The PostgreSQL URL to probe; `None` on SQLite.
    url: Option<String>,
    away: AtomicBool,
}

impl Availability {
    pub(super) fn new(postgres_url: Option<&str>) -> Availability {
        Availability { inner: Arc::new(Inner { url: postgres_url.map(str::to_owned), away: AtomicBool::new(false) }) }
    }

    /// A link to the database broke: requests check it before they use it.
    pub fn mark_away(&self) {
        if self.inner.url.is_some() && !self.inner.away.swap(true, Ordering::Relaxed) {
            tracing::warn!("the database is unreachable: requests get 503 until it answers again");
        }
    }

    pub fn is_away(&self) -> bool {
        self.inner.away.load(Ordering::Relaxed)
    }

    /// Whether a request may use the database: yes unless it is away and a
    /// fresh connection still fails.
    pub async fn usable(&self) -> bool {
        if !self.is_away() {
            return true;
        }
        let Some(url) = &self.inner.url else { return true };
        use sea_orm::sqlx::Connection;
        match tokio::time::timeout(PROBE_TIMEOUT, sea_orm::sqlx::PgConnection::connect(url)).await {
            Ok(Ok(connection)) => {
                let _ = connection.close().await;
                if self.inner.away.swap(false, Ordering::Relaxed) {
                    tracing::info!("the database answers again");
                }
                true
            }
            _ => false,
        }
    }
}
