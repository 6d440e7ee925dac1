//! IMAP's changes to messages: APPEND, STORE (flags and keywords, CONDSTORE's
//! `UNCHANGEDSINCE` checked in the same step as the write), COPY and MOVE. Each keeps the
//! mailbox counters exact and tells the mailbox's watchers.

use rocksdb::WriteBatch;

use super::mailboxes::{NewMessage, no_mailbox};
use super::staged::Staged;
use super::{Committed, Committer};
use crate::changes::Change;
use crate::records::{MailEntry, MailboxMeta, encode, flags};
use crate::{MessageId, StoreError, cf, keys, unix_now};

/// How STORE combines the given flags with a message's flags.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FlagAction {
    /// `FLAGS`: set exactly these.
    Replace,
    /// `+FLAGS`: add these.
    Add,
    /// `-FLAGS`: remove these.
    Remove,
}

impl Committer {
    /// Maps keywords to their bits in `meta`, adding the new ones when `add`; keywords not
    /// in the table are skipped when not adding.
    fn keyword_bits(meta: &mut MailboxMeta, keywords: &[String], add: bool) -> Result<(u32, bool), StoreError> {
        let mut bits = 0;
        let mut grew = false;
        for keyword in keywords {
            let index = match meta.keywords.iter().position(|k| k.eq_ignore_ascii_case(keyword)) {
                Some(index) => index,
                None if !add => continue,
                None if meta.keywords.len() < flags::MAX_KEYWORDS => {
                    meta.keywords.push(keyword.clone());
                    grew = true;
                    meta.keywords.len() - 1
                }
                None => return Err(StoreError::Refused("too many keywords in this mailbox".into())),
            };
            bits |= 1 << (flags::KEYWORD_SHIFT + index as u32);
        }
        Ok((bits, grew))
    }

    /// Appends `messages` to `mailbox` of `account`, each with the next UID; nothing when one
    /// cannot be (the mailbox is missing, their keywords do not fit).
    pub(super) fn append(
        &mut self,
        batch: &mut WriteBatch,
        staged: &mut Staged,
        account: &str,
        mailbox: &str,
        messages: &[NewMessage],
    ) -> Result<Committed, StoreError> {
        let key = keys::mailbox(account, mailbox);
        let mut meta = self.meta(staged, &key)?.ok_or_else(|| no_mailbox(mailbox))?;
        // Every keyword first, so that a failure adds nothing to the batch.
        let every: Vec<String> = messages.iter().flat_map(|m| m.keywords.iter().cloned()).collect();
        let (_, grew) = Self::keyword_bits(&mut meta, &every, true)?;
        if grew {
            let table = meta.keywords.clone();
            staged.notify(account, meta.id, || Change::Keywords(table));
        }
        let mut uids = Vec::with_capacity(messages.len());
        for m in messages {
            let (keyword_bits, _) = Self::keyword_bits(&mut meta, &m.keywords, false)?;
            let uid = meta.uid_next;
            meta.uid_next += 1;
            meta.highest_modseq += 1;
            meta.messages += 1;
            meta.size += m.message.len() as u64;
            let entry = MailEntry {
                message_id: m.id.0,
                flags: (m.flags & flags::SYSTEM) | keyword_bits,
                internal_date: m.internal_date,
                size: m.message.len() as u64,
                modseq: meta.highest_modseq,
                saved: MailEntry::save_date(unix_now()),
            };
            meta.unseen += u32::from(entry.flags & flags::SEEN == 0);
            batch.put_cf(self.store.cf(cf::BLOB), keys::message(m.id), &m.message);
            batch.merge_cf(self.store.cf(cf::REFS), keys::message(m.id), 1i64.to_le_bytes());
            *staged.refs.entry(m.id.0).or_default() += 1;
            batch.put_cf(self.store.cf(cf::MAIL), keys::mail(account, meta.id, uid), encode(&entry));
            staged.notify(account, meta.id, || Change::Added { uid, entry });
            uids.push(uid);
        }
        let uid_validity = meta.uid_validity;
        self.put_meta(batch, staged, key, meta);
        Ok(Committed::Appended { uid_validity, uids })
    }

