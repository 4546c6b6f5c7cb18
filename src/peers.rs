//! Several ODG instances on one PostgreSQL database (behind a load balancer,
//! or old and new during a rolling restart) keep their tile caches current:
//! each instance publishes its changes with `pg_notify` on the
//! `odg_changes` channel and listens to the others'. Whenever the link may
//! have missed a notification (lost connection, a publisher falling
//! behind), the caches are cleared instead. SQLite is one process: nothing
//! to relay.

use crate::domain::{Catalog, Change, ChangeKind};
use crate::spatial::Bbox;
use sea_orm::sqlx::Connection;
use sea_orm::sqlx::postgres::{PgConnection, PgListener};
use serde::{Deserialize, Serialize};
use std::time::Duration;
use tokio::sync::broadcast::error::RecvError;

const CHANNEL: &str = "odg_changes";
/// PostgreSQL refuses payloads of 8000 bytes or more: past this size the
/// boxes are left out, which invalidates the whole source.
const MAX_PAYLOAD: usize = 7000;
/// Waits before listening again after the database could not be reached:
/// doubling from the first to the last while it stays away.
const RETRY_FIRST: Duration = Duration::from_secs(1);
const RETRY_LAST: Duration = Duration::from_secs(60);

/// One change as it travels between instances.
#[derive(Debug, PartialEq, Serialize, Deserialize)]
struct Message {
    /// The instance that made the change: it ignores its own messages.
    origin: u64,
    kind: String,
    id: i64,
    /// `[west, south, east, north]` per box.
    bboxes: Vec<[f64; 4]>,
}

fn kind_name(kind: ChangeKind) -> &'static str {
    match kind {
        ChangeKind::Commodity => "commodity",
        ChangeKind::Operator => "operator",
        ChangeKind::Deposit => "deposit",
        ChangeKind::ExploitationArea => "exploitation_area",
        ChangeKind::Infrastructure => "infrastructure",
        ChangeKind::Layer => "layer",
        ChangeKind::Everything => "everything",
    }
}

fn kind_of(name: &str) -> ChangeKind {
    match name {
        "commodity" => ChangeKind::Commodity,
        "operator" => ChangeKind::Operator,
        "deposit" => ChangeKind::Deposit,
        "exploitation_area" => ChangeKind::ExploitationArea,
        "infrastructure" => ChangeKind::Infrastructure,
        "layer" => ChangeKind::Layer,
        // A newer instance's kind this one does not know: assume the worst.
        _ => ChangeKind::Everything,
    }
}

fn encode(origin: u64, change: &Change) -> String {
    let bboxes = change.bboxes.iter().map(|b| [b.min_lon, b.min_lat, b.max_lon, b.max_lat]).collect();
    let mut message = Message { origin, kind: kind_name(change.kind).into(), id: change.id, bboxes };
    let text = serde_json::to_string(&message).expect("a message serializes");
    if text.len() <= MAX_PAYLOAD {
        return text;
    }
    message.bboxes.clear();
    serde_json::to_string(&message).expect("a message serializes")
}

/// The change a peer's message describes, unless it is this instance's own.
fn decode(own: u64, payload: &str) -> Option<Change> {
    let Ok(message) = serde_json::from_str::<Message>(payload) else {
        tracing::warn!(channel = CHANNEL, "ignoring a notification ODG did not write; clearing the tile cache");
        return Some(everything());
    };
    (message.origin != own).then(|| Change {
        kind: kind_of(&message.kind),
        id: message.id,
        bboxes: message
            .bboxes
            .iter()
            .map(|&[min_lon, min_lat, max_lon, max_lat]| Bbox { min_lon, min_lat, max_lon, max_lat })
            .collect(),
        from_peer: true,
    })
}

fn everything() -> Change {
    Change { kind: ChangeKind::Everything, id: 0, bboxes: Vec::new(), from_peer: true }
}

