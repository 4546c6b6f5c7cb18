//! Building and running the server; `main` and the tests share this.

use crate::auth::Auth;
use crate::config::Config;
use crate::domain::Catalog;
use crate::graphql;
use crate::http::{self, AppState, HttpOptions};
use crate::storage::{StorageError, Store, redact_url};
use anyhow::Context;
use std::future::Future;
use std::sync::Arc;
use std::time::Duration;
use tokio::net::TcpListener;

/// A server bound to its port, ready to run.
pub struct App {
    listener: TcpListener,
    router: axum::Router,
    catalog: Catalog,
    grace: Duration,
    /// `/metrics` on its own address, when `ODG_METRICS_BIND` is set.
    metrics_listener: Option<(TcpListener, axum::Router)>,
    /// Tasks that live as long as the server: the link to other instances.
    background: Vec<tokio::task::AbortHandle>,
}

/// Opens the configured database (creating the SQLite file and its folder
/// if needed) and brings its schema up to date.
pub async fn open_store(config: &Config) -> anyhow::Result<Store> {
    let url = config.database_url();
    if config.database_url.is_none() {
        std::fs::create_dir_all(&config.data_dir)
            .with_context(|| format!("cannot create the data directory {}", config.data_dir.display()))?;
    }
    let store = Store::connect(&url, config.db_max_connections).await.map_err(|e| match e {
        // The PostGIS messages are complete sentences with the fix.
        StorageError::PostgisMissing { .. }
        | StorageError::PostgisNotInstalled
        | StorageError::PostgisTooOld { .. } => anyhow::Error::new(e),
        other => anyhow::Error::new(other).context(format!("cannot open the database {}", redact_url(&url))),
    })?;
    store.migrate().await.with_context(|| format!("migrating {}", redact_url(&url)))?;
    tracing::info!(database = %redact_url(&url), backend = ?store.backend(), "database ready");
    Ok(store)
}

/// How long the store may take to close once the grace period is over.
const STORE_CLOSE_TIMEOUT: Duration = Duration::from_secs(2);

impl App {
    /// Connects, migrates, optionally seeds the demo data, and binds `config.bind`
    /// (port 0 picks a free port).
    pub async fn build(config: &Config, demo: bool) -> anyhow::Result<App> {
        let store = open_store(config).await?;
        let catalog = Catalog::new(store).with_max_geometry_vertices(config.max_geometry_vertices);
        // Imports a stop interrupted: say so on their record, and remove their incomplete layers.
        let interrupted = catalog
            .fail_interrupted_imports(&config.import_limits, &config.data_dir.join("uploads"))
            .await
            .map_err(|e| e.into_anyhow().context("recovering interrupted imports"))?;
        if interrupted > 0 {
            tracing::warn!(interrupted, "imports interrupted by the last stop are marked FAILED");
        }
        // Layers imported before tile thinning existed get it in the background; their tiles are whole meanwhile.
        let thinning = catalog.clone();
        tokio::spawn(async move {
            match thinning.thin_older_layers().await {
                Ok(0) => {}
                Ok(layers) => tracing::info!(layers, "tile thinning computed for older layers"),
                Err(e) => tracing::error!(error = %e.into_anyhow(), "cannot compute the tile thinning of older layers"),
            }
        });
        if demo {
            let seeded =
                crate::demo::seed(&catalog).await.map_err(|e| e.into_anyhow().context("loading the demo data"))?;
            tracing::info!(%seeded, "demo data loaded");
        }
        // The demo answers GraphiQL at once: public read is on.
        let mut config = config.clone();
        config.public_read |= demo;
        let auth = Auth::new(&config);
        let imports = graphql::ImportSettings {
            limits: config.import_limits.clone(),
            upload_dir: config.data_dir.join("uploads"),
        };
        let schema = graphql::build_schema(&config.limits, auth.clone(), config.introspection, imports);
        let state = AppState {
            schema,
            catalog: catalog.clone(),
            auth,
            tile_cache: crate::tiles::TileCache::new(config.tile_cache_bytes, &catalog),
            metrics: crate::metrics::Metrics::new(),
            trusted_proxies: Arc::new(config.trusted_proxies.clone()),
            max_body_bytes: config.max_body_bytes,
            max_upload_bytes: usize::try_from(config.max_upload_bytes).unwrap_or(usize::MAX),
            data_dir: std::path::absolute(&config.data_dir).unwrap_or_else(|_| config.data_dir.clone()).into(),
        };
        let options = HttpOptions {
            graphiql: config.graphiql,
            max_body_bytes: config.max_body_bytes,
            max_upload_bytes: usize::try_from(config.max_upload_bytes).unwrap_or(usize::MAX),
            cors_origins: config.cors_origins.clone(),
            metrics_token: config.metrics_token.clone(),
            web_dir: config.web_dir.clone(),
            request_timeout: config.request_timeout,
        };
        let metrics_listener = match config.metrics_bind {
            Some(addr) => Some((
                TcpListener::bind(addr).await.with_context(|| format!("cannot listen on {addr} (ODG_METRICS_BIND)"))?,
                http::metrics_router(state.clone()),
            )),
            None => None,
        };
        let router = http::router(state, options);
        // Other instances on the same PostgreSQL database tell this one what they change, and the reverse.
        let background = match catalog.store().backend() {
            crate::storage::Backend::Postgis => crate::peers::start(catalog.clone(), config.database_url()).await,
            crate::storage::Backend::Sqlite => Vec::new(),
        };
        let listener =
            TcpListener::bind(config.bind).await.with_context(|| format!("cannot listen on {}", config.bind))?;
        Ok(App {
            listener,
            router,
            catalog,
            grace: Duration::from_secs(config.shutdown_grace_secs),
            metrics_listener,
            background,
        })
    }

