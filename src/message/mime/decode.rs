//! Undoing a Content-Transfer-Encoding (RFC 2045 6): lenient base64 and quoted-printable.

use base64::Engine;
use base64::alphabet::STANDARD;
use base64::engine::{DecodePaddingMode, GeneralPurpose, GeneralPurposeConfig};
use std::borrow::Cow;

/// Decodes `bytes` sent with the (lower-case) transfer `encoding`; `None` for an unknown one.
pub fn transfer_decode<'a>(bytes: &'a [u8], encoding: &str) -> Option<Cow<'a, [u8]>> {
    match encoding {
        "7bit" | "8bit" | "binary" => Some(Cow::Borrowed(bytes)),
        "base64" => Some(Cow::Owned(base64(bytes))),
        "quoted-printable" => Some(Cow::Owned(quoted_printable(bytes))),
        _ => None,
    }
}

/// Base64 that never fails: every octet outside the alphabet (line breaks, padding, junk) is
/// skipped, and a dangling last sextet is dropped.
pub fn base64(bytes: &[u8]) -> Vec<u8> {
    const ENGINE: GeneralPurpose = GeneralPurpose::new(
        &STANDARD,
        GeneralPurposeConfig::new()
            .with_decode_padding_mode(DecodePaddingMode::RequireNone)
            .with_decode_allow_trailing_bits(true),
    );
    let mut clean: Vec<u8> =
        bytes.iter().copied().filter(|&b| b.is_ascii_alphanumeric() || b == b'+' || b == b'/').collect();
    if clean.len() % 4 == 1 {
        clean.pop();
    }
    ENGINE.decode(&clean).unwrap_or_default()
}

/// Quoted-printable (RFC 2045 6.7) that never fails: `=XX` escapes and soft line breaks are
/// undone, trailing white space is removed, and a malformed `=` is kept as it is
/// (`quoted_printable`'s robust mode).
pub fn quoted_printable(bytes: &[u8]) -> Vec<u8> {
    quoted_printable::decode(bytes, quoted_printable::ParseMode::Robust).unwrap_or_else(|_| bytes.to_vec())
}

/// The value of a hexadecimal digit (either case).
pub fn hex(b: u8) -> Option<u8> {
    (b as char).to_digit(16).map(|d| d as u8)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn base64_skips_junk_and_padding() {
        assert_eq!(base64(b"SGVs\r\nbG8=\r\n"), b"Hello");
        assert_eq!(base64(b"SGVsbG8"), b"Hello");
        assert!(base64(b"SGVsbG8=SGk=").starts_with(b"Hello"));
        assert_eq!(base64(b"S"), b"");
        assert_eq!(base64(b"*** not base64 ***"), base64(b"notbase64"));
        assert_eq!(base64(b""), b"");
    }

    #[test]
    fn quoted_printable_decodes_escapes_and_soft_breaks() {
        assert_eq!(quoted_printable(b"caf=C3=A9 =\r\nau lait  \r\nx=3d=\n"), "café au lait\r\nx=".as_bytes());
        assert_eq!(quoted_printable(b"a = b =4 =zz="), b"a = b =4 =zz");
        assert_eq!(quoted_printable(b"soft= \t\r\nnext"), b"softnext");
        // A hard line break is a line break in canonical form (RFC 2045 6.7 rule 4): CRLF.
        assert_eq!(quoted_printable(b"line\nline\r\n"), b"line\r\nline\r\n");
    }

    #[test]
    fn picks_the_decoder() {
        assert_eq!(transfer_decode(b"a=3D", "quoted-printable").as_deref(), Some(&b"a="[..]));
        assert_eq!(transfer_decode(b"YQ==", "base64").as_deref(), Some(&b"a"[..]));
        assert!(matches!(transfer_decode(b"raw", "8bit"), Some(Cow::Borrowed(b"raw"))));
        assert_eq!(transfer_decode(b"x", "x-uuencode"), None);
    }
}
