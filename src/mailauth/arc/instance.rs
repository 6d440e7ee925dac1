//! The instance tag `i=` shared by the three ARC header fields (RFC 8617 section 4.2.1), and
//! the errors of their parsers.

use crate::dkim::TagError;

/// The highest instance an ARC set may have: a chain holds at most 50 sets.
pub const MAX_INSTANCE: u32 = 50;

/// Why an ARC header field was rejected. Any of these makes a chain that holds the field fail.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ArcHeaderError {
    /// The field is not valid UTF-8.
    #[error("field is not UTF-8")]
    NotUtf8,
    /// The tag list is malformed.
    #[error("syntax error: {0}")]
    Tags(#[from] TagError),
    /// A required tag is absent (or, for `b=` and `bh=`, empty).
    #[error("missing {0}= tag")]
    Missing(&'static str),
    /// `i=` is not a number from 1 to 50.
    #[error("invalid instance i={0}")]
    Instance(String),
    /// The ARC-Authentication-Results value does not start with `i=N;` and an authserv-id.
    #[error("ARC-Authentication-Results must start with i=N; and an authserv-id")]
    AuthResults,
    /// `a=` names an algorithm we do not know, or `rsa-sha1`, which ARC does not allow.
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
    /// The ARC-Message-Signature signs ARC-Seal fields (RFC 8617 section 4.1.2).
    #[error("h= names ARC-Seal")]
    SignsSeal,
    /// The ARC-Seal has an `h=` tag, which it must not (RFC 8617 section 4.1.3).
    #[error("ARC-Seal has an h= tag")]
    SealWithHeaders,
    /// `cv=` is not `none`, `pass` or `fail`.
    #[error("invalid chain validation status cv={0}")]
    ChainStatus(String),
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

/// Reads an `i=` value: 1 to 50, written with at most two digits (`1*2DIGIT`).
pub(crate) fn parse_instance(value: &str) -> Result<u32, ArcHeaderError> {
    let bad = || ArcHeaderError::Instance(value.to_owned());
    if value.is_empty() || value.len() > 2 || !value.bytes().all(|b| b.is_ascii_digit()) {
        return Err(bad());
    }
    let n: u32 = value.parse().map_err(|_| bad())?;
    if (1..=MAX_INSTANCE).contains(&n) { Ok(n) } else { Err(bad()) }
}

/// A number tag (`l=`, `t=`, `x=`): digits only, at most `max_digits` of them.
pub(crate) fn parse_number(value: &str, tag: &'static str, max_digits: usize) -> Result<u64, ArcHeaderError> {
    if value.is_empty() || value.len() > max_digits || !value.bytes().all(|b| b.is_ascii_digit()) {
        return Err(ArcHeaderError::Number(tag));
    }
    value.parse().map_err(|_| ArcHeaderError::Number(tag))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn instances_are_1_to_50() {
        assert_eq!(parse_instance("1"), Ok(1));
        assert_eq!(parse_instance("07"), Ok(7));
        assert_eq!(parse_instance("50"), Ok(50));
        for bad in ["", "0", "00", "51", "99", "100", "-1", "+1", "1 ", "squanch", "\u{661}"] {
            assert_eq!(parse_instance(bad), Err(ArcHeaderError::Instance(bad.into())), "{bad:?}");
        }
    }

    #[test]
    fn numbers_are_digits_only() {
        assert_eq!(parse_number("12345", "t", 12), Ok(12345));
        assert_eq!(parse_number("1 2345", "t", 12), Err(ArcHeaderError::Number("t")));
        assert_eq!(parse_number("-123.4", "t", 12), Err(ArcHeaderError::Number("t")));
        assert_eq!(parse_number("1234567890123", "t", 12), Err(ArcHeaderError::Number("t")));
        assert_eq!(parse_number("", "x", 12), Err(ArcHeaderError::Number("x")));
    }
}
