//! The registry is one per process and the tests share it, running in parallel: each test
//! reads a counter before and after, and uses label values no other test does.

use std::time::{Duration, Instant};

use bytes::Bytes;
use hickory_proto::rr::RecordType;
use store::journal::{Delivery, JournalOp, RemoteRecipient};
use store::records::QueueOptions;
use store::{Journal, MessageId, Store};

use super::*;

fn temp_store() -> (tempfile::TempDir, Store) {
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open(dir.path()).unwrap();
    (dir, store)
}

/// The value of the sample `series` (name and labels exactly as rendered), if present.
fn value(text: &str, series: &str) -> Option<f64> {
    text.lines().find_map(|line| line.strip_prefix(series)?.strip_prefix(' ')?.parse().ok())
}

/// A scrape of an empty store.
fn scrape() -> String {
    let (_dir, store) = temp_store();
    render(&Scrape::new(store))
}

/// Queues a message from `a@example.net` to `remote`.
fn queue(journal: &Journal, id: u128, remote: &[&str]) {
    let delivery = Delivery {
        id: MessageId(id),
        local_prefix: Bytes::new(),
        message: vec![Bytes::from_static(b"Subject: x\r\n\r\nbody\r\n")],
        staged: None,
        sender: "a@example.net".into(),
        local: Vec::new(),
        junk: false,
        remote: remote.iter().map(|r| RemoteRecipient::plain(r.to_string())).collect(),
        options: QueueOptions::default(),
        dmarc: Vec::new(),
        copies: Vec::new(),
    };
    journal.handle().submit_blocking(JournalOp::Deliver(delivery)).unwrap();
}

#[test]
fn every_family_is_rendered_with_help_and_type() {
    // A family with no series yet is left out: give each of the open-ended ones one.
    delivery_outcome(Outcome::Expired, Some("mx.family.example:25"), "temporary");
    virus_scanned(Scanner::Signatures, false);
    login_failed("family-test");
    let (_dir, store) = temp_store();
    let journal = Journal::start(store.clone());
    queue(&journal, 1, &["x@family.example"]);
    journal.stop();
    let text = render(&Scrape::new(store));
    for (name, kind) in [
        ("ringmail_build_info", "gauge"),
        ("ringmail_start_time_seconds", "gauge"),
        ("ringmail_messages_received_total", "counter"),
        ("ringmail_delivery_outcomes_total", "counter"),
        ("ringmail_delivery_attempts_total", "counter"),
        ("ringmail_delivery_attempts_in_flight", "gauge"),
        ("ringmail_delivery_transactions_total", "counter"),
        ("ringmail_connections_accepted_total", "counter"),
        ("ringmail_connections_refused_total", "counter"),
        ("ringmail_connections_open", "gauge"),
        ("ringmail_dns_queries_total", "counter"),
        ("ringmail_dns_query_failures_total", "counter"),
        ("ringmail_dns_cache_hits_total", "counter"),
        ("ringmail_journal_commit_duration_seconds", "histogram"),
        ("ringmail_journal_group_ops", "histogram"),
        ("ringmail_journal_write_failures_total", "counter"),
        ("ringmail_spam_verdicts_total", "counter"),
        ("ringmail_virus_scans_total", "counter"),
        ("ringmail_login_failures_total", "counter"),
        ("ringmail_queue_recipients", "gauge"),
        ("ringmail_queue_oldest_age_seconds", "gauge"),
        ("ringmail_queue_scan_complete", "gauge"),
    ] {
        let help = text.lines().find_map(|l| l.strip_prefix(&format!("# HELP {name} ")));
        assert!(help.is_some_and(|h| h.ends_with('.') && !h.ends_with("..")), "{name}: one period, {help:?}");
        assert!(text.contains(&format!("# TYPE {name} {kind}\n")), "{name} is a {kind}");
    }
    let version = format!("ringmail_build_info{{version=\"{}\"}}", env!("CARGO_PKG_VERSION"));
    assert_eq!(value(&text, &version), Some(1.0));
    assert!(value(&text, "ringmail_start_time_seconds").is_some_and(|t| t > 1.6e9));
    assert_eq!(value(&text, "ringmail_messages_received_total{protocol=\"submission\"}").map(|v| v >= 0.0), Some(true));
    assert_eq!(value(&text, "ringmail_queue_scan_complete"), Some(1.0), "a short queue is read whole");
    assert_eq!(value(&text, "ringmail_queue_recipients{site=\"unknown\"}"), Some(1.0));
    for line in text.lines().filter(|l| !l.starts_with('#')) {
        let (series, number) = line.rsplit_once(' ').unwrap_or_else(|| panic!("no value: {line}"));
        assert!(series.starts_with("ringmail_"), "{line}");
        assert!(number.parse::<f64>().is_ok() || number == "+Inf", "{line}");
    }
}

