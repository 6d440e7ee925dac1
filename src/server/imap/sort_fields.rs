//! What SORT and THREAD (RFC 5256, RFC 5957) compare of a message, made with its summary: the
//! sent date, the first From/To/Cc address (its mailbox, and for DISPLAYFROM/DISPLAYTO its
//! display name), the base subject, and the Message-ID and References that threads follow.

use std::borrow::Cow;

use imap_proto::base_subject::base_subject;
use imap_proto::thread::{message_ids, reference_ids};
use message::headers::{fields, slice, unfold};
use message::mime::{self, Part, address};

/// The header fields the keys come from, in the order `SortFields::new` takes them apart.
const FIELDS: [&str; 8] = ["From", "To", "Cc", "Subject", "References", "In-Reply-To", "Message-ID", "Date"];

/// References kept per message at most (the nearest parents are the last ones).
const MAX_REFERENCES: usize = 64;

/// The sort and thread keys of one message; strings are lower case (`i;unicode-casemap`).
#[derive(Debug, Default)]
pub struct SortFields {
    /// The sent date (the `Date` field) in Unix seconds, when it parses.
    pub sent: Option<i64>,
    /// The mailbox (local part) of the first From address.
    pub from: Box<str>,
    /// The mailbox of the first To address.
    pub to: Box<str>,
    /// The mailbox of the first Cc address.
    pub cc: Box<str>,
    /// The display name of the first From address, else its address (RFC 5957).
    pub display_from: Box<str>,
    /// The display name of the first To address, else its address.
    pub display_to: Box<str>,
    /// The base subject (RFC 5256 2.1).
    pub subject: Box<str>,
    /// The decoded subject as written, for THREAD's grouping of replies.
    pub full_subject: Box<str>,
    /// The Message-ID.
    pub message_id: Option<Box<str>>,
    /// The ids in References, or the one in In-Reply-To when there is no References, oldest
    /// first (the last [`MAX_REFERENCES`]).
    pub references: Box<[Box<str>]>,
}

impl SortFields {
    /// The keys of `message`, whose structure is `root`, from one pass over its header.
    pub fn new(message: &[u8], root: &Part) -> SortFields {
        let mut found: [Option<Cow<[u8]>>; FIELDS.len()] = Default::default();
        for field in fields(slice(message, &root.header)) {
            if let Some(at) = FIELDS.iter().position(|name| field.is(name))
                && found[at].is_none()
            {
                found[at] = Some(unfold(field.value));
            }
        }
        let [from, to, cc, subject, references, in_reply_to, message_id, date] = found;
        let first = |value: Option<Cow<[u8]>>| value.and_then(|v| address::mailboxes(&v).into_iter().next());
        let mailbox = |a: &Option<address::Address>| {
            a.as_ref().and_then(|a| a.mailbox.as_deref()).map(mime::decode_encoded_words).unwrap_or_default()
        };
        let display = |a: &Option<address::Address>| {
            let Some(a) = a else { return String::new() };
            match a.name.as_deref().map(mime::decode_encoded_words).filter(|n| !n.trim().is_empty()) {
                Some(name) => name.trim().to_string(),
                None => {
                    let text =
                        |v: &Option<Vec<u8>>| String::from_utf8_lossy(v.as_deref().unwrap_or_default()).into_owned();
                    format!("{}@{}", text(&a.mailbox), text(&a.host))
                }
            }
        };
        let (from, to, cc) = (first(from), first(to), first(cc));
        let subject = subject.map(|v| mime::decode_encoded_words(&v)).unwrap_or_default();
        let text =
            |value: Option<Cow<[u8]>>| value.map(|v| String::from_utf8_lossy(&v).into_owned()).unwrap_or_default();
        let (ids, replied) = (text(references), text(in_reply_to));
        let references = reference_ids(&ids, &replied);
        let skip = references.len().saturating_sub(MAX_REFERENCES);
        SortFields {
            sent: date.and_then(|d| mime::parse_date(&d)),
            from: lower(&mailbox(&from)),
            to: lower(&mailbox(&to)),
            cc: lower(&mailbox(&cc)),
            display_from: lower(&display(&from)),
            display_to: lower(&display(&to)),
            // Already lower case.
            subject: base_subject(&subject).text.into_boxed_str(),
            full_subject: subject.into(),
            message_id: message_ids(&text(message_id)).first().map(|id| Box::from(*id)),
            references: references.into_iter().skip(skip).map(Box::from).collect(),
        }
    }

    /// Memory held beyond the struct, for the summary cache's bound.
    pub fn heap_bytes(&self) -> usize {
        let strings = [&self.from, &self.to, &self.cc, &self.display_from, &self.display_to, &self.subject];
        strings.iter().map(|s| s.len()).sum::<usize>()
            + self.full_subject.len()
            + self.message_id.as_ref().map_or(0, |m| m.len())
            + self.references.iter().map(|r| r.len() + size_of::<Box<str>>()).sum::<usize>()
    }
}

fn lower(text: &str) -> Box<str> {
    text.to_lowercase().into_boxed_str()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fields(message: &[u8]) -> SortFields {
        SortFields::new(message, &mime::parse(message))
    }

    #[test]
    fn keys_come_from_the_first_address_and_the_base_subject() {
        let f = fields(
            b"From: =?UTF-8?Q?J=C3=B6rg?= <Joerg@Example.org>, other@example.org\r\nTo: <Ann@example.net>\r\n\
            Subject: Re: [team] Plans (fwd)\r\nDate: Tue, 4 Mar 2025 10:00:00 +0100\r\nMessage-ID: <m1@x>\r\n\
            In-Reply-To: <p@x>\r\n\r\nbody\r\n",
        );
        assert_eq!((&*f.from, &*f.display_from), ("joerg", "jörg"));
        assert_eq!((&*f.to, &*f.display_to), ("ann", "ann@example.net"), "no display name: the address");
        assert_eq!((&*f.cc, &*f.subject), ("", "plans"));
        assert_eq!(f.sent, Some(1_741_078_800));
        assert_eq!(f.message_id.as_deref(), Some("m1@x"));
        assert_eq!(f.references.iter().map(|r| &**r).collect::<Vec<_>>(), ["p@x"], "In-Reply-To without References");
    }

    #[test]
    fn a_message_without_fields_sorts_as_empty_and_references_are_capped() {
        let f = fields(b"\r\nbody\r\n");
        assert_eq!((f.sent, &*f.from, &*f.subject, f.message_id.is_none()), (None, "", "", true));
        let many: String = (0..1000).map(|n| format!("<r{n}@x> ")).collect();
        let f = fields(format!("References: {many}\r\n\r\nbody\r\n").as_bytes());
        assert_eq!(f.references.len(), MAX_REFERENCES);
        assert_eq!(&*f.references[MAX_REFERENCES - 1], "r999@x", "the nearest parents are kept");
    }
}
