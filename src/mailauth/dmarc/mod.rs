//! DMARC (RFC 7489): the domain in the visible `From:` publishes a policy; mail passes when SPF
//! or DKIM passed for a domain aligned with it, and otherwise gets the policy the domain asks.
//! Organizational domains come from the Public Suffix List (the `psl` crate).

pub mod record;
pub mod report;

use crate::author::{Author, Place};
use crate::lookup::{Lookup, LookupError};
pub use record::{Alignment, Policy, Record};

/// The DMARC verdict.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DmarcResult {
    /// The From domain publishes no policy.
    None,
    /// An aligned SPF or DKIM pass.
    Pass,
    /// No aligned pass.
    Fail,
    /// The policy could not be looked up.
    TempError,
    /// The From header has no usable domain.
    PermError,
}

impl DmarcResult {
    /// The result name used in `Authentication-Results:`.
    pub fn as_str(self) -> &'static str {
        match self {
            DmarcResult::None => "none",
            DmarcResult::Pass => "pass",
            DmarcResult::Fail => "fail",
            DmarcResult::TempError => "temperror",
            DmarcResult::PermError => "permerror",
        }
    }
}

/// What SPF and DKIM established, as DMARC needs it.
#[derive(Debug, Clone, Default)]
pub struct Identifiers {
    /// The domain of the `From:` header (RFC5322.From), lower case.
    pub from_domain: String,
    /// The domain SPF passed for (MAIL FROM, or HELO for the null sender), if it passed.
    pub spf_pass: Option<String>,
    /// The `d=` domains of the DKIM signatures that passed.
    pub dkim_pass: Vec<String>,
}

/// The outcome of a DMARC check.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DmarcOutput {
    /// The verdict.
    pub result: DmarcResult,
    /// The From domain.
    pub from_domain: String,
    /// Where the record that applied was found: the From domain or its organizational domain.
    pub policy_domain: String,
    /// The record that applied, if one was found.
    pub record: Option<Record>,
    /// What to do with the message: `None` for passing mail, else the policy after `sp` and `pct`.
    pub disposition: Policy,
    /// SPF passed for an aligned domain.
    pub spf_aligned: bool,
    /// DKIM passed for an aligned domain.
    pub dkim_aligned: bool,
}

/// The DMARC verdict on a message's author: the From domain's, or the stricter one of another
/// domain a mail client may show as the author (RFC 7489 section 6.6.1: the strictest applies).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AuthorVerdict {
    /// The verdict for the From domain, which the aggregate report counts.
    pub from: DmarcOutput,
    /// A stricter verdict for another domain, and where that domain was found.
    pub stricter: Option<(DmarcOutput, Place)>,
}

impl AuthorVerdict {
    /// The verdict that applies to the message.
    pub fn applied(&self) -> &DmarcOutput {
        self.stricter.as_ref().map_or(&self.from, |(output, _)| output)
    }
}

/// Evaluates DMARC for the author's domain and for each other domain a client may show as the
/// author. Another domain's verdict applies when it fails with a stricter disposition than the
/// From domain's (a failure whose policy is `none` changes nothing).
pub async fn evaluate_author<L: Lookup>(
    lookup: &L,
    author: &Author,
    spf_pass: Option<String>,
    dkim_pass: Vec<String>,
    sample: u8,
) -> AuthorVerdict {
    let mut ids = Identifiers { from_domain: author.domain.clone(), spf_pass, dkim_pass };
    let mut verdict = AuthorVerdict { from: evaluate(lookup, &ids, sample).await, stricter: None };
    for (domain, place) in &author.others {
        ids.from_domain = domain.clone();
        let other = evaluate(lookup, &ids, sample).await;
        if other.result == DmarcResult::Fail && other.disposition > verdict.applied().disposition {
            verdict.stricter = Some((other, *place));
        }
    }
    verdict
}

