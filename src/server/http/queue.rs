//! The outbound queue over HTTP: destinations with their depth, age and last error, queued
//! messages, retrying, bouncing and deleting them (one message, or everything for a
//! destination), and suspending delivery to a destination. Scans of the queue run on a
//! blocking thread: a large queue must not stall the shard's sessions.

use std::collections::BTreeMap;

use hyper::{Method, StatusCode};
use serde::Deserialize;
use serde_json::json;

use super::Services;
use super::admin::{SMALL_BODY, done, run};
use super::respond::{ApiError, HttpResponse, json_response, ok};
use super::routes::{Call, not_allowed};
use crate::admin::Request;
use crate::admin::queue::destinations;
use admin_proto::QueueRequest;
use message::headers;
use store::directory::domain_of;
use store::{MessageId, Store};

/// Most queued recipients one listing returns.
const MAX_LIST: usize = 10_000;

/// Dispatches `/api/v1/queue...`, `/api/v1/destinations/...` and `/api/v1/suspensions...`.
pub async fn route(services: &Services, call: Call) -> Result<HttpResponse, ApiError> {
    let path: Vec<String> = call.path.clone();
    let path: Vec<&str> = path.iter().map(String::as_str).collect();
    let queue = |request| Request::Queue { request };
    match (call.method.clone(), path.as_slice()) {
        (Method::GET, ["queue"]) => {
            let store = services.smtp.store.clone();
            let found = glommio::executor().spawn_blocking(move || destinations(&store)).await;
            let found = found.map_err(ApiError::internal)?;
            let listed: Vec<serde_json::Value> = found
                .into_iter()
                .map(|d| {
                    let suspended = services.suspensions.of(&d.domain).map(|s| s_json(&s));
                    let mut value = json!(d);
                    value["suspended"] = suspended.unwrap_or(serde_json::Value::Null);
                    value
                })
                .collect();
            ok(&listed)
        }
        (Method::GET, ["queue", "messages"]) => {
            let limit = match call.param("limit") {
                Some(n) => n.parse::<usize>().map_err(|_| ApiError::field("limit", "not a number"))?.min(MAX_LIST),
                None => 1000,
            };
            let domain = call.param("domain").map(str::to_ascii_lowercase);
            let store = services.smtp.store.clone();
            let listed = glommio::executor().spawn_blocking(move || list(&store, domain.as_deref(), limit)).await;
            ok(&listed.map_err(ApiError::internal)?)
        }
        (Method::GET, ["queue", "messages", id]) => {
            let id: MessageId = id.parse().map_err(|_| ApiError::not_found("not a message id"))?;
            let store = services.smtp.store.clone();
            let shown = glommio::executor().spawn_blocking(move || show(&store, id)).await;
            shown
                .map_err(ApiError::internal)?
                .map(|v| json_response(StatusCode::OK, &v))
                .ok_or_else(|| ApiError::not_found("no such message in the queue"))
        }
        (Method::DELETE, ["queue", "messages", id]) => {
            done(run(services, queue(QueueRequest::Delete { id: Some(id.to_string()), domain: None })).await?)
        }
        (Method::POST, ["queue", "messages", id, "retry"]) => {
            done(run(services, queue(QueueRequest::Retry { id: Some(id.to_string()), domain: None })).await?)
        }
        (Method::POST, ["queue", "messages", id, "bounce"]) => {
            done(run(services, queue(QueueRequest::Bounce { id: Some(id.to_string()), domain: None })).await?)
        }
        (Method::POST, ["destinations", domain, "retry"]) => {
            done(run(services, queue(QueueRequest::Retry { id: None, domain: Some(domain.to_string()) })).await?)
        }
        (Method::POST, ["destinations", domain, "bounce"]) => {
            done(run(services, queue(QueueRequest::Bounce { id: None, domain: Some(domain.to_string()) })).await?)
        }
        (Method::DELETE, ["destinations", domain, "messages"]) => {
            done(run(services, queue(QueueRequest::Delete { id: None, domain: Some(domain.to_string()) })).await?)
        }
        (Method::GET, ["suspensions"]) => {
            let list: Vec<_> = services
                .suspensions
                .list()
                .iter()
                .map(|(d, s)| json!({ "destination": d, "suspension": s_json(s) }))
                .collect();
            ok(&list)
        }
        (Method::PUT | Method::POST, ["suspensions", destination]) => {
            #[derive(Deserialize)]
            #[serde(deny_unknown_fields)]
            struct Body {
                #[serde(default = "default_reason")]
                reason: String,
                /// Seconds until it lapses by itself.
                expires_in_secs: Option<u64>,
            }
            let Body { reason, expires_in_secs } = call.json(SMALL_BODY).await?;
            let request =
                QueueRequest::Suspend { destination: destination.to_string(), reason, for_secs: expires_in_secs };
            done(run(services, queue(request)).await?)
        }
        (Method::DELETE, ["suspensions", destination]) => {
            done(run(services, queue(QueueRequest::Resume { destination: destination.to_string() })).await?)
        }
        (_, ["queue" | "destinations" | "suspensions", ..]) => Err(not_allowed(&call)),
        _ => Err(ApiError::not_found("no such endpoint")),
    }
}

fn default_reason() -> String {
    "suspended by the postmaster".into()
}

/// A suspension as the API shows it.
fn s_json(s: &store::records::Suspension) -> serde_json::Value {
    json!({ "reason": s.reason, "since": s.created, "until": s.until })
}

/// Queued recipients in due order, of one domain or all.
fn list(store: &Store, domain: Option<&str>, limit: usize) -> Result<Vec<serde_json::Value>, store::StoreError> {
    let mut out = Vec::new();
    store.visit_queued(|r| {
        if domain.is_none_or(|d| domain_of(&r.entry.recipient).eq_ignore_ascii_case(d)) {
            let e = &r.entry;
            out.push(json!({
                "id": r.id.to_string(), "due": r.due, "attempts": e.attempts, "created": e.created,
                "sender": e.sender, "recipient": e.recipient, "last_error": e.last_error,
            }));
        }
        out.len() < limit
    })?;
    Ok(out)
}

/// One queued message: its main header fields, size and queued recipients.
fn show(store: &Store, id: MessageId) -> Result<Option<serde_json::Value>, store::StoreError> {
    let mut recipients = Vec::new();
    store.for_each_queued(|r| {
        if r.id == id {
            let e = &r.entry;
            recipients.push(
                json!({ "recipient": e.recipient, "due": r.due, "attempts": e.attempts, "last_error": e.last_error }),
            );
        }
    })?;
    if recipients.is_empty() {
        return Ok(None);
    }
    let blob = store.blob(id)?.unwrap_or_default();
    let fields: BTreeMap<&str, Option<String>> = ["From", "To", "Subject", "Date", "Message-ID"]
        .into_iter()
        .map(|name| (name, headers::field(&blob, name).map(|v| v.to_string())))
        .collect();
    Ok(Some(json!({ "id": id.to_string(), "size": blob.len(), "headers": fields, "recipients": recipients })))
}
