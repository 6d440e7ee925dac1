//! A session's view of its selected mailbox: the messages in the numbering its client knows,
//! plus the changes other sessions (and deliveries) committed that the client has not been
//! told about yet. Changes arrive from the journal through a [`Watch`]; they are reported only
//! where IMAP allows (RFC 9051 7.5.1: no EXPUNGE during FETCH, STORE or SEARCH by number), so
//! message numbers never shift under the client.

use bytes::{BufMut, BytesMut};

use super::flags;
use imap_proto::command::{SeqNum, SequenceSet};
use store::changes::{Change, Watch};
use store::records::{MailEntry, MailboxMeta};

/// One message as the client sees it.
#[derive(Debug, Clone, Copy)]
pub struct Message {
    /// Its UID.
    pub uid: u32,
    /// Its stored entry (flags, modseq, size, date, body).
    pub entry: MailEntry,
    /// Expunged by someone, not yet reported to the client.
    pub expunged: bool,
    /// IMAP4rev1 `\Recent`: this session is the first to learn of it.
    pub recent: bool,
    /// Flags changed by someone, not yet reported to the client.
    dirty: bool,
}

/// The selected mailbox.
pub struct View {
    /// Mailbox name.
    pub name: String,
    /// Mailbox id (stable across renames).
    pub id: u32,
    /// UIDVALIDITY.
    pub uid_validity: u32,
    /// Opened with EXAMINE.
    pub read_only: bool,
    /// The keyword table, as the client was last told.
    pub keywords: Vec<String>,
    /// Highest modseq the client has been shown.
    pub highest_modseq: u64,
    /// The mailbox was deleted or renamed by another session.
    pub gone: bool,
    /// Tell the client of `\Recent` (IMAP4rev1; not after ENABLE IMAP4rev2).
    pub rev1: bool,
    /// The UIDs the last `SEARCH RETURN (SAVE)` found, ascending: what `$` means (RFC 5182).
    pub saved: Vec<u32>,
    /// QRESYNC is on: expunges are reported as `VANISHED` (RFC 7162 3.2.10).
    pub vanished: bool,
    /// The oldest modseq of an expunge not yet reported; until it is, the client is not told
    /// of a HIGHESTMODSEQ at or past it, or a resync from there would miss the expunge.
    unreported_expunge: Option<u64>,
    /// The newest modseq of an expunge not yet reported.
    newest_expunge: u64,
    /// The newest message modseq a held-back HIGHESTMODSEQ was last sent for.
    capped_for: u64,
    messages: Vec<Message>,
    /// Arrived, not yet announced with EXISTS.
    arrived: Vec<Message>,
    keywords_changed: bool,
    watch: Watch,
}

/// A message number or UID outside the mailbox.
#[derive(Debug, PartialEq, Eq)]
pub struct BadSequence;

impl View {
    /// A view of a mailbox read from the store after `watch` began.
    pub fn new(
        name: String,
        meta: &MailboxMeta,
        entries: Vec<(u32, MailEntry)>,
        watch: Watch,
        read_only: bool,
    ) -> View {
        // A read-write view claims the messages as recent; EXAMINE leaves them to others.
        let last = entries.last().map_or(0, |(uid, _)| *uid);
        let known = if read_only { u32::MAX } else { watch.claim_recent(last) };
        let messages = entries.into_iter().map(|(uid, entry)| Message {
            uid,
            entry,
            expunged: false,
            recent: uid > known,
            dirty: false,
        });
        View {
            rev1: true,
            name,
            id: meta.id,
            uid_validity: meta.uid_validity,
            read_only,
            keywords: meta.keywords.clone(),
            highest_modseq: meta.highest_modseq,
            gone: false,
            saved: Vec::new(),
            vanished: false,
            unreported_expunge: None,
            newest_expunge: 0,
            capped_for: 0,
            messages: messages.collect(),
            arrived: Vec::new(),
            keywords_changed: false,
            watch,
        }
    }

    /// Whether `uid` is in the saved search result (`$`).
    pub fn is_saved(&self, uid: u32) -> bool {
        self.saved.binary_search(&uid).is_ok()
    }

