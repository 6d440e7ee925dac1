//! SPF, the Sender Policy Framework (RFC 7208): whether a client address may send mail for the
//! domain of the envelope sender (`MAIL FROM`) or of the `HELO`/`EHLO` name.
//!
//! | file | what |
//! |---|---|
//! | `record.rs` | parsing a `v=spf1` record into qualified mechanisms and modifiers |
//! | `macros.rs` | macro strings (`%{ir}.%{v}._spf.%{d2}`): parsing and expansion |
//! | `eval.rs` | `check_host()`: evaluation against DNS, with its processing limits |
//! | `ptr.rs` | validated host names of the client (`ptr`, `%{p}`) |
//! | `domain.rs` | domain name checks (valid start domain, queryable name, top label) |
//! | `suite.rs` | tests: the RFC 7208 suite on in-memory zones, and the public API |
//!
//! DNS goes through [`Lookup`], so the shard's resolver and an in-memory zone answer alike;
//! the RFC 7208 test suite (`tests/data/spf/`) runs against such a zone. The code never
//! panics on what it is given, and a hostile record cannot make it recurse or query without
//! bound: at most 10 DNS-querying terms and 2 void lookups per check, 10 MX and 10 PTR names
//! per term. It does not bound wall-clock time; RFC 7208 section 4.6.4 suggests the caller
//! give up after at least 20 seconds and treat that as `temperror`.

mod domain;
mod eval;
pub mod macros;
mod ptr;
pub mod record;
#[cfg(test)]
mod suite;

use std::fmt;
use std::net::IpAddr;

use crate::lookup::Lookup;
use eval::{Evaluator, Inputs};

/// The result of an SPF check (RFC 7208 section 2.6).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum SpfResult {
    /// No SPF record, or no valid domain to check.
    None,
    /// The domain makes no assertion about the client.
    Neutral,
    /// The client is authorized.
    Pass,
    /// The client is not authorized.
    Fail,
    /// The client is probably not authorized.
    SoftFail,
    /// A DNS lookup failed; a later retry may succeed.
    TempError,
    /// The domain's record is malformed or exceeds the processing limits.
    PermError,
}

impl SpfResult {
    /// The result name used in `Authentication-Results:` and `Received-SPF:`.
    pub fn as_str(self) -> &'static str {
        match self {
            SpfResult::None => "none",
            SpfResult::Neutral => "neutral",
            SpfResult::Pass => "pass",
            SpfResult::Fail => "fail",
            SpfResult::SoftFail => "softfail",
            SpfResult::TempError => "temperror",
            SpfResult::PermError => "permerror",
        }
    }
}

impl fmt::Display for SpfResult {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The outcome of an SPF check.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SpfOutput {
    /// The verdict.
    pub result: SpfResult,
    /// The domain that was checked (without a trailing dot).
    pub domain: String,
    /// For `fail`: the domain's explanation (its `exp=` text, expanded). `None` when the domain
    /// gives none or it could not be had; a caller rejecting the mail uses its own text then.
    pub explanation: Option<String>,
    /// A short account of why, for the comment in `Authentication-Results:` and for logs,
    /// e.g. `example.org: -all matched`.
    pub reason: String,
}

/// Everything `check_host()` is given (RFC 7208 section 4.1), with the clock made explicit.
#[derive(Debug, Clone, Copy)]
pub struct Request<'a> {
    /// The client's address; an IPv4-mapped IPv6 address is checked as IPv4.
    pub ip: IpAddr,
    /// The domain whose policy is checked.
    pub domain: &'a str,
    /// The envelope sender, `local-part@domain`; a missing local part becomes `postmaster`.
    pub sender: &'a str,
    /// The HELO/EHLO name (`%{h}`).
    pub helo: &'a str,
    /// The receiving host's name (`%{r}`, used in explanations only).
    pub receiver: &'a str,
    /// Seconds since the Unix epoch (`%{t}`, used in explanations only).
    pub now: u64,
}

/// `check_host()`: checks whether `ip` may send mail from `sender` for `domain`.
pub async fn check_host<L: Lookup>(
    lookup: &L,
    ip: IpAddr,
    domain: &str,
    sender: &str,
    helo: &str,
    receiver: &str,
    now: u64,
) -> SpfOutput {
    evaluate(lookup, &Request { ip, domain, sender, helo, receiver, now }).await
}

/// `check_host()` for a full [`Request`], with the clock given (so that `%{t}` is deterministic).
pub async fn evaluate<L: Lookup>(lookup: &L, request: &Request<'_>) -> SpfOutput {
    let (local_part, sender_domain) = split_sender(request.sender, request.domain);
    let sender = format!("{local_part}@{sender_domain}");
    let inputs = Inputs {
        ip: canonical_ip(request.ip),
        sender: &sender,
        local_part,
        sender_domain,
        helo: request.helo,
        receiver: request.receiver,
        now: request.now,
    };
    Evaluator::new(lookup, inputs).run(request.domain).await
}

/// Checks the envelope sender `mail_from` (the `MAIL FROM` address without angle brackets; `""`
/// for the null sender `<>`, which is checked as `postmaster@` the HELO name, RFC 7208 2.4).
pub async fn verify_mail_from<L: Lookup>(
    lookup: &L,
    ip: IpAddr,
    helo: &str,
    mail_from: &str,
    receiver: &str,
    now: u64,
) -> SpfOutput {
    if mail_from.is_empty() {
        return verify_helo(lookup, ip, helo, receiver, now).await;
    }
    let domain = mail_from.rsplit_once('@').map_or(mail_from, |(_, domain)| domain);
    check_host(lookup, ip, domain, mail_from, helo, receiver, now).await
}

/// Checks the HELO/EHLO name (RFC 7208 section 2.3), as the sender `postmaster@helo`. An address
/// literal or a name that is no fully qualified domain gives `none`.
pub async fn verify_helo<L: Lookup>(lookup: &L, ip: IpAddr, helo: &str, receiver: &str, now: u64) -> SpfOutput {
    let sender = format!("postmaster@{helo}");
    check_host(lookup, ip, helo, &sender, helo, receiver, now).await
}

/// The local part and domain of `sender` (section 4.3): `postmaster` for a missing local part,
/// and `domain` when the sender has no domain at all.
fn split_sender<'a>(sender: &'a str, domain: &'a str) -> (&'a str, &'a str) {
    match sender.rsplit_once('@') {
        Some(("", sender_domain)) => ("postmaster", sender_domain),
        Some((local, sender_domain)) => (local, sender_domain),
        None if sender.is_empty() => ("postmaster", domain),
        None => ("postmaster", sender),
    }
}

/// IPv4-mapped IPv6 addresses (`::ffff:192.0.2.1`) are IPv4 for SPF (section 5).
fn canonical_ip(ip: IpAddr) -> IpAddr {
    match ip {
        IpAddr::V6(v6) => v6.to_ipv4_mapped().map_or(ip, IpAddr::V4),
        IpAddr::V4(_) => ip,
    }
}
