//! One delivery attempt for a [`Group`]: find the MX hosts, try their addresses in order until
//! one holds a conversation, then commit what happened to each recipient.

use std::net::{IpAddr, SocketAddr};

use std::time::Duration;

use super::Services;
use super::destinations::Feedback;
use super::dsn::{self, Action, Notice, Returned};
use super::mta_sts::Found;
use super::pool::{self, Idle, PoolKey};
use super::routes::{Plan, Warming};
use super::shaping::{self, Held};
use super::tls_policy::{self, HostTls, Reporting};
use super::warmup;
use super::{Group, Outbound};
use crate::config::outbound::{RelayHost, TlsPolicy};
use crate::dns::{MailExchangers, Resolver};
use crate::events::{Event, Outcome, classify};
use crate::metrics;
use crate::smtp::client::{self, Envelope, Peer, Recipient, RecipientOutcome, SessionError, Timeouts, Transaction};
use ::shaping as shaping_rules;
use mailauth::mta_sts::Mode;
use mailauth::tlsrpt::ResultType;
use smtp_proto::RcptParams;
use store::journal::{JournalOp, SenderTally};
use store::keys::SenderCount;
use store::queue::DueRecipient;
use store::records::Suspension;
use store::tls_reports::TlsReportRow;
use store::unix_now;

/// What became of one recipient in this attempt.
enum Verdict {
    Delivered(String),
    /// A permanent failure; `hard` when the remote server said this address does not exist
    /// (it then goes on the suppression list).
    Failed {
        failure: Notice,
        hard: bool,
    },
    Deferred(String),
    /// Not tried: it waits, without counting as an attempt, until Unix second `.1` (the pool's
    /// warm-up allowance for the site is used up today).
    Held(String, u64),
}

impl Verdict {
    /// What the remote server (or the attempt) said.
    fn reply(&self) -> &str {
        match self {
            Verdict::Delivered(reply) | Verdict::Deferred(reply) | Verdict::Held(reply, _) => reply,
            Verdict::Failed { failure, .. } => &failure.diagnostic,
        }
    }
}

/// Where the attempt got to, for the event log and the reports.
#[derive(Default)]
struct Route {
    mx: Option<String>,
    ip: Option<IpAddr>,
    tls: Option<String>,
    /// The names in the certificate of the server that took the transaction.
    tls_cert: Option<String>,
    /// The TLS policy followed, as events name it.
    tls_policy: &'static str,
    /// The server offered DSN: it reports delivery itself.
    dsn: bool,
    /// The destination site, once the mail exchangers are known.
    site: Option<String>,
    /// The operator suspended the destination: nothing was tried.
    suspended: bool,
    /// Where the TLS outcomes of this attempt's sessions are counted for the destination's TLS
    /// report, when it has a policy.
    reported: Option<Reporting>,
    /// Those outcomes.
    tls_report: Vec<TlsReportRow>,
    /// A `testing` policy: sessions are verified, and made again unverified when that fails.
    testing: bool,
}

impl Route {
    /// Counts one session's TLS outcome (`None`: it succeeded) with `host` at `ip`: in the
    /// report of the host's DANE policy when it has one, else of the domain's.
    fn count_tls(&mut self, dane: Option<&Reporting>, result: Option<ResultType>, host: &str, ip: Option<IpAddr>) {
        let Some(reporting) = dane.or(self.reported.as_ref()) else { return };
        let row = reporting.row(result, host, ip);
        self.tls_report.push(row);
    }
}