    /// Messages the client knows of (its EXISTS count).
    pub fn len(&self) -> usize {
        self.messages.len()
    }

    /// Whether the client knows of no message.
    pub fn is_empty(&self) -> bool {
        self.messages.is_empty()
    }

    /// The message with number `index + 1`.
    pub fn get(&self, index: usize) -> &Message {
        &self.messages[index]
    }

    /// Every message the client knows of, in number order.
    pub fn messages(&self) -> &[Message] {
        &self.messages
    }

    /// The UID the next message will get, as far as this session knows.
    pub fn uid_next(&self, meta_uid_next: u32) -> u32 {
        let last = self.arrived.last().or(self.messages.last()).map_or(0, |m| m.uid);
        meta_uid_next.max(last + 1)
    }

    /// Messages recent to this session.
    pub fn recent(&self) -> usize {
        self.messages.iter().filter(|m| m.recent && !m.expunged).count()
    }

    /// Unseen messages the client knows of, and the number of the first.
    pub fn unseen(&self) -> (usize, Option<usize>) {
        let unseen = |m: &&Message| m.entry.flags & store::records::flags::SEEN == 0 && !m.expunged;
        let first = self.messages.iter().position(|m| unseen(&m)).map(|i| i + 1);
        (self.messages.iter().filter(unseen).count(), first)
    }

    /// Indexes of the messages in `set`, in order: by number, or by UID when `uid`. Numbers
    /// beyond the mailbox are an error; UIDs not present are skipped (RFC 9051 6.4.9).
    /// Messages expunged but not yet reported are left out.
    pub fn resolve(&self, set: &SequenceSet, uid: bool) -> Result<Vec<usize>, BadSequence> {
        self.resolve_among(set, uid, false)
    }

    /// [`View::resolve`] with the messages expunged but not yet reported left in: the client
    /// still sees them, and may still read them (RFC 2180 4.1.1).
    pub fn resolve_readable(&self, set: &SequenceSet, uid: bool) -> Result<Vec<usize>, BadSequence> {
        self.resolve_among(set, uid, true)
    }

    fn resolve_among(&self, set: &SequenceSet, uid: bool, expunged: bool) -> Result<Vec<usize>, BadSequence> {
        let wanted = |i: usize| expunged || !self.messages[i].expunged;
        if set.is_saved() {
            return Ok((0..self.messages.len())
                .filter(|&i| wanted(i) && self.is_saved(self.messages[i].uid))
                .collect());
        }
        if uid {
            let largest = self.messages.last().map_or(0, |m| m.uid);
            return Ok((0..self.messages.len())
                .filter(|&i| wanted(i) && set.contains(self.messages[i].uid, largest))
                .collect());
        }
        let count = self.messages.len() as u32;
        let out_of_range = set.0.iter().any(|r| {
            [r.start, r.end].iter().any(|n| matches!(n, SeqNum::Value(v) if *v > count))
                || (count == 0 && (r.start == SeqNum::Star || r.end == SeqNum::Star))
        });
        if out_of_range {
            return Err(BadSequence);
        }
        Ok((0..self.messages.len()).filter(|&i| wanted(i) && set.contains(i as u32 + 1, count)).collect())
    }

    /// Applies every change waiting in the watch; true when the watch fell behind and the
    /// mailbox must be read afresh with [`View::resync`].
    pub fn drain(&mut self) -> bool {
        while let Some(change) = self.watch.try_next() {
            self.apply(change);
        }
        self.watch.take_overflow()
    }

    /// Waits for the next change and applies it (and any behind it); true on overflow.
    pub async fn wait(&mut self) -> bool {
        if let Some(change) = self.watch.next().await {
            self.apply(change);
        }
        self.drain()
    }

