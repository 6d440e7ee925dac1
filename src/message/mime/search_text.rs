//! Text for SEARCH: decoded header values, the decoded body text, and case-insensitive matching.

use super::address;
use super::charset::to_utf8;
use super::decode::transfer_decode;
use super::encoded_words;
use super::structure::Part;
use crate::headers::{fields, slice, unfold};
use std::borrow::Cow;

/// Values of every header field named `name` (case-insensitive) in the part's header, unfolded
/// and with RFC 2047 encoded words decoded to UTF-8 (for SEARCH HEADER/FROM/TO/CC/BCC/SUBJECT).
pub fn header_values(message: &[u8], part: &Part, name: &str) -> Vec<String> {
    fields(slice(message, &part.header))
        .filter(|f| f.is(name))
        .map(|f| encoded_words::decode(&unfold(f.value)))
        .collect()
}

/// Values of every address field named `name` (From, To, Cc, Bcc) for SEARCH: each field's
/// decoded value as [`header_values`] gives it, then its addresses written out again as
/// `name <local@domain>` (display names decoded; comments, quotes and white space around the
/// `@` dropped), so that an address key matches however the field spells the address.
pub fn address_values(message: &[u8], part: &Part, name: &str) -> Vec<String> {
    let mut out = Vec::new();
    for field in fields(slice(message, &part.header)).filter(|f| f.is(name)) {
        let unfolded = unfold(field.value);
        out.push(encoded_words::decode(&unfolded));
        let written: Vec<String> = address::mailboxes(&unfolded)
            .iter()
            .filter_map(|a| {
                let (local, domain) = (a.mailbox.as_deref()?, a.host.as_deref()?);
                let at = format!("{}@{}", String::from_utf8_lossy(local), String::from_utf8_lossy(domain));
                Some(match a.name.as_deref().map(encoded_words::decode) {
                    Some(name) if !name.is_empty() => format!("{name} <{at}>"),
                    _ => at,
                })
            })
            .collect();
        if !written.is_empty() {
            out.push(written.join(", "));
        }
    }
    out
}

/// The searchable text of the message body: every text/* part (and encapsulated messages),
/// transfer-decoded and charset-converted to UTF-8 (encoding_rs; unknown charsets as lossy
/// UTF-8), concatenated with newlines. HTML is included as is (no need to strip tags).
pub fn body_text(message: &[u8], root: &Part) -> String {
    let mut out = String::new();
    append_text(message, root, &mut out);
    out
}

/// Appends the text of `part` and the parts inside it.
fn append_text(message: &[u8], part: &Part, out: &mut String) {
    for child in &part.children {
        append_text(message, child, out);
    }
    if let Some(inner) = &part.message {
        append_text(message, inner, out);
    }
    if part.media_type != "text" {
        return;
    }
    let raw = slice(message, &part.body);
    let decoded = transfer_decode(raw, &part.encoding).unwrap_or(Cow::Borrowed(raw));
    if !out.is_empty() {
        out.push('\n');
    }
    out.push_str(&to_utf8(&decoded, part.param("charset").unwrap_or_default().as_bytes()));
}

/// Whether `haystack` contains `needle`, ignoring case (simple Unicode case folding through
/// `to_lowercase`; an ASCII needle is matched octet-wise with memmem over lower-cased chunks).
pub fn contains_ignore_case(haystack: &str, needle: &str) -> bool {
    if !needle.is_ascii() {
        return haystack.to_lowercase().contains(&needle.to_lowercase());
    }
    // Lower-case the haystack a chunk at a time (overlapping by the needle's length) for memmem.
    const CHUNK: usize = 16 * 1024;
    let (hay, needle) = (haystack.as_bytes(), needle.to_ascii_lowercase());
    if needle.is_empty() {
        return true;
    }
    let finder = memchr::memmem::Finder::new(&needle);
    let mut lower = Vec::with_capacity(CHUNK + needle.len());
    let mut start = 0;
    loop {
        let end = hay.len().min(start + CHUNK + needle.len() - 1);
        lower.clear();
        lower.extend(hay[start..end].iter().map(u8::to_ascii_lowercase));
        if finder.find(&lower).is_some() {
            return true;
        }
        if end == hay.len() {
            return false;
        }
        start += CHUNK;
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::mime::parse;

    #[test]
    fn decodes_header_values() {
        let m = b"To: a@b\r\nSubject: =?utf-8?q?caf=C3=A9?=\r\n =?utf-8?q?_au_lait?=\r\nsubject: second\r\n\r\nx";
        let root = parse(m);
        assert_eq!(header_values(m, &root, "SUBJECT"), vec!["café au lait", "second"]);
        assert_eq!(header_values(m, &root, "cc"), Vec::<String>::new());
    }

    #[test]
    fn collects_decoded_text_parts() {
        let m = b"Content-Type: multipart/mixed; boundary=b\r\n\r\n--b\r\n\
                  Content-Type: text/plain; charset=iso-8859-1\r\nContent-Transfer-Encoding: quoted-printable\r\n\r\n\
                  caf=E9\r\n--b\r\nContent-Type: image/png\r\nContent-Transfer-Encoding: base64\r\n\r\niVBORw0K\r\n\
                  --b\r\nContent-Type: message/rfc822\r\n\r\nSubject: inner\r\nContent-Type: text/html\r\n\
                  Content-Transfer-Encoding: base64\r\n\r\nPGI+aGk8L2I+\r\n--b--\r\n";
        assert_eq!(body_text(m, &parse(m)), "café\n<b>hi</b>");
        assert_eq!(
            body_text(b"Subject: x\r\n\r\nplain \xff", &parse(b"Subject: x\r\n\r\nplain \xff")),
            "plain \u{fffd}"
        );
    }

    #[test]
    fn matches_ignoring_case() {
        assert!(contains_ignore_case("Hello World", "wORLD"));
        assert!(contains_ignore_case("Hello World", ""));
        assert!(contains_ignore_case("a-1-2", "-2"));
        assert!(!contains_ignore_case("Hello", "hello!"));
        assert!(contains_ignore_case("Grüße aus KÖLN", "köln"));
        assert!(contains_ignore_case("ÉCOLE", "école"));
        assert!(!contains_ignore_case("école", "ecole"));
        assert!(contains_ignore_case("xx\u{e9}Ab", "ab"));
        let long = format!("{}NeedLE{}", "x".repeat(16 * 1024 - 3), "y".repeat(40_000));
        assert!(contains_ignore_case(&long, "needle") && !contains_ignore_case(&long, "needles"));
    }
}
