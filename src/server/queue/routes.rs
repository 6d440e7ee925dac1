//! Which way a group of recipients leaves: the `[[route]]` for its domain (relay host, TLS
//! policy, AUTH) and the `[[pool]]` source address it connects from.

use std::cell::Cell;
use std::net::IpAddr;

use crate::config::Config;
use crate::config::outbound::{DomainPattern, RelayHost, Route, TlsPolicy};
use store::directory::domain_of;

/// How one attempt connects.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Plan {
    /// The relay host to use instead of the MX hosts.
    pub relay: Option<RelayHost>,
    /// STARTTLS policy.
    pub tls: TlsPolicy,
    /// AUTH user and password at the relay.
    pub login: Option<(String, String)>,
    /// Local address to connect from; the kernel picks when `None`.
    pub source: Option<IpAddr>,
    /// The name to say in EHLO.
    pub helo: String,
    /// The pool's warm-up, when its addresses follow one: `source` is then chosen again at
    /// the site, among these.
    pub warmup: Option<Warming>,
}

/// A pool whose addresses warm up.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Warming {
    /// The schedule's name.
    pub schedule: String,
    /// The pool's addresses, in order.
    pub addresses: Vec<IpAddr>,
}

/// A pool with its round-robin position (per shard: no locks).
struct PoolState {
    name: String,
    addresses: Vec<IpAddr>,
    helo: String,
    sender_domains: Vec<String>,
    warmup: Option<String>,
    next: Cell<usize>,
}

/// The configured routes and pools of one shard.
pub struct Routes {
    routes: Vec<Route>,
    pools: Vec<PoolState>,
    hostname: String,
}

impl Routes {
    /// Routes and pools from the configuration.
    pub fn new(config: &Config) -> Routes {
        let hostname = config.hostname.to_string();
        let pools = config
            .pool
            .iter()
            .map(|p| PoolState {
                name: p.name.clone(),
                addresses: p.addresses.clone(),
                helo: p.ehlo.as_ref().map_or_else(|| hostname.clone(), |h| h.to_string()),
                sender_domains: p.sender_domains.iter().map(|d| d.to_string()).collect(),
                warmup: p.warmup.clone(),
                next: Cell::new(0),
            })
            .collect();
        Routes { routes: config.route.clone(), pools, hostname }
    }

    /// The plan for mail from `sender` to `domain` (lower case). Each call takes the next
    /// address of the pool.
    pub fn plan(&self, domain: &str, sender: &str) -> Plan {
        let route = self
            .routes
            .iter()
            .find(|r| matches!(&r.domain, DomainPattern::Domain(d) if d.as_str() == domain))
            .or_else(|| self.routes.iter().find(|r| r.domain == DomainPattern::Any));
        let sender_domain = domain_of(sender).to_ascii_lowercase();
        let pool = match route.and_then(|r| r.pool.as_ref()) {
            Some(name) => self.pools.iter().find(|p| &p.name == name),
            None => self.pools.iter().find(|p| p.sender_domains.contains(&sender_domain)),
        };
        let source = pool.map(|p| {
            let i = p.next.get();
            p.next.set(i.wrapping_add(1));
            p.addresses[i % p.addresses.len()]
        });
        Plan {
            relay: route.and_then(|r| r.host.clone()),
            tls: route.map_or(TlsPolicy::Opportunistic, |r| r.tls),
            login: route.and_then(|r| Some((r.user.clone()?, r.password.clone()?))),
            source,
            helo: pool.map_or_else(|| self.hostname.clone(), |p| p.helo.clone()),
            warmup: pool.and_then(|p| Some(Warming { schedule: p.warmup.clone()?, addresses: p.addresses.clone() })),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn routes(toml: &str) -> Routes {
        Routes::new(&Config::from_toml(toml, "test.toml").unwrap())
    }

    #[test]
    fn a_domain_route_wins_over_the_wildcard_and_mx_delivery_is_the_default() {
        let r = routes(
            "hostname = \"mx.a.example\"\n\
             [[route]]\ndomain = \"*\"\nhost = \"smart.example:587\"\ntls = \"required\"\nuser = \"u\"\npassword = \"p\"\n\
             [[route]]\ndomain = \"direct.example\"\ntls = \"none\"\n",
        );
        let plan = r.plan("other.example", "alice@a.example");
        assert_eq!(plan.relay.unwrap().to_string(), "smart.example:587");
        assert_eq!((plan.tls, plan.login), (TlsPolicy::Required, Some(("u".into(), "p".into()))));
        let plan = r.plan("direct.example", "alice@a.example");
        assert_eq!((plan.relay, plan.tls, plan.login), (None, TlsPolicy::None, None));
        let plain = routes("").plan("x.example", "a@b.example");
        assert_eq!(
            (plain.relay, plain.tls, plain.source, plain.helo.as_str()),
            (None, TlsPolicy::Opportunistic, None, "localhost")
        );
    }

    #[test]
    fn pools_go_round_robin_and_are_picked_by_route_or_sender_domain() {
        let r = routes(
            "[[pool]]\nname = \"bulk\"\naddresses = [\"192.0.2.1\", \"192.0.2.2\"]\nehlo = \"bulk.example\"\n\
             [[pool]]\nname = \"news\"\naddresses = [\"192.0.2.9\"]\nsender_domains = [\"news.example\"]\n\
             [[route]]\ndomain = \"big.example\"\npool = \"bulk\"\n",
        );
        let sources: Vec<_> = (0..3).map(|_| r.plan("big.example", "a@news.example").source.unwrap()).collect();
        assert_eq!(sources, ["192.0.2.1", "192.0.2.2", "192.0.2.1"].map(|a| a.parse::<IpAddr>().unwrap()));
        assert_eq!(r.plan("big.example", "a@x.example").helo, "bulk.example");
        let news = r.plan("small.example", "a@News.Example");
        assert_eq!((news.source, news.helo.as_str()), (Some("192.0.2.9".parse().unwrap()), "localhost"));
        assert_eq!(r.plan("small.example", "a@x.example").source, None);
    }

    #[test]
    fn inconsistent_routes_are_refused_when_loading() {
        let err = |toml: &str| Config::from_toml(toml, "t.toml").unwrap_err().to_string();
        assert!(err("[[route]]\ndomain = \"*\"\npool = \"nope\"\n").contains("pool `nope`"));
        assert!(err("[[route]]\ndomain = \"*\"\nhost = \"h\"\nuser = \"u\"\n").contains("go together"));
        assert!(
            err("[[route]]\ndomain = \"*\"\nhost = \"h\"\ntls = \"none\"\nuser = \"u\"\npassword = \"p\"\n")
                .contains("only sent over TLS")
        );
        assert!(err("[[pool]]\nname = \"p\"\naddresses = []\n").contains("no addresses"));
        assert!(err("[[route]]\ndomain = \"*\"\ntls = \"sometimes\"\n").contains("tls"));
    }
}
