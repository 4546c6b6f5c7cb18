//! PostgreSQL restarts while ODG runs: `/readyz` goes unready, the process
//! keeps serving `/healthz`, and once the database is back ODG recovers by
//! itself, with no failed request after `/readyz` says ready again. A
//! restart that happens between two requests goes unnoticed by clients.
//!
//! The test runs a PostgreSQL 15 cluster of its own (initdb into a temporary
//! directory, its own loopback port and socket directory), so stopping it
//! disturbs no other test. It needs the PostgreSQL server binaries and
//! PostGIS (`./scripts/test.sh` installs them) and, like every PostGIS test,
//! is skipped when `ODG_TEST_POSTGRES_URL` is unset.

use crate::helpers::{JWT_SECRET, PASSWORD, login, postgres_admin_url};
use odg::app::App;
use odg::config::Config;
use serde_json::{Value, json};
use std::collections::HashMap;
use std::path::PathBuf;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

/// A throwaway PostgreSQL cluster, stopped (immediately) when dropped.
struct Cluster {
    bin: PathBuf,
    /// Holds `data/`, `socket/` and `log`; removed after the cluster stops.
    dir: tempfile::TempDir,
    port: u16,
    /// Run the server binaries as `postgres` (they refuse to run as root).
    as_postgres: bool,
}

impl Cluster {
    /// initdb and start; `None` (with a message) when the binaries are missing.
    fn create() -> Option<Cluster> {
        let bin = ["/usr/lib/postgresql/15/bin", "/usr/lib/postgresql/16/bin", "/usr/lib/postgresql/17/bin"]
            .into_iter()
            .map(PathBuf::from)
            .find(|dir| dir.join("initdb").is_file() && dir.join("pg_ctl").is_file());
        let Some(bin) = bin else {
            assert!(std::env::var("CI").is_err(), "CI must have the PostgreSQL server (./scripts/test.sh installs it)");
            eprintln!(
                "skipped: no PostgreSQL server binaries under /usr/lib/postgresql (./scripts/test.sh installs them)"
            );
            return None;
        };
        let root = Command::new("id").arg("-u").output().is_ok_and(|o| o.stdout.trim_ascii() == b"0");
        let dir = tempfile::Builder::new().prefix("odg-resilience-").tempdir().unwrap();
        std::fs::create_dir(dir.path().join("socket")).unwrap();
        if root {
            let owned = quiet(Command::new("chown").args(["-R", "postgres:postgres"]).arg(dir.path())).unwrap();
            assert!(owned.success(), "chown of the cluster directory to postgres");
        }
        let cluster = Cluster { bin, port: free_port(), dir, as_postgres: root };
        let data = cluster.data();
        let made = cluster
            .run("initdb", &["--auth=trust", "--username=postgres", "--encoding=UTF8", "--locale=C", "--no-sync", "-D"])
            .arg(&data)
            .output()
            .unwrap();
        assert!(made.status.success(), "initdb: {}", String::from_utf8_lossy(&made.stderr));
        cluster.start();
        Some(cluster)
    }

    fn data(&self) -> PathBuf {
        self.dir.path().join("data")
    }

    /// A server binary, as `postgres` when the test runs as root.
    fn run(&self, tool: &str, args: &[&str]) -> Command {
        let program = self.bin.join(tool);
        let mut command = if self.as_postgres {
            let mut c = Command::new("runuser");
            c.args(["-u", "postgres", "--"]).arg(program);
            c
        } else {
            Command::new(program)
        };
        command.args(args).current_dir(self.dir.path());
        // The server must not hold the test harness's output open.
        command.stdin(Stdio::null()).stdout(Stdio::null()).stderr(Stdio::piped());
        command
    }

    fn start(&self) {
        let options = format!(
            "-p {} -k {} -c listen_addresses=127.0.0.1 -c fsync=off -c max_connections=20",
            self.port,
            self.dir.path().join("socket").display()
        );
        let out = self
            .run("pg_ctl", &["start", "-w", "-t", "60", "-o", &options, "-l"])
            .arg(self.dir.path().join("log"))
            .arg("-D")
            .arg(self.data())
            .output()
            .unwrap();
        assert!(out.status.success(), "pg_ctl start: {}\n{}", String::from_utf8_lossy(&out.stderr), self.log());
    }

