//! DKIM signing keys: make one (and print the DNS record to publish), list them, delete one.
//! Shards pick up changes within a minute (see `mailauth/signing.rs`).

use std::fmt::Write as _;

use super::{AdminContext, AdminError};
use mailauth::dkim::{self, KeyType, SigningKey};
use store::journal::{DkimOp, JournalOp};
use store::records::DkimKey;
use store::unix_now;

pub use admin_proto::DkimRequest;

/// Runs a DKIM key request.
pub fn execute(ctx: &AdminContext, request: DkimRequest) -> Result<Vec<u8>, AdminError> {
    let mut out = String::new();
    match request {
        DkimRequest::Generate { domain, selector, algorithm } => {
            let domain = checked_name(&domain)?;
            let selector = checked_name(&selector)?;
            let key_type = KeyType::parse(&algorithm)
                .ok_or_else(|| AdminError(format!("{algorithm}: the algorithm is ed25519 or rsa")))?;
            let (pkcs8, record) = dkim::generate(key_type).map_err(|e| AdminError(e.to_string()))?;
            let algorithm = SigningKey::from_pkcs8_der(&pkcs8).map_err(|e| AdminError(e.to_string()))?.algorithm();
            let key = DkimKey { algorithm: algorithm.as_str().to_string(), pkcs8, created: unix_now() };
            let op = DkimOp::Put { domain: domain.clone(), selector: selector.clone(), key };
            ctx.journal.submit_blocking(JournalOp::Dkim(op))?;
            let _ = writeln!(out, "{}", zone_line(&domain, &selector, &record));
        }
        DkimRequest::List => {
            for (domain, selector, key) in ctx.store.all_dkim_keys()? {
                let record = SigningKey::from_pkcs8_der(&key.pkcs8)
                    .map(|k| k.public_key_record())
                    .unwrap_or_else(|e| format!("unusable key: {e}"));
                let _ = writeln!(out, "{domain}\t{selector}\t{}\t{record}", key.algorithm);
            }
        }
        DkimRequest::Del { domain, selector } => {
            let op = DkimOp::Delete { domain: domain.clone(), selector: selector.clone() };
            ctx.journal.submit_blocking(JournalOp::Dkim(op))?;
            let _ = writeln!(out, "key {selector} of {domain} deleted");
        }
    }
    Ok(out.into_bytes())
}

/// The record as a zone file line, its text split into strings of at most 255 octets (RFC 1035).
fn zone_line(domain: &str, selector: &str, record: &str) -> String {
    let strings: Vec<String> =
        record.as_bytes().chunks(255).map(|c| format!("\"{}\"", String::from_utf8_lossy(c))).collect();
    format!("{selector}._domainkey.{domain}. IN TXT ( {} )", strings.join(" "))
}

/// A lower-case DNS name made of letters, digits, hyphens and dots.
fn checked_name(name: &str) -> Result<String, AdminError> {
    let valid = !name.is_empty()
        && name
            .split('.')
            .all(|l| !l.is_empty() && l.len() <= 63 && l.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-'));
    if valid { Ok(name.to_ascii_lowercase()) } else { Err(AdminError(format!("{name}: not a valid DNS name"))) }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn long_records_are_split_into_255_octet_strings() {
        let record = format!("v=DKIM1; k=rsa; p={}", "A".repeat(400));
        let line = zone_line("example.org", "s1", &record);
        assert!(line.starts_with("s1._domainkey.example.org. IN TXT ( \"v=DKIM1; k=rsa; p="));
        let joined: String = line.split('"').skip(1).step_by(2).collect();
        assert_eq!(joined, record);
        assert_eq!(line.matches('"').count(), 4, "two strings");
    }
}
