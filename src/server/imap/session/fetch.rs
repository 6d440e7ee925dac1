//! FETCH and UID FETCH: flags and sizes from the session's view; ENVELOPE, BODYSTRUCTURE and
//! BODY alone from the shared summaries; anything else from the stored message, parsed once per
//! message by the MIME structure pass.

use std::borrow::Cow;

use bytes::{BufMut, BytesMut};

use super::{Done, Selected, Session, store_failure};
use crate::imap::flags;
use crate::imap::summary::Summary;
use crate::imap::view::{Message, View};
use crate::net::connection::OUTPUT_HIGH_WATER;
use imap_proto::command::{FetchAttribute, SequenceSet};
use imap_proto::mime::{write_body_structure, write_envelope};
use imap_proto::section::{Section, SectionText};
use imap_proto::wire;
use message::date;
use message::mime::{self, Part};
use store::MessageId;
use store::journal::{Committed, FlagAction, JournalOp, MailboxOp};
use store::records::flags::SEEN;

/// Messages whose bodies are read from the store in one go.
const BATCH: usize = 32;

impl Session {
    pub(super) async fn fetch(
        &mut self,
        selected: &mut Selected,
        uid: bool,
        set: &SequenceSet,
        attributes: Vec<FetchAttribute>,
        changed_since: Option<u64>,
    ) -> Done {
        let view = &selected.view;
        let Ok(mut indexes) = view.resolve(set, uid) else { return Done::bad("Invalid message number") };
        if changed_since.is_some() || attributes.contains(&FetchAttribute::ModSeq) {
            self.condstore = true;
        }
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
        for chunk in indexes.chunks(BATCH) {
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
                let view = &mut selected.view;
                if let Err(done) = self.write_fetch(view, i, uid, &attributes, content.as_ref(), &seen_now) {
                    return done;
                }
            }
            if self.conn.pending_output() > OUTPUT_HIGH_WATER && self.conn.flush(self.timeout).await.is_err() {
                return Done::Close;
            }
        }
        self.updated(selected, Done::ok("FETCH completed"), uid)
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