    #[allow(clippy::too_many_arguments)]
    pub(super) fn store_flags(
        &mut self,
        batch: &mut WriteBatch,
        staged: &mut Staged,
        account: &str,
        mailbox: &str,
        uids: &[u32],
        action: FlagAction,
        (system, keywords): (u32, &[String]),
        unchanged_since: Option<u64>,
    ) -> Result<Committed, StoreError> {
        let key = keys::mailbox(account, mailbox);
        let mut meta = self.meta(staged, &key)?.ok_or_else(|| no_mailbox(mailbox))?;
        let (keyword_bits, grew) = Self::keyword_bits(&mut meta, keywords, action != FlagAction::Remove)?;
        let given = (system & flags::SYSTEM) | keyword_bits;
        let modseq = meta.highest_modseq + 1;
        let mut changed = Vec::new();
        let mut refused = Vec::new();
        let mut writes = Vec::new();
        for &uid in uids {
            let mail_key = keys::mail(account, meta.id, uid);
            if staged.deleted_mail.contains(&mail_key) {
                continue;
            }
            let Some(mut entry) = self.staged_entry(staged, &mail_key)? else { continue };
            if unchanged_since.is_some_and(|since| entry.modseq > since) {
                refused.push(uid);
                continue;
            }
            let new = match action {
                FlagAction::Replace => given,
                FlagAction::Add => entry.flags | given,
                FlagAction::Remove => entry.flags & !given,
            };
            if new == entry.flags {
                continue;
            }
            let was_unseen = entry.flags & flags::SEEN == 0;
            let is_unseen = new & flags::SEEN == 0;
            meta.unseen = (meta.unseen + u32::from(is_unseen)).saturating_sub(u32::from(was_unseen));
            entry.flags = new;
            entry.modseq = modseq;
            changed.push((uid, new, modseq));
            writes.push((mail_key, entry));
        }
        if changed.is_empty() && !grew {
            return Ok(Committed::Stored { changed, refused });
        }
        for (mail_key, entry) in writes {
            batch.put_cf(self.store.cf(cf::MAIL), &mail_key, encode(&entry));
            staged.entries.insert(mail_key, entry);
        }
        if grew {
            let table = meta.keywords.clone();
            staged.notify(account, meta.id, || Change::Keywords(table));
        }
        for &(uid, flags, modseq) in &changed {
            staged.notify(account, meta.id, || Change::Flags { uid, flags, modseq });
        }
        if !changed.is_empty() {
            meta.highest_modseq = modseq;
        }
        self.put_meta(batch, staged, key, meta);
        Ok(Committed::Stored { changed, refused })
    }

    #[allow(clippy::too_many_arguments)]
    pub(super) fn copy(
        &mut self,
        batch: &mut WriteBatch,
        staged: &mut Staged,
        account: &str,
        from: &str,
        to: &str,
        uids: &[u32],
        remove: bool,
    ) -> Result<Committed, StoreError> {
        let from_key = keys::mailbox(account, from);
        let to_key = keys::mailbox(account, to);
        let mut source = self.meta(staged, &from_key)?.ok_or_else(|| no_mailbox(from))?;
        let mut target = self.meta(staged, &to_key)?.ok_or_else(|| no_mailbox(to))?;
        let mut found: Vec<(u32, Vec<u8>, MailEntry)> = Vec::with_capacity(uids.len());
        for &uid in uids {
            let mail_key = keys::mail(account, source.id, uid);
            if staged.deleted_mail.contains(&mail_key) || found.iter().any(|(u, ..)| *u == uid) {
                continue;
            }
            if let Some(entry) = self.staged_entry(staged, &mail_key)? {
                found.push((uid, mail_key, entry));
            }
        }
        if found.is_empty() {
            return Ok(Committed::Copied { uid_validity: target.uid_validity, pairs: Vec::new() });
        }
        // Keywords are per mailbox: translate the bits into the target's table.
        let mut grew = false;
        let mut translated = Vec::with_capacity(found.len());
        for (_, _, entry) in &found {
            let names: Vec<String> = (0..source.keywords.len())
                .filter(|i| entry.flags & (1 << (flags::KEYWORD_SHIFT + *i as u32)) != 0)
                .map(|i| source.keywords[i].clone())
                .collect();
            let (bits, added) = Self::keyword_bits(&mut target, &names, true)?;
            grew |= added;
            translated.push((entry.flags & flags::SYSTEM) | bits);
        }
        target.highest_modseq += 1;
        let modseq = target.highest_modseq;
        let mut pairs = Vec::with_capacity(found.len());
        let mut moved = Vec::new();
        for ((uid, mail_key, entry), new_flags) in found.into_iter().zip(translated) {
            let new_uid = target.uid_next;
            target.uid_next += 1;
            let copy = MailEntry { flags: new_flags, modseq, saved: MailEntry::save_date(unix_now()), ..entry };
            target.messages += 1;
            target.size += entry.size;
            target.unseen += u32::from(copy.flags & flags::SEEN == 0);
            let copy_key = keys::mail(account, target.id, new_uid);
            batch.put_cf(self.store.cf(cf::MAIL), &copy_key, encode(&copy));
            staged.entries.insert(copy_key, copy);
            staged.notify(account, target.id, || Change::Added { uid: new_uid, entry: copy });
            if remove {
                batch.delete_cf(self.store.cf(cf::MAIL), &mail_key);
                staged.deleted_mail.insert(mail_key);
                // A MOVE into the mailbox itself (RFC 6851 allows it) counts on the one mailbox.
                let counters = if from == to { &mut target } else { &mut source };
                counters.messages = counters.messages.saturating_sub(1);
                counters.size = counters.size.saturating_sub(entry.size);
                counters.unseen = counters.unseen.saturating_sub(u32::from(entry.flags & flags::SEEN == 0));
                moved.push(uid);
            } else {
                *staged.refs.entry(entry.message_id).or_default() += 1;
                batch.merge_cf(self.store.cf(cf::REFS), keys::message(MessageId(entry.message_id)), 1i64.to_le_bytes());
            }
            pairs.push((uid, new_uid));
        }
        if grew {
            let table = target.keywords.clone();
            staged.notify(account, target.id, || Change::Keywords(table));
        }
        let uid_validity = target.uid_validity;
        if from == to {
            // Into the mailbox itself: one set of counters; a MOVE expunges the originals.
            if remove {
                target.highest_modseq += 1;
                let modseq = target.highest_modseq;
                self.store.put_vanished(batch, (account, target.id), modseq, &moved, unix_now());
                staged.notify(account, target.id, || Change::Expunged { uids: moved, modseq });
            }
            self.put_meta(batch, staged, to_key, target);
        } else {
            if remove {
                source.highest_modseq += 1;
                let modseq = source.highest_modseq;
                self.store.put_vanished(batch, (account, source.id), modseq, &moved, unix_now());
                staged.notify(account, source.id, || Change::Expunged { uids: moved, modseq });
                self.put_meta(batch, staged, from_key, source);
            }
            self.put_meta(batch, staged, to_key, target);
        }
        Ok(Committed::Copied { uid_validity, pairs })
    }
}

