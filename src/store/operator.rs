//! Reading what the operator set through the HTTP API or the CLI: API tokens
//! (`api_token`) and delivery suspensions (`suspension`), written through the journal
//! (`journal/operator.rs`).

use rocksdb::IteratorMode;

use super::records::{ApiToken, Suspension, decode};
use super::{Store, StoreError, cf, keys};

impl Store {
    /// Every API token as `(name, token)`, by name.
    pub fn api_tokens(&self) -> Result<Vec<(String, ApiToken)>, StoreError> {
        self.scan(cf::API_TOKEN)
    }

    /// Every suspension as `(destination, suspension)`, lapsed ones included, by destination.
    pub fn suspensions(&self) -> Result<Vec<(String, Suspension)>, StoreError> {
        self.scan(cf::SUSPENSION)
    }

    pub(crate) fn scan<T: crate::records::Record>(&self, cf_name: &str) -> Result<Vec<(String, T)>, StoreError> {
        let mut out = Vec::new();
        for item in self.db().iterator_cf(self.cf(cf_name), IteratorMode::Start) {
            let (k, v) = item?;
            out.push((keys::name_of(&k), decode(&v)?));
        }
        Ok(out)
    }
}
