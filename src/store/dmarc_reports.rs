//! DMARC results counted for aggregate reports (RFC 7489 section 7.2): one counter per report
//! period, policy domain and kind of message, in the `dmarc_report` column family. Counting is
//! a RocksDB merge (no read) that rides in the batch of the message it counts
//! (`Delivery::dmarc`), or goes alone for a refused message (`journal/dmarc.rs`).

use rocksdb::IteratorMode;

pub use mailauth::dmarc::report::ReportRow;

use super::{Store, StoreError, cf, keys};

impl Store {
    /// Every counter of periods that began before `before`, with its count, in key order
    /// (by period, then policy domain).
    pub fn dmarc_results_before(&self, before: u64) -> Result<Vec<(ReportRow, u64)>, StoreError> {
        let mut out = Vec::new();
        for item in self.db().iterator_cf(self.cf(cf::DMARC_REPORT), IteratorMode::Start) {
            let (k, v) = item?;
            let Some(row) = keys::dmarc_row(&k) else { continue };
            if row.period >= before {
                break;
            }
            let count = v.get(..8).map_or(0, |b| i64::from_le_bytes(b.try_into().expect("8 bytes")));
            out.push((row, count.max(0) as u64));
        }
        Ok(out)
    }
}
