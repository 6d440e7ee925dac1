//! Administration: domains, users, aliases, reading mail, the queue, DKIM keys, the allow
//! and block lists, and HTTP API tokens.
//!
//! The CLI builds a [`Request`]. When the server runs, it sends it over the admin socket
//! (RocksDB allows one process to open the store); otherwise it opens the store itself. Either
//! way [`execute`] does the work, so both paths behave the same.

pub mod dkim;
pub mod queue;
mod senders;
pub mod socket;
pub mod spam;
pub mod tokens;
mod transfer;

use std::fmt::Write as _;
use std::sync::Arc;
use std::time::{Duration, UNIX_EPOCH};

use crate::auth::password;
use crate::config::Config;
use crate::events::{Event, EventLog};
use crate::filter::access::Entry;
use crate::queue::shaping::Shaping;
use crate::queue::suspensions::Suspensions;
use crate::queue::transfers::Transfers;
use crate::queue::warmup::Warmup;
use crate::routing::{self, POSTMASTER, ROLE_ADDRESSES, Router};
use message::date::rfc5322;
use message::headers;
use smtp_proto::Mailbox;
use store::directory::domain_of;
use store::journal::{AccessOp, Committed, DEFAULT_MAILBOXES, DirectoryOp, JournalOp, SendAs, SuppressionOp};
use store::{JournalHandle, MessageId, Store, StoreError};

use admin_proto::{Grant, PoolRequest, ShapingRequest};

use crate::cluster::Cluster;
pub use admin_proto::Request;

/// What [`execute`] works with.
#[derive(Clone)]
pub struct AdminContext {
    /// The configuration (host name, data directory).
    pub config: Arc<Config>,
    /// The store.
    pub store: Store,
    /// The journal, through which every change is written.
    pub journal: JournalHandle,
    /// The suspended destinations (the running server's, which its schedulers read).
    pub suspensions: Arc<Suspensions>,
    /// The traffic-shaping rules and what they hold (the running server's; None without one).
    pub shaping: Option<Arc<Shaping>>,
    /// The pools' IP warm-up (the running server's; None without one).
    pub warmup: Option<Arc<Warmup>>,
    /// Queued mail being handed to another node (the running server's; None without one).
    pub transfers: Option<Arc<Transfers>>,
    /// Where the events of changes go besides the store (the running server's file).
    pub events: EventLog,
    /// The cluster told of changes that are not events (a suppression lifted), if any.
    pub cluster: Option<Arc<Cluster>>,
}

/// A failed request, with the message the user sees.
#[derive(Debug, thiserror::Error)]
#[error("{0}")]
pub struct AdminError(pub String);

impl From<StoreError> for AdminError {
    fn from(e: StoreError) -> AdminError {
        AdminError(e.to_string())
    }
}

