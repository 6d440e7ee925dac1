//! The suppression list: recipients that hard-bounced, so that mail to them is refused at RCPT
//! instead of being sent again to an address that does not exist. The queue adds to it when a
//! recipient bounces, the administrator by hand (`journal/suppression.rs`).

use rocksdb::IteratorMode;

use super::records::{Suppression, decode};
use super::{Store, StoreError, cf, keys};

impl Store {
    /// Why `address` is suppressed, if it is.
    pub fn suppression(&self, address: &str) -> Result<Option<Suppression>, StoreError> {
        self.get(cf::SUPPRESSION, &keys::suppression(address))
    }

    /// Every suppressed address with its record, sorted.
    pub fn suppressions(&self) -> Result<Vec<(String, Suppression)>, StoreError> {
        let mut out = Vec::new();
        for item in self.db().iterator_cf(self.cf(cf::SUPPRESSION), IteratorMode::Start) {
            let (k, v) = item?;
            out.push((keys::name_of(&k), decode(&v)?));
        }
        Ok(out)
    }
}
