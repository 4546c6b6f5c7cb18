//! Mixed reads and writes from many clients at once, on both backends: no
//! 5xx and no error of any kind (every request is valid), every acknowledged write there afterwards (none
//! lost, none resurrected), and each record's last acknowledged update
//! the one stored (no lost update).
//!
//! Short in the test command (16 clients, 5 s); the long mode of the
//! reliability issue is `ODG_LOAD_CLIENTS=64 ODG_LOAD_SECONDS=60 cargo test
//! --release --test api -- load --nocapture` (docs/testing.md). It prints
//! its figures; they are not asserted.

use crate::helpers::TestApp;
use serde_json::{Value, json};
use std::collections::HashMap;
use std::time::{Duration, Instant};

fn setting(name: &str, default: u64) -> u64 {
    std::env::var(name).ok().and_then(|v| v.parse().ok()).unwrap_or(default)
}

/// What one client saw.
#[derive(Default)]
struct Outcome {
    requests: u64,
    latencies_ms: Vec<f64>,
    /// Answers that are a server's fault: 5xx, `INTERNAL`, no answer.
    faults: Vec<String>,
    /// Record id → its last acknowledged description; `None` once deleted.
    records: HashMap<String, Option<String>>,
}

/// What a client task needs of the server.
#[derive(Clone)]
struct Target {
    client: reqwest::Client,
    address: String,
    admin_token: String,
}

async fn post(app: &Target, query: &str, variables: Value, outcome: &mut Outcome) -> Option<Value> {
    let started = Instant::now();
    let sent = app
        .client
        .post(format!("{}/graphql", app.address))
        .bearer_auth(&app.admin_token)
        .json(&json!({ "query": query, "variables": variables }))
        .send()
        .await;
    outcome.requests += 1;
    outcome.latencies_ms.push(started.elapsed().as_secs_f64() * 1000.0);
    let response = match sent {
        Ok(r) => r,
        Err(e) => {
            outcome.faults.push(format!("no answer: {e}"));
            return None;
        }
    };
    let status = response.status();
    let body: Value = response.json().await.unwrap_or(Value::Null);
    let internal = body["errors"].as_array().is_some_and(|errors| {
        errors.iter().any(|e| matches!(e["extensions"]["code"].as_str(), None | Some("INTERNAL")))
    });
    // Every request here is valid: any error at all is a fault.
    if status.is_server_error() || internal || body.get("errors").is_some() {
        outcome.faults.push(format!("{status}: {body}"));
        return None;
    }
    Some(body["data"].clone())
}

