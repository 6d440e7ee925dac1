//! MTA-STS (RFC 8461) for one shard's deliveries: the policy that applies to a destination
//! domain, from its `_mta-sts` TXT record and its policy file, kept in the store until its
//! `max_age` runs out (RFC 8461 5.1), so that an attacker who blocks the TXT lookup or the
//! fetch cannot strip a policy once seen.
//!
//! For each delivery: the TXT record (from the resolver's cache). The same id as the kept
//! policy, which is not yet half through its `max_age`: the kept one. Otherwise a fetch; a
//! fetch that fails keeps the old policy while it lasts, and is not tried again for
//! [`FETCH_BACKOFF`]. No record, or no answer: the kept policy while it lasts, else none.

use std::cell::RefCell;
use std::collections::HashMap;
use std::time::{Duration, Instant};

use futures_rustls::TlsConnector;
use mailauth::mta_sts::{Mode, Policy, policy_id};
use mailauth::tlsrpt::ResultType;
use store::journal::{JournalOp, MtaStsOp};
use store::records::MtaStsPolicy;
use store::unix_now;

use super::services::Services;
use crate::dns::Resolver;
use crate::tls::policy_fetch;

/// How long a failed fetch is not tried again for the same domain.
const FETCH_BACKOFF: Duration = Duration::from_secs(300);
/// Domains whose kept policy a shard holds in memory at most; past it the map starts again.
const MAX_KNOWN: usize = 10_000;

/// The policy a delivery follows.
#[derive(Debug, Clone)]
pub struct Applied {
    /// The domain's policy.
    pub policy: Policy,
    /// Whether it was kept from before (the TXT record or the fetch did not confirm it now).
    pub kept: bool,
}

/// What a delivery learns of a domain's policy.
#[derive(Debug, Clone, Default)]
pub struct Found {
    /// The policy it follows, if any.
    pub applied: Option<Applied>,
    /// A policy was announced but fetching it failed just now: why, as TLS reports name it.
    pub fetch_failed: Option<ResultType>,
}

/// One shard's view of its destinations' policies.
pub struct MtaSts {
    /// Policies read from the store or fetched, by domain (`None`: none kept).
    known: RefCell<HashMap<String, Option<MtaStsPolicy>>>,
    /// When a fetch for a domain last failed.
    failed: RefCell<HashMap<String, Instant>>,
}

impl MtaSts {
    /// Nothing known yet.
    pub fn new() -> MtaSts {
        MtaSts { known: RefCell::new(HashMap::new()), failed: RefCell::new(HashMap::new()) }
    }

    /// The policy mail to `domain` (lower-case) follows now, and whether fetching it failed.
    pub async fn policy(&self, ctx: &Services, resolver: &Resolver, verified: &TlsConnector, domain: &str) -> Found {
        let now = unix_now();
        let kept = self.kept(ctx, domain).filter(|p| p.valid_at(now));
        let announced = match resolver.txt(&format!("_mta-sts.{domain}")).await {
            Ok(records) => policy_id(&records),
            Err(e) => {
                tracing::debug!(domain, "MTA-STS record lookup failed: {e}");
                None
            }
        };
        let fresh = |p: &MtaStsPolicy| now < p.fetched.saturating_add(p.max_age / 2);
        let from_kept = |kept: Option<MtaStsPolicy>, fetch_failed| Found {
            applied: kept.and_then(|p| applied(&p, true)),
            fetch_failed,
        };
        let Some(id) = announced else { return from_kept(kept, None) };
        if let Some(policy) = kept.as_ref().filter(|p| p.id == id && fresh(p)) {
            return Found { applied: applied(policy, false), fetch_failed: None };
        }
        if self.failed.borrow().get(domain).is_some_and(|at| at.elapsed() < FETCH_BACKOFF) {
            return from_kept(kept, None);
        }
        let d = &ctx.config.delivery;
        let timeout = Duration::from_secs(d.mta_sts_timeout_secs.get());
        let fetched = policy_fetch::fetch(resolver, verified, domain, d.mta_sts_port, timeout).await;
        let parsed =
            fetched.and_then(|text| Policy::parse(&text).map_err(|e| (ResultType::StsPolicyInvalid, e.to_string())));
        match parsed {
            Ok(policy) => {
                self.failed.borrow_mut().remove(domain);
                let record = MtaStsPolicy {
                    id,
                    mode: policy.mode.to_string(),
                    mx: policy.mx.clone(),
                    max_age: policy.max_age,
                    fetched: now,
                };
                tracing::info!(domain, mode = %policy.mode, mx = ?policy.mx, max_age = policy.max_age, "MTA-STS policy fetched");
                self.keep(ctx, domain, record).await;
                let applied = (policy.mode != Mode::None).then_some(Applied { policy, kept: false });
                Found { applied, fetch_failed: None }
            }
            Err((kind, e)) => {
                tracing::warn!(domain, "MTA-STS policy fetch failed: {e}");
                self.failed.borrow_mut().insert(domain.to_string(), Instant::now());
                from_kept(kept, Some(kind))
            }
        }
    }

    /// The policy kept for `domain`, from memory or the store.
    fn kept(&self, ctx: &Services, domain: &str) -> Option<MtaStsPolicy> {
        if let Some(known) = self.known.borrow().get(domain) {
            return known.clone();
        }
        let stored = ctx.store.mta_sts_policy(domain).unwrap_or_else(|e| {
            tracing::error!(domain, "reading the kept MTA-STS policy failed: {e}");
            None
        });
        self.remember(domain, stored.clone());
        stored
    }

    /// Keeps a fetched policy (a withdrawn one, mode `none`, is forgotten), in the store and
    /// in memory.
    async fn keep(&self, ctx: &Services, domain: &str, record: MtaStsPolicy) {
        let (op, known) = match record.mode.as_str() {
            "none" => (MtaStsOp::Forget { domain: domain.to_string() }, None),
            _ => (MtaStsOp::Keep { domain: domain.to_string(), policy: record.clone() }, Some(record)),
        };
        if let Err(e) = ctx.journal.submit(JournalOp::MtaSts(op)).await {
            tracing::error!(domain, "keeping the MTA-STS policy failed: {e}");
        }
        self.remember(domain, known);
    }

    fn remember(&self, domain: &str, policy: Option<MtaStsPolicy>) {
        let mut known = self.known.borrow_mut();
        if known.len() >= MAX_KNOWN {
            known.clear();
        }
        known.insert(domain.to_string(), policy);
    }
}

impl Default for MtaSts {
    fn default() -> MtaSts {
        MtaSts::new()
    }
}

/// A kept record as the policy it is (none for mode `none` or a record that no longer reads).
fn applied(record: &MtaStsPolicy, kept: bool) -> Option<Applied> {
    let mode = match record.mode.as_str() {
        "enforce" => Mode::Enforce,
        "testing" => Mode::Testing,
        _ => return None,
    };
    Some(Applied { policy: Policy { mode, mx: record.mx.clone(), max_age: record.max_age }, kept })
}
