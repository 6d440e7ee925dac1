//! A message's header fields as DKIM sees them: split from the body, picked by an `h=` list
//! (RFC 6376 section 5.4.2) and turned into the bytes the header hash covers (section 3.7).

use std::collections::HashMap;

use super::canon::{Canonicalization, canonicalize_header};

/// One header field, borrowed from the message.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Field<'a> {
    /// The whole field, `name:value` with its folding, without the CRLF that ends it.
    pub raw: &'a [u8],
    /// Where the value starts in `raw`: just after the colon.
    pub value_start: usize,
}

impl<'a> Field<'a> {
    /// The name as written, without whitespace before the colon.
    pub fn name(&self) -> &'a [u8] {
        self.raw[..self.value_start - 1].trim_ascii_end()
    }

    /// The value: everything after the colon, folding included.
    pub fn value(&self) -> &'a [u8] {
        &self.raw[self.value_start..]
    }

    /// Whether the name is `name` (ASCII case-insensitive).
    pub fn is(&self, name: &str) -> bool {
        self.name().eq_ignore_ascii_case(name.as_bytes())
    }
}

/// Splits a message into its header fields, top to bottom, and its body (what follows the first
/// empty line; empty if there is none). Lines end with CRLF; a bare LF is accepted as a line end
/// too, so that nothing is lost, though such a message rarely verifies. A line that is neither a
/// field nor a continuation is skipped.
pub(crate) fn split(message: &[u8]) -> (Vec<Field<'_>>, &[u8]) {
    let mut fields = Vec::new();
    let mut end = 0;
    for field in message::headers::fields(message) {
        end += field.raw.len();
        let raw = field.raw.strip_suffix(b"\n").unwrap_or(field.raw);
        let raw = raw.strip_suffix(b"\r").unwrap_or(raw);
        let starts_field = !matches!(raw.first(), Some(b' ' | b'\t'));
        if let (true, Some(colon)) = (starts_field, memchr::memchr(b':', raw)) {
            fields.push(Field { raw, value_start: colon + 1 });
        }
    }
    let rest = &message[end..];
    let body = rest.strip_prefix(b"\r\n").or_else(|| rest.strip_prefix(b"\n")).unwrap_or(rest);
    (fields, body)
}

/// Picks the fields an `h=` list names: for each name in order, the last instance not picked
/// yet, bottom up; a name with no instance left picks nothing (RFC 6376 section 5.4.2).
pub(crate) fn select<'f, 'a>(fields: &'f [Field<'a>], names: &[String]) -> Vec<&'f Field<'a>> {
    let mut by_name: HashMap<Vec<u8>, Vec<&'f Field<'a>>> = HashMap::new();
    for field in fields {
        by_name.entry(field.name().to_ascii_lowercase()).or_default().push(field);
    }
    names.iter().filter_map(|name| by_name.get_mut(name.to_ascii_lowercase().as_bytes())?.pop()).collect()
}

/// The bytes the header hash covers: each picked field canonicalized and ended with CRLF, then
/// the DKIM-Signature field itself with its `b=` value already emptied, canonicalized, without
/// a final CRLF.
pub(crate) fn hash_input(
    canon: Canonicalization,
    fields: &[Field<'_>],
    names: &[String],
    signature_field: &[u8],
) -> Vec<u8> {
    let mut out = Vec::with_capacity(1024);
    for field in select(fields, names) {
        canonicalize_header(canon, field.raw, &mut out);
        out.extend_from_slice(b"\r\n");
    }
    canonicalize_header(canon, signature_field, &mut out);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn splits_fields_and_body() {
        let msg = b"From: a\r\nSubject: x\r\n y\r\n\tz\r\nnot a field\r\n continued\r\nTo:b\r\n\r\nbody\r\n";
        let (fields, body) = split(msg);
        assert_eq!(fields.len(), 3);
        assert_eq!(fields[1].raw, b"Subject: x\r\n y\r\n\tz");
        assert_eq!(fields[1].name(), b"Subject");
        assert_eq!(fields[1].value(), b" x\r\n y\r\n\tz");
        assert!(fields[2].is("to"));
        assert_eq!(body, b"body\r\n");
    }

    #[test]
    fn no_body_and_no_final_line_end() {
        let (fields, body) = split(b"From: a\r\nTo: b");
        assert_eq!(fields.len(), 2);
        assert_eq!(fields[1].raw, b"To: b");
        assert!(body.is_empty());
        let (fields, body) = split(b"");
        assert!(fields.is_empty() && body.is_empty());
        let (fields, body) = split(b"\r\nonly body");
        assert!(fields.is_empty());
        assert_eq!(body, b"only body");
    }

    #[test]
    fn selects_bottom_up_and_skips_missing() {
        let msg = b"Received: 1\r\nFrom: a\r\nReceived: 2\r\nreceived: 3\r\n\r\n";
        let (fields, _) = split(msg);
        let names: Vec<String> = ["received", "from", "RECEIVED", "cc", "from", "received", "received"]
            .into_iter()
            .map(String::from)
            .collect();
        let picked: Vec<&[u8]> = select(&fields, &names).iter().map(|f| f.raw).collect();
        assert_eq!(picked, [&b"received: 3"[..], b"From: a", b"Received: 2", b"Received: 1"]);
    }
}
