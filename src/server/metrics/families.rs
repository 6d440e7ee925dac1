//! The metric families of the process, their names, help texts and labels, registered once
//! in one registry. Label values that are known in advance (protocols, verdicts, record
//! types) get their series created here and their counters kept in arrays, so counting them
//! is one atomic add: no lookup in a family, no lock. A family with no series yet (no
//! outcome, no virus scan) is left out of a scrape. Help texts end without a period: the
//! registry adds one.

use std::borrow::Cow;
use std::sync::LazyLock;
use std::sync::atomic::{AtomicU64, AtomicUsize};

use super::record::Outcome;

use prometheus_client::encoding::EncodeLabelSet;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::metrics::histogram::{Histogram, exponential_buckets};
use prometheus_client::metrics::info::Info;
use prometheus_client::registry::{Registry, Unit};

/// The prefix of every family's name.
pub const PREFIX: &str = "ringmail";

/// What mail is received over, as `ringmail_messages_received_total` labels it.
pub const RECEIVED_OVER: [&str; 4] = ["smtp", "submission", "submissions", "http"];
/// The protocols of the listeners, as the connection families label them.
pub const LISTENERS: [&str; 5] = ["smtp", "pop3", "imap", "http", "other"];
/// DNS record types with series of their own; the rest count as `other`.
pub const RECORD_TYPES: [&str; 7] = ["A", "AAAA", "MX", "TXT", "PTR", "TLSA", "other"];
/// The spam filter's verdicts.
pub const SPAM_VERDICTS: [&str; 4] = ["ham", "junk", "refused", "spam"];

/// The process-wide families; see [`METRICS`].
pub struct Metrics {
    /// Every family below, for encoding.
    pub registry: Registry,
    /// Unix seconds when the process started counting.
    pub start_time: Gauge<f64, AtomicU64>,
    /// Messages stored, by what they came over.
    pub received: Family<Protocol, Counter>,
    /// `received`, one counter per [`RECEIVED_OVER`].
    pub received_over: [Counter; RECEIVED_OVER.len()],
    /// Every message received, whatever it came over (for [`super::totals`]).
    pub received_all: AtomicU64,
    /// Outbound recipients whose attempt ended, by outcome, site and classification.
    pub outcomes: Family<OutcomeLabels, Counter>,
    /// `outcomes` summed per [`Outcome`] (for [`super::totals`]).
    pub outcome_totals: [AtomicU64; Outcome::ALL.len()],
    /// Series `outcomes` made (or nearly: two shards may count one new series twice).
    pub outcome_series: AtomicUsize,
    /// Delivery attempts started.
    pub attempts: Counter,
    /// Delivery attempts running now.
    pub attempts_in_flight: Gauge,
    /// SMTP transactions that handed a message to another server, `[without TLS, with TLS]`.
    pub transactions: [Counter; 2],
    /// Connections taken within the limits, per [`LISTENERS`].
    pub connections_accepted: [Counter; LISTENERS.len()],
    /// Connections turned away at the limits, per [`LISTENERS`].
    pub connections_refused: [Counter; LISTENERS.len()],
    /// Connections open now, per [`LISTENERS`].
    pub connections_open: [Gauge; LISTENERS.len()],
    /// Questions sent to the nameservers, per [`RECORD_TYPES`].
    pub dns_queries: [Counter; RECORD_TYPES.len()],
    /// Questions that no nameserver answered usefully, per [`RECORD_TYPES`].
    pub dns_failures: [Counter; RECORD_TYPES.len()],
    /// Lookups answered from a shard's cache, per [`RECORD_TYPES`].
    pub dns_cache_hits: [Counter; RECORD_TYPES.len()],
    /// Seconds from a group's first op applied to its synced write's return.
    pub journal_commit: Histogram,
    /// Operations per committed group.
    pub journal_group: Histogram,
    /// Groups whose write failed.
    pub journal_failures: Counter,
    /// Groups committed, and their summed `journal_commit` in microseconds (for
    /// [`super::totals`]: the histogram keeps its count and sum to itself).
    pub journal_totals: [AtomicU64; 2],
    /// Spam filter verdicts, per [`SPAM_VERDICTS`].
    pub spam: [Counter; SPAM_VERDICTS.len()],
    /// Virus scans, by scanner and verdict.
    pub virus: Family<VirusLabels, Counter>,
    /// Refused logins, by protocol and reason.
    pub login_failures: Family<LoginLabels, Counter>,
    /// Cluster calls Redis did not answer (the node kept to its share), per [`CLUSTER_CALLS`].
    pub cluster_fallbacks: [Counter; CLUSTER_CALLS.len()],
}

