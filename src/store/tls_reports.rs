//! TLS session outcomes counted for TLS reports (RFC 8460): one counter per report period,
//! policy domain and outcome, in the `tls_report` column family, counted by a merge
//! (`journal/tls_report.rs`); and the reports other senders mailed us (`tls_report_in`).

use rocksdb::IteratorMode;

pub use mailauth::tlsrpt::ReportRow as TlsReportRow;

use super::records::{ReceivedTlsReport, decode};
use super::{Store, StoreError, cf, keys};

impl Store {
    /// Every counter of periods that began before `before`, with its count, in key order
    /// (by period, then policy domain).
    pub fn tls_results_before(&self, before: u64) -> Result<Vec<(TlsReportRow, u64)>, StoreError> {
        self.counters_before(cf::TLS_REPORT, before, keys::tls_row, |row| row.period)
    }

    /// The received reports, oldest first, each with the Unix second it arrived.
    pub fn received_tls_reports(&self) -> Result<Vec<(u64, ReceivedTlsReport)>, StoreError> {
        let mut out = Vec::new();
        for item in self.db().iterator_cf(self.cf(cf::TLS_REPORT_IN), IteratorMode::Start) {
            let (k, v) = item?;
            let at = k.get(..8).map_or(0, |b| u64::from_be_bytes(b.try_into().expect("8 bytes")));
            out.push((at, decode(&v)?));
        }
        Ok(out)
    }
}
