//! The DNS stub resolver every part of ringmail that looks names up uses (MX for delivery,
//! TXT for SPF/DKIM/DMARC, A/AAAA, PTR, TLSA): queries go to the configured recursive
//! nameservers from the shard's own executor (glommio UDP, TCP when truncated), and answers are
//! believed only when they match the question. One resolver per shard, with its own cache, so
//! lookups need no locks. With `[dns] dnssec = true` the nameservers are trusted to validate:
//! an answer they mark authentic (AD) counts as secure, which DANE needs.
//!
//! | file | what |
//! |---|---|
//! | `transport.rs` | one exchange with one server over UDP or TCP |
//! | `lookup.rs` | the resolver as `mailauth`'s `Lookup`, and DNSBL queries |
//! | `resolv_conf.rs` | the system's nameservers when none are configured |
//! | `tlsa.rs` | a server's DANE TLSA records, when DNSSEC validated them |

pub mod lookup;
pub mod resolv_conf;
pub mod tlsa;
pub mod transport;

use std::cell::RefCell;
use std::net::{IpAddr, SocketAddr};
use std::str::FromStr;
use std::time::Duration;

use hickory_proto::op::ResponseCode;
use hickory_proto::rr::{Name, RData, Record, RecordType};
use rand::seq::SliceRandom;

use crate::config::DnsConfig;
use dns_proto::cache::Cache;
use dns_proto::wire;

/// CNAMEs followed before a name is given up as a loop.
const MAX_CNAME_CHAIN: usize = 8;

pub use dns_proto::{Answer, DnsError, Secured};

/// Where mail for a domain goes, from its MX records (RFC 5321 section 5.1, RFC 7505).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum MailExchangers {
    /// Hosts in the order to try: by preference, random among equal preference.
    Hosts(Vec<String>),
    /// No MX records: the domain's own address records take mail (implicit MX).
    Implicit,
    /// `MX 0 .`: the domain takes no mail.
    NullMx,
    /// The domain does not exist.
    NoSuchDomain,
}

/// A caching stub resolver; see the module documentation.
#[derive(Debug)]
pub struct Resolver {
    servers: Vec<SocketAddr>,
    timeout: Duration,
    attempts: usize,
    /// Whether the nameservers validate, so that their AD bit is believed.
    dnssec: bool,
    cache: RefCell<Cache>,
}

impl Resolver {
    /// A resolver asking `[dns] nameservers`, or those in `/etc/resolv.conf` when none are set.
    pub fn new(config: &DnsConfig) -> Result<Resolver, DnsError> {
        let servers = if config.nameservers.is_empty() {
            resolv_conf::nameservers(&std::fs::read_to_string("/etc/resolv.conf").unwrap_or_default())
        } else {
            config.nameservers.clone()
        };
        if servers.is_empty() {
            return Err(DnsError::Unavailable("no nameservers configured or in /etc/resolv.conf".into()));
        }
        Ok(Resolver {
            servers,
            timeout: Duration::from_millis(config.timeout_ms.get()),
            attempts: config.attempts.get(),
            dnssec: config.dnssec,
            cache: RefCell::new(Cache::new(config.cache_entries)),
        })
    }

    /// Looks up `name`/`rtype`, following CNAMEs.
    pub async fn lookup(&self, name: &str, rtype: RecordType) -> Result<Answer, DnsError> {
        Ok(self.lookup_secured(name, rtype).await?.answer)
    }

    /// Looks up `name`/`rtype`, following CNAMEs, and says whether DNSSEC validated every step
    /// (never with `[dns] dnssec` off).
    pub async fn lookup_secured(&self, name: &str, rtype: RecordType) -> Result<Secured, DnsError> {
        let mut name = Name::from_str_relaxed(name).map_err(|e| DnsError::BadName(format!("{name}: {e}")))?;
        name.set_fqdn(true);
        let mut secure = self.dnssec;
        for _ in 0..MAX_CNAME_CHAIN {
            if let Some(mut cached) = self.cache.borrow().get(&name, rtype) {
                crate::metrics::dns_cache_hit(rtype);
                cached.secure &= secure;
                return Ok(cached);
            }
            crate::metrics::dns_query(rtype);
            let asked = self.ask(&name, rtype).await;
            if asked.is_err() {
                crate::metrics::dns_query_failed(rtype);
            }
            let (step, authentic) = asked?;
            match step {
                Step::Done(answer, ttl) => {
                    let found = Secured { answer, secure: self.dnssec && authentic };
                    self.cache.borrow_mut().insert(&name, rtype, found.clone(), ttl);
                    return Ok(Secured { secure: secure && found.secure, ..found });
                }
                Step::Follow(target) => {
                    secure &= authentic;
                    name = target;
                }
            }
        }
        Err(DnsError::CnameLoop)
    }

