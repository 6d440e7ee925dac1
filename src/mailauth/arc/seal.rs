//! The ARC-Seal header field (RFC 8617 section 4.1.3): a signature over the ARC sets, with the
//! chain validation status its sealer found.
//!
//! Required: `i=`, `a=` (`rsa-sha256` or `ed25519-sha256`), `b=`, `cv=` (`none`, `pass` or
//! `fail`), `d=` and `s=`. Optional: `t=`. An `h=` tag is an error: a seal signs the ARC sets,
//! never a list of fields. Other unknown tags are ignored. Canonicalization is always relaxed.

use std::fmt;
use std::ops::Range;

use super::ams::{parse_algorithm, parse_b, parse_domain_selector};
use super::instance::{ArcHeaderError, parse_instance, parse_number};
use crate::dkim::Algorithm;
use crate::dkim::tags::TagList;

/// The `cv=` tag: what the sealer found of the chain before its own set.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ChainStatus {
    /// No chain before: only instance 1 says this.
    None,
    /// The chain before validated.
    Pass,
    /// The chain before was broken; no one seals after this.
    Fail,
}

impl ChainStatus {
    /// The `cv=` value.
    pub fn as_str(self) -> &'static str {
        match self {
            ChainStatus::None => "none",
            ChainStatus::Pass => "pass",
            ChainStatus::Fail => "fail",
        }
    }

    /// Reads a `cv=` value (case-insensitive, as ABNF strings are).
    pub fn parse(s: &str) -> Option<Self> {
        [ChainStatus::None, ChainStatus::Pass, ChainStatus::Fail]
            .into_iter()
            .find(|c| s.eq_ignore_ascii_case(c.as_str()))
    }
}

impl fmt::Display for ChainStatus {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A parsed, checked ARC-Seal.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ArcSeal {
    /// `i=`: the instance of the set it belongs to.
    pub instance: u32,
    /// `a=`.
    pub algorithm: Algorithm,
    /// `cv=`.
    pub chain_status: ChainStatus,
    /// `d=`, lower-cased.
    pub domain: String,
    /// `s=`, lower-cased.
    pub selector: String,
    /// `b=`, decoded.
    pub signature: Vec<u8>,
    /// `t=`, seconds since the epoch.
    pub timestamp: Option<u64>,
    /// Where the `b=` value sits in the parsed text, surrounding whitespace included.
    pub b_span: Range<usize>,
}

impl ArcSeal {
    /// Parses the value of the field (what follows the colon, folding included).
    pub fn parse(value: &str) -> Result<Self, ArcHeaderError> {
        Self::from_tags(&TagList::parse(value)?)
    }

    /// Like [`ArcSeal::parse`] for raw bytes.
    pub fn parse_bytes(value: &[u8]) -> Result<Self, ArcHeaderError> {
        Self::parse(std::str::from_utf8(value).map_err(|_| ArcHeaderError::NotUtf8)?)
    }

    /// Checks and types an already parsed tag list.
    pub fn from_tags(tags: &TagList<'_>) -> Result<Self, ArcHeaderError> {
        let instance = parse_instance(tags.value("i").ok_or(ArcHeaderError::Missing("i"))?)?;
        let algorithm = parse_algorithm(tags)?;
        let (signature, b_span) = parse_b(tags)?;
        let cv = tags.value("cv").ok_or(ArcHeaderError::Missing("cv"))?;
        let chain_status = ChainStatus::parse(cv).ok_or_else(|| ArcHeaderError::ChainStatus(cv.to_owned()))?;
        let (domain, selector) = parse_domain_selector(tags)?;
        if tags.get("h").is_some() {
            return Err(ArcHeaderError::SealWithHeaders);
        }
        let timestamp = tags.value("t").map(|t| parse_number(t, "t", 12)).transpose()?;
        Ok(ArcSeal { instance, algorithm, chain_status, domain, selector, signature, timestamp, b_span })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The AS of the ValiMail suite's first passing chain.
    const AS: &str = " a=rsa-sha256;\r\n    b=dOdFEyhrk/tw5wl3vMIogoxhaVsKJkrkEhnAcq2XqOLSQhPpGzhGBJzR7k1sWGokon3TmQ\r\n    \
        7TX9zQLO6ikRpwd/pUswiRW5DBupy58fefuclXJAhErsrebfvfiueGyhHXV7C1LyJTztywzn\r\n    \
        QGG4SCciU/FTlsJ0QANrnLRoadfps=; cv=none; d=example.org; i=1; s=dummy;\r\n    t=12345";

    fn with(replace: &str, by: &str) -> Result<ArcSeal, ArcHeaderError> {
        assert!(AS.contains(replace), "{replace}");
        ArcSeal::parse(&AS.replacen(replace, by, 1))
    }

    #[test]
    fn parses_the_suite_seal() {
        let seal = ArcSeal::parse(AS).unwrap();
        assert_eq!(seal.instance, 1);
        assert_eq!(seal.algorithm, Algorithm::RsaSha256);
        assert_eq!(seal.chain_status, ChainStatus::None);
        assert_eq!((seal.domain.as_str(), seal.selector.as_str()), ("example.org", "dummy"));
        assert_eq!(seal.signature.len(), 128);
        assert_eq!(seal.timestamp, Some(12345));
        assert!(AS[seal.b_span.clone()].trim_start().starts_with("dOdFEy"));
        assert_eq!(with("cv=none", "cv=Pass").unwrap().chain_status, ChainStatus::Pass);
        assert_eq!(with("\r\n    t=12345", "").unwrap().timestamp, None);
        assert_eq!(with("t=12345", "t=12345; bh=ignored; zz=1").unwrap().instance, 1);
    }

    #[test]
    fn rejects_bad_seals() {
        use ArcHeaderError as E;
        assert_eq!(with("i=1;", ""), Err(E::Missing("i")));
        assert_eq!(with("i=1;", "i=x;"), Err(E::Instance("x".into())));
        assert_eq!(with("cv=none;", ""), Err(E::Missing("cv")));
        assert_eq!(with("cv=none", "cv="), Err(E::ChainStatus("".into())));
        assert_eq!(with("cv=none", "cv=:)"), Err(E::ChainStatus(":)".into())));
        assert_eq!(with("a=rsa-sha256", "a=rsa-sha1"), Err(E::Algorithm("rsa-sha1".into())));
        assert_eq!(with("d=example.org", "d=***"), Err(E::Domain("***".into())));
        assert_eq!(with("s=dummy;", ""), Err(E::Missing("s")));
        assert_eq!(with("t=12345", "t=-123.4"), Err(E::Number("t")));
        assert_eq!(with("t=12345", "t=12345; h=from"), Err(E::SealWithHeaders));
        assert_eq!(with("Roadfps=", "Roadf*s="), Err(E::Base64("b")));
        assert!(matches!(with("s=dummy;", "s=dummy; _=;"), Err(E::Tags(_))));
        assert!(matches!(with("s=dummy;", "S=dummy;"), Err(E::Missing("s"))));
    }
}
