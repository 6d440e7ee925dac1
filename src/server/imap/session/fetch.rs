//! FETCH and UID FETCH: flags and sizes from the session's view; ENVELOPE, BODYSTRUCTURE and
//! BODY alone from the shared summaries; anything else from the stored message, parsed once per
//! message by the MIME structure pass.
//!
//! The reply is streamed: messages are read from the store in small batches (bounded in count
//! and in octets, so a batch of large messages is one message), each response is written as it
//! is made, and a large literal (`BODY[]`, `BINARY[]`, `RFC822`) goes to the socket straight
//! from the stored message in bounded slices that await the client. A slow reader of a large
//! mailbox holds one batch and a bounded output buffer, never the whole reply.

use std::borrow::Cow;
use std::time::Duration;

use bytes::{BufMut, BytesMut};

use super::{Done, Selected, Session, store_failure};
use crate::imap::summary::Summary;
use crate::imap::view::{Message, View};
use crate::imap::{flags, object_ids};
use crate::net::Connection;
use crate::net::connection::OUTPUT_HIGH_WATER;
use crate::tls::ServerStream;
use imap_proto::command::{FetchAttribute, SequenceSet};
use imap_proto::mime::{write_body_structure, write_envelope};
use imap_proto::section::{Section, SectionText};
use imap_proto::wire;
use message::date;
use message::mime::{self, Part};
use store::MessageId;
use store::journal::{Committed, FlagAction, JournalOp, MailboxOp};
use store::records::flags::SEEN;

/// Messages whose bodies are read from the store in one go, at most...
const BATCH: usize = 32;
/// ...and at most this many octets of them (a larger message is read alone).
const BATCH_BYTES: u64 = 1024 * 1024;
/// Literals longer than this are sent from the message itself rather than copied into the
/// response first.
const LARGE_LITERAL: usize = 16 * 1024;

impl Session {
    pub(super) async fn fetch(
        &mut self,
        selected: &mut Selected,
        uid: bool,
        set: &SequenceSet,
        attributes: Vec<FetchAttribute>,
        (changed_since, vanished): (Option<u64>, bool),
    ) -> Done {
        if vanished && !self.qresync {
            return Done::bad("VANISHED needs ENABLE QRESYNC first");
        }
        let view = &selected.view;
        let Ok(mut indexes) = view.resolve_readable(set, uid) else { return Done::bad("Invalid message number") };
        if changed_since.is_some() || attributes.contains(&FetchAttribute::ModSeq) {
            self.enable_condstore(view);
        }
        if let (Some(since), true) = (changed_since, vanished)
            && let done @ (Done::No(_) | Done::Bad(_) | Done::Close) =
                self.vanished_in(&selected.account, &selected.view, set, since).await
        {
            return done;
        }
        let view = &selected.view;
        if let Some(since) = changed_since {
            indexes.retain(|&i| view.get(i).entry.modseq > since);
        }
        let sets_seen = !view.read_only && attributes.iter().any(sets_seen);
        let mut seen_now = Vec::new();
        if sets_seen {
            match self.mark_seen(selected, &indexes).await {
                Ok(uids) => seen_now = uids,
                Err(done) => return done,
            }
        }
        // Whole-message items read the message; summarized ones alone come from the cache.
        let needs_message = attributes.iter().any(needs_message);
        let needs_summary = !needs_message && attributes.iter().any(summarized);
        let view = &selected.view;
        let chunks = batches(&indexes, |i| if needs_message { view.get(i).entry.size } else { 0 });
        // Messages whose body was deleted before they could be read (expunged longer ago than
        // `[imap] keep_expunged_secs`): left out of the answer.
        let mut gone = 0;
        for chunk in chunks {
            let bodies = match needs_message {
                true => match self.read_bodies(&selected.view, chunk).await {
                    Ok(bodies) => bodies,
                    Err(done) => return done,
                },
                false => vec![None; chunk.len()],
            };
            let summaries = match needs_summary {
                true => match self.summaries(&selected.view, chunk).await {
                    Ok(summaries) => summaries,
                    Err(done) => return done,
                },
                false => vec![None; chunk.len()],
            };
            for ((&i, body), summary) in chunk.iter().zip(bodies).zip(summaries) {
                let root = body.as_deref().map(mime::parse);
                let content = match (body.as_deref(), &root, &summary) {
                    (Some(raw), Some(root), _) => Some(Content::Message { raw, root }),
                    (_, _, Some(summary)) => Some(Content::Summary(summary)),
                    _ => None,
                };
                if content.is_none() && (needs_message || needs_summary) {
                    gone += 1;
                    continue;
                }
                let view = &mut selected.view;
                let response = self.write_fetch(view, i, uid, &attributes, content.as_ref(), &seen_now);
                let sent = match response {
                    Ok(response) => response.send(&mut self.conn, self.timeout).await,
                    Err(done) => return done,
                };
                // A slow reader holds back the next message instead of letting output pile up.
                if sent.is_err() || self.conn.drain_above_high_water(self.timeout).await.is_err() {
                    return Done::Close;
                }
            }
            if self.conn.pending_output() > OUTPUT_HIGH_WATER && self.conn.flush(self.timeout).await.is_err() {
                return Done::Close;
            }
        }
        let done = match gone {
            0 => Done::ok("FETCH completed"),
            n if n == indexes.len() => Done::no("[EXPUNGEISSUED] The messages were deleted meanwhile"),
            _ => Done::ok("[EXPUNGEISSUED] FETCH completed; some messages were deleted meanwhile"),
        };
        self.updated(selected, done, uid)
    }