/// Carries out a request; the output is what the CLI prints.
pub fn execute(ctx: &AdminContext, request: Request) -> Result<Vec<u8>, AdminError> {
    let done = |text: String| Ok(format!("{text}\n").into_bytes());
    let store = &ctx.store;
    match request {
        Request::DomainAdd { domain, postmaster } => domain_add(ctx, &domain, postmaster.as_deref()),
        Request::DomainDel { domain } => {
            let op = DirectoryOp::DomainDel { domain: domain.to_ascii_lowercase() };
            ctx.journal.submit_blocking(JournalOp::Directory(op))?;
            done(format!("domain {domain} removed"))
        }
        Request::DomainList => Ok(lines(store.domains()?)),
        Request::UserAdd { address, password, send_as_anyone } => {
            let address = local_address(ctx, &address)?;
            check_password(&password)?;
            let password_hash = password::hash(&password);
            let op = JournalOp::CreateAccount { address: address.clone(), password_hash, send_as_anyone };
            ctx.journal.submit_blocking(op)?;
            done(format!("user {address} added with mailboxes {}", DEFAULT_MAILBOXES.join(", ")))
        }
        Request::UserDel { address } => {
            let address = address.to_lowercase();
            ctx.journal.submit_blocking(JournalOp::DeleteAccount { address: address.clone() })?;
            done(format!("user {address} deleted"))
        }
        Request::UserList => Ok(lines(store.accounts()?)),
        Request::UserGrant { address, grant } => send_as(ctx, &address, grant, true),
        Request::UserRevoke { address, grant } => send_as(ctx, &address, grant, false),
        Request::UserQuota { address, limit } => quota(ctx, &address.to_lowercase(), limit.as_deref()),
        Request::UserPasswd { address, password } => {
            check_password(&password)?;
            let address = address.to_lowercase();
            let op = DirectoryOp::SetPassword { address: address.clone(), password_hash: password::hash(&password) };
            ctx.journal.submit_blocking(JournalOp::Directory(op))?;
            done(format!("password of {address} changed"))
        }
        Request::AliasAdd { alias, targets } => {
            let alias = alias_address(ctx, &alias)?;
            if targets.is_empty() {
                return Err(AdminError("an alias needs at least one target".into()));
            }
            let targets = targets.iter().map(|t| parse_address(t)).collect::<Result<Vec<_>, _>>()?;
            let op = DirectoryOp::AliasAdd { alias: alias.clone(), targets };
            let Committed::Alias(saved) = ctx.journal.submit_blocking(JournalOp::Directory(op))? else {
                unreachable!("the journal answers an alias change with the alias")
            };
            done(format!("{alias} -> {}", saved.targets.join(", ")))
        }
        Request::AliasDel { alias } => {
            ctx.journal.submit_blocking(JournalOp::Directory(DirectoryOp::AliasDel { alias: alias.to_lowercase() }))?;
            done(format!("alias {alias} removed"))
        }
        Request::AliasList => {
            Ok(lines(store.aliases()?.into_iter().map(|(a, t)| format!("{a} -> {}", t.targets.join(", "))).collect()))
        }
        Request::MailList { address, mailbox } => mail_list(store, &address.to_lowercase(), &mailbox),
        Request::MailCat { address, mailbox, uid } => {
            let address = address.to_lowercase();
            let entry = store
                .mail_entry(&address, &mailbox, uid)?
                .ok_or_else(|| AdminError(format!("no message with UID {uid} in {mailbox} of {address}")))?;
            store.blob(MessageId(entry.message_id))?.ok_or_else(|| AdminError("message body is missing".into()))
        }
        Request::Queue { request } => queue::execute(ctx, request),
        Request::Pool { request } => pool(ctx, request),
        Request::Senders { hours } => senders::listing(&ctx.store, hours),
        Request::Shaping { request: ShapingRequest::List } => match &ctx.shaping {
            Some(shaping) => Ok(shaping.listing(true).into_bytes()),
            None => Ok(Shaping::load(&ctx.config.delivery).map_err(AdminError)?.listing(false).into_bytes()),
        },
        Request::ApiTokenAdd { name, scope, user, domains } => {
            let token = tokens::add(ctx, &name, &scope, user, domains)?;
            done(format!("{token}\n(token {name} made; this is the only time it is shown)"))
        }
        Request::ApiTokenList => tokens::list(ctx),
        Request::ApiTokenDel { name } => {
            tokens::delete(ctx, &name)?;
            done(format!("token {name} deleted"))
        }
        Request::Dkim { request } => dkim::execute(ctx, request),
        Request::Spam { request } => spam::execute(ctx, request),
        Request::AccessAdd { list, entry } => {
            let entry = Entry::parse(&entry).map_err(AdminError)?.text();
            let op = AccessOp::Add { list: list.as_str().to_string(), entry: entry.clone() };
            ctx.journal.submit_blocking(JournalOp::Access(op))?;
            done(format!("{entry} added to the {} list", list.as_str()))
        }
        Request::AccessDel { list, entry } => {
            let entry = Entry::parse(&entry).map(|e| e.text()).unwrap_or(entry);
            let op = AccessOp::Del { list: list.as_str().to_string(), entry: entry.clone() };
            ctx.journal.submit_blocking(JournalOp::Access(op))?;
            done(format!("{entry} removed from the {} list", list.as_str()))
        }
        Request::AccessList { list } => Ok(lines(store.access_entries(list.as_str())?)),
        Request::TlsReports { domain } => Ok(tls_reports(store, domain.as_deref())?.into_bytes()),
        Request::SuppressionList => {
            let mut out = String::new();
            for (address, s) in store.suppressions()? {
                let since = rfc5322(UNIX_EPOCH + Duration::from_secs(s.since));
                let _ = writeln!(out, "{address}\t{since}\t{}", s.reason);
            }
            for (domain, address, s) in store.sender_suppressions()? {
                let since = rfc5322(UNIX_EPOCH + Duration::from_secs(s.since));
                let _ = writeln!(out, "{address}\tfor={domain}\t{since}\t{}", s.reason);
            }
            Ok(out.into_bytes())
        }
        Request::SuppressionAdd { address, reason } => {
            let address = parse_address(&address)?;
            let event = Event::Suppression { address: address.clone(), reason: reason.clone(), id: None };
            let op = SuppressionOp::Add { address: address.clone(), reason };
            ctx.events.commit_blocking(&ctx.journal, JournalOp::Suppression(op), vec![event])?;
            done(format!("{address} suppressed"))
        }
        Request::SuppressionDel { address, domain: Some(domain) } => {
            let address = parse_address(&address)?;
            let op = SuppressionOp::DelFor { domain: domain.clone(), address: address.clone() };
            ctx.journal.submit_blocking(JournalOp::Suppression(op))?;
            done(format!("{address} may receive mail from {domain} again"))
        }
        Request::SuppressionDel { address, domain: None } => {
            let address = parse_address(&address)?;
            ctx.journal.submit_blocking(JournalOp::Suppression(SuppressionOp::Del { address: address.clone() }))?;
            if let Some(cluster) = &ctx.cluster {
                cluster.unsuppressed(&address);
            }
            done(format!("{address} may receive mail again"))
        }
    }
}