/// Starts publishing this instance's changes and relaying the peers'; the
/// tasks stop when aborted (the server stopping).
pub async fn start(catalog: Catalog, database_url: String) -> Vec<tokio::task::AbortHandle> {
    let origin: u64 = rand::random();
    let publisher = {
        let mut changes = catalog.subscribe();
        let url = database_url.clone();
        // A connection of its own, outside the pool: publishing never waits for a request's connection.
        let mut connection: Option<PgConnection> = None;
        // A change could not be published: the next message that goes out first says "everything".
        let mut owed = false;
        tokio::spawn(async move {
            loop {
                let change = match changes.recv().await {
                    Ok(change) if change.from_peer => continue,
                    Ok(change) => change,
                    // Some local changes were not published: the peers must assume the worst.
                    Err(RecvError::Lagged(_)) => Change { from_peer: false, ..everything() },
                    Err(RecvError::Closed) => break,
                };
                if owed {
                    let all = Change { from_peer: false, ..everything() };
                    owed = publish_or_reconnect(&mut connection, &url, &encode(origin, &all)).await.is_err();
                }
                if owed || publish_or_reconnect(&mut connection, &url, &encode(origin, &change)).await.is_err() {
                    owed = true;
                }
            }
        })
    };
    // Listening before the server answers: no tile is cached before the link exists.
    let mut first = match listen(&database_url).await {
        Ok(listener) => Some(listener),
        Err(e) => {
            tracing::warn!(error = %e, "cannot listen to the other ODG instances; retrying");
            None
        }
    };
    let listener = tokio::spawn(async move {
        let mut retry = RETRY_FIRST;
        loop {
            let connected = match first.take() {
                Some(listener) => Ok(listener),
                None => listen(&database_url).await.inspect(|_| {
                    // Whatever happened while not listening is unknown.
                    catalog.relay(everything());
                }),
            };
            match connected {
                Ok(mut listener) => loop {
                    retry = RETRY_FIRST;
                    match listener.try_recv().await {
                        Ok(Some(notification)) => {
                            if let Some(change) = decode(origin, notification.payload()) {
                                catalog.relay(change);
                            }
                        }
                        // The connection was lost; the next call reconnects and listens again.
                        // Most often the database went away: requests check before they wait on it.
                        Ok(None) => {
                            catalog.store().availability().mark_away();
                            catalog.relay(everything());
                        }
                        Err(e) => {
                            tracing::warn!(error = %e, "lost the link to the other ODG instances; retrying");
                            // Most often the database went away: requests check before they wait on it.
                            catalog.store().availability().mark_away();
                            break;
                        }
                    }
                },
                Err(e) => {
                    tracing::warn!(error = %e, "cannot listen to the other ODG instances; retrying");
                    catalog.store().availability().mark_away();
                }
            }
            catalog.relay(everything());
            tokio::time::sleep(retry).await;
            retry = (retry * 2).min(RETRY_LAST);
        }
    });
    vec![publisher.abort_handle(), listener.abort_handle()]
}

/// Publishes, on a fresh connection again should the kept one have gone
/// stale (closed by the server or a firewall while idle).
async fn publish_or_reconnect(connection: &mut Option<PgConnection>, url: &str, payload: &str) -> Result<(), ()> {
    if publish(connection, url, payload).await.is_ok() {
        return Ok(());
    }
    *connection = None;
    publish(connection, url, payload).await.map_err(|e| {
        // The peers lose their link too when the database is away, and clear their caches.
        tracing::warn!(error = %e, "cannot tell the other ODG instances about a change; they will be told to clear");
        *connection = None;
    })
}

async fn publish(connection: &mut Option<PgConnection>, url: &str, payload: &str) -> Result<(), sea_orm::sqlx::Error> {
    let connection = match connection {
        Some(open) => open,
        None => connection.insert(PgConnection::connect(url).await?),
    };
    sea_orm::sqlx::query("SELECT pg_notify($1, $2)").bind(CHANNEL).bind(payload).execute(connection).await?;
    Ok(())
}

async fn listen(database_url: &str) -> Result<PgListener, sea_orm::sqlx::Error> {
    let mut listener = PgListener::connect(database_url).await?;
    listener.listen(CHANNEL).await?;
    Ok(listener)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn change(kind: ChangeKind, bboxes: usize) -> Change {
        let b = Bbox { min_lon: 13.1, min_lat: -1.6, max_lon: 13.3, max_lat: -1.4 };
        Change { kind, id: 42, bboxes: vec![b; bboxes], from_peer: false }
    }

    #[test]
    fn a_change_travels_to_peers_and_not_back_to_its_origin() {
        let sent = change(ChangeKind::Deposit, 2);
        let payload = encode(7, &sent);
        assert_eq!(decode(7, &payload), None);
        assert_eq!(decode(8, &payload), Some(Change { from_peer: true, ..sent }));
    }

    #[test]
    fn too_many_boxes_become_the_whole_source() {
        let payload = encode(7, &change(ChangeKind::Layer, 500));
        assert!(payload.len() < 8000);
        let received = decode(8, &payload).unwrap();
        assert_eq!((received.kind, received.id, received.bboxes.len()), (ChangeKind::Layer, 42, 0));
    }

    #[test]
    fn an_unreadable_notification_clears_everything() {
        assert_eq!(decode(7, "not json").unwrap().kind, ChangeKind::Everything);
        let unknown = r#"{"origin":1,"kind":"quarry","id":1,"bboxes":[]}"#;
        assert_eq!(decode(7, unknown).unwrap().kind, ChangeKind::Everything);
    }
}