    /// Stops the cluster: `fast` closes every connection, as a restart does.
    fn stop(&self, mode: &str) -> bool {
        self.run("pg_ctl", &["stop", "-w", "-t", "60", "-m", mode, "-D"])
            .arg(self.data())
            .output()
            .is_ok_and(|o| o.status.success())
    }

    fn log(&self) -> String {
        std::fs::read_to_string(self.dir.path().join("log")).unwrap_or_default()
    }

    fn url(&self, database: &str) -> String {
        format!("postgres://postgres@127.0.0.1:{}/{database}", self.port)
    }
}

impl Drop for Cluster {
    fn drop(&mut self) {
        if self.data().join("postmaster.pid").exists() {
            self.stop("immediate");
        }
    }
}

fn quiet(command: &mut Command) -> std::io::Result<std::process::ExitStatus> {
    command.stdin(Stdio::null()).stdout(Stdio::null()).stderr(Stdio::null()).status()
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port()
}

async fn execute(url: &str, sql: &str) {
    use sea_orm::ConnectionTrait;
    let db = sea_orm::Database::connect(url).await.unwrap_or_else(|e| panic!("connect to {url}: {e}"));
    db.execute_unprepared(sql).await.unwrap_or_else(|e| panic!("{sql}: {e}"));
    db.close().await.ok();
}

/// The status and body of a GET.
async fn get(client: &reqwest::Client, url: &str) -> Option<(u16, String)> {
    let response = client.get(url).send().await.ok()?;
    let status = response.status().as_u16();
    Some((status, response.text().await.unwrap_or_default()))
}

