//! Reading mailboxes and stored messages.

use rocksdb::{ReadOptions, ReadTier};

use super::records::{MailEntry, MailboxMeta, decode};
use super::{MessageId, Store, StoreError, cf, keys};

impl Store {
    /// Counters of one mailbox.
    pub fn mailbox_meta(&self, account: &str, mailbox: &str) -> Result<Option<MailboxMeta>, StoreError> {
        self.get(cf::MAILBOX, &keys::mailbox(account, mailbox))
    }

    /// Names of an account's mailboxes, sorted.
    pub fn mailboxes(&self, account: &str) -> Result<Vec<String>, StoreError> {
        let prefix = keys::account_prefix(account);
        let mut out = Vec::new();
        for item in self.db().prefix_iterator_cf(self.cf(cf::MAILBOX), &prefix) {
            let (k, _) = item?;
            let Some(name) = keys::mailbox_name(&prefix, &k) else { break };
            out.push(name);
        }
        Ok(out)
    }

    /// Every message of a mailbox in UID order.
    pub fn mail_entries(&self, account: &str, mailbox: &str) -> Result<Vec<(u32, MailEntry)>, StoreError> {
        let meta = self
            .mailbox_meta(account, mailbox)?
            .ok_or_else(|| StoreError::NotFound(format!("mailbox {mailbox} of {account}")))?;
        self.mail_entries_of(account, meta.id)
    }

    /// Every message of the mailbox with id `mailbox_id` in UID order.
    pub fn mail_entries_of(&self, account: &str, mailbox_id: u32) -> Result<Vec<(u32, MailEntry)>, StoreError> {
        let prefix = keys::mail_prefix(account, mailbox_id);
        let mut out = Vec::new();
        for item in self.db().prefix_iterator_cf(self.cf(cf::MAIL), &prefix) {
            let (k, v) = item?;
            if !k.starts_with(&prefix) {
                break;
            }
            let uid = keys::uid_of_mail_key(&k).ok_or_else(|| StoreError::Corrupt("short mail key".into()))?;
            out.push((uid, decode(&v)?));
        }
        Ok(out)
    }

    /// The mailbox names an account subscribed to, sorted.
    pub fn subscriptions(&self, account: &str) -> Result<Vec<String>, StoreError> {
        let prefix = keys::account_prefix(account);
        let mut out = Vec::new();
        for item in self.db().prefix_iterator_cf(self.cf(cf::SUBSCRIPTION), &prefix) {
            let (k, _) = item?;
            let Some(name) = keys::mailbox_name(&prefix, &k) else { break };
            out.push(name);
        }
        Ok(out)
    }

    /// One message entry by UID.
    pub fn mail_entry(&self, account: &str, mailbox: &str, uid: u32) -> Result<Option<MailEntry>, StoreError> {
        let Some(meta) = self.mailbox_meta(account, mailbox)? else { return Ok(None) };
        self.get(cf::MAIL, &keys::mail(account, meta.id, uid))
    }

    /// The raw bytes of a stored message (joined, for one stored in parts).
    pub fn blob(&self, id: MessageId) -> Result<Option<Vec<u8>>, StoreError> {
        match self.db().get_cf(self.cf(cf::BLOB), keys::message(id))? {
            Some(blob) => Ok(Some(blob)),
            None => self.joined_message(id),
        }
    }

    /// The raw bytes of a stored message if RocksDB holds them in memory (the memtable or the
    /// block cache), as it does for mail that just arrived; None when that would take the disk,
    /// when the message is stored in parts, or when there is no such message: then
    /// [`Store::blob`] on a thread that may block.
    pub fn blob_in_memory(&self, id: MessageId) -> Option<Vec<u8>> {
        let mut options = ReadOptions::default();
        options.set_read_tier(ReadTier::BlockCache);
        self.db().get_cf_opt(self.cf(cf::BLOB), keys::message(id), &options).ok().flatten()
    }

    /// A blob's reference count (mail entries plus queue entries that point at it).
    pub fn blob_refs(&self, id: MessageId) -> Result<i64, StoreError> {
        let value = self.db().get_cf(self.cf(cf::REFS), keys::message(id))?;
        Ok(value.and_then(|v| v.try_into().ok()).map_or(0, i64::from_le_bytes))
    }
}
