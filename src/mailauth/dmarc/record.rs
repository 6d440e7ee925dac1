//! The DMARC policy record (RFC 7489 section 6.3), published as TXT at `_dmarc.<domain>`.

use std::fmt;

/// What a domain asks receivers to do with mail that fails DMARC.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Policy {
    /// Only report.
    None,
    /// Treat as suspicious (deliver to Junk).
    Quarantine,
    /// Refuse it.
    Reject,
}

impl Policy {
    fn parse(value: &str) -> Option<Policy> {
        match value.to_ascii_lowercase().as_str() {
            "none" => Some(Policy::None),
            "quarantine" => Some(Policy::Quarantine),
            "reject" => Some(Policy::Reject),
            _ => None,
        }
    }

    /// The next gentler policy, for mail outside the `pct` sample (section 6.6.4).
    pub fn gentler(self) -> Policy {
        match self {
            Policy::Reject => Policy::Quarantine,
            _ => Policy::None,
        }
    }
}

impl fmt::Display for Policy {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Policy::None => "none",
            Policy::Quarantine => "quarantine",
            Policy::Reject => "reject",
        })
    }
}

/// Identifier alignment mode (`adkim`, `aspf`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Alignment {
    /// Same organizational domain.
    #[default]
    Relaxed,
    /// Exactly the same domain.
    Strict,
}

/// A parsed DMARC record.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Record {
    /// `p`: policy for the domain.
    pub policy: Policy,
    /// `sp`: policy for its subdomains (defaults to `p`).
    pub subdomain_policy: Option<Policy>,
    /// `pct`: percentage of failing mail the policy applies to.
    pub percent: u8,
    /// `adkim`.
    pub dkim_alignment: Alignment,
    /// `aspf`.
    pub spf_alignment: Alignment,
    /// `rua`: where aggregate reports go (`mailto:` addresses, size limits stripped).
    pub aggregate_reports: Vec<String>,
    /// `ri`: seconds between aggregate reports.
    pub report_interval: u32,
}

/// Why a TXT record is not a usable DMARC record.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum RecordError {
    /// It does not start with `v=DMARC1`.
    #[error("not a DMARC record")]
    NotDmarc,
    /// A tag is malformed or a required one is missing.
    #[error("invalid DMARC record: {0}")]
    Invalid(&'static str),
}

impl Record {
    /// Parses a record. Unknown tags are ignored; a bad `p` with a valid `rua` is read as
    /// `p=none` (section 6.6.3), otherwise the record is invalid.
    pub fn parse(text: &str) -> Result<Record, RecordError> {
        let mut tags = text.split(';').map(str::trim).filter(|t| !t.is_empty());
        let version = tags.next().and_then(|t| t.split_once('=')).map(|(k, v)| (k.trim(), v.trim()));
        if version != Some(("v", "DMARC1")) {
            return Err(RecordError::NotDmarc);
        }
        let mut record = Record {
            policy: Policy::None,
            subdomain_policy: None,
            percent: 100,
            dkim_alignment: Alignment::Relaxed,
            spf_alignment: Alignment::Relaxed,
            aggregate_reports: Vec::new(),
            report_interval: 86_400,
        };
        let mut policy = None;
        for tag in tags {
            let Some((key, value)) = tag.split_once('=') else { return Err(RecordError::Invalid("tag without =")) };
            let value = value.trim();
            match key.trim().to_ascii_lowercase().as_str() {
                "p" => policy = Some(Policy::parse(value)),
                "sp" => record.subdomain_policy = Policy::parse(value),
                "pct" => record.percent = value.parse::<u8>().ok().filter(|p| *p <= 100).unwrap_or(100),
                "adkim" => record.dkim_alignment = alignment(value),
                "aspf" => record.spf_alignment = alignment(value),
                "ri" => record.report_interval = value.parse().unwrap_or(86_400),
                "rua" => record.aggregate_reports = mailto_list(value),
                _ => {}
            }
        }
        record.policy = match policy {
            Some(Some(p)) => p,
            _ if !record.aggregate_reports.is_empty() => Policy::None,
            _ => return Err(RecordError::Invalid("no valid p= tag")),
        };
        Ok(record)
    }

    /// The policy for mail from the domain itself, or (`subdomain`) from a subdomain of it:
    /// `sp`, which defaults to `p`.
    pub fn policy_for(&self, subdomain: bool) -> Policy {
        if subdomain { self.subdomain_policy.unwrap_or(self.policy) } else { self.policy }
    }
}

fn alignment(value: &str) -> Alignment {
    if value.eq_ignore_ascii_case("s") { Alignment::Strict } else { Alignment::Relaxed }
}

/// The `mailto:` addresses of a URI list, without `!size` limits.
fn mailto_list(value: &str) -> Vec<String> {
    value
        .split(',')
        .filter_map(|uri| {
            let uri = uri.trim();
            let address = uri.get(..7).filter(|s| s.eq_ignore_ascii_case("mailto:")).map(|_| &uri[7..])?;
            let address = address.split('!').next().unwrap_or(address);
            (address.contains('@')).then(|| address.to_string())
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_full_record() {
        let r = Record::parse(
            "v=DMARC1; p=quarantine; sp=reject; pct=20; adkim=s; aspf=r; rua=mailto:a@x.example!10m, mailto:b@y.example; fo=1",
        )
        .unwrap();
        assert_eq!(r.policy, Policy::Quarantine);
        assert_eq!(r.subdomain_policy, Some(Policy::Reject));
        assert_eq!(r.percent, 20);
        assert_eq!((r.dkim_alignment, r.spf_alignment), (Alignment::Strict, Alignment::Relaxed));
        assert_eq!(r.aggregate_reports, ["a@x.example", "b@y.example"]);
    }

    #[test]
    fn version_first_and_policy_required() {
        assert_eq!(Record::parse("p=reject; v=DMARC1"), Err(RecordError::NotDmarc));
        assert_eq!(Record::parse("v=spf1 -all"), Err(RecordError::NotDmarc));
        assert!(matches!(Record::parse("v=DMARC1; p=bogus"), Err(RecordError::Invalid(_))));
        assert!(matches!(Record::parse("v=DMARC1"), Err(RecordError::Invalid(_))));
        let lenient = Record::parse("v=DMARC1; p=bogus; rua=mailto:r@x.example").unwrap();
        assert_eq!(lenient.policy, Policy::None, "a bad p with a valid rua reads as none");
        assert_eq!(Record::parse("v=DMARC1;p=reject;pct=500").unwrap().percent, 100);
    }
}
