//! Undoing a Content-Transfer-Encoding (RFC 2045 6): lenient base64 and quoted-printable.

use base64::Engine;
use base64::alphabet::STANDARD;
use base64::engine::{DecodePaddingMode, GeneralPurpose, GeneralPurposeConfig};
use std::borrow::Cow;

/// Decodes `bytes` sent with the (lower-case) transfer `encoding`; `None` for an unknown one.
pub(crate) fn transfer_decode<'a>(bytes: &'a [u8], encoding: &str) -> Option<Cow<'a, [u8]>> {
    match encoding {
        "7bit" | "8bit" | "binary" => Some(Cow::Borrowed(bytes)),
        "base64" => Some(Cow::Owned(base64(bytes))),
        "quoted-printable" => Some(Cow::Owned(quoted_printable(bytes))),
        _ => None,
    }
}

/// Base64 that never fails: every octet outside the alphabet (line breaks, padding, junk) is
/// skipped, and a dangling last sextet is dropped.
pub(crate) fn base64(bytes: &[u8]) -> Vec<u8> {
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

/// Quoted-printable: `=XX` escapes, soft line breaks (`=` at the end of a line, transport
/// padding allowed) and trailing white space removed; a stray `=` is kept as it is.
pub(crate) fn quoted_printable(bytes: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(bytes.len());
    let mut lines = bytes.split(|&b| b == b'\n').peekable();
    while let Some(line) = lines.next() {
        let hard_break = lines.peek().is_some();
        let (line, crlf) = match line.strip_suffix(b"\r") {
            Some(line) => (line, true),
            None => (line, false),
        };
        let line = &line[..line.iter().rposition(|&b| b != b' ' && b != b'\t').map_or(0, |p| p + 1)];
        let (line, soft) = match line.strip_suffix(b"=") {
            Some(rest) => (rest, true),
            None => (line, false),
        };
        unescape_line(line, &mut out);
        if hard_break && !soft {
            out.extend_from_slice(if crlf { b"\r\n" } else { b"\n" });
        }
    }
    out
}

/// Appends `line` with its `=XX` escapes decoded.
fn unescape_line(line: &[u8], out: &mut Vec<u8>) {
    let mut rest = line;
    while let Some(eq) = memchr::memchr(b'=', rest) {
        out.extend_from_slice(&rest[..eq]);
        match (rest.get(eq + 1).and_then(|&h| hex(h)), rest.get(eq + 2).and_then(|&l| hex(l))) {
            (Some(h), Some(l)) => {
                out.push(h << 4 | l);
                rest = &rest[eq + 3..];
            }
            _ => {
                out.push(b'=');
                rest = &rest[eq + 1..];
            }
        }
    }
    out.extend_from_slice(rest);
}

/// The value of a hexadecimal digit (either case).
pub(crate) fn hex(b: u8) -> Option<u8> {
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
        assert_eq!(quoted_printable(b"line\nline\r\n"), b"line\nline\r\n");
    }

    #[test]
    fn picks_the_decoder() {
        assert_eq!(transfer_decode(b"a=3D", "quoted-printable").as_deref(), Some(&b"a="[..]));
        assert_eq!(transfer_decode(b"YQ==", "base64").as_deref(), Some(&b"a"[..]));
        assert!(matches!(transfer_decode(b"raw", "8bit"), Some(Cow::Borrowed(b"raw"))));
        assert_eq!(transfer_decode(b"x", "x-uuencode"), None);
    }
}
