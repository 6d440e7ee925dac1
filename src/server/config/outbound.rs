//! `[[route]]` and `[[pool]]`: how mail for a domain leaves this server (relay host, TLS policy,
//! AUTH) and from which local addresses; `[[delivery.destination]]`: how much of it at once.

use std::fmt;
use std::net::IpAddr;
use std::num::NonZeroUsize;

use serde::Deserialize;

use super::Hostname;

pub use shaping::Rate;

/// One `[[route]]`: overrides MX delivery for a recipient domain, or for every domain (`"*"`).
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Route {
    /// The recipient domain, or `*` for every domain without a route of its own.
    pub domain: DomainPattern,
    /// A relay host (smarthost) that takes the mail instead of the domain's MX hosts.
    pub host: Option<RelayHost>,
    /// Whether the connection must, may or must not use STARTTLS.
    #[serde(default)]
    pub tls: TlsPolicy,
    /// Login at the relay host (AUTH PLAIN or LOGIN, only ever sent over TLS).
    pub user: Option<String>,
    /// Password for `user`.
    pub password: Option<String>,
    /// The `[[pool]]` whose addresses the connections come from.
    pub pool: Option<String>,
}

/// A route's domain: one domain (its subdomains are not included) or `*`.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(try_from = "String")]
pub enum DomainPattern {
    /// Every domain.
    Any,
    /// Exactly this domain.
    Domain(Hostname),
}

impl TryFrom<String> for DomainPattern {
    type Error = String;

    fn try_from(text: String) -> Result<DomainPattern, String> {
        if text == "*" { Ok(DomainPattern::Any) } else { Hostname::try_from(text).map(DomainPattern::Domain) }
    }
}

/// `host` or `host:port` of a relay; the port defaults to 25.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(try_from = "String")]
pub struct RelayHost {
    /// Host name or IP address.
    pub name: String,
    /// TCP port.
    pub port: u16,
}

impl TryFrom<String> for RelayHost {
    type Error = String;

    fn try_from(text: String) -> Result<RelayHost, String> {
        let bad = || format!("host: `{text}` is not `name`, `name:port`, `address` or `[v6-address]:port`");
        if let Ok(ip) = text.parse::<IpAddr>() {
            return Ok(RelayHost { name: ip.to_string(), port: 25 });
        }
        let (name, port) = match text.rsplit_once(':') {
            Some((name, port)) => (name, port.parse::<u16>().map_err(|_| bad())?),
            None => (text.as_str(), 25),
        };
        let name = name.strip_prefix('[').and_then(|n| n.strip_suffix(']')).unwrap_or(name);
        if name.parse::<IpAddr>().is_ok() {
            return Ok(RelayHost { name: name.to_string(), port });
        }
        let name = Hostname::try_from(name.to_string()).map_err(|_| bad())?;
        Ok(RelayHost { name: name.to_string(), port })
    }
}

impl fmt::Display for RelayHost {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.name.contains(':') {
            write!(f, "[{}]:{}", self.name, self.port)
        } else {
            write!(f, "{}:{}", self.name, self.port)
        }
    }
}

/// STARTTLS policy of a route.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum TlsPolicy {
    /// Never start TLS.
    None,
    /// Start TLS when offered; any certificate is accepted (RFC 7435); plain text otherwise.
    #[default]
    Opportunistic,
    /// Refuse to send unless the session is encrypted (the certificate is not verified).
    Required,
    /// Refuse to send unless the session is encrypted with a certificate that a trusted CA
    /// issued for the host connected to (the MX name, or the route's host).
    Verify,
}

impl TlsPolicy {
    /// Whether mail may go only over an encrypted session.
    pub fn requires_tls(self) -> bool {
        matches!(self, TlsPolicy::Required | TlsPolicy::Verify)
    }
}

/// One `[[pool]]`: local source addresses for outbound connections, used round-robin.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Pool {
    /// The name routes use to pick it.
    pub name: String,
    /// Local addresses to connect from (each must be configured on this host).
    pub addresses: Vec<IpAddr>,
    /// EHLO name for connections from this pool (its addresses' PTR name); `hostname` if unset.
    pub ehlo: Option<Hostname>,
    /// Sender domains whose mail uses this pool when the route names none.
    #[serde(default)]
    pub sender_domains: Vec<Hostname>,
    /// The `[[warmup]]` schedule its addresses follow, if any.
    #[serde(default)]
    pub warmup: Option<String>,
}

/// One `[[warmup]]`: how many messages a new source address may send to one site per day,
/// day after day, until it is warm.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct WarmupSchedule {
    /// The name pools use to pick it.
    pub name: String,
    /// Messages per site on the first, second, ... day; after the last day, no limit.
    pub daily: Vec<u64>,
}

