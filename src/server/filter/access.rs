//! The local allow and block lists (`ringmail allow|block add|del|list`): client networks,
//! sender domains and sender addresses. A blocked network is refused at connect, a blocked
//! sender at MAIL FROM; an allowed network or sender skips the DNS blocklists.

use std::net::IpAddr;

use ipnet::IpNet;

pub use admin_proto::List;

/// One entry: a network (`192.0.2.0/24`, or an address), a domain (`example.com`, which
/// covers its subdomains) or an address (`user@example.com`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Entry {
    /// Client addresses.
    Network(IpNet),
    /// Envelope senders in this domain or its subdomains.
    Domain(String),
    /// One envelope sender.
    Address(String),
}

impl Entry {
    /// Parses an entry; the text says what was expected.
    pub fn parse(text: &str) -> Result<Entry, String> {
        let text = text.trim();
        if let Ok(net) = text.parse::<IpNet>() {
            return Ok(Entry::Network(net.trunc()));
        }
        if let Ok(ip) = text.parse::<IpAddr>() {
            return Ok(Entry::Network(IpNet::from(ip)));
        }
        let name_ok = |d: &str| {
            !d.is_empty()
                && d.contains('.')
                && d.split('.').all(|l| !l.is_empty() && l.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-'))
        };
        match text.rsplit_once('@') {
            Some((local, domain)) if !local.is_empty() && name_ok(domain) => Ok(Entry::Address(text.to_lowercase())),
            None if name_ok(text) => Ok(Entry::Domain(text.to_ascii_lowercase())),
            _ => Err(format!("{text}: not a network, a domain or an address")),
        }
    }

    /// The entry as stored and listed.
    pub fn text(&self) -> String {
        match self {
            Entry::Network(net) if net.prefix_len() == net.max_prefix_len() => net.addr().to_string(),
            Entry::Network(net) => net.to_string(),
            Entry::Domain(d) | Entry::Address(d) => d.clone(),
        }
    }

    /// Whether the entry covers the client address `ip`.
    pub fn covers_client(&self, ip: IpAddr) -> bool {
        matches!(self, Entry::Network(net) if net.contains(&ip))
    }

    /// Whether the entry covers the envelope sender `sender` (lower case).
    pub fn covers_sender(&self, sender: &str) -> bool {
        let domain = sender.rsplit_once('@').map_or("", |(_, d)| d);
        match self {
            Entry::Network(_) => false,
            Entry::Address(a) => a == sender,
            Entry::Domain(d) => domain == d || domain.strip_suffix(d.as_str()).is_some_and(|s| s.ends_with('.')),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn entries_parse_and_match() {
        let net = Entry::parse("192.0.2.77/24").unwrap();
        assert_eq!(net.text(), "192.0.2.0/24");
        assert!(net.covers_client("192.0.2.1".parse().unwrap()));
        assert!(!net.covers_client("192.0.3.1".parse().unwrap()));
        assert_eq!(Entry::parse("2001:db8::1").unwrap().text(), "2001:db8::1");
        let domain = Entry::parse("Spam.Example").unwrap();
        assert!(domain.covers_sender("x@spam.example"));
        assert!(domain.covers_sender("x@mail.spam.example"));
        assert!(!domain.covers_sender("x@notspam.example"));
        let address = Entry::parse("Bad@Example.com").unwrap();
        assert!(address.covers_sender("bad@example.com"));
        assert!(!address.covers_sender("good@example.com"));
        assert!(Entry::parse("not an entry").is_err());
        assert!(Entry::parse("localhost").is_err(), "a bare name is not a domain here");
    }
}
