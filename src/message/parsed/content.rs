//! The bodies of parts: raw, transfer-decoded, as UTF-8 text (whole or capped), and attached
//! messages that were sent encoded, so that the part tree could not look inside them.

use std::borrow::Cow;

use super::Parsed;
use crate::headers::{self, slice};
use crate::mime::charset::to_utf8;
use crate::mime::decode::transfer_decode;
use crate::mime::{Part, params};

/// Raw octets read per octet of text wanted by [`Parsed::text_capped`]: enough for base64
/// (4/3), quoted-printable of mostly ASCII and UTF-16 text.
const RAW_PER_TEXT: usize = 4;

impl<'a> Parsed<'a> {
    /// The header block of `part` (a part of this message's tree).
    pub fn header_of(&self, part: &Part) -> &'a [u8] {
        slice(self.raw, &part.header)
    }

    /// The body of `part` as sent (still transfer-encoded).
    pub fn body_of(&self, part: &Part) -> &'a [u8] {
        slice(self.raw, &part.body)
    }

    /// The body of `part` with its Content-Transfer-Encoding undone (base64 and
    /// quoted-printable leniently); an unknown encoding gives the body as sent.
    pub fn decoded(&self, part: &Part) -> Cow<'a, [u8]> {
        decode(self.body_of(part), part)
    }

    /// The body of `part` as UTF-8 text: transfer-decoded, then converted from its `charset`
    /// parameter (unknown charsets and bad octets read lossily; none means UTF-8).
    pub fn text(&self, part: &Part) -> Cow<'a, str> {
        text(self.body_of(part), part)
    }

    /// Like [`Parsed::text`], at most `limit` octets of it (cut at a character boundary),
    /// reading only as much of the body as that can take (a few octets per octet of text).
    pub fn text_capped(&self, part: &Part, limit: usize) -> Cow<'a, str> {
        let body = self.body_of(part);
        let body = &body[..body.len().min(limit.saturating_mul(RAW_PER_TEXT).saturating_add(64))];
        match text(body, part) {
            Cow::Borrowed(text) => Cow::Borrowed(&text[..floor_boundary(text, limit)]),
            Cow::Owned(mut text) => {
                text.truncate(floor_boundary(&text, limit));
                Cow::Owned(text)
            }
        }
    }

    /// The decoded octets of an attached message (`message/rfc822` or `message/global`) that
    /// was sent base64 or quoted-printable encoded, which the part tree keeps as opaque
    /// `application/octet-stream`; read it with [`Parsed::new`]. `None` for every other part.
    pub fn encapsulated(&self, part: &Part) -> Option<Vec<u8>> {
        let opaque = part.media_type == "application" && part.subtype == "octet-stream";
        if !opaque || !matches!(part.encoding.as_str(), "base64" | "quoted-printable") {
            return None;
        }
        // The part tree reads the first Content-Type field; so does this.
        let declared = params::parse(headers::first(self.header_of(part), "content-type")?.value).0;
        let message = [&b"message/rfc822"[..], b"message/global"].iter().any(|t| declared.eq_ignore_ascii_case(t));
        message.then(|| self.decoded(part).into_owned())
    }
}

/// `body` transfer-decoded as `part` says.
fn decode<'a>(body: &'a [u8], part: &Part) -> Cow<'a, [u8]> {
    transfer_decode(body, &part.encoding).unwrap_or(Cow::Borrowed(body))
}

/// `body` decoded and converted to UTF-8 as `part` says.
fn text<'a>(body: &'a [u8], part: &Part) -> Cow<'a, str> {
    let charset = part.param("charset").unwrap_or_default().as_bytes();
    match decode(body, part) {
        Cow::Borrowed(bytes) => to_utf8(bytes, charset),
        Cow::Owned(bytes) => {
            // Valid UTF-8 comes back borrowed: then keep the decoded buffer itself.
            let converted = match to_utf8(&bytes, charset) {
                Cow::Owned(text) => Some(text),
                Cow::Borrowed(_) => None,
            };
            Cow::Owned(converted.unwrap_or_else(|| {
                String::from_utf8(bytes).unwrap_or_else(|e| String::from_utf8_lossy(e.as_bytes()).into_owned())
            }))
        }
    }
}

/// The largest character boundary of `text` at or below `at`.
fn floor_boundary(text: &str, at: usize) -> usize {
    if at >= text.len() {
        return text.len();
    }
    (0..=at).rev().find(|&i| text.is_char_boundary(i)).unwrap_or(0)
}
