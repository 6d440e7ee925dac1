//! Message summaries: what clients ask of whole mailboxes at a time (ENVELOPE, BODYSTRUCTURE
//! BODY and PREVIEW for FETCH; the address and subject fields and the sent date for SEARCH;
//! the keys of SORT and THREAD), made from
//! one MIME pass and kept in a memory-bounded cache shared by every shard, so that the next
//! FETCH or SEARCH over the mailbox reads and parses no message. Dovecot keeps the same fields
//! in its `dovecot.index.cache` for the same reason.
//!
//! A stored message never changes under its id (ids are never reused), so cached summaries are
//! never stale; one whose message was deleted simply ages out.

use std::sync::Arc;

use bytes::BytesMut;
use quick_cache::Weighter;

use imap_proto::mime::{write_body_structure, write_envelope};
use message::mime::{self, Part};
use store::MessageId;

use super::sort_fields::SortFields;

/// A header field that SEARCH keys name and summaries keep.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SearchField {
    /// `From`.
    From,
    /// `To`.
    To,
    /// `Cc`.
    Cc,
    /// `Bcc`.
    Bcc,
    /// `Subject`.
    Subject,
}

impl SearchField {
    const ALL: [SearchField; 5] =
        [SearchField::From, SearchField::To, SearchField::Cc, SearchField::Bcc, SearchField::Subject];

    /// The field called `name` (case-insensitive), when summaries keep it.
    pub fn named(name: &str) -> Option<SearchField> {
        SearchField::ALL.into_iter().find(|f| f.name().eq_ignore_ascii_case(name))
    }

    /// Whether the field holds addresses (all but Subject).
    pub fn is_address(self) -> bool {
        self != SearchField::Subject
    }

    /// Its values in `message` as SEARCH matches them: decoded, and for address fields with
    /// the addresses written out plainly too (`mime::address_values`).
    pub fn values(self, message: &[u8], root: &Part) -> Vec<String> {
        match self.is_address() {
            true => mime::address_values(message, root, self.name()),
            false => mime::header_values(message, root, self.name()),
        }
    }

    /// The field's name as written in messages.
    pub fn name(self) -> &'static str {
        match self {
            SearchField::From => "From",
            SearchField::To => "To",
            SearchField::Cc => "Cc",
            SearchField::Bcc => "Bcc",
            SearchField::Subject => "Subject",
        }
    }
}

/// What FETCH and SEARCH need of one message over a whole mailbox.
#[derive(Debug)]
pub struct Summary {
    /// ENVELOPE, then BODYSTRUCTURE, then BODY, as IMAP writes them.
    items: Box<[u8]>,
    /// Where BODYSTRUCTURE and BODY start in `items`.
    starts: [u32; 2],
    /// The day of the sent date (the `Date` field) as written, in days since the epoch, when
    /// it parses.
    sent_day: Option<i64>,
    /// Every value of the [`SearchField`]s, unfolded, decoded and lower-cased (address fields
    /// also with their addresses written out plainly).
    fields: Box<[(SearchField, Box<str>)]>,
    /// What SORT and THREAD compare.
    sort: SortFields,
    /// The PREVIEW text (RFC 8970).
    preview: Box<str>,
}

impl Summary {
    /// The summary of `message`, whose structure is `root`.
    pub fn new(message: &[u8], root: &Part) -> Summary {
        let mut items = BytesMut::new();
        write_envelope(&mut items, message, root);
        let body_structure = items.len() as u32;
        write_body_structure(&mut items, message, root, true);
        let body = items.len() as u32;
        write_body_structure(&mut items, message, root, false);
        let fields = SearchField::ALL
            .into_iter()
            .flat_map(|field| {
                field.values(message, root).into_iter().map(move |value| (field, value.to_lowercase().into_boxed_str()))
            })
            .collect();
        Summary {
            items: items.to_vec().into_boxed_slice(),
            starts: [body_structure, body],
            sent_day: mime::sent_day(message, root),
            fields,
            sort: SortFields::new(message, root),
            preview: mime::preview(message, root).into_boxed_str(),
        }
    }

    /// The ENVELOPE.
    pub fn envelope(&self) -> &[u8] {
        &self.items[..self.starts[0] as usize]
    }