    /// Writes one `* n FETCH (...)` response.
    fn write_fetch(
        &mut self,
        view: &mut View,
        index: usize,
        uid: bool,
        attributes: &[FetchAttribute],
        content: Option<&Content>,
        seen_now: &[u32],
    ) -> Result<(), Done> {
        let condstore = self.condstore;
        let m: Message = *view.get(index);
        let mut out = BytesMut::new();
        out.put_slice(format!("* {} FETCH (", index + 1).as_bytes());
        let mut items = Items { out: &mut out, first: true };
        let mut flags_shown = false;
        if uid && !attributes.contains(&FetchAttribute::Uid) {
            items.start("UID ");
            items.out.put_slice(m.uid.to_string().as_bytes());
        }
        for attribute in attributes {
            match attribute {
                FetchAttribute::Flags => {
                    items.start("FLAGS ");
                    flags::write_list(items.out, m.entry.flags, &view.keywords, m.recent && view.rev1);
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
                FetchAttribute::Rfc822Size => {
                    items.start("RFC822.SIZE ");
                    items.out.put_slice(m.entry.size.to_string().as_bytes());
                }
                FetchAttribute::ModSeq => {}
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
            flags::write_list(items.out, m.entry.flags, &view.keywords, m.recent && view.rev1);
            flags_shown = true;
        }
        if condstore {
            items.start("MODSEQ (");
            items.out.put_slice(m.entry.modseq.to_string().as_bytes());
            items.out.put_u8(b')');
        }
        out.put_slice(b")\r\n");
        if flags_shown {
            view.shown(index);
        }
        self.conn.send(&out);
        Ok(())
    }
}

/// A FETCH response's item list being written.
struct Items<'a> {
    out: &'a mut BytesMut,
    first: bool,
}

impl Items<'_> {
    /// Starts an item with `name` (a space before all but the first).
    fn start(&mut self, name: &str) {
        if !self.first {
            self.out.put_u8(b' ');
        }
        self.first = false;
        self.out.put_slice(name.as_bytes());
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
fn write_content(items: &mut Items, attribute: &FetchAttribute, content: &Content) -> Result<(), Done> {
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
            write_envelope(items.out, body, root);
        }
        FetchAttribute::BodyStructure => {
            items.start("BODYSTRUCTURE ");
            write_body_structure(items.out, body, root, true);
        }
        FetchAttribute::Body => {
            items.start("BODY ");
            write_body_structure(items.out, body, root, false);
        }
        FetchAttribute::Rfc822 => {
            items.start("RFC822 ");
            wire::literal(items.out, body);
        }
        FetchAttribute::Rfc822Header | FetchAttribute::Rfc822Text => {
            let (name, text) = match attribute {
                FetchAttribute::Rfc822Header => ("RFC822.HEADER ", SectionText::Header),
                _ => ("RFC822.TEXT ", SectionText::Text),
            };
            let section = Section { part: Vec::new(), text: Some(text) };
            items.start(name);
            let bytes = imap_proto::mime::section(body, root, &section).unwrap_or(Cow::Borrowed(b""));
            wire::literal(items.out, &bytes);
        }
        FetchAttribute::BodySection { section, partial, .. } => {
            items.start("BODY[");
            write_section_spec(items.out, section);
            items.out.put_u8(b']');
            let bytes = imap_proto::mime::section(body, root, section).unwrap_or(Cow::Borrowed(b""));
            write_partial(items.out, &bytes, *partial, false);
        }
        FetchAttribute::Binary { part, partial, .. } => {
            let decoded = match imap_proto::mime::binary(body, root, part) {
                Ok(decoded) => decoded.unwrap_or(Cow::Borrowed(b"")),
                Err(_) => return Err(Done::no("[UNKNOWN-CTE] Unknown Content-Transfer-Encoding")),
            };
            items.start("BINARY[");
            items.out.put_slice(part_numbers(part).as_bytes());
            items.out.put_u8(b']');
            write_partial(items.out, &decoded, *partial, true);
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
        FetchAttribute::Flags
        | FetchAttribute::Uid
        | FetchAttribute::InternalDate
        | FetchAttribute::Rfc822Size
        | FetchAttribute::ModSeq => {}
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
        _ => return,
    };
    items.start(name);
    items.out.put_slice(bytes);
}

/// Writes `<origin>` when partial, then the octets as a literal (`~{n}` for binary with NUL).
fn write_partial(out: &mut BytesMut, bytes: &[u8], partial: Option<(u32, u32)>, binary: bool) {
    let bytes = match partial {
        Some((origin, count)) => {
            out.put_slice(format!("<{origin}>").as_bytes());
            let start = (origin as usize).min(bytes.len());
            let end = start.saturating_add(count as usize).min(bytes.len());
            &bytes[start..end]
        }
        None => bytes,
    };
    out.put_u8(b' ');
    if binary && bytes.contains(&0) {
        out.put_u8(b'~');
    }
    wire::literal(out, bytes);
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
    matches!(attribute, FetchAttribute::Envelope | FetchAttribute::BodyStructure | FetchAttribute::Body)
}

/// Whether the attribute needs the stored message itself.
fn needs_message(attribute: &FetchAttribute) -> bool {
    !summarized(attribute)
        && !matches!(
            attribute,
            FetchAttribute::Flags
                | FetchAttribute::Uid
                | FetchAttribute::InternalDate
                | FetchAttribute::Rfc822Size
                | FetchAttribute::ModSeq
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
        out.clear();
        write_partial(&mut out, b"0123456789", Some((8, 5)), false);
        assert_eq!(&out[..], b"<8> {2}\r\n89");
        out.clear();
        write_partial(&mut out, b"a\0b", None, true);
        assert_eq!(&out[..], b" ~{3}\r\na\0b");
    }
}
