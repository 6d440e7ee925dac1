//! Messages stored in parts as they arrive, so that a session receiving a large message holds
//! one part of it in memory, not the whole message.
//!
//! Part `n` of message `id` is the `blob` key [`keys::message_part`]; the `parts` column family
//! keeps a [`Parts`] record under the message id. While the message arrives, the session writes
//! parts `1..` with [`Store::put_part`], without waiting for the disk: the delivery that stores
//! the message is fsynced by the journal, and RocksDB syncs its log up to that write, every
//! earlier part included, so a message answered `250` has all its parts on disk. That delivery
//! writes part 0 (the header fields we put in front) and the last part, and marks the record
//! complete, in its one batch. A message that is not stored has its parts removed: by the
//! session ([`Store::drop_parts`]) or, after a crash, when the store opens
//! ([`Store::drop_unfinished_parts`]). Readers see one message: [`Store::blob`] joins the parts.

use bytes::Bytes;
use rocksdb::{WriteBatch, WriteOptions};

use super::records::{Parts, encode};
use super::{MessageId, Store, StoreError, cf, keys};

impl Store {
    /// Writes part `n` (from 1) of the content of message `id`, which is still arriving.
    pub fn put_part(&self, id: MessageId, n: u32, content: &[u8]) -> Result<(), StoreError> {
        let mut batch = WriteBatch::default();
        batch.put_cf(self.cf(cf::BLOB), keys::message_part(id, n), content);
        batch.put_cf(self.cf(cf::PARTS), keys::message(id), encode(&Parts { last: n, complete: false }));
        self.db().write_opt(batch, &WriteOptions::default())?;
        Ok(())
    }

    /// Parts `1..=last` of message `id` joined: the content received so far.
    pub fn received_parts(&self, id: MessageId, last: u32) -> Result<Vec<u8>, StoreError> {
        self.join_parts(id, 1, last)
    }

    /// Removes parts `1..=last` of a message that is not going to be stored.
    pub fn drop_parts(&self, id: MessageId, last: u32) -> Result<(), StoreError> {
        let mut batch = WriteBatch::default();
        self.delete_parts(&mut batch, id, Parts { last, complete: false });
        self.db().write_opt(batch, &WriteOptions::default())?;
        Ok(())
    }

    /// Removes the parts of every message whose arrival never ended (the server stopped while
    /// it came in); the number of such messages. Only while nothing receives mail: at start.
    pub fn drop_unfinished_parts(&self) -> Result<usize, StoreError> {
        let mut batch = WriteBatch::default();
        let mut dropped = 0;
        for item in self.db().iterator_cf(self.cf(cf::PARTS), rocksdb::IteratorMode::Start) {
            let (key, value) = item?;
            let parts: Parts = super::records::decode(&value)?;
            let Ok(id) = <[u8; 16]>::try_from(&key[..]).map(|k| MessageId(u128::from_be_bytes(k))) else {
                return Err(StoreError::Corrupt(format!("parts key of {} bytes", key.len())));
            };
            if !parts.complete {
                self.delete_parts(&mut batch, id, parts);
                dropped += 1;
            }
        }
        if dropped > 0 {
            self.db().write(batch)?;
        }
        Ok(dropped)
    }

    /// The parts record of message `id`, if it is stored in parts.
    pub(crate) fn parts_of(&self, id: MessageId) -> Result<Option<Parts>, StoreError> {
        self.get(cf::PARTS, &keys::message(id))
    }

    /// The whole of a message stored in parts, if it is complete.
    pub(crate) fn joined_message(&self, id: MessageId) -> Result<Option<Vec<u8>>, StoreError> {
        match self.parts_of(id)? {
            Some(parts) if parts.complete => self.join_parts(id, 0, parts.last).map(Some),
            _ => Ok(None),
        }
    }

    /// Adds to `batch` what stores a message whose parts `1..=last` are written: part 0
    /// (`head`, what goes before them), the rest of its content (`tail`) as the next part, and
    /// the record, complete.
    pub(crate) fn complete_parts(
        &self,
        batch: &mut WriteBatch,
        id: MessageId,
        last: u32,
        head: Vec<u8>,
        tail: &[Bytes],
    ) {
        batch.put_cf(self.cf(cf::BLOB), keys::message_part(id, 0), head);
        let last = match tail.iter().map(Bytes::len).sum::<usize>() {
            0 => last,
            len => {
                let mut rest = Vec::with_capacity(len);
                tail.iter().for_each(|segment| rest.extend_from_slice(segment));
                batch.put_cf(self.cf(cf::BLOB), keys::message_part(id, last + 1), rest);
                last + 1
            }
        };
        batch.put_cf(self.cf(cf::PARTS), keys::message(id), encode(&Parts { last, complete: true }));
    }

    /// Adds the deletion of a message's parts (those `parts` counts, and part 0 when it is
    /// complete) and of its record to `batch`.
    pub(crate) fn delete_parts(&self, batch: &mut WriteBatch, id: MessageId, parts: Parts) {
        let first = if parts.complete { 0 } else { 1 };
        for n in first..=parts.last {
            batch.delete_cf(self.cf(cf::BLOB), keys::message_part(id, n));
        }
        batch.delete_cf(self.cf(cf::PARTS), keys::message(id));
    }

    /// Parts `first..=last` joined; a missing part is corruption.
    fn join_parts(&self, id: MessageId, first: u32, last: u32) -> Result<Vec<u8>, StoreError> {
        let blob = self.cf(cf::BLOB);
        let keys: Vec<_> = (first..=last).map(|n| (blob, keys::message_part(id, n))).collect();
        let mut out = Vec::new();
        for (n, part) in (first..).zip(self.db().multi_get_cf(keys)) {
            match part? {
                Some(bytes) => out.extend_from_slice(&bytes),
                None => return Err(StoreError::Corrupt(format!("part {n} of message {id} is missing"))),
            }
        }
        Ok(out)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parts_read_back_in_order_and_are_dropped_unless_complete() {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(dir.path()).unwrap();
        let id = MessageId(7);
        store.put_part(id, 1, b"Subject: big\r\n\r\n").unwrap();
        store.put_part(id, 2, b"first half, ").unwrap();
        store.put_part(id, 3, b"second half\r\n").unwrap();
        assert_eq!(store.received_parts(id, 3).unwrap(), b"Subject: big\r\n\r\nfirst half, second half\r\n");
        assert_eq!(store.blob(id).unwrap(), None, "an incomplete message is no message");

        let other = MessageId(8);
        store.put_part(other, 1, b"kept").unwrap();
        store.drop_parts(id, 3).unwrap();
        assert!(store.received_parts(id, 3).is_err(), "its parts are gone");
        assert_eq!(store.parts_of(id).unwrap(), None);
        assert_eq!(store.received_parts(other, 1).unwrap(), b"kept", "the control is untouched");

        assert_eq!(store.drop_unfinished_parts().unwrap(), 1);
        assert_eq!(store.parts_of(other).unwrap(), None, "unfinished after a restart: dropped");
        assert_eq!(store.drop_unfinished_parts().unwrap(), 0);
    }
}