/// Tries the group once, commits the outcome, and says how the destination coped.
pub async fn deliver(ctx: &Services, outbound: &Outbound, group: Group) -> Feedback {
    let _in_flight = metrics::attempt_started();
    let store = ctx.store.clone();
    let id = group.id;
    // Fresh mail is still in RocksDB's memory: read it here, without a trip to the blocking
    // thread and back.
    let read = match store.blob_in_memory(id) {
        Some(blob) => Ok(Some(blob)),
        None => glommio::executor().spawn_blocking(move || store.blob(id)).await,
    };
    let blob = match read {
        Ok(Some(blob)) => blob,
        Ok(None) => {
            tracing::error!(%id, "queued message has no body; dropping its queue entries");
            let keys = group.recipients.iter().map(|r| r.key.clone()).collect();
            commit(
                ctx,
                JournalOp::QueueFinish { keys, id, bounce: None, suppress: Vec::new(), tally: None },
                Vec::new(),
            )
            .await;
            return Feedback::Neutral;
        }
        Err(e) => {
            tracing::warn!(%id, "reading a queued message failed: {e}");
            return Feedback::Neutral;
        }
    };
    let first = &group.recipients[0].entry;
    let message = blob.get(first.body_offset as usize..).unwrap_or(&blob[..]);
    let mut route = Route { tls_policy: "none", ..Route::default() };
    let verdicts = verdicts(ctx, outbound, &group, message, &mut route).await;
    if !route.tls_report.is_empty() {
        tls_policy::count(ctx, std::mem::take(&mut route.tls_report));
    }
    // A suspended destination was not talked to: it says nothing about how it copes.
    let feedback = if route.suspended { Feedback::Neutral } else { feedback(&verdicts) };

    let mut done = Vec::new();
    let mut notices = Vec::new();
    let mut delays = Vec::new();
    let mut deferrals = Vec::new();
    let mut held = Vec::new();
    let mut suppress = Vec::new();
    // The events of `done`, committed with it.
    let mut finished = Vec::new();
    let now = unix_now();
    let d = &ctx.config.delivery;
    for (recipient, verdict) in group.recipients.iter().zip(verdicts) {
        let entry = &recipient.entry;
        let age = now.saturating_sub(entry.created);
        let outcome = |reply: &str, status: Option<String>, classification| Outcome {
            id: id.to_string(),
            recipient: entry.recipient.clone(),
            domain: group.domain.clone(),
            mx: route.mx.clone(),
            ip: route.ip,
            tls: route.tls.clone(),
            tls_cert: route.tls_cert.clone(),
            tls_policy: route.tls_policy,
            attempt: entry.attempts + 1,
            reply: reply.to_string(),
            status,
            classification,
            queued_secs: age,
        };
        let counted =
            |outcome, classification| metrics::delivery_outcome(outcome, route.site.as_deref(), classification);
        match verdict {
            Verdict::Delivered(reply) => {
                tracing::info!(%id, rcpt = %entry.recipient, "delivered");
                counted(metrics::Outcome::Delivered, "delivered");
                finished.push(Event::Delivery(outcome(&reply, None, "delivered")));
                done.push(recipient.key.clone());
                if entry.notify.success() && !route.dsn {
                    let mut notice = Notice::about(entry, Action::Relayed, "2.0.0".into(), reply);
                    notice.remote_mta = route.mx.clone();
                    notices.push(notice);
                }
            }
            Verdict::Failed { failure, hard } => {
                tracing::info!(%id, rcpt = %entry.recipient, reason = %failure.diagnostic, "bounced");
                let class = classify(Some(&failure.status), true);
                counted(metrics::Outcome::Bounced, class);
                finished.push(Event::Bounce(outcome(&failure.diagnostic, Some(failure.status.clone()), class)));
                done.push(recipient.key.clone());
                if hard {
                    let (address, reason) = (failure.recipient.clone(), failure.diagnostic.clone());
                    finished.push(Event::Suppression {
                        address: address.clone(),
                        reason: reason.clone(),
                        id: Some(id.to_string()),
                    });
                    suppress.push((address, reason));
                }
                if entry.notify.failure() {
                    notices.push(failure);
                }
            }
            Verdict::Held(reason, until) => {
                counted(metrics::Outcome::Deferred, "warmup");
                let event = Event::Deferral(outcome(&reason, None, "warmup"));
                held.push((recipient, reason, until, event));
            }
            Verdict::Deferred(reason) if age >= d.max_age_secs.get() => {
                tracing::info!(%id, rcpt = %entry.recipient, %reason, "expired");
                // RFC 3463 X.4.7: delivery time expired.
                let status = "4.4.7".to_string();
                counted(metrics::Outcome::Expired, "temporary");
                finished.push(Event::Expiry(outcome(&reason, Some(status.clone()), "temporary")));
                done.push(recipient.key.clone());
                if entry.notify.failure() {
                    let diagnostic = format!("delivery gave up after {} attempts: {reason}", entry.attempts + 1);
                    notices.push(Notice::about(entry, Action::Failed, status, diagnostic));
                }
            }
            Verdict::Deferred(reason) => {
                let status = Some(dsn::status_of(&reason, false)).filter(|s| s != "4.0.0");
                let class = match (route.suspended, route.mx.is_none()) {
                    (true, _) => "suspended",
                    (false, true) => "dns",
                    (false, false) => classify(status.as_deref(), false),
                };
                counted(metrics::Outcome::Deferred, class);
                let deferral = Event::Deferral(outcome(&reason, status.clone(), class));
                let warn = d.delay_warning_secs > 0 && age >= d.delay_warning_secs;
                let report_delay = warn && !entry.delay_reported && entry.notify.delay();
                if report_delay {
                    let status = status.unwrap_or_else(|| "4.0.0".into());
                    delays.push(Notice::about(entry, Action::Delayed, status, reason.clone()));
                }
                deferrals.push((recipient, reason, report_delay, deferral));
            }
        }
    }
    let hostname = ctx.config.hostname.as_str();
    // The delay report is stored before the deferrals that mark it sent: a crash in between
    // can repeat it, never lose it.
    if let Some(report) = dsn::bounce(&ctx.store, hostname, ctx.ids.next_id(), Returned::of(first, message), &delays) {
        commit(ctx, JournalOp::Deliver(report), Vec::new()).await;
    }
    for (recipient, reason, reported, event) in deferrals {
        defer(ctx, recipient, reason, reported, event).await;
    }
    for (recipient, reason, until, event) in held {
        hold(ctx, recipient, reason, until, event).await;
    }
    if !done.is_empty() {
        let bounce = dsn::bounce(&ctx.store, hostname, ctx.ids.next_id(), Returned::of(first, message), &notices);
        let delivered = finished.iter().filter(|e| matches!(e, Event::Delivery(_))).count();
        let tally = ctx.unsubscribe.counted_domain(&first.sender).filter(|_| delivered > 0).map(|domain| SenderTally {
            domain,
            count: SenderCount::Delivered,
            n: u32::try_from(delivered).unwrap_or(u32::MAX),
        });
        commit(ctx, JournalOp::QueueFinish { keys: done, id, bounce, suppress, tally }, finished).await;
    }
    feedback
}