    /// Sets `\Seen` on the messages at `indexes` that lack it; returns their UIDs.
    async fn mark_seen(&mut self, selected: &mut Selected, indexes: &[usize]) -> Result<Vec<u32>, Done> {
        let view = &selected.view;
        let uids: Vec<u32> =
            indexes.iter().map(|&i| view.get(i)).filter(|m| m.entry.flags & SEEN == 0).map(|m| m.uid).collect();
        if uids.is_empty() {
            return Ok(uids);
        }
        let op = MailboxOp::Store {
            account: selected.account.clone(),
            mailbox: view.name.clone(),
            uids,
            action: FlagAction::Add,
            flags: SEEN,
            keywords: Vec::new(),
            unchanged_since: None,
        };
        match self.ctx.journal.submit(JournalOp::Mailbox(op)).await {
            Ok(Committed::Stored { changed, .. }) => {
                let view = &mut selected.view;
                view.drain();
                for &(uid, flags, modseq) in &changed {
                    view.update_own(uid, flags, modseq);
                }
                Ok(changed.into_iter().map(|c| c.0).collect())
            }
            Ok(_) => Ok(Vec::new()),
            Err(e) => Err(store_failure(e)),
        }
    }

    /// The stored bodies of the messages at `indexes` (None for one deleted meanwhile).
    async fn read_bodies(&self, view: &View, indexes: &[usize]) -> Result<Vec<Option<Vec<u8>>>, Done> {
        let ids: Vec<MessageId> = indexes.iter().map(|&i| MessageId(view.get(i).entry.message_id)).collect();
        self.blocking(move |store| ids.into_iter().map(|id| store.blob(id)).collect()).await.map_err(store_failure)
    }

    /// Makes one `* n FETCH (...)` response, to be sent with [`Response::send`].
    fn write_fetch<'a>(
        &mut self,
        view: &mut View,
        index: usize,
        uid: bool,
        attributes: &[FetchAttribute],
        content: Option<&Content<'a>>,
        seen_now: &[u32],
    ) -> Result<Response<'a>, Done> {
        let condstore = self.condstore;
        let m: Message = *view.get(index);
        let mut items = Items::new();
        items.out.put_slice(format!("* {} FETCH (", index + 1).as_bytes());
        let mut flags_shown = false;
        if uid && !attributes.contains(&FetchAttribute::Uid) {
            items.start("UID ");
            items.out.put_slice(m.uid.to_string().as_bytes());
        }
        for attribute in attributes {
            match attribute {
                FetchAttribute::Flags => {
                    items.start("FLAGS ");
                    flags::write_list(&mut items.out, m.entry.flags, &view.keywords, m.recent && view.rev1);
                    flags_shown = true;
                }
                FetchAttribute::Uid => {
                    items.start("UID ");
                    items.out.put_slice(m.uid.to_string().as_bytes());
                }
                FetchAttribute::InternalDate => {
                    items.start("INTERNALDATE \"");
                    items.out.put_slice(date::imap(m.entry.internal_date).as_bytes());
                    items.out.put_u8(b'"');
                }
                // RFC 8514: NIL where the save date is not known (stored before they were kept).
                FetchAttribute::SaveDate => match m.entry.saved {
                    0 => items.start("SAVEDATE NIL"),
                    saved => {
                        items.start("SAVEDATE \"");
                        items.out.put_slice(date::imap(u64::from(saved)).as_bytes());
                        items.out.put_u8(b'"');
                    }
                },
                FetchAttribute::Rfc822Size => {
                    items.start("RFC822.SIZE ");
                    items.out.put_slice(m.entry.size.to_string().as_bytes());
                }
                FetchAttribute::ModSeq => {}
                FetchAttribute::EmailId => {
                    items.start("EMAILID (");
                    items.out.put_slice(object_ids::email_id(m.entry.message_id).as_bytes());
                    items.out.put_u8(b')');
                }
                FetchAttribute::ThreadId => items.start("THREADID NIL"),
                _ => {
                    let Some(content) = content else {
                        return Err(Done::no("[EXPUNGEISSUED] Some messages were deleted meanwhile"));
                    };
                    write_content(&mut items, attribute, content)?;
                }
            }
        }
        if !flags_shown && seen_now.contains(&m.uid) {
            items.start("FLAGS ");
            flags::write_list(&mut items.out, m.entry.flags, &view.keywords, m.recent && view.rev1);
            flags_shown = true;
        }
        if condstore {
            items.start("MODSEQ (");
            items.out.put_slice(m.entry.modseq.to_string().as_bytes());
            items.out.put_u8(b')');
        }
        items.out.put_slice(b")\r\n");
        if flags_shown {
            view.shown(index);
        }
        Ok(Response { out: items.out, large: items.large })
    }
}

