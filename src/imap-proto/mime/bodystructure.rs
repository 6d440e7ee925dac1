//! BODY and BODYSTRUCTURE (RFC 3501 7.4.2, RFC 9051 7.5.2) from a parsed [`Part`] tree. Types,
//! subtypes, encodings, disposition types and parameter names are written upper case.

use super::envelope::write_envelope;
use crate::wire::{nstring, string};
use bytes::{BufMut, BytesMut};
use message::mime::Part;

/// Writes BODYSTRUCTURE (`extensible` = true) or BODY (false) per RFC 3501 7.4.2 / RFC 9051
/// 7.5.2: basic fields (type subtype (params) id description encoding size), text parts add
/// lines, message/rfc822 adds envelope, body and lines; extension data for BODYSTRUCTURE: single
/// part md5 dsp lang loc; multipart (params) dsp lang loc. Parameter values with RFC 2231
/// continuations/charsets joined and decoded to UTF-8 (then written as strings).
pub fn write_body_structure(out: &mut BytesMut, message: &[u8], part: &Part, extensible: bool) {
    out.put_u8(b'(');
    if part.is_multipart() {
        for child in &part.children {
            write_body_structure(out, message, child, extensible);
        }
        out.put_u8(b' ');
        upper(out, &part.subtype);
        if extensible {
            out.put_u8(b' ');
            params(out, &part.params);
            extension(out, part);
        }
    } else {
        upper(out, &part.media_type);
        out.put_u8(b' ');
        upper(out, &part.subtype);
        out.put_u8(b' ');
        params(out, &part.params);
        out.put_u8(b' ');
        nstring(out, part.id.as_deref());
        out.put_u8(b' ');
        nstring(out, part.description.as_deref());
        out.put_u8(b' ');
        upper(out, &part.encoding);
        out.put_slice(format!(" {}", part.body.len()).as_bytes());
        if let Some(inner) = &part.message {
            out.put_u8(b' ');
            write_envelope(out, message, inner);
            out.put_u8(b' ');
            write_body_structure(out, message, inner, extensible);
            out.put_slice(format!(" {}", part.lines).as_bytes());
        } else if part.media_type == "text" {
            out.put_slice(format!(" {}", part.lines).as_bytes());
        }
        if extensible {
            out.put_u8(b' ');
            nstring(out, part.md5.as_deref());
            extension(out, part);
        }
    }
    out.put_u8(b')');
}

/// The extension fields both kinds share: ` dsp lang loc`.
fn extension(out: &mut BytesMut, part: &Part) {
    out.put_u8(b' ');
    match &part.disposition {
        Some(d) => {
            out.put_u8(b'(');
            upper(out, &d.kind);
            out.put_u8(b' ');
            params(out, &d.params);
            out.put_u8(b')');
        }
        None => out.put_slice(b"NIL"),
    }
    out.put_u8(b' ');
    match part.language.as_slice() {
        [] => out.put_slice(b"NIL"),
        [one] => string(out, one.as_bytes()),
        many => {
            out.put_u8(b'(');
            for (i, tag) in many.iter().enumerate() {
                if i > 0 {
                    out.put_u8(b' ');
                }
                string(out, tag.as_bytes());
            }
            out.put_u8(b')');
        }
    }
    out.put_u8(b' ');
    nstring(out, part.location.as_deref());
}

/// A parameter list `("NAME" "value" ...)`, or NIL when empty.
fn params(out: &mut BytesMut, params: &[(String, String)]) {
    if params.is_empty() {
        out.put_slice(b"NIL");
        return;
    }
    out.put_u8(b'(');
    for (i, (name, value)) in params.iter().enumerate() {
        if i > 0 {
            out.put_u8(b' ');
        }
        upper(out, name);
        out.put_u8(b' ');
        string(out, value.as_bytes());
    }
    out.put_u8(b')');
}

/// `s` upper-cased as a string.
fn upper(out: &mut BytesMut, s: &str) {
    string(out, s.to_ascii_uppercase().as_bytes());
}

#[cfg(test)]
#[path = "bodystructure_tests.rs"]
mod tests;
