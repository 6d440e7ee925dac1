//! What the group being built has written so far, which later ops of the same group must see
//! (they read RocksDB, which does not have it yet), and the helpers that read through it.

use std::collections::{HashMap, HashSet};

use rocksdb::WriteBatch;

use super::Committer;
use crate::changes::Change;
use crate::queue::DueRecipient;
use crate::records::{MailEntry, MailboxMeta, Record, decode};
use crate::{StoreError, cf};

/// Changes made by the group being built; a `None` mailbox is a deleted one.
#[derive(Default)]
pub(super) struct Staged {
    /// New mailbox counters by `mailbox` key.
    pub mailboxes: HashMap<Vec<u8>, Option<MailboxMeta>>,
    /// Reference count changes by message id.
    pub refs: HashMap<u128, i64>,
    /// `mail` keys deleted by this group.
    pub deleted_mail: HashSet<Vec<u8>>,
    /// `queue` keys deleted or moved by this group.
    pub gone_queue: HashSet<Vec<u8>>,
    /// `mail` entries rewritten by this group.
    pub entries: HashMap<Vec<u8>, MailEntry>,
    /// Other values written (`None`: deleted) by column family and key, through
    /// [`Committer::put`] and [`Committer::delete`]: accounts, domains, aliases, DKIM keys,
    /// list entries.
    written: HashMap<&'static str, HashMap<Vec<u8>, Option<Vec<u8>>>>,
    /// Changes to announce to watchers once the group is on disk: account, mailbox id, change.
    pub notices: Vec<(String, u32, Change)>,
    /// Recipients queued by this group, for the schedulers once it is on disk.
    pub queued: Vec<DueRecipient>,
}

impl Staged {
    /// Queues a notice for the watchers of a mailbox. Always: whether anyone watches is
    /// decided when it is published, after the write, or a session that starts watching
    /// during the write would miss it.
    pub fn notify(&mut self, account: &str, mailbox_id: u32, change: impl FnOnce() -> Change) {
        self.notices.push((account.to_string(), mailbox_id, change()));
    }

    /// Keys of `cf_name` this group wrote, with the value it left there (`None`: deleted).
    pub fn written(&self, cf_name: &str) -> impl Iterator<Item = (&Vec<u8>, &Option<Vec<u8>>)> {
        self.written.get(cf_name).into_iter().flatten()
    }
}

impl Committer {
    /// The value at `key` of `cf_name` as this group leaves it: written by an earlier op of
    /// the group, else committed.
    pub(super) fn staged_value(
        &self,
        staged: &Staged,
        cf_name: &'static str,
        key: &[u8],
    ) -> Result<Option<Vec<u8>>, StoreError> {
        match staged.written.get(cf_name).and_then(|values| values.get(key)) {
            Some(value) => Ok(value.clone()),
            None => Ok(self.store.db().get_cf(self.store.cf(cf_name), key)?),
        }
    }

    /// [`Committer::staged_value`], decoded.
    pub(super) fn staged_record<T: Record>(
        &self,
        staged: &Staged,
        cf_name: &'static str,
        key: &[u8],
    ) -> Result<Option<T>, StoreError> {
        self.staged_value(staged, cf_name, key)?.map(|bytes| decode(&bytes)).transpose()
    }

    /// Writes `value` at `key` of `cf_name`, where later ops of the group see it.
    pub(super) fn put(
        &self,
        batch: &mut WriteBatch,
        staged: &mut Staged,
        cf_name: &'static str,
        key: Vec<u8>,
        value: Vec<u8>,
    ) {
        batch.put_cf(self.store.cf(cf_name), &key, &value);
        staged.written.entry(cf_name).or_default().insert(key, Some(value));
    }

    /// Deletes `key` of `cf_name`, where later ops of the group see it.
    pub(super) fn delete(&self, batch: &mut WriteBatch, staged: &mut Staged, cf_name: &'static str, key: Vec<u8>) {
        batch.delete_cf(self.store.cf(cf_name), &key);
        staged.written.entry(cf_name).or_default().insert(key, None);
    }

    /// Current counters of a mailbox: staged in this group, else cached, else from RocksDB.
    pub(super) fn meta(&mut self, staged: &Staged, key: &[u8]) -> Result<Option<MailboxMeta>, StoreError> {
        if let Some(meta) = staged.mailboxes.get(key) {
            return Ok(meta.clone());
        }
        if let Some(meta) = self.mailboxes.get(key) {
            return Ok(Some(meta.clone()));
        }
        let meta: Option<MailboxMeta> = self.store.get(cf::MAILBOX, key)?;
        if let Some(meta) = &meta {
            self.mailboxes.insert(key.to_vec(), meta.clone());
        }
        Ok(meta)
    }

    /// A mail entry as this group leaves it (not looking at deletions: see
    /// [`Staged::deleted_mail`]).
    pub(super) fn staged_entry(&self, staged: &Staged, mail_key: &[u8]) -> Result<Option<MailEntry>, StoreError> {
        match staged.entries.get(mail_key) {
            Some(entry) => Ok(Some(*entry)),
            None => self.store.get(cf::MAIL, mail_key),
        }
    }
}
