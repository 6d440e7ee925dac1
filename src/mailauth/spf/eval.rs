//! `check_host()` (RFC 7208 sections 4 to 6): finds the domain's record, evaluates its
//! mechanisms left to right against DNS, follows `include` and `redirect`, and keeps the limits
//! that bound the work a hostile record can cause.
//!
//! Every mechanism and modifier that queries DNS counts against one limit of 10 for the whole
//! check, includes and redirects included; since each `include` and `redirect` counts, the
//! recursion is at most 11 deep. Lookups that answer nothing ("void lookups") are limited to 2.

use std::net::IpAddr;

use super::domain;
use super::macros::{MacroString, Vars};
use super::ptr::{self, ValidatedNames};
use super::record::{DualCidr, Mechanism, Record, is_spf_record};
use super::{SpfOutput, SpfResult};
use crate::lookup::{Lookup, LookupError};

/// Terms that query DNS, per check (section 4.6.4).
const MAX_DNS_TERMS: u32 = 10;
/// Lookups answering NXDOMAIN or no records, per check (section 4.6.4).
const MAX_VOID_LOOKUPS: u32 = 2;
/// MX hosts looked at by one `mx` mechanism; more is a permerror (section 4.6.4).
const MAX_MX_NAMES: usize = 10;
/// The longest `reason` given out, in bytes: it quotes record text, which anyone can publish.
const MAX_REASON: usize = 200;

/// Why evaluation stopped early.
enum Stop {
    /// A DNS lookup failed: temperror.
    Temp(String),
    /// The record or the limits were violated: permerror.
    Perm(String),
}

type Step<T> = Result<T, Stop>;

/// What one evaluation of a domain gave.
pub(crate) struct Verdict {
    pub result: SpfResult,
    pub explanation: Option<String>,
    pub reason: String,
}

impl Verdict {
    fn new(result: SpfResult, reason: String) -> Verdict {
        Verdict { result, explanation: None, reason }
    }
}

impl From<Stop> for Verdict {
    fn from(stop: Stop) -> Verdict {
        match stop {
            Stop::Temp(reason) => Verdict::new(SpfResult::TempError, reason),
            Stop::Perm(reason) => Verdict::new(SpfResult::PermError, reason),
        }
    }
}

/// The inputs of one check, as the macros see them.
pub(crate) struct Inputs<'a> {
    /// The client address, IPv4-mapped IPv6 already turned into IPv4.
    pub ip: IpAddr,
    pub sender: &'a str,
    pub local_part: &'a str,
    pub sender_domain: &'a str,
    pub helo: &'a str,
    pub receiver: &'a str,
    pub now: u64,
}

/// The state of one check: its inputs and what the limits have used.
pub(crate) struct Evaluator<'a, L> {
    lookup: &'a L,
    inputs: Inputs<'a>,
    dns_terms: u32,
    void_lookups: u32,
    validated: Option<ValidatedNames>,
}