/// The organizational domain of `domain`: its registrable domain by the Public Suffix List,
/// or the domain itself when the list knows none.
pub fn organizational_domain(domain: &str) -> String {
    let domain = domain.trim_end_matches('.').to_ascii_lowercase();
    match psl::domain_str(&domain) {
        Some(org) => org.to_string(),
        None => domain,
    }
}

/// Whether `domain` is aligned with `from` in `mode`.
pub fn aligned(domain: &str, from: &str, mode: Alignment) -> bool {
    let (domain, from) = (domain.trim_end_matches('.'), from.trim_end_matches('.'));
    match mode {
        Alignment::Strict => domain.eq_ignore_ascii_case(from),
        Alignment::Relaxed => organizational_domain(domain) == organizational_domain(from),
    }
}

/// Checks a message. `sample` (0..=99, random in production) decides whether a failing message
/// falls within the record's `pct`.
pub async fn evaluate<L: Lookup>(lookup: &L, ids: &Identifiers, sample: u8) -> DmarcOutput {
    let from = ids.from_domain.trim_end_matches('.').to_ascii_lowercase();
    let mut out = DmarcOutput {
        result: DmarcResult::None,
        from_domain: from.clone(),
        policy_domain: String::new(),
        record: None,
        disposition: Policy::None,
        spf_aligned: false,
        dkim_aligned: false,
    };
    if from.is_empty() || !from.contains('.') {
        out.result = DmarcResult::PermError;
        return out;
    }
    let (record, at_org) = match find_record(lookup, &from).await {
        Err(_) => {
            out.result = DmarcResult::TempError;
            return out;
        }
        Ok(None) => return out,
        Ok(Some(found)) => found,
    };
    out.policy_domain = if at_org { organizational_domain(&from) } else { from.clone() };
    out.spf_aligned = ids.spf_pass.as_deref().is_some_and(|d| aligned(d, &from, record.spf_alignment));
    out.dkim_aligned = ids.dkim_pass.iter().any(|d| aligned(d, &from, record.dkim_alignment));
    if out.spf_aligned || out.dkim_aligned {
        out.result = DmarcResult::Pass;
    } else {
        out.result = DmarcResult::Fail;
        let policy = record.policy_for(at_org);
        out.disposition = if sample < record.percent { policy } else { policy.gentler() };
    }
    out.record = Some(record);
    out
}

/// The DMARC record that applies to `domain`: its own, or else its organizational domain's
/// (then with `true`). `Ok(None)` when there is none.
pub async fn find_record<L: Lookup>(lookup: &L, domain: &str) -> Result<Option<(Record, bool)>, LookupError> {
    let domain = domain.trim_end_matches('.').to_ascii_lowercase();
    if let Some(record) = discover(lookup, &domain).await? {
        return Ok(Some((record, false)));
    }
    let org = organizational_domain(&domain);
    if org == domain {
        return Ok(None);
    }
    Ok(discover(lookup, &org).await?.map(|record| (record, true)))
}

