//! The suppression list: recipients that hard-bounced, so that mail to them is refused at RCPT
//! instead of being sent again to an address that does not exist. The queue adds to it when a
//! recipient bounces, the administrator by hand (`journal/suppression.rs`). Besides, recipients
//! suppressed for one sender domain only: those who unsubscribed from its mail or complained
//! about it.

use rocksdb::IteratorMode;

use super::records::{Suppression, decode};
use super::{Store, StoreError, cf, keys};

impl Store {
    /// Why `address` is suppressed, if it is.
    pub fn suppression(&self, address: &str) -> Result<Option<Suppression>, StoreError> {
        self.get(cf::SUPPRESSION, &keys::suppression(address))
    }

    /// Why `address` is suppressed for mail from `domain`, if it is.
    pub fn sender_suppression(&self, domain: &str, address: &str) -> Result<Option<Suppression>, StoreError> {
        self.get(cf::SENDER_SUPPRESSION, &keys::sender_suppression(domain, address))
    }

    /// Every recipient suppressed for one sender domain: (domain, address, record), sorted.
    pub fn sender_suppressions(&self) -> Result<Vec<(String, String, Suppression)>, StoreError> {
        let mut out = Vec::new();
        for item in self.db().iterator_cf(self.cf(cf::SENDER_SUPPRESSION), IteratorMode::Start) {
            let (k, v) = item?;
            if let Some((domain, address)) = keys::sender_suppression_parts(&k) {
                out.push((domain, address, decode(&v)?));
            }
        }
        Ok(out)
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
