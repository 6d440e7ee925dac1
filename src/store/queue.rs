//! Reading the outbound queue.

use rocksdb::{Direction, IteratorMode};

use super::records::{QueueEntry, decode};
use super::{MessageId, Store, StoreError, cf, keys};

/// A queued recipient that is due, with the key that identifies it.
#[derive(Debug, Clone)]
pub struct DueRecipient {
    /// Its `queue` key.
    pub key: Vec<u8>,
    /// Unix seconds of its next attempt.
    pub due: u64,
    /// The message.
    pub id: MessageId,
    /// Sender, recipient, attempts and last error.
    pub entry: QueueEntry,
}

#[cfg(any(test, feature = "testing"))]
impl DueRecipient {
    /// A first attempt for `recipient` of message `id` from the null sender, due at `due`,
    /// keyed by the three.
    pub fn for_test(id: u128, due: u64, recipient: &str) -> DueRecipient {
        let entry = QueueEntry {
            sender: String::new(),
            recipient: recipient.into(),
            body_offset: 0,
            attempts: 0,
            created: 0,
            last_error: None,
            notify: Default::default(),
            orcpt: None,
            options: Default::default(),
            suppressed: None,
            delay_reported: false,
        };
        DueRecipient { key: format!("{due}/{id}/{recipient}").into_bytes(), due, id: MessageId(id), entry }
    }
}

impl Store {
    /// Queued recipients due at or before `now` (Unix seconds) that `wanted` accepts, oldest
    /// first, at most `limit` (only accepted ones count toward it).
    pub fn due_recipients(
        &self,
        now: u64,
        limit: usize,
        wanted: impl Fn(&DueRecipient) -> bool,
    ) -> Result<Vec<DueRecipient>, StoreError> {
        self.due_recipients_from(0, now, limit, wanted)
    }

    /// Like [`Store::due_recipients`], but starting at due time `from`: entries due earlier
    /// (and the deletion markers that recipients moved to a later time leave behind) are not
    /// read at all.
    pub fn due_recipients_from(
        &self,
        from: u64,
        now: u64,
        limit: usize,
        wanted: impl Fn(&DueRecipient) -> bool,
    ) -> Result<Vec<DueRecipient>, StoreError> {
        let mut out = Vec::new();
        self.scan_queue(from, |r| {
            if r.due > now || out.len() >= limit {
                return false;
            }
            if wanted(&r) {
                out.push(r);
            }
            true
        })?;
        Ok(out)
    }

    /// Calls `visit` for every queued recipient in due order, streaming from RocksDB.
    pub fn for_each_queued(&self, mut visit: impl FnMut(DueRecipient)) -> Result<(), StoreError> {
        self.scan_queue(0, |r| {
            visit(r);
            true
        })
    }

    /// Calls `visit` for queued recipients in due order while it returns true, so that a
    /// caller can bound its look at a large queue.
    pub fn visit_queued(&self, visit: impl FnMut(DueRecipient) -> bool) -> Result<(), StoreError> {
        self.scan_queue(0, visit)
    }

    /// Visits queued recipients due at `from` or later, in due order, while `visit` returns true.
    fn scan_queue(&self, from: u64, mut visit: impl FnMut(DueRecipient) -> bool) -> Result<(), StoreError> {
        let start = keys::queue_from(from);
        for item in self.db().iterator_cf(self.cf(cf::QUEUE), IteratorMode::From(&start, Direction::Forward)) {
            let (k, v) = item?;
            let (due, id) = (keys::queue_due(&k), keys::queue_message_id(&k));
            let (Some(due), Some(id)) = (due, id) else { return Err(StoreError::Corrupt("short queue key".into())) };
            if !visit(DueRecipient { key: k.to_vec(), due, id, entry: decode(&v)? }) {
                break;
            }
        }
        Ok(())
    }
}