    /// Applies one committed change; changes already in the view are ignored.
    pub fn apply(&mut self, change: Change) {
        match change {
            Change::Added { uid, entry } => {
                let last = self.arrived.last().or(self.messages.last()).map_or(0, |m| m.uid);
                if uid > last {
                    self.arrived.push(Message { uid, entry, expunged: false, recent: false, dirty: false });
                }
            }
            Change::Flags { uid, flags, modseq } => {
                if let Some(m) = self.find_mut(uid)
                    && modseq > m.entry.modseq
                {
                    m.entry.flags = flags;
                    m.entry.modseq = modseq;
                    m.dirty = true;
                }
            }
            Change::Expunged { uids, modseq } => {
                let mut marked = false;
                for uid in uids {
                    self.arrived.retain(|m| m.uid != uid);
                    if let Ok(i) = self.messages.binary_search_by_key(&uid, |m| m.uid) {
                        self.messages[i].expunged = true;
                        marked = true;
                    }
                }
                if marked {
                    self.unreported_expunge = Some(self.unreported_expunge.map_or(modseq, |m| m.min(modseq)));
                    self.newest_expunge = self.newest_expunge.max(modseq);
                } else {
                    // Nothing left to tell (this session's own expunge, already reported).
                    self.highest_modseq = self.highest_modseq.max(modseq);
                }
            }
            Change::Keywords(table) => {
                if table.len() > self.keywords.len() {
                    self.keywords = table;
                    self.keywords_changed = true;
                }
            }
            Change::Gone => self.gone = true,
        }
    }

    fn find_mut(&mut self, uid: u32) -> Option<&mut Message> {
        if let Ok(i) = self.messages.binary_search_by_key(&uid, |m| m.uid) {
            return Some(&mut self.messages[i]);
        }
        let i = self.arrived.binary_search_by_key(&uid, |m| m.uid).ok()?;
        Some(&mut self.arrived[i])
    }

    /// Brings the view in line with the mailbox as read from the store now (after overflow).
    pub fn resync(&mut self, entries: Vec<(u32, MailEntry)>) {
        let mut fresh = entries.into_iter().peekable();
        for m in &mut self.messages {
            while fresh.next_if(|(uid, _)| *uid < m.uid).is_some() {}
            match fresh.next_if(|(uid, _)| *uid == m.uid) {
                Some((_, entry)) if entry.flags != m.entry.flags => {
                    m.entry = entry;
                    m.dirty = true;
                }
                Some((_, entry)) => m.entry = entry,
                None if !m.expunged => {
                    m.expunged = true;
                    // When is not known: hold HIGHESTMODSEQ where it is until reported.
                    self.unreported_expunge.get_or_insert(self.highest_modseq + 1);
                }
                None => {}
            }
        }
        let last = self.messages.last().map_or(0, |m| m.uid);
        self.arrived = fresh
            .filter(|(uid, _)| *uid > last)
            .map(|(uid, entry)| Message { uid, entry, expunged: false, recent: false, dirty: false })
            .collect();
    }

    /// Marks the message's flags as told to the client (after a FETCH that showed them).
    pub fn shown(&mut self, index: usize) {
        self.messages[index].dirty = false;
    }

    /// Sets a message's entry after this session changed it, so that it is not reported back
    /// as someone else's change.
    pub fn update_own(&mut self, uid: u32, flags: u32, modseq: u64) {
        if let Some(m) = self.find_mut(uid)
            && modseq >= m.entry.modseq
        {
            m.entry.flags = flags;
            m.entry.modseq = modseq;
            m.dirty = false;
        }
        self.highest_modseq = self.highest_modseq.max(modseq.min(self.cap()));
    }

