//! Bodies of expunged messages, kept for a while after their last reference went: an IMAP
//! session that has not been sent the EXPUNGE yet can still read the message it sees (RFC 2180
//! 4.1.1). The `expunged` column family lists them by when and id; the server sweeps those
//! older than `[imap] keep_expunged_secs`, and all of them at start.

use rocksdb::{IteratorMode, WriteBatch};

use super::{MessageId, Store, StoreError, cf, keys};

impl Store {
    /// Deletes the kept bodies (and parts) of messages expunged before `before` (Unix
    /// seconds), at most `limit` of them; how many were deleted.
    pub fn sweep_expunged(&self, before: u64, limit: usize) -> Result<usize, StoreError> {
        let mut batch = WriteBatch::default();
        let mut swept = 0;
        for item in self.db().iterator_cf(self.cf(cf::EXPUNGED), IteratorMode::Start) {
            let (key, _) = item?;
            let (Some(at), Some(id)) = (key.get(..8), key.get(8..24)) else {
                return Err(StoreError::Corrupt(format!("expunged key of {} bytes", key.len())));
            };
            if u64::from_be_bytes(at.try_into().expect("8 bytes")) >= before || swept == limit {
                break;
            }
            let id = MessageId(u128::from_be_bytes(id.try_into().expect("16 bytes")));
            batch.delete_cf(self.cf(cf::BLOB), keys::message(id));
            if let Some(parts) = self.parts_of(id)? {
                self.delete_parts(&mut batch, id, parts);
            }
            batch.delete_cf(self.cf(cf::EXPUNGED), &key);
            swept += 1;
        }
        if swept > 0 {
            self.db().write(batch)?;
        }
        Ok(swept)
    }
}
