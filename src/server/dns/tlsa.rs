//! The DANE TLSA records of a server (RFC 7672 2.2): asked for at `_port._tcp.host`, and
//! believed only when DNSSEC validated them.

use hickory_proto::rr::{RData, RecordType};
use mailauth::dane::Tlsa;

use super::{Answer, DnsError, Resolver};

/// What a server's TLSA records say of its TLS.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ServerTlsa {
    /// No validated TLSA records (none, or not validated): DANE does not apply.
    None,
    /// Validated records, these usable ones among them: DANE applies.
    Usable(Vec<Tlsa>),
    /// Validated records, none of them usable: TLS is required, unauthenticated.
    Unusable,
}

impl Resolver {
    /// The TLSA records of `host` on TCP `port`. A failed lookup, a bogus answer included
    /// (a validating resolver answers SERVFAIL), is an error: the host must then not be used.
    pub async fn tlsa(&self, host: &str, port: u16) -> Result<ServerTlsa, DnsError> {
        let found = self.lookup_secured(&format!("_{port}._tcp.{host}"), RecordType::TLSA).await?;
        let records: Vec<Tlsa> = match found.answer {
            Answer::Records(records) if found.secure => records
                .iter()
                .filter_map(|r| match r {
                    RData::TLSA(t) => Some(Tlsa {
                        usage: t.cert_usage().into(),
                        selector: t.selector().into(),
                        matching: t.matching().into(),
                        data: t.cert_data().to_vec(),
                    }),
                    _ => None,
                })
                .collect(),
            _ => return Ok(ServerTlsa::None),
        };
        if records.is_empty() {
            return Ok(ServerTlsa::None);
        }
        let usable: Vec<Tlsa> = records.into_iter().filter(Tlsa::usable).collect();
        Ok(if usable.is_empty() { ServerTlsa::Unusable } else { ServerTlsa::Usable(usable) })
    }
}