/// One verdict per recipient: suppressed ones fail at once, the others go through SMTP.
async fn verdicts(
    ctx: &Services,
    outbound: &Outbound,
    group: &Group,
    message: &[u8],
    route: &mut Route,
) -> Vec<Verdict> {
    if group.recipients.iter().all(|r| r.entry.suppressed.is_none()) {
        return conversations(ctx, outbound, group, message, route).await;
    }
    let live = Group {
        id: group.id,
        domain: group.domain.clone(),
        recipients: group.recipients.iter().filter(|r| r.entry.suppressed.is_none()).cloned().collect(),
    };
    let mut sent =
        if live.recipients.is_empty() { Vec::new() } else { conversations(ctx, outbound, &live, message, route).await }
            .into_iter();
    group
        .recipients
        .iter()
        .map(|r| match &r.entry.suppressed {
            Some(reason) => Verdict::Failed {
                failure: Notice::about(
                    &r.entry,
                    Action::Failed,
                    dsn::status_of(reason, true),
                    format!("suppressed: it bounced before ({reason})"),
                ),
                hard: false,
            },
            None => sent.next().expect("one verdict per live recipient"),
        })
        .collect()
}

/// Whether the destination took mail, or said it is overloaded (`421`, "too many ...").
fn feedback(verdicts: &[Verdict]) -> Feedback {
    let overloaded = |reason: &str| {
        let reason = reason.to_ascii_lowercase();
        reason.contains(" 421 ") || reason.contains(": 421") || reason.contains("too many")
    };
    if verdicts.iter().any(|v| matches!(v, Verdict::Deferred(r) if overloaded(r))) {
        Feedback::Overloaded
    } else if verdicts.iter().any(|v| matches!(v, Verdict::Delivered(_))) {
        Feedback::Accepted
    } else {
        Feedback::Neutral
    }
}

