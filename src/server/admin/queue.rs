//! Administration of the outbound queue: list, summary per destination, show, retry now,
//! delete, return to sender, and suspending delivery to a destination. Everything streams over the `queue` column family, so even a
//! large queue is never loaded whole; changes go through the journal like the scheduler's.

use std::collections::BTreeMap;
use std::fmt::Write as _;

use serde::Serialize;

use super::{AdminContext, AdminError, transfer};
use crate::queue::dsn::{self, Action, Notice};
use message::headers;
use store::directory::domain_of;
use store::journal::JournalOp;
use store::queue::DueRecipient;
use store::{MessageId, MessageIdGenerator, Store, unix_now};

/// The shard number in the ids of messages the admin tools make (bounce reports).
const ADMIN_SHARD: u16 = u16::MAX;

pub use admin_proto::QueueRequest;

/// Runs a queue request.
pub fn execute(ctx: &AdminContext, request: QueueRequest) -> Result<Vec<u8>, AdminError> {
    let mut out = String::new();
    match request {
        QueueRequest::List { limit, domain } => {
            let filter = Filter::new(None, domain)?;
            let mut shown = 0;
            ctx.store.for_each_queued(|r| {
                if shown < limit && filter.matches(&r) {
                    shown += 1;
                    let e = &r.entry;
                    let error = e.last_error.as_deref().unwrap_or("-");
                    let _ = writeln!(
                        out,
                        "{} due={} attempts={} <{}> -> <{}> {error}",
                        r.id, r.due, e.attempts, e.sender, e.recipient
                    );
                }
            })?;
        }
        QueueRequest::Summary => summary(ctx, &mut out)?,
        QueueRequest::Show { id } => {
            let filter = Filter::new(Some(id), None)?;
            let matches = collect(ctx, &filter)?;
            let Some(first) = matches.first() else { return Err(AdminError("no such message in the queue".into())) };
            let blob = ctx.store.blob(first.id)?.unwrap_or_default();
            for name in ["From", "To", "Subject", "Date", "Message-ID"] {
                if let Some(value) = headers::field(&blob, name) {
                    let _ = writeln!(out, "{name}: {value}");
                }
            }
            let _ = writeln!(out, "Size: {}", blob.len());
            for r in &matches {
                let error = r.entry.last_error.as_deref().unwrap_or("-");
                let _ = writeln!(out, "<{}> due={} attempts={} {error}", r.entry.recipient, r.due, r.entry.attempts);
            }
        }
        QueueRequest::Retry { id, domain } => {
            let filter = Filter::new(id, domain)?;
            filter.narrow()?;
            let retried = retry_now(ctx, &filter)?;
            let _ = writeln!(out, "{retried} recipients due now");
        }
        QueueRequest::Delete { id, domain } => {
            let filter = Filter::new(id, domain)?;
            let matches = collect(ctx, &filter)?;
            for (id, keys) in by_message(&matches) {
                ctx.journal.submit_blocking(JournalOp::QueueFinish {
                    keys,
                    id,
                    bounce: None,
                    suppress: Vec::new(),
                    tally: None,
                })?;
            }
            let _ = writeln!(out, "{} recipients deleted", matches.len());
        }
        QueueRequest::Bounce { id, domain } => {
            let filter = Filter::new(id, domain)?;
            let matches = collect(ctx, &filter)?;
            if matches.is_empty() {
                return Err(AdminError("nothing queued matches".into()));
            }
            let mut messages: BTreeMap<MessageId, Vec<DueRecipient>> = BTreeMap::new();
            for r in matches {
                messages.entry(r.id).or_default().push(r);
            }
            for recipients in messages.values() {
                bounce(ctx, recipients)?;
                let _ = writeln!(out, "{} recipients returned to <{}>", recipients.len(), recipients[0].entry.sender);
            }
        }
        QueueRequest::Suspend { destination, reason, for_secs } => {
            let suspension = ctx.suspensions.suspend(&ctx.journal, &destination, &reason, for_secs)?;
            let until = suspension.until.map_or("until resumed".to_string(), |t| format!("until unix time {t}"));
            let _ = writeln!(out, "delivery to {destination} suspended {until}: {reason}");
        }
        QueueRequest::Resume { destination } => {
            ctx.suspensions.resume(&ctx.journal, &destination)?;
            let filter = Filter::new(None, Some(destination.clone()))?;
            let retried = retry_now(ctx, &filter)?;
            let _ = writeln!(out, "delivery to {destination} resumed; {retried} recipients due now");
        }
        QueueRequest::Transfer { to, domain, wait_secs } => transfer::run(ctx, &to, domain, wait_secs, &mut out)?,
        QueueRequest::Suspended => {
            for (destination, s) in ctx.suspensions.list() {
                let until = s.until.map_or("-".to_string(), |t| t.to_string());
                let _ = writeln!(out, "{destination}	since={}	until={until}	{}", s.created, s.reason);
            }
        }
    }
    Ok(out.into_bytes())
}

/// Makes the recipients `filter` matches due now; how many there were. Those due already are
/// left as they are: one may be in an attempt, whose outcome names its queue key.
pub(super) fn retry_now(ctx: &AdminContext, filter: &Filter) -> Result<usize, AdminError> {
    let now = unix_now();
    let matches = matching(ctx, filter)?;
    for r in matches.iter().filter(|r| r.due > now) {
        let op = JournalOp::QueueDefer { key: r.key.clone(), due: now, entry: r.entry.clone() };
        ctx.journal.submit_blocking(op)?;
    }
    Ok(matches.len())
}

