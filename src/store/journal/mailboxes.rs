//! IMAP's changes through the journal: the [`MailboxOp`]s, and those on whole mailboxes
//! (created, deleted, renamed, subscribed; `messages.rs` has those on messages). Each keeps
//! the mailbox counters (UIDNEXT, HIGHESTMODSEQ, message, unseen and size totals) exact and
//! tells the mailbox's watchers.

use bytes::Bytes;
use rocksdb::WriteBatch;

use super::committer::Held;
use super::messages::FlagAction;
use super::staged::Staged;
use super::{Committed, Committer};
use crate::changes::Change;
use crate::records::{Account, MailEntry, MailboxMeta, decode, encode, flags};
use crate::{MessageId, StoreError, cf, keys, unix_now};

/// The hierarchy delimiter of mailbox names.
pub const DELIMITER: char = '/';

/// An IMAP change, submitted as [`super::JournalOp::Mailbox`].
#[derive(Debug)]
pub enum MailboxOp {
    /// Create a mailbox and any missing parents.
    Create {
        /// Lower-case account address.
        account: String,
        /// Mailbox name.
        name: String,
    },
    /// Delete a mailbox with its messages (not INBOX; its children stay).
    Delete {
        /// Lower-case account address.
        account: String,
        /// Mailbox name.
        name: String,
    },
    /// Rename a mailbox and its children; renaming INBOX moves its messages to a new mailbox.
    Rename {
        /// Lower-case account address.
        account: String,
        /// Current name.
        from: String,
        /// New name.
        to: String,
    },
    /// Subscribe to a name, or unsubscribe.
    Subscribe {
        /// Lower-case account address.
        account: String,
        /// Mailbox name (need not exist).
        name: String,
        /// True to subscribe, false to unsubscribe.
        subscribed: bool,
    },
    /// Store messages given by the client (APPEND, MULTIAPPEND): all of them, or none.
    Append {
        /// Lower-case account address.
        account: String,
        /// Mailbox name.
        mailbox: String,
        /// The messages, in order (at least one).
        messages: Vec<NewMessage>,
    },
    /// Change the flags of messages (STORE).
    Store {
        /// Lower-case account address.
        account: String,
        /// Mailbox name.
        mailbox: String,
        /// The messages; those gone are skipped.
        uids: Vec<u32>,
        /// How to combine.
        action: FlagAction,
        /// System flag bits.
        flags: u32,
        /// Keywords.
        keywords: Vec<String>,
        /// CONDSTORE `UNCHANGEDSINCE`: leave messages changed after this modseq alone.
        unchanged_since: Option<u64>,
    },
    /// Copy messages to another mailbox, removing the originals when `remove` (MOVE).
    Copy {
        /// Lower-case account address.
        account: String,
        /// Source mailbox.
        from: String,
        /// Target mailbox.
        to: String,
        /// The messages; those gone are skipped.
        uids: Vec<u32>,
        /// MOVE rather than COPY.
        remove: bool,
    },
}

/// A message given by the client, for [`MailboxOp::Append`].
#[derive(Debug, Clone)]
pub struct NewMessage {
    /// Id of the new blob.
    pub id: MessageId,
    /// The message.
    pub message: Bytes,
    /// System flag bits.
    pub flags: u32,
    /// Keywords to set.
    pub keywords: Vec<String>,
    /// INTERNALDATE, unix seconds.
    pub internal_date: u64,
}

/// A new mailbox name without trailing delimiters; no empty level, no NUL.
fn valid_name(name: &str) -> Result<&str, StoreError> {
    let name = name.trim_end_matches(DELIMITER);
    if name.is_empty() || name.split(DELIMITER).any(str::is_empty) || name.contains('\0') {
        return Err(StoreError::Refused(format!("invalid mailbox name {name:?}")));
    }
    Ok(name)
}