async fn client(app: &Target, n: u64, until: Instant) -> Outcome {
    let mut outcome = Outcome::default();
    let mut step = 0u64;
    while Instant::now() < until {
        step += 1;
        let mine: Vec<String> = outcome.records.iter().filter(|(_, d)| d.is_some()).map(|(id, _)| id.clone()).collect();
        let lon = 10.0 + (n as f64 * 0.37 + step as f64 * 0.011) % 4.0;
        match step % 6 {
            0 | 1 => {
                let read = "query($b: BBoxInput!) { deposits(first: 50, filter: { bbox: $b }) { totalCount nodes { id name operator { name } } } }";
                let b = json!({ "west": lon - 1.0, "south": -3.0, "east": lon + 1.0, "north": 1.0 });
                post(app, read, json!({ "b": b }), &mut outcome).await;
            }
            2 => {
                let started = Instant::now();
                let tile = app.client.get(format!("{}/tiles/domain/8/137/129.mvt", app.address)).send().await;
                outcome.requests += 1;
                outcome.latencies_ms.push(started.elapsed().as_secs_f64() * 1000.0);
                match tile {
                    Ok(r) if r.status().is_server_error() => outcome.faults.push(format!("tile: {}", r.status())),
                    Ok(_) => {}
                    Err(e) => outcome.faults.push(format!("tile: no answer: {e}")),
                }
            }
            3 => {
                let create = "mutation($i: DepositInput!) { createDeposit(input: $i) { id description } }";
                let input = json!({ "name": format!("Charge {n}-{step}"), "commodityCode": "AU", "status": "EXPLORATION",
                    "geometry": { "type": "Point", "coordinates": [lon, -1.0] }, "description": "v0" });
                if let Some(data) = post(app, create, json!({ "i": input }), &mut outcome).await {
                    let id = data["createDeposit"]["id"].as_str().unwrap().to_owned();
                    outcome.records.insert(id, Some("v0".into()));
                }
            }
            4 if !mine.is_empty() => {
                let id = &mine[step as usize % mine.len()];
                let description = format!("v{step}");
                let update = "mutation($id: ID!, $p: DepositPatch!) { updateDeposit(id: $id, input: $p) { id } }";
                let patch = json!({ "description": description });
                if post(app, update, json!({ "id": id, "p": patch }), &mut outcome).await.is_some() {
                    outcome.records.insert(id.clone(), Some(description));
                }
            }
            5 if mine.len() > 3 => {
                let id = &mine[0];
                if post(app, "mutation($id: ID!) { deleteDeposit(id: $id) }", json!({ "id": id }), &mut outcome)
                    .await
                    .is_some()
                {
                    outcome.records.insert(id.clone(), None);
                }
            }
            _ => {
                post(app, "{ operators(first: 20) { totalCount nodes { name } } }", json!({}), &mut outcome).await;
            }
        }
    }
    outcome
}

fn percentile(sorted: &[f64], p: f64) -> f64 {
    sorted.get(((sorted.len() as f64 - 1.0) * p).round() as usize).copied().unwrap_or(0.0)
}

async fn many_clients_read_and_write_without_a_fault_or_a_lost_write(app: &TestApp) {
    let (clients, seconds) = (setting("ODG_LOAD_CLIENTS", 16), setting("ODG_LOAD_SECONDS", 5));
    let until = Instant::now() + Duration::from_secs(seconds);
    let started = Instant::now();
    let tasks: Vec<_> = (0..clients)
        .map(|n| {
            let app = Target {
                client: app.client.clone(),
                address: app.address.clone(),
                admin_token: app.admin_token.clone(),
            };
            tokio::spawn(async move { client(&app, n, until).await })
        })
        .collect();
    let mut all = Outcome::default();
    for task in tasks {
        let outcome = task.await.unwrap();
        all.requests += outcome.requests;
        all.latencies_ms.extend(outcome.latencies_ms);
        all.faults.extend(outcome.faults);
        all.records.extend(outcome.records);
    }
    let elapsed = started.elapsed().as_secs_f64();
    all.latencies_ms.sort_by(f64::total_cmp);
    eprintln!(
        "load: {clients} clients, {elapsed:.1} s, {} requests ({:.0}/s), p50 {:.1} ms, p99 {:.1} ms, {} faults, {} records written",
        all.requests,
        all.requests as f64 / elapsed,
        percentile(&all.latencies_ms, 0.5),
        percentile(&all.latencies_ms, 0.99),
        all.faults.len(),
        all.records.len()
    );
    assert!(
        all.faults.is_empty(),
        "{} faults, the first: {:?}",
        all.faults.len(),
        &all.faults[..all.faults.len().min(3)]
    );
    assert!(all.records.len() as u64 >= clients, "too few writes to prove anything");
    // Every acknowledged write is what the database holds.
    for (id, expected) in &all.records {
        let stored = app.data("query($id: ID!) { deposit(id: $id) { description } }", json!({ "id": id })).await;
        match expected {
            Some(description) => assert_eq!(stored["deposit"]["description"], description.as_str(), "deposit {id}"),
            None => assert!(stored["deposit"].is_null(), "deposit {id} was deleted, yet is there"),
        }
    }
}

crate::on_both_backends!(many_clients_read_and_write_without_a_fault_or_a_lost_write);
