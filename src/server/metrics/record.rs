//! Counting: what the rest of the server calls where things happen. Each call is an atomic
//! add on a counter made in advance, except where a label's values are open (sites, unknown
//! protocols): those look their series up in their family (a read lock and a hash).

use std::borrow::Cow;
use std::sync::atomic::Ordering;

use hickory_proto::rr::RecordType;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::gauge::Gauge;
use store::journal::stats::GroupCommit;

use super::families::{
    CLUSTER_CALLS, LISTENERS, LoginLabels, METRICS, OutcomeLabels, Protocol, RECEIVED_OVER, VirusLabels,
};
use crate::smtp::server::Role;

/// The most series `ringmail_delivery_outcomes_total` grows to: an outcome at a site beyond
/// them counts under the site [`OTHER_SITES`], so that mail to a million domains cannot grow
/// the scrape without bound.
pub const MAX_OUTCOME_SERIES: usize = 2000;
/// The site of an outcome decided before the mail exchangers were known (DNS failures,
/// suppressed recipients, a suspended domain).
pub const UNKNOWN_SITE: &str = "unknown";
/// The site label of outcomes past [`MAX_OUTCOME_SERIES`].
pub const OTHER_SITES: &str = "other";

/// A message was received and stored; `protocol` is `smtp` (port 25), `submission`,
/// `submissions` or `http`.
pub fn received(protocol: &str) {
    let metrics = &*METRICS;
    metrics.received_all.fetch_add(1, Ordering::Relaxed);
    match RECEIVED_OVER.iter().position(|p| *p == protocol) {
        Some(i) => metrics.received_over[i].inc(),
        None => metrics.received.get_or_create(&Protocol { protocol: Cow::Owned(protocol.to_string()) }).inc(),
    };
}

/// A message was received over SMTP in `role` and stored.
pub fn received_smtp(role: Role) {
    received(smtp_protocol(role));
}

/// How the metrics name an SMTP role.
pub fn smtp_protocol(role: Role) -> &'static str {
    match role {
        Role::Inbound => "smtp",
        Role::Submission => "submission",
        Role::Submissions => "submissions",
    }
}

/// How one outbound recipient's attempt ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    /// The remote server took it.
    Delivered = 0,
    /// It waits for another attempt.
    Deferred = 1,
    /// It failed for good.
    Bounced = 2,
    /// It was queued too long and was given up.
    Expired = 3,
}

impl Outcome {
    /// Every outcome, in the order of their `as usize`.
    pub const ALL: [Outcome; 4] = [Outcome::Delivered, Outcome::Deferred, Outcome::Bounced, Outcome::Expired];

    /// The `outcome` label.
    pub fn as_str(self) -> &'static str {
        match self {
            Outcome::Delivered => "delivered",
            Outcome::Deferred => "deferred",
            Outcome::Bounced => "bounced",
            Outcome::Expired => "expired",
        }
    }
}

/// One outbound recipient's attempt ended with `outcome` at `site` (None: before the MX
/// lookup told it), classified as the event log does (`events::classify`).
pub fn delivery_outcome(outcome: Outcome, site: Option<&str>, classification: &'static str) {
    METRICS.outcome_totals[outcome as usize].fetch_add(1, Ordering::Relaxed);
    let family = &METRICS.outcomes;
    let site = site.unwrap_or(UNKNOWN_SITE).to_string();
    let mut labels = OutcomeLabels { outcome: outcome.as_str(), site, classification };
    if let Some(counter) = family.get(&labels) {
        counter.inc();
        return;
    }
    if METRICS.outcome_series.fetch_add(1, Ordering::Relaxed) >= MAX_OUTCOME_SERIES {
        labels.site = OTHER_SITES.to_string();
    }
    family.get_or_create(&labels).inc();
}

/// A delivery attempt running; dropping it (however the attempt ends) counts it finished.
#[must_use = "the attempt counts as running until this is dropped"]
#[derive(Debug)]
pub struct AttemptInFlight(());

/// A delivery attempt starts.
pub fn attempt_started() -> AttemptInFlight {
    METRICS.attempts.inc();
    METRICS.attempts_in_flight.inc();
    AttemptInFlight(())
}

impl Drop for AttemptInFlight {
    fn drop(&mut self) {
        METRICS.attempts_in_flight.dec();
    }
}

/// An SMTP transaction handed a message to another server, over TLS or not.
pub fn outbound_transaction(tls: bool) {
    METRICS.transactions[usize::from(tls)].inc();
}

/// The connection counters of one protocol's listeners, looked up once per accept loop.
#[derive(Debug, Clone, Copy)]
pub struct ListenerMetrics {
    accepted: &'static Counter,
    refused: &'static Counter,
    open: &'static Gauge,
}

/// The counters of listeners of `protocol` (`smtp`, `pop3`, `imap`, `http`; anything else
/// counts as `other`).
pub fn listener(protocol: &str) -> ListenerMetrics {
    let metrics: &'static _ = &*METRICS;
    let i = LISTENERS.iter().position(|p| *p == protocol).unwrap_or(LISTENERS.len() - 1);
    ListenerMetrics {
        accepted: &metrics.connections_accepted[i],
        refused: &metrics.connections_refused[i],
        open: &metrics.connections_open[i],
    }
}

impl ListenerMetrics {
    /// A connection was accepted; it counts as open until the returned value is dropped.
    pub fn accepted(self) -> OpenConnection {
        self.accepted.inc();
        self.open.inc();
        OpenConnection(self.open)
    }

    /// A connection was refused at the connection limits.
    pub fn refused(self) {
        self.refused.inc();
    }
}

