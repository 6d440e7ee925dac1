//! The event log's writes. An op submitted with events
//! ([`super::JournalHandle::submit_with_events`]) has them appended to the `events` column
//! family in the same batch as the op's own writes, each under the next sequence number, so an
//! event is on disk exactly when the change it describes is: a crash loses neither without the
//! other. The sequence goes on from the newest event kept when the journal starts (retention
//! always keeps the newest), and a group that fails to write gives its numbers back, so the
//! log has no holes. Readers (webhooks) keep a cursor, and retention trims the oldest events,
//! with [`EventsOp`].

use rocksdb::WriteBatch;

use super::{Committed, Committer};
use crate::{Store, cf, keys};

/// A change to the event log's cursors or its length, submitted as [`super::JournalOp::Events`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum EventsOp {
    /// The reader `name` has every event up to `seq`: its cursor moves there.
    Cursor {
        /// The reader (a webhook's name).
        name: String,
        /// The sequence number of the last event it has.
        seq: u64,
    },
    /// Every event up to sequence number `upto` is deleted.
    Trim {
        /// The newest event deleted.
        upto: u64,
    },
    /// Nothing but the events committed with it (what happened changed nothing stored).
    Record,
}

impl Committer {
    /// Adds a cursor move or a trim to the batch.
    pub(super) fn events_op(&self, batch: &mut WriteBatch, op: &EventsOp) -> Committed {
        match op {
            EventsOp::Cursor { name, seq } => {
                batch.put_cf(self.store.cf(cf::EVENT_CURSOR), keys::event_cursor(name), seq.to_be_bytes());
            }
            EventsOp::Trim { upto } => {
                let end = keys::event(upto.saturating_add(1));
                batch.delete_range_cf(self.store.cf(cf::EVENTS), keys::event(0), end);
            }
            EventsOp::Record => {}
        }
        Committed::Done
    }

    /// Appends `events` to the log under the next sequence numbers.
    pub(super) fn log_events(&mut self, batch: &mut WriteBatch, events: &[Vec<u8>]) {
        for event in events {
            self.event_seq += 1;
            batch.put_cf(self.store.cf(cf::EVENTS), keys::event(self.event_seq), event);
        }
    }
}

/// The sequence number of the newest event in `store` (0 when there is none), where the
/// journal goes on from.
///
/// # Panics
/// When RocksDB cannot read the log: going on from a guess could overwrite events.
pub(super) fn last_sequence(store: &Store) -> u64 {
    match store.event_bounds() {
        Ok(bounds) => bounds.map_or(0, |(_, last)| last),
        Err(e) => panic!("reading the event log's newest sequence number: {e}"),
    }
}

#[cfg(test)]
mod tests {
    use super::super::testing::{delivery, temp_store};
    use super::super::{Journal, JournalOp};
    use super::*;
    use crate::StoreError;

    fn event(n: u32) -> Vec<u8> {
        format!("{{\"event\":\"reception\",\"n\":{n}}}").into_bytes()
    }

    fn texts(events: &[(u64, Vec<u8>)]) -> Vec<(u64, String)> {
        events.iter().map(|(seq, e)| (*seq, String::from_utf8(e.clone()).unwrap())).collect()
    }

    #[test]
    fn events_are_written_with_their_op_in_order_and_numbered_on_after_a_reopen() {
        let dir = tempfile::tempdir().unwrap();
        {
            let store = Store::open(dir.path()).unwrap();
            let journal = Journal::start(store.clone());
            let h = journal.handle();
            h.submit_blocking_with_events(delivery(1, &[], &["r@far.example"], b"x"), vec![event(1), event(2)])
                .unwrap();
            h.submit_blocking_with_events(delivery(2, &[], &["r@far.example"], b"y"), vec![event(3)]).unwrap();
            journal.stop();
            assert_eq!(store.events_after(0, 10).unwrap().len(), 3);
            assert_eq!(texts(&store.events_after(1, 1).unwrap()), [(2, String::from_utf8(event(2)).unwrap())]);
        }
        let store = Store::open(dir.path()).unwrap();
        let journal = Journal::start(store.clone());
        journal
            .handle()
            .submit_blocking_with_events(delivery(3, &[], &["r@far.example"], b"z"), vec![event(4)])
            .unwrap();
        journal.stop();
        let seqs: Vec<u64> = store.events_after(0, 10).unwrap().iter().map(|(seq, _)| *seq).collect();
        assert_eq!(seqs, [1, 2, 3, 4], "the sequence goes on after a reopen");
        assert_eq!(store.event_bounds().unwrap(), Some((1, 4)));
    }

    #[test]
    fn a_refused_op_writes_no_event_and_leaves_no_hole() {
        let (_dir, store) = temp_store();
        let journal = Journal::start(store.clone());
        let h = journal.handle();
        let unknown = JournalOp::DeleteAccount { address: "nobody@x".into() };
        assert!(matches!(h.submit_blocking_with_events(unknown, vec![event(1)]), Err(StoreError::NotFound(_))));
        h.submit_blocking_with_events(delivery(1, &[], &["r@far.example"], b"x"), vec![event(2)]).unwrap();
        journal.stop();
        assert_eq!(texts(&store.events_after(0, 10).unwrap()), [(1, String::from_utf8(event(2)).unwrap())]);
    }

    #[test]
    fn cursors_are_kept_and_trims_delete_the_oldest() {
        let (_dir, store) = temp_store();
        let journal = Journal::start(store.clone());
        let h = journal.handle();
        for n in 1..=5 {
            h.submit_blocking_with_events(delivery(n.into(), &[], &["r@far.example"], b"x"), vec![event(n)]).unwrap();
        }
        assert_eq!(store.event_cursor("hook").unwrap(), None);
        h.submit_blocking(JournalOp::Events(EventsOp::Cursor { name: "hook".into(), seq: 3 })).unwrap();
        assert_eq!(store.event_cursor("hook").unwrap(), Some(3));
        h.submit_blocking(JournalOp::Events(EventsOp::Trim { upto: 2 })).unwrap();
        assert_eq!(store.event_bounds().unwrap(), Some((3, 5)));
        let seqs: Vec<u64> = store.events_after(0, 10).unwrap().iter().map(|(seq, _)| *seq).collect();
        assert_eq!(seqs, [3, 4, 5]);
        assert!(store.events_after(u64::MAX, 10).unwrap().is_empty());
        journal.stop();
    }
}
