//! TLS report counters: counted (a merge, no read) after each delivery attempt to a domain
//! with a policy, and forgotten once their report went out; and the reports others mail us.

use rocksdb::WriteBatch;

use super::{Committed, Committer};
use crate::records::{ReceivedTlsReport, encode};
use crate::tls_reports::TlsReportRow;
use crate::{cf, keys};

/// A change to the TLS report counters, submitted as [`super::JournalOp::TlsReport`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TlsReportOp {
    /// Count one session for each row.
    Count(Vec<TlsReportRow>),
    /// Forget the counters of these rows (their report was sent).
    Forget(Vec<TlsReportRow>),
    /// Keep a report another sender mailed us, received at Unix second `at`.
    Received {
        /// When it arrived.
        at: u64,
        /// The report.
        report: ReceivedTlsReport,
    },
}

impl Committer {
    /// Adds one counter change to the batch.
    pub(super) fn tls_report_op(&self, batch: &mut WriteBatch, op: &TlsReportOp) -> Committed {
        let cf = self.store.cf(cf::TLS_REPORT);
        match op {
            TlsReportOp::Count(rows) => {
                rows.iter().for_each(|row| batch.merge_cf(cf, keys::tls_report(row), 1i64.to_le_bytes()))
            }
            TlsReportOp::Forget(rows) => rows.iter().for_each(|row| batch.delete_cf(cf, keys::tls_report(row))),
            TlsReportOp::Received { at, report } => {
                let key = keys::received_tls_report(*at, &report.report_id);
                batch.put_cf(self.store.cf(cf::TLS_REPORT_IN), key, encode(report));
            }
        }
        Committed::Done
    }
}

#[cfg(test)]
mod tests {
    use super::super::testing::temp_store;
    use super::super::{Journal, JournalOp};
    use super::*;
    use mailauth::tlsrpt::ResultType;

    #[test]
    fn sessions_are_counted_per_outcome_and_forgotten_once_reported() {
        let (_dir, store) = temp_store();
        let journal = Journal::start(store.clone());
        let h = journal.handle();
        let row = |period, result| TlsReportRow {
            period,
            policy_domain: "example.com".into(),
            result,
            sending_ip: String::new(),
            receiving_mx: "mx.example.com".into(),
            receiving_ip: "192.0.2.7".into(),
        };
        let count = |rows| h.submit_blocking(JournalOp::TlsReport(TlsReportOp::Count(rows))).unwrap();
        count(vec![row(0, None), row(0, None)]);
        count(vec![row(0, Some(ResultType::StarttlsNotSupported)), row(86_400, None)]);
        let before = store.tls_results_before(86_400).unwrap();
        assert_eq!(before, vec![(row(0, None), 2), (row(0, Some(ResultType::StarttlsNotSupported)), 1)]);
        h.submit_blocking(JournalOp::TlsReport(TlsReportOp::Forget(vec![row(0, None)]))).unwrap();
        assert_eq!(store.tls_results_before(u64::MAX).unwrap().len(), 2, "the others stay");
        journal.stop();
    }
}
