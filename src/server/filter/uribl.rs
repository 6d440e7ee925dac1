//! Domain blocklists (URIBL/DBL style): a domain is listed when `domain.zone` has an A record
//! in 127.0.0.0/8 (127.255.255.x means "query refused", not listed). Failures count as not
//! listed: a broken blocklist never stops mail.

use mailauth::lookup::Lookup;

/// The domains of `domains` that any of `zones` lists.
pub async fn listed<L: Lookup>(lookup: &L, domains: &[String], zones: &[String]) -> Vec<String> {
    let mut listed = Vec::new();
    for domain in domains {
        for zone in zones {
            let Ok(answers) = lookup.a(&format!("{domain}.{zone}")).await else { continue };
            if answers.iter().any(|a| a.octets()[0] == 127 && a.octets()[1..3] != [255, 255]) {
                listed.push(domain.clone());
                break;
            }
        }
    }
    listed
}

#[cfg(test)]
mod tests {
    use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

    use super::*;
    use mailauth::lookup::LookupError;

    struct Zone;

    impl Lookup for Zone {
        async fn txt(&self, _: &str) -> Result<Vec<String>, LookupError> {
            Ok(vec![])
        }
        async fn a(&self, name: &str) -> Result<Vec<Ipv4Addr>, LookupError> {
            match name {
                "bad.example.dbl.test" => Ok(vec![Ipv4Addr::new(127, 0, 1, 2)]),
                "refused.example.dbl.test" => Ok(vec![Ipv4Addr::new(127, 255, 255, 254)]),
                "broken.example.dbl.test" => Err(LookupError("timeout".into())),
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

    #[test]
    fn listed_domains_refusals_and_failures() {
        let domains: Vec<String> =
            ["bad.example", "good.example", "refused.example", "broken.example"].map(String::from).to_vec();
        let found = futures_lite::future::block_on(listed(&Zone, &domains, &["dbl.test".to_string()]));
        assert_eq!(found, vec!["bad.example".to_string()]);
    }
}