/// The error for a mailbox that does not exist.
pub(super) fn no_mailbox(name: &str) -> StoreError {
    StoreError::NotFound(format!("mailbox {name}"))
}

impl Committer {
    /// Adds one IMAP change to the batch; on error it adds nothing.
    pub(super) fn mailbox_op(
        &mut self,
        batch: &mut WriteBatch,
        staged: &mut Staged,
        op: &MailboxOp,
    ) -> Result<Committed, StoreError> {
        match op {
            MailboxOp::Create { account, name } => self.create(batch, staged, account, name),
            MailboxOp::Delete { account, name } => self.delete_mailbox(batch, staged, account, name),
            MailboxOp::Rename { account, from, to } => self.rename(batch, staged, account, from, to),
            MailboxOp::Subscribe { account, name, subscribed } => {
                let key = keys::subscription(account, name);
                match subscribed {
                    true => batch.put_cf(self.store.cf(cf::SUBSCRIPTION), key, []),
                    false => batch.delete_cf(self.store.cf(cf::SUBSCRIPTION), key),
                }
                Ok(Committed::Done)
            }
            MailboxOp::Append { account, mailbox, messages } => self.append(batch, staged, account, mailbox, messages),
            MailboxOp::Store { account, mailbox, uids, action, flags, keywords, unchanged_since } => {
                self.store_flags(batch, staged, account, mailbox, uids, *action, (*flags, keywords), *unchanged_since)
            }
            MailboxOp::Copy { account, from, to, uids, remove } => {
                self.copy(batch, staged, account, from, to, uids, *remove)
            }
        }
    }

    /// Hands out the next mailbox id of `record` and stages the record's new counter.
    fn take_mailbox_id(&self, batch: &mut WriteBatch, staged: &mut Staged, account: &str, record: &mut Account) -> u32 {
        let id = record.next_mailbox_id;
        record.next_mailbox_id += 1;
        self.put_account(batch, staged, account, record);
        id
    }

    pub(super) fn put_meta(&self, batch: &mut WriteBatch, staged: &mut Staged, key: Vec<u8>, meta: MailboxMeta) {
        batch.put_cf(self.store.cf(cf::MAILBOX), &key, encode(&meta));
        staged.mailboxes.insert(key, Some(meta));
    }

    fn create(
        &mut self,
        batch: &mut WriteBatch,
        staged: &mut Staged,
        account: &str,
        name: &str,
    ) -> Result<Committed, StoreError> {
        let name = valid_name(name)?;
        if self.meta(staged, &keys::mailbox(account, name))?.is_some() {
            return Err(StoreError::Exists(format!("mailbox {name}")));
        }
        let mut created = self.missing_parents(staged, account, name)?;
        created.push(keys::mailbox(account, name));
        let record = self.staged_account(staged, account)?;
        // Every read is done: from here on nothing fails.
        self.create_empty(batch, staged, account, created, record);
        Ok(Committed::Done)
    }

    /// Keys of the levels above `name` that do not exist: CREATE and RENAME make them
    /// (RFC 3501 6.3.3, 6.3.5).
    fn missing_parents(&mut self, staged: &Staged, account: &str, name: &str) -> Result<Vec<Vec<u8>>, StoreError> {
        let mut missing = Vec::new();
        let mut path = String::new();
        let levels: Vec<&str> = name.split(DELIMITER).collect();
        for level in &levels[..levels.len().saturating_sub(1)] {
            if !path.is_empty() {
                path.push(DELIMITER);
            }
            path.push_str(level);
            let key = keys::mailbox(account, &path);
            if self.meta(staged, &key)?.is_none() {
                missing.push(key);
            }
        }
        Ok(missing)
    }

