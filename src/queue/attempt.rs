//! One delivery attempt for a [`Group`]: find the MX hosts, try their addresses in order until
//! one holds a conversation, then commit what happened to each recipient.

use std::cell::RefCell;
use std::net::{IpAddr, SocketAddr};

use futures_rustls::TlsConnector;
use std::time::Duration;

use super::destinations::Feedback;
use super::dsn::{self, Failure};
use super::pool::{self, Pool, PoolKey};
use super::routes::Plan;
use super::{Group, Outbound};
use crate::dns::{MailExchangers, Resolver};
use crate::events::{Event, Outcome, classify};
use crate::runtime::ShardContext;
use crate::smtp::client::{self, Envelope, Peer, RecipientOutcome, Session, SessionError, Timeouts};
use crate::store::journal::JournalOp;
use crate::store::queue::DueRecipient;
use crate::store::unix_now;
use crate::tls::client::opportunistic;

/// What became of one recipient in this attempt.
enum Verdict {
    Delivered(String),
    /// A permanent failure; `hard` when the remote server said this address does not exist
    /// (it then goes on the suppression list).
    Failed {
        failure: Failure,
        hard: bool,
    },
    Deferred(String),
}

/// Where the attempt got to, for the event log.
#[derive(Default)]
struct Route {
    mx: Option<String>,
    ip: Option<IpAddr>,
    tls: Option<String>,
}

