//! The operator's dashboard: a page served from the binary (`GET /`, no external CDN) whose
//! script signs in with a token and polls the API, and the figures it reads: `/api/v1/health`
//! (journal, disk), `/api/v1/stats` (messages per second over the last hour) and
//! `/api/v1/events` (recent bounces).
//!
//! The chart's per-second counts are kept in [`history`], the per-destination rates in
//! [`rates`]; both are read here.

mod history;
mod rates;

use std::sync::PoisonError;

use hyper::Method;
use serde_json::json;

use super::Services;
use super::respond::{ApiError, HttpResponse, content, ok};
use super::routes::{Call, not_allowed};
pub use history::sample_stats;
use history::{COMMIT_MICROS, COMMITS, HISTORY_SECS, SERIES, SHOWN, history, totals};
use rates::RATES;
use store::{Store, StoreError, unix_now};

/// The page and its files, by path.
const ASSETS: [(&str, &str, &str); 3] = [
    ("/", "text/html; charset=utf-8", include_str!("dashboard/index.html")),
    ("/dashboard.js", "text/javascript; charset=utf-8", include_str!("dashboard/dashboard.js")),
    ("/dashboard.css", "text/css; charset=utf-8", include_str!("dashboard/dashboard.css")),
];

/// The dashboard's file at `path`, if there is one.
pub fn asset(path: &str) -> Option<HttpResponse> {
    let path = if path == "/index.html" { "/" } else { path };
    ASSETS.iter().find(|(p, ..)| *p == path).map(|(_, kind, body)| content(kind, *body))
}

/// Dispatches `/api/v1/{health,stats,events}`.
pub async fn route(services: &Services, call: Call) -> Result<HttpResponse, ApiError> {
    let path: Vec<&str> = call.path.iter().map(String::as_str).collect();
    match (call.method.clone(), path.as_slice()) {
        (Method::GET, ["health"]) => ok(&health(services)),
        (Method::GET, ["stats"]) => ok(&stats(services, &call).await?),
        (Method::GET, ["events"]) => ok(&events(services, &call).await?),
        (_, ["health" | "stats" | "events"]) => Err(not_allowed(&call)),
        _ => Err(ApiError::not_found("no such endpoint")),
    }
}

/// `GET /api/v1/stats[?seconds=N]`: the per-second counts of the last `N` seconds (at most,
/// and by default, 3600), oldest first, ending at second `end`; and per destination domain
/// its delivery outcomes over the last hour with the deferral and bounce rates.
async fn stats(services: &Services, call: &Call) -> Result<serde_json::Value, ApiError> {
    let seconds = match call.param("seconds") {
        Some(n) => n.parse::<usize>().ok().filter(|n| (1..=HISTORY_SECS).contains(n)),
        None => Some(HISTORY_SECS),
    }
    .ok_or_else(|| ApiError::field("seconds", format!("a number of seconds from 1 to {HISTORY_SECS}")))?;
    let store = services.smtp.store.clone();
    let destinations = glommio::executor()
        .spawn_blocking(move || {
            let mut rates = RATES.lock().unwrap_or_else(PoisonError::into_inner);
            rates.update(&store, unix_now()).map(|()| rates.by_domain(unix_now()))
        })
        .await
        .map_err(ApiError::internal)?;
    let now = unix_now();
    let mut history = history();
    history.record(now, totals());
    let end = history.last_second().unwrap_or(now);
    let mut out = json!({ "end": end, "seconds": seconds });
    for (i, name) in SERIES.iter().enumerate().take(SHOWN) {
        out[name] = json!(history.series(i, end, seconds));
    }
    out["rates_over"] = json!("over the last hour");
    out["destinations"] = destinations
        .into_iter()
        .map(|(domain, [delivered, deferred, bounced])| {
            let all = (delivered + deferred + bounced) as f64;
            json!({
                "destination": domain, "delivered": delivered, "deferred": deferred, "bounced": bounced,
                "deferral_rate": deferred as f64 / all, "bounce_rate": bounced as f64 / all,
            })
        })
        .collect();
    Ok(out)
}

/// Most events `/api/v1/events` returns.
const MAX_EVENTS: usize = 1000;
/// Most events one request of `/api/v1/events` looks through for those of its kinds.
const MAX_EVENTS_SCANNED: usize = 20_000;