/// `ringmail pool ...`: the warm-up of the running server, or one read from the store.
fn pool(ctx: &AdminContext, request: PoolRequest) -> Result<Vec<u8>, AdminError> {
    let warming: Vec<(String, String, Vec<std::net::IpAddr>)> =
        ctx.config.pool.iter().filter_map(|p| Some((p.name.clone(), p.warmup.clone()?, p.addresses.clone()))).collect();
    let loaded;
    let warmup = match &ctx.warmup {
        Some(warmup) => warmup,
        None => {
            loaded = Warmup::load(&ctx.config.warmup, &ctx.store)?;
            &loaded
        }
    };
    match request {
        PoolRequest::Status => Ok(warmup.status(&warming).into_bytes()),
        PoolRequest::Warmup { address, day } => {
            let ip: std::net::IpAddr =
                address.parse().map_err(|_| AdminError(format!("{address}: not an IP address")))?;
            let (_, schedule, _) = warming
                .iter()
                .find(|(_, _, addresses)| addresses.contains(&ip))
                .ok_or_else(|| AdminError(format!("{ip} is in no pool that warms up")))?;
            let op = warmup.set_day(ip, day, schedule).map_err(AdminError)?;
            ctx.journal.submit_blocking(JournalOp::Warmup(vec![op]))?;
            Ok(format!("{ip} is on day {day} of warm-up `{schedule}` from today\n").into_bytes())
        }
    }
}

fn mail_list(store: &Store, address: &str, mailbox: &str) -> Result<Vec<u8>, AdminError> {
    let mut out = String::new();
    for (uid, entry) in store.mail_entries(address, mailbox)? {
        let blob = store.blob(MessageId(entry.message_id))?.unwrap_or_default();
        let subject = headers::field(&blob, "Subject").unwrap_or_default();
        let date = rfc5322(UNIX_EPOCH + Duration::from_secs(entry.internal_date));
        let _ = writeln!(out, "{uid}\t{}\t{date}\t{subject}", entry.size);
    }
    Ok(out.into_bytes())
}

