//! Header fields as written: folded at white space so that lines stay within 78 octets where
//! white space allows and never pass 998 (RFC 5322 2.1.1), text that is not plain ASCII as
//! RFC 2047 encoded words, and the checks on the extra fields a draft gives.

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;

use super::{ComposeError, address};

/// Lines are folded to this length where white space allows (RFC 5322 2.1.1's SHOULD).
pub(super) const FOLD_AT: usize = 78;

/// No line is longer, without its CRLF (RFC 5322 2.1.1's MUST).
pub(super) const MAX_LINE: usize = 998;

/// The longest encoded word (RFC 2047 2).
const MAX_WORD: usize = 75;

/// `=?utf-8?Q?` and `?=` around an encoded word's text.
const WORD_OVERHEAD: usize = 12;

/// Extra fields RFC 5322 3.6 allows once.
const ONCE: &[&str] = &["sender", "reply-to", "cc", "in-reply-to", "references"];

/// `name: value` folded, CRLF included; an error when a word of it cannot fit in 998 octets.
pub(super) fn field(name: &str, value: &str) -> Result<String, ComposeError> {
    fold(name, value).ok_or_else(|| ComposeError::FieldValue {
        field: name.to_string(),
        reason: "holds a word too long to fold within 998 octets",
    })
}

/// An unstructured field (Subject, Comments, `X-...`): plain when `text` is printable ASCII
/// that folds within 998 octets, else RFC 2047 encoded words. `literal` also encodes text that
/// holds `=?`, which a reader would otherwise take for an encoded word.
pub(super) fn unstructured(name: &str, text: &str, literal: bool) -> Result<String, ComposeError> {
    if text.contains(['\r', '\n']) {
        return Err(ComposeError::LineBreak(name.to_string()));
    }
    if printable(text) && !(literal && text.contains("=?")) {
        if let Some(folded) = fold(name, text) {
            return Ok(folded);
        }
    }
    field(name, &encoded_words(text, FOLD_AT.saturating_sub(name.len() + 2), MAX_WORD).join(" "))
}

/// The extra fields of a draft, checked and folded in order: names are RFC 5322 field names,
/// values hold no line break, the builder's own fields are refused, address fields are
/// rewritten from what the address parser reads, unstructured ones (`X-...`, Comments,
/// Organization) may hold any text, other fields only printable ASCII.
pub(super) fn extra(headers: &[(String, String)]) -> Result<String, ComposeError> {
    let mut out = String::new();
    let mut seen: Vec<String> = Vec::new();
    for (name, value) in headers {
        if name.is_empty() || !name.bytes().all(|b| b.is_ascii_graphic() && b != b':') {
            return Err(ComposeError::FieldName(name.clone()));
        }
        let lower = name.to_ascii_lowercase();
        if let Some(reason) = reserved(&lower) {
            return Err(ComposeError::Reserved { field: name.clone(), reason });
        }
        if value.contains(['\r', '\n']) {
            return Err(ComposeError::LineBreak(name.clone()));
        }
        if ONCE.contains(&lower.as_str()) {
            if seen.contains(&lower) {
                return Err(ComposeError::Repeated(name.clone()));
            }
            seen.push(lower.clone());
        }
        let value = value.trim_matches([' ', '\t']);
        out += &match lower.as_str() {
            "reply-to" | "cc" => field(name, &address::mailbox_list(name, value)?)?,
            "sender" => field(name, &address::mailbox(name, value)?)?,
            "comments" | "organization" | "thread-topic" => unstructured(name, value, false)?,
            _ if lower.starts_with("x-") => unstructured(name, value, false)?,
            _ if !printable(value) => {
                return Err(ComposeError::FieldValue {
                    field: name.clone(),
                    reason: "holds non-ASCII or control characters, which this structured field cannot carry",
                });
            }
            _ => field(name, value)?,
        };
    }
    Ok(out)
}

/// Why an extra field called `lower` (lower case) cannot be given, if it cannot.
fn reserved(lower: &str) -> Option<&'static str> {
    match lower {
        "from" | "to" | "subject" => Some("it comes from the message's own field"),
        "date" | "message-id" | "mime-version" => Some("the builder writes it"),
        "bcc" => Some("every recipient would see the blind copies; give them as recipients"),
        "return-path" => Some("it is added at delivery, from the envelope sender"),
        _ if lower.starts_with("content-") => Some("the builder writes the MIME fields"),
        _ => None,
    }
}

