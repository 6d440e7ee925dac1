//! Prometheus metrics: the server's counters, kept in one process-wide registry that every
//! shard and thread counts into without handles passed around, and rendered in the
//! Prometheus text exposition format (version 0.0.4) for `GET /metrics`.
//!
//! | file | holds |
//! |---|---|
//! | `families.rs` | every family's name, help text and labels, and the registry |
//! | `record.rs` | the counting calls the rest of the server makes |
//! | `queue.rs` | the queue's depth and age per site, read at scrape time |
//!
//! Counting is an atomic add on a counter made at start wherever the label values are known
//! in advance; only open-ended labels (delivery sites, unforeseen protocol names) look their
//! series up in their family, under its read lock. The journal, in the `store` crate, knows
//! nothing of this module: it calls the observer [`install`] gives it after each group.

mod families;
mod queue;
mod record;
#[cfg(test)]
mod tests;

use std::sync::Arc;

use prometheus_client::encoding::prometheus_text;
use store::Store;

pub use prometheus_text::CONTENT_TYPE;
pub use queue::{FRESH_FOR, MAX_SCANNED, MAX_SITES_SHOWN, site_resolved};
pub use record::{
    AttemptInFlight, ListenerMetrics, MAX_OUTCOME_SERIES, OTHER_SITES, OpenConnection, Outcome, Scanner, SpamVerdict,
    Totals, UNKNOWN_SITE, attempt_started, cluster_fallback, delivery_outcome, dns_cache_hit, dns_query,
    dns_query_failed, listener, login_blocked, login_failed, outbound_transaction, received, received_smtp,
    smtp_protocol, spam_verdict, totals, virus_scan_failed, virus_scanned, virus_verdict,
};

use families::METRICS;

/// What a scrape reads besides the counters: the store, for the queue's figures. Cheap to
/// clone; clones share the last reading of the queue (make one at start and hand out clones).
#[derive(Clone)]
pub struct Scrape {
    store: Store,
    queue: Arc<queue::Cache>,
}

impl Scrape {
    /// Scrapes of `store`'s queue and of this process's counters; also [`install`]s the
    /// journal's observer.
    pub fn new(store: Store) -> Scrape {
        install();
        Scrape { store, queue: Arc::default() }
    }

    /// The queued recipients (of the last reading of the queue, at most [`MAX_SCANNED`]);
    /// None when the queue cannot be read. Blocking.
    pub fn queued_recipients(&self) -> Option<u64> {
        let figures = self.queue.figures(&self.store).ok()?;
        Some(figures.sites.iter().map(|(_, count, _)| count).sum())
    }
}

/// Starts the counting that needs starting: the process's start time, and the observer of
/// the journal's group commits (once per process; later calls do nothing).
pub fn install() {
    if store::journal::stats::observe_commits(record::journal_committed) {
        let now = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap_or_default();
        METRICS.start_time.set(now.as_secs_f64());
    }
}

/// Every family in the Prometheus text format ([`CONTENT_TYPE`]). It reads the queue (at
/// most [`MAX_SCANNED`] recipients, at most once per [`FRESH_FOR`]), so an executor should
/// run it on its blocking thread.
pub fn render(scrape: &Scrape) -> String {
    let mut out = String::with_capacity(16 * 1024);
    let _ = prometheus_text::encode(&mut out, &METRICS.registry);
    let figures = match scrape.queue.figures(&scrape.store) {
        Ok(figures) => Some(figures),
        Err(e) => {
            tracing::warn!("reading the queue for the metrics failed: {e}");
            None
        }
    };
    queue::encode(figures.as_deref(), &mut out);
    out
}
