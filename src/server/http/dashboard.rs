//! The operator's dashboard: a page served from the binary (`GET /`, no external CDN) whose
//! script signs in with a token and polls the API, and the figures it reads: `/api/v1/health`
//! (journal, disk), `/api/v1/stats` (messages per second over the last hour) and
//! `/api/v1/events` (recent bounces).
//!
//! The per-second history is one process-wide [`History`]: a ring of [`HISTORY_SECS`] slots,
//! each stamped with the unix second it counts, fed from the cumulative counters of
//! [`crate::metrics`] by [`sample_stats`] (a task on shard 0, once a second) and by every read of
//! `/api/v1/stats`, so the newest second is always current. A sample takes the difference from
//! the one before; when seconds passed without a sample (a busy executor), that difference is
//! spread evenly over them, so the rate stays right. A slot whose stamp is not the second asked
//! for is a second nobody sampled, and reads as zero: that is how the ring wraps around.

use std::collections::{BTreeMap, HashMap};
use std::sync::{LazyLock, Mutex, MutexGuard, PoisonError};
use std::time::Duration;

use futures_lite::future::or;
use hyper::Method;
use serde_json::json;

use super::Services;
use super::respond::{ApiError, HttpResponse, content, ok};
use super::routes::{Call, not_allowed};
use crate::net::shutdown::Shutdown;
use store::{Store, StoreError, unix_now};

/// The page and its files, by path.
const ASSETS: [(&str, &str, &str); 3] = [
    ("/", "text/html; charset=utf-8", include_str!("dashboard/index.html")),
    ("/dashboard.js", "text/javascript; charset=utf-8", include_str!("dashboard/dashboard.js")),
    ("/dashboard.css", "text/css; charset=utf-8", include_str!("dashboard/dashboard.css")),
];

/// Seconds of history kept: one hour.
pub const HISTORY_SECS: usize = 3600;

/// The counters the history follows, in the order of [`Counts`]: messages in, recipients out
/// by outcome, then the journal's group commits and their summed latency in microseconds.
const SERIES: [&str; 7] = ["received", "delivered", "deferred", "bounced", "expired", "commits", "commit_micros"];
/// How many of `SERIES` `/api/v1/stats` shows (the journal's go to `/api/v1/health`).
const SHOWN: usize = 5;
/// The index of the journal's commit count.
const COMMITS: usize = 5;
/// The index of the journal's summed commit time.
const COMMIT_MICROS: usize = 6;

/// Counts, one per name of `SERIES`: cumulative since start in a sample, per second in the ring.
pub type Counts = [u64; SERIES.len()];

/// Per-second counts over the last [`HISTORY_SECS`] seconds.
pub struct History {
    /// The counts of each slot; slot `s % HISTORY_SECS` holds second `s`.
    counts: Box<[Counts]>,
    /// The unix second each slot holds (0: none yet).
    stamps: Box<[u64]>,
    /// The second and the totals of the last sample.
    last: Option<(u64, Counts)>,
}

impl Default for History {
    fn default() -> History {
        History {
            counts: vec![[0; SERIES.len()]; HISTORY_SECS].into(),
            stamps: vec![0; HISTORY_SECS].into(),
            last: None,
        }
    }
}

impl History {
    /// Takes the cumulative `totals` seen at unix second `now`. The first sample is only the
    /// baseline: what was counted before it belongs to no second.
    pub fn record(&mut self, now: u64, totals: Counts) {
        let Some((then, before)) = self.last else {
            self.last = Some((now, totals));
            return;
        };
        let delta: Counts = std::array::from_fn(|i| totals[i].saturating_sub(before[i]));
        if now <= then {
            // The same second again (or the clock stepped back): it counts for the last one.
            let slot = self.slot(then);
            slot.iter_mut().zip(delta).for_each(|(c, d)| *c += d);
            self.last = Some((then, totals));
            return;
        }
        let gap = now - then;
        // Only the seconds still inside the window get a share; their shares are those of an
        // even spread over the whole gap, the remainder going to the newest second.
        let first = then + 1 + gap.saturating_sub(HISTORY_SECS as u64);
        for second in first..=now {
            let slot = self.slot(second);
            for (i, c) in slot.iter_mut().enumerate() {
                *c = delta[i] / gap + if second == now { delta[i] % gap } else { 0 };
            }
        }
        self.last = Some((now, totals));
    }

    /// The slot of `second`, emptied first when it held an older one.
    fn slot(&mut self, second: u64) -> &mut Counts {
        let i = (second % HISTORY_SECS as u64) as usize;
        if self.stamps[i] != second {
            self.stamps[i] = second;
            self.counts[i] = [0; SERIES.len()];
        }
        &mut self.counts[i]
    }