/// Adds a local domain whose `postmaster@` and `abuse@` go to `postmaster` (by default the
/// server's own postmaster), unless addresses of that name exist already.
fn domain_add(ctx: &AdminContext, domain: &str, postmaster: Option<&str>) -> Result<Vec<u8>, AdminError> {
    let domain = parse_domain(domain)?;
    let hostname = ctx.config.hostname.as_str();
    let target = match postmaster {
        Some(target) => parse_address(target)?,
        None => {
            routing::ensure_postmaster(&ctx.store, &ctx.journal, hostname)?;
            format!("{POSTMASTER}@{hostname}")
        }
    };
    let router = Router::new(&ctx.store, hostname);
    let target_domain = domain_of(&target);
    if target_domain != domain && router.is_local_domain(target_domain)? {
        let mailbox = Mailbox::parse(&target).map_err(|e| AdminError(format!("{target}: {e}")))?;
        router.resolve(&mailbox, false).map_err(|e| AdminError(format!("postmaster {target}: {e}")))?;
    }
    ctx.journal.submit_blocking(JournalOp::Directory(DirectoryOp::DomainAdd { domain: domain.clone() }))?;
    let mut routed = Vec::new();
    for role in ROLE_ADDRESSES {
        let alias = format!("{role}@{domain}");
        if ctx.store.account(&alias)?.is_none() && ctx.store.alias(&alias)?.is_none() {
            let op = DirectoryOp::AliasAdd { alias: alias.clone(), targets: vec![target.clone()] };
            ctx.journal.submit_blocking(JournalOp::Directory(op))?;
            routed.push(alias);
        }
    }
    let routed = match routed.is_empty() {
        true => String::new(),
        false => format!("; {} go to {target}", routed.join(" and ")),
    };
    Ok(format!("domain {domain} added{routed}\n").into_bytes())
}

/// Grants (`give`) or revokes what an account may send as.
fn send_as(ctx: &AdminContext, address: &str, grant: Grant, give: bool) -> Result<Vec<u8>, AdminError> {
    let address = address.to_lowercase();
    let grant = match grant {
        Grant::Anyone => SendAs::Anyone,
        Grant::Address(other) => SendAs::Address(match other.strip_prefix('@') {
            Some(domain) => format!("@{}", parse_domain(domain)?),
            None => parse_address(&other)?,
        }),
    };
    let op = match give {
        true => DirectoryOp::Grant { address: address.clone(), grant },
        false => DirectoryOp::Revoke { address: address.clone(), grant },
    };
    let Committed::Account(account) = ctx.journal.submit_blocking(JournalOp::Directory(op))? else {
        unreachable!("the journal answers a grant with the account")
    };
    let mut may = account.send_as;
    if account.send_as_anyone {
        may.push("anyone".into());
    }
    let may = if may.is_empty() { "its own addresses only".to_string() } else { may.join(", ") };
    Ok(format!("{address} may send as: {may}\n").into_bytes())
}

/// Sets an account's quota when `limit` is given, then shows it with the usage.
fn quota(ctx: &AdminContext, address: &str, limit: Option<&str>) -> Result<Vec<u8>, AdminError> {
    if let Some(limit) = limit {
        let bytes = match limit.eq_ignore_ascii_case("none") {
            true => None,
            false => Some(parse_size(limit).ok_or_else(|| AdminError(format!("`{limit}` is not a size like 500M")))?),
        };
        ctx.journal.submit_blocking(JournalOp::Directory(DirectoryOp::SetQuota { address: address.into(), bytes }))?;
    }
    if ctx.store.account(address)?.is_none() {
        return Err(AdminError(format!("no account {address}")));
    }
    let used = ctx.store.usage(address)?;
    let line = match ctx.store.quota(address)? {
        Some(limit) => {
            let share = used.saturating_mul(100).checked_div(limit).unwrap_or(100);
            format!("{address}: {} of {} ({share}%)", mib(used), mib(limit))
        }
        None => format!("{address}: {}, no quota", mib(used)),
    };
    Ok(format!("{line}\n").into_bytes())
}

