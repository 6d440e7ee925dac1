//! Expunge tombstones, for QRESYNC (RFC 7162 3.2.5, 3.2.6): every change that removes
//! messages from a mailbox (EXPUNGE, MOVE, POP3 DELE, renaming INBOX) writes, in the same
//! batch, the UIDs it removed under the mailbox and its modseq. A client resynchronising from
//! an older modseq is told those with `VANISHED (EARLIER)`. Tombstones older than
//! `[imap] keep_vanished_days` are swept; the mailbox then keeps the newest modseq swept (its
//! floor), and a client older than that is told every UID the mailbox does not hold, which the
//! RFC allows.

use std::collections::HashMap;

use rocksdb::{IteratorMode, WriteBatch};

use super::records::{Vanished, decode, encode};
use super::{Store, StoreError, cf, keys};

/// The UIDs removed from a mailbox after some modseq.
#[derive(Debug, Default, PartialEq, Eq)]
pub struct VanishedSince {
    /// The UIDs, ascending, without repeats.
    pub uids: Vec<u32>,
    /// False when tombstones after that modseq were swept: some removed UIDs are missing.
    pub complete: bool,
}

impl Store {
    /// The UIDs removed from the mailbox `mailbox_id` of `account` by changes after `modseq`.
    pub fn vanished_since(&self, account: &str, mailbox_id: u32, modseq: u64) -> Result<VanishedSince, StoreError> {
        let prefix = keys::mail_prefix(account, mailbox_id);
        let floor = self.db().get_pinned_cf(self.cf(cf::VANISHED), keys::vanished(account, mailbox_id, 0))?;
        let floor = floor.and_then(|v| <[u8; 8]>::try_from(&v[..]).ok()).map_or(0, u64::from_be_bytes);
        let from = keys::vanished(account, mailbox_id, modseq.saturating_add(1).max(1));
        let mode = IteratorMode::From(&from, rocksdb::Direction::Forward);
        let mut uids = Vec::new();
        for item in self.db().iterator_cf(self.cf(cf::VANISHED), mode) {
            let (key, value) = item?;
            if !key.starts_with(&prefix) || key.len() != prefix.len() + 8 {
                break;
            }
            uids.extend(decode::<Vanished>(&value)?.uids);
        }
        uids.sort_unstable();
        uids.dedup();
        Ok(VanishedSince { uids, complete: modseq >= floor })
    }

    /// Deletes the tombstones written before `before` (Unix seconds), raising each mailbox's
    /// floor to the newest modseq deleted; how many were deleted.
    pub fn sweep_vanished(&self, before: u64) -> Result<usize, StoreError> {
        let mut batch = WriteBatch::default();
        let mut floors: HashMap<Vec<u8>, u64> = HashMap::new();
        let mut swept = 0;
        for item in self.db().iterator_cf(self.cf(cf::VANISHED), IteratorMode::Start) {
            let (key, value) = item?;
            let modseq = keys::modseq_of_vanished_key(&key)
                .ok_or_else(|| StoreError::Corrupt(format!("vanished key of {} bytes", key.len())))?;
            if modseq == 0 || decode::<Vanished>(&value)?.at >= before {
                continue;
            }
            let floor_key = [&key[..key.len() - 8], &0u64.to_be_bytes()].concat();
            let floor = floors.entry(floor_key).or_default();
            *floor = (*floor).max(modseq);
            batch.delete_cf(self.cf(cf::VANISHED), &key);
            swept += 1;
        }
        for (key, floor) in floors {
            batch.put_cf(self.cf(cf::VANISHED), key, floor.to_be_bytes());
        }
        if swept > 0 {
            self.db().write(batch)?;
        }
        Ok(swept)
    }

    /// Adds to `batch` the tombstone of the `uids` a change at `modseq` removed from a mailbox.
    pub(crate) fn put_vanished(
        &self,
        batch: &mut WriteBatch,
        (account, mailbox_id): (&str, u32),
        modseq: u64,
        uids: &[u32],
        now: u64,
    ) {
        let mut uids = uids.to_vec();
        uids.sort_unstable();
        let key = keys::vanished(account, mailbox_id, modseq);
        batch.put_cf(self.cf(cf::VANISHED), key, encode(&Vanished { at: now, uids }));
    }

    /// Adds to `batch` the deletion of every tombstone of a mailbox (it is being deleted).
    pub(crate) fn delete_vanished(&self, batch: &mut WriteBatch, account: &str, mailbox_id: u32) {
        let prefix = keys::mail_prefix(account, mailbox_id);
        batch.delete_range_cf(self.cf(cf::VANISHED), &prefix, &keys::prefix_end(&prefix));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn write(store: &Store, mailbox: u32, modseq: u64, uids: &[u32], at: u64) {
        let mut batch = WriteBatch::default();
        store.put_vanished(&mut batch, ("bob@example.com", mailbox), modseq, uids, at);
        store.db().write(batch).unwrap();
    }

    #[test]
    fn removed_uids_after_a_modseq_are_found_and_sweeping_raises_the_floor() {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(dir.path()).unwrap();
        write(&store, 1, 5, &[7, 3], 100);
        write(&store, 1, 9, &[4], 200);
        write(&store, 2, 6, &[1], 100);
        let since = |m| store.vanished_since("bob@example.com", 1, m).unwrap();
        assert_eq!(since(0), VanishedSince { uids: vec![3, 4, 7], complete: true });
        assert_eq!(since(5), VanishedSince { uids: vec![4], complete: true });
        assert_eq!(since(9), VanishedSince { uids: vec![], complete: true });
        assert_eq!(store.vanished_since("bob@example.com", 2, 0).unwrap().uids, vec![1]);
        assert_eq!(
            store.vanished_since("eve@example.com", 1, 0).unwrap(),
            VanishedSince { complete: true, ..Default::default() }
        );

        assert_eq!(store.sweep_vanished(150).unwrap(), 2);
        assert_eq!(since(0), VanishedSince { uids: vec![4], complete: false }, "the sweep leaves a floor");
        assert_eq!(since(5), VanishedSince { uids: vec![4], complete: true });
        assert_eq!(
            store.vanished_since("bob@example.com", 2, 0).unwrap(),
            VanishedSince { uids: vec![], complete: false }
        );
        assert_eq!(store.sweep_vanished(150).unwrap(), 0, "floors are not swept");

        let mut batch = WriteBatch::default();
        store.delete_vanished(&mut batch, "bob@example.com", 1);
        store.db().write(batch).unwrap();
        assert_eq!(since(0), VanishedSince { uids: vec![], complete: true }, "a deleted mailbox forgets");
    }
}
