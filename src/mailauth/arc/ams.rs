//! The ARC-Message-Signature header field (RFC 8617 section 4.1.2): a DKIM-Signature in all but
//! name, without `v=`, and with `i=` holding the instance instead of an identity.
//!
//! Required: `i=`, `a=` (`rsa-sha256` or `ed25519-sha256`; ARC never allowed `rsa-sha1`),
//! `b=`, `bh=`, `d=`, `h=` and `s=`. Optional: `c=` (default `simple/simple`), `l=`, `q=`
//! (must offer `dns/txt`), `t=` and `x=` (not before `t=`). Unknown tags are ignored.
//!
//! `c=` defaults to `simple/simple`, as for DKIM (RFC 6376 section 3.5), which RFC 8617 refers
//! to; the ARC drafts had `relaxed/relaxed`, and the ValiMail suite still expects that.
//!
//! Unlike DKIM, `h=` need not name `From`, and may be empty or hold empty entries (which name no
//! field); the ValiMail suite passes such chains. It must not name `ARC-Seal`, whose fields the
//! seals sign instead.

use std::ops::Range;

use base64::Engine;

use super::instance::{ArcHeaderError, parse_instance, parse_number};
use crate::dkim::signature::{BASE64, valid_domain, valid_field_name};
use crate::dkim::tags::{TagList, colon_list, strip_ws};
use crate::dkim::{Algorithm, Canonicalization};

/// A parsed, checked ARC-Message-Signature.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ArcMessageSignature {
    /// `i=`: the instance of the set it belongs to.
    pub instance: u32,
    /// `a=`.
    pub algorithm: Algorithm,
    /// The header half of `c=`.
    pub header_canon: Canonicalization,
    /// The body half of `c=`.
    pub body_canon: Canonicalization,
    /// `d=`, lower-cased.
    pub domain: String,
    /// `s=`, lower-cased.
    pub selector: String,
    /// `h=`, lower-cased, in order, repeats kept; empty when `h=` is.
    pub signed_headers: Vec<String>,
    /// `bh=`, decoded.
    pub body_hash: Vec<u8>,
    /// `b=`, decoded.
    pub signature: Vec<u8>,
    /// `l=`: how many canonical body bytes are signed.
    pub body_length: Option<u64>,
    /// `t=`, seconds since the epoch.
    pub timestamp: Option<u64>,
    /// `x=`, seconds since the epoch.
    pub expiration: Option<u64>,
    /// Where the `b=` value sits in the parsed text, surrounding whitespace included.
    pub b_span: Range<usize>,
}

/// `a=` of an ARC field: DKIM's algorithms but `rsa-sha1`.
pub(crate) fn parse_algorithm(tags: &TagList<'_>) -> Result<Algorithm, ArcHeaderError> {
    let a = tags.value("a").ok_or(ArcHeaderError::Missing("a"))?;
    match Algorithm::parse(a) {
        Some(Algorithm::RsaSha1) | None => Err(ArcHeaderError::Algorithm(a.to_owned())),
        Some(algorithm) => Ok(algorithm),
    }
}

/// `b=`, decoded, and its span; required and non-empty.
pub(crate) fn parse_b(tags: &TagList<'_>) -> Result<(Vec<u8>, Range<usize>), ArcHeaderError> {
    let b = tags.get("b").ok_or(ArcHeaderError::Missing("b"))?;
    let text = strip_ws(b.value);
    if text.is_empty() {
        return Err(ArcHeaderError::Missing("b"));
    }
    let decoded = BASE64.decode(text).map_err(|_| ArcHeaderError::Base64("b"))?;
    Ok((decoded, b.span.clone()))
}

/// `d=` and `s=`, lower-cased and checked.
pub(crate) fn parse_domain_selector(tags: &TagList<'_>) -> Result<(String, String), ArcHeaderError> {
    let d = tags.value("d").ok_or(ArcHeaderError::Missing("d"))?;
    let domain = d.to_ascii_lowercase();
    if !valid_domain(&domain) {
        return Err(ArcHeaderError::Domain(d.to_owned()));
    }
    let s = tags.value("s").ok_or(ArcHeaderError::Missing("s"))?;
    let selector = s.to_ascii_lowercase();
    if !valid_domain(&selector) {
        return Err(ArcHeaderError::Selector(s.to_owned()));
    }
    Ok((domain, selector))
}