/// `500M`, `2G`, `1024`: octets, with a 1024-based suffix.
fn parse_size(text: &str) -> Option<u64> {
    let text = text.trim();
    let (digits, unit) = match text.char_indices().last()? {
        (at, c) if c.is_ascii_alphabetic() => (&text[..at], c.to_ascii_uppercase()),
        _ => (text, 'B'),
    };
    let shift = match unit {
        'B' => 0,
        'K' => 10,
        'M' => 20,
        'G' => 30,
        'T' => 40,
        _ => return None,
    };
    digits.parse::<u64>().ok()?.checked_mul(1 << shift)
}

/// Octets as MiB with two decimals.
fn mib(bytes: u64) -> String {
    format!("{:.2} MiB", bytes as f64 / (1024.0 * 1024.0))
}

fn lines(items: Vec<String>) -> Vec<u8> {
    items.into_iter().flat_map(|i| format!("{i}\n").into_bytes()).collect()
}

fn check_password(password: &str) -> Result<(), AdminError> {
    if password.chars().count() < 8 {
        return Err(AdminError("passwords need at least 8 characters".into()));
    }
    Ok(())
}

fn parse_address(address: &str) -> Result<String, AdminError> {
    Mailbox::parse(address).map(|m| m.key()).map_err(|e| AdminError(format!("{address}: {e}")))
}

fn parse_domain(domain: &str) -> Result<String, AdminError> {
    parse_address(&format!("postmaster@{domain}")).map(|a| domain_of(&a).to_string())
}

/// An address in a local domain, lower-cased.
fn local_address(ctx: &AdminContext, address: &str) -> Result<String, AdminError> {
    let address = parse_address(address)?;
    let domain = domain_of(&address);
    if !Router::new(&ctx.store, ctx.config.hostname.as_str()).is_local_domain(domain)? {
        return Err(AdminError(format!("{domain} is not a local domain: run `ringmail domain add {domain}` first")));
    }
    Ok(address)
}

/// An alias address (`@domain` is a catch-all) in a local domain.
fn alias_address(ctx: &AdminContext, alias: &str) -> Result<String, AdminError> {
    match alias.strip_prefix('@') {
        Some(domain) => local_address(ctx, &format!("catchall@{domain}")).map(|a| format!("@{}", domain_of(&a))),
        None => local_address(ctx, alias),
    }
}

/// One line per policy of each received TLS report (about `domain` only, if given), oldest
/// first: when it arrived, who sent it, the period, the domain, the sessions.
fn tls_reports(store: &Store, domain: Option<&str>) -> Result<String, AdminError> {
    let mut out = String::new();
    for (at, report) in store.received_tls_reports()? {
        for policy in &report.policies {
            if domain.is_some_and(|d| !d.eq_ignore_ascii_case(&policy.domain)) {
                continue;
            }
            let failures: Vec<String> = policy.failures.iter().map(|(kind, n)| format!("{kind}={n}")).collect();
            let _ = writeln!(
                out,
                "{at} {} {} {}..{} {} {} successful={} failed={} {}",
                report.organization,
                report.report_id,
                report.period.0,
                report.period.1,
                policy.domain,
                policy.policy_type,
                policy.successful,
                policy.failed,
                failures.join(" ")
            );
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::parse_size;

    #[test]
    fn sizes_take_1024_based_suffixes() {
        assert_eq!(parse_size("500M"), Some(500 << 20));
        assert_eq!(parse_size("2g"), Some(2 << 30));
        assert_eq!(parse_size("1024"), Some(1024));
        assert_eq!(parse_size("5X"), None);
        assert_eq!(parse_size("M"), None);
        assert_eq!(parse_size("99999999999T"), None, "overflow");
    }
}