    /// Writes what the client has not been told: EXPUNGE (only when `expunges` is allowed),
    /// EXISTS, new FLAGS, and FETCH for changed flags (with MODSEQ when `condstore`).
    pub fn report(&mut self, out: &mut BytesMut, expunges: bool, condstore: bool) {
        if expunges {
            self.report_expunges(out);
        }
        self.report_keywords(out);
        if !self.arrived.is_empty() {
            if !self.read_only {
                let last = self.arrived.last().map_or(0, |m| m.uid);
                let known = self.watch.claim_recent(last);
                self.arrived.iter_mut().for_each(|m| m.recent = m.uid > known);
            }
            self.messages.append(&mut self.arrived);
            out.put_slice(format!("* {} EXISTS\r\n", self.messages.len()).as_bytes());
            if self.rev1 {
                out.put_slice(format!("* {} RECENT\r\n", self.recent()).as_bytes());
            }
        }
        let cap = self.cap();
        for (i, m) in self.messages.iter_mut().enumerate() {
            if m.dirty && !m.expunged {
                m.dirty = false;
                out.put_slice(format!("* {} FETCH (FLAGS ", i + 1).as_bytes());
                flags::write_list(out, m.entry.flags, &self.keywords, m.recent && self.rev1);
                if condstore {
                    out.put_slice(format!(" MODSEQ ({})", m.entry.modseq).as_bytes());
                }
                out.put_slice(format!(" UID {})\r\n", m.uid).as_bytes());
            }
        }
        let newest = self.messages.iter().map(|m| m.entry.modseq).max().unwrap_or(0);
        self.highest_modseq = self.highest_modseq.max(newest.min(cap));
        if condstore && self.vanished && newest > cap && newest != self.capped_for {
            // The client may have seen a MODSEQ past an expunge it cannot be told of yet: the
            // HIGHESTMODSEQ to resynchronise from later is still below it (RFC 7162 3.2.10).
            self.capped_for = newest;
            out.put_slice(format!("* OK [HIGHESTMODSEQ {}] Expunges pending\r\n", self.highest_modseq).as_bytes());
        }
    }

    /// The highest modseq the client may be told of: below any expunge not yet reported.
    fn cap(&self) -> u64 {
        self.unreported_expunge.map_or(u64::MAX, |modseq| modseq - 1)
    }

    /// Writes FLAGS and PERMANENTFLAGS when the keyword table grew since the client was told.
    pub fn report_keywords(&mut self, out: &mut BytesMut) {
        if self.keywords_changed {
            self.keywords_changed = false;
            flags::write_mailbox_flags(out, &self.keywords, self.read_only);
        }
    }

    /// Writes `* n EXPUNGE` for every expunged message, highest number first so that each
    /// number is right when the client reads it (or, with QRESYNC, one `* VANISHED` of their
    /// UIDs), and drops them from the view.
    fn report_expunges(&mut self, out: &mut BytesMut) {
        if self.vanished {
            let gone = self.messages.iter().filter(|m| m.expunged).map(|m| m.uid);
            let set = imap_proto::wire::compact(gone);
            if !set.is_empty() {
                out.put_slice(format!("* VANISHED {set}\r\n").as_bytes());
                self.messages.retain(|m| !m.expunged);
            }
        } else {
            for i in (0..self.messages.len()).rev() {
                if self.messages[i].expunged {
                    out.put_slice(format!("* {} EXPUNGE\r\n", i + 1).as_bytes());
                    self.messages.remove(i);
                }
            }
        }
        if self.unreported_expunge.take().is_some() {
            self.highest_modseq = self.highest_modseq.max(self.newest_expunge);
        }
    }

