//! MIME parameters as written: an attachment's content type checked and its parameters
//! written back, file names as RFC 2231 `filename*=utf-8''...` (in sections when long) and,
//! for readers that know no RFC 2231, as RFC 2047 encoded words in `name="..."`.

use super::header::{FOLD_AT, encoded_words};
use crate::mime::params::{self, Param};

/// A quoted parameter value longer than this is written in RFC 2231 sections, and a `name=`
/// as encoded words of this length.
const PARAM_VALUE: usize = 60;

/// A content type checked: `type/subtype` of tokens (lower case), not a multipart, with its
/// parameters (not `name`, which comes from the file name); empty is application/octet-stream.
pub(super) fn content_type(value: &str) -> Result<(String, Vec<Param>), &'static str> {
    let value = value.trim();
    if value.is_empty() {
        return Ok(("application/octet-stream".to_string(), Vec::new()));
    }
    if !value.bytes().all(|b| b == b'\t' || (0x20..0x7f).contains(&b)) {
        return Err("holds non-ASCII or control characters");
    }
    let (media, list) = params::parse(value.as_bytes());
    let media = String::from_utf8_lossy(&media).to_ascii_lowercase();
    let Some((kind, _)) = media.split_once('/').filter(|(k, s)| token(k) && token(s)) else {
        return Err("is not type/subtype");
    };
    if kind == "multipart" {
        return Err("is a multipart, which an attachment cannot be");
    }
    if list.iter().any(|(name, _)| !token(name)) {
        return Err("has a parameter whose name is not a token");
    }
    if list.iter().any(|(name, _)| name == "name" || name == "boundary") {
        return Err("sets a name or boundary parameter (the name comes from the filename)");
    }
    Ok((media, list))
}

/// Whether `text` is an RFC 2045 token.
fn token(text: &str) -> bool {
    !text.is_empty() && text.bytes().all(|b| b.is_ascii_graphic() && !b"()<>@,;:\\\"/[]?=".contains(&b))
}

/// `name=value` when `value` is a token (but a file name, always quoted), `name="value"`
/// when it is short printable ASCII, else RFC 2231 `name*=utf-8''...`, in sections
/// (`name*0*=`, `name*1*=`...) when long.
pub(super) fn param(name: &str, value: &str) -> String {
    if token(value) && value.len() <= PARAM_VALUE && name != "filename" {
        return format!("{name}={value}");
    }
    if let Some(quoted) = quoted(value) {
        return format!("{name}={quoted}");
    }
    let encoded: String = value.bytes().map(percent).collect();
    // Room on a folded line: its leading space and the `;` after.
    let room = |prefix: &str| (FOLD_AT - 2).saturating_sub(prefix.len()).max(12);
    let whole = format!("{name}*=utf-8''");
    if encoded.len() <= room(&whole) {
        return whole + &encoded;
    }
    let mut sections = Vec::new();
    let mut rest = encoded.as_str();
    while !rest.is_empty() {
        let charset = if sections.is_empty() { "utf-8''" } else { "" };
        let prefix = format!("{name}*{}*={charset}", sections.len());
        // Never cut a `%XX` escape.
        let mut cut = rest.len().min(room(&prefix));
        if cut < rest.len() {
            if let Some(percent) = rest[cut - 2..cut].find('%') {
                cut = cut - 2 + percent;
            }
        }
        sections.push(prefix + &rest[..cut]);
        rest = &rest[cut..];
    }
    sections.join("; ")
}

/// Content-Type's `name=` for readers that know no RFC 2231: quoted as it is when short
/// printable ASCII, else RFC 2047 encoded words inside the quotes (as most mailers write it).
pub(super) fn name_param(filename: &str) -> String {
    match quoted(filename) {
        Some(quoted) => format!("name={quoted}"),
        None => format!("name=\"{}\"", encoded_words(filename, PARAM_VALUE, PARAM_VALUE).join(" ")),
    }
}

/// `value` as a quoted string, when it is printable ASCII short enough and holds no `=?`
/// (which readers take for the start of an encoded word).
fn quoted(value: &str) -> Option<String> {
    let printable = value.bytes().all(|b| (0x20..0x7f).contains(&b)) && !value.contains("=?");
    let quoted = format!("\"{}\"", value.replace('\\', "\\\\").replace('"', "\\\""));
    (printable && quoted.len() <= PARAM_VALUE).then_some(quoted)
}

/// An octet of an RFC 2231 value: an attribute-char as it is, else `%XX`.
fn percent(b: u8) -> String {
    match b.is_ascii_alphanumeric() || b"!#$&+-.^_`|~".contains(&b) {
        true => char::from(b).to_string(),
        false => format!("%{b:02X}"),
    }
}
