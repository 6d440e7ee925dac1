//! RFC 2047 encoded words (`=?charset?B|Q?text?=`) decoded to UTF-8; adjacent words in one charset
//! are joined before conversion, so a character split across words survives.

use super::charset::to_utf8;
use super::decode::{base64, hex};
use memchr::memmem;

/// `value` with its encoded words decoded and the rest read as (lossy) UTF-8. White space between
/// two encoded words is dropped, as RFC 2047 6.2 asks.
pub fn decode(value: &[u8]) -> String {
    let mut out = String::with_capacity(value.len());
    if memmem::find(value, b"=?").is_none() {
        out.push_str(&String::from_utf8_lossy(value));
        return out;
    }
    let mut pending = Pending::default();
    let mut text_start = 0;
    let mut search = 0;
    let mut after_word = false;
    while let Some(found) = memmem::find(&value[search..], b"=?") {
        let at = search + found;
        let Some((charset, bytes, end)) = word(value, at) else {
            search = at + 1;
            continue;
        };
        let gap = &value[text_start..at];
        if !(after_word && gap.iter().all(|b| b.is_ascii_whitespace())) {
            pending.flush(&mut out);
            out.push_str(&String::from_utf8_lossy(gap));
        }
        if !pending.charset.eq_ignore_ascii_case(charset) {
            pending.flush(&mut out);
            pending.charset = charset.to_vec();
        }
        pending.bytes.extend_from_slice(&bytes);
        text_start = end;
        search = end;
        after_word = true;
    }
    pending.flush(&mut out);
    out.push_str(&String::from_utf8_lossy(&value[text_start..]));
    out
}

/// Longest charset (with language) looked at; keeps broken input linear.
const MAX_CHARSET: usize = 64;

/// Longest encoded text looked at (RFC 2047 allows 75 octets per word; mailers write more).
const MAX_TEXT: usize = 2048;

/// Decoded octets of adjacent encoded words in one charset, not yet converted.
#[derive(Default)]
struct Pending {
    charset: Vec<u8>,
    bytes: Vec<u8>,
}

impl Pending {
    fn flush(&mut self, out: &mut String) {
        if !self.bytes.is_empty() {
            out.push_str(&to_utf8(&self.bytes, &self.charset));
            self.bytes.clear();
        }
    }
}

/// The encoded word starting at `at` (which holds `=?`): its charset (language suffix removed),
/// decoded octets and end offset.
fn word(value: &[u8], at: usize) -> Option<(&[u8], Vec<u8>, usize)> {
    let rest = &value[at + 2..];
    let q1 = memchr::memchr(b'?', &rest[..rest.len().min(MAX_CHARSET)])?;
    let charset = &rest[..q1];
    if charset.is_empty() || charset.iter().any(|b| b.is_ascii_whitespace() || *b == b'=') {
        return None;
    }
    let charset = &charset[..memchr::memchr(b'*', charset).unwrap_or(charset.len())];
    let encoding = *rest.get(q1 + 1)?;
    if rest.get(q1 + 2) != Some(&b'?') {
        return None;
    }
    let text_start = q1 + 3;
    let text = rest.get(text_start..)?;
    let text_len = memmem::find(&text[..text.len().min(MAX_TEXT)], b"?=")?;
    let text = &rest[text_start..text_start + text_len];
    let bytes = match encoding.to_ascii_lowercase() {
        b'b' => base64(text),
        b'q' => q_decode(text),
        _ => return None,
    };
    Some((charset, bytes, at + 2 + text_start + text_len + 2))
}

/// The "Q" encoding: `_` is a space, `=XX` an octet.
fn q_decode(text: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(text.len());
    let mut i = 0;
    while let Some(&b) = text.get(i) {
        let escaped = (b == b'=').then(|| Some(hex(*text.get(i + 1)?)? << 4 | hex(*text.get(i + 2)?)?)).flatten();
        match (b, escaped) {
            (_, Some(octet)) => {
                out.push(octet);
                i += 3;
            }
            (b'_', None) => {
                out.push(b' ');
                i += 1;
            }
            (b, None) => {
                out.push(b);
                i += 1;
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn decodes_words_and_joins_neighbours() {
        assert_eq!(decode(b"=?UTF-8?Q?John_Sm=C3=AEth?= <j@x>"), "John Smîth <j@x>");
        assert_eq!(decode(b"=?utf-8?b?4pi6?= and =?ISO-8859-1?q?caf=E9?="), "☺ and café");
        assert_eq!(decode(b"=?utf-8?q?a?=  \t =?utf-8?q?b?="), "ab");
        // One UTF-8 character split across two words.
        assert_eq!(decode(b"=?utf-8?B?4pi=?= =?utf-8?B?ug==?="), "☺");
        assert_eq!(decode(b"=?utf-8*en?Q?hi?="), "hi");
    }

    #[test]
    fn leaves_other_text_alone() {
        assert_eq!(decode(b"plain = text ?="), "plain = text ?=");
        assert_eq!(decode(b"=?broken"), "=?broken");
        assert_eq!(decode(b"=?x?Z?abc?= tail"), "=?x?Z?abc?= tail");
        assert_eq!(decode(b"a =?utf-8?q?b?= c"), "a b c");
        assert_eq!(decode(b"=?=?utf-8?q?x?="), "=?x");
        assert_eq!(decode(b"=??q??="), "=??q??=");
        assert_eq!(decode(b"\xff"), "\u{fffd}");
        let long = format!("=?utf-8?q?{}?=", "a".repeat(MAX_TEXT + 1));
        assert_eq!(decode(long.as_bytes()), long);
    }
}