/// Checks that routes, pools and warm-up schedules fit together; the error says what is wrong.
pub fn check(routes: &[Route], pools: &[Pool], warmups: &[WarmupSchedule]) -> Result<(), String> {
    for (i, schedule) in warmups.iter().enumerate() {
        if schedule.daily.is_empty() || schedule.daily.contains(&0) {
            return Err(format!("warm-up `{}`: `daily` needs one or more counts above 0", schedule.name));
        }
        if warmups[..i].iter().any(|w| w.name == schedule.name) {
            return Err(format!("warm-up `{}` is defined twice", schedule.name));
        }
    }
    for (i, pool) in pools.iter().enumerate() {
        if pool.addresses.is_empty() {
            return Err(format!("pool `{}` has no addresses", pool.name));
        }
        if let Some(name) = &pool.warmup
            && !warmups.iter().any(|w| &w.name == name)
        {
            return Err(format!("pool `{}` names warm-up `{name}`, which is not defined", pool.name));
        }
        if pools[..i].iter().any(|p| p.name == pool.name) {
            return Err(format!("pool `{}` is defined twice", pool.name));
        }
    }
    for (i, route) in routes.iter().enumerate() {
        let name = match &route.domain {
            DomainPattern::Any => "*",
            DomainPattern::Domain(d) => d.as_str(),
        };
        if routes[..i].iter().any(|r| r.domain == route.domain) {
            return Err(format!("route for `{name}` is defined twice"));
        }
        if route.user.is_some() != route.password.is_some() {
            return Err(format!("route for `{name}`: `user` and `password` go together"));
        }
        if route.user.is_some() && route.tls == TlsPolicy::None {
            return Err(format!("route for `{name}`: a password is only sent over TLS, so `tls` cannot be \"none\""));
        }
        if route.user.is_some() && route.host.is_none() {
            return Err(format!("route for `{name}`: `user` needs a relay `host`"));
        }
        if let Some(pool) = &route.pool
            && !pools.iter().any(|p| &p.name == pool)
        {
            return Err(format!("route for `{name}` names pool `{pool}`, which is not defined"));
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn relay_hosts_parse_with_and_without_ports() {
        let parse = |s: &str| RelayHost::try_from(s.to_string());
        assert_eq!(parse("relay.example").unwrap(), RelayHost { name: "relay.example".into(), port: 25 });
        assert_eq!(parse("Relay.Example:587").unwrap(), RelayHost { name: "relay.example".into(), port: 587 });
        assert_eq!(parse("192.0.2.1:2525").unwrap(), RelayHost { name: "192.0.2.1".into(), port: 2525 });
        assert_eq!(parse("[2001:db8::1]:587").unwrap(), RelayHost { name: "2001:db8::1".into(), port: 587 });
        assert_eq!(parse("2001:db8::1").unwrap().port, 25);
        assert_eq!(parse("[2001:db8::1]:587").unwrap().to_string(), "[2001:db8::1]:587");
        assert!(parse("relay.example:99999").is_err());
        assert!(parse("bad host:25").is_err());
    }
}

/// One `[[delivery.destination]]` entry: limits for one recipient domain, or for every site
/// whose mail exchangers are all under one domain (`mx = "google.com"`), which then count as
/// one site.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(try_from = "DestinationEntry")]
pub struct DestinationOverride {
    /// What the limits apply to.
    pub target: DestinationTarget,
    /// Its connection limit, instead of `max_connections_per_destination`.
    pub max_connections: Option<NonZeroUsize>,
    /// Its message rate, instead of `max_rate_per_destination`.
    pub max_rate: Option<Rate>,
}

/// What a `[[delivery.destination]]` entry limits.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DestinationTarget {
    /// One recipient domain (`domain = "example.net"`).
    Domain(Hostname),
    /// The mail exchangers named under this domain (`mx = "google.com"` covers
    /// `aspmx.l.google.com`), with all the recipient domains they serve.
    Mx(Hostname),
}

impl DestinationTarget {
    /// The recipient domain, for a `domain` entry.
    pub fn domain(&self) -> Option<&str> {
        match self {
            DestinationTarget::Domain(domain) => Some(domain.as_str()),
            DestinationTarget::Mx(_) => None,
        }
    }

    /// The domain the mail exchangers are under, for an `mx` entry.
    pub fn mx(&self) -> Option<&str> {
        match self {
            DestinationTarget::Mx(mx) => Some(mx.as_str()),
            DestinationTarget::Domain(_) => None,
        }
    }
}

/// A `[[delivery.destination]]` table as written.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct DestinationEntry {
    domain: Option<Hostname>,
    mx: Option<Hostname>,
    max_connections: Option<NonZeroUsize>,
    max_rate: Option<Rate>,
}

impl TryFrom<DestinationEntry> for DestinationOverride {
    type Error = &'static str;

    fn try_from(entry: DestinationEntry) -> Result<DestinationOverride, &'static str> {
        let target = match (entry.domain, entry.mx) {
            (Some(domain), None) => DestinationTarget::Domain(domain),
            (None, Some(mx)) => DestinationTarget::Mx(mx),
            _ => return Err("a [[delivery.destination]] names either `domain` or `mx`"),
        };
        Ok(DestinationOverride { target, max_connections: entry.max_connections, max_rate: entry.max_rate })
    }
}
