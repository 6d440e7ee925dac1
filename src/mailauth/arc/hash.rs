//! What an ARC-Seal signs (RFC 8617 section 5.1.1): the ARC sets from instance 1 up to its
//! own, each as AAR, AMS, AS, every field in relaxed canonical form, the seal itself last with
//! its `b=` value emptied and without a final CRLF, as a DKIM-Signature signs itself.
//!
//! A seal with `cv=fail` signs its own set only (section 5.1.2).

use std::ops::Range;

use crate::dkim::Canonicalization;
use crate::dkim::canon::canonicalize_header;

/// The three fields of one set, each `name:value` without the CRLF that ends it.
#[derive(Debug, Clone, Copy)]
pub(crate) struct SetFields<'a> {
    /// The ARC-Authentication-Results.
    pub aar: &'a [u8],
    /// The ARC-Message-Signature.
    pub ams: &'a [u8],
    /// The ARC-Seal.
    pub seal: &'a [u8],
}

/// The bytes the seal of the last set signs: the sets before it, then its AAR and AMS, then
/// `seal`, the seal field with its `b=` value already emptied.
pub(crate) fn seal_input(before: &[SetFields<'_>], aar: &[u8], ams: &[u8], seal: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(1024 * (before.len() + 1));
    let mut add = |field: &[u8], crlf: bool| {
        canonicalize_header(Canonicalization::Relaxed, field, &mut out);
        if crlf {
            out.extend_from_slice(b"\r\n");
        }
    };
    for set in before {
        add(set.aar, true);
        add(set.ams, true);
        add(set.seal, true);
    }
    add(aar, true);
    add(ams, true);
    add(seal, false);
    out
}

/// A raw field (`name:value`) with the `b=` value deleted, the whitespace around it included;
/// `value_start` is where the value starts in `raw`, `b_span` where `b=`'s value is in it.
pub(crate) fn without_b(raw: &[u8], value_start: usize, b_span: &Range<usize>) -> Vec<u8> {
    let start = value_start.saturating_add(b_span.start);
    let end = value_start.saturating_add(b_span.end);
    let mut out = raw.get(..start).unwrap_or(raw).to_vec();
    out.extend_from_slice(raw.get(end..).unwrap_or_default());
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sets_in_order_then_the_seal_without_crlf() {
        let one = SetFields {
            aar: b"ARC-Authentication-Results: i=1;  mx; none",
            ams: b"ARC-Message-Signature: i=1",
            seal: b"ARC-Seal: i=1",
        };
        let got = seal_input(
            &[one],
            b"ARC-Authentication-Results: i=2; mx",
            b"arc-message-signature:i=2",
            b"ARC-Seal:  i=2;\r\n b=",
        );
        assert_eq!(
            String::from_utf8(got).unwrap(),
            "arc-authentication-results:i=1; mx; none\r\narc-message-signature:i=1\r\narc-seal:i=1\r\n\
             arc-authentication-results:i=2; mx\r\narc-message-signature:i=2\r\narc-seal:i=2; b="
        );
    }

    #[test]
    fn b_value_is_cut_out() {
        let raw = b"ARC-Seal: i=1; b=ab\r\n cd; cv=none";
        assert_eq!(without_b(raw, 9, &(8..15)), b"ARC-Seal: i=1; b=; cv=none");
        // Spans past the end (never made by the parsers) cut nothing out of bounds.
        assert_eq!(without_b(raw, 9, &(100..200)), raw);
    }
}