    /// The BODYSTRUCTURE (with extension data).
    pub fn body_structure(&self) -> &[u8] {
        &self.items[self.starts[0] as usize..self.starts[1] as usize]
    }

    /// The BODY (BODYSTRUCTURE without extension data).
    pub fn body(&self) -> &[u8] {
        &self.items[self.starts[1] as usize..]
    }

    /// The day of the sent date as written (time and zone disregarded, RFC 3501 6.4.4), in
    /// days since the epoch.
    pub fn sent_day(&self) -> Option<i64> {
        self.sent_day
    }

    /// Whether some `field` of the message contains `needle`, which must be lower case
    /// (`str::to_lowercase`); an empty needle matches any such field.
    pub fn contains(&self, field: SearchField, needle: &str) -> bool {
        self.fields
            .iter()
            .filter(|(f, _)| *f == field)
            // std's short-needle SIMD search: 10 ns on a subject, where building a memmem
            // searcher per value takes 45.
            .any(|(_, value)| value.contains(needle))
    }

    /// The PREVIEW text: the start of the first text part, at most 256 characters.
    pub fn preview(&self) -> &str {
        &self.preview
    }

    /// What SORT and THREAD compare.
    pub fn sort_fields(&self) -> &SortFields {
        &self.sort
    }

    /// Memory held, for the cache's bound.
    fn weight(&self) -> u64 {
        let fields: usize = self.fields.iter().map(|(_, v)| size_of::<(SearchField, Box<str>)>() + v.len()).sum();
        // The Arc's counts, and the cache's slot and key.
        const OVERHEAD: usize = 16 + 40;
        (size_of::<Summary>() + self.items.len() + fields + self.sort.heap_bytes() + self.preview.len() + OVERHEAD)
            as u64
    }
}

/// Summaries by message id, bounded in memory, shared by every shard.
pub struct SummaryCache {
    cache: quick_cache::sync::Cache<u128, Arc<Summary>, ByMemory>,
}

/// Weighs a cached summary by the memory it holds.
#[derive(Clone)]
struct ByMemory;

impl Weighter<u128, Arc<Summary>> for ByMemory {
    fn weight(&self, _id: &u128, summary: &Arc<Summary>) -> u64 {
        summary.weight()
    }
}

/// A guess at a typical summary's weight, to size the cache's table.
const TYPICAL_WEIGHT: u64 = 700;

impl SummaryCache {
    /// A cache holding up to `bytes` of summaries (0: none are kept).
    pub fn new(bytes: u64) -> SummaryCache {
        let items = (bytes / TYPICAL_WEIGHT).max(1) as usize;
        SummaryCache { cache: quick_cache::sync::Cache::with_weighter(items, bytes, ByMemory) }
    }

    /// The cached summary of message `id`.
    pub fn get(&self, id: MessageId) -> Option<Arc<Summary>> {
        self.cache.get(&id.0)
    }