/// An open connection; dropping it counts it closed.
#[must_use = "the connection counts as open until this is dropped"]
#[derive(Debug)]
pub struct OpenConnection(&'static Gauge);

impl Drop for OpenConnection {
    fn drop(&mut self) {
        self.0.dec();
    }
}

/// The index of `rtype` in [`super::families::RECORD_TYPES`].
fn record_type(rtype: RecordType) -> usize {
    match rtype {
        RecordType::A => 0,
        RecordType::AAAA => 1,
        RecordType::MX => 2,
        RecordType::TXT => 3,
        RecordType::PTR => 4,
        RecordType::TLSA => 5,
        _ => 6,
    }
}

/// A DNS question goes to the nameservers.
pub fn dns_query(rtype: RecordType) {
    METRICS.dns_queries[record_type(rtype)].inc();
}

/// A DNS question got no usable answer from any nameserver.
pub fn dns_query_failed(rtype: RecordType) {
    METRICS.dns_failures[record_type(rtype)].inc();
}

/// A DNS lookup was answered from the cache.
pub fn dns_cache_hit(rtype: RecordType) {
    METRICS.dns_cache_hits[record_type(rtype)].inc();
}

/// The journal's observer (`store::journal::stats`): one group committed.
pub(super) fn journal_committed(commit: &GroupCommit) {
    let metrics = &*METRICS;
    metrics.journal_commit.observe(commit.elapsed.as_secs_f64());
    metrics.journal_group.observe(commit.ops as f64);
    metrics.journal_totals[0].fetch_add(1, Ordering::Relaxed);
    let micros = u64::try_from(commit.elapsed.as_micros()).unwrap_or(u64::MAX);
    metrics.journal_totals[1].fetch_add(micros, Ordering::Relaxed);
    if !commit.written {
        metrics.journal_failures.inc();
    }
}

/// What the spam filter decided about a message.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SpamVerdict {
    /// Scored below the junk threshold.
    Ham = 0,
    /// Filed in Junk.
    Junk = 1,
    /// Mail from another server refused at `reject_score`.
    Refused = 2,
    /// A logged-in sender's message refused at `outbound_reject_score`.
    Spam = 3,
}

/// The spam filter gave `verdict`.
pub fn spam_verdict(verdict: SpamVerdict) {
    METRICS.spam[verdict as usize].inc();
}

/// Which virus scanner gave a verdict.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Scanner {
    /// The built-in signature engine (`[antivirus] databases`).
    Signatures,
    /// ClamAV's daemon (`[antivirus] clamd`).
    Clamd,
}

impl Scanner {
    fn as_str(self) -> &'static str {
        match self {
            Scanner::Signatures => "signatures",
            Scanner::Clamd => "clamd",
        }
    }
}

/// `scanner` scanned a message and found it infected or clean.
pub fn virus_scanned(scanner: Scanner, infected: bool) {
    virus(scanner, if infected { "infected" } else { "clean" });
}

/// Counts `found` (the virus `scanner` found, if any) and hands it back, so that a scan can be
/// wrapped where it is made: `virus_verdict(Scanner::Signatures, antivirus::scan(db, parsed))`.
pub fn virus_verdict<T>(scanner: Scanner, found: Option<T>) -> Option<T> {
    virus_scanned(scanner, found.is_some());
    found
}

/// `scanner` gave no verdict (clamd unreachable, too slow, or in error).
pub fn virus_scan_failed(scanner: Scanner) {
    virus(scanner, "error");
}

fn virus(scanner: Scanner, verdict: &'static str) {
    METRICS.virus.get_or_create(&VirusLabels { scanner: scanner.as_str(), verdict }).inc();
}

/// A login (or an HTTP API token) over `protocol` was refused as wrong.
pub fn login_failed(protocol: &str) {
    login(protocol, "invalid");
}

/// A login over `protocol` was refused unchecked: its client or account failed too often.
pub fn login_blocked(protocol: &str) {
    login(protocol, "blocked");
}

fn login(protocol: &str, reason: &'static str) {
    let protocol = match ["smtp", "imap", "pop3", "http"].into_iter().find(|p| *p == protocol) {
        Some(known) => Cow::Borrowed(known),
        None => Cow::Owned(protocol.to_string()),
    };
    METRICS.login_failures.get_or_create(&LoginLabels { protocol, reason }).inc();
}

/// A cluster call of kind `call` (one of `lease`, `rate`, `login`) got no answer from Redis.
pub fn cluster_fallback(call: &str) {
    if let Some(i) = CLUSTER_CALLS.iter().position(|c| *c == call) {
        METRICS.cluster_fallbacks[i].inc();
    }
}

/// Cumulative counts since the process started, for the dashboard's per-second history.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Totals {
    /// Messages received and stored, over any protocol.
    pub received: u64,
    /// Outbound recipients delivered.
    pub delivered: u64,
    /// Outbound recipients deferred (each attempt counts).
    pub deferred: u64,
    /// Outbound recipients bounced.
    pub bounced: u64,
    /// Outbound recipients given up as expired.
    pub expired: u64,
    /// Journal groups committed.
    pub journal_commits: u64,
    /// Their summed commit time, in microseconds.
    pub journal_commit_micros: u64,
}

/// The counts now.
pub fn totals() -> Totals {
    let metrics = &*METRICS;
    let outcome = |o: Outcome| metrics.outcome_totals[o as usize].load(Ordering::Relaxed);
    Totals {
        received: metrics.received_all.load(Ordering::Relaxed),
        delivered: outcome(Outcome::Delivered),
        deferred: outcome(Outcome::Deferred),
        bounced: outcome(Outcome::Bounced),
        expired: outcome(Outcome::Expired),
        journal_commits: metrics.journal_totals[0].load(Ordering::Relaxed),
        journal_commit_micros: metrics.journal_totals[1].load(Ordering::Relaxed),
    }
}