/// Tries the group once, commits the outcome, and says how the destination coped.
pub async fn deliver(ctx: &ShardContext, outbound: &Outbound, group: Group) -> Feedback {
    let store = ctx.store.clone();
    let id = group.id;
    let blob = match glommio::executor().spawn_blocking(move || store.blob(id)).await {
        Ok(Some(blob)) => blob,
        Ok(None) => {
            tracing::error!(%id, "queued message has no body; dropping its queue entries");
            let keys = group.recipients.iter().map(|r| r.key.clone()).collect();
            commit(ctx, JournalOp::QueueFinish { keys, id, bounce: None, suppress: Vec::new() }).await;
            return Feedback::Neutral;
        }
        Err(e) => {
            tracing::warn!(%id, "reading a queued message failed: {e}");
            return Feedback::Neutral;
        }
    };
    let offset = group.recipients[0].entry.body_offset as usize;
    let message = blob.get(offset..).unwrap_or(&blob[..]);
    let mut route = Route::default();
    let verdicts = conversations(ctx, outbound, &group, message, &mut route).await;
    let feedback = feedback(&verdicts);

    let mut done = Vec::new();
    let mut failures = Vec::new();
    let mut suppress = Vec::new();
    let now = unix_now();
    let max_age = ctx.config.delivery.max_age_secs.get();
    for (recipient, verdict) in group.recipients.iter().zip(verdicts) {
        let outcome = |reply: &str, status: Option<String>, classification| Outcome {
            id: id.to_string(),
            recipient: recipient.entry.recipient.clone(),
            domain: group.domain.clone(),
            mx: route.mx.clone(),
            ip: route.ip,
            tls: route.tls.clone(),
            attempt: recipient.entry.attempts + 1,
            reply: reply.to_string(),
            status,
            classification,
            queued_secs: now.saturating_sub(recipient.entry.created),
        };
        match verdict {
            Verdict::Delivered(reply) => {
                tracing::info!(%id, rcpt = %recipient.entry.recipient, "delivered");
                ctx.events.record(Event::Delivery(outcome(&reply, None, "delivered")));
                done.push(recipient.key.clone());
            }
            Verdict::Failed { failure, hard } => {
                tracing::info!(%id, rcpt = %recipient.entry.recipient, reason = %failure.diagnostic, "bounced");
                let class = classify(Some(&failure.status), true);
                ctx.events.record(Event::Bounce(outcome(&failure.diagnostic, Some(failure.status.clone()), class)));
                done.push(recipient.key.clone());
                if hard {
                    suppress.push((failure.recipient.clone(), failure.diagnostic.clone()));
                }
                failures.push(failure);
            }
            Verdict::Deferred(reason) if now.saturating_sub(recipient.entry.created) >= max_age => {
                tracing::info!(%id, rcpt = %recipient.entry.recipient, %reason, "expired");
                // RFC 3463 X.4.7: delivery time expired.
                let status = "4.4.7".to_string();
                ctx.events.record(Event::Expiry(outcome(&reason, Some(status.clone()), "temporary")));
                done.push(recipient.key.clone());
                failures.push(Failure {
                    recipient: recipient.entry.recipient.clone(),
                    status,
                    diagnostic: format!("delivery gave up after {} attempts: {reason}", recipient.entry.attempts + 1),
                    remote_mta: None,
                });
            }
            Verdict::Deferred(reason) => {
                let status = Some(dsn::status_of(&reason, false)).filter(|s| s != "4.0.0");
                let class = if route.mx.is_none() { "dns" } else { classify(status.as_deref(), false) };
                ctx.events.record(Event::Deferral(outcome(&reason, status, class)));
                defer(ctx, recipient, reason).await;
            }
        }
    }
    if !done.is_empty() {
        let sender = &group.recipients[0].entry.sender;
        let bounce = if failures.is_empty() {
            None
        } else {
            let first = &group.recipients[0].entry;
            let returned = dsn::Returned { sender, message, arrival: first.created };
            dsn::bounce(&ctx.store, ctx.config.hostname.as_str(), ctx.ids.next_id(), returned, &failures)
        };
        commit(ctx, JournalOp::QueueFinish { keys: done, id, bounce, suppress }).await;
    }
    feedback
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

/// An idle session to the peer that still answers, or a new one.
async fn session(
    ctx: &ShardContext,
    pool: &RefCell<Pool>,
    peer: &Peer<'_>,
    timeouts: Timeouts,
    connector: &TlsConnector,
) -> Result<Session, SessionError> {
    let key = PoolKey::of(peer);
    loop {
        let Some(mut idle) = pool.borrow_mut().take(&key) else { break };
        if idle.reset().await {
            return Ok(idle);
        }
        pool::close(idle);
    }
    client::connect(peer, timeouts, connector, ctx.shutdown.clone()).await
}

/// The hosts to try, in order, and their port: the route's relay host, or the MX hosts.
async fn hosts(
    ctx: &ShardContext,
    resolver: &Resolver,
    plan: &Plan,
    domain: &str,
) -> Result<(Vec<String>, u16), Verdicts> {
    if let Some(relay) = &plan.relay {
        return Ok((vec![relay.name.clone()], relay.port));
    }
    let port = ctx.config.delivery.port;
    match resolver.mail_exchangers(domain).await {
        Ok(MailExchangers::Hosts(hosts)) => Ok((hosts, port)),
        Ok(MailExchangers::Implicit) => Ok((vec![domain.to_string()], port)),
        Ok(MailExchangers::NullMx) => {
            Err(Verdicts::Failed("5.1.10", format!("556 5.1.10 {domain} accepts no mail (null MX)")))
        }
        Ok(MailExchangers::NoSuchDomain) => {
            Err(Verdicts::Failed("5.1.2", format!("Host or domain name not found: {domain}")))
        }
        Err(e) => Err(Verdicts::Deferred(format!("DNS lookup of {domain} failed: {e}"))),
    }
}

/// One verdict for every recipient of a group.
enum Verdicts {
    Failed(&'static str, String),
    Deferred(String),
}

/// A host's addresses: itself when it is an IP address, else from DNS.
async fn addresses(resolver: &Resolver, host: &str) -> Result<Vec<IpAddr>, String> {
    if let Ok(ip) = host.parse::<IpAddr>() {
        return Ok(vec![ip]);
    }
    resolver.addresses(host).await.map_err(|e| format!("{host}: {e}"))
}

async fn conversations(
    ctx: &ShardContext,
    outbound: &Outbound,
    group: &Group,
    message: &[u8],
    route: &mut Route,
) -> Vec<Verdict> {
    let every = |verdicts: Verdicts| {
        group
            .recipients
            .iter()
            .map(|r| match &verdicts {
                Verdicts::Failed(status, text) => Verdict::Failed {
                    failure: Failure {
                        recipient: r.entry.recipient.clone(),
                        status: status.to_string(),
                        diagnostic: text.clone(),
                        remote_mta: None,
                    },
                    hard: false,
                },
                Verdicts::Deferred(reason) => Verdict::Deferred(reason.clone()),
            })
            .collect::<Vec<_>>()
    };
    let sender = &group.recipients[0].entry.sender;
    let plan = outbound.routes.plan(&group.domain, sender);
    let (hosts, port) = match hosts(ctx, &outbound.resolver, &plan, &group.domain).await {
        Ok(found) => found,
        Err(verdicts) => return every(verdicts),
    };
    let recipients: Vec<String> = group.recipients.iter().map(|r| r.entry.recipient.clone()).collect();
    let envelope = Envelope { sender, recipients: &recipients, message };
    let d = &ctx.config.delivery;
    let timeouts = Timeouts {
        connect: Duration::from_secs(d.connect_timeout_secs.get()),
        command: Duration::from_secs(d.command_timeout_secs.get()),
        data: Duration::from_secs(d.data_timeout_secs.get()),
    };
    let connector = opportunistic();
    let login = plan.login.as_ref().map(|(user, password)| (user.as_str(), password.as_str()));
    let mut last_error = format!("no address found for the mail exchangers of {}", group.domain);
    for host in &hosts {
        let addresses = match addresses(&outbound.resolver, host).await {
            Ok(addresses) => addresses,
            Err(e) => {
                last_error = e;
                continue;
            }
        };
        for ip in addresses {
            let addr = SocketAddr::new(ip, port);
            (route.mx, route.ip) = (Some(host.clone()), Some(ip));
            let peer = Peer { addr, host, helo: &plan.helo, source: plan.source, tls: plan.tls, login };
            let mut session = match session(ctx, &outbound.pool, &peer, timeouts, &connector).await {
                Ok(session) => session,
                Err(e) => {
                    last_error = e.to_string();
                    continue;
                }
            };
            let sent = session.send(&envelope).await;
            if sent.is_ok() {
                outbound.pool.borrow_mut().put(PoolKey::of(&peer), session);
            } else {
                pool::close(session);
            }
            match sent {
                Ok(transaction) => {
                    route.tls = transaction.tls.as_ref().map(|t| format!("{} {}", t.version, t.cipher));
                    return group
                        .recipients
                        .iter()
                        .zip(transaction.outcomes)
                        .map(|(r, outcome)| match outcome {
                            RecipientOutcome::Delivered(reply) => Verdict::Delivered(reply.to_string()),
                            RecipientOutcome::Failed(reply) => {
                                let status = dsn::status_of(&reply.to_string(), true);
                                Verdict::Failed {
                                    hard: is_dead_address(&status),
                                    failure: Failure {
                                        recipient: r.entry.recipient.clone(),
                                        status,
                                        diagnostic: reply.to_string(),
                                        remote_mta: Some(host.clone()),
                                    },
                                }
                            }
                            RecipientOutcome::Deferred(reason) => Verdict::Deferred(format!("{host}: {reason}")),
                        })
                        .collect();
                }
                Err(SessionError::Permanent(reply)) => {
                    return group
                        .recipients
                        .iter()
                        .map(|r| Verdict::Failed {
                            // The sender was refused: no judgement on the recipients.
                            hard: false,
                            failure: Failure {
                                recipient: r.entry.recipient.clone(),
                                status: dsn::status_of(&reply.to_string(), true),
                                diagnostic: reply.to_string(),
                                remote_mta: Some(host.clone()),
                            },
                        })
                        .collect();
                }
                Err(SessionError::Temporary(e)) => last_error = e,
            }
        }
    }
    every(Verdicts::Deferred(last_error))
}

/// A 5.1.x status about the recipient's address (RFC 3463), not 5.1.7/5.1.8 (the sender's).
fn is_dead_address(status: &str) -> bool {
    status.starts_with("5.1.") && !matches!(status, "5.1.7" | "5.1.8")
}

/// Moves a recipient to its next attempt.
async fn defer(ctx: &ShardContext, recipient: &DueRecipient, reason: String) {
    let schedule = &ctx.config.delivery.retry_schedule_secs;
    let attempts = recipient.entry.attempts as usize;
    let wait = schedule.get(attempts).or(schedule.last()).copied().unwrap_or(60);
    tracing::info!(id = %recipient.id, rcpt = %recipient.entry.recipient, %reason, wait, "deferred");
    let mut entry = recipient.entry.clone();
    entry.attempts += 1;
    entry.last_error = Some(reason);
    commit(ctx, JournalOp::QueueDefer { key: recipient.key.clone(), due: unix_now() + wait, entry }).await;
}

async fn commit(ctx: &ShardContext, op: JournalOp) {
    if let Err(e) = ctx.journal.submit(op).await {
        tracing::error!("recording a delivery outcome failed (it will be retried): {e}");
    }
}