    /// The summary of message `id`, made from its bytes and structure and cached.
    pub fn summarize(&self, id: MessageId, message: &[u8], root: &Part) -> Arc<Summary> {
        let summary = Arc::new(Summary::new(message, root));
        self.cache.insert(id.0, Arc::clone(&summary));
        summary
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const MESSAGE: &[u8] = b"From: =?UTF-8?Q?J=C3=B6rg?= <jorg@example.org>\r\n\
        To: a@example.net,\r\n b@example.net\r\nTo: c@example.net\r\n\
        Subject: Quarterly REPORT\r\nDate: Tue, 4 Mar 2025 10:00:00 +0000\r\n\r\nbody\r\n";

    fn summary() -> Summary {
        Summary::new(MESSAGE, &mime::parse(MESSAGE))
    }

    #[test]
    fn items_are_what_fetch_writes() {
        let root = mime::parse(MESSAGE);
        let s = summary();
        let mut envelope = BytesMut::new();
        write_envelope(&mut envelope, MESSAGE, &root);
        let mut extensible = BytesMut::new();
        write_body_structure(&mut extensible, MESSAGE, &root, true);
        let mut basic = BytesMut::new();
        write_body_structure(&mut basic, MESSAGE, &root, false);
        assert_eq!(s.envelope(), &envelope[..]);
        assert_eq!(s.body_structure(), &extensible[..]);
        assert_eq!(s.body(), &basic[..]);
        assert_eq!(s.sent_day(), Some(1_741_082_400 / 86_400));
    }

    #[test]
    fn fields_match_decoded_unfolded_and_ignoring_case() {
        let s = summary();
        assert!(s.contains(SearchField::From, "jörg"));
        assert!(s.contains(SearchField::Subject, "quarterly report"));
        assert!(!s.contains(SearchField::Subject, "Quarterly"), "the needle must be lower case");
        assert!(s.contains(SearchField::To, "a@example.net, b@example.net"), "unfolded");
        assert!(s.contains(SearchField::To, "c@example"), "every To field");
        assert!(s.contains(SearchField::To, ""));
        assert!(!s.contains(SearchField::Cc, ""), "no Cc field at all");
        assert!(!s.contains(SearchField::From, "report"));
    }

    #[test]
    fn fields_put_in_front_at_reception_change_nothing() {
        // The SMTP session summarizes the message as received; the store holds it behind
        // Return-Path, DKIM-Signature, Received, Authentication-Results and X-Spam fields.
        let multipart = b"From: a@example.org\r\nSubject: parts\r\nContent-Type: multipart/mixed; boundary=b\r\n\r\n\
            --b\r\nContent-Type: text/plain\r\n\r\none\r\ntwo\r\n--b\r\nContent-Type: image/png\r\n\
            Content-Transfer-Encoding: base64\r\n\r\niVBORw0K\r\n--b--\r\n";
        for received in [MESSAGE, &multipart[..]] {
            let mut stored =
                b"Return-Path: <a@example.org>\r\nReceived: from x by y; Tue, 4 Mar 2025 10:00:01 +0000\r\n\
                Authentication-Results: mx.example.net; spf=pass\r\nX-Spam-Score: 0.1\r\n"
                    .to_vec();
            stored.extend_from_slice(received);
            let early = Summary::new(received, &mime::parse(received));
            let late = Summary::new(&stored, &mime::parse(&stored));
            assert_eq!(
                (early.envelope(), early.body_structure(), early.body()),
                (late.envelope(), late.body_structure(), late.body())
            );
            assert_eq!((early.sent_day(), &early.fields), (late.sent_day(), &late.fields));
        }
    }

    #[test]
    fn address_keys_match_however_the_field_spells_the_address() {
        // imaptest's search-addresses forms, and Dovecot's matching of them.
        for from in [
            "User From <user-from@domain.org>",
            "\"User From\" <user-from@domain.org>",
            "user-from @ domain.org (User From)",
            "\"user-from\"@domain.org",
            "<user-from@Domain.ORG>",
            "group: other@example.net, User From <user-from@domain.org>;",
            "=?UTF-8?Q?User_From?= <user-from (comment) @domain.org>",
        ] {
            let message = format!("From: {from}\r\nSubject: x\r\n\r\nbody\r\n");
            let s = Summary::new(message.as_bytes(), &mime::parse(message.as_bytes()));
            assert!(s.contains(SearchField::From, "user-from@domain.org"), "{from}");
            assert!(!s.contains(SearchField::From, "other-user@domain.org"), "{from}");
        }
        let message = b"From: =?UTF-8?Q?User_From?= <u@domain.org>\r\n\r\n";
        let s = Summary::new(message, &mime::parse(message));
        assert!(s.contains(SearchField::From, "user from <u@domain.org>"), "name and address as written out");
        assert!(!s.contains(SearchField::Subject, ""));
    }

    #[test]
    fn field_names() {
        assert_eq!(SearchField::named("SUBJECT"), Some(SearchField::Subject));
        assert_eq!(SearchField::named("bcc"), Some(SearchField::Bcc));
        assert_eq!(SearchField::named("Message-ID"), None);
    }

    #[test]
    fn the_cache_keeps_within_its_bound() {
        let cache = SummaryCache::new(20 * summary().weight());
        let root = mime::parse(MESSAGE);
        for id in 0..1000u128 {
            cache.summarize(MessageId(id), MESSAGE, &root);
        }
        let kept = (0..1000u128).filter(|&id| cache.get(MessageId(id)).is_some()).count();
        assert!((1..=20).contains(&kept), "{kept} summaries kept");
        let none = SummaryCache::new(0);
        none.summarize(MessageId(1), MESSAGE, &root);
        assert!(none.get(MessageId(1)).is_none());
    }
}