impl ArcMessageSignature {
    /// Parses the value of the field (what follows the colon, folding included).
    pub fn parse(value: &str) -> Result<Self, ArcHeaderError> {
        Self::from_tags(&TagList::parse(value)?)
    }

    /// Like [`ArcMessageSignature::parse`] for raw bytes.
    pub fn parse_bytes(value: &[u8]) -> Result<Self, ArcHeaderError> {
        Self::parse(std::str::from_utf8(value).map_err(|_| ArcHeaderError::NotUtf8)?)
    }

    /// Checks and types an already parsed tag list.
    pub fn from_tags(tags: &TagList<'_>) -> Result<Self, ArcHeaderError> {
        let instance = parse_instance(tags.value("i").ok_or(ArcHeaderError::Missing("i"))?)?;
        let algorithm = parse_algorithm(tags)?;
        let (signature, b_span) = parse_b(tags)?;
        let bh = strip_ws(tags.value("bh").ok_or(ArcHeaderError::Missing("bh"))?);
        if bh.is_empty() {
            return Err(ArcHeaderError::Missing("bh"));
        }
        let body_hash = BASE64.decode(&bh).map_err(|_| ArcHeaderError::Base64("bh"))?;

        let (header_canon, body_canon) = match tags.value("c") {
            None => (Canonicalization::Simple, Canonicalization::Simple),
            Some(c) => Canonicalization::parse_pair(c).ok_or_else(|| ArcHeaderError::Canonicalization(c.to_owned()))?,
        };
        let (domain, selector) = parse_domain_selector(tags)?;

        let h = tags.value("h").ok_or(ArcHeaderError::Missing("h"))?;
        // An empty entry names no field, so it selects nothing: skipping it hashes the same.
        let signed_headers: Vec<String> =
            colon_list(h).filter(|n| !n.is_empty()).map(str::to_ascii_lowercase).collect();
        if !signed_headers.iter().all(|h| valid_field_name(h)) {
            return Err(ArcHeaderError::HeaderName);
        }
        if signed_headers.iter().any(|h| h == "arc-seal") {
            return Err(ArcHeaderError::SignsSeal);
        }

        if let Some(q) = tags.value("q") {
            if !colon_list(q).any(|m| m.eq_ignore_ascii_case("dns/txt")) {
                return Err(ArcHeaderError::Query(q.to_owned()));
            }
        }
        let body_length = tags.value("l").map(|l| parse_number(l, "l", 76)).transpose()?;
        let timestamp = tags.value("t").map(|t| parse_number(t, "t", 12)).transpose()?;
        let expiration = tags.value("x").map(|x| parse_number(x, "x", 12)).transpose()?;
        if let (Some(t), Some(x)) = (timestamp, expiration) {
            if x < t {
                return Err(ArcHeaderError::ExpiresBeforeCreated);
            }
        }

        Ok(ArcMessageSignature {
            instance,
            algorithm,
            header_canon,
            body_canon,
            domain,
            selector,
            signed_headers,
            body_hash,
            signature,
            body_length,
            timestamp,
            expiration,
            b_span,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::dkim::TagError;

    /// The AMS of the ValiMail suite's first passing chain.
    const AMS: &str = " a=rsa-sha256;\r\n    b=QsRzR/UqwRfVLBc1TnoQomlVw5qi6jp08q8lHpBSl4RehWyHQtY3uOIAGdghDk/mO+/Xpm\r\n    \
        9JA5UVrPyDV0f+2q/YAHuwvP11iCkBQkocmFvgTSxN8H+DwFFPrVVUudQYZV7UDDycXoM6UE\r\n    \
        cdfzLLzVNPOAHEDIi/uzoV4sUqZ18=;\r\n    bh=KWSe46TZKCcDbH4klJPo+tjk5LWJnVRlP5pvjXFZYLQ=; c=relaxed/relaxed;\r\n    \
        d=example.org; h=from:to:date:subject:mime-version:arc-authentication-results;\r\n    i=1; s=dummy; t=12345";

    fn with(replace: &str, by: &str) -> Result<ArcMessageSignature, ArcHeaderError> {
        assert!(AMS.contains(replace), "{replace}");
        ArcMessageSignature::parse(&AMS.replacen(replace, by, 1))
    }

    #[test]
    fn parses_the_suite_signature() {
        let ams = ArcMessageSignature::parse(AMS).unwrap();
        assert_eq!(ams.instance, 1);
        assert_eq!(ams.algorithm, Algorithm::RsaSha256);
        assert_eq!((ams.header_canon, ams.body_canon), (Canonicalization::Relaxed, Canonicalization::Relaxed));
        assert_eq!((ams.domain.as_str(), ams.selector.as_str()), ("example.org", "dummy"));
        assert_eq!(ams.signed_headers, ["from", "to", "date", "subject", "mime-version", "arc-authentication-results"]);
        assert_eq!(ams.body_hash.len(), 32);
        assert_eq!(ams.signature.len(), 128);
        assert_eq!(ams.timestamp, Some(12345));
        assert!(AMS[ams.b_span.clone()].trim_start().starts_with("QsRzR/"));
    }

    #[test]
    fn defaults_and_lenient_h() {
        let ams = with("c=relaxed/relaxed;", "").unwrap();
        assert_eq!((ams.header_canon, ams.body_canon), (Canonicalization::Simple, Canonicalization::Simple));
        let ams = with("h=from:to:date:subject:mime-version:arc-authentication-results;", "h=;").unwrap();
        assert!(ams.signed_headers.is_empty());
        let ams = with("h=from:to", "h=from::to").unwrap();
        assert_eq!(&ams.signed_headers[..2], ["from", "to"]);
        let ams = with("h=from:to", "h=To : \r\n Cc:to").unwrap();
        assert_eq!(&ams.signed_headers[..3], ["to", "cc", "to"]);
        assert_eq!(with("t=12345", "t=12345; v=1; zz=unknown").unwrap().timestamp, Some(12345));
        assert_eq!(with("t=12345", "t=12345; x=12346").unwrap().expiration, Some(12346));
        let ams = with("a=rsa-sha256", "a=ed25519-sha256").unwrap();
        assert_eq!(ams.algorithm, Algorithm::Ed25519Sha256);
    }

    #[test]
    fn rejects_bad_signatures() {
        use ArcHeaderError as E;
        assert_eq!(with("i=1;", ""), Err(E::Missing("i")));
        assert_eq!(with("i=1;", "i=;"), Err(E::Instance("".into())));
        assert_eq!(with("i=1;", "i=0;"), Err(E::Instance("0".into())));
        assert_eq!(with("i=1;", "i=51;"), Err(E::Instance("51".into())));
        assert_eq!(with("a=rsa-sha256", "a=rsa-sha1"), Err(E::Algorithm("rsa-sha1".into())));
        assert_eq!(with("a=rsa-sha256", "a="), Err(E::Algorithm("".into())));
        assert_eq!(with("a=rsa-sha256;", ""), Err(E::Missing("a")));
        assert_eq!(with("b=QsRzR", "b=!sRzR"), Err(E::Base64("b")));
        assert_eq!(with("bh=KWSe46TZKCcDbH4klJPo+tjk5LWJnVRlP5pvjXFZYLQ=", "bh="), Err(E::Missing("bh")));
        assert_eq!(with("c=relaxed/relaxed", "c="), Err(E::Canonicalization("".into())));
        assert_eq!(with("d=example.org", "d=example..."), Err(E::Domain("example...".into())));
        assert_eq!(with("d=example.org;", ""), Err(E::Missing("d")));
        assert_eq!(with("s=dummy", "s="), Err(E::Selector("".into())));
        assert_eq!(with("h=from:to", "h=from:t o"), Err(E::HeaderName));
        assert_eq!(with("h=from:to", "h=from:ARC-Seal:to"), Err(E::SignsSeal));
        assert_eq!(with("t=12345", "t=icecream"), Err(E::Number("t")));
        assert_eq!(with("t=12345", "t=1 2345"), Err(E::Number("t")));
        assert_eq!(with("t=12345", "t=12345; x=12344"), Err(E::ExpiresBeforeCreated));
        assert_eq!(with("t=12345", "t=12345; q=http"), Err(E::Query("http".into())));
        assert_eq!(with("s=dummy;", "s=dummy; s=dummy;"), Err(E::Tags(TagError::Duplicate("s".into()))));
        assert!(matches!(with("s=dummy;", "s=dummy; ==;"), Err(E::Tags(_))));
        assert!(matches!(with("s=dummy;", "s=dummy;;"), Err(E::Tags(_))));
        assert_eq!(with("h=from", "H=from"), Err(E::Missing("h")));
        assert_eq!(ArcMessageSignature::parse_bytes(b"i=1; a=\xff"), Err(E::NotUtf8));
    }
}