/// Returns the queued `recipients` of one message to its sender with a delivery report.
fn bounce(ctx: &AdminContext, recipients: &[DueRecipient]) -> Result<(), AdminError> {
    let first = &recipients[0];
    let notices: Vec<Notice> = recipients
        .iter()
        .filter(|r| r.entry.notify.failure())
        .map(|r| {
            let diagnostic = match &r.entry.last_error {
                Some(e) => format!("returned by the postmaster; last error: {e}"),
                None => "returned by the postmaster".into(),
            };
            Notice::about(&r.entry, Action::Failed, "5.0.0".into(), diagnostic)
        })
        .collect();
    let blob = ctx.store.blob(first.id)?.unwrap_or_default();
    let original = blob.get(first.entry.body_offset as usize..).unwrap_or(&blob);
    let hostname = ctx.config.hostname.as_str();
    let report_id = MessageIdGenerator::new(ADMIN_SHARD).next_id();
    let returned = dsn::Returned::of(&first.entry, original);
    let bounce = dsn::bounce(&ctx.store, hostname, report_id, returned, &notices);
    let keys = recipients.iter().map(|r| r.key.clone()).collect();
    ctx.journal.submit_blocking(JournalOp::QueueFinish {
        keys,
        id: first.id,
        bounce,
        suppress: Vec::new(),
        tally: None,
    })?;
    Ok(())
}

/// Which queued recipients a request is about.
pub(super) struct Filter {
    id: Option<MessageId>,
    domain: Option<String>,
}

impl Filter {
    pub(super) fn new(id: Option<String>, domain: Option<String>) -> Result<Filter, AdminError> {
        let id = id.map(|s| s.parse().map_err(|_| AdminError(format!("{s}: not a message id")))).transpose()?;
        Ok(Filter { id, domain: domain.map(|d| d.to_ascii_lowercase()) })
    }

    /// An error unless the filter names a message or a domain.
    fn narrow(&self) -> Result<(), AdminError> {
        match self.id.is_none() && self.domain.is_none() {
            true => Err(AdminError("name a message id or --domain".into())),
            false => Ok(()),
        }
    }

    fn matches(&self, r: &DueRecipient) -> bool {
        let domain = domain_of(&r.entry.recipient);
        self.id.is_none_or(|id| id == r.id) && self.domain.as_deref().is_none_or(|d| domain.eq_ignore_ascii_case(d))
    }
}

/// The matching recipients; `retry`, `delete` and `bounce` need at least a message id or a
/// domain, so that a typo cannot empty the whole queue.
fn collect(ctx: &AdminContext, filter: &Filter) -> Result<Vec<DueRecipient>, AdminError> {
    filter.narrow()?;
    matching(ctx, filter)
}

/// The recipients `filter` matches, the whole queue for an empty one.
pub(super) fn matching(ctx: &AdminContext, filter: &Filter) -> Result<Vec<DueRecipient>, AdminError> {
    let mut out = Vec::new();
    ctx.store.for_each_queued(|r| {
        if filter.matches(&r) {
            out.push(r);
        }
    })?;
    Ok(out)
}

fn by_message(recipients: &[DueRecipient]) -> BTreeMap<MessageId, Vec<Vec<u8>>> {
    let mut groups: BTreeMap<MessageId, Vec<Vec<u8>>> = BTreeMap::new();
    for r in recipients {
        groups.entry(r.id).or_default().push(r.key.clone());
    }
    groups
}

/// One destination domain of the queue.
#[derive(Debug, Default, Serialize)]
pub struct Destination {
    /// The recipient domain.
    pub domain: String,
    /// Recipients queued for it.
    pub recipients: u64,
    /// Of those, how many were tried and deferred.
    pub deferred: u64,
    /// Seconds since the oldest was queued.
    pub oldest_secs: u64,
    /// The last error of a deferred one.
    pub last_error: Option<String>,
}

/// Per destination domain: depth, deferrals, age of the oldest and the last error.
pub fn destinations(store: &Store) -> Result<Vec<Destination>, store::StoreError> {
    let mut domains: BTreeMap<String, (Destination, u64)> = BTreeMap::new();
    store.for_each_queued(|r| {
        let domain = domain_of(&r.entry.recipient).to_ascii_lowercase();
        let (d, oldest) = domains.entry(domain).or_default();
        d.recipients += 1;
        if r.entry.attempts > 0 {
            d.deferred += 1;
        }
        if *oldest == 0 || r.entry.created < *oldest {
            *oldest = r.entry.created;
        }
        if r.entry.last_error.is_some() {
            d.last_error = r.entry.last_error.clone();
        }
    })?;
    let now = unix_now();
    Ok(domains
        .into_iter()
        .map(|(domain, (d, oldest))| Destination { domain, oldest_secs: now.saturating_sub(oldest), ..d })
        .collect())
}

/// One line per destination domain.
fn summary(ctx: &AdminContext, out: &mut String) -> Result<(), AdminError> {
    let _ = writeln!(out, "domain\trecipients\tdeferred\toldest_secs\tlast_error");
    for d in destinations(&ctx.store)? {
        let error = d.last_error.as_deref().unwrap_or("-");
        let _ = writeln!(out, "{}\t{}\t{}\t{}\t{error}", d.domain, d.recipients, d.deferred, d.oldest_secs);
    }
    Ok(())
}