    /// The mail exchangers of `domain`.
    pub async fn mail_exchangers(&self, domain: &str) -> Result<MailExchangers, DnsError> {
        Ok(self.mail_exchangers_secured(domain).await?.0)
    }

    /// The mail exchangers of `domain`, and whether DNSSEC validated them.
    pub async fn mail_exchangers_secured(&self, domain: &str) -> Result<(MailExchangers, bool), DnsError> {
        let Secured { answer, secure } = self.lookup_secured(domain, RecordType::MX).await?;
        let exchangers = match answer {
            Answer::NoSuchName => MailExchangers::NoSuchDomain,
            Answer::NoData => MailExchangers::Implicit,
            Answer::Records(records) => exchangers(&records),
        };
        Ok((exchangers, secure))
    }

    /// The IPv4 and IPv6 addresses of `host` (empty when it has none). A failed lookup of one
    /// family does not hide the addresses of the other.
    pub async fn addresses(&self, host: &str) -> Result<Vec<IpAddr>, DnsError> {
        Ok(self.addresses_secured(host).await?.0)
    }

    /// The addresses of `host`, and whether DNSSEC validated every family that answered.
    pub async fn addresses_secured(&self, host: &str) -> Result<(Vec<IpAddr>, bool), DnsError> {
        let mut out = Vec::new();
        let mut failure = None;
        let mut secure = self.dnssec;
        for rtype in [RecordType::A, RecordType::AAAA] {
            match self.lookup_secured(host, rtype).await {
                Ok(found) => {
                    secure &= found.secure;
                    if let Answer::Records(records) = found.answer {
                        out.extend(records.iter().filter_map(|r| match r {
                            RData::A(a) => Some(IpAddr::V4(a.0)),
                            RData::AAAA(a) => Some(IpAddr::V6(a.0)),
                            _ => None,
                        }));
                    }
                }
                Err(e) => failure = Some(e),
            }
        }
        match failure {
            Some(e) if out.is_empty() => Err(e),
            // A family whose lookup failed was not validated.
            Some(_) => Ok((out, false)),
            None => Ok((out, secure)),
        }
    }

    /// The TXT records of `name`, each with its strings joined (as SPF and DKIM read them).
    pub async fn txt(&self, name: &str) -> Result<Vec<String>, DnsError> {
        let Answer::Records(records) = self.lookup(name, RecordType::TXT).await? else { return Ok(Vec::new()) };
        Ok(records
            .iter()
            .filter_map(|r| match r {
                RData::TXT(txt) => {
                    Some(txt.txt_data().iter().map(|part| String::from_utf8_lossy(part)).collect::<String>())
                }
                _ => None,
            })
            .collect())
    }

    /// One question to the nameservers, in turn, for `attempts` rounds: what it means, and
    /// whether the answer came marked authentic.
    async fn ask(&self, name: &Name, rtype: RecordType) -> Result<(Step, bool), DnsError> {
        let mut last_error = String::from("no attempt made");
        for _ in 0..self.attempts {
            for &server in &self.servers {
                match self.exchange(server, name, rtype).await {
                    Ok(response) => match response.code {
                        ResponseCode::NoError => {
                            let step = follow(name, rtype, response.answers, response.negative_ttl)?;
                            return Ok((step, response.authentic));
                        }
                        ResponseCode::NXDomain => {
                            let step = Step::Done(Answer::NoSuchName, response.negative_ttl.unwrap_or(0));
                            return Ok((step, response.authentic));
                        }
                        code => last_error = format!("{server} answered {code}"),
                    },
                    Err(e) => last_error = format!("{server}: {e}"),
                }
            }
        }
        Err(DnsError::Unavailable(last_error))
    }

    /// One exchange with one server: UDP, then TCP if the answer was truncated.
    async fn exchange(&self, server: SocketAddr, name: &Name, rtype: RecordType) -> Result<wire::Response, String> {
        let id: u16 = rand::random();
        let query = wire::query(id, name, rtype).map_err(|e| e.to_string())?;
        let bytes = transport::udp(server, &query, self.timeout).await.map_err(|e| e.to_string())?;
        let response = wire::response(&bytes, id, name, rtype).map_err(|e| e.to_string())?;
        if !response.truncated {
            return Ok(response);
        }
        let bytes = transport::tcp(server, &query, self.timeout).await.map_err(|e| format!("TCP: {e}"))?;
        wire::response(&bytes, id, name, rtype).map_err(|e| e.to_string())
    }
}

