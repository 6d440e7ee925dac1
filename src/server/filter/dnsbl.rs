//! DNS blocklists (RFC 5782): a client address is listed on a zone when
//! `<reversed address>.<zone>` has an A record, whose value says why; a TXT record there
//! carries the text to show. A lookup that fails never blocks mail.

use std::fmt;
use std::net::{IpAddr, Ipv4Addr};

use serde::Deserialize;

use mailauth::lookup::Lookup;

/// One blocklist zone and the answers that count as listed.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(try_from = "String")]
pub struct Zone {
    /// The zone, e.g. `zen.spamhaus.org`.
    pub name: String,
    /// The answers that count; empty means any `127.0.0.0/8` answer except `127.255.255.x`
    /// (which zones use to say "query refused", not "listed").
    pub codes: Vec<Ipv4Addr>,
}

impl TryFrom<String> for Zone {
    type Error = String;

    /// `zone` or `zone=127.0.0.2,127.0.0.4`.
    fn try_from(text: String) -> Result<Zone, String> {
        let (name, codes) = text.split_once('=').unwrap_or((&text, ""));
        let name = name.trim().trim_end_matches('.').to_ascii_lowercase();
        let valid = name.contains('.')
            && name.split('.').all(|l| !l.is_empty() && l.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-'));
        if !valid {
            return Err(format!("dnsbl zone `{text}`: expected `zone` or `zone=127.0.0.2,127.0.0.3`"));
        }
        let codes = codes
            .split(',')
            .map(str::trim)
            .filter(|c| !c.is_empty())
            .map(|c| c.parse::<Ipv4Addr>().map_err(|_| format!("dnsbl zone `{text}`: `{c}` is not an address")))
            .collect::<Result<Vec<_>, _>>()?;
        Ok(Zone { name, codes })
    }
}

impl Zone {
    fn counts(&self, answer: Ipv4Addr) -> bool {
        if self.codes.is_empty() {
            let [a, b, c, _] = answer.octets();
            a == 127 && !(b == 255 && c == 255)
        } else {
            self.codes.contains(&answer)
        }
    }
}

/// A listing found for a client.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Listing {
    /// The zone that lists it.
    pub zone: String,
    /// The zone's text for it, if it publishes one.
    pub text: Option<String>,
}

impl fmt::Display for Listing {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.text {
            Some(text) => write!(f, "{}: {}", self.zone, text),
            None => f.write_str(&self.zone),
        }
    }
}

/// The address in the order DNS names it: `4.3.2.1` for 1.2.3.4, 32 nibbles for IPv6.
pub fn reversed(ip: IpAddr) -> String {
    match ip {
        IpAddr::V4(v4) => {
            let [a, b, c, d] = v4.octets();
            format!("{d}.{c}.{b}.{a}")
        }
        IpAddr::V6(v6) => {
            let mut out = String::with_capacity(64);
            for (i, byte) in v6.octets().iter().rev().enumerate() {
                if i > 0 {
                    out.push('.');
                }
                out.push_str(&format!("{:x}.{:x}", byte & 0xf, byte >> 4));
            }
            out
        }
    }
}

/// The first zone of `zones` that lists `ip`, with its text. Lookups that fail count as not
/// listed: a broken blocklist must never stop mail.
pub async fn check<L: Lookup>(lookup: &L, ip: IpAddr, zones: &[Zone]) -> Option<Listing> {
    let ip = match ip {
        IpAddr::V6(v6) => v6.to_ipv4_mapped().map_or(ip, IpAddr::V4),
        v4 => v4,
    };
    for zone in zones {
        let name = format!("{}.{}", reversed(ip), zone.name);
        let Ok(answers) = lookup.a(&name).await else { continue };
        if answers.iter().any(|a| zone.counts(*a)) {
            let text = lookup.txt(&name).await.ok().and_then(|t| t.into_iter().next());
            let text = text.map(|t| t.chars().filter(|c| c.is_ascii_graphic() || *c == ' ').take(200).collect());
            return Some(Listing { zone: zone.name.clone(), text });
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;
    use mailauth::lookup::LookupError;
    use std::net::Ipv6Addr;

    struct Zones;

    impl Lookup for Zones {
        async fn txt(&self, name: &str) -> Result<Vec<String>, LookupError> {
            Ok(if name == "2.0.0.127.bl.example" {
                vec!["listed: see https://bl.example/q\r\n".into()]
            } else {
                vec![]
            })
        }
        async fn a(&self, name: &str) -> Result<Vec<Ipv4Addr>, LookupError> {
            match name {
                "2.0.0.127.bl.example" => Ok(vec![Ipv4Addr::new(127, 0, 0, 2)]),
                "3.0.0.127.bl.example" => Ok(vec![Ipv4Addr::new(127, 0, 0, 10)]),
                "4.0.0.127.bl.example" => Ok(vec![Ipv4Addr::new(127, 255, 255, 254)]),
                "2.0.0.127.broken.example" => Err(LookupError("timeout".into())),
                _ => Ok(vec![]),
            }
        }
        async fn aaaa(&self, _: &str) -> Result<Vec<Ipv6Addr>, LookupError> {
            Ok(vec![])
        }
        async fn mx(&self, _: &str) -> Result<Vec<String>, LookupError> {
            Ok(vec![])
        }
        async fn ptr(&self, _: IpAddr) -> Result<Vec<String>, LookupError> {
            Ok(vec![])
        }
    }

    fn zone(text: &str) -> Zone {
        Zone::try_from(text.to_string()).unwrap()
    }

    fn listed(ip: &str, zones: &[Zone]) -> Option<Listing> {
        futures_lite::future::block_on(check(&Zones, ip.parse().unwrap(), zones))
    }

    #[test]
    fn listings_follow_the_zone_codes() {
        let any = [zone("broken.example"), zone("BL.example.")];
        let found = listed("127.0.0.2", &any).unwrap();
        assert_eq!(found.to_string(), "bl.example: listed: see https://bl.example/q");
        assert!(listed("127.0.0.3", &any).is_some());
        assert!(listed("127.0.0.4", &any).is_none(), "127.255.255.x is an error code, not a listing");
        assert!(listed("127.0.0.5", &any).is_none());
        assert!(listed("::ffff:127.0.0.2", &any).is_some(), "IPv4-mapped addresses are looked up as IPv4");
        let only_two = [zone("bl.example=127.0.0.2")];
        assert!(listed("127.0.0.2", &only_two).is_some());
        assert!(listed("127.0.0.3", &only_two).is_none());
        assert!(Zone::try_from("bl.example=banana".to_string()).is_err());
        assert!(Zone::try_from("no dots".to_string()).is_err());
    }

    #[test]
    fn reversed_names() {
        assert_eq!(reversed("192.0.2.1".parse().unwrap()), "1.2.0.192");
        assert_eq!(
            reversed("2001:db8::1".parse().unwrap()),
            "1.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.8.b.d.0.1.0.0.2"
        );
    }
}
