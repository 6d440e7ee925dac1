//! A message parsed once: its raw bytes and their MIME part tree, with the readings that
//! filters want from it. The header side is here (fields, decoded text, mailboxes, dates, trace
//! fields); `parsed/content.rs` reads part bodies (decoded octets, text in UTF-8, attached
//! messages sent encoded) and `parsed/walk.rs` visits every part, attached messages included.
//!
//! Work is bounded by the parser's limits ([`mime::MAX_PARTS`], [`mime::MAX_DEPTH`]) and is
//! linear in the message; [`Parsed::text_capped`] bounds what one text part costs.

mod content;
mod walk;

use crate::headers::{self, Field, Fields, slice, unfold};
use crate::mime::{self, Part, address, encoded_words};
use crate::received::{self, Received};

pub use walk::{Content, Parts, Visit};

/// A message and its part tree, found by one pass of [`mime::parse`].
#[derive(Debug, Clone)]
pub struct Parsed<'a> {
    /// The message as received (RFC 5322 octets).
    pub raw: &'a [u8],
    /// Its part tree, as offsets into `raw`.
    pub root: Part,
}

/// One mailbox of an address field, decoded for display and matching.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Mailbox {
    /// The display name (or the comment standing for it), encoded words decoded.
    pub name: Option<String>,
    /// `local@domain`; just the local part when there is no domain.
    pub address: Option<String>,
}

impl<'a> Parsed<'a> {
    /// Parses `raw` once; never fails (broken MIME still gives a tree, see [`Part`]).
    pub fn new(raw: &'a [u8]) -> Parsed<'a> {
        Parsed { raw, root: mime::parse(raw) }
    }

    /// The message's header block, with the blank line that ends it.
    pub fn header(&self) -> &'a [u8] {
        slice(self.raw, &self.root.header)
    }

    /// The message's header fields, in order.
    pub fn fields(&self) -> Fields<'a> {
        headers::fields(self.header())
    }

    /// The first header field called `name` (ASCII case-insensitive).
    pub fn field(&self, name: &str) -> Option<Field<'a>> {
        headers::first(self.header(), name)
    }

    /// The value of the first field called `name`, unfolded and trimmed, encoded words
    /// (RFC 2047) decoded, the rest read as lossy UTF-8.
    pub fn header_text(&self, name: &str) -> Option<String> {
        self.field(name).map(|f| encoded_words::decode(&unfold(f.value)))
    }

    /// The mailboxes of the first field called `name` (From, To, Cc, Reply-To...), those
    /// inside groups included; empty when there is no such field.
    pub fn mailboxes(&self, name: &str) -> Vec<Mailbox> {
        let Some(field) = self.field(name) else { return Vec::new() };
        address::mailboxes(&unfold(field.value)).into_iter().map(mailbox).collect()
    }

    /// The Date field as unix seconds (obsolete forms read), `None` when missing or unreadable.
    pub fn date(&self) -> Option<i64> {
        mime::sent_date(self.raw, &self.root)
    }

    /// The first Message-ID, without its angle brackets; `None` when missing or blank.
    pub fn message_id(&self) -> Option<String> {
        let value = unfold(self.field("message-id")?.value).into_owned();
        let inner = match memchr::memchr(b'<', &value) {
            Some(open) => {
                let rest = &value[open + 1..];
                &rest[..memchr::memchr(b'>', rest).unwrap_or(rest.len())]
            }
            None => &value[..],
        };
        let id = String::from_utf8_lossy(headers::trim(inner)).into_owned();
        (!id.is_empty()).then_some(id)
    }

    /// The Received fields, newest (topmost) first.
    pub fn received(&self) -> impl Iterator<Item = Received> + 'a {
        headers::fields(self.header()).filter(|f| f.is("received")).map(|f| received::parse(f.value))
    }
}

/// A parsed address as a [`Mailbox`].
fn mailbox(address: address::Address) -> Mailbox {
    let text = |bytes: &[u8]| String::from_utf8_lossy(bytes).into_owned();
    let name = address.name.map(|n| encoded_words::decode(&n)).filter(|n| !n.trim().is_empty());
    let address = match (address.mailbox, address.host) {
        (Some(local), Some(host)) => Some(format!("{}@{}", text(&local), text(&host))),
        (Some(local), None) => Some(text(&local)),
        (None, _) => None,
    };
    Mailbox { name, address }
}

#[cfg(test)]
mod tests;
