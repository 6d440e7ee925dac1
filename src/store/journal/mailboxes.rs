//! IMAP's changes through the journal: mailboxes created, deleted, renamed and subscribed;
//! messages appended, flagged, copied and moved. Each keeps the mailbox counters (UIDNEXT,
//! HIGHESTMODSEQ, message, unseen and size totals) exact and tells the mailbox's watchers.

use bytes::Bytes;
use rocksdb::WriteBatch;

use super::{Change, Committed, Committer, Staged};
use crate::store::records::{Account, MailEntry, MailboxMeta, decode, encode, flags};
use crate::store::{MessageId, StoreError, cf, keys, unix_now};

/// The hierarchy delimiter of mailbox names.
pub const DELIMITER: char = '/';

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
    /// Store a message given by the client (APPEND).
    Append {
        /// Lower-case account address.
        account: String,
        /// Mailbox name.
        mailbox: String,
        /// Id of the new blob.
        id: MessageId,
        /// The message.
        message: Bytes,
        /// System flag bits.
        flags: u32,
        /// Keywords to set.
        keywords: Vec<String>,
        /// INTERNALDATE, unix seconds.
        internal_date: u64,
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

/// A new mailbox name without trailing delimiters; no empty level, no NUL.
fn valid_name(name: &str) -> Result<&str, StoreError> {
    let name = name.trim_end_matches(DELIMITER);
    if name.is_empty() || name.split(DELIMITER).any(str::is_empty) || name.contains('\0') {
        return Err(StoreError::Refused(format!("invalid mailbox name {name:?}")));
    }
    Ok(name)
}

fn no_mailbox(name: &str) -> StoreError {
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
            MailboxOp::Delete { account, name } => self.delete(batch, staged, account, name),
            MailboxOp::Rename { account, from, to } => self.rename(batch, staged, account, from, to),
            MailboxOp::Subscribe { account, name, subscribed } => {
                let key = keys::mailbox(account, name);
                match subscribed {
                    true => batch.put_cf(self.store.cf(cf::SUBSCRIPTION), key, []),
                    false => batch.delete_cf(self.store.cf(cf::SUBSCRIPTION), key),
                }
                Ok(Committed::Done)
            }
            MailboxOp::Append { account, mailbox, id, message, flags, keywords, internal_date } => {
                self.append(batch, staged, account, mailbox, *id, message, (*flags, keywords), *internal_date)
            }
            MailboxOp::Store { account, mailbox, uids, action, flags, keywords, unchanged_since } => {
                self.store_flags(batch, staged, account, mailbox, uids, *action, (*flags, keywords), *unchanged_since)
            }
            MailboxOp::Copy { account, from, to, uids, remove } => {
                self.copy(batch, staged, account, from, to, uids, *remove)
            }
        }
    }

    /// The account record as this group leaves it.
    fn staged_account(&self, staged: &Staged, account: &str) -> Result<Account, StoreError> {
        match staged.accounts.get(account) {
            Some(record) => Ok(record.clone()),
            None => self.store.account(account)?.ok_or_else(|| StoreError::NotFound(format!("account {account}"))),
        }
    }

    /// Hands out the next mailbox id of `record` and stages the record's new counter.
    fn take_mailbox_id(&self, batch: &mut WriteBatch, staged: &mut Staged, account: &str, mut record: Account) -> u32 {
        let id = record.next_mailbox_id;
        record.next_mailbox_id += 1;
        self.store.put_account(batch, account, &record);
        staged.accounts.insert(account.to_string(), record);
        id
    }

    fn put_meta(&self, batch: &mut WriteBatch, staged: &mut Staged, key: Vec<u8>, meta: MailboxMeta) {
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
            let id = self.take_mailbox_id(batch, staged, account, record);
            record = staged.accounts[account].clone();
            self.put_meta(batch, staged, key, MailboxMeta::new(id, now));
        }
        record
    }

    fn delete(
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
        for (mail_key, entry, committed_refs) in held {
            batch.delete_cf(self.store.cf(cf::MAIL), &mail_key);
            staged.deleted_mail.insert(mail_key);
            self.release_blob(batch, staged, MessageId(entry.message_id), committed_refs);
        }
        batch.delete_cf(self.store.cf(cf::MAILBOX), &key);
        staged.mailboxes.insert(key, None);
        staged.notify(account, meta.id, || Change::Gone);
        Ok(Committed::Done)
    }

    /// Every message of a mailbox with its key and its body's committed reference count.
    fn held_messages(
        &self,
        staged: &Staged,
        account: &str,
        mailbox_id: u32,
    ) -> Result<Vec<(Vec<u8>, MailEntry, i64)>, StoreError> {
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
            let refs = self.store.blob_refs(MessageId(entry.message_id))?;
            held.push((k.to_vec(), entry, refs));
        }
        Ok(held)
    }

    /// Names of an account's mailboxes as this group leaves them.
    fn mailbox_names(&self, staged: &Staged, account: &str) -> Result<Vec<String>, StoreError> {
        let prefix = keys::account_prefix(account);
        let mut names = self.store.mailboxes(account)?;
        for (key, meta) in &staged.mailboxes {
            let Some(name) = key.strip_prefix(prefix.as_slice()) else { continue };
            let name = String::from_utf8_lossy(name).into_owned();
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
        let record = self.create_empty(batch, staged, account, parents, record);
        let id = self.take_mailbox_id(batch, staged, account, record);
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
        staged.notify(account, inbox.id, || Change::Expunged { uids, modseq });
        self.put_meta(batch, staged, keys::mailbox(account, "INBOX"), inbox);
        self.put_meta(batch, staged, keys::mailbox(account, to), target);
        Ok(Committed::Done)
    }

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

    #[allow(clippy::too_many_arguments)]
    fn append(
        &mut self,
        batch: &mut WriteBatch,
        staged: &mut Staged,
        account: &str,
        mailbox: &str,
        id: MessageId,
        message: &Bytes,
        (system, keywords): (u32, &[String]),
        internal_date: u64,
    ) -> Result<Committed, StoreError> {
        let key = keys::mailbox(account, mailbox);
        let mut meta = self.meta(staged, &key)?.ok_or_else(|| no_mailbox(mailbox))?;
        let (keyword_bits, grew) = Self::keyword_bits(&mut meta, keywords, true)?;
        let uid = meta.uid_next;
        meta.uid_next += 1;
        meta.highest_modseq += 1;
        meta.messages += 1;
        meta.size += message.len() as u64;
        let entry = MailEntry {
            message_id: id.0,
            flags: (system & flags::SYSTEM) | keyword_bits,
            internal_date,
            size: message.len() as u64,
            modseq: meta.highest_modseq,
        };
        meta.unseen += u32::from(entry.flags & flags::SEEN == 0);
        batch.put_cf(self.store.cf(cf::BLOB), keys::message(id), message);
        batch.merge_cf(self.store.cf(cf::REFS), keys::message(id), 1i64.to_le_bytes());
        *staged.refs.entry(id.0).or_default() += 1;
        batch.put_cf(self.store.cf(cf::MAIL), keys::mail(account, meta.id, uid), encode(&entry));
        if grew {
            let table = meta.keywords.clone();
            staged.notify(account, meta.id, || Change::Keywords(table));
        }
        staged.notify(account, meta.id, || Change::Added { uid, entry });
        let uid_validity = meta.uid_validity;
        self.put_meta(batch, staged, key, meta);
        Ok(Committed::Appended { uid_validity, uid })
    }

    #[allow(clippy::too_many_arguments)]
    fn store_flags(
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

    /// A mail entry as this group leaves it.
    pub(super) fn staged_entry(&self, staged: &Staged, mail_key: &[u8]) -> Result<Option<MailEntry>, StoreError> {
        match staged.entries.get(mail_key) {
            Some(entry) => Ok(Some(*entry)),
            None => self.store.get(cf::MAIL, mail_key),
        }
    }

    #[allow(clippy::too_many_arguments)]
    fn copy(
        &mut self,
        batch: &mut WriteBatch,
        staged: &mut Staged,
        account: &str,
        from: &str,
        to: &str,
        uids: &[u32],
        remove: bool,
    ) -> Result<Committed, StoreError> {
        if remove && from == to {
            return Err(StoreError::Refused("cannot move messages into their own mailbox".into()));
        }
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
            let copy = MailEntry { flags: new_flags, modseq, ..entry };
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
                source.messages = source.messages.saturating_sub(1);
                source.size = source.size.saturating_sub(entry.size);
                source.unseen = source.unseen.saturating_sub(u32::from(entry.flags & flags::SEEN == 0));
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
            // COPY into the selected mailbox itself: one set of counters.
            self.put_meta(batch, staged, to_key, target);
        } else {
            if remove {
                source.highest_modseq += 1;
                let modseq = source.highest_modseq;
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
    use bytes::Bytes;

    use super::super::{Journal, JournalHandle, JournalOp};
    use super::*;
    use crate::store::Store;
    use crate::store::changes::Change;

    fn setup() -> (tempfile::TempDir, Store, Journal) {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(dir.path()).unwrap();
        let journal = Journal::start(store.clone());
        let op = JournalOp::CreateAccount { address: "bob@x".into(), password_hash: "x".into(), send_as_anyone: false };
        journal.handle().submit_blocking(op).unwrap();
        (dir, store, journal)
    }

    fn run(h: &JournalHandle, op: MailboxOp) -> Result<Committed, StoreError> {
        h.submit_blocking(JournalOp::Mailbox(op))
    }

    fn append(h: &JournalHandle, mailbox: &str, id: u128, flags: u32, keywords: &[&str]) -> u32 {
        let op = MailboxOp::Append {
            account: "bob@x".into(),
            mailbox: mailbox.into(),
            id: MessageId(id),
            message: Bytes::from_static(b"Subject: x\r\n\r\nbody\r\n"),
            flags,
            keywords: keywords.iter().map(|k| k.to_string()).collect(),
            internal_date: 1000,
        };
        match run(h, op).unwrap() {
            Committed::Appended { uid, .. } => uid,
            other => panic!("{other:?}"),
        }
    }

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