    pub fn port(&self) -> u16 {
        self.listener.local_addr().map(|a| a.port()).unwrap_or(0)
    }

    pub fn catalog(&self) -> &Catalog {
        &self.catalog
    }

    /// Serves until `shutdown` completes, then lets in-flight requests
    /// finish for up to the grace period.
    /// The port of the metrics listener, when there is one.
    pub fn metrics_port(&self) -> Option<u16> {
        self.metrics_listener.as_ref().and_then(|(l, _)| l.local_addr().ok()).map(|a| a.port())
    }

    pub async fn run_until_stopped(self, shutdown: impl Future<Output = ()> + Send + 'static) -> anyhow::Result<()> {
        // The metrics listener lives as long as the process serves.
        let metrics_server = self
            .metrics_listener
            .map(|(listener, router)| tokio::spawn(async move { axum::serve(listener, router).await }));
        let (stop_tx, stop_rx) = tokio::sync::oneshot::channel::<()>();
        let (stopping_tx, stopping_rx) = tokio::sync::oneshot::channel::<()>();
        let service = self.router.into_make_service_with_connect_info::<std::net::SocketAddr>();
        let server = axum::serve(self.listener, service).with_graceful_shutdown(async move {
            let _ = stop_rx.await;
        });
        let server = tokio::spawn(async move { server.await });
        tokio::spawn(async move {
            shutdown.await;
            let _ = stopping_tx.send(());
            let _ = stop_tx.send(());
        });
        let mut server = server;
        tokio::select! {
            result = &mut server => return Ok(result??),
            _ = stopping_rx => tracing::info!(grace_secs = self.grace.as_secs(), "shutting down: finishing in-flight requests"),
        }
        match tokio::time::timeout(self.grace, &mut server).await {
            Ok(result) => result??,
            Err(_) => {
                tracing::warn!("grace period over: closing the remaining connections");
                server.abort();
            }
        }
        if let Some(server) = metrics_server {
            server.abort();
        }
        self.background.iter().for_each(tokio::task::AbortHandle::abort);
        // Closing waits for every pooled connection, and an import still
        // running holds one in its transaction: it is abandoned (rolled back).
        match tokio::time::timeout(STORE_CLOSE_TIMEOUT, self.catalog.store().clone().close()).await {
            Ok(closed) => closed?,
            Err(_) => tracing::warn!("connections still in use at the end of the grace period are abandoned"),
        }
        Ok(())
    }
}

/// Completes on SIGINT (Ctrl-C) or SIGTERM.
pub async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();
    tokio::select! {
        _ = ctrl_c => {},
        _ = terminate => {},
    }
}