impl<'a, L: Lookup> Evaluator<'a, L> {
    pub(crate) fn new(lookup: &'a L, inputs: Inputs<'a>) -> Evaluator<'a, L> {
        Evaluator { lookup, inputs, dns_terms: 0, void_lookups: 0, validated: None }
    }

    /// Runs the check for `domain` and describes the outcome.
    pub(crate) async fn run(mut self, domain: &str) -> SpfOutput {
        let verdict = self.check_host(domain, true).await;
        SpfOutput {
            result: verdict.result,
            domain: domain::trim_dot(domain).to_string(),
            explanation: verdict.explanation,
            reason: shorten(verdict.reason),
        }
    }

    /// `check_host()` for `domain`, sharing this check's limits. `explain` is false inside an
    /// `include`, whose explanation is never used (section 6.2).
    async fn check_host(&mut self, domain: &str, explain: bool) -> Verdict {
        let domain = domain::trim_dot(domain);
        if !domain::is_valid_domain(domain) {
            return Verdict::new(SpfResult::None, format!("{domain:?} is not a valid domain name"));
        }
        let record = match self.find_record(domain).await {
            Ok(Some(record)) => record,
            Ok(None) => return Verdict::new(SpfResult::None, format!("no SPF record at {domain}")),
            Err(stop) => return stop.into(),
        };
        self.evaluate(&record, domain, explain).await.unwrap_or_else(Verdict::from)
    }

    /// The domain's single SPF record (section 4.5).
    async fn find_record(&mut self, domain: &str) -> Step<Option<Record>> {
        let texts = self.lookup.txt(domain).await.map_err(|e| dns_error(domain, &e))?;
        let mut records = texts.iter().filter(|t| is_spf_record(t));
        let Some(text) = records.next() else { return Ok(None) };
        if records.next().is_some() {
            return Err(Stop::Perm(format!("more than one SPF record at {domain}")));
        }
        Record::parse(text).map(Some).map_err(|e| Stop::Perm(format!("SPF record of {domain}: {e}")))
    }

    /// Evaluates a parsed record (sections 4.6 and 4.7).
    async fn evaluate(&mut self, record: &Record, domain: &str, explain: bool) -> Step<Verdict> {
        for directive in &record.directives {
            if directive.mechanism.queries_dns() {
                self.count_dns_term()?;
            }
            if self.matches(&directive.mechanism, domain).await? {
                let result = directive.qualifier.result();
                let explanation = match (&record.explanation, result) {
                    (Some(spec), SpfResult::Fail) if explain => self.explain(spec, domain).await,
                    _ => None,
                };
                return Ok(Verdict { result, explanation, reason: format!("{domain}: {directive} matched") });
            }
        }
        let Some(redirect) = &record.redirect else {
            return Ok(Verdict::new(SpfResult::Neutral, format!("{domain}: no mechanism matched")));
        };
        self.count_dns_term()?;
        let target = self.expand_domain(redirect, domain).await;
        let verdict = Box::pin(self.check_host(&target, explain)).await;
        if verdict.result == SpfResult::None {
            return Err(Stop::Perm(format!("{domain}: redirect={target}: {}", verdict.reason)));
        }
        Ok(verdict)
    }

    /// Whether a mechanism matches the client (section 5).
    async fn matches(&mut self, mechanism: &Mechanism, domain: &str) -> Step<bool> {
        let ip = self.inputs.ip;
        match mechanism {
            Mechanism::All => Ok(true),
            Mechanism::Ip4 { network, prefix } => Ok(in_network(ip, IpAddr::V4(*network), *prefix)),
            Mechanism::Ip6 { network, prefix } => Ok(in_network(ip, IpAddr::V6(*network), *prefix)),
            Mechanism::Include(spec) => {
                let target = self.expand_domain(spec, domain).await;
                let inner = Box::pin(self.check_host(&target, false)).await;
                match inner.result {
                    SpfResult::Pass => Ok(true),
                    SpfResult::Fail | SpfResult::SoftFail | SpfResult::Neutral => Ok(false),
                    SpfResult::TempError => Err(Stop::Temp(inner.reason)),
                    SpfResult::PermError => Err(Stop::Perm(inner.reason)),
                    SpfResult::None => Err(Stop::Perm(format!("{domain}: include:{target}: {}", inner.reason))),
                }
            }
            Mechanism::A { domain: spec, cidr } => {
                let Some(target) = self.target(spec.as_ref(), domain).await else { return Ok(false) };
                let found = self.addresses_match(&target, *cidr).await?;
                if found.is_none() {
                    self.count_void()?;
                }
                Ok(found == Some(true))
            }
            Mechanism::Mx { domain: spec, cidr } => {
                let Some(target) = self.target(spec.as_ref(), domain).await else { return Ok(false) };
                self.mx_matches(&target, *cidr).await
            }
            Mechanism::Ptr(spec) => {
                let Some(target) = self.target(spec.as_ref(), domain).await else { return Ok(false) };
                let validated = self.validated_names().await;
                let (void, matched) = (validated.void, validated.names.iter().any(|n| domain::is_within(n, &target)));
                if void {
                    self.count_void()?;
                }
                Ok(matched)
            }
            Mechanism::Exists(spec) => {
                let Some(target) = self.target(Some(spec), domain).await else { return Ok(false) };
                // Always an A query, whatever the client's address family (section 5.7).
                let found = self.lookup.a(&target).await.map_err(|e| dns_error(&target, &e))?;
                if found.is_empty() {
                    self.count_void()?;
                }
                Ok(!found.is_empty())
            }
        }
    }

    /// `mx`: the client is an address of one of the target's first 10 MX hosts (section 5.4).
    async fn mx_matches(&mut self, target: &str, cidr: DualCidr) -> Step<bool> {
        let hosts = self.lookup.mx(target).await.map_err(|e| dns_error(target, &e))?;
        if hosts.is_empty() {
            self.count_void()?;
            return Ok(false);
        }
        if hosts.len() > MAX_MX_NAMES {
            return Err(Stop::Perm(format!("{target} has more than {MAX_MX_NAMES} MX records")));
        }
        for host in &hosts {
            let host = domain::trim_dot(host);
            // A null MX (RFC 7505) or an unusable name has no addresses to match.
            if domain::is_queryable(host) && self.addresses_match(host, cidr).await? == Some(true) {
                return Ok(true);
            }
        }
        Ok(false)
    }

    /// Whether the client is within `cidr` of one of `name`'s addresses (A for an IPv4 client,
    /// AAAA for IPv6); `None` when the name has no such addresses.
    async fn addresses_match(&mut self, name: &str, cidr: DualCidr) -> Step<Option<bool>> {
        let ip = self.inputs.ip;
        let matched = match ip {
            IpAddr::V4(_) => {
                let addrs = self.lookup.a(name).await.map_err(|e| dns_error(name, &e))?;
                (!addrs.is_empty()).then(|| addrs.iter().any(|a| in_network(ip, IpAddr::V4(*a), cidr.v4)))
            }
            IpAddr::V6(_) => {
                let addrs = self.lookup.aaaa(name).await.map_err(|e| dns_error(name, &e))?;
                (!addrs.is_empty()).then(|| addrs.iter().any(|a| in_network(ip, IpAddr::V6(*a), cidr.v6)))
            }
        };
        Ok(matched)
    }

    /// The explanation of a `fail` (section 6.2): the single TXT record at the `exp=` name,
    /// macro-expanded. Any problem on the way means no explanation; none of it counts against
    /// the limits.
    async fn explain(&mut self, spec: &MacroString, domain: &str) -> Option<String> {
        let target = self.target(Some(spec), domain).await?;
        let texts = self.lookup.txt(&target).await.ok()?;
        let [text] = texts.as_slice() else { return None };
        if !text.is_ascii() {
            return None;
        }
        let message = MacroString::parse(text, super::macros::Context::Explanation).ok()?;
        Some(self.expand(&message, domain).await)
    }

    /// The name a mechanism looks up: its expanded domain-spec, or the current domain. `None`
    /// when the expansion is no name DNS can be asked about, which then matches nothing.
    async fn target(&mut self, spec: Option<&MacroString>, domain: &str) -> Option<String> {
        let name = match spec {
            Some(spec) => self.expand_domain(spec, domain).await,
            None => domain.to_string(),
        };
        domain::is_queryable(&name).then_some(name)
    }

    async fn expand_domain(&mut self, spec: &MacroString, domain: &str) -> String {
        let validated = self.macro_name(spec, domain).await;
        spec.expand_domain(&self.vars(domain, validated.as_deref()))
    }

    async fn expand(&mut self, text: &MacroString, domain: &str) -> String {
        let validated = self.macro_name(text, domain).await;
        text.expand(&self.vars(domain, validated.as_deref()))
    }

    /// The `%{p}` name, looked up only when `text` uses it.
    async fn macro_name(&mut self, text: &MacroString, domain: &str) -> Option<String> {
        if !text.uses_validated_name() {
            return None;
        }
        let validated = self.validated_names().await;
        ptr::macro_name(&validated.names, domain).map(str::to_string)
    }

    /// The client's validated names, looked up once per check.
    async fn validated_names(&mut self) -> &ValidatedNames {
        if self.validated.is_none() {
            self.validated = Some(ptr::validated_names(self.lookup, self.inputs.ip).await);
        }
        self.validated.get_or_insert_with(ValidatedNames::default)
    }

    fn vars<'s>(&'s self, domain: &'s str, validated_name: Option<&'s str>) -> Vars<'s> {
        let i = &self.inputs;
        Vars {
            sender: i.sender,
            local_part: i.local_part,
            sender_domain: i.sender_domain,
            domain,
            ip: i.ip,
            helo: i.helo,
            receiver: i.receiver,
            now: i.now,
            validated_name,
        }
    }

    fn count_dns_term(&mut self) -> Step<()> {
        self.dns_terms += 1;
        if self.dns_terms > MAX_DNS_TERMS {
            return Err(Stop::Perm(format!("more than {MAX_DNS_TERMS} DNS-querying terms")));
        }
        Ok(())
    }

    fn count_void(&mut self) -> Step<()> {
        self.void_lookups += 1;
        if self.void_lookups > MAX_VOID_LOOKUPS {
            return Err(Stop::Perm(format!("more than {MAX_VOID_LOOKUPS} void DNS lookups")));
        }
        Ok(())
    }
}

