//! `spawn_app(Backend)`: the real server, its own database, an HTTP client.

use odg::app::App;
use odg::config::Config;
use odg::domain::Catalog;
use serde_json::{Value, json};
use std::collections::HashMap;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgis,
}

/// The JWT secret of every test server, so tests can forge and tamper with tokens.
pub const JWT_SECRET: &str = "test-secret-0123456789-0123456789-0123456789";
/// The password of the demo accounts and of the test administrator.
pub const PASSWORD: &str = odg::demo::DEMO_PASSWORD;

pub struct TestApp {
    pub address: String,
    /// An administrator's access token, sent by [`TestApp::graphql`].
    pub admin_token: String,
    /// The port of `/metrics` when `ODG_METRICS_BIND` is set.
    pub metrics_port: Option<u16>,
    pub client: reqwest::Client,
    pub catalog: Catalog,
    stop: Option<tokio::sync::oneshot::Sender<()>>,
    server: Option<tokio::task::JoinHandle<()>>,
    /// The data directory (the SQLite file lives here).
    pub dir: tempfile::TempDir,
    database: Option<ThrowawayDatabase>,
}

/// The admin URL of the test PostgreSQL cluster, if the run has one.
///
/// The README's test command always sets it; under CI a missing one is an
/// error rather than a silent skip.
pub fn postgres_admin_url() -> Option<String> {
    match std::env::var("ODG_TEST_POSTGRES_URL") {
        Ok(url) if !url.is_empty() => Some(url),
        _ => {
            assert!(std::env::var("CI").is_err(), "CI must set ODG_TEST_POSTGRES_URL (run ./scripts/test.sh)");
            eprintln!("skipped on PostGIS: ODG_TEST_POSTGRES_URL is not set (./scripts/test.sh sets it)");
            None
        }
    }
}

/// A database created for one test and dropped after it.
pub struct ThrowawayDatabase {
    admin_url: String,
    pub name: String,
    pub url: String,
}

impl ThrowawayDatabase {
    pub async fn create(with_postgis: bool) -> Option<ThrowawayDatabase> {
        let admin_url = postgres_admin_url()?;
        let name = format!("odg_test_{}", uuid::Uuid::new_v4().simple());
        let admin = sea_orm::Database::connect(&admin_url).await.expect("connect to the test cluster");
        use sea_orm::ConnectionTrait;
        // With a template that has PostGIS, the test role needs no superuser.
        let template = match std::env::var("ODG_TEST_POSTGRES_TEMPLATE") {
            Ok(t) if with_postgis && !t.is_empty() => format!(" TEMPLATE \"{t}\""),
            _ => " TEMPLATE template0".to_string(),
        };
        admin.execute_unprepared(&format!("CREATE DATABASE \"{name}\"{template}")).await.expect("create test database");
        admin.close().await.ok();
        let base = admin_url.rsplit_once('/').map(|(b, _)| b).unwrap_or(&admin_url);
        let url = format!("{base}/{name}");
        if with_postgis {
            let db = sea_orm::Database::connect(&url).await.expect("connect to the test database");
            db.execute_unprepared("CREATE EXTENSION IF NOT EXISTS postgis").await.expect("create extension postgis");
            db.close().await.ok();
        }
        Some(ThrowawayDatabase { admin_url, name, url })
    }
}

impl Drop for ThrowawayDatabase {
    fn drop(&mut self) {
        let admin_url = self.admin_url.clone();
        let name = self.name.clone();
        // Drop runs outside async code: a small runtime of its own.
        let _ = std::thread::spawn(move || {
            let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().ok()?;
            rt.block_on(async {
                use sea_orm::ConnectionTrait;
                let admin = sea_orm::Database::connect(&admin_url).await.ok()?;
                admin.execute_unprepared(&format!("DROP DATABASE IF EXISTS \"{name}\" WITH (FORCE)")).await.ok()?;
                admin.close().await.ok()
            })
        })
        .join();
    }
}

/// The server with the demo data loaded; `None` when PostGIS is not available.
pub async fn spawn_app(backend: Backend) -> Option<TestApp> {
    spawn_with(backend, true, &[]).await
}

/// The server on an empty (migrated) database, with one administrator.
pub async fn spawn_empty(backend: Backend) -> Option<TestApp> {
    spawn_with(backend, false, &[]).await
}

/// The server with extra configuration variables.
pub async fn spawn_with(backend: Backend, demo: bool, extra: &[(&str, &str)]) -> Option<TestApp> {
    let database = match backend {
        Backend::Sqlite => None,
        Backend::Postgis => Some(ThrowawayDatabase::create(true).await?),
    };
    Some(start(database, None, demo, extra).await)
}

/// A second server on the database of `first` (PostGIS), as behind a load
/// balancer; `first` owns the database and must outlive it.
pub async fn spawn_beside(first: &TestApp, extra: &[(&str, &str)]) -> TestApp {
    let url = first.database_url().expect("a PostgreSQL database to share");
    start(None, Some(url), false, extra).await
}