/// The kinds of cluster call that fall back to the node's share when Redis is away.
pub const CLUSTER_CALLS: [&str; 3] = ["lease", "rate", "login"];

/// `call`: a kind of cluster call.
#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct ClusterCall {
    /// One of [`CLUSTER_CALLS`].
    pub call: &'static str,
}

/// `protocol`: what a message or connection came over.
#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct Protocol {
    /// `smtp`, `submission`, `http`, ...
    pub protocol: Cow<'static, str>,
}

/// The labels of a delivery outcome.
#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct OutcomeLabels {
    /// `delivered`, `deferred`, `bounced` or `expired`.
    pub outcome: &'static str,
    /// The destination site (its mail exchangers and port), `unknown` before the MX lookup.
    pub site: String,
    /// The event log's classification of the outcome (`events::classify`).
    pub classification: &'static str,
}

/// The labels of a virus scan.
#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct VirusLabels {
    /// `signatures` (the built-in engine) or `clamd`.
    pub scanner: &'static str,
    /// `clean`, `infected` or `error` (no verdict).
    pub verdict: &'static str,
}

/// The labels of a refused login.
#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct LoginLabels {
    /// `smtp`, `imap`, `pop3` or `http`.
    pub protocol: Cow<'static, str>,
    /// `invalid` (wrong credentials or token) or `blocked` (too many failures).
    pub reason: &'static str,
}

/// `tls`: whether an outbound transaction went over TLS.
#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct Tls {
    tls: &'static str,
}

/// `type`: a DNS record type.
#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct RecordType {
    r#type: &'static str,
}

/// `verdict`: a spam verdict.
#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct SpamVerdict {
    verdict: &'static str,
}

/// `version`: of the build.
#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct Build {
    version: &'static str,
}

/// The families of this process, registered at first use.
pub static METRICS: LazyLock<Metrics> = LazyLock::new(Metrics::new);

