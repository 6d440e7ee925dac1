//! Building an RFC 5322 / MIME message from its parts, for messages injected over HTTP: an
//! author, recipients, a subject, a text and an HTML body, extra header fields and attachments
//! in; the message's octets out, CRLF line ends, no line over 998 octets, that [`Parsed`] reads
//! back as the same parts. [`substitute`] fills `{{name}}` tags per recipient beforehand.
//!
//! `compose/header.rs` writes header fields (folding, RFC 2047 encoded words, the extra fields'
//! checks), `compose/address.rs` the address fields, `compose/body.rs` the MIME tree (transfer
//! encodings, boundaries), `compose/params.rs` its parameters (content types, RFC 2231 file
//! names) and `compose/substitute.rs` the tags.
//!
//! [`Parsed`]: crate::Parsed

mod address;
mod body;
mod header;
mod params;
mod substitute;

pub use body::crlf;
pub use substitute::{substitute, substitute_within};

use std::time::{Duration, UNIX_EPOCH};

/// A message to build with [`compose`].
#[derive(Debug, Clone, Copy)]
pub struct Draft<'a> {
    /// The From field: one mailbox, `user@example.org` or `Name <user@example.org>` (RFC 5322
    /// syntax; a non-ASCII display name is fine and is written as encoded words).
    pub from: &'a str,
    /// The To field's mailboxes, each written like `from`; when empty there is no To field
    /// (RFC 5322 3.6 makes it optional: the recipients are the envelope's).
    pub to: &'a [String],
    /// The subject, as text (any Unicode; no line breaks). Empty gives an empty Subject field.
    pub subject: &'a str,
    /// The plain-text body.
    pub text: Option<&'a str>,
    /// The HTML body.
    pub html: Option<&'a str>,
    /// Extra header fields, name and value in order (`Reply-To`, `List-Unsubscribe`, `X-...`);
    /// the fields the builder writes itself are refused (see [`ComposeError::Reserved`]).
    pub headers: &'a [(String, String)],
    /// Files attached after the body.
    pub attachments: &'a [Attachment],
}

/// A file attached to a [`Draft`].
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Attachment {
    /// The file's name as the recipient sees it (any Unicode); empty for none.
    pub filename: String,
    /// Its media type, `type/subtype` with optional parameters (printable ASCII; not
    /// `multipart/*`, no `name` parameter, which comes from `filename`); empty for
    /// `application/octet-stream`.
    pub content_type: String,
    /// Its octets, sent base64 (a `message/rfc822` that is 7-bit with CRLF line ends goes as
    /// it is, as RFC 2046 5.2.1 wants).
    pub data: Vec<u8>,
}

/// Why a [`Draft`] could not be built; each says which field or attachment is wrong.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ComposeError {
    /// Neither a text, nor an HTML body, nor an attachment.
    #[error("the message has no text, no HTML and no attachment")]
    Empty,
    /// An address field (From, To, Reply-To, Cc, Sender) that does not read as it must: as
    /// mailboxes, each `local@domain` with an optional display name, with nothing for the
    /// parser to repair.
    #[error("the {field} field {value:?} {reason}")]
    Address {
        /// The field.
        field: String,
        /// The value given.
        value: String,
        /// What is wrong with it.
        reason: String,
    },
    /// The message id is not `left@right` of printable ASCII without `<>`, white space, quotes
    /// or backslashes.
    #[error("the message id {0:?} is not left@right of printable ASCII")]
    MessageId(String),
    /// An extra field's name is not an RFC 5322 field name (printable ASCII but `:`).
    #[error("{0:?} is not a header field name")]
    FieldName(String),
    /// An extra field that cannot be given: one the builder writes (From, To, Subject, Date,
    /// Message-ID, MIME-Version, Content-*), Bcc or Return-Path.
    #[error("the {field} field cannot be given as an extra header: {reason}")]
    Reserved {
        /// The field, as given.
        field: String,
        /// Why.
        reason: &'static str,
    },
    /// A field value with a CR or LF in it (which would start another field).
    #[error("the {0} field's value holds a line break (CR or LF)")]
    LineBreak(String),
    /// An extra field that RFC 5322 allows once (Reply-To, Cc, Sender, In-Reply-To,
    /// References), given twice.
    #[error("the {0} field is given more than once")]
    Repeated(String),
    /// A field value that cannot be written as it is.
    #[error("the {field} field {reason}")]
    FieldValue {
        /// The field.
        field: String,
        /// What is wrong with its value.
        reason: &'static str,
    },
    /// An attachment's content type that cannot be used.
    #[error("attachment {index} ({filename:?}): the content type {content_type:?} {reason}")]
    ContentType {
        /// The attachment's index in [`Draft::attachments`].
        index: usize,
        /// Its file name.
        filename: String,
        /// The content type given.
        content_type: String,
        /// What is wrong with it.
        reason: &'static str,
    },
}

