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

impl Store {
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
