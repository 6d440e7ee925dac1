//! Counting a sender domain's mail: recipients delivered (with the queue entries they finish)
//! and complaints, merge-added to the current hour's counter. Once an hour the counters older
//! than [`KEEP_HOURS`] go.

use rocksdb::WriteBatch;

use super::{Committed, Committer};
use crate::keys::{self, SenderCount};
use crate::sender_stats::KEEP_HOURS;
use crate::{cf, unix_now};

/// `n` more of `count` for `domain`, in the hour it is committed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SenderTally {
    /// The lower-case sender domain.
    pub domain: String,
    /// What is counted.
    pub count: SenderCount,
    /// How many.
    pub n: u32,
}

impl Committer {
    /// Adds `tally` to the batch, and the sweep of old hours when the hour changed.
    pub(super) fn tally(&mut self, batch: &mut WriteBatch, tally: &SenderTally) -> Committed {
        let hour = unix_now() / 3600;
        let family = self.store.cf(cf::SENDER_STATS);
        if hour > self.stats_swept_hour {
            self.stats_swept_hour = hour;
            let end = keys::sender_stat_hour(hour.saturating_sub(KEEP_HOURS));
            batch.delete_range_cf(family, keys::sender_stat_hour(0), end);
        }
        let key = keys::sender_stat(hour, &tally.domain, tally.count);
        batch.merge_cf(family, key, i64::from(tally.n).to_le_bytes());
        Committed::Done
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::journal::testing::temp_store;
    use crate::journal::{Journal, JournalOp};

    #[test]
    fn tallies_add_up_per_domain() {
        let (_dir, store) = temp_store();
        let journal = Journal::start(store.clone());
        let h = journal.handle();
        let tally = |domain: &str, count, n| SenderTally { domain: domain.into(), count, n };
        h.submit_blocking(JournalOp::Tally(tally("news.example", SenderCount::Delivered, 300))).unwrap();
        h.submit_blocking(JournalOp::Tally(tally("news.example", SenderCount::Delivered, 700))).unwrap();
        h.submit_blocking(JournalOp::Tally(tally("news.example", SenderCount::Complaint, 4))).unwrap();
        h.submit_blocking(JournalOp::Tally(tally("shop.example", SenderCount::Delivered, 10))).unwrap();
        let stats = store.sender_stats_since(unix_now() / 3600 - 23).unwrap();
        assert_eq!((stats["news.example"].delivered, stats["news.example"].complaints), (1000, 4));
        assert!((stats["news.example"].complaint_rate() - 0.004).abs() < 1e-9);
        assert_eq!(stats["shop.example"].complaint_rate(), 0.0);
        assert!(store.sender_stats_since(unix_now() / 3600 + 1).unwrap().is_empty(), "only the hours asked for");
        journal.stop();
    }
}
