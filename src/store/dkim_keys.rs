//! DKIM signing keys, keyed by domain and selector (`dkim_key` column family). Written by the
//! administrator, read by the shards when they sign outbound mail.

use rocksdb::{Direction, IteratorMode};

use super::records::{DkimKey, decode, encode};
use super::{Store, StoreError, cf};

/// `domain \0 selector`: a domain's keys sort together.
fn key(domain: &str, selector: &str) -> Vec<u8> {
    let mut k = domain.to_ascii_lowercase().into_bytes();
    k.push(0);
    k.extend_from_slice(selector.as_bytes());
    k
}

impl Store {
    /// Stores the key for `domain` and `selector` (replacing one with the same selector).
    pub fn put_dkim_key(&self, domain: &str, selector: &str, record: &DkimKey) -> Result<(), StoreError> {
        Ok(self.db().put_cf(self.cf(cf::DKIM_KEY), key(domain, selector), encode(record))?)
    }

    /// Deletes a key.
    pub fn delete_dkim_key(&self, domain: &str, selector: &str) -> Result<(), StoreError> {
        let k = key(domain, selector);
        if self.db().get_cf(self.cf(cf::DKIM_KEY), &k)?.is_none() {
            return Err(StoreError::NotFound(format!("DKIM key {selector} of {domain}")));
        }
        Ok(self.db().delete_cf(self.cf(cf::DKIM_KEY), k)?)
    }

    /// The keys of `domain` as `(selector, key)`, by selector.
    pub fn dkim_keys(&self, domain: &str) -> Result<Vec<(String, DkimKey)>, StoreError> {
        let prefix = key(domain, "");
        self.scan_dkim_keys(&prefix)
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
            let text = String::from_utf8_lossy(&k);
            let Some((domain, selector)) = text.split_once('\0') else { continue };
            out.push((domain.to_string(), selector.to_string(), decode(&v)?));
        }
        Ok(out)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_by_domain_and_selector() {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(dir.path()).unwrap();
        let record = |n: u8| DkimKey { algorithm: "ed25519-sha256".into(), pkcs8: vec![n], created: 1 };
        store.put_dkim_key("Example.com", "s1", &record(1)).unwrap();
        store.put_dkim_key("example.com", "s2", &record(2)).unwrap();
        store.put_dkim_key("example.co", "s1", &record(3)).unwrap();
        let keys = store.dkim_keys("example.com").unwrap();
        assert_eq!(keys.iter().map(|(s, k)| (s.as_str(), k.pkcs8[0])).collect::<Vec<_>>(), [("s1", 1), ("s2", 2)]);
        assert_eq!(store.all_dkim_keys().unwrap().len(), 3);
        store.delete_dkim_key("example.com", "s1").unwrap();
        assert_eq!(store.dkim_keys("example.com").unwrap().len(), 1);
        assert!(store.delete_dkim_key("example.com", "s1").is_err());
    }
}