/// Splits `indexes` into the batches whose messages are read from the store together: at most
/// [`BATCH`] messages and [`BATCH_BYTES`] octets (by `size`) each, one message at least.
pub(super) fn batches(indexes: &[usize], size: impl Fn(usize) -> u64) -> Vec<&[usize]> {
    let mut batches = Vec::new();
    let (mut start, mut octets) = (0, 0u64);
    for (at, &i) in indexes.iter().enumerate() {
        let octets_here = size(i);
        if at > start && (at - start == BATCH || octets + octets_here > BATCH_BYTES) {
            batches.push(&indexes[start..at]);
            (start, octets) = (at, 0);
        }
        octets += octets_here;
    }
    if start < indexes.len() {
        batches.push(&indexes[start..]);
    }
    batches
}

/// A FETCH response's item list being written.
struct Items<'a> {
    /// The response, but for its large literals.
    out: BytesMut,
    first: bool,
    /// Large literals' octets, each with the offset in `out` where they go.
    large: Vec<(usize, Cow<'a, [u8]>)>,
}

impl<'a> Items<'a> {
    /// An empty item list.
    fn new() -> Items<'a> {
        Items { out: BytesMut::new(), first: true, large: Vec::new() }
    }

    /// Starts an item with `name` (a space before all but the first).
    fn start(&mut self, name: &str) {
        if !self.first {
            self.out.put_u8(b' ');
        }
        self.first = false;
        self.out.put_slice(name.as_bytes());
    }

    /// Writes `bytes` as a literal; a large one is only noted, to be sent from where it is.
    fn literal(&mut self, bytes: Cow<'a, [u8]>) {
        if bytes.len() <= LARGE_LITERAL {
            wire::literal(&mut self.out, &bytes);
            return;
        }
        self.out.put_slice(format!("{{{}}}\r\n", bytes.len()).as_bytes());
        self.large.push((self.out.len(), bytes));
    }
}

/// One FETCH response: its text, and the large literals that go inside it.
struct Response<'a> {
    out: BytesMut,
    large: Vec<(usize, Cow<'a, [u8]>)>,
}

impl Response<'_> {
    /// Sends the response, its large literals from the message in bounded slices that await
    /// the client (waiting at most `timeout` for each).
    async fn send(self, conn: &mut Connection<ServerStream>, timeout: Duration) -> std::io::Result<()> {
        let mut start = 0;
        for (at, bytes) in &self.large {
            conn.send(&self.out[start..*at]);
            conn.send_large(bytes, timeout).await?;
            start = *at;
        }
        conn.send(&self.out[start..]);
        Ok(())
    }
}

/// What a FETCH response is written from, besides the view.
enum Content<'a> {
    /// The stored message and its structure.
    Message { raw: &'a [u8], root: &'a Part },
    /// Its cached summary, when only summarized items are asked for.
    Summary(&'a Summary),
}

