//! Expunging: messages leave a mailbox for good (IMAP EXPUNGE, POP3 DELE then QUIT); a body
//! whose last reference goes stays readable for a while, then `Store::sweep_expunged` deletes
//! it.

use rocksdb::WriteBatch;

use super::committer::Held;
use super::staged::Staged;
use super::{Committed, Committer};
use crate::changes::Change;
use crate::records::{MailEntry, encode, flags};
use crate::{MessageId, StoreError, cf, keys, unix_now};

impl Committer {
    pub(super) fn expunge(
        &mut self,
        batch: &mut WriteBatch,
        staged: &mut Staged,
        account: &str,
        mailbox: &str,
        uids: &[u32],
    ) -> Result<Committed, StoreError> {
        let key = keys::mailbox(account, mailbox);
        let mut meta =
            self.meta(staged, &key)?.ok_or_else(|| StoreError::NotFound(format!("mailbox {mailbox} of {account}")))?;
        // Read everything first so that a failure adds nothing to the batch.
        let mut found: Vec<(u32, Vec<u8>, MailEntry, Held)> = Vec::with_capacity(uids.len());
        for &uid in uids {
            let mail_key = keys::mail(account, meta.id, uid);
            if staged.deleted_mail.contains(&mail_key) || found.iter().any(|(u, ..)| *u == uid) {
                continue;
            }
            if let Some(entry) = self.staged_entry(staged, &mail_key)? {
                let holding = self.held(MessageId(entry.message_id))?;
                found.push((uid, mail_key, entry, holding));
            }
        }
        let mut removed = Vec::with_capacity(found.len());
        for (uid, mail_key, entry, holding) in found {
            batch.delete_cf(self.store.cf(cf::MAIL), &mail_key);
            staged.deleted_mail.insert(mail_key);
            meta.messages = meta.messages.saturating_sub(1);
            meta.size = meta.size.saturating_sub(entry.size);
            if entry.flags & flags::SEEN == 0 {
                meta.unseen = meta.unseen.saturating_sub(1);
            }
            self.release_expunged(batch, staged, MessageId(entry.message_id), holding);
            removed.push(uid);
        }
        if !removed.is_empty() {
            meta.highest_modseq += 1;
            batch.put_cf(self.store.cf(cf::MAILBOX), &key, encode(&meta));
            let modseq = meta.highest_modseq;
            self.store.put_vanished(batch, (account, meta.id), modseq, &removed, unix_now());
            let notice = || Change::Expunged { uids: removed.clone(), modseq };
            staged.notify(account, meta.id, notice);
            staged.mailboxes.insert(key, Some(meta));
        }
        Ok(Committed::Expunged(removed))
    }
}

#[cfg(test)]
mod tests {
    use super::super::testing::{create, delivery, temp_store};
    use super::super::{Journal, JournalOp};
    use super::*;

    #[test]
    fn expunge_updates_counters_and_frees_bodies_nobody_else_holds() {
        let (_dir, store) = temp_store();
        let journal = Journal::start(store.clone());
        let h = journal.handle();
        create(&h, "bob@example.com");
        create(&h, "eve@example.com");
        h.submit_blocking(delivery(1, &["bob@example.com", "eve@example.com"], &[], b"shared")).unwrap();
        h.submit_blocking(delivery(2, &["bob@example.com"], &[], b"own")).unwrap();
        let before = store.mailbox_meta("bob@example.com", "INBOX").unwrap().unwrap();

        let expunge =
            |uids: Vec<u32>| JournalOp::Expunge { account: "bob@example.com".into(), mailbox: "INBOX".into(), uids };
        assert_eq!(h.submit_blocking(expunge(vec![1, 2, 9, 2])).unwrap(), Committed::Expunged(vec![1, 2]));
        let after = store.mailbox_meta("bob@example.com", "INBOX").unwrap().unwrap();
        assert_eq!((after.messages, after.unseen, after.size), (0, 0, 0));
        assert!(after.highest_modseq > before.highest_modseq);
        assert_eq!(after.uid_next, before.uid_next, "UIDs are never reused");
        let vanished = store.vanished_since("bob@example.com", after.id, before.highest_modseq).unwrap();
        assert_eq!(vanished.uids, vec![1, 2], "the tombstone names what went (QRESYNC)");
        assert!(store.vanished_since("bob@example.com", after.id, after.highest_modseq).unwrap().uids.is_empty());
        assert!(store.blob(MessageId(2)).unwrap().is_some(), "bob's own body is kept a while");
        store.sweep_expunged(u64::MAX, usize::MAX).unwrap();
        assert!(store.blob(MessageId(2)).unwrap().is_none(), "then it is gone");
        assert!(store.blob(MessageId(1)).unwrap().is_some(), "eve still holds the shared body");
        assert_eq!(store.blob_refs(MessageId(1)).unwrap(), 1);
        assert_eq!(h.submit_blocking(expunge(vec![1])).unwrap(), Committed::Expunged(vec![]), "idempotent");

        let eve = JournalOp::Expunge { account: "eve@example.com".into(), mailbox: "INBOX".into(), uids: vec![1] };
        assert_eq!(h.submit_blocking(eve).unwrap(), Committed::Expunged(vec![1]));
        store.sweep_expunged(u64::MAX, usize::MAX).unwrap();
        assert!(store.blob(MessageId(1)).unwrap().is_none(), "the last holder freed it");
        journal.stop();
    }

    #[test]
    fn an_expunged_body_stays_readable_until_swept() {
        let (_dir, store) = temp_store();
        let journal = Journal::start(store.clone());
        let h = journal.handle();
        create(&h, "bob@example.com");
        h.submit_blocking(delivery(1, &["bob@example.com"], &[], b"kept a while")).unwrap();
        let inbox = store.mailbox_meta("bob@example.com", "INBOX").unwrap().unwrap().id;
        let expunge = JournalOp::Expunge { account: "bob@example.com".into(), mailbox: "INBOX".into(), uids: vec![1] };
        h.submit_blocking(expunge).unwrap();
        assert!(store.mail_entries_of("bob@example.com", inbox).unwrap().is_empty(), "the message is gone");
        assert!(store.blob(MessageId(1)).unwrap().is_some(), "its body is not, yet");
        assert_eq!(store.sweep_expunged(crate::unix_now() - 60, 100).unwrap(), 0, "expunged just now");
        assert_eq!(store.sweep_expunged(crate::unix_now() + 1, 100).unwrap(), 1);
        assert_eq!(store.blob(MessageId(1)).unwrap(), None);
        assert_eq!(store.sweep_expunged(u64::MAX, 100).unwrap(), 0);
    }
}
