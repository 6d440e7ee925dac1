//! Storage quotas (the STORAGE resource of RFC 9208): an account's limit in octets, in the
//! `quota` column family (none: no limit), against its usage, the sizes of the messages in
//! all its mailboxes (kept in the mailbox counters).

use super::records::{MailboxMeta, decode};
use super::{Store, StoreError, cf, keys};

impl Store {
    /// The storage limit of `address` in octets, when it has one.
    pub fn quota(&self, address: &str) -> Result<Option<u64>, StoreError> {
        let value = self.db().get_pinned_cf(self.cf(cf::QUOTA), keys::account(address))?;
        Ok(value.and_then(|v| <[u8; 8]>::try_from(&v[..]).ok()).map(u64::from_le_bytes))
    }

    /// The octets the messages of all of `address`'s mailboxes take.
    pub fn usage(&self, address: &str) -> Result<u64, StoreError> {
        let prefix = keys::account_prefix(address);
        let mut used = 0u64;
        for item in self.db().prefix_iterator_cf(self.cf(cf::MAILBOX), &prefix) {
            let (key, value) = item?;
            if !key.starts_with(&prefix) {
                break;
            }
            used = used.saturating_add(decode::<MailboxMeta>(&value)?.size);
        }
        Ok(used)
    }

    /// Whether `address` has room for `more` octets: no limit, or usage plus `more` within it;
    /// with a limit, the usage and the limit.
    pub fn room_for(&self, address: &str, more: u64) -> Result<Result<(), (u64, u64)>, StoreError> {
        let Some(limit) = self.quota(address)? else { return Ok(Ok(())) };
        let used = self.usage(address)?;
        Ok(if used.saturating_add(more) <= limit { Ok(()) } else { Err((used, limit)) })
    }
}
