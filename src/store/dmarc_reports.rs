//! DMARC results counted for aggregate reports (RFC 7489 section 7.2): one counter per report
//! period, policy domain and kind of message, in the `dmarc_report` column family. Counting is
//! a RocksDB merge (no read), so it costs a session one small write.

use rocksdb::{IteratorMode, WriteBatch};

use super::{Store, StoreError, cf};

/// What one counter counts: messages from one source, with one outcome, in one period.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct ReportRow {
    /// Start of the report period (Unix seconds).
    pub period: u64,
    /// The domain whose DMARC record applied.
    pub policy_domain: String,
    /// The sending server's address.
    pub source_ip: String,
    /// The `From:` domain.
    pub header_from: String,
    /// What the policy made of the message: `none`, `quarantine` or `reject`.
    pub disposition: String,
    /// `pass` when DKIM passed aligned, else `fail`.
    pub dkim_aligned: String,
    /// `pass` when SPF passed aligned, else `fail`.
    pub spf_aligned: String,
    /// `d=` of the first DKIM signature, if any.
    pub dkim_domain: String,
    /// Its result.
    pub dkim_result: String,
    /// The domain SPF checked.
    pub spf_domain: String,
    /// SPF's result.
    pub spf_result: String,
}

/// Fields after the period, in key order.
const FIELDS: usize = 10;

impl ReportRow {
    fn key(&self) -> Vec<u8> {
        let mut k = self.period.to_be_bytes().to_vec();
        let fields = [
            &self.policy_domain,
            &self.source_ip,
            &self.header_from,
            &self.disposition,
            &self.dkim_aligned,
            &self.spf_aligned,
            &self.dkim_domain,
            &self.dkim_result,
            &self.spf_domain,
            &self.spf_result,
        ];
        for (i, f) in fields.iter().enumerate() {
            if i > 0 {
                k.push(0);
            }
            k.extend(f.bytes().filter(|&b| b != 0));
        }
        k
    }

    fn from_key(key: &[u8]) -> Option<ReportRow> {
        let period = u64::from_be_bytes(key.get(..8)?.try_into().ok()?);
        let text = String::from_utf8_lossy(&key[8..]);
        let f: Vec<&str> = text.split('\0').collect();
        if f.len() != FIELDS {
            return None;
        }
        Some(ReportRow {
            period,
            policy_domain: f[0].into(),
            source_ip: f[1].into(),
            header_from: f[2].into(),
            disposition: f[3].into(),
            dkim_aligned: f[4].into(),
            spf_aligned: f[5].into(),
            dkim_domain: f[6].into(),
            dkim_result: f[7].into(),
            spf_domain: f[8].into(),
            spf_result: f[9].into(),
        })
    }
}

impl Store {
    /// Counts one message for `row`.
    pub fn count_dmarc_result(&self, row: &ReportRow) -> Result<(), StoreError> {
        Ok(self.db().merge_cf(self.cf(cf::DMARC_REPORT), row.key(), 1i64.to_le_bytes())?)
    }

    /// Every counter of periods that began before `before`, with its count, in key order
    /// (by period, then policy domain).
    pub fn dmarc_results_before(&self, before: u64) -> Result<Vec<(ReportRow, u64)>, StoreError> {
        let mut out = Vec::new();
        for item in self.db().iterator_cf(self.cf(cf::DMARC_REPORT), IteratorMode::Start) {
            let (k, v) = item?;
            let Some(row) = ReportRow::from_key(&k) else { continue };
            if row.period >= before {
                break;
            }
            let count = v.get(..8).map_or(0, |b| i64::from_le_bytes(b.try_into().expect("8 bytes")));
            out.push((row, count.max(0) as u64));
        }
        Ok(out)
    }

    /// Forgets the counters of `rows` (after their report went out).
    pub fn forget_dmarc_results(&self, rows: &[ReportRow]) -> Result<(), StoreError> {
        let mut batch = WriteBatch::default();
        for row in rows {
            batch.delete_cf(self.cf(cf::DMARC_REPORT), row.key());
        }
        Ok(self.db().write(batch)?)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn row(period: u64, ip: &str) -> ReportRow {
        ReportRow {
            period,
            policy_domain: "example.com".into(),
            source_ip: ip.into(),
            header_from: "example.com".into(),
            disposition: "none".into(),
            dkim_aligned: "pass".into(),
            spf_aligned: "fail".into(),
            dkim_domain: "example.com".into(),
            dkim_result: "pass".into(),
            spf_domain: "bounce.example.net".into(),
            spf_result: "pass".into(),
        }
    }

    #[test]
    fn counts_by_period_and_row() {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(dir.path()).unwrap();
        for _ in 0..3 {
            store.count_dmarc_result(&row(100, "192.0.2.1")).unwrap();
        }
        store.count_dmarc_result(&row(100, "192.0.2.2")).unwrap();
        store.count_dmarc_result(&row(200, "192.0.2.1")).unwrap();
        let done = store.dmarc_results_before(200).unwrap();
        assert_eq!(done, vec![(row(100, "192.0.2.1"), 3), (row(100, "192.0.2.2"), 1)]);
        store.forget_dmarc_results(&done.iter().map(|(r, _)| r.clone()).collect::<Vec<_>>()).unwrap();
        assert!(store.dmarc_results_before(200).unwrap().is_empty());
        assert_eq!(store.dmarc_results_before(u64::MAX).unwrap().len(), 1);
    }
}
