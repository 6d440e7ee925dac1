//! Signing: [`Signer`] makes a complete DKIM-Signature field for a message.
//!
//! Defaults: `relaxed/relaxed`, SHA-256, `t=` now, no `x=`, no `l=` (a body length limit lets
//! anyone append to the body). Header fields in [`OVERSIGNED`] are listed once more than the
//! message holds them, so a copy added later breaks the signature instead of slipping past it.

use base64::Engine;
use base64::engine::general_purpose::STANDARD;

use super::algorithm::HashAlgorithm;
use super::canon::{BodyHasher, Canonicalization};
use super::headers;
use super::signature::{valid_domain, valid_field_name};
use super::signing_key::{SigningKey, SigningKeyError};

/// The header fields signed by default, when the message has them (`from` always).
pub const DEFAULT_HEADERS: &[&str] = &[
    "from",
    "reply-to",
    "subject",
    "date",
    "to",
    "cc",
    "message-id",
    "in-reply-to",
    "references",
    "mime-version",
    "content-type",
    "content-transfer-encoding",
    "list-id",
    "list-unsubscribe",
    "list-unsubscribe-post",
];

/// Header fields listed in `h=` once more than present, so none can be added unnoticed.
pub const OVERSIGNED: &[&str] =
    &["from", "to", "cc", "subject", "date", "reply-to", "message-id", "mime-version", "content-type"];

/// Lines of the field are kept within this many characters where the content allows.
const LINE_WIDTH: usize = 78;

/// Why a message could not be signed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SignError {
    /// The message has no From field, which a signature must cover (RFC 6376 section 5.4).
    #[error("message has no From field")]
    NoFrom,
    /// The signing domain or selector is not a domain name.
    #[error("invalid signing domain or selector: {0}")]
    Name(String),
    /// The key failed to sign.
    #[error(transparent)]
    Key(#[from] SigningKeyError),
}

/// Signs messages for one domain with one key.
#[derive(Debug)]
pub struct Signer {
    /// `d=`: the signing domain.
    pub domain: String,
    /// `s=`: the selector, under which the key record is published.
    pub selector: String,
    /// The private key.
    pub key: SigningKey,
    /// Names of the header fields to sign (`from` is added if missing, malformed names are
    /// skipped); see [`DEFAULT_HEADERS`].
    pub headers: Vec<String>,
    /// Header canonicalization, `relaxed` by default.
    pub header_canon: Canonicalization,
    /// Body canonicalization, `relaxed` by default.
    pub body_canon: Canonicalization,
    /// Seconds after `t=` at which the signature expires (`x=`); none by default.
    pub expire_after: Option<u64>,
}

impl Signer {
    /// A signer with the defaults: [`DEFAULT_HEADERS`], `relaxed/relaxed`, no expiry.
    pub fn new(domain: impl Into<String>, selector: impl Into<String>, key: SigningKey) -> Self {
        Signer {
            domain: domain.into(),
            selector: selector.into(),
            key,
            headers: DEFAULT_HEADERS.iter().map(|h| h.to_string()).collect(),
            header_canon: Canonicalization::Relaxed,
            body_canon: Canonicalization::Relaxed,
            expire_after: None,
        }
    }

