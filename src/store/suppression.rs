//! The suppression list: recipients that hard-bounced, so that mail to them is refused at RCPT
//! instead of being sent again to an address that does not exist.

use rocksdb::{IteratorMode, WriteBatch};

use super::records::{Suppression, decode, encode};
use super::{Store, StoreError, cf, unix_now};

impl Store {
    /// Why `address` is suppressed, if it is.
    pub fn suppression(&self, address: &str) -> Result<Option<Suppression>, StoreError> {
        self.get(cf::SUPPRESSION, address.to_lowercase().as_bytes())
    }

    /// Every suppressed address with its record, sorted.
    pub fn suppressions(&self) -> Result<Vec<(String, Suppression)>, StoreError> {
        let mut out = Vec::new();
        for item in self.db().iterator_cf(self.cf(cf::SUPPRESSION), IteratorMode::Start) {
            let (k, v) = item?;
            out.push((String::from_utf8_lossy(&k).into_owned(), decode(&v)?));
        }
        Ok(out)
    }

    /// Suppresses `address` now, for `reason`.
    pub fn suppress(&self, address: &str, reason: &str) -> Result<(), StoreError> {
        let mut batch = WriteBatch::default();
        self.suppress_in(&mut batch, address, reason);
        Ok(self.db().write(batch)?)
    }

    /// Adds the suppression of `address` to `batch`.
    pub(crate) fn suppress_in(&self, batch: &mut WriteBatch, address: &str, reason: &str) {
        let record = Suppression { reason: reason.to_string(), since: unix_now() };
        batch.put_cf(self.cf(cf::SUPPRESSION), address.to_lowercase().as_bytes(), encode(&record));
    }

    /// Lifts the suppression of `address`.
    pub fn unsuppress(&self, address: &str) -> Result<(), StoreError> {
        let key = address.to_lowercase();
        if self.suppression(&key)?.is_none() {
            return Err(StoreError::NotFound(format!("suppression of {key}")));
        }
        Ok(self.db().delete_cf(self.cf(cf::SUPPRESSION), key.as_bytes())?)
    }
}