#[test]
fn label_values_are_escaped() {
    delivery_outcome(Outcome::Bounced, Some("mx\"quoted\\back\nslash:25"), "policy");
    let text = scrape();
    let series = r#"ringmail_delivery_outcomes_total{outcome="bounced",site="mx\"quoted\\back\nslash:25",classification="policy"}"#;
    assert_eq!(value(&text, series), Some(1.0), "{text}");
    assert!(!text.contains("back\nslash"), "no raw line break inside a label");
}

#[test]
fn counting_moves_the_rendered_values() {
    let count = |text: &str, series: &str| value(text, series).unwrap_or(0.0);
    let series = [
        "ringmail_messages_received_total{protocol=\"submissions\"}",
        "ringmail_messages_received_total{protocol=\"lmtp-test\"}",
        "ringmail_delivery_outcomes_total{outcome=\"deferred\",site=\"unknown\",classification=\"dns-test\"}",
        "ringmail_delivery_outcomes_total{outcome=\"delivered\",site=\"mx.count.example:25\",classification=\"delivered\"}",
        "ringmail_delivery_transactions_total{tls=\"true\"}",
        "ringmail_dns_queries_total{type=\"TLSA\"}",
        "ringmail_dns_query_failures_total{type=\"TLSA\"}",
        "ringmail_dns_cache_hits_total{type=\"other\"}",
        "ringmail_spam_verdicts_total{verdict=\"junk\"}",
        "ringmail_virus_scans_total{scanner=\"clamd\",verdict=\"error\"}",
        "ringmail_virus_scans_total{scanner=\"signatures\",verdict=\"infected\"}",
        "ringmail_login_failures_total{protocol=\"pop3-test\",reason=\"blocked\"}",
        "ringmail_connections_accepted_total{protocol=\"other\"}",
        "ringmail_connections_refused_total{protocol=\"other\"}",
    ];
    let before = scrape();
    received_smtp(crate::smtp::server::Role::Submissions);
    received("lmtp-test");
    delivery_outcome(Outcome::Deferred, None, "dns-test");
    delivery_outcome(Outcome::Delivered, Some("mx.count.example:25"), "delivered");
    outbound_transaction(true);
    dns_query(RecordType::TLSA);
    dns_query_failed(RecordType::TLSA);
    dns_cache_hit(RecordType::SRV);
    spam_verdict(SpamVerdict::Junk);
    virus_scan_failed(Scanner::Clamd);
    virus_scanned(Scanner::Signatures, true);
    login_blocked("pop3-test");
    let connections = listener("gopher");
    let open = connections.accepted();
    connections.refused();
    let during = scrape();
    for series in series {
        assert!(count(&during, series) >= count(&before, series) + 1.0, "{series} moved");
    }
    let open_now = "ringmail_connections_open{protocol=\"other\"}";
    assert!(count(&during, open_now) >= 1.0);
    drop(open);
    let attempt = attempt_started();
    assert!(count(&scrape(), "ringmail_delivery_attempts_in_flight") >= 1.0);
    drop(attempt);
}

