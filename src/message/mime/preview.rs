//! The preview of a message (RFC 8970): the start of what a reader sees, for mail lists to
//! show under the subject. The first text/plain part, else the first text/html one with its
//! markup removed; transfer-decoded, converted to UTF-8, white space collapsed, at most
//! [`PREVIEW_CHARS`] characters.

use std::borrow::Cow;

use super::charset::to_utf8;
use super::decode::transfer_decode;
use super::structure::Part;
use crate::headers::slice;

/// Longest preview in characters (RFC 8970 2: at most 256).
pub const PREVIEW_CHARS: usize = 256;
/// Octets of a part read for its preview at most, so that a huge part costs no more.
const SCAN_OCTETS: usize = 16 * 1024;

/// The preview of the message whose structure is `root`; empty when it has no text.
pub fn preview(message: &[u8], root: &Part) -> String {
    let text = first_text(root, "plain")
        .map(|part| decoded(message, part))
        .or_else(|| first_text(root, "html").map(|part| without_markup(&decoded(message, part))));
    text.map(|text| collapsed(&text)).unwrap_or_default()
}

/// The first `text/<subtype>` leaf in reading order (not inside attached messages).
fn first_text<'p>(part: &'p Part, subtype: &str) -> Option<&'p Part> {
    if part.children.is_empty() {
        let inline = part.disposition.as_ref().is_none_or(|d| !d.kind.eq_ignore_ascii_case("attachment"));
        return (part.media_type == "text" && part.subtype == subtype && inline).then_some(part);
    }
    part.children.iter().find_map(|child| first_text(child, subtype))
}

/// The start of a part's body, transfer-decoded and in UTF-8.
fn decoded(message: &[u8], part: &Part) -> String {
    let raw = slice(message, &part.body);
    let raw = &raw[..raw.len().min(SCAN_OCTETS)];
    let bytes = transfer_decode(raw, &part.encoding).unwrap_or(Cow::Borrowed(raw));
    to_utf8(&bytes, part.param("charset").unwrap_or_default().as_bytes()).into_owned()
}

/// HTML without its tags, comments, `<style>` and `<script>` content, and with the common
/// entities written out.
fn without_markup(html: &str) -> String {
    // ASCII lower-casing keeps every offset, so `lower` is searched and `html` sliced.
    let lower = html.to_ascii_lowercase();
    let mut out = String::with_capacity(html.len());
    let mut at = 0;
    while let Some(found) = lower[at..].find('<') {
        let start = at + found;
        out.push_str(&html[at..start]);
        out.push(' ');
        let tag = &lower[start..];
        let close = if tag.starts_with("<!--") {
            "-->"
        } else if tag.starts_with("<style") {
            "</style>"
        } else if tag.starts_with("<script") {
            "</script>"
        } else {
            ">"
        };
        match tag.find(close) {
            Some(end) => at = start + end + close.len(),
            None => return entities(&out),
        }
    }
    out.push_str(&html[at..]);
    entities(&out)
}

fn entities(text: &str) -> String {
    text.replace("&nbsp;", " ")
        .replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&quot;", "\"")
        .replace("&#39;", "'")
        .replace("&amp;", "&")
}

/// Runs of white space as one space, trimmed, cut to [`PREVIEW_CHARS`].
fn collapsed(text: &str) -> String {
    let mut out = String::new();
    let mut chars = 0;
    for word in text.split_whitespace() {
        if chars > 0 {
            out.push(' ');
            chars += 1;
        }
        out.push_str(word);
        chars += word.chars().count();
        if chars >= PREVIEW_CHARS {
            break;
        }
    }
    out.chars().take(PREVIEW_CHARS).collect()
}

#[cfg(test)]
mod tests {
    use super::super::parse;
    use super::*;

    fn of(message: &[u8]) -> String {
        preview(message, &parse(message))
    }

    #[test]
    fn plain_text_first_then_html_without_markup() {
        assert_eq!(of(b"Subject: x\r\n\r\nHello   there,\r\n\r\n  how are you?\r\n"), "Hello there, how are you?");
        let alternative =
            b"Content-Type: multipart/alternative; boundary=b\r\n\r\n--b\r\nContent-Type: text/html\r\n\r\n\
            <html><style>p{color:red}</style><p>Hi &amp; <b>welcome</b></p><!-- hidden --></html>\r\n\
            --b\r\nContent-Type: text/plain; charset=iso-8859-1\r\nContent-Transfer-Encoding: quoted-printable\r\n\r\n\
            Gr=FC=DFe\r\n--b--\r\n";
        assert_eq!(of(alternative), "Grüße", "the plain part wins");
        let html = b"Content-Type: text/html\r\n\r\n<p>Hi &amp; <b>welcome</b></p><script>alert(1)</script>\r\n";
        assert_eq!(of(html), "Hi & welcome");
        let attached = b"Content-Type: multipart/mixed; boundary=b\r\n\r\n--b\r\nContent-Type: text/plain\r\n\
            Content-Disposition: attachment; filename=a.txt\r\n\r\nattached\r\n--b--\r\n";
        assert_eq!(of(attached), "", "an attachment is not what a reader sees first");
        assert_eq!(of(b"Content-Type: text/html\r\n\r\n<p>cut <b"), "cut");
    }

    #[test]
    fn at_most_256_characters() {
        let long = format!("Subject: x\r\n\r\n{}\r\n", "ü ".repeat(1000));
        let got = of(long.as_bytes());
        assert_eq!(got.chars().count(), PREVIEW_CHARS);
        assert!(got.starts_with("ü ü"));
    }
}