/// The hosts of MX `records`: by preference, shuffled among equal ones; `MX 0 .` alone is a
/// null MX.
fn exchangers(records: &[RData]) -> MailExchangers {
    let mut found: Vec<(u16, String)> = records
        .iter()
        .filter_map(|r| match r {
            RData::MX(mx) => Some((mx.preference(), mx.exchange().to_ascii())),
            _ => None,
        })
        .collect();
    if found.len() == 1 && found[0].1 == "." {
        return MailExchangers::NullMx;
    }
    found.shuffle(&mut rand::thread_rng());
    found.sort_by_key(|(preference, _)| *preference);
    MailExchangers::Hosts(found.into_iter().map(|(_, host)| host.trim_end_matches('.').to_string()).collect())
}

/// What one answer means for the lookup.
enum Step {
    /// The answer and how long it may be cached.
    Done(Answer, u32),
    /// The name is a CNAME whose target's records were not in the answer: ask for the target.
    Follow(Name),
}

/// Follows the CNAME chain inside an answer section from `name` and collects the `rtype`
/// records of the name it ends at.
fn follow(name: &Name, rtype: RecordType, answers: Vec<Record>, negative_ttl: Option<u32>) -> Result<Step, DnsError> {
    let mut owner = name.clone();
    let mut ttl = u32::MAX;
    for _ in 0..=MAX_CNAME_CHAIN {
        let records: Vec<&Record> = answers.iter().filter(|r| r.name() == &owner && r.record_type() == rtype).collect();
        if !records.is_empty() {
            let ttl = records.iter().map(|r| r.ttl()).fold(ttl, u32::min);
            return Ok(Step::Done(Answer::Records(records.into_iter().map(|r| r.data().clone()).collect()), ttl));
        }
        let cname = answers.iter().find_map(|r| match r.data() {
            RData::CNAME(target) if r.name() == &owner && rtype != RecordType::CNAME => {
                Some((target.0.clone(), r.ttl()))
            }
            _ => None,
        });
        match cname {
            Some((target, cname_ttl)) => {
                ttl = ttl.min(cname_ttl);
                owner = target;
            }
            None if owner == *name => return Ok(Step::Done(Answer::NoData, negative_ttl.unwrap_or(0))),
            None => return Ok(Step::Follow(owner)),
        }
    }
    Err(DnsError::CnameLoop)
}

/// Parses a nameserver given as `ip` or `ip:port` (port 53 by default).
pub fn parse_nameserver(text: &str) -> Option<SocketAddr> {
    SocketAddr::from_str(text).ok().or_else(|| IpAddr::from_str(text).ok().map(|ip| SocketAddr::new(ip, 53)))
}

#[cfg(test)]
mod tests {
    use hickory_proto::rr::rdata::{A, CNAME};

    use super::*;

    fn name(s: &str) -> Name {
        Name::from_str(s).unwrap()
    }

    #[test]
    fn cname_chains_inside_one_answer_are_followed() {
        let answers = vec![
            Record::from_rdata(name("www.example."), 300, RData::CNAME(CNAME(name("web.example.")))),
            Record::from_rdata(name("web.example."), 60, RData::A(A::new(192, 0, 2, 8))),
        ];
        match follow(&name("www.example."), RecordType::A, answers, None).unwrap() {
            Step::Done(Answer::Records(r), ttl) => {
                assert_eq!(r, vec![RData::A(A::new(192, 0, 2, 8))]);
                assert_eq!(ttl, 60, "the smallest TTL on the chain");
            }
            _ => panic!("expected records"),
        }
        let dangling = vec![Record::from_rdata(name("a.example."), 300, RData::CNAME(CNAME(name("b.example."))))];
        assert!(
            matches!(follow(&name("a.example."), RecordType::A, dangling, None), Ok(Step::Follow(n)) if n == name("b.example."))
        );
        assert!(matches!(
            follow(&name("a.example."), RecordType::A, vec![], Some(30)),
            Ok(Step::Done(Answer::NoData, 30))
        ));
        let looping = vec![
            Record::from_rdata(name("a.example."), 300, RData::CNAME(CNAME(name("b.example.")))),
            Record::from_rdata(name("b.example."), 300, RData::CNAME(CNAME(name("a.example.")))),
        ];
        assert!(matches!(follow(&name("a.example."), RecordType::A, looping, None), Err(DnsError::CnameLoop)));
    }

    #[test]
    fn nameserver_syntax() {
        assert_eq!(parse_nameserver("192.0.2.1"), Some("192.0.2.1:53".parse().unwrap()));
        assert_eq!(parse_nameserver("127.0.0.1:5353"), Some("127.0.0.1:5353".parse().unwrap()));
        assert_eq!(parse_nameserver("[::1]:53"), Some("[::1]:53".parse().unwrap()));
        assert_eq!(parse_nameserver("::1"), Some("[::1]:53".parse().unwrap()));
        assert_eq!(parse_nameserver("resolver.example"), None);
    }
}