/// The one DMARC record at `_dmarc.<domain>`: `Ok(None)` when there is none (or several).
async fn discover<L: Lookup>(lookup: &L, domain: &str) -> Result<Option<Record>, LookupError> {
    let texts = lookup.txt(&format!("_dmarc.{domain}")).await?;
    let mut records = texts.iter().filter_map(|t| Record::parse(t).ok());
    match (records.next(), records.next()) {
        (Some(record), None) => Ok(Some(record)),
        _ => Ok(None),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::lookup::TxtZone;

    fn zone() -> TxtZone {
        TxtZone::default()
            .with("_dmarc.example.com", "v=DMARC1; p=reject; sp=quarantine; adkim=s")
            .with("_dmarc.half.example", "v=DMARC1; p=reject; pct=50")
            .with("_dmarc.twice.example", "v=DMARC1; p=reject")
            .with("_dmarc.twice.example", "v=DMARC1; p=none")
            .failing("_dmarc.flaky.example")
    }

    fn check(from: &str, spf: Option<&str>, dkim: &[&str], sample: u8) -> DmarcOutput {
        let ids = Identifiers {
            from_domain: from.into(),
            spf_pass: spf.map(str::to_string),
            dkim_pass: dkim.iter().map(|d| d.to_string()).collect(),
        };
        futures_lite::future::block_on(evaluate(&zone(), &ids, sample))
    }

    #[test]
    fn organizational_domains_follow_the_public_suffix_list() {
        assert_eq!(organizational_domain("mail.example.co.uk"), "example.co.uk");
        assert_eq!(organizational_domain("a.b.Example.COM."), "example.com");
        assert!(aligned("bounces.example.com", "example.com", Alignment::Relaxed));
        assert!(!aligned("bounces.example.com", "example.com", Alignment::Strict));
        assert!(!aligned("example.net", "example.com", Alignment::Relaxed));
    }

    #[test]
    fn aligned_spf_or_dkim_passes() {
        let out = check("example.com", Some("mail.example.com"), &[], 0);
        assert_eq!((out.result, out.spf_aligned, out.disposition), (DmarcResult::Pass, true, Policy::None));
        let out = check("example.com", None, &["example.com"], 0);
        assert_eq!((out.result, out.dkim_aligned), (DmarcResult::Pass, true));
        let strict = check("example.com", None, &["mail.example.com"], 0);
        assert_eq!(strict.result, DmarcResult::Fail, "adkim=s wants the exact domain");
    }

    #[test]
    fn failures_get_the_policy_subdomain_policy_and_pct() {
        assert_eq!(check("example.com", Some("other.example"), &["other.example"], 0).disposition, Policy::Reject);
        let sub = check("news.example.com", None, &[], 0);
        assert_eq!((sub.result, sub.disposition), (DmarcResult::Fail, Policy::Quarantine), "sp= for subdomains");
        assert_eq!(check("half.example", None, &[], 10).disposition, Policy::Reject);
        assert_eq!(check("half.example", None, &[], 90).disposition, Policy::Quarantine, "outside pct: gentler");
    }

    fn author(fields: &str) -> Author {
        crate::author::find(format!("{fields}\r\n\r\n").as_bytes()).unwrap()
    }

    fn verdict(fields: &str, spf: Option<&str>) -> AuthorVerdict {
        let (zone, author) = (zone(), author(fields));
        futures_lite::future::block_on(evaluate_author(&zone, &author, spf.map(str::to_string), Vec::new(), 0))
    }

    #[test]
    fn the_strictest_verdict_of_every_shown_domain_applies() {
        let plain = verdict("From: a@other.example", Some("other.example"));
        assert_eq!((plain.applied().result, plain.stricter.is_none()), (DmarcResult::None, true), "control");
        let named = verdict("From: \"boss@example.com\" <a@other.example>", Some("other.example"));
        let (output, place) = named.stricter.as_ref().expect("the display name's domain is checked");
        assert_eq!((output.from_domain.as_str(), *place), ("example.com", Place::DisplayName));
        assert_eq!((named.applied().result, named.applied().disposition), (DmarcResult::Fail, Policy::Reject));
        assert_eq!(named.from.result, DmarcResult::None, "the From domain's own verdict is kept for reports");
        let sender = verdict("From: a@other.example\r\nSender: b@news.example.com", None);
        assert_eq!(sender.applied().disposition, Policy::Quarantine, "Sender's domain, with sp=");
        let passing = verdict("From: a@example.com\r\nSender: b@example.com", Some("example.com"));
        assert_eq!(passing.applied().result, DmarcResult::Pass, "an authenticated Sender is fine");
    }

    #[test]
    fn no_record_several_records_and_dns_failure() {
        assert_eq!(check("nothing.example", None, &[], 0).result, DmarcResult::None);
        assert_eq!(check("twice.example", None, &[], 0).result, DmarcResult::None);
        assert_eq!(check("flaky.example", None, &[], 0).result, DmarcResult::TempError);
        assert_eq!(check("", None, &[], 0).result, DmarcResult::PermError);
    }
}
