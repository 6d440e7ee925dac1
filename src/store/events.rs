//! Reading the event log: one JSON object per event (a reception, a delivery outcome, a
//! suppression) under its sequence number, written by the journal in the same batch as the
//! change it describes (`journal/events.rs`), and the cursor of each webhook that sends it on.

use rocksdb::{Direction, IteratorMode};

use super::{Store, StoreError, cf, keys};

impl Store {
    /// Up to `limit` events after sequence number `seq`, oldest first: `(seq, JSON)`.
    pub fn events_after(&self, seq: u64, limit: usize) -> Result<Vec<(u64, Vec<u8>)>, StoreError> {
        let Some(start) = seq.checked_add(1) else {
            return Ok(Vec::new());
        };
        self.events_from(start, Direction::Forward, limit)
    }

    /// Up to `limit` events before sequence number `seq`, newest first (`u64::MAX`: from the
    /// newest): `(seq, JSON)`. For the dashboard's recent events.
    pub fn events_before(&self, seq: u64, limit: usize) -> Result<Vec<(u64, Vec<u8>)>, StoreError> {
        let Some(last) = seq.checked_sub(1) else {
            return Ok(Vec::new());
        };
        self.events_from(last, Direction::Reverse, limit)
    }

    /// Up to `limit` events from sequence number `seq` on (itself included) in `direction`.
    fn events_from(&self, seq: u64, direction: Direction, limit: usize) -> Result<Vec<(u64, Vec<u8>)>, StoreError> {
        let from = keys::event(seq);
        let mode = IteratorMode::From(&from, direction);
        let mut out = Vec::with_capacity(limit.min(1024));
        for item in self.db().iterator_cf(self.cf(cf::EVENTS), mode).take(limit) {
            let (key, value) = item?;
            let seq = keys::event_seq(&key).ok_or_else(|| StoreError::Corrupt("event key".into()))?;
            out.push((seq, value.into_vec()));
        }
        Ok(out)
    }

    /// The sequence numbers of the oldest and the newest event kept, if any is.
    pub fn event_bounds(&self) -> Result<Option<(u64, u64)>, StoreError> {
        let end = |mode| -> Result<Option<u64>, StoreError> {
            match self.db().iterator_cf(self.cf(cf::EVENTS), mode).next() {
                Some(item) => {
                    let (key, _) = item?;
                    keys::event_seq(&key).map(Some).ok_or_else(|| StoreError::Corrupt("event key".into()))
                }
                None => Ok(None),
            }
        };
        Ok(end(IteratorMode::Start)?.zip(end(IteratorMode::End)?))
    }

    /// The sequence number of the last event the reader `name` has, once it has a cursor.
    pub fn event_cursor(&self, name: &str) -> Result<Option<u64>, StoreError> {
        match self.db().get_pinned_cf(self.cf(cf::EVENT_CURSOR), keys::event_cursor(name))? {
            Some(bytes) => {
                let bytes: [u8; 8] =
                    bytes.as_ref().try_into().map_err(|_| StoreError::Corrupt("event cursor".into()))?;
                Ok(Some(u64::from_be_bytes(bytes)))
            }
            None => Ok(None),
        }
    }
}

#[cfg(test)]
mod tests {
    use crate::Store;
    use crate::journal::{EventsOp, Journal, JournalOp};

    #[test]
    fn events_before_reads_newest_first() {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(dir.path()).unwrap();
        let journal = Journal::start(store.clone());
        let cursor = || JournalOp::Events(EventsOp::Cursor { name: "hook".into(), seq: 0 });
        let events = (1..=5).map(|n| format!("{{\"n\":{n}}}").into_bytes()).collect();
        journal.handle().submit_blocking_with_events(cursor(), events).unwrap();
        journal.stop();
        let seqs = |seq, limit| -> Vec<u64> { store.events_before(seq, limit).unwrap().iter().map(|e| e.0).collect() };
        assert_eq!(seqs(u64::MAX, 3), [5, 4, 3]);
        assert_eq!(seqs(3, 10), [2, 1]);
        assert_eq!(seqs(1, 10), Vec::<u64>::new());
        assert_eq!(seqs(0, 10), Vec::<u64>::new());
        assert_eq!(store.events_before(5, 1).unwrap(), [(4, b"{\"n\":4}".to_vec())]);
    }
}