/// `reason` cut to [`MAX_REASON`] bytes (at a character boundary), marked with `...`.
fn shorten(mut reason: String) -> String {
    if reason.len() > MAX_REASON {
        let mut end = MAX_REASON - 3;
        while !reason.is_char_boundary(end) {
            end -= 1;
        }
        reason.truncate(end);
        reason.push_str("...");
    }
    reason
}

fn dns_error(name: &str, error: &LookupError) -> Stop {
    Stop::Temp(format!("{name}: {error}"))
}

/// Whether `ip` is within `network/prefix`; addresses of different families never match.
pub(crate) fn in_network(ip: IpAddr, network: IpAddr, prefix: u8) -> bool {
    match (ip, network) {
        (IpAddr::V4(ip), IpAddr::V4(net)) => {
            let mask = u32::MAX.checked_shl(32 - u32::from(prefix.min(32))).unwrap_or(0);
            u32::from(ip) & mask == u32::from(net) & mask
        }
        (IpAddr::V6(ip), IpAddr::V6(net)) => {
            let mask = u128::MAX.checked_shl(128 - u32::from(prefix.min(128))).unwrap_or(0);
            u128::from(ip) & mask == u128::from(net) & mask
        }
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::net::{Ipv4Addr, Ipv6Addr};

    #[test]
    fn long_reasons_are_cut() {
        assert_eq!(shorten("short".to_string()), "short");
        let cut = shorten("é".repeat(300));
        assert!(cut.len() <= MAX_REASON && cut.ends_with("..."), "{cut}");
    }

    #[test]
    fn networks() {
        let v4 = |a, b, c, d| IpAddr::V4(Ipv4Addr::new(a, b, c, d));
        assert!(in_network(v4(1, 2, 3, 4), v4(9, 9, 9, 9), 0));
        assert!(in_network(v4(1, 2, 3, 4), v4(1, 2, 3, 4), 32));
        assert!(!in_network(v4(1, 2, 3, 5), v4(1, 2, 3, 4), 32));
        assert!(in_network(v4(1, 2, 3, 200), v4(1, 2, 3, 4), 24));
        let v6 = |s: &str| IpAddr::V6(s.parse::<Ipv6Addr>().unwrap_or(Ipv6Addr::UNSPECIFIED));
        assert!(in_network(v6("cafe:babe:8000::1"), v6("cafe:babe:8000::"), 33));
        assert!(!in_network(v6("cafe:babe::1"), v6("cafe:babe:8000::"), 33));
        assert!(in_network(v6("1234::1"), v6("::"), 0));
        assert!(!in_network(v4(1, 2, 3, 4), v6("::"), 0));
    }
}
