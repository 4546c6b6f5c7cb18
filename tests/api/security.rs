//! Accounts and the hardened API: sign-in, lockout, sessions, tokens,
//! the role matrix, the audit log and production start-up refusals.

use crate::helpers::{Backend, JWT_SECRET, PASSWORD, TestApp, error_code, spawn_app, spawn_empty, spawn_with};
use crate::on_both_backends;
use serde_json::{Value, json};

on_both_backends!(
    refresh_tokens_rotate_and_a_reused_one_revokes_its_family,
    forged_expired_and_stale_tokens_are_refused,
    every_mutation_refuses_an_anonymous_caller,
    each_role_can_do_exactly_what_it_may,
    changes_are_audited,
    a_password_change_ends_the_other_sessions,
);

const LOGIN: &str = "mutation($i: String!, $p: String!) { login(identifier: $i, password: $p) { accessToken refreshToken user { username role } } }";
const REFRESH: &str = "mutation($t: String!) { refreshToken(refreshToken: $t) { accessToken refreshToken } }";

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sign_in_fails_alike_locks_out_and_unlocks_after_the_delay_on_sqlite() {
    lockout(Backend::Sqlite).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sign_in_fails_alike_locks_out_and_unlocks_after_the_delay_on_postgis() {
    lockout(Backend::Postgis).await;
}

async fn lockout(backend: Backend) {
    let extra = [("ODG_LOGIN_MAX_FAILURES", "3"), ("ODG_LOGIN_LOCKOUT_SECS", "1")];
    let Some(app) = spawn_with(backend, true, &extra).await else { return };
    let unknown = app.anonymous(LOGIN, json!({"i": "nobody", "p": "whatever-password"})).await;
    assert_eq!(error_code(&unknown), "UNAUTHENTICATED");
    for _ in 0..3 {
        let wrong = app.anonymous(LOGIN, json!({"i": "editeur", "p": "not-the-password"})).await;
        assert_eq!(error_code(&wrong), "UNAUTHENTICATED");
        assert_eq!(wrong["errors"][0]["message"], unknown["errors"][0]["message"], "the error tells accounts apart");
    }
    let locked = app.anonymous(LOGIN, json!({"i": "editeur", "p": PASSWORD})).await;
    assert_eq!(error_code(&locked), "UNAUTHENTICATED", "a locked account signed in: {locked}");
    assert_eq!(locked["errors"][0]["message"], unknown["errors"][0]["message"]);
    tokio::time::sleep(std::time::Duration::from_millis(1200)).await;
    let ok = app.anonymous(LOGIN, json!({"i": "EDITEUR@demo.odg.example", "p": PASSWORD})).await;
    assert_eq!(ok["data"]["login"]["user"]["role"], "EDITOR", "{ok}");
}

async fn refresh_tokens_rotate_and_a_reused_one_revokes_its_family(app: &TestApp) {
    let first = app.anonymous(LOGIN, json!({"i": "partenaire", "p": PASSWORD})).await["data"]["login"].clone();
    let original = first["refreshToken"].as_str().unwrap();
    let rotated = app.anonymous(REFRESH, json!({"t": original})).await;
    let next = rotated["data"]["refreshToken"]["refreshToken"].as_str().expect("rotation").to_string();
    assert_ne!(next, original);
    let me = app
        .graphql_as(rotated["data"]["refreshToken"]["accessToken"].as_str().unwrap(), "{ me { username } }", json!({}))
        .await;
    assert_eq!(me["data"]["me"]["username"], "partenaire");
    // The old token again: theft. Its whole family ends, the rotated one too.
    let reused = app.anonymous(REFRESH, json!({"t": original})).await;
    assert_eq!(error_code(&reused), "UNAUTHENTICATED");
    let after = app.anonymous(REFRESH, json!({"t": next})).await;
    assert_eq!(error_code(&after), "UNAUTHENTICATED", "the chain survived reuse: {after}");
    // Another session of the same account is untouched.
    let other = app.anonymous(LOGIN, json!({"i": "partenaire", "p": PASSWORD})).await["data"]["login"].clone();
    let still = app.anonymous(REFRESH, json!({"t": other["refreshToken"]})).await;
    assert!(still.get("errors").is_none(), "{still}");
    // Logout ends it.
    let token = still["data"]["refreshToken"]["accessToken"].as_str().unwrap();
    let refresh = still["data"]["refreshToken"]["refreshToken"].as_str().unwrap();
    app.graphql_as(token, "mutation($t: String) { logout(refreshToken: $t) }", json!({"t": refresh})).await;
    assert_eq!(error_code(&app.anonymous(REFRESH, json!({"t": refresh})).await), "UNAUTHENTICATED");
    assert_eq!(error_code(&app.anonymous(REFRESH, json!({"t": "made-up"})).await), "UNAUTHENTICATED");
}

fn forge(claims: Value, secret: &str, algorithm: jsonwebtoken::Algorithm) -> String {
    let key = jsonwebtoken::EncodingKey::from_secret(secret.as_bytes());
    jsonwebtoken::encode(&jsonwebtoken::Header::new(algorithm), &claims, &key).unwrap()
}

async fn forged_expired_and_stale_tokens_are_refused(app: &TestApp) {
    use base64::Engine;
    let b64 = |v: &[u8]| base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(v);
    let now = chrono::Utc::now().timestamp();
    let admin = json!({"sub": "1", "role": "ADMIN", "ver": 0, "iat": now, "exp": now + 600, "iss": "odg"});
    let good = app.admin_token.clone();
    let (header, _, signature) = {
        let parts: Vec<&str> = good.split('.').collect();
        (parts[0].to_string(), parts[1].to_string(), parts[2].to_string())
    };
    let tampered = format!("{header}.{}.{signature}", b64(admin.to_string().as_bytes()));
    let unsigned = format!("{}.{}.", b64(br#"{"alg":"none","typ":"JWT"}"#), b64(admin.to_string().as_bytes()));
    let wrong_key = forge(admin.clone(), "another-secret-another-secret-another", jsonwebtoken::Algorithm::HS256);
    let hs512 = forge(admin.clone(), JWT_SECRET, jsonwebtoken::Algorithm::HS512);
    let mut expired_claims = admin.clone();
    expired_claims["exp"] = json!(now - 5);
    let expired = forge(expired_claims, JWT_SECRET, jsonwebtoken::Algorithm::HS256);
    for (what, token) in [
        ("tampered", &tampered),
        ("alg none", &unsigned),
        ("wrong key", &wrong_key),
        ("HS512", &hs512),
        ("expired", &expired),
        ("garbage", &"abc".to_string()),
    ] {
        let body = app.graphql_as(token, "{ me { username } deposits { totalCount } }", json!({})).await;
        assert_eq!(error_code(&body), "UNAUTHENTICATED", "{what} token: {body}");
        assert!(body["data"]["me"].is_null() && body["data"]["deposits"].is_null(), "{what} token got data: {body}");
    }
    // A well-signed token of a suspended account stops working at once.
    let editor = app.token("editeur").await;
    let me = app.graphql_as(&editor, "{ me { id } }", json!({})).await;
    let id = me["data"]["me"]["id"].as_str().unwrap().to_string();
    app.data("mutation($id: ID!) { suspendUser(id: $id) { status } }", json!({"id": id})).await;
    let body = app.graphql_as(&editor, "{ me { username } }", json!({})).await;
    assert_eq!(error_code(&body), "UNAUTHENTICATED", "{body}");
    let login = app.anonymous(LOGIN, json!({"i": "editeur", "p": PASSWORD})).await;
    assert_eq!(error_code(&login), "UNAUTHENTICATED");
    // And a token of a deleted account.
    let partner = app.token("partenaire").await;
    let id =
        app.graphql_as(&partner, "{ me { id } }", json!({})).await["data"]["me"]["id"].as_str().unwrap().to_string();
    app.data("mutation($id: ID!) { deleteUser(id: $id) }", json!({"id": id})).await;
    let body = app.graphql_as(&partner, "{ me { username } }", json!({})).await;
    assert_eq!(error_code(&body), "UNAUTHENTICATED", "{body}");
}

/// A GraphQL literal for a required value of `type_ref`.
/// Stands for a file argument, which no literal can give.
const UPLOAD: &str = "<upload>";

fn literal(type_ref: &Value, types: &[Value]) -> String {
    match type_ref["kind"].as_str().unwrap() {
        "NON_NULL" => literal(&type_ref["ofType"], types),
        "LIST" => format!("[{}]", literal(&type_ref["ofType"], types)),
        "SCALAR" => match type_ref["name"].as_str().unwrap() {
            "ID" => "\"1\"".into(),
            "String" => "\"a-long-enough-value-42\"".into(),
            "Int" => "1".into(),
            "Float" => "1.0".into(),
            "Boolean" => "true".into(),
            "GeoJSON" => "{type: \"Point\", coordinates: [13.2, -1.5]}".into(),
            "NaiveDate" => "\"2024-01-01\"".into(),
            "Upload" => UPLOAD.into(),
            _ => "{}".into(),
        },
        "ENUM" | "INPUT_OBJECT" => {
            let name = type_ref["name"].as_str().unwrap();
            let t = types.iter().find(|t| t["name"] == name).unwrap();
            if t["kind"] == "ENUM" {
                return t["enumValues"][0]["name"].as_str().unwrap().to_string();
            }
            let fields: Vec<String> = t["inputFields"]
                .as_array()
                .unwrap()
                .iter()
                .filter(|f| f["type"]["kind"] == "NON_NULL" && f["defaultValue"].is_null())
                .map(|f| format!("{}: {}", f["name"].as_str().unwrap(), literal(&f["type"], types)))
                .collect();
            format!("{{{}}}", fields.join(", "))
        }
        other => panic!("unexpected input kind {other}"),
    }
}

async fn every_mutation_refuses_an_anonymous_caller(app: &TestApp) {
    let schema = app
        .anonymous(
            "{ __schema { mutationType { fields { name args { name defaultValue type { ...T } } type { ...T } } } \
               types { name kind enumValues { name } inputFields { name defaultValue type { ...T } } } } } \
             fragment T on __Type { kind name ofType { kind name ofType { kind name ofType { kind name } } } }",
            json!({}),
        )
        .await;
    let types = schema["data"]["__schema"]["types"].as_array().unwrap().clone();
    let mutations = schema["data"]["__schema"]["mutationType"]["fields"].as_array().unwrap();
    assert!(mutations.len() >= 20, "{} mutations", mutations.len());
    let before =
        app.data("{ deposits { totalCount } operators { totalCount } commodities { totalCount } }", json!({})).await;
    for m in mutations {
        let name = m["name"].as_str().unwrap();
        let args: Vec<String> = m["args"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|a| a["type"]["kind"] == "NON_NULL" && a["defaultValue"].is_null())
            .map(|a| format!("{}: {}", a["name"].as_str().unwrap(), literal(&a["type"], &types)))
            .collect();
        if args.iter().any(|a| a.contains(UPLOAD)) {
            // A file travels in a multipart request: tests/api/layers.rs checks these.
            continue;
        }
        let args = if args.is_empty() { String::new() } else { format!("({})", args.join(", ")) };
        let mut returns = &m["type"];
        while returns["name"].is_null() {
            returns = &returns["ofType"];
        }
        let selection = match types.iter().find(|t| t["name"] == returns["name"]).map(|t| t["kind"].clone()) {
            Some(kind) if kind == "OBJECT" => " { __typename }",
            _ => "",
        };
        let query = format!("mutation {{ {name}{args}{selection} }}");
        let body = app.anonymous(&query, json!({})).await;
        if name == "login" || name == "refreshToken" {
            // These are how anonymous callers authenticate: wrong credentials fail.
            assert_eq!(error_code(&body), "UNAUTHENTICATED", "{query}: {body}");
            continue;
        }
        assert_eq!(error_code(&body), "UNAUTHENTICATED", "{query}: {body}");
        assert!(body["data"].is_null() || body["data"][name].is_null(), "{query} answered data: {body}");
    }
    let after =
        app.data("{ deposits { totalCount } operators { totalCount } commodities { totalCount } }", json!({})).await;
    assert_eq!(before, after);
}

/// The id of the first deposit of an operator (by slug), or of another company.
async fn deposit_of(app: &TestApp, slug: &str, own: bool) -> String {
    let op = app.data("query($s: String) { operator(slug: $s) { id } }", json!({"s": slug})).await;
    let op_id = op["operator"]["id"].as_str().unwrap().to_string();
    let all = app.data("{ deposits(first: 100) { edges { node { id operator { id } } } } }", json!({})).await;
    all["deposits"]["edges"]
        .as_array()
        .unwrap()
        .iter()
        .find(|e| {
            (e["node"]["operator"]["id"].as_str() == Some(op_id.as_str())) == own && !e["node"]["operator"].is_null()
        })
        .map(|e| e["node"]["id"].as_str().unwrap().to_string())
        .unwrap()
}

async fn each_role_can_do_exactly_what_it_may(app: &TestApp) {
    let own = deposit_of(app, "comilog", true).await;
    let other = deposit_of(app, "comilog", false).await;
    let comilog = app.data("{ operator(slug: \"comilog\") { id } }", json!({})).await["operator"]["id"].clone();
    let rename = "mutation($id: ID!, $n: String!) { updateDeposit(id: $id, input: {name: $n}) { name } }";
    let create_for = |op: Value| json!({"op": op});
    let create = "mutation($op: ID) { createDeposit(input: {name: \"Nouveau\", commodityCode: \"MN\", operatorId: $op, status: EXPLORATION, \
                  geometry: {type: \"Point\", coordinates: [13.3, -1.6]}}) { id } }";
    let commodity = "mutation { createCommodity(input: {code: \"LI\", nameFr: \"Lithium\", nameEn: \"Lithium\", color: \"#AABBCC\", defaultUnit: \"t\"}) { id } }";
    let infrastructure = "mutation { createInfrastructure(input: {name: \"Piste\", kind: ROAD, status: PLANNED, geometry: {type: \"LineString\", coordinates: [[13, -1], [13.1, -1.1]]}}) { id } }";
    let users = "{ users { totalCount } }";
    let audit = "{ auditLog { totalCount } }";
    let read = "{ deposits { totalCount } }";
    // (role, [read, rename own, rename other, create for own, create for none, commodity, infrastructure, users, audit])
    let matrix = [
        ("admin", ["ok", "ok", "ok", "ok", "ok", "ok", "ok", "ok", "ok"]),
        ("editeur", ["ok", "ok", "ok", "ok", "ok", "ok", "ok", "FORBIDDEN", "FORBIDDEN"]),
        ("operateur", ["ok", "ok", "FORBIDDEN", "ok", "FORBIDDEN", "FORBIDDEN", "FORBIDDEN", "FORBIDDEN", "FORBIDDEN"]),
        (
            "partenaire",
            [
                "ok",
                "FORBIDDEN",
                "FORBIDDEN",
                "FORBIDDEN",
                "FORBIDDEN",
                "FORBIDDEN",
                "FORBIDDEN",
                "FORBIDDEN",
                "FORBIDDEN",
            ],
        ),
    ];
    for (i, (role, expected)) in matrix.iter().enumerate() {
        let token = app.token(role).await;
        let name = format!("Renommé par {role} {i}");
        let before_other =
            app.data("query($id: ID!) { deposit(id: $id) { name updatedAt } }", json!({"id": other})).await;
        let results = [
            app.graphql_as(&token, read, json!({})).await,
            app.graphql_as(&token, rename, json!({"id": own, "n": name})).await,
            app.graphql_as(&token, rename, json!({"id": other, "n": name})).await,
            app.graphql_as(&token, create, create_for(comilog.clone())).await,
            app.graphql_as(&token, create, create_for(Value::Null)).await,
            app.graphql_as(&token, commodity, json!({})).await,
            app.graphql_as(&token, infrastructure, json!({})).await,
            app.graphql_as(&token, users, json!({})).await,
            app.graphql_as(&token, audit, json!({})).await,
        ];
        for (j, (body, want)) in results.iter().zip(expected.iter()).enumerate() {
            let got = if body.get("errors").is_none() { "ok" } else { error_code(body) };
            // A second commodity LI from a later role is a conflict, not a permission.
            let got = if got == "CONFLICT" { "ok" } else { got };
            assert_eq!(got, *want, "{role}, action {j}: {body}");
        }
        if expected[2] == "FORBIDDEN" {
            let after_other =
                app.data("query($id: ID!) { deposit(id: $id) { name updatedAt } }", json!({"id": other})).await;
            assert_eq!(before_other, after_other, "{role} changed another company's deposit");
        }
    }
    // An operator cannot move its deposit to another company either.
    let token = app.token("operateur").await;
    let body = app
        .graphql_as(
            &token,
            "mutation($id: ID!) { updateDeposit(id: $id, input: {operatorId: null}) { id } }",
            json!({"id": own}),
        )
        .await;
    assert_eq!(error_code(&body), "FORBIDDEN", "{body}");
}

async fn changes_are_audited(app: &TestApp) {
    let token = app.token("editeur").await;
    app.graphql_as(
        &token,
        "mutation { updateDeposit(id: \"2\", input: {name: \"Okouma (révisé)\", grade: 44.5}) { id } }",
        json!({}),
    )
    .await;
    let log = app
        .data(
            "{ auditLog(filter: {entity: \"deposit\", entityId: \"2\"}) { totalCount edges { node { username action changedFields at } } } }",
            json!({}),
        )
        .await;
    let entries = log["auditLog"]["edges"].as_array().unwrap();
    let update = entries.iter().find(|e| e["node"]["action"] == "UPDATE").expect("an UPDATE entry");
    assert_eq!(update["node"]["username"], "editeur");
    let mut fields: Vec<&str> =
        update["node"]["changedFields"].as_array().unwrap().iter().map(|f| f.as_str().unwrap()).collect();
    fields.sort();
    assert_eq!(fields, ["grade", "name"]);
    // Only administrators read the audit log.
    let body = app.graphql_as(&token, "{ auditLog { totalCount } }", json!({})).await;
    assert_eq!(error_code(&body), "FORBIDDEN");
}

async fn a_password_change_ends_the_other_sessions(app: &TestApp) {
    let first = app.anonymous(LOGIN, json!({"i": "partenaire", "p": PASSWORD})).await["data"]["login"].clone();
    let second = app.anonymous(LOGIN, json!({"i": "partenaire", "p": PASSWORD})).await["data"]["login"].clone();
    let change =
        "mutation($c: String!, $n: String!) { changePassword(currentPassword: $c, newPassword: $n) { accessToken } }";
    let weak = app
        .graphql_as(first["accessToken"].as_str().unwrap(), change, json!({"c": PASSWORD, "n": "password1234"}))
        .await;
    assert_eq!(error_code(&weak), "BAD_USER_INPUT");
    assert_eq!(weak["errors"][0]["extensions"]["field"], "newPassword");
    let wrong = app
        .graphql_as(
            first["accessToken"].as_str().unwrap(),
            change,
            json!({"c": "not-it-at-all", "n": "Une-Phrase-Plus-Longue-9"}),
        )
        .await;
    assert_eq!(error_code(&wrong), "BAD_USER_INPUT");
    let changed = app
        .graphql_as(
            first["accessToken"].as_str().unwrap(),
            change,
            json!({"c": PASSWORD, "n": "Une-Phrase-Plus-Longue-9"}),
        )
        .await;
    let fresh = changed["data"]["changePassword"]["accessToken"].as_str().expect("a new session").to_string();
    assert_eq!(app.graphql_as(&fresh, "{ me { username } }", json!({})).await["data"]["me"]["username"], "partenaire");
    for old in [&first, &second] {
        let body = app.graphql_as(old["accessToken"].as_str().unwrap(), "{ me { username } }", json!({})).await;
        assert_eq!(error_code(&body), "UNAUTHENTICATED");
        assert_eq!(error_code(&app.anonymous(REFRESH, json!({"t": old["refreshToken"]})).await), "UNAUTHENTICATED");
    }
    let login = app.anonymous(LOGIN, json!({"i": "partenaire", "p": "Une-Phrase-Plus-Longue-9"})).await;
    assert!(login.get("errors").is_none(), "{login}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn without_public_read_anonymous_callers_read_nothing() {
    let app = spawn_empty(Backend::Sqlite).await.unwrap();
    for query in ["{ deposits { totalCount } }", "{ operators { totalCount } }", "{ commodity(code: \"AU\") { id } }"] {
        let body = app.anonymous(query, json!({})).await;
        assert_eq!(error_code(&body), "UNAUTHENTICATED", "{query}: {body}");
    }
    assert!(app.anonymous("{ me { id } }", json!({})).await["data"]["me"].is_null());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_cli_creates_an_administrator_who_can_sign_in() {
    let app = spawn_app(Backend::Sqlite).await.unwrap();
    let mut child = std::process::Command::new(env!("CARGO_BIN_EXE_odg"))
        .args(["user", "create", "--admin", "--username", "chef", "--email", "Chef@Example.org"])
        .env("ODG_DATA_DIR", app.dir.path())
        .env_remove("DATABASE_URL")
        .env("RUST_LOG", "warn")
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    use std::io::Write;
    child.stdin.take().unwrap().write_all(b"Correct-Horse-Battery-9\nCorrect-Horse-Battery-9\n").unwrap();
    let out = child.wait_with_output().unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let login = app.anonymous(LOGIN, json!({"i": "chef@example.org", "p": "Correct-Horse-Battery-9"})).await;
    assert_eq!(login["data"]["login"]["user"]["role"], "ADMIN", "{login}");
    // A weak password is refused, and argv never carries one.
    let weak = std::process::Command::new(env!("CARGO_BIN_EXE_odg"))
        .args(["user", "create", "--username", "faible", "--email", "f@example.org"])
        .env("ODG_DATA_DIR", app.dir.path())
        .env_remove("DATABASE_URL")
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .and_then(|mut c| {
            c.stdin.take().unwrap().write_all(b"password1234\n")?;
            c.wait_with_output()
        })
        .unwrap();
    assert!(!weak.status.success());
    assert!(String::from_utf8_lossy(&weak.stderr).contains("common"), "{}", String::from_utf8_lossy(&weak.stderr));
}

#[test]
fn production_refuses_to_start_with_weak_settings() {
    let dir = tempfile::tempdir().unwrap();
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_odg"))
        .args(["serve"])
        .env("ODG_ENV", "production")
        .env("ODG_JWT_SECRET", "short")
        .env("ODG_CORS_ORIGINS", "*")
        .env("ODG_DATA_DIR", dir.path())
        .env("ODG_BIND", "127.0.0.1:1")
        .env_remove("DATABASE_URL")
        .output()
        .unwrap();
    assert!(!out.status.success());
    let stderr = String::from_utf8_lossy(&out.stderr);
    for needle in ["ODG_JWT_SECRET is shorter than 32 bytes", "ODG_CORS_ORIGINS=*", "ODG_ALLOW_SQLITE_IN_PRODUCTION"] {
        assert!(stderr.lines().any(|l| l.contains(needle)), "no line about {needle}: {stderr}");
    }
    let demo = std::process::Command::new(env!("CARGO_BIN_EXE_odg"))
        .args(["serve", "--demo"])
        .env("ODG_ENV", "production")
        .env("ODG_JWT_SECRET", "k".repeat(48))
        .env("ODG_ALLOW_SQLITE_IN_PRODUCTION", "true")
        .env("ODG_DATA_DIR", dir.path())
        .env("ODG_BIND", "127.0.0.1:1")
        .env_remove("DATABASE_URL")
        .output()
        .unwrap();
    assert!(!demo.status.success());
    assert!(String::from_utf8_lossy(&demo.stderr).contains("--demo is refused"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn responses_carry_security_headers() {
    let app = spawn_with(Backend::Sqlite, false, &[("ODG_CORS_ORIGINS", "https://carte.example.org")]).await.unwrap();
    let response = app
        .client
        .post(format!("{}/graphql", app.address))
        .header("Origin", "https://carte.example.org")
        .json(&json!({"query": "{ me { id } }"}))
        .send()
        .await
        .unwrap();
    let h = response.headers();
    assert_eq!(h["x-content-type-options"], "nosniff");
    assert_eq!(h["x-frame-options"], "DENY");
    assert!(h.contains_key("content-security-policy"));
    assert_eq!(h["access-control-allow-origin"], "https://carte.example.org");
    let foreign = app
        .client
        .post(format!("{}/graphql", app.address))
        .header("Origin", "https://evil.example")
        .json(&json!({"query": "{ me { id } }"}))
        .send()
        .await
        .unwrap();
    assert!(!foreign.headers().contains_key("access-control-allow-origin"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn introspection_and_graphiql_can_be_turned_off() {
    let app =
        spawn_with(Backend::Sqlite, false, &[("ODG_INTROSPECTION", "false"), ("ODG_GRAPHIQL", "false")]).await.unwrap();
    let body = app.graphql("{ __schema { queryType { name } } }", json!({})).await;
    assert!(body["data"]["__schema"].is_null() || body.get("errors").is_some(), "{body}");
    assert_eq!(app.get("/graphiql").await.status(), 404);
    // The API itself still answers.
    assert!(app.graphql("{ deposits { totalCount } }", json!({})).await.get("errors").is_none());
}

/// Production's default: the schema's map is for signed-in users (analysts
/// in GraphiQL), not for anonymous callers; over HTTP and WebSocket alike.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn in_production_introspection_needs_a_signed_in_user() {
    let production =
        [("ODG_ENV", "production"), ("ODG_ALLOW_SQLITE_IN_PRODUCTION", "true"), ("ODG_PUBLIC_READ", "true")];
    let app = spawn_with(Backend::Sqlite, false, &production).await.unwrap();
    let query = "{ __schema { queryType { name } } }";
    let anonymous = app.anonymous(query, json!({})).await;
    assert!(anonymous["data"]["__schema"].is_null() || anonymous.get("errors").is_some(), "{anonymous}");
    let anonymous = app.anonymous("{ __type(name: \"Deposit\") { name } }", json!({})).await;
    assert!(anonymous["data"]["__type"].is_null(), "{anonymous}");
    // Public read still answers anonymous callers.
    assert!(app.anonymous("{ deposits { totalCount } }", json!({})).await.get("errors").is_none());
    let signed_in = app.graphql(query, json!({})).await;
    assert_eq!(signed_in["data"]["__schema"]["queryType"]["name"], "QueryRoot", "{signed_in}");

    // A WebSocket connection without a valid token cannot introspect either.
    let url = format!("{}/graphql", app.address.replace("http://", "ws://"));
    let (socket, _) = tokio_tungstenite::connect_async(crate::helpers::websocket_request(&url)).await.unwrap();
    let answers = crate::helpers::subscription(socket, "not-a-token", query, json!({})).await;
    assert!(answers.iter().all(|a| a["data"]["__schema"].is_null() || a.get("errors").is_some()), "{answers:?}");
    // Development keeps it open to everyone unless told otherwise.
    let development = spawn_with(Backend::Sqlite, false, &[]).await.unwrap();
    let open = development.anonymous(query, json!({})).await;
    assert_eq!(open["data"]["__schema"]["queryType"]["name"], "QueryRoot", "{open}");
}

/// Runs the real binary with every log enabled, signs in, refreshes, changes
/// a password, and checks that no password, hash or token reached the log.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn secrets_never_reach_the_log() {
    use std::io::Write;
    let dir = tempfile::tempdir().unwrap();
    let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
    let log_path = dir.path().join("odg.log");
    let log = std::fs::File::create(&log_path).unwrap();
    let mut server = std::process::Command::new(env!("CARGO_BIN_EXE_odg"))
        .args(["serve", "--demo"])
        .env("ODG_DATA_DIR", dir.path())
        .env("ODG_BIND", format!("127.0.0.1:{port}"))
        .env("ODG_JWT_SECRET", JWT_SECRET)
        .env("RUST_LOG", "trace")
        .env_remove("DATABASE_URL")
        .stdout(log.try_clone().unwrap())
        .stderr(log)
        .spawn()
        .unwrap();
    let address = format!("http://127.0.0.1:{port}");
    let client = reqwest::Client::new();
    let mut ready = false;
    for _ in 0..200 {
        if client.get(format!("{address}/healthz")).send().await.is_ok() {
            ready = true;
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    assert!(ready, "server did not start: {}", std::fs::read_to_string(&log_path).unwrap_or_default());
    let gql = |token: Option<String>, query: &'static str, variables: Value| {
        let mut request =
            client.post(format!("{address}/graphql")).json(&json!({"query": query, "variables": variables}));
        if let Some(t) = token {
            request = request.bearer_auth(t);
        }
        async move { request.send().await.unwrap().json::<Value>().await.unwrap() }
    };
    let wrong = gql(None, LOGIN, json!({"i": "admin", "p": "Wrong-But-Distinctive-Secret-77"})).await;
    assert_eq!(error_code(&wrong), "UNAUTHENTICATED");
    let session = gql(None, LOGIN, json!({"i": "admin", "p": PASSWORD})).await["data"]["login"].clone();
    let access = session["accessToken"].as_str().unwrap().to_string();
    let refresh = session["refreshToken"].as_str().unwrap().to_string();
    let rotated = gql(None, REFRESH, json!({"t": refresh})).await;
    let new_refresh = rotated["data"]["refreshToken"]["refreshToken"].as_str().unwrap().to_string();
    let change =
        "mutation($c: String!, $n: String!) { changePassword(currentPassword: $c, newPassword: $n) { accessToken } }";
    let changed = gql(
        Some(rotated["data"]["refreshToken"]["accessToken"].as_str().unwrap().to_string()),
        change,
        json!({"c": PASSWORD, "n": "Another-Distinctive-Phrase-88"}),
    )
    .await;
    assert!(changed.get("errors").is_none(), "{changed}");
    let _ = server.kill();
    let _ = server.wait();
    let _ = std::io::stdout().flush();
    let text = std::fs::read_to_string(&log_path).unwrap();
    assert!(text.contains("finished processing request"), "the log has no request lines: {text}");
    for secret in [
        PASSWORD,
        "Wrong-But-Distinctive-Secret-77",
        "Another-Distinctive-Phrase-88",
        "$argon2id$",
        JWT_SECRET,
        access.as_str(),
        refresh.as_str(),
        new_refresh.as_str(),
    ] {
        assert!(!text.contains(secret), "the log contains a secret ({})", &secret[..secret.len().min(12)]);
    }
}

#[test]
fn doctor_reports_each_check_and_fails_on_pending_migrations() {
    let dir = tempfile::tempdir().unwrap();
    let odg = |args: &[&str]| {
        std::process::Command::new(env!("CARGO_BIN_EXE_odg"))
            .args(args)
            .env("ODG_DATA_DIR", dir.path())
            .env("ODG_JWT_SECRET", JWT_SECRET)
            .env("RUST_LOG", "error")
            .env_remove("DATABASE_URL")
            .output()
            .unwrap()
    };
    // A new database: reachable, but its schema is not there yet.
    let fresh = odg(&["doctor"]);
    let text = String::from_utf8_lossy(&fresh.stdout);
    assert!(!fresh.status.success(), "{text}");
    assert!(
        text.lines().any(|l| l.starts_with("FAIL") && l.contains("migrations") && l.contains("odg migrate")),
        "{text}"
    );
    assert!(odg(&["migrate"]).status.success());
    let healthy = odg(&["doctor"]);
    let text = String::from_utf8_lossy(&healthy.stdout);
    assert!(healthy.status.success(), "{text}");
    for check in ["configuration", "jwt secret", "disk", "database", "postgis", "migrations"] {
        assert!(text.lines().any(|l| l.starts_with("OK") && l.contains(check)), "no OK line for {check}: {text}");
    }
    assert!(!text.contains(JWT_SECRET));
}
