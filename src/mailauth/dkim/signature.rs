//! The DKIM-Signature header field (RFC 6376 section 3.5): its tags read, checked and typed.
//!
//! Required: `v=1`, `a=`, `b=`, `bh=`, `d=`, `h=` (which must name `from`) and `s=`. Optional:
//! `c=` (default `simple/simple`), `i=` (default `@d`, and within `d=`), `l=`, `q=` (must
//! offer `dns/txt`), `t=`, `x=` (not before `t=`) and `z=` (ignored). Unknown tags are ignored.
//! Any failure here is a permanent error for the signature.

use std::ops::Range;

use base64::Engine;

use super::algorithm::Algorithm;
use super::canon::Canonicalization;
use super::tags::{TagError, TagList, colon_list, strip_ws};

/// Why a DKIM-Signature field was rejected.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SignatureError {
    /// The field is not valid UTF-8.
    #[error("signature is not UTF-8")]
    NotUtf8,
    /// The tag list is malformed.
    #[error("signature syntax error: {0}")]
    Tags(#[from] TagError),
    /// A required tag is absent (or, for `b=` and `bh=`, empty).
    #[error("missing {0}= tag")]
    Missing(&'static str),
    /// `v=` is not `1`.
    #[error("unsupported version v={0}")]
    Version(String),
    /// `a=` names an algorithm we do not know.
    #[error("unsupported algorithm a={0}")]
    Algorithm(String),
    /// `c=` names a canonicalization we do not know.
    #[error("unsupported canonicalization c={0}")]
    Canonicalization(String),
    /// `b=` or `bh=` is not base64.
    #[error("{0}= is not valid base64")]
    Base64(&'static str),
    /// `d=` is not a domain name.
    #[error("invalid domain d={0}")]
    Domain(String),
    /// `s=` is not a selector.
    #[error("invalid selector s={0}")]
    Selector(String),
    /// `h=` holds an empty or malformed header field name.
    #[error("invalid header field name in h=")]
    HeaderName,
    /// `h=` does not name `from` (RFC 6376 section 5.4).
    #[error("From field not signed")]
    FromNotSigned,
    /// `i=` is malformed, or its domain is neither `d=` nor below it.
    #[error("identity i={0} is not within d=")]
    Identity(String),
    /// `l=`, `t=` or `x=` is not a number.
    #[error("invalid number in {0}=")]
    Number(&'static str),
    /// `x=` is before `t=`.
    #[error("signature expires (x=) before it was made (t=)")]
    ExpiresBeforeCreated,
    /// `q=` offers no method we know.
    #[error("unsupported query method q={0}")]
    Query(String),
}

/// A parsed, checked DKIM-Signature.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Signature {
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
    /// `i=` as written, if present (RFC 6376 says it then defaults to `@d`).
    pub identity: Option<String>,
    /// `h=`, lower-cased, in order, repeats kept.
    pub signed_headers: Vec<String>,
    /// `bh=`, decoded.
    pub body_hash: Vec<u8>,
    /// `b=`, decoded.
    pub signature: Vec<u8>,
    /// `b=` in base64 without whitespace, for `header.b` (RFC 6008).
    pub signature_base64: String,
    /// `l=`: how many canonical body bytes are signed.
    pub body_length: Option<u64>,
    /// `t=`, seconds since the epoch.
    pub timestamp: Option<u64>,
    /// `x=`, seconds since the epoch.
    pub expiration: Option<u64>,
    /// Where the `b=` value sits in the parsed text, surrounding whitespace included.
    pub b_span: Range<usize>,
}

/// Lenient on padding only: some signers drop the final `=`.
pub(crate) const BASE64: base64::engine::GeneralPurpose = base64::engine::GeneralPurpose::new(
    &base64::alphabet::STANDARD,
    base64::engine::GeneralPurposeConfig::new()
        .with_decode_padding_mode(base64::engine::DecodePaddingMode::Indifferent),
);

/// Whether `s` is a dot-separated list of labels of letters, digits, `-` and `_`. Underscores
/// are allowed because selectors and some signing domains use them.
pub(crate) fn valid_domain(s: &str) -> bool {
    !s.is_empty()
        && s.len() <= 253
        && s.split('.').all(|label| {
            !label.is_empty()
                && label.len() <= 63
                && label.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
        })
}

/// Whether `domain` is `parent` or below it (both lower-case).
pub(crate) fn within(domain: &str, parent: &str) -> bool {
    domain == parent || domain.strip_suffix(parent).is_some_and(|head| head.ends_with('.'))
}

fn number(s: &str, tag: &'static str, max_digits: usize) -> Result<u64, SignatureError> {
    if s.is_empty() || s.len() > max_digits || !s.bytes().all(|b| b.is_ascii_digit()) {
        return Err(SignatureError::Number(tag));
    }
    s.parse().map_err(|_| SignatureError::Number(tag))
}

/// ftext of RFC 5322: printable ASCII but the colon.
pub(crate) fn valid_field_name(name: &str) -> bool {
    !name.is_empty() && name.bytes().all(|b| matches!(b, 33..=57 | 59..=126))
}

impl Signature {
    /// Parses the value of a DKIM-Signature field (what follows the colon, folding included).
    pub fn parse(value: &str) -> Result<Self, SignatureError> {
        Self::from_tags(&TagList::parse(value)?)
    }

    /// Like [`Signature::parse`] for raw bytes.
    pub fn parse_bytes(value: &[u8]) -> Result<Self, SignatureError> {
        Self::parse(std::str::from_utf8(value).map_err(|_| SignatureError::NotUtf8)?)
    }

    /// Checks and types an already parsed tag list.
    pub fn from_tags(tags: &TagList<'_>) -> Result<Self, SignatureError> {
        let required = |name: &'static str| tags.value(name).ok_or(SignatureError::Missing(name));

        let version = required("v")?;
        if version != "1" {
            return Err(SignatureError::Version(version.to_owned()));
        }
        let a = required("a")?;
        let algorithm = Algorithm::parse(a).ok_or_else(|| SignatureError::Algorithm(a.to_owned()))?;

        let b_tag = tags.get("b").ok_or(SignatureError::Missing("b"))?;
        let signature_base64 = strip_ws(b_tag.value);
        if signature_base64.is_empty() {
            return Err(SignatureError::Missing("b"));
        }
        let signature = BASE64.decode(&signature_base64).map_err(|_| SignatureError::Base64("b"))?;
        let bh = strip_ws(required("bh")?);
        if bh.is_empty() {
            return Err(SignatureError::Missing("bh"));
        }
        let body_hash = BASE64.decode(&bh).map_err(|_| SignatureError::Base64("bh"))?;

        let (header_canon, body_canon) = match tags.value("c") {
            None => (Canonicalization::Simple, Canonicalization::Simple),
            Some(c) => Canonicalization::parse_pair(c).ok_or_else(|| SignatureError::Canonicalization(c.to_owned()))?,
        };

        let d = required("d")?;
        let domain = d.to_ascii_lowercase();
        if !valid_domain(&domain) {
            return Err(SignatureError::Domain(d.to_owned()));
        }
        let s = required("s")?;
        let selector = s.to_ascii_lowercase();
        if !valid_domain(&selector) {
            return Err(SignatureError::Selector(s.to_owned()));
        }

        let signed_headers: Vec<String> = colon_list(required("h")?).map(str::to_ascii_lowercase).collect();
        if !signed_headers.iter().all(|h| valid_field_name(h)) {
            return Err(SignatureError::HeaderName);
        }
        if !signed_headers.iter().any(|h| h == "from") {
            return Err(SignatureError::FromNotSigned);
        }

        let identity = tags.value("i").map(str::to_owned);
        if let Some(i) = &identity {
            let auid_domain = i.rsplit_once('@').map(|(_, d)| d.to_ascii_lowercase());
            if !auid_domain.is_some_and(|d| valid_domain(&d) && within(&d, &domain)) {
                return Err(SignatureError::Identity(i.clone()));
            }
        }

        if let Some(q) = tags.value("q") {
            if !colon_list(q).any(|m| m.eq_ignore_ascii_case("dns/txt")) {
                return Err(SignatureError::Query(q.to_owned()));
            }
        }

        let body_length = tags.value("l").map(|l| number(l, "l", 76)).transpose()?;
        let timestamp = tags.value("t").map(|t| number(t, "t", 12)).transpose()?;
        let expiration = tags.value("x").map(|x| number(x, "x", 12)).transpose()?;
        if let (Some(t), Some(x)) = (timestamp, expiration) {
            if x < t {
                return Err(SignatureError::ExpiresBeforeCreated);
            }
        }

        Ok(Signature {
            algorithm,
            header_canon,
            body_canon,
            domain,
            selector,
            identity,
            signed_headers,
            body_hash,
            signature,
            signature_base64,
            body_length,
            timestamp,
            expiration,
            b_span: b_tag.span.clone(),
        })
    }

    /// The domain of the identity (`i=`, or `d=` when absent), lower-cased.
    pub fn identity_domain(&self) -> String {
        match self.identity.as_deref().and_then(|i| i.rsplit_once('@')) {
            Some((_, d)) => d.to_ascii_lowercase(),
            None => self.domain.clone(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const RFC8463: &str = " v=1; a=ed25519-sha256; c=relaxed/relaxed;\r\n d=football.example.com; \
        i=@football.example.com;\r\n q=dns/txt; s=brisbane; t=1528637909; h=from : to :\r\n \
        subject : date : message-id : from : subject : date;\r\n \
        bh=2jUSOH9NhtVGCQWNr9BrIAPreKQjO6Sn7XIkfJVOzv8=;\r\n \
        b=/gCrinpcQOoIfuHNQIbq4pgh9kyIK3AQUdt9OdqQehSwhEIug4D11Bus\r\n Fa3bT3FY5OsU7ZbnKELq+eXdp1Q1Dw==";

    #[test]
    fn parses_rfc8463_signature() {
        let sig = Signature::parse(RFC8463).unwrap();
        assert_eq!(sig.algorithm, Algorithm::Ed25519Sha256);
        assert_eq!((sig.header_canon, sig.body_canon), (Canonicalization::Relaxed, Canonicalization::Relaxed));
        assert_eq!(sig.domain, "football.example.com");
        assert_eq!(sig.selector, "brisbane");
        assert_eq!(sig.signed_headers, ["from", "to", "subject", "date", "message-id", "from", "subject", "date"]);
        assert_eq!(sig.body_hash.len(), 32);
        assert_eq!(sig.signature.len(), 64);
        assert_eq!(sig.timestamp, Some(1528637909));
        assert_eq!(sig.identity_domain(), "football.example.com");
        assert!(RFC8463[sig.b_span.clone()].starts_with("/gCrin"));
    }

    fn with(replace: &str, by: &str) -> Result<Signature, SignatureError> {
        assert!(RFC8463.contains(replace), "{replace}");
        Signature::parse(&RFC8463.replace(replace, by))
    }

    #[test]
    fn rejects_bad_signatures() {
        use SignatureError as E;
        assert_eq!(with("v=1", "v=2"), Err(E::Version("2".into())));
        assert_eq!(with("v=1;", ""), Err(E::Missing("v")));
        assert_eq!(with("a=ed25519-sha256", "a=rsa-md5"), Err(E::Algorithm("rsa-md5".into())));
        assert_eq!(with("c=relaxed/relaxed", "c=relaxed/nowsp"), Err(E::Canonicalization("relaxed/nowsp".into())));
        assert_eq!(
            with("d=football.example.com", "d=legitimate.com(.attacker.com"),
            Err(E::Domain("legitimate.com(.attacker.com".into()))
        );
        assert_eq!(with("s=brisbane", "s=bad..sel"), Err(E::Selector("bad..sel".into())));
        let unsigned_from = RFC8463.replace("h=from : to", "h=to").replace("message-id : from", "message-id");
        assert_eq!(Signature::parse(&unsigned_from), Err(E::FromNotSigned));
        assert_eq!(with("h=from : to", "h=from :: to"), Err(E::HeaderName));
        assert_eq!(with("i=@football.example.com", "i=joe@example.com"), Err(E::Identity("joe@example.com".into())));
        assert_eq!(with("i=@football.example.com", "i=joe"), Err(E::Identity("joe".into())));
        assert_eq!(
            with("i=@football.example.com", "i=@xfootball.example.com"),
            Err(E::Identity("@xfootball.example.com".into()))
        );
        assert!(with("i=@football.example.com", "i=joe@Sub.Football.example.com").is_ok());
        assert_eq!(with("q=dns/txt", "q=http/well-known"), Err(E::Query("http/well-known".into())));
        assert_eq!(with("t=1528637909", "t=15x"), Err(E::Number("t")));
        assert_eq!(with("t=1528637909", "t=1528637909; x=1528637908"), Err(E::ExpiresBeforeCreated));
        assert_eq!(with("t=1528637909", "t=1528637909; l=-1"), Err(E::Number("l")));
        assert_eq!(with("bh=2jUSOH9N", "bh=2j!SOH9N"), Err(E::Base64("bh")));
        assert_eq!(with("b=/gCrinpcQ", "b=/gC*inpcQ"), Err(E::Base64("b")));
        assert!(matches!(with("s=brisbane", "s=brisbane; s=x"), Err(E::Tags(TagError::Duplicate(_)))));
        assert_eq!(Signature::parse_bytes(b"v=1; a=\xff"), Err(E::NotUtf8));
    }

    #[test]
    fn defaults_and_unknown_tags() {
        let sig = with("c=relaxed/relaxed", "c=relaxed; zz=whatever").unwrap();
        assert_eq!((sig.header_canon, sig.body_canon), (Canonicalization::Relaxed, Canonicalization::Simple));
        let sig = with("c=relaxed/relaxed;", "").unwrap();
        assert_eq!((sig.header_canon, sig.body_canon), (Canonicalization::Simple, Canonicalization::Simple));
        let sig = with("i=@football.example.com;", "").unwrap();
        assert_eq!(sig.identity, None);
        assert_eq!(sig.identity_domain(), "football.example.com");
    }
}
