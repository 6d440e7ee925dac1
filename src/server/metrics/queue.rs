//! The queue's depth and oldest age per site, computed when a scrape asks.
//!
//! Where the figures come from, and why:
//! - The `queue` column family is the only complete and correct source (counts kept beside it
//!   would have to be rebuilt from it at every start, and kept in step with every op that
//!   adds, moves or removes an entry). So a scrape reads it, streaming in due order, but at
//!   most [`MAX_SCANNED`] recipients: a queue of millions costs one bounded read, and
//!   `ringmail_queue_scan_complete` says 0 when the figures cover only the first part. A
//!   reading is reused for [`FRESH_FOR`], so several scrapers (or a client hammering an
//!   unauthenticated `metrics_listen`) cost one read between them.
//! - A queue entry knows its recipient's domain, not its site: the site (the mail exchangers
//!   the domain shares with others, `queue::sites`) is only known after an MX lookup. The
//!   delivery attempts tell this module the site they found for each domain
//!   ([`site_resolved`]); recipients of a domain no attempt has resolved since the start are
//!   counted under the site `unknown`. That costs one map lookup per attempt, and no DNS at
//!   scrape time.
//! - At most [`MAX_SITES_SHOWN`] sites get series of their own, the deepest; the rest are
//!   summed under `other`.

use std::collections::HashMap;
use std::sync::{Arc, LazyLock, Mutex, PoisonError};
use std::time::{Duration, Instant};

use prometheus_client::encoding::EncodeLabelSet;
use prometheus_client::encoding::prometheus_text;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::registry::{Registry, Unit};
use store::directory::domain_of;
use store::{Store, StoreError, unix_now};

use super::families::PREFIX;
use super::record::{OTHER_SITES, UNKNOWN_SITE};

/// Most queued recipients one scrape reads.
pub const MAX_SCANNED: usize = 100_000;
/// Most sites with series of their own.
pub const MAX_SITES_SHOWN: usize = 100;
/// How long one reading of the queue answers scrapes.
pub const FRESH_FOR: Duration = Duration::from_secs(2);
/// Domains whose site is remembered; past it the map starts again (and fills as attempts run).
const MAX_KNOWN_DOMAINS: usize = 100_000;

/// The site each destination domain's last attempt resolved to, for every shard.
static SITES: LazyLock<Mutex<HashMap<String, String>>> = LazyLock::new(Mutex::default);

/// A delivery attempt found that mail for `domain` goes to `site`.
pub fn site_resolved(domain: &str, site: &str) {
    let mut sites = SITES.lock().unwrap_or_else(PoisonError::into_inner);
    if sites.get(domain).is_some_and(|known| known == site) {
        return;
    }
    if sites.len() >= MAX_KNOWN_DOMAINS {
        sites.clear();
    }
    sites.insert(domain.to_ascii_lowercase(), site.to_string());
}

/// One reading of the queue.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct QueueFigures {
    /// Per site: queued recipients and the Unix time the oldest was queued; deepest first.
    pub sites: Vec<(String, u64, u64)>,
    /// Whether the whole queue was read.
    pub complete: bool,
}

/// The last reading, shared by the clones of one [`super::Scrape`].
#[derive(Debug, Default)]
pub struct Cache(Mutex<Option<(Instant, Arc<QueueFigures>)>>);

impl Cache {
    /// A reading at most [`FRESH_FOR`] old, reading the queue when there is none.
    pub fn figures(&self, store: &Store) -> Result<Arc<QueueFigures>, StoreError> {
        // Held while reading: scrapes that arrive meanwhile wait for this reading.
        let mut last = self.0.lock().unwrap_or_else(PoisonError::into_inner);
        if let Some((at, figures)) = last.as_ref()
            && at.elapsed() < FRESH_FOR
        {
            return Ok(Arc::clone(figures));
        }
        let figures = Arc::new(read(store, MAX_SCANNED)?);
        *last = Some((Instant::now(), Arc::clone(&figures)));
        Ok(figures)
    }
}

/// Reads up to `limit` queued recipients and sums them up per site.
pub fn read(store: &Store, limit: usize) -> Result<QueueFigures, StoreError> {
    let mut domains: HashMap<String, (u64, u64)> = HashMap::new();
    let (mut seen, mut complete) = (0, true);
    store.visit_queued(|r| {
        if seen == limit {
            complete = false;
            return false;
        }
        seen += 1;
        let domain = domain_of(&r.entry.recipient).to_ascii_lowercase();
        let (count, oldest) = domains.entry(domain).or_insert((0, u64::MAX));
        *count += 1;
        *oldest = (*oldest).min(r.entry.created);
        true
    })?;
    let mut sites: HashMap<String, (u64, u64)> = HashMap::new();
    {
        let known = SITES.lock().unwrap_or_else(PoisonError::into_inner);
        for (domain, (count, oldest)) in domains {
            let site = known.get(&domain).map_or(UNKNOWN_SITE, String::as_str);
            let (total, first) = sites.entry(site.to_string()).or_insert((0, u64::MAX));
            *total += count;
            *first = (*first).min(oldest);
        }
    }
    let mut sites: Vec<(String, u64, u64)> = sites.into_iter().map(|(s, (n, oldest))| (s, n, oldest)).collect();
    sites.sort_by(|a, b| b.1.cmp(&a.1).then_with(|| a.0.cmp(&b.0)));
    if sites.len() > MAX_SITES_SHOWN {
        let rest = sites.split_off(MAX_SITES_SHOWN);
        let count = rest.iter().map(|s| s.1).sum();
        let oldest = rest.iter().map(|s| s.2).min().unwrap_or(u64::MAX);
        match sites.iter_mut().find(|s| s.0 == OTHER_SITES) {
            Some(other) => (other.1, other.2) = (other.1 + count, other.2.min(oldest)),
            None => sites.push((OTHER_SITES.to_string(), count, oldest)),
        }
    }
    Ok(QueueFigures { sites, complete })
}

/// `site`: a destination site.
#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct Site {
    site: String,
}

/// Appends the queue's families for `figures` (None: the queue could not be read) to `out`.
pub fn encode(figures: Option<&QueueFigures>, out: &mut String) {
    let mut registry = Registry::with_prefix(PREFIX);
    let depth = Family::<Site, Gauge>::default();
    let help = "Recipients in the outbound queue, by destination site (unknown: not attempted since the start)";
    registry.register("queue_recipients", help, depth.clone());
    let age = Family::<Site, Gauge>::default();
    let help = "Age of the oldest recipient in the outbound queue, by destination site";
    registry.register_with_unit("queue_oldest_age", help, Unit::Seconds, age.clone());
    let complete = Gauge::<i64>::default();
    let help = "1 when the queue figures cover the whole queue, 0 when it was too long to read whole (or unreadable)";
    registry.register("queue_scan_complete", help, complete.clone());
    if let Some(figures) = figures {
        let now = unix_now();
        for (site, count, oldest) in &figures.sites {
            let labels = Site { site: site.clone() };
            depth.get_or_create(&labels).set(i64::try_from(*count).unwrap_or(i64::MAX));
            age.get_or_create(&labels).set(i64::try_from(now.saturating_sub(*oldest)).unwrap_or(i64::MAX));
        }
        complete.set(i64::from(figures.complete));
    }
    let _ = prometheus_text::encode(out, &registry);
}
