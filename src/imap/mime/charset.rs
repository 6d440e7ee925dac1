//! Converting text in a named charset to UTF-8: encoding_rs for the WHATWG labels, mail-parser's
//! decoders for the rest (UTF-7 and friends), lossy UTF-8 for ASCII and unknown names.

use std::borrow::Cow;

/// `bytes` in `charset` as UTF-8; never fails (unknown charsets and bad octets are read lossily).
pub(crate) fn to_utf8<'a>(bytes: &'a [u8], charset: &[u8]) -> Cow<'a, str> {
    let charset = super::header::trim(charset);
    let charset = charset.strip_prefix(b"\"").unwrap_or(charset);
    let charset = charset.strip_suffix(b"\"").unwrap_or(charset);
    // 8-bit text labelled ASCII (or not labelled) is nearly always UTF-8 in the wild.
    let ascii = [&b""[..], b"us-ascii", b"ascii", b"utf-8", b"utf8"].iter().any(|l| charset.eq_ignore_ascii_case(l));
    if ascii || bytes.is_ascii() && ascii_is_literal(charset) {
        return String::from_utf8_lossy(bytes);
    }
    if let Some(encoding) = encoding_rs::Encoding::for_label(charset) {
        return Cow::Owned(encoding.decode(bytes).0.into_owned());
    }
    match mail_parser::decoders::charsets::map::charset_decoder(charset) {
        Some(decode) => Cow::Owned(decode(bytes)),
        None => String::from_utf8_lossy(bytes),
    }
}

/// Whether ASCII octets in `charset` stand for themselves (not so in UTF-16/32, UTF-7,
/// ISO-2022-* and HZ).
fn ascii_is_literal(charset: &[u8]) -> bool {
    let lower = String::from_utf8_lossy(charset).to_ascii_lowercase();
    !["16", "32", "utf-7", "utf7", "2022", "hz"].iter().any(|s| lower.contains(s))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn converts_known_charsets() {
        assert_eq!(to_utf8(b"caf\xe9", b"ISO-8859-1"), "café");
        assert_eq!(to_utf8(b"\x1b$B$3$s$K$A$O\x1b(B", b"iso-2022-jp"), "こんにちは");
        assert_eq!(to_utf8(b"\xff\xfeh\0i\0", b"utf-16"), "hi");
        assert_eq!(to_utf8(b"\0h\0i", b"\"UTF-16BE\""), "hi");
        assert_eq!(to_utf8(b"Hi Mom -+Jjo--!", b"utf-7"), "Hi Mom -☺-!");
        assert_eq!(to_utf8("é".as_bytes(), b"us-ascii"), "é");
        assert_eq!(to_utf8(b"\xe9", b"x-unknown"), "\u{fffd}");
        assert!(matches!(to_utf8(b"plain", b"iso-8859-1"), Cow::Borrowed("plain")));
    }
}