impl Metrics {
    fn new() -> Metrics {
        let mut r = Registry::with_prefix(PREFIX);
        let build = Info::new(Build { version: env!("CARGO_PKG_VERSION") });
        r.register("build", "The ringmail version running (always 1)", build);
        let start_time = Gauge::<f64, AtomicU64>::default();
        let help = "Unix time the server started, in seconds";
        r.register_with_unit("start_time", help, Unit::Seconds, start_time.clone());

        let received = Family::<Protocol, Counter>::default();
        let help = "Messages received and stored, by what they came over (smtp: port 25)";
        r.register("messages_received", help, received.clone());
        let received_over = RECEIVED_OVER.map(|p| received.get_or_create_owned(&Protocol { protocol: p.into() }));

        let outcomes = Family::<OutcomeLabels, Counter>::default();
        let help = "Outbound recipients whose delivery attempt ended, by outcome (delivered, deferred, bounced, \
                    expired), destination site and classification";
        r.register("delivery_outcomes", help, outcomes.clone());
        let attempts = Counter::default();
        r.register("delivery_attempts", "Outbound delivery attempts started", attempts.clone());
        let attempts_in_flight = Gauge::default();
        let help = "Outbound delivery attempts running now";
        r.register("delivery_attempts_in_flight", help, attempts_in_flight.clone());
        let tls = Family::<Tls, Counter>::default();
        let help = "SMTP transactions that handed a message to another server, by whether the session used TLS";
        r.register("delivery_transactions", help, tls.clone());
        let transactions = ["false", "true"].map(|t| tls.get_or_create_owned(&Tls { tls: t }));

        let accepted = Family::<Protocol, Counter>::default();
        let refused = Family::<Protocol, Counter>::default();
        let open = Family::<Protocol, Gauge>::default();
        let help = "Connections accepted within the connection limits, by protocol";
        r.register("connections_accepted", help, accepted.clone());
        let help = "Connections refused at the connection limits, by protocol";
        r.register("connections_refused", help, refused.clone());
        r.register("connections_open", "Connections open now, by protocol", open.clone());
        let by_protocol = |p: &'static str| Protocol { protocol: p.into() };
        let connections_accepted = LISTENERS.map(|p| accepted.get_or_create_owned(&by_protocol(p)));
        let connections_refused = LISTENERS.map(|p| refused.get_or_create_owned(&by_protocol(p)));
        let connections_open = LISTENERS.map(|p| open.get_or_create_owned(&by_protocol(p)));

        let queries = Family::<RecordType, Counter>::default();
        let failures = Family::<RecordType, Counter>::default();
        let hits = Family::<RecordType, Counter>::default();
        let help = "DNS questions sent to the nameservers (not answered from a cache), by record type";
        r.register("dns_queries", help, queries.clone());
        let help = "DNS questions no nameserver answered (timeouts, errors), by record type";
        r.register("dns_query_failures", help, failures.clone());
        let help = "DNS lookups answered from a shard's cache, by record type";
        r.register("dns_cache_hits", help, hits.clone());
        let by_type = |t: &'static str| RecordType { r#type: t };
        let dns_queries = RECORD_TYPES.map(|t| queries.get_or_create_owned(&by_type(t)));
        let dns_failures = RECORD_TYPES.map(|t| failures.get_or_create_owned(&by_type(t)));
        let dns_cache_hits = RECORD_TYPES.map(|t| hits.get_or_create_owned(&by_type(t)));

        // 100 µs to 3.3 s: an fsync on NVMe to a disk in trouble.
        let journal_commit = Histogram::new(exponential_buckets(0.0001, 2.0, 16));
        let help = "Time to build and durably write one journal group (apply its ops, write, fsync)";
        r.register_with_unit("journal_commit_duration", help, Unit::Seconds, journal_commit.clone());
        let journal_group = Histogram::new(exponential_buckets(1.0, 2.0, 11));
        let help = "Operations committed together in one journal group (one write, one fsync)";
        r.register("journal_group_ops", help, journal_group.clone());
        let journal_failures = Counter::default();
        let help = "Journal groups whose write failed (each of their ops got an error)";
        r.register("journal_write_failures", help, journal_failures.clone());

        let verdicts = Family::<SpamVerdict, Counter>::default();
        let help = "Spam filter verdicts: ham, junk (filed in Junk), refused (mail from another server at \
                    reject_score), spam (a logged-in sender's message refused at outbound_reject_score)";
        r.register("spam_verdicts", help, verdicts.clone());
        let spam = SPAM_VERDICTS.map(|v| verdicts.get_or_create_owned(&SpamVerdict { verdict: v }));
        let virus = Family::<VirusLabels, Counter>::default();
        let help = "Virus scans of received messages, by scanner (signatures, clamd) and verdict (clean, \
                    infected, error)";
        r.register("virus_scans", help, virus.clone());
        let login_failures = Family::<LoginLabels, Counter>::default();
        let help = "Refused logins and API tokens, by protocol and reason (invalid, blocked)";
        r.register("login_failures", help, login_failures.clone());
        let fallbacks = Family::<ClusterCall, Counter>::default();
        let help = "Cluster calls Redis did not answer, by call (lease, rate, login): the node kept to its \
                    share of the limit";
        r.register("cluster_fallbacks", help, fallbacks.clone());
        let cluster_fallbacks = CLUSTER_CALLS.map(|call| fallbacks.get_or_create_owned(&ClusterCall { call }));

        Metrics {
            registry: r,
            start_time,
            received,
            received_over,
            received_all: AtomicU64::new(0),
            outcomes,
            outcome_totals: Default::default(),
            outcome_series: AtomicUsize::new(0),
            attempts,
            attempts_in_flight,
            transactions,
            connections_accepted,
            connections_refused,
            connections_open,
            dns_queries,
            dns_failures,
            dns_cache_hits,
            journal_commit,
            journal_group,
            journal_failures,
            journal_totals: Default::default(),
            spam,
            virus,
            login_failures,
            cluster_fallbacks,
        }
    }
}