/// Polls `/readyz` until it answers `status`; returns how long that took.
async fn wait_for_readyz(client: &reqwest::Client, base: &str, status: u16, within: Duration) -> Duration {
    let start = Instant::now();
    loop {
        let answer = get(client, &format!("{base}/readyz")).await;
        if answer.as_ref().is_some_and(|(s, _)| *s == status) {
            return start.elapsed();
        }
        assert!(start.elapsed() < within, "/readyz did not answer {status} within {within:?}: last answer {answer:?}");
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}

const QUERY: &str = "{ deposits(first: 3, filter: { commodityCode: [\"MN\"] }) { totalCount nodes { name operator { name } commodity { code } } } operators(first: 2) { totalCount } }";

/// A GraphQL request as `token`; the body, or why it failed.
async fn graphql(client: &reqwest::Client, base: &str, token: &str, query: &str) -> Result<Value, String> {
    let response = client
        .post(format!("{base}/graphql"))
        .bearer_auth(token)
        .json(&json!({ "query": query }))
        .send()
        .await
        .map_err(|e| format!("no answer: {e}"))?;
    let status = response.status();
    let body: Value = response.json().await.map_err(|e| format!("{status}: not JSON: {e}"))?;
    if status != 200 || body.get("errors").is_some() {
        return Err(format!("{status}: {body}"));
    }
    Ok(body)
}

/// `n` concurrent GraphQL requests; their outcomes in order.
async fn burst(client: &reqwest::Client, base: &str, token: &str, n: usize) -> Vec<Result<Value, String>> {
    let requests: Vec<_> = (0..n)
        .map(|_| {
            let (client, base, token) = (client.clone(), base.to_string(), token.to_string());
            tokio::spawn(async move { graphql(&client, &base, &token, QUERY).await })
        })
        .collect();
    let mut outcomes = Vec::with_capacity(n);
    for request in requests {
        outcomes.push(request.await.expect("request task"));
    }
    outcomes
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn odg_recovers_by_itself_when_postgresql_restarts() {
    if postgres_admin_url().is_none() {
        return;
    }
    let Some(cluster) = Cluster::create() else { return };
    execute(&cluster.url("postgres"), "CREATE DATABASE odg").await;
    execute(&cluster.url("odg"), "CREATE EXTENSION postgis").await;

    let data_dir = tempfile::tempdir().unwrap();
    let vars: HashMap<&str, String> = HashMap::from([
        ("DATABASE_URL", cluster.url("odg")),
        ("ODG_BIND", "127.0.0.1:0".into()),
        ("ODG_DATA_DIR", data_dir.path().display().to_string()),
        ("ODG_DB_MAX_CONNECTIONS", "4".into()),
        ("ODG_SHUTDOWN_GRACE_SECS", "2".into()),
        ("ODG_JWT_SECRET", JWT_SECRET.into()),
    ]);
    let config = Config::from_lookup(|k| vars.get(k).cloned()).unwrap();
    let app = App::build(&config, true).await.unwrap_or_else(|e| panic!("server did not start: {e:#}"));
    let base = format!("http://127.0.0.1:{}", app.port());
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let server = tokio::spawn(app.run_until_stopped(async move {
        let _ = stopped.await;
    }));
    let client = reqwest::Client::builder().timeout(Duration::from_secs(30)).build().unwrap();

    // Up, with every pooled connection open and in use.
    wait_for_readyz(&client, &base, 200, Duration::from_secs(10)).await;
    let token = login(&client, &base, "admin", PASSWORD).await["accessToken"].as_str().unwrap().to_string();
    let before = graphql(&client, &base, &token, QUERY).await.expect("query before the restart");
    for answer in burst(&client, &base, &token, 8).await {
        answer.expect("concurrent query before the restart");
    }

    // The database goes away: unready, but the process lives on.
    assert!(cluster.stop("fast"), "pg_ctl stop: {}", cluster.log());
    let unready_after = wait_for_readyz(&client, &base, 503, Duration::from_secs(30)).await;
    let (status, reason) =
        get(&client, &format!("{base}/readyz")).await.expect("/readyz answers while the database is down");
    assert_eq!((status, reason.as_str()), (503, "database unreachable"));
    assert_eq!(get(&client, &format!("{base}/healthz")).await, Some((200, "ok".to_string())), "/healthz while down");
    let failed = graphql(&client, &base, &token, QUERY).await;
    assert!(failed.is_err(), "a query cannot succeed while the database is down: {failed:?}");
    assert!(!server.is_finished(), "ODG exited when the database stopped");
    // Each request says so at once (it used to wait 10 s for the pool, then answer 500 INTERNAL).
    for path in ["/graphql", "/ogc/collections/deposits/items", "/tiles/deposits/8/137/129.mvt"] {
        let started = Instant::now();
        let response = if path == "/graphql" {
            client.post(format!("{base}{path}")).bearer_auth(&token).json(&json!({ "query": QUERY })).send().await
        } else {
            client.get(format!("{base}{path}")).bearer_auth(&token).send().await
        }
        .unwrap();
        let took = started.elapsed();
        assert_eq!(response.status(), 503, "{path}");
        assert_eq!(response.headers()["retry-after"], "5", "{path}");
        let body: Value = response.json().await.unwrap();
        let code = if path == "/graphql" { &body["errors"][0]["extensions"]["code"] } else { &body["code"] };
        assert_eq!(code, "UNAVAILABLE", "{path}: {body}");
        // Far below the pool's 10 s: a liveness bound, not a speed target.
        assert!(took < Duration::from_secs(3), "{path} took {took:?} to say the database is away");
    }
    assert_eq!(get(&client, &format!("{base}/healthz")).await, Some((200, "ok".to_string())));

    // The database comes back: ODG recovers without being restarted.
    cluster.start();
    let ready_after = wait_for_readyz(&client, &base, 200, Duration::from_secs(30)).await;
    eprintln!("/readyz: 503 after {unready_after:?} without the database, 200 again {ready_after:?} after its restart");
    let mut failures = Vec::new();
    for round in 0..10 {
        for (i, answer) in burst(&client, &base, &token, 4).await.into_iter().enumerate() {
            match answer {
                Ok(body) => assert_eq!(body, before, "the same answer as before the restart"),
                Err(e) => failures.push(format!("round {round}, request {i}: {e}")),
            }
        }
        match get(&client, &format!("{base}/readyz")).await {
            Some((200, _)) => {}
            other => failures.push(format!("round {round}: /readyz {other:?}")),
        }
    }
    // Writes work again too: a sign-in stores a refresh token.
    let again = login(&client, &base, "editeur", PASSWORD).await;
    assert!(again["refreshToken"].as_str().is_some_and(|t| !t.is_empty()), "{again}");
    assert!(failures.is_empty(), "requests failed after /readyz was ready again:\n{}", failures.join("\n"));

    // A restart between two requests, which ODG does not see happen: its
    // pooled connections are dead, yet the very next requests succeed (each
    // connection is tested before use and replaced).
    assert!(cluster.stop("fast"), "pg_ctl stop: {}", cluster.log());
    cluster.start();
    for (i, answer) in burst(&client, &base, &token, 8).await.into_iter().enumerate() {
        assert_eq!(answer.unwrap_or_else(|e| panic!("request {i} after an unseen restart: {e}")), before);
    }

    let _ = stop.send(());
    server.await.unwrap().unwrap();
}
