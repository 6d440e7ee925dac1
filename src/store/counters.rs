//! Reading the merge-added counters of aggregate reports (DMARC's, TLS reporting's): keys
//! start with the report period, so the counters of finished periods come first.

use rocksdb::IteratorMode;

use super::{Store, StoreError};

impl Store {
    /// Every counter of `cf_name` whose key `row` reads, up to the first of a period that began
    /// at `before` or later (`period` of the row), with its count, in key order.
    pub(crate) fn counters_before<T>(
        &self,
        cf_name: &str,
        before: u64,
        row: impl Fn(&[u8]) -> Option<T>,
        period: impl Fn(&T) -> u64,
    ) -> Result<Vec<(T, u64)>, StoreError> {
        let mut out = Vec::new();
        for item in self.db().iterator_cf(self.cf(cf_name), IteratorMode::Start) {
            let (k, v) = item?;
            let Some(row) = row(&k) else { continue };
            if period(&row) >= before {
                break;
            }
            let count = v.get(..8).map_or(0, |b| i64::from_le_bytes(b.try_into().expect("8 bytes")));
            out.push((row, count.max(0) as u64));
        }
        Ok(out)
    }
}