    /// Creates empty mailboxes at `keys`, their ids counted in the account `record`; returns
    /// the record as it then stands.
    fn create_empty(
        &self,
        batch: &mut WriteBatch,
        staged: &mut Staged,
        account: &str,
        keys: Vec<Vec<u8>>,
        mut record: Account,
    ) -> Account {
        let now = unix_now();
        for key in keys {
            let id = self.take_mailbox_id(batch, staged, account, &mut record);
            self.put_meta(batch, staged, key, MailboxMeta::new(id, now));
        }
        record
    }

    fn delete_mailbox(
        &mut self,
        batch: &mut WriteBatch,
        staged: &mut Staged,
        account: &str,
        name: &str,
    ) -> Result<Committed, StoreError> {
        if name == "INBOX" {
            return Err(StoreError::Refused("INBOX cannot be deleted".into()));
        }
        let key = keys::mailbox(account, name);
        let meta = self.meta(staged, &key)?.ok_or_else(|| no_mailbox(name))?;
        let held = self.held_messages(staged, account, meta.id)?;
        for (mail_key, entry, holding) in held {
            batch.delete_cf(self.store.cf(cf::MAIL), &mail_key);
            staged.deleted_mail.insert(mail_key);
            self.release_blob(batch, staged, MessageId(entry.message_id), holding);
        }
        batch.delete_cf(self.store.cf(cf::MAILBOX), &key);
        self.store.delete_vanished(batch, account, meta.id);
        staged.mailboxes.insert(key, None);
        staged.notify(account, meta.id, || Change::Gone);
        Ok(Committed::Done)
    }

    /// Every message of a mailbox with its key and what holds its body.
    fn held_messages(
        &self,
        staged: &Staged,
        account: &str,
        mailbox_id: u32,
    ) -> Result<Vec<(Vec<u8>, MailEntry, Held)>, StoreError> {
        let prefix = keys::mail_prefix(account, mailbox_id);
        let mut held = Vec::new();
        for item in self.store.db().prefix_iterator_cf(self.store.cf(cf::MAIL), &prefix) {
            let (k, v) = item?;
            if !k.starts_with(&prefix) {
                break;
            }
            if staged.deleted_mail.contains(&*k) {
                continue;
            }
            let entry: MailEntry = decode(&v)?;
            held.push((k.to_vec(), entry, self.held(MessageId(entry.message_id))?));
        }
        Ok(held)
    }

    /// Names of an account's mailboxes as this group leaves them.
    fn mailbox_names(&self, staged: &Staged, account: &str) -> Result<Vec<String>, StoreError> {
        let prefix = keys::account_prefix(account);
        let mut names = self.store.mailboxes(account)?;
        for (key, meta) in &staged.mailboxes {
            let Some(name) = keys::mailbox_name(&prefix, key) else { continue };
            names.retain(|n| *n != name);
            if meta.is_some() {
                names.push(name);
            }
        }
        Ok(names)
    }

    fn rename(
        &mut self,
        batch: &mut WriteBatch,
        staged: &mut Staged,
        account: &str,
        from: &str,
        to: &str,
    ) -> Result<Committed, StoreError> {
        let to = valid_name(to)?;
        let from_key = keys::mailbox(account, from);
        let meta = self.meta(staged, &from_key)?.ok_or_else(|| no_mailbox(from))?;
        if self.meta(staged, &keys::mailbox(account, to))?.is_some() {
            return Err(StoreError::Exists(format!("mailbox {to}")));
        }
        if to.starts_with(&format!("{from}{DELIMITER}")) {
            return Err(StoreError::Refused("a mailbox cannot move into itself".into()));
        }
        let parents = self.missing_parents(staged, account, to)?;
        let record = self.staged_account(staged, account)?;
        if from == "INBOX" {
            return self.rename_inbox(batch, staged, account, meta, to, (parents, record));
        }
        let children_prefix = format!("{from}{DELIMITER}");
        let mut moves = vec![(from.to_string(), to.to_string(), meta)];
        for name in self.mailbox_names(staged, account)? {
            if let Some(rest) = name.strip_prefix(&children_prefix) {
                let child = self.meta(staged, &keys::mailbox(account, &name))?.ok_or_else(|| no_mailbox(&name))?;
                let new = format!("{to}{DELIMITER}{rest}");
                // A child must not land on a mailbox that exists (left behind by a DELETE of
                // its parent): that mailbox's mail would be lost.
                if self.meta(staged, &keys::mailbox(account, &new))?.is_some() {
                    return Err(StoreError::Exists(format!("mailbox {new}")));
                }
                moves.push((name.clone(), new, child));
            }
        }
        self.create_empty(batch, staged, account, parents, record);
        for (old, new, meta) in moves {
            let old_key = keys::mailbox(account, &old);
            batch.delete_cf(self.store.cf(cf::MAILBOX), &old_key);
            staged.mailboxes.insert(old_key, None);
            staged.notify(account, meta.id, || Change::Gone);
            self.put_meta(batch, staged, keys::mailbox(account, &new), meta);
        }
        Ok(Committed::Done)
    }