async fn start(
    database: Option<ThrowawayDatabase>,
    shared_url: Option<String>,
    demo: bool,
    extra: &[(&str, &str)],
) -> TestApp {
    let dir = tempfile::tempdir().expect("temp dir");
    let mut vars: HashMap<&str, String> = HashMap::new();
    vars.insert("ODG_BIND", "127.0.0.1:0".into());
    vars.insert("ODG_DATA_DIR", dir.path().display().to_string());
    vars.insert("ODG_DB_MAX_CONNECTIONS", "4".into());
    vars.insert("ODG_SHUTDOWN_GRACE_SECS", "2".into());
    vars.insert("ODG_JWT_SECRET", JWT_SECRET.into());
    // Tests do not depend on whether the web app has been built in the working copy.
    vars.insert("ODG_WEB_DIR", "/nonexistent/odg-web".into());
    for (k, v) in extra {
        vars.insert(k, v.to_string());
    }
    if let Some(url) = database.as_ref().map(|db| db.url.clone()).or(shared_url.clone()) {
        vars.insert("DATABASE_URL", url);
    }
    let config = Config::from_lookup(|k| vars.get(k).cloned()).expect("test configuration");
    let app = App::build(&config, demo).await.unwrap_or_else(|e| panic!("server did not start: {e:#}"));
    let address = format!("http://127.0.0.1:{}", app.port());
    let metrics_port = app.metrics_port();
    let catalog = app.catalog().clone();
    if !demo && shared_url.is_none() {
        let draft = odg::domain::UserDraft {
            username: "admin".into(),
            email: "admin@test.example".into(),
            display_name: None,
            role: odg::domain::Role::Admin,
            operator_id: None,
            password_hash: odg::auth::hash_blocking(PASSWORD).await.map_err(|e| e.into_anyhow()).unwrap(),
        };
        catalog.create_user(&odg::domain::Actor::System, draft).await.map_err(|e| e.into_anyhow()).unwrap();
    }
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let server = tokio::spawn(async move {
        app.run_until_stopped(async move {
            let _ = stopped.await;
        })
        .await
        .expect("server run");
    });
    let client = reqwest::Client::new();
    let admin_token = login(&client, &address, "admin", PASSWORD).await["accessToken"].as_str().unwrap().to_string();
    TestApp {
        admin_token,
        metrics_port,
        address,
        client,
        catalog,
        stop: Some(stop),
        server: Some(server),
        dir,
        database,
    }
}

/// Signs in; returns the `login` payload (accessToken, refreshToken, user).
pub async fn login(client: &reqwest::Client, address: &str, identifier: &str, password: &str) -> Value {
    let body = post(
        client,
        address,
        None,
        "mutation($i: String!, $p: String!) { login(identifier: $i, password: $p) { accessToken refreshToken expiresIn user { id role } } }",
        json!({"i": identifier, "p": password}),
    )
    .await;
    assert!(body.get("errors").is_none(), "login of {identifier} failed: {body}");
    body["data"]["login"].clone()
}

async fn post(client: &reqwest::Client, address: &str, token: Option<&str>, query: &str, variables: Value) -> Value {
    let mut request =
        client.post(format!("{address}/graphql")).json(&json!({ "query": query, "variables": variables }));
    if let Some(token) = token {
        request = request.bearer_auth(token);
    }
    request.send().await.expect("POST /graphql").json().await.expect("JSON response")
}

impl TestApp {
    /// POSTs a GraphQL request as the administrator; returns the whole response body.
    pub async fn graphql(&self, query: &str, variables: Value) -> Value {
        post(&self.client, &self.address, Some(&self.admin_token), query, variables).await
    }

    /// POSTs a GraphQL request without credentials.
    pub async fn anonymous(&self, query: &str, variables: Value) -> Value {
        post(&self.client, &self.address, None, query, variables).await
    }

    /// POSTs a GraphQL request with the given access token.
    pub async fn graphql_as(&self, token: &str, query: &str, variables: Value) -> Value {
        post(&self.client, &self.address, Some(token), query, variables).await
    }

    /// The PostgreSQL URL of this server's database (PostGIS backend only).
    pub fn database_url(&self) -> Option<String> {
        self.database.as_ref().map(|d| d.url.clone())
    }

    /// Signs in as an account; returns its access token.
    pub async fn token(&self, identifier: &str) -> String {
        login(&self.client, &self.address, identifier, PASSWORD).await["accessToken"].as_str().unwrap().to_string()
    }

    /// Like [`graphql`](Self::graphql) but fails the test on any error; returns `data`.
    pub async fn data(&self, query: &str, variables: Value) -> Value {
        let body = self.graphql(query, variables).await;
        assert!(body.get("errors").is_none(), "unexpected errors: {body:#}");
        body["data"].clone()
    }

