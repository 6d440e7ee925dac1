//! The shard's DNS resolver answering email authentication's questions.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

use hickory_proto::rr::{RData, RecordType};

use crate::dns::{Answer, DnsError, Resolver};
use crate::filter::dnsbl::reversed;
use mailauth::lookup::{Lookup, LookupError};

impl Lookup for Resolver {
    async fn txt(&self, name: &str) -> Result<Vec<String>, LookupError> {
        Resolver::txt(self, name).await.or_else(empty_for_bad_names)
    }

    async fn a(&self, name: &str) -> Result<Vec<Ipv4Addr>, LookupError> {
        let records = records(self, name, RecordType::A).await?;
        Ok(records.iter().filter_map(|r| if let RData::A(a) = r { Some(a.0) } else { None }).collect())
    }

    async fn aaaa(&self, name: &str) -> Result<Vec<Ipv6Addr>, LookupError> {
        let records = records(self, name, RecordType::AAAA).await?;
        Ok(records.iter().filter_map(|r| if let RData::AAAA(a) = r { Some(a.0) } else { None }).collect())
    }

    async fn mx(&self, name: &str) -> Result<Vec<String>, LookupError> {
        let records = records(self, name, RecordType::MX).await?;
        Ok(records
            .iter()
            .filter_map(|r| if let RData::MX(mx) = r { Some(host(&mx.exchange().to_ascii())) } else { None })
            .collect())
    }

    async fn ptr(&self, ip: IpAddr) -> Result<Vec<String>, LookupError> {
        let records = records(self, &reverse_name(ip), RecordType::PTR).await?;
        Ok(records
            .iter()
            .filter_map(|r| if let RData::PTR(p) = r { Some(host(&p.0.to_ascii())) } else { None })
            .collect())
    }
}

/// Records of a type; none when the name or the type does not exist.
async fn records(resolver: &Resolver, name: &str, rtype: RecordType) -> Result<Vec<RData>, LookupError> {
    match resolver.lookup(name, rtype).await {
        Ok(Answer::Records(records)) => Ok(records),
        Ok(Answer::NoSuchName | Answer::NoData) => Ok(Vec::new()),
        Err(e) => empty_for_bad_names(e),
    }
}

/// A name that cannot exist in DNS has no records; anything else is a failed lookup.
fn empty_for_bad_names<T>(e: DnsError) -> Result<Vec<T>, LookupError> {
    match e {
        DnsError::BadName(_) => Ok(Vec::new()),
        e => Err(LookupError(e.to_string())),
    }
}

fn host(name: &str) -> String {
    name.trim_end_matches('.').to_ascii_lowercase()
}

/// `4.3.2.1.in-addr.arpa` or the nibble form under `ip6.arpa`.
pub fn reverse_name(ip: IpAddr) -> String {
    match ip {
        IpAddr::V4(_) => format!("{}.in-addr.arpa", reversed(ip)),
        IpAddr::V6(_) => format!("{}.ip6.arpa", reversed(ip)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reverse_names() {
        assert_eq!(reverse_name("192.0.2.1".parse().unwrap()), "1.2.0.192.in-addr.arpa");
        assert_eq!(
            reverse_name("2001:db8::1".parse().unwrap()),
            "1.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.8.b.d.0.1.0.0.2.ip6.arpa"
        );
    }
}