#[cfg(test)]
mod tests {
    use super::super::mailboxes::MailboxOp;
    use super::super::testing::{append, run, setup};
    use super::*;

    #[test]
    fn store_copy_and_move_keep_counters_keywords_and_watchers_right() {
        let (_dir, store, journal) = setup();
        let h = journal.handle();
        let inbox = store.mailbox_meta("bob@x", "INBOX").unwrap().unwrap();
        let watch = h.watch("bob@x", inbox.id);
        let one = append(&h, "INBOX", 1, 0, &["$Label1"]);
        let two = append(&h, "INBOX", 2, flags::SEEN, &[]);
        assert_eq!((one, two), (1, 2));
        let meta = store.mailbox_meta("bob@x", "INBOX").unwrap().unwrap();
        assert_eq!((meta.messages, meta.unseen, meta.keywords.clone()), (2, 1, vec!["$Label1".to_string()]));

        let store_op = |uids: Vec<u32>, action, since| MailboxOp::Store {
            account: "bob@x".into(),
            mailbox: "INBOX".into(),
            uids,
            action,
            flags: flags::SEEN,
            keywords: vec!["$label1".into()],
            unchanged_since: since,
        };
        let stored = run(&h, store_op(vec![1, 2, 99], FlagAction::Add, None)).unwrap();
        let Committed::Stored { changed, refused } = stored else { panic!() };
        assert_eq!(changed.iter().map(|c| c.0).collect::<Vec<_>>(), vec![1, 2], "99 does not exist");
        assert!(refused.is_empty());
        let modseq = changed[0].2;
        assert_eq!(store.mailbox_meta("bob@x", "INBOX").unwrap().unwrap().unseen, 0);
        let Committed::Stored { changed, refused } =
            run(&h, store_op(vec![1, 2], FlagAction::Remove, Some(modseq - 1))).unwrap()
        else {
            panic!()
        };
        assert_eq!((changed.len(), refused), (0, vec![1, 2]), "UNCHANGEDSINCE refuses newer messages");

        let copy = |remove| MailboxOp::Copy {
            account: "bob@x".into(),
            from: "INBOX".into(),
            to: "Archive".into(),
            uids: vec![2, 1],
            remove,
        };
        let Committed::Copied { pairs, .. } = run(&h, copy(false)).unwrap() else { panic!() };
        assert_eq!(pairs, vec![(2, 1), (1, 2)]);
        assert_eq!(store.blob_refs(MessageId(1)).unwrap(), 2);
        let archived = store.mail_entries("bob@x", "Archive").unwrap();
        let archive = store.mailbox_meta("bob@x", "Archive").unwrap().unwrap();
        assert_eq!(archive.keywords, vec!["$Label1".to_string()], "keywords travel by name");
        assert!(archived.iter().all(|(_, e)| e.flags & (1 << flags::KEYWORD_SHIFT) != 0));

        let Committed::Copied { pairs, .. } = run(&h, copy(true)).unwrap() else { panic!() };
        assert_eq!(pairs, vec![(2, 3), (1, 4)]);
        assert_eq!(store.mailbox_meta("bob@x", "INBOX").unwrap().unwrap().messages, 0);
        assert_eq!(store.blob_refs(MessageId(1)).unwrap(), 2, "a move neither adds nor drops references");

        let mut seen = Vec::new();
        while let Some(change) = watch.try_next() {
            seen.push(change);
        }
        assert!(matches!(&seen[0], Change::Keywords(table) if *table == vec!["$Label1".to_string()]));
        assert!(matches!(seen[1], Change::Added { uid: 1, .. }), "the keyword is known before it is used");
        assert!(seen.iter().any(|c| matches!(c, Change::Flags { uid: 2, .. })));
        assert!(matches!(seen.last(), Some(Change::Expunged { uids, .. }) if *uids == vec![2, 1]));
        let inbox = store.mailbox_meta("bob@x", "INBOX").unwrap().unwrap();
        assert_eq!(store.vanished_since("bob@x", inbox.id, 0).unwrap().uids, vec![1, 2], "moved out: tombstones");
        journal.stop();
    }
}