    /// The counts of `series` for the `len` seconds up to and including `end`, oldest first;
    /// a second without a sample is zero.
    pub fn series(&self, series: usize, end: u64, len: usize) -> Vec<u64> {
        let len = len.min(HISTORY_SECS) as u64;
        (0..len)
            .map(|back| end.checked_sub(len - 1 - back))
            .map(|second| match second {
                Some(s) if s > 0 && self.stamps[(s % HISTORY_SECS as u64) as usize] == s => {
                    self.counts[(s % HISTORY_SECS as u64) as usize][series]
                }
                _ => 0,
            })
            .collect()
    }

    /// The second of the last sample, if there was one.
    pub fn last_second(&self) -> Option<u64> {
        self.last.map(|(second, _)| second)
    }
}

/// The process's history, shared by every shard.
static HISTORY: LazyLock<Mutex<History>> = LazyLock::new(|| Mutex::new(History::default()));

fn history() -> MutexGuard<'static, History> {
    HISTORY.lock().unwrap_or_else(PoisonError::into_inner)
}

/// The counters' totals now.
fn totals() -> Counts {
    let m = crate::metrics::totals();
    [m.received, m.delivered, m.deferred, m.bounced, m.expired, m.journal_commits, m.journal_commit_micros]
}

/// Samples the counters into the history once a second until shutdown (one task, on shard 0).
pub async fn sample_stats(shutdown: Shutdown) {
    loop {
        history().record(unix_now(), totals());
        let stopped = or(
            async {
                shutdown.wait().await;
                true
            },
            async {
                glommio::timer::sleep(Duration::from_secs(1)).await;
                false
            },
        )
        .await;
        if stopped {
            return;
        }
    }
}

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

/// Outcomes per destination domain and minute over the last hour, read from the durable event
/// log: the first read goes back an hour from the newest event, later ones go on from the
/// last event read. So the rates survive a restart and need nothing counted beside the log.
#[derive(Default)]
pub struct Rates {
    /// The sequence number of the newest event read (None: nothing read yet).
    cursor: Option<u64>,
    /// Per unix minute: per domain, recipients delivered, deferred and bounced (or expired).
    minutes: BTreeMap<u64, HashMap<String, [u64; 3]>>,
}

/// Events one [`Rates::update`] reads at most (the next read goes on from there).
const RATES_READ: usize = 100_000;
/// Domains one minute of [`Rates`] counts at most (the rest are not counted).
const RATES_DOMAINS: usize = 10_000;

/// The outcome events, for [`Rates`]: their time, kind and destination domain.
#[derive(serde::Deserialize)]
struct OutcomeLine {
    time: u64,
    event: String,
    #[serde(default)]
    domain: Option<String>,
}

static RATES: LazyLock<Mutex<Rates>> = LazyLock::new(Mutex::default);

impl Rates {
    /// Counts the event `line` if it is an outcome of the last hour before `now`.
    pub fn add(&mut self, now: u64, line: &[u8]) {
        let Ok(OutcomeLine { time, event, domain: Some(domain) }) = serde_json::from_slice(line) else {
            return;
        };
        let i = match event.as_str() {
            "delivery" => 0,
            "deferral" => 1,
            "bounce" | "expiry" => 2,
            _ => return,
        };
        if time.saturating_add(HISTORY_SECS as u64) <= now {
            return;
        }
        let minute = self.minutes.entry(time / 60).or_default();
        if minute.len() < RATES_DOMAINS || minute.contains_key(&domain) {
            minute.entry(domain.to_ascii_lowercase()).or_default()[i] += 1;
        }
    }

