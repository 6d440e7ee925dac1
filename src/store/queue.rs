//! Reading the outbound queue.

use rocksdb::IteratorMode;

use super::records::{QueueEntry, decode};
use super::{MessageId, Store, StoreError, cf};

/// One queued recipient as listed by `ringmail queue list`.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct QueuedRecipient {
    /// Unix seconds of the next attempt.
    pub due: u64,
    /// The message's id.
    pub message_id: String,
    /// Sender, recipient, attempts and last error.
    pub entry: QueueEntry,
}

/// A queued recipient that is due, with the key that identifies it.
#[derive(Debug, Clone)]
pub struct DueRecipient {
    /// Its `queue` key.
    pub key: Vec<u8>,
    /// The message.
    pub id: MessageId,
    /// Sender, recipient, attempts and last error.
    pub entry: QueueEntry,
}

impl Store {
    /// Queued recipients due at or before `now` (Unix seconds), oldest first, at most `limit`.
    pub fn due_recipients(&self, now: u64, limit: usize) -> Result<Vec<DueRecipient>, StoreError> {
        let mut out = Vec::new();
        for item in self.db().iterator_cf(self.cf(cf::QUEUE), IteratorMode::Start) {
            let (k, v) = item?;
            let due = k.get(..8).map(|b| u64::from_be_bytes(b.try_into().expect("8 bytes")));
            let id = super::keys::queue_message_id(&k);
            let (Some(due), Some(id)) = (due, id) else { return Err(StoreError::Corrupt("short queue key".into())) };
            if due > now || out.len() >= limit {
                break;
            }
            out.push(DueRecipient { key: k.to_vec(), id, entry: decode(&v)? });
        }
        Ok(out)
    }

    /// Queued recipients in due order, at most `limit` of them.
    pub fn queue_entries(&self, limit: usize) -> Result<Vec<QueuedRecipient>, StoreError> {
        let mut out = Vec::new();
        for item in self.db().iterator_cf(self.cf(cf::QUEUE), IteratorMode::Start).take(limit) {
            let (k, v) = item?;
            let (due, id) = k
                .get(..24)
                .map(|h| {
                    (u64::from_be_bytes(h[..8].try_into().unwrap()), u128::from_be_bytes(h[8..24].try_into().unwrap()))
                })
                .ok_or_else(|| StoreError::Corrupt("short queue key".into()))?;
            out.push(QueuedRecipient { due, message_id: MessageId(id).to_string(), entry: decode(&v)? });
        }
        Ok(out)
    }
}