/// Writes an item that needs the message's content.
fn write_content<'a>(items: &mut Items<'a>, attribute: &FetchAttribute, content: &Content<'a>) -> Result<(), Done> {
    let (body, root) = match content {
        Content::Message { raw, root } => (*raw, *root),
        Content::Summary(summary) => {
            write_summarized(items, attribute, summary);
            return Ok(());
        }
    };
    match attribute {
        FetchAttribute::Envelope => {
            items.start("ENVELOPE ");
            write_envelope(&mut items.out, body, root);
        }
        FetchAttribute::BodyStructure => {
            items.start("BODYSTRUCTURE ");
            write_body_structure(&mut items.out, body, root, true);
        }
        FetchAttribute::Body => {
            items.start("BODY ");
            write_body_structure(&mut items.out, body, root, false);
        }
        FetchAttribute::Rfc822 => {
            items.start("RFC822 ");
            items.literal(Cow::Borrowed(body));
        }
        FetchAttribute::Rfc822Header | FetchAttribute::Rfc822Text => {
            let (name, text) = match attribute {
                FetchAttribute::Rfc822Header => ("RFC822.HEADER ", SectionText::Header),
                _ => ("RFC822.TEXT ", SectionText::Text),
            };
            let section = Section { part: Vec::new(), text: Some(text) };
            items.start(name);
            let bytes = imap_proto::mime::section(body, root, &section).unwrap_or(Cow::Borrowed(b""));
            items.literal(bytes);
        }
        FetchAttribute::BodySection { section, partial, .. } => {
            items.start("BODY[");
            write_section_spec(&mut items.out, section);
            items.out.put_u8(b']');
            let bytes = imap_proto::mime::section(body, root, section).unwrap_or(Cow::Borrowed(b""));
            write_partial(items, bytes, *partial, false);
        }
        FetchAttribute::Binary { part, partial, .. } => {
            let decoded = match imap_proto::mime::binary(body, root, part) {
                Ok(decoded) => decoded.unwrap_or(Cow::Borrowed(b"")),
                Err(_) => return Err(Done::no("[UNKNOWN-CTE] Unknown Content-Transfer-Encoding")),
            };
            items.start("BINARY[");
            items.out.put_slice(part_numbers(part).as_bytes());
            items.out.put_u8(b']');
            write_partial(items, decoded, *partial, true);
        }
        FetchAttribute::BinarySize { part } => {
            let size = match imap_proto::mime::binary(body, root, part) {
                Ok(decoded) => decoded.map_or(0, |d| d.len()),
                Err(_) => return Err(Done::no("[UNKNOWN-CTE] Unknown Content-Transfer-Encoding")),
            };
            items.start("BINARY.SIZE[");
            items.out.put_slice(part_numbers(part).as_bytes());
            items.out.put_slice(format!("] {size}").as_bytes());
        }
        FetchAttribute::Preview => {
            items.start("PREVIEW ");
            wire::string(&mut items.out, mime::preview(body, root).as_bytes());
        }
        FetchAttribute::Flags
        | FetchAttribute::Uid
        | FetchAttribute::InternalDate
        | FetchAttribute::SaveDate
        | FetchAttribute::Rfc822Size
        | FetchAttribute::ModSeq
        | FetchAttribute::EmailId
        | FetchAttribute::ThreadId => {}
    }
    Ok(())
}

/// Writes an item kept in summaries; summaries are read only when every content item asked
/// for is one of those, so there is nothing to write for any other.
fn write_summarized(items: &mut Items, attribute: &FetchAttribute, summary: &Summary) {
    let (name, bytes) = match attribute {
        FetchAttribute::Envelope => ("ENVELOPE ", summary.envelope()),
        FetchAttribute::BodyStructure => ("BODYSTRUCTURE ", summary.body_structure()),
        FetchAttribute::Body => ("BODY ", summary.body()),
        FetchAttribute::Preview => {
            items.start("PREVIEW ");
            wire::string(&mut items.out, summary.preview().as_bytes());
            return;
        }
        _ => return,
    };
    items.start(name);
    items.out.put_slice(bytes);
}

/// Writes `<origin>` when partial, then the octets as a literal (`~{n}` for binary with NUL).
fn write_partial<'a>(items: &mut Items<'a>, bytes: Cow<'a, [u8]>, partial: Option<(u32, u32)>, binary: bool) {
    let bytes = match partial {
        Some((origin, count)) => {
            items.out.put_slice(format!("<{origin}>").as_bytes());
            let start = (origin as usize).min(bytes.len());
            let end = start.saturating_add(count as usize).min(bytes.len());
            match bytes {
                Cow::Borrowed(bytes) => Cow::Borrowed(&bytes[start..end]),
                Cow::Owned(bytes) => Cow::Owned(bytes[start..end].to_vec()),
            }
        }
        None => bytes,
    };
    items.out.put_u8(b' ');
    if binary && bytes.contains(&0) {
        items.out.put_u8(b'~');
    }
    items.literal(bytes);
}

fn part_numbers(part: &[u32]) -> String {
    part.iter().map(u32::to_string).collect::<Vec<_>>().join(".")
}