    /// Reads the events written since the last read (the last hour's, the first time).
    pub fn update(&mut self, store: &Store, now: u64) -> Result<(), StoreError> {
        let mut read = 0;
        match self.cursor {
            None => {
                let Some((_, newest)) = store.event_bounds()? else {
                    self.cursor = Some(0);
                    return Ok(());
                };
                self.cursor = Some(newest);
                let mut before = newest.saturating_add(1);
                'back: while read < RATES_READ {
                    let page = store.events_before(before, 1000)?;
                    if page.is_empty() {
                        break;
                    }
                    for (seq, line) in page {
                        before = seq;
                        read += 1;
                        if serde_json::from_slice::<OutcomeLine>(&line)
                            .is_ok_and(|l| l.time.saturating_add(HISTORY_SECS as u64) <= now)
                        {
                            break 'back;
                        }
                        self.add(now, &line);
                    }
                }
            }
            Some(mut cursor) => {
                while read < RATES_READ {
                    let page = store.events_after(cursor, 1000)?;
                    if page.is_empty() {
                        break;
                    }
                    for (seq, line) in page {
                        cursor = seq;
                        read += 1;
                        self.add(now, &line);
                    }
                }
                self.cursor = Some(cursor);
            }
        }
        Ok(())
    }

    /// Per domain, its outcomes over the hour before `now`: delivered, deferred, bounced.
    pub fn by_domain(&mut self, now: u64) -> BTreeMap<String, [u64; 3]> {
        let oldest = now.saturating_sub(HISTORY_SECS as u64) / 60;
        self.minutes.retain(|minute, _| *minute >= oldest);
        let mut out: BTreeMap<String, [u64; 3]> = BTreeMap::new();
        for (domain, counts) in self.minutes.values().flatten() {
            let sum = out.entry(domain.clone()).or_default();
            sum.iter_mut().zip(counts).for_each(|(s, c)| *s += c);
        }
        out
    }
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

    fn t(received: u64) -> Counts {
        [received, 0, 0, 0, 0, 0, 0]
    }

    #[test]
    fn the_first_sample_is_only_a_baseline() {
        let mut h = History::default();
        h.record(1000, t(500));
        assert_eq!(h.series(0, 1000, 3), [0, 0, 0]);
        h.record(1001, t(503));
        assert_eq!(h.series(0, 1001, 3), [0, 0, 3]);
    }

    #[test]
    fn samples_in_the_same_second_add_up() {
        let mut h = History::default();
        h.record(1000, t(0));
        h.record(1001, t(2));
        h.record(1001, t(5));
        h.record(1000, t(6)); // the clock stepped back: still the newest second
        assert_eq!(h.series(0, 1001, 2), [0, 6]);
    }

    #[test]
    fn seconds_without_samples_share_the_difference_or_read_zero() {
        let mut h = History::default();
        h.record(1000, t(0));
        h.record(1001, t(4));
        // Four seconds passed before the next sample: 10 messages, spread over them.
        h.record(1005, t(14));
        assert_eq!(h.series(0, 1005, 6), [0, 4, 2, 2, 2, 4]);
        // Nothing sampled after 1005: later seconds read zero, and the total stays.
        assert_eq!(h.series(0, 1008, 4), [4, 0, 0, 0]);
        assert_eq!(h.series(0, 1008, HISTORY_SECS).iter().sum::<u64>(), 14);
    }

    #[test]
    fn the_ring_wraps_around() {
        let mut h = History::default();
        let start = 10 * HISTORY_SECS as u64;
        h.record(start, t(0));
        for s in 1..=HISTORY_SECS as u64 + 10 {
            h.record(start + s, t(s * (s + 1) / 2)); // second s counts s messages
        }
        let end = start + HISTORY_SECS as u64 + 10;
        let series = h.series(0, end, HISTORY_SECS);
        assert_eq!(series.len(), HISTORY_SECS);
        assert_eq!(series[0], 11, "the oldest kept second is the 11th");
        assert_eq!(series[HISTORY_SECS - 1], HISTORY_SECS as u64 + 10);
        assert!(series.windows(2).all(|w| w[1] == w[0] + 1), "every second in order, none stale");
        // Asking for a window past the end shows the seconds that were overwritten as zero.
        assert_eq!(
            h.series(0, end + 5, 10),
            [end - 4 - start, end - 3 - start, end - 2 - start, end - 1 - start, end - start, 0, 0, 0, 0, 0]
        );
    }

    #[test]
    fn a_gap_longer_than_the_window_leaves_only_its_last_hour() {
        let mut h = History::default();
        h.record(1000, t(0));
        h.record(1001, t(7));
        let gap = 2 * HISTORY_SECS as u64;
        h.record(1001 + gap, t(7 + gap));
        let series = h.series(0, 1001 + gap, HISTORY_SECS);
        assert!(series.iter().all(|&c| c == 1), "one a second, the old second gone");
        assert_eq!(h.series(0, 1001, 1), [0], "second 1001's slot was reused");
    }

    #[test]
    fn counters_that_restart_do_not_go_negative() {
        let mut h = History::default();
        h.record(1000, t(10));
        h.record(1001, t(3));
        assert_eq!(h.series(0, 1001, 1), [0]);
    }

    fn outcome(time: u64, event: &str, domain: &str) -> Vec<u8> {
        json!({ "time": time, "event": event, "domain": domain, "recipient": "x@y" }).to_string().into_bytes()
    }

    #[test]
    fn rates_count_the_last_hours_outcomes_per_domain() {
        let now = 100_000;
        let mut r = Rates::default();
        r.add(now, &outcome(now - 10, "delivery", "a.test"));
        r.add(now, &outcome(now - 10, "deferral", "A.test"));
        r.add(now, &outcome(now - 70, "bounce", "a.test"));
        r.add(now, &outcome(now - 70, "expiry", "b.test"));
        r.add(now, &outcome(now - 10, "reception", "a.test"));
        r.add(now, &outcome(now - 4000, "delivery", "a.test"));
        r.add(now, b"not json");
        let rates = r.by_domain(now);
        assert_eq!(rates.get("a.test"), Some(&[1, 1, 1]));
        assert_eq!(rates.get("b.test"), Some(&[0, 0, 1]), "an expiry is a bounce");
        // An hour later the minutes have gone.
        assert!(r.by_domain(now + 3700).is_empty());
        assert!(r.minutes.is_empty());
    }

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
