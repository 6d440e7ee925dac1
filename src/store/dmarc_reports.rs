//! DMARC results counted for aggregate reports (RFC 7489 section 7.2): one counter per report
//! period, policy domain and kind of message, in the `dmarc_report` column family. Counting is
//! a RocksDB merge (no read) that rides in the batch of the message it counts
//! (`Delivery::dmarc`), or goes alone for a refused message (`journal/dmarc.rs`).

pub use mailauth::dmarc::report::ReportRow;

use super::{Store, StoreError, cf, keys};

impl Store {
    /// Every counter of periods that began before `before`, with its count, in key order
    /// (by period, then policy domain).
    pub fn dmarc_results_before(&self, before: u64) -> Result<Vec<(ReportRow, u64)>, StoreError> {
        self.counters_before(cf::DMARC_REPORT, before, keys::dmarc_row, |row| row.period)
    }
}
