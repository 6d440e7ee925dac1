//! The octets of `BODY[section]` (RFC 3501 6.4.5) and `BINARY[part]` (RFC 3516) from a parsed
//! [`Part`] tree.

use crate::section::{Section, SectionText};
use message::headers::{fields, slice};
use message::mime::Part;
use message::mime::decode::transfer_decode;
use std::borrow::Cow;
use std::fmt;

/// The octets of `BODY[section]` (before any <partial>); None when the section names no part
/// (the session then answers with an empty string). HEADER.FIELDS matching is case-insensitive,
/// keeps the order of the header, includes the trailing blank line (CRLF). Part numbering: for a
/// non-multipart message `1` is the body itself; for message/rfc822 parts, `N.HEADER`/`N.TEXT`/
/// `N.1` address the encapsulated message. `N.MIME` is the part's own MIME header (with its
/// blank line). Part 0 or beyond the children => None.
pub fn section<'a>(message: &'a [u8], root: &Part, section: &Section) -> Option<Cow<'a, [u8]>> {
    let part = find(root, &section.part)?;
    let Some(text) = &section.text else {
        let whole = section.part.is_empty();
        return Some(Cow::Borrowed(if whole { message } else { slice(message, &part.body) }));
    };
    // HEADER, HEADER.FIELDS and TEXT of a numbered part address its encapsulated message.
    let target = match (&text, section.part.is_empty()) {
        (SectionText::Mime, true) => return None,
        (SectionText::Mime, false) | (_, true) => part,
        (_, false) => part.message.as_deref()?,
    };
    let header = slice(message, &target.header);
    Some(match text {
        SectionText::Header | SectionText::Mime => Cow::Borrowed(header),
        SectionText::Text => Cow::Borrowed(slice(message, &target.body)),
        SectionText::HeaderFields { not, fields: names } => {
            let mut out = Vec::new();
            for field in fields(header) {
                if names.iter().any(|n| field.is(n)) != *not {
                    out.extend_from_slice(field.raw);
                    if !field.raw.ends_with(b"\n") {
                        out.extend_from_slice(b"\r\n");
                    }
                }
            }
            out.extend_from_slice(b"\r\n");
            Cow::Owned(out)
        }
    })
}

/// BINARY[part] (RFC 3516): the part's content with its Content-Transfer-Encoding undone (base64,
/// quoted-printable, 7bit/8bit/binary as is). Err(UnknownEncoding) for other encodings (session
/// answers NO [UNKNOWN-CTE]); Ok(None) when no such part.
pub fn binary<'a>(message: &'a [u8], root: &Part, part: &[u32]) -> Result<Option<Cow<'a, [u8]>>, UnknownEncoding> {
    if part.is_empty() {
        return Ok(Some(Cow::Borrowed(message)));
    }
    let Some(found) = find(root, part) else { return Ok(None) };
    transfer_decode(slice(message, &found.body), &found.encoding).map(Some).ok_or(UnknownEncoding)
}

/// The part's Content-Transfer-Encoding is not one BINARY can undo.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct UnknownEncoding;

impl fmt::Display for UnknownEncoding {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("unknown Content-Transfer-Encoding")
    }
}

impl std::error::Error for UnknownEncoding {}

/// The part that the part numbers `numbers` name (the root for none). Within a message (the root
/// or an encapsulated one) that is not multipart, `1` is the message's own body.
fn find<'p>(root: &'p Part, numbers: &[u32]) -> Option<&'p Part> {
    let mut part = root;
    let mut at_message = true;
    for (i, &n) in numbers.iter().enumerate() {
        if i > 0 {
            if let Some(inner) = part.message.as_deref() {
                part = inner;
                at_message = true;
            }
        }
        let index = usize::try_from(n.checked_sub(1)?).ok()?;
        if part.is_multipart() {
            part = part.children.get(index)?;
        } else if !(at_message && index == 0) {
            return None;
        }
        at_message = false;
    }
    Some(part)
}

#[cfg(test)]
#[path = "section_tests.rs"]
mod tests;
