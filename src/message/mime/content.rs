//! The Content-* fields of one part's header (RFC 2045, 2183, 3282, 2557) read into a [`Part`],
//! with the defaults of RFC 2045 and 2046 for missing or invalid ones.

use super::params;
use super::structure::{Disposition, Part};
use crate::headers::{fields, slice, unfold};
use std::ops::Range;

/// A part with `header` and the fields read from it (body and children left empty). A missing
/// Content-Type is `text/plain; charset=US-ASCII`, or `message/rfc822` in a multipart/digest.
pub(crate) fn read(message: &[u8], header: Range<usize>, in_digest: bool) -> Part {
    let mut part = Part { header: header.clone(), ..Part::default() };
    let mut content_type = None;
    let mut encoding = None;
    for field in fields(slice(message, &header)) {
        if field.name.len() < 8 || !field.name[..8].eq_ignore_ascii_case(b"content-") {
            continue;
        }
        let lower = field.name[8..].to_ascii_lowercase();
        let value = field.value;
        match lower.as_slice() {
            b"type" => content_type = content_type.or(Some(value)),
            b"transfer-encoding" => encoding = encoding.or(Some(value)),
            b"id" => set_text(&mut part.id, value),
            b"description" => set_text(&mut part.description, value),
            b"md5" => set_text(&mut part.md5, value),
            b"location" => set_text(&mut part.location, value),
            b"disposition" if part.disposition.is_none() => part.disposition = disposition(value),
            b"language" if part.language.is_empty() => part.language = language(value),
            _ => {}
        }
    }
    part.encoding =
        encoding.map(|v| String::from_utf8_lossy(&params::parse(v).0).to_ascii_lowercase()).unwrap_or_default();
    if part.encoding.is_empty() {
        part.encoding = "7bit".into();
    }
    match content_type {
        Some(value) => set_type(&mut part, value),
        None if in_digest => {
            part.media_type = "message".into();
            part.subtype = "rfc822".into();
        }
        None => part.make_plain(),
    }
    part
}

impl Part {
    /// Makes this part `text/plain; charset=US-ASCII`, the default for a missing or invalid type.
    pub(crate) fn make_plain(&mut self) {
        self.media_type = "text".into();
        self.subtype = "plain".into();
        self.params = vec![("charset".into(), "US-ASCII".into())];
    }

    /// Makes this part opaque `application/octet-stream` (its inside is not parsed).
    pub(crate) fn make_opaque(&mut self) {
        self.media_type = "application".into();
        self.subtype = "octet-stream".into();
        self.params.clear();
    }
}

/// Sets type, subtype and parameters from a Content-Type value, leniently.
fn set_type(part: &mut Part, value: &[u8]) {
    let (main, params) = params::parse(value);
    let main = String::from_utf8_lossy(&main).to_ascii_lowercase();
    let (media_type, subtype) = match main.split_once('/') {
        Some((t, s)) => (t, s),
        None => (main.as_str(), if main == "text" { "plain" } else { "" }),
    };
    if !is_token(media_type) || !is_token(subtype) {
        return part.make_plain();
    }
    part.media_type = media_type.into();
    part.subtype = subtype.into();
    part.params = params;
    if part.media_type == "text" && part.param("charset").is_none_or(str::is_empty) {
        part.params.retain(|(n, _)| n != "charset");
        part.params.push(("charset".into(), "US-ASCII".into()));
    }
}

/// An RFC 2045 token: at least one printable ASCII octet, none of them a tspecial.
fn is_token(s: &str) -> bool {
    !s.is_empty() && s.bytes().all(|b| b.is_ascii_graphic() && !b"()<>@,;:\\\"/[]?=".contains(&b))
}

/// Sets an unstructured field once: the first one wins, empty values are absent.
fn set_text(slot: &mut Option<Vec<u8>>, value: &[u8]) {
    let value = unfold(value);
    if slot.is_none() && !value.is_empty() {
        *slot = Some(value.into_owned());
    }
}