    /// Signs `message` (CRLF line ends, header and body) at time `now` (seconds since the
    /// epoch). Returns the complete folded field, `DKIM-Signature: ...\r\n`, to put on top.
    pub fn sign(&self, message: &[u8], now: u64) -> Result<String, SignError> {
        if !valid_domain(&self.domain) || !valid_domain(&self.selector) {
            return Err(SignError::Name(format!("d={} s={}", self.domain, self.selector)));
        }
        let (fields, body) = headers::split(message);
        if !fields.iter().any(|f| f.is("from")) {
            return Err(SignError::NoFrom);
        }
        let signed = self.signed_headers(&fields);

        let mut hasher = BodyHasher::new(self.body_canon, HashAlgorithm::Sha256, None);
        hasher.update(body);
        let body_hash = STANDARD.encode(hasher.finish().digest);

        let algorithm = self.key.algorithm();
        let mut tags = vec![
            "v=1".to_owned(),
            format!("a={algorithm}"),
            format!("c={}/{}", self.header_canon.as_str(), self.body_canon.as_str()),
            format!("d={}", self.domain),
            format!("s={}", self.selector),
            format!("t={now}"),
        ];
        if let Some(after) = self.expire_after {
            tags.push(format!("x={}", now.saturating_add(after)));
        }
        let mut field = Folder::new("DKIM-Signature:");
        for tag in &tags {
            field.word(&format!("{tag};"));
        }
        field.list("h=", &signed, ";");
        field.word(&format!("bh={body_hash};"));
        field.word("b=");

        let data = headers::hash_input(self.header_canon, &fields, &signed, field.text.as_bytes());
        let signature = STANDARD.encode(self.key.sign(&data)?);
        field.chunks(&signature);
        field.text.push_str("\r\n");
        Ok(field.text)
    }

    /// The `h=` list: each configured name as often as the message holds it, one more time for
    /// the oversigned ones, `from` first if the configuration forgot it.
    pub(crate) fn signed_headers(&self, fields: &[headers::Field<'_>]) -> Vec<String> {
        let mut names: Vec<String> = Vec::new();
        let wanted = self.headers.iter().map(|h| h.trim().to_ascii_lowercase());
        for name in std::iter::once("from".to_owned()).chain(wanted) {
            if !valid_field_name(&name) || names.contains(&name) {
                continue;
            }
            let present = fields.iter().filter(|f| f.is(&name)).count();
            let count = present + usize::from(OVERSIGNED.contains(&name.as_str()));
            names.extend(std::iter::repeat_n(name, count));
        }
        names
    }
}

/// Builds a folded header field: words separated by a space, a new line (CRLF SP) before a word
/// that would pass [`LINE_WIDTH`].
pub(crate) struct Folder {
    /// The field so far.
    pub(crate) text: String,
    line: usize,
}

impl Folder {
    pub(crate) fn new(name: &str) -> Self {
        Folder { text: name.to_owned(), line: name.len() }
    }

    pub(crate) fn word(&mut self, word: &str) {
        if self.line + 1 + word.len() > LINE_WIDTH {
            self.text.push_str("\r\n");
            self.line = 0;
        }
        self.text.push(' ');
        self.text.push_str(word);
        self.line += 1 + word.len();
    }

    /// `prefix` then `items` joined by colons and closed by `end`, folding after a colon where
    /// the line is full (FWS may follow a colon in `h=`).
    pub(crate) fn list(&mut self, prefix: &str, items: &[String], end: &str) {
        let mut pieces = items.iter().enumerate().map(|(i, item)| {
            let sep = if i + 1 == items.len() { end } else { ":" };
            format!("{item}{sep}")
        });
        self.word(&format!("{prefix}{}", pieces.next().unwrap_or_else(|| end.to_owned())));
        for piece in pieces {
            if self.line + piece.len() > LINE_WIDTH {
                self.text.push_str("\r\n ");
                self.line = 1;
            }
            self.text.push_str(&piece);
            self.line += piece.len();
        }
    }

    /// Appends base64 directly after the last word, filling lines; FWS inside `b=` is ignored
    /// by verifiers.
    pub(crate) fn chunks(&mut self, mut data: &str) {
        while !data.is_empty() {
            let room = LINE_WIDTH.saturating_sub(self.line).max(1);
            if room < 8 && self.line > 1 {
                self.text.push_str("\r\n ");
                self.line = 1;
                continue;
            }
            let take = room.min(data.len());
            self.text.push_str(&data[..take]);
            self.line += take;
            data = &data[take..];
        }
    }
}