/// Sends `envelope` to the peer on an idle session, or on a new one when there is none or the
/// idle ones turn out to be gone; the session comes back with the outcome. In a cluster a new
/// session first waits for a connection lease at `site`.
async fn send(
    ctx: &Services,
    outbound: &Outbound,
    (peer, site): (&Peer<'_>, &str),
    timeouts: Timeouts,
    envelope: &Envelope<'_>,
) -> Result<(Idle, Result<Transaction, SessionError>), SessionError> {
    let key = PoolKey::of(peer);
    loop {
        let idle = outbound.pool.borrow_mut().take(&key);
        let mut idle = match idle {
            Some(mut idle) => {
                idle.session.reuse();
                idle
            }
            None => {
                let lease = match ctx.sites.cluster_limit(site) {
                    Some((cluster, limit)) => Some(
                        cluster
                            .lease(site, limit, &ctx.shutdown)
                            .await
                            .ok_or_else(|| SessionError::Temporary("the server is stopping".into()))?,
                    ),
                    None => None,
                };
                let session = client::connect(peer, timeouts, &outbound.tls, ctx.shutdown.clone()).await?;
                Idle { session, lease }
            }
        };
        // Only a reused session can be stale, so this ends with a new one at the latest.
        match idle.session.send(envelope).await {
            Err(SessionError::Stale(reason)) => tracing::debug!(addr = %peer.addr, "idle session gone: {reason}"),
            sent => return Ok((idle, sent)),
        }
    }
}

/// Where an attempt goes: the hosts to try in order, their port, and whether DNSSEC validated
/// the MX records (so that DANE may apply to the hosts).
struct Hosts {
    names: Vec<String>,
    port: u16,
    secure: bool,
}

/// The route's relay host, or the MX hosts.
async fn hosts(ctx: &Services, resolver: &Resolver, plan: &Plan, domain: &str) -> Result<Hosts, Verdicts> {
    if let Some(relay) = &plan.relay {
        return Ok(Hosts { names: vec![relay.name.clone()], port: relay.port, secure: false });
    }
    let port = ctx.config.delivery.port;
    match resolver.mail_exchangers_secured(domain).await {
        Ok((MailExchangers::Hosts(names), secure)) => Ok(Hosts { names, port, secure }),
        Ok((MailExchangers::Implicit, secure)) => Ok(Hosts { names: vec![domain.to_string()], port, secure }),
        Ok((MailExchangers::NullMx, _)) => {
            Err(Verdicts::Failed("5.1.10", format!("556 5.1.10 {domain} accepts no mail (null MX)")))
        }
        Ok((MailExchangers::NoSuchDomain, _)) => {
            Err(Verdicts::Failed("5.1.2", format!("Host or domain name not found: {domain}")))
        }
        Err(e) => Err(Verdicts::Deferred(format!("DNS lookup of {domain} failed: {e}"))),
    }
}

/// One verdict for every recipient of a group.
enum Verdicts {
    Failed(&'static str, String),
    Deferred(String),
    Held(String, u64),
}

/// A host's addresses, and whether DNSSEC validated them: itself when it is an IP address,
/// else from DNS.
async fn addresses(resolver: &Resolver, host: &str) -> Result<(Vec<IpAddr>, bool), String> {
    if let Ok(ip) = host.parse::<IpAddr>() {
        return Ok((vec![ip], false));
    }
    resolver.addresses_secured(host).await.map_err(|e| format!("{host}: {e}"))
}

/// The same verdict for every recipient of the group.
fn every(group: &Group, verdicts: Verdicts) -> Vec<Verdict> {
    group
        .recipients
        .iter()
        .map(|r| match &verdicts {
            Verdicts::Failed(status, text) => Verdict::Failed {
                failure: Notice::about(&r.entry, Action::Failed, status.to_string(), text.clone()),
                hard: false,
            },
            Verdicts::Deferred(reason) => Verdict::Deferred(reason.clone()),
            Verdicts::Held(reason, until) => Verdict::Held(reason.clone(), *until),
        })
        .collect()
}

/// Finds the hosts to talk to, waits for a slot at their site, and talks to them.
async fn conversations(
    ctx: &Services,
    outbound: &Outbound,
    group: &Group,
    message: &[u8],
    route: &mut Route,
) -> Vec<Verdict> {
    if let Some(suspension) = ctx.suspensions.of(&group.domain) {
        route.suspended = true;
        return every(group, suspended(&group.domain, &suspension));
    }
    let sender = &group.recipients[0].entry.sender;
    let mut plan = outbound.routes.plan(&group.domain, sender);
    let transfer = ctx.transfers.to(&group.domain);
    if let Some(node) = &transfer {
        (plan.relay, plan.login, plan.tls) = (Some(node.clone()), None, TlsPolicy::Opportunistic);
    }
    let found = match plan.relay {
        None => tls_policy::policy(ctx, outbound, &group.domain).await,
        Some(_) => Found::default(),
    };
    let sts = found.applied;
    let Hosts { names: hosts, port, secure } = match hosts(ctx, &outbound.resolver, &plan, &group.domain).await {
        Ok(found) => found,
        Err(verdicts) => return every(group, verdicts),
    };
    // DANE (RFC 7672 2.2.1) for hosts that validated MX records name; never for relay hosts.
    let dane = secure && plan.relay.is_none();
    let reporting = Reporting::new(ctx, &group.domain, plan.source);
    if let (Some(kind), Some(reporting)) = (found.fetch_failed, &reporting) {
        route.tls_report.push(reporting.row(Some(kind), "", None));
    }
    // Without a policy, the sessions themselves are not reported.
    route.reported = reporting.filter(|_| sts.is_some());
    match sts.as_ref().map(|sts| sts.policy.mode) {
        Some(Mode::Enforce) => (route.tls_policy, plan.tls) = ("mta-sts", TlsPolicy::Verify),
        Some(_) => {
            route.tls_policy = "mta-sts-testing";
            // Verified too, so that the report says what would fail; on failure the session
            // is made again as before (`converse`).
            if plan.tls != TlsPolicy::None {
                (plan.tls, route.testing) = (TlsPolicy::Verify, true);
            }
        }
        None => route.tls_policy = "none",
    }
    let hosts = match &sts {
        Some(sts) => match tls_policy::allowed_hosts(&group.domain, sts, hosts) {
            Ok(hosts) => hosts,
            Err((reason, refused)) => {
                route.count_tls(None, Some(ResultType::ValidationFailure), &refused, None);
                return every(group, Verdicts::Deferred(reason));
            }
        },
        None => hosts,
    };
    let enforced = sts.as_ref().filter(|sts| sts.policy.mode == Mode::Enforce);
    let site = ctx.sites.name_of(&hosts, port);
    metrics::site_resolved(&group.domain, &site);
    route.site = Some(site.clone());
    if let Some(suspension) = ctx.suspensions.of(&site) {
        route.suspended = true;
        return every(group, suspended(&site, &suspension));
    }
    if let Some(held) = ctx.shaping.held(&site, plan.source) {
        route.suspended = true;
        return every(
            group,
            match held {
                Held::Bounce(reason) => Verdicts::Failed("5.0.0", reason),
                Held::Defer(reason) => Verdicts::Deferred(reason),
            },
        );
    }
    if let Some(warming) = plan.warmup.clone() {
        match warm_source(ctx, &warming, plan.source, &site).await {
            Ok(source) => plan.source = Some(source),
            Err(held) => {
                route.suspended = true;
                return every(group, held);
            }
        }
    }
    let Some(slot) = ctx.sites.enter(&hosts, port, &ctx.shutdown).await else {
        return every(group, Verdicts::Deferred("the server is stopping".into()));
    };
    let mut verdicts = converse(ctx, outbound, group, message, route, (&plan, &hosts, port, dane)).await;
    slot.finish(feedback(&verdicts));
    let replies: Vec<&str> = verdicts.iter().map(Verdict::reply).collect();
    let mx = route.mx.as_deref().or(hosts.first().map(String::as_str)).unwrap_or_default();
    let fired = ctx.shaping.observe(&site, mx, plan.source, &replies);
    let throttles = fired.iter().any(|f| f.action != shaping_rules::Action::Count);
    if let Some(op) = plan.source.filter(|_| throttles).and_then(|source| ctx.warmup.throttled(source)) {
        commit(ctx, JournalOp::Warmup(vec![op]), Vec::new()).await;
    }
    if !fired.is_empty() {
        shaping::apply(ctx, fired).await;
    }
    if let Some(sts) = enforced {
        let kept = if sts.kept { ", kept from an earlier fetch" } else { "" };
        for verdict in &mut verdicts {
            if let Verdict::Deferred(reason) = verdict {
                reason.push_str(&format!(" (MTA-STS policy of {} enforced{kept})", group.domain));
            }
        }
    }
    match transfer {
        Some(node) => verdicts.into_iter().map(|v| held_in_transfer(v, &node)).collect(),
        None => verdicts,
    }
}

/// A recipient the node taking a transfer refused stays queued here: the refusal is that
/// node's, not the destination's.
fn held_in_transfer(verdict: Verdict, node: &RelayHost) -> Verdict {
    match verdict {
        Verdict::Failed { failure, .. } => {
            Verdict::Deferred(format!("{}:{} refused the transfer: {}", node.name, node.port, failure.diagnostic))
        }
        other => other,
    }
}

/// The verdict on mail for a destination the operator suspended: it waits in the queue.
fn suspended(destination: &str, suspension: &Suspension) -> Verdicts {
    Verdicts::Deferred(format!("delivery to {destination} is suspended: {}", suspension.reason))
}

/// The SMTP conversations of one attempt: each host of `to` in turn, each of its addresses,
/// until one takes the transaction. With `dane`, each host whose addresses validated is
/// checked for TLSA records first.
async fn converse(
    ctx: &Services,
    outbound: &Outbound,
    group: &Group,
    message: &[u8],
    route: &mut Route,
    to: (&Plan, &[String], u16, bool),
) -> Vec<Verdict> {
    let (plan, hosts, port, dane) = to;
    let domain_policy = route.tls_policy;
    let sender = &group.recipients[0].entry.sender;
    let recipients: Vec<Recipient> = group
        .recipients
        .iter()
        .map(|r| Recipient {
            address: r.entry.recipient.clone(),
            dsn: RcptParams { notify: r.entry.notify, orcpt: r.entry.orcpt.clone() },
        })
        .collect();
    let options = &group.recipients[0].entry.options;
    let envelope = Envelope {
        sender,
        recipients: &recipients,
        message,
        ret: options.ret,
        envid: options.envid.as_deref(),
        smtputf8: options.smtputf8,
    };
    let d = &ctx.config.delivery;
    let timeouts = Timeouts {
        connect: Duration::from_secs(d.connect_timeout_secs.get()),
        command: Duration::from_secs(d.command_timeout_secs.get()),
        data: Duration::from_secs(d.data_timeout_secs.get()),
    };
    let login = plan.login.as_ref().map(|(user, password)| (user.as_str(), password.as_str()));
    let mut last_error = format!("no address found for the mail exchangers of {}", group.domain);
    for host in hosts {
        let (addresses, secure) = match addresses(&outbound.resolver, host).await {
            Ok(found) => found,
            Err(e) => {
                last_error = e;
                continue;
            }
        };
        let host_tls = match dane && secure {
            true => match tls_policy::host_tls(&outbound.resolver, &group.domain, host, port).await {
                Ok(host_tls) => host_tls,
                Err(e) => {
                    tracing::info!(host, "{e}: not using the host");
                    let reporting = Reporting::new(ctx, host, plan.source);
                    route.count_tls(reporting.as_ref(), Some(ResultType::DnssecInvalid), host, None);
                    last_error = e;
                    continue;
                }
            },
            false => HostTls::Domain,
        };
        let dane_reporting = match host_tls {
            HostTls::Domain => None,
            _ => Reporting::new(ctx, host, plan.source),
        };
        let (tls, dane_host) = (host_tls.tls(plan.tls), host_tls.dane());
        route.tls_policy = host_tls.name(domain_policy);
        for ip in addresses {
            let addr = SocketAddr::new(ip, port);
            (route.mx, route.ip) = (Some(host.clone()), Some(ip));
            let mut peer = Peer { addr, host, helo: &plan.helo, source: plan.source, tls, dane: dane_host, login };
            let site = route.site.clone().unwrap_or_default();
            let mut sent = send(ctx, outbound, (&peer, &site), timeouts, &envelope).await;
            let mut counted = false;
            if let Err(SessionError::Tls(kind, text)) = &sent {
                route.count_tls(dane_reporting.as_ref(), Some(*kind), host, Some(ip));
                counted = true;
                if route.testing && host_tls == HostTls::Domain {
                    tracing::info!(%addr, "MTA-STS testing: {text}; delivering as without the policy");
                    peer.tls = TlsPolicy::Opportunistic;
                    sent = send(ctx, outbound, (&peer, &site), timeouts, &envelope).await;
                }
            }
            let (session, sent) = match sent {
                Ok(sent) => sent,
                Err(e) => {
                    last_error = e.to_string();
                    continue;
                }
            };
            if sent.is_ok() {
                outbound.pool.borrow_mut().put(PoolKey::of(&peer), session);
            } else {
                pool::close(session);
            }
            match sent {
                Ok(transaction) => {
                    metrics::outbound_transaction(transaction.tls.is_some());
                    route.tls = transaction.tls.as_ref().map(|t| format!("{} {}", t.version, t.cipher));
                    route.tls_cert = transaction.tls.as_ref().map(|t| t.peer_names.clone()).filter(|n| !n.is_empty());
                    if !counted {
                        let missing = transaction.tls.is_none().then_some(ResultType::StarttlsNotSupported);
                        route.count_tls(dane_reporting.as_ref(), missing, host, Some(ip));
                    }
                    route.dsn = transaction.dsn;
                    return group
                        .recipients
                        .iter()
                        .zip(transaction.outcomes)
                        .map(|(r, outcome)| match outcome {
                            RecipientOutcome::Delivered(reply) => Verdict::Delivered(reply.to_string()),
                            RecipientOutcome::Failed(reply) => {
                                let status = dsn::status_of(&reply.to_string(), true);
                                let mut failure = Notice::about(&r.entry, Action::Failed, status, reply.to_string());
                                failure.remote_mta = Some(host.clone());
                                Verdict::Failed { hard: is_dead_address(&failure.status), failure }
                            }
                            RecipientOutcome::Deferred(reason) => Verdict::Deferred(format!("{host}: {reason}")),
                        })
                        .collect();
                }
                Err(SessionError::Permanent(reply)) => {
                    return group
                        .recipients
                        .iter()
                        .map(|r| {
                            let status = dsn::status_of(&reply.to_string(), true);
                            let mut failure = Notice::about(&r.entry, Action::Failed, status, reply.to_string());
                            failure.remote_mta = Some(host.clone());
                            // The sender (or the message) was refused: no judgement on the recipients.
                            Verdict::Failed { hard: false, failure }
                        })
                        .collect();
                }
                Err(e @ (SessionError::Temporary(_) | SessionError::Stale(_) | SessionError::Tls(..))) => {
                    last_error = e.to_string()
                }
            }
        }
    }
    every(group, Verdicts::Deferred(last_error))
}

/// A 5.1.x status about the recipient's address (RFC 3463), not 5.1.7/5.1.8 (the sender's).
fn is_dead_address(status: &str) -> bool {
    status.starts_with("5.1.") && !matches!(status, "5.1.7" | "5.1.8")
}

/// Moves a recipient to its next attempt, with the deferral `event`; `delay_reported` once its
/// sender was told of the delay.
async fn defer(ctx: &Services, recipient: &DueRecipient, reason: String, delay_reported: bool, event: Event) {
    let schedule = &ctx.config.delivery.retry_schedule_secs;
    let attempts = recipient.entry.attempts as usize;
    let wait = schedule.get(attempts).or(schedule.last()).copied().unwrap_or(60);
    tracing::info!(id = %recipient.id, rcpt = %recipient.entry.recipient, %reason, wait, "deferred");
    let mut entry = recipient.entry.clone();
    entry.attempts += 1;
    entry.last_error = Some(reason);
    entry.delay_reported |= delay_reported;
    let op = JournalOp::QueueDefer { key: recipient.key.clone(), due: unix_now() + wait, entry };
    commit(ctx, op, vec![event]).await;
}

/// The address of `warming` an attempt at `site` goes out from (`preferred` first), its
/// warm-up changes stored in one write; else the group is held until the next UTC day.
async fn warm_source(
    ctx: &Services,
    warming: &Warming,
    preferred: Option<IpAddr>,
    site: &str,
) -> Result<IpAddr, Verdicts> {
    let (source, ops) = ctx.warmup.take(warming, preferred, site);
    if !ops.is_empty() {
        commit(ctx, JournalOp::Warmup(ops), Vec::new()).await;
    }
    source.ok_or_else(|| {
        let tomorrow = (unix_now() / warmup::DAY_SECS + 1) * warmup::DAY_SECS;
        let reason =
            format!("warm-up `{}`: every address of the pool has sent its allowance to {site} today", warming.schedule);
        Verdicts::Held(reason, tomorrow)
    })
}

/// Moves a recipient that was not tried to `until`, with the deferral `event`; it does not count
/// as an attempt.
async fn hold(ctx: &Services, recipient: &DueRecipient, reason: String, until: u64, event: Event) {
    tracing::info!(id = %recipient.id, rcpt = %recipient.entry.recipient, %reason, until, "held");
    let mut entry = recipient.entry.clone();
    entry.last_error = Some(reason);
    let op = JournalOp::QueueDefer { key: recipient.key.clone(), due: until, entry };
    commit(ctx, op, vec![event]).await;
}

/// Commits `op` with the `events` it settles (none are recorded when it fails).
async fn commit(ctx: &Services, op: JournalOp, events: Vec<Event>) {
    if let Err(e) = ctx.events.commit(&ctx.journal, op, events).await {
        tracing::error!("recording a delivery outcome failed (it will be retried): {e}");
    }
}
