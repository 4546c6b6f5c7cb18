//! The built web app (`ODG_WEB_DIR`): static files, with client-side routes
//! falling back to `index.html`.

use axum::Router;
use axum::http::{HeaderValue, header};
use axum::response::{IntoResponse, Response};
use std::path::{Path, PathBuf};
use tower_http::services::{ServeDir, ServeFile};

/// The web app's policy: its own scripts and styles only; map tiles and
/// basemaps may come from any HTTPS host (the basemap is configurable);
/// MapLibre runs its workers from blobs.
const WEB_CSP: &str = "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; \
    img-src 'self' data: blob: https:; connect-src 'self' https: ws: wss:; worker-src 'self' blob:; \
    font-src 'self' data:; object-src 'none'; base-uri 'self'; frame-ancestors 'none'";

/// A built web app on disk.
#[derive(Clone, Debug)]
pub struct WebApp {
    dir: PathBuf,
}

impl WebApp {
    /// The app in `dir`, when it has been built (`index.html` present).
    pub fn open(dir: &Path) -> Option<WebApp> {
        dir.join("index.html").is_file().then(|| WebApp { dir: dir.to_path_buf() })
    }

    /// `index.html`, for `/` when a browser asks for HTML.
    pub async fn index(&self) -> Response {
        match tokio::fs::read(self.dir.join("index.html")).await {
            Ok(page) => {
                with_web_headers("/", ([(header::CONTENT_TYPE, "text/html; charset=utf-8")], page).into_response())
            }
            Err(_) => axum::http::StatusCode::NOT_FOUND.into_response(),
        }
    }

    /// Serves the files; any other GET path answers `index.html` (the app's
    /// routes), except under the API's own prefixes, where an unknown path is a 404.
    pub fn router(&self) -> Router {
        let files = ServeDir::new(&self.dir).fallback(ServeFile::new(self.dir.join("index.html")));
        Router::new().fallback_service(files).layer(axum::middleware::from_fn(
            |request: axum::extract::Request, next: axum::middleware::Next| async move {
                let path = request.uri().path().to_owned();
                if is_api_path(&path) {
                    return axum::http::StatusCode::NOT_FOUND.into_response();
                }
                with_web_headers(&path, next.run(request).await)
            },
        ))
    }
}

/// Paths the server answers itself: never the web app.
fn is_api_path(path: &str) -> bool {
    const API: &[&str] = &[
        "/graphql",
        "/graphiql",
        "/metrics",
        "/healthz",
        "/readyz",
        "/tiles",
        "/ogc",
        "/collections",
        "/conformance",
        "/api",
        "/layers",
    ];
    API.iter().any(|p| path == *p || path.strip_prefix(p).is_some_and(|rest| rest.starts_with('/')))
}

/// Vite names the files under `/assets/` by content hash: they never change.
fn with_web_headers(path: &str, mut response: Response) -> Response {
    let cache = if path.starts_with("/assets/") && response.status().is_success() {
        "public, max-age=31536000, immutable"
    } else {
        "no-cache"
    };
    let headers = response.headers_mut();
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static(cache));
    headers.insert(header::CONTENT_SECURITY_POLICY, HeaderValue::from_static(WEB_CSP));
    response
}
