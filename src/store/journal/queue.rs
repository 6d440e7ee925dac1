//! The outbound queue's changes: a recipient deferred to a later time, or finished (delivered,
//! bounced, expired) with its bounce report and suppressions in the same write.

use rocksdb::WriteBatch;

use super::staged::Staged;
use super::{Committed, Committer, Delivery};
use crate::records::{QueueEntry, encode};
use crate::{MessageId, StoreError, cf, keys};

impl Committer {
    pub(super) fn queue_defer(
        &mut self,
        batch: &mut WriteBatch,
        staged: &mut Staged,
        key: &[u8],
        due: u64,
        entry: &QueueEntry,
    ) -> Result<Committed, StoreError> {
        if staged.gone_queue.contains(key) || self.store.db().get_pinned_cf(self.store.cf(cf::QUEUE), key)?.is_none() {
            return Ok(Committed::Done);
        }
        let id = keys::queue_message_id(key).ok_or_else(|| StoreError::Corrupt("short queue key".into()))?;
        batch.delete_cf(self.store.cf(cf::QUEUE), key);
        staged.gone_queue.insert(key.to_vec());
        batch.put_cf(self.store.cf(cf::QUEUE), keys::queue(due, id, &entry.recipient), encode(entry));
        Ok(Committed::Done)
    }

    /// Finishes the entries of `queue_keys` still queued (releasing the body, storing the
    /// `bounce` report, suppressing `suppress`); None when none of them is.
    pub(super) fn queue_finish(
        &mut self,
        batch: &mut WriteBatch,
        staged: &mut Staged,
        queue_keys: &[Vec<u8>],
        id: MessageId,
        bounce: Option<&Delivery>,
        suppress: &[(String, String)],
    ) -> Result<Option<Committed>, StoreError> {
        let mut present = Vec::with_capacity(queue_keys.len());
        for key in queue_keys {
            if !staged.gone_queue.contains(key)
                && !present.contains(&key)
                && self.store.db().get_pinned_cf(self.store.cf(cf::QUEUE), key)?.is_some()
            {
                present.push(key);
            }
        }
        if present.is_empty() {
            return Ok(None);
        }
        let holding = self.held(id)?;
        let result = match bounce {
            Some(report) => match self.deliver(batch, staged, report) {
                Ok(delivered) => delivered,
                Err(e) => {
                    // The sender's mailbox is gone: the report has nowhere to go.
                    tracing::warn!(id = %id, "dropping a bounce report: {e}");
                    Committed::Done
                }
            },
            None => Committed::Done,
        };
        for key in present {
            batch.delete_cf(self.store.cf(cf::QUEUE), key);
            staged.gone_queue.insert(key.clone());
            self.release_blob(batch, staged, id, holding);
        }
        for (address, reason) in suppress {
            self.suppress(batch, staged, address, reason);
        }
        Ok(Some(result))
    }
}

#[cfg(test)]
mod tests {
    use super::super::testing::{create, delivery, queued, temp_store};
    use super::super::{Journal, JournalOp};
    use super::*;
    use crate::unix_now;

    #[test]
    fn queue_defer_moves_and_finish_releases_and_bounces_atomically() {
        let (_dir, store) = temp_store();
        let journal = Journal::start(store.clone());
        let h = journal.handle();
        create(&h, "alice@example.com");
        h.submit_blocking(delivery(1, &[], &["x@far.example", "y@far.example"], b"out")).unwrap();
        let due = store.due_recipients(u64::MAX, 10, |_| true).unwrap();
        assert_eq!(due.len(), 2);

        let mut entry = due[0].entry.clone();
        entry.attempts = 1;
        entry.last_error = Some("451 later".into());
        let defer = JournalOp::QueueDefer { key: due[0].key.clone(), due: 4_000_000_000, entry };
        h.submit_blocking(defer).unwrap();
        let now = unix_now();
        let still_due = store.due_recipients(now, 10, |_| true).unwrap();
        assert_eq!(still_due.len(), 1, "the deferred one is no longer due");
        let all = queued(&store);
        assert_eq!((all[1].due, all[1].entry.attempts), (4_000_000_000, 1));

        let JournalOp::Deliver(report) = delivery(2, &["alice@example.com"], &[], b"bounce") else { unreachable!() };
        let keys = vec![still_due[0].key.clone(), still_due[0].key.clone()];
        let suppress = vec![("Y@far.example".to_string(), "550 5.1.1 no such user".to_string())];
        let finish = JournalOp::QueueFinish { keys, id: MessageId(1), bounce: Some(report), suppress, tally: None };
        assert!(matches!(h.submit_blocking(finish).unwrap(), Committed::Delivered(_)));
        assert_eq!(queued(&store).len(), 1);
        assert_eq!(store.blob_refs(MessageId(1)).unwrap(), 1, "one reference released, not two");
        assert_eq!(store.mail_entries("alice@example.com", "INBOX").unwrap().len(), 1, "the bounce arrived");
        assert_eq!(store.suppression("y@far.example").unwrap().unwrap().reason, "550 5.1.1 no such user");

        let last = queued(&store);
        let key = keys::queue(last[0].due, MessageId(1), &last[0].entry.recipient);
        h.submit_blocking(JournalOp::QueueFinish {
            keys: vec![key],
            id: MessageId(1),
            bounce: None,
            suppress: vec![],
            tally: None,
        })
        .unwrap();
        assert!(store.blob(MessageId(1)).unwrap().is_none(), "the last queue entry freed the body");
        journal.stop();
    }
}