#[test]
fn journal_commits_are_observed() {
    let (_dir, store) = temp_store();
    let scrape = Scrape::new(store.clone());
    let commits = "ringmail_journal_commit_duration_seconds_count";
    let before = value(&render(&scrape), commits).unwrap();
    let journal = Journal::start(store);
    queue(&journal, 1, &["x@observed.example"]);
    journal.stop();
    let text = render(&scrape);
    assert!(value(&text, commits).unwrap() >= before + 1.0, "{text}");
    assert!(value(&text, "ringmail_journal_group_ops_bucket{le=\"+Inf\"}").unwrap() >= 1.0);
}

#[test]
fn queue_figures_are_per_site_bounded_and_cached() {
    let (_dir, store) = temp_store();
    let journal = Journal::start(store.clone());
    queue(&journal, 1, &["a@one.fig.example", "b@one.fig.example", "c@two.fig.example", "d@never.fig.example"]);
    queue(&journal, 2, &["e@two.fig.example"]);
    site_resolved("one.fig.example", "mx.shared.fig.example:25");
    site_resolved("two.fig.example", "mx.shared.fig.example:25");
    let figures = queue::read(&store, MAX_SCANNED).unwrap();
    assert!(figures.complete);
    let depth = |f: &queue::QueueFigures, site: &str| f.sites.iter().find(|s| s.0 == site).map(|s| s.1);
    assert_eq!(depth(&figures, "mx.shared.fig.example:25"), Some(4), "two domains, one site");
    assert_eq!(depth(&figures, UNKNOWN_SITE), Some(1), "not resolved yet");
    assert_eq!(figures.sites[0].0, "mx.shared.fig.example:25", "deepest first");
    let partial = queue::read(&store, 2).unwrap();
    assert!(!partial.complete);
    assert_eq!(partial.sites.iter().map(|s| s.1).sum::<u64>(), 2, "a bounded read");

    let scrape = Scrape::new(store.clone());
    let series = "ringmail_queue_recipients{site=\"mx.shared.fig.example:25\"}";
    assert_eq!(value(&render(&scrape), series), Some(4.0));
    queue(&journal, 3, &["f@one.fig.example"]);
    let started = Instant::now();
    let cached = value(&render(&scrape), series);
    if started.elapsed() < FRESH_FOR - Duration::from_millis(500) {
        assert_eq!(cached, Some(4.0), "a reading answers scrapes for a while");
    }
    let fresh = render(&Scrape::new(store.clone()));
    assert_eq!(value(&fresh, series), Some(5.0));
    assert!(value(&fresh, "ringmail_queue_oldest_age_seconds{site=\"unknown\"}").is_some());

    let many: Vec<String> = (0..MAX_SITES_SHOWN + 2).map(|i| format!("r@d{i}.many.example")).collect();
    queue(&journal, 4, &many.iter().map(String::as_str).collect::<Vec<_>>());
    for i in 0..MAX_SITES_SHOWN + 2 {
        site_resolved(&format!("d{i}.many.example"), &format!("mx{i}.many.example:25"));
    }
    journal.stop();
    let figures = queue::read(&store, MAX_SCANNED).unwrap();
    assert_eq!(figures.sites.len(), MAX_SITES_SHOWN + 1, "the deepest, and the rest as one");
    assert!(depth(&figures, OTHER_SITES).is_some());
    let total: u64 = figures.sites.iter().map(|s| s.1).sum();
    assert_eq!(total, 6 + MAX_SITES_SHOWN as u64 + 2, "nothing lost");
}

/// Not a test of behaviour: what one increment costs, printed (`--nocapture`).
#[test]
fn counting_is_cheap() {
    let rounds = 1_000_000;
    let timed = |f: &dyn Fn()| {
        let started = Instant::now();
        for _ in 0..rounds {
            f();
        }
        started.elapsed().as_nanos() as f64 / rounds as f64
    };
    let fixed = timed(&|| received("http"));
    let labelled = timed(&|| delivery_outcome(Outcome::Delivered, Some("mx.bench.example:25"), "delivered"));
    let dns = timed(&|| dns_cache_hit(RecordType::MX));
    println!("ns per call: received {fixed:.1}, delivery_outcome {labelled:.1}, dns_cache_hit {dns:.1}");
    assert!(fixed < 1000.0 && labelled < 5000.0, "an increment is not a syscall");
}