    /// RFC 3501 6.3.5: renaming INBOX moves its messages into a new mailbox and leaves INBOX empty.
    fn rename_inbox(
        &mut self,
        batch: &mut WriteBatch,
        staged: &mut Staged,
        account: &str,
        mut inbox: MailboxMeta,
        to: &str,
        (parents, record): (Vec<Vec<u8>>, Account),
    ) -> Result<Committed, StoreError> {
        let prefix = keys::mail_prefix(account, inbox.id);
        let mut entries = Vec::new();
        for item in self.store.db().prefix_iterator_cf(self.store.cf(cf::MAIL), &prefix) {
            let (k, v) = item?;
            if !k.starts_with(&prefix) {
                break;
            }
            if !staged.deleted_mail.contains(&*k) {
                let uid = keys::uid_of_mail_key(&k).ok_or_else(|| StoreError::Corrupt("short mail key".into()))?;
                entries.push((k.to_vec(), uid, decode::<MailEntry>(&v)?));
            }
        }
        let mut record = self.create_empty(batch, staged, account, parents, record);
        let id = self.take_mailbox_id(batch, staged, account, &mut record);
        let mut target = MailboxMeta::new(id, unix_now());
        target.uid_next = inbox.uid_next;
        target.keywords = inbox.keywords.clone();
        let mut uids = Vec::with_capacity(entries.len());
        for (key, uid, entry) in entries {
            batch.delete_cf(self.store.cf(cf::MAIL), &key);
            staged.deleted_mail.insert(key);
            batch.put_cf(self.store.cf(cf::MAIL), keys::mail(account, id, uid), encode(&entry));
            target.messages += 1;
            target.size += entry.size;
            target.unseen += u32::from(entry.flags & flags::SEEN == 0);
            uids.push(uid);
        }
        inbox.messages = 0;
        inbox.unseen = 0;
        inbox.size = 0;
        inbox.highest_modseq += 1;
        let modseq = inbox.highest_modseq;
        self.store.put_vanished(batch, (account, inbox.id), modseq, &uids, unix_now());
        staged.notify(account, inbox.id, || Change::Expunged { uids, modseq });
        self.put_meta(batch, staged, keys::mailbox(account, "INBOX"), inbox);
        self.put_meta(batch, staged, keys::mailbox(account, to), target);
        Ok(Committed::Done)
    }
}

#[cfg(test)]
mod tests {
    use super::super::testing::{append, run, setup};
    use super::*;