/// Whether `text` is printable ASCII, tabs allowed.
fn printable(text: &str) -> bool {
    text.bytes().all(|b| b == b'\t' || (0x20..0x7f).contains(&b))
}

/// `name:`, then `value` after one space, folded greedily before white space followed by more
/// text, then CRLF; `None` when a line cannot be kept within 998 octets. Unfolding (removing
/// the inserted CRLFs) gives back the value exactly.
fn fold(name: &str, value: &str) -> Option<String> {
    let mut out = String::with_capacity(name.len() + value.len() + 8);
    out.push_str(name);
    out.push(':');
    let mut line = out.len();
    if !value.is_empty() {
        let spaced = format!(" {value}");
        let mut name_only = true;
        for segment in segments(&spaced) {
            let room = if name_only { MAX_LINE } else { FOLD_AT };
            if segment.starts_with([' ', '\t']) && line + segment.len() > room {
                out.push_str("\r\n");
                line = 0;
            }
            out.push_str(segment);
            line += segment.len();
            name_only = false;
        }
    }
    let longest = out.split("\r\n").map(str::len).max().unwrap_or(0);
    out.push_str("\r\n");
    (longest <= MAX_LINE).then_some(out)
}

/// `text` cut before each run of white space that has more text after it: the places where a
/// line may fold without leaving a line of white space only.
fn segments(text: &str) -> Vec<&str> {
    let bytes = text.as_bytes();
    let wsp = |b: u8| b == b' ' || b == b'\t';
    let mut pieces = Vec::new();
    let (mut start, mut i) = (0, 0);
    while i < bytes.len() {
        if !wsp(bytes[i]) {
            i += 1;
            continue;
        }
        let run_end = i + bytes[i..].iter().take_while(|&&b| wsp(b)).count();
        if i > start && run_end < bytes.len() {
            pieces.push(&text[start..i]);
            start = i;
        }
        i = run_end;
    }
    pieces.push(&text[start..]);
    pieces
}

/// `text` as RFC 2047 encoded words in UTF-8, Q (only the octets a phrase allows left as
/// they are) or B, whichever is shorter; the first word at most `first` octets long, the
/// others `rest` (at most 75, at least room for any character), no character split.
pub(super) fn encoded_words(text: &str, first: usize, rest: usize) -> Vec<String> {
    let base64 = text.chars().map(q_width).sum::<usize>() > base64_len(text.len());
    let room = |limit: usize| limit.clamp(2 * WORD_OVERHEAD, MAX_WORD) - WORD_OVERHEAD;
    let mut words = Vec::new();
    let mut budget = room(first);
    let (mut start, mut width) = (0, 0);
    for (i, c) in text.char_indices() {
        let fits = match base64 {
            true => base64_len(i + c.len_utf8() - start) <= budget,
            false => width + q_width(c) <= budget,
        };
        if !fits && i > start {
            words.push(encoded_word(&text[start..i], base64));
            (start, width, budget) = (i, 0, room(rest));
        }
        width += q_width(c);
    }
    if start < text.len() {
        words.push(encoded_word(&text[start..], base64));
    }
    words
}

/// One encoded word holding all of `text`.
fn encoded_word(text: &str, base64: bool) -> String {
    if base64 {
        return format!("=?utf-8?B?{}?=", STANDARD.encode(text));
    }
    let mut word = String::from("=?utf-8?Q?");
    for c in text.chars() {
        match c {
            ' ' => word.push('_'),
            _ if q_literal(c) => word.push(c),
            _ => {
                let mut buf = [0; 4];
                for b in c.encode_utf8(&mut buf).bytes() {
                    word.push_str(&format!("={b:02X}"));
                }
            }
        }
    }
    word.push_str("?=");
    word
}

/// Octets that `c` takes in a Q-encoded word.
fn q_width(c: char) -> usize {
    if c == ' ' || q_literal(c) { 1 } else { 3 * c.len_utf8() }
}

/// Characters a Q-encoded word in a phrase may hold as they are (RFC 2047 5 (3)).
fn q_literal(c: char) -> bool {
    c.is_ascii_alphanumeric() || "!*+-/".contains(c)
}

/// The length of `n` octets in base64.
fn base64_len(n: usize) -> usize {
    n.div_ceil(3) * 4
}