/// A Content-Disposition value; absent when it has no disposition type.
fn disposition(value: &[u8]) -> Option<Disposition> {
    let (kind, params) = params::parse(value);
    let kind = String::from_utf8_lossy(&kind).to_ascii_lowercase();
    (!kind.is_empty()).then_some(Disposition { kind, params })
}

/// The language tags of a Content-Language value (comma separated, comments removed).
fn language(value: &[u8]) -> Vec<String> {
    let (tags, _) = params::parse(value);
    tags.split(|&b| b == b',').filter(|t| !t.is_empty()).map(|t| String::from_utf8_lossy(t).into_owned()).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn read_str(header: &str, in_digest: bool) -> Part {
        read(header.as_bytes(), 0..header.len(), in_digest)
    }

    fn kind(p: &Part) -> (&str, &str, Vec<(&str, &str)>) {
        (&p.media_type, &p.subtype, p.params.iter().map(|(a, b)| (a.as_str(), b.as_str())).collect())
    }

    #[test]
    fn applies_defaults() {
        let p = read_str("Subject: x\r\n\r\n", false);
        assert_eq!(kind(&p), ("text", "plain", vec![("charset", "US-ASCII")]));
        assert_eq!(p.encoding, "7bit");
        assert_eq!(kind(&read_str("", true)), ("message", "rfc822", vec![]));
        assert_eq!(kind(&read_str("Content-Type: text\r\n", false)), ("text", "plain", vec![("charset", "US-ASCII")]));
        assert_eq!(kind(&read_str("Content-Type: image\r\n", false)), ("text", "plain", vec![("charset", "US-ASCII")]));
        assert_eq!(kind(&read_str("Content-Type: ;;\r\n", false)), ("text", "plain", vec![("charset", "US-ASCII")]));
        assert_eq!(kind(&read_str("Content-Type: a/b/c\r\n", false)), ("text", "plain", vec![("charset", "US-ASCII")]));
        assert_eq!(
            kind(&read_str("Content-Type: TEXT/HTML; CHARSET=\"\"\r\n", false)),
            ("text", "html", vec![("charset", "US-ASCII")])
        );
    }

    #[test]
    fn reads_every_content_field() {
        let p = read_str(
            "content-type: Image/GIF; name=a.gif\r\nContent-ID: <x@y>\r\nContent-Description: A\r\n picture\r\n\
             Content-Transfer-Encoding: BASE64 (comment)\r\nContent-MD5: Q2hlY2s=\r\n\
             Content-Disposition: Attachment; filename=\"a.gif\"\r\nContent-Language: en (English), de\r\n\
             Content-Location: http://x/a.gif\r\nContent-ID: <second@y>\r\nContent-Type: text/plain\r\n\r\n",
            false,
        );
        assert_eq!(kind(&p), ("image", "gif", vec![("name", "a.gif")]));
        assert_eq!(p.id.as_deref(), Some(&b"<x@y>"[..]));
        assert_eq!(p.description.as_deref(), Some(&b"A picture"[..]));
        assert_eq!(p.encoding, "base64");
        assert_eq!(p.md5.as_deref(), Some(&b"Q2hlY2s="[..]));
        let d = p.disposition.unwrap();
        assert_eq!((d.kind.as_str(), d.params), ("attachment", vec![("filename".into(), "a.gif".into())]));
        assert_eq!(p.language, vec!["en", "de"]);
        assert_eq!(p.location.as_deref(), Some(&b"http://x/a.gif"[..]));
    }

    #[test]
    fn drops_empty_fields() {
        let p = read_str("Content-ID:\r\nContent-Disposition: ; filename=x\r\nContent-Transfer-Encoding:\r\n", false);
        assert_eq!((p.id, p.disposition, p.encoding.as_str()), (None, None, "7bit"));
    }
}