    #[test]
    fn create_makes_parents_rename_moves_children_and_delete_frees_bodies() {
        let (_dir, store, journal) = setup();
        let h = journal.handle();
        let create = |name: &str| MailboxOp::Create { account: "bob@x".into(), name: name.into() };
        run(&h, create("Work/2026/Q4")).unwrap();
        assert!(matches!(run(&h, create("Work")), Err(StoreError::Exists(_))));
        assert!(matches!(run(&h, create("a//b")), Err(StoreError::Refused(_))));
        let names = store.mailboxes("bob@x").unwrap();
        assert!(["Work", "Work/2026", "Work/2026/Q4"].iter().all(|n| names.contains(&n.to_string())));
        let before = store.mailbox_meta("bob@x", "Work/2026").unwrap().unwrap();

        let rename = MailboxOp::Rename { account: "bob@x".into(), from: "Work".into(), to: "Jobs".into() };
        run(&h, rename).unwrap();
        let names = store.mailboxes("bob@x").unwrap();
        assert!(!names.iter().any(|n| n.starts_with("Work")));
        let deep = MailboxOp::Rename { account: "bob@x".into(), from: "Jobs/2026".into(), to: "Old/Years/2026".into() };
        run(&h, deep).unwrap();
        let names = store.mailboxes("bob@x").unwrap();
        assert!(["Old", "Old/Years", "Old/Years/2026/Q4"].iter().all(|n| names.contains(&n.to_string())), "{names:?}");
        let back = MailboxOp::Rename { account: "bob@x".into(), from: "Old/Years/2026".into(), to: "Jobs/2026".into() };
        run(&h, back).unwrap();
        let after = store.mailbox_meta("bob@x", "Jobs/2026").unwrap().unwrap();
        assert_eq!((after.id, after.uid_validity), (before.id, before.uid_validity), "a rename keeps identity");

        append(&h, "Jobs", 7, 0, &[]);
        run(&h, MailboxOp::Delete { account: "bob@x".into(), name: "Jobs".into() }).unwrap();
        assert!(store.blob(MessageId(7)).unwrap().is_none());
        assert!(store.mailbox_meta("bob@x", "Jobs/2026").unwrap().is_some(), "children stay");
        let again = run(&h, create("Jobs")).map(|_| store.mailbox_meta("bob@x", "Jobs").unwrap().unwrap());
        assert_ne!(
            again.unwrap().uid_validity,
            store.mailbox_meta("bob@x", "Jobs/2026").unwrap().unwrap().uid_validity
        );
        journal.stop();
    }

    #[test]
    fn a_rename_never_lands_a_child_on_an_existing_mailbox() {
        let (_dir, store, journal) = setup();
        let h = journal.handle();
        let create = |name: &str| MailboxOp::Create { account: "bob@x".into(), name: name.into() };
        run(&h, create("b/x")).unwrap();
        append(&h, "b/x", 9, 0, &[]);
        run(&h, MailboxOp::Delete { account: "bob@x".into(), name: "b".into() }).unwrap();
        run(&h, create("a/x")).unwrap();
        let rename = MailboxOp::Rename { account: "bob@x".into(), from: "a".into(), to: "b".into() };
        assert!(matches!(run(&h, rename), Err(StoreError::Exists(_))));
        assert_eq!(store.mail_entries("bob@x", "b/x").unwrap().len(), 1, "b/x keeps its mail");
        assert!(store.mailbox_meta("bob@x", "a").unwrap().is_some(), "nothing was renamed");
        journal.stop();
    }

    #[test]
    fn renaming_inbox_moves_its_mail_and_leaves_it_empty() {
        let (_dir, store, journal) = setup();
        let h = journal.handle();
        append(&h, "INBOX", 1, 0, &[]);
        let inbox = store.mailbox_meta("bob@x", "INBOX").unwrap().unwrap();
        let rename = MailboxOp::Rename { account: "bob@x".into(), from: "INBOX".into(), to: "Old".into() };
        run(&h, rename).unwrap();
        let after = store.mailbox_meta("bob@x", "INBOX").unwrap().unwrap();
        assert_eq!((after.messages, after.uid_next), (0, inbox.uid_next));
        assert_eq!(store.mail_entries("bob@x", "Old").unwrap().len(), 1);
        journal.stop();
    }
}