/// Writes a section spec as the client gave it, e.g. `1.2.HEADER.FIELDS (FROM TO)`.
fn write_section_spec(out: &mut BytesMut, section: &Section) {
    out.put_slice(part_numbers(&section.part).as_bytes());
    let Some(text) = &section.text else { return };
    if !section.part.is_empty() {
        out.put_u8(b'.');
    }
    match text {
        SectionText::Header => out.put_slice(b"HEADER"),
        SectionText::Text => out.put_slice(b"TEXT"),
        SectionText::Mime => out.put_slice(b"MIME"),
        SectionText::HeaderFields { not, fields } => {
            out.put_slice(if *not { b"HEADER.FIELDS.NOT (" } else { b"HEADER.FIELDS (" });
            for (i, field) in fields.iter().enumerate() {
                if i > 0 {
                    out.put_u8(b' ');
                }
                wire::astring(out, field.as_bytes());
            }
            out.put_u8(b')');
        }
    }
}

/// Whether fetching the attribute sets `\Seen` (RFC 9051 6.4.5).
fn sets_seen(attribute: &FetchAttribute) -> bool {
    matches!(
        attribute,
        FetchAttribute::BodySection { peek: false, .. }
            | FetchAttribute::Binary { peek: false, .. }
            | FetchAttribute::Rfc822
            | FetchAttribute::Rfc822Text
    )
}

/// Whether the attribute is kept in message summaries.
fn summarized(attribute: &FetchAttribute) -> bool {
    matches!(
        attribute,
        FetchAttribute::Envelope | FetchAttribute::BodyStructure | FetchAttribute::Body | FetchAttribute::Preview
    )
}

/// Whether the attribute needs the stored message itself.
fn needs_message(attribute: &FetchAttribute) -> bool {
    !summarized(attribute)
        && !matches!(
            attribute,
            FetchAttribute::Flags
                | FetchAttribute::Uid
                | FetchAttribute::InternalDate
                | FetchAttribute::SaveDate
                | FetchAttribute::Rfc822Size
                | FetchAttribute::ModSeq
                | FetchAttribute::EmailId
                | FetchAttribute::ThreadId
        )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn section_specs_and_partials_are_echoed() {
        let mut out = BytesMut::new();
        let fields = SectionText::HeaderFields { not: false, fields: vec!["From".into(), "To".into()] };
        write_section_spec(&mut out, &Section { part: vec![1, 2], text: Some(fields) });
        assert_eq!(&out[..], b"1.2.HEADER.FIELDS (From To)");
        out.clear();
        write_section_spec(&mut out, &Section { part: vec![], text: Some(SectionText::Header) });
        assert_eq!(&out[..], b"HEADER");
        let mut items = Items::new();
        write_partial(&mut items, Cow::Borrowed(b"0123456789"), Some((8, 5)), false);
        assert_eq!(&items.out[..], b"<8> {2}\r\n89");
        let mut items = Items::new();
        write_partial(&mut items, Cow::Owned(b"a\0b".to_vec()), None, true);
        assert_eq!(&items.out[..], b" ~{3}\r\na\0b");
    }

    #[test]
    fn large_literals_are_noted_where_they_go_not_copied() {
        let big = vec![b'x'; LARGE_LITERAL + 1];
        let mut items = Items::new();
        items.start("BODY[] ");
        items.literal(Cow::Borrowed(&big[..]));
        items.start("UID 7");
        assert_eq!(&items.out[..], format!("BODY[] {{{}}}\r\n UID 7", big.len()).as_bytes());
        let at = items.out.len() - b" UID 7".len();
        assert_eq!(items.large.len(), 1);
        assert_eq!(items.large[0].0, at);
        assert!(matches!(items.large[0].1, Cow::Borrowed(b) if b.as_ptr() == big.as_ptr()));
    }

    #[test]
    fn batches_are_bounded_in_count_and_octets() {
        let indexes: Vec<usize> = (0..100).collect();
        let small = batches(&indexes, |_| 100);
        assert_eq!(small.iter().map(|b| b.len()).collect::<Vec<_>>(), [32, 32, 32, 4]);
        // Large messages are read one at a time; octets add up to the bound, not past it.
        let large = batches(&indexes[..3], |_| 20 << 20);
        assert_eq!(large, [&[0usize][..], &[1], &[2]]);
        let mixed = batches(&indexes[..5], |i| if i == 2 { BATCH_BYTES } else { BATCH_BYTES / 2 });
        assert_eq!(mixed, [&[0usize, 1][..], &[2], &[3, 4]]);
        assert!(batches(&[], |_| 1).is_empty());
    }
}