/// `GET /api/v1/events[?kind=bounce,expiry][&limit=50][&before=SEQ]`: the newest events of the
/// durable event log (of the given kinds), newest first, each as logged with its `seq` added.
/// `before` pages back: events with a lower sequence number.
async fn events(services: &Services, call: &Call) -> Result<Vec<serde_json::Value>, ApiError> {
    let limit = match call.param("limit") {
        Some(n) => n.parse::<usize>().ok().filter(|n| (1..=MAX_EVENTS).contains(n)),
        None => Some(50),
    }
    .ok_or_else(|| ApiError::field("limit", format!("a number from 1 to {MAX_EVENTS}")))?;
    let before = match call.param("before") {
        Some(n) => n.parse::<u64>().map_err(|_| ApiError::field("before", "a sequence number"))?,
        None => u64::MAX,
    };
    let kinds: Vec<String> = call
        .param("kind")
        .map(|k| k.split(',').map(|k| k.trim().to_string()).filter(|k| !k.is_empty()).collect())
        .unwrap_or_default();
    let store = services.smtp.store.clone();
    let found = glommio::executor().spawn_blocking(move || recent_events(&store, before, &kinds, limit)).await;
    found.map_err(ApiError::internal)
}

/// Up to `limit` events before `before` whose `event` is one of `kinds` (any, when empty),
/// newest first, looking through at most [`MAX_EVENTS_SCANNED`].
fn recent_events(
    store: &Store,
    mut before: u64,
    kinds: &[String],
    limit: usize,
) -> Result<Vec<serde_json::Value>, StoreError> {
    let mut out = Vec::new();
    let mut scanned = 0;
    while out.len() < limit && scanned < MAX_EVENTS_SCANNED {
        let page = store.events_before(before, 500)?;
        if page.is_empty() {
            break;
        }
        for (seq, bytes) in page {
            before = seq;
            scanned += 1;
            let Ok(serde_json::Value::Object(mut event)) = serde_json::from_slice(&bytes) else {
                continue;
            };
            let kind = event.get("event").and_then(|k| k.as_str()).unwrap_or_default();
            if kinds.is_empty() || kinds.iter().any(|k| k == kind) {
                event.insert("seq".into(), seq.into());
                out.push(serde_json::Value::Object(event));
                if out.len() == limit {
                    break;
                }
            }
        }
    }
    Ok(out)
}

/// The node's health: the journal's commit latency and free disk space where the store is.
fn health(services: &Services) -> serde_json::Value {
    let data_dir = &services.smtp.config.data_dir;
    let disk = rustix::fs::statvfs(data_dir).ok().map(|s| {
        let free = s.f_bavail.saturating_mul(s.f_frsize);
        let total = s.f_blocks.saturating_mul(s.f_frsize);
        json!({ "free_bytes": free, "total_bytes": total })
    });
    let now = unix_now();
    let all = totals();
    let minute = {
        let mut history = history();
        history.record(now, all);
        let end = history.last_second().unwrap_or(now);
        let sum = |series| history.series(series, end, 60).iter().sum::<u64>();
        (sum(COMMITS), sum(COMMIT_MICROS))
    };
    let mean_ms = |count: u64, micros: u64| (count > 0).then(|| micros as f64 / count as f64 / 1000.0);
    let journal = json!({
        "commits": all[COMMITS],
        "mean_ms": mean_ms(all[COMMITS], all[COMMIT_MICROS]),
        "commits_last_minute": minute.0,
        "last_minute_mean_ms": mean_ms(minute.0, minute.1),
    });
    json!({ "hostname": services.smtp.config.hostname.as_str(), "journal": journal, "disk": disk })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_page_and_its_files_are_served() {
        for path in ["/", "/index.html", "/dashboard.js", "/dashboard.css"] {
            assert!(asset(path).is_some(), "{path}");
        }
        assert!(asset("/nothing").is_none());
        let page = include_str!("dashboard/index.html");
        assert!(!page.contains("http://") && !page.contains("https://"), "nothing from outside");
        let script = include_str!("dashboard/dashboard.js");
        assert!(!script.contains("innerHTML"), "server strings go in as text");
    }
}