/// Latest date written: 9999-12-31T23:59:59Z (RFC 5322 years have four digits).
const MAX_DATE: u64 = 253_402_300_799;

/// The message's octets, CRLF line ends: Date (from `date_unix`, clamped to year 9999),
/// From, To, Subject, Message-ID (`message_id`, given without `<>`), the extra fields in
/// order, MIME-Version and the MIME structure: `text/plain`, `text/html`, both in
/// `multipart/alternative` (text first), with attachments all in `multipart/mixed`.
pub fn compose(draft: &Draft<'_>, message_id: &str, date_unix: u64) -> Result<Vec<u8>, ComposeError> {
    if !valid_message_id(message_id) {
        return Err(ComposeError::MessageId(message_id.to_string()));
    }
    let from = address::mailbox("From", draft.from)?;
    let to = draft.to.iter().map(|to| address::mailbox("To", to)).collect::<Result<Vec<_>, _>>()?;
    let extra = header::extra(draft.headers)?;
    let entity = body::build(draft, message_id)?;

    let date = crate::date::rfc5322(UNIX_EPOCH + Duration::from_secs(date_unix.min(MAX_DATE)));
    let mut head = header::field("Date", &date)?;
    head += &header::field("From", &from)?;
    if !to.is_empty() {
        head += &header::field("To", &to.join(", "))?;
    }
    head += &header::unstructured("Subject", draft.subject, true)?;
    head += &header::field("Message-ID", &format!("<{message_id}>"))?;
    head += &extra;
    head += "MIME-Version: 1.0\r\n";
    head += &entity.header;
    head += "\r\n";

    let mut out = head.into_bytes();
    out.extend_from_slice(&entity.body);
    if !out.ends_with(b"\r\n") {
        out.extend_from_slice(b"\r\n");
    }
    Ok(out)
}

/// Whether `id` is an RFC 5322 msg-id's inside: a dot-atom, `@`, a dot-atom or a domain
/// literal (printable ASCII only).
fn valid_message_id(id: &str) -> bool {
    let Some((left, right)) = id.split_once('@') else { return false };
    let literal = right.len() >= 2
        && right.starts_with('[')
        && right.ends_with(']')
        && right[1..right.len() - 1].bytes().all(|b| b.is_ascii_graphic() && !b"[]\\".contains(&b));
    dot_atom(left.as_bytes()) && (dot_atom(right.as_bytes()) || literal)
}

/// Whether `text` is an RFC 5322 dot-atom of ASCII atext.
fn dot_atom(text: &[u8]) -> bool {
    !text.is_empty() && text.split(|&b| b == b'.').all(|atom| !atom.is_empty() && atom.iter().all(|&b| atext(b)))
}

/// RFC 5322 atext (ASCII only).
fn atext(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b"!#$%&'*+-/=?^_`{|}~".contains(&b)
}

#[cfg(test)]
mod tests;
