//! Converting text in a named charset to UTF-8: encoding_rs for the WHATWG labels (and a few
//! aliases mailers write), our own decoder for UTF-7, lossy UTF-8 for ASCII and unknown names.

use std::borrow::Cow;

/// `bytes` in `charset` as UTF-8; never fails (unknown charsets and bad octets are read lossily).
pub(crate) fn to_utf8<'a>(bytes: &'a [u8], charset: &[u8]) -> Cow<'a, str> {
    let charset = crate::headers::trim(charset);
    let charset = charset.strip_prefix(b"\"").unwrap_or(charset);
    let charset = charset.strip_suffix(b"\"").unwrap_or(charset);
    // 8-bit text labelled ASCII (or not labelled) is nearly always UTF-8 in the wild.
    let ascii = [&b""[..], b"us-ascii", b"ascii", b"utf-8", b"utf8"].iter().any(|l| charset.eq_ignore_ascii_case(l));
    if ascii || bytes.is_ascii() && ascii_is_literal(charset) {
        return String::from_utf8_lossy(bytes);
    }
    if let Some(encoding) = encoding(charset) {
        return Cow::Owned(encoding.decode(bytes).0.into_owned());
    }
    if [&b"utf-7"[..], b"utf7", b"unicode-1-1-utf-7"].iter().any(|l| charset.eq_ignore_ascii_case(l)) {
        return Cow::Owned(super::utf7::decode(bytes));
    }
    String::from_utf8_lossy(bytes)
}

/// The encoding_rs encoding of a charset name: its WHATWG label, or an alias seen in mail
/// (`cp1252`, `latin1` with a dash, `iso8859-1`, `ks_c_5601`, ...).
fn encoding(charset: &[u8]) -> Option<&'static encoding_rs::Encoding> {
    if let Some(encoding) = encoding_rs::Encoding::for_label(charset) {
        return Some(encoding);
    }
    let lower = String::from_utf8_lossy(charset).to_ascii_lowercase();
    let alias = if let Some(n) = lower.strip_prefix("cp").or_else(|| lower.strip_prefix("ms")) {
        format!("windows-{n}")
    } else if let Some(n) = lower.strip_prefix("iso8859") {
        format!("iso-8859{n}")
    } else if let Some(n) = lower.strip_prefix("latin-") {
        format!("latin{n}")
    } else if lower.starts_with("ks_c_5601") {
        "euc-kr".into()
    } else if lower.starts_with("utf-16") || lower.starts_with("ucs-2") {
        "utf-16le".into()
    } else {
        return None;
    };
    encoding_rs::Encoding::for_label(alias.as_bytes())
}

/// Whether ASCII octets in `charset` stand for themselves (not so in UTF-16/32, UCS-2, UTF-7,
/// ISO-2022-* and HZ).
fn ascii_is_literal(charset: &[u8]) -> bool {
    let lower = String::from_utf8_lossy(charset).to_ascii_lowercase();
    !["16", "32", "ucs", "utf-7", "utf7", "2022", "hz"].iter().any(|s| lower.contains(s))
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
        assert_eq!(to_utf8(b"\x93q\x94", b"cp1252"), "\u{201c}q\u{201d}");
        assert_eq!(to_utf8(b"caf\xe9", b"Latin-1"), "caf\u{e9}");
        assert_eq!(to_utf8(b"h\0i\0", b"ucs-2"), "hi");
        assert_eq!(to_utf8(b"\xb0\xa1", b"ks_c_5601-1987"), "\u{ac00}");
        assert_eq!(to_utf8(b"1 +- 1", b"UTF-7"), "1 + 1");
    }
}
