//! DMARC aggregate report counters: counted (a merge, no read) and forgotten once their report
//! went out. A stored message's rows ride in its [`super::Delivery`]; [`DmarcOp::Count`] is for
//! messages that were refused, which have no delivery.

use rocksdb::WriteBatch;

use super::{Committed, Committer};
use crate::dmarc_reports::ReportRow;
use crate::{cf, keys};

/// A change to the DMARC report counters, submitted as [`super::JournalOp::Dmarc`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DmarcOp {
    /// Count one message for each row.
    Count(Vec<ReportRow>),
    /// Forget the counters of these rows (their report was sent).
    Forget(Vec<ReportRow>),
}

impl Committer {
    /// Adds one counter change to the batch.
    pub(super) fn dmarc_op(&self, batch: &mut WriteBatch, op: &DmarcOp) -> Committed {
        match op {
            DmarcOp::Count(rows) => self.count_dmarc(batch, rows),
            DmarcOp::Forget(rows) => {
                for row in rows {
                    batch.delete_cf(self.store.cf(cf::DMARC_REPORT), keys::dmarc_report(row));
                }
            }
        }
        Committed::Done
    }

    /// Counts one message for each of `rows`.
    pub(super) fn count_dmarc(&self, batch: &mut WriteBatch, rows: &[ReportRow]) {
        for row in rows {
            batch.merge_cf(self.store.cf(cf::DMARC_REPORT), keys::dmarc_report(row), 1i64.to_le_bytes());
        }
    }
}

#[cfg(test)]
mod tests {
    use super::super::testing::{commit_queued, report_row, temp_store};
    use super::super::{Journal, JournalOp};
    use super::*;

    fn row(period: u64, ip: &str) -> ReportRow {
        ReportRow { source_ip: ip.into(), ..report_row(period) }
    }

    #[test]
    fn counts_by_period_and_row_until_forgotten() {
        let (_dir, store) = temp_store();
        let journal = Journal::start(store.clone());
        let h = journal.handle();
        let count = |rows: Vec<ReportRow>| h.submit_blocking(JournalOp::Dmarc(DmarcOp::Count(rows))).unwrap();
        count(vec![row(100, "192.0.2.1"), row(100, "192.0.2.1")]);
        count(vec![row(100, "192.0.2.1"), row(100, "192.0.2.2"), row(200, "192.0.2.1")]);
        let done = store.dmarc_results_before(200).unwrap();
        assert_eq!(done, vec![(row(100, "192.0.2.1"), 3), (row(100, "192.0.2.2"), 1)]);
        let rows = done.into_iter().map(|(r, _)| r).collect();
        h.submit_blocking(JournalOp::Dmarc(DmarcOp::Forget(rows))).unwrap();
        assert!(store.dmarc_results_before(200).unwrap().is_empty());
        assert_eq!(store.dmarc_results_before(u64::MAX).unwrap().len(), 1);
        journal.stop();
    }

    #[test]
    fn a_count_after_a_forget_in_the_same_group_starts_over() {
        let (_dir, store) = temp_store();
        let r = row(100, "192.0.2.9");
        let ops = [DmarcOp::Count(vec![r.clone()]), DmarcOp::Forget(vec![r.clone()]), DmarcOp::Count(vec![r.clone()])];
        commit_queued(&store, ops.into_iter().map(JournalOp::Dmarc).collect());
        assert_eq!(store.dmarc_results_before(u64::MAX).unwrap(), vec![(r, 1)]);
    }
}