    /// Drops `uids` that this session expunged itself, writing `* n EXPUNGE` for each (or
    /// `* VANISHED` with QRESYNC).
    pub fn expunged_own(&mut self, out: &mut BytesMut, uids: &[u32]) {
        for &uid in uids {
            if let Ok(i) = self.messages.binary_search_by_key(&uid, |m| m.uid) {
                self.messages[i].expunged = true;
            }
        }
        self.report_expunges(out);
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use super::*;
    use imap_proto::command::SeqRange;
    use store::changes::Watchers;

    fn entry(modseq: u64) -> MailEntry {
        MailEntry { message_id: 1, flags: 0, internal_date: 0, size: 10, modseq, saved: 0 }
    }

    fn view(watchers: &Arc<Watchers>, uids: &[u32]) -> View {
        let meta = MailboxMeta::new(1, 1000);
        let entries = uids.iter().map(|&u| (u, entry(1))).collect();
        View::new("INBOX".into(), &meta, entries, watchers.watch("a", 1), false)
    }

    fn set(ranges: &[(u32, Option<u32>)]) -> SequenceSet {
        let num = |n: Option<u32>| n.map_or(SeqNum::Star, SeqNum::Value);
        SequenceSet(ranges.iter().map(|&(s, e)| SeqRange { start: SeqNum::Value(s), end: num(e) }).collect())
    }

    fn reported(v: &mut View, expunges: bool) -> String {
        let mut out = BytesMut::new();
        v.report(&mut out, expunges, false);
        String::from_utf8(out.to_vec()).unwrap()
    }

    #[test]
    fn expunges_wait_until_allowed_and_numbers_stay_put() {
        let watchers = Arc::new(Watchers::default());
        let mut v = view(&watchers, &[3, 5, 9]);
        watchers.publish("a", 1, &Change::Expunged { uids: vec![3, 9], modseq: 5 });
        watchers.publish("a", 1, &Change::Added { uid: 12, entry: entry(6) });
        watchers.publish("a", 1, &Change::Flags { uid: 5, flags: 1, modseq: 7 });
        assert!(!v.drain());
        // During FETCH by number: new messages and flags, but the numbers do not move.
        assert_eq!(
            reported(&mut v, false),
            "* 4 EXISTS\r\n* 2 RECENT\r\n* 2 FETCH (FLAGS (\\Seen \\Recent) UID 5)\r\n"
        );
        assert_eq!(v.resolve(&set(&[(1, None)]), false).unwrap(), vec![1, 3], "expunged ones are skipped");
        assert_eq!(reported(&mut v, true), "* 3 EXPUNGE\r\n* 1 EXPUNGE\r\n");
        assert_eq!(v.messages().iter().map(|m| m.uid).collect::<Vec<_>>(), vec![5, 12]);
        assert_eq!(v.highest_modseq, 7);
    }

    #[test]
    fn only_the_first_session_to_learn_of_a_message_sees_it_recent() {
        let watchers = Arc::new(Watchers::default());
        let first = view(&watchers, &[1, 2]);
        let second = view(&watchers, &[1, 2]);
        assert_eq!((first.recent(), second.recent()), (2, 0));
        let mut second = second;
        watchers.publish("a", 1, &Change::Added { uid: 3, entry: entry(2) });
        let mut first = first;
        second.drain();
        assert_eq!(reported(&mut second, true), "* 3 EXISTS\r\n* 1 RECENT\r\n");
        first.drain();
        assert_eq!(reported(&mut first, true), "* 3 EXISTS\r\n* 2 RECENT\r\n", "message 3 went to the other session");
    }

    #[test]
    fn sequence_and_uid_sets() {
        let watchers = Arc::new(Watchers::default());
        let v = view(&watchers, &[3, 5, 9]);
        assert_eq!(v.resolve(&set(&[(2, None)]), false).unwrap(), vec![1, 2]);
        assert_eq!(v.resolve(&set(&[(4, Some(4))]), false), Err(BadSequence));
        assert_eq!(v.resolve(&set(&[(4, Some(9))]), true).unwrap(), vec![1, 2]);
        assert_eq!(v.resolve(&set(&[(100, None)]), true).unwrap(), vec![2], "100:* includes the last UID");
        let empty = view(&watchers, &[]);
        assert_eq!(empty.resolve(&set(&[(1, None)]), true).unwrap(), Vec::<usize>::new());
        assert_eq!(empty.resolve(&set(&[(1, None)]), false), Err(BadSequence));
    }

    #[test]
    fn resync_finds_what_was_missed_and_old_notices_change_nothing() {
        let watchers = Arc::new(Watchers::default());
        let mut v = view(&watchers, &[3, 5, 9]);
        v.apply(Change::Added { uid: 4, entry: entry(1) });
        v.apply(Change::Flags { uid: 5, flags: 1, modseq: 1 });
        assert_eq!(reported(&mut v, true), "", "stale notices are ignored");
        let mut seen = entry(4);
        seen.flags = 1;
        v.resync(vec![(5, seen), (9, entry(1)), (10, entry(5))]);
        assert_eq!(
            reported(&mut v, true),
            "* 1 EXPUNGE\r\n* 3 EXISTS\r\n* 3 RECENT\r\n* 1 FETCH (FLAGS (\\Seen \\Recent) UID 5)\r\n"
        );
    }
}
