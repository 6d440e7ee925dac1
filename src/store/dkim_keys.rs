//! DKIM signing keys, keyed by domain and selector (`dkim_key` column family). Written by the
//! administrator through the journal (`journal/dkim.rs`), read by the shards when they sign
//! outbound mail.

use rocksdb::{Direction, IteratorMode};

use super::records::{DkimKey, decode};
use super::{Store, StoreError, cf, keys};

impl Store {
    /// The keys of `domain` as `(selector, key)`, by selector.
    pub fn dkim_keys(&self, domain: &str) -> Result<Vec<(String, DkimKey)>, StoreError> {
        self.scan_dkim_keys(&keys::dkim_domain(domain))
            .map(|keys| keys.into_iter().map(|(_, selector, record)| (selector, record)).collect())
    }

    /// Every key as `(domain, selector, key)`.
    pub fn all_dkim_keys(&self) -> Result<Vec<(String, String, DkimKey)>, StoreError> {
        self.scan_dkim_keys(b"")
    }

    fn scan_dkim_keys(&self, prefix: &[u8]) -> Result<Vec<(String, String, DkimKey)>, StoreError> {
        let mut out = Vec::new();
        let mode = IteratorMode::From(prefix, Direction::Forward);
        for item in self.db().iterator_cf(self.cf(cf::DKIM_KEY), mode) {
            let (k, v) = item?;
            if !k.starts_with(prefix) {
                break;
            }
            let Some((domain, selector)) = keys::dkim_key_parts(&k) else { continue };
            out.push((domain, selector, decode(&v)?));
        }
        Ok(out)
    }
}