    pub async fn get(&self, path: &str) -> reqwest::Response {
        self.client.get(format!("{}{path}", self.address)).send().await.expect("GET")
    }

    /// Stops the server and waits for it (in-flight requests finish first).
    pub async fn stop(mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        if let Some(server) = self.server.take() {
            server.await.expect("server task");
        }
        drop(self.database.take());
    }
}

impl Drop for TestApp {
    fn drop(&mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        if let Some(server) = self.server.take() {
            server.abort();
        }
    }
}

/// The first error's `extensions.code`.
pub fn error_code(body: &Value) -> &str {
    body["errors"][0]["extensions"]["code"].as_str().unwrap_or("<none>")
}

/// Emits one test per backend for each `async fn(&TestApp)` named.
#[macro_export]
macro_rules! on_both_backends {
    ($($name:ident),* $(,)?) => {
        mod sqlite {
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn $name() {
                    let app = $crate::helpers::spawn_app($crate::helpers::Backend::Sqlite).await.unwrap();
                    super::$name(&app).await;
                }
            )*
        }
        mod postgis {
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn $name() {
                    let Some(app) = $crate::helpers::spawn_app($crate::helpers::Backend::Postgis).await else { return };
                    super::$name(&app).await;
                }
            )*
        }
    };
}

/// Compares two JSON answers: numbers to a relative 1e-9 (absolute 1e-9
/// near zero), everything else exactly. Returns the first difference.
pub fn json_diff(a: &Value, b: &Value, path: &str) -> Option<String> {
    match (a, b) {
        (Value::Number(x), Value::Number(y)) => {
            let (x, y) = (x.as_f64().unwrap(), y.as_f64().unwrap());
            let tolerance = 1e-9_f64.max(1e-9 * x.abs().max(y.abs()));
            ((x - y).abs() > tolerance).then(|| format!("{path}: {x} vs {y}"))
        }
        (Value::Array(xs), Value::Array(ys)) => {
            if xs.len() != ys.len() {
                return Some(format!("{path}: {} items vs {}", xs.len(), ys.len()));
            }
            xs.iter().zip(ys).enumerate().find_map(|(i, (x, y))| json_diff(x, y, &format!("{path}[{i}]")))
        }
        (Value::Object(xs), Value::Object(ys)) => {
            if xs.len() != ys.len() {
                return Some(format!(
                    "{path}: keys {:?} vs {:?}",
                    xs.keys().collect::<Vec<_>>(),
                    ys.keys().collect::<Vec<_>>()
                ));
            }
            xs.iter().find_map(|(k, x)| match ys.get(k) {
                Some(y) => json_diff(x, y, &format!("{path}.{k}")),
                None => Some(format!("{path}.{k}: missing")),
            })
        }
        _ => (a != b).then(|| format!("{path}: {a} vs {b}")),
    }
}

/// Runs one subscription over an open WebSocket with the graphql-transport-ws
/// protocol: `connection_init` with the bearer token, then `subscribe`;
/// returns the payloads of every `next` until `complete`.
pub async fn subscription<S>(
    mut socket: tokio_tungstenite::WebSocketStream<S>,
    token: &str,
    query: &str,
    variables: Value,
) -> Vec<Value>
where
    S: tokio::io::AsyncRead + tokio::io::AsyncWrite + Unpin,
{
    use futures_util::{SinkExt, StreamExt};
    use tokio_tungstenite::tungstenite::Message;
    let send = |v: Value| Message::Text(v.to_string().into());
    socket
        .send(send(json!({"type": "connection_init", "payload": {"Authorization": format!("Bearer {token}")}})))
        .await
        .unwrap();
    let mut payloads = Vec::new();
    let deadline = tokio::time::Instant::now() + std::time::Duration::from_secs(30);
    loop {
        let message = tokio::time::timeout_at(deadline, socket.next())
            .await
            .expect("the subscription ends within 30 s")
            .expect("the socket stays open")
            .expect("a WebSocket message");
        let Message::Text(text) = message else { continue };
        let value: Value = serde_json::from_str(&text).unwrap();
        match value["type"].as_str().unwrap() {
            "connection_ack" => {
                let subscribe =
                    json!({"id": "1", "type": "subscribe", "payload": {"query": query, "variables": variables}});
                socket.send(send(subscribe)).await.unwrap();
            }
            "next" => payloads.push(value["payload"].clone()),
            "complete" => break,
            "ping" => socket.send(send(json!({"type": "pong"}))).await.unwrap(),
            other => panic!("unexpected {other}: {value}"),
        }
    }
    payloads
}

/// A WebSocket request for the graphql-transport-ws protocol.
pub fn websocket_request(url: &str) -> tokio_tungstenite::tungstenite::handshake::client::Request {
    use tokio_tungstenite::tungstenite::client::IntoClientRequest;
    let mut request = url.into_client_request().unwrap();
    request.headers_mut().insert("Sec-WebSocket-Protocol", "graphql-transport-ws".parse().unwrap());
    request
}
