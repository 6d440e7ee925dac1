//! Writing IMAP strings in responses (RFC 9051 4.3): quoted when that is safe and short,
//! a literal otherwise; `NIL` for absent values.

use bytes::{BufMut, BytesMut};

/// Longest string sent quoted; longer ones go as literals.
const MAX_QUOTED: usize = 1024;

/// Writes `s` as an IMAP string: `"quoted"` when it holds no CR, LF, NUL or 8-bit octet and
/// is short, `{n}\r\n` followed by the octets otherwise.
pub fn string(out: &mut BytesMut, s: &[u8]) {
    if s.len() <= MAX_QUOTED && s.iter().all(|&b| b != 0 && b != b'\r' && b != b'\n' && b < 0x80) {
        out.put_u8(b'"');
        for &b in s {
            if b == b'"' || b == b'\\' {
                out.put_u8(b'\\');
            }
            out.put_u8(b);
        }
        out.put_u8(b'"');
    } else {
        literal(out, s);
    }
}

/// Writes `s` as a literal: `{n}\r\n` and the octets.
pub fn literal(out: &mut BytesMut, s: &[u8]) {
    out.put_slice(format!("{{{}}}\r\n", s.len()).as_bytes());
    out.put_slice(s);
}

/// Writes `NIL` for `None`, else the string.
pub fn nstring(out: &mut BytesMut, s: Option<&[u8]>) {
    match s {
        Some(s) => string(out, s),
        None => out.put_slice(b"NIL"),
    }
}

/// Writes an astring: an atom when every octet is an ATOM-CHAR (or `]`), else a string.
pub fn astring(out: &mut BytesMut, s: &[u8]) {
    let atom = !s.is_empty() && s.iter().all(|&b| b > b' ' && b < 0x7f && !b"(){%*\"\\".contains(&b));
    if atom {
        out.put_slice(s);
    } else {
        string(out, s);
    }
}

/// Numbers (UIDs, message numbers) as runs of consecutive ones, in the order given.
pub fn runs(numbers: impl IntoIterator<Item = u32>) -> Vec<(u32, u32)> {
    let mut runs: Vec<(u32, u32)> = Vec::new();
    for n in numbers {
        match runs.last_mut() {
            Some((_, end)) if end.checked_add(1) == Some(n) => *end = n,
            _ => runs.push((n, n)),
        }
    }
    runs
}

/// Inclusive ranges written as a set: `1:3,5,7:8`.
pub fn ranges(ranges: &[(u32, u32)]) -> String {
    let parts: Vec<String> =
        ranges.iter().map(|&(a, b)| if a == b { a.to_string() } else { format!("{a}:{b}") }).collect();
    parts.join(",")
}

/// Numbers as a set, in the order given: runs become `a:b` (`1:3,5,7:8`).
pub fn compact(numbers: impl IntoIterator<Item = u32>) -> String {
    ranges(&runs(numbers))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn written(f: impl Fn(&mut BytesMut)) -> String {
        let mut out = BytesMut::new();
        f(&mut out);
        String::from_utf8(out.to_vec()).unwrap()
    }

    #[test]
    fn quotes_escapes_and_falls_back_to_literals() {
        assert_eq!(written(|o| string(o, b"a \"b\" \\c")), r#""a \"b\" \\c""#);
        assert_eq!(written(|o| string(o, b"two\r\nlines")), "{10}\r\ntwo\r\nlines");
        assert_eq!(written(|o| string(o, "é".as_bytes())), "{2}\r\né");
        assert_eq!(written(|o| nstring(o, None)), "NIL");
        assert_eq!(written(|o| astring(o, b"INBOX")), "INBOX");
        assert_eq!(written(|o| astring(o, b"My Folder")), "\"My Folder\"");
        assert_eq!(written(|o| astring(o, b"")), "\"\"");
    }

    #[test]
    fn sets_are_compact_and_keep_order() {
        assert_eq!(compact([1, 2, 3, 5, 7, 8]), "1:3,5,7:8");
        assert_eq!(compact([9, 4]), "9,4");
        assert_eq!(compact([u32::MAX - 1, u32::MAX]), "4294967294:4294967295");
        assert_eq!(compact([]), "");
    }
}
